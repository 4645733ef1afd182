#include "replication/metadata.h"

#include <algorithm>
#include <bit>
#include <boost/crc.hpp>
#include <cassert>
#include <cstring>
#include <limits>

#include <fmt/format.h>

namespace quorate::replication {

namespace {

constexpr uint64_t kSbMagic = 0x31415441454d5251ULL;  // "QRMETAT1" little-endian
constexpr uint32_t kSbVersion = 1;
constexpr uint64_t kSbCopyBytes = 2048;
constexpr uint32_t kAlMagic = 0x4c415251;  // "QRAL"

void put64(std::vector<uint8_t>& b, size_t at, uint64_t v) {
  for (int i = 0; i < 8; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put32(std::vector<uint8_t>& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = static_cast<uint8_t>(v >> (8 * i));
}
void put16(std::vector<uint8_t>& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v);
  b[at + 1] = static_cast<uint8_t>(v >> 8);
}
uint64_t get64(std::span<const uint8_t> b, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | b[at + i];
  return v;
}
uint32_t get32(std::span<const uint8_t> b, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | b[at + i];
  return v;
}
uint16_t get16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] | (b[at + 1] << 8));
}

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

}  // namespace

uint32_t crc32c(std::span<const uint8_t> data) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> crc;
  crc.process_bytes(data.data(), data.size());
  return crc.checksum();
}

// ---- layout --------------------------------------------------------------

Result<MdLayout> internal_layout(uint64_t backing_bytes) {
  const uint64_t sectors = backing_bytes / 512;
  const uint64_t bm_sectors = ceil_div(sectors, 1ULL << 18) * 8;
  const uint64_t md_bytes = (bm_sectors + 72) * 512;
  if (backing_bytes < md_bytes + 64 * 1024) {
    return Error{fmt::format("backing device of {} bytes is too small: internal meta data needs {} "
                             "bytes and at least 64 KiB must remain for data",
                             backing_bytes, md_bytes)};
  }
  MdLayout l;
  l.internal = true;
  l.sb_offset = (backing_bytes & ~uint64_t{4095}) - kSuperblockBytes;
  l.al_offset = l.sb_offset - kAlRingBytes;
  l.bm_bytes = bm_sectors * 512;
  l.bm_offset = l.al_offset - l.bm_bytes;
  l.data_bytes = l.bm_offset & ~(kBlockBytes - 1);
  return l;
}

Result<MdLayout> external_layout(uint64_t data_bytes, uint64_t meta_device_bytes,
                                 std::optional<uint32_t> index) {
  MdLayout l;
  l.internal = false;
  l.data_bytes = data_bytes & ~(kBlockBytes - 1);
  if (l.data_bytes == 0) return Error{"data device is smaller than 4 KiB"};
  l.bm_bytes = ceil_div(l.data_bytes / 512, 1ULL << 18) * 4096;
  const uint64_t need = kSuperblockBytes + kAlRingBytes + l.bm_bytes;
  uint64_t base = 0;
  uint64_t room = meta_device_bytes;
  if (index) {
    base = uint64_t{*index} * kExternalSlotBytes;
    if (need > kExternalSlotBytes) {
      return Error{fmt::format("external meta data of {} bytes does not fit a 128 MiB slot; use "
                               "meta-disk without an index (flexible)", need)};
    }
    if (base + kExternalSlotBytes > meta_device_bytes) {
      return Error{fmt::format("meta-data device of {} bytes has no slot [{}] (needs {} bytes)",
                               meta_device_bytes, *index, base + kExternalSlotBytes)};
    }
    room = kExternalSlotBytes;
  }
  if (need > room) {
    return Error{fmt::format("meta-data device too small: needs {} bytes, has {}", need, room)};
  }
  l.sb_offset = base;
  l.al_offset = base + kSuperblockBytes;
  l.bm_offset = l.al_offset + kAlRingBytes;
  return l;
}

