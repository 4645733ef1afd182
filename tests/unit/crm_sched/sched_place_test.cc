// Scores, rules, placement decisions and the actions/summary built from them.
#include "crm/sched_place.h"

#include <gtest/gtest.h>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"

namespace quorate::crm::sched {
namespace {

// Two online nodes (node2 with attribute kind=fast), rsc1 running on node1
// with stickiness 100, rsc2 and rsc3 stopped, rsc2 preferring kind=fast by 50.
constexpr const char* kCib = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
    validate-with="pacemaker-3.0" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes>
      <node id="1" uname="node1"/>
      <node id="2" uname="node2">
        <instance_attributes id="n2"><nvpair id="n2k" name="kind" value="fast"/></instance_attributes>
      </node>
    </nodes>
    <resources>
      <primitive id="rsc1" class="ocf" provider="heartbeat" type="apache">
        <meta_attributes id="m1"><nvpair id="m1s" name="resource-stickiness" value="100"/></meta_attributes>
      </primitive>
      <primitive id="rsc2" class="ocf" provider="heartbeat" type="apache">
        <operations><op id="rsc2-mon" name="monitor" interval="10s"/></operations>
      </primitive>
      <primitive id="rsc3" class="ocf" provider="heartbeat" type="apache"/>
    </resources>
    <constraints>
      <rsc_location id="l2" rsc="rsc2">
        <rule id="l2r" score="50"><expression id="l2e" attribute="kind" operation="eq" value="FAST"/></rule>
      </rsc_location>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="rsc1" class="ocf" provider="heartbeat" type="apache">
          <lrm_rsc_op id="a1" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"
              transition-key="1:1:0:x"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>)";

WorkingSet unpack(const char* xml, Cib& cib) {
  auto parsed = parse_cib_xml(xml, "test.xml");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  cib = *parsed;
  auto ws = unpack_working_set(cib);
  EXPECT_TRUE(ws.ok());
  return *ws;
}

TEST(Rules, ExpressionTypes) {
  NodeAttrs attrs{{"n", "10"}, {"d", "2.5"}, {"s", "Abc"}, {"v", "1.10"}};
  auto rule = [](const std::string& attr, const std::string& op, const std::string& value,
                 const char* type = nullptr) {
    Rule r;
    r.score = "7";
    Expression e;
    e.attribute = attr;
    e.operation = op;
    e.value = value;
    if (type != nullptr) e.type = std::string(type);
    r.terms.emplace_back(e);
    return r;
  };
  int score = 0;
  EXPECT_TRUE(rule_matches(rule("n", "gt", "9"), attrs, &score));  // integers, not strings
  EXPECT_EQ(score, 7);
  EXPECT_TRUE(rule_matches(rule("d", "lt", "2.6"), attrs, nullptr));  // numbers ('.')
  EXPECT_TRUE(rule_matches(rule("s", "eq", "abc"), attrs, nullptr));  // strings: any case
  EXPECT_TRUE(rule_matches(rule("v", "gt", "1.9", "version"), attrs, nullptr));
  EXPECT_FALSE(rule_matches(rule("missing", "eq", "x"), attrs, nullptr));
  EXPECT_TRUE(rule_matches(rule("missing", "ne", "x"), attrs, nullptr));
  Rule defined = rule("n", "defined", "");
  EXPECT_TRUE(rule_matches(defined, attrs, nullptr));
}

TEST(Place, ScoresStickinessAndRules) {
  Cib cib;
  const WorkingSet ws = unpack(kCib, cib);
  const auto s1 = primitive_scores(ws, ws.resources[0]);
  ASSERT_EQ(s1.size(), 2U);
  EXPECT_EQ(s1[0].node, "node1");
  EXPECT_EQ(s1[0].score, 100);  // stickiness where it runs
  EXPECT_EQ(s1[1].score, 0);
  const auto s2 = primitive_scores(ws, ws.resources[1]);
  EXPECT_EQ(s2[0].score, 0);
  EXPECT_EQ(s2[1].score, 50);  // kind eq FAST matches "fast"
}

TEST(Place, TiesGoToTheLeastLoadedThenCurrentThenName) {
  Cib cib;
  const WorkingSet ws = unpack(kCib, cib);
  const std::vector<NodeScore> tie{{"node1", 0}, {"node2", 0}};
  EXPECT_EQ(choose_node(ws, tie, {}, ""), "node1");
  EXPECT_EQ(choose_node(ws, tie, {}, "node2"), "node2");
  EXPECT_EQ(choose_node(ws, tie, {{"node1", 1}}, ""), "node2");
  const std::vector<NodeScore> banned{{"node1", -kInfinity}, {"node2", -1}};
  EXPECT_EQ(choose_node(ws, banned, {}, ""), "");
}

TEST(Place, AssignsInConfigurationOrderBalancingLoad) {
  Cib cib;
  const WorkingSet ws = unpack(kCib, cib);
  const Placement p = place(ws);
  ASSERT_EQ(p.primitives.size(), 3U);
  EXPECT_EQ(p.find("rsc1")->node, "node1");
  EXPECT_EQ(p.find("rsc2")->node, "node2");
  EXPECT_EQ(p.find("rsc3")->node, "node1");  // 1 each: by name
}

TEST(Schedule, ProbesStartsMonitorsAndSummary) {
  Cib cib;
  const WorkingSet ws = unpack(kCib, cib);
  const Transition t = schedule(ws);
  const std::string summary = render_transition_summary(t);
  EXPECT_EQ(summary,
            "  * Start      rsc2    ( node2 )\n"
            "  * Start      rsc3    ( node1 )\n");
  EXPECT_EQ(render_executed(t),
            "  * Resource action: rsc1            monitor on node2\n"
            "  * Resource action: rsc2            monitor on node2\n"
            "  * Resource action: rsc2            monitor on node1\n"
            "  * Resource action: rsc3            monitor on node2\n"
            "  * Resource action: rsc3            monitor on node1\n"
            "  * Resource action: rsc2            start on node2\n"
            "  * Resource action: rsc3            start on node1\n"
            "  * Resource action: rsc2            monitor=10000 on node2\n");
  const WorkingSet after = revised_working_set(ws, t);
  EXPECT_EQ(after.resources[1].active_nodes(), std::vector<std::string>{"node2"});
  EXPECT_EQ(after.resources[2].active_nodes(), std::vector<std::string>{"node1"});
}

// A group g (a, b) with a location preference for node2,
// and c colocated with g; d anti-colocated with c; c must start before d.
constexpr const char* kGroupCib = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
    validate-with="pacemaker-3.0" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <group id="g">
        <primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/>
        <primitive id="b" class="ocf" provider="heartbeat" type="Dummy"/>
      </group>
      <primitive id="c" class="ocf" provider="heartbeat" type="Dummy"/>
      <primitive id="d" class="ocf" provider="heartbeat" type="Dummy"/>
    </resources>
    <constraints>
      <rsc_location id="l1" rsc="g" node="node2" score="100"/>
      <rsc_colocation id="c1" rsc="c" with-rsc="g" score="INFINITY"/>
      <rsc_colocation id="c2" rsc="d" with-rsc="c" score="-INFINITY"/>
      <rsc_order id="ord1" first="g" then="d"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>)";

