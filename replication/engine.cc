// Replica: roles, users' requests, local I/O ordering and meta data. The peer
// connection is in engine_peer.cc, resync and verify in engine_sync.cc.
#include <algorithm>
#include <cassert>
#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "replication/engine_impl.h"

namespace quorate::replication {

namespace {
Error refuse(std::string_view what) { return Error{fmt::format("State change failed: {}", what)}; }
}  // namespace

// ---- construction and attach ---------------------------------------------

Replica::Impl::Impl(EngineOptions o, AttachState a, uint64_t seed, Millis t)
    : opt(std::move(o)),
      layout(a.layout),
      sb(a.superblock),
      bm(std::move(a.bitmap)),
      al(std::clamp<uint32_t>(opt.al_extents, 7, kAlExtentsMax), a.al.next_number, a.al.slots),
      rng(seed),
      now(t) {
  assert(bm.bits() == layout.bits());
  crashed_primary = sb.has(kMdPrimaryInd) && !sb.has(kMdCleanShutdown);
  if (sb.has(kMdPeerOutdated)) peer_disk = DiskState::kOutdated;  // fenced before this attach
  if (!sb.has(kMdConsistent)) {
    disk = DiskState::kInconsistent;
  } else if (sb.has(kMdOutdated)) {
    disk = DiskState::kOutdated;
  } else {
    // UpToDate or Outdated is decided when the peer is seen again.
    disk = DiskState::kConsistent;
  }
  if (sb.has(kMdUnorderedWrites)) {
    const bool same_boot = opt.boot_id != BootId{} && sb.boot_id == opt.boot_id;
    if (same_boot) {
      // Only the daemon restarted: the page cache holds every completed write.
      // The flag is cleared (after a flush) once idle.
      unordered = Unordered::kSet;
      last_unordered = now;
    } else {
      if (disk == DiskState::kConsistent) {
        warn(fmt::format("{}: the node went down while replicated writes of several epochs were in flight "
                         "and the page cache is gone (another boot): the last epochs may be torn, so the "
                         "disk is Outdated until a resync from the peer (primary --force takes it as it is)",
                         opt.resource));
        disk = DiskState::kOutdated;
        sb.set(kMdOutdated, true);
      }
      sb.set(kMdUnorderedWrites, false);
    }
  }
  info(fmt::format("{}: attached to disk of {} KiB (meta data {}), disk state {}{}", opt.resource,
                   layout.data_bytes / 1024, layout.internal ? "internal" : "external", name(disk),
                   crashed_primary ? "; was a crashed primary: its activity log is marked out of sync" : ""));
  // From now on the disk is in use: not clean until the next `down`.
  sb.set(kMdCleanShutdown, false);
  if (!crashed_primary) {
    write_superblock(true);
    return;
  }
  // The activity log's extents were set in the bitmap in memory. They must be
  // on disk before the superblock stops saying "crashed primary", or a second
  // crash in between would forget them. Nothing else starts meanwhile.
  ++md_gate;
  write_bitmap_pages(bm.take_dirty_pages(), [this] {
    sb.set(kMdPrimaryInd, false);
    --md_gate;
    write_superblock(true);
  });
}

Replica::Replica(EngineOptions options, AttachState attach, uint64_t seed, Millis now)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(attach), seed, now)) {}
Replica::~Replica() = default;

Result<AttachState> attach_from_bytes(const MdLayout& layout, std::span<const uint8_t> sb_area,
                                      std::span<const uint8_t> al_ring,
                                      std::span<const uint8_t> bm_area) {
  auto sb = decode_superblock_area(sb_area);
  if (!sb.ok()) return sb.error();
  if (sb->data_bytes != layout.data_bytes || sb->bm_bytes != layout.bm_bytes) {
    return Error{fmt::format("meta data describes {} bytes of data but the device (or `disk {{ size }}`) now "
                             "gives {}: the backing device or the configured size changed since create-md; "
                             "restore it (create-md again would start over with a full sync)",
                             sb->data_bytes, layout.data_bytes)};
  }
  AttachState a;
  a.layout = layout;
  a.superblock = *sb;
  a.al = recover_al(al_ring, sb->al_extents);
  a.bitmap = Bitmap(layout.bits());
  for (uint64_t p = 0; p < a.bitmap.pages(); ++p) {
    if ((p + 1) * kBlockBytes > bm_area.size()) break;
    a.bitmap.decode_page(p, bm_area.subspan(p * kBlockBytes, kBlockBytes));
  }
  (void)a.bitmap.take_dirty_pages();
  if (sb->has(kMdFullSync)) a.bitmap.set_all();
  if (sb->has(kMdPrimaryInd) && !sb->has(kMdCleanShutdown)) {
    const uint64_t blocks_per_extent = kAlExtentBytes / kBlockBytes;
    for (uint32_t e : a.al.slots) {
      if (e == kAlFreeSlot) continue;
      a.bitmap.set_range(uint64_t{e} * blocks_per_extent, (uint64_t{e} + 1) * blocks_per_extent - 1);
    }
  }
  return a;
}

std::vector<std::pair<uint64_t, std::vector<uint8_t>>> fresh_metadata(const MdLayout& layout,
                                                                      uint32_t al_extents,
                                                                      uint64_t device_uuid) {
  std::vector<std::pair<uint64_t, std::vector<uint8_t>>> out;
  // Bitmap and AL ring first (zero), the superblock last: an interrupted
  // create-md leaves no valid superblock behind.
  for (uint64_t off = 0; off < layout.bm_bytes; off += 1 << 20) {
    out.emplace_back(layout.bm_offset + off,
                     std::vector<uint8_t>(std::min<uint64_t>(1 << 20, layout.bm_bytes - off), 0));
  }
  out.emplace_back(layout.al_offset, std::vector<uint8_t>(kAlRingBytes, 0));
  Superblock sb;
  sb.seq = 2;  // copy 0; copy 1 stays zero (invalid)
  sb.uuids = Uuids{};
  sb.data_bytes = layout.data_bytes;
  sb.bm_bytes = layout.bm_bytes;
  sb.al_extents = std::clamp<uint32_t>(al_extents, 7, kAlExtentsMax);
  sb.device_uuid = device_uuid;
  sb.flags = kMdCleanShutdown;
  std::vector<uint8_t> area(kSuperblockBytes, 0);
  const auto copy = encode_superblock(sb);
  std::copy(copy.begin(), copy.end(), area.begin() + static_cast<std::ptrdiff_t>(superblock_copy_offset(sb.seq)));
  out.emplace_back(layout.sb_offset, std::move(area));
  return out;
}

// ---- helpers ---------------------------------------------------------------

