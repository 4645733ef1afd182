// Transition semantics: clones of groups, what a clone's start means to
// what is ordered after it (restart or not, notifications, interleaving),
// unmanaged resources' monitors, hard errors.
#include <gtest/gtest.h>

#include <string>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"

namespace quorate::crm::sched {
namespace {

// Two online nodes; `resources` and `constraints` verbatim; `lrm1` is
// node1's lrm_resources content (node2 has no history).
std::string make_cib(const std::string& resources, const std::string& constraints,
                     const std::string& lrm1) {
  return R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
      validate-with="pacemaker-3.0" dc-uuid="1"><configuration><crm_config>
      <cluster_property_set id="opts"><nvpair id="opts1" name="stonith-enabled" value="false"/>
      </cluster_property_set></crm_config><nodes><node id="1" uname="node1"/>
      <node id="2" uname="node2"/></nodes><resources>)" +
         resources + "</resources><constraints>" + constraints +
         R"(</constraints></configuration><status>
      <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>)" +
         lrm1 + R"(</lrm_resources></lrm></node_state>
      <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources/></lrm></node_state></status></cib>)";
}

std::string running(const std::string& id, const std::string& extra_ops = "") {
  return "<lrm_resource id=\"" + id +
         "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"><lrm_rsc_op id=\"" + id +
         "-s\" operation=\"start\" call-id=\"1\" rc-code=\"0\" op-status=\"0\" interval=\"0\" "
         "transition-key=\"1:1:0:x\"/>" +
         extra_ops + "</lrm_resource>";
}

std::string dummy(const std::string& id, const std::string& inner = "") {
  return "<primitive id=\"" + id + "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">" +
         inner + "</primitive>";
}

struct Scheduled {
  Cib cib;
  Transition t;
  std::string summary;
  std::string executed;
};

void schedule_cib(const std::string& xml, Scheduled& out) {
  auto cib = parse_cib_xml(xml, "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  out.cib = *cib;
  auto ws = unpack_working_set(out.cib);
  ASSERT_TRUE(ws.ok());
  out.t = schedule(*ws);
  out.summary = render_transition_summary(out.t);
  out.executed = render_executed(out.t);
}

TEST(CloneOfGroup, EachInstanceStartsItsMembersInsideItsGroupActions) {
  Scheduled s;
  schedule_cib(
      make_cib("<clone id=\"cl\"><group id=\"g\">" + dummy("a") + dummy("b") + "</group></clone>",
               "", ""),
      s);
  EXPECT_EQ(s.summary,
            "  * Start      a:0     ( node1 )\n"
            "  * Start      b:0     ( node1 )\n"
            "  * Start      a:1     ( node2 )\n"
            "  * Start      b:1     ( node2 )\n");
  const auto clone_start = s.executed.find("Pseudo action:   cl_start_0");
  const auto group_start = s.executed.find("Pseudo action:   g:0_start_0");
  const auto a_start = s.executed.find("a:0             start on node1");
  const auto b_start = s.executed.find("b:0             start on node1");
  const auto group_running = s.executed.find("Pseudo action:   g:0_running_0");
  const auto clone_running = s.executed.find("Pseudo action:   cl_running_0");
  ASSERT_NE(clone_running, std::string::npos) << s.executed;
  EXPECT_LT(clone_start, group_start);
  EXPECT_LT(group_start, a_start);
  EXPECT_LT(a_start, b_start);
  EXPECT_LT(b_start, group_running);
  EXPECT_LT(group_running, clone_running);
}

TEST(CloneOrdering, NewInstanceDoesNotRestartWhatFollows) {
  // c runs on node1 and gains an instance on node2; p, ordered after c,
  // stays where it is.
  Scheduled s;
  schedule_cib(make_cib("<clone id=\"c\">" + dummy("d") + "</clone>" + dummy("p"),
                        R"(<rsc_order id="o" first="c" then="p"/>)", running("d") + running("p")),
               s);
  EXPECT_EQ(s.summary, "  * Start      d:1     ( node2 )\n");
}

TEST(CloneOrdering, WhatFollowsANotifyingCloneWaitsForItsPostNotifications) {
  Scheduled s;
  schedule_cib(make_cib(R"(<clone id="c"><meta_attributes id="cm"><nvpair id="cn" name="notify"
                  value="true"/></meta_attributes>)" +
                            dummy("d") + "</clone>" + dummy("p"),
                        R"(<rsc_order id="o" first="c" then="p"/>)", ""),
               s);
  const auto confirmed = s.executed.find("Pseudo action:   c_confirmed-post_notify_running_0");
  const auto p_start = s.executed.find("p               start on");
  ASSERT_NE(confirmed, std::string::npos) << s.executed;
  ASSERT_NE(p_start, std::string::npos) << s.executed;
  EXPECT_LT(confirmed, p_start) << s.executed;
}

