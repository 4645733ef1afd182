// The Totem simulator: see totem_sim.h.
#include "tests/sim/totem_sim.h"

#include <algorithm>
#include <cstdio>
#include <functional>
#include <queue>
#include <sstream>

#include "membership/cluster_config.h"
#include "membership/node.h"

namespace quorate::sim {
namespace {

using membership::Configuration;
using membership::Delivery;
using membership::ms;
using membership::NodeId;
using membership::RingId;
using membership::Time;
using membership::Totem;
using membership::TotemEvent;
using membership::TotemNote;
using membership::TotemParams;

struct Packet {
  Time at;
  uint64_t order;  // tie-break for determinism
  NodeId from, to;
  uint64_t from_life;  // the sender's incarnation when it sent
  std::shared_ptr<const std::string> bytes;
  bool operator>(const Packet& o) const { return at != o.at ? at > o.at : order > o.order; }
};

struct Node {
  NodeId id = 0;
  std::unique_ptr<membership::MembershipNode> node;
  const Totem* totem = nullptr;
  bool alive = false;
  uint64_t incarnation = 0;
  uint64_t ring_seq_disk = 0;  // what the daemon would persist
  double drift = 0;            // local clock runs (1 + drift) times global
  int group = 0;               // partition group
  // Observations since the last (re)start.
  std::set<std::string> delivered_ids;
  std::vector<std::string> since_config;  // delivered since the last regular config
  std::optional<RingId> last_regular;
  std::pair<uint64_t, uint64_t> last_pos{0, 0};  // (ring.seq, seq) of the last delivery
  std::set<std::string> submitted_alive;         // submitted in this life, not yet delivered
  uint64_t next_msg = 0;
  bool crashed_ever = false;
  bool quorate = false;  // as last announced, for quorum_members' ring
  std::vector<NodeId> quorum_members;
  // Process groups: what this life's processes asked for, and the group
  // messages delivered here (ids, per group, in delivery order).
  std::set<std::pair<std::string, uint32_t>> joined_local;
  std::map<std::string, std::vector<std::string>> group_msgs;
  uint64_t next_group_msg = 0;
};

class Cluster {
 public:
  explicit Cluster(const SimOptions& opt) : opt_(opt), rng_(opt.seed) {
    int n = opt.nodes;
    if (n <= 0) n = opt.large ? static_cast<int>(pick(9, 32)) : static_cast<int>(pick(2, 8));
    result_.nodes = n;
    for (int i = 1; i <= n; ++i) nodelist_.push_back(static_cast<NodeId>(i));
    config_.source = "sim";
    config_.quorum.provider = "corosync_votequorum";
    for (NodeId id : nodelist_) {
      membership::NodeEntry e;
      e.nodeid = id;
      e.ring0_addr = "sim-" + std::to_string(id);
      config_.nodes.push_back(e);
    }
    // Corosync's timers for this many nodes (token_coefficient applied), from
    // a base token of 1000 ms.
    membership::TotemTimers timers;
    timers.token_ms = 1000;
    auto e = membership::effective_timers(timers, nodelist_.size());
    params_.token_ms = e.token_ms;
    params_.token_retransmit_ms = e.token_retransmit_ms;
    params_.hold_ms = e.hold_ms;
    params_.consensus_ms = e.consensus_ms;
    params_.join_ms = e.join_ms;
    // Corosync advises send_join for rings over 32 nodes; exercise it on big rings.
    params_.send_join_ms = nodelist_.size() > 16 ? 40 : e.send_join_ms;
    params_.merge_ms = e.merge_ms;
    params_.fail_recv_const = e.fail_recv_const;
    params_.window_size = e.window_size;
    params_.max_messages = e.max_messages;
    params_.fragment_bytes = 64;  // small, so that fragmentation is exercised
    loss_ = opt.faults ? static_cast<double>(pick(0, 10)) / 100.0 : 0;
    dup_ = opt.faults ? static_cast<double>(pick(0, 5)) / 100.0 : 0;
    max_delay_us_ = static_cast<int64_t>(pick(50, 3000));
    for (NodeId id : nodelist_) {
      Node nd;
      nd.id = id;
      nd.drift = opt.faults ? (static_cast<double>(pick(0, 200)) - 100.0) / 10000.0 : 0;  // +-1%
      nodes_.emplace(id, std::move(nd));
    }
  }

