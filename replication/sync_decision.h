// Who syncs from whom when two nodes connect: DRBD's generation-identifier
// rules (REPLICATION-FACTS.md §6) and the after-split-brain policies (§7), as
// one pure function.
//
// decide_sync(a, b) and decide_sync(b, a) always agree: when one says kSource
// the other says kTarget with the same `full`, and a disconnect on one side is
// a disconnect on the other. tests/unit/replication_engine checks this over
// random inputs.
#pragma once

#include <cstdint>
#include <string>

#include "replication/metadata.h"
#include "replication/res_config.h"  // AfterSb0/1/2

namespace quorate::replication {

struct SbPolicies {
  AfterSb0 pri0 = AfterSb0::kDisconnect;
  AfterSb1 pri1 = AfterSb1::kDisconnect;
  AfterSb2 pri2 = AfterSb2::kDisconnect;
};

// What one side tells the other at connect (wire::Params).
struct SideInfo {
  Uuids uuids;
  bool primary = false;
  bool crashed_primary = false;
  bool discard_my_data = false;
  bool verify_source = false;
  bool consistent = true;  // false: the disk is Inconsistent (mid-resync, invalidated)
  uint64_t bitmap_weight = 0;
  uint64_t tiebreak = 0;  // random; the larger wins symmetric ties
};

struct SyncDecision {
  enum class Kind : uint8_t {
    kNoSync,      // in sync (or both just created: nothing to sync yet)
    kSource,      // this node sends
    kTarget,      // this node receives
    kDisconnect,  // refuse: split brain not resolved, unrelated data, role conflict
  };
  Kind kind = Kind::kNoSync;
  bool full = false;          // every block, not only the bitmap's
  bool split_brain = false;   // a split brain was detected (resolved or not)
  bool pri_lost_handler = false;  // run pri-lost-after-sb on this node (it is the Primary victim)
  std::string reason;         // for the log: which rule decided
};

SyncDecision decide_sync(const SideInfo& self, const SideInfo& peer, const SbPolicies& policies);

}  // namespace quorate::replication
