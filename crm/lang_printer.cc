// `crm configure show` printer. See lang_printer.h.
#include "crm/lang_printer.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "crm/lang_check.h"
#include "crm/lang_lexer.h"

namespace quorate::crm::lang {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

// head \ line \ line ... with crmsh's continuation layout.
std::string layout(const std::string& head, const std::vector<std::string>& lines) {
  std::string out = head;
  for (const auto& l : lines) {
    if (l.empty()) continue;
    out += " \\\n\t" + l;
  }
  return out;
}

bool obscured(const std::string& name) { return to_lower(name).rfind("passw", 0) == 0; }

std::string nvpair_str(const NvPair& p) {
  if (!p.ref.empty()) return "@" + p.ref + (p.name.empty() ? "" : ":" + p.name);
  if (!p.value) return p.name;
  if (obscured(p.name)) return p.name + "=\"******\"";
  return p.name + "=" + quote_value(*p.value);
}

std::string pairs_str(const std::vector<NvPair>& pairs) {
  std::vector<std::string> parts;
  for (const auto& p : pairs) parts.push_back(nvpair_str(p));
  return join(parts, " ");
}

// inf / -inf / +inf as show writes them; numbers and attribute names as is.
std::string score_str(const std::string& s) {
  std::string body = s;
  std::string sign;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    sign = body.substr(0, 1);
    body = body.substr(1);
  }
  if (iequals(body, "inf") || iequals(body, "infinity")) return sign + "inf";
  if (iequals(s, "mandatory")) return "inf";
  if (iequals(s, "advisory")) return "0";
  return s;
}

class Printer {
 public:
  explicit Printer(const std::vector<Command>& objs) : objs_(objs) {
    for (const auto& o : objs_) by_id_[object_id(o)] = &o;
  }

  std::string print(const Command& c);

 private:
  const std::vector<Command>& objs_;
  std::map<std::string, const Command*> by_id_;

  const Command* find(const std::string& id) const {
    auto it = by_id_.find(id);
    return it == by_id_.end() ? nullptr : it->second;
  }

  std::string rule_ref(const std::string& ref) const;
  std::string set_ref(const std::string& kind, const std::string& ref) const;
  std::string rule_str(const Rule& r, const std::string& owner) const;
  std::string attr_list_str(const AttrList& al, const std::string& keyword,
                            const std::string& owner) const;
  std::string sets_str(const std::vector<ResourceSet>& sets) const;

  std::string print_node(const Node& n) const;
  std::string print_primitive(const Primitive& p) const;
  std::string print_container(const Container& g) const;
  std::string print_location(const Location& l) const;
  std::string print_property(const Command& c, const PropertySet& p) const;
  std::string print_fencing(const FencingTopology& f) const;
  std::string print_role(const AclRole& r) const;
  std::string print_alert(const Alert& a) const;
  std::string print_bundle(const Bundle& b) const;
};

std::string expression_str(const Expression& e) {
  switch (e.kind) {
    case Expression::Kind::kUnary:
      return e.op + " " + e.attribute;
    case Expression::Kind::kDate: {
      std::string s = "date " + e.op;
      if (e.op == "lt" || e.op == "gt") return s + " " + quote_value(e.value);
      for (const auto& f : e.fields) s += " " + nvpair_str(f);
      return s;
    }
    case Expression::Kind::kBinary:
      break;
  }
  std::string type = (e.type.empty() || iequals(e.type, "string")) ? "" : e.type + ":";
  return e.attribute + " " + type + e.op + " " + quote_value(e.value);
}

// $id-ref of a rule: a rule id, or an object whose first rule is meant.
std::string Printer::rule_ref(const std::string& ref) const {
  if (const Command* c = find(ref)) {
    if (const auto* l = std::get_if<Location>(&c->body)) {
      if (!l->rules.empty()) return l->rules[0].id.empty() ? l->id + "-rule" : l->rules[0].id;
    }
  }
  return ref;
}

