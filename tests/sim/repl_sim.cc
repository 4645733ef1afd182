// quorate_repl_sim: the seeded fault simulator of the replication engine
// (repl_sim_world.h) over a range of seeds.
//   quorate_repl_sim --seeds 1..100            CI's ranges
//   quorate_repl_sim --seed 42 --verbose       replay one seed with its whole trace
//   quorate_repl_sim --seeds 1..100 --stats    print how often each rare branch was reached
//   quorate_repl_sim --seeds 1..100 --require-marks   fail unless every mark was reached
//   quorate_repl_sim --dual-primary --seeds 1..100    the two-Primaries simulator (repl_dual_sim.h)
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>

#include "tests/sim/repl_dual_sim.h"
#include "tests/sim/repl_sim_world.h"

int main(int argc, char** argv) {
  uint64_t first = 1, last = 100;
  bool stats = false, require_marks = false, dual = false;
  quorate::sim::ReplSimOptions opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&](const char* what) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "quorate_repl_sim: %s needs a value\n", what);
        std::exit(2);
      }
      return argv[++i];
    };
    auto number = [&](const std::string& v) -> uint64_t {
      char* end = nullptr;
      const uint64_t n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0') {
        std::fprintf(stderr, "quorate_repl_sim: '%s' is not a seed number\n", v.c_str());
        std::exit(2);
      }
      return n;
    };
    if (a == "--seed") {
      first = last = number(need("--seed"));
    } else if (a == "--seeds") {
      std::string v = need("--seeds");
      auto dots = v.find("..");
      if (dots == std::string::npos) {
        std::fprintf(stderr, "quorate_repl_sim: --seeds wants A..B, got '%s'\n", v.c_str());
        return 2;
      }
      first = number(v.substr(0, dots));
      last = number(v.substr(dots + 2));
      if (last < first) {
        std::fprintf(stderr, "quorate_repl_sim: --seeds %s is empty\n", v.c_str());
        return 2;
      }
    } else if (a == "--dual-primary") {
      dual = true;
    } else if (a == "--large") {
      opt.large = true;
    } else if (a == "--verbose") {
      opt.verbose = true;
    } else if (a == "--stats") {
      stats = true;
    } else if (a == "--require-marks") {
      require_marks = true;
    } else {
      std::fprintf(stderr,
                   "usage: quorate_repl_sim [--seed N | --seeds A..B] [--dual-primary | --large] [--verbose] "
                   "[--stats] [--require-marks]\n");
      return 2;
    }
  }
  std::map<std::string, uint64_t> marks;
  uint64_t passed = 0, failed = 0;
  for (uint64_t s = first; s <= last; ++s) {
    opt.seed = s;
    auto r = dual ? quorate::sim::run_dual_primary_sim(opt, marks) : quorate::sim::run_repl_sim(opt, marks);
    if (r.ok) {
      ++passed;
      if (opt.verbose || first == last)
        std::printf("seed %llu: ok (%s; %llu steps, %llu events, %llu writes acknowledged, %lld ms simulated)\n",
                    static_cast<unsigned long long>(s), r.config.c_str(), static_cast<unsigned long long>(r.steps),
                    static_cast<unsigned long long>(r.events), static_cast<unsigned long long>(r.writes_acked),
                    static_cast<long long>(r.sim_ms));
    } else {
      ++failed;
      std::printf("seed %llu FAILED at %s  replay: quorate_repl_sim --seed %llu%s --verbose\n",
                  static_cast<unsigned long long>(s), r.failure.c_str(), static_cast<unsigned long long>(s),
                  dual ? " --dual-primary" : opt.large ? " --large" : "");
    }
    std::fflush(stdout);
  }
  int missing = 0;
  if (stats || require_marks) {
    for (const char* const* m = dual ? quorate::sim::dual_sim_mark_names() : quorate::sim::repl_sim_mark_names(); *m;
         ++m) {
      const uint64_t n = marks.count(*m) ? marks[*m] : 0;
      if (stats) std::printf("  mark %-28s %llu\n", *m, static_cast<unsigned long long>(n));
      if (n == 0) {
        ++missing;
        if (require_marks) std::printf("mark %s was never reached in seeds %llu..%llu\n", *m,
                                       static_cast<unsigned long long>(first), static_cast<unsigned long long>(last));
      }
    }
  }
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(passed),
              static_cast<unsigned long long>(failed));
  return failed == 0 && !(require_marks && missing > 0) ? 0 : 1;
}
