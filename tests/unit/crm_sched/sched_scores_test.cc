// Allocation and promotion scores as crm_simulate -s prints them (every
// expected list is the installed Pacemaker 2.1.5's for the same CIB).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crm/sched_scores.h"
#include "tests/unit/crm_sched/test_cib.h"

namespace quorate::crm::sched {
namespace {

// rsc1's stop failed on node2 (on-fail=block: it stays there, blocked);
// rsc2 stopped cleanly there.
const std::string kFailedStop = cib_text({
    .nodes = {"node1", "node2"},
    .resources = R"(<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"><operations><op id="rsc1-stop" name="stop" interval="0" on-fail="block"/></operations></primitive><primitive id="rsc2" class="ocf" provider="pacemaker" type="Dummy"/>)",
    .status = {{"node2", R"(<lrm id="2"><lrm_resources><lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_stop_0" operation="stop" call-id="2" rc-code="1" op-status="4" interval="0" transition-key="1:1:0:x" transition-magic="4:1;1:1:0:x"/></lrm_resource><lrm_resource id="rsc2" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="rsc2_last_0" operation_key="rsc2_stop_0" operation="stop" call-id="3" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>)"}},
});

TEST(Scores, AFailedStopBansTheNodeWhateverItsOnFail) {
  const auto lines = score_lines_xml(kFailedStop, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__primitive_assign: rsc1 allocation score on node1: 0",
                        "pcmk__primitive_assign: rsc1 allocation score on node2: -INFINITY",
                        "pcmk__primitive_assign: rsc2 allocation score on node1: 0",
                        "pcmk__primitive_assign: rsc2 allocation score on node2: 0",
                    }));
}

// Promotable r: r:0 promoted on n1 (master-r=10 there); a probe on n2 found
// r stopped (that history is r:1's); n3 and n4 have none. Promotion may not
// go to n2 (-INFINITY location for the Promoted role).
const std::string kPromotable = cib_text({
    .nodes = {"n1", "n2", "n3", "n4"},
    .resources = R"(<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="promotable" value="true"/></meta_attributes><primitive id="r" class="ocf" provider="pacemaker" type="Stateful"/></clone>)",
    .constraints = R"(<rsc_location id="nopromo" rsc="c" node="n2" score="-INFINITY" role="Promoted"/>)",
    .status = {{"n1", R"(<transient_attributes id="1"><instance_attributes id="s1"><nvpair id="s1m" name="master-r" value="10"/></instance_attributes></transient_attributes><lrm id="1"><lrm_resources><lrm_resource id="r" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="r_last_0" operation_key="r_promote_0" operation="promote" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>)"},
               {"n2", R"(<lrm id="2"><lrm_resources><lrm_resource id="r" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="r_last_0" operation_key="r_monitor_0" operation="monitor" call-id="1" rc-code="7" op-status="0" interval="0" transition-key="1:1:7:x" transition-magic="0:7;1:1:7:x"/></lrm_resource></lrm_resources></lrm>)"}},
});

