// Totem frame protection: authentication (HMAC), encryption (AES-CTR) and
// replay protection of every totem UDP packet, plus the shared authkey file.
// The wire layout is specified in docs/formats/totem-frame.md.
//
//   FrameSealer  one per sending daemon: wraps payloads into frames, numbering
//                them with a strictly increasing counter for its incarnation.
//   FrameOpener  one per receiving daemon: checks a frame's header, MAC and
//                freshness (per-sender replay window), then returns the
//                plaintext payload, or why the frame was dropped.
//
// Ownership: both own their derived keys (wiped on destruction) and their
// OpenSSL contexts, which are created once and reused for every packet; they
// keep no reference to the authkey passed to create(). Move-only; a
// moved-from instance may only be destroyed or assigned to.
//
// Thread-safety: NOT thread-safe. The reused OpenSSL contexts and the counter
// (sealer) / replay windows (opener) are mutated by every call; use one
// instance per thread, or serialise calls. Distinct instances are independent.
//
// Internal OpenSSL failures inside seal()/open() (only possible when memory
// runs out) abort the process: a frame must never go out unprotected.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"

namespace quorate::crypto {

// Algorithms, numbered as on the wire (frame bytes 2 and 3). membership maps
// its configuration enums onto these.
enum class Hash : uint8_t { kNone = 0, kSha1 = 1, kSha256 = 2, kSha384 = 3, kSha512 = 4 };
enum class Cipher : uint8_t { kNone = 0, kAes128 = 1, kAes192 = 2, kAes256 = 3 };

const char* to_string(Hash h);    // "none", "sha1", ... (Corosync's spelling)
const char* to_string(Cipher c);  // "none", "aes128", ...

// Frame layout constants (see docs/formats/totem-frame.md).
inline constexpr uint8_t kFrameMagic = 0x51;  // 'Q'
inline constexpr uint8_t kFrameVersion = 1;
inline constexpr size_t kFrameHeaderBytes = 24;
inline constexpr size_t kReplayWindowPackets = 128;

// Bytes of MAC appended for `h` (0 for kNone).
size_t mac_bytes(Hash h);

namespace detail {
class FrameEngine;  // keys + reused OpenSSL contexts; defined in crypto.cc
struct ReplayWindows;
}  // namespace detail

// Seals payloads from one sender incarnation. The incarnation must grow with
// every start of the sending daemon (the counter restarts at 1 each time), or
// receivers will drop the new frames as replayed / old.
class FrameSealer {
 public:
  // `authkey` may be empty only when both hash and cipher are kNone.
  // Cipher without hash is accepted but unauthenticated (malleable); the
  // configuration layer should refuse it as Corosync does.
  static Result<FrameSealer> create(std::string_view authkey, Hash hash, Cipher cipher,
                                    uint32_t nodeid, uint64_t incarnation);

  FrameSealer(FrameSealer&&) noexcept;
  FrameSealer& operator=(FrameSealer&&) noexcept;
  FrameSealer(const FrameSealer&) = delete;
  FrameSealer& operator=(const FrameSealer&) = delete;
  ~FrameSealer();

  // Returns header + (encrypted) payload + MAC. Uses the next counter value.
  std::string seal(std::string_view payload);

  // Bytes a frame adds to its payload: header + MAC.
  size_t overhead() const;
  // Counter the next seal() will use (starts at 1).
  uint64_t next_counter() const { return next_counter_; }

 private:
  FrameSealer(std::unique_ptr<detail::FrameEngine> engine, uint32_t nodeid, uint64_t incarnation);

  std::unique_ptr<detail::FrameEngine> engine_;
  uint32_t nodeid_ = 0;
  uint64_t incarnation_ = 0;
  uint64_t next_counter_ = 1;
};

struct OpenedFrame {
  uint32_t sender = 0;
  uint64_t incarnation = 0;
  uint64_t counter = 0;
  std::string payload;  // plaintext
};

enum class DropReason : uint8_t {
  kTruncated,       // shorter than header (+ MAC)
  kBadMagic,        // byte 0 is not 'Q'
  kBadVersion,      // unknown format version
  kAlgMismatch,     // frame's hash/cipher ids differ from ours (crypto_* config mismatch)
  kBadMac,          // MAC did not verify: wrong key, corruption or forgery
  kReplayed,        // counter already seen, or older than the replay window
  kOldIncarnation,  // sender incarnation lower than one already accepted
};
inline constexpr size_t kDropReasonCount = 7;
const char* to_string(DropReason r);  // "truncated", "bad_magic", ... (metric labels)

// Opens frames from any sender, keeping one replay window per sender nodeid.
// A window only moves after the frame's MAC verified, so forged frames cannot
// advance or reset it (with hash kNone nothing is authenticated: the window
// then only filters duplicates).
class FrameOpener {
 public:
  static Result<FrameOpener> create(std::string_view authkey, Hash hash, Cipher cipher);

  FrameOpener(FrameOpener&&) noexcept;
  FrameOpener& operator=(FrameOpener&&) noexcept;
  FrameOpener(const FrameOpener&) = delete;
  FrameOpener& operator=(const FrameOpener&) = delete;
  ~FrameOpener();

  std::variant<OpenedFrame, DropReason> open(std::string_view bytes);

  uint64_t accepted() const { return accepted_; }
  uint64_t dropped(DropReason r) const { return drops_[static_cast<size_t>(r)]; }
  const std::array<uint64_t, kDropReasonCount>& drop_counts() const { return drops_; }

  // Forget a sender's window (e.g. node removed from the nodelist).
  void forget_sender(uint32_t nodeid);
  size_t tracked_senders() const;
  // Windows kept at most; beyond it the least recently accepted sender is
  // forgotten. Only reachable with hash kNone, where anyone can invent nodeids.
  static constexpr size_t kMaxTrackedSenders = 1024;

 private:
  FrameOpener(std::unique_ptr<detail::FrameEngine> engine,
              std::unique_ptr<detail::ReplayWindows> windows);

  std::unique_ptr<detail::FrameEngine> engine_;
  std::unique_ptr<detail::ReplayWindows> windows_;
  uint64_t accepted_ = 0;
  std::array<uint64_t, kDropReasonCount> drops_{};
};

// ---- authkey file ----------------------------------------------------------
// Raw random bytes, as written by corosync-keygen (default 256 bytes; it
// accepts sizes 128..4096), so a Corosync authkey can be reused as is.
inline constexpr size_t kAuthkeyMinBytes = 128;
inline constexpr size_t kAuthkeyMaxBytes = 4096;
inline constexpr size_t kAuthkeyDefaultBytes = 256;

// Reads the key. Errors: missing/unreadable file, not a regular file, too
// short, too long. A mode granting any access to group or others is accepted
// but reported in `warnings` (may be null).
Result<std::string> load_authkey(const std::string& path, std::vector<std::string>* warnings);

// Writes `bytes` random bytes (RAND_bytes) to `path` with mode 0400, replacing
// any existing file atomically (temporary file in the same directory, fsync,
// rename). `bytes` must be within kAuthkeyMinBytes..kAuthkeyMaxBytes.
Status write_authkey(const std::string& path, size_t bytes);

}  // namespace quorate::crypto
