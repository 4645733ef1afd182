// FuseExport (fuse_export.h): libfuse's low-level API, read by our own poll
// loop so that stop() can wake it through an eventfd instead of a signal.
#define FUSE_USE_VERSION 35
#include "replication/fuse_export.h"

#include <dirent.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <fuse_lowlevel.h>
#include <linux/falloc.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <cassert>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>
#include <vector>

namespace quorate::replication {

namespace {

constexpr fuse_ino_t kRootIno = FUSE_ROOT_ID;
constexpr fuse_ino_t kFileIno = 2;
// fuse_file_info::fh of an open file: whose open it was.
constexpr uint64_t kOwnOpen = 1;
constexpr uint64_t kForeignOpen = 2;
// Trim/zero ranges are cut into pieces the target's uint32 lengths hold.
constexpr uint64_t kRangeChunkBytes = uint64_t{1} << 30;
constexpr double kEntryTimeoutS = 1.0;
constexpr uint32_t kStatfsBlockBytes = 4096;

bool executable_in_path(const char* program) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin:/usr/sbin:/sbin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start);
    if (!candidate.empty()) {
      candidate += '/';
      candidate += program;
      if (::access(candidate.c_str(), X_OK) == 0) return true;
    }
    start = end + 1;
  }
  return false;
}

Status check_mountpoint(const std::string& mountpoint) {
  struct stat st {};
  if (::stat(mountpoint.c_str(), &st) != 0) {
    return Error{fmt::format("fuse export: mountpoint {}: {}", mountpoint, std::strerror(errno))};
  }
  if (!S_ISDIR(st.st_mode)) {
    return Error{fmt::format("fuse export: mountpoint {} is not a directory", mountpoint)};
  }
  DIR* dir = ::opendir(mountpoint.c_str());
  if (dir == nullptr) {
    return Error{fmt::format("fuse export: mountpoint {}: {}", mountpoint, std::strerror(errno))};
  }
  std::string first;
  while (const dirent* e = ::readdir(dir)) {
    const std::string_view n = e->d_name;
    if (n != "." && n != "..") {
      first = n;
      break;
    }
  }
  ::closedir(dir);
  if (!first.empty()) {
    return Error{
        fmt::format("fuse export: mountpoint {} is not empty (it holds '{}')", mountpoint, first)};
  }
  return Status::Ok();
}

}  // namespace

struct FuseExport::Shared : std::enable_shared_from_this<FuseExport::Shared> {
  Shared(boost::asio::io_context& io_in, BlockTarget& target_in) : io(io_in), target(target_in) {}
  ~Shared() {
    if (session != nullptr) fuse_session_destroy(session);
    if (stop_fd >= 0) ::close(stop_fd);
  }
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;

  boost::asio::io_context& io;
  BlockTarget& target;
  std::string mountpoint;
  std::string file_name;
  uint64_t size_bytes = 0;
  uint32_t max_in_flight = 0;
  LogFn log;
  timespec start_time{};
  fuse_session* session = nullptr;
  int stop_fd = -1;

  std::mutex mu;
  std::condition_variable slot_freed;
  uint32_t in_flight = 0;  // guarded by mu
  bool stopping = false;   // guarded by mu
  bool closed = false;     // guarded by mu: /dev/fuse is closed, replies are dropped
  bool mounted = false;    // guarded by mu
  // Opens of the file by other processes than quorated, not yet released
  // (a loop device set up on it, a program reading it): DRBD's "held open".
  std::atomic<uint32_t> foreign_opens{0};

  static Shared* of(fuse_req_t req) { return static_cast<Shared*>(fuse_req_userdata(req)); }

  // On the FUSE thread: waits for a slot, then runs `work` on the io_context
  // thread. False (and `req` answered with EIO) when the export is stopping.
  template <typename Work>
  void submit(fuse_req_t req, Work work) {
    {
      std::unique_lock lock(mu);
      slot_freed.wait(lock, [&] { return stopping || in_flight < max_in_flight; });
      if (stopping) {
        lock.unlock();
        fuse_reply_err(req, EIO);
        return;
      }
      ++in_flight;
    }
    boost::asio::post(io, [self = shared_from_this(), work = std::move(work)]() mutable {
      work(std::move(self));
    });
  }

