// The multi-call dispatcher of `quorate`: picks the tool from the name it was
// started under (build/bin/corosync-quorumtool -> quorate ...), else from the
// first argument ("quorate quorum -s"). Names whose layer is not in this build
// yet are listed here with no handler and get report_not_available().
#include <array>
#include <cctype>
#include <string>
#include <string_view>
#include <vector>

#include "cli/crm.h"
#include "cli/crm_tools.h"
#include "cli/drbdadm.h"
#include "cli/simulate.h"
#include "cli/tools.h"

namespace quorate::cli {

namespace {

using ToolFn = int (*)(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);

struct Tool {
  std::string_view name;        // compatibility name (argv[0]) or subcommand
  std::string_view subcommand;  // `quorate SUBCOMMAND` spelling, "" if none
  ToolFn run;                   // nullptr: not in this build yet
};

int run_cluster(const std::string&, const std::vector<std::string>& args, ToolEnv& env) {
  return cluster_main(args, env);
}
int run_keygen(const std::string&, const std::vector<std::string>& args, ToolEnv& env) {
  return keygen_main(args, env);
}

constexpr std::array kTools = {
    Tool{"corosync-quorumtool", "quorum", quorumtool_main},
    Tool{"corosync-cfgtool", "ring", cfgtool_main},
    Tool{"crm", "crm", crm_main},
    Tool{"crm_mon", "", crm_mon_main},
    Tool{"crm_standby", "", crm_standby_main},
    Tool{"crm_resource", "", crm_resource_main},
    Tool{"crm_simulate", "simulate", simulate_main},
    Tool{"drbdadm", "", drbdadm_main},
    Tool{"drbd-overview", "", drbd_overview_main},
    Tool{"", "replica", replica_main},
    Tool{"", "cluster", run_cluster},
    Tool{"", "keygen", run_keygen},
};

void usage(std::ostream& out) {
  out << "usage: quorate COMMAND [ARGS...]\n"
      << "\n"
      << "commands:\n"
      << "  quorum ...    membership and quorum (same options as corosync-quorumtool)\n"
      << "  ring ...      totem link status (same options as corosync-cfgtool)\n"
      << "  cluster up|down|status [--nodes N] [--dir DIR] [--port P] [--bin DIR]\n"
      << "                a local cluster of N quorated on 127.0.0.x\n"
      << "  crm configure [COMMAND ARGS...]\n"
      << "                edit the CIB file named by $CIB_file in crm syntax (same as crm)\n"
      << "  crm_mon [-1rnfALo] [--json] | crm_standby -N NODE -v on|off | crm_resource ...\n"
      << "                the CIB tools, on the CIB file named by $CIB_file\n"
      << "  simulate -x CIB.xml [-S] [--json]\n"
      << "                offline scheduler run on a CIB file (same as crm_simulate)\n"
      << "  replica status [RES...] [--proc] [--json]\n"
      << "                replicated volumes: DRBD 9 status, or --proc for the /proc/drbd\n"
      << "                layout (there is no /proc/drbd: use this instead of cat /proc/drbd)\n"
      << "  replica overview\n"
      << "                drbd-overview lines\n"
      << "  drbdadm ...   replicated volumes, as DRBD's drbdadm (drbdadm --help)\n"
      << "  keygen [-k FILE]\n"
      << "                write a new authkey (default /etc/quorate/authkey)\n"
      << "  version       print the version\n"
      << "\n"
      << "quorate also answers to corosync-quorumtool, corosync-cfgtool, crm, crm_mon,\n"
      << "crm_standby, crm_resource, crm_simulate and drbdadm when started under those\n"
      << "names. Status commands take --json; every command finds quorated through\n"
      << "--socket PATH, else $QUORATE_SOCKET, else /run/quorate/quorated.sock.\n";
}

std::string basename_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

int run_tool(const Tool& tool, const std::string& prog, const std::vector<std::string>& args,
             ToolEnv& env) {
  if (tool.run == nullptr) return report_not_available(std::string(tool.name), env.err);
  return tool.run(prog, args, env);
}

}  // namespace

bool call_daemon(ToolEnv& env, const std::string& socket_path, const ipc::Request& request,
                 const std::string& init_failure_line, ipc::Response* response) {
  IpcFailure failure;
  auto result = env.call(socket_path, request, &failure);
  if (result.ok()) {
    *response = std::move(result).value();
    return true;
  }
  if (failure.connect_failed) {
    env.err << init_failure_line << "\n"
            << "quorate: " << result.error().message
            << " (is quorated running? --socket PATH or $QUORATE_SOCKET name another socket)\n";
  } else {
    env.err << "quorate: " << result.error().message << "\n";
  }
  return false;
}

std::vector<std::string> normalize_dashes(std::vector<std::string> args, std::ostream& err) {
  // Guides on the web print "-l" and "--force" with typographic dashes
  // (U+2013 en dash, U+2014 em dash): "corosync-quorumtool –l",
  // "drbdadm secondary –force r0". Operators paste them; take them as the
  // ASCII dashes they meant, and say so.
  static constexpr std::string_view kDashes[] = {"\xE2\x80\x93", "\xE2\x80\x94"};
  for (auto& a : args) {
    for (auto dash : kDashes) {
      if (a.size() > dash.size() && a.compare(0, dash.size(), dash) == 0) {
        std::string fixed = (a.size() > dash.size() + 1 &&
                             std::isalpha(static_cast<unsigned char>(a[dash.size()])) &&
                             std::isalpha(static_cast<unsigned char>(a[dash.size() + 1])))
                                ? "--" + a.substr(dash.size())
                                : "-" + a.substr(dash.size());
        err << "quorate: note: read '" << a << "' as '" << fixed << "' (a typographic dash)\n";
        a = fixed;
        break;
      }
    }
  }
  return args;
}

int quorate_main(const std::vector<std::string>& raw_argv, ToolEnv& env) {
  const std::vector<std::string> argv = normalize_dashes(raw_argv, env.err);
  const std::string self = argv.empty() ? "quorate" : basename_of(argv[0]);
  const std::vector<std::string> rest(argv.empty() ? argv.end() : argv.begin() + 1, argv.end());

  for (const auto& tool : kTools) {
    if (!tool.name.empty() && self == tool.name) return run_tool(tool, self, rest, env);
  }

  if (rest.empty() || rest[0] == "help" || rest[0] == "-h" || rest[0] == "--help") {
    usage(rest.empty() ? env.err : env.out);
    return rest.empty() ? kExitFailure : kExitOk;
  }
  const std::string& command = rest[0];
  if (command == "version" || command == "--version" || command == "-V") {
    env.out << "quorate " << quorate_version() << "\n";
    return kExitOk;
  }
  const std::vector<std::string> args(rest.begin() + 1, rest.end());
  for (const auto& tool : kTools) {
    if (command == tool.subcommand) return run_tool(tool, "quorate " + command, args, env);
    // `quorate crm_mon ...` works like the compatibility name.
    if (!tool.name.empty() && command == tool.name) return run_tool(tool, command, args, env);
  }
  env.err << "quorate: unknown command '" << command << "'\n";
  usage(env.err);
  return kExitFailure;
}

}  // namespace quorate::cli