void Replica::Impl::event(out::Event::Level l, std::string text) {
  outs.emplace_back(out::Event{l, std::move(text)});
}

uint64_t Replica::Impl::random_uuid() {
  uint64_t u = 0;
  while (uuid_base(u) == 0 || uuid_base(u) == kUuidJustCreated) u = rng();
  u &= ~kUuidRoleBit;
  if (role == Role::kPrimary) u |= kUuidRoleBit;
  return u;
}

void Replica::Impl::set_disk(DiskState d) {
  if (d == disk) return;
  info(fmt::format("{}: disk( {} -> {} )", opt.resource, name(disk), name(d)));
  disk = d;
  sb.set(kMdConsistent, d == DiskState::kUpToDate || d == DiskState::kConsistent ||
                            d == DiskState::kOutdated || (d == DiskState::kDiskless && sb.has(kMdConsistent)));
  if (d == DiskState::kUpToDate) {
    sb.set(kMdWasUpToDate, true);
    sb.set(kMdOutdated, false);
  }
  if (d == DiskState::kOutdated) sb.set(kMdOutdated, true);
  if (d == DiskState::kInconsistent) {
    sb.set(kMdWasUpToDate, false);
    sb.set(kMdOutdated, false);
  }
  if (transport_up && params_sent) send_state();
}

void Replica::Impl::set_role(Role r) {
  if (r == role) return;
  info(fmt::format("{}: role( {} -> {} )", opt.resource, name(role), name(r)));
  role = r;
  sb.set(kMdPrimaryInd, r == Role::kPrimary);
  if (transport_up && params_sent) send_state();
}

void Replica::Impl::new_generation() {
  // Without a disk there is no data to start a generation of: a diskless
  // Primary keeps the UUID of the data it exposes (the peer's).
  if (has_no_disk(disk)) return;
  if (sb.uuids.bitmap == 0) {
    sb.uuids.bitmap = sb.uuids.current;
  } else {
    sb.uuids.history[1] = sb.uuids.history[0];
    sb.uuids.history[0] = sb.uuids.current;
  }
  sb.uuids.current = random_uuid();
  info(fmt::format("{}: new current UUID {:016X}", opt.resource, sb.uuids.current));
}

bool Replica::Impl::peer_gets_writes() const {
  // WFBitMapS replicates: the bitmap already sent cannot carry a block written
  // now, so the write itself must reach the peer (or it would be lost when the
  // resync ends and the source clears its bitmap). So does a Primary that is
  // becoming the target (an Inconsistent disk): only the peer's copy of its
  // writes counts, and the resync fetches a block after the write reached it.
  const bool target_start = cs == ConnState::kWFBitMapT || cs == ConnState::kStartingSyncT;
  return transport_up && params_sent && peer_params && is_connected(cs) &&
         (!target_start || role == Role::kPrimary) && cs != ConnState::kStartingSyncS &&
         peer_disk != DiskState::kDiskless && peer_disk != DiskState::kFailed;
}

// ---- meta data -----------------------------------------------------------
//
// Every meta-data write is durable for its own blocks when it completes (the
// daemon writes with RWF_DSYNC); it does not make the data device durable.
// Where a meta-data block vouches for data written before it, the data device
// is flushed first — DRBD's PREFLUSH before its FUA meta-data write:
//  - bitmap pages with cleared bits (those blocks are in sync),
//  - UpToDate at the end of a resync, a clean `down`, demotion (the activity
//    log no longer covers what the Primary wrote), activity-log transactions
//    (the evicted extents are no longer resynced after a crash).
// Writes asked for while a round runs wait for the next one, which takes
// them all (the newest superblock and bitmap pages, encoded when the round
// starts, and so covered by its flush), so an older copy of a block never
// lands after a newer one. take_outputs() starts a round: whatever one input
// asks for (often pages and the superblock) goes out together.

void Replica::Impl::write_superblock(bool gate, std::function<void()> then, MdAfter after) {
  md_next.superblock = true;
  if (after == MdAfter::kData) md_next.flush_data = true;
  if (gate) {
    ++md_gate;
    ++md_next.gates;
  }
  ++md_next.requests;
  ++md_inflight;
  if (then) md_next.then.push_back(std::move(then));
}

void Replica::Impl::write_bitmap_pages(const std::vector<uint64_t>& pages, std::function<void()> then) {
  if (pages.empty()) {
    if (then) then();
    return;
  }
  md_next.pages.insert(md_next.pages.end(), pages.begin(), pages.end());
  ++md_next.requests;
  ++md_inflight;
  if (then) md_next.then.push_back(std::move(then));
}

void Replica::Impl::write_al_transaction(uint64_t offset, Bytes block, std::function<void()> then) {
  md_next.al.emplace_back(offset, std::move(block));
  md_next.flush_data = true;
  ++al_writes;
  ++md_next.requests;
  ++md_inflight;
  if (then) md_next.then.push_back(std::move(then));
}

void Replica::Impl::flush_dirty_bitmap() {
  if (disk == DiskState::kDiskless || disk == DiskState::kFailed) return;
  write_bitmap_pages(bm.take_dirty_pages());
}

void Replica::Impl::start_md_round() {
  if (md_round_running || md_next.requests == 0) return;
  auto round = std::make_shared<MdRound>(std::exchange(md_next, MdRound{}));
  md_round_running = true;
  std::vector<out::DiskIo> writes;
  auto add = [&](uint64_t offset, Bytes block) {
    out::DiskIo io;
    io.dev = out::DiskIo::Dev::kMeta;
    io.op = out::DiskIo::Op::kWrite;
    io.offset = offset;
    io.length = static_cast<uint32_t>(block->size());
    io.data = std::move(block);
    writes.push_back(std::move(io));
  };
  bool flush = round->flush_data;
  std::sort(round->pages.begin(), round->pages.end());
  round->pages.erase(std::unique(round->pages.begin(), round->pages.end()), round->pages.end());
  for (uint64_t p : round->pages) {
    if (bm.take_cleared(p)) flush = true;
    ++bm_writes;
    add(layout.bm_offset + p * kBlockBytes, std::make_shared<const std::vector<uint8_t>>(bm.encode_page(p)));
  }
  if (round->superblock) {
    ++sb.seq;
    add(layout.sb_offset + superblock_copy_offset(sb.seq),
        std::make_shared<const std::vector<uint8_t>>(encode_superblock(sb)));
  }
  for (auto& [offset, block] : round->al) add(offset, std::move(block));
  // Detached on purpose: the old device is let go (the operator may be
  // replacing it, even running create-md on its path); nothing is written
  // there any more. After an I/O error the writes go on, best effort: the
  // meta data should say the disk is no longer good.
  if (has_no_disk(disk) && disk_let_go) writes.clear();
  auto issue = [this, round, writes = std::move(writes)]() mutable {
    if (writes.empty()) return finish_md_round(*round);
    auto left = std::make_shared<size_t>(writes.size());
    for (auto& io : writes) {
      local_io(std::move(io), [this, round, left](int err, Bytes) {
        if (err) disk_failed("meta-data write", err, true);
        if (--*left == 0) finish_md_round(*round);
      });
    }
  };
  // Without a usable data device there is no data to vouch for.
  if (!flush || disk == DiskState::kDiskless || disk == DiskState::kFailed) return issue();
  out::DiskIo io;
  io.op = out::DiskIo::Op::kFlush;
  local_io(std::move(io), [this, issue = std::move(issue)](int err, Bytes) mutable {
    // The meta data is written all the same: its set bits must not be lost,
    // and on-io-error decides what becomes of a disk that failed a flush.
    if (err) disk_failed("flush before a meta-data write", err);
    issue();
  });
}

