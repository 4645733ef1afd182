// Why resources stop when what they are ordered after cannot start: the
// reasons crm_simulate prints ("due to ..."), for chains of interleaved
// clones and for resources both ordered after and colocated with another;
// and how a clone of a disabled resource shows once stopped.
// Every expected summary is what the installed Pacemaker 2.1.5 prints for
// the same CIB.
#include <gtest/gtest.h>

#include <string>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"
#include "crm/sched_status.h"

namespace quorate::crm::sched {
namespace {

std::string summary_of(const std::string& xml) {
  auto cib = parse_cib_xml(xml, "t.xml");
  EXPECT_TRUE(cib.ok()) << cib.error().message;
  if (!cib.ok()) return "";
  auto ws = unpack_working_set(*cib);
  EXPECT_TRUE(ws.ok());
  if (!ws.ok()) return "";
  return render_transition_summary(schedule(*ws));
}

TEST(InterleavedChain, AClonesPartnerInhibitedEarlierKeepsThePartnerAsItsReason) {
  // a is disabled, b and c follow it (interleaved). Pacemaker visits c before the
  // chain's root, so c's instances are paired with b's before b's are inhibited.
  const std::string xml = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">
<configuration>
<crm_config>
<cluster_property_set id="o">
<nvpair id="o1" name="stonith-enabled" value="false"/>
</cluster_property_set>
</crm_config>
<nodes>
<node id="1" uname="node1"/>
<node id="2" uname="node2"/>
</nodes>
<resources>
<clone id="a-clone">
<primitive id="a" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="a-cm">
<nvpair id="a-il" name="interleave" value="true"/>
<nvpair id="x-tr" name="target-role" value="Stopped"/>
</meta_attributes>
</clone>
<clone id="b-clone">
<primitive id="b" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="b-cm">
<nvpair id="b-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<clone id="c-clone">
<primitive id="c" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="c-cm">
<nvpair id="c-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
</resources>
<constraints>
<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
</constraints>
</configuration>
<status>
<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="1">
<lrm_resources>
<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="2">
<lrm_resources>
<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
</status>
</cib>)";
  EXPECT_EQ(summary_of(xml),
            "  * Stop       a:0     ( node1 )  due to node availability\n"
            "  * Stop       a:1     ( node2 )  due to node availability\n"
            "  * Stop       b:0     ( node1 )\n"
            "  * Stop       b:1     ( node2 )\n"
            "  * Stop       c:0     ( node1 )  due to unrunnable b:0 start\n"
            "  * Stop       c:1     ( node2 )  due to unrunnable b:1 start\n");
}

TEST(InterleavedChain, AColocatedCloneIsInhibitedWithItsPartner) {
  // As above, with c colocated with b: b's blocked start updates c at once, after
  // b's inhibition, so c is inhibited too; d (not colocated) keeps c's instances.
  const std::string xml = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">
<configuration>
<crm_config>
<cluster_property_set id="o">
<nvpair id="o1" name="stonith-enabled" value="false"/>
</cluster_property_set>
</crm_config>
<nodes>
<node id="1" uname="node1"/>
<node id="2" uname="node2"/>
</nodes>
<resources>
<clone id="a-clone">
<primitive id="a" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="a-cm">
<nvpair id="a-il" name="interleave" value="true"/>
<nvpair id="x-tr" name="target-role" value="Stopped"/>
</meta_attributes>
</clone>
<clone id="b-clone">
<primitive id="b" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="b-cm">
<nvpair id="b-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<clone id="c-clone">
<primitive id="c" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="c-cm">
<nvpair id="c-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<clone id="d-clone">
<primitive id="d" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="d-cm">
<nvpair id="d-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
</resources>
<constraints>
<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
<rsc_colocation id="c-c-clone-b-clone" rsc="c-clone" with-rsc="b-clone" score="INFINITY"/>
<rsc_order id="o-c-clone-d-clone" first="c-clone" first-action="start" then="d-clone" then-action="start"/>
</constraints>
</configuration>
<status>
<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="1">
<lrm_resources>
<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="d-s" operation_key="d_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="2">
<lrm_resources>
<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="d-s" operation_key="d_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
</status>
</cib>)";
  EXPECT_EQ(summary_of(xml),
            "  * Stop       a:0     ( node1 )  due to node availability\n"
            "  * Stop       a:1     ( node2 )  due to node availability\n"
            "  * Stop       b:0     ( node1 )\n"
            "  * Stop       b:1     ( node2 )\n"
            "  * Stop       c:0     ( node1 )\n"
            "  * Stop       c:1     ( node2 )\n"
            "  * Stop       d:0     ( node1 )  due to unrunnable c:0 start\n"
            "  * Stop       d:1     ( node2 )  due to unrunnable c:1 start\n");
}

