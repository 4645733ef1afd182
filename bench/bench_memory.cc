// bench_memory: resident memory of idle quorated daemons.
//
// Starts a 3-node and a 32-node cluster of real quorated on 127.0.0.x (same
// cluster file as `quorate cluster up`: udpu, aes256+sha256, token 1000),
// waits until every node reports a quorate ring of all nodes, lets the ring
// idle, then reads VmRSS and VmHWM from /proc/PID/status of every daemon.
//
// Usage: bench_memory [--port P] [--dir D] [--bin DIR] [--idle-ms MS]
// Every daemon is our child and is ended by pid; every wait has a deadline.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "bench/cluster_util.h"

using namespace quorate;
using namespace quorate::bench;
using std::chrono::milliseconds;

namespace {

struct Row {
  int nodes = 0;
  double form_ms = 0;
  std::vector<double> rss_mib, hwm_mib;
  std::string problem;
};

Row measure(const std::string& bin, const std::string& dir, uint16_t port, int nodes, int idle_ms) {
  Row row;
  row.nodes = nodes;
  LocalCluster c(bin, dir, nodes, port, 1000);
  std::string err;
  if (!c.prepare(&err)) {
    row.problem = err;
    return row;
  }
  std::vector<int> all(static_cast<size_t>(nodes));
  std::iota(all.begin(), all.end(), 1);
  const auto t0 = Clock::now();
  for (int i : all) {
    if (!c.start(i)) {
      row.problem = "cannot start quorated";
      return row;
    }
  }
  int exited = 0;
  bool formed = poll_until([&] { return c.any_exited(&exited) ? true : c.all_see(all, nodes); },
                           milliseconds(120000), milliseconds(200));
  if (exited != 0) {
    row.problem = fmt::format("node{} exited; see {}", exited, c.layout().output_path(exited));
    return row;
  }
  if (!formed) {
    row.problem = fmt::format("no quorate {}-member ring within 120 s:{}", nodes, c.describe(all));
    return row;
  }
  row.form_ms = ms_since(t0);
  std::this_thread::sleep_for(milliseconds(idle_ms));
  for (int i : all) {
    auto p = c.pid(i);
    if (!p) continue;
    row.rss_mib.push_back(static_cast<double>(status_kib(*p, "VmRSS")) / 1024.0);
    row.hwm_mib.push_back(static_cast<double>(status_kib(*p, "VmHWM")) / 1024.0);
  }
  return row;  // ~LocalCluster ends every daemon by pid
}

}  // namespace

int main(int argc, char** argv) {
  uint16_t port = 31100;
  std::string dir = "/tmp/quorate-bench-mem";
  std::string bin = self_dir();
  int idle_ms = 3000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--port")
      port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    else if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--bin")
      bin = argv[i + 1];
    else if (a == "--idle-ms")
      idle_ms = std::clamp(std::atoi(argv[i + 1]), 0, 600000);
  }
  std::vector<Row> rows;
  for (int n : {3, 32}) {
    rows.push_back(measure(bin, fmt::format("{}-{}", dir, n), port, n, idle_ms));
    port = static_cast<uint16_t>(port + 1);
  }
  print_machine();
  std::printf(
      "# bench_memory: idle quorated (udpu, aes256+sha256, token 1000) %d ms after the "
      "ring of all nodes formed; goal: VmRSS < 20 MiB\n",
      idle_ms);
  std::printf("%-7s %-12s %-14s %-14s %-14s %-14s %s\n", "nodes", "formed (s)", "RSS median",
              "RSS max", "HWM max", "max/goal", "goal met");
  bool ok = true;
  for (const auto& r : rows) {
    if (!r.problem.empty() || r.rss_mib.empty()) {
      std::printf("%-7d FAILED: %s\n", r.nodes, r.problem.c_str());
      ok = false;
      continue;
    }
    const double mx = max_of(r.rss_mib);
    std::printf(
        "%-7d %-12.1f %-14s %-14s %-14s %-14.2f %s\n", r.nodes, r.form_ms / 1000.0,
        fmt::format("{:.1f} MiB", median(r.rss_mib)).c_str(), fmt::format("{:.1f} MiB", mx).c_str(),
        fmt::format("{:.1f} MiB", max_of(r.hwm_mib)).c_str(), mx / 20.0, mx < 20.0 ? "yes" : "no");
  }
  return ok ? 0 : 1;
}