// $id-ref of an attribute set: a set id, or an object whose set of that kind is meant.
std::string Printer::set_ref(const std::string& kind, const std::string& ref) const {
  const Command* c = find(ref);
  if (!c) return ref;
  const std::vector<AttrList>* sets = nullptr;
  if (const auto* p = std::get_if<Primitive>(&c->body)) sets = &p->sets;
  if (const auto* g = std::get_if<Container>(&c->body)) sets = &g->sets;
  if (!sets) return ref;
  for (const auto& s : *sets) {
    if (s.kind != kind) continue;
    if (!s.id.empty()) return s.id;
    std::string suffix = kind == "meta"          ? "-meta_attributes"
                         : kind == "utilization" ? "-utilization"
                                                 : "-instance_attributes";
    return ref + suffix;
  }
  return ref;
}

std::string Printer::rule_str(const Rule& r, const std::string& owner) const {
  std::vector<std::string> parts{"rule"};
  if (!r.id_ref.empty()) {
    parts.push_back("$id-ref=" + rule_ref(r.id_ref));
    return join(parts, " ");
  }
  const std::string gen = owner + "-rule";
  if (!r.id.empty() && r.id != gen && r.id.rfind(gen + "-", 0) != 0) parts.push_back("$id=" + r.id);
  if (!r.role.empty()) parts.push_back("$role=" + r.role);
  std::string sc = score_str(r.score);
  if (!sc.empty() && sc != "inf") parts.push_back(sc + ":");
  std::vector<std::string> ex;
  for (const auto& e : r.expressions) ex.push_back(expression_str(e));
  parts.push_back(join(ex, " " + (r.bool_op.empty() ? std::string("and") : r.bool_op) + " "));
  return join(parts, " ");
}

std::string Printer::attr_list_str(const AttrList& al, const std::string& keyword,
                                   const std::string& owner) const {
  std::vector<std::string> parts{keyword};
  if (!al.id_ref.empty()) {
    parts.push_back("$id-ref=" + set_ref(al.kind, al.id_ref));
  }
  if (!al.score.empty()) parts.push_back(score_str(al.score) + ":");
  for (const auto& r : al.rules) parts.push_back(rule_str(r, owner));
  parts.push_back(pairs_str(al.pairs));
  return join(parts, " ");
}

struct NormSet {
  bool sequential = true;
  bool require_all = true;
  std::vector<SetItem> items;
};

std::string Printer::sets_str(const std::vector<ResourceSet>& sets) const {
  std::vector<NormSet> norm;
  for (const auto& s : sets) {
    NormSet base;
    if (s.bracket == '(') base.sequential = false;
    if (s.bracket == '[') base.sequential = base.require_all = false;
    for (const auto& a : s.attributes) {
      bool v =
          a.value && (iequals(*a.value, "true") || iequals(*a.value, "yes") || *a.value == "1");
      if (a.name == "sequential") base.sequential = v;
      if (a.name == "require-all") base.require_all = v;
    }
    NormSet cur = base;
    for (const auto& it : s.items) {
      if (!cur.items.empty() && cur.items.back().qualifier != it.qualifier) {
        norm.push_back(cur);
        cur = base;
      }
      cur.items.push_back(it);
    }
    if (!cur.items.empty()) norm.push_back(cur);
  }
  std::vector<std::string> out;
  for (const auto& n : norm) {
    std::vector<std::string> items;
    for (const auto& it : n.items)
      items.push_back(it.rsc + (it.qualifier.empty() ? "" : ":" + it.qualifier));
    std::string body = join(items, " ");
    if (!n.require_all) {
      out.push_back("[ " + body + (n.sequential ? " sequential=true" : "") + " ]");
    } else if (!n.sequential) {
      out.push_back("( " + body + " )");
    } else {
      out.push_back(body);
    }
  }
  return join(out, " ");
}

std::string Printer::print_node(const Node& n) const {
  std::string head = "node ";
  if (!n.id.empty() && n.id != n.uname) head += n.id + ": ";
  head += n.uname;
  if (!n.type.empty() && !iequals(n.type, "normal")) head += ":" + n.type;
  std::vector<std::string> lines;
  if (n.description) lines.push_back("description=" + quote_value(*n.description));
  const std::string owner = n.id.empty() ? n.uname : n.id;
  for (const auto& s : n.sets) lines.push_back(attr_list_str(s, s.kind, owner));
  return layout(head, lines);
}

