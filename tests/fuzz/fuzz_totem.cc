// libFuzzer target: bytes from the network into a Totem core (the packet
// decoder and every handler behind it). The first byte picks the claimed
// sender; the rest is one datagram. A run feeds several datagrams split at
// 0xff 0x00 pairs into one node, so that handlers see sequences, not only
// first packets.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "membership/totem.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quorate::membership;
  TotemParams p;
  p.token_ms = 1000;
  p.consensus_ms = 1200;
  Time now = ms(1);
  Totem t(1, {1, 2, 3, 4}, p, 7, 0, now);
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (!in.empty()) {
    size_t cut = in.find(std::string_view("\xff\x00", 2));
    std::string_view one = in.substr(0, cut);
    in = cut == std::string_view::npos ? std::string_view() : in.substr(cut + 2);
    if (one.empty()) continue;
    NodeId from = static_cast<uint8_t>(one[0]) % 5;  // 0 and unknown ids included
    now += ms(7);
    (void)t.step(input::Receive{from, one.substr(1)}, now);
    (void)t.step(input::Tick{}, now);
    (void)t.take_ready();
  }
  return 0;
}
