// drbdadm and `quorate replica`: the command-line forms operators paste from
// the seed guides, the ReplicaState <-> ReplicaStatus conversion, local
// create-md on real files (one of them made by mkfs.ext4), dump of the seed
// resource files, the exit code when no daemon answers (a real socket path
// that does not exist), and the status views from a hand-built
// ReplicaStatusList (the seed guide's output).
#include "cli/drbdadm.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/render_replica.h"
#include "replication/status_proto.h"
#include "cli/tools.h"
#include "replication/res_config.h"
#include "test_support.h"

namespace quorate::cli {

// The IPC form of a volume's state (replication/status_proto.h).
using replication::ReplicaEntry;
using replication::replica_from_proto;
using replication::replica_to_proto;
using replication::replicas_from_proto;
using replication::parse_conn_state;
using replication::parse_disk_state;
using replication::parse_role;
namespace {

namespace rep = quorate::replication;
using rep::ConnState;
using rep::DiskState;
using rep::Role;
using testing::FakeDaemon;
using testing::TempDir;

const std::string kData = std::string(QUORATE_SOURCE_DIR) + "/tests/unit/replication_config/data";

DrbdadmCommand parse_ok(const std::vector<std::string>& args) {
  auto r = parse_drbdadm_args(args);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : DrbdadmCommand{};
}

std::string parse_error(const std::vector<std::string>& args) {
  auto r = parse_drbdadm_args(args);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

TEST(DrbdadmArgs, SeedForms) {
  auto c = parse_ok({"create-md", "mysql"});
  EXPECT_EQ(c.verb, DrbdVerb::kCreateMd);
  EXPECT_EQ(c.resources, std::vector<std::string>{"mysql"});
  EXPECT_FALSE(c.force);

  c = parse_ok({"up", "r0"});
  EXPECT_EQ(c.verb, DrbdVerb::kUp);
  EXPECT_EQ(c.resources, std::vector<std::string>{"r0"});

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--", "--force", "primary", "mysql"},
           {"--", "--overwrite-data-of-peer", "primary", "mysql"},
           {"primary", "--force", "mysql"}}) {
    c = parse_ok(args);
    EXPECT_EQ(c.verb, DrbdVerb::kPrimary);
    EXPECT_TRUE(c.force) << args[1];
    EXPECT_EQ(c.resources, std::vector<std::string>{"mysql"});
  }

  for (const auto& args : std::vector<std::vector<std::string>>{
           {"--", "--discard-my-data", "connect", "mysql"}, {"connect", "--discard-my-data", "mysql"}}) {
    c = parse_ok(args);
    EXPECT_EQ(c.verb, DrbdVerb::kConnect);
    EXPECT_TRUE(c.discard_my_data);
    EXPECT_FALSE(c.force);
  }

  c = parse_ok({"-c", "/etc/drbd.conf", "role", "r0"});
  EXPECT_EQ(c.verb, DrbdVerb::kRole);
  EXPECT_EQ(c.config_file, "/etc/drbd.conf");
  EXPECT_EQ(c.resources, std::vector<std::string>{"r0"});

  c = parse_ok({"up", "all"});
  EXPECT_EQ(c.resources, std::vector<std::string>{"all"});
  c = parse_ok({"down", "r0", "r1", "mysql"});
  EXPECT_EQ(c.resources, (std::vector<std::string>{"r0", "r1", "mysql"}));

