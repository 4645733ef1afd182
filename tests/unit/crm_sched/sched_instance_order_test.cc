// The order clone instances are assigned nodes in: Pacemaker 2.1.5's instance
// comparison run through GLib's list merge sort (crm/sched_place.h).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crm/cib_xml.h"
#include "crm/sched_place.h"
#include "tests/unit/crm_sched/test_cib.h"

namespace quorate::crm::sched {
namespace {

// A cyclic comparison (0 < 1 < 2 < 0): not a strict weak order.
int cyclic(std::size_t a, std::size_t b) {
  if (a == b) return 0;
  return (a + 1) % 3 == b ? -1 : 1;
}

TEST(GlibListSort, MergesLikeGlibEvenWithACyclicComparison) {
  // [2,1,0] splits into [2] and [1,0]; [1,0] sorts to [0,1] (cmp(1,0) > 0);
  // merging [2] with [0,1]: cmp(2,0) < 0 takes 2 first.
  std::vector<std::size_t> items{2, 1, 0};
  glib_list_sort(items, cyclic);
  EXPECT_EQ(items, (std::vector<std::size_t>{2, 0, 1}));
  items = {0, 1, 2};
  glib_list_sort(items, cyclic);
  EXPECT_EQ(items, (std::vector<std::size_t>{0, 1, 2}));
}

TEST(GlibListSort, IsStableAndHandlesSmallInputs) {
  std::vector<std::size_t> none;
  glib_list_sort(none, cyclic);
  EXPECT_TRUE(none.empty());
  std::vector<std::size_t> one{7};
  glib_list_sort(one, cyclic);
  EXPECT_EQ(one, (std::vector<std::size_t>{7}));
  // Keys 1,0,1,0,1 (by parity of the index): equal keys keep their order.
  std::vector<std::size_t> items{0, 1, 2, 3, 4, 5, 6};
  const std::vector<int> key{1, 0, 1, 0, 1, 0, 1};
  glib_list_sort(items, [&key](std::size_t a, std::size_t b) { return key[a] - key[b]; });
  EXPECT_EQ(items, (std::vector<std::size_t>{1, 3, 5, 0, 2, 4, 6}));
}

InstanceSortKey active(std::string id, std::string node) {
  InstanceSortKey k;
  k.id = std::move(id);
  k.active_count = 1;
  k.current = std::move(node);
  return k;
}

InstanceSortKey inactive(std::string id, int priority = 0) {
  InstanceSortKey k;
  k.id = std::move(id);
  k.priority = priority;
  return k;
}

TEST(CompareInstances, PacemakersChain) {
  // Two inactive instances are equal; priority comes before activity.
  EXPECT_EQ(compare_instances(inactive("r:4"), inactive("r:5")), 0);
  EXPECT_LT(compare_instances(inactive("r:5", 10), active("r:0", "n1")), 0);
  EXPECT_LT(compare_instances(active("r:0", "n1"), inactive("r:4")), 0);
  // Fewer active nodes first, when both are active.
  InstanceSortKey multi = active("r:0", "n3");
  multi.active_count = 2;
  EXPECT_GT(compare_instances(multi, active("r:1", "n2")), 0);
  // A current node it may not stay on sorts after even inactive ones.
  InstanceSortKey banned = active("r:1", "n2");
  banned.current_allowed = false;
  EXPECT_GT(compare_instances(banned, inactive("r:4")), 0);
  // A current node that cannot run resources, then failed instances, last.
  InstanceSortKey leaving = active("r:1", "n2");
  leaving.current_can_run = false;
  EXPECT_GT(compare_instances(leaving, active("r:2", "n3")), 0);
  InstanceSortKey failed = active("r:1", "n2");
  failed.failed = true;
  EXPECT_GT(compare_instances(failed, active("r:2", "n3")), 0);
  // Colocation score on the current node: higher first, but a negative
  // lower one also first (the comparison is not symmetric there).
  InstanceSortKey low = active("r:1", "n2");
  low.current_colocation_score = -5;
  EXPECT_LT(compare_instances(low, active("r:2", "n3")), 0);
  EXPECT_LT(compare_instances(active("r:2", "n3"), low), 0);
  // Otherwise by id, as strcmp orders it ("r:10" before "r:2").
  EXPECT_LT(compare_instances(active("r:10", "n1"), active("r:2", "n2")), 0);
}

WorkingSet unpack(const std::string& xml, Cib& cib) {
  auto parsed = parse_cib_xml(xml, "test.xml");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  cib = *parsed;
  auto ws = unpack_working_set(cib);
  EXPECT_TRUE(ws.ok());
  return *ws;
}

// Promotable r: r:0 promoted on n1 (master-r=10 there); a probe on n2 found
// r stopped (that history goes to r:1); n3 and n4 have none.
const std::string kPromotable = cib_text({
    .nodes = {"n1", "n2", "n3", "n4"},
    .resources = R"(<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="promotable" value="true"/></meta_attributes><primitive id="r" class="ocf" provider="pacemaker" type="Stateful"/></clone>)",
    .status = {{"n1", R"(<transient_attributes id="1"><instance_attributes id="s1"><nvpair id="s1m" name="master-r" value="10"/></instance_attributes></transient_attributes><lrm id="1"><lrm_resources><lrm_resource id="r" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="r_last_0" operation_key="r_promote_0" operation="promote" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>)"},
               {"n2", R"(<lrm id="2"><lrm_resources><lrm_resource id="r" class="ocf" provider="pacemaker" type="Stateful"><lrm_rsc_op id="r_last_0" operation_key="r_monitor_0" operation="monitor" call-id="1" rc-code="7" op-status="0" interval="0" transition-key="1:1:7:x" transition-magic="0:7;1:1:7:x"/></lrm_resource></lrm_resources></lrm>)"}},
});

TEST(InstanceOrder, PromotionScoreRaisesThePriorityOfInstancesWithoutHistory) {
  // r:1's promotion score does not count on n1 (its state is known only on
  // n2), so r:2 and r:3 (priority 10 from n1) are assigned before it:
  // crm_simulate -s shows r:0, r:2, r:3, r:1 and r:1 starting on n4.
  Cib cib;
  const WorkingSet ws = unpack(kPromotable, cib);
  const Placement p = place(ws);
  ASSERT_NE(p.find("r:1"), nullptr);
  EXPECT_EQ(p.find("r:0")->node, "n1");
  EXPECT_EQ(p.find("r:2")->node, "n2");
  EXPECT_EQ(p.find("r:3")->node, "n3");
  EXPECT_EQ(p.find("r:1")->node, "n4");
}

// Globally unique r, clone-max=2: r:0 active on n3 (status read first) and
// n2, r:1 active on n2.
const std::string kMultiplyActive = cib_text({
    .nodes = {"n1", "n2", "n3"},
    .resources = R"(<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="globally-unique" value="true"/><nvpair id="cm2" name="clone-max" value="2"/></meta_attributes><primitive id="r" class="ocf" provider="pacemaker" type="Dummy"/></clone>)",
    .status = {{"n3", R"(<lrm id="3"><lrm_resources><lrm_resource id="r:0" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="r:0_last_0" operation_key="r:0_start_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>)"},
               {"n2", R"(<lrm id="2"><lrm_resources><lrm_resource id="r:0" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="r:0_last_0" operation_key="r:0_start_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource><lrm_resource id="r:1" class="ocf" provider="pacemaker" type="Dummy"><lrm_rsc_op id="r:1_last_0" operation_key="r:1_start_0" operation="start" call-id="3" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x"/></lrm_resource></lrm_resources></lrm>)"}},
    .status_order = {"n3", "n2", "n1"},
});

TEST(InstanceOrder, MultiplyActiveInstanceKeepsTheFirstNodeItWasFoundOn) {
  // r:1 (one node) sorts before r:0 (two) and keeps n2; r:0 then stays on
  // n3, where it was found first, rather than moving to the emptier n1.
  Cib cib;
  const WorkingSet ws = unpack(kMultiplyActive, cib);
  const Placement p = place(ws);
  ASSERT_NE(p.find("r:0"), nullptr);
  EXPECT_EQ(p.find("r:1")->node, "n2");
  EXPECT_EQ(p.find("r:0")->node, "n3");
}

}  // namespace
}  // namespace quorate::crm::sched
