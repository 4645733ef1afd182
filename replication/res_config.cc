#include "replication/res_config.h"

#include <arpa/inet.h>
#include <glob.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "replication/res_lexer.h"

namespace quorate::replication {

// ---------------------------------------------------------------- enum names

namespace {

template <typename E, size_t N>
std::optional<E> lookup(const std::array<std::string_view, N>& names, std::string_view s) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == s) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr std::array<std::string_view, 7> kAfterSb0 = {
    "disconnect",           "discard-younger-primary", "discard-older-primary", "discard-zero-changes",
    "discard-least-changes", "discard-local",           "discard-remote"};
constexpr std::array<std::string_view, 5> kAfterSb1 = {"disconnect", "consensus", "violently-as0p",
                                                       "discard-secondary", "call-pri-lost-after-sb"};
constexpr std::array<std::string_view, 3> kAfterSb2 = {"disconnect", "violently-as0p", "call-pri-lost-after-sb"};
constexpr std::array<std::string_view, 5> kRrConflict = {"disconnect", "retry-connect", "violently",
                                                         "call-pri-lost", "auto-discard"};
constexpr std::array<std::string_view, 3> kFencing = {"dont-care", "resource-only", "resource-and-stonith"};
constexpr std::array<std::string_view, 3> kOnIoError = {"detach", "pass_on", "call-local-io-error"};
constexpr std::array<std::string_view, 3> kOnCongestion = {"block", "pull-ahead", "disconnect"};
constexpr std::array<std::string_view, 2> kOnNoData = {"io-error", "suspend-io"};
constexpr std::array<std::string_view, 2> kOnNoQuorum = {"suspend-io", "io-error"};
constexpr std::array<std::string_view, 3> kUsageCount = {"yes", "no", "ask"};

}  // namespace

std::string_view name(AfterSb0 v) { return kAfterSb0[static_cast<size_t>(v)]; }
std::string_view name(AfterSb1 v) { return kAfterSb1[static_cast<size_t>(v)]; }
std::string_view name(AfterSb2 v) { return kAfterSb2[static_cast<size_t>(v)]; }
std::string_view name(RrConflict v) { return kRrConflict[static_cast<size_t>(v)]; }
std::string_view name(Fencing v) { return kFencing[static_cast<size_t>(v)]; }
std::string_view name(OnIoError v) { return kOnIoError[static_cast<size_t>(v)]; }
std::string_view name(OnCongestion v) { return kOnCongestion[static_cast<size_t>(v)]; }
std::string_view name(OnNoDataAccessible v) { return kOnNoData[static_cast<size_t>(v)]; }
std::string_view name(OnNoQuorum v) { return kOnNoQuorum[static_cast<size_t>(v)]; }
std::string_view name(UsageCount v) { return kUsageCount[static_cast<size_t>(v)]; }
std::optional<AfterSb0> parse_after_sb_0pri(std::string_view s) { return lookup<AfterSb0>(kAfterSb0, s); }
std::optional<AfterSb1> parse_after_sb_1pri(std::string_view s) { return lookup<AfterSb1>(kAfterSb1, s); }
std::optional<AfterSb2> parse_after_sb_2pri(std::string_view s) { return lookup<AfterSb2>(kAfterSb2, s); }
std::optional<RrConflict> parse_rr_conflict(std::string_view s) { return lookup<RrConflict>(kRrConflict, s); }
std::optional<Fencing> parse_fencing(std::string_view s) { return lookup<Fencing>(kFencing, s); }
std::optional<OnIoError> parse_on_io_error(std::string_view s) { return lookup<OnIoError>(kOnIoError, s); }
std::optional<OnCongestion> parse_on_congestion(std::string_view s) {
  return lookup<OnCongestion>(kOnCongestion, s);
}
std::optional<OnNoDataAccessible> parse_on_no_data_accessible(std::string_view s) {
  return lookup<OnNoDataAccessible>(kOnNoData, s);
}
std::optional<OnNoQuorum> parse_on_no_quorum(std::string_view s) { return lookup<OnNoQuorum>(kOnNoQuorum, s); }
std::optional<UsageCount> parse_usage_count(std::string_view s) { return lookup<UsageCount>(kUsageCount, s); }
std::optional<Protocol> parse_protocol(std::string_view s) {
  if (s == "A") return Protocol::kA;
  if (s == "B") return Protocol::kB;
  if (s == "C") return Protocol::kC;
  return std::nullopt;
}

bool HostConfig::operator==(const HostConfig& o) const {
  return name == o.name && more_names == o.more_names && floating == o.floating && address == o.address &&
         port == o.port && ipv6 == o.ipv6 && address_from_cluster == o.address_from_cluster && device == o.device &&
         minor == o.minor && volume == o.volume && disk == o.disk && meta_disk == o.meta_disk && node_id == o.node_id;
}

bool ResourceConfig::operator==(const ResourceConfig& o) const {
  return name == o.name && hosts == o.hosts && net == o.net && disk == o.disk && startup == o.startup &&
         options == o.options && handlers == o.handlers;
}

const ResourceConfig* ReplicationConfig::find(std::string_view resource_name) const {
  for (const ResourceConfig& r : resources) {
    if (r.name == resource_name) return &r;
  }
  return nullptr;
}

