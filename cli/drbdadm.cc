// drbdadm and `quorate replica` (cli/drbdadm.h).
#include "cli/drbdadm.h"

#include <sys/utsname.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <filesystem>
#include <map>
#include <ostream>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "cli/options.h"
#include "cli/overview_mounts.h"
#include "cli/render_replica.h"
#include "replication/status_proto.h"
#include "cli/tools.h"
#include "replication/volume_files.h"

namespace quorate::cli {

// The IPC form of a volume's state (replication/status_proto.h).
using replication::ReplicaEntry;
using replication::replicas_from_proto;

namespace rep = quorate::replication;

namespace {

constexpr int kAnyCount = -1;

struct VerbInfo {
  DrbdVerb verb;
  std::string_view name;
  VerbKind kind;
  int min_resources;
  int max_resources;  // kAnyCount: no limit
};

constexpr std::array kVerbs = {
    VerbInfo{DrbdVerb::kCreateMd, "create-md", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kUp, "up", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kDown, "down", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kAttach, "attach", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kDetach, "detach", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kPrimary, "primary", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kSecondary, "secondary", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kConnect, "connect", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kDisconnect, "disconnect", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kVerify, "verify", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kInvalidate, "invalidate", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kInvalidateRemote, "invalidate-remote", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kOutdate, "outdate", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kPauseSync, "pause-sync", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kResumeSync, "resume-sync", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kResumeIo, "resume-io", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kAdjust, "adjust", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kNetOptions, "net-options", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kDiskOptions, "disk-options", VerbKind::kCommand, 1, kAnyCount},
    VerbInfo{DrbdVerb::kRole, "role", VerbKind::kStatus, 1, kAnyCount},
    VerbInfo{DrbdVerb::kCstate, "cstate", VerbKind::kStatus, 1, kAnyCount},
    VerbInfo{DrbdVerb::kDstate, "dstate", VerbKind::kStatus, 1, kAnyCount},
    VerbInfo{DrbdVerb::kStatus, "status", VerbKind::kStatus, 0, kAnyCount},
    VerbInfo{DrbdVerb::kDump, "dump", VerbKind::kLocal, 0, kAnyCount},
    VerbInfo{DrbdVerb::kShResources, "sh-resources", VerbKind::kLocal, 0, 0},
    VerbInfo{DrbdVerb::kShDev, "sh-dev", VerbKind::kLocal, 1, kAnyCount},
    VerbInfo{DrbdVerb::kShLlDev, "sh-ll-dev", VerbKind::kLocal, 1, kAnyCount},
    VerbInfo{DrbdVerb::kShMdDev, "sh-md-dev", VerbKind::kLocal, 1, kAnyCount},
    VerbInfo{DrbdVerb::kShIp, "sh-ip", VerbKind::kLocal, 1, kAnyCount},
    VerbInfo{DrbdVerb::kHelp, "help", VerbKind::kHelp, 0, kAnyCount},
};

const VerbInfo& info_of(DrbdVerb v) {
  for (const auto& i : kVerbs) {
    if (i.verb == v) return i;
  }
  assert(false && "every verb is in kVerbs");
  return kVerbs.back();
}

enum class Opt {
  kConfigFile,
  kDryRun,
  kSocket,
  kNode,
  kJson,
  kHelp,
  kForce,
  kOverwriteDataOfPeer,
  kDiscardMyData,
  kVerbose,
  kStatistics,
};

struct OptInfo {
  std::string_view long_name;
  char short_name;  // '\0': none
  bool takes_value;
  Opt opt;
};

constexpr std::array kOpts = {
    OptInfo{"config-file", 'c', true, Opt::kConfigFile},
    OptInfo{"dry-run", 'd', false, Opt::kDryRun},
    OptInfo{"socket", '\0', true, Opt::kSocket},
    OptInfo{"node", '\0', true, Opt::kNode},
    OptInfo{"json", '\0', false, Opt::kJson},
    OptInfo{"help", 'h', false, Opt::kHelp},
    OptInfo{"force", '\0', false, Opt::kForce},
    OptInfo{"overwrite-data-of-peer", '\0', false, Opt::kOverwriteDataOfPeer},
    OptInfo{"discard-my-data", '\0', false, Opt::kDiscardMyData},
    OptInfo{"verbose", 'v', false, Opt::kVerbose},
    OptInfo{"statistics", '\0', false, Opt::kStatistics},
};

const OptInfo* find_long(std::string_view name) {
  for (const auto& o : kOpts) {
    if (o.long_name == name) return &o;
  }
  return nullptr;
}
const OptInfo* find_short(char c) {
  for (const auto& o : kOpts) {
    if (o.short_name != '\0' && o.short_name == c) return &o;
  }
  return nullptr;
}

std::string join(const std::vector<std::string>& items, std::string_view sep) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += sep;
    out += items[i];
  }
  return out;
}

