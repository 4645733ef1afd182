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

}  // namespace
}  // namespace quorate::replication
