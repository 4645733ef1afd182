// Totem frame protection and authkey file handling over OpenSSL 3 (EVP,
// EVP_MAC). See common/crypto.h for the contract and
// docs/formats/totem-frame.md for the wire layout.
//
// FrameEngine holds the per-configuration OpenSSL state: an HMAC context keyed
// once with mac_key, an AES-CTR context keyed once with cipher_key, and a
// SHA-256 context for the per-frame IV. Each packet re-initialises them
// without re-keying (EVP_MAC_init with a null key, EVP_EncryptInit_ex2 with a
// null cipher and key), so no allocation or key schedule happens per packet.
// Derived key bytes live only on the stack of FrameEngine::create and are
// wiped there; the contexts hold their own copies.
//
// ReplayWindows keeps, per sender nodeid, the highest incarnation accepted
// and an IPsec-style 128-packet sliding window for it.
//
// Not thread-safe (see crypto.h).
#include "common/crypto.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bitset>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <system_error>
#include <unordered_map>
#include <utility>

namespace quorate::crypto {

// ---- small helpers ---------------------------------------------------------
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using MacPtr = std::unique_ptr<EVP_MAC, Deleter<EVP_MAC_free>>;
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, Deleter<EVP_MAC_CTX_free>>;
using CipherPtr = std::unique_ptr<EVP_CIPHER, Deleter<EVP_CIPHER_free>>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, Deleter<EVP_CIPHER_CTX_free>>;
using MdPtr = std::unique_ptr<EVP_MD, Deleter<EVP_MD_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX_free>>;

constexpr size_t kIvBytes = 16;
constexpr size_t kMaxMacBytes = EVP_MAX_MD_SIZE;
constexpr size_t kDerivedKeyBytes = 32;  // HMAC-SHA256 output
constexpr std::string_view kMacKeyLabel = "quorate totem mac v1";
constexpr std::string_view kCipherKeyLabel = "quorate totem cipher v1";

// Drains OpenSSL's thread-local error queue into one line.
std::string openssl_error() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? std::string("unknown OpenSSL error") : out;
}

// Per-packet OpenSSL calls fail only when memory runs out; a frame must not
// leave unprotected nor be accepted unchecked, so stop.
[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "quorate: fatal: OpenSSL %s failed: %s\n", what, openssl_error().c_str());
  std::abort();
}

std::string errno_text(int err) { return std::error_code(err, std::generic_category()).message(); }

const uint8_t* bytes_of(std::string_view s) { return reinterpret_cast<const uint8_t*>(s.data()); }

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 3; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v = (v << 8) | p[i];
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
  return v;
}

const char* digest_name(Hash h) {
  switch (h) {
    case Hash::kSha1:
      return "SHA1";
    case Hash::kSha256:
      return "SHA256";
    case Hash::kSha384:
      return "SHA384";
    case Hash::kSha512:
      return "SHA512";
    case Hash::kNone:
      break;
  }
  return nullptr;
}

const char* cipher_name(Cipher c) {
  switch (c) {
    case Cipher::kAes128:
      return "AES-128-CTR";
    case Cipher::kAes192:
      return "AES-192-CTR";
    case Cipher::kAes256:
      return "AES-256-CTR";
    case Cipher::kNone:
      break;
  }
  return nullptr;
}

size_t cipher_key_bytes(Cipher c) {
  switch (c) {
    case Cipher::kAes128:
      return 16;
    case Cipher::kAes192:
      return 24;
    case Cipher::kAes256:
      return 32;
    case Cipher::kNone:
      break;
  }
  return 0;
}

bool valid(Hash h) { return static_cast<uint8_t>(h) <= static_cast<uint8_t>(Hash::kSha512); }
bool valid(Cipher c) { return static_cast<uint8_t>(c) <= static_cast<uint8_t>(Cipher::kAes256); }

// out = HMAC-SHA256(authkey, label); 32 bytes.
bool derive(std::string_view authkey, std::string_view label, uint8_t* out) {
  size_t len = 0;
  const unsigned char* r =
      EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, authkey.data(), authkey.size(),
                bytes_of(label), label.size(), out, kDerivedKeyBytes, &len);
  return r != nullptr && len == kDerivedKeyBytes;
}

