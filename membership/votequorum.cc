// Votequorum core: Corosync's vote-based quorum rules as a deterministic
// state machine. See votequorum.h for the ordering contract; the rules and
// their sources are summarised there and next to each step below.
#include "membership/votequorum.h"

#include <algorithm>
#include <climits>
#include <limits>
#include <utility>

#include "proto/votequorum.pb.h"

namespace quorate::membership {

namespace {

namespace pb = quorate::votequorum;

// Per-node flags carried in NodeInfo (Corosync's NODE_FLAGS_*, minus qdevice).
constexpr uint32_t kFlagQuorate = 1;
constexpr uint32_t kFlagLeaving = 2;
constexpr uint32_t kFlagWaitForAll = 4;
constexpr uint32_t kFlagFirst = 8;

uint32_t saturate(uint64_t v) {
  return v > std::numeric_limits<uint32_t>::max() ? std::numeric_limits<uint32_t>::max()
                                                  : static_cast<uint32_t>(v);
}

bool contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

uint32_t flags_of(const pb::NodeInfo& m) {
  uint32_t f = 0;
  if (m.quorate()) f |= kFlagQuorate;
  if (m.leaving()) f |= kFlagLeaving;
  if (m.wait_for_all_status()) f |= kFlagWaitForAll;
  if (m.first()) f |= kFlagFirst;
  return f;
}

}  // namespace

const char* to_string(VqNodeState s) {
  switch (s) {
    case VqNodeState::kMember:
      return "member";
    case VqNodeState::kDead:
      return "dead";
    case VqNodeState::kLeaving:
      return "leaving";
  }
  return "?";
}

Votequorum::Votequorum(NodeId self) : self_(self) {
  Node n;
  n.nodeid = self;
  n.state = VqNodeState::kMember;
  n.votes = 1;
  n.flags = kFlagFirst;
  nodes_.emplace(self, n);
}

// Startup configuration, as votequorum_readconfig() does it at startup.
Result<Votequorum> Votequorum::create(const QuorumConfig& config,
                                      const std::vector<NodeEntry>& nodelist, NodeId self, Time now,
                                      uint32_t ev_tracking_barrier) {
  (void)now;  // nothing time-dependent happens before the first configuration
  if (self == 0) return Error{"votequorum: node id 0 is reserved"};

  // The nodelist counts only if this node is in it (nodelist.local_node_pos).
  const NodeEntry* own = nullptr;
  for (const NodeEntry& n : nodelist) {
    if (n.nodeid == self) own = &n;
  }
  const bool have_nodelist = own != nullptr;
  uint64_t nodelist_votes = 0;
  if (have_nodelist) {
    for (const NodeEntry& n : nodelist) nodelist_votes += n.quorum_votes;
  }
  uint32_t expected_votes = config.expected_votes.value_or(0);  // 0: not set
  if (!have_nodelist && expected_votes == 0) {
    return Error{"configuration error: nodelist or quorum.expected_votes must be configured!"};
  }

  Votequorum vq(self);
  vq.two_node_ = config.two_node;
  vq.wait_for_all_ = config.wait_for_all_effective();  // two_node implies it unless set to 0
  vq.last_man_standing_ = config.last_man_standing;
  vq.last_man_standing_window_ = ms(config.last_man_standing_window_ms);
  vq.allow_downscale_ = config.allow_downscale;
  vq.ev_tracking_ = config.allow_downscale;  // allow_downscale implies expected_votes_tracking
  vq.ev_tracking_barrier_ = ev_tracking_barrier;

  if (config.auto_tie_breaker) {
    switch (config.auto_tie_breaker_node) {
      case TieBreaker::kLowest:
        vq.tie_breaker_ = Atb::kLowest;
        break;
      case TieBreaker::kHighest:
        vq.tie_breaker_ = Atb::kHighest;
        break;
      case TieBreaker::kList:
        for (uint32_t id : config.auto_tie_breaker_list) {
          if (id != 0) vq.tie_breaker_list_.push_back(id);
        }
        if (vq.tie_breaker_list_.empty()) {
          vq.warnings_.push_back(
              "auto_tie_breaker_node is not valid. It must be 'lowest', 'highest' or a "
              "space-separated list of node IDs. auto_tie_breaker is disabled");
        } else {
          vq.tie_breaker_ = Atb::kList;
        }
        break;
    }
  }

  // two_node decides by a fence race, auto_tie_breaker by node id.
  if (vq.two_node_ && vq.tie_breaker_ != Atb::kNone) {
    vq.warnings_.push_back(
        "two_node and auto_tie_breaker are both specified but are not compatible. "
        "two_node has been disabled, please fix your corosync.conf");
    vq.two_node_ = false;
  }

  // An odd-sized cluster needs wait_for_all with auto_tie_breaker, so that a
  // rebooted half+1 without the tie-breaker is not quorate.
  if (vq.tie_breaker_ != Atb::kNone && nodelist_votes % 2 == 1 && !vq.wait_for_all_) {
    if (vq.last_man_standing_) {
      return Error{
          "configuration error: auto_tie_breaker & last_man_standing not available in odd "
          "sized cluster"};
    }
    vq.warnings_.push_back(
        "auto_tie_breaker is set and the cluster has an odd number of nodes. wait_for_all "
        "needs to be set for this configuration but it is missing. Therefore "
        "auto_tie_breaker has been disabled. Please fix your corosync.conf");
    vq.tie_breaker_ = Atb::kNone;
  }

  // expected_votes_tracking: the stored barrier replaces quorum.expected_votes.
  if (vq.ev_tracking_) expected_votes = ev_tracking_barrier;

  Node& u = vq.us();
  if (have_nodelist) {
    u.votes = own->quorum_votes;
    u.expected_votes = saturate(nodelist_votes);
  } else {
    u.votes = 1;
  }
  if (expected_votes != 0) u.expected_votes = expected_votes;
  vq.ev_barrier_ = u.expected_votes;
  if (vq.wait_for_all_) vq.set_wait_for_all_status(true);

  // A node alone may already be quorate (one-node cluster, enough votes).
  vq.recalculate(false, false);
  return vq;
}

// ---------------------------------------------------------------------------
// Inputs

// Corosync's sync_init + sync_process: mark the nodes that left, arm the
// last_man_standing timer, remember the previous membership for
// auto_tie_breaker, then broadcast our NodeInfo.
Status Votequorum::on_configuration(const RingId& ring, const std::vector<NodeId>& members,
                                    Time now) {
  std::vector<NodeId> sorted = members;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  if (!contains(sorted, self_)) {
    return Error{"votequorum: configuration without the local node " + std::to_string(self_)};
  }
  if (contains(sorted, 0)) return Error{"votequorum: node id 0 in a configuration"};

  sync_in_progress_ = true;
  if (sorted.size() > 1) us().flags &= ~kFlagFirst;

  bool someone_left = false;
  for (NodeId old : members_) {
    if (contains(sorted, old)) continue;
    someone_left = true;
    auto it = nodes_.find(old);
    if (it != nodes_.end() && old != self_) it->second.state = VqNodeState::kDead;
  }

  if (last_man_standing_) {
    const uint64_t count = sorted.size();
    const bool lost_some = count >= quorum_ && someone_left;
    const bool tie_breaker_half =
        count <= quorum_ && tie_breaker_ != Atb::kNone && member(lowest_node_);
    if (lost_some || tie_breaker_half) lms_deadline_ = now + last_man_standing_window_;
  }

  previous_members_ = std::move(members_);
  members_ = sorted;
  ring_ = ring;
  sync_waiting_ = sorted;
  send_nodeinfo();
  return Status::Ok();
}

Status Votequorum::on_message(NodeId from, std::string_view bytes, Time now) {
  (void)now;
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    return Error{"votequorum: message too large"};
  }
  pb::Message msg;
  if (!msg.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Error{"votequorum: malformed message from node " + std::to_string(from)};
  }
  if (!contains(members_, from)) {
    return Error{"votequorum: message from node " + std::to_string(from) +
                 ", not a member of the current configuration"};
  }
  switch (msg.body_case()) {
    case pb::Message::kNodeinfo:
      return handle_nodeinfo(from, msg.nodeinfo());
    case pb::Message::kReconfigure:
      return handle_reconfigure(msg.reconfigure());
    case pb::Message::BODY_NOT_SET:
      break;
  }
  return Error{"votequorum: message from node " + std::to_string(from) + " has no body"};
}

