// The typed model of replicated-volume definitions written in DRBD's resource
// syntax (8.4 and 9 forms; docs/formats/drbd-resource-files.md), and the
// parser that builds it from /etc/quorate/replication.d/*.res or a drbd.conf
// with `include` directives.
//
// Every value in the model is the *effective* one: DRBD's default where the
// file says nothing, then `common`, then the resource, then the `on HOST`
// section. Units are in the field names (DRBD's own units: timeout in 0.1 s,
// resync-rate in KiB/s, size in 512-byte sectors).
//
// Errors and warnings read "FILE:LINE: what" (FILE as given or as resolved
// from an include). Parsing never throws and never aborts on bad input.
//
// Value types; not thread-safe. The functions keep no state between calls.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"
#include "replication/states.h"

namespace quorate::replication {

// Enumerated option values, named as DRBD spells them (name()/parse_*()).
enum class AfterSb0 : uint8_t {
  kDisconnect,
  kDiscardYoungerPrimary,
  kDiscardOlderPrimary,
  kDiscardZeroChanges,
  kDiscardLeastChanges,
  kDiscardLocal,
  kDiscardRemote,
};
enum class AfterSb1 : uint8_t {
  kDisconnect,
  kConsensus,
  kViolentlyAs0p,
  kDiscardSecondary,
  kCallPriLostAfterSb,
};
enum class AfterSb2 : uint8_t { kDisconnect, kViolentlyAs0p, kCallPriLostAfterSb };
enum class RrConflict : uint8_t { kDisconnect, kRetryConnect, kViolently, kCallPriLost, kAutoDiscard };
enum class Fencing : uint8_t { kDontCare, kResourceOnly, kResourceAndStonith };
enum class OnIoError : uint8_t { kDetach, kPassOn, kCallLocalIoError };
enum class OnCongestion : uint8_t { kBlock, kPullAhead, kDisconnect };
enum class OnNoDataAccessible : uint8_t { kIoError, kSuspendIo };
enum class OnNoQuorum : uint8_t { kSuspendIo, kIoError };
enum class UsageCount : uint8_t { kYes, kNo, kAsk };

std::string_view name(AfterSb0 v);
std::string_view name(AfterSb1 v);
std::string_view name(AfterSb2 v);
std::string_view name(RrConflict v);
std::string_view name(Fencing v);
std::string_view name(OnIoError v);
std::string_view name(OnCongestion v);
std::string_view name(OnNoDataAccessible v);
std::string_view name(OnNoQuorum v);
std::string_view name(UsageCount v);
std::optional<AfterSb0> parse_after_sb_0pri(std::string_view s);
std::optional<AfterSb1> parse_after_sb_1pri(std::string_view s);
std::optional<AfterSb2> parse_after_sb_2pri(std::string_view s);
std::optional<RrConflict> parse_rr_conflict(std::string_view s);
std::optional<Fencing> parse_fencing(std::string_view s);
std::optional<OnIoError> parse_on_io_error(std::string_view s);
std::optional<OnCongestion> parse_on_congestion(std::string_view s);
std::optional<OnNoDataAccessible> parse_on_no_data_accessible(std::string_view s);
std::optional<OnNoQuorum> parse_on_no_quorum(std::string_view s);
std::optional<UsageCount> parse_usage_count(std::string_view s);
std::optional<Protocol> parse_protocol(std::string_view s);  // "A" | "B" | "C"

struct MetaDisk {
  enum class Kind : uint8_t { kInternal, kExternal, kFlexible };
  Kind kind = Kind::kInternal;
  std::string path;               // empty for kInternal
  std::optional<uint32_t> index;  // `meta-disk PATH[INDEX]` (kExternal only)
  bool operator==(const MetaDisk&) const = default;
};

// One node's side of a resource (`on HOST { ... }` or 8.4 `floating ADDR:PORT`).
struct HostConfig {
  std::string name;                     // `on NAME`; for `floating`: "ADDR:PORT" as written
  std::vector<std::string> more_names;  // 9: `on a b { }` lists several names for one host
  bool floating = false;                // 8.4 `floating` section: matched by address
  std::string address;                  // "192.168.1.101" / "fd00::1" (no brackets); empty if unset
  uint16_t port = 0;
  bool ipv6 = false;
  bool address_from_cluster = false;  // no address given: filled from the cluster's nodelist
  std::string device;                 // "/dev/drbd0"
  uint32_t minor = 0;
  uint32_t volume = 0;  // 9 `volume N { }`; one volume per resource for now
  std::string disk;     // backing device
  MetaDisk meta_disk;
  std::optional<uint32_t> node_id;  // 9 `node-id`
  std::string where;                // "FILE:LINE" of the section; not part of ==

