// Tests of replication/res_config: the seeds' files, inheritance, units,
// every error message, includes, and the format/parse round trip.
#include "replication/res_config.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace quorate::replication {
namespace {

namespace fs = std::filesystem;

const std::string kData = std::string(QUORATE_SOURCE_DIR) + "/tests/unit/replication_config/data";

// A temporary directory removed on destruction (also when a test fails).
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "res_config_test.XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string write(const std::string& rel, const std::string& text) const {
    const fs::path p = fs::path(path_) / rel;
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
    return p.string();
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

const char* const kTwoHosts = R"(
  on alpha { device /dev/drbd0; disk /dev/vg/a; meta-disk internal; address 10.0.0.1:7788; }
  on beta  { device /dev/drbd0; disk /dev/vg/b; meta-disk internal; address 10.0.0.2:7788; }
)";

Result<ReplicationConfig> parse(const std::string& text, std::vector<std::string>* w = nullptr) {
  return parse_replication_config(text, "r0.res", w);
}

// A resource r0 with the two standard hosts and `body` at resource level.
std::string res(const std::string& body) { return "resource r0 {\n" + body + "\n" + kTwoHosts + "}\n"; }

std::string error_of(const std::string& text) {
  Result<ReplicationConfig> r = parse(text);
  return r.ok() ? std::string("(no error)") : r.error().message;
}

void expect_round_trip(const ResourceConfig& r) {
  const std::string text = format_resource(r);
  std::vector<std::string> w;
  Result<ReplicationConfig> again = parse_replication_config(text, "formatted.res", &w);
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << text;
  ASSERT_EQ(again->resources.size(), 1u);
  EXPECT_TRUE(again->resources[0] == r) << text;
  // The formatted text warns only about settings Quorate keeps without
  // acting on them (as the original did), never about its own syntax.
  for (const std::string& warning : w) {
    EXPECT_TRUE(warning.find("not acted on by Quorate") != std::string::npos ||
                warning.find("Quorate never runs it") != std::string::npos)
        << warning;
  }
}

TEST(ResConfigSeeds, MysqlGuideLoadsWithIncludes) {
  std::vector<std::string> w;
  Result<ReplicationConfig> cfg = load_replication_config(kData + "/mysql/drbd.conf", &w);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(cfg->global.usage_count, UsageCount::kNo);
  ASSERT_EQ(cfg->resources.size(), 1u);
  const ResourceConfig* r = cfg->find("mysql");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->net.protocol, Protocol::kC);
  EXPECT_TRUE(r->net.allow_two_primaries);
  EXPECT_EQ(r->net.verify_alg, "sha1");
  EXPECT_EQ(r->disk.resync_rate_kib_s, 1048576u);  // syncer { rate 1024M; }
  EXPECT_EQ(r->disk.on_io_error, OnIoError::kDetach);
  ASSERT_EQ(r->handlers.size(), 3u);
  EXPECT_EQ(r->handlers.at("local-io-error"),
            "/usr/lib/drbd/notify-io-error.sh; /usr/lib/drbd/notify-emergency-shutdown.sh; echo o > "
            "/proc/sysrq-trigger ; halt -f");
  EXPECT_EQ(r->handlers.count("pri-on-incon-degr"), 1u);
  EXPECT_EQ(r->handlers.count("pri-lost-after-sb"), 1u);
  ASSERT_EQ(r->hosts.size(), 2u);
  const HostConfig& m = r->hosts[0];
  EXPECT_EQ(m.name, "master");
  EXPECT_EQ(m.device, "/dev/drbd0");
  EXPECT_EQ(m.minor, 0u);
  EXPECT_EQ(m.disk, "/dev/sdb1");
  EXPECT_EQ(m.meta_disk.kind, MetaDisk::Kind::kExternal);
  EXPECT_EQ(m.meta_disk.path, "/dev/sdb2");
  EXPECT_EQ(m.meta_disk.index, 0u);
  EXPECT_EQ(m.address, "192.168.1.101");
  EXPECT_EQ(m.port, 7789);
  EXPECT_FALSE(m.address_from_cluster);
  EXPECT_EQ(r->hosts[1].name, "backup");
  EXPECT_EQ(r->hosts[1].address, "192.168.1.102");
  EXPECT_EQ(m.where, kData + "/mysql/drbd.d/mysql.res:19");
  // Defaults where nothing is said.
  EXPECT_EQ(r->net.timeout_ds, 60u);
  EXPECT_EQ(r->net.ping_int_s, 10u);
  EXPECT_EQ(r->net.after_sb_2pri, AfterSb2::kDisconnect);
  EXPECT_EQ(r->disk.al_extents, 1237u);
  expect_round_trip(*r);

  Result<std::pair<const HostConfig*, const HostConfig*>> lp = local_and_peer(*r, "backup");
  ASSERT_TRUE(lp.ok());
  EXPECT_EQ(lp->first->name, "backup");
  EXPECT_EQ(lp->second->name, "master");
  Result<std::pair<const HostConfig*, const HostConfig*>> none = local_and_peer(*r, "other");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("no host named other (hosts: master, backup)"), std::string::npos);
}