void usage(const std::string& prog, std::ostream& out) {
  out << "USAGE: " << prog << " [OPTION...] [--] [BACKEND-OPTION...] COMMAND [BACKEND-OPTION...] {all|RESOURCE...}\n"
      << "\n"
      << "quorate's drbdadm: the same commands as DRBD's, carried out by quorated\n"
      << "(there is no drbd kernel module; /dev/drbdN and /proc/drbd do not exist).\n"
      << "\n"
      << "OPTIONS:\n"
      << "  -c, --config-file FILE  resource files to use (else /etc/quorate/replication.d,\n"
      << "                          else /etc/drbd.conf); also sent to quorated\n"
      << "  -d, --dry-run           print what would be done, one line per action; send nothing\n"
      << "  -v, --verbose           more detail (status)\n"
      << "  --socket PATH           quorated's socket (else $QUORATE_SOCKET, else\n"
      << "                          /run/quorate/quorated.sock)\n"
      << "  --node NAME             this host's name in the resource files (else $QUORATE_NODE,\n"
      << "                          else the host name)\n"
      << "  --json                  role, cstate, dstate, status: print JSON\n"
      << "  -h, --help              this text\n"
      << "\n"
      << "BACKEND OPTIONS (before or after COMMAND, or after \"--\"):\n"
      << "  --force                 primary: become primary even with Inconsistent/Outdated data\n"
      << "                          (the initial full sync from this node); secondary; create-md:\n"
      << "                          overwrite a file system or existing meta data\n"
      << "  --overwrite-data-of-peer  primary: the same as --force (DRBD 8.3 spelling)\n"
      << "  --discard-my-data       connect: this node is the split-brain victim\n"
      << "  --statistics            status: the counters\n"
      << "\n"
      << "COMMANDS (sent to quorated):\n"
      << "  create-md up down attach detach primary secondary connect disconnect verify\n"
      << "  invalidate invalidate-remote outdate pause-sync resume-sync resume-io adjust\n"
      << "  net-options --KEY[=VALUE]..., disk-options --KEY[=VALUE]...: change the running\n"
      << "  net or disk settings (names as in the resource file) until the next adjust\n"
      << "COMMANDS (state, from quorated):\n"
      << "  role cstate dstate status [--verbose] [--statistics]\n"
      << "COMMANDS (the resource files only):\n"
      << "  dump [RESOURCE...]  sh-resources  sh-dev  sh-ll-dev  sh-md-dev  sh-ip\n"
      << "\n"
      << "create-md: when quorated does not answer, the meta data is written here directly.\n"
      << "DRBD asks before overwriting a file system or existing meta data; this tool never\n"
      << "asks: it refuses, says why, and needs --force.\n"
      << "\n"
      << "Instead of `cat /proc/drbd`: `quorate replica status --proc` (same layout);\n"
      << "instead of drbd-overview: `quorate replica overview`.\n"
      << "\n"
      << "EXIT CODES: 0 success; 1 usage error; 10 configuration invalid or resource\n"
      << "unknown; 11 state change refused by quorated; 20 quorated cannot be reached;\n"
      << "40 create-md refused or failed.\n";
}

const std::string kInitFailure = "drbdadm: quorated is not reachable; nothing was changed";
const std::string kStatusInitFailure = "drbdadm: quorated is not reachable; no state to show";

std::optional<std::string> absolute_path(const std::optional<std::string>& path) {
  if (!path) return std::nullopt;
  std::error_code ec;
  auto abs = std::filesystem::absolute(*path, ec);
  if (ec) return path;
  return abs.lexically_normal().string();
}

std::string meta_disk_text(const rep::HostConfig& h) {
  switch (h.meta_disk.kind) {
    case rep::MetaDisk::Kind::kInternal:
      return "internal";
    case rep::MetaDisk::Kind::kFlexible:
      return h.meta_disk.path;
    case rep::MetaDisk::Kind::kExternal:
      break;
  }
  return h.meta_disk.index ? fmt::format("{}[{}]", h.meta_disk.path, *h.meta_disk.index)
                           : h.meta_disk.path;
}

