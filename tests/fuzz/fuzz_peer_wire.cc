// libFuzzer target: arbitrary bytes from a replication peer. The frame reader
// must either yield well-formed messages or an Error (never a crash, a hang
// or an out-of-bounds read), and every message it yields must encode back to
// a frame that decodes to the same type. The first byte picks how the input
// is chunked, as TCP would split it.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "replication/peer_wire.h"

namespace wire = quorate::replication::wire;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = 1 + data[0] % 64;
  std::span<const uint8_t> in(data + 1, size - 1);
  wire::FrameReader reader;
  size_t frames = 0;
  for (size_t off = 0; off < in.size(); off += chunk) {
    reader.feed(in.subspan(off, std::min(chunk, in.size() - off)));
    while (true) {
      auto f = reader.next();
      if (!f.ok()) {
        if (f.error().message.empty()) std::abort();
        return 0;  // the stream is unusable after an error, as the engine treats it
      }
      if (!f->has_value()) break;
      ++frames;
      const wire::Frame& fr = **f;
      wire::Encoded e = wire::encode(fr.type, fr.message);
      std::vector<uint8_t> bytes = e.head;
      if (e.payload) bytes.insert(bytes.end(), e.payload->begin(), e.payload->end());
      wire::FrameReader again;
      again.feed(bytes);
      auto back = again.next();
      if (!back.ok() || !back->has_value() || (**back).type != fr.type) std::abort();
      if ((**back).message.index() != fr.message.index()) std::abort();
    }
  }
  if (frames > in.size()) std::abort();  // every frame takes at least a header
  return 0;
}
