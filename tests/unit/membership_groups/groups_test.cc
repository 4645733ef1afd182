// ProcessGroups driven by the in-test agreed-order harness (harness.h): join,
// leave and send ordering, node departure and restart, late joiners and
// partition merges, local-only delivery, malformed input and limits.
#include "membership/groups.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <ostream>
#include <random>
#include <set>
#include <sstream>

#include "proto/groups.pb.h"
#include "tests/unit/membership_groups/harness.h"

namespace quorate::membership {

// Readable failures.
void PrintTo(const GroupMember& m, std::ostream* os) { *os << m.nodeid << ":" << m.pid; }
void PrintTo(const GroupAddress& a, std::ostream* os) {
  PrintTo(a.member, os);
  *os << "(" << to_string(a.reason) << ")";
}
void PrintTo(const GroupMembershipChange& c, std::ostream* os) {
  *os << "change " << c.group << " members [";
  for (const auto& m : c.members) PrintTo(m, os), *os << " ";
  *os << "] joined [";
  for (const auto& a : c.joined) PrintTo(a, os), *os << " ";
  *os << "] left [";
  for (const auto& a : c.left) PrintTo(a, os), *os << " ";
  *os << "]";
}
void PrintTo(const GroupMessage& m, std::ostream* os) {
  *os << "message " << m.group << " from ";
  PrintTo(m.from, os);
  *os << " '" << m.payload << "'";
}
void PrintTo(const GroupInfo& g, std::ostream* os) {
  *os << g.name << " [";
  for (const auto& m : g.members) PrintTo(m, os), *os << " ";
  *os << "]";
}

namespace {

using testing::changes;
using testing::GroupCluster;
using testing::messages;

GroupMember M(NodeId n, uint32_t pid) { return GroupMember{n, pid}; }
GroupAddress A(NodeId n, uint32_t pid, GroupReason r) { return GroupAddress{M(n, pid), r}; }

GroupCluster three() {
  GroupCluster c;
  for (NodeId n : {1, 2, 3}) c.start(n);
  c.ring({1, 2, 3});
  return c;
}

TEST(Groups, JoinLeaveAndSendInAgreedOrder) {
  GroupCluster c = three();
  ASSERT_TRUE(c.pg(1).join("g", 100).ok());
  ASSERT_TRUE(c.pg(2).join("g", 200).ok());
  ASSERT_TRUE(c.pg(3).join("g", 300).ok());
  c.pump({1, 2, 3});

  const std::vector<GroupMember> all{M(1, 100), M(2, 200), M(3, 300)};
  for (NodeId n : {1, 2, 3}) EXPECT_EQ(c.pg(n).members("g"), all) << "node " << n;

  // Node 1 saw every join; node 3 only its own, with the members before it.
  auto ch1 = changes(c.take_events(1));
  ASSERT_EQ(ch1.size(), 3u);
  EXPECT_EQ(ch1[0], (GroupMembershipChange{"g", {M(1, 100)}, {A(1, 100, GroupReason::kJoin)}, {}}));
  EXPECT_EQ(ch1[1].joined, (std::vector<GroupAddress>{A(2, 200, GroupReason::kJoin)}));
  EXPECT_EQ(ch1[2], (GroupMembershipChange{"g", all, {A(3, 300, GroupReason::kJoin)}, {}}));
  EXPECT_EQ(changes(c.take_events(2)).size(), 2u);
  auto ch3 = changes(c.take_events(3));
  ASSERT_EQ(ch3.size(), 1u);
  EXPECT_EQ(ch3[0], ch1[2]);

  // Messages: every member gets every message, in one order that keeps each
  // sender's own order.
  for (int k = 0; k < 3; ++k)
    for (NodeId n : {1, 2, 3})
      ASSERT_TRUE(c.pg(n).send("g", n * 100, std::to_string(n) + "." + std::to_string(k)).ok());
  c.pump({1, 2, 3});
  auto m1 = messages(c.take_events(1));
  ASSERT_EQ(m1.size(), 9u);
  EXPECT_EQ(messages(c.take_events(2)), m1);
  EXPECT_EQ(messages(c.take_events(3)), m1);
  std::map<NodeId, int> next;
  for (const auto& m : m1) {
    EXPECT_EQ(m.group, "g");
    EXPECT_EQ(m.from.pid, m.from.nodeid * 100);
    EXPECT_EQ(m.payload,
              std::to_string(m.from.nodeid) + "." + std::to_string(next[m.from.nodeid]++));
  }

  // A leave reaches everyone, the leaver included; afterwards it gets nothing.
  ASSERT_TRUE(c.pg(2).leave("g", 200).ok());
  EXPECT_FALSE(c.pg(2).send("g", 200, "late").ok());
  c.pump({1, 2, 3});
  const GroupMembershipChange left{
      "g", {M(1, 100), M(3, 300)}, {}, {A(2, 200, GroupReason::kLeave)}};
  for (NodeId n : {1, 2, 3}) {
    auto ch = changes(c.take_events(n));
    ASSERT_EQ(ch.size(), 1u) << "node " << n;
    EXPECT_EQ(ch[0], left);
  }
  ASSERT_TRUE(c.pg(1).send("g", 100, "after").ok());
  c.pump({1, 2, 3});
  EXPECT_TRUE(c.take_events(2).empty());
  EXPECT_EQ(messages(c.take_events(3)).size(), 1u);
}

TEST(Groups, AgreedOrderHoldsUnderShuffledInterleaving) {
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    GroupCluster c({}, seed);
    for (NodeId n : {1, 2, 3, 4}) c.start(n);
    c.ring({1, 2, 3, 4});
    for (NodeId n : {1, 2, 3, 4}) {
      ASSERT_TRUE(c.pg(n).join("g", 7).ok());
      for (int k = 0; k < 5; ++k) ASSERT_TRUE(c.pg(n).send("g", 7, std::to_string(k)).ok());
    }
    c.pump({1, 2, 3, 4});
    // Everyone sees the same sequence once it is a member; messages sent
    // before the sender's join was delivered still come after it (FIFO).
    auto e4 = c.take_events(4);
    for (NodeId n : {1, 2, 3}) {
      auto mine = messages(c.take_events(n));
      auto theirs = messages(e4);
      // Compare the common tail: node n may have joined before or after 4.
      size_t common = std::min(mine.size(), theirs.size());
      EXPECT_TRUE(std::equal(mine.end() - static_cast<long>(common), mine.end(),
                             theirs.end() - static_cast<long>(common)))
          << "seed " << seed << " node " << n;
    }
    for (NodeId n : {1, 2, 3, 4}) EXPECT_EQ(c.pg(n).members("g").size(), 4u);
  }
}

TEST(Groups, OnlyLocalMembersReceive) {
  GroupCluster c = three();
  ASSERT_TRUE(c.pg(1).join("g", 100).ok());
  ASSERT_TRUE(c.pg(2).join("g", 200).ok());
  c.pump({1, 2, 3});
  ASSERT_TRUE(c.pg(1).send("g", 100, "hello").ok());
  ASSERT_TRUE(c.pg(2).send("g", 200, "world").ok());
  c.pump({1, 2, 3});
  EXPECT_TRUE(c.take_events(3).empty());
  EXPECT_EQ(c.pg(3).counters().not_local, 2u);
  EXPECT_EQ(c.pg(3).counters().delivered, 0u);
  // Node 3 still knows the group (cpg_membership_get works everywhere).
  EXPECT_EQ(c.pg(3).members("g"), (std::vector<GroupMember>{M(1, 100), M(2, 200)}));
  EXPECT_EQ(messages(c.take_events(1)).size(), 2u);
  EXPECT_EQ(messages(c.take_events(2)).size(), 2u);
}

TEST(Groups, SendNeedsJoinButNotItsDelivery) {
  GroupCluster c = three();
  EXPECT_FALSE(c.pg(1).send("g", 100, "x").ok());
  ASSERT_TRUE(c.pg(1).join("g", 100).ok());
  ASSERT_TRUE(c.pg(1).send("g", 100, "first").ok());  // like CPG in JOIN_STARTED
  ASSERT_TRUE(c.pg(2).join("g", 200).ok());
  c.pump({1, 2, 3});
  auto e1 = c.take_events(1);
  ASSERT_EQ(e1.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<GroupMembershipChange>(e1[0]));
  EXPECT_EQ(std::get<GroupMessage>(e1[1]), (GroupMessage{"g", M(1, 100), "first"}));
  // Node 2's process joined after the message: it does not get it.
  auto e2 = c.take_events(2);
  ASSERT_EQ(e2.size(), 1u);
  EXPECT_EQ(changes(e2)[0].members, (std::vector<GroupMember>{M(1, 100), M(2, 200)}));
}

TEST(Groups, NodeDownIsReportedIdenticallyAtEverySurvivor) {
  GroupCluster c;
  for (NodeId n : {1, 2, 3, 4}) c.start(n);
  c.ring({1, 2, 3, 4});
  for (NodeId n : {1, 2, 3, 4}) ASSERT_TRUE(c.pg(n).join("g", n * 100).ok());
  ASSERT_TRUE(c.pg(3).join("g", 301).ok());
  ASSERT_TRUE(c.pg(3).join("h", 302).ok());
  ASSERT_TRUE(c.pg(1).join("h", 101).ok());
  c.pump({1, 2, 3, 4});
  for (NodeId n : {1, 2, 3, 4}) c.take_events(n);

  c.stop(3);
  c.ring({1, 2, 4});
  EXPECT_EQ(c.last_config(1).left, std::vector<NodeId>{3});
  const GroupMembershipChange g{
      "g",
      {M(1, 100), M(2, 200), M(4, 400)},
      {},
      {A(3, 300, GroupReason::kNodeDown), A(3, 301, GroupReason::kNodeDown)}};
  const GroupMembershipChange h{"h", {M(1, 101)}, {}, {A(3, 302, GroupReason::kNodeDown)}};
  auto e1 = changes(c.take_events(1));
  ASSERT_EQ(e1.size(), 2u);
  EXPECT_EQ(e1[0], g);
  EXPECT_EQ(e1[1], h);
  for (NodeId n : {2, 4}) {  // no local member of h there
    auto e = changes(c.take_events(n));
    ASSERT_EQ(e.size(), 1u) << "node " << n;
    EXPECT_EQ(e[0], g);
  }
  auto v = c.views();
  EXPECT_EQ(v[1], v[2]);
  EXPECT_EQ(v[1], v[4]);
}

TEST(Groups, LateJoinerLearnsExistingGroups) {
  GroupCluster c;
  c.start(1);
  c.start(2);
  c.ring({1, 2});
  ASSERT_TRUE(c.pg(1).join("g", 100).ok());
  ASSERT_TRUE(c.pg(1).join("h", 101).ok());
  ASSERT_TRUE(c.pg(2).join("g", 200).ok());
  c.pump({1, 2});
  c.take_events(1);
  c.take_events(2);

  c.start(3);
  ASSERT_TRUE(c.pg(3).join("g", 300).ok());  // asked before it is in any ring
  c.ring({1, 2, 3});
  auto v = c.views();
  EXPECT_EQ(v[3], v[1]);
  EXPECT_EQ(v[3], v[2]);
  EXPECT_EQ(c.pg(3).members("h"), std::vector<GroupMember>{M(1, 101)});
  EXPECT_EQ(c.pg(3).members("g"), (std::vector<GroupMember>{M(1, 100), M(2, 200), M(3, 300)}));
  // Node 3's process sees its own join with everyone already there.
  auto e3 = changes(c.take_events(3));
  ASSERT_FALSE(e3.empty());
  EXPECT_EQ(e3.back().members, c.pg(3).members("g"));
  EXPECT_EQ(e3.back().joined, (std::vector<GroupAddress>{A(3, 300, GroupReason::kJoin)}));
  for (NodeId n : {1, 2}) {
    auto e = changes(c.take_events(n));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].joined, (std::vector<GroupAddress>{A(3, 300, GroupReason::kJoin)}));
  }
  for (NodeId n : {1, 2, 3}) EXPECT_EQ(c.pg(n).counters().corrections, 0u);
}

