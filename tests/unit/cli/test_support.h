// Shared fixtures for the cli tests: sample statuses, a fake daemon behind
// ToolEnv, and golden-file comparison (set QUORATE_UPDATE_GOLDEN=1 to rewrite
// the files under tests/unit/cli/golden/, then review the diff).
#pragma once

#include <gtest/gtest.h>

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <system_error>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cli/tool_env.h"
#include "proto/ipc.pb.h"

namespace quorate::cli::testing {

// Wed Jun  5 11:21:49 2024 UTC
inline constexpr int64_t kSampleNowMs = 1717586509000;

inline ipc::QuorumStatus three_node_quorate() {
  ipc::QuorumStatus s;
  s.set_provider("corosync_votequorum");
  s.set_cluster_name("local");
  s.set_local_nodeid(1);
  s.set_ring_rep(1);
  s.set_ring_seq(0x1c);
  s.set_quorate(true);
  s.set_expected_votes(3);
  s.set_highest_expected(3);
  s.set_total_votes(3);
  s.set_quorum(2);
  s.add_flags("Quorate");
  s.set_now_unix_ms(kSampleNowMs);
  // Deliberately not in address order: the renderer sorts.
  for (uint32_t id : {2u, 1u, 3u}) {
    auto* m = s.add_members();
    m->set_nodeid(id);
    m->set_votes(1);
    m->set_expected_votes(3);
    m->set_name("node" + std::to_string(id));
    m->set_address("127.0.0." + std::to_string(id));
    m->set_local(id == 1);
  }
  return s;
}

inline ipc::QuorumStatus partitioned_not_quorate() {
  ipc::QuorumStatus s = three_node_quorate();
  s.set_local_nodeid(3);
  s.set_ring_rep(3);
  s.set_ring_seq(0x2a);
  s.set_quorate(false);
  s.set_total_votes(1);
  s.clear_flags();
  s.clear_members();
  auto* m = s.add_members();
  m->set_nodeid(3);
  m->set_votes(1);
  m->set_expected_votes(3);
  m->set_name("node3");
  m->set_address("127.0.0.3");
  m->set_local(true);
  return s;
}

inline ipc::QuorumStatus two_node_wait_for_all() {
  ipc::QuorumStatus s;
  s.set_provider("corosync_votequorum");
  s.set_local_nodeid(2);
  s.set_ring_rep(1);
  s.set_ring_seq(0x10);
  s.set_quorate(true);
  s.set_expected_votes(2);
  s.set_highest_expected(2);
  s.set_total_votes(2);
  s.set_quorum(1);
  for (const char* f : {"2Node", "Quorate", "WaitForAll"}) s.add_flags(f);
  s.set_now_unix_ms(kSampleNowMs);
  const char* names[] = {"hadb01", "hadb02"};
  for (uint32_t id : {1u, 2u}) {
    auto* m = s.add_members();
    m->set_nodeid(id);
    m->set_votes(1);
    m->set_expected_votes(2);
    m->set_name(names[id - 1]);
    m->set_address("10.1.0." + std::to_string(10 + id));
    m->set_local(id == 2);
  }
  return s;
}

inline ipc::RingStatus three_node_ring(bool node3_connected) {
  ipc::RingStatus r;
  r.set_local_nodeid(1);
  r.set_transport("udpu");
  r.set_local_address("127.0.0.1");
  r.set_state("operational");
  r.set_ring_rep(1);
  r.set_ring_seq(0x1c);
  for (uint32_t id : {3u, 1u, 2u}) {
    auto* p = r.add_peers();
    p->set_nodeid(id);
    p->set_address("127.0.0." + std::to_string(id));
    p->set_local(id == 1);
    p->set_connected(id != 3 || node3_connected);
  }
  (*r.mutable_counters())["packets_rx"] = 1200;
  (*r.mutable_counters())["packets_tx"] = 1100;
  (*r.mutable_counters())["auth_failed"] = 0;
  return r;
}

// A ToolEnv whose daemon is a function; records the socket paths and requests.
class FakeDaemon {
 public:
  std::function<Result<ipc::Response>(const ipc::Request&, IpcFailure*)> respond;
  std::vector<std::string> sockets;
  std::vector<ipc::Request> requests;
  std::ostringstream out, err;
  std::optional<std::string> socket_env;

  ToolEnv env() {
    return ToolEnv{out,
                   err,
                   [this](const std::string& path, const ipc::Request& req, IpcFailure* failure) {
                     sockets.push_back(path);
                     requests.push_back(req);
                     return respond(req, failure);
                   },
                   socket_env,
                   [] { return kSampleNowMs; },
                   [](std::chrono::milliseconds) {},
                   "/opt/quorate/bin/quorate",
                   nullptr,
                   false,
                   {}};
  }

  // Answers like a daemon in `status` that accepts every change.
  void serve(const ipc::QuorumStatus& status, const ipc::RingStatus& ring) {
    respond = [status, ring](const ipc::Request& req, IpcFailure*) -> Result<ipc::Response> {
      ipc::Response r;
      r.set_id(req.id());
      if (req.has_quorum_status()) *r.mutable_quorum_status() = status;
      if (req.has_ring_status()) *r.mutable_ring_status() = ring;
      if (req.has_ping()) r.mutable_pong()->set_local_nodeid(status.local_nodeid());
      if (req.has_set_expected_votes() || req.has_set_votes() || req.has_leave()) r.mutable_done();
      return r;
    };
  }

  void down() {
    respond = [](const ipc::Request&, IpcFailure* failure) -> Result<ipc::Response> {
      const std::string msg =
          "cannot connect to /run/quorate/quorated.sock: No such file or directory";
      if (failure != nullptr) *failure = IpcFailure{msg, true};
      return Error{msg};
    };
  }
};

inline std::string golden_path(const std::string& name) {
  return std::string(QUORATE_SOURCE_DIR) + "/tests/unit/cli/golden/" + name;
}

inline void expect_golden(const std::string& name, const std::string& actual) {
  const std::string path = golden_path(name);
  if (const char* update = std::getenv("QUORATE_UPDATE_GOLDEN");
      update != nullptr && *update == '1') {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in.good()) << "missing golden file " << path
                         << " (run with QUORATE_UPDATE_GOLDEN=1 to create it)";
  std::stringstream expected;
  expected << in.rdbuf();
  EXPECT_EQ(actual, expected.str())
      << "golden file " << path << " differs (QUORATE_UPDATE_GOLDEN=1 rewrites it)";
}

// A directory of its own under the temp directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "drbdadm_test.XXXXXX").string();
    char* made = ::mkdtemp(tmpl.data());
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace quorate::cli::testing
