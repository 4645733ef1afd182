// Internals of membership/totem.cc shared with totem_membership.cc.
#pragma once

#include <cstdint>
#include <string>

#include "membership/totem.h"
#include "proto/totem.pb.h"

namespace quorate::membership {

constexpr int kMaxRtr = 256;  // retransmit requests carried by one token

struct Totem::Stored {
  totem::Mcast m;
};

struct Totem::Pending {
  std::string payload;
  bool safe = false;
  uint32_t index = 0;
  uint32_t count = 1;
  uint64_t msg_id = 0;
};

struct Totem::Assembly {
  uint32_t next_index = 0;
  uint64_t last_seq = 0;  // fragments of one message hold consecutive seqs
  std::string payload;
};

inline RingId ring_of(const totem::Ring& r) { return RingId{r.rep(), r.seq()}; }
inline void set_ring(totem::Ring* out, const RingId& r) {
  out->set_rep(r.rep);
  out->set_seq(r.seq);
}

}  // namespace quorate::membership
