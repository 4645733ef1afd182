// crm_simulate's offline run as a library: CIB XML in, the text that
// `crm_simulate -x CIB.xml -S` prints out (current status, transition summary,
// executed actions, revised status), or the same as JSON. Pure: reads no
// files and no clock; the cli and the conformance runner both call this.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crm/cib.h"

namespace quorate::crm::sched {

struct SimulateOptions {
  bool json = false;
  // -s: the allocation and promotion scores (crm/sched_scores.h), as an
  // "Allocation Scores:" section after the current status.
  bool show_scores = false;
  // -Q: leave out the status sections; with -s only the score lines.
  bool quiet = false;
};

// The whole simulation output for a parsed CIB.
std::string simulate(const Cib& cib, const SimulateOptions& options);

// The same after crm_simulate's injections (sched_inject.h): the current
// status of `before`, a "Performing Requested Modifications:" section with
// `modifications` (one line each), and the transition of `after`.
std::string simulate(const Cib& before, const Cib& after, const std::vector<std::string>& modifications,
                     const SimulateOptions& options);

// Parses `xml` (named `origin` in errors) and simulates it.
Result<std::string> simulate_xml(std::string_view xml, const std::string& origin,
                                 const SimulateOptions& options);

}  // namespace quorate::crm::sched
