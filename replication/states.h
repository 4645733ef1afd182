// The states of a replicated volume, named as DRBD 8.4 names them
// (../shared/REPLICATION-FACTS.md §2-4), and the status snapshot that
// `drbdadm status|role|cstate|dstate`, `quorate replica status [--proc]` and
// /proc/drbd-style output are rendered from.
//
// Value types; not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>
#include <string_view>

namespace quorate::replication {

enum class Role : uint8_t { kUnknown, kPrimary, kSecondary };

// 8.4's single connection state (`cs:`), replication states included.
enum class ConnState : uint8_t {
  kStandAlone,
  kDisconnecting,
  kUnconnected,
  kTimeout,
  kBrokenPipe,
  kNetworkFailure,
  kProtocolError,
  kTearDown,
  kWFConnection,
  kWFReportParams,
  kConnected,
  kStartingSyncS,
  kStartingSyncT,
  kWFBitMapS,
  kWFBitMapT,
  kWFSyncUUID,
  kSyncSource,
  kSyncTarget,
  kPausedSyncS,
  kPausedSyncT,
  kVerifyS,
  kVerifyT,
  kAhead,
  kBehind,
};

enum class DiskState : uint8_t {
  kDiskless,
  kAttaching,
  kFailed,
  kNegotiating,
  kInconsistent,
  kOutdated,
  kDUnknown,
  kConsistent,
  kUpToDate,
};

enum class Protocol : uint8_t { kA, kB, kC };

std::string_view name(Role r);        // "Primary", "Secondary", "Unknown"
std::string_view name(ConnState c);   // "WFConnection", "SyncSource", ...
std::string_view name(DiskState d);   // "UpToDate", "DUnknown", ...
char letter(Protocol p);              // 'A', 'B', 'C'

// True in the states where data is replicated to the peer (Connected and the
// sync/verify/Ahead-Behind states).
bool is_connected(ConnState c);
// Diskless or Failed: no local data (the node reads and writes through its peer).
inline bool has_no_disk(DiskState d) { return d == DiskState::kDiskless || d == DiskState::kFailed; }
// DRBD 9's split of the 8.4 state: the connection part ("Connecting" for
// WFConnection/WFReportParams, "Connected" for every replication state) and
// the replication part ("Established" for Connected, else the 8.4 name;
// "Off" when not connected).
std::string_view connection_name9(ConnState c);
std::string_view replication_name9(ConnState c);

// Progress of a running resync or online verify.
struct SyncProgress {
  uint64_t total_kib = 0;     // what the sync/verify covers
  uint64_t left_kib = 0;      // still to do
  uint64_t rate_kib_s = 0;    // over the last ~18 s (0 while unknown)
  uint64_t avg_kib_s = 0;     // since the start, pauses excluded
  uint64_t want_kib_s = 0;    // the rate controller's target (SyncTarget/VerifyS only)
  bool stalled = false;       // no progress over the window
};

// One volume's state and counters; counters as /proc/drbd defines them
// (REPLICATION-FACTS.md §11.1): ns/nr/dw/dr in KiB, al/bm counts, the rest
// gauges, oos in KiB.
struct ReplicaStatus {
  std::string resource;   // "r0"
  uint32_t minor = 0;     // from `device /dev/drbdN` (or `minor N`)
  uint32_t volume = 0;
  std::string peer;       // the peer's host name from the resource file
  Role role = Role::kSecondary;
  Role peer_role = Role::kUnknown;
  ConnState cstate = ConnState::kStandAlone;
  DiskState disk = DiskState::kDiskless;
  DiskState peer_disk = DiskState::kDUnknown;
  std::optional<Protocol> protocol;  // unset when there is no net config
  bool io_suspended = false;         // flag 1: 's' instead of 'r'
  bool al_suspended = false;         // flag 6
  bool paused_by_user = false;       // flag 4 'u'
  bool paused_by_peer = false;       // flag 3 'p'
  uint64_t ns = 0, nr = 0, dw = 0, dr = 0;
  uint64_t al = 0, bm = 0;
  uint64_t lo = 0, pe = 0, ua = 0, ap = 0, ep = 1;
  char wo = 'f';
  uint64_t oos_kib = 0;
  uint64_t size_kib = 0;             // usable size of the volume
  std::optional<SyncProgress> sync;  // during SyncSource/SyncTarget/VerifyS/VerifyT (and paused)
  std::string split_brain;           // non-empty after a split brain was detected: what and when
  // The volume's exports while up (set by quorated, not the engine): the NBD
  // Unix socket RUN_DIR/nbd/RESOURCE.sock and the FUSE single file, if any.
  std::string nbd_socket;
  std::string nbd_tcp;  // "ADDR:PORT" when quorated serves NBD over TCP (--nbd-tcp)
  std::string fuse_file;
  std::string block_device;              // the loop device (quorated --block-devices)
  std::vector<std::string> block_links;  // the paths linked to it: /dev/drbd0, /dev/drbd/by-res/r0
};

}  // namespace quorate::replication
