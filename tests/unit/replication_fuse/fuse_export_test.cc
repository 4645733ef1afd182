// FuseExport over a real FUSE mount: the file's size and mode, byte-exact
// pread/pwrite, fsync → flush, EROFS on a read-only target, fallocate, the
// in-flight bound, stop with I/O in flight, and losetup + mkfs.ext4 + mount on
// the exported file. Needs root, /dev/fuse and losetup (skipped otherwise).
#include "replication/fuse_export.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <linux/falloc.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "temp_file_target.h"

namespace quorate::replication {
namespace {

namespace fs = std::filesystem;
using testing::TempFileTarget;

constexpr uint64_t kVolumeBytes = 64ull << 20;

struct CommandResult {
  int status = -1;
  std::string output;
};

// Runs a shell command to completion; stdout and stderr are captured.
CommandResult run(const std::string& command) {
  CommandResult r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return r;
  char buf[4096];
  size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

template <typename Pred>
bool poll_until(Pred pred, std::chrono::milliseconds deadline = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

// A temp directory removed with everything in it (after the guards declared
// later, which unmount, have run).
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "quorate-fuse-XXXXXX").string();
    if (::mkdtemp(pattern.data()) != nullptr) path_ = pattern;
  }
  ~TempDir() {
    if (path_.empty()) return;
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string sub(const std::string& name) const {
    const std::string p = path_ + "/" + name;
    ::mkdir(p.c_str(), 0700);
    return p;
  }

 private:
  std::string path_;
};

// The owner's io_context, run on its own thread (the FUSE thread posts to it).
class IoThread {
 public:
  IoThread() : guard_(io_.get_executor()), thread_([this] { io_.run(); }) {}
  ~IoThread() {
    guard_.reset();
    io_.stop();
    thread_.join();
  }
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  boost::asio::io_context& io() { return io_; }
  template <typename F>
  void on_io(F f) {
    std::promise<void> done;
    boost::asio::post(io_, [&] {
      f();
      done.set_value();
    });
    done.get_future().wait();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::thread thread_;
};

class LoopDevice {
 public:
  LoopDevice() = default;
  ~LoopDevice() { detach(); }
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;
  CommandResult attach(const std::string& file, bool direct_io) {
    CommandResult r =
        run(std::string("losetup ") + (direct_io ? "--direct-io=on " : "") + "-f --show " + file);
    if (r.status == 0) {
      device_ = r.output.substr(0, r.output.find('\n'));
    }
    return r;
  }
  void detach() {
    if (device_.empty()) return;
    run("losetup -d " + device_);
    device_.clear();
  }
  const std::string& device() const { return device_; }

 private:
  std::string device_;
};

class MountGuard {
 public:
  MountGuard() = default;
  ~MountGuard() { unmount(); }
  MountGuard(const MountGuard&) = delete;
  MountGuard& operator=(const MountGuard&) = delete;
  CommandResult mount(const std::string& device, const std::string& dir) {
    CommandResult r = run("mount " + device + " " + dir);
    if (r.status == 0) dir_ = dir;
    return r;
  }
  CommandResult unmount() {
    if (dir_.empty()) return {0, ""};
    CommandResult r = run("umount " + dir_);
    if (r.status != 0) r = run("umount -l " + dir_);
    dir_.clear();
    return r;
  }

 private:
  std::string dir_;
};

std::vector<uint8_t> pattern_bytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(rng());
  return v;
}

std::vector<uint8_t> read_file_range(const std::string& path, uint64_t offset, size_t n) {
  std::vector<uint8_t> v(n);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  const ssize_t got = ::pread(fd, v.data(), n, static_cast<off_t>(offset));
  ::close(fd);
  if (got != static_cast<ssize_t>(n)) return {};
  return v;
}

class FuseExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (mounts FUSE, attaches loop devices)";
    if (::access("/dev/fuse", R_OK | W_OK) != 0) GTEST_SKIP() << "/dev/fuse is missing";
    ASSERT_FALSE(tmp_.path().empty());
    backing_ = tmp_.path() + "/backing.img";
    mnt_ = tmp_.sub("mnt");
    target_ = std::make_unique<TempFileTarget>(backing_, kVolumeBytes);
    ASSERT_TRUE(target_->valid());
    io_ = std::make_unique<IoThread>();
  }
  void TearDown() override {
    if (exp_) exp_->stop();
    exp_.reset();
    io_.reset();
    target_.reset();
  }

