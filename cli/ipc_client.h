// Blocking client side of the quorated admin IPC (docs/formats/ipc.md): connect
// to the Unix socket, send one framed Request, read the framed Response whose
// id matches. Every wait has a deadline.
//
// Also: which socket a tool talks to (--socket PATH, else $QUORATE_SOCKET,
// else /run/quorate/quorated.sock).
//
// IpcClient is move-only and owns its socket; not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"
#include "proto/ipc.pb.h"

namespace quorate::cli {

inline constexpr const char* kDefaultSocketPath = "/run/quorate/quorated.sock";
inline constexpr std::chrono::milliseconds kDefaultIpcTimeout{10'000};
inline constexpr std::chrono::milliseconds kReplicaCommandTimeout{300'000};

// flag (if given and non-empty) > env (if non-null and non-empty) > default.
std::string resolve_socket_path(const std::optional<std::string>& flag, const char* env);

// Why a call failed. `connect_failed` distinguishes "no daemon there" from a
// daemon that misbehaved after accepting.
struct IpcFailure {
  std::string message;  // "cannot connect to PATH: No such file or directory"
  bool connect_failed = false;
};

class IpcClient {
 public:
  static Result<IpcClient> connect(const std::string& path, std::chrono::milliseconds timeout,
                                   IpcFailure* failure = nullptr);
  IpcClient(IpcClient&& other) noexcept;
  IpcClient& operator=(IpcClient&& other) noexcept;
  IpcClient(const IpcClient&) = delete;
  IpcClient& operator=(const IpcClient&) = delete;
  ~IpcClient();

  // Assigns the next request id, sends, waits for the matching Response.
  Result<ipc::Response> call(ipc::Request request, std::chrono::milliseconds timeout);

 private:
  explicit IpcClient(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
  uint64_t next_id_ = 1;
};

// connect + call + close. On failure, `failure` (if given) says whether the
// connection itself failed.
Result<ipc::Response> ipc_call(const std::string& path, const ipc::Request& request,
                               std::chrono::milliseconds timeout = kDefaultIpcTimeout,
                               IpcFailure* failure = nullptr);

}  // namespace quorate::cli
