// The cluster status in Pacemaker 2.1.5's text layout (crm_simulate's
// "Current cluster status:" / "Revised Cluster Status:") and as JSON.
//
// The rules follow Pacemaker's output code: a resource's role is the highest
// role its history left on any node; it "runs" where that role is active;
// FAILED, blocked and "failure ignored" come from the history; an anonymous
// clone instance is summarized in the Promoted/Unpromoted/Started lists only
// when it is fully active on one clean node, without failure, orphan,
// unmanaged or pending state; and the clone's Stopped list shows every node
// not running an instance, unless the summarized instances reach clone-max.
#include "crm/sched_status.h"

#include <algorithm>
#include <sstream>

namespace quorate::crm::sched {

namespace {

std::string indent(int level) { return std::string(static_cast<std::size_t>(level) * 2, ' '); }

bool is_active_role(Role r) {
  return r == Role::kStarted || r == Role::kUnpromoted || r == Role::kPromoted;
}

std::string join_nodes(std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end(),
            [](const std::string& a, const std::string& b) { return node_name_less(a, b); });
  std::string out = "[";
  for (const auto& n : nodes) out += " " + n;
  return out + " ]";
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

void collect_prims(const WsResource& r, std::vector<const WsResource*>& out) {
  if (r.kind == RscKind::kPrimitive) {
    out.push_back(&r);
    return;
  }
  for (const auto& c : r.children) collect_prims(c, out);
}

// Nodes where a primitive runs, in history order.
std::vector<std::string> running(const WsResource& p) {
  std::vector<std::string> out;
  for (const auto& h : p.history)
    if (is_active_role(h.role) && !contains(out, h.node)) out.push_back(h.node);
  return out;
}

bool blocked(const WsResource& p) {
  return std::any_of(p.history.begin(), p.history.end(),
                     [](const NodeRscState& h) { return h.blocked; });
}

bool managed(const WsResource& p) { return p.managed && !blocked(p); }

bool failed(const WsResource& p) {
  return std::any_of(p.history.begin(), p.history.end(),
                     [](const NodeRscState& h) { return h.failed; });
}

bool ignored(const WsResource& p) {
  return std::any_of(p.history.begin(), p.history.end(),
                     [](const NodeRscState& h) { return h.failure_ignored; });
}

// The highest role the history left on any node (at least Stopped).
Role role_of(const WsResource& r) {
  Role best = Role::kStopped;
  if (r.kind != RscKind::kPrimitive) {
    for (const auto& c : r.children) {
      const Role cr = role_of(c);
      if (static_cast<int>(cr) > static_cast<int>(best)) best = cr;
    }
    return best;
  }
  for (const auto& h : r.history)
    if (static_cast<int>(h.role) > static_cast<int>(best)) best = h.role;
  return best;
}

// The first in-flight operation met in the history, and where. An entry
// whose history still ends in flight but whose pending task was cleared has
// been completed by a simulation: its operation is no longer pending.
const NodeRscState* pending_entry(const WsResource& p) {
  for (const auto& h : p.history) {
    if (h.first_pending.empty()) continue;
    if (!h.ops.empty() && h.ops.back().op_status == -1 && h.pending_task.empty()) continue;
    return &h;
  }
  return nullptr;
}

struct Ctx {
  const WorkingSet& ws;
  const StatusOptions& opts;
  std::ostream& out;

  const WsNode* node(const std::string& uname) const { return ws.find_node(uname); }
  bool online(const std::string& uname) const {
    const WsNode* n = node(uname);
    return n != nullptr && n->online;
  }
  bool unclean(const std::string& uname) const {
    const WsNode* n = node(uname);
    return n != nullptr && n->unclean;
  }

  // Pacemaker's "active": running on an unclean node, an online node, or an
  // offline node while unmanaged. all: every member (groups, clones).
  bool active(const WsResource& r, bool all) const {
    if (r.kind == RscKind::kPrimitive) {
      for (const auto& n : running(r)) {
        if (unclean(n) || online(n) || !managed(r)) return true;
      }
      return false;
    }
    for (const auto& c : r.children) {
      const bool a = active(c, all);
      if (!all && a) return true;
      if (all && !a) return false;
    }
    return all;
  }

