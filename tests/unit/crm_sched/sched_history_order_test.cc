// What a resource's recorded history does to the actions Pacemaker creates
// and where they sit in the graph: a start still in flight (the start is
// created first), an agent changed under a running resource (restart with a
// delete between stop and start; not checked on a node shutting down), the
// recurring monitors created while the history is read (they keep that early
// place), an injected stop against an in-flight start in the revised
// status; fencing enabled without a fence device (nothing managed); a probe
// that cannot run on a pending node (the start is blocked); starts after
// fencing, fencing creation order, a group's stop after the fencing that
// implies a member's stop; what is colocated with a promoted role weighing
// on the promotion; notifications of cloned groups and of stops fencing
// implies; an anonymous clone's fail counts summed over instance numbers;
// a clone's probe still in flight; a mandatory colocation with a clone
// whose instance is blocked by a failure; anti-colocation sets. Every expected text is what Pacemaker 2.1.5's crm_simulate prints
// for the same CIB.
#include <gtest/gtest.h>

#include <string>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"
#include "crm/sched_simulate.h"

namespace quorate::crm::sched {
namespace {

constexpr const char* kFakeUuid = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

// Two online nodes, stonith disabled unless `stonith`; `node1_extra` goes
// inside node1's node_state (transient attributes).
std::string make_cib(const std::string& resources, const std::string& constraints,
                     const std::string& lrm1, const std::string& lrm2,
                     const std::string& node1_extra = "", bool stonith = false) {
  return R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
      validate-with="pacemaker-3.0" dc-uuid="2"><configuration><crm_config>
      <cluster_property_set id="opts"><nvpair id="opts1" name="stonith-enabled" value=")" +
         std::string(stonith ? "true" : "false") + R"("/>
      </cluster_property_set></crm_config><nodes><node id="1" uname="node1"/>
      <node id="2" uname="node2"/></nodes><resources>)" +
         resources + "</resources><constraints>" + constraints +
         R"(</constraints></configuration><status>
      <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">)" +
         node1_extra + R"(<lrm id="1"><lrm_resources>)" + lrm1 + R"(</lrm_resources></lrm></node_state>
      <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources>)" +
         lrm2 + "</lrm_resources></lrm></node_state></status></cib>";
}

std::string prim(const std::string& id, bool monitor = false) {
  return "<primitive id=\"" + id + "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">" +
         (monitor ? "<operations><op id=\"" + id +
                        "-mon\" name=\"monitor\" interval=\"10s\"/></operations>"
                  : std::string()) +
         "</primitive>";
}

// One lrm_rsc_op; digests are Pacemaker's for the Dummy agent without
// parameters, so that nothing looks changed.
std::string op(const std::string& rsc, const std::string& task, int call, int interval_ms = 0,
               int rc = 0, int status = 0, int transition = 1) {
  const std::string key = rsc + "_" + task + "_" + std::to_string(interval_ms);
  const std::string tkey = "1:" + std::to_string(transition) + ":0:" + kFakeUuid;
  return "<lrm_rsc_op id=\"" + key + "\" operation=\"" + task + "\" operation_key=\"" + key +
         "\" call-id=\"" + std::to_string(call) + "\" rc-code=\"" + std::to_string(rc) +
         "\" op-status=\"" + std::to_string(status) + "\" interval=\"" +
         std::to_string(interval_ms) + "\" op-digest=\"" +
         (interval_ms != 0 ? "4811cef7f7f94e3a35a70be7916cb2fd" : "f2317cad3d54cec5d7d7aa7d0bf35cf8") +
         "\" transition-key=\"" + tkey + "\" transition-magic=\"" + std::to_string(status) + ":" +
         std::to_string(rc) + ";" + tkey + "\"/>";
}

std::string lrm(const std::string& rsc, const std::string& ops, const std::string& type = "Dummy") {
  return "<lrm_resource id=\"" + rsc + "\" class=\"ocf\" provider=\"pacemaker\" type=\"" + type +
         "\">" + ops + "</lrm_resource>";
}

struct Scheduled {
  std::string summary;
  std::string executed;
  std::string simulated;  // the whole crm_simulate text
};

