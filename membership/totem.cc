// Totem single-ring protocol: inputs, the operational ring (token, ordered
// messages, retransmission, flow control, delivery). Membership changes
// (gather, commit, recovery, install) are in totem_membership.cc.
#include "membership/totem.h"

#include <algorithm>
#include <cassert>
#include <chrono>

#include "membership/totem_internal.h"
#include "proto/totem.pb.h"

namespace quorate::membership {

std::string RingId::str() const {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%u.%llx", rep, static_cast<unsigned long long>(seq));
  return buf;
}

const char* to_string(TotemState s) {
  switch (s) {
    case TotemState::kOperational:
      return "operational";
    case TotemState::kGather:
      return "gather";
    case TotemState::kCommit:
      return "commit";
    case TotemState::kRecovery:
      return "recovery";
  }
  return "?";
}

Totem::Totem(NodeId self, std::vector<NodeId> nodelist, TotemParams params, uint64_t incarnation,
             uint64_t ring_seq, Time now)
    : self_(self),
      nodelist_([&] {
        std::sort(nodelist.begin(), nodelist.end());
        nodelist.erase(std::unique(nodelist.begin(), nodelist.end()), nodelist.end());
        return nodelist;
      }()),
      p_(params),
      incarnation_(incarnation),
      now_(now) {
  assert(std::binary_search(nodelist_.begin(), nodelist_.end(), self_));
  assert(p_.fragment_bytes > 0 && p_.window_size > 0 && p_.max_messages > 0);
  high_ring_seq_ = ring_seq;
  installed_.ring = RingId{self_, 0};  // seq 0: no ring installed yet
  ring_ = installed_.ring;
  incarnations_[self_] = incarnation_;
  enter_gather("starting");
}

Totem::~Totem() = default;

std::string Totem::debug_string() const {
  return std::string(to_string(state_)) + " ring " + ring_.str() + " aru " +
         std::to_string(my_aru_) + " high " + std::to_string(high_seq_received_) + " delivered " +
         std::to_string(delivered_upto_) + " safe " + std::to_string(safe_upto_) + " stored " +
         std::to_string(store_.size()) + " pending " + std::to_string(pending()) + " last_token " +
         std::to_string(last_token_seq_) + " fcc " + std::to_string(my_last_fcc_);
}

Status Totem::step(const Input& in, Time now) {
  if (now > now_) now_ = now;
  if (left_) {
    if (std::holds_alternative<input::Submit>(in)) return Error{"this node has left the cluster"};
    return Status::Ok();
  }
  return std::visit(
      [&](const auto& v) -> Status {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, input::Receive>) {
          on_packet(v.from, v.bytes);
        } else if constexpr (std::is_same_v<T, input::Tick>) {
          on_tick();
        } else if constexpr (std::is_same_v<T, input::Submit>) {
          return on_submit(v.payload, v.guarantee);
        } else {
          on_leave();
        }
        return Status::Ok();
      },
      in);
}

Ready Totem::take_ready() {
  Ready r;
  std::swap(r, ready_);
  return r;
}

Time Totem::next_deadline() const {
  Time d = now_ + ms(1000);
  auto take = [&](std::optional<Time> t) {
    if (t && *t < d) d = *t;
  };
  if (left_) return d;
  if (state_ != TotemState::kGather) take(last_token_at_ + ms(p_.token_ms));
  take(token_retransmit_at_);
  if (held_token_) take(hold_until_);
  take(join_resend_at_);
  take(consensus_at_);
  take(merge_at_);
  return d;
}

void Totem::note(TotemNote::Kind k, int64_t value, std::string text) {
  ready_.events.emplace_back(TotemNote{k, value, std::move(text)});
}

totem::Packet Totem::packet() const {
  totem::Packet p;
  p.set_sender(self_);
  p.set_incarnation(incarnation_);
  return p;
}

void Totem::send_to(NodeId to, const totem::Packet& p) {
  auto bytes = std::make_shared<const std::string>(p.SerializeAsString());
  ready_.messages.push_back(Outgoing{to, std::move(bytes)});
  ++counters_.packets_out;
}

void Totem::broadcast(const totem::Packet& p, const std::vector<NodeId>& to) {
  auto bytes = std::make_shared<const std::string>(p.SerializeAsString());
  for (NodeId n : to) {
    if (n == self_) continue;
    ready_.messages.push_back(Outgoing{n, bytes});
    ++counters_.packets_out;
  }
}

