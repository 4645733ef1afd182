// Small value types shared by the membership cores and the layers above them.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <vector>

namespace quorate::membership {

using NodeId = uint32_t;

// Time is an input to every core: microseconds since an arbitrary epoch
// (steady clock in the daemon, simulated clock in tests/sim).
using Time = std::chrono::microseconds;
constexpr Time ms(int64_t v) { return std::chrono::milliseconds(v); }

// A ring's identity: its representative (lowest member id at formation) and a
// sequence number that grows with every new ring a node takes part in.
// Printed like Corosync's tools print it: "REP.SEQHEX" (e.g. "1.e").
struct RingId {
  NodeId rep = 0;
  uint64_t seq = 0;
  auto operator<=>(const RingId&) const = default;
  std::string str() const;
};

// A configuration handed to the layer above. Regular configurations are rings
// that reached Operational; a transitional configuration (the old members
// that moved on together) precedes each regular one, as in Extended Virtual
// Synchrony: messages of the old ring delivered after the transitional
// configuration were not known to reach every member of the old ring.
struct Configuration {
  RingId ring;
  bool transitional = false;
  std::vector<NodeId> members;  // sorted
  std::vector<NodeId> joined;   // regular only: members not in the previous regular configuration
  std::vector<NodeId> left;     // previous regular members not here
};

}  // namespace quorate::membership