  void start_export(FuseExport::Options options = {}) {
    if (!options.log) {
      options.log = [this](std::string_view line) {
        std::lock_guard lock(log_mu_);
        log_.emplace_back(line);
      };
    }
    auto r = FuseExport::start(io_->io(), *target_, mnt_, "r0", std::move(options));
    ASSERT_TRUE(r.ok()) << r.error().message;
    exp_ = std::move(r).value();
    file_ = exp_->file_path();
  }

  std::vector<std::string> log_lines() {
    std::lock_guard lock(log_mu_);
    return log_;
  }

  TempDir tmp_;
  std::string backing_, mnt_, file_;
  std::unique_ptr<TempFileTarget> target_;
  std::unique_ptr<IoThread> io_;
  std::unique_ptr<FuseExport> exp_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
};

TEST_F(FuseExportTest, FileHasTheVolumeSizeModeAndOwner) {
  start_export();
  EXPECT_EQ(file_, mnt_ + "/r0");
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0) << std::strerror(errno);
  EXPECT_TRUE(S_ISREG(st.st_mode));
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kVolumeBytes);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_uid, 0u);
  EXPECT_EQ(st.st_gid, 0u);

  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(mnt_)) names.push_back(e.path().filename());
  EXPECT_EQ(names, std::vector<std::string>{"r0"});

  target_->set_writable(false);
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0400u);
  struct stat missing {};
  EXPECT_EQ(::stat((mnt_ + "/r1").c_str(), &missing), -1);
  EXPECT_EQ(errno, ENOENT);
}

