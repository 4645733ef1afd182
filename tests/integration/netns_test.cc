// Network partition with real quorated processes in network namespaces
// (netns_lab.h).
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
#include "tests/integration/netns_lab.h"

namespace quorate::itest {
namespace {

constexpr int kNodes = 5;

TEST(NetnsTest, PartitionTwoThreeThenHeal) {
  const std::string missing = netns_missing_prerequisite();
  if (!missing.empty()) GTEST_SKIP() << "network-namespace test skipped: " << missing;
  remove_stale_namespaces();

  NetnsLab lab(kNodes);  // declared first: destroyed after the cluster's processes
  ASSERT_TRUE(lab.build()) << lab.error();

  ClusterSpec spec;
  spec.port = 5405;  // fresh namespaces: nothing else there
  for (int i = 1; i <= kNodes; ++i) {
    spec.nodes.push_back(NodeSpec{NetnsLab::address(i), {"ip", "netns", "exec", lab.node_ns(i)}, {}});
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
