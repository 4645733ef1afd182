// libFuzzer target: arbitrary bytes as a Pacemaker CIB XML document. Every
// input must end in a Cib or an Error naming the origin (never a crash, hang
// or leak), and a Cib that parses must survive write -> parse unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "crm/cib_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  quorate::Result<quorate::crm::Cib> r = quorate::crm::parse_cib_xml(text, "fuzz.xml");
  if (!r.ok()) {
    if (r.error().message.rfind("fuzz.xml:", 0) != 0) std::abort();
    return 0;
  }
  const std::string written = quorate::crm::write_cib_xml(r.value());
  quorate::Result<quorate::crm::Cib> again = quorate::crm::parse_cib_xml(written, "again.xml");
  if (!again.ok() || !(again.value() == r.value())) std::abort();
  return 0;
}
