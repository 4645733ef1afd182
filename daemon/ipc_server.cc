// IpcServer: Boost.Asio C++20-coroutine Unix-socket server for the admin IPC
// (see ipc_server.h). One accept loop; per connection a session coroutine
// (read frames, answer each in order) and a watchdog coroutine that closes the
// socket when the current read or write passes its deadline.
#include "daemon/ipc_server.h"

#include <grp.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // Asio 1.74 false positive, see ipc_server.h
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <fmt/format.h>

#include "common/ipc_frame.h"

namespace quorate::daemon {

namespace asio = boost::asio;
using stream_protocol = asio::local::stream_protocol;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

constexpr size_t kReadChunkBytes = 16 * 1024;
constexpr int kListenBacklog = 128;
constexpr size_t kMaxNssBuffer = size_t{1} << 20;

std::string errno_text(int err) { return std::strerror(err); }

// Runs an NSS *_r lookup with a growing buffer. `call(buf, len)` returns the
// function's error number (0 on success, ERANGE to retry bigger).
template <typename Call>
bool nss_lookup(long size_hint, Call call) {
  size_t len = size_hint > 0 ? static_cast<size_t>(size_hint) : 4096;
  for (;;) {
    std::vector<char> buf(len);
    const int rc = call(buf.data(), buf.size());
    if (rc != ERANGE) return rc == 0;
    if (len >= kMaxNssBuffer) return false;
    len *= 2;
  }
}

}  // namespace

bool is_mutating(const ipc::Request& request) {
  switch (request.body_case()) {
    case ipc::Request::kSetExpectedVotes:
    case ipc::Request::kSetVotes:
    case ipc::Request::kLeave:
    case ipc::Request::kReplicaCommand:
      return true;
    default:
      return false;
  }
}

std::string permission_denied_message(uint32_t uid, const std::string& admin_group) {
  return fmt::format("permission denied: uid {} is neither root nor in group {}", uid, admin_group);
}

bool may_change(uint32_t uid, uint32_t primary_gid, const std::string& group) {
  if (uid == 0) return true;
  if (group.empty()) return false;

  gid_t target = 0;
  bool found_group = false;
  nss_lookup(sysconf(_SC_GETGR_R_SIZE_MAX), [&](char* buf, size_t len) {
    struct group grp {};
    struct group* out = nullptr;
    const int rc = getgrnam_r(group.c_str(), &grp, buf, len, &out);
    if (rc == 0 && out != nullptr) {
      target = out->gr_gid;
      found_group = true;
    }
    return rc;
  });
  if (!found_group) return false;
  if (primary_gid == target) return true;

  std::string user;
  gid_t user_gid = 0;
  bool found_user = false;
  nss_lookup(sysconf(_SC_GETPW_R_SIZE_MAX), [&](char* buf, size_t len) {
    struct passwd pw {};
    struct passwd* out = nullptr;
    const int rc = getpwuid_r(uid, &pw, buf, len, &out);
    if (rc == 0 && out != nullptr) {
      user = out->pw_name;
      user_gid = out->pw_gid;
      found_user = true;
    }
    return rc;
  });
  if (!found_user) return false;
  if (user_gid == target) return true;

  int count = 32;
  for (int attempt = 0; attempt < 8; ++attempt) {
    std::vector<gid_t> groups(static_cast<size_t>(count));
    int n = count;
    if (getgrouplist(user.c_str(), user_gid, groups.data(), &n) >= 0) {
      groups.resize(static_cast<size_t>(n));
      return std::find(groups.begin(), groups.end(), target) != groups.end();
    }
    // n now holds the number needed.
    count = std::max(n, count * 2);
  }
  return false;
}

Result<Caller> identify_peer(int fd, const std::string& admin_group) {
  struct ucred cred {};
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    return Error{"SO_PEERCRED: " + errno_text(errno)};
  }
  Caller c;
  c.uid = cred.uid;
  c.gid = cred.gid;
  c.pid = cred.pid;
  c.may_change = may_change(cred.uid, cred.gid, admin_group);
  return c;
}