TEST(Scores, PromotionScoresAreInTheInstancesScoresAndTheyAreAssignedInOrder) {
  // r:2 and r:3 get n1's promotion score (r:1's state is known only on n2,
  // so it does not count for r:1): they are assigned before r:1, which finds
  // n2 and n3 taken. A promotion score of -INFINITY prints as such.
  const auto lines = score_lines_xml(kPromotable, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
      "pcmk__clone_allocate: c allocation score on n1: 0",
      "pcmk__clone_allocate: c allocation score on n2: 0",
      "pcmk__clone_allocate: c allocation score on n3: 0",
      "pcmk__clone_allocate: c allocation score on n4: 0",
      "pcmk__clone_allocate: r:0 allocation score on n1: 11",
      "pcmk__clone_allocate: r:0 allocation score on n2: 0",
      "pcmk__clone_allocate: r:0 allocation score on n3: 0",
      "pcmk__clone_allocate: r:0 allocation score on n4: 0",
      "pcmk__clone_allocate: r:1 allocation score on n1: 0",
      "pcmk__clone_allocate: r:1 allocation score on n2: 0",
      "pcmk__clone_allocate: r:1 allocation score on n3: 0",
      "pcmk__clone_allocate: r:1 allocation score on n4: 0",
      "pcmk__clone_allocate: r:2 allocation score on n1: 10",
      "pcmk__clone_allocate: r:2 allocation score on n2: 0",
      "pcmk__clone_allocate: r:2 allocation score on n3: 0",
      "pcmk__clone_allocate: r:2 allocation score on n4: 0",
      "pcmk__clone_allocate: r:3 allocation score on n1: 10",
      "pcmk__clone_allocate: r:3 allocation score on n2: 0",
      "pcmk__clone_allocate: r:3 allocation score on n3: 0",
      "pcmk__clone_allocate: r:3 allocation score on n4: 0",
      "pcmk__primitive_assign: r:0 allocation score on n1: 11",
      "pcmk__primitive_assign: r:0 allocation score on n2: 0",
      "pcmk__primitive_assign: r:0 allocation score on n3: 0",
      "pcmk__primitive_assign: r:0 allocation score on n4: 0",
      "pcmk__primitive_assign: r:1 allocation score on n1: -INFINITY",
      "pcmk__primitive_assign: r:1 allocation score on n2: -INFINITY",
      "pcmk__primitive_assign: r:1 allocation score on n3: -INFINITY",
      "pcmk__primitive_assign: r:1 allocation score on n4: 0",
      "pcmk__primitive_assign: r:2 allocation score on n1: -INFINITY",
      "pcmk__primitive_assign: r:2 allocation score on n2: 0",
      "pcmk__primitive_assign: r:2 allocation score on n3: 0",
      "pcmk__primitive_assign: r:2 allocation score on n4: 0",
      "pcmk__primitive_assign: r:3 allocation score on n1: -INFINITY",
      "pcmk__primitive_assign: r:3 allocation score on n2: -INFINITY",
      "pcmk__primitive_assign: r:3 allocation score on n3: 0",
      "pcmk__primitive_assign: r:3 allocation score on n4: 0",
      "r:0 promotion score on n1: 10",
      "r:1 promotion score on n4: -1",
      "r:2 promotion score on n2: -INFINITY",
      "r:3 promotion score on n3: -1",
                    }));
}

// a-clone (target-role=Stopped) then b-clone then c-clone, interleaved, all
// running on node1 and node2.
const std::string kDisabledClone = cib_text({
    .nodes = {"node1", "node2"},
    .resources = R"(<clone id="a-clone"><primitive id="a" class="ocf" provider="pacemaker" type="Dummy"></primitive><meta_attributes id="a-cm"><nvpair id="a-il" name="interleave" value="true"/><nvpair id="x-tr" name="target-role" value="Stopped"/></meta_attributes></clone><clone id="b-clone"><primitive id="b" class="ocf" provider="pacemaker" type="Dummy"></primitive><meta_attributes id="b-cm"><nvpair id="b-il" name="interleave" value="true"/></meta_attributes></clone><clone id="c-clone"><primitive id="c" class="ocf" provider="pacemaker" type="Dummy"></primitive><meta_attributes id="c-cm"><nvpair id="c-il" name="interleave" value="true"/></meta_attributes></clone>)",
    .constraints = R"(<rsc_order id="o-a-clone-b-clone" first="a-clone" first-action="start" then="b-clone" then-action="start"/><rsc_order id="o-b-clone-c-clone" first="b-clone" first-action="start" then="c-clone" then-action="start"/>)",
    .status = {{"node1", R"(<lrm id="1"><lrm_resources><lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource><lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource><lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource></lrm_resources></lrm>)"},
               {"node2", R"(<lrm id="2"><lrm_resources><lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource><lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="b-s" operation_key="b_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource><lrm_resource id="c" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="c-s" operation_key="c_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource></lrm_resources></lrm>)"}},
});