TEST(CloneOrdering, InterleavedInstanceStartsOnlyWhereTheFirstHasOne) {
  // c1 cannot run on node2, so c2's instance there (interleaved after c1)
  // does not start; Pacemaker lists no blocked start for it.
  const std::string interleave =
      R"(<meta_attributes id="%m"><nvpair id="%i" name="interleave" value="true"/>
         </meta_attributes>)";
  auto meta = [&interleave](const std::string& id) {
    std::string m = interleave;
    m.replace(m.find("%m"), 2, id + "-m");
    m.replace(m.find("%i"), 2, id + "-i");
    return m;
  };
  Scheduled s;
  schedule_cib(make_cib("<clone id=\"c1\">" + meta("c1") + dummy("d1") +
                            "</clone><clone id=\"c2\">" + meta("c2") + dummy("d2") + "</clone>",
                        R"(<rsc_location id="ban" rsc="c1" node="node2" score="-INFINITY"/>
                           <rsc_order id="o" first="c1" then="c2"/>)",
                        ""),
               s);
  EXPECT_EQ(s.summary,
            "  * Start      d1:0    ( node1 )\n"
            "  * Start      d2:1    ( node1 )\n");  // d2:0 went to node2
  EXPECT_EQ(s.executed.find("start on node2"), std::string::npos) << s.executed;
}

TEST(Unmanaged, KeepsItsRecurringMonitorScheduled) {
  Scheduled s;
  schedule_cib(make_cib(dummy("u", R"(<meta_attributes id="um"><nvpair id="umm" name="is-managed"
                        value="false"/></meta_attributes><operations><op id="um10"
                        name="monitor" interval="10s"/></operations>)"),
                        "", running("u")),
               s);
  EXPECT_EQ(s.summary, "");
  EXPECT_NE(s.executed.find("u               monitor=10000 on node1"), std::string::npos)
      << s.executed;
  // Already running: nothing to add.
  Scheduled again;
  schedule_cib(make_cib(dummy("u", R"(<meta_attributes id="um"><nvpair id="umm" name="is-managed"
                        value="false"/></meta_attributes><operations><op id="um10"
                        name="monitor" interval="10s"/></operations>)"),
                        "", running("u", R"(<lrm_rsc_op id="u-m" operation="monitor" call-id="2"
                        rc-code="0" op-status="0" interval="10000" transition-key="2:1:0:x"/>)")),
               again);
  EXPECT_EQ(again.executed.find("monitor=10000"), std::string::npos) << again.executed;
}

TEST(GroupBlocked, MembersAfterAStuckFirstMemberStopAndTheGroupIsNeverStopped) {
  // a's stop failed with on-fail=block on node1, which is put in standby:
  // a stays (blocked); b, which follows a, cannot follow it anywhere else.
  std::string xml = make_cib("<group id=\"g\">" +
                                 dummy("a", R"(<operations><op id="a-stop" name="stop" interval="0"
                         on-fail="block"/></operations>)") +
                                 dummy("b") + "</group>",
                             "",
                             R"(<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
         <lrm_rsc_op id="a-s" operation="start" call-id="1" rc-code="0" op-status="0"
         interval="0" transition-key="1:1:0:x"/>
         <lrm_rsc_op id="a-t" operation="stop" call-id="3" rc-code="1" op-status="0"
         interval="0" transition-key="2:1:0:x"/></lrm_resource>)" +
                                 running("b"));
  xml.replace(xml.find("<node id=\"1\" uname=\"node1\"/>"),
              std::string("<node id=\"1\" uname=\"node1\"/>").size(),
              R"(<node id="1" uname="node1"><instance_attributes id="n1"><nvpair id="n1s"
                 name="standby" value="on"/></instance_attributes></node>)");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary, "  * Stop       b       ( node1 )  due to node availability\n");
  EXPECT_NE(s.executed.find("b               stop on node1"), std::string::npos) << s.executed;
  EXPECT_EQ(s.executed.find("g_stopped_0"), std::string::npos) << s.executed;
}

