// conformance_scheduler: runs every core case of the Pacemaker scheduler
// corpus (MANIFEST.tsv in_core=yes) through crm/sched_simulate in-process and
// compares with summary/NAME.summary the way upstream's cts-scheduler does
// (whitespace and blank lines ignored), twice: the "Current cluster status"
// section alone, and the whole summary; and compares crm/sched_scores's
// lines with scores/NAME.scores (crm_simulate -sSQ, sorted; blank lines
// ignored).
//
// Output: one "FAIL <section> NAME" line per failure, then
//   status: N passed, N failed
//   scores: N passed, N failed
//   N passed, N failed            (whole summary; always the last line)
// Exit status: 1 only on a regression, i.e. a case listed in
// status_expected_pass.txt / scheduler_expected_pass.txt /
// scores_expected_pass.txt that fails; 77 when
// the corpus is absent (ctest: skipped). --write-expected rewrites both lists
// from this run. --show NAME prints our output and the expected one.
//
// Usage: conformance_scheduler [--corpus DIR] [--lists DIR] [--write-expected]
//                              [--show NAME] [--quiet]
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "crm/sched_scores.h"
#include "crm/sched_simulate.h"

namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& p, std::string* out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  *out = s.str();
  return true;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) lines.push_back(line);
  return lines;
}

