// MembershipNode: Totem + votequorum. See node.h.
#include "membership/node.h"

namespace quorate::membership {
namespace {
constexpr char kTagVotequorum = 'V';
constexpr char kTagApp = 'A';
}  // namespace

TotemParams totem_params(const ClusterConfig& config) {
  EffectiveTimers e = effective_timers(config.timers, config.nodes.size());
  TotemParams p;
  p.token_ms = e.token_ms;
  p.token_retransmit_ms = e.token_retransmit_ms;
  p.hold_ms = e.hold_ms;
  p.join_ms = e.join_ms;
  p.consensus_ms = e.consensus_ms;
  p.merge_ms = e.merge_ms;
  p.downcheck_ms = e.downcheck_ms;
  p.fail_recv_const = e.fail_recv_const;
  p.window_size = e.window_size;
  p.max_messages = e.max_messages;
  return p;
}

Result<std::unique_ptr<MembershipNode>> MembershipNode::create(const ClusterConfig& config,
                                                               NodeId self, uint64_t incarnation,
                                                               uint64_t ring_seq, Time now) {
  return create(config, totem_params(config), self, incarnation, ring_seq, now);
}

Result<std::unique_ptr<MembershipNode>> MembershipNode::create(const ClusterConfig& config,
                                                               const TotemParams& params,
                                                               NodeId self, uint64_t incarnation,
                                                               uint64_t ring_seq, Time now) {
  if (!config.find_node(self))
    return Error{"node " + std::to_string(self) + " is not in the nodelist of " + config.source};
  auto vq = Votequorum::create(config.quorum, config.nodes, self, now);
  if (!vq.ok()) return vq.error();
  std::vector<NodeId> ids;
  for (const auto& n : config.nodes) ids.push_back(n.nodeid);
  auto t = std::make_unique<Totem>(self, ids, params, incarnation, ring_seq, now);
  std::unique_ptr<MembershipNode> node(new MembershipNode(std::move(t), std::move(vq).value()));
  node->pump(now);
  return node;
}

Status MembershipNode::step(const Input& in, Time now) {
  Status st;
  if (const auto* s = std::get_if<input::Submit>(&in)) {
    std::string tagged;
    tagged.reserve(s->payload.size() + 1);
    tagged.push_back(kTagApp);
    tagged += s->payload;
    st = totem_->step(input::Submit{std::move(tagged), s->guarantee}, now);
  } else {
    if (std::holds_alternative<input::Leave>(in)) vq_.leave();
    if (std::holds_alternative<input::Tick>(in)) vq_.on_tick(now);
    st = totem_->step(in, now);
  }
  pump(now);
  return st;
}

Status MembershipNode::request_expected_votes(uint32_t n, Time now) {
  Status st = vq_.request_expected_votes(n);
  pump(now);
  return st;
}

Status MembershipNode::request_votes(NodeId node, uint32_t votes, Time now) {
  Status st = vq_.request_votes(node, votes);
  pump(now);
  return st;
}

void MembershipNode::pump(Time now) {
  for (int round = 0; round < 8; ++round) {  // bounded: each round drains both sides
    bool moved = false;
    for (auto& out : vq_.take_outgoing()) {
      moved = true;
      std::string tagged(1, kTagVotequorum);
      tagged += out;
      if (!totem_->step(input::Submit{std::move(tagged), Guarantee::kAgreed}, now).ok())
        ++dropped_payloads_;  // queue full: the next configuration change resends node info
    }
    Ready r = totem_->take_ready();
    if (!r.empty()) moved = true;
    for (auto& m : r.messages) ready_.messages.push_back(std::move(m));
    for (auto& e : r.events) {
      if (auto* c = std::get_if<Configuration>(&e)) {
        if (!c->transitional) (void)vq_.on_configuration(c->ring, c->members, now);
        ready_.events.emplace_back(std::move(*c));
      } else if (auto* d = std::get_if<Delivery>(&e)) {
        if (d->payload.empty()) {
          ++dropped_payloads_;
        } else if (d->payload[0] == kTagVotequorum) {
          (void)vq_.on_message(d->origin, std::string_view(d->payload).substr(1), now);
        } else if (d->payload[0] == kTagApp) {
          d->payload.erase(0, 1);
          ready_.events.emplace_back(std::move(*d));
        } else {
          ++dropped_payloads_;
        }
      } else {
        ready_.events.emplace_back(std::get<TotemNote>(std::move(e)));
      }
      for (auto& q : vq_.take_events()) ready_.events.emplace_back(std::move(q));
    }
    if (!moved) break;
  }
}

NodeReady MembershipNode::take_ready() {
  NodeReady r;
  std::swap(r, ready_);
  return r;
}

Time MembershipNode::next_deadline() const {
  Time t = totem_->next_deadline();
  if (auto v = vq_.next_deadline(); v && *v < t) t = *v;
  return t;
}

}  // namespace quorate::membership
