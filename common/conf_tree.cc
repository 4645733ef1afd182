// ConfTree parser: turns text in Corosync's configuration syntax into a tree
// of sections and items (see conf_tree.h). Line-oriented like Corosync's
// exec/coroparse.c, and accepting the same lines:
//
//   - blank lines and lines whose first non-blank character is '#' are skipped;
//   - a line holding '{' opens a section: "name {" (Corosync also takes
//     "name: {"); nothing may follow the '{';
//   - otherwise a line holding ':' is an item "key: value"; the value runs to
//     the end of the line, trimmed ("key = value" is NOT accepted, as in
//     Corosync);
//   - otherwise a line holding '}' closes the innermost section and must hold
//     nothing else;
//   - anything else is an error.
//
// Blanks are space, tab and the UTF-8 no-break space (C2 A0) that pages copied
// from the web are full of. Errors are "FILE:LINE:COL: expected X but found Y".
// Bounded: nesting depth, line length; NUL bytes are rejected; the parser is
// a single pass over the text with no recursion.
#include "common/conf_tree.h"

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace quorate {

namespace {

constexpr size_t kMaxDepth = 64;             // nested sections
constexpr size_t kMaxLineBytes = 64 * 1024;  // Corosync stops at 512
constexpr size_t kMaxShownBytes = 40;        // of offending text in messages

// Length of the blank starting at `i` in `s` (0 if none).
size_t blank_at(std::string_view s, size_t i) {
  if (i >= s.size()) return 0;
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || c == '\t') return 1;
  if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0xA0) return 2;
  return 0;
}

// Index of the first non-blank byte at or after `i` (s.size() if none).
size_t skip_blanks(std::string_view s, size_t i) {
  while (i < s.size()) {
    const size_t n = blank_at(s, i);
    if (n == 0) break;
    i += n;
  }
  return i;
}

// End (exclusive) of `s` with trailing blanks removed.
size_t trim_end(std::string_view s) {
  size_t end = s.size();
  while (end > 0) {
    const auto c = static_cast<unsigned char>(s[end - 1]);
    if (c == ' ' || c == '\t') {
      --end;
    } else if (c == 0xA0 && end >= 2 && static_cast<unsigned char>(s[end - 2]) == 0xC2) {
      end -= 2;
    } else {
      break;
    }
  }
  return end;
}

bool has_inner_blank(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (blank_at(s, i) != 0) return true;
  }
  return false;
}

// Offending text for an error message: quoted, control bytes escaped, cut short.
std::string shown(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "'";
  size_t n = 0;
  for (char ch : s) {
    if (n++ == kMaxShownBytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    } else {
      out += ch;
    }
  }
  out += "'";
  return out;
}

class Parser {
 public:
  Parser(std::string_view text, const std::string& filename) : text_(text), file_(filename) {}

  Result<ConfSection> run() {
    ConfSection root;
    root.where = at(1, 1);
    stack_.push_back(std::move(root));
    brace_at_.push_back(at(1, 1));

    size_t pos = 0;
    uint32_t line_no = 0;
    while (pos < text_.size()) {
      size_t nl = text_.find('\n', pos);
      if (nl == std::string_view::npos) nl = text_.size();
      std::string_view line = text_.substr(pos, nl - pos);
      pos = nl + 1;
      ++line_no;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (auto err = one_line(line, line_no)) return Error{std::move(*err)};
    }

    if (stack_.size() > 1) {
      return Error{brace_at_.back().str() + ": expected '}' to close section '" +
                   stack_.back().name + "' but found the end of the file"};
    }
    return std::move(stack_.front());
  }

 private:
  ConfLocation at(uint32_t line, size_t index0) const {
    ConfLocation loc;
    loc.file = file_;
    loc.line = line;
    loc.column = static_cast<uint32_t>(index0);
    return loc;
  }
  // Location of byte `i` (0-based) of line `line`.
  ConfLocation col(uint32_t line, size_t i) const { return at(line, i + 1); }

  std::string fail(uint32_t line, size_t i, std::string_view expected,
                   std::string_view found) const {
    return col(line, i).str() + ": expected " + std::string(expected) + " but found " +
           std::string(found);
  }

