// Blocking IPC client over a Unix stream socket, with poll() deadlines.
#include "cli/ipc_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "common/ipc_frame.h"

namespace quorate::cli {

namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(left);
}

// Waits for `events` on fd; false on timeout or error (errno_out set).
bool wait_for(int fd, short events, Clock::time_point deadline, int* errno_out) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return true;
    if (rc == 0) {
      *errno_out = ETIMEDOUT;
      return false;
    }
    if (errno != EINTR) {
      *errno_out = errno;
      return false;
    }
  }
}

}  // namespace

std::string resolve_socket_path(const std::optional<std::string>& flag, const char* env) {
  if (flag && !flag->empty()) return *flag;
  if (env != nullptr && *env != '\0') return env;
  return kDefaultSocketPath;
}

Result<IpcClient> IpcClient::connect(const std::string& path, std::chrono::milliseconds timeout,
                                     IpcFailure* failure) {
  auto fail = [&](std::string message) -> Result<IpcClient> {
    if (failure != nullptr) *failure = IpcFailure{message, true};
    return Error{std::move(message)};
  };
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) {
    return fail(fmt::format("socket path too long: {}", path));
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(fmt::format("socket(): {}", std::strerror(errno)));
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.data(), path.size());
  // A local connect either completes at once or reports EAGAIN (backlog full).
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0) break;
    const int err = errno;
    if (err == EINTR) continue;
    if (err == EAGAIN && remaining_ms(deadline) > 0) {
      ::usleep(10'000);
      continue;
    }
    ::close(fd);
    return fail(fmt::format("cannot connect to {}: {}", path, std::strerror(err)));
  }
  return IpcClient(fd, path);
}

IpcClient::IpcClient(IpcClient&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)), next_id_(other.next_id_) {}

IpcClient& IpcClient::operator=(IpcClient&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
    next_id_ = other.next_id_;
  }
  return *this;
}

IpcClient::~IpcClient() {
  if (fd_ >= 0) ::close(fd_);
}

Result<ipc::Response> IpcClient::call(ipc::Request request, std::chrono::milliseconds timeout) {
  if (fd_ < 0) return Error{"IPC connection is closed"};
  const uint64_t id = next_id_++;
  request.set_id(id);
  auto frame = encode_ipc_message(request);
  if (!frame.ok()) return frame.error();
  const auto deadline = Clock::now() + timeout;
  auto io_error = [&](const char* what, int err) -> Result<ipc::Response> {
    ::close(fd_);
    fd_ = -1;
    if (err == ETIMEDOUT) {
      return Error{fmt::format("quorated at {} did not answer within {} ms ({})", path_,
                               timeout.count(), what)};
    }
    return Error{fmt::format("{} on {}: {}", what, path_, std::strerror(err))};
  };

  std::string_view out = *frame;
  while (!out.empty()) {
    const ssize_t n = ::send(fd_, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      out.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      int err = 0;
      if (!wait_for(fd_, POLLOUT, deadline, &err)) return io_error("sending request", err);
      continue;
    }
    return io_error("sending request", errno);
  }

  IpcFrameDecoder decoder;
  char buf[16 * 1024];
  std::string payload;
  for (;;) {
    while (decoder.next(&payload)) {
      ipc::Response response;
      if (!response.ParseFromString(payload)) {
        ::close(fd_);
        fd_ = -1;
        return Error{fmt::format("unparsable response from quorated at {}", path_)};
      }
      // id 0 is the server refusing the connection (busy) before any request.
      if (response.id() == id || response.id() == 0) return response;
    }
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n > 0) {
      const Status fed = decoder.feed(std::string_view(buf, static_cast<size_t>(n)));
      if (!fed.ok()) {
        ::close(fd_);
        fd_ = -1;
        return Error{fmt::format("bad frame from quorated at {}: {}", path_, fed.error().message)};
      }
      continue;
    }
    if (n == 0) {
      ::close(fd_);
      fd_ = -1;
      return Error{fmt::format("quorated at {} closed the connection without answering", path_)};
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      int err = 0;
      if (!wait_for(fd_, POLLIN, deadline, &err)) return io_error("waiting for the answer", err);
      continue;
    }
    return io_error("reading the answer", errno);
  }
}

Result<ipc::Response> ipc_call(const std::string& path, const ipc::Request& request,
                               std::chrono::milliseconds timeout, IpcFailure* failure) {
  auto client = IpcClient::connect(path, timeout, failure);
  if (!client.ok()) return client.error();
  auto response = client->call(request, timeout);
  if (!response.ok() && failure != nullptr) *failure = IpcFailure{response.error().message, false};
  return response;
}

}  // namespace quorate::cli
