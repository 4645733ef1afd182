// The replication simulator: see repl_sim_world.h.
//
// The model. Each node has a Model (shared_ptr): per 512-byte sector of the
// data area the last acknowledged value (img), whether it is unknown, and the
// writes its Primary has submitted but not had acknowledged (pending). While
// two nodes replicate, they share one Model object; when the link breaks
// (partition, crash, close) the non-Primary gets a clone in which sectors under
// pending writes are unknown. When a handshake makes a node a sync target it
// adopts the source's Model (the loser of a split brain loses its changes).
// Unknown sectors are re-based from the disks at the next quiesced check: both
// data areas must then be identical, and every known sector must equal the
// model; unknown sectors take the (identical) disk value and become known.
// Sectors become unknown when: a write is pending when its Primary crashes or
// the link breaks (the peer may or may not have it), a write fails on both legs,
// a crash loses non-durable sectors of the crashed node's cache (legitimate for
// a disk without a flush: the crashed node may later be the sync source), or a
// disk is replaced / a node is forced Primary from Inconsistent data.
//
// Flush durability: when a Primary completes an application flush, every
// write acknowledged to its client before the flush began is in the durable
// image (what survives a power loss) of its own disk and, with protocols B and
// C, of the peer's — the latter checked only for writes whose Data went out on
// the connection the flush ran on, start to end, while replicating (after a
// connection loss the engine completes the flush from the local disk alone).
// A FUA write acknowledged is durable itself: locally, and with C on the peer.
//
// I/O errors (only in a fraction of seeds): a node's disk turns bad (every I/O
// fails with EIO). The engine detaches (Diskless); from then that node's data
// area is excluded from every data check (invariant 1 does not apply with it
// as the peer, invariant 2 cannot hold since it is not UpToDate) until the
// driver replaces the disk (blank disk, create-md, attach, connect), after
// which it must full-sync and every check applies again.
#include "tests/sim/repl_sim_world.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <optional>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include <fmt/format.h>

#include "replication/engine.h"

namespace quorate::sim {

namespace {

using namespace quorate::replication;  // NOLINT(google-build-using-namespace)

constexpr uint64_t kSector = 512;

const char* const kMarkNames[] = {
    "crashed_primary_resync", "split_brain_detected", "split_brain_auto_resolved", "verify_found",
    "full_sync",              "bitmap_sync",          "resync_interrupted_resumed", "io_error_detach",
    "primary_crash",          "failover",             "manual_sb_repair",           "concurrent_promotion_refused",
    "fence_peer_outdated",    "fenced_io_released",   "daemon_killed",              "torn_epochs_outdated",
    "flush_durable_on_peer",  "live_attach_primary",  nullptr};

struct SimFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

bool target_state(ConnState c) {
  return c == ConnState::kSyncTarget || c == ConnState::kPausedSyncT || c == ConnState::kWFSyncUUID ||
         c == ConnState::kWFBitMapT || c == ConnState::kStartingSyncT;
}
bool receiving(ConnState c) { return c == ConnState::kSyncTarget || c == ConnState::kPausedSyncT; }

struct PendingWrite {
  uint64_t offset = 0;
  uint32_t length = 0;
  Bytes data;  // nullptr: zeroes (trim / write-zeroes)
};

struct Model {
  std::vector<uint8_t> img;
  std::vector<uint8_t> unknown;  // per sector
  std::vector<uint64_t> stamp;   // per sector: ack counter of the last change
  // Per sector: the app id (submission order) of the write whose value img
  // holds. Overlapping writes in flight together may complete out of order
  // (a diskless Primary's queued local write fails at once, the one before
  // it when its I/O returns); the disks then hold either value.
  std::vector<uint64_t> writer;
  std::map<uint64_t, PendingWrite> pending;  // by app id
  std::shared_ptr<Model> clone_unknowing_pending() const {
    auto m = std::make_shared<Model>(*this);
    for (const auto& [id, w] : pending) {
      for (uint64_t s = w.offset / kSector; s < (w.offset + w.length) / kSector; ++s) m->unknown[s] = 1;
    }
    m->pending.clear();
    return m;
  }
  // Whether `bytes` (one sector) is what a pending write would put at sector s.
  bool pending_value(uint64_t s, const uint8_t* bytes) const {
    static const std::vector<uint8_t> zero(kSector, 0);
    for (const auto& [id, w] : pending) {
      if (s * kSector < w.offset || s * kSector >= w.offset + w.length) continue;
      const uint8_t* v = w.data ? w.data->data() + (s * kSector - w.offset) : zero.data();
      if (std::memcmp(v, bytes, kSector) == 0) return true;
    }
    return false;
  }
};

struct AppOp {
  AppRequest::Op op = AppRequest::Op::kRead;
  uint64_t offset = 0;
  uint32_t length = 0;
  uint64_t stamp_at_submit = 0;
  bool had_pending = false;
  bool fua = false;
  Bytes data;              // kWrite: the buffer its Data frame carries (matched by pointer)
  uint64_t conn_at_submit = 0;
  uint64_t repl_gen_at_submit = 0;
  // Writes: the connection and replication generation its Data frame went out
  // on (0: never sent to the peer).
  uint64_t sent_conn = 0;
  uint64_t sent_gen = 0;
};

// A write acknowledged to the client (flush-durability ledger of a Primary).
struct AckedWrite {
  uint64_t offset = 0;
  uint32_t length = 0;
  Bytes data;  // nullptr: zeroes
  uint64_t stamp = 0;  // ack counter of its acknowledgement
  uint64_t sent_conn = 0;
  uint64_t sent_gen = 0;
};

struct SimNode {
  int idx = 0;
  std::string name;
  MdLayout layout;
  std::vector<uint8_t> vis, dur;  // the backing device: visible, durable
  std::vector<uint8_t> dirty;     // per sector of the device: written, not durable
  std::vector<uint64_t> dirty_list;  // the sectors set in `dirty`
  void set_dirty(uint64_t s) {
    if (!dirty[s]) dirty_list.push_back(s);
    dirty[s] = 1;
  }
  void flush_all() {
    for (uint64_t s : dirty_list) {
      if (!dirty[s]) continue;
      std::memcpy(dur.data() + s * kSector, vis.data() + s * kSector, kSector);
      dirty[s] = 0;
    }
    dirty_list.clear();
  }
  std::unique_ptr<Replica> r;
  uint64_t incarnation = 0;
  uint64_t boot = 0;  // grows with every power loss
  std::map<uint64_t, out::DiskIo> inflight;  // engine io id -> io
  bool disk_bad = false;
  std::shared_ptr<Model> model;
  std::map<uint64_t, AppOp> app;  // outstanding app requests by app id
  // Writes acknowledged while Primary, oldest first, until a completed flush
  // has checked them (cleared when the node crashes or is not Primary).
  std::deque<AckedWrite> acked;
  // Bumped whenever this node's connection state leaves replication (a state
  // in which its writes do not go to the peer): a flush can only vouch for the
  // peer's copy of writes sent in the generation it ran in.
  uint64_t repl_gen = 1;
  Millis last_tick{0};
  bool sb_wrote = false;     // wrote as Primary while not replicating since last in sync
  bool sb_reported = false;  // a split-brain handler / note since last in sync
  bool discard_used = false;
  bool unrelated = false;  // the last handshake refused: the generations share nothing
  bool sync_interrupted = false;
  bool was_crashed_primary = false;
  ConnState last_cs = ConnState::kStandAlone;
  DiskState last_disk = DiskState::kDiskless;
  Role last_role = Role::kSecondary;
  uint64_t device_uuid = 0;
  // The ack counter at the last live attach: requests submitted before it
  // went to the peer only (diskless), so the new disk is not checked for them.
  uint64_t attach_stamp = 0;
  // A Primary whose new disk is being synced from the peer (live attach):
  // Inconsistent and a sync target while it serves, until UpToDate or demoted.
  bool attaching_primary = false;
  // A promotion waiting for the peer's consent: what was asked and the state
  // when it was asked.
  struct PendingPromotion {
    uint64_t ticket = 0;
    bool force = false;
    ReplicaStatus before;
  };
  std::optional<PendingPromotion> promoting;
  uint64_t next_ticket = 1;
  // Since last in sync: a split brain is this node's operator's doing
  // (--force, resume-io) or the documented risk of fence-peer's "peer
  // unreachable" (exit 5).
  bool excused = false;
};

struct Ev {
  Millis t;
  uint64_t seq;
  std::function<void()> f;
  bool operator>(const Ev& o) const { return t != o.t ? t > o.t : seq > o.seq; }
};

class World {
 public:
  World(const ReplSimOptions& o, std::map<std::string, uint64_t>& marks) : opt_(o), marks_(marks), rng_(o.seed) {}
  ReplSimResult run();

 private:
  // ---- plumbing ----
  uint64_t rnd(uint64_t lo, uint64_t hi) { return lo + rng_() % (hi - lo + 1); }  // inclusive
  bool chance(double p) { return std::uniform_real_distribution<double>(0, 1)(rng_) < p; }
  void at(Millis t, std::function<void()> f) { q_.push(Ev{std::max(t, now_), seq_++, std::move(f)}); }
  void trace(std::string s) {
    std::string line = fmt::format("[{:>8} ms] {}", now_.count(), s);
    if (opt_.verbose) std::printf("%s\n", line.c_str());
    trace_.push_back(std::move(line));
    if (trace_.size() > 50) trace_.pop_front();
  }
  [[noreturn]] void fail(const std::string& what) { throw SimFailure(what); }
  void mark(const char* m) { ++marks_[m]; }
  SimNode& other(SimNode& n) { return nodes_[1 - n.idx]; }
  ReplicaStatus st(SimNode& n) { return n.r->status(now_); }

