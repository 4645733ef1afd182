// crm configure language → typed CIB configuration, as crmsh 4.4 writes it.
#include "crm/lang_to_cib.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crm/cib_xml.h"
#include "crm/lang_check.h"

namespace quorate::crm::lang {
namespace {

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool is_number(const std::string& s) {
  if (s.empty()) return false;
  size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
  return true;
}

// "inf" → INFINITY etc.; other values as written.
std::string norm_score(const std::string& s) {
  const std::string l = lower(s);
  if (l == "inf" || l == "infinity") return "INFINITY";
  if (l == "+inf" || l == "+infinity") return "+INFINITY";
  if (l == "-inf" || l == "-infinity") return "-INFINITY";
  return s;
}

bool is_score(const std::string& s) {
  const std::string l = lower(s);
  return is_number(s) || l == "inf" || l == "infinity" || l == "+inf" || l == "+infinity" ||
         l == "-inf" || l == "-infinity";
}

const char* set_suffix(SetKind k) { return set_element_name(k); }

class Builder {
 public:
  explicit Builder(const std::vector<Command>& objects, const std::set<std::string>& reserved = {})
      : objects_(objects), taken_(reserved) {
    for (const auto& c : objects_) {
      const std::string id = object_id(c);
      if (!id.empty()) taken_.insert(id);
      if (!id.empty()) by_id_.emplace(id, &c);
      if (const auto* n = std::get_if<lang::Node>(&c.body)) node_names_.push_back(n->uname);
    }
  }

  Configuration build();
  std::vector<Error> errors_;

 private:
  // A fresh id from `base`: base itself when free, else base-0, base-1 ...
  std::string fresh(const std::string& base) {
    std::string id = base;
    for (int i = 0; taken_.count(id) != 0; ++i) id = base + "-" + std::to_string(i);
    taken_.insert(id);
    return id;
  }
  std::string claim(const std::string& id) {
    taken_.insert(id);
    return id;
  }

  crm::Expression expression(const Expression& e, const std::string& rule_id);
  crm::RuleTerm term(const Expression& e, const std::string& rule_id);
  crm::Rule rule(const Rule& r, const std::string& base, bool default_infinity);
  crm::NvPair nvpair(const NvPair& p, const std::string& set_id);
  AttrSet attr_set(const AttrList& al, SetKind kind, const std::string& owner);
  std::string resolve_set_ref(const std::string& ref, SetKind kind);
  crm::Op op(const Op& o, const std::string& prefix);
  crm::Primitive primitive(const lang::Primitive& p);
  crm::Node node(const lang::Node& n);
  std::vector<crm::ResourceSet> sets(const std::vector<lang::ResourceSet>& in,
                                     const std::string& cons_id, bool order);
  crm::Location location(const lang::Location& l);
  crm::Colocation colocation(const lang::Colocation& c);
  crm::Order order(const lang::Order& o);
  XmlElement set_element(const AttrList& al, const std::string& owner);
  void fencing(const Command& c, const FencingTopology& f, XmlElement& section);
  XmlElement acl_role(const Command& c, const AclRole& r);
  XmlElement acl_target(const Command& c, const AclTarget& t);
  XmlElement alert(const Alert& a);
  XmlElement bundle(const Command& c, const Bundle& b, std::vector<std::string>& primitives);

  // Records a conversion error, worded like lang_check's: position (just the
  // origin for an object read from a CIB), command, what.
  void error(const Command& c, const std::string& msg) {
    const std::string where = c.pos.line > 0 ? c.origin + ":" + std::to_string(c.pos.line) + ":" +
                                                   std::to_string(c.pos.col) + ": "
                                             : c.origin + ": ";
    errors_.push_back(Error{where + c.name + " " + msg});
  }
  template <class T>
  const T* defined_as(const std::string& id) const {
    auto it = by_id_.find(id);
    return it != by_id_.end() ? std::get_if<T>(&it->second->body) : nullptr;
  }

