// ProcessGroups: CPG-like named process groups as a deterministic state
// machine. See groups.h for the ordering contract and docs/formats/groups.md
// for the rules; the facts about CPG's behaviour (member = (nodeid, pid),
// reasons, NODEDOWN on ring departure, joinlist sync) come from Corosync's
// exec/cpg.c and cpg_* man pages; the code is ours.
#include "membership/groups.h"

#include <algorithm>
#include <cassert>
#include <iterator>
#include <utility>

#include "proto/groups.pb.h"

namespace quorate::membership {

namespace {

namespace pb = quorate::groups;

bool contains(const std::vector<NodeId>& v, NodeId id) {
  return std::find(v.begin(), v.end(), id) != v.end();
}

}  // namespace

const char* to_string(GroupReason r) {
  switch (r) {
    case GroupReason::kJoin:
      return "join";
    case GroupReason::kLeave:
      return "leave";
    case GroupReason::kNodeDown:
      return "nodedown";
    case GroupReason::kNodeUp:
      return "nodeup";
    case GroupReason::kProcDown:
      return "procdown";
  }
  return "?";
}

ProcessGroups::ProcessGroups(NodeId self, GroupLimits limits) : self_(self), limits_(limits) {}

// ------------------------------------------------------------ local requests

Status ProcessGroups::check_name(std::string_view group) const {
  if (group.empty()) return Error{"group name is empty"};
  if (group.size() > limits_.max_name_bytes)
    return Error{"group name of " + std::to_string(group.size()) + " bytes exceeds " +
                 std::to_string(limits_.max_name_bytes)};
  return Status::Ok();
}

Status ProcessGroups::check_queue() const {
  size_t requests = 0;
  for (const auto& o : outgoing_)
    if (!o.joinlist) ++requests;
  if (requests >= limits_.max_outgoing)
    return Error{"group send queue full (" + std::to_string(limits_.max_outgoing) +
                 " messages); try again"};
  return Status::Ok();
}

void ProcessGroups::queue(const pb::Message& m, bool joinlist) {
  outgoing_.push_back(Outgoing{m.SerializeAsString(), joinlist});
}

Status ProcessGroups::join(std::string_view group, uint32_t pid) {
  if (Status st = check_name(group); !st) return st;
  auto it = intent_.find(group);
  if (it != intent_.end() && it->second.count(pid))
    return Error{"process " + std::to_string(pid) + " already joined group '" + std::string(group) +
                 "'"};
  if (intent_members_ >= limits_.max_members || view_members_ >= limits_.max_members)
    return Error{"too many group members (limit " + std::to_string(limits_.max_members) + ")"};
  if (it == intent_.end() && view_.find(group) == view_.end()) {
    // A new group: count the groups this node knows or asked for.
    size_t known = view_.size();
    for (const auto& [name, pids] : intent_)
      if (view_.find(name) == view_.end()) ++known;
    if (known >= limits_.max_groups)
      return Error{"too many groups (limit " + std::to_string(limits_.max_groups) + ")"};
  }
  if (Status st = check_queue(); !st) return st;

  pb::Message m;
  m.mutable_join()->set_group(std::string(group));
  m.mutable_join()->set_pid(pid);
  queue(m);
  intent_[std::string(group)].insert(pid);
  ++intent_members_;
  return Status::Ok();
}

Status ProcessGroups::leave(std::string_view group, uint32_t pid) {
  if (Status st = check_name(group); !st) return st;
  auto it = intent_.find(group);
  if (it == intent_.end() || !it->second.count(pid))
    return Error{"process " + std::to_string(pid) + " is not in group '" + std::string(group) +
                 "'"};
  if (Status st = check_queue(); !st) return st;

  pb::Message m;
  auto* l = m.mutable_leave();
  l->set_group(std::string(group));
  l->set_pid(pid);
  l->set_reason(pb::Leave::LEAVE);
  queue(m);
  it->second.erase(pid);
  --intent_members_;
  if (it->second.empty()) intent_.erase(it);
  return Status::Ok();
}

void ProcessGroups::process_down(uint32_t pid) {
  for (auto it = intent_.begin(); it != intent_.end();) {
    if (!it->second.erase(pid)) {
      ++it;
      continue;
    }
    --intent_members_;
    pb::Message m;
    auto* l = m.mutable_leave();
    l->set_group(it->first);
    l->set_pid(pid);
    l->set_reason(pb::Leave::PROCDOWN);
    queue(m);
    if (it->second.empty())
      it = intent_.erase(it);
    else
      ++it;
  }
}

Status ProcessGroups::send(std::string_view group, uint32_t pid, std::string_view payload) {
  if (Status st = check_name(group); !st) return st;
  auto it = intent_.find(group);
  if (it == intent_.end() || !it->second.count(pid))
    return Error{"process " + std::to_string(pid) + " has not joined group '" + std::string(group) +
                 "'"};
  if (payload.size() > limits_.max_payload_bytes)
    return Error{"group message of " + std::to_string(payload.size()) + " bytes exceeds " +
                 std::to_string(limits_.max_payload_bytes)};
  if (Status st = check_queue(); !st) return st;

  pb::Message m;
  auto* mc = m.mutable_mcast();
  mc->set_group(std::string(group));
  mc->set_pid(pid);
  mc->set_payload(std::string(payload));
  queue(m);
  return Status::Ok();
}

// ------------------------------------------------------------ configuration

void ProcessGroups::on_configuration(const Configuration& c) {
  if (c.transitional) return;
  ring_ = c.ring;

  // Nodes that left (or restarted: in `left` and `joined`) lose every
  // process, in one change per group, at the same place of the stream at
  // every member of the new ring.
  auto down = [&](NodeId n) { return contains(c.left, n) || !contains(c.members, n); };
  std::vector<std::string> names;
  for (const auto& [name, members] : view_) names.push_back(name);
  for (const std::string& name : names) {
    Members& members = view_.at(name);
    const bool local_before = has_local(members);
    std::vector<GroupAddress> left;
    for (auto it = members.begin(); it != members.end();) {
      if (down(it->nodeid)) {
        left.push_back(GroupAddress{*it, GroupReason::kNodeDown});
        it = members.erase(it);
        --view_members_;
      } else {
        ++it;
      }
    }
    if (!left.empty()) announce(name, local_before, {}, std::move(left));
  }

  queue_joinlist();
}

void ProcessGroups::queue_joinlist() {
  // A newer joinlist makes an unsent older one redundant: the older one's
  // effect is the newer one's minus the requests queued between them, which
  // stay queued.
  outgoing_.erase(std::remove_if(outgoing_.begin(), outgoing_.end(),
                                 [](const Outgoing& o) { return o.joinlist; }),
                  outgoing_.end());
  // Like CPG, a node without processes sends nothing: no other member can
  // hold processes of ours that we do not know about (the view of our own
  // processes is shared only with the members that came from our old ring,
  // and they apply our queued leaves before anything we send now).
  if (intent_.empty()) return;
  pb::Message m;
  auto* jl = m.mutable_joinlist();
  for (const auto& [name, pids] : intent_) {
    auto* g = jl->add_groups();
    g->set_name(name);
    for (uint32_t pid : pids) g->add_pids(pid);
  }
  queue(m, true);
  ++counters_.joinlists_sent;
}

// ------------------------------------------------------------ delivery

void ProcessGroups::on_delivery(NodeId origin, std::string_view bytes) {
  pb::Message m;
  if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    ++counters_.malformed;
    return;
  }
  auto name_ok = [&](const std::string& g) { return check_name(g).ok(); };
  switch (m.body_case()) {
    case pb::Message::kJoin:
      if (!name_ok(m.join().group())) break;
      apply_join(origin, m.join().group(), m.join().pid());
      return;
    case pb::Message::kLeave: {
      const auto& l = m.leave();
      if (!name_ok(l.group())) break;
      GroupReason reason;
      if (l.reason() == pb::Leave::LEAVE)
        reason = GroupReason::kLeave;
      else if (l.reason() == pb::Leave::PROCDOWN)
        reason = GroupReason::kProcDown;
      else
        break;
      apply_leave(origin, l.group(), l.pid(), reason);
      return;
    }
    case pb::Message::kMcast: {
      auto* mc = m.mutable_mcast();
      if (!name_ok(mc->group()) || mc->payload().size() > limits_.max_payload_bytes) break;
      apply_mcast(origin, mc->group(), mc->pid(), std::move(*mc->mutable_payload()));
      return;
    }
    case pb::Message::kJoinlist: {
      const auto& jl = m.joinlist();
      if (static_cast<size_t>(jl.groups_size()) > limits_.max_groups) break;
      bool ok = true;
      size_t total = 0;
      for (int i = 0; ok && i < jl.groups_size(); ++i) {
        const auto& g = jl.groups(i);
        ok = name_ok(g.name()) && (i == 0 || jl.groups(i - 1).name() < g.name()) &&
             g.pids_size() > 0;
        for (int k = 1; ok && k < g.pids_size(); ++k) ok = g.pids(k - 1) < g.pids(k);
        total += static_cast<size_t>(g.pids_size());
      }
      if (!ok || total > limits_.max_members) break;
      apply_joinlist(origin, jl);
      return;
    }
    case pb::Message::BODY_NOT_SET:
      break;
  }
  ++counters_.malformed;
}

