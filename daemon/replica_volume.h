// ReplicaVolume: one replicated volume that is up on this node — the
// replication engine (replication/engine.h) driven by real I/O:
//
//   backing file/device  <- a small thread pool (pread/pwrite/fdatasync/fallocate);
//                           completions come back to the io_context thread.
//                           Small buffered writes, and flushes of a device
//                           that flushes in µs (daemon/flush_policy.h), are
//                           done on the io_context thread itself
//   peer link            <- one TCP connection to the peer's address; the node
//                           whose name sorts first dials every connect-int, the
//                           other accepts; a graceful close sends what was queued
//   timer                <- at the engine's next deadline
//   exports              <- NBD server on RUN_DIR/nbd/RESOURCE.sock and the
//                           FUSE single-file export RUN_DIR/fuse/RESOURCE/RESOURCE
//                           (when FUSE is available), both over this object
//                           as a BlockTarget
//
// Ownership: owns the engine, the files, the sockets, the exports. Borrows the
// io_context and the logger, which must outlive it. Thread-safety: everything
// but the disk jobs runs on the io_context's thread; disk jobs touch only their
// own buffers and the file descriptors, which stay open until the pool is
// joined in the destructor.
#pragma once

#include <functional>
#include <memory>
#include <string>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include "common/result.h"
#include "replication/block_target.h"
#include "replication/res_config.h"
#include "replication/states.h"

namespace spdlog {
class logger;
}

namespace quorate::daemon {

struct ReplicaVolumeOptions {
  std::string run_dir;
  bool fuse_export = true;  // mount the FUSE export when /dev/fuse is usable
  // Non-empty: the NBD export also listens on TCP at this address, port
  // nbd_tcp_base_port + the volume's minor (NBD's 10809 for minor 0).
  std::string nbd_tcp_address;
  uint16_t nbd_tcp_base_port = 10809;
  // --block-devices: a loop device over the FUSE file, linked from the
  // resource file's `device` path (daemon/loop_export.h).
  bool block_device = false;
};

class ReplicaVolume : public replication::BlockTarget {
 public:
  // Attaches the disk (reads the meta data), starts the exports and, unless
  // `connect` is false, starts connecting to the peer. Errors say what failed
  // ("r0: /dev/sdb1: No such file or directory", "r0: no meta data ...").
  static Result<std::unique_ptr<ReplicaVolume>> up(boost::asio::io_context& io,
                                                   const replication::ResourceConfig& res,
                                                   const replication::HostConfig& self,
                                                   const replication::HostConfig& peer,
                                                   ReplicaVolumeOptions options, spdlog::logger& log,
                                                   bool connect = true);
  ~ReplicaVolume() override;
  ReplicaVolume(const ReplicaVolume&) = delete;
  ReplicaVolume& operator=(const ReplicaVolume&) = delete;

  // One drbdadm verb (primary, secondary, connect, disconnect, verify,
  // invalidate, invalidate-remote, outdate, pause-sync, resume-sync,
  // resume-io). `done` runs with the result: at once for most verbs; a
  // promotion may wait for the peer's consent or the fence-peer handler.
  void command(const std::string& verb, bool force, bool discard_my_data, std::function<void(Status)> done);
  // Clean shutdown: demote, disconnect, stop the exports, write the bitmap and
  // a clean superblock; `done` runs when that is on disk (or failed).
  // `drbdadm down` (in_use_refuses) is refused while the volume is in use:
  // its FUSE file open by another process or NBD clients connected (and the
  // block device mounted, for both callers).
  void down(std::function<void(Status)> done, bool in_use_refuses = true);
  // `drbdadm adjust` with the resource file as it is now (Replica::adjust for
  // the options; a new peer address reconnects to it). What was set up at
  // `up` — this node's disk, meta-disk, device, size and address — cannot
  // change while up: an error says so. Returns one line per change.
  Result<std::vector<std::string>> adjust(const replication::ResourceConfig& res,
                                          const replication::HostConfig& self,
                                          const replication::HostConfig& peer);

  // `drbdadm attach` while up and Diskless (after detach or an I/O error):
  // opens the disk and meta-disk the resource file names now (a replaced
  // disk after create-md) and gives them to the engine (Replica::attach:
  // connected, a full sync from the peer; a Primary keeps serving). The
  // old descriptors are closed. Errors say what is wrong (no meta data, a
  // size that differs, no UpToDate peer for a Primary).
  Status attach(const replication::ResourceConfig& res, const replication::HostConfig& self);

  replication::ReplicaStatus status() const;
  const std::string& resource() const;
  // The resource as it runs now: the file at `up` / the last `adjust`, with
  // any net-options / disk-options since.
  const replication::ResourceConfig& config() const;

  // BlockTarget
  uint64_t size() const override;
  bool writable() const override;
  std::string read_only_reason() const override;
  void read(uint64_t offset, uint32_t length, ReadDone done) override;
  void write(uint64_t offset, std::span<const uint8_t> data, bool fua, Done done) override;
  void write_owned(uint64_t offset, std::shared_ptr<const std::vector<uint8_t>> data, bool fua,
                   Done done) override;
  void flush(Done done) override;
  void trim(uint64_t offset, uint32_t length, Done done) override;
  void write_zeroes(uint64_t offset, uint32_t length, bool fua, Done done) override;

  class Impl;

 private:
  explicit ReplicaVolume(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quorate::daemon
