// parse_cib_xml / parse_configuration_xml on invalid input: the exact error
// text, which names origin:line:col, the element's path and what was expected.
#include <gtest/gtest.h>

#include <string>

#include "crm/cib_xml.h"

namespace quorate::crm {
namespace {

std::string cib_error(const std::string& text) {
  Result<Cib> r = parse_cib_xml(text, "t.xml");
  return r.ok() ? "(parsed)" : r.error().message;
}

// A CIB whose <resources> holds `resources` and <constraints> `constraints`.
std::string cib_with(const std::string& resources, const std::string& constraints = "") {
  return "<cib epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\">\n"
         "  <configuration>\n"
         "    <crm_config/>\n"
         "    <nodes/>\n"
         "    <resources>\n" +
         resources +
         "    </resources>\n"
         "    <constraints>\n" +
         constraints +
         "    </constraints>\n"
         "  </configuration>\n"
         "</cib>\n";
}

TEST(CibXmlErrors, SyntaxErrorHasLineAndColumn) {
  EXPECT_EQ(cib_error("<cib>\n  <configuration>\n</cib>\n"),
            "t.xml:3:3: XML syntax error: Start-end tags mismatch");
  EXPECT_EQ(cib_error(""), "t.xml:1:1: XML syntax error: No document element found");
}

TEST(CibXmlErrors, WrongRoot) {
  EXPECT_EQ(cib_error("<configuration/>"),
            "t.xml:1:1: configuration: expected <cib> as the root element");
  Result<Configuration> r = parse_configuration_xml("<cib/>", "c.xml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "c.xml:1:1: cib: expected <configuration> as the root element");
}

TEST(CibXmlErrors, MissingConfiguration) {
  EXPECT_EQ(cib_error("<cib epoch=\"1\">\n  <status/>\n</cib>"),
            "t.xml:1:1: cib: missing <configuration>");
}

TEST(CibXmlErrors, BadCibInteger) {
  EXPECT_EQ(cib_error("<cib epoch=\"x1\"><configuration/></cib>"),
            "t.xml:1:1: cib: expected an integer for 'epoch', got 'x1'");
}

TEST(CibXmlErrors, MissingId) {
  EXPECT_EQ(cib_error(cib_with("      <primitive class=\"ocf\" provider=\"heartbeat\" "
                               "type=\"IPaddr2\"/>\n")),
            "t.xml:6:7: cib/configuration/resources/primitive: missing attribute 'id'");
}

TEST(CibXmlErrors, MissingAgentType) {
  EXPECT_EQ(cib_error(cib_with("      <primitive id=\"ip\" class=\"ocf\"/>\n")),
            "t.xml:6:7: cib/configuration/resources/primitive[@id='ip']: missing attribute "
            "'type'");
}

TEST(CibXmlErrors, UnknownSection) {
  EXPECT_EQ(cib_error("<cib>\n  <configuration>\n    <resource/>\n  </configuration>\n</cib>"),
            "t.xml:3:5: cib/configuration/resource: unknown section <resource> (expected "
            "crm_config, nodes, resources, constraints, rsc_defaults, op_defaults, "
            "fencing-topology, tags, acls or alerts)");
}

TEST(CibXmlErrors, SecondSection) {
  EXPECT_EQ(cib_error("<cib><configuration><nodes/><nodes/></configuration></cib>"),
            "t.xml:1:29: cib/configuration/nodes: a second <nodes> section");
}

TEST(CibXmlErrors, UnknownResourceElement) {
  EXPECT_EQ(cib_error(cib_with("      <primitiv id=\"ip\"/>\n")),
            "t.xml:6:7: cib/configuration/resources/primitiv[@id='ip']: unexpected element "
            "<primitiv> (expected primitive, group, clone, master, template or bundle)");
}

TEST(CibXmlErrors, DuplicateIdAcrossConfiguration) {
  EXPECT_EQ(cib_error(cib_with("      <primitive id=\"db\" class=\"lsb\" type=\"mysql\"/>\n"
                               "      <group id=\"g\">\n"
                               "        <primitive id=\"db\" class=\"lsb\" type=\"mysql\"/>\n"
                               "      </group>\n")),
            "t.xml:8:9: cib/configuration/resources/group[@id='g']/primitive[@id='db']: "
            "duplicate id 'db' (first used at line 6)");
  // A constraint may not reuse a resource's id either.
  EXPECT_EQ(cib_error(cib_with("      <primitive id=\"db\" class=\"lsb\" type=\"mysql\"/>\n",
                               "      <rsc_location id=\"db\" rsc=\"db\" node=\"n1\" "
                               "score=\"10\"/>\n")),
            "t.xml:9:7: cib/configuration/constraints/rsc_location[@id='db']: duplicate id 'db' "
            "(first used at line 6)");
}

TEST(CibXmlErrors, StatusIdsAreNotConfigurationIds) {
  // lrm_resource repeats the resource's id: that is how the status refers to it.
  const std::string text =
      "<cib><configuration><resources><primitive id=\"db\" class=\"lsb\" type=\"mysql\"/>"
      "</resources></configuration><status><node_state id=\"1\"><lrm id=\"1\"><lrm_resources>"
      "<lrm_resource id=\"db\" class=\"lsb\" type=\"mysql\"><lrm_rsc_op id=\"db_last_0\" "
      "operation=\"start\" call-id=\"3\" rc-code=\"0\" interval=\"0\"/></lrm_resource>"
      "</lrm_resources></lrm></node_state></status></cib>";
  Result<Cib> r = parse_cib_xml(text, "t.xml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const LrmRscOp& op = r->status->nodes.at(0).lrm->resources.at(0).ops.at(0);
  EXPECT_EQ(op.call_id, 3);
  EXPECT_EQ(op.rc_code, 0);
  EXPECT_EQ(op.interval_ms, 0);
}

TEST(CibXmlErrors, BadStatusInteger) {
  EXPECT_EQ(cib_error("<cib><configuration/><status><node_state id=\"1\"><lrm><lrm_resources>"
                      "<lrm_resource id=\"a\"><lrm_rsc_op id=\"a_0\" operation=\"start\" "
                      "rc-code=\"zero\"/></lrm_resource></lrm_resources></lrm></node_state>"
                      "</status></cib>"),
            "t.xml:1:90: cib/status/node_state[@id='1']/lrm/lrm_resources/lrm_resource[@id='a']/"
            "lrm_rsc_op[@id='a_0']: expected an integer for 'rc-code', got 'zero'");
}

// lrm_rsc_op and lrm_resource are read in one pass over their attributes
// (take_attrs): the same errors, in the same order, as the other elements.
std::string status_with(const std::string& lrm_resource) {
  return "<cib><configuration/><status><node_state id=\"1\"><lrm><lrm_resources>\n" + lrm_resource +
         "\n</lrm_resources></lrm></node_state></status></cib>";
}

TEST(CibXmlErrors, StatusHistoryMissingAttributes) {
  const std::string path = "cib/status/node_state[@id='1']/lrm/lrm_resources/";
  EXPECT_EQ(cib_error(status_with("<lrm_resource class=\"ocf\"/>")),
            "t.xml:2:1: " + path + "lrm_resource: missing attribute 'id'");
  EXPECT_EQ(cib_error(status_with("<lrm_resource id=\"a\"><lrm_rsc_op operation=\"start\" "
                                  "rc-code=\"x\"/></lrm_resource>")),
            "t.xml:2:22: " + path + "lrm_resource[@id='a']/lrm_rsc_op: missing attribute 'id'");
  // A missing operation is reported before a bad integer.
  EXPECT_EQ(cib_error(status_with("<lrm_resource id=\"a\"><lrm_rsc_op id=\"a_0\" "
                                  "rc-code=\"x\"/></lrm_resource>")),
            "t.xml:2:22: " + path +
                "lrm_resource[@id='a']/lrm_rsc_op[@id='a_0']: missing attribute 'operation'");
  // Integers are checked in the model's order: call-id before rc-code.
  EXPECT_EQ(cib_error(status_with("<lrm_resource id=\"a\"><lrm_rsc_op id=\"a_0\" "
                                  "operation=\"start\" rc-code=\"x\" call-id=\"\"/>"
                                  "</lrm_resource>")),
            "t.xml:2:22: " + path +
                "lrm_resource[@id='a']/lrm_rsc_op[@id='a_0']: expected an integer for 'call-id', "
                "got ''");
  EXPECT_EQ(cib_error(status_with("<lrm_resource id=\"a\"><lrm_rsc_op id=\"a_0\" "
                                  "operation=\"start\"><x/></lrm_rsc_op></lrm_resource>")),
            "t.xml:2:61: " + path +
                "lrm_resource[@id='a']/lrm_rsc_op[@id='a_0']/x: unexpected element <x> "
                "(expected no child elements)");
}

TEST(CibXmlErrors, StatusHistoryKeepsUnknownAndRepeatedAttributesInOrder) {
  // Attributes in an unusual order, one the model does not name, and a
  // repeated one (pugixml accepts it): the first value is typed, the rest is
  // kept in `extra` in document order.
  Result<Cib> r = parse_cib_xml(
      status_with("<lrm_resource type=\"Dummy\" zz=\"1\" id=\"a\" class=\"ocf\" id=\"b\">"
                  "<lrm_rsc_op op-digest=\"d\" call-id=\"+7\" op-force-restart=\" x \" "
                  "operation=\"start\" id=\"a_0\" rc-code=\"-1\" operation=\"stop\" "
                  "on_node=\"n1\"/></lrm_resource>"),
      "t.xml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  const LrmResource& lr = r->status->nodes.at(0).lrm->resources.at(0);
  EXPECT_EQ(lr.id, "a");
  EXPECT_EQ(lr.resource_class, "ocf");
  EXPECT_EQ(lr.type, "Dummy");
  EXPECT_EQ(lr.provider, std::nullopt);
  EXPECT_EQ(lr.extra, (Attrs{{"zz", "1"}, {"id", "b"}}));
  const LrmRscOp& op = lr.ops.at(0);
  EXPECT_EQ(op.id, "a_0");
  EXPECT_EQ(op.operation, "start");
  EXPECT_EQ(op.call_id, 7);
  EXPECT_EQ(op.rc_code, -1);
  EXPECT_EQ(op.op_status, std::nullopt);
  EXPECT_EQ(op.op_digest, "d");
  EXPECT_EQ(op.on_node, "n1");
  EXPECT_EQ(op.extra, (Attrs{{"op-force-restart", " x "}, {"operation", "stop"}}));
}

TEST(CibXmlErrors, CloneNeedsOneChild) {
  EXPECT_EQ(cib_error(cib_with("      <clone id=\"c\"/>\n")),
            "t.xml:6:7: cib/configuration/resources/clone[@id='c']: expected a <primitive> or "
            "<group> inside");
  EXPECT_EQ(cib_error(cib_with("      <clone id=\"c\">\n"
                               "        <primitive id=\"a\" class=\"lsb\" type=\"a\"/>\n"
                               "        <primitive id=\"b\" class=\"lsb\" type=\"b\"/>\n"
                               "      </clone>\n")),
            "t.xml:8:9: cib/configuration/resources/clone[@id='c']/primitive[@id='b']: a clone "
            "holds one primitive or group, not two");
}

TEST(CibXmlErrors, EmptyGroup) {
  EXPECT_EQ(cib_error(cib_with("      <group id=\"g\"/>\n")),
            "t.xml:6:7: cib/configuration/resources/group[@id='g']: a group needs at least one "
            "<primitive>");
}

TEST(CibXmlErrors, OpNeedsInterval) {
  EXPECT_EQ(cib_error(cib_with("      <primitive id=\"a\" class=\"lsb\" type=\"a\">\n"
                               "        <operations>\n"
                               "          <op id=\"a-monitor\" name=\"monitor\"/>\n"
                               "        </operations>\n"
                               "      </primitive>\n")),
            "t.xml:8:11: cib/configuration/resources/primitive[@id='a']/operations/"
            "op[@id='a-monitor']: missing attribute 'interval'");
}

TEST(CibXmlErrors, LocationNeedsAResource) {
  EXPECT_EQ(cib_error(cib_with("", "      <rsc_location id=\"l\" node=\"n1\" score=\"10\"/>\n")),
            "t.xml:8:7: cib/configuration/constraints/rsc_location[@id='l']: expected 'rsc', "
            "'rsc-pattern' or a <resource_set>");
}

TEST(CibXmlErrors, OrderNeedsBothEnds) {
  EXPECT_EQ(cib_error(cib_with("", "      <rsc_order id=\"o\" first=\"a\"/>\n")),
            "t.xml:8:7: cib/configuration/constraints/rsc_order[@id='o']: expected 'first' and "
            "'then', or <resource_set> elements");
}

TEST(CibXmlErrors, UnknownRuleTerm) {
  EXPECT_EQ(cib_error(cib_with("",
                               "      <rsc_location id=\"l\" rsc=\"a\">\n"
                               "        <rule id=\"r\" score=\"10\"><expr id=\"e\"/></rule>\n"
                               "      </rsc_location>\n")),
            "t.xml:9:33: cib/configuration/constraints/rsc_location[@id='l']/rule[@id='r']/"
            "expr[@id='e']: unexpected element <expr> (expected expression, date_expression, "
            "rsc_expression, op_expression or rule)");
}

TEST(CibXmlErrors, ExpressionNeedsOperation) {
  EXPECT_EQ(cib_error(cib_with("",
                               "      <rsc_location id=\"l\" rsc=\"a\">\n"
                               "        <rule id=\"r\" score=\"10\">\n"
                               "          <expression id=\"e\" attribute=\"#uname\"/>\n"
                               "        </rule>\n"
                               "      </rsc_location>\n")),
            "t.xml:10:11: cib/configuration/constraints/rsc_location[@id='l']/rule[@id='r']/"
            "expression[@id='e']: missing attribute 'operation'");
}

}  // namespace
}  // namespace quorate::crm