  for (const char* v : {"disconnect", "secondary", "primary", "verify", "invalidate", "invalidate-remote",
                        "outdate", "pause-sync", "resume-sync", "resume-io", "adjust", "attach", "detach"}) {
    c = parse_ok({v, "mysql"});
    EXPECT_EQ(verb_name(c.verb), v);
    EXPECT_EQ(kind_of(c.verb), VerbKind::kCommand);
  }
}

TEST(DrbdadmArgs, TypographicDashesFromTheAzureGuide) {
  std::ostringstream err;
  // "sudo drbdadm secondary –force r0" (an en dash in the guide).
  auto args = normalize_dashes({"secondary", "\xE2\x80\x93" "force", "r0"}, err);
  auto c = parse_ok(args);
  EXPECT_EQ(c.verb, DrbdVerb::kSecondary);
  EXPECT_TRUE(c.force);
  EXPECT_NE(err.str().find("a typographic dash"), std::string::npos);
  // And end to end through the dispatcher (nothing answers: exit 20, but the
  // option was taken).
  FakeDaemon d;
  d.down();
  ToolEnv env = d.env();
  EXPECT_EQ(quorate_main({"drbdadm", "primary", "\xE2\x80\x93" "force", "r0"}, env), kDrbdExitNoDaemon);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_TRUE(d.requests[0].replica_command().force());
}

TEST(DrbdadmArgs, OptionsAnywhereAndTheirSpellings) {
  auto c = parse_ok({"--config-file=/x/r.res", "status", "--verbose", "--statistics", "--json", "r0"});
  EXPECT_EQ(c.verb, DrbdVerb::kStatus);
  EXPECT_EQ(c.config_file, "/x/r.res");
  EXPECT_TRUE(c.verbose);
  EXPECT_TRUE(c.statistics);
  EXPECT_TRUE(c.json);
  c = parse_ok({"-c/x/r.res", "-d", "--socket", "/run/q.sock", "--node=alpha", "up", "r0"});
  EXPECT_EQ(c.config_file, "/x/r.res");
  EXPECT_TRUE(c.dry_run);
  EXPECT_EQ(c.socket, "/run/q.sock");
  EXPECT_EQ(c.node, "alpha");
  c = parse_ok({"--dry-run", "create-md", "--force", "all"});
  EXPECT_TRUE(c.dry_run);
  EXPECT_TRUE(c.force);
  EXPECT_EQ(parse_ok({"status"}).resources.size(), 0u);
  EXPECT_EQ(parse_ok({"-h"}).verb, DrbdVerb::kHelp);
  EXPECT_EQ(parse_ok({"help"}).verb, DrbdVerb::kHelp);
  EXPECT_EQ(parse_ok({"up", "--help"}).verb, DrbdVerb::kHelp);
  EXPECT_EQ(parse_ok({"sh-resources"}).verb, DrbdVerb::kShResources);
  EXPECT_EQ(parse_ok({"dump"}).verb, DrbdVerb::kDump);
}

TEST(DrbdadmArgs, ErrorsSayWhereAndWhat) {
  EXPECT_EQ(parse_error({}), "missing command");
  EXPECT_EQ(parse_error({"frob", "r0"}), "Unknown command 'frob'");
  EXPECT_EQ(parse_error({"up"}), "'up' needs a resource name (or 'all')");
  EXPECT_EQ(parse_error({"role"}), "'role' needs a resource name (or 'all')");
  EXPECT_EQ(parse_error({"--bogus", "up", "r0"}), "unknown option '--bogus' (argument 1)");
  EXPECT_EQ(parse_error({"up", "r0", "-x"}), "unknown option '-x' (argument 3)");
  EXPECT_EQ(parse_error({"up", "r0", "-c"}), "option '-c' needs a value (argument 3)");
  EXPECT_EQ(parse_error({"--socket"}), "option '--socket' needs a value (argument 1)");
  EXPECT_EQ(parse_error({"--config-file=", "up", "r0"}),
            "option '--config-file' needs a non-empty value (argument 1)");
  EXPECT_EQ(parse_error({"--force=yes", "primary", "r0"}), "option '--force' takes no value (argument 1)");
  EXPECT_EQ(parse_error({"up", "--discard-my-data", "r0"}), "option '--discard-my-data' is not valid for 'up'");
  EXPECT_EQ(parse_error({"--", "--force", "up", "r0"}), "option '--force' is not valid for 'up'");
  EXPECT_EQ(parse_error({"secondary", "--overwrite-data-of-peer", "r0"}),
            "option '--overwrite-data-of-peer' is not valid for 'secondary'");
  EXPECT_EQ(parse_error({"role", "--statistics", "r0"}), "option '--statistics' is not valid for 'role'");
  EXPECT_EQ(parse_error({"up", "--json", "r0"}), "option '--json' is not valid for 'up'");
  EXPECT_EQ(parse_error({"sh-resources", "r0"}), "'sh-resources' takes no resource name (got 'r0')");
  EXPECT_EQ(parse_error({"up", "r0/x"}), "'r0/x' is not a valid resource name");
  EXPECT_EQ(parse_error({"up", ""}), "empty argument (argument 2)");
}

// The User's Guide's temporary changes: `drbdadm net-options --protocol=C
// --allow-two-primaries r0`, `drbdadm disk-options --resync-rate=110M r0`.
TEST(DrbdadmArgs, NetAndDiskOptionsTakeTheSettingsGiven) {
  auto n = parse_ok({"net-options", "--protocol=C", "--allow-two-primaries", "r0"});
  EXPECT_EQ(n.verb, DrbdVerb::kNetOptions);
  EXPECT_EQ(n.resources, std::vector<std::string>{"r0"});
  EXPECT_EQ(n.settings, (std::vector<std::string>{"protocol=C", "allow-two-primaries=yes"}));
  auto d = parse_ok({"--", "--c-plan-ahead=0", "disk-options", "--resync-rate=110M", "r0"});
  EXPECT_EQ(d.verb, DrbdVerb::kDiskOptions);
  EXPECT_EQ(d.settings, (std::vector<std::string>{"c-plan-ahead=0", "resync-rate=110M"}));
  EXPECT_EQ(parse_ok({"net-options", "--allow-two-primaries=no", "all"}).settings,
            std::vector<std::string>{"allow-two-primaries=no"});
  EXPECT_EQ(parse_error({"net-options", "r0"}),
            "'net-options' needs at least one --KEY[=VALUE] setting (e.g. --allow-two-primaries, --resync-rate=110M)");
  EXPECT_EQ(parse_error({"disk-options", "--resync-rate=", "r0"}),
            "option '--resync-rate' needs a non-empty value (argument 2)");
  EXPECT_EQ(parse_error({"primary", "--allow-two-primaries", "r0"}),
            "unknown option '--allow-two-primaries' (argument 2)");
}

TEST(DrbdadmArgs, UsageErrorExitsOneWithHint) {
  FakeDaemon d;
  d.down();
  ToolEnv env = d.env();
  EXPECT_EQ(drbdadm_main("drbdadm", {"frob"}, env), kDrbdExitUsage);
  EXPECT_EQ(d.err.str(), "drbdadm: Unknown command 'frob'\nTry 'drbdadm --help'.\n");
  EXPECT_TRUE(d.requests.empty());
  EXPECT_EQ(drbdadm_main("drbdadm", {"--help"}, env), kExitOk);
  EXPECT_NE(d.out.str().find("EXIT CODES"), std::string::npos);
  EXPECT_NE(d.out.str().find("quorate replica status --proc"), std::string::npos);
}

// ---- ReplicaState <-> ReplicaStatus ----

rep::ReplicaStatus sample_sync_source() {
  rep::ReplicaStatus s;
  s.resource = "mysql";
  s.minor = 3;
  s.volume = 1;
  s.peer = "backup";
  s.role = Role::kPrimary;
  s.peer_role = Role::kSecondary;
  s.cstate = ConnState::kSyncSource;
  s.disk = DiskState::kUpToDate;
  s.peer_disk = DiskState::kInconsistent;
  s.protocol = rep::Protocol::kB;
  s.io_suspended = true;
  s.al_suspended = true;
  s.paused_by_user = true;
  s.paused_by_peer = true;
  s.ns = 3757056;
  s.nr = 7;
  s.dw = 11;
  s.dr = 3759178;
  s.al = 8;
  s.bm = 2;
  s.lo = 3;
  s.pe = 1;
  s.ua = 4;
  s.ap = 5;
  s.ep = 6;
  s.wo = 'b';
  s.oos_kib = 3079892;
  s.size_kib = 6835924;
  rep::SyncProgress p;
  p.total_kib = 6835924;
  p.left_kib = 3079892;
  p.rate_kib_s = 8696;
  p.avg_kib_s = 9180;
  p.want_kib_s = 10240;
  p.stalled = true;
  s.sync = p;
  s.split_brain = "detected at 2024-06-05 11:21:49";
  return s;
}

void expect_same(const rep::ReplicaStatus& a, const rep::ReplicaStatus& b) {
  // replica_status_json covers every field except the raw sync rates, which
  // the /proc/drbd rendering shows.
  EXPECT_EQ(replica_status_json(a), replica_status_json(b));
  EXPECT_EQ(render_proc_drbd_volume(a), render_proc_drbd_volume(b));
  EXPECT_EQ(a.ep, b.ep);
  EXPECT_EQ(a.wo, b.wo);
  ASSERT_EQ(a.sync.has_value(), b.sync.has_value());
  if (a.sync) {
    EXPECT_EQ(a.sync->want_kib_s, b.sync->want_kib_s);
    EXPECT_EQ(a.sync->stalled, b.sync->stalled);
  }
}

TEST(ReplicaProto, RoundTripThroughTheWire) {
  rep::ReplicaStatus disconnected;
  disconnected.resource = "r0";
  disconnected.cstate = ConnState::kWFConnection;
  disconnected.disk = DiskState::kOutdated;
  rep::ReplicaStatus exported = sample_sync_source();
  exported.nbd_socket = "/run/quorate/nbd/" + exported.resource + ".sock";
  exported.fuse_file = "/run/quorate/fuse/" + exported.resource + "/" + exported.resource;
  for (const rep::ReplicaStatus& s : {exported, disconnected}) {
    ReplicaEntry e{s, true};
    std::string bytes;
    ASSERT_TRUE(replica_to_proto(e).SerializeToString(&bytes));
    ipc::ReplicaState wire;
    ASSERT_TRUE(wire.ParseFromString(bytes));
    EXPECT_EQ(wire.role(), std::string(rep::name(s.role)));
    EXPECT_EQ(wire.cstate(), std::string(rep::name(s.cstate)));
    auto back = replica_from_proto(wire);
    ASSERT_TRUE(back.ok()) << back.error().message;
    EXPECT_TRUE(back->up);
    EXPECT_EQ(back->status.nbd_socket, s.nbd_socket);
    EXPECT_EQ(back->status.fuse_file, s.fuse_file);
    expect_same(s, back->status);
  }
  EXPECT_FALSE(replica_to_proto({disconnected, true}).has_sync());
  EXPECT_EQ(replica_to_proto({disconnected, true}).protocol(), "");
}

TEST(ReplicaProto, EveryNameParsesBack) {
  for (auto r : {Role::kUnknown, Role::kPrimary, Role::kSecondary}) EXPECT_EQ(parse_role(rep::name(r)), r);
  for (int i = 0; i <= static_cast<int>(ConnState::kBehind); ++i) {
    const auto c = static_cast<ConnState>(i);
    EXPECT_EQ(parse_conn_state(rep::name(c)), c) << rep::name(c);
  }
  for (int i = 0; i <= static_cast<int>(DiskState::kUpToDate); ++i) {
    const auto d = static_cast<DiskState>(i);
    EXPECT_EQ(parse_disk_state(rep::name(d)), d) << rep::name(d);
  }
  EXPECT_FALSE(parse_role("primary"));
  EXPECT_FALSE(parse_conn_state("Established"));  // a DRBD 9 name, not 8.4's
  EXPECT_FALSE(parse_disk_state(""));
}

TEST(ReplicaProto, BadNamesAreErrorsNamingTheVolume) {
  const ipc::ReplicaState good = replica_to_proto({sample_sync_source(), true});
  auto expect_error = [](ipc::ReplicaState p, const std::string& message) {
    auto r = replica_from_proto(p);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message, message);
  };
  ipc::ReplicaState p = good;
  p.set_role("Primry");
  expect_error(p, "replica mysql/1: unknown role 'Primry'");
  p = good;
  p.set_peer_role("");
  expect_error(p, "replica mysql/1: unknown peer role ''");
  p = good;
  p.set_cstate("Established");
  expect_error(p, "replica mysql/1: unknown cstate 'Established'");
  p = good;
  p.set_disk("Fine");
  expect_error(p, "replica mysql/1: unknown disk state 'Fine'");
  p = good;
  p.set_peer_disk("x");
  expect_error(p, "replica mysql/1: unknown peer disk state 'x'");
  p = good;
  p.set_protocol("D");
  expect_error(p, "replica mysql/1: unknown protocol 'D'");
  p = good;
  p.set_wo("q");
  expect_error(p, "replica mysql/1: unknown write ordering 'q'");
  p = good;
  p.mutable_sync()->set_left_kib(p.sync().total_kib() + 1);
  expect_error(p, "replica mysql/1: sync left 6835925 KiB exceeds its total 6835924 KiB");
  p = good;
  p.clear_resource();
  expect_error(p, "replica ?/1: no resource name");
  // Forward compatible: unknown counters ignored; a missing ep is 1; "flush" is 'f'.
  p = good;
  (*p.mutable_counters())["future_counter"] = 9;
  p.mutable_counters()->erase("ep");
  p.set_wo("flush");
  auto r = replica_from_proto(p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->status.ep, 1u);
  EXPECT_EQ(r->status.wo, 'f');
}