namespace {

struct Connection {
  explicit Connection(stream_protocol::socket s)
      : socket(std::move(s)), timer(socket.get_executor()) {}

  void close() {
    error_code ignored;
    socket.shutdown(stream_protocol::socket::shutdown_both, ignored);
    socket.close(ignored);
    timer.cancel();
  }

  stream_protocol::socket socket;
  asio::steady_timer timer;
  Clock::time_point deadline = Clock::time_point::max();
  Caller caller;
  bool writing = false;  // a response is being written: stop() lets it finish
  bool timed_out = false;
};

}  // namespace

struct IpcServer::State {
  State(asio::io_context& ctx, IpcServerOptions opts, IpcHandler h)
      : io(ctx), options(std::move(opts)), handler(std::move(h)), acceptor(ctx) {}

  asio::io_context& io;
  IpcServerOptions options;
  IpcHandler handler;
  stream_protocol::acceptor acceptor;
  IpcServerStats stats;
  std::vector<std::shared_ptr<Connection>> connections;
  bool started = false;
  bool stopping = false;
  ino_t socket_inode = 0;
  dev_t socket_dev = 0;

  void forget(const std::shared_ptr<Connection>& c) {
    auto it = std::find(connections.begin(), connections.end(), c);
    if (it != connections.end()) connections.erase(it);
  }
};

namespace {

using State = IpcServer::State;

ipc::Response answer(State& s, const Caller& caller, const ipc::Request& request) {
  ++s.stats.requests;
  ipc::Response response;
  if (request.body_case() == ipc::Request::BODY_NOT_SET) {
    response.set_error("empty or unknown request (is quorated older than this tool?)");
  } else if (is_mutating(request) && !caller.may_change) {
    ++s.stats.denied;
    response.set_error(permission_denied_message(caller.uid, s.options.admin_group));
  } else {
    try {
      response = s.handler(request, caller);
    } catch (const std::exception& e) {
      response.Clear();
      response.set_error(std::string("internal error: ") + e.what());
    }
  }
  response.set_id(request.id());
  return response;
}

// Frames `response`, replacing it by an error when it does not fit a frame.
std::string frame_response(const ipc::Response& response) {
  auto framed = encode_ipc_message(response);
  if (framed.ok()) return std::move(framed).value();
  ipc::Response fallback;
  fallback.set_id(response.id());
  fallback.set_error("cannot send response: " + framed.error().message);
  auto again = encode_ipc_message(fallback);
  assert(again.ok());
  return std::move(again).value();
}

void note(const State& s, const std::string& what) {
  if (s.options.on_event) s.options.on_event(what);
}

asio::awaitable<void> watchdog(std::shared_ptr<State> s, std::shared_ptr<Connection> c) {
  while (c->socket.is_open()) {
    c->timer.expires_at(c->deadline);
    error_code ec;
    co_await c->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!c->socket.is_open()) break;
    if (c->deadline <= Clock::now()) {
      c->timed_out = true;
      ++s->stats.timeouts;
      note(*s, fmt::format("ipc: closing connection of pid {} uid {}: no progress for {} ms",
                           c->caller.pid, c->caller.uid, s->options.idle_timeout.count()));
      c->close();
      break;
    }
  }
}

