// DirectWriter and FileTarget's large writes on a real file: what goes past
// the page cache, what stays buffered, and that buffered reads see it.
//
// "In the page cache or not" is asked with preadv2(RWF_NOWAIT), which fails
// with EAGAIN rather than read a page that is not cached.
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <vector>

#include "replication/direct_write.h"
#include "replication/file_target.h"
#include "tests/unit/replication_nbd/scratch_files.h"

namespace quorate::replication {
namespace {

constexpr size_t kFileBytes = 8u << 20;

class DirectWriteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(scratch.ok());
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    ASSERT_GE(fd, 0);
  }
  void TearDown() override {
    if (fd >= 0) ::close(fd);
  }

  // /var/tmp: a disk file system (tmpfs keeps every page cached).
  test_files::ScratchFile scratch{"/var/tmp/quorate-dw-XXXXXX", kFileBytes};
  const std::string& dir = scratch.dir();
  const std::string& path = scratch.path();
  int fd = -1;

  // True if every byte of the range is in the page cache.
  bool cached(uint64_t offset, size_t length) {
    std::vector<uint8_t> buf(length);
    iovec iov{buf.data(), length};
    const ssize_t n = ::preadv2(fd, &iov, 1, static_cast<off_t>(offset), RWF_NOWAIT);
    if (n < 0 && errno == EOPNOTSUPP) return true;  // cannot tell: callers skip
    return n == static_cast<ssize_t>(length);
  }
  bool can_tell() {
    std::vector<uint8_t> buf(4096);
    iovec iov{buf.data(), buf.size()};
    return !(::preadv2(fd, &iov, 1, 0, RWF_NOWAIT) < 0 && errno == EOPNOTSUPP);
  }
  std::vector<uint8_t> read_back(uint64_t offset, size_t length) {
    std::vector<uint8_t> buf(length);
    EXPECT_EQ(::pread(fd, buf.data(), length, static_cast<off_t>(offset)), static_cast<ssize_t>(length));
    return buf;
  }
  static std::vector<uint8_t> pattern(size_t length, uint8_t seed) {
    std::vector<uint8_t> v(length);
    for (size_t i = 0; i < length; ++i) v[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 12));
    return v;
  }

};

TEST_F(DirectWriteTest, OnlyLargeWholePageWritesSuit) {
  EXPECT_TRUE(DirectWriter::suits(0, 128 * 1024));
  EXPECT_TRUE(DirectWriter::suits(4096, 64 * 1024 + 4096));
  EXPECT_FALSE(DirectWriter::suits(0, 64 * 1024));            // small: buffered
  EXPECT_FALSE(DirectWriter::suits(512, 128 * 1024));         // offset not on a page
  EXPECT_FALSE(DirectWriter::suits(0, 128 * 1024 + 512));     // length not whole pages
}

TEST_F(DirectWriteTest, ALargeWriteBypassesThePageCacheAndBufferedReadsSeeIt) {
  if (!can_tell()) GTEST_SKIP() << "RWF_NOWAIT reads not supported here";
  DirectWriter w(path);
  if (!w.enabled()) GTEST_SKIP() << w.disabled_reason();
  // Old data, buffered and read: cached.
  const auto old_data = pattern(1 << 20, 1);
  ASSERT_EQ(::pwrite(fd, old_data.data(), old_data.size(), 1 << 20), static_cast<ssize_t>(old_data.size()));
  EXPECT_EQ(read_back(1 << 20, old_data.size()), old_data);
  EXPECT_TRUE(cached(1 << 20, old_data.size()));

  const auto fresh = pattern(1 << 20, 99);
  const auto r = w.write(fresh.data(), fresh.size(), 1 << 20);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 0);
  // The direct write dropped the stale pages; a buffered read gets the new data.
  EXPECT_FALSE(cached(1 << 20, fresh.size()));
  EXPECT_EQ(read_back(1 << 20, fresh.size()), fresh);
}

TEST_F(DirectWriteTest, UnsuitableWritesAreLeftToTheCaller) {
  DirectWriter w(path);
  if (!w.enabled()) GTEST_SKIP() << w.disabled_reason();
  const auto data = pattern(256 * 1024 + 512, 3);
  EXPECT_FALSE(w.write(data.data(), 64 * 1024, 0).has_value());
  EXPECT_FALSE(w.write(data.data(), 128 * 1024, 512).has_value());
  EXPECT_FALSE(w.write(data.data(), data.size(), 0).has_value());
  EXPECT_TRUE(w.enabled());  // declining a write is not a failure
  EXPECT_EQ(read_back(0, 4096), std::vector<uint8_t>(4096, 0));
}

