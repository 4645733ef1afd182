// FlushPolicy: whether a volume's data-device flush (fdatasync) is cheaper
// done on the volume's own thread than handed to its disk thread pool.
//
// A hand-off costs two thread wake-ups (tens of µs on a virtual machine); an
// fdatasync of a RAM-backed device or of one with a power-loss-protected
// cache costs a few µs, while a disk's costs 0.1-10 ms and must never block
// the thread (the daemon's membership runs on it). So flushes go to the pool
// until kFastRun of them in a row took under kFastFlush; then they run
// inline, timed, and the first one that takes longer sends them back to the
// pool until another such run. A device that turns slow costs one inline
// flush; a device that is never fast never runs inline.
//
// Plain value type; the owner feeds it every data flush's duration (pooled
// and inline) from one thread.
#pragma once

#include <algorithm>
#include <chrono>

namespace quorate::daemon {

class FlushPolicy {
 public:
  static constexpr std::chrono::microseconds kFastFlush{50};
  static constexpr int kFastRun = 16;

  bool run_inline() const { return fast_run_ >= kFastRun; }
  // Records one flush; true when that changed run_inline() (worth a log line).
  bool took(std::chrono::nanoseconds d) {
    const bool before = run_inline();
    fast_run_ = d < kFastFlush ? std::min(fast_run_ + 1, kFastRun) : 0;
    return run_inline() != before;
  }

 private:
  int fast_run_ = 0;
};

}  // namespace quorate::daemon
