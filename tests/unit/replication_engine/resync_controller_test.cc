// ResyncController (DRBD's dynamic resync-rate controller) against a model
// pipe: each 100 ms step the bottleneck (peer disk, network) delivers at
// most `capacity` sectors of what is in flight.
#include <gtest/gtest.h>

#include "replication/resync_controller.h"

namespace quorate::replication {
namespace {

struct PipeRun {
  uint64_t delivered_last = 0;  // sectors delivered in the last step
  uint64_t in_flight = 0;       // after the last step's requests
  uint64_t max_request = 0;
};

PipeRun run_pipe(ResyncControllerSettings s, uint64_t capacity, int steps) {
  ResyncController c(s);
  PipeRun r;
  uint64_t arrived = 0;
  for (int i = 0; i < steps; ++i) {
    const uint64_t req = c.step(arrived, r.in_flight);
    r.max_request = std::max(r.max_request, req);
    r.in_flight += req;
    arrived = std::min(r.in_flight, capacity);
    r.in_flight -= arrived;
    r.delivered_last = arrived;
  }
  return r;
}

TEST(ResyncController, FixedRateWhenPlanAheadIsZero) {
  ResyncControllerSettings s;
  s.plan_ahead_ds = 0;
  s.resync_rate_kib_s = 10240;  // 10 MiB/s = 2048 sectors per 100 ms
  ResyncController c(s);
  for (uint64_t in : {0u, 5u, 100000u}) EXPECT_EQ(c.step(in, in), 2048u);
  EXPECT_EQ(c.want_kib_s(), 10240u);
}

TEST(ResyncController, StartsAtResyncRate) {
  ResyncControllerSettings s;  // DRBD defaults: 250 KiB/s, 2 s plan, fill 100 sectors
  s.resync_rate_kib_s = 10240;
  s.max_rate_kib_s = 4u << 20;
  ResyncController c(s);
  // Nothing in flight, nothing arrived: resync-rate's share of one step.
  EXPECT_EQ(c.step(0, 0), 2048u);
}

TEST(ResyncController, FillModeReachesTheBottleneckAndKeepsTheTargetInFlight) {
  ResyncControllerSettings s;
  s.max_rate_kib_s = 4u << 20;
  s.fill_target_sectors = 20000;  // 10 MiB in flight
  const uint64_t capacity = 8000;  // 40 MB/s bottleneck
  const PipeRun r = run_pipe(s, capacity, 600);
  EXPECT_EQ(r.delivered_last, capacity) << "runs at the bottleneck's rate";
  EXPECT_NEAR(static_cast<double>(r.in_flight), 20000.0, 2000.0) << "the fill target is what stays in flight";
}

TEST(ResyncController, NeverAboveCMaxRate) {
  ResyncControllerSettings s;
  s.max_rate_kib_s = 20480;  // 20 MiB/s = 4096 sectors per step
  s.fill_target_sectors = 1u << 20;
  const PipeRun r = run_pipe(s, 1u << 30, 300);
  EXPECT_EQ(r.max_request, 4096u);
  EXPECT_EQ(r.delivered_last, 4096u);
}

TEST(ResyncController, DelayModeAimsForCDelayTargetOfData) {
  ResyncControllerSettings s;
  s.max_rate_kib_s = 4u << 20;
  s.fill_target_sectors = 0;
  s.delay_target_ds = 10;  // 1 s of data in flight
  const uint64_t capacity = 1000;
  const PipeRun r = run_pipe(s, capacity, 1500);
  EXPECT_EQ(r.delivered_last, capacity);
  EXPECT_NEAR(static_cast<double>(r.in_flight), 10.0 * capacity, 1500.0);
}

}  // namespace
}  // namespace quorate::replication