TEST_F(DirectWriteTest, BuffersOfAnyAlignmentAndSizeAboveTheBounceBufferLandIntact) {
  DirectWriter w(path);
  if (!w.enabled()) GTEST_SKIP() << w.disabled_reason();
  // 3 MiB + 8 KiB from an address 1 byte past a page boundary: copied
  // through the bounce buffer in four pieces.
  const size_t len = 3 * DirectWriter::kBounceBytes + 8192;
  void* raw = nullptr;
  ASSERT_EQ(::posix_memalign(&raw, DirectWriter::kAlign, len + DirectWriter::kAlign), 0);
  std::unique_ptr<uint8_t, decltype(&std::free)> mem(static_cast<uint8_t*>(raw), &std::free);
  const auto data = pattern(len, 17);
  std::copy(data.begin(), data.end(), mem.get() + 1);
  auto r = w.write(mem.get() + 1, len, 4096);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(read_back(4096, len), data);
  // And an aligned buffer, written as it is.
  const auto other = pattern(DirectWriter::kBounceBytes * 2, 201);
  std::copy(other.begin(), other.end(), mem.get());
  r = w.write(mem.get(), other.size(), 4u << 20);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(*r, 0);
  EXPECT_EQ(read_back(4u << 20, other.size()), other);
  EXPECT_EQ(read_back(0, 4096), std::vector<uint8_t>(4096, 0));  // nothing before it touched
}

TEST_F(DirectWriteTest, AFileThatCannotBeOpenedLeavesTheWriterOffWithTheReason) {
  DirectWriter w(dir + "/absent");
  EXPECT_FALSE(w.enabled());
  EXPECT_EQ(w.disabled_reason(), dir + "/absent: open with O_DIRECT: No such file or directory");
  const auto data = pattern(128 * 1024, 5);
  EXPECT_FALSE(w.write(data.data(), data.size(), 0).has_value());
  DirectWriter none;
  EXPECT_FALSE(none.enabled());
}

TEST_F(DirectWriteTest, OnTmpfsTheWriterStaysOffBecauseItsPageCacheIsTheStorage) {
  struct statfs fs {};
  if (::statfs("/dev/shm", &fs) != 0 || fs.f_type != TMPFS_MAGIC) GTEST_SKIP() << "no tmpfs at /dev/shm";
  test_files::ScratchFile on_tmpfs("/dev/shm/quorate-dw-XXXXXX", 1 << 20);
  ASSERT_TRUE(on_tmpfs.ok());
  DirectWriter w(on_tmpfs.path());
  EXPECT_FALSE(w.enabled());
  EXPECT_EQ(w.disabled_reason(), on_tmpfs.path() + " is on tmpfs (its page cache is the storage)");
  const auto data = pattern(128 * 1024, 9);
  EXPECT_FALSE(w.write(data.data(), data.size(), 0).has_value());
}

// A block device's node lives on /dev's tmpfs; the device itself takes
// direct writes whatever backs it.
TEST_F(DirectWriteTest, ABlockDeviceTakesDirectWritesEvenWithItsNodeOnTmpfs) {
  test_files::LoopDevice loop(path);
  if (loop.device().empty()) GTEST_SKIP() << loop.why_not();
  {
    DirectWriter w(loop.device());
    EXPECT_TRUE(w.enabled()) << w.disabled_reason();
    const auto data = pattern(256 * 1024, 77);
    const auto r = w.write(data.data(), data.size(), 1 << 20);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, 0);
    // Through the loop device to its backing file.
    EXPECT_EQ(read_back(1 << 20, data.size()), data);
  }
  EXPECT_TRUE(loop.detach());
}

TEST_F(DirectWriteTest, FileTargetWritesLargeBlocksPastThePageCacheAndSmallOnesThroughIt) {
  if (!can_tell()) GTEST_SKIP() << "RWF_NOWAIT reads not supported here";
  auto t = FileTarget::open(path);
  ASSERT_TRUE(t.ok()) << t.error().message;
  {
    DirectWriter probe(path);
    if (!probe.enabled()) GTEST_SKIP() << probe.disabled_reason();
  }
  const auto big = pattern(1 << 20, 7);
  const auto small = pattern(16 * 1024, 8);
  int err = -1;
  (*t)->write(2u << 20, big, false, [&](int e) { err = e; });
  EXPECT_EQ(err, 0);
  (*t)->write(0, small, false, [&](int e) { err = e; });
  EXPECT_EQ(err, 0);
  EXPECT_FALSE(cached(2u << 20, big.size()));
  EXPECT_TRUE(cached(0, small.size()));
  std::vector<uint8_t> got;
  (*t)->read(2u << 20, static_cast<uint32_t>(big.size()), [&](int e, std::span<const uint8_t> d) {
    err = e;
    got.assign(d.begin(), d.end());
  });
  EXPECT_EQ(err, 0);
  EXPECT_EQ(got, big);
}

}  // namespace
}  // namespace quorate::replication