TEST(ResConfigSeeds, MysqlGuideAsReplicationDir) {
  std::vector<std::string> w;
  Result<ReplicationConfig> cfg = load_replication_dir(kData + "/mysql/drbd.d", &w);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_NE(cfg->find("mysql"), nullptr);
  EXPECT_EQ(cfg->find("mysql")->disk.resync_rate_kib_s, 1048576u);
  EXPECT_EQ(cfg->global.usage_count, UsageCount::kNo);
}

TEST(ResConfigSeeds, AzureR0LoadsUnchangedWithWarnings) {
  std::vector<std::string> w;
  const std::string file = kData + "/azure/r0.res";
  Result<ReplicationConfig> cfg = load_replication_config(file, &w);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const std::vector<std::string> expected = {
      file + ":2: section 'on hadb01' not closed before 'on' at line 6; closed implicitly",
      file + ":6: section 'on hadb02' not closed at end of file; closed implicitly",
      file + ":1: section 'resource r0' not closed at end of file; closed implicitly",
      file + ":2: host name in backticks read as hadb01",
      file + ":6: host name in backticks read as hadb02",
  };
  EXPECT_EQ(w, expected);
  const ResourceConfig* r = cfg->find("r0");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->hosts.size(), 2u);
  for (const HostConfig& h : r->hosts) {
    EXPECT_EQ(h.device, "/dev/drbd1");
    EXPECT_EQ(h.minor, 1u);
    EXPECT_EQ(h.disk, "/dev/sdc1");
    EXPECT_EQ(h.meta_disk.kind, MetaDisk::Kind::kInternal);
    EXPECT_TRUE(h.address_from_cluster);
    EXPECT_TRUE(h.address.empty());
  }
  EXPECT_EQ(r->hosts[0].name, "hadb01");
  EXPECT_EQ(r->hosts[1].name, "hadb02");
  expect_round_trip(*r);

  ResourceConfig filled = *r;
  Status s = fill_missing_addresses(filled, [](const std::string& host) -> std::optional<std::string> {
    if (host == "hadb01") return "10.0.0.4";
    if (host == "hadb02") return "10.0.0.5";
    return std::nullopt;
  });
  ASSERT_TRUE(s.ok()) << s.error().message;
  EXPECT_EQ(filled.hosts[0].address, "10.0.0.4");
  EXPECT_EQ(filled.hosts[0].port, 7789);  // 7788 + minor 1
  EXPECT_EQ(filled.hosts[1].address, "10.0.0.5");
  ResourceConfig missing = *r;
  Status m = fill_missing_addresses(missing, [](const std::string&) { return std::optional<std::string>(); });
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message,
            file + ":2: resource r0, host hadb01: no address given and none in the cluster's nodelist");
  ResourceConfig v6 = *r;
  ASSERT_TRUE(fill_missing_addresses(v6, [](const std::string&) { return std::optional<std::string>("fd00::1"); },
                                     7000)
                  .ok());
  EXPECT_TRUE(v6.hosts[0].ipv6);
  EXPECT_EQ(v6.hosts[0].port, 7000);
}