TEST(Groups, PartitionsMergeAndLearnEachOtherWithNodeUp) {
  GroupCluster c = three();
  for (NodeId n : {1, 2, 3}) ASSERT_TRUE(c.pg(n).join("g", n * 100).ok());
  c.pump({1, 2, 3});
  for (NodeId n : {1, 2, 3}) c.take_events(n);

  c.partition({{1, 2}, {3}});
  for (NodeId n : {1, 2}) {
    auto e = changes(c.take_events(n));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0].left, (std::vector<GroupAddress>{A(3, 300, GroupReason::kNodeDown)}));
  }
  auto e3 = changes(c.take_events(3));
  ASSERT_EQ(e3.size(), 1u);
  EXPECT_EQ(e3[0].left, (std::vector<GroupAddress>{A(1, 100, GroupReason::kNodeDown),
                                                   A(2, 200, GroupReason::kNodeDown)}));
  // Each side changes on its own.
  ASSERT_TRUE(c.pg(3).join("g", 301).ok());
  ASSERT_TRUE(c.pg(1).leave("g", 100).ok());
  ASSERT_TRUE(c.pg(1).join("k", 102).ok());
  c.pump({3});
  c.pump({1, 2});
  for (NodeId n : {1, 2, 3}) c.take_events(n);

  c.ring({1, 2, 3});
  auto v = c.views();
  EXPECT_EQ(v[1], v[3]);
  EXPECT_EQ(v[2], v[3]);
  EXPECT_EQ(c.pg(3).members("g"), (std::vector<GroupMember>{M(2, 200), M(3, 300), M(3, 301)}));
  EXPECT_EQ(c.pg(3).members("k"), std::vector<GroupMember>{M(1, 102)});
  auto g2 = changes(c.take_events(2));
  ASSERT_EQ(g2.size(), 1u);
  EXPECT_EQ(g2[0].joined, (std::vector<GroupAddress>{A(3, 300, GroupReason::kNodeUp),
                                                     A(3, 301, GroupReason::kNodeUp)}));
  auto g3 = changes(c.take_events(3));
  ASSERT_EQ(g3.size(), 1u);  // nothing about k: no local member
  EXPECT_EQ(g3[0].joined, (std::vector<GroupAddress>{A(2, 200, GroupReason::kNodeUp)}));
  EXPECT_TRUE(c.take_events(1).empty());  // node 1 has no process in g any more
}

