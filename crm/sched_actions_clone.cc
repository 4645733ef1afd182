// Clone actions: each instance's primitive actions, the clone's pseudo
// actions around them (start/running, stop/stopped, promote/promoted,
// demote/demoted), probes spread over anonymous instances, promotable
// summary lines and notifications.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "crm/sched_actions_builder.h"

namespace quorate::crm::sched::detail {

bool Builder::ran_under(const std::string& id) const {
  if (ws_.cib == nullptr || !ws_.cib->status) return false;
  if (!ran_ids_built_) {
    for (const auto& ns : ws_.cib->status->nodes) {
      if (!ns.lrm) continue;
      for (const auto& lr : ns.lrm->resources)
        for (const auto& op : lr.ops)
          if (op.operation == "start" || op.operation == "stop") {
            ran_ids_.insert(lr.id);
            break;
          }
    }
    ran_ids_built_ = true;
  }
  return ran_ids_.count(id) > 0;
}

void Builder::clone_actions(const WsResource& c,
                            const std::map<std::string, std::string, std::less<>>& required) {
  if (!c.unique) distribute_probes(c);
  std::vector<const WsResource*> insts;
  for (const auto& inst : c.children) insts.push_back(&inst);
  const std::string ckey = "a:" + c.id + ":";
  std::vector<std::vector<Pending>> lists;
  std::map<std::string, bool, std::less<>> any;  // start stop promote demote
  std::vector<std::string> done_keys[4];         // instance start/stop/promote/demote keys
  static constexpr const char* kTasks[4] = {"start", "stop", "promote", "demote"};
  // A clone of a group: each instance's group actions between the clone's.
  std::vector<std::vector<Pending>> group_instance_lists;
  // (which of those lists are a member's: index, member)
  std::vector<std::pair<std::size_t, const WsResource*>> member_lists;
  for (const WsResource* inst : insts) {
    if (inst->kind != RscKind::kGroup) continue;
    const auto req = required.find(inst->id);
    auto glists = group_lists(*inst, req == required.end() ? std::string() : req->second);
    // glists: the group's own actions, then each member's
    for (std::size_t k = 1; k < glists.size() && k - 1 < inst->children.size(); ++k)
      member_lists.emplace_back(group_instance_lists.size() + k, &inst->children[k - 1]);
    for (auto& p : glists.front()) {
      if (p.action.kind != ActionKind::kPseudo || p.action.rsc != inst->id) continue;
      if (p.action.task == "start" || p.action.task == "stop" || p.action.task == "promote" ||
          p.action.task == "demote") {
        any[p.action.task] = true;
        p.after_keys.push_back(ckey + p.action.task);
      }
    }
    done_keys[0].push_back("a:" + inst->id + ":running");
    done_keys[1].push_back("a:" + inst->id + ":stopped");
    done_keys[2].push_back("a:" + inst->id + ":promoted");
    done_keys[3].push_back("a:" + inst->id + ":demoted");
    for (auto& l : glists) group_instance_lists.push_back(std::move(l));
  }
  if (!group_instance_lists.empty()) insts.clear();
  for (const WsResource* inst : insts) {
    const std::size_t c0 = t_.changes.size();
    const auto req = required.find(inst->id);
    std::vector<Pending> made =
        primitive_actions(*inst, req == required.end() ? std::string() : req->second);
    // A stop stranded on a down node still makes the clone stop.
    if (last_stop_stranded_) any["stop"] = true;
    for (auto& p : made) {
      if (p.action.kind != ActionKind::kResource && p.action.kind != ActionKind::kPseudo) continue;
      for (const char* task : kTasks) {
        if (p.action.task != task) continue;
        any[task] = true;
        p.after_keys.push_back(ckey + task);
      }
    }
    for (int k = 0; k < 4; ++k) done_keys[k].push_back("a:" + inst->id + ":" + kTasks[k]);
    if (c.promotable) promotable_summary(*inst, made, c0);
    lists.push_back(std::move(made));
  }
  // ordered=true: instances start one after another in instance order and
  // stop in the reverse order.
  const auto ordered = c.meta.find("ordered");
  if (ordered != c.meta.end() && is_true(ordered->second)) {
    std::string last_start;
    for (std::size_t i = 0; i < lists.size(); ++i) {
      bool starts = false;
      for (auto& p : lists[i]) {
        if (p.action.task != "start" || p.action.kind != ActionKind::kResource) continue;
        starts = true;
        if (!last_start.empty()) p.after_keys.push_back("a:" + last_start + ":start");
      }
      if (starts) last_start = insts[i]->id;
    }
    std::string later_stop;
    for (std::size_t i = lists.size(); i-- > 0;) {
      bool stops = false;
      for (auto& p : lists[i]) {
        if (p.action.task != "stop" || p.action.kind != ActionKind::kResource) continue;
        stops = true;
        if (!later_stop.empty()) p.after_keys.push_back("a:" + later_stop + ":stop");
      }
      if (stops) later_stop = insts[i]->id;
    }
  }
  // The first clone of a clone-min ordering that can still be met keeps
  // its start (and running) in a transition that stops some instances
  // while others stay.
  if (!any["start"] && any["stop"] && clone_min_first(c)) {
    const bool stays = std::any_of(insts.begin(), insts.end(), [this](const WsResource* inst) {
      const PrimitivePlacement* p = t_.placement.find(inst->id);
      const auto active = inst->active_nodes();
      return p != nullptr && !p->node.empty() && active.size() == 1 && active.front() == p->node;
    });
    if (stays) {
      any["start"] = true;
    }
  }
  std::vector<Pending> own;
  auto pseudo = [&](const std::string& task, std::vector<std::string> after) {
    own.push_back({{0, ActionKind::kPseudo, c.id, task, "", 0, ""}, {}, std::move(after)});
  };
  // Clone-level actions: the task, its completion, and what the completion
  // of other tasks must precede (Pacemaker's restart ordering).
  struct Level {
    const char* task;
    const char* done;
    std::vector<std::string> after_done;  // completions of other tasks it waits for
  };
  const std::vector<Level> levels = {
      {"start", "running", {"stopped", "demoted"}},
      {"stop", "stopped", {"demoted"}},
      {"promote", "promoted", {"running", "stopped", "demoted"}},
      {"demote", "demoted", {}},
  };
  for (std::size_t k = 0; k < levels.size(); ++k) {
    const Level& l = levels[k];
    if (!any[l.task]) continue;
    std::vector<std::string> after;
    for (const auto& d : l.after_done) after.push_back(ckey + d);
    if (c.notify) after.push_back(ckey + "confirmed-pre_notify_" + l.task);
    // Created as Pacemaker creates them: the task and its completion, then
    // the notification pseudo actions around them.
    pseudo(l.task, after);
    // Its completion follows the task itself (and every instance's part).
    std::vector<std::string> done_after = done_keys[k];
    done_after.push_back(ckey + l.task);
    pseudo(l.done, done_after);
    if (!c.notify) continue;
    // Notifications wait for the other tasks' post-notifications.
    std::vector<std::string> pre_after;
    for (const auto& d : l.after_done) pre_after.push_back(ckey + "confirmed-post_notify_" + d);
    pseudo(std::string("pre_notify_") + l.task, pre_after);
    pseudo(std::string("confirmed-pre_notify_") + l.task,
           {ckey + "pre_notify_" + l.task, "n:" + c.id + ":pre:" + l.task});
    pseudo(std::string("post_notify_") + l.done,
           {ckey + l.done, ckey + "confirmed-pre_notify_" + l.task});
    pseudo(std::string("confirmed-post_notify_") + l.done,
           {ckey + "post_notify_" + l.done, "n:" + c.id + ":post:" + l.task});
  }
  if (c.notify && group_instance_lists.empty()) add_notifications(c, insts, any, lists);
  if (c.notify && !group_instance_lists.empty()) {
    // A clone of groups notifies each member of each instance.
    std::vector<const WsResource*> members;
    std::vector<std::vector<Pending>> mlists;
    for (const auto& [k, m] : member_lists) {
      members.push_back(m);
      mlists.push_back(std::move(group_instance_lists[k]));
    }
    add_notifications(c, members, any, mlists);
    for (std::size_t i = 0; i < member_lists.size(); ++i)
      group_instance_lists[member_lists[i].first] = std::move(mlists[i]);
  }
  for (auto& l : lists) finish(std::move(l));
  for (auto& l : group_instance_lists) finish(std::move(l));
  finish(std::move(own));
}

void Builder::distribute_probes(const WsResource& c) {
  if (is_group_clone(c)) {
    distribute_group_probes(c);
    return;
  }
  // One instance probes each node: the one placed there, else the first. No
  // node needs a probe where some instance's history is known (a probe
  // still in flight there tells nothing yet). One pass over the instances,
  // not one per node: a clone runs everywhere, and so has as many instances
  // as the cluster has nodes.
  std::unordered_set<std::string_view> known;
  std::unordered_map<std::string_view, std::string_view> placed_at;  // node -> first instance
  for (const auto& inst : c.children) {
    clone_probes_[inst.id];
    for (const auto& h : inst.history)
      if (!pending_probe_only(h)) known.insert(h.node);
    const PrimitivePlacement* p = t_.placement.find(inst.id);
    if (p != nullptr && !p->node.empty()) placed_at.emplace(p->node, inst.id);
  }
  for (const auto& n : ws_.nodes) {
    if (!probe_node(n) || known.count(n.uname) > 0 || c.children.empty()) continue;
    const auto owner = placed_at.find(n.uname);
    const std::string_view id = owner != placed_at.end() ? owner->second : c.children.front().id;
    clone_probes_[std::string(id)].push_back(n.uname);
  }
}

void Builder::promotable_summary(const WsResource& inst, const std::vector<Pending>& made,
                                 std::size_t c0) {
  const PrimitivePlacement* p = t_.placement.find(inst.id);
  Role role = inst.current_role();
  if (role == Role::kStarted) role = Role::kUnpromoted;
  Role next = p == nullptr ? Role::kStopped : p->next_role;
  bool promote = false;
  bool demote = false;
  bool start = false;
  for (const auto& m : made) {
    if (m.action.task == "promote") promote = true;
    if (m.action.task == "demote") demote = true;
    if (m.action.task == "start") start = true;
  }
  // A start that cannot happen keeps the role it was meant to have: its
  // line is a blocked Promote.
  bool blocked_start = false;
  for (std::size_t i = c0; i < t_.changes.size(); ++i)
    if (t_.changes[i].change == "Start" && t_.changes[i].blocked) blocked_start = true;
  if (!start && !promote && next != Role::kStopped && role != Role::kPromoted &&
      next == Role::kPromoted && !blocked_start)
    next = Role::kUnpromoted;  // the promotion could not be scheduled
  if (t_.changes.size() == c0) {
    const auto active = inst.active_nodes();
    const std::string node = active.empty() ? std::string() : active.front();
    if (promote && !node.empty()) {
      t_.changes.push_back({"Promote", inst.id, node, node, "", false});
    } else if (demote && !node.empty() && next == Role::kUnpromoted) {
      t_.changes.push_back({"Demote", inst.id, node, node, "", false});
    }
  }
  for (std::size_t i = c0; i < t_.changes.size(); ++i) {
    ResourceChange& c = t_.changes[i];
    c.role = role;
    c.next_role = c.change == "Stop" ? Role::kStopped : next;
    if (c.change == "Start" && promote) c.change = "Promote";
    if (c.change == "Start" && c.blocked && next == Role::kPromoted) {
      c.change = "Promote";
      c.reason.clear();
    }
    const auto blocked = promote_blocked_.find(inst.id);
    if (c.change == "Start" && next == Role::kPromoted && blocked != promote_blocked_.end()) {
      c.change = "Promote";
      c.reason = blocked->second;
      c.blocked = true;
    }
  }
}

void Builder::add_notifications(const WsResource& c, const std::vector<const WsResource*>& insts,
                                std::map<std::string, bool, std::less<>>& any,
                                std::vector<std::vector<Pending>>& lists) {
  const std::string ckey = "a:" + c.id + ":";
  static constexpr const char* kOrder[4] = {"start", "stop", "promote", "demote"};
  auto done_of = [](std::string_view task) -> std::string {
    if (task == "start") return "running";
    if (task == "stop") return "stopped";
    return std::string(task) + "d";
  };
  for (std::size_t i = 0; i < insts.size(); ++i) {
    const WsResource& inst = *insts[i];
    std::vector<Pending>& made = lists[i];
    const PrimitivePlacement* p = t_.placement.find(inst.id);
    auto has = [&made](const char* task) {
      return std::any_of(made.begin(), made.end(), [task](const Pending& m) {
        return m.action.task == task && m.action.interval_ms == 0;
      });
    };
    const bool stopping = has("stop");
    const bool starting = has("start");
    std::vector<std::string> posts;  // confirmed-post keys the monitors wait for
    auto notify = [&](const std::string& node, const char* task, bool pre) {
      const WsNode* n = ws_.find_node(node);
      if (n == nullptr || !n->online) return;
      Pending a{{0, ActionKind::kResource, inst.id, "notify", node, 0, ""}, {}, {}};
      if (pre) {
        a.after_keys.push_back(ckey + "pre_notify_" + task);
      } else {
        a.after_keys.push_back(ckey + "post_notify_" + done_of(task));
        posts.push_back(ckey + "confirmed-post_notify_" + done_of(task));
      }
      a.keys.push_back("n:" + c.id + (pre ? ":pre:" : ":post:") + task);
      made.push_back(std::move(a));
    };
    for (const char* task : kOrder) {
      if (!any[task]) continue;
      const std::string t = task;
      if (t == "stop" || t == "demote") {
        for (const auto& h : inst.history) {
          if (h.role != Role::kStarted && h.role != Role::kUnpromoted &&
              h.role != Role::kPromoted && !h.failed)
            continue;
          if (stopping && fenced(h.node)) continue;
          notify(h.node, task, true);
          if (t == "demote" || !stopping) notify(h.node, task, false);
        }
      } else if (p != nullptr && !p->node.empty() && (starting || !stopping)) {
        if (has("start") || has("promote") || inst.active_nodes().size() == 1) {
          if (t != "start" || !starting) notify(p->node, task, true);
          notify(p->node, task, false);
        }
      }
    }
    for (auto& m : made)
      if (m.action.task == "monitor" && m.action.interval_ms > 0)
        m.after_keys.insert(m.after_keys.end(), posts.begin(), posts.end());
  }
  // A stop that fencing implies: its post-notification runs once the node
  // is fenced, as the instance's own pseudo actions around the clone's
  // post-stop notify actions.
  for (std::size_t i = 0; i < insts.size(); ++i) {
    const WsResource& inst = *insts[i];
    std::vector<Pending>& made = lists[i];
    std::vector<std::string> fences;
    for (const auto& m : made)
      if (m.action.kind == ActionKind::kPseudo && m.action.task == "stop" && fenced(m.action.node))
        fences.push_back("fence:" + m.action.node);
    if (fences.empty()) continue;
    const std::string post = "np:" + inst.id;
    // Named for the fencing; an instance shown by its history name gets
    // the notification's names (stop, notified) instead.
    const bool labelled = labels_.count(inst.id) > 0;
    made.push_back({{0, ActionKind::kPseudo, inst.id,
                     labelled ? "post_notify_stop" : "post_notify_stonith", "", 0, ""},
                    {},
                    fences,
                    {post}});
    made.push_back({{0, ActionKind::kPseudo, inst.id,
                     labelled ? "notified" : "confirmed-post_notify_stonith", "", 0, ""},
                    {},
                    {post, "n:" + c.id + ":post:stop"},
                    {}});
    for (auto& l : lists)
      for (auto& m : l)
        if (std::find(m.keys.begin(), m.keys.end(), "n:" + c.id + ":post:stop") != m.keys.end())
          m.after_keys.push_back(post);
  }
}

void Builder::distribute_group_probes(const WsResource& c) {
  // Per member position: the node each instance's member probes, as for a
  // clone of primitives (an instance placed there, else the first).
  std::size_t members = 0;
  for (const auto& inst : c.children) members = std::max(members, inst.children.size());
  // Where each instance's first member is placed -> the first such instance.
  std::unordered_map<std::string_view, const WsResource*> placed_at;
  for (const auto& inst : c.children) {
    for (const auto& m : inst.children) clone_probes_[m.id];
    if (inst.children.empty()) continue;
    const PrimitivePlacement* p = t_.placement.find(inst.children.front().id);
    if (p != nullptr && !p->node.empty()) placed_at.emplace(p->node, &inst);
  }
  for (std::size_t j = 0; j < members; ++j) {
    std::unordered_set<std::string_view> known;  // nodes with a history of member j
    for (const auto& inst : c.children)
      if (j < inst.children.size())
        for (const auto& h : inst.children[j].history) known.insert(h.node);
    for (const auto& n : ws_.nodes) {
      if (!probe_node(n) || known.count(n.uname) > 0) continue;
      const auto at = placed_at.find(n.uname);
      const WsResource* owner = at != placed_at.end() ? at->second : &c.children.front();
      if (j < owner->children.size()) clone_probes_[owner->children[j].id].push_back(n.uname);
    }
  }
}

}  // namespace quorate::crm::sched::detail