void Replica::Impl::finish_md_round(MdRound& round) {
  md_round_running = false;
  md_gate -= round.gates;
  md_inflight -= round.requests;
  pump_gated();
  for (auto& f : round.then) f();
  // A sync target's requests wait for its Inconsistent superblock: ask now,
  // not at the next tick (up to 100 ms of an idle link at every resync's start).
  if (sync && sync->target) generate_requests();
}

void Replica::Impl::abort_resync(const std::string& why, bool tell_peer) {
  if (!sync) return;
  if (sync->verify) {
    warn(fmt::format("{}: online verify stopped: {}", opt.resource, why));
  } else {
    warn(fmt::format("{}: resync stopped: {}; {} KB stay out of sync", opt.resource, why, bm.count() * 4));
  }
  if (sync->target && !sync->verify) {
    for (const auto& [id, range] : rs_inflight) rs_stale.insert(id);
    rs_inflight.clear();
  }
  sync.reset();
  if (cs != ConnState::kConnected && is_connected(cs)) set_cs(ConnState::kConnected);
  flush_dirty_bitmap();
  // The other side stops too (it may see no state change of ours).
  if (tell_peer && transport_up && params_sent) {
    send_state(kStateSyncStopped);
  }
}

void Replica::Impl::disk_failed(const char* what, int err, bool meta_data) {
  if (disk == DiskState::kDiskless || disk == DiskState::kFailed) return;
  // Whichever side it is, a resync cannot go on without this disk (a source
  // would refuse every request, a target fail every write: no end).
  abort_resync(fmt::format("this node's disk failed ({})", what));
  error(fmt::format("{}: local disk error ({}: errno {}); on-io-error {}{}", opt.resource, what, err,
                    opt.on_io_error == OnIoError::kDetach       ? "detach"
                    : opt.on_io_error == OnIoError::kPassOn     ? "pass_on"
                                                                : "call-local-io-error",
                    meta_data && opt.on_io_error != OnIoError::kDetach ? " (a meta-data error: detaching)" : ""));
  if (opt.on_io_error == OnIoError::kPassOn && !meta_data) {
    // pass_on: the disk stays attached but no longer vouches for its data
    // (Inconsistent until a resync); the caller marks the failed blocks out
    // of sync, and reads go to the peer.
    if (disk != DiskState::kInconsistent) {
      set_disk(DiskState::kInconsistent);
      write_superblock(false);
    }
    return;
  }
  if (opt.on_io_error == OnIoError::kCallLocalIoError) handler("local-io-error");
  set_disk(DiskState::kFailed);
  set_disk(DiskState::kDiskless);
  // One last try to record on the disk that it is no longer good; then it is
  // let go (create-md may run on its path before `attach`).
  write_superblock(false, [this] {
    if (has_no_disk(disk)) disk_let_go = true;
  });
  // Waiting I/O will never be issued; fail it.
  auto w = std::move(waiting);
  waiting.clear();
  for (auto& io : w) io.done(EIO, nullptr);
}

// ---- local I/O ordering ----------------------------------------------------

bool Replica::Impl::conflicts(const out::DiskIo& a, const out::DiskIo& b) const {
  if (a.dev != b.dev) return false;
  using Op = out::DiskIo::Op;
  if (a.op == Op::kFlush || b.op == Op::kFlush) return false;
  if (a.op == Op::kRead && b.op == Op::kRead) return false;
  return overlaps(a.offset, a.length, b.offset, b.length);
}

void Replica::Impl::local_io(out::DiskIo io, std::function<void(int, Bytes)> done) {
  const bool data_dev = io.dev == out::DiskIo::Dev::kData;
  if (data_dev && (disk == DiskState::kDiskless || disk == DiskState::kFailed)) {
    done(EIO, nullptr);
    return;
  }
  LocalIo l;
  l.id = next_io_id++;
  l.io = std::move(io);
  l.io.id = l.id;
  l.done = std::move(done);
  bool blocked = false;
  for (const auto& [id, f] : inflight) {
    if (conflicts(f.io, l.io)) {
      blocked = true;
      break;
    }
  }
  if (!blocked) {
    for (const auto& w : waiting) {
      if (conflicts(w.io, l.io)) {
        blocked = true;
        break;
      }
    }
  }
  if (blocked) {
    waiting.push_back(std::move(l));
    return;
  }
  outs.emplace_back(l.io);
  inflight.emplace(l.id, std::move(l));
}

void Replica::Impl::start_waiting() {
  for (auto it = waiting.begin(); it != waiting.end();) {
    bool blocked = false;
    for (const auto& [id, f] : inflight) {
      if (conflicts(f.io, it->io)) {
        blocked = true;
        break;
      }
    }
    for (auto e = waiting.begin(); !blocked && e != it; ++e) {
      if (conflicts(e->io, it->io)) blocked = true;
    }
    if (blocked) {
      ++it;
      continue;
    }
    outs.emplace_back(it->io);
    const uint64_t id = it->id;
    inflight.emplace(id, std::move(*it));
    it = waiting.erase(it);
  }
}

void Replica::on_disk_done(uint64_t id, int error, Bytes data, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  auto it = m.inflight.find(id);
  if (it == m.inflight.end()) return;  // unknown id: ignore (the caller's bug, not ours to crash on)
  LocalIo l = std::move(it->second);
  m.inflight.erase(it);
  if (l.io.dev == out::DiskIo::Dev::kData) {
    if (l.io.op == out::DiskIo::Op::kRead && !error) m.dr_bytes += l.io.length;
    if (l.io.op == out::DiskIo::Op::kWrite && !error) m.dw_bytes += l.io.length;
  }
  m.start_waiting();
  l.done(error, std::move(data));
  m.process_inbox();
}