// Wipes a stack buffer when leaving scope.
struct Wipe {
  void* p;
  size_t n;
  ~Wipe() { OPENSSL_cleanse(p, n); }
};

}  // namespace

const char* to_string(Hash h) {
  switch (h) {
    case Hash::kNone:
      return "none";
    case Hash::kSha1:
      return "sha1";
    case Hash::kSha256:
      return "sha256";
    case Hash::kSha384:
      return "sha384";
    case Hash::kSha512:
      return "sha512";
  }
  return "invalid";
}

const char* to_string(Cipher c) {
  switch (c) {
    case Cipher::kNone:
      return "none";
    case Cipher::kAes128:
      return "aes128";
    case Cipher::kAes192:
      return "aes192";
    case Cipher::kAes256:
      return "aes256";
  }
  return "invalid";
}

const char* to_string(DropReason r) {
  switch (r) {
    case DropReason::kTruncated:
      return "truncated";
    case DropReason::kBadMagic:
      return "bad_magic";
    case DropReason::kBadVersion:
      return "bad_version";
    case DropReason::kAlgMismatch:
      return "alg_mismatch";
    case DropReason::kBadMac:
      return "bad_mac";
    case DropReason::kReplayed:
      return "replayed";
    case DropReason::kOldIncarnation:
      return "old_incarnation";
  }
  return "invalid";
}

size_t mac_bytes(Hash h) {
  switch (h) {
    case Hash::kNone:
      return 0;
    case Hash::kSha1:
      return 20;
    case Hash::kSha256:
      return 32;
    case Hash::kSha384:
      return 48;
    case Hash::kSha512:
      return 64;
  }
  return 0;
}

