// Write order on the peer (docs/formats/replication-peer.md): the Secondary
// keeps issuing writes of later epochs while an earlier epoch's flush runs,
// acknowledges epochs only once flushed, records that it did so in the
// superblock, and attaches Outdated after a power loss in that window.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/replication_engine/scenarios.h"

namespace quorate::replication {
namespace {

size_t queued_flushes(const Node& n) {
  return static_cast<size_t>(std::count_if(n.disk_queue.begin(), n.disk_queue.end(), [](const out::DiskIo& io) {
    return io.op == out::DiskIo::Op::kFlush && io.dev == out::DiskIo::Dev::kData;
  }));
}

// Two epochs: the first write completes on both sides, so the second write
// opens epoch 2 behind a Barrier for epoch 1, whose flush the peer holds.
void two_epochs_with_the_first_flush_held(Pair& p, uint64_t& w1, uint64_t& w2) {
  p.b().hold_flushes = true;
  w1 = p.write(p.a(), 0, pattern(64 * 1024, 1));
  p.run();
  ASSERT_TRUE(p.a().done.count(w1));
  w2 = p.write(p.a(), 1 << 20, pattern(64 * 1024, 2));
  p.run();
}

TEST(ReplicaWriteOrder, LaterEpochsAreWrittenWhileAnEarlierFlushRuns) {
  Pair p;
  initial_sync(p);
  uint64_t w1 = 0, w2 = 0;
  two_epochs_with_the_first_flush_held(p, w1, w2);
  EXPECT_EQ(queued_flushes(p.b()), 1u) << "epoch 1's flush is issued (and held)";
  ASSERT_TRUE(p.a().done.count(w2)) << "the write of epoch 2 did not wait for epoch 1's flush";
  EXPECT_EQ(p.a().done[w2].error, 0);
  EXPECT_TRUE(p.b().r->superblock().has(kMdUnorderedWrites)) << "issued ahead of an unflushed epoch: recorded";
  EXPECT_EQ(p.b().r->superblock().boot_id, p.b().boot_id);
  const auto b = p.data_of(p.b());
  const auto d2 = pattern(64 * 1024, 2);
  EXPECT_TRUE(std::equal(d2.begin(), d2.end(), b.begin() + (1 << 20)));

  // An application flush on the Primary needs epoch 2's BarrierAck, which
  // needs epoch 1's flush first.
  const uint64_t f = p.flush(p.a());
  p.run();
  EXPECT_FALSE(p.a().done.count(f)) << "flush completed before the peer flushed";
  p.b().hold_flushes = false;
  p.run();
  ASSERT_TRUE(p.a().done.count(f));
  EXPECT_EQ(p.a().done[f].error, 0);

  // Idle for a second: the flag is cleared again.
  p.advance(1500);
  EXPECT_FALSE(p.b().r->superblock().has(kMdUnorderedWrites));
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaWriteOrder, AFlagHeldByWorkInFlightAsksForNoTick) {
  // The flag is set and a flush is held on the peer for longer than the idle
  // time: clearing waits for that flush, whose completion looks again, so
  // the peer's next deadline must not be past due (a past deadline made the
  // daemon's timer fire at every turn of its loop).
  Pair p;
  initial_sync(p);
  uint64_t w1 = 0, w2 = 0;
  two_epochs_with_the_first_flush_held(p, w1, w2);
  ASSERT_TRUE(p.b().r->superblock().has(kMdUnorderedWrites));
  p.advance(1200);  // past the idle time; the held flush stays held
  ASSERT_EQ(queued_flushes(p.b()), 1u);
  EXPECT_GT(p.b().r->next_deadline(), p.now()) << "a deadline in the past while the flush is held";
  EXPECT_TRUE(p.b().r->superblock().has(kMdUnorderedWrites));
  // The flush completes: now idle long enough, the flag is cleared without a
  // further tick, and no deadline is past due.
  p.b().hold_flushes = false;
  p.run();
  p.advance(1500);
  EXPECT_FALSE(p.b().r->superblock().has(kMdUnorderedWrites));
  EXPECT_GT(p.b().r->next_deadline(), p.now());
}

TEST(ReplicaWriteOrder, OneFlushCoversEveryEpochCompleteWhenItStarts) {
  Pair p;
  initial_sync(p);
  p.b().hold_flushes = true;
  // Ten writes, each completing before the next: ten epochs.
  for (int i = 0; i < 10; ++i) {
    const uint64_t w = p.write(p.a(), uint64_t(i) << 20, pattern(4096, uint8_t(40 + i)));
    p.run();
    ASSERT_TRUE(p.a().done.count(w));
  }
  EXPECT_EQ(queued_flushes(p.b()), 1u) << "one flush at a time";
  // Release: the first flush covers epoch 1, the next every epoch complete by
  // then (2..10), a third the flush request's epoch.
  const uint64_t before = p.b().data_flushes;
  p.b().hold_flushes = false;
  const uint64_t f = p.flush(p.a());
  p.run();
  ASSERT_TRUE(p.a().done.count(f));
  EXPECT_EQ(p.a().done[f].error, 0);
  EXPECT_EQ(queued_flushes(p.b()), 0u);
  EXPECT_LE(p.b().data_flushes - before, 3u) << "ten epochs, grouped";
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaWriteOrder, AnIdlePeerFlushesBeforeTheBarrierAsksForIt) {
  Pair p;
  initial_sync(p);
  p.b().hold_flushes = true;
  const uint64_t w = p.write(p.a(), 0, pattern(4096, 50));
  p.run();
  ASSERT_TRUE(p.a().done.count(w));
  EXPECT_EQ(queued_flushes(p.b()), 1u) << "the peer flushes its complete open epoch at once";
  const uint64_t before = p.b().data_flushes;
  p.b().hold_flushes = false;
  const uint64_t f = p.flush(p.a());
  p.run();
  ASSERT_TRUE(p.a().done.count(f));
  EXPECT_EQ(p.a().done[f].error, 0);
  EXPECT_EQ(p.b().data_flushes - before, 1u) << "the Barrier found its epoch flushed: no second flush";
}

TEST(ReplicaWriteOrder, APowerLossInTheUnorderedWindowAttachesOutdated) {
  Pair p;
  initial_sync(p);
  uint64_t w1 = 0, w2 = 0;
  two_epochs_with_the_first_flush_held(p, w1, w2);
  ASSERT_TRUE(p.b().r->superblock().has(kMdUnorderedWrites));
  p.crash(p.b());
  p.b().boot_id = {9, 9, 9};  // the machine rebooted: its page cache is gone
  p.b().hold_flushes = false;
  ASSERT_TRUE(p.a().r->disconnect(p.now()).ok());
  p.attach(p.b());
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kOutdated);
  EXPECT_FALSE(p.b().r->superblock().has(kMdUnorderedWrites));
  EXPECT_TRUE(std::any_of(p.b().events.begin(), p.b().events.end(),
                          [](const std::string& e) { return e.find("may be torn") != std::string::npos; }));
  auto refused = p.promote(p.b(), false);
  ASSERT_FALSE(refused.ok()) << "torn data must not become Primary without --force";