TEST(OnFailDemote, DemotesInPlaceAndPromotesAnother) {
  // st:0, promoted on node1, failed its promoted monitor (on-fail=demote).
  const std::string clone = R"(<clone id="ms"><meta_attributes id="ms-m"><nvpair id="ms-p"
      name="promotable" value="true"/></meta_attributes>
      <primitive id="st" class="ocf" provider="pacemaker" type="Stateful"><operations>
      <op id="st-m10" name="monitor" interval="10s" role="Promoted" on-fail="demote"/>
      <op id="st-m11" name="monitor" interval="11s" role="Unpromoted"/></operations></primitive>
      </clone>)";
  std::string xml =
      make_cib(clone, "",
               R"(<lrm_resource id="st:0" class="ocf" provider="pacemaker" type="Stateful">
         <lrm_rsc_op id="s0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0"
         transition-key="1:1:0:x"/>
         <lrm_rsc_op id="p0" operation="promote" call-id="2" rc-code="0" op-status="0"
         interval="0" transition-key="2:1:0:x"/>
         <lrm_rsc_op id="m0" operation="monitor" call-id="3" rc-code="1" op-status="0"
         interval="10000" transition-key="3:1:8:x"/></lrm_resource>)");
  // st:1 unpromoted on node2.
  xml.replace(xml.find("<lrm id=\"2\"><lrm_resources/></lrm>"),
              std::string("<lrm id=\"2\"><lrm_resources/></lrm>").size(),
              R"(<lrm id="2"><lrm_resources><lrm_resource id="st:1" class="ocf"
                 provider="pacemaker" type="Stateful"><lrm_rsc_op id="s1" operation="start"
                 call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x"/>
                 </lrm_resource></lrm_resources></lrm>)");
  for (const char* n : {"1", "2"}) {
    const std::string state = std::string("<node_state id=\"") + n + "\"";
    const auto at = xml.find(">", xml.find(state)) + 1;
    xml.insert(at, std::string("<transient_attributes id=\"t") + n +
                       "\"><instance_attributes id=\"ta" + n + "\"><nvpair id=\"ms" + n +
                       "\" name=\"master-st\" value=\"" + (n[0] == '1' ? "10" : "5") +
                       "\"/></instance_attributes></transient_attributes>");
  }
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary,
            "  * Demote     st:0    ( Promoted -> Unpromoted node1 )\n"
            "  * Promote    st:1    ( Unpromoted -> Promoted node2 )\n");
}

TEST(CloneOfGroup, PromotableInstancePromotesBetweenItsGroupsPseudoActions) {
  // The Promoted-role location puts the promoted instance on node1.
  Scheduled s;
  schedule_cib(
      make_cib(R"(<clone id="ms"><meta_attributes id="ms-m"><nvpair id="ms-p" name="promotable"
                  value="true"/></meta_attributes><group id="g"><primitive id="a" class="ocf"
                  provider="pacemaker" type="Stateful"/></group></clone>)",
               R"(<rsc_location id="l" rsc="ms"><rule id="r" role="Promoted" score="100">
                  <expression id="e" attribute="#uname" operation="eq" value="node1"/></rule>
                  </rsc_location>)",
               ""),
      s);
  EXPECT_EQ(s.summary,
            "  * Promote    a:0     ( Stopped -> Promoted node1 )\n"
            "  * Start      a:1     (                     node2 )\n");
  const auto tail = s.executed.substr(s.executed.find("ms_running_0"));
  EXPECT_EQ(tail,
            "ms_running_0\n"
            "  * Pseudo action:   ms_promote_0\n"
            "  * Pseudo action:   g:0_promote_0\n"
            "  * Resource action: a:0             promote on node1\n"
            "  * Pseudo action:   g:0_promoted_0\n"
            "  * Pseudo action:   ms_promoted_0\n");
}

// The next three expectations are what the installed Pacemaker 2.1.5
// crm_simulate prints for the same CIBs.

