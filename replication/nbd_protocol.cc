// NbdServerCodec (see nbd_protocol.h): the fixed newstyle handshake and the
// transmission phase with simple replies, as a byte-in/byte-out state machine.
#include "replication/nbd_protocol.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace quorate::replication::nbd {

namespace {

void put16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
void put64(std::vector<uint8_t>& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
void put_bytes(std::vector<uint8_t>& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

uint16_t get16(std::span<const uint8_t> b, size_t at) {
  assert(at + 2 <= b.size());
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
uint32_t get32(std::span<const uint8_t> b, size_t at) {
  assert(at + 4 <= b.size());
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = (v << 8) | b[at + i];
  return v;
}
uint64_t get64(std::span<const uint8_t> b, size_t at) {
  assert(at + 8 <= b.size());
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i) v = (v << 8) | b[at + i];
  return v;
}

std::string_view as_text(std::span<const uint8_t> b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Export names go into log lines and error messages: keep them short and
// printable.
std::string printable(std::string_view s) {
  std::string out;
  for (const char c : s.substr(0, 64)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u >= 0x20 && u < 0x7f) ? c : '?';
  }
  if (s.size() > 64) out += "...";
  return out;
}

constexpr uint16_t kKnownCommandFlags = kCmdFlagFua | kCmdFlagNoHole;

}  // namespace

uint32_t nbd_error_from_errno(int error) {
  switch (error) {
    case 0: return 0;
    case EPERM:
    case EROFS: return kErrPerm;
    case EIO: return kErrIo;
    case ENOMEM: return kErrNoMem;
    case EINVAL: return kErrInval;
    case ENOSPC:
    case EDQUOT:
    case EFBIG: return kErrNoSpc;
    case EOVERFLOW: return kErrOverflow;
    case ENOTSUP: return kErrNotSup;  // == EOPNOTSUPP on Linux
    case ESHUTDOWN: return kErrShutdown;
    default: return kErrIo;
  }
}

std::string_view nbd_error_name(uint32_t nbd_error) {
  switch (nbd_error) {
    case 0: return "OK";
    case kErrPerm: return "EPERM";
    case kErrIo: return "EIO";
    case kErrNoMem: return "ENOMEM";
    case kErrInval: return "EINVAL";
    case kErrNoSpc: return "ENOSPC";
    case kErrOverflow: return "EOVERFLOW";
    case kErrNotSup: return "ENOTSUP";
    case kErrShutdown: return "ESHUTDOWN";
    default: return "E?";
  }
}

std::string_view option_name(uint32_t option) {
  switch (option) {
    case kOptExportName: return "NBD_OPT_EXPORT_NAME";
    case kOptAbort: return "NBD_OPT_ABORT";
    case kOptList: return "NBD_OPT_LIST";
    case kOptStartTls: return "NBD_OPT_STARTTLS";
    case kOptInfo: return "NBD_OPT_INFO";
    case kOptGo: return "NBD_OPT_GO";
    case kOptStructuredReply: return "NBD_OPT_STRUCTURED_REPLY";
    case kOptListMetaContext: return "NBD_OPT_LIST_META_CONTEXT";
    case kOptSetMetaContext: return "NBD_OPT_SET_META_CONTEXT";
    default: return "unknown option";
  }
}

std::string_view command_name(uint16_t type) {
  switch (type) {
    case 0: return "READ";
    case 1: return "WRITE";
    case 2: return "DISC";
    case 3: return "FLUSH";
    case 4: return "TRIM";
    case 5: return "CACHE";
    case 6: return "WRITE_ZEROES";
    case 7: return "BLOCK_STATUS";
    default: return "unknown";
  }
}

NbdServerCodec::NbdServerCodec(const ExportDirectory& exports, CodecLimits limits)
    : exports_(exports), limits_(limits), phase_(&NbdServerCodec::step_client_flags) {
  assert(limits_.max_in_flight_requests > 0);
  put64(out_, kMagicNbd);
  put64(out_, kMagicOption);
  put16(out_, kFlagFixedNewstyle | kFlagNoZeroes);
  assert(out_.size() == kGreetingBytes);
}

void NbdServerCodec::consume(std::span<const uint8_t> bytes) {
  if (closed_) return;
  // Compact before growing: what was decoded is gone.
  if (in_pos_ > 0 && in_pos_ == in_.size()) {
    in_.clear();
    in_pos_ = 0;
  } else if (in_pos_ > (1u << 20) && in_pos_ * 2 > in_.size()) {
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_pos_));
    in_pos_ = 0;
  }
  // A WRITE payload goes straight into the request's buffer: one copy.
  if (auto space = payload_space(); !space.empty()) {
    const size_t n = std::min(space.size(), bytes.size());
    std::memcpy(space.data(), bytes.data(), n);
    payload_have_ += n;
    bytes = bytes.subspan(n);
  }
  in_.insert(in_.end(), bytes.begin(), bytes.end());
  while (!closed_ && (this->*phase_)()) {
  }
}

