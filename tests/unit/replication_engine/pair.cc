#include "tests/unit/replication_engine/pair.h"

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <gtest/gtest.h>

namespace quorate::replication::test {

Pair::Pair(uint64_t backing_bytes, EngineOptions base) : base_(std::move(base)) {
  nodes_[0].name = "alpha";
  nodes_[1].name = "beta";
  for (Node& n : nodes_) {
    n.disk.bytes.assign(backing_bytes, 0);
    n.layout = internal_layout(backing_bytes).value();
  }
}

EngineOptions Pair::options_for(const Node& n) const {
  EngineOptions o = base_;
  if (o.resource.empty()) o.resource = "r0";
  o.self = n.name;
  o.peer = (&n == &nodes_[0]) ? nodes_[1].name : nodes_[0].name;
  // Unless a test says otherwise, syncs run at once: no rate cap and a fill
  // target that lets the controller ramp up within a few steps.
  if (o.c_plan_ahead_ds == 20 && o.c_max_rate_kib_s == 102400) o.c_max_rate_kib_s = 4ULL << 20;
  if (o.c_fill_target_sectors == 100) o.c_fill_target_sectors = 1u << 20;
  if (b_secret && &n == &nodes_[1]) o.shared_secret = *b_secret;
  o.boot_id = n.boot_id;
  return o;
}

void Pair::create_and_attach(Node& n) {
  for (auto& [off, bytes] : fresh_metadata(n.layout, kAlExtentsDefault, 0x1234 + (&n == &nodes_[0] ? 0 : 1))) {
    std::memcpy(n.disk.bytes.data() + off, bytes.data(), bytes.size());
  }
  attach(n);
}

void Pair::attach(Node& n) {
  const auto& l = n.layout;
  auto span = [&](uint64_t off, uint64_t len) {
    return std::span<const uint8_t>(n.disk.bytes.data() + off, len);
  };
  auto st = attach_from_bytes(l, span(l.sb_offset, kSuperblockBytes), span(l.al_offset, kAlRingBytes),
                              span(l.bm_offset, l.bm_bytes));
  if (!st.ok()) throw std::runtime_error(st.error().message);
  n.r = std::make_unique<Replica>(options_for(n), std::move(st).value(), ++seed_, now_);
  n.to_peer.clear();
  n.disk_queue.clear();
  drain(n);
}

void Pair::crash(Node& n) {
  n.r.reset();
  n.disk_queue.clear();
  n.to_peer.clear();
  n.held.clear();
  n.stalled = false;
  if (linked_) {
    linked_ = false;
    Node& other = (&n == &nodes_[0]) ? nodes_[1] : nodes_[0];
    if (other.r) other.r->on_transport_down(now_);
    other.to_peer.clear();
    drain(other);
  }
}

void Pair::link_up() {
  if (linked_ || !a().r || !b().r) return;
  if (!a().r->wants_connection() || !b().r->wants_connection()) return;
  linked_ = true;
  a().r->on_transport_up(now_);
  b().r->on_transport_up(now_);
  drain(a());
  drain(b());
}

void Pair::release(Node& n) {
  n.stalled = false;
  n.hold = nullptr;
  for (auto& bytes : n.held) n.to_peer.push_back(std::move(bytes));
  n.held.clear();
}

void Pair::link_down() {
  if (!linked_) return;
  linked_ = false;
  for (Node& n : nodes_) {
    n.to_peer.clear();
    n.held.clear();
    n.stalled = false;
    if (n.r) n.r->on_transport_down(now_);
    drain(n);
  }
}

void Pair::apply_io(Node& n, const out::DiskIo& io) {
  const uint64_t base = 0;  // internal meta data: one device, absolute offsets
  int err = 0;
  Bytes data;
  using Op = out::DiskIo::Op;
  if (io.op != Op::kFlush && io.offset + io.length > n.disk.bytes.size()) err = EINVAL;
  if (!err && n.disk.fail_writes && io.op != Op::kRead && io.dev == out::DiskIo::Dev::kData) err = EIO;
  if (!err && n.disk.fail_reads && io.op == Op::kRead && io.dev == out::DiskIo::Dev::kData) err = EIO;
  if (!err && n.disk.fail_md_writes && io.op == Op::kWrite && io.dev == out::DiskIo::Dev::kMeta) err = EIO;
  if (!err) {
    switch (io.op) {
      case Op::kRead:
        data = std::make_shared<const std::vector<uint8_t>>(n.disk.bytes.begin() + static_cast<std::ptrdiff_t>(base + io.offset),
                                                            n.disk.bytes.begin() + static_cast<std::ptrdiff_t>(base + io.offset + io.length));
        break;
      case Op::kWrite:
        assert(io.data && io.data->size() == io.length);
        std::memcpy(n.disk.bytes.data() + base + io.offset, io.data->data(), io.length);
        break;
      case Op::kTrim:
      case Op::kWriteZeroes:
        std::memset(n.disk.bytes.data() + base + io.offset, 0, io.length);
        break;
      case Op::kFlush:
        if (io.dev == out::DiskIo::Dev::kData) ++n.data_flushes;
        break;
    }
  }
  n.io_trace.push_back({true, io.dev, io.op, io.offset, io.length});
  n.r->on_disk_done(io.id, err, std::move(data), now_);
}

void Pair::drain(Node& n) {
  if (!n.r) return;
  for (auto& o : n.r->take_outputs()) {
    if (auto* s = std::get_if<out::Send>(&o)) {
      if (!linked_) continue;
      std::vector<uint8_t> bytes = std::move(s->head);
      if (s->payload) bytes.insert(bytes.end(), s->payload->begin(), s->payload->end());
      if (n.record) n.sent.push_back(bytes);
      if (n.stalled || (n.hold && n.hold(bytes))) {
        n.stalled = true;
        n.held.push_back(std::move(bytes));
      } else {
        n.to_peer.push_back(std::move(bytes));
      }
      if (s->sent_token) n.r->on_sent(s->sent_token, now_);  // handed to the "socket" at once
    } else if (auto* d = std::get_if<out::DiskIo>(&o)) {
      n.io_trace.push_back({false, d->dev, d->op, d->offset, d->length});
      n.disk_queue.push_back(std::move(*d));
    } else if (auto* ad = std::get_if<out::AppDone>(&o)) {
      n.done[ad->id] = std::move(*ad);
    } else if (std::holds_alternative<out::Close>(o)) {
      // A close is graceful, as TCP's: what was sent before it arrives.
      if (linked_) {
        linked_ = false;
        Node& other = (&n == &nodes_[0]) ? nodes_[1] : nodes_[0];
        auto queued = std::move(n.to_peer);
        n.to_peer.clear();
        other.to_peer.clear();
        n.held.clear();
        other.held.clear();
        n.stalled = other.stalled = false;
        if (other.r) {
          for (const auto& bytes : queued) other.r->on_receive(bytes, now_);
          other.r->on_transport_down(now_);
          drain(other);
        }
      }
    } else if (auto* e = std::get_if<out::Event>(&o)) {
      n.events.push_back(e->text);
    } else if (auto* h = std::get_if<out::Handler>(&o)) {
      n.handlers.push_back(h->name);
    } else if (auto* c = std::get_if<out::CommandDone>(&o)) {
      n.commands[c->ticket] = c->result;
    }
  }
}

uint64_t Pair::start_primary(Node& n, bool force) {
  const uint64_t ticket = next_app_id_++;
  std::optional<Status> r = n.r->primary(force, ticket, now_);
  if (r) n.commands[ticket] = *r;
  drain(n);
  return ticket;
}

std::optional<Status> Pair::result_of(Node& n, uint64_t ticket) const {
  auto it = n.commands.find(ticket);
  if (it == n.commands.end()) return std::nullopt;
  return it->second;
}

void Pair::handler_done(Node& n, const std::string& name, int exit_code) {
  n.r->on_handler_done(name, exit_code, now_);
  drain(n);
  run();
}

Status Pair::promote(Node& n, bool force) {
  const uint64_t ticket = start_primary(n, force);
  run();
  if (auto r = result_of(n, ticket)) return *r;
  return Error{"promotion still waiting (peer reply or fence-peer handler)"};
}

void Pair::run(int max_rounds) {
  for (int round = 0; round < max_rounds; ++round) {
    bool moved = false;
    for (int i = 0; i < 2; ++i) {
      Node& n = nodes_[i];
      Node& other = nodes_[1 - i];
      if (!n.r) continue;
      drain(n);
      while (linked_ && !n.to_peer.empty() && other.r) {
        auto bytes = std::move(n.to_peer.front());
        n.to_peer.pop_front();
        other.r->on_receive(bytes, now_);
        drain(other);
        moved = true;
      }
      auto held = [&n](const out::DiskIo& io) {
        return n.hold_flushes && io.op == out::DiskIo::Op::kFlush && io.dev == out::DiskIo::Dev::kData;
      };
      auto next = std::find_if_not(n.disk_queue.begin(), n.disk_queue.end(), held);
      if (!n.hold_disk && next != n.disk_queue.end()) {
        auto io = std::move(*next);
        n.disk_queue.erase(next);
        apply_io(n, io);
        drain(n);
        moved = true;
      }
    }
    if (!moved) {
      // Connection retries, as the daemon does every connect-int.
      if (!linked_ && a().r && b().r && a().r->wants_connection() && b().r->wants_connection()) {
        link_up();
        continue;
      }
      return;
    }
  }
  throw std::runtime_error("Pair::run did not settle");
}

bool Pair::complete_first(Node& n, const std::function<bool(const out::DiskIo&)>& which) {
  auto it = std::find_if(n.disk_queue.begin(), n.disk_queue.end(), which);
  if (it == n.disk_queue.end()) return false;
  out::DiskIo io = std::move(*it);
  n.disk_queue.erase(it);
  apply_io(n, io);
  drain(n);
  return true;
}

void Pair::advance(int64_t ms) {
  for (int64_t t = 0; t < ms; t += 100) {
    now_ += Millis{100};
    for (Node& n : nodes_) {
      if (!n.r) continue;
      n.r->on_tick(now_);
      drain(n);
    }
    run();
    // A deadline at or before the tick just taken would make a daemon's
    // timer fire at every turn of its loop (a Secondary spun so after each
    // sync): every scenario checks it.
    for (Node& n : nodes_) {
      if (n.r && n.r->next_deadline() <= now_) {
        ADD_FAILURE() << n.name << ": next deadline " << n.r->next_deadline().count() << " ms is not after now ("
                      << now_.count() << " ms): its timer would spin";
      }
    }
  }
}

uint64_t Pair::write(Node& n, uint64_t offset, std::vector<uint8_t> data, bool fua) {
  AppRequest r;
  r.id = next_app_id_++;
  r.op = AppRequest::Op::kWrite;
  r.offset = offset;
  r.length = static_cast<uint32_t>(data.size());
  r.fua = fua;
  r.data = std::make_shared<const std::vector<uint8_t>>(std::move(data));
  n.r->submit(std::move(r), now_);
  drain(n);
  return next_app_id_ - 1;
}

uint64_t Pair::flush(Node& n) {
  AppRequest r;
  r.id = next_app_id_++;
  r.op = AppRequest::Op::kFlush;
  n.r->submit(std::move(r), now_);
  drain(n);
  return next_app_id_ - 1;
}

uint64_t Pair::read(Node& n, uint64_t offset, uint32_t length) {
  AppRequest r;
  r.id = next_app_id_++;
  r.op = AppRequest::Op::kRead;
  r.offset = offset;
  r.length = length;
  n.r->submit(std::move(r), now_);
  drain(n);
  return next_app_id_ - 1;
}

std::vector<uint8_t> Pair::data_of(const Node& n) const {
  return std::vector<uint8_t>(n.disk.bytes.begin(),
                              n.disk.bytes.begin() + static_cast<std::ptrdiff_t>(n.layout.data_bytes));
}

}  // namespace quorate::replication::test