TEST(ResConfigInherit, CommonResourceHostOverride) {
  const std::string text = R"(
common {
  protocol B;
  net { timeout 90; ping-int 20; }
  disk { resync-rate 40M; al-extents 3389; }
  handlers { split-brain "common-sb"; fence-peer "common-fence"; }
  meta-disk internal;
  disk /dev/common;
}
resource r0 {
  net { timeout 30; }
  handlers { split-brain "r0-sb"; }
  device minor 3;
  on alpha { disk /dev/a; address 10.0.0.1:7790; }
  on beta { device /dev/drbd_x minor 4; meta-disk /dev/md; address 10.0.0.2:7790; }
}
resource r1 {
  device /dev/drbd9;
  on alpha { address 10.0.0.1:7791; }
  on beta { address 10.0.0.2:7791; }
}
)";
  Result<ReplicationConfig> cfg = parse(text);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const ResourceConfig& r0 = *cfg->find("r0");
  EXPECT_EQ(r0.net.protocol, Protocol::kB);
  EXPECT_EQ(r0.net.timeout_ds, 30u);
  EXPECT_EQ(r0.net.ping_int_s, 20u);
  EXPECT_EQ(r0.disk.resync_rate_kib_s, 40960u);
  EXPECT_EQ(r0.disk.al_extents, 3389u);
  EXPECT_EQ(r0.handlers.at("split-brain"), "r0-sb");
  EXPECT_EQ(r0.handlers.at("fence-peer"), "common-fence");
  EXPECT_EQ(r0.hosts[0].disk, "/dev/a");
  EXPECT_EQ(r0.hosts[0].device, "/dev/drbd3");
  EXPECT_EQ(r0.hosts[0].minor, 3u);
  EXPECT_EQ(r0.hosts[1].disk, "/dev/common");
  EXPECT_EQ(r0.hosts[1].device, "/dev/drbd_x");
  EXPECT_EQ(r0.hosts[1].minor, 4u);
  EXPECT_EQ(r0.hosts[1].meta_disk.kind, MetaDisk::Kind::kExternal);
  EXPECT_FALSE(r0.hosts[1].meta_disk.index.has_value());
  const ResourceConfig& r1 = *cfg->find("r1");
  EXPECT_EQ(r1.net.timeout_ds, 90u);
  EXPECT_EQ(r1.hosts[0].minor, 9u);
  EXPECT_EQ(r1.hosts[0].disk, "/dev/common");
  expect_round_trip(r0);
  expect_round_trip(r1);
}

