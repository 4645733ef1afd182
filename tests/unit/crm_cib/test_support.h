// Helpers for the CIB tests: the shared corpus location, file reading, and a
// port of the normalizer in ../shared/tools/crm_oracle.sh (--normalize): the
// <configuration> element with attributes sorted by name, text stripped,
// comments kept, two-space indentation.
#pragma once

#include <set>
#include <string>
#include <vector>

namespace quorate::crm::testing {

std::string shared_dir();
std::string read_file(const std::string& path);
// Names of the pacemaker-scheduler cases whose MANIFEST.tsv row says in_core=yes.
std::vector<std::string> core_scheduler_cases();
// Sorted paths matching DIR/*SUFFIX.
std::vector<std::string> files_with_suffix(const std::string& dir, const std::string& suffix);
// The names listed in an expected-pass file of this directory (one per line,
// blank lines and # comments skipped), e.g. "lang_to_cib_expected_pass.txt".
std::set<std::string> expected_pass(const std::string& file_name);
// The normalized <configuration> of a CIB or configuration document, without
// a trailing newline; "" when the text is not XML or has no <configuration>.
std::string normalize_configuration(const std::string& xml);

}  // namespace quorate::crm::testing