// ---- admin -----------------------------------------------------------------

Status Replica::connect(bool discard_my_data, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.downing) return refuse("the resource is going down");
  if (m.cs != ConnState::kStandAlone) {
    if (discard_my_data) return Error{"Failure: (125) Device has a net-config (use disconnect first)"};
    return Status::Ok();
  }
  m.discard_my_data = discard_my_data;
  m.set_cs(ConnState::kUnconnected);
  m.set_cs(ConnState::kWFConnection);
  return Status::Ok();
}

Result<std::vector<std::string>> Replica::adjust(EngineOptions o, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.downing) return Error{"the resource is going down"};
  const EngineOptions& old = m.opt;
  if (o.self != old.self || o.peer != old.peer || o.resource != old.resource) {
    return Error{fmt::format("the host names changed ({}/{} -> {}/{}): needs `drbdadm down` and `up`", old.self,
                             old.peer, o.self, o.peer)};
  }
  if (o.al_extents != old.al_extents || o.al_updates != old.al_updates) {
    return Error{"al-extents or al-updates changed: the activity log is sized at attach; needs `drbdadm down` "
                 "and `up`"};
  }
  std::vector<std::string> lines;
  bool reconnect = false;
  const auto note = [&](bool differs, std::string_view key, bool needs_reconnect = false) {
    if (!differs) return;
    lines.push_back(fmt::format("{}: {} changed{}", old.resource, key, needs_reconnect ? " (reconnecting)" : ""));
    reconnect = reconnect || needs_reconnect;
  };
  note(o.protocol != old.protocol, "protocol", true);
  // allow-two-primaries changes live, as DRBD's net-options: the peer learns
  // it from our next State. Two Primaries need it on both sides.
  if (!o.allow_two_primaries && old.allow_two_primaries && m.role == Role::kPrimary &&
      m.peer_role == Role::kPrimary) {
    return Error{"State change failed: (-1) Multiple primaries not allowed by config: both nodes are Primary; "
                 "demote one before clearing allow-two-primaries"};
  }
  const bool two_changed = o.allow_two_primaries != old.allow_two_primaries;
  note(two_changed, "allow-two-primaries");
  note(o.cram_hmac_alg != old.cram_hmac_alg, "cram-hmac-alg", true);
  note(o.shared_secret != old.shared_secret, "shared-secret", true);
  note(o.after_sb.pri0 != old.after_sb.pri0 || o.after_sb.pri1 != old.after_sb.pri1 ||
           o.after_sb.pri2 != old.after_sb.pri2,
       "after-sb policies");
  note(o.timeout_ds != old.timeout_ds, "timeout");
  note(o.ping_int_s != old.ping_int_s, "ping-int");
  note(o.ping_timeout_ds != old.ping_timeout_ds, "ping-timeout");
  note(o.connect_int_s != old.connect_int_s, "connect-int");
  note(o.max_epoch_size != old.max_epoch_size, "max-epoch-size");
  note(o.max_buffers != old.max_buffers, "max-buffers");
  note(o.verify_alg != old.verify_alg, "verify-alg");
  note(o.on_io_error != old.on_io_error, "on-io-error");
  note(o.fencing != old.fencing, "fencing");
  note(o.disk_flushes != old.disk_flushes, "disk-flushes");
  const bool rates = o.resync_rate_kib_s != old.resync_rate_kib_s || o.c_plan_ahead_ds != old.c_plan_ahead_ds ||
                     o.c_fill_target_sectors != old.c_fill_target_sectors ||
                     o.c_delay_target_ds != old.c_delay_target_ds || o.c_max_rate_kib_s != old.c_max_rate_kib_s ||
                     o.c_min_rate_kib_s != old.c_min_rate_kib_s;
  note(rates, "resync rate settings");
  o.boot_id = old.boot_id;
  m.opt = std::move(o);
  // A running resync continues under the new controller (its plan restarts).
  if (rates && m.sync && !m.sync->verify) m.sync->controller = ResyncController(m.rate_settings());
  for (const auto& l : lines) m.info(l);
  if (reconnect && m.cs != ConnState::kStandAlone) {
    m.drop_connection(ConnState::kDisconnecting, "net options changed (adjust)", false);
  } else if (two_changed && m.established && m.transport_up) {
    m.send_state();
  }
  if (m.cs == ConnState::kStandAlone) {
    lines.push_back(fmt::format("{}: connecting (was StandAlone)", m.opt.resource));
    m.set_cs(ConnState::kUnconnected);
    m.set_cs(ConnState::kWFConnection);
  }
  return lines;
}

Status Replica::detach(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.downing) return refuse("the resource is going down");
  if (has_no_disk(m.disk)) return Status::Ok();
  if (m.role == Role::kPrimary && !(m.peer_gets_writes() && m.peer_disk == DiskState::kUpToDate)) {
    return Error{"State change failed: (-2) Need access to UpToDate data (the peer's, to detach a Primary's disk)"};
  }
  if (is_connected(m.cs) && m.peer_role == Role::kPrimary && m.peer_disk != DiskState::kUpToDate) {
    return Error{"State change failed: (-2) the peer is Primary without UpToDate data of its own: it reads "
                 "through this disk"};
  }
  if (m.sync || (is_connected(m.cs) && m.cs != ConnState::kConnected)) {
    return Error{fmt::format("State change failed: (-15) a resync or verify is running (cs:{})", name(m.cs))};
  }
  m.info(fmt::format("{}: detaching the disk on request", m.opt.resource));
  m.set_disk(DiskState::kInconsistent);
  m.flush_dirty_bitmap();
  m.write_superblock(true, [&m] {
    if (m.disk != DiskState::kInconsistent) return;  // failed meanwhile
    m.set_disk(DiskState::kFailed);
    m.set_disk(DiskState::kDiskless);
    m.disk_let_go = true;
    auto w = std::move(m.waiting);
    m.waiting.clear();
    for (auto& io : w) io.done(EIO, nullptr);
  });
  return Status::Ok();
}

