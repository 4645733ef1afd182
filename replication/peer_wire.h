// The peer protocol's messages and their byte form (docs/formats/replication-peer.md).
//
// A connection carries frames: a 12-byte header (magic "QRPL", type, flags,
// body length) and a body. FrameReader cuts a byte stream into frames and
// rejects anything malformed with a reason; decode() turns a frame into a
// typed Message or an Error. Nothing here allocates beyond the message it
// returns, and every length is checked against the bytes present.
//
// Value types; not thread-safe.
#pragma once

#include <array>
#include <deque>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "common/result.h"
#include "replication/metadata.h"

namespace quorate::replication::wire {

inline constexpr uint32_t kMagic = 0x4c505251;  // "QRPL" little-endian
inline constexpr size_t kHeaderBytes = 12;
inline constexpr uint32_t kMaxDataBytes = 1u << 20;  // one data/resync block message
inline constexpr uint32_t kMaxBodyBytes = kMaxDataBytes + 4096;
// 2: EpochFlushed. 3: Superseded and RetryWrite (concurrent writes of two
// Primaries). Both ends must speak the same version; another is refused at Hello.
inline constexpr uint32_t kProtocolVersion = 3;

using Bytes = std::shared_ptr<const std::vector<uint8_t>>;

enum class Type : uint8_t {
  kHello = 1,
  kAuthResponse = 2,
  kParams = 3,
  kBitmap = 4,
  kSyncUuid = 5,
  kState = 6,
  kData = 7,
  kRecvAck = 8,
  kWriteAck = 9,
  kNegAck = 10,
  kBarrier = 11,
  kBarrierAck = 12,
  kRsRequest = 13,
  kRsReply = 14,
  kRsNegReply = 15,
  kRsWriteAck = 16,
  kRsDone = 17,
  kUuids = 18,
  kOvRequest = 19,
  kOvReply = 20,
  kOvDone = 21,
  kPing = 22,
  kPingAck = 23,
  kReadRequest = 24,  // a diskless Primary reads through the peer (RsRequest body, 512-aligned)
  kReadReply = 25,    // RsReply body; length 0 and no payload: the peer could not read
  kStateChgReq = 26,  // a two-node state change (promotion) asks the peer
  kStateChgReply = 27,
  kEpochFlushed = 28,  // the receiver's flush made the open epoch's writes so far durable
  // Two Primaries (allow-two-primaries): the answer of the node that resolves
  // conflicts to a Data that overlapped one of its own writes in flight. The
  // Data was not written; BlockAck body.
  kSuperseded = 29,  // the receiver's own write covers it: done, nothing to redo
  kRetryWrite = 30,  // write it again (locally too) once the receiver's write is in
};

struct Hello {
  uint32_t version = kProtocolVersion;
  std::array<uint8_t, 32> challenge{};
  std::string node;      // sender's host name
  std::string resource;  // resource name
};
struct AuthResponse {
  std::vector<uint8_t> mac;  // HMAC(shared-secret, the peer's challenge)
};

// Sent once per connection after authentication: what the sync decision needs.
struct Params {
  uint8_t protocol = 2;  // Protocol
  uint8_t role = 0;      // Role
  uint8_t disk = 0;      // DiskState
  uint8_t after_sb[3] = {0, 0, 0};
  uint32_t flags = 0;    // kP* below
  uint64_t data_bytes = 0;
  Uuids uuids;
  uint64_t bitmap_weight = 0;  // set bits
  uint64_t tiebreak = 0;       // random per connection; decides symmetric ties
};
enum ParamFlag : uint32_t {
  kPAllowTwoPrimaries = 1u << 0,
  kPDiscardMyData = 1u << 1,
  kPCrashedPrimary = 1u << 2,
  kPVerifySource = 1u << 3,
  kPConsistent = 1u << 4,
  kPWasUpToDate = 1u << 5,
};

struct BitmapChunk {
  uint64_t first_bit = 0;
  uint64_t bit_count = 0;
  bool last = false;
  std::vector<uint8_t> rle;
};
struct SyncUuid { uint64_t uuid = 0; };
struct State {
  uint8_t role = 0;
  uint8_t disk = 0;
  uint32_t flags = 0;  // 1 = sync paused by this node's user
};

enum DataFlag : uint16_t { kDFua = 1, kDZeroes = 2, kDTrim = 4 };
struct Data {
  uint64_t id = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  uint32_t epoch = 0;
  uint16_t dflags = 0;
  Bytes payload;  // null for zeroes/trim
};
struct BlockAck {  // RecvAck, WriteAck, NegAck, RsWriteAck, Superseded, RetryWrite
  uint64_t id = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
};
struct Barrier { uint32_t epoch = 0; };
struct BarrierAck {
  uint32_t epoch = 0;
  uint32_t writes = 0;
};
struct RsRequest {  // also OvRequest
  uint64_t id = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
};
struct RsReply {
  uint64_t id = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  Bytes payload;
};
struct RsNegReply { uint64_t id = 0; };
struct RsDone {};
struct UuidSet { Uuids uuids; uint32_t flags = 0; };
struct OvReply {
  uint64_t id = 0;
  uint64_t offset = 0;
  uint32_t length = 0;
  std::vector<uint8_t> digests;  // one per 4 KiB, concatenated
};
struct OvDone { uint64_t out_of_sync_blocks = 0; };
struct Ping {};
struct PingAck {};
// A state change both nodes must agree on (DRBD's cluster-wide state change);
// today only promotion: role = Primary.
struct StateChgReq {
  uint64_t id = 0;  // the requester's; echoed in the reply
  uint8_t role = 0;
};
// result: 1 granted; otherwise DRBD's negative state-change code (-1 two
// primaries, -19 concurrent state changes, ...).
struct StateChgReply {
  uint64_t id = 0;
  int32_t result = 0;
};

// Unsolicited, receiver -> sender (protocols B and C): a flush of the
// receiver's disk completed that covers every write of the epochs before
// `epoch` and the first `writes` writes of `epoch` — all it had received in
// that epoch, which was still open (its Barrier not yet arrived). An
// application flush waiting for `epoch` needs no BarrierAck when `writes` is
// all the sender sent in it (docs/formats/replication-peer.md).
struct EpochFlushed {
  uint32_t epoch = 0;
  uint32_t writes = 0;
};

using Message = std::variant<Hello, AuthResponse, Params, BitmapChunk, SyncUuid, State, Data,
                             BlockAck, Barrier, BarrierAck, RsRequest, RsReply, RsNegReply, RsDone,
                             UuidSet, OvReply, OvDone, Ping, PingAck, StateChgReq, StateChgReply,
                             EpochFlushed>;

// A decoded message with its frame type (BlockAck and RsRequest carry several).
struct Frame {
  Type type;
  Message message;
};

// Encodes the header and body. For Data and RsReply the payload is not copied:
// `head` holds header + fixed fields, `payload` the data (may be null).
struct Encoded {
  std::vector<uint8_t> head;
  Bytes payload;
  size_t size() const { return head.size() + (payload ? payload->size() : 0); }
};
Encoded encode(Type type, const Message& m);

// Cuts a byte stream into frames. feed() takes bytes as they arrive; next()
// returns the next whole frame, nullopt when more bytes are needed, or an
// Error (bad magic, unknown type, body too long, malformed body) after which
// the stream is unusable. A data-carrying frame (Data, RsReply, ReadReply)
// has its payload copied once, from the fed bytes straight into the buffer
// the message keeps.
class FrameReader {
 public:
  void feed(std::span<const uint8_t> bytes);
  // While a frame's payload is arriving: the part of its buffer still to fill,
  // so that the caller can read socket bytes straight into it (empty
  // otherwise). payload_filled(n) then reports that the first n bytes of that
  // span now hold the next bytes of the stream; it is feed() without a copy.
  std::span<uint8_t> payload_space();
  void payload_filled(size_t n);
  // Owns the buffer payload_space() points into (keep it while a read into
  // it is pending).
  std::shared_ptr<const void> payload_owner() const { return payload_; }
  Result<std::optional<Frame>> next();
  size_t buffered() const;

 private:
  enum class Phase : uint8_t { kHeader, kBody, kFixed, kPayload };
  void complete(Result<Message> m);
  Phase phase_ = Phase::kHeader;
  std::vector<uint8_t> part_;  // header, body, or the fixed fields so far
  size_t want_ = kHeaderBytes;
  Type type_ = Type::kPing;
  uint32_t body_len_ = 0;
  std::shared_ptr<std::vector<uint8_t>> payload_;
  size_t payload_have_ = 0;
  std::deque<Result<Frame>> ready_;
  bool failed_ = false;
};

// Decodes one frame body (without the header).
Result<Message> decode(Type type, std::span<const uint8_t> body);

}  // namespace quorate::replication::wire
