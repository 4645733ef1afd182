// ReplicationService: quorated's replicated volumes. Reads the resource files
// (replication.d beside the cluster file, or the file a `drbdadm -c FILE`
// names), keeps one ReplicaVolume per resource that is up, and answers the
// replica IPC requests (ReplicaCommandRequest, ReplicaStatusRequest).
//
// Ownership: owns the volumes; borrows the io_context and the logger.
// Thread-safety: none; the io_context's thread only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include "proto/ipc.pb.h"
#include "daemon/replica_volume.h"

namespace quorate::daemon {

struct ReplicationServiceOptions {
  std::string config_dir;  // replication.d
  std::string node_name;   // this node's name (matches `on NAME`)
  std::string run_dir;
  // The cluster's address of a node name (for resource files without
  // `address`, as the Azure seed's r0.res); nullopt when unknown.
  std::function<std::optional<std::string>(const std::string&)> address_of;
  bool fuse_export = true;
  std::string nbd_tcp_address;  // see ReplicaVolumeOptions
  uint16_t nbd_tcp_base_port = 10809;
  bool block_devices = false;
};

class ReplicationService {
 public:
  ReplicationService(boost::asio::io_context& io, ReplicationServiceOptions options, spdlog::logger& log);
  ~ReplicationService();
  ReplicationService(const ReplicationService&) = delete;
  ReplicationService& operator=(const ReplicationService&) = delete;

  // Replies at once or later (down waits for the meta data writes, primary
  // for the peer's consent or the fence-peer handler).
  void command(const ipc::ReplicaCommandRequest& request, std::function<void(ipc::Response)> reply);
  ipc::Response status(const ipc::ReplicaStatusRequest& request);
  // Takes every volume down (SIGTERM); `done` when all are.
  void shutdown(std::function<void()> done);
  size_t volumes_up() const { return volumes_.size(); }

 private:
  struct CommandRun;
  void step(const std::shared_ptr<CommandRun>& run);

  boost::asio::io_context& io_;
  ReplicationServiceOptions opt_;
  spdlog::logger& log_;
  std::map<std::string, std::unique_ptr<ReplicaVolume>> volumes_;
  // Configuration warnings already logged: every command re-reads the
  // resource files, and the log says each warning once, not per command.
  std::set<std::string> warned_;
};

}  // namespace quorate::daemon