NodeId Totem::next_member() const {
  auto it = std::upper_bound(ring_members_.begin(), ring_members_.end(), self_);
  return it == ring_members_.end() ? ring_members_.front() : *it;
}

// ---------------------------------------------------------------- inputs

void Totem::on_packet(NodeId from, std::string_view bytes) {
  ++counters_.packets_in;
  totem::Packet p;
  if (!p.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || p.sender() != from ||
      from == self_ || !std::binary_search(nodelist_.begin(), nodelist_.end(), from) ||
      p.body_case() == totem::Packet::BODY_NOT_SET) {
    ++counters_.malformed;
    return;
  }
  auto& known = incarnations_[from];
  if (p.incarnation() < known) {  // an earlier life of a restarted node
    ++counters_.stale;
    return;
  }
  bool restarted = known != 0 && p.incarnation() > known;
  known = p.incarnation();
  if (restarted && state_ == TotemState::kOperational &&
      std::binary_search(installed_.members.begin(), installed_.members.end(), from)) {
    enter_gather("node " + std::to_string(from) + " restarted");
  }
  switch (p.body_case()) {
    case totem::Packet::kToken:
      handle_token(from, p.token());
      break;
    case totem::Packet::kMcast:
      handle_mcast(from, p.mcast());
      break;
    case totem::Packet::kJoin:
      handle_join(from, p.incarnation(), p.join());
      break;
    case totem::Packet::kCommit:
      handle_commit(from, p.commit());
      break;
    case totem::Packet::kMerge:
      handle_merge(from, p.merge());
      break;
    case totem::Packet::kWake:
      handle_wake(from, p.wake());
      break;
    case totem::Packet::kAck:
      handle_ack(from, p.ack());
      break;
    case totem::Packet::BODY_NOT_SET:
      break;
  }
}

void Totem::on_tick() {
  if (state_ != TotemState::kGather && now_ - last_token_at_ >= ms(p_.token_ms)) {
    ++counters_.token_losses;
    auto since = std::chrono::duration_cast<std::chrono::milliseconds>(now_ - last_token_at_);
    note(TotemNote::Kind::kTokenLost, since.count());
    enter_gather("token lost in " + std::string(to_string(state_)) + " state after " +
                 std::to_string(since.count()) + " ms");
    return;
  }
  if (held_token_ && hold_until_ && now_ >= *hold_until_) {
    auto t = std::move(held_token_);
    hold_until_.reset();
    process_token(*t);
  }
  if (token_retransmit_at_ && now_ >= *token_retransmit_at_ && last_sent_token_) {
    ++counters_.token_retransmits;
    send_to(last_sent_token_to_, *last_sent_token_);
    token_resent_ = true;
    token_retransmit_interval_ =
        std::min(token_retransmit_interval_ * 2, Time(ms(p_.token_retransmit_ms)));
    token_retransmit_at_ = now_ + token_retransmit_interval_;
  }
  if (state_ == TotemState::kGather) {
    if (consensus_at_ && now_ >= *consensus_at_) {
      on_consensus_timeout();
      return;
    }
    if (join_resend_at_ && now_ >= *join_resend_at_) {
      send_join();
      join_resend_at_ = now_ + ms(p_.join_ms);
      maybe_commit();
    }
  }
  if (merge_at_ && now_ >= *merge_at_) {
    merge_at_.reset();
    if (state_ == TotemState::kOperational && ring_.rep == self_) {
      totem::Packet p = packet();
      p.mutable_merge()->mutable_ring()->set_rep(ring_.rep);
      p.mutable_merge()->mutable_ring()->set_seq(ring_.seq);
      std::vector<NodeId> others;
      for (NodeId n : nodelist_)
        if (!std::binary_search(ring_members_.begin(), ring_members_.end(), n)) others.push_back(n);
      broadcast(p, others);
      merge_at_ = now_ + ms(p_.merge_ms);
    }
  }
}

