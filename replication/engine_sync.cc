// Replica: resynchronisation (bitmap exchange, sync UUIDs, requests pulled by
// the target under the rate cap, completion) and online verify.
#include <algorithm>
#include <cassert>
#include <cerrno>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "replication/engine_impl.h"

namespace quorate::replication {

namespace {
constexpr uint64_t kBlocksPerRequest = wire::kMaxDataBytes / kBlockBytes;  // 1 MiB
constexpr uint64_t kBlocksPerVerifyRequest = 64;                           // 256 KiB
constexpr uint64_t kBlocksPerBitmapExtent = (16ULL << 20) / kBlockBytes;   // 16 MiB
constexpr size_t kBitmapChunkBytes = 512 * 1024;

std::string fmt_duration(Millis d) {
  const auto s = d.count() / 1000;
  return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
}
}  // namespace

ResyncControllerSettings Replica::Impl::rate_settings() const {
  ResyncControllerSettings r;
  r.resync_rate_kib_s = opt.resync_rate_kib_s;
  r.plan_ahead_ds = opt.c_plan_ahead_ds;
  r.fill_target_sectors = opt.c_fill_target_sectors;
  r.delay_target_ds = opt.c_delay_target_ds;
  r.max_rate_kib_s = opt.c_max_rate_kib_s;
  return r;
}

uint64_t Replica::Impl::want_kib_s() const { return sync ? sync->controller.want_kib_s() : 0; }

void Replica::Impl::count_resync_arrival(uint64_t bytes) {
  if (sync) sync->sectors_in_step += bytes / 512;
}

void Replica::Impl::begin_sync(bool as_target, bool full) {
  sync_full = full;
  rx_bitmap_rle.clear();
  peer_bitmap.reset();
  bitmap_received = false;
  if (full) {
    bm.set_all();
    sb.set(kMdFullSync, true);
    // A full sync's target (invalidate, or the peer's invalidate-remote)
    // has declared its data bad: Inconsistent from now on, on disk too, as
    // DRBD forces the disk to Inconsistent once the connection enters
    // StartingSyncT. `drbdadm invalidate; drbdadm dstate` never shows
    // UpToDate, and a connection lost before the sync UUID arrives cannot
    // leave an invalidated disk that claims to be UpToDate.
    if (as_target && disk != DiskState::kInconsistent) {
      set_disk(DiskState::kInconsistent);
      write_superblock(true);
    }
    set_cs(as_target ? ConnState::kStartingSyncT : ConnState::kStartingSyncS);
    bitmap_received = true;
    bitmap_sent = true;
    decision.kind = as_target ? SyncDecision::Kind::kTarget : SyncDecision::Kind::kSource;
    start_after_bitmaps();
    return;
  }
  set_cs(as_target ? ConnState::kWFBitMapT : ConnState::kWFBitMapS);
  const auto rle = encode_bitmap_rle(bm);
  for (size_t off = 0; off < rle.size() || off == 0; off += kBitmapChunkBytes) {
    wire::BitmapChunk c;
    c.first_bit = off;
    c.bit_count = bm.bits();
    const size_t n = std::min(kBitmapChunkBytes, rle.size() - std::min(off, rle.size()));
    c.rle.assign(rle.begin() + static_cast<std::ptrdiff_t>(off),
                 rle.begin() + static_cast<std::ptrdiff_t>(off + n));
    c.last = off + n >= rle.size();
    send(wire::Type::kBitmap, c);
    if (c.last) break;
  }
  bitmap_sent = true;
  if (bitmap_received) start_after_bitmaps();
}

void Replica::Impl::on_bitmap(const wire::BitmapChunk& c) {
  if (cs != ConnState::kWFBitMapS && cs != ConnState::kWFBitMapT) {
    return drop_connection(ConnState::kProtocolError, "protocol error: bitmap outside a bitmap exchange", false);
  }
  if (c.bit_count != bm.bits() || c.first_bit != rx_bitmap_rle.size() ||
      rx_bitmap_rle.size() + c.rle.size() > bm.bits() + 16) {
    return drop_connection(ConnState::kProtocolError, "protocol error: bitmap chunk out of place", false);
  }
  rx_bitmap_rle.insert(rx_bitmap_rle.end(), c.rle.begin(), c.rle.end());
  if (!c.last) return;
  auto peer = decode_bitmap_rle(rx_bitmap_rle, bm.bits());
  rx_bitmap_rle.clear();
  if (!peer.ok()) {
    return drop_connection(ConnState::kProtocolError, "protocol error: " + peer.error().message, false);
  }
  peer_bitmap = std::move(peer).value();
  bitmap_received = true;
  if (bitmap_sent) start_after_bitmaps();
}

void Replica::Impl::start_after_bitmaps() {
  const bool as_target = decision.kind == SyncDecision::Kind::kTarget;
  if (peer_bitmap) {
    bm.merge(*peer_bitmap);
    peer_bitmap.reset();
  }
  flush_dirty_bitmap();
  if (as_target) {
    set_cs(ConnState::kWFSyncUUID);
    return;
  }
  if (sb.uuids.bitmap != 0) {
    sb.uuids.history[1] = sb.uuids.history[0];
    sb.uuids.history[0] = sb.uuids.bitmap;
  }
  sb.uuids.bitmap = random_uuid();
  write_superblock(true);
  send(wire::Type::kSyncUuid, wire::SyncUuid{sb.uuids.bitmap});
  sync_running(false);
}

void Replica::Impl::on_sync_uuid(const wire::SyncUuid& s) {
  // A diskless node serves the peer's data: it takes on the generation the
  // peer says that data now has (a diskless Primary reconnects only to it).
  if (is_connected(cs) && has_no_disk(disk)) {
    sb.uuids.current = s.uuid;
    return;
  }
  if (cs != ConnState::kWFSyncUUID) {
    return drop_connection(ConnState::kProtocolError, "protocol error: sync UUID outside WFSyncUUID", false);
  }
  sb.uuids.current = s.uuid;
  handler("before-resync-target");
  set_disk(DiskState::kInconsistent);
  write_superblock(true);
  sync_running(true);
}

void Replica::Impl::sync_running(bool as_target) {
  const SyncRun r = SyncRun::begin(now, bm.count(), as_target, false, rate_settings());
  sync = r;
  const bool paused = user_paused || peer_paused;
  if (paused) sync->paused_since = now;
  set_cs(as_target ? (paused ? ConnState::kPausedSyncT : ConnState::kSyncTarget)
                   : (paused ? ConnState::kPausedSyncS : ConnState::kSyncSource));
  info(fmt::format("{}: Began resync as {} (will sync {} KB [{} bits set]).", opt.resource,
                   as_target ? "SyncTarget" : "SyncSource", r.total_bits * 4, r.total_bits));
  if (as_target) {
    target_maybe_done();
    generate_requests();
  }
}

void Replica::Impl::generate_requests() {
  if (!sync || !transport_up || sync->finishing) return;
  SyncRun& r = *sync;
  if (!r.verify && (user_paused || peer_paused)) return;
  if (!r.verify && cs != ConnState::kSyncTarget) return;
  if (r.verify && cs != ConnState::kVerifyS) return;
  if (!r.verify && md_gate > 0) return;  // Inconsistent must be on disk before resync writes
  if (now >= r.next_step) {
    // A new 100 ms step: the controller decides this step's budget from what
    // arrived in the last one and what is still in flight.
    int64_t budget = static_cast<int64_t>(r.controller.step(r.sectors_in_step, r.inflight_bytes / 512));
    // c-min-rate: with application I/O on this disk, the resync yields down
    // to c-min-rate (0: never).
    if (opt.c_min_rate_kib_s > 0 && app_io_bytes_step > 32 * 1024) {
      const int64_t min_step = static_cast<int64_t>(opt.c_min_rate_kib_s * 2 * ResyncController::kStepMs / 1000);
      budget = std::min(budget, std::max<int64_t>(min_step, 8));
    }
    r.budget_sectors = std::min<int64_t>(r.budget_sectors, 0) + budget;
    r.sectors_in_step = 0;
    app_io_bytes_step = 0;
    r.next_step = std::max(r.next_step, now) + Millis{ResyncController::kStepMs};
  }
  const uint64_t window = std::max<uint64_t>(uint64_t{opt.max_buffers} * 4096, 2 * wire::kMaxDataBytes);
  const uint64_t bits = bm.bits();
  bool wrapped = false;
  while (r.inflight_bytes < window && r.budget_sectors > 0) {
    uint64_t first = 0, count = 0;
    // At most the step's budget (rounded up to a block).
    const uint64_t budget_blocks = std::max<uint64_t>(1, (static_cast<uint64_t>(r.budget_sectors) + 7) / 8);
    if (r.verify) {
      if (r.cursor_bit >= bits) break;
      first = r.cursor_bit;
      count = std::min({kBlocksPerVerifyRequest, bits - first, budget_blocks});
    } else {
      first = bm.find_next_set(r.cursor_bit);
      if (first >= bits) {
        if (rs_inflight.empty() && bm.count() > 0 && !wrapped) {
          r.cursor_bit = 0;
          wrapped = true;
          continue;
        }
        break;
      }
      count = 1;
      const uint64_t max_count = std::min<uint64_t>(kBlocksPerRequest, budget_blocks);
      while (first + count < bits && count < max_count && bm.test(first + count) &&
             (first + count) % kBlocksPerBitmapExtent != 0) {
        ++count;
      }
    }
    const uint64_t id = next_rs_id++;
    const uint64_t offset = first * kBlockBytes;
    const uint32_t length = static_cast<uint32_t>(count * kBlockBytes);
    rs_inflight[id] = {offset, length};
    send(r.verify ? wire::Type::kOvRequest : wire::Type::kRsRequest, wire::RsRequest{id, offset, length});
    note_sent_request(now);
    r.inflight_bytes += length;
    r.budget_sectors -= static_cast<int64_t>(length / 512);
    r.cursor_bit = first + count;
  }
}

void Replica::Impl::on_rs_request(wire::Type t, const wire::RsRequest& q) {
  const bool verify = t == wire::Type::kOvRequest;
  if (q.offset > data_bytes() || q.length > data_bytes() - q.offset) {
    return drop_connection(ConnState::kProtocolError, "protocol error: request beyond the end of the disk", false);
  }
  if (verify && cs == ConnState::kConnected) {
    set_cs(ConnState::kVerifyT);
    sync = SyncRun::begin(now, bm.bits(), false, true, rate_settings());
  }
  const bool ok_state = verify ? cs == ConnState::kVerifyT
                               : (cs == ConnState::kSyncSource || cs == ConnState::kPausedSyncS);
  if (!ok_state || disk != DiskState::kUpToDate) {
    send(wire::Type::kRsNegReply, wire::RsNegReply{q.id});
    return;
  }
  ++ua;
  out::DiskIo io;
  io.op = out::DiskIo::Op::kRead;
  io.offset = q.offset;
  io.length = q.length;
  const uint64_t read_key = next_rs_read++;
  if (!verify) rs_reads[read_key] = {q.offset, q.length};
  local_io(std::move(io), [this, q, verify, read_key](int err, Bytes data) {
    if (ua > 0) --ua;
    struct Release {  // writes held back by this read go once its reply is out
      Impl* m;
      uint64_t key;
      ~Release() {
        if (m->rs_reads.erase(key)) m->pump_gated();
      }
    } release{this, read_key};
    if (!transport_up) return;
    if (err || !data || data->size() != q.length) {
      if (err) disk_failed("resync read", err);
      send(wire::Type::kRsNegReply, wire::RsNegReply{q.id});
      return;
    }
    if (verify) {
      wire::OvReply o{q.id, q.offset, q.length, digests(*data)};
      send(wire::Type::kOvReply, o);
      if (sync && sync->verify) sync->done_bits += q.length / kBlockBytes;
    } else {
      ns_bytes += q.length;
      send(wire::Type::kRsReply, wire::RsReply{q.id, q.offset, q.length, std::move(data)});
    }
  });
}

void Replica::Impl::on_rs_reply(const wire::RsReply& p) {
  if (rs_stale.erase(p.id)) return;  // the resync it belonged to was stopped
  auto it = rs_inflight.find(p.id);
  if (it == rs_inflight.end() || it->second.first != p.offset || it->second.second != p.length) {
    return drop_connection(ConnState::kProtocolError, "protocol error: resync reply nobody asked for", false);
  }
  count_resync_arrival(p.length);
  note_answer();
  nr_bytes += p.length;
  out::DiskIo io;
  io.op = out::DiskIo::Op::kWrite;
  io.offset = p.offset;
  io.length = p.length;
  io.data = p.payload;
  const uint64_t id = p.id;
  local_io(std::move(io), [this, id](int err, Bytes) {
    auto f = rs_inflight.find(id);
    if (f == rs_inflight.end()) return;  // the connection went away meanwhile
    const auto [offset, length] = f->second;
    rs_inflight.erase(f);
    pump_gated();  // a Primary target's writes to these blocks (see pump_gated)
    forget_unacked_if_idle();
    if (sync) sync->inflight_bytes -= std::min<uint64_t>(sync->inflight_bytes, length);
    if (err) {
      disk_failed("resync write", err);
      return;
    }
    bm.clear_range(offset / kBlockBytes, (offset + length) / kBlockBytes - 1);
    if (transport_up) send(wire::Type::kRsWriteAck, wire::BlockAck{id, offset, length});
    target_maybe_done();
    generate_requests();
  });
}

void Replica::Impl::on_rs_neg(const wire::RsNegReply& n) {
  if (rs_stale.erase(n.id)) return;
  auto it = rs_inflight.find(n.id);
  if (it == rs_inflight.end()) return;
  count_resync_arrival(it->second.second);
  warn(fmt::format("{}: the peer could not serve {} bytes at {} (sync continues; they stay out of sync)",
                   opt.resource, it->second.second, it->second.first));
  if (sync) sync->inflight_bytes -= std::min<uint64_t>(sync->inflight_bytes, it->second.second);
  rs_inflight.erase(it);
  pump_gated();
  note_answer();
}

void Replica::Impl::on_rs_write_ack(const wire::BlockAck& a) {
  if (a.length == 0 || a.offset % kBlockBytes || a.length % kBlockBytes || a.offset > data_bytes() ||
      a.length > data_bytes() - a.offset) {
    return drop_connection(ConnState::kProtocolError, "protocol error: resync ack out of range", false);
  }
  bm.clear_range(a.offset / kBlockBytes, (a.offset + a.length) / kBlockBytes - 1);
}

void Replica::Impl::target_maybe_done() {
  if (!sync || !sync->target || sync->finishing) return;
  if (bm.count() > 0 || !rs_inflight.empty()) return;
  sync->finishing = true;
  send(wire::Type::kRsDone, wire::RsDone{});
}

void Replica::Impl::on_rs_done() {
  if (cs != ConnState::kSyncSource && cs != ConnState::kPausedSyncS) {
    return drop_connection(ConnState::kProtocolError, "protocol error: resync done outside a resync", false);
  }
  const Millis took = now - (sync ? sync->started : now);
  const uint64_t kib = sync ? sync->total_bits * 4 : 0;
  if (sb.uuids.bitmap != 0) {
    sb.uuids.history[1] = sb.uuids.history[0];
    sb.uuids.history[0] = sb.uuids.bitmap;
    sb.uuids.bitmap = 0;
  }
  bm.clear_all();
  sb.set(kMdFullSync, false);
  sb.set(kMdVerifySource, false);
  crashed_primary = false;
  peer_disk = DiskState::kUpToDate;
  flush_dirty_bitmap();
  write_superblock(false);
  send(wire::Type::kUuids, wire::UuidSet{sb.uuids, 0});
  sync.reset();
  set_cs(ConnState::kConnected);
  info(fmt::format("{}: Resync done (total {}; {} K/sec)", opt.resource, fmt_duration(took),
                   took.count() > 0 ? kib * 1000 / static_cast<uint64_t>(took.count()) : kib));
}

void Replica::Impl::on_uuids(const wire::UuidSet& u) {
  if (!sync || !sync->target || !sync->finishing) {
    return drop_connection(ConnState::kProtocolError, "protocol error: UUIDs outside the end of a resync", false);
  }
  sb.uuids = u.uuids;
  sb.uuids.current = (sb.uuids.current & ~kUuidRoleBit) | (role == Role::kPrimary ? kUuidRoleBit : 0);
  sb.set(kMdFullSync, false);
  sb.set(kMdVerifySource, false);
  crashed_primary = false;
  bm.clear_all();
  set_disk(DiskState::kUpToDate);
  flush_dirty_bitmap();
  write_superblock(false, {}, MdAfter::kData);  // UpToDate: the resync's data is on disk
  sync.reset();
  set_cs(ConnState::kConnected);
  info(fmt::format("{}: Resync done; disk is UpToDate", opt.resource));
  handler("after-resync-target");
}

// ---- online verify ---------------------------------------------------------

std::vector<uint8_t> Replica::Impl::digests(std::span<const uint8_t> data) const {
  std::vector<uint8_t> out;
  const std::string& alg = opt.verify_alg;
  const EVP_MD* md = alg == "crc32c" ? nullptr : EVP_get_digestbyname(alg.c_str());
  for (size_t off = 0; off < data.size(); off += kBlockBytes) {
    const auto block = data.subspan(off, std::min<size_t>(kBlockBytes, data.size() - off));
    if (md == nullptr) {
      const uint32_t c = crc32c(block);
      for (int i = 0; i < 4; ++i) out.push_back(static_cast<uint8_t>(c >> (8 * i)));
    } else {
      unsigned char buf[EVP_MAX_MD_SIZE];
      unsigned int len = 0;
      EVP_Digest(block.data(), block.size(), buf, &len, md, nullptr);
      out.insert(out.end(), buf, buf + len);
    }
  }
  return out;
}

Status Replica::verify(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.opt.verify_alg.empty()) return Error{fmt::format("{}: verify-alg is not set in the net section", m.opt.resource)};
  if (m.cs != ConnState::kConnected) {
    return Error{fmt::format("State change failed: (-15) Need a connection to start verify or resync (cs:{})",
                             name(m.cs))};
  }
  if (m.disk != DiskState::kUpToDate || m.peer_disk != DiskState::kUpToDate) {
    return Error{"State change failed: (-2) Need access to UpToDate data on both nodes"};
  }
  m.sync = Impl::SyncRun::begin(now, m.bm.bits(), false, true, m.rate_settings());
  m.set_cs(ConnState::kVerifyS);
  m.info(fmt::format("{}: Starting Online Verify from sector 0", m.opt.resource));
  m.generate_requests();
  return Status::Ok();
}

