// bench_replication: replicated volumes measured end to end with fio, real
// files and real quorated processes on loopback (issue 3's benchmark section).
//
//   write   sequential 1 MiB writes (MB/s); 4 KiB random writes each followed
//           by a flush at QD1 and QD32 (IOPS, mean and p99 latency). Rows:
//           the backing file (fio psync), an unreplicated NBD export (an
//           in-process replication::NbdServer over replication::FileTarget),
//           one quorated with its peer absent (Primary --force,
//           WFConnection), and two quorated replicating with protocol A, B, C.
//   sync    full sync of a volume filled with random data and a bitmap resync
//           of scattered 64 KiB blocks, beside the disk limit (fio sequential
//           read of the source, sequential write of a same-size file; through
//           the page cache and with O_DIRECT, the faster counts) and the
//           network limit (a loopback TCP stream), all in the same run. The
//           resync rate is fixed above both limits (c-plan-ahead 0,
//           resync-rate 4G): this measures the data path, not the dynamic
//           controller's ramp (which starts at resync-rate and follows what
//           arrives; see docs/BENCHMARKS.md).
//   memory  VmRSS/VmHWM of quorated serving a 10 GiB sparse volume, beside the
//           same daemon idle before the volume was created.
//
// The loopback round-trip time (64-byte TCP ping-pong) is measured in the same
// run for the flush-latency goal. Every table row is printed beside its
// baseline from this run with the ratio and PASS/MISS against the goal.
//
// Usage: bench_replication [--quick] [--only write|sync|memory] [--dir DIR]
//                          [--keep] [--bin DIR] [--port P] [--pin] [--peer-disk-dir D]
//
// --peer-disk-dir puts node2's backing file in D (e.g. a tmpfs, or a second
// disk): on one machine both replicas otherwise share one disk, whose flushes
// serialise, while on a cluster each node flushes its own. The goal rows are
// measured without it; with it they show the cost of the protocol alone.
// --pin emulates two one-CPU machines on a machine with two or more CPUs: the
// bench, fio, the unreplicated export and node1 (the Primary / sync source)
// run on CPU 0, node2 (the peer / sync target) on CPU 1; the loopback limits
// put their sender on CPU 1. Without it every process shares every CPU, so
// the replicated rows also pay the peer's CPU work, which on a real cluster
// runs on the other machine.
// Every daemon is our child and is ended by pid (also on failure); every wait
// has a deadline; DIR (default: a new /tmp/quorate-bench-repl-XXXXXX) is
// removed at the end unless --keep. Exit status 0 when every row was measured.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

#include <nlohmann/json.hpp>

#include "bench/cluster_util.h"
#include "replication/file_target.h"
#include "replication/nbd_server.h"

using namespace quorate;
using namespace quorate::bench;
using std::chrono::milliseconds;
namespace fs = std::filesystem;
namespace asio = boost::asio;

namespace {

constexpr uint64_t kMiB = 1ULL << 20;

struct Options {
  bool quick = false;
  std::string only;  // "" = all
  std::string dir;
  bool keep = false;
  std::string bin;
  uint16_t port = 31400;
  bool pin = false;
  std::string peer_disk_dir;  // node2's backing file here (default: its node dir)
};

// --pin: the calling thread (and the processes and threads it starts from now
// on) runs on CPU `cpu` while this object lives, then back on CPU 0. A no-op
// without --pin.
bool g_pin = false;
class OnCpu {
 public:
  explicit OnCpu(int cpu) {
    if (g_pin) set(cpu);
  }
  ~OnCpu() {
    if (g_pin) set(0);
  }
  OnCpu(const OnCpu&) = delete;
  OnCpu& operator=(const OnCpu&) = delete;
  static bool set(int cpu) {
    cpu_set_t m;
    CPU_ZERO(&m);
    CPU_SET(cpu, &m);
    return ::sched_setaffinity(0, sizeof m, &m) == 0;
  }
};

// Sizes and durations of one run (full or --quick).
struct Plan {
  uint64_t write_volume_bytes = 512 * kMiB;
  uint64_t seq_bytes = 256 * kMiB;
  int seq_runtime_s = 10;
  int flush_runtime_s = 10;
  uint64_t sync_volume_bytes = 1024 * kMiB;
  uint64_t resync_bytes = 128 * kMiB;
  uint64_t mem_volume_bytes = 10240 * kMiB;
  int mem_sync_timeout_s = 300;
  int rtt_rounds = 10000;
  uint64_t stream_bytes = 1024 * kMiB;
};

Plan plan_for(bool quick) {
  Plan p;
  if (!quick) return p;
  p.write_volume_bytes = 64 * kMiB;
  p.seq_bytes = 32 * kMiB;
  p.seq_runtime_s = 1;
  p.flush_runtime_s = 1;
  p.sync_volume_bytes = 64 * kMiB;
  p.resync_bytes = 4 * kMiB;
  p.mem_volume_bytes = 1024 * kMiB;
  p.mem_sync_timeout_s = 60;
  p.rtt_rounds = 2000;
  p.stream_bytes = 128 * kMiB;
  return p;
}

// ---------------------------------------------------------------- processes

struct CmdResult {
  int exit_code = -1;  // -1: could not start or timed out (killed)
  std::string out;     // stdout + stderr
};

// Runs argv (PATH lookup) as our child with a deadline; kills it by pid on timeout.
CmdResult run_cmd(const std::vector<std::string>& argv, const std::string& out_path,
                  milliseconds timeout) {
  CmdResult r;
  const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0) {
    r.out = out_path + ": " + std::strerror(errno);
    return r;
  }
  std::vector<std::string> storage = argv;
  std::vector<char*> args;
  for (auto& s : storage) args.push_back(s.data());
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out);
  if (pid < 0) {
    r.out = std::string("fork: ") + std::strerror(errno);
    return r;
  }
  int st = 0;
  const bool done = poll_until([&] { return ::waitpid(pid, &st, WNOHANG) == pid; }, timeout,
                               milliseconds(10));
  if (!done) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &st, 0);
  }
  std::ifstream f(out_path);
  std::stringstream ss;
  ss << f.rdbuf();
  r.out = ss.str();
  if (!done) {
    r.out = fmt::format("{} timed out after {} s; output: {}", argv[0], timeout.count() / 1000,
                        r.out);
    return r;
  }
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

// ---------------------------------------------------------------- fio

struct FioResult {
  std::string problem;  // empty: measured
  double mb_s = 0;      // 10^6 bytes per second
  double iops = 0;
  double mean_us = 0;  // write latency (+ the flush that follows it, when flushing)
  double p99_us = 0;
};

