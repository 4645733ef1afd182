// CIB model → crm configure language over the crmsh corpus: every valid
// case's expected <configuration> (.xml), parsed, converted back to commands
// (cib_to_lang.h) and shown (lang_printer.h), prints the `show` text crmsh
// printed (.show). Cases listed in cib_to_lang_expected_pass.txt must keep
// passing; CIB_TO_LANG_VERBOSE=1 prints what differs.
#include "crm/cib_to_lang.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crm/cib_xml.h"
#include "crm/lang_check.h"
#include "crm/lang_parser.h"
#include "crm/lang_printer.h"
#include "crm/lang_to_cib.h"
#include "tests/unit/crm_cib/test_support.h"

namespace quorate::crm::lang {
namespace {

using crm::testing::expected_pass;
using crm::testing::files_with_suffix;
using crm::testing::normalize_configuration;
using crm::testing::read_file;
using crm::testing::shared_dir;

// "" when the case's XML shows as crmsh showed it, else what differs.
std::string run_case(const std::string& xml_path, const std::string& show_path) {
  auto conf = parse_configuration_xml(read_file(xml_path), xml_path);
  if (!conf.ok()) return "xml: " + conf.error().message;
  const std::vector<Command> cmds = from_configuration(*conf, xml_path);
  Applied applied = apply_commands(cmds);
  if (!applied.errors.empty()) return "apply: " + applied.errors.front().message;
  const std::string got = show(cmds);
  const std::string want = read_file(show_path);
  if (got == want) return "";
  return "differs:\n--- got\n" + got + "--- want\n" + want;
}

TEST(CibToLang, CrmshCorpusShow) {
  const std::string dir = shared_dir() + "/corpus/crmsh/cases";
  const auto files = files_with_suffix(dir, ".show");
  ASSERT_FALSE(files.empty()) << "corpus not found under " << dir;
  const std::set<std::string> must = expected_pass("cib_to_lang_expected_pass.txt");
  ASSERT_FALSE(must.empty()) << "expected-pass list not found";
  const bool verbose = std::getenv("CIB_TO_LANG_VERBOSE") != nullptr;
  int passed = 0;
  int failed = 0;
  std::string passing;
  for (const std::string& show_path : files) {
    std::string name = show_path.substr(show_path.find_last_of('/') + 1);
    name = name.substr(0, name.size() - 5);  // without ".show"
    const std::string why = run_case(dir + "/" + name + ".xml", show_path);
    if (why.empty()) {
      ++passed;
      passing += name + "\n";
      continue;
    }
    ++failed;
    if (must.count(name) != 0) ADD_FAILURE() << name << " regressed: " << why;
    if (verbose) std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
  }
  std::printf("cib→crm show: %d passed, %d failed\n", passed, failed);
  if (verbose) std::printf("passing:\n%s", passing.c_str());
}

// The commands for a corpus configuration convert back to the same XML
// (ids kept), for the cases where crm→cib already matches crmsh.
TEST(CibToLang, RoundTripKeepsIds) {
  const std::string dir = shared_dir() + "/corpus/crmsh/cases";
  int checked = 0;
  for (const std::string& name : expected_pass("lang_to_cib_expected_pass.txt")) {
    const std::string xml = read_file(dir + "/" + name + ".xml");
    auto conf = parse_configuration_xml(xml, name);
    ASSERT_TRUE(conf.ok()) << conf.error().message;
    auto back = to_configuration(from_configuration(*conf, name));
    ASSERT_TRUE(back.ok()) << name << ": " << back.error().message;
    std::string want = xml;
    while (!want.empty() && want.back() == '\n') want.pop_back();
    EXPECT_EQ(normalize_configuration(write_configuration_xml(*back)), want) << name;
    ++checked;
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace quorate::crm::lang