Status Replica::attach(AttachState a, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.downing) return refuse("the resource is going down");
  if (!has_no_disk(m.disk)) return Error{"State change failed: (-11) a disk is attached already"};
  if (a.layout.data_bytes != m.layout.data_bytes) {
    return Error{fmt::format("State change failed: the new disk's data area is {} bytes, the volume's is {}: "
                             "create-md on a device of the volume's size (or set `disk {{ size }}`)",
                             a.layout.data_bytes, m.layout.data_bytes)};
  }
  // The activity log is the new disk's from here: no request may still hold
  // extents of the old one (a write that began before the disk failed).
  const bool al_in_use =
      std::any_of(m.reqs.begin(), m.reqs.end(), [](const auto& kv) { return kv.second.al_held; });
  if (!m.inflight.empty() || !m.waiting.empty() || m.md_inflight > 0 || m.md_round_running || al_in_use) {
    return Error{"State change failed: (-18) I/O on the old disk is still in flight; retry"};
  }
  const bool connected = m.transport_up && m.established && is_connected(m.cs);
  if (connected && (m.cs != ConnState::kConnected || m.peer_disk != DiskState::kUpToDate)) {
    return Error{fmt::format("State change failed: (-2) attaching while connected needs an UpToDate peer to sync "
                             "from (cs:{} pdsk:{}); or disconnect first",
                             name(m.cs), name(m.peer_disk))};
  }
  if (!connected && m.role == Role::kPrimary) {
    return Error{"State change failed: (-2) Need access to UpToDate data: a diskless Primary's data is on its "
                 "peer; connect first (the new disk is synced from there), or demote"};
  }
  if (connected && m.role == Role::kPrimary && m.peer_role == Role::kPrimary) {
    return Error{"State change failed: (-1) both nodes are Primary: two Primaries do not resync; demote one, "
                 "then attach"};
  }
  m.layout = a.layout;
  m.sb = a.superblock;
  m.bm = std::move(a.bitmap);
  m.al = ActivityLog(std::clamp<uint32_t>(m.opt.al_extents, 7, kAlExtentsMax), a.al.next_number, a.al.slots);
  m.md_next = Impl::MdRound{};
  m.disk_let_go = false;
  m.crashed_primary = false;  // whatever this disk was, the peer's data decides now
  // What this node is now: a Primary's disk says so, so that after a crash
  // its activity log's extents are resynced (their bits may not be on disk).
  m.sb.set(kMdPrimaryInd, m.role == Role::kPrimary);
  m.sb.set(kMdConnectedInd, connected);
  m.sb.set(kMdCleanShutdown, false);
  m.sb.set(kMdUnorderedWrites, false);
  m.unordered = Impl::Unordered::kClear;
  m.info(fmt::format("{}: attached to disk of {} KiB (meta data {})", m.opt.resource, m.layout.data_bytes / 1024,
                     m.layout.internal ? "internal" : "external"));
  if (connected) {
    // Whatever the disk holds, the peer's data is current: a full sync.
    m.set_disk(DiskState::kInconsistent);
    m.send_state(kStateInvalidateMe);
    m.begin_sync(true, true);
    m.flush_dirty_bitmap();
    m.write_superblock(true);
    return Status::Ok();
  }
  m.set_disk(!m.sb.has(kMdConsistent) ? DiskState::kInconsistent
             : m.sb.has(kMdOutdated)  ? DiskState::kOutdated
                                      : DiskState::kConsistent);
  m.flush_dirty_bitmap();
  m.write_superblock(true);
  return Status::Ok();
}

Status Replica::disconnect(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.cs == ConnState::kStandAlone) return Status::Ok();
  m.drop_connection(ConnState::kDisconnecting, "disconnect requested", true);
  return Status::Ok();
}

Status Replica::outdate(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.role == Role::kPrimary) return refuse("(-7) Refusing to be Outdated while Primary");
  if (is_connected(m.cs)) return refuse("(-10) State change was refused by peer node (connected)");
  if (m.disk == DiskState::kUpToDate || m.disk == DiskState::kConsistent) {
    m.set_disk(DiskState::kOutdated);
    m.write_superblock(true);
  } else if (m.disk != DiskState::kOutdated) {
    return refuse(fmt::format("(-2) disk is {}", name(m.disk)));
  }
  return Status::Ok();
}

Status Replica::pause_sync(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.user_paused) return Error{"Failure: (134) Sync-pause flag is already set"};
  m.user_paused = true;
  if (m.cs == ConnState::kSyncSource) m.set_cs(ConnState::kPausedSyncS);
  if (m.cs == ConnState::kSyncTarget) m.set_cs(ConnState::kPausedSyncT);
  if (m.sync && !m.sync->paused_since) m.sync->paused_since = now;
  if (m.transport_up && m.params_sent) m.send_state();
  return Status::Ok();
}

Status Replica::resume_sync(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (!m.user_paused) return Error{"Failure: (135) Sync-pause flag is already cleared"};
  m.user_paused = false;
  if (!m.peer_paused) {
    if (m.cs == ConnState::kPausedSyncS) m.set_cs(ConnState::kSyncSource);
    if (m.cs == ConnState::kPausedSyncT) m.set_cs(ConnState::kSyncTarget);
    if (m.sync && m.sync->paused_since) {
      m.sync->paused_total += now - *m.sync->paused_since;
      m.sync->paused_since.reset();
    }
  }
  if (m.transport_up && m.params_sent) m.send_state();
  if (m.sync && m.sync->target) m.generate_requests();
  return Status::Ok();
}

Status Replica::down(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.downing) return Status::Ok();
  if (m.promoting) m.finish_promotion(refuse("the resource is going down"));
  if (m.role == Role::kPrimary) {
    if (Status s = secondary(now); !s.ok()) return s;
  }
  if (m.cs != ConnState::kStandAlone) m.drop_connection(ConnState::kDisconnecting, "down", true);
  m.downing = true;
  if (m.disk != DiskState::kDiskless && m.disk != DiskState::kFailed) {
    m.bm.mark_all_dirty();
    m.flush_dirty_bitmap();
    m.al.clear();
    m.sb.set(kMdCleanShutdown, true);
    m.sb.set(kMdPrimaryInd, false);
    // Clean and no activity log: everything written must be on disk first.
    m.write_superblock(false, {}, Impl::MdAfter::kData);
    m.maybe_clear_unordered(true);  // after the last replicated writes are flushed
  }
  return Status::Ok();
}

bool Replica::down_complete() const { return impl_->downing && impl_->md_inflight == 0 && impl_->inflight.empty(); }

bool Replica::wants_connection() const {
  const ConnState c = impl_->cs;
  return !impl_->downing && c != ConnState::kStandAlone && c != ConnState::kDisconnecting && !impl_->transport_up;
}

// ---- users -----------------------------------------------------------------

bool Replica::writable() const { return impl_->writable(); }

bool Replica::Impl::writable() const {
  // An Inconsistent disk (pass_on) takes no writes without the peer: the
  // next resync makes it the target, which would overwrite them.
  return role == Role::kPrimary && !downing && (disk == DiskState::kUpToDate || peer_gets_writes());
}