TEST(ReplicaProto, NotUpIsUnconfiguredWhateverElseItSays) {
  ipc::ReplicaState p;
  p.set_resource("r1");
  p.set_minor(1);
  p.set_up(false);
  p.set_role("garbage");
  auto r = replica_from_proto(p);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->up);
  EXPECT_EQ(render_proc_drbd_volume(r->status), " 1: cs:Unconfigured\n");
}

// ---- a temp dir with a resource file and backing files ----


void make_file(const std::string& path, uint64_t bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc).close();
  std::filesystem::resize_file(path, bytes);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// alpha_meta: alpha's meta-disk value (beta's is internal).
std::string write_resource(const TempDir& dir, const std::string& alpha_meta = "internal") {
  const std::string file = dir.path() + "/t0.res";
  std::ofstream(file) << "resource t0 {\n"
                      << "  net { protocol C; }\n"
                      << "  on alpha {\n    device /dev/drbd5;\n    disk " << dir.path()
                      << "/alpha.img;\n    address 127.0.0.1:7790;\n    meta-disk " << alpha_meta << ";\n  }\n"
                      << "  on beta {\n    device /dev/drbd5;\n    disk " << dir.path()
                      << "/beta.img;\n    address 127.0.0.2:7790;\n    meta-disk internal;\n  }\n"
                      << "}\n";
  make_file(dir.path() + "/alpha.img", 16ull << 20);
  make_file(dir.path() + "/beta.img", 16ull << 20);
  return file;
}