TEST(Groups, RestartedNodeLosesItsOldProcesses) {
  GroupCluster c = three();
  for (NodeId n : {1, 2, 3}) ASSERT_TRUE(c.pg(n).join("g", n * 100).ok());
  ASSERT_TRUE(c.pg(3).join("only3", 333).ok());
  c.pump({1, 2, 3});
  for (NodeId n : {1, 2, 3}) c.take_events(n);

  c.start(3);  // crash and quick restart: still in the ring's member list
  c.ring({1, 2, 3});
  EXPECT_EQ(c.last_config(1).left, std::vector<NodeId>{3});
  EXPECT_EQ(c.last_config(1).joined, std::vector<NodeId>{3});
  for (NodeId n : {1, 2}) {
    auto e = changes(c.take_events(n));
    ASSERT_EQ(e.size(), 1u);
    EXPECT_EQ(e[0], (GroupMembershipChange{
                        "g", {M(1, 100), M(2, 200)}, {}, {A(3, 300, GroupReason::kNodeDown)}}));
  }
  auto v = c.views();
  EXPECT_EQ(v[1], v[3]);
  EXPECT_EQ(v[2], v[3]);
  EXPECT_TRUE(c.pg(1).members("only3").empty());
  // The new life's process joins like any other.
  ASSERT_TRUE(c.pg(3).join("g", 300).ok());
  c.pump({1, 2, 3});
  EXPECT_EQ(c.pg(1).members("g"), (std::vector<GroupMember>{M(1, 100), M(2, 200), M(3, 300)}));
  EXPECT_EQ(c.views()[1], c.views()[3]);
}

