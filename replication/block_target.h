// BlockTarget: what an export (the NBD server, the FUSE single-file export)
// serves — a volume of fixed size that completes I/O asynchronously.
//
// The replicated volume in quorated implements it (writes go through the
// replication engine and complete when the protocol's acknowledgement point is
// reached); FileTarget (file_target.h) implements it on a plain file or block
// device, for the unreplicated baseline and for tests.
//
// Threading: every call and every completion happens on the one thread that
// runs the owner's io_context. A completion may be called before the call
// returns (FileTarget does so) or later; callers must allow both.
// Errors are errno values (0 = success): EROFS for a write to a volume that is
// not writable (a Secondary), EIO for a failed disk, EINVAL for a range
// outside the volume, ENOSPC never (the size is fixed).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace quorate::replication {

class BlockTarget {
 public:
  using Done = std::function<void(int error)>;
  using ReadDone = std::function<void(int error, std::span<const uint8_t> data)>;

  virtual ~BlockTarget() = default;

  // Bytes; a multiple of 512.
  virtual uint64_t size() const = 0;
  // False while the volume may not be written (a Secondary). Exports report it
  // to clients (NBD_FLAG_READ_ONLY is decided per connection at OPT_GO time;
  // a write that arrives after a demotion still fails with EROFS).
  virtual bool writable() const = 0;
  // Why writes are refused, for the export's error text ("r0 is Secondary").
  virtual std::string read_only_reason() const { return "the volume is read-only"; }

  virtual void read(uint64_t offset, uint32_t length, ReadDone done) = 0;
  // fua: the data is on stable storage (on every replica the protocol
  // covers) before done(0) is called.
  virtual void write(uint64_t offset, std::span<const uint8_t> data, bool fua, Done done) = 0;
  // The same, for a caller that can hand the buffer over (the NBD server):
  // a target that keeps the data (replication) avoids a copy.
  virtual void write_owned(uint64_t offset, std::shared_ptr<const std::vector<uint8_t>> data, bool fua,
                           Done done) {
    const std::span<const uint8_t> view(*data);
    write(offset, view, fua, [data = std::move(data), done = std::move(done)](int error) { done(error); });
  }
  // Every write completed before this call is on stable storage when done(0).
  virtual void flush(Done done) = 0;
  // The range may read back as anything afterwards (NBD_CMD_TRIM).
  virtual void trim(uint64_t offset, uint32_t length, Done done) = 0;
  // The range reads back as zeroes afterwards.
  virtual void write_zeroes(uint64_t offset, uint32_t length, bool fua, Done done) = 0;
};

}  // namespace quorate::replication
