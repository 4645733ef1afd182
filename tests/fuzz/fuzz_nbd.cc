// libFuzzer target: arbitrary client bytes fed to NbdServerCodec in chunk
// sizes taken from the input, either from the first byte of the handshake or
// (first input byte odd) after a valid NBD_OPT_GO, i.e. in transmission.
// Requests are completed in an input-driven order with input-driven errors.
// Payload bytes go in through consume() or, as the server reads large
// payloads, straight into payload_space() (input-driven), and the codec may
// be shut down while such a read is "under way": the span then still takes
// the bytes (ASan: the buffer must not have been freed).
// Never a crash; the in-flight limit and the input buffer bound always hold;
// after Closed no new request appears.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <span>
#include <vector>

#include "replication/nbd_protocol.h"

namespace nbd = quorate::replication::nbd;

namespace {

class Directory : public nbd::ExportDirectory {
 public:
  std::optional<nbd::ExportInfo> find(std::string_view name) const override {
    if (name.empty() || name == "r0") return info();
    return std::nullopt;
  }
  std::vector<nbd::ExportInfo> list() const override { return {info()}; }

 private:
  static nbd::ExportInfo info() {
    nbd::ExportInfo e;
    e.name = "r0";
    e.description = "fuzz";
    e.size_bytes = 1 << 20;
    e.writable = true;
    return e;
  }
};

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  Directory dir;
  nbd::CodecLimits limits;
  limits.max_in_flight_requests = 4;
  limits.max_in_flight_bytes = 1 << 20;
  nbd::NbdServerCodec codec(dir, limits);
  const bool transmission = (data[0] & 1) != 0;
  const uint8_t chunk_seed = data[1];
  std::span<const uint8_t> in(data + 2, size - 2);
  if (transmission) {
    const std::vector<uint8_t> go = {0, 0, 0, 3, 'I', 'H', 'A', 'V', 'E', 'O', 'P', 'T', 0, 0, 0,
                                     7, 0, 0, 0, 8, 0, 0, 0, 2, 'r', '0', 0, 0};
    codec.consume(go);
    check(codec.in_transmission());
  }
  std::deque<nbd::Request> pending;
  bool closed = false;
  size_t at = 0;
  size_t step = 0;
  auto drain = [&] {
    (void)codec.take_output();
    for (nbd::Event& ev : codec.take_events()) {
      if (auto* r = std::get_if<nbd::Request>(&ev)) {
        check(!closed);
        // FLUSH ignores offset and length; every other request is in bounds,
        // and only TRIM may exceed the payload limit.
        if (r->command != nbd::Command::kFlush) {
          check(r->length <= nbd::kMaxPayloadBytes || r->command == nbd::Command::kTrim);
          check(r->offset + r->length <= (1u << 20));
        }
        if (r->command == nbd::Command::kWrite) check(r->payload.size() == r->length);
        pending.push_back(std::move(*r));
      } else if (std::holds_alternative<nbd::Closed>(ev)) {
        closed = true;
      }
    }
    check(codec.in_flight() == pending.size());
    check(codec.in_flight() <= limits.max_in_flight_requests);
  };
  drain();
  while (at < in.size() || (!pending.empty())) {
    ++step;
    const uint8_t selector = in[(at + step) % in.size()];
    if (!pending.empty() && (selector % 3 == 0 || !codec.want_input() || at >= in.size())) {
      const size_t pick = selector % pending.size();
      nbd::Request r = std::move(pending[pick]);
      pending.erase(pending.begin() + static_cast<std::ptrdiff_t>(pick));
      const int errors[] = {0, 0, EIO, EROFS, ENOSPC};
      const int err = errors[selector % 5];
      std::vector<uint8_t> payload;
      if (r.command == nbd::Command::kRead && err == 0) {
        payload.assign(selector % 7 == 0 ? r.length / 2 : r.length, 0x42);
      }
      codec.complete(r.id, err, payload);
      drain();
      continue;
    }
    if (at >= in.size()) break;
    if (!codec.want_input() && !codec.closed()) continue;
    const size_t chunk = 1 + (static_cast<size_t>(chunk_seed) * step + selector) % 97;
    const size_t n = std::min(chunk, in.size() - at);
    if (auto space = codec.payload_space(); !space.empty() && selector % 4 != 0) {
      const size_t m = std::min(n, space.size());
      if (selector % 11 == 0) codec.shutdown("fuzz: stop during a payload read");
      std::memcpy(space.data(), in.data() + at, m);
      codec.payload_received(m);
      at += m;
    } else {
      codec.consume(in.subspan(at, n));
      at += n;
    }
    check(codec.buffered_input_bytes() <= 97 + nbd::kRequestHeaderBytes + nbd::kMaxPayloadBytes);
    drain();
  }
  if (closed) check(codec.finished() == pending.empty());
  return 0;
}