TEST(Groups, RequestsInFlightAcrossARingChangeConverge) {
  GroupCluster c = three();
  for (NodeId n : {1, 2, 3}) ASSERT_TRUE(c.pg(n).join("g", n * 100).ok());
  c.pump({1, 2, 3});
  // Node 3 is cut off; its requests wait while the ring changes twice.
  c.partition({{1, 2}, {3}});
  ASSERT_TRUE(c.pg(3).leave("g", 300).ok());
  ASSERT_TRUE(c.pg(3).join("g", 301).ok());
  ASSERT_TRUE(c.pg(3).join("k", 302).ok());
  c.configure({{3}});
  c.configure({{1, 2, 3}});
  c.pump({1, 2, 3});
  auto v = c.views();
  EXPECT_EQ(v[1], v[3]);
  EXPECT_EQ(v[2], v[3]);
  EXPECT_EQ(c.pg(1).members("g"), (std::vector<GroupMember>{M(1, 100), M(2, 200), M(3, 301)}));
  EXPECT_EQ(c.pg(1).members("k"), std::vector<GroupMember>{M(3, 302)});
  for (NodeId n : {1, 2, 3}) EXPECT_EQ(c.pg(n).counters().corrections, 0u);

  // The same within one old ring: a new node arrives while requests are queued.
  c.start(4);
  ASSERT_TRUE(c.pg(2).leave("g", 200).ok());
  ASSERT_TRUE(c.pg(2).join("g", 201).ok());
  c.configure({{1, 2, 3, 4}});
  c.pump({1, 2, 3, 4});
  v = c.views();
  for (NodeId n : {1, 2, 3}) EXPECT_EQ(v[n], v[4]);
  EXPECT_EQ(c.pg(4).members("g"), (std::vector<GroupMember>{M(1, 100), M(2, 201), M(3, 301)}));
  for (NodeId n : {1, 2, 3, 4}) EXPECT_EQ(c.pg(n).counters().corrections, 0u);
}