std::span<uint8_t> NbdServerCodec::payload_space() {
  if (closed_ || phase_ != &NbdServerCodec::step_write_payload || !partial_write_ || in_pos_ != in_.size()) {
    return {};
  }
  return std::span<uint8_t>(partial_write_->payload).subspan(payload_have_);
}

void NbdServerCodec::payload_received(size_t n) {
  if (closed_) return;
  assert(n <= payload_space().size());
  payload_have_ += n;
  while (!closed_ && (this->*phase_)()) {
  }
}

std::span<const uint8_t> NbdServerCodec::available() const {
  return std::span<const uint8_t>(in_).subspan(in_pos_);
}

void NbdServerCodec::eat(size_t n) {
  assert(in_pos_ + n <= in_.size());
  in_pos_ += n;
}

bool NbdServerCodec::want_input() const { return !closed_ && !blocked_by_limits(); }

bool NbdServerCodec::blocked_by_limits() const {
  if (!in_transmission() || pending_.empty()) return false;
  return pending_.size() >= limits_.max_in_flight_requests ||
         in_flight_bytes_ >= limits_.max_in_flight_bytes;
}

std::vector<uint8_t> NbdServerCodec::take_output() { return std::exchange(out_, {}); }
std::vector<Event> NbdServerCodec::take_events() { return std::exchange(events_, {}); }

void NbdServerCodec::close(std::string reason, bool clean) {
  if (closed_) return;
  closed_ = true;
  // A read may be under way into this buffer (payload_space): keep it.
  if (partial_write_) retired_payload_ = std::move(partial_write_->payload);
  partial_write_.reset();
  in_.clear();
  in_pos_ = 0;
  events_.emplace_back(Closed{std::move(reason), clean});
}

void NbdServerCodec::shutdown(std::string_view why) { close(std::string(why), true); }

// --- Handshake ---------------------------------------------------------------

bool NbdServerCodec::step_client_flags() {
  const auto b = available();
  if (b.size() < 4) return false;
  const uint32_t flags = get32(b, 0);
  eat(4);
  const uint32_t unknown = flags & ~(kClientFlagFixedNewstyle | kClientFlagNoZeroes);
  if (unknown != 0) {
    close(fmt::format("handshake: client flags 0x{:08x} carry unknown bits 0x{:08x}", flags,
                      unknown),
          false);
    return false;
  }
  fixed_newstyle_ = (flags & kClientFlagFixedNewstyle) != 0;
  no_zeroes_ = (flags & kClientFlagNoZeroes) != 0;
  phase_ = &NbdServerCodec::step_option;
  return true;
}

