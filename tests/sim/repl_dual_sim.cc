// The two-Primaries simulator: see repl_dual_sim.h.
#include "tests/sim/repl_dual_sim.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>
#include <memory>
#include <random>
#include <stdexcept>
#include <vector>

#include "replication/engine.h"

namespace quorate::sim {
namespace {

using namespace quorate::replication;  // NOLINT(google-build-using-namespace)

constexpr uint64_t kSector = 512;
constexpr uint64_t kNever = std::numeric_limits<uint64_t>::max();

const char* const kMarkNames[] = {"conflict_superseded", "conflict_retried", "link_break_in_flight",
                                  "split_brain_found", nullptr};

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One application request and its life on the event clock.
struct Op {
  int node = 0;
  AppRequest::Op op = AppRequest::Op::kWrite;
  uint64_t offset = 0;
  uint32_t length = 0;
  Bytes data;  // kWrite
  uint64_t submitted = 0;
  uint64_t completed = kNever;
};

struct DNode {
  std::string name;
  MdLayout layout;
  std::vector<uint8_t> disk;
  std::unique_ptr<Replica> r;
  std::vector<out::DiskIo> io;    // issued, not complete: any may complete next
  std::deque<uint8_t> to_peer;    // sent on the live connection, not delivered yet
  size_t outstanding = 0;         // its requests not yet completed
};

class World {
 public:
  World(const ReplSimOptions& opt, std::map<std::string, uint64_t>& marks)
      : opt_(opt), marks_(marks), rng_(opt.seed * 0x9E3779B97F4A7C15ULL + 17) {}
  ReplSimResult run();

