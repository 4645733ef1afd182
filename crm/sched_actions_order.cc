// Ordering constraints in the transition: which starts an unrunnable first
// blocks (and why), which stops cannot happen, require-all=false pseudo
// actions, and the graph keys orderings connect.
#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "crm/sched_actions_builder.h"

namespace quorate::crm::sched::detail {

bool Builder::group_can_run(const WsResource& r) const {
  if (r.kind != RscKind::kGroup) return true;
  return std::all_of(r.children.begin(), r.children.end(), [this](const WsResource& m) {
    const PrimitivePlacement* p = t_.placement.find(m.id);
    return p != nullptr && !p->node.empty();
  });
}

std::vector<std::string> Builder::primitives_of(const WsResource& r) {
  std::vector<std::string> out;
  if (r.kind == RscKind::kPrimitive) {
    out.push_back(r.id);
    return out;
  }
  for (const auto& c : r.children)
    for (auto& id : primitives_of(c)) out.push_back(std::move(id));
  return out;
}

namespace {

// Whether `dependent`, ordered after `primary` and held back with it, stops
// "due to colocation with" it rather than "required" by the order: it must
// run with `primary` (INFINITY, no roles), and Pacemaker blocks its start
// for the colocation before the order reaches it. That is so when the
// primary is a clone or group (its start is blocked before its "running"
// that the order follows), or a primitive held back by an order from another
// primitive's start; an order from a clone's or group's start is followed
// through its "running" first, which lets the orders after the primary go
// ahead of the colocation.
// An INFINITY colocation of `dependent` with `primary`, without roles.
bool must_run_with(const WorkingSet& ws, const std::string& dependent, const std::string& primary) {
  return std::any_of(ws.colocations.begin(), ws.colocations.end(), [&](const ColocSpec& co) {
    return co.rsc == dependent && co.with_rsc == primary && !co.rsc_role && !co.with_rsc_role &&
           co.score >= kInfinity;
  });
}

bool colocation_first_impl(const WorkingSet& ws, const WsResource& dependent,
                           const WsResource& primary, const WsResource* primary_first) {
  if (!must_run_with(ws, dependent.id, primary.id)) return false;
  if (primary.kind != RscKind::kPrimitive) return true;
  return primary_first != nullptr && primary_first->kind == RscKind::kPrimitive;
}

}  // namespace

bool Builder::colocation_first(const WsResource& dependent, const WsResource& primary,
                               const std::map<std::string, std::string, std::less<>>& blocked_by) const {
  const auto it = blocked_by.find(primary.id);
  const WsResource* primary_first = it == blocked_by.end() ? nullptr : top_level(it->second);
  return colocation_first_impl(ws_, dependent, primary, primary_first);
}

void Builder::read_orders() {
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
  // Interleaved clones: an instance of `then` runs only where `first` has an
  // instance placed; the others Pacemaker inhibits (unassigns): they stop
  // without a reason. It pairs the instances when it first updates the
  // order, so an instance whose partner is itself inhibited is inhibited too
  // only if the update reaches it after that inhibition: when it must run
  // with `first` (INFINITY colocation: the partner clone's blocked start
  // updates it at once), or when it comes, in configuration order, before
  // the last resource ordered after the chain's root (Pacemaker visits
  // resources last to first, and the first visit of an order after the root
  // carries the inhibition down the chain). Otherwise it keeps its partner
  // and stops "due to unrunnable <partner> start".
  std::map<std::string, std::size_t, std::less<>> position;
  for (std::size_t i = 0; i < ws_.resources.size(); ++i) position.emplace(ws_.resources[i].id, i);
  auto trigger_of = [&](const std::string& root) {
    std::size_t t = position[root];
    for (const auto& e : orders_)
      if (e.mandatory && e.first == root) t = std::max(t, position[e.then]);
    return t;
  };
  std::map<std::string, std::string, std::less<>> inhibited;  // instance -> its chain's root
  std::map<std::string, std::string, std::less<>> partner;    // instance -> first's instance
  auto node_of = [&](const std::string& id) -> std::string {
    const PrimitivePlacement* p = t_.placement.find(id);
    return p == nullptr ? "" : p->node;
  };
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& e : orders_) {
      if (!e.mandatory || e.first_action != "start" || e.then_action != "start" ||
          !e.any_of.empty())
        continue;
      const WsResource* first = top_level(e.first);
      const WsResource* then = top_level(e.then);
      if (first == nullptr || then == nullptr || first->kind != RscKind::kClone ||
          then->kind != RscKind::kClone || !then->interleave || !is_primitive_clone(*then))
        continue;
      for (const auto& inst : then->children) {
        const std::string node = node_of(inst.id);
        if (node.empty() || inhibited.count(inst.id) > 0) continue;
        const std::string* live = nullptr;  // a partner not inhibited
        const std::string* gone = nullptr;  // an inhibited partner
        std::vector<std::string> ids = primitives_of(*first);
        for (const auto& id : ids) {
          if (node_of(id) != node) continue;
          if (inhibited.count(id) == 0) {
            live = &id;
            break;
          }
          if (gone == nullptr) gone = &id;
        }
        if (live != nullptr) {
          partner[inst.id] = *live;
          continue;
        }
        std::string root = e.first;
        if (gone != nullptr) {
          root = inhibited[*gone];
          if (!must_run_with(ws_, then->id, first->id) && position[then->id] >= trigger_of(root)) {
            partner[inst.id] = *gone;
            continue;
          }
        }
        inhibited.emplace(inst.id, root);
        partner.erase(inst.id);
        changed = true;
        blocked_start_.emplace(inst.id, "unrunnable " + e.first + " running");
        silent_block_.insert(inst.id);
        if (!inst.active_nodes().empty()) {
          // running there: it stops (Pacemaker gives no reason)
          must_stop_.insert(inst.id);
          stop_reason_.emplace(inst.id, "");
        }
      }
    }
  }
  // How an instance's start is blocked in a chain of interleaved clones:
  // "unrunnable" when its partner was inhibited (its start is unrunnable but
  // not yet required), else "required".
  std::map<std::string, std::string, std::less<>> word;
  // A mandatory "first start then start" blocks the start of `then` when
  // `first` cannot start.
  std::map<std::string, bool, std::less<>> unrunnable;
  std::set<std::string, std::less<>> by_order;  // unrunnable because of an order
  std::map<std::string, std::string, std::less<>> blocked_by;  // ... and which first's
  for (const auto& r : ws_.resources)
    if (r.kind == RscKind::kPrimitive || r.kind == RscKind::kGroup || is_primitive_clone(r) ||
        is_group_clone(r))
      unrunnable[r.id] = target_of(r).empty() || blocked_failure(r) || !group_can_run(r);
  for (bool changed = true; changed;) {
    changed = false;
    for (const auto& e : orders_) {
      if (!e.mandatory || e.first_action != "start" || e.then_action != "start") continue;
      if (unrunnable[e.then]) continue;
      if (e.any_of.empty() ? !unrunnable[e.first] : any_of_runnable(e.any_of, unrunnable)) continue;
      unrunnable[e.then] = true;
      by_order.insert(e.then);
      blocked_by.emplace(e.then, e.first);
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
          stop_reason_.emplace(then->id, colocation_first(*then, *first, blocked_by)
                                             ? "colocation with " + e.first
                                             : "required " + what);
        } else if (then->interleave && is_primitive_clone(*then) && is_primitive_clone(*first) &&
                   e.any_of.empty()) {
          // Interleaved: each instance waits for its partner, the instance
          // of `first` on its node.
          for (const auto& inst : then->children) {
            const auto f = partner.find(inst.id);
            if (inhibited.count(inst.id) > 0 || f == partner.end()) continue;
            const auto w = word.find(f->second);
            const std::string how = inhibited.count(f->second) > 0 ? "unrunnable"
                                    : w != word.end()              ? w->second
                                                                   : "required";
            word.emplace(inst.id, how);
            stop_reason_.emplace(inst.id, how + " " + f->second + " start");
          }
        } else {
          if (is_group_clone(*then)) {
            // Each instance's members stop one after another: the first for
            // the order, the second for the first's stop, the rest for the
            // previous one's start.
            for (const auto& inst : then->children)
              for (std::size_t k = 0; k < inst.children.size(); ++k)
                stop_reason_.emplace(inst.children[k].id,
                                     k == 0   ? "required " + what
                                     : k == 1 ? "required " + inst.children[0].id + " stop"
                                              : "required " + inst.children[k - 1].id + " start");
          } else {
            for (const auto& m : primitives_of(*then)) stop_reason_.emplace(m, "required " + what);
          }
        }
      }
      // What runs in a plain (ordered) group stops one member after
      // another: after the first, each for the previous one's start.
      const auto ordered = then->meta.find("ordered");
      if (then->kind == RscKind::kGroup &&
          (ordered == then->meta.end() || is_true(ordered->second)))
        for (std::size_t k = 1; k < then->children.size(); ++k)
          if (!then->children[k].active_nodes().empty())
            stop_reason_.emplace(then->children[k].id,
                                 "required " + then->children[k - 1].id + " start");
      if (then->kind != RscKind::kPrimitive) {
        for (const auto& m : primitives_of(*then)) blocked_start_.emplace(m, reason);
        // Pacemaker lists no blocked start for the instances of a clone
        // that waits for another clone.
        if (then->kind == RscKind::kClone && first->kind == RscKind::kClone && e.any_of.empty())
          for (const auto& m : primitives_of(*then)) silent_block_.insert(m);
        if (e.symmetrical)
          for (const auto& m : primitives_of(*then)) must_stop_.insert(m);
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
        for (const auto& m : primitives_of(*dep)) {
          blocked_start_.emplace(m, reason);
          must_stop_.insert(m);
        }
      }
    }
  }
  // A promotable clone whose promoted role must run with something an order
  // holds back cannot promote.
  for (const auto& co : ws_.colocations) {
    if (!co.rsc_role || parse_role(*co.rsc_role) != Role::kPromoted || co.score < kInfinity)
      continue;
    const WsResource* dep = top_level(co.rsc);
    if (dep == nullptr || !dep->promotable || by_order.count(co.with_rsc) == 0) continue;
    for (const auto& m : dep->children)
      promote_blocked_.emplace(m.id, "colocation with " + co.with_rsc);
  }
}