TEST(InterleavedChain, AnUninhibitedPartnerPassesUnrunnableOn) {
  // d must run with c, but c's instances are not inhibited (only blocked): d stops
  // for its partner's unrunnable start.
  const std::string xml = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">
<configuration>
<crm_config>
<cluster_property_set id="o">
<nvpair id="o1" name="stonith-enabled" value="false"/>
</cluster_property_set>
</crm_config>
<nodes>
<node id="1" uname="node1"/>
<node id="2" uname="node2"/>
</nodes>
<resources>
<clone id="a-clone">
<primitive id="a" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="a-cm">
<nvpair id="a-il" name="interleave" value="true"/>
<nvpair id="x-tr" name="target-role" value="Stopped"/>
</meta_attributes>
</clone>
<clone id="b-clone">
<primitive id="b" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="b-cm">
<nvpair id="b-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<clone id="c-clone">
<primitive id="c" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="c-cm">
<nvpair id="c-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<clone id="d-clone">
<primitive id="d" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="d-cm">
<nvpair id="d-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
</resources>
<constraints>
<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
<rsc_order id="o-c-clone-d-clone" first="c-clone" first-action="start" then="d-clone" then-action="start"/>
<rsc_colocation id="c-d-clone-c-clone" rsc="d-clone" with-rsc="c-clone" score="INFINITY"/>
</constraints>
</configuration>
<status>
<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="1">
<lrm_resources>
<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="d-s" operation_key="d_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="2">
<lrm_resources>
<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="d-s" operation_key="d_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
</status>
</cib>)";
  EXPECT_EQ(summary_of(xml),
            "  * Stop       a:0     ( node1 )  due to node availability\n"
            "  * Stop       a:1     ( node2 )  due to node availability\n"
            "  * Stop       b:0     ( node1 )\n"
            "  * Stop       b:1     ( node2 )\n"
            "  * Stop       c:0     ( node1 )  due to unrunnable b:0 start\n"
            "  * Stop       c:1     ( node2 )  due to unrunnable b:1 start\n"
            "  * Stop       d:0     ( node1 )  due to unrunnable c:0 start\n"
            "  * Stop       d:1     ( node2 )  due to unrunnable c:1 start\n");
}

