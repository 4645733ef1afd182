// Score arithmetic, node ordering and unpacking a small CIB into a working set.
#include "crm/sched_unpack.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "crm/cib_xml.h"
#include "crm/sched_status.h"

namespace quorate::crm::sched {
namespace {

TEST(Score, InfinityArithmetic) {
  EXPECT_EQ(score_add(5, 7), 12);
  EXPECT_EQ(score_add(kInfinity, 5), kInfinity);
  EXPECT_EQ(score_add(-kInfinity, kInfinity), -kInfinity);
  EXPECT_EQ(score_add(kInfinity, -kInfinity), -kInfinity);
  EXPECT_EQ(score_add(999999, 999999), kInfinity);
  EXPECT_EQ(score_add(-999999, -5), -kInfinity);
  EXPECT_EQ(parse_score("INFINITY"), kInfinity);
  EXPECT_EQ(parse_score("+INFINITY"), kInfinity);
  EXPECT_EQ(parse_score("-INFINITY"), -kInfinity);
  EXPECT_EQ(parse_score("-inf"), -kInfinity);
  EXPECT_EQ(parse_score("+10"), 10);
  EXPECT_EQ(parse_score("20000000"), kInfinity);
  EXPECT_FALSE(parse_score("abc").has_value());
  EXPECT_EQ(score_text(kInfinity), "INFINITY");
  EXPECT_EQ(score_text(-kInfinity), "-INFINITY");
  EXPECT_EQ(score_text(-3), "-3");
}

TEST(NodeOrder, DigitsCompareAsNumbers) {
  EXPECT_TRUE(node_name_less("node2", "node10"));
  EXPECT_FALSE(node_name_less("node10", "node2"));
  EXPECT_TRUE(node_name_less("Node1", "node2"));
  EXPECT_TRUE(node_name_less("a", "ab"));
}

constexpr const char* kCib = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
    validate-with="pacemaker-3.0">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2">
        <instance_attributes id="n2"><nvpair id="n2s" name="standby" value="on"/></instance_attributes>
      </node>
      <node id="3" uname="node3"/>
    </nodes>
    <resources>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
        <meta_attributes id="ip-m"><nvpair id="ip-m1" name="target-role" value="Stopped"/></meta_attributes>
      </primitive>
      <primitive id="web" class="ocf" provider="heartbeat" type="apache"/>
      <clone id="c"><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></clone>
    </resources>
    <constraints/>
    <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="1"><instance_attributes id="s1">
        <nvpair id="s1a" name="fail-count-web#monitor_10000" value="3"/>
      </instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources>
        <lrm_resource id="web" class="ocf" provider="heartbeat" type="apache">
          <lrm_rsc_op id="w1" operation="start" call-id="4" rc-code="0" op-status="0" interval="0"
              transition-key="1:1:0:x"/>
          <lrm_rsc_op id="w2" operation="monitor" call-id="5" rc-code="7" op-status="0"
              interval="10000" transition-key="2:1:0:x"/>
        </lrm_resource>
        <lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="d1" operation="start" call-id="6" rc-code="0" op-status="0" interval="0"
              transition-key="3:1:0:x"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="3" uname="node3" in_ccm="false" crmd="offline" join="down" expected="down"/>
  </status>
</cib>)";

TEST(Unpack, NodesOptionsResourcesAndHistory) {
  auto cib = parse_cib_xml(kCib, "test.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  auto ws = unpack_working_set(*cib);
  ASSERT_TRUE(ws.ok());
  EXPECT_TRUE(ws->options.have_quorum);
  EXPECT_FALSE(ws->options.stonith_enabled);
  EXPECT_EQ(ws->options.no_quorum_policy, "stop");
  ASSERT_EQ(ws->nodes.size(), 3U);
  EXPECT_TRUE(ws->nodes[0].online);
  EXPECT_TRUE(ws->nodes[1].standby);
  EXPECT_FALSE(ws->nodes[2].online);
  EXPECT_FALSE(ws->nodes[2].unclean);

  ASSERT_EQ(ws->resources.size(), 3U);
  const auto& ip = ws->resources[0];
  ASSERT_TRUE(ip.target_role.has_value());
  EXPECT_EQ(*ip.target_role, Role::kStopped);
  EXPECT_EQ(ip.stickiness, 100);
  const auto& web = ws->resources[1];
  EXPECT_EQ(web.current_role(), Role::kStarted);
  EXPECT_TRUE(web.failed());  // the recurring monitor found it stopped
  ASSERT_EQ(web.history.size(), 1U);
  EXPECT_EQ(web.history[0].failcount, 3);
  const auto& clone = ws->resources[2];
  EXPECT_EQ(clone.clone_max, 3);
  ASSERT_EQ(clone.children.size(), 3U);
  EXPECT_EQ(clone.children[0].id, "d:0");
  EXPECT_EQ(clone.children[0].active_nodes(), std::vector<std::string>{"node1"});

  const std::string text = render_status_text(*ws);
  EXPECT_NE(text.find("    * Node node2: standby\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    * Online: [ node1 ]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    * OFFLINE: [ node3 ]\n"), std::string::npos) << text;
  EXPECT_NE(text.find("    * ip\t(ocf:heartbeat:IPaddr2):\t Stopped (disabled)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    * web\t(ocf:heartbeat:apache):\t FAILED node1\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("      * Started: [ node1 ]\n      * Stopped: [ node2 node3 ]\n"),
            std::string::npos)
      << text;
}

// A CIB with the given properties, nodes, resources and status.
std::string make_cib(const std::string& props, const std::string& nodes,
                     const std::string& resources, const std::string& status,
                     const std::string& quorum = "1") {
  return "<cib admin_epoch=\"0\" epoch=\"1\" num_updates=\"1\" have-quorum=\"" + quorum +
         "\" validate-with=\"pacemaker-3.0\"><configuration><crm_config>"
         "<cluster_property_set id=\"o\">" +
         props + "</cluster_property_set></crm_config><nodes>" + nodes + "</nodes><resources>" +
         resources + "</resources><constraints/></configuration><status>" + status +
         "</status></cib>";
}

std::string status_of(const std::string& xml) {
  auto cib = parse_cib_xml(xml, "test.xml");
  EXPECT_TRUE(cib.ok()) << cib.error().message;
  if (!cib.ok()) return "";
  auto ws = unpack_working_set(*cib);
  EXPECT_TRUE(ws.ok());
  return ws.ok() ? render_status_text(*ws) : "";
}

constexpr const char* kTwoNodes = R"(<node id="1" uname="node1"/><node id="2" uname="node2"/>)";
constexpr const char* kDummy =
    R"(<primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/>)";

std::string up(const std::string& id, const std::string& lrm = "") {
  return "<node_state id=\"" + id + "\" uname=\"node" + id +
         "\" in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\">" +
         (lrm.empty() ? ""
                      : "<lrm id=\"" + id + "\"><lrm_resources>" + lrm + "</lrm_resources></lrm>") +
         "</node_state>";
}

std::string op(const std::string& id, const std::string& task, int call, int rc,
               const std::string& extra = "", int target = 0) {
  return "<lrm_rsc_op id=\"" + id + "\" operation=\"" + task + "\" call-id=\"" +
         std::to_string(call) + "\" rc-code=\"" + std::to_string(rc) +
         "\" op-status=\"0\" interval=\"0\" transition-key=\"1:1:" + std::to_string(target) +
         ":x\" transition-magic=\"0:" + std::to_string(rc) + ";1:1:" + std::to_string(target) +
         ":x\" " + extra + "/>";
}

TEST(UnpackNodes, FencingRules) {
  // node1 in membership without its controller: unclean but online. node2
  // never seen: unclean (startup fencing). node3 in membership, controller
  // not joined yet: pending.
  const std::string nodes = std::string(kTwoNodes) + R"(<node id="3" uname="node3"/>)";
  const std::string text = status_of(make_cib(
      "", nodes, "",
      R"(<node_state id="1" uname="node1" in_ccm="true" crmd="offline" join="member" expected="member"/>
         <node_state id="3" uname="node3" in_ccm="true" crmd="online" join="pending"/>)"));
  EXPECT_NE(text.find("* Node node1: UNCLEAN (online)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("* Node node2: UNCLEAN (offline)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("* Node node3: pending\n"), std::string::npos) << text;
}

TEST(UnpackNodes, NoFencingUnseenNodeIsCleanAndNotStandby) {
  const std::string nodes =
      R"(<node id="1" uname="node1"/><node id="2" uname="node2"><instance_attributes id="a">
         <nvpair id="a1" name="standby" value="on"/></instance_attributes></node>)";
  const std::string text = status_of(
      make_cib(R"(<nvpair id="o1" name="stonith-enabled" value="false"/>)", nodes, "", up("1")));
  EXPECT_NE(text.find("* Online: [ node1 ]\n    * OFFLINE: [ node2 ]\n"), std::string::npos)
      << text;
}

TEST(UnpackHistory, DegradedMonitorIsRunning) {
  const std::string text = status_of(make_cib(
      "", kTwoNodes, kDummy,
      up("1",
         "<lrm_resource id=\"d\" class=\"ocf\" provider=\"pacemaker\" "
         "type=\"Dummy\">" +
             op("d_start_0", "start", 2, 0) +
             op("d_monitor_10000", "monitor", 3, 190, "interval=\"10000\"") + "</lrm_resource>") +
          up("2")));
  EXPECT_NE(text.find("* d\t(ocf:pacemaker:Dummy):\t Started node1\n"), std::string::npos) << text;
}

TEST(UnpackHistory, FailedStopWithoutFencingDeviceBlocks) {
  // Fencing is enabled but no device exists: the stop's hard failure cannot
  // be recovered; the node is to be fenced (unclean) and the resource blocked.
  const std::string text = status_of(make_cib(
      "", kTwoNodes, kDummy,
      up("1", "<lrm_resource id=\"d\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">" +
                  op("d_start_0", "start", 2, 0) + op("d_stop_0", "stop", 3, 5) +
                  "</lrm_resource>") +
          up("2")));
  EXPECT_NE(text.find("* Node node1: UNCLEAN (online)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("* d\t(ocf:pacemaker:Dummy):\t FAILED node1 (blocked)\n"), std::string::npos)
      << text;
}

TEST(UnpackHistory, AnonymousCloneHistoryBeyondCloneMaxIsAnOrphanInstance) {
  const std::string clone =
      R"(<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="clone-max" value="1"/>
         </meta_attributes>)" +
      std::string(kDummy) + "</clone>";
  auto lrm = [](const std::string& call) {
    return "<lrm_resource id=\"d\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">" +
           op("d_start_0", "start", std::stoi(call), 0) + "</lrm_resource>";
  };
  const std::string text =
      status_of(make_cib(R"(<nvpair id="o1" name="stonith-enabled" value="false"/>)", kTwoNodes,
                         clone, up("1", lrm("2")) + up("2", lrm("3"))));
  EXPECT_NE(text.find("* Clone Set: c [d]:\n      * d\t(ocf:pacemaker:Dummy):\t ORPHANED "
                      "Started node2\n      * Started: [ node1 ]\n"),
            std::string::npos)
      << text;
}

TEST(UnpackHistory, PendingStartSupersededByLaterStopStillShowsPending) {
  // Pacemaker orders a pending operation (call-id -1) against completed ones
  // by transition number, and keeps the first pending task for display.
  const std::string pending =
      R"(<lrm_rsc_op id="d_start_0" operation="start" call-id="-1" rc-code="-1" op-status="-1"
         interval="0" transition-key="1:8:0:x" transition-magic="-1:-1;1:8:0:x"/>)";
  const std::string stop =
      R"(<lrm_rsc_op id="d_stop_0" operation="stop" call-id="8" rc-code="0" op-status="0"
         interval="0" transition-key="1:9:0:x" transition-magic="0:0;1:9:0:x"/>)";
  const std::string text = status_of(make_cib(
      "", kTwoNodes, kDummy,
      up("1", "<lrm_resource id=\"d\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">" +
                  pending + stop + "</lrm_resource>") +
          up("2")));
  EXPECT_NE(text.find("* d\t(ocf:pacemaker:Dummy):\t Starting node1\n"), std::string::npos) << text;
}

TEST(UnpackHistory, HistoriesInAnyOrderPerNodeAndFailCountsByExactId) {
  // The two nodes list their histories in opposite orders (unpack remembers
  // each position's lookup from the previous node and must notice), and the
  // fail counts of "d" must not take in those of "dd".
  const std::string resources =
      std::string(kDummy) + R"(<primitive id="dd" class="ocf" provider="pacemaker" type="Dummy"/>)";
  auto lrm = [](const std::string& id, int call) {
    return "<lrm_resource id=\"" + id + "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">" +
           op(id + "_start_0", "start", call, 0) + "</lrm_resource>";
  };
  const std::string node2 =
      "<node_state id=\"2\" uname=\"node2\" in_ccm=\"true\" crmd=\"online\" join=\"member\" "
      "expected=\"member\"><transient_attributes id=\"2\"><instance_attributes id=\"t2\">"
      "<nvpair id=\"t2a\" name=\"fail-count-d\" value=\"2\"/>"
      "<nvpair id=\"t2b\" name=\"fail-count-d#monitor_10000\" value=\"3\"/>"
      "<nvpair id=\"t2c\" name=\"fail-count-dd\" value=\"50\"/>"
      "<nvpair id=\"t2d\" name=\"fail-count-dd#start_0\" value=\"7\"/>"
      "</instance_attributes></transient_attributes><lrm id=\"2\"><lrm_resources>" +
      lrm("dd", 4) + lrm("d", 5) + "</lrm_resources></lrm></node_state>";
  auto cib =
      parse_cib_xml(make_cib(R"(<nvpair id="o1" name="stonith-enabled" value="false"/>)", kTwoNodes,
                             resources, up("1", lrm("d", 2) + lrm("dd", 3)) + node2),
                    "test.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  auto ws = unpack_working_set(*cib);
  ASSERT_TRUE(ws.ok());
  ASSERT_EQ(ws->resources.size(), 2U);
  for (const auto& r : ws->resources) {
    ASSERT_EQ(r.history.size(), 2U) << r.id;
    EXPECT_EQ(r.history[0].node, "node1");
    EXPECT_EQ(r.history[1].node, "node2");
    EXPECT_EQ(r.history[0].failcount, 0);
    EXPECT_EQ(r.history[1].failcount, r.id == "d" ? 5 : 57) << r.id;
    EXPECT_EQ(r.history[1].ops.at(0).key, r.id + "_start_0");
  }
}

TEST(WorkingSetFindNode, IndexedStaleAndHandBuilt) {
  auto cib = parse_cib_xml(kCib, "test.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  auto ws = unpack_working_set(*cib);
  ASSERT_TRUE(ws.ok());
  EXPECT_EQ(ws->node_index.size(), 3U);
  ASSERT_NE(ws->find_node("node2"), nullptr);
  EXPECT_EQ(ws->find_node("node2")->id, "2");
  EXPECT_EQ(ws->find_node("node4"), nullptr);
  // Edited after unpacking: the stale index is checked, not trusted.
  WorkingSet edited = *ws;
  std::swap(edited.nodes[0], edited.nodes[2]);
  edited.nodes[1].uname = "node9";
  EXPECT_EQ(edited.find_node("node1")->id, "1");
  EXPECT_EQ(edited.find_node("node3")->id, "3");
  EXPECT_EQ(edited.find_node("node9")->id, "2");
  EXPECT_EQ(edited.find_node("node2"), nullptr);
  // Built by hand, unsorted, without an index.
  WorkingSet by_hand;
  for (const auto& [id, uname] : {std::pair{"b", "node10"}, std::pair{"a", "node2"}}) {
    WsNode n;
    n.id = id;
    n.uname = uname;
    by_hand.nodes.push_back(n);
  }
  EXPECT_EQ(by_hand.find_node("node2")->id, "a");
  EXPECT_EQ(by_hand.find_node("node10")->id, "b");
}

}  // namespace
}  // namespace quorate::crm::sched