  // ---- nodes and disks ----
  void create_md(SimNode& n);
  void attach(SimNode& n);
  // power_loss: the machine goes down (the page cache is lost: a new boot);
  // otherwise only the daemon dies (kill -9): the cache stays, writes in
  // flight land or not.
  void crash(SimNode& n, const char* why, bool power_loss = true);
  void lose_cache(SimNode& n);
  void drain(SimNode& n);
  void on_app_done(SimNode& n, const out::AppDone& d);
  void note_data_sent(SimNode& n, const out::Send& s);
  void check_durable(SimNode& n, const AppOp& op, const std::vector<const AckedWrite*>& writes, bool peer_rule,
                     const char* what);
  void disk_complete(SimNode& n, uint64_t inc, uint64_t id);
  void replace_disk(SimNode& n);
  // A sync target takes the source's model. A Primary target (an
  // Inconsistent disk: live attach) keeps writing meanwhile, to both disks:
  // its writes still in flight carry over as pending in the source's model.
  void adopt_model(SimNode& n, const std::shared_ptr<Model>& src) {
    if (n.model && n.model != src) {
      for (const auto& [id, w] : n.model->pending) {
        if (n.app.count(id)) src->pending[id] = w;
      }
    }
    n.model = src;
  }
  // The operator replaces a failed disk under a running diskless Primary
  // (blank disk, create-md, `drbdadm attach`): no restart; the engine syncs
  // the new disk from the peer while the workload goes on.
  bool live_attach(SimNode& n);
  bool live_attach_possible(SimNode& n) {
    const auto s = st(n);
    return s.disk == DiskState::kDiskless && s.role == Role::kPrimary && s.cstate == ConnState::kConnected &&
           s.peer_disk == DiskState::kUpToDate && n.inflight.empty();
  }

  // ---- network ----
  void send_bytes(SimNode& from, std::vector<uint8_t> bytes);
  void link_break(const char* why);
  void on_close(SimNode& n);
  void down_later(int i, uint64_t conn, Millis delay);
  void maybe_connect();
  void unshare(int breaking_primary_hint);
  void check_inv1();
  // Protocol B's half of invariant 1: the peer holds the acknowledged writes
  // once it completes those it had received. A received write may wait in the
  // engine behind an overlapping one in flight, so the peer's disk is
  // compared when its I/O has drained (nothing more arrives: the link broke).
  struct Inv1Deferred {
    int peer = 0;
    uint64_t incarnation = 0;
    uint64_t stamp = 0;                 // ack counter at the break
    std::shared_ptr<const Model> snap;  // the Primary's model at the break
    std::string primary;
  };
  std::optional<Inv1Deferred> inv1_b_;
  void check_inv1_deferred();

  // ---- observation and invariants ----
  void observe();
  void observe_node(SimNode& n);
  bool quiesced();
  void check_quiesced();

  // ---- workload and driver ----
  void workload_tick();
  void submit_one(SimNode& n);
  void step();
  void settle(int64_t ms);
  void run_until(Millis t);
  void end_phase();
  void promote(SimNode& n, bool force);
  // The fence-peer handler as a cluster manager would run it, over a path
  // other than the replication link: outdate the peer (4), or STONITH it
  // under resource-and-stonith (7); 5 when the peer is down, 6 when it is
  // Primary, 1 when it refuses otherwise.
  void fence_peer(SimNode& n, uint64_t incarnation);
  void promotion_done(SimNode& n, const SimNode::PendingPromotion& p, const Status& r);