TEST(Scores, ADisabledClonesInstancesKeepTheirScoresUntilAssigned) {
  const auto lines = score_lines_xml(kDisabledClone, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
      "pcmk__clone_allocate: a-clone allocation score on node1: 0",
      "pcmk__clone_allocate: a-clone allocation score on node2: 0",
      "pcmk__clone_allocate: a:0 allocation score on node1: 1",
      "pcmk__clone_allocate: a:0 allocation score on node2: 0",
      "pcmk__clone_allocate: a:1 allocation score on node1: 0",
      "pcmk__clone_allocate: a:1 allocation score on node2: 1",
      "pcmk__clone_allocate: b-clone allocation score on node1: 0",
      "pcmk__clone_allocate: b-clone allocation score on node2: 0",
      "pcmk__clone_allocate: b:0 allocation score on node1: 1",
      "pcmk__clone_allocate: b:0 allocation score on node2: 0",
      "pcmk__clone_allocate: b:1 allocation score on node1: 0",
      "pcmk__clone_allocate: b:1 allocation score on node2: 1",
      "pcmk__clone_allocate: c-clone allocation score on node1: 0",
      "pcmk__clone_allocate: c-clone allocation score on node2: 0",
      "pcmk__clone_allocate: c:0 allocation score on node1: 1",
      "pcmk__clone_allocate: c:0 allocation score on node2: 0",
      "pcmk__clone_allocate: c:1 allocation score on node1: 0",
      "pcmk__clone_allocate: c:1 allocation score on node2: 1",
      "pcmk__primitive_assign: a:0 allocation score on node1: -INFINITY",
      "pcmk__primitive_assign: a:0 allocation score on node2: -INFINITY",
      "pcmk__primitive_assign: a:1 allocation score on node1: -INFINITY",
      "pcmk__primitive_assign: a:1 allocation score on node2: -INFINITY",
      "pcmk__primitive_assign: b:0 allocation score on node1: 1",
      "pcmk__primitive_assign: b:0 allocation score on node2: 0",
      "pcmk__primitive_assign: b:1 allocation score on node1: -INFINITY",
      "pcmk__primitive_assign: b:1 allocation score on node2: 1",
      "pcmk__primitive_assign: c:0 allocation score on node1: 1",
      "pcmk__primitive_assign: c:0 allocation score on node2: 0",
      "pcmk__primitive_assign: c:1 allocation score on node1: -INFINITY",
      "pcmk__primitive_assign: c:1 allocation score on node2: 1",
                    }));
}

// An asymmetric cluster: rsc1 located on node2 (10) and away from node3
// (-INFINITY); rsc2 by a rule matching node2 and node3; rsc3 nowhere.
const std::string kAsymmetric = cib_text({
    .nodes = {"node1", "node2", "node3"},
    .properties = R"(<nvpair id="o2" name="symmetric-cluster" value="false"/>)",
    .resources = R"(<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="rsc2" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="rsc3" class="ocf" provider="pacemaker" type="Dummy"/>)",
    .constraints = R"(<rsc_location id="l1" rsc="rsc1" node="node2" score="10"/><rsc_location id="l1b" rsc="rsc1" node="node3" score="-INFINITY"/><rsc_location id="l2" rsc="rsc2"><rule id="l2r" score="5"><expression id="l2e" attribute="#uname" operation="ne" value="node1"/></rule></rsc_location>)",
});

TEST(Scores, AnAsymmetricClusterListsOnlyTheNodesAResourceHasAScoreOn) {
  const auto lines = score_lines_xml(kAsymmetric, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__primitive_assign: rsc1 allocation score on node2: 10",
                        "pcmk__primitive_assign: rsc1 allocation score on node3: -INFINITY",
                        "pcmk__primitive_assign: rsc2 allocation score on node2: 5",
                        "pcmk__primitive_assign: rsc2 allocation score on node3: 5",
                    }));
}

