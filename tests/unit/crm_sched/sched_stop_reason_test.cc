// Why resources stop when what they are ordered after cannot start: the
// reasons crm_simulate prints ("due to ..."), for chains of interleaved
// clones and for resources both ordered after and colocated with another;
// and how a clone of a disabled resource shows once stopped.
// Every expected summary is what the installed Pacemaker 2.1.5 prints for
// the same CIB.
#include <gtest/gtest.h>

#include <string>
#include <vector>

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

// A two-node CIB without fencing in a steady state: every clone (anonymous,
// interleaved, "ID-clone" of the ocf:pacemaker:Dummy primitive "ID") runs on
// both nodes, every primitive on node1. `spec` names the resources in order:
// "+ID" a clone, "ID" a primitive, a trailing "!" target-role=Stopped.
// `constraints` is the content of <constraints>.
std::string steady_cib(const std::vector<std::string>& spec, const std::string& constraints) {
  std::string resources;
  std::string lrm[2];
  for (std::string id : spec) {
    const bool clone = id.front() == '+';
    const bool disabled = id.back() == '!';
    if (clone) id.erase(0, 1);
    if (disabled) id.pop_back();
    const std::string primitive =
        "<primitive id=\"" + id + "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">\n</primitive>\n";
    const std::string stopped = disabled ? "<nvpair id=\"x-tr\" name=\"target-role\" value=\"Stopped\"/>\n" : "";
    if (clone) {
      resources += "<clone id=\"" + id + "-clone\">\n" + primitive + "<meta_attributes id=\"" + id + "-cm\">\n" +
                   "<nvpair id=\"" + id + "-il\" name=\"interleave\" value=\"true\"/>\n" + stopped +
                   "</meta_attributes>\n</clone>\n";
    } else {
      resources += disabled ? "<primitive id=\"" + id +
                                  "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">\n<meta_attributes id=\"" + id +
                                  "-m\">\n" + stopped + "</meta_attributes>\n</primitive>\n"
                            : primitive;
    }
    const std::string entry = "<lrm_resource id=\"" + id +
                              "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\">\n<lrm_rsc_op id=\"" + id +
                              "-s\" operation_key=\"" + id +
                              "_start_0\" operation=\"start\" call-id=\"1\" rc-code=\"0\" op-status=\"0\" interval=\"0\" "
                              "transition-key=\"1:1:0:x\" transition-magic=\"0:0;1:1:0:x\" crm_feature_set=\"3.1.0\" "
                              "op-digest=\"f2317cad3d54cec5d7d7aa7d0bf35cf8\"/>\n</lrm_resource>\n";
    lrm[0] += entry;
    if (clone) lrm[1] += entry;
  }
  std::string status;
  for (int n = 1; n <= 2; ++n) {
    status += "<node_state id=\"" + std::to_string(n) + "\" uname=\"node" + std::to_string(n) +
              "\" in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\">\n<lrm id=\"" +
              std::to_string(n) + "\">\n<lrm_resources>\n" + lrm[n - 1] + "</lrm_resources>\n</lrm>\n</node_state>\n";
  }
  return "<cib admin_epoch=\"0\" epoch=\"1\" num_updates=\"1\" have-quorum=\"1\" validate-with=\"pacemaker-3.7\" "
         "dc-uuid=\"1\">\n<configuration>\n<crm_config>\n<cluster_property_set id=\"o\">\n"
         "<nvpair id=\"o1\" name=\"stonith-enabled\" value=\"false\"/>\n</cluster_property_set>\n</crm_config>\n"
         "<nodes>\n<node id=\"1\" uname=\"node1\"/>\n<node id=\"2\" uname=\"node2\"/>\n</nodes>\n<resources>\n" +
         resources + "</resources>\n<constraints>\n" + constraints + "</constraints>\n</configuration>\n<status>\n" +
         status + "</status>\n</cib>";
}

TEST(InterleavedChain, AClonesPartnerInhibitedEarlierKeepsThePartnerAsItsReason) {
  // a is disabled, b and c follow it (interleaved). Pacemaker visits c before the
  // chain's root, so c's instances are paired with b's before b's are inhibited.
  const std::string xml = steady_cib({"+a!", "+b", "+c"}, R"(<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
)");
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
  const std::string xml = steady_cib({"+a!", "+b", "+c", "+d"}, R"(<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
<rsc_colocation id="c-c-clone-b-clone" rsc="c-clone" with-rsc="b-clone" score="INFINITY"/>
<rsc_order id="o-c-clone-d-clone" first="c-clone" first-action="start" then="d-clone" then-action="start"/>
)");
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
  const std::string xml = steady_cib({"+a!", "+b", "+c", "+d"}, R"(<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
<rsc_order id="o-c-clone-d-clone" first="c-clone" first-action="start" then="d-clone" then-action="start"/>
<rsc_colocation id="c-d-clone-c-clone" rsc="d-clone" with-rsc="c-clone" score="INFINITY"/>
)");
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
  const std::string xml = steady_cib({"+a!", "+b", "+c", "e"}, R"(<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
<rsc_order id="o-a-clone-e" first="a-clone" first-action="start" then="e" then-action="start"/>
)");
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
  const std::string xml = steady_cib({"+k!", "p", "+b", "+c"}, R"(<rsc_order id="o-k-clone-p" first="k-clone" first-action="start" then="p" then-action="start"/>
<rsc_order id="o-p-b-clone" first="p" first-action="start" then="b-clone" then-action="start"/>
<rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>
)");
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
  const std::string xml = steady_cib({"+k!", "p1", "p2", "p3", "+d", "e"}, R"(<rsc_order id="o-k-clone-p1" first="k-clone" first-action="start" then="p1" then-action="start"/>
<rsc_order id="o-p1-p2" first="p1" first-action="start" then="p2" then-action="start"/>
<rsc_colocation id="c-p2-p1" rsc="p2" with-rsc="p1" score="INFINITY"/>
<rsc_order id="o-p2-p3" first="p2" first-action="start" then="p3" then-action="start"/>
<rsc_colocation id="c-p3-p2" rsc="p3" with-rsc="p2" score="INFINITY"/>
<rsc_order id="o-p1-d-clone" first="p1" first-action="start" then="d-clone" then-action="start"/>
<rsc_order id="o-d-clone-e" first="d-clone" first-action="start" then="e" then-action="start"/>
<rsc_colocation id="c-e-d-clone" rsc="e" with-rsc="d-clone" score="INFINITY"/>
)");
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
