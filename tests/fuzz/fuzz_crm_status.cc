// libFuzzer target: arbitrary bytes as the CIB file of crm_mon and
// crm_simulate -s. Whatever parses as a CIB must unpack to a working set or
// an Error, and every screen of crm_mon (all sections, -n, JSON) and the
// score lines must render without a crash, a hang or a leak; the JSON must
// be valid JSON.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "crm/cib_xml.h"
#include "crm/mon_render.h"
#include "crm/sched_place.h"
#include "crm/sched_scores.h"
#include "crm/sched_unpack.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sched = quorate::crm::sched;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto cib = quorate::crm::parse_cib_xml(text, "fuzz.xml");
  if (!cib.ok()) return 0;
  auto ws = sched::unpack_working_set(cib.value());
  if (!ws.ok()) return 0;
  sched::MonOptions all;
  all.inactive = all.fail_counts = all.node_attributes = all.negative_locations = true;
  all.operations = true;
  all.last_updated = "now";
  if (sched::render_mon_text(ws.value(), all).empty()) std::abort();
  all.group_by_node = true;
  if (sched::render_mon_text(ws.value(), all).empty()) std::abort();
  if (!nlohmann::json::accept(sched::render_mon_json(ws.value(), all))) std::abort();
  (void)sched::score_lines(ws.value(), sched::place(ws.value()));
  return 0;
}
