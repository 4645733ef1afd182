// crm_mon's one-shot screen, as Pacemaker 2.1.5's `crm_mon -1` prints it in
// text: "Cluster Summary:", "Node List:" (or resources grouped by node with
// -n), "Active Resources:" / "Full List of Resources:" (the resource lines
// are crm/sched_status.h's), and the optional sections node attributes (-A),
// migration summary (-f), operations (-o), failed resource actions and
// negative location constraints (-L); or the same content as JSON.
//
// Pure functions over a WorkingSet (whose `cib` must be set): no clock and no
// time zone are read here — "Last updated" is given by the caller and times
// recorded in the CIB are formatted by MonOptions::format_time. Thread-safe
// as far as the const inputs are.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

struct MonOptions {
  bool inactive = false;            // -r: "Full List of Resources" (stopped ones too)
  bool group_by_node = false;       // -n
  bool fail_counts = false;         // -f: "Migration Summary"
  bool node_attributes = false;     // -A
  bool negative_locations = false;  // -L
  bool operations = false;          // -o: operation history
  // The text after "Last updated: " (crm_mon prints the time it ran).
  std::string last_updated;
  // Formats seconds since the epoch as ctime does, without the newline
  // ("Fri Jul 13 13:51:13 2012"). Default (empty): UTC.
  std::function<std::string(std::int64_t unix_s)> format_time{};
};

// ctime-style UTC text of `unix_s`: "Thu Jan  1 00:00:00 1970".
std::string format_time_utc(std::int64_t unix_s);

// The whole text screen, ending in "\n".
std::string render_mon_text(const WorkingSet& ws, const MonOptions& options);

// The same content as one JSON document (summary, nodes, resources,
// node attributes, fail counts, failed actions, negative locations).
std::string render_mon_json(const WorkingSet& ws, const MonOptions& options);

}  // namespace quorate::crm::sched
