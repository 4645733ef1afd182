// Golden tests of the corosync-quorumtool and corosync-cfgtool layouts and
// their --json shapes (tests/unit/cli/golden/*).
#include "cli/render.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace quorate::cli {
namespace {

using testing::expect_golden;

QuorumRenderOptions utc() {
  QuorumRenderOptions o;
  o.utc = true;
  return o;
}

TEST(RenderQuorum, StatusQuorate) {
  expect_golden("quorumtool-s.txt", render_quorum_status(testing::three_node_quorate(), utc()));
}

TEST(RenderQuorum, StatusNotQuorate) {
  expect_golden("quorumtool-s-not-quorate.txt",
                render_quorum_status(testing::partitioned_not_quorate(), utc()));
}

TEST(RenderQuorum, StatusTwoNodeFlags) {
  expect_golden("quorumtool-s-two-node.txt",
                render_quorum_status(testing::two_node_wait_for_all(), utc()));
}

TEST(RenderQuorum, StatusHexAddressesByNodeid) {
  QuorumRenderOptions o = utc();
  o.hex_nodeids = true;
  o.show_addresses = true;
  o.order = MemberOrder::kNodeid;
  expect_golden("quorumtool-s-H-i-oi.txt", render_quorum_status(testing::three_node_quorate(), o));
}

TEST(RenderQuorum, List) {
  expect_golden("quorumtool-l.txt", render_membership(testing::three_node_quorate(), utc()));
}

TEST(RenderQuorum, ListMachineParsableByName) {
  QuorumRenderOptions o = utc();
  o.machine_parsable = true;
  o.order = MemberOrder::kName;
  expect_golden("quorumtool-l-p-on.txt", render_membership(testing::two_node_wait_for_all(), o));
}

TEST(RenderQuorum, Json) {
  expect_golden("quorumtool-s.json",
                quorum_status_json(testing::three_node_quorate()).dump(2) + "\n");
}

TEST(RenderQuorum, NoProviderShowsNotConfiguredAndNoVotes) {
  ipc::QuorumStatus s = testing::three_node_quorate();
  s.clear_provider();
  const std::string out = render_quorum_status(s, utc());
  EXPECT_NE(out.find("Quorum provider:  Not configured\n"), std::string::npos);
  EXPECT_EQ(out.find("Votequorum information"), std::string::npos);
  EXPECT_NE(out.find("    Nodeid Name\n"), std::string::npos);
}

TEST(RenderQuorum, RingIdAndDate) {
  EXPECT_EQ(format_ring_id(1, 0x1c), "1.1c");
  EXPECT_EQ(format_ring_id(0xa, 0x100000000ull), "a.100000000");
  EXPECT_EQ(format_ctime(testing::kSampleNowMs, true), "Wed Jun  5 11:21:49 2024");
  EXPECT_EQ(format_ctime(0, true), "Thu Jan  1 00:00:00 1970");
  EXPECT_EQ(format_ctime(1734567890000, true), "Thu Dec 19 00:24:50 2024");
}

TEST(RenderRing, Status) {
  expect_golden("cfgtool-s.txt", render_ring_status(testing::three_node_ring(false), {}));
}

TEST(RenderRing, Brief) {
  RingRenderOptions o;
  o.brief = true;
  expect_golden("cfgtool-s-b.txt", render_ring_status(testing::three_node_ring(false), o));
}

TEST(RenderRing, InterfaceFilter) {
  RingRenderOptions o;
  o.only_link = "127.0.0.1";
  EXPECT_EQ(render_ring_status(testing::three_node_ring(true), o),
            render_ring_status(testing::three_node_ring(true), {}));
  o.only_link = "0";
  EXPECT_EQ(render_ring_status(testing::three_node_ring(true), o),
            render_ring_status(testing::three_node_ring(true), {}));
  o.only_link = "10.9.9.9";
  EXPECT_EQ(render_ring_status(testing::three_node_ring(true), o),
            "Local node ID 1, transport udpu\n");
}

TEST(RenderRing, Json) {
  expect_golden("cfgtool-s.json", ring_status_json(testing::three_node_ring(false)).dump(2) + "\n");
}

}  // namespace
}  // namespace quorate::cli