  SimResult run() {
    // Nodes start at random moments within the first second.
    for (NodeId id : nodelist_)
      schedule(Time(static_cast<int64_t>(pick(0, 1000000))), [this, id] { start(id); });
    plan_faults();
    const Time end = ms(opt_.duration_ms);
    // Time to settle after healing: a few rounds of token loss and consensus.
    const Time settle_end = end + ms(30000 + 4 * int64_t{params_.token_ms + params_.consensus_ms});
    bool healed = false;
    while (result_.ok) {
      Time next = next_time();
      if (!healed && next >= end) {
        heal_all();
        healed = true;
        continue;
      }
      if (next >= settle_end || next == Time::max()) break;
      now_ = next;
      step();
      ++result_.steps;
      if (healed && settled()) break;
      if (result_.steps > 20'000'000) fail("step budget exhausted");
    }
    if (result_.ok && !settled())
      fail(
          "not settled after healing (one ring of every live node, quorate, all own "
          "messages delivered, group views as asked): " +
          group_mismatch() + describe());
    if (result_.ok) check_self_delivery();
    return result_;
  }

 private:
  uint64_t pick(uint64_t lo, uint64_t hi) {
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_);
  }
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }

  Time local(const Node& n) const {
    return Time(static_cast<int64_t>(static_cast<double>(now_.count()) * (1.0 + n.drift)));
  }
  Time global_of(const Node& n, Time local_t) const {
    return Time(static_cast<int64_t>(static_cast<double>(local_t.count()) / (1.0 + n.drift)) + 1);
  }

  void schedule(Time at, std::function<void()> f) { actions_.emplace(at, std::move(f)); }

  void plan_faults() {
    if (!opt_.faults) return;
    int events = static_cast<int>(pick(1, 8));
    for (int i = 0; i < events; ++i) {
      Time at =
          ms(static_cast<int64_t>(pick(2000, static_cast<uint64_t>(opt_.duration_ms - 3000))));
      switch (pick(0, 4)) {
        case 0: {  // crash, restart later
          NodeId id = nodelist_[pick(0, nodelist_.size() - 1)];
          schedule(at, [this, id] { crash(id); });
          schedule(at + ms(static_cast<int64_t>(pick(100, 5000))), [this, id] { start(id); });
          break;
        }
        case 1: {  // partition in two groups, healed later
          schedule(at, [this] {
            for (auto& [id, n] : nodes_) n.group = static_cast<int>(pick(0, 1));
            log("partition " + groups());
          });
          schedule(at + ms(static_cast<int64_t>(pick(500, 6000))), [this] {
            for (auto& [id, n] : nodes_) n.group = 0;
            log("heal");
          });
          break;
        }
        case 2: {  // clean leave, restart later
          NodeId id = nodelist_[pick(0, nodelist_.size() - 1)];
          schedule(at, [this, id] { leave(id); });
          schedule(at + ms(static_cast<int64_t>(pick(500, 4000))), [this, id] { start(id); });
          break;
        }
        default: {  // a burst of heavier loss
          schedule(at, [this] { burst_loss_ = 0.3; });
          schedule(at + ms(static_cast<int64_t>(pick(100, 2000))), [this] { burst_loss_ = 0; });
          break;
        }
      }
    }
  }

  void heal_all() {
    burst_loss_ = 0;
    loss_ = std::min(loss_, 0.02);
    for (auto& [id, n] : nodes_) {
      n.group = 0;
      if (!n.alive) start(id);
    }
    log("heal all; settling");
  }

