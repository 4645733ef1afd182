// Real files and loop devices for the export tests: a sparse file in a
// directory of its own (removed with it), and a loop device over a file
// (detached with it) where this machine allows one.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>

namespace quorate::replication::test_files {

class ScratchFile {
 public:
  // `dir_template` is mkdtemp's ("/tmp/quorate-ft-XXXXXX"); ok() says whether
  // the file of `bytes` bytes (sparse) was made.
  ScratchFile(std::string dir_template, uint64_t bytes) {
    if (::mkdtemp(dir_template.data()) == nullptr) return;
    dir_ = dir_template;
    path_ = dir_ + "/f.img";
    std::ofstream(path_, std::ios::binary).put(0);
    ok_ = ::truncate(path_.c_str(), static_cast<off_t>(bytes)) == 0;
  }
  ~ScratchFile() {
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  ScratchFile(const ScratchFile&) = delete;
  ScratchFile& operator=(const ScratchFile&) = delete;

  bool ok() const { return ok_; }
  const std::string& dir() const { return dir_; }
  const std::string& path() const { return path_; }

 private:
  std::string dir_, path_;
  bool ok_ = false;
};

class LoopDevice {
 public:
  explicit LoopDevice(const std::string& file) {
    if (::geteuid() != 0 || ::access("/sbin/losetup", X_OK) != 0) {
      why_not_ = "needs root and losetup";
      return;
    }
    FILE* p = ::popen(("losetup --find --show " + file + " 2>/dev/null").c_str(), "r");
    char buf[128] = {};
    const bool got = p != nullptr && std::fgets(buf, sizeof buf, p) != nullptr;
    if (p != nullptr) ::pclose(p);
    if (!got) {
      why_not_ = "no free loop device";
      return;
    }
    dev_ = buf;
    while (!dev_.empty() && dev_.back() == '\n') dev_.pop_back();
  }
  ~LoopDevice() { detach(); }
  LoopDevice(const LoopDevice&) = delete;
  LoopDevice& operator=(const LoopDevice&) = delete;

  // The device ("/dev/loop3"), or "" with the reason in why_not().
  const std::string& device() const { return dev_; }
  const std::string& why_not() const { return why_not_; }
  // True if the device was detached (or there was none).
  bool detach() {
    if (dev_.empty()) return true;
    const bool ok = std::system(("losetup -d " + dev_).c_str()) == 0;
    dev_.clear();
    return ok;
  }

 private:
  std::string dev_, why_not_;
};

}  // namespace quorate::replication::test_files
