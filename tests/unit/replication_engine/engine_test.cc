// Replica on two in-memory nodes (pair.h): the DRBD behaviours operators rely
// on, end to end through the peer protocol, one scenario per test.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "tests/unit/replication_engine/scenarios.h"

namespace quorate::replication {
namespace {

// Restarts `n` from what its disk holds (after its meta data gave it
// `attached_as`), connects it and lets the resync run: it must end Connected
// and UpToDate, with the same data as its peer.
void restart_and_resync(Pair& p, Node& n, DiskState attached_as, const char* why = "") {
  p.crash(n);
  p.attach(n);
  EXPECT_EQ(st(p, n).disk, attached_as) << "as its meta data says";
  ASSERT_TRUE(n.r->connect(false, p.now()).ok());
  p.link_up();
  p.run();
  p.advance(3000);
  EXPECT_EQ(st(p, n).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, n).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b())) << why;
}

TEST(ReplicaEngine, FreshPairIsConnectedInconsistentUntilForcedPrimary) {
  Pair p;
  initial_sync(p);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(st(p, p.a()).oos_kib, 0u);
  EXPECT_EQ(p.a().r->superblock().uuids.current & ~1ull, p.b().r->superblock().uuids.current & ~1ull);
}

TEST(ReplicaEngine, AnIdlePairAfterTheSyncStaysConnectedAndAsksForNoEarlyTick) {
  // The sync target's last resync write used to leave "a request awaiting an
  // answer" behind: once older than timeout its deadline was past due at every
  // tick (the daemon's timer spun, a Secondary at 90 % CPU while idle), and an
  // idle link whose pings are further apart than timeout would have been
  // dropped. Pair::advance fails any past deadline after a tick.
  Pair p;
  initial_sync(p);
  p.advance(25000);  // longer than timeout (6 s) and ping-int (10 s)
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.b()).cstate, ConnState::kConnected);
  for (Node* n : {&p.a(), &p.b()}) {
    for (const auto& e : n->events) EXPECT_EQ(e.find("timeout"), std::string::npos) << n->name << ": " << e;
  }
}

TEST(ReplicaEngine, ProtocolCWriteIsOnThePeerWhenAcknowledged) {
  Pair p;
  initial_sync(p);
  const auto data = pattern(64 * 1024, 1);
  p.b().hold_disk = true;  // the peer's disk has not finished
  const uint64_t id = p.write(p.a(), 1 << 20, data);
  p.run();
  EXPECT_FALSE(p.a().done.count(id)) << "acknowledged before the peer's disk write";
  p.b().hold_disk = false;
  p.run();
  ASSERT_TRUE(p.a().done.count(id));
  EXPECT_EQ(p.a().done[id].error, 0);
  const auto b = p.data_of(p.b());
  EXPECT_TRUE(std::equal(data.begin(), data.end(), b.begin() + (1 << 20)));
}

TEST(ReplicaEngine, SecondaryRefusesWritesAndPromotionWhilePeerIsPrimary) {
  Pair p;
  initial_sync(p);
  EXPECT_FALSE(p.b().r->writable());
  const uint64_t id = p.write(p.b(), 0, pattern(4096, 2));
  ASSERT_TRUE(p.b().done.count(id));
  EXPECT_EQ(p.b().done[id].error, EROFS);
  auto s = p.promote(p.b(), false);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("Multiple primaries"), std::string::npos);
}