void schedule_cib(const std::string& xml, Scheduled& out) {
  auto cib = parse_cib_xml(xml, "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  auto ws = unpack_working_set(*cib);
  ASSERT_TRUE(ws.ok());
  const Transition t = schedule(*ws);
  out.summary = render_transition_summary(t);
  out.executed = render_executed(t);
  out.simulated = simulate(*cib, SimulateOptions{});
}

TEST(PendingStart, StartIsCreatedFirstSoItRunsInTheStopsPass) {
  // r's start on node1 is still in flight (transition 9 of the fake TE);
  // r must run on node2.
  Scheduled s;
  schedule_cib(make_cib(prim("r", true) + prim("b"),
                        R"(<rsc_location id="l1" rsc="r" node="node2" score="INFINITY"/>
                           <rsc_location id="l2" rsc="b" node="node1" score="100"/>)",
                        lrm("r", op("r", "start", -1, 0, -1, -1, 9)),
                        lrm("r", op("r", "monitor", 1, 0, 7))),
               s);
  EXPECT_EQ(s.summary,
            "  * Move       r       ( node1 -> node2 )\n"
            "  * Start      b       (          node1 )\n");
  EXPECT_EQ(s.executed,
            "  * Resource action: r               stop on node1\n"
            "  * Resource action: r               start on node2\n"
            "  * Resource action: b               monitor on node2\n"
            "  * Resource action: b               monitor on node1\n"
            "  * Resource action: r               monitor=10000 on node2\n"
            "  * Resource action: b               start on node1\n");
  // The injected stop (transition -1) sorts after a numbered transition's
  // in-flight start of the same fake TE: r is no longer on node1.
  EXPECT_NE(s.simulated.find("* r\t(ocf:pacemaker:Dummy):\t Started node2\n"), std::string::npos)
      << s.simulated;
}

TEST(PendingStart, InjectedStopSortsBeforeAStartOfAnotherTe) {
  // The same in-flight start recorded by a real TE (another uuid): when the
  // status is read again it sorts after the injected stop, so r still looks
  // started on node1 too.
  std::string start = op("r", "start", -1, 0, -1, -1, 9);
  const std::string other = "0c2c7bd0-1d3b-4d6d-9e47-3c52a1b1c0de";
  for (std::size_t at = start.find(kFakeUuid); at != std::string::npos;
       at = start.find(kFakeUuid))
    start.replace(at, other.size(), other);
  Scheduled s;
  schedule_cib(make_cib(prim("r", true), R"(<rsc_location id="l1" rsc="r" node="node2" score="INFINITY"/>)",
                        lrm("r", start), lrm("r", op("r", "monitor", 1, 0, 7))),
               s);
  EXPECT_NE(s.simulated.find("* r\t(ocf:pacemaker:Dummy):\t Started [ node1 node2 ]\n"),
            std::string::npos)
      << s.simulated;
}

TEST(AgentChanged, RunningResourceRestartsWithItsHistoryDeletedBetween) {
  Scheduled s;
  schedule_cib(make_cib(prim("r", true), "",
                        lrm("r", op("r", "start", 1) + op("r", "monitor", 2, 10000), "Stateful"),
                        lrm("r", op("r", "monitor", 1, 0, 7))),
               s);
  EXPECT_EQ(s.summary, "  * Restart    r       ( node1 )\n");
  EXPECT_EQ(s.executed,
            "  * Resource action: r               stop on node1\n"
            "  * Resource action: r               delete on node1\n"
            "  * Resource action: r               start on node1\n"
            "  * Resource action: r               monitor=10000 on node1\n");
}

TEST(AgentChanged, NotCheckedOnANodeShuttingDown) {
  Scheduled s;
  schedule_cib(
      make_cib(prim("r", true), "",
               lrm("r", op("r", "start", 1) + op("r", "monitor", 2, 10000), "Stateful"),
               lrm("r", op("r", "monitor", 1, 0, 7)),
               R"(<transient_attributes id="1"><instance_attributes id="st1">
                  <nvpair id="st1-s" name="shutdown" value="1000"/>
                  </instance_attributes></transient_attributes>)"),
      s);
  EXPECT_EQ(s.summary, "  * Move       r       ( node1 -> node2 )\n");
  EXPECT_EQ(s.executed,
            "  * Resource action: r               stop on node1\n"
            "  * Cluster action:  do_shutdown on node1\n"
            "  * Resource action: r               start on node2\n"
            "  * Resource action: r               monitor=10000 on node2\n");
}

