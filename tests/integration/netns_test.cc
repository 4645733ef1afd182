// Network partition with real quorated processes in network namespaces
// (../shared/TESTING.md): one namespace per node plus one holding the bridges,
// all created by this test with names carrying its pid, joined by veth pairs
// (node side eth0 10.213.0.N/16, no default route); nothing is created in the
// root namespace and no traffic leaves these namespaces.
//
// Five nodes form one ring; then nodes 1 and 2 are partitioned from 3, 4 and
// 5 by moving their bridge-side veth ends to a second, unconnected bridge
// (so 1 and 2 still reach each other: a real 2|3 split, not two isolated
// nodes). Only the 3-side may be quorate. Healing moves them back; all five
// must merge into one ring. A guard removes every namespace on every exit
// path, after the nodes are stopped. Needs root and `ip netns`; skipped
// otherwise.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/integration/harness.h"

namespace quorate::itest {
namespace {

constexpr int kNodes = 5;
constexpr const char* kPrefix = "qit";

// Creates and removes the namespaces, veths and bridges of one test.
class NetnsLab {
 public:
  explicit NetnsLab(int nodes) : nodes_(nodes), tag_(fmt::format("{}{}", kPrefix, ::getpid())) {}
  ~NetnsLab() {
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
      (void)run_command({"ip", "netns", "del", *it}, 10000ms);
    }
  }
  NetnsLab(const NetnsLab&) = delete;
  NetnsLab& operator=(const NetnsLab&) = delete;

  std::string bridge_ns() const { return tag_ + "-br"; }
  std::string node_ns(int i) const { return fmt::format("{}-n{}", tag_, i); }
  static std::string address(int i) { return fmt::format("10.213.0.{}", i); }

  // Builds the whole network; false with error() on the first failure.
  bool build() {
    if (!add_ns(bridge_ns())) return false;
    const std::string b = bridge_ns();
    if (!ip({"-n", b, "link", "set", "lo", "up"}) ||
        !ip({"-n", b, "link", "add", "br0", "type", "bridge"}) ||
        !ip({"-n", b, "link", "add", "br1", "type", "bridge"}) ||
        !ip({"-n", b, "link", "set", "br0", "up"}) || !ip({"-n", b, "link", "set", "br1", "up"})) {
      return false;
    }
    for (int i = 1; i <= nodes_; ++i) {
      const std::string n = node_ns(i);
      const std::string port = fmt::format("v{}", i);
      if (!add_ns(n) || !ip({"-n", n, "link", "set", "lo", "up"}) ||
          !ip({"-n", n, "link", "add", "eth0", "type", "veth", "peer", "name", port, "netns", b}) ||
          !ip({"-n", n, "addr", "add", address(i) + "/16", "dev", "eth0"}) ||
          !ip({"-n", n, "link", "set", "eth0", "up"}) ||
          !ip({"-n", b, "link", "set", port, "master", "br0"}) ||
          !ip({"-n", b, "link", "set", port, "up"})) {
        return false;
      }
    }
    return true;
  }

  // Moves the bridge-side ends of `nodes` to bridge `bridge` (br0: everyone
  // else; br1: an island).
  bool attach(const std::vector<int>& nodes, const std::string& bridge) {
    for (int i : nodes) {
      if (!ip({"-n", bridge_ns(), "link", "set", fmt::format("v{}", i), "master", bridge})) {
        return false;
      }
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool add_ns(const std::string& name) {
    if (!ip({"netns", "add", name})) return false;
    created_.push_back(name);
    return true;
  }

  bool ip(const std::vector<std::string>& rest) {
    std::vector<std::string> args{"ip"};
    for (const auto& a : rest) args.push_back(a);
    const auto r = run_command(args, 10000ms);
    if (r.exit_code == 0) return true;
    std::string cmd;
    for (const auto& a : args) cmd += a + " ";
    error_ = fmt::format("`{}` failed ({}): {}", cmd, r.exit_code, r.err);
    return false;
  }

  int nodes_;
  std::string tag_;
  std::vector<std::string> created_;
  std::string error_;
};

// Namespaces "qitPID-..." left by a run that died without its guard.
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

// Why this machine cannot run the test, or "" when it can.
std::string missing_prerequisite() {
  if (::geteuid() != 0) return "needs root to create network namespaces";
  const auto version = run_command({"ip", "-V"}, 5000ms);
  if (version.exit_code != 0) return "the `ip` command (iproute2) is not available";
  const std::string probe = fmt::format("{}{}-probe", kPrefix, ::getpid());
  const auto add = run_command({"ip", "netns", "add", probe}, 10000ms);
  if (add.exit_code != 0) return "`ip netns add` failed: " + add.err;
  (void)run_command({"ip", "netns", "del", probe}, 10000ms);
  return "";
}

TEST(NetnsTest, PartitionTwoThreeThenHeal) {
  const std::string missing = missing_prerequisite();
  if (!missing.empty()) GTEST_SKIP() << "network-namespace test skipped: " << missing;
  remove_stale_namespaces();

  NetnsLab lab(kNodes);  // declared first: destroyed after the cluster's processes
  ASSERT_TRUE(lab.build()) << lab.error();

  ClusterSpec spec;
  spec.port = 5405;  // fresh namespaces: nothing else there
  for (int i = 1; i <= kNodes; ++i) {
    spec.nodes.push_back(NodeSpec{NetnsLab::address(i), {"ip", "netns", "exec", lab.node_ns(i)}});
  }
  TestCluster cluster(spec);
  ASSERT_TRUE(cluster.ok()) << cluster.setup_error();
  std::string why;
  ASSERT_TRUE(cluster.start_all(&why)) << why;
  ASSERT_TRUE(cluster.wait_ring(range(1, 5), true));

  // Partition {1,2} | {3,4,5}.
  ASSERT_TRUE(lab.attach({1, 2}, "br1")) << lab.error();
  ASSERT_TRUE(cluster.wait_ring({3, 4, 5}, true));
  ASSERT_TRUE(cluster.wait_ring({1, 2}, false));
  for (int i : {1, 2}) {
    const auto q = cluster.quorum(i);
    ASSERT_TRUE(q);
    EXPECT_EQ(q->total_votes(), 2u) << "node" << i;
    EXPECT_EQ(q->quorum(), 3u) << "node" << i;
  }

  // Heal: one ring of all five, quorate everywhere.
  ASSERT_TRUE(lab.attach({1, 2}, "br0")) << lab.error();
  ASSERT_TRUE(cluster.wait_ring(range(1, 5), true));
  for (int i = 1; i <= kNodes; ++i) EXPECT_TRUE(cluster.running(i)) << "node" << i;
}

}  // namespace
}  // namespace quorate::itest
