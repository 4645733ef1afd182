// Runtime: quorated's event loop around MembershipNode. See runtime.h.
#include "daemon/runtime.h"

#include <signal.h>
#include <systemd/sd-daemon.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // Asio 1.74 false positive, see ipc_server.h
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#pragma GCC diagnostic pop
#include <fmt/format.h>
#include <spdlog/logger.h>

#include "common/crypto.h"
#include "daemon/ipc_server.h"
#include "daemon/replication_service.h"
#include "daemon/logging.h"
#include "daemon/state_files.h"
#include "membership/node.h"

#ifndef QUORATE_VERSION
#define QUORATE_VERSION "0.1.0"
#endif

namespace quorate::daemon {

namespace asio = boost::asio;
using asio::ip::udp;
using boost::system::error_code;
using membership::NodeId;
using membership::Time;
using Steady = std::chrono::steady_clock;

namespace {

// Largest datagram accepted or sent (the UDP length field's bound).
constexpr size_t kMaxDatagramBytes = 65535;
// Receive buffer asked of the kernel: bursts of a whole window of messages
// from every member must not overflow it.
constexpr int kSocketBufferBytes = 4 << 20;
// Pause after a failed receive before the next one (no busy loop on errors).
constexpr std::chrono::milliseconds kReceiveErrorBackoff{10};
// The timer never fires sooner than this after the node asked for a past
// deadline (no busy loop if a deadline does not move after a tick).
constexpr Time kMinTimerDelay{200};

Time steady_now() { return std::chrono::duration_cast<Time>(Steady::now().time_since_epoch()); }

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

crypto::Hash to_crypto(membership::HashAlg h) {
  switch (h) {
    case membership::HashAlg::kNone:
      return crypto::Hash::kNone;
    case membership::HashAlg::kSha1:
      return crypto::Hash::kSha1;
    case membership::HashAlg::kSha256:
      return crypto::Hash::kSha256;
    case membership::HashAlg::kSha384:
      return crypto::Hash::kSha384;
    case membership::HashAlg::kSha512:
      return crypto::Hash::kSha512;
  }
  return crypto::Hash::kNone;
}

crypto::Cipher to_crypto(membership::CipherAlg c) {
  switch (c) {
    case membership::CipherAlg::kNone:
      return crypto::Cipher::kNone;
    case membership::CipherAlg::kAes128:
      return crypto::Cipher::kAes128;
    case membership::CipherAlg::kAes192:
      return crypto::Cipher::kAes192;
    case membership::CipherAlg::kAes256:
      return crypto::Cipher::kAes256;
  }
  return crypto::Cipher::kNone;
}

std::string join_ids(const std::vector<NodeId>& ids) {
  std::string out;
  for (NodeId id : ids) {
    if (!out.empty()) out += ' ';
    out += std::to_string(id);
  }
  return out;
}

void notify_systemd(const std::string& state) { (void)sd_notify(0, state.c_str()); }

}  // namespace

class Runtime::Impl {
 public:
  Impl(asio::io_context& io, RuntimeOptions options, DaemonLog& log)
      : io_(io),
        opt_(std::move(options)),
        daemon_log_(log),
        log_(log.logger()),
        socket_(io),
        timer_(io),
        backoff_(io),
        signals_(io),
        rx_buf_(kMaxDatagramBytes + 1),
        started_at_(Steady::now()) {}

  Status start();
  int exit_code() const { return exit_code_; }
  // Stops everything (after a clean leave when `leave`); idempotent.
  void shutdown(const std::string& why, int code, bool leave);

 private:
  // inputs
  void receive();
  void on_datagram(size_t n);
  void on_timer(uint64_t generation);
  void wait_signal();
  ipc::Response on_ipc(const ipc::Request& request, const Caller& caller);

  // outputs
  void after_input();
  void drain();
  void persist_ring_seq();
  void send(const membership::Outgoing& m);
  void arm_timer();
  void on_event(const membership::NodeEvent& e);
  void on_configuration(const membership::Configuration& c);
  void on_note(const membership::TotemNote& n);
  void on_quorum(const membership::QuorumEvent& q);