std::string Replica::read_only_reason() const {
  const Impl& m = *impl_;
  if (m.role != Role::kPrimary) return fmt::format("{} is Secondary (writes only on the Primary)", m.opt.resource);
  if (m.downing) return fmt::format("{} is going down", m.opt.resource);
  return fmt::format("{} has no usable data (disk {})", m.opt.resource, name(m.disk));
}

void Replica::submit(AppRequest request, Millis now) {
  impl_->now = now;
  impl_->submit_request(std::move(request));
}

void Replica::Impl::submit_request(AppRequest request) {
  Impl& m = *this;
  using Op = AppRequest::Op;
  auto fail = [&](int err) { m.outs.emplace_back(out::AppDone{request.id, err, nullptr}); };
  const bool is_write = request.op == Op::kWrite || request.op == Op::kTrim || request.op == Op::kWriteZeroes;
  if (request.op != Op::kFlush) {
    if (request.length == 0 || request.offset % 512 || request.length % 512 ||
        request.offset > m.data_bytes() || request.length > m.data_bytes() - request.offset) {
      return fail(EINVAL);
    }
    if (request.op == Op::kWrite && (!request.data || request.data->size() != request.length)) {
      return fail(EINVAL);
    }
    // One replicated write travels in one message; callers split larger ones.
    if (request.op != Op::kRead && request.length > wire::kMaxDataBytes) return fail(EINVAL);
  }
  if (request.op == Op::kRead) {
    if (m.role != Role::kPrimary && !m.opt.allow_two_primaries && m.disk != DiskState::kUpToDate) {
      return fail(EIO);
    }
    const bool local = m.local_read_ok(request.offset, request.length);
    const bool through_peer = m.role == Role::kPrimary && m.peer_gets_writes() && m.peer_disk == DiskState::kUpToDate;
    if (!local && !through_peer) return fail(EIO);
  } else if (is_write || request.op == Op::kFlush) {
    if (!writable()) return fail(EROFS);
  }
  if (io_frozen) {
    frozen_requests.push_back(std::move(request));
    return;
  }
  if (request.op != Op::kFlush) app_io_bytes_step += request.length;
  const uint64_t rid = m.next_req_id++;
  Impl::Req& r = m.reqs[rid];
  r.r = std::move(request);
  if (is_write && m.opt.al_updates) {
    r.al_first = static_cast<uint32_t>(r.r.offset / kAlExtentBytes);
    r.al_last = static_cast<uint32_t>((r.r.offset + r.r.length - 1) / kAlExtentBytes);
  }
  if (is_write || r.r.op == Op::kFlush) {
    m.gated.push_back(rid);
    m.pump_gated();
  } else {
    m.start_request(rid);
  }
}

void Replica::Impl::pump_gated() {
  while (!gated.empty() && md_gate == 0) {
    const uint64_t rid = gated.front();
    auto it = reqs.find(rid);
    if (it == reqs.end()) {
      gated.pop_front();
      continue;
    }
    Req& r = it->second;
    const bool is_write = r.r.op != AppRequest::Op::kFlush;
    if (is_write && overlaps_rs_read(r.r.offset, r.r.length)) return;  // after that RsReply
    // After the peer's writes to these blocks are on this disk and answered
    // (two Primaries: see RxWrite).
    if (is_write && overlaps_rx_write(r.r.offset, r.r.length)) return;
    // A Primary sync target: after the resync requests it overlaps are
    // answered and written, so that their (older) data never lands after it.
    if (is_write && overlaps_rs_request(r.r.offset, r.r.length)) return;
    if (is_write && opt.al_updates && disk_usable() && !r.al_held) {
      // plan() puts a transaction's extents in the in-memory log at once:
      // until that transaction is durable no write may start on the strength
      // of it (a crash would not resync the extent). Any pump — a request or
      // an unrelated meta-data round completing — could otherwise let one by.
      if (al_transaction_inflight) return;
      if (!al.try_begin(r.al_first, r.al_last)) {
        auto plan = al.plan(r.al_first, r.al_last);
        if (!plan) return;  // every extent busy: wait for writes to end
        // Bitmap pages of evicted extents go to disk first: their bits are
        // no longer covered by the activity log after this transaction.
        std::vector<uint64_t> pages;
        for (uint32_t e : plan->evicted) {
          const uint64_t first_bit = uint64_t{e} * (kAlExtentBytes / kBlockBytes);
          const uint64_t page = bm.page_of_bit(first_bit);
          if (std::find(pages.begin(), pages.end(), page) == pages.end()) pages.push_back(page);
        }
        // The transaction is written only once those pages are durable: were
        // it first, a crash in between would forget the evicted extents' bits.
        al_transaction_inflight = true;
        Bytes block = std::make_shared<const std::vector<uint8_t>>(encode_al_transaction(plan->transaction));
        const uint64_t offset = layout.al_offset + (plan->transaction.number % kAlRingSlots) * 4096;
        write_bitmap_pages(pages, [this, block = std::move(block), offset]() mutable {
          write_al_transaction(offset, std::move(block), [this] {
            al_transaction_inflight = false;
            pump_gated();
          });
        });
        return;
      }
      r.al_held = true;
    }
    gated.pop_front();
    start_request(rid);
  }
}

bool Replica::Impl::overlaps_rs_request(uint64_t offset, uint32_t length) const {
  if (!sync || !sync->target || sync->verify) return false;  // verify requests carry no data
  for (const auto& [id, range] : rs_inflight) {
    if (overlaps(offset, length, range.first, range.second)) return true;
  }
  return false;
}

bool Replica::Impl::overlaps_rs_read(uint64_t offset, uint32_t length) const {
  for (const auto& [key, range] : rs_reads) {
    if (overlaps(offset, length, range.first, range.second)) return true;
  }
  return false;
}

void Replica::Impl::close_epoch() {
  if (tx_epoch_writes == 0) return;
  send(wire::Type::kBarrier, wire::Barrier{tx_epoch});
  note_sent_request(now);
  tx_closed_writes[tx_epoch] = tx_epoch_writes;
  sent_barrier = tx_epoch;
  ++tx_epoch;
  tx_epoch_writes = 0;
}

