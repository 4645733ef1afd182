// crm_resource on $CIB_file. See cli/crm_tools.h. Listing and locating read
// the scheduler's working set (crm/sched_unpack.h) and print with the status
// renderer (crm/sched_status.h); the edits change the typed CIB and write it
// back through cli/cib_file.h.
#include <algorithm>
#include <string>
#include <vector>

#include "cli/cib_file.h"
#include "cli/crm_tools.h"
#include "crm/sched_status.h"
#include "crm/sched_unpack.h"

namespace quorate::cli {

namespace {

using crm::sched::RscKind;
using crm::sched::WsResource;

void resource_usage(const std::string& prog, std::ostream& out) {
  out << "usage: " << prog << " COMMAND [-r RSC] [-N NODE] ...\n"
      << "Works on the CIB file named by $CIB_file.\n"
      << "  -L, --list                     all resources and their state\n"
      << "  -W, --locate -r RSC            where RSC runs\n"
      << "  -M, --move -r RSC [-N NODE]    make RSC prefer NODE (cli-prefer-RSC); without\n"
      << "                                 NODE, ban it from where it runs\n"
      << "  -B, --ban -r RSC [-N NODE]     keep RSC off NODE (cli-ban-RSC-on-NODE)\n"
      << "  -U, --clear -r RSC [-N NODE]   remove the constraints -M / -B created\n"
      << "  -p, --set-parameter NAME -v VALUE -r RSC [--meta]\n"
      << "  -g, --get-parameter NAME -r RSC [--meta]\n"
      << "  -d, --delete-parameter NAME -r RSC [--meta]\n"
      << "                                 instance attributes, or meta attributes with --meta\n"
      << "  -C, --cleanup -r RSC [-N NODE] forget RSC's operation history and fail counts\n";
}

// A configured resource element's attribute sets.
struct ConfigRef {
  std::vector<crm::AttrSet>* sets = nullptr;
};

ConfigRef find_config(crm::Configuration& c, const std::string& id) {
  for (auto& r : c.resources) {
    if (auto* p = std::get_if<crm::Primitive>(&r); p != nullptr && p->id == id) return {&p->sets};
    if (auto* g = std::get_if<crm::Group>(&r)) {
      if (g->id == id) return {&g->sets};
      for (auto& m : g->members)
        if (m.id == id) return {&m.sets};
    }
    if (auto* cl = std::get_if<crm::Clone>(&r)) {
      if (cl->id == id) return {&cl->sets};
      if (auto* p = std::get_if<crm::Primitive>(&cl->child); p != nullptr && p->id == id)
        return {&p->sets};
      if (auto* g = std::get_if<crm::Group>(&cl->child)) {
        if (g->id == id) return {&g->sets};
        for (auto& m : g->members)
          if (m.id == id) return {&m.sets};
      }
    }
  }
  return {};
}

// The working-set resource a name means: its id, else the first instance
// whose configured id it is.
const WsResource* find_ws(const std::vector<WsResource>& list, const std::string& name) {
  for (const auto& r : list) {
    if (r.id == name) return &r;
    if (const auto* c = find_ws(r.children, name)) return c;
  }
  for (const auto& r : list) {
    if (r.base_id == name) return &r;
  }
  return nullptr;
}

void collect_prims(const WsResource& r, std::vector<const WsResource*>& out) {
  if (r.kind == RscKind::kPrimitive) {
    out.push_back(&r);
    return;
  }
  for (const auto& c : r.children) collect_prims(c, out);
}

// Nodes where `r` (any primitive under it) is active, in history order.
std::vector<std::string> active_nodes(const WsResource& r) {
  std::vector<const WsResource*> prims;
  collect_prims(r, prims);
  std::vector<std::string> out;
  for (const auto* p : prims)
    for (const auto& n : p->active_nodes())
      if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
  return out;
}

bool promoted_on(const WsResource& r, const std::string& node) {
  std::vector<const WsResource*> prims;
  collect_prims(r, prims);
  for (const auto* p : prims)
    for (const auto& h : p->history)
      if (h.node == node && h.role == crm::sched::Role::kPromoted) return true;
  return false;
}

crm::AttrSet* first_set(std::vector<crm::AttrSet>& sets, crm::SetKind kind) {
  for (auto& s : sets)
    if (s.kind == kind && !s.id_ref) return &s;
  return nullptr;
}

crm::Location* find_location(crm::Configuration& c, const std::string& id) {
  for (auto& x : c.constraints)
    if (auto* l = std::get_if<crm::Location>(&x); l != nullptr && l->id == id) return l;
  return nullptr;
}

// Adds or replaces the location constraint `id`.
void put_location(crm::Configuration& c, const std::string& id, const std::string& rsc,
                  const std::string& node, const std::string& score) {
  crm::Location loc;
  loc.id = id;
  loc.rsc = rsc;
  loc.role = "Started";
  loc.node = node;
  loc.score = score;
  if (crm::Location* old = find_location(c, id)) {
    *old = std::move(loc);
  } else {
    c.constraints.emplace_back(std::move(loc));
  }
}

// Removes the constraints `pred` selects; returns their ids.
template <typename Pred>
std::vector<std::string> remove_locations(crm::Configuration& c, Pred pred) {
  std::vector<std::string> ids;
  auto& v = c.constraints;
  for (auto it = v.begin(); it != v.end();) {
    const auto* l = std::get_if<crm::Location>(&*it);
    if (l != nullptr && pred(*l)) {
      ids.push_back(l->id);
      it = v.erase(it);
    } else {
      ++it;
    }
  }
  return ids;
}

bool node_configured(const crm::Cib& cib, const std::string& uname) {
  return std::any_of(cib.configuration.nodes.begin(), cib.configuration.nodes.end(),
                     [&](const crm::Node& n) { return n.uname == uname; });
}

std::string node_state_uname(const crm::Cib& cib, const crm::NodeState& s) {
  if (s.uname) return *s.uname;
  for (const auto& n : cib.configuration.nodes)
    if (n.id == s.id) return n.uname;
  return s.id;
}

struct Request {
  std::string command;  // list locate move ban clear set get delete cleanup
  std::string rsc;
  std::string node;
  std::string param;
  std::optional<std::string> value;
  bool meta = false;
};

int not_found(const std::string& prog, const std::string& what, const std::string& name,
              std::ostream& err) {
  err << prog << ": " << what << " '" << name << "' not found\n"
      << "Error performing operation: No such object\n";
  return kCrmExitNoSuchObject;
}

void ban_warning(const std::string& id, const std::string& rsc, const std::string& node,
                 std::ostream& out) {
  out << "WARNING: Creating rsc_location constraint '" << id
      << "' with a score of -INFINITY for resource " << rsc << " on " << node << ".\n"
      << "\tThis will prevent " << rsc << " from running on " << node
      << " until the constraint is removed using the clear option or by editing the CIB with an "
         "appropriate tool\n"
      << "\tThis will be the case even if " << node << " is the last node in the cluster\n";
}

}  // namespace

int crm_resource_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  static const std::vector<OptionSpec> kSpecs = {
      {'L', "list", false},
      {'W', "locate", false},
      {'r', "resource", true},
      {'M', "move", false},
      {'B', "ban", false},
      {'U', "clear", false},
      {'N', "node", true},
      {'p', "set-parameter", true},
      {'g', "get-parameter", true},
      {'d', "delete-parameter", true},
      {'v', "parameter-value", true},
      {'m', "meta", false},
      {'C', "cleanup", false},
      {'q', "quiet", false},
      {'h', "help", false},
      {'V', "verbose", false},
      {'f', "force", false},
  };
  auto parsed = parse_tool_args(args, kSpecs);
  if (!parsed) {
    env.err << prog << ": " << parsed.error().message << "\n";
    resource_usage(prog, env.err);
    return kCrmExitUsage;
  }
  Request req;
  int commands = 0;
  for (const auto& o : *parsed) {
    const auto command = [&](const char* name, const std::string& param = {}) {
      req.command = name;
      req.param = param;
      ++commands;
    };
    if (o.name == "help") {
      resource_usage(prog, env.out);
      return kCrmExitOk;
    }
    if (o.name == "list") command("list");
    if (o.name == "locate") command("locate");
    if (o.name == "move") command("move");
    if (o.name == "ban") command("ban");
    if (o.name == "clear") command("clear");
    if (o.name == "cleanup") command("cleanup");
    if (o.name == "set-parameter") command("set", o.value);
    if (o.name == "get-parameter") command("get", o.value);
    if (o.name == "delete-parameter") command("delete", o.value);
    if (o.name == "resource") req.rsc = o.value;
    if (o.name == "node") req.node = o.value;
    if (o.name == "parameter-value") req.value = o.value;
    if (o.name == "meta") req.meta = true;
  }
  if (commands > 1) {
    env.err << prog << ": only one command may be given\n";
    resource_usage(prog, env.err);
    return kCrmExitUsage;
  }
  if (commands == 0) req.command = "list";  // crm_resource without a command lists
  if (req.command != "list" && req.rsc.empty()) {
    env.err << prog << ": Must supply a resource id with -r\n";
    return kCrmExitUsage;
  }
  if (req.command == "set" && !req.value) {
    env.err << prog << ": You need to supply a value with the -v option\n";
    return kCrmExitUsage;
  }
  const auto path = cib_file_path(env);
  if (!path) return report_no_live_cib(prog, env.err);
  int code = kCrmExitOk;
  auto file = load_cib_file(prog, *path, env.err, &code);
  if (!file) return code;
  auto ws = crm::sched::unpack_working_set(file->cib);
  if (!ws) {
    env.err << prog << ": " << *path << ": " << ws.error().message << "\n";
    return kCrmExitDataErr;
  }

