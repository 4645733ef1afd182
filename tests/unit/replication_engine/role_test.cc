// Promotion as a two-node state change, and resource-level fencing: the
// fence-peer handler's exit codes and I/O frozen under resource-and-stonith
// (REPLICATION-FACTS.md §10.1). Two in-memory nodes (pair.h).
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/replication_engine/scenarios.h"

namespace quorate::replication {
namespace {

bool has(const std::vector<std::string>& v, const std::string& what) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(what) != std::string::npos; });
}

// Both UpToDate and Secondary, connected.
void both_secondary(Pair& p) {
  initial_sync(p);
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  p.run();
  ASSERT_EQ(st(p, p.b()).peer_role, Role::kSecondary);
}

EngineOptions with_fencing(Fencing f) {
  EngineOptions o;
  o.fencing = f;
  return o;
}

TEST(ReplicaRoles, PromotionWaitsForThePeersConsent) {
  Pair p;
  both_secondary(p);
  const uint64_t t = p.start_primary(p.b(), false);
  EXPECT_FALSE(p.result_of(p.b(), t)) << "decided before the peer answered";
  EXPECT_EQ(st(p, p.b()).role, Role::kSecondary);
  p.run();
  ASSERT_TRUE(p.result_of(p.b(), t));
  EXPECT_TRUE(p.result_of(p.b(), t)->ok());
  EXPECT_EQ(st(p, p.b()).role, Role::kPrimary);
  EXPECT_EQ(st(p, p.a()).peer_role, Role::kPrimary);
  // The other node may not follow.
  auto r = p.promote(p.a(), false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("(-1) Multiple primaries not allowed by config"), std::string::npos);
}

TEST(ReplicaRoles, ConcurrentPromotionsLeaveExactlyOnePrimary) {
  Pair p;
  both_secondary(p);
  // Both ask before either request arrives.
  const uint64_t ta = p.start_primary(p.a(), false);
  const uint64_t tb = p.start_primary(p.b(), false);
  p.run();
  ASSERT_TRUE(p.result_of(p.a(), ta));
  ASSERT_TRUE(p.result_of(p.b(), tb));
  // "alpha" sorts first and wins the tie.
  EXPECT_TRUE(p.result_of(p.a(), ta)->ok());
  ASSERT_FALSE(p.result_of(p.b(), tb)->ok());
  EXPECT_NE(p.result_of(p.b(), tb)->error().message.find("(-19) Concurrent state changes detected and aborted"),
            std::string::npos);
  EXPECT_EQ(st(p, p.a()).role, Role::kPrimary);
  EXPECT_EQ(st(p, p.b()).role, Role::kSecondary);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected) << "no two-primaries disconnect";
  const uint64_t id = p.write(p.a(), 4096, pattern(4096, 3));
  p.run();
  ASSERT_TRUE(p.a().done.count(id));
  EXPECT_EQ(p.a().done[id].error, 0);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaRoles, ConnectionLostDuringPromotionIsDecidedLocally) {
  Pair p;
  both_secondary(p);
  const uint64_t t = p.start_primary(p.b(), false);
  p.link_down();  // the request never arrives
  ASSERT_TRUE(p.result_of(p.b(), t));
  EXPECT_TRUE(p.result_of(p.b(), t)->ok()) << "fencing dont-care: an UpToDate node takes over";
  EXPECT_EQ(st(p, p.b()).role, Role::kPrimary);
}

TEST(ReplicaRoles, PromotionWithoutThePeerRunsFencePeerAndNeedsItToSucceed) {
  Pair p(64ULL << 20, with_fencing(Fencing::kResourceOnly));
  both_secondary(p);
  p.link_down();
  ASSERT_TRUE(p.a().r->disconnect(p.now()).ok());
  p.run();

  // Exit 1: a broken handler; the promotion is refused.
  uint64_t t = p.start_primary(p.b(), false);
  EXPECT_FALSE(p.result_of(p.b(), t));
  ASSERT_EQ(std::count(p.b().handlers.begin(), p.b().handlers.end(), "fence-peer"), 1);
  p.handler_done(p.b(), "fence-peer", 1);
  ASSERT_TRUE(p.result_of(p.b(), t));
  ASSERT_FALSE(p.result_of(p.b(), t)->ok());
  EXPECT_NE(p.result_of(p.b(), t)->error().message.find("(-7) Refusing to be Primary while peer is not outdated"),
            std::string::npos);
  EXPECT_TRUE(has(p.b().events, "fence-peer helper broken, returned 1"));
  EXPECT_EQ(st(p, p.b()).role, Role::kSecondary);

  // Exit 4: the peer was outdated (as a real handler would, over another path).
  ASSERT_TRUE(p.a().r->outdate(p.now()).ok());
  t = p.start_primary(p.b(), false);
  p.handler_done(p.b(), "fence-peer", 4);
  ASSERT_TRUE(p.result_of(p.b(), t));
  EXPECT_TRUE(p.result_of(p.b(), t)->ok());
  EXPECT_EQ(st(p, p.b()).role, Role::kPrimary);
  EXPECT_EQ(st(p, p.b()).peer_disk, DiskState::kOutdated);
  EXPECT_TRUE(has(p.b().events, "fence-peer helper returned 4 (peer was fenced)"));

  // The fenced peer's Outdated state is remembered across a restart: no new
  // fence-peer run is needed to promote again.
  ASSERT_TRUE(p.b().r->secondary(p.now()).ok());
  p.run();
  p.crash(p.b());
  p.attach(p.b());
  EXPECT_EQ(st(p, p.b()).peer_disk, DiskState::kOutdated);
  p.b().handlers.clear();
  EXPECT_TRUE(p.promote(p.b(), false).ok());
  EXPECT_TRUE(p.b().handlers.empty());
}

