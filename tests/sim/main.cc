// quorate_sim: runs the deterministic cluster simulator over a range of seeds.
//   quorate_sim --seeds 1..500        CI's range
//   quorate_sim --seed 42 --verbose   replay one seed with a trace
//   quorate_sim --soak 100000         a long soak from seed 1
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/sim/totem_sim.h"

int main(int argc, char** argv) {
  uint64_t first = 1, last = 100;
  quorate::sim::SimOptions opt;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto need = [&](const char* what) -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "quorate_sim: %s needs a value\n", what);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--seed") {
      first = last = std::strtoull(need("--seed").c_str(), nullptr, 10);
    } else if (a == "--seeds") {
      std::string v = need("--seeds");
      auto dots = v.find("..");
      if (dots == std::string::npos) {
        std::fprintf(stderr, "quorate_sim: --seeds wants A..B, got '%s'\n", v.c_str());
        return 2;
      }
      first = std::strtoull(v.substr(0, dots).c_str(), nullptr, 10);
      last = std::strtoull(v.substr(dots + 2).c_str(), nullptr, 10);
    } else if (a == "--soak") {
      first = 1;
      last = std::strtoull(need("--soak").c_str(), nullptr, 10);
    } else if (a == "--nodes") {
      opt.nodes = std::atoi(need("--nodes").c_str());
    } else if (a == "--duration-ms") {
      opt.duration_ms = std::atoll(need("--duration-ms").c_str());
    } else if (a == "--large") {
      opt.large = true;
    } else if (a == "--verbose") {
      opt.verbose = true;
    } else if (a == "--no-faults") {
      opt.faults = false;
    } else {
      std::fprintf(stderr,
                   "usage: quorate_sim [--seed N | --seeds A..B | --soak N] [--nodes N | --large] "
                   "[--duration-ms MS] [--no-faults] [--verbose]\n");
      return 2;
    }
  }
  uint64_t passed = 0, failed = 0;
  for (uint64_t s = first; s <= last; ++s) {
    opt.seed = s;
    auto r = quorate::sim::run_totem_sim(opt);
    if (r.ok) {
      ++passed;
      if (opt.verbose || first == last)
        std::printf(
            "seed %llu: ok (%d nodes, %llu steps, %llu rings, %llu submitted, %llu deliveries)\n",
            static_cast<unsigned long long>(s), r.nodes, static_cast<unsigned long long>(r.steps),
            static_cast<unsigned long long>(r.rings), static_cast<unsigned long long>(r.submitted),
            static_cast<unsigned long long>(r.deliveries));
    } else {
      ++failed;
      std::printf("seed %llu FAILED (%d nodes): %s\n  replay: quorate_sim --seed %llu --verbose\n",
                  static_cast<unsigned long long>(s), r.nodes, r.failure.c_str(),
                  static_cast<unsigned long long>(s));
    }
    std::fflush(stdout);
  }
  std::printf("%llu passed, %llu failed\n", static_cast<unsigned long long>(passed),
              static_cast<unsigned long long>(failed));
  return failed == 0 ? 0 : 1;
}
