// On-disk meta data of a replicated volume: where it lives (layout), the
// superblock (generation identifiers, flags, sizes), the activity-log ring
// and the dirty bitmap. The byte format is specified in
// docs/formats/replication-metadata.md; the sizes follow DRBD's formula
// (REPLICATION-FACTS.md §5.3) so that the same disks fit.
//
// Everything here is pure: encoders return bytes, decoders take bytes. The
// engine (engine.h) decides when to write what; the daemon does the I/O.
//
// Value types; not thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "common/result.h"

namespace quorate::replication {

inline constexpr uint64_t kBlockBytes = 4096;          // one bitmap bit
inline constexpr uint64_t kAlExtentBytes = 4ULL << 20; // one activity-log extent
inline constexpr uint64_t kSuperblockBytes = 4096;
inline constexpr uint32_t kAlRingSlots = 8;            // 4 KiB transactions
inline constexpr uint64_t kAlRingBytes = kAlRingSlots * 4096ULL;
inline constexpr uint32_t kAlUpdatesPerTransaction = 64;
inline constexpr uint32_t kAlContextPerTransaction = 919;
inline constexpr uint32_t kAlExtentsDefault = 1237;
inline constexpr uint32_t kAlExtentsMax = kAlContextPerTransaction * (kAlRingSlots - 1);  // 6433
inline constexpr uint64_t kExternalSlotBytes = 128ULL << 20;  // meta-disk PATH[INDEX]

// Generation identifiers. The lowest bit of a UUID records whether its node
// was Primary when the generation began; comparisons mask it.
inline constexpr uint64_t kUuidJustCreated = 4;
inline constexpr uint64_t kUuidRoleBit = 1;
inline uint64_t uuid_base(uint64_t u) { return u & ~kUuidRoleBit; }

struct Uuids {
  uint64_t current = kUuidJustCreated;
  uint64_t bitmap = 0;
  std::array<uint64_t, 2> history{0, 0};
  bool operator==(const Uuids&) const = default;
};

// Superblock flags (DRBD's MDF_* meanings, our own bit numbers).
enum MdFlag : uint32_t {
  kMdConsistent = 1u << 0,     // the data is usable (not Inconsistent)
  kMdWasUpToDate = 1u << 1,    // was UpToDate when last written
  kMdPrimaryInd = 1u << 2,     // is Primary now; still set after a crash = crashed primary
  kMdConnectedInd = 1u << 3,   // was connected when last written
  kMdFullSync = 1u << 4,       // a full sync was requested and has not finished
  kMdPeerOutdated = 1u << 5,   // the peer is known to be Outdated
  kMdOutdated = 1u << 6,       // this disk is Outdated
  kMdCleanShutdown = 1u << 7,  // written by `down`: the activity log is empty
  kMdVerifySource = 1u << 8,   // ran the last online verify (bits it set are source bits)
  // As a Secondary it issued replicated writes of a later epoch before an
  // earlier epoch was flushed (engine_peer.cc, "write order on the peer"): if
  // the page cache is lost (a new boot) its last epochs may be torn.
  kMdUnorderedWrites = 1u << 9,
};

// /proc/sys/kernel/random/boot_id as 16 bytes; all zero when unknown.
using BootId = std::array<uint8_t, 16>;

// Where the meta data lives on the meta-data device (the backing device itself
// for `meta-disk internal`) and how much of the backing device is data.
struct MdLayout {
  uint64_t data_bytes = 0;   // usable size, a multiple of 4 KiB
  uint64_t sb_offset = 0;    // superblock (4 KiB: two 2 KiB copies)
  uint64_t al_offset = 0;    // activity-log ring (32 KiB)
  uint64_t bm_offset = 0;    // bitmap
  uint64_t bm_bytes = 0;     // a multiple of 4 KiB
  bool internal = true;
  uint64_t md_sectors() const { return (kSuperblockBytes + kAlRingBytes + bm_bytes) / 512; }
  uint64_t bits() const { return data_bytes / kBlockBytes; }
};

// DRBD's formula: Ms = ceil(Cs / 2^18) * 8 + 72 sectors, at the end of the
// backing device: | data | bitmap | AL 32 KiB | superblock 4 KiB |.
Result<MdLayout> internal_layout(uint64_t backing_bytes);
// External meta data: the whole data device is data; the meta data sits in
// 128 MiB slot INDEX of the meta device (or fills it, without an index):
// | superblock | AL | bitmap |.
Result<MdLayout> external_layout(uint64_t data_bytes, uint64_t meta_device_bytes,
                                 std::optional<uint32_t> index);

struct Superblock {
  uint64_t seq = 0;           // grows with every write; the copy with the higher valid seq wins
  uint32_t flags = 0;
  Uuids uuids;
  uint64_t data_bytes = 0;    // the size the data had when created (layout check on attach)
  uint64_t bm_bytes = 0;
  uint32_t al_extents = kAlExtentsDefault;
  uint64_t device_uuid = 0;   // random at create-md; names this disk in logs
  uint64_t al_tr_number = 0;  // next activity-log transaction number at last clean write
  BootId boot_id{};           // the boot in which kMdUnorderedWrites was set
  bool has(MdFlag f) const { return (flags & f) != 0; }
  void set(MdFlag f, bool on) { flags = on ? (flags | f) : (flags & ~static_cast<uint32_t>(f)); }
};

// The 4 KiB superblock area holds two copies; write_superblock alternates
// between them by seq, so a torn write never loses the previous valid copy.
// encode returns the 2 KiB copy and the byte offset within the area (0 or
// 2048) it belongs at.
std::vector<uint8_t> encode_superblock(const Superblock& sb);
uint64_t superblock_copy_offset(uint64_t seq);
// Reads the 4 KiB area; picks the valid copy with the highest seq. Errors:
// "no Quorate meta data" (no magic in either copy), "corrupt" (magic but
// every copy fails its checksum).
Result<Superblock> decode_superblock_area(std::span<const uint8_t> area);

// crc32c (Castagnoli) of bytes.
uint32_t crc32c(std::span<const uint8_t> data);

// ---- activity log ------------------------------------------------------

// One 4 KiB transaction of the ring: up to 64 slot updates and a rolling
// window of 919 slots of the whole active set (see the format doc).
struct AlTransaction {
  uint64_t number = 0;
  std::vector<std::pair<uint16_t, uint32_t>> updates;  // (slot, extent)
  uint32_t context_start = 0;
  std::vector<uint32_t> context;                       // extents of slots context_start..
};
inline constexpr uint32_t kAlFreeSlot = 0xFFFFFFFFu;
std::vector<uint8_t> encode_al_transaction(const AlTransaction& t);
// nullopt when the 4 KiB are not a valid transaction (never written, torn).
std::optional<AlTransaction> decode_al_transaction(std::span<const uint8_t> block);
// Replays the ring (32 KiB): the active extents after the last valid
// transaction, and the next transaction number to use.
struct AlRecovery {
  std::vector<uint32_t> slots;  // al_extents entries, kAlFreeSlot = unused
  uint64_t next_number = 1;
};
AlRecovery recover_al(std::span<const uint8_t> ring, uint32_t al_extents);

// The in-memory activity log: which 4 MiB extents may have writes in flight
// or unresynced after a primary crash. A write may start only after the
// transaction that makes its extents active is on disk.
class ActivityLog {
 public:
  explicit ActivityLog(uint32_t al_extents, uint64_t next_number = 1,
                       std::vector<uint32_t> slots = {});