Status Totem::on_submit(const std::string& payload, Guarantee g) {
  if (payload.size() > p_.max_message_bytes) {
    ++counters_.submit_rejected;
    return Error{"message of " + std::to_string(payload.size()) + " bytes exceeds the limit of " +
                 std::to_string(p_.max_message_bytes)};
  }
  size_t frags = payload.empty() ? 1 : (payload.size() + p_.fragment_bytes - 1) / p_.fragment_bytes;
  if (pending_.size() - pending_head_ + frags > p_.max_pending) {
    ++counters_.submit_rejected;
    return Error{"send queue full (" + std::to_string(p_.max_pending) + " fragments); try again"};
  }
  uint64_t id = next_msg_id_++;
  for (size_t i = 0; i < frags; ++i) {
    auto f = std::make_unique<Pending>();
    f->payload = payload.substr(i * p_.fragment_bytes, p_.fragment_bytes);
    f->safe = g == Guarantee::kSafe;
    f->index = static_cast<uint32_t>(i);
    f->count = static_cast<uint32_t>(frags);
    f->msg_id = id;
    pending_.push_back(std::move(f));
  }
  // The representative holds an idle token; new work releases it at once,
  // here or, once per rotation, at the representative through a Wake.
  if (held_token_ && hold_until_) hold_until_ = now_;
  if (state_ == TotemState::kOperational && ring_.rep != self_ &&
      woke_at_token_seq_ != last_token_seq_) {
    woke_at_token_seq_ = last_token_seq_;
    totem::Packet p = packet();
    set_ring(p.mutable_wake()->mutable_ring(), ring_);
    send_to(ring_.rep, p);
  }
  return Status::Ok();
}

void Totem::on_leave() {
  totem::Packet p = packet();
  auto* j = p.mutable_join();
  j->mutable_ring()->set_rep(installed_.ring.rep);
  j->mutable_ring()->set_seq(installed_.ring.seq);
  j->add_proc_set(self_);
  j->set_high_ring_seq(high_ring_seq_);
  j->set_leaving(true);
  for (int i = 0; i < 3; ++i) broadcast(p, nodelist_);  // unreliable transport: say it thrice
  left_ = true;
  held_token_.reset();
  last_sent_token_.reset();
}

// ------------------------------------------------------- operational ring

void Totem::handle_token(NodeId from, const totem::Token& t) {
  RingId r{t.ring().rep(), t.ring().seq()};
  if (r != ring_ || (state_ != TotemState::kOperational && state_ != TotemState::kRecovery)) {
    if (state_ == TotemState::kOperational &&
        !std::binary_search(installed_.members.begin(), installed_.members.end(), from)) {
      ++counters_.foreign;
      note(TotemNote::Kind::kMergeDetected, from);
      enter_gather("token of foreign ring " + r.str() + " from node " + std::to_string(from), from);
    } else {
      ++counters_.stale;
    }
    return;
  }
  send_ack(from, r, t.token_seq(), 0);
  if (t.token_seq() <= last_token_seq_) {  // a retransmitted copy we already took
    ++counters_.stale;
    return;
  }
  last_token_seq_ = t.token_seq();
  last_token_at_ = now_;
  token_retransmit_at_.reset();
  last_sent_token_.reset();
  auto tok = std::make_unique<totem::Token>(t);
  if (state_ == TotemState::kRecovery && !tok->recovery()) install(*tok);
  if (state_ == TotemState::kOperational && tok->recovery()) {
    ++counters_.stale;
    return;
  }
  if (state_ == TotemState::kOperational && ring_.rep == self_ && tok->fcc() == 0 &&
      tok->backlog() == 0 && tok->rtr_size() == 0 && tok->aru() == tok->seq() &&
      pending_head_ == pending_.size()) {
    // Idle ring: the representative pauses the rotation for `hold`.
    held_token_ = std::move(tok);
    hold_until_ = now_ + ms(p_.hold_ms);
    return;
  }
  process_token(*tok);
}

void Totem::handle_wake(NodeId from, const totem::Wake& w) {
  if (state_ != TotemState::kOperational || ring_of(w.ring()) != ring_ || !held_token_ ||
      !std::binary_search(ring_members_.begin(), ring_members_.end(), from))
    return;
  auto t = std::move(held_token_);
  hold_until_.reset();
  process_token(*t);
}

