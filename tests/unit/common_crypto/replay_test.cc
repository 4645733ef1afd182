// Tests of the replay guard inside FrameOpener: duplicates, reordering within
// the 128-packet window, frames older than the window, sender restarts
// (incarnations), independence of senders, and the bound on tracked senders.
#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

#include "common/crypto.h"
#include "tests/unit/common_crypto/test_util.h"

namespace quorate::crypto {
namespace {

using test::make_key;

bool accepted(FrameOpener& o, const std::string& frame) {
  return std::holds_alternative<OpenedFrame>(o.open(frame));
}
DropReason dropped(FrameOpener& o, const std::string& frame) {
  auto r = o.open(frame);
  EXPECT_TRUE(std::holds_alternative<DropReason>(r));
  return std::holds_alternative<DropReason>(r) ? std::get<DropReason>(r) : DropReason::kTruncated;
}

class Replay : public testing::TestWithParam<test::Combo> {
 protected:
  FrameSealer sealer(uint32_t nodeid, uint64_t incarnation) {
    auto s =
        FrameSealer::create(make_key(4), GetParam().hash, GetParam().cipher, nodeid, incarnation);
    EXPECT_TRUE(s.ok());
    return std::move(s).value();
  }
  FrameOpener opener() {
    auto o = FrameOpener::create(make_key(4), GetParam().hash, GetParam().cipher);
    EXPECT_TRUE(o.ok());
    return std::move(o).value();
  }
  // frames[i] carries counter i + 1.
  static std::vector<std::string> seal_n(FrameSealer& s, size_t n) {
    std::vector<std::string> out;
    for (size_t i = 0; i < n; ++i) out.push_back(s.seal("p" + std::to_string(i)));
    return out;
  }
};

INSTANTIATE_TEST_SUITE_P(Configs, Replay,
                         testing::Values(test::Combo{Hash::kNone, Cipher::kNone},
                                         test::Combo{Hash::kSha256, Cipher::kAes256},
                                         test::Combo{Hash::kSha1, Cipher::kNone}),
                         test::combo_name);

TEST_P(Replay, DuplicateIsRejected) {
  FrameSealer s = sealer(1, 1);
  FrameOpener o = opener();
  const std::string f = s.seal("once");
  EXPECT_TRUE(accepted(o, f));
  EXPECT_EQ(dropped(o, f), DropReason::kReplayed);
  EXPECT_EQ(dropped(o, f), DropReason::kReplayed);
  EXPECT_EQ(o.accepted(), 1u);
  EXPECT_EQ(o.dropped(DropReason::kReplayed), 2u);
}

TEST_P(Replay, OutOfOrderWithinWindowAcceptedOnce) {
  FrameSealer s = sealer(1, 1);
  FrameOpener o = opener();
  auto f = seal_n(s, 10);
  EXPECT_TRUE(accepted(o, f[9]));
  for (size_t i : {4u, 0u, 8u, 1u}) {
    EXPECT_TRUE(accepted(o, f[i])) << i;
    EXPECT_EQ(dropped(o, f[i]), DropReason::kReplayed) << i;
  }
  EXPECT_EQ(dropped(o, f[9]), DropReason::kReplayed);
  EXPECT_TRUE(accepted(o, f[2]));
}

TEST_P(Replay, WindowEdge) {
  FrameSealer s = sealer(1, 1);
  FrameOpener o = opener();
  auto f = seal_n(s, 200);           // counters 1..200
  EXPECT_TRUE(accepted(o, f[199]));  // highest = 200
  // Counter 72 is 128 behind: outside the window, so treated as replayed.
  EXPECT_EQ(dropped(o, f[71]), DropReason::kReplayed);
  // Counter 73 is 127 behind: the oldest one the window still tracks.
  EXPECT_TRUE(accepted(o, f[72]));
  EXPECT_EQ(dropped(o, f[72]), DropReason::kReplayed);
  // Advancing to 201 slides 73 out of the window; 74 (127 behind) is still in.
  EXPECT_TRUE(accepted(o, s.seal("201")));
  EXPECT_EQ(dropped(o, f[72]), DropReason::kReplayed);
  EXPECT_TRUE(accepted(o, f[73]));
}

TEST_P(Replay, SlidingKeepsBitsOfRecentCounters) {
  FrameSealer s = sealer(1, 1);
  FrameOpener o = opener();
  auto f = seal_n(s, 300);
  EXPECT_TRUE(accepted(o, f[9]));   // 10
  EXPECT_TRUE(accepted(o, f[49]));  // 50: 10 is now 40 behind and still remembered
  EXPECT_EQ(dropped(o, f[9]), DropReason::kReplayed);
  EXPECT_TRUE(accepted(o, f[19]));   // 20 never seen
  EXPECT_TRUE(accepted(o, f[299]));  // jump of 250 > window: everything before 173 is too old
  EXPECT_EQ(dropped(o, f[171]), DropReason::kReplayed);  // 172 is 128 behind 300
  EXPECT_TRUE(accepted(o, f[172]));                      // 173 is 127 behind
  EXPECT_TRUE(accepted(o, f[298]));
  EXPECT_EQ(dropped(o, f[299]), DropReason::kReplayed);
}

TEST_P(Replay, RestartWithHigherIncarnation) {
  FrameSealer old_life = sealer(3, 100);
  FrameOpener o = opener();
  auto old_frames = seal_n(old_life, 50);
  for (size_t i = 0; i < 40; ++i) EXPECT_TRUE(accepted(o, old_frames[i]));

  FrameSealer new_life = sealer(3, 101);  // counter restarts at 1
  auto new_frames = seal_n(new_life, 5);
  EXPECT_TRUE(accepted(o, new_frames[1]));
  EXPECT_TRUE(accepted(o, new_frames[0]));  // reordered within the new window
  EXPECT_EQ(dropped(o, new_frames[1]), DropReason::kReplayed);
  // Frames of the previous life, seen or not, are refused from now on.
  EXPECT_EQ(dropped(o, old_frames[45]), DropReason::kOldIncarnation);
  EXPECT_EQ(dropped(o, old_frames[3]), DropReason::kOldIncarnation);
  EXPECT_EQ(o.dropped(DropReason::kOldIncarnation), 2u);
  EXPECT_TRUE(accepted(o, new_frames[4]));
}

TEST_P(Replay, SendersAreIndependent) {
  FrameSealer a = sealer(1, 9);
  FrameSealer b = sealer(2, 1);
  FrameOpener o = opener();
  auto fa = seal_n(a, 3), fb = seal_n(b, 3);
  EXPECT_TRUE(accepted(o, fa[2]));
  EXPECT_TRUE(accepted(o, fb[0]));
  EXPECT_TRUE(accepted(o, fb[2]));
  EXPECT_TRUE(accepted(o, fa[0]));
  EXPECT_EQ(dropped(o, fb[0]), DropReason::kReplayed);
  EXPECT_EQ(o.tracked_senders(), 2u);
  o.forget_sender(2);
  EXPECT_EQ(o.tracked_senders(), 1u);
  EXPECT_TRUE(accepted(o, fb[0]));  // forgotten: fresh again
}

TEST(ReplayGuard, CounterZeroIsNeverValid) {
  auto o = FrameOpener::create("", Hash::kNone, Cipher::kNone);
  ASSERT_TRUE(o.ok());
  std::string f(kFrameHeaderBytes, '\0');
  f[0] = 0x51;
  f[1] = 1;
  f[7] = 5;  // nodeid 5, incarnation 0, counter 0
  EXPECT_EQ(std::get<DropReason>(o->open(f)), DropReason::kReplayed);
  f[23] = 1;  // counter 1
  EXPECT_TRUE(std::holds_alternative<OpenedFrame>(o->open(f)));
}

TEST(ReplayGuard, TrackedSendersAreBounded) {
  auto o = FrameOpener::create("", Hash::kNone, Cipher::kNone);
  ASSERT_TRUE(o.ok());
  for (uint32_t node = 1; node <= FrameOpener::kMaxTrackedSenders + 100; ++node) {
    auto s = FrameSealer::create("", Hash::kNone, Cipher::kNone, node, 1);
    ASSERT_TRUE(s.ok());
    ASSERT_TRUE(std::holds_alternative<OpenedFrame>(o->open(s->seal("x"))));
  }
  EXPECT_EQ(o->tracked_senders(), FrameOpener::kMaxTrackedSenders);
}

}  // namespace
}  // namespace quorate::crypto
