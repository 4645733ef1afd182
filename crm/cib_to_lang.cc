// Typed CIB configuration → crm configure commands. See cib_to_lang.h.
#include "crm/cib_to_lang.h"

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace quorate::crm::lang {
namespace {

const std::string* attr(const XmlElement& e, std::string_view name) {
  return find_attr(e.attrs, name);
}

std::string attr_or(const XmlElement& e, std::string_view name) {
  const std::string* v = attr(e, name);
  return v ? *v : std::string();
}

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

// `attrs` with the names listed in `order` first, in that order, then the rest
// in document order.
Attrs in_order(const Attrs& attrs, std::initializer_list<const char*> order) {
  Attrs out;
  for (const char* name : order) {
    for (const auto& a : attrs)
      if (a.first == name) out.push_back(a);
  }
  for (const auto& a : attrs) {
    if (std::none_of(order.begin(), order.end(), [&](const char* n) { return a.first == n; }))
      out.push_back(a);
  }
  return out;
}

constexpr std::initializer_list<const char*> kDateFields = {
    "years", "months", "monthdays", "weekdays", "yeardays", "weekyears",
    "weeks", "hours",  "minutes",   "seconds",  "moon"};

class Converter {
 public:
  explicit Converter(std::string origin) : origin_(std::move(origin)) {}

  std::vector<Command> run(const Configuration& conf);

 private:
  void emit(const std::string& name, CommandBody body) {
    Command c;
    c.name = name;
    c.origin = origin_;
    c.body = std::move(body);
    out_.push_back(std::move(c));
  }

  static Rule rule(const crm::Rule& r, const std::string& generated_base);
  static AttrList attr_list(const AttrSet& s, const std::string& kind);
  static std::vector<ResourceSet> sets(const std::vector<crm::ResourceSet>& in, bool order);
  Primitive agent(const AgentResource& r, bool is_template);
  void primitive(const crm::Primitive& p);
  void resource(const Resource& r);
  void bundle(const XmlElement& b);
  void location(const crm::Location& l);
  void colocation(const crm::Colocation& c);
  void order(const crm::Order& o);
  void ticket(const XmlElement& t);
  void section(const XmlElement& s, const Configuration& conf);
  void fencing(const XmlElement& s, const Configuration& conf);
  void acl_role(const XmlElement& r);
  void alert(const XmlElement& a);

  std::string origin_;
  std::vector<Command> out_;
};

Expression expression(const crm::Expression& e) {
  Expression x;
  x.attribute = e.attribute;
  x.op = e.operation;
  if (e.operation == "defined" || e.operation == "not_defined") {
    x.kind = Expression::Kind::kUnary;
    return x;
  }
  x.kind = Expression::Kind::kBinary;
  x.value = e.value.value_or("");
  if (e.type) x.type = *e.type;
  return x;
}

// <date_expression>: date gt|lt VALUE, date in start= end= DURATION..., date spec FIELDS...
std::optional<Expression> date_expression(const XmlElement& d) {
  if (d.name != "date_expression") return std::nullopt;
  Expression x;
  x.kind = Expression::Kind::kDate;
  const std::string op = attr_or(d, "operation");
  // Fields from the largest unit to the smallest, then any other.
  auto fields_of = [](const XmlElement& e, std::vector<NvPair>& out) {
    for (const auto& [k, v] : in_order(e.attrs, kDateFields)) {
      if (k == "id") continue;
      NvPair p;
      p.name = k;
      p.value = v;
      out.push_back(std::move(p));
    }
  };
  if (op == "gt") {
    x.op = "gt";
    x.value = attr_or(d, "start");
  } else if (op == "lt") {
    x.op = "lt";
    x.value = attr_or(d, "end");
  } else if (op == "date_spec") {
    x.op = "spec";
    for (const auto& c : d.children)
      if (c.name == "date_spec") fields_of(c, x.fields);
  } else {
    x.op = "in";
    for (const char* k : {"start", "end"}) {
      if (const std::string* v = attr(d, k)) x.fields.push_back(NvPair{"", k, *v, ""});
    }
    for (const auto& c : d.children)
      if (c.name == "duration") fields_of(c, x.fields);
  }
  return x;
}

// `generated_base`: rule ids starting "<base>-rule" are crmsh's own and hidden.
Rule Converter::rule(const crm::Rule& r, const std::string& generated_base) {
  Rule x;
  if (r.id_ref) {
    x.id_ref = *r.id_ref;
    return x;
  }
  const std::string id = r.id.value_or("");
  if (generated_base.empty() || !starts_with(id, generated_base + "-rule")) x.id = id;
  if (r.score) {
    x.score = *r.score;
  } else if (r.score_attribute) {
    x.score = *r.score_attribute;
  }
  if (r.role) x.role = *r.role;
  if (r.boolean_op && *r.boolean_op != "and") x.bool_op = *r.boolean_op;
  for (const auto& t : r.terms) {
    if (const auto* e = std::get_if<crm::Expression>(&t)) {
      x.expressions.push_back(expression(*e));
    } else if (const auto* d = std::get_if<XmlElement>(&t)) {
      if (auto de = date_expression(*d)) x.expressions.push_back(std::move(*de));
    }
    // A rule nested in a rule has no crm syntax; the typed element keeps it.
  }
  if (x.expressions.size() > 1 && x.bool_op.empty()) x.bool_op = "and";
  return x;
}

AttrList Converter::attr_list(const AttrSet& s, const std::string& kind) {
  AttrList al;
  al.kind = kind;
  if (s.id_ref) {
    al.id_ref = *s.id_ref;
    return al;
  }
  al.id = s.id.value_or("");
  if (s.score) al.score = *s.score;
  for (const auto& r : s.rules) al.rules.push_back(rule(r, al.id));
  for (const auto& nv : s.nvpairs) {
    NvPair p;
    if (nv.id_ref) {
      p.ref = *nv.id_ref;
      p.name = nv.name.value_or("");
    } else {
      p.id = nv.id.value_or("");
      p.name = nv.name.value_or("");
      p.value = nv.value;
    }
    al.pairs.push_back(std::move(p));
  }
  return al;
}

std::string resource_set_kind(SetKind k) {
  switch (k) {
    case SetKind::kMeta:
      return "meta";
    case SetKind::kUtilization:
      return "utilization";
    case SetKind::kInstance:
    case SetKind::kClusterProperty:
      break;
  }
  return "params";
}

std::vector<ResourceSet> Converter::sets(const std::vector<crm::ResourceSet>& in, bool order) {
  std::vector<ResourceSet> out;
  for (const auto& s : in) {
    ResourceSet x;
    const bool sequential =
        !s.sequential || *s.sequential == "true" || *s.sequential == "yes" || *s.sequential == "1";
    const bool require_all = !s.require_all || *s.require_all == "true" ||
                             *s.require_all == "yes" || *s.require_all == "1";
    if (!require_all) {
      x.bracket = '[';
      // `[ ]` means sequential=false too; crmsh says when it is not.
      if (sequential) x.attributes.push_back(NvPair{"", "sequential", "true", ""});
    } else if (!sequential) {
      x.bracket = '(';
    }
    const std::string q = order ? s.action.value_or("") : s.role.value_or("");
    for (const auto& r : s.resources) x.items.push_back(SetItem{r.id, q, {}});
    out.push_back(std::move(x));
  }
  return out;
}

Primitive Converter::agent(const AgentResource& r, bool is_template) {
  Primitive p;
  p.is_template = is_template;
  p.id = r.id;
  p.cls = r.resource_class.value_or("");
  p.provider = r.provider.value_or("");
  p.type = r.type.value_or("");
  p.description = r.description;
  for (const auto& s : r.sets) p.sets.push_back(attr_list(s, resource_set_kind(s.kind)));
  if (r.operations) {
    if (r.operations->id_ref) p.operations_id_ref = *r.operations->id_ref;
    if (r.operations->id) p.operations_id = *r.operations->id;
    for (const auto& o : r.operations->ops) {
      Op op;
      op.name = o.name;
      auto add = [&](const std::string& n, const std::string& v) {
        op.attributes.push_back(NvPair{"", n, v, ""});
      };
      // The model does not keep attribute order; crmsh's convention: the
      // interval first, except an interval of 0 that crmsh appended to an
      // op written without one (any op but a monitor), which comes last.
      const bool interval_last = o.interval == "0" && o.name != "monitor";
      if (!interval_last) add("interval", o.interval);
      if (o.role) add("role", *o.role);
      if (o.timeout) add("timeout", *o.timeout);
      if (o.on_fail) add("on-fail", *o.on_fail);
      for (const auto& [k, v] : o.extra) add(k, v);
      if (interval_last) add("interval", o.interval);
      for (const auto& s : o.sets)
        op.sets.push_back(attr_list(s, s.kind == SetKind::kMeta ? "op_meta" : "op_params"));
      p.ops.push_back(std::move(op));
    }
  }
  return p;
}

void Converter::primitive(const crm::Primitive& p) {
  Primitive x = agent(p, false);
  if (p.template_id) x.template_ref = *p.template_id;
  emit("primitive", std::move(x));
}

void Converter::resource(const Resource& r) {
  if (const auto* p = std::get_if<crm::Primitive>(&r)) {
    primitive(*p);
  } else if (const auto* t = std::get_if<Template>(&r)) {
    emit("rsc_template", agent(*t, true));
  } else if (const auto* g = std::get_if<Group>(&r)) {
    Container c;
    c.kind = Container::Kind::kGroup;
    c.id = g->id;
    c.description = g->description;
    for (const auto& s : g->sets) c.sets.push_back(attr_list(s, resource_set_kind(s.kind)));
    for (const auto& m : g->members) {
      primitive(m);
      c.children.push_back(m.id);
    }
    emit("group", std::move(c));
  } else if (const auto* cl = std::get_if<Clone>(&r)) {
    Container c;
    c.kind = cl->element == CloneElement::kMaster ? Container::Kind::kMs : Container::Kind::kClone;
    c.id = cl->id;
    c.description = cl->description;
    for (const auto& s : cl->sets) c.sets.push_back(attr_list(s, resource_set_kind(s.kind)));
    if (const auto* cp = std::get_if<crm::Primitive>(&cl->child)) {
      resource(Resource{*cp});
      c.children.push_back(cp->id);
    } else if (const auto* cg = std::get_if<Group>(&cl->child)) {
      resource(Resource{*cg});
      c.children.push_back(cg->id);
    }
    emit(c.kind == Container::Kind::kMs ? "ms" : "clone", std::move(c));
  } else if (const auto* x = std::get_if<XmlElement>(&r)) {
    if (x->name == "bundle") bundle(*x);
  }
}

// Bundle attributes in the order crm(8) writes them, per element.
Attrs bundle_attrs(const XmlElement& e) {
  if (e.name == "network")
    return in_order(
        e.attrs, {"ip-range-start", "host-netmask", "host-interface", "control-port", "add-host"});
  if (e.name == "port-mapping") return in_order(e.attrs, {"port", "internal-port", "range"});
  if (e.name == "storage-mapping")
    return in_order(e.attrs, {"target-dir", "source-dir", "source-dir-root", "options"});
  return in_order(e.attrs, {"image", "replicas", "replicas-per-host", "promoted-max", "masters",
                            "network", "run-command", "options"});
}

void Converter::bundle(const XmlElement& b) {
  Bundle x;
  x.id = attr_or(b, "id");
  if (const std::string* d = attr(b, "description")) x.description = *d;
  const std::string generated = x.id + "-";
  for (const auto& c : b.children) {
    BundleSection s;
    s.keyword = c.name;
    if (c.name == "meta_attributes") {
      AttrSet set;
      set.kind = SetKind::kMeta;
      if (const std::string* id = attr(c, "id")) set.id = *id;
      for (const auto& nv : c.children) {
        if (nv.name != "nvpair") continue;
        NvPair p;
        p.id = attr_or(nv, "id");
        p.name = attr_or(nv, "name");
        if (const std::string* v = attr(nv, "value")) p.value = *v;
        s.meta.pairs.push_back(std::move(p));
      }
      s.keyword = "meta";
      s.meta.kind = "meta";
      s.meta.id = set.id.value_or("");
    } else if (c.name == "primitive") {
      if (const std::string* id = attr(c, "id")) s.words.push_back(*id);
    } else {
      for (const auto& [k, v] : bundle_attrs(c)) s.words.push_back(k + "=" + v);
      for (const auto& m : c.children) {
        s.words.push_back(m.name);
        // A generated mapping id (<bundle>-N) is written last, a given one first.
        const std::string* id = attr(m, "id");
        const bool gen = id && starts_with(*id, generated) &&
                         id->find_first_not_of("0123456789", generated.size()) == std::string::npos;
        if (id && !gen) s.words.push_back("id=" + *id);
        for (const auto& [k, v] : bundle_attrs(m))
          if (k != "id") s.words.push_back(k + "=" + v);
        if (id && gen) s.words.push_back("id=" + *id);
      }
    }
    x.sections.push_back(std::move(s));
  }
  // The primitive inside a bundle is a resource of its own in crm syntax.
  for (const auto& c : b.children) {
    if (c.name != "primitive") continue;
    Primitive p;
    p.id = attr_or(c, "id");
    p.cls = attr_or(c, "class");
    p.provider = attr_or(c, "provider");
    p.type = attr_or(c, "type");
    emit("primitive", std::move(p));
  }
  emit("bundle", std::move(x));
}

void Converter::location(const crm::Location& l) {
  Location x;
  x.id = l.id;
  if (l.rsc) x.rsc = *l.rsc;
  if (l.rsc_pattern) x.pattern = *l.rsc_pattern;
  if (!l.sets.empty()) {
    x.has_sets = true;
    x.sets = sets(l.sets, false);
  }
  if (l.role) x.role = *l.role;
  if (l.resource_discovery) x.discovery = *l.resource_discovery;
  if (l.node) {
    x.node = *l.node;
    x.score = l.score.value_or("0");
  }
  for (const auto& r : l.rules) x.rules.push_back(rule(r, l.id));
  emit("location", std::move(x));
}

void Converter::colocation(const crm::Colocation& c) {
  Colocation x;
  x.id = c.id;
  if (c.score) {
    x.score = *c.score;
  } else if (const std::string* sa = find_attr(c.extra, "score-attribute")) {
    x.score = *sa;
  }
  if (c.rsc || c.with_rsc) {
    ResourceSet s;
    s.items.push_back(SetItem{c.rsc.value_or(""), c.rsc_role.value_or(""), {}});
    s.items.push_back(SetItem{c.with_rsc.value_or(""), c.with_rsc_role.value_or(""), {}});
    x.sets.push_back(std::move(s));
  } else {
    x.sets = sets(c.sets, false);
  }
  if (c.node_attribute) x.node_attribute = *c.node_attribute;
  emit("colocation", std::move(x));
}

void Converter::order(const crm::Order& o) {
  Order x;
  x.id = o.id;
  if (o.kind) {
    x.kind = *o.kind;
  } else if (o.score) {
    x.kind = *o.score;
  }
  if (o.first || o.then) {
    ResourceSet s;
    s.items.push_back(SetItem{o.first.value_or(""), o.first_action.value_or(""), {}});
    s.items.push_back(SetItem{o.then.value_or(""), o.then_action.value_or(""), {}});
    x.sets.push_back(std::move(s));
  } else {
    x.sets = sets(o.sets, true);
  }
  if (o.symmetrical) x.symmetrical = *o.symmetrical;
  emit("order", std::move(x));
}

void Converter::ticket(const XmlElement& t) {
  RscTicket x;
  x.id = attr_or(t, "id");
  x.ticket = attr_or(t, "ticket");
  x.loss_policy = attr_or(t, "loss-policy");
  if (const std::string* rsc = attr(t, "rsc")) {
    ResourceSet s;
    s.items.push_back(SetItem{*rsc, attr_or(t, "rsc-role"), {}});
    x.sets.push_back(std::move(s));
  } else {
    std::vector<crm::ResourceSet> typed;
    for (const auto& c : t.children) {
      if (c.name != "resource_set") continue;
      crm::ResourceSet s;
      if (const std::string* v = attr(c, "sequential")) s.sequential = *v;
      if (const std::string* v = attr(c, "require-all")) s.require_all = *v;
      if (const std::string* v = attr(c, "role")) s.role = *v;
      for (const auto& r : c.children)
        if (r.name == "resource_ref") s.resources.push_back(ResourceRef{attr_or(r, "id"), {}});
      typed.push_back(std::move(s));
    }
    x.sets = sets(typed, false);
  }
  emit("rsc_ticket", std::move(x));
}

void Converter::fencing(const XmlElement& s, const Configuration& conf) {
  FencingTopology f;
  // target → device lists in level order, for the short form's test.
  std::map<std::string, std::vector<std::pair<int, std::string>>> by_node;
  bool only_nodes = true;
  for (const auto& l : s.children) {
    if (l.name != "fencing-level") continue;
    FencingLevel x;
    x.devices = attr_or(l, "devices");
    if (const std::string* t = attr(l, "target")) {
      x.target = *t;
      int index = 0;
      try {
        index = std::stoi(attr_or(l, "index"));
      } catch (...) {
        index = 0;
      }
      by_node[*t].emplace_back(index, x.devices);
    } else if (const std::string* p = attr(l, "target-pattern")) {
      x.target = "pattern:" + *p;
      only_nodes = false;
    } else if (const std::string* a = attr(l, "target-attribute")) {
      x.target = "attr:" + *a + "=" + attr_or(l, "target-value");
      only_nodes = false;
    }
    f.levels.push_back(std::move(x));
  }
  // Every node with the same levels: crmsh writes the short form.
  if (only_nodes && !by_node.empty() && by_node.size() == conf.nodes.size()) {
    const auto& first = by_node.begin()->second;
    bool same = true;
    for (const auto& n : conf.nodes) {
      auto it = by_node.find(n.uname);
      same = same && it != by_node.end() && it->second == first;
    }
    if (same) {
      f.levels.clear();
      auto sorted = first;
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const auto& a, const auto& b) { return a.first < b.first; });
      for (const auto& [index, devices] : sorted) f.levels.push_back(FencingLevel{"", devices});
    }
  }
  if (!f.levels.empty()) emit("fencing_topology", std::move(f));
}