std::string Printer::print_primitive(const Primitive& p) const {
  std::string agent;
  if (!p.template_ref.empty()) {
    agent = "@" + p.template_ref;
  } else if (p.cls == "ocf" && p.provider == "heartbeat") {
    agent = p.type;
  } else if (!p.provider.empty()) {
    agent = p.cls + ":" + p.provider + ":" + p.type;
  } else {
    agent = p.cls + ":" + p.type;
  }
  std::string head = (p.is_template ? "rsc_template " : "primitive ") + p.id + " " + agent;
  std::vector<std::string> lines;
  if (p.description) lines.push_back("description=" + quote_value(*p.description));
  for (const auto& s : p.sets) lines.push_back(attr_list_str(s, s.kind, p.id));
  if (!p.operations_id.empty()) lines.push_back("operations $id=" + p.operations_id);
  if (!p.operations_id_ref.empty()) {
    std::string ref = p.operations_id_ref;
    if (const Command* c = find(ref)) {
      if (const auto* q = std::get_if<Primitive>(&c->body)) {
        if (!q->operations_id.empty()) ref = q->operations_id;
      }
    }
    lines.push_back("operations  $id-ref=" + ref);
  }
  static const char* kOpAttrs[] = {
      "interval",        "timeout", "role",           "on-fail",     "start-delay",
      "interval-origin", "enabled", "record-pending", "description", "name"};
  for (const auto& op : p.ops) {
    std::vector<NvPair> known;
    std::vector<NvPair> extra;
    bool has_interval = false;
    for (const auto& a : op.attributes) {
      bool k = std::any_of(std::begin(kOpAttrs), std::end(kOpAttrs),
                           [&](const char* n) { return a.name == n; });
      (k ? known : extra).push_back(a);
      has_interval |= a.name == "interval";
    }
    if (!has_interval) known.push_back(NvPair{"", "interval", std::string("0"), ""});
    lines.push_back("op " + op.name + " " + pairs_str(known));
    if (!extra.empty()) lines.push_back("op_params " + pairs_str(extra));
    for (const auto& s : op.sets) lines.push_back(attr_list_str(s, s.kind, p.id));
  }
  return layout(head, lines);
}

std::string Printer::print_container(const Container& g) const {
  const char* kw = g.kind == Container::Kind::kGroup   ? "group "
                   : g.kind == Container::Kind::kClone ? "clone "
                                                       : "ms ";
  std::string head = kw + g.id;
  for (const auto& ch : g.children) head += " " + ch;
  std::vector<std::string> lines;
  if (g.description) lines.push_back("description=" + quote_value(*g.description));
  for (const auto& s : g.sets) lines.push_back(attr_list_str(s, s.kind, g.id));
  return layout(head, lines);
}

std::string Printer::print_location(const Location& l) const {
  std::string head = "location " + l.id + " ";
  if (l.has_sets) {
    head += "{ " + sets_str(l.sets) + " }";
  } else if (!l.pattern.empty()) {
    head += "/" + l.pattern + "/";
  } else {
    head += l.rsc;
  }
  if (!l.role.empty()) head += " role=" + l.role;
  if (!l.discovery.empty()) head += " resource-discovery=" + l.discovery;
  if (l.rules.empty()) return head + " " + score_str(l.score) + ": " + l.node;
  std::vector<std::string> lines;
  for (const auto& r : l.rules) lines.push_back(rule_str(r, l.id));
  return layout(head, lines);
}

std::string Printer::print_property(const Command& c, const PropertySet& p) const {
  std::string head = c.name + " " + object_id(c) + ":";
  std::vector<std::string> lines;
  if (!p.body.id_ref.empty()) lines.push_back("$id-ref=" + p.body.id_ref);
  for (const auto& r : p.body.rules) lines.push_back(rule_str(r, object_id(c)));
  for (const auto& nv : p.body.pairs) lines.push_back(nvpair_str(nv));
  return layout(head, lines);
}

std::string Printer::print_fencing(const FencingTopology& f) const {
  bool targeted = std::any_of(f.levels.begin(), f.levels.end(),
                              [](const FencingLevel& l) { return !l.target.empty(); });
  if (!targeted) {
    std::string s = "fencing_topology";
    for (const auto& l : f.levels) s += " " + l.devices;
    return s;
  }
  std::vector<std::string> lines;
  std::string cur_target;
  std::string cur;
  for (const auto& l : f.levels) {
    if (cur.empty() || l.target != cur_target) {
      if (!cur.empty()) lines.push_back(cur);
      cur_target = l.target;
      bool prefixed = l.target.rfind("attr:", 0) == 0 || l.target.rfind("pattern:", 0) == 0;
      cur = prefixed ? l.target : l.target + ":";
    }
    cur += " " + l.devices;
  }
  if (!cur.empty()) lines.push_back(cur);
  return layout("fencing_topology", lines);
}