namespace {

constexpr uint32_t kMaxMinor = 1048575;
constexpr int kMaxIncludeDepth = 8;
constexpr size_t kMaxFileBytes = 16u << 20;
constexpr size_t kMaxSecretChars = 64;

// ------------------------------------------------------------ value parsing

// One `key value...;` of an option section, kept until the effective values
// are computed (common first, then the resource).
struct Setting {
  std::string section;  // net | disk | startup | options | handlers
  std::string key;
  std::vector<std::string> args;
  std::string where;  // "FILE:LINE"
};

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

Error setting_error(const Setting& s, std::string_view what) {
  if (s.args.empty()) return Error{fmt::format("{}: {}: {}", s.where, s.key, what)};
  return Error{fmt::format("{}: {} {}: {}", s.where, s.key, join(s.args), what)};
}

// The unit a plain number is in; suffixes K/M/G/T (KiB...) and s (sectors) scale.
enum class Unit : uint8_t { kCount, kKiB, kSectors, kBytes, kSeconds, kDeciseconds };

uint64_t unit_bytes(Unit u) {
  switch (u) {
    case Unit::kKiB: return 1024;
    case Unit::kSectors: return 512;
    default: return 1;
  }
}

std::string_view unit_text(Unit u) {
  switch (u) {
    case Unit::kKiB: return " KiB/s";
    case Unit::kSectors: return " sectors";
    case Unit::kBytes: return " bytes";
    case Unit::kSeconds: return " s";
    case Unit::kDeciseconds: return " (0.1 s)";
    case Unit::kCount: return "";
  }
  return "";
}

std::optional<uint64_t> parse_digits(std::string_view s) {
  if (s.empty() || s.size() > 19) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

Result<uint64_t> number(const Setting& s, Unit unit, uint64_t min, uint64_t max, std::string_view unit_name = {}) {
  if (s.args.size() != 1) return setting_error(s, "expected one value");
  std::string_view text = s.args[0];
  uint64_t mult_bytes = 0;  // 0: no suffix
  const bool sized = unit == Unit::kKiB || unit == Unit::kSectors || unit == Unit::kBytes;
  if (sized && !text.empty()) {
    switch (text.back()) {
      case 'k': case 'K': mult_bytes = 1ull << 10; break;
      case 'm': case 'M': mult_bytes = 1ull << 20; break;
      case 'g': case 'G': mult_bytes = 1ull << 30; break;
      case 't': case 'T': mult_bytes = 1ull << 40; break;
      case 's': mult_bytes = 512; break;
      default: break;
    }
    if (mult_bytes != 0) text.remove_suffix(1);
  }
  std::optional<uint64_t> n = parse_digits(text);
  if (!n) {
    return setting_error(s, sized ? "not a number (digits with an optional K, M, G, T or s suffix)"
                                  : "not a whole number");
  }
  uint64_t v = *n;
  const std::string units = unit_name.empty() ? std::string(unit_text(unit)) : " " + std::string(unit_name);
  const Error range = setting_error(s, fmt::format("out of range {}..{}{}", min, max, units));
  if (mult_bytes != 0) {
    if (v > UINT64_MAX / mult_bytes) return range;
    const uint64_t bytes = v * mult_bytes;
    if (bytes % unit_bytes(unit) != 0) {
      return setting_error(s, fmt::format("not a whole number of{}", unit_text(unit)));
    }
    v = bytes / unit_bytes(unit);
  }
  if (v < min || v > max) return range;
  return v;
}

Result<bool> boolean(const Setting& s) {
  if (s.args.empty()) return true;  // `allow-two-primaries;`
  if (s.args.size() == 1 && s.args[0] == "yes") return true;
  if (s.args.size() == 1 && s.args[0] == "no") return false;
  return setting_error(s, "expected yes or no");
}

Result<std::string> one(const Setting& s) {
  if (s.args.size() != 1) return setting_error(s, "expected one value");
  return s.args[0];
}

template <typename E, size_t N>
Result<E> choice(const Setting& s, const std::array<std::string_view, N>& names) {
  if (s.args.size() != 1) return setting_error(s, "expected one value");
  if (std::optional<E> v = lookup<E>(names, s.args[0])) return *v;
  std::string list;
  for (std::string_view n : names) list += (list.empty() ? "" : ", ") + std::string(n);
  return setting_error(s, fmt::format("expected one of {}", list));
}

bool is_digest_alg(std::string_view a) { return a == "crc32c" || a == "md5" || a == "sha1" || a == "sha256"; }

// Assigns `out` from a Result, or returns its error from the enclosing function.
#define QR_ASSIGN(out, expr)          \
  do {                                \
    auto r_ = (expr);                 \
    if (!r_.ok()) return r_.error();  \
    (out) = std::move(r_).value();    \
  } while (0)

Status apply_net(NetOptions& n, const Setting& s) {
  const std::string& k = s.key;
  if (k == "protocol") {
    std::string v;
    QR_ASSIGN(v, one(s));
    std::optional<Protocol> p = parse_protocol(v);
    if (!p) return setting_error(s, "expected A, B or C");
    n.protocol = *p;
  } else if (k == "allow-two-primaries") {
    QR_ASSIGN(n.allow_two_primaries, boolean(s));
  } else if (k == "after-sb-0pri") {
    QR_ASSIGN(n.after_sb_0pri, choice<AfterSb0>(s, kAfterSb0));
  } else if (k == "after-sb-1pri") {
    QR_ASSIGN(n.after_sb_1pri, choice<AfterSb1>(s, kAfterSb1));
  } else if (k == "after-sb-2pri") {
    if (s.args.size() == 1 && (s.args[0] == "discard-secondary" || s.args[0] == "consensus")) {
      return setting_error(s, "not allowed when both nodes are Primary (disconnect, violently-as0p or "
                              "call-pri-lost-after-sb)");
    }
    QR_ASSIGN(n.after_sb_2pri, choice<AfterSb2>(s, kAfterSb2));
  } else if (k == "cram-hmac-alg") {
    std::string v;
    QR_ASSIGN(v, one(s));
    if (EVP_get_digestbyname(v.c_str()) == nullptr) return setting_error(s, "not a digest OpenSSL knows");
    n.cram_hmac_alg = v;
  } else if (k == "shared-secret") {
    std::string v;
    QR_ASSIGN(v, one(s));
    if (v.size() > kMaxSecretChars) {
      return Error{fmt::format("{}: shared-secret: {} characters, at most {} allowed", s.where, v.size(),
                               kMaxSecretChars)};
    }
    n.shared_secret = v;
  } else if (k == "ping-int") {
    QR_ASSIGN(n.ping_int_s, number(s, Unit::kSeconds, 1, 120));
  } else if (k == "ping-timeout") {
    QR_ASSIGN(n.ping_timeout_ds, number(s, Unit::kDeciseconds, 1, 300));
  } else if (k == "timeout") {
    QR_ASSIGN(n.timeout_ds, number(s, Unit::kDeciseconds, 1, 600));
  } else if (k == "connect-int") {
    QR_ASSIGN(n.connect_int_s, number(s, Unit::kSeconds, 1, 120));
  } else if (k == "ko-count") {
    QR_ASSIGN(n.ko_count, number(s, Unit::kCount, 0, 200));
  } else if (k == "max-buffers") {
    QR_ASSIGN(n.max_buffers, number(s, Unit::kCount, 32, 131072));
  } else if (k == "max-epoch-size") {
    QR_ASSIGN(n.max_epoch_size, number(s, Unit::kCount, 1, 20000));
  } else if (k == "verify-alg" || k == "csums-alg" || k == "data-integrity-alg") {
    std::string v;
    QR_ASSIGN(v, one(s));
    if (!is_digest_alg(v)) return setting_error(s, "not supported (crc32c, md5, sha1 or sha256)");
    (k == "verify-alg" ? n.verify_alg : k == "csums-alg" ? n.csums_alg : n.data_integrity_alg) = v;
  } else if (k == "rr-conflict") {
    QR_ASSIGN(n.rr_conflict, choice<RrConflict>(s, kRrConflict));
  } else if (k == "fencing") {
    QR_ASSIGN(n.fencing, choice<Fencing>(s, kFencing));
  } else if (k == "on-congestion") {
    QR_ASSIGN(n.on_congestion, choice<OnCongestion>(s, kOnCongestion));
  } else if (k == "congestion-fill") {
    QR_ASSIGN(n.congestion_fill_sectors, number(s, Unit::kSectors, 0, 20971520));
  } else if (k == "congestion-extents") {
    QR_ASSIGN(n.congestion_extents, number(s, Unit::kCount, 7, 65534));
  } else if (k == "tcp-cork") {
    QR_ASSIGN(n.tcp_cork, boolean(s));
  } else if (k == "use-rle") {
    QR_ASSIGN(n.use_rle, boolean(s));
  } else {
    assert(false && "key admitted by read_section but not applied");
  }
  return Status::Ok();
}

Status apply_disk(DiskOptions& d, const Setting& s) {
  const std::string& k = s.key;
  if (k == "on-io-error") {
    QR_ASSIGN(d.on_io_error, choice<OnIoError>(s, kOnIoError));
  } else if (k == "resync-rate") {
    QR_ASSIGN(d.resync_rate_kib_s, number(s, Unit::kKiB, 1, 4194304));
  } else if (k == "c-plan-ahead") {
    QR_ASSIGN(d.c_plan_ahead_ds, number(s, Unit::kDeciseconds, 0, 300));
  } else if (k == "c-fill-target") {
    QR_ASSIGN(d.c_fill_target_sectors, number(s, Unit::kSectors, 0, 1048576));
  } else if (k == "c-delay-target") {
    QR_ASSIGN(d.c_delay_target_ds, number(s, Unit::kDeciseconds, 1, 100));
  } else if (k == "c-min-rate") {
    QR_ASSIGN(d.c_min_rate_kib_s, number(s, Unit::kKiB, 0, 4194304));
  } else if (k == "c-max-rate") {
    QR_ASSIGN(d.c_max_rate_kib_s, number(s, Unit::kKiB, 250, 4194304));
  } else if (k == "al-extents") {
    QR_ASSIGN(d.al_extents, number(s, Unit::kCount, 7, 65534));
  } else if (k == "al-updates") {
    QR_ASSIGN(d.al_updates, boolean(s));
  } else if (k == "disk-barrier") {
    QR_ASSIGN(d.disk_barrier, boolean(s));
  } else if (k == "disk-flushes") {
    QR_ASSIGN(d.disk_flushes, boolean(s));
  } else if (k == "disk-drain") {
    QR_ASSIGN(d.disk_drain, boolean(s));
  } else if (k == "md-flushes") {
    QR_ASSIGN(d.md_flushes, boolean(s));
  } else if (k == "resync-after") {
    QR_ASSIGN(d.resync_after, one(s));
    if (d.resync_after == "-1" || d.resync_after == "none") d.resync_after.clear();  // 8.3's "no dependency"
  } else if (k == "size") {
    uint64_t v = 0;
    QR_ASSIGN(v, number(s, Unit::kSectors, 0, 1ull << 41));  // 1 PiB
    if (v == 0) {
      d.size_sectors.reset();  // 0: the whole device, as DRBD's default
    } else {
      d.size_sectors = v;
    }
  } else {
    assert(false && "key admitted by read_section but not applied");
  }
  return Status::Ok();
}

Status apply_startup(StartupOptions& st, const Setting& s) {
  const std::string& k = s.key;
  if (k == "wfc-timeout") {
    QR_ASSIGN(st.wfc_timeout_s, number(s, Unit::kSeconds, 0, 300));
  } else if (k == "degr-wfc-timeout") {
    QR_ASSIGN(st.degr_wfc_timeout_s, number(s, Unit::kSeconds, 0, 300));
  } else if (k == "outdated-wfc-timeout") {
    QR_ASSIGN(st.outdated_wfc_timeout_s, number(s, Unit::kSeconds, 0, 300));
  } else if (k == "wait-after-sb") {
    QR_ASSIGN(st.wait_after_sb, boolean(s));
  } else if (k == "become-primary-on") {
    if (s.args.empty()) return setting_error(s, "expected host names or 'both'");
    st.become_primary_on = s.args;
  } else {
    assert(false && "key admitted by read_section but not applied");
  }
  return Status::Ok();
}

Status apply_options(ResourceOptions& o, const Setting& s) {
  const std::string& k = s.key;
  if (k == "on-no-data-accessible") {
    QR_ASSIGN(o.on_no_data_accessible, choice<OnNoDataAccessible>(s, kOnNoData));
  } else if (k == "auto-promote") {
    QR_ASSIGN(o.auto_promote, boolean(s));
  } else if (k == "quorum") {
    std::string v;
    QR_ASSIGN(v, one(s));
    if (v != "off" && v != "majority" && v != "all") {
      std::optional<uint64_t> n = parse_digits(v);
      if (!n || *n < 1 || *n > 32) return setting_error(s, "expected off, majority, all or 1..32");
    }
    o.quorum = v;
  } else if (k == "on-no-quorum") {
    QR_ASSIGN(o.on_no_quorum, choice<OnNoQuorum>(s, kOnNoQuorum));
  } else {
    assert(false && "key admitted by read_section but not applied");
  }
  return Status::Ok();
}

// Keys each section stores, and known DRBD keys Quorate reads past with a warning.
struct SectionKeys {
  std::string_view section;
  std::vector<std::string_view> known;
  std::vector<std::string_view> ignored;
};

const std::vector<SectionKeys>& section_keys() {
  static const std::vector<SectionKeys> kKeys = {
      {"net",
       {"protocol", "allow-two-primaries", "after-sb-0pri", "after-sb-1pri", "after-sb-2pri", "cram-hmac-alg",
        "shared-secret", "ping-int", "ping-timeout", "timeout", "connect-int", "ko-count", "max-buffers",
        "max-epoch-size", "verify-alg", "csums-alg", "data-integrity-alg", "rr-conflict", "fencing",
        "on-congestion", "congestion-fill", "congestion-extents", "tcp-cork", "use-rle"},
       {"sndbuf-size", "rcvbuf-size", "unplug-watermark", "always-asbp", "discard-my-data",
        "csums-after-crash-only", "socket-check-timeout", "transport", "allow-remote-read", "max-bio-size"}},
      {"disk",
       {"on-io-error", "resync-rate", "c-plan-ahead", "c-fill-target", "c-delay-target", "c-min-rate",
        "c-max-rate", "al-extents", "al-updates", "disk-barrier", "disk-flushes", "disk-drain", "md-flushes",
        "resync-after", "size"},
       {"disk-timeout", "read-balancing", "max-bio-bvecs", "discard-zeroes-if-aligned", "rs-discard-granularity",
        "disable-write-same", "use-bmbv"}},
      {"startup",
       {"wfc-timeout", "degr-wfc-timeout", "outdated-wfc-timeout", "wait-after-sb", "become-primary-on"},
       {"stacked-timeouts"}},
      {"options",
       {"on-no-data-accessible", "auto-promote", "quorum", "on-no-quorum"},
       {"cpu-mask", "peer-ack-window", "peer-ack-delay", "twopc-timeout", "twopc-retry-timeout", "max-io-depth",
        "quorum-minimum-redundancy", "on-suspended-primary-outdated", "auto-promote-timeout"}},
  };
  return kKeys;
}

bool contains(const std::vector<std::string_view>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Keys Quorate stores (and `dump` shows) without having the behaviour they
// select: any value but the ones matching what Quorate does gets a warning
// that says what happens instead. The defaults never warn.
struct Unacted {
  std::string_view section, key;
  std::vector<std::string_view> matching;  // values that describe what Quorate does
  std::string_view instead;
};

const std::vector<Unacted>& unacted_keys() {
  static const std::vector<Unacted> kKeys = {
      {"net", "ko-count", {"7"}, "the peer is dropped when nothing has come back from it for `timeout`"},
      {"net", "csums-alg", {}, "checksum-based resync is not implemented; a resync sends every out-of-sync block"},
      {"net", "data-integrity-alg", {}, "not implemented; replicated data carries only TCP's checksum"},
      {"net", "rr-conflict", {"disconnect"}, "a resync that would overwrite a Primary always disconnects"},
      {"net", "on-congestion", {"block"}, "protocol A waits when the send buffer is full (block)"},
      {"net", "tcp-cork", {"yes"}, "the peer socket's batching is Quorate's own"},
      {"net", "use-rle", {"yes"}, "bitmaps always go run-length encoded"},
      {"disk", "resync-after", {"-1", "none"}, "resyncs of different resources run independently"},
      {"disk", "disk-barrier", {"no"}, "write order is kept with flushes (disk-flushes) or by draining"},
      {"disk", "disk-drain", {"yes"}, "with disk-flushes no, writes are drained (wo:d)"},
      {"disk", "md-flushes", {"yes"}, "meta-data writes are always flushed"},
      {"startup", "wfc-timeout", {"0"}, "quorated does not wait for the peer at start"},
      {"startup", "degr-wfc-timeout", {"0"}, "quorated does not wait for the peer at start"},
      {"startup", "outdated-wfc-timeout", {"0"}, "quorated does not wait for the peer at start"},
      {"startup", "wait-after-sb", {"no"}, "quorated does not wait for the peer at start"},
      {"startup", "become-primary-on", {}, "promotion is left to the cluster's resource manager (a promotable resource)"},
      {"options", "on-no-data-accessible", {"io-error"}, "I/O without accessible data fails (io-error)"},
      {"options", "quorum", {"off"}, "a replicated volume keeps no quorum of its own; use fencing"},
  };
  return kKeys;
}

// Handlers Quorate's replication engine runs; the others are kept but never called.
constexpr std::array<std::string_view, 9> kCalledHandlers = {
    "fence-peer",  "local-io-error",       "split-brain",         "initial-split-brain", "pri-lost-after-sb",
    "out-of-sync", "before-resync-target", "after-resync-target", "pri-on-incon-degr"};

constexpr std::array<std::string_view, 17> kHandlers = {
    "pri-on-incon-degr",    "pri-lost-after-sb",   "pri-lost",        "fence-peer",
    "unfence-peer",         "outdate-peer",        "local-io-error",  "split-brain",
    "initial-split-brain",  "before-resync-target", "after-resync-target", "before-resync-source",
    "out-of-sync",          "quorum-lost",         "disconnected",    "after-resync-source",
    "before-resync-source-start"};

Status apply_setting(ResourceConfig& r, const Setting& s) {
  if (s.section == "net") return apply_net(r.net, s);
  if (s.section == "disk") return apply_disk(r.disk, s);
  if (s.section == "startup") return apply_startup(r.startup, s);
  if (s.section == "options") return apply_options(r.options, s);
  assert(s.section == "handlers");
  if (s.args.size() != 1) return setting_error(s, "expected one command string");
  r.handlers[s.key] = s.args[0];
  return Status::Ok();
}

// ----------------------------------------------------------- address, device

struct Address {
  std::string host;
  uint16_t port = 0;
  bool ipv6 = false;
};

bool is_ip(const std::string& a, bool v6) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(v6 ? AF_INET6 : AF_INET, a.c_str(), buf.data()) == 1;
}

std::optional<uint16_t> parse_port(std::string_view s) {
  std::optional<uint64_t> p = parse_digits(s);
  if (!p || *p < 1 || *p > 65535) return std::nullopt;
  return static_cast<uint16_t>(*p);
}

// `[ipv4|ipv6] ADDR:PORT` (IPv6 in brackets).
Result<Address> parse_address(const std::vector<std::string>& args, const std::string& where) {
  auto fail = [&](std::string_view what) {
    return Error{fmt::format("{}: address {}: {}", where, join(args), what)};
  };
  size_t i = 0;
  std::optional<bool> family_v6;
  if (args.size() == 2) {
    if (args[0] == "ipv4") family_v6 = false;
    else if (args[0] == "ipv6") family_v6 = true;
    else if (args[0] == "ssocks" || args[0] == "sdp" || args[0] == "sci") {
      return fail("address family not supported (ipv4 or ipv6)");
    } else {
      return fail("expected [ipv4|ipv6] ADDRESS:PORT");
    }
    i = 1;
  } else if (args.size() != 1) {
    return fail("expected [ipv4|ipv6] ADDRESS:PORT");
  }
  const std::string& text = args[i];
  Address a;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find("]:");
    if (close == std::string::npos) return fail("expected [IPV6]:PORT");
    a.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    a.ipv6 = true;
    if (family_v6 == false) return fail("an IPv6 address after 'ipv4'");
  } else {
    const size_t colon = text.rfind(':');
    if (colon == std::string::npos) return fail("expected ADDRESS:PORT");
    a.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (family_v6 == true) return fail("an IPv6 address is written in brackets: ipv6 [fd00::1]:7789");
  }
  if (!is_ip(a.host, a.ipv6)) return fail(a.ipv6 ? "not an IPv6 address" : "not an IPv4 address");
  std::optional<uint16_t> p = parse_port(port);
  if (!p) return fail("port out of range 1..65535");
  a.port = *p;
  return a;
}

// The per-volume fields a host takes from itself, its resource or common.
struct VolumeFields {
  std::optional<std::string> device;
  std::optional<uint32_t> minor;
  std::optional<std::string> disk;
  std::optional<MetaDisk> meta_disk;
  void override_with(const VolumeFields& o) {
    if (o.device) {
      device = o.device;
      minor = o.minor;
    }
    if (o.disk) disk = o.disk;
    if (o.meta_disk) meta_disk = o.meta_disk;
  }
};

std::optional<uint32_t> parse_minor(std::string_view s) {
  std::optional<uint64_t> m = parse_digits(s);
  if (!m || *m > kMaxMinor) return std::nullopt;
  return static_cast<uint32_t>(*m);
}

// --------------------------------------------------------------- the reader

struct HostDraft {
  HostConfig host;
  bool has_address = false;
  VolumeFields vol;
};

struct ConnHost {
  std::string name;
  std::optional<Address> address;
  std::optional<uint16_t> port;
  std::string where;
};

struct ResourceDraft {
  std::string name;
  std::string where;
  std::vector<Setting> settings;       // the resource's own sections
  std::vector<Setting> conn_settings;  // 9 `connection { net { } }`, applied last
  VolumeFields vol;
  std::vector<HostDraft> hosts;
  std::vector<ConnHost> conn_hosts;
  std::optional<uint32_t> volume;  // the one volume number used
  bool has_connection = false;
};

struct Drafts {
  GlobalOptions global;
  std::string global_where;
  std::string common_where;
  std::vector<Setting> common_settings;
  VolumeFields common_vol;
  std::vector<ResourceDraft> resources;
};

using IncludeFn = std::function<Status(const std::string& pattern, const std::string& where)>;

class Reader {
 public:
  Reader(Drafts& drafts, const std::string& file, std::vector<std::string>* warnings, IncludeFn include)
      : d_(drafts), file_(file), warnings_(warnings), include_(std::move(include)) {}