// ---- superblock ----------------------------------------------------------
//
// Copy layout (2048 bytes, little-endian):
//   0 magic u64 | 8 version u32 | 12 crc32c u32 (of bytes 16..2047) | 16 seq u64
//   24 flags u32 | 28 al_extents u32 | 32 current | 40 bitmap | 48 history0
//   56 history1 | 64 data_bytes | 72 bm_bytes | 80 device_uuid | 88 al_tr_number
//   96.. zero

std::vector<uint8_t> encode_superblock(const Superblock& sb) {
  std::vector<uint8_t> b(kSbCopyBytes, 0);
  put64(b, 0, kSbMagic);
  put32(b, 8, kSbVersion);
  put64(b, 16, sb.seq);
  put32(b, 24, sb.flags);
  put32(b, 28, sb.al_extents);
  put64(b, 32, sb.uuids.current);
  put64(b, 40, sb.uuids.bitmap);
  put64(b, 48, sb.uuids.history[0]);
  put64(b, 56, sb.uuids.history[1]);
  put64(b, 64, sb.data_bytes);
  put64(b, 72, sb.bm_bytes);
  put64(b, 80, sb.device_uuid);
  put64(b, 88, sb.al_tr_number);
  std::copy(sb.boot_id.begin(), sb.boot_id.end(), b.begin() + 96);
  put32(b, 12, crc32c(std::span<const uint8_t>(b).subspan(16)));
  return b;
}

uint64_t superblock_copy_offset(uint64_t seq) { return (seq % 2) * kSbCopyBytes; }

Result<Superblock> decode_superblock_area(std::span<const uint8_t> area) {
  if (area.size() < kSuperblockBytes) return Error{"superblock area is shorter than 4 KiB"};
  std::optional<Superblock> best;
  bool any_magic = false;
  for (uint64_t copy = 0; copy < 2; ++copy) {
    const auto b = area.subspan(copy * kSbCopyBytes, kSbCopyBytes);
    if (get64(b, 0) != kSbMagic) continue;
    any_magic = true;
    if (get32(b, 8) != kSbVersion) continue;
    if (get32(b, 12) != crc32c(b.subspan(16))) continue;
    Superblock sb;
    sb.seq = get64(b, 16);
    if (superblock_copy_offset(sb.seq) != copy * kSbCopyBytes) continue;
    sb.flags = get32(b, 24);
    sb.al_extents = get32(b, 28);
    sb.uuids.current = get64(b, 32);
    sb.uuids.bitmap = get64(b, 40);
    sb.uuids.history = {get64(b, 48), get64(b, 56)};
    sb.data_bytes = get64(b, 64);
    sb.bm_bytes = get64(b, 72);
    sb.device_uuid = get64(b, 80);
    sb.al_tr_number = get64(b, 88);
    std::copy_n(b.begin() + 96, sb.boot_id.size(), sb.boot_id.begin());
    if (sb.al_extents < 7 || sb.al_extents > kAlExtentsMax) continue;
    if (!best || sb.seq > best->seq) best = sb;
  }
  if (best) return *best;
  if (any_magic) return Error{"meta data superblock is corrupt (both copies fail their checksum)"};
  return Error{"no Quorate meta data found"};
}

// ---- activity log --------------------------------------------------------
//
// Transaction layout (4096 bytes): 0 magic u32 | 4 crc32c u32 (of 8..4095) |
//   8 number u64 | 16 n_updates u16 | 18 n_context u16 | 20 context_start u32 |
//   24 slots u16[64] | 152 extents u32[64] | 408 context u32[919] | 4084 zero

std::vector<uint8_t> encode_al_transaction(const AlTransaction& t) {
  assert(t.updates.size() <= kAlUpdatesPerTransaction);
  assert(t.context.size() <= kAlContextPerTransaction);
  std::vector<uint8_t> b(4096, 0);
  put32(b, 0, kAlMagic);
  put64(b, 8, t.number);
  put16(b, 16, static_cast<uint16_t>(t.updates.size()));
  put16(b, 18, static_cast<uint16_t>(t.context.size()));
  put32(b, 20, t.context_start);
  for (size_t i = 0; i < t.updates.size(); ++i) {
    put16(b, 24 + 2 * i, t.updates[i].first);
    put32(b, 152 + 4 * i, t.updates[i].second);
  }
  for (size_t i = 0; i < t.context.size(); ++i) put32(b, 408 + 4 * i, t.context[i]);
  put32(b, 4, crc32c(std::span<const uint8_t>(b).subspan(8)));
  return b;
}

