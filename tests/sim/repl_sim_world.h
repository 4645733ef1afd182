// The seeded fault simulator for the replication engine (replication/engine.h):
// two Replica engines in one thread over simulated disks with a volatile write
// cache (torn on a power loss at 4 KiB or 512 B; kept when only the daemon is
// killed, in the same boot), a TCP-like connection that breaks,
// delays and re-chunks, a millisecond clock, a workload on the Primary checked
// against a model of acknowledged writes, and a scenario driver (crashes,
// partitions, failovers, split brains and their repair, verify, invalidate,
// pause/resume, I/O errors, a Primary's failed disk replaced live with
// `attach`). The two-Primaries simulator is repl_dual_sim.h. Everything comes from one seed; invariants are
// checked after every event and every step; the first violation ends the run
// with the seed, the step and the last events.
//
// Not thread-safe: one run owns everything it creates. Marks (counters of rare
// branches) are summed into the caller's map.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace quorate::sim {

struct ReplSimOptions {
  uint64_t seed = 1;
  bool large = false;    // longer scenarios on bigger disks
  bool verbose = false;  // print the whole trace
};

struct ReplSimResult {
  bool ok = true;
  std::string failure;  // the invariant broken, the step, the last events
  uint64_t steps = 0;
  uint64_t events = 0;
  uint64_t writes_acked = 0;
  int64_t sim_ms = 0;
  std::string config;  // protocol, policies, faults of this seed
};

// Runs one seed; adds the marks it reached to `marks`.
ReplSimResult run_repl_sim(const ReplSimOptions& opt, std::map<std::string, uint64_t>& marks);

// Every mark the simulator counts (so that a range of seeds can be required to
// reach each one).
const char* const* repl_sim_mark_names();

}  // namespace quorate::sim
