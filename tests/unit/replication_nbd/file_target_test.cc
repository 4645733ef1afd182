// FileTarget on real files (and a loop device when losetup works here).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "replication/file_target.h"
#include "tests/unit/replication_nbd/scratch_files.h"

namespace quorate::replication {
namespace {


class FileTargetTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(scratch.ok()); }
  test_files::ScratchFile scratch{"/tmp/quorate-ft-XXXXXX", 1 << 20};
  const std::string& dir = scratch.dir();
  const std::string& path = scratch.path();
};

TEST_F(FileTargetTest, MissingFileErrorNamesPath) {
  auto t = FileTarget::open(dir + "/nope");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.error().message, dir + "/nope: No such file or directory");
}

TEST_F(FileTargetTest, SizeNotMultipleOf512AndDirectoryRefused) {
  ASSERT_EQ(truncate(path.c_str(), 1000), 0);
  auto t = FileTarget::open(path);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.error().message.find("not a multiple of 512"), std::string::npos);
  auto d = FileTarget::open(dir);
  ASSERT_FALSE(d.ok());
}

TEST_F(FileTargetTest, WriteReadTrimZeroFlushAndBounds) {
  auto t = FileTarget::open(path);
  ASSERT_TRUE(t.ok()) << t.error().message;
  FileTarget& f = **t;
  EXPECT_EQ(f.size(), 1u << 20);
  EXPECT_TRUE(f.writable());
  int err = -1;
  const std::vector<uint8_t> data(8192, 0x5a);
  f.write(4096, data, true, [&](int e) { err = e; });
  EXPECT_EQ(err, 0);
  std::vector<uint8_t> got;
  f.read(4096, 8192, [&](int e, std::span<const uint8_t> d) {
    err = e;
    got.assign(d.begin(), d.end());
  });
  EXPECT_EQ(err, 0);
  EXPECT_EQ(got, data);
  f.trim(4096, 4096, [&](int e) { err = e; });
  EXPECT_EQ(err, 0);
  f.write_zeroes(8192, 4096, false, [&](int e) { err = e; });
  EXPECT_EQ(err, 0);
  f.read(4096, 8192, [&](int e, std::span<const uint8_t> d) {
    err = e;
    got.assign(d.begin(), d.end());
  });
  EXPECT_EQ(got, std::vector<uint8_t>(8192, 0));
  f.flush([&](int e) { err = e; });
  EXPECT_EQ(err, 0);
  f.read((1 << 20) - 10, 11, [&](int e, std::span<const uint8_t>) { err = e; });
  EXPECT_EQ(err, EINVAL);
  f.write(UINT64_MAX - 1, data, false, [&](int e) { err = e; });
  EXPECT_EQ(err, EINVAL);
}

TEST_F(FileTargetTest, SetWritableFalseGivesErofsWithReason) {
  auto t = FileTarget::open(path);
  ASSERT_TRUE(t.ok());
  (*t)->set_writable(false, "r0 is Secondary");
  EXPECT_FALSE((*t)->writable());
  EXPECT_EQ((*t)->read_only_reason(), "r0 is Secondary");
  int err = 0;
  const std::vector<uint8_t> data(512, 1);
  (*t)->write(0, data, false, [&](int e) { err = e; });
  EXPECT_EQ(err, EROFS);
  (*t)->trim(0, 512, [&](int e) { err = e; });
  EXPECT_EQ(err, EROFS);
  (*t)->write_zeroes(0, 512, false, [&](int e) { err = e; });
  EXPECT_EQ(err, EROFS);
  (*t)->set_writable(true);
  (*t)->write(0, data, false, [&](int e) { err = e; });
  EXPECT_EQ(err, 0);
}

TEST_F(FileTargetTest, BlockDeviceSizeFromLoopDevice) {
  test_files::LoopDevice loop(path);
  if (loop.device().empty()) GTEST_SKIP() << loop.why_not();
  {
    auto t = FileTarget::open(loop.device());
    if (t.ok()) {
      EXPECT_TRUE((*t)->is_block_device());
      EXPECT_EQ((*t)->size(), 1u << 20);
      int err = -1;
      (*t)->write_zeroes(0, 4096, true, [&](int e) { err = e; });
      EXPECT_EQ(err, 0);
    } else {
      ADD_FAILURE() << t.error().message;
    }
  }
  EXPECT_TRUE(loop.detach());
}

}  // namespace
}  // namespace quorate::replication