bool NbdServerCodec::step_option() {
  const auto b = available();
  if (b.size() < 16) return false;
  const uint64_t magic = get64(b, 0);
  if (magic != kMagicOption) {
    close(fmt::format("handshake: option {} starts with 0x{:016x}, expected IHAVEOPT "
                      "(0x{:016x})",
                      options_seen_ + 1, magic, kMagicOption),
          false);
    return false;
  }
  const uint32_t option = get32(b, 8);
  const uint32_t length = get32(b, 12);
  if (++options_seen_ > kMaxOptions) {
    close(fmt::format("handshake: more than {} options without entering transmission",
                      kMaxOptions),
          false);
    return false;
  }
  if (length > kMaxOptionBytes) {
    if (option == kOptExportName) {
      close(fmt::format("handshake: NBD_OPT_EXPORT_NAME with {} bytes of name (limit {})", length,
                        kMaxStringBytes),
            false);
      return false;
    }
    eat(16);
    skip_option_ = option;
    skip_bytes_ = length;
    phase_ = &NbdServerCodec::step_skip_option;
    return true;
  }
  if (b.size() < 16 + size_t{length}) return false;
  // Copy: handling may queue output but never touches in_.
  const std::vector<uint8_t> data(b.begin() + 16, b.begin() + 16 + length);
  eat(16 + size_t{length});
  handle_option(option, data);
  return !closed_;
}

bool NbdServerCodec::step_skip_option() {
  const auto b = available();
  const uint64_t n = std::min<uint64_t>(b.size(), skip_bytes_);
  eat(static_cast<size_t>(n));
  skip_bytes_ -= n;
  if (skip_bytes_ > 0) return false;
  phase_ = &NbdServerCodec::step_option;
  if (!fixed_newstyle_) {
    close(fmt::format("handshake: oversized {} from a client without fixed newstyle",
                      option_name(skip_option_)),
          false);
    return false;
  }
  option_error(skip_option_, kRepErrTooBig,
               fmt::format("option data longer than {} bytes", kMaxOptionBytes));
  return true;
}

void NbdServerCodec::handle_option(uint32_t option, std::span<const uint8_t> data) {
  if (option == kOptExportName) {
    handle_export_name(data);
    return;
  }
  if (!fixed_newstyle_) {
    // Without fixed newstyle the client cannot parse option replies.
    close(fmt::format("handshake: {} ({}) from a client that did not set "
                      "NBD_FLAG_C_FIXED_NEWSTYLE; only NBD_OPT_EXPORT_NAME is possible",
                      option_name(option), option),
          false);
    return;
  }
  switch (option) {
    case kOptAbort:
      option_reply(option, kRepAck, {});
      close("client sent NBD_OPT_ABORT", true);
      return;
    case kOptList:
      handle_list(data);
      return;
    case kOptInfo:
    case kOptGo:
      handle_info_or_go(option, data);
      return;
    case kOptStructuredReply:
      option_error(option, kRepErrUnsup, "structured replies are not supported; simple replies only");
      return;
    case kOptStartTls:
      option_error(option, kRepErrUnsup, "TLS is not supported (use the Unix socket)");
      return;
    default:
      option_error(option, kRepErrUnsup,
                   fmt::format("{} ({}) is not supported", option_name(option), option));
      return;
  }
}

void NbdServerCodec::handle_list(std::span<const uint8_t> data) {
  if (!data.empty()) {
    option_error(kOptList, kRepErrInvalid,
                 fmt::format("NBD_OPT_LIST carries {} bytes of data; it takes none", data.size()));
    return;
  }
  for (const ExportInfo& e : exports_.list()) {
    std::vector<uint8_t> reply;
    put32(reply, static_cast<uint32_t>(e.name.size()));
    put_bytes(reply, e.name);
    put_bytes(reply, e.description);
    option_reply(kOptList, kRepServer, reply);
  }
  option_reply(kOptList, kRepAck, {});
}

