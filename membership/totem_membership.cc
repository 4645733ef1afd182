// Totem membership changes: gather (agree on the reachable set), commit (a
// commit token goes round twice), recovery (members of one old ring
// exchange that ring's messages) and install (old ring's last messages, the
// transitional configuration, then the regular one).
#include <algorithm>
#include <cassert>

#include "membership/totem.h"
#include "membership/totem_internal.h"
#include "proto/totem.pb.h"

namespace quorate::membership {
namespace {

bool all_known(const google::protobuf::RepeatedField<uint32_t>& ids,
               const std::vector<NodeId>& nodelist) {
  return std::all_of(ids.begin(), ids.end(), [&](uint32_t n) {
    return std::binary_search(nodelist.begin(), nodelist.end(), n);
  });
}

std::string join_ids(const std::vector<NodeId>& v) {
  std::string s;
  for (NodeId n : v) s += (s.empty() ? "" : " ") + std::to_string(n);
  return s;
}

}  // namespace

std::vector<NodeId> Totem::gather_members() const {
  std::vector<NodeId> v;
  for (NodeId n : proc_set_)
    if (!fail_set_.count(n)) v.push_back(n);
  return v;
}

void Totem::enter_gather(std::string why, NodeId add) {
  if (state_ != TotemState::kGather) {
    proc_set_.clear();
    fail_set_.clear();
    known_outsiders_.clear();
    proc_set_.insert(installed_.members.begin(), installed_.members.end());
    if (state_ != TotemState::kOperational)
      proc_set_.insert(ring_members_.begin(), ring_members_.end());
    state_ = TotemState::kGather;
    held_token_.reset();
    hold_until_.reset();
    last_sent_token_.reset();
    token_retransmit_at_.reset();
    merge_at_.reset();
  }
  proc_set_.insert(self_);
  if (add != 0) proc_set_.insert(add);
  fail_set_.erase(self_);
  // The quiet period before committing (maybe_commit) is for merges: only a
  // view that gained nodes from outside the installed ring restarts it.
  for (NodeId n : proc_set_) {
    if (!std::binary_search(installed_.members.begin(), installed_.members.end(), n) &&
        !known_outsiders_.count(n)) {
      known_outsiders_.insert(n);
      view_changed_at_ = now_;
    }
  }
  joins_.clear();
  joins_[self_] = {proc_set_, fail_set_};
  note(TotemNote::Kind::kEnterGather, 0, std::move(why));
  if (p_.send_join_ms == 0) {
    send_join();
    join_resend_at_ = now_ + ms(p_.join_ms);
  } else {
    // send_join: spread the first join of large rings over 0..send_join ms
    // so that a ring-wide gather does not flood the network. The spread is
    // a hash of who and when, not a random draw: the core stays deterministic.
    uint64_t x = (uint64_t{self_} << 32) ^ incarnation_ ^ (++gathers_ * 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    x ^= x >> 31;
    join_resend_at_ = now_ + Time(static_cast<int64_t>(x % (uint64_t{p_.send_join_ms} * 1000)));
  }
  consensus_at_ = now_ + ms(p_.consensus_ms);
}

void Totem::send_join() {
  totem::Packet p = packet();
  auto* j = p.mutable_join();
  set_ring(j->mutable_ring(), installed_.ring);
  for (NodeId n : proc_set_) j->add_proc_set(n);
  for (NodeId n : fail_set_) j->add_fail_set(n);
  j->set_high_ring_seq(high_ring_seq_);
  broadcast(p, nodelist_);
}

void Totem::maybe_commit() {
  // Consensus alone is not enough: the view must also have been quiet for
  // `join` ms, so that the joins of nodes that just heard of us arrive
  // before a ring forms without them (else large clusters churn through
  // small rings that must merge again at once).
  if (state_ == TotemState::kGather && now_ >= view_changed_at_ + ms(p_.join_ms) &&
      consensus_reached() && gather_members().front() == self_)
    create_commit_token();
}

bool Totem::consensus_reached() const {
  for (NodeId n : gather_members()) {
    auto it = joins_.find(n);
    if (it == joins_.end() || it->second.first != proc_set_ || it->second.second != fail_set_)
      return false;
  }
  return true;
}

void Totem::handle_join(NodeId from, uint64_t incarnation, const totem::Join& j) {
  (void)incarnation;
  if (!all_known(j.proc_set(), nodelist_) || !all_known(j.fail_set(), nodelist_) ||
      std::find(j.proc_set().begin(), j.proc_set().end(), from) == j.proc_set().end()) {
    ++counters_.malformed;
    return;
  }
  high_ring_seq_ = std::max(high_ring_seq_, j.high_ring_seq());
  RingId jr = ring_of(j.ring());

  if (j.leaving()) {
    bool known = std::binary_search(installed_.members.begin(), installed_.members.end(), from) ||
                 proc_set_.count(from) ||
                 std::binary_search(ring_members_.begin(), ring_members_.end(), from);
    if (!known || fail_set_.count(from)) return;
    if (state_ != TotemState::kGather) enter_gather("node " + std::to_string(from) + " is leaving");
    fail_set_.insert(from);
    proc_set_.insert(from);
    enter_gather("node " + std::to_string(from) + " left");
    return;
  }

  switch (state_) {
    case TotemState::kOperational: {
      bool member = std::binary_search(installed_.members.begin(), installed_.members.end(), from);
      if (member && jr < installed_.ring) {  // a join from before this ring formed
        ++counters_.stale;
        return;
      }
      // A join that has already given up on us (often a late copy from the
      // sender's previous round) would only make us fail it and churn
      // through singleton rings. Merge detection brings us together later.
      if (std::find(j.fail_set().begin(), j.fail_set().end(), self_) != j.fail_set().end()) {
        ++counters_.stale;
        return;
      }
      enter_gather("join from node " + std::to_string(from), from);
      break;
    }
    case TotemState::kCommit:
    case TotemState::kRecovery:
      if (std::binary_search(ring_members_.begin(), ring_members_.end(), from) &&
          j.high_ring_seq() >= ring_.seq) {
        enter_gather("node " + std::to_string(from) + " abandoned ring " + ring_.str(), from);
        break;
      }
      ++counters_.stale;
      return;
    case TotemState::kGather:
      break;
  }

  if (fail_set_.count(from)) return;
  std::set<NodeId> P(j.proc_set().begin(), j.proc_set().end());
  std::set<NodeId> F(j.fail_set().begin(), j.fail_set().end());
  if (!(P == proc_set_ && F == fail_set_)) {
    bool sub = std::includes(proc_set_.begin(), proc_set_.end(), P.begin(), P.end()) &&
               std::includes(fail_set_.begin(), fail_set_.end(), F.begin(), F.end());
    if (sub) return;  // it knows less than we do and will catch up from our joins
    proc_set_.insert(P.begin(), P.end());
    if (F.count(self_)) {
      fail_set_.insert(from);  // it gave up on us; we go separate ways and merge later
    } else {
      fail_set_.insert(F.begin(), F.end());
    }
    enter_gather("membership view grew after join from node " + std::to_string(from));
    if (!(P == proc_set_ && F == fail_set_)) return;
  }
  joins_[from] = {P, F};
  maybe_commit();
}

void Totem::on_consensus_timeout() {
  ++counters_.consensus_timeouts;
  std::vector<NodeId> failed;
  for (NodeId n : gather_members()) {
    auto it = joins_.find(n);
    if (n != self_ &&
        (it == joins_.end() || it->second.first != proc_set_ || it->second.second != fail_set_))
      failed.push_back(n);
  }
  note(TotemNote::Kind::kConsensusTimeout, static_cast<int64_t>(failed.size()), join_ids(failed));
  fail_set_.insert(failed.begin(), failed.end());
  enter_gather(failed.empty() ? "no commit token after consensus"
                              : "consensus timeout, failed: " + join_ids(failed));
}

void Totem::create_commit_token() {
  std::vector<NodeId> members = gather_members();
  assert(!members.empty() && members.front() == self_);
  high_ring_seq_ += 4;
  totem::CommitToken c;
  set_ring(c.mutable_ring(), RingId{self_, high_ring_seq_});
  for (NodeId n : members) {
    c.add_members(n);
    c.add_info()->set_node(n);
  }
  c.set_rotation(1);
  note(TotemNote::Kind::kEnterCommit, static_cast<int64_t>(members.size()), join_ids(members));
  enter_commit(c);
}

void Totem::enter_commit(totem::CommitToken& c) {
  if (ring_ == installed_.ring) {
    // Keep the installed ring's messages: recovery may need them.
    old_store_ = std::move(store_);
    old_assembly_ = std::move(assembly_);
    old_aru_ = my_aru_;
    old_high_ = high_seq_received_;
    old_delivered_upto_ = delivered_upto_;
  } else {  // an earlier attempt failed: what it recovered is already in old_store_
    while (old_store_.count(old_aru_ + 1)) ++old_aru_;
    if (!old_store_.empty()) old_high_ = std::max(old_high_, old_store_.rbegin()->first);
  }
  store_.clear();
  assembly_.clear();
  size_t me = 0;
  while (c.members(static_cast<int>(me)) != self_) ++me;
  auto* info = c.mutable_info(static_cast<int>(me));
  info->set_node(self_);
  info->set_incarnation(incarnation_);
  set_ring(info->mutable_old_ring(), installed_.ring);
  info->set_old_aru(old_aru_);
  info->set_old_high_seq(old_high_);
  info->set_filled(true);

  state_ = TotemState::kCommit;
  ring_ = ring_of(c.ring());
  ring_members_.assign(c.members().begin(), c.members().end());
  high_ring_seq_ = std::max(high_ring_seq_, ring_.seq);
  last_token_at_ = now_;
  join_resend_at_.reset();
  consensus_at_.reset();
  forward_commit(c);
}

void Totem::forward_commit(totem::CommitToken& c) {
  c.set_hop(c.hop() + 1);
  NodeId next = next_member();
  if (next == self_) {
    handle_commit(self_, c);
    return;
  }
  // The commit token is retransmitted like the token until acknowledged;
  // duplicates are dropped by state.
  auto p = std::make_unique<totem::Packet>(packet());
  *p->mutable_commit() = c;
  send_token_packet(next, std::move(p));
}

void Totem::handle_commit(NodeId from, const totem::CommitToken& in) {
  (void)from;
  const auto& mem = in.members();
  bool valid = mem.size() > 0 && in.info_size() == mem.size() && all_known(mem, nodelist_) &&
               std::is_sorted(mem.begin(), mem.end()) &&
               std::adjacent_find(mem.begin(), mem.end()) == mem.end() &&
               in.ring().rep() == mem.Get(0) && (in.rotation() == 1 || in.rotation() == 2) &&
               std::binary_search(mem.begin(), mem.end(), self_);
  if (!valid) {
    ++counters_.malformed;
    return;
  }
  totem::CommitToken c = in;
  RingId r = ring_of(c.ring());
  if (from != self_) send_ack(from, r, 0, c.hop());
  if (last_sent_token_ && last_sent_token_->has_commit() && ring_ == r) {
    last_sent_token_.reset();
    token_retransmit_at_.reset();
  }
  bool at_rep = r.rep == self_;
  if (c.rotation() == 1 && !at_rep) {
    std::vector<NodeId> members(mem.begin(), mem.end());
    if (state_ != TotemState::kGather || members != gather_members() ||
        r.seq <= installed_.ring.seq) {
      ++counters_.stale;
      return;
    }
    high_ring_seq_ = std::max(high_ring_seq_, r.seq);
    note(TotemNote::Kind::kEnterCommit, static_cast<int64_t>(members.size()), join_ids(members));
    enter_commit(c);
    return;
  }
  if (c.rotation() == 1 && at_rep) {
    bool filled = std::all_of(c.info().begin(), c.info().end(),
                              [](const totem::MemberInfo& i) { return i.filled(); });
    if (state_ != TotemState::kCommit || ring_ != r || !filled) {
      ++counters_.stale;
      return;
    }
    c.set_rotation(2);
    enter_recovery(c);
    forward_commit(c);
    return;
  }
  if (!at_rep) {  // rotation 2
    if (state_ != TotemState::kCommit || ring_ != r) {
      ++counters_.stale;
      return;
    }
    enter_recovery(c);
    forward_commit(c);
    return;
  }
  // Rotation 2 is back at the representative: start the new ring's token
  // (once: a duplicated commit token must not start a second one).
  if (state_ != TotemState::kRecovery || ring_ != r || last_token_seq_ != 0) {
    ++counters_.stale;
    return;
  }
  totem::Token t;
  set_ring(t.mutable_ring(), ring_);
  t.set_token_seq(1);
  t.set_recovery(true);
  last_token_seq_ = 1;
  process_token(t);
}

void Totem::enter_recovery(const totem::CommitToken& c) {
  state_ = TotemState::kRecovery;
  recovery_group_.clear();
  recovery_queue_.clear();
  recovery_next_ = 0;
  if (installed_.ring.seq != 0) {
    uint64_t low = UINT64_MAX, high = 0;
    for (const auto& i : c.info()) {
      if (ring_of(i.old_ring()) != installed_.ring) continue;
      recovery_group_.push_back(i.node());
      low = std::min(low, i.old_aru());
      high = std::max(high, i.old_high_seq());
    }
    for (auto it = old_store_.upper_bound(low); it != old_store_.end() && it->first <= high; ++it)
      recovery_queue_.push_back(it->first);
  }
  store_.clear();
  assembly_.clear();
  my_aru_ = 0;
  high_seq_received_ = 0;
  delivered_upto_ = 0;
  safe_upto_ = 0;
  prev_token_aru_ = 0;
  last_token_seq_ = 0;
  my_last_fcc_ = 0;
  my_last_backlog_ = 0;
  aru_stuck_rotations_ = 0;
  last_my_aru_at_token_ = 0;
  rep_clean_rotations_ = 0;
  rep_last_seq_ = 0;
  last_token_at_ = now_;
  note(TotemNote::Kind::kEnterRecovery, static_cast<int64_t>(recovery_queue_.size()),
       "ring " + ring_.str());
}

uint32_t Totem::send_recovery_messages(totem::Token& t, uint32_t allowance) {
  uint32_t sent = 0;
  while (recovery_next_ < recovery_queue_.size() && sent < allowance) {
    auto it = old_store_.find(recovery_queue_[recovery_next_++]);
    if (it == old_store_.end()) continue;
    totem::Packet p = packet();
    auto* m = p.mutable_mcast();
    set_ring(m->mutable_ring(), ring_);
    m->set_seq(t.seq() + 1);
    t.set_seq(t.seq() + 1);
    m->set_origin(self_);
    m->set_frag_count(1);
    *m->mutable_inner() = it->second->m;
    set_ring(m->mutable_inner_ring(), installed_.ring);
    store_mcast(*m);
    broadcast(p, ring_members_);
    ++sent;
  }
  if (recovery_next_ < recovery_queue_.size()) t.set_retrans_flg(true);
  return sent;
}

void Totem::install(totem::Token& t) {
  const bool had_ring = installed_.ring.seq != 0;
  if (!had_ring) recovery_group_.clear();
  Configuration trans{ring_, true, recovery_group_, {}, {}};
  if (had_ring) {
    // Every member of our old ring now holds the same old-ring messages.
    // Agreed ones up to the first gap belong to the old regular
    // configuration. From the first gap (messages of members that failed and
    // that no survivor holds) or the first safe message (its safety across
    // the old ring is unknown) on, they are delivered in the transitional
    // configuration, as Extended Virtual Synchrony allows.
    bool trans_sent = false;
    uint64_t expect = old_delivered_upto_ + 1;
    for (auto it = old_store_.upper_bound(old_delivered_upto_); it != old_store_.end(); ++it) {
      if (!trans_sent && (it->first != expect || it->second->m.safe())) {
        ready_.events.emplace_back(trans);
        trans_sent = true;
      }
      deliver_message(it->second->m, installed_.ring, old_assembly_);
      expect = it->first + 1;
    }
    if (!trans_sent) ready_.events.emplace_back(trans);
  }
  Configuration reg{ring_, false, ring_members_, {}, {}};
  for (NodeId n : ring_members_)
    if (!std::binary_search(recovery_group_.begin(), recovery_group_.end(), n))
      reg.joined.push_back(n);
  for (NodeId n : installed_.members)
    if (!std::binary_search(recovery_group_.begin(), recovery_group_.end(), n))
      reg.left.push_back(n);
  installed_ = reg;
  ready_.events.emplace_back(std::move(reg));

  old_store_.clear();
  old_assembly_.clear();
  old_delivered_upto_ = old_aru_ = old_high_ = 0;
  recovery_queue_.clear();
  recovery_group_.clear();
  delivered_upto_ = t.base_seq();
  safe_upto_ = std::max(safe_upto_, t.base_seq());
  proc_set_.clear();
  fail_set_.clear();
  joins_.clear();
  state_ = TotemState::kOperational;
  ++counters_.rings_formed;
  note(TotemNote::Kind::kInstalled, static_cast<int64_t>(ring_members_.size()),
       "ring " + ring_.str() + " members " + join_ids(ring_members_));
  if (ring_.rep == self_) merge_at_ = now_ + ms(p_.merge_ms);
}

void Totem::handle_merge(NodeId from, const totem::MergeDetect& m) {
  if (state_ != TotemState::kOperational ||
      std::binary_search(installed_.members.begin(), installed_.members.end(), from) ||
      ring_of(m.ring()) == installed_.ring)
    return;
  ++counters_.foreign;
  note(TotemNote::Kind::kMergeDetected, from);
  enter_gather("merge: node " + std::to_string(from) + " is in ring " + ring_of(m.ring()).str(),
               from);
}

}  // namespace quorate::membership
