// Scheduler stage 5 — print — and the simulated execution of a Transition
// (crm/sched_actions.h) as crm_simulate (Pacemaker 2.1.5) shows it: the
// "Transition Summary:" lines, the "Executing Cluster Transition:" lines in
// the order the graph executor fires them, and the working set after every
// action succeeded (for "Revised Cluster Status:").
//
// Pure functions over values; no globals (Pacemaker's column widths, static
// there, are computed per summary here).
#pragma once

#include <string>
#include <vector>

#include "crm/sched_actions.h"
#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

// The lines under "Transition Summary:", each "  * ..." and ending in "\n".
std::string render_transition_summary(const Transition& t);

// Action ids in the order crm_simulate fires them: repeated passes over the
// actions in graph order, each firing every action whose predecessors are all
// confirmed (a fired action is confirmed at once, as in a simulation).
std::vector<int> execute_order(const Transition& t);

// One action as crm_simulate prints it ("  * Resource action: rsc ...").
std::string render_action(const Action& a);

// The lines under "Executing Cluster Transition:".
std::string render_executed(const Transition& t);

// `ws` after every action of `t` succeeded: stopped primitives inactive,
// started ones active on their node, fenced nodes down. Pass an rvalue when
// `ws` is not needed afterwards: its histories are then not copied.
WorkingSet revised_working_set(WorkingSet ws, const Transition& t);

}  // namespace quorate::crm::sched
