// Stages of a simulation: parse -> unpack -> schedule -> render.
#include "crm/sched_simulate.h"

#include <sstream>
#include <utility>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"
#include "crm/sched_scores.h"
#include "crm/sched_status.h"
#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

std::string simulate(const Cib& cib, const SimulateOptions& options) { return simulate(cib, cib, {}, options); }

std::string simulate(const Cib& before, const Cib& cib, const std::vector<std::string>& modifications,
                     const SimulateOptions& options) {
  auto ws = unpack_working_set(cib);
  if (!ws.ok()) return "error: " + ws.error().message + "\n";
  if (options.json) {
    return "{\"current\":" + render_status_json(*ws) + "}\n";
  }
  if (options.show_scores && options.quiet) return render_scores(*ws, place(*ws));
  std::ostringstream out;
  std::string status = render_status_text(*ws);
  if (!modifications.empty()) {
    auto was = unpack_working_set(before);
    if (!was.ok()) return "error: " + was.error().message + "\n";
    status = render_status_text(*was);
  }
  const std::string preamble = render_status_preamble(*ws);
  if (!preamble.empty()) out << preamble << "\n";
  out << "Current cluster status:\n" << status << "\n";
  if (!modifications.empty()) {
    out << "Performing Requested Modifications:\n";
    for (const std::string& m : modifications) out << "  * " << m << "\n";
    out << "\n";
  }
  const Transition transition = schedule(*ws);
  if (options.show_scores)
    out << "Allocation Scores:\n" << render_scores(*ws, transition.placement) << "\n";
  out << "Transition Summary:\n" << render_transition_summary(transition) << "\n";
  out << "Executing Cluster Transition:\n" << render_executed(transition);
  if (!ws->execution_date.empty())
    out << "Using the original execution date of: " << ws->execution_date << "\n";
  out << "\n";
  // crm_simulate shows in-flight operations only in the current status.
  out << "Revised Cluster Status:\n"
      << render_status_text(revised_working_set(std::move(*ws), transition),
                            StatusOptions{.show_pending = false});
  return out.str();
}

Result<std::string> simulate_xml(std::string_view xml, const std::string& origin,
                                 const SimulateOptions& options) {
  auto cib = parse_cib_xml(xml, origin);
  if (!cib.ok()) return cib.error();
  return simulate(*cib, options);
}

}  // namespace quorate::crm::sched