  // Any thread: sends the answer of a submitted request (or only frees it
  // once /dev/fuse is closed) and frees its slot.
  template <typename Reply>
  void answer(fuse_req_t req, Reply reply) {
    {
      std::lock_guard lock(mu);
      if (closed) {
        fuse_reply_none(req);
      } else {
        reply();
      }
      assert(in_flight > 0);
      --in_flight;
    }
    slot_freed.notify_one();
  }

  void answer_err(fuse_req_t req, int error) {
    answer(req, [&] { fuse_reply_err(req, error); });
  }

  void write_log(std::string_view line) const {
    if (log) {
      log(line);
    } else {
      std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
    }
  }

  void refuse_write(std::string_view what) const {
    write_log(fmt::format("fuse export {}/{}: {} refused (EROFS): {}", mountpoint, file_name, what,
                          target.read_only_reason()));
  }

  // The attributes, read on the io_context thread (writable() may change).
  struct stat attr_of(fuse_ino_t ino) const {
    struct stat st {};
    st.st_ino = ino;
    st.st_uid = 0;
    st.st_gid = 0;
    st.st_atim = start_time;
    st.st_mtim = start_time;
    st.st_ctim = start_time;
    st.st_blksize = kStatfsBlockBytes;
    if (ino == kRootIno) {
      st.st_mode = S_IFDIR | 0755;
      st.st_nlink = 2;
    } else {
      st.st_mode = S_IFREG | (target.writable() ? 0600 : 0400);
      st.st_nlink = 1;
      st.st_size = static_cast<off_t>(size_bytes);
      st.st_blocks = static_cast<blkcnt_t>(size_bytes / 512);
    }
    return st;
  }

  // Runs op(offset, length, done) over [offset, offset + length) in pieces,
  // one after the other; answers `req` with the first error or 0.
  template <typename Op>
  void chunked(std::shared_ptr<Shared> self, fuse_req_t req, uint64_t offset, uint64_t length,
               Op op) {
    if (length == 0) {
      answer_err(req, 0);
      return;
    }
    const auto piece = static_cast<uint32_t>(std::min(length, kRangeChunkBytes));
    op(offset, piece, [self, req, offset, length, piece, op](int error) mutable {
      if (error != 0) {
        self->answer_err(req, error);
        return;
      }
      Shared* s = self.get();
      s->chunked(std::move(self), req, offset + piece, length - piece, std::move(op));
    });
  }
};

namespace {

using Shared = FuseExport::Shared;

void op_init(void* /*userdata*/, fuse_conn_info* conn) {
  // No kernel-side caching of our data or attributes beyond what we ask for.
  conn->want &= ~static_cast<unsigned>(FUSE_CAP_WRITEBACK_CACHE);
}

void op_lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  Shared* s = Shared::of(req);
  if (parent != kRootIno) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  if (s->file_name != name) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  s->submit(req, [req](std::shared_ptr<Shared> self) {
    fuse_entry_param entry{};
    entry.ino = kFileIno;
    entry.generation = 1;
    entry.attr = self->attr_of(kFileIno);
    entry.attr_timeout = 0;  // the mode follows writable()
    entry.entry_timeout = kEntryTimeoutS;
    self->answer(req, [&] { fuse_reply_entry(req, &entry); });
  });
}

void op_getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
  Shared* s = Shared::of(req);
  if (ino != kRootIno && ino != kFileIno) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  s->submit(req, [req, ino](std::shared_ptr<Shared> self) {
    const struct stat st = self->attr_of(ino);
    self->answer(req, [&] { fuse_reply_attr(req, &st, 0); });
  });
}

