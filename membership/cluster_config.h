// ClusterConfig: the typed form of the cluster file (Corosync's corosync.conf
// syntax and section names: totem, nodelist, quorum, logging). Produced by
// load_cluster_config() from common/conf_tree's parse tree; every value is
// validated there, so a ClusterConfig that exists is usable as is.
//
// Value type. Defaults, units and names follow corosync.conf(5) and
// votequorum(5) of Corosync 3.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace quorate::membership {

enum class HashAlg { kNone, kSha1, kSha256, kSha384, kSha512 };
enum class CipherAlg { kNone, kAes128, kAes192, kAes256 };

// Totem timers and limits as configured (before token_coefficient is applied).
struct TotemTimers {
  uint32_t token_ms = 3000;
  uint32_t token_coefficient_ms = 650;
  uint32_t token_retransmits_before_loss_const = 4;
  std::optional<uint32_t> token_retransmit_ms;  // default: derived
  std::optional<uint32_t> hold_ms;              // default: derived
  uint32_t join_ms = 50;
  std::optional<uint32_t> consensus_ms;  // default: 1.2 * effective token
  uint32_t merge_ms = 200;
  uint32_t downcheck_ms = 1000;
  uint32_t fail_recv_const = 2500;
  uint32_t seqno_unchanged_const = 30;
  uint32_t send_join_ms = 0;
  uint32_t window_size = 50;
  uint32_t max_messages = 17;
  uint32_t miss_count_const = 5;
};

// Effective timeouts for a ring of `node_count` configured nodes, computed the
// way Corosync does: token + (nodes - 2) * token_coefficient for 3+ nodes.
struct EffectiveTimers {
  uint32_t token_ms;
  uint32_t token_retransmit_ms;
  uint32_t hold_ms;
  uint32_t consensus_ms;
  uint32_t join_ms;
  uint32_t merge_ms;
  uint32_t downcheck_ms;
  uint32_t fail_recv_const;
  uint32_t send_join_ms;
  uint32_t window_size;
  uint32_t max_messages;
  uint32_t seqno_unchanged_const;
  uint32_t miss_count_const;
};
EffectiveTimers effective_timers(const TotemTimers& t, size_t node_count);

struct NodeEntry {
  uint32_t nodeid = 0;
  std::string name;        // may be empty: the tools then show ring0_addr
  std::string ring0_addr;  // IPv4/IPv6 literal or host name
  uint32_t quorum_votes = 1;
  // Where in the file this node was declared (for error messages later).
  std::string origin;  // "file:line"
};

enum class TieBreaker { kLowest, kHighest, kList };

struct QuorumConfig {
  std::string provider;                    // "corosync_votequorum" or empty (no quorum)
  std::optional<uint32_t> expected_votes;  // default: sum of nodelist votes
  bool two_node = false;
  std::optional<bool> wait_for_all;  // default: two_node
  bool last_man_standing = false;
  uint32_t last_man_standing_window_ms = 10000;
  bool auto_tie_breaker = false;
  TieBreaker auto_tie_breaker_node = TieBreaker::kLowest;
  std::vector<uint32_t> auto_tie_breaker_list;  // for kList, in priority order
  bool allow_downscale = false;
  bool wait_for_all_effective() const { return wait_for_all.value_or(two_node); }
};

struct LoggerSubsys {
  std::string subsys;
  std::optional<bool> debug;
  std::optional<bool> to_stderr, to_logfile, to_syslog;
};

struct LoggingConfig {
  bool to_stderr = true;
  bool to_logfile = false;
  bool to_syslog = true;
  std::string logfile;
  bool debug = false;           // debug: on | off (trace is accepted as on)
  bool debug_trace = false;     // debug: trace
  bool timestamp = true;        // Corosync 3 default: hires/on
  bool timestamp_hires = true;  // timestamp: hires (milliseconds); "on" = seconds
  bool fileline = false;
  bool function_name = false;
  std::string syslog_facility = "daemon";
  std::vector<LoggerSubsys> subsystems;
};

struct ClusterConfig {
  std::string source;  // file the config came from
  // totem
  uint32_t version = 2;
  std::string cluster_name;
  std::string transport = "udpu";
  uint16_t port = 5405;  // interface { mcastport } (UDP port, unicast)
  CipherAlg crypto_cipher = CipherAlg::kNone;
  HashAlg crypto_hash = HashAlg::kNone;
  std::string keyfile = "/etc/quorate/authkey";
  TotemTimers timers;
  // nodelist, sorted by nodeid
  std::vector<NodeEntry> nodes;
  QuorumConfig quorum;
  LoggingConfig logging;
  // Debug-level remarks from loading: keys accepted for compatibility and
  // ignored (bindnetaddr, mcastaddr, ttl ...), nodeids derived from addresses.
  std::vector<std::string> notes;

  const NodeEntry* find_node(uint32_t nodeid) const;
  const NodeEntry* find_node_by_name(const std::string& name_or_addr) const;
};

// Reads and validates a cluster file. Errors say "FILE:LINE:COL: what", and
// warnings (unknown keys, ignored keys) are appended to `warnings` in the same
// form. Invalid values are errors; nothing is defaulted silently.
Result<ClusterConfig> load_cluster_config(const std::string& path,
                                          std::vector<std::string>* warnings);
Result<ClusterConfig> parse_cluster_config(std::string_view text, const std::string& filename,
                                           std::vector<std::string>* warnings);

// The effective settings, one "section.key: value" per line, as printed by
// `quorated --config FILE --check`.
std::string describe_effective(const ClusterConfig& config);

const char* to_string(HashAlg a);
const char* to_string(CipherAlg a);

}  // namespace quorate::membership
