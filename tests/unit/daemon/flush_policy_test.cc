// FlushPolicy: flushes run inline only after a run of fast ones; a slow
// flush, or a running average that is no longer fast, sends them back to the
// pool; a lone outlier does not.
#include "daemon/flush_policy.h"

#include <gtest/gtest.h>

namespace quorate::daemon {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

void fast_run(FlushPolicy& p) {
  for (int i = 0; i < 100; ++i) p.took(microseconds(5));
}

TEST(FlushPolicy, PooledUntilARunOfFastFlushes) {
  FlushPolicy p;
  EXPECT_FALSE(p.run_inline()) << "a new volume knows nothing of its device";
  for (int i = 1; i < FlushPolicy::kFastRun; ++i) {
    EXPECT_FALSE(p.took(microseconds(5)));
    EXPECT_FALSE(p.run_inline()) << "after " << i << " fast flushes";
  }
  EXPECT_TRUE(p.took(microseconds(5))) << "the switch is reported once";
  EXPECT_TRUE(p.run_inline());
  EXPECT_FALSE(p.took(microseconds(5)));
}

TEST(FlushPolicy, OneFlushOfAMillisecondSendsThemBackAndTheRunStartsOver) {
  FlushPolicy p;
  fast_run(p);
  ASSERT_TRUE(p.run_inline());
  EXPECT_TRUE(p.took(milliseconds(3)));  // the device turned slow
  EXPECT_FALSE(p.run_inline());
  EXPECT_FALSE(p.took(milliseconds(3)));
  for (int i = 1; i < FlushPolicy::kFastRun; ++i) p.took(microseconds(5));
  EXPECT_FALSE(p.run_inline()) << "one fast flush short of a run";
  p.took(microseconds(5));
  EXPECT_TRUE(p.run_inline());
}

TEST(FlushPolicy, ALoneOutlierOfAFastDeviceKeepsThemInline) {
  FlushPolicy p;
  fast_run(p);
  for (int i = 0; i < 50; ++i) {
    EXPECT_FALSE(p.took(microseconds(300))) << "a preempted flush now and then";
    for (int k = 0; k < 20; ++k) p.took(microseconds(5));
    EXPECT_TRUE(p.run_inline());
  }
}

TEST(FlushPolicy, ADeviceThatTurnsSlowGoesBackWithinTwoFlushes) {
  FlushPolicy p;
  fast_run(p);
  p.took(microseconds(400));
  p.took(microseconds(400));
  EXPECT_FALSE(p.run_inline()) << "average " << p.average().count() << " ns";
}

TEST(FlushPolicy, TheLimitItselfCountsAsSlow) {
  FlushPolicy p;
  for (int i = 0; i < 100; ++i) p.took(FlushPolicy::kFastFlush);
  EXPECT_FALSE(p.run_inline());
  for (int i = 0; i < 100; ++i) p.took(FlushPolicy::kFastFlush - microseconds(1));
  EXPECT_TRUE(p.run_inline());
}

TEST(FlushPolicy, ASlowDeviceNeverRunsInline) {
  FlushPolicy p;
  for (int i = 0; i < 1000; ++i) {
    p.took(i % 2 ? microseconds(5) : microseconds(400));
    EXPECT_FALSE(p.run_inline());
  }
}

}  // namespace
}  // namespace quorate::daemon