TEST(Probes, APendingProbeIsRepeatedAndDoesNotMakeTheResourceActive) {
  Scheduled s;
  schedule_cib(make_cib(dummy("r"), "",
                        R"(<lrm_resource id="r" class="ocf" provider="pacemaker" type="Dummy">
                           <lrm_rsc_op id="r-p" operation="monitor" call-id="-1" rc-code="-1"
                           op-status="-1" interval="0" transition-key="1:1:7:x"/>
                           </lrm_resource>)"),
               s);
  EXPECT_EQ(s.summary, "  * Start      r       ( node1 )\n");
  EXPECT_EQ(s.executed,
            "  * Resource action: r               monitor on node2\n"
            "  * Resource action: r               monitor on node1\n"
            "  * Resource action: r               start on node1\n");
}

TEST(Shutdown, TheDcShutsDownLast) {
  std::string xml = make_cib("", "", "");
  for (const char* n : {"1", "2"}) {
    const std::string state = std::string("<node_state id=\"") + n + "\"";
    const auto at = xml.find(">", xml.find(state)) + 1;
    xml.insert(at, std::string("<transient_attributes id=\"t") + n +
                       "\"><instance_attributes id=\"ta" + n + "\"><nvpair id=\"sd" + n +
                       "\" name=\"shutdown\" value=\"1\"/></instance_attributes>"
                       "</transient_attributes>");
  }
  Scheduled s;
  schedule_cib(xml, s);  // dc-uuid="1": node1
  EXPECT_EQ(s.executed,
            "  * Cluster action:  do_shutdown on node2\n"
            "  * Cluster action:  do_shutdown on node1\n");
}

TEST(CloneOrdering, AnOrderedCloneStopsItsInstancesInReverse) {
  const std::string run = R"(<lrm_resource id="d:I" class="ocf" provider="pacemaker"
      type="Dummy"><lrm_rsc_op id="dI" operation="start" call-id="1" rc-code="0" op-status="0"
      interval="0" transition-key="1:1:0:x"/></lrm_resource>)";
  auto instance = [&run](char i) {
    std::string r = run;
    for (std::size_t at = r.find('I'); at != std::string::npos; at = r.find('I', at + 1)) r[at] = i;
    return r;
  };
  Scheduled s;
  schedule_cib(make_cib(R"(<clone id="c"><meta_attributes id="cm"><nvpair id="co"
                           name="ordered" value="true"/><nvpair id="ct" name="target-role"
                           value="Stopped"/></meta_attributes>)" +
                            dummy("d") + "</clone>",
                        "", instance('0') + instance('1')),
               s);
  EXPECT_EQ(s.executed,
            "  * Resource action: d:0             monitor on node2\n"
            "  * Pseudo action:   c_stop_0\n"
            "  * Resource action: d:1             stop on node1\n"
            "  * Resource action: d:0             stop on node1\n"
            "  * Pseudo action:   c_stopped_0\n");
}

TEST(GroupOrdering, AnUnorderedGroupStopsItsMembersWithoutWaiting) {
  // node1, where a and b run, goes into standby; with ordered=false, a stops
  // first (an ordered group would stop b first).
  std::string xml = make_cib(R"(<group id="g"><meta_attributes id="gm"><nvpair id="go"
                                name="ordered" value="false"/></meta_attributes>)" +
                                 dummy("a") + dummy("b") + "</group>",
                             "", running("a") + running("b"));
  const std::string state = "<node_state id=\"1\"";
  xml.insert(xml.find(">", xml.find(state)) + 1,
             R"(<transient_attributes id="t1"><instance_attributes id="ta1"><nvpair id="sb1"
                name="standby" value="on"/></instance_attributes></transient_attributes>)");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary,
            "  * Move       a       ( node1 -> node2 )\n"
            "  * Move       b       ( node1 -> node2 )\n");
  EXPECT_EQ(s.executed,  // as the installed Pacemaker 2.1.5 prints it
            "  * Pseudo action:   g_stop_0\n"
            "  * Resource action: a               stop on node1\n"
            "  * Resource action: a               monitor on node2\n"
            "  * Resource action: b               stop on node1\n"
            "  * Resource action: b               monitor on node2\n"
            "  * Pseudo action:   g_stopped_0\n"
            "  * Pseudo action:   g_start_0\n"
            "  * Resource action: a               start on node2\n"
            "  * Resource action: b               start on node2\n"
            "  * Pseudo action:   g_running_0\n");
}

