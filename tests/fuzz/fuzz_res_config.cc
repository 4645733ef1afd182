// libFuzzer target: arbitrary bytes as a DRBD resource file. Every input must
// end in a ReplicationConfig or an Error naming the file (never a crash, hang
// or leak); every warning names the file; and every resource that loads must
// format to text that parses back to an equal resource.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "replication/res_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using quorate::replication::ReplicationConfig;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  quorate::Result<ReplicationConfig> r = quorate::replication::parse_replication_config(text, "fuzz.res", &warnings);
  if (r.ok()) {
    for (const auto& res : r.value().resources) {
      const std::string formatted = quorate::replication::format_resource(res);
      quorate::Result<ReplicationConfig> again =
          quorate::replication::parse_replication_config(formatted, "formatted.res", nullptr);
      if (!again.ok() || again.value().resources.size() != 1 || !(again.value().resources[0] == res)) std::abort();
    }
  } else if (r.error().message.rfind("fuzz.res:", 0) != 0) {
    std::abort();
  }
  for (const std::string& w : warnings) {
    if (w.rfind("fuzz.res:", 0) != 0) std::abort();
  }
  return 0;
}
