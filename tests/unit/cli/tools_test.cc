// The tools end to end against a fake daemon: what they print, which
// requests they send, to which socket, and their exit codes.
#include "cli/tools.h"

#include <gtest/gtest.h>

#include "cli/render.h"
#include "test_support.h"

namespace quorate::cli {
namespace {

using testing::FakeDaemon;

struct ToolRun {
  int rc;
  std::string out, err;
};

ToolRun run(FakeDaemon& d, std::vector<std::string> argv) {
  ToolEnv env = d.env();
  d.out.str("");
  d.err.str("");
  const int rc = quorate_main(argv, env);
  return ToolRun{rc, d.out.str(), d.err.str()};
}

QuorumRenderOptions utc_free() { return {}; }

TEST(QuorumTool, StatusOfAQuorateNodeExitsZero) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  const ToolRun r = run(d, {"/usr/sbin/corosync-quorumtool", "-s"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, render_quorum_status(testing::three_node_quorate(), utc_free()));
  EXPECT_TRUE(r.err.empty());
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_TRUE(d.requests[0].has_quorum_status());
}

TEST(QuorumTool, NoOptionMeansStatus) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  EXPECT_EQ(run(d, {"corosync-quorumtool"}).out,
            render_quorum_status(testing::three_node_quorate(), utc_free()));
}

TEST(QuorumTool, StatusOfANonQuorateNodeExitsTwo) {
  FakeDaemon d;
  d.serve(testing::partitioned_not_quorate(), testing::three_node_ring(false));
  const ToolRun r = run(d, {"corosync-quorumtool", "-s"});
  EXPECT_EQ(r.rc, 2);
  EXPECT_NE(r.out.find("Quorate:          No\n"), std::string::npos);
  EXPECT_NE(r.out.find("Quorum:           2 Activity blocked\n"), std::string::npos);
  // --json keeps the exit code.
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-s", "--json"}).rc, 2);
  // -l lists and succeeds regardless of quorum.
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-l"}).rc, 0);
}

TEST(QuorumTool, ListAndJson) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  const ToolRun l = run(d, {"corosync-quorumtool", "-l"});
  EXPECT_EQ(l.rc, 0);
  EXPECT_EQ(l.out, render_membership(testing::three_node_quorate(), utc_free()));
  const ToolRun j = run(d, {"quorate", "quorum", "-s", "--json"});
  EXPECT_EQ(j.rc, 0);
  auto parsed = nlohmann::json::parse(j.out);
  EXPECT_EQ(parsed["quorate"], true);
  EXPECT_EQ(parsed["ring_id"], "1.1c");
  EXPECT_EQ(parsed["members"].size(), 3u);
}

TEST(QuorumTool, CombinedShortOptions) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  QuorumRenderOptions o;
  o.hex_nodeids = true;
  o.show_addresses = true;
  o.order = MemberOrder::kNodeid;
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-sHi", "-oi"}).out,
            render_quorum_status(testing::three_node_quorate(), o));
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-s", "-H", "-i", "-o", "i"}).out,
            render_quorum_status(testing::three_node_quorate(), o));
}

TEST(QuorumTool, DaemonNotRunning) {
  FakeDaemon d;
  d.down();
  const ToolRun r = run(d, {"corosync-quorumtool", "-s"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_TRUE(r.out.empty());
  EXPECT_EQ(r.err.rfind("Cannot initialize QUORUM service\n", 0), 0u) << r.err;
  EXPECT_NE(r.err.find("/run/quorate/quorated.sock"), std::string::npos);
  EXPECT_NE(r.err.find("No such file or directory"), std::string::npos);
  const ToolRun c = run(d, {"corosync-cfgtool", "-s"});
  EXPECT_EQ(c.rc, 1);
  EXPECT_NE(c.err.find("Could not initialize corosync configuration API"), std::string::npos);
}

TEST(QuorumTool, SocketFlagBeatsEnvironmentBeatsDefault) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  run(d, {"corosync-quorumtool", "-l"});
  d.socket_env = "/tmp/from-env.sock";
  run(d, {"corosync-quorumtool", "-l"});
  run(d, {"corosync-quorumtool", "-l", "--socket", "/tmp/from-flag.sock"});
  run(d, {"corosync-quorumtool", "-l", "--socket=/tmp/eq.sock"});
  EXPECT_EQ(d.sockets, (std::vector<std::string>{"/run/quorate/quorated.sock", "/tmp/from-env.sock",
                                                 "/tmp/from-flag.sock", "/tmp/eq.sock"}));
}

TEST(QuorumTool, SetExpectedVotes) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  const ToolRun r = run(d, {"corosync-quorumtool", "-e", "2"});
  EXPECT_EQ(r.rc, 0);
  ASSERT_EQ(d.requests.size(), 1u);
  ASSERT_TRUE(d.requests[0].has_set_expected_votes());
  EXPECT_EQ(d.requests[0].set_expected_votes().expected_votes(), 2u);
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-e", "0"}).rc, 2);
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-e", "x"}).err,
            "New expected votes value was not valid, try a positive number\n");
}

