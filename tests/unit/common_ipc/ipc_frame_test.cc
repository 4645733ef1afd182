// IPC frame codec: round trips, every split of a byte stream, and the two
// malformed headers (length 0, length above kMaxIpcFrame).
#include "common/ipc_frame.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "proto/ipc.pb.h"

namespace quorate {
namespace {

std::vector<std::string> drain(IpcFrameDecoder& d) {
  std::vector<std::string> out;
  std::string p;
  while (d.next(&p)) out.push_back(p);
  return out;
}

std::string header(uint32_t n) {
  return std::string{static_cast<char>(n >> 24), static_cast<char>((n >> 16) & 0xff),
                     static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
}

TEST(IpcFrame, EncodesBigEndianLength) {
  const std::string f = encode_ipc_frame(std::string(258, 'x'));
  ASSERT_EQ(f.size(), 4u + 258u);
  EXPECT_EQ(f.substr(0, 4), std::string("\x00\x00\x01\x02", 4));
}

TEST(IpcFrame, RoundTripsSeveralFramesFedAtOnce) {
  std::string stream;
  const std::vector<std::string> payloads = {"a", std::string(300, 'b'), "hello",
                                             std::string(1, '\0')};
  for (const auto& p : payloads) append_ipc_frame(stream, p);
  IpcFrameDecoder d;
  ASSERT_TRUE(d.feed(stream).ok());
  EXPECT_EQ(drain(d), payloads);
  EXPECT_FALSE(d.mid_frame());
}

TEST(IpcFrame, EverySplitPointYieldsTheSameFrames) {
  std::string stream;
  const std::vector<std::string> payloads = {"x", "yz", std::string(70, 'q'), "end"};
  for (const auto& p : payloads) append_ipc_frame(stream, p);
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    IpcFrameDecoder d;
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(0, cut)).ok()) << cut;
    auto first = drain(d);
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(cut)).ok()) << cut;
    auto second = drain(d);
    first.insert(first.end(), second.begin(), second.end());
    EXPECT_EQ(first, payloads) << "cut at " << cut;
    EXPECT_FALSE(d.mid_frame());
  }
}

TEST(IpcFrame, EverySplitIntoThreePartsYieldsTheSameFrames) {
  std::string stream;
  const std::vector<std::string> payloads = {"ab", "c", "defg"};
  for (const auto& p : payloads) append_ipc_frame(stream, p);
  for (size_t a = 0; a <= stream.size(); ++a) {
    for (size_t b = a; b <= stream.size(); ++b) {
      IpcFrameDecoder d;
      ASSERT_TRUE(d.feed(std::string_view(stream).substr(0, a)).ok());
      ASSERT_TRUE(d.feed(std::string_view(stream).substr(a, b - a)).ok());
      ASSERT_TRUE(d.feed(std::string_view(stream).substr(b)).ok());
      EXPECT_EQ(drain(d), payloads) << a << "," << b;
    }
  }
}

TEST(IpcFrame, ByteByByte) {
  std::string stream;
  append_ipc_frame(stream, "one");
  append_ipc_frame(stream, "two");
  IpcFrameDecoder d;
  std::vector<std::string> got;
  for (size_t i = 0; i < stream.size(); ++i) {
    ASSERT_TRUE(d.feed(std::string_view(stream).substr(i, 1)).ok());
    const bool boundary = i + 1 == 7 || i + 1 == stream.size();
    EXPECT_EQ(d.mid_frame(), !boundary) << i;
    for (auto& p : drain(d)) got.push_back(p);
  }
  EXPECT_EQ(got, (std::vector<std::string>{"one", "two"}));
}

TEST(IpcFrame, ZeroLengthIsAnErrorAndSticks) {
  IpcFrameDecoder d;
  std::string stream;
  append_ipc_frame(stream, "ok");
  stream += header(0);
  stream += "more";
  const Status s = d.feed(stream);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("length 0"), std::string::npos);
  EXPECT_TRUE(d.failed());
  // The frame before the bad header is still delivered.
  EXPECT_EQ(drain(d), std::vector<std::string>{"ok"});
  // Later input is refused.
  std::string later;
  append_ipc_frame(later, "late");
  EXPECT_FALSE(d.feed(later).ok());
  EXPECT_TRUE(drain(d).empty());
}

TEST(IpcFrame, OversizedLengthIsAnError) {
  IpcFrameDecoder d;
  const Status s = d.feed(header(static_cast<uint32_t>(kMaxIpcFrame + 1)));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("exceeds"), std::string::npos);
  IpcFrameDecoder d2;
  EXPECT_FALSE(d2.feed(header(0xffffffffu)).ok());
}

TEST(IpcFrame, OversizedHeaderSplitAcrossFeeds) {
  IpcFrameDecoder d;
  const std::string h = header(0x7fffffffu);
  ASSERT_TRUE(d.feed(h.substr(0, 3)).ok());
  EXPECT_TRUE(d.mid_frame());
  EXPECT_FALSE(d.feed(h.substr(3)).ok());
}

TEST(IpcFrame, ExactlyTheLimitIsAccepted) {
  const std::string big(kMaxIpcFrame, 'z');
  IpcFrameDecoder d;
  ASSERT_TRUE(d.feed(encode_ipc_frame(big)).ok());
  std::string p;
  ASSERT_TRUE(d.next(&p));
  EXPECT_EQ(p.size(), kMaxIpcFrame);
}

TEST(IpcFrame, EncodesProtobufMessages) {
  ipc::Request req;
  req.set_id(42);
  req.mutable_ping();
  auto framed = encode_ipc_message(req);
  ASSERT_TRUE(framed.ok());
  IpcFrameDecoder d;
  ASSERT_TRUE(d.feed(*framed).ok());
  std::string p;
  ASSERT_TRUE(d.next(&p));
  ipc::Request back;
  ASSERT_TRUE(back.ParseFromString(p));
  EXPECT_EQ(back.id(), 42u);
  EXPECT_TRUE(back.has_ping());
}

TEST(IpcFrame, RefusesEmptyAndOversizedMessages) {
  ipc::Response empty;
  EXPECT_FALSE(encode_ipc_message(empty).ok());
  ipc::Response huge;
  huge.set_error(std::string(kMaxIpcFrame + 10, 'e'));
  auto r = encode_ipc_message(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceeds"), std::string::npos);
}

}  // namespace
}  // namespace quorate
