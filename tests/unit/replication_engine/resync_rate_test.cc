// Resync rate control in the engine: c-min-rate yields to application I/O,
// c-max-rate caps the sync. Two in-memory nodes (pair.h), time in 100 ms steps.
#include <gtest/gtest.h>

#include "tests/unit/replication_engine/scenarios.h"

namespace quorate::replication {
namespace {

// KiB still out of sync on beta after `ms` of a full resync from alpha,
// with `app_kib_per_step` of writes on the Primary every step.
uint64_t left_after(EngineOptions o, int64_t ms, uint32_t app_kib_per_step, uint64_t disk_bytes = 64ULL << 20) {
  Pair p(disk_bytes, o);
  initial_sync(p);
  EXPECT_TRUE(p.b().r->invalidate(p.now()).ok());
  p.run();
  for (int64_t t = 0; t < ms; t += 100) {
    if (app_kib_per_step) p.write(p.a(), 0, pattern(app_kib_per_step * 1024, 9));
    p.advance(100);
  }
  return st(p, p.b()).oos_kib;
}

TEST(ResyncRate, CMinRateYieldsToApplicationIo) {
  EngineOptions o;
  o.c_fill_target_sectors = 1u << 20;
  o.c_min_rate_kib_s = 2048;  // 2 MiB/s while the application writes
  const uint64_t total = 64 * 1024 - 128;  // the volume less its meta data, roughly
  // Quiet: the whole volume moves within a second.
  EXPECT_EQ(left_after(o, 1000, 0), 0u);
  // Busy: about c-min-rate (≈200 KiB per step) moves; most of it is left.
  const uint64_t left = left_after(o, 1000, 64);
  EXPECT_GT(left, total - 4096) << "the resync did not yield to application I/O";
  EXPECT_LT(left, total - 1024) << "the resync stalled instead of running at c-min-rate";
  // c-min-rate 0: never throttled.
  o.c_min_rate_kib_s = 0;
  EXPECT_EQ(left_after(o, 1000, 64), 0u);
}

TEST(ResyncRate, CMaxRateCapsTheSync) {
  EngineOptions o;
  o.c_fill_target_sectors = 1u << 20;
  o.c_max_rate_kib_s = 10240;  // 10 MiB/s: 1 MiB per step
  // 16 MiB (the initial sync takes under 2 s at this rate), half a second of resync.
  const uint64_t left = left_after(o, 500, 0, 16ULL << 20);
  const uint64_t moved = 16 * 1024 - 32 - left;
  EXPECT_GE(moved, 4u * 1024);
  EXPECT_LE(moved, 6u * 1024) << "more than c-max-rate";
}

}  // namespace
}  // namespace quorate::replication