TEST(ReplicaEngine, DisconnectedWritesResyncOnlyTheChangedBlocks) {
  Pair p;
  initial_sync(p);
  p.link_down();
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  for (int i = 0; i < 10; ++i) p.write(p.a(), uint64_t(i) * 8 * 4096, pattern(4096, uint8_t(10 + i)));
  p.run();
  EXPECT_EQ(st(p, p.a()).oos_kib, 40u);
  const uint64_t sent_before = st(p, p.a()).ns;
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(1000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(st(p, p.a()).ns - sent_before, 40u) << "only the 10 changed blocks travel";
}

TEST(ReplicaEngine, SplitBrainIsDetectedAndRepairedWithDiscardMyData) {
  Pair p;
  initial_sync(p);
  p.link_down();
  ASSERT_TRUE(p.a().r->disconnect(p.now()).ok());
  ASSERT_TRUE(p.promote(p.b(), false).ok());  // the survivor takes over
  p.write(p.a(), 0, pattern(4096, 20));
  p.write(p.b(), 8192, pattern(4096, 21));
  p.run();
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  p.run();
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kStandAlone);
  EXPECT_EQ(st(p, p.b()).cstate, ConnState::kStandAlone);

  EXPECT_FALSE(st(p, p.a()).split_brain.empty());
  EXPECT_NE(std::find(p.a().handlers.begin(), p.a().handlers.end(), "split-brain"), p.a().handlers.end());
  EXPECT_NE(p.data_of(p.a()), p.data_of(p.b()));
  // The seed's repair: the victim (alpha here) discards its data.
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  ASSERT_TRUE(p.a().r->connect(true, p.now()).ok());
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(1000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(st(p, p.a()).nr, 8u) << "bitmap-based: the two changed blocks only";
}

TEST(ReplicaEngine, CrashedPrimaryResyncsItsActivityLogExtents) {
  Pair p;
  initial_sync(p);
  p.write(p.a(), 5 << 20, pattern(4096, 30));
  p.run();
  p.crash(p.a());
  ASSERT_TRUE(p.promote(p.b(), false).ok());
  p.write(p.b(), 9 << 20, pattern(4096, 31));
  p.run();
  p.attach(p.a());
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  p.run();
  p.advance(2000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kUpToDate);
  EXPECT_EQ(st(p, p.a()).role, Role::kSecondary);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaEngine, OnlineVerifyFindsAndNextConnectRepairs) {
  EngineOptions o;
  o.verify_alg = "sha256";
  Pair p(64ULL << 20, o);
  initial_sync(p);
  // Corrupt two blocks behind the engine's back on the secondary.
  p.b().disk.bytes[3 * 4096] ^= 0xff;
  p.b().disk.bytes[100 * 4096 + 7] ^= 0x01;
  ASSERT_TRUE(p.a().r->verify(p.now()).ok());
  p.run();
  p.advance(2000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).oos_kib, 8u);
  ASSERT_TRUE(p.a().r->disconnect(p.now()).ok());
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  p.run();
  p.advance(1000);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(st(p, p.a()).oos_kib, 0u);
}

TEST(ReplicaEngine, PeersAuthenticateWithTheSharedSecretAndRefuseAWrongOne) {
  EngineOptions o;
  o.cram_hmac_alg = "sha256";
  o.shared_secret = "one";
  {
    Pair p(64ULL << 20, o);
    p.create_and_attach(p.a());
    p.create_and_attach(p.b());
    ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
    ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
    p.run();
    EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  }
  Pair p(64ULL << 20, o);
  p.b_secret = "two";
  p.create_and_attach(p.a());
  p.create_and_attach(p.b());
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kStandAlone);
  EXPECT_EQ(st(p, p.b()).cstate, ConnState::kStandAlone);
  bool said = false;
  for (const auto& e : p.a().events) said = said || e.find("Authentication of peer failed") != std::string::npos;
  EXPECT_TRUE(said);
}

// Regressions found by the fault simulator (tests/sim, quorate_repl_sim).

