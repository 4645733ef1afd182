// Whole-configuration validation. See cib_validate.h.
#include "crm/cib_validate.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace quorate::crm {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isdigit(static_cast<unsigned char>(c));
  });
}

bool one_of(const std::string& v, std::initializer_list<const char*> values, bool nocase = false) {
  const std::string x = nocase ? lower(v) : v;
  return std::any_of(values.begin(), values.end(),
                     [&](const char* c) { return x == (nocase ? lower(c) : std::string(c)); });
}

std::string list(std::initializer_list<const char*> values) {
  std::string out;
  for (const char* v : values) out += (out.empty() ? "" : ", ") + std::string(v);
  return out;
}

bool is_non_negative_int(const std::string& s) {
  return all_digits(s.size() > 1 && s[0] == '+' ? std::string_view(s).substr(1) : s);
}

bool is_int(const std::string& s) {
  std::string_view v = s;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) v.remove_prefix(1);
  return all_digits(v);
}

// ISO 8601 duration: P[nY][nM][nW][nD][T[nH][nM][nS]], at least one field.
bool is_iso_duration(const std::string& s) {
  if (s.size() < 2 || (s[0] != 'P' && s[0] != 'p')) return false;
  bool time = false;
  bool any = false;
  size_t i = 1;
  while (i < s.size()) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
    if (c == 'T') {
      if (time) return false;
      time = true;
      ++i;
      continue;
    }
    size_t j = i;
    while (j < s.size() && (std::isdigit(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
    if (j == i || j >= s.size()) return false;
    const char unit = static_cast<char>(std::toupper(static_cast<unsigned char>(s[j])));
    const bool ok = time ? (unit == 'H' || unit == 'M' || unit == 'S')
                         : (unit == 'Y' || unit == 'M' || unit == 'W' || unit == 'D');
    if (!ok) return false;
    any = true;
    i = j + 1;
  }
  return any;
}

}  // namespace

bool is_score(const std::string& s) {
  std::string v = lower(s);
  if (v == "red" || v == "yellow" || v == "green") return true;
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) v = v.substr(1);
  return v == "inf" || v == "infinity" || all_digits(v);
}

bool is_boolean(const std::string& s) {
  return one_of(s, {"true", "false", "yes", "no", "on", "off", "y", "n", "1", "0"}, true);
}

bool is_duration(const std::string& s) {
  if (is_iso_duration(s)) return true;
  size_t i = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == 0) return false;
  std::string unit = lower(std::string_view(s).substr(i));
  while (!unit.empty() && unit.front() == ' ') unit.erase(unit.begin());
  return one_of(unit, {"", "ms", "msec", "us", "usec", "s", "sec", "m", "min", "h", "hr"});
}

bool is_role(const std::string& s) {
  return one_of(s, {"Started", "Stopped", "Promoted", "Unpromoted", "Master", "Slave"}, true);
}

bool has_errors(const std::vector<Finding>& findings) {
  return std::any_of(findings.begin(), findings.end(),
                     [](const Finding& f) { return f.severity == Finding::Severity::kError; });
}