  // Reconnected, the Primary's transfer log (marked out of sync at the
  // disconnect) resyncs what could be torn, and the disk is UpToDate again.
  p.write(p.a(), 2 << 20, pattern(4096, 3));
  p.run();
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  p.run();
  p.advance(2000);
  EXPECT_EQ(st(p, p.b()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaWriteOrder, ADaemonRestartInTheSameBootKeepsTheDiskConsistent) {
  Pair p;
  initial_sync(p);
  uint64_t w1 = 0, w2 = 0;
  two_epochs_with_the_first_flush_held(p, w1, w2);
  p.crash(p.b());  // the process died; the page cache did not
  p.b().hold_flushes = false;
  p.attach(p.b());
  EXPECT_EQ(st(p, p.b()).disk, DiskState::kConsistent);
  EXPECT_TRUE(p.b().r->superblock().has(kMdUnorderedWrites)) << "cleared only after a flush";
  p.advance(1500);
  EXPECT_FALSE(p.b().r->superblock().has(kMdUnorderedWrites));
}

TEST(ReplicaWriteOrder, WithoutDiskFlushesEpochsAreAcknowledgedWhenComplete) {
  EngineOptions o;
  o.disk_flushes = false;
  Pair p(64ULL << 20, o);
  initial_sync(p);
  p.b().hold_flushes = true;  // would hold any flush the peer issued
  for (int i = 0; i < 5; ++i) {
    p.write(p.a(), uint64_t(i) << 20, pattern(4096, uint8_t(60 + i)));
    p.run();
  }
  const uint64_t f = p.flush(p.a());
  p.run();
  ASSERT_TRUE(p.a().done.count(f)) << "the peer waited for a flush it should not issue (wo:d)";
  EXPECT_EQ(queued_flushes(p.b()), 0u);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

bool is_barrier_ack(const std::vector<uint8_t>& frame) {
  return frame.size() > 4 && frame[4] == static_cast<uint8_t>(wire::Type::kBarrierAck);
}

// Without disk flushes the peer never flushes: with protocol C the WriteAcks
// of the writes before a flush are all it can give, so the flush does not
// wait for the Barrier's ack (a second round trip). Protocol B's RecvAck
// says only "received": there the flush still waits for the epoch's ack.
TEST(ReplicaWriteOrder, WithoutDiskFlushesAProtocolCFlushNeedsNoBarrierAck) {
  for (const Protocol proto : {Protocol::kC, Protocol::kB}) {
    SCOPED_TRACE(proto == Protocol::kC ? "protocol C" : "protocol B");
    EngineOptions o;
    o.disk_flushes = false;
    o.protocol = proto;
    Pair p(64ULL << 20, o);
    initial_sync(p);
    const uint64_t w = p.write(p.a(), 0, pattern(4096, 70));
    p.run();
    ASSERT_TRUE(p.a().done.count(w));
    p.b().hold = is_barrier_ack;
    const uint64_t f = p.flush(p.a());
    p.run();
    EXPECT_FALSE(p.b().held.empty()) << "the flush closes the epoch all the same";
    EXPECT_EQ(p.a().done.count(f), proto == Protocol::kC ? 1u : 0u);
    p.release(p.b());
    p.run();
    ASSERT_TRUE(p.a().done.count(f));
    EXPECT_EQ(p.a().done[f].error, 0);
    EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
    EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  }
}

}  // namespace
}  // namespace quorate::replication