// Seed 10: a Primary that wrote while disconnected, was demoted and then
// crashed lost the blocks it wrote (no activity-log replay for a Secondary,
// and the bitmap was only in memory).
TEST(ReplicaEngine, DemoteWritesTheBitmapSoACrashAfterwardsKeepsTheOutOfSyncBlocks) {
  Pair p;
  initial_sync(p);
  p.link_down();
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.write(p.a(), 3 << 20, pattern(4096, 40));
  p.run();
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  p.run();
  p.crash(p.a());
  p.attach(p.a());
  EXPECT_EQ(p.a().r->bitmap().count(), 1u) << "the block written while disconnected must stay out of sync";
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(2000);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

// Seed 8: a node attached with Consistent data that the generation rules made
// the sync source refused every resync request (it served only UpToDate data),
// so the resync never ended.
TEST(ReplicaEngine, ConsistentNodeChosenAsSyncSourceBecomesUpToDateAndServes) {
  Pair p;
  initial_sync(p);
  p.link_down();
  ASSERT_TRUE(p.a().r->disconnect(p.now()).ok());
  p.write(p.a(), 1 << 20, pattern(8192, 41));
  p.run();
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  p.run();
  p.crash(p.a());
  p.crash(p.b());
  p.attach(p.a());
  p.attach(p.b());
  ASSERT_EQ(st(p, p.a()).disk, DiskState::kConsistent);
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(3000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kUpToDate);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

// Seeds 23/39: two Inconsistent disks picked one of them as sync source, which
// refused every request: the resync spun forever. Now they stay Connected
// without a sync until the operator forces one Primary.
TEST(ReplicaEngine, TwoInconsistentDisksDoNotSyncUntilOneIsForced) {
  Pair p;
  initial_sync(p);
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  p.run();
  p.link_down();
  ASSERT_TRUE(p.a().r->disconnect(p.now()).ok());
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  ASSERT_TRUE(p.a().r->invalidate(p.now()).ok());
  ASSERT_TRUE(p.b().r->invalidate(p.now()).ok());
  p.run();
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(2000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kInconsistent);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kInconsistent);
  ASSERT_TRUE(p.promote(p.a(), true).ok());
  p.run();
  p.advance(3000);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

// CI run of 339a4ce: the bench's `drbdadm invalidate` returned while the disk
// still said UpToDate (it turned Inconsistent only when the sync UUID came
// back). An invalidated disk is Inconsistent at once, and stays so on disk
// if the link and the node go down before the resync begins.
TEST(ReplicaEngine, InvalidateMakesTheDiskInconsistentAtOnceAndDurably) {
  Pair p;
  initial_sync(p);
  ASSERT_TRUE(p.b().r->invalidate(p.now()).ok());
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kInconsistent) << "before any message or I/O";
  p.link_down();  // before the peer's sync UUID
  p.run();
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kInconsistent);
  // The invalidated superblock was on disk.
  restart_and_resync(p, p.b(), DiskState::kInconsistent);
}

TEST(ReplicaEngine, InvalidateRemoteMakesThePeerInconsistentBeforeItsSyncUuidArrives) {
  Pair p;
  initial_sync(p);
  const auto sync_uuid = static_cast<uint8_t>(wire::Type::kSyncUuid);
  p.a().hold = [sync_uuid](const std::vector<uint8_t>& f) { return f.size() > 4 && f[4] == sync_uuid; };
  ASSERT_TRUE(p.a().r->invalidate_remote(p.now()).ok());
  p.run();
  ASSERT_TRUE(p.a().stalled) << "the source sent its sync UUID";
  EXPECT_EQ(st(p, p.b()).cstate, ConnState::kWFSyncUUID);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kInconsistent);
  EXPECT_EQ(st(p, p.a()).peer_disk, DiskState::kInconsistent);
  p.release(p.a());
  p.run();
  p.advance(3000);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaEngine, DetachAfterADiskErrorServesReadsAndWritesThroughThePeer) {
  Pair p;  // on-io-error detach is the default
  initial_sync(p);
  p.a().disk.fail_writes = true;
  const auto data = pattern(8192, 40);
  const uint64_t w = p.write(p.a(), 64 * 4096, data);
  p.run();
  ASSERT_TRUE(p.a().done.count(w));
  EXPECT_EQ(p.a().done[w].error, 0) << "the peer's leg succeeded: the write succeeds";
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
  EXPECT_EQ(st(p, p.b()).peer_disk, DiskState::kDiskless);
  EXPECT_TRUE(p.a().r->writable());
  const uint64_t rd = p.read(p.a(), 64 * 4096, 8192);
  p.run();
  ASSERT_TRUE(p.a().done.count(rd));
  ASSERT_EQ(p.a().done[rd].error, 0);
  ASSERT_TRUE(p.a().done[rd].data);
  EXPECT_EQ(*p.a().done[rd].data, data) << "read through the peer";
  // Without the peer a diskless Primary has no data to read.
  p.link_down();
  const uint64_t rd2 = p.read(p.a(), 0, 4096);
  p.run();
  ASSERT_TRUE(p.a().done.count(rd2));
  EXPECT_EQ(p.a().done[rd2].error, EIO);
}


