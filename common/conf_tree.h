// ConfTree: the parse tree of a file in Corosync's configuration syntax
//
//   # comment
//   section {
//     key: value
//     subsection { key: value }
//   }
//
// Values run to the end of the line (trailing whitespace trimmed; a value may
// be empty). Every node remembers FILE:LINE:COL for error messages. Parsing
// knows nothing of which sections and keys exist; membership/cluster_config
// gives them meaning.
//
// Value type; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace quorate {

struct ConfLocation {
  std::string file;
  uint32_t line = 0;        // 1-based
  uint32_t column = 0;      // 1-based
  std::string str() const;  // "file:line:col"
};

struct ConfItem {
  std::string key;
  std::string value;
  ConfLocation where;        // of the key
  ConfLocation value_where;  // of the value's first character
};

struct ConfSection {
  std::string name;  // empty for the file's top level
  ConfLocation where;
  std::vector<ConfItem> items;        // in file order
  std::vector<ConfSection> sections;  // in file order
};

// Parses `text`. Errors: "FILE:LINE:COL: expected ... but found ...", including
// an unclosed '{' (reported at the opening brace) and a stray '}'.
Result<ConfSection> parse_conf(std::string_view text, const std::string& filename);

}  // namespace quorate
