// Internal: the state of Replica, shared by engine.cc (roles, users, local
// I/O, meta data), engine_peer.cc (the connection, replication, acks) and
// engine_sync.cc (resync and online verify). Not a public header.
#pragma once

#include <deque>
#include <functional>
#include <list>
#include <map>
#include <optional>
#include <unordered_map>

#include "replication/engine.h"
#include "replication/resync_controller.h"

namespace quorate::replication {

// Local I/O in flight or waiting: writes never overlap anything in flight,
// reads never overlap a write in flight; waiting I/Os start in arrival order
// per overlapping range.
struct LocalIo {
  uint64_t id = 0;
  out::DiskIo io;
  std::function<void(int error, Bytes data)> done;
};

// Whether byte ranges [a, a+a_len) and [b, b+b_len) share a byte.
inline bool overlaps(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len) { return a < b + b_len && b < a + a_len; }

// wire::State flags beyond bit 0 (paused by user).
inline constexpr uint32_t kStateInvalidateMe = 2;   // sender becomes a full-sync target
inline constexpr uint32_t kStateInvalidateYou = 4;  // sender becomes a full-sync source
inline constexpr uint32_t kStateSyncStopped = 8;    // sender stopped the running resync/verify (a disk failed)
inline constexpr uint32_t kStateAllowTwoPrimaries = 16;  // the sender's allow-two-primaries (changed by adjust)

struct Replica::Impl {
  Impl(EngineOptions o, AttachState a, uint64_t seed, Millis now);

  EngineOptions opt;
  MdLayout layout;
  Superblock sb;
  Bitmap bm;
  ActivityLog al;
  std::mt19937_64 rng;
  std::vector<Output> outs;
  Millis now{0};

  Role role = Role::kSecondary;
  Role peer_role = Role::kUnknown;
  ConnState cs = ConnState::kStandAlone;
  DiskState disk = DiskState::kDiskless;
  DiskState peer_disk = DiskState::kDUnknown;
  bool crashed_primary = false;
  bool discard_my_data = false;
  bool user_paused = false;
  bool peer_paused = false;
  // The peer's allow-two-primaries (its Params, then its States: `adjust`
  // changes it without a reconnect). Two Primaries need it on both sides.
  bool peer_allow_two = false;
  bool two_primaries_allowed() const { return opt.allow_two_primaries && (peer_allow_two || !is_connected(cs)); }
  bool downing = false;
  std::string split_brain_note;

  // ---- promotion and fencing (engine_role.cc) ----
  struct Promotion {
    uint64_t ticket = 0;
    bool force = false;
    uint64_t request_id = 0;    // StateChgReq sent, waiting for the reply
    bool waiting_fence = false;  // waiting for the fence-peer handler
  };
  std::optional<Promotion> promoting;
  uint64_t next_state_chg_id = 1;
  bool fence_running = false;
  bool io_frozen = false;  // resource-and-stonith: I/O waits for the peer to be fenced
  std::deque<AppRequest> frozen_requests;  // submitted while frozen
  std::vector<out::AppDone> held_done;     // completed while frozen, not yet acknowledged
  std::optional<Status> begin_promote(uint64_t ticket, bool force);
  Status promotion_allowed(bool force) const;
  Status promote_now(bool force);
  bool peer_may_be_current() const;  // the peer's disk is not known to be Outdated or worse
  void start_fence_peer();
  void fence_peer_done(int exit_code);
  void finish_promotion(Status result);
  void on_state_chg_req(const wire::StateChgReq& q);
  void on_state_chg_reply(const wire::StateChgReply& r);
  void promotion_lost_connection();
  void freeze_io_if_fencing();
  void primary_lost_peer();
  void unfreeze_io();

  // ---- counters (/proc/drbd) ----
  uint64_t ns_bytes = 0, nr_bytes = 0, dw_bytes = 0, dr_bytes = 0;
  uint64_t al_writes = 0, bm_writes = 0;

  // ---- local I/O ----
  uint64_t next_io_id = 1;
  std::map<uint64_t, LocalIo> inflight;  // by id
  std::list<LocalIo> waiting;            // FIFO
  uint64_t md_gate = 0;                  // superblock writes that new writes wait for
  uint64_t md_inflight = 0;              // meta-data writes asked for and not yet durable
  void local_io(out::DiskIo io, std::function<void(int, Bytes)> done);
  bool conflicts(const out::DiskIo& a, const out::DiskIo& b) const;
  void start_waiting();

