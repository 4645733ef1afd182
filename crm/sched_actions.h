// Scheduler stages 3 and 4 — create actions and order them — on top of a
// Placement (crm/sched_place.h): probes where a primitive's state on an
// online node is unknown, stops, starts, recurring monitors, fencing of
// unclean nodes (stonith-enabled) with the stops it implies as pseudo actions,
// and the controller's shutdown of nodes leaving the cluster; what recorded
// histories ask for (cancels, deletes, fail count clears:
// crm/sched_history_checks.h); group, clone and constraint pseudo actions
// (resource sets' require-all=false and clone-min: "one-or-more:SET",
// "clone-one-or-more:ID"); the ordering edges between them; and one
// ResourceChange per line of crm_simulate's "Transition Summary".
//
// schedule() is the scheduler's pure entry point: WorkingSet in, Transition
// out, no clock and no globals. The Transition owns copies of every id.
//
// Ordering contract: `actions` are in the transition graph's synapse order
// (per resource in configuration order, its actions newest first; then
// constraint pseudo actions; node actions last, newest first) and
// `orderings` say which action must be confirmed before which;
// execute_order() in crm/sched_graph_print.h runs them the way crm_simulate's
// graph executor does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "crm/sched_place.h"
#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

// kClearFailcount: the controller clears rsc's fail count on node.
enum class ActionKind { kResource, kPseudo, kFence, kShutdown, kClearFailcount };

struct Action {
  int id = 0;  // index into Transition::actions
  ActionKind kind = ActionKind::kResource;
  std::string rsc;   // "" for node actions
  std::string task;  // start stop monitor (interval 0: a probe) cancel delete stonith do_shutdown
  std::string node;
  std::int64_t interval_ms = 0;
  std::string fence_type;  // kFence: "reboot", "off"
  // The name crm_simulate prints for a resource action when it differs from
  // rsc (an anonymous clone instance known by its history name).
  std::string label{};
};

// `first` must be confirmed before `then` may run (ids into actions).
struct Ordering {
  int first = 0;
  int then = 0;
};

// One "Transition Summary" line for a resource: change is Start, Stop, Move,
// Recover, Restart, Promote, Demote; origin/destination are nodes ("" when
// not applicable).
struct ResourceChange {
  std::string change;
  std::string rsc;
  std::string origin;
  std::string destination;
  std::string reason;    // "node availability", "no quorum" ... ("" none)
  bool blocked = false;  // the action cannot run
  // Current and next role; shown when either is a promotable role
  // (kUnknown: not a promotable clone instance).
  Role role = Role::kUnknown;
  Role next_role = Role::kUnknown;
};

struct Fencing {
  std::string node;
  std::string action;  // stonith-action: reboot, off
  std::string reason;  // "peer is no longer part of the cluster" ...
};

struct Transition {
  Placement placement;
  std::vector<Fencing> fencing;         // node order
  std::vector<ResourceChange> changes;  // resource configuration order
  std::vector<Action> actions;          // graph order (see above)
  std::vector<Ordering> orderings;
  std::vector<std::string> fenced_nodes;  // nodes that end up down
};

// Recurring-monitor interval of a configured op ("10s", "1m", "500ms", "30")
// in milliseconds; 0 when not recurring or unparsable.
std::int64_t op_interval_ms(const Op& op);

// The whole scheduler: score, assign, create actions, order.
Transition schedule(const WorkingSet& ws);

}  // namespace quorate::crm::sched
