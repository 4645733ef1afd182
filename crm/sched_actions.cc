// Create actions and order them: for each top-level primitive, probes, stops,
// a start and recurring monitors from its placement; fencing and shutdown per
// node; and the Transition Summary lines. Graph order mirrors Pacemaker's
// (actions are prepended to their resource's list as they are created).
#include "crm/sched_actions.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include "crm/sched_history_checks.h"

namespace quorate::crm::sched {

namespace {

std::int64_t parse_interval_ms(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  std::int64_t n = 0;
  std::from_chars(text.data(), text.data() + i, n);
  const auto unit = text.substr(i);
  if (unit == "ms" || unit == "msec") return n;
  if (unit == "m" || unit == "min") return n * 60000;
  if (unit == "h" || unit == "hr") return n * 3600000;
  if (unit.empty() || unit == "s" || unit == "sec") return n * 1000;
  return 0;
}

bool is_true(std::string_view text) {
  std::string v(text);
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "true" || v == "yes" || v == "on" || v == "1" || v == "y";
}

bool op_enabled(const Op& op) {
  const std::string* e = find_attr(op.extra, "enabled");
  if (e == nullptr) return true;
  std::string v = *e;
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return !(v == "false" || v == "no" || v == "off" || v == "0" || v == "n");
}

// Why an unclean node is fenced, in Pacemaker's words.
std::string fence_reason(const WorkingSet& ws, const WsNode& node) {
  for (const auto& r : ws.resources) {
    if (r.kind != RscKind::kPrimitive) continue;
    for (const auto& h : r.history)
      if (h.node == node.uname && h.needs_fencing) return r.id + " failed there";
  }
  if (node.online) return "node is unclean";
  const NodeState* state = nullptr;
  if (ws.cib != nullptr && ws.cib->status) {
    for (const auto& ns : ws.cib->status->nodes)
      if (ns.id == node.id) state = &ns;
  }
  if (state == nullptr) return "node is unclean";  // never seen: startup fencing
  if (!state->in_ccm) return "peer has not been seen by the cluster";
  if (state->join && *state->join == "banned") return "peer failed Pacemaker membership criteria";
  const bool in_ccm = *state->in_ccm != "false" && *state->in_ccm != "0";
  if (!in_ccm) return "peer is no longer part of the cluster";
  return "peer process is no longer available";
}

// Builds one transition; each stage appends to `t`.
class Builder {
 public:
  Builder(const WorkingSet& ws, Transition& t) : ws_(ws), t_(t) {}

  void run() {
    t_.placement = place(ws_);
    read_orders();
    find_blocked_stops();
    decide_fencing();
    // Resources are scheduled firsts before thens of mandatory orders (a
    // then-resource restarts when its first starts), but listed in
    // configuration order.
    std::vector<const WsResource*> tops;
    for (const auto& r : ws_.resources)
      if (r.kind == RscKind::kPrimitive || r.kind == RscKind::kGroup || is_primitive_clone(r))
        tops.push_back(&r);
    for (const auto& r : ws_.resources) {
      if (!is_primitive_clone(r)) continue;
      // crm_simulate names an anonymous instance's actions by the clone's
      // child id when some instance's history is recorded under it.
      // A history under that id that ran the resource names it too, even when
      // it stopped since.
      const bool bare = !r.unique && (std::any_of(r.children.begin(), r.children.end(),
                                                  [](const WsResource& inst) {
                                                    return inst.history_name == inst.base_id;
                                                  }) ||
                                      ran_under(r.child_base_id));
      for (const auto& inst : r.children) {
        if (r.promotable) promotable_instances_.insert(inst.id);
        if (bare) {
          labels_[inst.id] = inst.base_id;
        } else if (!r.unique && !inst.history_name.empty() && inst.history_name != inst.id) {
          labels_[inst.id] = inst.history_name;
        }
      }
    }
    std::vector<int> state(tops.size(), 0);
    std::vector<std::vector<ResourceChange>> changes(tops.size());
    std::vector<std::vector<std::vector<Pending>>> lists(tops.size());
    std::map<std::string, bool, std::less<>> starts;
    // Per top-level resource: node -> id of the primitive (instance) it starts there.
    std::map<std::string, std::map<std::string, std::string>, std::less<>> started_on;
    auto process = [&](auto&& self, std::size_t i) -> void {
      if (state[i] != 0) return;
      state[i] = 1;
      const WsResource& r = *tops[i];
      std::string required_by;
      // Clone instances that must start again: interleaved clones only where
      // the first clone starts an instance on the same node.
      std::map<std::string, std::string, std::less<>> instance_required;
      for (const auto& e : orders_) {
        if (!e.mandatory || e.then != r.id || e.first_action != "start" || e.then_action != "start")
          continue;
        for (std::size_t j = 0; j < tops.size(); ++j)
          if (tops[j]->id == e.first) self(self, j);
        // Through a require-all=false pseudo action, a first that starts
        // does not restart what already runs.
        if (!e.any_of.empty()) continue;
        const WsResource* first = top_level(e.first);
        if (r.kind == RscKind::kClone && r.interleave && first->kind == RscKind::kClone) {
          const auto& on = started_on[e.first];
          for (const auto& inst : r.children) {
            const auto active = inst.active_nodes();
            if (active.size() != 1) continue;
            const auto it = on.find(active.front());
            if (it != on.end()) instance_required.emplace(inst.id, it->second + " start");
          }
          continue;
        }
        if (starts[e.first] && required_by.empty())
          required_by = e.first + (first->kind != RscKind::kPrimitive ? " running" : " start");
      }
      const std::size_t c0 = t_.changes.size();
      const std::size_t p0 = pending_.size();
      if (r.kind == RscKind::kPrimitive) {
        finish(primitive_actions(r, required_by));
      } else if (r.kind == RscKind::kClone) {
        if (!required_by.empty())
          for (const auto& inst : r.children) instance_required.emplace(inst.id, required_by);
        clone_actions(r, instance_required);
      } else {
        group_actions(r, required_by);
      }
      bool started = false;
      for (std::size_t k = p0; k < pending_.size(); ++k)
        for (const auto& p : pending_[k])
          if (p.action.task == "start" && p.action.kind == ActionKind::kResource) {
            started = true;
            started_on[r.id].emplace(p.action.node, p.action.rsc);
          }
      starts[r.id] = started;
      changes[i].assign(t_.changes.begin() + static_cast<std::ptrdiff_t>(c0), t_.changes.end());
      t_.changes.resize(c0);
      for (std::size_t k = p0; k < pending_.size(); ++k) lists[i].push_back(std::move(pending_[k]));
      pending_.resize(p0);
      state[i] = 2;
    };
    for (std::size_t i = 0; i < tops.size(); ++i) process(process, i);
    for (std::size_t i = 0; i < tops.size(); ++i) {
      t_.changes.insert(t_.changes.end(), changes[i].begin(), changes[i].end());
      for (auto& l : lists[i]) pending_.push_back(std::move(l));
    }
    node_actions();
    emit();
  }

