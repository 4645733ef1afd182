// Tests of membership/cluster_config: the example files, every default, the
// effective timers, and the exact errors and warnings for invalid files.
#include "membership/cluster_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quorate::membership {
namespace {

// A valid file with `nodes` nodes 10.0.0.1.. (nodeid 1..), plus extra lines.
std::string conf(std::string_view totem_extra = "", int nodes = 2, std::string_view quorum = "",
                 std::string_view tail = "") {
  std::string s = "totem {\n  version: 2\n";
  s += totem_extra;
  s += "}\nnodelist {\n";
  for (int i = 1; i <= nodes; ++i) {
    s += "  node {\n    ring0_addr: 10.0.0." + std::to_string(i) +
         "\n    nodeid: " + std::to_string(i) + "\n  }\n";
  }
  s += "}\n";
  if (!quorum.empty())
    s += "quorum {\n  provider: corosync_votequorum\n" + std::string(quorum) + "}\n";
  s += tail;
  return s;
}

struct Loaded {
  Result<ClusterConfig> config;
  std::vector<std::string> warnings;
};

Loaded load(const std::string& text) {
  std::vector<std::string> warnings;
  Result<ClusterConfig> r = parse_cluster_config(text, "t.conf", &warnings);
  return {std::move(r), std::move(warnings)};
}

ClusterConfig load_ok(const std::string& text, std::vector<std::string>* warnings = nullptr) {
  Loaded l = load(text);
  EXPECT_TRUE(l.config.ok()) << l.config.error().message << "\n" << text;
  if (warnings) *warnings = l.warnings;
  return l.config.ok() ? std::move(l.config).value() : ClusterConfig{};
}

std::string error_of(const std::string& text) {
  Loaded l = load(text);
  return l.config.ok() ? "(loaded)" : l.config.error().message;
}

std::string example(const char* name) {
  return std::string(QUORATE_SOURCE_DIR) + "/packaging/examples/" + name;
}

// ---- the example files -------------------------------------------------------

TEST(ClusterConfig, AzureReferenceDeploymentLoadsUnchanged) {
  std::vector<std::string> warnings;
  Result<ClusterConfig> r = load_cluster_config(example("corosync-azure.conf"), &warnings);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  const ClusterConfig& c = r.value();
  EXPECT_EQ(c.source, example("corosync-azure.conf"));
  EXPECT_EQ(c.version, 2u);
  EXPECT_EQ(c.transport, "udpu");
  EXPECT_EQ(c.port, 5405);
  EXPECT_EQ(c.crypto_cipher, CipherAlg::kNone);
  EXPECT_EQ(c.crypto_hash, HashAlg::kNone);
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_EQ(c.nodes[0].nodeid, 1u);
  EXPECT_EQ(c.nodes[0].ring0_addr, "10.1.0.11");
  EXPECT_EQ(c.nodes[0].name, "");
  EXPECT_EQ(c.nodes[1].nodeid, 2u);
  EXPECT_EQ(c.nodes[1].ring0_addr, "10.1.0.12");
  EXPECT_EQ(c.quorum.provider, "corosync_votequorum");
  EXPECT_FALSE(c.quorum.two_node);
  EXPECT_FALSE(c.quorum.wait_for_all_effective());
  EXPECT_FALSE(c.logging.fileline);
  EXPECT_TRUE(c.logging.to_logfile);
  EXPECT_TRUE(c.logging.to_syslog);
  EXPECT_EQ(c.logging.logfile, "/var/log/corosync/corosync.log");
  EXPECT_FALSE(c.logging.debug);
  EXPECT_TRUE(c.logging.timestamp);
  EXPECT_FALSE(c.logging.timestamp_hires);
  ASSERT_EQ(c.logging.subsystems.size(), 1u);
  EXPECT_EQ(c.logging.subsystems[0].subsys, "QUORUM");
  EXPECT_EQ(c.logging.subsystems[0].debug, std::optional<bool>(false));
  // bindnetaddr and ttl are accepted and ignored, with a debug-level note.
  ASSERT_EQ(c.notes.size(), 2u);
  EXPECT_NE(c.notes[0].find(":18:5: bindnetaddr is ignored"), std::string::npos) << c.notes[0];
  EXPECT_NE(c.notes[1].find(":20:5: ttl is ignored"), std::string::npos) << c.notes[1];
  EXPECT_EQ(c.find_node_by_name("10.1.0.12"), &c.nodes[1]);
}

TEST(ClusterConfig, ThreeNodeExampleLoadsWithoutWarnings) {
  std::vector<std::string> warnings;
  Result<ClusterConfig> r = load_cluster_config(example("cluster.conf"), &warnings);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  const ClusterConfig& c = r.value();
  EXPECT_EQ(c.cluster_name, "shop");
  EXPECT_EQ(c.crypto_cipher, CipherAlg::kAes256);
  EXPECT_EQ(c.crypto_hash, HashAlg::kSha256);
  ASSERT_EQ(c.nodes.size(), 3u);
  EXPECT_EQ(c.find_node_by_name("gamma"), &c.nodes[2]);
  EXPECT_EQ(c.find_node(2)->name, "beta");
  EXPECT_EQ(c.find_node(4), nullptr);
  EXPECT_EQ(c.find_node_by_name("delta"), nullptr);
  EXPECT_TRUE(c.quorum.wait_for_all_effective());
  EXPECT_EQ(effective_timers(c.timers, c.nodes.size()).consensus_ms, 4380u);
}

TEST(ClusterConfig, MissingFile) {
  std::vector<std::string> warnings;
  Result<ClusterConfig> r = load_cluster_config("/nonexistent/cluster.conf", &warnings);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "/nonexistent/cluster.conf: cannot open: No such file or directory");
}

