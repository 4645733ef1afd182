// Integration tests with real quorated processes on loopback (127.0.0.1..N,
// one shared UDP port per cluster): ring formation with 3 and 5 nodes, a node
// killed and restarted, a clean stop, loss of quorum, `quorated --check`,
// garbage UDP and bad IPC frames. Every wait polls with a deadline.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>

#include "cli/ipc_client.h"
#include "tests/integration/harness.h"

namespace quorate::itest {
namespace {

namespace fs = std::filesystem;

uint64_t counter(const ipc::RingStatus& r, const std::string& name) {
  const auto it = r.counters().find(name);
  return it == r.counters().end() ? 0 : it->second;
}

// True while `pid` runs (a zombie no longer counts: a daemon that went to the
// background is reaped by whoever adopted it, maybe late).
bool alive(pid_t pid) {
  if (::kill(pid, 0) != 0) return false;
  std::ifstream stat(fmt::format("/proc/{}/stat", pid));
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

std::optional<uint64_t> number_file(const std::string& path) {
  std::ifstream f(path);
  uint64_t v = 0;
  if (!(f >> v)) return std::nullopt;
  return v;
}

// Raw Unix-socket connection for malformed IPC input.
int connect_unix(const std::string& path) {
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

class ClusterTest : public ::testing::Test {
 protected:
  // Starts an N-node loopback cluster and waits for one quorate ring of all.
  void form(int nodes, ClusterSpec spec = {}) {
    if (spec.nodes.empty()) spec = loopback_spec(nodes);
    cluster_ = std::make_unique<TestCluster>(std::move(spec));
    ASSERT_TRUE(cluster_->ok()) << cluster_->setup_error();
    std::string why;
    ASSERT_TRUE(cluster_->start_all(&why)) << why;
    ASSERT_TRUE(cluster_->wait_ring(range(1, nodes), true));
  }

  std::unique_ptr<TestCluster> cluster_;
};

TEST_F(ClusterTest, ThreeNodesFormOneQuorateRing) {
  ASSERT_NO_FATAL_FAILURE(form(3));
  const auto q = cluster_->quorum(1);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->provider(), "corosync_votequorum");
  EXPECT_EQ(q->cluster_name(), "itest");
  EXPECT_EQ(q->expected_votes(), 3u);
  EXPECT_EQ(q->total_votes(), 3u);
  EXPECT_EQ(q->quorum(), 2u);
  EXPECT_GT(q->now_unix_ms(), 0);
  ASSERT_EQ(q->members_size(), 3);
  EXPECT_TRUE(q->members(0).local());
  EXPECT_EQ(q->members(1).name(), "node2");
  EXPECT_EQ(q->members(2).address(), "127.0.0.3");
  EXPECT_EQ(q->members(2).votes(), 1u);

  const auto r = cluster_->ring(2);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->transport(), "udpu");
  EXPECT_EQ(r->local_address(), "127.0.0.2");
  EXPECT_EQ(r->state(), "operational");
  ASSERT_EQ(r->peers_size(), 3);
  for (const auto& p : r->peers()) EXPECT_TRUE(p.connected()) << p.nodeid();
  EXPECT_GT(counter(*r, "frames_accepted"), 0u);

  // The compatibility tool agrees: exit 0 on a quorate node.
  const auto tool =
      run_command({bin("corosync-quorumtool"), "-s", "--socket", cluster_->socket_path(3)});
  EXPECT_EQ(tool.exit_code, 0) << tool.out << tool.err;
  EXPECT_NE(tool.out.find("Quorate:          Yes"), std::string::npos) << tool.out;
}

TEST_F(ClusterTest, FiveNodesFormOneQuorateRing) {
  ASSERT_NO_FATAL_FAILURE(form(5));
  const auto q = cluster_->quorum(5);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->quorum(), 3u);
  EXPECT_EQ(q->total_votes(), 5u);
}

TEST_F(ClusterTest, KilledNodeIsDroppedAndRejoinsAfterRestart) {
  ASSERT_NO_FATAL_FAILURE(form(3));
  const auto incarnation_before = number_file(cluster_->state_dir(3) + "/incarnation");
  ASSERT_TRUE(incarnation_before);

  ASSERT_TRUE(cluster_->signal(3, SIGKILL));
  ASSERT_TRUE(cluster_->wait_exit(3, 5000ms));
  ASSERT_TRUE(cluster_->wait_ring({1, 2}, true));

  std::string why;
  ASSERT_TRUE(cluster_->start(3, &why)) << why;
  ASSERT_TRUE(cluster_->wait_ring({1, 2, 3}, true));

  // State files: the incarnation grew, the ring seq is persisted.
  const auto incarnation_after = number_file(cluster_->state_dir(3) + "/incarnation");
  ASSERT_TRUE(incarnation_after);
  EXPECT_GT(*incarnation_after, *incarnation_before);
  const auto q = cluster_->quorum(3);
  ASSERT_TRUE(q);
  const auto ring_seq = number_file(cluster_->state_dir(3) + "/ringid_3");
  ASSERT_TRUE(ring_seq);
  EXPECT_GE(*ring_seq, q->ring_seq());
}

TEST_F(ClusterTest, CleanStopLetsSurvivorsReformWithoutTokenLoss) {
  // A long token: survivors that had to wait for a token loss would need
  // more than 4 s (token + coefficient) to notice; a clean leave does not.
  ClusterSpec spec = loopback_spec(3);
  spec.token_ms = 4000;
  spec.token_coefficient_ms = 650;
  ASSERT_NO_FATAL_FAILURE(form(3, spec));
  std::map<int, uint64_t> losses_before;
  for (int i : {1, 2}) {
    const auto r = cluster_->ring(i);
    ASSERT_TRUE(r);
    losses_before[i] = counter(*r, "token_losses");
  }

  ASSERT_TRUE(cluster_->signal(3, SIGTERM));
  const auto status = cluster_->wait_exit(3, 5000ms);
  ASSERT_TRUE(status) << "node3 did not stop on SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  EXPECT_FALSE(fs::exists(cluster_->socket_path(3))) << "the IPC socket was left behind";
  EXPECT_NE(cluster_->log_tail(3).find("Shutting down: SIGTERM"), std::string::npos);

  ASSERT_TRUE(cluster_->wait_ring({1, 2}, true, 3500ms));
  for (int i : {1, 2}) {
    const auto r = cluster_->ring(i);
    ASSERT_TRUE(r);
    EXPECT_EQ(counter(*r, "token_losses"), losses_before[i])
        << "node" << i << " noticed the leave only by losing the token";
  }
}

TEST_F(ClusterTest, LeaveOverIpcStopsTheDaemon) {
  ASSERT_NO_FATAL_FAILURE(form(3));
  const auto tool =
      run_command({bin("corosync-cfgtool"), "-H", "--socket", cluster_->socket_path(2)});
  EXPECT_EQ(tool.exit_code, 0) << tool.out << tool.err;
  const auto status = cluster_->wait_exit(2, 5000ms);
  ASSERT_TRUE(status) << "node2 did not stop after the leave request";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  ASSERT_TRUE(cluster_->wait_ring({1, 3}, true));
}

TEST_F(ClusterTest, SurvivorOfTwoKilledIsNotQuorate) {
  ASSERT_NO_FATAL_FAILURE(form(3));
  for (int i : {2, 3}) ASSERT_TRUE(cluster_->signal(i, SIGKILL));
  for (int i : {2, 3}) ASSERT_TRUE(cluster_->wait_exit(i, 5000ms));
  ASSERT_TRUE(cluster_->wait_ring({1}, false));

  const auto tool =
      run_command({bin("corosync-quorumtool"), "-s", "--socket", cluster_->socket_path(1)});
  EXPECT_EQ(tool.exit_code, 2) << tool.out << tool.err;
  EXPECT_NE(tool.out.find("Quorate:          No"), std::string::npos) << tool.out;
  EXPECT_NE(cluster_->log_tail(1).find("non-primary component"), std::string::npos)
      << cluster_->log_tail(1);
}

TEST_F(ClusterTest, SetExpectedVotesOverIpc) {
  ASSERT_NO_FATAL_FAILURE(form(3));
  for (int i : {2, 3}) ASSERT_TRUE(cluster_->signal(i, SIGKILL));
  for (int i : {2, 3}) ASSERT_TRUE(cluster_->wait_exit(i, 5000ms));
  ASSERT_TRUE(cluster_->wait_ring({1}, false));
  // corosync-quorumtool -e 1 makes the survivor quorate again.
  const auto tool =
      run_command({bin("corosync-quorumtool"), "-e", "1", "--socket", cluster_->socket_path(1)});
  EXPECT_EQ(tool.exit_code, 0) << tool.out << tool.err;
  ASSERT_TRUE(cluster_->wait_ring({1}, true));
  // An impossible value comes back as an error, and the daemon keeps serving.
  const auto bad = run_command(
      {bin("corosync-quorumtool"), "-v", "0", "-n", "9", "--socket", cluster_->socket_path(1)});
  EXPECT_NE(bad.exit_code, 0) << bad.out << bad.err;
  EXPECT_TRUE(cluster_->ping(1));
}

// ------------------------------------------------------------ --check

class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/qit-check-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  std::string dir_;
};

