// Process groups through real MembershipNode instances (Totem + votequorum +
// groups) over an in-memory network with a shared simulated clock, the way
// tests/sim drives them: three nodes agree on a group's membership and on the
// order of its messages, and the survivors of a crash see the same NODEDOWN.
#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "membership/cluster_config.h"
#include "membership/node.h"

namespace quorate::membership {
namespace {

class Network {
 public:
  // `loss`: share of packets dropped, drawn from `seed`.
  explicit Network(std::vector<NodeId> ids, double loss = 0, uint64_t seed = 1)
      : ids_(std::move(ids)), loss_(loss), rng_(seed) {
    config_.source = "test";
    config_.quorum.provider = "corosync_votequorum";
    for (NodeId id : ids_) {
      NodeEntry e;
      e.nodeid = id;
      e.ring0_addr = "mem-" + std::to_string(id);
      config_.nodes.push_back(e);
    }
    TotemTimers timers;
    timers.token_ms = 1000;
    auto e = effective_timers(timers, ids_.size());
    params_.token_ms = e.token_ms;
    params_.token_retransmit_ms = e.token_retransmit_ms;
    params_.hold_ms = e.hold_ms;
    params_.consensus_ms = e.consensus_ms;
    params_.join_ms = e.join_ms;
    params_.merge_ms = e.merge_ms;
    params_.fail_recv_const = e.fail_recv_const;
    params_.window_size = e.window_size;
    params_.max_messages = e.max_messages;
    params_.fragment_bytes = 64;  // exercise fragmentation of group messages
    for (NodeId id : ids_) start(id);
  }

  void start(NodeId id) {
    auto n = MembershipNode::create(config_, params_, id, ++incarnation_, 0, now_);
    ASSERT_TRUE(n.ok()) << n.error().message;
    nodes_[id] = std::move(n).value();
    drain(id);
  }
  void crash(NodeId id) { nodes_.erase(id); }
  // Packets cross between nodes of the same side only.
  void partition(std::map<NodeId, int> side) { side_ = std::move(side); }
  void heal() { side_.clear(); }

  MembershipNode& node(NodeId id) { return *nodes_.at(id); }
  Time now() const { return now_; }
  std::vector<NodeEvent>& events(NodeId id) { return events_[id]; }

  // After a local call on a node, send what it produced.
  void drain(NodeId id) {
    auto r = nodes_.at(id)->take_ready();
    for (auto& m : r.messages)
      packets_.push(Packet{now_ + Time(200 + static_cast<int64_t>(order_ % 7) * 50), order_++, id,
                           m.to, m.bytes});
    for (auto& e : r.events) events_[id].push_back(std::move(e));
  }

  // Runs until `done` holds or `limit` of simulated time passes.
  bool run_until(const std::function<bool()>& done, Time limit = ms(60000)) {
    const Time end = now_ + limit;
    while (now_ < end) {
      if (done()) return true;
      Time next = end;
      if (!packets_.empty()) next = std::min(next, packets_.top().at);
      for (auto& [id, n] : nodes_) next = std::min(next, n->next_deadline());
      now_ = std::max(now_, next);
      while (!packets_.empty() && packets_.top().at <= now_) {
        Packet p = packets_.top();
        packets_.pop();
        auto it = nodes_.find(p.to);
        if (it == nodes_.end() || side_[p.from] != side_[p.to]) continue;
        if (loss_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < loss_) continue;
        (void)it->second->step(input::Receive{p.from, *p.bytes}, now_);
        drain(p.to);
      }
      for (NodeId id : ids_) {
        auto it = nodes_.find(id);
        if (it != nodes_.end() && now_ >= it->second->next_deadline()) {
          (void)it->second->step(input::Tick{}, now_);
          drain(id);
        }
      }
    }
    return done();
  }

  // The last regular configuration a node installed.
  const Configuration* last_regular(NodeId id) {
    const Configuration* out = nullptr;
    for (const auto& e : events_[id])
      if (const auto* c = std::get_if<Configuration>(&e); c && !c->transitional) out = c;
    return out;
  }
  bool ring_is(NodeId id, const std::vector<NodeId>& members) {
    const Configuration* c = last_regular(id);
    return c && c->members == members;
  }

 private:
  struct Packet {
    Time at;
    uint64_t order;
    NodeId from, to;
    std::shared_ptr<const std::string> bytes;
    bool operator>(const Packet& o) const { return at != o.at ? at > o.at : order > o.order; }
  };