asio::awaitable<void> session(std::shared_ptr<State> s, std::shared_ptr<Connection> c) {
  IpcFrameDecoder decoder;
  std::vector<char> buf(kReadChunkBytes);
  std::string payload;
  bool open = true;
  while (open) {
    // Answer every complete request, in order.
    while (open && decoder.next(&payload)) {
      ipc::Request request;
      if (!request.ParseFromString(payload)) {
        ++s->stats.bad_messages;
        note(*s, fmt::format("ipc: closing connection of pid {} uid {}: unparsable request "
                             "({} bytes)",
                             c->caller.pid, c->caller.uid, payload.size()));
        open = false;
        break;
      }
      ipc::Response response;
      bool deferred = false;
      if (s->options.deferred && (!is_mutating(request) || c->caller.may_change)) {
        // The reply may come at once or later; wait on a timer the reply cancels.
        auto result = std::make_shared<std::optional<ipc::Response>>();
        auto wake = std::make_shared<asio::steady_timer>(s->io, asio::steady_timer::time_point::max());
        bool took = false;
        try {
          took = s->options.deferred(request, c->caller, [result, wake](ipc::Response r) {
            *result = std::move(r);
            wake->cancel();
          });
        } catch (const std::exception& e) {
          took = true;
          ipc::Response r;
          r.set_error(std::string("internal error: ") + e.what());
          *result = std::move(r);
        }
        if (took) {
          deferred = true;
          ++s->stats.requests;
          while (!result->has_value()) {
            c->deadline = Clock::time_point::max();  // the work, not the client, is slow
            error_code wait_ec;
            co_await wake->async_wait(asio::redirect_error(asio::use_awaitable, wait_ec));
          }
          response = std::move(**result);
          response.set_id(request.id());
        }
      }
      if (!deferred) response = answer(*s, c->caller, request);
      const std::string frame = frame_response(response);
      c->deadline = Clock::now() + s->options.idle_timeout;
      c->writing = true;
      error_code ec;
      co_await asio::async_write(c->socket, asio::buffer(frame),
                                 asio::redirect_error(asio::use_awaitable, ec));
      c->writing = false;
      if (ec || s->stopping) open = false;
    }
    if (!open || s->stopping) break;

    c->deadline = Clock::now() + s->options.idle_timeout;
    error_code ec;
    const size_t n = co_await c->socket.async_read_some(
        asio::buffer(buf), asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::eof && decoder.mid_frame()) {
        ++s->stats.truncated;
        note(*s, fmt::format("ipc: pid {} uid {} closed in the middle of a frame", c->caller.pid,
                             c->caller.uid));
      }
      break;
    }
    const Status fed = decoder.feed(std::string_view(buf.data(), n));
    if (!fed.ok()) {
      ++s->stats.bad_frames;
      note(*s, fmt::format("ipc: closing connection of pid {} uid {}: {}", c->caller.pid,
                           c->caller.uid, fed.error().message));
      break;
    }
  }
  c->close();
  s->forget(c);
  s->stats.open_connections = s->connections.size();
}

