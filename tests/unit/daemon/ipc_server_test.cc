// IpcServer over a real Unix socket in a temporary directory: request and
// response, pipelining, garbage / oversized / half frames and idle clients
// (each closes only that connection; the server keeps serving), the busy
// limit, stale-socket handling, graceful stop, and the permission check for a
// caller that is neither root nor in group haclient.
#include <grp.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <optional>
#include <string>
#include <thread>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

#include "common/ipc_frame.h"
#include "daemon/ipc_server.h"

namespace quorate::daemon {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// ---- a raw blocking client ------------------------------------------------

int connect_to(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads until a full frame arrives (nullopt on close, error or 5 s timeout).
std::optional<ipc::Response> read_response(int fd, IpcFrameDecoder& dec) {
  const auto deadline = Clock::now() + 5s;
  std::string payload;
  while (!dec.next(&payload)) {
    pollfd p{fd, POLLIN, 0};
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      return std::nullopt;
    char buf[4096];
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    if (!dec.feed(std::string_view(buf, static_cast<size_t>(n))).ok()) return std::nullopt;
  }
  ipc::Response r;
  if (!r.ParseFromString(payload)) return std::nullopt;
  return r;
}

std::optional<ipc::Response> round_trip(const std::string& path, const ipc::Request& req) {
  const int fd = connect_to(path);
  if (fd < 0) return std::nullopt;
  auto frame = encode_ipc_message(req);
  std::optional<ipc::Response> r;
  if (frame.ok() && send_all(fd, *frame)) {
    IpcFrameDecoder dec;
    r = read_response(fd, dec);
  }
  ::close(fd);
  return r;
}

// True when the server closes `fd` within 5 s (recv returns 0 or an error).
bool closed_by_server(int fd) {
  const auto deadline = Clock::now() + 5s;
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) > 0) {
      char buf[256];
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;
    }
  }
  return false;
}

ipc::Request ping_request(uint64_t id) {
  ipc::Request r;
  r.set_id(id);
  r.mutable_ping();
  return r;
}

ipc::Request set_expected_request(uint32_t votes) {
  ipc::Request r;
  r.set_id(9);
  r.mutable_set_expected_votes()->set_expected_votes(votes);
  return r;
}

IpcServerOptions options_for(const std::string& path) {
  IpcServerOptions o;
  o.socket_path = path;
  return o;
}

// ---- fixture: server on a background io_context thread ---------------------

class IpcServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/quorate-ipc-test-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);  // the unprivileged child must reach the socket
    path_ = dir_ + "/quorated.sock";
  }

  void TearDown() override {
    stop_server();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void start_server(IpcServerOptions opts = {}) {
    opts.socket_path = path_;
    server_ = std::make_unique<IpcServer>(
        io_, std::move(opts),
        [this](const ipc::Request& req, const Caller& caller) { return handle(req, caller); });
    const Status s = server_->start();
    ASSERT_TRUE(s.ok()) << s.error().message;
    thread_ = std::thread([this] { io_.run(); });
  }

  void stop_server() {
    if (!server_) return;
    if (thread_.joinable()) {
      boost::asio::post(io_, [this] { server_->stop(); });
      thread_.join();
    }
    server_.reset();
  }

  // Reads the stats on the io thread (they are not thread-safe).
  IpcServerStats stats() {
    std::promise<IpcServerStats> p;
    boost::asio::post(io_, [&] { p.set_value(server_->stats()); });
    return p.get_future().get();
  }

  ipc::Response handle(const ipc::Request& req, const Caller& caller) {
    ++handled_;
    last_uid_ = caller.uid;
    ipc::Response r;
    if (req.has_ping()) {
      r.mutable_pong()->set_local_nodeid(7);
      r.mutable_pong()->set_version("test");
    } else if (req.has_set_expected_votes()) {
      ++mutations_;
      r.mutable_done();
    } else {
      r.set_error("unsupported in test");
    }
    r.set_id(12345);  // the server must overwrite it with the request's id
    return r;
  }

  std::string dir_, path_;
  boost::asio::io_context io_;
  std::unique_ptr<IpcServer> server_;
  std::thread thread_;
  std::atomic<int> handled_{0};
  std::atomic<int> mutations_{0};
  std::atomic<uint32_t> last_uid_{0};
};