// ip must run with c's promoted instance; r:0 is promoted on n1 (master-r
// 10 there, 5 on n2, where r:1 runs).
const std::string kWithPromoted = cib_text({
    .nodes = {"n1", "n2"},
    .resources = R"(<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="promotable" value="true"/></meta_attributes><primitive id="r" class="ocf" provider="pacemaker" type="Stateful"/></clone><primitive id="ip" class="ocf" provider="pacemaker" type="Dummy"/>)",
    .constraints = R"(<rsc_colocation id="ip-with-promoted" rsc="ip" with-rsc="c" with-rsc-role="Promoted" score="INFINITY"/>)",
    .status = {{"n1", R"(<transient_attributes id="1"><instance_attributes id="s1"><nvpair id="s1m" name="master-r" value="10"/></instance_attributes></transient_attributes><lrm id="1"><lrm_resources><lrm_resource id="r" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="r_last_0" operation_key="r_promote_0" operation="promote" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>)"},
               {"n2", R"(<transient_attributes id="2"><instance_attributes id="s2"><nvpair id="s2m" name="master-r" value="5"/></instance_attributes></transient_attributes><lrm id="2"><lrm_resources><lrm_resource id="r" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="r_last_0" operation_key="r_start_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>)"}},
});

TEST(Scores, AMandatoryColocationWithARoleAddsTheInstancesAssignedWeight) {
  // ip's n1 score is r:0's weight when it was assigned n1: 10 + its
  // stickiness of 1.
  const auto lines = score_lines_xml(kWithPromoted, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__clone_allocate: c allocation score on n1: 0",
                        "pcmk__clone_allocate: c allocation score on n2: 0",
                        "pcmk__clone_allocate: r:0 allocation score on n1: 11",
                        "pcmk__clone_allocate: r:0 allocation score on n2: 0",
                        "pcmk__clone_allocate: r:1 allocation score on n1: 0",
                        "pcmk__clone_allocate: r:1 allocation score on n2: 6",
                        "pcmk__primitive_assign: ip allocation score on n1: 11",
                        "pcmk__primitive_assign: ip allocation score on n2: -INFINITY",
                        "pcmk__primitive_assign: r:0 allocation score on n1: 11",
                        "pcmk__primitive_assign: r:0 allocation score on n2: 0",
                        "pcmk__primitive_assign: r:1 allocation score on n1: -INFINITY",
                        "pcmk__primitive_assign: r:1 allocation score on n2: 6",
                        "r:0 promotion score on n1: 10",
                        "r:1 promotion score on n2: 5",
                    }));
}

// node1 is in standby; rsc2 must run with rsc1; rsc3 is alone.
const std::string kStandbyColocation = cib_text({
    .nodes = {"node1", "node2"},
    .node_xml = {{"node1", R"(<instance_attributes id="n1"><nvpair id="n1s" name="standby" value="on"/></instance_attributes>)"}},
    .resources = R"(<primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="rsc2" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="rsc3" class="ocf" provider="pacemaker" type="Dummy"/>)",
    .constraints = R"(<rsc_colocation id="c2" rsc="rsc2" with-rsc="rsc1" score="INFINITY"/>)",
});

TEST(Scores, ADependentBringsMinusInfinityOnNodesThatCannotRunIt) {
  // rsc2's preference merged into rsc1's scores is its best score on a node
  // that can run it: none on the standby node1. rsc3 keeps 0 there.
  const auto lines = score_lines_xml(kStandbyColocation, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__primitive_assign: rsc1 allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: rsc1 allocation score on node2: 0",
                        "pcmk__primitive_assign: rsc2 allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: rsc2 allocation score on node2: 0",
                        "pcmk__primitive_assign: rsc3 allocation score on node1: 0",
                        "pcmk__primitive_assign: rsc3 allocation score on node2: 0",
                    }));
}

