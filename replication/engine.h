// Replica: the sans-IO core of one replicated volume and its one peer — DRBD's
// role (REPLICATION-FACTS.md): roles, connection and disk states, protocols
// A/B/C with epochs and a transfer log, the activity log and dirty bitmap,
// bitmap/full resync pulled by the target under a rate controller, online
// verify, split-brain detection and the after-sb policies.
//
// No sockets, files, clocks or system randomness inside. Inputs are method
// calls (time passed in); outputs are drained with take_outputs():
//
//   Send        bytes for the peer connection, in order.
//   DiskIo      an I/O on the data or meta-data device; report its end with
//               on_disk_done(id, ...). May be issued concurrently and complete
//               in any order: the engine never has two overlapping I/Os of
//               which one is a write in flight, and it waits for a meta-data
//               write before anything that depends on it. A meta-data write
//               is complete only when durable (write + flush).
//   AppDone     completion of a request submitted with submit().
//   Close       drop the peer connection (after what was sent so far).
//   Event       one log line, worded like DRBD's kernel messages.
//   Handler     run a configured handler (split-brain, pri-lost-after-sb,
//               local-io-error, out-of-sync, before/after-resync-target,
//               fence-peer); report its exit code with on_handler_done().
//   CommandDone the result of an admin command that had to wait (promotion
//               waits for the peer's consent or for the fence-peer handler).
//
// Connection management is the caller's: while wants_connection() is true it
// keeps trying to reach the peer every connect-int seconds (one connection;
// the node whose name sorts first dials, the other accepts) and reports
// on_transport_up / on_transport_down.
//
// Ownership: owns its bitmap, activity log and queues. Not thread-safe: one
// thread (the daemon's io_context, or the simulator) drives it.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "replication/metadata.h"
#include "replication/peer_wire.h"
#include "replication/res_config.h"  // OnIoError, Fencing, ResourceConfig
#include "replication/states.h"
#include "replication/sync_decision.h"

