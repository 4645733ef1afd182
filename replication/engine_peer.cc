// Replica: the peer connection — handshake and authentication, the sync
// decision, replicated writes on the receiving side, acknowledgements,
// barriers, keep-alive and timeouts.
#include <algorithm>
#include <cassert>
#include <cerrno>

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "replication/engine_impl.h"

namespace quorate::replication {

namespace {

std::vector<uint8_t> hmac(const std::string& alg, const std::string& secret,
                          std::span<const uint8_t> data) {
  const EVP_MD* md = EVP_get_digestbyname(alg.c_str());
  if (md == nullptr) return {};
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (HMAC(md, secret.data(), static_cast<int>(secret.size()), data.data(), data.size(), out.data(),
           &len) == nullptr) {
    return {};
  }
  out.resize(len);
  return out;
}

}  // namespace

void Replica::Impl::send(wire::Type t, const wire::Message& m) {
  if (!transport_up) return;
  wire::Encoded e = wire::encode(t, m);
  outs.emplace_back(out::Send{std::move(e.head), std::move(e.payload)});
}

void Replica::Impl::set_cs(ConnState c) {
  if (c == cs) return;
  info(fmt::format("{}: conn( {} -> {} )", opt.resource, name(cs), name(c)));
  cs = c;
}

void Replica::Impl::note_sent_request(Millis t) {
  if (!oldest_unacked) oldest_unacked = t;
}

void Replica::Impl::note_answer() {
  // The oldest outstanding answer is re-armed from now: a live peer answering
  // anything proves the link; a stuck request is caught by ko-count logic in
  // a later version (docs/formats/replication-peer.md).
  oldest_unacked.reset();
  if (awaiting_answers()) oldest_unacked = now;
}

bool Replica::Impl::awaiting_answers() const {
  return pe > 0 || !rs_inflight.empty() || sent_barrier > acked_epoch || (promoting && !promoting->waiting_fence);
}

void Replica::Impl::forget_unacked_if_idle() {
  if (oldest_unacked && !awaiting_answers()) oldest_unacked.reset();
}

void Replica::on_transport_up(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.transport_up || m.cs == ConnState::kStandAlone || m.downing) return;
  m.transport_up = true;
  m.reader = wire::FrameReader{};
  m.inbox.clear();
  m.inbox_blocked = false;
  m.hello_sent = true;
  m.peer_authed = false;
  m.params_sent = false;
  m.my_params.reset();
  m.peer_params.reset();
  m.peer_bitmap.reset();
  m.bitmap_sent = m.bitmap_received = false;
  m.last_rx = now;
  m.ping_outstanding = false;
  m.oldest_unacked.reset();
  m.pe = m.ua = 0;
  m.tx_epoch = 1;
  m.tx_epoch_writes = 0;
  m.tx_epoch_close_pending = false;
  m.acked_epoch = 0;
  m.sent_barrier = 0;
  m.tx_closed_writes.clear();
  m.peer_flushed_epoch = 0;
  m.peer_flushed_writes = 0;
  m.rx_reset();
  m.set_cs(ConnState::kWFReportParams);
  for (auto& b : m.challenge) b = static_cast<uint8_t>(m.rng());
  wire::Hello h;
  h.challenge = m.challenge;
  h.node = m.opt.self;
  h.resource = m.opt.resource;
  m.send(wire::Type::kHello, h);
}

void Replica::on_transport_down(Millis now, ConnState why) {
  Impl& m = *impl_;
  m.now = now;
  if (!m.transport_up) return;
  m.drop_connection(why, "connection lost", false);
}

void Replica::Impl::drop_connection(ConnState why, const std::string& reason, bool standalone) {
  const bool was_up = transport_up;
  if (was_up) {
    outs.emplace_back(out::Close{reason});
    transport_up = false;
  }
  if (why != cs) set_cs(why);
  if (was_up) info(fmt::format("{}: {}", opt.resource, reason));
  after_connection_lost();
  if (standalone) {
    set_cs(ConnState::kStandAlone);
  } else if (cs != ConnState::kStandAlone) {
    set_cs(ConnState::kUnconnected);
    set_cs(ConnState::kWFConnection);
  }
}

void Replica::Impl::after_connection_lost() {
  const bool was_replicating = established;
  established = false;
  // Before anything completes: under resource-and-stonith no write is
  // acknowledged from here until the peer is fenced.
  if (was_replicating) freeze_io_if_fencing();
  // Everything the peer has not confirmed on stable storage is out of sync:
  // what is left in the transfer log, but for epochs an EpochFlushed of this
  // connection reported wholly durable there.
  for (const auto& [rid, e] : tl) {
    if (!peer_flushed_through(e.epoch)) mark_oos(e.offset, e.length);
  }
  tl.clear();
  for (auto& [rid, r] : reqs) {
    // A write the peer asked for again is rewritten locally (restart_write)
    // and marked out of sync then.
    if (r.peer_needed && !r.peer_done && !r.retry) {
      r.peer_done = true;
      r.peer_error = EIO;
      if (r.r.op != AppRequest::Op::kFlush && r.r.op != AppRequest::Op::kRead) mark_oos(r.r.offset, r.r.length);
    }
  }
  std::vector<uint64_t> ids;
  for (const auto& [rid, r] : reqs) ids.push_back(rid);
  for (uint64_t rid : ids) maybe_complete(rid);
  rs_inflight.clear();
  rs_stale.clear();
  rs_reads.clear();
  pump_gated();
  inbox.clear();
  inbox_blocked = false;
  rx_reset();
  pe = ua = 0;
  oldest_unacked.reset();
  if (sync) {
    if (sync->verify) {
      info(fmt::format("{}: online verify aborted ({} blocks checked, {} out of sync)", opt.resource,
                       sync->done_bits, sync->found_oos));
    }
    sync.reset();
  }
  peer_role = Role::kUnknown;
  // As DRBD: a peer that replicated with us and is Inconsistent or Outdated
  // stays so; anything better is unknown once the connection is gone. A
  // connection that never got the peer's Params leaves what fencing learnt.
  if (peer_params && (!was_replicating || (peer_disk != DiskState::kInconsistent &&
                                           peer_disk != DiskState::kOutdated))) {
    peer_disk = DiskState::kDUnknown;
  }
  peer_paused = false;
  sb.set(kMdConnectedInd, false);
  // A Primary whose disk is Inconsistent (a sync target, pass_on) takes no
  // writes without its peer (writable()): its data cannot diverge, and a new
  // generation would make the next handshake a split brain.
  if (was_replicating && role == Role::kPrimary && disk != DiskState::kInconsistent) new_generation();
  if (was_replicating || bm.count() > 0) flush_dirty_bitmap();
  peer_params.reset();
  my_params.reset();
  params_sent = false;
  write_superblock(was_replicating && role == Role::kPrimary);
  if (was_replicating) primary_lost_peer();
  promotion_lost_connection();
}