TEST_F(FuseExportTest, OpensByOtherProcessesAreCountedUntilReleased) {
  start_export();
  // This process's own opens (quorated's loop device) do not count.
  const int own = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(own, 0) << std::strerror(errno);
  EXPECT_EQ(exp_->opened_by_others(), 0u);
  // A child holds the file open until the parent says go.
  int up[2], go[2];  // child -> parent: opened; parent -> child: exit
  ASSERT_EQ(::pipe2(up, O_CLOEXEC), 0);
  ASSERT_EQ(::pipe2(go, O_CLOEXEC), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int fd = ::open(file_.c_str(), O_RDONLY);
    char c = fd >= 0 ? 'o' : 'x';
    (void)!::write(up[1], &c, 1);
    (void)!::read(go[0], &c, 1);
    ::_exit(fd >= 0 ? 0 : 1);
  }
  char c = 0;
  ASSERT_EQ(::read(up[0], &c, 1), 1);
  EXPECT_EQ(c, 'o');
  EXPECT_EQ(exp_->opened_by_others(), 1u);
  ASSERT_EQ(::write(go[1], "x", 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_TRUE(poll_until([&] { return exp_->opened_by_others() == 0; })) << exp_->opened_by_others();
  for (int fd : {up[0], up[1], go[0], go[1]}) ::close(fd);
  ::close(own);
}

TEST_F(FuseExportTest, PreadPwriteReachTheTargetByteExact) {
  start_export();
  const int fd = ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  struct Piece {
    uint64_t offset;
    size_t length;
  };
  // Aligned, unaligned, larger than one FUSE request, and the last bytes.
  const std::vector<Piece> pieces = {
      {0, 4096}, {4096 * 3 + 17, 1000}, {1 << 20, 3 << 20}, {kVolumeBytes - 512, 512}};
  uint32_t seed = 1;
  for (const auto& p : pieces) {
    const auto data = pattern_bytes(p.length, seed++);
    ASSERT_EQ(::pwrite(fd, data.data(), data.size(), static_cast<off_t>(p.offset)),
              static_cast<ssize_t>(data.size()))
        << std::strerror(errno);
    // Through the target's file...
    EXPECT_EQ(read_file_range(backing_, p.offset, p.length), data) << "at " << p.offset;
    // ...and back through the mount.
    std::vector<uint8_t> back(p.length);
    ASSERT_EQ(::pread(fd, back.data(), back.size(), static_cast<off_t>(p.offset)),
              static_cast<ssize_t>(back.size()));
    EXPECT_EQ(back, data) << "at " << p.offset;
  }
  // The target's own changes are seen through the mount (no page cache).
  const auto direct = pattern_bytes(4096, 99);
  {
    const int bfd = ::open(backing_.c_str(), O_WRONLY | O_CLOEXEC);
    ASSERT_GE(bfd, 0);
    ASSERT_EQ(::pwrite(bfd, direct.data(), direct.size(), 8192), 4096);
    ::close(bfd);
  }
  std::vector<uint8_t> back(4096);
  ASSERT_EQ(::pread(fd, back.data(), back.size(), 8192), 4096);
  EXPECT_EQ(back, direct);

  // End of file: a read there returns 0; a write there fails with EFBIG.
  char c = 0;
  EXPECT_EQ(::pread(fd, &c, 1, static_cast<off_t>(kVolumeBytes)), 0);
  EXPECT_EQ(::pwrite(fd, &c, 1, static_cast<off_t>(kVolumeBytes)), -1);
  EXPECT_EQ(errno, EFBIG);
  ::close(fd);
}

TEST_F(FuseExportTest, ODirectOpenWorks) {
  start_export();
  const int fd = ::open(file_.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  void* mem = nullptr;
  ASSERT_EQ(::posix_memalign(&mem, 4096, 4096), 0);
  const auto data = pattern_bytes(4096, 7);
  std::memcpy(mem, data.data(), data.size());
  EXPECT_EQ(::pwrite(fd, mem, 4096, 65536), 4096) << std::strerror(errno);
  std::free(mem);
  ::close(fd);
  EXPECT_EQ(read_file_range(backing_, 65536, 4096), data);
}

TEST_F(FuseExportTest, FsyncAndFdatasyncReachFlush) {
  start_export();
  const int fd = ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto data = pattern_bytes(4096, 3);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 0), 4096);
  const uint64_t before = target_->flushes.load();
  ASSERT_EQ(::fsync(fd), 0) << std::strerror(errno);
  EXPECT_EQ(target_->flushes.load(), before + 1);
  ASSERT_EQ(::fdatasync(fd), 0);
  EXPECT_EQ(target_->flushes.load(), before + 2);
  ::close(fd);

  // O_DSYNC writes are FUA writes.
  const int sync_fd = ::open(file_.c_str(), O_RDWR | O_DSYNC | O_CLOEXEC);
  ASSERT_GE(sync_fd, 0);
  const uint64_t fua_before = target_->fua_writes.load();
  ASSERT_EQ(::pwrite(sync_fd, data.data(), data.size(), 4096), 4096);
  EXPECT_EQ(target_->fua_writes.load(), fua_before + 1);
  ::close(sync_fd);
}

TEST_F(FuseExportTest, ReadOnlyTargetRefusesWritesWithErofs) {
  start_export();
  const auto data = pattern_bytes(4096, 5);
  // Opened while writable, then demoted: the write itself is refused.
  const int rw = ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(rw, 0);
  target_->set_writable(false);
  EXPECT_EQ(::pwrite(rw, data.data(), data.size(), 0), -1);
  EXPECT_EQ(errno, EROFS);
  EXPECT_EQ(::fallocate(rw, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), -1);
  EXPECT_EQ(errno, EROFS);
  ::close(rw);
  // A new open for writing by another process is refused (a child opens it:
  // the export's own process may, for quorated's loop device); reading
  // still works.
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CLOEXEC);
    ::_exit(fd >= 0 ? 0 : (errno == EROFS ? 30 : 1));
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 30) << "0: opened for writing; 1: refused with another errno";
  const int own = ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
  EXPECT_GE(own, 0) << "the export's own process";
  if (own >= 0) {
    EXPECT_EQ(::pwrite(own, data.data(), data.size(), 0), -1) << "its writes are refused all the same";
    EXPECT_EQ(errno, EROFS);
    ::close(own);
  }
  const int ro = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(ro, 0);
  std::vector<uint8_t> back(4096, 0xff);
  EXPECT_EQ(::pread(ro, back.data(), back.size(), 0), 4096);
  EXPECT_EQ(back, std::vector<uint8_t>(4096, 0));
  ::close(ro);
  EXPECT_EQ(target_->writes.load(), 0u);

  const auto lines = log_lines();
  ASSERT_GE(lines.size(), 3u);
  for (const auto& l : lines) {
    EXPECT_NE(l.find("EROFS"), std::string::npos) << l;
    EXPECT_NE(l.find("r0 is Secondary"), std::string::npos) << l;
  }
}