void Replica::Impl::start_request(uint64_t rid) {
  Req& r = reqs.at(rid);
  r.started = true;
  using Op = AppRequest::Op;
  const bool local_ok = disk == DiskState::kUpToDate || disk == DiskState::kConsistent ||
                        (r.r.op != Op::kRead && disk_usable());
  r.needs_peer = r.r.op != Op::kRead && disk != DiskState::kUpToDate && disk != DiskState::kConsistent;
  if (r.r.op == Op::kFlush) {
    // Protocol C without disk flushes (wo:d, for a non-volatile write cache):
    // the peer never flushes, so the WriteAck every write completed before
    // this flush has had is all the durability the peer gives. The Barrier
    // still goes out (write order, the transfer log); waiting for its ack
    // cost a round trip and added nothing (QD1 write+flush 170 µs against 86
    // with flushes).
    const bool acks_suffice = opt.protocol == Protocol::kC && !opt.disk_flushes;
    r.peer_needed = peer_gets_writes() && opt.protocol != Protocol::kA && !acks_suffice;
    if (acks_suffice && peer_gets_writes()) close_epoch();
    if (r.peer_needed) {
      close_epoch();
      if (sent_barrier > acked_epoch) {
        r.flush_wait_epoch = sent_barrier;
      } else {
        r.peer_needed = false;
      }
    }
    r.peer_done = !r.peer_needed;
    // The Barrier went out all the same (write order and the transfer log
    // need its ack), but the client's flush needs only durability: an
    // EpochFlushed may have said so already.
    if (r.flush_wait_epoch && peer_flushed_through(*r.flush_wait_epoch)) r.peer_done = true;
    if (local_ok) {
      out::DiskIo io;
      io.op = out::DiskIo::Op::kFlush;
      local_io(std::move(io), [this, rid](int err, Bytes) {
        auto it = reqs.find(rid);
        if (it == reqs.end()) return;
        it->second.local_done = true;
        it->second.local_error = err;
        maybe_complete(rid);
      });
    } else {
      r.local_done = true;
      r.local_error = EIO;
      maybe_complete(rid);
    }
    return;
  }
  if (r.r.op == Op::kRead) {
    if (!local_read_ok(r.r.offset, r.r.length)) {
      // Diskless (detached), or out-of-sync blocks of an Inconsistent disk:
      // the peer serves the read.
      r.local_done = true;
      r.peer_needed = true;
      send(wire::Type::kReadRequest, wire::RsRequest{rid, r.r.offset, r.r.length});
      ++pe;
      note_sent_request(now);
      return;
    }
    r.peer_done = true;
    out::DiskIo io;
    io.op = out::DiskIo::Op::kRead;
    io.offset = r.r.offset;
    io.length = r.r.length;
    local_io(std::move(io), [this, rid](int err, Bytes data) {
      auto it = reqs.find(rid);
      if (it == reqs.end()) return;
      Req& q = it->second;
      q.local_done = true;
      if (err) {
        disk_failed("read", err);
        if (opt.on_io_error == OnIoError::kPassOn) mark_oos(q.r.offset, q.r.length);
        // As DRBD does, a failed local read is retried on an UpToDate peer;
        // the application sees the error only when that cannot serve it.
        if (transport_up && is_connected(cs) && peer_disk == DiskState::kUpToDate) {
          q.peer_needed = true;
          q.peer_done = false;
          send(wire::Type::kReadRequest, wire::RsRequest{rid, q.r.offset, q.r.length});
          ++pe;
          note_sent_request(now);
          return;
        }
      }
      q.local_error = err;
      q.read_data = std::move(data);
      maybe_complete(rid);
    });
    return;
  }
  // Writes, trims, zeroes. On a disk that does not vouch for its data (a
  // Primary sync target, pass_on) only the peer's copy counts (needs_peer,
  // above): the next resync overwrites this one.
  if (peer_gets_writes()) {
    if (tx_epoch_close_pending || tx_epoch_writes >= opt.max_epoch_size) {
      close_epoch();
      tx_epoch_close_pending = false;
    }
    r.peer_needed = true;
    r.epoch = tx_epoch;
    ++tx_epoch_writes;
    wire::Data d;
    d.id = rid;
    d.offset = r.r.offset;
    d.length = r.r.length;
    d.epoch = tx_epoch;
    d.dflags = static_cast<uint16_t>((r.r.fua ? wire::kDFua : 0) |
                                     (r.r.op == Op::kTrim ? wire::kDTrim : 0) |
                                     (r.r.op == Op::kWriteZeroes ? wire::kDZeroes : 0));
    d.payload = r.r.op == Op::kWrite ? r.r.data : nullptr;
    send(wire::Type::kData, d);
    ns_bytes += r.r.length;
    tl[rid] = TlEntry{r.r.offset, r.r.length, tx_epoch};
    if (opt.protocol == Protocol::kA) {
      // Done once the bytes are in the send buffer (on_sent), which also
      // keeps a fast writer from queueing without bound.
      if (!outs.empty()) {
        if (auto* snd = std::get_if<out::Send>(&outs.back())) snd->sent_token = rid;
      }
    } else {
      ++pe;
      note_sent_request(now);
    }
    if (r.needs_peer) {
      // Only the peer's copy counts, and an acknowledged write must survive
      // the peer's power loss (this disk will be synced over from there): the
      // write waits for its epoch to be flushed on the peer, which its own
      // Barrier asks for at once.
      r.durable_wait_epoch = r.epoch;
      close_epoch();
    }
  } else {
    r.peer_done = true;
    r.peer_error = EIO;
    mark_oos(r.r.offset, r.r.length);
  }
  if (disk_usable()) {
    out::DiskIo io;
    io.op = r.r.op == Op::kWrite ? out::DiskIo::Op::kWrite
            : r.r.op == Op::kTrim ? out::DiskIo::Op::kTrim
                                  : out::DiskIo::Op::kWriteZeroes;
    io.offset = r.r.offset;
    io.length = r.r.length;
    io.fua = r.r.fua;
    io.data = r.r.op == Op::kWrite ? r.r.data : nullptr;
    local_io(std::move(io), [this, rid](int err, Bytes) {
      auto it = reqs.find(rid);
      if (it == reqs.end()) return;
      it->second.local_done = true;
      it->second.local_error = err;
      if (err) {
        disk_failed("write", err);
        // The block on this disk is not what was written: out of sync
        // (pass_on keeps the disk, so the next resync must bring it back).
        if (opt.on_io_error == OnIoError::kPassOn) mark_oos(it->second.r.offset, it->second.r.length);
      }
      maybe_complete(rid);
    });
  } else {
    r.local_done = true;
    r.local_error = EIO;
    maybe_complete(rid);
  }
}

