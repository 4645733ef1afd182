// quorated's state files: atomic, durable replacement of one-number files.
// See state_files.h.
#include "daemon/state_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>

namespace quorate::daemon {

namespace {

constexpr size_t kMaxNumberFileBytes = 64;

std::string errno_text(int err) { return std::strerror(err); }

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// Writes all of `data` to fd, retrying on EINTR and short writes.
bool write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

}  // namespace

Status ensure_directory(const std::string& dir, unsigned mode) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return Status::Ok();
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{fmt::format("cannot create directory {}: {}", dir, ec.message())};
  if (::chmod(dir.c_str(), static_cast<mode_t>(mode)) != 0) {
    return Error{fmt::format("cannot chmod directory {}: {}", dir, errno_text(errno))};
  }
  return Status::Ok();
}

Result<std::optional<uint64_t>> read_number_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<uint64_t>{};
    return Error{fmt::format("cannot open {}: {}", path, errno_text(errno))};
  }
  std::string text;
  char buf[kMaxNumberFileBytes + 1];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      return Error{fmt::format("cannot read {}: {}", path, errno_text(err))};
    }
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > kMaxNumberFileBytes) {
      ::close(fd);
      return Error{fmt::format("{}: too long for a number file", path)};
    }
  }
  ::close(fd);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc{} || end != text.data() + text.size()) {
    return Error{fmt::format("{}: expected one unsigned decimal number", path)};
  }
  return std::optional<uint64_t>{value};
}

Status write_number_file(const std::string& path, uint64_t value) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Error{fmt::format("cannot create {}: {}", tmp, errno_text(errno))};
  const std::string data = fmt::format("{}\n", value);
  if (!write_all(fd, data) || ::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return Error{fmt::format("cannot write {}: {}", tmp, errno_text(err))};
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{fmt::format("cannot write {}: {}", tmp, errno_text(err))};
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return Error{fmt::format("cannot rename {} to {}: {}", tmp, path, errno_text(err))};
  }
  // Make the rename itself durable.
  const int dfd = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
  return Status::Ok();
}

std::string incarnation_path(const std::string& state_dir) { return state_dir + "/incarnation"; }

std::string ringid_path(const std::string& state_dir, uint32_t nodeid) {
  return fmt::format("{}/ringid_{}", state_dir, nodeid);
}

Result<uint64_t> next_incarnation(const std::string& state_dir, uint64_t wall_clock_us) {
  const std::string path = incarnation_path(state_dir);
  auto persisted = read_number_file(path);
  if (!persisted.ok()) return persisted.error();
  uint64_t next = wall_clock_us;
  if (persisted->has_value()) {
    const uint64_t old = **persisted;
    if (old == UINT64_MAX) return Error{fmt::format("{}: incarnation exhausted", path)};
    next = std::max(next, old + 1);
  }
  if (next == 0) next = 1;
  if (Status s = write_number_file(path, next); !s.ok()) return s.error();
  return next;
}

Result<uint64_t> load_ring_seq(const std::string& state_dir, uint32_t nodeid) {
  auto v = read_number_file(ringid_path(state_dir, nodeid));
  if (!v.ok()) return v.error();
  return v->value_or(0);
}

Status store_ring_seq(const std::string& state_dir, uint32_t nodeid, uint64_t seq) {
  return write_number_file(ringid_path(state_dir, nodeid), seq);
}

}  // namespace quorate::daemon
