// The two-Primaries simulator (allow-two-primaries): two Replica engines, both
// Primary, writing to a small shared hot region from both sides at once, so
// that writes cross on the wire and overlap on the disks all the time. One
// seed decides everything: the interleaving of deliveries (re-chunked), the
// order in which each disk completes its I/O, the clock, queue depths and
// sizes, and in some seeds a link break while writes are in flight.
//
// Checked once everything has settled:
//   - every request completed, without error (none hangs);
//   - connected all along: both data areas are byte-identical, nothing is out
//     of sync, and every sector holds a value a correct register could hold —
//     that of a write covering it that no other write covering it started
//     after the first completed (or the initial zeroes when none covers it);
//   - after a link break: the next connection attempt finds the split brain
//     (both sides wrote as Primary), never a silent merge.
//
// Not thread-safe: one run owns everything it creates.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "tests/sim/repl_sim_world.h"

namespace quorate::sim {

// Runs one seed; adds the marks it reached to `marks`.
ReplSimResult run_dual_primary_sim(const ReplSimOptions& opt, std::map<std::string, uint64_t>& marks);

// Every mark this simulator counts (nullptr-terminated).
const char* const* dual_sim_mark_names();

}  // namespace quorate::sim