// Corosync's last_man_standing timer: when it fires on a quorate node,
// expected votes drop to the current member count.
void Votequorum::on_tick(Time now) {
  if (!lms_deadline_ || now < *lms_deadline_) return;
  lms_deadline_.reset();
  if (cluster_is_quorate_) recalculate(true, true);
}

Status Votequorum::request_expected_votes(uint32_t expected_votes) {
  if (expected_votes == 0) {
    return Error{"New expected votes value was not valid, try a positive number"};
  }
  // Validated without allow_downscale's floor, allowing a decrease.
  const Tally t = calculate(true, expected_votes, false, std::nullopt);
  if (t.quorum < t.total_votes / 2 || t.quorum > t.total_votes) {
    return Error{"Unable to set expected votes: CS_ERR_INVALID_PARAM"};
  }
  for (auto& [id, n] : nodes_) {
    if (n.state == VqNodeState::kMember) n.expected_votes = expected_votes;
  }
  send_reconfigure(pb::Reconfigure::EXPECTED_VOTES, self_, expected_votes);
  return Status::Ok();
}

Status Votequorum::request_votes(NodeId node, uint32_t votes) {
  if (node == 0) node = self_;
  auto it = nodes_.find(node);
  const std::string what =
      "Unable to set votes " + std::to_string(votes) + " for nodeid: " + std::to_string(node);
  if (it == nodes_.end()) return Error{what + ": CS_ERR_NAME_NOT_FOUND"};
  const Tally t = calculate(true, 0, allow_downscale_, VotesOverride{node, votes});
  if (t.quorum < t.total_votes / 2 || t.quorum > t.total_votes) {
    return Error{what + ": CS_ERR_INVALID_PARAM"};
  }
  it->second.votes = votes;  // Corosync keeps the local change until delivery
  send_reconfigure(pb::Reconfigure::NODE_VOTES, node, votes);
  return Status::Ok();
}