TEST(RecordedRecurring, MonitorKeepsThePlaceItGotWhenTheHistoryWasRead) {
  // A unique clone's one instance is active on both nodes: it stops on both
  // and starts on node1 again, where its 10s monitor was recorded. That
  // monitor is the oldest of the instance's actions, so it comes before the
  // clone's running pseudo action in the same pass.
  Scheduled s;
  schedule_cib(make_cib(R"(<clone id="c"><meta_attributes id="cm">
                           <nvpair id="cm1" name="globally-unique" value="true"/>
                           <nvpair id="cm2" name="clone-max" value="1"/></meta_attributes>)" +
                            prim("r", true) + "</clone>",
                        R"(<rsc_location id="l1" rsc="c" node="node1" score="100"/>)",
                        lrm("r:0", op("r:0", "start", 1) + op("r:0", "monitor", 2, 10000)),
                        lrm("r:0", op("r:0", "start", 1))),
               s);
  EXPECT_EQ(s.summary, "  * Restart    r:0     ( node1 )\n");
  EXPECT_EQ(s.executed,
            "  * Pseudo action:   c_stop_0\n"
            "  * Resource action: r:0             stop on node2\n"
            "  * Resource action: r:0             stop on node1\n"
            "  * Pseudo action:   c_stopped_0\n"
            "  * Pseudo action:   c_start_0\n"
            "  * Resource action: r:0             start on node1\n"
            "  * Resource action: r:0             monitor=10000 on node1\n"
            "  * Pseudo action:   c_running_0\n");
}

TEST(NoFenceDevice, FencingEnabledWithoutADeviceLeavesEveryResourceAsItIs) {
  // r runs on node1 but must be on node2; b runs nowhere. Without a fence
  // device both are assigned as if unmanaged: only probes and the monitor
  // of what runs.
  Scheduled s;
  schedule_cib(make_cib(prim("r", true) + prim("b"),
                        R"(<rsc_location id="l1" rsc="r" node="node2" score="INFINITY"/>)",
                        lrm("r", op("r", "start", 1)), "", "", true),
               s);
  EXPECT_EQ(s.summary, "");
  EXPECT_EQ(s.executed,
            "  * Resource action: r               monitor=10000 on node1\n"
            "  * Resource action: r               monitor on node2\n"
            "  * Resource action: b               monitor on node2\n"
            "  * Resource action: b               monitor on node1\n");
}

TEST(PendingNode, AProbeThatCannotRunThereBlocksTheStart) {
  // node2 is still joining (pending): r, unknown there, would be probed
  // there first, which cannot happen, so its start on node1 is blocked.
  std::string xml = make_cib(
      R"(<primitive id="f" class="stonith" type="fence_xvm"/>)" + prim("r"), "",
      R"(<lrm_resource id="f" class="stonith" type="fence_xvm">)" + op("f", "start", 1) +
          "</lrm_resource>" + lrm("r", op("r", "monitor", 2, 0, 7)),
      "", "", true);
  const std::string member =
      R"(<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member")";
  const auto at = xml.find(member);
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, member.size(),
              R"(<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="pending")");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary, "  * Start      r       ( node1 )  blocked\n");
  EXPECT_EQ(s.executed, "");
}

std::string quorum_only(const std::string& id) {
  return "<primitive id=\"" + id +
         "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"><meta_attributes id=\"" + id +
         "-m\"><nvpair id=\"" + id + "-m1\" name=\"requires\" value=\"quorum\"/>"
         "</meta_attributes></primitive>";
}

