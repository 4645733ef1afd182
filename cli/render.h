// Pure renderers for the membership/quorum status views: the human layouts of
// Corosync 3's corosync-quorumtool (-s, -l) and corosync-cfgtool (-s, -b), and
// this project's --json shapes of the same facts (documented in
// docs/formats/status-json.md). Same input, same output: no clock, no
// environment (the "Date:" line comes from QuorumStatus.now_unix_ms), so
// golden tests can pin them byte for byte.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "proto/ipc.pb.h"

namespace quorate::cli {

enum class MemberOrder { kAddress, kName, kNodeid };  // corosync-quorumtool -o a|n|i

struct QuorumRenderOptions {
  bool hex_nodeids = false;       // -H: 0x%08x
  bool show_addresses = false;    // -i: ring0 address instead of the name
  bool machine_parsable = false;  // -p: adds the Qdevice column
  MemberOrder order = MemberOrder::kAddress;
  bool utc = false;  // "Date:" in UTC instead of local time (tests)
};

// "1.2f": representative in hex, '.', sequence in hex (Corosync 3's Ring ID).
std::string format_ring_id(uint32_t rep, uint64_t seq);

// ctime(3)-style date without the newline: "Wed Jun  5 11:41:49 2024".
std::string format_ctime(int64_t unix_ms, bool utc);

// corosync-quorumtool -s: Quorum information, Votequorum information and
// Membership information blocks.
std::string render_quorum_status(const ipc::QuorumStatus& status, const QuorumRenderOptions& opts);

// corosync-quorumtool -l: the Membership information block (it starts with an
// empty line, as Corosync's does).
std::string render_membership(const ipc::QuorumStatus& status, const QuorumRenderOptions& opts);

nlohmann::json quorum_status_json(const ipc::QuorumStatus& status);

struct RingRenderOptions {
  bool brief = false;     // -b: one status character per node
  std::string only_link;  // -i: show the link only if its number or address matches
};

// corosync-cfgtool -s (and -b).
std::string render_ring_status(const ipc::RingStatus& status, const RingRenderOptions& opts);

nlohmann::json ring_status_json(const ipc::RingStatus& status);

}  // namespace quorate::cli
