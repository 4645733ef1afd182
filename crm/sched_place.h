// Scheduler stages 1 and 2 — score and assign — for primitives: per node
// allocation scores (symmetric-cluster default, rsc_location scores and rules
// on node attributes, resource-stickiness, migration-threshold bans,
// target-role=Stopped) and the node each primitive is assigned to, chosen the
// way Pacemaker 2.1.5 breaks ties (score, then fewest resources assigned so
// far in this run, then the node it runs on, then node name by strcmp).
//
// Pure functions over a WorkingSet; the result holds copies of ids only, so it
// does not borrow from the working set. Not thread-safe beyond const values.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

// The attributes a location rule sees on one node: its configured instance
// attributes, its transient (status) attributes, and the built-ins #uname,
// #id, #kind and #is_dc.
using NodeAttrs = std::map<std::string, std::string, std::less<>>;
NodeAttrs node_rule_attrs(const WorkingSet& ws, const WsNode& node);

// Whether `rule` holds for a node with `attrs` (expressions compared as
// Pacemaker 2.1.5 does: eq/ne as strings unless typed; lt/gt as integers, or
// numbers when either side has a '.'; nested rules; date expressions never
// match). Its score, from `score` or `score-attribute`, goes to `*score`.
bool rule_matches(const Rule& rule, const NodeAttrs& attrs, int* score);

// Whether location constraint `loc` names resource `id` (rsc, or rsc-pattern
// as an extended regular expression).
bool location_names(const Location& loc, const std::string& id);

// The location constraints naming resource `id` or `parent_id` (rsc, or
// rsc-pattern), in configuration order, found through the working set's index.
std::vector<const Location*> locations_for(const WorkingSet& ws, const std::string& id,
                                           std::string_view parent_id = {});

// Whether a node can host resources at all (online, clean, not standby, not
// shutting down, not pending, not in maintenance).
bool node_can_run(const WsNode& node);

struct NodeScore {
  std::string node;
  int score = 0;
};

struct PrimitivePlacement {
  std::string rsc;                // primitive id
  std::vector<NodeScore> scores;  // ws.nodes order; the allocation scores
  std::string node;               // assigned node; "" when it is to be stopped
  bool unmanaged = false;         // is-managed=false: left where it is
  // The role it is to have: kStopped (no node), kStarted, or for instances of
  // promotable clones kUnpromoted / kPromoted.
  Role next_role = Role::kStopped;
  // Promotable instances: the sort index crm_simulate -s shows as
  // "promotion score" (nullopt for other resources).
  std::optional<int> promotion_score{};
  // The scores the node was chosen from (allocation scores with the
  // colocations applied), for crm_simulate -s; empty where the node was not
  // chosen from scores (group members after the first, clone instances,
  // unmanaged resources).
  std::vector<NodeScore> assign_scores{};
  // Clone instances: when it was assigned among its clone's instances (0
  // first): those kept where they run, then the rest, each in Pacemaker's
  // instance order.
  std::size_t assign_rank = 0;
  // Clone instances: what the clone's colocations add to each node's score
  // when it is assigned (ws.nodes order; empty when nothing).
  std::vector<NodeScore> colocation_scores{};
  // Clone instances: the weight the node it was assigned had among its
  // weights then (Pacemaker's assigned node's score).
  int assigned_weight = 0;
};

struct Placement {
  // Top-level primitives, group members and clone instances, in
  // configuration order.
  std::vector<PrimitivePlacement> primitives;
  // id -> index into `primitives`, rebuilt by index() (place() calls it).
  // find() checks every hit and scans on a miss, so entries added or moved
  // since the last index() are still found.
  std::map<std::string, std::size_t, std::less<>> by_id;

  const PrimitivePlacement* find(std::string_view rsc) const;
  void index();
};

// Allocation scores of top-level primitive `rsc` before node availability is
// considered (what crm_simulate -s prints as "allocation score").
// `parent_id`: a group member also takes its group's location constraints.
std::vector<NodeScore> primitive_scores(const WorkingSet& ws, const WsResource& rsc,
                                        std::string_view parent_id = {});

// Whether resource `rsc` has a score on each node at all (ws.nodes order):
// every node in a symmetric cluster; in an asymmetric one only the nodes a
// location constraint or matching rule names, or its history bans.
// crm_simulate -s lists only these.
std::vector<bool> scored_nodes(const WorkingSet& ws, const WsResource& rsc,
                               std::string_view parent_id = {});

// Chooses among `scores` given how many resources each node already holds in
// this run and the node the resource runs on now ("" if none). Returns "" when
// no node has a non-negative score on an available node.
std::string choose_node(const WorkingSet& ws, const std::vector<NodeScore>& scores,
                        const std::map<std::string, int, std::less<>>& assigned_count,
                        std::string_view current);

// Sorts `items` exactly as GLib's g_list_sort does: a top-down merge sort
// whose left half takes the first n/2 elements and whose merge takes from the
// left run while cmp(left, right) <= 0. Stable; with a comparison that is not
// a strict weak order it still resolves every input the way Pacemaker's
// lists do. `cmp` returns < 0, 0 or > 0.
void glib_list_sort(std::vector<std::size_t>& items,
                    const std::function<int(std::size_t, std::size_t)>& cmp);

// What Pacemaker 2.1.5 compares when it orders a clone's instances before
// assigning them nodes (its instance comparison, run through glib_list_sort
// from instance order).
struct InstanceSortKey {
  std::string id;                // instance id ("rsc:3")
  std::size_t active_count = 0;  // nodes it is active on
  std::string current;           // one of them ("" when inactive)
  // Its own allocation score on `current` is not negative (false when it
  // has no such score; true when inactive).
  bool current_allowed = true;
  int priority = 0;                  // priority (promotable: raised to its best promotion score)
  bool current_can_run = true;       // `current` can host resources
  bool failed = false;               // a failure is recorded for it
  int current_colocation_score = 0;  // colocations' score on `current`
};

// The comparison, in Pacemaker's order: fewer active nodes (when both are
// active); current node allowed; higher priority; active before inactive
// (two inactive instances are equal); current node able to run resources;
// not failed; colocation score on the current node (a lower score sorts
// first when it is negative, else last); then instance id by strcmp.
// Not a strict weak order. Returns < 0 when `a` is assigned first.
int compare_instances(const InstanceSortKey& a, const InstanceSortKey& b);

// A clone of a primitive that is neither promotable nor globally unique.
bool is_anonymous_clone(const WsResource& r);

// A clone of a primitive (anonymous, globally unique or promotable).
bool is_primitive_clone(const WsResource& r);

// A clone of a group: each instance is a copy of the group.
bool is_group_clone(const WsResource& r);

// Stages score + assign over every top-level primitive, group and clone of
// primitives, in priority then configuration order: a group is placed by its
// first member's scores plus those of the members colocated with it, each
// later member where the previous one went (or stopped); a clone's instances
// stay where they run up to an even share per node, the rest go to the best
// nodes with room (clone-node-max), and promotable instances get their roles
// (crm/sched_promote.h). A clone of a group places each instance as a unit
// (its first member's scores with the colocated members' merged in) the way
// a clone of a primitive places its instances; the members follow as in a
// group. Colocation with a clone counts every node one of its instances is
// placed on; with-rsc-role=Promoted/Unpromoted only the nodes of its
// instances in that role; rsc-role=Promoted/Unpromoted on a promotable
// dependent weighs on its instances' promotion, not on where they run.
// Colocations and orderings come flattened from ws.colocations / ws.orders
// (resource sets included, crm/sched_constraints.h).
Placement place(const WorkingSet& ws);

}  // namespace quorate::crm::sched
