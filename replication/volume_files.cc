#include "replication/volume_files.h"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

#include <fmt/format.h>

namespace quorate::replication {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Result<uint64_t> size_of_fd(int fd, const std::string& path) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return Error{fmt::format("{}: {}", path, std::strerror(errno))};
  if (S_ISREG(st.st_mode)) return static_cast<uint64_t>(st.st_size);
  if (S_ISBLK(st.st_mode)) {
    uint64_t bytes = 0;
    if (::ioctl(fd, BLKGETSIZE64, &bytes) != 0) return Error{fmt::format("{}: {}", path, std::strerror(errno))};
    return bytes;
  }
  return Error{fmt::format("{}: not a regular file or block device", path)};
}

Status pread_all(int fd, uint8_t* buf, size_t len, uint64_t off, const std::string& path) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{fmt::format("{}: read at {}: {}", path, off + done, std::strerror(errno))};
    if (n == 0) {
      std::memset(buf + done, 0, len - done);
      break;
    }
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

Status pwrite_all(int fd, const uint8_t* buf, size_t len, uint64_t off, const std::string& path) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pwrite(fd, buf + done, len - done, static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Error{fmt::format("{}: write at {}: {}", path, off + done, std::strerror(errno))};
    done += static_cast<size_t>(n);
  }
  return Status::Ok();
}

std::string meta_path(const HostConfig& host) {
  return host.meta_disk.kind == MetaDisk::Kind::kInternal ? host.disk : host.meta_disk.path;
}

}  // namespace

Result<uint64_t> device_size(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return Error{fmt::format("{}: {}", path, std::strerror(errno))};
  return size_of_fd(fd.get(), path);
}

namespace {

Result<MdLayout> full_layout_of(const HostConfig& host) {
  if (host.disk.empty()) return Error{fmt::format("{}: host {} has no disk", host.where, host.name)};
  auto data = device_size(host.disk);
  if (!data.ok()) return data.error();
  if (host.meta_disk.kind == MetaDisk::Kind::kInternal) {
    auto l = internal_layout(*data);
    if (!l.ok()) return Error{fmt::format("{}: {}", host.disk, l.error().message)};
    return l;
  }
  auto meta = device_size(host.meta_disk.path);
  if (!meta.ok()) return meta.error();
  auto l = external_layout(*data, *meta,
                           host.meta_disk.kind == MetaDisk::Kind::kExternal ? host.meta_disk.index : std::nullopt);
  if (!l.ok()) return Error{fmt::format("{}: {}", host.meta_disk.path, l.error().message)};
  return l;
}

}  // namespace

Result<MdLayout> layout_of(const HostConfig& host, std::optional<uint64_t> size_sectors) {
  auto l = full_layout_of(host);
  if (!l.ok() || !size_sectors) return l;
  const uint64_t want = *size_sectors * 512;
  if (want == 0 || want % kBlockBytes != 0) {
    return Error{fmt::format("disk size {}s: the size must be a positive multiple of 4 KiB (8 sectors)",
                             *size_sectors)};
  }
  if (want > l->data_bytes) {
    return Error{fmt::format("disk size {}s ({} KiB) is more than {} holds for data ({} KiB)", *size_sectors,
                             want / 1024, host.disk, l->data_bytes / 1024)};
  }
  l->data_bytes = want;
  return l;
}

Result<std::vector<std::string>> create_md(const ResourceConfig& res, const HostConfig& host,
                                           const CreateMdOptions& opt) {
  auto layout = layout_of(host, res.disk.size_sectors);
  if (!layout.ok()) return layout.error();
  const std::string mpath = meta_path(host);
  Fd data(::open(host.disk.c_str(), O_RDWR | O_CLOEXEC));
  if (data.get() < 0) return Error{fmt::format("{}: {}", host.disk, std::strerror(errno))};
  Fd meta(mpath == host.disk ? ::dup(data.get()) : ::open(mpath.c_str(), O_RDWR | O_CLOEXEC));
  if (meta.get() < 0) return Error{fmt::format("{}: {}", mpath, std::strerror(errno))};
  std::vector<std::string> lines;
  // Existing meta data?
  std::vector<uint8_t> sb_area(kSuperblockBytes);
  if (Status s = pread_all(meta.get(), sb_area.data(), sb_area.size(), layout->sb_offset, mpath); !s.ok()) {
    return s.error();
  }
  if (auto old = decode_superblock_area(sb_area); old.ok()) {
    if (!opt.force) {
      return Error{fmt::format(
          "{}: {} already holds valid meta data (current UUID {:016X}); refusing to overwrite it. "
          "Use `drbdadm create-md --force {}` if the data may be discarded",
          res.name, mpath, old->uuids.current, res.name)};
    }
    const char* kind = host.meta_disk.kind == MetaDisk::Kind::kInternal ? "flexible-size internal" : "external";
    lines.push_back(fmt::format("You want me to create a v08 style {} meta data block.\n"
                                "There appears to be a v08 {} meta data block\n"
                                "already in place on {}; overwriting it (--force).", kind, kind, mpath));
  }
  // A file system in the way? Internal meta data takes the end of the data
  // device, which would cut a file system on it short. External meta data
  // leaves the data device alone (that is how DRBD is put under an existing
  // file system), but overwrites the meta device: a file system there is
  // somebody's data, not a meta-data area.
  const bool internal = host.meta_disk.kind == MetaDisk::Kind::kInternal;
  const int probe_fd = internal ? data.get() : meta.get();
  const std::string& probe_path = internal ? host.disk : mpath;
  auto probe_size = size_of_fd(probe_fd, probe_path);
  if (!probe_size.ok()) return probe_size.error();
  std::vector<uint8_t> head(std::min<uint64_t>(128 * 1024, *probe_size));
  if (Status s = pread_all(probe_fd, head.data(), head.size(), 0, probe_path); !s.ok()) return s.error();
  const std::string sig = detect_signature(head);
  if (!sig.empty()) {
    const std::string what =
        sig.find("partition") != std::string::npos ? "a " + sig : "an " + sig + " file system";
    if (!opt.force) {
      return Error{fmt::format(
          "{}: {} appears to contain {} ({}). {}; refusing. Use --force if its contents may be lost", res.name,
          probe_path, what, sig,
          internal ? "Creating internal meta data at the end of the device would cut it short"
                   : "It is named as the external meta-data device (meta-disk), and create-md would overwrite it")};
    }
    lines.push_back(fmt::format("{} appears to contain {}; overwriting {} (--force).", probe_path, sig,
                                internal ? "its end" : "it with meta data"));
  }
  std::random_device rd;
  const uint64_t device_uuid = (uint64_t{rd()} << 32) | rd();
  lines.push_back("initializing activity log");
  lines.push_back(fmt::format("initializing bitmap ({} KB) to all zero", layout->bm_bytes / 1024));
  lines.push_back("Writing meta data...");
  for (const auto& [off, bytes] : fresh_metadata(*layout, opt.al_extents, device_uuid)) {
    if (Status s = pwrite_all(meta.get(), bytes.data(), bytes.size(), off, mpath); !s.ok()) return s.error();
    if (::fdatasync(meta.get()) != 0) return Error{fmt::format("{}: fdatasync: {}", mpath, std::strerror(errno))};
  }
  lines.push_back("New drbd meta data block successfully created.");
  return lines;
}

