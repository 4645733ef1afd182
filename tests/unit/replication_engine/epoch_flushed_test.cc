// EpochFlushed (docs/formats/replication-peer.md, "Flush without a second
// round trip"): the receiver reports a flush that made its open epoch's writes
// durable, and an application flush on the sender completes on it without
// waiting for the epoch's BarrierAck — only when the report counts every write
// sent in the epoch, on the same connection. BarrierAcks keep their order.
#include <gtest/gtest.h>

#include <algorithm>

#include "tests/unit/replication_engine/scenarios.h"

namespace quorate::replication {
namespace {

constexpr uint8_t kTData = static_cast<uint8_t>(wire::Type::kData);
constexpr uint8_t kTBarrierAck = static_cast<uint8_t>(wire::Type::kBarrierAck);
constexpr uint8_t kTEpochFlushed = static_cast<uint8_t>(wire::Type::kEpochFlushed);

uint8_t type_of(const std::vector<uint8_t>& frame) { return frame.size() > 4 ? frame[4] : 0; }

std::vector<wire::Frame> frames_of(const std::vector<std::vector<uint8_t>>& sent) {
  std::vector<wire::Frame> out;
  for (const auto& bytes : sent) {
    wire::FrameReader r;
    r.feed(bytes);
    auto f = r.next();
    if (!f.ok() || !f->has_value()) throw std::runtime_error("a sent message does not decode");
    out.push_back(std::move(**f));
  }
  return out;
}

std::vector<wire::EpochFlushed> epoch_flushed_sent(const Node& n) {
  std::vector<wire::EpochFlushed> out;
  for (const auto& f : frames_of(n.sent)) {
    if (f.type == wire::Type::kEpochFlushed) out.push_back(std::get<wire::EpochFlushed>(f.message));
  }
  return out;
}


TEST(ReplicaEpochFlushed, FlushCompletesWithoutWaitingForTheBarrierAck) {
  Pair p;
  initial_sync(p);
  p.b().record = true;
  const uint64_t w = p.write(p.a(), 0, pattern(4096, 1));
  p.run();
  ASSERT_TRUE(p.a().done.count(w));
  // The idle peer flushed the open epoch and said so, unasked.
  const auto ef = epoch_flushed_sent(p.b());
  ASSERT_EQ(ef.size(), 1u);
  EXPECT_EQ(ef[0].writes, 1u);
  const uint32_t epoch = ef[0].epoch;

  // Hold the peer's stream from its next BarrierAck on: the flush must not need it.
  p.b().hold = [](const std::vector<uint8_t>& f) { return type_of(f) == kTBarrierAck; };
  const uint64_t f = p.flush(p.a());
  p.run();
  ASSERT_TRUE(p.a().done.count(f)) << "the flush waited for the BarrierAck although EpochFlushed covered its epoch";
  EXPECT_EQ(p.a().done[f].error, 0);
  ASSERT_TRUE(p.b().stalled) << "the Barrier went out all the same and was answered";
  const auto held = frames_of({p.b().held.begin(), p.b().held.end()});
  ASSERT_EQ(held.size(), 1u);
  EXPECT_EQ(std::get<wire::BarrierAck>(held[0].message).epoch, epoch);
  EXPECT_EQ(st(p, p.a()).ep, 2u) << "the epoch stays in the transfer log until its BarrierAck";

  p.release(p.b());
  p.run();
  EXPECT_EQ(st(p, p.a()).ep, 1u);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(p.a().r->bitmap().count(), 0u);
}

TEST(ReplicaEpochFlushed, FlushWaitsWhenAWriteOfTheEpochIsMissingFromTheCount) {
  Pair p;
  initial_sync(p);
  p.b().record = true;
  // Two writes in one epoch (submitted together); the second one's Data is
  // stuck on the way, so the peer flushes and reports the first alone.
  int datas = 0;
  p.a().hold = [&datas](const std::vector<uint8_t>& f) { return type_of(f) == kTData && ++datas == 2; };
  const uint64_t w1 = p.write(p.a(), 0, pattern(4096, 1));
  const uint64_t w2 = p.write(p.a(), 1 << 20, pattern(4096, 2));
  p.run();
  ASSERT_TRUE(p.a().done.count(w1));
  ASSERT_FALSE(p.a().done.count(w2));
  const auto ef = epoch_flushed_sent(p.b());
  ASSERT_EQ(ef.size(), 1u);
  EXPECT_EQ(ef[0].writes, 1u);

  const uint64_t f = p.flush(p.a());
  p.run();
  EXPECT_FALSE(p.a().done.count(f)) << "EpochFlushed counted 1 of the 2 writes sent in the epoch";

  p.release(p.a());
  p.run();
  ASSERT_TRUE(p.a().done.count(w2));
  ASSERT_TRUE(p.a().done.count(f));
  EXPECT_EQ(p.a().done[f].error, 0);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaEpochFlushed, AReportOfAnEarlierConnectionDoesNotCount) {
  Pair p;
  initial_sync(p);
  const uint64_t w1 = p.write(p.a(), 0, pattern(4096, 1));
  p.run();
  ASSERT_TRUE(p.a().done.count(w1));  // and EpochFlushed(1, 1) arrived
  p.link_down();
  p.run();  // reconnects; the unacknowledged epoch is resynced
  p.advance(2000);
  ASSERT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  ASSERT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);