  std::vector<NodeId> ids_;
  double loss_;
  std::mt19937_64 rng_;
  std::map<NodeId, int> side_;
  ClusterConfig config_;
  TotemParams params_;
  std::map<NodeId, std::unique_ptr<MembershipNode>> nodes_;
  std::map<NodeId, std::vector<NodeEvent>> events_;
  std::priority_queue<Packet, std::vector<Packet>, std::greater<>> packets_;
  uint64_t order_ = 0;
  uint64_t incarnation_ = 0;
  Time now_{0};
};

std::vector<GroupMessage> group_messages(const std::vector<NodeEvent>& events) {
  std::vector<GroupMessage> out;
  for (const auto& e : events)
    if (const auto* m = std::get_if<GroupMessage>(&e)) out.push_back(*m);
  return out;
}

std::vector<GroupMembershipChange> group_changes(const std::vector<NodeEvent>& events) {
  std::vector<GroupMembershipChange> out;
  for (const auto& e : events)
    if (const auto* c = std::get_if<GroupMembershipChange>(&e)) out.push_back(*c);
  return out;
}

TEST(NodeGroups, ThreeNodesAgreeOnMembershipAndMessageOrder) {
  const std::vector<NodeId> ids{1, 2, 3};
  Network net(ids);
  ASSERT_TRUE(net.run_until([&] {
    for (NodeId id : ids)
      if (!net.ring_is(id, ids)) return false;
    return true;
  })) << "no ring of three";

  for (NodeId id : ids) {
    ASSERT_TRUE(net.node(id).group_join("db", id * 10, net.now()).ok());
    net.drain(id);
  }
  const std::vector<GroupMember> members{{1, 10}, {2, 20}, {3, 30}};
  ASSERT_TRUE(net.run_until([&] {
    for (NodeId id : ids)
      if (net.node(id).groups().members("db") != members) return false;
    return true;
  })) << "group did not form";

  // Interleaved sends, some larger than a Totem fragment.
  const int kPerNode = 20;
  for (int k = 0; k < kPerNode; ++k)
    for (NodeId id : ids) {
      std::string payload = std::to_string(id) + "/" + std::to_string(k);
      if (k % 5 == 0) payload += std::string(300, 'x');
      ASSERT_TRUE(net.node(id).group_send("db", id * 10, payload, net.now()).ok());
      net.drain(id);
    }
  ASSERT_TRUE(net.run_until([&] {
    for (NodeId id : ids)
      if (group_messages(net.events(id)).size() < ids.size() * kPerNode) return false;
    return true;
  })) << "messages not delivered";

  const auto order = group_messages(net.events(1));
  ASSERT_EQ(order.size(), ids.size() * kPerNode);
  for (NodeId id : {2, 3}) EXPECT_EQ(group_messages(net.events(id)), order) << "node " << id;
  std::map<NodeId, int> next;  // each sender's order is kept
  for (const auto& m : order) {
    EXPECT_EQ(m.from.pid, m.from.nodeid * 10);
    const std::string prefix =
        std::to_string(m.from.nodeid) + "/" + std::to_string(next[m.from.nodeid]++);
    EXPECT_EQ(m.payload.substr(0, prefix.size()), prefix);
  }
  // Every node's last membership change shows the same three members, and
  // no group payload leaked out as an application Delivery.
  for (NodeId id : ids) {
    auto ch = group_changes(net.events(id));
    ASSERT_FALSE(ch.empty());
    EXPECT_EQ(ch.back().members, members);
    for (const auto& e : net.events(id)) EXPECT_FALSE(std::holds_alternative<Delivery>(e));
    EXPECT_EQ(net.node(id).groups().counters().malformed, 0u);
  }

  // Node 3 crashes: both survivors report its process gone, identically.
  for (NodeId id : ids) net.events(id).clear();
  net.crash(3);
  ASSERT_TRUE(net.run_until([&] {
    return net.ring_is(1, {1, 2}) && net.ring_is(2, {1, 2});
  })) << "survivors did not form a ring";
  const GroupMembershipChange down{
      "db", {{1, 10}, {2, 20}}, {}, {GroupAddress{{3, 30}, GroupReason::kNodeDown}}};
  for (NodeId id : {1, 2}) {
    auto ch = group_changes(net.events(id));
    ASSERT_EQ(ch.size(), 1u) << "node " << id;
    EXPECT_EQ(ch[0], down);
  }

  // It comes back with a new life: its old process stays gone, and a new
  // one joins like any other.
  net.start(3);
  ASSERT_TRUE(net.run_until([&] {
    for (NodeId id : ids)
      if (!net.ring_is(id, ids)) return false;
    return true;
  }));
  ASSERT_TRUE(net.node(3).group_join("db", 31, net.now()).ok());
  net.drain(3);
  const std::vector<GroupMember> after{{1, 10}, {2, 20}, {3, 31}};
  ASSERT_TRUE(net.run_until([&] {
    for (NodeId id : ids)
      if (net.node(id).groups().members("db") != after) return false;
    return true;
  })) << "restarted node did not learn the group";
}

TEST(NodeGroups, PartitionAndHealWithLossConverge) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const std::vector<NodeId> ids{1, 2, 3};
    Network net(ids, 0.05, seed);
    auto ring_of = [&](const std::vector<NodeId>& who, const std::vector<NodeId>& members) {
      for (NodeId id : who)
        if (!net.ring_is(id, members)) return false;
      return true;
    };
    ASSERT_TRUE(net.run_until([&] { return ring_of(ids, ids); })) << "seed " << seed;
    for (NodeId id : ids) {
      ASSERT_TRUE(net.node(id).group_join("db", id * 10, net.now()).ok());
      net.drain(id);
    }
    ASSERT_TRUE(net.run_until([&] {
      for (NodeId id : ids)
        if (net.node(id).groups().members("db").size() != 3) return false;
      return true;
    })) << "seed "
        << seed;
    for (NodeId id : ids) net.events(id).clear();

