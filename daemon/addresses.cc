// Nodelist address resolution and this node's selection. See addresses.h.
#include "daemon/addresses.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>

namespace quorate::daemon {

namespace {

// Addresses for one ring0_addr: the literal itself, or getaddrinfo's answers.
Result<std::vector<address>> resolve_one(const std::string& host) {
  boost::system::error_code ec;
  const address literal = boost::asio::ip::make_address(host, ec);
  if (!ec) return std::vector<address>{literal};

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* list = nullptr;
  const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &list);
  if (rc != 0) return Error{gai_strerror(rc)};
  std::vector<address> out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    address a;
    if (ai->ai_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      boost::asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), &sin->sin_addr, b.size());
      a = boost::asio::ip::address_v4(b);
    } else if (ai->ai_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      boost::asio::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), &sin6->sin6_addr, b.size());
      a = boost::asio::ip::address_v6(b, sin6->sin6_scope_id);
    } else {
      continue;
    }
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  ::freeaddrinfo(list);
  if (out.empty()) return Error{"no IPv4 or IPv6 address"};
  return out;
}

bool parse_nodeid(const std::string& s, uint32_t* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && ec == std::errc{} && end == s.data() + s.size();
}

std::string join_addresses(const std::vector<address>& list) {
  std::string out;
  for (const auto& a : list) {
    if (!out.empty()) out += ", ";
    out += a.to_string();
  }
  return out;
}

}  // namespace

Result<std::map<uint32_t, std::vector<address>>> resolve_nodelist(
    const membership::ClusterConfig& config) {
  std::map<uint32_t, std::vector<address>> out;
  for (const auto& n : config.nodes) {
    auto r = resolve_one(n.ring0_addr);
    if (!r.ok()) {
      return Error{fmt::format("{}: cannot resolve ring0_addr '{}' of node {}: {}", n.origin,
                               n.ring0_addr, n.nodeid, r.error().message)};
    }
    out[n.nodeid] = std::move(r).value();
  }
  return out;
}

Result<std::vector<address>> local_addresses() {
  ifaddrs* list = nullptr;
  if (::getifaddrs(&list) != 0) {
    return Error{fmt::format("getifaddrs: {}", std::strerror(errno))};
  }
  std::vector<address> out;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr) continue;
    if (i->ifa_addr->sa_family == AF_INET) {
      const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
      boost::asio::ip::address_v4::bytes_type b;
      std::memcpy(b.data(), &sin->sin_addr, b.size());
      out.emplace_back(boost::asio::ip::address_v4(b));
    } else if (i->ifa_addr->sa_family == AF_INET6) {
      const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
      boost::asio::ip::address_v6::bytes_type b;
      std::memcpy(b.data(), &sin6->sin6_addr, b.size());
      out.emplace_back(boost::asio::ip::address_v6(b, sin6->sin6_scope_id));
    }
  }
  ::freeifaddrs(list);
  return out;
}

Result<uint32_t> pick_self(const membership::ClusterConfig& config,
                           const std::optional<std::string>& node_arg,
                           const std::map<uint32_t, std::vector<address>>& resolved,
                           const std::vector<address>& local) {
  if (config.nodes.empty()) {
    return Error{fmt::format("{}: the nodelist is empty", config.source)};
  }
  if (node_arg) {
    uint32_t id = 0;
    if (parse_nodeid(*node_arg, &id) && config.find_node(id) != nullptr) return id;
    if (const auto* n = config.find_node_by_name(*node_arg)) return n->nodeid;
    return Error{
        fmt::format("--node {}: no node of that nodeid, name or ring0_addr in the "
                    "nodelist of {}",
                    *node_arg, config.source)};
  }
  std::vector<uint32_t> matches;
  for (const auto& n : config.nodes) {
    const auto it = resolved.find(n.nodeid);
    if (it == resolved.end()) continue;
    const bool is_local = std::any_of(it->second.begin(), it->second.end(), [&](const address& a) {
      return std::find(local.begin(), local.end(), a) != local.end();
    });
    if (is_local) matches.push_back(n.nodeid);
  }
  if (matches.size() == 1) return matches.front();
  if (matches.empty()) {
    return Error{
        fmt::format("no nodelist entry of {} has an address of this machine ({}); "
                    "name this node with --node NAME|NODEID",
                    config.source, join_addresses(local))};
  }
  std::string ids;
  for (uint32_t id : matches) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
  return Error{
      fmt::format("several nodelist entries of {} are addresses of this machine "
                  "(nodeids {}); name this node with --node NAME|NODEID",
                  config.source, ids)};
}

Result<std::map<uint32_t, udp::endpoint>> choose_endpoints(
    const membership::ClusterConfig& config, uint32_t self,
    const std::map<uint32_t, std::vector<address>>& resolved) {
  const auto self_it = resolved.find(self);
  if (self_it == resolved.end() || self_it->second.empty()) {
    return Error{fmt::format("node {} has no resolved address", self)};
  }
  const bool v4 = self_it->second.front().is_v4();
  std::map<uint32_t, udp::endpoint> out;
  for (const auto& n : config.nodes) {
    const auto it = resolved.find(n.nodeid);
    if (it == resolved.end()) return Error{fmt::format("node {} was not resolved", n.nodeid)};
    const auto a = std::find_if(it->second.begin(), it->second.end(),
                                [&](const address& x) { return x.is_v4() == v4; });
    if (a == it->second.end()) {
      return Error{fmt::format(
          "{}: ring0_addr '{}' of node {} has no {} address, but this node "
          "(nodeid {}) uses {}",
          n.origin, n.ring0_addr, n.nodeid, v4 ? "IPv4" : "IPv6", self, v4 ? "IPv4" : "IPv6")};
    }
    out[n.nodeid] = udp::endpoint(*a, config.port);
  }
  return out;
}

Result<NbdTcpListen> parse_nbd_tcp(const std::string& text) {
  const auto bad = [&](std::string_view why) { return Error{fmt::format("--nbd-tcp '{}': {}", text, why)}; };
  NbdTcpListen out;
  std::string host = text;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos) return bad("no ']' after the IPv6 address");
    host = text.substr(1, close - 1);
    const std::string rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected ':PORT' after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    host = text.substr(0, text.find(':'));
    port_text = text.substr(text.find(':') + 1);
    if (port_text.empty()) return bad("empty port");
  }
  boost::system::error_code ec;
  const address a = boost::asio::ip::make_address(host, ec);
  if (ec || host.empty()) return bad("not an IP address (write 127.0.0.1, 10.0.0.5, [::1]:10809 ...)");
  out.address = a.to_string();
  if (!port_text.empty()) {
    if (port_text.size() > 5 || port_text.find_first_not_of("0123456789") != std::string::npos) {
      return bad("the port is not a number");
    }
    const unsigned long p = std::stoul(port_text);
    if (p == 0 || p > 65535) return bad("the port is not in 1..65535");
    out.port = static_cast<uint16_t>(p);
  }
  return out;
}

}  // namespace quorate::daemon