TEST(FencingOrder, StartsThatRequireFencingOrMightRunOnTheNodeWaitForIt) {
  // node2 left the cluster and is fenced. r requires fencing (the default
  // with fencing on): its start waits. q and k require only quorum: q, never
  // seen on node2, might run there and waits; k, known stopped there, does
  // not, so it starts in the first pass before the fencing.
  std::string xml = make_cib(
      R"(<primitive id="f" class="stonith" type="fence_xvm"/>)" + prim("r") + quorum_only("q") +
          quorum_only("k"),
      "",
      R"(<lrm_resource id="f" class="stonith" type="fence_xvm">)" + op("f", "start", 1) +
          "</lrm_resource>" + lrm("r", op("r", "monitor", 2, 0, 7)) +
          lrm("q", op("q", "monitor", 3, 0, 7)) + lrm("k", op("k", "monitor", 4, 0, 7)),
      lrm("r", op("r", "monitor", 2, 0, 7)) + lrm("k", op("k", "monitor", 4, 0, 7)), "", true);
  const std::string member =
      R"(<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member")";
  const auto at = xml.find(member);
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, member.size(),
              R"(<node_state id="2" uname="node2" in_ccm="false" crmd="offline" join="down")");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary,
            "  * Fence (reboot) node2 'peer is no longer part of the cluster'\n"
            "  * Start      r       ( node1 )\n"
            "  * Start      q       ( node1 )\n"
            "  * Start      k       ( node1 )\n");
  EXPECT_EQ(s.executed,
            "  * Resource action: k               start on node1\n"
            "  * Fencing node2 (reboot)\n"
            "  * Resource action: r               start on node1\n"
            "  * Resource action: q               start on node1\n");
}

// Three nodes with fencing enabled and node1 the DC; node2's node_state
// start tag is `node2_state` (its membership).
std::string make_cib3(const std::string& resources, const std::string& lrm1,
                      const std::string& lrm2, const std::string& lrm3,
                      const std::string& node2_state) {
  return R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
      validate-with="pacemaker-3.0" dc-uuid="1"><configuration><crm_config>
      <cluster_property_set id="opts"><nvpair id="opts1" name="stonith-enabled" value="true"/>
      </cluster_property_set></crm_config><nodes><node id="1" uname="node1"/>
      <node id="2" uname="node2"/><node id="3" uname="node3"/></nodes><resources>)" +
         resources + R"(</resources><constraints/></configuration><status>
      <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>)" +
         lrm1 + "</lrm_resources></lrm></node_state>" + node2_state + R"(<lrm id="2"><lrm_resources>)" +
         lrm2 + R"(</lrm_resources></lrm></node_state>
      <node_state id="3" uname="node3" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="3"><lrm_resources>)" +
         lrm3 + "</lrm_resources></lrm></node_state></status></cib>";
}

const char* kFenceDevice = R"(<primitive id="f" class="stonith" type="fence_xvm"/>)";

std::string fence_running() {
  return R"(<lrm_resource id="f" class="stonith" type="fence_xvm">)" + op("f", "start", 1) +
         "</lrm_resource>";
}

TEST(FencingOrder, FencingsAreCreatedInTheOrderTheStatusShowsThem) {
  // a's stop failed on node1 (the DC, first in the status), b's on node2:
  // both nodes are fenced, node1 after node2. Pacemaker created node1's
  // fencing first (graph order: newest first), so both run in the first
  // pass, before the implied stops.
  const std::string member =
      R"(<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">)";
  auto failed = [](const std::string& r) {
    return lrm(r, op(r, "start", 1) + op(r, "stop", 2, 0, 1));
  };
  Scheduled s;
  schedule_cib(make_cib3(kFenceDevice + prim("a") + prim("b"), failed("a"), failed("b"),
                         fence_running(), member),
               s);
  EXPECT_EQ(s.summary,
            "  * Fence (reboot) node2 'b failed there'\n"
            "  * Fence (reboot) node1 'a failed there'\n"
            "  * Recover    a       ( node1 -> node3 )\n"
            "  * Recover    b       ( node2 -> node3 )\n");
  EXPECT_EQ(s.executed,
            "  * Resource action: a               monitor on node3\n"
            "  * Resource action: b               monitor on node3\n"
            "  * Fencing node2 (reboot)\n"
            "  * Fencing node1 (reboot)\n"
            "  * Pseudo action:   a_stop_0\n"
            "  * Pseudo action:   b_stop_0\n"
            "  * Resource action: a               start on node3\n"
            "  * Resource action: b               start on node3\n");
}