std::optional<AlTransaction> decode_al_transaction(std::span<const uint8_t> b) {
  if (b.size() < 4096 || get32(b, 0) != kAlMagic) return std::nullopt;
  if (get32(b, 4) != crc32c(b.subspan(8, 4088))) return std::nullopt;
  AlTransaction t;
  t.number = get64(b, 8);
  const uint16_t nu = get16(b, 16);
  const uint16_t nc = get16(b, 18);
  if (nu > kAlUpdatesPerTransaction || nc > kAlContextPerTransaction) return std::nullopt;
  t.context_start = get32(b, 20);
  for (uint16_t i = 0; i < nu; ++i) t.updates.emplace_back(get16(b, 24 + 2 * i), get32(b, 152 + 4 * i));
  for (uint16_t i = 0; i < nc; ++i) t.context.push_back(get32(b, 408 + 4 * i));
  return t;
}

AlRecovery recover_al(std::span<const uint8_t> ring, uint32_t al_extents) {
  AlRecovery r;
  r.slots.assign(al_extents, kAlFreeSlot);
  std::vector<AlTransaction> valid;
  for (uint32_t s = 0; s < kAlRingSlots && (s + 1) * 4096 <= ring.size(); ++s) {
    if (auto t = decode_al_transaction(ring.subspan(s * 4096, 4096))) valid.push_back(std::move(*t));
  }
  if (valid.empty()) return r;
  std::sort(valid.begin(), valid.end(),
            [](const AlTransaction& a, const AlTransaction& b) { return a.number < b.number; });
  // Only the newest run of consecutive numbers belongs to the current log
  // (older leftovers of a previous create-md or a reused ring are ignored).
  size_t start = valid.size() - 1;
  while (start > 0 && valid[start - 1].number + 1 == valid[start].number) --start;
  for (size_t i = start; i < valid.size(); ++i) {
    const AlTransaction& t = valid[i];
    for (size_t k = 0; k < t.context.size(); ++k) {
      const uint64_t slot = (uint64_t{t.context_start} + k) % r.slots.size();
      r.slots[slot] = t.context[k];
    }
    for (const auto& [slot, extent] : t.updates) {
      if (slot < r.slots.size()) r.slots[slot] = extent;
    }
  }
  r.next_number = valid.back().number + 1;
  return r;
}

ActivityLog::ActivityLog(uint32_t al_extents, uint64_t next_number, std::vector<uint32_t> slots)
    : capacity_(al_extents), next_number_(next_number) {
  assert(al_extents >= 1);
  slots_ = slots.empty() ? std::vector<uint32_t>(al_extents, kAlFreeSlot) : std::move(slots);
  slots_.resize(al_extents, kAlFreeSlot);
  last_used_.assign(al_extents, 0);
  busy_.assign(al_extents, 0);
}

int ActivityLog::find(uint32_t extent) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i] == extent) return static_cast<int>(i);
  }
  return -1;
}

bool ActivityLog::try_begin(uint32_t first, uint32_t last) {
  std::vector<int> found;
  for (uint32_t e = first; e <= last; ++e) {
    const int s = find(e);
    if (s < 0) return false;
    found.push_back(s);
  }
  ++tick_;
  for (int s : found) {
    ++busy_[static_cast<size_t>(s)];
    last_used_[static_cast<size_t>(s)] = tick_;
  }
  return true;
}

void ActivityLog::end(uint32_t first, uint32_t last) {
  for (uint32_t e = first; e <= last; ++e) {
    const int s = find(e);
    assert(s >= 0 && busy_[static_cast<size_t>(s)] > 0);
    if (s >= 0 && busy_[static_cast<size_t>(s)] > 0) --busy_[static_cast<size_t>(s)];
  }
}