constexpr const char* kGoodConf =
    "totem {\n"
    "  version: 2\n"
    "  cluster_name: checked\n"
    "  token: 1000\n"
    "}\n"
    "nodelist {\n"
    "  node {\n    ring0_addr: 127.0.0.1\n    nodeid: 1\n  }\n"
    "  node {\n    ring0_addr: 127.0.0.2\n    nodeid: 2\n  }\n"
    "}\n"
    "quorum {\n  provider: corosync_votequorum\n  two_node: 1\n}\n";

TEST_F(CheckTest, GoodFileIsValid) {
  const std::string path = write("good.conf", kGoodConf);
  const auto r = run_command({bin("quorated"), "--config", path, "--check"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("totem.cluster_name: checked"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("totem.token: 1000"), std::string::npos) << r.out;
  // --check writes nothing: no state directory appears.
  EXPECT_TRUE(fs::is_empty(dir_) || fs::directory_iterator(dir_)->path().filename() == "good.conf");
}

TEST_F(CheckTest, BadValueIsReportedWithFileLineColumn) {
  const std::string path = write("bad.conf",
                                 "totem {\n"
                                 "  version: 2\n"
                                 "  token: soon\n"
                                 "}\n");
  const auto r = run_command({bin("quorated"), "--config", path, "--check"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(path + ":3:10:"), std::string::npos) << r.err;
}

TEST_F(CheckTest, SyntaxErrorIsReportedWithFileLine) {
  const std::string path = write("broken.conf", "totem {\n  version: 2\n");
  const auto r = run_command({bin("quorated"), "--config", path, "--check"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find(path + ":"), std::string::npos) << r.err;
}

TEST_F(CheckTest, MissingFileFails) {
  const auto r = run_command({bin("quorated"), "--config", dir_ + "/none.conf", "--check"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("none.conf"), std::string::npos) << r.err;
}

TEST_F(CheckTest, BadArgumentsExitTwo) {
  auto r = run_command({bin("quorated"), "--no-such-flag"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  r = run_command({bin("quorated"), "--foreground"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_NE(r.err.find("--config"), std::string::npos) << r.err;
}

TEST_F(CheckTest, UnknownNodeIsRefused) {
  const std::string path = write("good.conf", kGoodConf);
  const auto r = run_command({bin("quorated"), "--config", path, "--node", "nine", "--state-dir",
                              dir_ + "/state", "--run-dir", dir_ + "/run", "--foreground"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("--node nine"), std::string::npos) << r.err;
}

// Start-up outside a test cluster: node selection, IPv6, background mode.
class StandaloneTest : public CheckTest {};

TEST_F(StandaloneTest, NodeIsNotGuessedWithoutALocalAddress) {
  // 127.0.0.2 and .3 route to lo but are not interface addresses.
  const std::string path = write("guess.conf",
                                 "totem {\n  version: 2\n}\n"
                                 "nodelist {\n"
                                 "  node {\n    ring0_addr: 127.0.0.2\n    nodeid: 2\n  }\n"
                                 "  node {\n    ring0_addr: 127.0.0.3\n    nodeid: 3\n  }\n"
                                 "}\n");
  const auto r = run_command({bin("quorated"), "--config", path, "--state-dir", dir_ + "/state",
                              "--run-dir", dir_ + "/run", "--foreground"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("--node"), std::string::npos) << r.err;
}

// A one-node cluster on ::1: IPv6, the node found by its interface address
// (no --node), a ring of one (the token goes to itself), quorate by its
// own vote; it also starts in the background and stops on SIGTERM.
TEST_F(StandaloneTest, SingleNodeOnIpv6FindsItselfAndIsQuorate) {
  const int probe = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 any{};
  any.sin6_family = AF_INET6;
  any.sin6_addr = in6addr_loopback;
  const bool have_v6 =
      probe >= 0 && ::bind(probe, reinterpret_cast<sockaddr*>(&any), sizeof any) == 0;
  if (probe >= 0) ::close(probe);
  if (!have_v6) GTEST_SKIP() << "no IPv6 loopback (::1) on this machine";

  const uint16_t port = static_cast<uint16_t>(20000 + (::getpid() % 10000) * 4 + 3);
  const std::string path = write(
      "v6.conf",
      fmt::format(
          "totem {{\n  version: 2\n  token: 300\n  interface {{\n    mcastport: {}\n  }}\n}}\n"
          "nodelist {{\n  node {{\n    ring0_addr: ::1\n    nodeid: 6\n    name: six\n  }}\n}}\n"
          "quorum {{\n  provider: corosync_votequorum\n}}\n"
          "logging {{\n  to_stderr: no\n  to_logfile: yes\n  logfile: {}/v6.log\n"
          "  to_syslog: no\n}}\n",
          port, dir_));
  const std::string sock = dir_ + "/run/quorated.sock";
  // Without --foreground the command returns once the daemon serves.
  const auto started = run_command({bin("quorated"), "--config", path, "--state-dir",
                                    dir_ + "/state", "--run-dir", dir_ + "/run"});
  ASSERT_EQ(started.exit_code, 0) << started.out << started.err;
  // The daemon is not our child: its pid comes from the socket's peer
  // credentials, and a guard ends it on every way out of this test.
  const int fd = connect_unix(sock);
  ASSERT_GE(fd, 0);
  ucred cred{};
  socklen_t len = sizeof cred;
  const int rc = ::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len);
  ::close(fd);
  ASSERT_EQ(rc, 0);
  ASSERT_GT(cred.pid, 1);
  struct Guard {
    pid_t pid;
    ~Guard() {
      if (!alive(pid)) return;
      ::kill(pid, SIGTERM);
      if (!wait_until([&] { return !alive(pid); }, 5000ms)) ::kill(pid, SIGKILL);
    }
  } guard{cred.pid};

  std::optional<ipc::QuorumStatus> q;
  const bool formed = wait_until(
      [&] {
        ipc::Request req;
        req.mutable_quorum_status();
        auto resp = cli::ipc_call(sock, req, 2000ms);
        if (!resp.ok() || !resp->has_quorum_status()) return false;
        q = resp->quorum_status();
        return q->quorate() && q->members_size() == 1;
      },
      10000ms);
  ASSERT_TRUE(formed) << "no quorate ring of one on ::1";
  EXPECT_EQ(q->local_nodeid(), 6u);
  EXPECT_EQ(q->members(0).name(), "six");
  EXPECT_EQ(q->members(0).address(), "::1");

  ASSERT_EQ(::kill(cred.pid, SIGTERM), 0);
  EXPECT_TRUE(wait_until([&] { return !alive(cred.pid); }, 5000ms));
  EXPECT_FALSE(fs::exists(sock));
}

// ------------------------------------------------------------ robustness

TEST_F(ClusterTest, GarbageDatagramsAreCountedAndIgnored) {
  ASSERT_NO_FATAL_FAILURE(form(3));
  const auto before = cluster_->ring(1);
  ASSERT_TRUE(before);

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(cluster_->port());
  ASSERT_EQ(::inet_pton(AF_INET, "127.0.0.1", &to.sin_addr), 1);
  std::mt19937_64 rng(42);
  constexpr int kDatagrams = 3000;
  std::string buf;
  for (int k = 0; k < kDatagrams; ++k) {
    buf.resize(1 + rng() % 1500);
    for (auto& c : buf) c = static_cast<char>(rng());
    if (k % 3 == 0 && buf.size() > 64) {
      // Looks like a frame of our algorithms (magic, version, sha256,
      // aes256): reaches the MAC check.
      buf[0] = 'Q';
      buf[1] = 1;
      buf[2] = 2;
      buf[3] = 3;
    }
    (void)::sendto(fd, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
    if (k % 200 == 199) {
      // Let the daemon keep up instead of overflowing its socket buffer.
      const auto dropped = counter(*before, "frames_dropped");
      wait_until(
          [&] {
            const auto r = cluster_->ring(1);
            return r && counter(*r, "frames_dropped") >= dropped + static_cast<uint64_t>(k) / 2;
          },
          2000ms, 10ms);
    }
  }
  ::close(fd);

  uint64_t dropped = 0;
  EXPECT_TRUE(wait_until(
      [&] {
        const auto r = cluster_->ring(1);
        if (!r) return false;
        dropped = counter(*r, "frames_dropped") - counter(*before, "frames_dropped");
        return dropped >= kDatagrams / 2;
      },
      5000ms));
  EXPECT_GE(dropped, static_cast<uint64_t>(kDatagrams / 2));
  const auto after = cluster_->ring(1);
  ASSERT_TRUE(after);
  EXPECT_GT(counter(*after, "frames_dropped_bad_mac"), counter(*before, "frames_dropped_bad_mac"));
  EXPECT_TRUE(cluster_->running(1));
  ASSERT_TRUE(cluster_->wait_ring({1, 2, 3}, true));
}

// True when the server closes the connection within the timeout.
bool closed_by_peer(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return ::recv(fd, &c, 1, 0) <= 0;
}

TEST_F(ClusterTest, BadIpcFramesLeaveTheDaemonServing) {
  ASSERT_NO_FATAL_FAILURE(form(3));
  const std::string path = cluster_->socket_path(1);

  // A frame announcing 4 GiB.
  int fd = connect_unix(path);
  ASSERT_GE(fd, 0);
  const unsigned char huge[] = {0xff, 0xff, 0xff, 0xff, 'x'};
  ASSERT_EQ(::send(fd, huge, sizeof huge, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof huge));
  EXPECT_TRUE(closed_by_peer(fd, 5000));
  ::close(fd);

  // A well-framed payload that is not a Request.
  fd = connect_unix(path);
  ASSERT_GE(fd, 0);
  const unsigned char junk[] = {0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff};
  ASSERT_EQ(::send(fd, junk, sizeof junk, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof junk));
  EXPECT_TRUE(closed_by_peer(fd, 5000));
  ::close(fd);

  // Half a frame, then hang up.
  fd = connect_unix(path);
  ASSERT_GE(fd, 0);
  const unsigned char half[] = {0, 0, 1, 0, 1, 2};
  ASSERT_EQ(::send(fd, half, sizeof half, MSG_NOSIGNAL), static_cast<ssize_t>(sizeof half));
  ::close(fd);

  EXPECT_TRUE(cluster_->ping(1));
  EXPECT_TRUE(cluster_->running(1));
  ASSERT_TRUE(cluster_->wait_ring({1, 2, 3}, true));
}

}  // namespace
}  // namespace quorate::itest