// Answers a connection beyond max_connections with an error and closes it.
// The frame is tiny, so a non-blocking send into an empty socket buffer
// completes at once; if it does not, the client just sees the close.
void reject_busy(State& s, stream_protocol::socket& sock) {
  ++s.stats.rejected_busy;
  ipc::Response busy;
  busy.set_error(fmt::format("server busy: {} connections open, try again", s.connections.size()));
  auto frame = encode_ipc_message(busy);
  if (frame.ok()) {
    (void)::send(sock.native_handle(), frame->data(), frame->size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  }
  error_code ignored;
  sock.close(ignored);
}

asio::awaitable<void> accept_loop(std::shared_ptr<State> s) {
  while (!s->stopping) {
    stream_protocol::socket sock(s->io);
    error_code ec;
    co_await s->acceptor.async_accept(sock, asio::redirect_error(asio::use_awaitable, ec));
    if (s->stopping || ec == asio::error::operation_aborted) break;
    if (ec) {
      // Out of descriptors or similar: back off a little instead of spinning.
      note(*s, "ipc: accept failed: " + ec.message());
      asio::steady_timer pause(s->io, std::chrono::milliseconds(100));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    ++s->stats.accepted;
    if (s->connections.size() >= s->options.max_connections) {
      reject_busy(*s, sock);
      continue;
    }
    auto identity = identify_peer(sock.native_handle(), s->options.admin_group);
    if (!identity.ok()) {
      note(*s, "ipc: dropping connection: " + identity.error().message);
      error_code ignored;
      sock.close(ignored);
      continue;
    }
    auto c = std::make_shared<Connection>(std::move(sock));
    c->caller = *identity;
    c->deadline = Clock::now() + s->options.idle_timeout;
    s->connections.push_back(c);
    s->stats.open_connections = s->connections.size();
    asio::co_spawn(s->io, session(s, c), asio::detached);
    asio::co_spawn(s->io, watchdog(s, c), asio::detached);
  }
}

}  // namespace

IpcServer::IpcServer(asio::io_context& io, IpcServerOptions options, IpcHandler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {
  assert(state_->handler);
  assert(state_->options.max_connections > 0);
}

IpcServer::~IpcServer() { stop(); }

Status IpcServer::start() {
  State& s = *state_;
  assert(!s.started);
  const std::string& path = s.options.socket_path;
  if (path.empty()) return Error{"IPC socket path is empty"};
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Error{fmt::format("IPC socket path is too long ({} bytes, at most {}): {}", path.size(),
                             sizeof(sockaddr_un::sun_path) - 1, path)};
  }

  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Error{fmt::format("refusing to replace {}: it exists and is not a socket", path)};
    }
    stream_protocol::socket probe(s.io);
    error_code ec;
    probe.connect(stream_protocol::endpoint(path), ec);
    if (!ec) {
      return Error{fmt::format("{} is in use: another quorated is answering there", path)};
    }
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Error{fmt::format("cannot remove stale socket {}: {}", path, errno_text(errno))};
    }
  }

  error_code ec;
  const stream_protocol::endpoint endpoint(path);
  s.acceptor.open(endpoint.protocol(), ec);
  if (!ec) s.acceptor.bind(endpoint, ec);
  if (ec) {
    error_code ignored;
    s.acceptor.close(ignored);
    return Error{fmt::format("cannot bind IPC socket {}: {}", path, ec.message())};
  }
  if (chmod(path.c_str(), s.options.socket_mode) != 0) {
    const int err = errno;
    error_code ignored;
    s.acceptor.close(ignored);
    unlink(path.c_str());
    return Error{fmt::format("cannot chmod IPC socket {}: {}", path, errno_text(err))};
  }
  if (lstat(path.c_str(), &st) == 0) {
    s.socket_inode = st.st_ino;
    s.socket_dev = st.st_dev;
  }
  s.acceptor.listen(kListenBacklog, ec);
  if (ec) {
    error_code ignored;
    s.acceptor.close(ignored);
    unlink(path.c_str());
    return Error{fmt::format("cannot listen on IPC socket {}: {}", path, ec.message())};
  }
  s.started = true;
  asio::co_spawn(s.io, accept_loop(state_), asio::detached);
  return Status::Ok();
}

void IpcServer::stop() {
  State& s = *state_;
  if (s.stopping) return;
  s.stopping = true;
  error_code ignored;
  s.acceptor.close(ignored);
  // Idle connections close now; one writing a response finishes that write
  // (bounded by its deadline) and then closes itself.
  const auto connections = s.connections;
  for (const auto& c : connections) {
    if (!c->writing) c->close();
  }
  if (s.started) {
    // Remove the path only if it is still the socket we bound.
    struct stat st {};
    if (lstat(s.options.socket_path.c_str(), &st) == 0 && st.st_ino == s.socket_inode &&
        st.st_dev == s.socket_dev) {
      unlink(s.options.socket_path.c_str());
    }
  }
}

IpcServerStats IpcServer::stats() const {
  IpcServerStats out = state_->stats;
  out.open_connections = state_->connections.size();
  return out;
}

const std::string& IpcServer::socket_path() const { return state_->options.socket_path; }

}  // namespace quorate::daemon