// diff --ignore-all-space --ignore-blank-lines: compare the non-blank lines
// with all whitespace removed.
std::vector<std::string> squeeze(const std::vector<std::string>& lines) {
  std::vector<std::string> out;
  for (const auto& l : lines) {
    std::string s;
    for (char c : l)
      if (!std::isspace(static_cast<unsigned char>(c))) s += c;
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// Lines from `begin` (inclusive) up to the first line starting with `end`.
std::vector<std::string> section(const std::vector<std::string>& lines, const std::string& begin,
                                 const std::string& end) {
  std::vector<std::string> out;
  bool in = false;
  for (const auto& l : lines) {
    if (!in && l.rfind(begin, 0) == 0) in = true;
    if (in && !out.empty() && l.rfind(end, 0) == 0) break;
    if (in) out.push_back(l);
  }
  return out;
}

std::vector<std::string> core_cases(const fs::path& corpus) {
  std::string manifest;
  std::vector<std::string> names;
  if (!read_file(corpus / "MANIFEST.tsv", &manifest)) return names;
  bool header = true;
  for (const auto& line : split_lines(manifest)) {
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> cols;
    std::istringstream in(line);
    std::string col;
    while (std::getline(in, col, '\t')) cols.push_back(col);
    if (cols.size() > 2 && cols[2] == "yes") names.push_back(cols[0]);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::set<std::string> read_list(const fs::path& p) {
  std::set<std::string> out;
  std::string text;
  if (!read_file(p, &text)) return out;
  for (auto& l : split_lines(text))
    if (!l.empty() && l[0] != '#') out.insert(l);
  return out;
}

void write_list(const fs::path& p, const std::string& what, const std::vector<std::string>& names) {
  std::ofstream out(p);
  out << "# Core scheduler cases whose " << what
      << " matches Pacemaker 2.1.5 (regenerate: conformance_scheduler --write-expected)\n";
  for (const auto& n : names) out << n << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  fs::path corpus = QUORATE_SCHED_CORPUS;
  fs::path lists = QUORATE_CONFORMANCE_DIR;
  bool write_expected = false;
  bool quiet = false;
  std::string show;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--corpus" && i + 1 < argc) {
      corpus = argv[++i];
    } else if (a == "--lists" && i + 1 < argc) {
      lists = argv[++i];
    } else if (a == "--write-expected") {
      write_expected = true;
    } else if (a == "--quiet") {
      quiet = true;
    } else if (a == "--show" && i + 1 < argc) {
      show = argv[++i];
    } else {
      std::cerr << "usage: conformance_scheduler [--corpus DIR] [--lists DIR] [--write-expected] "
                   "[--show NAME] [--quiet]\n";
      return 2;
    }
  }
  const auto names = core_cases(corpus);
  if (names.empty()) {
    std::cout << "corpus not found at " << corpus << ": skipped\n";
    return 77;
  }
  const auto status_expected = read_list(lists / "status_expected_pass.txt");
  const auto summary_expected = read_list(lists / "scheduler_expected_pass.txt");
  const auto scores_expected = read_list(lists / "scores_expected_pass.txt");

  std::vector<std::string> status_pass;
  std::vector<std::string> summary_pass;
  std::vector<std::string> scores_pass;
  std::vector<std::string> regressions;
  int scores_fail = 0;
  int status_fail = 0;
  int summary_fail = 0;
  const quorate::crm::sched::SimulateOptions options;
  for (const auto& name : names) {
    if (!show.empty() && name != show) continue;
    std::string xml;
    std::string expected;
    const auto xml_path = corpus / "xml" / (name + ".xml");
    read_file(xml_path, &xml);
    read_file(corpus / "summary" / (name + ".summary"), &expected);
    auto result = quorate::crm::sched::simulate_xml(xml, xml_path.string(), options);
    const std::string ours = result.ok() ? *result : "error: " + result.error().message + "\n";
    if (!show.empty()) {
      std::cout << "=== ours\n" << ours << "=== expected\n" << expected;
    }
    const auto our_lines = split_lines(ours);
    const auto exp_lines = split_lines(expected);
    const bool status_ok =
        squeeze(section(our_lines, "Current cluster status:", "Transition Summary:")) ==
        squeeze(section(exp_lines, "Current cluster status:", "Transition Summary:"));
    const bool summary_ok = squeeze(our_lines) == squeeze(exp_lines);
    if (status_ok) {
      status_pass.push_back(name);
    } else {
      ++status_fail;
      if (!quiet) std::cout << "FAIL status " << name << "\n";
      if (status_expected.count(name)) regressions.push_back("status " + name);
    }
    std::string expected_scores;
    read_file(corpus / "scores" / (name + ".scores"), &expected_scores);
    std::vector<std::string> exp_score_lines;
    for (auto& l : split_lines(expected_scores))
      if (!l.empty()) exp_score_lines.push_back(l);
    std::sort(exp_score_lines.begin(), exp_score_lines.end());
    auto our_scores = quorate::crm::sched::score_lines_xml(xml, xml_path.string());
    const std::vector<std::string> our_score_lines =
        our_scores.ok() ? *our_scores
                        : std::vector<std::string>{"error: " + our_scores.error().message};
    if (!show.empty()) {
      std::cout << "=== our scores\n";
      for (const auto& l : our_score_lines) std::cout << l << "\n";
      std::cout << "=== expected scores\n";
      for (const auto& l : exp_score_lines) std::cout << l << "\n";
    }
    if (our_score_lines == exp_score_lines) {
      scores_pass.push_back(name);
    } else {
      ++scores_fail;
      if (!quiet) std::cout << "FAIL scores " << name << "\n";
      if (scores_expected.count(name)) regressions.push_back("scores " + name);
    }
    if (summary_ok) {
      summary_pass.push_back(name);
    } else {
      ++summary_fail;
      if (!quiet) std::cout << "FAIL summary " << name << "\n";
      if (summary_expected.count(name)) regressions.push_back("summary " + name);
    }
  }
  if (write_expected && show.empty()) {
    write_list(lists / "status_expected_pass.txt", "\"Current cluster status\" section",
               status_pass);
    write_list(lists / "scheduler_expected_pass.txt", "whole crm_simulate -S summary",
               summary_pass);
    write_list(lists / "scores_expected_pass.txt", "crm_simulate -s allocation/promotion scores",
               scores_pass);
  }
  for (const auto& r : regressions) std::cout << "REGRESSION " << r << "\n";
  std::cout << "status: " << status_pass.size() << " passed, " << status_fail << " failed\n";
  std::cout << "scores: " << scores_pass.size() << " passed, " << scores_fail << " failed\n";
  std::cout << summary_pass.size() << " passed, " << summary_fail << " failed\n";
  return regressions.empty() ? 0 : 1;
}