Status Votequorum::request_cancel_wait_for_all() {
  send_reconfigure(pb::Reconfigure::CANCEL_WAIT_FOR_ALL, self_, 0);
  return Status::Ok();
}

void Votequorum::leave() {
  if (!allow_downscale_) return;
  us().flags |= kFlagLeaving;
  send_nodeinfo();
}

std::vector<std::string> Votequorum::take_outgoing() { return std::exchange(outgoing_, {}); }
std::vector<QuorumEvent> Votequorum::take_events() { return std::exchange(events_, {}); }

QuorumState Votequorum::state() const {
  QuorumState s;
  s.self = self_;
  s.ring = ring_;
  s.members = members_;
  s.quorate = announced_quorate_;
  s.sync_in_progress = sync_in_progress_;
  s.quorum = saturate(quorum_);
  s.expected_votes = us().expected_votes;
  uint64_t total = 0;
  uint32_t highest = 0;
  for (const auto& [id, n] : nodes_) {
    if (n.state != VqNodeState::kMember) continue;
    total += n.votes;
    highest = std::max(highest, n.expected_votes);
  }
  s.total_votes = saturate(total);
  s.highest_expected = highest;
  s.wait_for_all_status = wait_for_all_status_;
  s.ev_tracking_barrier = saturate(ev_tracking_barrier_);
  if (two_node_) s.flags.emplace_back("2Node");
  if (cluster_is_quorate_) s.flags.emplace_back("Quorate");
  if (wait_for_all_) s.flags.emplace_back("WaitForAll");
  if (last_man_standing_) s.flags.emplace_back("LastManStanding");
  if (tie_breaker_ != Atb::kNone) s.flags.emplace_back("AutoTieBreaker");
  if (allow_downscale_) s.flags.emplace_back("AllowDownscale");
  for (const auto& [id, n] : nodes_) {
    s.nodes.push_back(VqNode{id, n.state, n.votes, n.expected_votes, id == self_});
  }
  return s;
}

