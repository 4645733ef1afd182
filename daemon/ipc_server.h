// IpcServer: quorated's local admin socket. A Unix stream socket (mode 0666,
// so read-only users can query) that carries length-prefixed protobuf
// messages (common/ipc_frame.h, docs/formats/ipc.md): the client sends
// quorate.ipc.Request frames, the server answers each with one Response frame,
// in order, on the same connection.
//
// Identity and permission: the caller's uid/gid/pid come from SO_PEERCRED when
// the connection is accepted. A caller may change things (`may_change`) when
// its uid is 0 or the uid belongs to group "haclient" (primary or
// supplementary, looked up afresh for every connection; nothing is cached).
// Mutating requests (set_expected_votes, set_votes, leave) from other callers
// are answered with Response.error
//   "permission denied: uid N is neither root nor in group haclient"
// and never reach the handler.
//
// Robustness: a read or write that makes no progress for `idle_timeout`
// closes that connection; so do a malformed frame (length 0 or above
// kMaxIpcFrame) and a payload that does not parse as a Request. Each is
// counted in stats(); the server keeps serving everyone else. At most
// `max_connections` are open at once; a connection beyond that is answered
// with a "server busy" error and closed.
//
// Threading: everything runs on the io_context passed in, and the handler is
// called from it (one request at a time per connection). quorated runs that
// io_context on one thread, so the handler may touch daemon state without
// locks. The handler must not block for long: it delays every other client.
// (The group lookup at accept goes through NSS on this thread as well; with
// files/systemd NSS that is a local read.)
//
// Lifetime: start() binds and begins accepting. stop() (also run by the
// destructor) stops accepting, closes idle connections, lets a response being
// written finish (bounded by its deadline), and unlinks the socket path.
// Sessions keep the shared state alive, so destroying the IpcServer while the
// io_context still runs is safe; destroy the io_context last.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

// Boost.Asio 1.74's scheduler trips GCC 12's -Wnull-dereference once inlined
// (a false positive inside the library); silence it for Asio's headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include "common/result.h"
#include "proto/ipc.pb.h"

namespace quorate::daemon {

// Who is on the other end of a connection.
struct Caller {
  uint32_t uid = 0;
  uint32_t gid = 0;
  int32_t pid = 0;
  bool may_change = false;  // root, or a member of the admin group
};

using IpcHandler = std::function<ipc::Response(const ipc::Request&, const Caller&)>;
// Optional, for requests whose answer needs further I/O (drbdadm down waits
// for the meta data to reach the disk): returns true when it took the request
// and will call `reply` exactly once, later, on the io_context thread. The
// connection answers nothing else meanwhile (answers stay in order).
using IpcReply = std::function<void(ipc::Response)>;
using IpcDeferredHandler = std::function<bool(const ipc::Request&, const Caller&, IpcReply reply)>;

struct IpcServerOptions {
  std::string socket_path;                         // e.g. RUN_DIR/quorated.sock
  std::chrono::milliseconds idle_timeout{10'000};  // per read / write
  size_t max_connections = 256;
  std::string admin_group = "haclient";
  mode_t socket_mode = 0666;
  // Optional: receives one line for each connection closed abnormally
  // (timeout, malformed frame, unparsable request, accept failure). quorated
  // points it at its logger.
  std::function<void(const std::string&)> on_event;
  IpcDeferredHandler deferred;  // tried before the plain handler when set
};

struct IpcServerStats {
  uint64_t accepted = 0;        // connections accepted (including busy ones)
  uint64_t rejected_busy = 0;   // closed because max_connections were open
  uint64_t requests = 0;        // requests answered (handler or refusal)
  uint64_t denied = 0;          // mutating requests refused for permission
  uint64_t bad_frames = 0;      // connections closed for a malformed frame
  uint64_t bad_messages = 0;    // connections closed for an unparsable Request
  uint64_t timeouts = 0;        // connections closed by the idle deadline
  uint64_t truncated = 0;       // peers that closed in the middle of a frame
  size_t open_connections = 0;  // currently open
};

// True for the requests that change cluster state.
bool is_mutating(const ipc::Request& request);

// The text sent to a caller without may_change.
std::string permission_denied_message(uint32_t uid, const std::string& admin_group);

// True when `uid` (whose primary group is `primary_gid`) is root or belongs to
// `group` by name, as primary or supplementary group. Unknown users and a
// missing group give false.
bool may_change(uint32_t uid, uint32_t primary_gid, const std::string& group);

// Reads SO_PEERCRED of a connected Unix socket and decides may_change.
Result<Caller> identify_peer(int fd, const std::string& admin_group);

class IpcServer {
 public:
  IpcServer(boost::asio::io_context& io, IpcServerOptions options, IpcHandler handler);
  ~IpcServer();
  IpcServer(const IpcServer&) = delete;
  IpcServer& operator=(const IpcServer&) = delete;

  // Removes a stale socket file at the path (refusing to remove anything that
  // is not a socket, and refusing when another server still answers there),
  // binds, sets the mode and starts accepting. Call once.
  Status start();

  // Idempotent. Safe to call from the io_context thread (e.g. a signal handler
  // completion) or before run().
  void stop();

  IpcServerStats stats() const;
  const std::string& socket_path() const;

  struct State;  // shared with the sessions; defined in ipc_server.cc

 private:
  std::shared_ptr<State> state_;
};

}  // namespace quorate::daemon