TEST(ResConfigValues, UnitsAndKinds) {
  std::vector<std::string> w;
  Result<ReplicationConfig> cfg = parse(res(R"(
  net { protocol A; after-sb-0pri discard-zero-changes; after-sb-1pri discard-secondary;
        after-sb-2pri call-pri-lost-after-sb; cram-hmac-alg sha256; shared-secret "s3cr3t #1";
        ping-timeout 7; connect-int 3; ko-count 0; max-buffers 8192; max-epoch-size 20000;
        csums-alg md5; data-integrity-alg crc32c; rr-conflict retry-connect; fencing resource-and-stonith;
        on-congestion pull-ahead; congestion-fill 1G; congestion-extents 600; tcp-cork no; use-rle no;
        sndbuf-size 512k; }
  disk { on-io-error pass_on; resync-rate 33M; c-plan-ahead 0; c-fill-target 1M; c-delay-target 5;
         c-min-rate 0; c-max-rate 4G; al-updates no; disk-barrier yes; disk-flushes no; disk-drain no;
         md-flushes no; resync-after r9; size 10G; }
  startup { wfc-timeout 120; degr-wfc-timeout 60; outdated-wfc-timeout 30; wait-after-sb;
            become-primary-on alpha; }
  options { cpu-mask 1; on-no-data-accessible suspend-io; auto-promote no; quorum majority;
            on-no-quorum io-error; }
)"),
                                    &w);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const ResourceConfig& r = cfg->resources[0];
  EXPECT_EQ(r.net.protocol, Protocol::kA);
  EXPECT_EQ(r.net.after_sb_0pri, AfterSb0::kDiscardZeroChanges);
  EXPECT_EQ(r.net.after_sb_1pri, AfterSb1::kDiscardSecondary);
  EXPECT_EQ(r.net.after_sb_2pri, AfterSb2::kCallPriLostAfterSb);
  EXPECT_EQ(r.net.cram_hmac_alg, "sha256");
  EXPECT_EQ(r.net.shared_secret, "s3cr3t #1");
  EXPECT_EQ(r.net.ping_timeout_ds, 7u);
  EXPECT_EQ(r.net.connect_int_s, 3u);
  EXPECT_EQ(r.net.ko_count, 0u);
  EXPECT_EQ(r.net.max_buffers, 8192u);
  EXPECT_EQ(r.net.rr_conflict, RrConflict::kRetryConnect);
  EXPECT_EQ(r.net.fencing, Fencing::kResourceAndStonith);
  EXPECT_EQ(r.net.on_congestion, OnCongestion::kPullAhead);
  EXPECT_EQ(r.net.congestion_fill_sectors, 2097152u);
  EXPECT_FALSE(r.net.tcp_cork);
  EXPECT_EQ(r.disk.on_io_error, OnIoError::kPassOn);
  EXPECT_EQ(r.disk.resync_rate_kib_s, 33792u);
  EXPECT_EQ(r.disk.c_fill_target_sectors, 2048u);
  EXPECT_EQ(r.disk.c_max_rate_kib_s, 4194304u);
  EXPECT_EQ(r.disk.c_min_rate_kib_s, 0u);
  EXPECT_TRUE(r.disk.disk_barrier);
  EXPECT_EQ(r.disk.resync_after, "r9");
  EXPECT_EQ(r.disk.size_sectors, 20971520u);
  EXPECT_EQ(r.startup.wfc_timeout_s, 120u);
  EXPECT_TRUE(r.startup.wait_after_sb);
  EXPECT_EQ(r.startup.become_primary_on, std::vector<std::string>{"alpha"});
  EXPECT_EQ(r.options.on_no_data_accessible, OnNoDataAccessible::kSuspendIo);
  EXPECT_FALSE(r.options.auto_promote);
  EXPECT_EQ(r.options.quorum, "majority");
  EXPECT_EQ(r.options.on_no_quorum, OnNoQuorum::kIoError);
  // Keys DRBD knows and Quorate does not read, and settings it keeps without
  // their behaviour, each warned about with file:line and what happens instead.
  EXPECT_EQ(w.size(), 20u);
  for (const char* line : {
           "r0.res:8: net sndbuf-size: known DRBD option, ignored by Quorate",
           "r0.res:14: options cpu-mask: known DRBD option, ignored by Quorate",
           "r0.res:5: net ko-count 0: not acted on by Quorate: the peer is dropped when nothing has come back "
           "from it for `timeout`",
           "r0.res:6: net csums-alg md5: not acted on by Quorate: checksum-based resync is not implemented; a "
           "resync sends every out-of-sync block",
           "r0.res:12: startup wait-after-sb: not acted on by Quorate: quorated does not wait for the peer at start",
           "r0.res:13: startup become-primary-on alpha: not acted on by Quorate: promotion is left to the "
           "cluster's resource manager (a promotable resource)",
       }) {
    EXPECT_NE(std::find(w.begin(), w.end(), line), w.end()) << line;
  }
  expect_round_trip(r);
}

// Bare flags mean yes and the "none" spellings mean unset: the values that
// match what Quorate does, so no "not acted on" warning.
TEST(ResConfigValues, BareFlagsAndNoneValuesDoNotWarn) {
  std::vector<std::string> w;
  Result<ReplicationConfig> cfg = parse(res("  net { use-rle; tcp-cork; }\n"
                                            "  disk { disk-drain; md-flushes; resync-after -1; size 0; }"),
                                        &w);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(w.empty()) << w.front();
  EXPECT_FALSE(cfg->resources[0].disk.size_sectors.has_value()) << "size 0: the whole device";
}