// a-clone has clone-max=1 but a runs on node1 and node2: the second history
// makes an instance a:1 beyond clone-max.
const std::string kBeyondCloneMax = cib_text({
    .nodes = {"node1", "node2"},
    .resources = R"(<clone id="a-clone"><primitive id="a" class="ocf" provider="pacemaker" type="Dummy"></primitive><meta_attributes id="a-cm"><nvpair id="a-il" name="interleave" value="true"/><nvpair id="a-max" name="clone-max" value="1"/></meta_attributes></clone>)",
    .status = {{"node1", R"(<lrm id="1"><lrm_resources><lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource></lrm_resources></lrm>)"},
               {"node2", R"(<lrm id="2"><lrm_resources><lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="a-s" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" crm_feature_set="3.1.0" op-digest="f2317cad3d54cec5d7d7aa7d0bf35cf8"/></lrm_resource></lrm_resources></lrm>)"}},
});

TEST(Scores, AnInstanceBeyondCloneMaxHasNoScoreLines) {
  const auto lines = score_lines_xml(kBeyondCloneMax, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__clone_allocate: a-clone allocation score on node1: 0",
                        "pcmk__clone_allocate: a-clone allocation score on node2: 0",
                        "pcmk__clone_allocate: a:0 allocation score on node1: 1",
                        "pcmk__clone_allocate: a:0 allocation score on node2: 0",
                        "pcmk__primitive_assign: a:0 allocation score on node1: 1",
                        "pcmk__primitive_assign: a:0 allocation score on node2: 0",
                    }));
}

// c's promoted role must run with p (placed on n2); no instance has a
// promotion score of its own.
const std::string kPromotedWithPrimitive = cib_text({
    .nodes = {"n1", "n2", "n3"},
    .resources = R"(<primitive id="p" class="ocf" provider="pacemaker" type="Dummy"/><clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="promotable" value="true"/></meta_attributes><primitive id="r" class="ocf" provider="pacemaker" type="Stateful"/></clone>)",
    .constraints = R"(<rsc_location id="p-on-n2" rsc="p" node="n2" score="100"/><rsc_colocation id="promoted-with-p" rsc="c" rsc-role="Promoted" with-rsc="p" score="INFINITY"/>)",
});

TEST(Scores, AnInstanceAwayFromAMandatoryPromotedColocationIsNeverPromoted) {
  // r:0 and r:1, away from n2, get -INFINITY even without a promotion score.
  const auto lines = score_lines_xml(kPromotedWithPrimitive, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__clone_allocate: c allocation score on n1: 0",
                        "pcmk__clone_allocate: c allocation score on n2: 0",
                        "pcmk__clone_allocate: c allocation score on n3: 0",
                        "pcmk__clone_allocate: r:0 allocation score on n1: 0",
                        "pcmk__clone_allocate: r:0 allocation score on n2: 0",
                        "pcmk__clone_allocate: r:0 allocation score on n3: 0",
                        "pcmk__clone_allocate: r:1 allocation score on n1: 0",
                        "pcmk__clone_allocate: r:1 allocation score on n2: 0",
                        "pcmk__clone_allocate: r:1 allocation score on n3: 0",
                        "pcmk__clone_allocate: r:2 allocation score on n1: 0",
                        "pcmk__clone_allocate: r:2 allocation score on n2: 0",
                        "pcmk__clone_allocate: r:2 allocation score on n3: 0",
                        "pcmk__primitive_assign: p allocation score on n1: 0",
                        "pcmk__primitive_assign: p allocation score on n2: 100",
                        "pcmk__primitive_assign: p allocation score on n3: 0",
                        "pcmk__primitive_assign: r:0 allocation score on n1: 0",
                        "pcmk__primitive_assign: r:0 allocation score on n2: 0",
                        "pcmk__primitive_assign: r:0 allocation score on n3: 0",
                        "pcmk__primitive_assign: r:1 allocation score on n1: -INFINITY",
                        "pcmk__primitive_assign: r:1 allocation score on n2: 0",
                        "pcmk__primitive_assign: r:1 allocation score on n3: 0",
                        "pcmk__primitive_assign: r:2 allocation score on n1: -INFINITY",
                        "pcmk__primitive_assign: r:2 allocation score on n2: 0",
                        "pcmk__primitive_assign: r:2 allocation score on n3: -INFINITY",
                        "r:0 promotion score on n1: -INFINITY",
                        "r:1 promotion score on n3: -INFINITY",
                        "r:2 promotion score on n2: INFINITY",
                    }));
}

