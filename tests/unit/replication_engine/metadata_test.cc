// The superblock's byte format (docs/formats/replication-metadata.md): every
// field round-trips, the newer valid copy wins, a torn copy falls back to the
// other, and a superblock written before the boot id existed reads unchanged.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "replication/metadata.h"

namespace quorate::replication {
namespace {

Superblock sample(uint64_t seq) {
  Superblock sb;
  sb.seq = seq;
  sb.flags = kMdConsistent | kMdUnorderedWrites;
  sb.uuids = Uuids{0x1234567890ABCDEFull, 0x42, {0x7, 0x9}};
  sb.data_bytes = 64ull << 20;
  sb.bm_bytes = 4096;
  sb.al_extents = 1237;
  sb.device_uuid = 0xFEEDull;
  sb.al_tr_number = 77;
  for (size_t i = 0; i < sb.boot_id.size(); ++i) sb.boot_id[i] = static_cast<uint8_t>(0xA0 + i);
  return sb;
}

// The 4 KiB area with `sb` in the copy its seq selects.
std::vector<uint8_t> area_with(const Superblock& sb, std::vector<uint8_t> area = std::vector<uint8_t>(4096, 0)) {
  const auto bytes = encode_superblock(sb);
  std::memcpy(area.data() + superblock_copy_offset(sb.seq), bytes.data(), bytes.size());
  return area;
}

TEST(Superblock, EveryFieldRoundTrips) {
  const Superblock sb = sample(5);
  auto got = decode_superblock_area(area_with(sb));
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->seq, sb.seq);
  EXPECT_EQ(got->flags, sb.flags);
  EXPECT_TRUE(got->has(kMdUnorderedWrites));
  EXPECT_EQ(got->uuids, sb.uuids);
  EXPECT_EQ(got->data_bytes, sb.data_bytes);
  EXPECT_EQ(got->bm_bytes, sb.bm_bytes);
  EXPECT_EQ(got->al_extents, sb.al_extents);
  EXPECT_EQ(got->device_uuid, sb.device_uuid);
  EXPECT_EQ(got->al_tr_number, sb.al_tr_number);
  EXPECT_EQ(got->boot_id, sb.boot_id);
}

TEST(Superblock, TheNewerValidCopyWinsAndATornOneFallsBack) {
  auto area = area_with(sample(6));
  Superblock newer = sample(7);
  newer.flags = kMdConsistent;
  area = area_with(newer, area);
  auto got = decode_superblock_area(area);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->seq, 7u);
  EXPECT_FALSE(got->has(kMdUnorderedWrites));
  // Tear the newer copy (seq 7 lives at 2048): the older one is read.
  area[superblock_copy_offset(7) + 100] ^= 0xFF;
  got = decode_superblock_area(area);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->seq, 6u);
  // Both torn: a clear error.
  area[superblock_copy_offset(6) + 40] ^= 0xFF;
  got = decode_superblock_area(area);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("corrupt"), std::string::npos);
}

TEST(Superblock, ACopyWithoutABootIdReadsAsUnknown) {
  // Before the flag existed bytes 96.. were zero; the checksum covers them.
  Superblock old = sample(3);
  old.flags = kMdConsistent;
  old.boot_id = BootId{};
  auto got = decode_superblock_area(area_with(old));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->boot_id, BootId{});
  EXPECT_FALSE(got->has(kMdUnorderedWrites));
}

TEST(Superblock, NoMetaDataIsSaidSo) {
  auto got = decode_superblock_area(std::vector<uint8_t>(4096, 0));
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("no Quorate meta data"), std::string::npos);
}

// DRBD's internal meta-data size (REPLICATION-FACTS: Ms = ceil(Cs / 2^18) * 8
// + 72 sectors for Cs sectors of backing device), at the end of the device:
// | data | bitmap | AL 32 KiB | superblock 4 KiB |.
TEST(MetaDataLayout, InternalFollowsDrbdsFormula) {
  const uint64_t gib = 1ULL << 30;
  auto l = internal_layout(gib);
  ASSERT_TRUE(l.ok()) << l.error().message;
  // 2^21 sectors: ceil(2^21 / 2^18) * 8 = 64 bitmap sectors (32 KiB), + 72.
  EXPECT_EQ(l->md_sectors(), 64u + 72u);
  EXPECT_EQ(l->bm_bytes, 32u * 1024);
  EXPECT_EQ(l->sb_offset, gib - 4096);
  EXPECT_EQ(l->al_offset, gib - 4096 - 32 * 1024);
  EXPECT_EQ(l->bm_offset, l->al_offset - 32 * 1024);
  EXPECT_EQ(l->data_bytes, gib - (64 + 72) * 512);
  EXPECT_EQ(l->bits(), l->data_bytes / 4096);
  // One sector more starts another 8-sector bitmap step.
  auto l2 = internal_layout(gib + 512);
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ(l2->bm_bytes, 32u * 1024 + 4096);
  // An odd size: everything stays 4 KiB aligned.
  auto l3 = internal_layout(10 * gib + 3 * 512);
  ASSERT_TRUE(l3.ok());
  EXPECT_EQ(l3->sb_offset % 4096, 0u);
  EXPECT_EQ(l3->data_bytes % 4096, 0u);
  EXPECT_LE(l3->data_bytes + l3->md_sectors() * 512, 10 * gib + 3 * 512);
  // Too small to hold the meta data and 64 KiB of data.
  EXPECT_FALSE(internal_layout(64 * 1024).ok());
}

TEST(MetaDataLayout, ExternalSlotsAre128MiB) {
  const uint64_t gib = 1ULL << 30;
  auto l = external_layout(gib, 256ULL << 20, 1);
  ASSERT_TRUE(l.ok()) << l.error().message;
  EXPECT_EQ(l->data_bytes, gib);
  EXPECT_EQ(l->sb_offset, 128ULL << 20);
  EXPECT_EQ(l->al_offset, (128ULL << 20) + 4096);
  EXPECT_EQ(l->bm_offset, (128ULL << 20) + 4096 + 32 * 1024);
  EXPECT_EQ(l->bm_bytes, 32u * 1024);
  auto no_slot = external_layout(gib, 256ULL << 20, 2);
  ASSERT_FALSE(no_slot.ok());
  EXPECT_NE(no_slot.error().message.find("no slot [2]"), std::string::npos) << no_slot.error().message;
  // Flexible (no index): at the start of a meta device just large enough.
  auto flex = external_layout(gib, 4096 + 32 * 1024 + 32 * 1024, std::nullopt);
  ASSERT_TRUE(flex.ok()) << flex.error().message;
  EXPECT_EQ(flex->sb_offset, 0u);
  EXPECT_FALSE(external_layout(gib, 4096 + 32 * 1024, std::nullopt).ok());
}

}  // namespace
}  // namespace quorate::replication
