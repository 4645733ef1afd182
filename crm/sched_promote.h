// Promotable clones: promotion scores and the choice of promoted instances,
// as Pacemaker 2.1.5 makes it.
//
// A promotion score comes from the node attribute "master-<name>" (name: the
// instance's history name, else its id; for anonymous clones also the id
// without ":N"). It counts on a node only where the instance's state there is
// known (or nowhere is, at cluster start). Before instances are placed, the
// positive scores are added to their allocation weights; once placed, each
// instance's priority is its score on its node (-1 without one), plus the
// Promoted-role location constraints for that node; the clone sums the
// non-negative priorities per node, and every placed instance's sort index
// becomes its node's sum. The instances are then taken in descending sort
// index (current role, then instance order, break ties) and promoted while
// promoted-max and promoted-node-max allow.
//
// Internal to the scheduler (crm/sched_place.cc); pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "crm/sched_place.h"
#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

// Adds `inst`'s positive promotion scores to `weights` (ws.nodes order) on
// nodes that can run resources.
void add_promotion_weights(const WorkingSet& ws, const WsResource& clone, const WsResource& inst,
                           std::vector<NodeScore>& weights);

// The priority Pacemaker gives instance `inst` before instances are sorted
// for placement: its best promotion score on a node that can run resources
// (`weights`: its allocation weights, ws.nodes order), 0 when it has none.
int promotion_priority(const WorkingSet& ws, const WsResource& clone, const WsResource& inst,
                       const std::vector<NodeScore>& weights);

// A colocation of the clone's instances in a role (rsc-role=Promoted or
// Unpromoted) with a placed primary, as it weighs on each instance's
// promotion priority: an instance on one of `nodes` gains `score` (loses it
// for Unpromoted); elsewhere, an INFINITY Promoted colocation bars it from
// promotion (-INFINITY), except that with a primitive or group (`strict`)
// placed nowhere only an instance with a promotion score is barred.
//
// With `from_dependent`, the other direction: a resource (primitive or
// group, `dependent_scores` its node scores in ws.nodes order) colocated
// with the clone (`with_role`: the clone's role it follows, kUnknown any).
// Its scores, times score / INFINITY, are merged non-negatively into the
// clone's per-node promotion totals: once as the clone's allocation takes
// them, and again, before the instances sort, when it follows the Promoted
// role. A non-negative merge leaves a node at 0 unchanged by a negative sum,
// keeps a positive node that would turn negative at 1, and is dropped when
// it leaves no usable node.
struct PriorityColocation {
  std::vector<std::string> nodes;
  int score = 0;
  Role dependent_role = Role::kPromoted;
  bool strict = false;
  bool from_dependent = false;
  std::vector<NodeScore> dependent_scores{};
  Role with_role = Role::kUnknown;
};

// Sets next_role and promotion_score of the placed instances of `clone`,
// whose placements are out.primitives[first .. first + clone.children.size()).
void assign_promotable_roles(const WorkingSet& ws, const WsResource& clone, Placement& out,
                             std::size_t first,
                             const std::vector<PriorityColocation>& colocations = {});

}  // namespace quorate::crm::sched
