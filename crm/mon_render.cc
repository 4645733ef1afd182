// crm_mon's screen from a working set. The resource lines come from
// crm/sched_status (the same renderer crm_simulate uses); this file adds the
// summary, the by-node view and the history sections.
#include "crm/mon_render.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "crm/sched_place.h"
#include "crm/sched_status.h"

namespace quorate::crm::sched {

namespace {

using Json = nlohmann::ordered_json;

std::string time_text(const MonOptions& o, std::int64_t unix_s) {
  return o.format_time ? o.format_time(unix_s) : format_time_utc(unix_s);
}

const std::string* property(const WorkingSet& ws, std::string_view name) {
  const auto it = ws.options.properties.find(name);
  return it == ws.options.properties.end() ? nullptr : &it->second;
}

const Cib& cib_of(const WorkingSet& ws) {
  assert(ws.cib != nullptr);
  return *ws.cib;
}

// The DC's uname, "" when the CIB names none that is configured.
std::string dc_name(const WorkingSet& ws) {
  const std::string* uuid = cib_of(ws).attr("dc-uuid");
  if (uuid == nullptr) return {};
  for (const auto& n : ws.nodes)
    if (n.id == *uuid) return n.uname;
  return {};
}

std::string last_change(const WorkingSet& ws) {
  const Cib& cib = cib_of(ws);
  std::string out;
  if (const auto* w = cib.attr("cib-last-written")) out += *w;
  if (const auto* u = cib.attr("update-user")) out += " by " + *u;
  if (const auto* c = cib.attr("update-client")) out += " via " + *c;
  if (const auto* o = cib.attr("update-origin")) out += " on " + *o;
  return out;
}

std::string plural(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

void render_summary(const WorkingSet& ws, const MonOptions& o, std::ostream& out) {
  out << "Cluster Summary:\n";
  const std::string* stack = property(ws, "cluster-infrastructure");
  out << "  * Stack: " << (stack != nullptr ? *stack : "unknown") << "\n";
  const std::string dc = dc_name(ws);
  if (dc.empty()) {
    out << "  * Current DC: NONE\n";
  } else {
    const std::string* version = property(ws, "dc-version");
    out << "  * Current DC: " << dc << " (version " << (version != nullptr ? *version : "unknown")
        << ") - partition " << (ws.options.have_quorum ? "with" : "WITHOUT") << " quorum\n";
  }
  out << "  * Last updated: " << o.last_updated << "\n";
  out << "  * Last change:  " << last_change(ws) << "\n";
  out << "  * " << plural(static_cast<int>(ws.nodes.size()), "node", "nodes") << " configured\n";
  out << "  * " << plural(ws.instances, "resource instance", "resource instances") << " configured";
  if (ws.disabled_instances > 0 || ws.blocked_instances > 0) {
    out << " (";
    if (ws.disabled_instances > 0) out << ws.disabled_instances << " DISABLED";
    if (ws.disabled_instances > 0 && ws.blocked_instances > 0) out << ", ";
    if (ws.blocked_instances > 0)
      out << ws.blocked_instances << " BLOCKED from further action due to failure";
    out << ")";
  }
  out << "\n";
  if (ws.options.maintenance_mode) {
    out << "\n              *** Resource management is DISABLED ***\n"
        << "  The cluster will not attempt to start, stop or recover services\n";
  }
}

bool active_role(Role r) {
  return r == Role::kStarted || r == Role::kUnpromoted || r == Role::kPromoted;
}

// Primitives (clone instances and group members included) running on `node`.
void prims_on(const WsResource& r, const std::string& node, std::vector<const WsResource*>& out) {
  if (r.kind != RscKind::kPrimitive) {
    for (const auto& c : r.children) prims_on(c, node, out);
    return;
  }
  for (const auto& h : r.history) {
    if (h.node == node && (active_role(h.role) || h.failed)) {
      out.push_back(&r);
      return;
    }
  }
}

bool any_running(const WsResource& r) {
  if (r.kind != RscKind::kPrimitive)
    return std::any_of(r.children.begin(), r.children.end(), any_running);
  return !r.active_nodes().empty();
}

bool all_running(const WsResource& r) {
  if (r.kind != RscKind::kPrimitive)
    return std::all_of(r.children.begin(), r.children.end(), all_running);
  return !r.active_nodes().empty();
}

std::string node_state(const WorkingSet& ws, const WsNode& n) {
  if (n.unclean)
    return n.online ? "UNCLEAN (online)" : n.pending ? "UNCLEAN (pending)" : "UNCLEAN (offline)";
  if (n.pending) return "pending";
  if (n.standby_onfail && n.online) return "standby (on-fail)";
  if (n.standby) {
    if (!n.online) return "OFFLINE (standby)";
    for (const auto& r : ws.resources) {
      std::vector<const WsResource*> on;
      prims_on(r, n.uname, on);
      if (!on.empty()) return "standby (with active resources)";
    }
    return "standby";
  }
  if (n.maintenance) return n.online ? "maintenance" : "OFFLINE (maintenance)";
  return n.online ? "online" : "OFFLINE";
}

std::string node_uname(const WorkingSet& ws, const NodeState& s);

struct OnNode {
  const WsResource* prim;
  std::string name;
  bool promotable;
};

// The primitives running on `node`, in the order of the node's operation
// history in the status section (as Pacemaker lists them with -n).
std::vector<OnNode> running_on_node(const WorkingSet& ws, const std::string& node) {
  std::vector<OnNode> all;
  for (const auto& r : ws.resources) {
    std::vector<const WsResource*> on;
    prims_on(r, node, on);
    const bool anon = r.kind == RscKind::kClone && !r.unique;
    for (const auto* p : on)
      all.push_back({p, anon ? p->base_id : p->id, r.kind == RscKind::kClone && r.promotable});
  }
  std::vector<std::string> order;
  if (const Cib& cib = cib_of(ws); cib.status) {
    for (const auto& s : cib.status->nodes) {
      if (node_uname(ws, s) != node || !s.lrm) continue;
      for (const auto& lr : s.lrm->resources) order.push_back(lr.id);
    }
  }
  const auto rank = [&](const OnNode& x) {
    for (std::size_t i = 0; i < order.size(); ++i) {
      if (order[i] == x.prim->id || order[i] == x.prim->history_name) return i;
    }
    for (std::size_t i = 0; i < order.size(); ++i)
      if (order[i] == x.prim->base_id) return i;
    return order.size();
  };
  std::stable_sort(all.begin(), all.end(),
                   [&](const OnNode& a, const OnNode& b) { return rank(a) < rank(b); });
  return all;
}

void render_by_node(const WorkingSet& ws, const MonOptions& o, std::ostream& out) {
  if (!ws.nodes.empty()) out << "Node List:\n";
  StatusOptions so;
  so.level = 0;
  so.hide_node = true;
  for (const auto& n : ws.nodes) {
    out << "  * Node " << n.uname << ": " << node_state(ws, n) << ":\n";
    out << "    * Resources:\n";
    for (const auto& x : running_on_node(ws, n.uname))
      out << render_primitive_line(ws, *x.prim, x.name, 3, x.promotable, so);
  }
  if (!ws.nodes.empty()) out << "\n";
  if (o.inactive) {
    out << "Inactive Resources:\n";
    StatusOptions full;
    full.level = 0;
    std::ostringstream body;
    for (const auto& r : ws.resources) {
      if (all_running(r) || (r.orphan && !any_running(r))) continue;
      body << render_resource(ws, r, 1, full);
    }
    out << (body.str().empty() ? "  * No inactive resources\n" : body.str());
  }
}

// Transient and configured attributes of a node as crm_mon -A shows them:
// sorted by name, without the fail counts and the cluster's own flags.
std::vector<std::pair<std::string, std::string>> shown_attrs(const WsNode& n) {
  std::map<std::string, std::string, std::less<>> all = n.attrs;
  for (const auto& [k, v] : n.transient) all[k] = v;
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : all) {
    if (k.rfind("fail-count-", 0) == 0 || k.rfind("last-failure-", 0) == 0 ||
        k.rfind('#', 0) == 0 || k == "shutdown" || k == "terminate" || k == "standby")
      continue;
    out.emplace_back(k, v);
  }
  return out;
}

std::string pad(std::string s, std::size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

void render_node_attributes(const WorkingSet& ws, std::ostream& out) {
  std::ostringstream body;
  for (const auto& n : ws.nodes) {
    if (!n.online) continue;
    const auto attrs = shown_attrs(n);
    if (attrs.empty()) continue;
    body << "  * Node: " << n.uname << ":\n";
    for (const auto& [k, v] : attrs) body << "    * " << pad(k, 32) << "\t: " << pad(v, 10) << "\n";
  }
  if (!body.str().empty()) out << "\nNode Attributes:\n" << body.str();
}

std::string node_uname(const WorkingSet& ws, const NodeState& s) {
  if (s.uname) return *s.uname;
  for (const auto& n : ws.nodes)
    if (n.id == s.id) return n.uname;
  return s.id;
}

int migration_threshold(const WorkingSet& ws, const std::string& lrm_id) {
  std::function<const WsResource*(const WsResource&)> find =
      [&](const WsResource& r) -> const WsResource* {
    if (r.id == lrm_id ||
        (r.kind == RscKind::kPrimitive && !r.history_name.empty() && r.history_name == lrm_id))
      return &r;
    for (const auto& c : r.children)
      if (const auto* f = find(c)) return f;
    return nullptr;
  };
  for (const auto& r : ws.resources)
    if (const auto* f = find(r)) return f->migration_threshold;
  // Anonymous clone instances are recorded by their configured id.
  const std::string base = lrm_id.substr(0, lrm_id.find(':'));
  for (const auto& r : ws.resources) {
    std::function<const WsResource*(const WsResource&)> by_base =
        [&](const WsResource& x) -> const WsResource* {
      if (x.kind == RscKind::kPrimitive && x.base_id == base) return &x;
      for (const auto& c : x.children)
        if (const auto* f = by_base(c)) return f;
      return nullptr;
    };
    if (const auto* f = by_base(r)) return f->migration_threshold;
  }
  return kInfinity;
}

// The configured id of an anonymous clone's primitive that `lrm_id`
// ("BASE" or "BASE:N") names; "" for anything else.
std::string anonymous_base(const WorkingSet& ws, const std::string& lrm_id) {
  std::string base = lrm_id.substr(0, lrm_id.find(':'));
  std::function<bool(const WsResource&, bool)> has = [&](const WsResource& r, bool in_anon) {
    if (r.kind == RscKind::kPrimitive) return in_anon && r.base_id == base;
    const bool anon = in_anon || (r.kind == RscKind::kClone && !r.unique);
    return std::any_of(r.children.begin(), r.children.end(),
                       [&](const WsResource& c) { return has(c, anon); });
  };
  for (const auto& r : ws.resources)
    if (has(r, false)) return base;
  return {};
}

struct FailEntry {
  std::string node;
  std::string rsc;
  int threshold = kInfinity;
  int count = 0;
  std::int64_t last_failure = 0;
};

// The fail count and last failure of history entry `lrm_id` on `node`.
FailEntry fail_entry(const WorkingSet& ws, const WsNode& node, const std::string& lrm_id) {
  FailEntry e{node.uname, lrm_id, migration_threshold(ws, lrm_id), 0, 0};
  // An anonymous clone's instances share their fail counts: every
  // "fail-count-BASE[:N][#op]" counts for each of them.
  const std::string base = anonymous_base(ws, lrm_id);
  const auto names = [&](const std::string& attr, const std::string& prefix) {
    if (base.empty()) return attr == prefix + lrm_id || attr.rfind(prefix + lrm_id + "#", 0) == 0;
    if (attr.rfind(prefix + base, 0) != 0) return false;
    std::string_view rest(attr);
    rest.remove_prefix(prefix.size() + base.size());
    if (!rest.empty() && rest[0] == ':') {
      rest.remove_prefix(1);
      while (!rest.empty() && rest[0] >= '0' && rest[0] <= '9') rest.remove_prefix(1);
    }
    return rest.empty() || rest[0] == '#';
  };
  for (const auto& [k, v] : node.transient) {
    if (names(k, "fail-count-")) e.count = score_add(e.count, parse_score(v).value_or(0));
    if (names(k, "last-failure-")) {
      try {
        e.last_failure = std::max<std::int64_t>(e.last_failure, std::stoll(v));
      } catch (...) {
      }
    }
  }
  return e;
}

std::vector<FailEntry> fail_entries(const WorkingSet& ws) {
  std::vector<FailEntry> out;
  const Cib& cib = cib_of(ws);
  if (!cib.status) return out;
  for (const auto& s : cib.status->nodes) {
    const WsNode* node = ws.find_node(node_uname(ws, s));
    if (node == nullptr || !node->online || !s.lrm) continue;
    for (const auto& lr : s.lrm->resources) {
      FailEntry e = fail_entry(ws, *node, lr.id);
      if (e.count != 0) out.push_back(e);
    }
  }
  return out;
}

void render_fail_counts(const WorkingSet& ws, const MonOptions& o, std::ostream& out) {
  // The heading comes with the first online node (none: no section).
  if (std::none_of(ws.nodes.begin(), ws.nodes.end(), [](const WsNode& n) { return n.online; }))
    return;
  out << "\nMigration Summary:\n";
  std::string last_node;
  for (const auto& e : fail_entries(ws)) {
    if (e.node != last_node) out << "  * Node: " << e.node << ":\n";
    last_node = e.node;
    out << "    * " << e.rsc << ": migration-threshold=" << e.threshold
        << " fail-count=" << e.count;
    if (e.last_failure > 0) out << " last-failure='" << time_text(o, e.last_failure) << "'";
    out << "\n";
  }
}

// crm_mon names code 190 by its constant where crm_simulate says "degraded".
const char* exit_text(std::int64_t rc) { return rc == 190 ? "OCF_DEGRADED" : ocf_exit_text(rc); }

const char* exec_status_text(std::int64_t status) {
  switch (status) {
    case -1:
      return "Pending";
    case 0:
      return "complete";
    case 1:
      return "Cancelled";
    case 2:
      return "Timed Out";
    case 3:
      return "NOT SUPPORTED";
    case 4:
      return "Error";
    case 5:
      return "Hard error";
    case 6:
      return "Fatal error";
    case 7:
      return "Not installed";
    case 8:
      return "Not connected";
    case 9:
      return "Cannot execute now";
    case 10:
      return "No fence device";
    case 11:
      return "No secrets";
    default:
      return "Unknown";
  }
}

// The expected exit code from the transition key "A:B:TARGET_RC:UUID".
std::int64_t target_rc(const LrmRscOp& op) {
  if (!op.transition_key) return 0;
  const std::string k(*op.transition_key);
  const auto a = k.find(':');
  const auto b = a == std::string::npos ? a : k.find(':', a + 1);
  const auto c = b == std::string::npos ? b : k.find(':', b + 1);
  if (c == std::string::npos) return 0;
  try {
    return std::stoll(k.substr(b + 1, c - b - 1));
  } catch (...) {
    return 0;
  }
}

struct FailedAction {
  std::string rsc, task, node, text;
  const LrmRscOp* op = nullptr;
};

// "10ms", "30.160s", "1m30s", "2h", "1d3h" (Pacemaker's readable intervals).
std::string readable_interval(std::int64_t ms) {
  if (ms < 1000) return std::to_string(ms) + "ms";
  constexpr std::int64_t kSecond = 1000, kMinute = 60 * kSecond, kHour = 60 * kMinute,
                         kDay = 24 * kHour;
  std::string out;
  for (const auto& [unit, suffix] : {std::pair{kDay, "d"}, {kHour, "h"}, {kMinute, "m"}}) {
    if (ms > unit) {
      out += std::to_string(ms / unit) + suffix;
      ms %= unit;
    }
  }
  if (ms >= kSecond || ms > 0) {
    out += std::to_string(ms / kSecond);
    if (ms % kSecond != 0) {
      const std::string frac = std::to_string(1000 + ms % kSecond).substr(1);
      out += "." + frac;
    }
    out += "s";
  }
  return out;
}

std::string task_text(const LrmRscOp& op) {
  const std::int64_t interval = op.interval_ms.value_or(0);
  if (op.operation == "monitor" && interval == 0) return "probe";
  if (interval > 0) return readable_interval(interval) + "-interval " + std::string(op.operation);
  return std::string(op.operation);
}

// The resource an operation key "RSC_TASK_INTERVAL" (or the entry's id)
// names; `fallback` when it does not have that shape.
std::string op_rsc(const LrmRscOp& op, const std::string& fallback) {
  const std::string key(op.operation_key.value_or(op.id));
  const std::string suffix = "_" + std::string(op.operation) + "_";
  const auto at = key.rfind(suffix);
  if (at == std::string::npos || at == 0) return fallback;
  return key.substr(0, at);
}

// Pacemaker's failed-action list: every recorded operation that failed, on
// online nodes, in status order then call-id order, one per operation key
// and node. Old CIBs record no operation_key: there, as in Pacemaker, the
// first failure on a node hides the later ones.
std::vector<FailedAction> failed_actions(const WorkingSet& ws, const MonOptions& o) {
  std::vector<FailedAction> out;
  const Cib& cib = cib_of(ws);
  if (!cib.status) return out;
  for (const auto& s : cib.status->nodes) {
    const std::string uname = node_uname(ws, s);
    const WsNode* node = ws.find_node(uname);
    if (!s.lrm || node == nullptr || !node->online) continue;
    std::vector<OptView> seen_keys;
    for (const auto& lr : s.lrm->resources) {
      std::vector<const LrmRscOp*> ops;
      for (const auto& op : lr.ops) ops.push_back(&op);
      std::stable_sort(ops.begin(), ops.end(), [](const LrmRscOp* a, const LrmRscOp* b) {
        return a->call_id.value_or(0) < b->call_id.value_or(0);
      });
      for (const LrmRscOp* op : ops) {
        const std::int64_t status = op->op_status.value_or(0);
        const std::int64_t rc = op->rc_code.value_or(0);
        const std::int64_t interval = op->interval_ms.value_or(0);
        const bool probe = op->operation == "monitor" && interval == 0;
        const std::int64_t want = target_rc(*op);
        if (status == -1 || status == 1) continue;  // pending, cancelled
        if (status == 0 || status == 4) {
          // Done or error: judged by the exit code.
          if (rc == want) continue;
          if (probe && (rc == 0 || rc == 7 || rc == 8)) continue;
          // A probe that finds the agent missing means "not running there".
          if (probe && (rc == 5 || rc == 6)) continue;
          // A recurring operation the agent does not implement is ignored.
          if (rc == 3 && interval > 0) continue;
        } else if (status == 3 && interval > 0) {
          continue;
        }
        if (std::find(seen_keys.begin(), seen_keys.end(), op->operation_key) != seen_keys.end())
          continue;
        seen_keys.push_back(op->operation_key);
        std::string text;
        if (status != 0) {
          text = std::string("could not be executed (") + exec_status_text(status) + ")";
        } else {
          text = std::string("returned '") + exit_text(rc) + "'";
          if (op->exit_reason && !op->exit_reason->empty()) text += " (" + std::string(*op->exit_reason) + ")";
        }
        if (op->last_rc_change) text += " at " + time_text(o, *op->last_rc_change);
        if (status == 0 && op->exec_time_ms && *op->exec_time_ms > 0)
          text += " after " + readable_interval(*op->exec_time_ms);
        out.push_back(FailedAction{op_rsc(*op, lr.id), task_text(*op), uname, text, op});
      }
    }
  }
  return out;
}

struct Negative {
  std::string id, rsc, node, role;
};

std::vector<Negative> negative_locations(const WorkingSet& ws) {
  std::vector<Negative> out;
  // Pacemaker lists the newest constraint first.
  const auto& constraints = cib_of(ws).configuration.constraints;
  for (auto c = constraints.rbegin(); c != constraints.rend(); ++c) {
    const auto* loc = std::get_if<Location>(&*c);
    if (loc == nullptr || !loc->rsc) continue;
    if (loc->node) {
      const auto score = loc->score ? parse_score(*loc->score) : std::nullopt;
      if (score && *score < 0)
        out.push_back(Negative{loc->id, *loc->rsc, *loc->node, loc->role.value_or("")});
      continue;
    }
    // Rules: each rule is its own constraint, named by the rule's id, over
    // the nodes it matches, in configuration order (Pacemaker's order comes
    // from a hash table and differs on some inputs).
    const auto& config_nodes = cib_of(ws).configuration.nodes;
    for (const auto& rule : loc->rules) {
      for (auto it = config_nodes.begin(); it != config_nodes.end(); ++it) {
        const WsNode* n = ws.find_node(it->uname);
        if (n == nullptr) continue;
        int score = 0;
        if (rule_matches(rule, node_rule_attrs(ws, *n), &score) && score < 0)
          out.push_back(Negative{rule.id.value_or(loc->id), *loc->rsc, n->uname,
                                 rule.role.value_or(loc->role.value_or(""))});
      }
    }
  }
  return out;
}

// The operation history (-o): per online node, per resource history entry
// (anonymous clone instances by their configured id) the completed
// operations in call order, leaving out notifications and probes that found
// the resource stopped; entries with nothing to show are left out.
void render_operations(const WorkingSet& ws, const MonOptions& o, std::ostream& out) {
  const Cib& cib = cib_of(ws);
  if (std::none_of(ws.nodes.begin(), ws.nodes.end(), [](const WsNode& n) { return n.online; }))
    return;
  out << "\nOperations:\n";
  if (!cib.status) return;
  for (const auto& s : cib.status->nodes) {
    const WsNode* node = ws.find_node(node_uname(ws, s));
    if (node == nullptr || !node->online || !s.lrm) continue;
    bool heading = false;
    for (const auto& lr : s.lrm->resources) {
      std::vector<const LrmRscOp*> ops;
      for (const auto& op : lr.ops) {
        const bool probe = op.operation == "monitor" && op.interval_ms.value_or(0) == 0;
        if (op.operation == "notify") continue;
        if (probe && op.rc_code.value_or(0) == 7) continue;
        ops.push_back(&op);
      }
      if (ops.empty()) continue;
      // Call order; operations still in flight (call id -1) last.
      const auto order = [](const LrmRscOp* x) {
        const std::int64_t id = x->call_id.value_or(0);
        return id < 0 ? INT64_MAX : id;
      };
      std::stable_sort(ops.begin(), ops.end(),
                       [&](const LrmRscOp* a, const LrmRscOp* b) { return order(a) < order(b); });
      if (!heading) out << "  * Node: " << node->uname << ":\n";
      heading = true;
      const FailEntry e = fail_entry(ws, *node, lr.id);
      const std::string base = anonymous_base(ws, lr.id);
      out << "    * " << (base.empty() ? lr.id : base) << ": migration-threshold=" << e.threshold;
      if (e.count != 0) {
        out << " fail-count=" << e.count;
        if (e.last_failure > 0) out << " last-failure='" << time_text(o, e.last_failure) << "'";
      }
      out << ":\n";
      for (const LrmRscOp* op : ops) {
        const std::int64_t interval = op->interval_ms.value_or(0);
        out << "      * (" << op->call_id.value_or(0) << ") "
            << (op->operation == "monitor" && interval == 0 ? "probe" : op->operation);
        if (interval > 0) out << ": interval=\"" << interval << "ms\"";
        out << "\n";
      }
    }
  }
}

}  // namespace

std::string format_time_utc(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  if (::gmtime_r(&t, &tm) == nullptr) return std::to_string(unix_s);
  char buf[64];
  if (std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm) == 0)
    return std::to_string(unix_s);
  return buf;
}

std::string render_mon_text(const WorkingSet& ws, const MonOptions& o) {
  std::ostringstream out;
  render_summary(ws, o, out);
  out << "\n";
  StatusOptions so;
  so.level = 0;
  so.show_inactive = o.inactive;
  if (o.group_by_node) {
    render_by_node(ws, o, out);
  } else {
    // Without nodes there is no node section at all.
    if (!ws.nodes.empty()) out << render_node_list(ws, so) << "\n";
    out << render_resource_list(ws, so);
  }
  if (o.node_attributes) render_node_attributes(ws, out);
  // With -o the fail counts are part of the operation history.
  if (o.fail_counts && !o.operations) render_fail_counts(ws, o, out);
  if (o.operations) render_operations(ws, o, out);
  const auto failed = failed_actions(ws, o);
  if (!failed.empty()) {
    out << "\nFailed Resource Actions:\n";
    for (const auto& f : failed)
      out << "  * " << f.rsc << " " << f.task << " on " << f.node << " " << f.text << "\n";
  }
  if (o.negative_locations) {
    const auto neg = negative_locations(ws);
    if (!neg.empty()) {
      out << "\nNegative Location Constraints:\n";
      for (const auto& n : neg) {
        out << "  * " << n.id << "\tprevents " << n.rsc << " from running";
        const auto role = parse_role(n.role);
        if (role && *role != Role::kStarted && *role != Role::kUnknown)
          out << " in " << role_text(*role) << " role";
        out << " on " << n.node << "\n";
      }
    }
  }
  return out.str();
}

std::string render_mon_json(const WorkingSet& ws, const MonOptions& o) {
  Json j;
  const std::string* stack = property(ws, "cluster-infrastructure");
  const std::string dc = dc_name(ws);
  j["summary"] = {{"stack", stack != nullptr ? *stack : "unknown"},
                  {"current_dc", dc.empty() ? Json(nullptr) : Json(dc)},
                  {"have_quorum", ws.options.have_quorum},
                  {"last_updated", o.last_updated},
                  {"last_change", last_change(ws)},
                  {"nodes_configured", ws.nodes.size()},
                  {"resource_instances_configured", ws.instances},
                  {"disabled_instances", ws.disabled_instances},
                  {"blocked_instances", ws.blocked_instances},
                  {"maintenance_mode", ws.options.maintenance_mode}};
  const Json status = Json::parse(render_status_json(ws));
  Json nodes = Json::array();
  for (const auto& n : ws.nodes) {
    Json node = {{"name", n.uname},     {"id", n.id},           {"state", node_state(ws, n)},
                 {"online", n.online},  {"standby", n.standby}, {"maintenance", n.maintenance},
                 {"unclean", n.unclean}};
    Json attrs = Json::object();
    for (const auto& [k, v] : shown_attrs(n)) attrs[k] = v;
    node["attributes"] = attrs;
    nodes.push_back(node);
  }
  j["nodes"] = nodes;
  j["resources"] = status["resources"];
  Json fails = Json::array();
  for (const auto& e : fail_entries(ws)) {
    fails.push_back({{"node", e.node},
                     {"resource", e.rsc},
                     {"migration_threshold", e.threshold},
                     {"fail_count", e.count},
                     {"last_failure", e.last_failure > 0 ? Json(e.last_failure) : Json(nullptr)}});
  }
  j["fail_counts"] = fails;
  Json failed = Json::array();
  for (const auto& f : failed_actions(ws, o)) {
    failed.push_back({{"resource", f.rsc},
                      {"task", f.op->operation},
                      {"interval_ms", f.op->interval_ms.value_or(0)},
                      {"node", f.node},
                      {"rc", f.op->rc_code.value_or(0)},
                      {"op_status", f.op->op_status.value_or(0)},
                      {"exit_reason", f.op->exit_reason.value_or("")},
                      {"text", f.text}});
  }
  j["failed_actions"] = failed;
  Json neg = Json::array();
  for (const auto& n : negative_locations(ws))
    neg.push_back({{"id", n.id}, {"resource", n.rsc}, {"node", n.node}});
  j["negative_locations"] = neg;
  // CIB strings need not be UTF-8: invalid bytes become U+FFFD.
  return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n";
}

}  // namespace quorate::crm::sched