// crmsh's ACL shortcuts, recognized back from the xpath they expand to.
std::string acl_xpath_spec(const std::string& xp) {
  struct Shortcut {
    const char* prefix;
    const char* name;
    const char* suffix;
  };
  static const std::pair<const char*, const char*> kExact[] = {
      {"/cib", "cib"},
      {"/cib/status", "status"},
      {"//crm_config/cluster_property_set", "property"},
      {"//nodes/node", "node"},
      {"//nodes/node/instance_attributes", "nodeattr"},
      {"//nodes/node/utilization", "nodeutil"},
  };
  for (const auto& [x, n] : kExact)
    if (xp == x) return n;
  static const Shortcut kOne[] = {
      {"//crm_config/cluster_property_set/nvpair[@name='", "property", "']"},
      {"//nodes/node[@uname='", "node", "']"},
      {"//nodes/node/instance_attributes/nvpair[@name='", "nodeattr", "']"},
      {"//nodes/node/utilization[@uname='", "nodeutil", "']"},
      {"//primitive[@id='", "meta", "']/meta_attributes"},
      {"//primitive[@id='", "params", "']/instance_attributes"},
      {"//primitive[@id='", "utilization", "']/utilization"},
  };
  for (const auto& s : kOne) {
    const std::string p = s.prefix;
    const std::string suf = s.suffix;
    if (xp.size() > p.size() + suf.size() && starts_with(xp, p) &&
        xp.compare(xp.size() - suf.size(), suf.size(), suf) == 0) {
      const std::string mid = xp.substr(p.size(), xp.size() - p.size() - suf.size());
      if (mid.find('\'') == std::string::npos) return std::string(s.name) + ":" + mid;
    }
  }
  // //primitive[@id='R']/meta_attributes/nvpair[@name='N'] → meta:R:N (and params).
  for (const auto& [set, name] : {std::pair<std::string, std::string>{"meta_attributes", "meta"},
                                  {"instance_attributes", "params"}}) {
    const std::string p = "//primitive[@id='";
    const std::string mid = "']/" + set + "/nvpair[@name='";
    const auto m = xp.find(mid);
    if (starts_with(xp, p) && m != std::string::npos && xp.size() > 2 &&
        xp.compare(xp.size() - 2, 2, "']") == 0) {
      const std::string rsc = xp.substr(p.size(), m - p.size());
      const std::string n = xp.substr(m + mid.size(), xp.size() - 2 - m - mid.size());
      if (rsc.find('\'') == std::string::npos && n.find('\'') == std::string::npos)
        return name + ":" + rsc + ":" + n;
    }
  }
  const std::string loc = "//rsc_location[@id='cli-prefer-";
  if (starts_with(xp, loc)) {
    const auto q = xp.find("' and @rsc='");
    if (q != std::string::npos && xp.size() > 2 && xp.compare(xp.size() - 2, 2, "']") == 0) {
      const std::string a = xp.substr(loc.size(), q - loc.size());
      const std::string b = xp.substr(q + 12, xp.size() - 2 - q - 12);
      if (a == b) return "location:" + a;
    }
  }
  return "xpath:" + xp;
}

