// corosync-cfgtool -s layout (Corosync 3.1 tools/corosync-cfgtool.c, link
// status printed in link order):
//
//   Local node ID 1, transport udpu
//   LINK ID 0
//   	addr	= 127.0.0.1
//   	status:
//   		nodeid:   1:	localhost
//   		nodeid:   2:	connected
//   		nodeid:   3:	disconnected
//
// "LINK ID 0 " ends with a space: Corosync prints the link's knet transport
// after it, which is empty for udpu. With -b the status block is one line,
// "\tstatus\t= " followed by one character per node in nodeid order: 'n' for
// the local node, else '0' + (enabled | connected << 1), so '3' connected and
// '1' configured but not connected. Quorate has a single link (0) per node.
#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli/render.h"

namespace quorate::cli {

namespace {

std::vector<ipc::RingPeer> peers_by_nodeid(const ipc::RingStatus& status) {
  std::vector<ipc::RingPeer> peers(status.peers().begin(), status.peers().end());
  std::stable_sort(peers.begin(), peers.end(),
                   [](const auto& a, const auto& b) { return a.nodeid() < b.nodeid(); });
  return peers;
}

bool is_local(const ipc::RingStatus& status, const ipc::RingPeer& p) {
  return p.local() || p.nodeid() == status.local_nodeid();
}

std::string local_address(const ipc::RingStatus& status) {
  if (!status.local_address().empty()) return status.local_address();
  for (const auto& p : status.peers()) {
    if (is_local(status, p)) return p.address();
  }
  return "";
}

const char* peer_state(const ipc::RingStatus& status, const ipc::RingPeer& p) {
  if (is_local(status, p)) return "localhost";
  return p.connected() ? "connected" : "disconnected";
}

}  // namespace

std::string render_ring_status(const ipc::RingStatus& status, const RingRenderOptions& opts) {
  std::string out = fmt::format("Local node ID {}, transport {}\n", status.local_nodeid(),
                                status.transport().empty() ? "udpu" : status.transport());
  const std::string addr = local_address(status);
  if (!opts.only_link.empty() && opts.only_link != "0" && opts.only_link != addr) return out;
  out += "LINK ID 0 \n";
  out += fmt::format("\taddr\t= {}\n", addr);
  const auto peers = peers_by_nodeid(status);
  if (opts.brief) {
    out += "\tstatus\t= ";
    for (const auto& p : peers) {
      out += is_local(status, p) ? 'n' : (p.connected() ? '3' : '1');
    }
    out += "\n";
  } else {
    out += "\tstatus:\n";
    for (const auto& p : peers) {
      out += fmt::format("\t\tnodeid: {:>3}:\t{}\n", p.nodeid(), peer_state(status, p));
    }
  }
  return out;
}

nlohmann::json ring_status_json(const ipc::RingStatus& status) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& p : peers_by_nodeid(status)) {
    nodes.push_back({{"nodeid", p.nodeid()},
                     {"address", p.address()},
                     {"local", is_local(status, p)},
                     {"connected", is_local(status, p) || p.connected()},
                     {"status", peer_state(status, p)}});
  }
  nlohmann::json counters = nlohmann::json::object();
  for (const auto& [name, value] : status.counters()) counters[name] = value;
  return nlohmann::json{
      {"local_nodeid", status.local_nodeid()},
      {"transport", status.transport().empty() ? "udpu" : status.transport()},
      {"local_address", local_address(status)},
      {"state", status.state()},
      {"ring_id", format_ring_id(status.ring_rep(), status.ring_seq())},
      {"ring", {{"rep", status.ring_rep()}, {"seq", status.ring_seq()}}},
      {"links", nlohmann::json::array(
                    {{{"link", 0}, {"address", local_address(status)}, {"nodes", nodes}}})},
      {"counters", counters},
  };
}

}  // namespace quorate::cli