namespace {

constexpr std::initializer_list<const char*> kRoles = {"Started",    "Stopped", "Promoted",
                                                       "Unpromoted", "Master",  "Slave"};
constexpr std::initializer_list<const char*> kActions = {"start", "stop", "promote", "demote"};
constexpr std::initializer_list<const char*> kOnFail = {
    "ignore", "block", "stop", "restart", "standby", "fence", "demote", "restart-container"};

// How a named value is checked.
enum class Check { kBool, kDuration, kNonNegInt, kInt, kScore, kRole, kEnum };
struct ValueRule {
  const char* name;
  Check check;
  std::initializer_list<const char*> values = {};
};

// Meta attributes of resources (and rsc_defaults).
const ValueRule kMetaRules[] = {
    {"target-role", Check::kRole},
    {"is-managed", Check::kBool},
    {"maintenance", Check::kBool},
    {"notify", Check::kBool},
    {"interleave", Check::kBool},
    {"globally-unique", Check::kBool},
    {"ordered", Check::kBool},
    {"promotable", Check::kBool},
    {"allow-migrate", Check::kBool},
    {"critical", Check::kBool},
    {"allow-unhealthy-nodes", Check::kBool},
    {"clone-max", Check::kNonNegInt},
    {"clone-node-max", Check::kNonNegInt},
    {"clone-min", Check::kNonNegInt},
    {"promoted-max", Check::kNonNegInt},
    {"promoted-node-max", Check::kNonNegInt},
    {"master-max", Check::kNonNegInt},
    {"master-node-max", Check::kNonNegInt},
    {"priority", Check::kInt},
    {"resource-stickiness", Check::kScore},
    {"migration-threshold", Check::kScore},
    {"failure-timeout", Check::kDuration},
    {"multiple-active", Check::kEnum, {"block", "stop_only", "stop_start", "stop_unexpected"}},
    {"requires", Check::kEnum, {"nothing", "quorum", "fencing", "unfencing"}},
};

// Cluster options (crm_config) Pacemaker 2.1 knows, with their checks.
const ValueRule kPropertyRules[] = {
    {"stonith-enabled", Check::kBool},
    {"symmetric-cluster", Check::kBool},
    {"maintenance-mode", Check::kBool},
    {"start-failure-is-fatal", Check::kBool},
    {"stop-all-resources", Check::kBool},
    {"stop-orphan-resources", Check::kBool},
    {"stop-orphan-actions", Check::kBool},
    {"enable-startup-probes", Check::kBool},
    {"concurrent-fencing", Check::kBool},
    {"startup-fencing", Check::kBool},
    {"enable-acl", Check::kBool},
    {"remove-after-stop", Check::kBool},
    {"shutdown-lock", Check::kBool},
    {"have-watchdog", Check::kBool},
    {"is-managed-default", Check::kBool},
    {"no-quorum-policy", Check::kEnum, {"stop", "freeze", "ignore", "demote", "suicide"}},
    {"cluster-recheck-interval", Check::kDuration},
    {"stonith-timeout", Check::kDuration},
    {"dc-deadtime", Check::kDuration},
    {"election-timeout", Check::kDuration},
    {"shutdown-escalation", Check::kDuration},
    {"join-integration-timeout", Check::kDuration},
    {"join-finalization-timeout", Check::kDuration},
    {"transition-delay", Check::kDuration},
    {"shutdown-lock-limit", Check::kDuration},
    {"priority-fencing-delay", Check::kDuration},
    {"stonith-watchdog-timeout", Check::kInt},
    {"batch-limit", Check::kInt},
    {"migration-limit", Check::kInt},
    {"cluster-ipc-limit", Check::kNonNegInt},
    {"pe-error-series-max", Check::kInt},
    {"pe-warn-series-max", Check::kInt},
    {"pe-input-series-max", Check::kInt},
    {"node-action-limit", Check::kInt},
    {"stonith-max-attempts", Check::kNonNegInt},
    {"default-resource-stickiness", Check::kScore},
    {"node-health-red", Check::kScore},
    {"node-health-yellow", Check::kScore},
    {"node-health-green", Check::kScore},
    {"node-health-base", Check::kScore},
    {"node-health-strategy",
     Check::kEnum,
     {"none", "migrate-on-red", "only-green", "progressive", "custom"}},
    {"placement-strategy", Check::kEnum, {"default", "utilization", "minimal", "balanced"}},
    {"stonith-action", Check::kEnum, {"reboot", "off", "poweroff"}},
    {"fence-reaction", Check::kEnum, {"stop", "panic"}},
    {"dc-version", Check::kEnum},
    {"cluster-infrastructure", Check::kEnum},
    {"cluster-name", Check::kEnum},
    {"load-threshold", Check::kEnum},
    {"node-pending-timeout", Check::kDuration},
};

// op_defaults, and the attributes of an op.
const ValueRule kOpRules[] = {
    {"interval", Check::kDuration},     {"timeout", Check::kDuration},
    {"start-delay", Check::kDuration},  {"enabled", Check::kBool},
    {"record-pending", Check::kBool},   {"role", Check::kRole},
    {"on-fail", Check::kEnum, kOnFail},
};

const ValueRule* find_rule(const ValueRule* begin, const ValueRule* end, const std::string& name) {
  auto it = std::find_if(begin, end, [&](const ValueRule& r) { return name == r.name; });
  return it == end ? nullptr : it;
}

// "" when `value` passes `rule`, else what it should have been.
std::string check_value(const ValueRule& rule, const std::string& value) {
  switch (rule.check) {
    case Check::kBool:
      return is_boolean(value) ? "" : "is not a boolean (true or false)";
    case Check::kDuration:
      return is_duration(value) ? "" : "is not a duration (such as 30s, 5min, 1h or PT30S)";
    case Check::kNonNegInt:
      return is_non_negative_int(value) ? "" : "must be a non-negative integer";
    case Check::kInt:
      return is_int(value) ? "" : "is not an integer";
    case Check::kScore:
      return is_score(value) ? "" : "is not a score (an integer, INFINITY or -INFINITY)";
    case Check::kRole:
      return is_role(value) ? "" : "is not a role (" + list(kRoles) + ")";
    case Check::kEnum:
      if (rule.values.size() == 0) return "";
      return one_of(value, rule.values, true) ? "" : "is not one of " + list(rule.values);
  }
  return "";
}

class Validator {
 public:
  explicit Validator(const Configuration& conf) : conf_(conf) {}