TEST(FencingOrder, GroupStopWaitsForTheFencingThatImpliesAMemberStop) {
  const std::string gone =
      R"(<node_state id="2" uname="node2" in_ccm="false" crmd="offline" join="down" expected="member">)";
  auto ran = [](const std::string& r) { return lrm(r, op(r, "start", 1)); };
  Scheduled s;
  schedule_cib(make_cib3(kFenceDevice + std::string("<group id=\"g\">") + prim("a") + prim("b") +
                             "</group>",
                         fence_running(), ran("a") + ran("b"), "", gone),
               s);
  EXPECT_EQ(s.executed,
            "  * Resource action: f               monitor on node3\n"
            "  * Resource action: a               monitor on node3\n"
            "  * Resource action: a               monitor on node1\n"
            "  * Resource action: b               monitor on node3\n"
            "  * Resource action: b               monitor on node1\n"
            "  * Fencing node2 (reboot)\n"
            "  * Pseudo action:   g_stop_0\n"
            "  * Pseudo action:   b_stop_0\n"
            "  * Pseudo action:   a_stop_0\n"
            "  * Pseudo action:   g_stopped_0\n"
            "  * Pseudo action:   g_start_0\n"
            "  * Resource action: a               start on node3\n"
            "  * Resource action: b               start on node3\n"
            "  * Pseudo action:   g_running_0\n");
}

// A promotable clone `ms` of Stateful `st`, unpromoted on both nodes with
// master scores 10 (node1) and `node2_master` (node2), and `ip` colocated
// with its promoted role; `ip_locations` are ip's location constraints.
std::string promotable_cib(const std::string& node2_master, const std::string& ip_locations) {
  auto attrs = [](const std::string& node, const std::string& v) {
    return "<transient_attributes id=\"" + node + "\"><instance_attributes id=\"ta" + node +
           "\"><nvpair id=\"m" + node + "\" name=\"master-st\" value=\"" + v +
           "\"/></instance_attributes></transient_attributes>";
  };
  auto ran = [](const std::string& id) {
    return "<lrm_resource id=\"" + id +
           "\" class=\"ocf\" provider=\"pacemaker\" type=\"Stateful\">" + op(id, "start", 1) +
           "</lrm_resource>";
  };
  std::string xml = make_cib(
      R"(<clone id="ms"><meta_attributes id="msm"><nvpair id="msm1" name="promotable" value="true"/>
         </meta_attributes><primitive id="st" class="ocf" provider="pacemaker" type="Stateful"/>
         </clone>)" + prim("ip"),
      R"(<rsc_colocation id="c1" rsc="ip" with-rsc="ms" with-rsc-role="Promoted" score="INFINITY"/>)" +
          ip_locations,
      ran("st:0"), ran("st:1"), attrs("1", "10"));
  const std::string n2 = R"(join="member" expected="member">
      <lrm id="2">)";
  const auto at = xml.find(n2);
  if (at != std::string::npos)
    xml.insert(at + n2.size() - std::string("<lrm id=\"2\">").size(), attrs("2", node2_master));
  const std::string schema = "pacemaker-3.0";
  xml.replace(xml.find(schema), schema.size(), "pacemaker-3.7");
  return xml;
}

int promotion_score(const std::string& xml, const std::string& inst) {
  auto cib = parse_cib_xml(xml, "t.xml");
  EXPECT_TRUE(cib.ok());
  if (!cib.ok()) return 0;
  auto ws = unpack_working_set(*cib);
  EXPECT_TRUE(ws.ok());
  if (!ws.ok()) return 0;
  const Transition t = schedule(*ws);
  const PrimitivePlacement* p = t.placement.find(inst);
  EXPECT_NE(p, nullptr);
  return p != nullptr && p->promotion_score ? *p->promotion_score : 0;
}

