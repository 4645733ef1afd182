// Replica: roles — promotion as a two-node state change, demotion, and
// resource-level fencing (the fence-peer handler, I/O frozen under
// resource-and-stonith). REPLICATION-FACTS.md §10.1 has the behaviour this
// follows; docs/formats/replication-peer.md the StateChgReq/StateChgReply frames.
#include <fmt/format.h>

#include "replication/engine_impl.h"

namespace quorate::replication {

namespace {

Error refuse(std::string_view what) { return Error{fmt::format("State change failed: {}", what)}; }

// DRBD's texts for the state-change results a peer can send back.
std::string_view state_chg_text(int32_t code) {
  switch (code) {
    case -1: return "Multiple primaries not allowed by config";
    case -2: return "Need access to UpToDate data";
    case -10: return "State change was refused by peer node";
    case -18: return "In transient state, retry after next state change";
    case -19: return "Concurrent state changes detected and aborted";
    default: return "State change was refused by peer node";
  }
}

}  // namespace

// ---- promotion ---------------------------------------------------------------

std::optional<Status> Replica::primary(bool force, uint64_t ticket, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.role == Role::kPrimary) return Status::Ok();
  if (m.promoting) {
    return refuse("(-18) In transient state, retry after next state change (a promotion is in progress)");
  }
  return m.begin_promote(ticket, force);
}

Status Replica::Impl::promotion_allowed(bool force) const {
  if (downing) return refuse("the resource is going down");
  if (peer_role == Role::kPrimary && !two_primaries_allowed()) {
    return refuse("(-1) Multiple primaries not allowed by config");
  }
  if (peer_role == Role::kPrimary && is_connected(cs) && cs != ConnState::kConnected) {
    return refuse(fmt::format("(-1) the Primary peer and this node are in {}: two Primaries do not resync", name(cs)));
  }
  if (disk == DiskState::kDiskless || disk == DiskState::kFailed) {
    return refuse("(-2) Need access to UpToDate data (no local disk)");
  }
  if (force) return Status::Ok();
  if (cs == ConnState::kSyncTarget || cs == ConnState::kPausedSyncT || cs == ConnState::kWFSyncUUID ||
      cs == ConnState::kWFBitMapT || cs == ConnState::kStartingSyncT) {
    return refuse("(-2) Need access to UpToDate data (this node is the sync target)");
  }
  if (disk == DiskState::kInconsistent) return refuse("(-2) Need access to UpToDate data");
  if (disk == DiskState::kOutdated) return refuse("(-2) Need access to UpToDate data (the disk is Outdated)");
  return Status::Ok();
}

bool Replica::Impl::peer_may_be_current() const {
  // DRBD's order: Outdated < DUnknown < Consistent < UpToDate. A peer known
  // to be Outdated or worse cannot take over, so it needs no fencing.
  return peer_disk > DiskState::kOutdated;
}

std::optional<Status> Replica::Impl::begin_promote(uint64_t ticket, bool force) {
  if (Status s = promotion_allowed(force); !s.ok()) return s;
  if (is_connected(cs) && !two_primaries_allowed()) {
    const uint64_t id = next_state_chg_id++;
    promoting = Promotion{ticket, force, id, false};
    send(wire::Type::kStateChgReq, wire::StateChgReq{id, static_cast<uint8_t>(Role::kPrimary)});
    note_sent_request(now);
    return std::nullopt;
  }
  if (!is_connected(cs) && opt.fencing != Fencing::kDontCare && peer_may_be_current()) {
    promoting = Promotion{ticket, force, 0, true};
    start_fence_peer();
    return std::nullopt;
  }
  return promote_now(force);
}