TEST_F(IpcServerTest, AnswersPingAndEchoesTheId) {
  start_server();
  auto r = round_trip(path_, ping_request(77));
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id(), 77u);
  EXPECT_TRUE(r->error().empty());
  ASSERT_TRUE(r->has_pong());
  EXPECT_EQ(r->pong().local_nodeid(), 7u);
  EXPECT_EQ(last_uid_.load(), ::geteuid());
}

TEST_F(IpcServerTest, SocketIsWorldWritable) {
  start_server();
  struct stat st {};
  ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0666u);
}

TEST_F(IpcServerTest, PipelinedRequestsAreAnsweredInOrder) {
  start_server();
  const int fd = connect_to(path_);
  ASSERT_GE(fd, 0);
  std::string both = *encode_ipc_message(ping_request(1)) + *encode_ipc_message(ping_request(2));
  ASSERT_TRUE(send_all(fd, both));
  IpcFrameDecoder dec;
  auto a = read_response(fd, dec);
  auto b = read_response(fd, dec);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->id(), 1u);
  EXPECT_EQ(b->id(), 2u);
  ::close(fd);
}

TEST_F(IpcServerTest, EmptyRequestBodyGetsAnErrorWithoutReachingTheHandler) {
  start_server();
  ipc::Request r;
  r.set_id(5);  // no body
  auto resp = round_trip(path_, r);
  ASSERT_TRUE(resp.has_value());
  EXPECT_EQ(resp->id(), 5u);
  EXPECT_FALSE(resp->error().empty());
  EXPECT_EQ(handled_.load(), 0);
}

TEST_F(IpcServerTest, ZeroLengthFrameClosesOnlyThatConnection) {
  start_server();
  const int bystander = connect_to(path_);
  ASSERT_GE(bystander, 0);
  const int bad = connect_to(path_);
  ASSERT_GE(bad, 0);
  ASSERT_TRUE(send_all(bad, std::string(4, '\0')));
  EXPECT_TRUE(closed_by_server(bad));
  ::close(bad);
  // The bystander connection still works, and so do new ones.
  ASSERT_TRUE(send_all(bystander, *encode_ipc_message(ping_request(3))));
  IpcFrameDecoder dec;
  auto r = read_response(bystander, dec);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->id(), 3u);
  ::close(bystander);
  EXPECT_TRUE(round_trip(path_, ping_request(4)).has_value());
  EXPECT_EQ(stats().bad_frames, 1u);
}