// A Primary that lost its disk writes through the peer alone. When its disk
// comes back (down, up), it must get what it missed: the failed disk's
// meta data says Inconsistent, so it attaches Inconsistent and takes a full
// sync (the peer keeps no bitmap of what a Diskless peer missed).
TEST(ReplicaEngine, ADetachedPrimarysDiskCatchesUpWhenItIsAttachedAgain) {
  Pair p;
  initial_sync(p);
  p.a().disk.fail_writes = true;
  const uint64_t w = p.write(p.a(), 16 * 4096, pattern(8192, 46));
  p.run();
  ASSERT_EQ(p.a().done[w].error, 0);
  ASSERT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
  p.write(p.a(), 600 * 4096, pattern(4096, 47));
  p.run();
  // The disk is replaced/repaired: as Secondary, down and up again.
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  p.run();
  p.a().disk.fail_writes = false;
  restart_and_resync(p, p.a(), DiskState::kInconsistent);
}

// A diskless Primary that lost its peer reconnects to the same data (no sync
// decision: it has no disk), and refuses a peer whose data moved on.
TEST(ReplicaEngine, ADisklessPrimaryReconnectsOnlyToTheDataItServed) {
  Pair p;
  initial_sync(p);
  ASSERT_TRUE(p.a().r->detach(p.now()).ok());
  p.run();
  ASSERT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(1000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).role, Role::kPrimary);
  const auto data = pattern(4096, 49);
  const uint64_t w = p.write(p.a(), 800 * 4096, data);
  p.run();
  ASSERT_EQ(p.a().done[w].error, 0) << "served through the peer again";
  // The peer takes writes of its own while apart: another generation.
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  ASSERT_TRUE(p.promote(p.b(), false).ok());
  p.write(p.b(), 900 * 4096, pattern(4096, 50));
  p.run();
  ASSERT_TRUE(p.b().r->secondary(p.now()).ok());
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(1000);
  EXPECT_NE(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_TRUE(std::any_of(p.a().events.begin(), p.a().events.end(), [](const std::string& e) {
    return e.find("is not the data this diskless Primary has been serving") != std::string::npos;
  }));
}

// The same when the whole device failed, meta data included: the old disk's
// superblock still says Consistent and Primary of the old generation. The
// Secondary started a new generation when its Primary went diskless and
// marked what it received since, so that disk becomes the sync target.
TEST(ReplicaEngine, ADeadPrimaryDiskWithStaleMetaDataCannotOverwriteThePeer) {
  Pair p;
  initial_sync(p);
  p.a().disk.fail_writes = true;
  p.a().disk.fail_md_writes = true;
  const auto data = pattern(8192, 52);
  const uint64_t w = p.write(p.a(), 24 * 4096, data);
  p.run();
  ASSERT_EQ(p.a().done[w].error, 0);
  ASSERT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
  p.write(p.a(), 650 * 4096, pattern(4096, 53));
  p.run();
  EXPECT_GE(st(p, p.b()).oos_kib, 4u) << "beta marks what alpha's old disk misses";
  // The device works again after a reboot; its meta data is the old one.
  p.a().disk.fail_writes = false;
  p.a().disk.fail_md_writes = false;
  restart_and_resync(p, p.a(), DiskState::kConsistent, "alpha's stale disk was the target, not the source");
}

// `drbdadm detach`: the disk is let go on purpose (to replace it); the
// Primary keeps serving through the peer. Its meta data says Inconsistent
// first, so the disk (or its replacement) takes a full sync when attached.
TEST(ReplicaEngine, ManualDetachServesThroughThePeerAndAttachingAgainSyncsInFull) {
  Pair p;
  initial_sync(p);
  ASSERT_TRUE(p.a().r->detach(p.now()).ok());
  p.run();
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
  EXPECT_EQ(st(p, p.b()).peer_disk, DiskState::kDiskless);
  const auto data = pattern(4096, 48);
  const uint64_t w = p.write(p.a(), 700 * 4096, data);
  p.run();
  ASSERT_EQ(p.a().done[w].error, 0);
  const uint64_t rd = p.read(p.a(), 700 * 4096, 4096);
  p.run();
  ASSERT_EQ(p.a().done[rd].error, 0);
  EXPECT_EQ(*p.a().done[rd].data, data);
  // Refusals: the peer would be the last copy only if it is UpToDate.
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  Pair q;
  initial_sync(q);
  ASSERT_TRUE(q.b().r->disconnect(q.now()).ok());
  q.run();
  const Status lone = q.a().r->detach(q.now());
  ASSERT_FALSE(lone.ok());
  EXPECT_NE(lone.error().message.find("(-2) Need access to UpToDate data"), std::string::npos)
      << lone.error().message;
  // Back: as Secondary, down and up; a full sync from beta.
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(2000);
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  p.run();
  restart_and_resync(p, p.a(), DiskState::kInconsistent);
}

