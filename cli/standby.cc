// crm_standby on $CIB_file. See cli/crm_tools.h. The node's standby
// attribute lives in its <node> instance_attributes (lifetime forever) or in
// its node_state's transient_attributes (lifetime reboot); the ids follow
// Pacemaker's: nodes-ID / nodes-ID-standby and status-ID / status-ID-standby.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "cli/cib_file.h"
#include "cli/crm_tools.h"

namespace quorate::cli {

namespace {

constexpr const char* kAttr = "standby";

void standby_usage(const std::string& prog, std::ostream& out) {
  out << "usage: " << prog << " -N NODE (-v on|off | -G | -D) [-l reboot|forever] [-q]\n"
      << "Edits the standby attribute of NODE in the CIB file named by $CIB_file.\n"
      << "  -N, -U, --node NODE   the node (offline there is no \"current\" node)\n"
      << "  -G, --query           show the current value (on/off)\n"
      << "  -v, --update VALUE    set it (on or off)\n"
      << "  -D, --delete          remove it (the default, off, applies)\n"
      << "  -l, --lifetime L      reboot (the node's transient attributes) or forever\n"
      << "                        (its configuration; the default)\n"
      << "  -q, --quiet           print only the value when querying\n";
}

crm::AttrSet* first_instance_set(std::vector<crm::AttrSet>& sets) {
  for (auto& s : sets)
    if (s.kind == crm::SetKind::kInstance && !s.id_ref) return &s;
  return nullptr;
}

crm::NvPair* find_pair(crm::AttrSet& set, const std::string& name) {
  for (auto& p : set.nvpairs)
    if (p.name && *p.name == name) return &p;
  return nullptr;
}

// Sets `name` in the first instance_attributes of `sets`, creating the set
// (id `set_id`) and the nvpair as needed.
void set_in(std::vector<crm::AttrSet>& sets, const std::string& set_id, const std::string& name,
            const std::string& value) {
  crm::AttrSet* set = first_instance_set(sets);
  if (set == nullptr) {
    crm::AttrSet fresh;
    fresh.kind = crm::SetKind::kInstance;
    fresh.id = set_id;
    sets.push_back(std::move(fresh));
    set = &sets.back();
  }
  if (crm::NvPair* p = find_pair(*set, name)) {
    p->value = value;
    return;
  }
  crm::NvPair p;
  p.id = set->id.value_or(set_id) + "-" + name;
  p.name = name;
  p.value = value;
  set->nvpairs.push_back(std::move(p));
}

// Removes every nvpair `name` from the instance sets; returns their ids.
std::vector<std::string> delete_in(std::vector<crm::AttrSet>& sets, const std::string& name) {
  std::vector<std::string> ids;
  for (auto& s : sets) {
    if (s.kind != crm::SetKind::kInstance) continue;
    auto& v = s.nvpairs;
    for (auto it = v.begin(); it != v.end();) {
      if (it->name && *it->name == name) {
        ids.push_back(it->id.value_or(""));
        it = v.erase(it);
      } else {
        ++it;
      }
    }
  }
  return ids;
}

const std::string* get_in(const std::vector<crm::AttrSet>& sets, const std::string& name) {
  for (const auto& s : sets) {
    if (s.kind != crm::SetKind::kInstance) continue;
    if (const std::string* v = s.find(name)) return v;
  }
  return nullptr;
}

crm::NodeState* node_state(crm::Cib& cib, const std::string& id) {
  if (!cib.status) return nullptr;
  for (auto& s : cib.status->nodes)
    if (s.id == id) return &s;
  return nullptr;
}

std::optional<std::string> normalize_value(const std::string& v) {
  std::string l;
  for (char c : v) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (l == "on" || l == "true" || l == "yes" || l == "y" || l == "1") return "on";
  if (l == "off" || l == "false" || l == "no" || l == "n" || l == "0") return "off";
  return std::nullopt;
}

}  // namespace

int crm_standby_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  static const std::vector<OptionSpec> kSpecs = {
      {'N', "node", true},    {'U', "uname", true},    {'G', "query", false}, {'v', "update", true},
      {'D', "delete", false}, {'l', "lifetime", true}, {'q', "quiet", false}, {'i', "id", true},
      {'h', "help", false},   {'V', "verbose", false},
  };
  auto parsed = parse_tool_args(args, kSpecs);
  if (!parsed) {
    env.err << prog << ": " << parsed.error().message << "\n";
    standby_usage(prog, env.err);
    return kCrmExitUsage;
  }
  std::string node_name;
  std::string lifetime;
  std::optional<std::string> value;
  int commands = 0;
  bool query = false;
  bool del = false;
  bool quiet = false;
  for (const auto& o : *parsed) {
    if (o.name == "help") {
      standby_usage(prog, env.out);
      return kCrmExitOk;
    }
    if (o.name == "node" || o.name == "uname") node_name = o.value;
    if (o.name == "lifetime") lifetime = o.value;
    if (o.name == "quiet") quiet = true;
    if (o.name == "query") query = true;
    if (o.name == "delete") del = true;
    if (o.name == "update") value = o.value;
    if (o.name == "query" || o.name == "delete" || o.name == "update") ++commands;
  }
  if (commands > 1) {
    env.err << prog << ": only one of -G, -v and -D may be given\n";
    return kCrmExitUsage;
  }
  if (commands == 0) query = true;  // as crm_standby: no command queries
  if (!lifetime.empty() && lifetime != "reboot" && lifetime != "forever") {
    env.err << prog << ": invalid lifetime '" << lifetime << "' (valid values: reboot, forever)\n";
    return kCrmExitUsage;
  }
  if (value) {
    const auto v = normalize_value(*value);
    if (!v) {
      env.err << prog << ": invalid standby value '" << *value << "' (valid values: on, off)\n";
      return kCrmExitUsage;
    }
    value = *v;
  }
  const auto path = cib_file_path(env);
  if (!path) return report_no_live_cib(prog, env.err);
  if (node_name.empty()) {
    env.err << prog << ": -N NODE is required with CIB_file (there is no current node offline)\n";
    return kCrmExitUsage;
  }
  int code = kCrmExitOk;
  auto file = load_cib_file(prog, *path, env.err, &code);
  if (!file) return code;
  crm::Cib cib = file->cib;