std::string peer_text(const rep::HostConfig& peer) {
  if (peer.address.empty()) return peer.name + " (address from the cluster's nodelist)";
  return peer.ipv6 ? fmt::format("[{}]:{}", peer.address, peer.port)
                   : fmt::format("{}:{}", peer.address, peer.port);
}

// Resolves "all" (or nothing) to every resource of the files.
std::vector<std::string> expand(const std::vector<std::string>& names,
                                const rep::ReplicationConfig& cfg) {
  std::vector<std::string> out;
  const bool all =
      names.empty() || std::find(names.begin(), names.end(), "all") != names.end();
  if (!all) return names;
  for (const auto& r : cfg.resources) out.push_back(r.name);
  return out;
}

void print_warnings(const std::vector<std::string>& warnings, const std::string& prog,
                    std::ostream& err) {
  for (const auto& w : warnings) err << prog << ": warning: " << w << "\n";
}

// Prints the daemon's error the way DRBD prints it: "r0: State change failed: ...".
void print_daemon_error(const std::string& resource, const std::string& message,
                        std::ostream& err) {
  const bool has_prefix = message.rfind(resource + ":", 0) == 0 || resource == "all";
  err << (has_prefix ? "" : resource + ": ") << message << "\n";
}


// The resource NAME, or nullptr after saying it is not defined (rc becomes
// the config error unless an earlier error is already set).
const rep::ResourceConfig* find_or_report(const rep::ReplicationConfig& cfg, const std::string& name, ToolEnv& env,
                                          int& rc) {
  const rep::ResourceConfig* res = cfg.find(name);
  if (res == nullptr) {
    env.err << "'" << name << "' not defined in your config.\n";
    rc = rc == kExitOk ? kDrbdExitConfig : rc;
  }
  return res;
}

// This host's side of `res` and the peer's, or nullopt after saying why.
std::optional<std::pair<const rep::HostConfig*, const rep::HostConfig*>> local_or_report(
    const rep::ResourceConfig& res, const std::string& node, ToolEnv& env, int& rc) {
  auto lp = rep::local_and_peer(res, node);
  if (!lp.ok()) {
    env.err << res.name << ": " << lp.error().message << "\n";
    rc = rc == kExitOk ? kDrbdExitConfig : rc;
    return std::nullopt;
  }
  return *lp;
}

int create_md_locally(const std::string& prog, const DrbdadmCommand& cmd,
                      const std::string& resource, ToolEnv& env) {
  std::vector<std::string> warnings;
  auto cfg = load_drbd_config(cmd.config_file, &warnings);
  print_warnings(warnings, prog, env.err);
  if (!cfg.ok()) {
    env.err << prog << ": " << cfg.error().message << "\n";
    return kDrbdExitConfig;
  }
  const std::string node = resolve_node_name(cmd.node, env);
  int rc = kExitOk;
  for (const auto& name : expand({resource}, *cfg)) {
    const rep::ResourceConfig* res = find_or_report(*cfg, name, env, rc);
    if (res == nullptr) continue;
    const auto lp = local_or_report(*res, node, env, rc);
    if (!lp) continue;
    rep::CreateMdOptions opt;
    opt.force = cmd.force;
    opt.al_extents = res->disk.al_extents;
    auto lines = rep::create_md(*res, *lp->first, opt);
    if (!lines.ok()) {
      print_daemon_error(name, lines.error().message, env.err);
      rc = rc == kExitOk ? kDrbdExitMdRefused : rc;
      continue;
    }
    for (const auto& l : *lines) env.out << l << "\n";
  }
  return rc;
}