// The sync source's disk fails in the middle of a full resync: both sides
// stop the resync (before: the target asked for the same blocks forever),
// the target stays Inconsistent with what is left in its bitmap.
TEST(ReplicaEngine, AResyncStopsWhenTheSourcesDiskFails) {
  Pair p;
  initial_sync(p);
  ASSERT_TRUE(p.b().r->invalidate(p.now()).ok());
  p.run();
  ASSERT_EQ(st(p, p.b()).cstate, ConnState::kSyncTarget);
  p.a().disk.fail_reads = true;
  p.advance(1500);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.b()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kInconsistent);
  const uint64_t left = st(p, p.b()).oos_kib;
  EXPECT_GT(left, 0u);
  // Quiet from here: no request goes out for the blocks left.
  p.b().record = true;
  p.advance(1000);
  EXPECT_TRUE(std::none_of(p.b().sent.begin(), p.b().sent.end(), [](const std::vector<uint8_t>& f) {
    return f.size() > 4 && f[4] == static_cast<uint8_t>(wire::Type::kRsRequest);
  }));
  EXPECT_EQ(st(p, p.b()).oos_kib, left);
}

// The target's disk fails under pass_on during a resync (its state was
// Inconsistent already, so only the explicit stop tells the source).
TEST(ReplicaEngine, AResyncStopsOnBothSidesWhenTheTargetsDiskFails) {
  EngineOptions o;
  o.on_io_error = OnIoError::kPassOn;
  Pair p(64ULL << 20, o);
  initial_sync(p);
  ASSERT_TRUE(p.b().r->invalidate(p.now()).ok());
  p.run();
  p.b().disk.fail_writes = true;
  p.advance(1500);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected) << "the source stopped too";
  EXPECT_EQ(st(p, p.b()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kInconsistent);
  EXPECT_GT(st(p, p.b()).oos_kib, 0u);
}

TEST(ReplicaEngine, AFailedLocalReadIsRetriedOnThePeer) {
  Pair p;
  initial_sync(p);
  const auto data = pattern(8192, 41);
  p.write(p.a(), 32 * 4096, data);
  p.run();
  p.a().disk.fail_reads = true;
  const uint64_t rd = p.read(p.a(), 32 * 4096, 8192);
  p.run();
  ASSERT_TRUE(p.a().done.count(rd));
  ASSERT_EQ(p.a().done[rd].error, 0) << "the peer could serve it";
  ASSERT_TRUE(p.a().done[rd].data);
  EXPECT_EQ(*p.a().done[rd].data, data);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kDiskless) << "on-io-error detach";
}

EngineOptions pass_on() {
  EngineOptions o;
  o.on_io_error = OnIoError::kPassOn;
  return o;
}

// pass_on (REPLICATION-FACTS §9): the disk stays attached but becomes
// Inconsistent, the failed block is out of sync, the write succeeds through
// the peer, reads go to the peer, and a resync brings the disk back.
TEST(ReplicaEngine, PassOnKeepsTheDiskInconsistentAndTheNextResyncRepairsIt) {
  Pair p(64ULL << 20, pass_on());
  initial_sync(p);
  p.a().disk.fail_writes = true;
  const auto data = pattern(8192, 42);
  const uint64_t w = p.write(p.a(), 96 * 4096, data);
  p.run();
  ASSERT_TRUE(p.a().done.count(w));
  EXPECT_EQ(p.a().done[w].error, 0) << "the peer's leg succeeded";
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kInconsistent);
  EXPECT_EQ(st(p, p.a()).oos_kib, 8u);
  EXPECT_EQ(st(p, p.b()).peer_disk, DiskState::kInconsistent);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  const uint64_t rd = p.read(p.a(), 96 * 4096, 8192);
  p.run();
  ASSERT_TRUE(p.a().done.count(rd));
  ASSERT_EQ(p.a().done[rd].error, 0);
  ASSERT_TRUE(p.a().done[rd].data);
  EXPECT_EQ(*p.a().done[rd].data, data) << "read through the peer";
  // The disk works again. A Primary does not become a sync target here (an
  // application write could cross a resync reply), so as the handshake's
  // refusal says: demote, reconnect (a full sync from beta), promote.
  p.a().disk.fail_writes = false;
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(3000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kUpToDate);
  EXPECT_EQ(st(p, p.a()).oos_kib, 0u);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_TRUE(p.promote(p.a(), false).ok());
}

