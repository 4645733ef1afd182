// Transition Summary text, simulated graph execution, and the revised
// working set.
#include "crm/sched_graph_print.h"

#include <algorithm>
#include <cstdio>
#include <sstream>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace quorate::crm::sched {

namespace {

// The parenthesized details, as Pacemaker words them: roles appear when the
// resource is or becomes more than a started or unpromoted instance.
std::string details_of(const ResourceChange& c) {
  const bool need_role = static_cast<int>(c.role) > static_cast<int>(Role::kStarted) ||
                         static_cast<int>(c.next_role) > static_cast<int>(Role::kUnpromoted);
  const bool same_host = !c.origin.empty() && c.origin == c.destination;
  const bool same_role = c.role == c.next_role;
  const std::string role = role_text(c.role);
  const std::string next = role_text(c.next_role);
  if (c.origin.empty())
    return need_role ? role + " -> " + next + " " + c.destination : c.destination;
  if (c.destination.empty()) return need_role ? role + " " + c.origin : c.origin;
  if (same_role && same_host) return need_role ? role + " " + c.origin : c.origin;
  if (same_role) {
    return need_role ? c.origin + " -> " + c.destination + " " + role
                     : c.origin + " -> " + c.destination;
  }
  if (same_host) return role + " -> " + next + " " + c.origin;
  return role + " " + c.origin + " -> " + next + " " + c.destination;
}

std::string pad_right(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string pad_left(const std::string& s, std::size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

std::string action_key(const Action& a) {
  if (a.rsc.empty()) return a.task;  // a constraint's pseudo action ("one-or-more:SET")
  return (a.label.empty() ? a.rsc : a.label) + "_" + a.task + "_" +
         std::to_string(a.interval_ms);
}

}  // namespace

std::string render_transition_summary(const Transition& t) {
  std::ostringstream out;
  for (const auto& f : t.fencing)
    out << "  * Fence (" << f.action << ") " << f.node << " '" << f.reason << "'\n";
  // Pacemaker widens the columns as it meets longer names: the resource
  // column to length + 2, the details column to the longest details.
  std::size_t rsc_width = 5;
  std::size_t detail_width = 5;
  for (const auto& c : t.changes) {
    if (c.rsc.size() > rsc_width) rsc_width = c.rsc.size() + 2;
    detail_width = std::max(detail_width, details_of(c).size());
  }
  for (const auto& c : t.changes) {
    std::string reason;
    if (!c.reason.empty()) {
      reason = "due to " + c.reason + (c.blocked ? " (blocked)" : "");
    } else if (c.blocked) {
      reason = "blocked";
    }
    out << "  * " << pad_right(c.change, 8) << "   " << pad_right(c.rsc, rsc_width) << "   ( "
        << pad_left(details_of(c), detail_width) << " )" << (reason.empty() ? "" : "  ") << reason
        << "\n";
  }
  return out.str();
}

std::vector<int> execute_order(const Transition& t) {
  const std::size_t n = t.actions.size();
  std::vector<std::vector<int>> inputs(n);
  for (const auto& o : t.orderings) {
    if (o.first >= 0 && o.then >= 0 && static_cast<std::size_t>(o.first) < n &&
        static_cast<std::size_t>(o.then) < n)
      inputs[static_cast<std::size_t>(o.then)].push_back(o.first);
  }
  std::vector<bool> done(n, false);
  std::vector<int> order;
  // Each pass fires at least one action or ends: at most n passes.
  for (std::size_t pass = 0; pass <= n && order.size() < n; ++pass) {
    bool fired = false;
    for (std::size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      const bool ready = std::all_of(inputs[i].begin(), inputs[i].end(),
                                     [&done](int j) { return done[static_cast<std::size_t>(j)]; });
      if (!ready) continue;
      done[i] = true;
      fired = true;
      order.push_back(static_cast<int>(i));
    }
    if (!fired) break;  // a cycle: the rest never runs
  }
  return order;
}

std::string render_action(const Action& a) {
  switch (a.kind) {
    case ActionKind::kFence:
      return "  * Fencing " + a.node + " (" + a.fence_type + ")\n";
    case ActionKind::kShutdown:
      return "  * Cluster action:  " + a.task + " on " + a.node + "\n";
    case ActionKind::kPseudo:
      return "  * Pseudo action:   " + action_key(a) + "\n";
    case ActionKind::kClearFailcount:
      return "  * Cluster action:  clear_failcount for " + (a.label.empty() ? a.rsc : a.label) +
             " on " + a.node + "\n";
    case ActionKind::kResource:
      break;
  }
  std::string task = a.task;
  if (a.interval_ms > 0) task += "=" + std::to_string(a.interval_ms);
  return "  * Resource action: " + pad_right(a.label.empty() ? a.rsc : a.label, 15) + " " + task +
         " on " + a.node + "\n";
}

std::string render_executed(const Transition& t) {
  std::string out;
  for (const int id : execute_order(t))
    out += render_action(t.actions[static_cast<std::size_t>(id)]);
  return out;
}

WorkingSet revised_working_set(WorkingSet ws, const Transition& t) {
  WorkingSet out = std::move(ws);
  for (const auto& node : t.fenced_nodes) {
    for (auto& n : out.nodes) {
      if (n.uname != node) continue;
      n.online = false;
      n.unclean = false;
    }
  }
  // Action resource id -> (primitive or member, in a promotable clone), the
  // first in resource order: top-level primitives, the direct children of
  // groups and clones, and the members of a cloned group's instances. Only
  // histories change below, so the pointers hold.
  std::unordered_map<std::string_view, std::pair<WsResource*, bool>> by_id;
  for (auto& r : out.resources) {
    if (r.kind == RscKind::kPrimitive) by_id.emplace(r.id, std::pair{&r, false});
    if (r.kind != RscKind::kGroup && r.kind != RscKind::kClone) continue;
    const bool in_promotable = r.kind == RscKind::kClone && r.promotable;
    for (auto& m : r.children) {
      by_id.emplace(m.id, std::pair{&m, in_promotable});
      for (auto& gm : m.children) by_id.emplace(gm.id, std::pair{&gm, in_promotable});
    }
  }
  bool promotable = false;
  auto find_rsc = [&by_id, &promotable](const std::string& id) -> WsResource* {
    const auto it = by_id.find(id);
    if (it == by_id.end()) return nullptr;
    promotable = it->second.second;
    return it->second.first;
  };
  for (const int id : execute_order(t)) {
    const Action& a = t.actions[static_cast<std::size_t>(id)];
    if (a.rsc.empty() || a.node.empty()) continue;
    if (a.task != "start" && a.task != "stop" && a.task != "promote" && a.task != "demote")
      continue;
    WsResource* r = find_rsc(a.rsc);
    if (r == nullptr) continue;
    NodeRscState* h = nullptr;
    for (auto& s : r->history)
      if (s.node == a.node) h = &s;
    if (h == nullptr) {
      // Histories are read in status order: a new one goes where its node's
      // node_state is.
      auto status_index = [&ws](const std::string& node) { return ws.status_position(node); };
      const std::size_t at = status_index(a.node);
      auto pos = r->history.begin();
      while (pos != r->history.end() && status_index(pos->node) <= at) ++pos;
      pos = r->history.insert(pos, NodeRscState{});
      h = &*pos;
      h->node = a.node;
    }
    if (a.task == "start") {
      h->role = promotable ? Role::kUnpromoted : Role::kStarted;
    } else if (a.task == "stop") {
      // The injected stop's result carries transition -1 and the fake uuid.
      // Against a start recorded as still in flight (call-id -1) the history
      // order compares transition magic: a start of another TE uuid, or of
      // transition -1 too, sorts after the stop when the status is read
      // again (it still looks started); one of a numbered transition of the
      // fake uuid sorts before it.
      const bool in_flight_start =
          std::any_of(h->ops.begin(), h->ops.end(), [](const HistoryOp& op) {
            return op.task == "start" && op.call_id == -1 && op.op_status == -1 &&
                   (!op.magic_fake_uuid || op.magic_transition == -1);
          });
      h->role = in_flight_start ? Role::kStarted : Role::kStopped;
    } else {
      h->role = a.task == "promote" ? Role::kPromoted : Role::kUnpromoted;
    }
    h->failed = false;
    h->blocked = false;
    h->failure_ignored = false;
    h->pending_task.clear();
    h->pending_recurring = false;
  }
  // Orphans that no longer run anywhere disappear from the status.
  out.resources.erase(std::remove_if(out.resources.begin(), out.resources.end(),
                                     [](const WsResource& r) {
                                       return r.orphan && r.kind == RscKind::kPrimitive &&
                                              r.active_nodes().empty();
                                     }),
                      out.resources.end());
  return out;
}

}  // namespace quorate::crm::sched
