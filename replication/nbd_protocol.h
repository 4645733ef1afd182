// NbdServerCodec: the server side of one NBD connection as a sans-IO state
// machine (fixed newstyle handshake, then transmission with simple replies).
// docs/formats/nbd.md lists what we speak; the NBD spec is
// NetworkBlockDevice/nbd doc/proto.md.
//
// Use: construct (the server greeting is queued at once), feed the bytes the
// client sent with consume(), and after every call drain take_output() (bytes
// to send, in order) and take_events() (what the caller must do: bind an
// export, run a request, log a close). Each Request event must be answered
// exactly once with complete(id, errno, data); replies may come in any order.
// No sockets, clocks, threads or randomness inside.
//
// Back-pressure: at most `max_in_flight_requests` Request events (and
// `max_in_flight_bytes` of their lengths, one request always allowed) are
// outstanding; beyond that the codec keeps bytes buffered without decoding
// them and want_input() turns false, so the caller stops reading the socket
// until complete() frees a slot. Buffered input is therefore bounded by one
// read chunk plus one request (28 bytes + at most kMaxPayloadBytes).
//
// Ending: the codec never closes anything itself. It emits one Closed event
// (with a reason for the log) when the connection must end — NBD_CMD_DISC,
// NBD_OPT_ABORT, a protocol violation, shutdown() — and stops decoding input.
// finished() turns true once no request is in flight any more; the caller then
// sends what take_output() still holds and closes the socket.
//
// Ownership: reads exports through the ExportDirectory reference, which must
// outlive the codec. Not thread-safe: one thread drives one codec.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace quorate::replication::nbd {

// --- Wire constants (NBD spec) ---------------------------------------------
inline constexpr uint64_t kMagicNbd = 0x4e42444d41474943ULL;        // "NBDMAGIC"
inline constexpr uint64_t kMagicOption = 0x49484156454f5054ULL;     // "IHAVEOPT"
inline constexpr uint64_t kMagicOptionReply = 0x0003e889045565a9ULL;
inline constexpr uint32_t kMagicRequest = 0x25609513;
inline constexpr uint32_t kMagicSimpleReply = 0x67446698;

// Handshake flags (server, 16 bits) and client flags (32 bits).
inline constexpr uint16_t kFlagFixedNewstyle = 1u << 0;
inline constexpr uint16_t kFlagNoZeroes = 1u << 1;
inline constexpr uint32_t kClientFlagFixedNewstyle = 1u << 0;
inline constexpr uint32_t kClientFlagNoZeroes = 1u << 1;

// Options.
inline constexpr uint32_t kOptExportName = 1;
inline constexpr uint32_t kOptAbort = 2;
inline constexpr uint32_t kOptList = 3;
inline constexpr uint32_t kOptStartTls = 5;
inline constexpr uint32_t kOptInfo = 6;
inline constexpr uint32_t kOptGo = 7;
inline constexpr uint32_t kOptStructuredReply = 8;
inline constexpr uint32_t kOptListMetaContext = 9;
inline constexpr uint32_t kOptSetMetaContext = 10;

// Option reply types.
inline constexpr uint32_t kRepAck = 1;
inline constexpr uint32_t kRepServer = 2;
inline constexpr uint32_t kRepInfo = 3;
inline constexpr uint32_t kRepErrUnsup = 0x80000001;
inline constexpr uint32_t kRepErrPolicy = 0x80000002;
inline constexpr uint32_t kRepErrInvalid = 0x80000003;
inline constexpr uint32_t kRepErrUnknown = 0x80000006;
inline constexpr uint32_t kRepErrShutdown = 0x80000007;
inline constexpr uint32_t kRepErrTooBig = 0x80000009;

// NBD_INFO_* types in NBD_REP_INFO replies and OPT_INFO/GO requests.
inline constexpr uint16_t kInfoExport = 0;
inline constexpr uint16_t kInfoName = 1;
inline constexpr uint16_t kInfoDescription = 2;
inline constexpr uint16_t kInfoBlockSize = 3;

// Transmission flags (16 bits).
inline constexpr uint16_t kTxHasFlags = 1u << 0;
inline constexpr uint16_t kTxReadOnly = 1u << 1;
inline constexpr uint16_t kTxSendFlush = 1u << 2;
inline constexpr uint16_t kTxSendFua = 1u << 3;
inline constexpr uint16_t kTxSendTrim = 1u << 5;
inline constexpr uint16_t kTxSendWriteZeroes = 1u << 6;
inline constexpr uint16_t kTxCanMultiConn = 1u << 8;