  std::vector<Finding> run();

 private:
  void error(const std::string& object, const std::string& message) {
    out_.push_back(Finding{Finding::Severity::kError, object, message});
  }
  void warning(const std::string& object, const std::string& message) {
    out_.push_back(Finding{Finding::Severity::kWarning, object, message});
  }

  // Ids (first pass).
  void note_id(const std::string& object, const std::string& id, const char* what);
  void collect_set(const std::string& object, const AttrSet& s);
  void collect_rule(const std::string& object, const crm::Rule& r);
  void collect_xml(const std::string& object, const XmlElement& e);
  void collect_agent(const AgentResource& r);
  void collect_resource(const Resource& r);

  // Checks (second pass).
  void check_set(const std::string& object, const std::string& owner, const AttrSet& s,
                 const ValueRule* rules_begin, const ValueRule* rules_end, bool warn_unknown);
  void check_rule(const std::string& object, const crm::Rule& r);
  void check_agent(const AgentResource& r, const char* kind);
  void check_resource(const Resource& r);
  void check_rsc_ref(const std::string& object, const std::string& rsc, const char* attr);
  void check_sets(const std::string& object, const std::vector<ResourceSet>& sets, bool order);
  void check_constraint(const Constraint& c);
  void check_score(const std::string& object, const std::string& id, const OptString& score);
  void check_enum(const std::string& object, const std::string& what, const OptString& value,
                  std::initializer_list<const char*> values);

