// Conformance of the crm configure language front end against the crmsh 4.4
// corpus (../shared/corpus/crmsh/cases): a valid case must parse and `show`
// must print its .show byte for byte; an invalid case must fail to parse or
// fail check_crm. Prints "crmsh corpus: N passed, N failed" and the failures.
//
// Conformance is partial while work goes on, so the test fails only on
// regressions: every case named in expected_pass.txt must pass. Set
// QUORATE_UPDATE_EXPECTED=1 to rewrite the list from the current run.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crm/lang_check.h"
#include "crm/lang_parser.h"
#include "crm/lang_printer.h"

namespace fs = std::filesystem;
using namespace quorate::crm::lang;

namespace {

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Outcome {
  bool pass = false;
  std::string detail;
};

Outcome run_case(const fs::path& crm) {
  const std::string text = read_file(crm);
  fs::path show_path = crm;
  show_path.replace_extension(".show");
  const bool valid = fs::exists(show_path);
  auto parsed = parse_crm(text, crm.filename().string());
  if (valid) {
    if (!parsed) return {false, "parse error: " + parsed.error().message};
    auto st = check_crm(*parsed);
    if (!st) return {false, "check error: " + st.error().message};
    std::string got = show(*parsed);
    std::string want = read_file(show_path);
    if (got != want) return {false, "show differs:\n--- want\n" + want + "--- got\n" + got};
    return {true, ""};
  }
  if (!parsed) return {true, parsed.error().message};
  auto st = check_crm(*parsed);
  if (!st) return {true, st.error().message};
  return {false, "accepted an invalid case"};
}

const fs::path kCases =
    fs::path(QUORATE_SOURCE_DIR) / ".." / "shared" / "corpus" / "crmsh" / "cases";
const fs::path kExpected =
    fs::path(QUORATE_SOURCE_DIR) / "tests" / "unit" / "crm_lang" / "expected_pass.txt";

}  // namespace

TEST(CrmLangCorpus, NoRegressions) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "corpus not found at " << kCases;
  std::vector<fs::path> cases;
  for (const auto& e : fs::directory_iterator(kCases)) {
    if (e.path().extension() == ".crm") cases.push_back(e.path());
  }
  std::sort(cases.begin(), cases.end());
  std::set<std::string> passed;
  std::vector<std::string> failures;
  const bool verbose = std::getenv("QUORATE_CRM_VERBOSE") != nullptr;
  for (const auto& c : cases) {
    Outcome o = run_case(c);
    std::string name = c.stem().string();
    if (o.pass) {
      passed.insert(name);
      if (verbose && !o.detail.empty()) std::cout << "  " << name << ": " << o.detail << "\n";
    } else {
      failures.push_back(name + ": " + o.detail);
    }
  }
  std::cout << "crmsh corpus: " << passed.size() << " passed, " << failures.size() << " failed\n";
  for (const auto& f : failures) std::cout << "  FAIL " << f << "\n";

  if (std::getenv("QUORATE_UPDATE_EXPECTED")) {
    std::ofstream out(kExpected);
    for (const auto& p : passed) out << p << "\n";
  }
  std::ifstream in(kExpected);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    EXPECT_TRUE(passed.count(line)) << "regression: " << line << " passed before";
  }
}

TEST(CrmLang, SyntaxErrorHasLineAndColumn) {
  auto r = parse_crm("primitive d1 Dummy\norder o1 Sometimes: d1 d2\n", "in.crm");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("in.crm:2:"), std::string::npos) << r.error().message;
  EXPECT_NE(r.error().message.find("Invalid kind: Sometimes"), std::string::npos);
}

TEST(CrmLang, ContinuationJoinsStrippedLines) {
  auto r = parse_crm("primitive d1 ocf:pacemaker:Dummy \\\n   op monitor interval=10s\n", "x");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(show(*r), "primitive d1 ocf:pacemaker:Dummy \\\n\top monitor interval=10s\n");
}

TEST(CrmLang, UnterminatedQuote) {
  auto r = parse_crm("primitive d1 Dummy params a=\"x\n", "q");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("q:1:"), std::string::npos) << r.error().message;
}

TEST(CrmLang, CommandMatching) {
  EXPECT_EQ(match_command("prim"), "primitive");
  EXPECT_EQ(match_command("PRIMITIVE"), "primitive");
  EXPECT_EQ(match_command("foo"), "fencing_topology");
  EXPECT_EQ(match_command("bogus"), "");
}