void Replica::on_receive(std::span<const uint8_t> bytes, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (!m.transport_up) return;
  m.reader.feed(bytes);
  m.take_frames();
}

Replica::ReceiveSpace Replica::receive_space() {
  if (!impl_->transport_up) return {};
  return {impl_->reader.payload_space(), impl_->reader.payload_owner()};
}

void Replica::on_received_in_place(size_t n, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (!m.transport_up || n == 0) return;
  if (n > m.reader.payload_space().size()) {
    m.error(fmt::format("{}: {} bytes reported into a receive space of {}", m.opt.resource, n,
                        m.reader.payload_space().size()));
    return m.drop_connection(ConnState::kProtocolError, "protocol error", false);
  }
  m.reader.payload_filled(n);
  m.take_frames();
}

void Replica::Impl::take_frames() {
  last_rx = now;
  ping_outstanding = false;
  while (transport_up) {
    auto f = reader.next();
    if (!f.ok()) {
      error(fmt::format("{}: protocol error from {}: {}", opt.resource, opt.peer, f.error().message));
      drop_connection(ConnState::kProtocolError, "protocol error", false);
      return;
    }
    if (!f->has_value()) break;
    inbox.push_back(std::move(**f));
  }
  process_inbox();
}

void Replica::Impl::process_inbox() {
  // Bounded: each pass handles what is queued. A write that would be issued
  // ahead of an unacknowledged epoch waits (with everything after it) until
  // the superblock says so durably.
  while (transport_up && !inbox_blocked && !inbox.empty()) {
    if (inbox.front().type == wire::Type::kData && rx_must_wait_for_order_flag()) {
      inbox_blocked = true;
      break;
    }
    wire::Frame f = std::move(inbox.front());
    inbox.pop_front();
    handle(f);
  }
}

void Replica::Impl::handle(const wire::Frame& f) {
  using T = wire::Type;
  const bool handshake_done = peer_params.has_value();
  if (f.type != T::kHello && f.type != T::kAuthResponse && f.type != T::kPing && f.type != T::kPingAck &&
      !(f.type == T::kParams && peer_authed) && !handshake_done) {
    drop_connection(ConnState::kProtocolError,
                    fmt::format("protocol error: message {} before the handshake finished",
                                static_cast<int>(f.type)),
                    false);
    return;
  }
  switch (f.type) {
    case T::kHello: return on_hello(std::get<wire::Hello>(f.message));
    case T::kAuthResponse: return on_auth(std::get<wire::AuthResponse>(f.message));
    case T::kParams: return on_params(std::get<wire::Params>(f.message));
    case T::kBitmap: return on_bitmap(std::get<wire::BitmapChunk>(f.message));
    case T::kSyncUuid: return on_sync_uuid(std::get<wire::SyncUuid>(f.message));
    case T::kState: return on_state(std::get<wire::State>(f.message));
    case T::kData: return on_data(std::get<wire::Data>(f.message));
    case T::kRecvAck:
    case T::kWriteAck:
    case T::kNegAck:
    case T::kSuperseded:
    case T::kRetryWrite: return on_ack(f.type, std::get<wire::BlockAck>(f.message));
    case T::kRsWriteAck: return on_rs_write_ack(std::get<wire::BlockAck>(f.message));
    case T::kBarrier: return on_barrier(std::get<wire::Barrier>(f.message));
    case T::kBarrierAck: return on_barrier_ack(std::get<wire::BarrierAck>(f.message));
    case T::kEpochFlushed: return on_epoch_flushed(std::get<wire::EpochFlushed>(f.message));
    case T::kRsRequest:
    case T::kOvRequest: return on_rs_request(f.type, std::get<wire::RsRequest>(f.message));
    case T::kRsReply: return on_rs_reply(std::get<wire::RsReply>(f.message));
    case T::kRsNegReply: return on_rs_neg(std::get<wire::RsNegReply>(f.message));
    case T::kRsDone: return on_rs_done();
    case T::kUuids: return on_uuids(std::get<wire::UuidSet>(f.message));
    case T::kOvReply: return on_ov_reply(std::get<wire::OvReply>(f.message));
    case T::kOvDone: return on_ov_done(std::get<wire::OvDone>(f.message));
    case T::kReadRequest: return on_read_request(std::get<wire::RsRequest>(f.message));
    case T::kReadReply: return on_read_reply(std::get<wire::RsReply>(f.message));
    case T::kStateChgReq: return on_state_chg_req(std::get<wire::StateChgReq>(f.message));
    case T::kStateChgReply: return on_state_chg_reply(std::get<wire::StateChgReply>(f.message));
    case T::kPing: return send(T::kPingAck, wire::PingAck{});
    case T::kPingAck: return;
  }
}