// ---- defaults ------------------------------------------------------------------

TEST(ClusterConfig, EveryDefault) {
  std::vector<std::string> warnings;
  ClusterConfig c = load_ok(conf(), &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(c.notes.empty());
  EXPECT_EQ(c.source, "t.conf");
  EXPECT_EQ(c.version, 2u);
  EXPECT_EQ(c.cluster_name, "");
  EXPECT_EQ(c.transport, "udpu");
  EXPECT_EQ(c.port, 5405);  // totemconfig.c DEFAULT_PORT
  EXPECT_EQ(c.crypto_cipher, CipherAlg::kNone);
  EXPECT_EQ(c.crypto_hash, HashAlg::kNone);
  EXPECT_EQ(c.keyfile, "/etc/quorate/authkey");
  // totemconfig.c of Corosync 3.1+ (token 3000 since corosync PR #600).
  const TotemTimers& t = c.timers;
  EXPECT_EQ(t.token_ms, 3000u);
  EXPECT_EQ(t.token_coefficient_ms, 650u);
  EXPECT_EQ(t.token_retransmits_before_loss_const, 4u);
  EXPECT_FALSE(t.token_retransmit_ms);
  EXPECT_FALSE(t.hold_ms);
  EXPECT_FALSE(t.consensus_ms);
  EXPECT_EQ(t.join_ms, 50u);
  EXPECT_EQ(t.send_join_ms, 0u);
  EXPECT_EQ(t.merge_ms, 200u);
  EXPECT_EQ(t.downcheck_ms, 1000u);
  EXPECT_EQ(t.fail_recv_const, 2500u);
  EXPECT_EQ(t.seqno_unchanged_const, 30u);
  EXPECT_EQ(t.window_size, 50u);
  EXPECT_EQ(t.max_messages, 17u);
  EXPECT_EQ(t.miss_count_const, 5u);
  // No quorum section: no quorum provider.
  const QuorumConfig& q = c.quorum;
  EXPECT_EQ(q.provider, "");
  EXPECT_FALSE(q.expected_votes);
  EXPECT_FALSE(q.two_node);
  EXPECT_FALSE(q.wait_for_all);
  EXPECT_FALSE(q.last_man_standing);
  EXPECT_EQ(q.last_man_standing_window_ms, 10000u);  // votequorum.c DEFAULT_LMS_WIN
  EXPECT_FALSE(q.auto_tie_breaker);
  EXPECT_EQ(q.auto_tie_breaker_node, TieBreaker::kLowest);
  EXPECT_FALSE(q.allow_downscale);
  // logconfig.c: stderr and syslog on, no log file, debug off; hires
  // timestamps are Corosync 3's default.
  const LoggingConfig& l = c.logging;
  EXPECT_TRUE(l.to_stderr);
  EXPECT_FALSE(l.to_logfile);
  EXPECT_TRUE(l.to_syslog);
  EXPECT_EQ(l.logfile, "");
  EXPECT_FALSE(l.debug);
  EXPECT_FALSE(l.debug_trace);
  EXPECT_TRUE(l.timestamp);
  EXPECT_TRUE(l.timestamp_hires);
  EXPECT_FALSE(l.fileline);
  EXPECT_FALSE(l.function_name);
  EXPECT_EQ(l.syslog_facility, "daemon");
  EXPECT_TRUE(l.subsystems.empty());
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_EQ(c.nodes[0].quorum_votes, 1u);
  EXPECT_EQ(c.nodes[0].origin, "t.conf:5");
}

TEST(ClusterConfig, DescribeEffective) {
  ClusterConfig c = load_ok(conf("", 2, "  two_node: 1\n"));
  EXPECT_EQ(describe_effective(c),
            "totem.version: 2\n"
            "totem.transport: udpu\n"
            "totem.crypto_cipher: none\n"
            "totem.crypto_hash: none\n"
            "totem.interface.0.mcastport: 5405\n"
            "totem.token: 3000\n"
            "totem.token_coefficient: 650\n"
            "totem.token_retransmit: 714\n"
            "totem.hold: 561\n"
            "totem.token_retransmits_before_loss_const: 4\n"
            "totem.join: 50\n"
            "totem.send_join: 0\n"
            "totem.consensus: 3600\n"
            "totem.merge: 200\n"
            "totem.downcheck: 1000\n"
            "totem.fail_recv_const: 2500\n"
            "totem.seqno_unchanged_const: 30\n"
            "totem.window_size: 50\n"
            "totem.max_messages: 17\n"
            "totem.miss_count_const: 5\n"
            "nodelist.node.0.nodeid: 1\n"
            "nodelist.node.0.ring0_addr: 10.0.0.1\n"
            "nodelist.node.0.quorum_votes: 1\n"
            "nodelist.node.1.nodeid: 2\n"
            "nodelist.node.1.ring0_addr: 10.0.0.2\n"
            "nodelist.node.1.quorum_votes: 1\n"
            "quorum.provider: corosync_votequorum\n"
            "quorum.expected_votes: 2\n"
            "quorum.two_node: 1\n"
            "quorum.wait_for_all: 1\n"
            "quorum.last_man_standing: 0\n"
            "quorum.last_man_standing_window: 10000\n"
            "quorum.auto_tie_breaker: 0\n"
            "quorum.auto_tie_breaker_node: lowest\n"
            "quorum.allow_downscale: 0\n"
            "logging.to_stderr: yes\n"
            "logging.to_logfile: no\n"
            "logging.to_syslog: yes\n"
            "logging.debug: off\n"
            "logging.timestamp: hires\n"
            "logging.fileline: off\n"
            "logging.function_name: off\n"
            "logging.syslog_facility: daemon\n");
}

// ---- effective timers ----------------------------------------------------------

TEST(ClusterConfig, EffectiveTimersFollowTheNodeCount) {
  const TotemTimers defaults;
  struct Row {
    size_t nodes;
    uint32_t token, retransmit, hold, consensus;
  };
  // token + (nodes - 2) * 650; token / 4.2; retransmit * 0.8 - 10; 1.2 * token.
  for (const Row& row :
       {Row{1, 3000, 714, 561, 3600}, Row{2, 3000, 714, 561, 3600}, Row{3, 3650, 869, 685, 4380},
        Row{5, 4950, 1178, 932, 5940}, Row{32, 22500, 5357, 4275, 27000}}) {
    const EffectiveTimers e = effective_timers(defaults, row.nodes);
    EXPECT_EQ(e.token_ms, row.token) << row.nodes;
    EXPECT_EQ(e.token_retransmit_ms, row.retransmit) << row.nodes;
    EXPECT_EQ(e.hold_ms, row.hold) << row.nodes;
    EXPECT_EQ(e.consensus_ms, row.consensus) << row.nodes;
    EXPECT_EQ(e.join_ms, 50u);
    EXPECT_EQ(e.merge_ms, 200u);
    EXPECT_EQ(e.downcheck_ms, 1000u);
    EXPECT_EQ(e.fail_recv_const, 2500u);
    EXPECT_EQ(e.send_join_ms, 0u);
    EXPECT_EQ(e.window_size, 50u);
    EXPECT_EQ(e.max_messages, 17u);
    EXPECT_EQ(e.seqno_unchanged_const, 30u);
    EXPECT_EQ(e.miss_count_const, 5u);
  }
  // Corosync 2's 1000 ms token gives the man page's 238 / 180.
  TotemTimers old;
  old.token_ms = 1000;
  EXPECT_EQ(effective_timers(old, 2).token_retransmit_ms, 238u);
  EXPECT_EQ(effective_timers(old, 2).hold_ms, 180u);
}

TEST(ClusterConfig, ConfiguredTimersAndCoefficient) {
  ClusterConfig c =
      load_ok(conf("  token: 1000\n  token_coefficient: 100\n  token_retransmit: 200\n"
                   "  hold: 150\n  consensus: 5000\n  join: 60\n  send_join: 80\n"
                   "  merge: 300\n  downcheck: 2000\n  fail_recv_const: 100\n"
                   "  seqno_unchanged_const: 40\n  window_size: 60\n  max_messages: 20\n"
                   "  miss_count_const: 6\n  token_retransmits_before_loss_const: 10\n",
                   5));
  const EffectiveTimers e = effective_timers(c.timers, c.nodes.size());
  EXPECT_EQ(e.token_ms, 1300u);
  EXPECT_EQ(e.token_retransmit_ms, 200u);
  EXPECT_EQ(e.hold_ms, 150u);
  EXPECT_EQ(e.consensus_ms, 5000u);
  EXPECT_EQ(e.join_ms, 60u);
  EXPECT_EQ(e.send_join_ms, 80u);
  EXPECT_EQ(e.merge_ms, 300u);
  EXPECT_EQ(e.downcheck_ms, 2000u);
  EXPECT_EQ(e.fail_recv_const, 100u);
  EXPECT_EQ(e.seqno_unchanged_const, 40u);
  EXPECT_EQ(e.window_size, 60u);
  EXPECT_EQ(e.max_messages, 20u);
  EXPECT_EQ(e.miss_count_const, 6u);
  EXPECT_EQ(c.timers.token_retransmits_before_loss_const, 10u);
  // A coefficient of 0 switches the scaling off.
  ClusterConfig flat = load_ok(conf("  token_coefficient: 0\n", 5));
  EXPECT_EQ(effective_timers(flat.timers, 5).token_ms, 3000u);
  // Huge values saturate instead of wrapping.
  TotemTimers big;
  big.token_ms = 4000000000u;
  big.token_coefficient_ms = 4000000000u;
  EXPECT_EQ(effective_timers(big, 300).token_ms, 4294967295u);
  EXPECT_EQ(effective_timers(big, 300).consensus_ms, 4294967295u);
}

TEST(ClusterConfig, TimersBelowCorosyncsMinimumsAreErrors) {
  EXPECT_EQ(error_of(conf("  token: 20\n")),
            "t.conf:3:3: expected at least 30 ms for 'token' but found 20 ms");
  // 100 / 4.2 = 23: the derived retransmit timeout is too short.
  EXPECT_EQ(error_of(conf("  token: 100\n")),
            "t.conf:3:3: expected at least 30 ms for 'token_retransmit' but found 23 ms (derived "
            "from token)");
  EXPECT_EQ(error_of(conf("  hold: 10\n")),
            "t.conf:3:3: expected at least 14 ms for 'hold' but found 10 ms");
  EXPECT_EQ(
      error_of(conf("  join: 20\n")),
      "t.conf:3:9: expected a whole number of milliseconds from 30 to 4294967295 for 'join' but "
      "found '20'");
  EXPECT_EQ(error_of(conf("  join: 100\n  consensus: 80\n")),
            "t.conf:4:3: expected at least join (100 ms) for 'consensus' but found 80 ms");
  EXPECT_EQ(
      error_of(conf("  window_size: 0\n")),
      "t.conf:3:16: expected a whole number from 1 to 4294967295 for 'window_size' but found '0'");
}

TEST(ClusterConfig, ConsensusBelowOnePointTwoTokensIsAWarning) {
  std::vector<std::string> warnings;
  ClusterConfig c = load_ok(conf("  consensus: 3000\n", 3), &warnings);
  EXPECT_EQ(*c.timers.consensus_ms, 3000u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(
      warnings[0],
      "t.conf:3:3: consensus (3000 ms) is less than 1.2 * token (4380 ms); corosync.conf(5) asks "
      "for at least 1.2 * token, or leave consensus out to have it computed");
}

// ---- values --------------------------------------------------------------------

TEST(ClusterConfig, BadNumbers) {
  EXPECT_EQ(error_of(conf("  token: 3s\n")),
            "t.conf:3:10: expected a whole number of milliseconds from 1 to 4294967295 for 'token' "
            "but found '3s'");
  EXPECT_EQ(error_of(conf("  token: -1\n")),
            "t.conf:3:10: expected a whole number of milliseconds from 1 to 4294967295 for 'token' "
            "but found '-1'");
  EXPECT_EQ(error_of(conf("  token: 4294967296\n")),
            "t.conf:3:10: expected a whole number of milliseconds from 1 to 4294967295 for 'token' "
            "but found '4294967296'");
  EXPECT_EQ(error_of(conf("  token: 99999999999999999999999\n")),
            "t.conf:3:10: expected a whole number of milliseconds from 1 to 4294967295 for 'token' "
            "but found '99999999999999999999999'");
  EXPECT_EQ(error_of(conf("  token:\n")),
            "t.conf:3:9: expected a whole number of milliseconds from 1 to 4294967295 for 'token' "
            "but found an empty value");
  EXPECT_EQ(error_of(conf("  version: 3\n")),
            "t.conf:3:12: expected 2 for 'version' but found '3' "
            "(the only totem configuration version)");
}

TEST(ClusterConfig, BadEnumValues) {
  EXPECT_EQ(
      error_of(conf("  crypto_hash: sha3\n")),
      "t.conf:3:16: expected one of: none, sha1, sha256, sha384, sha512 for 'crypto_hash' but "
      "found 'sha3'");
  EXPECT_EQ(
      error_of(conf("  crypto_cipher: blowfish\n")),
      "t.conf:3:18: expected one of: none, aes256, aes192, aes128 for 'crypto_cipher' but found "
      "'blowfish'");
  EXPECT_EQ(
      error_of(conf("  crypto_hash: md5\n")),
      "t.conf:3:16: expected one of: none, sha1, sha256, sha384, sha512 for 'crypto_hash' but "
      "found 'md5' (Corosync accepts md5 but Quorate refuses it as too weak; use sha256)");
  EXPECT_EQ(error_of(conf("", 2, "", "logging {\n  debug: maybe\n}\n")),
            "t.conf:15:10: expected one of: on, off, trace for 'debug' but found 'maybe'");
  EXPECT_EQ(
      error_of(conf("", 2, "", "logging {\n  to_syslog: true\n}\n")),
      "t.conf:15:14: expected one of: yes, no, on, off, 1, 0 for 'to_syslog' but found 'true'");
  EXPECT_EQ(
      error_of(conf("", 2, "  two_node: 256\n")),
      "t.conf:16:13: expected 0 or 1 (or one of: yes, no, on, off) for 'two_node' but found '256'");
  EXPECT_EQ(error_of(conf("", 2, "", "logging {\n  syslog_facility: mars\n}\n")),
            "t.conf:15:20: expected a syslog facility (daemon, local0 to local7, user, ...) for "
            "'syslog_facility' but found 'mars'");
  EXPECT_EQ(error_of("quorum {\n  provider: corosync_quorum\n}\n" + conf()),
            "t.conf:2:13: expected one of: corosync_votequorum for 'provider' but found "
            "'corosync_quorum'");
}

TEST(ClusterConfig, Crypto) {
  EXPECT_EQ(
      error_of(conf("  crypto_cipher: aes256\n")),
      "t.conf:3:3: expected crypto_hash other than none because crypto_cipher is aes256 but found "
      "crypto_hash: none (Corosync: crypto_cipher requires crypto_hash with value other than "
      "none)");
  EXPECT_EQ(error_of(conf("  crypto_cipher: aes128\n  crypto_hash: none\n")).substr(0, 11),
            "t.conf:3:3:");
  ClusterConfig c = load_ok(conf("  crypto_hash: sha1\n"));  // authentication only
  EXPECT_EQ(c.crypto_cipher, CipherAlg::kNone);
  EXPECT_EQ(c.crypto_hash, HashAlg::kSha1);
  c = load_ok(conf("  crypto_cipher: aes192\n  crypto_hash: sha512\n  keyfile: /etc/k\n"));
  EXPECT_EQ(c.crypto_cipher, CipherAlg::kAes192);
  EXPECT_EQ(c.crypto_hash, HashAlg::kSha512);
  EXPECT_EQ(c.keyfile, "/etc/k");
  EXPECT_STREQ(to_string(HashAlg::kSha384), "sha384");
  EXPECT_STREQ(to_string(CipherAlg::kAes128), "aes128");
}

TEST(ClusterConfig, SecauthIsMappedWithAWarning) {
  std::vector<std::string> warnings;
  ClusterConfig c = load_ok(conf("  secauth: on\n"), &warnings);
  EXPECT_EQ(c.crypto_cipher, CipherAlg::kAes256);
  EXPECT_EQ(c.crypto_hash, HashAlg::kSha256);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:3:3: secauth is deprecated: use crypto_cipher and crypto_hash (secauth: "
            "on means crypto_cipher: aes256 and crypto_hash: sha256, as in Corosync 3)");
  // Explicit crypto keys win whatever their order.
  c = load_ok(conf("  crypto_hash: sha1\n  secauth: on\n"));
  EXPECT_EQ(c.crypto_cipher, CipherAlg::kAes256);
  EXPECT_EQ(c.crypto_hash, HashAlg::kSha1);
  c = load_ok(conf("  secauth: off\n"));
  EXPECT_EQ(c.crypto_cipher, CipherAlg::kNone);
  EXPECT_EQ(c.crypto_hash, HashAlg::kNone);
}

TEST(ClusterConfig, Transport) {
  EXPECT_EQ(
      error_of(conf("  transport: udp\n")),
      "t.conf:3:14: expected 'udpu' for 'transport' but found 'udp' (multicast/broadcast "
      "transports are not supported: Quorate sends unicast UDP to the nodes listed in nodelist)");
  EXPECT_EQ(error_of(conf("  transport: tcp\n")),
            "t.conf:3:14: expected one of: udpu, knet for 'transport' but found 'tcp'");
  std::vector<std::string> warnings;
  ClusterConfig c = load_ok(conf("  transport: knet\n"), &warnings);
  EXPECT_EQ(c.transport, "udpu");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:3:14: transport 'knet' is read as 'udpu': Quorate uses unicast UDP to "
            "every node of the nodelist (one link)");
}

TEST(ClusterConfig, Interface) {
  ClusterConfig c =
      load_ok(conf("  interface {\n    linknumber: 0\n    mcastport: 6000\n"
                   "    mcastaddr: 239.1.1.1\n    broadcast: no\n  }\n"));
  EXPECT_EQ(c.port, 6000);
  EXPECT_EQ(c.notes.size(), 2u);
  EXPECT_EQ(
      error_of(conf("  interface {\n    mcastport: 70000\n  }\n")),
      "t.conf:4:16: expected a whole number from 1 to 65535 for 'mcastport' but found '70000'");
  EXPECT_EQ(error_of(conf("  interface {\n    ringnumber: 1\n  }\n")),
            "t.conf:4:17: expected 0 for 'ringnumber' but found '1' (Quorate uses a single link)");
  EXPECT_EQ(
      error_of(conf("  interface {\n  }\n  interface {\n  }\n")),
      "t.conf:5:3: expected one interface section (Quorate uses one link) but found another (the "
      "first is at t.conf:3:3)");
}

// ---- nodelist ------------------------------------------------------------------

TEST(ClusterConfig, Nodes) {
  ClusterConfig c = load_ok(
      "nodelist {\n"
      "  node {\n    ring0_addr: node-b.example.com\n    nodeid: 20\n    name: b\n"
      "    quorum_votes: 2\n  }\n"
      "  node {\n    ring0_addr: fe80::1%eth0\n    nodeid: 10\n  }\n"
      "}\n");
  ASSERT_EQ(c.nodes.size(), 2u);  // sorted by nodeid
  EXPECT_EQ(c.nodes[0].nodeid, 10u);
  EXPECT_EQ(c.nodes[0].ring0_addr, "fe80::1%eth0");
  EXPECT_EQ(c.nodes[0].name, "");
  EXPECT_EQ(c.nodes[1].name, "b");
  EXPECT_EQ(c.nodes[1].quorum_votes, 2u);
  EXPECT_EQ(c.nodes[1].origin, "t.conf:2");
}

TEST(ClusterConfig, NodeidIsDerivedFromAnIpv4AddressAsCorosyncDoes) {
  ClusterConfig c = load_ok("nodelist {\n  node {\n    ring0_addr: 10.1.0.11\n  }\n}\n");
  ASSERT_EQ(c.nodes.size(), 1u);
  EXPECT_EQ(c.nodes[0].nodeid, 0x0A01000Bu);
  ASSERT_EQ(c.notes.size(), 1u);
  EXPECT_EQ(c.notes[0], "t.conf:2:3: nodeid 167837707 derived from ring0_addr 10.1.0.11");
  c = load_ok(
      "totem {\n  clear_node_high_bit: yes\n}\n"
      "nodelist {\n  node {\n    ring0_addr: 192.168.1.1\n  }\n}\n");
  EXPECT_EQ(c.nodes[0].nodeid, 0xC0A80101u & 0x7FFFFFFFu);
}

TEST(ClusterConfig, MissingNodeid) {
  EXPECT_EQ(error_of("nodelist {\n  node {\n    ring0_addr: alpha\n  }\n}\n"),
            "t.conf:2:3: expected a nodeid key in this node section but found none (only an IPv4 "
            "ring0_addr lets the nodeid be derived)");
  EXPECT_EQ(
      error_of("totem {\n  transport: knet\n}\nnodelist {\n  node {\n    ring0_addr: 10.0.0.1\n"
               "  }\n}\n"),
      "t.conf:5:3: expected a nodeid key in this node section but found none (knet requires an "
      "explicit nodeid)");
  EXPECT_EQ(
      error_of(conf("", 2, "", "").replace(conf().find("    nodeid: 1\n"), 14, "    nodeid: 0\n")),
      "t.conf:7:13: expected a whole number from 1 to 4294967295 for 'nodeid' but found '0'");
}

TEST(ClusterConfig, DuplicateNodes) {
  EXPECT_EQ(
      error_of("nodelist {\n  node {\n    ring0_addr: 10.0.0.1\n    nodeid: 1\n  }\n"
               "  node {\n    ring0_addr: 10.0.0.2\n    nodeid: 1\n  }\n}\n"),
      "t.conf:8:13: expected a unique nodeid but found 1 again (also the node at t.conf:2:3)");
  EXPECT_EQ(error_of("nodelist {\n  node {\n    ring0_addr: 10.0.0.1\n    nodeid: 1\n  }\n"
                     "  node {\n    ring0_addr: 10.0.0.01\n    nodeid: 2\n  }\n}\n"),
            "(loaded)");  // inet_pton refuses 10.0.0.01, so it is a host name
  EXPECT_EQ(error_of("nodelist {\n  node {\n    ring0_addr: Alpha\n    nodeid: 1\n  }\n"
                     "  node {\n    ring0_addr: alpha\n    nodeid: 2\n  }\n}\n"),
            "t.conf:7:17: expected a unique ring0_addr but found 'alpha' again (also the node at "
            "t.conf:2:3)");
  EXPECT_EQ(error_of("nodelist {\n  node {\n    ring0_addr: ::1\n    nodeid: 1\n  }\n"
                     "  node {\n    ring0_addr: 0:0::1\n    nodeid: 2\n  }\n}\n"),
            "t.conf:7:17: expected a unique ring0_addr but found '0:0::1' again (also the node at "
            "t.conf:2:3)");
  EXPECT_EQ(
      error_of("nodelist {\n  node {\n    ring0_addr: 10.0.0.1\n    nodeid: 1\n    name: a\n  }\n"
               "  node {\n    ring0_addr: 10.0.0.2\n    nodeid: 2\n    name: a\n  }\n}\n"),
      "t.conf:7:3: expected a unique node name but found 'a' again (also the node at t.conf:2:3)");
}

TEST(ClusterConfig, NodelistShape) {
  EXPECT_EQ(
      error_of("totem {\n  version: 2\n}\n"),
      "t.conf:1:1: expected a nodelist section listing every node (transport udpu has no multicast "
      "discovery) but found none");
  EXPECT_EQ(error_of("nodelist {\n}\n"),
            "t.conf:1:1: expected at least one node section in nodelist but found none");
  EXPECT_EQ(error_of("nodelist {\n  node {\n    nodeid: 1\n  }\n}\n"),
            "t.conf:2:3: expected a ring0_addr key in this node section but found none");
  EXPECT_EQ(error_of("nodelist {\n  node {\n    ring0_addr: a/b\n    nodeid: 1\n  }\n}\n"),
            "t.conf:3:17: expected an IPv4 or IPv6 address or a host name for 'ring0_addr' but "
            "found 'a/b'");
  EXPECT_EQ(
      error_of(conf() + "nodelist {\n}\n"),
      "t.conf:14:1: expected one nodelist section but found a second (the first is at t.conf:4:1)");
  std::string many = "nodelist {\n";
  for (int i = 1; i <= 385; ++i) {
    many += "  node {\n    ring0_addr: 10.0." + std::to_string(i / 250) + "." +
            std::to_string(i % 250) + "\n    nodeid: " + std::to_string(i) + "\n  }\n";
  }
  EXPECT_EQ(error_of(many + "}\n"), "t.conf:1538:3: expected at most 384 nodes but found more");
}

// ---- quorum --------------------------------------------------------------------

TEST(ClusterConfig, QuorumKeys) {
  ClusterConfig c =
      load_ok(conf("", 4,
                   "  expected_votes: 5\n  wait_for_all: yes\n  last_man_standing: 1\n"
                   "  last_man_standing_window: 20000\n  auto_tie_breaker: 1\n"
                   "  auto_tie_breaker_node: 3 1\n  allow_downscale: on\n"));
  const QuorumConfig& q = c.quorum;
  EXPECT_EQ(q.provider, "corosync_votequorum");
  EXPECT_EQ(q.expected_votes, std::optional<uint32_t>(5));
  EXPECT_TRUE(q.wait_for_all_effective());
  EXPECT_TRUE(q.last_man_standing);
  EXPECT_EQ(q.last_man_standing_window_ms, 20000u);
  EXPECT_TRUE(q.auto_tie_breaker);
  EXPECT_EQ(q.auto_tie_breaker_node, TieBreaker::kList);
  EXPECT_EQ(q.auto_tie_breaker_list, (std::vector<uint32_t>{3, 1}));
  EXPECT_TRUE(q.allow_downscale);
  EXPECT_EQ(load_ok(conf("", 4, "  auto_tie_breaker: 1\n  auto_tie_breaker_node: highest\n"))
                .quorum.auto_tie_breaker_node,
            TieBreaker::kHighest);
  EXPECT_EQ(error_of(conf("", 2, "  auto_tie_breaker_node: 1 x\n")),
            "t.conf:16:26: expected lowest, highest or a space-separated list of nodeids for "
            "'auto_tie_breaker_node' but found '1 x'");
  // Corosync's quorum flags are numbers: anything from 1 to 255 is on.
  EXPECT_TRUE(load_ok(conf("", 2, "  two_node: 2\n")).quorum.two_node);
  EXPECT_FALSE(load_ok(conf("", 2, "  two_node: no\n")).quorum.two_node);
}

TEST(ClusterConfig, TwoNode) {
  std::vector<std::string> warnings;
  ClusterConfig c = load_ok(conf("", 2, "  two_node: 1\n"), &warnings);
  EXPECT_TRUE(warnings.empty());
  EXPECT_TRUE(c.quorum.two_node);
  EXPECT_TRUE(c.quorum.wait_for_all_effective());  // two_node turns wait_for_all on
  c = load_ok(conf("", 2, "  two_node: 1\n  wait_for_all: 0\n"));
  EXPECT_FALSE(c.quorum.wait_for_all_effective());
  // votequorum.c only applies two_node while there are at most two nodes.
  c = load_ok(conf("", 3, "  two_node: 1\n"), &warnings);
  EXPECT_TRUE(c.quorum.two_node);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:20:3: two_node has no effect with 3 nodes: votequorum applies it to "
            "two-node clusters only (wait_for_all, which it turns on, stays on)");
}