TEST(ReplicaEngine, PassOnWithoutThePeerPassesTheErrorToTheApplication) {
  Pair p(64ULL << 20, pass_on());
  initial_sync(p);
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  p.a().disk.fail_writes = true;
  const uint64_t w = p.write(p.a(), 200 * 4096, pattern(4096, 43));
  p.run();
  ASSERT_TRUE(p.a().done.count(w));
  EXPECT_EQ(p.a().done[w].error, EIO) << "no leg succeeded";
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kInconsistent);
  EXPECT_GE(st(p, p.a()).oos_kib, 4u) << "the failed block is marked for the next resync";
  // The rest of the disk is still good to read; an out-of-sync block (the
  // failed one) only the peer could serve. No more writes without the peer:
  // the next resync makes this disk its target and would overwrite them.
  p.a().disk.fail_writes = false;
  const uint64_t w2 = p.write(p.a(), 400 * 4096, pattern(4096, 51));
  p.run();
  ASSERT_TRUE(p.a().done.count(w2));
  EXPECT_EQ(p.a().done[w2].error, EROFS);
  const auto disk_now = p.data_of(p.a());
  const std::vector<uint8_t> in_sync(disk_now.begin() + 100 * 4096, disk_now.begin() + 101 * 4096);
  const uint64_t r_good = p.read(p.a(), 100 * 4096, 4096);
  const uint64_t r_bad = p.read(p.a(), 200 * 4096, 4096);
  p.run();
  ASSERT_TRUE(p.a().done.count(r_good) && p.a().done.count(r_bad));
  ASSERT_EQ(p.a().done[r_good].error, 0);
  EXPECT_EQ(*p.a().done[r_good].data, in_sync);
  EXPECT_EQ(p.a().done[r_bad].error, EIO);
  p.a().disk.fail_writes = true;
  // A Primary with no UpToDate data within reach: DRBD's pri-on-incon-degr,
  // once (a second failed write changes nothing).
  EXPECT_EQ(std::count(p.a().handlers.begin(), p.a().handlers.end(), "pri-on-incon-degr"), 1);
  p.read(p.a(), 300 * 4096, 4096);
  p.run();
  EXPECT_EQ(std::count(p.a().handlers.begin(), p.a().handlers.end(), "pri-on-incon-degr"), 1);
  EXPECT_EQ(std::count(p.b().handlers.begin(), p.b().handlers.end(), "pri-on-incon-degr"), 0);
}

TEST(ReplicaEngine, AMetaDataErrorDetachesWhateverTheIoErrorPolicy) {
  for (OnIoError policy : {OnIoError::kPassOn, OnIoError::kCallLocalIoError}) {
    EngineOptions o;
    o.on_io_error = policy;
    Pair p(64ULL << 20, o);
    initial_sync(p);
    p.a().disk.fail_md_writes = true;
    // A write to a cold extent needs an activity-log transaction.
    const uint64_t w = p.write(p.a(), 40ULL << 20, pattern(4096, 44));
    p.run();
    p.advance(500);
    EXPECT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
    ASSERT_TRUE(p.a().done.count(w)) << "the write waited forever for its activity-log transaction";
    EXPECT_EQ(p.a().done[w].error, 0) << "the peer holds it";
    const bool handler_ran = std::count(p.a().handlers.begin(), p.a().handlers.end(), "local-io-error") > 0;
    EXPECT_EQ(handler_ran, policy == OnIoError::kCallLocalIoError);
  }
}

// An activity log of 7 extents (7 x 4 MiB hot at most), for a Pair.
EngineOptions seven_extent_log() {
  EngineOptions o;
  o.al_extents = 7;
  return o;
}