std::string Printer::print_role(const AclRole& r) const {
  std::vector<std::string> lines;
  if (r.description) lines.push_back("description=" + quote_value(*r.description));
  for (const auto& p : r.permissions) {
    std::vector<std::string> attrs;
    std::vector<std::string> others;
    for (const auto& s : p.specs) {
      auto c = s.find(':');
      std::string k = c == std::string::npos ? s : s.substr(0, c);
      std::string v = c == std::string::npos ? "" : s.substr(c + 1);
      if (k == "attribute" || k == "attr") {
        attrs.push_back("attr:" + v);
      } else if (k == "tag" || k == "type") {
        others.push_back("type:" + v);
      } else if (k == "reference" || k == "ref") {
        others.push_back("ref:" + v);
      } else if (k == "xpath") {
        others.push_back("xpath:" + quote_value(v));
      } else {
        others.push_back(s);
      }
    }
    std::vector<std::string> parts{p.right};
    if (p.description) parts.push_back("description=" + quote_value(*p.description));
    for (auto& a : attrs) parts.push_back(a);
    for (auto& o : others) parts.push_back(o);
    lines.push_back(join(parts, " "));
  }
  return layout("role " + r.id, lines);
}

std::string Printer::print_alert(const Alert& a) const {
  std::vector<std::string> lines;
  if (a.description) lines.push_back("description=" + quote_value(*a.description));
  const std::vector<Alert::Part> parts = a.parts();
  size_t next_set = 0;
  size_t next_recipient = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i] == Alert::Part::kSelect) {
      lines.push_back("select " + join(a.select, " "));
    } else if (parts[i] == Alert::Part::kSet && next_set < a.sets.size()) {
      const AttrList& s = a.sets[next_set++];
      lines.push_back(attr_list_str(s, s.kind, a.id));
    } else if (parts[i] == Alert::Part::kRecipient && next_recipient < a.recipients.size()) {
      const AlertRecipient& r = a.recipients[next_recipient++];
      // Braces keep the recipient's own sets inside and an alert set that
      // follows outside.
      const bool set_follows = i + 1 < parts.size() && parts[i + 1] == Alert::Part::kSet;
      std::string to = quote_value(r.path);
      if (r.description) to += " description=" + quote_value(*r.description);
      for (const auto& s : r.sets) to += " " + attr_list_str(s, s.kind, a.id);
      const bool braced = !r.sets.empty() || r.description || set_follows;
      lines.push_back(braced ? "to { " + to + " }" : "to " + to);
    }
  }
  return layout("alert " + a.id + " " + quote_value(a.path), lines);
}

std::string Printer::print_bundle(const Bundle& b) const {
  std::vector<std::string> lines;
  if (b.description) lines.push_back("description=" + quote_value(*b.description));
  int generated = 0;
  for (const auto& s : b.sections) {
    if (s.keyword == "meta") {
      lines.push_back(attr_list_str(s.meta, "meta", b.id));
      continue;
    }
    if (s.keyword == "primitive") {
      lines.push_back(join({"primitive", join(s.words, " ")}, " "));
      continue;
    }
    std::vector<std::string> parts{s.keyword};
    bool in_mapping = false;
    bool mapping_has_id = false;
    auto close_mapping = [&]() {
      if (in_mapping && !mapping_has_id)
        parts.push_back("id=" + b.id + "-" + std::to_string(generated++));
      in_mapping = false;
    };
    for (const auto& w : s.words) {
      if (w == "port-mapping" || w == "storage-mapping") {
        close_mapping();
        in_mapping = true;
        mapping_has_id = false;
        parts.push_back(w);
        continue;
      }
      NvPair nv;
      auto eq = w.find('=');
      nv.name = w.substr(0, eq);
      if (eq != std::string::npos) nv.value = w.substr(eq + 1);
      if (nv.name == "id") mapping_has_id = true;
      parts.push_back(nvpair_str(nv));
    }
    close_mapping();
    lines.push_back(join(parts, " "));
  }
  return layout("bundle " + b.id, lines);
}