TEST(PromotedColocation, WhatFollowsThePromotedRoleBringsItsNodeScores) {
  // ip prefers node2 (100): the clone's allocation took that in once, and
  // the promotion takes it again: node2 (master 5) outranks node1 (10).
  const std::string xml =
      promotable_cib("5", R"(<rsc_location id="l1" rsc="ip" node="node2" score="100"/>)");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary,
            "  * Promote    st:1    ( Unpromoted -> Promoted node2 )\n"
            "  * Start      ip      (                        node2 )\n");
  EXPECT_EQ(promotion_score(xml, "st:1"), 205);
  EXPECT_EQ(promotion_score(xml, "st:0"), 10);
}

TEST(PromotedColocation, AMergeThatLeavesNoUsableNodeIsRolledBack) {
  // ip dislikes both nodes: merged in, no node would be usable, so its
  // scores are left out and the master scores decide.
  const std::string xml =
      promotable_cib("100", R"(<rsc_location id="l1" rsc="ip" node="node1" score="-50"/>
                              <rsc_location id="l2" rsc="ip" node="node2" score="-200"/>)");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary, "  * Promote    st:1    ( Unpromoted -> Promoted node2 )\n");
  EXPECT_EQ(promotion_score(xml, "st:1"), 100);
  EXPECT_EQ(promotion_score(xml, "st:0"), 10);
}

TEST(CloneNotifications, AClonedGroupNotifiesEachMemberOfEachInstance) {
  auto ran = [](const std::string& r) { return lrm(r, op(r, "start", 1)); };
  Scheduled s;
  schedule_cib(make_cib(R"(<clone id="cg"><meta_attributes id="cg-m">
                           <nvpair id="cg-m1" name="notify" value="true"/></meta_attributes>
                           <group id="g">)" +
                            prim("a") + prim("b") + "</group></clone>",
                        "", ran("a:0") + ran("b:0"), ""),
               s);
  EXPECT_EQ(s.executed,
            "  * Resource action: a:1             monitor on node2\n"
            "  * Resource action: b:1             monitor on node2\n"
            "  * Pseudo action:   cg_pre_notify_start_0\n"
            "  * Resource action: a:0             notify on node1\n"
            "  * Resource action: b:0             notify on node1\n"
            "  * Pseudo action:   cg_confirmed-pre_notify_start_0\n"
            "  * Pseudo action:   cg_start_0\n"
            "  * Pseudo action:   g:1_start_0\n"
            "  * Resource action: a:1             start on node2\n"
            "  * Resource action: b:1             start on node2\n"
            "  * Pseudo action:   g:1_running_0\n"
            "  * Pseudo action:   cg_running_0\n"
            "  * Pseudo action:   cg_post_notify_running_0\n"
            "  * Resource action: a:0             notify on node1\n"
            "  * Resource action: b:0             notify on node1\n"
            "  * Resource action: a:1             notify on node2\n"
            "  * Resource action: b:1             notify on node2\n"
            "  * Pseudo action:   cg_confirmed-post_notify_running_0\n");
}

TEST(CloneNotifications, AStopImpliedByFencingIsNotifiedAfterTheFencing) {
  auto ran = [](const std::string& r) { return lrm(r, op(r, "start", 1)); };
  std::string xml = make_cib(std::string(kFenceDevice) + R"(<clone id="c"><meta_attributes id="c-m">
                                 <nvpair id="c-m1" name="notify" value="true"/></meta_attributes>)" +
                                 prim("p") + "</clone>",
                             "", fence_running() + ran("p:0"), ran("p:1"), "", true);
  const std::string member =
      R"(<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member")";
  const auto at = xml.find(member);
  ASSERT_NE(at, std::string::npos);
  xml.replace(at, member.size(),
              R"(<node_state id="2" uname="node2" in_ccm="false" crmd="offline" join="down")");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.executed,
            "  * Pseudo action:   c_pre_notify_stop_0\n"
            "  * Fencing node2 (reboot)\n"
            "  * Resource action: p:0             notify on node1\n"
            "  * Pseudo action:   p:1_post_notify_stonith_0\n"
            "  * Pseudo action:   c_confirmed-pre_notify_stop_0\n"
            "  * Pseudo action:   c_stop_0\n"
            "  * Pseudo action:   p:1_stop_0\n"
            "  * Pseudo action:   c_stopped_0\n"
            "  * Pseudo action:   c_post_notify_stopped_0\n"
            "  * Resource action: p:0             notify on node1\n"
            "  * Pseudo action:   p:1_confirmed-post_notify_stonith_0\n"
            "  * Pseudo action:   c_confirmed-post_notify_stopped_0\n");
}