void NbdServerCodec::handle_info_or_go(uint32_t option, std::span<const uint8_t> data) {
  const std::string_view what = option_name(option);
  if (data.size() < 6) {
    option_error(option, kRepErrInvalid,
                 fmt::format("{} data is {} bytes; at least 6 needed", what, data.size()));
    return;
  }
  const uint32_t name_len = get32(data, 0);
  if (name_len > data.size() - 6) {
    option_error(option, kRepErrInvalid,
                 fmt::format("{}: name length {} exceeds the option's {} bytes of data", what,
                             name_len, data.size()));
    return;
  }
  const std::string_view name = as_text(data.subspan(4, name_len));
  const size_t count_at = 4 + size_t{name_len};
  const uint16_t count = get16(data, count_at);
  if (data.size() != count_at + 2 + size_t{count} * 2) {
    option_error(option, kRepErrInvalid,
                 fmt::format("{}: {} information requests need {} bytes of data, option has {}",
                             what, count, count_at + 2 + size_t{count} * 2, data.size()));
    return;
  }
  if (name_len > kMaxStringBytes) {
    option_error(option, kRepErrInvalid,
                 fmt::format("{}: export name of {} bytes (limit {})", what, name_len,
                             kMaxStringBytes));
    return;
  }
  bool want_name = false;
  bool want_description = false;
  for (uint16_t i = 0; i < count; ++i) {
    const uint16_t type = get16(data, count_at + 2 + size_t{i} * 2);
    if (type == kInfoName) want_name = true;
    if (type == kInfoDescription) want_description = true;
    // NBD_INFO_BLOCK_SIZE is always sent; unknown types are ignored.
  }
  const std::optional<ExportInfo> info = exports_.find(name);
  if (!info) {
    std::string known;
    for (const ExportInfo& e : exports_.list()) known += (known.empty() ? "" : ", ") + e.name;
    option_error(option, kRepErrUnknown,
                 name.empty()
                     ? fmt::format("no default export: name one of: {}", known)
                     : fmt::format("no export named '{}'; exports: {}", printable(name), known));
    return;
  }
  assert(info->min_block_bytes == 1 || info->min_block_bytes == 512);
  std::vector<uint8_t> reply;
  put16(reply, kInfoExport);
  put64(reply, info->size_bytes);
  put16(reply, transmission_flags(*info));
  option_reply(option, kRepInfo, reply);

  reply.clear();
  put16(reply, kInfoBlockSize);
  put32(reply, info->min_block_bytes);
  put32(reply, kPreferredBlockBytes);
  put32(reply, kMaxPayloadBytes);
  option_reply(option, kRepInfo, reply);

  if (want_name) {
    reply.clear();
    put16(reply, kInfoName);
    put_bytes(reply, info->name.substr(0, kMaxStringBytes));
    option_reply(option, kRepInfo, reply);
  }
  if (want_description && !info->description.empty()) {
    reply.clear();
    put16(reply, kInfoDescription);
    put_bytes(reply, info->description.substr(0, kMaxStringBytes));
    option_reply(option, kRepInfo, reply);
  }
  option_reply(option, kRepAck, {});
  if (option == kOptGo) enter_transmission(*info);
}

void NbdServerCodec::handle_export_name(std::span<const uint8_t> data) {
  const std::string_view name = as_text(data);
  const std::optional<ExportInfo> info = exports_.find(name);
  if (!info) {
    // EXPORT_NAME cannot be answered with an error: the spec says close.
    close(fmt::format("handshake: NBD_OPT_EXPORT_NAME for unknown export '{}'", printable(name)),
          false);
    return;
  }
  put64(out_, info->size_bytes);
  put16(out_, transmission_flags(*info));
  if (!no_zeroes_) out_.insert(out_.end(), 124, 0);
  enter_transmission(*info);
}

uint16_t NbdServerCodec::transmission_flags(const ExportInfo& info) const {
  uint16_t flags = kTxHasFlags | kTxSendFlush;
  if (info.writable) {
    flags |= kTxSendFua | kTxSendTrim | kTxSendWriteZeroes;
  } else {
    flags |= kTxReadOnly;
  }
  if (info.multi_conn) flags |= kTxCanMultiConn;
  return flags;
}