 private:
  // Whether some node's history of resource id `id` (as recorded) shows it
  // was started or stopped there.
  bool ran_under(const std::string& id) const {
    if (ws_.cib == nullptr || !ws_.cib->status) return false;
    for (const auto& ns : ws_.cib->status->nodes) {
      if (!ns.lrm) continue;
      for (const auto& lr : ns.lrm->resources) {
        if (lr.id != id) continue;
        for (const auto& op : lr.ops)
          if (op.operation == "start" || op.operation == "stop") return true;
      }
    }
    return false;
  }

  // A simple (set-less) rsc_order between two top-level resources.
  struct OrderEdge {
    std::string first, first_action, then, then_action;
    bool mandatory = true;
    bool symmetrical = true;
    std::string any_of{};  // see OrderSpec::any_of
    int min_firsts = 1;
  };

  const WsResource* top_level(const std::string& id) const {
    for (const auto& r : ws_.resources)
      if (r.id == id &&
          (r.kind == RscKind::kPrimitive || r.kind == RscKind::kGroup || is_primitive_clone(r)))
        return &r;
    return nullptr;
  }

  // The node a top-level resource is assigned ("" when it stays stopped; for
  // a clone, the first node an instance is assigned).
  std::string target_of(const WsResource& r) const {
    if (r.kind == RscKind::kClone) {
      for (const auto& inst : r.children) {
        const PrimitivePlacement* p = t_.placement.find(inst.id);
        if (p != nullptr && !p->node.empty()) return p->node;
      }
      return "";
    }
    const std::string& id =
        r.kind == RscKind::kGroup ? (r.children.empty() ? r.id : r.children.front().id) : r.id;
    const PrimitivePlacement* p = t_.placement.find(id);
    return p == nullptr ? "" : p->node;
  }

  // A failure that blocks the resource where it is (on-fail=block): it is
  // left alone.
  static bool blocked_failure(const WsResource& r) {
    if (r.kind != RscKind::kPrimitive) return false;
    return std::any_of(r.history.begin(), r.history.end(),
                       [](const NodeRscState& h) { return h.blocked; });
  }

  void read_orders() {
    for (const auto& o : ws_.orders) {
      if (top_level(o.first) == nullptr || top_level(o.then) == nullptr) continue;
      OrderEdge e;
      e.first = o.first;
      e.then = o.then;
      e.first_action = o.first_action;
      e.then_action = o.then_action;
      e.mandatory = o.mandatory;
      e.symmetrical = o.symmetrical;
      e.any_of = o.any_of;
      e.min_firsts = o.min_firsts;
      orders_.push_back(e);
    }
    // A mandatory "first start then start" blocks the start of `then` when
    // `first` cannot start.
    std::map<std::string, bool, std::less<>> unrunnable;
    std::set<std::string, std::less<>> by_order;  // unrunnable because of an order
    for (const auto& r : ws_.resources)
      if (r.kind == RscKind::kPrimitive || r.kind == RscKind::kGroup || is_primitive_clone(r))
        unrunnable[r.id] = target_of(r).empty() || blocked_failure(r);
    for (bool changed = true; changed;) {
      changed = false;
      for (const auto& e : orders_) {
        if (!e.mandatory || e.first_action != "start" || e.then_action != "start") continue;
        if (unrunnable[e.then]) continue;
        if (e.any_of.empty() ? !unrunnable[e.first] : any_of_runnable(e.any_of, unrunnable))
          continue;
        unrunnable[e.then] = true;
        by_order.insert(e.then);
        changed = true;
        const WsResource* then = top_level(e.then);
        const WsResource* first = top_level(e.first);
        if (then == nullptr || first == nullptr) continue;
        const std::string what =
            !e.any_of.empty()
                ? e.any_of
                : e.first + (first->kind != RscKind::kPrimitive ? " running" : " start");
        const std::string reason = "unrunnable " + what;
        // What runs now stops because its first stops: a first that is
        // itself held back by an order, or a primitive that runs now and is
        // to stop, is "required", not "unrunnable".
        if (by_order.count(e.first) > 0 ||
            (first->kind == RscKind::kPrimitive && !first->active_nodes().empty())) {
          if (then->kind == RscKind::kPrimitive) {
            stop_reason_.emplace(then->id, "required " + what);
          } else {
            for (const auto& m : then->children) stop_reason_.emplace(m.id, "required " + what);
          }
        }
        if (then->kind != RscKind::kPrimitive) {
          for (const auto& m : then->children) blocked_start_.emplace(m.id, reason);
          // Pacemaker lists no blocked start for the instances of a clone
          // that waits for another clone.
          if (then->kind == RscKind::kClone && first->kind == RscKind::kClone && e.any_of.empty())
            for (const auto& m : then->children) silent_block_.insert(m.id);
          if (e.symmetrical)
            for (const auto& m : then->children) must_stop_.insert(m.id);
        } else {
          blocked_start_.emplace(then->id, reason);
          if (e.symmetrical) must_stop_.insert(then->id);
        }
      }
    }
    for (const auto& e : orders_)
      if (!e.any_of.empty() && any_of_runnable(e.any_of, unrunnable)) runnable_any_.insert(e.any_of);
    // What must run with something an order holds back cannot run either.
    for (bool changed = true; changed;) {
      changed = false;
      for (const auto& co : ws_.colocations) {
        if (co.rsc_role || co.with_rsc_role || co.score < kInfinity) continue;
        const WsResource* dep = top_level(co.rsc);
        if (dep == nullptr || top_level(co.with_rsc) == nullptr) continue;
        if (by_order.count(co.with_rsc) == 0 || unrunnable[dep->id]) continue;
        unrunnable[dep->id] = true;
        by_order.insert(dep->id);
        changed = true;
        const std::string reason = "colocation with " + co.with_rsc;
        if (dep->kind == RscKind::kPrimitive) {
          blocked_start_.emplace(dep->id, reason);
          must_stop_.insert(dep->id);
        } else {
          for (const auto& m : dep->children) {
            blocked_start_.emplace(m.id, reason);
            must_stop_.insert(m.id);
          }
        }
      }
    }
  }