void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set,
                fuse_file_info* /*fi*/) {
  Shared* s = Shared::of(req);
  if (ino != kRootIno && ino != kFileIno) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  // Owner and mode are fixed; so is the size (a same-size truncate is fine).
  // Time updates are accepted and not kept.
  if ((to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) != 0) {
    fuse_reply_err(req, EPERM);
    return;
  }
  if ((to_set & FUSE_SET_ATTR_SIZE) != 0 &&
      (ino != kFileIno || static_cast<uint64_t>(attr->st_size) != s->size_bytes)) {
    fuse_reply_err(req, EPERM);
    return;
  }
  s->submit(req, [req, ino](std::shared_ptr<Shared> self) {
    const struct stat st = self->attr_of(ino);
    self->answer(req, [&] { fuse_reply_attr(req, &st, 0); });
  });
}

void op_refuse_name(fuse_req_t req) { fuse_reply_err(req, EPERM); }
void op_mknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { op_refuse_name(req); }
void op_mkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { op_refuse_name(req); }
void op_unlink(fuse_req_t req, fuse_ino_t, const char*) { op_refuse_name(req); }
void op_rmdir(fuse_req_t req, fuse_ino_t, const char*) { op_refuse_name(req); }
void op_symlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { op_refuse_name(req); }
void op_rename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned int) {
  op_refuse_name(req);
}
void op_link(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { op_refuse_name(req); }
void op_create(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) {
  op_refuse_name(req);
}

void op_open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  Shared* s = Shared::of(req);
  if (ino == kRootIno) {
    fuse_reply_err(req, EISDIR);
    return;
  }
  if (ino != kFileIno) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  // quorated's own open (the --block-devices loop device, set up in any
  // role) may write-open the file; its writes are still refused while the
  // target is not writable. The request names the opening thread.
  const pid_t opener = fuse_req_ctx(req)->pid;
  const bool own = opener == ::getpid() || ::access(fmt::format("/proc/self/task/{}", opener).c_str(), F_OK) == 0;
  const bool for_writing = (fi->flags & O_ACCMODE) != O_RDONLY && !own;
  fuse_file_info answer_fi = *fi;
  answer_fi.direct_io = 1;  // every read and write reaches us (see the header)
  answer_fi.keep_cache = 0;
  answer_fi.noflush = 1;  // close() needs no FLUSH: nothing is buffered
  answer_fi.fh = own ? kOwnOpen : kForeignOpen;  // handed back at release
  s->submit(req, [req, for_writing, own, answer_fi](std::shared_ptr<Shared> self) {
    if (for_writing && !self->target.writable()) {
      self->refuse_write("open for writing");
      self->answer_err(req, EROFS);
      return;
    }
    if (!own) ++self->foreign_opens;
    self->answer(req, [&] {
      // An open the kernel no longer waits for (interrupted) is never released.
      if (fuse_reply_open(req, &answer_fi) != 0 && !own) --self->foreign_opens;
    });
  });
}

