// State files of quorated under STATE_DIR (default /var/lib/quorate): small
// text files holding one decimal number and a newline, replaced atomically
// (temporary file in the same directory, fsync, rename, fsync of the
// directory), so a crash leaves either the old or the new value, never a
// torn one.
//
//   STATE_DIR/incarnation      this node's incarnation: strictly grows with
//                              every start (Totem and the frame sealer rely
//                              on it to tell a restarted node from replays).
//   STATE_DIR/ringid_NODEID    the highest ring sequence this node has seen
//                              (Corosync's ringid file), so that rings formed
//                              after a restart outnumber every older one.
//
// Plain functions with no state; each call does blocking file I/O (quorated
// calls them at start-up and, for ringid, when the ring seq grows).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/result.h"

namespace quorate::daemon {

// Creates `dir` (and parents) when it does not exist, giving `dir` `mode`
// (0700 for state, 0755 for the run directory so that every user reaches
// the IPC socket). An existing directory is left as it is.
Status ensure_directory(const std::string& dir, unsigned mode);

// Reads a file holding one unsigned decimal number. nullopt when the file
// does not exist; an error when it exists but cannot be read or parsed.
Result<std::optional<uint64_t>> read_number_file(const std::string& path);

// Replaces `path` by "VALUE\n" atomically and durably (see above).
Status write_number_file(const std::string& path, uint64_t value);

std::string incarnation_path(const std::string& state_dir);
std::string ringid_path(const std::string& state_dir, uint32_t nodeid);

// The incarnation for this start: max(persisted + 1, wall_clock_us), written
// back before it is returned. A missing file counts as persisted 0.
Result<uint64_t> next_incarnation(const std::string& state_dir, uint64_t wall_clock_us);

// The persisted highest ring seq (0 when there is no file yet).
Result<uint64_t> load_ring_seq(const std::string& state_dir, uint32_t nodeid);
Status store_ring_seq(const std::string& state_dir, uint32_t nodeid, uint64_t seq);

}  // namespace quorate::daemon