TEST(InterleavedChain, ALaterOrderAfterTheRootInhibitsTheWholeChain) {
  // e, after a in the configuration and ordered after it, is visited first: the
  // inhibition then runs down b and c before c is paired.
  const std::string xml = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">
<configuration>
<crm_config>
<cluster_property_set id="o">
<nvpair id="o1" name="stonith-enabled" value="false"/>
</cluster_property_set>
</crm_config>
<nodes>
<node id="1" uname="node1"/>
<node id="2" uname="node2"/>
</nodes>
<resources>
<clone id="a-clone">
<primitive id="a" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="a-cm">
<nvpair id="a-il" name="interleave" value="true"/>
<nvpair id="x-tr" name="target-role" value="Stopped"/>
</meta_attributes>
</clone>
<clone id="b-clone">
<primitive id="b" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="b-cm">
<nvpair id="b-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<clone id="c-clone">
<primitive id="c" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="c-cm">
<nvpair id="c-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<primitive id="e" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
</resources>
<constraints>
<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
<rsc_order id="o-a-clone-e" first="a-clone" first-action="start" then="e" then-action="start"/>
</constraints>
</configuration>
<status>
<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="1">
<lrm_resources>
<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="e" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="e-s" operation_key="e_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="2">
<lrm_resources>
<lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
</status>
</cib>)";
  EXPECT_EQ(summary_of(xml),
            "  * Stop       a:0     ( node1 )  due to node availability\n"
            "  * Stop       a:1     ( node2 )  due to node availability\n"
            "  * Stop       b:0     ( node1 )\n"
            "  * Stop       b:1     ( node2 )\n"
            "  * Stop       c:0     ( node1 )\n"
            "  * Stop       c:1     ( node2 )\n"
            "  * Stop       e       ( node1 )  due to unrunnable a-clone running\n");
}

TEST(InterleavedChain, APrimitiveRootMakesEachPartnersStartRequired) {
  // p stops because k is disabled; b follows p, c follows b (interleaved): c's
  // instances stop for their partners' required starts.
  const std::string xml = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">
<configuration>
<crm_config>
<cluster_property_set id="o">
<nvpair id="o1" name="stonith-enabled" value="false"/>
</cluster_property_set>
</crm_config>
<nodes>
<node id="1" uname="node1"/>
<node id="2" uname="node2"/>
</nodes>
<resources>
<clone id="k-clone">
<primitive id="k" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="k-cm">
<nvpair id="k-il" name="interleave" value="true"/>
<nvpair id="x-tr" name="target-role" value="Stopped"/>
</meta_attributes>
</clone>
<primitive id="p" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<clone id="b-clone">
<primitive id="b" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="b-cm">
<nvpair id="b-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<clone id="c-clone">
<primitive id="c" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="c-cm">
<nvpair id="c-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
</resources>
<constraints>
<rsc_order id="o-k-clone-p" first="k-clone" first-action="start" then="p" then-action="start"/>
<rsc_order id="o-p-b-clone" first="p" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
</constraints>
</configuration>
<status>
<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="1">
<lrm_resources>
<lrm_resource id="k" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="k-s" operation_key="k_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="p" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="p-s" operation_key="p_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="2">
<lrm_resources>
<lrm_resource id="k" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="k-s" operation_key="k_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
</status>
</cib>)";
  EXPECT_EQ(summary_of(xml),
            "  * Stop       k:0     ( node1 )  due to node availability\n"
            "  * Stop       k:1     ( node2 )  due to node availability\n"
            "  * Stop       p       ( node1 )  due to unrunnable k-clone running\n"
            "  * Stop       b:0     ( node1 )  due to required p start\n"
            "  * Stop       b:1     ( node2 )  due to required p start\n"
            "  * Stop       c:0     ( node1 )  due to required b:0 start\n"
            "  * Stop       c:1     ( node2 )  due to required b:1 start\n");
}