  // Whether clone `c` is the first of an ordering through a runnable
  // clone-min pseudo action.
  bool clone_min_first(const WsResource& c) const {
    return std::any_of(orders_.begin(), orders_.end(), [&](const OrderEdge& e) {
      return e.first == c.id && !e.any_of.empty() && runnable_any_.count(e.any_of) > 0;
    });
  }

  // The graph keys of `rsc`'s `action` feeding a require-all=false pseudo
  // action: each instance's own action for a clone (Pacemaker orders every
  // instance before it), else the resource's.
  std::vector<std::string> any_of_first_keys(const std::string& rsc,
                                             const std::string& action) const {
    const WsResource* r = top_level(rsc);
    if (r == nullptr || r->kind != RscKind::kClone) return {order_key(rsc, action, true)};
    std::vector<std::string> keys;
    for (const auto& inst : r->children) keys.push_back("a:" + inst.id + ":" + action);
    return keys;
  }

  // Whether the pseudo action `name` (require-all=false, clone-min) can run:
  // enough of its firsts can start (for a clone first, enough instances).
  bool any_of_runnable(const std::string& name,
                       const std::map<std::string, bool, std::less<>>& unrunnable) const {
    int runnable = 0;
    int needed = 1;
    std::set<std::string, std::less<>> seen;
    for (const auto& e : orders_) {
      if (e.any_of != name || !seen.insert(e.first).second) continue;
      needed = e.min_firsts;
      const WsResource* first = top_level(e.first);
      if (first == nullptr) continue;
      const auto it = unrunnable.find(e.first);
      if (it != unrunnable.end() && it->second) continue;
      if (first->kind == RscKind::kClone) {
        for (const auto& inst : first->children) {
          const PrimitivePlacement* p = t_.placement.find(inst.id);
          if (p != nullptr && !p->node.empty()) ++runnable;
        }
      } else {
        ++runnable;
      }
    }
    return runnable >= needed;
  }

  // Resources whose stop cannot happen: active ones that are unmanaged or
  // blocked by a failure, and whatever must stop after them (mandatory
  // stop orderings, later group members before earlier ones).
  void find_blocked_stops() {
    auto active = [](const WsResource& r) { return !r.active_nodes().empty(); };
    for (const auto& r : ws_.resources) {
      const std::vector<WsResource>* members = nullptr;
      std::vector<WsResource> single;
      if (r.kind == RscKind::kGroup) {
        members = &r.children;
      } else if (r.kind == RscKind::kPrimitive) {
        single.push_back(r);
        members = &single;
      } else {
        continue;
      }
      for (const auto& m : *members)
        if (active(m) && (!m.managed || blocked_failure(m))) stop_blocked_.insert(m.id);
    }
    auto members_of = [this](const std::string& id) {
      std::vector<std::string> out;
      const WsResource* r = top_level(id);
      if (r == nullptr) return out;
      if (r->kind != RscKind::kPrimitive) {
        for (const auto& m : r->children) out.push_back(m.id);
      } else {
        out.push_back(r->id);
      }
      return out;
    };
    std::vector<std::pair<std::string, std::string>> edges;  // stop a, then stop b
    for (const auto& e : orders_) {
      if (!e.mandatory) continue;
      if (e.first_action == "stop" && e.then_action == "stop") edges.push_back({e.first, e.then});
      if (e.symmetrical && e.first_action == "start" && e.then_action == "start")
        edges.push_back({e.then, e.first});
    }
    for (bool changed = true; changed;) {
      changed = false;
      auto block = [&](const std::string& id) {
        if (stop_blocked_.insert(id).second) changed = true;
      };
      for (const auto& r : ws_.resources) {
        if (r.kind != RscKind::kGroup) continue;
        for (std::size_t j = r.children.size(); j-- > 1;)
          if (stop_blocked_.count(r.children[j].id) && active(r.children[j - 1]))
            block(r.children[j - 1].id);
      }
      for (const auto& [a, b] : edges) {
        bool blocked = false;
        for (const auto& m : members_of(a)) blocked = blocked || stop_blocked_.count(m) > 0;
        if (!blocked) continue;
        const WsResource* rb = top_level(b);
        if (rb == nullptr) continue;
        if (rb->kind != RscKind::kPrimitive) {
          for (const auto& m : rb->children)
            if (active(m)) block(m.id);
        } else if (active(*rb)) {
          block(rb->id);
        }
      }
    }
  }

