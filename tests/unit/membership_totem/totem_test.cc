// Focused tests of Totem's rules, each on a small in-test network with a
// manual clock. The simulator (tests/sim) covers random histories; these pin
// down single behaviours and the branches they take (counters as marks).
#include "membership/totem.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <vector>

#include "proto/totem.pb.h"

namespace quorate::membership {
namespace {

struct Net {
  struct InFlight {
    NodeId from, to;
    std::shared_ptr<const std::string> bytes;
  };
  std::map<NodeId, std::unique_ptr<Totem>> nodes;
  std::map<NodeId, std::vector<TotemEvent>> events;
  std::vector<InFlight> wire;
  std::set<NodeId> down;                        // dropped to and from
  std::function<bool(const InFlight&)> filter;  // true: drop
  Time now{ms(1)};
  TotemParams params;

  explicit Net(int n) {
    params.token_ms = 1000;
    params.token_retransmit_ms = 238;
    params.hold_ms = 180;
    params.consensus_ms = 1200;
    std::vector<NodeId> ids;
    for (int i = 1; i <= n; ++i) ids.push_back(static_cast<NodeId>(i));
    for (NodeId id : ids) nodes[id] = std::make_unique<Totem>(id, ids, params, 100 + id, 0, now);
    drain_all();
  }
  void drain(NodeId id) {
    Ready r = nodes[id]->take_ready();
    for (auto& m : r.messages) wire.push_back({id, m.to, m.bytes});
    for (auto& e : r.events) events[id].push_back(std::move(e));
  }
  void drain_all() {
    for (auto& [id, t] : nodes) drain(id);
  }
  // Deliver everything on the wire (0 delay), then advance the clock by
  // `step` and tick; repeat for `duration`.
  void run(Time duration, Time step = ms(1)) {
    Time end = now + duration;
    while (now < end) {
      for (int rounds = 0; rounds < 10000 && !wire.empty(); ++rounds) {
        auto batch = std::move(wire);
        wire.clear();
        for (auto& p : batch) {
          if (down.count(p.from) || down.count(p.to) || !nodes.count(p.to)) continue;
          if (filter && filter(p)) continue;
          (void)nodes[p.to]->step(input::Receive{p.from, *p.bytes}, now);
          drain(p.to);
        }
      }
      now += step;
      for (auto& [id, t] : nodes) {
        if (down.count(id)) continue;
        if (now >= t->next_deadline()) {
          (void)t->step(input::Tick{}, now);
          drain(id);
        }
      }
    }
  }
  bool one_ring(const std::vector<NodeId>& want) {
    for (NodeId id : want) {
      const auto& t = *nodes[id];
      if (t.state() != TotemState::kOperational || t.members() != want) return false;
    }
    return true;
  }
  std::vector<std::string> delivered(NodeId id) {
    std::vector<std::string> v;
    for (auto& e : events[id])
      if (auto* d = std::get_if<Delivery>(&e)) v.push_back(d->payload);
    return v;
  }
};

TEST(Totem, ThreeNodesFormOneRingAndDeliverInOneOrder) {
  Net net(3);
  net.run(ms(500));
  ASSERT_TRUE(net.one_ring({1, 2, 3}));
  for (int i = 0; i < 30; ++i) {
    NodeId from = static_cast<NodeId>(1 + i % 3);
    ASSERT_TRUE(net.nodes[from]->step(input::Submit{"m" + std::to_string(i)}, net.now).ok());
    net.drain(from);
  }
  net.run(ms(500));
  auto d1 = net.delivered(1);
  EXPECT_EQ(d1.size(), 30u);
  EXPECT_EQ(net.delivered(2), d1);
  EXPECT_EQ(net.delivered(3), d1);
}

TEST(Totem, LargeMessagesAreFragmentedAndReassembled) {
  Net net(2);
  net.params.fragment_bytes = 1400;
  net.run(ms(300));
  std::string big(64 * 1024, 'x');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(net.nodes[1]->step(input::Submit{big}, net.now).ok());
  net.drain(1);
  net.run(ms(300));
  ASSERT_EQ(net.delivered(2).size(), 1u);
  EXPECT_EQ(net.delivered(2)[0], big);
}

TEST(Totem, OversizedSubmitAndFullQueueAreRefused) {
  Net net(1);
  std::string huge(net.params.max_message_bytes + 1, 'x');
  Status st = net.nodes[1]->step(input::Submit{huge}, net.now);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("exceeds the limit"), std::string::npos);
  EXPECT_EQ(net.nodes[1]->counters().submit_rejected, 1u);
}

TEST(Totem, CrashedMemberIsFailedAfterTokenAndConsensus) {
  Net net(3);
  net.run(ms(500));
  ASSERT_TRUE(net.one_ring({1, 2, 3}));
  net.down.insert(3);
  Time killed = net.now;
  Time formed{0};
  for (int i = 0; i < 5000 && formed == Time{0}; ++i) {
    net.run(ms(1));
    if (net.one_ring({1, 2})) formed = net.now;
  }
  ASSERT_NE(formed, Time{0});
  // token loss + consensus timeout + a few milliseconds of commit/recovery.
  EXPECT_LE(formed - killed, ms(net.params.token_ms + net.params.consensus_ms + 50));
  EXPECT_GE(net.nodes[1]->counters().consensus_timeouts, 1u);
}

TEST(Totem, CleanLeaveReformsWithoutWaitingForTimeouts) {
  Net net(3);
  net.run(ms(500));
  ASSERT_TRUE(net.one_ring({1, 2, 3}));
  ASSERT_TRUE(net.nodes[2]->step(input::Leave{}, net.now).ok());
  net.drain(2);
  Time left = net.now;
  net.run(ms(1));  // the leave announcements go out; then node 2 is gone
  net.down.insert(2);
  Time formed{0};
  for (int i = 0; i < 3000 && formed == Time{0}; ++i) {
    net.run(ms(1));
    if (net.one_ring({1, 3})) formed = net.now;
  }
  ASSERT_NE(formed, Time{0});
  EXPECT_LT(formed - left, ms(net.params.token_ms));  // no token loss needed
  EXPECT_EQ(net.nodes[1]->counters().token_losses, 0u);
}

TEST(Totem, MalformedAndForeignPacketsAreCountedAndDropped) {
  Net net(2);
  net.run(ms(300));
  auto& t = *net.nodes[1];
  uint64_t before = t.counters().malformed;
  (void)t.step(input::Receive{2, "\x01\x02garbage"}, net.now);
  (void)t.step(input::Receive{9, ""}, net.now);  // not in the nodelist
  totem::Packet p;
  p.set_sender(3);  // claims another sender than the frame says
  p.set_incarnation(1);
  p.mutable_merge();
  std::string bytes = p.SerializeAsString();
  (void)t.step(input::Receive{2, bytes}, net.now);
  EXPECT_EQ(t.counters().malformed, before + 3);
  net.run(ms(300));
  EXPECT_TRUE(net.one_ring({1, 2}));
}

TEST(Totem, PacketsOfAnEarlierIncarnationAreStale) {
  Net net(2);
  net.run(ms(300));
  // Node 2 restarts with a higher incarnation; a late packet of its old
  // life must not be taken.
  totem::Packet old;
  old.set_sender(2);
  old.set_incarnation(102);  // node 2's first life
  old.mutable_merge()->mutable_ring()->set_rep(2);
  net.nodes[2] = std::make_unique<Totem>(2, std::vector<NodeId>{1, 2}, net.params, 500, 0, net.now);
  net.drain(2);
  net.run(ms(500));
  ASSERT_TRUE(net.one_ring({1, 2}));
  uint64_t stale = net.nodes[1]->counters().stale;
  (void)net.nodes[1]->step(input::Receive{2, old.SerializeAsString()}, net.now);
  EXPECT_EQ(net.nodes[1]->counters().stale, stale + 1);
}

TEST(Totem, LostTokenIsResentAfterARoundTripNotAfterTokenRetransmit) {
  Net net(3);
  net.run(ms(500));
  ASSERT_TRUE(net.one_ring({1, 2, 3}));
  // Drop the next token node 1 sends, once.
  bool dropped = false;
  net.filter = [&](const Net::InFlight& p) {
    if (dropped || p.from != 1) return false;
    totem::Packet pk;
    if (!pk.ParseFromString(*p.bytes) || !pk.has_token()) return false;
    dropped = true;
    return true;
  };
  ASSERT_TRUE(net.nodes[1]->step(input::Submit{"x"}, net.now).ok());
  net.drain(1);
  net.run(ms(100));
  EXPECT_TRUE(dropped);
  EXPECT_GE(net.nodes[1]->counters().token_retransmits, 1u);
  EXPECT_EQ(net.delivered(3), std::vector<std::string>{"x"});  // within 100 ms, not 238
  EXPECT_TRUE(net.one_ring({1, 2, 3}));
}

TEST(Totem, PartitionHealsIntoOneRing) {
  Net net(4);
  net.run(ms(500));
  ASSERT_TRUE(net.one_ring({1, 2, 3, 4}));
  auto side = [](NodeId n) { return n <= 2 ? 0 : 1; };
  net.filter = [&](const Net::InFlight& p) { return side(p.from) != side(p.to); };
  net.run(ms(4000));
  EXPECT_TRUE(net.one_ring({1, 2}));
  EXPECT_TRUE(net.one_ring({3, 4}));
  net.filter = nullptr;
  net.run(ms(2000));
  EXPECT_TRUE(net.one_ring({1, 2, 3, 4}));
}

TEST(Totem, TransitionalConfigurationPrecedesEachRegularOne) {
  Net net(3);
  net.run(ms(500));
  net.events.clear();
  net.down.insert(3);
  net.run(ms(3000));
  ASSERT_TRUE(net.one_ring({1, 2}));
  std::vector<Configuration> configs;
  for (auto& e : net.events[1])
    if (auto* c = std::get_if<Configuration>(&e)) configs.push_back(*c);
  ASSERT_EQ(configs.size(), 2u);
  EXPECT_TRUE(configs[0].transitional);
  EXPECT_EQ(configs[0].members, (std::vector<NodeId>{1, 2}));
  EXPECT_FALSE(configs[1].transitional);
  EXPECT_EQ(configs[1].left, std::vector<NodeId>{3});
  EXPECT_TRUE(configs[1].joined.empty());
}

}  // namespace
}  // namespace quorate::membership