  // ---- meta-data writes (engine.cc, "meta data") ----
  // Whether a meta-data write vouches for data written before it (a clean
  // shutdown, UpToDate after a resync, demotion, an activity-log transaction):
  // then the data device is flushed first. Cleared bitmap bits vouch for data
  // by themselves (Bitmap::take_cleared).
  enum class MdAfter : uint8_t { kAlone, kData };
  // Writes asked for wait here for the next round; one round runs at a time.
  struct MdRound {
    bool superblock = false;
    std::vector<uint64_t> pages;                      // bitmap pages
    std::vector<std::pair<uint64_t, Bytes>> al;       // activity-log transactions: (offset, block)
    bool flush_data = false;
    uint64_t gates = 0;
    uint64_t requests = 0;
    std::vector<std::function<void()>> then;
  };
  MdRound md_next;
  bool md_round_running = false;
  bool disk_let_go = false;  // `drbdadm detach` done: no meta-data write reaches the old device
  // `then` (optional) runs once the superblock is durable.
  void write_superblock(bool gate, std::function<void()> then = {}, MdAfter after = MdAfter::kAlone);
  // `then` runs once every page is durable (at once when there are none).
  // Pages whose bits were cleared bring the data flush with them (take_cleared).
  void write_bitmap_pages(const std::vector<uint64_t>& pages, std::function<void()> then = {});
  void write_al_transaction(uint64_t offset, Bytes block, std::function<void()> then);
  void flush_dirty_bitmap();
  void start_md_round();
  void finish_md_round(MdRound& round);
  // A local I/O error; on-io-error decides. meta_data: an error of the
  // meta-data area, which detaches whatever the policy (DRBD does the same:
  // without its meta data a disk cannot say what it holds).
  void disk_failed(const char* what, int error, bool meta_data = false);

  // ---- users (Primary) ----
  struct Req {
    AppRequest r;
    bool started = false;
    bool local_done = false;
    int local_error = 0;
    bool peer_needed = false;  // a peer leg exists
    bool peer_done = false;
    int peer_error = 0;
    bool completed = false;
    uint32_t epoch = 0;
    uint32_t al_first = 0, al_last = 0;
    bool al_held = false;
    std::optional<uint32_t> flush_wait_epoch;  // flush: the barrier to wait for
    Bytes read_data;
    // Two Primaries: the resolving peer answered RetryWrite. Once the local
    // write is done the request starts again (the peer's conflicting write
    // lands in between on this disk).
    bool retry = false;
    bool needs_peer = false;  // a write to a disk that does not vouch for its data
    std::optional<uint32_t> durable_wait_epoch;  // such a write: done once this epoch is flushed on the peer
  };
  uint64_t next_req_id = 1;
  std::map<uint64_t, Req> reqs;     // by our id; Data ids on the wire
  std::deque<uint64_t> gated;       // writes waiting for md_gate / AL room
  bool al_transaction_inflight = false;
  void submit_request(AppRequest request);
  bool writable() const;
  void start_request(uint64_t rid);
  void restart_write(uint64_t rid);  // after RetryWrite
  void pump_gated();
  void maybe_complete(uint64_t rid);
  void mark_oos(uint64_t offset, uint64_t length);

