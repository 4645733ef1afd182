// The replicated-volume status views (cli/render_replica.h). The /proc/drbd,
// drbdadm role/cstate/dstate and drbd-overview expectations are real DRBD
// 8.4.10 output (../shared/seeds/drbd-mysql-guide.zh.md), reproduced from a
// ReplicaStatus built by hand from the printed numbers; the DRBD 9 status and
// JSON shapes are golden files (tests/unit/cli/golden/replica-*).
#include "cli/render_replica.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace quorate::cli {
namespace {

using replication::ConnState;
using replication::DiskState;
using replication::Protocol;
using replication::ReplicaStatus;
using replication::Role;
using replication::SyncProgress;
using testing::expect_golden;

ReplicaStatus mysql(ConnState cs, Role role, Role peer_role, DiskState disk, DiskState peer_disk) {
  ReplicaStatus s;
  s.resource = "mysql";
  s.minor = 0;
  s.volume = 0;
  s.peer = "backup";
  s.role = role;
  s.peer_role = peer_role;
  s.cstate = cs;
  s.disk = disk;
  s.peer_disk = peer_disk;
  s.protocol = Protocol::kC;
  s.size_kib = 6835924;
  return s;
}

void counters(ReplicaStatus& s, uint64_t ns, uint64_t nr, uint64_t dw, uint64_t dr, uint64_t al,
              uint64_t pe, uint64_t oos) {
  s.ns = ns;
  s.nr = nr;
  s.dw = dw;
  s.dr = dr;
  s.al = al;
  s.pe = pe;
  s.oos_kib = oos;
}

// cat /proc/drbd right after `drbdadm up` on the first node.
ReplicaStatus seed_wfconnection() {
  auto s = mysql(ConnState::kWFConnection, Role::kSecondary, Role::kUnknown,
                 DiskState::kInconsistent, DiskState::kDUnknown);
  s.al_suspended = true;
  counters(s, 0, 0, 0, 0, 8, 0, 6835924);
  return s;
}

// ... after `drbdadm primary --force`: the initial sync half way.
ReplicaStatus seed_sync_source() {
  auto s = mysql(ConnState::kSyncSource, Role::kPrimary, Role::kSecondary, DiskState::kUpToDate,
                 DiskState::kInconsistent);
  counters(s, 3757056, 0, 0, 3759178, 8, 1, 3079892);
  SyncProgress p;
  p.total_kib = 6835924;
  p.left_kib = 3079892;
  p.rate_kib_s = 8696;
  p.avg_kib_s = 9180;
  p.want_kib_s = 10240;  // not printed on a SyncSource
  s.sync = p;
  return s;
}

TEST(RenderReplica, ThousandsGrouping) {
  EXPECT_EQ(format_thousands(0), "0");
  EXPECT_EQ(format_thousands(999), "999");
  EXPECT_EQ(format_thousands(8696), "8,696");
  EXPECT_EQ(format_thousands(102400), "102,400");
  EXPECT_EQ(format_thousands(1234567), "1,234,567");
}

TEST(RenderReplica, ProcDrbdSeedWFConnection) {
  ProcDrbdOptions o;
  o.quorate_version = "0.1.0";
  EXPECT_EQ(render_proc_drbd({seed_wfconnection()}, o),
            "version: 8.4.11-quorate-0.1.0 (api:1/proto:86-101)\n"
            "quorate: quorated 0.1.0 user-space replication, DRBD 8.4 status layout\n"
            " 0: cs:WFConnection ro:Secondary/Unknown ds:Inconsistent/DUnknown C r----s\n"
            "    ns:0 nr:0 dw:0 dr:0 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:6835924\n");
}

TEST(RenderReplica, ProcDrbdSeedSyncSource) {
  EXPECT_EQ(render_proc_drbd_volume(seed_sync_source()),
            " 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----\n"
            "    ns:3757056 nr:0 dw:0 dr:3759178 al:8 bm:0 lo:0 pe:1 ua:0 ap:0 ep:1 wo:f "
            "oos:3079892\n"
            "\t[==========>.........] sync'ed: 55.1% (3004/6672)M\n"
            "\tfinish: 0:05:53 speed: 8,696 (9,180) K/sec\n");
}

TEST(RenderReplica, ProcDrbdSeedConnectedStates) {
  struct Case {
    ReplicaStatus s;
    const char* expected;
  };
  std::vector<Case> cases;
  {
    auto s = mysql(ConnState::kConnected, Role::kPrimary, Role::kSecondary, DiskState::kUpToDate,
                   DiskState::kUpToDate);
    counters(s, 6835921, 0, 0, 6838043, 8, 0, 0);
    cases.push_back({s,
                     " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
                     "    ns:6835921 nr:0 dw:0 dr:6838043 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f "
                     "oos:0\n"});
  }
  {
    auto s = mysql(ConnState::kConnected, Role::kSecondary, Role::kSecondary,
                   DiskState::kInconsistent, DiskState::kInconsistent);
    counters(s, 0, 0, 0, 0, 16, 0, 6835924);
    cases.push_back({s,
                     " 0: cs:Connected ro:Secondary/Secondary ds:Inconsistent/Inconsistent C "
                     "r-----\n"
                     "    ns:0 nr:0 dw:0 dr:0 al:16 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f "
                     "oos:6835924\n"});
  }
  {
    auto s = mysql(ConnState::kConnected, Role::kPrimary, Role::kSecondary, DiskState::kUpToDate,
                   DiskState::kUpToDate);
    counters(s, 6850687, 2050, 16829, 6845699, 15, 0, 0);
    cases.push_back({s,
                     " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
                     "    ns:6850687 nr:2050 dw:16829 dr:6845699 al:15 bm:0 lo:0 pe:0 ua:0 ap:0 "
                     "ep:1 wo:f oos:0\n"});
  }
  {
    auto s = mysql(ConnState::kConnected, Role::kSecondary, Role::kSecondary, DiskState::kUpToDate,
                   DiskState::kUpToDate);
    counters(s, 6848639, 0, 12731, 6842452, 15, 0, 0);
    cases.push_back({s,
                     " 0: cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate C r-----\n"
                     "    ns:6848639 nr:0 dw:12731 dr:6842452 al:15 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 "
                     "wo:f oos:0\n"});
  }
  {
    auto s = mysql(ConnState::kConnected, Role::kPrimary, Role::kSecondary, DiskState::kUpToDate,
                   DiskState::kUpToDate);
    counters(s, 0, 60, 60, 2122, 0, 0, 0);
    cases.push_back({s,
                     " 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----\n"
                     "    ns:0 nr:60 dw:60 dr:2122 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f "
                     "oos:0\n"});
  }
  for (const auto& c : cases) EXPECT_EQ(render_proc_drbd_volume(c.s), c.expected);
}

TEST(RenderReplica, ProgressBarEnds) {
  auto s = seed_sync_source();
  s.sync->left_kib = s.sync->total_kib;  // nothing done
  EXPECT_EQ(render_sync_progress(s).substr(0, 46),
            "\t[>....................] sync'ed:  0.1% (6672/");
  s.sync->left_kib = 0;  // all done
  EXPECT_EQ(render_sync_progress(s).substr(0, 49),
            "\t[===================>] sync'ed:100.0% (0/6672)M\n");
}

TEST(RenderReplica, ProgressKilobytesVerifyWantAndStalled) {
  // 1 GiB volume: sizes in K. SyncTarget shows want:.
  ReplicaStatus s = mysql(ConnState::kSyncTarget, Role::kSecondary, Role::kPrimary,
                          DiskState::kInconsistent, DiskState::kUpToDate);
  SyncProgress p;
  p.total_kib = 1048576;
  p.left_kib = 262144;
  p.rate_kib_s = 102400;
  p.avg_kib_s = 98304;
  p.want_kib_s = 102400;
  s.sync = p;
  EXPECT_EQ(render_sync_progress(s),
            "\t[==============>.....] sync'ed: 75.1% (262144/1048576)K\n"
            "\tfinish: 0:00:02 speed: 102,400 (98,304) want: 102,400 K/sec\n");
  // Verify: "verified:", want on VerifyS only, "(stalled)".
  s.cstate = ConnState::kVerifyS;
  s.sync->stalled = true;
  s.sync->rate_kib_s = 0;
  const std::string v = render_sync_progress(s);
  EXPECT_NE(v.find("] verified: 75.1% (262144/1048576)K\n"), std::string::npos) << v;
  EXPECT_NE(v.find("speed: 0 (98,304) want: 102,400 K/sec (stalled)\n"), std::string::npos) << v;
  s.cstate = ConnState::kVerifyT;
  EXPECT_EQ(render_sync_progress(s).find("want:"), std::string::npos);
  // Paused: no progress lines in /proc/drbd.
  s.cstate = ConnState::kPausedSyncT;
  s.paused_by_user = true;
  EXPECT_EQ(render_sync_progress(s), "");
  EXPECT_NE(render_proc_drbd_volume(s).find(" C r--u--\n"), std::string::npos);
}

TEST(RenderReplica, EtaFollowsDrbdRounding) {
  SyncProgress p;
  p.total_kib = 6835924;
  p.left_kib = 3079892;
  p.rate_kib_s = 8696;
  EXPECT_EQ(sync_eta_s(p), 353u);  // plain left/rate would give 354
}

TEST(RenderReplica, ProcDrbdUnconfiguredGapsAndNoProtocol) {
  ReplicaStatus a = seed_wfconnection();
  ReplicaStatus b;  // StandAlone, Diskless, Secondary: not configured
  b.resource = "r1";
  b.minor = 1;
  ReplicaStatus c = seed_wfconnection();
  c.minor = 5;
  c.protocol.reset();
  c.al_suspended = false;
  ProcDrbdOptions o;
  o.quorate_version = "9.9.9";
  const std::string out = render_proc_drbd({a, b, c}, o);
  EXPECT_NE(out.find("\n 1: cs:Unconfigured\n\n 5: cs:WFConnection"), std::string::npos) << out;
  EXPECT_NE(out.find("ds:Inconsistent/DUnknown   r-----\n"), std::string::npos) << out;
  EXPECT_EQ(out.rfind("version: 8.4.11-quorate-9.9.9 (api:1/proto:86-101)\n", 0), 0u);
}

TEST(RenderReplica, DrbdadmRoleCstateDstateSeed) {
  auto s = mysql(ConnState::kConnected, Role::kPrimary, Role::kSecondary, DiskState::kUpToDate,
                 DiskState::kUpToDate);
  EXPECT_EQ(render_drbdadm_role({s}), "Primary/Secondary\n");
  EXPECT_EQ(render_drbdadm_cstate({s}), "Connected\n");
  EXPECT_EQ(render_drbdadm_dstate({s}), "UpToDate/UpToDate\n");
  auto t = s;
  t.volume = 1;
  t.minor = 1;
  t.peer_role = Role::kUnknown;
  EXPECT_EQ(render_drbdadm_role({s, t}), "Primary/Secondary\nPrimary/Unknown\n");
}

TEST(RenderReplica, OverviewSeedLines) {
  const OverviewMount mydata{"/mydata/mysql", "xfs", "6.6G", "33M", "6.5G", "1%"};
  const OverviewMount mnt{"/mnt", "xfs", "6.6G", "33M", "6.5G", "1%"};
  auto v = [](ConnState cs, Role r, Role pr, DiskState d, DiskState pd) {
    return mysql(cs, r, pr, d, pd);
  };
  EXPECT_EQ(render_drbd_overview({v(ConnState::kConnected, Role::kPrimary, Role::kSecondary,
                                    DiskState::kUpToDate, DiskState::kUpToDate)},
                                 {{0, mydata}}),
            " 0:mysql/0  Connected Primary/Secondary UpToDate/UpToDate /mydata/mysql xfs 6.6G 33M "
            "6.5G 1% \n");
  EXPECT_EQ(render_drbd_overview({v(ConnState::kStandAlone, Role::kPrimary, Role::kUnknown,
                                    DiskState::kUpToDate, DiskState::kDUnknown)},
                                 {{0, mydata}}),
            " 0:mysql/0  StandAlone Primary/Unknown UpToDate/DUnknown /mydata/mysql xfs 6.6G 33M "
            "6.5G 1% \n");
  EXPECT_EQ(render_drbd_overview({v(ConnState::kWFConnection, Role::kSecondary, Role::kUnknown,
                                    DiskState::kUpToDate, DiskState::kDUnknown)}),
            " 0:mysql/0  WFConnection Secondary/Unknown UpToDate/DUnknown \n");
  EXPECT_EQ(render_drbd_overview({v(ConnState::kWFConnection, Role::kPrimary, Role::kUnknown,
                                    DiskState::kUpToDate, DiskState::kDUnknown)},
                                 {{0, mnt}}),
            " 0:mysql/0  WFConnection Primary/Unknown UpToDate/DUnknown /mnt xfs 6.6G 33M 6.5G 1% "
            "\n");
  EXPECT_EQ(render_drbd_overview({v(ConnState::kStandAlone, Role::kSecondary, Role::kUnknown,
                                    DiskState::kUpToDate, DiskState::kDUnknown)}),
            " 0:mysql/0  StandAlone Secondary/Unknown UpToDate/DUnknown \n");
}

TEST(RenderReplica, OverviewPadsColumnsAndShowsProgress) {
  auto a = seed_sync_source();
  auto b = mysql(ConnState::kConnected, Role::kPrimary, Role::kSecondary, DiskState::kUpToDate,
                 DiskState::kUpToDate);
  b.resource = "r10";
  b.minor = 12;
  expect_golden("replica-overview.txt", render_drbd_overview({a, b}));
}

// Two resources: a syncing one with two volumes, and a disconnected one.
ReplicaList status_sample() {
  auto v0 = seed_sync_source();
  v0.resource = "r0";
  v0.peer = "hadb02";
  auto v1 = v0;
  v1.volume = 1;
  v1.minor = 1;
  v1.cstate = ConnState::kPausedSyncS;
  v1.paused_by_user = true;
  v1.sync->left_kib = v1.sync->total_kib;
  v1.oos_kib = v1.sync->total_kib;
  auto d = mysql(ConnState::kWFConnection, Role::kSecondary, Role::kUnknown, DiskState::kOutdated,
                 DiskState::kDUnknown);
  d.minor = 2;
  d.peer = "master";
  return {v0, v1, d};
}

TEST(RenderReplica, DrbdStatusSingleVolumeLikeTheFacts) {
  // REPLICATION-FACTS.md §11.2's example.
  auto s = mysql(ConnState::kSyncSource, Role::kPrimary, Role::kSecondary, DiskState::kUpToDate,
                 DiskState::kInconsistent);
  s.resource = "r0";
  s.peer = "hadb02";
  SyncProgress p;
  p.total_kib = 8388608;
  p.left_kib = 5242880;
  s.sync = p;
  EXPECT_EQ(render_drbd_status({s}, {}),
            "r0 role:Primary\n"
            "  disk:UpToDate\n"
            "  hadb02 role:Secondary\n"
            "    replication:SyncSource peer-disk:Inconsistent done:37.50\n"
            "\n");
  s.cstate = ConnState::kConnected;
  s.peer_disk = DiskState::kUpToDate;
  s.sync.reset();
  EXPECT_EQ(render_drbd_status({s}, {}),
            "r0 role:Primary\n"
            "  disk:UpToDate\n"
            "  hadb02 role:Secondary\n"
            "    replication:Established peer-disk:UpToDate\n"
            "\n");
  s.cstate = ConnState::kStandAlone;
  EXPECT_EQ(render_drbd_status({s}, {}),
            "r0 role:Primary\n"
            "  disk:UpToDate\n"
            "  hadb02 connection:StandAlone\n"
            "\n");
}

TEST(RenderReplica, DrbdStatusGolden) {
  expect_golden("replica-status.txt", render_drbd_status(status_sample(), {}));
  StatusOptions verbose;
  verbose.verbose = true;
  expect_golden("replica-status-verbose.txt", render_drbd_status(status_sample(), verbose));
  StatusOptions both;
  both.verbose = true;
  both.statistics = true;
  expect_golden("replica-status-verbose-statistics.txt", render_drbd_status(status_sample(), both));
}

TEST(RenderReplica, JsonKeysAndValues) {
  const nlohmann::json j = replica_status_json(seed_sync_source());
  for (const char* key : {"resource", "minor", "volume", "peer", "role", "peer_role", "cstate",
                          "connection", "replication", "disk", "peer_disk", "protocol", "flags",
                          "size_kib", "counters", "sync", "split_brain"}) {
    EXPECT_TRUE(j.contains(key)) << key;
  }
  EXPECT_EQ(j["cstate"], "SyncSource");
  EXPECT_EQ(j["connection"], "Connected");
  EXPECT_EQ(j["replication"], "SyncSource");
  EXPECT_EQ(j["protocol"], "C");
  EXPECT_EQ(j["counters"]["sent_kib"], 3757056);
  EXPECT_EQ(j["counters"]["write_ordering"], "flush");
  EXPECT_EQ(j["sync"]["done_permille"], 551);
  EXPECT_EQ(j["sync"]["eta_s"], 353);
  EXPECT_TRUE(j["sync"]["want_kib_s"].is_null());
  EXPECT_TRUE(j["split_brain"].is_null());

  const nlohmann::json w = replica_status_json(seed_wfconnection());
  EXPECT_TRUE(w["sync"].is_null());
  EXPECT_EQ(w["connection"], "Connecting");
  EXPECT_EQ(w["replication"], "Off");
  EXPECT_EQ(w["flags"]["al_suspended"], true);

  expect_golden("replica-status.json", replicas_json(status_sample()).dump(2) + "\n");
}

}  // namespace
}  // namespace quorate::cli
