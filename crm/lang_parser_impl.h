// Internals of the crm configure parser shared by lang_parser.cc (shared
// pieces, resources, constraints) and lang_parser_acl.cc (tags, fencing,
// ACLs, alerts, bundles, shell commands). Not a public interface.
//
// LineParser parses one logical line; it holds references to the line and
// the origin, which must outlive it. Not thread-safe; one per line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/result.h"
#include "crm/lang_ast.h"
#include "crm/lang_lexer.h"

namespace quorate::crm::lang::detail {

bool is_section_keyword(const Token& t);
bool starts_with(std::string_view s, std::string_view p);
bool istarts_with(std::string_view s, std::string_view p);
bool is_role(std::string_view r);
bool is_action(std::string_view a);
bool is_date_field(std::string_view n);
// "x:" with nothing after the colon (scores, kinds, set ids, node ids).
bool is_colon_word(const Token& t);
NvPair make_nvpair(const std::string& w);

class LineParser {
 public:
  LineParser(const LogicalLine& line, const std::string& origin) : line_(line), origin_(origin) {}

  Result<Command> run();

 private:
  const LogicalLine& line_;
  const std::string& origin_;
  size_t i_ = 1;
  std::string cmd_;
  std::optional<Error> err_;

  bool at_end() const { return i_ >= line_.tokens.size(); }
  const Token& peek() const { return line_.tokens[i_]; }
  const Token* peek_at(size_t k) const {
    return i_ + k < line_.tokens.size() ? &line_.tokens[i_ + k] : nullptr;
  }
  const Token& next() { return line_.tokens[i_++]; }
  bool peek_kw(std::string_view kw) const {
    return !at_end() && !peek().quoted && !peek().bracket && iequals(peek().text, kw);
  }
  bool ok() const { return !err_.has_value(); }

  void fail(const Token* at, const std::string& what, const std::string& in = "") {
    if (err_) return;
    int l = at ? at->line : line_.line;
    int c = at ? at->col : 1;
    err_ = Error{origin_ + ":" + std::to_string(l) + ":" + std::to_string(c) + ": syntax in " +
                 (in.empty() ? cmd_ : in) + ": " + what + " parsing '" + line_.text + "'"};
  }
  void fail_at_end(const std::string& what) {
    const Token* t = line_.tokens.empty() ? nullptr : &line_.tokens.back();
    fail(t, what);
  }
  std::string near() const { return at_end() ? "" : " near <" + peek().text + ">"; }
  void unknown_rest() {
    if (at_end()) return;
    std::string rest;
    for (size_t k = i_; k < line_.tokens.size(); ++k) {
      if (!rest.empty()) rest += " ";
      rest += line_.tokens[k].text;
    }
    fail(&peek(), "Unknown arguments: " + rest + near());
  }
  std::string need_word(const std::string& what) {
    if (at_end()) {
      fail_at_end("Expected " + what);
      return {};
    }
    return next().text;
  }

  AttrList parse_attr_list(const std::string& kind, bool allow_score, bool stop_at_to = false);
  Rule parse_rule(bool in_attr_list);
  Expression parse_simple(bool in_attr_list);
  std::vector<ResourceSet> parse_sets(bool (*is_end)(const Token&), bool order_actions,
                                      std::string_view closer = "");
  bool stop_word(const Token& t, bool stop_at_to) const {
    if (is_section_keyword(t)) return true;
    if (stop_at_to && !t.quoted && (iequals(t.text, "to") || iequals(t.text, "select")))
      return true;
    return false;
  }

  Node parse_node();
  Primitive parse_primitive(bool is_template);
  Container parse_container(Container::Kind kind);
  Location parse_location();
  Colocation parse_colocation();
  Order parse_order();
  RscTicket parse_ticket();
  PropertySet parse_property(PropertySet::Kind kind);
  Tag parse_tag();
  FencingTopology parse_fencing();
  AclRole parse_role();
  AclTarget parse_acl_target();
  Alert parse_alert();
  Bundle parse_bundle();
  Monitor parse_monitor();
  ModGroup parse_modgroup();
};

}  // namespace quorate::crm::lang::detail
