#include "replication/res_lexer.h"

#include <cassert>
#include <cstddef>

#include <fmt/format.h>

namespace quorate::replication {
namespace {

constexpr size_t kMaxDepth = 16;

enum class Kind : uint8_t { kWord, kLBrace, kRBrace, kSemi, kEnd };

struct Token {
  Kind kind = Kind::kEnd;
  ResWord word;  // text and line (line also set for punctuation)
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

bool is_special(char c) { return c == '{' || c == '}' || c == ';' || c == '"' || c == '`'; }

class Lexer {
 public:
  Lexer(std::string_view text, const std::string& filename) : text_(text), file_(filename) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> out;
    while (true) {
      skip_space_and_comments();
      if (pos_ >= text_.size()) break;
      const char c = text_[pos_];
      Token t;
      t.word.line = line_;
      if (c == '{' || c == '}' || c == ';') {
        t.kind = c == '{' ? Kind::kLBrace : (c == '}' ? Kind::kRBrace : Kind::kSemi);
        t.word.text = std::string(1, c);
        ++pos_;
      } else if (c == '"') {
        t.kind = Kind::kWord;
        t.word.quoted = true;
        if (Status s = read_string(&t.word.text); !s.ok()) return s.error();
      } else if (c == '`') {
        t.kind = Kind::kWord;
        t.word.backticked = true;
        if (Status s = read_backticked(&t.word.text); !s.ok()) return s.error();
      } else {
        t.kind = Kind::kWord;
        if (Status s = read_word(&t.word.text); !s.ok()) return s.error();
      }
      out.push_back(std::move(t));
    }
    Token end;
    end.kind = Kind::kEnd;
    end.word.line = line_;
    out.push_back(std::move(end));
    return out;
  }

 private:
  Error error(uint32_t line, const std::string& what) const { return Error{fmt::format("{}:{}: {}", file_, line, what)}; }

  void skip_space_and_comments() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (is_space(c)) {
        ++pos_;
      } else if (c == '#' || (c == '/' && pos_ + 1 < text_.size() && text_[pos_ + 1] == '/')) {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else {
        break;
      }
    }
  }

  Status check_byte(char c) const {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return error(line_, fmt::format("unexpected control byte 0x{:02x}", u));
    return Status::Ok();
  }

  Status read_string(std::string* out) {
    const uint32_t start = line_;
    ++pos_;  // opening quote
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') return error(start, "unterminated string (missing '\"')");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (c == '\\' && pos_ + 1 < text_.size() && (text_[pos_ + 1] == '"' || text_[pos_ + 1] == '\\')) {
        out->push_back(text_[pos_ + 1]);
        pos_ += 2;
        continue;
      }
      if (c != '\t') {
        if (Status s = check_byte(c); !s.ok()) return s;
      }
      out->push_back(c);
      ++pos_;
    }
  }

  Status read_backticked(std::string* out) {
    const uint32_t start = line_;
    ++pos_;
    while (true) {
      if (pos_ >= text_.size() || text_[pos_] == '\n') return error(start, "unterminated `name` (missing '`')");
      const char c = text_[pos_];
      if (c == '`') {
        ++pos_;
        break;
      }
      if (is_space(c) || is_special(c)) return error(start, "unexpected character inside `name`");
      if (Status s = check_byte(c); !s.ok()) return s;
      out->push_back(c);
      ++pos_;
    }
    if (out->empty()) return error(start, "empty `` name");
    return Status::Ok();
  }

  Status read_word(std::string* out) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (is_space(c) || is_special(c)) break;
      if (Status s = check_byte(c); !s.ok()) return s;
      out->push_back(c);
      ++pos_;
    }
    assert(!out->empty());
    return Status::Ok();
  }

  std::string_view text_;
  const std::string& file_;
  size_t pos_ = 0;
  uint32_t line_ = 1;
};

struct OpenSection {
  std::string title;  // "on hadb01"
  uint32_t brace_line;
};

class TreeParser {
 public:
  TreeParser(std::vector<Token> tokens, const std::string& filename, std::vector<std::string>* warnings)
      : tokens_(std::move(tokens)), file_(filename), warnings_(warnings) {}

