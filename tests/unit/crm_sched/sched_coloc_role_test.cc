// Colocations that name roles: a resource placed with a promotable clone's
// promoted instance, a promotable clone promoted where its primary runs, and
// the orderings of an anti-colocation between roles.
#include <gtest/gtest.h>

#include <string>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"
#include "crm/sched_place.h"

namespace quorate::crm::sched {
namespace {

// node1 and node2 online; promotable clone ms of st (unpromoted on both,
// promotion score 10 on node1 and 5 on node2); primitive ip, stopped, that
// prefers node2 by 50; plus `extra_rscs` and `constraints`. With
// `promoted_on_node1` the instance there is promoted now.
std::string make_cib(const std::string& constraints, const std::string& extra_rscs = "",
                     bool promoted_on_node1 = false) {
  std::string x = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
      validate-with="pacemaker-3.0" dc-uuid="1"><configuration><crm_config>
      <cluster_property_set id="opts"><nvpair id="opts1" name="stonith-enabled" value="false"/>
      </cluster_property_set></crm_config><nodes><node id="1" uname="node1"/>
      <node id="2" uname="node2"/></nodes><resources>
      <clone id="ms"><meta_attributes id="ms-m"><nvpair id="ms-p" name="promotable" value="true"/>
      </meta_attributes><primitive id="st" class="ocf" provider="pacemaker" type="Stateful"/></clone>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2"/>)" +
                  extra_rscs + R"(</resources><constraints>
      <rsc_location id="ip-pref" rsc="ip" node="node2" score="50"/>)" +
                  constraints + "</constraints></configuration><status>";
  for (const char* n : {"1", "2"}) {
    const std::string id = n;
    const std::string inst = id == "1" ? "st:0" : "st:1";
    x += "<node_state id=\"" + id + "\" uname=\"node" + id +
         "\" in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\">"
         "<transient_attributes id=\"" +
         id + "\"><instance_attributes id=\"ta" + id + "\"><nvpair id=\"ms" + id +
         "\" name=\"master-st\" value=\"" + (id == "1" ? "10" : "5") +
         "\"/></instance_attributes></transient_attributes><lrm id=\"" + id +
         "\"><lrm_resources><lrm_resource id=\"" + inst +
         "\" class=\"ocf\" provider=\"pacemaker\" type=\"Stateful\"><lrm_rsc_op id=\"s" + id +
         "\" operation=\"start\" call-id=\"2\" rc-code=\"0\" op-status=\"0\" interval=\"0\" "
         "transition-key=\"1:1:0:x\"/>" +
         (promoted_on_node1 && id == "1"
              ? "<lrm_rsc_op id=\"pr1\" operation=\"promote\" call-id=\"3\" rc-code=\"0\" "
                "op-status=\"0\" interval=\"0\" transition-key=\"2:1:0:x\"/>"
              : "") +
         "</lrm_resource><lrm_resource id=\"ip\" class=\"ocf\" "
         "provider=\"heartbeat\" type=\"IPaddr2\"><lrm_rsc_op id=\"p" +
         id +
         "\" operation=\"monitor\" call-id=\"1\" rc-code=\"7\" op-status=\"0\" interval=\"0\" "
         "transition-key=\"1:1:7:x\"/></lrm_resource></lrm_resources></lrm></node_state>";
  }
  return x + "</status></cib>";
}

struct Scheduled {
  Cib cib;
  Transition t;
};

void run(const std::string& constraints, Scheduled& out, const std::string& extra_rscs = "",
         bool promoted_on_node1 = false) {
  auto cib = parse_cib_xml(make_cib(constraints, extra_rscs, promoted_on_node1), "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  out.cib = *cib;
  auto ws = unpack_working_set(out.cib);
  ASSERT_TRUE(ws.ok());
  out.t = schedule(*ws);
}

std::string promoted_node(const Placement& p) {
  for (const char* id : {"st:0", "st:1"}) {
    const PrimitivePlacement* pp = p.find(id);
    if (pp != nullptr && pp->next_role == Role::kPromoted) return pp->node;
  }
  return "";
}

TEST(ColocationRoles, WithoutRolesTheHighestScorePromotesAndIpGoesWhereItPrefers) {
  Scheduled r;
  run("", r);
  EXPECT_EQ(promoted_node(r.t.placement), "node1");
  EXPECT_EQ(r.t.placement.find("ip")->node, "node2");
}

TEST(ColocationRoles, DependentFollowsThePromotedInstance) {
  // ip's preference for node2 (50) weighs on the promotion too (taken in
  // by the clone's allocation and again for the promoted role: 5 + 50 + 50
  // against 10), so node2 is promoted and ip follows it there, as Pacemaker
  // 2.1.5's crm_simulate does with this CIB.
  Scheduled r;
  run(R"(<rsc_colocation id="c" rsc="ip" with-rsc="ms" with-rsc-role="Promoted" score="INFINITY"/>)",
      r);
  EXPECT_EQ(promoted_node(r.t.placement), "node2");
  EXPECT_EQ(r.t.placement.find("ip")->node, "node2");
}

TEST(ColocationRoles, PromotedRoleFollowsItsPrimary) {
  // The primary runs on node2: the instance there is promoted instead.
  Scheduled r;
  run(R"(<rsc_colocation id="c" rsc="ms" rsc-role="Promoted" with-rsc="ip" score="INFINITY"/>)", r);
  EXPECT_EQ(r.t.placement.find("ip")->node, "node2");
  EXPECT_EQ(promoted_node(r.t.placement), "node2");
  // Both instances keep running: the colocation of the role does not move them.
  EXPECT_EQ(r.t.placement.find("st:0")->node, "node1");
  EXPECT_EQ(r.t.placement.find("st:1")->node, "node2");
}

TEST(ColocationRoles, PromotionBlockedWithAPrimaryAnOrderHoldsBack) {
  // ip cannot start (its first, gate, is disabled), so no instance may be
  // promoted with it.
  Scheduled r;
  run(R"(<rsc_colocation id="c" rsc="ms" rsc-role="Promoted" with-rsc="ip" score="INFINITY"/>
         <rsc_order id="o" first="gate" then="ip"/>)",
      r,
      R"(<primitive id="gate" class="ocf" provider="heartbeat" type="Dummy">
         <meta_attributes id="g-m"><nvpair id="g-t" name="target-role" value="Stopped"/>
         </meta_attributes></primitive>)");
  EXPECT_EQ(render_transition_summary(r.t).find("Promote"), std::string::npos)
      << render_transition_summary(r.t);
  EXPECT_EQ(render_executed(r.t).find(" promote on "), std::string::npos) << render_executed(r.t);
}

TEST(ColocationRoles, AntiColocationOfRolesOrdersDemoteBeforeStart) {
  // ip, pinned to node1, must not run with the promoted instance, promoted
  // on node1 now; the role moves to node2 (a location for the role), and ip
  // starts only once the instance on node1 is demoted.
  Scheduled r;
  run(R"(<rsc_colocation id="c" rsc="ip" with-rsc="ms" with-rsc-role="Promoted" score="-INFINITY"/>
         <rsc_location id="pin" rsc="ip" node="node1" score="INFINITY"/>
         <rsc_location id="role" rsc="ms" role="Promoted" node="node2" score="100"/>)",
      r, "", true);
  EXPECT_EQ(r.t.placement.find("ip")->node, "node1");
  EXPECT_EQ(promoted_node(r.t.placement), "node2");
  const std::string executed = render_executed(r.t);
  const auto demoted = executed.find("Pseudo action:   ms_demoted_0");
  const auto start = executed.find("ip              start on node1");
  ASSERT_NE(demoted, std::string::npos) << executed;
  ASSERT_NE(start, std::string::npos) << executed;
  EXPECT_LT(demoted, start) << executed;
}

}  // namespace
}  // namespace quorate::crm::sched
