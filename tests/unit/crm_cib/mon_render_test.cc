// crm/mon_render and crm/sched_scores as pure functions: the summary lines
// crm_mon derives from the CIB (DC, quorum, counts, maintenance), the
// sections that appear only when they have content, and the score lines.
#include "crm/mon_render.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "crm/cib_xml.h"
#include "crm/sched_place.h"
#include "crm/sched_scores.h"
#include "crm/sched_unpack.h"

namespace quorate::crm::sched {
namespace {

struct Screen {
  std::string text;
  std::string json;
};

Screen screen(const std::string& xml, MonOptions options = {}) {
  auto cib = parse_cib_xml(xml, "test.xml");
  EXPECT_TRUE(cib.ok()) << (cib.ok() ? "" : cib.error().message);
  if (!cib.ok()) return {};
  auto ws = unpack_working_set(*cib);
  EXPECT_TRUE(ws.ok());
  if (!ws.ok()) return {};
  options.last_updated = "NOW";
  return {render_mon_text(*ws, options), render_mon_json(*ws, options)};
}

// One online node, a group of two (one disabled), maintenance mode on.
constexpr const char* kOneNode =
    R"(<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="o">
        <nvpair id="o-m" name="maintenance-mode" value="true"/>
      </cluster_property_set>
    </crm_config>
    <nodes><node id="1" uname="solo"/></nodes>
    <resources>
      <group id="g">
        <primitive id="a" class="ocf" provider="pacemaker" type="Dummy"/>
        <primitive id="b" class="ocf" provider="pacemaker" type="Dummy">
          <meta_attributes id="b-m"><nvpair id="b-m-t" name="target-role" value="Stopped"/></meta_attributes>
        </primitive>
      </group>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="solo" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="a" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="a_last_0" operation_key="a_start_0" operation="start" transition-key="1:1:0:x" call-id="2" rc-code="0" op-status="0" interval="0"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>)";

TEST(MonRender, SummaryWithoutDcOrTimes) {
  const Screen s = screen(kOneNode);
  EXPECT_EQ(s.text,
            "Cluster Summary:\n"
            "  * Stack: unknown\n"
            "  * Current DC: NONE\n"
            "  * Last updated: NOW\n"
            "  * Last change:  \n"
            "  * 1 node configured\n"
            "  * 2 resource instances configured (1 DISABLED)\n"
            "\n"
            "              *** Resource management is DISABLED ***\n"
            "  The cluster will not attempt to start, stop or recover services\n"
            "\n"
            "Node List:\n"
            "  * Online: [ solo ]\n"
            "\n"
            "Active Resources:\n"
            "  * Resource Group: g (1 member inactive, unmanaged):\n"
            "    * a\t(ocf:pacemaker:Dummy):\t Started solo (unmanaged)\n");
  const auto j = nlohmann::json::parse(s.json);
  EXPECT_TRUE(j["summary"]["current_dc"].is_null());
  EXPECT_EQ(j["summary"]["maintenance_mode"], true);
  EXPECT_EQ(j["summary"]["disabled_instances"], 1);
}

TEST(MonRender, InactiveAndEmptySections) {
  MonOptions o;
  o.inactive = true;
  o.node_attributes = true;  // no attributes: no section
  o.negative_locations = true;
  const Screen s = screen(kOneNode, o);
  EXPECT_NE(s.text.find("Full List of Resources:\n"
                        "  * Resource Group: g (unmanaged):\n"
                        "    * a\t(ocf:pacemaker:Dummy):\t Started solo (unmanaged)\n"
                        "    * b\t(ocf:pacemaker:Dummy):\t Stopped (disabled, unmanaged)\n"),
            std::string::npos)
      << s.text;
  EXPECT_EQ(s.text.find("Node Attributes"), std::string::npos);
  EXPECT_EQ(s.text.find("Negative Location"), std::string::npos);
}

TEST(MonRender, GroupByNode) {
  MonOptions o;
  o.group_by_node = true;
  o.inactive = true;
  const Screen s = screen(kOneNode, o);
  EXPECT_NE(s.text.find("Node List:\n"
                        "  * Node solo: online:\n"
                        "    * Resources:\n"
                        "      * a\t(ocf:pacemaker:Dummy):\t Started (unmanaged)\n"
                        "\n"
                        "Inactive Resources:\n"
                        "  * Resource Group: g (unmanaged):\n"),
            std::string::npos)
      << s.text;
}

// Found by fuzz_crm_status: names need not be UTF-8, the JSON must be.
TEST(MonRender, JsonOfNonUtf8NamesIsValid) {
  std::string xml = kOneNode;
  const std::string bad = "so\xff\xc3lo";
  for (std::size_t at; (at = xml.find("\"solo\"")) != std::string::npos;)
    xml.replace(at, 6, "\"" + bad + "\"");
  const Screen s = screen(xml);
  ASSERT_TRUE(nlohmann::json::accept(s.json)) << s.json;
  EXPECT_EQ(nlohmann::json::parse(s.json)["nodes"][0]["name"], "so\xef\xbf\xbd\xef\xbf\xbdlo");
}

TEST(MonRender, TimesAreCtimeStyle) {
  EXPECT_EQ(format_time_utc(0), "Thu Jan  1 00:00:00 1970");
  EXPECT_EQ(format_time_utc(1717586509), "Wed Jun  5 11:21:49 2024");
}

// As the real crm_simulate -sSQ prints them for kOneNode: maintenance mode
// pins the unmanaged member where it runs.
TEST(SchedScores, GroupMembersFollowTheFirst) {
  auto cib = parse_cib_xml(kOneNode, "test.xml");
  ASSERT_TRUE(cib.ok());
  auto ws = unpack_working_set(*cib);
  ASSERT_TRUE(ws.ok());
  const auto lines = score_lines(*ws, place(*ws));
  const std::vector<std::string> expected = {
      "pcmk__group_assign: a allocation score on solo: INFINITY",
      "pcmk__group_assign: b allocation score on solo: 0",
      "pcmk__group_assign: g allocation score on solo: 0",
      "pcmk__primitive_assign: a allocation score on solo: INFINITY",
      "pcmk__primitive_assign: b allocation score on solo: -INFINITY",
  };
  EXPECT_EQ(lines, expected);
}

TEST(SchedScores, BadXmlIsAnError) {
  auto r = score_lines_xml("<cib", "bad.xml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.rfind("bad.xml:1:", 0), 0u) << r.error().message;
}

}  // namespace
}  // namespace quorate::crm::sched