// Group g (a, b, c) located on node2 (100) and away from node1 (-50).
const std::string kGroupLocation = cib_text({
    .nodes = {"node1", "node2"},
    .resources = R"(<group id="g"><primitive id="a" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="b" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="c" class="ocf" provider="pacemaker" type="Dummy"/></group>)",
    .constraints = R"(<rsc_location id="g-on-2" rsc="g" node="node2" score="100"/><rsc_location id="g-off-1" rsc="g" node="node1" score="-50"/>)",
});

TEST(Scores, AGroupsLocationGoesToItsFirstMemberOnly) {
  const auto lines = score_lines_xml(kGroupLocation, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__group_assign: a allocation score on node1: -50",
                        "pcmk__group_assign: a allocation score on node2: 100",
                        "pcmk__group_assign: b allocation score on node1: 0",
                        "pcmk__group_assign: b allocation score on node2: 0",
                        "pcmk__group_assign: c allocation score on node1: 0",
                        "pcmk__group_assign: c allocation score on node2: 0",
                        "pcmk__group_assign: g allocation score on node1: -50",
                        "pcmk__group_assign: g allocation score on node2: 100",
                        "pcmk__primitive_assign: a allocation score on node1: -50",
                        "pcmk__primitive_assign: a allocation score on node2: 100",
                        "pcmk__primitive_assign: b allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: b allocation score on node2: 0",
                        "pcmk__primitive_assign: c allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: c allocation score on node2: 0",
                    }));
}

// Clone c must run with p, which prefers node2.
const std::string kCloneWithPrimitive = cib_text({
    .nodes = {"node1", "node2"},
    .resources = R"(<primitive id="p" class="ocf" provider="pacemaker" type="Dummy"/><clone id="c"><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></clone>)",
    .constraints = R"(<rsc_location id="p-on-2" rsc="p" node="node2" score="100"/><rsc_colocation id="c-with-p" rsc="c" with-rsc="p" score="INFINITY"/>)",
});

TEST(Scores, AClonesColocationsShowInItsInstancesAssignmentScores) {
  const auto lines = score_lines_xml(kCloneWithPrimitive, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__clone_allocate: c allocation score on node1: 0",
                        "pcmk__clone_allocate: c allocation score on node2: 0",
                        "pcmk__clone_allocate: d:0 allocation score on node1: 0",
                        "pcmk__clone_allocate: d:0 allocation score on node2: 0",
                        "pcmk__clone_allocate: d:1 allocation score on node1: 0",
                        "pcmk__clone_allocate: d:1 allocation score on node2: 0",
                        "pcmk__primitive_assign: d:0 allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: d:0 allocation score on node2: 0",
                        "pcmk__primitive_assign: d:1 allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: d:1 allocation score on node2: -INFINITY",
                        "pcmk__primitive_assign: p allocation score on node1: 0",
                        "pcmk__primitive_assign: p allocation score on node2: 100",
                    }));
}

