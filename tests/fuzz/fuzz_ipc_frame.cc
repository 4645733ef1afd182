// libFuzzer target: arbitrary bytes as an IPC stream (what any local user can
// send to quorated's socket). The decoder must never crash or hang, must give
// the same frames however the input is split, every frame it returns must
// re-encode to exactly the bytes it came from, and parsing a payload as a
// Request must be safe.
//
//   clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I. -Ibuild/proto -Ibuild \
//     tests/fuzz/fuzz_ipc_frame.cc common/ipc_frame.cc build/proto/ipc.pb.cc -lprotobuf -lfmt
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "common/ipc_frame.h"
#include "proto/ipc.pb.h"

namespace {

struct Decoded {
  std::vector<std::string> frames;
  bool failed = false;
};

Decoded decode(std::string_view input, size_t cut) {
  quorate::IpcFrameDecoder d;
  Decoded out;
  out.failed = !d.feed(input.substr(0, cut)).ok();
  if (!out.failed) out.failed = !d.feed(input.substr(cut)).ok();
  std::string p;
  while (d.next(&p)) out.frames.push_back(p);
  if (out.failed != d.failed()) std::abort();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t cut = data[0] % size;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const Decoded whole = decode(input, input.size());
  const Decoded split = decode(input, cut < input.size() ? cut : input.size());
  if (whole.frames != split.frames || whole.failed != split.failed) std::abort();

  std::string reencoded;
  for (const std::string& f : whole.frames) {
    if (f.empty() || f.size() > quorate::kMaxIpcFrame) std::abort();
    quorate::append_ipc_frame(reencoded, f);
    quorate::ipc::Request request;
    (void)request.ParseFromString(f);
  }
  if (input.substr(0, reencoded.size()) != reencoded) std::abort();
  return 0;
}