  bool operator==(const HostConfig& o) const;
};

struct NetOptions {
  Protocol protocol = Protocol::kC;
  bool allow_two_primaries = false;
  AfterSb0 after_sb_0pri = AfterSb0::kDisconnect;
  AfterSb1 after_sb_1pri = AfterSb1::kDisconnect;
  AfterSb2 after_sb_2pri = AfterSb2::kDisconnect;
  std::string cram_hmac_alg;  // empty: no peer authentication
  std::string shared_secret;  // at most 64 characters
  uint32_t ping_int_s = 10;
  uint32_t ping_timeout_ds = 5;
  uint32_t timeout_ds = 60;
  uint32_t connect_int_s = 10;
  uint32_t ko_count = 7;
  uint32_t max_buffers = 2048;
  uint32_t max_epoch_size = 2048;
  std::string verify_alg;  // "" | crc32c | md5 | sha1 | sha256
  std::string csums_alg;
  std::string data_integrity_alg;
  RrConflict rr_conflict = RrConflict::kDisconnect;
  Fencing fencing = Fencing::kDontCare;
  OnCongestion on_congestion = OnCongestion::kBlock;
  uint64_t congestion_fill_sectors = 0;
  uint32_t congestion_extents = 1237;
  bool tcp_cork = true;
  bool use_rle = true;
  bool operator==(const NetOptions&) const = default;
};

struct DiskOptions {
  OnIoError on_io_error = OnIoError::kDetach;
  uint64_t resync_rate_kib_s = 250;
  uint32_t c_plan_ahead_ds = 20;
  uint32_t c_fill_target_sectors = 100;
  uint32_t c_delay_target_ds = 10;
  uint64_t c_min_rate_kib_s = 250;
  uint64_t c_max_rate_kib_s = 102400;
  uint32_t al_extents = 1237;
  bool al_updates = true;
  bool disk_barrier = false;
  bool disk_flushes = true;
  bool disk_drain = true;
  bool md_flushes = true;
  std::string resync_after;               // name of another resource; empty: none
  std::optional<uint64_t> size_sectors;  // unset: the whole backing device
  bool operator==(const DiskOptions&) const = default;
};

struct StartupOptions {
  uint32_t wfc_timeout_s = 0;  // 0: wait forever
  uint32_t degr_wfc_timeout_s = 0;
  uint32_t outdated_wfc_timeout_s = 0;
  bool wait_after_sb = false;
  std::vector<std::string> become_primary_on;  // host names, or {"both"}
  bool operator==(const StartupOptions&) const = default;
};

struct ResourceOptions {
  OnNoDataAccessible on_no_data_accessible = OnNoDataAccessible::kIoError;
  bool auto_promote = true;
  std::string quorum = "off";  // off | majority | all | N
  OnNoQuorum on_no_quorum = OnNoQuorum::kSuspendIo;
  bool operator==(const ResourceOptions&) const = default;
};

struct GlobalOptions {
  UsageCount usage_count = UsageCount::kAsk;
  uint32_t minor_count = 32;
  uint32_t dialog_refresh_s = 1;
  bool disable_ip_verification = false;
  bool udev_always_use_vnr = false;
  bool operator==(const GlobalOptions&) const = default;
};

struct ResourceConfig {
  std::string name;
  std::string where;  // "FILE:LINE" of `resource NAME {`; not part of ==
  std::vector<HostConfig> hosts;  // in file order; exactly two after validation
  NetOptions net;
  DiskOptions disk;
  StartupOptions startup;
  ResourceOptions options;
  std::map<std::string, std::string> handlers;  // handler name -> command, as written

  bool operator==(const ResourceConfig& o) const;
};

struct ReplicationConfig {
  GlobalOptions global;
  std::vector<ResourceConfig> resources;  // in file order
  const ResourceConfig* find(std::string_view name) const;
};

// Parses one text; `include` lines are not followed (each gives a warning).
// Warnings, if `warnings` is not null, are appended as "FILE:LINE: ..." strings.
// drbdadm net-options / disk-options: one setting ("net" or "disk" section,
// the resource file's key, its value) applied to a loaded resource as the
// file's statement would be; errors name the option as given
// ("--resync-rate=fast: ...").
Status apply_override(ResourceConfig& r, std::string_view section, std::string_view key, std::string_view value);

Result<ReplicationConfig> parse_replication_config(std::string_view text, const std::string& filename,
                                                   std::vector<std::string>* warnings);

// Reads a file and follows `include "PATTERN";` (glob patterns, relative to the
// including file's directory; sorted; a pattern matching nothing includes
// nothing, a missing literal path is an error). Cycles and depth > 8 are errors.
Result<ReplicationConfig> load_replication_config(const std::string& path,
                                                  std::vector<std::string>* warnings);

// The replication.d layout: global_common.conf of `dir` if present, then every
// *.res file of `dir` in name order (their includes followed).
Result<ReplicationConfig> load_replication_dir(const std::string& dir, std::vector<std::string>* warnings);

// This node's entry (matched by `on` name, any of several names) and the peer's.
Result<std::pair<const HostConfig*, const HostConfig*>> local_and_peer(const ResourceConfig& resource,
                                                                       std::string_view node_name);

// Gives every host flagged `address_from_cluster` the address `ip_of(host)`
// and `port` (0: 7788 + the host's minor). Error if ip_of knows no address or
// returns one that is not an IPv4/IPv6 literal.
Status fill_missing_addresses(ResourceConfig& resource,
                              const std::function<std::optional<std::string>(const std::string& host)>& ip_of,
                              uint16_t port = 0);

// `drbdadm dump`-like canonical text of a resource: every effective value in
// every section; parsing it gives a resource equal (==) to `resource`.
std::string format_resource(const ResourceConfig& resource);

}  // namespace quorate::replication