TEST(PromotedColocation, ACloneOfGroupsSumsItsMembersPromotionScores) {
  // Only s1 has a promotion score (5, node1); the group instance there
  // takes it (s2's missing score adds nothing) and is promoted.
  auto stateful = [](const std::string& id) {
    return "<primitive id=\"" + id + "\" class=\"ocf\" provider=\"pacemaker\" type=\"Stateful\"/>";
  };
  auto ran = [](const std::string& id) {
    return "<lrm_resource id=\"" + id +
           "\" class=\"ocf\" provider=\"pacemaker\" type=\"Stateful\">" + op(id, "start", 1) +
           "</lrm_resource>";
  };
  std::string xml = make_cib(
      R"(<clone id="ms"><meta_attributes id="ms-m"><nvpair id="ms-m1" name="promotable" value="true"/>
         </meta_attributes><group id="g">)" +
          stateful("s1") + stateful("s2") + "</group></clone>",
      "", ran("s1:0") + ran("s2:0"), ran("s1:1") + ran("s2:1"),
      R"(<transient_attributes id="1"><instance_attributes id="ta1">
         <nvpair id="a1" name="master-s1" value="5"/></instance_attributes></transient_attributes>)");
  const std::string schema = "pacemaker-3.0";
  xml.replace(xml.find(schema), schema.size(), "pacemaker-3.7");
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary,
            "  * Promote    s1:0    ( Unpromoted -> Promoted node1 )\n"
            "  * Promote    s2:0    ( Unpromoted -> Promoted node1 )\n");
  EXPECT_EQ(s.executed,
            "  * Pseudo action:   ms_promote_0\n"
            "  * Pseudo action:   g:0_promote_0\n"
            "  * Resource action: s1:0            promote on node1\n"
            "  * Resource action: s2:0            promote on node1\n"
            "  * Pseudo action:   g:0_promoted_0\n"
            "  * Pseudo action:   ms_promoted_0\n");
}

TEST(AnonymousCloneFailCounts, EveryInstanceNumbersFailCountsAreSummed) {
  // node1 records one failure under p:0 and one under p:1: for an anonymous
  // clone they add up to 2, p's migration-threshold, so the clone leaves
  // node1.
  auto ran = [](const std::string& r) { return lrm(r, op(r, "start", 1)); };
  Scheduled s;
  schedule_cib(make_cib(R"(<clone id="c"><primitive id="p" class="ocf" provider="pacemaker"
                           type="Dummy"><meta_attributes id="pm"><nvpair id="pm1"
                           name="migration-threshold" value="2"/></meta_attributes>
                           </primitive></clone>)",
                        "", ran("p:0"), ran("p:1"),
                        R"(<transient_attributes id="1"><instance_attributes id="ta1">
                           <nvpair id="f0" name="fail-count-p:0" value="1"/>
                           <nvpair id="f1" name="fail-count-p:1" value="1"/>
                           </instance_attributes></transient_attributes>)"),
               s);
  EXPECT_EQ(s.summary, "  * Stop       p:0     ( node1 )  due to node availability\n");
  EXPECT_EQ(s.executed,
            "  * Pseudo action:   c_stop_0\n"
            "  * Resource action: p:0             stop on node1\n"
            "  * Pseudo action:   c_stopped_0\n");
}

