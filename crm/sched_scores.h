// What `crm_simulate -s` (--show-scores) prints: the allocation scores of
// every resource the scheduler assigns, per node, and the promotion score of
// each promotable clone instance, in Pacemaker 2.1.5's line format:
//
//   pcmk__primitive_assign: RSC allocation score on NODE: SCORE
//   pcmk__group_assign: RSC allocation score on NODE: SCORE
//   pcmk__clone_allocate: RSC allocation score on NODE: SCORE
//   RSC promotion score on NODE: SCORE        (NODE "none" when unplaced)
//
// Built from the placement (crm/sched_place.h): the scores a primitive is
// assigned with are the ones its node was chosen from (assign_scores, with
// colocations applied), else its allocation scores with the constraints a
// group or clone adds at assignment time (a group member follows the member
// before it; a clone instance cannot go to a node that already holds
// clone-node-max instances assigned before it, nor to one that cannot run
// resources). Lines are returned sorted, the form of the
// corpus's scores files; Pacemaker prints them in assignment order.
// Pure functions; thread-safe as far as the const inputs are.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crm/sched_place.h"
#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

// The score lines (without "\n"), sorted.
std::vector<std::string> score_lines(const WorkingSet& ws, const Placement& placement);

// Parses `xml` (named `origin` in errors), unpacks and places it, and
// returns its score lines.
Result<std::vector<std::string>> score_lines_xml(std::string_view xml, const std::string& origin);

// The same lines, each ending in "\n".
std::string render_scores(const WorkingSet& ws, const Placement& placement);

}  // namespace quorate::crm::sched