TEST(QuorumTool, SetVotesDefaultsToTheLocalNode) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-v", "0"}).rc, 0);
  ASSERT_EQ(d.requests.size(), 2u);
  EXPECT_TRUE(d.requests[0].has_ping());
  ASSERT_TRUE(d.requests[1].has_set_votes());
  EXPECT_EQ(d.requests[1].set_votes().nodeid(), 1u);
  EXPECT_EQ(d.requests[1].set_votes().votes(), 0u);
  d.requests.clear();
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-v", "2", "-n", "3"}).rc, 0);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_EQ(d.requests[0].set_votes().nodeid(), 3u);
  EXPECT_EQ(d.requests[0].set_votes().votes(), 2u);
}

TEST(QuorumTool, PermissionDeniedIsReported) {
  FakeDaemon d;
  d.respond = [](const ipc::Request& req, IpcFailure*) -> Result<ipc::Response> {
    ipc::Response r;
    r.set_id(req.id());
    r.set_error("permission denied: uid 1000 is neither root nor in group haclient");
    return r;
  };
  const ToolRun r = run(d, {"corosync-quorumtool", "-e", "2"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            "Unable to set expected votes: permission denied: uid 1000 is neither root nor in "
            "group haclient\n");
  const ToolRun v = run(d, {"corosync-quorumtool", "-v", "1", "-n", "2"});
  EXPECT_EQ(v.rc, 1);
  EXPECT_EQ(v.err,
            "Unable to set votes 1 for nodeid: 2: permission denied: uid 1000 is neither root "
            "nor in group haclient\n");
}

TEST(QuorumTool, BadOptionValues) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  const ToolRun o = run(d, {"corosync-quorumtool", "-o", "x"});
  EXPECT_EQ(o.rc, 2);
  EXPECT_EQ(o.err, "Invalid ordering option. valid orders are a(address), i(node ID) or n(name)\n");
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-n", "abc"}).rc, 2);
  EXPECT_EQ(run(d, {"corosync-quorumtool", "-v", "-1"}).rc, 2);
  const ToolRun bad = run(d, {"corosync-quorumtool", "-z"});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err.rfind("corosync-quorumtool: invalid option -- 'z'\n", 0), 0u);
  EXPECT_TRUE(d.requests.empty());
}

TEST(QuorumTool, HelpAndVersionNeedNoDaemon) {
  FakeDaemon d;
  d.down();
  const ToolRun h = run(d, {"corosync-quorumtool", "-h"});
  EXPECT_EQ(h.rc, 0);
  EXPECT_EQ(h.out.rfind("usage: \ncorosync-quorumtool <options>\n", 0), 0u);
  const ToolRun v = run(d, {"corosync-quorumtool", "-V"});
  EXPECT_EQ(v.rc, 0);
  EXPECT_NE(v.out.find("corosync-quorumtool version: "), std::string::npos);
  EXPECT_TRUE(d.requests.empty());
}

TEST(CfgTool, LinkStatus) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(false));
  const ToolRun r = run(d, {"corosync-cfgtool", "-s"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, render_ring_status(testing::three_node_ring(false), {}));
  RingRenderOptions brief;
  brief.brief = true;
  EXPECT_EQ(run(d, {"quorate", "ring", "-sb"}).out,
            render_ring_status(testing::three_node_ring(false), brief));
  auto j = nlohmann::json::parse(run(d, {"corosync-cfgtool", "-s", "--json"}).out);
  EXPECT_EQ(j["links"][0]["nodes"][2]["status"], "disconnected");
}

