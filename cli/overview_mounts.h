// drbd-overview's mount columns for Quorate's volumes. DRBD reads them off
// /dev/drbdN; here a volume reaches a file system through its FUSE file
// attached to a loop device, so the chain is: the volume's fuse_file ->
// the loop device whose backing file it is (SYS/block/loopN/loop/backing_file)
// -> that device's mount in MOUNTINFO -> statvfs of the mount point, shown as
// `df -h` shows it.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "cli/render_replica.h"

namespace quorate::cli {

struct MountSources {
  std::string sys_root = "/sys";
  std::string mountinfo = "/proc/self/mountinfo";
};

// Minor -> mount, for the volumes in `volumes` that are mounted through a
// loop device. Whatever cannot be read is left out (the columns are a help,
// never an error).
std::map<uint32_t, OverviewMount> find_overview_mounts(const ReplicaList& volumes, const MountSources& where = {});

// `df -h`'s rendering of a size: powers of 1024, one decimal below 10,
// rounded up ("6.6G", "33M", "0").
std::string df_human(uint64_t bytes);

}  // namespace quorate::cli
