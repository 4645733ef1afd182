// corosync-quorumtool layouts (Corosync 3.1 tools/corosync-quorumtool.c):
//
//   Quorum information
//   ------------------
//   Date:             Wed Jun  5 11:41:49 2024
//   Quorum provider:  corosync_votequorum
//   Nodes:            3
//   Node ID:          1
//   Ring ID:          1.c
//   Quorate:          Yes
//
//   Votequorum information
//   ----------------------
//   Expected votes:   3
//   Highest expected: 3
//   Total votes:      3
//   Quorum:           2
//   Flags:            Quorate
//
//   Membership information
//   ----------------------
//       Nodeid      Votes Name
//            1          1 node1 (local)
//
// Quirks kept on purpose because scripts parse them: "Quorum:" is followed by
// a space and then either one more space or "Activity blocked"; every flag is
// followed by a space; table columns are right-aligned to 10 characters plus
// one space; -H prints ids as 0x%08x.
#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "cli/render.h"

namespace quorate::cli {

namespace {

constexpr const char* kVotequorum = "corosync_votequorum";

// Corosync's print_string_padded(): right-aligned in 10 columns, then a space.
std::string padded(std::string_view s) { return fmt::format("{:>10} ", s); }

std::string nodeid_text(uint32_t id, bool hex) {
  return hex ? fmt::format("0x{:08x}", id) : fmt::format("{}", id);
}

std::string member_label(const ipc::QuorumMember& m, bool show_addresses) {
  if (show_addresses) return m.address().empty() ? m.name() : m.address();
  return m.name().empty() ? m.address() : m.name();
}

// Sort key for addresses: family, then the binary address; names that are
// not literals sort after all literals, by text.
std::string address_key(const std::string& addr) {
  unsigned char raw[16] = {};
  if (inet_pton(AF_INET, addr.c_str(), raw) == 1) {
    return "1" + std::string(reinterpret_cast<char*>(raw), 4);
  }
  if (inet_pton(AF_INET6, addr.c_str(), raw) == 1) {
    return "2" + std::string(reinterpret_cast<char*>(raw), 16);
  }
  return "3" + addr;
}

std::vector<ipc::QuorumMember> ordered_members(const ipc::QuorumStatus& status,
                                               const QuorumRenderOptions& opts) {
  std::vector<ipc::QuorumMember> members(status.members().begin(), status.members().end());
  switch (opts.order) {
    case MemberOrder::kNodeid:
      std::stable_sort(members.begin(), members.end(),
                       [](const auto& a, const auto& b) { return a.nodeid() < b.nodeid(); });
      break;
    case MemberOrder::kName:
      std::stable_sort(members.begin(), members.end(), [&](const auto& a, const auto& b) {
        return member_label(a, opts.show_addresses) < member_label(b, opts.show_addresses);
      });
      break;
    case MemberOrder::kAddress:
      std::stable_sort(members.begin(), members.end(), [](const auto& a, const auto& b) {
        return address_key(a.address()) < address_key(b.address());
      });
      break;
  }
  return members;
}

bool using_votequorum(const ipc::QuorumStatus& status) { return status.provider() == kVotequorum; }

}  // namespace

std::string format_ring_id(uint32_t rep, uint64_t seq) {
  return fmt::format("{:x}.{:x}", rep, seq);
}

std::string format_ctime(int64_t unix_ms, bool utc) {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  if (utc) {
    gmtime_r(&secs, &tm);
  } else {
    localtime_r(&secs, &tm);
  }
  return fmt::format("{} {}{:3} {:02}:{:02}:{:02} {}", kDays[static_cast<size_t>(tm.tm_wday % 7)],
                     kMonths[static_cast<size_t>(tm.tm_mon % 12)], tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, tm.tm_year + 1900);
}

std::string render_membership(const ipc::QuorumStatus& status, const QuorumRenderOptions& opts) {
  const bool vq = using_votequorum(status);
  std::string out = "\nMembership information\n----------------------\n";
  out += padded("Nodeid");
  if (vq) {
    out += padded("Votes");
    if (opts.machine_parsable) out += padded("Qdevice");
  }
  out += "Name\n";
  for (const auto& m : ordered_members(status, opts)) {
    out += opts.hex_nodeids ? nodeid_text(m.nodeid(), true) + " "
                            : padded(nodeid_text(m.nodeid(), false));
    if (vq) {
      out += padded(fmt::format("{}", m.votes()));
      if (opts.machine_parsable) out += padded("NR");  // no quorum device registered
    }
    out += member_label(m, opts.show_addresses);
    if (m.local()) out += " (local)";
    out += "\n";
  }
  return out;
}

std::string render_quorum_status(const ipc::QuorumStatus& status, const QuorumRenderOptions& opts) {
  const bool vq = using_votequorum(status);
  std::string out = "Quorum information\n------------------\n";
  out += fmt::format("Date:             {}\n", format_ctime(status.now_unix_ms(), opts.utc));
  out += fmt::format("Quorum provider:  {}\n",
                     status.provider().empty() ? "Not configured" : status.provider());
  out += fmt::format("Nodes:            {}\n", status.members_size());
  out +=
      fmt::format("Node ID:          {}\n", nodeid_text(status.local_nodeid(), opts.hex_nodeids));
  out +=
      fmt::format("Ring ID:          {}\n", format_ring_id(status.ring_rep(), status.ring_seq()));
  out += fmt::format("Quorate:          {}\n", status.quorate() ? "Yes" : "No");
  if (vq) {
    out += "\nVotequorum information\n----------------------\n";
    out += fmt::format("Expected votes:   {}\n", status.expected_votes());
    out += fmt::format("Highest expected: {}\n", status.highest_expected());
    out += fmt::format("Total votes:      {}\n", status.total_votes());
    out += fmt::format("Quorum:           {} {}\n", status.quorum(),
                       status.quorate() ? " " : "Activity blocked");
    out += "Flags:            ";
    for (const auto& flag : status.flags()) out += flag + " ";
    out += "\n";
  }
  out += render_membership(status, opts);
  return out;
}

nlohmann::json quorum_status_json(const ipc::QuorumStatus& status) {
  nlohmann::json members = nlohmann::json::array();
  QuorumRenderOptions by_nodeid;
  by_nodeid.order = MemberOrder::kNodeid;
  for (const auto& m : ordered_members(status, by_nodeid)) {
    members.push_back({{"nodeid", m.nodeid()},
                       {"name", m.name()},
                       {"address", m.address()},
                       {"votes", m.votes()},
                       {"expected_votes", m.expected_votes()},
                       {"local", m.local()}});
  }
  nlohmann::json flags = nlohmann::json::array();
  for (const auto& f : status.flags()) flags.push_back(f);
  return nlohmann::json{
      {"now_unix_ms", status.now_unix_ms()},
      {"cluster_name", status.cluster_name()},
      {"provider", status.provider()},
      {"local_nodeid", status.local_nodeid()},
      {"ring_id", format_ring_id(status.ring_rep(), status.ring_seq())},
      {"ring", {{"rep", status.ring_rep()}, {"seq", status.ring_seq()}}},
      {"quorate", status.quorate()},
      {"nodes", status.members_size()},
      {"expected_votes", status.expected_votes()},
      {"highest_expected", status.highest_expected()},
      {"total_votes", status.total_votes()},
      {"quorum", status.quorum()},
      {"flags", flags},
      {"members", members},
  };
}

}  // namespace quorate::cli