  void start(NodeId id) {
    Node& n = nodes_.at(id);
    if (n.alive) return;
    n.alive = true;
    n.incarnation = ++incarnation_counter_;
    n.delivered_ids.clear();
    n.since_config.clear();
    n.last_regular.reset();
    n.last_pos = {0, 0};
    n.submitted_alive.clear();
    n.quorate = false;
    n.quorum_members.clear();
    n.joined_local.clear();
    n.group_msgs.clear();
    auto created = membership::MembershipNode::create(config_, params_, id, n.incarnation,
                                                      n.ring_seq_disk, local(n));
    if (!created.ok()) return fail("cannot start node: " + created.error().message);
    n.node = std::move(created).value();
    n.totem = &n.node->totem();
    log("start node " + std::to_string(id));
    drain(n);
  }

  void crash(NodeId id) {
    Node& n = nodes_.at(id);
    if (!n.alive) return;
    n.alive = false;
    n.crashed_ever = true;
    n.node.reset();
    n.totem = nullptr;
    log("crash node " + std::to_string(id));
  }

  void leave(NodeId id) {
    Node& n = nodes_.at(id);
    if (!n.alive) return;
    (void)n.node->step(membership::input::Leave{}, local(n));
    drain(n);
    n.alive = false;
    n.crashed_ever = true;
    n.node.reset();
    n.totem = nullptr;
    log("leave node " + std::to_string(id));
  }

  Time next_time() const {
    Time t = Time::max();
    if (!packets_.empty()) t = std::min(t, packets_.top().at);
    if (!actions_.empty()) t = std::min(t, actions_.begin()->first);
    for (const auto& [id, n] : nodes_)
      if (n.alive) t = std::min(t, global_of(n, n.node->next_deadline()));
    t = std::min(t, next_submit_);
    return std::max(t, now_);
  }

  void step() {
    while (!actions_.empty() && actions_.begin()->first <= now_) {
      auto f = std::move(actions_.begin()->second);
      actions_.erase(actions_.begin());
      f();
    }
    while (!packets_.empty() && packets_.top().at <= now_) {
      Packet p = packets_.top();
      packets_.pop();
      Node& to = nodes_.at(p.to);
      if (!to.alive) continue;
      (void)to.node->step(membership::input::Receive{p.from, *p.bytes}, local(to));
      drain(to);
    }
    if (now_ >= next_submit_) {
      submit_some();
      // Offered load shrinks with ring size: a big ring under the simulator's
      // loss spends seconds in token retransmission (token_retransmit grows
      // with token_coefficient), and its capacity with it.
      int64_t scale = std::max<int64_t>(1, static_cast<int64_t>(nodelist_.size()) / 6);
      next_submit_ = now_ + Time(static_cast<int64_t>(pick(1000, 40000)) * scale);
    }
    for (auto& [id, n] : nodes_) {
      if (n.alive && local(n) >= n.node->next_deadline()) {
        (void)n.node->step(membership::input::Tick{}, local(n));
        drain(n);
      }
    }
  }

  // A process of a random node joins, leaves or sends to a group.
  void group_action(Node& n) {
    std::string g = "g" + std::to_string(pick(0, 2));
    auto pid = static_cast<uint32_t>(pick(1, 3));
    auto key = std::make_pair(g, pid);
    if (!n.joined_local.count(key)) {
      if (n.node->group_join(g, pid, local(n)).ok()) n.joined_local.insert(key);
    } else if (chance(0.3)) {
      if (n.node->group_leave(g, pid, local(n)).ok()) n.joined_local.erase(key);
    } else {
      std::string id = "G" + std::to_string(n.id) + "/" + std::to_string(n.incarnation) + "/" +
                       std::to_string(n.next_group_msg++);
      (void)n.node->group_send(g, pid, id, local(n));
    }
    drain(n);
  }