  // IPC views
  void fill_quorum_status(ipc::QuorumStatus* s) const;
  void fill_ring_status(ipc::RingStatus* s) const;
  std::string display_name(NodeId id) const;

  asio::io_context& io_;
  RuntimeOptions opt_;
  DaemonLog& daemon_log_;
  spdlog::logger& log_;

  std::unique_ptr<membership::MembershipNode> node_;
  std::optional<crypto::FrameSealer> sealer_;
  std::optional<crypto::FrameOpener> opener_;
  udp::socket socket_;
  asio::steady_timer timer_;
  asio::steady_timer backoff_;
  asio::signal_set signals_;
  std::unique_ptr<IpcServer> ipc_;
  std::unique_ptr<ReplicationService> replication_;
  std::vector<char> rx_buf_;
  udp::endpoint rx_from_;

  uint64_t timer_generation_ = 0;
  std::optional<Time> armed_deadline_;
  uint64_t persisted_ring_seq_ = 0;
  bool ring_seq_error_logged_ = false;
  std::optional<bool> announced_quorate_;
  bool stopping_ = false;
  int exit_code_ = 0;
  Steady::time_point started_at_;

  // Transport counters (RingStatus.counters beside Totem's and the opener's).
  uint64_t udp_rx_ = 0, udp_rx_errors_ = 0, udp_rx_oversize_ = 0;
  uint64_t udp_tx_ = 0, udp_tx_errors_ = 0, udp_tx_oversize_ = 0;
  uint64_t unknown_sender_ = 0, loopback_ = 0, app_deliveries_ = 0;
};

Status Runtime::Impl::start() {
  const auto& cfg = opt_.config;
  const auto self_ep = opt_.endpoints.find(opt_.self);
  if (self_ep == opt_.endpoints.end()) {
    return Error{fmt::format("no address for this node (nodeid {})", opt_.self)};
  }
  log_.info("[MAIN  ] Quorate quorated {} starting: node {} ({}), incarnation {}, ring seq {}",
            QUORATE_VERSION, opt_.self, display_name(opt_.self), opt_.incarnation, opt_.ring_seq);

  auto sealer =
      crypto::FrameSealer::create(opt_.authkey, to_crypto(cfg.crypto_hash),
                                  to_crypto(cfg.crypto_cipher), opt_.self, opt_.incarnation);
  if (!sealer.ok()) return Error{"frame sealer: " + sealer.error().message};
  auto opener = crypto::FrameOpener::create(opt_.authkey, to_crypto(cfg.crypto_hash),
                                            to_crypto(cfg.crypto_cipher));
  if (!opener.ok()) return Error{"frame opener: " + opener.error().message};
  sealer_.emplace(std::move(sealer).value());
  opener_.emplace(std::move(opener).value());
  log_.info("[TOTEM ] Initializing transmit/receive security: cipher {} hash {}",
            membership::to_string(cfg.crypto_cipher), membership::to_string(cfg.crypto_hash));

  auto node = membership::MembershipNode::create(cfg, opt_.self, opt_.incarnation, opt_.ring_seq,
                                                 steady_now());
  if (!node.ok()) return node.error();
  node_ = std::move(node).value();
  persisted_ring_seq_ = opt_.ring_seq;

  error_code ec;
  socket_.open(self_ep->second.protocol(), ec);
  if (!ec) socket_.bind(self_ep->second, ec);
  if (ec) {
    error_code ignored;
    socket_.close(ignored);
    return Error{fmt::format("cannot bind UDP {}:{} (ring0_addr of node {}): {}",
                             self_ep->second.address().to_string(), self_ep->second.port(),
                             opt_.self, ec.message())};
  }
  socket_.non_blocking(true, ec);
  socket_.set_option(asio::socket_base::receive_buffer_size(kSocketBufferBytes), ec);
  socket_.set_option(asio::socket_base::send_buffer_size(kSocketBufferBytes), ec);
  log_.info("[TOTEM ] Initializing transport (UDP/IP Unicast) on {}:{}",
            self_ep->second.address().to_string(), self_ep->second.port());

  ReplicationServiceOptions ro;
  ro.config_dir = opt_.replication_dir;
  ro.node_name = opt_.node_name;
  ro.run_dir = opt_.run_dir;
  ro.fuse_export = opt_.fuse_export;
  ro.nbd_tcp_address = opt_.nbd_tcp_address;
  ro.nbd_tcp_base_port = opt_.nbd_tcp_base_port;
  ro.block_devices = opt_.block_devices;
  ro.address_of = [addrs = opt_.node_addresses](const std::string& name) -> std::optional<std::string> {
    auto it = addrs.find(name);
    if (it == addrs.end()) return std::nullopt;
    return it->second;
  };
  replication_ = std::make_unique<ReplicationService>(io_, std::move(ro), log_);

  IpcServerOptions ipc_options;
  ipc_options.socket_path = opt_.run_dir + "/quorated.sock";
  ipc_options.deferred = [this](const ipc::Request& r, const Caller&, IpcReply reply) {
    if (r.body_case() != ipc::Request::kReplicaCommand) return false;
    if (stopping_ || !replication_) {
      ipc::Response resp;
      resp.set_error("quorated is shutting down");
      reply(std::move(resp));
      return true;
    }
    replication_->command(r.replica_command(), std::move(reply));
    return true;
  };
  ipc_options.on_event = [this](const std::string& what) { log_.warn("[IPC   ] {}", what); };
  ipc_ = std::make_unique<IpcServer>(
      io_, std::move(ipc_options),
      [this](const ipc::Request& r, const Caller& c) { return on_ipc(r, c); });
  if (Status s = ipc_->start(); !s.ok()) {
    ipc_.reset();
    error_code ignored;
    socket_.close(ignored);
    return s;
  }

  signals_.add(SIGTERM);
  signals_.add(SIGINT);
  signals_.add(SIGHUP);
  wait_signal();
  receive();
  after_input();  // outputs of create() (the first join)

  log_.info("[MAIN  ] Ready: IPC on {}", ipc_->socket_path());
  notify_systemd("READY=1\nSTATUS=Waiting for a membership");
  if (opt_.on_ready) opt_.on_ready();
  return Status::Ok();
}

void Runtime::Impl::shutdown(const std::string& why, int code, bool leave) {
  if (stopping_) return;
  log_.info("[MAIN  ] Shutting down: {}", why);
  notify_systemd("STOPPING=1");
  if (leave && node_ && socket_.is_open()) {
    // Announce a clean leave so that the others re-form at once instead of
    // waiting for a token timeout; the messages go out before the socket
    // closes (sends are synchronous).
    (void)node_->step(membership::input::Leave{}, steady_now());
    drain();
  }
  stopping_ = true;
  exit_code_ = code;
  if (ipc_) ipc_->stop();
  error_code ignored;
  timer_.cancel();
  backoff_.cancel();
  signals_.cancel(ignored);
  socket_.close(ignored);
  if (replication_ && replication_->volumes_up() > 0) {
    // Volumes go down cleanly (bitmap and superblock on disk) before
    // io_context::run() can return.
    replication_->shutdown([this] { log_.info("[MAIN  ] replicated volumes are down"); });
  }
  log_.info("[MAIN  ] quorated stopped");
  log_.flush();
}

// ------------------------------------------------------------------ inputs

void Runtime::Impl::receive() {
  if (stopping_) return;
  socket_.async_receive_from(asio::buffer(rx_buf_), rx_from_,
                             [this](const error_code& ec, size_t n) {
                               if (stopping_ || ec == asio::error::operation_aborted) return;
                               if (ec) {
                                 ++udp_rx_errors_;
                                 log_.debug("[TOTEM ] UDP receive failed: {}", ec.message());
                                 backoff_.expires_after(kReceiveErrorBackoff);
                                 backoff_.async_wait([this](const error_code& e) {
                                   if (!e) receive();
                                 });
                                 return;
                               }
                               on_datagram(n);
                               receive();
                             });
}

void Runtime::Impl::on_datagram(size_t n) {
  ++udp_rx_;
  if (n > kMaxDatagramBytes) {
    ++udp_rx_oversize_;
    return;
  }
  auto opened = opener_->open(std::string_view(rx_buf_.data(), n));
  auto* frame = std::get_if<crypto::OpenedFrame>(&opened);
  if (frame == nullptr) {
    log_.trace("[TOTEM ] dropped a frame from {}: {}", rx_from_.address().to_string(),
               crypto::to_string(std::get<crypto::DropReason>(opened)));
    return;
  }
  if (frame->sender == opt_.self || opt_.config.find_node(frame->sender) == nullptr) {
    ++unknown_sender_;
    return;
  }
  (void)node_->step(membership::input::Receive{frame->sender, frame->payload}, steady_now());
  after_input();
}

void Runtime::Impl::on_timer(uint64_t generation) {
  if (stopping_ || generation != timer_generation_) return;
  armed_deadline_.reset();
  (void)node_->step(membership::input::Tick{}, steady_now());
  after_input();
}

void Runtime::Impl::wait_signal() {
  signals_.async_wait([this](const error_code& ec, int signo) {
    if (ec || stopping_) return;
    if (signo == SIGHUP) {
      if (Status s = daemon_log_.reopen(); !s.ok()) {
        log_.error("[MAIN  ] {}", s.error().message);
      } else {
        log_.info("[MAIN  ] Log file reopened (SIGHUP)");
      }
      wait_signal();
      return;
    }
    shutdown(signo == SIGTERM ? "SIGTERM" : "SIGINT", 0, true);
  });
}

ipc::Response Runtime::Impl::on_ipc(const ipc::Request& request, const Caller& caller) {
  ipc::Response response;
  if (stopping_) {
    response.set_error("quorated is shutting down");
    return response;
  }
  switch (request.body_case()) {
    case ipc::Request::kPing: {
      auto* pong = response.mutable_pong();
      pong->set_local_nodeid(opt_.self);
      pong->set_version(QUORATE_VERSION);
      pong->set_uptime_ms(
          std::chrono::duration_cast<std::chrono::milliseconds>(Steady::now() - started_at_)
              .count());
      break;
    }
    case ipc::Request::kQuorumStatus:
      fill_quorum_status(response.mutable_quorum_status());
      break;
    case ipc::Request::kRingStatus:
      fill_ring_status(response.mutable_ring_status());
      break;
    case ipc::Request::kSetExpectedVotes: {
      const uint32_t n = request.set_expected_votes().expected_votes();
      log_.info("[QUORUM] Expected votes change to {} requested by pid {} uid {}", n, caller.pid,
                caller.uid);
      Status s = node_->request_expected_votes(n, steady_now());
      after_input();
      if (!s.ok()) {
        response.set_error(s.error().message);
      } else {
        response.mutable_done();
      }
      break;
    }
    case ipc::Request::kSetVotes: {
      const auto& v = request.set_votes();
      log_.info("[QUORUM] Votes of node {} change to {} requested by pid {} uid {}",
                v.nodeid() == 0 ? opt_.self : v.nodeid(), v.votes(), caller.pid, caller.uid);
      Status s = node_->request_votes(v.nodeid(), v.votes(), steady_now());
      after_input();
      if (!s.ok()) {
        response.set_error(s.error().message);
      } else {
        response.mutable_done();
      }
      break;
    }
    case ipc::Request::kLeave: {
      response.mutable_done();
      const std::string why =
          fmt::format("leave requested by pid {} uid {}", caller.pid, caller.uid);
      // After the answer is on its way: stop() lets a write in flight finish.
      asio::post(io_, [this, why] { shutdown(why, 0, true); });
      break;
    }
    case ipc::Request::kReplicaStatus:
      response = replication_->status(request.replica_status());
      break;
    case ipc::Request::kReplicaCommand:  // answered by the deferred handler
      response.set_error("internal error: replica command on the plain path");
      break;
    case ipc::Request::BODY_NOT_SET:
      response.set_error("empty request");
      break;
  }
  return response;
}

// ----------------------------------------------------------------- outputs

void Runtime::Impl::after_input() {
  if (stopping_) return;
  drain();
  arm_timer();
}

void Runtime::Impl::drain() {
  // Ready's contract: persist, then send, then hand events on, in order.
  persist_ring_seq();
  membership::NodeReady ready = node_->take_ready();
  for (const auto& m : ready.messages) send(m);
  for (const auto& e : ready.events) on_event(e);
}

void Runtime::Impl::persist_ring_seq() {
  const uint64_t seq = node_->totem().high_ring_seq();
  if (seq <= persisted_ring_seq_) return;
  if (Status s = store_ring_seq(opt_.state_dir, opt_.self, seq); !s.ok()) {
    if (!ring_seq_error_logged_) {
      log_.error("[TOTEM ] cannot persist the ring seq: {}", s.error().message);
      ring_seq_error_logged_ = true;
    }
    return;
  }
  ring_seq_error_logged_ = false;
  persisted_ring_seq_ = seq;
}

void Runtime::Impl::send(const membership::Outgoing& m) {
  if (!m.bytes) return;
  if (m.to == opt_.self) {
    // Never re-enter the node from inside its own output handling.
    ++loopback_;
    asio::post(io_, [this, bytes = m.bytes] {
      if (stopping_) return;
      (void)node_->step(membership::input::Receive{opt_.self, *bytes}, steady_now());
      after_input();
    });
    return;
  }
  const auto ep = opt_.endpoints.find(m.to);
  if (ep == opt_.endpoints.end()) {
    ++udp_tx_errors_;
    return;
  }
  const std::string frame = sealer_->seal(*m.bytes);
  if (frame.size() > kMaxDatagramBytes) {
    ++udp_tx_oversize_;
    return;
  }
  error_code ec;
  socket_.send_to(asio::buffer(frame), ep->second, 0, ec);
  if (ec) {
    // Non-blocking: a full buffer or an unreachable peer loses this packet,
    // which Totem recovers from like any other loss.
    ++udp_tx_errors_;
    log_.trace("[TOTEM ] send to node {} failed: {}", m.to, ec.message());
    return;
  }
  ++udp_tx_;
}

void Runtime::Impl::arm_timer() {
  if (stopping_) return;
  const Time now = steady_now();
  const Time deadline = std::max(node_->next_deadline(), now + kMinTimerDelay);
  if (armed_deadline_ && *armed_deadline_ == deadline) return;
  armed_deadline_ = deadline;
  const uint64_t generation = ++timer_generation_;
  timer_.expires_at(Steady::time_point(std::chrono::duration_cast<Steady::duration>(deadline)));
  timer_.async_wait([this, generation](const error_code& ec) {
    if (ec == asio::error::operation_aborted) return;
    on_timer(generation);
  });
}

void Runtime::Impl::on_event(const membership::NodeEvent& e) {
  std::visit(
      [this](const auto& ev) {
        using T = std::decay_t<decltype(ev)>;
        if constexpr (std::is_same_v<T, membership::Configuration>) {
          on_configuration(ev);
        } else if constexpr (std::is_same_v<T, membership::TotemNote>) {
          on_note(ev);
        } else if constexpr (std::is_same_v<T, membership::QuorumEvent>) {
          on_quorum(ev);
        } else if constexpr (std::is_same_v<T, membership::Delivery>) {
          // No layer above membership runs in this build yet.
          ++app_deliveries_;
          log_.debug("[CPG   ] delivered {} bytes from node {} (no consumer)", ev.payload.size(),
                     ev.origin);
        }
      },
      e);
}

void Runtime::Impl::on_configuration(const membership::Configuration& c) {
  if (c.transitional) {
    log_.debug("[TOTEM ] Transitional membership ({}): {}", c.ring.str(), join_ids(c.members));
    return;
  }
  std::string text = fmt::format("A new membership ({}) was formed. Members", c.ring.str());
  if (!c.joined.empty()) text += " joined: " + join_ids(c.joined);
  if (!c.left.empty()) text += " left: " + join_ids(c.left);
  log_.info("[TOTEM ] {}", text);
  log_.info("[QUORUM] Sync members[{}]: {}", c.members.size(), join_ids(c.members));
}

void Runtime::Impl::on_note(const membership::TotemNote& n) {
  using K = membership::TotemNote::Kind;
  switch (n.kind) {
    case K::kTokenLost:
      log_.info("[TOTEM ] Token has not been received in {} ms", n.value);
      break;
    case K::kEnterGather:
      log_.debug("[TOTEM ] entering GATHER state ({})", n.text);
      break;
    case K::kEnterCommit:
      log_.debug("[TOTEM ] entering COMMIT state.");
      break;
    case K::kEnterRecovery:
      log_.debug("[TOTEM ] entering RECOVERY state.");
      break;
    case K::kConsensusTimeout:
      log_.info("[TOTEM ] Failed to receive consensus in time; failed: {}", n.text);
      break;
    case K::kFailedToReceive:
      log_.info("[TOTEM ] FAILED TO RECEIVE {}", n.text);
      break;
    case K::kMergeDetected:
      log_.debug("[TOTEM ] Another ring detected (node {}): merging", n.value);
      break;
    case K::kInstalled:
      log_.debug("[TOTEM ] entering OPERATIONAL state ({} members).", n.value);
      break;
  }
}

void Runtime::Impl::on_quorum(const membership::QuorumEvent& q) {
  if (!announced_quorate_ || *announced_quorate_ != q.quorate) {
    if (q.quorate) {
      log_.info("[QUORUM] This node is within the primary component and will provide service.");
    } else {
      log_.info(
          "[QUORUM] This node is within the non-primary component and will NOT provide any "
          "services.");
    }
    announced_quorate_ = q.quorate;
  }
  if (!q.members.empty()) {  // empty: quorate by own votes before any ring formed
    log_.info("[QUORUM] Members[{}]: {}", q.members.size(), join_ids(q.members));
    log_.info("[MAIN  ] Completed service synchronization, ready to provide service.");
  }
  notify_systemd(fmt::format("STATUS={}, ring {}, {} member{}: {}",
                             q.quorate ? "Quorate" : "Not quorate", q.ring.str(), q.members.size(),
                             q.members.size() == 1 ? "" : "s", join_ids(q.members)));
}

// --------------------------------------------------------------- IPC views

std::string Runtime::Impl::display_name(NodeId id) const {
  const auto* n = opt_.config.find_node(id);
  if (n == nullptr) return fmt::format("Node{}", id);
  return n->name.empty() ? n->ring0_addr : n->name;
}

void Runtime::Impl::fill_quorum_status(ipc::QuorumStatus* s) const {
  const membership::QuorumState q = node_->quorum();
  const auto& cfg = opt_.config;
  s->set_provider(cfg.quorum.provider.empty() ? "corosync_votequorum" : cfg.quorum.provider);
  s->set_local_nodeid(opt_.self);
  s->set_ring_rep(q.ring.rep);
  s->set_ring_seq(q.ring.seq);
  s->set_quorate(q.quorate);
  s->set_expected_votes(q.expected_votes);
  s->set_highest_expected(q.highest_expected);
  s->set_total_votes(q.total_votes);
  s->set_quorum(q.quorum);
  for (const auto& f : q.flags) s->add_flags(f);
  for (NodeId id : q.members) {
    auto* m = s->add_members();
    m->set_nodeid(id);
    const auto it = std::find_if(q.nodes.begin(), q.nodes.end(),
                                 [id](const membership::VqNode& n) { return n.nodeid == id; });
    if (it != q.nodes.end()) {
      m->set_votes(it->votes);
      m->set_expected_votes(it->expected_votes);
    }
    m->set_name(display_name(id));
    m->set_local(id == opt_.self);
    if (const auto* n = cfg.find_node(id)) m->set_address(n->ring0_addr);
  }
  s->set_now_unix_ms(unix_now_ms());
  s->set_cluster_name(cfg.cluster_name);
}

void Runtime::Impl::fill_ring_status(ipc::RingStatus* s) const {
  const auto& totem = node_->totem();
  s->set_local_nodeid(opt_.self);
  s->set_transport("udpu");
  if (const auto ep = opt_.endpoints.find(opt_.self); ep != opt_.endpoints.end()) {
    s->set_local_address(ep->second.address().to_string());
  }
  s->set_state(membership::to_string(totem.state()));
  s->set_ring_rep(totem.ring_id().rep);
  s->set_ring_seq(totem.ring_id().seq);
  const auto& members = totem.members();
  for (const auto& n : opt_.config.nodes) {
    auto* p = s->add_peers();
    p->set_nodeid(n.nodeid);
    const auto ep = opt_.endpoints.find(n.nodeid);
    p->set_address(ep != opt_.endpoints.end() ? ep->second.address().to_string() : n.ring0_addr);
    p->set_connected(std::find(members.begin(), members.end(), n.nodeid) != members.end());
    p->set_local(n.nodeid == opt_.self);
  }
  auto& c = *s->mutable_counters();
  const auto& t = totem.counters();
  c["packets_rx"] = t.packets_in;
  c["packets_tx"] = t.packets_out;
  c["malformed"] = t.malformed;
  c["foreign"] = t.foreign;
  c["stale"] = t.stale;
  c["tokens"] = t.tokens;
  c["token_retransmits"] = t.token_retransmits;
  c["mcasts_sent"] = t.mcasts_sent;
  c["retransmits"] = t.retransmits;
  c["delivered"] = t.delivered;
  c["rings_formed"] = t.rings_formed;
  c["token_losses"] = t.token_losses;
  c["consensus_timeouts"] = t.consensus_timeouts;
  c["submit_rejected"] = t.submit_rejected;
  c["dropped_payloads"] = node_->dropped_payloads();

  uint64_t dropped = 0;
  for (size_t i = 0; i < crypto::kDropReasonCount; ++i) {
    const auto reason = static_cast<crypto::DropReason>(i);
    const uint64_t v = opener_->dropped(reason);
    c[std::string("frames_dropped_") + crypto::to_string(reason)] = v;
    dropped += v;
  }
  c["frames_accepted"] = opener_->accepted();
  c["frames_dropped"] = dropped;
  c["auth_failed"] = opener_->dropped(crypto::DropReason::kBadMac);
  c["replayed"] = opener_->dropped(crypto::DropReason::kReplayed) +
                  opener_->dropped(crypto::DropReason::kOldIncarnation);

  c["udp_rx_datagrams"] = udp_rx_;
  c["udp_rx_errors"] = udp_rx_errors_;
  c["udp_rx_oversize"] = udp_rx_oversize_;
  c["udp_tx_datagrams"] = udp_tx_;
  c["udp_tx_errors"] = udp_tx_errors_;
  c["udp_tx_oversize"] = udp_tx_oversize_;
  c["unknown_sender"] = unknown_sender_;
  c["loopback"] = loopback_;
  c["app_deliveries"] = app_deliveries_;
}

// ---------------------------------------------------------------- Runtime

Runtime::Runtime(asio::io_context& io, RuntimeOptions options, DaemonLog& log)
    : impl_(std::make_unique<Impl>(io, std::move(options), log)) {}

Runtime::~Runtime() = default;

Status Runtime::start() { return impl_->start(); }

int Runtime::exit_code() const { return impl_->exit_code(); }

}  // namespace quorate::daemon