  ReplSimOptions opt_;
  std::map<std::string, uint64_t>& marks_;
  std::mt19937_64 rng_;
  Millis now_{1000};
  uint64_t seq_ = 0;
  std::priority_queue<Ev, std::vector<Ev>, std::greater<>> q_;
  std::deque<std::string> trace_;
  SimNode nodes_[2];
  EngineOptions base_;
  uint64_t backing_bytes_ = 0;
  uint64_t data_bytes_ = 0;
  bool torn512_ = false;
  bool io_errors_ = false;
  Fencing fencing_ = Fencing::kDontCare;
  bool faults_ = true;
  int64_t max_io_ms_ = 5;
  uint64_t step_ = 0;
  uint64_t events_ = 0;
  uint64_t acks_ = 0;
  uint64_t ack_counter_ = 1;
  uint64_t next_app_id_ = 1;
  bool workload_on_ = true;
  // Sectors corrupted behind the engines' backs (silent corruption that online
  // verify must find): excluded from the data checks until both nodes agree on
  // them again; the end phase runs verify + reconnect, after which they must.
  std::set<uint64_t> corrupt_;
  // network
  bool healed_ = true;
  bool live_ = false;
  bool broken_ = false;
  uint64_t conn_ = 0;
  bool up_[2] = {false, false};
  bool closed_from_[2] = {false, false};
  Millis last_deliver_[2] = {Millis{0}, Millis{0}};
  bool connect_scheduled_ = false;
  std::optional<uint64_t> watch_ = [] {
    const char* w = std::getenv("QUORATE_SIM_WATCH_SECTOR");  // debugging aid: trace one sector's writes
    return w ? std::optional<uint64_t>(std::strtoull(w, nullptr, 10)) : std::nullopt;
  }();
};

// ---- nodes and disks -------------------------------------------------------

void World::create_md(SimNode& n) {
  n.vis.assign(backing_bytes_, 0);
  n.dur.assign(backing_bytes_, 0);
  n.dirty.assign(backing_bytes_ / kSector, 0);
  n.dirty_list.clear();
  n.device_uuid = rng_();
  for (auto& [off, bytes] : fresh_metadata(n.layout, kAlExtentsDefault, n.device_uuid)) {
    std::memcpy(n.vis.data() + off, bytes.data(), bytes.size());
    std::memcpy(n.dur.data() + off, bytes.data(), bytes.size());
  }
  n.model = std::make_shared<Model>();
  n.model->img.assign(data_bytes_, 0);
  n.model->unknown.assign(data_bytes_ / kSector, 0);
  n.model->stamp.assign(data_bytes_ / kSector, 0);
  n.model->writer.assign(data_bytes_ / kSector, 0);
}

void World::attach(SimNode& n) {
  const auto& l = n.layout;
  // What a restarted daemon reads: the page cache (after a power loss it
  // equals the durable image).
  auto span = [&](uint64_t off, uint64_t len) { return std::span<const uint8_t>(n.vis.data() + off, len); };
  auto a = attach_from_bytes(l, span(l.sb_offset, kSuperblockBytes), span(l.al_offset, kAlRingBytes),
                             span(l.bm_offset, l.bm_bytes));
  if (!a.ok()) fail(fmt::format("attach of {} failed: {}", n.name, a.error().message));
  n.was_crashed_primary = a->superblock.has(kMdPrimaryInd) && !a->superblock.has(kMdCleanShutdown);
  EngineOptions o = base_;
  o.self = n.name;
  o.peer = other(n).name;
  // A power loss is a new boot; a killed daemon restarts in the same one.
  o.boot_id = BootId{};
  o.boot_id[0] = static_cast<uint8_t>(n.idx + 1);
  for (size_t b = 0; b < 8; ++b) o.boot_id[8 + b] = static_cast<uint8_t>(n.boot >> (8 * b));
  n.r = std::make_unique<Replica>(o, std::move(a).value(), rng_(), now_);
  n.last_tick = now_;
  n.last_cs = ConnState::kStandAlone;
  n.last_role = Role::kSecondary;
  n.last_disk = DiskState::kDiskless;
  trace(fmt::format("{}: attached{}", n.name, n.was_crashed_primary ? " (crashed primary)" : ""));
  drain(n);
  if (Status s = n.r->connect(false, now_); !s.ok()) fail(n.name + ": connect after attach: " + s.error().message);
  drain(n);
}

void World::crash(SimNode& n, const char* why, bool power_loss) {
  if (!n.r) return;
  const bool was_primary = n.r->status(now_).role == Role::kPrimary;
  trace(fmt::format("{}: {} ({}){}", n.name, power_loss ? "CRASH" : "KILL -9", why,
                    was_primary ? " of the Primary" : ""));
  if (was_primary) mark("primary_crash");
  // The link breaks first (the peer's view at this instant is what invariant 1 checks).
  if (live_ && up_[n.idx]) {
    link_break("crash");
  } else {
    unshare(-1);
  }
  n.r.reset();
  n.promoting.reset();
  ++n.incarnation;
  // The disk after the crash: durable image, plus a random subset of what was
  // only in the cache (4 KiB or 512 B granules), plus a random subset of the
  // writes in flight.
  std::vector<uint8_t> before(n.vis.begin(), n.vis.begin() + static_cast<std::ptrdiff_t>(data_bytes_));
  for (const auto& [id, io] : n.inflight) {
    if (io.op == out::DiskIo::Op::kRead || io.op == out::DiskIo::Op::kFlush || n.disk_bad) continue;
    if (!power_loss && chance(0.5)) continue;  // the killed daemon's write never reached the cache
    for (uint64_t s = io.offset / kSector; s < (io.offset + io.length) / kSector; ++s) {
      const uint8_t* src = io.data ? io.data->data() + (s * kSector - io.offset) : nullptr;
      if (src) std::memcpy(n.vis.data() + s * kSector, src, kSector);
      else std::memset(n.vis.data() + s * kSector, 0, kSector);
      n.set_dirty(s);
    }
  }
  n.inflight.clear();
  if (power_loss) {
    ++n.boot;
    lose_cache(n);
  } else {
    mark("daemon_killed");
  }
  // The crashed node's model: its pending writes and the sectors that changed
  // under them (or that its cache lost) are unknown.
  auto m = n.model->clone_unknowing_pending();
  for (uint64_t s = 0; s < data_bytes_ / kSector; ++s) {
    if (std::memcmp(before.data() + s * kSector, n.vis.data() + s * kSector, kSector) != 0) m->unknown[s] = 1;
  }
  if (n.model.get() == other(n).model.get()) {
    // Still shared (the peer was not replicating from it): the peer's copy of
    // those pending writes is unknown too.
    other(n).model = n.model->clone_unknowing_pending();
  }
  n.model = m;
  n.app.clear();
  n.acked.clear();
}

void World::lose_cache(SimNode& n) {
  // Each granule (4 KiB, or 512 B in torn-512 seeds) of the cache survives or not.
  const uint64_t granule = torn512_ ? 1 : 8;
  std::sort(n.dirty_list.begin(), n.dirty_list.end());
  std::map<uint64_t, bool> keep;  // by granule
  for (uint64_t s : n.dirty_list) {
    if (!n.dirty[s]) continue;
    auto k = keep.find(s / granule);
    if (k == keep.end()) k = keep.emplace(s / granule, chance(0.5)).first;
    if (k->second) std::memcpy(n.dur.data() + s * kSector, n.vis.data() + s * kSector, kSector);
    n.dirty[s] = 0;
  }
  n.dirty_list.clear();
  n.vis = n.dur;
}

void World::replace_disk(SimNode& n) {
  crash(n, "disk replacement");
  n.disk_bad = false;
  n.sb_wrote = false;  // a blank disk has no diverging writes
  create_md(n);
  std::fill(n.model->unknown.begin(), n.model->unknown.end(), 1);
  trace(fmt::format("{}: new blank disk, create-md", n.name));
  attach(n);
}

bool World::live_attach(SimNode& n) {
  std::vector<uint8_t> blank(backing_bytes_, 0);
  const uint64_t uuid = rng_();
  for (auto& [off, bytes] : fresh_metadata(n.layout, kAlExtentsDefault, uuid)) {
    std::memcpy(blank.data() + off, bytes.data(), bytes.size());
  }
  const auto& l = n.layout;
  auto span = [&](uint64_t off, uint64_t len) { return std::span<const uint8_t>(blank.data() + off, len); };
  auto a = attach_from_bytes(l, span(l.sb_offset, kSuperblockBytes), span(l.al_offset, kAlRingBytes),
                             span(l.bm_offset, l.bm_bytes));
  if (!a.ok()) fail(fmt::format("{}: attach state of a blank disk: {}", n.name, a.error().message));
  Status s = n.r->attach(std::move(a).value(), now_);
  trace(fmt::format("{}: new blank disk, create-md, attach (live) -> {}", n.name, s.ok() ? "ok" : s.error().message));
  if (!s.ok()) {
    drain(n);
    return false;
  }
  // The engine's meta-data writes go to the new disk.
  n.vis = blank;
  n.dur = std::move(blank);
  n.dirty.assign(backing_bytes_ / kSector, 0);
  n.dirty_list.clear();
  n.device_uuid = uuid;
  n.disk_bad = false;
  n.acked.clear();  // writes acknowledged while diskless are on the peer, not this disk
  n.attach_stamp = ++ack_counter_;
  n.attaching_primary = true;
  mark("live_attach_primary");
  drain(n);
  return true;
}

void World::drain(SimNode& n) {
  if (!n.r) return;
  for (auto& o : n.r->take_outputs()) {
    if (!n.r) return;
    if (auto* s = std::get_if<out::Send>(&o)) {
      note_data_sent(n, *s);
      std::vector<uint8_t> bytes = std::move(s->head);
      if (s->payload) bytes.insert(bytes.end(), s->payload->begin(), s->payload->end());
      const uint64_t token = s->sent_token;
      send_bytes(n, std::move(bytes));
      if (token && n.r) n.r->on_sent(token, now_);  // the simulated socket takes bytes at once
    } else if (auto* d = std::get_if<out::DiskIo>(&o)) {
      const uint64_t id = d->id;
      if (n.inflight.count(id)) fail(fmt::format("{}: disk io id {} issued twice", n.name, id));
      // The engine's ordering contract: no write overlaps anything in flight.
      for (const auto& [oid, f] : n.inflight) {
        if (f.dev != d->dev || f.op == out::DiskIo::Op::kFlush || d->op == out::DiskIo::Op::kFlush) continue;
        if (f.op == out::DiskIo::Op::kRead && d->op == out::DiskIo::Op::kRead) continue;
        if (f.offset < d->offset + d->length && d->offset < f.offset + f.length) {
          fail(fmt::format("{}: overlapping disk I/O in flight ({}+{} and {}+{})", n.name, f.offset, f.length,
                           d->offset, d->length));
        }
      }
      const uint64_t base = d->dev == out::DiskIo::Dev::kData ? 0 : 0;  // internal meta data: absolute offsets
      (void)base;
      if (d->dev == out::DiskIo::Dev::kData && d->op != out::DiskIo::Op::kFlush &&
          d->offset + d->length > data_bytes_) {
        fail(fmt::format("{}: data I/O beyond the data area ({}+{})", n.name, d->offset, d->length));
      }
      // A flush makes durable what was written before it was issued; writes
      // completing while it runs may or may not be. The model takes the
      // lower bound: the engine must not count on the rest.
      if (d->op == out::DiskIo::Op::kFlush && !n.disk_bad) n.flush_all();
      n.inflight.emplace(id, std::move(*d));
      int64_t lat = static_cast<int64_t>(rnd(0, static_cast<uint64_t>(max_io_ms_)));
      if (chance(0.01)) lat += 200;
      const uint64_t inc = n.incarnation;
      const int idx = n.idx;
      at(now_ + Millis{lat}, [this, idx, inc, id] { disk_complete(nodes_[idx], inc, id); });
    } else if (auto* a = std::get_if<out::AppDone>(&o)) {
      on_app_done(n, *a);
    } else if (std::holds_alternative<out::Close>(o)) {
      on_close(n);
    } else if (auto* e = std::get_if<out::Event>(&o)) {
      trace(n.name + ": " + e->text);
      if (const auto arrow = e->text.find("conn( "); arrow != std::string::npos) {
        const auto to = e->text.find("-> ", arrow);
        const std::string next = to == std::string::npos ? "" : e->text.substr(to + 3);
        const bool replicating = next.rfind("Connected )", 0) == 0 || next.rfind("SyncSource )", 0) == 0 ||
                                 next.rfind("PausedSyncS )", 0) == 0 || next.rfind("WFBitMapS )", 0) == 0;
        if (!replicating) ++n.repl_gen;
      }
      if (e->text.find("handshake") != std::string::npos && e->text.find("crashed primar") != std::string::npos) {
        mark("crashed_primary_resync");
      }
      if (e->text.find("-> Inconsistent )") != std::string::npos && target_state(n.r->status(now_).cstate) &&
          other(n).r) {
        adopt_model(n, other(n).model);  // the resync starts overwriting this disk now
      }
      if (e->text.find("handshake") != std::string::npos) {
        n.unrelated = e->text.find("unrelated data") != std::string::npos;
      }
      if (e->text.find("-> StartingSyncT )") != std::string::npos) mark("full_sync");
      if (e->text.find("assumed to be dead") != std::string::npos) n.excused = true;
      if (e->text.find("susp( 1 -> 0 )") != std::string::npos) mark("fenced_io_released");
      if (e->text.find("may be torn") != std::string::npos) mark("torn_epochs_outdated");
      if (e->text.find("-> WFBitMapT )") != std::string::npos) mark("bitmap_sync");
    } else if (auto* c = std::get_if<out::CommandDone>(&o)) {
      if (n.promoting && n.promoting->ticket == c->ticket) {
        const SimNode::PendingPromotion p = *n.promoting;
        n.promoting.reset();
        promotion_done(n, p, c->result);
      }
    } else if (auto* h = std::get_if<out::Handler>(&o)) {
      trace(n.name + ": handler " + h->name);
      if (h->name == "split-brain" || h->name == "initial-split-brain") {
        n.sb_reported = true;
        other(n).sb_reported = true;
        mark("split_brain_detected");
      }
      if (h->name == "out-of-sync") mark("verify_found");
      if ((h->name == "split-brain" || h->name == "initial-split-brain") &&
          fencing_ == Fencing::kResourceAndStonith && n.sb_wrote && other(n).sb_wrote && !n.excused &&
          !other(n).excused) {
        fail("invariant 6: both nodes wrote as Primary since they were last in sync under fencing "
             "resource-and-stonith, without --force, resume-io or an unreachable peer");
      }
      if (h->name == "fence-peer") {
        const uint64_t inc = n.incarnation;
        SimNode* np = &n;
        at(now_ + Millis{static_cast<int64_t>(rnd(10, 300))}, [this, np, inc] { fence_peer(*np, inc); });
      }
    }
  }
}

void World::disk_complete(SimNode& n, uint64_t inc, uint64_t id) {
  if (inc != n.incarnation || !n.r) return;
  auto it = n.inflight.find(id);
  if (it == n.inflight.end()) return;
  out::DiskIo io = std::move(it->second);
  n.inflight.erase(it);
  int err = 0;
  Bytes data;
  using Op = out::DiskIo::Op;
  const bool meta = io.dev == out::DiskIo::Dev::kMeta;
  if (n.disk_bad) {
    err = EIO;
  } else {
    switch (io.op) {
      case Op::kRead:
        data = std::make_shared<const std::vector<uint8_t>>(n.vis.begin() + static_cast<std::ptrdiff_t>(io.offset),
                                                            n.vis.begin() + static_cast<std::ptrdiff_t>(io.offset + io.length));
        break;
      case Op::kWrite:
      case Op::kTrim:
      case Op::kWriteZeroes:
        if (io.op == Op::kWrite) {
          if (!io.data || io.data->size() != io.length) fail(n.name + ": write with a wrong buffer size");
          std::memcpy(n.vis.data() + io.offset, io.data->data(), io.length);
        } else {
          std::memset(n.vis.data() + io.offset, 0, io.length);
        }
        // Meta-data writes and FUA data writes are durable for their own
        // range on completion (the daemon's RWF_DSYNC), nothing else: where
        // meta data vouches for data the engine must have flushed it first.
        // Other writes sit in the volatile cache — unless the seed runs
        // wo:d, whose disks have a non-volatile cache.
        if (meta || io.fua || !base_.disk_flushes) {
          std::memcpy(n.dur.data() + io.offset, n.vis.data() + io.offset, io.length);
          for (uint64_t s = io.offset / kSector; s < (io.offset + io.length) / kSector; ++s) n.dirty[s] = 0;
        } else {
          for (uint64_t s = io.offset / kSector; s < (io.offset + io.length) / kSector; ++s) n.set_dirty(s);
        }
        break;
      case Op::kFlush:
        break;  // durable at issue (drain)
    }
  }
  n.r->on_disk_done(id, err, std::move(data), now_);
  drain(n);
}

void World::on_app_done(SimNode& n, const out::AppDone& d) {
  auto it = n.app.find(d.id);
  if (it == n.app.end()) fail(fmt::format("{}: AppDone for unknown request {}", n.name, d.id));
  const AppOp op = it->second;
  n.app.erase(it);
  Model& m = *n.model;
  using Op = AppRequest::Op;
  if (op.op == Op::kRead) {
    if (d.error != 0) return;
    if (!d.data || d.data->size() != op.length) fail(fmt::format("{}: read returned a wrong size", n.name));
    for (uint64_t s = op.offset / kSector; s < (op.offset + op.length) / kSector; ++s) {
      if (m.unknown[s] || m.stamp[s] > op.stamp_at_submit || op.had_pending || corrupt_.count(s)) continue;
      const uint8_t* got = d.data->data() + (s * kSector - op.offset);
      if (std::memcmp(got, m.img.data() + s * kSector, kSector) != 0 && !m.pending_value(s, got)) {
        uint64_t g = 0, w = 0, v = 0;
        std::memcpy(&g, got, 8);
        std::memcpy(&w, m.img.data() + s * kSector, 8);
        std::memcpy(&v, n.vis.data() + s * kSector, 8);
        fail(fmt::format("{}: read at {}+{} returned data that differs from the model at sector {} (read {:016x}, "
                         "model {:016x}, disk now {:016x})",
                         n.name, op.offset, op.length, s, g, w, v));
      }
    }
    return;
  }
  if (op.op == Op::kFlush) {
    if (d.error != 0) return;
    // Every write acknowledged before the flush began is durable locally and
    // (B, C) on the peer.
    std::vector<const AckedWrite*> before;
    for (const AckedWrite& w : n.acked) {
      if (w.stamp <= op.stamp_at_submit) before.push_back(&w);
    }
    check_durable(n, op, before, base_.protocol != Protocol::kA, "flush");
    while (!n.acked.empty() && n.acked.front().stamp <= op.stamp_at_submit) n.acked.pop_front();
    return;
  }
  auto pw = m.pending.find(d.id);
  if (pw == m.pending.end()) return;  // the model was re-based meanwhile (link break)
  const PendingWrite w = pw->second;
  m.pending.erase(pw);
  if (watch_ && *watch_ * kSector >= w.offset && *watch_ * kSector < w.offset + w.length) {
    trace(fmt::format("{}: done {} error {} (watched sector) models {} {}", n.name, d.id, d.error, static_cast<const void*>(nodes_[0].model.get()), static_cast<const void*>(nodes_[1].model.get())));
  }
  if (d.error == EROFS || d.error == EINVAL) return;  // refused before anything was written
  ++ack_counter_;
  for (uint64_t s = w.offset / kSector; s < (w.offset + w.length) / kSector; ++s) {
    m.stamp[s] = ack_counter_;
    const bool overtaken = m.writer[s] > d.id;  // a later-submitted write completed here first
    m.writer[s] = std::max(m.writer[s], d.id);
    if (d.error != 0 || overtaken) {
      m.unknown[s] = 1;
    } else {
      m.unknown[s] = 0;
      if (w.data) std::memcpy(m.img.data() + s * kSector, w.data->data() + (s * kSector - w.offset), kSector);
      else std::memset(m.img.data() + s * kSector, 0, kSector);
    }
  }
  if (d.error == 0) {
    ++acks_;
    const ConnState c = n.r ? n.r->status(now_).cstate : ConnState::kStandAlone;
    // (A Primary syncing a new disk completes a write only once the peer has
    // it durably: no divergence, whenever the completion is seen.)
    if (!is_connected(c) && !n.attaching_primary) n.sb_wrote = true;
    AckedWrite a{w.offset, w.length, w.data, ack_counter_, op.sent_conn, op.sent_gen};
    if (op.fua) {
      // A FUA write is durable itself (not the writes before it) when it is
      // acknowledged: locally, and on the peer with protocol C.
      check_durable(n, op, {&a}, base_.protocol == Protocol::kC, "FUA write");
    }
    if (n.r && n.r->status(now_).role == Role::kPrimary && op.stamp_at_submit >= n.attach_stamp) {
      n.acked.push_back(std::move(a));
      if (n.acked.size() > 20000) n.acked.pop_front();
    }
  }
}

void World::note_data_sent(SimNode& n, const out::Send& s) {
  // A Data frame (type 7) leaving on the live connection: remember which
  // write it carries (writes by their buffer, trims/zeroes by offset+length).
  if (s.head.size() < 12 + 20 || s.head[4] != 7) return;
  const int i = n.idx;
  if (!live_ || broken_ || !up_[i] || closed_from_[i]) return;
  uint64_t offset = 0;
  uint32_t length = 0;
  std::memcpy(&offset, s.head.data() + 12 + 8, 8);
  std::memcpy(&length, s.head.data() + 12 + 16, 4);
  for (auto& [id, op] : n.app) {
    if (op.sent_conn != 0 || op.offset != offset || op.length != length) continue;
    const bool match = op.op == AppRequest::Op::kWrite ? (s.payload && op.data && s.payload.get() == op.data.get())
                                                       : (!s.payload && (op.op == AppRequest::Op::kTrim ||
                                                                         op.op == AppRequest::Op::kWriteZeroes));
    if (!match) continue;
    op.sent_conn = conn_;
    op.sent_gen = n.repl_gen;
    break;
  }
}

void World::check_durable(SimNode& n, const AppOp& op, const std::vector<const AckedWrite*>& writes,
                          bool peer_rule, const char* what) {
  // Locally always (unless the disk failed); on the peer only when the rule
  // applies and the flush ran, start to end, on one connection that
  // replicated all along — after a connection loss the engine completes a
  // flush from the local disk alone, as DRBD.
  SimNode& p = other(n);
  // A Primary whose new disk is still being synced vouches for nothing
  // locally: its writes and flushes count on the peer (the engine's rule).
  const bool local = !n.disk_bad && n.r && op.stamp_at_submit >= n.attach_stamp && !n.attaching_primary;
  const bool peer = peer_rule && live_ && !broken_ && up_[0] && up_[1] && p.r && !p.disk_bad &&
                    op.conn_at_submit == conn_ && op.repl_gen_at_submit == n.repl_gen;
  if (!local && !peer) return;
  std::map<uint64_t, const AckedWrite*> latest;  // sector -> the last write acknowledged there
  for (const AckedWrite* w : writes) {
    for (uint64_t s = w->offset / kSector; s < (w->offset + w->length) / kSector; ++s) latest[s] = w;
  }
  static const std::vector<uint8_t> zero(kSector, 0);
  const Model& m = *n.model;
  uint64_t peer_checked = 0;
  for (const auto& [s, w] : latest) {
    if (corrupt_.count(s) || m.unknown[s] || m.stamp[s] != w->stamp) continue;  // changed since
    const uint8_t* want = w->data ? w->data->data() + (s * kSector - w->offset) : zero.data();
    auto holds = [&](const SimNode& x) {
      const uint8_t* have = x.dur.data() + s * kSector;
      return std::memcmp(have, want, kSector) == 0 || m.pending_value(s, have);
    };
    if (local && !holds(n)) {
      fail(fmt::format("{} durability: {} completed a {} but its own disk's durable image lacks the write "
                       "acknowledged before it at sector {} (byte {})",
                       what, n.name, what, s, s * kSector));
    }
    if (peer && w->sent_conn == conn_ && w->sent_gen == n.repl_gen) {
      if (!holds(p)) {
        fail(fmt::format("{} durability (protocol {}): Primary {} completed a {} while replicating to {}, but "
                         "{}'s durable image (what survives its power loss) lacks the write acknowledged "
                         "before it at sector {} (byte {})",
                         what, letter(base_.protocol), n.name, what, p.name, p.name, s, s * kSector));
      }
      ++peer_checked;
    }
  }
  if (peer_checked > 0 && op.op == AppRequest::Op::kFlush) mark("flush_durable_on_peer");
}

// ---- network -----------------------------------------------------------------

void World::send_bytes(SimNode& from, std::vector<uint8_t> bytes) {
  const int i = from.idx;
  if (!live_ || broken_ || !up_[i] || closed_from_[i]) return;
  const int j = 1 - i;
  Millis t = std::max(last_deliver_[i], now_ + Millis{static_cast<int64_t>(rnd(0, 8))});
  last_deliver_[i] = t;
  // Random chunking of what on_receive gets.
  size_t off = 0;
  auto shared = std::make_shared<std::vector<uint8_t>>(std::move(bytes));
  while (off < shared->size()) {
    size_t n = shared->size() - off;
    if (n > 1 && chance(0.3)) n = rnd(1, n);
    const uint64_t conn = conn_;
    at(t, [this, conn, j, shared, off, n] {
      if (conn != conn_ || broken_ || !up_[j] || !nodes_[j].r) return;
      nodes_[j].r->on_receive(std::span<const uint8_t>(shared->data() + off, n), now_);
      drain(nodes_[j]);
    });
    off += n;
  }
}

void World::unshare(int primary_hint) {
  SimNode& a = nodes_[0];
  SimNode& b = nodes_[1];
  if (!a.model || a.model.get() != b.model.get()) return;
  int keeper = primary_hint;
  if (keeper < 0) {
    keeper = (b.r && b.r->status(now_).role == Role::kPrimary) ? 1 : 0;
  }
  SimNode& loser = nodes_[1 - keeper];
  loser.model = nodes_[keeper].model->clone_unknowing_pending();
  if (base_.protocol != Protocol::kC && loser.r) {
    // A and B acknowledge before the peer's disk has the write: whatever the
    // peer does not hold (yet) at the break is unknown in its copy (invariant 1
    // already checked B's guarantee).
    Model& m = *loser.model;
    for (uint64_t sec = 0; sec < data_bytes_ / kSector; ++sec) {
      if (std::memcmp(loser.vis.data() + sec * kSector, m.img.data() + sec * kSector, kSector) != 0) m.unknown[sec] = 1;
    }
  }
}

void World::check_inv1() {
  // Invariant 1: at the instant the link of a Primary breaks, a peer that was
  // Connected with UpToDate data holds every acknowledged write (C), or will
  // once it completes the writes it has received (B). Per 512-byte sector: the
  // last acknowledged value or a pending (submitted, unacknowledged) one.
  if (base_.protocol == Protocol::kA) return;
  for (int pi = 0; pi < 2; ++pi) {
    SimNode& p = nodes_[pi];
    SimNode& s = nodes_[1 - pi];
    if (!p.r || !s.r || p.disk_bad || s.disk_bad) continue;
    if (p.r->status(now_).role != Role::kPrimary) continue;
    const ReplicaStatus ss = s.r->status(now_);
    if (ss.cstate != ConnState::kConnected || ss.disk != DiskState::kUpToDate || ss.role != Role::kSecondary) continue;
    if (p.model.get() != s.model.get()) continue;  // not replicating from this Primary's model
    std::vector<uint8_t> img(s.vis.begin(), s.vis.begin() + static_cast<std::ptrdiff_t>(data_bytes_));
    // B: a received write may also still wait in the engine behind an
    // overlapping one in flight (local I/O ordering); those sectors hold
    // whatever the chain in front of it leaves, so they are not checked.
    std::vector<uint8_t> queued_behind;
    if (base_.protocol == Protocol::kB) {
      queued_behind.assign(data_bytes_ / kSector, 0);
      for (const auto& [id, io] : s.inflight) {
        if (io.dev != out::DiskIo::Dev::kData || io.op == out::DiskIo::Op::kRead || io.op == out::DiskIo::Op::kFlush)
          continue;
        if (io.op == out::DiskIo::Op::kWrite) std::memcpy(img.data() + io.offset, io.data->data(), io.length);
        if (io.op == out::DiskIo::Op::kTrim || io.op == out::DiskIo::Op::kWriteZeroes)
          std::memset(img.data() + io.offset, 0, io.length);
        for (uint64_t sec = io.offset / kSector; sec < (io.offset + io.length) / kSector; ++sec) queued_behind[sec] = 1;
      }
    }
    const Model& m = *p.model;
    if (base_.protocol == Protocol::kB) {
      inv1_b_ = Inv1Deferred{1 - pi, s.incarnation, ack_counter_, std::make_shared<const Model>(m), p.name};
      check_inv1_deferred();
      continue;
    }
    for (uint64_t sec = 0; sec < data_bytes_ / kSector; ++sec) {
      if (m.unknown[sec] || corrupt_.count(sec) || (!queued_behind.empty() && queued_behind[sec])) continue;
      const uint8_t* have = img.data() + sec * kSector;
      if (std::memcmp(have, m.img.data() + sec * kSector, kSector) == 0) continue;
      if (m.pending_value(sec, have)) continue;
      fail(fmt::format("invariant 1 (protocol {}): the link of Primary {} broke while {} was Connected/UpToDate, "
                       "but {} lacks the acknowledged write at sector {} (byte {})",
                       letter(base_.protocol), p.name, s.name, s.name, sec, sec * kSector));
    }
  }
}

void World::link_break(const char* why) {
  if (!live_ || broken_) return;
  trace(fmt::format("net: connection {} breaks ({})", conn_, why));
  if (watch_) trace(fmt::format("models before {} {}", static_cast<const void*>(nodes_[0].model.get()), static_cast<const void*>(nodes_[1].model.get())));
  check_inv1();
  unshare(-1);
  if (watch_) trace(fmt::format("models after {} {}", static_cast<const void*>(nodes_[0].model.get()), static_cast<const void*>(nodes_[1].model.get())));
  broken_ = true;
  for (int i = 0; i < 2; ++i) {
    if (up_[i]) down_later(i, conn_, Millis{static_cast<int64_t>(rnd(0, 3000))});
  }
}

void World::down_later(int i, uint64_t conn, Millis delay) {
  at(now_ + delay, [this, i, conn] {
    if (conn != conn_ || !up_[i]) return;
    up_[i] = false;
    if (!up_[1 - i]) live_ = false;
    if (nodes_[i].r) {
      trace(fmt::format("{}: transport down", nodes_[i].name));
      nodes_[i].r->on_transport_down(now_);
      drain(nodes_[i]);
    }
  });
}

void World::on_close(SimNode& n) {
  const int i = n.idx;
  if (!live_ || !up_[i]) return;
  trace(fmt::format("{}: closes connection {}", n.name, conn_));
  if (!broken_) {
    check_inv1();
    unshare(-1);
  }
  up_[i] = false;
  closed_from_[i] = true;
  const int j = 1 - i;
  if (!up_[j]) {
    live_ = false;
    return;
  }
  // Graceful: what i sent arrives, then j sees the end of the stream.
  if (!broken_) {
    const Millis t = std::max(last_deliver_[i], now_) + Millis{1};
    down_later(j, conn_, t - now_);
  }
}

void World::maybe_connect() {
  if (live_ || connect_scheduled_ || !healed_) return;
  if (!nodes_[0].r || !nodes_[1].r) return;
  if (!nodes_[0].r->wants_connection() || !nodes_[1].r->wants_connection()) return;
  connect_scheduled_ = true;
  const int64_t delay = static_cast<int64_t>(rnd(50, uint64_t{base_.connect_int_s} * 1000));
  at(now_ + Millis{delay}, [this] {
    connect_scheduled_ = false;
    if (live_ || !healed_ || !nodes_[0].r || !nodes_[1].r) return;
    if (!nodes_[0].r->wants_connection() || !nodes_[1].r->wants_connection()) return;
    ++conn_;
    live_ = true;
    broken_ = false;
    up_[0] = up_[1] = true;
    closed_from_[0] = closed_from_[1] = false;
    last_deliver_[0] = last_deliver_[1] = now_;
    trace(fmt::format("net: connection {} up", conn_));
    const int first = static_cast<int>(rnd(0, 1));
    for (int k = 0; k < 2; ++k) {
      SimNode& n = nodes_[(first + k) % 2];
      if (!n.r) continue;
      n.r->on_transport_up(now_);
      drain(n);
    }
  });
}

// ---- observation ---------------------------------------------------------------

void World::observe_node(SimNode& n) {
  if (!n.r) return;
  const ReplicaStatus s = st(n);
  SimNode& o = other(n);
  const bool was_conn = is_connected(n.last_cs);
  if (s.cstate != n.last_cs) {
    const bool now_conn = is_connected(s.cstate);
    // A handshake that ended in replication.
    if (now_conn && !was_conn) {
      // (A side without a disk has no data to merge: what it wrote alone is
      // on the disk it lost; the two connect without a sync decision.)
      const bool diskless = o.r && (has_no_disk(s.disk) || has_no_disk(st(o).disk));
      if (n.sb_wrote && o.sb_wrote && !n.sb_reported && !o.sb_reported && !n.discard_used && !o.discard_used &&
          !diskless) {
        fail(fmt::format("invariant 3: {} and {} both wrote as Primary since they were last in sync, yet {} "
                         "reached {} without a split-brain report",
                         n.name, o.name, n.name, name(s.cstate)));
      }
      if (!s.split_brain.empty() && s.split_brain.find("resolved") != std::string::npos &&
          s.split_brain.find("discard-my-data") == std::string::npos) {
        mark("split_brain_auto_resolved");
      }
    }
    // A sync target adopts the source's model once its data starts to change:
    // when its disk turns Inconsistent (drain(), on the event) or, for a
    // resumed resync of a disk that already was, when it is seen syncing. Not
    // earlier: a handshake or bitmap exchange that dies before the sync UUID
    // leaves the target's own (Consistent) data, which it may then promote.
    if (receiving(s.cstate) && !receiving(n.last_cs) && o.r) {
      adopt_model(n, o.model);  // the loser's changes are gone; the source's are what counts
    }
    if (s.cstate == ConnState::kConnected && !was_conn && o.r && n.model.get() != o.model.get()) {
      // No sync: a diskless side exposes the other's data; otherwise the
      // Secondary follows a Primary, and two Secondaries should hold the same.
      const ReplicaStatus os = st(o);
      if (has_no_disk(s.disk) && !has_no_disk(os.disk)) n.model = o.model;
      else if (has_no_disk(os.disk) && !has_no_disk(s.disk)) o.model = n.model;
      else if (s.role == Role::kPrimary) o.model = n.model;
      else if (os.role == Role::kPrimary) n.model = o.model;
      else if (o.sb_wrote && !n.sb_wrote) n.model = o.model;
      else o.model = n.model;
    }
    if ((s.cstate == ConnState::kSyncTarget || s.cstate == ConnState::kPausedSyncT) && n.sync_interrupted) {
      mark("resync_interrupted_resumed");
      n.sync_interrupted = false;
    }
    if (target_state(n.last_cs) && !is_connected(s.cstate) && n.r->bitmap().count() > 0) n.sync_interrupted = true;
    n.last_cs = s.cstate;
  }
  if (s.disk != n.last_disk) {
    if (s.disk == DiskState::kDiskless && n.disk_bad) mark("io_error_detach");
    n.last_disk = s.disk;
  }
  n.last_role = s.role;
  if (s.role != Role::kPrimary) n.acked.clear();
  if (!s.split_brain.empty() && s.split_brain.find("detected") != std::string::npos) n.sb_reported = o.sb_reported = true;
  // Invariant 4. A Primary whose replaced disk is being synced (live attach)
  // is the one Primary allowed an Inconsistent disk and a target's state: it
  // serves from its peer, and was Primary before.
  if (s.role != Role::kPrimary || s.disk == DiskState::kUpToDate) n.attaching_primary = false;
  if (s.role == Role::kPrimary && (s.disk == DiskState::kInconsistent || s.disk == DiskState::kOutdated) &&
      !n.attaching_primary) {
    fail(fmt::format("invariant 4: {} is Primary with {} data", n.name, name(s.disk)));
  }
  if (s.role == Role::kPrimary && target_state(s.cstate) && !n.attaching_primary) {
    fail(fmt::format("invariant 4: {} is Primary and {}", n.name, name(s.cstate)));
  }
  // Checked while the link is intact. The engine promotes without asking the
  // peer (DRBD makes promotion a cluster-wide state change acknowledged by the
  // peer): while a broken link is not yet noticed, each side can promote with
  // a stale "peer is Secondary" view. That gap is the engine's, reported, not
  // hidden: the first Data to reach the other Primary ends the connection.
  if (o.r && !broken_ && live_ && s.role == Role::kPrimary && is_connected(s.cstate)) {
    const ReplicaStatus os = st(o);
    if (os.role == Role::kPrimary && is_connected(os.cstate)) {
      fail(fmt::format("invariant 4: two Primaries while connected ({} {}, {} {})", n.name, name(s.cstate), o.name,
                       name(os.cstate)));
    }
  }
}

void World::check_inv1_deferred() {
  if (!inv1_b_) return;
  const Inv1Deferred& d = *inv1_b_;
  SimNode& s = nodes_[d.peer];
  if (!s.r || s.incarnation != d.incarnation || s.disk_bad) {
    inv1_b_.reset();  // crashed or failed meanwhile: nothing left to check
    return;
  }
  if (!s.inflight.empty()) return;  // still completing what it received
  const Model& m = *d.snap;
  const Model* own = s.model.get();  // its own writes since the break (as a Primary of its own)
  for (uint64_t sec = 0; sec < data_bytes_ / kSector; ++sec) {
    if (m.unknown[sec] || corrupt_.count(sec)) continue;
    if (own && (own->stamp[sec] > d.stamp || own->unknown[sec])) continue;
    bool own_pending = false;
    if (own) {
      for (const auto& [id, w] : own->pending) {
        if (s.app.count(id) && sec * kSector >= w.offset && sec * kSector < w.offset + w.length) own_pending = true;
      }
    }
    if (own_pending) continue;
    const uint8_t* have = s.vis.data() + sec * kSector;
    if (std::memcmp(have, m.img.data() + sec * kSector, kSector) == 0) continue;
    if (m.pending_value(sec, have)) continue;
    fail(fmt::format("invariant 1 (protocol B): the link of Primary {} broke while {} was Connected/UpToDate, but "
                     "once its received writes completed {} lacks the acknowledged write at sector {} (byte {})",
                     d.primary, s.name, s.name, sec, sec * kSector));
  }
  inv1_b_.reset();
}

void World::observe() {
  check_inv1_deferred();
  observe_node(nodes_[0]);
  observe_node(nodes_[1]);
  if (nodes_[0].r && nodes_[1].r) {
    const auto a = st(nodes_[0]);
    const auto b = st(nodes_[1]);
    // Invariant 5: one Primary at a time while replicating (no allow-two-primaries here).
    if (a.role == Role::kPrimary && b.role == Role::kPrimary && is_connected(a.cstate) && is_connected(b.cstate)) {
      fail("invariant 5: both nodes are Primary while connected");
    }
    if (a.cstate == ConnState::kConnected && b.cstate == ConnState::kConnected && a.disk == DiskState::kUpToDate &&
        b.disk == DiskState::kUpToDate) {
      for (auto& n : nodes_) {
        n.sb_wrote = n.sb_reported = n.discard_used = n.sync_interrupted = n.excused = false;
      }
    }
  }
}

bool World::quiesced() {
  if (!live_ || broken_ || !up_[0] || !up_[1]) return false;  // a broken link nobody noticed yet
  for (auto& n : nodes_) {
    if (!n.r || !n.inflight.empty() || !n.app.empty() || n.disk_bad) return false;
    const auto s = st(n);
    if (s.cstate != ConnState::kConnected || s.disk != DiskState::kUpToDate || s.pe || s.ua || s.ap) return false;
  }
  // Nothing on the wire.
  for (int i = 0; i < 2; ++i) {
    if (last_deliver_[i] > now_) return false;
  }
  return true;
}

void World::check_quiesced() {
  if (!quiesced()) return;
  SimNode& a = nodes_[0];
  SimNode& b = nodes_[1];
  for (uint64_t off = 0; off < data_bytes_; off += kSector) {
    if (corrupt_.count(off / kSector)) {
      if (std::memcmp(a.vis.data() + off, b.vis.data() + off, kSector) != 0) continue;
      // Both agree again (resynced, overwritten, or the corruption spread by a
      // failover, which no verify can see): the model takes it.
      corrupt_.erase(off / kSector);
      std::memcpy(a.model->img.data() + off, a.vis.data() + off, kSector);
      std::memcpy(b.model->img.data() + off, a.vis.data() + off, kSector);
      continue;
    }
    if (std::memcmp(a.vis.data() + off, b.vis.data() + off, kSector) != 0) {
      fail(fmt::format("invariant 2: quiesced and UpToDate/UpToDate but the data areas differ at byte {} "
                       "(sector {})",
                       off, off / kSector));
    }
  }
  // Compare with the Primary's model (or the one both share).
  SimNode& p = st(b).role == Role::kPrimary ? b : a;
  Model& m = *p.model;
  for (uint64_t s = 0; s < data_bytes_ / kSector; ++s) {
    if (corrupt_.count(s)) continue;
    if (m.unknown[s]) {
      std::memcpy(m.img.data() + s * kSector, a.vis.data() + s * kSector, kSector);
      m.unknown[s] = 0;
      continue;
    }
    if (std::memcmp(m.img.data() + s * kSector, a.vis.data() + s * kSector, kSector) != 0) {
      fail(fmt::format("invariant 2: quiesced data differs from {}'s model of acknowledged writes at sector {} "
                       "(byte {})",
                       p.name, s, s * kSector));
    }
  }
  other(p).model = p.model;
}

// ---- workload ----------------------------------------------------------------

void World::submit_one(SimNode& n) {
  AppRequest r;
  r.id = next_app_id_++;
  const uint64_t roll = rnd(0, 99);
  using Op = AppRequest::Op;
  r.op = roll < 62 ? Op::kWrite : roll < 70 ? Op::kFlush : roll < 73 ? Op::kTrim : roll < 76 ? Op::kWriteZeroes : Op::kRead;
  if (r.op != Op::kFlush) {
    uint64_t len = chance(0.7) ? 4096 : chance(0.8) ? rnd(1, 64) * 4096 : rnd(1, 512) * 512;
    len = std::min<uint64_t>(len, 256 * 1024);
    uint64_t off = chance(0.85) ? rnd(0, (data_bytes_ - len) / 4096) * 4096 : rnd(0, (data_bytes_ - len) / 512) * 512;
    // Hot spots make overwrites and AL churn likely.
    if (chance(0.5)) off = std::min<uint64_t>(off % (data_bytes_ / 4), data_bytes_ - len) & ~uint64_t{511};
    r.offset = off;
    r.length = static_cast<uint32_t>(len);
  }
  r.fua = r.op == Op::kWrite && chance(0.1);
  if (r.op == Op::kWrite) {
    auto v = std::make_shared<std::vector<uint8_t>>(r.length);
    const uint64_t k = rng_();
    for (size_t i = 0; i + 8 <= v->size(); i += 8) {
      const uint64_t w = splitmix(k + i);
      std::memcpy(v->data() + i, &w, 8);
    }
    r.data = v;
  }
  AppOp op;
  op.op = r.op;
  op.offset = r.offset;
  op.length = r.length;
  op.stamp_at_submit = ack_counter_;
  op.fua = r.fua;
  op.data = r.op == Op::kWrite ? r.data : nullptr;
  op.conn_at_submit = conn_;
  op.repl_gen_at_submit = n.repl_gen;
  Model& m = *n.model;
  if (r.op == Op::kRead) {
    for (const auto& [id, w] : m.pending) {
      if (w.offset < r.offset + r.length && r.offset < w.offset + w.length) op.had_pending = true;
    }
  } else if (r.op != Op::kFlush) {
    m.pending[r.id] = PendingWrite{r.offset, r.length, r.op == Op::kWrite ? r.data : nullptr};
  }
  if (watch_ && r.op != Op::kRead && r.op != Op::kFlush && *watch_ * kSector >= r.offset &&
      *watch_ * kSector < r.offset + r.length) {
    trace(fmt::format("{}: submit {} {} {}+{} covering the watched sector", n.name, r.id,
                      r.op == Op::kWrite ? "write" : "trim/zero", r.offset, r.length));
  }
  n.app[r.id] = op;
  n.r->submit(std::move(r), now_);
  drain(n);
}

void World::workload_tick() {
  if (workload_on_) {
    for (auto& n : nodes_) {
      if (!n.r || !n.r->writable()) continue;
      if (n.app.size() >= 8) continue;
      const int k = static_cast<int>(rnd(0, 2));
      for (int i = 0; i < k && n.app.size() < 8 && n.r; ++i) submit_one(n);
    }
  }
  at(now_ + Millis{static_cast<int64_t>(rnd(1, 30))}, [this] { workload_tick(); });
}

// ---- time ---------------------------------------------------------------------

void World::run_until(Millis end) {
  uint64_t guard = 0;
  while (true) {
    // Next tick of each node: its deadline or 100 ms after its last tick.
    Millis tick_at = Millis::max();
    int tick_node = -1;
    for (auto& n : nodes_) {
      if (!n.r) continue;
      const Millis t = std::max(n.last_tick, std::min(n.r->next_deadline(), n.last_tick + Millis{100}));
      if (t < tick_at) {
        tick_at = t;
        tick_node = n.idx;
      }
    }
    const Millis ev_at = q_.empty() ? Millis::max() : q_.top().t;
    const Millis next = std::min(tick_at, ev_at);
    if (next > end) break;
    now_ = std::max(now_, next);
    if (tick_node >= 0 && tick_at <= ev_at) {
      SimNode& n = nodes_[tick_node];
      n.last_tick = now_ == n.last_tick ? now_ + Millis{1} : now_;
      n.r->on_tick(now_);
      drain(n);
      // A deadline at or before the tick just taken makes a daemon's timer
      // fire at every turn of its loop: a spin, whatever else is right.
      if (n.r && n.r->next_deadline() <= now_) {
        fail(fmt::format("{} asks for its next tick at {} ms, not after the tick just taken at {} ms "
                         "(its timer would spin)",
                         n.name, n.r->next_deadline().count(), now_.count()));
      }
    } else {
      Ev e = q_.top();
      q_.pop();
      e.f();
    }
    ++events_;
    observe();
    maybe_connect();
    if (++guard > 5'000'000) fail("no progress: too many events in one step");
  }
  now_ = end;
}

void World::settle(int64_t ms) { run_until(now_ + Millis{ms}); }

// ---- the driver ------------------------------------------------------------------

void World::promote(SimNode& n, bool force) {
  if (!n.r) return;
  SimNode::PendingPromotion p{n.next_ticket++, force, st(n)};
  std::optional<Status> r = n.r->primary(force, p.ticket, now_);
  if (!r) {
    trace(fmt::format("{}: primary{} -> waiting for the peer", n.name, force ? " --force" : ""));
    n.promoting = p;
    drain(n);
    return;
  }
  drain(n);
  promotion_done(n, p, *r);
}

// The checks on a promotion's result, at once or when the peer answered.
void World::promotion_done(SimNode& n, const SimNode::PendingPromotion& p, const Status& r) {
  const ReplicaStatus& s = p.before;
  trace(fmt::format("{}: primary{} -> {}", n.name, p.force ? " --force" : "", r.ok() ? "ok" : r.error().message));
  if (!p.force) {
    const bool peer_pri = is_connected(s.cstate) && s.peer_role == Role::kPrimary;
    const bool syncing_target = target_state(s.cstate);
    // Refusals a correct engine may give for reasons that arose meanwhile:
    // the peer promoted first (-1), both asked at once (-19).
    const bool raced = !r.ok() && (r.error().message.find("(-1)") != std::string::npos ||
                                   r.error().message.find("(-19)") != std::string::npos ||
                                   r.error().message.find("(-18)") != std::string::npos ||
                                   r.error().message.find("(-7)") != std::string::npos);
    if (raced) mark("concurrent_promotion_refused");
    if (s.role != Role::kPrimary && s.disk == DiskState::kUpToDate && !peer_pri && !syncing_target && !r.ok() &&
        !raced && (!n.r || st(n).disk == DiskState::kUpToDate)) {
      fail(fmt::format("driver: primary on {} with UpToDate data refused: {}", n.name, r.error().message));
    }
    if ((s.disk == DiskState::kInconsistent || s.disk == DiskState::kOutdated) && r.ok() && s.role != Role::kPrimary) {
      fail(fmt::format("invariant 4: primary without --force succeeded on {} with {} data", n.name, name(s.disk)));
    }
  }
  // --force, and promoting data that is only Consistent (a restarted node that
  // cannot know whether its peer moved on; DRBD lets fencing decide, and a
  // STONITH of a newer Primary is the documented risk) excuse a split brain.
  if (r.ok() && s.role != Role::kPrimary && n.r && (p.force || s.disk == DiskState::kConsistent)) n.excused = true;
  if (r.ok() && s.role != Role::kPrimary && n.r) {
    if (!is_connected(st(n).cstate)) {
      unshare(n.idx);
      mark("failover");
    }
    if (s.disk != DiskState::kUpToDate && s.disk != DiskState::kConsistent) {
      // Forced from data that may be anything: the model is re-based from the disk.
      std::fill(n.model->unknown.begin(), n.model->unknown.end(), 1);
    }
  }
}

void World::fence_peer(SimNode& n, uint64_t incarnation) {
  if (!n.r || n.incarnation != incarnation) return;  // the node (and its handler) died meanwhile
  SimNode& o = other(n);
  int code = 1;
  if (!o.r) {
    code = 5;
  } else if (fencing_ == Fencing::kResourceAndStonith && chance(0.3)) {
    crash(o, "STONITH by fence-peer");
    code = 7;
  } else {
    Status s = o.r->outdate(now_);
    trace(fmt::format("{}: outdate (by {}'s fence-peer) -> {}", o.name, n.name, s.ok() ? "ok" : s.error().message));
    drain(o);
    if (s.ok()) {
      code = 4;
      mark("fence_peer_outdated");
    } else if (st(o).role == Role::kPrimary) {
      code = 6;
    }
  }
  trace(fmt::format("{}: fence-peer exits {}", n.name, code));
  n.r->on_handler_done("fence-peer", code, now_);
  drain(n);
}

void World::step() {
  ++step_;
  SimNode& n = nodes_[rnd(0, 1)];
  SimNode& o = other(n);
  const uint64_t roll = rnd(0, 99);
  auto cmd = [&](SimNode& x, const char* what, Status s) {
    trace(fmt::format("{}: {} -> {}", x.name, what, s.ok() ? "ok" : s.error().message));
    drain(x);
  };
  if (!n.r) {
    // A crashed node comes back (attach + connect).
    if (chance(0.7)) {
      if (n.disk_bad) replace_disk(n);
      else attach(n);
    }
  } else if (st(n).io_suspended && chance(0.2)) {
    // The operator decides the peer is surely down (it may be wrong).
    n.excused = true;
    cmd(n, "resume-io", n.r->resume_io(now_));
  } else if (roll < 10) {
    workload_on_ = !workload_on_;
    trace(fmt::format("driver: workload {}", workload_on_ ? "on" : "off"));
  } else if (roll < 18) {
    if (healed_) {
      healed_ = false;
      trace("driver: partition");
      link_break("partition");
    } else {
      healed_ = true;
      trace("driver: heal");
    }
  } else if (roll < 25 && faults_) {
    crash(n, "driver", !chance(0.3));
  } else if (roll < 35) {
    promote(n, false);
  } else if (roll < 38) {
    // Both operators (or cluster managers) promote at the same instant: at
    // most one may win while the nodes are connected.
    trace("driver: both promote at once");
    for (SimNode* x : {&n, &o}) {
      if (x->r && st(*x).role == Role::kPrimary) cmd(*x, "secondary", x->r->secondary(now_));
    }
    promote(n, false);
    if (o.r) promote(o, false);
  } else if (roll < 46) {
    cmd(n, "secondary", n.r->secondary(now_));
  } else if (roll < 52) {
    if (st(n).cstate == ConnState::kStandAlone) {
      const bool discard = st(n).role == Role::kSecondary && !st(n).split_brain.empty() && chance(0.7);
      if (discard) {
        n.discard_used = true;
        mark("manual_sb_repair");
      }
      cmd(n, discard ? "connect --discard-my-data" : "connect", n.r->connect(discard, now_));
    } else {
      cmd(n, "disconnect", n.r->disconnect(now_));
    }
  } else if (roll < 57) {
    if (st(n).cstate == ConnState::kConnected && chance(0.5) && o.r && !o.disk_bad && !n.disk_bad) {
      // Silent corruption on the non-Primary, which verify must find.
      SimNode& victim = st(n).role == Role::kPrimary ? o : (st(o).role == Role::kPrimary ? n : o);
      if (victim.r && st(victim).role != Role::kPrimary && victim.inflight.empty()) {
        const uint64_t off = rnd(0, data_bytes_ / 4096 - 1) * 4096 + rnd(0, 4095);
        victim.vis[off] ^= 0x5a;
        victim.dur[off] ^= 0x5a;
        corrupt_.insert(off / kSector);
        trace(fmt::format("driver: corrupt byte {} on {}", off, victim.name));
      }
    }
    cmd(n, "verify", n.r->verify(now_));
  } else if (roll < 61) {
    // A node that invalidates itself discards its own writes on purpose.
    Status inv = n.r->invalidate(now_);
    if (inv.ok()) n.sb_wrote = false;
    cmd(n, "invalidate", inv);
  } else if (roll < 64) {
    Status inv = n.r->invalidate_remote(now_);
    if (inv.ok()) o.sb_wrote = false;
    cmd(n, "invalidate-remote", inv);
  } else if (roll < 70) {
    if (st(n).paused_by_user) cmd(n, "resume-sync", n.r->resume_sync(now_));
    else cmd(n, "pause-sync", n.r->pause_sync(now_));
  } else if (roll < 74) {
    // Deliberate split brain: partition, promote both, write on both.
    trace("driver: deliberate split brain");
    if (healed_) {
      healed_ = false;
      link_break("partition for split brain");
    }
    settle(static_cast<int64_t>(rnd(0, 4000)));
    for (auto& x : nodes_) {
      if (x.r) promote(x, false);
    }
    workload_on_ = true;
  } else if (roll < 76 && io_errors_ && faults_) {
    // Half the time the Primary's (when there is one): its disk replaced
    // under it while it keeps serving is the case live attach exists for.
    SimNode& v = (o.r && st(o).role == Role::kPrimary && chance(0.5)) ? o : n;
    v.disk_bad = true;
    trace(fmt::format("driver: {}'s disk goes bad", v.name));
    if (v.r && st(v).role == Role::kPrimary && chance(0.8)) {
      // The operator swaps it soon, the workload going on meanwhile.
      workload_on_ = true;
      settle(static_cast<int64_t>(rnd(200, 3000)));
      if (v.r && v.disk_bad && live_attach_possible(v)) live_attach(v);
    }
  } else if (roll < 80 && n.disk_bad) {
    if (!(live_attach_possible(n) && chance(0.8) && live_attach(n))) replace_disk(n);
  } else if (roll < 85) {
    // Repair an unresolved split brain: the victim discards its data.
    if (!st(n).split_brain.empty() && st(n).cstate == ConnState::kStandAlone) {
      Status s = n.r->secondary(now_);
      cmd(n, "secondary", s);
      if (s.ok()) {
        n.discard_used = true;
        mark("manual_sb_repair");
        cmd(n, "connect --discard-my-data", n.r->connect(true, now_));
        if (o.r && st(o).cstate == ConnState::kStandAlone) cmd(o, "connect", o.r->connect(false, now_));
      }
    }
  }
  // Otherwise: let the workload run.
  settle(static_cast<int64_t>(rnd(10, 3000)));
  if (!corrupt_.empty()) {
    // After a verify found it, disconnect/connect resyncs it (DRBD's way).
    for (auto& x : nodes_) {
      if (x.r && x.r->status(now_).cstate == ConnState::kConnected && x.r->bitmap().count() > 0) {
        cmd(x, "disconnect", x.r->disconnect(now_));
        cmd(x, "connect", x.r->connect(false, now_));
      }
    }
  }
  check_quiesced();
}

void World::end_phase() {
  trace("driver: end phase (heal, no faults)");
  faults_ = false;
  healed_ = true;
  // The operator brings back every node that is down (a bad disk replaced)
  // and replaces bad disks under running ones.
  auto bring_back = [this](bool running_too) {
    for (auto& n : nodes_) {
      if (n.r && !(running_too && n.disk_bad)) continue;
      if (n.disk_bad && n.r && live_attach_possible(n) && live_attach(n)) continue;
      if (n.disk_bad) replace_disk(n);
      else attach(n);
    }
  };
  bring_back(true);
  const Millis deadline = now_ + Millis{opt_.large ? 600000 : 300000};
  bool verified_after_corruption = false;
  while (now_ < deadline) {
    bring_back(false);  // a node STONITHed by a fence-peer handler meanwhile reboots
    // The operator's part: connect what is StandAlone, repair split brains,
    // resume paused syncs, demote a second Primary, force when no data is good.
    for (auto& n : nodes_) {
      if (!n.r) continue;
      SimNode& o = other(n);
      auto s = st(n);
      if (s.paused_by_user) (void)n.r->resume_sync(now_);
      if (s.role == Role::kPrimary && o.r && st(o).role == Role::kPrimary && n.idx == 1) {
        Status r = n.r->secondary(now_);
        trace(fmt::format("{}: secondary (end) -> {}", n.name, r.ok() ? "ok" : r.error().message));
      }
      if (s.cstate == ConnState::kStandAlone && n.unrelated && s.role == Role::kSecondary &&
          (st(o).role == Role::kPrimary || n.idx == 1)) {
        // So many generations apart that the UUIDs share nothing (only two
        // history slots): no policy or --discard-my-data applies; the operator
        // re-creates the victim's meta data (here: a blank disk) and it full-syncs.
        n.unrelated = false;
        replace_disk(n);
        Status r = n.r->connect(false, now_);
        trace(fmt::format("{}: create-md + connect after 'unrelated data' (end) -> {}", n.name,
                          r.ok() ? "ok" : r.error().message));
        drain(n);
        continue;
      }
      if (s.cstate == ConnState::kStandAlone) {
        const bool victim = !s.split_brain.empty() && s.role == Role::kSecondary &&
                            (st(o).role == Role::kPrimary || n.idx == 1);
        if (victim) {
          n.discard_used = true;
          mark("manual_sb_repair");
        }
        Status r = n.r->connect(victim, now_);
        trace(fmt::format("{}: connect{} (end) -> {}", n.name, victim ? " --discard-my-data" : "",
                          r.ok() ? "ok" : r.error().message));
      }
      drain(n);
    }
    settle(1000);
    if (!nodes_[0].r || !nodes_[1].r) continue;  // STONITHed meanwhile: rebooted above
    if (!corrupt_.empty() && !verified_after_corruption && st(nodes_[0]).cstate == ConnState::kConnected &&
        st(nodes_[0]).disk == DiskState::kUpToDate && st(nodes_[1]).disk == DiskState::kUpToDate) {
      SimNode& v = nodes_[0];
      Status r = v.r->verify(now_);
      trace(fmt::format("{}: verify (end) -> {}", v.name, r.ok() ? "ok" : r.error().message));
      drain(v);
      if (r.ok()) {
        verified_after_corruption = true;
        settle(5000);
        for (auto& x : nodes_) {
          if (x.r && x.r->bitmap().count() > 0 && st(x).cstate == ConnState::kConnected) {
            (void)x.r->disconnect(now_);
            (void)x.r->connect(false, now_);
            drain(x);
          }
        }
        settle(1000);
      }
    }
    if (!nodes_[0].r || !nodes_[1].r) continue;
    const auto a = st(nodes_[0]);
    const auto b = st(nodes_[1]);
    if (a.cstate == ConnState::kConnected && b.cstate == ConnState::kConnected && a.disk == DiskState::kUpToDate &&
        b.disk == DiskState::kUpToDate && (corrupt_.empty() || verified_after_corruption)) {
      // Quiesce the workload.
      workload_on_ = false;
      for (int i = 0; i < 100 && !quiesced(); ++i) settle(100);
      if (!quiesced()) fail("end: the workload does not quiesce");
      check_quiesced();
      if (!corrupt_.empty()) {
        fail(fmt::format("end: online verify and a reconnect did not repair the corrupted sector {}",
                         *corrupt_.begin()));
      }
      return;
    }
    if (a.disk == DiskState::kInconsistent && b.disk == DiskState::kInconsistent && a.cstate == ConnState::kConnected) {
      // Nobody has good data: the operator forces one — after demoting a
      // Primary whose replaced disk never finished its sync.
      for (auto& x : nodes_) {
        if (st(x).role == Role::kPrimary) {
          Status r = x.r->secondary(now_);
          trace(fmt::format("{}: secondary (end, both Inconsistent) -> {}", x.name, r.ok() ? "ok" : r.error().message));
          drain(x);
        }
      }
      promote(nodes_[0], true);
    }
  }
  bring_back(false);
  const auto a = st(nodes_[0]);
  const auto b = st(nodes_[1]);
  fail(fmt::format("invariant 5: no convergence within the bound after healing ({} {} {} / {} {} {})",
                   name(a.cstate), name(a.role), name(a.disk), name(b.cstate), name(b.role), name(b.disk)));
}

ReplSimResult World::run() {
  ReplSimResult res;
  // ---- the seed's configuration ----
  backing_bytes_ = (opt_.large ? rnd(40, 96) : rnd(12, 40)) << 20;
  base_.resource = "r0";
  const Protocol protos[] = {Protocol::kA, Protocol::kB, Protocol::kC, Protocol::kC};
  base_.protocol = protos[rnd(0, 3)];
  base_.after_sb.pri0 = static_cast<AfterSb0>(rnd(0, 4));
  base_.after_sb.pri1 = static_cast<AfterSb1>(rnd(0, 4));
  base_.after_sb.pri2 = chance(0.5) ? AfterSb2::kDisconnect : AfterSb2::kCallPriLostAfterSb;
  const char* algs[] = {"crc32c", "sha256", "md5"};
  base_.verify_alg = algs[rnd(0, 2)];
  base_.connect_int_s = static_cast<uint32_t>(rnd(1, 10));
  base_.timeout_ds = static_cast<uint32_t>(rnd(30, 60));
  base_.ping_int_s = static_cast<uint32_t>(rnd(2, 10));
  if (chance(0.5)) {
    base_.c_plan_ahead_ds = 0;
    base_.resync_rate_kib_s = rnd(2, 60) * 1024;
  } else {
    // The dynamic controller: DRBD's default fill target (50 KiB in flight,
    // a slow ramp) sometimes, usually a tuned one.
    base_.c_max_rate_kib_s = rnd(4, 100) * 1024;
    base_.c_fill_target_sectors = chance(0.2) ? 100 : static_cast<uint32_t>(rnd(1000, 100000));
    base_.c_min_rate_kib_s = chance(0.5) ? 0 : rnd(1, 8) * 1024;
  }
  base_.al_extents = static_cast<uint32_t>(rnd(7, 20));
  base_.max_epoch_size = static_cast<uint32_t>(rnd(4, 2048));
  {
    const uint64_t f = rnd(0, 3);
    fencing_ = f == 2 ? Fencing::kResourceOnly : f == 3 ? Fencing::kResourceAndStonith : Fencing::kDontCare;
    base_.fencing = fencing_;
  }
  torn512_ = chance(0.3);
  io_errors_ = chance(0.15);
  max_io_ms_ = static_cast<int64_t>(rnd(1, 20));
  // disk-flushes no (wo:d): what an operator sets for a disk with a
  // non-volatile write cache, which the disk model then has.
  base_.disk_flushes = !chance(0.2);
  res.config = fmt::format("protocol {}{}, after-sb {}/{}/{}, {} MiB, verify {}, torn {}, io-errors {}, fencing {}",
                           letter(base_.protocol), base_.disk_flushes ? "" : " wo:d", static_cast<int>(base_.after_sb.pri0),
                           static_cast<int>(base_.after_sb.pri1), static_cast<int>(base_.after_sb.pri2),
                           backing_bytes_ >> 20, base_.verify_alg, torn512_ ? "512" : "4k", io_errors_ ? "yes" : "no",
                           fencing_ == Fencing::kDontCare ? "dont-care"
                           : fencing_ == Fencing::kResourceOnly ? "resource-only" : "resource-and-stonith");
  const char* names[2] = {"alpha", "beta"};
  for (int i = 0; i < 2; ++i) {
    nodes_[i].idx = i;
    nodes_[i].name = names[i];
    nodes_[i].layout = internal_layout(backing_bytes_).value();
  }
  data_bytes_ = nodes_[0].layout.data_bytes;
  try {
    trace("seed config: " + res.config);
    for (auto& n : nodes_) create_md(n);
    for (auto& n : nodes_) attach(n);
    settle(static_cast<int64_t>(uint64_t{base_.connect_int_s} * 1000 + 500));
    SimNode& first = nodes_[rnd(0, 1)];
    promote(first, true);
    at(now_, [this] { workload_tick(); });
    if (io_errors_ && chance(0.5)) {
      // An episode every I/O-error seed may start with: the Primary's disk
      // fails under the workload and is replaced while it keeps serving.
      settle(static_cast<int64_t>(rnd(1000, 20000)));  // the initial sync runs, or not yet
      first.disk_bad = true;
      trace(fmt::format("driver: {}'s disk goes bad (to be replaced live)", first.name));
      settle(static_cast<int64_t>(rnd(200, 3000)));
      if (first.r && first.disk_bad && live_attach_possible(first)) live_attach(first);
    }
    const uint64_t steps = opt_.large ? rnd(150, 300) : rnd(20, 60);
    for (uint64_t i = 0; i < steps; ++i) step();
    end_phase();
  } catch (const SimFailure& f) {
    res.ok = false;
    std::string t;
    for (const auto& l : trace_) t += "    " + l + "\n";
    res.failure = fmt::format("step {} at {} ms: {}\n  config: {}\n  last events:\n{}", step_, now_.count(), f.what(),
                              res.config, t);
  }
  res.steps = step_;
  res.events = events_;
  res.writes_acked = acks_;
  res.sim_ms = now_.count();
  return res;
}

}  // namespace

ReplSimResult run_repl_sim(const ReplSimOptions& opt, std::map<std::string, uint64_t>& marks) {
  World w(opt, marks);
  return w.run();
}

const char* const* repl_sim_mark_names() { return kMarkNames; }

}  // namespace quorate::sim