  const Configuration& conf_;
  std::vector<Finding> out_;
  std::map<std::string, std::string> ids_;  // id → object that holds it
  std::set<std::string> resources_;         // ids a constraint may name
  std::set<std::string> templates_;
  std::map<std::string, SetKind> set_ids_;
  std::set<std::string> nvpair_ids_;
  std::set<std::string> rule_ids_;
  std::set<std::string> operations_ids_;
  std::set<std::string> node_names_;
};

void Validator::note_id(const std::string& object, const std::string& id, const char* what) {
  if (id.empty()) return;
  auto [it, fresh] = ids_.emplace(id, object);
  if (!fresh) {
    error(object, id + ": id is used more than once (" + what + "; also in " + it->second + ")");
  }
}

void Validator::collect_rule(const std::string& object, const crm::Rule& r) {
  if (r.id) {
    note_id(object, *r.id, "rule");
    rule_ids_.insert(*r.id);
  }
  for (const auto& t : r.terms) {
    if (const auto* e = std::get_if<crm::Expression>(&t)) note_id(object, e->id, "expression");
    if (const auto* b = std::get_if<Box<crm::Rule>>(&t)) collect_rule(object, **b);
    if (const auto* x = std::get_if<XmlElement>(&t)) collect_xml(object, *x);
  }
}

void Validator::collect_set(const std::string& object, const AttrSet& s) {
  if (s.id) {
    note_id(object, *s.id, set_element_name(s.kind));
    set_ids_.emplace(*s.id, s.kind);
  }
  for (const auto& r : s.rules) collect_rule(object, r);
  for (const auto& nv : s.nvpairs) {
    if (!nv.id) continue;
    note_id(object, *nv.id, "nvpair");
    nvpair_ids_.insert(*nv.id);
  }
}

void Validator::collect_xml(const std::string& object, const XmlElement& e) {
  // Only elements that carry an id of their own; references are id-refs elsewhere.
  static const std::set<std::string> kRefs = {"resource_ref", "obj_ref", "role", "attribute"};
  if (kRefs.count(e.name) == 0) {
    if (const std::string* id = find_attr(e.attrs, "id")) note_id(object, *id, e.name.c_str());
  }
  for (const auto& c : e.children) collect_xml(object, c);
}

void Validator::collect_agent(const AgentResource& r) {
  note_id(r.id, r.id, "resource");
  for (const auto& s : r.sets) collect_set(r.id, s);
  if (r.operations) {
    if (r.operations->id) {
      note_id(r.id, *r.operations->id, "operations");
      operations_ids_.insert(*r.operations->id);
    }
    for (const auto& op : r.operations->ops) {
      note_id(r.id, op.id, "op");
      for (const auto& s : op.sets) collect_set(r.id, s);
    }
  }
}

void Validator::collect_resource(const Resource& r) {
  if (const auto* p = std::get_if<Primitive>(&r)) {
    collect_agent(*p);
    resources_.insert(p->id);
  } else if (const auto* t = std::get_if<Template>(&r)) {
    collect_agent(*t);
    templates_.insert(t->id);
  } else if (const auto* g = std::get_if<Group>(&r)) {
    note_id(g->id, g->id, "group");
    resources_.insert(g->id);
    for (const auto& s : g->sets) collect_set(g->id, s);
    for (const auto& m : g->members) collect_resource(Resource{m});
  } else if (const auto* c = std::get_if<Clone>(&r)) {
    note_id(c->id, c->id, "clone");
    resources_.insert(c->id);
    for (const auto& s : c->sets) collect_set(c->id, s);
    std::visit([&](const auto& child) { collect_resource(Resource{child}); }, c->child);
  } else if (const auto* x = std::get_if<XmlElement>(&r)) {
    const std::string id = resource_id(r);
    collect_xml(id, *x);
    resources_.insert(id);
    for (const auto& ch : x->children) {
      if (ch.name == "primitive") {
        if (const std::string* pid = find_attr(ch.attrs, "id")) resources_.insert(*pid);
      }
    }
  }
}

void Validator::check_enum(const std::string& object, const std::string& what,
                           const OptString& value, std::initializer_list<const char*> values) {
  if (value && !one_of(*value, values, true)) {
    error(object, what + " '" + *value + "' is not one of " + list(values));
  }
}

void Validator::check_score(const std::string& object, const std::string& id,
                            const OptString& score) {
  if (score && !is_score(*score)) {
    error(object,
          id + ": score '" + *score + "' is not a score (an integer, INFINITY or -INFINITY)");
  }
}

void Validator::check_rule(const std::string& object, const crm::Rule& r) {
  if (r.id_ref && rule_ids_.count(*r.id_ref) == 0) {
    error(object, object + ": rule id-ref '" + *r.id_ref + "' names no rule");
    return;
  }
  const std::string id = r.id.value_or(object);
  check_score(object, id, r.score);
  check_enum(object, id + ": boolean-op", r.boolean_op, {"and", "or"});
  if (r.role && !is_role(*r.role)) {
    error(object, id + ": role '" + *r.role + "' is not a role (" + list(kRoles) + ")");
  }
  for (const auto& t : r.terms) {
    if (const auto* e = std::get_if<crm::Expression>(&t)) {
      check_enum(object, e->id + ": operation", OptString(e->operation),
                 {"lt", "gt", "lte", "gte", "eq", "ne", "defined", "not_defined"});
      check_enum(object, e->id + ": type", e->type, {"string", "integer", "number", "version"});
      const bool unary = e->operation == "defined" || e->operation == "not_defined";
      if (!unary && !e->value && !find_attr(e->extra, "value-source")) {
        error(object, e->id + ": expression on '" + e->attribute + "' has no value");
      }
    } else if (const auto* b = std::get_if<Box<crm::Rule>>(&t)) {
      check_rule(object, **b);
    }
  }
}

void Validator::check_set(const std::string& object, const std::string& owner, const AttrSet& s,
                          const ValueRule* rules_begin, const ValueRule* rules_end,
                          bool warn_unknown) {
  if (s.id_ref) {
    auto it = set_ids_.find(*s.id_ref);
    if (it == set_ids_.end() || it->second != s.kind) {
      error(object, owner + ": " + set_element_name(s.kind) + " id-ref '" + *s.id_ref +
                        "' names no " + set_element_name(s.kind));
    }
    return;
  }
  check_score(object, s.id.value_or(owner), s.score);
  for (const auto& r : s.rules) check_rule(object, r);
  for (const auto& nv : s.nvpairs) {
    if (nv.id_ref) {
      if (nvpair_ids_.count(*nv.id_ref) == 0)
        error(object, owner + ": nvpair id-ref '" + *nv.id_ref + "' names no nvpair");
      continue;
    }
    if (!nv.name) continue;
    const ValueRule* rule = rules_begin ? find_rule(rules_begin, rules_end, *nv.name) : nullptr;
    if (!rule) {
      if (warn_unknown) warning(object, owner + ": unknown attribute '" + *nv.name + "'");
      continue;
    }
    if (!nv.value) {
      error(object, owner + ": " + *nv.name + " has no value");
      continue;
    }
    const std::string why = check_value(*rule, *nv.value);
    if (!why.empty()) error(object, owner + ": " + *nv.name + " '" + *nv.value + "' " + why);
  }
}

// Required parameters of a few well-known agents (from their metadata).
std::vector<const char*> required_params(const AgentResource& r) {
  if (r.resource_class.value_or("") != "ocf" || r.provider.value_or("") != "heartbeat") return {};
  const std::string type = r.type.value_or("");
  if (type == "IPaddr2" || type == "IPaddr") return {"ip"};
  if (type == "Filesystem") return {"device", "directory", "fstype"};
  return {};
}

void Validator::check_agent(const AgentResource& r, const char* kind) {
  const bool is_template = std::string_view(kind) == "template";
  for (const auto& s : r.sets) {
    const bool meta = s.kind == SetKind::kMeta;
    check_set(r.id, r.id, s, meta ? std::begin(kMetaRules) : nullptr,
              meta ? std::end(kMetaRules) : nullptr, false);
  }
  if (!r.resource_class && !is_template) {
    // A primitive without class names a template (checked by the caller).
  } else if (r.resource_class) {
    check_enum(r.id, r.id + ": class", r.resource_class,
               {"ocf", "lsb", "service", "systemd", "stonith", "upstart", "nagios", "heartbeat"});
    if (*r.resource_class == "ocf" && !r.provider)
      error(r.id, r.id + ": an ocf agent needs a provider");
    if (!r.type || r.type->empty()) error(r.id, r.id + ": no agent type");
  }
  bool has_instance_ref = false;
  std::set<std::string> params;
  for (const auto& s : r.sets) {
    if (s.kind != SetKind::kInstance) continue;
    has_instance_ref |= s.id_ref.has_value();
    for (const auto& nv : s.nvpairs)
      if (nv.name) params.insert(*nv.name);
  }
  if (!is_template && !has_instance_ref) {
    for (const char* req : required_params(r)) {
      if (params.count(req) == 0)
        error(r.id, r.id + ": required parameter \"" + std::string(req) + "\" not defined");
    }
  }
  if (!r.operations) return;
  if (r.operations->id_ref && operations_ids_.count(*r.operations->id_ref) == 0) {
    error(r.id, r.id + ": operations id-ref '" + *r.operations->id_ref + "' names no operations");
  }
  std::map<std::string, std::string> seen;  // name + interval (ms) → op id
  for (const auto& op : r.operations->ops) {
    const std::string what = r.id + ": op " + op.name;
    if (!is_duration(op.interval)) {
      error(r.id, what + " interval '" + op.interval +
                      "' is not a duration (such as 30s, 5min, 1h or PT30S)");
    }
    if (op.timeout && !is_duration(*op.timeout)) {
      error(r.id, what + " timeout '" + *op.timeout +
                      "' is not a duration (such as 30s, 5min, 1h or PT30S)");
    }
    if (op.role && !is_role(*op.role))
      error(r.id, what + " role '" + *op.role + "' is not a role (" + list(kRoles) + ")");
    check_enum(r.id, what + " on-fail", op.on_fail, kOnFail);
    for (const auto& [k, v] : op.extra) {
      const ValueRule* rule = find_rule(std::begin(kOpRules), std::end(kOpRules), k);
      if (!rule) continue;
      const std::string why = check_value(*rule, v);
      if (!why.empty()) error(r.id, what + " " + k + " '" + v + "' " + why);
    }
    // Pacemaker allows one op per name and interval.
    std::string key = op.name + "/" + op.interval;
    if (op.interval == "0" || op.interval == "0s" || op.interval.empty()) key = op.name + "/0";
    auto [it, fresh] = seen.emplace(key, op.id);
    if (!fresh) {
      error(r.id, what + " interval " + op.interval + " is defined twice (" + it->second + " and " +
                      op.id + "): use each name and interval once per resource");
    }
  }
}

void Validator::check_resource(const Resource& r) {
  if (const auto* p = std::get_if<Primitive>(&r)) {
    if (p->template_id && templates_.count(*p->template_id) == 0)
      error(p->id, p->id + ": template '" + *p->template_id + "' does not exist");
    if (!p->template_id && !p->resource_class)
      error(p->id, p->id + ": neither an agent class nor a template");
    check_agent(*p, "primitive");
  } else if (const auto* t = std::get_if<Template>(&r)) {
    check_agent(*t, "template");
  } else if (const auto* g = std::get_if<Group>(&r)) {
    for (const auto& s : g->sets)
      check_set(g->id, g->id, s, s.kind == SetKind::kMeta ? std::begin(kMetaRules) : nullptr,
                s.kind == SetKind::kMeta ? std::end(kMetaRules) : nullptr, false);
    if (g->members.empty()) error(g->id, g->id + ": a group needs at least one member");
    for (const auto& m : g->members) check_resource(Resource{m});
  } else if (const auto* c = std::get_if<Clone>(&r)) {
    for (const auto& s : c->sets)
      check_set(c->id, c->id, s, s.kind == SetKind::kMeta ? std::begin(kMetaRules) : nullptr,
                s.kind == SetKind::kMeta ? std::end(kMetaRules) : nullptr, false);
    std::visit([&](const auto& child) { check_resource(Resource{child}); }, c->child);
  }
}

void Validator::check_rsc_ref(const std::string& object, const std::string& rsc, const char* attr) {
  if (resources_.count(rsc) == 0) {
    error(object, object + ": " + attr + " '" + rsc + "' names no resource");
  }
}

void Validator::check_sets(const std::string& object, const std::vector<ResourceSet>& sets,
                           bool order) {
  for (const auto& s : sets) {
    const std::string id = s.id.value_or(object);
    if (s.id_ref) continue;
    for (const auto& r : s.resources) check_rsc_ref(object, r.id, "resource_ref");
    if (s.sequential && !is_boolean(*s.sequential))
      error(object, id + ": sequential '" + *s.sequential + "' is not a boolean (true or false)");
    if (s.require_all && !is_boolean(*s.require_all))
      error(object, id + ": require-all '" + *s.require_all + "' is not a boolean (true or false)");
    if (s.role && !is_role(*s.role))
      error(object, id + ": role '" + *s.role + "' is not a role (" + list(kRoles) + ")");
    if (order) check_enum(object, id + ": action", s.action, kActions);
    check_score(object, id, s.score);
    if (s.resources.empty()) error(object, id + ": an empty resource set");
  }
}

void Validator::check_constraint(const Constraint& c) {
  if (const auto* l = std::get_if<Location>(&c)) {
    if (l->rsc) check_rsc_ref(l->id, *l->rsc, "rsc");
    check_sets(l->id, l->sets, false);
    if (!l->rsc && !l->rsc_pattern && l->sets.empty()) error(l->id, l->id + ": names no resource");
    if (l->node) {
      if (!l->score && !find_attr(l->extra, "score-attribute"))
        error(l->id, l->id + ": a location on node " + *l->node + " needs a score");
      check_score(l->id, l->id, l->score);
      if (node_names_.count(*l->node) == 0)
        warning(l->id, l->id + ": referenced node " + *l->node + " does not exist");
    } else if (l->rules.empty()) {
      error(l->id, l->id + ": a location needs a node and a score, or a rule");
    }
    if (l->role && !is_role(*l->role))
      error(l->id, l->id + ": role '" + *l->role + "' is not a role (" + list(kRoles) + ")");
    check_enum(l->id, l->id + ": resource-discovery", l->resource_discovery,
               {"always", "never", "exclusive"});
    for (const auto& r : l->rules) check_rule(l->id, r);
  } else if (const auto* co = std::get_if<Colocation>(&c)) {
    if (co->rsc) check_rsc_ref(co->id, *co->rsc, "rsc");
    if (co->with_rsc) check_rsc_ref(co->id, *co->with_rsc, "with-rsc");
    if (co->rsc.has_value() != co->with_rsc.has_value())
      error(co->id, co->id + ": a colocation needs both rsc and with-rsc");
    check_sets(co->id, co->sets, false);
    if (!co->score && !find_attr(co->extra, "score-attribute") && co->sets.empty())
      error(co->id, co->id + ": a colocation needs a score");
    check_score(co->id, co->id, co->score);
    for (const auto& [what, role] :
         {std::pair{"rsc-role", &co->rsc_role}, std::pair{"with-rsc-role", &co->with_rsc_role}}) {
      if (*role && !is_role(**role))
        error(co->id,
              co->id + ": " + what + " '" + **role + "' is not a role (" + list(kRoles) + ")");
    }
  } else if (const auto* o = std::get_if<Order>(&c)) {
    if (o->first) check_rsc_ref(o->id, *o->first, "first");
    if (o->then) check_rsc_ref(o->id, *o->then, "then");
    if (o->first.has_value() != o->then.has_value())
      error(o->id, o->id + ": an order needs both first and then");
    check_sets(o->id, o->sets, true);
    check_enum(o->id, o->id + ": kind", o->kind, {"Mandatory", "Optional", "Serialize"});
    check_score(o->id, o->id, o->score);
    check_enum(o->id, o->id + ": first-action", o->first_action, kActions);
    check_enum(o->id, o->id + ": then-action", o->then_action, kActions);
    if (o->symmetrical && !is_boolean(*o->symmetrical))
      error(o->id, o->id + ": symmetrical '" + *o->symmetrical + "' is not a boolean");
  } else if (const auto* x = std::get_if<XmlElement>(&c)) {
    if (x->name != "rsc_ticket") return;
    const std::string id = find_attr(x->attrs, "id") ? *find_attr(x->attrs, "id") : x->name;
    if (const std::string* rsc = find_attr(x->attrs, "rsc")) check_rsc_ref(id, *rsc, "rsc");
    for (const auto& s : x->children)
      for (const auto& r : s.children)
        if (r.name == "resource_ref" && find_attr(r.attrs, "id"))
          check_rsc_ref(id, *find_attr(r.attrs, "id"), "resource_ref");
    check_enum(id, id + ": loss-policy",
               find_attr(x->attrs, "loss-policy") ? OptString(*find_attr(x->attrs, "loss-policy"))
                                                  : std::nullopt,
               {"stop", "demote", "fence", "freeze"});
  }
}

std::vector<Finding> Validator::run() {
  // First pass: every id, and what references may name.
  for (const auto& s : conf_.crm_config) collect_set(s.id.value_or("crm_config"), s);
  for (const auto& n : conf_.nodes) {
    note_id(n.id, n.id, "node");
    node_names_.insert(n.uname);
    for (const auto& s : n.sets) collect_set(n.id, s);
  }
  for (const auto& r : conf_.resources) collect_resource(r);
  for (const auto& c : conf_.constraints) {
    std::visit(
        [&](const auto& x) {
          using T = std::decay_t<decltype(x)>;
          if constexpr (std::is_same_v<T, XmlElement>) {
            const std::string* id = find_attr(x.attrs, "id");
            collect_xml(id ? *id : x.name, x);
          } else {
            note_id(x.id, x.id, "constraint");
            for (const auto& s : x.sets)
              if (s.id) note_id(x.id, *s.id, "resource_set");
            if constexpr (std::is_same_v<T, Location>) {
              for (const auto& r : x.rules) collect_rule(x.id, r);
            }
          }
        },
        c);
  }
  for (const auto* defaults : {&conf_.rsc_defaults, &conf_.op_defaults}) {
    if (*defaults)
      for (const auto& s : **defaults) collect_set(s.id.value_or("defaults"), s);
  }
  for (const auto& x : conf_.other_sections) {
    collect_xml(x.name, x);
    if (x.name == "tags") {
      for (const auto& t : x.children)
        if (const std::string* id = find_attr(t.attrs, "id")) resources_.insert(*id);
    }
  }

  // Second pass: the checks.
  for (const auto& s : conf_.crm_config) {
    const std::string owner = s.id.value_or("crm_config");
    check_set(owner, owner, s, std::begin(kPropertyRules), std::end(kPropertyRules), true);
  }
  for (const auto& n : conf_.nodes) {
    if (n.type) check_enum(n.id, n.id + ": type", n.type, {"member", "normal", "ping", "remote"});
    static const ValueRule kNodeRules[] = {{"standby", Check::kBool},
                                           {"maintenance", Check::kBool}};
    for (const auto& s : n.sets) {
      const bool inst = s.kind == SetKind::kInstance;
      check_set(n.id, n.id, s, inst ? std::begin(kNodeRules) : nullptr,
                inst ? std::end(kNodeRules) : nullptr, false);
    }
  }
  for (const auto& r : conf_.resources) check_resource(r);
  for (const auto& c : conf_.constraints) check_constraint(c);
  if (conf_.rsc_defaults) {
    for (const auto& s : *conf_.rsc_defaults) {
      const std::string owner = s.id.value_or("rsc_defaults");
      check_set(owner, owner, s, std::begin(kMetaRules), std::end(kMetaRules), false);
    }
  }
  if (conf_.op_defaults) {
    for (const auto& s : *conf_.op_defaults) {
      const std::string owner = s.id.value_or("op_defaults");
      check_set(owner, owner, s, std::begin(kOpRules), std::end(kOpRules), false);
    }
  }
  for (const auto& x : conf_.other_sections) {
    if (x.name == "tags") {
      for (const auto& t : x.children) {
        const std::string id = find_attr(t.attrs, "id") ? *find_attr(t.attrs, "id") : "tag";
        if (t.children.empty()) error(id, id + ": a tag needs at least one member");
        for (const auto& ref : t.children) {
          const std::string* rid = find_attr(ref.attrs, "id");
          if (rid && ids_.count(*rid) == 0)
            error(id, id + ": obj_ref '" + *rid + "' names nothing");
        }
      }
    } else if (x.name == "fencing-topology") {
      for (const auto& l : x.children) {
        const std::string id = find_attr(l.attrs, "id") ? *find_attr(l.attrs, "id") : "fencing";
        const std::string* index = find_attr(l.attrs, "index");
        if (!index || !is_non_negative_int(*index) || *index == "0")
          error("fencing_topology", id + ": index must be a positive integer");
        const std::string* devices = find_attr(l.attrs, "devices");
        std::string rest = devices ? *devices : "";
        size_t start = 0;
        while (start <= rest.size()) {
          const size_t comma = rest.find(',', start);
          const std::string d =
              rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (!d.empty() && resources_.count(d) == 0)
            error("fencing_topology", id + ": device '" + d + "' names no resource");
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
      }
    }
  }
  return std::move(out_);
}

}  // namespace

std::vector<Finding> validate_configuration(const Configuration& conf) {
  return Validator(conf).run();
}

}  // namespace quorate::crm