TEST(AnonymousCloneProbes, AProbeStillInFlightIsIssuedAgain) {
  // node2's only record of p is a probe in flight (call-id -1): the clone
  // probes node2 again before its instance starts there.
  Scheduled s;
  schedule_cib(make_cib("<clone id=\"c\">" + prim("p") + "</clone>", "",
                        lrm("p", op("p", "start", 1)),
                        lrm("p", op("p", "monitor", -1, 0, 193, -1))),
               s);
  EXPECT_EQ(s.summary, "  * Start      p:1     ( node2 )\n");
  EXPECT_EQ(s.executed,
            "  * Resource action: p               monitor on node2\n"
            "  * Pseudo action:   c_start_0\n"
            "  * Resource action: p               start on node2\n"
            "  * Pseudo action:   c_running_0\n");
}

TEST(CloneColocation, AMandatoryColocationSkipsInstancesBlockedByAFailure) {
  // p:0 failed on node1 with on-fail=block: r, which must run with the
  // clone, no longer counts node1 and moves to node2.
  auto ran = [](const std::string& r, const std::string& extra = "") {
    return lrm(r, op(r, "start", 1) + extra);
  };
  Scheduled s;
  schedule_cib(
      make_cib(R"(<clone id="c"><primitive id="p" class="ocf" provider="pacemaker" type="Dummy">
                  <operations><op id="p-mon" name="monitor" interval="10s" on-fail="block"/>
                  </operations></primitive></clone>)" +
                   prim("r"),
               R"(<rsc_colocation id="c1" rsc="r" with-rsc="c" score="INFINITY"/>)",
               ran("p:0", op("p:0", "monitor", 2, 10000, 1)) + ran("r"),
               ran("p:1", op("p:1", "monitor", 2, 10000))),
      s);
  EXPECT_EQ(s.summary, "  * Move       r       ( node1 -> node2 )\n");
  EXPECT_EQ(s.executed,
            "  * Resource action: r               stop on node1\n"
            "  * Resource action: r               monitor on node2\n"
            "  * Resource action: r               start on node2\n");
}

TEST(AntiColocationSet, LaterMembersAvoidEarlierOnesAndScoresMergeAlongTheChain) {
  // A -INFINITY set (a b d c): each member is the dependent of every earlier
  // one. a runs on node1, b on node2 (now standby), c on node3; stickiness
  // 1000. Placing b takes in d's scores and, through d, c's (-1 x -1): c's
  // stickiness on node3 draws b there, and c, last, has nowhere to go.
  auto ran = [](const std::string& r) { return lrm(r, op(r, "start", 1)); };
  const std::string xml =
      R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
      validate-with="pacemaker-3.7" dc-uuid="1"><configuration><crm_config>
      <cluster_property_set id="opts"><nvpair id="opts1" name="stonith-enabled" value="false"/>
      </cluster_property_set></crm_config><nodes><node id="1" uname="node1"/>
      <node id="2" uname="node2"><instance_attributes id="n2a">
      <nvpair id="n2s" name="standby" value="on"/></instance_attributes></node>
      <node id="3" uname="node3"/></nodes><resources>)" +
      prim("a") + prim("b") + prim("d") + prim("c") + R"(</resources><constraints>
      <rsc_colocation id="only-one" score="-INFINITY"><resource_set id="s">
      <resource_ref id="a"/><resource_ref id="b"/><resource_ref id="d"/><resource_ref id="c"/>
      </resource_set></rsc_colocation></constraints><rsc_defaults><meta_attributes id="rd">
      <nvpair id="rd1" name="resource-stickiness" value="1000"/></meta_attributes></rsc_defaults>
      </configuration><status>
      <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>)" +
      ran("a") + R"(</lrm_resources></lrm></node_state>
      <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources>)" +
      ran("b") + R"(</lrm_resources></lrm></node_state>
      <node_state id="3" uname="node3" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="3"><lrm_resources>)" +
      ran("c") + "</lrm_resources></lrm></node_state></status></cib>";
  Scheduled s;
  schedule_cib(xml, s);
  EXPECT_EQ(s.summary,
            "  * Move       b       ( node2 -> node3 )\n"
            "  * Stop       c       (          node3 )  due to node availability\n");
  EXPECT_NE(s.executed.find("  * Resource action: b               start on node3\n"),
            std::string::npos)
      << s.executed;
}

}  // namespace
}  // namespace quorate::crm::sched