  // The new connection numbers its epochs from 1 again: an EpochFlushed(1, 1)
  // remembered from the old one would wrongly cover this write.
  p.b().hold = [](const std::vector<uint8_t>& f) {
    return type_of(f) == kTEpochFlushed || type_of(f) == kTBarrierAck;
  };
  const uint64_t w2 = p.write(p.a(), 8192, pattern(4096, 2));
  p.run();
  ASSERT_TRUE(p.a().done.count(w2));
  const uint64_t f = p.flush(p.a());
  p.run();
  EXPECT_FALSE(p.a().done.count(f)) << "a flush completed on a report from a previous connection";
  p.release(p.b());
  p.run();
  ASSERT_TRUE(p.a().done.count(f));
  EXPECT_EQ(p.a().done[f].error, 0);
}

TEST(ReplicaEpochFlushed, ConnectionLostBeforeTheReportCompletesTheFlushFromTheLocalDisk) {
  Pair p;
  initial_sync(p);
  p.b().hold = [](const std::vector<uint8_t>& f) { return type_of(f) == kTEpochFlushed; };
  const uint64_t w = p.write(p.a(), 0, pattern(4096, 3));
  p.run();
  ASSERT_TRUE(p.a().done.count(w));
  const uint64_t f = p.flush(p.a());
  p.run();
  EXPECT_FALSE(p.a().done.count(f)) << "neither the report nor the BarrierAck arrived";
  p.link_down();
  ASSERT_TRUE(p.a().done.count(f));
  EXPECT_EQ(p.a().done[f].error, 0) << "as before: the local disk alone completes it";
}

TEST(ReplicaEpochFlushed, ConnectionLostMarksOutOfSyncOnlyWhatNoReportCalledDurable) {
  Pair p;
  initial_sync(p);
  // Epoch 1: written, reported durable, flushed (its BarrierAck never comes:
  // held, with everything the peer sends after it).
  const uint64_t w = p.write(p.a(), 0, pattern(4096, 4));
  p.run();
  p.b().hold = [](const std::vector<uint8_t>& f) { return type_of(f) == kTBarrierAck; };
  const uint64_t f = p.flush(p.a());
  p.run();
  ASSERT_TRUE(p.a().done.count(w));
  ASSERT_TRUE(p.a().done.count(f));
  // Epoch 2: written, but its answers are stuck behind the held BarrierAck
  // of epoch 1, so nothing covers it.
  const uint64_t w2 = p.write(p.a(), 1 << 20, pattern(4096, 5));
  p.run();
  EXPECT_FALSE(p.a().done.count(w2));
  p.a().hold_disk = p.b().hold_disk = true;  // no reconnect and resync yet
  p.link_down();
  EXPECT_EQ(p.a().r->bitmap().count(), 1u)
      << "only the write no EpochFlushed covered is out of sync; the reported epoch is durable on the peer";
  p.a().hold_disk = p.b().hold_disk = false;
  p.run();
  ASSERT_TRUE(p.a().done.count(w2));
  EXPECT_EQ(p.a().done[w2].error, 0) << "the local disk alone completes it";
  p.advance(2000);
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  EXPECT_EQ(p.a().r->bitmap().count(), 0u);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaEpochFlushed, BarrierAcksKeepTheirOrderAndReportsNameOnlyOpenEpochs) {
  Pair p;
  initial_sync(p);
  p.b().record = true;
  p.b().hold_flushes = true;
  std::vector<uint64_t> flushes;
  for (int i = 0; i < 6; ++i) {
    const uint64_t w = p.write(p.a(), uint64_t(i) << 20, pattern(4096, uint8_t(10 + i)));
    p.run();
    ASSERT_TRUE(p.a().done.count(w));
    if (i % 2 == 1) flushes.push_back(p.flush(p.a()));
    p.run();
  }
  p.b().hold_flushes = false;
  p.run();
  for (uint64_t f : flushes) ASSERT_TRUE(p.a().done.count(f));
  // One more write to an idle peer: reported while its epoch is open.
  const uint64_t w7 = p.write(p.a(), 7 << 20, pattern(4096, 17));
  p.run();
  ASSERT_TRUE(p.a().done.count(w7));
  const uint64_t last = p.flush(p.a());
  p.run();
  ASSERT_TRUE(p.a().done.count(last));
  uint32_t acked = 0;
  size_t reports = 0;
  for (const auto& fr : frames_of(p.b().sent)) {
    if (fr.type == wire::Type::kBarrierAck) {
      const auto& a = std::get<wire::BarrierAck>(fr.message);
      EXPECT_EQ(a.epoch, acked + 1) << "BarrierAcks in epoch order, none skipped";
      acked = a.epoch;
    } else if (fr.type == wire::Type::kEpochFlushed) {
      EXPECT_GT(std::get<wire::EpochFlushed>(fr.message).epoch, acked) << "a report names the open epoch";
      ++reports;
    }
  }
  EXPECT_EQ(acked, 7u);
  EXPECT_GE(reports, 1u);
  EXPECT_EQ(st(p, p.a()).ep, 1u);
  EXPECT_EQ(p.data_of(p.a()), p.data_of(p.b()));
}

TEST(ReplicaEpochFlushed, FuaWriteAndProtocolsAAndBKeepTheirRules) {
  {
    // A FUA write completes on its WriteAck as before (its own data durable);
    // a flush after it completes on the report.
    Pair p;
    initial_sync(p);
    p.b().hold = [](const std::vector<uint8_t>& f) { return type_of(f) == kTBarrierAck; };
    const uint64_t w = p.write(p.a(), 0, pattern(4096, 5), /*fua=*/true);
    p.run();
    ASSERT_TRUE(p.a().done.count(w));
    const uint64_t f = p.flush(p.a());
    p.run();
    EXPECT_TRUE(p.a().done.count(f));
  }
  for (Protocol proto : {Protocol::kA, Protocol::kB}) {
    EngineOptions o;
    o.protocol = proto;
    Pair p(64ULL << 20, o);
    initial_sync(p);
    p.b().record = true;
    p.b().hold = [](const std::vector<uint8_t>& f) { return type_of(f) == kTBarrierAck; };
    const uint64_t w = p.write(p.a(), 0, pattern(4096, 6));
    p.run();
    ASSERT_TRUE(p.a().done.count(w));
    const uint64_t f = p.flush(p.a());
    p.run();
    // A: a flush never waits for the peer and no report is sent. B: the
    // report completes the flush as with C.
    EXPECT_TRUE(p.a().done.count(f)) << letter(proto);
    EXPECT_EQ(epoch_flushed_sent(p.b()).size(), proto == Protocol::kA ? 0u : 1u) << letter(proto);
  }
}

TEST(ReplicaEpochFlushed, AReportOfMoreWritesThanWereSentIsAProtocolError) {
  Pair p;
  initial_sync(p);
  const uint64_t w = p.write(p.a(), 0, pattern(4096, 7));
  p.run();
  ASSERT_TRUE(p.a().done.count(w));
  const wire::Encoded e = wire::encode(wire::Type::kEpochFlushed, wire::EpochFlushed{1, 5});
  p.a().r->on_receive(e.head, p.now());
  p.run();
  EXPECT_TRUE(has_event(p.a(), "protocol error: epoch 1 flushed with 5 writes, but 1 were sent in it"))
      << (p.a().events.empty() ? "" : p.a().events.back());
  EXPECT_TRUE(has_event(p.a(), "ProtocolError"));
}

TEST(ReplicaEpochFlushed, AVersionOnePeerIsRefusedAtHello) {
  // No feature negotiation: EpochFlushed came with protocol version 2 (the
  // conflict answers of two Primaries with 3); both ends must speak the same.
  Pair p;
  p.create_and_attach(p.a());
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  p.a().r->on_transport_up(p.now());
  wire::Hello h;
  h.version = 1;
  h.node = "beta";
  h.resource = "r0";
  const wire::Encoded e = wire::encode(wire::Type::kHello, h);
  p.a().r->on_receive(e.head, p.now());
  p.run();
  EXPECT_TRUE(has_event(p.a(), "peer speaks protocol version 1, we speak 3"));
  EXPECT_EQ(st(p, p.a()).cstate, ConnState::kStandAlone);
}

}  // namespace
}  // namespace quorate::replication