void Replica::Impl::on_ov_reply(const wire::OvReply& o) {
  auto it = rs_inflight.find(o.id);
  if (it == rs_inflight.end() || it->second.first != o.offset || it->second.second != o.length) {
    return drop_connection(ConnState::kProtocolError, "protocol error: verify reply nobody asked for", false);
  }
  count_resync_arrival(o.length);
  note_answer();
  out::DiskIo io;
  io.op = out::DiskIo::Op::kRead;
  io.offset = o.offset;
  io.length = o.length;
  const uint64_t id = o.id;
  auto theirs = std::make_shared<std::vector<uint8_t>>(o.digests);
  local_io(std::move(io), [this, id, theirs](int err, Bytes data) {
    auto f = rs_inflight.find(id);
    if (f == rs_inflight.end()) return;
    const auto [offset, length] = f->second;
    rs_inflight.erase(f);
    forget_unacked_if_idle();
    if (!sync || !sync->verify) return;
    sync->inflight_bytes -= std::min<uint64_t>(sync->inflight_bytes, length);
    const uint64_t blocks = length / kBlockBytes;
    if (err || !data) {
      disk_failed("verify read", err ? err : EIO);
      return;
    }
    const auto mine = digests(*data);
    const size_t per = blocks ? mine.size() / blocks : 0;
    for (uint64_t b = 0; b < blocks; ++b) {
      const bool differs = theirs->size() != mine.size() ||
                           !std::equal(mine.begin() + static_cast<std::ptrdiff_t>(b * per),
                                       mine.begin() + static_cast<std::ptrdiff_t>((b + 1) * per),
                                       theirs->begin() + static_cast<std::ptrdiff_t>(b * per));
      if (differs) {
        const uint64_t bit = offset / kBlockBytes + b;
        if (!bm.test(bit)) ++sync->found_oos;
        bm.set_range(bit, bit);
      }
    }
    sync->done_bits += blocks;
    verify_maybe_done();
    generate_requests();
  });
}