// Synced, then alpha alone (beta disconnected) writes once to each of 7
// extents: the log is full, and a write to an 8th extent evicts one.
void fill_the_activity_log(Pair& p) {
  initial_sync(p);
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  for (uint64_t e = 0; e < 7; ++e) p.write(p.a(), e * (4 << 20), pattern(4096, static_cast<uint8_t>(50 + e)));
  p.run();
}

TEST(ReplicaEngine, NoWriteStartsOnAnActivityLogTransactionBeforeItIsDurable) {
  // plan() puts the new extent in the in-memory log at once. Whatever pumps
  // the queue of gated writes meanwhile — here the evicted extent's bitmap
  // page completing, and a read completing — must not start the write: a
  // crash would leave its data on disk in an extent no log entry covers
  // (found by the simulator, seed 5038 --large: the disks differed after
  // the crashed primary's resync).
  Pair p(64ULL << 20, seven_extent_log());
  ASSERT_NO_FATAL_FAILURE(fill_the_activity_log(p));
  Node& a = p.a();
  a.hold_disk = true;
  const uint64_t rd = p.read(a, 0, 4096);
  const uint64_t target = 7ULL * (4 << 20);
  const uint64_t id = p.write(a, target, pattern(4096, 61));
  const MdLayout& l = a.layout;
  using Op = out::DiskIo::Op;
  using Dev = out::DiskIo::Dev;
  auto data_write = [&](const out::DiskIo& io) { return io.dev == Dev::kData && io.op == Op::kWrite && io.offset == target; };
  auto queued = [&](const std::function<bool(const out::DiskIo&)>& f) {
    return std::any_of(a.disk_queue.begin(), a.disk_queue.end(), f);
  };
  ASSERT_TRUE(p.complete_first(a, [&](const out::DiskIo& io) {
    return io.dev == Dev::kMeta && io.offset >= l.bm_offset && io.offset < l.bm_offset + l.bm_bytes;
  })) << "the evicted extent's bitmap page is written first";
  EXPECT_FALSE(queued(data_write)) << "the write started before its activity-log transaction";
  ASSERT_TRUE(p.complete_first(a, [](const out::DiskIo& io) { return io.op == Op::kRead; }));
  ASSERT_TRUE(a.done.count(rd));
  EXPECT_FALSE(queued(data_write)) << "a completing read let the write start";
  // The transaction: a data flush, then the AL block.
  ASSERT_TRUE(p.complete_first(a, [](const out::DiskIo& io) { return io.dev == Dev::kData && io.op == Op::kFlush; }));
  EXPECT_FALSE(queued(data_write));
  ASSERT_TRUE(p.complete_first(a, [&](const out::DiskIo& io) {
    return io.dev == Dev::kMeta && io.offset >= l.al_offset && io.offset < l.al_offset + kAlRingBytes;
  }));
  EXPECT_TRUE(queued(data_write)) << "the write starts once its transaction is durable";
  a.hold_disk = false;
  p.run();
  ASSERT_TRUE(a.done.count(id));
  EXPECT_EQ(a.done[id].error, 0);
}

TEST(ReplicaEngine, EvictedExtentsBitmapPageIsDurableBeforeTheActivityLogForgetsIt) {
  Pair p(64ULL << 20, seven_extent_log());
  ASSERT_NO_FATAL_FAILURE(fill_the_activity_log(p));
  p.a().hold_disk = true;
  const uint64_t id = p.write(p.a(), 7ULL * (4 << 20), pattern(4096, 60));
  const MdLayout& l = p.a().layout;
  bool page = false, al = false;
  for (const auto& io : p.a().disk_queue) {
    if (io.dev != out::DiskIo::Dev::kMeta) continue;
    page = page || (io.offset >= l.bm_offset && io.offset < l.bm_offset + l.bm_bytes);
    al = al || (io.offset >= l.al_offset && io.offset < l.al_offset + kAlRingBytes);
  }
  EXPECT_TRUE(page) << "the evicted extent's bitmap page is written";
  EXPECT_FALSE(al) << "the activity-log transaction waits until that page is durable";
  p.a().hold_disk = false;
  p.run();
  ASSERT_TRUE(p.a().done.count(id));
  EXPECT_EQ(p.a().done[id].error, 0);
  EXPECT_EQ(st(p, p.a()).oos_kib, 32u);
}

}  // namespace
}  // namespace quorate::replication