void Converter::acl_role(const XmlElement& r) {
  AclRole x;
  x.id = attr_or(r, "id");
  if (const std::string* d = attr(r, "description")) x.description = *d;
  for (const auto& p : r.children) {
    if (p.name != "acl_permission") continue;
    AclPermission perm;
    perm.right = attr_or(p, "kind");
    if (const std::string* d = attr(p, "description")) perm.description = *d;
    if (const std::string* v = attr(p, "attribute")) perm.specs.push_back("attr:" + *v);
    if (const std::string* v = attr(p, "object-type")) perm.specs.push_back("type:" + *v);
    if (const std::string* v = attr(p, "reference")) perm.specs.push_back("ref:" + *v);
    if (const std::string* v = attr(p, "xpath")) perm.specs.push_back(acl_xpath_spec(*v));
    x.permissions.push_back(std::move(perm));
  }
  emit("role", std::move(x));
}

void Converter::alert(const XmlElement& a) {
  Alert x;
  x.id = attr_or(a, "id");
  x.path = attr_or(a, "path");
  if (const std::string* d = attr(a, "description")) x.description = *d;
  auto set_of = [](const XmlElement& e) -> std::optional<AttrList> {
    if (e.name != "instance_attributes" && e.name != "meta_attributes") return std::nullopt;
    AttrList al;
    al.kind = e.name == "meta_attributes" ? "meta" : "attributes";
    al.id = attr_or(e, "id");
    for (const auto& nv : e.children) {
      if (nv.name != "nvpair") continue;
      NvPair p;
      p.id = attr_or(nv, "id");
      p.name = attr_or(nv, "name");
      if (const std::string* v = attr(nv, "value")) p.value = *v;
      al.pairs.push_back(std::move(p));
    }
    return al;
  };
  for (const auto& c : a.children) {
    if (auto set = set_of(c)) {
      x.sets.push_back(std::move(*set));
      x.layout.push_back(Alert::Part::kSet);
    } else if (c.name == "select") {
      x.has_select = true;
      x.layout.push_back(Alert::Part::kSelect);
      for (const auto& k : c.children) {
        if (!starts_with(k.name, "select_")) continue;
        const std::string kind = k.name.substr(7);
        x.select.push_back(kind);
        if (kind == "attributes" && !k.children.empty()) {
          x.select.push_back("{");
          for (const auto& at : k.children) x.select.push_back(attr_or(at, "name"));
          x.select.push_back("}");
        }
      }
    } else if (c.name == "recipient") {
      AlertRecipient r;
      r.path = attr_or(c, "value");
      if (const std::string* d = attr(c, "description")) r.description = *d;
      for (const auto& s : c.children)
        if (auto al = set_of(s)) r.sets.push_back(std::move(*al));
      x.recipients.push_back(std::move(r));
      x.layout.push_back(Alert::Part::kRecipient);
    }
  }
  emit("alert", std::move(x));
}

