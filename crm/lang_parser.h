// Parser for the crm configure language (crmsh 4.4): text → syntax tree
// (lang_ast.h), one Command per logical line, in input order.
//
// Errors are values: "origin:line:col: syntax in <command>: <what> parsing
// '<line>'", worded like crmsh where crmsh has a word for it. Only what one
// line can tell is checked here (grammar, keywords, roles, actions, kinds,
// brackets, argument counts); checks over the whole configuration (unknown
// references, duplicate ids ...) are in lang_check.h.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crm/lang_ast.h"
#include "crm/lang_lexer.h"

namespace quorate::crm::lang {

Result<std::vector<Command>> parse_crm(std::string_view text, const std::string& origin);

// Parses one logical line from lex_crm (lang_lexer.h); it must have a token.
Result<Command> parse_line(const LogicalLine& line, const std::string& origin);

// The canonical configure command a (possibly shortened, any case) word
// stands for: exact name, then a unique prefix, then a unique subsequence,
// as crmsh's shell matches. Empty when none or ambiguous.
std::string match_command(std::string_view word);

}  // namespace quorate::crm::lang
