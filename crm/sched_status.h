// Renders a WorkingSet's "cluster status" as crm_simulate (Pacemaker 2.1.5)
// prints it: the node list and the full list of resources, in text (the
// indented `  * Node List:` layout, after the corpus normalization: Promoted /
// Unpromoted, ocf:provider) or as JSON. Pure functions over values.
#pragma once

#include <cstdint>

#include <string>

#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

struct StatusOptions {
  // Show in-flight operations ("Starting node1", "(Monitoring)"), as
  // crm_simulate does for the current status but not the revised one.
  bool show_pending = true;
  // Indentation level of the section headings: 1 for crm_simulate's
  // "  * Node List:", 0 for crm_mon's "Node List:" (items one level deeper).
  int level = 1;
  // Show inactive resources (crm_simulate, crm_mon -r); false is crm_mon's
  // default "Active Resources:" list, without stopped resources or a clone's
  // Stopped line.
  bool show_inactive = true;
  // Leave the node out of primitive lines (crm_mon -n lists them under
  // their node).
  bool hide_node = false;
};

// "  * Node List:\n ... \n\n  * Full List of Resources:\n ..." without the
// heading line ("Current cluster status:").
std::string render_status_text(const WorkingSet& ws);
std::string render_status_text(const WorkingSet& ws, const StatusOptions& options);

// The two sections of render_status_text, each with its heading line:
// "Node List:" and "Full List of Resources:" / "Active Resources:" (with
// "No active resources" / "No resources" when nothing is listed).
std::string render_node_list(const WorkingSet& ws, const StatusOptions& options);
std::string render_resource_list(const WorkingSet& ws, const StatusOptions& options);

// One resource line or block as the resource list prints it, at indentation
// `level` (crm_resource and crm_mon -n reuse it). `r` must belong to `ws`.
std::string render_resource(const WorkingSet& ws, const WsResource& r, int level,
                            const StatusOptions& options);

// One primitive's line, showing it as `name`; `promotable`: it is an instance
// of a promotable clone (Started shows as Unpromoted).
std::string render_primitive_line(const WorkingSet& ws, const WsResource& primitive,
                                  const std::string& name, int level, bool promotable,
                                  const StatusOptions& options);

// The lines crm_simulate prints before "Current cluster status:": the
// execution date of a recorded CIB and the count of disabled / blocked
// resource instances (when any). Each line ends in "\n"; "" when none.
std::string render_status_preamble(const WorkingSet& ws);

// The same content as a JSON document (nodes and resources with roles).
std::string render_status_json(const WorkingSet& ws);

// An OCF exit code in Pacemaker's words ("not running", "promoted" ...;
// "unknown" for codes it has no name for).
const char* ocf_exit_text(std::int64_t rc);

}  // namespace quorate::crm::sched
