// Integration-test harness: processes, commands and local clusters. See
// harness.h.
#include "tests/integration/harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "cli/ipc_client.h"
#include "cli/render.h"

#ifndef QUORATE_BIN_DIR
#error "QUORATE_BIN_DIR must name the directory holding quorated"
#endif

namespace quorate::itest {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string bin_dir() { return QUORATE_BIN_DIR; }
std::string bin(const std::string& name) { return bin_dir() + "/" + name; }

std::vector<int> range(int from, int to) {
  std::vector<int> out;
  for (int i = from; i <= to; ++i) out.push_back(i);
  return out;
}

bool wait_until(const std::function<bool()>& condition, Millis timeout, Millis interval) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(interval);  // a polling interval, not the synchronisation
  }
}

// ----------------------------------------------------------------- processes

namespace {

std::vector<char*> c_argv(std::vector<std::string>& storage) {
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  return argv;
}

// In the child after fork: die with the test process, then exec.
[[noreturn]] void exec_child(std::vector<std::string> args, int out_fd, int err_fd) {
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  const int devnull = ::open("/dev/null", O_RDONLY);
  if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
  ::dup2(out_fd, STDOUT_FILENO);
  ::dup2(err_fd, STDERR_FILENO);
  // Restore default dispositions the test runner may have changed.
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  auto argv = c_argv(args);
  ::execvp(argv[0], argv.data());
  const std::string msg = fmt::format("exec {}: {}\n", args[0], std::strerror(errno));
  (void)!::write(STDERR_FILENO, msg.data(), msg.size());
  ::_exit(127);
}

}  // namespace

pid_t ProcessSet::spawn(const std::vector<std::string>& argv, const std::string& output_path,
                        std::string* error) {
  const int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    *error = fmt::format("open {}: {}", output_path, std::strerror(errno));
    return -1;
  }
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(argv, out, out);
  const int err = errno;
  ::close(out);
  if (pid < 0) {
    *error = fmt::format("fork: {}", std::strerror(err));
    return -1;
  }
  live_.insert(pid);
  return pid;
}

bool ProcessSet::signal(pid_t pid, int sig) {
  if (live_.count(pid) == 0) return false;
  return ::kill(pid, sig) == 0;
}

std::optional<int> ProcessSet::wait_exit(pid_t pid, Millis timeout) {
  if (live_.count(pid) == 0) return std::nullopt;
  std::optional<int> status;
  wait_until(
      [&] {
        int st = 0;
        const pid_t r = ::waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD)) {
          status = r == pid ? st : 0;
          return true;
        }
        return false;
      },
      timeout, 10ms);
  if (status) live_.erase(pid);
  return status;
}

bool ProcessSet::running(pid_t pid) {
  if (live_.count(pid) == 0) return false;
  int st = 0;
  const pid_t r = ::waitpid(pid, &st, WNOHANG);
  if (r == pid || (r < 0 && errno == ECHILD)) {
    live_.erase(pid);
    return false;
  }
  return true;
}

void ProcessSet::stop_all(Millis grace) {
  for (pid_t pid : live_) ::kill(pid, SIGTERM);
  const auto deadline = Clock::now() + grace;
  const std::set<pid_t> all = live_;
  for (pid_t pid : all) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now());
    if (!wait_exit(pid, std::max(left, Millis(0)))) {
      ::kill(pid, SIGKILL);
      (void)wait_exit(pid, 5000ms);
    }
  }
  live_.clear();
}