TEST(ResConfigValues, Drbd9Forms) {
  std::vector<std::string> w;
  Result<ReplicationConfig> cfg = parse(R"(
global { usage-count yes; udev-always-use-vnr; minor-count 64; dialog-refresh 5; disable-ip-verification; }
resource "r 9" {
  volume 0 { device minor 7; disk /dev/sda7; meta-disk internal; disk { al-extents 800; } }
  on alice bob2 { node-id 0; address ipv6 [fd00::1]:7000; }
  on "carol" { node-id 1; }
  connection { host alice port 7000; host carol address 10.1.1.32 port 7001; net { protocol B; fencing resource-only; } }
}
)",
                                    &w);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_TRUE(w.empty());
  EXPECT_EQ(cfg->global.usage_count, UsageCount::kYes);
  EXPECT_EQ(cfg->global.minor_count, 64u);
  EXPECT_TRUE(cfg->global.udev_always_use_vnr);
  EXPECT_TRUE(cfg->global.disable_ip_verification);
  const ResourceConfig& r = cfg->resources[0];
  EXPECT_EQ(r.name, "r 9");
  EXPECT_EQ(r.net.protocol, Protocol::kB);
  EXPECT_EQ(r.net.fencing, Fencing::kResourceOnly);
  EXPECT_EQ(r.disk.al_extents, 800u);
  const HostConfig& a = r.hosts[0];
  EXPECT_EQ(a.name, "alice");
  EXPECT_EQ(a.more_names, std::vector<std::string>{"bob2"});
  EXPECT_TRUE(a.ipv6);
  EXPECT_EQ(a.address, "fd00::1");
  EXPECT_EQ(a.port, 7000);
  EXPECT_EQ(a.node_id, 0u);
  EXPECT_EQ(a.device, "/dev/drbd7");
  EXPECT_EQ(a.minor, 7u);
  const HostConfig& c = r.hosts[1];
  EXPECT_EQ(c.address, "10.1.1.32");
  EXPECT_EQ(c.port, 7001);
  EXPECT_FALSE(c.address_from_cluster);
  ASSERT_TRUE(local_and_peer(r, "bob2").ok());
  EXPECT_EQ(local_and_peer(r, "bob2")->first, &a);
  expect_round_trip(r);
}

TEST(ResConfigValues, FloatingAndFlexible) {
  Result<ReplicationConfig> cfg = parse(R"(
resource r0 {
  device /dev/drbd2; disk /dev/sdb; flexible-meta-disk /dev/meta;
  floating 10.0.0.1:7788 { }
  floating ipv6 [fd00::2]:7788 { meta-disk /dev/m2 [3]; }
}
)");
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const ResourceConfig& r = cfg->resources[0];
  EXPECT_TRUE(r.hosts[0].floating);
  EXPECT_EQ(r.hosts[0].name, "10.0.0.1:7788");
  EXPECT_EQ(r.hosts[0].meta_disk.kind, MetaDisk::Kind::kFlexible);
  EXPECT_EQ(r.hosts[1].address, "fd00::2");
  EXPECT_EQ(r.hosts[1].meta_disk.index, 3u);
  expect_round_trip(r);
}

TEST(ResConfigValues, FencingInDiskWarns) {
  std::vector<std::string> w;
  Result<ReplicationConfig> cfg = parse(res("disk {\nfencing resource-only; }"), &w);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->resources[0].net.fencing, Fencing::kResourceOnly);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "r0.res:3: fencing in the disk section is DRBD 8.4's placement (9: net); read as net fencing");
}