    net.partition({{1, 0}, {2, 0}, {3, 1}});
    ASSERT_TRUE(net.run_until([&] {
      return ring_of({1, 2}, {1, 2}) && ring_of({3}, {3});
    })) << "seed "
        << seed;
    const GroupMembershipChange down{
        "db", {{1, 10}, {2, 20}}, {}, {GroupAddress{{3, 30}, GroupReason::kNodeDown}}};
    for (NodeId id : {1, 2}) {
      auto ch = group_changes(net.events(id));
      ASSERT_EQ(ch.size(), 1u) << "seed " << seed << " node " << id;
      EXPECT_EQ(ch[0], down);
    }
    // Each side changes on its own, then the sides merge.
    ASSERT_TRUE(net.node(3).group_join("db", 33, net.now()).ok());
    net.drain(3);
    ASSERT_TRUE(net.node(1).group_leave("db", 10, net.now()).ok());
    net.drain(1);
    ASSERT_TRUE(net.run_until([&] {
      return net.node(3).groups().members("db").size() == 2 &&
             net.node(2).groups().members("db").size() == 1;
    })) << "seed "
        << seed;
    for (NodeId id : ids) net.events(id).clear();
    net.heal();
    const std::vector<GroupMember> merged{{2, 20}, {3, 30}, {3, 33}};
    ASSERT_TRUE(net.run_until([&] {
      if (!ring_of(ids, ids)) return false;
      for (NodeId id : ids)
        if (net.node(id).groups().members("db") != merged) return false;
      return true;
    })) << "seed "
        << seed;
    auto at2 = group_changes(net.events(2));
    ASSERT_FALSE(at2.empty());
    EXPECT_EQ(at2.back().members, merged);
    EXPECT_EQ(at2.back().joined, (std::vector<GroupAddress>{{{3, 30}, GroupReason::kNodeUp},
                                                            {{3, 33}, GroupReason::kNodeUp}}));
    auto at3 = group_changes(net.events(3));
    ASSERT_FALSE(at3.empty());
    EXPECT_EQ(at3.back().joined, (std::vector<GroupAddress>{{{2, 20}, GroupReason::kNodeUp}}));
    EXPECT_TRUE(group_changes(net.events(1)).empty());  // no local member left on node 1
    for (NodeId id : ids) EXPECT_EQ(net.node(id).groups().counters().corrections, 0u);
  }
}

TEST(NodeGroups, GroupCallsBeforeAnyRingTakeEffectOnceOneForms) {
  const std::vector<NodeId> ids{1, 2};
  Network net(ids);
  ASSERT_TRUE(net.node(1).group_join("early", 5, net.now()).ok());
  ASSERT_TRUE(net.node(1).group_send("early", 5, "hello", net.now()).ok());
  EXPECT_FALSE(net.node(2).group_send("early", 5, "not joined", net.now()).ok());
  net.drain(1);
  ASSERT_TRUE(net.run_until([&] {
    return net.node(2).groups().members("early") == std::vector<GroupMember>{{1, 5}} &&
           !group_messages(net.events(1)).empty();
  }));
  EXPECT_EQ(group_messages(net.events(1)).front().payload, "hello");
  EXPECT_TRUE(group_messages(net.events(2)).empty());  // no local member on node 2
}

}  // namespace
}  // namespace quorate::membership
