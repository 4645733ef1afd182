// Group actions: each member's actions between the group's pseudo actions
// (start/running, stop/stopped, and promote/promoted, demote/demoted for a
// promotable clone's group instances), members ordered one after another
// unless ordered=false, and what a member that cannot stop means for the
// rest (crm/sched_actions_builder.h).
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "crm/sched_actions_builder.h"

namespace quorate::crm::sched::detail {

void Builder::group_actions(const WsResource& g, const std::string& required_by) {
  for (auto& l : group_lists(g, required_by)) finish(std::move(l));
}

std::vector<std::vector<Builder::Pending>> Builder::group_lists(const WsResource& g,
                                                                std::string required_by) {
  std::vector<std::vector<Pending>> lists;
  bool stop_wanted_blocked = false;
  bool member_stuck = false;  // a member blocked by a failure where it runs
  bool any_start = false;
  bool any_stop = false;
  const std::string gkey = "a:" + g.id + ":";
  bool any_promote = false;
  bool any_demote = false;
  // ordered=false (on the group, or inherited from its clone): members
  // start and stop without waiting for one another.
  const auto ordered_meta = g.meta.find("ordered");
  const bool ordered = ordered_meta == g.meta.end() || is_true(ordered_meta->second);
  for (std::size_t i = 0; i < g.children.size(); ++i) {
    const WsResource& m = g.children[i];
    const std::size_t c0 = t_.changes.size();
    std::vector<Pending> made = primitive_actions(m, required_by);
    // A member of a promotable clone's group instance: role changes go
    // between the group's promote/demote pseudo actions.
    if (promotable_instances_.count(m.id) > 0) {
      promotable_summary(m, made, c0);
      for (auto& p : made) {
        if (p.action.task != "promote" && p.action.task != "demote") continue;
        (p.action.task == "promote" ? any_promote : any_demote) = true;
        p.after_keys.push_back(gkey + p.action.task);
      }
    }
    if (last_stop_blocked_) stop_wanted_blocked = true;
    if (blocked_failure(m) && !m.active_nodes().empty()) member_stuck = true;
    bool starts = false;
    for (auto& p : made) {
      if (p.action.task == "start") {
        starts = true;
        p.after_keys.push_back(gkey + "start");
        if (ordered)
          for (std::size_t j = 0; j < i; ++j)
            p.after_keys.push_back("a:" + g.children[j].id + ":start");
      } else if (p.action.task == "stop") {
        any_stop = true;
        p.after_keys.push_back(gkey + "stop");
        if (ordered)
          for (std::size_t j = i + 1; j < g.children.size(); ++j)
            p.after_keys.push_back("a:" + g.children[j].id + ":stop");
      }
    }
    any_start = any_start || starts;
    required_by = starts || last_restart_blocked_ ? m.id + " start" : "";
    if (last_restart_blocked_) restart_blocked_.insert(m.id);
    lists.push_back(std::move(made));
  }
  std::vector<Pending> own;
  auto pseudo = [&](const char* task, std::vector<std::string> after) {
    own.push_back({{0, ActionKind::kPseudo, g.id, task, "", 0, ""}, {}, std::move(after)});
  };
  // A group that should move but cannot stop still has its start (whose
  // members cannot follow).
  const bool move_blocked = stop_wanted_blocked && !g.children.empty() && [this, &g] {
    const PrimitivePlacement* p = t_.placement.find(g.children.front().id);
    const auto active = g.children.front().active_nodes();
    return p != nullptr && !p->node.empty() && active.size() == 1 && active.front() != p->node;
  }();
  if (move_blocked && !any_start) pseudo("start", {gkey + "stopped"});
  if (any_start) {
    std::vector<std::string> members;
    for (const auto& m : g.children) members.push_back("a:" + m.id + ":start");
    pseudo("start", {gkey + "stopped"});
    // a member that cannot run keeps the group from ever running
    const bool all_placed =
        std::all_of(g.children.begin(), g.children.end(), [this](const auto& m) {
          const PrimitivePlacement* p = t_.placement.find(m.id);
          return p != nullptr && !p->node.empty();
        });
    if (all_placed && !stop_wanted_blocked) pseudo("running", members);
  }
  if (any_stop || stop_wanted_blocked) {
    std::vector<std::string> members;
    for (const auto& m : g.children) members.push_back("a:" + m.id + ":stop");
    pseudo("stop", {});
    // a member that cannot stop keeps the group from ever being stopped
    if (!stop_wanted_blocked && !member_stuck) pseudo("stopped", members);
  }
  for (const char* task : {"promote", "demote"}) {
    if (!(std::string(task) == "promote" ? any_promote : any_demote)) continue;
    std::vector<std::string> members;
    for (const auto& m : g.children) members.push_back("a:" + m.id + ":" + task);
    pseudo(task, {});
    pseudo(std::string(task) == "promote" ? "promoted" : "demoted", members);
  }
  lists.insert(lists.begin(), std::move(own));
  return lists;
}

std::string Builder::restart_blocked_reason(const WsResource& m) const {
  for (const auto& g : ws_.resources) {
    if (g.kind != RscKind::kGroup) continue;
    for (std::size_t i = 0; i < g.children.size(); ++i) {
      if (g.children[i].id != m.id) continue;
      if (i > 0 && restart_blocked_.count(g.children[i - 1].id) > 0)
        return "required " + g.children[i - 1].id + " stop";
      if (i + 1 < g.children.size()) return "unrunnable " + g.children[i + 1].id + " stop";
    }
  }
  return "";
}

}  // namespace quorate::crm::sched::detail