void Replica::Impl::on_hello(const wire::Hello& h) {
  if (h.version != wire::kProtocolVersion) {
    error(fmt::format("{}: peer speaks protocol version {}, we speak {}", opt.resource, h.version,
                      wire::kProtocolVersion));
    return drop_connection(ConnState::kProtocolError, "incompatible protocol version", true);
  }
  if (h.resource != opt.resource) {
    error(fmt::format("{}: peer presented resource '{}'", opt.resource, h.resource));
    return drop_connection(ConnState::kProtocolError, "resource name mismatch", true);
  }
  if (h.node != opt.peer) {
    error(fmt::format("{}: peer presented itself as '{}', expected '{}'", opt.resource, h.node, opt.peer));
    return drop_connection(ConnState::kProtocolError, "unexpected peer", true);
  }
  wire::AuthResponse a;
  if (!opt.cram_hmac_alg.empty()) a.mac = hmac(opt.cram_hmac_alg, opt.shared_secret, h.challenge);
  send(wire::Type::kAuthResponse, a);
}

void Replica::Impl::on_auth(const wire::AuthResponse& a) {
  if (opt.cram_hmac_alg.empty()) {
    if (!a.mac.empty()) {
      error(fmt::format("{}: the peer uses cram-hmac-alg but this node has none configured", opt.resource));
      return drop_connection(ConnState::kDisconnecting, "Authentication of peer failed", true);
    }
  } else {
    const auto want = hmac(opt.cram_hmac_alg, opt.shared_secret, challenge);
    if (want.empty() || a.mac.size() != want.size() ||
        CRYPTO_memcmp(want.data(), a.mac.data(), want.size()) != 0) {
      error(fmt::format("{}: Authentication of peer failed (cram-hmac-alg {}: wrong shared-secret?)",
                        opt.resource, opt.cram_hmac_alg));
      return drop_connection(ConnState::kDisconnecting, "Authentication of peer failed", true);
    }
    info(fmt::format("{}: Peer authenticated using {} bytes HMAC", opt.resource, want.size()));
  }
  peer_authed = true;
  send_params();
}

void Replica::Impl::send_params() {
  wire::Params p;
  p.protocol = static_cast<uint8_t>(opt.protocol);
  p.role = static_cast<uint8_t>(role);
  p.disk = static_cast<uint8_t>(disk);
  p.after_sb[0] = static_cast<uint8_t>(opt.after_sb.pri0);
  p.after_sb[1] = static_cast<uint8_t>(opt.after_sb.pri1);
  p.after_sb[2] = static_cast<uint8_t>(opt.after_sb.pri2);
  uint32_t flags = 0;
  if (opt.allow_two_primaries) flags |= wire::kPAllowTwoPrimaries;
  if (discard_my_data) flags |= wire::kPDiscardMyData;
  if (crashed_primary) flags |= wire::kPCrashedPrimary;
  if (sb.has(kMdVerifySource)) flags |= wire::kPVerifySource;
  if (sb.has(kMdConsistent)) flags |= wire::kPConsistent;
  if (disk == DiskState::kUpToDate) flags |= wire::kPWasUpToDate;
  p.flags = flags;
  p.data_bytes = data_bytes();
  p.uuids = sb.uuids;
  p.bitmap_weight = bm.count();
  p.tiebreak = rng();
  my_params = p;
  params_sent = true;
  send(wire::Type::kParams, p);
  if (peer_params) on_params(*peer_params);
}

SideInfo Replica::Impl::side_info(const wire::Params& p) const {
  SideInfo s;
  s.uuids = p.uuids;
  s.primary = p.role == static_cast<uint8_t>(Role::kPrimary);
  s.crashed_primary = p.flags & wire::kPCrashedPrimary;
  s.discard_my_data = p.flags & wire::kPDiscardMyData;
  s.verify_source = p.flags & wire::kPVerifySource;
  s.bitmap_weight = p.bitmap_weight;
  s.tiebreak = p.tiebreak;
  s.consistent = (p.flags & wire::kPConsistent) && p.disk != static_cast<uint8_t>(DiskState::kInconsistent);
  return s;
}