// A (first in the configuration) prefers node1 and is colocated with B
// (500000, half of INFINITY), which prefers node2.
const std::string kDependentFirst = cib_text({
    .nodes = {"node1", "node2"},
    .resources = R"(<primitive id="A" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="B" class="ocf" provider="pacemaker" type="Dummy"/>)",
    .constraints = R"(<rsc_location id="A-1" rsc="A" node="node1" score="100"/><rsc_location id="B-2" rsc="B" node="node2" score="100"/><rsc_colocation id="colo" rsc="A" with-rsc="B" score="500000"/>)",
});

TEST(Scores, ADependentBeingAssignedStillBringsItsScoresToItsPrimary) {
  // Assigning A assigns B first; B still takes in half of A's preference.
  const auto lines = score_lines_xml(kDependentFirst, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__primitive_assign: A allocation score on node1: 100",
                        "pcmk__primitive_assign: A allocation score on node2: 500000",
                        "pcmk__primitive_assign: B allocation score on node1: 50",
                        "pcmk__primitive_assign: B allocation score on node2: 100",
                    }));
}

// Clone c (clone-max=2) of group g (a, then b with stickiness 100), located
// on node3 (50); g:0 runs on node1.
const std::string kGroupClone = cib_text({
    .nodes = {"node1", "node2", "node3"},
    .resources = R"(<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="clone-max" value="2"/></meta_attributes><group id="g"><primitive id="a" class="ocf" provider="pacemaker" type="Dummy"/><primitive id="b" class="ocf" provider="pacemaker" type="Dummy"><meta_attributes id="bm"><nvpair id="bm1" name="resource-stickiness" value="100"/></meta_attributes></primitive></group></clone>)",
    .constraints = R"(<rsc_location id="c-on-3" rsc="c" node="node3" score="50"/>)",
    .status = {{"node1", R"(<lrm id="1"><lrm_resources><lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="a_last_0" operation_key="a_start_0" operation="start" call-id="1" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource><lrm_resource id="b" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="b_last_0" operation_key="b_start_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>)"}},
});

TEST(Scores, AClonedGroupListsItsInstancesGroupsAndMembers) {
  // The clone's location goes to each instance's first member; each member
  // is assigned with the members after it merged in; g:1 finds node1 taken.
  const auto lines = score_lines_xml(kGroupClone, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__clone_allocate: a:0 allocation score on node1: 1",
                        "pcmk__clone_allocate: a:0 allocation score on node2: 0",
                        "pcmk__clone_allocate: a:0 allocation score on node3: 50",
                        "pcmk__clone_allocate: a:1 allocation score on node1: 0",
                        "pcmk__clone_allocate: a:1 allocation score on node2: 0",
                        "pcmk__clone_allocate: a:1 allocation score on node3: 50",
                        "pcmk__clone_allocate: b:0 allocation score on node1: 100",
                        "pcmk__clone_allocate: b:0 allocation score on node2: 0",
                        "pcmk__clone_allocate: b:0 allocation score on node3: 0",
                        "pcmk__clone_allocate: b:1 allocation score on node1: 0",
                        "pcmk__clone_allocate: b:1 allocation score on node2: 0",
                        "pcmk__clone_allocate: b:1 allocation score on node3: 0",
                        "pcmk__clone_allocate: c allocation score on node1: 0",
                        "pcmk__clone_allocate: c allocation score on node2: 0",
                        "pcmk__clone_allocate: c allocation score on node3: 50",
                        "pcmk__clone_allocate: g:0 allocation score on node1: 0",
                        "pcmk__clone_allocate: g:0 allocation score on node2: 0",
                        "pcmk__clone_allocate: g:0 allocation score on node3: 50",
                        "pcmk__clone_allocate: g:1 allocation score on node1: 0",
                        "pcmk__clone_allocate: g:1 allocation score on node2: 0",
                        "pcmk__clone_allocate: g:1 allocation score on node3: 50",
                        "pcmk__group_assign: a:0 allocation score on node1: 1",
                        "pcmk__group_assign: a:0 allocation score on node2: 0",
                        "pcmk__group_assign: a:0 allocation score on node3: 50",
                        "pcmk__group_assign: a:1 allocation score on node1: -INFINITY",
                        "pcmk__group_assign: a:1 allocation score on node2: 0",
                        "pcmk__group_assign: a:1 allocation score on node3: 50",
                        "pcmk__group_assign: b:0 allocation score on node1: 100",
                        "pcmk__group_assign: b:0 allocation score on node2: 0",
                        "pcmk__group_assign: b:0 allocation score on node3: 0",
                        "pcmk__group_assign: b:1 allocation score on node1: -INFINITY",
                        "pcmk__group_assign: b:1 allocation score on node2: 0",
                        "pcmk__group_assign: b:1 allocation score on node3: 0",
                        "pcmk__group_assign: g:0 allocation score on node1: 0",
                        "pcmk__group_assign: g:0 allocation score on node2: 0",
                        "pcmk__group_assign: g:0 allocation score on node3: 50",
                        "pcmk__group_assign: g:1 allocation score on node1: -INFINITY",
                        "pcmk__group_assign: g:1 allocation score on node2: 0",
                        "pcmk__group_assign: g:1 allocation score on node3: 50",
                        "pcmk__primitive_assign: a:0 allocation score on node1: 101",
                        "pcmk__primitive_assign: a:0 allocation score on node2: 0",
                        "pcmk__primitive_assign: a:0 allocation score on node3: 50",
                        "pcmk__primitive_assign: a:1 allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: a:1 allocation score on node2: 0",
                        "pcmk__primitive_assign: a:1 allocation score on node3: 50",
                        "pcmk__primitive_assign: b:0 allocation score on node1: 100",
                        "pcmk__primitive_assign: b:0 allocation score on node2: -INFINITY",
                        "pcmk__primitive_assign: b:0 allocation score on node3: -INFINITY",
                        "pcmk__primitive_assign: b:1 allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: b:1 allocation score on node2: -INFINITY",
                        "pcmk__primitive_assign: b:1 allocation score on node3: 0",
                    }));
}

