// ClusterConfig loader: gives the parse tree of a cluster file (Corosync's
// corosync.conf syntax, common/conf_tree) its meaning, with Corosync 3's
// defaults and checks (exec/coroparse.c, exec/totemconfig.c, exec/logconfig.c,
// exec/votequorum.c). Where Corosync silently falls back to a default on a bad
// value, this loader reports an error naming FILE:LINE:COL, the key and what
// was expected; where Corosync logs and carries on, it adds a warning.
//
// Quorate-specific choices: the only transport is unicast UDP ("udpu"; "knet"
// is read as udpu with a warning, multicast "udp" is refused); one link only;
// crypto works on udpu (Corosync 3 only allows it on knet); md5 is refused.
#include "membership/cluster_config.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <map>
#include <set>
#include <sstream>
#include <utility>

#include "common/conf_tree.h"

namespace quorate::membership {

namespace {

constexpr uint32_t kU32Max = 0xFFFFFFFFu;
// totemconfig.c: MINIMUM_TIMEOUT is (1000/HZ)*3 and MINIMUM_TIMEOUT_HOLD is
// (int)(MINIMUM_TIMEOUT * 0.8 - (1000/HZ)), with HZ = 100 in Linux user space.
constexpr uint32_t kHzTickMs = 10;
constexpr uint32_t kMinimumTimeoutMs = 3 * kHzTickMs;
constexpr uint32_t kMinimumHoldMs = 14;
constexpr size_t kMaxNodes = 384;  // Corosync's PROCESSOR_COUNT_MAX
constexpr size_t kMaxFileBytes = 16 * 1024 * 1024;

std::string quoted(std::string_view v) {
  if (v.empty()) return "an empty value";
  std::string out = "'";
  for (char ch : v.substr(0, 60)) {
    const auto c = static_cast<unsigned char>(ch);
    out += (c < 0x20 || c == 0x7f) ? fmt::format("\\x{:02x}", c) : std::string(1, ch);
  }
  return out + (v.size() > 60 ? "...'" : "'");
}

Error bad_value(const ConfItem& it, std::string_view expected, std::string_view why = {}) {
  std::string msg = fmt::format("{}: expected {} for '{}' but found {}", it.value_where.str(),
                                expected, it.key, quoted(it.value));
  if (!why.empty()) msg += fmt::format(" ({})", why);
  return Error{std::move(msg)};
}

std::optional<uint64_t> whole_number(std::string_view v) {
  if (v.empty() || v.size() > 20) return std::nullopt;
  if (!std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  uint64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return out;
}

Status get_u32(const ConfItem& it, uint32_t lo, uint32_t hi, std::string_view unit, uint32_t* out) {
  const auto v = whole_number(it.value);
  if (!v || *v < lo || *v > hi) {
    return bad_value(it, fmt::format("a whole number{}{} from {} to {}", unit.empty() ? "" : " of ",
                                     unit, lo, hi));
  }
  *out = static_cast<uint32_t>(*v);
  return {};
}

Status get_ms(const ConfItem& it, uint32_t lo, uint32_t* out) {
  return get_u32(it, lo, kU32Max, "milliseconds", out);
}

// Booleans as Corosync's logging and totem code spell them (yes/no, on/off),
// plus 1/0. Quorum flags are numbers in Corosync (0 = off, 1..255 = on).
Status get_bool(const ConfItem& it, bool quorum_flag, bool* out) {
  const std::string& v = it.value;
  if (v == "yes" || v == "on" || v == "1") {
    *out = true;
  } else if (v == "no" || v == "off" || v == "0") {
    *out = false;
  } else if (auto n = whole_number(v); quorum_flag && n && *n <= 255) {
    *out = *n != 0;
  } else {
    return bad_value(it, quorum_flag ? "0 or 1 (or one of: yes, no, on, off)"
                                     : "one of: yes, no, on, off, 1, 0");
  }
  return {};
}

template <typename T>
Status get_enum(const ConfItem& it, std::initializer_list<std::pair<std::string_view, T>> choices,
                T* out) {
  std::string names;
  for (const auto& [name, value] : choices) {
    if (it.value == name) {
      *out = value;
      return {};
    }
    names += names.empty() ? "" : ", ";
    names += name;
  }
  return bad_value(it, "one of: " + names);
}

// Like get_enum, for enums spelled by to_string().
template <typename T>
Status get_named(const ConfItem& it, std::initializer_list<T> values, T* out) {
  std::string names;
  for (T v : values) {
    if (it.value == to_string(v)) {
      *out = v;
      return {};
    }
    names += (names.empty() ? "" : ", ") + std::string(to_string(v));
  }
  return bad_value(it, "one of: " + names);
}

Status get_word(const ConfItem& it, std::string_view what, std::string* out) {
  if (it.value.empty() || it.value.find_first_of(" \t") != std::string::npos) {
    return bad_value(it, what);
  }
  *out = it.value;
  return {};
}

// Canonical form of a node address for duplicate detection, or nothing if the
// text is neither an IP literal nor a plausible host name.
std::optional<std::string> address_key(const std::string& a) {
  unsigned char buf[16];
  if (inet_pton(AF_INET, a.c_str(), buf) == 1) return "4:" + std::string(buf, buf + 4);
  const std::string host = a.substr(0, a.find('%'));  // IPv6 zone: fe80::1%eth0
  if (inet_pton(AF_INET6, host.c_str(), buf) == 1) {
    return "6:" + std::string(buf, buf + 16) + a.substr(host.size());
  }
  if (a.empty() || a.size() > 253) return std::nullopt;
  std::string key = "h:";
  for (char c : a) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return std::nullopt;
    key += static_cast<char>((c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c);
  }
  return key;
}

// Corosync's nodeid for a node without one: the IPv4 ring0_addr as a number.
std::optional<uint32_t> nodeid_from_ipv4(const std::string& a, bool clear_high_bit) {
  in_addr addr{};
  if (inet_pton(AF_INET, a.c_str(), &addr) != 1) return std::nullopt;
  uint32_t id = ntohl(addr.s_addr);
  if (clear_high_bit) id &= 0x7FFFFFFFu;
  if (id == 0) return std::nullopt;
  return id;
}

// Keys Corosync knows that Quorate reads and ignores (with a warning), as
// space-separated word lists.
constexpr std::string_view kIgnoredTotemKeys =
    " netmtu threads ip_version link_mode token_warning max_network_delay nodeid rrp_mode vsftype"
    " heartbeat_failures_allowed config_version block_unlisted_ips crypto_model crypto_type"
    " knet_pmtud_interval knet_mtu knet_compression_model knet_compression_threshold"
    " knet_compression_level rrp_token_expired_timeout rrp_problem_count_timeout"
    " rrp_problem_count_threshold rrp_problem_count_mcast_threshold"
    " rrp_autorecovery_check_timeout ";
constexpr std::string_view kIgnoredLoggingKeys =
    " logfile_priority syslog_priority syslog_level tags to_file blackbox ";
constexpr std::string_view kIgnoredQuorumKeys = " expected_votes_tracking votes leaving_timeout ";
// libqb's qb_log_facility2int() names.
constexpr std::string_view kSyslogFacilities =
    " daemon local0 local1 local2 local3 local4 local5 local6 local7 user kern mail auth authpriv"
    " syslog lpr news uucp cron ftp ";
constexpr std::string_view kUnsupportedSections =
    " system resources nozzle uidgid qb pload amf service aisexec ";

bool listed(std::string_view words, std::string_view word) {
  if (word.empty() || word.find_first_of(" \t") != std::string_view::npos) return false;
  return words.find(" " + std::string(word) + " ") != std::string_view::npos;
}

struct NodeDraft {
  NodeEntry node;
  bool has_nodeid = false;
  bool has_addr = false;
  ConfLocation where;
};

class Loader {
 public:
  Loader(const std::string& file, std::vector<std::string>* warnings)
      : file_(file), warnings_(warnings) {}

  Result<ClusterConfig> run(const ConfSection& root) {
    cfg_.source = file_;
    for (const ConfItem& it : root.items)
      warn(it.where, fmt::format("unknown key '{}' at the top level", it.key));
    const ConfSection* nodelist = nullptr;
    const ConfSection* totem = nullptr;
    for (const ConfSection& s : root.sections) {
      Status st;
      if (s.name == "totem") {
        if (!totem) totem = &s;
        st = section(s, "totem", &Loader::totem_item, &Loader::totem_section);
      } else if (s.name == "nodelist") {
        if (nodelist) {
          return Error{fmt::format(
              "{}: expected one nodelist section but found a second (the first is at {})",
              s.where.str(), nodelist->where.str())};
        }
        nodelist = &s;
        st = section(s, "nodelist", &Loader::no_items, &Loader::nodelist_section);
      } else if (s.name == "quorum") {
        quorum_at_ = s.where;
        st = section(s, "quorum", &Loader::quorum_item, &Loader::quorum_section);
      } else if (s.name == "logging") {
        st = section(s, "logging", &Loader::logging_item, &Loader::logging_section);
      } else if (listed(kUnsupportedSections, s.name)) {
        warn(s.where,
             fmt::format("section '{}' is not supported by Quorate and is ignored", s.name));
      } else {
        warn(s.where, fmt::format("unknown section '{}'", s.name));
      }
      if (!st.ok()) return st.error();
    }
    if (!nodelist) {
      const ConfLocation at = totem ? totem->where : root.where;
      return Error{
          fmt::format("{}: expected a nodelist section listing every node (transport udpu "
                      "has no multicast discovery) but found none",
                      at.str())};
    }
    if (drafts_.empty()) {
      return Error{fmt::format("{}: expected at least one node section in nodelist but found none",
                               nodelist->where.str())};
    }
    // In order: timers need the node count, quorum checks need the nodes.
    if (Status st = finish_crypto(); !st.ok()) return st.error();
    if (Status st = finish_nodes(); !st.ok()) return st.error();
    if (Status st = finish_timers(); !st.ok()) return st.error();
    if (Status st = finish_quorum(); !st.ok()) return st.error();
    if (Status st = finish_logging(); !st.ok()) return st.error();
    return std::move(cfg_);
  }

 private:
  using ItemFn = Status (Loader::*)(const ConfItem&);
  using SectionFn = Status (Loader::*)(const ConfSection&);

  void warn(const ConfLocation& at, std::string msg) {
    if (warnings_) warnings_->push_back(at.str() + ": " + msg);
  }
  void note(const ConfLocation& at, std::string msg) {
    cfg_.notes.push_back(at.str() + ": " + msg);
  }

  void ignored_key(const ConfItem& it, std::string_view path) {
    warn(it.where,
         fmt::format("key '{}' in section '{}' is not supported by Quorate and is ignored", it.key,
                     path));
  }
  void unknown_key(const ConfItem& it, std::string_view path, std::string_view ignored = {}) {
    if (listed(ignored, it.key)) {
      ignored_key(it, path);
    } else {
      warn(it.where, fmt::format("unknown key '{}' in section '{}'", it.key, path));
    }
  }
  void unknown_section(const ConfSection& s, std::string_view path) {
    warn(s.where, fmt::format("unknown section '{}' in section '{}'", s.name, path));
  }

  // Walks one section: duplicate keys (Corosync keeps the last) are warned
  // about, then every item and subsection goes to its handler.
  Status section(const ConfSection& s, const std::string& path, ItemFn item_fn,
                 SectionFn section_fn) {
    for (const ConfItem& it : s.items) {
      const std::string full = path + "." + it.key;
      if (auto [pos, fresh] = seen_.try_emplace(full, it.where); !fresh) {
        warn(it.where,
             fmt::format("duplicate key '{}' in section '{}' (also at {}); the last one is used",
                         it.key, path, pos->second.str()));
        pos->second = it.where;
      }
      if (Status st = (this->*item_fn)(it); !st.ok()) return st;
    }
    for (const ConfSection& sub : s.sections) {
      if (Status st = (this->*section_fn)(sub); !st.ok()) return st;
    }
    return {};
  }

  std::optional<ConfLocation> seen(const std::string& path) const {
    auto it = seen_.find(path);
    if (it == seen_.end()) return std::nullopt;
    return it->second;
  }
  // Where the first of `paths` that was set is, else the start of the file.
  ConfLocation first_seen(std::initializer_list<const char*> paths) const {
    for (const char* p : paths) {
      if (auto at = seen(p)) return *at;
    }
    return ConfLocation{file_, 1, 1};
  }

  Status no_items(const ConfItem& it) {
    unknown_key(it, "nodelist");
    return {};
  }

  // ---- totem ---------------------------------------------------------------

  Status totem_item(const ConfItem& it) {
    const std::string& k = it.key;
    TotemTimers& t = cfg_.timers;
    struct Timer {
      std::string_view key;
      uint32_t TotemTimers::*field;
      uint32_t min;
      bool ms;
    };
    static constexpr Timer kTimers[] = {
        {"token", &TotemTimers::token_ms, 1, true},
        {"token_coefficient", &TotemTimers::token_coefficient_ms, 0, true},
        {"token_retransmits_before_loss_const", &TotemTimers::token_retransmits_before_loss_const,
         1, false},
        {"join", &TotemTimers::join_ms, kMinimumTimeoutMs, true},
        {"send_join", &TotemTimers::send_join_ms, 0, true},
        {"merge", &TotemTimers::merge_ms, kMinimumTimeoutMs, true},
        {"downcheck", &TotemTimers::downcheck_ms, kMinimumTimeoutMs, true},
        {"fail_recv_const", &TotemTimers::fail_recv_const, 1, false},
        {"seqno_unchanged_const", &TotemTimers::seqno_unchanged_const, 1, false},
        {"window_size", &TotemTimers::window_size, 1, false},
        {"max_messages", &TotemTimers::max_messages, 1, false},
        {"miss_count_const", &TotemTimers::miss_count_const, 1, false},
    };
    for (const Timer& tk : kTimers) {
      if (k == tk.key)
        return get_u32(it, tk.min, kU32Max, tk.ms ? "milliseconds" : "", &(t.*tk.field));
    }
    uint32_t v = 0;
    if (k == "token_retransmit" || k == "hold" || k == "consensus") {
      if (Status st = get_ms(it, 1, &v); !st.ok()) return st;
      (k == "token_retransmit" ? t.token_retransmit_ms
       : k == "hold"           ? t.hold_ms
                               : t.consensus_ms) = v;
    } else if (k == "version") {
      if (it.value != "2") return bad_value(it, "2", "the only totem configuration version");
      cfg_.version = 2;
    } else if (k == "cluster_name") {
      return get_word(it, "a cluster name (one word)", &cfg_.cluster_name);
    } else if (k == "transport") {
      if (it.value == "udpu") {
        cfg_.transport = "udpu";
      } else if (it.value == "knet") {
        cfg_.transport = "udpu";
        transport_knet_ = true;
        warn(it.value_where,
             "transport 'knet' is read as 'udpu': Quorate uses unicast UDP to "
             "every node of the nodelist (one link)");
      } else if (it.value == "udp" || it.value == "iba") {
        return bad_value(it, "'udpu'",
                         "multicast/broadcast transports are not supported: Quorate "
                         "sends unicast UDP to the nodes listed in nodelist");
      } else {
        return bad_value(it, "one of: udpu, knet");
      }
    } else if (k == "crypto_cipher") {
      if (it.value == "3des")
        return bad_value(it, "one of: none, aes256, aes192, aes128",
                         "3des was removed in Corosync 3");
      cipher_set_ = true;
      return get_named(
          it, {CipherAlg::kNone, CipherAlg::kAes256, CipherAlg::kAes192, CipherAlg::kAes128},
          &cfg_.crypto_cipher);
    } else if (k == "crypto_hash") {
      if (it.value == "md5") {
        return bad_value(it, "one of: none, sha1, sha256, sha384, sha512",
                         "Corosync accepts md5 but Quorate refuses it as too weak; use sha256");
      }
      hash_set_ = true;
      return get_named(
          it,
          {HashAlg::kNone, HashAlg::kSha1, HashAlg::kSha256, HashAlg::kSha384, HashAlg::kSha512},
          &cfg_.crypto_hash);
    } else if (k == "secauth") {
      bool on = false;
      if (Status st = get_bool(it, false, &on); !st.ok()) return st;
      secauth_ = on;
      warn(it.where,
           "secauth is deprecated: use crypto_cipher and crypto_hash (secauth: on means "
           "crypto_cipher: aes256 and crypto_hash: sha256, as in Corosync 3)");
    } else if (k == "keyfile") {
      return get_word(it, "the path of the key file", &cfg_.keyfile);
    } else if (k == "clear_node_high_bit") {
      return get_bool(it, false, &clear_node_high_bit_);
    } else {
      unknown_key(it, "totem", kIgnoredTotemKeys);
    }
    return {};
  }

  Status totem_section(const ConfSection& s) {
    if (s.name != "interface") {
      unknown_section(s, "totem");
      return {};
    }
    if (interface_at_) {
      return Error{
          fmt::format("{}: expected one interface section (Quorate uses one link) but found "
                      "another (the first is at {})",
                      s.where.str(), interface_at_->str())};
    }
    interface_at_ = s.where;
    return section(s, "totem.interface", &Loader::interface_item, &Loader::interface_section);
  }

  Status interface_item(const ConfItem& it) {
    const std::string& k = it.key;
    uint32_t v = 0;
    if (k == "ringnumber" || k == "linknumber") {
      if (Status st = get_u32(it, 0, 0, "", &v); !st.ok()) {
        return bad_value(it, "0", "Quorate uses a single link");
      }
    } else if (k == "mcastport") {
      if (Status st = get_u32(it, 1, 65535, "", &v); !st.ok()) return st;
      cfg_.port = static_cast<uint16_t>(v);
    } else if (k == "ttl") {
      if (Status st = get_u32(it, 0, 255, "", &v); !st.ok()) return st;
      note(it.where, "ttl is ignored: Quorate sends unicast UDP");
    } else if (k == "bindnetaddr" || k == "mcastaddr") {
      note(it.where, fmt::format("{} is ignored: Quorate binds to this node's ring0_addr and sends "
                                 "unicast UDP",
                                 k));
    } else if (k == "broadcast") {
      bool b = false;
      if (Status st = get_bool(it, false, &b); !st.ok()) return st;
      note(it.where, "broadcast is ignored: Quorate sends unicast UDP");
    } else if (k.rfind("knet_", 0) == 0) {
      ignored_key(it, "totem.interface");
    } else {
      unknown_key(it, "totem.interface");
    }
    return {};
  }

  Status interface_section(const ConfSection& s) {
    if (s.name == "member") {
      warn(s.where,
           "section 'member' in section 'totem.interface' is ignored: list the nodes in "
           "nodelist instead");
    } else {
      unknown_section(s, "totem.interface");
    }
    return {};
  }

  Status finish_crypto() {
    if (secauth_) {
      if (!cipher_set_) cfg_.crypto_cipher = *secauth_ ? CipherAlg::kAes256 : CipherAlg::kNone;
      if (!hash_set_) cfg_.crypto_hash = *secauth_ ? HashAlg::kSha256 : HashAlg::kNone;
    }
    if (cfg_.crypto_cipher != CipherAlg::kNone && cfg_.crypto_hash == HashAlg::kNone) {
      const ConfLocation at = first_seen({"totem.crypto_cipher", "totem.secauth"});
      return Error{
          fmt::format("{}: expected crypto_hash other than none because crypto_cipher is {} "
                      "but found crypto_hash: none (Corosync: crypto_cipher requires "
                      "crypto_hash with value other than none)",
                      at.str(), to_string(cfg_.crypto_cipher))};
    }
    return {};
  }

  // ---- nodelist ------------------------------------------------------------

  Status nodelist_section(const ConfSection& s) {
    if (s.name != "node") {
      unknown_section(s, "nodelist");
      return {};
    }
    if (drafts_.size() == kMaxNodes) {
      return Error{
          fmt::format("{}: expected at most {} nodes but found more", s.where.str(), kMaxNodes)};
    }
    NodeDraft d;
    d.where = s.where;
    d.node.origin = fmt::format("{}:{}", s.where.file, s.where.line);
    std::set<std::string> keys;
    for (const ConfItem& it : s.items) {
      if (!keys.insert(it.key).second) {
        warn(it.where,
             fmt::format("duplicate key '{}' in section 'nodelist.node'; the last one is used",
                         it.key));
      }
      if (Status st = node_item(it, d); !st.ok()) return st;
    }
    for (const ConfSection& sub : s.sections) unknown_section(sub, "nodelist.node");
    if (!d.has_addr) {
      return Error{fmt::format("{}: expected a ring0_addr key in this node section but found none",
                               s.where.str())};
    }
    drafts_.push_back(std::move(d));
    return {};
  }

  Status node_item(const ConfItem& it, NodeDraft& d) {
    const std::string& k = it.key;
    if (k == "nodeid") {
      d.has_nodeid = true;
      nodeid_at_[drafts_.size()] = it.value_where;
      return get_u32(it, 1, kU32Max, "", &d.node.nodeid);
    }
    if (k == "quorum_votes") return get_u32(it, 0, kU32Max, "", &d.node.quorum_votes);
    if (k == "name") return get_word(it, "a node name (one word)", &d.node.name);
    if (k == "ring0_addr") {
      if (!address_key(it.value)) return bad_value(it, "an IPv4 or IPv6 address or a host name");
      d.has_addr = true;
      d.node.ring0_addr = it.value;
      addr_at_[drafts_.size()] = it.value_where;
      return {};
    }
    if (k.size() > 9 && k.rfind("ring", 0) == 0 && k.substr(k.size() - 5) == "_addr") {
      warn(it.where, fmt::format("key '{}' in section 'nodelist.node' is ignored: Quorate uses one "
                                 "link (ring0_addr)",
                                 k));
      return {};
    }
    unknown_key(it, "nodelist.node");
    return {};
  }

  Status finish_nodes() {
    std::map<uint32_t, size_t> by_id;
    std::map<std::string, size_t> by_addr;
    std::map<std::string, size_t> by_name;
    for (size_t i = 0; i < drafts_.size(); ++i) {
      NodeDraft& d = drafts_[i];
      if (!d.has_nodeid) {
        const auto derived = transport_knet_
                                 ? std::nullopt
                                 : nodeid_from_ipv4(d.node.ring0_addr, clear_node_high_bit_);
        if (!derived) {
          return Error{
              fmt::format("{}: expected a nodeid key in this node section but found none "
                          "({})",
                          d.where.str(),
                          transport_knet_ ? "knet requires an explicit nodeid"
                                          : "only an IPv4 ring0_addr lets the nodeid be derived")};
        }
        d.node.nodeid = *derived;
        note(d.where,
             fmt::format("nodeid {} derived from ring0_addr {}", *derived, d.node.ring0_addr));
      }
      if (auto [pos, fresh] = by_id.try_emplace(d.node.nodeid, i); !fresh) {
        const ConfLocation at = nodeid_at_.count(i) ? nodeid_at_[i] : d.where;
        return Error{
            fmt::format("{}: expected a unique nodeid but found {} again (also the node at {})",
                        at.str(), d.node.nodeid, drafts_[pos->second].where.str())};
      }
      if (auto [pos, fresh] = by_addr.try_emplace(*address_key(d.node.ring0_addr), i); !fresh) {
        return Error{fmt::format(
            "{}: expected a unique ring0_addr but found '{}' again (also the node at {})",
            addr_at_[i].str(), d.node.ring0_addr, drafts_[pos->second].where.str())};
      }
      if (!d.node.name.empty()) {
        if (auto [pos, fresh] = by_name.try_emplace(d.node.name, i); !fresh) {
          return Error{fmt::format(
              "{}: expected a unique node name but found '{}' again (also the node at {})",
              d.where.str(), d.node.name, drafts_[pos->second].where.str())};
        }
      }
    }
    uint64_t votes = 0;
    for (NodeDraft& d : drafts_) {
      votes += d.node.quorum_votes;
      cfg_.nodes.push_back(std::move(d.node));
    }
    if (votes > kU32Max) {
      return Error{fmt::format("{}: expected quorum_votes adding up to at most {} but found {}",
                               drafts_.front().where.str(), kU32Max, votes)};
    }
    total_votes_ = static_cast<uint32_t>(votes);
    std::sort(cfg_.nodes.begin(), cfg_.nodes.end(),
              [](const NodeEntry& a, const NodeEntry& b) { return a.nodeid < b.nodeid; });
    return {};
  }

  // ---- timers --------------------------------------------------------------

  // Corosync's lower bounds, checked on the timers used for this node count.
  Status timer_min(const std::string& key, uint32_t value, uint32_t min, bool derived) {
    if (value >= min) return {};
    const std::string why = !derived               ? ""
                            : key == "totem.token" ? " (token + (nodes - 2) * token_coefficient)"
                                                   : " (derived from token)";
    const ConfLocation at = first_seen({key.c_str(), "totem.token"});
    return Error{fmt::format("{}: expected at least {} ms for '{}' but found {} ms{}", at.str(),
                             min, key.substr(6), value, why)};
  }

  Status finish_timers() {
    const TotemTimers& t = cfg_.timers;
    const EffectiveTimers e = effective_timers(t, cfg_.nodes.size());
    const bool scaled = cfg_.nodes.size() > 2 && t.token_coefficient_ms > 0;
    for (Status st :
         {timer_min("totem.token", e.token_ms, kMinimumTimeoutMs, scaled),
          timer_min("totem.token_retransmit", e.token_retransmit_ms, kMinimumTimeoutMs,
                    !t.token_retransmit_ms),
          timer_min("totem.hold", e.hold_ms, kMinimumHoldMs, !t.hold_ms),
          timer_min("totem.consensus", e.consensus_ms, kMinimumTimeoutMs, !t.consensus_ms)}) {
      if (!st.ok()) return st;  // the first failing check, in this order
    }
    if (e.consensus_ms < e.join_ms) {
      const ConfLocation at = first_seen({"totem.consensus", "totem.join", "totem.token"});
      return Error{fmt::format("{}: expected at least join ({} ms) for 'consensus' but found {} ms",
                               at.str(), e.join_ms, e.consensus_ms)};
    }
    const uint64_t min_consensus =
        (static_cast<uint64_t>(e.token_ms) * 6 + 4) / 5;  // ceil(1.2 * token)
    if (t.consensus_ms && *t.consensus_ms < min_consensus) {
      warn(*seen("totem.consensus"),
           fmt::format(
               "consensus ({} ms) is less than 1.2 * token ({} ms); corosync.conf(5) asks for at "
               "least 1.2 * token, or leave consensus out to have it computed",
               *t.consensus_ms, min_consensus));
    }
    return {};
  }

  // ---- quorum --------------------------------------------------------------

  Status quorum_item(const ConfItem& it) {
    const std::string& k = it.key;
    QuorumConfig& q = cfg_.quorum;
    any_quorum_key_ = any_quorum_key_ || k != "provider";
    if (k == "provider") {
      return get_enum<std::string>(it, {{"corosync_votequorum", "corosync_votequorum"}},
                                   &q.provider);
    }
    if (k == "expected_votes") {
      uint32_t v = 0;
      if (Status st = get_u32(it, 1, kU32Max, "", &v); !st.ok()) return st;
      q.expected_votes = v;
      return {};
    }
    if (k == "two_node") return get_bool(it, true, &q.two_node);
    if (k == "wait_for_all") {
      bool b = false;
      if (Status st = get_bool(it, true, &b); !st.ok()) return st;
      q.wait_for_all = b;
      return {};
    }
    if (k == "last_man_standing") return get_bool(it, true, &q.last_man_standing);
    if (k == "last_man_standing_window") return get_ms(it, 1, &q.last_man_standing_window_ms);
    if (k == "auto_tie_breaker") return get_bool(it, true, &q.auto_tie_breaker);
    if (k == "allow_downscale") return get_bool(it, true, &q.allow_downscale);
    if (k == "auto_tie_breaker_node") {
      atb_node_at_ = it.where;
      q.auto_tie_breaker_list.clear();
      if (it.value == "lowest" || it.value == "highest") {
        q.auto_tie_breaker_node = it.value == "lowest" ? TieBreaker::kLowest : TieBreaker::kHighest;
        return {};
      }
      std::istringstream words(it.value);
      std::string w;
      while (words >> w) {
        const auto id = whole_number(w);
        if (!id || *id == 0 || *id > kU32Max) {
          q.auto_tie_breaker_list.clear();
          break;
        }
        q.auto_tie_breaker_list.push_back(static_cast<uint32_t>(*id));
      }
      if (q.auto_tie_breaker_list.empty()) {
        return bad_value(it, "lowest, highest or a space-separated list of nodeids");
      }
      q.auto_tie_breaker_node = TieBreaker::kList;
      return {};
    }
    unknown_key(it, "quorum", kIgnoredQuorumKeys);
    return {};
  }

  Status quorum_section(const ConfSection& s) {
    if (s.name == "device") {
      warn(s.where,
           "section 'device' in section 'quorum' is not supported by Quorate and is ignored "
           "(no quorum device votes are counted)");
    } else {
      unknown_section(s, "quorum");
    }
    return {};
  }

  Status finish_quorum() {
    QuorumConfig& q = cfg_.quorum;
    const size_t n = cfg_.nodes.size();
    if (q.provider.empty()) {
      if (any_quorum_key_) {
        warn(*quorum_at_, "quorum settings are ignored without 'provider: corosync_votequorum'");
      }
      return {};
    }
    const ConfLocation at = *quorum_at_;
    if (q.two_node && n > 2) {
      warn(*seen("quorum.two_node"),
           fmt::format("two_node has no effect with {} nodes: votequorum applies it to two-node "
                       "clusters only (wait_for_all, which it turns on, stays on)",
                       n));
    }
    if (!q.auto_tie_breaker && atb_node_at_) {
      warn(*atb_node_at_, "auto_tie_breaker_node is meaningless while auto_tie_breaker is off");
    }
    if (q.auto_tie_breaker && q.two_node) {
      warn(*seen("quorum.two_node"),
           "two_node and auto_tie_breaker are not compatible: two_node is "
           "disabled, as Corosync does (wait_for_all stays on)");
      q.wait_for_all = q.wait_for_all.value_or(true);
      q.two_node = false;
    }
    if (q.auto_tie_breaker && total_votes_ % 2 == 1 && !q.wait_for_all_effective()) {
      if (q.last_man_standing) {
        return Error{
            fmt::format("{}: expected wait_for_all: 1 with auto_tie_breaker in a cluster with an "
                        "odd number of votes but found last_man_standing set and wait_for_all "
                        "off (Corosync refuses this: auto_tie_breaker & last_man_standing not "
                        "available in odd sized cluster)",
                        at.str())};
      }
      warn(*seen("quorum.auto_tie_breaker"),
           "auto_tie_breaker needs wait_for_all in a cluster with an "
           "odd number of votes; auto_tie_breaker is disabled, as "
           "Corosync does");
      q.auto_tie_breaker = false;
    }
    if (q.auto_tie_breaker && q.auto_tie_breaker_node == TieBreaker::kList) {
      for (uint32_t id : q.auto_tie_breaker_list) {
        if (!cfg_.find_node(id)) {
          warn(*atb_node_at_,
               fmt::format("auto_tie_breaker_node lists nodeid {}, which is not in the nodelist",
                           id));
        }
      }
    }
    return {};
  }

  // ---- logging -------------------------------------------------------------

  Status debug_value(const ConfItem& it, bool* on, bool* trace) {
    if (it.value == "trace") {
      *on = *trace = true;
      return {};
    }
    *trace = false;
    return get_enum<bool>(it, {{"on", true}, {"off", false}, {"trace", true}}, on);
  }

  Status logging_item(const ConfItem& it) {
    const std::string& k = it.key;
    LoggingConfig& l = cfg_.logging;
    if (k == "to_stderr") return get_bool(it, false, &l.to_stderr);
    if (k == "to_logfile") return get_bool(it, false, &l.to_logfile);
    if (k == "to_syslog") return get_bool(it, false, &l.to_syslog);
    if (k == "fileline") return get_bool(it, false, &l.fileline);
    if (k == "function_name") return get_bool(it, false, &l.function_name);
    if (k == "logfile") return get_word(it, "the path of the log file", &l.logfile);
    if (k == "debug") return debug_value(it, &l.debug, &l.debug_trace);
    if (k == "timestamp") {
      l.timestamp_hires = it.value == "hires";
      if (l.timestamp_hires) {
        l.timestamp = true;
        return {};
      }
      return get_enum<bool>(it, {{"on", true}, {"off", false}, {"hires", true}}, &l.timestamp);
    }
    if (k == "syslog_facility") {
      if (listed(kSyslogFacilities, it.value)) {
        l.syslog_facility = it.value;
        return {};
      }
      return bad_value(it, "a syslog facility (daemon, local0 to local7, user, ...)");
    }
    unknown_key(it, "logging", kIgnoredLoggingKeys);
    return {};
  }

  Status logging_section(const ConfSection& s) {
    if (s.name == "logging_daemon") {
      warn(s.where,
           "section 'logging_daemon' in section 'logging' is deprecated and ignored; use "
           "logger_subsys");
      return {};
    }
    if (s.name != "logger_subsys") {
      unknown_section(s, "logging");
      return {};
    }
    LoggerSubsys sub;
    for (const ConfItem& it : s.items) {
      bool b = false;
      Status st;
      if (it.key == "subsys") {
        st = get_word(it, "a subsystem name such as QUORUM or TOTEM", &sub.subsys);
      } else if (it.key == "debug") {
        bool trace = false;
        st = debug_value(it, &b, &trace);
        sub.debug = b;
      } else if (it.key == "to_stderr" || it.key == "to_logfile" || it.key == "to_syslog") {
        st = get_bool(it, false, &b);
        (it.key == "to_stderr"    ? sub.to_stderr
         : it.key == "to_logfile" ? sub.to_logfile
                                  : sub.to_syslog) = b;
      } else if (listed(kIgnoredLoggingKeys, it.key) || it.key == "logfile" ||
                 it.key == "syslog_facility") {
        ignored_key(it, "logging.logger_subsys");
      } else {
        unknown_key(it, "logging.logger_subsys");
      }
      if (!st.ok()) return st.error();
    }
    for (const ConfSection& inner : s.sections) unknown_section(inner, "logging.logger_subsys");
    if (sub.subsys.empty()) {
      return Error{fmt::format(
          "{}: expected a subsys key in this logger_subsys section but found none", s.where.str())};
    }
    cfg_.logging.subsystems.push_back(std::move(sub));
    return {};
  }

  Status finish_logging() {
    const LoggingConfig& l = cfg_.logging;
    if (l.to_logfile && l.logfile.empty()) {
      return Error{
          fmt::format("{}: expected a logfile key in section 'logging' because to_logfile is "
                      "on but found none",
                      seen("logging.to_logfile")->str())};
    }
    return {};
  }

  const std::string& file_;
  std::vector<std::string>* warnings_;
  ClusterConfig cfg_;
  std::map<std::string, ConfLocation> seen_;  // "section.key" -> where (last)
  std::vector<NodeDraft> drafts_;
  std::map<size_t, ConfLocation> nodeid_at_, addr_at_;
  std::optional<ConfLocation> interface_at_, quorum_at_, atb_node_at_;
  std::optional<bool> secauth_;
  bool cipher_set_ = false, hash_set_ = false;
  bool transport_knet_ = false;
  bool clear_node_high_bit_ = false;
  bool any_quorum_key_ = false;
  uint32_t total_votes_ = 0;
};

uint32_t saturate(uint64_t v) { return v > kU32Max ? kU32Max : static_cast<uint32_t>(v); }

}  // namespace

EffectiveTimers effective_timers(const TotemTimers& t, size_t node_count) {
  EffectiveTimers e{};
  uint64_t token = t.token_ms;
  if (node_count > 2) token += static_cast<uint64_t>(node_count - 2) * t.token_coefficient_ms;
  e.token_ms = saturate(token);
  // The derivations of totemconfig.c, in the same floating point.
  const double rbl = t.token_retransmits_before_loss_const;
  e.token_retransmit_ms =
      t.token_retransmit_ms.value_or(static_cast<uint32_t>(e.token_ms / (rbl + 0.2)));
  const double hold = e.token_retransmit_ms * 0.8 - kHzTickMs;
  e.hold_ms = t.hold_ms.value_or(hold > 0 ? static_cast<uint32_t>(hold) : 0);
  const float consensus = static_cast<float>(1.2 * e.token_ms);
  e.consensus_ms = t.consensus_ms.value_or(
      consensus >= 4294967296.0f ? kU32Max : static_cast<uint32_t>(consensus));
  e.join_ms = t.join_ms;
  e.merge_ms = t.merge_ms;
  e.downcheck_ms = t.downcheck_ms;
  e.fail_recv_const = t.fail_recv_const;
  e.send_join_ms = t.send_join_ms;
  e.window_size = t.window_size;
  e.max_messages = t.max_messages;
  e.seqno_unchanged_const = t.seqno_unchanged_const;
  e.miss_count_const = t.miss_count_const;
  return e;
}

const NodeEntry* ClusterConfig::find_node(uint32_t nodeid) const {
  for (const NodeEntry& n : nodes) {
    if (n.nodeid == nodeid) return &n;
  }
  return nullptr;
}

const NodeEntry* ClusterConfig::find_node_by_name(const std::string& name_or_addr) const {
  for (const NodeEntry& n : nodes) {
    if (!n.name.empty() && n.name == name_or_addr) return &n;
  }
  for (const NodeEntry& n : nodes) {
    if (n.ring0_addr == name_or_addr) return &n;
  }
  return nullptr;
}

Result<ClusterConfig> parse_cluster_config(std::string_view text, const std::string& filename,
                                           std::vector<std::string>* warnings) {
  Result<ConfSection> tree = parse_conf(text, filename);
  if (!tree.ok()) return tree.error();
  Loader loader(filename, warnings);
  return loader.run(tree.value());
}

Result<ClusterConfig> load_cluster_config(const std::string& path,
                                          std::vector<std::string>* warnings) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{fmt::format("{}: cannot open: {}", path, std::strerror(errno))};
  std::string text;
  char buf[64 * 1024];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxFileBytes) {
      return Error{fmt::format("{}: expected a file of at most {} bytes but found a larger one",
                               path, kMaxFileBytes)};
    }
  }
  if (in.bad()) return Error{fmt::format("{}: cannot read: {}", path, std::strerror(errno))};
  return parse_cluster_config(text, path, warnings);
}

}  // namespace quorate::membership
