// allow-two-primaries: both nodes Primary, writes from both sides, and the
// resolution of concurrent writes to the same blocks (engine_impl.h, "Two
// Primaries"). alpha's name sorts first: it resolves conflicts.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "tests/unit/replication_engine/scenarios.h"

namespace quorate::replication {
namespace {

EngineOptions two_primaries() {
  EngineOptions o;
  o.allow_two_primaries = true;
  return o;
}

// Synced, connected, both Primary.
void both_primary(Pair& p) {
  initial_sync(p);
  ASSERT_TRUE(p.promote(p.b(), false).ok());
  ASSERT_EQ(st(p, p.a()).peer_role, Role::kPrimary);
  ASSERT_EQ(st(p, p.b()).role, Role::kPrimary);
}



void expect_done_ok(const Node& n, uint64_t id) {
  auto it = n.done.find(id);
  ASSERT_NE(it, n.done.end()) << n.name << ": request " << id << " not completed";
  EXPECT_EQ(it->second.error, 0) << n.name << ": request " << id;
}

TEST(ReplicaTwoPrimaries, WritesFromBothSidesReachBothDisks) {
  Pair p(64ULL << 20, two_primaries());
  both_primary(p);
  const auto x = pattern(8192, 1), y = pattern(4096, 2);
  const uint64_t wa = p.write(p.a(), 1 << 20, x);
  const uint64_t wb = p.write(p.b(), 2 << 20, y);
  p.run();
  expect_done_ok(p.a(), wa);
  expect_done_ok(p.b(), wb);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(range_of(p, p.b(), 1 << 20, x.size()), x);
  EXPECT_EQ(range_of(p, p.a(), 2 << 20, y.size()), y);
}

TEST(ReplicaTwoPrimaries, CrossingWritesTheResolversCoversAreSuperseded) {
  Pair p(64ULL << 20, two_primaries());
  both_primary(p);
  // Both submitted before either Data arrives: they cross on the wire.
  const auto big = pattern(8192, 3), small = pattern(1024, 4);
  const uint64_t wa = p.write(p.a(), 1 << 20, big);
  const uint64_t wb = p.write(p.b(), (1 << 20) + 2048, small);
  p.run();
  expect_done_ok(p.a(), wa);
  expect_done_ok(p.b(), wb);
  EXPECT_TRUE(has_event(p.a(), "ours covers the peer's, which is superseded"));
  // alpha's write covers beta's: it is what both disks hold.
  EXPECT_EQ(range_of(p, p.a(), 1 << 20, big.size()), big);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).oos_kib, 0u);
  EXPECT_EQ(st(p, p.b()).oos_kib, 0u);
}

TEST(ReplicaTwoPrimaries, CrossingWritesNotCoveredAreWrittenAgainByTheOtherNode) {
  Pair p(64ULL << 20, two_primaries());
  both_primary(p);
  const auto small = pattern(1024, 5), big = pattern(8192, 6);
  const uint64_t wa = p.write(p.a(), (1 << 20) + 2048, small);
  const uint64_t wb = p.write(p.b(), 1 << 20, big);
  p.run();
  expect_done_ok(p.a(), wa);
  expect_done_ok(p.b(), wb);
  EXPECT_TRUE(has_event(p.a(), "the peer writes again once ours is in"));
  // beta wrote again after alpha's write was in on both disks.
  EXPECT_EQ(range_of(p, p.b(), 1 << 20, big.size()), big);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(st(p, p.a()).oos_kib, 0u);
  EXPECT_EQ(st(p, p.b()).oos_kib, 0u);
}

