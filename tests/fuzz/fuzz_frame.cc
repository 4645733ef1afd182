// libFuzzer target: arbitrary bytes into FrameOpener::open, for an
// unauthenticated configuration (none/none, where well-formed input reaches
// the replay windows and payload copy) and an authenticated, encrypted one
// (sha256/aes256, where input must be rejected before decryption unless the
// MAC verifies). Openers live for the whole run so replay state accumulates
// across inputs, as it does in the daemon.
//
// Invariants checked: open never crashes; an accepted frame's payload has the
// length the frame implies; sha256/aes256 accepts nothing the fuzzer makes up
// except re-fed genuine frames, which the first input byte can request.
//
// Single-threaded, like libFuzzer's default driver.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/crypto.h"

namespace {

using quorate::crypto::Cipher;
using quorate::crypto::FrameOpener;
using quorate::crypto::FrameSealer;
using quorate::crypto::Hash;
using quorate::crypto::OpenedFrame;

struct Targets {
  std::string key = std::string(256, '\x5a');
  FrameOpener plain = must(FrameOpener::create("", Hash::kNone, Cipher::kNone));
  FrameOpener secure = must(FrameOpener::create(key, Hash::kSha256, Cipher::kAes256));
  FrameSealer sealer = must(FrameSealer::create(key, Hash::kSha256, Cipher::kAes256, 1, 1));

  template <typename T>
  static T must(quorate::Result<T> r) {
    if (!r.ok()) std::abort();
    return std::move(r).value();
  }
};

Targets& targets() {
  static Targets t;  // fuzz harness only; production code keeps no globals
  return t;
}

void check_payload_size(const std::variant<OpenedFrame, quorate::crypto::DropReason>& r,
                        size_t frame_size, size_t overhead) {
  if (const auto* f = std::get_if<OpenedFrame>(&r)) {
    if (f->payload.size() + overhead != frame_size) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Targets& t = targets();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  check_payload_size(t.plain.open(bytes), size, quorate::crypto::kFrameHeaderBytes);

  // Forged input must never authenticate.
  auto r = t.secure.open(bytes);
  if (std::holds_alternative<OpenedFrame>(r)) std::abort();

  // Input starting with 0xff: seal the rest, then open the genuine frame
  // (must succeed once) and a copy with the byte at data[1] flipped (must not).
  if (size >= 2 && data[0] == 0xff) {
    const std::string frame = t.sealer.seal(bytes.substr(2));
    auto good = t.secure.open(frame);
    const auto* f = std::get_if<OpenedFrame>(&good);
    if (f == nullptr || f->payload != bytes.substr(2)) std::abort();
    if (std::holds_alternative<OpenedFrame>(t.secure.open(frame))) std::abort();  // replay
    std::string bad = frame;
    const size_t pos = data[1] % bad.size();
    bad[pos] = static_cast<char>(bad[pos] ^ 0x01);
    if (std::holds_alternative<OpenedFrame>(t.secure.open(bad))) std::abort();
  }
  return 0;
}