std::optional<ActivityLog::Plan> ActivityLog::plan(uint32_t first, uint32_t last) {
  Plan p;
  std::vector<uint32_t> missing;
  for (uint32_t e = first; e <= last; ++e) {
    if (find(e) < 0) missing.push_back(e);
  }
  if (missing.size() > kAlUpdatesPerTransaction || missing.size() > capacity_) return std::nullopt;
  std::vector<size_t> chosen;
  for (uint32_t e : missing) {
    (void)e;
    // Prefer a free slot, else the least recently used idle one.
    size_t best = slots_.size();
    for (size_t i = 0; i < slots_.size(); ++i) {
      if (std::find(chosen.begin(), chosen.end(), i) != chosen.end()) continue;
      if (busy_[i] != 0) continue;
      const bool in_range = slots_[i] != kAlFreeSlot && slots_[i] >= first && slots_[i] <= last;
      if (in_range) continue;
      if (slots_[i] == kAlFreeSlot) {
        best = i;
        break;
      }
      if (best == slots_.size() || last_used_[i] < last_used_[best]) best = i;
    }
    if (best == slots_.size()) return std::nullopt;
    chosen.push_back(best);
  }
  ++tick_;
  for (size_t k = 0; k < missing.size(); ++k) {
    const size_t slot = chosen[k];
    if (slots_[slot] != kAlFreeSlot) p.evicted.push_back(slots_[slot]);
    slots_[slot] = missing[k];
    last_used_[slot] = tick_;
    p.transaction.updates.emplace_back(static_cast<uint16_t>(slot), missing[k]);
  }
  p.transaction.number = next_number_++;
  p.transaction.context_start = context_cursor_;
  const uint32_t n = std::min<uint32_t>(kAlContextPerTransaction, capacity_);
  for (uint32_t k = 0; k < n; ++k) {
    p.transaction.context.push_back(slots_[(context_cursor_ + k) % capacity_]);
  }
  context_cursor_ = (context_cursor_ + n) % capacity_;
  ++written_;
  return p;
}

std::vector<uint32_t> ActivityLog::active_extents() const {
  std::vector<uint32_t> out;
  for (uint32_t e : slots_) {
    if (e != kAlFreeSlot) out.push_back(e);
  }
  std::sort(out.begin(), out.end());
  return out;
}

size_t ActivityLog::active_count() const {
  return static_cast<size_t>(std::count_if(slots_.begin(), slots_.end(),
                                           [](uint32_t e) { return e != kAlFreeSlot; }));
}

void ActivityLog::clear() {
  std::fill(slots_.begin(), slots_.end(), kAlFreeSlot);
  std::fill(busy_.begin(), busy_.end(), 0);
  context_cursor_ = 0;
}

// ---- bitmap --------------------------------------------------------------

namespace {
constexpr uint64_t kBitsPerPage = kBlockBytes * 8;
}

Bitmap::Bitmap(uint64_t bits) : bits_(bits), words_((bits + 63) / 64, 0) {
  dirty_.assign(pages(), false);
  cleared_.assign(pages(), false);
}

uint64_t Bitmap::pages() const { return (bits_ + kBitsPerPage - 1) / kBitsPerPage; }

bool Bitmap::test(uint64_t bit) const {
  assert(bit < bits_);
  return (words_[bit / 64] >> (bit % 64)) & 1;
}

void Bitmap::mark_dirty(uint64_t first_bit, uint64_t last_bit) {
  for (uint64_t p = first_bit / kBitsPerPage; p <= last_bit / kBitsPerPage && p < dirty_.size(); ++p) {
    dirty_[p] = true;
  }
}

namespace {
// Calls fn(word_index, mask) for the words covering bits [first, last].
template <typename Fn>
void for_each_word(uint64_t first, uint64_t last, Fn fn) {
  for (uint64_t b = first; b <= last;) {
    const uint64_t lo = b % 64;
    const uint64_t hi = std::min<uint64_t>(63, lo + (last - b));
    const uint64_t upto = hi == 63 ? ~uint64_t{0} : ((uint64_t{1} << (hi + 1)) - 1);
    fn(b / 64, upto & ~((uint64_t{1} << lo) - 1));
    b += hi - lo + 1;
  }
}
}  // namespace