CommandResult run_command(const std::vector<std::string>& argv, Millis timeout) {
  CommandResult result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0) return result;
  if (::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ::close(out_pipe[0]);
    ::close(out_pipe[1]);
    return result;
  }
  const pid_t pid = ::fork();
  if (pid == 0) exec_child(argv, out_pipe[1], err_pipe[1]);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  if (pid < 0) {
    ::close(out_pipe[0]);
    ::close(err_pipe[0]);
    return result;
  }
  const auto deadline = Clock::now() + timeout;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_fds = 2;
  bool timed_out = false;
  while (open_fds > 0) {
    const auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    if (left <= 0) {
      timed_out = true;
      break;
    }
    const int rc = ::poll(fds, 2, static_cast<int>(left));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    for (int k = 0; k < 2; ++k) {
      if (fds[k].fd < 0 || fds[k].revents == 0) continue;
      char buf[4096];
      const ssize_t n = ::read(fds[k].fd, buf, sizeof buf);
      if (n > 0) {
        sinks[k]->append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        ::close(fds[k].fd);
        fds[k].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!timed_out && WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

// ------------------------------------------------------------------ clusters

namespace {

// True when a UDP socket can bind `address`:`port`.
bool udp_port_free(const std::string& address, uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &sin.sin_addr) != 1) {
    ::close(fd);
    return false;
  }
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof sin) == 0;
  ::close(fd);
  return ok;
}

// A port free on every node address: 20000 + (pid % 10000) * 4 + k, so that
// parallel test processes do not collide and the clusters of one process
// take turns through four ports.
uint16_t pick_port(const std::vector<NodeSpec>& nodes) {
  static int turn = 0;  // test-binary state, not daemon state
  const int base = 20000 + (::getpid() % 10000) * 4;
  for (int attempt = 0; attempt < 64; ++attempt) {
    const int port =
        attempt < 4 ? base + (turn + attempt) % 4 : 20000 + (base + attempt * 7919) % 40000;
    const auto p = static_cast<uint16_t>(port);
    bool free = true;
    for (const auto& n : nodes) free = free && udp_port_free(n.address, p);
    if (free) {
      ++turn;
      return p;
    }
  }
  return static_cast<uint16_t>(base);
}

std::string read_file(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

ClusterSpec loopback_spec(int nodes) {
  ClusterSpec spec;
  for (int i = 1; i <= nodes; ++i) spec.nodes.push_back(NodeSpec{fmt::format("127.0.0.{}", i), {}, {}});
  return spec;
}

TestCluster::TestCluster(ClusterSpec spec) : spec_(std::move(spec)) {
  pids_.assign(spec_.nodes.size() + 1, -1);
  char tmpl[] = "/tmp/qit-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) {
    setup_error_ = fmt::format("mkdtemp: {}", std::strerror(errno));
    return;
  }
  dir_ = tmpl;
  if (spec_.port == 0) spec_.port = pick_port(spec_.nodes);
  if (!write_files() && setup_error_.empty()) setup_error_ = "cannot write the cluster files";
}

TestCluster::~TestCluster() {
  processes_.stop_all();
  if (dir_.empty()) return;
  const bool failed = ::testing::Test::HasFailure();
  if (failed || std::getenv("QUORATE_KEEP_TEST_DIR") != nullptr) {
    std::fprintf(stderr, "test cluster files kept in %s\n", dir_.c_str());
    return;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string TestCluster::node_dir(int i) const { return fmt::format("{}/node{}", dir_, i); }

bool TestCluster::write_files() {
  std::string conf;
  conf += "totem {\n  version: 2\n";
  conf += fmt::format("  cluster_name: {}\n", spec_.cluster_name);
  conf += "  transport: udpu\n  crypto_cipher: aes256\n  crypto_hash: sha256\n";
  conf += fmt::format("  keyfile: {}/authkey\n", dir_);
  conf += fmt::format("  token: {}\n  token_coefficient: {}\n", spec_.token_ms,
                      spec_.token_coefficient_ms);
  conf += fmt::format("  interface {{\n    mcastport: {}\n  }}\n}}\n\n", spec_.port);
  conf += "nodelist {\n";
  for (int i = 1; i <= size(); ++i) {
    conf += fmt::format("  node {{\n    name: node{}\n    nodeid: {}\n    ring0_addr: {}\n  }}\n",
                        i, i, spec_.nodes[static_cast<size_t>(i - 1)].address);
  }
  conf += "}\n\nquorum {\n  provider: corosync_votequorum\n" + spec_.quorum_extra + "}\n\n";
  conf += "logging {\n  to_stderr: yes\n  to_logfile: no\n  to_syslog: no\n  timestamp: hires\n}\n";
  {
    std::ofstream f(config_path());
    f << conf;
    if (!f) return false;
  }
  const auto key = run_command({bin("quorate"), "keygen", "-k", dir_ + "/authkey"});
  if (key.exit_code != 0) {
    setup_error_ = "quorate keygen failed: " + key.err;
    return false;
  }
  for (int i = 1; i <= size(); ++i) {
    std::error_code ec;
    fs::create_directories(node_dir(i), ec);
    if (ec) return false;
  }
  return true;
}

bool TestCluster::start(int i, std::string* why, Millis timeout) {
  std::vector<std::string> argv = spec_.nodes[static_cast<size_t>(i - 1)].prefix;
  for (const std::string& a :
       {bin("quorated"), std::string("--config"), config_path(), std::string("--node"),
        std::to_string(i), std::string("--state-dir"), state_dir(i), std::string("--run-dir"),
        node_dir(i) + "/run", std::string("--foreground"), std::string("--debug")}) {
    argv.push_back(a);
  }
  for (const auto& a : spec_.nodes[static_cast<size_t>(i - 1)].extra_args) argv.push_back(a);
  std::string error;
  const pid_t pid = processes_.spawn(argv, output_path(i), &error);
  if (pid < 0) {
    *why = error;
    return false;
  }
  pids_[static_cast<size_t>(i)] = pid;
  bool exited = false;
  const bool up = wait_until(
      [&] {
        if (!processes_.running(pid)) {
          exited = true;
          return true;
        }
        return ping(i);
      },
      timeout);
  if (exited || !up) {
    *why = fmt::format("node{} {} (output in {}):\n{}", i,
                       exited ? "exited" : "does not answer on IPC", output_path(i), log_tail(i));
    return false;
  }
  return true;
}

bool TestCluster::start_all(std::string* why) {
  for (int i = 1; i <= size(); ++i) {
    if (!start(i, why)) return false;
  }
  return true;
}

pid_t TestCluster::pid(int i) const { return pids_[static_cast<size_t>(i)]; }

bool TestCluster::signal(int i, int sig) { return processes_.signal(pid(i), sig); }

std::optional<int> TestCluster::wait_exit(int i, Millis timeout) {
  auto st = processes_.wait_exit(pid(i), timeout);
  if (st) pids_[static_cast<size_t>(i)] = -1;
  return st;
}

bool TestCluster::running(int i) { return pid(i) > 0 && processes_.running(pid(i)); }

bool TestCluster::ping(int i) const {
  ipc::Request r;
  r.mutable_ping();
  auto resp = cli::ipc_call(socket_path(i), r, 2000ms);
  return resp.ok() && resp->error().empty() && resp->has_pong();
}

std::optional<ipc::QuorumStatus> TestCluster::quorum(int i) const {
  ipc::Request r;
  r.mutable_quorum_status();
  auto resp = cli::ipc_call(socket_path(i), r, 2000ms);
  if (!resp.ok() || !resp->error().empty() || !resp->has_quorum_status()) return std::nullopt;
  return resp->quorum_status();
}

std::optional<ipc::RingStatus> TestCluster::ring(int i) const {
  ipc::Request r;
  r.mutable_ring_status();
  auto resp = cli::ipc_call(socket_path(i), r, 2000ms);
  if (!resp.ok() || !resp->error().empty() || !resp->has_ring_status()) return std::nullopt;
  return resp->ring_status();
}

std::string TestCluster::describe(const std::vector<int>& group) const {
  std::string out;
  for (int i : group) {
    const auto q = quorum(i);
    if (!q) {
      out += fmt::format("  node{}: no answer\n", i);
      continue;
    }
    std::string members;
    for (const auto& m : q->members()) members += fmt::format(" {}", m.nodeid());
    out += fmt::format("  node{}: ring {} members [{} ] {}\n", i,
                       cli::format_ring_id(q->ring_rep(), q->ring_seq()), members,
                       q->quorate() ? "quorate" : "not quorate");
  }
  return out;
}

::testing::AssertionResult TestCluster::wait_ring(const std::vector<int>& group, bool quorate,
                                                  Millis timeout) {
  std::vector<uint32_t> want;
  for (int i : group) want.push_back(static_cast<uint32_t>(i));
  const bool ok = wait_until(
      [&] {
        std::optional<std::pair<uint32_t, uint64_t>> ring;
        for (int i : group) {
          const auto q = quorum(i);
          if (!q || q->quorate() != quorate) return false;
          std::vector<uint32_t> members;
          for (const auto& m : q->members()) members.push_back(m.nodeid());
          if (members != want) return false;
          const std::pair<uint32_t, uint64_t> r{q->ring_rep(), q->ring_seq()};
          if (ring && *ring != r) return false;
          ring = r;
        }
        return true;
      },
      timeout, 100ms);
  if (ok) return ::testing::AssertionSuccess();
  std::string logs;
  for (int i : group) logs += fmt::format("--- node{} log tail:\n{}", i, log_tail(i, 15));
  return ::testing::AssertionFailure() << fmt::format(
             "nodes {} did not agree on one {} ring of exactly those members within "
             "{} ms; now:\n{}{}",
             fmt::join(group, ","), quorate ? "quorate" : "non-quorate", timeout.count(),
             describe(group), logs);
}

std::string TestCluster::log_tail(int i, size_t lines) const {
  const std::string text = read_file(output_path(i));
  std::deque<std::string> tail;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& l : tail) out += l + "\n";
  return out;
}

}  // namespace quorate::itest
