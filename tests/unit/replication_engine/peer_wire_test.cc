// The peer protocol's byte form (docs/formats/replication-peer.md): every
// message survives encode -> FrameReader whether the stream arrives whole or
// one byte at a time, and malformed frames are refused with a reason.
#include <gtest/gtest.h>

#include "replication/peer_wire.h"

namespace quorate::replication::wire {
namespace {

std::vector<uint8_t> bytes_of(Type t, const Message& m) {
  const Encoded e = encode(t, m);
  std::vector<uint8_t> b = e.head;
  if (e.payload) b.insert(b.end(), e.payload->begin(), e.payload->end());
  return b;
}

// Feeds `stream` in chunks of `chunk` bytes; returns the frames or the first error.
Result<std::vector<Frame>> read_all(const std::vector<uint8_t>& stream, size_t chunk) {
  FrameReader r;
  std::vector<Frame> out;
  for (size_t i = 0; i < stream.size(); i += chunk) {
    r.feed(std::span<const uint8_t>(stream).subspan(i, std::min(chunk, stream.size() - i)));
    for (;;) {
      auto f = r.next();
      if (!f.ok()) return f.error();
      if (!*f) break;
      out.push_back(std::move(**f));
    }
  }
  return out;
}

TEST(PeerWire, EveryMessageRoundTripsWholeAndByteByByte) {
  auto data = std::make_shared<const std::vector<uint8_t>>(4096, uint8_t{0xab});
  std::vector<std::pair<Type, Message>> all = {
      {Type::kHello, Hello{kProtocolVersion, {1, 2, 3}, "alpha", "r0"}},
      {Type::kAuthResponse, AuthResponse{{9, 8, 7}}},
      {Type::kState, State{1, 8, 5}},
      {Type::kData, Data{7, 8192, 4096, 3, kDFua, data}},
      {Type::kData, Data{8, 0, 1024, 3, kDTrim, nullptr}},
      {Type::kWriteAck, BlockAck{7, 8192, 4096}},
      {Type::kBarrier, Barrier{3}},
      {Type::kBarrierAck, BarrierAck{3, 1}},
      {Type::kRsRequest, RsRequest{11, 1 << 20, 4096}},
      {Type::kRsReply, RsReply{11, 1 << 20, 4096, data}},
      {Type::kReadReply, RsReply{12, 512, 0, nullptr}},
      {Type::kPing, Ping{}},
      {Type::kStateChgReq, StateChgReq{42, 1}},
      {Type::kStateChgReply, StateChgReply{42, -19}},
      {Type::kEpochFlushed, EpochFlushed{0x01020304, 17}},
      {Type::kSuperseded, BlockAck{8, 4096, 512}},
      {Type::kRetryWrite, BlockAck{9, 0, 8192}},
  };
  std::vector<uint8_t> stream;
  for (const auto& [t, m] : all) {
    const auto b = bytes_of(t, m);
    stream.insert(stream.end(), b.begin(), b.end());
  }
  for (size_t chunk : {stream.size(), size_t{1}, size_t{7}}) {
    SCOPED_TRACE(chunk);
    auto frames = read_all(stream, chunk);
    ASSERT_TRUE(frames.ok()) << frames.error().message;
    ASSERT_EQ(frames->size(), all.size());
    for (size_t i = 0; i < all.size(); ++i) EXPECT_EQ((*frames)[i].type, all[i].first) << i;
    const auto& q = std::get<StateChgReq>((*frames)[12].message);
    EXPECT_EQ(q.id, 42u);
    EXPECT_EQ(q.role, 1);
    EXPECT_EQ(std::get<StateChgReply>((*frames)[13].message).result, -19);
    const auto& ef = std::get<EpochFlushed>((*frames)[14].message);
    EXPECT_EQ(ef.epoch, 0x01020304u);
    EXPECT_EQ(ef.writes, 17u);
    EXPECT_EQ(std::get<BlockAck>((*frames)[15].message).offset, 4096u);
    EXPECT_EQ(std::get<BlockAck>((*frames)[16].message).length, 8192u);
    const auto& d = std::get<Data>((*frames)[3].message);
    EXPECT_EQ(d.offset, 8192u);
    ASSERT_TRUE(d.payload);
    EXPECT_EQ(*d.payload, *data);
    EXPECT_FALSE(std::get<Data>((*frames)[4].message).payload);
    const auto& h = std::get<Hello>((*frames)[0].message);
    EXPECT_EQ(h.node, "alpha");
    EXPECT_EQ(h.resource, "r0");
  }
}

TEST(PeerWire, PayloadsReadInPlaceGiveTheSameFrames) {
  // As the daemon reads: a payload straight into payload_space(), in pieces,
  // everything else through feed().
  std::vector<uint8_t> payload(300032);  // 586 sectors
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7);
  auto data = std::make_shared<const std::vector<uint8_t>>(payload);
  std::vector<uint8_t> stream = bytes_of(Type::kData, Data{5, 1 << 20, 300032, 2, 0, data});
  const auto barrier = bytes_of(Type::kBarrier, Barrier{2});
  stream.insert(stream.end(), barrier.begin(), barrier.end());

