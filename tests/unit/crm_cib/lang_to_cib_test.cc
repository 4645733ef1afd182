// crm configure language → CIB model over the crmsh corpus: every valid case
// parsed, checked and converted writes, after normalization, the
// <configuration> crmsh produced. Cases listed in
// lang_to_cib_expected_pass.txt must keep passing.
#include "crm/lang_to_cib.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crm/cib_xml.h"
#include "crm/lang_check.h"
#include "crm/lang_parser.h"
#include "tests/unit/crm_cib/test_support.h"

namespace quorate::crm::lang {
namespace {

using crm::testing::expected_pass;
using crm::testing::files_with_suffix;
using crm::testing::normalize_configuration;
using crm::testing::read_file;
using crm::testing::shared_dir;

std::string base_name(const std::string& path) {
  std::string b = path.substr(path.find_last_of('/') + 1);
  return b.substr(0, b.size() - 4);
}

// "" when the case converts to crmsh's configuration, else what differs.
std::string run_case(const std::string& crm_path, const std::string& xml_path) {
  const std::string name = base_name(crm_path);
  auto parsed = parse_crm(read_file(crm_path), name + ".crm");
  if (!parsed.ok()) return "parse: " + parsed.error().message;
  Status st = check_crm(*parsed);
  if (!st.ok()) return "check: " + st.error().message;
  auto conf = to_configuration(*parsed);
  if (!conf.ok()) return "convert: " + conf.error().message;
  std::string want = read_file(xml_path);
  while (!want.empty() && want.back() == '\n') want.pop_back();
  const std::string got = normalize_configuration(write_configuration_xml(*conf));
  if (got == want) return "";
  return "differs:\n--- got\n" + got + "\n--- want\n" + want;
}

TEST(LangToCib, CrmshCorpus) {
  const std::string dir = shared_dir() + "/corpus/crmsh/cases";
  const auto files = files_with_suffix(dir, ".xml");
  ASSERT_FALSE(files.empty()) << "corpus not found under " << dir;
  const std::set<std::string> must = expected_pass("lang_to_cib_expected_pass.txt");
  ASSERT_FALSE(must.empty()) << "expected-pass list not found";
  const bool verbose = std::getenv("LANG_TO_CIB_VERBOSE") != nullptr;
  int passed = 0;
  int failed = 0;
  std::string passing;
  for (const std::string& xml : files) {
    const std::string name = base_name(xml);
    const std::string why = run_case(dir + "/" + name + ".crm", xml);
    if (why.empty()) {
      ++passed;
      passing += name + "\n";
      continue;
    }
    ++failed;
    if (must.count(name) != 0) ADD_FAILURE() << name << " regressed: " << why;
    if (verbose) std::printf("FAIL %s: %s\n", name.c_str(), why.c_str());
  }
  std::printf("crm→cib: %d passed, %d failed\n", passed, failed);
  if (verbose) std::printf("passing:\n%s", passing.c_str());
}

}  // namespace
}  // namespace quorate::crm::lang
