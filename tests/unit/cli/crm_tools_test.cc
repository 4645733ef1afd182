// crm_mon, crm_standby and crm_resource on $CIB_file: golden screens made by
// the real Pacemaker 2.1.5 crm_mon (tests/data/crm_mon/README.md), and real
// files edited in a temporary directory, with every error path's exact
// message and exit code.
#include "cli/crm_tools.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "cli/tools.h"
#include "tests/unit/cli/test_support.h"

namespace quorate::cli {
namespace {

namespace fs = std::filesystem;

// A small cluster written for these tests: node1 and node2 online, ip on
// node1, group web (fs, apache) on node2 with a failed apache monitor and a
// fail count there, ms_drbd promoted on node1 and unpromoted on node2, and a
// stopped primitive.
constexpr const char* kCib =
    R"(<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="7" num_updates="3" admin_epoch="0" cib-last-written="Wed Jun  5 10:00:00 2024" update-origin="node1" update-client="cibadmin" update-user="root" have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="opt-stonith" name="stonith-enabled" value="false"/>
        <nvpair id="opt-stack" name="cluster-infrastructure" value="corosync"/>
        <nvpair id="opt-version" name="dc-version" value="2.1.5-a3f44794f94"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2"/>
    </nodes>
    <resources>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="ip-instance_attributes">
          <nvpair id="ip-instance_attributes-ip" name="ip" value="10.0.0.10"/>
        </instance_attributes>
      </primitive>
      <group id="web">
        <primitive id="fs" class="ocf" provider="heartbeat" type="Filesystem"/>
        <primitive id="apache" class="ocf" provider="heartbeat" type="apache"/>
      </group>
      <clone id="ms_drbd">
        <meta_attributes id="ms_drbd-meta">
          <nvpair id="ms_drbd-promotable" name="promotable" value="true"/>
        </meta_attributes>
        <primitive id="drbd" class="ocf" provider="linbit" type="drbd"/>
      </clone>
      <primitive id="spare" class="ocf" provider="pacemaker" type="Dummy"/>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1">
        <lrm_resources>
          <lrm_resource id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
            <lrm_rsc_op id="ip_last_0" operation_key="ip_start_0" operation="start" transition-key="1:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" transition-magic="0:0;1:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" call-id="5" rc-code="0" op-status="0" interval="0"/>
          </lrm_resource>
          <lrm_resource id="drbd" class="ocf" provider="linbit" type="drbd">
            <lrm_rsc_op id="drbd_last_0" operation_key="drbd_promote_0" operation="promote" transition-key="2:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" transition-magic="0:0;2:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" call-id="7" rc-code="0" op-status="0" interval="0"/>
          </lrm_resource>
        </lrm_resources>
      </lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="2">
        <instance_attributes id="status-2">
          <nvpair id="status-2-fail-count-apache.monitor_10000" name="fail-count-apache#monitor_10000" value="1"/>
          <nvpair id="status-2-last-failure-apache.monitor_10000" name="last-failure-apache#monitor_10000" value="1717580000"/>
        </instance_attributes>
      </transient_attributes>
      <lrm id="2">
        <lrm_resources>
          <lrm_resource id="fs" class="ocf" provider="heartbeat" type="Filesystem">
            <lrm_rsc_op id="fs_last_0" operation_key="fs_start_0" operation="start" transition-key="3:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" transition-magic="0:0;3:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" call-id="4" rc-code="0" op-status="0" interval="0"/>
          </lrm_resource>
          <lrm_resource id="apache" class="ocf" provider="heartbeat" type="apache">
            <lrm_rsc_op id="apache_last_0" operation_key="apache_start_0" operation="start" transition-key="4:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" transition-magic="0:0;4:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" call-id="6" rc-code="0" op-status="0" interval="0"/>
            <lrm_rsc_op id="apache_last_failure_0" operation_key="apache_monitor_10000" operation="monitor" transition-key="5:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" transition-magic="0:7;5:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" call-id="8" rc-code="7" op-status="0" interval="10000" last-rc-change="1717580000" exec-time="12"/>
          </lrm_resource>
          <lrm_resource id="drbd" class="ocf" provider="linbit" type="drbd">
            <lrm_rsc_op id="drbd_last_0" operation_key="drbd_start_0" operation="start" transition-key="6:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" transition-magic="0:0;6:1:0:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee" call-id="3" rc-code="0" op-status="0" interval="0"/>
          </lrm_resource>
        </lrm_resources>
      </lrm>
    </node_state>
  </status>
</cib>
)";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void spit(const fs::path& p, const std::string& text) {
  std::ofstream(p, std::ios::binary | std::ios::trunc) << text;
}

fs::path corpus_xml(const std::string& name) {
  return fs::path(QUORATE_SOURCE_DIR) / ".." / "shared" / "corpus" / "pacemaker-scheduler" / "xml" /
         (name + ".xml");
}

struct ToolRun {
  int rc;
  std::string out;
  std::string err;
};