TEST(Groups, ProcessDownLeavesEveryGroup) {
  GroupCluster c = three();
  ASSERT_TRUE(c.pg(1).join("g", 100).ok());
  ASSERT_TRUE(c.pg(1).join("h", 100).ok());
  ASSERT_TRUE(c.pg(2).join("g", 200).ok());
  ASSERT_TRUE(c.pg(2).join("h", 200).ok());
  c.pump({1, 2, 3});
  c.take_events(2);
  c.pg(1).process_down(100);
  c.pg(1).process_down(999);  // in no group: nothing
  EXPECT_FALSE(c.pg(1).joined_locally("g", 100));
  c.pump({1, 2, 3});
  auto e = changes(c.take_events(2));
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0],
            (GroupMembershipChange{"g", {M(2, 200)}, {}, {A(1, 100, GroupReason::kProcDown)}}));
  EXPECT_EQ(e[1],
            (GroupMembershipChange{"h", {M(2, 200)}, {}, {A(1, 100, GroupReason::kProcDown)}}));
}

// ------------------------------------------------------------ bad input

std::string encode(const quorate::groups::Message& m) { return m.SerializeAsString(); }

TEST(Groups, MalformedMessagesAreCountedAndDropped) {
  GroupLimits limits;
  limits.max_payload_bytes = 16;
  GroupCluster c(limits);
  c.start(1);
  c.start(2);
  c.ring({1, 2});
  ASSERT_TRUE(c.pg(1).join("g", 1).ok());
  c.pump({1, 2});
  c.take_events(1);
  const auto before = c.views();

  namespace pb = quorate::groups;
  std::vector<std::string> bad;
  bad.push_back("");                              // no body
  bad.push_back("\xff\xff\xff\xff\x0f");          // not protobuf
  bad.push_back(std::string("\x0a\x05\x0a", 3));  // truncated
  {
    pb::Message m;
    m.mutable_join()->set_pid(5);  // empty name
    bad.push_back(encode(m));
    m.mutable_join()->set_group(std::string(129, 'x'));  // too long
    bad.push_back(encode(m));
  }
  for (int reason : {0, 1, 3, 77}) {
    pb::Message m;
    m.mutable_leave()->set_group("g");
    m.mutable_leave()->set_pid(1);
    m.mutable_leave()->set_reason(static_cast<pb::Leave::Reason>(reason));
    bad.push_back(encode(m));
  }
  {
    pb::Message m;
    m.mutable_mcast()->set_group("g");
    m.mutable_mcast()->set_payload(std::string(17, 'p'));  // over the limit
    bad.push_back(encode(m));
  }
  {
    pb::Message m;  // unsorted names
    auto* jl = m.mutable_joinlist();
    auto* a = jl->add_groups();
    a->set_name("b");
    a->add_pids(1);
    auto* b = jl->add_groups();
    b->set_name("a");
    b->add_pids(1);
    bad.push_back(encode(m));
    b->set_name("b");  // duplicate names
    bad.push_back(encode(m));
  }
  {
    pb::Message m;  // duplicate pids, then no pids
    auto* g = m.mutable_joinlist()->add_groups();
    g->set_name("g");
    g->add_pids(3);
    g->add_pids(3);
    bad.push_back(encode(m));
    g->clear_pids();
    bad.push_back(encode(m));
  }
  {
    pb::Message m;  // more groups than allowed
    for (int i = 0; i < 1025; ++i) {
      auto* g = m.mutable_joinlist()->add_groups();
      char name[8];
      std::snprintf(name, sizeof name, "%05d", i);
      g->set_name(name);
      g->add_pids(1);
    }
    bad.push_back(encode(m));
  }
  {
    pb::Message m;  // more members than allowed
    auto* g = m.mutable_joinlist()->add_groups();
    g->set_name("g");
    for (uint32_t p = 1; p <= 4097; ++p) g->add_pids(p);
    bad.push_back(encode(m));
  }
  for (const auto& b : bad) c.deliver({1, 2}, 2, b);
  for (NodeId n : {1, 2}) {
    EXPECT_EQ(c.pg(n).counters().malformed, bad.size()) << "node " << n;
    EXPECT_TRUE(c.take_events(n).empty());
  }
  EXPECT_EQ(c.views(), before);
}

