// Renders a WorkingSet's "cluster status" as crm_simulate (Pacemaker 2.1.5)
// prints it: the node list and the full list of resources, in text (the
// indented `  * Node List:` layout, after the corpus normalization: Promoted /
// Unpromoted, ocf:provider) or as JSON. Pure functions over values.
#pragma once

#include <string>

#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

struct StatusOptions {
  // Show in-flight operations ("Starting node1", "(Monitoring)"), as
  // crm_simulate does for the current status but not the revised one.
  bool show_pending = true;
};

// "  * Node List:\n ... \n\n  * Full List of Resources:\n ..." without the
// heading line ("Current cluster status:").
std::string render_status_text(const WorkingSet& ws);
std::string render_status_text(const WorkingSet& ws, const StatusOptions& options);

// The lines crm_simulate prints before "Current cluster status:": the
// execution date of a recorded CIB and the count of disabled / blocked
// resource instances (when any). Each line ends in "\n"; "" when none.
std::string render_status_preamble(const WorkingSet& ws);

// The same content as a JSON document (nodes and resources with roles).
std::string render_status_json(const WorkingSet& ws);

}  // namespace quorate::crm::sched
