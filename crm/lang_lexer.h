// Lexer for the crm configure language (crmsh 4.4 syntax).
//
// The input is split into logical lines: each physical line is stripped of
// surrounding blanks, a trailing `\` joins it to the next stripped line with
// nothing in between (crmsh's rule), and lines starting with `#` are comments.
// Each logical line is then split the way crmsh's shell does (shlex): blanks
// separate words, "..." and '...' group, `\` escapes the next character.
// Brackets that open or close resource sets — ( ) [ ] { } — are split off the
// edges of unquoted words so that `(a` reads as `(` `a`.
//
// Every token keeps the physical line:column of its first character.
// Plain values; no state outside the returned vectors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace quorate::crm::lang {

struct Token {
  std::string text;      // unquoted text
  int line = 0;          // 1-based physical line
  int col = 0;           // 1-based column
  bool quoted = false;   // some part of the word was quoted
  bool bracket = false;  // a lone ( ) [ ] { } split off a word or written alone
};

struct LogicalLine {
  std::string text;  // the joined line as crmsh sees it (for messages)
  int line = 0;      // physical line where it starts
  std::vector<Token> tokens;
};

// Splits `text` into logical lines of tokens. Fails on an unterminated quote
// ("origin:line:col: unterminated quote").
Result<std::vector<LogicalLine>> lex_crm(std::string_view text, const std::string& origin);

// Case-insensitive ASCII comparison, used for keywords.
bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);

}  // namespace quorate::crm::lang
