// TempFileTarget: a BlockTarget over a file, for the FUSE export's tests only
// (the real FileTarget is replication/file_target.h, written elsewhere).
// Completes every call before it returns, with pread/pwrite/fdatasync/
// fallocate on the file. Counts flushes; can be made read-only; can hold
// completions back (hold()) until release_held() runs them, so tests can stop
// an export with I/O in flight.
//
// Threading: like every BlockTarget, used on the io_context's thread; the
// counters are atomics so the test thread may read them.
#pragma once

#include <fcntl.h>
#include <linux/falloc.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <functional>
#include <string>
#include <vector>

#include "replication/block_target.h"

namespace quorate::replication::testing {

class TempFileTarget final : public BlockTarget {
 public:
  // Creates (or truncates) `path` to `size_bytes`.
  TempFileTarget(const std::string& path, uint64_t size_bytes) : size_bytes_(size_bytes) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd_ >= 0 && ::ftruncate(fd_, static_cast<off_t>(size_bytes)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~TempFileTarget() override {
    if (fd_ >= 0) ::close(fd_);
  }
  TempFileTarget(const TempFileTarget&) = delete;
  TempFileTarget& operator=(const TempFileTarget&) = delete;

  bool valid() const { return fd_ >= 0; }

  uint64_t size() const override { return size_bytes_; }
  bool writable() const override { return writable_.load(); }
  std::string read_only_reason() const override { return "r0 is Secondary"; }

  void set_writable(bool w) { writable_ = w; }
  void hold(bool h) { hold_ = h; }
  size_t held_count() const { return held_count_.load(); }
  // On the io thread: runs the completions held back so far.
  void release_held() {
    auto held = std::move(held_);
    held_.clear();
    held_count_ = 0;
    for (auto& f : held) f();
  }

  std::atomic<uint64_t> flushes{0};
  std::atomic<uint64_t> writes{0};
  std::atomic<uint64_t> fua_writes{0};
  std::atomic<uint64_t> trims{0};
  std::atomic<uint64_t> zeroes{0};

  void read(uint64_t offset, uint32_t length, ReadDone done) override {
    if (!in_range(offset, length)) return done(EINVAL, {});
    auto buf = std::make_shared<std::vector<uint8_t>>(length);
    const ssize_t n = ::pread(fd_, buf->data(), length, static_cast<off_t>(offset));
    const int err = n == static_cast<ssize_t>(length) ? 0 : EIO;
    complete([done = std::move(done), buf, err] { done(err, *buf); });
  }
  void write(uint64_t offset, std::span<const uint8_t> data, bool fua, Done done) override {
    if (!writable_) return done(EROFS);
    if (!in_range(offset, data.size())) return done(EINVAL);
    const ssize_t n = ::pwrite(fd_, data.data(), data.size(), static_cast<off_t>(offset));
    int err = n == static_cast<ssize_t>(data.size()) ? 0 : EIO;
    if (err == 0 && fua && ::fdatasync(fd_) != 0) err = EIO;
    ++writes;
    if (fua) ++fua_writes;
    complete([done = std::move(done), err] { done(err); });
  }
  void flush(Done done) override {
    const int err = ::fdatasync(fd_) == 0 ? 0 : EIO;
    ++flushes;
    complete([done = std::move(done), err] { done(err); });
  }
  void trim(uint64_t offset, uint32_t length, Done done) override {
    if (!writable_) return done(EROFS);
    if (!in_range(offset, length)) return done(EINVAL);
    const int err = ::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                                static_cast<off_t>(offset), length) == 0
                        ? 0
                        : EIO;
    ++trims;
    complete([done = std::move(done), err] { done(err); });
  }
  void write_zeroes(uint64_t offset, uint32_t length, bool /*fua*/, Done done) override {
    if (!writable_) return done(EROFS);
    if (!in_range(offset, length)) return done(EINVAL);
    const int err = ::fallocate(fd_, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                                static_cast<off_t>(offset), length) == 0
                        ? 0
                        : EIO;
    ++zeroes;
    complete([done = std::move(done), err] { done(err); });
  }

 private:
  bool in_range(uint64_t offset, uint64_t length) const {
    return offset <= size_bytes_ && length <= size_bytes_ - offset;
  }
  void complete(std::function<void()> f) {
    if (hold_) {
      held_.push_back(std::move(f));
      held_count_ = held_.size();
      if (held_.size() > held_high_water_) held_high_water_ = held_.size();
    } else {
      f();
    }
  }

  int fd_ = -1;
  uint64_t size_bytes_;
  std::atomic<bool> writable_{true};
  std::atomic<bool> hold_{false};
  std::vector<std::function<void()>> held_;
  std::atomic<size_t> held_count_{0};
  std::atomic<size_t> held_high_water_{0};

 public:
  // The most completions held back at once.
  size_t held_high_water() const { return held_high_water_.load(); }
};

}  // namespace quorate::replication::testing