double pct99_us(const nlohmann::json& lat) {
  if (!lat.contains("percentile")) return 0;
  const auto& p = lat["percentile"];
  for (const char* k : {"99.000000", "99.00"}) {
    if (p.contains(k)) return p[k].get<double>() / 1000.0;
  }
  return 0;
}

// fio with `args` (engine and target included); `dir` is read or write.
FioResult run_fio(const std::string& work_dir, const std::string& tag, std::vector<std::string> args,
                  const char* dir, bool flushing, int timeout_s) {
  FioResult res;
  const std::string json_path = fmt::format("{}/fio-{}.json", work_dir, tag);
  std::vector<std::string> argv = {"fio", "--name=" + tag, "--output-format=json",
                                   "--output=" + json_path, "--lat_percentiles=1"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto r = run_cmd(argv, fmt::format("{}/fio-{}.out", work_dir, tag), milliseconds(timeout_s * 1000));
  if (r.exit_code != 0) {
    res.problem = fmt::format("fio {} exited {}: {}", tag, r.exit_code, r.out.substr(0, 400));
    return res;
  }
  std::ifstream f(json_path);
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string text = ss.str();
  const auto brace = text.find('{');
  const auto j = nlohmann::json::parse(brace == std::string::npos ? text : text.substr(brace),
                                       nullptr, false);
  if (j.is_discarded() || !j.contains("jobs") || j["jobs"].empty()) {
    res.problem = fmt::format("fio {}: no JSON result in {}", tag, json_path);
    return res;
  }
  const auto& job = j["jobs"][0];
  if (job.value("error", 0) != 0) {
    res.problem = fmt::format("fio {}: job error {}", tag, job.value("error", 0));
    return res;
  }
  const auto& d = job[dir];
  res.mb_s = d.value("bw_bytes", 0.0) / 1e6;
  res.iops = d.value("iops", 0.0);
  res.mean_us = d["lat_ns"].value("mean", 0.0) / 1000.0;
  res.p99_us = pct99_us(d["lat_ns"]);
  if (flushing && job.contains("sync") && job["sync"].contains("lat_ns")) {
    res.mean_us += job["sync"]["lat_ns"].value("mean", 0.0) / 1000.0;
    res.p99_us += pct99_us(job["sync"]["lat_ns"]);
  }
  if (d.value("total_ios", 0) == 0 && d.value("io_bytes", 0) == 0) {
    res.problem = fmt::format("fio {}: no I/O completed", tag);
  }
  return res;
}

// How fio reaches one write target.
struct Target {
  std::string name;
  bool is_file = false;
  std::string path_or_uri;
};

std::vector<std::string> target_args(const Target& t, int qd) {
  if (t.is_file) {
    // psync is synchronous: QD32 is 32 jobs on the same file.
    std::vector<std::string> a = {"--ioengine=psync", "--filename=" + t.path_or_uri};
    if (qd > 1) {
      a.push_back(fmt::format("--numjobs={}", qd));
      a.push_back("--group_reporting");
    }
    return a;
  }
  return {"--ioengine=nbd", "--uri=" + t.path_or_uri, fmt::format("--iodepth={}", qd)};
}

struct WriteRow {
  std::string name;
  std::string problem;
  FioResult seq, qd1, qd32;
};

WriteRow measure_writes(const Target& t, const Plan& p, const std::string& work_dir,
                        const std::string& tag) {
  WriteRow row;
  row.name = t.name;
  auto seq_args = target_args(t, t.is_file ? 1 : 8);
  for (const auto& s : {std::string("--rw=write"), std::string("--bs=1M"),
                        fmt::format("--size={}", p.seq_bytes),
                        fmt::format("--runtime={}", p.seq_runtime_s), std::string("--time_based"),
                        std::string("--end_fsync=1")})
    seq_args.push_back(s);
  row.seq = run_fio(work_dir, tag + "-seq", seq_args, "write", false, p.seq_runtime_s + 120);
  for (int qd : {1, 32}) {
    auto a = target_args(t, qd);
    // fio 3.33's nbd engine fails fdatasync (DDIR_DATASYNC) with EINVAL and
    // sends NBD_CMD_FLUSH for fsync; FileTarget's flush is fdatasync.
    for (const auto& s : {std::string("--rw=randwrite"), std::string("--bs=4k"),
                          std::string(t.is_file ? "--fdatasync=1" : "--fsync=1"), fmt::format("--size={}", p.seq_bytes),
                          fmt::format("--runtime={}", p.flush_runtime_s), std::string("--time_based")})
      a.push_back(s);
    (qd == 1 ? row.qd1 : row.qd32) = run_fio(work_dir, fmt::format("{}-qd{}", tag, qd), a, "write",
                                             true, p.flush_runtime_s + 120);
  }
  for (const FioResult* r : {&row.seq, &row.qd1, &row.qd32}) {
    if (!r->problem.empty()) row.problem = r->problem;
  }
  return row;
}

bool make_file(const std::string& path, uint64_t bytes) {
  std::ofstream(path).close();
  std::error_code ec;
  fs::resize_file(path, bytes, ec);
  return !ec;
}

// Fills `path` (`bytes` long) with pseudo-random data and fdatasyncs it.
bool fill_random(const std::string& path, uint64_t bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  std::vector<uint64_t> buf(kMiB / 8);
  uint64_t x = 0x9e3779b97f4a7c15ULL;
  bool ok = true;
  for (uint64_t off = 0; ok && off < bytes; off += kMiB) {
    for (auto& w : buf) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      w = x;
    }
    ok = ::pwrite(fd, buf.data(), kMiB, static_cast<off_t>(off)) == static_cast<ssize_t>(kMiB);
  }
  ok = ok && ::fdatasync(fd) == 0;
  ::close(fd);
  return ok;
}

// ---------------------------------------------------------------- in-process export

// The unreplicated baseline: NbdServer over FileTarget on a Unix socket, run
// on its own io_context thread in this process.
class InProcessExport {
 public:
  ~InProcessExport() { stop(); }

  std::string start(const std::string& file, const std::string& socket_path) {
    auto t = replication::FileTarget::open(file);
    if (!t.ok()) return t.error().message;
    target_ = std::move(t).value();
    if (Status s = registry_.add("r0", *target_); !s.ok()) return s.error().message;
    replication::NbdServerOptions o;
    o.unix_socket_path = socket_path;
    server_ = std::make_unique<replication::NbdServer>(io_, registry_, o);
    if (Status s = server_->start(); !s.ok()) return s.error().message;
    thread_ = std::thread([this] { io_.run(); });
    return "";
  }

