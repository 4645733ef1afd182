// `quorate cluster`: the cluster file `up` writes (golden, and it must load
// with the real config parser), and the argument checks that need no daemon.
#include "cli/cluster.h"

#include <gtest/gtest.h>

#include "cli/tools.h"
#include "membership/cluster_config.h"
#include "test_support.h"

namespace quorate::cli {
namespace {

LocalClusterLayout sample_layout() {
  LocalClusterLayout l;
  l.dir = "/tmp/quorate-local";
  l.nodes = 3;
  l.port = 5405;
  return l;
}

TEST(LocalCluster, ConfigFile) {
  testing::expect_golden("cluster-up.conf", local_cluster_conf(sample_layout()));
}

TEST(LocalCluster, ConfigFileLoads) {
  for (int nodes : {1, 2, 3, 32}) {
    LocalClusterLayout l = sample_layout();
    l.nodes = nodes;
    l.port = 6000;
    std::vector<std::string> warnings;
    auto cfg = membership::parse_cluster_config(local_cluster_conf(l), l.config_path(), &warnings);
    ASSERT_TRUE(cfg.ok()) << cfg.error().message;
    EXPECT_TRUE(warnings.empty()) << warnings.front();
    EXPECT_EQ(cfg->cluster_name, "local");
    EXPECT_EQ(cfg->transport, "udpu");
    EXPECT_EQ(cfg->port, 6000);
    EXPECT_EQ(cfg->crypto_cipher, membership::CipherAlg::kAes256);
    EXPECT_EQ(cfg->crypto_hash, membership::HashAlg::kSha256);
    EXPECT_EQ(cfg->keyfile, "/tmp/quorate-local/authkey");
    EXPECT_EQ(cfg->timers.token_ms, 1000u);
    EXPECT_EQ(cfg->quorum.provider, "corosync_votequorum");
    ASSERT_EQ(cfg->nodes.size(), static_cast<size_t>(nodes));
    EXPECT_EQ(cfg->nodes.back().name, "node" + std::to_string(nodes));
    EXPECT_EQ(cfg->nodes.back().ring0_addr, "127.0.0." + std::to_string(nodes));
    EXPECT_EQ(cfg->nodes.back().nodeid, static_cast<uint32_t>(nodes));
  }
}

TEST(LocalCluster, Paths) {
  const LocalClusterLayout l = sample_layout();
  EXPECT_EQ(l.socket_path(2), "/tmp/quorate-local/node2/run/quorated.sock");
  EXPECT_EQ(l.pid_path(1), "/tmp/quorate-local/node1/pid");
  EXPECT_EQ(l.state_dir(3), "/tmp/quorate-local/node3/state");
}

TEST(LocalCluster, ArgumentErrors) {
  testing::FakeDaemon d;
  d.down();
  ToolEnv env = d.env();
  EXPECT_EQ(cluster_main({"up", "--nodes", "0"}, env), 1);
  EXPECT_EQ(cluster_main({"up", "--nodes", "33"}, env), 1);
  EXPECT_EQ(cluster_main({"sideways"}, env), 1);
  EXPECT_EQ(cluster_main({}, env), 1);
  // No cluster there: status says so, down is a no-op.
  EXPECT_EQ(cluster_main({"status", "--dir", "/nonexistent-quorate-dir"}, env), 1);
  EXPECT_NE(d.err.str().find("no local cluster in /nonexistent-quorate-dir"), std::string::npos);
  EXPECT_EQ(cluster_main({"down", "--dir", "/nonexistent-quorate-dir"}, env), 0);
  // Without a quorated beside the tool, up refuses before writing anything.
  EXPECT_EQ(
      cluster_main({"up", "--dir", "/nonexistent-quorate-dir", "--bin", "/nonexistent-bin"}, env),
      1);
  EXPECT_NE(d.err.str().find("cannot run /nonexistent-bin/quorated"), std::string::npos);
}

}  // namespace
}  // namespace quorate::cli