void Replica::Impl::on_params(const wire::Params& p) {
  peer_params = p;
  if (!params_sent) return;  // decided once ours went out (send_params)
  const wire::Params& mine = *my_params;
  if (p.protocol != mine.protocol) {
    error(fmt::format("{}: incompatible communication protocols (peer {}, this node {})", opt.resource,
                      letter(static_cast<Protocol>(p.protocol)), letter(opt.protocol)));
    return drop_connection(ConnState::kDisconnecting, "incompatible protocol", true);
  }
  if ((p.flags & wire::kPAllowTwoPrimaries) != (mine.flags & wire::kPAllowTwoPrimaries)) {
    error(fmt::format("{}: incompatible setting of the two-primaries options", opt.resource));
    return drop_connection(ConnState::kDisconnecting, "incompatible allow-two-primaries", true);
  }
  if (p.data_bytes != mine.data_bytes) {
    error(fmt::format("{}: the peer's disk has {} bytes of data, this node's {}: sizes must match",
                      opt.resource, p.data_bytes, mine.data_bytes));
    return drop_connection(ConnState::kDisconnecting, "disk sizes differ", true);
  }
  const bool both_primary = p.role == static_cast<uint8_t>(Role::kPrimary) && role == Role::kPrimary;
  peer_allow_two = (p.flags & wire::kPAllowTwoPrimaries) != 0;
  peer_role = static_cast<Role>(p.role);
  peer_disk = static_cast<DiskState>(p.disk);
  // A side without a disk has no data to compare or sync: the two connect,
  // and the diskless side reads and writes through the other. A diskless
  // Primary serves only the data it has been exposing, as DRBD's: the peer's
  // current generation must be the one it had.
  if (has_no_disk(disk) || has_no_disk(peer_disk)) {
    if (has_no_disk(disk) && !has_no_disk(peer_disk) && role == Role::kPrimary &&
        uuid_base(p.uuids.current) != uuid_base(mine.uuids.current)) {
      error(fmt::format("{}: the peer's data (current UUID {:016X}) is not the data this diskless Primary has been "
                        "serving ({:016X}); dropping connection",
                        opt.resource, p.uuids.current, mine.uuids.current));
      return drop_connection(ConnState::kDisconnecting, "diskless Primary and a peer of another generation", true);
    }
    if (both_primary && !opt.allow_two_primaries) {
      error(fmt::format("{}: both nodes are Primary and allow-two-primaries is off", opt.resource));
      return drop_connection(ConnState::kDisconnecting, "two primaries", true);
    }
    info(fmt::format("{}: handshake with {}: {} diskless, no sync", opt.resource, opt.peer,
                     has_no_disk(disk) && has_no_disk(peer_disk) ? "both" : has_no_disk(disk) ? "this node" : "the peer"));
    decision = SyncDecision{};
    decision.kind = SyncDecision::Kind::kNoSync;
    discard_my_data = false;
    split_brain_note.clear();
    established = true;
    sb.set(kMdConnectedInd, true);
    if (io_frozen) unfreeze_io();
    set_cs(ConnState::kConnected);
    if (!has_no_disk(disk) && peer_role == Role::kPrimary) {
      // Serving a diskless Primary the data it has been exposing: that data
      // is current (DRBD makes Consistent/Outdated UpToDate here).
      if ((disk == DiskState::kConsistent || disk == DiskState::kOutdated) &&
          uuid_base(p.uuids.current) == uuid_base(mine.uuids.current)) {
        set_disk(DiskState::kUpToDate);
      }
      serve_diskless_primary();
    }
    if (!has_no_disk(disk)) write_superblock(false);
    send_state();
    return;
  }
  decision = decide_sync(side_info(mine), side_info(p), opt.after_sb);
  info(fmt::format("{}: handshake with {}: {} (uuids {:016X}:{:016X} peer {:016X}:{:016X}, {} / {} bits)",
                   opt.resource, opt.peer, decision.reason, mine.uuids.current, mine.uuids.bitmap,
                   p.uuids.current, p.uuids.bitmap, mine.bitmap_weight, p.bitmap_weight));
  discard_my_data = false;  // used once
  using K = SyncDecision::Kind;
  if (decision.split_brain) {
    split_brain_note = fmt::format("split brain detected with {}: {}", opt.peer, decision.reason);
    handler("initial-split-brain");
  }
  if (decision.kind == K::kDisconnect) {
    if (decision.pri_lost_handler) handler("pri-lost-after-sb");
    if (decision.split_brain) {
      error(fmt::format("{}: Split-Brain detected, dropping connection!", opt.resource));
      handler("split-brain");
    } else {
      error(fmt::format("{}: {}; dropping connection", opt.resource, decision.reason));
    }
    return drop_connection(ConnState::kDisconnecting, decision.split_brain ? "split brain" : decision.reason,
                           true);
  }
  if (both_primary && !opt.allow_two_primaries) {
    error(fmt::format("{}: both nodes are Primary and allow-two-primaries is off", opt.resource));
    return drop_connection(ConnState::kDisconnecting, "two primaries", true);
  }
  if (decision.kind == K::kNoSync) split_brain_note.clear();
  established = true;
  sb.set(kMdConnectedInd, true);
  sb.set(kMdPeerOutdated, false);
  // The peer is back and agreed to replicate: it is not Primary behind our back.
  if (io_frozen) unfreeze_io();
  if (decision.kind == K::kNoSync) {
    set_cs(ConnState::kConnected);
    const bool peer_good = p.flags & wire::kPConsistent;
    const bool both_new = uuid_base(mine.uuids.current) == kUuidJustCreated;
    if (!both_new && peer_good && (disk == DiskState::kConsistent || disk == DiskState::kOutdated)) {
      set_disk(DiskState::kUpToDate);
    }
    if (crashed_primary) crashed_primary = false;
    write_superblock(false);
    send_state();
    return;
  }
  split_brain_note = decision.split_brain ? fmt::format("split brain with {} resolved: {}", opt.peer, decision.reason)
                                          : std::string();
  // The generation rules chose this node's data: Consistent (or Outdated)
  // data that is newer than the peer's is the up-to-date copy, and a sync
  // source serves only UpToDate data (on_rs_request).
  if (decision.kind == K::kSource && (disk == DiskState::kConsistent || disk == DiskState::kOutdated)) {
    set_disk(DiskState::kUpToDate);
  }
  begin_sync(decision.kind == K::kTarget, decision.full);
}

void Replica::Impl::serve_diskless_primary() {
  // This disk now holds the only current copy. As DRBD: a new generation
  // (the Primary's old disk keeps the old one), and the writes that arrive
  // from now on are marked out of sync (on_data), so that disk resyncs from
  // here whenever it comes back, whatever its meta data says. The diskless
  // Primary takes the new generation as the one it serves (on_sync_uuid).
  if (disk != DiskState::kUpToDate || sb.uuids.bitmap != 0) return;
  new_generation();
  write_superblock(true);
  send(wire::Type::kSyncUuid, wire::SyncUuid{sb.uuids.current});
}

void Replica::Impl::send_state(uint32_t flags) {
  wire::State s;
  s.role = static_cast<uint8_t>(role);
  s.disk = static_cast<uint8_t>(disk);
  s.flags = flags | (user_paused ? 1u : 0u) | (opt.allow_two_primaries ? kStateAllowTwoPrimaries : 0u);
  send(wire::Type::kState, s);
}

