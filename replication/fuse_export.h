// FuseExport: a BlockTarget exported as one regular file in a FUSE mount, for
// machines without the nbd kernel module. The mount holds exactly one file
// (MOUNTPOINT/NAME, e.g. /run/quorate/r0/r0) whose size is the volume's size,
// mode 0600 (0400 while the target is not writable), owned by root, so that
// `losetup --direct-io=on -f --show MOUNTPOINT/NAME` gives a block device that
// mkfs and mount can use.
//
// Page cache: every open is answered with FOPEN_DIRECT_IO (and no keep_cache),
// so each read and write of the file reaches the target; nothing is cached or
// written back later by the kernel. A loop device then behaves the same with
// and without --direct-io=on: its writes reach the target before they
// complete, and its flushes (REQ_OP_FLUSH → fsync) reach BlockTarget::flush.
// O_DIRECT opens are accepted (the kernel requires FOPEN_DIRECT_IO or a
// direct_IO address-space op for them; we give the former).
//
// Operations: lookup/getattr/setattr (sizes and modes are fixed: a change is
// refused with EPERM, a same-size truncate or a time update succeeds),
// open/read/write/flush/fsync/release, fallocate (PUNCH_HOLE|KEEP_SIZE → trim,
// ZERO_RANGE → write_zeroes, plain allocation inside the file → no-op),
// opendir/readdir/releasedir, statfs. Creating, removing, renaming or linking
// names is refused with EPERM; anything libfuse does not dispatch gets ENOSYS.
// A write to a target that is not writable fails with EROFS and a log line;
// so does an open for writing, but for quorated's own (its --block-devices
// loop device is set up in any role).
//
// Threading: libfuse's requests are read on a thread the export owns; each
// request that needs the target is posted to the io_context given to start()
// (BlockTarget's contract: every call and completion on the thread running
// that io_context), and answered from its completion (fuse_reply_* may be
// called from any thread). At most Options::max_in_flight requests are out at
// once; the FUSE thread stops reading /dev/fuse while the bound is reached.
//
// Ownership and lifetime: the export references the io_context and the
// target; both must outlive it and every completion the target has still to
// call. stop() (also run by the destructor) stops the FUSE thread, unmounts
// (lazily if a loop device still holds the file; the connection is aborted, so
// that device's I/O then fails with an error) and joins the thread. Requests
// still in flight at stop() are finished by their completions without an
// answer to the kernel. stop() may be called from any thread, also the
// io_context's; it does not wait for the target.
#pragma once

#include <boost/asio/io_context.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "common/result.h"
#include "replication/block_target.h"

namespace quorate::replication {

class FuseExport {
 public:
  using LogFn = std::function<void(std::string_view line)>;

  struct Options {
    // Requests posted to the target and not yet answered.
    uint32_t max_in_flight = 64;
    // Where the export's log lines go (called from the io_context thread or
    // the caller of start/stop). Unset: standard error.
    LogFn log;
  };

  // Mounts `mountpoint` (an existing, empty directory) with the one file
  // `file_name`. Errors say what is wrong: the mountpoint is missing, not a
  // directory or not empty; the name is not a plain file name; /dev/fuse is
  // missing; not root and no fusermount3; the mount itself failed.
  static Result<std::unique_ptr<FuseExport>> start(boost::asio::io_context& io, BlockTarget& target,
                                                   const std::string& mountpoint,
                                                   const std::string& file_name);
  static Result<std::unique_ptr<FuseExport>> start(boost::asio::io_context& io, BlockTarget& target,
                                                   const std::string& mountpoint,
                                                   const std::string& file_name, Options options);

  ~FuseExport();
  FuseExport(const FuseExport&) = delete;
  FuseExport& operator=(const FuseExport&) = delete;

  // Idempotent.
  void stop();

  const std::string& mountpoint() const;
  // mountpoint()/file_name
  std::string file_path() const;
  // Opens of the file by processes other than this one that are not yet
  // released — a loop device set up on it holds one until `losetup -d`.
  // Any thread. 0 once stopped.
  uint32_t opened_by_others() const;

  struct Shared;  // state shared with the FUSE thread and the completions (fuse_export.cc)

 private:
  explicit FuseExport(std::shared_ptr<Shared> shared);

  std::string mountpoint_;
  std::string file_name_;
  std::shared_ptr<Shared> shared_;  // null once stopped
  std::thread thread_;
};

}  // namespace quorate::replication