  // The graph key of a resource's action as the first (or then) side of an
  // ordering: a group's start or stop is complete when it is running or
  // stopped.
  std::string order_key(const std::string& rsc, const std::string& action, bool as_first) const {
    const WsResource* r = top_level(rsc);
    std::string task = action;
    if (as_first && r != nullptr && r->kind != RscKind::kPrimitive) {
      if (action == "start") task = "running";
      if (action == "stop") task = "stopped";
    }
    return "a:" + rsc + ":" + task;
  }

  static std::string inverse(const std::string& action) {
    if (action == "start") return "stop";
    if (action == "stop") return "start";
    if (action == "promote") return "demote";
    if (action == "demote") return "promote";
    return action;
  }

  struct Pending {
    Action action;
    std::vector<std::size_t> after;       // local indices (same resource) ...
    std::vector<std::string> after_keys;  // ... or global keys (fencing)
    std::vector<std::string> keys{};      // extra keys others may wait for
  };

  bool quorum_stop() const {
    return !ws_.options.have_quorum && ws_.options.no_quorum_policy == "stop";
  }
  bool quorum_freeze() const {
    return !ws_.options.have_quorum && ws_.options.no_quorum_policy == "freeze";
  }
  bool can_fence() const {
    return ws_.options.stonith_enabled &&
           (ws_.options.have_quorum || ws_.options.no_quorum_policy == "ignore");
  }
  bool fenced(const std::string& node) const {
    return std::find(t_.fenced_nodes.begin(), t_.fenced_nodes.end(), node) != t_.fenced_nodes.end();
  }

  void decide_fencing() {
    if (!can_fence()) return;
    for (const auto& n : ws_.nodes) {
      if (!n.unclean) continue;
      t_.fencing.push_back({n.uname, ws_.options.stonith_action, fence_reason(ws_, n)});
      t_.fenced_nodes.push_back(n.uname);
    }
    // The summary lists them newest first.
    std::reverse(t_.fencing.begin(), t_.fencing.end());
  }

  static bool probe_node(const WsNode& n) { return n.online && !n.unclean && !n.pending; }

  // Probes where the state on an online node is unknown, in node order.
  std::vector<std::size_t> add_probes(const WsResource& r, std::vector<Pending>& made) {
    std::vector<std::size_t> probes;
    const auto owned = clone_probes_.find(r.id);
    for (const auto& n : ws_.nodes) {
      if (!probe_node(n)) continue;
      if (owned != clone_probes_.end() &&
          std::find(owned->second.begin(), owned->second.end(), n.uname) == owned->second.end())
        continue;
      const bool known = std::any_of(r.history.begin(), r.history.end(),
                                     [&n](const NodeRscState& h) { return h.node == n.uname; });
      if (known) continue;
      made.push_back({{0, ActionKind::kResource, r.id, "monitor", n.uname, 0, ""}, {}, {}});
      probes.push_back(made.size() - 1);
    }
    return probes;
  }

  // A primitive's actions in creation order: what its history asks for
  // (crm/sched_history_checks.h) first, then primitive_actions_for_role().
  // A delete comes after the primitive's stops and before its start.
  std::vector<Pending> primitive_actions(const WsResource& r, const std::string& required_by) {
    std::vector<Pending> made = primitive_actions_for_role(r, required_by);
    std::vector<Pending> checks;
    for (const auto& h : check_history(ws_, r)) {
      Action a{0, ActionKind::kResource, r.id, "delete", h.node, 0, ""};
      if (h.kind == HistoryAction::Kind::kCancel) {
        a.task = "cancel";
        a.interval_ms = h.interval_ms;
      } else if (h.kind == HistoryAction::Kind::kClearFailcount) {
        a.kind = ActionKind::kClearFailcount;
        a.task = "clear_failcount";
      }
      checks.push_back({std::move(a), {}, {}});
    }
    if (checks.empty()) return made;
    const std::size_t n = checks.size();
    for (auto& m : made)
      for (auto& i : m.after) i += n;
    for (std::size_t d = 0; d < n; ++d) {
      if (checks[d].action.task != "delete") continue;
      for (std::size_t i = 0; i < made.size(); ++i) {
        if (made[i].action.task == "stop") checks[d].after.push_back(n + i);
        if (made[i].action.task == "start") made[i].after.push_back(d);
      }
    }
    checks.insert(checks.end(), std::make_move_iterator(made.begin()),
                  std::make_move_iterator(made.end()));
    return checks;
  }