int run_command(const std::string& prog, const DrbdadmCommand& cmd, ToolEnv& env) {
  const std::string socket =
      resolve_socket_path(cmd.socket, env.socket_env ? env.socket_env->c_str() : nullptr);
  const std::optional<std::string> config_path = absolute_path(cmd.config_file);

  if (cmd.dry_run) {
    std::vector<std::string> warnings;
    auto cfg = load_drbd_config(cmd.config_file, &warnings);
    const std::string node = resolve_node_name(cmd.node, env);
    std::vector<std::string> names = cmd.resources;
    if (cfg.ok()) {
      names = expand(cmd.resources, *cfg);
    } else {
      env.err << prog << ": note: no details (" << cfg.error().message << ")\n";
    }
    int rc = kExitOk;
    for (const auto& name : names) {
      // With the configuration at hand, a name it does not define is the
      // error drbdadm gives (the seed's own `create-md drbd0` typo).
      const rep::ResourceConfig* res = cfg.ok() ? find_or_report(*cfg, name, env, rc) : nullptr;
      if (cfg.ok() && res == nullptr) continue;
      env.out << dry_run_line(cmd, name, res, node) << "\n";
    }
    return rc;
  }

  int rc = kExitOk;
  for (const auto& resource : cmd.resources) {
    ipc::Request request;
    ipc::ReplicaCommandRequest* r = request.mutable_replica_command();
    r->set_verb(std::string(verb_name(cmd.verb)));
    r->set_resource(resource);
    r->set_force(cmd.force);
    r->set_discard_my_data(cmd.discard_my_data);
    for (const auto& s : cmd.settings) r->add_settings(s);
    if (config_path) r->set_config_path(*config_path);
    ipc::Response response;
    if (cmd.verb == DrbdVerb::kCreateMd) {
      IpcFailure failure;
      auto result = env.call(socket, request, &failure);
      if (!result.ok() && failure.connect_failed) {
        env.err << prog << ": note: quorated does not answer at " << socket
                << "; writing the meta data here\n";
        const int local = create_md_locally(prog, cmd, resource, env);
        rc = rc == kExitOk ? local : rc;
        continue;
      }
      if (!result.ok()) {
        env.err << prog << ": " << result.error().message << "\n";
        return kDrbdExitNoDaemon;
      }
      response = std::move(result).value();
    } else if (!call_daemon(env, socket, request, kInitFailure, &response)) {
      return kDrbdExitNoDaemon;
    }
    if (!response.error().empty()) {
      print_daemon_error(resource, response.error(), env.err);
      rc = rc == kExitOk ? daemon_error_exit_code(response.error()) : rc;
      continue;
    }
    if (!response.has_replica_command()) {
      env.err << prog << ": unexpected answer from quorated to '" << verb_name(cmd.verb) << "'\n";
      return kDrbdExitNoDaemon;
    }
    for (const auto& line : response.replica_command().lines()) env.out << line << "\n";
  }
  return rc;
}

// Fetches the volumes of `resources` (empty: all) in the order asked.
// Returns an exit code other than 0 on failure (already printed).
int fetch_replicas(const std::string& prog, const std::vector<std::string>& resources,
                   const std::optional<std::string>& config_file,
                   const std::optional<std::string>& socket_flag, ToolEnv& env,
                   std::vector<std::pair<std::string, std::vector<ReplicaEntry>>>* out) {
  const std::string socket =
      resolve_socket_path(socket_flag, env.socket_env ? env.socket_env->c_str() : nullptr);
  const std::optional<std::string> config_path = absolute_path(config_file);
  std::vector<std::string> names = resources;
  if (names.empty()) names.push_back("all");
  for (const auto& name : names) {
    ipc::Request request;
    ipc::ReplicaStatusRequest* r = request.mutable_replica_status();
    r->set_resource(name == "all" ? "" : name);
    if (config_path) r->set_config_path(*config_path);
    ipc::Response response;
    if (!call_daemon(env, socket, request, kStatusInitFailure, &response)) return kDrbdExitNoDaemon;
    if (!response.error().empty()) {
      print_daemon_error(name, response.error(), env.err);
      return daemon_error_exit_code(response.error());
    }
    if (!response.has_replica_status()) {
      env.err << prog << ": unexpected answer from quorated to a status request\n";
      return kDrbdExitNoDaemon;
    }
    auto entries = replicas_from_proto(response.replica_status());
    if (!entries.ok()) {
      env.err << prog << ": bad answer from quorated: " << entries.error().message << "\n";
      return kDrbdExitNoDaemon;
    }
    out->emplace_back(name, std::move(entries).value());
  }
  return kExitOk;
}

int run_status(const std::string& prog, const DrbdadmCommand& cmd, ToolEnv& env) {
  std::vector<std::pair<std::string, std::vector<ReplicaEntry>>> fetched;
  if (int rc = fetch_replicas(prog, cmd.resources, cmd.config_file, cmd.socket, env, &fetched);
      rc != kExitOk) {
    return rc;
  }
  int rc = kExitOk;
  ReplicaList up;
  std::string text;
  for (const auto& [name, entries] : fetched) {
    const bool any_up = std::any_of(entries.begin(), entries.end(),
                                    [](const ReplicaEntry& e) { return e.up; });
    if (name != "all" && entries.empty()) {
      env.err << name << ": No such resource\n";
      rc = rc == kExitOk ? kDrbdExitConfig : rc;
      continue;
    }
    if (cmd.verb == DrbdVerb::kStatus && name != "all" && !any_up) {
      env.err << name << ": No such resource\n";
      rc = rc == kExitOk ? kDrbdExitConfig : rc;
      continue;
    }
    for (const auto& e : entries) {
      if (e.up) up.push_back(e.status);
      if (cmd.json || cmd.verb == DrbdVerb::kStatus) continue;
      if (!e.up) {
        text += "Unconfigured\n";
      } else if (cmd.verb == DrbdVerb::kRole) {
        text += render_drbdadm_role({e.status});
      } else if (cmd.verb == DrbdVerb::kCstate) {
        text += render_drbdadm_cstate({e.status});
      } else {
        text += render_drbdadm_dstate({e.status});
      }
    }
  }
  if (cmd.json) {
    env.out << replicas_json(up).dump(2) << "\n";
  } else if (cmd.verb == DrbdVerb::kStatus) {
    StatusOptions opts;
    opts.verbose = cmd.verbose;
    opts.statistics = cmd.statistics;
    env.out << render_drbd_status(up, opts);
  } else {
    env.out << text;
  }
  return rc;
}