TEST(Place, GroupsFollowMembersAndColocations) {
  Cib cib;
  const WorkingSet ws = unpack(kGroupCib, cib);
  const Placement p = place(ws);
  ASSERT_NE(p.find("a"), nullptr);
  EXPECT_EQ(p.find("a")->node, "node2");
  EXPECT_EQ(p.find("b")->node, "node2");
  EXPECT_EQ(p.find("c")->node, "node2");
  EXPECT_EQ(p.find("d")->node, "node1");
}

TEST(Schedule, GroupPseudoActionsAndOrders) {
  Cib cib;
  const WorkingSet ws = unpack(kGroupCib, cib);
  const Transition t = schedule(ws);
  const std::string executed = render_executed(t);
  const auto at = [&executed](const std::string& s) { return executed.find(s); };
  ASSERT_NE(at("Pseudo action:   g_start_0"), std::string::npos) << executed;
  EXPECT_LT(at("g_start_0"), at("a               start on node2"));
  EXPECT_LT(at("a               start on node2"), at("b               start on node2"));
  EXPECT_LT(at("b               start on node2"), at("g_running_0"));
  EXPECT_LT(at("g_running_0"), at("d               start on node1"));
  EXPECT_EQ(at("g_stop_0"), std::string::npos);
}

}  // namespace
}  // namespace quorate::crm::sched

namespace quorate::crm::sched {
namespace {

// A clone limited to node2 by a location ban, and a primitive that must run
// with it and start after it.
constexpr const char* kCloneCib = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
    dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/><node id="3" uname="node3"/></nodes>
    <resources>
      <primitive id="app" class="ocf" provider="heartbeat" type="Dummy"/>
      <clone id="base-clone">
        <primitive id="base" class="ocf" provider="heartbeat" type="Dummy"/>
      </clone>
    </resources>
    <constraints>
      <rsc_location id="ban1" rsc="base-clone" node="node1" score="-INFINITY"/>
      <rsc_location id="ban3" rsc="base-clone" node="node3" score="-INFINITY"/>
      <rsc_colocation id="c" rsc="app" with-rsc="base-clone" score="INFINITY"/>
      <rsc_order id="order1" first="base-clone" then="app"/>
    </constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="3" uname="node3" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>)";

TEST(Place, ColocationWithACloneFollowsItsInstances) {
  Cib cib;
  const WorkingSet ws = unpack(kCloneCib, cib);
  const Placement p = place(ws);
  ASSERT_NE(p.find("app"), nullptr);
  EXPECT_EQ(p.find("app")->node, "node2");
  int placed = 0;
  for (const char* id : {"base:0", "base:1", "base:2"}) {
    ASSERT_NE(p.find(id), nullptr) << id;
    if (!p.find(id)->node.empty()) {
      EXPECT_EQ(p.find(id)->node, "node2");
      ++placed;
    }
  }
  EXPECT_EQ(placed, 1);
}

TEST(Schedule, OrderAfterACloneWaitsForItsRunningPseudoAction) {
  Cib cib;
  const WorkingSet ws = unpack(kCloneCib, cib);
  const std::string executed = render_executed(schedule(ws));
  const auto running = executed.find("base-clone_running_0");
  const auto start = executed.find("app             start on node2");
  ASSERT_NE(running, std::string::npos) << executed;
  ASSERT_NE(start, std::string::npos) << executed;
  EXPECT_LT(running, start) << executed;
}

}  // namespace
}  // namespace quorate::crm::sched
