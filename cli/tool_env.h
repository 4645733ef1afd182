// ToolEnv: everything a `quorate` subcommand touches outside itself — its
// output streams, the IPC transport, the environment and the clock — passed
// in so that tests can run a tool against a fake daemon and capture what it
// prints and the exit code it returns. real_tool_env() wires the real ones.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <ostream>
#include <string>

#include "cli/ipc_client.h"
#include "common/result.h"
#include "proto/ipc.pb.h"

namespace quorate::cli {

// Sends one request to the daemon at `socket_path`. On failure, sets
// `failure->connect_failed` when nothing answered at that path.
using IpcTransport = std::function<Result<ipc::Response>(
    const std::string& socket_path, const ipc::Request& request, IpcFailure* failure)>;

struct ToolEnv {
  std::ostream& out;
  std::ostream& err;
  IpcTransport call;
  std::optional<std::string> socket_env;  // $QUORATE_SOCKET
  std::function<int64_t()> now_unix_ms;   // wall clock, for "Date:"
  std::function<void(std::chrono::milliseconds)> sleep;
  std::string self_exe;         // path of the running executable
  std::istream* in = nullptr;   // standard input (nullptr: none)
  bool in_is_terminal = false;  // standard input is a terminal (interactive shells)
  // The process environment ($CIB_file ...); nullptr or unset: no variables.
  std::function<std::optional<std::string>(const std::string& name)> getenv{};
};

ToolEnv real_tool_env();

// Exit codes shared by the tools.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;       // also: daemon not running (as Corosync's tools)
inline constexpr int kExitNotQuorate = 2;    // corosync-quorumtool -s on a non-quorate node
inline constexpr int kExitUsage = 2;         // bad option value (as corosync-quorumtool)
inline constexpr int kExitNotAvailable = 3;  // command whose layer is not in this build

// The "not in this build yet" report, kept in one place:
// prints "quorate: 'NAME' is not available in this build yet" and returns 3.
int report_not_available(const std::string& name, std::ostream& err);

std::string quorate_version();

}  // namespace quorate::cli