void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* /*fi*/) {
  Shared* s = Shared::of(req);
  if (ino != kFileIno) {
    fuse_reply_err(req, ino == kRootIno ? EISDIR : ENOENT);
    return;
  }
  if (off < 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  const auto offset = static_cast<uint64_t>(off);
  if (offset >= s->size_bytes || size == 0) {
    fuse_reply_buf(req, nullptr, 0);  // end of file
    return;
  }
  const auto length = static_cast<uint32_t>(std::min<uint64_t>(size, s->size_bytes - offset));
  s->submit(req, [req, offset, length](std::shared_ptr<Shared> self) {
    Shared* sp = self.get();
    sp->target.read(
        offset, length, [self = std::move(self), req](int error, std::span<const uint8_t> data) {
          if (error != 0) {
            self->answer_err(req, error);
            return;
          }
          self->answer(req, [&] {
            fuse_reply_buf(req, reinterpret_cast<const char*>(data.data()), data.size());
          });
        });
  });
}

void op_write(fuse_req_t req, fuse_ino_t ino, const char* buf, size_t size, off_t off,
              fuse_file_info* fi) {
  Shared* s = Shared::of(req);
  if (ino != kFileIno) {
    fuse_reply_err(req, ino == kRootIno ? EISDIR : ENOENT);
    return;
  }
  if (off < 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  const auto offset = static_cast<uint64_t>(off);
  if (size == 0) {
    fuse_reply_write(req, 0);
    return;
  }
  if (offset >= s->size_bytes) {
    fuse_reply_err(req, EFBIG);  // the file's size is fixed
    return;
  }
  const auto length = static_cast<size_t>(std::min<uint64_t>(size, s->size_bytes - offset));
  // The request's buffer is reused for the next request: copy it.
  std::vector<uint8_t> data(reinterpret_cast<const uint8_t*>(buf),
                            reinterpret_cast<const uint8_t*>(buf) + length);
  const bool fua = (fi->flags & O_DSYNC) != 0;
  s->submit(req, [req, offset, fua, data = std::move(data)](std::shared_ptr<Shared> self) mutable {
    Shared* sp = self.get();
    if (!sp->target.writable()) {
      sp->refuse_write(fmt::format("write of {} bytes at {}", data.size(), offset));
      sp->answer_err(req, EROFS);
      return;
    }
    auto owned = std::make_shared<std::vector<uint8_t>>(std::move(data));
    sp->target.write(offset, *owned, fua, [self = std::move(self), req, owned, offset](int error) {
      if (error == EROFS) self->refuse_write(fmt::format("write at {}", offset));
      if (error != 0) {
        self->answer_err(req, error);
        return;
      }
      self->answer(req, [&] { fuse_reply_write(req, owned->size()); });
    });
  });
}

void op_flush(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* /*fi*/) {
  // close(): nothing is buffered here (direct I/O); durability is fsync's job.
  fuse_reply_err(req, 0);
}

void op_release(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
  if (fi != nullptr && fi->fh == kForeignOpen) {
    Shared* s = Shared::of(req);
    if (s->foreign_opens > 0) --s->foreign_opens;
  }
  fuse_reply_err(req, 0);
}

void op_fsync(fuse_req_t req, fuse_ino_t ino, int /*datasync*/, fuse_file_info* /*fi*/) {
  Shared* s = Shared::of(req);
  if (ino != kFileIno) {
    fuse_reply_err(req, 0);
    return;
  }
  s->submit(req, [req](std::shared_ptr<Shared> self) {
    Shared* sp = self.get();
    sp->target.flush([self = std::move(self), req](int error) { self->answer_err(req, error); });
  });
}

void op_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
                  fuse_file_info* /*fi*/) {
  Shared* s = Shared::of(req);
  if (ino != kFileIno) {
    fuse_reply_err(req, ino == kRootIno ? EISDIR : ENOENT);
    return;
  }
  if (off < 0 || len <= 0) {
    fuse_reply_err(req, EINVAL);
    return;
  }
  const auto offset = static_cast<uint64_t>(off);
  const auto length = static_cast<uint64_t>(len);
  const bool keep_size = (mode & FALLOC_FL_KEEP_SIZE) != 0;
  const int kind = mode & ~FALLOC_FL_KEEP_SIZE;
  const bool beyond = offset >= s->size_bytes || length > s->size_bytes - offset;
  if (kind != 0 && kind != FALLOC_FL_PUNCH_HOLE && kind != FALLOC_FL_ZERO_RANGE) {
    fuse_reply_err(req, EOPNOTSUPP);  // collapse, insert, unshare: the size is fixed
    return;
  }
  if (beyond && !keep_size) {
    fuse_reply_err(req, EFBIG);
    return;
  }
  const uint64_t end = std::min(s->size_bytes, offset + length);
  const uint64_t span = offset < end ? end - offset : 0;
  if (kind == 0) {
    fuse_reply_err(req, 0);  // the space is always there
    return;
  }
  s->submit(req, [req, kind, offset, span](std::shared_ptr<Shared> self) {
    Shared* sp = self.get();
    if (!sp->target.writable()) {
      sp->refuse_write(kind == FALLOC_FL_PUNCH_HOLE ? "punch hole" : "zero range");
      sp->answer_err(req, EROFS);
      return;
    }
    if (kind == FALLOC_FL_PUNCH_HOLE) {
      sp->chunked(std::move(self), req, offset, span,
                  [sp](uint64_t o, uint32_t l, BlockTarget::Done done) {
                    sp->target.trim(o, l, std::move(done));
                  });
    } else {
      sp->chunked(std::move(self), req, offset, span,
                  [sp](uint64_t o, uint32_t l, BlockTarget::Done done) {
                    sp->target.write_zeroes(o, l, false, std::move(done));
                  });
    }
  });
}

void op_opendir(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  if (ino != kRootIno) {
    fuse_reply_err(req, ino == kFileIno ? ENOTDIR : ENOENT);
    return;
  }
  fuse_reply_open(req, fi);
}

void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* /*fi*/) {
  Shared* s = Shared::of(req);
  if (ino != kRootIno) {
    fuse_reply_err(req, ENOTDIR);
    return;
  }
  struct Entry {
    const char* name;
    fuse_ino_t ino;
    mode_t mode;
  };
  const Entry entries[] = {{".", kRootIno, S_IFDIR},
                           {"..", kRootIno, S_IFDIR},
                           {s->file_name.c_str(), kFileIno, S_IFREG}};
  std::vector<char> out(size);
  size_t used = 0;
  for (off_t i = std::max<off_t>(off, 0); i < static_cast<off_t>(std::size(entries)); ++i) {
    struct stat st {};
    st.st_ino = entries[i].ino;
    st.st_mode = entries[i].mode;
    const size_t need =
        fuse_add_direntry(req, out.data() + used, size - used, entries[i].name, &st, i + 1);
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, out.data(), used);
}