  void submit_some() {
    if (now_ >= ms(opt_.duration_ms)) return;
    NodeId id = nodelist_[pick(0, nodelist_.size() - 1)];
    Node& n = nodes_.at(id);
    if (!n.alive) return;
    if (chance(0.25)) return group_action(n);
    std::string msg_id = std::to_string(id) + "/" + std::to_string(n.incarnation) + "/" +
                         std::to_string(n.next_msg++);
    std::string payload = msg_id + "|" + std::string(pick(0, 300), 'x');
    auto g = chance(0.3) ? membership::Guarantee::kSafe : membership::Guarantee::kAgreed;
    if (n.node->step(membership::input::Submit{payload, g}, local(n)).ok()) {
      n.submitted_alive.insert(msg_id);
      ++result_.submitted;
    }
    drain(n);
  }

  void drain(Node& n) {
    auto r = n.node->take_ready();
    for (auto& m : r.messages) send(n, m.to, m.bytes);
    for (auto& e : r.events) {
      if (auto* q = std::get_if<membership::QuorumEvent>(&e)) {
        n.quorate = q->quorate;
        n.quorum_members = q->members;
        check_quorum();
      } else if (auto* c = std::get_if<Configuration>(&e)) {
        observe(n, TotemEvent(*c));
      } else if (auto* d = std::get_if<Delivery>(&e)) {
        observe(n, TotemEvent(*d));
      } else if (auto* tn = std::get_if<TotemNote>(&e)) {
        observe(n, TotemEvent(*tn));
      } else if (auto* gm = std::get_if<membership::GroupMessage>(&e)) {
        n.group_msgs[gm->group].push_back(gm->payload);
      }
    }
    n.ring_seq_disk = std::max(n.ring_seq_disk, n.totem->high_ring_seq());
  }

  void send(const Node& from, NodeId to, std::shared_ptr<const std::string> bytes) {
    const Node& dst = nodes_.at(to);
    if (from.group != dst.group) return;
    if (chance(loss_ + burst_loss_)) return;
    int copies = chance(dup_) ? 2 : 1;
    for (int i = 0; i < copies; ++i) {
      int64_t delay = static_cast<int64_t>(pick(20, static_cast<uint64_t>(max_delay_us_)));
      if (chance(0.01)) delay += static_cast<int64_t>(pick(1000, 50000));  // a late straggler
      packets_.push(Packet{now_ + Time(delay), order_++, from.id, to, from.incarnation, bytes});
    }
  }

  // ------------------------------------------------------------ invariants

  void observe(Node& n, const TotemEvent& e) {
    if (!result_.ok) return;
    if (auto* c = std::get_if<Configuration>(&e)) {
      if (c->transitional) {
        log("node " + std::to_string(n.id) + " transitional " + c->ring.str());
        return;
      }
      ++result_.rings;
      // Members of one ring agree on it.
      auto [it, fresh] = ring_members_.emplace(c->ring, c->members);
      if (!fresh && it->second != c->members)
        return fail("ring " + c->ring.str() + " has two member lists");
      if (!std::binary_search(c->members.begin(), c->members.end(), n.id))
        return fail("node " + std::to_string(n.id) + " installed ring " + c->ring.str() +
                    " without itself");
      // Virtual synchrony: nodes that move from the same configuration to
      // the same next one delivered the same messages in between.
      if (n.last_regular) {
        auto key = std::make_pair(*n.last_regular, c->ring);
        auto [vit, vfresh] = vs_.emplace(key, n.since_config);
        if (!vfresh && vit->second != n.since_config)
          return fail("virtual synchrony: nodes moving " + n.last_regular->str() + " -> " +
                      c->ring.str() + " delivered different messages (node " +
                      std::to_string(n.id) + ": " + std::to_string(n.since_config.size()) + " vs " +
                      std::to_string(vit->second.size()) + ")");
      }
      n.last_regular = c->ring;
      n.since_config.clear();
      log("node " + std::to_string(n.id) + " installed " + c->ring.str() + " with " +
          std::to_string(c->members.size()) + " members");
      return;
    }
    if (auto* d = std::get_if<Delivery>(&e)) {
      ++result_.deliveries;
      std::string id = d->payload.substr(0, d->payload.find('|'));
      if (opt_.verbose)
        log("node " + std::to_string(n.id) + " delivers " + id + " at " + d->ring.str() + "/" +
            std::to_string(d->seq));
      if (!n.delivered_ids.insert(id).second)
        return fail("node " + std::to_string(n.id) + " delivered " + id + " twice");
      auto pos = std::make_pair(d->ring.seq, d->seq);
      if (pos <= n.last_pos)
        return fail("node " + std::to_string(n.id) + " delivered out of order at " + d->ring.str() +
                    "/" + std::to_string(d->seq));
      n.last_pos = pos;
      // One total order: a position holds one message everywhere, and a
      // message holds one position.
      auto key = std::make_pair(d->ring, d->seq);
      auto [pit, pfresh] = position_.emplace(key, id);
      if (!pfresh && pit->second != id)
        return fail("total order: " + d->ring.str() + "/" + std::to_string(d->seq) + " is " +
                    pit->second + " at one node and " + id + " at node " + std::to_string(n.id));
      auto [mit, mfresh] = message_pos_.emplace(id, key);
      if (!mfresh && mit->second != key)
        return fail("total order: message " + id + " delivered at two positions");
      if (d->origin == n.id) n.submitted_alive.erase(id);
      n.since_config.push_back(id);
      return;
    }
    if (opt_.verbose) {
      const auto& note = std::get<TotemNote>(e);
      if (!note.text.empty()) log("node " + std::to_string(n.id) + ": " + note.text);
    }
  }

