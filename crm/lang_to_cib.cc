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
    }
  }

  Configuration build();

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

  const std::vector<Command>& objects_;
  std::set<std::string> taken_;
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
  for (const auto& [id, kind] : order_of) {
    if (children.count(id) != 0) continue;
    if (kind == 0)
      conf.resources.emplace_back(prims[id]);
    else if (kind == 1)
      conf.resources.emplace_back(groups[id]);
    else if (kind == 2)
      conf.resources.emplace_back(clones[id]);
    else
      conf.resources.emplace_back(templates[id]);
  }
  if (!tags.children.empty()) conf.other_sections.push_back(std::move(tags));
  return conf;
}

}  // namespace

Result<Configuration> to_configuration(const std::vector<Command>& session) {
  Applied applied = apply_commands(session);
  if (!applied.errors.empty()) return applied.errors.front();
  Builder b(applied.objects);
  return b.build();
}

Configuration objects_to_configuration(const std::vector<Command>& objects,
                                       const std::set<std::string>& reserved) {
  Builder b(objects, reserved);
  return b.build();
}

}  // namespace quorate::crm::lang