void ProcessGroups::apply_join(NodeId origin, const std::string& group, uint32_t pid) {
  const GroupMember who{origin, pid};
  auto it = view_.find(group);
  if (it != view_.end() && it->second.count(who)) {
    ++counters_.ignored;
    return;
  }
  if ((it == view_.end() && view_.size() >= limits_.max_groups) ||
      view_members_ >= limits_.max_members) {
    ++counters_.over_limit;
    return;
  }
  const bool local_before = it != view_.end() && has_local(it->second);
  view_[group].insert(who);
  ++view_members_;
  announce(group, local_before, {GroupAddress{who, GroupReason::kJoin}}, {});
}

void ProcessGroups::apply_leave(NodeId origin, const std::string& group, uint32_t pid,
                                GroupReason reason) {
  const GroupMember who{origin, pid};
  auto it = view_.find(group);
  if (it == view_.end() || !it->second.count(who)) {
    ++counters_.ignored;
    return;
  }
  const bool local_before = has_local(it->second);
  it->second.erase(who);
  --view_members_;
  announce(group, local_before, {}, {GroupAddress{who, reason}});
}

void ProcessGroups::apply_mcast(NodeId origin, const std::string& group, uint32_t pid,
                                std::string payload) {
  // Closed groups: the sending node only lets joined processes send, so the
  // sender is trusted (it may not be in this node's view yet while the
  // JoinLists of a new ring are still on their way). Only local members
  // receive.
  if (!has_local(group)) {
    ++counters_.not_local;
    return;
  }
  ++counters_.delivered;
  events_.emplace_back(GroupMessage{group, GroupMember{origin, pid}, std::move(payload)});
}

