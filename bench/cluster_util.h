// A local cluster of real quorated processes on 127.0.0.1..N for the bench
// programs: the same layout and cluster file as `quorate cluster up`
// (cli/cluster.h), with the token timeout substituted, every daemon our own
// child, and every one ended by its pid.
#pragma once

#include <fmt/format.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>

#include "bench/bench_util.h"
#include "cli/cluster.h"
#include "cli/ipc_client.h"
#include "common/crypto.h"
#include "membership/cluster_config.h"

namespace quorate::bench {

class LocalCluster {
 public:
  LocalCluster(std::string bin_dir, std::string dir, int nodes, uint16_t port, uint32_t token_ms)
      : bin_dir_(std::move(bin_dir)), token_ms_(token_ms) {
    layout_.dir = std::move(dir);
    layout_.nodes = nodes;
    layout_.port = port;
  }
  LocalCluster(const LocalCluster&) = delete;
  LocalCluster& operator=(const LocalCluster&) = delete;
  ~LocalCluster() { stop_all(); }

  const cli::LocalClusterLayout& layout() const { return layout_; }

  // Writes the directory, key and cluster file; returns the parsed config.
  std::optional<membership::ClusterConfig> prepare(std::string* error) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::remove_all(layout_.dir, ec);
    for (int i = 1; i <= layout_.nodes; ++i) {
      fs::create_directories(layout_.state_dir(i), ec);
      fs::create_directories(layout_.run_dir(i), ec);
    }
    std::string conf = cli::local_cluster_conf(layout_);
    const std::string from = "  token: 1000\n";
    const auto at = conf.find(from);
    if (at == std::string::npos) {
      *error = "cluster file text has no 'token: 1000' line to substitute";
      return std::nullopt;
    }
    conf.replace(at, from.size(), fmt::format("  token: {}\n", token_ms_));
    if (!write_text(layout_.config_path(), conf)) {
      *error = "cannot write " + layout_.config_path();
      return std::nullopt;
    }
    if (Status s = crypto::write_authkey(layout_.authkey_path(), crypto::kAuthkeyDefaultBytes);
        !s.ok()) {
      *error = s.error().message;
      return std::nullopt;
    }
    std::vector<std::string> warnings;
    auto cfg = membership::load_cluster_config(layout_.config_path(), &warnings);
    if (!cfg.ok()) {
      *error = cfg.error().message;
      return std::nullopt;
    }
    return std::move(cfg).value();
  }

  bool start(int i) {
    auto pid = spawn(bin_dir_ + "/quorated",
                     {"--config", layout_.config_path(), "--node", std::to_string(i), "--state-dir",
                      layout_.state_dir(i), "--run-dir", layout_.run_dir(i), "--foreground"},
                     layout_.output_path(i));
    if (!pid) return false;
    pids_[i] = *pid;
    return true;
  }

  std::optional<pid_t> pid(int i) const {
    auto it = pids_.find(i);
    if (it == pids_.end()) return std::nullopt;
    return it->second;
  }

  // kill -9 of node i; returns the time the signal was sent.
  Clock::time_point kill9(int i) {
    const auto t = Clock::now();
    if (auto p = pid(i)) {
      ::kill(*p, SIGKILL);
      poll_until([&] { return reaped(*p); }, std::chrono::milliseconds(2000),
                 std::chrono::milliseconds(1));
      pids_.erase(i);
    }
    return t;
  }

  void stop_all() {
    for (const auto& [i, p] : pids_) ::kill(p, SIGTERM);
    for (const auto& [i, p] : pids_) end_child(p);
    pids_.clear();
  }

  // True when any started node exited on its own (sets *which).
  bool any_exited(int* which) {
    for (const auto& [i, p] : pids_) {
      if (reaped(p)) {
        *which = i;
        pids_.erase(i);
        return true;
      }
    }
    return false;
  }

  std::optional<ipc::QuorumStatus> quorum(
      int i, std::chrono::milliseconds timeout = std::chrono::milliseconds(500)) const {
    ipc::Request req;
    req.mutable_quorum_status();
    auto r = cli::ipc_call(layout_.socket_path(i), req, timeout);
    if (!r.ok() || !r->error().empty() || !r->has_quorum_status()) return std::nullopt;
    return r->quorum_status();
  }

  // True when every node in `nodes` reports a quorate ring of exactly `members`.
  bool all_see(const std::vector<int>& nodes, int members) const {
    for (int i : nodes) {
      auto q = quorum(i);
      if (!q || !q->quorate() || q->members_size() != members) return false;
    }
    return true;
  }

  std::string describe(const std::vector<int>& nodes) const {
    std::string s;
    for (int i : nodes) {
      auto q = quorum(i);
      if (!q) {
        s += fmt::format(" node{}: no answer;", i);
      } else {
        s += fmt::format(" node{}: {} members, ring {}.{:x}, {};", i, q->members_size(),
                         q->ring_rep(), q->ring_seq(), q->quorate() ? "quorate" : "not quorate");
      }
    }
    return s;
  }

 private:
  std::string bin_dir_;
  uint32_t token_ms_;
  cli::LocalClusterLayout layout_;
  std::map<int, pid_t> pids_;
};

// Directory of the running executable (the build's bin/ holds quorated too).
inline std::string self_dir() {
  std::error_code ec;
  auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string(".") : p.parent_path().string();
}

}  // namespace quorate::bench
