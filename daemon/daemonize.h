// Going to the background the way an init script expects: without
// --foreground, quorated forks; the parent waits until the child reports that
// it serves (or failed) and exits with that outcome, so `quorated --config F`
// returns 0 only once the daemon answers on its IPC socket, and a start-up
// error still reaches the terminal (the child keeps stderr until it is
// ready, then points stdin, stdout and stderr at /dev/null).
//
// Call before any thread or io_context exists. Not thread-safe.
#pragma once

#include "common/result.h"

namespace quorate::daemon {

class Background {
 public:
  // Forks. In the parent this never returns: it waits for the child's report
  // and exits 0 (ready) or 1 (the child failed before it was ready). In the
  // child it returns a Background whose ready() completes the hand-over.
  static Result<Background> detach();

  Background(Background&& other) noexcept;
  Background& operator=(Background&&) = delete;
  Background(const Background&) = delete;
  Background& operator=(const Background&) = delete;
  ~Background();

  // Tells the parent to exit 0 and detaches the standard streams. Idempotent.
  void ready();

 private:
  explicit Background(int fd) : report_fd_(fd) {}
  int report_fd_ = -1;
};

}  // namespace quorate::daemon