TEST(UniqueClone, InactiveInstancesAreAssignedInInstanceOrder) {
  // d:1 wants node2 more (300) than d:0 does (30), but two inactive
  // instances compare equal, so d:0 is assigned first and takes node2; d:1
  // gets node1 (the installed Pacemaker 2.1.5 decides so with schema
  // validation off: crm_simulate -s lists d:0's scores before d:1's).
  Scheduled s;
  schedule_cib(make_cib(R"(<clone id="c"><meta_attributes id="cm"><nvpair id="cu"
                           name="globally-unique" value="true"/><nvpair id="cn"
                           name="clone-node-max" value="1"/></meta_attributes>)" +
                            dummy("d") + "</clone>",
                        R"(<rsc_location id="l0" rsc="d:0" node="node2" score="30"/>
                           <rsc_location id="l0b" rsc="d:0" node="node1" score="10"/>
                           <rsc_location id="l1" rsc="d:1" node="node2" score="300"/>)",
                        ""),
               s);
  EXPECT_EQ(s.summary,
            "  * Start      d:0     ( node2 )\n"
            "  * Start      d:1     ( node1 )\n");
}

TEST(Fencing, NothingIsFencedWithoutAFencingDevice) {
  // d's stop failed on node2 (on-fail defaults to fence): with no fencing
  // device configured, node2 is not fenced and nothing can stop there.
  std::string xml = make_cib(
      "<clone id=\"c\"><meta_attributes id=\"cm\"><nvpair id=\"cx\" "
      "name=\"clone-max\" value=\"1\"/></meta_attributes>" +
          dummy("d") + "</clone>",
      "", "");
  xml.replace(xml.find("value=\"false\""), std::string("value=\"false\"").size(),
              "value=\"true\"");  // stonith-enabled
  xml.replace(xml.find("<lrm id=\"2\"><lrm_resources/></lrm>"),
              std::string("<lrm id=\"2\"><lrm_resources/></lrm>").size(),
              R"(<lrm id="2"><lrm_resources><lrm_resource id="d" class="ocf"
                 provider="pacemaker" type="Dummy"><lrm_rsc_op id="d2" operation="start"
                 call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x"/>
                 <lrm_rsc_op id="d3" operation="stop" call-id="2" rc-code="1" op-status="0"
                 interval="0" transition-key="2:1:0:x"/></lrm_resource></lrm_resources></lrm>)");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_TRUE(s.t.fencing.empty());
  EXPECT_EQ(s.summary.find("Fence"), std::string::npos) << s.summary;
  EXPECT_EQ(s.executed.find("stop on node2"), std::string::npos) << s.executed;
}

TEST(BadInput, AnAbsurdCloneMaxIsRefusedWithItsClone) {
  auto cib = parse_cib_xml(make_cib(R"(<clone id="big"><meta_attributes id="bm"><nvpair id="bx"
                                        name="clone-max" value="INFINITY"/></meta_attributes>)" +
                                        dummy("d") + "</clone>",
                                    "", ""),
                           "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  const auto ws = unpack_working_set(*cib);
  ASSERT_FALSE(ws.ok());
  EXPECT_NE(ws.error().message.find("clone 'big': clone-max INFINITY"), std::string::npos)
      << ws.error().message;
}

TEST(HardError, BansTheNode) {
  // A start that failed with "insufficient privileges" (4): the resource
  // recovers on the other node, not in place.
  Scheduled s;
  schedule_cib(make_cib(dummy("h"), "",
                        R"(<lrm_resource id="h" class="ocf" provider="pacemaker" type="Dummy">
                           <lrm_rsc_op id="h-s" operation="start" call-id="1" rc-code="4"
                           op-status="0" interval="0" transition-key="1:1:0:x"/>
                           </lrm_resource>)"),
               s);
  EXPECT_EQ(s.summary, "  * Recover    h       ( node1 -> node2 )\n");
}

TEST(HardError, AgentNotInstalledBansTheNode) {
  // The recurring monitor found the agent gone (execution status 7).
  Scheduled s;
  schedule_cib(make_cib(dummy("h", R"(<operations><op id="h-m" name="monitor"
                                      interval="10s"/></operations>)"),
                        "", running("h", R"(<lrm_rsc_op id="h-f" operation="monitor"
                        call-id="2" rc-code="5" op-status="7" interval="10000"
                        transition-key="2:1:0:x"/>)")),
               s);
  EXPECT_EQ(s.summary, "  * Recover    h       ( node1 -> node2 )\n");
}

}  // namespace
}  // namespace quorate::crm::sched