TEST(ReplicaTwoPrimaries, AWriteOverlappingAPeerWriteInProgressWaitsForItsAnswer) {
  Pair p(64ULL << 20, two_primaries());
  both_primary(p);
  // beta receives alpha's write but its disk holds it; a write of beta's to
  // the same blocks must not go out before beta answered alpha's: alpha would
  // take it for a crossing write and supersede it, while beta's disk ends
  // with beta's.
  // (A write of beta's elsewhere in the extent first: its activity-log
  // transaction would hold the test's write back by itself.)
  const uint64_t warm = p.write(p.b(), 3 << 20, pattern(4096, 11));
  p.run();
  expect_done_ok(p.b(), warm);
  p.b().hold_disk = true;
  const auto first = pattern(4096, 7), second = pattern(4096, 8);
  const uint64_t wa = p.write(p.a(), 1 << 20, first);
  p.run();
  p.b().record = true;
  const uint64_t wb = p.write(p.b(), 1 << 20, second);
  for (const auto& frame : p.b().sent) EXPECT_NE(frame[4], static_cast<uint8_t>(wire::Type::kData));
  p.b().hold_disk = false;
  p.run();
  expect_done_ok(p.a(), wa);
  expect_done_ok(p.b(), wb);
  EXPECT_FALSE(has_event(p.a(), "concurrent writes"));
  EXPECT_EQ(range_of(p, p.a(), 1 << 20, second.size()), second);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaTwoPrimaries, ALinkLostWhileAWriteIsParkedLeavesNoRequestHanging) {
  Pair p(64ULL << 20, two_primaries());
  both_primary(p);
  // alpha's answers never reach beta: beta's write waits for one while
  // alpha's crossing write is parked on beta.
  p.a().hold = [](const std::vector<uint8_t>& frame) {
    return frame[4] == static_cast<uint8_t>(wire::Type::kSuperseded) ||
           frame[4] == static_cast<uint8_t>(wire::Type::kRetryWrite);
  };
  const auto big = pattern(8192, 9), small = pattern(4096, 10);
  const uint64_t wb = p.write(p.b(), 1 << 20, small);
  const uint64_t wa = p.write(p.a(), 1 << 20, big);
  p.run();
  EXPECT_EQ(p.b().done.count(wb), 0u) << "beta's write waits for alpha's answer";
  p.link_down();
  p.run();
  // Both complete from their own disks; the blocks are out of sync on both
  // (two Primaries that lose the link are a split brain at the next connect).
  expect_done_ok(p.a(), wa);
  expect_done_ok(p.b(), wb);
  EXPECT_GT(st(p, p.a()).oos_kib, 0u);
  EXPECT_GT(st(p, p.b()).oos_kib, 0u);
  // The parked write went to beta's disk after beta's own: alpha's data on
  // both, as the resolution would have had it.
  EXPECT_EQ(range_of(p, p.b(), 1 << 20, big.size()), big);
  EXPECT_EQ(range_of(p, p.a(), 1 << 20, big.size()), big);
}

TEST(ReplicaTwoPrimaries, AConflictAnswerToTheResolverIsAProtocolError) {
  Pair p(64ULL << 20, two_primaries());
  both_primary(p);
  const wire::Encoded e = wire::encode(wire::Type::kSuperseded, wire::BlockAck{1, 0, 512});
  std::vector<uint8_t> bytes = e.head;
  p.a().r->on_receive(bytes, p.now());
  p.run();
  EXPECT_TRUE(has_event(p.a(), "protocol error: a conflict answer to the node that resolves conflicts"));
}

}  // namespace
}  // namespace quorate::replication

namespace quorate::replication {
namespace {

Status adjust_two_primaries(Pair& p, Node& n, bool on) {
  EngineOptions o = p.options_for(n);
  o.allow_two_primaries = on;
  auto r = n.r->adjust(o, p.now());
  p.run();
  if (!r.ok()) return r.error();
  return Status::Ok();
}

TEST(ReplicaTwoPrimaries, AdjustTurnsAllowTwoPrimariesOnAndOffWithoutReconnecting) {
  Pair p;  // allow-two-primaries off in the file at first
  initial_sync(p);
  auto refused = p.promote(p.b(), false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("(-1) Multiple primaries not allowed by config"), std::string::npos);
  // One side's adjust is not enough: the peer must allow it too.
  ASSERT_TRUE(adjust_two_primaries(p, p.a(), true).ok());
  refused = p.promote(p.b(), false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("(-1)"), std::string::npos) << refused.error().message;
  ASSERT_TRUE(adjust_two_primaries(p, p.b(), true).ok());
  ASSERT_TRUE(p.promote(p.b(), false).ok());
  EXPECT_EQ(st(p, p.a()).peer_role, Role::kPrimary);
  const uint64_t w = p.write(p.b(), 4096, pattern(4096, 20));
  p.run();
  ASSERT_EQ(p.b().done.at(w).error, 0);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  // Clearing it while both are Primary is refused; after a demotion it is not.
  auto both = adjust_two_primaries(p, p.a(), false);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("demote one before clearing allow-two-primaries"), std::string::npos);
  ASSERT_TRUE(p.b().r->secondary(p.now()).ok());
  p.run();
  ASSERT_TRUE(adjust_two_primaries(p, p.a(), false).ok());
  refused = p.promote(p.b(), false);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("(-1)"), std::string::npos) << refused.error().message;
  // All of it on the one connection.
  for (Node* n : {&p.a(), &p.b()}) {
    EXPECT_FALSE(has_event(*n, "connection lost")) << n->name;
    EXPECT_EQ(st(p, *n).cstate, ConnState::kConnected) << n->name;
  }
}

}  // namespace
}  // namespace quorate::replication
