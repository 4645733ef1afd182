// Robustness of the cluster-file parser: thousands of random inputs from a
// fixed seed (raw bytes, and shuffled pieces of real syntax that get deeper
// into the loader) must each end in a config or an error naming the file;
// never a crash, a hang or an exception.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "common/conf_tree.h"
#include "membership/cluster_config.h"

namespace quorate::membership {
namespace {

void check(const std::string& text) {
  std::vector<std::string> warnings;
  Result<ClusterConfig> r = parse_cluster_config(text, "g.conf", &warnings);
  if (r.ok()) {
    EXPECT_FALSE(r.value().nodes.empty());
    (void)describe_effective(r.value());
  } else {
    EXPECT_EQ(r.error().message.rfind("g.conf:", 0), 0u) << r.error().message;
  }
  for (const std::string& w : warnings) EXPECT_EQ(w.rfind("g.conf:", 0), 0u) << w;
}

TEST(Garbage, RandomBytes) {
  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 3000; ++i) {
    std::string text(rng() % 600, '\0');
    for (char& c : text) c = static_cast<char>(rng() % 256);
    check(text);
  }
}

TEST(Garbage, ShuffledSyntax) {
  const std::vector<std::string> pieces = {
      "totem {\n",
      "nodelist {\n",
      "node {\n",
      "quorum {\n",
      "logging {\n",
      "interface {\n",
      "logger_subsys {\n",
      "}\n",
      "}\n",
      "}\n",
      "ring0_addr: 10.0.0.",
      "nodeid: ",
      "name: n",
      "quorum_votes: ",
      "provider: corosync_votequorum\n",
      "two_node: ",
      "wait_for_all: ",
      "auto_tie_breaker: 1\n",
      "auto_tie_breaker_node: ",
      "last_man_standing: 1\n",
      "token: ",
      "consensus: ",
      "join: ",
      "hold: ",
      "token_retransmit: ",
      "token_coefficient: ",
      "crypto_cipher: aes256\n",
      "crypto_hash: sha1\n",
      "secauth: on\n",
      "transport: knet\n",
      "mcastport: ",
      "subsys: QUORUM\n",
      "debug: trace\n",
      "to_logfile: yes\n",
      "logfile: /l\n",
      "expected_votes: ",
      "clear_node_high_bit: yes\n",
      "0",
      "1",
      "2",
      "3",
      "30",
      "99999999999",
      "-1",
      "\n",
      "\n",
      " ",
      "\t",
      "#",
      ":",
      "{",
      "}",
      "\r",
      "\xC2\xA0",
      "lowest",
      "x y",
      std::string(1, '\0'),
  };
  std::mt19937_64 rng(7);
  for (int i = 0; i < 3000; ++i) {
    std::string text;
    const size_t n = rng() % 80;
    for (size_t j = 0; j < n; ++j) text += pieces[rng() % pieces.size()];
    check(text);
  }
}

TEST(Garbage, MutatedValidFiles) {
  std::string base =
      "totem {\n  version: 2\n  token: 3000\n  interface {\n    mcastport: 5405\n  }\n}\n"
      "nodelist {\n  node {\n    ring0_addr: 10.0.0.1\n    nodeid: 1\n  }\n"
      "  node {\n    ring0_addr: 10.0.0.2\n    nodeid: 2\n  }\n}\n"
      "quorum {\n  provider: corosync_votequorum\n  two_node: 1\n}\n"
      "logging {\n  to_syslog: yes\n  logger_subsys {\n    subsys: QUORUM\n  }\n}\n";
  check(base);
  std::mt19937_64 rng(99);
  for (int i = 0; i < 3000; ++i) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % text.size();
      switch (rng() % 3) {
        case 0:
          text[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          text.erase(at, 1 + rng() % 8);
          break;
        default:
          text.insert(at, 1, "{}:#\n 0"[rng() % 7]);
          break;
      }
      if (text.empty()) text = "x";
    }
    check(text);
  }
}

}  // namespace
}  // namespace quorate::membership