int run_local(const std::string& prog, const DrbdadmCommand& cmd, ToolEnv& env) {
  std::vector<std::string> warnings;
  auto cfg = load_drbd_config(cmd.config_file, &warnings);
  print_warnings(warnings, prog, env.err);
  if (!cfg.ok()) {
    env.err << prog << ": " << cfg.error().message << "\n";
    return kDrbdExitConfig;
  }
  if (cmd.verb == DrbdVerb::kShResources) {
    std::vector<std::string> names;
    for (const auto& r : cfg->resources) names.push_back(r.name);
    env.out << join(names, " ") << "\n";
    return kExitOk;
  }
  const std::string node = resolve_node_name(cmd.node, env);
  int rc = kExitOk;
  bool first = true;
  for (const auto& name : expand(cmd.resources, *cfg)) {
    const rep::ResourceConfig* res = find_or_report(*cfg, name, env, rc);
    if (res == nullptr) continue;
    if (cmd.verb == DrbdVerb::kDump) {
      if (!first) env.out << "\n";
      first = false;
      env.out << rep::format_resource(*res);
      continue;
    }
    const auto lp = local_or_report(*res, node, env, rc);
    if (!lp) continue;
    const rep::HostConfig& me = *lp->first;
    switch (cmd.verb) {
      case DrbdVerb::kShDev:
        env.out << me.device << "\n";
        break;
      case DrbdVerb::kShLlDev:
        env.out << me.disk << "\n";
        break;
      case DrbdVerb::kShMdDev:
        env.out << (me.meta_disk.kind == rep::MetaDisk::Kind::kInternal ? me.disk
                                                                         : me.meta_disk.path)
                << "\n";
        break;
      case DrbdVerb::kShIp:
        if (me.address.empty()) {
          env.err << name << ": no address for " << me.name
                  << " in the resource file (quorated takes it from the cluster's nodelist)\n";
          rc = rc == kExitOk ? kDrbdExitConfig : rc;
        } else {
          env.out << me.address << "\n";
        }
        break;
      default:
        assert(false && "not a local verb");
        break;
    }
  }
  return rc;
}

}  // namespace

std::string_view verb_name(DrbdVerb v) { return info_of(v).name; }

std::optional<DrbdVerb> parse_verb(std::string_view s) {
  for (const auto& i : kVerbs) {
    if (i.name == s) return i.verb;
  }
  return std::nullopt;
}

VerbKind kind_of(DrbdVerb v) { return info_of(v).kind; }