  Status read_top(const std::vector<ResStatement>& top) {
    for (const ResStatement& st : top) {
      const std::string& k = st.words[0].text;
      const std::string where = at(st.words[0]);
      if (k == "include") {
        if (st.has_block || st.words.size() != 2) return err(st.words[0], "expected include \"PATTERN\";");
        if (include_) {
          if (Status s = include_(st.words[1].text, where); !s.ok()) return s;
        } else {
          warn(st.words[0], fmt::format("include \"{}\" not followed (one text is parsed)", st.words[1].text));
        }
      } else if (k == "global") {
        if (Status s = read_global(st); !s.ok()) return s;
      } else if (k == "common") {
        if (!st.has_block || st.words.size() != 1) return err(st.words[0], "expected common { ... }");
        if (!d_.common_where.empty()) {
          return err(st.words[0], fmt::format("second common section (first at {})", d_.common_where));
        }
        d_.common_where = where;
        if (Status s = read_resource_body(st, nullptr, &d_.common_settings, &d_.common_vol); !s.ok()) return s;
      } else if (k == "resource") {
        if (!st.has_block || st.words.size() != 2) return err(st.words[0], "expected resource NAME { ... }");
        if (Status s = no_backticks(st); !s.ok()) return s;
        ResourceDraft r;
        r.name = st.words[1].text;
        r.where = where;
        for (const ResourceDraft& other : d_.resources) {
          if (other.name == r.name) {
            return err(st.words[0], fmt::format("resource {} defined twice (first at {})", r.name, other.where));
          }
        }
        if (Status s = read_resource_body(st, &r, &r.settings, &r.vol); !s.ok()) return s;
        d_.resources.push_back(std::move(r));
      } else if (k == "skip") {
        // DRBD's way to comment out a section.
      } else {
        return err(st.words[0], fmt::format("unknown keyword '{}' (expected global, common, resource or include)", k));
      }
    }
    return Status::Ok();
  }

