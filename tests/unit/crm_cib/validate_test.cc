// Whole-configuration validation (crm/cib_validate.h): the value checks, each
// kind of finding on a small configuration, and no error on any valid case of
// the crmsh corpus.
#include <gtest/gtest.h>

#include <string>

#include "crm/cib_validate.h"
#include "crm/cib_xml.h"
#include "crm/lang_parser.h"
#include "crm/lang_to_cib.h"
#include "tests/unit/crm_cib/test_support.h"

namespace quorate::crm {
namespace {

Configuration from_crm(const std::string& text) {
  auto parsed = lang::parse_crm(text, "t.crm");
  EXPECT_TRUE(parsed.ok()) << parsed.error().message;
  auto conf = lang::to_configuration(*parsed);
  EXPECT_TRUE(conf.ok()) << conf.error().message;
  return *conf;
}

std::string errors_of(const Configuration& conf) {
  std::string out;
  for (const auto& f : validate_configuration(conf)) {
    if (f.severity == Finding::Severity::kError) out += f.object + " | " + f.message + "\n";
  }
  return out;
}

TEST(Validate, ValueChecks) {
  for (const char* s : {"0", "-100", "+5", "INFINITY", "-inf", "+Infinity", "red"})
    EXPECT_TRUE(is_score(s)) << s;
  for (const char* s : {"", "abc", "1.5", "--1", "inf1"}) EXPECT_FALSE(is_score(s)) << s;
  for (const char* s : {"true", "no", "On", "1", "y"}) EXPECT_TRUE(is_boolean(s)) << s;
  for (const char* s : {"maybe", "", "2"}) EXPECT_FALSE(is_boolean(s)) << s;
  for (const char* s : {"0", "10", "10s", "500ms", "5min", "1h", "2hr", "P1D", "PT30S", "P1DT2H"})
    EXPECT_TRUE(is_duration(s)) << s;
  for (const char* s : {"", "abc", "10x", "-5s", "P", "PT", "P1H"})
    EXPECT_FALSE(is_duration(s)) << s;
  for (const char* s : {"Started", "master", "Unpromoted"}) EXPECT_TRUE(is_role(s)) << s;
  EXPECT_FALSE(is_role("Running"));
}

TEST(Validate, UnknownReferences) {
  const auto e =
      errors_of(from_crm("primitive a Dummy\n"
                         "location l1 ghost 100: n1\n"
                         "colocation c1 inf: a ghost2\n"
                         "order o1 Mandatory: ghost3 a\n"
                         "order o2 Optional: a ( b c )\n"));
  EXPECT_NE(e.find("l1 | l1: rsc 'ghost' names no resource"), std::string::npos) << e;
  EXPECT_NE(e.find("c1 | c1: with-rsc 'ghost2' names no resource"), std::string::npos) << e;
  EXPECT_NE(e.find("o1 | o1: first 'ghost3' names no resource"), std::string::npos) << e;
  EXPECT_NE(e.find("o2: resource_ref 'b' names no resource"), std::string::npos) << e;
}

TEST(Validate, DuplicateIdsAndDuplicateOps) {
  auto conf = from_crm("primitive a Dummy params $id=same x=1 meta $id=same y=2\n");
  EXPECT_NE(errors_of(conf).find("same: id is used more than once"), std::string::npos)
      << errors_of(conf);
  conf =
      from_crm("primitive a Dummy op monitor interval=10s op monitor interval=10s role=Master\n");
  EXPECT_NE(errors_of(conf).find("a: op monitor interval 10s is defined twice"), std::string::npos)
      << errors_of(conf);
}

TEST(Validate, ScoresIntervalsAndMeta) {
  const auto e = errors_of(from_crm(
      "primitive a Dummy meta target-role=Running is-managed=perhaps priority=high "
      "op monitor interval=fast timeout=10q on-fail=explode\n"
      "clone c a meta clone-max=-1 clone-node-max=two\n"
      "property no-quorum-policy=panic stonith-enabled=maybe cluster-recheck-interval=soon\n"
      "rsc_defaults resource-stickiness=lots\n"
      "op_defaults timeout=never\n"));
  for (const char* want :
       {"a: target-role 'Running' is not a role", "a: is-managed 'perhaps' is not a boolean",
        "a: priority 'high' is not an integer", "a: op monitor interval 'fast' is not a duration",
        "a: op monitor timeout '10q' is not a duration",
        "a: op monitor on-fail 'explode' is not one of",
        "c: clone-max '-1' must be a non-negative integer",
        "c: clone-node-max 'two' must be a non-negative integer",
        "no-quorum-policy 'panic' is not one of stop, freeze, ignore",
        "stonith-enabled 'maybe' is not a boolean",
        "cluster-recheck-interval 'soon' is not a duration",
        "rsc-options: resource-stickiness 'lots' is not a score",
        "op-options: timeout 'never' is not a duration"}) {
    EXPECT_NE(e.find(want), std::string::npos) << want << "\n" << e;
  }
}

TEST(Validate, BadScoreInXml) {
  auto conf = parse_configuration_xml(
      "<configuration><crm_config/><nodes/><resources>"
      "<primitive id=\"a\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"/></resources>"
      "<constraints><rsc_location id=\"l\" rsc=\"a\" node=\"n1\" score=\"lots\"/>"
      "<rsc_order id=\"o\" first=\"a\" then=\"a\" kind=\"Sometimes\" first-action=\"jump\"/>"
      "</constraints></configuration>",
      "x.xml");
  ASSERT_TRUE(conf.ok()) << conf.error().message;
  const auto e = errors_of(*conf);
  EXPECT_NE(e.find("l: score 'lots' is not a score"), std::string::npos) << e;
  EXPECT_NE(e.find("o: kind 'Sometimes' is not one of Mandatory, Optional, Serialize"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("o: first-action 'jump' is not one of start"), std::string::npos) << e;
  // The unknown node is a warning, not an error.
  bool warned = false;
  for (const auto& f : validate_configuration(*conf))
    warned |= f.severity == Finding::Severity::kWarning &&
              f.message.find("referenced node n1 does not exist") != std::string::npos;
  EXPECT_TRUE(warned);
}

TEST(Validate, RequiredAgentParameters) {
  const auto e = errors_of(from_crm("primitive ip IPaddr2 params cidr_netmask=24\n"));
  EXPECT_NE(e.find("ip: required parameter \"ip\" not defined"), std::string::npos) << e;
}

TEST(Validate, ValidCorpusCasesHaveNoErrors) {
  const std::string dir = testing::shared_dir() + "/corpus/crmsh/cases";
  const auto files = testing::files_with_suffix(dir, ".xml");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    auto conf = parse_configuration_xml(testing::read_file(f), f);
    ASSERT_TRUE(conf.ok()) << conf.error().message;
    EXPECT_EQ(errors_of(*conf), "") << f;
  }
}

}  // namespace
}  // namespace quorate::crm