  // A primitive's own actions in creation order. `required_by`: the group
  // member before it starts, so it must start again too (a restart if it
  // stays).
  std::vector<Pending> primitive_actions_for_role(const WsResource& r,
                                                  const std::string& required_by) {
    std::vector<Pending> made;
    auto add = [&made](Action a) {
      made.push_back({std::move(a), {}, {}});
      return made.size() - 1;
    };
    const PrimitivePlacement* p = t_.placement.find(r.id);
    if (p == nullptr || p->unmanaged || blocked_failure(r)) {
      add_probes(r, made);
      return made;
    }

    std::vector<const NodeRscState*> active;
    for (const auto& h : r.history)
      if (h.failed || h.role == Role::kStarted || h.role == Role::kUnpromoted ||
          h.role == Role::kPromoted || !h.pending_task.empty())
        active.push_back(&h);

    std::string target = p->node;
    const bool promotable = promotable_instances_.count(r.id) > 0;
    const Role next_role = promotable ? p->next_role : Role::kStarted;
    std::string stop_reason = "node availability";
    bool start_blocked = false;
    std::string start_reason;
    const auto req = r.meta.find("requires");
    const bool needs_quorum = req == r.meta.end() || req->second != "nothing";
    if (!needs_quorum) {
      // requires=nothing: runs regardless of quorum
    } else if (quorum_stop()) {
      if (!active.empty()) {
        target.clear();
        stop_reason = "no quorum";
      } else {
        start_blocked = true;
        start_reason = "no quorum";
      }
    } else if (quorum_freeze() && active.empty()) {
      start_blocked = true;
      start_reason = "quorum freeze";
    }
    if (!start_blocked) {
      const auto b = blocked_start_.find(r.id);
      if (b != blocked_start_.end() && active.empty()) {
        start_blocked = true;
        start_reason = b->second;
      } else if (b != blocked_start_.end() &&
                 (must_stop_.count(r.id) > 0 ||
                  !(active.size() == 1 && active.front()->node == target &&
                    !active.front()->failed))) {
        // it would have to start again: it cannot
        target.clear();
        const auto why = stop_reason_.find(r.id);
        stop_reason = why != stop_reason_.end() ? why->second : b->second;
      }
    }

    last_stop_blocked_ = false;
    if (stop_blocked_.count(r.id) && !active.empty() && !blocked_failure(r) && r.managed) {
      const NodeRscState* h = active.front();
      const bool leaves = active.size() > 1 || target != h->node || h->failed ||
                          (!required_by.empty() && !start_blocked);
      if (leaves) {
        last_stop_blocked_ = true;
        if (target.empty()) {
          t_.changes.push_back({"Stop", r.id, h->node, "", stop_reason, true});
        } else {
          t_.changes.push_back({"Move", r.id, h->node, target, "", true});
        }
        add_probes(r, made);
        return made;
      }
    }

    // Stops: wherever it is active and should not stay (failed: recover).
    // Pacemaker creates the recovery stop of a failed instance while reading
    // the history, so before the probes; other stops after them.
    std::vector<std::size_t> stops;
    bool stays = false;
    bool restart = false;
    const NodeRscState* stays_on = nullptr;
    std::vector<std::size_t> demotes;
    auto add_demote = [&](const NodeRscState* h) {
      const bool implied = fenced(h->node);
      const std::size_t i = add({0, implied ? ActionKind::kPseudo : ActionKind::kResource, r.id,
                                 "demote", h->node, 0, ""});
      if (implied) made[i].after_keys.push_back("fence:" + h->node);
      demotes.push_back(i);
      return i;
    };
    auto add_stop = [&](const NodeRscState* h) {
      const bool implied = fenced(h->node);
      std::optional<std::size_t> demote;
      if (h->role == Role::kPromoted) demote = add_demote(h);
      const std::size_t i = add(
          {0, implied ? ActionKind::kPseudo : ActionKind::kResource, r.id, "stop", h->node, 0, ""});
      if (implied) made[i].after_keys.push_back("fence:" + h->node);
      if (demote) made[i].after.push_back(*demote);
      stops.push_back(i);
    };
    for (const NodeRscState* h : active)
      if (h->failed) add_stop(h);
    const std::vector<std::size_t> probes = add_probes(r, made);
    for (const NodeRscState* h : active) {
      if (h->failed) continue;
      if (h->node == target && active.size() == 1) {
        if (h->pending_task == "start") continue;  // started again, no stop
        if (!required_by.empty() && !start_blocked) {
          restart = true;
          add_stop(h);
          continue;
        }
        stays = true;
        stays_on = h;
        continue;
      }
      add_stop(h);
    }

    // Summary line.
    if (active.size() == 1) {
      const NodeRscState* h = active.front();
      const bool failed = h->failed;
      if (target.empty()) {
        t_.changes.push_back({"Stop", r.id, h->node, "", stop_reason, false});
      } else if (target == h->node) {
        if (failed) {
          t_.changes.push_back({"Recover", r.id, h->node, h->node, "", false});
        } else if (restart) {
          t_.changes.push_back(
              {"Restart", r.id, h->node, h->node, "required " + required_by, false});
        }
      } else {
        t_.changes.push_back({failed ? "Recover" : "Move", r.id, h->node, target, "", false});
      }
    } else if (active.size() > 1) {
      // Multiply active: everything stops, then one start (stop_start).
      const bool there = std::any_of(active.begin(), active.end(),
                                     [&target](const auto* h) { return h->node == target; });
      if (target.empty()) {
        for (const NodeRscState* h : active)
          t_.changes.push_back({"Stop", r.id, h->node, "", stop_reason, false});
      } else if (there) {
        t_.changes.push_back({"Restart", r.id, target, target, "", false});
      } else {
        t_.changes.push_back({"Move", r.id, active.front()->node, target, "", false});
      }
    } else if (!target.empty() && !(start_blocked && silent_block_.count(r.id) > 0)) {
      t_.changes.push_back({"Start", r.id, "", target, start_reason, start_blocked});
    }

    // A promoted instance that stays but is no longer to be promoted.
    if (stays && stays_on->role == Role::kPromoted && next_role != Role::kPromoted &&
        !start_blocked && !target.empty())
      add_demote(stays_on);
    if (target.empty() || start_blocked) return made;

    // Start, promote and recurring monitors.
    std::vector<std::size_t> starts;
    if (!stays) {
      const std::size_t s = add({0, ActionKind::kResource, r.id, "start", target, 0, ""});
      made[s].after.insert(made[s].after.end(), probes.begin(), probes.end());
      made[s].after.insert(made[s].after.end(), stops.begin(), stops.end());
      starts.push_back(s);
    }
    std::vector<std::size_t> monitor_after = starts;
    const bool promote =
        next_role == Role::kPromoted && !(stays && stays_on->role == Role::kPromoted);
    if (promote) {
      const std::size_t i = add({0, ActionKind::kResource, r.id, "promote", target, 0, ""});
      made[i].after.insert(made[i].after.end(), starts.begin(), starts.end());
      made[i].after.insert(made[i].after.end(), demotes.begin(), demotes.end());
      monitor_after.push_back(i);
    }
    // Monitors of the role it has now that it will not keep are cancelled.
    std::vector<std::size_t> cancels;
    if (stays && promotable) {
      const Role was = stays_on->role == Role::kPromoted ? Role::kPromoted : Role::kUnpromoted;
      if (was != next_role) {
        for (const auto& op : r.ops) {
          if (op.name != "monitor" || !op_enabled(op) || !monitor_for(op, was, true) ||
              duplicate_op(r, op))
            continue;
          const std::int64_t iv = op_interval_ms(op);
          if (iv > 0 && monitor_running(*stays_on, iv))
            cancels.push_back(add({0, ActionKind::kResource, r.id, "cancel", target, iv, ""}));
        }
      }
    }
    for (const std::size_t c : cancels)
      for (std::size_t k = 0; k < made.size(); ++k)
        if (made[k].action.task == "promote" || made[k].action.task == "demote")
          made[k].after.push_back(c);
    for (const auto& op : r.ops) {
      if (op.name != "monitor" || !op_enabled(op) || duplicate_op(r, op)) continue;
      if (!monitor_for(op, next_role, promotable)) continue;
      const std::int64_t iv = op_interval_ms(op);
      if (iv <= 0) continue;
      if (stays && (!promotable || stays_on->role == next_role ||
                    (stays_on->role != Role::kPromoted && next_role != Role::kPromoted))) {
        if (monitor_running(*stays_on, iv)) continue;
      }
      const std::size_t m = add({0, ActionKind::kResource, r.id, "monitor", target, iv, ""});
      made[m].after.insert(made[m].after.end(), monitor_after.begin(), monitor_after.end());
    }
    // Recovery in place: the start was created with the stop, before the
    // recurring monitors.
    const bool recovering = std::any_of(active.begin(), active.end(), [&target](const auto* h) {
      return h->failed && h->node == target;
    });
    if (recovering && starts.size() == 1 && starts.front() + 1 < made.size())
      move_to_end(made, starts.front());
    return made;
  }

