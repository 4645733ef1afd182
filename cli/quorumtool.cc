// corosync-quorumtool (also `quorate quorum`): the options, output and exit
// codes of Corosync 3's tool, over quorated's IPC. Exit codes: 0 fine (for -s:
// quorate), 2 for -s when not quorate and for invalid option values, 1 when
// quorated cannot be reached or refuses a change.
#include <fmt/format.h>

#include <sstream>
#include <string>
#include <vector>

#include "cli/options.h"
#include "cli/render.h"
#include "cli/tools.h"

namespace quorate::cli {

namespace {

enum class Command { kStatus, kList, kMonitor, kSetVotes, kSetExpected, kUnregisterQdevice, kHelp };

constexpr int kOptJson = 1000;
constexpr int kOptSocket = 1001;

void usage(const std::string& prog, std::ostream& out) {
  out << "usage: \n"
      << prog << " <options>\n"
      << "\n"
      << "  options:\n"
      << "\n"
      << "  -s             show quorum status\n"
      << "  -m             constantly monitor quorum status\n"
      << "  -l             list nodes\n"
      << "  -a             show all names or addresses for each node\n"
      << "  -p             when used with -s or -l, generates machine parsable output\n"
      << "  -v <votes>     change the number of votes for a node (*)\n"
      << "  -n <nodeid>    optional nodeid of node for -v\n"
      << "  -e <expected>  change expected votes for the cluster (*)\n"
      << "  -H             show nodeids in hexadecimal rather than decimal\n"
      << "  -i             show node IP addresses instead of the resolved name\n"
      << "  -o <a|n|i>     order by [a] IP address (default), [n] name, [i] nodeid\n"
      << "  -f             forcefully unregister a quorum device *DANGEROUS* (*)\n"
      << "  -h             show this help text\n"
      << "  -V             show version and exit\n"
      << "  --json         with -s or -l: print the status as one JSON object\n"
      << "  --socket PATH  quorated's IPC socket (else $QUORATE_SOCKET, else\n"
      << "                 /run/quorate/quorated.sock)\n"
      << "\n"
      << "  (*) Starred items only work if votequorum is the quorum provider\n"
      << "\n";
}

const std::string kInitFailure = "Cannot initialize QUORUM service";

// Fetches the quorum status; prints the failure and returns false otherwise.
bool fetch_status(ToolEnv& env, const std::string& socket, ipc::QuorumStatus* status) {
  ipc::Request request;
  request.mutable_quorum_status();
  ipc::Response response;
  if (!call_daemon(env, socket, request, kInitFailure, &response)) return false;
  if (!response.error().empty()) {
    env.err << "Unable to get quorum status: " << response.error() << "\n";
    return false;
  }
  if (!response.has_quorum_status()) {
    env.err << "Unable to get quorum status: unexpected answer from quorated\n";
    return false;
  }
  *status = response.quorum_status();
  if (status->now_unix_ms() == 0) status->set_now_unix_ms(env.now_unix_ms());
  return true;
}

// A status without the parts that change on every call (for -m).
std::string change_key(ipc::QuorumStatus status) {
  status.clear_now_unix_ms();
  std::string key;
  (void)status.SerializeToString(&key);
  return key;
}

}  // namespace

int quorumtool_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  auto parsed = parse_options(args, "VHaslpmfe:v:hin:o:",
                              {{"json", false, kOptJson},
                               {"socket", true, kOptSocket},
                               {"help", false, 'h'},
                               {"version", false, 'V'}});
  if (!parsed.ok()) {
    env.err << prog << ": " << parsed.error().message << "\n";
    usage(prog, env.err);
    return kExitFailure;
  }

