// corosync-cfgtool (also `quorate ring`): Corosync 3's link status view (-s,
// -b, -i), node addresses (-a) and clean shutdown (-H, sent as a leave
// request), over quorated's IPC. Options Corosync has that quorate does not
// implement yet (-n, -R, -L, -k) are refused with a message and exit 1.
#include <fmt/format.h>

#include <string>
#include <vector>

#include "cli/options.h"
#include "cli/render.h"
#include "cli/tools.h"

namespace quorate::cli {

namespace {

enum class Action { kNone, kLinkStatus, kShowAddress, kShutdown, kHelp };

constexpr int kOptJson = 1000;
constexpr int kOptSocket = 1001;
constexpr int kOptForce = 1002;

void usage(const std::string& prog, std::ostream& out) {
  out << prog << " [[-i <interface ip>] [-b] -s] [-R] [-L] [-k nodeid] [-a nodeid] [-h] [-H]\n\n"
      << "A tool for displaying and configuring active parameters within quorated.\n"
      << "options:\n"
      << "\t-i\tFinds only information about the specified interface IP address or link id "
         "when used with -s..\n"
      << "\t-s\tDisplays the status of the current links on this node.\n"
      << "\t-n\tDisplays the status of the connected nodes and their links (not yet).\n"
      << "\t-b\tDisplays the brief status of the current links on this node when used with -s.\n"
      << "\t-R\tTell all instances to reload the configuration (not yet).\n"
      << "\t-L\tTell quorated to reopen all logging files (not yet).\n"
      << "\t-k\tKill a node identified by node id (not yet).\n"
      << "\t-a\tDisplay the IP address(es) of a node\n"
      << "\t-h\tPrint basic usage.\n"
      << "\t-H\tShutdown quorated cleanly on this node.\n"
      << "\t--json\tWith -s: print the link status as one JSON object.\n"
      << "\t--socket PATH\tquorated's IPC socket (else $QUORATE_SOCKET, else "
         "/run/quorate/quorated.sock)\n";
}

const std::string kInitFailure = "Could not initialize corosync configuration API";

bool fetch_ring(ToolEnv& env, const std::string& socket, ipc::RingStatus* status) {
  ipc::Request request;
  request.mutable_ring_status();
  ipc::Response response;
  if (!call_daemon(env, socket, request, kInitFailure, &response)) return false;
  if (!response.error().empty()) {
    env.err << "Could not get the link status, the error is: " << response.error() << "\n";
    return false;
  }
  if (!response.has_ring_status()) {
    env.err << "Could not get the link status: unexpected answer from quorated\n";
    return false;
  }
  *status = response.ring_status();
  return true;
}

}  // namespace

int cfgtool_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  auto parsed = parse_options(args, "i:snbrRLk:a:hH",
                              {{"if", true, 'i'},
                               {"status", false, 's'},
                               {"nodes", false, 'n'},
                               {"brief", false, 'b'},
                               {"reload", false, 'R'},
                               {"reopen", false, 'L'},
                               {"kill", true, 'k'},
                               {"address", true, 'a'},
                               {"shutdown", false, 'H'},
                               {"force", false, kOptForce},
                               {"help", false, 'h'},
                               {"json", false, kOptJson},
                               {"socket", true, kOptSocket}});
  if (!parsed.ok()) {
    env.err << prog << ": " << parsed.error().message << "\n";
    return kExitFailure;
  }
  Action action = Action::kNone;
  RingRenderOptions render;
  bool json = false;
  std::optional<std::string> socket_flag;
  uint32_t nodeid = 0;
  for (const auto& opt : parsed->options) {
    switch (opt.key) {
      case 's':
        action = Action::kLinkStatus;
        break;
      case 'b':
        render.brief = true;
        break;
      case 'i':
        render.only_link = opt.value;
        break;
      case 'a':
        if (!parse_uint32(opt.value, &nodeid) || nodeid == 0) {
          env.err << "The nodeid was not valid, try a positive number\n";
          return kExitFailure;
        }
        action = Action::kShowAddress;
        break;
      case 'H':
        action = Action::kShutdown;
        break;
      case 'h':
        action = Action::kHelp;
        break;
      case 'n':
      case 'R':
      case 'L':
      case 'k':
      case 'r':
        env.err << prog << ": option -" << static_cast<char>(opt.key)
                << " is not supported by quorate yet\n";
        return kExitFailure;
      case kOptForce:
        break;
      case kOptJson:
        json = true;
        break;
      case kOptSocket:
        socket_flag = opt.value;
        break;
      default:
        break;
    }
  }
  if (action == Action::kNone || action == Action::kHelp) {
    usage(prog, env.out);
    return kExitOk;
  }
  const std::string socket =
      resolve_socket_path(socket_flag, env.socket_env ? env.socket_env->c_str() : nullptr);

  switch (action) {
    case Action::kLinkStatus: {
      ipc::RingStatus status;
      if (!fetch_ring(env, socket, &status)) return kExitFailure;
      if (json) {
        env.out << ring_status_json(status).dump(2) << "\n";
      } else {
        env.out << render_ring_status(status, render);
      }
      return kExitOk;
    }
    case Action::kShowAddress: {
      ipc::RingStatus status;
      if (!fetch_ring(env, socket, &status)) return kExitFailure;
      for (const auto& p : status.peers()) {
        if (p.nodeid() == nodeid && !p.address().empty()) {
          env.out << p.address() << "\n";
          return kExitOk;
        }
      }
      env.err << "Could not get node address for nodeid " << nodeid << "\n";
      return kExitFailure;
    }
    case Action::kShutdown: {
      ipc::Request request;
      request.mutable_leave();
      env.out << "Shutting down quorated\n";
      ipc::Response response;
      if (!call_daemon(env, socket, request, kInitFailure, &response)) return kExitFailure;
      if (!response.error().empty()) {
        env.err << "Could not shutdown (error = " << response.error() << ")\n";
        return kExitFailure;
      }
      return kExitOk;
    }
    case Action::kNone:
    case Action::kHelp:
      break;
  }
  return kExitOk;
}

}  // namespace quorate::cli
