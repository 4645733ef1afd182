// NbdServer + FileTarget against real NBD clients (nbdinfo, nbdcopy,
// qemu-img, qemu-io, fio's nbd engine) and a raw socket client for the
// behaviours clients do not expose. The server's io_context runs on its own
// thread; every child process runs with a deadline and is killed by PID.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "replication/file_target.h"
#include "replication/nbd_server.h"

namespace quorate::replication {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct ProcResult {
  int status = -1;  // exit code, or -1 when killed / not run
  std::string out;
};

// Runs argv with stdout+stderr captured; kills it by PID after `timeout`.
ProcResult run(const std::vector<std::string>& argv, std::chrono::seconds timeout = 60s) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return {};
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(pipefd[1], 1);
    dup2(pipefd[1], 2);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    _exit(127);
  }
  close(pipefd[1]);
  ProcResult r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  bool killed = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      kill(pid, SIGKILL);
      killed = true;
      break;
    }
    pollfd p{pipefd[0], POLLIN, 0};
    const int n = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 200)));
    if (n > 0) {
      const ssize_t got = read(pipefd[0], buf, sizeof buf);
      if (got <= 0) break;
      r.out.append(buf, static_cast<size_t>(got));
    }
  }
  close(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!killed && WIFEXITED(status)) r.status = WEXITSTATUS(status);
  if (killed) r.out += "\n[killed after timeout]";
  return r;
}

bool have(const std::string& tool) {
  return run({"sh", "-c", "command -v " + tool}, 10s).status == 0;
}

std::string sha(const std::string& path) {
  auto r = run({"sha256sum", path});
  return r.out.substr(0, 64);
}

void write_random(const std::string& path, size_t bytes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> data(bytes);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(data.data()),
                                              static_cast<std::streamsize>(data.size()));
}

class NbdServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/quorate-nbd-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    image = dir + "/disk.img";
    {
      std::ofstream f(image, std::ios::binary);
      f.seekp((64 << 20) - 1);
      f.put('\0');
    }
    auto t = FileTarget::open(image);
    ASSERT_TRUE(t.ok()) << t.error().message;
    target = std::move(t).value();
    ASSERT_TRUE(registry.add("r0", *target, {.description = "test volume"}).ok());
    socket = dir + "/nbd/r0.sock";
  }

  void start(bool tcp = false) {
    NbdServerOptions o;
    o.unix_socket_path = socket;
    if (tcp) {
      o.tcp_endpoint =
          boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0);
    }
    o.on_event = [this](const std::string& line) {
      std::lock_guard lock(log_mu);
      log.push_back(line);
    };
    server = std::make_unique<NbdServer>(io, registry, o);
    Status st = server->start();
    ASSERT_TRUE(st.ok()) << st.error().message;
    thread = std::thread([this] { io.run(); });
  }

  template <typename F>
  auto on_io(F f) {
    std::packaged_task<decltype(f())()> task(std::move(f));
    auto fut = task.get_future();
    boost::asio::post(io, [&task] { task(); });
    return fut.get();
  }

  std::string log_text() {
    std::lock_guard lock(log_mu);
    std::string all;
    for (const auto& l : log) all += l + "\n";
    return all;
  }

  void TearDown() override {
    if (server) {
      std::promise<void> stopped;
      boost::asio::post(io, [&] { server->stop([&] { stopped.set_value(); }); });
      EXPECT_EQ(stopped.get_future().wait_for(30s), std::future_status::ready);
      on_io([&] { server.reset(); return 0; });
    }
    work.reset();
    io.stop();
    if (thread.joinable()) thread.join();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }

  std::string uri() const { return "nbd+unix:///r0?socket=" + socket; }

  boost::asio::io_context io;
  std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work{
      io.get_executor()};
  std::thread thread;
  std::string dir, image, socket;
  std::unique_ptr<FileTarget> target;
  ExportRegistry registry;
  std::unique_ptr<NbdServer> server;
  std::mutex log_mu;
  std::vector<std::string> log;
};

#define REQUIRE_TOOL(t) \
  if (!have(t)) GTEST_SKIP() << t << " is not installed"