void NbdServerCodec::enter_transmission(const ExportInfo& info) {
  export_ = info;
  tx_flags_ = transmission_flags(info);
  phase_ = &NbdServerCodec::step_request;
  events_.emplace_back(ExportSelected{info, tx_flags_});
}

void NbdServerCodec::option_reply(uint32_t option, uint32_t type, std::span<const uint8_t> data) {
  put64(out_, kMagicOptionReply);
  put32(out_, option);
  put32(out_, type);
  put32(out_, static_cast<uint32_t>(data.size()));
  out_.insert(out_.end(), data.begin(), data.end());
}

void NbdServerCodec::option_error(uint32_t option, uint32_t type, std::string_view message) {
  assert((type & 0x80000000u) != 0);
  const std::string_view text = message.substr(0, kMaxStringBytes);
  option_reply(option, type,
               std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()),
                                        text.size()));
}

// --- Transmission ------------------------------------------------------------

bool NbdServerCodec::step_request() {
  if (blocked_by_limits()) return false;
  const auto b = available();
  if (b.size() < kRequestHeaderBytes) return false;
  const uint32_t magic = get32(b, 0);
  if (magic != kMagicRequest) {
    close(fmt::format("transmission: request starts with 0x{:08x}, expected 0x{:08x}; the "
                      "stream cannot be framed any more",
                      magic, kMagicRequest),
          false);
    return false;
  }
  const uint16_t flags = get16(b, 4);
  const uint16_t type = get16(b, 6);
  Request r;
  r.handle = get64(b, 8);
  r.offset = get64(b, 16);
  r.length = get32(b, 24);
  eat(kRequestHeaderBytes);
  r.fua = (flags & kCmdFlagFua) != 0;
  r.no_hole = (flags & kCmdFlagNoHole) != 0;

  if (type == static_cast<uint16_t>(Command::kWrite)) {
    if (r.length > kMaxPayloadBytes) {
      close(fmt::format("transmission: WRITE of {} bytes at offset {} exceeds the {}-byte "
                        "limit; closing the connection since the payload cannot be skipped "
                        "safely and the stream can no longer be framed",
                        r.length, r.offset, kMaxPayloadBytes),
            false);
      return false;
    }
    r.command = Command::kWrite;
    // Validate now, act once the payload is in.
    partial_write_error_ = check_request(r, flags, type);
    r.payload.resize(r.length);
    payload_have_ = 0;
    partial_write_ = std::move(r);
    phase_ = &NbdServerCodec::step_write_payload;
    return true;
  }
  const uint32_t error = check_request(r, flags, type);
  if (error != 0) {
    simple_reply(r.handle, error);
    events_.emplace_back(Notice{fmt::format("{} of {} bytes at offset {} refused with {}",
                                            command_name(type), r.length, r.offset,
                                            nbd_error_name(error))});
    return true;
  }
  r.command = static_cast<Command>(type);
  if (r.command == Command::kDisc) {
    close("client sent NBD_CMD_DISC", true);
    return false;
  }
  dispatch(std::move(r));
  return true;
}

bool NbdServerCodec::step_write_payload() {
  assert(partial_write_);
  const auto b = available();
  auto& payload = partial_write_->payload;
  const size_t n = std::min<size_t>(partial_write_->length - payload_have_, b.size());
  if (n > 0) {
    std::memcpy(payload.data() + payload_have_, b.data(), n);
    payload_have_ += n;
    eat(n);
  }
  if (payload_have_ < partial_write_->length) return false;
  Request r = std::move(*partial_write_);
  partial_write_.reset();
  phase_ = &NbdServerCodec::step_request;
  const uint32_t error = std::exchange(partial_write_error_, 0);
  if (error != 0) {
    simple_reply(r.handle, error);
    events_.emplace_back(Notice{fmt::format("WRITE of {} bytes at offset {} refused with {}",
                                            r.length, r.offset, nbd_error_name(error))});
    return true;
  }
  dispatch(std::move(r));
  return true;
}

