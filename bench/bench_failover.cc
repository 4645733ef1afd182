// bench_failover: failure detection of real quorated processes.
//
// For each token timeout (1000 and 300 ms as configured; the effective
// timers follow membership/cluster_config.h for 3 nodes): start 3 daemons on
// 127.0.0.1..3 (udpu, aes256/sha256, like `quorate cluster up`), wait for a
// quorate 3-member ring on every node, kill -9 one node (rotating 1, 2, 3),
// and time from the kill to the moment BOTH survivors report a quorate
// 2-member ring over IPC (polled every 5 ms). The victim is restarted and the
// 3-member ring awaited before the next run.
//
// Usage: bench_failover [--runs N] [--port P] [--dir D] [--bin DIR]
// Every daemon is our child and is ended by pid; every wait has a deadline.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "bench/cluster_util.h"

using namespace quorate;
using namespace quorate::bench;
using std::chrono::milliseconds;

namespace {

struct Row {
  uint32_t token_cfg = 0;
  membership::EffectiveTimers eff{};
  std::vector<double> both;   // kill -> both survivors see 2 members
  std::vector<double> first;  // kill -> first survivor sees 2 members
  int failed = 0;
  std::string problem;
};

bool run_token(const std::string& bin, const std::string& dir, uint16_t port, uint32_t token,
               int runs, Row* row) {
  row->token_cfg = token;
  LocalCluster c(bin, dir, 3, port, token);
  std::string err;
  auto cfg = c.prepare(&err);
  if (!cfg) {
    row->problem = err;
    return false;
  }
  row->eff = membership::effective_timers(cfg->timers, cfg->nodes.size());
  const std::vector<int> all = {1, 2, 3};
  for (int i : all) {
    if (!c.start(i)) {
      row->problem = "cannot start quorated";
      return false;
    }
  }
  if (!poll_until([&] { return c.all_see(all, 3); }, milliseconds(30000), milliseconds(50))) {
    row->problem = "no quorate 3-member ring within 30 s:" + c.describe(all);
    return false;
  }
  for (int r = 0; r < runs; ++r) {
    const int victim = 1 + r % 3;
    std::vector<int> survivors;
    for (int i : all) {
      if (i != victim) survivors.push_back(i);
    }
    // Idle ring for a moment so the kill lands in steady state.
    std::this_thread::sleep_for(milliseconds(500));
    const auto t0 = c.kill9(victim);
    std::optional<double> first;
    std::vector<bool> seen(survivors.size(), false);
    const auto deadline =
        t0 + milliseconds(10 * (row->eff.token_ms + row->eff.consensus_ms) + 5000);
    bool done = false;
    while (Clock::now() < deadline) {
      done = true;
      for (size_t k = 0; k < survivors.size(); ++k) {
        if (!seen[k]) {
          auto q = c.quorum(survivors[k], milliseconds(200));
          seen[k] = q && q->quorate() && q->members_size() == 2;
          if (seen[k] && !first) first = ms_since(t0);
        }
        done = done && seen[k];
      }
      if (done) break;
      std::this_thread::sleep_for(milliseconds(5));
    }
    if (!done) {
      ++row->failed;
      row->problem = fmt::format("run {}: survivors did not agree on a 2-member ring:{}", r,
                                 c.describe(survivors));
      std::fprintf(stderr, "%s\n", row->problem.c_str());
    } else {
      row->both.push_back(ms_since(t0));
      row->first.push_back(*first);
      std::fprintf(stderr, "token %u run %d: killed node%d, first %.1f ms, both %.1f ms\n", token,
                   r, victim, *first, row->both.back());
    }
    if (!c.start(victim) ||
        !poll_until([&] { return c.all_see(all, 3); }, milliseconds(30000), milliseconds(20))) {
      row->problem = fmt::format("run {}: node{} did not rejoin a 3-member ring within 30 s:{}", r,
                                 victim, c.describe(all));
      std::fprintf(stderr, "%s\n", row->problem.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 10;
  uint16_t port = 31000;
  std::string dir = "/tmp/quorate-bench-failover";
  std::string bin = self_dir();
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--runs")
      runs = std::atoi(argv[i + 1]);
    else if (a == "--port")
      port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    else if (a == "--dir")
      dir = argv[i + 1];
    else if (a == "--bin")
      bin = argv[i + 1];
  }
  runs = std::clamp(runs, 1, 100);
  std::vector<Row> rows;
  bool ok = true;
  for (uint32_t token : {1000u, 300u}) {
    Row row;
    ok = run_token(bin, fmt::format("{}-{}", dir, token), port, token, runs, &row) && ok;
    rows.push_back(row);
    port = static_cast<uint16_t>(port + 1);
  }

  print_machine();
  std::printf(
      "# bench_failover: 3 real quorated on 127.0.0.1..3 (udpu, aes256+sha256), kill -9 "
      "one node,\n# time until both survivors report a quorate 2-member ring "
      "(IPC poll every 5 ms), %d runs per row\n",
      runs);
  std::printf("%-9s %-10s %-12s %-8s %-10s %-10s %-10s %-10s %-6s %s\n", "token", "eff.token",
              "consensus", "goal", "median", "max", "1st med", "max/goal", "fails", "runs ok");
  for (const auto& r : rows) {
    const double goal = r.eff.token_ms + r.eff.consensus_ms + 50.0;
    std::printf("%-9u %-10u %-12u %-8.0f %-10.1f %-10.1f %-10.1f %-10.2f %-6d %zu\n", r.token_cfg,
                r.eff.token_ms, r.eff.consensus_ms, goal, median(r.both), max_of(r.both),
                median(r.first), max_of(r.both) / goal, r.failed, r.both.size());
    if (!r.problem.empty())
      std::printf("# problem (token %u): %s\n", r.token_cfg, r.problem.c_str());
  }
  return ok ? 0 : 1;
}