TEST_F(NbdServerTest, NbdinfoJsonReportsSizeFlagsAndBlockSizes) {
  REQUIRE_TOOL("nbdinfo");
  start();
  auto r = run({"nbdinfo", "--json", "nbd+unix:///?socket=" + socket});
  ASSERT_EQ(r.status, 0) << r.out;
  const auto j = nlohmann::json::parse(r.out);
  const auto& e = j["exports"][0];
  EXPECT_EQ(e["export-name"], "r0");
  EXPECT_EQ(e["description"], "test volume");
  EXPECT_EQ(e["export-size"], 64 << 20);
  EXPECT_EQ(e["is_read_only"], false);
  EXPECT_EQ(e["can_flush"], true);
  EXPECT_EQ(e["can_fua"], true);
  EXPECT_EQ(e["can_trim"], true);
  EXPECT_EQ(e["can_zero"], true);
  EXPECT_EQ(e["can_multi_conn"], true);
  EXPECT_EQ(e["block_size_minimum"], 1);
  EXPECT_EQ(e["block_size_preferred"], 4096);
  EXPECT_EQ(e["block_size_maximum"], 32 << 20);
  EXPECT_EQ(j["protocol"], "newstyle-fixed");
}

TEST_F(NbdServerTest, NbdinfoListAndUnknownExport) {
  REQUIRE_TOOL("nbdinfo");
  start();
  auto r = run({"nbdinfo", "--list", "--json", "nbd+unix:///?socket=" + socket});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_NE(r.out.find("\"r0\""), std::string::npos) << r.out;
  r = run({"nbdinfo", "nbd+unix:///nosuch?socket=" + socket});
  EXPECT_NE(r.status, 0);
  // NBD_REP_ERR_UNKNOWN: libnbd reports it as ENOENT for the export (the
  // message text is checked in the codec tests).
  EXPECT_NE(r.out.find("No such file or directory for export: nosuch"), std::string::npos)
      << r.out;
}

TEST_F(NbdServerTest, NbdcopyInAndOutPreservesData) {
  REQUIRE_TOOL("nbdcopy");
  start();
  const std::string in = dir + "/in.bin", out = dir + "/out.bin";
  write_random(in, 16 << 20, 1);
  auto r = run({"nbdcopy", in, uri()});
  ASSERT_EQ(r.status, 0) << r.out;
  r = run({"nbdcopy", uri(), out});
  ASSERT_EQ(r.status, 0) << r.out;
  ASSERT_EQ(fs::file_size(out), 64u << 20);
  ASSERT_EQ(truncate(out.c_str(), 16 << 20), 0);
  EXPECT_EQ(sha(in), sha(out));
  const ExportStats st = on_io([&] { return registry.stats("r0"); });
  EXPECT_GE(st.bytes_written, 16u << 20);
  EXPECT_GE(st.bytes_read, 16u << 20);
  EXPECT_GE(st.connections_total, 2u);
}

TEST_F(NbdServerTest, QemuImgInfoAndConvert) {
  REQUIRE_TOOL("qemu-img");
  start();
  auto r = run({"qemu-img", "info", "--output=json", uri()});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(nlohmann::json::parse(r.out)["virtual-size"], 64 << 20);
  const std::string src = dir + "/src.raw";
  write_random(src, 8 << 20, 2);
  r = run({"qemu-img", "convert", "-n", "-f", "raw", "-O", "raw", src, uri()});
  ASSERT_EQ(r.status, 0) << r.out;
  const std::string back = dir + "/back.raw";
  r = run({"qemu-img", "convert", "-f", "raw", "-O", "raw", uri(), back});
  ASSERT_EQ(r.status, 0) << r.out;
  ASSERT_EQ(truncate(back.c_str(), 8 << 20), 0);
  EXPECT_EQ(sha(src), sha(back));
}