void Totem::process_token(totem::Token& t) {
  ++counters_.tokens;
  // Token loss is timed from the token's arrival (handle_token), not from
  // the end of a hold; only in a ring of one does holding mean receiving.
  if (ring_members_.size() == 1) last_token_at_ = now_;
  const bool recovery = state_ == TotemState::kRecovery;

  if (recovery && ring_.rep == self_ && t.token_seq() > 1) {
    // Recovery is over once, for two whole rotations, no member had old
    // messages left to send and every member held every recovery message.
    bool clean = !t.retrans_flg() && t.aru() == t.seq() && t.seq() == rep_last_seq_;
    rep_clean_rotations_ = clean ? rep_clean_rotations_ + 1 : 0;
    rep_last_seq_ = t.seq();
    t.set_retrans_flg(false);
    if (rep_clean_rotations_ >= 2) {
      t.set_recovery(false);
      t.set_base_seq(t.seq());
      install(t);
    }
  }

  // Re-broadcast what others asked for and we hold.
  uint32_t sent = 0;
  auto* rtr = t.mutable_rtr();
  for (int i = 0; i < rtr->size();) {
    auto it = store_.find(rtr->Get(i));
    if (it != store_.end() && sent < p_.max_messages) {
      totem::Packet p = packet();
      *p.mutable_mcast() = it->second->m;
      broadcast(p, ring_members_);
      ++counters_.retransmits;
      ++sent;
      rtr->erase(rtr->begin() + i);
    } else {
      ++i;
    }
  }

  // Flow control: at most window_size messages per rotation for the whole
  // ring, at most max_messages per visit for this node.
  // When the members' backlogs together exceed the window, each gets a
  // share in proportion to its own backlog, so that early members of the
  // ring cannot starve later ones.
  uint32_t others = t.fcc() >= my_last_fcc_ ? t.fcc() - my_last_fcc_ : 0;
  uint32_t allowance = others >= p_.window_size ? 0 : p_.window_size - others;
  allowance = std::min(allowance, p_.max_messages);
  uint64_t my_backlog = pending();
  uint64_t others_backlog = t.backlog() >= my_last_backlog_ ? t.backlog() - my_last_backlog_ : 0;
  if (my_backlog > 0 && my_backlog + others_backlog > p_.window_size) {
    uint64_t share = p_.window_size * my_backlog / (my_backlog + others_backlog);
    allowance = std::min<uint32_t>(allowance, static_cast<uint32_t>(std::max<uint64_t>(share, 1)));
  }
  allowance = allowance > sent ? allowance - sent : 0;
  uint32_t new_sent = state_ == TotemState::kRecovery ? send_recovery_messages(t, allowance)
                                                      : send_new_messages(t, allowance);
  t.set_fcc(others + sent + new_sent);
  my_last_fcc_ = sent + new_sent;
  my_last_backlog_ = static_cast<uint32_t>(std::min<size_t>(pending(), UINT32_MAX / 64));
  t.set_backlog(
      static_cast<uint32_t>(std::min<uint64_t>(others_backlog + my_last_backlog_, UINT32_MAX / 2)));

  // All-received-up-to.
  update_aru();
  if (my_aru_ < t.aru() || t.aru_addr() == self_ || t.aru_addr() == 0) {
    t.set_aru(my_aru_);
    t.set_aru_addr(t.aru() == t.seq() ? 0 : self_);
  }
  // Ask for what we miss.
  if (my_aru_ < t.seq()) {
    std::set<uint64_t> asked(t.rtr().begin(), t.rtr().end());
    for (uint64_t s = my_aru_ + 1; s <= t.seq() && t.rtr_size() < kMaxRtr; ++s) {
      if (!store_.count(s) && !asked.count(s)) t.add_rtr(s);
    }
  }
  // Safe point: every member held `safe_upto_` at two successive visits.
  safe_upto_ = std::max(safe_upto_, std::min(prev_token_aru_, t.aru()));
  prev_token_aru_ = t.aru();

  // A member that cannot receive for fail_recv_const rotations gives up.
  if (t.aru_addr() == self_ && my_aru_ == last_my_aru_at_token_ && my_aru_ < t.seq()) {
    if (++aru_stuck_rotations_ >= p_.fail_recv_const) {
      note(TotemNote::Kind::kFailedToReceive, static_cast<int64_t>(my_aru_));
      aru_stuck_rotations_ = 0;
      enter_gather("failed to receive message " + std::to_string(my_aru_ + 1));
      return;
    }
  } else {
    aru_stuck_rotations_ = 0;
  }
  last_my_aru_at_token_ = my_aru_;

  if (state_ == TotemState::kOperational) {
    deliver_ready();
    collect_garbage(std::min(safe_upto_, delivered_upto_));
  }
  t.set_token_seq(t.token_seq() + 1);
  last_token_seq_ = t.token_seq();
  forward_token(t);
}

