// Promotable clones: which instances are promoted, the promote/demote
// actions and their clone-level pseudo actions, role monitors, notifications
// and the summary wording.
#include <gtest/gtest.h>

#include <string>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"
#include "crm/sched_place.h"

namespace quorate::crm::sched {
namespace {

// A two-node cluster with promotable clone `ms` of `db` (one promoted
// instance), its instances' history and node attributes supplied by each
// test. `meta` goes into the clone's meta attributes.
std::string cluster(const std::string& meta, const std::string& node1_attrs,
                    const std::string& node2_attrs, const std::string& history1,
                    const std::string& history2, const std::string& constraints = "") {
  return R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1" dc-uuid="1">
  <configuration>
    <crm_config><cluster_property_set id="o">
      <nvpair id="o1" name="stonith-enabled" value="false"/>
    </cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>
      <clone id="ms">
        <meta_attributes id="msm">
          <nvpair id="msm1" name="promotable" value="true"/>)" +
         meta + R"(
        </meta_attributes>
        <primitive id="db" class="ocf" provider="pacemaker" type="Stateful">
          <operations>
            <op id="db-mon-p" name="monitor" interval="10s" role="Promoted"/>
            <op id="db-mon-u" name="monitor" interval="11s" role="Unpromoted"/>
          </operations>
        </primitive>
      </clone>
    </resources>
    <constraints>)" +
         constraints + R"(</constraints>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="t1"><instance_attributes id="t1a">)" +
         node1_attrs + R"(</instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources>)" +
         history1 + R"(</lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="t2"><instance_attributes id="t2a">)" +
         node2_attrs + R"(</instance_attributes></transient_attributes>
      <lrm id="2"><lrm_resources>)" +
         history2 + R"(</lrm_resources></lrm>
    </node_state>
  </status>
</cib>)";
}

std::string score(const char* id, const char* name, int value) {
  return std::string("<nvpair id=\"") + id + "\" name=\"" + name + "\" value=\"" +
         std::to_string(value) + "\"/>";
}

// db running on the node: probed, started, and promoted when `promoted`.
std::string running(const char* node, bool promoted) {
  std::string ops =
      std::string(R"(<lrm_resource id="db" class="ocf" provider="pacemaker" type="Stateful">
      <lrm_rsc_op id="db-p-)") +
      node +
      R"(" operation="monitor" call-id="1" rc-code="7" op-status="0" interval="0" transition-key="1:1:7:x"/>
      <lrm_rsc_op id="db-s-)" +
      node +
      R"(" operation="start" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="2:1:0:x"/>)";
  if (promoted) {
    ops +=
        std::string(R"(<lrm_rsc_op id="db-pr-)") + node +
        R"(" operation="promote" call-id="3" rc-code="0" op-status="0" interval="0" transition-key="3:1:0:x"/>
      <lrm_rsc_op id="db-m10-)" +
        node +
        R"(" operation="monitor" call-id="4" rc-code="8" op-status="0" interval="10000" transition-key="4:1:8:x"/>)";
  } else {
    ops +=
        std::string(R"(<lrm_rsc_op id="db-m11-)") + node +
        R"(" operation="monitor" call-id="4" rc-code="0" op-status="0" interval="11000" transition-key="4:1:0:x"/>)";
  }
  return ops + "</lrm_resource>";
}

struct Result {
  Transition t;
  std::string summary;
  std::string executed;
};

Result run(const std::string& xml) {
  auto cib = parse_cib_xml(xml, "test.xml");
  EXPECT_TRUE(cib.ok()) << cib.error().message;
  auto ws = unpack_working_set(*cib);
  EXPECT_TRUE(ws.ok());
  Result r{schedule(*ws), "", ""};
  r.summary = render_transition_summary(r.t);
  r.executed = render_executed(r.t);
  return r;
}

TEST(Promotable, HighestPromotionScoreIsPromotedAtStartup) {
  // Promotion scores also weigh in placement: the first instance goes to
  // the node scoring highest, and is the one promoted.
  const Result r =
      run(cluster("", score("a1", "master-db", 5), score("a2", "master-db", 10), "", ""));
  EXPECT_EQ(r.summary,
            "  * Promote    db:0    ( Stopped -> Promoted node2 )\n"
            "  * Start      db:1    (                     node1 )\n");
  // The clone promotes after all instances run; each instance after its own
  // start; each role gets its monitor.
  const auto pos = [&r](const char* line) { return r.executed.find(line); };
  ASSERT_NE(pos("ms_running_0"), std::string::npos) << r.executed;
  EXPECT_LT(pos("ms_running_0"), pos("ms_promote_0"));
  EXPECT_LT(pos("db:0            start on node2"), pos("db:0            promote on node2"));
  EXPECT_LT(pos("db:0            promote on node2"), pos("ms_promoted_0"));
  EXPECT_LT(pos("db:0            promote on node2"), pos("db:0            monitor=10000 on node2"));
  EXPECT_NE(pos("db:1            monitor=11000 on node1"), std::string::npos) << r.executed;
  EXPECT_EQ(pos("db:1            monitor=10000"), std::string::npos) << r.executed;
  EXPECT_EQ(pos("db:0            monitor=11000"), std::string::npos) << r.executed;
}