  crm::Node* node = nullptr;
  for (auto& n : cib.configuration.nodes)
    if (n.uname == node_name) node = &n;
  if (node == nullptr) {
    env.err << prog << ": Could not map name=" << node_name << " to a UUID\n";
    return kCrmExitNoSuchObject;
  }
  const std::string id = node->id;
  const bool forever = lifetime.empty() || lifetime == "forever";
  const bool reboot = lifetime.empty() || lifetime == "reboot";
  crm::NodeState* state = node_state(cib, id);

  if (query) {
    const std::string* v = nullptr;
    std::string scope = "status";
    if (forever && (v = get_in(node->sets, kAttr)) != nullptr) {
      scope = "nodes";
    } else if (reboot && state != nullptr && state->transient_attributes) {
      v = get_in(state->transient_attributes->sets, kAttr);
    }
    if (v == nullptr && lifetime == "forever") scope = "nodes";
    const std::string shown = v != nullptr ? *v : "off";
    if (quiet) {
      env.out << shown << "\n";
    } else {
      env.out << "scope=" << scope << "  name=" << kAttr << " value=" << shown << "\n";
    }
    return kCrmExitOk;
  }

  CibChange change;
  if (del) {
    if (forever) {
      for (const auto& pid : delete_in(node->sets, kAttr)) {
        env.out << "Deleted nodes attribute: id=" << pid << " name=" << kAttr << "\n";
        change.configuration = true;
      }
    }
    if (reboot && state != nullptr && state->transient_attributes) {
      for (const auto& pid : delete_in(state->transient_attributes->sets, kAttr)) {
        env.out << "Deleted status attribute: id=" << pid << " name=" << kAttr << "\n";
        change.status = true;
      }
    }
  } else if (lifetime == "reboot") {
    if (!cib.status) cib.status = crm::CibStatus{};
    if (state == nullptr) {
      crm::NodeState fresh;
      fresh.id = id;
      fresh.uname = node_name;
      cib.status->nodes.push_back(std::move(fresh));
      state = &cib.status->nodes.back();
    }
    if (!state->transient_attributes) {
      crm::TransientAttributes t;
      t.id = id;
      state->transient_attributes = std::move(t);
    }
    set_in(state->transient_attributes->sets, "status-" + id, kAttr, *value);
    change.status = true;
  } else {
    set_in(node->sets, "nodes-" + id, kAttr, *value);
    change.configuration = true;
  }
  if (Status s = save_cib_file(*file, std::move(cib), change); !s) {
    env.err << prog << ": " << s.error().message << "\n";
    return kCrmExitCantCreate;
  }
  return kCrmExitOk;
}

}  // namespace quorate::cli
