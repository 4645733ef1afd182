// FileTarget: a BlockTarget over a regular file or a block device — the
// unreplicated baseline behind an export, and what export tests serve.
//
// I/O is synchronous (pread/pwrite loops that retry short transfers and
// EINTR) and every completion is called before the call returns. Large
// aligned writes bypass the page cache (DirectWriter), as the replicated
// volume's do, so that the two compare like for like. flush is
// fdatasync; FUA is the write followed by fdatasync. trim punches a hole
// (fallocate PUNCH_HOLE|KEEP_SIZE) and falls back to writing zeroes where
// that is not supported; write_zeroes uses fallocate ZERO_RANGE (which keeps
// the range allocated, so NBD_CMD_FLAG_NO_HOLE is always honoured) and falls
// back to writing zeroes. set_writable(false, reason) emulates a Secondary:
// writes, trims and write_zeroes then fail with EROFS.
//
// Ownership: owns the file descriptor (O_CLOEXEC), closed by the destructor.
// Threading: like every BlockTarget, used from one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "replication/block_target.h"
#include "replication/direct_write.h"

namespace quorate::replication {

struct FileTargetOptions {
  bool read_only = false;  // open O_RDONLY; writable() stays false
};

class FileTarget final : public BlockTarget {
 public:
  // Opens `path` (a regular file or block device) read-write unless
  // options.read_only. The size (fstat, or BLKGETSIZE64 for a block device)
  // must be a multiple of 512. Errors name the path: "/x: No such file or
  // directory".
  static Result<std::unique_ptr<FileTarget>> open(const std::string& path,
                                                  FileTargetOptions options = {});
  ~FileTarget() override;
  FileTarget(const FileTarget&) = delete;
  FileTarget& operator=(const FileTarget&) = delete;

  uint64_t size() const override { return size_bytes_; }
  bool writable() const override { return writable_; }
  std::string read_only_reason() const override { return read_only_reason_; }

  void read(uint64_t offset, uint32_t length, ReadDone done) override;
  void write(uint64_t offset, std::span<const uint8_t> data, bool fua, Done done) override;
  void flush(Done done) override;
  void trim(uint64_t offset, uint32_t length, Done done) override;
  void write_zeroes(uint64_t offset, uint32_t length, bool fua, Done done) override;

  // Emulates promotion/demotion. Making a file opened read-only writable is
  // refused (asserted). `reason` is what read_only_reason() reports.
  void set_writable(bool writable, std::string reason = "the volume is read-only");

  const std::string& path() const { return path_; }
  bool is_block_device() const { return block_device_; }

 private:
  FileTarget(std::string path, int fd, uint64_t size_bytes, bool block_device, bool opened_rw);
  // errno or 0.
  int check_range(uint64_t offset, uint64_t length) const;
  int check_write(uint64_t offset, uint64_t length) const;
  int pwrite_all(const uint8_t* data, size_t length, uint64_t offset);
  int write_zero_bytes(uint64_t offset, uint64_t length);
  int sync();

  std::string path_;
  int fd_ = -1;
  uint64_t size_bytes_ = 0;
  bool block_device_ = false;
  bool opened_rw_ = false;
  bool writable_ = false;
  std::string read_only_reason_;
  std::unique_ptr<DirectWriter> direct_;  // large aligned writes (direct_write.h)
};

}  // namespace quorate::replication