void ProcessGroups::apply_joinlist(NodeId origin, const pb::JoinList& jl) {
  // The complete list of `origin`'s processes: bring the view to it, group by
  // group in name order (removals first, so that they make room).
  std::map<std::string, std::vector<uint32_t>> target;
  for (const auto& g : jl.groups()) target[g.name()].assign(g.pids().begin(), g.pids().end());
  std::set<std::string> names;
  for (const auto& [name, members] : view_) {
    auto it = members.lower_bound(GroupMember{origin, 0});
    if (it != members.end() && it->nodeid == origin) names.insert(name);
  }
  for (const auto& [name, pids] : target) names.insert(name);

  for (const std::string& name : names) {
    std::vector<uint32_t> want;
    if (auto t = target.find(name); t != target.end()) want = t->second;
    auto vit = view_.find(name);
    std::vector<uint32_t> have;
    if (vit != view_.end())
      for (auto it = vit->second.lower_bound(GroupMember{origin, 0});
           it != vit->second.end() && it->nodeid == origin; ++it)
        have.push_back(it->pid);
    std::vector<uint32_t> gone, fresh;
    std::set_difference(have.begin(), have.end(), want.begin(), want.end(),
                        std::back_inserter(gone));
    std::set_difference(want.begin(), want.end(), have.begin(), have.end(),
                        std::back_inserter(fresh));
    if (gone.empty() && fresh.empty()) continue;

    const bool local_before = vit != view_.end() && has_local(vit->second);
    std::vector<GroupAddress> left, joined;
    for (uint32_t pid : gone) {
      vit->second.erase(GroupMember{origin, pid});
      --view_members_;
      ++counters_.corrections;
      left.push_back(GroupAddress{GroupMember{origin, pid}, GroupReason::kLeave});
    }
    for (uint32_t pid : fresh) {
      const bool new_group = view_.find(name) == view_.end();
      if ((new_group && view_.size() >= limits_.max_groups) ||
          view_members_ >= limits_.max_members) {
        ++counters_.over_limit;
        continue;
      }
      view_[name].insert(GroupMember{origin, pid});
      ++view_members_;
      joined.push_back(GroupAddress{GroupMember{origin, pid}, GroupReason::kNodeUp});
    }
    if (!left.empty() || !joined.empty())
      announce(name, local_before, std::move(joined), std::move(left));
    else if (auto e = view_.find(name); e != view_.end() && e->second.empty())
      view_.erase(e);
  }
}