void Replica::Impl::on_state(const wire::State& s) {
  const Role r = static_cast<Role>(s.role);
  const DiskState d = static_cast<DiskState>(s.disk);
  if (r != peer_role) info(fmt::format("{}: peer( {} -> {} )", opt.resource, name(peer_role), name(r)));
  if (d != peer_disk) info(fmt::format("{}: pdsk( {} -> {} )", opt.resource, name(peer_disk), name(d)));
  if (r == Role::kPrimary && has_no_disk(d) && !has_no_disk(peer_disk)) serve_diskless_primary();
  peer_role = r;
  peer_disk = d;
  const bool two = (s.flags & kStateAllowTwoPrimaries) != 0;
  if (two != peer_allow_two) {
    info(fmt::format("{}: the peer {} allow-two-primaries", opt.resource, two ? "set" : "cleared"));
    peer_allow_two = two;
  }
  if (sync && (s.flags & kStateSyncStopped)) {
    abort_resync("the peer stopped it", false);
  } else if (sync && !sync->verify && sync->target && d != DiskState::kUpToDate) {
    abort_resync(fmt::format("the source's disk is {}", name(d)));
  } else if (sync && has_no_disk(d)) {
    abort_resync(fmt::format("the peer's disk is {}", name(d)));
  }
  const bool was_paused = peer_paused;
  peer_paused = (s.flags & 1) != 0;
  if (was_paused != peer_paused && sync && !sync->verify) {
    const bool paused = peer_paused || user_paused;
    if (cs == ConnState::kSyncSource && paused) set_cs(ConnState::kPausedSyncS);
    if (cs == ConnState::kSyncTarget && paused) set_cs(ConnState::kPausedSyncT);
    if (cs == ConnState::kPausedSyncS && !paused) set_cs(ConnState::kSyncSource);
    if (cs == ConnState::kPausedSyncT && !paused) set_cs(ConnState::kSyncTarget);
    if (!paused && sync->target) generate_requests();
  }
  if ((s.flags & (kStateInvalidateMe | kStateInvalidateYou)) && cs == ConnState::kConnected && has_no_disk(disk)) {
    warn(fmt::format("{}: the peer asked for a full sync, but this node has no disk", opt.resource));
    return;
  }
  if ((s.flags & (kStateInvalidateMe | kStateInvalidateYou)) && cs == ConnState::kConnected) {
    const bool we_are_target = (s.flags & kStateInvalidateYou) != 0;
    if (we_are_target && role == Role::kPrimary) {
      return drop_connection(ConnState::kDisconnecting,
                             "the peer asked to overwrite this Primary's data (invalidate-remote)", true);
    }
    begin_sync(we_are_target, true);
  }
}

// ---- replicated writes: the receiving side ---------------------------------

void Replica::Impl::on_data(const wire::Data& d) {
  nr_bytes += d.length;
  app_io_bytes_step += d.length;
  if (d.offset > data_bytes() || d.length > data_bytes() - d.offset) {
    return drop_connection(ConnState::kProtocolError,
                           fmt::format("protocol error: write beyond the end of the disk ({}+{})", d.offset,
                                       d.length),
                           false);
  }
  if (role == Role::kPrimary && !opt.allow_two_primaries) {
    return drop_connection(ConnState::kProtocolError, "protocol error: data for a Primary", false);
  }
  if (rx_epochs.empty()) rx_epochs.emplace_back();
  RxEpoch& epoch = rx_epochs.back();
  // The open epoch's number comes from its first write (EpochFlushed names it
  // before its Barrier arrives); every later write must agree.
  if (epoch.writes == 0) {
    epoch.number = d.epoch;
  } else if (d.epoch != epoch.number) {
    return drop_connection(ConnState::kProtocolError,
                           fmt::format("protocol error: a write of epoch {} in epoch {}", d.epoch, epoch.number),
                           false);
  }
  if (opt.protocol == Protocol::kB) send(wire::Type::kRecvAck, wire::BlockAck{d.id, d.offset, d.length});
  // Written through a diskless Primary: its own (old) disk lacks this block.
  if (has_no_disk(peer_disk)) mark_oos(d.offset, d.length);
  if (rx_epochs.size() > 1) last_unordered = now;
  ++epoch.writes;
  bool park = false;
  if (const Overlap mine = own_writes_in_flight(d.offset, d.length); mine != Overlap::kNone) {
    if (resolves_conflicts()) {
      // Counted in its epoch (the sender counts it), never written here.
      const bool covered = mine == Overlap::kCovered;
      warn(fmt::format("{}: concurrent writes of both Primaries at {}+{}: {}", opt.resource, d.offset, d.length,
                       covered ? "ours covers the peer's, which is superseded"
                               : "the peer writes again once ours is in"));
      send(covered ? wire::Type::kSuperseded : wire::Type::kRetryWrite, wire::BlockAck{d.id, d.offset, d.length});
      rx_progress();
      return;
    }
    park = true;
  }
  if (!park) {
    for (const auto& [key, w] : rx_writes) {
      if (w.parked && overlaps(d.offset, d.length, w.d.offset, w.d.length)) {
        park = true;
        break;
      }
    }
  }
  ++epoch.pending;
  ++rx_writes_inflight;
  ++ua;
  const uint64_t key = next_rx_write++;
  rx_writes.emplace(key, RxWrite{d, rx_first_seq + rx_epochs.size() - 1, rx_gen, park});
  if (!park) issue_rx_write(key);
}

void Replica::Impl::issue_rx_write(uint64_t key) {
  RxWrite& w = rx_writes.at(key);
  w.parked = false;
  out::DiskIo io;
  io.op = (w.d.dflags & wire::kDTrim)     ? out::DiskIo::Op::kTrim
          : (w.d.dflags & wire::kDZeroes) ? out::DiskIo::Op::kWriteZeroes
                                          : out::DiskIo::Op::kWrite;
  io.offset = w.d.offset;
  io.length = w.d.length;
  io.fua = (w.d.dflags & wire::kDFua) != 0;
  io.data = w.d.payload;
  local_io(std::move(io), [this, key](int err, Bytes) {
    auto it = rx_writes.find(key);
    assert(it != rx_writes.end());
    const uint64_t id = it->second.d.id;
    const uint64_t off = it->second.d.offset;
    const uint32_t len = it->second.d.length;
    const uint64_t seq = it->second.seq;
    const uint64_t gen = it->second.gen;
    rx_writes.erase(it);
    --rx_writes_inflight;
    if (gen == rx_gen) {
      if (ua > 0) --ua;
      assert(seq >= rx_first_seq && seq - rx_first_seq < rx_epochs.size());
      --rx_epochs[seq - rx_first_seq].pending;
    }
    if (err) {
      disk_failed("replicated write", err);
      mark_oos(off, len);
      if (transport_up && gen == rx_gen) send(wire::Type::kNegAck, wire::BlockAck{id, off, len});
    } else if (opt.protocol == Protocol::kC && transport_up && gen == rx_gen) {
      send(wire::Type::kWriteAck, wire::BlockAck{id, off, len});
    }
    rx_progress();
    // Our writes that overlap it may start now: their Data follows this answer.
    pump_gated();
  });
}