  Command command = Command::kStatus;
  QuorumRenderOptions render;
  bool json = false;
  std::optional<std::string> socket_flag;
  uint32_t number = 0;
  uint32_t nodeid = 0;
  bool nodeid_set = false;
  for (const auto& opt : parsed->options) {
    switch (opt.key) {
      case 's':
        command = Command::kStatus;
        break;
      case 'l':
        command = Command::kList;
        break;
      case 'm':
        command = Command::kMonitor;
        break;
      case 'f':
        command = Command::kUnregisterQdevice;
        break;
      case 'a':
        break;  // one address per node: nothing more to show
      case 'p':
        render.machine_parsable = true;
        break;
      case 'H':
        render.hex_nodeids = true;
        break;
      case 'i':
        render.show_addresses = true;
        break;
      case 'h':
        command = Command::kHelp;
        break;
      case 'V':
        env.out << "corosync-quorumtool version: " << quorate_version() << " (quorate)\n";
        return kExitOk;
      case 'e':
        if (!parse_uint32(opt.value, &number) || number == 0) {
          env.err << "New expected votes value was not valid, try a positive number\n";
          return kExitUsage;
        }
        command = Command::kSetExpected;
        break;
      case 'v':
        if (!parse_uint32(opt.value, &number)) {
          env.err << "New votes value was not valid, try a positive number or zero\n";
          return kExitUsage;
        }
        command = Command::kSetVotes;
        break;
      case 'n':
        if (!parse_uint32(opt.value, &nodeid) || nodeid == 0) {
          env.err << "The nodeid was not valid, try a positive number\n";
          return kExitUsage;
        }
        nodeid_set = true;
        break;
      case 'o':
        if (opt.value == "a") {
          render.order = MemberOrder::kAddress;
        } else if (opt.value == "n") {
          render.order = MemberOrder::kName;
        } else if (opt.value == "i") {
          render.order = MemberOrder::kNodeid;
        } else {
          env.err
              << "Invalid ordering option. valid orders are a(address), i(node ID) or n(name)\n";
          return kExitUsage;
        }
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
  if (!parsed->positional.empty()) {
    env.err << prog << ": unexpected argument '" << parsed->positional.front() << "'\n";
    usage(prog, env.err);
    return kExitFailure;
  }
  if (command == Command::kHelp) {
    usage(prog, env.out);
    return kExitOk;
  }
  const std::string socket =
      resolve_socket_path(socket_flag, env.socket_env ? env.socket_env->c_str() : nullptr);

  switch (command) {
    case Command::kStatus:
    case Command::kList: {
      ipc::QuorumStatus status;
      if (!fetch_status(env, socket, &status)) return kExitFailure;
      if (json) {
        env.out << quorum_status_json(status).dump(2) << "\n";
      } else if (command == Command::kStatus) {
        env.out << render_quorum_status(status, render);
      } else {
        env.out << render_membership(status, render);
      }
      if (command == Command::kStatus && !status.quorate()) return kExitNotQuorate;
      return kExitOk;
    }
    case Command::kMonitor: {
      std::string last;
      for (;;) {
        ipc::QuorumStatus status;
        if (!fetch_status(env, socket, &status)) return kExitFailure;
        std::string key = change_key(status);
        if (key != last) {
          if (json) {
            env.out << quorum_status_json(status).dump() << "\n";
          } else {
            env.out << render_quorum_status(status, render) << "\n";
          }
          env.out.flush();
          last = std::move(key);
        }
        env.sleep(std::chrono::milliseconds(1000));
      }
    }
    case Command::kSetExpected: {
      ipc::Request request;
      request.mutable_set_expected_votes()->set_expected_votes(number);
      ipc::Response response;
      if (!call_daemon(env, socket, request, kInitFailure, &response)) return kExitFailure;
      if (!response.error().empty()) {
        env.err << "Unable to set expected votes: " << response.error() << "\n";
        return kExitFailure;
      }
      return kExitOk;
    }
    case Command::kSetVotes: {
      if (!nodeid_set) {
        ipc::Request ping;
        ping.mutable_ping();
        ipc::Response pong;
        if (!call_daemon(env, socket, ping, kInitFailure, &pong)) return kExitFailure;
        if (!pong.error().empty() || !pong.has_pong()) {
          env.err << "Unable to retrieve this_node_id"
                  << (pong.error().empty() ? "" : ": " + pong.error()) << "\n";
          return kExitFailure;
        }
        nodeid = pong.pong().local_nodeid();
      }
      ipc::Request request;
      request.mutable_set_votes()->set_nodeid(nodeid);
      request.mutable_set_votes()->set_votes(number);
      ipc::Response response;
      if (!call_daemon(env, socket, request, kInitFailure, &response)) return kExitFailure;
      if (!response.error().empty()) {
        env.err << fmt::format("Unable to set votes {} for nodeid: {}: {}\n", number, nodeid,
                               response.error());
        return kExitFailure;
      }
      return kExitOk;
    }
    case Command::kUnregisterQdevice:
      // Quorate has no quorum device; Corosync also succeeds silently when
      // none is registered.
      return kExitOk;
    case Command::kHelp:
      break;
  }
  return kExitOk;
}

}  // namespace quorate::cli