TEST(ResConfigErrors, ExactMessages) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {res("disk {\nresync-rate 9999999999; }"), "r0.res:3: resync-rate 9999999999: out of range 1..4194304 KiB/s"},
      {res("net {\ntimeout 0; }"), "r0.res:3: timeout 0: out of range 1..600 (0.1 s)"},
      {res("net {\nping-int 5x; }"), "r0.res:3: ping-int 5x: not a whole number"},
      {res("net {\nmax-buffers 1s; }"), "r0.res:3: max-buffers 1s: not a whole number"},
      {res("disk {\nresync-rate 1s; }"), "r0.res:3: resync-rate 1s: not a whole number of KiB/s"},
      {res("net {\nfoo 1; }"), "r0.res:3: unknown key 'foo' in net section"},
      {res("frob 1;"), "r0.res:2: unknown key 'frob' in resource r0"},
      {res("net {\nafter-sb-2pri discard-secondary; }"),
       "r0.res:3: after-sb-2pri discard-secondary: not allowed when both nodes are Primary (disconnect, "
       "violently-as0p or call-pri-lost-after-sb)"},
      {res("net {\nafter-sb-2pri consensus; }"),
       "r0.res:3: after-sb-2pri consensus: not allowed when both nodes are Primary (disconnect, violently-as0p or "
       "call-pri-lost-after-sb)"},
      {res("protocol A;\nnet { allow-two-primaries; }"), "r0.res:3: allow-two-primaries needs protocol C (protocol is A)"},
      {res("net {\nshared-secret " + std::string(65, 'x') + "; }"),
       "r0.res:3: shared-secret: 65 characters, at most 64 allowed"},
      {res("net {\ncram-hmac-alg nohash; }"), "r0.res:3: cram-hmac-alg nohash: not a digest OpenSSL knows"},
      {res("net {\nverify-alg crc32; }"), "r0.res:3: verify-alg crc32: not supported (crc32c, md5, sha1 or sha256)"},
      {res("net {\ncsums-alg sha512; }"), "r0.res:3: csums-alg sha512: not supported (crc32c, md5, sha1 or sha256)"},
      {res("net {\nprotocol D; }"), "r0.res:3: protocol D: expected A, B or C"},
      {res("disk {\non-io-error panic; }"),
       "r0.res:3: on-io-error panic: expected one of detach, pass_on, call-local-io-error"},
      {res("net {\ntcp-cork maybe; }"), "r0.res:3: tcp-cork maybe: expected yes or no"},
      {res("stacked-on-top-of r1 { }"),
       "r0.res:2: resource r0: stacked-on-top-of (stacked resources) is not supported"},
      {"resource r0 {\n on a { device /dev/drbd0; disk /d; meta-disk internal; }\n}\n",
       "r0.res:1: resource r0: 1 host section(s); a resource needs two (on HOST { ... })"},
      {"resource r0 {\ndevice /dev/drbd0; disk /d; meta-disk internal;\n on a { }\n on b { }\n on c { }\n}\n",
       "r0.res:1: resource r0: 3 hosts (a, b, c): more than one peer is not supported yet"},
      {"resource r0 {\n on a { disk /d; meta-disk internal; }\n on b { }\n}\n",
       "r0.res:2: resource r0, host a: no device (set it in the host section, the resource or common)"},
      {"resource r0 {\n on a { device /dev/drbd0; meta-disk internal; }\n on b { }\n}\n",
       "r0.res:2: resource r0, host a: no disk (set it in the host section, the resource or common)"},
      {"resource r0 {\n on a { device /dev/drbd0; disk /d; }\n on b { }\n}\n",
       "r0.res:2: resource r0, host a: no meta-disk (set it in the host section, the resource or common)"},
      {res("") + res(""), "r0.res:7: resource r0 defined twice (first at r0.res:1)"},
      {res("") + "resource r1 {\n" + kTwoHosts + "}\n",
       "r0.res:9: resource r1: minor 0 on host alpha is already used by resource r0"},
      {"resource r0 {\n on a {\n address 10.0.0.300:7788; }", "r0.res:3: address 10.0.0.300:7788: not an IPv4 address"},
      {"resource r0 {\n on a {\n address fd00::1:7788; }", "r0.res:3: address fd00::1:7788: not an IPv4 address"},
      {"resource r0 {\n on a {\n address 10.0.0.1:70000; }",
       "r0.res:3: address 10.0.0.1:70000: port out of range 1..65535"},
      {"resource r0 {\n on a {\n address sdp 10.0.0.1:7788; }",
       "r0.res:3: address sdp 10.0.0.1:7788: address family not supported (ipv4 or ipv6)"},
      {"resource r0 {\n on a {\n device /dev/sdx; }", "r0.res:3: device /dev/sdx: cannot tell the minor (write "
                                                       "/dev/drbdN, or PATH minor N)"},
      {"resource r0 {\n on a {\n meta-disk /dev/m[x]; }", "r0.res:3: meta-disk /dev/m[x]: index out of range 0..255"},
      {"resource r0 {\n disk /d;\n", "r0.res:1: resource r0: 0 host section(s); a resource needs two (on HOST { ... })"},
      {"resource r0 {\n net { timeout 5 }\n}\n", "r0.res:2: expected ';' or '{' after 'timeout 5'"},
      {"resource r0 {\n net {\n  timeout 5;\n\nresource r1 { }\n", "r0.res:2: missing '}' for 'net' (found 'resource' at line 5)"},
      {"}\n", "r0.res:1: unexpected '}' (no section is open)"},
      {"resource r0 {\n handlers { split-brain \"abc\n }\n}\n", "r0.res:2: unterminated string (missing '\"')"},
      {"resource `r0` { }\n", "r0.res:1: `r0`: backticks are only read around host names"},
      {"global { minor-count 0; }", "r0.res:1: minor-count 0: out of range 1..255"},
      {"global { usage-count maybe; }", "r0.res:1: usage-count maybe: expected one of yes, no, ask"},
      {"global { }\nglobal { }", "r0.res:2: second global section (first at r0.res:1)"},
      {"common { on a { } }", "r0.res:1: 'on' is not allowed in common"},
      {"common { disk { resync-rate 0; } }", "r0.res:1: resync-rate 0: out of range 1..4194304 KiB/s"},
      {"frobnicate { }", "r0.res:1: unknown keyword 'frobnicate' (expected global, common, resource or include)"},
      {"resource r0 {\n volume 0 { }\n volume 1 { }\n}",
       "r0.res:3: resource r0: more than one volume (0 and 1) is not supported yet"},
      {"resource r0 {\n connection-mesh {\n hosts a b c; }\n}",
       "r0.res:3: resource r0: connection-mesh of 3 hosts: more than two nodes are not supported yet"},
      {res("connection { }\nconnection { }"), "r0.res:3: resource r0: more than one connection is not supported yet"},
      {res("connection {\nhost gamma port 7000; }"), "r0.res:3: resource r0: host gamma has no 'on' section"},
      {"resource r0 { x\x01y; }", "r0.res:1: unexpected control byte 0x01"},
  };
  for (const auto& [text, message] : cases) EXPECT_EQ(error_of(text), message) << text;
}

