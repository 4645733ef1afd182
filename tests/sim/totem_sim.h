// Deterministic simulation of a Totem cluster: the sans-IO membership cores
// (Totem, votequorum, process groups) of up to 32 nodes in one thread, with a simulated network
// (delay, loss, duplication, reordering, partitions), per-node clocks that drift, and
// crash/restart, all drawn from one seed. Invariants are checked after every step; the first
// violation stops the run with a message that names the seed.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "membership/totem.h"

namespace quorate::sim {

struct SimOptions {
  uint64_t seed = 1;
  int nodes = 0;  // 0: drawn from the seed (2..8, or 9..32 with `large`)
  bool large = false;
  int64_t duration_ms = 20000;
  bool verbose = false;
  bool faults = true;  // loss, duplication, partitions, crashes
};

struct SimResult {
  bool ok = true;
  std::string failure;  // first invariant broken, with the time
  uint64_t steps = 0;
  uint64_t deliveries = 0;
  uint64_t rings = 0;
  uint64_t submitted = 0;
  int nodes = 0;
};

SimResult run_totem_sim(const SimOptions& opt);

}  // namespace quorate::sim
