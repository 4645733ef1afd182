#include "daemon/replica_volume.h"

#include <fcntl.h>
#include <linux/falloc.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/flush_policy.h"
#include "daemon/handler_runner.h"
#include "daemon/loop_export.h"
#include "replication/direct_write.h"
#include "replication/engine.h"
#include "replication/fuse_export.h"
#include "replication/nbd_server.h"
#include "replication/volume_files.h"

namespace quorate::daemon {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;
using replication::Millis;
namespace rep = quorate::replication;
namespace out = quorate::replication::out;

namespace {

// Small buffered writes run on the event loop (see disk()); larger ones go to
// the disk threads, most of them direct.
constexpr uint32_t kInlineWriteBytes = rep::DirectWriter::kBufferedUpTo;

// SO_RCVLOWAT on TCP is safe from Linux 5.7 on: before it, a receive buffer
// full of small-payload skbs could stop the stream short of the mark with
// nobody woken ("tcp: fix SO_RCVLOWAT hangs with fat skbs").
bool kernel_rcvlowat_safe() {
  static const bool safe = [] {
    utsname u{};
    if (::uname(&u) != 0) return false;
    int major = 0, minor = 0;
    if (std::sscanf(u.release, "%d.%d", &major, &minor) != 2) return false;
    return major > 5 || (major == 5 && minor >= 7);
  }();
  return safe;
}

bool is_data_flush(const out::DiskIo& io) {
  return io.op == out::DiskIo::Op::kFlush && io.dev == out::DiskIo::Dev::kData;
}

Millis steady_ms() {
  return std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now().time_since_epoch());
}

int full_pread(int fd, uint8_t* buf, size_t len, uint64_t off) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pread(fd, buf + done, len - done, static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    if (n == 0) {
      std::memset(buf + done, 0, len - done);
      return 0;
    }
    done += static_cast<size_t>(n);
  }
  return 0;
}

