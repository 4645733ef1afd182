// History checks: a recurring op the configuration dropped is cancelled
// (and a fail count cleared), a history of another agent deleted.
#include "crm/sched_history_checks.h"

#include <gtest/gtest.h>

#include <string>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"

namespace quorate::crm::sched {
namespace {

// rsc1 (ocf:pacemaker:Dummy) runs on node1 with a 10s monitor in its history
// but only `ops` configured; node2 has a probe of rsc1 recorded for
// `node2_type`; node1 has fail count `failcount` for rsc1.
std::string make_cib(const std::string& ops, const std::string& node2_type, int failcount) {
  std::string fc;
  if (failcount > 0)
    fc = R"(<transient_attributes id="1"><instance_attributes id="st1">
        <nvpair id="fc1" name="fail-count-rsc1#monitor_10000" value=")" +
         std::to_string(failcount) + R"("/></instance_attributes></transient_attributes>)";
  return R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
      validate-with="pacemaker-3.0" dc-uuid="1"><configuration><crm_config>
      <cluster_property_set id="opts"><nvpair id="opts1" name="stonith-enabled" value="false"/>
      </cluster_property_set></crm_config><nodes><node id="1" uname="node1"/>
      <node id="2" uname="node2"/></nodes><resources>
      <primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"><operations>)" +
         ops + R"(</operations></primitive></resources><constraints/></configuration><status>
      <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">)" +
         fc + R"(<lrm id="1"><lrm_resources>
        <lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="a" operation="start" call-id="2" rc-code="0" op-status="0" interval="0"
              transition-key="1:1:0:x"/>
          <lrm_rsc_op id="b" operation="monitor" call-id="3" rc-code="0" op-status="0"
              interval="10000" transition-key="2:1:0:x"/>
        </lrm_resource></lrm_resources></lrm></node_state>
      <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources>
        <lrm_resource id="rsc1" class="ocf" provider="pacemaker" type=")" +
         node2_type + R"(">
          <lrm_rsc_op id="c" operation="monitor" call-id="1" rc-code="7" op-status="0"
              interval="0" transition-key="1:1:7:x"/>
        </lrm_resource></lrm_resources></lrm></node_state></status></cib>)";
}

struct Unpacked {
  Cib cib;
  WorkingSet ws;
};

void unpack(const std::string& xml, Unpacked& u) {
  auto cib = parse_cib_xml(xml, "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  u.cib = *cib;
  auto ws = unpack_working_set(u.cib);
  ASSERT_TRUE(ws.ok());
  u.ws = *ws;
}

TEST(HistoryChecks, NothingWhenTheHistoryMatchesTheConfiguration) {
  Unpacked u;
  unpack(make_cib(R"(<op id="m" name="monitor" interval="10s"/>)", "Dummy", 0), u);
  EXPECT_TRUE(check_history(u.ws, u.ws.resources[0]).empty());
  EXPECT_EQ(render_transition_summary(schedule(u.ws)), "");
  EXPECT_EQ(render_executed(schedule(u.ws)), "");
}

TEST(HistoryChecks, DroppedOrDisabledMonitorIsCancelledAndItsFailCountCleared) {
  for (const char* ops : {"", R"(<op id="m" name="monitor" interval="10s" enabled="false"/>)"}) {
    Unpacked u;
    unpack(make_cib(ops, "Dummy", 1), u);
    const auto checks = check_history(u.ws, u.ws.resources[0]);
    ASSERT_EQ(checks.size(), 2U) << ops;
    EXPECT_EQ(checks[0], (HistoryAction{HistoryAction::Kind::kCancel, "node1", "monitor", 10000}));
    EXPECT_EQ(checks[1].kind, HistoryAction::Kind::kClearFailcount);
    EXPECT_EQ(render_executed(schedule(u.ws)),
              "  * Cluster action:  clear_failcount for rsc1 on node1\n"
              "  * Resource action: rsc1            cancel=10000 on node1\n");
  }
}

TEST(HistoryChecks, HistoryOfAnotherAgentIsDeletedAfterTheStop) {
  Unpacked u;
  unpack(make_cib(R"(<op id="m" name="monitor" interval="10s"/>)", "Stateful", 0), u);
  const auto checks = check_history(u.ws, u.ws.resources[0]);
  ASSERT_EQ(checks.size(), 1U);
  EXPECT_EQ(checks[0], (HistoryAction{HistoryAction::Kind::kDelete, "node2", "", 0}));
  EXPECT_EQ(render_executed(schedule(u.ws)),
            "  * Resource action: rsc1            delete on node2\n");
}

TEST(HistoryChecks, OrphanStopsAndItsHistoryIsDeleted) {
  // rsc1 is no longer configured but runs on node1 and was probed on node2:
  // it stops, then both histories go (in graph order: the newest first).
  std::string xml = make_cib(R"(<op id="m" name="monitor" interval="10s"/>)", "Dummy", 0);
  const auto from = xml.find("<primitive id=\"rsc1\"");
  const auto to = xml.find("</primitive>") + std::string("</primitive>").size();
  xml.erase(from, to - from);
  Unpacked u;
  unpack(xml, u);
  ASSERT_EQ(u.ws.resources.size(), 1U);
  ASSERT_TRUE(u.ws.resources[0].orphan);
  const Transition t = schedule(u.ws);
  EXPECT_EQ(render_transition_summary(t),
            "  * Stop       rsc1    ( node1 )  due to node availability\n");
  EXPECT_EQ(render_executed(t),
            "  * Resource action: rsc1            stop on node1\n"
            "  * Resource action: rsc1            delete on node2\n"
            "  * Resource action: rsc1            delete on node1\n");
}

}  // namespace
}  // namespace quorate::crm::sched
