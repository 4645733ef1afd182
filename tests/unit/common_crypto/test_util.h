// Helpers shared by the common_crypto tests: deterministic keys and payloads,
// and reference_seal(), a deliberately naive one-shot implementation of
// docs/formats/totem-frame.md (fresh OpenSSL objects per call) that the
// production FrameSealer must match byte for byte.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/crypto.h"

namespace quorate::crypto::test {

struct Combo {
  Hash hash;
  Cipher cipher;
};

inline constexpr std::array<Combo, 20> kAllCombos = [] {
  std::array<Combo, 20> out{};
  size_t i = 0;
  for (Hash h : {Hash::kNone, Hash::kSha1, Hash::kSha256, Hash::kSha384, Hash::kSha512}) {
    for (Cipher c : {Cipher::kNone, Cipher::kAes128, Cipher::kAes192, Cipher::kAes256}) {
      out[i++] = Combo{h, c};
    }
  }
  return out;
}();

// Test-name suffix for parameterised suites, e.g. "sha256_aes256".
inline std::string combo_name(const testing::TestParamInfo<Combo>& info) {
  return std::string(to_string(info.param.hash)) + "_" + to_string(info.param.cipher);
}

// 256 bytes, different for every seed.
std::string make_key(uint8_t seed);
// n bytes of a simple non-constant pattern.
std::string pattern(size_t n, uint8_t seed);
uint64_t be64(std::string_view s, size_t at);

std::string reference_seal(std::string_view authkey, Hash hash, Cipher cipher, uint32_t nodeid,
                           uint64_t incarnation, uint64_t counter, std::string_view payload);

}  // namespace quorate::crypto::test