Status Replica::Impl::promote_now(bool force) {
  if (Status s = promotion_allowed(force); !s.ok()) return s;
  if (!force && disk == DiskState::kConsistent) {
    if (opt.fencing == Fencing::kDontCare || peer_may_be_current()) {
      warn(fmt::format("{}: promoting with Consistent data; the peer's disk state is unknown", opt.resource));
    }
  } else if (force && disk != DiskState::kUpToDate && disk != DiskState::kConsistent) {
    warn(fmt::format("{}: forced into Primary with {} data", opt.resource, name(disk)));
  }
  const bool connected = is_connected(cs);
  const bool was_up_to_date = disk == DiskState::kUpToDate;
  set_role(Role::kPrimary);
  if (!connected || !was_up_to_date) new_generation();
  set_disk(DiskState::kUpToDate);
  sb.set(kMdFullSync, false);
  write_superblock(true);
  // A forced primary connected to a peer without good data syncs it fully.
  if (connected && cs == ConnState::kConnected && !was_up_to_date) {
    send_state(kStateInvalidateYou);
    begin_sync(false, true);
  }
  // Primary without a connection and the peer possibly current: under
  // resource-and-stonith only a fenced (or forced) promotion gets here.
  return Status::Ok();
}

void Replica::Impl::finish_promotion(Status result) {
  const uint64_t ticket = promoting ? promoting->ticket : 0;
  promoting.reset();
  outs.emplace_back(out::CommandDone{ticket, std::move(result)});
}

// The peer asks to become Primary.
void Replica::Impl::on_state_chg_req(const wire::StateChgReq& q) {
  int32_t result = 1;
  if (role == Role::kPrimary && !two_primaries_allowed()) {
    result = -1;
  } else if (downing) {
    result = -10;
  } else if (promoting && !promoting->waiting_fence && opt.self < opt.peer) {
    // Both asked at once: the node whose name sorts first wins; the other's
    // own request is refused by this reply's counterpart.
    result = -19;
  }
  if (result == 1) {
    if (peer_role != Role::kPrimary) {
      info(fmt::format("{}: peer( {} -> Primary ) granted", opt.resource, name(peer_role)));
    }
    peer_role = Role::kPrimary;
  } else {
    info(fmt::format("{}: refused the peer's promotion: ({}) {}", opt.resource, result, state_chg_text(result)));
  }
  send(wire::Type::kStateChgReply, wire::StateChgReply{q.id, result});
}

void Replica::Impl::on_state_chg_reply(const wire::StateChgReply& r) {
  if (!promoting || promoting->waiting_fence || promoting->request_id != r.id) return;  // stale
  if (r.result >= 1) {
    Status s = promote_now(promoting->force);
    // The peer already counts us as Primary: tell it what we are after all.
    if (!s.ok() && transport_up && params_sent) send_state();
    finish_promotion(std::move(s));
  } else {
    finish_promotion(refuse(fmt::format("({}) {}", r.result, state_chg_text(r.result))));
  }
  note_answer();
}

// The connection broke while the peer had not answered: as DRBD, the change
// is then decided locally, under the rules for a node without its peer.
void Replica::Impl::promotion_lost_connection() {
  if (!promoting || promoting->waiting_fence) return;
  const Promotion p = *promoting;
  promoting.reset();
  info(fmt::format("{}: connection lost during the promotion; deciding without the peer", opt.resource));
  std::optional<Status> r = begin_promote(p.ticket, p.force);
  if (r) outs.emplace_back(out::CommandDone{p.ticket, std::move(*r)});
}

Status Replica::secondary(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (m.role == Role::kSecondary) return Status::Ok();
  for (const auto& [id, r] : m.reqs) {
    if (r.r.op != AppRequest::Op::kRead && !r.completed) {
      return refuse("(-12) Device is held open by someone (writes in flight)");
    }
  }
  if (m.io_frozen && (!m.held_done.empty() || !m.frozen_requests.empty())) {
    return refuse("(-12) Device is held open by someone (I/O frozen by fencing; see `drbdadm resume-io`)");
  }
  m.io_frozen = false;
  m.set_role(Role::kSecondary);
  // Without the Primary flag a crash no longer replays the activity log: the
  // blocks written while disconnected must be in the on-disk bitmap (DRBD
  // writes the bitmap on demote).
  m.flush_dirty_bitmap();
  m.write_superblock(true, {}, Impl::MdAfter::kData);
  return Status::Ok();
}

// ---- fencing -----------------------------------------------------------------

// A Primary is losing its peer (after_connection_lost, before any request
// completes): resource-and-stonith freezes I/O.
void Replica::Impl::freeze_io_if_fencing() {
  if (role != Role::kPrimary || opt.fencing != Fencing::kResourceAndStonith || !peer_may_be_current() || io_frozen) {
    return;
  }
  io_frozen = true;
  warn(fmt::format("{}: susp( 0 -> 1 ): I/O frozen until the peer is fenced (fencing resource-and-stonith)",
                   opt.resource));
}

