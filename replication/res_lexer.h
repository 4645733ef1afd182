// The syntax layer of DRBD resource files: tokens (words, "strings",
// `backticked` words, { } ;, with # and // comments to the end of the line)
// and the statement tree they form. It knows nothing of which keywords exist,
// except the two recoveries the seeds need (docs/formats/drbd-resource-files.md):
// an `on` section directly followed by another `on` is closed implicitly, and
// sections still open at the end of the text are closed implicitly, each with a
// warning naming the line of the unclosed `{`. A top-level keyword (`resource`,
// `common`, `global`) inside a section is an error at the line of the `{` left
// unclosed. replication/res_config gives the tree its meaning.
//
// Value types; not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace quorate::replication {

struct ResWord {
  std::string text;         // without quotes/backticks, escapes resolved
  uint32_t line = 0;        // 1-based
  bool quoted = false;      // was a "string"
  bool backticked = false;  // was a `word`
};

// `WORD WORD ... ;` or `WORD WORD ... { STATEMENT... }`.
struct ResStatement {
  std::vector<ResWord> words;  // never empty
  bool has_block = false;
  uint32_t brace_line = 0;  // line of `{` when has_block
  std::vector<ResStatement> block;
};

// Parses `text` into top-level statements. Errors read "FILE:LINE: ...".
// Nesting is bounded (16 levels).
Result<std::vector<ResStatement>> parse_res_tree(std::string_view text, const std::string& filename,
                                                 std::vector<std::string>* warnings);

}  // namespace quorate::replication