uint64_t Bitmap::set_range(uint64_t first, uint64_t last) {
  if (bits_ == 0 || first > last || first >= bits_) return 0;
  last = std::min(last, bits_ - 1);
  uint64_t changed = 0;
  for_each_word(first, last, [&](uint64_t w, uint64_t mask) {
    changed += static_cast<uint64_t>(std::popcount(mask & ~words_[w]));
    words_[w] |= mask;
  });
  if (changed) mark_dirty(first, last);
  count_ += changed;
  return changed;
}

uint64_t Bitmap::clear_range(uint64_t first, uint64_t last) {
  if (bits_ == 0 || first > last || first >= bits_) return 0;
  last = std::min(last, bits_ - 1);
  uint64_t changed = 0;
  for_each_word(first, last, [&](uint64_t w, uint64_t mask) {
    changed += static_cast<uint64_t>(std::popcount(mask & words_[w]));
    words_[w] &= ~mask;
  });
  if (changed) {
    mark_dirty(first, last);
    for (uint64_t p = first / kBitsPerPage; p <= last / kBitsPerPage && p < cleared_.size(); ++p) cleared_[p] = true;
  }
  count_ -= changed;
  return changed;
}

void Bitmap::set_all() {
  if (bits_) set_range(0, bits_ - 1);
}
void Bitmap::clear_all() {
  if (bits_) clear_range(0, bits_ - 1);
}

uint64_t Bitmap::find_next_set(uint64_t from) const {
  if (from >= bits_) return bits_;
  uint64_t w = from / 64;
  uint64_t word = words_[w] & (~uint64_t{0} << (from % 64));
  while (true) {
    if (word) {
      const uint64_t b = w * 64 + static_cast<uint64_t>(std::countr_zero(word));
      return b < bits_ ? b : bits_;
    }
    if (++w >= words_.size()) return bits_;
    word = words_[w];
  }
}

void Bitmap::merge(const Bitmap& other) {
  assert(other.bits_ == bits_);
  for (size_t w = 0; w < words_.size() && w < other.words_.size(); ++w) {
    const uint64_t add = other.words_[w] & ~words_[w];
    if (add) {
      count_ += static_cast<uint64_t>(std::popcount(add));
      words_[w] |= add;
      dirty_[(w * 64) / kBitsPerPage] = true;
    }
  }
}

std::vector<uint8_t> Bitmap::encode_page(uint64_t page) const {
  std::vector<uint8_t> out(kBlockBytes, 0);
  const uint64_t first_word = page * (kBitsPerPage / 64);
  for (uint64_t i = 0; i < kBitsPerPage / 64; ++i) {
    const uint64_t w = first_word + i;
    if (w >= words_.size()) break;
    for (int k = 0; k < 8; ++k) out[i * 8 + static_cast<uint64_t>(k)] = static_cast<uint8_t>(words_[w] >> (8 * k));
  }
  return out;
}

void Bitmap::decode_page(uint64_t page, std::span<const uint8_t> bytes) {
  const uint64_t first_word = page * (kBitsPerPage / 64);
  for (uint64_t i = 0; i < kBitsPerPage / 64 && (i + 1) * 8 <= bytes.size(); ++i) {
    const uint64_t w = first_word + i;
    if (w >= words_.size()) break;
    uint64_t v = get64(bytes, i * 8);
    if (w == words_.size() - 1 && bits_ % 64) v &= (uint64_t{1} << (bits_ % 64)) - 1;
    count_ -= static_cast<uint64_t>(std::popcount(words_[w]));
    words_[w] = v;
    count_ += static_cast<uint64_t>(std::popcount(v));
  }
}

std::vector<uint64_t> Bitmap::take_dirty_pages() {
  std::vector<uint64_t> out;
  for (size_t p = 0; p < dirty_.size(); ++p) {
    if (dirty_[p]) {
      out.push_back(p);
      dirty_[p] = false;
    }
  }
  return out;
}

void Bitmap::mark_all_dirty() { dirty_.assign(pages(), true); }