namespace quorate::replication {

using Millis = std::chrono::milliseconds;
using Bytes = wire::Bytes;

struct EngineOptions {
  std::string resource;
  std::string self;  // this host's name
  std::string peer;  // the peer's host name
  Protocol protocol = Protocol::kC;
  bool allow_two_primaries = false;
  SbPolicies after_sb;
  std::string cram_hmac_alg;  // empty: no peer authentication
  std::string shared_secret;
  uint32_t timeout_ds = 60;
  uint32_t ping_int_s = 10;
  uint32_t ping_timeout_ds = 5;
  uint32_t connect_int_s = 10;
  uint32_t max_epoch_size = 2048;
  std::string verify_alg;  // crc32c | md5 | sha1 | sha256; empty: verify refused
  OnIoError on_io_error = OnIoError::kDetach;
  Fencing fencing = Fencing::kDontCare;
  bool disk_flushes = true;   // flush at each barrier on the peer (wo:f), else drain (wo:d)
  // This boot's /proc/sys/kernel/random/boot_id (the daemon reads it; the
  // simulator gives each power cycle its own). All zero: unknown, so a disk
  // with kMdUnorderedWrites set attaches Outdated.
  BootId boot_id{};
  uint64_t resync_rate_kib_s = 250;
  uint32_t c_plan_ahead_ds = 20;       // 0: fixed rate
  uint32_t c_fill_target_sectors = 100;
  uint32_t c_delay_target_ds = 10;
  uint64_t c_max_rate_kib_s = 102400;
  uint64_t c_min_rate_kib_s = 250;
  uint32_t al_extents = kAlExtentsDefault;
  bool al_updates = true;
  uint32_t max_buffers = 2048;  // resync requests in flight (4 KiB pages)
};

// What the meta-data area held at attach (see load helpers in the daemon and
// the simulator): the superblock, the activity log's recovered slots, the
// on-disk bitmap.
struct AttachState {
  MdLayout layout;
  Superblock superblock;
  AlRecovery al;
  Bitmap bitmap;
};

// Requests from the volume's users (exports). Writes, trims and zeroes are
// at most wire::kMaxDataBytes (1 MiB) each; 512-byte aligned.
struct AppRequest {
  enum class Op : uint8_t { kRead, kWrite, kFlush, kTrim, kWriteZeroes };
  uint64_t id = 0;  // the caller's; echoed in AppDone
  Op op = Op::kRead;
  uint64_t offset = 0;
  uint32_t length = 0;
  bool fua = false;
  Bytes data;  // kWrite
};

namespace out {
struct Send {
  std::vector<uint8_t> head;
  Bytes payload;
  // Non-zero: report on_sent(sent_token) once these bytes are in the
  // kernel's send buffer (protocol A's acknowledgement point).
  uint64_t sent_token = 0;
};
struct DiskIo {
  enum class Dev : uint8_t { kData, kMeta };
  enum class Op : uint8_t { kRead, kWrite, kFlush, kTrim, kWriteZeroes };
  uint64_t id = 0;
  Dev dev = Dev::kData;
  Op op = Op::kRead;
  uint64_t offset = 0;
  uint32_t length = 0;
  bool fua = false;
  Bytes data;
};
struct AppDone {
  uint64_t id = 0;
  int error = 0;  // errno
  Bytes data;     // kRead
};
struct Close {
  std::string reason;
};
struct Event {
  enum class Level : uint8_t { kInfo, kWarning, kError };
  Level level = Level::kInfo;
  std::string text;
};
struct Handler {
  std::string name;  // "split-brain", "pri-lost-after-sb", "local-io-error", "fence-peer", ...
};
struct CommandDone {
  uint64_t ticket = 0;  // as passed to the command
  Status result;
};
}  // namespace out

using Output =
    std::variant<out::Send, out::DiskIo, out::AppDone, out::Close, out::Event, out::Handler, out::CommandDone>;

class Replica {
 public:
  // `seed` feeds the engine's generator (UUIDs, auth challenges, tie-breaks).
  Replica(EngineOptions options, AttachState attach, uint64_t seed, Millis now);
  Replica(const Replica&) = delete;
  Replica& operator=(const Replica&) = delete;
  ~Replica();

  // ---- admin commands (drbdadm); errors say why, in DRBD's words ----
  // Promotion. Connected (unless both sides have allow-two-primaries) it is a
  // two-node state change: the peer must agree that it is neither Primary nor being promoted
  // itself (when both ask at once, the node whose name sorts first wins).
  // Not connected with fencing resource-only / resource-and-stonith and a
  // peer not known to be Outdated, the fence-peer handler must outdate the
  // peer first (--force promotes even when it fails). Returns the result, or
  // nullopt while waiting; out::CommandDone{ticket} then reports it.
  std::optional<Status> primary(bool force, uint64_t ticket, Millis now);
  Status secondary(Millis now);
  Status connect(bool discard_my_data, Millis now);
  Status disconnect(Millis now);
  Status verify(Millis now);
  Status invalidate(Millis now);         // resync this disk from the peer
  Status invalidate_remote(Millis now);  // resync the peer's disk from here
  Status outdate(Millis now);
  // `drbdadm detach`: let go of the disk on purpose (to replace it). Its
  // meta data is first marked Inconsistent (a full sync when a disk is
  // attached again), then it is Diskless and the peer serves everything.
  // Refused for a Primary without a connected UpToDate peer, and while a
  // resync or verify runs.
  Status detach(Millis now);
  // `drbdadm attach` of a disk to a volume that is up and Diskless (after
  // detach, or after on-io-error detach): typically a replaced disk after
  // create-md. Its data area must be the volume's size. Connected to an
  // UpToDate peer, the disk becomes the target of a full sync at once — also
  // on a Primary, which keeps serving its users meanwhile (reads of blocks
  // not yet synced go to the peer, every write to both). Not connected, a
  // Secondary takes the disk as its meta data describes it and the next
  // handshake decides; a Primary refuses (its data is on the peer). Refused
  // while I/O on the old disk is still in flight ("retry").
  Status attach(AttachState a, Millis now);
  Status pause_sync(Millis now);
  Status resume_sync(Millis now);
  // `drbdadm adjust` of an edited resource file while up: timeouts, rates
  // and the resync controller, after-sb policies, on-io-error, verify-alg,
  // fencing, disk-flushes and allow-two-primaries take effect at once (the
  // peer learns allow-two-primaries from a State; clearing it while both
  // are Primary is refused); a change of what the connection was set up
  // with (protocol, cram-hmac-alg, shared-secret) drops the connection,
  // which is then made again with the new options. A
  // StandAlone resource connects, as the file says it should be. Names and
  // the activity-log settings cannot change while up: an error says so and
  // nothing changes. Returns one line per change.
  Result<std::vector<std::string>> adjust(EngineOptions o, Millis now);
  // Lets I/O frozen by fencing resource-and-stonith continue (the operator
  // has made sure the peer cannot be Primary).
  Status resume_io(Millis now);
  // Clean shutdown: refuses while Primary; writes the bitmap and a clean
  // superblock. down_complete() turns true when those writes are done.
  Status down(Millis now);
  bool down_complete() const;

