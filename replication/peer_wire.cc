#include "replication/peer_wire.h"

#include <cassert>

#include <cstring>
#include <type_traits>

#include <fmt/format.h>

namespace quorate::replication::wire {

namespace {

class Writer {
 public:
  explicit Writer(std::vector<uint8_t>& out) : out_(out) {}
  void u8(uint8_t v) { out_.push_back(v); }
  void u16(uint16_t v) { le(v, 2); }
  void u32(uint32_t v) { le(v, 4); }
  void u64(uint64_t v) { le(v, 8); }
  void bytes(std::span<const uint8_t> b) {
    u32(static_cast<uint32_t>(b.size()));
    out_.insert(out_.end(), b.begin(), b.end());
  }
  void str(const std::string& s) {
    bytes(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  }
  void raw(std::span<const uint8_t> b) { out_.insert(out_.end(), b.begin(), b.end()); }

 private:
  void le(uint64_t v, int n) {
    for (int i = 0; i < n; ++i) out_.push_back(static_cast<uint8_t>(v >> (8 * i)));
  }
  std::vector<uint8_t>& out_;
};

class Reader {
 public:
  explicit Reader(std::span<const uint8_t> in) : in_(in) {}
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  size_t left() const { return in_.size() - pos_; }
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint16_t u16() { return static_cast<uint16_t>(le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }
  std::vector<uint8_t> bytes(size_t max) {
    const uint32_t n = u32();
    if (!ok_ || n > max || n > left()) {
      ok_ = false;
      return {};
    }
    std::vector<uint8_t> v(in_.begin() + static_cast<std::ptrdiff_t>(pos_),
                           in_.begin() + static_cast<std::ptrdiff_t>(pos_ + n));
    pos_ += n;
    return v;
  }
  std::string str(size_t max) {
    const auto v = bytes(max);
    return std::string(v.begin(), v.end());
  }
  std::span<const uint8_t> rest() {
    auto r = in_.subspan(pos_);
    pos_ = in_.size();
    return r;
  }
  void raw(uint8_t* out, size_t n) {
    if (!ok_ || n > left()) {
      ok_ = false;
      return;
    }
    std::memcpy(out, in_.data() + pos_, n);
    pos_ += n;
  }

 private:
  uint64_t le(int n) {
    if (!ok_ || static_cast<size_t>(n) > left()) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | in_[pos_ + static_cast<size_t>(i)];
    pos_ += static_cast<size_t>(n);
    return v;
  }
  std::span<const uint8_t> in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

void put_uuids(Writer& w, const Uuids& u) {
  w.u64(u.current);
  w.u64(u.bitmap);
  w.u64(u.history[0]);
  w.u64(u.history[1]);
}
Uuids get_uuids(Reader& r) {
  Uuids u;
  u.current = r.u64();
  u.bitmap = r.u64();
  u.history[0] = r.u64();
  u.history[1] = r.u64();
  return u;
}

template <typename T>
bool holds(Type type) {
  switch (type) {
    case Type::kHello: return std::is_same_v<T, Hello>;
    case Type::kAuthResponse: return std::is_same_v<T, AuthResponse>;
    case Type::kParams: return std::is_same_v<T, Params>;
    case Type::kBitmap: return std::is_same_v<T, BitmapChunk>;
    case Type::kSyncUuid: return std::is_same_v<T, SyncUuid>;
    case Type::kState: return std::is_same_v<T, State>;
    case Type::kData: return std::is_same_v<T, Data>;
    case Type::kRecvAck:
    case Type::kWriteAck:
    case Type::kNegAck:
    case Type::kRsWriteAck:
    case Type::kSuperseded:
    case Type::kRetryWrite: return std::is_same_v<T, BlockAck>;
    case Type::kBarrier: return std::is_same_v<T, Barrier>;
    case Type::kBarrierAck: return std::is_same_v<T, BarrierAck>;
    case Type::kRsRequest:
    case Type::kOvRequest: return std::is_same_v<T, RsRequest>;
    case Type::kRsReply: return std::is_same_v<T, RsReply>;
    case Type::kRsNegReply: return std::is_same_v<T, RsNegReply>;
    case Type::kRsDone: return std::is_same_v<T, RsDone>;
    case Type::kUuids: return std::is_same_v<T, UuidSet>;
    case Type::kOvReply: return std::is_same_v<T, OvReply>;
    case Type::kOvDone: return std::is_same_v<T, OvDone>;
    case Type::kPing: return std::is_same_v<T, Ping>;
    case Type::kPingAck: return std::is_same_v<T, PingAck>;
    case Type::kReadRequest: return std::is_same_v<T, RsRequest>;
    case Type::kReadReply: return std::is_same_v<T, RsReply>;
    case Type::kStateChgReq: return std::is_same_v<T, StateChgReq>;
    case Type::kStateChgReply: return std::is_same_v<T, StateChgReply>;
    case Type::kEpochFlushed: return std::is_same_v<T, EpochFlushed>;
  }
  return false;
}

bool known_type(uint8_t t) { return t >= 1 && t <= static_cast<uint8_t>(Type::kRetryWrite); }

// Bytes of fixed fields before the payload of a data-carrying frame; 0 for
// the other types.
size_t fixed_bytes(Type t) {
  switch (t) {
    case Type::kData: return 26;
    case Type::kRsReply:
    case Type::kReadReply: return 20;
    default: return 0;
  }
}

// Data, RsReply and ReadReply: the fixed fields and the payload (null when
// there is none), checked against each other. decode() and FrameReader (which
// fills the payload buffer straight from the stream) both build them here.
Result<Message> payload_message(Type type, std::span<const uint8_t> fixed, Bytes payload) {
  const size_t n = payload ? payload->size() : 0;
  auto fail = [&](std::string_view what) -> Result<Message> {
    return Error{fmt::format("malformed {} message ({} bytes): {}", static_cast<int>(type), fixed.size() + n, what)};
  };
  Reader r(fixed);
  const uint64_t id = r.u64();
  const uint64_t offset = r.u64();
  const uint32_t length = r.u32();
  if (type == Type::kData) {
    Data d;
    d.id = id;
    d.offset = offset;
    d.length = length;
    d.epoch = r.u32();
    d.dflags = r.u16();
    if (!r.ok() || !r.at_end()) return fail("truncated");
    if (d.length == 0 || d.length > kMaxDataBytes || d.length % 512 || d.offset % 512) {
      return fail(fmt::format("bad length {} or offset {}", d.length, d.offset));
    }
    if (d.dflags & (kDZeroes | kDTrim)) {
      if (n != 0) return fail("zeroes/trim carries data");
    } else {
      if (n != d.length) return fail("payload length differs from the header");
      d.payload = std::move(payload);
    }
    return Message{std::move(d)};
  }
  if (!r.ok() || !r.at_end()) return fail("truncated");
  // RsReply: whole 4 KiB blocks, never empty. ReadReply: 512-byte sectors;
  // empty means the peer could not read.
  const uint64_t align = type == Type::kRsReply ? 4096 : 512;
  const bool empty_ok = type == Type::kReadReply;
  if ((length == 0 && !empty_ok) || length > kMaxDataBytes || n != length || offset % align || length % align) {
    return fail("payload length differs from the header or is misaligned");
  }
  RsReply p;
  p.id = id;
  p.offset = offset;
  p.length = length;
  if (n != 0) p.payload = std::move(payload);
  return Message{std::move(p)};
}

}  // namespace

Encoded encode(Type type, const Message& m) {
  Encoded e;
  std::vector<uint8_t>& b = e.head;
  b.resize(kHeaderBytes);
  Writer w(b);
  std::visit(
      [&](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if (!holds<T>(type)) std::abort();  // a programming error, never input
        if constexpr (std::is_same_v<T, Hello>) {
          w.u32(msg.version);
          w.raw(msg.challenge);
          w.str(msg.node);
          w.str(msg.resource);
        } else if constexpr (std::is_same_v<T, AuthResponse>) {
          w.bytes(msg.mac);
        } else if constexpr (std::is_same_v<T, Params>) {
          w.u8(msg.protocol);
          w.u8(msg.role);
          w.u8(msg.disk);
          w.u8(msg.after_sb[0]);
          w.u8(msg.after_sb[1]);
          w.u8(msg.after_sb[2]);
          w.u32(msg.flags);
          w.u64(msg.data_bytes);
          put_uuids(w, msg.uuids);
          w.u64(msg.bitmap_weight);
          w.u64(msg.tiebreak);
        } else if constexpr (std::is_same_v<T, BitmapChunk>) {
          w.u64(msg.first_bit);
          w.u64(msg.bit_count);
          w.u8(msg.last ? 1 : 0);
          w.bytes(msg.rle);
        } else if constexpr (std::is_same_v<T, SyncUuid>) {
          w.u64(msg.uuid);
        } else if constexpr (std::is_same_v<T, StateChgReq>) {
          w.u64(msg.id);
          w.u8(msg.role);
        } else if constexpr (std::is_same_v<T, StateChgReply>) {
          w.u64(msg.id);
          w.u32(static_cast<uint32_t>(msg.result));
        } else if constexpr (std::is_same_v<T, State>) {
          w.u8(msg.role);
          w.u8(msg.disk);
          w.u32(msg.flags);
        } else if constexpr (std::is_same_v<T, Data>) {
          w.u64(msg.id);
          w.u64(msg.offset);
          w.u32(msg.length);
          w.u32(msg.epoch);
          w.u16(msg.dflags);
          e.payload = msg.payload;
        } else if constexpr (std::is_same_v<T, BlockAck>) {
          w.u64(msg.id);
          w.u64(msg.offset);
          w.u32(msg.length);
        } else if constexpr (std::is_same_v<T, Barrier>) {
          w.u32(msg.epoch);
        } else if constexpr (std::is_same_v<T, BarrierAck>) {
          w.u32(msg.epoch);
          w.u32(msg.writes);
        } else if constexpr (std::is_same_v<T, EpochFlushed>) {
          w.u32(msg.epoch);
          w.u32(msg.writes);
        } else if constexpr (std::is_same_v<T, RsRequest>) {
          w.u64(msg.id);
          w.u64(msg.offset);
          w.u32(msg.length);
        } else if constexpr (std::is_same_v<T, RsReply>) {
          w.u64(msg.id);
          w.u64(msg.offset);
          w.u32(msg.length);
          e.payload = msg.payload;
        } else if constexpr (std::is_same_v<T, RsNegReply>) {
          w.u64(msg.id);
        } else if constexpr (std::is_same_v<T, RsDone>) {
        } else if constexpr (std::is_same_v<T, UuidSet>) {
          put_uuids(w, msg.uuids);
          w.u32(msg.flags);
        } else if constexpr (std::is_same_v<T, OvReply>) {
          w.u64(msg.id);
          w.u64(msg.offset);
          w.u32(msg.length);
          w.bytes(msg.digests);
        } else if constexpr (std::is_same_v<T, OvDone>) {
          w.u64(msg.out_of_sync_blocks);
        } else if constexpr (std::is_same_v<T, Ping> || std::is_same_v<T, PingAck>) {
        }
      },
      m);
  const size_t body = b.size() - kHeaderBytes + (e.payload ? e.payload->size() : 0);
  if (body > kMaxBodyBytes) std::abort();  // callers split data at kMaxDataBytes
  for (int i = 0; i < 4; ++i) b[static_cast<size_t>(i)] = static_cast<uint8_t>(kMagic >> (8 * i));
  b[4] = static_cast<uint8_t>(type);
  b[5] = 0;
  b[6] = 0;
  b[7] = 0;
  for (int i = 0; i < 4; ++i) b[8 + static_cast<size_t>(i)] = static_cast<uint8_t>(body >> (8 * i));
  return e;
}

Result<Message> decode(Type type, std::span<const uint8_t> body) {
  Reader r(body);
  auto fail = [&](std::string_view what) -> Result<Message> {
    return Error{fmt::format("malformed {} message ({} bytes): {}", static_cast<int>(type),
                             body.size(), what)};
  };
  if (const size_t fixed = fixed_bytes(type); fixed != 0) {
    if (body.size() < fixed) return fail("truncated");
    const auto rest = body.subspan(fixed);
    Bytes payload = rest.empty() ? nullptr : std::make_shared<const std::vector<uint8_t>>(rest.begin(), rest.end());
    return payload_message(type, body.first(fixed), std::move(payload));
  }
  Message out = Ping{};
  switch (type) {
    case Type::kHello: {
      Hello h;
      h.version = r.u32();
      r.raw(h.challenge.data(), h.challenge.size());
      h.node = r.str(255);
      h.resource = r.str(255);
      out = std::move(h);
      break;
    }
    case Type::kAuthResponse: {
      AuthResponse a;
      a.mac = r.bytes(64);
      out = std::move(a);
      break;
    }
    case Type::kParams: {
      Params p;
      p.protocol = r.u8();
      p.role = r.u8();
      p.disk = r.u8();
      p.after_sb[0] = r.u8();
      p.after_sb[1] = r.u8();
      p.after_sb[2] = r.u8();
      p.flags = r.u32();
      p.data_bytes = r.u64();
      p.uuids = get_uuids(r);
      p.bitmap_weight = r.u64();
      p.tiebreak = r.u64();
      if (p.protocol > 2 || p.role > 2 || p.disk > 8) return fail("enum out of range");
      out = p;
      break;
    }
    case Type::kBitmap: {
      BitmapChunk c;
      c.first_bit = r.u64();
      c.bit_count = r.u64();
      c.last = r.u8() != 0;
      c.rle = r.bytes(kMaxBodyBytes);
      out = std::move(c);
      break;
    }
    case Type::kSyncUuid: out = SyncUuid{r.u64()}; break;
    case Type::kState: {
      State s;
      s.role = r.u8();
      s.disk = r.u8();
      s.flags = r.u32();
      if (s.role > 2 || s.disk > 8) return fail("enum out of range");
      out = s;
      break;
    }
    case Type::kRecvAck:
    case Type::kWriteAck:
    case Type::kNegAck:
    case Type::kRsWriteAck:
    case Type::kSuperseded:
    case Type::kRetryWrite: {
      BlockAck a;
      a.id = r.u64();
      a.offset = r.u64();
      a.length = r.u32();
      out = a;
      break;
    }
    case Type::kBarrier: out = Barrier{r.u32()}; break;
    case Type::kBarrierAck: {
      BarrierAck a;
      a.epoch = r.u32();
      a.writes = r.u32();
      out = a;
      break;
    }
    case Type::kRsRequest:
    case Type::kOvRequest: {
      RsRequest q;
      q.id = r.u64();
      q.offset = r.u64();
      q.length = r.u32();
      if (r.ok() && (q.length == 0 || q.length > kMaxDataBytes || q.length % 4096 ||
                     q.offset % 4096)) {
        return fail(fmt::format("bad request length {} or offset {}", q.length, q.offset));
      }
      out = q;
      break;
    }
    case Type::kRsNegReply: out = RsNegReply{r.u64()}; break;
    case Type::kRsDone: out = RsDone{}; break;
    case Type::kUuids: {
      UuidSet u;
      u.uuids = get_uuids(r);
      u.flags = r.u32();
      out = u;
      break;
    }
    case Type::kOvReply: {
      OvReply o;
      o.id = r.u64();
      o.offset = r.u64();
      o.length = r.u32();
      o.digests = r.bytes(kMaxBodyBytes);
      out = std::move(o);
      break;
    }
    case Type::kOvDone: out = OvDone{r.u64()}; break;
    case Type::kReadRequest: {
      RsRequest q;
      q.id = r.u64();
      q.offset = r.u64();
      q.length = r.u32();
      if (r.ok() && (q.length == 0 || q.length > kMaxDataBytes || q.length % 512 || q.offset % 512)) {
        return fail(fmt::format("bad read length {} or offset {}", q.length, q.offset));
      }
      out = q;
      break;
    }
    case Type::kPing: out = Ping{}; break;
    case Type::kPingAck: out = PingAck{}; break;
    case Type::kStateChgReq: {
      StateChgReq q;
      q.id = r.u64();
      q.role = r.u8();
      if (r.ok() && q.role != 1) return fail("state change: only promotion (role Primary) is defined");
      out = q;
      break;
    }
    case Type::kStateChgReply: {
      StateChgReply p;
      p.id = r.u64();
      p.result = static_cast<int32_t>(r.u32());
      out = p;
      break;
    }
    case Type::kEpochFlushed: {
      EpochFlushed f;
      f.epoch = r.u32();
      f.writes = r.u32();
      if (r.ok() && (f.epoch == 0 || f.writes == 0)) {
        return fail(fmt::format("epoch flushed: epoch {} with {} writes (both must be at least 1)", f.epoch,
                                f.writes));
      }
      out = f;
      break;
    }
    case Type::kData:
    case Type::kRsReply:
    case Type::kReadReply: break;  // payload_message() above
  }
  if (!r.ok()) return fail("truncated");
  if (!r.at_end()) return fail("trailing bytes");
  return out;
}

size_t FrameReader::buffered() const {
  return part_.size() + (phase_ == Phase::kPayload ? payload_have_ : 0);
}

void FrameReader::complete(Result<Message> m) {
  if (!m.ok()) {
    failed_ = true;
    ready_.emplace_back(m.error());
  } else {
    ready_.emplace_back(Frame{type_, std::move(m).value()});
  }
  phase_ = Phase::kHeader;
  want_ = kHeaderBytes;
  part_.clear();
  payload_.reset();
  payload_have_ = 0;
}

void FrameReader::feed(std::span<const uint8_t> bytes) {
  while (!bytes.empty() && !failed_) {
    if (phase_ == Phase::kPayload) {
      const size_t n = std::min(bytes.size(), payload_->size() - payload_have_);
      std::memcpy(payload_->data() + payload_have_, bytes.data(), n);
      payload_have_ += n;
      bytes = bytes.subspan(n);
    } else {
      const size_t n = std::min(bytes.size(), want_ - part_.size());
      part_.insert(part_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      bytes = bytes.subspan(n);
      if (part_.size() < want_) return;
    }
    switch (phase_) {
      case Phase::kHeader: {
        const uint8_t* h = part_.data();
        const uint32_t magic = static_cast<uint32_t>(h[0]) | (static_cast<uint32_t>(h[1]) << 8) |
                               (static_cast<uint32_t>(h[2]) << 16) | (static_cast<uint32_t>(h[3]) << 24);
        if (magic != kMagic) {
          failed_ = true;
          ready_.emplace_back(Error{fmt::format("bad frame magic 0x{:08x}", magic)});
          return;
        }
        if (!known_type(h[4])) {
          failed_ = true;
          ready_.emplace_back(Error{fmt::format("unknown frame type {}", h[4])});
          return;
        }
        type_ = static_cast<Type>(h[4]);
        body_len_ = static_cast<uint32_t>(h[8]) | (static_cast<uint32_t>(h[9]) << 8) |
                    (static_cast<uint32_t>(h[10]) << 16) | (static_cast<uint32_t>(h[11]) << 24);
        if (body_len_ > kMaxBodyBytes) {
          failed_ = true;
          ready_.emplace_back(Error{fmt::format("frame body of {} bytes is too long", body_len_)});
          return;
        }
        part_.clear();
        const size_t fixed = fixed_bytes(type_);
        if (fixed != 0 && body_len_ > fixed) {
          phase_ = Phase::kFixed;
          want_ = fixed;
        } else {
          phase_ = Phase::kBody;
          want_ = body_len_;
          if (want_ == 0) complete(decode(type_, {}));
        }
        break;
      }
      case Phase::kBody:
        complete(decode(type_, part_));
        break;
      case Phase::kFixed:
        payload_ = std::make_shared<std::vector<uint8_t>>(body_len_ - part_.size());
        payload_have_ = 0;
        phase_ = Phase::kPayload;
        break;
      case Phase::kPayload:
        if (payload_have_ == payload_->size()) complete(payload_message(type_, part_, std::move(payload_)));
        break;
    }
  }
}

std::span<uint8_t> FrameReader::payload_space() {
  if (failed_ || phase_ != Phase::kPayload) return {};
  return std::span<uint8_t>(payload_->data() + payload_have_, payload_->size() - payload_have_);
}

void FrameReader::payload_filled(size_t n) {
  assert(phase_ == Phase::kPayload && n <= payload_->size() - payload_have_);
  payload_have_ += n;
  if (payload_have_ == payload_->size()) complete(payload_message(type_, part_, std::move(payload_)));
}

Result<std::optional<Frame>> FrameReader::next() {
  if (ready_.empty()) return std::optional<Frame>{};
  Result<Frame> f = std::move(ready_.front());
  ready_.pop_front();
  if (!f.ok()) return f.error();
  return std::optional<Frame>(std::move(f).value());
}

}  // namespace quorate::replication::wire