 private:
  std::string at(const ResWord& w) const { return fmt::format("{}:{}", file_, w.line); }
  Error err(const ResWord& w, const std::string& what) const { return Error{fmt::format("{}: {}", at(w), what)}; }
  void warn(const ResWord& w, const std::string& what) {
    if (warnings_ != nullptr) warnings_->push_back(fmt::format("{}: {}", at(w), what));
  }

  static std::vector<std::string> args_of(const ResStatement& st) {
    std::vector<std::string> a;
    for (size_t i = 1; i < st.words.size(); ++i) a.push_back(st.words[i].text);
    return a;
  }

  Status no_backticks(const ResStatement& st) {
    for (const ResWord& w : st.words) {
      if (w.backticked) return err(w, fmt::format("`{}`: backticks are only read around host names", w.text));
    }
    return Status::Ok();
  }

  Status read_global(const ResStatement& st) {
    if (!st.has_block || st.words.size() != 1) return err(st.words[0], "expected global { ... }");
    if (!d_.global_where.empty()) {
      return err(st.words[0], fmt::format("second global section (first at {})", d_.global_where));
    }
    d_.global_where = at(st.words[0]);
    for (const ResStatement& c : st.block) {
      if (c.has_block) return err(c.words[0], fmt::format("unexpected section '{}' in global", c.words[0].text));
      if (Status s = no_backticks(c); !s.ok()) return s;
      const Setting s{"global", c.words[0].text, args_of(c), at(c.words[0])};
      if (s.key == "usage-count") {
        QR_ASSIGN(d_.global.usage_count, choice<UsageCount>(s, kUsageCount));
      } else if (s.key == "minor-count") {
        QR_ASSIGN(d_.global.minor_count, number(s, Unit::kCount, 1, 255));
      } else if (s.key == "dialog-refresh") {
        QR_ASSIGN(d_.global.dialog_refresh_s, number(s, Unit::kSeconds, 0, 600));
      } else if (s.key == "disable-ip-verification") {
        QR_ASSIGN(d_.global.disable_ip_verification, boolean(s));
      } else if (s.key == "udev-always-use-vnr") {
        QR_ASSIGN(d_.global.udev_always_use_vnr, boolean(s));
      } else if (s.key == "cmd-timeout-short" || s.key == "cmd-timeout-medium" || s.key == "cmd-timeout-long") {
        warn(c.words[0], fmt::format("global {}: known DRBD option, ignored by Quorate", s.key));
      } else {
        return err(c.words[0], fmt::format("unknown key '{}' in global section", s.key));
      }
    }
    return Status::Ok();
  }