// p (preferring node2) must run with clone c.
const std::string kPrimitiveWithClone = cib_text({
    .nodes = {"node1", "node2"},
    .resources = R"(<primitive id="p" class="ocf" provider="pacemaker" type="Dummy"/><clone id="c"><primitive id="d" class="ocf" provider="pacemaker" type="Dummy"/></clone>)",
    .constraints = R"(<rsc_location id="p-on-2" rsc="p" node="node2" score="100"/><rsc_colocation id="p-with-c" rsc="p" with-rsc="c" score="INFINITY"/>)",
});

TEST(Scores, AClonesLineTakesInWhatIsColocatedWithIt) {
  const auto lines = score_lines_xml(kPrimitiveWithClone, "t.xml");
  ASSERT_TRUE(lines.ok()) << lines.error().message;
  EXPECT_EQ(*lines, (std::vector<std::string>{
                        "pcmk__clone_allocate: c allocation score on node1: 0",
                        "pcmk__clone_allocate: c allocation score on node2: 100",
                        "pcmk__clone_allocate: d:0 allocation score on node1: 0",
                        "pcmk__clone_allocate: d:0 allocation score on node2: 0",
                        "pcmk__clone_allocate: d:1 allocation score on node1: 0",
                        "pcmk__clone_allocate: d:1 allocation score on node2: 0",
                        "pcmk__primitive_assign: d:0 allocation score on node1: 0",
                        "pcmk__primitive_assign: d:0 allocation score on node2: 0",
                        "pcmk__primitive_assign: d:1 allocation score on node1: -INFINITY",
                        "pcmk__primitive_assign: d:1 allocation score on node2: 0",
                        "pcmk__primitive_assign: p allocation score on node1: 0",
                        "pcmk__primitive_assign: p allocation score on node2: 100",
                    }));
}

}  // namespace
}  // namespace quorate::crm::sched
