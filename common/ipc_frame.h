// IPC framing between quorated and its clients (the quorate tool and every
// compatibility name): each message on the Unix stream socket is
//
//   uint32 length (big-endian) | length bytes of payload (a serialized
//                                 quorate.ipc.Request or Response)
//
// with 1 <= length <= kMaxIpcFrame. See docs/formats/ipc.md.
//
// IpcFrameDecoder is incremental: feed it whatever a read() returned, in any
// split, and take out complete payloads in order. A length of 0 or above
// kMaxIpcFrame is an error; the decoder then stays failed (the stream has lost
// its framing and the connection must be closed).
//
// Value types; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "common/result.h"

namespace google::protobuf {
class MessageLite;
}

namespace quorate {

inline constexpr size_t kIpcFrameHeaderBytes = 4;
inline constexpr size_t kMaxIpcFrame = size_t{1} << 20;  // 1 MiB of payload

// Appends header + payload to `out`. Precondition: 1 <= payload.size() <= kMaxIpcFrame.
void append_ipc_frame(std::string& out, std::string_view payload);
// Header + payload. Same precondition.
std::string encode_ipc_frame(std::string_view payload);

// Serializes `message` and frames it. Errors: serialization failed, or the
// serialized message is empty or larger than kMaxIpcFrame. (A message whose
// fields are all default serializes to zero bytes; Request and Response always
// carry a body, so that only happens by mistake.)
Result<std::string> encode_ipc_message(const google::protobuf::MessageLite& message);

class IpcFrameDecoder {
 public:
  IpcFrameDecoder() = default;

  // Consumes `bytes`. Returns an error (and stays failed, ignoring any later
  // input) when a frame header announces length 0 or more than kMaxIpcFrame.
  // Frames completed before the bad header are still available from next().
  Status feed(std::string_view bytes);

  // Removes and returns the oldest complete payload; false when none is ready.
  bool next(std::string* payload);

  // Complete payloads waiting for next().
  size_t ready() const { return frames_.size(); }
  // True when bytes of an unfinished frame (header or payload) are buffered:
  // a peer closing now has sent half a frame.
  bool mid_frame() const { return header_fill_ > 0 || want_ > 0; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }

 private:
  std::deque<std::string> frames_;
  uint8_t header_[kIpcFrameHeaderBytes] = {};
  size_t header_fill_ = 0;
  size_t want_ = 0;      // payload bytes still missing for the current frame
  std::string partial_;  // payload bytes received so far for the current frame
  bool failed_ = false;
  std::string error_;
};

}  // namespace quorate
