#include "daemon/loop_export.h"

#include <fcntl.h>
#include <linux/loop.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include <fmt/format.h>

namespace quorate::daemon {

namespace fs = std::filesystem;

Result<std::unique_ptr<LoopExport>> LoopExport::attach(const std::string& file) {
  const int backing = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
  if (backing < 0) return Error{fmt::format("{}: {}", file, std::strerror(errno))};
  const int ctl = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
  if (ctl < 0) {
    const int e = errno;
    ::close(backing);
    return Error{fmt::format("/dev/loop-control: {}", std::strerror(e))};
  }
  // Another losetup may take the device we were given: try a few.
  std::string last_error;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int n = ::ioctl(ctl, LOOP_CTL_GET_FREE);
    if (n < 0) {
      last_error = fmt::format("LOOP_CTL_GET_FREE: {}", std::strerror(errno));
      break;
    }
    const std::string path = fmt::format("/dev/loop{}", n);
    const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      last_error = fmt::format("{}: {}", path, std::strerror(errno));
      continue;
    }
    loop_config cfg{};
    cfg.fd = static_cast<uint32_t>(backing);
    std::strncpy(reinterpret_cast<char*>(cfg.info.lo_file_name), file.c_str(), LO_NAME_SIZE - 1);
    if (::ioctl(fd, LOOP_CONFIGURE, &cfg) == 0) {
      ::close(ctl);
      ::close(backing);  // the loop device holds its own reference
      ::close(fd);       // and stays configured (no autoclear)
      return std::unique_ptr<LoopExport>(new LoopExport(path));
    }
    last_error = fmt::format("{}: LOOP_CONFIGURE: {}", path, std::strerror(errno));
    ::close(fd);
    if (errno != EBUSY) break;
  }
  ::close(ctl);
  ::close(backing);
  return Error{last_error};
}

LoopExport::~LoopExport() { detach(); }

bool LoopExport::add_link(const std::string& link, std::string* why, const std::string& file) {
  std::error_code ec;
  const fs::path p(link);
  if (fs::is_symlink(p, ec)) {
    const fs::path target = fs::read_symlink(p, ec);
    if (ec || target.string().rfind("/dev/loop", 0) != 0) {
      *why = fmt::format("{} is a symlink to {}, not to a loop device", link, target.string());
      return false;
    }
    fs::remove(p, ec);  // a link left by a quorated that was killed
    // Its loop device, if it still serves this export's (dead) file.
    if (!file.empty() && target != fs::path(path_)) {
      std::ifstream in("/sys/block/" + target.filename().string() + "/loop/backing_file");
      std::string backing;
      std::getline(in, backing);
      // The kernel names the file as its mount shows it now: a lazily
      // unmounted dead export reads "/NAME". Same name, and no such file
      // there: the dead one (a live export elsewhere keeps its full path).
      const bool dead_view = !backing.empty() && fs::path(backing).filename() == fs::path(file).filename() &&
                             !fs::exists(backing, ec);
      if (backing == file || backing == file + " (deleted)" || dead_view) {
        const int fd = ::open(target.c_str(), O_RDWR | O_CLOEXEC);
        if (fd >= 0) {
          (void)::ioctl(fd, LOOP_CLR_FD, 0);
          ::close(fd);
        }
      }
    }
  } else if (fs::exists(p, ec)) {
    *why = fmt::format("{} exists (a DRBD device, or something else's)", link);
    return false;
  }
  fs::create_directories(p.parent_path(), ec);
  fs::create_symlink(path_, p, ec);
  if (ec) {
    *why = fmt::format("{}: {}", link, ec.message());
    return false;
  }
  links_.push_back(link);
  return true;
}

bool LoopExport::busy() const {
  const int fd = ::open(path_.c_str(), O_RDONLY | O_EXCL | O_CLOEXEC);
  if (fd < 0) return errno == EBUSY;
  ::close(fd);
  return false;
}

void LoopExport::detach() {
  for (const auto& link : links_) {
    std::error_code ec;
    if (fs::read_symlink(link, ec) == fs::path(path_)) fs::remove(link, ec);
  }
  links_.clear();
  if (!attached_) return;
  attached_ = false;
  const int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return;
  (void)::ioctl(fd, LOOP_CLR_FD, 0);  // busy: the kernel detaches at the last close
  ::close(fd);
}

}  // namespace quorate::daemon
