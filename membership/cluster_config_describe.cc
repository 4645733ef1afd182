// describe_effective(): the effective settings of a ClusterConfig, one
// "section.key: value" per line, as `quorated --config FILE --check` prints
// them; and the names of the crypto algorithms.
#include <fmt/format.h>

#include <string>

#include "membership/cluster_config.h"

namespace quorate::membership {
namespace {
const char* on_off(bool b) { return b ? "on" : "off"; }
const char* yes_no(bool b) { return b ? "yes" : "no"; }
}  // namespace

std::string describe_effective(const ClusterConfig& c) {
  const EffectiveTimers e = effective_timers(c.timers, c.nodes.size());
  std::string out;
  auto line = [&out](std::string_view key, const auto& value) {
    out += fmt::format("{}: {}\n", key, value);
  };
  line("totem.version", c.version);
  if (!c.cluster_name.empty()) line("totem.cluster_name", c.cluster_name);
  line("totem.transport", c.transport);
  line("totem.crypto_cipher", to_string(c.crypto_cipher));
  line("totem.crypto_hash", to_string(c.crypto_hash));
  if (c.crypto_cipher != CipherAlg::kNone || c.crypto_hash != HashAlg::kNone)
    line("totem.keyfile", c.keyfile);
  line("totem.interface.0.mcastport", c.port);
  line("totem.token", e.token_ms);
  line("totem.token_coefficient", c.timers.token_coefficient_ms);
  line("totem.token_retransmit", e.token_retransmit_ms);
  line("totem.hold", e.hold_ms);
  line("totem.token_retransmits_before_loss_const", c.timers.token_retransmits_before_loss_const);
  line("totem.join", e.join_ms);
  line("totem.send_join", e.send_join_ms);
  line("totem.consensus", e.consensus_ms);
  line("totem.merge", e.merge_ms);
  line("totem.downcheck", e.downcheck_ms);
  line("totem.fail_recv_const", e.fail_recv_const);
  line("totem.seqno_unchanged_const", e.seqno_unchanged_const);
  line("totem.window_size", e.window_size);
  line("totem.max_messages", e.max_messages);
  line("totem.miss_count_const", e.miss_count_const);
  uint64_t votes = 0;
  for (size_t i = 0; i < c.nodes.size(); ++i) {
    const NodeEntry& n = c.nodes[i];
    const std::string p = fmt::format("nodelist.node.{}.", i);
    line(p + "nodeid", n.nodeid);
    if (!n.name.empty()) line(p + "name", n.name);
    line(p + "ring0_addr", n.ring0_addr);
    line(p + "quorum_votes", n.quorum_votes);
    votes += n.quorum_votes;
  }
  const QuorumConfig& q = c.quorum;
  if (!q.provider.empty()) {
    line("quorum.provider", q.provider);
    line("quorum.expected_votes", q.expected_votes ? *q.expected_votes : votes);
    line("quorum.two_node", q.two_node ? 1 : 0);
    line("quorum.wait_for_all", q.wait_for_all_effective() ? 1 : 0);
    line("quorum.last_man_standing", q.last_man_standing ? 1 : 0);
    line("quorum.last_man_standing_window", q.last_man_standing_window_ms);
    line("quorum.auto_tie_breaker", q.auto_tie_breaker ? 1 : 0);
    std::string atb = q.auto_tie_breaker_node == TieBreaker::kLowest    ? "lowest"
                      : q.auto_tie_breaker_node == TieBreaker::kHighest ? "highest"
                                                                        : "";
    for (uint32_t id : q.auto_tie_breaker_list)
      atb += (atb.empty() ? "" : " ") + std::to_string(id);
    line("quorum.auto_tie_breaker_node", atb);
    line("quorum.allow_downscale", q.allow_downscale ? 1 : 0);
  }
  const LoggingConfig& l = c.logging;
  line("logging.to_stderr", yes_no(l.to_stderr));
  line("logging.to_logfile", yes_no(l.to_logfile));
  line("logging.to_syslog", yes_no(l.to_syslog));
  if (!l.logfile.empty()) line("logging.logfile", l.logfile);
  line("logging.debug", l.debug_trace ? "trace" : on_off(l.debug));
  line("logging.timestamp", l.timestamp_hires ? "hires" : on_off(l.timestamp));
  line("logging.fileline", on_off(l.fileline));
  line("logging.function_name", on_off(l.function_name));
  line("logging.syslog_facility", l.syslog_facility);
  for (const LoggerSubsys& s : l.subsystems) {
    const std::string p = "logging.logger_subsys." + s.subsys + ".";
    if (s.debug) line(p + "debug", on_off(*s.debug));
    if (s.to_stderr) line(p + "to_stderr", yes_no(*s.to_stderr));
    if (s.to_logfile) line(p + "to_logfile", yes_no(*s.to_logfile));
    if (s.to_syslog) line(p + "to_syslog", yes_no(*s.to_syslog));
  }
  return out;
}

const char* to_string(HashAlg a) {
  static constexpr const char* kNames[] = {"none", "sha1", "sha256", "sha384", "sha512"};
  const auto i = static_cast<size_t>(a);
  return i < std::size(kNames) ? kNames[i] : "?";
}

const char* to_string(CipherAlg a) {
  static constexpr const char* kNames[] = {"none", "aes128", "aes192", "aes256"};
  const auto i = static_cast<size_t>(a);
  return i < std::size(kNames) ? kNames[i] : "?";
}

}  // namespace quorate::membership
