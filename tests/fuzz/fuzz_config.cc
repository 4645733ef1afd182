// libFuzzer target: arbitrary bytes as a cluster file. Every input must end in
// a ClusterConfig or an Error naming the file (never a crash, hang or leak),
// and a config that loads must describe itself and hold a nodelist.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. \
//     tests/fuzz/fuzz_config.cc common/conf_tree.cc membership/cluster_config.cc -lfmt
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "membership/cluster_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> warnings;
  quorate::Result<quorate::membership::ClusterConfig> r =
      quorate::membership::parse_cluster_config(text, "fuzz.conf", &warnings);
  if (r.ok()) {
    if (r.value().nodes.empty()) std::abort();
    const std::string described = quorate::membership::describe_effective(r.value());
    if (described.empty()) std::abort();
  } else if (r.error().message.rfind("fuzz.conf:", 0) != 0) {
    std::abort();
  }
  for (const std::string& w : warnings) {
    if (w.rfind("fuzz.conf:", 0) != 0) std::abort();
  }
  return 0;
}