// A temporary directory holding cib.xml, removed at the end even on failure;
// tools run with $CIB_file naming it and the clock at kSampleNowMs, in UTC.
class CrmTools : public ::testing::Test {
 protected:
  void SetUp() override {
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    std::string tmpl = (fs::temp_directory_path() / "quorate-crmtools-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    cib_ = dir_ / "cib.xml";
    spit(cib_, kCib);
    vars_["CIB_file"] = cib_.string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  ToolRun run(const std::vector<std::string>& argv, const std::string& input = "") {
    testing::FakeDaemon d;
    d.down();
    ToolEnv env = d.env();
    std::istringstream in(input);
    env.in = &in;
    env.getenv = [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars_.find(name);
      return it == vars_.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    const int rc = quorate_main(argv, env);
    return ToolRun{rc, d.out.str(), d.err.str()};
  }

  // Only cib.xml is in the directory: no temporary file was left behind.
  void expect_no_leftovers() {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir_)) {
      ++n;
      EXPECT_EQ(e.path().filename(), "cib.xml") << "left behind: " << e.path();
    }
    EXPECT_EQ(n, 1);
  }

  fs::path dir_;
  fs::path cib_;
  std::map<std::string, std::string> vars_;
};

// ---------------------------------------------------------------------------
// crm_mon

struct GoldenCase {
  const char* name;
  const char* variant;
};

class CrmMonGolden : public CrmTools, public ::testing::WithParamInterface<GoldenCase> {};

TEST_P(CrmMonGolden, MatchesPacemaker) {
  const auto& c = GetParam();
  const fs::path xml = corpus_xml(c.name);
  if (!fs::exists(xml)) GTEST_SKIP() << "corpus not found at " << xml;
  vars_["CIB_file"] = xml.string();
  std::vector<std::string> argv = {"crm_mon"};
  const std::string v = c.variant;
  if (v == "1") argv.insert(argv.end(), {"-1"});
  if (v == "rfAL") argv.insert(argv.end(), {"-1", "-r", "-f", "-A", "-L"});
  if (v == "nr") argv.insert(argv.end(), {"-1", "-n", "-r"});
  if (v == "of") argv.insert(argv.end(), {"-1", "-o", "-f"});
  const ToolRun r = run(argv);
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "");
  const fs::path golden = fs::path(QUORATE_SOURCE_DIR) / "tests" / "data" / "crm_mon" /
                          (std::string(c.name) + "." + c.variant + ".txt");
  ASSERT_TRUE(fs::exists(golden)) << golden;
  EXPECT_EQ(r.out, slurp(golden)) << "vs " << golden;
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, CrmMonGolden,
    ::testing::Values(GoldenCase{"rsc-sets-clone", "1"}, GoldenCase{"rsc-sets-clone", "rfAL"},
                      GoldenCase{"rsc-sets-clone", "nr"}, GoldenCase{"novell-239082", "rfAL"},
                      GoldenCase{"bug-1765", "rfAL"}, GoldenCase{"bug-1765", "of"},
                      GoldenCase{"failed-demote-recovery", "1"},
                      GoldenCase{"failed-demote-recovery", "of"}, GoldenCase{"bug-5028", "rfAL"},
                      GoldenCase{"1360", "nr"}, GoldenCase{"unmanaged-stop-4", "1"},
                      GoldenCase{"ocf_degraded-remap-ocf_ok", "1"},
                      GoldenCase{"clone-anon-failcount", "rfAL"}, GoldenCase{"bug-1718", "1"},
                      GoldenCase{"bug-1718", "nr"}, GoldenCase{"594", "rfAL"},
                      GoldenCase{"anti-colocation-promoted", "rfAL"},
                      GoldenCase{"node-maintenance-2", "rfAL"}),
    [](const ::testing::TestParamInfo<GoldenCase>& param_info) {
      std::string n = std::string(param_info.param.name) + "_" + param_info.param.variant;
      for (char& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

TEST_F(CrmTools, MonOwnCibScreen) {
  const ToolRun r = run({"crm_mon", "-1", "-r", "-f", "-A"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "Cluster Summary:\n"
            "  * Stack: corosync\n"
            "  * Current DC: node1 (version 2.1.5-a3f44794f94) - partition with quorum\n"
            "  * Last updated: Wed Jun  5 11:21:49 2024\n"
            "  * Last change:  Wed Jun  5 10:00:00 2024 by root via cibadmin on node1\n"
            "  * 2 nodes configured\n"
            "  * 6 resource instances configured\n"
            "\n"
            "Node List:\n"
            "  * Online: [ node1 node2 ]\n"
            "\n"
            "Full List of Resources:\n"
            "  * ip\t(ocf:heartbeat:IPaddr2):\t Started node1\n"
            "  * Resource Group: web:\n"
            "    * fs\t(ocf:heartbeat:Filesystem):\t Started node2\n"
            "    * apache\t(ocf:heartbeat:apache):\t FAILED node2\n"
            "  * Clone Set: ms_drbd [drbd] (promotable):\n"
            "    * Promoted: [ node1 ]\n"
            "    * Unpromoted: [ node2 ]\n"
            "  * spare\t(ocf:pacemaker:Dummy):\t Stopped\n"
            "\n"
            "Migration Summary:\n"
            "  * Node: node2:\n"
            "    * apache: migration-threshold=1000000 fail-count=1 last-failure='Wed Jun  5 "
            "09:33:20 2024'\n"
            "\n"
            "Failed Resource Actions:\n"
            "  * apache 10s-interval monitor on node2 returned 'not running' at Wed Jun  5 "
            "09:33:20 2024 after 12ms\n");
}

TEST_F(CrmTools, MonWithoutOneShotPrintsOnceAndSaysSo) {
  const ToolRun once = run({"crm_mon", "-1"});
  const ToolRun plain = run({"crm_mon"});
  EXPECT_EQ(plain.rc, 0);
  EXPECT_EQ(plain.out, once.out);
  EXPECT_EQ(once.err, "");
  EXPECT_EQ(plain.err,
            "crm_mon: note: the status of a CIB file does not change; shown once (nothing "
            "interactive is possible offline, -1 says so)\n");
}

TEST_F(CrmTools, MonDefaultHidesInactive) {
  const ToolRun r = run({"crm_mon", "-1"});
  EXPECT_NE(r.out.find("Active Resources:\n"), std::string::npos);
  EXPECT_EQ(r.out.find("spare"), std::string::npos);
}

TEST_F(CrmTools, MonTypographicDashAsInTheGuides) {
  // The operators' guides print "crm_mon –L" with an en dash.
  const ToolRun r = run({"crm_mon", "\xE2\x80\x93L", "-1"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.err, "quorate: note: read '\xE2\x80\x93L' as '-L' (a typographic dash)\n");
}

TEST_F(CrmTools, MonBundledFlagsAndLongNames) {
  const ToolRun a = run({"crm_mon", "-1rfA"});
  const ToolRun b =
      run({"crm_mon", "--one-shot", "--inactive", "--failcounts", "--show-node-attributes"});
  EXPECT_EQ(a.rc, 0);
  EXPECT_EQ(a.out, b.out);
}

TEST_F(CrmTools, MonJson) {
  const ToolRun r = run({"crm_mon", "--json"});
  ASSERT_EQ(r.rc, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["summary"]["current_dc"], "node1");
  EXPECT_EQ(j["summary"]["resource_instances_configured"], 6);
  EXPECT_EQ(j["nodes"].size(), 2u);
  EXPECT_EQ(j["nodes"][0]["state"], "online");
  EXPECT_EQ(j["fail_counts"][0]["resource"], "apache");
  EXPECT_EQ(j["fail_counts"][0]["fail_count"], 1);
  EXPECT_EQ(j["failed_actions"][0]["task"], "monitor");
  EXPECT_EQ(j["failed_actions"][0]["rc"], 7);
  EXPECT_EQ(j["resources"].size(), 4u);
  EXPECT_EQ(run({"crm_mon", "--output-as=json"}).out, r.out);
}

TEST_F(CrmTools, MonErrors) {
  vars_.erase("CIB_file");
  ToolRun r = run({"crm_mon", "-1"});
  EXPECT_EQ(r.rc, 102);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err,
            "crm_mon: no live cluster connection is available in this build yet; set "
            "CIB_file=PATH to work on a CIB XML file offline\n");

  vars_["CIB_file"] = (dir_ / "missing.xml").string();
  r = run({"crm_mon", "-1"});
  EXPECT_EQ(r.rc, 66);
  EXPECT_EQ(r.err, "crm_mon: CIB_file: cannot read " + (dir_ / "missing.xml").string() +
                       ": No such file or directory\n");

  vars_["CIB_file"] = dir_.string();
  r = run({"crm_mon", "-1"});
  EXPECT_EQ(r.rc, 66);
  EXPECT_EQ(r.err, "crm_mon: CIB_file: cannot read " + dir_.string() + ": Is a directory\n");

  spit(dir_ / "bad.xml", "<cib>\n  <configuration>\n</cib>\n");
  vars_["CIB_file"] = (dir_ / "bad.xml").string();
  r = run({"crm_mon", "-1"});
  EXPECT_EQ(r.rc, 65);
  EXPECT_EQ(r.err.rfind("crm_mon: CIB_file: " + (dir_ / "bad.xml").string() + ":3:", 0), 0u)
      << r.err;
  fs::remove(dir_ / "bad.xml");

  vars_["CIB_file"] = cib_.string();
  r = run({"crm_mon", "--bogus"});
  EXPECT_EQ(r.rc, 64);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n') + 1), "crm_mon: unrecognized option '--bogus'\n");
  r = run({"crm_mon", "-Z"});
  EXPECT_EQ(r.rc, 64);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n') + 1), "crm_mon: unrecognized option '-Z'\n");
  r = run({"crm_mon", "--output-as=xml"});
  EXPECT_EQ(r.rc, 64);
  EXPECT_EQ(r.err,
            "crm_mon: --output-as=xml is not available (text or json; --json is the same as "
            "json)\n");
  r = run({"crm_mon", "stray"});
  EXPECT_EQ(r.rc, 64);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n') + 1), "crm_mon: unexpected argument 'stray'\n");
}

TEST_F(CrmTools, EveryToolReportsAMissingOrBadCibFile) {
  spit(dir_ / "bad.xml", "<cib epoch=\"1\">\n  <configuration>\n</cib>\n");
  for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
           {"crm_mon", "-1"}, {"crm_standby", "-N", "node1", "-G"}, {"crm_resource", "-L"}}) {
    const std::string& tool = argv[0];
    vars_["CIB_file"] = (dir_ / "missing.xml").string();
    ToolRun r = run(argv);
    EXPECT_EQ(r.rc, 66) << tool;
    EXPECT_EQ(r.out, "") << tool;
    EXPECT_EQ(r.err, tool + ": CIB_file: cannot read " + (dir_ / "missing.xml").string() +
                         ": No such file or directory\n");
    vars_["CIB_file"] = (dir_ / "bad.xml").string();
    r = run(argv);
    EXPECT_EQ(r.rc, 65) << tool;
    EXPECT_EQ(r.out, "") << tool;
    EXPECT_EQ(r.err.rfind(tool + ": CIB_file: " + (dir_ / "bad.xml").string() + ":3:", 0), 0u)
        << r.err;
    EXPECT_EQ(r.err.back(), '\n');
  }
  fs::remove(dir_ / "bad.xml");
}

TEST_F(CrmTools, MonNegativeLocations) {
  ASSERT_EQ(run({"crm_resource", "-B", "-r", "ip", "-N", "node2"}).rc, 0);
  const ToolRun r = run({"crm_mon", "-1", "-L"});
  EXPECT_NE(r.out.find("\nNegative Location Constraints:\n"
                       "  * cli-ban-ip-on-node2\tprevents ip from running on node2\n"),
            std::string::npos)
      << r.out;
}

// ---------------------------------------------------------------------------
// crm_standby

TEST_F(CrmTools, StandbyForeverSetsNodeAttributeKeepingStatusBytes) {
  const std::string before = slurp(cib_);
  ToolRun r = run({"crm_standby", "-U", "node2", "-v", "on"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "");
  const std::string after = slurp(cib_);
  EXPECT_NE(
      after.find("<node id=\"2\" uname=\"node2\">\n"
                 "        <instance_attributes id=\"nodes-2\">\n"
                 "          <nvpair id=\"nodes-2-standby\" name=\"standby\" value=\"on\"/>\n"),
      std::string::npos)
      << after;
  EXPECT_NE(after.find("epoch=\"8\" num_updates=\"0\""), std::string::npos);
  // The status section is kept byte for byte.
  EXPECT_EQ(after.substr(after.find("  <status>")), before.substr(before.find("  <status>")));
  expect_no_leftovers();

  r = run({"crm_standby", "-U", "node2", "-G"});
  EXPECT_EQ(r.out, "scope=nodes  name=standby value=on\n");
  r = run({"crm_standby", "-N", "node2", "-G", "-q"});
  EXPECT_EQ(r.out, "on\n");
  r = run({"crm_mon", "-1"});
  EXPECT_NE(r.out.find("  * Node node2: standby (with active resources)\n"), std::string::npos);

  r = run({"crm_standby", "-U", "node2", "-v", "off"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(run({"crm_standby", "-U", "node2", "-G"}).out, "scope=nodes  name=standby value=off\n");
}

TEST_F(CrmTools, StandbyRebootUsesTransientAttributes) {
  ToolRun r = run({"crm_standby", "-U", "node1", "-v", "on", "-l", "reboot"});
  EXPECT_EQ(r.rc, 0) << r.err;
  const std::string after = slurp(cib_);
  EXPECT_NE(after.find("<transient_attributes id=\"1\">\n"
                       "        <instance_attributes id=\"status-1\">\n"
                       "          <nvpair id=\"status-1-standby\" name=\"standby\" value=\"on\"/>"),
            std::string::npos)
      << after;
  EXPECT_NE(after.find("epoch=\"7\" num_updates=\"4\""), std::string::npos);
  EXPECT_EQ(run({"crm_standby", "-U", "node1", "-G", "-l", "reboot"}).out,
            "scope=status  name=standby value=on\n");
  EXPECT_EQ(run({"crm_standby", "-U", "node1", "-G"}).out, "scope=status  name=standby value=on\n");
  EXPECT_EQ(run({"crm_standby", "-U", "node1", "-G", "-l", "forever"}).out,
            "scope=nodes  name=standby value=off\n");
  // The existing transient attributes of node2 gain a set member.
  r = run({"crm_standby", "-U", "node2", "-v", "on", "--lifetime=reboot"});
  EXPECT_NE(slurp(cib_).find("<nvpair id=\"status-2-standby\" name=\"standby\" value=\"on\"/>"),
            std::string::npos);
}

TEST_F(CrmTools, StandbyDeleteBothLifetimes) {
  ASSERT_EQ(run({"crm_standby", "-U", "node2", "-v", "on"}).rc, 0);
  ASSERT_EQ(run({"crm_standby", "-U", "node2", "-v", "on", "-l", "reboot"}).rc, 0);
  ToolRun r = run({"crm_standby", "-U", "node2", "-D"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "Deleted nodes attribute: id=nodes-2-standby name=standby\n"
            "Deleted status attribute: id=status-2-standby name=standby\n");
  EXPECT_EQ(run({"crm_standby", "-U", "node2", "-G"}).out,
            "scope=status  name=standby value=off\n");
  r = run({"crm_standby", "-U", "node2", "-D"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "");
  expect_no_leftovers();
}

TEST_F(CrmTools, StandbyErrorsLeaveTheFileAlone) {
  const std::string before = slurp(cib_);
  struct Case {
    std::vector<std::string> argv;
    int rc;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"crm_standby", "-U", "nodeX", "-v", "on"},
       105,
       "crm_standby: Could not map name=nodeX to a UUID\n"},
      {{"crm_standby", "-U", "nodeX", "-G"},
       105,
       "crm_standby: Could not map name=nodeX to a UUID\n"},
      {{"crm_standby", "-U", "node1", "-v", "maybe"},
       64,
       "crm_standby: invalid standby value 'maybe' (valid values: on, off)\n"},
      {{"crm_standby", "-U", "node1", "-v", "on", "-l", "bogus"},
       64,
       "crm_standby: invalid lifetime 'bogus' (valid values: reboot, forever)\n"},
      {{"crm_standby", "-v", "on"},
       64,
       "crm_standby: -N NODE is required with CIB_file (there is no current node offline)\n"},
      {{"crm_standby", "-U", "node1", "-v", "on", "-D"},
       64,
       "crm_standby: only one of -G, -v and -D may be given\n"},
      {{"crm_standby", "-U"}, 64, "crm_standby: option '-U' needs a value\n"},
  };
  for (const auto& c : cases) {
    const ToolRun r = run(c.argv);
    EXPECT_EQ(r.rc, c.rc) << c.argv[1];
    EXPECT_EQ(r.err.substr(0, r.err.find('\n') + 1), c.err);
    EXPECT_EQ(slurp(cib_), before);
  }
  vars_.erase("CIB_file");
  const ToolRun r = run({"crm_standby", "-U", "node1", "-v", "on"});
  EXPECT_EQ(r.rc, 102);
  EXPECT_EQ(r.err,
            "crm_standby: no live cluster connection is available in this build yet; set "
            "CIB_file=PATH to work on a CIB XML file offline\n");
  expect_no_leftovers();
}

TEST_F(CrmTools, StandbyCibFileUnderAFile) {
  vars_["CIB_file"] = (dir_ / "cib.xml" / "x").string();
  const ToolRun r = run({"crm_standby", "-U", "node1", "-v", "on"});
  EXPECT_EQ(r.rc, 66);
  EXPECT_EQ(r.err, "crm_standby: CIB_file: cannot read " + (dir_ / "cib.xml" / "x").string() +
                       ": Not a directory\n");
}

// The operators' guide (../shared/seeds/azure-mysql-ha-guide.txt): configure
// with crm, put a node in standby with crm_standby -U NODE -v on, and look
// with crm_mon –L (typographic dash as printed). The screen is the one the
// real crm_mon 2.1.5 shows for the resulting file.
TEST_F(CrmTools, GuideFlowConfigureStandbyMonitor) {
  spit(cib_,
       "<cib crm_feature_set=\"3.16.2\" validate-with=\"pacemaker-3.9\" epoch=\"1\" "
       "num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\">\n"
       "  <configuration>\n    <crm_config/>\n    <nodes>\n"
       "      <node id=\"1\" uname=\"hadb01\"/>\n      <node id=\"2\" uname=\"hadb02\"/>\n"
       "    </nodes>\n    <resources/>\n    <constraints/>\n  </configuration>\n"
       "  <status>\n"
       "    <node_state id=\"1\" uname=\"hadb01\" in_ccm=\"true\" crmd=\"online\" "
       "join=\"member\" expected=\"member\"/>\n"
       "    <node_state id=\"2\" uname=\"hadb02\" in_ccm=\"true\" crmd=\"online\" "
       "join=\"member\" expected=\"member\"/>\n"
       "  </status>\n</cib>\n");
  const std::string conf =
      "primitive drbd_mysql ocf:linbit:drbd params drbd_resource=\"r0\" "
      "op monitor interval=\"29s\" role=\"Master\" op monitor interval=\"31s\" role=\"Slave\"\n"
      "ms ms_drbd_mysql drbd_mysql meta master-max=\"1\" master-node-max=\"1\" "
      "clone-max=\"2\" clone-node-max=\"1\"\n"
      "primitive fs_mysql ocf:heartbeat:Filesystem params device=\"/dev/drbd/by-res/r0\" "
      "directory=\"/var/lib/mysql\" fstype=\"ext3\"\n"
      "primitive mysqld lsb:mysql\n"
      "group mysql fs_mysql mysqld\n"
      "colocation mysql_on_drbd inf: mysql ms_drbd_mysql:Master\n"
      "order mysql_after_drbd inf: ms_drbd_mysql:promote mysql:start\n"
      "property stonith-enabled=false\n"
      "property no-quorum-policy=ignore\n";
  ToolRun r = run({"crm", "configure"}, conf);
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run({"crm_standby", "-U", "hadb02", "-v", "on"});
  ASSERT_EQ(r.rc, 0) << r.err;
  r = run({"crm_mon", "\xE2\x80\x93L", "-1", "-r"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "Cluster Summary:\n"
            "  * Stack: unknown\n"
            "  * Current DC: NONE\n"
            "  * Last updated: Wed Jun  5 11:21:49 2024\n"
            "  * Last change:  \n"
            "  * 2 nodes configured\n"
            "  * 4 resource instances configured\n"
            "\n"
            "Node List:\n"
            "  * Node hadb02: standby\n"
            "  * Online: [ hadb01 ]\n"
            "\n"
            "Full List of Resources:\n"
            "  * Clone Set: ms_drbd_mysql [drbd_mysql] (promotable):\n"
            "    * Stopped: [ hadb01 hadb02 ]\n"
            "  * Resource Group: mysql:\n"
            "    * fs_mysql\t(ocf:heartbeat:Filesystem):\t Stopped\n"
            "    * mysqld\t(lsb:mysql):\t Stopped\n");
  // "Remember to set this back to off."
  ASSERT_EQ(run({"crm_standby", "-U", "hadb02", "-v", "off"}).rc, 0);
  EXPECT_NE(run({"crm_mon", "-1"}).out.find("  * Online: [ hadb01 hadb02 ]\n"), std::string::npos);
  expect_no_leftovers();
}

// ---------------------------------------------------------------------------
// crm_resource

TEST_F(CrmTools, ResourceList) {
  const ToolRun r = run({"crm_resource", "--list"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "Full List of Resources:\n"
            "  * ip\t(ocf:heartbeat:IPaddr2):\t Started\n"
            "  * Resource Group: web:\n"
            "    * fs\t(ocf:heartbeat:Filesystem):\t Started\n"
            "    * apache\t(ocf:heartbeat:apache):\t FAILED\n"
            "  * Clone Set: ms_drbd [drbd] (promotable):\n"
            "    * Promoted: [ node1 ]\n"
            "    * Unpromoted: [ node2 ]\n"
            "  * spare\t(ocf:pacemaker:Dummy):\t Stopped\n");
  EXPECT_EQ(run({"crm_resource", "-L"}).out, r.out);
}

TEST_F(CrmTools, ResourceListOfNothing) {
  spit(cib_,
       "<cib validate-with=\"pacemaker-3.9\" epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\">"
       "<configuration><crm_config/><nodes/><resources/><constraints/></configuration>"
       "<status/></cib>\n");
  const ToolRun r = run({"crm_resource", "-L"});
  EXPECT_EQ(r.rc, 105);
  EXPECT_EQ(r.out, "Full List of Resources:\n  * No resources\n");
  EXPECT_EQ(r.err, "crm_resource: Error performing operation: No such object\n");
}

TEST_F(CrmTools, ResourceLocate) {
  EXPECT_EQ(run({"crm_resource", "-W", "-r", "ip"}).out, "resource ip is running on: node1\n");
  EXPECT_EQ(run({"crm_resource", "--locate", "-r", "web"}).out,
            "resource web is running on: node2\n");
  EXPECT_EQ(run({"crm_resource", "-W", "-r", "ms_drbd"}).out,
            "resource ms_drbd is running on: node2\n"
            "resource ms_drbd is running on: node1 Promoted\n");
  const ToolRun r = run({"crm_resource", "-W", "-r", "spare"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "resource spare is NOT running\n");
}

TEST_F(CrmTools, ResourceMoveBanClear) {
  const std::string before = slurp(cib_);
  ToolRun r = run({"crm_resource", "--move", "-r", "ip", "-N", "node2"});
  EXPECT_EQ(r.rc, 0) << r.err;
  std::string xml = slurp(cib_);
  EXPECT_NE(xml.find("<rsc_location id=\"cli-prefer-ip\" rsc=\"ip\" role=\"Started\" "
                     "node=\"node2\" score=\"INFINITY\"/>"),
            std::string::npos)
      << xml;
  EXPECT_EQ(xml.substr(xml.find("  <status>")), before.substr(before.find("  <status>")));

  r = run({"crm_resource", "-M", "-r", "ip", "-N", "node1"});  // runs there already
  EXPECT_EQ(r.rc, 108);
  EXPECT_EQ(r.err,
            "crm_resource: ip is already active on node1\n"
            "crm_resource: Error performing operation: Requested item already exists\n");

  r = run({"crm_resource", "-B", "-r", "web"});  // where it runs
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out,
            "WARNING: Creating rsc_location constraint 'cli-ban-web-on-node2' with a score of "
            "-INFINITY for resource web on node2.\n"
            "\tThis will prevent web from running on node2 until the constraint is removed using "
            "the clear option or by editing the CIB with an appropriate tool\n"
            "\tThis will be the case even if node2 is the last node in the cluster\n");
  r = run({"crm_resource", "--ban", "-r", "web", "-N", "node1"});
  EXPECT_EQ(r.rc, 0);
  xml = slurp(cib_);
  EXPECT_NE(xml.find("id=\"cli-ban-web-on-node2\""), std::string::npos);
  EXPECT_NE(xml.find("id=\"cli-ban-web-on-node1\""), std::string::npos);

  r = run({"crm_resource", "-B", "-r", "ms_drbd"});
  EXPECT_EQ(r.rc, 64);
  EXPECT_EQ(r.err,
            "crm_resource: Resource 'ms_drbd' not moved: active in 2 locations.\n"
            "To prevent 'ms_drbd' from running on a specific location, specify a node.\n");

  r = run({"crm_resource", "-U", "-r", "web", "-N", "node1"});
  EXPECT_EQ(r.out, "Removing constraint: cli-ban-web-on-node1\n");
  r = run({"crm_resource", "--clear", "-r", "web"});
  EXPECT_EQ(r.out, "Removing constraint: cli-ban-web-on-node2\n");
  r = run({"crm_resource", "-U", "-r", "ip"});
  EXPECT_EQ(r.out, "Removing constraint: cli-prefer-ip\n");
  r = run({"crm_resource", "-U", "-r", "ip"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "");
  xml = slurp(cib_);
  EXPECT_EQ(xml.find("cli-"), std::string::npos);
  expect_no_leftovers();
}

TEST_F(CrmTools, ResourceParametersAndMeta) {
  ToolRun r = run({"crm_resource", "-r", "spare", "-p", "fake", "-v", "yes"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out,
            "Set 'spare' option: id=spare-instance_attributes-fake set=spare-instance_attributes "
            "name=fake value=yes\n");
  r = run({"crm_resource", "-r", "spare", "--set-parameter", "fake", "--parameter-value", "no"});
  EXPECT_EQ(r.out, "Set 'spare' option: id=spare-instance_attributes-fake name=fake value=no\n");
  EXPECT_EQ(run({"crm_resource", "-r", "spare", "-g", "fake"}).out, "no\n");
  EXPECT_EQ(run({"crm_resource", "-r", "ip", "-g", "ip"}).out, "10.0.0.10\n");

  r = run({"crm_resource", "-r", "spare", "--meta", "-p", "target-role", "-v", "Stopped"});
  EXPECT_EQ(r.out,
            "Set 'spare' option: id=spare-meta_attributes-target-role set=spare-meta_attributes "
            "name=target-role value=Stopped\n");
  EXPECT_EQ(run({"crm_resource", "-r", "spare", "-m", "-g", "target-role"}).out, "Stopped\n");
  EXPECT_NE(run({"crm_mon", "-1r"})
                .out.find("  * spare\t(ocf:pacemaker:Dummy):\t Stopped "
                          "(disabled)\n"),
            std::string::npos);

  r = run({"crm_resource", "-r", "spare", "-g", "nosuch"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "Attribute 'nosuch' not found for 'spare'\n");

  r = run({"crm_resource", "-r", "spare", "-d", "fake"});
  EXPECT_EQ(r.out, "Deleted 'spare' option: id=spare-instance_attributes-fake name=fake\n");
  r = run({"crm_resource", "-r", "spare", "-d", "fake"});
  EXPECT_EQ(r.err, "Attribute 'fake' not found for 'spare'\n");

  // Group members and the clone's child are addressed by their ids.
  r = run({"crm_resource", "-r", "drbd", "-p", "drbd_resource", "-v", "r0"});
  EXPECT_EQ(r.rc, 0);
  EXPECT_NE(slurp(cib_).find("<nvpair id=\"drbd-instance_attributes-drbd_resource\" "
                             "name=\"drbd_resource\" value=\"r0\"/>"),
            std::string::npos);
  expect_no_leftovers();
}

TEST_F(CrmTools, ResourceCleanup) {
  ToolRun r = run({"crm_resource", "--cleanup", "-r", "apache"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, "Cleaned up apache on node2\n");
  const std::string xml = slurp(cib_);
  EXPECT_EQ(xml.find("lrm_resource id=\"apache\""), std::string::npos);
  EXPECT_EQ(xml.find("fail-count-apache"), std::string::npos);
  EXPECT_EQ(xml.find("last-failure-apache"), std::string::npos);
  EXPECT_NE(xml.find("lrm_resource id=\"fs\""), std::string::npos);
  EXPECT_NE(xml.find("epoch=\"7\" num_updates=\"4\""), std::string::npos);
  r = run({"crm_mon", "-1f"});
  EXPECT_EQ(r.out.find("Failed Resource Actions"), std::string::npos);
  r = run({"crm_resource", "-C", "-r", "apache"});
  EXPECT_EQ(r.out, "apache has no operation history or fail counts to clean up\n");

  r = run({"crm_resource", "-C", "-r", "ms_drbd", "-N", "node1"});
  EXPECT_EQ(r.out, "Cleaned up ms_drbd on node1\n");
  EXPECT_NE(slurp(cib_).find("lrm_resource id=\"drbd\""), std::string::npos);  // node2's
  expect_no_leftovers();
}

TEST_F(CrmTools, ResourceErrors) {
  const std::string before = slurp(cib_);
  struct Case {
    std::vector<std::string> argv;
    int rc;
    std::string err;
  };
  const std::vector<Case> cases = {
      {{"crm_resource", "-W", "-r", "nosuch"},
       105,
       "crm_resource: Resource 'nosuch' not found\nError performing operation: No such object\n"},
      {{"crm_resource", "-M", "-r", "ip", "-N", "nodeX"},
       105,
       "crm_resource: Node 'nodeX' not found\nError performing operation: No such object\n"},
      {{"crm_resource", "-C", "-r", "nosuch"},
       105,
       "crm_resource: Resource 'nosuch' not found\nError performing operation: No such object\n"},
      {{"crm_resource", "-M"}, 64, "crm_resource: Must supply a resource id with -r\n"},
      {{"crm_resource", "-p", "x", "-r", "ip"},
       64,
       "crm_resource: You need to supply a value with the -v option\n"},
      {{"crm_resource", "-M", "-r", "spare"},
       64,
       "crm_resource: Resource 'spare' not moved: active in 0 locations.\n"
       "To prevent 'spare' from running on a specific location, specify a node.\n"},
      {{"crm_resource", "-L", "-W", "-r", "ip"},
       64,
       "crm_resource: only one command may be given\n"},
  };
  for (const auto& c : cases) {
    const ToolRun r = run(c.argv);
    EXPECT_EQ(r.rc, c.rc) << c.argv[1];
    EXPECT_EQ(r.err.substr(0, c.err.size()), c.err);
    EXPECT_EQ(slurp(cib_), before);
  }
  ToolRun r = run({"crm_resource", "--bogus"});
  EXPECT_EQ(r.rc, 64);
  EXPECT_EQ(r.err.substr(0, r.err.find('\n') + 1), "crm_resource: unrecognized option '--bogus'\n");
  vars_.erase("CIB_file");
  r = run({"crm_resource", "-L"});
  EXPECT_EQ(r.rc, 102);
  EXPECT_EQ(r.err,
            "crm_resource: no live cluster connection is available in this build yet; set "
            "CIB_file=PATH to work on a CIB XML file offline\n");
  expect_no_leftovers();
}

// ---------------------------------------------------------------------------
// crm_simulate -s

// What the real crm_simulate 2.1.5 prints for kCib with -sSQ, sorted.
constexpr const char* kCibScores =
    "drbd:0 promotion score on node1: -1\n"
    "drbd:1 promotion score on node2: -1\n"
    "pcmk__clone_allocate: drbd:0 allocation score on node1: 1\n"
    "pcmk__clone_allocate: drbd:0 allocation score on node2: 0\n"
    "pcmk__clone_allocate: drbd:1 allocation score on node1: 0\n"
    "pcmk__clone_allocate: drbd:1 allocation score on node2: 1\n"
    "pcmk__clone_allocate: ms_drbd allocation score on node1: 0\n"
    "pcmk__clone_allocate: ms_drbd allocation score on node2: 0\n"
    "pcmk__group_assign: apache allocation score on node1: 0\n"
    "pcmk__group_assign: apache allocation score on node2: 0\n"
    "pcmk__group_assign: fs allocation score on node1: 0\n"
    "pcmk__group_assign: fs allocation score on node2: 0\n"
    "pcmk__group_assign: web allocation score on node1: 0\n"
    "pcmk__group_assign: web allocation score on node2: 0\n"
    "pcmk__primitive_assign: apache allocation score on node1: -INFINITY\n"
    "pcmk__primitive_assign: apache allocation score on node2: 0\n"
    "pcmk__primitive_assign: drbd:0 allocation score on node1: 1\n"
    "pcmk__primitive_assign: drbd:0 allocation score on node2: 0\n"
    "pcmk__primitive_assign: drbd:1 allocation score on node1: -INFINITY\n"
    "pcmk__primitive_assign: drbd:1 allocation score on node2: 1\n"
    "pcmk__primitive_assign: fs allocation score on node1: 0\n"
    "pcmk__primitive_assign: fs allocation score on node2: 0\n"
    "pcmk__primitive_assign: ip allocation score on node1: 0\n"
    "pcmk__primitive_assign: ip allocation score on node2: 0\n"
    "pcmk__primitive_assign: spare allocation score on node1: 0\n"
    "pcmk__primitive_assign: spare allocation score on node2: 0\n";

TEST_F(CrmTools, SimulateShowScoresQuiet) {
  for (const auto& argv : std::vector<std::vector<std::string>>{
           {"crm_simulate", "-x", cib_.string(), "-sSQ"},
           {"crm_simulate", "-x", cib_.string(), "--show-scores", "-S", "--quiet"},
           {"quorate", "simulate", "-x", cib_.string(), "-s", "-Q"}}) {
    const ToolRun r = run(argv);
    EXPECT_EQ(r.rc, 0) << r.err;
    EXPECT_EQ(r.out, kCibScores) << argv[0];
  }
}

TEST_F(CrmTools, SimulateShowScoresSection) {
  const ToolRun plain = run({"crm_simulate", "-x", cib_.string(), "-S"});
  const ToolRun scored = run({"crm_simulate", "-x", cib_.string(), "-S", "-s"});
  ASSERT_EQ(scored.rc, 0) << scored.err;
  // The scores come after the current status, before the transition.
  const std::string section = std::string("Allocation Scores:\n") + kCibScores + "\n";
  const auto at = scored.out.find(section);
  ASSERT_NE(at, std::string::npos) << scored.out;
  EXPECT_EQ(scored.out.substr(at + section.size(), 20), "Transition Summary:\n");
  EXPECT_EQ(scored.out.substr(0, at) + scored.out.substr(at + section.size()), plain.out);
}

// ---------------------------------------------------------------------------
// crm_simulate injections and crm-syntax input

TEST_F(CrmTools, SimulateInjectsNodeStatesAndOperationsAsCrmSimulate) {
  const fs::path data = fs::path(QUORATE_SOURCE_DIR) / "tests" / "data" / "crm_simulate_inject";
  std::ifstream in(data / "fail-node1.txt");
  std::stringstream want;
  want << in.rdbuf();
  // Given in another order than crm_simulate applies them (up, down, fail, then operations).
  const ToolRun r = run({"crm_simulate", "-x", (data / "web.xml").string(), "-S", "--op-inject",
                         "p_ip_start_0@node1=0", "-f", "node1", "-u", "node1", "--node-up=node2", "-i",
                         "p_db_start_0@node1=0"});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_EQ(r.out, want.str());
}

TEST_F(CrmTools, SimulateRefusesABadInjection) {
  const ToolRun r = run({"crm_simulate", "-x", cib_.string(), "-i", "nosuch_start_0@node1=0"});
  EXPECT_EQ(r.rc, 1);
  EXPECT_EQ(r.err,
            "crm_simulate: 'nosuch_start_0@node1=0': 'nosuch' is not a primitive (or an instance RSC:N of a cloned "
            "one)\n");
  EXPECT_EQ(r.out, "");
}

TEST_F(CrmTools, SimulateReadsACrmSyntaxFileWithAStatusBlock) {
  const fs::path file = dir_ / "web.crm";
  spit(file,
       "node node1\nnode node2\nprimitive p_db ocf:pacemaker:Dummy op monitor interval=20s\n"
       "property stonith-enabled=false\nstatus\nnode node1 up\nnode node2 down\nop p_db_start_0@node1=0\n");
  const ToolRun r = run({"quorate", "simulate", "-x", file.string()});
  EXPECT_EQ(r.rc, 0) << r.err;
  EXPECT_NE(r.out.find("    * Online: [ node1 ]\n    * OFFLINE: [ node2 ]\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("  * p_db\t(ocf:pacemaker:Dummy):\t Started node1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("Transition Summary:\n\nExecuting Cluster Transition:\n"
                       "  * Resource action: p_db            monitor=20000 on node1\n"),
            std::string::npos)
      << r.out;
  spit(file, "node node1\nstatus\nnode node1 sideways\n");
  const ToolRun bad = run({"crm_simulate", "-x", file.string()});
  EXPECT_EQ(bad.rc, 1);
  EXPECT_EQ(bad.err, "crm_simulate: " + file.string() + ":3: node node1: expected up, down or fail, found 'sideways'\n");
}

}  // namespace
}  // namespace quorate::cli