int full_pwrite(int fd, const uint8_t* buf, size_t len, uint64_t off) {
  size_t done = 0;
  while (done < len) {
    const ssize_t n = ::pwrite(fd, buf + done, len - done, static_cast<off_t>(off + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// A write durable for its own range when it returns (RWF_DSYNC: the kernel
// writes back and flushes that range only). fdatasync would also write back
// every other dirty page of the file — with internal meta data, all the data
// the volume holds in the page cache (seconds after a large sync). Kernels or
// file systems without RWF_DSYNC get pwrite + fdatasync.
int full_pwrite_durable(int fd, const uint8_t* buf, size_t len, uint64_t off) {
  size_t done = 0;
  while (done < len) {
    iovec iov{const_cast<uint8_t*>(buf + done), len - done};
    const ssize_t n = ::pwritev2(fd, &iov, 1, static_cast<off_t>(off + done), RWF_DSYNC);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EOPNOTSUPP || errno == ENOSYS || (errno == EINVAL && done == 0))) {
      if (int e = full_pwrite(fd, buf + done, len - done, off + done)) return e;
      return ::fdatasync(fd) == 0 ? 0 : errno;
    }
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

int zero_range(int fd, uint64_t off, uint32_t len, bool punch) {
  const int mode = punch ? (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE) : FALLOC_FL_ZERO_RANGE;
  if (::fallocate(fd, mode, static_cast<off_t>(off), len) == 0) return 0;
  std::vector<uint8_t> zeroes(std::min<uint32_t>(len, 1u << 20), 0);
  for (uint64_t done = 0; done < len;) {
    const size_t n = std::min<uint64_t>(zeroes.size(), len - done);
    if (int e = full_pwrite(fd, zeroes.data(), n, off + done)) return e;
    done += n;
  }
  return 0;
}

}  // namespace

class ReplicaVolume::Impl {
 public:
  Impl(asio::io_context& io, spdlog::logger& log) : io_(io), log_(log), timer_(io), acceptor_(io), dial_timer_(io) {}

  asio::io_context& io_;
  spdlog::logger& log_;
  rep::ResourceConfig res_;
  rep::HostConfig self_, peer_;
  ReplicaVolumeOptions opt_;
  std::unique_ptr<rep::Replica> engine_;
  int data_fd_ = -1;
  int meta_fd_ = -1;
  // Large aligned data writes bypass the page cache (direct_write.h).
  std::unique_ptr<rep::DirectWriter> direct_;
  uint64_t meta_base_ = 0;  // internal: 0 (offsets are absolute on the one device)
  std::unique_ptr<asio::thread_pool> pool_;
  // Data-device flushes: inline or pooled (FlushPolicy). Pool threads report
  // their flush times through a post, so the policy is touched on this thread only.
  FlushPolicy flush_policy_;
  bool direct_off_logged_ = false;
  // Completions of flushes done inline, fed to the engine by drive() before
  // it returns (a post would cost a turn of the event loop).
  // Inline *writes* still post theirs, as they always did: fed back within
  // drive() too they gained ~5 µs at QD1 (inside the run-to-run noise) for an
  // event order the simulator does not model.
  struct InlineDone {
    uint64_t id;
    int err;
  };
  std::vector<InlineDone> inline_done_;
  bool sends_held_ = false;  // drive_outputs held messages for an inline flush; drive() sends them
  asio::steady_timer timer_;
  Millis armed_{Millis::max()};
  ReplicaVolume* outer_ = nullptr;

  // Peer link.
  tcp::acceptor acceptor_;
  asio::steady_timer dial_timer_;
  std::shared_ptr<tcp::socket> sock_;
  uint64_t conn_gen_ = 0;
  std::deque<out::Send> sendq_;
  bool writing_ = false;
  bool closing_ = false;
  std::vector<uint8_t> rxbuf_ = std::vector<uint8_t>(256 * 1024);
  static constexpr size_t kInPlaceMinBytes = 16 * 1024;  // smaller rests go through rxbuf_
  // While a payload arrives the socket wakes this thread only once this much
  // of its rest (or all of it) is there (SO_RCVLOWAT): a 1 MiB payload comes
  // as 64 KiB loopback segments, each a wake-up — on a VM an IPI the sender
  // pays. The kernel still wakes the reader when its receive buffer is
  // nearly full, so a small buffer cannot stall the stream. The cost: the
  // engine sees no progress within those bytes, which matters only where
  // 512 KiB take longer than `timeout` to arrive (6 s by default: a link
  // under ~90 KB/s).
  static constexpr size_t kPayloadLowatBytes = 512 * 1024;
  int rcvlowat_ = 1;  // the peer socket's SO_RCVLOWAT (1: the default)
  static constexpr size_t kMaxGather = 64;                 // buffers per gathered write (IOV_MAX is 1024)
  static constexpr size_t kMaxGatherBytes = 4u << 20;
  bool dialing_ = false;
  // When the last connection (either side's) was set up: the next dial waits
  // until connect-int after it.
  std::optional<std::chrono::steady_clock::time_point> last_link_at_;

  // Users.
  uint64_t next_app_ = 1;
  std::map<uint64_t, std::function<void(int, rep::Bytes)>> app_;

  // Exports.
  rep::ExportRegistry registry_;
  std::unique_ptr<rep::NbdServer> nbd_;
  std::unique_ptr<rep::FuseExport> fuse_;
  std::string nbd_path_;
  // --block-devices: the loop device over the FUSE file and its links; set
  // up by loop_thread_, let go by detach_thread_ (blocking ioctls whose I/O
  // this io thread may have to answer).
  std::unique_ptr<LoopExport> loop_;
  std::thread loop_thread_, detach_thread_;
  std::shared_ptr<std::atomic<bool>> loop_setup_done_ = std::make_shared<std::atomic<bool>>(false);
  std::function<void(Status)> down_after_setup_;  // a `down` that came during the set-up
  bool down_after_setup_in_use_refuses_ = true;   // ... and how it treats a volume in use
  bool detaching_ = false;                          // detach_thread_ runs for a `down`
  // `down` calls that came while one was under way: answered with its result.
  std::vector<std::function<void(Status)>> more_downs_;
  // DRBD's refusal (demotion, down) while the volume is in use: the block
  // device mounted or held, the FUSE file open by another process (a loop
  // device set up on it by hand), or NBD clients connected. Empty when not.
  std::string held_open(bool users = true) const {
    constexpr std::string_view kHeld = "State change failed: (-12) Device is held open by someone";
    if (loop_ && loop_->busy()) {
      return fmt::format("{} ({} is mounted or in use)", kHeld,
                         loop_->links().empty() ? loop_->path() : loop_->links()[0]);
    }
    if (!users) return {};
    if (const uint32_t n = fuse_ ? fuse_->opened_by_others() : 0; n > 0) {
      return fmt::format("{} ({} is open {} time{}: a loop device on it, or a program; `losetup -j {}` lists "
                         "loop devices)",
                         kHeld, fuse_->file_path(), n, n == 1 ? "" : "s", fuse_->file_path());
    }
    if (const size_t n = nbd_ ? nbd_->open_connections() : 0; n > 0) {
      return fmt::format("{} ({} NBD client{} connected to {})", kHeld, n, n == 1 ? "" : "s", nbd_path_);
    }
    return {};
  }
  // Answers a finished `down` (and those that came meanwhile).
  void answer_down(const std::function<void(Status)>& done, const Status& s) {
    auto more = std::exchange(more_downs_, {});
    done(s);
    for (auto& d : more) d(s);
  }

  // Admin commands waiting for the engine (promotion), by ticket.
  uint64_t next_ticket_ = 1;
  std::map<uint64_t, std::function<void(Status)>> commands_;

  // Shutdown.
  std::function<void(Status)> down_done_;
  bool destroyed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  bool dialer() const { return self_.name < peer_.name; }

  void drive() {
    if (!engine_) return;
    while (true) {
      drive_outputs();
      if (inline_done_.empty() || !engine_) break;
      const auto done = std::exchange(inline_done_, {});
      for (const InlineDone& d : done) engine_->on_disk_done(d.id, d.err, nullptr, steady_ms());
    }
    if (!engine_) return;
    if (sends_held_) {
      sends_held_ = false;
      pump_send();
    }
    if (engine_->wants_connection() && !sock_) want_link();
    if (down_done_ && engine_->down_complete()) {
      auto done = std::move(down_done_);
      down_done_ = nullptr;
      answer_down(done, Status::Ok());
    }
    arm_timer();
  }

  void drive_outputs() {
    auto outputs = engine_->take_outputs();
    // Messages go out at once (a Primary's Data then travels while its own
    // disk write runs; deferring every drive's messages to its end cost 5-8
    // µs at QD1), except when a data flush among these outputs is about to
    // run inline: then they wait the few µs for it and leave with what its
    // completion adds — a Secondary's WriteAck and EpochFlushed in one
    // segment, one wake-up of the Primary instead of two (QD1 on tmpfs:
    // ~3 % more IOPS, write p50 ~5 µs lower).
    const bool flush_runs_inline =
        flush_policy_.run_inline() && std::any_of(outputs.begin(), outputs.end(), [](const rep::Output& o) {
          const auto* d = std::get_if<out::DiskIo>(&o);
          return d && is_data_flush(*d);
        });
    for (auto& o : outputs) {
      if (auto* s = std::get_if<out::Send>(&o)) {
        if (sock_ && !closing_) {
          sendq_.push_back(std::move(*s));
          if (flush_runs_inline) {
            sends_held_ = true;
          } else {
            pump_send();
          }
        }
      } else if (auto* d = std::get_if<out::DiskIo>(&o)) {
        disk(std::move(*d));
      } else if (auto* a = std::get_if<out::AppDone>(&o)) {
        auto it = app_.find(a->id);
        if (it != app_.end()) {
          auto cb = std::move(it->second);
          app_.erase(it);
          cb(a->error, std::move(a->data));
        }
      } else if (auto* c = std::get_if<out::Close>(&o)) {
        close_link(c->reason);
      } else if (auto* e = std::get_if<out::Event>(&o)) {
        switch (e->level) {
          case out::Event::Level::kInfo: log_.info("[REPL  ] {}", e->text); break;
          case out::Event::Level::kWarning: log_.warn("[REPL  ] {}", e->text); break;
          case out::Event::Level::kError: log_.error("[REPL  ] {}", e->text); break;
        }
      } else if (auto* h = std::get_if<out::Handler>(&o)) {
        run_handler(h->name);
      } else if (auto* cd = std::get_if<out::CommandDone>(&o)) {
        auto it = commands_.find(cd->ticket);
        if (it != commands_.end()) {
          auto cb = std::move(it->second);
          commands_.erase(it);
          cb(cd->result.ok() ? cd->result
                             : Status(Error{fmt::format("{}: {}", res_.name, cd->result.error().message)}));
        }
      }
    }
  }

  void arm_timer() {
    const Millis next = engine_ ? std::min(engine_->next_deadline(), steady_ms() + Millis{1000}) : Millis::max();
    // Re-arm only for an earlier deadline: most inputs move the engine's
    // deadline later (a received frame restarts ping-int), and an early
    // wake-up costs one harmless tick, while re-arming per input cost a
    // timerfd_settime per frame (a Secondary's CPU at 100% under load).
    if (armed_ != Millis::max() && next >= armed_) return;
    armed_ = next;
    timer_.expires_at(std::chrono::steady_clock::time_point(next));
    timer_.async_wait([this, alive = alive_](const error_code& ec) {
      if (ec || !*alive) return;
      armed_ = Millis::max();
      if (engine_) engine_->on_tick(steady_ms());
      drive();
    });
  }

  void run_handler(const std::string& name) {
    auto it = res_.handlers.find(name);
    if (it == res_.handlers.end()) {
      log_.info("[REPL  ] {}: {} (no handler configured)", res_.name, name);
      // Without a fence-peer handler the peer cannot be outdated: the engine
      // hears "broken" (-1) and keeps the promotion / frozen I/O refused.
      asio::post(io_, [this, alive = alive_, name] {
        if (!*alive || !engine_) return;
        engine_->on_handler_done(name, -1, steady_ms());
        drive();
      });
      return;
    }
    log_.warn("[REPL  ] {}: running {} handler: {}", res_.name, name, it->second);
    const HandlerEnv env = {{"DRBD_RESOURCE", res_.name},
                            {"DRBD_PEER", peer_.name},
                            {"DRBD_MINOR", std::to_string(self_.minor)},
                            {"DRBD_VOLUME", std::to_string(self_.volume)},
                            {"DRBD_PEER_ADDRESS", peer_.address}};
    run_handler_async(io_, it->second, env, [this, alive = alive_, name](int code) {
      if (!*alive || !engine_) return;
      log_.info("[REPL  ] {}: {} handler exited with {}", res_.name, name, code);
      engine_->on_handler_done(name, code, steady_ms());
      drive();
    });
  }

  // ---- disk --------------------------------------------------------------

  void disk(out::DiskIo io) {
    const int fd = io.dev == out::DiskIo::Dev::kMeta ? meta_fd_ : data_fd_;
    const uint64_t base = io.dev == out::DiskIo::Dev::kMeta ? meta_base_ : 0;
    // A small buffered write only copies into the page cache: do it here and
    // save two thread switches (the QD1 latency path); so is a data flush
    // while the device has proven to flush in µs (FlushPolicy). Anything else
    // that may wait for the disk (reads, slow flushes, FUA, meta data, large
    // writes) goes to the pool. An inline flush's completion reaches the
    // engine from drive(), before it returns; an inline write's is posted.
    if (io.op == out::DiskIo::Op::kWrite && !io.fua && io.dev == out::DiskIo::Dev::kData &&
        io.length <= kInlineWriteBytes) {
      const int err = full_pwrite(fd, io.data->data(), io.length, base + io.offset);
      asio::post(io_, [this, alive = alive_, id = io.id, err] {
        if (!*alive || !engine_) return;
        engine_->on_disk_done(id, err, nullptr, steady_ms());
        drive();
      });
      return;
    }
    const bool data_flush = is_data_flush(io);
    if (data_flush && flush_policy_.run_inline()) {
      const auto t0 = std::chrono::steady_clock::now();
      const int err = ::fdatasync(fd) == 0 ? 0 : errno;
      note_flush_time(std::chrono::steady_clock::now() - t0);
      inline_done_.push_back({io.id, err});
      return;
    }
    asio::post(*pool_, [this, alive = alive_, io = std::move(io), fd, base, data_flush]() mutable {
      int err = 0;
      rep::Bytes data;
      std::chrono::nanoseconds flush_took{0};
      using Op = out::DiskIo::Op;
      switch (io.op) {
        case Op::kRead: {
          auto buf = std::make_shared<std::vector<uint8_t>>(io.length);
          err = full_pread(fd, buf->data(), io.length, base + io.offset);
          data = std::move(buf);
          break;
        }
        case Op::kWrite:
          // Meta data and FUA: durable for this range (the engine flushes the
          // data device first where a meta-data block vouches for data).
          if (io.fua || io.dev == out::DiskIo::Dev::kMeta) {
            err = full_pwrite_durable(fd, io.data->data(), io.length, base + io.offset);
          } else if (auto direct = direct_->write(io.data->data(), io.length, base + io.offset)) {
            err = *direct;
          } else {
            err = full_pwrite(fd, io.data->data(), io.length, base + io.offset);
          }
          break;
        case Op::kFlush: {
          const auto t0 = std::chrono::steady_clock::now();
          if (::fdatasync(fd) != 0) err = errno;
          flush_took = std::chrono::steady_clock::now() - t0;
          break;
        }
        case Op::kTrim:
        case Op::kWriteZeroes:
          err = zero_range(fd, base + io.offset, io.length, io.op == Op::kTrim);
          if (!err && io.fua && ::fdatasync(fd) != 0) err = errno;
          break;
      }
      asio::post(io_, [this, alive, id = io.id, err, data = std::move(data), data_flush, flush_took]() mutable {
        if (!*alive || !engine_) return;
        if (!direct_off_logged_ && !direct_->enabled()) {  // a direct write just turned it off
          direct_off_logged_ = true;
          log_.warn("[REPL  ] {}: large data writes go through the page cache from now on: {}", res_.name,
                    direct_->disabled_reason());
        }
        if (data_flush && !err) note_flush_time(flush_took);
        engine_->on_disk_done(id, err, std::move(data), steady_ms());
        drive();
      });
    });
  }

  void note_flush_time(std::chrono::nanoseconds took) {
    if (!flush_policy_.took(took)) return;
    if (flush_policy_.run_inline()) {
      log_.info("[REPL  ] {}: data flushes now run on the volume's thread (the last {} took under {} µs each)",
                res_.name, FlushPolicy::kFastRun, FlushPolicy::kFastFlush.count());
    } else {
      log_.info("[REPL  ] {}: data flushes go back to the disk threads (the last took {} µs, {} µs on average)",
                res_.name, std::chrono::duration_cast<std::chrono::microseconds>(took).count(),
                std::chrono::duration_cast<std::chrono::microseconds>(flush_policy_.average()).count());
    }
  }

  // ---- peer link ---------------------------------------------------------

  tcp::endpoint endpoint_of(const rep::HostConfig& h) {
    error_code ec;
    auto addr = asio::ip::make_address(h.address, ec);
    return tcp::endpoint(ec ? asio::ip::address_v4::any() : addr, h.port);
  }

  Status listen() {
    error_code ec;
    const auto ep = endpoint_of(self_);
    acceptor_.open(ep.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(ep, ec);
    if (!ec) acceptor_.listen(4, ec);
    if (ec) {
      return Error{fmt::format("{}: cannot listen on {}:{} for the peer: {}", res_.name, self_.address,
                               self_.port, ec.message())};
    }
    accept_next();
    return Status::Ok();
  }

  void accept_next() {
    auto s = std::make_shared<tcp::socket>(io_);
    acceptor_.async_accept(*s, [this, s, alive = alive_](const error_code& ec) {
      if (!*alive || ec == asio::error::operation_aborted) return;
      if (!ec) {
        if (!sock_ && engine_ && engine_->wants_connection() && !dialer()) {
          adopt(s);
        } else {
          error_code ignored;
          s->close(ignored);
        }
      }
      accept_next();
    });
  }

  std::chrono::seconds connect_interval() const {
    return std::chrono::seconds(std::max<uint32_t>(1, res_.net.connect_int_s));
  }

  // Retries wait connect-int, as DRBD's do; so does a dial right after a
  // connection that was lost within connect-int of its start. Without that, a
  // peer that accepts and at once closes (StandAlone after `disconnect`, a
  // refused handshake) was dialled again at once: ~11,000 connections a
  // second, each logged, until the operator reconnected it.
  void want_link() {
    if (!dialer() || dialing_ || sock_) return;
    dialing_ = true;
    if (last_link_at_ && std::chrono::steady_clock::now() < *last_link_at_ + connect_interval()) {
      return dial_again_at(*last_link_at_ + connect_interval());
    }
    auto s = std::make_shared<tcp::socket>(io_);
    s->async_connect(endpoint_of(peer_), [this, s, alive = alive_](const error_code& ec) {
      if (!*alive) return;
      if (!ec && !sock_ && engine_ && engine_->wants_connection()) {
        dialing_ = false;
        adopt(s);
        return;
      }
      dial_again_at(std::chrono::steady_clock::now() + connect_interval());
    });
  }

  // With dialing_ set: at `when`, dial if a connection is still wanted.
  void dial_again_at(std::chrono::steady_clock::time_point when) {
    dial_timer_.expires_at(when);
    dial_timer_.async_wait([this, alive = alive_](const error_code& e) {
      if (e || !*alive) return;
      dialing_ = false;
      if (engine_ && engine_->wants_connection() && !sock_) want_link();
    });
  }

  void adopt(std::shared_ptr<tcp::socket> s) {
    error_code ignored;
    s->set_option(tcp::no_delay(true), ignored);
    rcvlowat_ = 1;
    sock_ = std::move(s);
    last_link_at_ = std::chrono::steady_clock::now();
    closing_ = false;
    writing_ = false;
    sendq_.clear();
    ++conn_gen_;
    log_.info("[REPL  ] {}: connection with {} established", res_.name, peer_.name);
    engine_->on_transport_up(steady_ms());
    read_next();
    drive();
  }

  void read_next() {
    auto s = sock_;
    const uint64_t gen = conn_gen_;
    // A payload (1 MiB writes, resync data) is read straight into its
    // message's buffer; everything else through rxbuf_.
    rep::Replica::ReceiveSpace space;
    if (engine_ && !closing_) space = engine_->receive_space();
    const bool in_place = space.bytes.size() >= kInPlaceMinBytes;
    set_rcvlowat(*s, in_place ? static_cast<int>(std::min(space.bytes.size(), kPayloadLowatBytes)) : 1);
    auto buf = in_place ? asio::buffer(space.bytes.data(), space.bytes.size()) : asio::buffer(rxbuf_);
    s->async_read_some(buf, [this, s, gen, in_place, owner = std::move(space.owner), alive = alive_](
                                const error_code& ec, size_t n) {
      if (!*alive || gen != conn_gen_ || !engine_) return;
      if (ec) {
        link_lost(ec == asio::error::eof ? rep::ConnState::kBrokenPipe : rep::ConnState::kNetworkFailure);
        return;
      }
      if (!closing_) {
        if (in_place) {
          engine_->on_received_in_place(n, steady_ms());
        } else {
          engine_->on_receive(std::span<const uint8_t>(rxbuf_.data(), n), steady_ms());
        }
      }
      drive();
      if (sock_ && gen == conn_gen_) read_next();
    });
  }

  // A failure only costs wake-ups: the reads work either way.
  void set_rcvlowat(tcp::socket& s, int bytes) {
    if (bytes == rcvlowat_ || !kernel_rcvlowat_safe()) return;
    if (::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVLOWAT, &bytes, sizeof bytes) == 0) rcvlowat_ = bytes;
  }

  void pump_send() {
    if (writing_ || sendq_.empty() || !sock_) {
      if (closing_ && !writing_ && sendq_.empty()) finish_close();
      return;
    }
    writing_ = true;
    auto s = sock_;
    const uint64_t gen = conn_gen_;
    // Everything queued goes out in one gathered write (acks and barriers are
    // small; one syscall each cost more than their bytes), up to a bound.
    std::vector<asio::const_buffer> bufs;
    size_t messages = 0;
    size_t bytes = 0;
    for (const out::Send& m : sendq_) {
      if (messages > 0 && (bufs.size() + 2 > kMaxGather || bytes >= kMaxGatherBytes)) break;
      bufs.push_back(asio::buffer(m.head));
      bytes += m.head.size();
      if (m.payload && !m.payload->empty()) {
        bufs.push_back(asio::buffer(*m.payload));
        bytes += m.payload->size();
      }
      ++messages;
    }
    asio::async_write(*s, bufs, [this, s, gen, messages, alive = alive_](const error_code& ec, size_t) {
      if (!*alive || gen != conn_gen_) return;
      writing_ = false;
      if (ec) {
        link_lost(rep::ConnState::kBrokenPipe);
        return;
      }
      bool any_token = false;
      for (size_t i = 0; i < messages && !sendq_.empty(); ++i) {
        const uint64_t token = sendq_.front().sent_token;
        sendq_.pop_front();
        if (token && engine_) {
          engine_->on_sent(token, steady_ms());
          any_token = true;
        }
      }
      pump_send();
      if (any_token) drive();
    });
  }

  void close_link(const std::string& reason) {
    if (!sock_) return;
    log_.info("[REPL  ] {}: closing the connection with {}: {}", res_.name, peer_.name, reason);
    closing_ = true;
    pump_send();
  }

  void finish_close() {
    if (!sock_) return;
    error_code ignored;
    sock_->shutdown(tcp::socket::shutdown_both, ignored);
    sock_->close(ignored);
    sock_.reset();
    ++conn_gen_;
    closing_ = false;
    sendq_.clear();
  }

  void link_lost(rep::ConnState why) {
    if (sock_) {
      error_code ignored;
      sock_->close(ignored);
      sock_.reset();
    }
    ++conn_gen_;
    writing_ = false;
    closing_ = false;
    sendq_.clear();
    if (engine_) engine_->on_transport_down(steady_ms(), why);
    drive();
  }

  // ---- users -------------------------------------------------------------

  void submit(rep::AppRequest r, std::function<void(int, rep::Bytes)> cb) {
    if (!engine_) {
      cb(ESHUTDOWN, nullptr);
      return;
    }
    r.id = next_app_++;
    app_[r.id] = std::move(cb);
    engine_->submit(std::move(r), steady_ms());
    drive();
  }

  // Writes larger than one replication message go as several; the caller's
  // completion runs once, with the first error.
  void submit_split(rep::AppRequest r, std::function<void(int)> done) {
    constexpr uint32_t kMax = rep::wire::kMaxDataBytes;
    if (r.length <= kMax) {
      submit(std::move(r), [done = std::move(done)](int err, rep::Bytes) { done(err); });
      return;
    }
    struct Join {
      size_t left = 0;
      int err = 0;
      std::function<void(int)> done;
    };
    auto join = std::make_shared<Join>();
    join->done = std::move(done);
    join->left = (r.length + kMax - 1) / kMax;
    for (uint32_t off = 0; off < r.length; off += kMax) {
      rep::AppRequest part = r;
      part.offset = r.offset + off;
      part.length = std::min(kMax, r.length - off);
      if (r.data) {
        part.data = std::make_shared<const std::vector<uint8_t>>(r.data->begin() + off,
                                                                 r.data->begin() + off + part.length);
      }
      submit(std::move(part), [join](int err, rep::Bytes) {
        if (err && !join->err) join->err = err;
        if (--join->left == 0) join->done(join->err);
      });
    }
  }
};

ReplicaVolume::ReplicaVolume(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) { impl_->outer_ = this; }

ReplicaVolume::~ReplicaVolume() {
  Impl& m = *impl_;
  *m.alive_ = false;
  auto waiting = std::move(m.commands_);
  for (auto& [ticket, done] : waiting) done(Error{fmt::format("{}: the volume went down", m.res_.name)});
  // The loop threads may wait for FUSE answers that this thread gives: stop
  // the export first (its connection is aborted, their I/O fails at once).
  if (m.fuse_) m.fuse_->stop();
  if (m.loop_thread_.joinable()) m.loop_thread_.join();
  if (m.detach_thread_.joinable()) m.detach_thread_.join();
  m.loop_.reset();
  if (m.nbd_) m.nbd_->stop();
  error_code ignored;
  m.acceptor_.close(ignored);
  if (m.sock_) m.sock_->close(ignored);
  m.timer_.cancel();
  m.dial_timer_.cancel();
  if (m.pool_) m.pool_->join();
  m.engine_.reset();
  if (m.meta_fd_ >= 0 && m.meta_fd_ != m.data_fd_) ::close(m.meta_fd_);
  if (m.data_fd_ >= 0) ::close(m.data_fd_);
}

Result<std::unique_ptr<ReplicaVolume>> ReplicaVolume::up(asio::io_context& io, const rep::ResourceConfig& res,
                                                         const rep::HostConfig& self, const rep::HostConfig& peer,
                                                         ReplicaVolumeOptions options, spdlog::logger& log,
                                                         bool connect) {
  auto impl = std::make_unique<Impl>(io, log);
  Impl& m = *impl;
  m.res_ = res;
  m.self_ = self;
  m.peer_ = peer;
  m.opt_ = std::move(options);
  auto attach = rep::read_attach_state(self, res.disk.size_sectors);
  if (!attach.ok()) return Error{fmt::format("{}: {}", res.name, attach.error().message)};
  m.data_fd_ = ::open(self.disk.c_str(), O_RDWR | O_CLOEXEC);
  if (m.data_fd_ < 0) return Error{fmt::format("{}: {}: {}", res.name, self.disk, std::strerror(errno))};
  if (self.meta_disk.kind == rep::MetaDisk::Kind::kInternal) {
    m.meta_fd_ = m.data_fd_;
  } else {
    m.meta_fd_ = ::open(self.meta_disk.path.c_str(), O_RDWR | O_CLOEXEC);
    if (m.meta_fd_ < 0) {
      const int e = errno;
      ::close(m.data_fd_);
      m.data_fd_ = -1;
      return Error{fmt::format("{}: {}: {}", res.name, self.meta_disk.path, std::strerror(e))};
    }
  }
  m.direct_ = std::make_unique<rep::DirectWriter>(self.disk);
  if (!m.direct_->enabled()) {
    m.direct_off_logged_ = true;
    log.info("[REPL  ] {}: large data writes go through the page cache: {}", res.name, m.direct_->disabled_reason());
  }
  m.pool_ = std::make_unique<asio::thread_pool>(4);
  std::random_device rd;
  const uint64_t seed = (uint64_t{rd()} << 32) | rd();
  m.engine_ = std::make_unique<rep::Replica>(rep::engine_options(res, self, peer), std::move(attach).value(), seed,
                                             steady_ms());
  std::unique_ptr<ReplicaVolume> vol(new ReplicaVolume(std::move(impl)));
  Impl& v = *vol->impl_;
  if (Status s = v.listen(); !s.ok()) return s.error();
  // Exports.
  rep::ExportOptions eo;
  eo.description = fmt::format("Quorate replicated volume {} ({})", res.name, self.device);
  eo.min_block_bytes = 512;
  if (Status s = v.registry_.add(res.name, *vol, eo); !s.ok()) return s.error();
  v.nbd_path_ = v.opt_.run_dir + "/nbd/" + res.name + ".sock";
  rep::NbdServerOptions no;
  no.unix_socket_path = v.nbd_path_;
  if (!v.opt_.nbd_tcp_address.empty()) {
    const uint32_t port = uint32_t{v.opt_.nbd_tcp_base_port} + self.minor;
    boost::system::error_code ec;
    const auto addr = asio::ip::make_address(v.opt_.nbd_tcp_address, ec);
    if (ec || port > 65535) {
      return Error{fmt::format("{}: NBD over TCP: no port {} + minor {} on '{}'", res.name, v.opt_.nbd_tcp_base_port,
                               self.minor, v.opt_.nbd_tcp_address)};
    }
    no.tcp_endpoint = tcp::endpoint(addr, static_cast<uint16_t>(port));
  }
  spdlog::logger* lp = &log;
  no.on_event = [lp](const std::string& line) { lp->info("[NBD   ] {}", line); };
  v.nbd_ = std::make_unique<rep::NbdServer>(io, v.registry_, no);
  if (Status s = v.nbd_->start(); !s.ok()) return Error{fmt::format("{}: NBD export: {}", res.name, s.error().message)};
  if (v.opt_.fuse_export && ::access("/dev/fuse", R_OK | W_OK) == 0) {
    const std::string mnt = v.opt_.run_dir + "/fuse/" + res.name;
    ::mkdir((v.opt_.run_dir + "/fuse").c_str(), 0755);
    ::mkdir(mnt.c_str(), 0700);
    // A daemon killed with its export mounted leaves a dead FUSE mount
    // ("Transport endpoint is not connected"): detach it first.
    (void)::umount2(mnt.c_str(), MNT_DETACH);
    rep::FuseExport::Options fo;
    fo.log = [lp](std::string_view line) { lp->info("[FUSE  ] {}", line); };
    auto f = rep::FuseExport::start(io, *vol, mnt, res.name, fo);
    if (f.ok()) {
      v.fuse_ = std::move(f).value();
    } else {
      log.warn("[REPL  ] {}: no FUSE export: {}", res.name, f.error().message);
    }
  }
  if (v.opt_.block_device && v.fuse_) {
    std::vector<std::string> links{self.device};
    if (self.device.rfind("/dev/drbd", 0) == 0) links.push_back("/dev/drbd/by-res/" + res.name);
    v.loop_thread_ = std::thread([&io, file = v.fuse_->file_path(), links, alive = v.alive_, vp = &v, lp,
                                  name = res.name, setup_done = v.loop_setup_done_, outer = vol.get()] {
      auto made = std::make_shared<Result<std::unique_ptr<LoopExport>>>(LoopExport::attach(file));
      std::vector<std::string> skipped;
      if (made->ok()) {
        for (const auto& link : links) {
          std::string why;
          if (!(**made)->add_link(link, &why, file)) skipped.push_back(why);
        }
      }
      setup_done->store(true);
      asio::post(io, [made, skipped, alive, vp, lp, name, outer] {
        if (!*alive) return;  // gone meanwhile: the device is let go with `made`
        if (vp->loop_thread_.joinable()) vp->loop_thread_.join();  // it has nothing left to do
        const auto resume_down = [vp, outer] {
          if (auto done = std::exchange(vp->down_after_setup_, nullptr)) outer->down(std::move(done), vp->down_after_setup_in_use_refuses_);
        };
        if (!made->ok()) {
          lp->warn("[REPL  ] {}: no block device: {}", name, made->error().message);
          return resume_down();
        }
        vp->loop_ = std::move(**made);
        std::string names;
        for (const auto& l : vp->loop_->links()) names += " " + l;
        lp->info("[REPL  ] {}: block device {}{}{}", name, vp->loop_->path(), names.empty() ? "" : " as", names);
        for (const auto& why : skipped) lp->warn("[REPL  ] {}: no link: {}", name, why);
        resume_down();
      });
    });
  }
  log.info("[REPL  ] {}: up on {} ({} KiB), NBD export {}{}{}", res.name, self.disk, v.engine_->size_bytes() / 1024,
           v.nbd_path_, v.nbd_->tcp_port() != 0 ? fmt::format(" and TCP port {}", v.nbd_->tcp_port()) : std::string(),
           v.fuse_ ? fmt::format(", FUSE export {}", v.fuse_->file_path()) : std::string());
  if (connect) {
    if (Status s = v.engine_->connect(false, steady_ms()); !s.ok()) return s.error();
  }
  v.drive();
  return vol;
}

void ReplicaVolume::command(const std::string& verb, bool force, bool discard_my_data,
                            std::function<void(Status)> done) {
  Impl& m = *impl_;
  if (!m.engine_) return done(Error{fmt::format("{}: going down", m.res_.name)});
  const Millis now = steady_ms();
  Status s;
  if (verb == "primary") {
    const uint64_t ticket = m.next_ticket_++;
    std::optional<Status> r = m.engine_->primary(force, ticket, now);
    if (!r) {
      // Waits for the peer's consent or the fence-peer handler; drive()
      // delivers the engine's CommandDone.
      m.commands_[ticket] = std::move(done);
      m.drive();
      return;
    }
    s = std::move(*r);
  } else if (verb == "secondary") {
    if (m.engine_->status(now).role == rep::Role::kPrimary) {
      if (std::string why = m.held_open(); !why.empty()) return done(Error{fmt::format("{}: {}", m.res_.name, why)});
    }
    s = m.engine_->secondary(now);
  } else if (verb == "connect") {
    s = m.engine_->connect(discard_my_data, now);
    m.last_link_at_.reset();  // the operator's connect dials at once
  } else if (verb == "disconnect") {
    s = m.engine_->disconnect(now);
  } else if (verb == "verify") {
    s = m.engine_->verify(now);
  } else if (verb == "invalidate") {
    s = m.engine_->invalidate(now);
  } else if (verb == "invalidate-remote") {
    s = m.engine_->invalidate_remote(now);
  } else if (verb == "detach") {
    s = m.engine_->detach(now);
  } else if (verb == "outdate") {
    s = m.engine_->outdate(now);
  } else if (verb == "pause-sync") {
    s = m.engine_->pause_sync(now);
  } else if (verb == "resume-sync") {
    s = m.engine_->resume_sync(now);
  } else if (verb == "resume-io") {
    s = m.engine_->resume_io(now);
  } else {
    return done(Error{fmt::format("{}: unknown command '{}'", m.res_.name, verb)});
  }
  m.drive();
  if (!s.ok()) return done(Error{fmt::format("{}: {}", m.res_.name, s.error().message)});
  done(Status::Ok());
}

Result<std::vector<std::string>> ReplicaVolume::adjust(const rep::ResourceConfig& res, const rep::HostConfig& self,
                                                       const rep::HostConfig& peer) {
  Impl& m = *impl_;
  if (!m.engine_) return Error{fmt::format("{}: going down", m.res_.name)};
  const auto needs_down_up = [&](std::string_view what) {
    return Error{fmt::format("{}: {} changed while up: needs `drbdadm down {}` and `drbdadm up {}`", res.name, what,
                             res.name, res.name)};
  };
  if (self.disk != m.self_.disk || !(self.meta_disk == m.self_.meta_disk)) return needs_down_up("disk or meta-disk");
  if (self.device != m.self_.device || self.minor != m.self_.minor) return needs_down_up("device");
  if (res.disk.size_sectors != m.res_.disk.size_sectors) return needs_down_up("size");
  if (self.address != m.self_.address || self.port != m.self_.port) return needs_down_up("this node's address");
  auto lines = m.engine_->adjust(rep::engine_options(res, self, peer), steady_ms());
  if (!lines.ok()) return Error{fmt::format("{}: {}", res.name, lines.error().message)};
  const bool peer_moved = peer.address != m.peer_.address || peer.port != m.peer_.port;
  m.res_ = res;  // handlers, connect-int and the rest as the file says now
  m.peer_ = peer;
  if (peer_moved) {
    lines->push_back(fmt::format("{}: the peer's address changed to {}:{} (reconnecting)", res.name, peer.address,
                                 peer.port));
    (void)m.engine_->disconnect(steady_ms());
    (void)m.engine_->connect(false, steady_ms());
  }
  m.last_link_at_.reset();  // a connection to make is tried at once
  m.drive();
  return lines;
}

Status ReplicaVolume::attach(const rep::ResourceConfig& res, const rep::HostConfig& self) {
  Impl& m = *impl_;
  if (!m.engine_) return Error{fmt::format("{}: going down", m.res_.name)};
  if (res.disk.size_sectors != m.res_.disk.size_sectors) {
    return Error{fmt::format("{}: `disk {{ size }}` changed while up: needs `drbdadm down` and `up`", res.name)};
  }
  auto state = rep::read_attach_state(self, res.disk.size_sectors);
  if (!state.ok()) return Error{fmt::format("{}: {}", res.name, state.error().message)};
  const int data_fd = ::open(self.disk.c_str(), O_RDWR | O_CLOEXEC);
  if (data_fd < 0) return Error{fmt::format("{}: {}: {}", res.name, self.disk, std::strerror(errno))};
  int meta_fd = data_fd;
  if (self.meta_disk.kind != rep::MetaDisk::Kind::kInternal) {
    meta_fd = ::open(self.meta_disk.path.c_str(), O_RDWR | O_CLOEXEC);
    if (meta_fd < 0) {
      const int e = errno;
      ::close(data_fd);
      return Error{fmt::format("{}: {}: {}", res.name, self.meta_disk.path, std::strerror(e))};
    }
  }
  if (Status s = m.engine_->attach(std::move(state).value(), steady_ms()); !s.ok()) {
    if (meta_fd != data_fd) ::close(meta_fd);
    ::close(data_fd);
    m.drive();
    return Error{fmt::format("{}: {}", res.name, s.error().message)};
  }
  // The engine had no I/O in flight on the old disk (it refuses otherwise),
  // so no pool thread still uses the old descriptors.
  if (m.meta_fd_ >= 0 && m.meta_fd_ != m.data_fd_) ::close(m.meta_fd_);
  if (m.data_fd_ >= 0) ::close(m.data_fd_);
  m.data_fd_ = data_fd;
  m.meta_fd_ = meta_fd;
  m.direct_ = std::make_unique<rep::DirectWriter>(self.disk);
  m.direct_off_logged_ = !m.direct_->enabled();
  m.self_.disk = self.disk;
  m.self_.meta_disk = self.meta_disk;
  m.log_.info("[REPL  ] {}: attached {}", res.name, self.disk);
  m.drive();
  return Status::Ok();
}

void ReplicaVolume::down(std::function<void(Status)> done, bool in_use_refuses) {
  Impl& m = *impl_;
  if (!m.engine_) return done(Status::Ok());
  if (m.down_done_ || m.detaching_ || m.down_after_setup_) {
    m.more_downs_.push_back(std::move(done));  // one is under way: the same answer
    return;
  }
  if (m.loop_thread_.joinable() && !m.loop_setup_done_->load()) {
    // Still setting up (its open of the FUSE file waits for this thread):
    // go on once it has reported.
    m.down_after_setup_ = std::move(done);
    m.down_after_setup_in_use_refuses_ = in_use_refuses;
    return;
  }
  if (m.loop_thread_.joinable()) m.loop_thread_.join();
  const auto refuse = [&](const std::string& why) {
    m.answer_down(done, Error{fmt::format("{}: {}", m.res_.name, why)});
  };
  if (std::string why = m.held_open(in_use_refuses); !why.empty()) return refuse(why);
  if (m.loop_) {
    // Demote first (what down does anyway), so that a refusal leaves the
    // device in place; then let go of it off this thread (its last I/O may
    // need this one) and go on with the rest.
    if (Status s = m.engine_->secondary(steady_ms()); !s.ok()) return refuse(s.error().message);
    m.drive();
    if (m.detach_thread_.joinable()) m.detach_thread_.join();
    m.detaching_ = true;
    m.detach_thread_ = std::thread([&io = m.io_, loop = std::shared_ptr<LoopExport>(std::move(m.loop_)),
                                    alive = m.alive_, self = this, done = std::move(done),
                                    in_use_refuses]() mutable {
      loop->detach();
      asio::post(io, [alive, self, done = std::move(done), in_use_refuses]() mutable {
        if (!*alive) return;  // destroyed meanwhile (quorated is stopping)
        self->impl_->detaching_ = false;
        self->down(std::move(done), in_use_refuses);
      });
    });
    return;
  }
  // The engine first: a refusal (a Primary with writes in flight) leaves the
  // exports as they were.
  Status s = m.engine_->down(steady_ms());
  if (!s.ok()) return refuse(s.error().message);
  if (m.fuse_) m.fuse_->stop();
  if (m.nbd_) m.nbd_->stop();
  m.down_done_ = std::move(done);
  m.drive();
}

replication::ReplicaStatus ReplicaVolume::status() const {
  const Impl& m = *impl_;
  auto s = m.engine_->status(steady_ms());
  s.minor = m.self_.minor;
  s.volume = m.self_.volume;
  s.nbd_socket = m.nbd_path_;
  if (m.nbd_ && m.nbd_->tcp_port() != 0) {
    const bool v6 = m.opt_.nbd_tcp_address.find(':') != std::string::npos;
    s.nbd_tcp = v6 ? fmt::format("[{}]:{}", m.opt_.nbd_tcp_address, m.nbd_->tcp_port())
                   : fmt::format("{}:{}", m.opt_.nbd_tcp_address, m.nbd_->tcp_port());
  }
  if (m.fuse_) s.fuse_file = m.fuse_->file_path();
  if (m.loop_) {
    s.block_device = m.loop_->path();
    s.block_links = m.loop_->links();
  }
  return s;
}

const rep::ResourceConfig& ReplicaVolume::config() const { return impl_->res_; }

const std::string& ReplicaVolume::resource() const { return impl_->res_.name; }

uint64_t ReplicaVolume::size() const { return impl_->engine_ ? impl_->engine_->size_bytes() : 0; }
bool ReplicaVolume::writable() const { return impl_->engine_ && impl_->engine_->writable(); }
std::string ReplicaVolume::read_only_reason() const {
  return impl_->engine_ ? impl_->engine_->read_only_reason() : impl_->res_.name + " is down";
}

namespace {
bool aligned(uint64_t off, uint64_t len) { return off % 512 == 0 && len % 512 == 0 && len > 0; }
}  // namespace

void ReplicaVolume::read(uint64_t offset, uint32_t length, ReadDone done) {
  const uint64_t first = offset / 512 * 512;
  const uint64_t end = (offset + length + 511) / 512 * 512;
  rep::AppRequest r;
  r.op = rep::AppRequest::Op::kRead;
  r.offset = first;
  r.length = static_cast<uint32_t>(end - first);
  impl_->submit(std::move(r), [done = std::move(done), offset, first, length](int err, rep::Bytes data) {
    if (err || !data) return done(err ? err : EIO, {});
    done(0, std::span<const uint8_t>(data->data() + (offset - first), length));
  });
}

void ReplicaVolume::write(uint64_t offset, std::span<const uint8_t> data, bool fua, Done done) {
  if (aligned(offset, data.size())) {
    rep::AppRequest r;
    r.op = rep::AppRequest::Op::kWrite;
    r.offset = offset;
    r.length = static_cast<uint32_t>(data.size());
    r.fua = fua;
    r.data = std::make_shared<const std::vector<uint8_t>>(data.begin(), data.end());
    impl_->submit_split(std::move(r), std::move(done));
    return;
  }
  // Sub-sector write (the FUSE export passes user offsets through): read the
  // covering sectors, patch, write back. Not atomic against a concurrent
  // overlapping write, as on a disk with larger sectors.
  if (!writable()) return done(EROFS);
  auto patch = std::make_shared<std::vector<uint8_t>>(data.begin(), data.end());
  const uint64_t first = offset / 512 * 512;
  const uint64_t end = (offset + data.size() + 511) / 512 * 512;
  rep::AppRequest r;
  r.op = rep::AppRequest::Op::kRead;
  r.offset = first;
  r.length = static_cast<uint32_t>(end - first);
  impl_->submit(std::move(r), [this, patch, offset, first, fua, done = std::move(done)](int err, rep::Bytes old) mutable {
    if (err || !old) return done(err ? err : EIO);
    auto merged = std::make_shared<std::vector<uint8_t>>(*old);
    std::memcpy(merged->data() + (offset - first), patch->data(), patch->size());
    rep::AppRequest w;
    w.op = rep::AppRequest::Op::kWrite;
    w.offset = first;
    w.length = static_cast<uint32_t>(merged->size());
    w.fua = fua;
    w.data = std::move(merged);
    impl_->submit_split(std::move(w), std::move(done));
  });
}

void ReplicaVolume::write_owned(uint64_t offset, std::shared_ptr<const std::vector<uint8_t>> data, bool fua,
                                Done done) {
  if (!aligned(offset, data->size())) return write(offset, *data, fua, std::move(done));
  rep::AppRequest r;
  r.op = rep::AppRequest::Op::kWrite;
  r.offset = offset;
  r.length = static_cast<uint32_t>(data->size());
  r.fua = fua;
  r.data = std::move(data);  // no copy: the engine keeps the buffer
  impl_->submit_split(std::move(r), std::move(done));
}

void ReplicaVolume::flush(Done done) {
  rep::AppRequest r;
  r.op = rep::AppRequest::Op::kFlush;
  impl_->submit(std::move(r), [done = std::move(done)](int err, rep::Bytes) { done(err); });
}

void ReplicaVolume::trim(uint64_t offset, uint32_t length, Done done) {
  const uint64_t first = (offset + 511) / 512 * 512;
  const uint64_t end = (offset + length) / 512 * 512;
  if (end <= first) return done(0);  // nothing whole to discard
  rep::AppRequest r;
  r.op = rep::AppRequest::Op::kTrim;
  r.offset = first;
  r.length = static_cast<uint32_t>(end - first);
  impl_->submit_split(std::move(r), std::move(done));
}

void ReplicaVolume::write_zeroes(uint64_t offset, uint32_t length, bool fua, Done done) {
  if (!aligned(offset, length)) {
    std::vector<uint8_t> zeroes(length, 0);
    return write(offset, zeroes, fua, std::move(done));
  }
  rep::AppRequest r;
  r.op = rep::AppRequest::Op::kWriteZeroes;
  r.offset = offset;
  r.length = length;
  r.fua = fua;
  impl_->submit_split(std::move(r), std::move(done));
}

}  // namespace quorate::daemon
