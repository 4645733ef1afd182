// FlushPolicy: whether a volume's data-device flush (fdatasync) is cheaper
// done on the volume's own thread than handed to its disk thread pool.
//
// A hand-off costs two thread wake-ups (tens of µs on a virtual machine); an
// fdatasync of a RAM-backed device or of one with a power-loss-protected
// cache costs a few µs, while a disk's costs 0.1-10 ms and must never block
// the thread (the daemon's membership runs on it). So flushes go to the pool
// until kFastRun of them in a row took under kFastFlush; then they run
// inline, timed, until one takes kSlowFlush or more, or the running average
// (weight 1/8 per flush) reaches kFastFlush. A lone outlier of a fast device
// (a preempted thread: 50-400 µs seen on a VM's tmpfs) does not send flushes
// back; a device that turns slow costs one inline flush at >= 1 ms, or two
// at a few hundred µs; a device that is never fast never runs inline.
//
// Plain value type; the owner feeds it every data flush's duration (pooled
// and inline) from one thread.
#pragma once

#include <chrono>
#include <cstdint>

namespace quorate::daemon {

class FlushPolicy {
 public:
  static constexpr std::chrono::microseconds kFastFlush{50};
  static constexpr std::chrono::microseconds kSlowFlush{1000};
  static constexpr int kFastRun = 16;

  bool run_inline() const { return inline_; }
  std::chrono::nanoseconds average() const { return std::chrono::nanoseconds(avg_ns_); }

  // Records one flush; true when that changed run_inline() (worth a log line).
  bool took(std::chrono::nanoseconds d) {
    const int64_t ns = d.count();
    avg_ns_ += (ns - avg_ns_) / 8;
    if (!inline_) {
      fast_run_ = d < kFastFlush ? fast_run_ + 1 : 0;
      if (fast_run_ < kFastRun) return false;
      inline_ = true;
      return true;
    }
    if (d < kSlowFlush && average() < kFastFlush) return false;
    inline_ = false;
    fast_run_ = 0;
    return true;
  }

 private:
  bool inline_ = false;
  int fast_run_ = 0;
  int64_t avg_ns_ = 0;
};

}  // namespace quorate::daemon