  // Where a resource counts as running: a primitive's nodes; a group's or
  // clone's nodes of their primitives, except an unmanaged primitive's on a
  // node that is offline.
  std::vector<std::string> running_on(const WsResource& r) const {
    if (r.kind == RscKind::kPrimitive) return running(r);
    std::vector<const WsResource*> prims;
    collect_prims(r, prims);
    std::vector<std::string> nodes;
    for (const auto* p : prims)
      for (const auto& n : running(*p))
        if ((managed(*p) || online(n)) && !contains(nodes, n)) nodes.push_back(n);
    return nodes;
  }

  bool node_runs_something(const std::string& uname) const {
    std::vector<const WsResource*> prims;
    for (const auto& r : ws.resources) collect_prims(r, prims);
    return std::any_of(prims.begin(), prims.end(),
                       [&](const WsResource* p) { return contains(running(*p), uname); });
  }
};

std::string heading(int level, const char* text) {
  return level > 0 ? indent(level) + "* " + text + "\n" : std::string(text) + "\n";
}

void render_nodes(const Ctx& ctx) {
  ctx.out << heading(ctx.opts.level, "Node List:");
  const std::string item = indent(ctx.opts.level + 1) + "* ";
  std::vector<std::string> online;
  std::vector<std::string> offline;
  for (const auto& n : ctx.ws.nodes) {
    std::string state;
    if (n.unclean) {
      state = n.online ? "UNCLEAN (online)" : n.pending ? "UNCLEAN (pending)" : "UNCLEAN (offline)";
    } else if (n.pending) {
      state = "pending";
    } else if (n.standby_onfail && n.online) {
      state = "standby (on-fail)";
    } else if (n.standby) {
      if (n.online) {
        state = ctx.node_runs_something(n.uname) ? "standby (with active resources)" : "standby";
      } else {
        state = "OFFLINE (standby)";
      }
    } else if (n.maintenance) {
      state = n.online ? "maintenance" : "OFFLINE (maintenance)";
    } else if (n.online) {
      online.push_back(n.uname);
      continue;
    } else {
      offline.push_back(n.uname);
      continue;
    }
    ctx.out << item << "Node " << n.uname << ": " << state << "\n";
  }
  if (!online.empty()) ctx.out << item << "Online: " << join_nodes(online) << "\n";
  if (!offline.empty()) ctx.out << item << "OFFLINE: " << join_nodes(offline) << "\n";
}

const char* pending_state(const std::string& task) {
  if (task == "start") return "Starting";
  if (task == "stop") return "Stopping";
  if (task == "migrate_to" || task == "migrate_from") return "Migrating";
  if (task == "promote") return "Promoting";
  if (task == "demote") return "Demoting";
  return nullptr;
}

bool disabled(const WsResource& r) { return r.target_role && *r.target_role == Role::kStopped; }

void add_flag(std::string& line, bool& have, const std::string& flag) {
  line += have ? ", " : " (";
  line += flag;
  have = true;
}

// One primitive line. `name` is the id to show (anonymous clone instances
// show the configured id); `promotable` whether its top resource is a
// promotable clone.
void render_primitive(const Ctx& ctx, const WsResource& r, const std::string& name, int level,
                      bool promotable) {
  const auto nodes = running(r);
  const NodeRscState* pend = pending_entry(r);
  std::string node;
  if (nodes.size() == 1) {
    node = nodes.front();
  } else if (nodes.empty() && pend != nullptr) {
    node = pend->node;
  }
  Role role = role_of(r);
  if (role == Role::kStarted && promotable) role = Role::kUnpromoted;

  std::string line = indent(level) + "* " + name + "\t(" + r.agent + "):\t";
  if (r.orphan) line += " ORPHANED";
  if (failed(r)) {
    line += " FAILED";
    if (role == Role::kPromoted) line += " Promoted";
  } else {
    const char* ps =
        ctx.opts.show_pending && pend != nullptr ? pending_state(pend->first_pending) : nullptr;
    line += " ";
    line += ps != nullptr ? ps : role_text(role);
  }
  if (!node.empty() && !ctx.opts.hide_node) line += " " + node;
  if (role == Role::kStopped) {
    for (const auto& h : r.history) {
      if (h.failed_probe_rc == 0 || (!node.empty() && h.node != node)) continue;
      line += " (" + std::string(ocf_exit_text(h.failed_probe_rc)) + ") ";
      break;
    }
  }
  bool have = false;
  if (!node.empty() && !ctx.online(node) && ctx.unclean(node) && !ctx.opts.hide_node)
    add_flag(line, have, "UNCLEAN");
  if (ctx.opts.show_pending && pend != nullptr && pend->first_pending == "monitor")
    add_flag(line, have, "Monitoring");
  if (disabled(r)) {
    add_flag(line, have, "disabled");
  } else if (promotable && r.target_role && *r.target_role == Role::kUnpromoted) {
    add_flag(line, have, "target-role:" + r.meta.at("target-role"));
  }
  if (blocked(r)) {
    add_flag(line, have, "blocked");
  } else if (!r.managed) {
    add_flag(line, have, "unmanaged");
  }
  if (ignored(r)) add_flag(line, have, "failure ignored");
  if (have) line += ")";
  if (nodes.size() > 1 && !ctx.opts.hide_node) {
    line += " [";
    for (const auto& n : nodes) line += " " + n;
    line += " ]";
  }
  ctx.out << line << "\n";
}

void render_group(const Ctx& ctx, const WsResource& g, const std::string& name, int level,
                  bool anonymous, bool promotable) {
  std::string head = indent(level) + "* Resource Group: " + name;
  bool have = false;
  int inactive = 0;
  if (!ctx.opts.show_inactive) {
    for (const auto& m : g.children) inactive += ctx.active(m, false) ? 0 : 1;
    if (inactive > 0)
      add_flag(head, have,
               std::to_string(inactive) + (inactive == 1 ? " member" : " members") + " inactive");
  }
  if (disabled(g)) add_flag(head, have, "disabled");
  if (!g.managed) add_flag(head, have, "unmanaged");
  if (have) head += ")";
  ctx.out << head << ":\n";
  for (const auto& m : g.children) {
    if (!ctx.opts.show_inactive && !ctx.active(m, false)) continue;
    render_primitive(ctx, m, anonymous ? m.base_id : m.id, level + 1, promotable);
  }
}

bool any_prim(const WsResource& r, bool (*pred)(const WsResource&)) {
  std::vector<const WsResource*> prims;
  collect_prims(r, prims);
  return std::any_of(prims.begin(), prims.end(), [&](const WsResource* p) { return pred(*p); });
}

void render_clone(const Ctx& ctx, const WsResource& c, int level) {
  std::string head = indent(level) + "* Clone Set: " + c.id + " [" + c.child_base_id + "]";
  bool have = false;
  if (c.promotable) add_flag(head, have, "promotable");
  if (c.unique) add_flag(head, have, "unique");
  if (!c.managed) add_flag(head, have, "unmanaged");
  if (disabled(c)) add_flag(head, have, "disabled");
  if (have) head += ")";
  ctx.out << head << ":\n";

  auto render_instance = [&](const WsResource& inst) {
    if (inst.kind == RscKind::kGroup) {
      render_group(ctx, inst, inst.id, level + 1, !c.unique, c.promotable);
    } else {
      render_primitive(ctx, inst, c.unique ? inst.id : inst.base_id, level + 1, c.promotable);
    }
  };
  std::vector<std::string> promoted;
  std::vector<std::string> started;
  for (const auto& inst : c.children) {
    const bool partially = ctx.active(inst, false);
    if (c.unique) {
      if (partially || !c.orphan) render_instance(inst);
      continue;
    }
    bool pending = false;
    if (ctx.opts.show_pending) {
      std::vector<const WsResource*> prims;
      collect_prims(inst, prims);
      pending = std::any_of(prims.begin(), prims.end(),
                            [](const WsResource* p) { return pending_entry(*p) != nullptr; });
    }
    if (pending) {
      render_instance(inst);
    } else if (!partially) {
      continue;  // listed as Stopped below
    } else if (any_prim(inst, [](const WsResource& p) { return p.orphan; }) ||
               any_prim(inst, [](const WsResource& p) { return !managed(p); }) ||
               any_prim(inst, [](const WsResource& p) { return failed(p); })) {
      render_instance(inst);
    } else if (ctx.active(inst, true)) {
      std::vector<const WsResource*> prims;
      collect_prims(inst, prims);
      std::vector<std::string> where;
      for (const auto* p : prims)
        for (const auto& n : running(*p))
          if (!contains(where, n)) where.push_back(n);
      if (where.size() != 1 || (!ctx.online(where.front()) && ctx.unclean(where.front()))) {
        render_instance(inst);
      } else if (role_of(inst) == Role::kPromoted) {
        promoted.push_back(where.front());
      } else {
        started.push_back(where.front());
      }
    } else {
      render_instance(inst);
    }
  }
  if (c.unique) return;
  const std::string sub = indent(level + 1) + "* ";
  if (!promoted.empty()) ctx.out << sub << "Promoted: " << join_nodes(promoted) << "\n";
  if (!started.empty()) {
    if (!c.promotable) {
      ctx.out << sub << "Started: ";
    } else if (c.target_role && *c.target_role == Role::kUnpromoted) {
      ctx.out << sub << "Unpromoted (target-role): ";
    } else {
      ctx.out << sub << "Unpromoted: ";
    }
    ctx.out << join_nodes(started) << "\n";
  }
  const int summarized = static_cast<int>(promoted.size() + started.size());
  if (c.clone_max <= summarized || !ctx.opts.show_inactive) return;
  const auto on = ctx.running_on(c);
  std::vector<std::string> stopped;
  for (const auto& n : ctx.ws.nodes)
    if (!contains(on, n.uname)) stopped.push_back(n.uname);
  if (!stopped.empty()) {
    // Disabled: the clone's target-role, or without one its first
    // instance's (a target-role=Stopped on the cloned resource).
    const bool off = c.target_role ? disabled(c) : !c.children.empty() && disabled(c.children.front());
    ctx.out << sub << (off ? "Stopped (disabled): " : "Stopped: ") << join_nodes(stopped) << "\n";
  }
}

void render_any(const Ctx& ctx, const WsResource& r, int level) {
  switch (r.kind) {
    case RscKind::kPrimitive:
      render_primitive(ctx, r, r.id, level, false);
      break;
    case RscKind::kGroup:
      render_group(ctx, r, r.id, level, false, false);
      break;
    case RscKind::kClone:
      render_clone(ctx, r, level);
      break;
  }
}

// Length of the valid UTF-8 sequence starting at s[i], 0 if there is none.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  unsigned min = 0;
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  unsigned cp = c & (0x7Fu >> n);
  for (std::size_t k = 1; k < n; ++k) {
    const auto cc = static_cast<unsigned char>(s[i + k]);
    if ((cc & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (cc & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// A JSON string literal; bytes that are not UTF-8 become U+FFFD.
std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char ch = s[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80) {
      const std::size_t n = utf8_length(s, i);
      if (n == 0) {
        out += "\\ufffd";
      } else {
        out.append(s.substr(i, n));
        i += n - 1;
      }
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      static const char* kHex = "0123456789abcdef";
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

void json_resource(const WsResource& r, std::ostream& out) {
  const char* kind = r.kind == RscKind::kPrimitive ? "primitive"
                     : r.kind == RscKind::kGroup   ? "group"
                                                   : "clone";
  out << "{\"id\":" << json_str(r.id) << ",\"kind\":\"" << kind << "\"";
  if (r.kind == RscKind::kPrimitive) {
    out << ",\"agent\":" << json_str(r.agent) << ",\"role\":\"" << role_text(r.current_role())
        << "\",\"failed\":" << (r.failed() ? "true" : "false")
        << ",\"orphan\":" << (r.orphan ? "true" : "false") << ",\"nodes\":[";
    const auto nodes = r.active_nodes();
    for (std::size_t i = 0; i < nodes.size(); ++i) out << (i ? "," : "") << json_str(nodes[i]);
    out << "]";
  }
  out << ",\"managed\":" << (r.managed ? "true" : "false");
  if (r.target_role) out << ",\"target_role\":\"" << role_text(*r.target_role) << "\"";
  if (r.kind == RscKind::kClone) {
    out << ",\"promotable\":" << (r.promotable ? "true" : "false")
        << ",\"unique\":" << (r.unique ? "true" : "false");
  }
  if (!r.children.empty()) {
    out << ",\"children\":[";
    for (std::size_t i = 0; i < r.children.size(); ++i) {
      if (i) out << ",";
      json_resource(r.children[i], out);
    }
    out << "]";
  }
  out << "}";
}

}  // namespace

std::string render_status_preamble(const WorkingSet& ws) {
  std::ostringstream out;
  if (!ws.execution_date.empty())
    out << "Using the original execution date of: " << ws.execution_date << "\n";
  if (ws.disabled_instances > 0 || ws.blocked_instances > 0) {
    out << ws.disabled_instances << " of " << ws.instances << " resource instances DISABLED and "
        << ws.blocked_instances << " BLOCKED from further action due to failure\n";
  }
  return out.str();
}

std::string render_status_text(const WorkingSet& ws) { return render_status_text(ws, {}); }

std::string render_node_list(const WorkingSet& ws, const StatusOptions& options) {
  std::ostringstream out;
  const Ctx ctx{ws, options, out};
  render_nodes(ctx);
  return out.str();
}

std::string render_resource_list(const WorkingSet& ws, const StatusOptions& options) {
  std::ostringstream body;
  const Ctx ctx{ws, options, body};
  for (const auto& r : ws.resources) {
    const bool partially = ctx.active(r, false);
    // Inactive orphans, and resources active only where they do not count
    // as running (unmanaged on an offline node), are not shown.
    if (r.orphan && !ctx.active(r, true)) continue;
    if (partially && ctx.running_on(r).empty()) continue;
    if (!options.show_inactive && !partially) continue;
    render_any(ctx, r, options.level + 1);
  }
  std::string out = heading(
      options.level, options.show_inactive ? "Full List of Resources:" : "Active Resources:");
  if (body.str().empty()) {
    out += indent(options.level + 1) + "* " +
           (options.show_inactive ? "No resources" : "No active resources") + "\n";
  }
  return out + body.str();
}

std::string render_resource(const WorkingSet& ws, const WsResource& r, int level,
                            const StatusOptions& options) {
  std::ostringstream out;
  const Ctx ctx{ws, options, out};
  render_any(ctx, r, level);
  return out.str();
}

std::string render_primitive_line(const WorkingSet& ws, const WsResource& primitive,
                                  const std::string& name, int level, bool promotable,
                                  const StatusOptions& options) {
  std::ostringstream out;
  const Ctx ctx{ws, options, out};
  render_primitive(ctx, primitive, name, level, promotable);
  return out.str();
}

std::string render_status_text(const WorkingSet& ws, const StatusOptions& options) {
  return render_node_list(ws, options) + "\n" + render_resource_list(ws, options);
}

std::string render_status_json(const WorkingSet& ws) {
  std::ostringstream out;
  out << "{\"have_quorum\":" << (ws.options.have_quorum ? "true" : "false") << ",\"nodes\":[";
  for (std::size_t i = 0; i < ws.nodes.size(); ++i) {
    const auto& n = ws.nodes[i];
    out << (i ? "," : "") << "{\"name\":" << json_str(n.uname) << ",\"id\":" << json_str(n.id)
        << ",\"online\":" << (n.online ? "true" : "false")
        << ",\"standby\":" << (n.standby ? "true" : "false")
        << ",\"unclean\":" << (n.unclean ? "true" : "false")
        << ",\"pending\":" << (n.pending ? "true" : "false")
        << ",\"shutdown\":" << (n.shutdown ? "true" : "false") << "}";
  }
  out << "],\"resources\":[";
  for (std::size_t i = 0; i < ws.resources.size(); ++i) {
    if (i) out << ",";
    json_resource(ws.resources[i], out);
  }
  out << "]}\n";
  return out.str();
}

const char* ocf_exit_text(std::int64_t rc) {
  switch (rc) {
    case 0:
      return "ok";
    case 1:
      return "error";
    case 2:
      return "invalid parameter";
    case 3:
      return "unimplemented feature";
    case 4:
      return "insufficient privileges";
    case 5:
      return "not installed";
    case 6:
      return "not configured";
    case 7:
      return "not running";
    case 8:
      return "promoted";
    case 9:
      return "promoted (failed)";
    case 190:
      return "degraded";
    case 191:
      return "promoted (degraded)";
    default:
      return "unknown";
  }
}

}  // namespace quorate::crm::sched