Result<DrbdadmCommand> parse_drbdadm_args(const std::vector<std::string>& args) {
  DrbdadmCommand cmd;
  std::vector<std::string> positional;
  bool help = false;
  bool overwrite = false;
  bool force = false;
  // Long options the tool does not know: settings for net-options and
  // disk-options, an error for every other command (checked once the
  // command is known).
  std::vector<std::pair<std::string, size_t>> unknown;  // (argument, its number)
  auto apply = [&](const OptInfo& o, std::string value) {
    switch (o.opt) {
      case Opt::kConfigFile:
        cmd.config_file = std::move(value);
        break;
      case Opt::kDryRun:
        cmd.dry_run = true;
        break;
      case Opt::kSocket:
        cmd.socket = std::move(value);
        break;
      case Opt::kNode:
        cmd.node = std::move(value);
        break;
      case Opt::kJson:
        cmd.json = true;
        break;
      case Opt::kHelp:
        help = true;
        break;
      case Opt::kForce:
        force = true;
        break;
      case Opt::kOverwriteDataOfPeer:
        overwrite = true;
        break;
      case Opt::kDiscardMyData:
        cmd.discard_my_data = true;
        break;
      case Opt::kVerbose:
        cmd.verbose = true;
        break;
      case Opt::kStatistics:
        cmd.statistics = true;
        break;
    }
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    const size_t argno = i + 1;
    if (a == "--") continue;  // drbdadm's separator before backend options
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      const OptInfo* o = find_long(name);
      if (o == nullptr) {
        unknown.emplace_back(a.substr(2), argno);
        continue;
      }
      std::string value;
      if (eq != std::string::npos) {
        if (!o->takes_value) {
          return Error{fmt::format("option '--{}' takes no value (argument {})", name, argno)};
        }
        value = a.substr(eq + 1);
      } else if (o->takes_value) {
        if (i + 1 >= args.size()) {
          return Error{fmt::format("option '--{}' needs a value (argument {})", name, argno)};
        }
        value = args[++i];
      }
      if (o->takes_value && value.empty()) {
        return Error{fmt::format("option '--{}' needs a non-empty value (argument {})", name, argno)};
      }
      apply(*o, std::move(value));
      continue;
    }
    if (a.size() > 1 && a[0] == '-') {
      for (size_t k = 1; k < a.size(); ++k) {
        const OptInfo* o = find_short(a[k]);
        if (o == nullptr) {
          return Error{fmt::format("unknown option '-{}' (argument {})", a[k], argno)};
        }
        if (!o->takes_value) {
          apply(*o, {});
          continue;
        }
        std::string value = a.substr(k + 1);
        if (value.empty()) {
          if (i + 1 >= args.size()) {
            return Error{fmt::format("option '-{}' needs a value (argument {})", a[k], argno)};
          }
          value = args[++i];
        }
        if (value.empty()) {
          return Error{fmt::format("option '-{}' needs a non-empty value (argument {})", a[k], argno)};
        }
        apply(*o, std::move(value));
        break;
      }
      continue;
    }
    if (a.empty()) return Error{fmt::format("empty argument (argument {})", argno)};
    positional.push_back(a);
  }
  if (positional.empty()) {
    if (help) return cmd;  // kHelp
    return Error{"missing command"};
  }
  const auto verb = parse_verb(positional[0]);
  if (!verb) return Error{fmt::format("Unknown command '{}'", positional[0])};
  cmd.verb = help ? DrbdVerb::kHelp : *verb;
  cmd.resources.assign(positional.begin() + 1, positional.end());
  const bool takes_settings = cmd.verb == DrbdVerb::kNetOptions || cmd.verb == DrbdVerb::kDiskOptions;
  for (const auto& [arg, no] : unknown) {
    const std::string name = arg.substr(0, arg.find('='));
    if (!takes_settings || name.empty()) return Error{fmt::format("unknown option '--{}' (argument {})", name, no)};
    if (arg.find('=') == std::string::npos) {
      cmd.settings.push_back(arg + "=yes");
    } else if (arg.size() == name.size() + 1) {
      return Error{fmt::format("option '--{}' needs a non-empty value (argument {})", name, no)};
    } else {
      cmd.settings.push_back(arg);
    }
  }
  if (cmd.verb == DrbdVerb::kHelp) return cmd;
  if (takes_settings && cmd.settings.empty()) {
    return Error{fmt::format("'{}' needs at least one --KEY[=VALUE] setting (e.g. --allow-two-primaries, "
                             "--resync-rate=110M)",
                             positional[0])};
  }

  const VerbInfo& info = info_of(cmd.verb);
  const std::string vname(info.name);
  auto not_for = [&vname](std::string_view option) {
    return Error{fmt::format("option '--{}' is not valid for '{}'", option, vname)};
  };
  if (force && cmd.verb != DrbdVerb::kPrimary && cmd.verb != DrbdVerb::kSecondary &&
      cmd.verb != DrbdVerb::kCreateMd) {
    return not_for("force");
  }
  if (overwrite && cmd.verb != DrbdVerb::kPrimary) return not_for("overwrite-data-of-peer");
  cmd.force = force || overwrite;
  if (cmd.discard_my_data && cmd.verb != DrbdVerb::kConnect) return not_for("discard-my-data");
  if (cmd.statistics && cmd.verb != DrbdVerb::kStatus) return not_for("statistics");
  if (cmd.json && info.kind != VerbKind::kStatus) return not_for("json");
  const auto n = static_cast<int>(cmd.resources.size());
  if (n < info.min_resources) {
    return Error{fmt::format("'{}' needs a resource name (or 'all')", vname)};
  }
  if (info.max_resources != kAnyCount && n > info.max_resources) {
    return Error{fmt::format("'{}' takes no resource name (got '{}')", vname, cmd.resources[0])};
  }
  for (const auto& r : cmd.resources) {
    const bool ok = std::all_of(r.begin(), r.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    });
    if (!ok) return Error{fmt::format("'{}' is not a valid resource name", r)};
  }
  return cmd;
}