bool Builder::clone_min_first(const WsResource& c) const {
  return std::any_of(orders_.begin(), orders_.end(), [&](const OrderEdge& e) {
    return e.first == c.id && !e.any_of.empty() && runnable_any_.count(e.any_of) > 0;
  });
}

std::vector<std::string> Builder::any_of_first_keys(const std::string& rsc,
                                                    const std::string& action) const {
  const WsResource* r = top_level(rsc);
  if (r == nullptr || r->kind != RscKind::kClone) return {order_key(rsc, action, true)};
  std::vector<std::string> keys;
  for (const auto& inst : r->children) keys.push_back("a:" + inst.id + ":" + action);
  return keys;
}

bool Builder::any_of_runnable(const std::string& name,
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

void Builder::find_blocked_stops() {
  auto active = [](const WsResource& r) { return !r.active_nodes().empty(); };
  for (const auto& r : ws_.resources) {
    // A primitive is its own only member (viewed, not copied with its history).
    const WsResource* members = nullptr;
    std::size_t count = 0;
    if (r.kind == RscKind::kGroup) {
      members = r.children.data();
      count = r.children.size();
    } else if (r.kind == RscKind::kPrimitive) {
      members = &r;
      count = 1;
    } else {
      continue;
    }
    for (const WsResource* m = members; m != members + count; ++m)
      if (active(*m) && (!m->managed || blocked_failure(*m))) stop_blocked_.insert(m->id);
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

std::string Builder::order_key(const std::string& rsc, const std::string& action,
                               bool as_first) const {
  const WsResource* r = top_level(rsc);
  std::string task = action;
  if (as_first && r != nullptr && r->kind != RscKind::kPrimitive) {
    if (action == "start") task = "running";
    if (action == "stop") task = "stopped";
    if (action == "promote") task = "promoted";
    if (action == "demote") task = "demoted";
  }
  return "a:" + rsc + ":" + task;
}

}  // namespace quorate::crm::sched::detail