void Converter::section(const XmlElement& s, const Configuration& conf) {
  if (s.name == "tags") {
    for (const auto& t : s.children) {
      if (t.name != "tag") continue;
      Tag x;
      x.id = attr_or(t, "id");
      for (const auto& r : t.children)
        if (r.name == "obj_ref") x.members.push_back(attr_or(r, "id"));
      emit("tag", std::move(x));
    }
  } else if (s.name == "fencing-topology") {
    fencing(s, conf);
  } else if (s.name == "acls") {
    for (const auto& r : s.children)
      if (r.name == "acl_role") acl_role(r);
    for (const auto& t : s.children) {
      if (t.name != "acl_target" && t.name != "acl_user") continue;
      AclTarget x;
      x.id = attr_or(t, "id");
      for (const auto& r : t.children)
        if (r.name == "role") x.roles.push_back(attr_or(r, "id"));
      emit("acl_target", std::move(x));
    }
  } else if (s.name == "alerts") {
    for (const auto& a : s.children)
      if (a.name == "alert") alert(a);
  }
}

std::vector<Command> Converter::run(const Configuration& conf) {
  for (const auto& n : conf.nodes) {
    Node x;
    x.id = n.id == n.uname ? "" : n.id;
    x.uname = n.uname;
    x.type = n.type.value_or("");
    x.description = n.description;
    for (const auto& s : n.sets)
      x.sets.push_back(
          attr_list(s, s.kind == SetKind::kUtilization ? "utilization" : "attributes"));
    emit("node", std::move(x));
  }
  for (const auto& r : conf.resources) resource(r);
  // Tags before constraints: a constraint may name a tag.
  for (const auto& s : conf.other_sections)
    if (s.name == "tags") section(s, conf);
  for (const auto& c : conf.constraints) {
    if (const auto* l = std::get_if<crm::Location>(&c)) {
      location(*l);
    } else if (const auto* co = std::get_if<crm::Colocation>(&c)) {
      colocation(*co);
    } else if (const auto* o = std::get_if<crm::Order>(&c)) {
      order(*o);
    } else if (const auto* x = std::get_if<XmlElement>(&c)) {
      if (x->name == "rsc_ticket") ticket(*x);
    }
  }
  auto property_sets = [&](const std::vector<AttrSet>& sets, PropertySet::Kind kind,
                           const char* name) {
    for (const auto& s : sets) {
      PropertySet p;
      p.kind = kind;
      p.body = attr_list(s, "");
      emit(name, std::move(p));
    }
  };
  property_sets(conf.crm_config, PropertySet::Kind::kProperty, "property");
  if (conf.rsc_defaults)
    property_sets(*conf.rsc_defaults, PropertySet::Kind::kRscDefaults, "rsc_defaults");
  if (conf.op_defaults)
    property_sets(*conf.op_defaults, PropertySet::Kind::kOpDefaults, "op_defaults");
  for (const auto& s : conf.other_sections)
    if (s.name != "tags") section(s, conf);
  return std::move(out_);
}

}  // namespace

std::vector<Command> from_configuration(const Configuration& conf, const std::string& origin) {
  return Converter(origin).run(conf);
}

}  // namespace quorate::crm::lang
