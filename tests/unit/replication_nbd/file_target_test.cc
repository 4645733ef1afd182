// FileTarget on real files (and a loop device when losetup works here).
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <vector>

#include "replication/file_target.h"

namespace quorate::replication {
namespace {

namespace fs = std::filesystem;

class FileTargetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/quorate-ft-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    path = dir + "/f.img";
    std::ofstream(path, std::ios::binary).put(0);
    ASSERT_EQ(truncate(path.c_str(), 1 << 20), 0);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string dir, path;
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
  if (geteuid() != 0 || access("/sbin/losetup", X_OK) != 0) GTEST_SKIP() << "needs root and losetup";
  FILE* p = popen(("losetup --find --show " + path + " 2>/dev/null").c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[128] = {};
  const bool got = fgets(buf, sizeof buf, p) != nullptr;
  pclose(p);
  if (!got) GTEST_SKIP() << "no free loop device";
  std::string dev(buf);
  while (!dev.empty() && (dev.back() == '\n')) dev.pop_back();
  {
    auto t = FileTarget::open(dev);
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
  EXPECT_EQ(std::system(("losetup -d " + dev).c_str()), 0);
}

}  // namespace
}  // namespace quorate::replication