  // Whether a recurring monitor of interval `iv` runs on the node: recorded,
  // not cancelled, and not older than the last start, promote or demote
  // (which the executor restarts recurring operations across).
  static bool monitor_running(const NodeRscState& h, std::int64_t iv) {
    std::int64_t reset = -1;
    for (const auto& op : h.ops)
      if (op.task == "start" || op.task == "promote" || op.task == "demote")
        reset = std::max(reset, op.call_id);
    return std::any_of(h.ops.begin(), h.ops.end(), [iv, reset](const HistoryOp& op) {
      return op.task == "monitor" && op.interval_ms == iv && op.op_status != 1 &&
             op.op_status != -1 && op.call_id > reset;
    });
  }

  // Pacemaker ignores every recurring op whose name and interval another op
  // of the resource repeats (a configuration error it logs).
  static bool duplicate_op(const WsResource& r, const Op& op) {
    const std::int64_t iv = op_interval_ms(op);
    int same = 0;
    for (const auto& o : r.ops)
      if (o.name == op.name && op_interval_ms(o) == iv) ++same;
    return same > 1;
  }

  // Whether recurring monitor `op` runs on an instance in `role`: ops
  // without a role on started and unpromoted instances, ops for Started only
  // on instances of ordinary resources, ops for Promoted / Unpromoted only
  // in that role.
  static bool monitor_for(const Op& op, Role role, bool promotable) {
    const Role r = op.role ? parse_role(*op.role).value_or(Role::kUnknown) : Role::kUnknown;
    if (!promotable) return r == Role::kUnknown || r == Role::kStarted;
    if (role == Role::kPromoted) return r == Role::kPromoted;
    return r == Role::kUnknown || r == Role::kUnpromoted;
  }

  static void move_to_end(std::vector<Pending>& made, std::size_t from) {
    const std::size_t last = made.size() - 1;
    auto remap = [from, last](std::size_t i) {
      if (i == from) return last;
      return i > from ? i - 1 : i;
    };
    for (auto& p : made)
      for (auto& a : p.after) a = remap(a);
    Pending moved = std::move(made[from]);
    made.erase(made.begin() + static_cast<std::ptrdiff_t>(from));
    made.push_back(std::move(moved));
  }

  // A group's members' actions, ordered one after another (starts in
  // member order, stops in reverse), between the group's pseudo actions.
  void group_actions(const WsResource& g, std::string required_by) {
    std::vector<std::vector<Pending>> lists;
    bool stop_wanted_blocked = false;
    bool any_start = false;
    bool any_stop = false;
    const std::string gkey = "a:" + g.id + ":";
    for (std::size_t i = 0; i < g.children.size(); ++i) {
      const WsResource& m = g.children[i];
      std::vector<Pending> made = primitive_actions(m, required_by);
      if (last_stop_blocked_) stop_wanted_blocked = true;
      bool starts = false;
      for (auto& p : made) {
        if (p.action.task == "start") {
          starts = true;
          p.after_keys.push_back(gkey + "start");
          for (std::size_t j = 0; j < i; ++j)
            p.after_keys.push_back("a:" + g.children[j].id + ":start");
        } else if (p.action.task == "stop") {
          any_stop = true;
          p.after_keys.push_back(gkey + "stop");
          for (std::size_t j = i + 1; j < g.children.size(); ++j)
            p.after_keys.push_back("a:" + g.children[j].id + ":stop");
        }
      }
      any_start = any_start || starts;
      required_by = starts ? m.id + " start" : "";
      lists.push_back(std::move(made));
    }
    std::vector<Pending> own;
    auto pseudo = [&](const char* task, std::vector<std::string> after) {
      own.push_back({{0, ActionKind::kPseudo, g.id, task, "", 0, ""}, {}, std::move(after)});
    };
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
      if (all_placed) pseudo("running", members);
    }
    if (any_stop || stop_wanted_blocked) {
      std::vector<std::string> members;
      for (const auto& m : g.children) members.push_back("a:" + m.id + ":stop");
      pseudo("stop", {});
      // a member that cannot stop keeps the group from ever being stopped
      if (!stop_wanted_blocked) pseudo("stopped", members);
    }
    finish(std::move(own));
    for (auto& l : lists) finish(std::move(l));
  }