  // An option section (net, disk, startup, options, handlers, syncer).
  Status read_section(const ResStatement& st, std::vector<Setting>* out) {
    const std::string section = st.words[0].text;
    if (!st.has_block) return err(st.words[0], fmt::format("expected {} {{ ... }}", section));
    if (st.words.size() != 1) return err(st.words[1], fmt::format("unexpected '{}' after {}", st.words[1].text, section));
    for (const ResStatement& c : st.block) {
      const ResWord& kw = c.words[0];
      if (c.has_block) return err(kw, fmt::format("unexpected section '{}' in {}", kw.text, section));
      if (Status s = no_backticks(c); !s.ok()) return s;
      Setting s{section, kw.text, args_of(c), at(kw)};
      if (section == "handlers") {
        if (!contains(std::vector<std::string_view>(kHandlers.begin(), kHandlers.end()), s.key)) {
          warn(kw, fmt::format("handler '{}' is not one DRBD calls; kept", s.key));
        } else if (!contains(std::vector<std::string_view>(kCalledHandlers.begin(), kCalledHandlers.end()),
                             s.key)) {
          warn(kw, fmt::format("handler '{}': kept, but Quorate never runs it", s.key));
        }
        out->push_back(std::move(s));
        continue;
      }
      if (section == "syncer") {  // 8.3 compatibility: the keys moved to disk/net/options in 8.4
        if (s.key == "rate") {
          s.key = "resync-rate";
          s.section = "disk";
        } else if (s.key == "after") {
          s.key = "resync-after";
          s.section = "disk";
        } else if (s.key == "al-extents" || s.key.rfind("c-", 0) == 0) {
          s.section = "disk";
        } else if (s.key == "verify-alg" || s.key == "csums-alg" || s.key == "use-rle" ||
                   s.key == "data-integrity-alg") {
          s.section = "net";
        } else if (s.key == "on-no-data-accessible" || s.key == "cpu-mask") {
          s.section = "options";
        } else if (s.key == "delay-probe-volume" || s.key == "delay-probe-interval") {
          warn(kw, fmt::format("syncer {}: known DRBD option, ignored by Quorate", s.key));
          continue;
        } else {
          return err(kw, fmt::format("unknown key '{}' in syncer section", s.key));
        }
      }
      if (s.section == "disk" && s.key == "fencing") {
        warn(kw, "fencing in the disk section is DRBD 8.4's placement (9: net); read as net fencing");
        s.section = "net";
      }
      const SectionKeys* keys = nullptr;
      for (const SectionKeys& sk : section_keys()) {
        if (sk.section == s.section) keys = &sk;
      }
      assert(keys != nullptr);
      if (contains(keys->ignored, s.key)) {
        warn(kw, fmt::format("{} {}: known DRBD option, ignored by Quorate", s.section, s.key));
        continue;
      }
      if (!contains(keys->known, s.key)) {
        return err(kw, fmt::format("unknown key '{}' in {} section", s.key, section));
      }
      for (const Unacted& u : unacted_keys()) {
        // A bare flag (`use-rle;`) means yes.
        const std::string value = s.args.empty() ? std::string("yes") : join(s.args);
        if (u.section == s.section && u.key == s.key && !contains(u.matching, value)) {
          warn(kw, fmt::format("{} {}{}{}: not acted on by Quorate: {}", s.section, s.key, s.args.empty() ? "" : " ",
                               join(s.args), u.instead));
        }
      }
      out->push_back(std::move(s));
    }
    return Status::Ok();
  }

  // device / disk PATH / meta-disk / flexible-meta-disk. Returns false if `st` is none of them.
  Result<bool> read_volume_field(const ResStatement& st, VolumeFields* vol) {
    const std::string& k = st.words[0].text;
    if (k != "device" && !(k == "disk" && !st.has_block) && k != "meta-disk" && k != "flexible-meta-disk") {
      return false;
    }
    if (st.has_block) return err(st.words[0], fmt::format("unexpected '{{' after {}", k));
    if (Status s = no_backticks(st); !s.ok()) return s.error();
    const std::vector<std::string> a = args_of(st);
    auto fail = [&](std::string_view what) { return err(st.words[0], fmt::format("{} {}: {}", k, join(a), what)); };
    if (k == "device") {
      std::string path;
      std::optional<uint32_t> minor;
      if (a.size() == 1) {
        path = a[0];
        if (path.rfind("/dev/drbd", 0) == 0) minor = parse_minor(std::string_view(path).substr(9));
        if (!minor) return fail("cannot tell the minor (write /dev/drbdN, or PATH minor N)");
      } else if (a.size() == 2 && a[0] == "minor") {
        minor = parse_minor(a[1]);
        path = fmt::format("/dev/drbd{}", minor.value_or(0));
      } else if (a.size() == 3 && a[1] == "minor") {
        path = a[0];
        minor = parse_minor(a[2]);
      } else {
        return fail("expected /dev/drbdN, /dev/NAME minor N or minor N");
      }
      if (!minor) return fail(fmt::format("minor out of range 0..{}", kMaxMinor));
      vol->device = path;
      vol->minor = *minor;
    } else if (k == "disk") {
      if (a.size() != 1 || a[0].empty()) return fail("expected one path");
      vol->disk = a[0];
    } else {
      MetaDisk m;
      if (a.empty() || a.size() > 2) return fail("expected internal, PATH or PATH[INDEX]");
      std::string path = a[0];
      std::optional<std::string> index_text;
      if (a.size() == 2) {
        if (a[1].size() < 3 || a[1].front() != '[' || a[1].back() != ']') return fail("expected PATH [INDEX]");
        index_text = a[1].substr(1, a[1].size() - 2);
      } else if (!st.words[1].quoted && path.size() > 3 && path.back() == ']') {
        const size_t open = path.rfind('[');
        if (open == std::string::npos || open == 0) return fail("expected PATH[INDEX]");
        index_text = path.substr(open + 1, path.size() - open - 2);
        path.resize(open);
      }
      if (path == "internal") {
        if (index_text) return fail("internal meta data takes no index");
        m.kind = MetaDisk::Kind::kInternal;
      } else {
        if (path.empty()) return fail("expected a path");
        m.kind = k == "flexible-meta-disk" ? MetaDisk::Kind::kFlexible : MetaDisk::Kind::kExternal;
        m.path = path;
        if (index_text) {
          if (k == "flexible-meta-disk") return fail("flexible meta data takes no index");
          std::optional<uint64_t> idx = parse_digits(*index_text);
          if (!idx || *idx > 255) return fail("index out of range 0..255");
          m.index = static_cast<uint32_t>(*idx);
        }
      }
      vol->meta_disk = m;
    }
    return true;
  }