TEST(CrmLang, QuoteValue) {
  EXPECT_EQ(quote_value("abc-1.2_x"), "abc-1.2_x");
  EXPECT_EQ(quote_value("/run/x"), "\"/run/x\"");
  EXPECT_EQ(quote_value("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(quote_value(""), "\"\"");
}

// What show prints is itself valid input that shows the same (crmsh's
// `show` output can be loaded back).
TEST(CrmLangCorpus, ShowOutputReparsesToItself) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "corpus not found at " << kCases;
  for (const auto& e : fs::directory_iterator(kCases)) {
    fs::path show_path = e.path();
    if (show_path.extension() != ".show") continue;
    const std::string want = read_file(show_path);
    auto parsed = parse_crm(want, show_path.filename().string());
    ASSERT_TRUE(parsed.ok()) << parsed.error().message;
    EXPECT_EQ(show(*parsed), want) << show_path.filename();
  }
}

// Invalid cases: our message names the same token or id as crmsh's .err.
TEST(CrmLangCorpus, InvalidMessagesNameTheCulprit) {
  if (!fs::exists(kCases)) GTEST_SKIP() << "corpus not found at " << kCases;
  const std::vector<std::pair<std::string, std::string>> want = {
      {"60-invalid-location-unknown-rsc", "resource d2 does not exist"},
      {"61-invalid-colocation-unknown-rsc", "resource ghost does not exist"},
      {"62-invalid-colocation-bad-score", "score-attribute"},
      {"63-invalid-location-bad-score", "'12x'"},
      {"64-invalid-order-bad-kind", "Invalid kind: Sometimes near <d1>"},
      {"65-invalid-colocation-bad-role", "Invalid role 'Boss' for 'ps'"},
      {"66-invalid-duplicate-id",
       "Cannot create primitive with ID 'd1': Found existing primitive with same ID."},
      {"67-invalid-group-missing-member", "g1 refers to missing object d9"},
      {"68-invalid-location-extra-token", "Unknown arguments: extra near <extra>"},
      {"69-invalid-rule-incomplete", "syntax in location: Expected identifier"},
      {"70-invalid-unbalanced-set", "syntax in role: Unmatched opening bracket near <wiz>"},
      {"71-invalid-acl-target-no-role", "Expected at least 2 arguments near <acl_target>"},
      {"72-invalid-property-rule-merge", "Unknown arguments: rule #uname eq node1"},
      {"73-invalid-meta-idref-missing", "No match for //meta_attributes[@id='p3']"},
      {"74-invalid-ra-required-param", "ip: required parameter \"ip\" not defined"},
      {"75-invalid-unknown-command", "configure.bogus: No such command"},
      {"76-invalid-order-bad-action", "Invalid action 'launch' for 'd1' near <d2>"},
      {"77-invalid-primitive-in-two-groups",
       "Cannot create group:g2: Child primitive:d1 already in group:g1"},
      {"78-invalid-bad-id", "1bad:id: invalid object id"},
      {"79-invalid-tag-empty", "syntax in tag: Expected at least 2 arguments near <tag>"},
      {"80-invalid-user-unsupported", "user not supported by the RNG schema"},
      {"81-invalid-op-attr-without-value", "'interval'"},
      {"82-invalid-property-two-rules-merge", "rule #uname eq n2"},
  };
  for (const auto& [name, text] : want) {
    fs::path p = kCases / (name + ".crm");
    if (!fs::exists(p)) continue;
    Outcome o = run_case(p);
    EXPECT_TRUE(o.pass) << name;
    EXPECT_NE(o.detail.find(text), std::string::npos) << name << ": " << o.detail;
    EXPECT_EQ(o.detail.rfind(name + ".crm:", 0), 0u) << name << ": " << o.detail;
  }
}

TEST(CrmLang, SessionCommandsEditObjects) {
  auto r = parse_crm(
      "primitive a Dummy\nprimitive b Dummy\ngroup g a\nrename b c\nmodgroup g add c before a\n"
      "order o 0: a c\nlocation l g MANDATORY: n1\ndelete l\n",
      "s");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(check_crm(*r).ok());
  EXPECT_EQ(show(*r), "primitive a Dummy\nprimitive c Dummy\ngroup g c a\norder o Optional: a c\n");
}

TEST(CrmLang, MonitorOnMissingPrimitiveFails) {
  auto r = parse_crm("monitor nothere 10s\n", "m");
  ASSERT_TRUE(r.ok());
  auto st = check_crm(*r);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("nothere"), std::string::npos);
}

TEST(CrmLang, MixedAndOrIsRejected) {
  auto r = parse_crm("location l d rule a eq 1 and b eq 2 or c eq 3\n", "r");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("r:1:"), std::string::npos) << r.error().message;
}