void Replica::Impl::verify_maybe_done() {
  if (!sync || !sync->verify || sync->cursor_bit < bm.bits() || !rs_inflight.empty()) return;
  const uint64_t found = sync->found_oos;
  const Millis took = now - sync->started;
  send(wire::Type::kOvDone, wire::OvDone{found});
  info(fmt::format("{}: Online verify done (total {}; paused 0:00:00; {} K/sec)", opt.resource,
                   fmt_duration(took),
                   took.count() > 0 ? sync->total_bits * 4 * 1000 / static_cast<uint64_t>(took.count()) : 0));
  if (found > 0) {
    warn(fmt::format("{}: Online verify found {} 4k block out of sync!", opt.resource, found));
    handler("out-of-sync");
    sb.set(kMdVerifySource, true);
    flush_dirty_bitmap();
    write_superblock(false);
  }
  sync.reset();
  set_cs(ConnState::kConnected);
}

void Replica::Impl::on_ov_done(const wire::OvDone& d) {
  if (cs != ConnState::kVerifyT) return;
  info(fmt::format("{}: Online verify done; the peer found {} 4k block out of sync", opt.resource,
                   d.out_of_sync_blocks));
  sync.reset();
  set_cs(ConnState::kConnected);
}

// ---- invalidate ------------------------------------------------------------

