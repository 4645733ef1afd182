// The cluster status in Pacemaker 2.1.5's text layout (crm_simulate's
// "Current cluster status:" / "Revised Cluster Status:") and as JSON.
#include "crm/sched_status.h"

#include <algorithm>
#include <sstream>

namespace quorate::crm::sched {

namespace {

std::string indent(int level) { return std::string(static_cast<std::size_t>(level) * 2, ' '); }

std::string join_nodes(std::vector<std::string> nodes) {
  std::sort(nodes.begin(), nodes.end(),
            [](const std::string& a, const std::string& b) { return node_name_less(a, b); });
  std::string out = "[";
  for (const auto& n : nodes) out += " " + n;
  return out + " ]";
}

bool node_has_active(const WorkingSet& ws, const std::string& uname);

bool rsc_active_on(const WsResource& r, const std::string& uname) {
  const auto nodes = r.active_nodes();
  return std::find(nodes.begin(), nodes.end(), uname) != nodes.end();
}

bool node_has_active(const WorkingSet& ws, const std::string& uname) {
  for (const auto& r : ws.resources)
    if (rsc_active_on(r, uname)) return true;
  return false;
}

void render_nodes(const WorkingSet& ws, std::ostream& out) {
  out << "  * Node List:\n";
  std::vector<std::string> online;
  std::vector<std::string> offline;
  for (const auto& n : ws.nodes) {
    std::string state;
    if (n.unclean) {
      state = n.online ? "UNCLEAN (online)" : "UNCLEAN (offline)";
    } else if (n.pending) {
      state = "pending";
    } else if (n.standby) {
      if (n.online) {
        state = node_has_active(ws, n.uname) ? "standby (with active resources)" : "standby";
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
    out << "    * Node " << n.uname << ": " << state << "\n";
  }
  if (!online.empty()) out << "    * Online: " << join_nodes(online) << "\n";
  if (!offline.empty()) out << "    * OFFLINE: " << join_nodes(offline) << "\n";
}

struct PrintCtx {
  const WorkingSet& ws;
  std::ostream& out;
};

std::string pending_state(const std::string& task) {
  if (task == "start") return "Starting";
  if (task == "stop") return "Stopping";
  if (task == "promote") return "Promoting";
  if (task == "demote") return "Demoting";
  if (task == "migrate_to" || task == "migrate_from") return "Migrating";
  return "";
}

bool disabled(const WsResource& r) { return r.target_role && *r.target_role == Role::kStopped; }

// One primitive line. `name` is the id to show (anonymous clone instances
// show the configured id).
void render_primitive(const PrintCtx& ctx, const WsResource& r, const std::string& name, int level,
                      bool in_promotable) {
  std::string line = indent(level) + "* " + name + "\t(" + r.agent + "):\t ";
  std::vector<std::string> nodes;
  Role role = Role::kStopped;
  bool failed = false;
  std::string pending;
  bool monitoring = false;
  bool ignored = false;
  bool blocked = false;
  bool not_installed = false;
  for (const auto& h : r.history) {
    ignored = ignored || h.failure_ignored;
    not_installed = not_installed || h.not_installed;
    const bool act = h.failed || !h.pending_task.empty() || h.role == Role::kStarted ||
                     h.role == Role::kUnpromoted || h.role == Role::kPromoted;
    if (!act) continue;
    nodes.push_back(h.node);
    Role hr = h.role == Role::kUnknown || h.role == Role::kStopped ? Role::kStarted : h.role;
    if (static_cast<int>(hr) > static_cast<int>(role)) role = hr;
    failed = failed || h.failed;
    blocked = blocked || (h.failed && h.blocked);
    if (!h.pending_task.empty()) {
      if (h.pending_recurring || h.pending_task == "monitor") {
        monitoring = monitoring || h.pending_recurring;
      } else {
        pending = h.pending_task;
      }
    }
  }
  std::string state;
  if (r.orphan) state = "ORPHANED ";
  if (failed) {
    state += "FAILED";
    if (role == Role::kPromoted) state += " Promoted";
  } else if (nodes.empty()) {
    state += "Stopped";
  } else if (!pending.empty() && !pending_state(pending).empty()) {
    state += pending_state(pending);
  } else {
    state += role_text(in_promotable && role == Role::kStarted ? Role::kUnpromoted : role);
  }
  line += state;
  if (nodes.size() == 1) line += " " + nodes.front();
  std::vector<std::string> flags;
  if (nodes.empty() && not_installed) flags.emplace_back("not installed");
  if (nodes.size() == 1) {
    const WsNode* n = ctx.ws.find_node(nodes.front());
    if (n != nullptr && !n->online && n->unclean) flags.emplace_back("UNCLEAN");
  }
  if (monitoring) flags.emplace_back("Monitoring");
  if (disabled(r)) flags.emplace_back("disabled");
  if (blocked) {
    flags.emplace_back("blocked");
  } else if (!r.managed) {
    flags.emplace_back("unmanaged");
  }
  if (ignored) flags.emplace_back("failure ignored");
  if (!flags.empty()) {
    line += " (";
    for (std::size_t i = 0; i < flags.size(); ++i) line += (i ? ", " : "") + flags[i];
    line += ")";
  }
  if (nodes.size() > 1) {
    // Multi-active: the nodes in history order, after the flags.
    line += " [";
    for (const auto& n : nodes) line += " " + n;
    line += " ]";
  }
  ctx.out << line << "\n";
}

void render_resource(const PrintCtx& ctx, const WsResource& r, int level, bool anonymous,
                     bool in_promotable);

void render_group(const PrintCtx& ctx, const WsResource& g, const std::string& name, int level,
                  bool anonymous, bool in_promotable) {
  std::string head = indent(level) + "* Resource Group: " + name;
  std::vector<std::string> flags;
  if (!g.managed) flags.emplace_back("unmanaged");
  if (disabled(g)) flags.emplace_back("disabled");
  if (!flags.empty()) {
    head += " (";
    for (std::size_t i = 0; i < flags.size(); ++i) head += (i ? ", " : "") + flags[i];
    head += ")";
  }
  ctx.out << head << ":\n";
  for (const auto& m : g.children) render_resource(ctx, m, level + 1, anonymous, in_promotable);
}

// Whether an anonymous clone instance can be summarized in a node list:
// active on exactly one node, fully, without failures or pending actions.
bool summarizable(const WsResource& inst, const WorkingSet& ws, std::string* node) {
  std::vector<const WsResource*> prims;
  if (inst.kind == RscKind::kPrimitive) {
    prims.push_back(&inst);
  } else {
    for (const auto& c : inst.children) prims.push_back(&c);
  }
  std::string where;
  for (const auto* p : prims) {
    if (p->orphan || !p->managed) return false;
    int active = 0;
    for (const auto& h : p->history) {
      const bool act = h.failed || !h.pending_task.empty() || h.role == Role::kStarted ||
                       h.role == Role::kUnpromoted || h.role == Role::kPromoted;
      if (!act) continue;
      if (h.failed) return false;
      if (!h.pending_task.empty() && !h.pending_recurring && h.pending_task != "monitor")
        return false;
      ++active;
      if (where.empty()) where = h.node;
      if (where != h.node) return false;
    }
    if (active != 1) return false;
  }
  const WsNode* n = ws.find_node(where);
  if (n != nullptr && !n->online && n->unclean) return false;
  *node = where;
  return true;
}

void render_clone(const PrintCtx& ctx, const WsResource& c, int level) {
  std::string head = indent(level) + "* Clone Set: " + c.id + " [" + c.child_base_id + "]";
  std::vector<std::string> flags;
  if (c.promotable) flags.emplace_back("promotable");
  if (c.unique) flags.emplace_back("unique");
  if (!c.managed) flags.emplace_back("unmanaged");
  if (disabled(c)) flags.emplace_back("disabled");
  if (!flags.empty()) {
    head += " (";
    for (std::size_t i = 0; i < flags.size(); ++i) head += (i ? ", " : "") + flags[i];
    head += ")";
  }
  ctx.out << head << ":\n";
  if (c.unique) {
    for (const auto& inst : c.children) {
      if (inst.kind == RscKind::kGroup) {
        render_group(ctx, inst, inst.id, level + 1, false, c.promotable);
      } else {
        render_primitive(ctx, inst, inst.id, level + 1, c.promotable);
      }
    }
    return;
  }
  std::vector<std::string> promoted;
  std::vector<std::string> unpromoted;
  std::vector<std::string> started;
  std::vector<std::string> running;
  for (const auto& inst : c.children) {
    const auto act = inst.active_nodes();
    running.insert(running.end(), act.begin(), act.end());
    if (act.empty()) continue;
    std::string node;
    if (summarizable(inst, ctx.ws, &node)) {
      const Role role = inst.current_role();
      if (role == Role::kPromoted) {
        promoted.push_back(node);
      } else if (role == Role::kUnpromoted || c.promotable) {
        unpromoted.push_back(node);
      } else {
        started.push_back(node);
      }
      continue;
    }
    if (inst.kind == RscKind::kGroup) {
      render_group(ctx, inst, inst.id, level + 1, true, c.promotable);
    } else {
      render_primitive(ctx, inst, inst.base_id, level + 1, c.promotable);
    }
  }
  const std::string sub = indent(level + 1) + "* ";
  if (!promoted.empty()) ctx.out << sub << "Promoted: " << join_nodes(promoted) << "\n";
  if (!unpromoted.empty()) ctx.out << sub << "Unpromoted: " << join_nodes(unpromoted) << "\n";
  if (!started.empty()) ctx.out << sub << "Started: " << join_nodes(started) << "\n";
  std::vector<std::string> stopped;
  int active_instances = 0;
  for (const auto& inst : c.children)
    if (!inst.active_nodes().empty()) ++active_instances;
  for (const auto& n : ctx.ws.nodes) {
    if (c.promotable && active_instances >= c.clone_max) break;  // every instance runs
    if (std::find(running.begin(), running.end(), n.uname) == running.end())
      stopped.push_back(n.uname);
  }
  if (!stopped.empty()) {
    ctx.out << sub << (disabled(c) ? "Stopped (disabled): " : "Stopped: ") << join_nodes(stopped)
            << "\n";
  }
}

void render_resource(const PrintCtx& ctx, const WsResource& r, int level, bool anonymous,
                     bool in_promotable) {
  switch (r.kind) {
    case RscKind::kPrimitive:
      render_primitive(ctx, r, anonymous ? r.base_id : r.id, level, in_promotable);
      break;
    case RscKind::kGroup:
      render_group(ctx, r, r.id, level, anonymous, in_promotable);
      break;
    case RscKind::kClone:
      render_clone(ctx, r, level);
      break;
  }
}

std::string json_str(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
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

std::string render_status_text(const WorkingSet& ws) {
  std::ostringstream out;
  render_nodes(ws, out);
  out << "\n  * Full List of Resources:\n";
  const PrintCtx ctx{ws, out};
  for (const auto& r : ws.resources) {
    if (r.orphan && r.active_nodes().empty()) continue;
    render_resource(ctx, r, 2, false, false);
  }
  return out.str();
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

}  // namespace quorate::crm::sched