// A Primary lost its peer (after_connection_lost): have it fenced.
void Replica::Impl::primary_lost_peer() {
  if (role != Role::kPrimary || opt.fencing == Fencing::kDontCare || !peer_may_be_current()) return;
  start_fence_peer();
}

void Replica::Impl::start_fence_peer() {
  if (fence_running) return;
  fence_running = true;
  info(fmt::format("{}: helper command: fence-peer (peer {})", opt.resource, opt.peer));
  handler("fence-peer");
}

void Replica::on_handler_done(const std::string& handler_name, int exit_code, Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (handler_name == "fence-peer") m.fence_peer_done(exit_code);
}

void Replica::Impl::fence_peer_done(int exit_code) {
  if (!fence_running) return;
  fence_running = false;
  // Exit codes (REPLICATION-FACTS.md §10.1): 3 peer Inconsistent, 4 peer
  // outdated, 5 unreachable (counts only with UpToDate data here), 6 the peer
  // is Primary (this node outdates itself), 7 peer STONITHed.
  std::string what;
  bool broken = false;
  switch (exit_code) {
    case 3:
      what = "peer is inconsistent";
      peer_disk = DiskState::kInconsistent;
      break;
    case 4:
      what = "peer was fenced";
      peer_disk = DiskState::kOutdated;
      break;
    case 5:
      if (disk == DiskState::kUpToDate) {
        what = "peer is unreachable, assumed to be dead";
        peer_disk = DiskState::kOutdated;
      } else {
        what = "peer unreachable, doing nothing since disk != UpToDate";
      }
      break;
    case 6:
      what = "peer is active";
      if (role != Role::kPrimary && disk_usable() && disk != DiskState::kInconsistent) {
        warn(fmt::format("{}: peer is Primary, outdating myself", opt.resource));
        set_disk(DiskState::kOutdated);
        write_superblock(false);
      }
      break;
    case 7:
      what = "peer was stonithed";
      if (opt.fencing != Fencing::kResourceAndStonith) {
        error(fmt::format("{}: fence-peer() = 7 but fencing is not resource-and-stonith", opt.resource));
      }
      peer_disk = DiskState::kOutdated;
      break;
    default:
      broken = true;
      error(fmt::format("{}: fence-peer helper broken, returned {}", opt.resource, exit_code));
      break;
  }
  if (!broken) info(fmt::format("{}: fence-peer helper returned {} ({})", opt.resource, exit_code, what));
  const bool fenced = !peer_may_be_current();
  if (fenced && !is_connected(cs)) {
    sb.set(kMdPeerOutdated, true);
    write_superblock(false);
  }
  if (io_frozen && fenced) unfreeze_io();
  if (io_frozen && !fenced) {
    error(fmt::format("{}: the peer could not be fenced; I/O stays frozen until `drbdadm resume-io {}`",
                      opt.resource, opt.resource));
  }
  if (!promoting || !promoting->waiting_fence) return;
  if (fenced) return finish_promotion(promote_now(promoting->force));
  if (promoting->force) {
    warn(fmt::format("{}: Forced into split brain situation!", opt.resource));
    return finish_promotion(promote_now(true));
  }
  finish_promotion(refuse("(-7) Refusing to be Primary while peer is not outdated"));
}

Status Replica::resume_io(Millis now) {
  Impl& m = *impl_;
  m.now = now;
  if (!m.io_frozen) return Status::Ok();  // nothing to do, as DRBD
  m.warn(fmt::format("{}: I/O resumed by the operator (resume-io)", m.opt.resource));
  m.unfreeze_io();
  return Status::Ok();
}

void Replica::Impl::unfreeze_io() {
  io_frozen = false;
  info(fmt::format("{}: susp( 1 -> 0 )", opt.resource));
  for (auto& d : held_done) outs.emplace_back(std::move(d));
  held_done.clear();
  std::deque<AppRequest> again;
  again.swap(frozen_requests);
  for (auto& r : again) submit_request(std::move(r));
}

}  // namespace quorate::replication
