// The crm configure parser, part two: tag, fencing_topology, ACL roles and
// targets, alert, bundle and the shell commands monitor and modgroup. See
// lang_parser.h.
#include "crm/lang_parser_impl.h"

namespace quorate::crm::lang::detail {

Tag LineParser::parse_tag() {
  Tag t;
  if (at_end()) {
    fail(&line_.tokens[0], "Expected at least 2 arguments near <" + line_.tokens[0].text + ">");
    return t;
  }
  t.id = next().text;
  if (!t.id.empty() && t.id.back() == ':') t.id.pop_back();
  while (!at_end()) t.members.push_back(next().text);
  if (t.members.empty())
    fail(&line_.tokens[0], "Expected at least 2 arguments near <" + line_.tokens[0].text + ">");
  return t;
}

FencingTopology LineParser::parse_fencing() {
  FencingTopology f;
  std::string target;
  while (!at_end()) {
    const Token& t = next();
    if (is_colon_word(t)) {
      target = t.text.substr(0, t.text.size() - 1);
    } else if (starts_with(t.text, "attr:") || starts_with(t.text, "pattern:")) {
      target = t.text;
    } else {
      f.levels.push_back(FencingLevel{target, t.text});
    }
  }
  if (f.levels.empty()) fail_at_end("Expected fencing devices");
  return f;
}

AclRole LineParser::parse_role() {
  AclRole r;
  r.id = need_word("id");
  auto is_right = [this]() { return peek_kw("read") || peek_kw("write") || peek_kw("deny"); };
  while (ok() && !at_end()) {
    if (istarts_with(peek().text, "description=") && r.permissions.empty()) {
      r.description = next().text.substr(12);
    } else if (is_right()) {
      AclPermission p;
      p.right = to_lower(next().text);
      while (!at_end() && !is_right()) {
        const std::string& w = next().text;
        if (istarts_with(w, "description=")) {
          p.description = w.substr(12);
        } else {
          p.specs.push_back(w);
        }
      }
      if (p.specs.empty()) fail_at_end("Expected permission specification");
      r.permissions.push_back(p);
    } else {
      unknown_rest();
    }
  }
  if (ok() && r.permissions.empty()) fail_at_end("Expected read, write or deny");
  return r;
}

AclTarget LineParser::parse_acl_target() {
  AclTarget t;
  if (line_.tokens.size() < 3) {
    fail(&line_.tokens[0], "Expected at least 2 arguments near <" + line_.tokens[0].text + ">");
    return t;
  }
  t.id = next().text;
  while (!at_end()) t.roles.push_back(next().text);
  return t;
}

Alert LineParser::parse_alert() {
  Alert a;
  a.id = need_word("id");
  a.path = need_word("path");
  while (ok() && !at_end()) {
    const Token& t = peek();
    if (istarts_with(t.text, "description=")) {
      a.description = next().text.substr(12);
    } else if (peek_kw("attributes") || peek_kw("meta")) {
      std::string k = to_lower(next().text);
      // A recipient takes the sets written after it up to its closing
      // brace (or, unbraced, up to the next part): what comes here is the
      // alert's own.
      a.sets.push_back(parse_attr_list(k, false, true));
      a.layout.push_back(Alert::Part::kSet);
    } else if (peek_kw("select")) {
      ++i_;
      a.has_select = true;
      a.layout.push_back(Alert::Part::kSelect);
      while (!at_end()) {
        if (peek_kw("nodes") || peek_kw("fencing") || peek_kw("resources")) {
          a.select.push_back(to_lower(next().text));
        } else if (peek_kw("attributes") && peek_at(1) && peek_at(1)->bracket &&
                   peek_at(1)->text == "{") {
          i_ += 2;
          a.select.push_back("attributes");
          a.select.push_back("{");
          while (!at_end() && !(peek().bracket && peek().text == "}"))
            a.select.push_back(next().text);
          if (at_end()) {
            fail_at_end("Unmatched opening bracket {");
            return a;
          }
          ++i_;
          a.select.push_back("}");
        } else {
          break;
        }
      }
    } else if (peek_kw("to")) {
      ++i_;
      AlertRecipient r;
      bool braced = !at_end() && peek().bracket && peek().text == "{";
      if (braced) ++i_;
      r.path = need_word("recipient");
      while (ok() && !at_end()) {
        if (braced && peek().bracket && peek().text == "}") {
          ++i_;
          braced = false;
          break;
        }
        if (istarts_with(peek().text, "description=")) {
          r.description = next().text.substr(12);
        } else if (peek_kw("attributes") || peek_kw("meta")) {
          std::string k = to_lower(next().text);
          r.sets.push_back(parse_attr_list(k, false, true));
        } else {
          break;
        }
      }
      if (braced) fail_at_end("Unmatched opening bracket {");
      a.recipients.push_back(r);
      a.layout.push_back(Alert::Part::kRecipient);
    } else {
      unknown_rest();
    }
  }
  return a;
}

Bundle LineParser::parse_bundle() {
  Bundle b;
  b.id = need_word("id");
  auto is_section = [this]() {
    for (auto k : {"docker", "rkt", "podman", "network", "storage", "meta", "primitive"}) {
      if (peek_kw(k)) return true;
    }
    return false;
  };
  while (ok() && !at_end()) {
    if (istarts_with(peek().text, "description=")) {
      b.description = next().text.substr(12);
    } else if (is_section()) {
      BundleSection s;
      s.keyword = to_lower(next().text);
      if (s.keyword == "meta") {
        s.meta = parse_attr_list("meta", false);
      } else {
        while (!at_end() && !is_section()) s.words.push_back(next().text);
      }
      b.sections.push_back(s);
    } else {
      unknown_rest();
    }
  }
  return b;
}

Monitor LineParser::parse_monitor() {
  Monitor m;
  std::string r = need_word("resource");
  std::string iv = need_word("interval");
  if (!ok()) return m;
  auto c = r.find(':');
  m.rsc = r.substr(0, c);
  if (c != std::string::npos) {
    m.role = r.substr(c + 1);
    if (!is_role(m.role)) fail(&line_.tokens[1], "Invalid role '" + m.role + "'");
  }
  c = iv.find(':');
  m.interval = iv.substr(0, c);
  if (c != std::string::npos) m.timeout = iv.substr(c + 1);
  unknown_rest();
  return m;
}

ModGroup LineParser::parse_modgroup() {
  ModGroup g;
  g.group = need_word("group");
  std::string verb = to_lower(need_word("add or remove"));
  g.rsc = need_word("resource");
  if (!ok()) return g;
  if (verb != "add" && verb != "remove") {
    fail(&line_.tokens[2], "Expected add or remove");
    return g;
  }
  g.add = verb == "add";
  if (g.add && !at_end()) {
    g.where = to_lower(next().text);
    if (g.where != "after" && g.where != "before") {
      fail(&line_.tokens[i_ - 1], "Expected after or before");
      return g;
    }
    g.ref = need_word("resource");
  }
  unknown_rest();
  return g;
}

}  // namespace quorate::crm::lang::detail
