// Pure renderers for the replicated-volume status views, from
// replication::ReplicaStatus snapshots: DRBD 8.4's /proc/drbd, `drbdadm
// role|cstate|dstate`, DRBD 9's `drbdadm status` (with --verbose and
// --statistics), a drbd-overview-like one-line form, and the --json shape all
// of them share (one object per volume, stable snake_case keys).
// Layout rules: ../shared/REPLICATION-FACTS.md §11; the volume lines match
// real DRBD 8.4 output byte for byte (tests/unit/cli/render_replica_test.cc).
//
// Same input, same output: no clock, no environment. Free functions over
// value types; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "replication/states.h"

namespace quorate::cli {

using ReplicaList = std::vector<replication::ReplicaStatus>;

// 1234567 -> "1,234,567" (DRBD's seq_printf_with_thousands_grouping).
std::string format_thousands(uint64_t value);

struct ProcDrbdOptions {
  // Quorate's version for the header; empty: the version this tool was built as.
  std::string quorate_version;
};

// /proc/drbd: the two header lines, then per volume (in the given order) the
// state line, the counters line and, during SyncSource/SyncTarget/VerifyS/
// VerifyT, the progress bar and finish/speed lines. A minor that does not
// follow the previous one is preceded by an empty line, as in DRBD.
std::string render_proc_drbd(const ReplicaList& volumes, const ProcDrbdOptions& opts);
// The lines of one volume (no header).
std::string render_proc_drbd_volume(const replication::ReplicaStatus& s);
// The progress bar and finish/speed lines ("\t[...] sync'ed: ...\n\tfinish:
// ...\n"); empty when not syncing or verifying, or without progress data.
std::string render_sync_progress(const replication::ReplicaStatus& s);
// The finish estimate in seconds, computed as DRBD 8.4 does over its ~18 s
// window from the bits left and the window's rate (so the printed h:mm:ss
// equals DRBD's for the same numbers).
uint64_t sync_eta_s(const replication::SyncProgress& p);

// drbdadm role / cstate / dstate: one line per volume ("Primary/Secondary",
// "Connected", "UpToDate/UpToDate").
std::string render_drbdadm_role(const ReplicaList& volumes);
std::string render_drbdadm_cstate(const ReplicaList& volumes);
std::string render_drbdadm_dstate(const ReplicaList& volumes);

struct StatusOptions {
  bool verbose = false;     // --verbose: minor, suspended, connection/congested, resync-suspended
  bool statistics = false;  // --statistics: the counters, in DRBD 9's key names
};

// drbdadm status (DRBD 9 layout): one paragraph per resource, each followed
// by an empty line. Volumes of one resource are grouped in the given order
// (the resource, peer and role come from its first volume).
std::string render_drbd_status(const ReplicaList& volumes, const StatusOptions& opts);

// The mount columns of drbd-overview, already formatted ("/mydata/mysql",
// "xfs", "6.6G", "33M", "6.5G", "1%").
struct OverviewMount {
  std::string mountpoint;
  std::string fstype;
  std::string size;
  std::string used;
  std::string available;
  std::string use_percent;
};

// drbd-overview: " 0:mysql/0  Connected Primary/Secondary UpToDate/UpToDate "
// per volume (columns padded to the widest row; mount columns only for the
// minors in `mounts`), followed by the progress lines while syncing.
std::string render_drbd_overview(const ReplicaList& volumes,
                                 const std::map<uint32_t, OverviewMount>& mounts = {});

// One volume; keys never renamed (nlohmann::json dumps them sorted):
//   resource, minor, volume, peer, role, peer_role, cstate (8.4 name),
//   connection, replication (DRBD 9 names), disk, peer_disk,
//   protocol ("A"/"B"/"C" or null),
//   flags {io_suspended, al_suspended, paused_by_user, paused_by_peer},
//   size_kib,
//   counters {sent_kib, received_kib, written_kib, read_kib, al_writes,
//             bm_writes, lower_pending, pending, unacked, upper_pending,
//             epochs, write_ordering ("flush", ...), out_of_sync_kib},
//   sync {kind ("sync"|"verify"), total_kib, left_kib, done_permille,
//         rate_kib_s, avg_kib_s, want_kib_s (null unless SyncTarget/VerifyS),
//         eta_s, stalled, paused} or null when no sync/verify is running,
//   split_brain (string or null).
nlohmann::json replica_status_json(const replication::ReplicaStatus& s);
// {"volumes": [replica_status_json...]}: the --json of every view above.
nlohmann::json replicas_json(const ReplicaList& volumes);

}  // namespace quorate::cli
