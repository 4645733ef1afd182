// Runtime: quorated's event loop around the sans-IO membership core. It owns
// the MembershipNode and drives it from one Boost.Asio io_context thread:
//
//   UDP socket (ring0_addr:port) -> FrameOpener -> node.step(Receive)
//   steady_timer at node.next_deadline()      -> node.step(Tick)
//   IPC requests (RUN_DIR/quorated.sock)      -> status / request_* / Leave
//   SIGTERM, SIGINT                           -> clean leave, then stop
//   SIGHUP                                    -> reopen the log file
//
// After every input the node's outputs are handled in the order its Ready
// contract asks: a grown ring seq is persisted (STATE_DIR/ringid_NODEID)
// before any message goes out, then messages are sealed and sent
// (non-blocking; a datagram the kernel will not take is dropped and counted,
// as on any lossy network), then events are logged and reported to systemd.
//
// Ownership: owns the node, the sockets, the timer and the IPC server; borrows
// the io_context and the DaemonLog, which must outlive it. Once stopped
// (signal, IPC Leave or a fatal error) it holds no pending work, so
// io_context::run() returns; exit_code() then says how it ended.
// Thread-safety: none; everything runs on the io_context's one thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // Asio 1.74 false positive, see ipc_server.h
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#pragma GCC diagnostic pop

#include "common/result.h"
#include "membership/cluster_config.h"

namespace quorate::daemon {

class DaemonLog;

struct RuntimeOptions {
  membership::ClusterConfig config;
  uint32_t self = 0;
  // One endpoint per nodelist node, self included (the address bound).
  std::map<uint32_t, boost::asio::ip::udp::endpoint> endpoints;
  std::string state_dir;
  std::string run_dir;
  std::string authkey;       // empty when crypto is off
  uint64_t incarnation = 0;  // strictly grows across starts (state_files.h)
  uint64_t ring_seq = 0;     // persisted highest ring seq
  // Called once the IPC socket serves (after sd_notify READY=1): lets a
  // daemonising parent exit.
  std::function<void()> on_ready;
  // Replicated volumes: the resource files' directory, this node's name as
  // the files' `on NAME` sections spell it, and the nodelist's addresses by
  // name (for resource files without `address`).
  std::string replication_dir;
  std::string node_name;
  std::map<std::string, std::string> node_addresses;
  bool fuse_export = true;
  // --nbd-tcp: each volume's NBD export also on TCP at this address, port
  // nbd_tcp_base_port + the volume's minor. Empty: Unix socket only.
  std::string nbd_tcp_address;
  uint16_t nbd_tcp_base_port = 10809;
  // --block-devices: each volume as a block device at its `device` path.
  bool block_devices = false;
};

class Runtime {
 public:
  Runtime(boost::asio::io_context& io, RuntimeOptions options, DaemonLog& log);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  // Creates the node, binds the UDP socket, starts the IPC server and the
  // signal handling, and reports readiness. On error nothing is left running.
  Status start();

  // 0 after a clean stop, 1 after a fatal runtime error.
  int exit_code() const;

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace quorate::daemon