TEST_F(IpcServerTest, OversizedLengthClosesTheConnection) {
  start_server();
  const int bad = connect_to(path_);
  ASSERT_GE(bad, 0);
  const uint32_t n = static_cast<uint32_t>(kMaxIpcFrame + 1);
  const std::string header{static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                           static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  ASSERT_TRUE(send_all(bad, header));
  EXPECT_TRUE(closed_by_server(bad));
  ::close(bad);
  EXPECT_TRUE(round_trip(path_, ping_request(5)).has_value());
  EXPECT_EQ(stats().bad_frames, 1u);
}

TEST_F(IpcServerTest, UnparsablePayloadClosesTheConnection) {
  start_server();
  const int bad = connect_to(path_);
  ASSERT_GE(bad, 0);
  ASSERT_TRUE(send_all(bad, encode_ipc_frame(std::string("\xff\xff\xff\xff\xff", 5))));
  EXPECT_TRUE(closed_by_server(bad));
  ::close(bad);
  EXPECT_TRUE(round_trip(path_, ping_request(6)).has_value());
  EXPECT_EQ(stats().bad_messages, 1u);
  EXPECT_EQ(handled_.load(), 1);
}

TEST_F(IpcServerTest, HalfAFrameThenCloseIsCountedAndHarmless) {
  start_server();
  const int bad = connect_to(path_);
  ASSERT_GE(bad, 0);
  const std::string frame = *encode_ipc_message(ping_request(8));
  ASSERT_TRUE(send_all(bad, frame.substr(0, frame.size() / 2)));
  ::close(bad);
  EXPECT_TRUE(round_trip(path_, ping_request(9)).has_value());
  const auto deadline = Clock::now() + 5s;
  while (stats().truncated == 0 && Clock::now() < deadline) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(stats().truncated, 1u);
  EXPECT_EQ(handled_.load(), 1);
}

TEST_F(IpcServerTest, IdleConnectionIsClosedAtTheDeadline) {
  IpcServerOptions opts;
  opts.idle_timeout = 200ms;
  start_server(opts);
  const int idle = connect_to(path_);
  ASSERT_GE(idle, 0);
  EXPECT_TRUE(closed_by_server(idle));
  ::close(idle);
  EXPECT_EQ(stats().timeouts, 1u);
  EXPECT_TRUE(round_trip(path_, ping_request(10)).has_value());
}

TEST_F(IpcServerTest, ConnectionsBeyondTheLimitAreToldTheServerIsBusy) {
  IpcServerOptions opts;
  opts.max_connections = 2;
  start_server(opts);
  int held[2];
  for (int& fd : held) {
    fd = connect_to(path_);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(send_all(fd, *encode_ipc_message(ping_request(1))));
    IpcFrameDecoder dec;
    ASSERT_TRUE(read_response(fd, dec).has_value());  // surely accepted
  }
  const int extra = connect_to(path_);
  ASSERT_GE(extra, 0);
  IpcFrameDecoder dec;
  auto busy = read_response(extra, dec);
  ASSERT_TRUE(busy.has_value());
  EXPECT_NE(busy->error().find("busy"), std::string::npos);
  ::close(extra);
  ::close(held[0]);
  // Once one closes, a new client is served again.
  const auto deadline = Clock::now() + 5s;
  bool served = false;
  while (!served && Clock::now() < deadline) {
    auto r = round_trip(path_, ping_request(2));
    served = r && r->has_pong();
    if (!served) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(served);
  ::close(held[1]);
  EXPECT_GE(stats().rejected_busy, 1u);
}

TEST_F(IpcServerTest, StopRemovesTheSocketAndClosesClients) {
  start_server();
  const int idle = connect_to(path_);
  ASSERT_GE(idle, 0);
  ASSERT_TRUE(round_trip(path_, ping_request(1)).has_value());
  stop_server();  // returns once io_context.run() ran out of work
  EXPECT_TRUE(closed_by_server(idle));
  ::close(idle);
  EXPECT_FALSE(std::filesystem::exists(path_));
  EXPECT_LT(connect_to(path_), 0);
}

TEST_F(IpcServerTest, ReplacesAStaleSocket) {
  // A socket file nobody listens on (a crashed daemon's leftover).
  const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path_.c_str(), sizeof addr.sun_path - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ::close(fd);
  ASSERT_TRUE(std::filesystem::exists(path_));
  start_server();
  EXPECT_TRUE(round_trip(path_, ping_request(1)).has_value());
}

TEST_F(IpcServerTest, RefusesToReplaceAFileOrALiveServer) {
  {
    std::FILE* f = std::fopen(path_.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fclose(f);
    boost::asio::io_context io;
    IpcServer s(io, options_for(path_),
                [](const ipc::Request&, const Caller&) { return ipc::Response(); });
    const Status st = s.start();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message.find("not a socket"), std::string::npos);
    std::filesystem::remove(path_);
  }
  start_server();
  boost::asio::io_context io;
  IpcServer second(io, options_for(path_),
                   [](const ipc::Request&, const Caller&) { return ipc::Response(); });
  const Status st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("in use"), std::string::npos);
  // The first server still owns the path.
  EXPECT_TRUE(round_trip(path_, ping_request(1)).has_value());
}

// Runs `req` from a child process that dropped to uid/gid `id`; returns the
// Response.error text through a pipe ("<no answer>" if none came).
std::string error_as_unprivileged(const std::string& path, const ipc::Request& req, uid_t id) {
  int pipefd[2];
  if (::pipe(pipefd) != 0) return "<pipe failed>";
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(pipefd[0]);
    std::string out = "<setuid failed>";
    if (::setgroups(0, nullptr) == 0 && ::setgid(id) == 0 && ::setuid(id) == 0) {
      auto r = round_trip(path, req);
      out = r ? (r->error().empty() ? std::string("<ok>") : r->error()) : "<no answer>";
    }
    (void)!::write(pipefd[1], out.data(), out.size());
    ::_exit(0);
  }
  ::close(pipefd[1]);
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) text.append(buf, static_cast<size_t>(n));
  ::close(pipefd[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return text;
}

uid_t nobody_uid() {
  struct passwd* pw = ::getpwnam("nobody");
  return pw != nullptr ? pw->pw_uid : 65534;
}

TEST_F(IpcServerTest, MutatingRequestFromAnOrdinaryUserIsDenied) {
  start_server();
  if (::geteuid() == 0) {
    const uid_t nobody = nobody_uid();
    EXPECT_EQ(error_as_unprivileged(path_, set_expected_request(2), nobody),
              "permission denied: uid " + std::to_string(nobody) +
                  " is neither root nor in group haclient");
    // Reading is allowed to everyone.
    EXPECT_EQ(error_as_unprivileged(path_, ping_request(1), nobody), "<ok>");
    EXPECT_EQ(mutations_.load(), 0);
    // root may change things.
    auto r = round_trip(path_, set_expected_request(2));
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(r->error().empty());
    EXPECT_EQ(mutations_.load(), 1);
    EXPECT_EQ(stats().denied, 1u);
  } else if (!may_change(::geteuid(), ::getegid(), "haclient")) {
    auto r = round_trip(path_, set_expected_request(2));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->error(), "permission denied: uid " + std::to_string(::geteuid()) +
                              " is neither root nor in group haclient");
    EXPECT_EQ(mutations_.load(), 0);
  } else {
    GTEST_SKIP() << "running as a member of haclient: cannot observe a denial";
  }
}