  // Marks [first, last] busy for one write. Returns false if that needs a
  // change of the active set first (call plan() and write its transaction).
  bool try_begin(uint32_t first, uint32_t last);
  void end(uint32_t first, uint32_t last);
  // Extents a planned transaction would add for [first, last], if room can be
  // made (only idle extents are evicted). nullopt: wait for writes to end.
  // On success, returns the transaction and the evicted extents (their
  // bitmap pages must be written before the transaction).
  struct Plan {
    AlTransaction transaction;
    std::vector<uint32_t> evicted;
  };
  std::optional<Plan> plan(uint32_t first, uint32_t last);
  std::vector<uint32_t> active_extents() const;
  size_t active_count() const;
  uint64_t transactions_written() const { return written_; }
  // After a clean down: forget everything (the next transaction starts empty).
  void clear();

 private:
  uint32_t capacity_;
  uint64_t next_number_;
  uint64_t written_ = 0;
  uint32_t context_cursor_ = 0;
  std::vector<uint32_t> slots_;          // slot -> extent or kAlFreeSlot
  std::vector<uint64_t> last_used_;      // slot -> use tick (LRU)
  std::vector<uint32_t> busy_;           // slot -> writes in flight
  uint64_t tick_ = 0;
  int find(uint32_t extent) const;
};

// ---- bitmap ------------------------------------------------------------

// One bit per 4 KiB of data; a set bit = this block may differ from the peer.
// Tracks which 4 KiB pages of the on-disk bitmap changed since last written.
class Bitmap {
 public:
  explicit Bitmap(uint64_t bits = 0);
  uint64_t bits() const { return bits_; }
  uint64_t count() const { return count_; }           // set bits
  bool test(uint64_t bit) const;
  // Returns how many bits changed.
  uint64_t set_range(uint64_t first, uint64_t last_inclusive);
  uint64_t clear_range(uint64_t first, uint64_t last_inclusive);
  void set_all();
  void clear_all();
  // First set bit at or after `from`, or bits() when none.
  uint64_t find_next_set(uint64_t from) const;
  // OR another bitmap of the same size into this one.
  void merge(const Bitmap& other);
  // On-disk form, a page (4 KiB = 32768 bits) at a time.
  uint64_t pages() const;
  std::vector<uint8_t> encode_page(uint64_t page) const;
  void decode_page(uint64_t page, std::span<const uint8_t> bytes);
  std::vector<uint64_t> take_dirty_pages();
  void mark_all_dirty();
  // Whether bits of `page` were cleared since the last call for it. A page
  // with cleared bits vouches for data (the blocks are in sync), so the data
  // must be durable before the page is: the engine flushes first.
  bool take_cleared(uint64_t page);
  uint64_t page_of_bit(uint64_t bit) const { return bit / (kBlockBytes * 8); }
  const std::vector<uint64_t>& words() const { return words_; }
  void assign_words(std::vector<uint64_t> words);

 private:
  uint64_t bits_ = 0;
  uint64_t count_ = 0;
  std::vector<uint64_t> words_;
  std::vector<bool> dirty_;
  std::vector<bool> cleared_;
  void mark_dirty(uint64_t first_bit, uint64_t last_bit);
};

// Run-length form of a bitmap for the peer exchange: alternating run lengths
// of clear and set bits, starting with clear, as LEB128 varints.
std::vector<uint8_t> encode_bitmap_rle(const Bitmap& bm);
Result<Bitmap> decode_bitmap_rle(std::span<const uint8_t> bytes, uint64_t bits);

// Looks at the first bytes of a device for a filesystem, swap or partition
// table signature; returns its name ("ext4", "xfs", "swap" ...) or "".
std::string detect_signature(std::span<const uint8_t> head_64k);

}  // namespace quorate::replication