  if (req.command == "list") {
    crm::sched::StatusOptions so;
    so.level = 0;
    so.hide_node = true;
    env.out << crm::sched::render_resource_list(*ws, so);
    if (ws->resources.empty()) {
      // As Pacemaker: an empty list is "no such object".
      env.err << prog << ": Error performing operation: No such object\n";
      return kCrmExitNoSuchObject;
    }
    return kCrmExitOk;
  }

  crm::Cib cib = file->cib;
  const WsResource* rsc = find_ws(ws->resources, req.rsc);
  const ConfigRef config = find_config(cib.configuration, req.rsc);
  if (rsc == nullptr && config.sets == nullptr)
    return not_found(prog, "Resource", req.rsc, env.err);
  if (!req.node.empty() && !node_configured(cib, req.node))
    return not_found(prog, "Node", req.node, env.err);

  CibChange change;
  if (req.command == "locate") {
    std::vector<std::string> nodes;
    if (rsc != nullptr && rsc->kind == RscKind::kClone) {
      // Pacemaker lists a clone's instances newest first.
      for (auto it = rsc->children.rbegin(); it != rsc->children.rend(); ++it)
        for (const auto& n : active_nodes(*it)) nodes.push_back(n);
    } else if (rsc != nullptr) {
      nodes = active_nodes(*rsc);
    }
    if (nodes.empty()) {
      env.err << "resource " << req.rsc << " is NOT running\n";
      return kCrmExitOk;
    }
    for (const auto& n : nodes) {
      env.out << "resource " << req.rsc << " is running on: " << n
              << (rsc != nullptr && promoted_on(*rsc, n) ? " Promoted" : "") << "\n";
    }
    return kCrmExitOk;
  }

