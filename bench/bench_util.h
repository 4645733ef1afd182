// Helpers shared by the bench/ programs: child processes ended by pid,
// bounded polling, order statistics, and the machine description printed at
// the top of every table. Header-only; one thread.
#pragma once

#include <fmt/format.h>

#include <sys/types.h>

#include <cstdlib>

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace quorate::bench {

using Clock = std::chrono::steady_clock;

inline double ms_since(Clock::time_point t0, Clock::time_point t1 = Clock::now()) {
  return std::chrono::duration<double, std::milli>(t1 - t0).count();
}

// Value at quantile q (0..1) of `v` (nearest rank); 0 for an empty vector.
inline double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t idx = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(idx, v.size() - 1)];
}
inline double median(const std::vector<double>& v) {
  if (v.empty()) return 0;
  std::vector<double> s = v;
  std::sort(s.begin(), s.end());
  const size_t n = s.size();
  return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
inline double max_of(const std::vector<double>& v) {
  return v.empty() ? 0 : *std::max_element(v.begin(), v.end());
}

inline std::string cpu_model() {
  std::ifstream f("/proc/cpuinfo");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      return colon == std::string::npos ? line : line.substr(colon + 2);
    }
  }
  return "unknown";
}

inline void print_machine() {
  std::printf("# machine: %u cpus (std::thread::hardware_concurrency), %s\n",
              std::thread::hardware_concurrency(), cpu_model().c_str());
}

// Starts `exe args...` as our child with stdout+stderr appended to `out_path`.
inline std::optional<pid_t> spawn(const std::string& exe, const std::vector<std::string>& args,
                                  const std::string& out_path) {
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return std::nullopt;
  std::vector<std::string> storage;
  storage.push_back(exe);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(out);
    return std::nullopt;
  }
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out);
  return pid;
}

// True when our child `pid` has exited (and reaps it).
inline bool reaped(pid_t pid) {
  int st = 0;
  const pid_t r = ::waitpid(pid, &st, WNOHANG);
  return r == pid || (r < 0 && errno == ECHILD);
}

// Ends our child `pid`: SIGTERM, up to `grace` for it to exit, then SIGKILL
// and a bounded wait. Returns true when it was reaped.
inline bool end_child(pid_t pid,
                      std::chrono::milliseconds grace = std::chrono::milliseconds(3000)) {
  if (reaped(pid)) return true;
  ::kill(pid, SIGTERM);
  auto deadline = Clock::now() + grace;
  while (Clock::now() < deadline) {
    if (reaped(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid, SIGKILL);
  deadline = Clock::now() + std::chrono::seconds(2);
  while (Clock::now() < deadline) {
    if (reaped(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

// Polls `cond` every `every` until it holds or `timeout` passes.
template <typename F>
bool poll_until(F&& cond, std::chrono::milliseconds timeout,
                std::chrono::milliseconds every = std::chrono::milliseconds(5)) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(every);
  }
}

inline bool write_text(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  f.close();
  return static_cast<bool>(f);
}

// A "Vm...:  1234 kB" field of /proc/PID/status, in KiB; -1 if absent.
inline long status_kib(pid_t pid, const std::string& field) {
  std::ifstream f(fmt::format("/proc/{}/status", pid));
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::atol(line.c_str() + field.size() + 1);
  }
  return -1;
}

// CPU seconds (user + system, all threads) a process has used so far, from
// /proc/PID/stat; -1 if unreadable.
inline double cpu_seconds(std::optional<pid_t> pid) {
  if (!pid) return -1;
  std::ifstream in(fmt::format("/proc/{}/stat", *pid));
  std::string line;
  if (!std::getline(in, line)) return -1;
  const auto close = line.rfind(')');  // the command name may hold spaces
  if (close == std::string::npos) return -1;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // Fields 3.. after the name: state is field 3; utime 14, stime 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// Bytes a process has made the kernel read from storage so far (read_bytes
// of /proc/PID/io: page-cache misses and direct reads); -1 if unreadable.
inline long long storage_read_bytes(std::optional<pid_t> pid) {
  if (!pid) return -1;
  std::ifstream in(fmt::format("/proc/{}/io", *pid));
  std::string key;
  long long value = 0;
  while (in >> key >> value) {
    if (key == "read_bytes:") return value;
  }
  return -1;
}

}  // namespace quorate::bench