// ---- FrameEngine -----------------------------------------------------------
namespace detail {

class FrameEngine {
 public:
  static Result<std::unique_ptr<FrameEngine>> create(std::string_view authkey, Hash hash,
                                                     Cipher cipher) {
    if (!valid(hash)) {
      return Error{fmt::format("invalid hash id {}", static_cast<unsigned>(hash))};
    }
    if (!valid(cipher)) {
      return Error{fmt::format("invalid cipher id {}", static_cast<unsigned>(cipher))};
    }
    if (authkey.empty() && (hash != Hash::kNone || cipher != Cipher::kNone)) {
      return Error{
          fmt::format("crypto_hash {} / crypto_cipher {} needs an authkey, got an empty one",
                      to_string(hash), to_string(cipher))};
    }
    std::unique_ptr<FrameEngine> e(new FrameEngine(hash, cipher));

    if (hash != Hash::kNone) {
      uint8_t mac_key[kDerivedKeyBytes];
      Wipe wipe{mac_key, sizeof mac_key};
      if (!derive(authkey, kMacKeyLabel, mac_key)) {
        return Error{"deriving the totem MAC key failed: " + openssl_error()};
      }
      MacPtr mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr));
      if (!mac) return Error{"OpenSSL has no HMAC: " + openssl_error()};
      e->mac_ctx_.reset(EVP_MAC_CTX_new(mac.get()));
      if (!e->mac_ctx_) return Error{"EVP_MAC_CTX_new failed: " + openssl_error()};
      OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
                                 OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest_name(hash)), 0),
                             OSSL_PARAM_construct_end()};
      if (EVP_MAC_init(e->mac_ctx_.get(), mac_key, sizeof mac_key, params) != 1) {
        return Error{fmt::format("HMAC-{} unavailable: {}", to_string(hash), openssl_error())};
      }
      if (EVP_MAC_CTX_get_mac_size(e->mac_ctx_.get()) != mac_bytes(hash)) {
        return Error{fmt::format("HMAC-{}: unexpected MAC size", to_string(hash))};
      }
    }

    if (cipher != Cipher::kNone) {
      uint8_t cipher_key[kDerivedKeyBytes];
      Wipe wipe{cipher_key, sizeof cipher_key};
      if (!derive(authkey, kCipherKeyLabel, cipher_key)) {
        return Error{"deriving the totem cipher key failed: " + openssl_error()};
      }
      e->cipher_.reset(EVP_CIPHER_fetch(nullptr, cipher_name(cipher), nullptr));
      if (!e->cipher_) {
        return Error{fmt::format("OpenSSL has no {}: {}", cipher_name(cipher), openssl_error())};
      }
      if (static_cast<size_t>(EVP_CIPHER_get_key_length(e->cipher_.get())) !=
              cipher_key_bytes(cipher) ||
          static_cast<size_t>(EVP_CIPHER_get_iv_length(e->cipher_.get())) != kIvBytes) {
        return Error{fmt::format("{}: unexpected key or IV length", cipher_name(cipher))};
      }
      e->cipher_ctx_.reset(EVP_CIPHER_CTX_new());
      if (!e->cipher_ctx_) return Error{"EVP_CIPHER_CTX_new failed: " + openssl_error()};
      // CTR is its own inverse: one encrypting context serves both directions.
      if (EVP_EncryptInit_ex2(e->cipher_ctx_.get(), e->cipher_.get(), cipher_key, nullptr,
                              nullptr) != 1) {
        return Error{fmt::format("{} key setup failed: {}", cipher_name(cipher), openssl_error())};
      }
      e->sha256_.reset(EVP_MD_fetch(nullptr, "SHA256", nullptr));
      e->md_ctx_.reset(EVP_MD_CTX_new());
      if (!e->sha256_ || !e->md_ctx_) return Error{"SHA-256 setup failed: " + openssl_error()};
    }
    return e;
  }

  Hash hash() const { return hash_; }
  Cipher cipher() const { return cipher_id_; }
  size_t mac_len() const { return mac_len_; }

  // out[0, mac_len) = HMAC(mac_key, data[0, n)). Requires hash != none.
  void mac(const uint8_t* data, size_t n, uint8_t* out) {
    size_t len = 0;
    if (EVP_MAC_init(mac_ctx_.get(), nullptr, 0, nullptr) != 1) die("EVP_MAC_init");
    if (EVP_MAC_update(mac_ctx_.get(), data, n) != 1) die("EVP_MAC_update");
    if (EVP_MAC_final(mac_ctx_.get(), out, &len, mac_len_) != 1) die("EVP_MAC_final");
    if (len != mac_len_) die("EVP_MAC_final length");
  }

  // out[0, n) = in[0, n) XOR AES-CTR keystream with IV derived from the frame
  // header (bytes 4..24). Requires cipher != none.
  void crypt(const uint8_t* header, const uint8_t* in, size_t n, uint8_t* out) {
    uint8_t digest[EVP_MAX_MD_SIZE];
    unsigned int dlen = 0;
    if (EVP_DigestInit_ex2(md_ctx_.get(), sha256_.get(), nullptr) != 1 ||
        EVP_DigestUpdate(md_ctx_.get(), header + 4, kFrameHeaderBytes - 4) != 1 ||
        EVP_DigestFinal_ex(md_ctx_.get(), digest, &dlen) != 1 || dlen < kIvBytes) {
      die("SHA-256 (IV)");
    }
    // Null cipher and key: keep the key schedule, reset the counter block.
    if (EVP_EncryptInit_ex2(cipher_ctx_.get(), nullptr, nullptr, digest, nullptr) != 1) {
      die("EVP_EncryptInit_ex2");
    }
    if (n == 0) return;
    if (n > static_cast<size_t>(INT_MAX)) die("AES-CTR length");
    int outl = 0;
    if (EVP_EncryptUpdate(cipher_ctx_.get(), out, &outl, in, static_cast<int>(n)) != 1 ||
        static_cast<size_t>(outl) != n) {
      die("EVP_EncryptUpdate");
    }
  }

 private:
  FrameEngine(Hash hash, Cipher cipher)
      : hash_(hash), cipher_id_(cipher), mac_len_(mac_bytes(hash)) {}

  Hash hash_;
  Cipher cipher_id_;
  size_t mac_len_;
  MacCtxPtr mac_ctx_;
  CipherPtr cipher_;
  CipherCtxPtr cipher_ctx_;
  MdPtr sha256_;
  MdCtxPtr md_ctx_;
};