  Status read_volume(const ResStatement& st, ResourceDraft* r, VolumeFields* vol, std::vector<Setting>* settings) {
    if (!st.has_block || st.words.size() != 2) return err(st.words[0], "expected volume N { ... }");
    std::optional<uint64_t> n = parse_digits(st.words[1].text);
    if (!n || *n > 65535) return err(st.words[1], fmt::format("volume {}: expected 0..65535", st.words[1].text));
    const auto number_v = static_cast<uint32_t>(*n);
    if (r->volume && *r->volume != number_v) {
      return err(st.words[0], fmt::format("resource {}: more than one volume ({} and {}) is not supported yet",
                                          r->name, *r->volume, number_v));
    }
    r->volume = number_v;
    for (const ResStatement& c : st.block) {
      Result<bool> handled = read_volume_field(c, vol);
      if (!handled.ok()) return handled.error();
      if (handled.value()) continue;
      if (c.words[0].text == "disk" && c.has_block) {
        if (Status s = read_section(c, settings); !s.ok()) return s;
        continue;
      }
      return err(c.words[0], fmt::format("unknown key '{}' in volume section", c.words[0].text));
    }
    return Status::Ok();
  }

  Status read_host(const ResStatement& st, ResourceDraft* r) {
    HostDraft h;
    const ResWord& kw = st.words[0];
    h.host.where = at(kw);
    if (!st.has_block) return err(kw, fmt::format("expected {} ... {{ ... }}", kw.text));
    if (kw.text == "on") {
      if (st.words.size() < 2) return err(kw, "expected on HOSTNAME { ... }");
      for (size_t i = 1; i < st.words.size(); ++i) {
        const ResWord& w = st.words[i];
        if (w.backticked) warn(w, fmt::format("host name in backticks read as {}", w.text));
        if (w.text.empty()) return err(w, "empty host name");
        if (i == 1) h.host.name = w.text;
        else h.host.more_names.push_back(w.text);
      }
    } else {  // floating [af] ADDR:PORT
      if (Status s = no_backticks(st); !s.ok()) return s;
      const std::vector<std::string> a = args_of(st);
      Result<Address> addr = parse_address(a, at(kw));
      if (!addr.ok()) return addr.error();
      h.host.floating = true;
      h.host.name = a.back();
      h.host.address = addr->host;
      h.host.port = addr->port;
      h.host.ipv6 = addr->ipv6;
      h.has_address = true;
    }
    for (const HostDraft& other : r->hosts) {
      std::vector<std::string> names = other.host.more_names;
      names.push_back(other.host.name);
      for (const std::string& n : names) {
        if (n == h.host.name || contains(std::vector<std::string_view>(h.host.more_names.begin(),
                                                                        h.host.more_names.end()), n)) {
          return err(kw, fmt::format("resource {}: host {} defined twice (first at {})", r->name, n,
                                     other.host.where));
        }
      }
    }
    for (const ResStatement& c : st.block) {
      Result<bool> handled = read_volume_field(c, &h.vol);
      if (!handled.ok()) return handled.error();
      if (handled.value()) continue;
      const std::string& k = c.words[0].text;
      if (k == "volume") {
        if (Status s = read_volume(c, r, &h.vol, &r->settings); !s.ok()) return s;
        continue;
      }
      if (c.has_block) return err(c.words[0], fmt::format("unexpected section '{}' in {}", k, kw.text));
      if (Status s = no_backticks(c); !s.ok()) return s;
      if (k == "address") {
        if (h.host.floating) return err(c.words[0], "a floating section has its address in its header");
        Result<Address> addr = parse_address(args_of(c), at(c.words[0]));
        if (!addr.ok()) return addr.error();
        h.host.address = addr->host;
        h.host.port = addr->port;
        h.host.ipv6 = addr->ipv6;
        h.has_address = true;
      } else if (k == "node-id") {
        std::optional<uint64_t> id = c.words.size() == 2 ? parse_digits(c.words[1].text) : std::nullopt;
        if (!id || *id > 31) return err(c.words[0], fmt::format("node-id {}: expected 0..31", join(args_of(c))));
        h.host.node_id = static_cast<uint32_t>(*id);
      } else {
        return err(c.words[0], fmt::format("unknown key '{}' in {} section", k, kw.text));
      }
    }
    r->hosts.push_back(std::move(h));
    return Status::Ok();
  }

  // 9: `host NAME [address [af] ADDR[:PORT]] [port N];`
  Status read_conn_host(const ResStatement& c, ResourceDraft* r) {
    if (c.has_block || c.words.size() < 2) return err(c.words[0], "expected host NAME [address ...] [port N];");
    if (Status s = no_backticks(c); !s.ok()) return s;
    ConnHost h;
    h.name = c.words[1].text;
    h.where = at(c.words[0]);
    size_t i = 2;
    const std::vector<std::string> a = args_of(c);
    while (i < c.words.size()) {
      const std::string& k = c.words[i].text;
      if (k == "address" && i + 1 < c.words.size()) {
        std::vector<std::string> addr_args;
        ++i;
        if (c.words[i].text == "ipv4" || c.words[i].text == "ipv6") addr_args.push_back(c.words[i++].text);
        if (i >= c.words.size()) return err(c.words[0], fmt::format("host {}: address missing", join(a)));
        std::string text = c.words[i++].text;
        // The port may come separately (`port N`): make ADDR:PORT parseable with a placeholder.
        const bool bracketed = !text.empty() && text[0] == '[';
        const bool has_port = bracketed ? text.find("]:") != std::string::npos
                                        : text.find(':') != std::string::npos && text.find(':') == text.rfind(':');
        if (!has_port) text += ":1";
        addr_args.push_back(text);
        Result<Address> addr = parse_address(addr_args, h.where);
        if (!addr.ok()) return addr.error();
        h.address = addr.value();
        if (has_port) h.port = addr->port;
      } else if (k == "port" && i + 1 < c.words.size()) {
        std::optional<uint16_t> p = parse_port(c.words[i + 1].text);
        if (!p) return err(c.words[0], fmt::format("host {}: port out of range 1..65535", join(a)));
        h.port = *p;
        i += 2;
      } else {
        return err(c.words[0], fmt::format("host {}: unexpected '{}' (address [af] ADDR[:PORT] / port N; "
                                           "proxy and via are not supported)", join(a), k));
      }
    }
    r->conn_hosts.push_back(std::move(h));
    return Status::Ok();
  }