  if (req.command == "move" || req.command == "ban") {
    const std::vector<std::string> where =
        rsc != nullptr ? active_nodes(*rsc) : std::vector<std::string>{};
    std::string ban_node = req.command == "ban" ? req.node : "";
    if (req.node.empty()) {
      if (where.size() != 1) {
        env.err << prog << ": Resource '" << req.rsc << "' not moved: active in " << where.size()
                << " locations.\n"
                << "To prevent '" << req.rsc
                << "' from running on a specific location, specify a node.\n";
        return kCrmExitUsage;
      }
      ban_node = where.front();
    }
    if (!ban_node.empty()) {
      const std::string id = "cli-ban-" + req.rsc + "-on-" + ban_node;
      ban_warning(id, req.rsc, ban_node, env.out);
      put_location(cib.configuration, id, req.rsc, ban_node, "-INFINITY");
    } else {
      if (where.size() == 1 && where.front() == req.node) {
        env.err << prog << ": " << req.rsc << " is already active on " << req.node << "\n"
                << prog << ": Error performing operation: Requested item already exists\n";
        return kCrmExitExists;
      }
      // A ban from the destination would contradict the move: it goes.
      const std::string ban_id = "cli-ban-" + req.rsc + "-on-" + req.node;
      remove_locations(cib.configuration, [&](const crm::Location& l) { return l.id == ban_id; });
      put_location(cib.configuration, "cli-prefer-" + req.rsc, req.rsc, req.node, "INFINITY");
    }
    change.configuration = true;
  } else if (req.command == "clear") {
    const std::string prefer = "cli-prefer-" + req.rsc;
    const std::string ban_prefix = "cli-ban-" + req.rsc + "-on-";
    const auto ids = remove_locations(cib.configuration, [&](const crm::Location& l) {
      if (l.id == prefer) return req.node.empty() || l.node.value_or("") == req.node;
      if (l.id.rfind(ban_prefix, 0) != 0) return false;
      return req.node.empty() || l.id == ban_prefix + req.node;
    });
    for (const auto& id : ids) env.out << "Removing constraint: " << id << "\n";
    change.configuration = !ids.empty();
  } else if (req.command == "set" || req.command == "get" || req.command == "delete") {
    if (config.sets == nullptr) return not_found(prog, "Resource", req.rsc, env.err);
    const crm::SetKind kind = req.meta ? crm::SetKind::kMeta : crm::SetKind::kInstance;
    const std::string set_suffix = req.meta ? "-meta_attributes" : "-instance_attributes";
    if (req.command == "get") {
      for (const auto& s : *config.sets) {
        if (s.kind != kind) continue;
        if (const std::string* v = s.find(req.param)) {
          env.out << *v << "\n";
          return kCrmExitOk;
        }
      }
      env.err << "Attribute '" << req.param << "' not found for '" << req.rsc << "'\n";
      return kCrmExitOk;
    }
    if (req.command == "delete") {
      bool any = false;
      for (auto& s : *config.sets) {
        if (s.kind != kind) continue;
        for (auto it = s.nvpairs.begin(); it != s.nvpairs.end();) {
          if (it->name && *it->name == req.param) {
            env.out << "Deleted '" << req.rsc << "' option: id=" << it->id.value_or("")
                    << " name=" << req.param << "\n";
            it = s.nvpairs.erase(it);
            any = true;
          } else {
            ++it;
          }
        }
      }
      if (!any) {
        env.err << "Attribute '" << req.param << "' not found for '" << req.rsc << "'\n";
        return kCrmExitOk;
      }
      change.configuration = true;
    } else {
      crm::AttrSet* set = first_set(*config.sets, kind);
      if (set == nullptr) {
        crm::AttrSet fresh;
        fresh.kind = kind;
        fresh.id = req.rsc + set_suffix;
        // Meta and instance attributes go before the operations, which the
        // writer emits after every set.
        config.sets->push_back(std::move(fresh));
        set = &config.sets->back();
      }
      crm::NvPair* pair = nullptr;
      for (auto& p : set->nvpairs)
        if (p.name && *p.name == req.param) pair = &p;
      if (pair != nullptr) {
        pair->value = *req.value;
        env.out << "Set '" << req.rsc << "' option: id=" << pair->id.value_or("")
                << " name=" << req.param << " value=" << *req.value << "\n";
      } else {
        crm::NvPair p;
        p.id = set->id.value_or(req.rsc + set_suffix) + "-" + req.param;
        p.name = req.param;
        p.value = *req.value;
        env.out << "Set '" << req.rsc << "' option: id=" << *p.id << " set=" << set->id.value_or("")
                << " name=" << req.param << " value=" << *req.value << "\n";
        set->nvpairs.push_back(std::move(p));
      }
      change.configuration = true;
    }
  } else if (req.command == "cleanup") {
    // The names the resource's history is recorded under.
    std::vector<std::string> names{req.rsc};
    if (rsc != nullptr) {
      std::vector<const WsResource*> prims;
      collect_prims(*rsc, prims);
      for (const auto* p : prims)
        for (const auto& n : {p->id, p->base_id, p->history_name})
          if (!n.empty() && std::find(names.begin(), names.end(), n) == names.end())
            names.push_back(n);
    }
    const auto named = [&](const std::string& id) {
      return std::find(names.begin(), names.end(), id) != names.end();
    };
    const auto fail_attr = [&](const std::string& attr) {
      for (const char* prefix : {"fail-count-", "last-failure-"}) {
        const std::string p = prefix;
        if (attr.rfind(p, 0) != 0) continue;
        std::string rest = attr.substr(p.size());
        rest = rest.substr(0, rest.find('#'));
        if (named(rest)) return true;
      }
      return false;
    };
    bool any = false;
    if (cib.status) {
      for (auto& s : cib.status->nodes) {
        const std::string uname = node_state_uname(cib, s);
        if (!req.node.empty() && uname != req.node) continue;
        bool here = false;
        if (s.lrm) {
          auto& v = s.lrm->resources;
          const auto before = v.size();
          v.erase(std::remove_if(v.begin(), v.end(),
                                 [&](const crm::LrmResource& r) { return named(r.id); }),
                  v.end());
          here = here || v.size() != before;
        }
        if (s.transient_attributes) {
          for (auto& set : s.transient_attributes->sets) {
            auto& v = set.nvpairs;
            const auto before = v.size();
            v.erase(
                std::remove_if(v.begin(), v.end(),
                               [&](const crm::NvPair& p) { return p.name && fail_attr(*p.name); }),
                v.end());
            here = here || v.size() != before;
          }
        }
        if (here) env.out << "Cleaned up " << req.rsc << " on " << uname << "\n";
        any = any || here;
      }
    }
    if (!any) {
      env.out << req.rsc << " has no operation history or fail counts"
              << (req.node.empty() ? "" : " on " + req.node) << " to clean up\n";
    }
    change.status = any;
  }
  if (Status s = save_cib_file(*file, std::move(cib), change); !s) {
    env.err << prog << ": " << s.error().message << "\n";
    return kCrmExitCantCreate;
  }
  return kCrmExitOk;
}

}  // namespace quorate::cli
