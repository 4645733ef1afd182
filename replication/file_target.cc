// FileTarget (see file_target.h): synchronous file I/O behind BlockTarget.
#include "replication/file_target.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

namespace quorate::replication {

namespace {
constexpr size_t kZeroChunkBytes = 1u << 20;
}  // namespace

Result<std::unique_ptr<FileTarget>> FileTarget::open(const std::string& path,
                                                     FileTargetOptions options) {
  if (path.empty()) return Error{"file target: empty path"};
  const int flags = (options.read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC;
  const int fd = ::open(path.c_str(), flags);
  if (fd < 0) return Error{fmt::format("{}: {}", path, std::strerror(errno))};
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return Error{fmt::format("{}: fstat: {}", path, std::strerror(err))};
  }
  uint64_t size = 0;
  bool block = false;
  if (S_ISREG(st.st_mode)) {
    size = static_cast<uint64_t>(st.st_size);
  } else if (S_ISBLK(st.st_mode)) {
    block = true;
    if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
      const int err = errno;
      ::close(fd);
      return Error{fmt::format("{}: BLKGETSIZE64: {}", path, std::strerror(err))};
    }
  } else {
    ::close(fd);
    return Error{fmt::format("{}: not a regular file or block device", path)};
  }
  if (size % 512 != 0) {
    ::close(fd);
    return Error{fmt::format("{}: size {} bytes is not a multiple of 512", path, size)};
  }
  return std::unique_ptr<FileTarget>(new FileTarget(path, fd, size, block, !options.read_only));
}

FileTarget::FileTarget(std::string path, int fd, uint64_t size_bytes, bool block_device,
                       bool opened_rw)
    : path_(std::move(path)),
      fd_(fd),
      size_bytes_(size_bytes),
      block_device_(block_device),
      opened_rw_(opened_rw),
      writable_(opened_rw),
      read_only_reason_(opened_rw ? "" : path_ + " is opened read-only"),
      direct_(opened_rw ? std::make_unique<DirectWriter>(path_) : std::make_unique<DirectWriter>()) {}

FileTarget::~FileTarget() {
  if (fd_ >= 0) ::close(fd_);
}

void FileTarget::set_writable(bool writable, std::string reason) {
  assert(!writable || opened_rw_);
  writable_ = writable && opened_rw_;
  read_only_reason_ = writable_ ? "" : std::move(reason);
}

int FileTarget::check_range(uint64_t offset, uint64_t length) const {
  if (offset > size_bytes_ || length > size_bytes_ - offset) return EINVAL;
  return 0;
}

int FileTarget::check_write(uint64_t offset, uint64_t length) const {
  if (!writable_) return EROFS;
  return check_range(offset, length);
}

int FileTarget::sync() { return fdatasync(fd_) == 0 ? 0 : errno; }

void FileTarget::read(uint64_t offset, uint32_t length, ReadDone done) {
  if (const int err = check_range(offset, length); err != 0) {
    done(err, {});
    return;
  }
  std::vector<uint8_t> buf(length);
  size_t got = 0;
  while (got < length) {
    const ssize_t n = pread(fd_, buf.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      done(errno, {});
      return;
    }
    if (n == 0) {
      // The file shrank under us: the tail reads as zeroes.
      std::fill(buf.begin() + static_cast<std::ptrdiff_t>(got), buf.end(), 0);
      break;
    }
    got += static_cast<size_t>(n);
  }
  done(0, buf);
}

int FileTarget::pwrite_all(const uint8_t* data, size_t length, uint64_t offset) {
  size_t put = 0;
  while (put < length) {
    const ssize_t n = pwrite(fd_, data + put, length - put, static_cast<off_t>(offset + put));
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (n == 0) return EIO;
    put += static_cast<size_t>(n);
  }
  return 0;
}

void FileTarget::write(uint64_t offset, std::span<const uint8_t> data, bool fua, Done done) {
  int err = check_write(offset, data.size());
  if (err == 0) {
    const auto direct = direct_->write(data.data(), data.size(), offset);
    err = direct ? *direct : pwrite_all(data.data(), data.size(), offset);
  }
  if (err == 0 && fua) err = sync();
  done(err);
}

void FileTarget::flush(Done done) { done(sync()); }

int FileTarget::write_zero_bytes(uint64_t offset, uint64_t length) {
  const std::vector<uint8_t> zeroes(static_cast<size_t>(std::min<uint64_t>(length, kZeroChunkBytes)),
                                    0);
  while (length > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(length, zeroes.size()));
    if (const int err = pwrite_all(zeroes.data(), n, offset); err != 0) return err;
    offset += n;
    length -= n;
  }
  return 0;
}

void FileTarget::trim(uint64_t offset, uint32_t length, Done done) {
  int err = check_write(offset, length);
  if (err == 0 && length > 0) {
    if (fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(length)) != 0) {
      err = errno;
      if (err == EOPNOTSUPP || err == ENOSYS || err == EINVAL) err = write_zero_bytes(offset, length);
    }
  }
  done(err);
}

void FileTarget::write_zeroes(uint64_t offset, uint32_t length, bool fua, Done done) {
  int err = check_write(offset, length);
  if (err == 0 && length > 0) {
    const int mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
    if (fallocate(fd_, mode, static_cast<off_t>(offset), static_cast<off_t>(length)) != 0) {
      err = errno;
      if (err == EOPNOTSUPP || err == ENOSYS || err == EINVAL) err = write_zero_bytes(offset, length);
    }
  }
  if (err == 0 && fua) err = sync();
  done(err);
}

}  // namespace quorate::replication