  Status read_connection(const ResStatement& st, ResourceDraft* r) {
    if (!st.has_block) return err(st.words[0], "expected connection { ... }");
    if (r->has_connection) {
      return err(st.words[0], fmt::format("resource {}: more than one connection is not supported yet", r->name));
    }
    r->has_connection = true;
    bool had_path = false;
    for (const ResStatement& c : st.block) {
      const std::string& k = c.words[0].text;
      if (k == "host") {
        if (Status s = read_conn_host(c, r); !s.ok()) return s;
      } else if (k == "net") {
        if (Status s = read_section(c, &r->conn_settings); !s.ok()) return s;
      } else if (k == "path" && c.has_block) {
        if (had_path) return err(c.words[0], fmt::format("resource {}: more than one path is not supported yet",
                                                         r->name));
        had_path = true;
        for (const ResStatement& p : c.block) {
          if (p.words[0].text != "host") return err(p.words[0], fmt::format("unknown key '{}' in path", p.words[0].text));
          if (Status s = read_conn_host(p, r); !s.ok()) return s;
        }
      } else if (k == "hosts" && st.words[0].text == "connection-mesh") {
        if (c.has_block) return err(c.words[0], "expected hosts NAME...;");
        if (c.words.size() != 3) {
          return err(c.words[0], fmt::format("resource {}: connection-mesh of {} hosts: more than two nodes are "
                                             "not supported yet", r->name, c.words.size() - 1));
        }
        for (size_t i = 1; i < c.words.size(); ++i) r->conn_hosts.push_back(ConnHost{c.words[i].text, {}, {}, at(c.words[i])});
      } else {
        return err(c.words[0], fmt::format("unknown key '{}' in {} section", k, st.words[0].text));
      }
    }
    return Status::Ok();
  }

  // The body of `resource NAME { }` (r set) or `common { }` (r null).
  Status read_resource_body(const ResStatement& st, ResourceDraft* r, std::vector<Setting>* settings,
                            VolumeFields* vol) {
    const std::string owner = r != nullptr ? "resource " + r->name : "common";
    for (const ResStatement& c : st.block) {
      Result<bool> handled = read_volume_field(c, vol);
      if (!handled.ok()) return handled.error();
      if (handled.value()) continue;
      const ResWord& kw = c.words[0];
      const std::string& k = kw.text;
      if (k == "protocol") {
        if (c.has_block) return err(kw, "expected protocol A|B|C;");
        settings->push_back(Setting{"net", "protocol", args_of(c), at(kw)});
      } else if (k == "net" || k == "disk" || k == "startup" || k == "options" || k == "handlers" ||
                 k == "syncer") {
        if (Status s = read_section(c, settings); !s.ok()) return s;
      } else if (k == "stacked-on-top-of") {
        return err(kw, fmt::format("{}: stacked-on-top-of (stacked resources) is not supported", owner));
      } else if (k == "on" || k == "floating" || k == "volume" || k == "connection" || k == "connection-mesh") {
        if (r == nullptr) return err(kw, fmt::format("'{}' is not allowed in common", k));
        Status s = k == "volume"                          ? read_volume(c, r, vol, settings)
                   : (k == "on" || k == "floating")       ? read_host(c, r)
                                                          : read_connection(c, r);
        if (!s.ok()) return s;
      } else {
        return err(kw, fmt::format("unknown key '{}' in {}", k, owner));
      }
    }
    return Status::Ok();
  }

  Drafts& d_;
  const std::string& file_;
  std::vector<std::string>* warnings_;
  IncludeFn include_;
};

// ----------------------------------------------------- effective resources

Result<ResourceConfig> build_resource(const Drafts& d, const ResourceDraft& rd) {
  ResourceConfig r;
  r.name = rd.name;
  r.where = rd.where;
  std::map<std::string, std::string> where_of;  // key -> where its effective value was set
  for (const std::vector<Setting>* list : {&d.common_settings, &rd.settings, &rd.conn_settings}) {
    for (const Setting& s : *list) {
      if (Status st = apply_setting(r, s); !st.ok()) return st.error();
      where_of[s.key] = s.where;
    }
  }
  for (const HostDraft& hd : rd.hosts) {
    HostConfig h = hd.host;
    VolumeFields v = d.common_vol;
    v.override_with(rd.vol);
    v.override_with(hd.vol);
    const std::string who = fmt::format("{}: resource {}, host {}", h.where, r.name, h.name);
    if (!v.device) return Error{who + ": no device (set it in the host section, the resource or common)"};
    if (!v.disk) return Error{who + ": no disk (set it in the host section, the resource or common)"};
    if (!v.meta_disk) return Error{who + ": no meta-disk (set it in the host section, the resource or common)"};
    h.device = *v.device;
    h.minor = *v.minor;
    h.disk = *v.disk;
    h.meta_disk = *v.meta_disk;
    h.volume = rd.volume.value_or(0);
    h.address_from_cluster = !hd.has_address;
    r.hosts.push_back(std::move(h));
  }
  auto find_host = [&r](const std::string& n) -> HostConfig* {
    for (HostConfig& h : r.hosts) {
      if (h.name == n || std::find(h.more_names.begin(), h.more_names.end(), n) != h.more_names.end()) return &h;
    }
    return nullptr;
  };
  for (const ConnHost& ch : rd.conn_hosts) {
    HostConfig* h = find_host(ch.name);
    if (h == nullptr) return Error{fmt::format("{}: resource {}: host {} has no 'on' section", ch.where, r.name, ch.name)};
    if (ch.address) {
      h->address = ch.address->host;
      h->ipv6 = ch.address->ipv6;
      h->address_from_cluster = false;
      if (!ch.port && h->port == 0) {
        return Error{fmt::format("{}: resource {}: host {}: address without a port", ch.where, r.name, ch.name)};
      }
    }
    if (ch.port) h->port = *ch.port;
  }
  if (r.hosts.size() > 2) {
    std::string names;
    for (const HostConfig& h : r.hosts) names += (names.empty() ? "" : ", ") + h.name;
    return Error{fmt::format("{}: resource {}: {} hosts ({}): more than one peer is not supported yet", r.where,
                             r.name, r.hosts.size(), names)};
  }
  if (r.hosts.size() < 2) {
    return Error{fmt::format("{}: resource {}: {} host section(s); a resource needs two (on HOST {{ ... }})", r.where,
                             r.name, r.hosts.size())};
  }
  const HostConfig& a = r.hosts[0];
  const HostConfig& b = r.hosts[1];
  if (a.node_id.has_value() != b.node_id.has_value()) {
    return Error{fmt::format("{}: resource {}: node-id set for {} but not for {}", r.where, r.name,
                             a.node_id ? a.name : b.name, a.node_id ? b.name : a.name)};
  }
  if (a.node_id && a.node_id == b.node_id) {
    return Error{fmt::format("{}: resource {}: hosts {} and {} have the same node-id {}", b.where, r.name, a.name,
                             b.name, *b.node_id)};
  }
  if (!a.floating && !b.floating && !a.address.empty() && a.address == b.address && a.port == b.port) {
    return Error{fmt::format("{}: resource {}: hosts {} and {} have the same address {}:{}", b.where, r.name,
                             a.name, b.name, b.address, b.port)};
  }
  if (r.net.allow_two_primaries && r.net.protocol != Protocol::kC) {
    return Error{fmt::format("{}: allow-two-primaries needs protocol C (protocol is {})",
                             where_of["allow-two-primaries"], letter(r.net.protocol))};
  }
  return r;
}

Result<ReplicationConfig> finish(const Drafts& d) {
  ReplicationConfig cfg;
  cfg.global = d.global;
  // Values of common are checked even when no resource uses them.
  ResourceConfig scratch;
  for (const Setting& s : d.common_settings) {
    if (Status st = apply_setting(scratch, s); !st.ok()) return st.error();
  }
  std::map<std::string, std::map<uint32_t, std::string>> minors;  // host -> minor -> resource
  for (const ResourceDraft& rd : d.resources) {
    Result<ResourceConfig> r = build_resource(d, rd);
    if (!r.ok()) return r.error();
    for (const HostConfig& h : r->hosts) {
      auto [it, fresh] = minors[h.name].emplace(h.minor, r->name);
      if (!fresh) {
        return Error{fmt::format("{}: resource {}: minor {} on host {} is already used by resource {}", h.where,
                                 r->name, h.minor, h.name, it->second)};
      }
    }
    cfg.resources.push_back(std::move(r).value());
  }
  return cfg;
}

// ------------------------------------------------------------------ loading

class Loader {
 public:
  explicit Loader(std::vector<std::string>* warnings) : warnings_(warnings) {}

