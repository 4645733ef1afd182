// The files behind a replicated volume on this host: the backing device (a
// file or a block device) and its meta data (internal, or external at
// PATH[INDEX] / flexible). What `drbdadm create-md` does, and what `up`
// reads to attach. Also the mapping from a parsed resource to the engine's
// options.
//
// Blocking file I/O; call from a tool or at attach time, not on a hot path.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"
#include "replication/engine.h"
#include "replication/res_config.h"

namespace quorate::replication {

// Size in bytes of a regular file or block device.
Result<uint64_t> device_size(const std::string& path);

// Where data and meta data live for `host` (sizes read from the devices).
// size_sectors (`disk { size }`) limits the data area, as DRBD's does: the
// meta data stays where the whole device puts it; a size the device cannot
// hold, or not a multiple of 4 KiB, is an error.
Result<MdLayout> layout_of(const HostConfig& host, std::optional<uint64_t> size_sectors = std::nullopt);

struct CreateMdOptions {
  bool force = false;  // overwrite a file system signature or existing meta data
  uint32_t al_extents = kAlExtentsDefault;
};
// Writes fresh meta data (current UUID "just created", clear bitmap, empty
// activity log). Refuses, saying why, when the data area starts with a file
// system or the meta-data area already holds valid meta data, unless forced.
// On success returns the lines DRBD's create-md prints.
Result<std::vector<std::string>> create_md(const ResourceConfig& res, const HostConfig& host,
                                           const CreateMdOptions& opt);

// Reads the meta data and recovers the activity log (attach_from_bytes).
Result<AttachState> read_attach_state(const HostConfig& host, std::optional<uint64_t> size_sectors = std::nullopt);

// This boot's id (/proc/sys/kernel/random/boot_id, 32 hex digits); all zero
// when it cannot be read.
BootId read_boot_id();

// The engine's options for this resource on `self` with `peer` (boot_id from
// read_boot_id()).
EngineOptions engine_options(const ResourceConfig& res, const HostConfig& self, const HostConfig& peer);

}  // namespace quorate::replication