// Command types and command flags.
enum class Command : uint16_t {
  kRead = 0,
  kWrite = 1,
  kDisc = 2,
  kFlush = 3,
  kTrim = 4,
  kWriteZeroes = 6,
};
inline constexpr uint16_t kCmdFlagFua = 1u << 0;
inline constexpr uint16_t kCmdFlagNoHole = 1u << 1;

// Error numbers in replies.
inline constexpr uint32_t kErrPerm = 1;
inline constexpr uint32_t kErrIo = 5;
inline constexpr uint32_t kErrNoMem = 12;
inline constexpr uint32_t kErrInval = 22;
inline constexpr uint32_t kErrNoSpc = 28;
inline constexpr uint32_t kErrOverflow = 75;
inline constexpr uint32_t kErrNotSup = 95;
inline constexpr uint32_t kErrShutdown = 108;

// --- Limits ------------------------------------------------------------------
inline constexpr uint32_t kMaxPayloadBytes = 32u << 20;   // READ/WRITE/WRITE_ZEROES length
inline constexpr uint32_t kPreferredBlockBytes = 4096;
inline constexpr uint32_t kMaxOptionBytes = 8192;         // larger option data is skipped
inline constexpr uint32_t kMaxStringBytes = 4096;         // export names (spec's limit)
inline constexpr uint32_t kMaxOptions = 1024;             // per connection, then close
inline constexpr size_t kRequestHeaderBytes = 28;
inline constexpr size_t kSimpleReplyHeaderBytes = 16;
inline constexpr size_t kGreetingBytes = 18;

// Maps a BlockTarget errno to the NBD error number (EROFS -> EPERM,
// EDQUOT/EFBIG -> ENOSPC, EOPNOTSUPP -> ENOTSUP, unknown -> EIO).
uint32_t nbd_error_from_errno(int error);
// "EPERM", "EINVAL", ... ("E?" for numbers outside the spec).
std::string_view nbd_error_name(uint32_t nbd_error);
std::string_view option_name(uint32_t option);  // "NBD_OPT_GO", "option 42"
std::string_view command_name(uint16_t type);   // "READ", "WRITE", ..., "unknown"

// What the codec learns about an export when a client asks for it.
struct ExportInfo {
  std::string name;          // canonical name (what "" resolves to)
  std::string description;   // sent for NBD_INFO_DESCRIPTION and in NBD_OPT_LIST
  uint64_t size_bytes = 0;
  bool writable = false;     // at option time; decides NBD_FLAG_READ_ONLY
  uint32_t min_block_bytes = 1;  // 1 or 512; requests not aligned to it get EINVAL
  bool multi_conn = true;    // NBD_FLAG_CAN_MULTI_CONN (flush covers all connections)
};

// The exports a codec can hand out. Implemented by ExportRegistry
// (nbd_server.h); tests use their own.
class ExportDirectory {
 public:
  virtual ~ExportDirectory() = default;
  // `name` as the client sent it; "" is the default export if there is one.
  virtual std::optional<ExportInfo> find(std::string_view name) const = 0;
  virtual std::vector<ExportInfo> list() const = 0;
};

// --- Events ------------------------------------------------------------------
// Transmission begins on this export (after OPT_GO's ACK or EXPORT_NAME's reply).
struct ExportSelected {
  ExportInfo info;
  uint16_t transmission_flags = 0;
};

// A request the caller must run on the export's target and then complete().
struct Request {
  uint64_t id = 0;       // codec-assigned, unique per connection
  uint64_t handle = 0;   // the client's opaque handle (for logs)
  Command command = Command::kRead;
  bool fua = false;
  bool no_hole = false;  // WRITE_ZEROES only
  uint64_t offset = 0;
  uint32_t length = 0;
  std::vector<uint8_t> payload;  // WRITE only; length bytes
};

// The connection must end; decoding has stopped. `clean`: the client asked
// (NBD_CMD_DISC, NBD_OPT_ABORT) or the server shuts down; otherwise a
// protocol violation, described in `reason`.
struct Closed {
  std::string reason;
  bool clean = false;
};

// A request answered with an error without reaching the target, or another
// line worth logging (the connection continues).
struct Notice {
  std::string text;
};

