// The typed model as the scheduler and the crm language see it: fields land
// where they belong, and values written by hand come out as Pacemaker XML.
#include <gtest/gtest.h>

#include <string>

#include "crm/cib_xml.h"
#include "tests/unit/crm_cib/test_support.h"

namespace quorate::crm {
namespace {

TEST(CibModel, SeedConfigurationIsTyped) {
  const std::string path = testing::shared_dir() + "/corpus/crmsh/cases/01-seed-drbd-mysql.xml";
  Result<Configuration> r = parse_configuration_xml(testing::read_file(path), path);
  ASSERT_TRUE(r.ok()) << r.error().message;
  const Configuration& c = *r;
  ASSERT_EQ(c.crm_config.size(), 1u);
  EXPECT_EQ(c.crm_config[0].kind, SetKind::kClusterProperty);
  ASSERT_NE(c.crm_config[0].find("no-quorum-policy"), nullptr);
  EXPECT_EQ(*c.crm_config[0].find("no-quorum-policy"), "ignore");
  ASSERT_EQ(c.nodes.size(), 2u);
  EXPECT_EQ(c.nodes[1].uname, "hadb02");

  ASSERT_EQ(c.resources.size(), 2u);
  const Clone& ms = std::get<Clone>(c.resources[0]);
  EXPECT_EQ(ms.element, CloneElement::kMaster);
  EXPECT_TRUE(ms.promotable());
  const Primitive& drbd = std::get<Primitive>(ms.child);
  EXPECT_EQ(drbd.resource_class, "ocf");
  EXPECT_EQ(drbd.provider, "linbit");
  EXPECT_EQ(drbd.type, "drbd");
  ASSERT_TRUE(drbd.operations.has_value());
  ASSERT_EQ(drbd.operations->ops.size(), 2u);
  EXPECT_EQ(drbd.operations->ops[0].interval, "29s");
  EXPECT_EQ(drbd.operations->ops[0].role, "Master");
  const Group& g = std::get<Group>(c.resources[1]);
  ASSERT_EQ(g.members.size(), 2u);
  EXPECT_EQ(g.members[1].id, "mysqld");
  EXPECT_EQ(resource_id(c.resources[1]), "mysql");

  ASSERT_EQ(c.constraints.size(), 2u);
  const Colocation& col = std::get<Colocation>(c.constraints[0]);
  EXPECT_EQ(col.with_rsc_role, "Master");
  EXPECT_EQ(col.score, "INFINITY");
  const Order& o = std::get<Order>(c.constraints[1]);
  EXPECT_EQ(o.kind, "Mandatory");
  EXPECT_EQ(o.first_action, "promote");
}

TEST(CibModel, HandBuiltCibWritesPacemakerXml) {
  Cib cib;
  cib.epoch = 3;
  cib.extra = {{"have-quorum", "1"}};
  Primitive ip;
  ip.id = "ip";
  ip.resource_class = "ocf";
  ip.provider = "heartbeat";
  ip.type = "IPaddr2";
  AttrSet params{.kind = SetKind::kInstance, .id = "ip-instance_attributes"};
  params.nvpairs.push_back(
      NvPair{.id = "ip-instance_attributes-ip", .name = "ip", .value = "10.0.0.5"});
  ip.sets.push_back(params);
  ip.operations.emplace();
  ip.operations->ops.push_back(
      Op{.id = "ip-monitor-10s", .name = "monitor", .interval = "10s", .timeout = "20s"});
  cib.configuration.resources.push_back(ip);
  Location loc{.id = "ip-prefers-n1", .rsc = "ip", .node = "n1", .score = "100"};
  cib.configuration.constraints.push_back(loc);
  cib.configuration.rsc_defaults.emplace();
  AttrSet stick{.kind = SetKind::kMeta, .id = "rsc-options"};
  stick.nvpairs.push_back(
      NvPair{.id = "rsc-options-stickiness", .name = "resource-stickiness", .value = "100"});
  cib.configuration.rsc_defaults->push_back(stick);
  cib.status.emplace();
  NodeState n1{.id = "1", .uname = "n1", .in_ccm = "true", .crmd = "online"};
  n1.lrm.emplace();
  LrmResource lr{.id = "ip", .resource_class = "ocf", .provider = "heartbeat", .type = "IPaddr2"};
  lr.ops.push_back(LrmRscOp{.id = "ip_last_0",
                            .operation = "start",
                            .call_id = 4,
                            .rc_code = 0,
                            .op_status = 0,
                            .interval_ms = 0});
  n1.lrm->resources.push_back(lr);
  cib.status->nodes.push_back(n1);

  const std::string expected =
      R"(<cib validate-with="pacemaker-3.0" epoch="3" num_updates="0" admin_epoch="0" have-quorum="1">
  <configuration>
    <crm_config/>
    <nodes/>
    <resources>
      <primitive id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="ip-instance_attributes">
          <nvpair id="ip-instance_attributes-ip" name="ip" value="10.0.0.5"/>
        </instance_attributes>
        <operations>
          <op id="ip-monitor-10s" name="monitor" interval="10s" timeout="20s"/>
        </operations>
      </primitive>
    </resources>
    <constraints>
      <rsc_location id="ip-prefers-n1" rsc="ip" node="n1" score="100"/>
    </constraints>
    <rsc_defaults>
      <meta_attributes id="rsc-options">
        <nvpair id="rsc-options-stickiness" name="resource-stickiness" value="100"/>
      </meta_attributes>
    </rsc_defaults>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online">
      <lrm>
        <lrm_resources>
          <lrm_resource id="ip" class="ocf" provider="heartbeat" type="IPaddr2">
            <lrm_rsc_op id="ip_last_0" operation="start" call-id="4" rc-code="0" op-status="0" interval="0"/>
          </lrm_resource>
        </lrm_resources>
      </lrm>
    </node_state>
  </status>
</cib>
)";
  EXPECT_EQ(write_cib_xml(cib), expected);
  Result<Cib> back = parse_cib_xml(expected, "expected.xml");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(*back == cib);
}

TEST(CibModel, UnknownAttributesAndSectionsSurvive) {
  const std::string text =
      "<cib epoch=\"1\" num_updates=\"2\" admin_epoch=\"0\" future=\"x\">"
      "<configuration><resources><primitive id=\"a\" class=\"lsb\" type=\"a\" zz=\"1\" "
      "aa=\"2\"/></resources><tags><tag id=\"t\"><obj_ref id=\"a\"/></tag></tags>"
      "</configuration></cib>";
  Result<Cib> r = parse_cib_xml(text, "t.xml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->extra, (Attrs{{"future", "x"}}));
  EXPECT_EQ(std::get<Primitive>(r->configuration.resources[0]).extra,
            (Attrs{{"zz", "1"}, {"aa", "2"}}));
  ASSERT_EQ(r->configuration.other_sections.size(), 1u);
  EXPECT_EQ(write_xml_element(r->configuration.other_sections[0]),
            "<tags>\n  <tag id=\"t\">\n    <obj_ref id=\"a\"/>\n  </tag>\n</tags>\n");
}

}  // namespace
}  // namespace quorate::crm
