// NbdServerCodec against byte sequences written by hand from the NBD spec
// (NetworkBlockDevice/nbd doc/proto.md): the handshake, every option, the
// transmission commands, and bad input of each kind.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "replication/nbd_protocol.h"

namespace quorate::replication::nbd {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes hex(std::initializer_list<int> v) {
  Bytes out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}
void be(Bytes& b, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes str(std::string_view s) { return Bytes(s.begin(), s.end()); }

Bytes option(uint32_t opt, const Bytes& data) {
  Bytes b = str("IHAVEOPT");
  be(b, opt, 4);
  be(b, data.size(), 4);
  b.insert(b.end(), data.begin(), data.end());
  return b;
}
Bytes go_data(std::string_view name, std::initializer_list<uint16_t> infos) {
  Bytes b;
  be(b, name.size(), 4);
  b.insert(b.end(), name.begin(), name.end());
  be(b, infos.size(), 2);
  for (uint16_t i : infos) be(b, i, 2);
  return b;
}
Bytes reply_header(uint32_t opt, uint32_t type, uint32_t len) {
  Bytes b = hex({0x00, 0x03, 0xe8, 0x89, 0x04, 0x55, 0x65, 0xa9});
  be(b, opt, 4);
  be(b, type, 4);
  be(b, len, 4);
  return b;
}
Bytes request(uint16_t flags, uint16_t type, uint64_t handle, uint64_t offset, uint32_t length) {
  Bytes b = hex({0x25, 0x60, 0x95, 0x13});
  be(b, flags, 2);
  be(b, type, 2);
  be(b, handle, 8);
  be(b, offset, 8);
  be(b, length, 4);
  return b;
}
Bytes simple_reply(uint32_t error, uint64_t handle) {
  Bytes b = hex({0x67, 0x44, 0x66, 0x98});
  be(b, error, 4);
  be(b, handle, 8);
  return b;
}

class Directory : public ExportDirectory {
 public:
  std::vector<ExportInfo> exports;
  std::optional<ExportInfo> find(std::string_view name) const override {
    if (name.empty() && exports.size() == 1) return exports[0];
    for (const auto& e : exports) {
      if (e.name == name) return e;
    }
    return std::nullopt;
  }
  std::vector<ExportInfo> list() const override { return exports; }
};

class CodecTest : public ::testing::Test {
 protected:
  CodecTest() {
    ExportInfo r0;
    r0.name = "r0";
    r0.description = "volume r0";
    r0.size_bytes = 1 << 20;
    r0.writable = true;
    dir.exports.push_back(r0);
  }
  void feed(const Bytes& b) { codec().consume(b); }
  NbdServerCodec& codec() {
    if (!codec_) codec_ = std::make_unique<NbdServerCodec>(dir, limits);
    return *codec_;
  }
  Bytes out() { return codec().take_output(); }
  std::vector<Event> events() { return codec().take_events(); }
  // Greeting + flags + GO "r0" → in transmission, output drained.
  void go(uint32_t client_flags = 3) {
    out();
    Bytes f;
    be(f, client_flags, 4);
    feed(f);
    feed(option(kOptGo, go_data("r0", {})));
    ASSERT_TRUE(codec().in_transmission());
    out();
    events();
  }
  Closed closed_event() {
    for (auto& e : events()) {
      if (auto* c = std::get_if<Closed>(&e)) return *c;
    }
    ADD_FAILURE() << "no Closed event";
    return {};
  }

  Directory dir;
  CodecLimits limits;
  std::unique_ptr<NbdServerCodec> codec_;
};

TEST_F(CodecTest, GreetingIsNbdmagicIhaveoptAndFixedNewstyleNoZeroes) {
  EXPECT_EQ(out(), cat({str("NBDMAGIC"), str("IHAVEOPT"), hex({0x00, 0x03})}));
  EXPECT_TRUE(codec().want_input());
}

TEST_F(CodecTest, OptGoGoldenBytes) {
  out();
  feed(hex({0, 0, 0, 3}));
  feed(option(kOptGo, go_data("r0", {kInfoName, kInfoDescription, kInfoBlockSize})));
  Bytes expect;
  // NBD_INFO_EXPORT: size 1 MiB, flags HAS_FLAGS|SEND_FLUSH|SEND_FUA|SEND_TRIM|
  // SEND_WRITE_ZEROES|CAN_MULTI_CONN = 0x016d.
  expect = cat({expect, reply_header(kOptGo, kRepInfo, 12),
                hex({0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0x01, 0x6d})});
  expect = cat({expect, reply_header(kOptGo, kRepInfo, 14),
                hex({0, 3, 0, 0, 0, 1, 0, 0, 0x10, 0, 0x02, 0, 0, 0})});
  expect = cat({expect, reply_header(kOptGo, kRepInfo, 4), hex({0, 1}), str("r0")});
  expect = cat({expect, reply_header(kOptGo, kRepInfo, 11), hex({0, 2}), str("volume r0")});
  expect = cat({expect, reply_header(kOptGo, kRepAck, 0)});
  EXPECT_EQ(out(), expect);
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  const auto& sel = std::get<ExportSelected>(ev[0]);
  EXPECT_EQ(sel.info.name, "r0");
  EXPECT_EQ(sel.transmission_flags, 0x016d);
  EXPECT_TRUE(codec().in_transmission());
}

TEST_F(CodecTest, OptInfoStaysInHandshakeAndDefaultExportResolves) {
  out();
  feed(hex({0, 0, 0, 1}));
  feed(option(kOptInfo, go_data("", {})));
  const Bytes o = out();
  ASSERT_GE(o.size(), 20u);
  EXPECT_EQ(Bytes(o.begin(), o.begin() + 20), reply_header(kOptInfo, kRepInfo, 12));
  EXPECT_FALSE(codec().in_transmission());
  EXPECT_TRUE(events().empty());
}

TEST_F(CodecTest, ReadOnlyExportAdvertisesReadOnlyAndRefusesWritesWithEperm) {
  dir.exports[0].writable = false;
  go();
  feed(cat({request(0, 1, 7, 0, 4), hex({1, 2, 3, 4})}));
  EXPECT_EQ(out(), simple_reply(kErrPerm, 7));
  feed(request(0, 4, 8, 0, 512));
  EXPECT_EQ(out(), simple_reply(kErrPerm, 8));
}

TEST_F(CodecTest, ExportNameWithZeroesAndWithout) {
  out();
  feed(hex({0, 0, 0, 1}));  // fixed newstyle, no NO_ZEROES
  feed(option(kOptExportName, str("r0")));
  Bytes expect = hex({0, 0, 0, 0, 0, 0x10, 0, 0, 0x01, 0x6d});
  expect.insert(expect.end(), 124, 0);
  EXPECT_EQ(out(), expect);
  EXPECT_TRUE(codec().in_transmission());

  codec_.reset();
  out();
  feed(hex({0, 0, 0, 3}));
  feed(option(kOptExportName, str("")));
  EXPECT_EQ(out(), hex({0, 0, 0, 0, 0, 0x10, 0, 0, 0x01, 0x6d}));
}

TEST_F(CodecTest, ExportNameUnknownCloses) {
  out();
  feed(hex({0, 0, 0, 3}));
  feed(option(kOptExportName, str("nope")));
  EXPECT_TRUE(out().empty());
  const Closed c = closed_event();
  EXPECT_FALSE(c.clean);
  EXPECT_NE(c.reason.find("unknown export 'nope'"), std::string::npos) << c.reason;
  EXPECT_TRUE(codec().finished());
}

TEST_F(CodecTest, OptListRepliesServerPerExportThenAck) {
  out();
  feed(hex({0, 0, 0, 3}));
  feed(option(kOptList, {}));
  EXPECT_EQ(out(), cat({reply_header(kOptList, kRepServer, 15), hex({0, 0, 0, 2}), str("r0"),
                        str("volume r0"), reply_header(kOptList, kRepAck, 0)}));
  feed(option(kOptList, hex({1})));
  const Bytes o = out();
  Bytes expect = reply_header(kOptList, kRepErrInvalid, 0);
  expect.resize(16);
  ASSERT_GE(o.size(), 16u);
  EXPECT_EQ(Bytes(o.begin(), o.begin() + 16), expect);
}

TEST_F(CodecTest, OptAbortAcksAndClosesCleanly) {
  out();
  feed(hex({0, 0, 0, 3}));
  feed(option(kOptAbort, {}));
  EXPECT_EQ(out(), reply_header(kOptAbort, kRepAck, 0));
  EXPECT_TRUE(closed_event().clean);
  EXPECT_TRUE(codec().finished());
  EXPECT_FALSE(codec().want_input());
}

TEST_F(CodecTest, StructuredReplyAndUnknownOptionsAreUnsupportedWithMessage) {
  out();
  feed(hex({0, 0, 0, 3}));
  for (uint32_t opt : {kOptStructuredReply, kOptStartTls, kOptListMetaContext, 4u, 99u, 0xffffffffu}) {
    feed(option(opt, {}));
    const Bytes o = out();
    ASSERT_GT(o.size(), 20u) << opt;
    Bytes header(o.begin(), o.begin() + 16);
    Bytes expect = reply_header(opt, kRepErrUnsup, 0);
    expect.resize(16);
    EXPECT_EQ(header, expect) << opt;
  }
  EXPECT_FALSE(codec().closed());
}

TEST_F(CodecTest, UnknownExportInGoIsErrUnknownWithMessage) {
  out();
  feed(hex({0, 0, 0, 3}));
  feed(option(kOptGo, go_data("r9", {})));
  const Bytes o = out();
  const std::string msg(o.begin() + 20, o.end());
  Bytes head(o.begin(), o.begin() + 16);
  Bytes expect = reply_header(kOptGo, kRepErrUnknown, 0);
  expect.resize(16);
  EXPECT_EQ(head, expect);
  EXPECT_NE(msg.find("no export named 'r9'; exports: r0"), std::string::npos) << msg;
  EXPECT_FALSE(codec().in_transmission());
}

TEST_F(CodecTest, OptionLengthLiesAreErrInvalid) {
  out();
  feed(hex({0, 0, 0, 3}));
  // Name length larger than the data.
  feed(option(kOptGo, cat({hex({0, 0, 0, 50}), str("r0"), hex({0, 0})})));
  // Info count needs more bytes than there are.
  feed(option(kOptGo, cat({hex({0, 0, 0, 2}), str("r0"), hex({0, 5, 0, 1})})));
  // Too short.
  feed(option(kOptInfo, hex({0, 0})));
  Bytes o = out();
  size_t at = 0;
  int errors = 0;
  while (at + 20 <= o.size()) {
    const uint32_t type = (o[at + 12] << 24) | (o[at + 13] << 16) | (o[at + 14] << 8) | o[at + 15];
    const uint32_t len = (o[at + 16] << 24) | (o[at + 17] << 16) | (o[at + 18] << 8) | o[at + 19];
    EXPECT_EQ(type, kRepErrInvalid);
    ++errors;
    at += 20 + len;
  }
  EXPECT_EQ(errors, 3);
  EXPECT_EQ(at, o.size());
  EXPECT_FALSE(codec().closed());
}

TEST_F(CodecTest, OversizedOptionIsSkippedAndAnsweredTooBig) {
  out();
  feed(hex({0, 0, 0, 3}));
  Bytes big = option(kOptGo, Bytes(kMaxOptionBytes + 100, 0xee));
  // Fed byte by byte: the skip must work across chunks.
  for (uint8_t b : big) feed(Bytes{b});
  const Bytes o = out();
  ASSERT_GE(o.size(), 20u);
  EXPECT_EQ(o[12], 0x80);
  EXPECT_EQ(o[15], 0x09);
  feed(option(kOptGo, go_data("r0", {})));
  EXPECT_TRUE(codec().in_transmission());
}

TEST_F(CodecTest, UnknownClientFlagsClose) {
  out();
  feed(hex({0, 0, 0, 7}));
  const Closed c = closed_event();
  EXPECT_FALSE(c.clean);
  EXPECT_NE(c.reason.find("unknown bits 0x00000004"), std::string::npos) << c.reason;
}

TEST_F(CodecTest, BadOptionMagicCloses) {
  out();
  feed(hex({0, 0, 0, 3}));
  feed(cat({str("IHAVEOPX"), hex({0, 0, 0, 7, 0, 0, 0, 0})}));
  EXPECT_NE(closed_event().reason.find("expected IHAVEOPT"), std::string::npos);
  feed(option(kOptList, {}));  // ignored after close
  EXPECT_TRUE(out().empty());
}

TEST_F(CodecTest, NonFixedClientMayOnlyUseExportName) {
  out();
  feed(hex({0, 0, 0, 0}));
  feed(option(kOptList, {}));
  EXPECT_NE(closed_event().reason.find("NBD_FLAG_C_FIXED_NEWSTYLE"), std::string::npos);
}

TEST_F(CodecTest, TruncatedInputWaitsWithoutOutput) {
  out();
  const Bytes all = cat({hex({0, 0, 0, 3}), option(kOptGo, go_data("r0", {}))});
  feed(Bytes(all.begin(), all.end() - 1));
  EXPECT_TRUE(out().empty());
  EXPECT_FALSE(codec().in_transmission());
  feed(Bytes(all.end() - 1, all.end()));
  EXPECT_TRUE(codec().in_transmission());
}

TEST_F(CodecTest, ReadWriteFlushTrimWriteZeroesBecomeRequests) {
  go();
  feed(request(0, 0, 1, 512, 4));
  feed(cat({request(kCmdFlagFua, 1, 2, 1024, 3), hex({9, 8, 7})}));
  feed(request(0, 3, 3, 0, 0));
  feed(request(0, 4, 4, 0, 4096));
  feed(request(kCmdFlagNoHole, 6, 5, 4096, 4096));
  auto ev = events();
  ASSERT_EQ(ev.size(), 5u);
  const auto& rd = std::get<Request>(ev[0]);
  EXPECT_EQ(rd.command, Command::kRead);
  EXPECT_EQ(rd.offset, 512u);
  const auto& wr = std::get<Request>(ev[1]);
  EXPECT_EQ(wr.command, Command::kWrite);
  EXPECT_TRUE(wr.fua);
  EXPECT_EQ(wr.payload, hex({9, 8, 7}));
  EXPECT_EQ(std::get<Request>(ev[2]).command, Command::kFlush);
  EXPECT_EQ(std::get<Request>(ev[3]).command, Command::kTrim);
  EXPECT_TRUE(std::get<Request>(ev[4]).no_hole);
  EXPECT_TRUE(out().empty());
  EXPECT_EQ(codec().in_flight(), 5u);
  // Out of order completion; replies carry the handles.
  codec().complete(std::get<Request>(ev[1]).id, 0);
  codec().complete(std::get<Request>(ev[0]).id, 0, hex({0xa, 0xb, 0xc, 0xd}));
  codec().complete(std::get<Request>(ev[4]).id, EROFS);
  codec().complete(std::get<Request>(ev[3]).id, EIO);
  codec().complete(std::get<Request>(ev[2]).id, ENOSPC);
  EXPECT_EQ(out(), cat({simple_reply(0, 2), simple_reply(0, 1), hex({0xa, 0xb, 0xc, 0xd}),
                        simple_reply(kErrPerm, 5), simple_reply(kErrIo, 4),
                        simple_reply(kErrNoSpc, 3)}));
}

// The server reads the rest of a large payload straight into the request's
// buffer (payload_space / payload_received) instead of through consume(): the
// request must come out the same, whatever mix of the two delivered it, and
// the next request's header still goes through consume().
TEST_F(CodecTest, PayloadReadInPlaceMakesTheSameRequest) {
  go();
  Bytes payload(64 * 1024);
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(i * 7 + 3);
  EXPECT_TRUE(codec().payload_space().empty()) << "no payload before a WRITE header";
  feed(cat({request(0, 1, 9, 4096, static_cast<uint32_t>(payload.size())), Bytes(payload.begin(), payload.begin() + 100)}));
  auto space = codec().payload_space();
  ASSERT_EQ(space.size(), payload.size() - 100);
  std::memcpy(space.data(), payload.data() + 100, 1000);  // a short read
  codec().payload_received(1000);
  space = codec().payload_space();
  ASSERT_EQ(space.size(), payload.size() - 1100);
  feed(Bytes(payload.begin() + 1100, payload.begin() + 5000));  // consume() fills the same buffer
  space = codec().payload_space();
  ASSERT_EQ(space.size(), payload.size() - 5000);
  EXPECT_TRUE(events().empty()) << "no request before the whole payload is in";
  std::memcpy(space.data(), payload.data() + 5000, space.size());
  codec().payload_received(space.size());
  EXPECT_TRUE(codec().payload_space().empty());
  auto ev = events();
  ASSERT_EQ(ev.size(), 1u);
  const auto& wr = std::get<Request>(ev[0]);
  EXPECT_EQ(wr.command, Command::kWrite);
  EXPECT_EQ(wr.offset, 4096u);
  EXPECT_EQ(wr.payload, payload);
  feed(request(0, 0, 10, 0, 4));  // the next request (a READ) decodes as before
  ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<Request>(ev[0]).command, Command::kRead);
}

TEST_F(CodecTest, APayloadBufferOutlivesAShutdownDuringItsRead) {
  // A read into the buffer may still be under way when the server shuts the
  // codec down: the memory must stay the codec's, and what arrives is ignored.
  go();
  feed(request(0, 1, 11, 0, 8192));
  auto space = codec().payload_space();
  ASSERT_EQ(space.size(), 8192u);
  codec().shutdown("server stopping");
  std::memset(space.data(), 0x5a, space.size());  // the kernel's late write (ASan: no use after free)
  codec().payload_received(space.size());
  for (const auto& e : events()) EXPECT_FALSE(std::holds_alternative<Request>(e)) << "a request after shutdown";
  EXPECT_TRUE(codec().payload_space().empty());
}

TEST_F(CodecTest, ReadErrorHasNoPayloadAndShortReadIsEio) {
  go();
  feed(request(0, 0, 1, 0, 8));
  feed(request(0, 0, 2, 0, 8));
  auto ev = events();
  codec().complete(std::get<Request>(ev[0]).id, EIO);
  codec().complete(std::get<Request>(ev[1]).id, 0, hex({1, 2}));
  EXPECT_EQ(out(), cat({simple_reply(kErrIo, 1), simple_reply(kErrIo, 2)}));
}

TEST_F(CodecTest, BoundsFlagsAndUnknownCommandsAreRefused) {
  go();
  const uint64_t size = 1 << 20;
  feed(request(0, 0, 1, size - 4, 8));                      // read past end
  feed(request(0, 0, 2, UINT64_MAX - 2, 8));                // offset overflow
  feed(cat({request(0, 1, 3, size, 1), hex({0})}));         // write past end: ENOSPC
  feed(request(0, 0, 4, 0, kMaxPayloadBytes + 1));          // oversize read
  feed(request(0, 5, 5, 0, 512));                           // CACHE: not offered
  feed(request(0, 42, 6, 0, 0));                            // unknown command
  feed(request(1u << 5, 0, 7, 0, 512));                     // unknown flag
  feed(request(kCmdFlagNoHole, 0, 8, 0, 512));              // NO_HOLE on READ
  feed(request(0, 4, 9, size - 512, 1024));                 // trim past end
  EXPECT_EQ(out(), cat({simple_reply(kErrInval, 1), simple_reply(kErrInval, 2),
                        simple_reply(kErrNoSpc, 3), simple_reply(kErrInval, 4),
                        simple_reply(kErrInval, 5), simple_reply(kErrInval, 6),
                        simple_reply(kErrInval, 7), simple_reply(kErrInval, 8),
                        simple_reply(kErrInval, 9)}));
  EXPECT_FALSE(codec().closed());
  EXPECT_EQ(codec().in_flight(), 0u);
}

TEST_F(CodecTest, AlignmentEnforcedWhenMinimumBlockIs512) {
  dir.exports[0].min_block_bytes = 512;
  go();
  feed(request(0, 0, 1, 100, 512));
  EXPECT_EQ(out(), simple_reply(kErrInval, 1));
}

TEST_F(CodecTest, OversizedWriteClosesBecauseStreamCannotBeFramed) {
  go();
  feed(request(0, 1, 1, 0, kMaxPayloadBytes + 1));
  const Closed c = closed_event();
  EXPECT_FALSE(c.clean);
  EXPECT_NE(c.reason.find("can no longer be framed"), std::string::npos) << c.reason;
  EXPECT_TRUE(codec().finished());
}

TEST_F(CodecTest, BadRequestMagicCloses) {
  go();
  Bytes r = request(0, 0, 1, 0, 512);
  r[0] = 0x26;
  feed(r);
  EXPECT_NE(closed_event().reason.find("expected 0x25609513"), std::string::npos);
}

TEST_F(CodecTest, DiscWaitsForInFlightRequests) {
  go();
  feed(request(0, 0, 1, 0, 4));
  feed(request(0, 2, 2, 0, 0));
  feed(request(0, 0, 3, 0, 4));  // after DISC: ignored
  auto ev = events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_TRUE(std::get<Closed>(ev[1]).clean);
  EXPECT_FALSE(codec().finished());
  codec().complete(std::get<Request>(ev[0]).id, 0, hex({1, 2, 3, 4}));
  EXPECT_TRUE(codec().finished());
  EXPECT_EQ(out(), cat({simple_reply(0, 1), hex({1, 2, 3, 4})}));
}

TEST_F(CodecTest, InFlightLimitStopsDecodingUntilCompletion) {
  limits.max_in_flight_requests = 2;
  go();
  Bytes three = cat({request(0, 0, 1, 0, 4), request(0, 0, 2, 0, 4), request(0, 0, 3, 0, 4)});
  feed(three);
  auto ev = events();
  ASSERT_EQ(ev.size(), 2u);
  EXPECT_FALSE(codec().want_input());
  EXPECT_EQ(codec().buffered_input_bytes(), kRequestHeaderBytes);
  codec().complete(std::get<Request>(ev[0]).id, 0, hex({0, 0, 0, 0}));
  ev = events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_EQ(std::get<Request>(ev[0]).handle, 3u);
}

TEST_F(CodecTest, ShutdownStopsDecodingButAnswersInFlight) {
  go();
  feed(request(0, 3, 1, 0, 0));
  auto ev = events();
  codec().shutdown("server stopping");
  EXPECT_TRUE(closed_event().clean);
  EXPECT_FALSE(codec().finished());
  codec().complete(std::get<Request>(ev[0]).id, 0);
  EXPECT_TRUE(codec().finished());
  EXPECT_EQ(out(), simple_reply(0, 1));
}

TEST(NbdErrors, ErrnoMapping) {
  EXPECT_EQ(nbd_error_from_errno(0), 0u);
  EXPECT_EQ(nbd_error_from_errno(EROFS), kErrPerm);
  EXPECT_EQ(nbd_error_from_errno(EPERM), kErrPerm);
  EXPECT_EQ(nbd_error_from_errno(EIO), kErrIo);
  EXPECT_EQ(nbd_error_from_errno(ENOMEM), kErrNoMem);
  EXPECT_EQ(nbd_error_from_errno(EINVAL), kErrInval);
  EXPECT_EQ(nbd_error_from_errno(ENOSPC), kErrNoSpc);
  EXPECT_EQ(nbd_error_from_errno(EDQUOT), kErrNoSpc);
  EXPECT_EQ(nbd_error_from_errno(EOVERFLOW), kErrOverflow);
  EXPECT_EQ(nbd_error_from_errno(EOPNOTSUPP), kErrNotSup);
  EXPECT_EQ(nbd_error_from_errno(ESHUTDOWN), kErrShutdown);
  EXPECT_EQ(nbd_error_from_errno(ENOENT), kErrIo);
}

}  // namespace
}  // namespace quorate::replication::nbd