  // At most one partition is quorate: the memberships that quorate nodes
  // believe in pairwise share a node (majority votes, fixed expected votes).
  void check_quorum() {
    std::vector<std::pair<NodeId, std::vector<NodeId>>> quorate;
    for (const auto& [id, n] : nodes_)
      if (n.alive && n.quorate) quorate.emplace_back(id, n.quorum_members);
    for (size_t i = 0; i < quorate.size(); ++i)
      for (size_t j = i + 1; j < quorate.size(); ++j) {
        const auto& a = quorate[i].second;
        const auto& b = quorate[j].second;
        std::vector<NodeId> both;
        std::set_intersection(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
        if (both.empty())
          return fail("two quorate partitions: node " + std::to_string(quorate[i].first) +
                      " with " + std::to_string(a.size()) + " members and node " +
                      std::to_string(quorate[j].first) + " with " + std::to_string(b.size()));
      }
  }

  bool settled() const {
    std::optional<RingId> ring;
    std::vector<NodeId> alive;
    for (const auto& [id, n] : nodes_) {
      if (!n.alive) continue;
      alive.push_back(id);
      if (n.totem->state() != membership::TotemState::kOperational) return false;
      if (ring && *ring != n.totem->ring_id()) return false;
      ring = n.totem->ring_id();
    }
    for (const auto& [id, n] : nodes_)
      if (n.alive && n.totem->members() != alive) return false;
    // ...votequorum finished its sync step everywhere...
    for (const auto& [id, n] : nodes_)
      if (n.alive && (n.node->quorum().sync_in_progress || n.quorum_members != alive)) return false;
    // ...every node sees every group as exactly what the live processes asked for...
    if (!group_mismatch().empty()) return false;
    // ...and every node has delivered what it sent.
    for (const auto& [id, n] : nodes_)
      if (n.alive && (!n.submitted_alive.empty() || n.totem->pending() > 0)) return false;
    return true;
  }

  // Empty when every live node's view of every group equals the processes
  // that live nodes asked to be there.
  std::string group_mismatch() const {
    for (int gi = 0; gi <= 2; ++gi) {
      std::string g = "g" + std::to_string(gi);
      std::vector<membership::GroupMember> want;
      for (const auto& [id, n] : nodes_)
        if (n.alive)
          for (const auto& [jg, pid] : n.joined_local)
            if (jg == g) want.push_back({id, pid});
      std::sort(want.begin(), want.end());
      for (const auto& [id, n] : nodes_)
        if (n.alive && n.node->groups().members(g) != want)
          return "node " + std::to_string(id) + " sees group " + g + " with " +
                 std::to_string(n.node->groups().members(g).size()) + " members, want " +
                 std::to_string(want.size());
    }
    return {};
  }

  // Members of a group receive its messages in one order.
  void check_group_order() {
    for (const auto& [a, na] : nodes_)
      for (const auto& [b, nb] : nodes_) {
        if (a >= b) continue;
        for (const auto& [g, la] : na.group_msgs) {
          auto it = nb.group_msgs.find(g);
          if (it == nb.group_msgs.end()) continue;
          std::set<std::string> in_b(it->second.begin(), it->second.end());
          std::set<std::string> in_a(la.begin(), la.end());
          std::vector<std::string> ca, cb;
          for (const auto& m : la)
            if (in_b.count(m)) ca.push_back(m);
          for (const auto& m : it->second)
            if (in_a.count(m)) cb.push_back(m);
          if (ca != cb)
            return fail("group " + g + ": nodes " + std::to_string(a) + " and " +
                        std::to_string(b) + " received its messages in different orders");
        }
      }
  }

  void check_self_delivery() {
    check_group_order();
    if (!result_.ok) return;
    if (auto m = group_mismatch(); !m.empty()) return fail("process groups: " + m);
    for (const auto& [id, n] : nodes_) {
      if (n.alive && !n.submitted_alive.empty())
        return fail("node " + std::to_string(id) + " never delivered its own " +
                    *n.submitted_alive.begin());
      // With every node up and in one ring, majority quorum holds everywhere.
      if (n.alive && !n.quorate)
        return fail("node " + std::to_string(id) + " not quorate in the healed cluster");
    }
  }

  std::string describe() const {
    std::ostringstream o;
    for (const auto& [id, n] : nodes_) {
      o << " [" << id << (n.alive ? "" : " down");
      if (n.alive && opt_.verbose) o << " " << n.totem->debug_string();
      if (n.alive)
        o << " " << to_string(n.totem->state()) << " ring " << n.totem->ring_id().str() << " m"
          << n.totem->members().size() << " pend " << n.totem->pending() << " undelivered "
          << n.submitted_alive.size();
      o << "]";
    }
    return o.str();
  }

  std::string groups() const {
    std::string s;
    for (const auto& [id, n] : nodes_)
      s += std::to_string(id) + ":" + std::to_string(n.group) + " ";
    return s;
  }

  void log(const std::string& s) {
    if (opt_.verbose)
      std::printf("%10.3f ms  %s\n", static_cast<double>(now_.count()) / 1000.0, s.c_str());
  }

  void fail(const std::string& why) {
    if (!result_.ok) return;
    result_.ok = false;
    char buf[64];
    std::snprintf(buf, sizeof buf, "at %.3f ms: ", static_cast<double>(now_.count()) / 1000.0);
    result_.failure = buf + why;
  }

  SimOptions opt_;
  std::mt19937_64 rng_;
  SimResult result_;
  std::vector<NodeId> nodelist_;
  TotemParams params_;
  membership::ClusterConfig config_;
  std::map<NodeId, Node> nodes_;
  std::priority_queue<Packet, std::vector<Packet>, std::greater<>> packets_;
  std::multimap<Time, std::function<void()>> actions_;
  Time now_{0};
  Time next_submit_{ms(1500)};
  uint64_t order_ = 0;
  uint64_t incarnation_counter_ = 0;
  double loss_ = 0, dup_ = 0, burst_loss_ = 0;
  int64_t max_delay_us_ = 500;
  std::map<RingId, std::vector<NodeId>> ring_members_;
  std::map<std::pair<RingId, RingId>, std::vector<std::string>> vs_;
  std::map<std::pair<RingId, uint64_t>, std::string> position_;
  std::map<std::string, std::pair<RingId, uint64_t>> message_pos_;
};

}  // namespace

SimResult run_totem_sim(const SimOptions& opt) { return Cluster(opt).run(); }

}  // namespace quorate::sim
