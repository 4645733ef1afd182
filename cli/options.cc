// getopt-compatible option parsing without global state (see options.h).
#include "cli/options.h"

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace quorate::cli {

Result<ParsedArgs> parse_options(const std::vector<std::string>& args, std::string_view short_spec,
                                 const std::vector<LongOption>& longs) {
  ParsedArgs parsed;
  size_t i = 0;
  while (i < args.size()) {
    const std::string& arg = args[i];
    if (arg == "--") {
      for (++i; i < args.size(); ++i) parsed.positional.push_back(args[i]);
      break;
    }
    if (arg.size() > 2 && arg[0] == '-' && arg[1] == '-') {
      std::string name = arg.substr(2);
      std::string value;
      bool has_value = false;
      if (const auto eq = name.find('='); eq != std::string::npos) {
        value = name.substr(eq + 1);
        name.resize(eq);
        has_value = true;
      }
      const LongOption* match = nullptr;
      for (const auto& l : longs) {
        if (l.name == name) match = &l;
      }
      if (match == nullptr) return Error{"unrecognized option '--" + name + "'"};
      if (match->takes_value) {
        if (!has_value) {
          if (i + 1 >= args.size()) return Error{"option '--" + name + "' requires an argument"};
          value = args[++i];
        }
      } else if (has_value) {
        return Error{"option '--" + name + "' doesn't allow an argument"};
      }
      parsed.options.push_back({match->key, value});
      ++i;
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      for (size_t j = 1; j < arg.size(); ++j) {
        const char c = arg[j];
        const auto pos = c == ':' ? std::string_view::npos : short_spec.find(c);
        if (pos == std::string_view::npos) {
          return Error{std::string("invalid option -- '") + c + "'"};
        }
        const bool takes_value = pos + 1 < short_spec.size() && short_spec[pos + 1] == ':';
        if (!takes_value) {
          parsed.options.push_back({c, ""});
          continue;
        }
        std::string value;
        if (j + 1 < arg.size()) {
          value = arg.substr(j + 1);
        } else if (i + 1 < args.size()) {
          value = args[++i];
        } else {
          return Error{std::string("option requires an argument -- '") + c + "'"};
        }
        parsed.options.push_back({c, value});
        break;
      }
      ++i;
      continue;
    }
    parsed.positional.push_back(arg);
    ++i;
  }
  return parsed;
}

bool parse_uint32(std::string_view text, uint32_t* out) {
  if (text.empty() || text.front() == '-' || text.front() == '+') return false;
  const std::string s(text);
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0' || v > UINT32_MAX) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

}  // namespace quorate::cli