// ---- ReplayWindows ---------------------------------------------------------
struct ReplayWindows {
  struct Window {
    uint64_t incarnation = 0;
    uint64_t highest = 0;                    // highest counter accepted
    std::bitset<kReplayWindowPackets> seen;  // bit i: counter (highest - i) accepted
    uint64_t last_accept = 0;                // for eviction
  };

  // Would (sender, incarnation, counter) be fresh? Does not modify anything.
  std::optional<DropReason> check(uint32_t sender, uint64_t incarnation, uint64_t counter) const {
    if (counter == 0) return DropReason::kReplayed;  // counters start at 1
    auto it = by_sender.find(sender);
    if (it == by_sender.end()) return std::nullopt;
    const Window& w = it->second;
    if (incarnation < w.incarnation) return DropReason::kOldIncarnation;
    if (incarnation > w.incarnation) return std::nullopt;
    if (counter > w.highest) return std::nullopt;
    const uint64_t age = w.highest - counter;
    if (age >= kReplayWindowPackets) return DropReason::kReplayed;  // too old to tell
    if (w.seen.test(age)) return DropReason::kReplayed;
    return std::nullopt;
  }

  // Records an authenticated frame that check() accepted.
  void accept(uint32_t sender, uint64_t incarnation, uint64_t counter) {
    auto it = by_sender.find(sender);
    if (it == by_sender.end()) {
      if (by_sender.size() >= FrameOpener::kMaxTrackedSenders) evict_one();
      it = by_sender.emplace(sender, Window{}).first;
      start(it->second, incarnation, counter);
    } else if (Window& w = it->second; incarnation > w.incarnation) {
      start(w, incarnation, counter);  // the sender restarted
    } else if (counter > w.highest) {
      const uint64_t shift = counter - w.highest;
      if (shift >= kReplayWindowPackets) {
        w.seen.reset();
      } else {
        w.seen <<= static_cast<size_t>(shift);
      }
      w.seen.set(0);
      w.highest = counter;
    } else {
      w.seen.set(static_cast<size_t>(w.highest - counter));
    }
    it->second.last_accept = ++accept_clock;
  }

  static void start(Window& w, uint64_t incarnation, uint64_t counter) {
    w.incarnation = incarnation;
    w.highest = counter;
    w.seen.reset();
    w.seen.set(0);
  }

  void evict_one() {
    auto victim = std::min_element(by_sender.begin(), by_sender.end(), [](auto& a, auto& b) {
      return a.second.last_accept < b.second.last_accept;
    });
    if (victim != by_sender.end()) by_sender.erase(victim);
  }

  std::unordered_map<uint32_t, Window> by_sender;
  uint64_t accept_clock = 0;
};

}  // namespace detail

// ---- FrameSealer -----------------------------------------------------------
Result<FrameSealer> FrameSealer::create(std::string_view authkey, Hash hash, Cipher cipher,
                                        uint32_t nodeid, uint64_t incarnation) {
  auto engine = detail::FrameEngine::create(authkey, hash, cipher);
  if (!engine) return engine.error();
  return FrameSealer(std::move(engine).value(), nodeid, incarnation);
}

FrameSealer::FrameSealer(std::unique_ptr<detail::FrameEngine> engine, uint32_t nodeid,
                         uint64_t incarnation)
    : engine_(std::move(engine)), nodeid_(nodeid), incarnation_(incarnation) {}
FrameSealer::FrameSealer(FrameSealer&&) noexcept = default;
FrameSealer& FrameSealer::operator=(FrameSealer&&) noexcept = default;
FrameSealer::~FrameSealer() = default;

size_t FrameSealer::overhead() const { return kFrameHeaderBytes + engine_->mac_len(); }

