#include "tests/integration/netns_lab.h"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <sstream>

#include "tests/integration/harness.h"

namespace quorate::itest {
namespace {

constexpr const char* kPrefix = "qit";

}  // namespace

NetnsLab::NetnsLab(int nodes) : nodes_(nodes), tag_(fmt::format("{}{}", kPrefix, ::getpid())) {}

NetnsLab::~NetnsLab() {
  for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
    (void)run_command({"ip", "netns", "del", *it}, 10000ms);
  }
}

std::string NetnsLab::node_ns(int i) const { return fmt::format("{}-n{}", tag_, i); }
std::string NetnsLab::address(int i) { return fmt::format("10.213.0.{}", i); }

bool NetnsLab::build() {
  if (!add_ns(bridge_ns())) return false;
  const std::string b = bridge_ns();
  if (!ip({"-n", b, "link", "set", "lo", "up"}) || !ip({"-n", b, "link", "add", "br0", "type", "bridge"}) ||
      !ip({"-n", b, "link", "add", "br1", "type", "bridge"}) || !ip({"-n", b, "link", "set", "br0", "up"}) ||
      !ip({"-n", b, "link", "set", "br1", "up"})) {
    return false;
  }
  for (int i = 1; i <= nodes_; ++i) {
    const std::string n = node_ns(i);
    const std::string port = fmt::format("v{}", i);
    if (!add_ns(n) || !ip({"-n", n, "link", "set", "lo", "up"}) ||
        !ip({"-n", n, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", b}) ||
        !ip({"-n", n, "addr", "add", address(i) + "/16", "dev", "eth0"}) ||
        !ip({"-n", n, "link", "set", "eth0", "up"}) || !ip({"-n", b, "link", "set", port, "master", "br0"}) ||
        !ip({"-n", b, "link", "set", port, "up"})) {
      return false;
    }
  }
  return true;
}

bool NetnsLab::attach(const std::vector<int>& nodes, const std::string& bridge) {
  for (int i : nodes) {
    if (!ip({"-n", bridge_ns(), "link", "set", fmt::format("v{}", i), "master", bridge})) return false;
  }
  return true;
}

bool NetnsLab::add_ns(const std::string& name) {
  if (!ip({"netns", "add", name})) return false;
  created_.push_back(name);
  return true;
}

bool NetnsLab::ip(const std::vector<std::string>& rest) {
  std::vector<std::string> args{"ip"};
  for (const auto& a : rest) args.push_back(a);
  const auto r = run_command(args, 10000ms);
  if (r.exit_code == 0) return true;
  std::string cmd;
  for (const auto& a : args) cmd += a + " ";
  error_ = fmt::format("`{}` failed ({}): {}", cmd, r.exit_code, r.err);
  return false;
}

void remove_stale_namespaces() {
  const auto list = run_command({"ip", "netns", "list"}, 10000ms);
  std::istringstream in(list.out);
  std::string line;
  while (std::getline(in, line)) {
    const std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kPrefix, 0) != 0) continue;
    const auto dash = name.find('-');
    if (dash == std::string::npos) continue;
    const std::string digits = name.substr(3, dash - 3);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t owner = static_cast<pid_t>(std::stol(digits));
    if (owner == ::getpid() || ::kill(owner, 0) == 0) continue;  // its owner still runs
    (void)run_command({"ip", "netns", "del", name}, 10000ms);
  }
}

std::string netns_missing_prerequisite() {
  if (::geteuid() != 0) return "needs root to create network namespaces";
  const auto version = run_command({"ip", "-V"}, 5000ms);
  if (version.exit_code != 0) return "the `ip` command (iproute2) is not available";
  const std::string probe = fmt::format("{}{}-probe", kPrefix, ::getpid());
  const auto add = run_command({"ip", "netns", "add", probe}, 10000ms);
  if (add.exit_code != 0) return "`ip netns add` failed: " + add.err;
  (void)run_command({"ip", "netns", "del", probe}, 10000ms);
  return "";
}

}  // namespace quorate::itest
