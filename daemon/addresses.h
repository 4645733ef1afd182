// Addresses of the nodelist, and which entry is this machine: resolving each
// node's ring0_addr (an IP literal or a host name) once at start-up, listing
// the local interface addresses (getifaddrs), and picking this node's entry
// from `--node NAME|NODEID` or from its address.
//
// Plain functions; the resolving ones block (getaddrinfo, getifaddrs) and are
// meant for start-up, before the event loop runs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // Asio 1.74 false positive, see ipc_server.h
#include <boost/asio/ip/udp.hpp>
#pragma GCC diagnostic pop

#include "common/result.h"
#include "membership/cluster_config.h"

namespace quorate::daemon {

using boost::asio::ip::address;
using boost::asio::ip::udp;

// Every address a nodelist entry's ring0_addr stands for, by nodeid. An IP
// literal stands for itself; a host name for what getaddrinfo returns. A name
// that does not resolve is an error naming the node and its origin.
Result<std::map<uint32_t, std::vector<address>>> resolve_nodelist(
    const membership::ClusterConfig& config);

// The addresses of this machine's interfaces (up or not).
Result<std::vector<address>> local_addresses();

// This node's nodelist entry:
//   --node given: a nodeid of the nodelist, else a name or ring0_addr of it;
//   otherwise: the single entry one of whose addresses is a local address.
// Errors say what was tried and how to fix it (e.g. "use --node").
Result<uint32_t> pick_self(const membership::ClusterConfig& config,
                           const std::optional<std::string>& node_arg,
                           const std::map<uint32_t, std::vector<address>>& resolved,
                           const std::vector<address>& local);

// One UDP endpoint per node (including self) at `port`, all of the address
// family of self's first address: the other nodes' first address of that
// family. An error when a node has no address of that family.
Result<std::map<uint32_t, udp::endpoint>> choose_endpoints(
    const membership::ClusterConfig& config, uint32_t self,
    const std::map<uint32_t, std::vector<address>>& resolved);

// `--nbd-tcp ADDR[:PORT]`: an IP literal (IPv6 in brackets when a port
// follows: "[::1]:10809") and a port, 10809 (NBD's) when none is given.
// Errors quote the text and say what is wrong.
struct NbdTcpListen {
  std::string address;  // as make_address accepts it, no brackets
  uint16_t port = 10809;
};
Result<NbdTcpListen> parse_nbd_tcp(const std::string& text);

}  // namespace quorate::daemon