uint32_t NbdServerCodec::check_request(const Request& r, uint16_t flags, uint16_t type) const {
  assert(export_);
  const ExportInfo& e = *export_;
  if ((flags & ~kKnownCommandFlags) != 0) return kErrInval;
  const bool writes = type == static_cast<uint16_t>(Command::kWrite) ||
                      type == static_cast<uint16_t>(Command::kTrim) ||
                      type == static_cast<uint16_t>(Command::kWriteZeroes);
  switch (type) {
    case static_cast<uint16_t>(Command::kDisc):
    case static_cast<uint16_t>(Command::kFlush):
      if ((flags & kCmdFlagNoHole) != 0) return kErrInval;
      return 0;
    case static_cast<uint16_t>(Command::kRead):
    case static_cast<uint16_t>(Command::kWrite):
    case static_cast<uint16_t>(Command::kTrim):
      if ((flags & kCmdFlagNoHole) != 0) return kErrInval;
      break;
    case static_cast<uint16_t>(Command::kWriteZeroes):
      break;
    default:
      return kErrInval;  // unknown command
  }
  if (writes && (tx_flags_ & kTxReadOnly) != 0) return kErrPerm;
  const bool payload_sized = type != static_cast<uint16_t>(Command::kTrim);
  if (payload_sized && r.length > kMaxPayloadBytes) return kErrInval;
  if (r.offset > e.size_bytes || r.length > e.size_bytes - r.offset) {
    return (type == static_cast<uint16_t>(Command::kWrite) ||
            type == static_cast<uint16_t>(Command::kWriteZeroes))
               ? kErrNoSpc
               : kErrInval;
  }
  if (e.min_block_bytes > 1 &&
      (r.offset % e.min_block_bytes != 0 || r.length % e.min_block_bytes != 0)) {
    return kErrInval;
  }
  return 0;
}

void NbdServerCodec::dispatch(Request request) {
  // Zero-length data commands succeed without touching the target.
  if (request.length == 0 && request.command != Command::kFlush) {
    simple_reply(request.handle, 0);
    return;
  }
  request.id = next_id_++;
  pending_.emplace(request.id, Pending{request.handle, request.command, request.length});
  if (request.command != Command::kFlush && request.command != Command::kTrim) {
    in_flight_bytes_ += request.length;
  }
  events_.emplace_back(std::move(request));
}

void NbdServerCodec::complete(uint64_t id, int error, std::span<const uint8_t> data) {
  const auto it = pending_.find(id);
  assert(it != pending_.end() && "complete() for a request that is not in flight");
  if (it == pending_.end()) return;
  const Pending p = it->second;
  pending_.erase(it);
  if (p.command != Command::kFlush && p.command != Command::kTrim) {
    assert(in_flight_bytes_ >= p.length);
    in_flight_bytes_ -= p.length;
  }
  uint32_t nbd_error = nbd_error_from_errno(error);
  if (p.command == Command::kRead && nbd_error == 0 && data.size() != p.length) {
    events_.emplace_back(Notice{fmt::format("READ of {} bytes returned {} bytes; answered EIO",
                                            p.length, data.size())});
    nbd_error = kErrIo;
  }
  if (p.command == Command::kRead && nbd_error == 0) {
    simple_reply(p.handle, 0, data);
  } else {
    simple_reply(p.handle, nbd_error);
  }
  // A freed slot may let buffered requests through.
  while (!closed_ && (this->*phase_)()) {
  }
}

void NbdServerCodec::simple_reply(uint64_t handle, uint32_t error, std::span<const uint8_t> data) {
  put32(out_, kMagicSimpleReply);
  put32(out_, error);
  put64(out_, handle);
  out_.insert(out_.end(), data.begin(), data.end());
}

}  // namespace quorate::replication::nbd