  Status load(const std::string& path, const std::string& where, int depth) {
    std::array<char, PATH_MAX> real{};
    if (realpath(path.c_str(), real.data()) == nullptr) {
      return Error{fmt::format("{}: cannot read {}: {}", where.empty() ? path : where, path, std::strerror(errno))};
    }
    const std::string canonical(real.data());
    if (std::find(stack_.begin(), stack_.end(), canonical) != stack_.end()) {
      std::string chain;
      for (const std::string& s : stack_) chain += s + " -> ";
      return Error{fmt::format("{}: include cycle: {}{}", where, chain, canonical)};
    }
    if (depth > kMaxIncludeDepth) {
      return Error{fmt::format("{}: includes nested deeper than {} levels", where, kMaxIncludeDepth)};
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream buf;
    if (in) buf << in.rdbuf();
    if (!in || in.bad()) {
      return Error{fmt::format("{}: cannot read {}", where.empty() ? path : where, path)};
    }
    const std::string text = buf.str();
    if (text.size() > kMaxFileBytes) return Error{fmt::format("{}: file larger than 16 MiB", path)};
    Result<std::vector<ResStatement>> tree = parse_res_tree(text, path, warnings_);
    if (!tree.ok()) return tree.error();
    stack_.push_back(canonical);
    const std::string dir = path.find('/') == std::string::npos ? "." : path.substr(0, path.rfind('/'));
    Reader reader(drafts_, path, warnings_, [&](const std::string& pattern, const std::string& inc_where) {
      return include(dir, pattern, inc_where, depth);
    });
    Status s = reader.read_top(tree.value());
    stack_.pop_back();
    return s;
  }

  Drafts& drafts() { return drafts_; }

 private:
  Status include(const std::string& dir, const std::string& pattern, const std::string& where, int depth) {
    if (pattern.empty()) return Error{fmt::format("{}: include of an empty path", where)};
    const std::string full = pattern[0] == '/' ? pattern : (dir.empty() ? "/" : dir) + "/" + pattern;
    glob_t g{};
    const int rc = glob(full.c_str(), 0, nullptr, &g);
    std::vector<std::string> files;
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc == GLOB_NOMATCH) {
      if (pattern.find_first_of("*?[") != std::string::npos) return Status::Ok();
      return Error{fmt::format("{}: include \"{}\": no such file ({})", where, pattern, full)};
    }
    if (rc != 0) return Error{fmt::format("{}: include \"{}\": cannot expand", where, pattern)};
    for (const std::string& f : files) {
      if (Status s = load(f, where, depth + 1); !s.ok()) return s;
    }
    return Status::Ok();
  }

  std::vector<std::string>* warnings_;
  Drafts drafts_;
  std::vector<std::string> stack_;
};

}  // namespace

Status apply_override(ResourceConfig& r, std::string_view section, std::string_view key, std::string_view value) {
  Setting s;
  s.section = std::string(section);
  s.key = std::string(key);
  s.args = {std::string(value)};
  s.where = fmt::format("{}-options --{}", section, key);
  ResourceConfig next = r;
  if (section == "net") {
    if (Status st = apply_net(next.net, s); !st.ok()) return st;
  } else if (section == "disk") {
    if (Status st = apply_disk(next.disk, s); !st.ok()) return st;
  } else {
    return Error{fmt::format("no section '{}' for options (net or disk)", section)};
  }
  if (next.net.allow_two_primaries && next.net.protocol != Protocol::kC) {
    return Error{fmt::format("{}: allow-two-primaries needs protocol C (protocol is {})", s.where,
                             letter(next.net.protocol))};
  }
  r = std::move(next);
  return Status::Ok();
}

Result<ReplicationConfig> parse_replication_config(std::string_view text, const std::string& filename,
                                                   std::vector<std::string>* warnings) {
  Result<std::vector<ResStatement>> tree = parse_res_tree(text, filename, warnings);
  if (!tree.ok()) return tree.error();
  Drafts drafts;
  Reader reader(drafts, filename, warnings, nullptr);
  if (Status s = reader.read_top(tree.value()); !s.ok()) return s.error();
  return finish(drafts);
}

Result<ReplicationConfig> load_replication_config(const std::string& path, std::vector<std::string>* warnings) {
  Loader loader(warnings);
  if (Status s = loader.load(path, "", 0); !s.ok()) return s.error();
  return finish(loader.drafts());
}

Result<ReplicationConfig> load_replication_dir(const std::string& dir, std::vector<std::string>* warnings) {
  Loader loader(warnings);
  const std::string common = dir + "/global_common.conf";
  if (access(common.c_str(), F_OK) == 0) {
    if (Status s = loader.load(common, "", 0); !s.ok()) return s.error();
  }
  glob_t g{};
  const int rc = glob((dir + "/*.res").c_str(), 0, nullptr, &g);
  std::vector<std::string> files;
  if (rc == 0) {
    for (size_t i = 0; i < g.gl_pathc; ++i) files.emplace_back(g.gl_pathv[i]);
  }
  globfree(&g);
  if (rc != 0 && rc != GLOB_NOMATCH) return Error{fmt::format("{}: cannot list *.res files", dir)};
  for (const std::string& f : files) {
    if (Status s = loader.load(f, "", 0); !s.ok()) return s.error();
  }
  return finish(loader.drafts());
}

Result<std::pair<const HostConfig*, const HostConfig*>> local_and_peer(const ResourceConfig& resource,
                                                                       std::string_view node_name) {
  if (resource.hosts.size() != 2) {
    return Error{fmt::format("{}: resource {}: needs exactly two hosts", resource.where, resource.name)};
  }
  for (size_t i = 0; i < 2; ++i) {
    const HostConfig& h = resource.hosts[i];
    if (h.name == node_name ||
        std::find(h.more_names.begin(), h.more_names.end(), node_name) != h.more_names.end()) {
      return std::pair<const HostConfig*, const HostConfig*>(&h, &resource.hosts[1 - i]);
    }
  }
  return Error{fmt::format("{}: resource {}: no host named {} (hosts: {}, {})", resource.where, resource.name,
                           node_name, resource.hosts[0].name, resource.hosts[1].name)};
}

Status fill_missing_addresses(ResourceConfig& resource,
                              const std::function<std::optional<std::string>(const std::string& host)>& ip_of,
                              uint16_t port) {
  for (HostConfig& h : resource.hosts) {
    if (!h.address_from_cluster) continue;
    std::optional<std::string> ip = ip_of(h.name);
    const std::string who = fmt::format("{}: resource {}, host {}", h.where, resource.name, h.name);
    if (!ip) return Error{who + ": no address given and none in the cluster's nodelist"};
    std::string addr = *ip;
    if (addr.size() > 2 && addr.front() == '[' && addr.back() == ']') addr = addr.substr(1, addr.size() - 2);
    const bool v6 = addr.find(':') != std::string::npos;
    if (!is_ip(addr, v6)) return Error{fmt::format("{}: nodelist address {} is not an IP address", who, *ip)};
    uint32_t p = port != 0 ? port : (h.port != 0 ? h.port : 7788 + h.minor);
    if (p > 65535) return Error{fmt::format("{}: port 7788 + minor {} is above 65535", who, h.minor)};
    h.address = addr;
    h.ipv6 = v6;
    h.port = static_cast<uint16_t>(p);
  }
  return Status::Ok();
}

}  // namespace quorate::replication