int daemon_error_exit_code(std::string_view message) {
  std::string lower(message);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  // Not just "config": DRBD's "Multiple primaries not allowed by config" is a
  // state change refusal.
  static constexpr std::array<std::string_view, 7> kConfigWords = {
      "not defined",   "no such resource",    "unknown resource", "no resources",
      "no host named", "configuration error", "resource file"};
  for (auto w : kConfigWords) {
    if (lower.find(w) != std::string::npos) return kDrbdExitConfig;
  }
  return kDrbdExitStateChange;
}

Result<rep::ReplicationConfig> load_drbd_config(const std::optional<std::string>& config_file,
                                                std::vector<std::string>* warnings,
                                                const std::string& default_dir,
                                                const std::string& default_file) {
  if (config_file) return rep::load_replication_config(*config_file, warnings);
  std::error_code ec;
  if (std::filesystem::is_directory(default_dir, ec)) {
    return rep::load_replication_dir(default_dir, warnings);
  }
  if (std::filesystem::exists(default_file, ec)) {
    return rep::load_replication_config(default_file, warnings);
  }
  return Error{fmt::format("no resource files: neither {} nor {} exists (-c FILE names one)",
                           default_dir, default_file)};
}

std::string resolve_node_name(const std::optional<std::string>& flag, ToolEnv& env) {
  if (flag && !flag->empty()) return *flag;
  if (env.getenv) {
    if (auto v = env.getenv("QUORATE_NODE"); v && !v->empty()) return *v;
  }
  struct utsname u {};
  if (::uname(&u) == 0) return u.nodename;
  return {};
}

std::string dry_run_line(const DrbdadmCommand& cmd, const std::string& resource,
                         const rep::ResourceConfig* res, std::string_view node) {
  std::string line = fmt::format("quorated: {} {}", verb_name(cmd.verb), resource);
  std::vector<std::string> details;
  const rep::HostConfig* me = nullptr;
  const rep::HostConfig* peer = nullptr;
  if (res != nullptr) {
    if (auto lp = rep::local_and_peer(*res, node); lp.ok()) {
      me = lp->first;
      peer = lp->second;
    }
  }
  if (me != nullptr && peer != nullptr) {
    switch (cmd.verb) {
      case DrbdVerb::kUp:
        details.push_back("attach " + me->disk);
        details.push_back("connect " + peer_text(*peer));
        break;
      case DrbdVerb::kAttach:
        details.push_back(fmt::format("attach {}, meta-disk {}", me->disk, meta_disk_text(*me)));
        break;
      case DrbdVerb::kCreateMd:
        details.push_back(fmt::format("meta data for {} on {}", me->disk, meta_disk_text(*me)));
        break;
      case DrbdVerb::kConnect:
        details.push_back("connect " + peer_text(*peer));
        break;
      case DrbdVerb::kAdjust:
        details.push_back(fmt::format("disk {}, peer {}", me->disk, peer_text(*peer)));
        break;
      default:
        break;
    }
  }
  if (cmd.force) details.push_back(cmd.verb == DrbdVerb::kCreateMd ? "--force: overwrite" : "force");
  if (cmd.discard_my_data) details.push_back("discard my data");
  if (!details.empty()) line += " (" + join(details, ", ") + ")";
  return line;
}

int drbdadm_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  auto parsed = parse_drbdadm_args(args);
  if (!parsed.ok()) {
    env.err << prog << ": " << parsed.error().message << "\n"
            << "Try '" << prog << " --help'.\n";
    return kDrbdExitUsage;
  }
  const DrbdadmCommand& cmd = *parsed;
  switch (kind_of(cmd.verb)) {
    case VerbKind::kHelp:
      usage(prog, env.out);
      return kExitOk;
    case VerbKind::kCommand:
      return run_command(prog, cmd, env);
    case VerbKind::kStatus:
      if (cmd.dry_run) {
        env.out << "quorated: " << verb_name(cmd.verb) << " " << join(cmd.resources, " ")
                << " (read only)\n";
        return kExitOk;
      }
      return run_status(prog, cmd, env);
    case VerbKind::kLocal:
      return run_local(prog, cmd, env);
  }
  return kExitOk;
}