bool Replica::Impl::overlaps_rx_write(uint64_t offset, uint32_t length) const {
  for (const auto& [key, w] : rx_writes) {
    if (overlaps(offset, length, w.d.offset, w.d.length)) return true;
  }
  return false;
}

Replica::Impl::Overlap Replica::Impl::own_writes_in_flight(uint64_t offset, uint32_t length) const {
  Overlap found = Overlap::kNone;
  for (const auto& [rid, r] : reqs) {
    if (!r.started || r.retry || !r.peer_needed || r.peer_done) continue;
    if (r.r.op == AppRequest::Op::kRead || r.r.op == AppRequest::Op::kFlush) continue;
    if (!overlaps(offset, length, r.r.offset, r.r.length)) continue;
    if (r.r.offset <= offset && offset + length <= r.r.offset + r.r.length) return Overlap::kCovered;
    found = Overlap::kPartial;
  }
  return found;
}

void Replica::Impl::release_parked() {
  // In arrival order: a parked write stays while one of our writes it overlaps
  // still waits for its answer, or while an earlier parked write it overlaps
  // stays (the disk must see them in the peer's order). Without a connection
  // no answer will come: everything goes to the disk.
  std::vector<std::pair<uint64_t, uint32_t>> staying;
  std::vector<uint64_t> go;
  for (const auto& [key, w] : rx_writes) {
    if (!w.parked) continue;
    bool stay = transport_up && own_writes_in_flight(w.d.offset, w.d.length) != Overlap::kNone;
    for (const auto& [off, len] : staying) {
      if (stay) break;
      stay = overlaps(w.d.offset, w.d.length, off, len);
    }
    if (stay) {
      staying.emplace_back(w.d.offset, w.d.length);
    } else {
      go.push_back(key);
    }
  }
  for (uint64_t key : go) issue_rx_write(key);
}

void Replica::Impl::on_barrier(const wire::Barrier& b) {
  if (rx_epochs.empty()) rx_epochs.emplace_back();
  RxEpoch& e = rx_epochs.back();
  if (e.writes > 0 && b.epoch != e.number) {
    return drop_connection(ConnState::kProtocolError,
                           fmt::format("protocol error: barrier for epoch {} closes epoch {}", b.epoch, e.number),
                           false);
  }
  e.number = b.epoch;
  e.closed = true;
  rx_epochs.emplace_back();
  rx_progress();
}

void Replica::Impl::rx_reset() {
  // The epochs of a lost connection are not acknowledged any more; writes
  // still in flight finish as plain I/O (rx_writes_inflight) and the order
  // flag stays until they are flushed.
  rx_first_seq += rx_epochs.size();
  rx_epochs.clear();
  ++rx_gen;
  release_parked();
}

void Replica::Impl::rx_progress() {
  const bool flushes = opt.disk_flushes && disk_usable();
  // Acknowledge settled epochs, oldest first.
  while (!rx_epochs.empty()) {
    const RxEpoch& e = rx_epochs.front();
    if (!e.closed || e.pending > 0 || (flushes && e.flushed_writes < e.writes)) break;
    if (transport_up) send(wire::Type::kBarrierAck, wire::BarrierAck{e.number, e.writes});
    rx_epochs.pop_front();
    ++rx_first_seq;
  }
  // One flush at a time, covering every complete epoch at the front,
  // including the open one (its writes so far).
  if (flushes && !rx_flush_inflight) {
    std::vector<std::pair<uint64_t, uint32_t>> cover;  // (epoch seq, writes covered)
    for (size_t k = 0; k < rx_epochs.size() && rx_epochs[k].pending == 0; ++k) {
      if (rx_epochs[k].flushed_writes < rx_epochs[k].writes) cover.emplace_back(rx_first_seq + k, rx_epochs[k].writes);
    }
    if (!cover.empty()) {
      const uint64_t gen = rx_gen;
      rx_flush_inflight = true;
      out::DiskIo io;
      io.op = out::DiskIo::Op::kFlush;
      local_io(std::move(io), [this, cover = std::move(cover), gen](int err, Bytes) {
        rx_flush_inflight = false;
        if (err) disk_failed("flush", err);
        if (gen == rx_gen) {
          for (const auto& [seq, writes] : cover) {
            if (seq < rx_first_seq) continue;
            RxEpoch& e = rx_epochs[seq - rx_first_seq];
            e.flushed_writes = std::max(e.flushed_writes, writes);
          }
          // The open epoch's writes so far are durable, and so is everything
          // before them: tell the sender now, not at the Barrier (an
          // application flush there waits for this epoch).
          if (!err && opt.protocol != Protocol::kA && !rx_epochs.empty() && !rx_epochs.back().closed &&
              cover.back().first == rx_first_seq + rx_epochs.size() - 1 && cover.back().second > 0) {
            send(wire::Type::kEpochFlushed, wire::EpochFlushed{rx_epochs.back().number, cover.back().second});
          }
        }
        rx_progress();
      });
    }
  }
  if (rx_epochs.size() > 1) last_unordered = now;
  maybe_clear_unordered(downing);
}

bool Replica::Impl::rx_must_wait_for_order_flag() {
  // A write now joins the open epoch; it is issued ahead of an unacknowledged
  // one when another epoch is still in the queue.
  if (rx_epochs.size() <= 1 || unordered == Unordered::kSet) return false;
  if (!disk_usable()) return false;  // nothing reaches this disk
  if (unordered != Unordered::kClear) return true;  // being set, or being cleared: wait and set again
  unordered = Unordered::kSetting;
  sb.set(kMdUnorderedWrites, true);
  sb.boot_id = opt.boot_id;
  write_superblock(false, [this] {
    unordered = Unordered::kSet;
    last_unordered = now;
    inbox_blocked = false;
    process_inbox();
    maybe_clear_unordered(downing);
  });
  return true;
}