  // Returns an error message, or nothing when the line was consumed.
  std::optional<std::string> one_line(std::string_view line, uint32_t n) {
    if (line.size() > kMaxLineBytes) {
      return fail(n, kMaxLineBytes, "a line of at most " + std::to_string(kMaxLineBytes) + " bytes",
                  "a line of " + std::to_string(line.size()) + " bytes");
    }
    if (const size_t nul = line.find('\0'); nul != std::string_view::npos) {
      return fail(n, nul, "text", "a NUL byte");
    }
    const size_t first = skip_blanks(line, 0);
    const size_t end = trim_end(line);
    if (first >= end || line[first] == '#') return std::nullopt;  // blank or comment

    if (const size_t brace = line.find('{'); brace != std::string_view::npos) {
      return open_section(line, n, first, brace, end);
    }
    if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
      return add_item(line, n, first, colon, end);
    }
    if (const size_t close = line.find('}'); close != std::string_view::npos) {
      return close_section(line, n, first, close, end);
    }
    return fail(n, first, "'key: value', 'name {' or '}'", shown(line.substr(first, end - first)));
  }

  std::optional<std::string> open_section(std::string_view line, uint32_t n, size_t first,
                                          size_t brace, size_t end) {
    std::string_view name = line.substr(first, brace - first);
    name = name.substr(0, trim_end(name));
    if (!name.empty() && name.back() == ':') {  // "name: {" as Corosync allows
      name.remove_suffix(1);
      name = name.substr(0, trim_end(name));
    }
    if (name.empty()) return fail(n, brace, "a section name before '{'", "'{'");
    if (name.find_first_of(":}") != std::string_view::npos || has_inner_blank(name)) {
      return fail(n, first, "a section name (one word) before '{'", shown(name));
    }
    const size_t after = skip_blanks(line, brace + 1);
    if (after < end) {
      return fail(n, after, "the end of the line after '{'",
                  shown(line.substr(after, end - after)));
    }
    if (stack_.size() > kMaxDepth) {
      return fail(n, brace, "at most " + std::to_string(kMaxDepth) + " nested sections",
                  "section " + shown(name) + " nested deeper");
    }
    ConfSection s;
    s.name = std::string(name);
    s.where = col(n, first);
    stack_.push_back(std::move(s));
    brace_at_.push_back(col(n, brace));
    return std::nullopt;
  }

  std::optional<std::string> add_item(std::string_view line, uint32_t n, size_t first, size_t colon,
                                      size_t end) {
    std::string_view key = line.substr(first, colon - first);
    key = key.substr(0, trim_end(key));
    if (key.empty()) return fail(n, colon, "a key before ':'", "':'");
    if (key.find('}') != std::string_view::npos || has_inner_blank(key)) {
      return fail(n, first, "a key (one word) before ':'", shown(key));
    }
    size_t vstart = skip_blanks(line, colon + 1);
    if (vstart > end) vstart = end;
    ConfItem item;
    item.key = std::string(key);
    item.value = std::string(line.substr(vstart, end - vstart));
    item.where = col(n, first);
    item.value_where = col(n, vstart);
    stack_.back().items.push_back(std::move(item));
    return std::nullopt;
  }

  std::optional<std::string> close_section(std::string_view line, uint32_t n, size_t first,
                                           size_t close, size_t end) {
    if (first != close) {
      return fail(n, first, "'}' alone on its line", shown(line.substr(first, end - first)));
    }
    const size_t after = skip_blanks(line, close + 1);
    if (after < end) {
      return fail(n, after, "the end of the line after '}'",
                  shown(line.substr(after, end - after)));
    }
    if (stack_.size() == 1) {
      return fail(n, close, "a key or a section", "'}' with no section open");
    }
    ConfSection done = std::move(stack_.back());
    stack_.pop_back();
    brace_at_.pop_back();
    stack_.back().sections.push_back(std::move(done));
    return std::nullopt;
  }

  std::string_view text_;
  const std::string& file_;
  std::vector<ConfSection> stack_;      // open sections, root first
  std::vector<ConfLocation> brace_at_;  // where each open section's '{' is
};

}  // namespace

std::string ConfLocation::str() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

Result<ConfSection> parse_conf(std::string_view text, const std::string& filename) {
  Parser parser(text, filename);
  return parser.run();
}

}  // namespace quorate