bool Bitmap::take_cleared(uint64_t page) {
  if (page >= cleared_.size() || !cleared_[page]) return false;
  cleared_[page] = false;
  return true;
}

void Bitmap::assign_words(std::vector<uint64_t> words) {
  words.resize(words_.size(), 0);
  if (bits_ % 64 && !words.empty()) words.back() &= (uint64_t{1} << (bits_ % 64)) - 1;
  words_ = std::move(words);
  count_ = 0;
  for (uint64_t w : words_) count_ += static_cast<uint64_t>(std::popcount(w));
  mark_all_dirty();
  cleared_.assign(pages(), true);  // bits may have been cleared
}

// ---- bitmap RLE ----------------------------------------------------------

namespace {
void put_varint(std::vector<uint8_t>& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<uint8_t>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<uint8_t>(v));
}
}  // namespace

std::vector<uint8_t> encode_bitmap_rle(const Bitmap& bm) {
  std::vector<uint8_t> out;
  uint64_t pos = 0;
  bool set = false;
  while (pos < bm.bits()) {
    uint64_t end;
    if (!set) {
      end = bm.find_next_set(pos);
    } else {
      end = pos;
      while (end < bm.bits() && bm.test(end)) {
        if (end % 64 == 0 && end + 64 <= bm.bits() && bm.words()[end / 64] == ~uint64_t{0}) {
          end += 64;
        } else {
          ++end;
        }
      }
    }
    put_varint(out, end - pos);
    pos = end;
    set = !set;
  }
  return out;
}

Result<Bitmap> decode_bitmap_rle(std::span<const uint8_t> bytes, uint64_t bits) {
  Bitmap bm(bits);
  uint64_t pos = 0;
  bool set = false;
  size_t i = 0;
  while (i < bytes.size()) {
    uint64_t v = 0;
    int shift = 0;
    while (true) {
      if (i >= bytes.size()) return Error{"bitmap run is truncated"};
      if (shift > 63) return Error{"bitmap run length overflows"};
      const uint8_t byte = bytes[i++];
      v |= uint64_t{byte & 0x7fu} << shift;
      shift += 7;
      if (!(byte & 0x80)) break;
    }
    if (v > bits - pos) return Error{fmt::format("bitmap runs cover more than {} bits", bits)};
    if (set && v) bm.set_range(pos, pos + v - 1);
    pos += v;
    set = !set;
  }
  if (pos != bits) return Error{fmt::format("bitmap runs cover {} of {} bits", pos, bits)};
  return bm;
}

// ---- signatures ----------------------------------------------------------

std::string detect_signature(std::span<const uint8_t> h) {
  auto at = [&](size_t off, std::string_view magic) {
    return h.size() >= off + magic.size() &&
           std::memcmp(h.data() + off, magic.data(), magic.size()) == 0;
  };
  if (h.size() >= 0x43a && h[0x438] == 0x53 && h[0x439] == 0xEF) {
    // ext2/3/4 by feature flags: has_journal (compat 0x4), extents (incompat 0x40).
    const uint32_t compat = get32(h, 0x45c);
    const uint32_t incompat = get32(h, 0x460);
    if (incompat & 0x40) return "ext4";
    if (compat & 0x4) return "ext3";
    return "ext2";
  }
  if (at(0, "XFSB")) return "xfs";
  if (at(0x10040, "_BHRfS_M")) return "btrfs";
  if (at(4086, "SWAPSPACE2") || at(4086, "SWAP-SPACE")) return "swap";
  if (at(0x218, "LVM2 001")) return "LVM2_member";
  if (at(0, "LUKS\xba\xbe")) return "crypto_LUKS";
  if (at(512, "EFI PART")) return "gpt partition table";
  if (at(0, "QFI\xfb")) return "qcow2";
  if (at(3, "NTFS    ")) return "ntfs";
  if (at(0x36, "FAT") || at(0x52, "FAT32")) return "vfat";
  if (h.size() >= 512 && h[510] == 0x55 && h[511] == 0xAA) return "dos partition table";
  return "";
}

}  // namespace quorate::replication