TEST(CfgTool, AddressShutdownUsageAndUnsupported) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  EXPECT_EQ(run(d, {"corosync-cfgtool", "-a", "2"}).out, "127.0.0.2\n");
  EXPECT_EQ(run(d, {"corosync-cfgtool", "-a", "9"}).rc, 1);
  d.requests.clear();
  EXPECT_EQ(run(d, {"corosync-cfgtool", "-H"}).rc, 0);
  ASSERT_EQ(d.requests.size(), 1u);
  EXPECT_TRUE(d.requests[0].has_leave());
  const ToolRun u = run(d, {"corosync-cfgtool"});
  EXPECT_EQ(u.rc, 0);
  EXPECT_NE(u.out.find("-s\tDisplays the status of the current links on this node."),
            std::string::npos);
  const ToolRun n = run(d, {"corosync-cfgtool", "-R"});
  EXPECT_EQ(n.rc, 1);
  EXPECT_NE(n.err.find("not supported"), std::string::npos);
}

TEST(Dispatch, NamesWithoutTheirLayerAreNotAvailable) {
  FakeDaemon d;
  d.down();
  // crm_simulate has its layer (crm/sched_*) and is tested in crm_sched; crm
  // has its configure level (crm_test.cc) and only that.
  const ToolRun crm_status = run(d, {"/usr/bin/crm", "status"});
  EXPECT_EQ(crm_status.rc, 3);
  EXPECT_NE(crm_status.err.find("'status' is not available in this build yet"), std::string::npos);
  // drbdadm has its handler (drbdadm_test.cc). The CIB tools work on
  // $CIB_file only (crm_tools_test.cc); without it they say so, with
  // Pacemaker's "not connected" exit code.
  for (const char* name : {"crm_mon", "crm_standby", "crm_resource"}) {
    const ToolRun r = run(d, {std::string("/usr/bin/") + name});
    EXPECT_EQ(r.rc, 102) << name;
    EXPECT_EQ(r.err, std::string(name) +
                         ": no live cluster connection is available in this build yet; set "
                         "CIB_file=PATH to work on a CIB XML file offline\n");
    const ToolRun sub = run(d, {"quorate", name});
    EXPECT_EQ(sub.rc, 102) << name;
  }
}

TEST(Dispatch, SubcommandsAndUnknowns) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  EXPECT_EQ(run(d, {"quorate", "quorum", "-l"}).out, run(d, {"corosync-quorumtool", "-l"}).out);
  EXPECT_EQ(run(d, {"quorate", "ring", "-s"}).out, run(d, {"corosync-cfgtool", "-s"}).out);
  const ToolRun v = run(d, {"quorate", "version"});
  EXPECT_EQ(v.rc, 0);
  EXPECT_EQ(v.out.rfind("quorate ", 0), 0u);
  const ToolRun u = run(d, {"quorate", "frobnicate"});
  EXPECT_EQ(u.rc, 1);
  EXPECT_EQ(u.err.rfind("quorate: unknown command 'frobnicate'\n", 0), 0u);
  EXPECT_EQ(run(d, {"quorate"}).rc, 1);
  EXPECT_EQ(run(d, {"quorate", "--help"}).rc, 0);
}

}  // namespace
}  // namespace quorate::cli

namespace quorate::cli {
namespace {

// The seed guide prints "corosync-quorumtool –l" with an en dash, as web
// pages do; an operator pasting it gets the listing and a note.
TEST(Dispatch, TypographicDashesReadAsAsciiDashes) {
  FakeDaemon d;
  d.serve(testing::three_node_quorate(), testing::three_node_ring(true));
  const ToolRun en = run(d, {"corosync-quorumtool", "\xE2\x80\x93l"});
  EXPECT_EQ(en.rc, 0);
  EXPECT_EQ(en.out, run(d, {"corosync-quorumtool", "-l"}).out);
  const ToolRun again = run(d, {"corosync-quorumtool", "\xE2\x80\x93l"});
  EXPECT_NE(again.err.find("read '\xE2\x80\x93l' as '-l'"), std::string::npos) << again.err;
  // An em dash before a word is a long option.
  const ToolRun em = run(d, {"corosync-quorumtool", "-s", "\xE2\x80\x94json"});
  EXPECT_EQ(em.rc, 0);
  EXPECT_EQ(em.out, run(d, {"corosync-quorumtool", "-s", "--json"}).out);
}

}  // namespace
}  // namespace quorate::cli