void Replica::Impl::maybe_clear_unordered(bool force) {
  if (unordered != Unordered::kSet || unordered_clear_waits()) return;
  if (!force && now - last_unordered < kUnorderedIdle) return;
  unordered = Unordered::kClearing;
  auto clear = [this] {
    sb.set(kMdUnorderedWrites, false);
    write_superblock(false, [this] {
      unordered = Unordered::kClear;
      if (inbox_blocked) {
        inbox_blocked = false;
        process_inbox();
      }
    });
  };
  if (!opt.disk_flushes) return clear();
  out::DiskIo io;
  io.op = out::DiskIo::Op::kFlush;
  local_io(std::move(io), [this, clear](int err, Bytes) {
    if (err) {
      disk_failed("flush", err);
      unordered = Unordered::kSet;  // the flag stays: the data is not known to be on disk
      return;
    }
    clear();
  });
}

// ---- acknowledgements: the sending side ------------------------------------

void Replica::Impl::on_ack(wire::Type t, const wire::BlockAck& a) {
  const bool resolution = t == wire::Type::kSuperseded || t == wire::Type::kRetryWrite;
  if (resolution && resolves_conflicts()) {
    return drop_connection(ConnState::kProtocolError,
                           "protocol error: a conflict answer to the node that resolves conflicts", false);
  }
  auto it = reqs.find(a.id);
  if (it == reqs.end() || !it->second.peer_needed || it->second.peer_done || it->second.retry) return;
  Req& r = it->second;
  if (t == wire::Type::kRetryWrite) {
    // The peer did not write it; its own write is in. The peer's write we
    // parked goes to the disk now, after our local one; then ours again, to
    // both disks (restart_write, once the local write is done).
    if (pe > 0) --pe;
    note_answer();
    r.retry = true;
    release_parked();
    maybe_complete(a.id);
    return;
  }
  const bool final_ack = (t == wire::Type::kNegAck) || t == wire::Type::kSuperseded ||
                         (opt.protocol == Protocol::kB && t == wire::Type::kRecvAck) ||
                         (opt.protocol == Protocol::kC && t == wire::Type::kWriteAck);
  if (!final_ack) return;
  if (pe > 0) --pe;
  note_answer();
  r.peer_done = true;
  if (t == wire::Type::kNegAck) {
    r.peer_error = EIO;
    mark_oos(r.r.offset, r.r.length);
  } else if (opt.protocol == Protocol::kC && r.local_done && r.local_error == 0 &&
             (cs == ConnState::kSyncSource || cs == ConnState::kPausedSyncS || cs == ConnState::kSyncTarget ||
              cs == ConnState::kPausedSyncT || cs == ConnState::kWFSyncUUID)) {
    // The peer now holds this data, and so does this disk (a Primary sync
    // target's write waited for the resync requests it overlaps, so no older
    // resync data lands after it): whole 4 KiB blocks it covers are in sync.
    const uint64_t first = (r.r.offset + kBlockBytes - 1) / kBlockBytes;
    const uint64_t end = (r.r.offset + r.r.length) / kBlockBytes;
    if (end > first) bm.clear_range(first, end - 1);
  }
  maybe_complete(a.id);
  // Two Primaries: a write of the peer's parked behind this one goes to the
  // disk now, after ours (Superseded; any answer ends the wait).
  if (!rx_writes.empty()) release_parked();
}

void Replica::Impl::on_barrier_ack(const wire::BarrierAck& a) {
  if (a.epoch > sent_barrier || a.epoch <= acked_epoch) {
    return drop_connection(ConnState::kProtocolError,
                           fmt::format("protocol error: barrier ack for epoch {} (sent up to {})", a.epoch,
                                       sent_barrier),
                           false);
  }
  acked_epoch = a.epoch;
  tx_closed_writes.erase(tx_closed_writes.begin(), tx_closed_writes.upper_bound(a.epoch));
  note_answer();
  for (auto it = tl.begin(); it != tl.end();) {
    if (it->second.epoch <= a.epoch) {
      it = tl.erase(it);
    } else {
      ++it;
    }
  }
  complete_flushes_peer_made_durable();
}

uint32_t Replica::Impl::writes_sent_in(uint32_t epoch) const {
  const auto closed = tx_closed_writes.find(epoch);
  if (closed != tx_closed_writes.end()) return closed->second;
  return epoch == tx_epoch ? tx_epoch_writes : 0;
}

bool Replica::Impl::peer_flushed_through(uint32_t epoch) const {
  if (epoch <= acked_epoch) return true;
  if (peer_flushed_epoch > epoch) return true;
  if (peer_flushed_epoch < epoch) return false;
  const uint32_t sent = writes_sent_in(epoch);
  return sent > 0 && peer_flushed_writes == sent;
}

void Replica::Impl::complete_flushes_peer_made_durable() {
  std::vector<uint64_t> done;
  for (auto& [rid, r] : reqs) {
    if (r.flush_wait_epoch && !r.peer_done && peer_flushed_through(*r.flush_wait_epoch)) {
      r.peer_done = true;
      done.push_back(rid);
    } else if (r.durable_wait_epoch && r.peer_done && peer_flushed_through(*r.durable_wait_epoch)) {
      done.push_back(rid);
    }
  }
  for (uint64_t rid : done) maybe_complete(rid);
}

