// Meta data on real files (replication/volume_files): `disk { size }` limits
// the data area for create-md and attach alike, and a size the device cannot
// hold is an error that says so.
#include <gtest/gtest.h>

#include "replication/res_config.h"
#include "replication/volume_files.h"
#include "tests/unit/replication_nbd/scratch_files.h"

namespace quorate::replication {
namespace {

using test_files::ScratchFile;

struct OneHost {
  ResourceConfig res;
  HostConfig host;
};

OneHost one_host(const std::string& disk, std::optional<uint64_t> size_sectors) {
  OneHost h;
  h.res.name = "r0";
  h.res.disk.size_sectors = size_sectors;
  h.host.name = "alpha";
  h.host.disk = disk;
  h.host.meta_disk.kind = MetaDisk::Kind::kInternal;
  return h;
}

TEST(VolumeFiles, DiskSizeLimitsTheDataAreaForCreateMdAndAttach) {
  ScratchFile f("/tmp/quorate-vf-XXXXXX", 64ULL << 20);
  ASSERT_TRUE(f.ok());
  auto full = layout_of(one_host(f.path(), std::nullopt).host);
  ASSERT_TRUE(full.ok()) << full.error().message;
  const uint64_t size_sectors = (16ULL << 20) / 512;
  const OneHost h = one_host(f.path(), size_sectors);
  auto lines = create_md(h.res, h.host, CreateMdOptions{});
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  auto st = read_attach_state(h.host, size_sectors);
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(st->layout.data_bytes, 16ULL << 20);
  EXPECT_EQ(st->layout.sb_offset, full->sb_offset) << "the meta data stays at the end of the device";
  // Attached without the size, the superblock's recorded size disagrees.
  auto other = read_attach_state(h.host, std::nullopt);
  EXPECT_FALSE(other.ok());
}

TEST(VolumeFiles, ADiskSizeTheDeviceCannotHoldIsAnError) {
  ScratchFile f("/tmp/quorate-vf-XXXXXX", 16ULL << 20);
  ASSERT_TRUE(f.ok());
  auto big = layout_of(one_host(f.path(), std::nullopt).host, (16ULL << 20) / 512);
  ASSERT_FALSE(big.ok()) << "16 MiB of data cannot fit beside the meta data in 16 MiB";
  EXPECT_NE(big.error().message.find("is more than " + f.path() + " holds for data"), std::string::npos)
      << big.error().message;
  auto odd = layout_of(one_host(f.path(), std::nullopt).host, 7);
  ASSERT_FALSE(odd.ok());
  EXPECT_NE(odd.error().message.find("multiple of 4 KiB"), std::string::npos) << odd.error().message;
}

}  // namespace
}  // namespace quorate::replication
