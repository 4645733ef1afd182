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
  // Busy already when the resync starts (its first step is decided at once).
  if (app_kib_per_step) p.write(p.a(), 0, pattern(app_kib_per_step * 1024, 8));
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

// A sync target asks for data as soon as its Inconsistent superblock is on
// disk, not at the next 100 ms step (an idle link at every resync's start).
TEST(ResyncRate, TheTargetAsksAtOnceWhenItsInconsistentSuperblockIsDurable) {
  EngineOptions o;
  o.c_plan_ahead_ds = 0;
  o.resync_rate_kib_s = 1u << 20;  // fixed, 1 GiB/s: the whole volume fits one step
  o.c_max_rate_kib_s = 1u << 20;
  Pair p(16ULL << 20, o);
  initial_sync(p);
  p.b().hold_disk = true;
  ASSERT_TRUE(p.b().r->invalidate(p.now()).ok());
  p.run();
  ASSERT_EQ(st(p, p.b()).cstate, ConnState::kSyncTarget);
  ASSERT_GT(st(p, p.b()).oos_kib, 0u);
  ASSERT_FALSE(p.b().disk_queue.empty()) << "the Inconsistent superblock write is held";
  p.b().hold_disk = false;
  p.run();  // no time passes
  EXPECT_EQ(st(p, p.b()).oos_kib, 0u) << "the resync waited for a tick";
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);
}

// After pause-sync / resume-sync the target asks at once too.
TEST(ResyncRate, ResumeSyncAsksAtOnce) {
  EngineOptions o;
  o.c_plan_ahead_ds = 0;
  o.resync_rate_kib_s = 1u << 20;
  o.c_max_rate_kib_s = 1u << 20;
  Pair p(16ULL << 20, o);
  initial_sync(p);
  ASSERT_TRUE(p.b().r->pause_sync(p.now()).ok());
  ASSERT_TRUE(p.b().r->invalidate(p.now()).ok());
  p.run();
  p.advance(300);
  ASSERT_EQ(st(p, p.b()).cstate, ConnState::kPausedSyncT);
  ASSERT_GT(st(p, p.b()).oos_kib, 0u) << "paused: nothing moves";
  ASSERT_TRUE(p.b().r->resume_sync(p.now()).ok());
  p.run();  // no time passes
  EXPECT_EQ(st(p, p.b()).oos_kib, 0u) << "the resync waited for a tick after resume-sync";
}

}  // namespace
}  // namespace quorate::replication
