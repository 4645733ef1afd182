// IPC frame codec: 4-byte big-endian length + payload (see ipc_frame.h and
// docs/formats/ipc.md).
#include "common/ipc_frame.h"

#include <fmt/format.h>
#include <google/protobuf/message_lite.h>

#include <algorithm>
#include <cassert>

namespace quorate {

void append_ipc_frame(std::string& out, std::string_view payload) {
  assert(!payload.empty() && payload.size() <= kMaxIpcFrame);
  const auto n = static_cast<uint32_t>(payload.size());
  const char header[kIpcFrameHeaderBytes] = {
      static_cast<char>((n >> 24) & 0xff), static_cast<char>((n >> 16) & 0xff),
      static_cast<char>((n >> 8) & 0xff), static_cast<char>(n & 0xff)};
  out.append(header, kIpcFrameHeaderBytes);
  out.append(payload);
}

std::string encode_ipc_frame(std::string_view payload) {
  std::string out;
  out.reserve(kIpcFrameHeaderBytes + payload.size());
  append_ipc_frame(out, payload);
  return out;
}

Result<std::string> encode_ipc_message(const google::protobuf::MessageLite& message) {
  std::string body;
  if (!message.SerializeToString(&body)) {
    return Error{"cannot serialize IPC message (missing fields?)"};
  }
  if (body.empty()) {
    return Error{"refusing to send an empty IPC message"};
  }
  if (body.size() > kMaxIpcFrame) {
    return Error{fmt::format("IPC message of {} bytes exceeds the {} byte frame limit", body.size(),
                             kMaxIpcFrame)};
  }
  return encode_ipc_frame(body);
}

Status IpcFrameDecoder::feed(std::string_view bytes) {
  if (failed_) return Error{error_};
  while (!bytes.empty()) {
    if (want_ == 0) {
      // Collecting the 4-byte header.
      const size_t take = std::min(kIpcFrameHeaderBytes - header_fill_, bytes.size());
      std::copy_n(bytes.data(), take, header_ + header_fill_);
      header_fill_ += take;
      bytes.remove_prefix(take);
      if (header_fill_ < kIpcFrameHeaderBytes) break;
      header_fill_ = 0;
      const uint32_t n = (uint32_t{header_[0]} << 24) | (uint32_t{header_[1]} << 16) |
                         (uint32_t{header_[2]} << 8) | uint32_t{header_[3]};
      if (n == 0 || n > kMaxIpcFrame) {
        failed_ = true;
        error_ = n == 0 ? std::string("IPC frame with length 0")
                        : fmt::format("IPC frame length {} exceeds the limit of {} bytes", n,
                                      kMaxIpcFrame);
        return Error{error_};
      }
      want_ = n;
      partial_.clear();
      partial_.reserve(std::min<size_t>(n, 64 * 1024));
      continue;
    }
    // Collecting payload bytes.
    const size_t take = std::min(want_, bytes.size());
    partial_.append(bytes.data(), take);
    want_ -= take;
    bytes.remove_prefix(take);
    if (want_ == 0) {
      frames_.push_back(std::move(partial_));
      partial_ = std::string();
    }
  }
  return Status::Ok();
}

bool IpcFrameDecoder::next(std::string* payload) {
  if (frames_.empty()) return false;
  *payload = std::move(frames_.front());
  frames_.pop_front();
  return true;
}

}  // namespace quorate