TEST(Promotable, NoScoreNoPromotion) {
  const Result r = run(cluster("", "", "", "", ""));
  EXPECT_EQ(r.summary.find("Promote"), std::string::npos) << r.summary;
  EXPECT_EQ(r.executed.find("promote"), std::string::npos) << r.executed;
}

TEST(Promotable, PromotedRoleLocationAloneAllowsPromotion) {
  const Result r =
      run(cluster("", "", "", "", "",
                  R"(<rsc_location id="l" rsc="ms" role="Promoted" node="node1" score="50"/>)"));
  EXPECT_NE(r.summary.find("Promote    db:0    ( Stopped -> Promoted node1 )"), std::string::npos)
      << r.summary;
}

TEST(Promotable, ScoreMovesPromotionAndDemotesTheOldPromoted) {
  // db promoted on node1, unpromoted on node2; node2 now scores higher.
  const Result r = run(cluster("", score("a1", "master-db", 5), score("a2", "master-db", 100),
                               running("node1", true), running("node2", false)));
  EXPECT_NE(r.summary.find("* Demote     db:0    ( Promoted -> Unpromoted node1 )"),
            std::string::npos)
      << r.summary;
  EXPECT_NE(r.summary.find("* Promote    db:1    ( Unpromoted -> Promoted node2 )"),
            std::string::npos)
      << r.summary;
  const auto pos = [&r](const char* line) { return r.executed.find(line); };
  // Demotions complete before any promotion; the old role's monitors are
  // cancelled and the new role's started.
  ASSERT_NE(pos("ms_demoted_0"), std::string::npos) << r.executed;
  EXPECT_LT(pos("ms_demoted_0"), pos("ms_promote_0"));
  EXPECT_NE(pos("db              cancel=10000 on node1"), std::string::npos) << r.executed;
  EXPECT_NE(pos("db              cancel=11000 on node2"), std::string::npos) << r.executed;
  EXPECT_NE(pos("db              monitor=11000 on node1"), std::string::npos) << r.executed;
  EXPECT_NE(pos("db              monitor=10000 on node2"), std::string::npos) << r.executed;
}

TEST(Promotable, StablePromotedInstanceIsLeftAlone) {
  const Result r = run(cluster("", score("a1", "master-db", 10), score("a2", "master-db", 5),
                               running("node1", true), running("node2", false)));
  EXPECT_EQ(r.summary, "") << r.summary;
  EXPECT_EQ(r.executed, "") << r.executed;
}

TEST(Promotable, PromotedNodeMaxLimitsPromotionsPerNode) {
  const Result r =
      run(cluster(R"(<nvpair id="m2" name="clone-max" value="4"/>
          <nvpair id="m3" name="clone-node-max" value="2"/>
          <nvpair id="m4" name="promoted-max" value="2"/>
          <nvpair id="m5" name="globally-unique" value="true"/>)",
                  score("a1", "master-db:0", 10) + score("b1", "master-db:2", 10), "", "", ""));
  // Both high scorers land on node1, but only one may be promoted there.
  int promotes = 0;
  for (std::size_t at = r.summary.find("* Promote "); at != std::string::npos;
       at = r.summary.find("* Promote ", at + 1))
    ++promotes;
  EXPECT_EQ(promotes, 1) << r.summary;
}

TEST(Promotable, NotificationsWrapEachCloneAction) {
  const Result r =
      run(cluster(R"(<nvpair id="m6" name="notify" value="true"/>)", score("a1", "master-db", 5),
                  score("a2", "master-db", 10), running("node1", false), running("node2", false)));
  EXPECT_NE(r.summary.find("Promote    db:1"), std::string::npos) << r.summary;
  const auto pos = [&r](const char* line) { return r.executed.find(line); };
  const auto pre = pos("ms_pre_notify_promote_0");
  const auto confirmed_pre = pos("ms_confirmed-pre_notify_promote_0");
  const auto promote = pos("db              promote on node2");
  const auto post = pos("ms_post_notify_promoted_0");
  const auto confirmed_post = pos("ms_confirmed-post_notify_promoted_0");
  ASSERT_NE(pre, std::string::npos) << r.executed;
  EXPECT_LT(pre, confirmed_pre);
  EXPECT_LT(confirmed_pre, promote);
  EXPECT_LT(promote, post);
  EXPECT_LT(post, confirmed_post);
  // Both active instances are told before and after.
  const std::string between_pre = r.executed.substr(pre, confirmed_pre - pre);
  EXPECT_NE(between_pre.find("notify on node1"), std::string::npos) << between_pre;
  EXPECT_NE(between_pre.find("notify on node2"), std::string::npos) << between_pre;
  const std::string between_post = r.executed.substr(post, confirmed_post - post);
  EXPECT_NE(between_post.find("notify on node1"), std::string::npos) << between_post;
  EXPECT_NE(between_post.find("notify on node2"), std::string::npos) << between_post;
  // The promoted role's monitor waits for the post-notification.
  EXPECT_LT(confirmed_post, pos("db              monitor=10000 on node2"));
}

}  // namespace
}  // namespace quorate::crm::sched