// ---------------------------------------------------------------------------
// Messages

// Corosync's nodeinfo handler: record the sender's votes and expected votes
// (a quorate sender's expected votes are authoritative for an inquorate
// receiver), recalculate, and count the sender towards the sync step.
Status Votequorum::handle_nodeinfo(NodeId from, const pb::NodeInfo& m) {
  if (m.nodeid() != from) {
    return Error{"votequorum: node " + std::to_string(from) + " sent NodeInfo for node " +
                 std::to_string(m.nodeid())};
  }
  auto [it, new_node] = nodes_.try_emplace(from);
  Node& node = it->second;
  node.nodeid = from;
  const Node old = new_node ? Node{from, VqNodeState::kDead, 0, 0, 0} : node;

  node.flags = flags_of(m);
  node.votes = m.votes();
  node.state = VqNodeState::kMember;

  bool allow_decrease = false;
  bool by_current_nodes = false;
  if (node.flags & kFlagLeaving) {
    node.state = VqNodeState::kLeaving;
    allow_decrease = true;
    by_current_nodes = true;
  }
  if (!cluster_is_quorate_ && (node.flags & kFlagQuorate)) {
    allow_decrease = true;
    us().expected_votes = m.expected_votes();
  }
  if ((node.flags & kFlagQuorate) || ev_tracking_) {
    node.expected_votes = m.expected_votes();
  } else {
    node.expected_votes = us().expected_votes;
  }

  if (last_man_standing_ && node.votes > 1) {
    warnings_.push_back(
        "Last Man Standing feature is supported only when all cluster nodes votes are set "
        "to 1. Disabling LMS.");
    last_man_standing_ = false;
    lms_deadline_.reset();
  }

  if (new_node || from == self_ || (node.flags & kFlagFirst) || old.votes != node.votes ||
      old.expected_votes != node.expected_votes || old.flags != node.flags ||
      old.state != node.state) {
    recalculate(allow_decrease, by_current_nodes);
  }

  // A quorate peer that no longer waits releases us from waiting too.
  if (wait_for_all_ && !(node.flags & kFlagWaitForAll) && (node.flags & kFlagQuorate)) {
    set_wait_for_all_status(false);
  }

  if (sync_in_progress_ && m.has_ring() && m.ring().rep() == ring_.rep &&
      m.ring().seq() == ring_.seq) {
    auto w = std::find(sync_waiting_.begin(), sync_waiting_.end(), from);
    if (w != sync_waiting_.end()) {
      sync_waiting_.erase(w);
      if (sync_waiting_.empty()) finish_sync();
    }
  }
  return Status::Ok();
}