void Replica::Impl::maybe_complete(uint64_t rid) {
  auto it = reqs.find(rid);
  if (it == reqs.end()) return;
  Req& r = it->second;
  if (r.retry) {
    if (r.local_done) restart_write(rid);
    return;
  }
  if (r.completed || !r.local_done || !r.peer_done) return;
  if (r.durable_wait_epoch && r.peer_error == 0 && !peer_flushed_through(*r.durable_wait_epoch)) {
    if (established && transport_up) return;  // complete_flushes_peer_made_durable() comes back
    r.peer_error = EIO;  // the connection went before the peer flushed it
  }
  r.completed = true;
  int err = 0;
  using Op = AppRequest::Op;
  if (r.r.op == Op::kRead) {
    err = r.peer_needed ? r.peer_error : r.local_error;
  } else if (r.r.op == Op::kFlush) {
    err = r.local_error && (!r.peer_needed || r.peer_error) ? r.local_error : 0;
    if (r.local_error && !r.peer_needed && peer_gets_writes()) err = 0;  // diskless: the peer holds the data
    // A disk that does not vouch for its data: durable means on the peer.
    if (r.needs_peer && (r.peer_needed ? r.peer_error != 0 : !peer_gets_writes())) err = EIO;
  } else {
    // A write succeeds when at least one leg did (REPLICATION-FACTS §1.2).
    const bool local_ok = r.local_error == 0 && !r.needs_peer;
    const bool peer_ok = r.peer_needed && r.peer_error == 0;
    err = (local_ok || peer_ok) ? 0 : (r.local_error ? r.local_error : EIO);
    if (r.al_held) al.end(r.al_first, r.al_last);
    tx_epoch_close_pending = true;
  }
  if (io_frozen && r.r.op != Op::kRead) {
    // Fencing resource-and-stonith: no write is acknowledged while the peer
    // may still take over with data that lacks it.
    held_done.push_back(out::AppDone{r.r.id, err, nullptr});
  } else {
    outs.emplace_back(out::AppDone{r.r.id, err, std::move(r.read_data)});
  }
  reqs.erase(it);
  pump_gated();
}

void Replica::Impl::restart_write(uint64_t rid) {
  Req& r = reqs.at(rid);
  r.retry = false;
  r.started = false;
  r.local_done = r.peer_needed = r.peer_done = false;
  r.local_error = r.peer_error = 0;
  r.durable_wait_epoch.reset();
  // First in line: it keeps its activity-log extents, and waits (pump_gated)
  // until the peer's write it yielded to is on this disk and answered.
  gated.push_front(rid);
  pump_gated();
}

void Replica::Impl::mark_oos(uint64_t offset, uint64_t length) {
  if (length == 0) return;
  bm.set_range(offset / kBlockBytes, (offset + length - 1) / kBlockBytes);
}

void Replica::on_sent(uint64_t token, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  auto it = m.reqs.find(token);
  if (it == m.reqs.end() || !it->second.peer_needed || it->second.peer_done) return;
  it->second.peer_done = true;
  m.maybe_complete(token);
}

// ---- status ----------------------------------------------------------------

ReplicaStatus Replica::status(Millis now) const {
  const Impl& m = *impl_;
  ReplicaStatus s;
  s.resource = m.opt.resource;
  s.peer = m.opt.peer;
  s.role = m.role;
  s.peer_role = m.transport_up && m.peer_params ? m.peer_role : Role::kUnknown;
  s.cstate = m.cs;
  s.disk = m.disk;
  s.peer_disk = m.peer_disk;
  s.protocol = m.opt.protocol;
  s.paused_by_user = m.user_paused;
  s.io_suspended = m.io_frozen;
  s.paused_by_peer = m.peer_paused;
  s.ns = m.ns_bytes / 1024;
  s.nr = m.nr_bytes / 1024;
  s.dw = m.dw_bytes / 1024;
  s.dr = m.dr_bytes / 1024;
  s.al = m.al_writes;
  s.bm = m.bm_writes;
  uint64_t lo = 0;
  for (const auto& [id, l] : m.inflight) {
    if (l.io.dev == out::DiskIo::Dev::kData) ++lo;
  }
  s.lo = lo;
  s.pe = m.pe + m.rs_inflight.size();
  s.ua = m.ua;
  s.ap = m.reqs.size();
  s.ep = m.sent_barrier >= m.acked_epoch ? (m.sent_barrier - m.acked_epoch) + 1 : 1;
  s.wo = m.opt.disk_flushes ? 'f' : 'd';
  s.oos_kib = m.bm.count() * (kBlockBytes / 1024);
  s.size_kib = m.data_bytes() / 1024;
  s.split_brain = m.split_brain_note;
  if (m.sync) {
    const auto& r = *m.sync;
    SyncProgress p;
    p.total_kib = r.total_bits * 4;
    const uint64_t left_bits = r.verify ? (r.total_bits - std::min(r.total_bits, r.done_bits)) : m.bm.count();
    p.left_kib = left_bits * 4;
    const Millis active = now - r.started - r.paused_total - (r.paused_since ? now - *r.paused_since : Millis{0});
    const uint64_t done_bits = r.verify ? r.done_bits : (r.total_bits > left_bits ? r.total_bits - left_bits : 0);
    if (active.count() > 0) p.avg_kib_s = done_bits * 4 * 1000 / static_cast<uint64_t>(active.count());
    if (r.samples.size() >= 2) {
      const auto& [t0, b0] = r.samples.front();
      const auto& [t1, b1] = r.samples.back();
      if (t1 > t0) p.rate_kib_s = (b1 - b0) * 4 * 1000 / static_cast<uint64_t>((t1 - t0).count());
    } else {
      p.rate_kib_s = p.avg_kib_s;
    }
    p.want_kib_s = (r.target || r.verify) ? m.want_kib_s() : 0;
    p.stalled = now - r.last_progress > Millis{18000};
    s.sync = p;
  }
  return s;
}

const Superblock& Replica::superblock() const { return impl_->sb; }
const Bitmap& Replica::bitmap() const { return impl_->bm; }
uint64_t Replica::size_bytes() const { return impl_->data_bytes(); }

bool Replica::Impl::local_read_ok(uint64_t offset, uint32_t length) const {
  if (disk == DiskState::kUpToDate || disk == DiskState::kConsistent) return true;
  if (disk != DiskState::kInconsistent || role != Role::kPrimary || length == 0) return false;
  for (uint64_t b = offset / kBlockBytes; b <= (offset + length - 1) / kBlockBytes; ++b) {
    if (bm.test(b)) return false;
  }
  return true;
}

void Replica::Impl::check_incon_degr() {
  const bool now_degr =
      role == Role::kPrimary && disk != DiskState::kUpToDate && peer_disk != DiskState::kUpToDate;
  if (now_degr && !incon_degr) {
    error(fmt::format("{}: Primary without UpToDate data: disk {}, peer's disk {}", opt.resource, name(disk),
                      name(peer_disk)));
    handler("pri-on-incon-degr");
  }
  incon_degr = now_degr;
}

std::vector<Output> Replica::take_outputs() {
  impl_->check_incon_degr();
  impl_->start_md_round();
  std::vector<Output> o;
  o.swap(impl_->outs);
  return o;
}

}  // namespace quorate::replication