namespace {

constexpr int kOptProc = 1000;
constexpr int kOptJson = 1001;
constexpr int kOptSocket = 1002;
constexpr int kOptStatistics = 1003;
constexpr int kOptConfig = 1004;

void replica_usage(const std::string& prog, std::ostream& out) {
  out << "usage: " << prog << " status [RESOURCE...] [--proc] [--verbose] [--statistics] [--json]\n"
      << "       " << prog << " overview [RESOURCE...] [--json]\n"
      << "\n"
      << "  status      DRBD 9's `drbdadm status` layout (every resource that is up)\n"
      << "  --proc      DRBD 8.4's /proc/drbd layout. /proc/drbd itself does not exist\n"
      << "              (there is no drbd kernel module): use this instead of `cat /proc/drbd`\n"
      << "  overview    drbd-overview's one line per volume, with the mount of a volume\n"
      << "              whose FUSE file is on a mounted loop device\n"
      << "  --json      the same state as JSON\n"
      << "  -c FILE     resource files for quorated to use (as drbdadm -c)\n"
      << "  --socket PATH  quorated's socket (else $QUORATE_SOCKET, else\n"
      << "              /run/quorate/quorated.sock)\n"
      << "\n"
      << "Exit codes as drbdadm's: 10 resource unknown, 20 quorated cannot be reached.\n";
}

}  // namespace

int replica_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  auto parsed = parse_options(args, "hvc:",
                              {{"proc", false, kOptProc},
                               {"json", false, kOptJson},
                               {"socket", true, kOptSocket},
                               {"verbose", false, 'v'},
                               {"statistics", false, kOptStatistics},
                               {"config-file", true, kOptConfig},
                               {"help", false, 'h'}});
  if (!parsed.ok()) {
    env.err << prog << ": " << parsed.error().message << "\n";
    replica_usage(prog, env.err);
    return kDrbdExitUsage;
  }
  bool proc = false, json = false, help = false;
  StatusOptions status_opts;
  std::optional<std::string> socket, config;
  for (const auto& o : parsed->options) {
    switch (o.key) {
      case kOptProc: proc = true; break;
      case kOptJson: json = true; break;
      case kOptSocket: socket = o.value; break;
      case kOptStatistics: status_opts.statistics = true; break;
      case kOptConfig:
      case 'c': config = o.value; break;
      case 'v': status_opts.verbose = true; break;
      case 'h': help = true; break;
      default: break;
    }
  }
  const auto& pos = parsed->positional;
  if (help || (!pos.empty() && pos[0] == "help")) {
    replica_usage(prog, env.out);
    return kExitOk;
  }
  if (pos.empty() || (pos[0] != "status" && pos[0] != "overview")) {
    env.err << prog << ": "
            << (pos.empty() ? std::string("missing subcommand") : "unknown subcommand '" + pos[0] + "'")
            << "\n";
    replica_usage(prog, env.err);
    return kDrbdExitUsage;
  }
  const bool overview = pos[0] == "overview";
  if (overview && proc) {
    env.err << prog << ": --proc is an option of 'status'\n";
    return kDrbdExitUsage;
  }
  const std::vector<std::string> resources(pos.begin() + 1, pos.end());
  std::vector<std::pair<std::string, std::vector<ReplicaEntry>>> fetched;
  if (int rc = fetch_replicas(prog, resources, config, socket, env, &fetched); rc != kExitOk) {
    return rc;
  }
  int rc = kExitOk;
  ReplicaList all, up;
  for (const auto& [name, entries] : fetched) {
    if (name != "all" && entries.empty()) {
      env.err << name << ": No such resource\n";
      rc = kDrbdExitConfig;
    }
    for (const auto& e : entries) {
      all.push_back(e.status);
      if (e.up) up.push_back(e.status);
    }
  }
  if (json) {
    env.out << replicas_json(up).dump(2) << "\n";
  } else if (overview) {
    env.out << render_drbd_overview(up, find_overview_mounts(up));
  } else if (proc) {
    std::sort(all.begin(), all.end(),
              [](const rep::ReplicaStatus& a, const rep::ReplicaStatus& b) { return a.minor < b.minor; });
    env.out << render_proc_drbd(all, {});
  } else {
    env.out << render_drbd_status(up, status_opts);
  }
  return rc;
}

int drbd_overview_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  std::vector<std::string> with_verb{"overview"};
  with_verb.insert(with_verb.end(), args.begin(), args.end());
  return replica_main(prog, with_verb, env);
}

}  // namespace quorate::cli