TEST(ReplicaRoles, FencePeerExitCodesFollowDrbd) {
  struct Case {
    int code;
    bool promoted;
    DiskState peer_disk;
    DiskState own_disk;
  };
  for (const Case c : {Case{3, true, DiskState::kInconsistent, DiskState::kUpToDate},
                       Case{5, true, DiskState::kOutdated, DiskState::kUpToDate},
                       Case{6, false, DiskState::kDUnknown, DiskState::kOutdated},
                       Case{7, true, DiskState::kOutdated, DiskState::kUpToDate}}) {
    SCOPED_TRACE(c.code);
    Pair p(64ULL << 20, with_fencing(Fencing::kResourceAndStonith));
    both_secondary(p);
    p.link_down();
    ASSERT_TRUE(p.a().r->disconnect(p.now()).ok());
    const uint64_t t = p.start_primary(p.b(), false);
    p.handler_done(p.b(), "fence-peer", c.code);
    ASSERT_TRUE(p.result_of(p.b(), t));
    EXPECT_EQ(p.result_of(p.b(), t)->ok(), c.promoted);
    EXPECT_EQ(st(p, p.b()).peer_disk, c.peer_disk);
    EXPECT_EQ(st(p, p.b()).disk, c.own_disk);
    EXPECT_FALSE(st(p, p.b()).io_suspended);
  }
}

TEST(ReplicaRoles, ForcedPromotionGoesAheadWhenFencingFails) {
  Pair p(64ULL << 20, with_fencing(Fencing::kResourceOnly));
  both_secondary(p);
  p.link_down();
  const uint64_t t = p.start_primary(p.b(), true);
  p.handler_done(p.b(), "fence-peer", 1);
  ASSERT_TRUE(p.result_of(p.b(), t));
  EXPECT_TRUE(p.result_of(p.b(), t)->ok());
  EXPECT_TRUE(has(p.b().events, "Forced into split brain situation!"));
}

TEST(ReplicaRoles, ResourceAndStonithFreezesIoUntilThePeerIsFenced) {
  Pair p(64ULL << 20, with_fencing(Fencing::kResourceAndStonith));
  initial_sync(p);
  // A write in flight on the Primary when the link breaks, one after.
  p.b().hold_disk = true;
  const uint64_t w1 = p.write(p.a(), 0, pattern(4096, 1));
  p.run();
  p.link_down();
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());  // and it stays down
  const uint64_t w2 = p.write(p.a(), 8192, pattern(4096, 2));
  p.run();
  EXPECT_TRUE(st(p, p.a()).io_suspended);
  EXPECT_TRUE(std::count(p.a().handlers.begin(), p.a().handlers.end(), "fence-peer") == 1);
  EXPECT_FALSE(p.a().done.count(w1)) << "acknowledged while the peer may take over without it";
  EXPECT_FALSE(p.a().done.count(w2));
  // A broken handler leaves I/O frozen.
  p.handler_done(p.a(), "fence-peer", 1);
  EXPECT_TRUE(st(p, p.a()).io_suspended);
  EXPECT_FALSE(p.a().done.count(w1));
  EXPECT_TRUE(has(p.a().events, "I/O stays frozen"));
  // Demotion is refused while I/O is held.
  EXPECT_FALSE(p.a().r->secondary(p.now()).ok());
  // The operator made sure the peer is down: resume-io releases everything.
  ASSERT_TRUE(p.a().r->resume_io(p.now()).ok());
  p.run();
  EXPECT_FALSE(st(p, p.a()).io_suspended);
  ASSERT_TRUE(p.a().done.count(w1));
  ASSERT_TRUE(p.a().done.count(w2));
  EXPECT_EQ(p.a().done[w1].error, 0);
  EXPECT_EQ(p.a().done[w2].error, 0);
}

TEST(ReplicaRoles, StonithSuccessReleasesFrozenIo) {
  Pair p(64ULL << 20, with_fencing(Fencing::kResourceAndStonith));
  initial_sync(p);
  p.link_down();
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  const uint64_t w = p.write(p.a(), 0, pattern(4096, 4));
  p.run();
  EXPECT_FALSE(p.a().done.count(w));
  p.handler_done(p.a(), "fence-peer", 7);
  ASSERT_TRUE(p.a().done.count(w));
  EXPECT_EQ(p.a().done[w].error, 0);
  EXPECT_FALSE(st(p, p.a()).io_suspended);
  EXPECT_EQ(st(p, p.a()).peer_disk, DiskState::kOutdated);
  EXPECT_TRUE(has(p.a().events, "fence-peer helper returned 7 (peer was stonithed)"));
}

TEST(ReplicaRoles, ResourceOnlyKeepsIoRunningWhileFencing) {
  Pair p(64ULL << 20, with_fencing(Fencing::kResourceOnly));
  initial_sync(p);
  p.link_down();
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  const uint64_t w = p.write(p.a(), 0, pattern(4096, 5));
  p.run();
  EXPECT_FALSE(st(p, p.a()).io_suspended);
  ASSERT_TRUE(p.a().done.count(w));
  EXPECT_EQ(std::count(p.a().handlers.begin(), p.a().handlers.end(), "fence-peer"), 1);
}

}  // namespace
}  // namespace quorate::replication