TEST(Groups, RandomBytesNeverBreakAgreement) {
  GroupCluster c;
  c.start(1);
  c.start(2);
  c.ring({1, 2});
  ASSERT_TRUE(c.pg(1).join("g", 1).ok());
  ASSERT_TRUE(c.pg(2).join("h", 2).ok());
  ASSERT_TRUE(c.pg(1).send("g", 1, "payload").ok());
  // Valid messages to mutate.
  std::vector<std::string> seeds;
  for (NodeId n : {1, 2})
    for (auto& p : c.pg(n).take_outgoing()) seeds.push_back(p);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 5000; ++i) {
    std::string b;
    if (i % 2) {
      b.resize(rng() % 64);
      for (auto& ch : b) ch = static_cast<char>(rng());
    } else {
      b = seeds[rng() % seeds.size()];
      for (int k = 0, flips = 1 + static_cast<int>(rng() % 3); k < flips && !b.empty(); ++k)
        b[rng() % b.size()] = static_cast<char>(rng());
    }
    c.deliver({1, 2}, static_cast<NodeId>(1 + rng() % 3), b);
  }
  auto v = c.views();
  EXPECT_EQ(v[1], v[2]);
  EXPECT_GT(c.pg(1).counters().malformed, 0u);
}

// ------------------------------------------------------------ limits

