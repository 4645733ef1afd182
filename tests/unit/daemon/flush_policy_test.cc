// FlushPolicy: flushes run inline only after a run of fast ones, and the
// first slow one sends them back to the pool.
#include "daemon/flush_policy.h"

#include <gtest/gtest.h>

namespace quorate::daemon {
namespace {

using std::chrono::microseconds;
using std::chrono::milliseconds;

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

TEST(FlushPolicy, OneSlowFlushSendsThemBackAndTheRunStartsOver) {
  FlushPolicy p;
  for (int i = 0; i < 100; ++i) p.took(microseconds(5));
  ASSERT_TRUE(p.run_inline());
  EXPECT_TRUE(p.took(milliseconds(3)));  // the device turned slow
  EXPECT_FALSE(p.run_inline());
  EXPECT_FALSE(p.took(milliseconds(3)));
  for (int i = 1; i < FlushPolicy::kFastRun; ++i) p.took(microseconds(5));
  EXPECT_FALSE(p.run_inline()) << "one fast flush short of a run";
  p.took(microseconds(5));
  EXPECT_TRUE(p.run_inline());
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
