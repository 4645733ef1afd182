// In-test harness for ProcessGroups: several nodes in one process, grouped
// into rings (partitions), with no Totem underneath. Forming rings hands each
// member the regular Configuration Totem would give it (`left` and `joined`
// relative to the members that came from the same old ring, restarted nodes
// in both), then every ring delivers its members' outgoing payloads to all
// its members in one agreed order until nothing is left to send. The order
// is member order, or shuffled from a seed. Everything each node emits is
// recorded per node.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "membership/groups.h"

namespace quorate::membership::testing {

class GroupCluster {
 public:
  explicit GroupCluster(GroupLimits limits = {}, uint64_t seed = 0)
      : limits_(limits), rng_(seed), shuffle_(seed != 0) {}

  // Starts (or restarts, losing all state) a node; it is in no ring yet.
  void start(NodeId id) {
    Node& n = nodes_[id];
    n.pg = std::make_unique<ProcessGroups>(id, limits_);
    n.ring = RingId{};
    n.members.clear();
    n.events.clear();
    n.fresh = true;
  }
  void stop(NodeId id) { nodes_.erase(id); }
  bool running(NodeId id) const { return nodes_.count(id) != 0; }

  ProcessGroups& pg(NodeId id) { return *nodes_.at(id).pg; }
  std::vector<GroupEvent>& events(NodeId id) { return nodes_.at(id).events; }
  std::vector<GroupEvent> take_events(NodeId id) {
    std::vector<GroupEvent> out;
    std::swap(out, nodes_.at(id).events);
    return out;
  }
  const Configuration& last_config(NodeId id) const { return nodes_.at(id).last_config; }

  // One ring of `members`, then its traffic runs to completion.
  void ring(std::vector<NodeId> members) { partition({std::move(members)}); }

  // Several disjoint rings at once; each delivers its traffic to completion.
  void partition(const std::vector<std::vector<NodeId>>& rings) {
    configure(rings);
    for (const auto& r : rings) pump(sorted(r));
  }

  // Installs the rings' configurations without delivering anything yet.
  void configure(const std::vector<std::vector<NodeId>>& rings) {
    for (const auto& r0 : rings) {
      const std::vector<NodeId> r = sorted(r0);
      const RingId id{r.front(), next_ring_seq_ += 4};
      std::map<NodeId, Configuration> configs;
      for (NodeId n : r) {
        const Node& me = nodes_.at(n);
        // The recovery group: new members that come from my old ring (a
        // restarted node comes from no ring).
        std::vector<NodeId> from_old;
        for (NodeId o : r) {
          const Node& other = nodes_.at(o);
          if (!me.fresh && !other.fresh && other.ring == me.ring) from_old.push_back(o);
        }
        Configuration c;
        c.ring = id;
        c.members = r;
        for (NodeId o : r)
          if (!std::count(from_old.begin(), from_old.end(), o)) c.joined.push_back(o);
        for (NodeId o : me.members)
          if (!std::count(from_old.begin(), from_old.end(), o)) c.left.push_back(o);
        configs[n] = c;
      }
      for (NodeId n : r) {
        Node& me = nodes_.at(n);
        Configuration trans{id, true, {}, {}, {}};
        me.pg->on_configuration(trans);  // ignored, as the transitional one must be
        me.pg->on_configuration(configs[n]);
        me.last_config = configs[n];
        me.ring = id;
        me.members = r;
        me.fresh = false;
        collect(me);
      }
    }
  }

  // Delivers the pending traffic of one ring (its members' queues) in one
  // agreed order until quiet. Returns the number of deliveries.
  size_t pump(const std::vector<NodeId>& ring, size_t max_rounds = 1000) {
    size_t delivered = 0;
    for (size_t round = 0; round < max_rounds; ++round) {
      std::vector<std::pair<NodeId, std::string>> batch;
      for (NodeId n : ring)
        for (auto& p : nodes_.at(n).pg->take_outgoing()) batch.emplace_back(n, std::move(p));
      if (batch.empty()) break;
      if (shuffle_) shuffle_keeping_fifo(batch);
      for (const auto& [origin, bytes] : batch) deliver(ring, origin, bytes);
      delivered += batch.size();
    }
    return delivered;
  }

  // One payload from `origin` to every member of `ring`, in place.
  void deliver(const std::vector<NodeId>& ring, NodeId origin, const std::string& bytes) {
    for (NodeId n : ring) {
      Node& me = nodes_.at(n);
      me.pg->on_delivery(origin, bytes);
      collect(me);
    }
  }

  // Every running node's view.
  std::map<NodeId, std::vector<GroupInfo>> views() const {
    std::map<NodeId, std::vector<GroupInfo>> out;
    for (const auto& [id, n] : nodes_) out[id] = n.pg->groups();
    return out;
  }

 private:
  struct Node {
    std::unique_ptr<ProcessGroups> pg;
    RingId ring;
    std::vector<NodeId> members;
    bool fresh = true;
    Configuration last_config;
    std::vector<GroupEvent> events;
  };

  static std::vector<NodeId> sorted(std::vector<NodeId> v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  void collect(Node& me) {
    for (auto& e : me.pg->take_events()) me.events.push_back(std::move(e));
  }

  // Interleaves the senders randomly but keeps each sender's own order, as
  // Totem's agreed order does.
  void shuffle_keeping_fifo(std::vector<std::pair<NodeId, std::string>>& batch) {
    std::map<NodeId, std::vector<std::string>> per;
    for (auto& [o, b] : batch) per[o].push_back(std::move(b));
    std::map<NodeId, size_t> next;
    std::vector<std::pair<NodeId, std::string>> out;
    std::vector<NodeId> senders;
    for (const auto& [o, v] : per) senders.push_back(o);
    while (!senders.empty()) {
      size_t i = std::uniform_int_distribution<size_t>(0, senders.size() - 1)(rng_);
      NodeId o = senders[i];
      out.emplace_back(o, std::move(per[o][next[o]++]));
      if (next[o] == per[o].size()) senders.erase(senders.begin() + static_cast<long>(i));
    }
    batch = std::move(out);
  }

  GroupLimits limits_;
  std::mt19937_64 rng_;
  bool shuffle_;
  uint64_t next_ring_seq_ = 0;
  std::map<NodeId, Node> nodes_;
};

inline std::vector<GroupMessage> messages(const std::vector<GroupEvent>& events) {
  std::vector<GroupMessage> out;
  for (const auto& e : events)
    if (const auto* m = std::get_if<GroupMessage>(&e)) out.push_back(*m);
  return out;
}

inline std::vector<GroupMembershipChange> changes(const std::vector<GroupEvent>& events) {
  std::vector<GroupMembershipChange> out;
  for (const auto& e : events)
    if (const auto* c = std::get_if<GroupMembershipChange>(&e)) out.push_back(*c);
  return out;
}

}  // namespace quorate::membership::testing