std::string Printer::print(const Command& c) {
  return std::visit(
      Overloaded{[&](const Node& x) { return print_node(x); },
                 [&](const Primitive& x) { return print_primitive(x); },
                 [&](const Container& x) { return print_container(x); },
                 [&](const Location& x) { return print_location(x); },
                 [&](const Colocation& x) {
                   std::string s =
                       "colocation " + x.id + " " + score_str(x.score) + ": " + sets_str(x.sets);
                   if (!x.node_attribute.empty()) s += " node-attribute=" + x.node_attribute;
                   return s;
                 },
                 [&](const Order& x) {
                   std::string s = "order " + x.id + " ";
                   if (!x.kind.empty()) {
                     std::string k = x.kind;
                     if (k != "Mandatory" && k != "Optional" && k != "Serialize") {
                       std::string n = score_str(k);
                       k = (n == "0" || n == "-0" || n == "+0") ? "Optional" : "Mandatory";
                     }
                     s += k + ": ";
                   }
                   s += sets_str(x.sets);
                   if (!x.symmetrical.empty()) s += " symmetrical=" + x.symmetrical;
                   return s;
                 },
                 [&](const RscTicket& x) {
                   std::string s = "rsc_ticket " + x.id + " " + x.ticket + ": " + sets_str(x.sets);
                   if (!x.loss_policy.empty()) s += " loss-policy=" + x.loss_policy;
                   return s;
                 },
                 [&](const PropertySet& x) { return print_property(c, x); },
                 [&](const Tag& x) {
                   std::string s = "tag " + x.id;
                   for (const auto& m : x.members) s += " " + m;
                   return s;
                 },
                 [&](const FencingTopology& x) { return print_fencing(x); },
                 [&](const AclRole& x) { return print_role(x); },
                 [&](const AclTarget& x) { return layout("acl_target " + x.id, x.roles); },
                 [&](const Alert& x) { return print_alert(x); },
                 [&](const Bundle& x) { return print_bundle(x); },
                 [&](const auto&) { return std::string(); }},
      c.body);
}

int kind_rank(const Command& c) {
  return std::visit(
      Overloaded{
          [](const Node&) { return 0; }, [](const Primitive& p) { return p.is_template ? 1 : 2; },
          [](const Bundle&) { return 3; },
          [](const Container& g) {
            return g.kind == Container::Kind::kGroup ? 4 : g.kind == Container::Kind::kMs ? 5 : 6;
          },
          [](const Tag&) { return 7; }, [](const Location&) { return 8; },
          [](const Colocation&) { return 8; }, [](const Order&) { return 8; },
          [](const RscTicket&) { return 9; }, [](const FencingTopology&) { return 9; },
          [](const PropertySet& p) {
            return p.kind == PropertySet::Kind::kProperty      ? 10
                   : p.kind == PropertySet::Kind::kRscDefaults ? 11
                                                               : 12;
          },
          [](const AclRole&) { return 13; }, [](const AclTarget&) { return 14; },
          [](const Alert&) { return 15; }, [](const auto&) { return 16; }},
      c.body);
}

}  // namespace

std::string quote_value(const std::string& v) {
  bool plain = !v.empty() && std::all_of(v.begin(), v.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return std::isalnum(c) || c == '_' || c == '.' || c == '-' || c >= 0x80;
  });
  if (plain) return v;
  std::string out = "\"";
  for (char ch : v) {
    if (ch == '"' || ch == '\\') out += '\\';
    out += ch;
  }
  return out + "\"";
}

std::string show(const std::vector<Command>& commands) { return show(commands, {}); }

std::string show(const std::vector<Command>& commands, const std::set<std::string>& ids) {
  Applied a = apply_commands(commands);
  std::vector<const Command*> order;
  for (const auto& o : a.objects) order.push_back(&o);
  std::stable_sort(order.begin(), order.end(), [](const Command* x, const Command* y) {
    int rx = kind_rank(*x);
    int ry = kind_rank(*y);
    if (rx != ry) return rx < ry;
    return object_id(*x) < object_id(*y);
  });
  Printer p(a.objects);
  std::string out;
  for (const Command* c : order) {
    if (!ids.empty() && ids.count(object_id(*c)) == 0) continue;
    std::string s = p.print(*c);
    if (s.empty()) continue;
    out += s + "\n";
  }
  return out;
}

}  // namespace quorate::crm::lang
