// Fork to the background with a readiness hand-over. See daemonize.h.
#include "daemon/daemonize.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace quorate::daemon {

Result<Background> Background::detach() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    return Error{fmt::format("pipe: {}", std::strerror(errno))};
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    return Error{fmt::format("fork: {}", std::strerror(err))};
  }
  if (pid > 0) {
    // Parent: one byte means ready; end of file means the child gave up.
    ::close(fds[1]);
    char byte = 0;
    ssize_t n = 0;
    do {
      n = ::read(fds[0], &byte, 1);
    } while (n < 0 && errno == EINTR);
    ::close(fds[0]);
    if (n == 1) ::_exit(0);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::_exit(WIFEXITED(status) && WEXITSTATUS(status) != 0 ? WEXITSTATUS(status) : 1);
  }
  ::close(fds[0]);
  ::setsid();
  if (::chdir("/") != 0) {
    // Not fatal: every path quorated uses is absolute or was made so.
  }
  return Background(fds[1]);
}

Background::Background(Background&& other) noexcept : report_fd_(other.report_fd_) {
  other.report_fd_ = -1;
}

Background::~Background() {
  if (report_fd_ >= 0) ::close(report_fd_);
}

void Background::ready() {
  if (report_fd_ < 0) return;
  const int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    ::dup2(devnull, STDIN_FILENO);
    ::dup2(devnull, STDOUT_FILENO);
    ::dup2(devnull, STDERR_FILENO);
    ::close(devnull);
  }
  const char byte = 'R';
  ssize_t n = 0;
  do {
    n = ::write(report_fd_, &byte, 1);
  } while (n < 0 && errno == EINTR);
  ::close(report_fd_);
  report_fd_ = -1;
}

}  // namespace quorate::daemon