TEST(StopReason, ColocationComesFirstUnlessThePrimaryFollowsAClone) {
  // p2 follows and runs with p1, which follows a clone: the order wins. p3 follows
  // and runs with p2, which follows a primitive; e runs with a clone: the
  // colocation wins.
  const std::string xml = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">
<configuration>
<crm_config>
<cluster_property_set id="o">
<nvpair id="o1" name="stonith-enabled" value="false"/>
</cluster_property_set>
</crm_config>
<nodes>
<node id="1" uname="node1"/>
<node id="2" uname="node2"/>
</nodes>
<resources>
<clone id="k-clone">
<primitive id="k" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="k-cm">
<nvpair id="k-il" name="interleave" value="true"/>
<nvpair id="x-tr" name="target-role" value="Stopped"/>
</meta_attributes>
</clone>
<primitive id="p1" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<primitive id="p2" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<primitive id="p3" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<clone id="d-clone">
<primitive id="d" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
<meta_attributes id="d-cm">
<nvpair id="d-il" name="interleave" value="true"/>
</meta_attributes>
</clone>
<primitive id="e" class="ocf" provider="pacemaker" type="Dummy">
</primitive>
</resources>
<constraints>
<rsc_order id="o-k-clone-p1" first="k-clone" first-action="start" then="p1" then-action="start"/>
<rsc_order id="o-p1-p2" first="p1" first-action="start" then="p2" then-action="start"/>
<rsc_colocation id="c-p2-p1" rsc="p2" with-rsc="p1" score="INFINITY"/>
<rsc_order id="o-p2-p3" first="p2" first-action="start" then="p3" then-action="start"/>
<rsc_colocation id="c-p3-p2" rsc="p3" with-rsc="p2" score="INFINITY"/>
<rsc_order id="o-p1-d-clone" first="p1" first-action="start" then="d-clone" then-action="start"/>
<rsc_order id="o-d-clone-e" first="d-clone" first-action="start" then="e" then-action="start"/>
<rsc_colocation id="c-e-d-clone" rsc="e" with-rsc="d-clone" score="INFINITY"/>
</constraints>
</configuration>
<status>
<node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="1">
<lrm_resources>
<lrm_resource id="k" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="k-s" operation_key="k_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="p1" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="p1-s" operation_key="p1_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="p2" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="p2-s" operation_key="p2_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="p3" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="p3-s" operation_key="p3_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="d-s" operation_key="d_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="e" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="e-s" operation_key="e_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
<node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
<lrm id="2">
<lrm_resources>
<lrm_resource id="k" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="k-s" operation_key="k_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
<lrm_resource id="d" class="ocf" provider="pacemaker" type="Dummy">
<lrm_rsc_op id="d-s" operation_key="d_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/>
</lrm_resource>
</lrm_resources>
</lrm>
</node_state>
</status>
</cib>)";
  EXPECT_EQ(summary_of(xml),
            "  * Stop       k:0     ( node1 )  due to node availability\n"
            "  * Stop       k:1     ( node2 )  due to node availability\n"
            "  * Stop       p1      ( node1 )  due to unrunnable k-clone running\n"
            "  * Stop       p2      ( node1 )  due to required p1 start\n"
            "  * Stop       p3      ( node1 )  due to colocation with p2\n"
            "  * Stop       d:0     ( node1 )  due to required p1 start\n"
            "  * Stop       d:1     ( node2 )  due to required p1 start\n"
            "  * Stop       e       ( node1 )  due to colocation with d-clone\n");
}

TEST(CloneStatus, ACloneOfADisabledResourceIsStoppedDisabled) {
  // target-role=Stopped on the cloned primitive (c) or on the clone (c2): both
  // list their nodes as "Stopped (disabled)"; only c2's own line says
  // "(disabled)" (CIB_file=... crm_mon -1 -r prints the same).
  const std::string xml = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" validate-with="pacemaker-3.7" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources>
      <clone id="c"><primitive id="r" class="ocf" provider="pacemaker" type="Dummy">
        <meta_attributes id="rm"><nvpair id="rm1" name="target-role" value="Stopped"/></meta_attributes>
      </primitive></clone>
      <clone id="c2"><primitive id="r2" class="ocf" provider="pacemaker" type="Dummy"/>
        <meta_attributes id="c2m"><nvpair id="c2m1" name="target-role" value="Stopped"/></meta_attributes>
      </clone>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"/>
    <node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"/>
  </status>
</cib>)";
  auto cib = parse_cib_xml(xml, "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  auto ws = unpack_working_set(*cib);
  ASSERT_TRUE(ws.ok());
  const std::string text = render_status_text(*ws);
  EXPECT_NE(text.find("    * Clone Set: c [r]:\n      * Stopped (disabled): [ n1 n2 ]\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("    * Clone Set: c2 [r2] (disabled):\n      * Stopped (disabled): [ n1 n2 ]\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace quorate::crm::sched
