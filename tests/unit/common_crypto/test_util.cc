// See test_util.h.
#include "tests/unit/common_crypto/test_util.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace quorate::crypto::test {

std::string make_key(uint8_t seed) {
  std::string k(256, '\0');
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<char>((i * 131 + seed * 17 + 1) & 0xff);
  return k;
}

std::string pattern(size_t n, uint8_t seed) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + seed) & 0xff);
  return s;
}

uint64_t be64(std::string_view s, size_t at) {
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(s[at + i]);
  return v;
}

namespace {

std::string hmac(const char* digest, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, digest, nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, sizeof out,
                &len) == nullptr) {
    std::abort();
  }
  return std::string(reinterpret_cast<char*>(out), len);
}

}  // namespace

std::string reference_seal(std::string_view authkey, Hash hash, Cipher cipher, uint32_t nodeid,
                           uint64_t incarnation, uint64_t counter, std::string_view payload) {
  std::string frame;
  frame += '\x51';
  frame += '\x01';
  frame += static_cast<char>(hash);
  frame += static_cast<char>(cipher);
  for (int i = 3; i >= 0; --i) frame += static_cast<char>((nodeid >> (8 * i)) & 0xff);
  for (int i = 7; i >= 0; --i) frame += static_cast<char>((incarnation >> (8 * i)) & 0xff);
  for (int i = 7; i >= 0; --i) frame += static_cast<char>((counter >> (8 * i)) & 0xff);

  if (cipher == Cipher::kNone) {
    frame += payload;
  } else {
    const char* name = cipher == Cipher::kAes128   ? "AES-128-CTR"
                       : cipher == Cipher::kAes192 ? "AES-192-CTR"
                                                   : "AES-256-CTR";
    const size_t keylen = cipher == Cipher::kAes128 ? 16 : cipher == Cipher::kAes192 ? 24 : 32;
    const std::string key = hmac("SHA256", authkey, "quorate totem cipher v1").substr(0, keylen);
    unsigned char iv[EVP_MAX_MD_SIZE];
    unsigned int ivlen = 0;
    const std::string_view ids = std::string_view(frame).substr(4, 20);
    if (EVP_Digest(ids.data(), ids.size(), iv, &ivlen, EVP_sha256(), nullptr) != 1) std::abort();
    std::unique_ptr<EVP_CIPHER_CTX, void (*)(EVP_CIPHER_CTX*)> ctx(EVP_CIPHER_CTX_new(),
                                                                   EVP_CIPHER_CTX_free);
    std::unique_ptr<EVP_CIPHER, void (*)(EVP_CIPHER*)> c(EVP_CIPHER_fetch(nullptr, name, nullptr),
                                                         EVP_CIPHER_free);
    std::string out(payload.size() + 16, '\0');
    int n1 = 0, n2 = 0;
    if (EVP_EncryptInit_ex2(ctx.get(), c.get(), reinterpret_cast<const unsigned char*>(key.data()),
                            iv, nullptr) != 1 ||
        EVP_EncryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n1,
                          reinterpret_cast<const unsigned char*>(payload.data()),
                          static_cast<int>(payload.size())) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()) + n1, &n2) !=
            1) {
      std::abort();
    }
    out.resize(static_cast<size_t>(n1 + n2));
    frame += out;
  }

  if (hash != Hash::kNone) {
    const char* digest = hash == Hash::kSha1     ? "SHA1"
                         : hash == Hash::kSha256 ? "SHA256"
                         : hash == Hash::kSha384 ? "SHA384"
                                                 : "SHA512";
    const std::string mac_key = hmac("SHA256", authkey, "quorate totem mac v1");
    frame += hmac(digest, mac_key, frame);
  }
  return frame;
}

}  // namespace quorate::crypto::test
