// Promotion scores and promoted-instance choice for promotable clones.
#include "crm/sched_promote.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>

namespace quorate::crm::sched {

namespace {

bool has_history_on(const WsResource& inst, std::string_view node) {
  return std::any_of(inst.history.begin(), inst.history.end(),
                     [node](const NodeRscState& h) { return h.node == node; });
}

bool active_on(const WsResource& inst, std::string_view node) {
  const auto active = inst.active_nodes();
  return std::find(active.begin(), active.end(), node) != active.end();
}

// Whether `inst`'s promotion score counts on `node` (Pacemaker's
// promotion_score_applies): where its state is known, or anywhere while
// nothing is known of it; for anonymous clones also where it (or, when no
// instance runs there, any instance) is known. `allowed` is its allocation
// score there: a banned node never counts.
// `peers`: the clone's instances (for a member of a cloned group, the same
// member of every instance).
bool score_applies(bool unique, const std::vector<const WsResource*>& peers,
                   const WsResource& inst, std::string_view node, int allowed) {
  bool applies = false;
  if (!unique) {
    const WsResource* active = nullptr;
    for (const WsResource* other : peers)
      if (active == nullptr && active_on(*other, node)) active = other;
    if (active == &inst) {
      applies = true;
    } else if (active == nullptr) {
      applies = std::any_of(peers.begin(), peers.end(), [node](const WsResource* other) {
        return has_history_on(*other, node);
      });
    }
  }
  if (!applies) applies = inst.history.empty() || has_history_on(inst, node);
  return applies && allowed >= 0;
}

bool score_applies(const WsResource& clone, const WsResource& inst, std::string_view node,
                   int allowed) {
  std::vector<const WsResource*> peers;
  for (const auto& other : clone.children) peers.push_back(&other);
  return score_applies(clone.unique, peers, inst, node, allowed);
}

std::optional<int> attribute_score(const WsNode& node, const std::string& name) {
  const std::string attr = "master-" + name;
  const auto t = node.transient.find(attr);
  if (t != node.transient.end()) return parse_score(t->second).value_or(0);
  const auto a = node.attrs.find(attr);
  if (a != node.attrs.end()) return parse_score(a->second).value_or(0);
  return std::nullopt;
}

// The promotion score of `inst` on `node`; nullopt when no attribute gives
// one (or it does not count there).
std::optional<int> promotion_score(const WsResource& clone, const WsResource& inst,
                                   const WsNode& node, int allowed) {
  if (inst.kind == RscKind::kGroup) {
    // An instance of a cloned group: the sum of its members' scores (none
    // when no member has one).
    std::optional<int> total;
    for (std::size_t j = 0; j < inst.children.size(); ++j) {
      const WsResource& m = inst.children[j];
      std::vector<const WsResource*> peers;
      for (const auto& other : clone.children)
        if (j < other.children.size()) peers.push_back(&other.children[j]);
      if (!score_applies(clone.unique, peers, m, node.uname, allowed)) continue;
      const std::string& name = m.history_name.empty() ? m.id : m.history_name;
      auto score = attribute_score(node, name);
      if (!score && !clone.unique && name != m.base_id) score = attribute_score(node, m.base_id);
      if (score) total = score_add(total.value_or(0), *score);
    }
    return total;
  }
  if (!score_applies(clone, inst, node.uname, allowed)) return std::nullopt;
  const std::string& name = inst.history_name.empty() ? inst.id : inst.history_name;
  auto score = attribute_score(node, name);
  if (!score && !clone.unique && name != inst.base_id) score = attribute_score(node, inst.base_id);
  return score;
}

std::optional<Role> role_of(const OptString& text) {
  if (!text) return std::nullopt;
  return parse_role(*text);
}

// The sum of the Promoted-role location scores for `clone` (or `inst`) that
// apply on `node`.
int promoted_location_score(const WorkingSet& ws, const WsResource& clone, const WsResource& inst,
                            const WsNode& node) {
  int total = 0;
  if (ws.cib == nullptr) return total;
  const NodeAttrs attrs = node_rule_attrs(ws, node);
  for (const Location* loc : locations_for(ws, inst.id, clone.id)) {
    if (loc->node) {
      if (role_of(loc->role) == Role::kPromoted && *loc->node == node.uname)
        total = score_add(total, loc->score ? parse_score(*loc->score).value_or(0) : 0);
      continue;
    }
    for (const auto& rule : loc->rules) {
      const auto role = rule.role ? role_of(rule.role) : role_of(loc->role);
      if (role != Role::kPromoted) continue;
      int value = 0;
      if (rule_matches(rule, attrs, &value)) total = score_add(total, value);
    }
  }
  return total;
}

Role current_role(const WsResource& inst) {
  const Role r = inst.current_role();
  return r == Role::kStarted ? Role::kUnpromoted : r;
}

}  // namespace

void add_promotion_weights(const WorkingSet& ws, const WsResource& clone, const WsResource& inst,
                           std::vector<NodeScore>& weights) {
  for (auto& w : weights) {
    const WsNode* node = ws.find_node(w.node);
    if (node == nullptr || !node_can_run(*node)) continue;
    const auto score = promotion_score(clone, inst, *node, w.score);
    if (score && *score > 0) w.score = score_add(w.score, *score);
  }
}

int promotion_priority(const WorkingSet& ws, const WsResource& clone, const WsResource& inst,
                       const std::vector<NodeScore>& weights) {
  int best = 0;
  for (const auto& w : weights) {
    const WsNode* node = ws.find_node(w.node);
    if (node == nullptr || !node_can_run(*node)) continue;
    best = std::max(best, promotion_score(clone, inst, *node, w.score).value_or(0));
  }
  return best;
}

namespace {

// Pacemaker's non-negative merge of a dependent's node scores into
// `totals` (see PriorityColocation).
void merge_nonnegative(const WorkingSet& ws, std::vector<NodeScore>& totals,
                       const PriorityColocation& c) {
  const double factor = static_cast<double>(c.score) / kInfinity;
  std::vector<NodeScore> merged_totals = totals;
  std::vector<bool> unusable(totals.size(), false);
  bool any_usable = false;
  for (std::size_t k = 0; k < merged_totals.size(); ++k) {
    NodeScore& t = merged_totals[k];
    int other = 0;
    for (const auto& d : c.dependent_scores)
      if (d.node == t.node) other = d.score;
    if (!(factor < 0 && other < 0)) {  // (no dislike of a node it avoids)
      double f = factor * static_cast<double>(other);
      if (f >= kInfinity) f = kInfinity;
      if (f <= -kInfinity) f = -kInfinity;
      const int merged = score_add(t.score, static_cast<int>(f));
      if (merged < 0 && t.score > 0) {
        unusable[k] = true;
      } else if (!(merged < 0 && t.score == 0)) {
        t.score = merged;
      }
    }
    const WsNode* node = ws.find_node(t.node);
    if (!unusable[k] && t.score >= 0 && node != nullptr && node_can_run(*node)) any_usable = true;
  }
  if (!any_usable) return;  // rolled back
  for (std::size_t k = 0; k < merged_totals.size(); ++k)
    if (unusable[k]) merged_totals[k].score = 1;
  totals = std::move(merged_totals);
}

}  // namespace

void assign_promotable_roles(const WorkingSet& ws, const WsResource& clone, Placement& out,
                             std::size_t first,
                             const std::vector<PriorityColocation>& colocations) {
  struct Instance {
    std::size_t index;
    int priority = 0;
    int sort = 0;
    Role current = Role::kStopped;
  };
  const std::size_t n = clone.children.size();
  std::vector<Instance> insts;
  for (std::size_t i = 0; i < n; ++i) {
    const WsResource& inst = clone.children[i];
    const PrimitivePlacement& p = out.primitives[first + i];
    Instance e{i, 0, 0, current_role(inst)};
    const WsNode* node = p.node.empty() ? nullptr : ws.find_node(p.node);
    if (node != nullptr) {
      if (inst.target_role == Role::kUnpromoted || inst.target_role == Role::kStopped) {
        e.priority = -kInfinity;
      } else {
        int allowed = 0;
        for (const auto& s : p.scores)
          if (s.node == p.node) allowed = s.score;
        e.priority = promotion_score(clone, inst, *node, allowed).value_or(-1);
      }
      e.priority = score_add(e.priority, promoted_location_score(ws, clone, inst, *node));
      // A promoted role that failed with on-fail=demote is not taken again.
      for (const auto& h : inst.history)
        if (h.node == p.node && h.demote_on_fail) e.priority = -kInfinity;
      for (const auto& c : colocations) {
        if (c.from_dependent) continue;
        if (std::find(c.nodes.begin(), c.nodes.end(), p.node) == c.nodes.end()) {
          // An INFINITY colocation of the promoted role: an instance away
          // from the primary's node (or, for a clone primary, from every
          // instance of it in the role) is never promoted. A primitive or
          // group primary placed nowhere leaves the priorities alone
          // (only an instance with a promotion score is barred).
          const bool unplaced_primary = c.strict && c.nodes.empty();
          if (c.score >= kInfinity && c.dependent_role == Role::kPromoted &&
              (!unplaced_primary || e.priority >= 0))
            e.priority = -kInfinity;
          continue;
        }
        e.priority = score_add(e.priority,
                               c.dependent_role == Role::kUnpromoted ? -c.score : c.score);
      }
    }
    e.sort = e.priority;
    insts.push_back(e);
  }
  // The clone's node scores plus its instances' non-negative priorities;
  // each placed instance then sorts by its node's total.
  std::vector<NodeScore> totals = primitive_scores(ws, clone);
  // (with what the clone's allocation merged in from its dependents)
  for (const auto& c : colocations)
    if (c.from_dependent) merge_nonnegative(ws, totals, c);
  auto total_of = [&totals](const std::string& node) -> int* {
    for (auto& t : totals)
      if (t.node == node) return &t.score;
    return nullptr;
  };
  for (const auto& e : insts) {
    const std::string& node = out.primitives[first + e.index].node;
    if (e.sort < 0 || node.empty()) continue;
    if (int* t = total_of(node)) *t = score_add(*t, e.sort);
  }
  // What is colocated with the promoted role brings its node scores.
  for (const auto& c : colocations)
    if (c.from_dependent && c.with_role == Role::kPromoted) merge_nonnegative(ws, totals, c);
  for (auto& e : insts) {
    const std::string& node = out.primitives[first + e.index].node;
    if (e.sort < 0 || node.empty()) continue;
    if (const int* t = total_of(node)) e.sort = *t;
  }
  std::stable_sort(insts.begin(), insts.end(), [](const Instance& a, const Instance& b) {
    if (a.sort != b.sort) return a.sort > b.sort;
    if (a.current != b.current) return static_cast<int>(a.current) > static_cast<int>(b.current);
    return a.priority > b.priority;
  });
  int promoted = 0;
  std::map<std::string, int, std::less<>> per_node;
  const bool freeze = !ws.options.have_quorum && ws.options.no_quorum_policy == "freeze";
  // A promoted instance blocked by a failure (on-fail=block) stays promoted
  // where it is and holds its share of promoted-max.
  auto blocked = [](const WsResource& inst) {
    return std::any_of(inst.history.begin(), inst.history.end(),
                       [](const NodeRscState& h) { return h.blocked; });
  };
  for (const auto& e : insts) {
    const WsResource& inst = clone.children[e.index];
    if (e.current != Role::kPromoted || !blocked(inst)) continue;
    ++promoted;
    for (const auto& node : inst.active_nodes()) ++per_node[node];
  }
  for (const auto& e : insts) {
    const WsResource& inst = clone.children[e.index];
    PrimitivePlacement& p = out.primitives[first + e.index];
    p.promotion_score = e.sort;
    if (e.current == Role::kPromoted && blocked(inst)) {
      p.next_role = Role::kPromoted;
      continue;
    }
    p.next_role = p.node.empty() ? Role::kStopped : Role::kUnpromoted;
    if (p.node.empty() || e.sort < 0 || promoted >= clone.promoted_max) continue;
    if (!inst.managed && e.current != Role::kPromoted) continue;
    if (e.priority < 0) continue;
    const WsNode* node = ws.find_node(p.node);
    if (node == nullptr || !node_can_run(*node)) continue;
    if (per_node[p.node] >= clone.promoted_node_max && inst.managed) continue;
    if (e.current != Role::kPromoted && freeze) continue;
    p.next_role = Role::kPromoted;
    ++per_node[p.node];
    ++promoted;
  }
}

}  // namespace quorate::crm::sched