  const std::vector<Command>& objects_;
  std::set<std::string> taken_;
  std::map<std::string, const Command*> by_id_;  // object id → its definition
  std::vector<std::string> node_names_;          // unames of the defined nodes, in order
  // owner id → set kind → first set id (for $id-ref=<object>)
  std::map<std::string, std::map<SetKind, std::string>> owner_sets_;
  std::map<std::string, std::string> operations_ids_;
  std::map<std::string, std::string>
      first_rule_;  // constraint id → its first rule id  // primitive id → operations id
};

crm::Expression Builder::expression(const Expression& e, const std::string& rule_id) {
  crm::Expression x;
  x.id = fresh(rule_id + "-expression");
  x.attribute = e.attribute;
  x.operation = e.op;
  if (e.kind == Expression::Kind::kBinary) {
    x.value = e.value;
    if (!e.type.empty()) x.type = e.type;
  }
  return x;
}

crm::RuleTerm Builder::term(const Expression& e, const std::string& rule_id) {
  if (e.kind != Expression::Kind::kDate) return expression(e, rule_id);
  XmlElement d;
  d.name = "date_expression";
  const std::string id = fresh(rule_id + "-expression");
  d.attrs.emplace_back("id", id);
  if (e.op == "gt") {
    d.attrs.emplace_back("operation", "gt");
    d.attrs.emplace_back("start", e.value);
  } else if (e.op == "lt") {
    d.attrs.emplace_back("operation", "lt");
    d.attrs.emplace_back("end", e.value);
  } else if (e.op == "spec") {
    d.attrs.emplace_back("operation", "date_spec");
    XmlElement s;
    s.name = "date_spec";
    s.attrs.emplace_back("id", fresh(id + "-date_spec"));
    for (const auto& f : e.fields) s.attrs.emplace_back(f.name, f.value.value_or(""));
    d.children.push_back(std::move(s));
  } else {
    d.attrs.emplace_back("operation", "in_range");
    XmlElement dur;
    dur.name = "duration";
    for (const auto& f : e.fields) {
      if (f.name == "start" || f.name == "end")
        d.attrs.emplace_back(f.name, f.value.value_or(""));
      else
        dur.attrs.emplace_back(f.name, f.value.value_or(""));
    }
    if (!dur.attrs.empty()) {
      dur.attrs.insert(dur.attrs.begin(), {"id", fresh(id + "-duration")});
      d.children.push_back(std::move(dur));
    }
  }
  return d;
}

crm::Rule Builder::rule(const Rule& r, const std::string& base, bool default_infinity) {
  crm::Rule x;
  if (!r.id_ref.empty()) {
    auto it = first_rule_.find(r.id_ref);
    x.id_ref = it != first_rule_.end() ? it->second : r.id_ref;
    return x;
  }
  const std::string id = r.id.empty() ? fresh(base + "-rule") : claim(r.id);
  x.id = id;
  if (r.score.empty()) {
    if (default_infinity) x.score = "INFINITY";
  } else if (is_score(r.score)) {
    x.score = norm_score(r.score);
  } else {
    x.score_attribute = r.score;
  }
  if (!r.bool_op.empty() && r.bool_op != "and") x.boolean_op = r.bool_op;
  if (!r.role.empty()) x.role = r.role;
  for (const auto& e : r.expressions) x.terms.push_back(term(e, id));
  return x;
}

crm::NvPair Builder::nvpair(const NvPair& p, const std::string& set_id) {
  crm::NvPair x;
  if (!p.ref.empty()) {
    x.id_ref = p.ref;
    if (!p.name.empty()) x.name = p.name;
    return x;
  }
  x.id = p.id.empty() ? fresh(set_id + "-" + p.name) : claim(p.id);
  x.name = p.name;
  x.value = p.value;
  return x;
}

std::string Builder::resolve_set_ref(const std::string& ref, SetKind kind) {
  auto it = owner_sets_.find(ref);
  if (it != owner_sets_.end()) {
    auto jt = it->second.find(kind);
    if (jt != it->second.end()) return jt->second;
  }
  return ref;
}

AttrSet Builder::attr_set(const AttrList& al, SetKind kind, const std::string& owner) {
  AttrSet s;
  s.kind = kind;
  if (!al.id_ref.empty()) {
    s.id_ref = resolve_set_ref(al.id_ref, kind);
    return s;
  }
  const std::string id = al.id.empty() ? fresh(owner + "-" + set_suffix(kind)) : claim(al.id);
  s.id = id;
  if (!al.score.empty()) s.score = norm_score(al.score);
  for (const auto& r : al.rules) s.rules.push_back(rule(r, id, true));
  for (const auto& p : al.pairs) s.nvpairs.push_back(nvpair(p, id));
  auto& known = owner_sets_[owner];
  if (known.find(kind) == known.end()) known[kind] = id;
  return s;
}

SetKind kind_of(const std::string& k) {
  if (k == "meta" || k == "op_meta") return SetKind::kMeta;
  if (k == "utilization") return SetKind::kUtilization;
  return SetKind::kInstance;
}

bool is_op_attribute(const std::string& n) {
  static const char* const kNames[] = {"interval", "timeout",        "start-delay",
                                       "enabled",  "record-pending", "interval-origin",
                                       "role",     "on-fail",        "description"};
  return std::any_of(std::begin(kNames), std::end(kNames), [&](const char* k) { return n == k; });
}

crm::Op Builder::op(const Op& o, const std::string& prefix) {
  crm::Op x;
  x.name = o.name;
  std::string interval = "0";
  for (const auto& a : o.attributes)
    if (a.name == "interval" && a.value) interval = *a.value;
  x.interval = interval;
  x.id = fresh(prefix + "-" + o.name + "-" + interval);
  AttrList leftover;
  leftover.kind = "op_params";
  for (const auto& a : o.attributes) {
    if (a.name == "interval") continue;
    if (!is_op_attribute(a.name)) {
      leftover.pairs.push_back(a);
      continue;
    }
    const std::string v = a.value.value_or("");
    if (a.name == "timeout")
      x.timeout = v;
    else if (a.name == "role")
      x.role = v;
    else if (a.name == "on-fail")
      x.on_fail = v;
    else
      x.extra.emplace_back(a.name, v);
  }
  if (!leftover.pairs.empty()) x.sets.push_back(attr_set(leftover, SetKind::kInstance, x.id));
  for (const auto& s : o.sets) x.sets.push_back(attr_set(s, kind_of(s.kind), x.id));
  return x;
}

crm::Primitive Builder::primitive(const lang::Primitive& p) {
  crm::Primitive x;
  x.id = p.id;
  if (!p.template_ref.empty()) {
    x.template_id = p.template_ref;
  } else {
    x.resource_class = p.cls;
    std::string provider = p.provider;
    if (p.cls == "ocf" && provider.empty()) provider = "heartbeat";
    if (!provider.empty()) x.provider = provider;
    x.type = p.type;
  }
  x.description = p.description;
  for (const auto& s : p.sets) x.sets.push_back(attr_set(s, kind_of(s.kind), p.id));
  if (!p.operations_id_ref.empty()) {
    Operations ops;
    auto it = operations_ids_.find(p.operations_id_ref);
    ops.id_ref = it != operations_ids_.end() ? it->second : p.operations_id_ref;
    x.operations = ops;
  } else if (!p.ops.empty() || !p.operations_id.empty()) {
    Operations ops;
    std::string prefix = p.id;
    if (!p.operations_id.empty()) {
      ops.id = claim(p.operations_id);
      prefix = p.operations_id;
      operations_ids_[p.id] = p.operations_id;
    }
    for (const auto& o : p.ops) ops.ops.push_back(op(o, prefix));
    x.operations = ops;
  }
  return x;
}

crm::Node Builder::node(const lang::Node& n) {
  crm::Node x;
  x.id = n.id.empty() ? n.uname : n.id;
  x.uname = n.uname;
  if (!n.type.empty()) x.type = n.type;
  x.description = n.description;
  for (const auto& s : n.sets) x.sets.push_back(attr_set(s, kind_of(s.kind), n.uname));
  return x;
}

std::vector<crm::ResourceSet> Builder::sets(const std::vector<lang::ResourceSet>& in,
                                            const std::string& cons_id, bool order) {
  std::vector<crm::ResourceSet> out;
  for (const auto& rs : in) {
    size_t i = 0;
    while (i < rs.items.size()) {
      size_t j = i;
      while (j < rs.items.size() && rs.items[j].qualifier == rs.items[i].qualifier) ++j;
      crm::ResourceSet s;
      s.id = fresh(cons_id);
      const std::string& q = rs.items[i].qualifier;
      if (!q.empty()) {
        if (order)
          s.action = q;
        else
          s.role = q;
      }
      std::string sequential = rs.bracket != 0 ? "false" : "";
      std::string require_all = rs.bracket == '[' ? "false" : "";
      for (const auto& a : rs.attributes) {
        const std::string v = a.value.value_or("");
        if (a.name == "sequential")
          sequential = v;
        else if (a.name == "require-all")
          require_all = v;
        else
          s.extra.emplace_back(a.name, v);
      }
      if (!sequential.empty() && sequential != "true") s.sequential = sequential;
      if (!require_all.empty() && require_all != "true") s.require_all = require_all;
      for (size_t k = i; k < j; ++k) s.resources.push_back(ResourceRef{rs.items[k].rsc, {}});
      out.push_back(std::move(s));
      i = j;
    }
  }
  return out;
}

// Two resources written bare, without set attributes: the simple form.
bool simple_pair(const std::vector<lang::ResourceSet>& in) {
  size_t n = 0;
  for (const auto& s : in) {
    if (s.bracket != 0 || !s.attributes.empty()) return false;
    n += s.items.size();
  }
  return n == 2;
}

std::vector<SetItem> all_items(const std::vector<lang::ResourceSet>& in) {
  std::vector<SetItem> v;
  for (const auto& s : in) v.insert(v.end(), s.items.begin(), s.items.end());
  return v;
}

crm::Location Builder::location(const lang::Location& l) {
  crm::Location x;
  x.id = l.id;
  if (!l.pattern.empty())
    x.rsc_pattern = l.pattern;
  else if (!l.has_sets)
    x.rsc = l.rsc;
  if (!l.role.empty()) x.role = l.role;
  if (!l.discovery.empty()) x.resource_discovery = l.discovery;
  if (!l.node.empty()) {
    x.node = l.node;
    x.score = norm_score(l.score);
  }
  if (l.has_sets) x.sets = sets(l.sets, l.id, false);
  for (const auto& r : l.rules) x.rules.push_back(rule(r, l.id, false));
  if (!x.rules.empty() && x.rules[0].id) first_rule_[l.id] = *x.rules[0].id;
  return x;
}

crm::Colocation Builder::colocation(const lang::Colocation& c) {
  crm::Colocation x;
  x.id = c.id;
  x.score = norm_score(c.score);
  if (simple_pair(c.sets)) {
    auto items = all_items(c.sets);
    x.rsc = items[0].rsc;
    if (!items[0].qualifier.empty()) x.rsc_role = items[0].qualifier;
    x.with_rsc = items[1].rsc;
    if (!items[1].qualifier.empty()) x.with_rsc_role = items[1].qualifier;
  } else {
    x.sets = sets(c.sets, c.id, false);
  }
  if (!c.node_attribute.empty()) x.node_attribute = c.node_attribute;
  return x;
}

crm::Order Builder::order(const lang::Order& o) {
  crm::Order x;
  x.id = o.id;
  if (!o.kind.empty()) {
    const std::string l = lower(o.kind);
    if (l == "mandatory")
      x.kind = "Mandatory";
    else if (l == "optional")
      x.kind = "Optional";
    else if (l == "serialize")
      x.kind = "Serialize";
    else if (is_score(o.kind))
      x.kind = (o.kind == "0" || o.kind == "+0" || o.kind == "-0") ? "Optional" : "Mandatory";
    else
      x.kind = o.kind;
  }
  if (simple_pair(o.sets)) {
    auto items = all_items(o.sets);
    x.first = items[0].rsc;
    if (!items[0].qualifier.empty()) x.first_action = items[0].qualifier;
    x.then = items[1].rsc;
    if (!items[1].qualifier.empty()) x.then_action = items[1].qualifier;
  } else {
    x.sets = sets(o.sets, o.id, true);
  }
  if (!o.symmetrical.empty()) x.symmetrical = o.symmetrical;
  return x;
}

XmlElement Builder::set_element(const AttrList& al, const std::string& owner) {
  return attr_set_xml(attr_set(al, kind_of(al.kind), owner));
}

// One <fencing-level> per (target, devices) pair; levels count from 1 per
// target (per attribute name for attr: targets). Devices without a target
// apply to every defined node in turn.
void Builder::fencing(const Command& c, const FencingTopology& f, XmlElement& section) {
  for (const auto& l : f.levels) {
    size_t from = 0;
    while (from <= l.devices.size()) {
      size_t comma = l.devices.find(',', from);
      if (comma == std::string::npos) comma = l.devices.size();
      const std::string dev = l.devices.substr(from, comma - from);
      if (dev.empty()) {
        error(c, "'" + l.devices + "': empty device name in the device list");
      } else if (!defined_as<lang::Primitive>(dev)) {
        error(c, "'" + l.devices + "': fencing device " + dev + " does not exist");
      }
      from = comma + 1;
    }
  }
  struct Target {
    std::string key;  // what the level index counts per
    Attrs attrs;      // target / target-attribute + target-value / target-pattern
  };
  std::vector<std::pair<Target, std::string>> levels;
  if (!f.levels.empty() && f.levels[0].target.empty()) {
    if (node_names_.empty()) error(c, "levels without a target need nodes, and no node is defined");
    for (const auto& n : node_names_)
      for (const auto& l : f.levels) levels.emplace_back(Target{n, {{"target", n}}}, l.devices);
  } else {
    for (const auto& l : f.levels) {
      Target t;
      if (l.target.rfind("attr:", 0) == 0) {
        const std::string spec = l.target.substr(5);
        const size_t eq = spec.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
          error(c, "'" + l.target + "': expected attr:NAME=VALUE");
          continue;
        }
        t.key = spec.substr(0, eq);
        t.attrs = {{"target-attribute", t.key}, {"target-value", spec.substr(eq + 1)}};
      } else if (l.target.rfind("pattern:", 0) == 0) {
        t.key = l.target.substr(8);
        if (t.key.empty()) error(c, "'" + l.target + "': expected pattern:REGEX");
        t.attrs = {{"target-pattern", t.key}};
      } else {
        t.key = l.target;
        const bool known =
            std::find(node_names_.begin(), node_names_.end(), l.target) != node_names_.end() ||
            defined_as<lang::Node>(l.target) != nullptr;
        if (!known) error(c, "'" + l.target + ":': node " + l.target + " does not exist");
        t.attrs = {{"target", l.target}};
      }
      levels.emplace_back(std::move(t), l.devices);
    }
  }
  std::map<std::string, int> next_index;
  for (const auto& [target, devices] : levels) {
    int& index = next_index[target.key];
    ++index;
    XmlElement e;
    e.name = "fencing-level";
    e.attrs.emplace_back("id", fresh("fencing"));
    for (const auto& a : target.attrs) e.attrs.push_back(a);
    e.attrs.emplace_back("index", std::to_string(index));
    e.attrs.emplace_back("devices", devices);
    section.children.push_back(std::move(e));
  }
}

namespace {

// crmsh's ACL shortcuts: the xpath pieces, "@@" standing for one
// ':'-separated argument each; a piece without "@@" is taken as is.
struct AclShortcut {
  const char* name;
  std::vector<std::string> pieces;
};

const std::vector<AclShortcut>& acl_shortcuts() {
  static const std::vector<AclShortcut> kShortcuts = {
      {"meta", {"//primitive[@id='@@']/meta_attributes", "/nvpair[@name='@@']"}},
      {"params", {"//primitive[@id='@@']/instance_attributes", "/nvpair[@name='@@']"}},
      {"utilization", {"//primitive[@id='@@']/utilization"}},
      {"location", {"//rsc_location[@id='cli-prefer-@@' and @rsc='@@']"}},
      {"property", {"//crm_config/cluster_property_set", "/nvpair[@name='@@']"}},
      {"nodeattr", {"//nodes/node/instance_attributes", "/nvpair[@name='@@']"}},
      {"nodeutil", {"//nodes/node/utilization", "[@uname='@@']"}},
      {"node", {"//nodes/node", "[@uname='@@']"}},
      {"status", {"/cib/status"}},
      {"cib", {"/cib"}},
  };
  return kShortcuts;
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
  for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
    s.replace(at, from.size(), to);
  return s;
}

// The permission attribute a spec type names ("" when unknown).
std::string acl_attribute(const std::string& type) {
  if (type == "xpath") return "xpath";
  if (type == "ref" || type == "reference") return "reference";
  if (type == "tag" || type == "type") return "object-type";
  if (type == "attr" || type == "attribute") return "attribute";
  return "";
}

}  // namespace

XmlElement Builder::acl_role(const Command& c, const AclRole& r) {
  XmlElement e;
  e.name = "acl_role";
  e.attrs.emplace_back("id", r.id);
  if (r.description) e.attrs.emplace_back("description", *r.description);
  for (const auto& p : r.permissions) {
    std::map<std::string, std::string> attrs;  // xpath / reference / object-type / attribute
    for (const auto& spec : p.specs) {
      const size_t colon = spec.find(':');
      const std::string type = spec.substr(0, colon);
      const bool has_arg = colon != std::string::npos;
      const std::string arg = has_arg ? spec.substr(colon + 1) : "";
      const auto& shortcuts = acl_shortcuts();
      auto sc = std::find_if(shortcuts.begin(), shortcuts.end(),
                             [&](const AclShortcut& k) { return type == k.name; });
      if (sc != shortcuts.end()) {
        if (!has_arg) {
          if (sc->pieces[0].find("@@") != std::string::npos) {
            error(c, r.id + ": '" + spec + "': missing argument to ACL shortcut " + type);
            continue;
          }
          attrs["xpath"] = sc->pieces[0];
          continue;
        }
        std::string xpath;
        size_t piece = 0;
        bool too_many = false;
        size_t from = 0;
        while (from <= arg.size()) {
          size_t end = arg.find(':', from);
          if (end == std::string::npos) end = arg.size();
          const std::string tok = arg.substr(from, end - from);
          from = end + 1;
          if (piece < sc->pieces.size() && sc->pieces[piece].find("@@") == std::string::npos)
            xpath += sc->pieces[piece++];
          if (piece >= sc->pieces.size()) {
            too_many = true;
            break;
          }
          xpath += replace_all(sc->pieces[piece++], "@@", tok);
        }
        if (too_many) {
          error(c, r.id + ": '" + spec + "': too many arguments to ACL shortcut " + type);
          continue;
        }
        attrs["xpath"] = xpath;
        continue;
      }
      const std::string attr = acl_attribute(type);
      if (attr.empty()) {
        error(c, r.id + ": '" + spec + "': unknown permission specification " + type +
                     " (expected xpath:, ref:, type:, attr: or a shortcut)");
        continue;
      }
      if (!has_arg || arg.empty()) {
        error(c, r.id + ": '" + spec + "': expected " + type + ":<spec>");
        continue;
      }
      attrs[attr] = arg;
    }
    if (attrs.count("attribute") != 0 && attrs.count("object-type") == 0) {
      error(c, r.id + ": attribute is only valid in combination with tag/object-type");
      continue;
    }
    // crmsh writes one permission per kind of target: xpath, reference,
    // object-type (with its attribute).
    bool first = true;
    auto emit = [&](const std::vector<std::string>& names) {
      XmlElement x;
      x.name = "acl_permission";
      x.attrs.emplace_back("id", first && !p.id.empty() ? claim(p.id) : fresh(r.id));
      first = false;
      x.attrs.emplace_back("kind", p.right);
      if (p.description) x.attrs.emplace_back("description", *p.description);
      for (const auto& n : names)
        if (attrs.count(n) != 0) x.attrs.emplace_back(n, attrs[n]);
      e.children.push_back(std::move(x));
    };
    if (attrs.count("xpath") != 0) emit({"xpath"});
    if (attrs.count("reference") != 0) emit({"reference"});
    if (attrs.count("object-type") != 0) emit({"object-type", "attribute"});
  }
  return e;
}

XmlElement Builder::acl_target(const Command& c, const AclTarget& t) {
  XmlElement e;
  e.name = "acl_target";
  e.attrs.emplace_back("id", t.id);
  for (const auto& role : t.roles) {
    if (!defined_as<AclRole>(role)) error(c, t.id + ": role " + role + " does not exist");
    XmlElement ref;
    ref.name = "role";
    ref.attrs.emplace_back("id", role);
    e.children.push_back(std::move(ref));
  }
  return e;
}

XmlElement Builder::alert(const Alert& a) {
  XmlElement e;
  e.name = "alert";
  e.attrs.emplace_back("id", a.id);
  e.attrs.emplace_back("path", a.path);
  if (a.description) e.attrs.emplace_back("description", *a.description);
  const std::vector<Alert::Part> parts = a.parts();
  size_t next_set = 0;
  size_t next_recipient = 0;
  bool select_done = false;
  for (const auto part : parts) {
    if (part == Alert::Part::kSet && next_set < a.sets.size()) {
      e.children.push_back(set_element(a.sets[next_set++], a.id));
    } else if (part == Alert::Part::kRecipient && next_recipient < a.recipients.size()) {
      const AlertRecipient& r = a.recipients[next_recipient++];
      XmlElement x;
      x.name = "recipient";
      const std::string rid = claim(a.id + "-recipient-" + std::to_string(next_recipient));
      x.attrs.emplace_back("id", rid);
      x.attrs.emplace_back("value", r.path);
      if (r.description) x.attrs.emplace_back("description", *r.description);
      for (const auto& s : r.sets) x.children.push_back(set_element(s, rid));
      e.children.push_back(std::move(x));
    } else if (part == Alert::Part::kSelect && !select_done) {
      select_done = true;
      XmlElement sel;
      sel.name = "select";
      for (size_t i = 0; i < a.select.size(); ++i) {
        XmlElement k;
        k.name = "select_" + a.select[i];
        if (a.select[i] == "attributes" && i + 1 < a.select.size() && a.select[i + 1] == "{") {
          for (i += 2; i < a.select.size() && a.select[i] != "}"; ++i) {
            XmlElement at;
            at.name = "attribute";
            at.attrs.emplace_back("id", fresh(a.id));
            at.attrs.emplace_back("name", a.select[i]);
            k.children.push_back(std::move(at));
          }
        }
        sel.children.push_back(std::move(k));
      }
      e.children.push_back(std::move(sel));
    }
  }
  return e;
}

// A bundle's sections become its children in the order written; `primitives`
// gets the id of the primitive it holds (filled in by build()).
XmlElement Builder::bundle(const Command& c, const Bundle& b,
                           std::vector<std::string>& primitives) {
  XmlElement e;
  e.name = "bundle";
  e.attrs.emplace_back("id", b.id);
  if (b.description) e.attrs.emplace_back("description", *b.description);
  for (const auto& s : b.sections) {
    if (s.keyword == "meta") {
      e.children.push_back(set_element(s.meta, b.id));
      continue;
    }
    if (s.keyword == "primitive") {
      if (s.words.size() != 1) {
        error(c, b.id + ": primitive takes one resource id, got " + std::to_string(s.words.size()));
        continue;
      }
      if (!defined_as<lang::Primitive>(s.words[0])) {
        error(c, b.id + ": primitive " + s.words[0] + " does not exist");
        continue;
      }
      // Its place among the bundle's children, by id: build() puts the
      // primitive's whole XML there once every primitive is converted (the
      // primitive may be defined after the bundle; it exists, checked above).
      primitives.push_back(s.words[0]);
      XmlElement slot;
      slot.name = "primitive";
      slot.attrs.emplace_back("id", s.words[0]);
      e.children.push_back(std::move(slot));
      continue;
    }
    XmlElement x;
    x.name = s.keyword;
    XmlElement* target = &x;
    const char* mapping = s.keyword == "network"   ? "port-mapping"
                          : s.keyword == "storage" ? "storage-mapping"
                                                   : nullptr;
    for (const auto& w : s.words) {
      if (mapping && w == mapping) {
        XmlElement m;
        m.name = mapping;
        x.children.push_back(std::move(m));
        target = &x.children.back();
        continue;
      }
      const size_t eq = w.find('=');
      if (eq == std::string::npos || eq == 0) {
        error(c, b.id + ": '" + w + "' in " + s.keyword + ": expected name=value");
        continue;
      }
      target->attrs.emplace_back(w.substr(0, eq), w.substr(eq + 1));
    }
    for (auto& m : x.children) {
      auto has_id = std::any_of(m.attrs.begin(), m.attrs.end(),
                                [](const auto& kv) { return kv.first == "id"; });
      if (has_id) {
        for (const auto& kv : m.attrs)
          if (kv.first == "id") claim(kv.second);
      } else {
        m.attrs.insert(m.attrs.begin(), {"id", fresh(b.id)});
      }
    }
    e.children.push_back(std::move(x));
  }
  return e;
}

Configuration Builder::build() {
  Configuration conf;
  std::map<std::string, crm::Primitive> prims;
  std::map<std::string, Group> groups;
  std::set<std::string> children;
  // Resources in order of definition; containers take their children along.
  std::vector<std::pair<std::string, int>> order_of;  // id, 0 prim 1 group 2 clone 3 template
  std::map<std::string, Clone> clones;
  std::map<std::string, Template> templates;
  std::map<std::string, std::vector<std::string>> members;
  XmlElement tags;
  tags.name = "tags";
  XmlElement fencing_section;
  fencing_section.name = "fencing-topology";
  XmlElement acls;
  acls.name = "acls";
  XmlElement alerts;
  alerts.name = "alerts";
  std::map<std::string, XmlElement> bundles;

  for (const auto& c : objects_) {
    if (const auto* n = std::get_if<lang::Node>(&c.body)) {
      conf.nodes.push_back(node(*n));
    } else if (const auto* p = std::get_if<lang::Primitive>(&c.body)) {
      crm::Primitive x = primitive(*p);
      if (p->is_template) {
        Template t;
        static_cast<AgentResource&>(t) = static_cast<const AgentResource&>(x);
        templates[p->id] = t;
        order_of.emplace_back(p->id, 3);
      } else {
        prims[p->id] = x;
        order_of.emplace_back(p->id, 0);
      }
    } else if (const auto* k = std::get_if<Container>(&c.body)) {
      std::vector<crm::AttrSet> ss;
      for (const auto& s : k->sets) ss.push_back(attr_set(s, kind_of(s.kind), k->id));
      for (const auto& ch : k->children) children.insert(ch);
      members[k->id] = k->children;
      if (k->kind == Container::Kind::kGroup) {
        Group g;
        g.id = k->id;
        g.description = k->description;
        g.sets = std::move(ss);
        groups[k->id] = g;
        order_of.emplace_back(k->id, 1);
      } else {
        Clone cl;
        cl.element = k->kind == Container::Kind::kMs ? CloneElement::kMaster : CloneElement::kClone;
        cl.id = k->id;
        cl.description = k->description;
        cl.sets = std::move(ss);
        clones[k->id] = cl;
        order_of.emplace_back(k->id, 2);
      }
    } else if (const auto* l = std::get_if<lang::Location>(&c.body)) {
      conf.constraints.emplace_back(location(*l));
    } else if (const auto* co = std::get_if<lang::Colocation>(&c.body)) {
      conf.constraints.emplace_back(colocation(*co));
    } else if (const auto* o = std::get_if<lang::Order>(&c.body)) {
      conf.constraints.emplace_back(order(*o));
    } else if (const auto* tk = std::get_if<RscTicket>(&c.body)) {
      XmlElement e;
      e.name = "rsc_ticket";
      e.attrs.emplace_back("id", tk->id);
      e.attrs.emplace_back("ticket", tk->ticket);
      auto items = all_items(tk->sets);
      bool simple = items.size() == 1;
      for (const auto& rs : tk->sets) simple = simple && rs.bracket == 0 && rs.attributes.empty();
      if (simple) {
        e.attrs.emplace_back("rsc", items[0].rsc);
        if (!items[0].qualifier.empty()) e.attrs.emplace_back("rsc-role", items[0].qualifier);
      } else {
        for (const auto& rs : sets(tk->sets, tk->id, false)) {
          XmlElement x;
          x.name = "resource_set";
          x.attrs.emplace_back("id", rs.id.value_or(""));
          if (rs.sequential) x.attrs.emplace_back("sequential", *rs.sequential);
          if (rs.require_all) x.attrs.emplace_back("require-all", *rs.require_all);
          if (rs.role) x.attrs.emplace_back("role", *rs.role);
          for (const auto& a : rs.extra) x.attrs.push_back(a);
          for (const auto& r : rs.resources) {
            XmlElement ref;
            ref.name = "resource_ref";
            ref.attrs.emplace_back("id", r.id);
            x.children.push_back(std::move(ref));
          }
          e.children.push_back(std::move(x));
        }
      }
      if (!tk->loss_policy.empty()) e.attrs.emplace_back("loss-policy", tk->loss_policy);
      conf.constraints.emplace_back(std::move(e));
    } else if (const auto* t = std::get_if<Tag>(&c.body)) {
      XmlElement tag;
      tag.name = "tag";
      tag.attrs.emplace_back("id", t->id);
      for (const auto& m : t->members) {
        XmlElement ref;
        ref.name = "obj_ref";
        ref.attrs.emplace_back("id", m);
        tag.children.push_back(std::move(ref));
      }
      tags.children.push_back(std::move(tag));
    } else if (const auto* f = std::get_if<FencingTopology>(&c.body)) {
      fencing(c, *f, fencing_section);
    } else if (const auto* r = std::get_if<AclRole>(&c.body)) {
      acls.children.push_back(acl_role(c, *r));
    } else if (const auto* at = std::get_if<AclTarget>(&c.body)) {
      acls.children.push_back(acl_target(c, *at));
    } else if (const auto* al = std::get_if<Alert>(&c.body)) {
      alerts.children.push_back(alert(*al));
    } else if (const auto* bu = std::get_if<Bundle>(&c.body)) {
      std::vector<std::string> held;
      bundles[bu->id] = bundle(c, *bu, held);
      for (const auto& h : held) children.insert(h);
      order_of.emplace_back(bu->id, 4);
    } else if (const auto* ps = std::get_if<PropertySet>(&c.body)) {
      const std::string id = object_id(c);
      AttrList body = ps->body;
      body.id = id;
      SetKind kind =
          ps->kind == PropertySet::Kind::kProperty ? SetKind::kClusterProperty : SetKind::kMeta;
      // nvpair ids are <set-id>-<name>: attr_set uses the set id as base.
      AttrSet s = attr_set(body, kind, id);
      if (ps->kind == PropertySet::Kind::kProperty) {
        conf.crm_config.push_back(std::move(s));
      } else {
        auto& dst =
            ps->kind == PropertySet::Kind::kRscDefaults ? conf.rsc_defaults : conf.op_defaults;
        if (!dst) dst.emplace();
        dst->push_back(std::move(s));
      }
    }
  }
  for (const auto& [gid, g] : groups)
    for (const auto& m : members[gid]) {
      auto it = prims.find(m);
      if (it != prims.end()) groups[gid].members.push_back(it->second);
    }
  for (auto& [cid, cl] : clones) {
    const auto& ms = members[cid];
    if (ms.empty()) continue;
    if (auto it = prims.find(ms[0]); it != prims.end())
      cl.child = it->second;
    else if (auto gt = groups.find(ms[0]); gt != groups.end())
      cl.child = gt->second;
  }
  for (auto& entry : bundles) {
    for (auto& ch : entry.second.children) {
      if (ch.name != "primitive") continue;
      auto it = prims.find(ch.attrs[0].second);
      if (it != prims.end()) ch = resource_xml(Resource{it->second});
    }
  }
  for (const auto& [id, kind] : order_of) {
    if (children.count(id) != 0) continue;
    if (kind == 4)
      conf.resources.emplace_back(bundles[id]);
    else if (kind == 0)
      conf.resources.emplace_back(prims[id]);
    else if (kind == 1)
      conf.resources.emplace_back(groups[id]);
    else if (kind == 2)
      conf.resources.emplace_back(clones[id]);
    else
      conf.resources.emplace_back(templates[id]);
  }
  // Pacemaker's order of the optional sections.
  for (XmlElement* section : {&fencing_section, &acls, &tags, &alerts})
    if (!section->children.empty()) conf.other_sections.push_back(std::move(*section));
  return conf;
}

}  // namespace

Result<Configuration> to_configuration(const std::vector<Command>& session) {
  Applied applied = apply_commands(session);
  if (!applied.errors.empty()) return applied.errors.front();
  Builder b(applied.objects);
  Configuration conf = b.build();
  if (!b.errors_.empty()) return b.errors_.front();
  return conf;
}

Configuration objects_to_configuration(const std::vector<Command>& objects,
                                       const std::set<std::string>& reserved,
                                       std::vector<Error>* errors) {
  Builder b(objects, reserved);
  Configuration conf = b.build();
  if (errors) *errors = std::move(b.errors_);
  return conf;
}

}  // namespace quorate::crm::lang
