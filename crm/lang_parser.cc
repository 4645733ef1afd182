// Parser for the crm configure language: one recursive-descent pass over the
// tokens of each logical line. See lang_parser.h.
#include "crm/lang_parser.h"

#include <array>
#include <cctype>
#include <optional>

#include "crm/lang_lexer.h"
#include "crm/lang_parser_impl.h"

namespace quorate::crm::lang {

namespace detail {

bool is_section_keyword(const Token& t) {
  if (t.quoted || t.bracket) return false;
  static constexpr std::array<std::string_view, 9> kw = {"params",     "meta", "utilization",
                                                         "operations", "op",   "op_params",
                                                         "op_meta",    "rule", "attributes"};
  for (auto k : kw) {
    if (iequals(t.text, k)) return true;
  }
  return false;
}

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool istarts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && iequals(s.substr(0, p.size()), p);
}

bool is_role(std::string_view r) {
  for (auto k : {"Started", "Stopped", "Master", "Slave", "Promoted", "Unpromoted"}) {
    if (iequals(r, k)) return true;
  }
  return false;
}

bool is_action(std::string_view a) {
  for (auto k : {"start", "stop", "promote", "demote"}) {
    if (iequals(a, k)) return true;
  }
  return false;
}

bool is_date_field(std::string_view n) {
  for (auto k : {"start", "end", "hours", "monthdays", "weekdays", "yearsdays", "yeardays",
                 "months", "weeks", "years", "weekyears", "moon", "minutes", "seconds"}) {
    if (n == k) return true;
  }
  return false;
}

// "x:" with nothing after the colon (scores, kinds, set ids, node ids).
bool is_colon_word(const Token& t) {
  return !t.quoted && !t.bracket && t.text.size() > 1 && t.text.back() == ':' &&
         t.text.find('=') == std::string::npos && t.text[0] != '$';
}

NvPair make_nvpair(const std::string& w) {
  NvPair p;
  if (!w.empty() && w[0] == '@') {
    std::string rest = w.substr(1);
    auto c = rest.find(':');
    if (c == std::string::npos) {
      p.ref = rest;
    } else {
      p.ref = rest.substr(0, c);
      p.name = rest.substr(c + 1);
    }
    return p;
  }
  auto eq = w.find('=');
  std::string lhs = eq == std::string::npos ? w : w.substr(0, eq);
  if (eq != std::string::npos) p.value = w.substr(eq + 1);
  if (!lhs.empty() && lhs[0] == '$' && eq != std::string::npos) {
    lhs = lhs.substr(1);
    auto c = lhs.find(':');
    if (c == std::string::npos) {
      p.id = lhs;
    } else {
      p.id = lhs.substr(0, c);
      lhs = lhs.substr(c + 1);
    }
  }
  p.name = lhs;
  return p;
}

AttrList LineParser::parse_attr_list(const std::string& kind, bool allow_score, bool stop_at_to) {
  AttrList al;
  al.kind = kind;
  while (!at_end() && !peek().bracket) {
    const std::string& w = peek().text;
    if (starts_with(w, "$id-ref=")) {
      al.id_ref = w.substr(8);
      ++i_;
    } else if (starts_with(w, "$id=")) {
      al.id = w.substr(4);
      ++i_;
    } else {
      break;
    }
  }
  if (allow_score && !at_end() && is_colon_word(peek())) {
    al.score = next().text;
    al.score.pop_back();
  }
  while (ok() && peek_kw("rule")) al.rules.push_back(parse_rule(true));
  while (ok() && !at_end() && !peek().bracket && !stop_word(peek(), stop_at_to)) {
    al.pairs.push_back(make_nvpair(next().text));
  }
  return al;
}

Expression LineParser::parse_simple(bool in_attr_list) {
  Expression e;
  if (at_end() || peek().bracket) {
    fail_at_end("Expected identifier");
    return e;
  }
  const Token& t = next();
  if (!t.quoted && (iequals(t.text, "defined") || iequals(t.text, "not_defined"))) {
    e.kind = Expression::Kind::kUnary;
    e.op = to_lower(t.text);
    e.attribute = need_word("identifier");
    return e;
  }
  if (!t.quoted && iequals(t.text, "date")) {
    e.kind = Expression::Kind::kDate;
    std::string op = to_lower(need_word("date operation"));
    e.op = op;
    if (op == "lt" || op == "gt") {
      e.value = need_word("date");
    } else if (op == "in" || op == "in_range" || op == "spec" || op == "date_spec") {
      e.op = (op == "in_range") ? "in" : (op == "date_spec" ? "spec" : op);
      while (!at_end() && !peek().bracket) {
        auto eq = peek().text.find('=');
        if (eq == std::string::npos || !is_date_field(peek().text.substr(0, eq))) break;
        e.fields.push_back(make_nvpair(next().text));
      }
      if (e.fields.empty()) fail_at_end("Expected date fields");
    } else if (ok()) {
      fail(&t, "Unknown date operation " + op);
    }
    return e;
  }
  e.kind = Expression::Kind::kBinary;
  e.attribute = t.text;
  if (at_end()) {
    fail_at_end("Expected operator");
    return e;
  }
  std::string op = next().text;
  auto c = op.find(':');
  if (c != std::string::npos) {
    e.type = op.substr(0, c);
    op = op.substr(c + 1);
  }
  op = to_lower(op);
  bool known = false;
  for (auto k : {"lt", "gt", "lte", "gte", "eq", "ne"}) known = known || op == k;
  if (!known) {
    fail(&line_.tokens[i_ - 1], "Unknown operator " + op);
    return e;
  }
  e.op = op;
  if (at_end()) {
    fail_at_end("Expected identifier");
    return e;
  }
  (void)in_attr_list;
  e.value = next().text;
  return e;
}

Rule LineParser::parse_rule(bool in_attr_list) {
  Rule r;
  ++i_;  // 'rule'
  while (!at_end()) {
    const std::string& w = peek().text;
    if (starts_with(w, "$id-ref=")) {
      r.id_ref = w.substr(8);
    } else if (starts_with(w, "$id=")) {
      r.id = w.substr(4);
    } else if (starts_with(w, "$role=")) {
      r.role = w.substr(6);
      if (!is_role(r.role)) fail(&peek(), "Invalid role '" + r.role + "'");
    } else {
      break;
    }
    ++i_;
  }
  if (!r.id_ref.empty()) return r;
  if (!at_end() && is_colon_word(peek())) {
    r.score = next().text;
    r.score.pop_back();
  }
  r.expressions.push_back(parse_simple(in_attr_list));
  while (ok() && !at_end() && !peek().quoted &&
         (iequals(peek().text, "and") || iequals(peek().text, "or"))) {
    std::string op = to_lower(next().text);
    if (!r.bool_op.empty() && r.bool_op != op) {
      fail(&line_.tokens[i_ - 1], "Mixing and/or in one rule is not allowed");
      return r;
    }
    r.bool_op = op;
    r.expressions.push_back(parse_simple(in_attr_list));
  }
  return r;
}

std::vector<ResourceSet> LineParser::parse_sets(bool (*is_end)(const Token&), bool order_actions,
                                                std::string_view closer) {
  std::vector<ResourceSet> sets;
  ResourceSet bare;
  auto flush_bare = [&]() {
    if (!bare.items.empty() || !bare.attributes.empty()) sets.push_back(bare);
    bare = ResourceSet{};
  };
  auto item = [&](const Token& t) -> std::optional<SetItem> {
    SetItem it;
    it.pos = SourcePos{t.line, t.col};
    auto c = t.text.rfind(':');
    if (c == std::string::npos || t.quoted) {
      it.rsc = t.text;
      return it;
    }
    it.rsc = t.text.substr(0, c);
    it.qualifier = t.text.substr(c + 1);
    if (order_actions) {
      if (!is_action(it.qualifier)) {
        fail(&t, "Invalid action '" + it.qualifier + "' for '" + it.rsc + "'" + near());
        return std::nullopt;
      }
    } else if (!is_role(it.qualifier)) {
      fail(&t, "Invalid role '" + it.qualifier + "' for '" + it.rsc + "'" + near());
      return std::nullopt;
    }
    return it;
  };
  while (ok() && !at_end()) {
    const Token& t = peek();
    if (t.bracket && !closer.empty() && t.text == closer) break;
    if (!t.bracket && is_end(t)) break;
    if (t.bracket && (t.text == "(" || t.text == "[")) {
      flush_bare();
      const char open = t.text[0];
      const std::string want = open == '(' ? ")" : "]";
      ++i_;
      ResourceSet s;
      s.bracket = open;
      bool closed = false;
      while (ok() && !at_end()) {
        const Token& u = peek();
        if (u.bracket) {
          if (u.text == want) {
            closed = true;
            ++i_;
            break;
          }
          fail(&u, "Unexpected bracket " + u.text + near(), "role");
          return sets;
        }
        ++i_;
        if (u.text.find('=') != std::string::npos && !u.quoted) {
          s.attributes.push_back(make_nvpair(u.text));
        } else if (auto it = item(u)) {
          s.items.push_back(*it);
        }
      }
      if (!ok()) return sets;
      if (!closed) {
        const Token& last = line_.tokens.back();
        fail(&last, "Unmatched opening bracket near <" + last.text + ">", "role");
        return sets;
      }
      sets.push_back(s);
      continue;
    }
    if (t.bracket) {
      fail(&t, "Unmatched closing bracket " + t.text + near(), "role");
      return sets;
    }
    ++i_;
    if (t.text.find('=') != std::string::npos && !t.quoted) {
      bare.attributes.push_back(make_nvpair(t.text));
    } else if (auto it = item(t)) {
      if (!bare.attributes.empty()) flush_bare();
      bare.items.push_back(*it);
    }
  }
  flush_bare();
  return sets;
}

Node LineParser::parse_node() {
  Node n;
  if (!at_end() && starts_with(peek().text, "$id=")) {
    n.id = next().text.substr(4);
  } else if (!at_end() && is_colon_word(peek())) {
    n.id = next().text;
    n.id.pop_back();
  }
  std::string u = need_word("node name");
  auto c = u.find(':');
  if (c != std::string::npos) {
    n.type = u.substr(c + 1);
    u = u.substr(0, c);
    bool known = false;
    for (auto k : {"normal", "member", "ping", "remote"}) known = known || iequals(n.type, k);
    if (!known) fail(&line_.tokens[i_ - 1], "Invalid node type " + n.type);
  }
  n.uname = u;
  bool first = true;
  while (ok() && !at_end()) {
    if (istarts_with(peek().text, "description=")) {
      n.description = next().text.substr(12);
    } else if (peek_kw("attributes") || peek_kw("utilization")) {
      std::string kind = to_lower(next().text);
      n.sets.push_back(parse_attr_list(kind, true));
    } else if (first && !is_section_keyword(peek())) {
      n.sets.push_back(parse_attr_list("attributes", true));
    } else {
      unknown_rest();
    }
    first = false;
  }
  return n;
}

Primitive LineParser::parse_primitive(bool is_template) {
  Primitive p;
  p.is_template = is_template;
  p.id = need_word("id");
  std::string spec = need_word("resource agent");
  if (!ok()) return p;
  if (!is_template && starts_with(spec, "@")) {
    p.template_ref = spec.substr(1);
  } else {
    std::vector<std::string> parts;
    size_t s = 0;
    for (int k = 0; k < 2; ++k) {
      auto c = spec.find(':', s);
      if (c == std::string::npos) break;
      parts.push_back(spec.substr(s, c - s));
      s = c + 1;
    }
    parts.push_back(spec.substr(s));
    if (parts.size() == 1) {
      p.cls = "ocf";
      p.provider = "heartbeat";
      p.type = parts[0];
    } else if (parts.size() == 2) {
      p.cls = to_lower(parts[0]);
      p.type = parts[1];
    } else {
      p.cls = to_lower(parts[0]);
      p.provider = parts[1];
      p.type = parts[2];
    }
    bool known = false;
    for (auto k : {"ocf", "lsb", "service", "systemd", "stonith", "upstart", "nagios"})
      known = known || p.cls == k;
    if (!known || p.type.empty()) fail(&line_.tokens[i_ - 1], "Invalid resource agent " + spec);
  }
  bool any_section = false;
  while (ok() && !at_end()) {
    const Token& t = peek();
    if (istarts_with(t.text, "description=") && !any_section) {
      p.description = next().text.substr(12);
    } else if (peek_kw("params") || peek_kw("meta") || peek_kw("utilization")) {
      std::string kind = to_lower(next().text);
      p.sets.push_back(parse_attr_list(kind, true));
      any_section = true;
    } else if (peek_kw("operations")) {
      ++i_;
      std::string w = need_word("$id= or $id-ref=");
      if (starts_with(w, "$id-ref=")) {
        p.operations_id_ref = w.substr(8);
      } else if (starts_with(w, "$id=")) {
        p.operations_id = w.substr(4);
      } else if (ok()) {
        fail(&line_.tokens[i_ - 1], "Expected $id= or $id-ref= after operations");
      }
      any_section = true;
    } else if (peek_kw("op")) {
      const Token& optok = next();
      Op op;
      op.pos = SourcePos{optok.line, optok.col};
      op.name = need_word("operation name");
      while (ok() && !at_end() && !is_section_keyword(peek())) {
        const Token& a = next();
        NvPair nv = make_nvpair(a.text);
        if (!nv.value) {
          fail(&a, "Attribute '" + a.text + "' of op " + op.name + " has no value");
          break;
        }
        op.attributes.push_back(nv);
      }
      while (ok() && (peek_kw("op_params") || peek_kw("op_meta"))) {
        std::string kind = to_lower(next().text);
        op.sets.push_back(parse_attr_list(kind, true));
      }
      p.ops.push_back(op);
      any_section = true;
    } else if (peek_kw("op_params") || peek_kw("op_meta")) {
      fail(&t, t.text + " without op" + near());
    } else if (!any_section && !is_section_keyword(t)) {
      p.sets.push_back(parse_attr_list("params", true));
      any_section = true;
    } else {
      unknown_rest();
    }
  }
  return p;
}

Container LineParser::parse_container(Container::Kind kind) {
  Container c;
  c.kind = kind;
  c.id = need_word("id");
  if (!ok()) return c;
  if (at_end() || peek().text.find('=') != std::string::npos || is_section_keyword(peek())) {
    fail_at_end("Expected at least 1 resource");
    return c;
  }
  c.children.push_back(next().text);
  if (kind == Container::Kind::kGroup) {
    while (!at_end() && peek().text.find('=') == std::string::npos && !is_section_keyword(peek()) &&
           !peek().bracket) {
      c.children.push_back(next().text);
    }
  }
  bool any = false;
  while (ok() && !at_end()) {
    if (istarts_with(peek().text, "description=")) {
      c.description = next().text.substr(12);
    } else if (peek_kw("params") || peek_kw("meta")) {
      std::string k = to_lower(next().text);
      c.sets.push_back(parse_attr_list(k, true));
      any = true;
    } else if (!any && !is_section_keyword(peek())) {
      c.sets.push_back(parse_attr_list("params", true));
      any = true;
    } else {
      unknown_rest();
    }
  }
  return c;
}

bool location_end(const Token& t) {
  (void)t;
  return false;
}

Location LineParser::parse_location() {
  Location l;
  l.id = need_word("id");
  if (!ok()) return l;
  if (at_end()) {
    fail_at_end("Expected resource");
    return l;
  }
  if (peek().bracket && peek().text == "{") {
    ++i_;
    l.has_sets = true;
    l.sets = parse_sets(location_end, false, "}");
    if (!ok()) return l;
    if (at_end()) {
      fail_at_end("Unmatched opening bracket {");
      return l;
    }
    ++i_;
  } else {
    std::string w = next().text;
    if (w.size() >= 2 && w.front() == '/' && w.back() == '/') {
      l.pattern = w.substr(1, w.size() - 2);
    } else {
      l.rsc = w;
    }
  }
  while (!at_end()) {
    if (istarts_with(peek().text, "role=")) {
      l.role = next().text.substr(5);
      if (!is_role(l.role)) fail(&line_.tokens[i_ - 1], "Invalid role '" + l.role + "'");
    } else if (istarts_with(peek().text, "resource-discovery=")) {
      l.discovery = next().text.substr(19);
      bool known = false;
      for (auto k : {"always", "never", "exclusive"}) known = known || l.discovery == k;
      if (!known) fail(&line_.tokens[i_ - 1], "Invalid resource-discovery " + l.discovery);
    } else {
      break;
    }
  }
  if (!ok()) return l;
  if (peek_kw("rule")) {
    while (ok() && peek_kw("rule")) l.rules.push_back(parse_rule(false));
    if (ok()) unknown_rest();
    return l;
  }
  if (at_end() || !is_colon_word(peek())) {
    if (at_end()) {
      fail_at_end("Expected score or rule");
    } else {
      fail(&peek(), "Expected <score>: <node> or rule" + near());
    }
    return l;
  }
  l.score = next().text;
  l.score.pop_back();
  l.node = need_word("node");
  if (ok()) unknown_rest();
  return l;
}

bool colocation_end(const Token& t) { return istarts_with(t.text, "node-attribute="); }
bool order_end(const Token& t) { return istarts_with(t.text, "symmetrical="); }
bool ticket_end(const Token& t) { return istarts_with(t.text, "loss-policy="); }

Colocation LineParser::parse_colocation() {
  Colocation c;
  c.id = need_word("id");
  if (!ok()) return c;
  if (at_end() || !is_colon_word(peek())) {
    fail(at_end() ? nullptr : &peek(), "Expected <score>:" + near());
    return c;
  }
  c.score = next().text;
  c.score.pop_back();
  c.sets = parse_sets(colocation_end, false);
  if (ok() && !at_end()) c.node_attribute = next().text.substr(15);
  if (ok()) unknown_rest();
  size_t n = 0;
  for (auto& s : c.sets) n += s.items.size();
  if (ok() && n < 2) fail_at_end("Expected at least 2 resources");
  return c;
}

Order LineParser::parse_order() {
  Order o;
  o.id = need_word("id");
  if (!ok()) return o;
  if (!at_end() && is_colon_word(peek())) {
    o.kind = next().text;
    o.kind.pop_back();
    bool valid = false;
    for (auto k : {"Mandatory", "Optional", "Serialize"}) {
      if (iequals(o.kind, k)) {
        o.kind = k;
        valid = true;
      }
    }
    if (!valid) {
      std::string s = o.kind;
      if (!s.empty() && (s[0] == '+' || s[0] == '-')) s = s.substr(1);
      bool num = !s.empty();
      for (char ch : s) num = num && std::isdigit(static_cast<unsigned char>(ch));
      if (!num && !iequals(s, "inf") && !iequals(s, "infinity")) {
        fail(&line_.tokens[i_ - 1], "Invalid kind: " + o.kind + near());
        return o;
      }
    }
  }
  o.sets = parse_sets(order_end, true);
  if (ok() && !at_end()) o.symmetrical = next().text.substr(12);
  if (ok()) unknown_rest();
  size_t n = 0;
  for (auto& s : o.sets) n += s.items.size();
  if (ok() && n < 2) fail_at_end("Expected at least 2 resources");
  return o;
}

RscTicket LineParser::parse_ticket() {
  RscTicket t;
  t.id = need_word("id");
  if (!ok()) return t;
  if (at_end() || !is_colon_word(peek())) {
    fail(at_end() ? nullptr : &peek(), "Expected <ticket>:" + near());
    return t;
  }
  t.ticket = next().text;
  t.ticket.pop_back();
  t.sets = parse_sets(ticket_end, false);
  if (ok() && !at_end()) t.loss_policy = next().text.substr(12);
  if (ok()) unknown_rest();
  if (ok() && t.sets.empty()) fail_at_end("Expected at least 1 resource");
  return t;
}

PropertySet LineParser::parse_property(PropertySet::Kind kind) {
  PropertySet p;
  p.kind = kind;
  std::string set_id;
  if (!at_end() && is_colon_word(peek())) {
    set_id = next().text;
    set_id.pop_back();
  }
  p.body = parse_attr_list("", false);
  if (!set_id.empty()) p.body.id = set_id;
  if (ok()) unknown_rest();
  if (ok() && p.body.pairs.empty() && p.body.id_ref.empty()) fail_at_end("Expected name=value");
  return p;
}

Result<Command> LineParser::run() {
  const Token& first = line_.tokens[0];
  std::string name = match_command(first.text);
  if (name.empty()) {
    return Error{origin_ + ":" + std::to_string(first.line) + ":" + std::to_string(first.col) +
                 ": configure." + first.text + ": No such command"};
  }
  if (name == "collocation") name = "colocation";
  if (name == "master") name = "ms";
  cmd_ = name;
  Command cmd;
  cmd.name = name;
  cmd.text = line_.text;
  cmd.origin = origin_;
  cmd.pos = SourcePos{first.line, first.col};
  if (name == "node") {
    cmd.body = parse_node();
  } else if (name == "primitive" || name == "rsc_template") {
    cmd.body = parse_primitive(name == "rsc_template");
  } else if (name == "group") {
    cmd.body = parse_container(Container::Kind::kGroup);
  } else if (name == "clone") {
    cmd.body = parse_container(Container::Kind::kClone);
  } else if (name == "ms") {
    cmd.body = parse_container(Container::Kind::kMs);
  } else if (name == "location") {
    cmd.body = parse_location();
  } else if (name == "colocation") {
    cmd.body = parse_colocation();
  } else if (name == "order") {
    cmd.body = parse_order();
  } else if (name == "rsc_ticket") {
    cmd.body = parse_ticket();
  } else if (name == "property") {
    cmd.body = parse_property(PropertySet::Kind::kProperty);
  } else if (name == "rsc_defaults") {
    cmd.body = parse_property(PropertySet::Kind::kRscDefaults);
  } else if (name == "op_defaults") {
    cmd.body = parse_property(PropertySet::Kind::kOpDefaults);
  } else if (name == "tag") {
    cmd.body = parse_tag();
  } else if (name == "fencing_topology") {
    cmd.body = parse_fencing();
  } else if (name == "role") {
    cmd.body = parse_role();
  } else if (name == "acl_target") {
    cmd.body = parse_acl_target();
  } else if (name == "alert") {
    cmd.body = parse_alert();
  } else if (name == "bundle") {
    cmd.body = parse_bundle();
  } else if (name == "monitor") {
    cmd.body = parse_monitor();
  } else if (name == "delete") {
    Delete d;
    while (!at_end()) d.ids.push_back(next().text);
    if (d.ids.empty()) fail_at_end("Expected at least 1 id");
    cmd.body = d;
  } else if (name == "rename") {
    Rename r;
    r.from = need_word("old id");
    r.to = need_word("new id");
    unknown_rest();
    cmd.body = r;
  } else if (name == "modgroup") {
    cmd.body = parse_modgroup();
  } else {
    ShellCommand s;
    s.name = name;
    while (!at_end()) s.args.push_back(next().text);
    cmd.body = s;
  }
  if (err_) return *err_;
  return cmd;
}

}  // namespace detail

