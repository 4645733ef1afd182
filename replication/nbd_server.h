// NbdServer: exports BlockTargets to local NBD clients (nbdinfo, nbdcopy,
// qemu-img, qemu-io, fio, nbd-client) over a Unix socket
// (RUN_DIR/nbd/RESOURCE.sock) and/or TCP. Each connection runs an
// NbdServerCodec (nbd_protocol.h) and sends its requests to the target named
// by the export the client chose; docs/formats/nbd.md says what we speak.
//
// ExportRegistry: name -> BlockTarget*, plus per-export counters. "" names the
// default export when exactly one is registered.
//
// Behaviour: requests of one connection run concurrently (at most
// max_in_flight_requests, then the server stops reading that socket) and are
// answered in completion order. A target that stops being writable after a
// client connected (a demotion to Secondary) fails writes with EROFS; the
// client sees EPERM and the log gets one line naming the export and
// target.read_only_reason(). The handshake has a deadline; every socket
// write has a deadline (a client that stops reading replies is dropped).
// An idle connection in transmission is legitimate and has none.
//
// Lifetime and ownership: the registry and its targets must outlive the
// server and every callback a target still owes it. stop() closes the
// listeners, stops reading, lets in-flight requests complete and their
// replies go out, then closes each connection; `on_stopped` runs when the
// last connection is gone. The destructor calls stop(). Connections hold the
// shared state, so destroying the server while the io_context runs is safe.
//
// Threading: everything runs on the io_context given (quorated runs it on one
// thread); targets are called and must complete on that thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

// Boost.Asio 1.74's scheduler trips GCC 12's -Wnull-dereference once inlined
// (a false positive inside the library); silence it for Asio's headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#pragma GCC diagnostic pop

#include "common/result.h"
#include "replication/block_target.h"
#include "replication/nbd_protocol.h"

namespace quorate::replication {

// Counters per export, for status output.
struct ExportStats {
  uint64_t connections_total = 0;  // clients that entered transmission on it
  uint64_t connections_open = 0;
  uint64_t requests = 0;           // requests handed to the target
  uint64_t errors = 0;             // requests answered with an error (any cause)
  uint64_t bytes_read = 0;         // successful READ payload
  uint64_t bytes_written = 0;      // successful WRITE payload
};

struct ExportOptions {
  std::string description;
  uint32_t min_block_bytes = 1;  // 1 or 512
  // NBD_FLAG_CAN_MULTI_CONN. Correct for any BlockTarget: its flush covers
  // every write completed before it, whichever connection sent it.
  bool multi_conn = true;
};

class ExportRegistry final : public nbd::ExportDirectory {
 public:
  ExportRegistry() = default;
  ExportRegistry(const ExportRegistry&) = delete;
  ExportRegistry& operator=(const ExportRegistry&) = delete;

  // `name`: 1..4096 bytes, no NUL; unique. The target must outlive the server.
  Status add(const std::string& name, BlockTarget& target, ExportOptions options = {});
  // nullptr when unknown; "" resolves to the only export.
  BlockTarget* target(std::string_view name) const;
  // Counters (zeroes for an unknown name).
  ExportStats stats(std::string_view name) const;
  ExportStats* mutable_stats(std::string_view name);
  size_t size() const { return exports_.size(); }

  std::optional<nbd::ExportInfo> find(std::string_view name) const override;
  std::vector<nbd::ExportInfo> list() const override;

 private:
  struct Entry {
    BlockTarget* target;
    ExportOptions options;
    ExportStats stats;
  };
  const Entry* lookup(std::string_view name, std::string* canonical) const;
  std::map<std::string, Entry, std::less<>> exports_;
};

struct NbdServerOptions {
  std::string unix_socket_path;  // empty: no Unix listener. Parent dirs are created.
  mode_t socket_mode = 0600;     // the export carries the volume's data
  // TCP listener when set (port 0: ephemeral; see tcp_port()).
  std::optional<boost::asio::ip::tcp::endpoint> tcp_endpoint;
  size_t max_connections = 64;
  nbd::CodecLimits limits;
  std::chrono::milliseconds handshake_timeout{30'000};
  std::chrono::milliseconds write_timeout{60'000};
  // One line per notable event (connection closed for a protocol violation,
  // write refused on a read-only target, request refused, accept failure).
  std::function<void(const std::string&)> on_event;
};

class NbdServer {
 public:
  NbdServer(boost::asio::io_context& io, ExportRegistry& exports, NbdServerOptions options);
  ~NbdServer();
  NbdServer(const NbdServer&) = delete;
  NbdServer& operator=(const NbdServer&) = delete;

  // Binds the listeners and starts accepting. A stale Unix socket file is
  // removed; a live one (a server answers there) or a non-socket is refused.
  Status start();
  // Idempotent; see the header comment. `on_stopped` may run inline.
  void stop(std::function<void()> on_stopped = {});

  uint16_t tcp_port() const;  // 0 without a TCP listener
  size_t open_connections() const;

  struct State;  // shared with the connections; defined in nbd_server.cc

 private:
  std::shared_ptr<State> state_;
};

}  // namespace quorate::replication