  // A clone of a primitive: each instance's actions between the clone's
  // pseudo actions (start/running, stop/stopped, and for promotable clones
  // promote/promoted, demote/demoted), with notifications when notify=true.
  // An anonymous clone probes a node where no instance's state is known
  // once, by the instance assigned there (else the first placed nowhere).
  void clone_actions(const WsResource& c,
                     const std::map<std::string, std::string, std::less<>>& required) {
    if (!c.unique) distribute_probes(c);
    std::vector<const WsResource*> insts;
    for (const auto& inst : c.children) insts.push_back(&inst);
    const std::string ckey = "a:" + c.id + ":";
    std::vector<std::vector<Pending>> lists;
    std::map<std::string, bool, std::less<>> any;  // start stop promote demote
    std::vector<std::string> done_keys[4];         // instance start/stop/promote/demote keys
    static constexpr const char* kTasks[4] = {"start", "stop", "promote", "demote"};
    for (const WsResource* inst : insts) {
      const std::size_t c0 = t_.changes.size();
      const auto req = required.find(inst->id);
      std::vector<Pending> made =
          primitive_actions(*inst, req == required.end() ? std::string() : req->second);
      for (auto& p : made) {
        if (p.action.kind != ActionKind::kResource && p.action.kind != ActionKind::kPseudo)
          continue;
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
        done_keys[0].push_back(ckey + "start");
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
      pseudo(l.done, done_keys[k]);
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
    if (c.notify) add_notifications(c, insts, any, lists);
    for (auto& l : lists) finish(std::move(l));
    finish(std::move(own));
  }

  void distribute_probes(const WsResource& c) {
    std::vector<std::string> spare;
    for (const auto& inst : c.children) {
      clone_probes_[inst.id];
      const PrimitivePlacement* p = t_.placement.find(inst.id);
      if ((p == nullptr || p->node.empty()) && inst.active_nodes().empty())
        spare.push_back(inst.id);
    }
    for (const auto& n : ws_.nodes) {
      if (!probe_node(n)) continue;
      bool known = false;
      std::string owner;
      for (const auto& inst : c.children) {
        for (const auto& h : inst.history)
          if (h.node == n.uname) known = true;
        const PrimitivePlacement* p = t_.placement.find(inst.id);
        if (owner.empty() && p != nullptr && p->node == n.uname) owner = inst.id;
      }
      if (known) continue;
      if (owner.empty() && !spare.empty()) owner = spare.front();
      if (!owner.empty()) clone_probes_[owner].push_back(n.uname);
    }
  }

  // Summary lines of a promotable instance: roles on every line, a start
  // that also promotes is a Promote, and a role change alone is a Promote
  // or Demote.
  void promotable_summary(const WsResource& inst, const std::vector<Pending>& made,
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
    if (!start && !promote && next != Role::kStopped && role != Role::kPromoted &&
        next == Role::kPromoted)
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
    }
  }

  // Notify actions of each instance for the clone-level tasks that happen:
  // before a stop or demote to the instances active now, after it to those
  // that stay; before a start or promote to those that will be active
  // (already running, for a start), after it to all that will be active.
  void add_notifications(const WsResource& c, const std::vector<const WsResource*>& insts,
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
  }

  // Keeps one resource's actions (creation order) for emit().
  void finish(std::vector<Pending> made) { pending_.push_back(std::move(made)); }

  void node_actions() {
    // Created in node order with the DC's last; the DC's fencing waits for
    // all others, and without concurrent-fencing (2.1.5 default: true) each
    // waits for the previous one.
    const auto cf = ws_.options.properties.find("concurrent-fencing");
    const bool concurrent = cf == ws_.options.properties.end() || is_true(cf->second);
    const std::string* dc_id = ws_.cib != nullptr ? ws_.cib->attr("dc-uuid") : nullptr;
    std::vector<const Fencing*> created;
    const Fencing* dc = nullptr;
    for (auto it = t_.fencing.rbegin(); it != t_.fencing.rend(); ++it) {
      const WsNode* n = ws_.find_node(it->node);
      if (dc_id != nullptr && n != nullptr && n->id == *dc_id) {
        dc = &*it;
      } else {
        created.push_back(&*it);
      }
    }
    std::vector<std::string> before;
    for (const Fencing* f : created) {
      Pending p{{0, ActionKind::kFence, "", "stonith", f->node, 0, f->action}, {}, {}};
      if (!concurrent && !before.empty()) p.after_keys.push_back("fence:" + before.back());
      before.push_back(f->node);
      node_pending_.push_back(std::move(p));
    }
    if (dc != nullptr) {
      Pending p{{0, ActionKind::kFence, "", "stonith", dc->node, 0, dc->action}, {}, {}};
      for (const auto& b : before) p.after_keys.push_back("fence:" + b);
      node_pending_.push_back(std::move(p));
    }
    for (const auto& n : ws_.nodes) {
      if (!n.shutdown || !n.online || n.unclean) continue;
      node_pending_.push_back({{0, ActionKind::kShutdown, "", "do_shutdown", n.uname, 0, ""},
                               {},
                               {"stops:" + n.uname}});
    }
  }

  // Graph order: newest first per resource (Pacemaker prepends each new
  // action to its resource's list), node actions last; local orderings
  // resolved into global ones.
  void emit() {
    std::map<std::string, std::vector<int>, std::less<>> keyed;
    std::vector<std::pair<int, std::vector<std::string>>> key_deps;
    for (auto& made : pending_) {
      std::vector<int> ids(made.size(), -1);
      for (std::size_t i = made.size(); i-- > 0;) {
        Action a = made[i].action;
        a.id = static_cast<int>(t_.actions.size());
        ids[i] = a.id;
        if (a.task == "stop" && !a.node.empty()) keyed["stops:" + a.node].push_back(a.id);
        if (a.interval_ms == 0 && a.task != "monitor" && a.task != "notify")
          keyed["a:" + a.rsc + ":" + a.task].push_back(a.id);
        for (const auto& k : made[i].keys) keyed[k].push_back(a.id);
        const auto label = labels_.find(a.rsc);
        if (label != labels_.end()) a.label = label->second;
        t_.actions.push_back(std::move(a));
      }
      for (std::size_t i = 0; i < made.size(); ++i) {
        for (const std::size_t j : made[i].after) t_.orderings.push_back({ids[j], ids[i]});
        if (!made[i].after_keys.empty()) key_deps.push_back({ids[i], made[i].after_keys});
      }
    }
    // require-all=false / clone-min: one pseudo action between the firsts and
    // the thens, in the graph when it can run and one of the firsts' actions
    // is.
    for (const auto& e : orders_) {
      const std::string key = "any:" + e.any_of;
      if (e.any_of.empty() || keyed.count(key) > 0 || runnable_any_.count(e.any_of) == 0) continue;
      // A first action that happens makes it part of the graph (Pacemaker's
      // implies-then-printed).
      bool printed = false;
      for (const auto& o : orders_) {
        if (o.any_of != e.any_of) continue;
        for (const auto& k : any_of_first_keys(o.first, o.first_action))
          if (keyed.count(k) > 0) printed = true;
      }
      if (!printed) continue;
      Action a{static_cast<int>(t_.actions.size()), ActionKind::kPseudo, "", e.any_of, "", 0, ""};
      keyed[key].push_back(a.id);
      t_.actions.push_back(std::move(a));
    }
    for (std::size_t i = node_pending_.size(); i-- > 0;) {
      Action a = node_pending_[i].action;
      a.id = static_cast<int>(t_.actions.size());
      if (a.kind == ActionKind::kFence) keyed["fence:" + a.node].push_back(a.id);
      if (!node_pending_[i].after_keys.empty())
        key_deps.push_back({a.id, node_pending_[i].after_keys});
      t_.actions.push_back(std::move(a));
    }
    for (const auto& e : orders_) {
      if (!e.any_of.empty()) {
        for (const auto& k : any_of_first_keys(e.first, e.first_action))
          key_deps_between(keyed, k, "any:" + e.any_of);
        key_deps_between(keyed, "any:" + e.any_of, order_key(e.then, e.then_action, false));
        if (e.symmetrical)
          key_deps_between(keyed, order_key(e.then, inverse(e.then_action), true),
                           order_key(e.first, inverse(e.first_action), false));
        continue;
      }
      key_deps_between(keyed, order_key(e.first, e.first_action, true),
                       order_key(e.then, e.then_action, false));
      if (e.symmetrical)
        key_deps_between(keyed, order_key(e.then, inverse(e.then_action), true),
                         order_key(e.first, inverse(e.first_action), false));
    }
    // Resources that must never share a node: each stops before the other
    // starts.
    for (const auto& co : ws_.colocations) {
      if (co.rsc_role || co.with_rsc_role || co.score > -kInfinity) continue;
      if (top_level(co.rsc) == nullptr || top_level(co.with_rsc) == nullptr) continue;
      key_deps_between(keyed, order_key(co.rsc, "stop", true),
                       order_key(co.with_rsc, "start", false));
      key_deps_between(keyed, order_key(co.with_rsc, "stop", true),
                       order_key(co.rsc, "start", false));
    }
    for (const auto& [then, keys] : key_deps) {
      for (const auto& k : keys) {
        const auto it = keyed.find(k);
        if (it == keyed.end()) continue;
        for (const int first : it->second)
          if (first != then) t_.orderings.push_back({first, then});
      }
    }
  }

  void key_deps_between(const std::map<std::string, std::vector<int>, std::less<>>& keyed,
                        const std::string& first, const std::string& then) {
    const auto f = keyed.find(first);
    const auto t = keyed.find(then);
    if (f == keyed.end() || t == keyed.end()) return;
    for (const int a : f->second)
      for (const int b : t->second)
        if (a != b) t_.orderings.push_back({a, b});
  }

  const WorkingSet& ws_;
  Transition& t_;
  std::vector<OrderEdge> orders_;
  std::map<std::string, std::string, std::less<>> blocked_start_;
  // The reason shown for the stop of what must stop after its first.
  std::map<std::string, std::string, std::less<>> stop_reason_;
  // Then-resources of symmetrical mandatory orders whose first cannot run:
  // they stop even where they could stay.
  std::set<std::string, std::less<>> must_stop_;
  std::set<std::string, std::less<>> stop_blocked_;
  // Anonymous clone instances: the only nodes each may probe.
  std::map<std::string, std::vector<std::string>, std::less<>> clone_probes_;
  bool last_stop_blocked_ = false;  // primitive_actions: a wanted stop could not be
  std::set<std::string, std::less<>> promotable_instances_;
  std::set<std::string, std::less<>> silent_block_;
  std::set<std::string, std::less<>> runnable_any_;  // pseudo actions of OrderEdge::any_of that can run  // blocked starts left out of the summary
  // Anonymous instances known by another name in their history.
  std::map<std::string, std::string, std::less<>> labels_;
  std::vector<std::vector<Pending>> pending_;
  std::vector<Pending> node_pending_;
};

}  // namespace

std::int64_t op_interval_ms(const Op& op) { return parse_interval_ms(op.interval); }

Transition schedule(const WorkingSet& ws) {
  Transition t;
  Builder(ws, t).run();
  return t;
}

}  // namespace quorate::crm::sched