using Event = std::variant<ExportSelected, Request, Closed, Notice>;

struct CodecLimits {
  uint32_t max_in_flight_requests = 64;
  uint64_t max_in_flight_bytes = 64ull << 20;
};

class NbdServerCodec {
 public:
  explicit NbdServerCodec(const ExportDirectory& exports, CodecLimits limits = {});
  NbdServerCodec(const NbdServerCodec&) = delete;
  NbdServerCodec& operator=(const NbdServerCodec&) = delete;

  // Bytes received from the client. Ignored once Closed was emitted.
  void consume(std::span<const uint8_t> bytes);

  // While a WRITE's payload is being received and no other input is
  // buffered: the part of that request's buffer still to fill. Reading the
  // socket straight into it and reporting with payload_received(n) saves
  // the copy consume() makes. Empty otherwise. The memory stays valid for
  // the codec's lifetime, even if it closes meanwhile.
  std::span<uint8_t> payload_space();
  void payload_received(size_t n);

  // Answers Request `id`: `error` is an errno value (0 = success); `data` is
  // the read data for a successful READ (must be `length` bytes, else the
  // client gets EIO). Unknown ids are a caller bug (asserted).
  void complete(uint64_t id, int error, std::span<const uint8_t> data = {});

  // Server shutdown: stop decoding, emit Closed{clean}; in-flight requests
  // still complete and are answered.
  void shutdown(std::string_view why);

  std::vector<uint8_t> take_output();
  std::vector<Event> take_events();

  // False while the in-flight limit holds decoding back, or after Closed.
  bool want_input() const;
  // Closed was emitted and nothing is in flight: send the remaining output
  // and close the socket.
  bool finished() const { return closed_ && pending_.empty(); }
  bool closed() const { return closed_; }
  bool in_transmission() const { return phase_ == &NbdServerCodec::step_request; }
  size_t in_flight() const { return pending_.size(); }
  size_t buffered_input_bytes() const { return in_.size() - in_pos_; }

 private:
  using Step = bool (NbdServerCodec::*)();  // true: made progress, call again

  struct Pending {
    uint64_t handle;
    Command command;
    uint32_t length;
  };

  // Phases (one handler per phase, swapped on transition).
  bool step_client_flags();
  bool step_option();
  bool step_skip_option();
  bool step_request();
  bool step_write_payload();

  void handle_option(uint32_t option, std::span<const uint8_t> data);
  void handle_info_or_go(uint32_t option, std::span<const uint8_t> data);
  void handle_export_name(std::span<const uint8_t> data);
  void handle_list(std::span<const uint8_t> data);
  void enter_transmission(const ExportInfo& info);
  void dispatch(Request request);
  uint16_t transmission_flags(const ExportInfo& info) const;
  // Returns the NBD error for a malformed or out-of-range request, or 0.
  uint32_t check_request(const Request& r, uint16_t flags, uint16_t type) const;

  void close(std::string reason, bool clean);
  void option_reply(uint32_t option, uint32_t type, std::span<const uint8_t> data);
  void option_error(uint32_t option, uint32_t type, std::string_view message);
  void simple_reply(uint64_t handle, uint32_t error, std::span<const uint8_t> data = {});
  bool blocked_by_limits() const;
  std::span<const uint8_t> available() const;
  void eat(size_t n);

  const ExportDirectory& exports_;
  CodecLimits limits_;
  Step phase_;
  std::vector<uint8_t> in_;
  size_t in_pos_ = 0;
  std::vector<uint8_t> out_;
  std::vector<Event> events_;

  bool fixed_newstyle_ = false;
  bool no_zeroes_ = false;
  uint32_t options_seen_ = 0;
  uint32_t skip_option_ = 0;      // option whose data is being skipped
  uint64_t skip_bytes_ = 0;
  std::optional<ExportInfo> export_;  // set in transmission
  uint16_t tx_flags_ = 0;
  std::optional<Request> partial_write_;  // header decoded, payload pending
  size_t payload_have_ = 0;               // bytes of its payload received
  std::vector<uint8_t> retired_payload_;  // a closed codec's partial payload (see payload_space)
  uint32_t partial_write_error_ = 0;      // its NBD error, sent once the payload is in

  bool closed_ = false;
  uint64_t next_id_ = 1;
  uint64_t in_flight_bytes_ = 0;
  std::unordered_map<uint64_t, Pending> pending_;
};

}  // namespace quorate::replication::nbd
