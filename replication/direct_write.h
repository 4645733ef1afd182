// DirectWriter: large data writes that bypass the page cache (O_DIRECT), as
// DRBD's writes to its backing device do.
//
// Why: a replicated volume's backing disk is written for someone else's
// cache — the file system above the Primary's export, or nobody at all on a
// Secondary and a sync target, which write what they are sent and do not read
// it back. Buffered writes fill the page cache with pages no one will read,
// copy every byte once more, and leave the kernel's flusher threads to write
// them back later (competing with the next writes for the CPU). On virtual
// machines whose memory the host backs lazily, every fresh page-cache page is
// also a hypervisor fault: 1 MiB buffered writes ran at ~450 MB/s there
// against 2.4-3.5 GB/s with O_DIRECT on the same disk (docs/BENCHMARKS.md).
//
// What goes direct: writes of more than kBufferedUpTo bytes whose offset and
// length are multiples of kAlign (4 KiB, enough for 4Kn devices). A buffer
// that is not kAlign-aligned in memory is copied into a per-thread bounce
// buffer of kBounceBytes, a piece at a time. Everything else
// — small writes (the QD1 latency path stays a page-cache copy), unaligned
// ones, reads, meta data — stays buffered on the caller's ordinary descriptor.
//
// Coherence: the kernel writes back and drops cached pages of the range
// around a direct write, so buffered reads afterwards see the new data. The
// callers never have two overlapping I/Os in flight (the engine's rule;
// FileTarget is synchronous), and only whole 4 KiB pages go direct, so no
// buffered I/O ever shares a page with a direct write in flight.
//
// Durability is unchanged: a direct write reaches the device, not its
// platter; the callers' fdatasync (on either descriptor — same inode) still
// flushes the device's cache.
//
// Not on tmpfs or ramfs, whose page cache is the storage (a direct write
// there is the same copy into it, after the bounce copy).
//
// Fallback: if the file system refuses O_DIRECT at open, or a direct write
// fails with EINVAL (an alignment this device needs beyond kAlign), the
// writer turns itself off for good and the caller writes buffered;
// disabled_reason() says why, for one log line.
//
// Threading: write() may be called from several threads at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace quorate::replication {

class DirectWriter {
 public:
  static constexpr size_t kAlign = 4096;
  // Writes up to this size stay buffered: a page-cache copy is quicker than
  // a device round trip, and quorated does them on its event loop, which a
  // device round trip must not block.
  static constexpr size_t kBufferedUpTo = 64 * 1024;
  static constexpr size_t kBounceBytes = 1024 * 1024;

  // Opens `path` again with O_DIRECT (read-write). Never fails: a writer that
  // could not open is disabled, with the reason.
  explicit DirectWriter(const std::string& path);
  // A disabled writer (no direct writes at all).
  DirectWriter() = default;
  ~DirectWriter();
  DirectWriter(const DirectWriter&) = delete;
  DirectWriter& operator=(const DirectWriter&) = delete;

  // True if a write of this shape would go direct (while enabled).
  static bool suits(uint64_t offset, size_t length) {
    return length > kBufferedUpTo && offset % kAlign == 0 && length % kAlign == 0;
  }

  // Writes the whole range with O_DIRECT and returns 0 or the errno of the
  // failure; std::nullopt if this write is not for this writer (it does not
  // suit, or the writer is disabled — possibly by this very call, before
  // anything was written): the caller writes it buffered.
  std::optional<int> write(const uint8_t* data, size_t length, uint64_t offset);

  bool enabled() const { return enabled_.load(std::memory_order_relaxed); }
  // Why the writer is disabled ("" while enabled).
  std::string disabled_reason() const;

 private:
  void disable(std::string reason);

  int fd_ = -1;
  std::atomic<bool> enabled_{false};
  mutable std::mutex mu_;  // guards reason_
  std::string reason_ = "no file";
};

}  // namespace quorate::replication