void op_releasedir(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* /*fi*/) {
  fuse_reply_err(req, 0);
}

void op_fsyncdir(fuse_req_t req, fuse_ino_t /*ino*/, int /*datasync*/, fuse_file_info* /*fi*/) {
  fuse_reply_err(req, 0);
}

void op_statfs(fuse_req_t req, fuse_ino_t /*ino*/) {
  Shared* s = Shared::of(req);
  struct statvfs st {};
  st.f_bsize = kStatfsBlockBytes;
  st.f_frsize = kStatfsBlockBytes;
  st.f_blocks = (s->size_bytes + kStatfsBlockBytes - 1) / kStatfsBlockBytes;
  st.f_files = 2;
  st.f_namemax = 255;
  fuse_reply_statfs(req, &st);
}

fuse_lowlevel_ops make_ops() {
  fuse_lowlevel_ops ops{};
  ops.init = op_init;
  ops.lookup = op_lookup;
  ops.getattr = op_getattr;
  ops.setattr = op_setattr;
  ops.mknod = op_mknod;
  ops.mkdir = op_mkdir;
  ops.unlink = op_unlink;
  ops.rmdir = op_rmdir;
  ops.symlink = op_symlink;
  ops.rename = op_rename;
  ops.link = op_link;
  ops.create = op_create;
  ops.open = op_open;
  ops.read = op_read;
  ops.write = op_write;
  ops.flush = op_flush;
  ops.release = op_release;
  ops.fsync = op_fsync;
  ops.opendir = op_opendir;
  ops.readdir = op_readdir;
  ops.releasedir = op_releasedir;
  ops.fsyncdir = op_fsyncdir;
  ops.statfs = op_statfs;
  ops.fallocate = op_fallocate;
  return ops;
}