  FrameReader r;
  EXPECT_TRUE(r.payload_space().empty()) << "no payload is arriving yet";
  size_t pos = 0;
  int in_place_reads = 0;
  while (pos < stream.size()) {
    const std::span<uint8_t> space = r.payload_space();
    if (!space.empty()) {
      const size_t n = std::min<size_t>(space.size(), 65536);  // a partial read
      std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(pos), n, space.begin());
      r.payload_filled(n);
      pos += n;
      ++in_place_reads;
    } else {
      const size_t n = std::min<size_t>(stream.size() - pos, 100);
      r.feed(std::span<const uint8_t>(stream).subspan(pos, n));
      pos += n;
    }
  }
  EXPECT_GE(in_place_reads, 4);
  auto f1 = r.next();
  ASSERT_TRUE(f1.ok()) << f1.error().message;
  ASSERT_TRUE(f1->has_value());
  const auto& d = std::get<Data>((**f1).message);
  EXPECT_EQ(d.id, 5u);
  EXPECT_EQ(d.length, 300032u);
  ASSERT_TRUE(d.payload);
  EXPECT_EQ(*d.payload, payload);
  auto f2 = r.next();
  ASSERT_TRUE(f2.ok() && f2->has_value());
  EXPECT_EQ((**f2).type, Type::kBarrier);
  EXPECT_TRUE(r.payload_space().empty());
}

TEST(PeerWire, HeaderIsMagicTypeAndLittleEndianLength) {
  const auto b = bytes_of(Type::kStateChgReply, StateChgReply{1, -1});
  ASSERT_EQ(b.size(), kHeaderBytes + 12);
  EXPECT_EQ(std::vector<uint8_t>(b.begin(), b.begin() + 12),
            (std::vector<uint8_t>{'Q', 'R', 'P', 'L', 27, 0, 0, 0, 12, 0, 0, 0}));
  // result -1 as a little-endian two's complement i32 after the id.
  EXPECT_EQ(std::vector<uint8_t>(b.end() - 4, b.end()), (std::vector<uint8_t>{0xff, 0xff, 0xff, 0xff}));
}

TEST(PeerWire, EpochFlushedIsTypeTwentyEightWithEpochAndWrites) {
  const auto b = bytes_of(Type::kEpochFlushed, EpochFlushed{5, 0x0102});
  const std::vector<uint8_t> want = {'Q', 'R', 'P', 'L', 28, 0, 0, 0, 8, 0, 0, 0, 5, 0, 0, 0, 0x02, 0x01, 0, 0};
  EXPECT_EQ(b, want);
  EXPECT_EQ(kProtocolVersion, 3u) << "EpochFlushed came with version 2, Superseded and RetryWrite with 3";
}

TEST(PeerWire, MalformedFramesAreRefusedWithTheReason) {
  struct Case {
    std::vector<uint8_t> bytes;
    std::string error;
  };
  auto frame = [](uint8_t type, std::vector<uint8_t> body) {
    std::vector<uint8_t> b = {'Q', 'R', 'P', 'L', type, 0, 0, 0, static_cast<uint8_t>(body.size()), 0, 0, 0};
    b.insert(b.end(), body.begin(), body.end());
    return b;
  };
  const std::vector<uint8_t> id(8, 0);
  auto with = [&](std::vector<uint8_t> a, std::vector<uint8_t> tail) {
    a.insert(a.end(), tail.begin(), tail.end());
    return a;
  };
  const std::vector<Case> cases = {
      {{'X', 'R', 'P', 'L', 6, 0, 0, 0, 0, 0, 0, 0}, "bad frame magic 0x4c505258"},
      {frame(99, {}), "unknown frame type 99"},
      {{'Q', 'R', 'P', 'L', 7, 0, 0, 0, 0, 0, 0x20, 0}, "frame body of 2097152 bytes is too long"},
      {frame(6, {1, 9, 0, 0, 0, 0}), "malformed 6 message (6 bytes): enum out of range"},
      {frame(26, with(id, {2})), "malformed 26 message (9 bytes): state change: only promotion (role Primary) is "
                                 "defined"},
      {frame(26, id), "malformed 26 message (8 bytes): truncated"},
      {frame(27, with(id, {0, 0, 0, 0, 0})), "malformed 27 message (13 bytes): trailing bytes"},
      {frame(28, {1, 0, 0, 0}), "malformed 28 message (4 bytes): truncated"},
      {frame(28, {0, 0, 0, 0, 1, 0, 0, 0}),
       "malformed 28 message (8 bytes): epoch flushed: epoch 0 with 1 writes (both must be at least 1)"},
      {frame(28, {3, 0, 0, 0, 0, 0, 0, 0}),
       "malformed 28 message (8 bytes): epoch flushed: epoch 3 with 0 writes (both must be at least 1)"},
      {frame(29, {}), "malformed 29 message (0 bytes): truncated"},
      {frame(30, with(id, {0})), "malformed 30 message (9 bytes): truncated"},
      {frame(31, {}), "unknown frame type 31"},
  };
  for (const auto& c : cases) {
    auto r = read_all(c.bytes, c.bytes.size());
    ASSERT_FALSE(r.ok()) << c.error;
    EXPECT_EQ(r.error().message, c.error);
  }
}

}  // namespace
}  // namespace quorate::replication::wire