Result<AttachState> read_attach_state(const HostConfig& host, std::optional<uint64_t> size_sectors) {
  auto layout = layout_of(host, size_sectors);
  if (!layout.ok()) return layout.error();
  const std::string mpath = meta_path(host);
  Fd meta(::open(mpath.c_str(), O_RDONLY | O_CLOEXEC));
  if (meta.get() < 0) return Error{fmt::format("{}: {}", mpath, std::strerror(errno))};
  std::vector<uint8_t> sb(kSuperblockBytes), al(kAlRingBytes), bm(layout->bm_bytes);
  if (Status s = pread_all(meta.get(), sb.data(), sb.size(), layout->sb_offset, mpath); !s.ok()) return s.error();
  if (Status s = pread_all(meta.get(), al.data(), al.size(), layout->al_offset, mpath); !s.ok()) return s.error();
  if (Status s = pread_all(meta.get(), bm.data(), bm.size(), layout->bm_offset, mpath); !s.ok()) return s.error();
  auto st = attach_from_bytes(*layout, sb, al, bm);
  if (!st.ok()) {
    return Error{fmt::format("{}: {}{}", mpath, st.error().message,
                             st.error().message.find("no Quorate meta data") != std::string::npos
                                 ? " (run `drbdadm create-md` first)"
                                 : "")};
  }
  return st;
}

BootId read_boot_id() {
  BootId id{};
  const int fd = ::open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return id;
  char text[64] = {};
  const ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  size_t digits = 0;
  for (ssize_t i = 0; i < n && digits < 2 * id.size(); ++i) {
    const char c = text[i];
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (v < 0) continue;  // the dashes and the newline
    id[digits / 2] = static_cast<uint8_t>(id[digits / 2] << 4 | v);
    ++digits;
  }
  return digits == 2 * id.size() ? id : BootId{};
}

EngineOptions engine_options(const ResourceConfig& res, const HostConfig& self, const HostConfig& peer) {
  EngineOptions o;
  o.boot_id = read_boot_id();
  o.resource = res.name;
  o.self = self.name;
  o.peer = peer.name;
  o.protocol = res.net.protocol;
  o.allow_two_primaries = res.net.allow_two_primaries;
  o.after_sb = SbPolicies{res.net.after_sb_0pri, res.net.after_sb_1pri, res.net.after_sb_2pri};
  o.cram_hmac_alg = res.net.cram_hmac_alg;
  o.shared_secret = res.net.shared_secret;
  o.timeout_ds = res.net.timeout_ds;
  o.ping_int_s = res.net.ping_int_s;
  o.ping_timeout_ds = res.net.ping_timeout_ds;
  o.connect_int_s = res.net.connect_int_s;
  o.max_epoch_size = res.net.max_epoch_size;
  o.max_buffers = res.net.max_buffers;
  o.verify_alg = res.net.verify_alg;
  o.fencing = res.net.fencing;
  o.on_io_error = res.disk.on_io_error;
  o.disk_flushes = res.disk.disk_flushes;
  o.resync_rate_kib_s = res.disk.resync_rate_kib_s;
  o.c_plan_ahead_ds = res.disk.c_plan_ahead_ds;
  o.c_fill_target_sectors = res.disk.c_fill_target_sectors;
  o.c_delay_target_ds = res.disk.c_delay_target_ds;
  o.c_max_rate_kib_s = res.disk.c_max_rate_kib_s;
  o.c_min_rate_kib_s = res.disk.c_min_rate_kib_s;
  o.al_extents = res.disk.al_extents;
  o.al_updates = res.disk.al_updates;
  return o;
}

}  // namespace quorate::replication
