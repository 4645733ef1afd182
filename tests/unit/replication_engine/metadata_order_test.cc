// Meta-data writes against the data they vouch for (engine.cc, "meta data"):
// a meta-data block that vouches for data reaches the disk only after a data
// flush; one that vouches for nothing waits for none (the resync's start);
// one round of meta-data writes at a time, so an older copy never lands
// after a newer one. Node::hold_flushes keeps data flushes from completing
// while every other I/O goes on.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/replication_engine/scenarios.h"

namespace quorate::replication {
namespace {

Superblock on_disk(const Node& n) {
  auto sb = decode_superblock_area(
      std::span<const uint8_t>(n.disk.bytes.data() + n.layout.sb_offset, kSuperblockBytes));
  EXPECT_TRUE(sb.ok()) << n.name << ": " << (sb.ok() ? "" : sb.error().message);
  return sb.ok() ? sb.value() : Superblock{};
}

// Set bits in the bitmap area as it is on the node's disk.
uint64_t bits_on_disk(const Node& n) {
  uint64_t set = 0;
  for (uint64_t i = 0; i < n.layout.bm_bytes; ++i) {
    set += static_cast<uint64_t>(std::popcount(n.disk.bytes[n.layout.bm_offset + i]));
  }
  return set;
}

bool flush_held(const Node& n) {
  return std::any_of(n.disk_queue.begin(), n.disk_queue.end(), [](const out::DiskIo& io) {
    return io.op == out::DiskIo::Op::kFlush && io.dev == out::DiskIo::Dev::kData;
  });
}

size_t superblock_writes_queued(const Node& n) {
  return static_cast<size_t>(std::count_if(n.disk_queue.begin(), n.disk_queue.end(), [&](const out::DiskIo& io) {
    return io.dev == out::DiskIo::Dev::kMeta && io.op == out::DiskIo::Op::kWrite &&
           io.offset >= n.layout.sb_offset && io.offset < n.layout.sb_offset + kSuperblockBytes;
  }));
}

TEST(ReplicaMetaData, TheSyncTargetRecordsUpToDateAndClearedBitsOnlyAfterADataFlush) {
  Pair p;
  p.create_and_attach(p.a());
  p.create_and_attach(p.b());
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.b().hold_flushes = true;
  ASSERT_TRUE(p.promote(p.a(), true).ok());
  p.run();
  p.advance(2000);
  ASSERT_EQ(st(p, p.b()).disk, DiskState::kUpToDate) << "the full sync ran to its end";
  ASSERT_TRUE(flush_held(p.b())) << "the target asked for a data flush";
  // The resync's writes may still be in the volatile cache: the disk must not
  // say they are there.
  EXPECT_FALSE(on_disk(p.b()).has(kMdConsistent));
  EXPECT_GT(bits_on_disk(p.b()), 0u) << "cleared bits reached the disk before the data they vouch for";
  p.b().hold_flushes = false;
  p.run();
  EXPECT_TRUE(on_disk(p.b()).has(kMdConsistent));
  EXPECT_TRUE(on_disk(p.b()).has(kMdWasUpToDate));
  EXPECT_EQ(bits_on_disk(p.b()), 0u);
  // In the trace: the first meta-data write after the held flush was issued
  // only once that flush had completed.
  const auto& t = p.b().io_trace;
  auto flush_done = std::find_if(t.begin(), t.end(), [](const Node::IoEvent& e) {
    return e.completed && e.op == out::DiskIo::Op::kFlush && e.dev == out::DiskIo::Dev::kData;
  });
  ASSERT_NE(flush_done, t.end());
  auto flush_issued = std::find_if(t.begin(), t.end(), [](const Node::IoEvent& e) {
    return !e.completed && e.op == out::DiskIo::Op::kFlush && e.dev == out::DiskIo::Dev::kData;
  });
  auto meta_between = std::find_if(flush_issued, flush_done, [](const Node::IoEvent& e) {
    return !e.completed && e.dev == out::DiskIo::Dev::kMeta;
  });
  EXPECT_EQ(meta_between, flush_done) << "a meta-data write was issued while the data flush before it ran";
}

TEST(ReplicaMetaData, TheResyncTargetGoesInconsistentWithoutWaitingForAFlush) {
  // Marking a disk Inconsistent vouches for nothing. Were it to flush first, a
  // large sync just before would have to be written back before the next
  // resync could start (seconds, on a real disk).
  Pair p;
  initial_sync(p);
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  for (uint64_t i = 0; i < 4; ++i) p.write(p.a(), i * (3 << 20), pattern(8192, static_cast<uint8_t>(40 + i)));
  p.run();
  p.b().hold_flushes = true;
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(1000);
  EXPECT_EQ(st(p, p.b()).cstate, ConnState::kConnected) << "the resync ran with every flush held";
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_FALSE(on_disk(p.b()).has(kMdConsistent)) << "Inconsistent was recorded; UpToDate waits for the flush";
  p.b().hold_flushes = false;
  p.run();
  EXPECT_TRUE(on_disk(p.b()).has(kMdConsistent));
  EXPECT_EQ(bits_on_disk(p.b()), 0u);
}

TEST(ReplicaMetaData, ADemotedPrimaryDropsItsPrimaryFlagOnlyAfterItsDataIsOnDisk) {
  // Without the flag a crash no longer resyncs the activity log's extents:
  // what the Primary wrote must be durable first.
  Pair p;
  initial_sync(p);
  p.write(p.a(), 1 << 20, pattern(4096, 9));
  p.run();
  p.a().hold_flushes = true;
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  p.run();
  ASSERT_TRUE(flush_held(p.a()));
  EXPECT_TRUE(on_disk(p.a()).has(kMdPrimaryInd));
  p.a().hold_flushes = false;
  p.run();
  EXPECT_FALSE(on_disk(p.a()).has(kMdPrimaryInd));
}

TEST(ReplicaMetaData, ACleanDownIsRecordedOnlyAfterTheDataIsOnDisk) {
  Pair p;
  initial_sync(p);
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  p.write(p.a(), 2 << 20, pattern(4096, 11));
  p.run();
  p.a().hold_flushes = true;
  ASSERT_TRUE(p.a().r->down(p.now()).ok());
  p.run();
  ASSERT_TRUE(flush_held(p.a()));
  EXPECT_FALSE(p.a().r->down_complete());
  EXPECT_FALSE(on_disk(p.a()).has(kMdCleanShutdown));
  p.a().hold_flushes = false;
  p.run();
  EXPECT_TRUE(p.a().r->down_complete());
  EXPECT_TRUE(on_disk(p.a()).has(kMdCleanShutdown));
}

TEST(ReplicaMetaData, MetaDataWritesGoOutOneRoundAtATime) {
  // Two superblock writes asked for in two steps: the second goes out only
  // after the first completed, with a higher seq, so the newer copy wins even
  // though the two alternate between the area's two slots.
  Pair p;
  initial_sync(p);
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  p.b().hold_disk = true;
  ASSERT_TRUE(p.b().r->outdate(p.now()).ok());
  p.run();
  EXPECT_EQ(superblock_writes_queued(p.b()), 1u);
  ASSERT_TRUE(p.b().r->invalidate(p.now()).ok());
  p.run();
  EXPECT_EQ(superblock_writes_queued(p.b()), 1u) << "the second round must wait for the first";
  p.b().hold_disk = false;
  p.run();
  const Superblock sb = on_disk(p.b());
  EXPECT_TRUE(sb.has(kMdFullSync)) << "the newer superblock (invalidate) is the one on disk";
  EXPECT_FALSE(sb.has(kMdConsistent));
  EXPECT_EQ(sb.seq, p.b().r->superblock().seq);
}

}  // namespace
}  // namespace quorate::replication