void Totem::forward_token(const totem::Token& t) {
  NodeId next = next_member();
  if (next == self_) {  // a ring of one: the token comes straight back
    held_token_ = std::make_unique<totem::Token>(t);
    bool idle = state_ == TotemState::kOperational && pending_head_ == pending_.size();
    hold_until_ = now_ + (idle ? ms(p_.hold_ms) : Time{0});
    return;
  }
  auto p = std::make_unique<totem::Packet>(packet());
  *p->mutable_token() = t;
  send_token_packet(next, std::move(p));
}

void Totem::send_token_packet(NodeId to, std::unique_ptr<totem::Packet> p) {
  // Resent until acknowledged: first after a few round trips (or 10 ms
  // before any was measured), then doubling up to token_retransmit.
  last_sent_token_ = std::move(p);
  last_sent_token_to_ = to;
  last_sent_token_at_ = now_;
  token_resent_ = false;
  send_to(to, *last_sent_token_);
  Time first = rtt_ewma_us_ > 0 ? Time(4 * rtt_ewma_us_ + 1000) : Time(ms(10));
  token_retransmit_interval_ =
      std::clamp(first, Time(ms(2)), std::max(Time(ms(2)), Time(ms(p_.token_retransmit_ms))));
  token_retransmit_at_ = now_ + token_retransmit_interval_;
}

void Totem::send_ack(NodeId to, const RingId& ring, uint64_t token_seq, uint32_t commit_hop) {
  totem::Packet p = packet();
  auto* a = p.mutable_ack();
  set_ring(a->mutable_ring(), ring);
  a->set_token_seq(token_seq);
  a->set_commit_hop(commit_hop);
  send_to(to, p);
}

void Totem::handle_ack(NodeId from, const totem::TokenAck& a) {
  if (!last_sent_token_ || from != last_sent_token_to_) return;
  bool match = false;
  if (last_sent_token_->has_token()) {
    match = ring_of(a.ring()) == ring_of(last_sent_token_->token().ring()) &&
            a.token_seq() == last_sent_token_->token().token_seq();
  } else if (last_sent_token_->has_commit()) {
    match = ring_of(a.ring()) == ring_of(last_sent_token_->commit().ring()) && a.token_seq() == 0 &&
            a.commit_hop() == last_sent_token_->commit().hop();
  }
  if (!match) return;
  if (!token_resent_) {
    int64_t rtt = (now_ - last_sent_token_at_).count();
    rtt_ewma_us_ = rtt_ewma_us_ == 0 ? rtt : (7 * rtt_ewma_us_ + rtt) / 8;
  }
  last_sent_token_.reset();
  token_retransmit_at_.reset();
}

uint32_t Totem::send_new_messages(totem::Token& t, uint32_t allowance) {
  uint32_t sent = 0;
  while (pending_head_ < pending_.size()) {
    // Fragments of one message go out in one visit, so they take consecutive
    // seqs; the first message of a visit may exceed the allowance.
    const Pending& first = *pending_[pending_head_];
    uint32_t need = first.count - first.index;
    if (sent > 0 && sent + need > allowance) break;
    if (sent == 0 && allowance == 0) break;
    for (uint32_t i = 0; i < need; ++i) {
      const Pending& f = *pending_[pending_head_++];
      totem::Packet p = packet();
      auto* m = p.mutable_mcast();
      m->mutable_ring()->set_rep(ring_.rep);
      m->mutable_ring()->set_seq(ring_.seq);
      m->set_seq(t.seq() + 1);
      t.set_seq(t.seq() + 1);
      m->set_origin(self_);
      m->set_safe(f.safe);
      m->set_frag_index(f.index);
      m->set_frag_count(f.count);
      m->set_payload(f.payload);
      store_mcast(*m);
      broadcast(p, ring_members_);
      ++counters_.mcasts_sent;
      ++sent;
    }
  }
  if (pending_head_ == pending_.size()) {
    pending_.clear();
    pending_head_ = 0;
  } else if (pending_head_ > 1024) {
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<long>(pending_head_));
    pending_head_ = 0;
  }
  return sent;
}