Status Votequorum::handle_reconfigure(const pb::Reconfigure& m) {
  switch (m.param()) {
    case pb::Reconfigure::EXPECTED_VOTES:
      if (m.value() != 0) {
        for (auto& [id, n] : nodes_) {
          if (n.state == VqNodeState::kMember) n.expected_votes = m.value();
        }
      }
      ev_barrier_ = m.value();
      if (ev_tracking_) {
        const uint64_t barrier = ev_tracking_barrier_;
        us().expected_votes = saturate(std::max<uint64_t>(us().expected_votes, barrier));
      }
      recalculate(true, false);
      return Status::Ok();
    case pb::Reconfigure::NODE_VOTES: {
      auto it = nodes_.find(m.nodeid());
      if (it == nodes_.end()) return Status::Ok();  // unknown here: ignored, as Corosync does
      it->second.votes = m.value();
      recalculate(true, false);
      return Status::Ok();
    }
    case pb::Reconfigure::CANCEL_WAIT_FOR_ALL:
      set_wait_for_all_status(false);
      recalculate(false, false);
      return Status::Ok();
    default:
      break;
  }
  return Error{"votequorum: reconfigure with unknown parameter " + std::to_string(m.param())};
}

void Votequorum::send_nodeinfo() {
  const Node& u = us();
  pb::Message msg;
  pb::NodeInfo* m = msg.mutable_nodeinfo();
  m->set_nodeid(self_);
  m->set_votes(u.votes);
  m->set_expected_votes(u.expected_votes);
  m->set_quorate((u.flags & kFlagQuorate) != 0);
  m->set_leaving((u.flags & kFlagLeaving) != 0);
  m->set_wait_for_all_status((u.flags & kFlagWaitForAll) != 0);
  m->set_first((u.flags & kFlagFirst) != 0);
  m->mutable_ring()->set_rep(ring_.rep);
  m->mutable_ring()->set_seq(ring_.seq);
  outgoing_.push_back(msg.SerializeAsString());
}

void Votequorum::send_reconfigure(int param, NodeId node, uint32_t value) {
  pb::Message msg;
  pb::Reconfigure* m = msg.mutable_reconfigure();
  m->set_param(static_cast<pb::Reconfigure::Param>(param));
  m->set_nodeid(node);
  m->set_value(value);
  outgoing_.push_back(msg.SerializeAsString());
}

// ---------------------------------------------------------------------------
// Quorum core

// Corosync's calculate_quorum(): the OpenVMS rule over the member nodes.
// `max_expected` (nonzero) replaces the highest expected votes.
Votequorum::Tally Votequorum::calculate(bool allow_decrease, uint64_t max_expected, bool downscale,
                                        std::optional<VotesOverride> votes_override) const {
  if (downscale && allow_decrease && max_expected != 0) {
    max_expected = std::max(ev_barrier_, max_expected);
  }
  uint64_t highest_expected = 0;
  uint64_t total_votes = 0;
  size_t member_nodes = 0;
  for (const auto& [id, n] : nodes_) {
    if (n.state != VqNodeState::kMember) continue;
    const uint32_t votes =
        votes_override && votes_override->nodeid == id ? votes_override->votes : n.votes;
    highest_expected = std::max<uint64_t>(highest_expected, n.expected_votes);
    total_votes += votes;
    ++member_nodes;
  }
  if (max_expected != 0) highest_expected = max_expected;

  uint64_t quorum = std::max((highest_expected + 2) / 2, (total_votes + 2) / 2);
  // Quorum never decreases unless explicitly allowed.
  if (!allow_decrease) quorum = std::max(quorum_, quorum);
  // two_node: each of the two keeps quorum when the other fails (fencing
  // decides); with more than two members the normal rule applies.
  if (two_node_ && member_nodes <= 2) quorum = 1;
  return Tally{quorum, total_votes};
}

// Corosync's recalculate_quorum().
void Votequorum::recalculate(bool allow_decrease, bool by_current_nodes) {
  uint64_t total_votes = 0;
  uint64_t member_nodes = 0;
  for (const auto& [id, n] : nodes_) {
    if (n.state != VqNodeState::kMember) continue;
    total_votes += n.votes;
    ++member_nodes;
  }
  const uint64_t max_expected = by_current_nodes ? member_nodes : 0;

  // Expected votes follow the highest number of votes ever present.
  if (total_votes > us().expected_votes) us().expected_votes = saturate(total_votes);
  if (ev_tracking_ && us().expected_votes > ev_tracking_barrier_) {
    ev_tracking_barrier_ = us().expected_votes;
  }

  const Tally t = calculate(allow_decrease, max_expected, allow_downscale_, std::nullopt);
  quorum_ = t.quorum;
  if (max_expected != 0) {
    for (auto& [id, n] : nodes_) {
      if (n.state == VqNodeState::kMember) n.expected_votes = saturate(max_expected);
    }
  }
  decide(t.total_votes);
}