  // Transfer log: replicated writes kept until their epoch's barrier ack.
  struct TlEntry {
    uint64_t offset = 0;
    uint32_t length = 0;
    uint32_t epoch = 0;
  };
  std::map<uint64_t, TlEntry> tl;  // by request id
  uint32_t tx_epoch = 1;           // current epoch
  uint32_t tx_epoch_writes = 0;
  bool tx_epoch_close_pending = false;  // a write completed: next write starts a new epoch
  uint32_t acked_epoch = 0;        // highest barrier-acked epoch
  uint32_t sent_barrier = 0;       // highest epoch closed by a barrier
  std::map<uint32_t, uint32_t> tx_closed_writes;  // closed, not barrier-acked epoch -> writes sent in it
  // The peer's latest EpochFlushed: every write of the epochs before
  // peer_flushed_epoch and the first peer_flushed_writes of it are durable there.
  uint32_t peer_flushed_epoch = 0;
  uint32_t peer_flushed_writes = 0;
  void close_epoch();
  // Whether every write sent in `epoch` and before is known durable on the
  // peer from an EpochFlushed (without waiting for the epoch's BarrierAck).
  bool peer_flushed_through(uint32_t epoch) const;
  uint32_t writes_sent_in(uint32_t epoch) const;  // 0: not an epoch of this connection still tracked
  // Completes the application flushes whose epoch a BarrierAck or an
  // EpochFlushed has now shown durable on the peer.
  void complete_flushes_peer_made_durable();
  void on_epoch_flushed(const wire::EpochFlushed& f);

  // ---- the connection ----
  bool transport_up = false;
  bool hello_sent = false;
  bool peer_authed = false;
  bool params_sent = false;
  bool established = false;  // the handshake ended in replication (not a refusal)
  std::array<uint8_t, 32> challenge{};
  wire::FrameReader reader;
  std::optional<wire::Params> my_params;
  std::optional<wire::Params> peer_params;
  std::deque<wire::Frame> inbox;
  bool inbox_blocked = false;
  Millis last_rx{0};
  bool ping_outstanding = false;
  Millis ping_sent_at{0};
  std::optional<Millis> oldest_unacked;  // earliest send still awaiting an answer
  uint64_t pe = 0;  // requests sent, not answered
  uint64_t ua = 0;  // requests received, not answered
  // Resync reads this SyncSource serves (by a local key): a replicated write
  // overlapping one waits until its RsReply is sent, so that the peer never
  // receives the older resync data after the newer write.
  uint64_t next_rs_read = 1;
  std::map<uint64_t, std::pair<uint64_t, uint32_t>> rs_reads;
  bool overlaps_rs_read(uint64_t offset, uint32_t length) const;
  bool overlaps_rs_request(uint64_t offset, uint32_t length) const;  // a target's requests in flight

  // Replicated writes received and not yet answered, by arrival: issued to the
  // disk, or parked (two Primaries, below). A write of our own that overlaps
  // one waits to start until it is answered, so that our Data for it follows
  // that answer on the wire: the peer then sees the two in the order this
  // disk did.
  struct RxWrite {
    wire::Data d;
    uint64_t seq = 0;  // its epoch's sequence number (rx_first_seq base)
    uint64_t gen = 0;  // rx_gen when it arrived
    bool parked = false;
  };
  uint64_t next_rx_write = 1;
  std::map<uint64_t, RxWrite> rx_writes;
  bool overlaps_rx_write(uint64_t offset, uint32_t length) const;
  void issue_rx_write(uint64_t key);

  // Two Primaries (allow-two-primaries): concurrent writes to the same blocks.
  // A Data that overlaps a write of ours still waiting for the peer's answer
  // crossed that write on the wire. The node whose name sorts first resolves:
  // it drops the peer's write and answers Superseded when one of its own
  // writes covers it, RetryWrite otherwise; the other node parks the peer's
  // write (and any later one overlapping it) until the answers to its own
  // overlapping writes arrive, then writes it — after its own, so that both
  // disks end with the resolver's data, or, after a retry, with the other
  // node's write, which it makes again. docs/formats/replication-peer.md,
  // "Two Primaries".
  bool resolves_conflicts() const { return opt.self < opt.peer; }
  enum class Overlap : uint8_t { kNone, kCovered, kPartial };
  // How our writes in flight to the peer overlap a range.
  Overlap own_writes_in_flight(uint64_t offset, uint32_t length) const;
  void release_parked();  // parks nothing if the connection is gone

