// A small getopt_long-alike for the compatibility tools, whose option syntax
// must match the originals exactly: clustered short flags ("-sH"), attached or
// separate values ("-e3", "-e 3"), long options with "=value" or a separate
// value, "--" ending the options. Pure: no global state (unlike getopt), so
// one process can parse several command lines (tests, the multi-call tool).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace quorate::cli {

struct LongOption {
  std::string name;  // without "--"
  bool takes_value = false;
  int key = 0;  // reported as ParsedOption::key
};

struct ParsedOption {
  int key = 0;        // the short option character, or LongOption::key
  std::string value;  // empty for flags
};

struct ParsedArgs {
  std::vector<ParsedOption> options;  // in command-line order
  std::vector<std::string> positional;
};

// `short_spec` as for getopt: letters, a ':' after one that takes a value.
// Errors read like getopt's: "invalid option -- 'x'", "option requires an
// argument -- 'e'", "unrecognized option '--foo'",
// "option '--socket' requires an argument".
Result<ParsedArgs> parse_options(const std::vector<std::string>& args, std::string_view short_spec,
                                 const std::vector<LongOption>& longs);

// Parses a non-negative decimal (or 0x hex, like strtol base 0) integer that
// fits 32 bits; false if `text` is not entirely such a number.
bool parse_uint32(std::string_view text, uint32_t* out);

}  // namespace quorate::cli