  void stop() {
    if (!thread_.joinable()) return;
    asio::post(io_, [this] { server_->stop(); });
    poll_until([&] { return server_->open_connections() == 0; }, milliseconds(5000));
    guard_.reset();
    io_.stop();
    thread_.join();
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  replication::ExportRegistry registry_;
  std::unique_ptr<replication::FileTarget> target_;
  std::unique_ptr<replication::NbdServer> server_;
  std::thread thread_;
};

// ---------------------------------------------------------------- loopback

int tcp_listener(uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
      ::listen(fd, 1) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  socklen_t len = sizeof sa;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  *port = ntohs(sa.sin_port);
  return fd;
}

int tcp_dial(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  sa.sin_port = htons(port);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    if (fd >= 0) ::close(fd);
    return -1;
  }
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

bool io_all(int fd, uint8_t* buf, size_t len, bool send) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = send ? ::send(fd, buf + done, len - done, MSG_NOSIGNAL)
                           : ::recv(fd, buf + done, len - done, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

// A TCP connection over 127.0.0.1 with an echo (or sink) thread at the far end.
struct LoopbackPair {
  int client = -1;
  std::thread peer;
  ~LoopbackPair() {
    if (client >= 0) ::shutdown(client, SHUT_RDWR);
    if (peer.joinable()) peer.join();
    if (client >= 0) ::close(client);
  }
};

// Median round trip of 64 bytes over loopback TCP, in microseconds; <0 on failure.
double loopback_rtt_us(int rounds) {
  uint16_t port = 0;
  const int lfd = tcp_listener(&port);
  if (lfd < 0) return -1;
  LoopbackPair pair;
  const OnCpu peer_cpu(1);
  pair.peer = std::thread([lfd] {
    const int c = ::accept(lfd, nullptr, nullptr);
    ::close(lfd);
    if (c < 0) return;
    const int one = 1;
    ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    uint8_t b[64];
    while (io_all(c, b, sizeof b, false) && io_all(c, b, sizeof b, true)) {
    }
    ::close(c);
  });
  pair.client = tcp_dial(port);
  if (pair.client < 0) return -1;
  std::vector<double> us;
  uint8_t b[64] = {};
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    if (!io_all(pair.client, b, sizeof b, true) || !io_all(pair.client, b, sizeof b, false))
      return -1;
    us.push_back(ms_since(t0) * 1000.0);
  }
  return median(us);
}

// Throughput of `bytes` streamed through loopback TCP, MB/s; <0 on failure.
double loopback_stream_mb_s(uint64_t bytes) {
  uint16_t port = 0;
  const int lfd = tcp_listener(&port);
  if (lfd < 0) return -1;
  LoopbackPair pair;
  const OnCpu peer_cpu(1);
  pair.peer = std::thread([lfd, bytes] {
    const int c = ::accept(lfd, nullptr, nullptr);
    ::close(lfd);
    if (c < 0) return;
    std::vector<uint8_t> buf(kMiB, 0x5a);
    for (uint64_t sent = 0; sent < bytes; sent += kMiB) {
      if (!io_all(c, buf.data(), buf.size(), true)) break;
    }
    ::close(c);
  });
  pair.client = tcp_dial(port);
  if (pair.client < 0) return -1;
  std::vector<uint8_t> buf(kMiB);
  uint64_t got = 0;
  const auto t0 = Clock::now();
  while (got < bytes) {
    const ssize_t n = ::recv(pair.client, buf.data(), buf.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return -1;
    got += static_cast<uint64_t>(n);
  }
  return static_cast<double>(bytes) / 1e6 / (ms_since(t0) / 1000.0);
}

uint16_t free_tcp_port(const std::string& addr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = ::inet_addr(addr.c_str());
  uint16_t port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

// ---------------------------------------------------------------- replicated cluster

// Two quorated on 127.0.0.1/2 with one resource r0 over files; drives the
// replica IPC like drbdadm. Daemons are ended by pid in the destructor, and
// anything still mounted under the directory is detached.
class ReplCluster {
 public:
  ReplCluster(const Options& o, const std::string& dir, uint16_t totem_port)
      : cluster_(o.bin, dir, 2, totem_port, 1000), dir_(dir), keep_(o.keep), peer_disk_dir_(o.peer_disk_dir) {}
  ~ReplCluster() {
    cluster_.stop_all();
    if (!peer_disk_dir_.empty() && !keep_) {
      std::error_code ec;
      fs::remove(disk(2), ec);
    }
    std::ifstream mounts("/proc/mounts");
    std::string dev, where, rest;
    while (mounts >> dev >> where && std::getline(mounts, rest)) {
      if (where.rfind(dir_, 0) == 0) (void)::umount2(where.c_str(), MNT_DETACH);
    }
    std::error_code ec;
    if (!keep_) fs::remove_all(dir_, ec);
  }

  // Writes the cluster and resource files; disk i is created sparse with
  // `disk_bytes` unless it already exists.
  std::string prepare(char protocol, uint64_t disk_bytes, const std::string& disk_extra = "") {
    std::string err;
    if (!cluster_.prepare(&err)) return err;
    fs::create_directories(dir_ + "/replication.d");
    std::string res = fmt::format(
        "resource r0 {{\n  protocol {};\n  device /dev/drbd0;\n  meta-disk internal;\n"
        "  net {{\n    connect-int 1;\n    ping-int 1;\n  }}\n  disk {{\n    c-plan-ahead 0;\n    resync-rate 4G;\n{}  }}\n",
        protocol, disk_extra);
    for (int i = 1; i <= 2; ++i) {
      if (!make_file(disk(i), disk_bytes)) return "cannot create " + disk(i);
      const std::string addr = fmt::format("127.0.0.{}", i);
      res += fmt::format("  on node{} {{\n    disk {};\n    address {}:{};\n  }}\n", i, disk(i),
                         addr, free_tcp_port(addr));
    }
    res += "}\n";
    if (!write_text(dir_ + "/replication.d/r0.res", res)) return "cannot write r0.res";
    return "";
  }

  std::string disk(int i) const {
    if (i == 2 && !peer_disk_dir_.empty()) {
      return fmt::format("{}/quorate-bench-node2-{}.img", peer_disk_dir_, fs::path(dir_).filename().string());
    }
    return cluster_.layout().node_dir(i) + "/disk.img";
  }
  std::string uri(int i) const {
    return "nbd+unix:///r0?socket=" + cluster_.layout().run_dir(i) + "/nbd/r0.sock";
  }
  std::optional<pid_t> pid(int i) const { return cluster_.pid(i); }

  // Starts node i and waits until its IPC answers a replica status.
  std::string start(int i) {
    {
      const OnCpu cpu(i == 2 ? 1 : 0);  // --pin: node2 is "the other machine"
      if (!cluster_.start(i)) return fmt::format("cannot start quorated node{}", i);
    }
    int exited = 0;
    if (!poll_until([&] { return cluster_.any_exited(&exited) || state(i).has_value(); },
                    milliseconds(20000), milliseconds(50)))
      return fmt::format("node{}: no replica status within 20 s; see {}", i,
                         cluster_.layout().output_path(i));
    if (exited) return fmt::format("node{} exited; see {}", exited, cluster_.layout().output_path(exited));
    return "";
  }

  // One drbdadm verb on node i; "" on success, else the daemon's message.
  std::string drbd(int i, const std::string& verb, bool force = false) {
    ipc::Request r;
    auto* c = r.mutable_replica_command();
    c->set_verb(verb);
    c->set_resource("r0");
    c->set_force(force);
    auto resp = cli::ipc_call(cluster_.layout().socket_path(i), r, milliseconds(600000));
    if (!resp.ok()) return fmt::format("node{} {}: ipc: {}", i, verb, resp.error().message);
    if (!resp->error().empty()) return fmt::format("node{} {}: {}", i, verb, resp->error());
    return "";
  }

  std::optional<ipc::ReplicaState> state(int i) const {
    ipc::Request r;
    r.mutable_replica_status()->set_resource("r0");
    auto resp = cli::ipc_call(cluster_.layout().socket_path(i), r, milliseconds(2000));
    if (!resp.ok() || !resp->error().empty() || resp->replica_status().replicas_size() != 1)
      return std::nullopt;
    return resp->replica_status().replicas(0);
  }

  // Polls node i every 50 ms until `pred(state)` or the timeout.
  template <typename F>
  bool wait(int i, F pred, milliseconds timeout, milliseconds every = milliseconds(50)) {
    return poll_until(
        [&] {
          auto s = state(i);
          return s && pred(*s);
        },
        timeout, every);
  }
  bool wait_disk(int i, const std::string& cstate, const std::string& dstate, milliseconds timeout,
                 milliseconds every = milliseconds(50)) {
    return wait(i, [&](const ipc::ReplicaState& s) { return s.cstate() == cstate && s.disk() == dstate; },
                timeout, every);
  }

  std::string describe(int i) const {
    auto s = state(i);
    if (!s) return fmt::format("node{}: no status", i);
    const auto oos = s->counters().find("oos_kib");
    return fmt::format("node{}: cs:{} ro:{}/{} ds:{}/{} oos:{}", i, s->cstate(), s->role(),
                       s->peer_role(), s->disk(), s->peer_disk(),
                       oos == s->counters().end() ? 0 : oos->second);
  }

  // Both nodes up and connected, node 1 Primary --force, the initial sync done.
  std::string bring_up_synced(milliseconds sync_timeout) {
    for (int i = 1; i <= 2; ++i) {
      if (auto e = start(i); !e.empty()) return e;
      if (auto e = drbd(i, "create-md"); !e.empty()) return e;
      if (auto e = drbd(i, "up"); !e.empty()) return e;
    }
    if (!wait_disk(1, "Connected", "Inconsistent", milliseconds(30000))) return "not connected: " + describe(1);
    if (auto e = drbd(1, "primary", true); !e.empty()) return e;
    if (!wait_disk(2, "Connected", "UpToDate", sync_timeout)) return "initial sync: " + describe(2);
    return "";
  }

 private:
  LocalCluster cluster_;
  std::string dir_;
  bool keep_;
  std::string peer_disk_dir_;
};

// ---------------------------------------------------------------- printing

std::string fmt_us(double us) { return us >= 1000 ? fmt::format("{:.2f} ms", us / 1000) : fmt::format("{:.0f} µs", us); }
std::string ratio(double a, double b) { return b > 0 ? fmt::format("{:.2f}", a / b) : "-"; }
const char* pass(bool ok) { return ok ? "PASS" : "MISS"; }

// ---------------------------------------------------------------- sections

bool section_write(const Options& o, const Plan& p, const std::string& dir, double rtt_us) {
  std::vector<WriteRow> rows;
  auto not_measured = [&](const std::string& name, const std::string& why) {
    WriteRow r;
    r.name = name;
    r.problem = why;
    rows.push_back(r);
  };
  // 1. The backing file.
  {
    const std::string f = dir + "/plain.img";
    if (make_file(f, p.write_volume_bytes))
      rows.push_back(measure_writes({"backing file (fio psync)", true, f}, p, dir, "file"));
    else
      not_measured("backing file (fio psync)", "cannot create " + f);
  }
  // 2. The unreplicated export, in process.
  {
    const std::string f = dir + "/inproc.img";
    const std::string name = "NBD export, unreplicated (in-process FileTarget)";
    InProcessExport ex;
    std::string e = make_file(f, p.write_volume_bytes) ? ex.start(f, dir + "/inproc.sock") : "cannot create " + f;
    if (e.empty())
      rows.push_back(measure_writes({name, false, "nbd+unix:///r0?socket=" + dir + "/inproc.sock"}, p, dir, "inproc"));
    else
      not_measured(name, e);
  }
  // 3. quorated with its peer absent, then 4. the same volume replicated with C.
  // The last variant: protocol C with `disk-flushes no` (DRBD's setting for
  // non-volatile write caches, wo:d): the peer drains each epoch instead of
  // flushing it, which shows what replication costs apart from the flushes.
  struct Variant {
    char proto;
    bool no_flushes;
  };
  for (const Variant v : {Variant{'C', false}, Variant{'A', false}, Variant{'B', false}, Variant{'C', true}}) {
    const char proto = v.proto;
    const std::string name = v.no_flushes ? std::string("replicated, protocol C, disk-flushes no (wo:d)")
                                          : fmt::format("replicated, protocol {}", proto);
    const std::string tag = v.no_flushes ? std::string("Cd") : std::string(1, proto);
    ReplCluster c(o, fmt::format("{}/proto-{}", dir, tag),
                  static_cast<uint16_t>(o.port + (proto - 'A') + (v.no_flushes ? 3 : 0)));
    std::string e = c.prepare(proto, p.write_volume_bytes, v.no_flushes ? "    disk-flushes no;\n" : "");
    if (proto == 'C' && !v.no_flushes) {
      const std::string solo = "quorated, peer absent (Primary --force, WFConnection)";
      if (e.empty()) e = c.start(1);
      if (e.empty()) e = c.drbd(1, "create-md");
      if (e.empty()) e = c.drbd(1, "up");
      if (e.empty()) e = c.drbd(1, "primary", true);
      if (e.empty() && !c.wait(1, [](const ipc::ReplicaState& s) { return s.role() == "Primary"; }, milliseconds(10000)))
        e = "not Primary: " + c.describe(1);
      if (e.empty())
        rows.push_back(measure_writes({solo, false, c.uri(1)}, p, dir, "solo"));
      else
        not_measured(solo, e);
      // The peer comes up and syncs everything from node 1.
      if (e.empty()) e = c.start(2);
      if (e.empty()) e = c.drbd(2, "create-md");
      if (e.empty()) e = c.drbd(2, "up");
      if (e.empty() && !c.wait_disk(2, "Connected", "UpToDate", milliseconds(300000)))
        e = "initial sync: " + c.describe(2);
    } else if (e.empty()) {
      e = c.bring_up_synced(milliseconds(300000));
    }
    if (e.empty())
      rows.push_back(measure_writes({name, false, c.uri(1)}, p, dir, fmt::format("proto{}", tag)));
    else
      not_measured(name, e);
  }

  // The baseline is the better of the two unreplicated exports — the
  // in-process FileTarget and quorated with its peer absent — per
  // measurement, each only where it was measured. (FileTarget is
  // synchronous on one thread; quorated writes large blocks on its disk
  // threads, and on a real disk it is sometimes the faster one.)
  std::vector<const WriteRow*> bases;
  for (const auto& r : rows) {
    if (r.name.rfind("NBD export", 0) == 0 || r.name.rfind("quorated, peer absent", 0) == 0) bases.push_back(&r);
  }
  // For seq the higher MB/s, for QD1/QD32 the lower mean latency.
  auto base_of = [&](const FioResult WriteRow::*m) -> const FioResult* {
    const FioResult* best = nullptr;
    for (const WriteRow* b : bases) {
      const FioResult& f = b->*m;
      if (!f.problem.empty()) continue;
      const bool better = m == &WriteRow::seq ? (!best || f.mb_s > best->mb_s) : (!best || f.mean_us < best->mean_us);
      if (better) best = &f;
    }
    return best;
  };
  auto base_name = [&](const FioResult* f) -> std::string {
    for (const WriteRow* b : bases) {
      if (f == &b->seq || f == &b->qd1 || f == &b->qd32)
        return b->name.rfind("NBD export", 0) == 0 ? "export" : "peer absent";
    }
    return "-";
  };
  bool all = true;
  for (const auto& r : rows) all = all && r.problem.empty();
  auto goal_row = [&](const WriteRow& r) { return r.name == "replicated, protocol C"; };

  std::printf("\n## Sequential 1 MiB writes (fio rw=write bs=1M over %llu MiB, %d s time_based, end_fsync=1; NBD "
              "iodepth 8)\n",
              static_cast<unsigned long long>(p.seq_bytes / kMiB), p.seq_runtime_s);
  std::printf("goal: protocol C >= 0.90 x the unreplicated export (the better of the two unreplicated rows)\n\n");
  std::printf("| target | MB/s | baseline MB/s | ratio | goal |\n|---|---|---|---|---|\n");
  for (const auto& r : rows) {
    if (!r.seq.problem.empty()) {
      std::printf("| %s | NOT MEASURED: %s | | | |\n", r.name.c_str(), r.seq.problem.c_str());
      continue;
    }
    const FioResult* bf = base_of(&WriteRow::seq);
    const double b = bf ? bf->mb_s : 0;
    std::printf("| %s | %.1f | %.1f (%s) | %s | %s |\n", r.name.c_str(), r.seq.mb_s, b, base_name(bf).c_str(),
                ratio(r.seq.mb_s, b).c_str(), goal_row(r) ? pass(b > 0 && r.seq.mb_s >= 0.9 * b) : "");
  }
  for (int qd : {1, 32}) {
    std::printf("\n## 4 KiB random writes, each followed by a flush (fio bs=4k; file: fdatasync=1, NBD: fsync=1), QD%d, %d s\n", qd,
                p.flush_runtime_s);
    if (qd == 1)
      std::printf("goal: protocol C mean latency <= export mean + one loopback RTT (%.1f µs); the baseline is the "
                  "better of the two unreplicated rows\n\n",
                  rtt_us);
    else
      std::printf("(no goal stated; the file row runs 32 psync jobs)\n\n");
    std::printf("| target | IOPS | mean | p99 | baseline IOPS | baseline mean | mean ratio | goal |\n"
                "|---|---|---|---|---|---|---|---|\n");
    for (const auto& r : rows) {
      const FioResult& f = qd == 1 ? r.qd1 : r.qd32;
      if (!f.problem.empty()) {
        std::printf("| %s | NOT MEASURED: %s | | | | | | |\n", r.name.c_str(), f.problem.c_str());
        continue;
      }
      const FioResult* b = base_of(qd == 1 ? &WriteRow::qd1 : &WriteRow::qd32);
      std::string goal;
      if (qd == 1 && goal_row(r) && b) {
        const double limit = b->mean_us + rtt_us;
        goal = fmt::format("{} (limit {})", pass(f.mean_us <= limit), fmt_us(limit));
      }
      std::printf("| %s | %.0f | %s | %s | %.0f | %s | %s | %s |\n", r.name.c_str(), f.iops,
                  fmt_us(f.mean_us).c_str(), fmt_us(f.p99_us).c_str(), b ? b->iops : 0,
                  b ? fmt::format("{} ({})", fmt_us(b->mean_us), base_name(b)).c_str() : "-",
                  b ? ratio(f.mean_us, b->mean_us).c_str() : "-",
                  goal.c_str());
    }
  }
  return all;
}

// One timed sync: wall seconds, and CPU seconds of node1 (source) and node2
// (target) meanwhile (-1: unreadable).
struct SyncRun {
  double s = 0;
  double cpu[2] = {-1, -1};
  double source_read_mib = -1;  // what the source read from its disk, not its page cache
};
constexpr int kSyncRuns = 3;

// The run with the median time (of an odd count; the upper middle otherwise).
SyncRun median_run(std::vector<SyncRun> runs) {
  std::sort(runs.begin(), runs.end(), [](const SyncRun& a, const SyncRun& b) { return a.s < b.s; });
  return runs[runs.size() / 2];
}

// "0.61 s (0.54-0.84)" over the runs; "0.61 s" for one.
std::string times_of(const std::vector<SyncRun>& runs) {
  double lo = runs.front().s, hi = runs.front().s;
  for (const auto& r : runs) {
    lo = std::min(lo, r.s);
    hi = std::max(hi, r.s);
  }
  const double mid = median_run(runs).s;
  return runs.size() == 1 ? fmt::format("{:.2f} s", mid) : fmt::format("{:.2f} s ({:.2f}–{:.2f})", mid, lo, hi);
}

// Times one sync: from `start` (a command that starts it; none: the clock
// starts now) until node 2 is Connected/UpToDate, with both daemons' CPU and
// the source's storage reads meanwhile. Sets *err on failure.
SyncRun timed_sync(ReplCluster& c, const std::function<std::string()>& start, const std::string& what,
                   std::string* err) {
  SyncRun run;
  const double cpu0[2] = {cpu_seconds(c.pid(1)), cpu_seconds(c.pid(2))};
  const long long read0 = storage_read_bytes(c.pid(1));
  const auto t0 = Clock::now();
  if (start) *err = start();
  if (err->empty() && !c.wait_disk(2, "Connected", "UpToDate", milliseconds(600000), milliseconds(5)))
    *err = fmt::format("{} did not finish in 600 s: {}", what, c.describe(2));
  run.s = ms_since(t0) / 1000.0;
  for (int i = 0; i < 2; ++i) run.cpu[i] = cpu0[i] < 0 ? -1 : cpu_seconds(c.pid(i + 1)) - cpu0[i];
  const long long read1 = storage_read_bytes(c.pid(1));
  if (read0 >= 0 && read1 >= 0) run.source_read_mib = static_cast<double>(read1 - read0) / kMiB;
  return run;
}

bool section_sync(const Options& o, const Plan& p, const std::string& dir) {
  bool ok = true;
  std::string e;
  double full_mb_s = 0, resync_mb_s = 0, resync_mib = 0;
  std::vector<SyncRun> full_runs, resync_runs;
  double disk_read = 0, disk_write = 0, net = 0;
  double disk_read_buffered = 0, disk_read_direct = 0, disk_write_buffered = 0, disk_write_direct = 0;
  std::string full_problem, resync_problem, limit_problem;
  {
    ReplCluster c(o, dir + "/sync", static_cast<uint16_t>(o.port + 10));
    e = c.prepare('C', p.sync_volume_bytes);
    if (e.empty() && !fill_random(c.disk(1), p.sync_volume_bytes)) e = "cannot fill " + c.disk(1);
    for (int i = 1; i <= 2 && e.empty(); ++i) {
      e = c.start(i);
      if (e.empty()) e = c.drbd(i, "create-md");
      if (e.empty()) e = c.drbd(i, "up");
    }
    if (e.empty() && !c.wait_disk(1, "Connected", "Inconsistent", milliseconds(30000)))
      e = "not connected: " + c.describe(1);
    uint64_t size_kib = 0;
    if (e.empty()) {
      auto s = c.state(1);
      size_kib = s && s->counters().count("size_kib") ? s->counters().at("size_kib") : 0;
      // Three full syncs: the initial one, then two full resyncs after
      // `invalidate` on node 2 (the same data path); the median counts.
      // Each from a quiet disk: what earlier runs (or --keep) left dirty in
      // the page cache would otherwise be written back during the sync.
      for (int k = 0; k < kSyncRuns && e.empty(); ++k) {
        ::sync();
        const SyncRun run = timed_sync(
            c,
            [&]() -> std::string {
              if (k == 0) return c.drbd(1, "primary", true);
              if (std::string err = c.drbd(2, "invalidate"); !err.empty()) return err;
              auto st = c.state(2);
              return st && st->disk() == "UpToDate" ? "invalidate did not start a resync: " + c.describe(2) : "";
            },
            "full sync", &e);
        if (e.empty()) full_runs.push_back(run);
      }
      full_mb_s = full_runs.empty() ? 0 : static_cast<double>(size_kib) * 1024.0 / 1e6 / median_run(full_runs).s;
    }
    full_problem = e;
    // Bitmap resync, three times: disconnect, scattered 64 KiB writes (every
    // 4th block), reconnect.
    if (!e.empty()) e = "no full sync";
    for (int k = 0; k < kSyncRuns && e.empty(); ++k) {
      e = c.drbd(2, "disconnect");
      if (e.empty() && !c.wait(1, [](const ipc::ReplicaState& s) { return s.cstate() == "WFConnection"; },
                               milliseconds(10000)))
        e = "no WFConnection after disconnect: " + c.describe(1);
      if (e.empty()) {
        auto f = run_fio(dir, fmt::format("scatter-{}", k + 1),
                         {"--ioengine=nbd", "--uri=" + c.uri(1), "--iodepth=8", "--rw=write:192k", "--bs=64k",
                          fmt::format("--io_size={}", p.resync_bytes)},
                         "write", false, 300);
        e = f.problem;
      }
      if (!e.empty()) break;
      auto s = c.state(1);
      resync_mib = s && s->counters().count("oos_kib") ? static_cast<double>(s->counters().at("oos_kib")) / 1024.0 : 0;
      ::sync();
      e = c.drbd(2, "connect");
      // The clock starts when the handshake is done: the wait for the
      // dialing side's next connect-int attempt is not resync time.
      if (e.empty() && !c.wait(2,
                               [](const ipc::ReplicaState& st) {
                                 return st.cstate() == "WFBitMapT" || st.cstate() == "SyncTarget" ||
                                        st.cstate() == "PausedSyncT" || st.cstate() == "Connected";
                               },
                               milliseconds(30000), milliseconds(2)))
        e = "no handshake after connect: " + c.describe(2);
      if (!e.empty()) break;
      const SyncRun run = timed_sync(c, nullptr, "resync", &e);
      if (e.empty()) resync_runs.push_back(run);
    }
    resync_mb_s = resync_runs.empty() ? 0 : resync_mib * kMiB / 1e6 / median_run(resync_runs).s;
    resync_problem = e;
    // Disk limits: sequential read of the source disk and sequential write
    // of a same-size file in the same directory, each the median of three
    // runs from a quiet disk (the syncs above leave data to write back; one
    // run alone ranged 457-1974 MB/s here), each both through the page cache
    // and with O_DIRECT (as the sync's large writes go): the disk's limit is
    // the faster way.
    if (full_problem.empty()) {
      const std::string wf = dir + "/sync-write-limit.img";
      const auto median_of_3 = [&](const std::string& tag, std::vector<std::string> args, const char* rw,
                                   bool remove_after, std::string* problem) {
        std::vector<double> runs;
        for (int k = 0; k < 3 && problem->empty(); ++k) {
          ::sync();
          auto r = run_fio(dir, fmt::format("{}-{}", tag, k + 1), args, rw, false, 300);
          if (remove_after) {
            std::error_code ec;
            fs::remove(wf, ec);
          }
          *problem = r.problem;
          runs.push_back(r.mb_s);
        }
        return problem->empty() ? median(runs) : 0.0;
      };
      std::string problem;
      const std::string size_arg = fmt::format("--size={}", p.sync_volume_bytes);
      for (const char* direct : {"0", "1"}) {
        const std::string d = std::string("--direct=") + direct;
        const std::string way = direct[0] == '1' ? "direct" : "buffered";
        {
          // The page cache as the sync found it; read on the source's CPU.
          const OnCpu source_cpu(0);
          const double r = median_of_3("disk-read-" + way,
                                       {"--ioengine=psync", "--filename=" + c.disk(1), "--rw=read", "--bs=1M",
                                        size_arg, d},
                                       "read", false, &problem);
          (direct[0] == '1' ? disk_read_direct : disk_read_buffered) = r;
        }
        const OnCpu target_cpu(1);  // the sync target's side
        const double w = median_of_3("disk-write-" + way,
                                     {"--ioengine=psync", "--filename=" + wf, "--rw=write", "--bs=1M", size_arg,
                                      "--end_fsync=1", d},
                                     "write", true, &problem);
        (direct[0] == '1' ? disk_write_direct : disk_write_buffered) = w;
      }
      limit_problem = problem;
      if (problem.empty()) {
        disk_read = std::max(disk_read_buffered, disk_read_direct);
        disk_write = std::max(disk_write_buffered, disk_write_direct);
      }
    }
  }
  net = loopback_stream_mb_s(p.stream_bytes);
  if (net <= 0) limit_problem = "loopback stream failed";
  const double lower = std::min({disk_read > 0 ? disk_read : 1e12, disk_write > 0 ? disk_write : 1e12, net});

  std::printf("\n## Full sync and bitmap resync (protocol C, fixed rate: c-plan-ahead 0, resync-rate 4G)\n");
  std::printf("limits (same run; each the median of 3 fio runs of %llu MiB at bs=1M, through the page cache / with "
              "O_DIRECT; the faster counts): disk read %.1f MB/s (%.1f / %.1f, the source), disk write %.1f MB/s "
              "(%.1f / %.1f, a new file + fsync), loopback TCP stream %.1f MB/s (%llu MiB)%s\n",
              static_cast<unsigned long long>(p.sync_volume_bytes / kMiB), disk_read, disk_read_buffered,
              disk_read_direct, disk_write, disk_write_buffered, disk_write_direct, net,
              static_cast<unsigned long long>(p.stream_bytes / kMiB),
              limit_problem.empty() ? "" : (" — LIMIT NOT MEASURED: " + limit_problem).c_str());
  std::printf("goal: >= 0.90 x the lower limit\n\n");
  std::printf("| what | data | time | MB/s | lower limit MB/s | ratio | goal | CPU s source / target, source's disk reads |\n"
              "|---|---|---|---|---|---|---|---|\n");
  // CPU of each run, "source / target", the median run's first.
  const auto cpu = [](const std::vector<SyncRun>& runs) {
    std::string out;
    const SyncRun mid = median_run(runs);
    const auto one = [](const SyncRun& r) {
      std::string t =
          r.cpu[0] < 0 || r.cpu[1] < 0 ? std::string("-") : fmt::format("{:.2f} / {:.2f}", r.cpu[0], r.cpu[1]);
      if (r.source_read_mib >= 0) t += fmt::format(", {:.0f} MiB from disk", r.source_read_mib);
      return t;
    };
    out = one(mid);
    if (runs.size() > 1) {
      out += " (all:";
      for (const auto& r : runs) out += fmt::format(" {};", one(r));
      out.back() = ')';
    }
    return out;
  };
  if (!full_problem.empty()) {
    std::printf("| full sync | NOT MEASURED: %s | | | | | |\n", full_problem.c_str());
    ok = false;
  } else {
    std::printf("| full sync (source: random data; median of the initial sync and %d after `invalidate`) | %llu MiB "
                "| %s | %.1f | %.1f | %s | %s | %s |\n",
                kSyncRuns - 1, static_cast<unsigned long long>(p.sync_volume_bytes / kMiB), times_of(full_runs).c_str(),
                full_mb_s, lower, ratio(full_mb_s, lower).c_str(), pass(full_mb_s >= 0.9 * lower),
                cpu(full_runs).c_str());
  }
  if (!resync_problem.empty()) {
    std::printf("| bitmap resync | NOT MEASURED: %s | | | | | |\n", resync_problem.c_str());
    ok = false;
  } else {
    std::printf("| bitmap resync (64 KiB blocks, every 4th; median of %d) | %.0f MiB | %s | %.1f | %.1f | %s | %s | %s |\n",
                kSyncRuns, resync_mib, times_of(resync_runs).c_str(), resync_mb_s, lower,
                ratio(resync_mb_s, lower).c_str(), pass(resync_mb_s >= 0.9 * lower), cpu(resync_runs).c_str());
  }
  return ok && limit_problem.empty();
}

bool section_memory(const Options& o, const Plan& p, const std::string& dir) {
  struct Mem {
    std::string what;
    long rss = -1, hwm = -1;
    std::string problem;
  };
  std::vector<Mem> rows;
  auto read_mem = [](const std::string& what, std::optional<pid_t> pid) {
    Mem m;
    m.what = what;
    if (!pid) {
      m.problem = "no daemon";
      return m;
    }
    m.rss = status_kib(*pid, "VmRSS");
    m.hwm = status_kib(*pid, "VmHWM");
    if (m.rss < 0) m.problem = "no /proc status";
    return m;
  };
  const auto settle = milliseconds(1000);
  {
    ReplCluster c(o, dir + "/mem", static_cast<uint16_t>(o.port + 20));
    std::string e = c.prepare('C', p.mem_volume_bytes);
    if (e.empty()) e = c.start(1);
    if (e.empty()) {
      std::this_thread::sleep_for(settle);  // idle daemon, no volume yet
      rows.push_back(read_mem("node1 idle, no volume", c.pid(1)));
      e = c.drbd(1, "create-md");
    }
    if (e.empty()) e = c.drbd(1, "up");
    if (e.empty()) e = c.drbd(1, "primary", true);
    if (e.empty()) {
      std::this_thread::sleep_for(settle);
      rows.push_back(read_mem("node1 Primary, peer absent (WFConnection)", c.pid(1)));
    } else {
      rows.push_back({"node1 Primary, peer absent (WFConnection)", -1, -1, e});
    }
    if (e.empty()) e = c.start(2);
    if (e.empty()) e = c.drbd(2, "create-md");
    if (e.empty()) e = c.drbd(2, "up");
    const auto t0 = Clock::now();
    if (e.empty() && !c.wait_disk(2, "Connected", "UpToDate", milliseconds(p.mem_sync_timeout_s * 1000)))
      e = fmt::format("sync not done within {} s: {}", p.mem_sync_timeout_s, c.describe(2));
    const double sync_s = ms_since(t0) / 1000.0;
    if (e.empty()) {
      std::this_thread::sleep_for(settle);
      rows.push_back(read_mem(fmt::format("node1 Primary, connected after a {:.0f} s full sync", sync_s), c.pid(1)));
      rows.push_back(read_mem("node2 Secondary, connected (was SyncTarget)", c.pid(2)));
    } else {
      rows.push_back({"node1/node2 connected after the full sync", -1, -1, e});
    }
  }
  std::printf("\n## Memory of quorated serving a %llu MiB sparse volume (bitmap %llu KiB)\n",
              static_cast<unsigned long long>(p.mem_volume_bytes / kMiB),
              static_cast<unsigned long long>(p.mem_volume_bytes / 4096 / 8 / 1024));
  std::printf("goal: VmHWM - idle VmRSS < 64 MiB (bitmap and buffers only)\n\n");
  std::printf("| daemon | VmRSS | VmHWM | baseline (idle VmRSS) | HWM - baseline | goal |\n|---|---|---|---|---|---|\n");
  bool ok = true;
  const long base = !rows.empty() && rows[0].problem.empty() ? rows[0].rss : -1;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& m = rows[i];
    if (!m.problem.empty()) {
      std::printf("| %s | NOT MEASURED: %s | | | | |\n", m.what.c_str(), m.problem.c_str());
      ok = false;
      continue;
    }
    const double delta = static_cast<double>(m.hwm - base) / 1024.0;
    std::printf("| %s | %.1f MiB | %.1f MiB | %.1f MiB | %s | %s |\n", m.what.c_str(), m.rss / 1024.0,
                m.hwm / 1024.0, base / 1024.0, i == 0 ? "-" : fmt::format("{:.1f} MiB", delta).c_str(),
                i == 0 || base < 0 ? "" : pass(delta < 64.0));
  }
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  o.bin = self_dir();
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--quick") {
      o.quick = true;
    } else if (a == "--keep") {
      o.keep = true;
    } else if (a == "--pin") {
      o.pin = true;
    } else if (a == "--only" && has_value) {
      o.only = argv[++i];
      if (o.only != "write" && o.only != "sync" && o.only != "memory") {
        std::fprintf(stderr, "bench_replication: --only %s: expected write, sync or memory\n", o.only.c_str());
        return 2;
      }
    } else if (a == "--dir" && has_value) {
      o.dir = argv[++i];
    } else if (a == "--peer-disk-dir" && has_value) {
      o.peer_disk_dir = argv[++i];
      if (!fs::is_directory(o.peer_disk_dir)) {
        std::fprintf(stderr, "bench_replication: --peer-disk-dir %s: not a directory\n", o.peer_disk_dir.c_str());
        return 2;
      }
    } else if (a == "--bin" && has_value) {
      o.bin = argv[++i];
    } else if (a == "--port" && has_value) {
      const int p = std::atoi(argv[++i]);
      if (p < 1024 || p > 65000) {
        std::fprintf(stderr, "bench_replication: --port %s: expected 1024..65000\n", argv[i]);
        return 2;
      }
      o.port = static_cast<uint16_t>(p);
    } else {
      std::fprintf(stderr,
                   "bench_replication: unknown or incomplete argument '%s'\nusage: bench_replication [--quick] "
                   "[--only write|sync|memory] [--dir DIR] [--keep] [--bin DIR] [--port P] [--pin] "
                   "[--peer-disk-dir D]\n",
                   a.c_str());
      return 2;
    }
  }
  if (!fs::exists(o.bin + "/quorated")) {
    std::fprintf(stderr, "bench_replication: %s/quorated not found (use --bin DIR)\n", o.bin.c_str());
    return 2;
  }
  std::error_code ec;
  if (o.dir.empty()) {
    char tmpl[] = "/tmp/quorate-bench-repl-XXXXXX";
    if (!::mkdtemp(tmpl)) {
      std::fprintf(stderr, "bench_replication: mkdtemp: %s\n", std::strerror(errno));
      return 1;
    }
    o.dir = tmpl;
  } else {
    if (fs::exists(o.dir, ec)) {
      std::fprintf(stderr, "bench_replication: --dir %s already exists; give a new path\n", o.dir.c_str());
      return 2;
    }
    fs::create_directories(o.dir, ec);
    o.dir = fs::absolute(o.dir).string();
  }
  if (o.pin) {
    if (::sysconf(_SC_NPROCESSORS_ONLN) < 2 || !OnCpu::set(0)) {
      std::fprintf(stderr, "bench_replication: --pin needs CPUs 0 and 1\n");
      return 2;
    }
    g_pin = true;
  }
  const Plan p = plan_for(o.quick);
  const auto want = [&](const char* s) { return o.only.empty() || o.only == s; };

  print_machine();
  std::printf("# bench_replication%s%s in %s; fio and quorated from %s\n", o.quick ? " --quick" : "",
              o.pin ? " --pin (node1, fio, baselines on CPU 0; node2 on CPU 1)" : "", o.dir.c_str(), o.bin.c_str());
  const double rtt_us = loopback_rtt_us(p.rtt_rounds);
  std::printf("# loopback RTT (64-byte TCP ping-pong, %d round trips, median): %.1f µs\n", p.rtt_rounds, rtt_us);
  bool ok = rtt_us > 0;
  std::fflush(stdout);
  if (want("write")) ok = section_write(o, p, o.dir, rtt_us) && ok;
  std::fflush(stdout);
  if (want("sync")) ok = section_sync(o, p, o.dir) && ok;
  std::fflush(stdout);
  if (want("memory")) ok = section_memory(o, p, o.dir) && ok;
  if (!o.keep) fs::remove_all(o.dir, ec);
  else std::printf("\n# kept %s\n", o.dir.c_str());
  std::printf("\n# %s\n", ok ? "every row measured" : "SOME ROWS NOT MEASURED");
  return ok ? 0 : 1;
}