  // Receiving replicated writes (Secondary). Writes are issued as they arrive,
  // also those of later epochs while earlier ones are in flight or being
  // flushed; BarrierAcks go out in epoch order once an epoch and all before it
  // are complete and (disk-flushes) covered by a flush issued after that. One
  // flush at a time covers every epoch complete when it starts — the open one
  // too, so that when its Barrier comes (an application flush on the Primary
  // sends it at once) the flush is already done or under way; a flush that
  // covered the open epoch is reported at once (EpochFlushed), so that the
  // Primary's flush need not wait for the Barrier's answer. See "Write order
  // on the peer" in docs/formats/replication-peer.md.
  struct RxEpoch {
    uint32_t number = 0;    // from its Barrier
    uint32_t writes = 0;    // received in it
    uint32_t pending = 0;   // of those, not complete yet
    bool closed = false;    // its Barrier arrived
    uint32_t flushed_writes = 0;  // writes a completed flush covers (issued after they completed)
  };
  std::deque<RxEpoch> rx_epochs;  // oldest first; back() is the open one
  uint64_t rx_first_seq = 0;      // sequence number of rx_epochs.front(); grows forever
  uint64_t rx_gen = 0;            // bumped when a connection's epochs are dropped
  uint64_t rx_writes_inflight = 0;  // replicated writes issued and not complete (any connection)
  bool rx_flush_inflight = false;
  void rx_reset();
  void rx_progress();
  // The superblock flag kMdUnorderedWrites: set (durably) before a write of a
  // later epoch is issued while an earlier one is unacknowledged; cleared after
  // a flush once that has not happened for kUnorderedIdle.
  enum class Unordered : uint8_t { kClear, kSetting, kSet, kClearing };
  Unordered unordered = Unordered::kClear;
  Millis last_unordered{0};  // last time an epoch waited behind another
  static constexpr Millis kUnorderedIdle{1000};
  bool rx_must_wait_for_order_flag();  // true: hold the inbox (the flag is being set)
  void maybe_clear_unordered(bool force);
  // What keeps the flag set whatever the time: epochs still waiting, writes
  // or a flush in flight (their completion looks again), or no usable disk.
  // No tick is needed for the flag then (next_deadline).
  bool unordered_clear_waits() const {
    return rx_epochs.size() > 1 || rx_writes_inflight > 0 || rx_flush_inflight || !disk_usable();
  }

  // Sync handshake.
  SyncDecision decision;
  std::optional<Bitmap> peer_bitmap;
  std::vector<uint8_t> rx_bitmap_rle;  // chunks of the peer's bitmap so far
  bool sync_full = false;
  bool bitmap_sent = false;
  bool bitmap_received = false;

  void send(wire::Type t, const wire::Message& m);
  void set_cs(ConnState c);
  void drop_connection(ConnState why, const std::string& reason, bool standalone);
  void after_connection_lost();
  void take_frames();  // moves decoded frames into the inbox and processes it
  void process_inbox();
  void handle(const wire::Frame& f);
  void on_hello(const wire::Hello& h);
  void on_auth(const wire::AuthResponse& a);
  void on_params(const wire::Params& p);
  void send_params();
  void send_state(uint32_t flags = 0);  // role, disk, paused, allow-two-primaries and `flags`
  void on_bitmap(const wire::BitmapChunk& c);
  void start_after_bitmaps();
  void on_data(const wire::Data& d);
  void on_barrier(const wire::Barrier& b);
  void on_ack(wire::Type t, const wire::BlockAck& a);
  void on_barrier_ack(const wire::BarrierAck& a);
  void on_state(const wire::State& s);
  void on_read_request(const wire::RsRequest& q);
  void on_read_reply(const wire::RsReply& p);
  void on_uuids(const wire::UuidSet& u);
  SideInfo side_info(const wire::Params& p) const;
  void note_sent_request(Millis t);
  void note_answer();
  // Requests still waiting for the peer (writes, resync/verify requests whose
  // local completion is pending, barriers, a promotion). When the last ends
  // without an answer arriving after it (a resync write completing locally),
  // forget_unacked_if_idle clears oldest_unacked: left set, it aged past
  // timeout on a Secondary after every sync.
  bool awaiting_answers() const;
  void forget_unacked_if_idle();

