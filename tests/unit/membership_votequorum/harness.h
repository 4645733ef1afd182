// In-test harness for Votequorum: several nodes in one process, grouped into
// rings (partitions). Forming a ring hands the configuration to each member,
// then delivers every member's outgoing payloads to all members of that ring
// in one agreed order (member order, or shuffled from a seed), the way totem
// would, until nothing is left to send.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "membership/votequorum.h"

namespace quorate::membership::testing {

inline std::vector<NodeEntry> make_nodelist(const std::vector<uint32_t>& votes) {
  std::vector<NodeEntry> out;
  for (size_t i = 0; i < votes.size(); ++i) {
    NodeEntry e;
    e.nodeid = static_cast<uint32_t>(i + 1);
    e.name = "node" + std::to_string(i + 1);
    e.ring0_addr = "10.0.0." + std::to_string(i + 1);
    e.quorum_votes = votes[i];
    out.push_back(e);
  }
  return out;
}

inline std::vector<NodeEntry> make_nodelist(size_t n) {
  return make_nodelist(std::vector<uint32_t>(n, 1));
}

inline QuorumConfig majority() {
  QuorumConfig c;
  c.provider = "corosync_votequorum";
  return c;
}

class Cluster {
 public:
  Cluster(QuorumConfig config, std::vector<NodeEntry> nodelist)
      : config_(std::move(config)), nodelist_(std::move(nodelist)) {}

  Time now() const { return now_; }

  // Starts (or restarts, losing all state) a node; it is in no ring yet.
  void start(NodeId id) {
    auto vq = Votequorum::create(config_, nodelist_, id, now_);
    ASSERT_TRUE(vq.ok()) << vq.error().message;
    nodes_.erase(id);
    nodes_.emplace(id, std::move(vq).value());
    group_.erase(id);
  }
  void start_all() {
    for (const NodeEntry& e : nodelist_) start(e.nodeid);
  }
  void stop(NodeId id) {
    nodes_.erase(id);
    group_.erase(id);
  }
  bool running(NodeId id) const { return nodes_.count(id) != 0; }

  Votequorum& node(NodeId id) { return nodes_.at(id); }
  bool quorate(NodeId id) { return node(id).quorate(); }
  QuorumState state(NodeId id) { return node(id).state(); }

  // Installs one ring made of `members` and runs its sync to completion.
  void ring(std::vector<NodeId> members) {
    std::sort(members.begin(), members.end());
    configure(members);
    pump(members);
  }
  // Several disjoint rings at once (a network partition).
  void partition(const std::vector<std::vector<NodeId>>& groups) {
    std::vector<std::vector<NodeId>> sorted;
    for (auto g : groups) {
      std::sort(g.begin(), g.end());
      configure(g);
      sorted.push_back(g);
    }
    for (const auto& g : sorted) pump(g);
  }
  // All running nodes in one ring.
  void ring_all() {
    std::vector<NodeId> m;
    for (const auto& [id, vq] : nodes_) m.push_back(id);
    ring(m);
  }

  // Installs a ring without delivering anything (to observe the sync step).
  void configure(const std::vector<NodeId>& members) {
    RingId r{members.front(), ++seq_};
    for (NodeId id : members) {
      ASSERT_TRUE(node(id).on_configuration(r, members, now_).ok());
      group_[id] = members;
    }
  }
  // Delivers one queued payload of `from` to its ring; false if none.
  bool deliver_one(NodeId from) {
    auto& q = queued_[from];
    if (q.empty()) {
      for (std::string& p : node(from).take_outgoing()) q.push_back(std::move(p));
    }
    if (q.empty()) return false;
    std::string payload = q.front();
    q.erase(q.begin());
    for (NodeId to : group_.at(from)) {
      Status s = node(to).on_message(from, payload, now_);
      EXPECT_TRUE(s.ok()) << s.error().message;
    }
    return true;
  }
  // Delivers everything the members of `members` send, in rounds; the order
  // within a round is member order, or shuffled when a seed was given.
  void pump(const std::vector<NodeId>& members) {
    for (int round = 0; round < 100; ++round) {
      std::vector<std::pair<NodeId, std::string>> batch;
      for (NodeId id : members) {
        for (std::string& p : queued_[id]) batch.emplace_back(id, std::move(p));
        queued_[id].clear();
        for (std::string& p : node(id).take_outgoing()) batch.emplace_back(id, std::move(p));
      }
      if (batch.empty()) return;
      if (shuffle_) std::shuffle(batch.begin(), batch.end(), rng_);
      for (const auto& [from, payload] : batch) {
        for (NodeId to : members) {
          Status s = node(to).on_message(from, payload, now_);
          EXPECT_TRUE(s.ok()) << s.error().message;
        }
      }
    }
    ADD_FAILURE() << "messages still flowing after 100 rounds";
  }
  // Delivers whatever a node queued (after a request) to its ring.
  void flush(NodeId id) { pump(group_.at(id)); }

  void advance(Time dt) {
    now_ += dt;
    for (auto& [id, vq] : nodes_) vq.on_tick(now_);
    for (auto& [id, g] : group_) {
      if (!node(id).take_outgoing().empty()) ADD_FAILURE() << "tick produced messages";
    }
  }

  void shuffle_with(uint64_t seed) {
    shuffle_ = true;
    rng_.seed(seed);
  }

 private:
  QuorumConfig config_;
  std::vector<NodeEntry> nodelist_;
  std::map<NodeId, Votequorum> nodes_;
  std::map<NodeId, std::vector<NodeId>> group_;
  std::map<NodeId, std::vector<std::string>> queued_;
  Time now_{0};
  uint64_t seq_ = 0;
  bool shuffle_ = false;
  std::mt19937_64 rng_;
};

inline bool has_flag(const QuorumState& s, const std::string& f) {
  return std::find(s.flags.begin(), s.flags.end(), f) != s.flags.end();
}

}  // namespace quorate::membership::testing
