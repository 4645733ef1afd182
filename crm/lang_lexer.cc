// Lexer for the crm configure language: logical lines, shell-like words,
// bracket splitting. See lang_lexer.h.
#include "crm/lang_lexer.h"

#include <cctype>

namespace quorate::crm::lang {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::string to_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

namespace {

struct Pos {
  int line;
  int col;
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f'; }
bool is_open(char c) { return c == '(' || c == '[' || c == '{'; }
bool is_close(char c) { return c == ')' || c == ']' || c == '}'; }

// Splits one logical line (characters with their physical positions) into words.
Status split_words(const std::string& s, const std::vector<Pos>& pos, const std::string& origin,
                   std::vector<Token>& out) {
  size_t i = 0;
  const size_t n = s.size();
  while (i < n) {
    while (i < n && is_blank(s[i])) ++i;
    if (i >= n) break;
    Token t;
    t.line = pos[i].line;
    t.col = pos[i].col;
    bool any_unquoted = false;
    std::vector<bool> literal;  // per output char: came from a quote or escape
    while (i < n && !is_blank(s[i])) {
      char c = s[i];
      if (c == '"' || c == '\'') {
        const char q = c;
        const Pos start = pos[i];
        ++i;
        t.quoted = true;
        while (i < n && s[i] != q) {
          if (q == '"' && s[i] == '\\' && i + 1 < n && (s[i + 1] == '"' || s[i + 1] == '\\')) ++i;
          t.text.push_back(s[i]);
          literal.push_back(true);
          ++i;
        }
        if (i >= n) {
          return Error{origin + ":" + std::to_string(start.line) + ":" + std::to_string(start.col) +
                       ": unterminated quote"};
        }
        ++i;  // closing quote
      } else if (c == '\\' && i + 1 < n) {
        t.text.push_back(s[i + 1]);
        literal.push_back(true);
        i += 2;
      } else {
        t.text.push_back(c);
        literal.push_back(false);
        any_unquoted = true;
        ++i;
      }
    }
    (void)any_unquoted;
    // Split unquoted leading openers and trailing closers off the word.
    size_t b = 0;
    size_t e = t.text.size();
    while (b < e && !literal[b] && is_open(t.text[b]) && e - b > 0) {
      Token br;
      br.text = std::string(1, t.text[b]);
      br.line = t.line;
      br.col = t.col + static_cast<int>(b);
      br.bracket = true;
      out.push_back(br);
      ++b;
    }
    std::vector<Token> tail;
    while (e > b && !literal[e - 1] && is_close(t.text[e - 1])) {
      Token br;
      br.text = std::string(1, t.text[e - 1]);
      br.line = t.line;
      br.col = t.col + static_cast<int>(e - 1);
      br.bracket = true;
      tail.insert(tail.begin(), br);
      --e;
    }
    if (e > b || (t.quoted && b == 0 && e == t.text.size())) {
      Token w = t;
      w.text = t.text.substr(b, e - b);
      w.col = t.col + static_cast<int>(b);
      out.push_back(w);
    }
    for (auto& br : tail) out.push_back(br);
  }
  return Status::Ok();
}

}  // namespace

Result<std::vector<LogicalLine>> lex_crm(std::string_view text, const std::string& origin) {
  std::vector<LogicalLine> lines;
  std::string cur;
  std::vector<Pos> cur_pos;
  int cur_start = 0;
  bool continuing = false;
  int lineno = 0;
  size_t i = 0;
  auto flush = [&]() -> Status {
    if (cur.empty()) return Status::Ok();
    LogicalLine ll;
    ll.text = cur;
    ll.line = cur_start;
    auto st = split_words(cur, cur_pos, origin, ll.tokens);
    if (!st) return st;
    if (!ll.tokens.empty()) lines.push_back(std::move(ll));
    cur.clear();
    cur_pos.clear();
    return Status::Ok();
  };
  while (i <= text.size()) {
    if (i == text.size() && i > 0 && text[i - 1] == '\n') break;
    size_t j = text.find('\n', i);
    if (j == std::string_view::npos) j = text.size();
    ++lineno;
    std::string_view raw = text.substr(i, j - i);
    size_t b = 0;
    while (b < raw.size() && is_blank(raw[b])) ++b;
    size_t e = raw.size();
    while (e > b && is_blank(raw[e - 1])) --e;
    std::string_view body = raw.substr(b, e - b);
    i = j + 1;
    if (!continuing && !body.empty() && body[0] == '#') continue;  // comment line
    if (!continuing) cur_start = lineno;
    bool cont = !body.empty() && body.back() == '\\';
    if (cont) body.remove_suffix(1);
    for (size_t k = 0; k < body.size(); ++k) {
      cur.push_back(body[k]);
      cur_pos.push_back(Pos{lineno, static_cast<int>(b + k + 1)});
    }
    continuing = cont;
    if (!cont) {
      auto st = flush();
      if (!st) return st.error();
    }
    if (j >= text.size()) break;
  }
  auto st = flush();
  if (!st) return st.error();
  return lines;
}

}  // namespace quorate::crm::lang