TEST(Groups, LocalRequestsAreBounded) {
  GroupLimits limits;
  limits.max_groups = 2;
  limits.max_members = 3;
  limits.max_outgoing = 4;
  limits.max_payload_bytes = 8;
  GroupCluster c(limits);
  c.start(1);
  c.ring({1});
  ProcessGroups& pg = c.pg(1);
  EXPECT_FALSE(pg.join("", 1).ok());
  EXPECT_FALSE(pg.join(std::string(129, 'n'), 1).ok());
  EXPECT_TRUE(pg.join(std::string(128, 'n'), 1).ok());
  EXPECT_FALSE(pg.join(std::string(128, 'n'), 1).ok());  // already joined
  EXPECT_TRUE(pg.join("g", 1).ok());
  EXPECT_FALSE(pg.join("third", 1).ok());  // a third group
  EXPECT_TRUE(pg.join("g", 2).ok());
  EXPECT_FALSE(pg.join("g", 3).ok());  // a fourth member
  EXPECT_FALSE(pg.leave("g", 9).ok());
  EXPECT_FALSE(pg.send("g", 9, "x").ok());
  EXPECT_FALSE(pg.send("g", 1, "123456789").ok());  // too large
  EXPECT_TRUE(pg.send("g", 1, "12345678").ok());
  EXPECT_EQ(pg.outgoing_size(), 4u);
  EXPECT_FALSE(pg.send("g", 1, "x").ok());  // queue full: try again
  c.pump({1});
  EXPECT_TRUE(pg.send("g", 1, "x").ok());
  EXPECT_EQ(pg.groups().size(), 2u);
}

TEST(Groups, RemoteJoinsOverTheLimitAreDroppedEverywhereAlike) {
  GroupLimits limits;
  limits.max_groups = 2;
  GroupCluster c(limits);
  c.start(1);
  c.start(2);
  c.ring({1, 2});
  ASSERT_TRUE(c.pg(1).join("g1", 1).ok());
  ASSERT_TRUE(c.pg(1).join("g3", 1).ok());
  ASSERT_TRUE(c.pg(2).join("g2", 2).ok());  // both checked locally before delivery
  c.pump({1, 2});
  auto v = c.views();
  EXPECT_EQ(v[1], v[2]);
  EXPECT_EQ(v[1].size(), 2u);
  EXPECT_EQ(c.pg(1).counters().over_limit, c.pg(2).counters().over_limit);
  EXPECT_GE(c.pg(1).counters().over_limit, 1u);
}

TEST(Groups, UnsentJoinListIsReplacedByTheNewerOne) {
  GroupCluster c;
  c.start(1);
  c.start(2);
  c.ring({1, 2});
  ASSERT_TRUE(c.pg(1).join("g", 1).ok());
  c.pump({1, 2});
  c.configure({{1, 2}});
  c.configure({{1, 2}});
  c.configure({{1, 2}});
  EXPECT_EQ(c.pg(1).outgoing_size(), 1u);  // one JoinList, not three
  EXPECT_EQ(c.pg(2).outgoing_size(), 0u);  // nothing to tell
  c.pump({1, 2});
  EXPECT_EQ(c.views()[1], c.views()[2]);
}

// ------------------------------------------------------------ property