namespace {

// crmsh's configure level commands (for exact / prefix / subsequence matching).
constexpr std::array<std::string_view, 52> kCommands = {"node",
                                                        "primitive",
                                                        "monitor",
                                                        "group",
                                                        "clone",
                                                        "ms",
                                                        "master",
                                                        "rsc_template",
                                                        "location",
                                                        "colocation",
                                                        "collocation",
                                                        "order",
                                                        "rsc_ticket",
                                                        "property",
                                                        "rsc_defaults",
                                                        "op_defaults",
                                                        "fencing_topology",
                                                        "role",
                                                        "user",
                                                        "acl_target",
                                                        "tag",
                                                        "alert",
                                                        "bundle",
                                                        "show",
                                                        "edit",
                                                        "filter",
                                                        "delete",
                                                        "default-timeouts",
                                                        "rename",
                                                        "modgroup",
                                                        "refresh",
                                                        "erase",
                                                        "ptest",
                                                        "simulate",
                                                        "cib",
                                                        "cibstatus",
                                                        "template",
                                                        "commit",
                                                        "verify",
                                                        "upgrade",
                                                        "schema",
                                                        "graph",
                                                        "xml",
                                                        "load",
                                                        "save",
                                                        "set",
                                                        "get_property",
                                                        "show_property",
                                                        "assist",
                                                        "maintenance",
                                                        "help",
                                                        "end"};

bool is_subsequence(std::string_view needle, std::string_view hay) {
  size_t j = 0;
  for (char c : hay) {
    if (j < needle.size() && needle[j] == c) ++j;
  }
  return j == needle.size();
}

}  // namespace

std::string match_command(std::string_view word) {
  std::string w = to_lower(word);
  for (auto c : kCommands) {
    if (c == w) return std::string(c);
  }
  std::string found;
  int count = 0;
  for (auto c : kCommands) {
    if (detail::starts_with(c, w)) {
      found = c;
      ++count;
    }
  }
  if (count == 1) return found;
  if (count > 1) return {};
  for (auto c : kCommands) {
    if (is_subsequence(w, c)) {
      found = c;
      ++count;
    }
  }
  return count == 1 ? found : std::string{};
}

Result<Command> parse_line(const LogicalLine& line, const std::string& origin) {
  if (line.tokens.empty()) return Error{origin + ":" + std::to_string(line.line) + ": empty line"};
  detail::LineParser p(line, origin);
  return p.run();
}

Result<std::vector<Command>> parse_crm(std::string_view text, const std::string& origin) {
  auto lines = lex_crm(text, origin);
  if (!lines) return lines.error();
  std::vector<Command> out;
  for (const auto& l : *lines) {
    detail::LineParser p(l, origin);
    auto c = p.run();
    if (!c) return c.error();
    out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace quorate::crm::lang