struct ToolRun {
  int rc;
  std::string out, err;
};

ToolRun drbdadm(FakeDaemon& d, const std::vector<std::string>& args) {
  d.out.str("");
  d.err.str("");
  ToolEnv env = d.env();
  const int rc = drbdadm_main("drbdadm", args, env);
  return ToolRun{rc, d.out.str(), d.err.str()};
}

ToolRun replica(FakeDaemon& d, const std::vector<std::string>& args) {
  d.out.str("");
  d.err.str("");
  ToolEnv env = d.env();
  const int rc = replica_main("quorate replica", args, env);
  return ToolRun{rc, d.out.str(), d.err.str()};
}

const std::vector<std::string> kCreateMdLines = {
    "initializing activity log", "Writing meta data...", "New drbd meta data block successfully created."};

TEST(DrbdadmCreateMd, LocallyWhenNoDaemonAnswersThenRefusesExistingMetaData) {
  TempDir dir;
  const std::string res = write_resource(dir);
  FakeDaemon d;
  d.down();
  ToolRun r = drbdadm(d, {"-c", res, "--node", "alpha", "create-md", "t0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  for (const auto& l : kCreateMdLines) EXPECT_NE(r.out.find(l + "\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("initializing bitmap ("), std::string::npos);
  EXPECT_NE(r.err.find("quorated does not answer"), std::string::npos) << r.err;
  ASSERT_EQ(d.requests.size(), 1u);  // it asked the daemon first
  EXPECT_EQ(d.requests[0].replica_command().verb(), "create-md");
  EXPECT_EQ(d.requests[0].replica_command().config_path(), res);

  // Again: valid meta data is there now.
  r = drbdadm(d, {"-c", res, "--node", "alpha", "create-md", "t0"});
  EXPECT_EQ(r.rc, kDrbdExitMdRefused);
  EXPECT_TRUE(r.out.empty()) << r.out;
  EXPECT_NE(r.err.find("t0: " + dir.path() + "/alpha.img already holds valid meta data"), std::string::npos)
      << r.err;
  // --force overwrites (either spelling of the position).
  r = drbdadm(d, {"-c", res, "--node", "alpha", "--", "--force", "create-md", "t0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("New drbd meta data block successfully created.\n"), std::string::npos);

  // The node from $QUORATE_NODE; beta's file is untouched so far.
  d.out.str("");
  d.err.str("");
  ToolEnv env = d.env();
  env.getenv = [](const std::string& name) -> std::optional<std::string> {
    if (name == "QUORATE_NODE") return "beta";
    return std::nullopt;
  };
  EXPECT_EQ(drbdadm_main("drbdadm", {"-c", res, "create-md", "t0"}, env), 0) << d.err.str();
  // An unknown host is a configuration error.
  r = drbdadm(d, {"-c", res, "--node", "gamma", "create-md", "t0"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_NE(r.err.find("no host named gamma (hosts: alpha, beta)"), std::string::npos) << r.err;
  r = drbdadm(d, {"-c", res, "--node", "alpha", "create-md", "nope"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_EQ(r.err.substr(r.err.find('\n') + 1), "'nope' not defined in your config.\n");
}

TEST(DrbdadmCreateMd, RefusesAnExt4ImageUnlessForced) {
  TempDir dir;
  const std::string res = write_resource(dir);
  const std::string img = dir.path() + "/alpha.img";
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F " + img + " >/dev/null 2>&1").c_str()), 0);
  FakeDaemon d;
  d.down();
  ToolRun r = drbdadm(d, {"-c", res, "--node", "alpha", "create-md", "t0"});
  EXPECT_EQ(r.rc, kDrbdExitMdRefused);
  EXPECT_NE(r.err.find("t0: " + img + " appears to contain an ext4 file system"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty());
  r = drbdadm(d, {"-c", res, "--node", "alpha", "create-md", "--force", "t0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("appears to contain"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("New drbd meta data block successfully created.\n"), std::string::npos);
}

// External meta data (the seeds' `meta-disk /dev/sdb2[0]`): the data disk is
// left alone, so a file system on it is no reason to refuse (that is how a
// replica is put under existing data); a file system on the meta device is.
TEST(DrbdadmCreateMd, WithExternalMetaDataChecksTheMetaDeviceNotTheData) {
  TempDir dir;
  const std::string meta = dir.path() + "/alpha-meta.img";
  const std::string res = write_resource(dir, meta + "[0]");
  const std::string img = dir.path() + "/alpha.img";
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F " + img + " >/dev/null 2>&1").c_str()), 0);
  const std::string data_before = read_file(img);
  make_file(meta, 128ull << 20);
  ASSERT_EQ(std::system(("mkfs.ext4 -q -F " + meta + " >/dev/null 2>&1").c_str()), 0);
  FakeDaemon d;
  d.down();
  ToolRun r = drbdadm(d, {"-c", res, "--node", "alpha", "create-md", "t0"});
  EXPECT_EQ(r.rc, kDrbdExitMdRefused);
  EXPECT_NE(r.err.find("t0: " + meta + " appears to contain an ext4 file system"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("external meta-data device"), std::string::npos) << r.err;
  r = drbdadm(d, {"-c", res, "--node", "alpha", "create-md", "--force", "t0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find(meta + " appears to contain ext4; overwriting it with meta data (--force)"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(read_file(img), data_before) << "create-md with external meta data wrote to the data disk";
  // Now valid meta data is there: refused again, for that reason.
  r = drbdadm(d, {"-c", res, "--node", "alpha", "create-md", "t0"});
  EXPECT_EQ(r.rc, kDrbdExitMdRefused);
  EXPECT_NE(r.err.find(meta + " already holds valid meta data"), std::string::npos) << r.err;
}

TEST(DrbdadmCreateMd, ThroughTheDaemonWhenItAnswers) {
  FakeDaemon d;
  d.respond = [](const ipc::Request& req, IpcFailure*) -> Result<ipc::Response> {
    ipc::Response r;
    for (const char* l : {"initializing activity log", "New drbd meta data block successfully created."}) {
      r.mutable_replica_command()->add_lines(l);
    }
    (void)req;
    return r;
  };
  ToolRun r = drbdadm(d, {"create-md", "--force", "mysql"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "initializing activity log\nNew drbd meta data block successfully created.\n");
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_TRUE(d.requests[0].replica_command().force());
  EXPECT_EQ(d.requests[0].replica_command().config_path(), "");
}

// ---- local verbs on the seed resource files ----

TEST(DrbdadmLocal, DumpOfTheSeedConfigsParsesBackEqual) {
  FakeDaemon d;
  d.down();
  for (const auto& [file, name] : std::vector<std::pair<std::string, std::string>>{
           {kData + "/mysql/drbd.conf", "mysql"}, {kData + "/azure/r0.res", "r0"}}) {
    ToolRun r = drbdadm(d, {"-c", file, "dump", name});
    EXPECT_EQ(r.rc, 0) << r.err;
    auto dumped = rep::parse_replication_config(r.out, "dump", nullptr);
    ASSERT_TRUE(dumped.ok()) << dumped.error().message;
    auto original = rep::load_replication_config(file, nullptr);
    ASSERT_TRUE(original.ok());
    ASSERT_NE(dumped->find(name), nullptr);
    EXPECT_TRUE(*dumped->find(name) == *original->find(name)) << r.out;
    EXPECT_EQ(drbdadm(d, {"-c", file, "dump"}).out, r.out);  // one resource: the same
  }
  EXPECT_TRUE(d.requests.empty());
  // The Azure guide's file is read with warnings, shown on stderr.
  ToolRun r = drbdadm(d, {"-c", kData + "/azure/r0.res", "dump", "r0"});
  EXPECT_NE(r.err.find("drbdadm: warning: " + kData + "/azure/r0.res:2: host name in backticks read as hadb01"),
            std::string::npos)
      << r.err;
  r = drbdadm(d, {"-c", kData + "/mysql/drbd.conf", "dump", "r9"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_EQ(r.err, "'r9' not defined in your config.\n");
  r = drbdadm(d, {"-c", kData + "/nonexistent.conf", "dump"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_NE(r.err.find("nonexistent.conf"), std::string::npos) << r.err;
}

TEST(DrbdadmLocal, ShVerbs) {
  FakeDaemon d;
  d.down();
  const std::string conf = kData + "/mysql/drbd.conf";
  EXPECT_EQ(drbdadm(d, {"-c", conf, "sh-resources"}).out, "mysql\n");
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "master", "sh-dev", "mysql"}).out, "/dev/drbd0\n");
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "master", "sh-ll-dev", "mysql"}).out, "/dev/sdb1\n");
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "master", "sh-md-dev", "mysql"}).out, "/dev/sdb2\n");
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "backup", "sh-ip", "all"}).out, "192.168.1.102\n");
  const std::string azure = kData + "/azure/r0.res";
  EXPECT_EQ(drbdadm(d, {"-c", azure, "--node", "hadb02", "sh-md-dev", "r0"}).out, "/dev/sdc1\n");
  ToolRun r = drbdadm(d, {"-c", azure, "--node", "hadb02", "sh-ip", "r0"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_NE(r.err.find("r0: no address for hadb02"), std::string::npos) << r.err;
  EXPECT_TRUE(d.requests.empty());
}

TEST(DrbdadmLocal, DryRunPrintsOneLinePerActionAndSendsNothing) {
  FakeDaemon d;
  d.down();
  const std::string conf = kData + "/mysql/drbd.conf";
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "master", "-d", "up", "mysql"}).out,
            "quorated: up mysql (attach /dev/sdb1, connect 192.168.1.102:7789)\n");
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "backup", "-d", "connect", "--discard-my-data", "all"}).out,
            "quorated: connect mysql (connect 192.168.1.101:7789, discard my data)\n");
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "master", "--dry-run", "--", "--force", "primary", "mysql"}).out,
            "quorated: primary mysql (force)\n");
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "master", "-d", "create-md", "mysql"}).out,
            "quorated: create-md mysql (meta data for /dev/sdb1 on /dev/sdb2[0])\n");
  EXPECT_EQ(drbdadm(d, {"-c", conf, "--node", "master", "-d", "down", "mysql", "mysql"}).out,
            "quorated: down mysql\nquorated: down mysql\n");
  EXPECT_EQ(drbdadm(d, {"-c", kData + "/azure/r0.res", "--node", "hadb01", "-d", "up", "r0"}).out,
            "quorated: up r0 (attach /dev/sdc1, connect hadb02 (address from the cluster's nodelist))\n");
  // The seed's typo (`drbdadm create-md drbd0` for resource mysql): drbdadm's
  // error and exit code, and the defined names still get their line.
  ToolRun r = drbdadm(d, {"-c", conf, "--node", "master", "-d", "create-md", "drbd0", "mysql"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_EQ(r.err, "'drbd0' not defined in your config.\n");
  EXPECT_EQ(r.out, "quorated: create-md mysql (meta data for /dev/sdb1 on /dev/sdb2[0])\n");
  EXPECT_TRUE(d.requests.empty());
}

// ---- the daemon: not reachable, refusals, status ----

TEST(DrbdadmDaemon, NotReachableAtARealSocketPath) {
  TempDir dir;
  const std::string sock = dir.path() + "/no/such/quorated.sock";
  std::ostringstream out, err;
  ToolEnv env = real_tool_env();
  ToolEnv test_env{out, err, env.call, std::nullopt, env.now_unix_ms, env.sleep, "", nullptr, false, {}};
  EXPECT_EQ(drbdadm_main("drbdadm", {"--socket", sock, "up", "r0"}, test_env), kDrbdExitNoDaemon);
  EXPECT_EQ(err.str(), "drbdadm: quorated is not reachable; nothing was changed\nquorate: cannot connect to " +
                           sock +
                           ": No such file or directory (is quorated running? --socket PATH or "
                           "$QUORATE_SOCKET name another socket)\n");
  EXPECT_TRUE(out.str().empty());
  err.str("");
  EXPECT_EQ(drbdadm_main("drbdadm", {"--socket", sock, "role", "r0"}, test_env), kDrbdExitNoDaemon);
  EXPECT_EQ(err.str().rfind("drbdadm: quorated is not reachable; no state to show\n", 0), 0u) << err.str();
  err.str("");
  EXPECT_EQ(replica_main("quorate replica", {"status", "--proc", "--socket", sock}, test_env),
            kDrbdExitNoDaemon);
  EXPECT_NE(err.str().find("cannot connect to " + sock), std::string::npos);
}

TEST(DrbdadmDaemon, CommandsRefusalsAndExitCodes) {
  FakeDaemon d;
  std::string answer_error;
  d.respond = [&answer_error](const ipc::Request& req, IpcFailure*) -> Result<ipc::Response> {
    ipc::Response r;
    r.set_id(req.id());
    if (!answer_error.empty()) {
      r.set_error(answer_error);
    } else {
      r.mutable_replica_command();
    }
    return r;
  };
  d.socket_env = "/run/test/q.sock";
  ToolRun r = drbdadm(d, {"-c", "rel/drbd.conf", "--", "--overwrite-data-of-peer", "primary", "mysql", "r0"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_TRUE(r.out.empty());
  ASSERT_EQ(d.requests.size(), 2u);
  const auto& c = d.requests[0].replica_command();
  EXPECT_EQ(c.verb(), "primary");
  EXPECT_EQ(c.resource(), "mysql");
  EXPECT_TRUE(c.force());
  EXPECT_FALSE(c.discard_my_data());
  EXPECT_EQ(c.config_path(), (std::filesystem::current_path() / "rel/drbd.conf").string());
  EXPECT_EQ(d.requests[1].replica_command().resource(), "r0");
  EXPECT_EQ(d.sockets[0], "/run/test/q.sock");

  answer_error = "State change failed: (-2) Need access to UpToDate data";
  r = drbdadm(d, {"primary", "mysql"});
  EXPECT_EQ(r.rc, kDrbdExitStateChange);
  EXPECT_EQ(r.err, "mysql: State change failed: (-2) Need access to UpToDate data\n");
  answer_error = "mysql: State change failed: (-1) Multiple primaries not allowed by config";
  r = drbdadm(d, {"--socket", "/x.sock", "primary", "mysql"});
  EXPECT_EQ(r.rc, kDrbdExitStateChange);
  EXPECT_EQ(r.err, answer_error + "\n");  // not prefixed twice
  EXPECT_EQ(d.sockets.back(), "/x.sock");
  answer_error = "'r7' not defined in your config (for this host).";
  r = drbdadm(d, {"up", "r7"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_EQ(r.err, "r7: " + answer_error + "\n");
  EXPECT_EQ(daemon_error_exit_code("r0: No such resource"), kDrbdExitConfig);
  EXPECT_EQ(daemon_error_exit_code("/etc/drbd.conf:3: configuration error: expected '{'"), kDrbdExitConfig);
  EXPECT_EQ(daemon_error_exit_code("r0: no host named hadb03 (hosts: hadb01, hadb02)"), kDrbdExitConfig);
  EXPECT_EQ(daemon_error_exit_code("State change failed: (-10) State change was refused by peer node"),
            kDrbdExitStateChange);
  // A daemon that answers something else.
  d.respond = [](const ipc::Request&, IpcFailure*) -> Result<ipc::Response> { return ipc::Response{}; };
  r = drbdadm(d, {"down", "mysql"});
  EXPECT_EQ(r.rc, kDrbdExitNoDaemon);
  EXPECT_EQ(r.err, "drbdadm: unexpected answer from quorated to 'down'\n");
}

// The seed guide's volumes: mysql Primary/Secondary Connected (section 9.2),
// and r1, configured but not up.
ipc::ReplicaStatusList seed_list() {
  rep::ReplicaStatus s;
  s.resource = "mysql";
  s.minor = 0;
  s.peer = "backup";
  s.role = Role::kPrimary;
  s.peer_role = Role::kSecondary;
  s.cstate = ConnState::kConnected;
  s.disk = DiskState::kUpToDate;
  s.peer_disk = DiskState::kUpToDate;
  s.protocol = rep::Protocol::kC;
  s.ns = 6850687;
  s.nr = 2050;
  s.dw = 16829;
  s.dr = 6845699;
  s.al = 15;
  s.size_kib = 6835924;
  s.nbd_socket = "/run/quorate/nbd/mysql.sock";
  s.fuse_file = "/run/quorate/fuse/mysql/mysql";
  ipc::ReplicaStatusList list;
  *list.add_replicas() = replica_to_proto({s, true});
  ipc::ReplicaState down;
  down.set_resource("r1");
  down.set_minor(1);
  down.set_peer("hadb02");
  down.set_up(false);
  *list.add_replicas() = down;
  return list;
}

void serve_status(FakeDaemon& d) {
  d.respond = [](const ipc::Request& req, IpcFailure*) -> Result<ipc::Response> {
    ipc::Response r;
    r.set_id(req.id());
    if (!req.has_replica_status()) {
      r.set_error("unexpected request");
      return r;
    }
    const std::string& want = req.replica_status().resource();
    ipc::ReplicaStatusList* out = r.mutable_replica_status();
    const ipc::ReplicaStatusList all = seed_list();
    for (const auto& v : all.replicas()) {
      if (want.empty() || v.resource() == want) *out->add_replicas() = v;
    }
    return r;
  };
}

TEST(DrbdadmStatus, RoleCstateDstateAsInTheSeed) {
  FakeDaemon d;
  serve_status(d);
  EXPECT_EQ(drbdadm(d, {"role", "mysql"}).out, "Primary/Secondary\n");
  EXPECT_EQ(drbdadm(d, {"cstate", "mysql"}).out, "Connected\n");
  EXPECT_EQ(drbdadm(d, {"dstate", "mysql"}).out, "UpToDate/UpToDate\n");
  EXPECT_EQ(d.requests.back().replica_status().resource(), "mysql");
  ToolRun r = drbdadm(d, {"-c", "/etc/drbd.conf", "role", "r1"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "Unconfigured\n");
  EXPECT_EQ(d.requests.back().replica_status().config_path(), "/etc/drbd.conf");
  EXPECT_EQ(drbdadm(d, {"cstate", "all"}).out, "Connected\nUnconfigured\n");
  EXPECT_EQ(d.requests.back().replica_status().resource(), "");
  EXPECT_EQ(drbdadm(d, {"dstate", "mysql", "r1"}).out, "UpToDate/UpToDate\nUnconfigured\n");
  r = drbdadm(d, {"role", "nope"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_EQ(r.err, "nope: No such resource\n");
  r = drbdadm(d, {"role", "--json", "mysql"});
  EXPECT_EQ(r.rc, 0);
  auto j = nlohmann::json::parse(r.out);
  ASSERT_EQ(j["volumes"].size(), 1u);
  EXPECT_EQ(j["volumes"][0]["role"], "Primary");
  EXPECT_EQ(j["volumes"][0]["peer_role"], "Secondary");
}

TEST(DrbdadmStatus, Drbd9StatusAndNoSuchResource) {
  FakeDaemon d;
  serve_status(d);
  const std::string mysql_status =
      "mysql role:Primary\n"
      "  disk:UpToDate\n"
      "  backup role:Secondary\n"
      "    replication:Established peer-disk:UpToDate\n"
      "\n";
  ToolRun r = drbdadm(d, {"status", "mysql"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, mysql_status);
  r = drbdadm(d, {"status"});  // every resource that is up
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, mysql_status);
  r = drbdadm(d, {"status", "r1"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_EQ(r.err, "r1: No such resource\n");
  EXPECT_TRUE(r.out.empty());
  r = drbdadm(d, {"status", "--verbose", "--statistics", "mysql"});
  StatusOptions both{true, true};
  auto entries = replicas_from_proto(seed_list());
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(r.out, render_drbd_status({(*entries)[0].status}, both));
  EXPECT_NE(r.out.find("written:16829"), std::string::npos) << r.out;
  // Verbose says where the volume is served; the default stays DRBD's shape.
  EXPECT_NE(r.out.find("\n      exports: nbd:/run/quorate/nbd/mysql.sock fuse:/run/quorate/fuse/mysql/mysql\n"),
            std::string::npos)
      << r.out;
  r = drbdadm(d, {"status", "--json"});
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["volumes"].size(), 1u);
  EXPECT_EQ(j["volumes"][0]["exports"]["nbd_socket"], "/run/quorate/nbd/mysql.sock");
  EXPECT_EQ(j["volumes"][0]["exports"]["fuse_file"], "/run/quorate/fuse/mysql/mysql");
}

TEST(QuorateReplica, ProcOverviewAndJson) {
  FakeDaemon d;
  serve_status(d);
  ToolRun r = replica(d, {"status", "--proc"});
  EXPECT_EQ(r.rc, 0) << r.err;
  // Section 9.2 of the seed guide, byte for byte, then the unconfigured minor.
  EXPECT_NE(r.out.find("\n 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
                       "    ns:6850687 nr:2050 dw:16829 dr:6845699 al:15 bm:0 lo:0 pe:0 ua:0 ap:0 "
                       "ep:1 wo:f oos:0\n"
                       " 1: cs:Unconfigured\n"),
            std::string::npos)
      << r.out;
  EXPECT_EQ(r.out.rfind("version: 8.4.11-quorate-", 0), 0u) << r.out;
  r = replica(d, {"overview"});
  EXPECT_EQ(r.out, " 0:mysql/0  Connected Primary/Secondary UpToDate/UpToDate \n");
  r = replica(d, {"status"});
  EXPECT_EQ(r.out.rfind("mysql role:Primary\n", 0), 0u) << r.out;
  r = replica(d, {"status", "mysql", "--json"});
  EXPECT_EQ(nlohmann::json::parse(r.out)["volumes"][0]["cstate"], "Connected");
  r = replica(d, {"status", "nope"});
  EXPECT_EQ(r.rc, kDrbdExitConfig);
  EXPECT_EQ(r.err, "nope: No such resource\n");
  r = replica(d, {"frob"});
  EXPECT_EQ(r.rc, kDrbdExitUsage);
  EXPECT_EQ(r.err.rfind("quorate replica: unknown subcommand 'frob'\n", 0), 0u);
  r = replica(d, {"--help"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(r.out.find("cat /proc/drbd"), std::string::npos);
  // Through the dispatcher.
  d.out.str("");
  ToolEnv env = d.env();
  EXPECT_EQ(quorate_main({"quorate", "replica", "overview"}, env), 0);
  EXPECT_EQ(d.out.str(), " 0:mysql/0  Connected Primary/Secondary UpToDate/UpToDate \n");
}

TEST(QuorateReplica, BadAnswerFromTheDaemonIsAnError) {
  FakeDaemon d;
  d.respond = [](const ipc::Request& req, IpcFailure*) -> Result<ipc::Response> {
    ipc::Response r;
    r.set_id(req.id());
    ipc::ReplicaState* v = r.mutable_replica_status()->add_replicas();
    v->set_resource("r0");
    v->set_up(true);
    v->set_role("Boss");
    return r;
  };
  ToolRun r = replica(d, {"status"});
  EXPECT_EQ(r.rc, kDrbdExitNoDaemon);
  EXPECT_EQ(r.err, "quorate replica: bad answer from quorated: replica r0/0: unknown role 'Boss'\n");
}

}  // namespace
}  // namespace quorate::cli