void Replica::Impl::on_epoch_flushed(const wire::EpochFlushed& f) {
  const uint32_t sent = writes_sent_in(f.epoch);
  if (f.epoch > tx_epoch || (f.epoch > acked_epoch && f.writes > sent)) {
    return drop_connection(ConnState::kProtocolError,
                           fmt::format("protocol error: epoch {} flushed with {} writes, but {} were sent in it "
                                       "(current epoch {})",
                                       f.epoch, f.writes, sent, tx_epoch),
                           false);
  }
  if (f.epoch <= acked_epoch) return;  // its BarrierAck said more already
  if (f.epoch < peer_flushed_epoch || (f.epoch == peer_flushed_epoch && f.writes <= peer_flushed_writes)) return;
  peer_flushed_epoch = f.epoch;
  peer_flushed_writes = f.writes;
  complete_flushes_peer_made_durable();
}

// ---- reads for a diskless Primary -------------------------------------------

void Replica::Impl::on_read_request(const wire::RsRequest& q) {
  if (q.offset > data_bytes() || q.length > data_bytes() - q.offset) {
    return drop_connection(ConnState::kProtocolError, "protocol error: read beyond the end of the disk", false);
  }
  if (disk != DiskState::kUpToDate) {
    send(wire::Type::kReadReply, wire::RsReply{q.id, q.offset, 0, nullptr});
    return;
  }
  ++ua;
  out::DiskIo io;
  io.op = out::DiskIo::Op::kRead;
  io.offset = q.offset;
  io.length = q.length;
  local_io(std::move(io), [this, q](int err, Bytes data) {
    if (ua > 0) --ua;
    if (!transport_up) return;
    if (err || !data || data->size() != q.length) {
      if (err) disk_failed("read for the peer", err);
      send(wire::Type::kReadReply, wire::RsReply{q.id, q.offset, 0, nullptr});
      return;
    }
    ns_bytes += q.length;
    send(wire::Type::kReadReply, wire::RsReply{q.id, q.offset, q.length, std::move(data)});
  });
}

void Replica::Impl::on_read_reply(const wire::RsReply& p) {
  auto it = reqs.find(p.id);
  if (it == reqs.end() || it->second.r.op != AppRequest::Op::kRead || !it->second.peer_needed ||
      it->second.peer_done) {
    return drop_connection(ConnState::kProtocolError, "protocol error: read reply nobody asked for", false);
  }
  Req& r = it->second;
  if (pe > 0) --pe;
  note_answer();
  nr_bytes += p.length;
  r.peer_done = true;
  if (p.length != r.r.length || p.offset != r.r.offset || !p.payload) {
    r.peer_error = EIO;
  } else {
    r.read_data = p.payload;
  }
  maybe_complete(p.id);
}

// ---- time ------------------------------------------------------------------

void Replica::on_tick(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.transport_up) {
    const Millis ping_int{uint64_t{m.opt.ping_int_s} * 1000};
    const Millis ping_timeout{uint64_t{m.opt.ping_timeout_ds} * 100};
    const Millis timeout{uint64_t{m.opt.timeout_ds} * 100};
    if (m.oldest_unacked && now - *m.oldest_unacked > timeout && now - m.last_rx > timeout) {
      m.error(fmt::format("{}: the peer did not answer within timeout ({} ms)", m.opt.resource, timeout.count()));
      m.drop_connection(ConnState::kTimeout, "timeout", false);
    } else if (m.ping_outstanding && now - m.ping_sent_at > std::max(ping_timeout, Millis{100})) {
      m.error(fmt::format("{}: PingAck did not arrive in time", m.opt.resource));
      m.drop_connection(ConnState::kNetworkFailure, "PingAck did not arrive in time", false);
    } else if (!m.ping_outstanding && now - m.last_rx >= ping_int) {
      m.send(wire::Type::kPing, wire::Ping{});
      m.ping_outstanding = true;
      m.ping_sent_at = now;
    }
  }
  if (m.sync) {
    auto& r = *m.sync;
    const uint64_t done = r.verify ? r.done_bits : (r.total_bits - std::min(r.total_bits, m.bm.count()));
    if (r.samples.empty() || r.samples.back().second != done) r.last_progress = now;
    r.samples.emplace_back(now, done);
    while (r.samples.size() > 2 && now - r.samples.front().first > Millis{18000}) r.samples.pop_front();
    if (r.target || r.verify) m.generate_requests();
  }
  // During a resync bits are only cleared; losing a clear costs a block
  // resynced twice, never data. So progress reaches the disk every few
  // seconds, not every tick: pages with cleared bits wait for a flush of the
  // data device (the resync's data they vouch for).
  if (m.sync && !m.downing && now - m.sync->last_bitmap_write >= Millis{5000}) {
    m.sync->last_bitmap_write = now;
    m.flush_dirty_bitmap();
  }
  m.maybe_clear_unordered(m.downing);
}

Millis Replica::next_deadline() const {
  const Impl& m = *impl_;
  Millis d = Millis::max();
  if (m.sync) {
    d = m.now + Millis{100};
  } else if (m.transport_up) {
    if (m.ping_outstanding) {
      d = m.ping_sent_at + Millis{std::max<uint64_t>(100, uint64_t{m.opt.ping_timeout_ds} * 100) + 1};
    } else {
      // on_tick gives up on the peer when the oldest request waited longer
      // than timeout *and* nothing arrived for as long: the later of the two
      // is when that can first hold (the earlier alone is past due while the
      // peer keeps talking, and would make every tick ask for the next).
      const Millis timeout{uint64_t{m.opt.timeout_ds} * 100 + 1};
      d = std::min(m.last_rx + Millis{uint64_t{m.opt.ping_int_s} * 1000},
                   m.oldest_unacked ? std::max(*m.oldest_unacked, m.last_rx) + timeout : Millis::max());
    }
  }
  // The unordered-writes flag is cleared once idle for kUnorderedIdle. While
  // something keeps it set, its end looks again: a deadline then would be
  // past due at every tick and spin the caller's timer (it did: a Secondary
  // under steady writes spent a third of a CPU in ticks).
  if (m.unordered == Impl::Unordered::kSet && !m.unordered_clear_waits())
    d = std::min(d, m.last_unordered + Impl::kUnorderedIdle);
  return d;
}

}  // namespace quorate::replication