  Result<std::vector<ResStatement>> run() {
    std::vector<ResStatement> top;
    if (Status s = parse_block(&top); !s.ok()) return s.error();
    return top;
  }

 private:
  Error error(uint32_t line, const std::string& what) const { return Error{fmt::format("{}:{}: {}", file_, line, what)}; }
  void warn(uint32_t line, const std::string& what) {
    if (warnings_ != nullptr) warnings_->push_back(fmt::format("{}:{}: {}", file_, line, what));
  }
  const Token& peek() const { return tokens_[pos_]; }

  static std::string title_of(const ResStatement& st) {
    std::string t;
    for (const ResWord& w : st.words) {
      if (!t.empty()) t += ' ';
      t += w.text;
    }
    return t;
  }

  static bool is_plain(const ResWord& w, std::string_view s) { return !w.quoted && !w.backticked && w.text == s; }

  // Parses statements until the matching `}` (consumed), or the end of the
  // text at top level. `open` is the section being filled (empty at top).
  Status parse_block(std::vector<ResStatement>* out) {
    while (true) {
      const Token& t = peek();
      if (t.kind == Kind::kEnd) {
        if (!open_.empty()) {
          warn(open_.back().brace_line,
               fmt::format("section '{}' not closed at end of file; closed implicitly", open_.back().title));
        }
        return Status::Ok();
      }
      if (t.kind == Kind::kRBrace) {
        if (open_.empty()) return error(t.word.line, "unexpected '}' (no section is open)");
        ++pos_;
        return Status::Ok();
      }
      if (t.kind == Kind::kSemi) {  // an empty statement, e.g. `};`
        ++pos_;
        continue;
      }
      if (t.kind == Kind::kLBrace) return error(t.word.line, "'{' without a section name before it");
      // A statement: words, then ';' or '{'.
      ResStatement st;
      while (peek().kind == Kind::kWord) {
        st.words.push_back(peek().word);
        ++pos_;
      }
      const ResWord& first = st.words.front();
      if (!open_.empty()) {
        if (is_plain(first, "on") && open_.back().title.rfind("on ", 0) == 0 && open_.size() >= 2) {
          // `on` cannot nest: the previous `on` section lacks its `}`.
          warn(open_.back().brace_line, fmt::format("section '{}' not closed before 'on' at line {}; closed implicitly",
                                                    open_.back().title, first.line));
          pos_ -= st.words.size();
          return Status::Ok();
        }
        if (is_plain(first, "resource") || is_plain(first, "common") || is_plain(first, "global")) {
          return error(open_.back().brace_line, fmt::format("missing '}}' for '{}' (found '{}' at line {})",
                                                            open_.back().title, first.text, first.line));
        }
      }
      const Token& after = peek();
      if (after.kind == Kind::kSemi) {
        ++pos_;
        out->push_back(std::move(st));
        continue;
      }
      if (after.kind == Kind::kLBrace) {
        if (open_.size() >= kMaxDepth) return error(after.word.line, "sections nested too deeply");
        st.has_block = true;
        st.brace_line = after.word.line;
        ++pos_;
        open_.push_back(OpenSection{title_of(st), st.brace_line});
        Status s = parse_block(&st.block);
        open_.pop_back();
        if (!s.ok()) return s;
        out->push_back(std::move(st));
        continue;
      }
      // '}' or end of text right after words: the ';' is missing.
      return error(st.words.back().line, fmt::format("expected ';' or '{{' after '{}'", title_of(st)));
    }
  }

  std::vector<Token> tokens_;
  const std::string& file_;
  std::vector<std::string>* warnings_;
  size_t pos_ = 0;
  std::vector<OpenSection> open_;
};

}  // namespace

Result<std::vector<ResStatement>> parse_res_tree(std::string_view text, const std::string& filename,
                                                 std::vector<std::string>* warnings) {
  Result<std::vector<Token>> tokens = Lexer(text, filename).run();
  if (!tokens.ok()) return tokens.error();
  return TreeParser(std::move(tokens).value(), filename, warnings).run();
}

}  // namespace quorate::replication