TEST(ResConfigIncludes, GlobsRelativePathsAndOrder) {
  TempDir dir;
  const std::string main = dir.write("etc/drbd.conf", "include \"drbd.d/global_common.conf\";\ninclude \"drbd.d/*.res\";\n"
                                                      "include \"none.d/*.res\";\n");
  dir.write("etc/drbd.d/global_common.conf", "common { net { timeout 20; } }\n");
  dir.write("etc/drbd.d/b.res", "resource rb {\n device minor 2; disk /d; meta-disk internal;\n"
                                " on x { address 10.0.0.1:7000; }\n on y { address 10.0.0.2:7000; }\n}\n");
  dir.write("etc/drbd.d/a.res", "include \"../extra/c.conf\";\n");
  dir.write("etc/extra/c.conf", "resource ra {\n device minor 1; disk /d; meta-disk internal;\n"
                                " on x { address 10.0.0.1:7001; }\n on y { address 10.0.0.2:7001; }\n}\n");
  std::vector<std::string> w;
  Result<ReplicationConfig> cfg = load_replication_config(main, &w);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  ASSERT_EQ(cfg->resources.size(), 2u);
  EXPECT_EQ(cfg->resources[0].name, "ra");  // a.res sorts before b.res
  EXPECT_EQ(cfg->resources[1].name, "rb");
  EXPECT_EQ(cfg->resources[0].net.timeout_ds, 20u);
  EXPECT_EQ(cfg->resources[1].hosts[0].where, dir.path() + "/etc/drbd.d/b.res:3");
}

