// `drbdadm attach` while up and Diskless: a replaced disk under a running
// Primary becomes the target of a full sync while the Primary keeps serving
// (engine.h, Replica::attach).
#include <gtest/gtest.h>

#include <cstring>

#include "tests/unit/replication_engine/scenarios.h"

namespace quorate::replication {
namespace {

// A blank disk of the same size with fresh meta data (create-md), in place of
// n's; returns what attach reads from it.
AttachState new_disk(Node& n) {
  std::fill(n.disk.bytes.begin(), n.disk.bytes.end(), 0);
  for (auto& [off, bytes] : fresh_metadata(n.layout, kAlExtentsDefault, 0x9999)) {
    std::memcpy(n.disk.bytes.data() + off, bytes.data(), bytes.size());
  }
  const auto& l = n.layout;
  auto span = [&](uint64_t off, uint64_t len) { return std::span<const uint8_t>(n.disk.bytes.data() + off, len); };
  auto a = attach_from_bytes(l, span(l.sb_offset, kSuperblockBytes), span(l.al_offset, kAlRingBytes),
                             span(l.bm_offset, l.bm_bytes));
  EXPECT_TRUE(a.ok());
  return std::move(a).value();
}


// A Primary whose disk was detached (a failing disk, replaced): alpha.
void detached_primary(Pair& p, const std::vector<uint8_t>& before) {
  initial_sync(p);
  const uint64_t w = p.write(p.a(), 5 << 20, before);
  p.run();
  ASSERT_EQ(p.a().done.at(w).error, 0);
  ASSERT_TRUE(p.a().r->detach(p.now()).ok());
  p.run();
  ASSERT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
  ASSERT_EQ(st(p, p.a()).role, Role::kPrimary);
}

TEST(ReplicaAttach, APrimaryTakesAReplacedDiskAndKeepsServingDuringItsFullSync) {
  Pair p;
  const auto before = pattern(65536, 60);
  detached_primary(p, before);
  // While diskless: a write through the peer.
  const auto diskless = pattern(8192, 61);
  const uint64_t w0 = p.write(p.a(), 9 << 20, diskless);
  p.run();
  ASSERT_EQ(p.a().done.at(w0).error, 0);

  ASSERT_TRUE(p.a().r->attach(new_disk(p.a()), p.now()).ok());
  p.run();
  ASSERT_EQ(st(p, p.a()).disk, DiskState::kInconsistent);
  ASSERT_EQ(st(p, p.a()).cstate, ConnState::kSyncTarget) << "the sync has not run to the end in one step";
  EXPECT_EQ(st(p, p.a()).role, Role::kPrimary);
  // During the sync: reads of blocks not synced yet come from the peer, and
  // writes reach both disks.
  const uint64_t r1 = p.read(p.a(), 5 << 20, 65536);
  const uint64_t r2 = p.read(p.a(), 9 << 20, 8192);
  const auto during = pattern(12288, 62);
  const uint64_t w1 = p.write(p.a(), (5 << 20) + 4096, during);  // over the older data
  const auto late = pattern(4096, 63);
  const uint64_t w2 = p.write(p.a(), 60 << 20, late);  // far ahead of the sync
  p.run();
  ASSERT_EQ(p.a().done.at(r1).error, 0);
  EXPECT_EQ(*p.a().done.at(r1).data, before);
  ASSERT_EQ(p.a().done.at(r2).error, 0);
  EXPECT_EQ(*p.a().done.at(r2).data, diskless);
  EXPECT_EQ(p.a().done.at(w1).error, 0);
  EXPECT_EQ(p.a().done.at(w2).error, 0);
  p.advance(5000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kUpToDate);
  EXPECT_EQ(st(p, p.b()).peer_disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(range_of(p, p.a(), (5 << 20) + 4096, during.size()), during);
  EXPECT_EQ(range_of(p, p.a(), 60 << 20, late.size()), late);
  EXPECT_EQ(range_of(p, p.a(), 9 << 20, diskless.size()), diskless);
  // The disk serves locally again: a read needs no peer.
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  const uint64_t r3 = p.read(p.a(), 60 << 20, 4096);
  p.run();
  ASSERT_EQ(p.a().done.at(r3).error, 0);
  EXPECT_EQ(*p.a().done.at(r3).data, late);
}

TEST(ReplicaAttach, ALinkLostDuringThePrimarysSyncResumesWithoutASplitBrain) {
  Pair p;
  const auto before = pattern(16384, 64);
  detached_primary(p, before);
  ASSERT_TRUE(p.a().r->attach(new_disk(p.a()), p.now()).ok());
  p.run();
  ASSERT_EQ(st(p, p.a()).cstate, ConnState::kSyncTarget);
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());  // StandAlone: no reconnect until connect
  p.run();
  ASSERT_EQ(st(p, p.a()).cstate, ConnState::kWFConnection);
  // Alone with an Inconsistent disk: no writes (the peer would overwrite
  // them), reads only of what was synced.
  const uint64_t w = p.write(p.a(), 5 << 20, pattern(4096, 65));
  const uint64_t r = p.read(p.a(), 63 << 20, 4096);
  const uint64_t f = p.flush(p.a());  // durable would mean on the peer: there is none
  p.run();
  EXPECT_EQ(p.a().done.at(w).error, EROFS);
  EXPECT_EQ(p.a().done.at(r).error, EIO);
  EXPECT_NE(p.a().done.at(f).error, 0);
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(5000);
  EXPECT_TRUE(st(p, p.a()).split_brain.empty()) << st(p, p.a()).split_brain;
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kUpToDate);
  EXPECT_EQ(st(p, p.a()).role, Role::kPrimary);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
  EXPECT_EQ(range_of(p, p.a(), 5 << 20, before.size()), before);
}

// The resync of a Primary target stops (here: a read error under pass_on)
// while a resync reply is on its way; the Primary then writes the same
// blocks (no longer held back by the stopped resync). The late reply, read
// at the source before that write, must not land after it.
TEST(ReplicaAttach, AReplyOfAStoppedResyncDoesNotOverwriteANewerWrite) {
  EngineOptions o;
  o.on_io_error = OnIoError::kPassOn;
  Pair p(64ULL << 20, o);
  detached_primary(p, pattern(4096, 70));
  // beta's resync replies from 8 MiB on (and all after them) are held.
  p.b().hold = [](const std::vector<uint8_t>& frame) {
    if (frame[4] != static_cast<uint8_t>(wire::Type::kRsReply)) return false;
    uint64_t off = 0;
    std::memcpy(&off, frame.data() + 12 + 8, 8);
    return off >= (8u << 20);
  };
  ASSERT_TRUE(p.a().r->attach(new_disk(p.a()), p.now()).ok());
  p.run();
  p.advance(1000);
  ASSERT_EQ(st(p, p.a()).cstate, ConnState::kSyncTarget);
  ASSERT_TRUE(p.b().stalled);
  // A local read error under pass_on stops the resync.
  p.a().disk.fail_reads = true;
  const uint64_t r = p.read(p.a(), 0, 4096);
  p.run();
  p.a().disk.fail_reads = false;
  ASSERT_NE(st(p, p.a()).cstate, ConnState::kSyncTarget);
  const auto newer = pattern(4096, 71);
  const uint64_t w = p.write(p.a(), 10 << 20, newer);  // inside a held reply's range
  p.run();
  p.release(p.b());
  p.run();
  ASSERT_EQ(p.a().done.at(r).error, 0) << "retried on the peer";
  ASSERT_EQ(p.a().done.at(w).error, 0);
  EXPECT_EQ(range_of(p, p.a(), 10 << 20, newer.size()), newer);
  EXPECT_EQ(range_of(p, p.b(), 10 << 20, newer.size()), newer);
}

TEST(ReplicaAttach, RefusalsSayWhy) {
  Pair p;
  initial_sync(p);
  auto again = p.a().r->attach(new_disk(p.b()), p.now());  // alpha has its disk
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("a disk is attached already"), std::string::npos);
  ASSERT_TRUE(p.a().r->detach(p.now()).ok());
  p.run();
  // Not connected, a diskless Primary has no data to sync the disk from.
  ASSERT_TRUE(p.b().r->disconnect(p.now()).ok());
  p.run();
  Pair small(32ULL << 20);
  small.create_and_attach(small.a());
  auto wrong_size = p.a().r->attach(new_disk(small.a()), p.now());
  ASSERT_FALSE(wrong_size.ok());
  EXPECT_NE(wrong_size.error().message.find("create-md on a device of the volume's size"), std::string::npos)
      << wrong_size.error().message;
  auto alone = p.a().r->attach(new_disk(p.a()), p.now());
  ASSERT_FALSE(alone.ok());
  EXPECT_NE(alone.error().message.find("a diskless Primary's data is on its peer"), std::string::npos)
      << alone.error().message;
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kDiskless);
  // A Secondary takes the disk as its meta data says, and the next handshake decides.
  ASSERT_TRUE(p.a().r->secondary(p.now()).ok());
  p.run();
  ASSERT_TRUE(p.a().r->attach(new_disk(p.a()), p.now()).ok());
  p.run();
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kInconsistent);
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  p.advance(5000);
  EXPECT_EQ(st(p, p.a()).disk, DiskState::kUpToDate);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

}  // namespace
}  // namespace quorate::replication