TEST(ClusterConfig, AutoTieBreakerInteractionsFollowVotequorum) {
  std::vector<std::string> warnings;
  // two_node and auto_tie_breaker: two_node is dropped, wait_for_all stays.
  ClusterConfig c = load_ok(conf("", 2, "  two_node: 1\n  auto_tie_breaker: 1\n"), &warnings);
  EXPECT_FALSE(c.quorum.two_node);
  EXPECT_TRUE(c.quorum.auto_tie_breaker);
  EXPECT_TRUE(c.quorum.wait_for_all_effective());
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:16:3: two_node and auto_tie_breaker are not compatible: two_node is "
            "disabled, as Corosync does (wait_for_all stays on)");
  // Odd number of votes without wait_for_all: auto_tie_breaker is dropped ...
  c = load_ok(conf("", 3, "  auto_tie_breaker: 1\n"), &warnings);
  EXPECT_FALSE(c.quorum.auto_tie_breaker);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:20:3: auto_tie_breaker needs wait_for_all in a cluster with an odd "
            "number of votes; auto_tie_breaker is disabled, as Corosync does");
  EXPECT_TRUE(
      load_ok(conf("", 3, "  auto_tie_breaker: 1\n  wait_for_all: 1\n")).quorum.auto_tie_breaker);
  // ... and with last_man_standing as well, Corosync refuses to start.
  EXPECT_EQ(
      error_of(conf("", 3, "  auto_tie_breaker: 1\n  last_man_standing: 1\n")),
      "t.conf:18:1: expected wait_for_all: 1 with auto_tie_breaker in a cluster with an odd number "
      "of votes but found last_man_standing set and wait_for_all off (Corosync refuses this: "
      "auto_tie_breaker & last_man_standing not available in odd sized cluster)");
  c = load_ok(conf("", 2, "  auto_tie_breaker_node: lowest\n"), &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:16:3: auto_tie_breaker_node is meaningless while auto_tie_breaker is off");
  c = load_ok(conf("", 4, "  auto_tie_breaker: 1\n  auto_tie_breaker_node: 9\n"), &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:25:3: auto_tie_breaker_node lists nodeid 9, which is not in the nodelist");
}

TEST(ClusterConfig, QuorumKeysWithoutProvider) {
  std::vector<std::string> warnings;
  ClusterConfig c = load_ok(conf() + "quorum {\n  two_node: 1\n}\n", &warnings);
  EXPECT_EQ(c.quorum.provider, "");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:14:1: quorum settings are ignored without 'provider: corosync_votequorum'");
}

// ---- logging -------------------------------------------------------------------

TEST(ClusterConfig, Logging) {
  ClusterConfig c =
      load_ok(conf("", 2, "",
                   "logging {\n  to_stderr: off\n  to_logfile: on\n  to_syslog: 0\n"
                   "  logfile: /var/log/q.log\n  debug: trace\n  timestamp: off\n"
                   "  fileline: on\n  function_name: yes\n  syslog_facility: local3\n"
                   "  logger_subsys {\n    subsys: TOTEM\n    debug: on\n    to_syslog: no\n"
                   "  }\n}\n"));
  const LoggingConfig& l = c.logging;
  EXPECT_FALSE(l.to_stderr);
  EXPECT_TRUE(l.to_logfile);
  EXPECT_FALSE(l.to_syslog);
  EXPECT_EQ(l.logfile, "/var/log/q.log");
  EXPECT_TRUE(l.debug);
  EXPECT_TRUE(l.debug_trace);
  EXPECT_FALSE(l.timestamp);
  EXPECT_FALSE(l.timestamp_hires);
  EXPECT_TRUE(l.fileline);
  EXPECT_TRUE(l.function_name);
  EXPECT_EQ(l.syslog_facility, "local3");
  ASSERT_EQ(l.subsystems.size(), 1u);
  EXPECT_EQ(l.subsystems[0].subsys, "TOTEM");
  EXPECT_EQ(l.subsystems[0].debug, std::optional<bool>(true));
  EXPECT_EQ(l.subsystems[0].to_syslog, std::optional<bool>(false));
  EXPECT_FALSE(l.subsystems[0].to_stderr);
  const std::string described = describe_effective(c);
  EXPECT_NE(described.find("logging.debug: trace\n"), std::string::npos);
  EXPECT_NE(described.find("logging.logger_subsys.TOTEM.to_syslog: no\n"), std::string::npos);
  EXPECT_EQ(error_of(conf("", 2, "", "logging {\n  to_logfile: yes\n}\n")),
            "t.conf:15:3: expected a logfile key in section 'logging' because to_logfile is on but "
            "found none");
  EXPECT_EQ(error_of(conf("", 2, "", "logging {\n  logger_subsys {\n    debug: on\n  }\n}\n")),
            "t.conf:15:3: expected a subsys key in this logger_subsys section but found none");
}

// ---- unknown and ignored keys --------------------------------------------------

TEST(ClusterConfig, UnknownKeysAndSectionsAreWarnings) {
  std::vector<std::string> warnings;
  ClusterConfig c = load_ok(
      "tokken: 1\n"
      "totem {\n  tokn: 3000\n  netmtu: 1500\n  foo {\n  }\n  interface {\n    knet_link_priority: "
      "1\n"
      "    member {\n    }\n  }\n}\n"
      "nodelist {\n  node {\n    ring0_addr: 10.0.0.1\n    nodeid: 1\n    ring1_addr: 10.1.0.1\n"
      "    colour: red\n  }\n}\n"
      "quorum {\n  provider: corosync_votequorum\n  expected_votes_tracking: 1\n  device {\n  "
      "}\n}\n"
      "logging {\n  syslog_priority: info\n  logger_subsys {\n    subsys: QUORUM\n    tags: x\n  "
      "}\n}\n"
      "system {\n}\nmystery {\n}\n",
      &warnings);
  EXPECT_EQ(c.nodes.size(), 1u);
  const std::vector<std::string> expected = {
      "t.conf:1:1: unknown key 'tokken' at the top level",
      "t.conf:3:3: unknown key 'tokn' in section 'totem'",
      "t.conf:4:3: key 'netmtu' in section 'totem' is not supported by Quorate and is ignored",
      "t.conf:5:3: unknown section 'foo' in section 'totem'",
      "t.conf:8:5: key 'knet_link_priority' in section 'totem.interface' is not supported by "
      "Quorate and "
      "is ignored",
      "t.conf:9:5: section 'member' in section 'totem.interface' is ignored: list the nodes in "
      "nodelist "
      "instead",
      "t.conf:17:5: key 'ring1_addr' in section 'nodelist.node' is ignored: Quorate uses one link "
      "(ring0_addr)",
      "t.conf:18:5: unknown key 'colour' in section 'nodelist.node'",
      "t.conf:23:3: key 'expected_votes_tracking' in section 'quorum' is not supported by Quorate "
      "and is "
      "ignored",
      "t.conf:24:3: section 'device' in section 'quorum' is not supported by Quorate and is "
      "ignored (no "
      "quorum device votes are counted)",
      "t.conf:28:3: key 'syslog_priority' in section 'logging' is not supported by Quorate and is "
      "ignored",
      "t.conf:31:5: key 'tags' in section 'logging.logger_subsys' is not supported by Quorate and "
      "is "
      "ignored",
      "t.conf:34:1: section 'system' is not supported by Quorate and is ignored",
      "t.conf:36:1: unknown section 'mystery'",
  };
  EXPECT_EQ(warnings, expected);
}

TEST(ClusterConfig, DuplicateKeysKeepTheLastValueWithAWarning) {
  std::vector<std::string> warnings;
  ClusterConfig c = load_ok(conf("  token: 2000\n  token: 4000\n"), &warnings);
  EXPECT_EQ(c.timers.token_ms, 4000u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0],
            "t.conf:4:3: duplicate key 'token' in section 'totem' (also at t.conf:3:3); the "
            "last one is used");
  // A second totem section is merged into the first, as Corosync does.
  c = load_ok(conf() + "totem {\n  join: 70\n}\n", &warnings);
  EXPECT_EQ(c.timers.join_ms, 70u);
}

TEST(ClusterConfig, NullWarningsPointerIsAccepted) {
  Result<ClusterConfig> r =
      parse_cluster_config(conf("  tokn: 1\n  secauth: on\n"), "t.conf", nullptr);
  EXPECT_TRUE(r.ok());
}

}  // namespace
}  // namespace quorate::membership
