// `quorate cluster up|down|status`: a local playground cluster of N quorated
// processes on 127.0.0.1 ... 127.0.0.N, all under one directory:
//
//   DIR/cluster.conf            shared cluster file (udpu, aes256/sha256, token 1000)
//   DIR/authkey                 shared key (mode 0400)
//   DIR/nodeI/state, run        node I's --state-dir and --run-dir
//   DIR/nodeI/run/quorated.sock node I's IPC socket
//   DIR/nodeI/pid               pid of node I's quorated
//   DIR/nodeI/quorated.out      its stdout and stderr (quorated logs to stderr here)
//
// The pure part (the cluster file's text) is exposed for tests.
#pragma once

#include <cstdint>
#include <string>

namespace quorate::cli {

inline constexpr int kLocalClusterMaxNodes = 32;

struct LocalClusterLayout {
  std::string dir;  // absolute
  int nodes = 3;
  uint16_t port = 5405;

  std::string config_path() const { return dir + "/cluster.conf"; }
  std::string authkey_path() const { return dir + "/authkey"; }
  std::string node_dir(int i) const { return dir + "/node" + std::to_string(i); }
  std::string state_dir(int i) const { return node_dir(i) + "/state"; }
  std::string run_dir(int i) const { return node_dir(i) + "/run"; }
  std::string socket_path(int i) const { return run_dir(i) + "/quorated.sock"; }
  std::string pid_path(int i) const { return node_dir(i) + "/pid"; }
  std::string output_path(int i) const { return node_dir(i) + "/quorated.out"; }
};

// The cluster file `up` writes (Corosync syntax).
std::string local_cluster_conf(const LocalClusterLayout& layout);

}  // namespace quorate::cli