// ------------------------------------------------------------ helpers

bool ProcessGroups::has_local(const Members& m) const {
  auto it = m.lower_bound(GroupMember{self_, 0});
  return it != m.end() && it->nodeid == self_;
}

bool ProcessGroups::has_local(const std::string& group) const {
  auto it = view_.find(group);
  return it != view_.end() && has_local(it->second);
}

void ProcessGroups::announce(const std::string& group, bool local_before,
                             std::vector<GroupAddress> joined, std::vector<GroupAddress> left) {
  auto it = view_.find(group);
  assert(it != view_.end());
  const bool local_after = has_local(it->second);
  if (local_before || local_after) {
    GroupMembershipChange c;
    c.group = group;
    c.members.assign(it->second.begin(), it->second.end());
    c.joined = std::move(joined);
    c.left = std::move(left);
    events_.emplace_back(std::move(c));
  }
  if (it->second.empty()) view_.erase(it);
}

// ------------------------------------------------------------ outputs and queries

const std::string* ProcessGroups::peek_outgoing() const {
  return outgoing_.empty() ? nullptr : &outgoing_.front().bytes;
}

void ProcessGroups::pop_outgoing() {
  assert(!outgoing_.empty());
  outgoing_.pop_front();
}

std::vector<std::string> ProcessGroups::take_outgoing() {
  std::vector<std::string> out;
  out.reserve(outgoing_.size());
  for (auto& o : outgoing_) out.push_back(std::move(o.bytes));
  outgoing_.clear();
  return out;
}

std::vector<GroupEvent> ProcessGroups::take_events() {
  std::vector<GroupEvent> out;
  std::swap(out, events_);
  return out;
}

std::vector<GroupInfo> ProcessGroups::groups() const {
  std::vector<GroupInfo> out;
  out.reserve(view_.size());
  for (const auto& [name, members] : view_)
    out.push_back(GroupInfo{name, std::vector<GroupMember>(members.begin(), members.end())});
  return out;
}

std::vector<GroupMember> ProcessGroups::members(std::string_view group) const {
  auto it = view_.find(group);
  if (it == view_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

bool ProcessGroups::joined_locally(std::string_view group, uint32_t pid) const {
  auto it = intent_.find(group);
  return it != intent_.end() && it->second.count(pid) != 0;
}

}  // namespace quorate::membership
