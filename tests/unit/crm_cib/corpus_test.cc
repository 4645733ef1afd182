// CIB XML over the shared corpus: every core Pacemaker scheduler case parses
// and survives parse -> write -> parse unchanged; every crmsh configuration
// comes back from write_configuration_xml identical after normalization.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crm/cib_xml.h"
#include "tests/unit/crm_cib/test_support.h"

namespace quorate::crm {
namespace {

using testing::core_scheduler_cases;
using testing::files_with_suffix;
using testing::normalize_configuration;
using testing::read_file;
using testing::shared_dir;

std::string scheduler_xml(const std::string& name) {
  return shared_dir() + "/corpus/pacemaker-scheduler/xml/" + name + ".xml";
}

TEST(CibCorpus, EveryCoreSchedulerCaseParses) {
  const std::vector<std::string> cases = core_scheduler_cases();
  ASSERT_GT(cases.size(), 300u) << "corpus not found under " << shared_dir();
  int parsed = 0;
  for (const std::string& name : cases) {
    Result<Cib> cib = parse_cib_xml(read_file(scheduler_xml(name)), name + ".xml");
    if (cib.ok()) {
      ++parsed;
    } else {
      ADD_FAILURE() << cib.error().message;
    }
  }
  std::printf("[ corpus   ] %d of %zu core scheduler CIBs parse\n", parsed, cases.size());
}

TEST(CibCorpus, CoreSchedulerCasesRoundTrip) {
  int equal = 0;
  const std::vector<std::string> cases = core_scheduler_cases();
  for (const std::string& name : cases) {
    Result<Cib> first = parse_cib_xml(read_file(scheduler_xml(name)), name + ".xml");
    if (!first.ok()) continue;  // reported by the test above
    const std::string written = write_cib_xml(*first);
    Result<Cib> second = parse_cib_xml(written, name + ".written.xml");
    if (!second.ok()) {
      ADD_FAILURE() << second.error().message;
      continue;
    }
    if (!(*first == *second)) {
      ADD_FAILURE() << name << ": model changed through write_cib_xml";
      continue;
    }
    // Writing is a fixed point after the first pass.
    EXPECT_EQ(write_cib_xml(*second), written) << name;
    // The configuration alone carries the same content.
    Result<Configuration> conf =
        parse_configuration_xml(write_configuration_xml(first->configuration), name);
    ASSERT_TRUE(conf.ok()) << conf.error().message;
    EXPECT_TRUE(*conf == first->configuration) << name;
    ++equal;
  }
  std::printf("[ corpus   ] %d of %zu core scheduler CIBs round-trip to an equal model\n", equal,
              cases.size());
}

TEST(CibCorpus, NormalizerPortMatchesCrmshCorpus) {
  // The crmsh corpus files are already normalized, so the port must leave
  // them as they are.
  const auto files = files_with_suffix(shared_dir() + "/corpus/crmsh/cases", ".xml");
  ASSERT_FALSE(files.empty());
  for (const std::string& f : files) {
    std::string text = read_file(f);
    while (!text.empty() && text.back() == '\n') text.pop_back();
    EXPECT_EQ(normalize_configuration(text), text) << f;
  }
}

TEST(CibCorpus, CrmshConfigurationsRoundTripExactly) {
  const auto files = files_with_suffix(shared_dir() + "/corpus/crmsh/cases", ".xml");
  ASSERT_FALSE(files.empty());
  int exact = 0;
  for (const std::string& f : files) {
    const std::string text = read_file(f);
    Result<Cib> cib = parse_cib_xml("<cib>" + text + "</cib>", f);
    if (!cib.ok()) {
      ADD_FAILURE() << cib.error().message;
      continue;
    }
    const std::string ours = normalize_configuration(write_configuration_xml(cib->configuration));
    const std::string theirs = normalize_configuration(text);
    if (ours == theirs) {
      ++exact;
    } else {
      ADD_FAILURE() << f << " differs after write_configuration_xml:\n--- crmsh\n"
                    << theirs << "\n--- ours\n"
                    << ours;
    }
  }
  std::printf("[ corpus   ] %d of %zu crmsh configurations round-trip exactly\n", exact,
              files.size());
}

}  // namespace
}  // namespace quorate::crm
