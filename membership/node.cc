// MembershipNode: Totem + votequorum + process groups. See node.h.
#include "membership/node.h"

#include <algorithm>

namespace quorate::membership {
namespace {
constexpr char kTagVotequorum = 'V';
constexpr char kTagGroups = 'G';
constexpr char kTagApp = 'A';
// Room for a group message's envelope (name, pid, field headers) and tag.
constexpr size_t kGroupEnvelopeBytes = 1024;
}  // namespace

TotemParams totem_params(const ClusterConfig& config) {
  EffectiveTimers e = effective_timers(config.timers, config.nodes.size());
  TotemParams p;
  p.token_ms = e.token_ms;
  p.token_retransmit_ms = e.token_retransmit_ms;
  p.hold_ms = e.hold_ms;
  p.join_ms = e.join_ms;
  p.send_join_ms = e.send_join_ms;
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
  // Totem refuses a payload above max_message_bytes, or one with more
  // fragments than its whole queue holds; group sends must stay below both.
  const size_t max_submit = std::min<size_t>(params.max_message_bytes,
                                             size_t{params.max_pending} * params.fragment_bytes);
  GroupLimits limits;
  limits.max_payload_bytes =
      std::min(limits.max_payload_bytes,
               max_submit > kGroupEnvelopeBytes ? max_submit - kGroupEnvelopeBytes : size_t{0});
  std::unique_ptr<MembershipNode> node(new MembershipNode(std::move(t), std::move(vq).value(),
                                                          ProcessGroups(self, limits), max_submit));
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

Status MembershipNode::group_join(std::string_view group, uint32_t pid, Time now) {
  Status st = groups_.join(group, pid);
  pump(now);
  return st;
}

Status MembershipNode::group_leave(std::string_view group, uint32_t pid, Time now) {
  Status st = groups_.leave(group, pid);
  pump(now);
  return st;
}

void MembershipNode::group_process_down(uint32_t pid, Time now) {
  groups_.process_down(pid);
  pump(now);
}

Status MembershipNode::group_send(std::string_view group, uint32_t pid, std::string_view payload,
                                  Time now) {
  Status st = groups_.send(group, pid, payload);
  pump(now);
  return st;
}

bool MembershipNode::flush_groups(Time now) {
  bool moved = false;
  while (const std::string* p = groups_.peek_outgoing()) {
    std::string tagged;
    tagged.reserve(p->size() + 1);
    tagged.push_back(kTagGroups);
    tagged += *p;
    const size_t size = tagged.size();
    if (!totem_->step(input::Submit{std::move(tagged), Guarantee::kAgreed}, now).ok()) {
      if (size <= max_submit_bytes_) break;  // queue full: keep the order, retry at the next step
      ++dropped_payloads_;                   // can never fit (a huge JoinList): drop it
    }
    groups_.pop_outgoing();
    moved = true;
  }
  return moved;
}

void MembershipNode::pump(Time now) {
  for (int round = 0; round < 8; ++round) {  // bounded: each round drains every side
    bool moved = flush_groups(now);
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
        groups_.on_configuration(*c);
        ready_.events.emplace_back(std::move(*c));
      } else if (auto* d = std::get_if<Delivery>(&e)) {
        if (d->payload.empty()) {
          ++dropped_payloads_;
        } else if (d->payload[0] == kTagVotequorum) {
          (void)vq_.on_message(d->origin, std::string_view(d->payload).substr(1), now);
        } else if (d->payload[0] == kTagGroups) {
          groups_.on_delivery(d->origin, std::string_view(d->payload).substr(1));
        } else if (d->payload[0] == kTagApp) {
          d->payload.erase(0, 1);
          ready_.events.emplace_back(std::move(*d));
        } else {
          ++dropped_payloads_;
        }
      } else {
        ready_.events.emplace_back(std::get<TotemNote>(std::move(e)));
      }
      for (auto& g : groups_.take_events())
        std::visit([this](auto&& ev) { ready_.events.emplace_back(std::move(ev)); }, std::move(g));
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