  // ---- resync and verify ----
  struct SyncRun {
    bool target = false;
    bool verify = false;
    uint64_t cursor_bit = 0;  // next bit to look at (target / VerifyS)
    uint64_t total_bits = 0;
    uint64_t done_bits = 0;
    uint64_t inflight_bytes = 0;
    uint64_t found_oos = 0;
    Millis started{0};
    Millis paused_total{0};
    std::optional<Millis> paused_since;
    // Rate control (the requesting side): a budget per 100 ms step from the
    // controller; what arrived during the step feeds the next decision.
    ResyncController controller{ResyncControllerSettings{}};
    Millis next_step{0};
    int64_t budget_sectors = 0;   // may go below 0 by one request's rounding
    uint64_t sectors_in_step = 0;
    std::deque<std::pair<Millis, uint64_t>> samples;  // (time, done_bits) for the ~18 s rate
    Millis last_progress{0};
    Millis last_bitmap_write{0};
    bool finishing = false;
    // A run starting at `now` over `total` bits.
    static SyncRun begin(Millis now, uint64_t total, bool as_target, bool as_verify,
                         const ResyncControllerSettings& rate) {
      SyncRun r;
      r.target = as_target;
      r.verify = as_verify;
      r.total_bits = total;
      r.controller = ResyncController(rate);
      r.started = r.next_step = r.last_progress = r.last_bitmap_write = now;
      r.samples.emplace_back(now, 0);
      return r;
    }
  };
  ResyncControllerSettings rate_settings() const;
  void count_resync_arrival(uint64_t bytes);
  uint64_t app_io_bytes_step = 0;  // application I/O on this disk in the current step (c-min-rate)
  std::optional<SyncRun> sync;
  uint64_t next_rs_id = 1;
  std::map<uint64_t, std::pair<uint64_t, uint32_t>> rs_inflight;  // id -> (offset, length)
  // Requests of a resync that was stopped: their replies are dropped. The
  // data was read at the source before writes that a Primary target made
  // since (no longer held back by the stopped resync), so it may be older.
  std::set<uint64_t> rs_stale;
  void new_generation();
  void begin_sync(bool as_target, bool full);
  void on_sync_uuid(const wire::SyncUuid& s);
  void sync_running(bool as_target);
  void generate_requests();
  void on_rs_request(wire::Type t, const wire::RsRequest& q);
  void on_rs_reply(const wire::RsReply& p);
  void on_rs_neg(const wire::RsNegReply& n);
  void on_rs_write_ack(const wire::BlockAck& a);
  void target_maybe_done();
  void on_rs_done();
  void on_ov_reply(const wire::OvReply& o);
  void on_ov_done(const wire::OvDone& d);
  void verify_maybe_done();
  std::vector<uint8_t> digests(std::span<const uint8_t> data) const;
  uint64_t want_kib_s() const;

  // ---- helpers ----
  void event(out::Event::Level l, std::string text);
  void info(std::string text) { event(out::Event::Level::kInfo, std::move(text)); }
  void warn(std::string text) { event(out::Event::Level::kWarning, std::move(text)); }
  void error(std::string text) { event(out::Event::Level::kError, std::move(text)); }
  void handler(std::string name) { outs.emplace_back(out::Handler{std::move(name)}); }
  // pri-on-incon-degr, as DRBD runs it: once each time this node becomes a
  // Primary whose own disk and whose peer's are both not UpToDate (no good
  // data within reach). Checked after every input (take_outputs).
  void check_incon_degr();
  // The Primary peer has no disk (it lost it, or connected without one).
  void serve_diskless_primary();
  // Stops a running resync or verify that cannot go on: a disk failed on
  // either side. Both sides go Connected (the peer is told with a State
  // flag); a target stays Inconsistent with the rest of its bitmap until a
  // handshake with a good source resumes it.
  void abort_resync(const std::string& why, bool tell_peer = true);
  // This disk can serve a read of the range: UpToDate or Consistent, or an
  // Inconsistent Primary's (pass_on) where no block of the range is out of sync.
  bool local_read_ok(uint64_t offset, uint32_t length) const;
  bool incon_degr = false;
  void set_disk(DiskState d);
  void set_role(Role r);
  uint64_t random_uuid();
  bool disk_usable() const { return disk == DiskState::kUpToDate || disk == DiskState::kConsistent ||
                                    disk == DiskState::kOutdated || disk == DiskState::kInconsistent; }
  bool peer_gets_writes() const;
  uint64_t data_bytes() const { return layout.data_bytes; }
};

}  // namespace quorate::replication