// Corosync's are_we_quorate().
void Votequorum::decide(uint64_t total_votes) {
  const bool was_quorate = cluster_is_quorate_;

  if (wait_for_all_ && wait_for_all_status_) {
    if (total_votes != us().expected_votes) {
      cluster_is_quorate_ = false;
      if (was_quorate && !sync_in_progress_) announce();
      return;
    }
    set_wait_for_all_status(false);
  }

  bool quorate = quorum_ <= total_votes;
  if (quorate) {
    NodeId lowest = self_;
    NodeId highest = self_;
    for (const auto& [id, n] : nodes_) {
      if (n.state != VqNodeState::kMember) continue;
      lowest = std::min(lowest, id);
      highest = std::max(highest, id);
    }
    lowest_node_ = lowest;
    highest_node_ = highest;
  }

  // auto_tie_breaker: exactly half the expected votes, the other side cannot
  // be quorate (fewer than `quorum` nodes are missing since the previous
  // ring), and the tie-breaker node is on this side.
  const int64_t missing =
      static_cast<int64_t>(previous_members_.size()) - static_cast<int64_t>(members_.size());
  if (tie_breaker_ != Atb::kNone && total_votes == us().expected_votes / 2 &&
      missing < static_cast<int64_t>(quorum_) && tie_breaker_side()) {
    quorate = true;
  }

  cluster_is_quorate_ = quorate;
  if (quorate) {
    us().flags |= kFlagQuorate;
  } else {
    us().flags &= ~kFlagQuorate;
  }
  // wait_for_all re-arms whenever quorum is lost.
  if (wait_for_all_) set_wait_for_all_status(!quorate);

  if (quorate != was_quorate && !sync_in_progress_) announce();
}

bool Votequorum::member(std::optional<NodeId> id) const {
  if (!id) return false;
  auto it = nodes_.find(*id);
  return it != nodes_.end() && it->second.state == VqNodeState::kMember;
}

// Corosync's check_auto_tie_breaker(). For a list, the first listed node in
// this partition decides, unless an earlier listed node was in the previous
// ring: it may be on the other side.
bool Votequorum::tie_breaker_side() const {
  switch (tie_breaker_) {
    case Atb::kNone:
      return false;
    case Atb::kLowest:
      return member(lowest_node_);
    case Atb::kHighest:
      return member(highest_node_);
    case Atb::kList:
      for (size_t i = 0; i < tie_breaker_list_.size(); ++i) {
        if (!contains(members_, tie_breaker_list_[i])) continue;
        for (size_t j = 0; j < i; ++j) {
          if (contains(previous_members_, tie_breaker_list_[j])) return false;
        }
        return true;
      }
      return false;
  }
  return false;
}

void Votequorum::set_wait_for_all_status(bool waiting) {
  wait_for_all_status_ = waiting;
  if (waiting) {
    us().flags |= kFlagWaitForAll;
  } else {
    us().flags &= ~kFlagWaitForAll;
  }
}

void Votequorum::announce() {
  const bool changed = cluster_is_quorate_ != announced_quorate_;
  announced_quorate_ = cluster_is_quorate_;
  events_.push_back(QuorumEvent{ring_, members_, cluster_is_quorate_, changed});
}

// Corosync's sync_activate: every member's NodeInfo is in; decide and
// announce the new ring's quorum.
void Votequorum::finish_sync() {
  recalculate(false, false);
  announce();
  sync_in_progress_ = false;
}

}  // namespace quorate::membership
