// Entry points of the `quorate` subcommands and compatibility names. Each
// takes its arguments (without the program name) and a ToolEnv, prints to
// env.out / env.err and returns the process exit code. `prog` is the name to
// show in usage text ("corosync-quorumtool" or "quorate quorum").
#pragma once

#include <string>
#include <vector>

#include "cli/tool_env.h"

namespace quorate::cli {

// corosync-quorumtool == quorate quorum
int quorumtool_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);
// corosync-cfgtool == quorate ring
int cfgtool_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);
// quorate cluster up|down|status
int cluster_main(const std::vector<std::string>& args, ToolEnv& env);
// quorate keygen [-k FILE] [-s BYTES]
int keygen_main(const std::vector<std::string>& args, ToolEnv& env);

// Reads arguments that start with a typographic dash (U+2013, U+2014, as
// pasted from web pages) as the ASCII "-" or "--" meant, noting each on `err`.
std::vector<std::string> normalize_dashes(std::vector<std::string> args, std::ostream& err);

// The multi-call dispatcher: basename(argv[0]) first, else the first argument.
int quorate_main(const std::vector<std::string>& argv, ToolEnv& env);

// Sends `request` to the daemon. On failure prints, to env.err,
// `init_failure_line` (when nothing answered at the socket, in the style of
// Corosync's "Cannot initialize QUORUM service") and the reason with the
// socket path, and returns false.
bool call_daemon(ToolEnv& env, const std::string& socket_path, const ipc::Request& request,
                 const std::string& init_failure_line, ipc::Response* response);

}  // namespace quorate::cli
