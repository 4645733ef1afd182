// crm configure language → CIB beyond the crmsh corpus for fencing_topology,
// role, acl_target, alert and bundle: references to what is not defined and
// bad ACL specifications are errors naming the position and the command;
// shortcuts, alert part order and generated ids as crmsh makes them; a
// configure session commits these sections to a CIB and reads them back.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crm/cib_xml.h"
#include "crm/configure_session.h"
#include "crm/lang_parser.h"
#include "crm/lang_printer.h"
#include "crm/lang_to_cib.h"

namespace quorate::crm::lang {
namespace {

const char* const kStonith =
    "node n1\n"
    "node n2\n"
    "primitive st1 stonith:null params hostlist=\"n1 n2\"\n"
    "primitive st2 stonith:null params hostlist=\"n1 n2\"\n";

// The conversion error for `text`, or "(converted)".
std::string convert_error(const std::string& text) {
  auto parsed = parse_crm(text, "t.crm");
  if (!parsed.ok()) return "parse: " + parsed.error().message;
  auto conf = to_configuration(*parsed);
  return conf.ok() ? "(converted)" : conf.error().message;
}

// The <configuration> written for `text` ("" with a failure recorded).
std::string convert(const std::string& text) {
  auto parsed = parse_crm(text, "t.crm");
  if (!parsed.ok()) {
    ADD_FAILURE() << parsed.error().message;
    return "";
  }
  auto conf = to_configuration(*parsed);
  if (!conf.ok()) {
    ADD_FAILURE() << conf.error().message;
    return "";
  }
  return write_configuration_xml(*conf);
}

bool contains(const std::string& hay, const std::string& needle) {
  return hay.find(needle) != std::string::npos;
}

TEST(LangToCibSections, UnknownFencingDevice) {
  EXPECT_EQ(convert_error(std::string(kStonith) + "fencing_topology n1: st1,st9 st2\n"),
            "t.crm:5:1: fencing_topology 'st1,st9': fencing device st9 does not exist");
}

TEST(LangToCibSections, UnknownFencingNode) {
  EXPECT_EQ(convert_error(std::string(kStonith) + "fencing_topology n1: st1 n7: st2\n"),
            "t.crm:5:1: fencing_topology 'n7:': node n7 does not exist");
}

TEST(LangToCibSections, DevicesOnlyNeedNodes) {
  EXPECT_EQ(convert_error("primitive st1 stonith:null\nfencing_topology st1\n"),
            "t.crm:2:1: fencing_topology levels without a target need nodes, and no node is "
            "defined");
}

TEST(LangToCibSections, BadAttributeTarget) {
  EXPECT_EQ(convert_error(std::string(kStonith) + "fencing_topology attr:rack st1\n"),
            "t.crm:5:1: fencing_topology 'attr:rack': expected attr:NAME=VALUE");
}

TEST(LangToCibSections, AclTargetUnknownRole) {
  EXPECT_EQ(convert_error("role r1 read cib\nacl_target alice r1 nobody\n"),
            "t.crm:2:1: acl_target alice: role nobody does not exist");
}

TEST(LangToCibSections, AclSpecErrors) {
  EXPECT_EQ(convert_error("role r1 read colour:red\n"),
            "t.crm:1:1: role r1: 'colour:red': unknown permission specification colour "
            "(expected xpath:, ref:, type:, attr: or a shortcut)");
  EXPECT_EQ(convert_error("role r1 read meta\n"),
            "t.crm:1:1: role r1: 'meta': missing argument to ACL shortcut meta");
  EXPECT_EQ(convert_error("role r1 read meta:d0:a:b\n"),
            "t.crm:1:1: role r1: 'meta:d0:a:b': too many arguments to ACL shortcut meta");
  EXPECT_EQ(convert_error("role r1 read attr:uname\n"),
            "t.crm:1:1: role r1: attribute is only valid in combination with tag/object-type");
  EXPECT_EQ(convert_error("role r1 read ref:\n"),
            "t.crm:1:1: role r1: 'ref:': expected ref:<spec>");
}

TEST(LangToCibSections, BundleUnknownPrimitive) {
  EXPECT_EQ(convert_error("bundle b1 docker image=x primitive ghost\n"),
            "t.crm:1:1: bundle b1: primitive ghost does not exist");
  EXPECT_EQ(convert_error("bundle b1 docker image\n"),
            "t.crm:1:1: bundle b1: 'image' in docker: expected name=value");
}

TEST(LangToCibSections, AclShortcutsAndSplitPermission) {
  const std::string xml = convert(
      "primitive d0 ocf:pacemaker:Dummy\n"
      "role r1 read params:d0:ip write location:d0 read type:node attribute:uname ref:d0\n");
  EXPECT_TRUE(contains(xml,
                       "<acl_permission id=\"r1-0\" kind=\"read\" "
                       "xpath=\"//primitive[@id='d0']/instance_attributes/nvpair[@name='ip']\"/>"))
      << xml;
  EXPECT_TRUE(contains(xml, "xpath=\"//rsc_location[@id='cli-prefer-d0' and @rsc='d0']\"")) << xml;
  // One permission with a reference and an object type: two elements.
  EXPECT_TRUE(contains(xml, "<acl_permission id=\"r1-2\" kind=\"read\" reference=\"d0\"/>")) << xml;
  EXPECT_TRUE(contains(
      xml, "<acl_permission id=\"r1-3\" kind=\"read\" object-type=\"node\" attribute=\"uname\"/>"))
      << xml;
}

TEST(LangToCibSections, AlertSetsBelongWhereWritten) {
  // Unbraced: the meta after the recipient is the recipient's; braced: the
  // alert's, after the recipient.
  const std::string xml = convert(
      "alert a1 /p to /r1 meta timeout=5s\n"
      "alert a2 /p to { /r2 meta timeout=6s } meta timeout=7s\n");
  EXPECT_TRUE(contains(xml,
                       "      <recipient id=\"a1-recipient-1\" value=\"/r1\">\n"
                       "        <meta_attributes id=\"a1-recipient-1-meta_attributes\">\n"))
      << xml;
  EXPECT_TRUE(contains(xml,
                       "      <recipient id=\"a2-recipient-1\" value=\"/r2\">\n"
                       "        <meta_attributes id=\"a2-recipient-1-meta_attributes\">\n"
                       "          <nvpair id=\"a2-recipient-1-meta_attributes-timeout\" "
                       "name=\"timeout\" value=\"6s\"/>\n"
                       "        </meta_attributes>\n"
                       "      </recipient>\n"
                       "      <meta_attributes id=\"a2-meta_attributes\">\n"))
      << xml;
  // show keeps the meaning: the recipient's set inside its braces.
  auto parsed = parse_crm("alert a2 /p to { /r2 meta timeout=6s } meta timeout=7s\n", "t.crm");
  ASSERT_TRUE(parsed.ok());
  const std::string shown = show(*parsed);
  EXPECT_TRUE(contains(shown, "to { \"/r2\" meta timeout=6s }")) << shown;
  auto again = parse_crm(shown, "shown.crm");
  ASSERT_TRUE(again.ok()) << again.error().message << "\n" << shown;
  ASSERT_EQ(again->size(), 1u);
  EXPECT_EQ(std::get<Alert>((*again)[0].body).layout, std::get<Alert>((*parsed)[0].body).layout);
}

TEST(LangToCibSections, FencingIdsAvoidTakenIds) {
  const std::string xml =
      convert(std::string(kStonith) + "primitive fencing stonith:null\nfencing_topology st1\n");
  EXPECT_TRUE(contains(xml, "id=\"fencing-0\" target=\"n1\" index=\"1\" devices=\"st1\"")) << xml;
  EXPECT_TRUE(contains(xml, "id=\"fencing-1\" target=\"n2\" index=\"1\" devices=\"st1\"")) << xml;
}

// A configure session commits the sections, reads them back from the
// written CIB unchanged, and regenerates one whose definitions change.
TEST(LangToCibSections, ConfigureSessionCommits) {
  auto empty = parse_cib_xml(
      "<cib epoch=\"1\" num_updates=\"0\" admin_epoch=\"0\"><configuration><crm_config/>"
      "<nodes/><resources/><constraints/></configuration></cib>",
      "cib.xml");
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  ConfigureSession session(*empty, "cib.xml");
  auto script = parse_crm(std::string(kStonith) +
                              "fencing_topology st1 st2\n"
                              "role r1 read cib\n"
                              "acl_target alice r1\n"
                              "alert a1 /p to /r\n"
                              "primitive web ocf:heartbeat:apache\n"
                              "bundle b1 docker image=x network port-mapping port=80 "
                              "primitive web\n",
                          "s.crm");
  ASSERT_TRUE(script.ok()) << script.error().message;
  for (const auto& c : *script) {
    auto errors = session.execute(c);
    ASSERT_TRUE(errors.empty()) << errors.front().message;
  }
  auto committed = session.commit();
  ASSERT_TRUE(committed.ok()) << committed.error().message;
  const std::string text = write_cib_xml(*committed);
  for (const char* want :
       {"<fencing-level id=\"fencing\" target=\"n1\" index=\"1\" devices=\"st1\"/>",
        "<acl_permission id=\"r1-0\" kind=\"read\" xpath=\"/cib\"/>", "<role id=\"r1\"/>",
        "<recipient id=\"a1-recipient-1\" value=\"/r\"/>",
        "<port-mapping id=\"b1-0\" port=\"80\"/>",
        "<primitive id=\"web\" class=\"ocf\" provider=\"heartbeat\" type=\"apache\"/>"}) {
    EXPECT_TRUE(contains(text, want)) << want << "\n" << text;
  }

  // Read back: the same configuration comes out of a session over it.
  auto reread = parse_cib_xml(text, "cib.xml");
  ASSERT_TRUE(reread.ok()) << reread.error().message;
  ConfigureSession second(*reread, "cib.xml");
  EXPECT_EQ(write_cib_xml(*reread), text);
  EXPECT_TRUE(second.configuration() == reread->configuration);

  // A changed alert is rewritten; the rest stays.
  auto edit = parse_crm("delete a1\nalert a1 /q to /r2\n", "e.crm");
  ASSERT_TRUE(edit.ok());
  for (const auto& c : *edit) {
    auto errors = second.execute(c);
    ASSERT_TRUE(errors.empty()) << errors.front().message;
  }
  auto next = second.commit();
  ASSERT_TRUE(next.ok()) << next.error().message;
  const std::string text2 = write_cib_xml(*next);
  EXPECT_TRUE(contains(text2, "<alert id=\"a1\" path=\"/q\">")) << text2;
  EXPECT_TRUE(contains(text2, "<fencing-level id=\"fencing-1\" target=\"n2\" index=\"1\""))
      << text2;

  // A role an acl_target names cannot be deleted from under it.
  ConfigureSession third(*reread, "cib.xml");
  auto del = parse_crm("delete r1\n", "d.crm");
  ASSERT_TRUE(del.ok());
  auto errors = third.execute((*del)[0]);
  ASSERT_TRUE(errors.empty()) << errors.front().message;
  auto bad = third.commit();
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "cib.xml: acl_target alice: role r1 does not exist");
}

}  // namespace
}  // namespace quorate::crm::lang