// Random requests, partitions, merges and restarts; requests are left in
// flight across ring changes at random. After a final ring of everyone, all
// views agree and equal what the live processes asked for, and a round of
// messages reaches every member in the same order.
TEST(Groups, RandomHistoriesConverge) {
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    std::mt19937_64 rng(seed);
    auto pick = [&](uint64_t lo, uint64_t hi) {
      return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
    };
    GroupCluster c({}, seed);
    const std::vector<NodeId> all{1, 2, 3, 4, 5};
    for (NodeId n : all) c.start(n);
    c.ring(all);
    const std::vector<std::string> names{"a", "b", "c"};
    std::vector<std::vector<NodeId>> rings{all};
    for (int step = 0; step < 40; ++step) {
      // Some requests.
      for (int k = 0, ops = static_cast<int>(pick(0, 6)); k < ops; ++k) {
        NodeId n = all[pick(0, all.size() - 1)];
        const std::string& g = names[pick(0, names.size() - 1)];
        uint32_t pid = static_cast<uint32_t>(pick(1, 3));
        switch (pick(0, 3)) {
          case 0:
            (void)c.pg(n).join(g, pid);
            break;
          case 1:
            (void)c.pg(n).leave(g, pid);
            break;
          case 2:
            c.pg(n).process_down(pid);
            break;
          default:
            (void)c.pg(n).send(g, pid, "m");
            break;
        }
      }
      // Deliver some of it, or change the rings with it still queued.
      switch (pick(0, 4)) {
        case 0: {  // a partition in two
          std::vector<NodeId> a, b;
          for (NodeId n : all) (pick(0, 1) ? a : b).push_back(n);
          rings.clear();
          if (!a.empty()) rings.push_back(a);
          if (!b.empty()) rings.push_back(b);
          c.configure(rings);
          break;
        }
        case 1: {  // a restart, then the node's ring reforms with it
          NodeId n = all[pick(0, all.size() - 1)];
          c.start(n);
          for (const auto& r : rings)
            if (std::count(r.begin(), r.end(), n)) c.configure({r});
          break;
        }
        case 2:  // everyone merges
          rings = {all};
          c.configure(rings);
          break;
        default:
          break;
      }
      if (pick(0, 2))
        for (const auto& r : rings) c.pump(r);
    }
    c.ring(all);
    auto v = c.views();
    for (NodeId n : all) ASSERT_EQ(v[n], v[1]) << "seed " << seed << " node " << n;
    // The view is exactly what the live processes asked for.
    std::map<std::string, std::set<GroupMember>> want;
    for (NodeId n : all)
      for (const auto& g : names)
        for (uint32_t pid = 1; pid <= 3; ++pid)
          if (c.pg(n).joined_locally(g, pid)) want[g].insert(M(n, pid));
    std::map<std::string, std::set<GroupMember>> have;
    for (const auto& g : v[1]) have[g.name].insert(g.members.begin(), g.members.end());
    EXPECT_EQ(have, want) << "seed " << seed;
    for (NodeId n : all) EXPECT_EQ(c.pg(n).counters().corrections, 0u) << "seed " << seed;

    // Everyone sends once to each of its groups; members agree on the order.
    for (NodeId n : all) c.take_events(n);
    for (const auto& [g, members] : want)
      for (const auto& m : members) ASSERT_TRUE(c.pg(m.nodeid).send(g, m.pid, "x").ok());
    c.pump(all);
    std::map<std::string, std::vector<GroupMember>> order;
    for (NodeId n : all) {
      std::map<std::string, std::vector<GroupMember>> mine;
      for (const auto& m : messages(c.take_events(n))) mine[m.group].push_back(m.from);
      for (auto& [g, seq] : mine) {
        auto [it, fresh] = order.emplace(g, seq);
        EXPECT_TRUE(fresh || it->second == seq) << "seed " << seed << " group " << g;
      }
    }
  }
}

}  // namespace
}  // namespace quorate::membership
