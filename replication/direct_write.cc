// DirectWriter (see direct_write.h).
#include "replication/direct_write.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include <fmt/format.h>

namespace quorate::replication {

namespace {

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

// One per thread that writes, allocated at its first unaligned direct write
// and reused (warm) from then on.
uint8_t* bounce_buffer() {
  thread_local std::unique_ptr<uint8_t, FreeDeleter> buf;
  if (!buf) {
    void* p = nullptr;
    if (::posix_memalign(&p, DirectWriter::kAlign, DirectWriter::kBounceBytes) != 0) return nullptr;
    buf.reset(static_cast<uint8_t*>(p));
  }
  return buf.get();
}

bool aligned(const void* p) { return reinterpret_cast<uintptr_t>(p) % DirectWriter::kAlign == 0; }

}  // namespace

DirectWriter::DirectWriter(const std::string& path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_DIRECT | O_CLOEXEC);
  if (fd_ < 0) {
    reason_ = fmt::format("{}: open with O_DIRECT: {}", path, std::strerror(errno));
    return;
  }
  // On tmpfs the page cache is the storage: a direct write is the same copy
  // into it, plus the bounce copy. (Only for files: fstatfs of a block
  // device names the file system of its node, /dev's tmpfs.)
  struct stat st {};
  struct statfs fs {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && ::fstatfs(fd_, &fs) == 0 &&
      (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)) {
    reason_ = fmt::format("{} is on tmpfs (its page cache is the storage)", path);
    return;
  }
  reason_.clear();
  enabled_.store(true, std::memory_order_relaxed);
}

DirectWriter::~DirectWriter() {
  if (fd_ >= 0) ::close(fd_);
}

std::string DirectWriter::disabled_reason() const {
  std::lock_guard lock(mu_);
  return reason_;
}

void DirectWriter::disable(std::string reason) {
  std::lock_guard lock(mu_);
  if (!enabled_.exchange(false, std::memory_order_relaxed)) return;
  reason_ = std::move(reason);
}

std::optional<int> DirectWriter::write(const uint8_t* data, size_t length, uint64_t offset) {
  if (!enabled() || !suits(offset, length)) return std::nullopt;
  const bool copy = !aligned(data);
  uint8_t* bounce = copy ? bounce_buffer() : nullptr;
  if (copy && bounce == nullptr) return std::nullopt;  // no memory for it: buffered is no worse
  size_t done = 0;
  while (done < length) {
    const size_t n = copy ? std::min(length - done, kBounceBytes) : length - done;
    const uint8_t* src = data + done;
    if (copy) src = static_cast<const uint8_t*>(std::memcpy(bounce, data + done, n));
    size_t part = 0;
    while (part < n) {
      const ssize_t w = ::pwrite(fd_, src + part, n - part, static_cast<off_t>(offset + done + part));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EINVAL) {
        // This device needs more alignment than kAlign (or the file system
        // takes no direct writes after all): buffered from now on. The
        // caller rewrites the whole range, so a partial write here is fine.
        disable(fmt::format("a direct write of {} bytes at {} failed: {}", length, offset, std::strerror(errno)));
        return std::nullopt;
      }
      if (w < 0) return errno;
      if (w == 0) return EIO;
      // A short direct write (the end of a block device) leaves an aligned
      // rest only if it stopped on a block boundary; anything else goes back
      // buffered.
      part += static_cast<size_t>(w);
      if (part < n && (part % kAlign != 0)) {
        disable(fmt::format("a direct write of {} bytes at {} stopped after {} bytes", length, offset, done + part));
        return std::nullopt;
      }
    }
    done += n;
  }
  return 0;
}

}  // namespace quorate::replication
