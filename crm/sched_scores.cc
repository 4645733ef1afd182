// crm_simulate -s: score lines from a placement. See crm/sched_scores.h.
#include "crm/sched_scores.h"

#include <algorithm>
#include <map>
#include <set>
#include <string_view>

#include "crm/cib_xml.h"
#include "crm/sched_promote.h"

namespace quorate::crm::sched {

namespace {

// An unmanaged primitive active on one node is pinned there: INFINITY.
std::vector<NodeScore> pinned(const WsResource& r, std::vector<NodeScore> scores) {
  if (r.managed || r.kind != RscKind::kPrimitive) return scores;
  const auto active = r.active_nodes();
  if (active.size() != 1) return scores;
  for (auto& s : scores)
    if (s.node == active.front()) s.score = score_add(s.score, kInfinity);
  return scores;
}

// The nodes `r` has a score on at all (crm/sched_place.h scored_nodes).
std::set<std::string, std::less<>> listed(const WorkingSet& ws, const WsResource& r,
                                          std::string_view parent_id = {}) {
  std::set<std::string, std::less<>> out;
  const std::vector<bool> has = scored_nodes(ws, r, parent_id);
  for (std::size_t i = 0; i < ws.nodes.size() && i < has.size(); ++i)
    if (has[i]) out.insert(ws.nodes[i].uname);
  return out;
}

// One line per node of `scores` in `only`.
void add_lines(std::vector<std::string>& out, const char* prefix, const std::string& rsc,
               const std::vector<NodeScore>& scores,
               const std::set<std::string, std::less<>>& only) {
  for (const auto& s : scores) {
    if (only.count(s.node) == 0) continue;
    out.push_back(std::string(prefix) + ": " + rsc + " allocation score on " + s.node + ": " +
                  score_text(s.score));
  }
}

std::vector<NodeScore> all(const std::vector<NodeScore>& like, int score) {
  std::vector<NodeScore> out = like;
  for (auto& s : out) s.score = score;
  return out;
}

// A resource's scores from configuration alone, as Pacemaker holds them
// before assignment: without target-role (which only stops it at
// assignment) and, for group members after the first, without the group's
// location constraints (Pacemaker applies those to the first member).
std::vector<NodeScore> configured_scores(const WorkingSet& ws, const WsResource& r,
                                         std::string_view parent_id) {
  WsResource copy = r;
  copy.target_role.reset();
  return primitive_scores(ws, copy, parent_id);
}

bool disabled(const WsResource& r) { return r.target_role && *r.target_role == Role::kStopped; }

// `into` plus `factor` times `other` per node, where that does not turn a
// usable node negative (Pacemaker merges dependents' scores into a primary
// that way); a node that cannot run resources brings -INFINITY.
void merge_positive(const WorkingSet& ws, std::vector<NodeScore>& into,
                    const std::vector<NodeScore>& other, double factor) {
  for (auto& t : into) {
    int score = -kInfinity;
    const WsNode* n = ws.find_node(t.node);
    if (n != nullptr && node_can_run(*n))
      for (const auto& o : other)
        if (o.node == t.node) score = o.score;
    if (factor < 0 && score < 0) continue;
    double f = factor * static_cast<double>(score);
    if (f >= kInfinity) f = kInfinity;
    if (f <= -kInfinity) f = -kInfinity;
    const int sum = score_add(t.score, static_cast<int>(f));
    if (!(sum < 0 && t.score >= 0)) t.score = sum;
  }
}

// A clone's scores as crm_simulate shows them: its own, with the scores of
// the primitives and groups colocated with it (no roles) merged in.
std::vector<NodeScore> clone_scores(const WorkingSet& ws, const WsResource& c) {
  WsResource bare = c;
  bare.stickiness = 0;
  std::vector<NodeScore> scores = configured_scores(ws, bare, {});
  for (const auto& co : ws.colocations) {
    if (co.with_rsc != c.id || co.rsc_role || co.with_rsc_role || co.score <= 0) continue;
    const auto dep = std::find_if(ws.resources.begin(), ws.resources.end(),
                                  [&co](const WsResource& r) { return r.id == co.rsc; });
    if (dep == ws.resources.end() || dep->kind == RscKind::kClone) continue;
    std::vector<NodeScore> theirs;
    if (dep->kind == RscKind::kPrimitive) {
      theirs = primitive_scores(ws, *dep);
    } else if (!dep->children.empty()) {
      // A group: its first member's scores with the later members' merged.
      theirs = primitive_scores(ws, dep->children.back());
      for (std::size_t j = dep->children.size() - 1; j-- > 0;) {
        std::vector<NodeScore> m =
            primitive_scores(ws, dep->children[j], j == 0 ? std::string_view(dep->id) : "");
        merge_positive(ws, m, theirs, 1.0);
        theirs = std::move(m);
      }
    }
    merge_positive(ws, scores, theirs, static_cast<double>(co.score) / kInfinity);
  }
  return scores;
}

// Nodes that cannot run resources at all are -INFINITY at assignment.
std::vector<NodeScore> at_assignment(const WorkingSet& ws, std::vector<NodeScore> scores) {
  for (auto& s : scores) {
    const WsNode* n = ws.find_node(s.node);
    if (n == nullptr || !node_can_run(*n)) s.score = -kInfinity;
  }
  return scores;
}

void group_lines(const WorkingSet& ws, const WsResource& g, const Placement& pl,
                 std::vector<std::string>& out) {
  WsResource bare = g;
  bare.stickiness = 0;
  add_lines(out, "pcmk__group_assign", g.id, configured_scores(ws, bare, {}), listed(ws, g));
  std::string prev;
  bool first = true;
  for (const auto& m : g.children) {
    const PrimitivePlacement* p = pl.find(m.id);
    if (p == nullptr) continue;
    const std::string_view parent = first ? std::string_view(g.id) : std::string_view();
    const auto only = listed(ws, m, parent);
    add_lines(out, "pcmk__group_assign", m.id, pinned(m, configured_scores(ws, m, parent)), only);
    std::vector<NodeScore> assign =
        at_assignment(ws, pinned(m, p->assign_scores.empty() ? p->scores : p->assign_scores));
    if (!first) {
      // Each member is colocated with the one before it.
      for (auto& s : assign)
        if (s.node != prev) s.score = -kInfinity;
    }
    add_lines(out, "pcmk__primitive_assign", m.id, assign, only);
    prev = p->node;
    first = false;
  }
}

// A clone instance's scores: a clone without resource-stickiness gives its
// instances a stickiness of 1 (Pacemaker's clone default).
std::vector<NodeScore> instance_scores(const WsResource& inst, const PrimitivePlacement& p) {
  std::vector<NodeScore> scores = pinned(inst, p.scores);
  if (inst.stickiness != 0 || inst.meta.count("resource-stickiness") != 0 || !inst.managed)
    return scores;
  const auto active = inst.active_nodes();
  if (active.size() != 1) return scores;
  for (auto& s : scores)
    if (s.node == active.front() && s.score > -kInfinity) s.score = score_add(s.score, 1);
  return scores;
}

// Clone instances are assigned in two passes (crm/sched_place.h): those
// kept where they run, then the rest, each in the instance order; a node
// holding clone-node-max instances assigned earlier is -INFINITY for the
// later ones.
void clone_lines(const WorkingSet& ws, const WsResource& c, const Placement& pl,
                 std::vector<std::string>& out) {
  add_lines(out, "pcmk__clone_allocate", c.id, clone_scores(ws, c), listed(ws, c));
  struct Instance {
    const WsResource* inst;
    const PrimitivePlacement* p;
    std::vector<NodeScore> scores;
  };
  std::vector<Instance> instances;
  for (const auto& inst : c.children) {
    const PrimitivePlacement* p = pl.find(inst.id);
    if (p == nullptr) continue;
    // An instance beyond clone-max (made for history no instance could
    // take) has no scores to show; a promotable one still has its
    // promotion score.
    if (&inst - c.children.data() >= c.clone_max) {
      if (c.promotable)
        out.push_back(inst.id + " promotion score on " + (p->node.empty() ? "none" : p->node) +
                      ": " + score_text(p->promotion_score.value_or(0)));
      continue;
    }
    // target-role=Stopped bans every node only when the instance is
    // assigned: its scores before that are the configured ones.
    PrimitivePlacement configured = *p;
    if (disabled(inst)) configured.scores = configured_scores(ws, inst, c.id);
    std::vector<NodeScore> scores = instance_scores(inst, configured);
    // Promotable: the positive promotion scores are in the instances'
    // scores before they are assigned.
    if (c.promotable) add_promotion_weights(ws, c, inst, scores);
    add_lines(out, "pcmk__clone_allocate", inst.id, scores, listed(ws, inst, c.id));
    if (c.promotable) {
      out.push_back(inst.id + " promotion score on " + (p->node.empty() ? "none" : p->node) + ": " +
                    score_text(p->promotion_score.value_or(0)));
    }
    instances.push_back(Instance{&inst, p, scores});
  }
  std::stable_sort(instances.begin(), instances.end(), [](const Instance& a, const Instance& b) {
    return a.p->assign_rank < b.p->assign_rank;
  });
  std::map<std::string, int, std::less<>> held;  // instances assigned so far per node
  int placed = 0;
  for (const auto& [inst, p, scores] : instances) {
    std::vector<NodeScore> assign = scores;
    // The clone's colocations weigh in when each instance is assigned.
    for (auto& s : assign)
      for (const auto& e : p->colocation_scores)
        if (e.node == s.node) s.score = score_add(s.score, e.score);
    if (placed >= c.clone_max || disabled(*inst)) {
      assign = all(assign, -kInfinity);
    } else {
      for (auto& s : assign) {
        const auto it = held.find(s.node);
        if (it != held.end() && it->second >= c.clone_node_max) s.score = -kInfinity;
        // Instances are only offered the nodes that can run resources.
        const WsNode* n = ws.find_node(s.node);
        if (n == nullptr || !node_can_run(*n)) s.score = -kInfinity;
      }
    }
    add_lines(out, "pcmk__primitive_assign", inst->id, assign, listed(ws, *inst, c.id));
    if (!p->node.empty()) {
      ++held[p->node];
      ++placed;
    }
  }
}

// A clone of groups: the clone, each group instance and its members as
// they stand before assignment; then, instance by instance in assignment
// order, each group and member as offered (nodes holding clone-node-max
// instances assigned earlier, and nodes that cannot run resources, are
// -INFINITY), and each member's assignment scores as in a group.
void group_clone_lines(const WorkingSet& ws, const WsResource& c, const Placement& pl,
                       std::vector<std::string>& out) {
  add_lines(out, "pcmk__clone_allocate", c.id, clone_scores(ws, c), listed(ws, c));
  struct Instance {
    const WsResource* group;
    std::vector<NodeScore> group_scores;
    std::vector<std::vector<NodeScore>> member_scores;
    std::vector<const PrimitivePlacement*> members;
  };
  std::vector<Instance> instances;
  for (std::size_t i = 0; i < c.children.size(); ++i) {
    const WsResource& g = c.children[i];
    if (g.children.empty() || static_cast<int>(i) >= c.clone_max) continue;
    Instance inst{&g, {}, {}, {}};
    for (const auto& m : g.children) inst.members.push_back(pl.find(m.id));
    if (std::find(inst.members.begin(), inst.members.end(), nullptr) != inst.members.end())
      continue;
    WsResource bare_group = g;
    bare_group.stickiness = 0;
    inst.group_scores = configured_scores(ws, bare_group, c.id);
    add_lines(out, "pcmk__clone_allocate", g.id, inst.group_scores, listed(ws, g, c.id));
    for (std::size_t j = 0; j < g.children.size(); ++j) {
      const WsResource& m = g.children[j];
      inst.member_scores.push_back(instance_scores(m, *inst.members[j]));
      add_lines(out, "pcmk__clone_allocate", m.id, inst.member_scores.back(),
                listed(ws, m, c.id));
    }
    if (c.promotable) {
      const PrimitivePlacement* first = inst.members.front();
      out.push_back(g.id + " promotion score on " + (first->node.empty() ? "none" : first->node) +
                    ": " + score_text(first->promotion_score.value_or(0)));
    }
    instances.push_back(std::move(inst));
  }
  std::stable_sort(instances.begin(), instances.end(), [](const Instance& a, const Instance& b) {
    return a.members.front()->assign_rank < b.members.front()->assign_rank;
  });
  std::map<std::string, int, std::less<>> held;  // instances assigned so far per node
  int placed = 0;
  for (const auto& inst : instances) {
    const bool none = placed >= c.clone_max;
    auto offered = [&](std::vector<NodeScore> scores) {
      if (none) return all(scores, -kInfinity);
      for (auto& s : scores) {
        const auto it = held.find(s.node);
        if (it != held.end() && it->second >= c.clone_node_max) s.score = -kInfinity;
        const WsNode* n = ws.find_node(s.node);
        if (n == nullptr || !node_can_run(*n)) s.score = -kInfinity;
      }
      return scores;
    };
    const WsResource& g = *inst.group;
    add_lines(out, "pcmk__group_assign", g.id, offered(inst.group_scores), listed(ws, g, c.id));
    // Each member is assigned with the members after it (colocated with it)
    // merged in, last first; a negative sum does not override a usable node.
    const std::size_t k = g.children.size();
    std::vector<std::vector<NodeScore>> merged(k);
    for (std::size_t j = k; j-- > 0;) {
      merged[j] = inst.member_scores[j];
      if (j + 1 == k) continue;
      for (std::size_t n = 0; n < merged[j].size() && n < merged[j + 1].size(); ++n) {
        const int sum = score_add(merged[j][n].score, merged[j + 1][n].score);
        if (!(sum < 0 && merged[j][n].score >= 0)) merged[j][n].score = sum;
      }
    }
    std::string prev;
    for (std::size_t j = 0; j < k; ++j) {
      const WsResource& m = g.children[j];
      const auto only = listed(ws, m, c.id);
      add_lines(out, "pcmk__group_assign", m.id, offered(inst.member_scores[j]), only);
      std::vector<NodeScore> scores = offered(merged[j]);
      if (j > 0) {
        // Each member is colocated with the one before it.
        for (auto& s : scores)
          if (s.node != prev) s.score = -kInfinity;
      }
      add_lines(out, "pcmk__primitive_assign", m.id, scores, only);
      prev = inst.members[j]->node;
    }
    const std::string& node = inst.members.front()->node;
    if (!node.empty()) {
      ++held[node];
      ++placed;
    }
  }
}

}  // namespace

std::vector<std::string> score_lines(const WorkingSet& ws, const Placement& placement) {
  std::vector<std::string> out;
  for (const auto& r : ws.resources) {
    if (r.orphan) continue;  // orphans are only stopped, never assigned
    switch (r.kind) {
      case RscKind::kPrimitive:
        if (const PrimitivePlacement* p = placement.find(r.id))
          add_lines(out, "pcmk__primitive_assign", r.id,
                    pinned(r, p->assign_scores.empty() ? p->scores : p->assign_scores),
                    listed(ws, r));
        break;
      case RscKind::kGroup:
        group_lines(ws, r, placement, out);
        break;
      case RscKind::kClone:
        if (is_primitive_clone(r)) clone_lines(ws, r, placement, out);
        if (is_group_clone(r)) group_clone_lines(ws, r, placement, out);
        break;
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::vector<std::string>> score_lines_xml(std::string_view xml, const std::string& origin) {
  auto cib = parse_cib_xml(xml, origin);
  if (!cib.ok()) return cib.error();
  auto ws = unpack_working_set(*cib);
  if (!ws.ok()) return ws.error();
  return score_lines(*ws, place(*ws));
}

std::string render_scores(const WorkingSet& ws, const Placement& placement) {
  std::string out;
  for (const auto& l : score_lines(ws, placement)) out += l + "\n";
  return out;
}

}  // namespace quorate::crm::sched