TEST_F(FuseExportTest, FallocatePunchHoleTrimsAndZeroRangeWritesZeroes) {
  start_export();
  const int fd = ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  const auto data = pattern_bytes(1 << 16, 11);
  ASSERT_EQ(::pwrite(fd, data.data(), data.size(), 0), 1 << 16);
  ASSERT_EQ(::fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 8192), 0)
      << std::strerror(errno);
  EXPECT_EQ(target_->trims.load(), 1u);
  ASSERT_EQ(::fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 16384, 8192), 0)
      << std::strerror(errno);
  EXPECT_EQ(target_->zeroes.load(), 1u);
  std::vector<uint8_t> back(1 << 16);
  ASSERT_EQ(::pread(fd, back.data(), back.size(), 0), 1 << 16);
  auto expected = data;
  std::fill(expected.begin(), expected.begin() + 8192, 0);
  std::fill(expected.begin() + 16384, expected.begin() + 16384 + 8192, 0);
  EXPECT_EQ(back, expected);
  // Plain allocation inside the file is a no-op; collapsing is refused.
  EXPECT_EQ(::fallocate(fd, 0, 0, 4096), 0);
  EXPECT_EQ(::fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 0, 4096), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  ::close(fd);
}

TEST_F(FuseExportTest, NamesAndSizeAreFixed) {
  start_export();
  EXPECT_EQ(::open((mnt_ + "/new").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::unlink(file_.c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::mkdir((mnt_ + "/d").c_str(), 0700), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::rename(file_.c_str(), (mnt_ + "/r1").c_str()), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::truncate(file_.c_str(), 4096), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::chmod(file_.c_str(), 0644), -1);
  EXPECT_EQ(errno, EPERM);
  EXPECT_EQ(::truncate(file_.c_str(), static_cast<off_t>(kVolumeBytes)), 0);
  struct stat st {};
  ASSERT_EQ(::stat(file_.c_str(), &st), 0);
  EXPECT_EQ(static_cast<uint64_t>(st.st_size), kVolumeBytes);
}

TEST_F(FuseExportTest, StartRefusesBadMountpointsAndNames) {
  const std::string missing = tmp_.path() + "/missing";
  auto r = FuseExport::start(io_->io(), *target_, missing, "r0");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(missing), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("No such file"), std::string::npos) << r.error().message;

  const std::string full = tmp_.sub("full");
  { std::ofstream(full + "/stray") << "x"; }
  r = FuseExport::start(io_->io(), *target_, full, "r0");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not empty"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("stray"), std::string::npos) << r.error().message;

  r = FuseExport::start(io_->io(), *target_, backing_, "r0");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("not a directory"), std::string::npos) << r.error().message;

  for (const char* bad : {"", ".", "..", "a/b"}) {
    r = FuseExport::start(io_->io(), *target_, mnt_, bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("not a plain file name"), std::string::npos);
  }
  FuseExport::Options zero;
  zero.max_in_flight = 0;
  r = FuseExport::start(io_->io(), *target_, mnt_, "r0", zero);
  EXPECT_FALSE(r.ok());
}

