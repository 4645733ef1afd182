// decide_sync is run by both nodes on (mine, theirs) and must reach mirror-
// image verdicts, or the two sides start incompatible syncs (one sends a
// bitmap while the other waits for a sync UUID). Checked over every
// combination of a small pool of generation identifiers and flags.
#include <gtest/gtest.h>

#include <random>

#include "replication/sync_decision.h"

namespace quorate::replication {
namespace {

using Kind = SyncDecision::Kind;

Kind mirror(Kind k) {
  switch (k) {
    case Kind::kSource: return Kind::kTarget;
    case Kind::kTarget: return Kind::kSource;
    default: return k;
  }
}

TEST(SyncDecision, BothSidesReachMirrorImageVerdicts) {
  // UUIDs from a pool of four generations (and "just created"), so that
  // matches between fields are frequent.
  const uint64_t pool[] = {0, kUuidJustCreated, 0x1000, 0x2000, 0x3000, 0x4000};
  std::mt19937_64 rng(2026);
  auto pick = [&] { return pool[rng() % std::size(pool)]; };
  SbPolicies pol;
  pol.pri0 = AfterSb0::kDiscardLeastChanges;
  pol.pri1 = AfterSb1::kDiscardSecondary;
  int checked = 0;
  for (int i = 0; i < 200000; ++i) {
    SideInfo a, b;
    for (SideInfo* s : {&a, &b}) {
      s->uuids.current = pick();
      if (s->uuids.current == 0) s->uuids.current = 0x5000;
      s->uuids.bitmap = pick();
      s->uuids.history[0] = pick();
      s->uuids.history[1] = pick();
      const uint64_t f = rng();
      s->primary = f & 1;
      s->crashed_primary = f & 2;
      s->discard_my_data = (f & 12) == 12;
      s->verify_source = f & 16;
      s->consistent = f & 32;
      s->bitmap_weight = (f >> 8) % 3;
    }
    a.tiebreak = 7;
    b.tiebreak = 9;
    const SyncDecision da = decide_sync(a, b, pol);
    const SyncDecision db = decide_sync(b, a, pol);
    ASSERT_EQ(da.kind, mirror(db.kind)) << "a: " << da.reason << "\nb: " << db.reason << "\n(case " << i << ")";
    if (da.kind == Kind::kSource || da.kind == Kind::kTarget) {
      ASSERT_EQ(da.full, db.full) << "a: " << da.reason << "\nb: " << db.reason << "\n(case " << i << ")";
    }
    ASSERT_EQ(da.split_brain, db.split_brain) << da.reason << " / " << db.reason;
    ++checked;
  }
  EXPECT_EQ(checked, 200000);
}

// The case the simulator found (seed 211 after promotion became a two-node
// state change): a source crashed right after starting a resync, so each
// side's bitmap generation is the other's current data; the Inconsistent
// target must get a full sync on both sides' accounts.
TEST(SyncDecision, CrossedBitmapGenerationsGiveOneFullSync) {
  SideInfo target, source;
  target.uuids.current = 0x93DE0000;
  target.uuids.bitmap = 0x6EEC0000;
  target.consistent = false;
  target.bitmap_weight = 5622;
  source.uuids.current = 0x6EEC0000;
  source.uuids.bitmap = 0x93DE0000;
  source.bitmap_weight = 5878;
  const SyncDecision t = decide_sync(target, source, {});
  const SyncDecision s = decide_sync(source, target, {});
  EXPECT_EQ(t.kind, Kind::kTarget);
  EXPECT_EQ(s.kind, Kind::kSource);
  EXPECT_TRUE(t.full);
  EXPECT_TRUE(s.full);
}

// A Primary with consistent data is never made a target (its data is in
// use); one with an Inconsistent disk (a replaced disk attached, pass_on
// errors) serves from its peer already and becomes the target of a full sync.
TEST(SyncDecision, OnlyAnInconsistentPrimaryBecomesATarget) {
  SideInfo primary, peer;
  primary.primary = true;
  primary.uuids.current = 0x2000;
  primary.uuids.bitmap = 0x1000;
  primary.bitmap_weight = 3;
  peer.uuids.current = 0x3000;
  peer.uuids.bitmap = 0x2000;
  peer.consistent = true;
  peer.bitmap_weight = 10;
  primary.consistent = true;  // the peer moved on from the Primary's data: a resync would overwrite it
  EXPECT_EQ(decide_sync(primary, peer, {}).kind, Kind::kDisconnect);
  EXPECT_EQ(decide_sync(peer, primary, {}).kind, Kind::kDisconnect);
  primary.consistent = false;
  const SyncDecision t = decide_sync(primary, peer, {});
  const SyncDecision s = decide_sync(peer, primary, {});
  EXPECT_EQ(t.kind, Kind::kTarget) << t.reason;
  EXPECT_EQ(s.kind, Kind::kSource) << s.reason;
  // The generations allow a bitmap resync (the peer's bitmap covers what it
  // changed since the Primary's generation), the same on both sides.
  EXPECT_FALSE(t.full);
  EXPECT_FALSE(s.full);
  // A Primary that wrote alone (the peer's data is its bitmap generation)
  // and whose disk then went Inconsistent holds writes the peer lacks: no
  // resync over them; the operator decides.
  primary.uuids.current = 0x4000;
  primary.uuids.bitmap = 0x3000;
  EXPECT_EQ(decide_sync(primary, peer, {}).kind, Kind::kDisconnect) << decide_sync(primary, peer, {}).reason;
  EXPECT_EQ(decide_sync(peer, primary, {}).kind, Kind::kDisconnect);
  // Two Primaries never resync.
  primary.uuids.current = 0x2000;
  primary.uuids.bitmap = 0x1000;
  peer.primary = true;
  EXPECT_EQ(decide_sync(primary, peer, {}).kind, Kind::kDisconnect);
  EXPECT_EQ(decide_sync(peer, primary, {}).kind, Kind::kDisconnect);
}

}  // namespace
}  // namespace quorate::replication
