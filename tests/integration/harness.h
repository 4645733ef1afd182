// Integration-test harness: real quorated processes on real sockets.
//
//   ProcessSet   starts processes with fork/exec (output to a file, killed
//                with SIGKILL should the test process die: PR_SET_PDEATHSIG)
//                and ends every one it started, by pid, when destroyed
//                (SIGTERM, then SIGKILL after a grace period).
//   run_command  runs a tool to completion with a deadline, capturing stdout
//                and stderr and the exit code.
//   TestCluster  one cluster: a temporary directory with cluster.conf, an
//                authkey (written by `quorate keygen`), and per node its
//                state and run directories and output file; starts and
//                signals nodes; reads their quorum and ring status over IPC;
//                waits (by polling with a deadline, never a bare sleep) until
//                a group of nodes agrees on one ring.
//
// Nodes are numbered 1..N (their nodeid). A node's command may be prefixed
// (e.g. `ip netns exec NS`) to run it elsewhere. Everything here is
// single-threaded, like GoogleTest's test bodies.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proto/ipc.pb.h"

namespace quorate::itest {

using namespace std::chrono_literals;
using Millis = std::chrono::milliseconds;

// build/bin: quorated, quorate and the compatibility links.
std::string bin_dir();
std::string bin(const std::string& name);

class ProcessSet {
 public:
  ProcessSet() = default;
  ~ProcessSet() { stop_all(); }
  ProcessSet(const ProcessSet&) = delete;
  ProcessSet& operator=(const ProcessSet&) = delete;

  // Starts argv[0] (a path) with stdout and stderr appended to output_path.
  // Returns the pid, or -1 (with `error` set) when fork failed.
  pid_t spawn(const std::vector<std::string>& argv, const std::string& output_path,
              std::string* error);
  bool signal(pid_t pid, int sig);
  // Waits for the process to end; its wait status, or nullopt at the deadline.
  std::optional<int> wait_exit(pid_t pid, Millis timeout);
  bool running(pid_t pid);
  // SIGTERM to every process still running, SIGKILL to those still there
  // after `grace`, and reaps them all.
  void stop_all(Millis grace = 5000ms);

 private:
  std::set<pid_t> live_;
};

struct CommandResult {
  int exit_code = -1;  // -1: did not exit normally (signal or deadline)
  std::string out;
  std::string err;
};
CommandResult run_command(const std::vector<std::string>& argv, Millis timeout = 20000ms);

// Polls `condition` every `interval` until it holds or `timeout` passes.
bool wait_until(const std::function<bool()>& condition, Millis timeout, Millis interval = 50ms);

struct NodeSpec {
  std::string address;              // ring0_addr
  std::vector<std::string> prefix;  // prepended to the quorated command line
  std::vector<std::string> extra_args;  // appended to it
};

struct ClusterSpec {
  std::vector<NodeSpec> nodes;
  uint16_t port = 0;  // 0: pick a free one on the nodes' addresses
  uint32_t token_ms = 500;
  uint32_t token_coefficient_ms = 100;
  std::string cluster_name = "itest";
  std::string quorum_extra;  // more lines for the quorum {} section
};

// Nodes on 127.0.0.1 .. 127.0.0.N.
ClusterSpec loopback_spec(int nodes);

class TestCluster {
 public:
  explicit TestCluster(ClusterSpec spec);
  ~TestCluster();
  TestCluster(const TestCluster&) = delete;
  TestCluster& operator=(const TestCluster&) = delete;

  // False when setting up the files failed (see setup_error()).
  bool ok() const { return setup_error_.empty(); }
  const std::string& setup_error() const { return setup_error_; }

  int size() const { return static_cast<int>(spec_.nodes.size()); }
  uint16_t port() const { return spec_.port; }
  const std::string& dir() const { return dir_; }
  std::string config_path() const { return dir_ + "/cluster.conf"; }
  std::string node_dir(int i) const;
  std::string socket_path(int i) const { return node_dir(i) + "/run/quorated.sock"; }
  std::string state_dir(int i) const { return node_dir(i) + "/state"; }
  std::string output_path(int i) const { return node_dir(i) + "/quorated.out"; }

  // Starts node i (in the foreground, --debug) and waits until it answers a
  // ping. Returns false (with a message in *why) if it exits or does not
  // answer within the deadline.
  bool start(int i, std::string* why, Millis timeout = 10000ms);
  bool start_all(std::string* why);
  pid_t pid(int i) const;
  bool signal(int i, int sig);
  // Wait status of node i once it ended (and forgets its pid).
  std::optional<int> wait_exit(int i, Millis timeout);
  bool running(int i);

  std::optional<ipc::QuorumStatus> quorum(int i) const;
  std::optional<ipc::RingStatus> ring(int i) const;
  bool ping(int i) const;

  // Waits until every node of `group` reports, in its quorum status, the same
  // ring whose members are exactly `group`, with quorate == `quorate`.
  ::testing::AssertionResult wait_ring(const std::vector<int>& group, bool quorate,
                                       Millis timeout = 20000ms);
  // One line per node of `group`: what it reports now.
  std::string describe(const std::vector<int>& group) const;
  std::string log_tail(int i, size_t lines = 30) const;

 private:
  bool write_files();

  ClusterSpec spec_;
  std::string dir_;
  std::string setup_error_;
  ProcessSet processes_;
  std::vector<pid_t> pids_;  // by node index (1-based; [0] unused)
};

std::vector<int> range(int from, int to);  // [from, to]

}  // namespace quorate::itest