Status Replica::invalidate(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.role == Role::kPrimary) return Error{"State change failed: (-2) Need access to UpToDate data (Primary)"};
  if (m.disk == DiskState::kDiskless || m.disk == DiskState::kFailed) {
    return Error{"State change failed: (-2) no local disk to invalidate"};
  }
  if (m.cs == ConnState::kConnected) {
    if (m.peer_disk != DiskState::kUpToDate) {
      return Error{"State change failed: (-2) Need access to UpToDate data on the peer"};
    }
    m.send_state(kStateInvalidateMe);
    m.begin_sync(true, true);
    return Status::Ok();
  }
  if (is_connected(m.cs)) {
    return Error{fmt::format("State change failed: (-15) a resync or verify is running (cs:{})", name(m.cs))};
  }
  m.bm.set_all();
  m.sb.set(kMdFullSync, true);
  m.set_disk(DiskState::kInconsistent);
  m.flush_dirty_bitmap();
  m.write_superblock(true);
  return Status::Ok();
}

Status Replica::invalidate_remote(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.cs != ConnState::kConnected) {
    return Error{fmt::format("State change failed: (-15) Need a connection to start verify or resync (cs:{})",
                             name(m.cs))};
  }
  if (m.disk != DiskState::kUpToDate) return Error{"State change failed: (-2) Need access to UpToDate data"};
  if (has_no_disk(m.peer_disk)) {
    return Error{"State change failed: (-2) the peer has no disk to overwrite"};
  }
  if (m.peer_role == Role::kPrimary) {
    return Error{"State change failed: (-10) the peer is Primary; its data cannot be overwritten"};
  }
  m.send_state(kStateInvalidateYou);
  m.begin_sync(false, true);
  return Status::Ok();
}

}  // namespace quorate::replication