TEST_F(NbdServerTest, QemuIoWriteReadFlushDiscardZero) {
  REQUIRE_TOOL("qemu-io");
  start();
  auto r = run({"qemu-io", "-f", "raw", uri(), "-c", "write -P 0xab 0 1M", "-c",
                "read -P 0xab 0 1M", "-c", "flush", "-c", "discard 0 64k", "-c",
                "write -z 1M 64k", "-c", "read -P 0 1M 64k"});
  ASSERT_EQ(r.status, 0) << r.out;
  EXPECT_EQ(r.out.find("failed"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("Pattern verification"), std::string::npos) << r.out;
  // The file itself holds the data.
  std::ifstream f(image, std::ios::binary);
  f.seekg(512 * 1024);
  EXPECT_EQ(f.get(), 0xab);
}

TEST_F(NbdServerTest, FioRandrwVerify) {
  REQUIRE_TOOL("fio");
  if (run({"fio", "--enghelp=nbd"}).status != 0) GTEST_SKIP() << "fio has no nbd engine";
  start();
  auto r = run({"fio", "--name=nbdverify", "--ioengine=nbd", "--uri=" + uri(), "--rw=randrw",
                "--bs=4k", "--size=8M", "--iodepth=16", "--verify=crc32c", "--do_verify=1",
                "--output-format=terse", "--verify_fatal=1", "--verify_state_save=0"},
               120s);
  ASSERT_EQ(r.status, 0) << r.out;
}

TEST_F(NbdServerTest, TwoConcurrentClientsAndTcp) {
  REQUIRE_TOOL("qemu-io");
  start(/*tcp=*/true);
  const uint16_t port = server->tcp_port();
  ASSERT_NE(port, 0);
  const std::string tcp_uri = "nbd://127.0.0.1:" + std::to_string(port) + "/r0";
  auto a = std::async(std::launch::async, [&] {
    return run({"qemu-io", "-f", "raw", uri(), "-c", "write -P 0x11 0 4M", "-c",
                "read -P 0x11 0 4M"});
  });
  auto b = std::async(std::launch::async, [&] {
    return run({"qemu-io", "-f", "raw", tcp_uri, "-c", "write -P 0x22 8M 4M", "-c",
                "read -P 0x22 8M 4M"});
  });
  const ProcResult ra = a.get(), rb = b.get();
  ASSERT_EQ(ra.status, 0) << ra.out;
  ASSERT_EQ(rb.status, 0) << rb.out;
  EXPECT_EQ(ra.out.find("Pattern verification"), std::string::npos) << ra.out;
  EXPECT_EQ(rb.out.find("Pattern verification"), std::string::npos) << rb.out;
}

// --- raw client -------------------------------------------------------------

struct Raw {
  int fd = -1;
  ~Raw() {
    if (fd >= 0) close(fd);
  }
  bool connect_unix(const std::string& path) {
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    timeval tv{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    return connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  }
  void send(const std::vector<uint8_t>& b) { ASSERT_EQ(write(fd, b.data(), b.size()), ssize_t(b.size())); }
  // Reads exactly n bytes; empty on EOF/timeout.
  std::vector<uint8_t> recv(size_t n) {
    std::vector<uint8_t> b(n);
    size_t got = 0;
    while (got < n) {
      const ssize_t r = read(fd, b.data() + got, n - got);
      if (r <= 0) return {};
      got += static_cast<size_t>(r);
    }
    return b;
  }
  bool at_eof() {
    uint8_t c;
    return read(fd, &c, 1) == 0;
  }
};

void be(std::vector<uint8_t>& b, uint64_t v, int n) {
  for (int i = n - 1; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// Handshake with NBD_OPT_GO "r0"; leaves the socket in transmission.
void handshake(Raw& c) {
  ASSERT_EQ(c.recv(18).size(), 18u);
  std::vector<uint8_t> b;
  be(b, 3, 4);
  b.insert(b.end(), {'I', 'H', 'A', 'V', 'E', 'O', 'P', 'T'});
  be(b, nbd::kOptGo, 4);
  be(b, 4 + 2 + 2, 4);
  be(b, 2, 4);
  b.insert(b.end(), {'r', '0'});
  be(b, 0, 2);
  c.send(b);
  for (;;) {
    auto h = c.recv(20);
    ASSERT_EQ(h.size(), 20u);
    const uint32_t type = (h[12] << 24) | (h[13] << 16) | (h[14] << 8) | h[15];
    const uint32_t len = (h[16] << 24) | (h[17] << 16) | (h[18] << 8) | h[19];
    c.recv(len);
    if (type == nbd::kRepAck) return;
    ASSERT_EQ(type, nbd::kRepInfo);
  }
}

std::vector<uint8_t> req(uint16_t type, uint64_t handle, uint64_t off, uint32_t len) {
  std::vector<uint8_t> b;
  be(b, nbd::kMagicRequest, 4);
  be(b, 0, 2);
  be(b, type, 2);
  be(b, handle, 8);
  be(b, off, 8);
  be(b, len, 4);
  return b;
}

uint32_t reply_error(const std::vector<uint8_t>& r) {
  return (r[4] << 24) | (r[5] << 16) | (r[6] << 8) | r[7];
}

TEST_F(NbdServerTest, DemotionWhileConnectedFailsWritesWithEpermAndLogs) {
  start();
  Raw c;
  ASSERT_TRUE(c.connect_unix(socket));
  handshake(c);
  auto w = req(1, 1, 0, 4);
  w.insert(w.end(), {1, 2, 3, 4});
  c.send(w);
  auto r = c.recv(16);
  ASSERT_EQ(r.size(), 16u);
  EXPECT_EQ(reply_error(r), 0u);
  on_io([&] { target->set_writable(false, "r0 is Secondary"); return 0; });
  c.send(w);
  r = c.recv(16);
  ASSERT_EQ(r.size(), 16u);
  EXPECT_EQ(reply_error(r), nbd::kErrPerm);
  // Reads still work.
  c.send(req(0, 3, 0, 4));
  r = c.recv(20);
  ASSERT_EQ(r.size(), 20u);
  EXPECT_EQ(reply_error(r), 0u);
  EXPECT_EQ(std::vector<uint8_t>(r.begin() + 16, r.end()), (std::vector<uint8_t>{1, 2, 3, 4}));
  const std::string logs = log_text();
  EXPECT_NE(logs.find("nbd export r0"), std::string::npos) << logs;
  EXPECT_NE(logs.find("r0 is Secondary"), std::string::npos) << logs;
}

TEST_F(NbdServerTest, ReadOnlyTargetAdvertisedAndQemuWriteRefused) {
  target->set_writable(false, "r0 is Secondary");
  start();
  if (have("nbdinfo")) {
    auto r = run({"nbdinfo", "--json", uri()});
    ASSERT_EQ(r.status, 0) << r.out;
    EXPECT_EQ(nlohmann::json::parse(r.out)["exports"][0]["is_read_only"], true);
  }
  Raw c;
  ASSERT_TRUE(c.connect_unix(socket));
  handshake(c);
  auto w = req(1, 9, 0, 4);
  w.insert(w.end(), {1, 2, 3, 4});
  c.send(w);
  auto r = c.recv(16);
  ASSERT_EQ(r.size(), 16u);
  EXPECT_EQ(reply_error(r), nbd::kErrPerm);
}

TEST_F(NbdServerTest, OversizedWriteClosesConnectionWithLogLine) {
  start();
  Raw c;
  ASSERT_TRUE(c.connect_unix(socket));
  handshake(c);
  c.send(req(1, 1, 0, (32u << 20) + 1));
  EXPECT_TRUE(c.at_eof());
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (log_text().find("can no longer be framed") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_NE(log_text().find("can no longer be framed"), std::string::npos) << log_text();
}

TEST_F(NbdServerTest, GarbageGreetingClosesAndServerKeepsServing) {
  start();
  {
    Raw c;
    ASSERT_TRUE(c.connect_unix(socket));
    ASSERT_EQ(c.recv(18).size(), 18u);
    c.send({0, 0, 0, 3, 'G', 'A', 'R', 'B', 'A', 'G', 'E', '!', 0, 0, 0, 0, 0, 0, 0, 0});
    EXPECT_TRUE(c.at_eof());
  }
  Raw c2;
  ASSERT_TRUE(c2.connect_unix(socket));
  handshake(c2);
  c2.send(req(3, 5, 0, 0));  // flush
  auto r = c2.recv(16);
  ASSERT_EQ(r.size(), 16u);
  EXPECT_EQ(reply_error(r), 0u);
}

TEST_F(NbdServerTest, LiveSocketIsNotStolenStaleOneIsReplaced) {
  start();
  ExportRegistry other;
  boost::asio::io_context io2;
  NbdServerOptions o;
  o.unix_socket_path = socket;
  NbdServer second(io2, other, o);
  Status st = second.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("in use"), std::string::npos) << st.error().message;
  // A regular file is refused, a dead socket replaced.
  const std::string plain = dir + "/plain";
  std::ofstream(plain) << "x";
  o.unix_socket_path = plain;
  NbdServer third(io2, other, o);
  st = third.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not a socket"), std::string::npos);
}

TEST_F(NbdServerTest, StopWaitsAndRemovesSocket) {
  start();
  Raw c;
  ASSERT_TRUE(c.connect_unix(socket));
  handshake(c);
  EXPECT_EQ(on_io([&] { return server->open_connections(); }), 1u);
  std::promise<void> stopped;
  boost::asio::post(io, [&] { server->stop([&] { stopped.set_value(); }); });
  ASSERT_EQ(stopped.get_future().wait_for(10s), std::future_status::ready);
  EXPECT_TRUE(c.at_eof());
  EXPECT_FALSE(fs::exists(socket));
}

}  // namespace
}  // namespace quorate::replication