std::string FrameSealer::seal(std::string_view payload) {
  // 2^64 - 1 frames per incarnation cannot happen; a wrap would reuse IVs.
  if (next_counter_ == UINT64_MAX) die("frame counter exhausted; restart with a new incarnation");
  const size_t mac_len = engine_->mac_len();
  std::string frame(kFrameHeaderBytes + payload.size() + mac_len, '\0');
  auto* p = reinterpret_cast<uint8_t*>(frame.data());
  p[0] = kFrameMagic;
  p[1] = kFrameVersion;
  p[2] = static_cast<uint8_t>(engine_->hash());
  p[3] = static_cast<uint8_t>(engine_->cipher());
  put_u32(p + 4, nodeid_);
  put_u64(p + 8, incarnation_);
  put_u64(p + 16, next_counter_);
  ++next_counter_;

  uint8_t* body = p + kFrameHeaderBytes;
  if (engine_->cipher() != Cipher::kNone) {
    engine_->crypt(p, bytes_of(payload), payload.size(), body);
  } else if (!payload.empty()) {
    std::memcpy(body, payload.data(), payload.size());
  }
  if (mac_len != 0) {
    engine_->mac(p, kFrameHeaderBytes + payload.size(), body + payload.size());
  }
  return frame;
}

// ---- FrameOpener -----------------------------------------------------------
Result<FrameOpener> FrameOpener::create(std::string_view authkey, Hash hash, Cipher cipher) {
  auto engine = detail::FrameEngine::create(authkey, hash, cipher);
  if (!engine) return engine.error();
  return FrameOpener(std::move(engine).value(), std::make_unique<detail::ReplayWindows>());
}

FrameOpener::FrameOpener(std::unique_ptr<detail::FrameEngine> engine,
                         std::unique_ptr<detail::ReplayWindows> windows)
    : engine_(std::move(engine)), windows_(std::move(windows)) {}
FrameOpener::FrameOpener(FrameOpener&&) noexcept = default;
FrameOpener& FrameOpener::operator=(FrameOpener&&) noexcept = default;
FrameOpener::~FrameOpener() = default;

void FrameOpener::forget_sender(uint32_t nodeid) { windows_->by_sender.erase(nodeid); }
size_t FrameOpener::tracked_senders() const { return windows_->by_sender.size(); }

std::variant<OpenedFrame, DropReason> FrameOpener::open(std::string_view bytes) {
  auto drop = [this](DropReason r) {
    ++drops_[static_cast<size_t>(r)];
    return r;
  };
  const uint8_t* p = bytes_of(bytes);
  if (bytes.size() < kFrameHeaderBytes) return drop(DropReason::kTruncated);
  if (p[0] != kFrameMagic) return drop(DropReason::kBadMagic);
  if (p[1] != kFrameVersion) return drop(DropReason::kBadVersion);
  if (p[2] != static_cast<uint8_t>(engine_->hash()) ||
      p[3] != static_cast<uint8_t>(engine_->cipher())) {
    return drop(DropReason::kAlgMismatch);
  }
  const size_t mac_len = engine_->mac_len();
  if (bytes.size() < kFrameHeaderBytes + mac_len) return drop(DropReason::kTruncated);
  const size_t body_end = bytes.size() - mac_len;

  // Authenticate first: nothing below (replay state, decryption) may see an
  // unauthenticated frame.
  if (mac_len != 0) {
    uint8_t expected[kMaxMacBytes];
    engine_->mac(p, body_end, expected);
    if (CRYPTO_memcmp(expected, p + body_end, mac_len) != 0) return drop(DropReason::kBadMac);
  }

  OpenedFrame f;
  f.sender = get_u32(p + 4);
  f.incarnation = get_u64(p + 8);
  f.counter = get_u64(p + 16);
  if (auto stale = windows_->check(f.sender, f.incarnation, f.counter)) return drop(*stale);

  const size_t n = body_end - kFrameHeaderBytes;
  f.payload.resize(n);
  if (engine_->cipher() != Cipher::kNone) {
    engine_->crypt(p, p + kFrameHeaderBytes, n, reinterpret_cast<uint8_t*>(f.payload.data()));
  } else if (n != 0) {
    std::memcpy(f.payload.data(), p + kFrameHeaderBytes, n);
  }
  windows_->accept(f.sender, f.incarnation, f.counter);
  ++accepted_;
  return f;
}

