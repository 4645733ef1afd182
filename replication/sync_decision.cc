#include "replication/sync_decision.h"

namespace quorate::replication {

namespace {

using Kind = SyncDecision::Kind;

bool same(uint64_t a, uint64_t b) { return a != 0 && uuid_base(a) == uuid_base(b); }

SyncDecision make(Kind k, bool full, std::string reason) {
  SyncDecision d;
  d.kind = k;
  d.full = full;
  d.reason = std::move(reason);
  return d;
}

// +1: this node wins (is the source), -1: it loses, 0: no verdict.
int tiebreak(const SideInfo& self, const SideInfo& peer) {
  if (self.tiebreak == peer.tiebreak) return 0;
  return self.tiebreak > peer.tiebreak ? 1 : -1;
}

// Generations that point at each other: no bitmap is known to cover the
// other side's changes, so every block moves. Consistent data, then a
// Primary's, then the tie-break is the source.
SyncDecision crossed(const SideInfo& self, const SideInfo& peer, const std::string& what) {
  int v = 0;
  if (self.consistent != peer.consistent) v = self.consistent ? 1 : -1;
  else if (self.primary != peer.primary) v = self.primary ? 1 : -1;
  else v = tiebreak(self, peer);
  if (v == 0) return make(Kind::kDisconnect, false, what + " and no tie-break");
  return make(v > 0 ? Kind::kSource : Kind::kTarget, true, what + "; full sync");
}

int least_changes(const SideInfo& self, const SideInfo& peer) {
  if (self.bitmap_weight != peer.bitmap_weight) return self.bitmap_weight < peer.bitmap_weight ? -1 : 1;
  return tiebreak(self, peer);
}

int verdict_0pri(AfterSb0 policy, const SideInfo& self, const SideInfo& peer) {
  // The role bit of a bitmap UUID says whether the node was Primary when its
  // generation split off: the one that was not became Primary later (younger).
  const bool self_was_pri = (self.uuids.bitmap & kUuidRoleBit) != 0;
  const bool peer_was_pri = (peer.uuids.bitmap & kUuidRoleBit) != 0;
  switch (policy) {
    case AfterSb0::kDisconnect:
    case AfterSb0::kDiscardLocal:   // per-node victims need node-specific
    case AfterSb0::kDiscardRemote:  // configs; refused (docs/formats)
      return 0;
    case AfterSb0::kDiscardYoungerPrimary:
      if (self_was_pri != peer_was_pri) return self_was_pri ? 1 : -1;
      return least_changes(self, peer);
    case AfterSb0::kDiscardOlderPrimary:
      if (self_was_pri != peer_was_pri) return self_was_pri ? -1 : 1;
      return least_changes(self, peer);
    case AfterSb0::kDiscardZeroChanges:
      if (self.bitmap_weight == 0 && peer.bitmap_weight == 0) return tiebreak(self, peer);
      if (self.bitmap_weight == 0) return -1;
      if (peer.bitmap_weight == 0) return 1;
      return 0;
    case AfterSb0::kDiscardLeastChanges:
      return least_changes(self, peer);
  }
  return 0;
}

SyncDecision resolve_split_brain(const SideInfo& self, const SideInfo& peer, const SbPolicies& p) {
  SyncDecision d;
  d.split_brain = true;
  auto out = [&](int verdict, std::string why) {
    d.kind = verdict > 0 ? Kind::kSource : verdict < 0 ? Kind::kTarget : Kind::kDisconnect;
    d.reason = std::move(why);
    return d;
  };
  if (self.discard_my_data != peer.discard_my_data) {
    return out(self.discard_my_data ? -1 : 1, "split brain resolved by --discard-my-data");
  }
  if (self.discard_my_data) return out(0, "split brain: both nodes asked --discard-my-data");
  const int primaries = (self.primary ? 1 : 0) + (peer.primary ? 1 : 0);
  if (primaries == 0) {
    const int v = verdict_0pri(p.pri0, self, peer);
    return out(v, v ? "split brain resolved by after-sb-0pri" : "split brain: after-sb-0pri gives no verdict");
  }
  if (primaries == 1) {
    const bool self_is_pri = self.primary;
    const int v0 = verdict_0pri(p.pri0 == AfterSb0::kDisconnect ? AfterSb0::kDiscardLeastChanges : p.pri0,
                                self, peer);
    const int secondary_loses = self_is_pri ? 1 : -1;  // verdict that discards the Secondary
    switch (p.pri1) {
      case AfterSb1::kDisconnect:
        return out(0, "split brain: after-sb-1pri is disconnect");
      case AfterSb1::kDiscardSecondary:
        return out(secondary_loses, "split brain resolved by after-sb-1pri discard-secondary");
      case AfterSb1::kConsensus:
        if (verdict_0pri(p.pri0, self, peer) == secondary_loses) {
          return out(secondary_loses, "split brain resolved by after-sb-1pri consensus");
        }
        return out(0, "split brain: after-sb-1pri consensus found no agreement");
      case AfterSb1::kCallPriLostAfterSb:
      case AfterSb1::kViolentlyAs0p:
        if (v0 == secondary_loses) return out(v0, "split brain resolved by after-sb-1pri (0pri verdict)");
        // The verdict discards the Primary's data: it may not become a
        // sync target while Primary; the handler runs there.
        d.pri_lost_handler = self_is_pri && p.pri1 == AfterSb1::kCallPriLostAfterSb;
        return out(0, "split brain: the 0pri verdict discards the Primary; it must be demoted first");
    }
  }
  // Both Primary.
  if (p.pri2 == AfterSb2::kCallPriLostAfterSb) {
    const int v0 = verdict_0pri(p.pri0 == AfterSb0::kDisconnect ? AfterSb0::kDiscardLeastChanges : p.pri0,
                                self, peer);
    d.pri_lost_handler = v0 < 0;
  }
  return out(0, "split brain with two Primaries: not resolved automatically");
}

SyncDecision decide_raw(const SideInfo& self, const SideInfo& peer, const SbPolicies& policies) {
  const Uuids& s = self.uuids;
  const Uuids& o = peer.uuids;
  const bool self_new = uuid_base(s.current) == kUuidJustCreated;
  const bool peer_new = uuid_base(o.current) == kUuidJustCreated;
  if (self_new && peer_new) return make(Kind::kNoSync, false, "both disks are just created");
  if (peer_new) return make(Kind::kSource, true, "the peer's meta data is just created");
  if (self_new) return make(Kind::kTarget, true, "this node's meta data is just created");

  if (same(s.current, o.current)) {
    if (self.crashed_primary && peer.crashed_primary) {
      const int t = tiebreak(self, peer);
      if (t == 0) return make(Kind::kDisconnect, false, "both crashed primaries and no tie-break");
      return make(t > 0 ? Kind::kSource : Kind::kTarget, false,
                  "both were crashed primaries; tie-break decides");
    }
    if (self.crashed_primary) return make(Kind::kSource, false, "this node was a crashed primary");
    if (peer.crashed_primary) return make(Kind::kTarget, false, "the peer was a crashed primary");
    if (self.bitmap_weight == 0 && peer.bitmap_weight == 0) {
      return make(Kind::kNoSync, false, "in sync");
    }
    // Same generation with out-of-sync bits (online verify found some):
    // a Primary's data wins, else the node that ran the verify, else tie-break.
    int v = 0;
    if (self.primary != peer.primary) v = self.primary ? 1 : -1;
    else if (self.verify_source != peer.verify_source) v = self.verify_source ? 1 : -1;
    else v = tiebreak(self, peer);
    if (v == 0) return make(Kind::kDisconnect, false, "out-of-sync blocks and no tie-break");
    return make(v > 0 ? Kind::kSource : Kind::kTarget, false,
                "same generation with out-of-sync blocks (online verify)");
  }
  // Each rule below holds for this node as a source or as a target; the
  // peer evaluates the same two predicates with the roles swapped. When both
  // hold (the generations cross, e.g. a source that crashed right after
  // starting a resync), the verdict must not depend on which side asks.
  const bool bm_source = same(s.bitmap, o.current);
  const bool bm_target = same(o.bitmap, s.current);
  if (bm_source && bm_target) return crossed(self, peer, "each side's bitmap generation is the other's data");
  if (bm_source) return make(Kind::kSource, false, "the peer's data is our bitmap generation");
  if (bm_target) return make(Kind::kTarget, false, "our data is the peer's bitmap generation");
  bool hist_target = false, hist_source = false;
  for (uint64_t h : o.history) hist_target = hist_target || same(s.current, h);
  for (uint64_t h : s.history) hist_source = hist_source || same(h, o.current);
  if (hist_source && hist_target) return crossed(self, peer, "each side's data is in the other's history");
  if (hist_target) return make(Kind::kTarget, true, "our data is in the peer's history");
  if (hist_source) return make(Kind::kSource, true, "the peer's data is in our history");
  if (same(s.bitmap, o.bitmap)) {
    SyncDecision d = resolve_split_brain(self, peer, policies);
    return d;
  }
  for (uint64_t hs : s.history) {
    for (uint64_t ho : o.history) {
      if (same(hs, ho)) {
        SyncDecision d = make(Kind::kDisconnect, false,
                              "split brain with unrelated ancestry (only history UUIDs match)");
        d.split_brain = true;
        if (self.discard_my_data != peer.discard_my_data) {
          d.kind = self.discard_my_data ? Kind::kTarget : Kind::kSource;
          d.full = true;
          d.reason = "split brain resolved by --discard-my-data (full sync: no common bitmap)";
        }
        return d;
      }
    }
  }
  return make(Kind::kDisconnect, false, "unrelated data: the generation identifiers share nothing");
}

}  // namespace

SyncDecision decide_sync(const SideInfo& self, const SideInfo& peer, const SbPolicies& policies) {
  SyncDecision d = decide_raw(self, peer, policies);
  // Two Inconsistent disks: neither can serve a resync (every request would be
  // refused and the sync would never end); they stay Connected until the
  // operator forces one Primary, which then fully syncs the other.
  if (!self.consistent && !peer.consistent && d.kind != Kind::kDisconnect) {
    SyncDecision n = make(Kind::kNoSync, false, d.reason + "; but both disks are Inconsistent: no sync until one is forced Primary");
    n.split_brain = d.split_brain;  // still reported
    return n;
  }
  // Inconsistent data never serves as a source: a consistent peer's data wins
  // (a bitmap sync when the generations allow it, else every block).
  if (self.consistent != peer.consistent && d.kind != Kind::kDisconnect) {
    const Kind want = self.consistent ? Kind::kSource : Kind::kTarget;
    if (d.kind != want || d.kind == Kind::kNoSync) {
      d.full = true;
      d.reason += "; the Inconsistent side becomes the target of a full sync";
    }
    d.kind = want;
  }
  // A Primary with consistent data is never made a sync target: its data is
  // in use (DRBD's rr-conflict disconnect). Both sides see both roles, so
  // both refuse. A Primary whose disk is Inconsistent (a replaced disk
  // attached, pass_on errors while connected) serves from its peer already
  // and takes no writes without it: as in DRBD, it becomes the target — but
  // only when it holds nothing the peer lacks: not after a split brain, and
  // not when the peer's data is an older generation of its own (it wrote
  // alone, then its disk went Inconsistent: the operator decides).
  const auto ahead = [](const SideInfo& a, const SideInfo& b) {
    if (same(a.uuids.bitmap, b.uuids.current)) return true;
    for (uint64_t h : a.uuids.history) {
      if (same(h, b.uuids.current)) return true;
    }
    return false;
  };
  const auto keeps_its_data = [&](const SideInfo& a, const SideInfo& b) {
    return a.consistent || d.split_brain || ahead(a, b);
  };
  const bool self_target = d.kind == Kind::kTarget && self.primary && keeps_its_data(self, peer);
  const bool peer_target = d.kind == Kind::kSource && peer.primary && keeps_its_data(peer, self);
  // Two Primaries do not resync (a Primary source's own writes and the
  // target's cross the resync requests): one is demoted first.
  if (self.primary && peer.primary && (d.kind == Kind::kSource || d.kind == Kind::kTarget)) {
    d.kind = Kind::kDisconnect;
    d.reason += "; but both nodes are Primary (demote one to resync)";
    return d;
  }
  if (self_target || peer_target) {
    d.kind = Kind::kDisconnect;
    d.reason += "; but the sync target is Primary (demote it first)";
  }
  return d;
}

}  // namespace quorate::replication
