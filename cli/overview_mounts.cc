#include "cli/overview_mounts.h"

#include <sys/statvfs.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <vector>

#include <fmt/format.h>

namespace quorate::cli {
namespace {

namespace fs = std::filesystem;

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape_octal(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.find_first_not_of("01234567") == std::string::npos) {
        out += static_cast<char>(std::stoi(oct, nullptr, 8));
        i += 3;
        continue;
      }
    }
    out += s[i];
  }
  return out;
}

struct MountEntry {
  std::string mountpoint, fstype;
};

// Source device -> its first mount.
std::map<std::string, MountEntry> read_mountinfo(const std::string& path) {
  std::map<std::string, MountEntry> mounts;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::vector<std::string> f;
    for (std::string w; fields >> w;) f.push_back(w);
    // id parent major:minor root mountpoint options [optional...] - fstype source superopts
    size_t dash = 0;
    for (size_t i = 6; i < f.size(); ++i) {
      if (f[i] == "-") {
        dash = i;
        break;
      }
    }
    if (dash == 0 || dash + 2 >= f.size()) continue;
    const std::string source = unescape_octal(f[dash + 2]);
    mounts.emplace(source, MountEntry{unescape_octal(f[4]), f[dash + 1]});
  }
  return mounts;
}

// Backing file -> /dev/loopN.
std::map<std::string, std::string> read_loop_backing(const std::string& sys_root) {
  std::map<std::string, std::string> by_file;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(sys_root + "/block", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("loop", 0) != 0) continue;
    std::ifstream in(entry.path() / "loop" / "backing_file");
    std::string file;
    if (!std::getline(in, file) || file.empty()) continue;
    by_file.emplace(file, "/dev/" + name);
  }
  return by_file;
}

}  // namespace

std::string df_human(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"K", "M", "G", "T", "P", "E"};
  if (bytes < 1024) return fmt::format("{}", bytes);
  double v = static_cast<double>(bytes) / 1024.0;
  size_t u = 0;
  while (v >= 1024.0 && u + 1 < std::size(kUnits)) {
    v /= 1024.0;
    ++u;
  }
  if (v < 10.0) {
    const double up = std::ceil(v * 10.0 - 1e-9) / 10.0;
    if (up < 10.0) return fmt::format("{:.1f}{}", up, kUnits[u]);
    v = up;
  }
  const double whole = std::ceil(v - 1e-9);
  if (whole >= 1024.0 && u + 1 < std::size(kUnits)) return fmt::format("1.0{}", kUnits[u + 1]);
  return fmt::format("{:.0f}{}", whole, kUnits[u]);
}

std::map<uint32_t, OverviewMount> find_overview_mounts(const ReplicaList& volumes, const MountSources& where) {
  std::map<uint32_t, OverviewMount> out;
  bool any = false;
  for (const auto& v : volumes) any = any || !v.fuse_file.empty();
  if (!any) return out;
  const auto loops = read_loop_backing(where.sys_root);
  const auto mounts = read_mountinfo(where.mountinfo);
  for (const auto& v : volumes) {
    if (v.fuse_file.empty()) continue;
    auto loop = loops.find(v.fuse_file);
    if (loop == loops.end()) continue;
    auto m = mounts.find(loop->second);
    if (m == mounts.end()) continue;
    struct statvfs st {};
    if (::statvfs(m->second.mountpoint.c_str(), &st) != 0) continue;
    const uint64_t size = uint64_t{st.f_blocks} * st.f_frsize;
    const uint64_t used = (uint64_t{st.f_blocks} - st.f_bfree) * st.f_frsize;
    const uint64_t avail = uint64_t{st.f_bavail} * st.f_frsize;
    const uint64_t pct = used + avail == 0 ? 0 : (used * 100 + used + avail - 1) / (used + avail);
    out[v.minor] = OverviewMount{m->second.mountpoint, m->second.fstype, df_human(size), df_human(used),
                                 df_human(avail), fmt::format("{}%", pct)};
  }
  return out;
}

}  // namespace quorate::cli