void Totem::handle_mcast(NodeId from, const totem::Mcast& m) {
  RingId r{m.ring().rep(), m.ring().seq()};
  if (m.seq() == 0 || m.frag_count() == 0 || m.frag_index() >= m.frag_count() ||
      !std::binary_search(nodelist_.begin(), nodelist_.end(), m.origin()) ||
      (m.has_inner() && (m.inner().seq() == 0 || m.inner().frag_count() == 0 ||
                         m.inner().frag_index() >= m.inner().frag_count()))) {
    ++counters_.malformed;
    return;
  }
  if (r != ring_ || (state_ != TotemState::kOperational && state_ != TotemState::kRecovery)) {
    if (state_ == TotemState::kOperational &&
        !std::binary_search(installed_.members.begin(), installed_.members.end(), from)) {
      ++counters_.foreign;
      note(TotemNote::Kind::kMergeDetected, from);
      enter_gather("message of foreign ring " + r.str() + " from node " + std::to_string(from),
                   from);
    } else {
      ++counters_.stale;
    }
    return;
  }
  // The next member sent on this ring after our token: it has the token.
  if (last_sent_token_ && from == last_sent_token_to_ &&
      m.seq() > last_sent_token_->token().seq()) {
    token_retransmit_at_.reset();
    last_sent_token_.reset();
  }
  store_mcast(m);
  if (state_ == TotemState::kOperational) {
    update_aru();
    deliver_ready();
  }
}

void Totem::store_mcast(const totem::Mcast& m) {
  if (m.seq() <= my_aru_ || store_.count(m.seq())) return;  // duplicate
  auto s = std::make_unique<Stored>();
  s->m = m;
  if (state_ == TotemState::kRecovery && m.has_inner() &&
      RingId{m.inner_ring().rep(), m.inner_ring().seq()} == installed_.ring &&
      installed_.ring.seq != 0) {
    uint64_t os = m.inner().seq();
    if (os > old_delivered_upto_ && !old_store_.count(os)) {
      auto o = std::make_unique<Stored>();
      o->m = m.inner();
      old_store_.emplace(os, std::move(o));
    }
  }
  high_seq_received_ = std::max(high_seq_received_, m.seq());
  store_.emplace(m.seq(), std::move(s));
}

void Totem::update_aru() {
  while (store_.count(my_aru_ + 1)) ++my_aru_;
}

void Totem::deliver_ready() {
  while (delivered_upto_ < my_aru_) {
    uint64_t s = delivered_upto_ + 1;
    auto it = store_.find(s);
    assert(it != store_.end());
    if (it->second->m.safe() && s > safe_upto_) break;
    deliver_message(it->second->m, ring_, assembly_);
    delivered_upto_ = s;
  }
}

void Totem::deliver_message(const totem::Mcast& m, const RingId& ring,
                            std::map<NodeId, std::unique_ptr<Assembly>>& assembly) {
  if (m.frag_count() == 1) {
    ++counters_.delivered;
    ready_.events.emplace_back(Delivery{m.origin(), ring, m.seq(), m.safe(), m.payload()});
    return;
  }
  auto& a = assembly[m.origin()];
  if (m.frag_index() == 0) a = std::make_unique<Assembly>();
  if (!a || a->next_index != m.frag_index() || (m.frag_index() > 0 && a->last_seq + 1 != m.seq())) {
    a.reset();  // a fragment is missing (a gap at install): the message cannot be delivered
    return;
  }
  a->last_seq = m.seq();
  a->payload += m.payload();
  a->next_index++;
  if (a->next_index == m.frag_count()) {
    ++counters_.delivered;
    ready_.events.emplace_back(
        Delivery{m.origin(), ring, m.seq(), m.safe(), std::move(a->payload)});
    a.reset();
  }
}

void Totem::collect_garbage(uint64_t upto) {
  while (!store_.empty() && store_.begin()->first <= upto) store_.erase(store_.begin());
}

}  // namespace quorate::membership