// ---- authkey file ----------------------------------------------------------
namespace {

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

}  // namespace

Result<std::string> load_authkey(const std::string& path, std::vector<std::string>* warnings) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (fd.fd < 0) return Error{fmt::format("cannot open authkey {}: {}", path, errno_text(errno))};
  struct stat st {};
  if (::fstat(fd.fd, &st) != 0) {
    return Error{fmt::format("cannot stat authkey {}: {}", path, errno_text(errno))};
  }
  if (!S_ISREG(st.st_mode)) return Error{fmt::format("authkey {} is not a regular file", path)};

  // Read one byte more than allowed to notice an oversized file.
  std::string key(kAuthkeyMaxBytes + 1, '\0');
  size_t got = 0;
  while (got < key.size()) {
    const ssize_t r = ::read(fd.fd, key.data() + got, key.size() - got);
    if (r < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      OPENSSL_cleanse(key.data(), key.size());
      return Error{fmt::format("cannot read authkey {}: {}", path, errno_text(err))};
    }
    if (r == 0) break;
    got += static_cast<size_t>(r);
  }
  if (got < kAuthkeyMinBytes) {
    OPENSSL_cleanse(key.data(), key.size());
    return Error{
        fmt::format("authkey {} is too short: {} bytes, at least {} are needed "
                    "(create one with 'quorate keygen')",
                    path, got, kAuthkeyMinBytes)};
  }
  if (got > kAuthkeyMaxBytes) {
    OPENSSL_cleanse(key.data(), key.size());
    const auto size = std::max<uint64_t>(static_cast<uint64_t>(st.st_size), got);
    return Error{fmt::format("authkey {} is too long: {} bytes, at most {} are allowed", path, size,
                             kAuthkeyMaxBytes)};
  }
  key.resize(got);
  const unsigned mode = static_cast<unsigned>(st.st_mode) & 07777u;
  if (warnings != nullptr && (mode & 0077u) != 0) {
    warnings->push_back(fmt::format(
        "authkey {} has mode {:04o}, so group or others can access it; it should be 0400", path,
        mode));
  }
  return key;
}

Status write_authkey(const std::string& path, size_t bytes) {
  if (bytes < kAuthkeyMinBytes || bytes > kAuthkeyMaxBytes) {
    return Error{fmt::format("unsupported authkey size {} bytes (supported: {}..{})", bytes,
                             kAuthkeyMinBytes, kAuthkeyMaxBytes)};
  }
  std::string key(bytes, '\0');
  Wipe wipe{key.data(), key.size()};
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(bytes)) != 1) {
    return Error{"cannot generate authkey: RAND_bytes failed: " + openssl_error()};
  }

  std::string tmp = path + ".XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));
  if (fd.fd < 0) return Error{fmt::format("cannot create authkey {}: {}", path, errno_text(errno))};
  auto fail = [&](const char* what) {
    const int err = errno;
    ::close(fd.release());
    ::unlink(tmp.c_str());
    return Error{fmt::format("cannot write authkey {}: {}: {}", path, what, errno_text(err))};
  };
  if (::fchmod(fd.fd, 0400) != 0) return fail("chmod");
  size_t done = 0;
  while (done < key.size()) {
    const ssize_t w = ::write(fd.fd, key.data() + done, key.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return fail("write");
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd.fd) != 0) return fail("fsync");
  if (::close(fd.release()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{fmt::format("cannot write authkey {}: close: {}", path, errno_text(err))};
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{fmt::format("cannot write authkey {}: rename: {}", path, errno_text(err))};
  }
  // Make the rename durable; failure here does not undo a written key.
  const auto slash = path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dfd.fd >= 0) (void)::fsync(dfd.fd);
  return Status::Ok();
}

}  // namespace quorate::crypto
