// A replicated volume as a block device, as DRBD's /dev/drbdN: a loop device
// over the volume's FUSE export file, and symlinks to it at the paths the
// resource file names (`device /dev/drbd0`, and /dev/drbd/by-res/RES for a
// /dev/drbdN device), so that the seeds' `mkfs.xfs /dev/drbd0` and `mount
// /dev/drbd0 DIR` work. Enabled by `quorated --block-devices` (root).
//
// The loop driver's I/O on the file is answered by quorated's io thread
// (FUSE requests are posted there): attach() and detach() are blocking
// ioctls and must not run on that thread while it could owe the device an
// answer. attach() configures an unused device in one LOOP_CONFIGURE (no
// I/O can be in flight on it); detach() is run from a helper thread, or
// after the FUSE export has been stopped (its connection aborted, so the
// device's I/O fails at once).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/result.h"

namespace quorate::daemon {

class LoopExport {
 public:
  // A free loop device (LOOP_CTL_GET_FREE) over `file`, opened read-write.
  static Result<std::unique_ptr<LoopExport>> attach(const std::string& file);
  ~LoopExport();  // detach()
  LoopExport(const LoopExport&) = delete;
  LoopExport& operator=(const LoopExport&) = delete;

  const std::string& path() const { return path_; }  // /dev/loopN
  const std::vector<std::string>& links() const { return links_; }

  // `link` -> path(), with missing parent directories. A path that exists
  // is left alone (false, `why` says what is there) unless it is a symlink
  // to a loop device (left by a quorated that was killed): that is replaced,
  // and that loop device is let go when its backing file is `file` (the
  // same export's file, dead with the quorated that set it up; after the
  // dead mount was detached the kernel shows it as "/NAME").
  bool add_link(const std::string& link, std::string* why, const std::string& file = "");
  bool add_link(const std::string& link, std::string* why);

  // Opened exclusively by someone: mounted, or held by a device mapper or
  // an O_EXCL opener. A plain open is not seen.
  bool busy() const;

  // Removes the links that still point to this device, then LOOP_CLR_FD
  // (deferred by the kernel to the last close if someone has it open).
  // Idempotent.
  void detach();

 private:
  explicit LoopExport(std::string path) : path_(std::move(path)) {}
  // No descriptor of the device is kept: the kernel drops a block device's
  // page cache only at its last close, and a cache kept across a Secondary
  // period (the peer writing underneath) would serve stale blocks later.
  bool attached_ = true;
  std::string path_;
  std::vector<std::string> links_;
};

}  // namespace quorate::daemon