TEST_F(FuseExportTest, StopIsIdempotentAndUnmounts) {
  start_export();
  ASSERT_TRUE(fs::exists(file_));
  exp_->stop();
  exp_->stop();
  EXPECT_FALSE(fs::exists(file_));
  EXPECT_TRUE(fs::is_empty(mnt_));
  // The directory can be mounted again.
  exp_.reset();
  start_export();
  EXPECT_TRUE(fs::exists(file_));
  // stop() on the io_context's own thread (the owner's usual place).
  io_->on_io([&] { exp_->stop(); });
  EXPECT_FALSE(fs::exists(file_));
}

TEST_F(FuseExportTest, InFlightRequestsAreBounded) {
  FuseExport::Options options;
  options.max_in_flight = 2;
  start_export(options);
  io_->on_io([&] { target_->hold(true); });
  constexpr int kReaders = 6;
  std::atomic<int> done{0};
  std::vector<std::thread> readers;
  for (int i = 0; i < kReaders; ++i) {
    readers.emplace_back([&, i] {
      const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd >= 0) {
        std::vector<uint8_t> buf(4096);
        if (::pread(fd, buf.data(), buf.size(), static_cast<off_t>(i) * 4096) == 4096) ++done;
        ::close(fd);
      }
    });
  }
  EXPECT_TRUE(poll_until([&] { return target_->held_count() == 2; }));
  // Keep releasing until every reader is answered.
  const bool all = poll_until([&] {
    io_->on_io([&] { target_->release_held(); });
    return done.load() == kReaders;
  });
  io_->on_io([&] {
    target_->hold(false);
    target_->release_held();
  });
  for (auto& t : readers) t.join();
  EXPECT_TRUE(all);
  EXPECT_EQ(done.load(), kReaders);
  EXPECT_LE(target_->held_high_water(), 2u);
}

TEST_F(FuseExportTest, StopWithIoInFlightDoesNotCrash) {
  start_export();
  io_->on_io([&] { target_->hold(true); });
  std::atomic<int> write_result{1};
  std::atomic<int> write_errno{0};
  std::thread writer([&] {
    const int fd = ::open(file_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      write_result = -2;
      return;
    }
    const auto data = pattern_bytes(4096, 1);
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), 0);
    write_errno = errno;
    write_result = static_cast<int>(n);
    ::close(fd);
  });
  ASSERT_TRUE(poll_until([&] { return target_->held_count() == 1; }));
  exp_->stop();  // the write's completion is still held
  writer.join();
  EXPECT_EQ(write_result.load(), -1);
  EXPECT_NE(write_errno.load(), 0);
  // The held completion runs after the export is gone.
  exp_.reset();
  io_->on_io([&] {
    target_->hold(false);
    target_->release_held();
  });
  EXPECT_TRUE(poll_until([&] { return fs::is_empty(mnt_); }));
}

class FuseLoopTest : public FuseExportTest, public ::testing::WithParamInterface<bool> {
 protected:
  void SetUp() override {
    FuseExportTest::SetUp();
    if (IsSkipped()) return;
    if (run("command -v losetup").status != 0) GTEST_SKIP() << "losetup is missing";
    if (run("command -v mkfs.ext4").status != 0) GTEST_SKIP() << "mkfs.ext4 is missing";
  }
};