TEST(ResConfigIncludes, CyclesDepthAndMissing) {
  TempDir dir;
  const std::string a = dir.write("a.conf", "include \"b.conf\";\n");
  dir.write("b.conf", "\n\ninclude \"a.conf\";\n");
  Result<ReplicationConfig> cyc = load_replication_config(a, nullptr);
  ASSERT_FALSE(cyc.ok());
  EXPECT_EQ(cyc.error().message, dir.path() + "/b.conf:3: include cycle: " + fs::canonical(a).string() + " -> " +
                                     fs::canonical(dir.path() + "/b.conf").string() + " -> " +
                                     fs::canonical(a).string());
  for (int i = 0; i < 10; ++i) dir.write("d" + std::to_string(i) + ".conf", "include \"d" + std::to_string(i + 1) + ".conf\";\n");
  dir.write("d10.conf", "");
  Result<ReplicationConfig> deep = load_replication_config(dir.path() + "/d0.conf", nullptr);
  ASSERT_FALSE(deep.ok());
  EXPECT_EQ(deep.error().message, dir.path() + "/d8.conf:1: includes nested deeper than 8 levels");
  const std::string m = dir.write("m.conf", "include \"missing.conf\";\n");
  Result<ReplicationConfig> missing = load_replication_config(m, nullptr);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            m + ":1: include \"missing.conf\": no such file (" + dir.path() + "/missing.conf)");
  Result<ReplicationConfig> nofile = load_replication_config(dir.path() + "/nope.conf", nullptr);
  ASSERT_FALSE(nofile.ok());
  EXPECT_EQ(nofile.error().message.rfind(dir.path() + "/nope.conf: cannot read", 0), 0u);
  std::vector<std::string> w;
  Result<ReplicationConfig> one = parse_replication_config("include \"x/*.res\";\n", "drbd.conf", &w);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "drbd.conf:1: include \"x/*.res\" not followed (one text is parsed)");
}

TEST(ResConfigIncludes, DirLayoutIgnoresOtherFiles) {
  TempDir dir;
  dir.write("global_common.conf", "global { usage-count no; }\ncommon { disk { resync-rate 100M; } }\n");
  dir.write("r0.res", res(""));
  dir.write("notes.txt", "this is not a resource file {");
  Result<ReplicationConfig> cfg = load_replication_dir(dir.path(), nullptr);
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  EXPECT_EQ(cfg->resources.at(0).disk.resync_rate_kib_s, 102400u);
  EXPECT_EQ(cfg->global.usage_count, UsageCount::kNo);
}

TEST(ResConfigRoundTrip, RichExampleAndHandlerQuoting) {
  Result<ReplicationConfig> cfg = parse(res(R"(
  handlers { fence-peer "/usr/lib/drbd/crm-fence-peer.9.sh"; split-brain "echo \"sb\" \\ x; {}"; out-of-sync ""; }
  startup { become-primary-on both; }
  net { after-sb-0pri discard-least-changes; cram-hmac-alg sha1; shared-secret "a b;c"; }
)"));
  ASSERT_TRUE(cfg.ok()) << cfg.error().message;
  const ResourceConfig& r = cfg->resources[0];
  EXPECT_EQ(r.handlers.at("split-brain"), "echo \"sb\" \\ x; {}");
  EXPECT_EQ(r.handlers.at("out-of-sync"), "");
  expect_round_trip(r);
}

}  // namespace
}  // namespace quorate::replication