// The FUSE thread: waits on /dev/fuse and the stop eventfd.
void run_session(Shared* s) {
  fuse_buf buf{};
  const int fuse_fd = fuse_session_fd(s->session);
  while (!fuse_session_exited(s->session)) {
    pollfd fds[2] = {{fuse_fd, POLLIN, 0}, {s->stop_fd, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      s->write_log(fmt::format("fuse export {}: poll: {}", s->mountpoint, std::strerror(errno)));
      break;
    }
    if (fds[1].revents != 0) break;
    if ((fds[0].revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
      s->write_log(fmt::format("fuse export {}: unmounted from outside", s->mountpoint));
      break;
    }
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int n = fuse_session_receive_buf(s->session, &buf);
    if (n == -EINTR || n == -EAGAIN) continue;
    if (n <= 0) break;  // 0: unmounted (ENODEV); < 0: read error, logged by libfuse
    fuse_session_process_buf(s->session, &buf);
  }
  std::free(buf.mem);
}

}  // namespace

FuseExport::FuseExport(std::shared_ptr<Shared> shared)
    : mountpoint_(shared->mountpoint), file_name_(shared->file_name), shared_(std::move(shared)) {}

FuseExport::~FuseExport() { stop(); }

Result<std::unique_ptr<FuseExport>> FuseExport::start(boost::asio::io_context& io,
                                                      BlockTarget& target,
                                                      const std::string& mountpoint,
                                                      const std::string& file_name) {
  return start(io, target, mountpoint, file_name, Options{});
}

Result<std::unique_ptr<FuseExport>> FuseExport::start(boost::asio::io_context& io,
                                                      BlockTarget& target,
                                                      const std::string& mountpoint,
                                                      const std::string& file_name,
                                                      Options options) {
  if (file_name.empty() || file_name == "." || file_name == ".." ||
      file_name.find('/') != std::string::npos || file_name.size() > 255) {
    return Error{fmt::format("fuse export: '{}' is not a plain file name", file_name)};
  }
  if (options.max_in_flight == 0) {
    return Error{"fuse export: max_in_flight must be at least 1"};
  }
  if (Status st = check_mountpoint(mountpoint); !st) return st.error();
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    return Error{fmt::format("fuse export: /dev/fuse: {} (is the fuse module loaded?)",
                             std::strerror(errno))};
  }
  if (::geteuid() != 0 && !executable_in_path("fusermount3")) {
    return Error{"fuse export: not running as root and fusermount3 is not in PATH"};
  }
  assert(target.size() % 512 == 0);

  auto shared = std::make_shared<Shared>(io, target);
  shared->mountpoint = mountpoint;
  shared->file_name = file_name;
  shared->size_bytes = target.size();
  shared->max_in_flight = options.max_in_flight;
  shared->log = std::move(options.log);
  ::clock_gettime(CLOCK_REALTIME, &shared->start_time);
  shared->stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (shared->stop_fd < 0) {
    return Error{fmt::format("fuse export: eventfd: {}", std::strerror(errno))};
  }

  const std::string fs_options =
      fmt::format("fsname=quorate:{},subtype=quorate,default_permissions", file_name);
  std::vector<char*> argv;
  std::string arg0 = "quorated";
  std::string dash_o = "-o";
  std::string opts = fs_options;
  argv.push_back(arg0.data());
  argv.push_back(dash_o.data());
  argv.push_back(opts.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  const fuse_lowlevel_ops ops = make_ops();
  shared->session = fuse_session_new(&args, &ops, sizeof(ops), shared.get());
  fuse_opt_free_args(&args);
  if (shared->session == nullptr) {
    return Error{fmt::format("fuse export {}: fuse_session_new failed (options '{}')", mountpoint,
                             fs_options)};
  }
  if (fuse_session_mount(shared->session, mountpoint.c_str()) != 0) {
    return Error{
        fmt::format("fuse export: mounting {} failed (libfuse printed why on stderr)", mountpoint)};
  }
  shared->mounted = true;

  std::unique_ptr<FuseExport> exp(new FuseExport(shared));
  exp->thread_ = std::thread([s = shared.get()] { run_session(s); });
  return exp;
}

void FuseExport::stop() {
  if (!shared_) return;
  {
    std::lock_guard lock(shared_->mu);
    shared_->stopping = true;
  }
  shared_->slot_freed.notify_all();
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = ::write(shared_->stop_fd, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
  {
    // Completions may be answering on the io_context thread: close under the
    // lock, after which they only free their requests.
    std::lock_guard lock(shared_->mu);
    fuse_session_exit(shared_->session);
    if (shared_->mounted) {
      fuse_session_unmount(shared_->session);  // closes /dev/fuse, then a lazy umount
      shared_->mounted = false;
    }
    shared_->closed = true;
  }
  shared_.reset();  // completions still out keep the session until they finish
}

const std::string& FuseExport::mountpoint() const { return mountpoint_; }

std::string FuseExport::file_path() const { return mountpoint_ + "/" + file_name_; }

uint32_t FuseExport::opened_by_others() const { return shared_ ? shared_->foreign_opens.load() : 0; }

}  // namespace quorate::replication
