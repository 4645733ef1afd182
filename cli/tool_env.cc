// The real ToolEnv (std streams, Unix-socket IPC, system clock) and the
// messages every tool shares.
#include "cli/tool_env.h"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <thread>

#ifndef QUORATE_VERSION
#define QUORATE_VERSION "unknown"
#endif

namespace quorate::cli {

namespace {

std::string read_self_exe() {
  std::string buf(4096, '\0');
  const ssize_t n = ::readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return {};
  buf.resize(static_cast<size_t>(n));
  return buf;
}

}  // namespace

ToolEnv real_tool_env() {
  const char* env = std::getenv("QUORATE_SOCKET");
  return ToolEnv{
      std::cout,
      std::cerr,
      [](const std::string& path, const ipc::Request& request, IpcFailure* failure) {
        // A replica command may wait for the peer, a fence-peer handler (a
        // STONITH can take a minute) or a volume's meta data; drbdsetup
        // waits for state changes without a limit, we give them 5 minutes.
        const auto timeout = request.has_replica_command() ? kReplicaCommandTimeout : kDefaultIpcTimeout;
        return ipc_call(path, request, timeout, failure);
      },
      env != nullptr ? std::optional<std::string>(env) : std::nullopt,
      [] {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
      },
      [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); },
      read_self_exe(),
      &std::cin,
      ::isatty(STDIN_FILENO) == 1,
      [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
      },
  };
}

int report_not_available(const std::string& name, std::ostream& err) {
  err << "quorate: '" << name << "' is not available in this build yet\n";
  return kExitNotAvailable;
}

std::string quorate_version() { return QUORATE_VERSION; }

}  // namespace quorate::cli
