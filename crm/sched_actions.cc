// Create actions and order them: for each top-level primitive, probes, stops,
// a start and recurring monitors from its placement; fencing and shutdown per
// node; and the Transition Summary lines. Graph order mirrors Pacemaker's
// (actions are prepended to their resource's list as they are created).
// Groups live in sched_actions_group.cc, ordering constraints in
// sched_actions_order.cc, clones in sched_actions_clone.cc
// (crm/sched_actions_builder.h).
#include "crm/sched_actions.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <iterator>
#include <map>
#include <optional>
#include <set>

#include "crm/sched_actions_builder.h"
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

}  // namespace

namespace detail {

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

namespace {

// Why an unclean node is fenced, in Pacemaker's words.
std::string fence_reason(const WorkingSet& ws, const WsNode& node) {
  if (!ws.options.have_quorum && ws.options.no_quorum_policy == "suicide")
    return "cluster does not have quorum";
  // Any primitive, group member or clone instance.
  std::vector<const WsResource*> stack;
  for (auto it = ws.resources.rbegin(); it != ws.resources.rend(); ++it) stack.push_back(&*it);
  while (!stack.empty()) {
    const WsResource* r = stack.back();
    stack.pop_back();
    for (auto it = r->children.rbegin(); it != r->children.rend(); ++it) stack.push_back(&*it);
    if (r->kind != RscKind::kPrimitive) continue;
    for (const auto& h : r->history)
      if (h.node == node.uname && h.needs_fencing) return r->id + " failed there";
  }
  const NodeState* state = nullptr;
  if (ws.cib != nullptr && ws.cib->status) {
    for (const auto& ns : ws.cib->status->nodes)
      if (ns.id == node.id) state = &ns;
  }
  // In the membership, but without its controller; or refused by it.
  if (state != nullptr && state->in_ccm && *state->in_ccm != "false" && *state->in_ccm != "0") {
    if (!state->crmd || *state->crmd == "offline") return "peer process is no longer available";
    if (state->join && *state->join == "banned") return "peer failed Pacemaker membership criteria";
  }
  if (node.online) return "node is unclean";
  if (state == nullptr) return "node is unclean";  // never seen: startup fencing
  if (!state->in_ccm) return "peer has not been seen by the cluster";
  if (state->join && *state->join == "banned") return "peer failed Pacemaker membership criteria";
  const bool in_ccm = *state->in_ccm != "false" && *state->in_ccm != "0";
  if (!in_ccm) return "peer is no longer part of the cluster";
  return "peer process is no longer available";
}

}  // namespace

void Builder::run() {
  t_.placement = place(ws_);
  read_orders();
  find_blocked_stops();
  decide_fencing();
  // Resources are scheduled firsts before thens of mandatory orders (a
  // then-resource restarts when its first starts), but listed in
  // configuration order.
  std::vector<const WsResource*> tops;
  for (const auto& r : ws_.resources)
    if (r.kind == RscKind::kPrimitive || r.kind == RscKind::kGroup || is_primitive_clone(r) ||
        is_group_clone(r))
      tops.push_back(&r);
  for (const auto& r : ws_.resources) {
    if (!is_primitive_clone(r)) continue;
    // crm_simulate names an anonymous instance's actions by the clone's
    // child id when some instance's history is recorded under it.
    // A history under that id that ran the resource names it too, even when
    // it stopped since.
    const bool bare =
        !r.unique &&
        (std::any_of(r.children.begin(), r.children.end(),
                     [](const WsResource& inst) { return inst.history_name == inst.base_id; }) ||
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
  // The same per member for clones of groups.
  for (const auto& r : ws_.resources) {
    if (is_group_clone(r) && r.promotable)
      for (const auto& inst : r.children)
        for (const auto& m : inst.children) promotable_instances_.insert(m.id);
    if (!is_group_clone(r) || r.unique) continue;
    const std::size_t members = r.children.front().children.size();
    for (std::size_t j = 0; j < members; ++j) {
      bool bare = false;
      for (const auto& inst : r.children)
        if (j < inst.children.size() &&
            (inst.children[j].history_name == inst.children[j].base_id ||
             ran_under(inst.children[j].base_id)))
          bare = true;
      for (const auto& inst : r.children) {
        if (j >= inst.children.size()) continue;
        const WsResource& m = inst.children[j];
        if (bare) {
          labels_[m.id] = m.base_id;
        } else if (!m.history_name.empty() && m.history_name != m.id) {
          labels_[m.id] = m.history_name;
        }
      }
    }
  }
  std::vector<int> state(tops.size(), 0);
  std::vector<std::vector<ResourceChange>> changes(tops.size());
  std::vector<std::vector<std::vector<Pending>>> lists(tops.size());
  std::map<std::string, bool, std::less<>> starts;
  std::map<std::string, bool, std::less<>> stops;
  std::set<std::string, std::less<>> forced_start;  // clones given start/running for a restart
  // Per top-level resource: the nodes it stops something on.
  std::map<std::string, std::set<std::string, std::less<>>, std::less<>> stopped_on;
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
      // A clone that only starts new instances leaves what follows it be.
      // A clone restarts what follows when it stops an instance where that
      // runs and goes on running (somewhere).
      bool required = starts[e.first];
      if (first->kind == RscKind::kClone) {
        const auto here = r.active_nodes();
        const auto& gone = stopped_on[e.first];
        required = !target_of(*first).empty() &&
                   std::any_of(here.begin(), here.end(),
                               [&gone](const std::string& n) { return gone.count(n) > 0; });
      }
      if (required && required_by.empty()) {
        required_by = e.first + (first->kind != RscKind::kPrimitive ? " running" : " start");
        // The restart waits for the clone to be running again, even when no
        // instance starts: its start and running pseudo actions happen.
        const auto here = r.active_nodes();
        const bool restarts =
            here.size() == 1 && target_of(r) == here.front() &&
            blocked_start_.count(r.kind == RscKind::kPrimitive
                                     ? r.id
                                     : (r.children.empty() ? r.id : r.children.front().id)) == 0;
        if (first->kind == RscKind::kClone && !starts[e.first] && restarts) {
          const std::string ckey = "a:" + e.first + ":";
          for (std::size_t j = 0; j < tops.size(); ++j) {
            if (tops[j]->id != e.first || forced_start.count(e.first) > 0) continue;
            forced_start.insert(e.first);
            std::vector<Pending> own;
            own.push_back(
                {{0, ActionKind::kPseudo, e.first, "start", "", 0, ""}, {}, {ckey + "stopped"}});
            own.push_back(
                {{0, ActionKind::kPseudo, e.first, "running", "", 0, ""}, {}, {ckey + "start"}});
            lists[j].push_back(std::move(own));
          }
        }
      }
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
    bool stopped = false;
    for (std::size_t k = p0; k < pending_.size(); ++k)
      for (const auto& p : pending_[k]) {
        if (p.action.task == "start" && p.action.kind == ActionKind::kResource) {
          started = true;
          started_on[r.id].emplace(p.action.node, p.action.rsc);
        }
        if (p.action.task == "stop" && p.action.kind != ActionKind::kClearFailcount &&
            !p.action.node.empty()) {
          stopped = true;
          stopped_on[r.id].insert(p.action.node);
        }
      }
    starts[r.id] = started;
    stops[r.id] = stopped;
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

const WsResource* Builder::top_level(const std::string& id) const {
  if (!top_by_id_built_) {
    // The first of each id, as a scan in resource order finds it.
    for (const auto& r : ws_.resources)
      if (r.kind == RscKind::kPrimitive || r.kind == RscKind::kGroup || is_primitive_clone(r) ||
          is_group_clone(r))
        top_by_id_.emplace(r.id, &r);
    top_by_id_built_ = true;
  }
  const auto it = top_by_id_.find(id);
  return it == top_by_id_.end() ? nullptr : it->second;
}

std::string Builder::target_of(const WsResource& r) const {
  if (r.kind == RscKind::kClone) {
    for (const auto& inst : r.children) {
      const std::string& lead = inst.kind == RscKind::kGroup && !inst.children.empty()
                                    ? inst.children.front().id
                                    : inst.id;
      const PrimitivePlacement* p = t_.placement.find(lead);
      if (p != nullptr && !p->node.empty()) return p->node;
    }
    return "";
  }
  const std::string& id =
      r.kind == RscKind::kGroup ? (r.children.empty() ? r.id : r.children.front().id) : r.id;
  const PrimitivePlacement* p = t_.placement.find(id);
  return p == nullptr ? "" : p->node;
}

bool Builder::blocked_failure(const WsResource& r) {
  if (r.kind != RscKind::kPrimitive) return false;
  return std::any_of(r.history.begin(), r.history.end(),
                     [](const NodeRscState& h) { return h.blocked; });
}

std::string Builder::inverse(const std::string& action) {
  if (action == "start") return "stop";
  if (action == "stop") return "start";
  if (action == "promote") return "demote";
  if (action == "demote") return "promote";
  return action;
}

bool Builder::can_fence() const {
  return ws_.options.stonith_enabled &&
         (ws_.options.have_quorum || ws_.options.no_quorum_policy == "ignore" ||
          ws_.options.no_quorum_policy == "suicide");
}

void Builder::decide_fencing() {
  // Fencing needs a fencing device configured.
  bool have_device = false;
  for (const auto& top : ws_.resources)
    for (const auto& id : primitives_of(top)) {
      const WsResource* r = find_primitive(id);
      if (r != nullptr && r->rsc_class == "stonith" && !r->orphan) have_device = true;
    }
  if (!ws_.options.stonith_enabled || !have_device) return;
  for (const auto& n : ws_.nodes) {
    // Without quorum, only nodes still in our membership may be fenced.
    if (!n.unclean || (!can_fence() && !n.online)) continue;
    t_.fencing.push_back({n.uname, ws_.options.stonith_action, fence_reason(ws_, n)});
    t_.fenced_nodes.push_back(n.uname);
  }
  // The summary lists them newest first.
  std::reverse(t_.fencing.begin(), t_.fencing.end());
}

std::vector<std::size_t> Builder::add_probes(const WsResource& r, std::vector<Pending>& made) {
  std::vector<std::size_t> probes;
  if (r.orphan) return probes;  // nothing to look for
  const auto owned = clone_probes_.find(r.id);
  // A probe still pending there tells nothing yet: probe again. The nodes
  // with a known state, by node position when there are many (nodes x
  // history per resource otherwise).
  std::vector<char> known_at;
  const bool by_position = r.history.size() > 8;
  if (by_position) {
    known_at.assign(ws_.nodes.size(), 0);
    for (const auto& h : r.history)
      if (const WsNode* at = ws_.find_node(h.node); at != nullptr && !pending_probe_only(h))
        known_at[static_cast<std::size_t>(at - ws_.nodes.data())] = 1;
  }
  for (const auto& n : ws_.nodes) {
    if (!probe_node(n)) continue;
    if (owned != clone_probes_.end() &&
        std::find(owned->second.begin(), owned->second.end(), n.uname) == owned->second.end())
      continue;
    const std::size_t at = static_cast<std::size_t>(&n - ws_.nodes.data());
    const bool known =
        by_position ? known_at[history_.first_of_name(at)] != 0
                    : std::any_of(r.history.begin(), r.history.end(), [&n](const NodeRscState& h) {
                   return h.node == n.uname && !pending_probe_only(h);
                 });
    if (known) continue;
    made.push_back({{0, ActionKind::kResource, r.id, "monitor", n.uname, 0, ""}, {}, {}});
    probes.push_back(made.size() - 1);
  }
  return probes;
}

namespace {

// The recurring operations Pacemaker creates (as optional actions) while it
// reads a node's history: those recorded since the resource last became
// active there (its last start; else a promote or demote; else a probe that
// found it running), unless a stop followed, and not in flight. A monitor
// the transition needs later is that same action, so it keeps its early
// place among the resource's actions.
std::vector<std::pair<std::string, std::int64_t>> unpacked_recurring(const NodeRscState& h) {
  long start = -1;
  long stop = -1;
  long implied_monitor = -1;
  long implied_clone = -1;
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    const HistoryOp& op = h.ops[i];
    const long at = static_cast<long>(i);
    if (op.task == "stop" && op.op_status == 0) {
      stop = at;
    } else if (op.task == "start" || op.task == "migrate_from") {
      start = at;
    } else if (implied_monitor <= stop && op.task == "monitor") {
      if (op.rc == 0 || op.rc == 8) implied_monitor = at;
    } else if (op.task == "promote" || op.task == "demote") {
      implied_clone = at;
    }
  }
  if (start == -1) start = implied_clone != -1 ? implied_clone : implied_monitor;
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (std::size_t i = 0; i < h.ops.size(); ++i) {
    const long at = static_cast<long>(i);
    if ((start < stop && at <= stop) || at < start) continue;
    const HistoryOp& op = h.ops[i];
    if (op.interval_ms == 0 || op.op_status == -1) continue;
    out.emplace_back(op.task, op.interval_ms);
  }
  return out;
}

}  // namespace

std::vector<Builder::Pending> Builder::unpacked_first(const WsResource& r,
                                                      std::vector<Pending> made) const {
  std::vector<std::size_t> first;
  for (const auto& h : r.history) {
    const auto recurring = unpacked_recurring(h);  // (nearly always none: probes)
    if (recurring.empty()) continue;
    const WsNode* n = ws_.find_node(h.node);
    if (n == nullptr || !n->online) continue;
    for (const auto& [task, iv] : recurring) {
      for (std::size_t i = 0; i < made.size(); ++i) {
        const Action& a = made[i].action;
        if (a.kind == ActionKind::kResource && a.task == task && a.interval_ms == iv &&
            a.node == h.node && std::find(first.begin(), first.end(), i) == first.end())
          first.push_back(i);
      }
    }
  }
  if (first.empty()) return made;
  std::vector<std::size_t> order = first;  // new position -> old index
  for (std::size_t i = 0; i < made.size(); ++i)
    if (std::find(first.begin(), first.end(), i) == first.end()) order.push_back(i);
  std::vector<std::size_t> where(made.size());  // old index -> new position
  for (std::size_t k = 0; k < order.size(); ++k) where[order[k]] = k;
  std::vector<Pending> out;
  out.reserve(made.size());
  for (const std::size_t i : order) {
    out.push_back(std::move(made[i]));
    for (auto& a : out.back().after) a = where[a];
  }
  return out;
}

bool Builder::unrunnable_probe(const WsResource& r) const {
  if (r.orphan) return false;
  const auto owned = clone_probes_.find(r.id);
  for (const auto& n : ws_.nodes) {
    if (!n.online || n.unclean || !n.pending) continue;
    if (owned != clone_probes_.end() &&
        std::find(owned->second.begin(), owned->second.end(), n.uname) == owned->second.end())
      continue;
    const bool known = std::any_of(r.history.begin(), r.history.end(), [&n](const NodeRscState& h) {
      return h.node == n.uname && !pending_probe_only(h);
    });
    if (!known) return true;
  }
  return false;
}

std::vector<Builder::Pending> Builder::primitive_actions(const WsResource& r,
                                                         const std::string& required_by) {
  const std::vector<HistoryAction> history = check_history(ws_, history_, r);
  // A delete where the primitive is active: its agent changed under it.
  agent_changed_on_.clear();
  for (const auto& h : history) {
    if (h.kind != HistoryAction::Kind::kDelete) continue;
    for (const auto& s : r.history)
      if (s.node == h.node && (s.role == Role::kStarted || s.role == Role::kUnpromoted ||
                               s.role == Role::kPromoted))
        agent_changed_on_.insert(h.node);
  }
  std::vector<Pending> made = primitive_actions_for_role(r, required_by);
  // Those stops (with the failed ones) come first, then the history's
  // actions.
  std::size_t forced = 0;
  for (std::size_t i = 0; i < made.size() && !agent_changed_on_.empty(); ++i) {
    const Action& a = made[i].action;
    if (a.task != "stop" && a.task != "demote") break;
    if (a.task == "stop" && agent_changed_on_.count(a.node) > 0) forced = i + 1;
  }
  agent_changed_on_.clear();
  std::vector<Pending> checks;
  for (const auto& h : history) {
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
  for (const auto& node : orphan_fail_counts(ws_, r))
    made.push_back(
        {{0, ActionKind::kClearFailcount, r.id, "clear_failcount", node, 0, ""}, {}, {}});
  if (checks.empty()) return unpacked_first(r, std::move(made));
  const std::size_t n = checks.size();
  // made[0, forced), checks, made[forced, ...)
  auto made_at = [n, forced](std::size_t i) { return i < forced ? i : i + n; };
  for (auto& m : made)
    for (auto& i : m.after) i = made_at(i);
  for (std::size_t d = 0; d < n; ++d) {
    if (checks[d].action.task != "delete") continue;
    for (std::size_t i = 0; i < made.size(); ++i) {
      if (made[i].action.task == "stop") checks[d].after.push_back(made_at(i));
      if (made[i].action.task == "start") made[i].after.push_back(forced + d);
    }
  }
  std::vector<Pending> out;
  out.reserve(made.size() + n);
  for (std::size_t i = 0; i < forced; ++i) out.push_back(std::move(made[i]));
  for (auto& c : checks) out.push_back(std::move(c));
  for (std::size_t i = forced; i < made.size(); ++i) out.push_back(std::move(made[i]));
  return unpacked_first(r, std::move(out));
}

std::vector<Builder::Pending> Builder::primitive_actions_for_role(const WsResource& r,
                                                                  const std::string& required_by) {
  // on-fail=demote: the failure only costs the promoted role; schedule it as
  // an instance that is not failed.
  if (std::any_of(r.history.begin(), r.history.end(),
                  [](const NodeRscState& h) { return h.demote_on_fail && h.failed; })) {
    WsResource demoted = r;
    for (auto& h : demoted.history)
      if (h.demote_on_fail) h.failed = false;
    return primitive_actions_for_role(demoted, required_by);
  }
  std::vector<Pending> made;
  auto add = [&made](Action a) {
    made.push_back({std::move(a), {}, {}});
    return made.size() - 1;
  };
  const PrimitivePlacement* p = t_.placement.find(r.id);
  if (p == nullptr || p->unmanaged || blocked_failure(r)) {
    add_probes(r, made);
    // An unmanaged resource active on one node keeps being monitored there
    // in the role it has.
    const auto active = r.active_nodes();
    if (p != nullptr && p->unmanaged && !blocked_failure(r) && !r.failed() && active.size() == 1) {
      const bool promotable = promotable_instances_.count(r.id) > 0;
      Role role = r.current_role();
      if (promotable && role == Role::kStarted) role = Role::kUnpromoted;
      const NodeRscState* h = nullptr;
      for (const auto& s : r.history)
        if (s.node == active.front()) h = &s;
      for (const auto& op : r.ops) {
        if (op.name != "monitor" || !op_enabled(op) || duplicate_op(r, op)) continue;
        if (!monitor_for(op, role, promotable)) continue;
        const std::int64_t iv = op_interval_ms(op);
        if (iv <= 0 || h == nullptr || monitor_running(*h, iv)) continue;
        made.push_back(
            {{0, ActionKind::kResource, r.id, "monitor", active.front(), iv, ""}, {}, {}});
      }
    }
    return made;
  }

  std::vector<const NodeRscState*> active;
  for (const auto& h : r.history)
    if (h.failed || h.role == Role::kStarted || h.role == Role::kUnpromoted ||
        h.role == Role::kPromoted || (!h.pending_task.empty() && !pending_probe_only(h)))
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
      // (stopped by fencing its node, it goes for that node's availability)
      if (!std::all_of(active.begin(), active.end(),
                       [this](const NodeRscState* h) { return fenced(h->node); }))
        stop_reason = "no quorum";
    } else {
      start_blocked = true;
      start_reason = "no quorum";
    }
  } else if (quorum_freeze() && active.empty()) {
    start_blocked = true;
    start_reason = "quorum freeze";
  }
  // A probe on a node still joining (pending) cannot run, and the start
  // waits for every probe.
  if (!start_blocked && active.empty() && unrunnable_probe(r)) start_blocked = true;
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
  last_stop_stranded_ = false;
  last_restart_blocked_ = false;
  // Active on an unclean node that will not be fenced: no stop can run
  // there.
  const bool stranded = active.size() == 1 && !fenced(active.front()->node) && [this, &active] {
    const WsNode* n = ws_.find_node(active.front()->node);
    return n != nullptr && n->unclean;
  }();
  if ((stop_blocked_.count(r.id) || stranded) && !active.empty() && !blocked_failure(r) &&
      r.managed) {
    const NodeRscState* h = active.front();
    const bool leaves = active.size() > 1 || target != h->node || h->failed ||
                        (!required_by.empty() && !start_blocked);
    if (leaves) {
      last_stop_blocked_ = true;
      last_stop_stranded_ = stranded;
      if (stranded && quorum_freeze()) {
        // Frozen without quorum: it could not start elsewhere either.
        t_.changes.push_back({"Stop", r.id, h->node, "", "", true});
      } else if (target.empty()) {
        t_.changes.push_back({"Stop", r.id, h->node, "", stop_reason, true});
      } else if (!h->failed && active.size() == 1 && !restart_blocked_reason(r).empty()) {
        // A group member that should restart or move but cannot stop: it
        // stops because the next member cannot (or, after the first such
        // member, because the previous one must).
        last_restart_blocked_ = target == h->node && !required_by.empty();
        restart_blocked_.insert(r.id);
        t_.changes.push_back({"Stop", r.id, h->node, "", restart_blocked_reason(r), true});
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
    const std::size_t i = add(
        {0, implied ? ActionKind::kPseudo : ActionKind::kResource, r.id, "demote", h->node, 0, ""});
    if (implied) made[i].after_keys.push_back("fence:" + h->node);
    demotes.push_back(i);
    return i;
  };
  auto add_stop = [&](const NodeRscState* h) {
    const bool implied = fenced(h->node);
    std::optional<std::size_t> demote;
    // A primitive (not a clone instance) promoted somewhere is demoted
    // wherever it runs before it stops.
    if (h->role == Role::kPromoted ||
        (!promotable && r.current_role() == Role::kPromoted && active.size() > 1))
      demote = add_demote(h);
    const std::size_t i = add(
        {0, implied ? ActionKind::kPseudo : ActionKind::kResource, r.id, "stop", h->node, 0, ""});
    if (implied) made[i].after_keys.push_back("fence:" + h->node);
    if (demote) made[i].after.push_back(*demote);
    stops.push_back(i);
  };
  for (const NodeRscState* h : active)
    if (h->failed) add_stop(h);
  // Where its agent changed under it, the history checks stop it (before
  // the probes) and mark its start pending: it starts again.
  auto agent_changed = [this](const NodeRscState* h) {
    return !h->failed && agent_changed_on_.count(h->node) > 0;
  };
  bool forced_restart = false;
  for (const NodeRscState* h : active) {
    if (!agent_changed(h)) continue;
    add_stop(h);
    forced_restart = forced_restart || h->node == target;
  }
  const std::vector<std::size_t> probes = add_probes(r, made);
  // A start still in flight in any history makes Pacemaker create the start
  // (where the resource is to run) before the stops and the rest of the
  // resource's actions, unless it stays where it runs.
  const bool start_pending = !agent_changed_on_.empty() ||
                             std::any_of(r.history.begin(), r.history.end(), [](const auto& h) {
                               return std::any_of(h.ops.begin(), h.ops.end(), [](const HistoryOp& op) {
                                 return op.task == "start" && op.op_status == -1;
                               });
                             });
  const bool will_stay = active.size() == 1 && !active.front()->failed &&
                         !agent_changed(active.front()) && active.front()->node == target &&
                         active.front()->pending_task != "start" &&
                         (required_by.empty() || start_blocked);
  std::optional<std::size_t> early_start;
  if (start_pending && !target.empty() && !start_blocked && !will_stay)
    early_start = add({0, ActionKind::kResource, r.id, "start", target, 0, ""});
  for (const NodeRscState* h : active) {
    if (h->failed || agent_changed(h)) continue;
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
        t_.changes.push_back({"Restart", r.id, h->node, h->node, "required " + required_by, false});
      } else if (forced_restart) {
        t_.changes.push_back({"Restart", r.id, h->node, h->node, "", false});
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
    } else if (there &&
               (!promotable && r.current_role() == Role::kPromoted ? active.front()->node == target
                                                                   : true)) {
      t_.changes.push_back({"Restart", r.id, target, target, "", false});
    } else {
      const bool any_failed =
          std::any_of(active.begin(), active.end(), [](const auto* h) { return h->failed; });
      ResourceChange c{
          any_failed ? "Recover" : "Move", r.id, active.front()->node, target, "", false};
      if (!promotable && r.current_role() == Role::kPromoted) {
        // shown with roles: the primitive loses its promoted role
        c.role = Role::kPromoted;
        c.next_role = Role::kStarted;
      }
      t_.changes.push_back(c);
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
    const std::size_t s =
        early_start ? *early_start : add({0, ActionKind::kResource, r.id, "start", target, 0, ""});
    made[s].after.insert(made[s].after.end(), probes.begin(), probes.end());
    made[s].after.insert(made[s].after.end(), stops.begin(), stops.end());
    starts.push_back(s);
  }
  std::vector<std::size_t> monitor_after = starts;
  // Demoted in place: the monitors of the new role follow the demote.
  if (stays) monitor_after.insert(monitor_after.end(), demotes.begin(), demotes.end());
  const bool promote_blocked = next_role == Role::kPromoted && promote_blocked_.count(r.id) > 0;
  const bool promote = next_role == Role::kPromoted &&
                       !(stays && stays_on->role == Role::kPromoted) && !promote_blocked;
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
    if (!monitor_for(op, next_role, promotable) || promote_blocked) continue;
    const std::int64_t iv = op_interval_ms(op);
    if (iv <= 0) continue;
    if (stays && (!promotable || stays_on->role == next_role ||
                  (stays_on->role != Role::kPromoted && next_role != Role::kPromoted))) {
      if (monitor_running(*stays_on, iv)) continue;
    }
    const std::size_t m = add({0, ActionKind::kResource, r.id, "monitor", target, iv, ""});
    made[m].after.insert(made[m].after.end(), monitor_after.begin(), monitor_after.end());
  }
  return made;
}

bool Builder::monitor_running(const NodeRscState& h, std::int64_t iv) {
  std::int64_t reset = -1;
  for (const auto& op : h.ops)
    if (op.task == "start" || op.task == "promote" || op.task == "demote")
      reset = std::max(reset, op.call_id);
  return std::any_of(h.ops.begin(), h.ops.end(), [iv, reset](const HistoryOp& op) {
    return op.task == "monitor" && op.interval_ms == iv && op.op_status != 1 &&
           op.op_status != -1 && op.call_id > reset;
  });
}

bool Builder::duplicate_op(const WsResource& r, const Op& op) {
  const std::int64_t iv = op_interval_ms(op);
  int same = 0;
  for (const auto& o : r.ops)
    if (o.name == op.name && op_interval_ms(o) == iv) ++same;
  return same > 1;
}

bool Builder::monitor_for(const Op& op, Role role, bool promotable) {
  const Role r = op.role ? parse_role(*op.role).value_or(Role::kUnknown) : Role::kUnknown;
  if (!promotable) return r == Role::kUnknown || r == Role::kStarted;
  if (role == Role::kPromoted) return r == Role::kPromoted;
  return r == Role::kUnknown || r == Role::kUnpromoted;
}

const WsResource* Builder::find_primitive(const std::string& id) const {
  if (!primitive_by_id_built_) {
    // The first met in this search order wins, as a search would find it.
    std::vector<const WsResource*> stack;
    for (const auto& r : ws_.resources) stack.push_back(&r);
    while (!stack.empty()) {
      const WsResource* r = stack.back();
      stack.pop_back();
      if (r->kind == RscKind::kPrimitive) primitive_by_id_.emplace(r->id, r);
      for (const auto& c : r->children) stack.push_back(&c);
    }
    primitive_by_id_built_ = true;
  }
  const auto it = primitive_by_id_.find(id);
  return it == primitive_by_id_.end() ? nullptr : it->second;
}

void Builder::node_actions() {
  // The DC's fencing waits for all others, and without concurrent-fencing
  // (2.1.5 default: true) each waits for the previous one.
  const auto cf = ws_.options.properties.find("concurrent-fencing");
  const bool concurrent = cf == ws_.options.properties.end() || is_true(cf->second);
  const std::string* dc_id = ws_.cib != nullptr ? ws_.cib->attr("dc-uuid") : nullptr;
  std::vector<const Fencing*> in_node_order;
  for (auto it = t_.fencing.rbegin(); it != t_.fencing.rend(); ++it) in_node_order.push_back(&*it);
  // Orderings: the non-DC fencings in node order (chained without
  // concurrent fencing), then the DC's after all of them.
  std::map<std::string, std::vector<std::string>, std::less<>> after;
  std::vector<std::string> before;
  const Fencing* dc = nullptr;
  for (const Fencing* f : in_node_order) {
    const WsNode* n = ws_.find_node(f->node);
    if (dc_id != nullptr && n != nullptr && n->id == *dc_id) {
      dc = f;
      continue;
    }
    if (!concurrent && !before.empty()) after[f->node].push_back("fence:" + before.back());
    before.push_back(f->node);
  }
  if (dc != nullptr)
    for (const auto& b : before) after[dc->node].push_back("fence:" + b);
  // Creation order (the graph's, newest first): Pacemaker creates a fencing
  // action when it finds the node unclean while reading the status: first
  // from the node states, then from failures in the histories (both in
  // status order); the rest (nodes never seen, no-quorum suicide) when it
  // schedules fencing, in node order.
  auto status_pos = [this](const std::string& uname) { return ws_.status_position(uname); };
  auto phase = [&status_pos](const Fencing& f) {
    const std::string failed = " failed there";
    if (f.reason.size() > failed.size() &&
        f.reason.compare(f.reason.size() - failed.size(), failed.size(), failed) == 0)
      return 1;
    if (status_pos(f.node) == static_cast<std::size_t>(-1) ||
        f.reason == "cluster does not have quorum")
      return 2;
    return 0;
  };
  std::vector<const Fencing*> created = in_node_order;
  std::stable_sort(created.begin(), created.end(), [&](const Fencing* a, const Fencing* b) {
    const int pa = phase(*a);
    const int pb = phase(*b);
    if (pa != pb) return pa < pb;
    return pa < 2 && status_pos(a->node) < status_pos(b->node);
  });
  for (const Fencing* f : created) {
    Pending p{{0, ActionKind::kFence, "", "stonith", f->node, 0, f->action}, {}, {}};
    p.after_keys = after[f->node];
    node_pending_.push_back(std::move(p));
  }
  for (const auto& n : ws_.nodes) {
    if (!n.shutdown || !n.online || n.unclean) continue;
    // Something that cannot stop there keeps the node from shutting down.
    bool stuck = false;
    for (const auto& top : ws_.resources)
      for (const auto& id : primitives_of(top)) {
        const WsResource* r = find_primitive(id);
        if (r == nullptr) continue;
        const auto active = r->active_nodes();
        if (std::find(active.begin(), active.end(), n.uname) == active.end()) continue;
        if (blocked_failure(*r) || (stop_blocked_.count(id) > 0 && r->managed)) stuck = true;
      }
    if (stuck) continue;
    node_pending_.push_back(
        {{0, ActionKind::kShutdown, "", "do_shutdown", n.uname, 0, ""}, {}, {"stops:" + n.uname}});
  }
  // The DC shuts down last.
  for (auto& p : node_pending_) {
    if (p.action.kind != ActionKind::kShutdown) continue;
    const WsNode* n = ws_.find_node(p.action.node);
    if (dc_id == nullptr || n == nullptr || n->id != *dc_id) continue;
    for (const auto& other : node_pending_)
      if (other.action.kind == ActionKind::kShutdown && other.action.node != p.action.node)
        p.after_keys.push_back("shutdown:" + other.action.node);
  }
}

void Builder::emit() {
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
    if (a.kind == ActionKind::kShutdown) keyed["shutdown:" + a.node].push_back(a.id);
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
  // Resources that must never share a node (in those roles): each loses
  // its role before the other gains its own (Pacemaker's anti-colocation
  // ordering: demote, or stop and promote, before promote, or start and
  // demote).
  for (const auto& co : ws_.colocations) {
    if (co.score > -kInfinity) continue;
    if (top_level(co.rsc) == nullptr || top_level(co.with_rsc) == nullptr) continue;
    const Role rsc_role =
        co.rsc_role ? parse_role(*co.rsc_role).value_or(Role::kStarted) : Role::kStarted;
    const Role with_role =
        co.with_rsc_role ? parse_role(*co.with_rsc_role).value_or(Role::kStarted) : Role::kStarted;
    anti_colocation_order(keyed, co.rsc, rsc_role, co.with_rsc, with_role);
    anti_colocation_order(keyed, co.with_rsc, with_role, co.rsc, rsc_role);
  }
  order_after_fencing(keyed);
  for (const auto& [then, keys] : key_deps) {
    for (const auto& k : keys) {
      const auto it = keyed.find(k);
      if (it == keyed.end()) continue;
      for (const int first : it->second)
        if (first != then) t_.orderings.push_back({first, then});
    }
  }
}

void Builder::order_after_fencing(const std::map<std::string, std::vector<int>, std::less<>>& keyed) {
  std::vector<const Action*> fences;
  for (const auto& a : t_.actions)
    if (a.kind == ActionKind::kFence) fences.push_back(&a);
  if (fences.empty()) return;
  // Primitive id -> (primitive, the anonymous clone it is an instance of),
  // and its top-level resource.
  std::map<std::string_view, std::pair<const WsResource*, const WsResource*>, std::less<>> prims;
  std::map<std::string_view, const WsResource*, std::less<>> top_of;
  struct Item {
    const WsResource* r;
    const WsResource* anon;
    const WsResource* top;
  };
  std::vector<Item> stack;
  for (const auto& r : ws_.resources) stack.push_back({&r, nullptr, &r});
  while (!stack.empty()) {
    const Item it = stack.back();
    stack.pop_back();
    if (it.r->kind == RscKind::kPrimitive) {
      prims.emplace(it.r->id, std::pair{it.r, it.anon});
      top_of.emplace(it.r->id, it.top);
    }
    const WsResource* clone = it.r->kind == RscKind::kClone && !it.r->unique ? it.r : it.anon;
    for (const auto& c : it.r->children) stack.push_back({&c, clone, it.top});
  }
  auto needs_fencing = [this](const WsResource& r) {
    if (!ws_.options.stonith_enabled || r.agent.rfind("stonith:", 0) == 0) return false;
    const auto req = r.meta.find("requires");
    return req == r.meta.end() || req->second == "fencing" || req->second == "unfencing";
  };
  // A stop the fencing implies: the top-level resource's stop (a group's or
  // clone's) comes after the fencing too, for a resource that requires it.
  for (std::size_t i = 0; i < t_.actions.size(); ++i) {
    const Action& a = t_.actions[i];
    if (a.kind != ActionKind::kPseudo || a.task != "stop" || a.node.empty()) continue;
    const auto it = prims.find(a.rsc);
    const auto top = top_of.find(a.rsc);
    if (it == prims.end() || top == top_of.end() || top->second == it->second.first) continue;
    if (!needs_fencing(*it->second.first)) continue;
    const auto parent_stop = keyed.find("a:" + top->second->id + ":stop");
    if (parent_stop == keyed.end()) continue;
    for (const Action* f : fences) {
      if (f->node != a.node) continue;
      for (const int id : parent_stop->second) t_.orderings.push_back({f->id, id});
    }
  }
  auto known_on = [](const WsResource& r, const std::string& node) {
    return std::any_of(r.history.begin(), r.history.end(),
                       [&node](const NodeRscState& h) { return h.node == node; });
  };
  const std::size_t n = t_.actions.size();
  for (std::size_t i = 0; i < n; ++i) {
    const Action& a = t_.actions[i];
    if (a.kind != ActionKind::kResource || (a.task != "start" && a.task != "promote")) continue;
    const auto it = prims.find(a.rsc);
    if (it == prims.end()) continue;
    const WsResource& r = *it->second.first;
    // What the resource requires before it may start or promote (2.1.5
    // defaults: quorum for fence devices or without fencing, else fencing).
    const bool device = r.agent.rfind("stonith:", 0) == 0;
    const auto req = r.meta.find("requires");
    std::string needs = req != r.meta.end() ? req->second : "";
    if (needs.empty() || device)
      needs = device || !ws_.options.stonith_enabled ? "quorum" : "fencing";
    if ((needs == "fencing" || needs == "unfencing") && !ws_.options.stonith_enabled)
      needs = "quorum";
    for (const Action* f : fences) {
      if (needs == "fencing" || needs == "unfencing") {
        t_.orderings.push_back({f->id, a.id});
      } else if (needs == "quorum" && a.task == "start" && ws_.options.symmetric_cluster) {
        // Its state on the node to fence unknown: it might be active there.
        const WsResource* anon = it->second.second;
        bool known = known_on(r, f->node);
        if (anon != nullptr)
          for (const auto& inst : anon->children) known = known || known_on(inst, f->node);
        if (!known) t_.orderings.push_back({f->id, a.id});
      }
    }
  }
}

void Builder::anti_colocation_order(
    const std::map<std::string, std::vector<int>, std::less<>>& keyed, const std::string& first,
    Role first_role, const std::string& then, Role then_role) {
  std::vector<const char*> lose = {"stop"};
  if (first_role == Role::kPromoted) lose = {"demote"};
  if (first_role == Role::kUnpromoted) lose.push_back("promote");
  std::vector<const char*> gain = {"start"};
  if (then_role == Role::kPromoted) gain = {"promote"};
  if (then_role == Role::kUnpromoted) gain.push_back("demote");
  for (const char* l : lose)
    for (const char* g : gain)
      key_deps_between(keyed, order_key(first, l, true), order_key(then, g, false));
}

void Builder::key_deps_between(const std::map<std::string, std::vector<int>, std::less<>>& keyed,
                               const std::string& first, const std::string& then) {
  auto f = keyed.find(first);
  // After a notifying clone's task completes, what follows waits for its
  // post-notifications too.
  for (const char* done : {"running", "stopped", "promoted", "demoted"}) {
    const std::string suffix = std::string(":") + done;
    if (first.size() <= suffix.size() ||
        first.compare(first.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    const std::string rsc = first.substr(2, first.size() - 2 - suffix.size());
    const WsResource* r = top_level(rsc);
    if (r == nullptr || r->kind != RscKind::kClone || !r->notify) break;
    const auto n = keyed.find("a:" + rsc + ":confirmed-post_notify_" + done);
    if (n != keyed.end()) f = n;
    break;
  }
  const auto t = keyed.find(then);
  if (f == keyed.end() || t == keyed.end()) return;
  for (const int a : f->second)
    for (const int b : t->second)
      if (a != b) t_.orderings.push_back({a, b});
}

}  // namespace detail

std::int64_t op_interval_ms(const Op& op) { return parse_interval_ms(op.interval); }

namespace {

bool has_fence_device(const std::vector<WsResource>& resources) {
  return std::any_of(resources.begin(), resources.end(), [](const WsResource& r) {
    return r.agent.rfind("stonith:", 0) == 0 || has_fence_device(r.children);
  });
}

void leave_unmanaged(std::vector<WsResource>& resources) {
  for (auto& r : resources) {
    r.managed = false;
    leave_unmanaged(r.children);
  }
}

}  // namespace

Transition schedule(const WorkingSet& ws) {
  Transition t;
  if (ws.options.stonith_enabled && !has_fence_device(ws.resources)) {
    // Fencing enabled without a fence device: Pacemaker assigns every
    // resource as if unmanaged, leaving each where it is.
    WorkingSet left = ws;
    leave_unmanaged(left.resources);
    detail::Builder(left, t).run();
    return t;
  }
  detail::Builder(ws, t).run();
  return t;
}

}  // namespace quorate::crm::sched