 private:
  uint64_t rnd(uint64_t lo, uint64_t hi) { return std::uniform_int_distribution<uint64_t>(lo, hi)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  [[noreturn]] void fail(const std::string& what) { throw Failure(what); }
  void trace(const std::string& line) {
    if (opt_.verbose) std::printf("%8lld ms  %s\n", static_cast<long long>(now_.count()), line.c_str());
    trace_.push_back(line);
    if (trace_.size() > 40) trace_.pop_front();
  }
  DNode& other(const DNode& n) { return &n == &nodes_[0] ? nodes_[1] : nodes_[0]; }

  void attach(DNode& n);
  void drain(DNode& n);
  void link_up();
  void link_break(const std::string& why);
  void submit(int i);
  bool step(bool submitting);  // one random event; false when nothing could happen
  void settle(const char* what);
  void check_settled();

  ReplSimOptions opt_;
  std::map<std::string, uint64_t>& marks_;
  std::mt19937_64 rng_;
  std::deque<std::string> trace_;
  DNode nodes_[2];
  EngineOptions base_;
  Millis now_{1000};
  uint64_t clock_ = 0;  // the event clock: one tick per step
  bool linked_ = false;
  bool broken_ = false;  // the link broke while both were Primary
  std::map<uint64_t, Op> ops_;  // by app id
  uint64_t next_id_ = 1;
  uint64_t hot_bytes_ = 0;
  size_t qd_ = 1;
  uint64_t acked_ = 0;
};

void World::attach(DNode& n) {
  const auto& l = n.layout;
  auto span = [&](uint64_t off, uint64_t len) { return std::span<const uint8_t>(n.disk.data() + off, len); };
  auto a = attach_from_bytes(l, span(l.sb_offset, kSuperblockBytes), span(l.al_offset, kAlRingBytes),
                             span(l.bm_offset, l.bm_bytes));
  if (!a.ok()) fail(fmt::format("attach of {} failed: {}", n.name, a.error().message));
  EngineOptions o = base_;
  o.self = n.name;
  o.peer = other(n).name;
  n.r = std::make_unique<Replica>(o, std::move(a).value(), rng_(), now_);
  drain(n);
  if (Status s = n.r->connect(false, now_); !s.ok()) fail(n.name + ": connect: " + s.error().message);
  drain(n);
}

void World::drain(DNode& n) {
  for (auto& o : n.r->take_outputs()) {
    if (auto* s = std::get_if<out::Send>(&o)) {
      if (!linked_) continue;
      n.to_peer.insert(n.to_peer.end(), s->head.begin(), s->head.end());
      if (s->payload) n.to_peer.insert(n.to_peer.end(), s->payload->begin(), s->payload->end());
      if (s->sent_token) n.r->on_sent(s->sent_token, now_);
    } else if (auto* d = std::get_if<out::DiskIo>(&o)) {
      n.io.push_back(std::move(*d));
    } else if (auto* ad = std::get_if<out::AppDone>(&o)) {
      auto it = ops_.find(ad->id);
      if (it == ops_.end()) fail(fmt::format("{}: completion of unknown request {}", n.name, ad->id));
      if (it->second.completed != kNever) fail(fmt::format("{}: request {} completed twice", n.name, ad->id));
      if (ad->error != 0) fail(fmt::format("{}: request {} failed with errno {}", n.name, ad->id, ad->error));
      it->second.completed = clock_;
      --n.outstanding;
      ++acked_;
    } else if (std::holds_alternative<out::Close>(o)) {
      if (linked_) {
        // Graceful, as TCP's: what was sent before the close arrives.
        DNode& to = other(n);
        std::vector<uint8_t> rest(n.to_peer.begin(), n.to_peer.end());
        n.to_peer.clear();
        if (!rest.empty()) {
          to.r->on_receive(rest, now_);
          drain(to);
        }
        link_break("closed by " + n.name);
      }
    } else if (auto* e = std::get_if<out::Event>(&o)) {
      trace(n.name + ": " + e->text);
      if (e->text.find("which is superseded") != std::string::npos) ++marks_["conflict_superseded"];
      if (e->text.find("the peer writes again") != std::string::npos) ++marks_["conflict_retried"];
    } else if (auto* h = std::get_if<out::Handler>(&o)) {
      trace(n.name + ": handler " + h->name);
      n.r->on_handler_done(h->name, 0, now_);
    }
  }
}

void World::link_up() {
  if (linked_ || !nodes_[0].r->wants_connection() || !nodes_[1].r->wants_connection()) return;
  linked_ = true;
  trace("link up");
  for (DNode& n : nodes_) {
    n.to_peer.clear();
    n.r->on_transport_up(now_);
  }
  for (DNode& n : nodes_) drain(n);
}

void World::link_break(const std::string& why) {
  if (!linked_) return;
  linked_ = false;
  trace("link broken: " + why);
  for (DNode& n : nodes_) n.to_peer.clear();
  for (DNode& n : nodes_) {
    n.r->on_transport_down(now_);
    drain(n);
  }
}

void World::submit(int i) {
  DNode& n = nodes_[i];
  Op op;
  op.node = i;
  const uint64_t k = rnd(0, 99);
  op.op = k < 80 ? AppRequest::Op::kWrite
          : k < 85 ? AppRequest::Op::kWriteZeroes
          : k < 90 ? AppRequest::Op::kTrim
                   : AppRequest::Op::kFlush;
  if (op.op != AppRequest::Op::kFlush) {
    const uint64_t sectors = hot_bytes_ / kSector;
    const uint64_t first = rnd(0, sectors - 1);
    const uint64_t count = std::min<uint64_t>(chance(0.3) ? rnd(8, 64) : rnd(1, 8), sectors - first);
    op.offset = first * kSector;
    op.length = static_cast<uint32_t>(count * kSector);
  }
  if (op.op == AppRequest::Op::kWrite) {
    auto bytes = std::make_shared<std::vector<uint8_t>>(op.length);
    for (auto& b : *bytes) b = static_cast<uint8_t>(rng_());
    op.data = std::move(bytes);
  }
  op.submitted = clock_;
  const uint64_t id = next_id_++;
  AppRequest r;
  r.id = id;
  r.op = op.op;
  r.offset = op.offset;
  r.length = op.length;
  r.data = op.data;
  r.fua = op.op == AppRequest::Op::kWrite && chance(0.1);
  trace(fmt::format("{}: submit #{} op {} {}+{}", n.name, id, static_cast<int>(op.op), op.offset, op.length));
  ops_.emplace(id, std::move(op));
  ++n.outstanding;
  n.r->submit(std::move(r), now_);
  drain(n);
}

bool World::step(bool submitting) {
  ++clock_;
  // What can happen now, weighted.
  struct Choice {
    int kind;  // 0 submit, 1 deliver, 2 disk, 3 time
    int node;
    uint64_t weight;
  };
  std::vector<Choice> choices;
  for (int i = 0; i < 2; ++i) {
    if (submitting && nodes_[i].outstanding < qd_) choices.push_back({0, i, 3});
    if (!nodes_[i].to_peer.empty()) choices.push_back({1, i, 6});
    if (!nodes_[i].io.empty()) choices.push_back({2, i, 4 + nodes_[i].io.size()});
  }
  const bool busy = !choices.empty();
  choices.push_back({3, 0, busy ? 1u : 10u});
  uint64_t total = 0;
  for (const auto& c : choices) total += c.weight;
  uint64_t pick = rnd(0, total - 1);
  const Choice* c = &choices.back();
  for (const auto& x : choices) {
    if (pick < x.weight) {
      c = &x;
      break;
    }
    pick -= x.weight;
  }
  DNode& n = nodes_[c->node];
  switch (c->kind) {
    case 0: submit(c->node); break;
    case 1: {
      // A piece of what is on the wire: whole when short, otherwise cut anywhere.
      const size_t len = n.to_peer.size() <= 64 || chance(0.5) ? n.to_peer.size() : rnd(1, n.to_peer.size());
      std::vector<uint8_t> bytes(n.to_peer.begin(), n.to_peer.begin() + static_cast<std::ptrdiff_t>(len));
      n.to_peer.erase(n.to_peer.begin(), n.to_peer.begin() + static_cast<std::ptrdiff_t>(len));
      DNode& to = other(n);
      to.r->on_receive(bytes, now_);
      drain(to);
      break;
    }
    case 2: {
      const size_t k = rnd(0, n.io.size() - 1);
      out::DiskIo io = std::move(n.io[k]);
      n.io.erase(n.io.begin() + static_cast<std::ptrdiff_t>(k));
      Bytes data;
      using O = out::DiskIo::Op;
      if (io.op != O::kFlush && io.offset + io.length > n.disk.size()) {
        fail(fmt::format("{}: I/O beyond the disk: {}+{}", n.name, io.offset, io.length));
      }
      switch (io.op) {
        case O::kRead:
          data = std::make_shared<const std::vector<uint8_t>>(
              n.disk.begin() + static_cast<std::ptrdiff_t>(io.offset),
              n.disk.begin() + static_cast<std::ptrdiff_t>(io.offset + io.length));
          break;
        case O::kWrite: std::memcpy(n.disk.data() + io.offset, io.data->data(), io.length); break;
        case O::kTrim:
        case O::kWriteZeroes: std::memset(n.disk.data() + io.offset, 0, io.length); break;
        case O::kFlush: break;
      }
      n.r->on_disk_done(io.id, 0, std::move(data), now_);
      drain(n);
      break;
    }
    default: {
      now_ += Millis{static_cast<int64_t>(rnd(1, 4))};
      for (DNode& x : nodes_) {
        x.r->on_tick(now_);
        drain(x);
      }
      if (!linked_) link_up();
      break;
    }
  }
  return busy;
}

void World::settle(const char* what) {
  // Until nothing is on the wire, on a disk or outstanding, then a second of
  // ticks (barriers, pings); bounded.
  for (int i = 0; i < 2000000; ++i) {
    const bool idle = nodes_[0].to_peer.empty() && nodes_[1].to_peer.empty() && nodes_[0].io.empty() &&
                      nodes_[1].io.empty() && nodes_[0].outstanding == 0 && nodes_[1].outstanding == 0;
    if (idle) {
      for (int t = 0; t < 10; ++t) {
        now_ += Millis{100};
        for (DNode& x : nodes_) {
          x.r->on_tick(now_);
          drain(x);
        }
        if (!linked_) link_up();
        while (step(false)) {
        }
      }
      return;
    }
    step(false);
  }
  fail(fmt::format("{}: did not settle ({} and {} requests outstanding, {}/{} disk I/Os, {}/{} bytes on the wire)",
                   what, nodes_[0].outstanding, nodes_[1].outstanding, nodes_[0].io.size(), nodes_[1].io.size(),
                   nodes_[0].to_peer.size(), nodes_[1].to_peer.size()));
}

void World::check_settled() {
  for (const auto& [id, op] : ops_) {
    if (op.completed == kNever) fail(fmt::format("request #{} of {} never completed", id, nodes_[op.node].name));
  }
  const ReplicaStatus a = nodes_[0].r->status(now_), b = nodes_[1].r->status(now_);
  if (broken_) {
    // Both wrote as Primary on their own: the generations say so.
    if (a.cstate != ConnState::kStandAlone || b.cstate != ConnState::kStandAlone || a.split_brain.empty() ||
        b.split_brain.empty()) {
      fail(fmt::format("after the link broke under two Primaries: {} {} '{}', {} {} '{}' (a split brain must be found)",
                       nodes_[0].name, name(a.cstate), a.split_brain, nodes_[1].name, name(b.cstate), b.split_brain));
    }
    ++marks_["split_brain_found"];
    return;
  }
  if (a.cstate != ConnState::kConnected || b.cstate != ConnState::kConnected) {
    fail(fmt::format("not Connected at the end: {} / {}", name(a.cstate), name(b.cstate)));
  }
  if (a.oos_kib || b.oos_kib) fail(fmt::format("out of sync at the end: {} / {} KiB", a.oos_kib, b.oos_kib));
  const uint64_t data_bytes = nodes_[0].layout.data_bytes;
  if (!std::equal(nodes_[0].disk.begin(), nodes_[0].disk.begin() + static_cast<std::ptrdiff_t>(data_bytes),
                  nodes_[1].disk.begin())) {
    uint64_t s = 0;
    while (std::memcmp(nodes_[0].disk.data() + s * kSector, nodes_[1].disk.data() + s * kSector, kSector) == 0) ++s;
    fail(fmt::format("the data areas differ, first at sector {} (byte {})", s, s * kSector));
  }
  // Every sector: a value a register could hold.
  const std::vector<uint8_t> zero(kSector, 0);
  for (uint64_t s = 0; s < hot_bytes_ / kSector; ++s) {
    const uint64_t off = s * kSector;
    const uint8_t* have = nodes_[0].disk.data() + off;
    std::vector<const Op*> cover;
    uint64_t latest_start = 0;
    for (const auto& [id, op] : ops_) {
      if (op.op == AppRequest::Op::kFlush || off < op.offset || off >= op.offset + op.length) continue;
      cover.push_back(&op);
      latest_start = std::max(latest_start, op.submitted);
    }
    if (cover.empty()) {
      if (std::memcmp(have, zero.data(), kSector) != 0) fail(fmt::format("sector {} changed without a write", s));
      continue;
    }
    bool ok = false;
    for (const Op* op : cover) {
      // Admissible: no other write of this sector started after it completed.
      bool later = false;
      for (const Op* o2 : cover) later = later || (o2 != op && o2->submitted > op->completed);
      if (later) continue;
      const uint8_t* want = op->op == AppRequest::Op::kWrite ? op->data->data() + (off - op->offset) : zero.data();
      if (std::memcmp(have, want, kSector) == 0) {
        ok = true;
        break;
      }
    }
    if (!ok) fail(fmt::format("sector {} holds a value no admissible write of it left ({} writes cover it)", s,
                              cover.size()));
  }
}

ReplSimResult World::run() {
  ReplSimResult res;
  base_.resource = "r0";
  base_.protocol = Protocol::kC;  // allow-two-primaries requires it
  base_.allow_two_primaries = true;
  base_.max_epoch_size = static_cast<uint32_t>(rnd(2, 64));
  base_.disk_flushes = chance(0.7);
  base_.al_extents = static_cast<uint32_t>(rnd(7, 20));
  base_.c_plan_ahead_ds = 0;
  base_.resync_rate_kib_s = 1 << 20;
  base_.connect_int_s = 1;
  hot_bytes_ = rnd(4, 128) * 4096;
  qd_ = rnd(1, 8);
  const bool breaks = chance(0.2);
  const uint64_t ops_wanted = rnd(50, 400);
  res.config = fmt::format("two Primaries, protocol C{}, hot region {} KiB, queue depth {}, {} requests{}",
                           base_.disk_flushes ? "" : " wo:d", hot_bytes_ / 1024, qd_, ops_wanted,
                           breaks ? ", a link break" : "");
  const uint64_t backing = 4ULL << 20;
  const char* names[2] = {"alpha", "beta"};
  for (int i = 0; i < 2; ++i) {
    nodes_[i].name = names[i];
    nodes_[i].layout = internal_layout(backing).value();
    nodes_[i].disk.assign(backing, 0);
    for (auto& [off, bytes] : fresh_metadata(nodes_[i].layout, kAlExtentsDefault, 0x1000 + i)) {
      std::memcpy(nodes_[i].disk.data() + off, bytes.data(), bytes.size());
    }
  }
  try {
    trace("seed config: " + res.config);
    for (DNode& n : nodes_) attach(n);
    link_up();
    settle("handshake");
    // The initial sync from a forced Primary, then the second Primary.
    DNode& first = nodes_[rnd(0, 1)];
    if (auto r = first.r->primary(true, 1, now_); !r || !r->ok()) fail(first.name + ": primary --force refused");
    drain(first);
    settle("initial sync");
    DNode& second = other(first);
    if (auto r = second.r->primary(false, 2, now_); !r || !r->ok()) {
      fail(second.name + ": second Primary refused: " + (r ? r->error().message : std::string("waiting")));
    }
    drain(second);
    for (DNode& n : nodes_) {
      const ReplicaStatus s = n.r->status(now_);
      if (s.role != Role::kPrimary || s.cstate != ConnState::kConnected || s.disk != DiskState::kUpToDate) {
        fail(fmt::format("{} not a connected UpToDate Primary before the workload: {} {} {}", n.name, name(s.role),
                         name(s.cstate), name(s.disk)));
      }
    }
    const uint64_t break_at = breaks ? rnd(1, ops_wanted) : kNever;
    while (ops_.size() < ops_wanted) {
      step(true);
      if (ops_.size() >= break_at && linked_ && !broken_) {
        if (nodes_[0].outstanding + nodes_[1].outstanding > 0) ++marks_["link_break_in_flight"];
        broken_ = true;
        link_break("the sim cuts it");
      }
    }
    settle("the end");
    check_settled();
  } catch (const Failure& f) {
    res.ok = false;
    std::string t;
    for (const auto& l : trace_) t += "    " + l + "\n";
    res.failure = fmt::format("event {} at {} ms: {}\n  config: {}\n  last events:\n{}", clock_, now_.count(), f.what(),
                              res.config, t);
  }
  res.steps = clock_;
  res.events = clock_;
  res.writes_acked = acked_;
  res.sim_ms = now_.count();
  return res;
}

}  // namespace

ReplSimResult run_dual_primary_sim(const ReplSimOptions& opt, std::map<std::string, uint64_t>& marks) {
  World w(opt, marks);
  return w.run();
}

const char* const* dual_sim_mark_names() { return kMarkNames; }

}  // namespace quorate::sim