// The real use: a loop device on the exported file, an ext4 on it, files
// written and synced; then the data checked on the target's own file.
TEST_P(FuseLoopTest, LosetupMkfsMountWriteAndCheck) {
  const bool direct_io = GetParam();
  start_export();
  const std::string fs_dir = tmp_.sub("fs");
  std::vector<std::vector<uint8_t>> contents;
  {
    LoopDevice loop;
    CommandResult r = loop.attach(file_, direct_io);
    ASSERT_EQ(r.status, 0) << r.output;
    ASSERT_FALSE(loop.device().empty());
    // Whether the loop driver took direct I/O on the FUSE file (informational:
    // with FOPEN_DIRECT_IO both modes reach the target before completing).
    const std::string dev_name = loop.device().substr(loop.device().rfind('/') + 1);
    std::ifstream dio_file("/sys/block/" + dev_name + "/loop/dio");
    std::string dio;
    std::getline(dio_file, dio);
    RecordProperty("loop_dio", dio);
    if (direct_io) std::printf("loop direct I/O on %s: %s\n", loop.device().c_str(), dio.c_str());
    r = run("mkfs.ext4 -q -F " + loop.device());
    ASSERT_EQ(r.status, 0) << r.output;
    MountGuard mount;
    r = mount.mount(loop.device(), fs_dir);
    ASSERT_EQ(r.status, 0) << r.output;
    for (int i = 0; i < 3; ++i) {
      contents.push_back(pattern_bytes(static_cast<size_t>(300000 + i * 777777), 40 + i));
      std::ofstream out(fs_dir + "/f" + std::to_string(i), std::ios::binary);
      out.write(reinterpret_cast<const char*>(contents.back().data()),
                static_cast<std::streamsize>(contents.back().size()));
      ASSERT_TRUE(out.good());
    }
    ASSERT_EQ(run("sync -f " + fs_dir + "/f0").status, 0);
    EXPECT_GT(target_->flushes.load(), 0u);
    r = mount.unmount();
    ASSERT_EQ(r.status, 0) << r.output;
    loop.detach();
  }
  exp_->stop();
  // The backing file is a clean ext4 holding the files, byte for byte.
  CommandResult r = run("e2fsck -fn " + backing_);
  EXPECT_EQ(r.status, 0) << r.output;
  for (size_t i = 0; i < contents.size(); ++i) {
    const std::string out = tmp_.path() + "/out" + std::to_string(i);
    r = run("debugfs -R 'dump /f" + std::to_string(i) + " " + out + "' " + backing_);
    ASSERT_EQ(r.status, 0) << r.output;
    std::ifstream in(out, std::ios::binary);
    std::vector<uint8_t> got((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
    EXPECT_EQ(got, contents[i]) << "f" << i;
  }
}

// stop() while a loop device still holds the file: the mount is detached
// lazily, the connection aborted, and the device's I/O fails instead of
// hanging; detaching it afterwards works.
TEST_F(FuseLoopTest, StopWithLoopDeviceStillAttached) {
  start_export();
  LoopDevice loop;
  CommandResult r = loop.attach(file_, true);
  ASSERT_EQ(r.status, 0) << r.output;
  r = run("dd if=" + loop.device() + " of=/dev/null bs=4096 count=1 iflag=direct");
  ASSERT_EQ(r.status, 0) << r.output;
  exp_->stop();
  r = run("dd if=" + loop.device() + " of=/dev/null bs=4096 count=1 skip=7 iflag=direct");
  EXPECT_NE(r.status, 0) << r.output;
  loop.detach();
  EXPECT_TRUE(poll_until([&] { return fs::is_empty(mnt_); }));
}

INSTANTIATE_TEST_SUITE_P(DirectIo, FuseLoopTest, ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& param_info) {
                           return param_info.param ? std::string("DirectIoOn")
                                                   : std::string("Buffered");
                         });

}  // namespace
}  // namespace quorate::replication