TEST(IpcPermissions, MayChange) {
  EXPECT_TRUE(may_change(0, 0, "haclient"));
  // Primary group (from SO_PEERCRED) matching the admin group.
  EXPECT_TRUE(may_change(nobody_uid(), 0, "root"));
  // nobody is not in group root.
  EXPECT_FALSE(may_change(nobody_uid(), nobody_uid(), "root"));
  // A group that does not exist.
  EXPECT_FALSE(may_change(nobody_uid(), nobody_uid(), "no-such-group-quorate"));
  // An unknown uid.
  EXPECT_FALSE(may_change(4'000'000'000u, 4'000'000'000u, "root"));
}

TEST(IpcPermissions, MutatingRequests) {
  ipc::Request r;
  r.mutable_ping();
  EXPECT_FALSE(is_mutating(r));
  r.mutable_quorum_status();
  EXPECT_FALSE(is_mutating(r));
  r.mutable_ring_status();
  EXPECT_FALSE(is_mutating(r));
  r.mutable_set_expected_votes();
  EXPECT_TRUE(is_mutating(r));
  r.mutable_set_votes();
  EXPECT_TRUE(is_mutating(r));
  r.mutable_leave();
  EXPECT_TRUE(is_mutating(r));
  EXPECT_EQ(permission_denied_message(1000, "haclient"),
            "permission denied: uid 1000 is neither root nor in group haclient");
}

}  // namespace
}  // namespace quorate::daemon
