// Resource sets in rsc_order / rsc_colocation flattened into pairs, and what
// the scheduler does with them (ordered sets, require-all=false, clone-min).
#include "crm/sched_constraints.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_graph_print.h"
#include "crm/sched_unpack.h"

namespace quorate::crm::sched {
namespace {

// A CIB with nodes node1 and node2 (both online), primitives `rscs` (ids;
// running on `running_on` when it is not empty) and `constraints` verbatim.
std::string make_cib(const std::vector<std::string>& rscs, const std::string& constraints,
                     const std::string& running_on = "", const std::string& extra_rscs = "") {
  std::string x = R"(<cib admin_epoch="0" epoch="1" num_updates="1" have-quorum="1"
      validate-with="pacemaker-3.0" dc-uuid="1"><configuration><crm_config>
      <cluster_property_set id="opts"><nvpair id="opts1" name="stonith-enabled" value="false"/>
      </cluster_property_set></crm_config><nodes><node id="1" uname="node1"/>
      <node id="2" uname="node2"/></nodes><resources>)";
  for (const auto& r : rscs)
    x += "<primitive id=\"" + r + "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"/>";
  x += extra_rscs + "</resources><constraints>" + constraints +
       "</constraints></configuration><status>";
  for (const char* n : {"1", "2"}) {
    const std::string uname = std::string("node") + n;
    x += std::string("<node_state id=\"") + n + "\" uname=\"" + uname +
         "\" in_ccm=\"true\" crmd=\"online\" join=\"member\" expected=\"member\"><lrm id=\"" + n +
         "\"><lrm_resources>";
    int call = 1;
    for (const auto& r : rscs) {
      const bool here = running_on == uname;
      x += "<lrm_resource id=\"" + r +
           "\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"><lrm_rsc_op id=\"" + r + n +
           "\" operation=\"" + (here ? "start" : "monitor") + "\" call-id=\"" +
           std::to_string(call++) + "\" rc-code=\"" + (here ? "0" : "7") +
           "\" op-status=\"0\" interval=\"0\" transition-key=\"1:1:" + (here ? "0" : "7") +
           ":x\"/></lrm_resource>";
    }
    x += "</lrm_resources></lrm></node_state>";
  }
  return x + "</status></cib>";
}

Configuration config_of(const std::string& constraints) {
  auto cib = parse_cib_xml(make_cib({}, constraints), "test.xml");
  if (!cib.ok()) {
    ADD_FAILURE() << "parse: " << cib.error().message;
    return Configuration{};
  }
  return cib->configuration;
}

std::vector<std::string> pairs(const std::vector<OrderSpec>& orders) {
  std::vector<std::string> out;
  for (const auto& o : orders)
    out.push_back(o.first + ":" + o.first_action + ">" + o.then + ":" + o.then_action +
                  (o.any_of.empty() ? "" : "|" + o.any_of) + (o.symmetrical ? "" : "|asym"));
  return out;
}

std::vector<std::string> pairs(const std::vector<ColocSpec>& colocs) {
  std::vector<std::string> out;
  for (const auto& c : colocs)
    out.push_back(c.rsc + " with " + c.with_rsc + " " + std::to_string(c.score) +
                  (c.rsc_role ? " " + *c.rsc_role : "") +
                  (c.with_rsc_role ? "/" + *c.with_rsc_role : ""));
  return out;
}

using Strings = std::vector<std::string>;

TEST(FlattenOrders, SequentialSetOrdersEachAfterThePrevious) {
  const auto o = flatten_orders(config_of(
      R"(<rsc_order id="o"><resource_set id="s" action="promote"><resource_ref id="A"/>
         <resource_ref id="B"/><resource_ref id="C"/></resource_set></rsc_order>)"));
  EXPECT_EQ(pairs(o), (Strings{"A:promote>B:promote", "B:promote>C:promote"}));
}

TEST(FlattenOrders, BetweenSetsEveryMemberUnlessSequentialIsSaidTrue) {
  // Unsaid sequential between sets: every member of one before every member
  // of the next; said "true": last of the first before first of the next.
  EXPECT_EQ(pairs(flatten_orders(config_of(
                R"(<rsc_order id="o"><resource_set id="s1"><resource_ref id="A"/>
                   <resource_ref id="B"/></resource_set><resource_set id="s2" sequential="false">
                   <resource_ref id="C"/><resource_ref id="D"/></resource_set></rsc_order>)"))),
            (Strings{"A:start>B:start", "A:start>C:start", "A:start>D:start", "B:start>C:start",
                     "B:start>D:start"}));
  EXPECT_EQ(pairs(flatten_orders(config_of(
                R"(<rsc_order id="o" symmetrical="false"><resource_set id="s1" sequential="true">
                   <resource_ref id="A"/><resource_ref id="B"/></resource_set>
                   <resource_set id="s2" sequential="true"><resource_ref id="C"/>
                   <resource_ref id="D"/></resource_set></rsc_order>)"))),
            (Strings{"A:start>B:start|asym", "C:start>D:start|asym", "B:start>C:start|asym"}));
}

TEST(FlattenOrders, RequireAllFalseGoesThroughOnePseudoAction) {
  const auto o = flatten_orders(config_of(
      R"(<rsc_order id="o"><resource_set id="any" sequential="false" require-all="false">
         <resource_ref id="B"/><resource_ref id="C"/></resource_set>
         <resource_set id="s2"><resource_ref id="D"/></resource_set></rsc_order>)"));
  // Forward through "one-or-more:any"; the stops need them all.
  EXPECT_EQ(pairs(o),
            (Strings{"B:start>D:start|one-or-more:any|asym", "C:start>D:start|one-or-more:any|asym",
                     "D:stop>B:stop|asym", "D:stop>C:stop|asym"}));
}

TEST(FlattenOrders, SimpleOrderRequireAllFalseOnAClone) {
  auto cib = parse_cib_xml(
      make_cib({}, R"(<rsc_order id="o" first="A-clone" then="B" require-all="false"/>)", "",
               R"(<clone id="A-clone"><primitive id="A" class="ocf" provider="pacemaker"
                  type="Dummy"/></clone>)"),
      "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  const auto o = flatten_orders(cib->configuration);
  ASSERT_EQ(o.size(), 1U);
  EXPECT_EQ(o[0].any_of, "clone-one-or-more:o");
  EXPECT_EQ(o[0].min_firsts, 1);
  EXPECT_TRUE(o[0].symmetrical);
}

TEST(FlattenColocations, SetsChainMembersAndSets) {
  EXPECT_EQ(pairs(flatten_colocations(config_of(
                R"(<rsc_colocation id="c" score="INFINITY"><resource_set id="s1">
                   <resource_ref id="A"/><resource_ref id="B"/><resource_ref id="C"/>
                   </resource_set></rsc_colocation>)"))),
            (Strings{"B with A 1000000", "C with B 1000000"}));
  // A negative set: each member is the dependent of every earlier one
  // (Pacemaker 2.1.5 creates "B with A", "C with A", "C with B").
  EXPECT_EQ(pairs(flatten_colocations(config_of(
                R"(<rsc_colocation id="c" score="-INFINITY"><resource_set id="s1">
                   <resource_ref id="A"/><resource_ref id="B"/><resource_ref id="C"/>
                   </resource_set></rsc_colocation>)"))),
            (Strings{"B with A -1000000", "C with A -1000000", "C with B -1000000"}));
  EXPECT_EQ(pairs(flatten_colocations(config_of(
                R"(<rsc_colocation id="c" score="INFINITY"><resource_set id="s1" ordering="listed">
                   <resource_ref id="A"/><resource_ref id="B"/><resource_ref id="C"/>
                   </resource_set></rsc_colocation>)"))),
            (Strings{"A with B 1000000", "B with C 1000000"}));
  // The earlier set's first member depends on the later set's last, with
  // each set's role; an unordered set colocates nothing inside itself.
  EXPECT_EQ(pairs(flatten_colocations(config_of(
                R"(<rsc_colocation id="c" score="100"><resource_set id="s1" sequential="false">
                   <resource_ref id="A"/><resource_ref id="B"/></resource_set>
                   <resource_set id="s2" role="Promoted"><resource_ref id="M"/>
                   <resource_ref id="N"/></resource_set></rsc_colocation>)"))),
            (Strings{"N with M 100 Promoted/Promoted", "A with N 100/Promoted",
                     "B with N 100/Promoted"}));
}

TEST(ScheduleSets, OrderedSetStopsInReverseAndStartsInOrder) {
  auto cib =
      parse_cib_xml(make_cib({"r1", "r2", "r3"},
                             R"(<rsc_location id="l" rsc="r1" node="node1" score="-INFINITY"/>
                 <rsc_location id="l2" rsc="r2" node="node1" score="-INFINITY"/>
                 <rsc_location id="l3" rsc="r3" node="node1" score="-INFINITY"/>
                 <rsc_order id="o"><resource_set id="s"><resource_ref id="r1"/>
                 <resource_ref id="r2"/><resource_ref id="r3"/></resource_set></rsc_order>)",
                             "node1"),
                    "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  auto ws = unpack_working_set(*cib);
  ASSERT_TRUE(ws.ok());
  const Transition t = schedule(*ws);
  EXPECT_EQ(render_executed(t),
            "  * Resource action: r3              stop on node1\n"
            "  * Resource action: r2              stop on node1\n"
            "  * Resource action: r1              stop on node1\n"
            "  * Resource action: r1              start on node2\n"
            "  * Resource action: r2              start on node2\n"
            "  * Resource action: r3              start on node2\n");
}

TEST(ScheduleSets, OneOrMoreRunsOnceAnyFirstCanStart) {
  // B cannot run anywhere, C can: D still starts, after the pseudo action.
  auto cib = parse_cib_xml(make_cib({"B", "C", "D"},
                                    R"(<rsc_location id="l" rsc="B" node="node1" score="-INFINITY"/>
                  <rsc_location id="l2" rsc="B" node="node2" score="-INFINITY"/>
                  <rsc_order id="o"><resource_set id="any" sequential="false" require-all="false">
                  <resource_ref id="B"/><resource_ref id="C"/></resource_set>
                  <resource_set id="s2"><resource_ref id="D"/></resource_set></rsc_order>)"),
                           "t.xml");
  ASSERT_TRUE(cib.ok()) << cib.error().message;
  auto ws = unpack_working_set(*cib);
  ASSERT_TRUE(ws.ok());
  const Transition t = schedule(*ws);
  EXPECT_EQ(render_transition_summary(t),
            "  * Start      C       ( node1 )\n"
            "  * Start      D       ( node2 )\n");
  const std::string executed = render_executed(t);
  const auto pseudo = executed.find("Pseudo action:   one-or-more:any");
  ASSERT_NE(pseudo, std::string::npos) << executed;
  EXPECT_LT(executed.find("C               start"), pseudo);
  EXPECT_GT(executed.find("D               start"), pseudo);

  // With C banned too, D cannot start.
  auto cib2 =
      parse_cib_xml(make_cib({"B", "C", "D"},
                             R"(<rsc_location id="l" rsc="B" node="node1" score="-INFINITY"/>
                  <rsc_location id="l2" rsc="B" node="node2" score="-INFINITY"/>
                  <rsc_location id="l3" rsc="C" node="node1" score="-INFINITY"/>
                  <rsc_location id="l4" rsc="C" node="node2" score="-INFINITY"/>
                  <rsc_order id="o"><resource_set id="any" sequential="false" require-all="false">
                  <resource_ref id="B"/><resource_ref id="C"/></resource_set>
                  <resource_set id="s2"><resource_ref id="D"/></resource_set></rsc_order>)"),
                    "t.xml");
  ASSERT_TRUE(cib2.ok());
  auto ws2 = unpack_working_set(*cib2);
  ASSERT_TRUE(ws2.ok());
  const Transition t2 = schedule(*ws2);
  EXPECT_EQ(render_transition_summary(t2),
            "  * Start      D       ( node1 )  due to unrunnable one-or-more:any (blocked)\n");
}

}  // namespace
}  // namespace quorate::crm::sched