  // ---- the peer link ----
  bool wants_connection() const;
  void on_transport_up(Millis now);
  void on_receive(std::span<const uint8_t> bytes, Millis now);
  // Zero-copy receive: while a message's payload is arriving, the buffer
  // space it still needs (empty otherwise). Read the socket into it and call
  // on_received_in_place(n) — the same as on_receive of those n bytes.
  struct ReceiveSpace {
    std::span<uint8_t> bytes;
    std::shared_ptr<const void> owner;  // keeps `bytes` valid
  };
  ReceiveSpace receive_space();
  void on_received_in_place(size_t n, Millis now);
  void on_transport_down(Millis now, ConnState why = ConnState::kBrokenPipe);
  // The bytes of a Send with this sent_token were handed to the socket.
  void on_sent(uint64_t sent_token, Millis now);

  // A handler asked for with out::Handler ended; exit_code -1 when it could
  // not run (none configured, or it died from a signal).
  void on_handler_done(const std::string& name, int exit_code, Millis now);

  // ---- time and disks ----
  void on_tick(Millis now);
  Millis next_deadline() const;
  void on_disk_done(uint64_t id, int error, Bytes data, Millis now);

  // ---- users ----
  void submit(AppRequest request, Millis now);
  bool writable() const;
  std::string read_only_reason() const;

  // Call after every input: it also starts the meta-data writes that the
  // inputs since the last call asked for, as one round (engine.cc, "meta data").
  std::vector<Output> take_outputs();

  ReplicaStatus status(Millis now) const;
  const Superblock& superblock() const;
  const Bitmap& bitmap() const;
  uint64_t size_bytes() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Reads what attach needs from the raw meta-data area bytes (superblock area,
// AL ring, bitmap), applying crash recovery: a crashed primary's active AL
// extents are set in the bitmap; a full-sync flag sets every bit.
Result<AttachState> attach_from_bytes(const MdLayout& layout, std::span<const uint8_t> superblock_area,
                                      std::span<const uint8_t> al_ring,
                                      std::span<const uint8_t> bitmap_area);

// The meta data create-md writes: a fresh superblock (current UUID "just
// created", nothing consistent), an empty AL ring and a clear bitmap. Returns
// (offset on the meta device, bytes) pieces to write in order.
std::vector<std::pair<uint64_t, std::vector<uint8_t>>> fresh_metadata(const MdLayout& layout,
                                                                      uint32_t al_extents,
                                                                      uint64_t device_uuid);

}  // namespace quorate::replication
