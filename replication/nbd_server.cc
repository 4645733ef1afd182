// NbdServer (see nbd_server.h): Boost.Asio glue around NbdServerCodec, with
// plain completion handlers (no coroutines, so the library also builds with
// clang for the fuzzers). One accept chain per listener; per connection reads
// while the codec wants input, writes whatever output the codec has, and
// pump() hands codec events to the BlockTarget.
#include "replication/nbd_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cassert>
#include <cerrno>
#include <cstring>
#include <filesystem>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // Asio 1.74 false positive, see nbd_server.h
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop
#include <fmt/format.h>

namespace quorate::replication {

namespace asio = boost::asio;
using generic_stream = asio::generic::stream_protocol;
using generic_acceptor = asio::basic_socket_acceptor<generic_stream>;
using boost::system::error_code;

// --- ExportRegistry ----------------------------------------------------------

Status ExportRegistry::add(const std::string& name, BlockTarget& target, ExportOptions options) {
  if (name.empty() || name.size() > nbd::kMaxStringBytes) {
    return Error{fmt::format("nbd export name must be 1..{} bytes, got {}", nbd::kMaxStringBytes,
                             name.size())};
  }
  if (name.find('\0') != std::string::npos) {
    return Error{"nbd export name contains a NUL byte"};
  }
  if (options.min_block_bytes != 1 && options.min_block_bytes != 512) {
    return Error{fmt::format("nbd export {}: minimum block size must be 1 or 512, got {}", name,
                             options.min_block_bytes)};
  }
  if (exports_.count(name) != 0) return Error{fmt::format("nbd export {} already exists", name)};
  exports_.emplace(name, Entry{&target, std::move(options), {}});
  return Status::Ok();
}

const ExportRegistry::Entry* ExportRegistry::lookup(std::string_view name,
                                                    std::string* canonical) const {
  if (name.empty()) {
    if (exports_.size() != 1) return nullptr;
    if (canonical) *canonical = exports_.begin()->first;
    return &exports_.begin()->second;
  }
  const auto it = exports_.find(name);
  if (it == exports_.end()) return nullptr;
  if (canonical) *canonical = it->first;
  return &it->second;
}

BlockTarget* ExportRegistry::target(std::string_view name) const {
  const Entry* e = lookup(name, nullptr);
  return e ? e->target : nullptr;
}

ExportStats ExportRegistry::stats(std::string_view name) const {
  const auto it = exports_.find(name);
  return it == exports_.end() ? ExportStats{} : it->second.stats;
}

ExportStats* ExportRegistry::mutable_stats(std::string_view name) {
  const auto it = exports_.find(name);
  return it == exports_.end() ? nullptr : &it->second.stats;
}

std::optional<nbd::ExportInfo> ExportRegistry::find(std::string_view name) const {
  std::string canonical;
  const Entry* e = lookup(name, &canonical);
  if (!e) return std::nullopt;
  nbd::ExportInfo info;
  info.name = canonical;
  info.description = e->options.description;
  info.size_bytes = e->target->size();
  info.writable = e->target->writable();
  info.min_block_bytes = e->options.min_block_bytes;
  info.multi_conn = e->options.multi_conn;
  return info;
}

std::vector<nbd::ExportInfo> ExportRegistry::list() const {
  std::vector<nbd::ExportInfo> out;
  for (const auto& [name, e] : exports_) {
    auto info = find(name);
    assert(info);
    out.push_back(std::move(*info));
  }
  return out;
}

// --- Server state ------------------------------------------------------------

namespace {
struct Connection;
}  // namespace

struct NbdServer::State {
  State(asio::io_context& ctx, ExportRegistry& reg, NbdServerOptions opts)
      : io(ctx), exports(reg), options(std::move(opts)) {}

  asio::io_context& io;
  ExportRegistry& exports;
  NbdServerOptions options;
  std::vector<std::unique_ptr<generic_acceptor>> acceptors;
  std::vector<std::shared_ptr<Connection>> connections;
  std::vector<std::function<void()>> on_stopped;
  bool started = false;
  bool stopping = false;
  uint64_t next_connection = 1;
  uint16_t tcp_port = 0;
  ino_t socket_inode = 0;
  dev_t socket_dev = 0;

  void note(const std::string& line) const {
    if (options.on_event) options.on_event(line);
  }
  void forget(const std::shared_ptr<Connection>& c);
};

namespace {

using State = NbdServer::State;
constexpr size_t kReadChunkBytes = 256 * 1024;
// A payload rest at least this large is read in place (below it, one read
// into read_buf that also takes the next header costs less than two reads).
constexpr size_t kInPlaceMinBytes = 64 * 1024;

struct Connection : std::enable_shared_from_this<Connection> {
  Connection(std::shared_ptr<State> s, generic_stream::socket sock, std::string who)
      : state(std::move(s)),
        socket(std::move(sock)),
        peer(std::move(who)),
        codec(state->exports, state->options.limits),
        read_buf(kReadChunkBytes),
        handshake_timer(socket.get_executor()),
        write_timer(socket.get_executor()) {}

  std::string label() const {
    return export_name.empty() ? fmt::format("nbd {}", peer)
                               : fmt::format("nbd export {} ({})", export_name, peer);
  }

  void start() {
    auto self = shared_from_this();
    handshake_timer.expires_after(state->options.handshake_timeout);
    handshake_timer.async_wait([self](const error_code& ec) {
      if (ec || self->socket_closed || self->codec.in_transmission()) return;
      self->state->note(fmt::format("{}: handshake not finished within {} ms; closing",
                                    self->label(),
                                    self->state->options.handshake_timeout.count()));
      self->close_socket();
    });
    pump();  // sends the greeting, starts reading
  }

  // Reads while the codec wants input; pump() calls it again after each change.
  void read_more() {
    if (reading || socket_closed || !codec.want_input()) return;
    reading = true;
    auto self = shared_from_this();
    // The rest of a large WRITE's payload is read straight into its request's
    // buffer (the codec keeps it alive while this read is under way); the
    // rest through read_buf, which also picks up the next header.
    const std::span<uint8_t> space = codec.payload_space();
    const bool in_place = space.size() >= kInPlaceMinBytes;
    auto buf = in_place ? asio::buffer(space.data(), space.size()) : asio::buffer(read_buf);
    socket.async_read_some(buf, [self, in_place](const error_code& ec, size_t n) {
      self->reading = false;
      if (self->socket_closed || self->codec.closed()) {
        self->pump();
        return;
      }
      if (ec) {
        // The client went away (or stop() shut the receive side): answer
        // what is in flight, then close.
        self->codec.shutdown(ec == asio::error::eof ? "client closed the connection"
                                                    : "read failed: " + ec.message());
      } else if (in_place) {
        self->codec.payload_received(n);
      } else {
        self->codec.consume(std::span<const uint8_t>(self->read_buf.data(), n));
      }
      self->pump();
    });
  }

  void pump() {
    if (in_pump) return;  // the outer pump picks up what an inline completion produced
    in_pump = true;
    for (;;) {
      std::vector<nbd::Event> events = codec.take_events();
      if (events.empty()) break;
      for (nbd::Event& ev : events) handle(ev);
    }
    in_pump = false;
    if (socket_closed) {
      (void)codec.take_output();
    } else {
      start_write();
      if (!writing && codec.finished()) close_socket();
    }
    read_more();
    maybe_finish();
  }

  void handle(nbd::Event& ev) {
    if (auto* sel = std::get_if<nbd::ExportSelected>(&ev)) {
      export_name = sel->info.name;
      target = state->exports.target(export_name);
      stats = state->exports.mutable_stats(export_name);
      assert(target && stats);
      handshake_timer.cancel();
      ++stats->connections_total;
      ++stats->connections_open;
      counted_open = true;
    } else if (auto* req = std::get_if<nbd::Request>(&ev)) {
      run(std::move(*req));
    } else if (auto* closed = std::get_if<nbd::Closed>(&ev)) {
      if (!closed->clean) state->note(fmt::format("{}: closing: {}", label(), closed->reason));
    } else if (auto* notice = std::get_if<nbd::Notice>(&ev)) {
      if (stats) ++stats->errors;
      state->note(fmt::format("{}: {}", label(), notice->text));
    }
  }

  void run(nbd::Request r) {
    assert(target && stats);
    ++stats->requests;
    auto self = shared_from_this();
    const uint64_t id = r.id;
    const nbd::Command cmd = r.command;
    const uint32_t length = r.length;
    auto done = [self, id, cmd, length](int error) { self->finish(id, cmd, length, error, {}); };
    switch (cmd) {
      case nbd::Command::kRead:
        target->read(r.offset, r.length,
                     [self, id, cmd, length](int error, std::span<const uint8_t> data) {
                       self->finish(id, cmd, length, error, data);
                     });
        break;
      case nbd::Command::kWrite: {
        // The payload must stay alive until the target is done with it.
        auto payload = std::make_shared<const std::vector<uint8_t>>(std::move(r.payload));
        target->write_owned(r.offset, std::move(payload), r.fua,
                            [self, id, cmd, length](int error) { self->finish(id, cmd, length, error, {}); });
        break;
      }
      case nbd::Command::kFlush:
        target->flush(done);
        break;
      case nbd::Command::kTrim:
        target->trim(r.offset, r.length, done);
        break;
      case nbd::Command::kWriteZeroes:
        target->write_zeroes(r.offset, r.length, r.fua, done);
        break;
      case nbd::Command::kDisc:
        assert(false && "DISC never reaches run()");
        break;
    }
  }

  void finish(uint64_t id, nbd::Command cmd, uint32_t length, int error,
              std::span<const uint8_t> data) {
    const bool writes = cmd == nbd::Command::kWrite || cmd == nbd::Command::kTrim ||
                        cmd == nbd::Command::kWriteZeroes;
    if (error != 0) {
      ++stats->errors;
      if (error == EROFS && writes) {
        if (!read_only_logged) {
          state->note(fmt::format("{}: {} refused (EPERM to the client): {}", label(),
                                  nbd::command_name(static_cast<uint16_t>(cmd)),
                                  target->read_only_reason()));
          read_only_logged = true;
        }
      } else {
        state->note(fmt::format("{}: {} of {} bytes failed: {}", label(),
                                nbd::command_name(static_cast<uint16_t>(cmd)), length,
                                std::strerror(error)));
      }
    } else {
      if (cmd == nbd::Command::kRead) stats->bytes_read += length;
      if (cmd == nbd::Command::kWrite) stats->bytes_written += length;
      if (writes) read_only_logged = false;
    }
    codec.complete(id, error, data);
    pump();
  }

  void start_write() {
    if (writing || socket_closed) return;
    write_buf = codec.take_output();
    if (write_buf.empty()) return;
    writing = true;
    auto self = shared_from_this();
    write_timer.expires_after(state->options.write_timeout);
    write_timer.async_wait([self](const error_code& ec) {
      if (ec || !self->writing) return;
      self->state->note(fmt::format("{}: client did not take replies for {} ms; closing",
                                    self->label(), self->state->options.write_timeout.count()));
      self->close_socket();
    });
    asio::async_write(socket, asio::buffer(write_buf), [self](const error_code& ec, size_t) {
      self->writing = false;
      self->write_timer.cancel();
      if (ec) {
        if (!self->socket_closed && ec != asio::error::operation_aborted) {
          self->codec.shutdown("write failed: " + ec.message());
        }
        self->close_socket();
      }
      self->pump();
    });
  }

  // Stop: read no more requests; in-flight ones are answered, then close.
  void begin_shutdown() {
    codec.shutdown("the server is stopping");
    error_code ignored;
    socket.shutdown(generic_stream::socket::shutdown_receive, ignored);
    pump();
  }

  void close_socket() {
    if (socket_closed) return;
    socket_closed = true;
    error_code ignored;
    socket.shutdown(generic_stream::socket::shutdown_both, ignored);
    socket.close(ignored);
    handshake_timer.cancel();
    write_timer.cancel();
    maybe_finish();
  }

  // Gone once the socket is closed and the target owes nothing.
  void maybe_finish() {
    if (finished || !socket_closed || codec.in_flight() != 0 || in_pump) return;
    finished = true;
    if (counted_open) --stats->connections_open;
    state->forget(shared_from_this());
  }

  std::shared_ptr<State> state;
  generic_stream::socket socket;
  std::string peer;
  nbd::NbdServerCodec codec;
  std::vector<uint8_t> read_buf;
  asio::steady_timer handshake_timer;
  asio::steady_timer write_timer;
  std::vector<uint8_t> write_buf;
  std::string export_name;
  BlockTarget* target = nullptr;
  ExportStats* stats = nullptr;
  bool in_pump = false;
  bool reading = false;
  bool writing = false;
  bool socket_closed = false;
  bool finished = false;
  bool counted_open = false;
  bool read_only_logged = false;
};

std::string describe_peer(generic_stream::socket& sock, uint64_t number) {
  error_code ec;
  const generic_stream::endpoint ep = sock.remote_endpoint(ec);
  if (!ec && ep.data()->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, ep.data(), sizeof sin);
    const uint32_t a = ntohl(sin.sin_addr.s_addr);
    return fmt::format("client #{} tcp {}.{}.{}.{}:{}", number, a >> 24, (a >> 16) & 255,
                       (a >> 8) & 255, a & 255, ntohs(sin.sin_port));
  }
  if (!ec && ep.data()->sa_family == AF_UNIX) {
    struct ucred cred {};
    socklen_t len = sizeof cred;
    if (getsockopt(sock.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
      return fmt::format("client #{} pid {}", number, cred.pid);
    }
  }
  return fmt::format("client #{}", number);
}

void accept_next(std::shared_ptr<State> s, generic_acceptor* acceptor) {
  if (s->stopping) return;
  acceptor->async_accept([s, acceptor](const error_code& ec, generic_stream::socket sock) {
    if (s->stopping || ec == asio::error::operation_aborted) return;
    if (ec) {
      // Out of descriptors or similar: back off a little instead of spinning.
      s->note("nbd: accept failed: " + ec.message());
      auto pause = std::make_shared<asio::steady_timer>(s->io, std::chrono::milliseconds(100));
      pause->async_wait([s, acceptor, pause](const error_code&) { accept_next(s, acceptor); });
      return;
    }
    const uint64_t number = s->next_connection++;
    if (s->connections.size() >= s->options.max_connections) {
      s->note(fmt::format("nbd: refusing client #{}: {} connections open", number,
                          s->connections.size()));
      error_code ignored;
      sock.close(ignored);
    } else {
      error_code lec;
      if (acceptor->local_endpoint(lec).data()->sa_family != AF_UNIX) {
        const int one = 1;
        (void)setsockopt(sock.native_handle(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      }
      std::string who = describe_peer(sock, number);
      auto c = std::make_shared<Connection>(s, std::move(sock), std::move(who));
      s->connections.push_back(c);
      c->start();
    }
    accept_next(s, acceptor);
  });
}

}  // namespace

void NbdServer::State::forget(const std::shared_ptr<Connection>& c) {
  const auto it = std::find(connections.begin(), connections.end(), c);
  if (it != connections.end()) connections.erase(it);
  if (stopping && connections.empty()) {
    auto callbacks = std::exchange(on_stopped, {});
    for (auto& cb : callbacks) {
      if (cb) cb();
    }
  }
}

NbdServer::NbdServer(asio::io_context& io, ExportRegistry& exports, NbdServerOptions options)
    : state_(std::make_shared<State>(io, exports, std::move(options))) {
  assert(state_->options.max_connections > 0);
}

NbdServer::~NbdServer() { stop(); }

namespace {

Status listen_unix(State& s) {
  const std::string& path = s.options.unix_socket_path;
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Error{fmt::format("nbd socket path is too long ({} bytes, at most {}): {}", path.size(),
                             sizeof(sockaddr_un::sun_path) - 1, path)};
  }
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code fec;
    std::filesystem::create_directories(parent, fec);
    if (fec) return Error{fmt::format("cannot create {}: {}", parent.string(), fec.message())};
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      return Error{fmt::format("refusing to replace {}: it exists and is not a socket", path)};
    }
    asio::local::stream_protocol::socket probe(s.io);
    error_code ec;
    probe.connect(asio::local::stream_protocol::endpoint(path), ec);
    if (!ec) return Error{fmt::format("{} is in use: another NBD server answers there", path)};
    if (unlink(path.c_str()) != 0 && errno != ENOENT) {
      return Error{fmt::format("cannot remove stale socket {}: {}", path, std::strerror(errno))};
    }
  }
  auto acceptor = std::make_unique<generic_acceptor>(s.io);
  const generic_stream::endpoint ep{asio::local::stream_protocol::endpoint(path)};
  error_code ec;
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (ec) return Error{fmt::format("cannot bind nbd socket {}: {}", path, ec.message())};
  if (chmod(path.c_str(), s.options.socket_mode) != 0) {
    const int err = errno;
    unlink(path.c_str());
    return Error{fmt::format("cannot chmod nbd socket {}: {}", path, std::strerror(err))};
  }
  if (lstat(path.c_str(), &st) == 0) {
    s.socket_inode = st.st_ino;
    s.socket_dev = st.st_dev;
  }
  acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    unlink(path.c_str());
    return Error{fmt::format("cannot listen on nbd socket {}: {}", path, ec.message())};
  }
  s.acceptors.push_back(std::move(acceptor));
  return Status::Ok();
}

Status listen_tcp(State& s, const asio::ip::tcp::endpoint& where) {
  auto acceptor = std::make_unique<generic_acceptor>(s.io);
  const generic_stream::endpoint ep{where};
  error_code ec;
  acceptor->open(ep.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(ep, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  const std::string addr = where.address().to_string() + ":" + std::to_string(where.port());
  if (ec) return Error{fmt::format("cannot listen for nbd on tcp {}: {}", addr, ec.message())};
  const generic_stream::endpoint bound = acceptor->local_endpoint(ec);
  if (!ec && bound.data()->sa_family == AF_INET) {
    sockaddr_in sin{};
    std::memcpy(&sin, bound.data(), sizeof sin);
    s.tcp_port = ntohs(sin.sin_port);
  } else if (!ec && bound.data()->sa_family == AF_INET6) {
    sockaddr_in6 sin6{};
    std::memcpy(&sin6, bound.data(), sizeof sin6);
    s.tcp_port = ntohs(sin6.sin6_port);
  }
  s.acceptors.push_back(std::move(acceptor));
  return Status::Ok();
}

void unlink_own_socket(State& s) {
  if (s.options.unix_socket_path.empty() || s.socket_inode == 0) return;
  struct stat st {};
  if (lstat(s.options.unix_socket_path.c_str(), &st) == 0 && st.st_ino == s.socket_inode &&
      st.st_dev == s.socket_dev) {
    unlink(s.options.unix_socket_path.c_str());
  }
  s.socket_inode = 0;
}

}  // namespace

Status NbdServer::start() {
  State& s = *state_;
  assert(!s.started && !s.stopping);
  if (s.options.unix_socket_path.empty() && !s.options.tcp_endpoint) {
    return Error{"nbd server: neither a Unix socket path nor a TCP endpoint given"};
  }
  if (!s.options.unix_socket_path.empty()) {
    if (Status st = listen_unix(s); !st.ok()) {
      s.acceptors.clear();
      return st;
    }
  }
  if (s.options.tcp_endpoint) {
    if (Status st = listen_tcp(s, *s.options.tcp_endpoint); !st.ok()) {
      s.acceptors.clear();
      unlink_own_socket(s);
      return st;
    }
  }
  s.started = true;
  for (auto& a : s.acceptors) accept_next(state_, a.get());
  return Status::Ok();
}

void NbdServer::stop(std::function<void()> on_stopped) {
  State& s = *state_;
  if (on_stopped) s.on_stopped.push_back(std::move(on_stopped));
  if (!s.stopping) {
    s.stopping = true;
    for (auto& a : s.acceptors) {
      error_code ignored;
      a->close(ignored);
    }
    unlink_own_socket(s);
    const auto connections = s.connections;
    for (const auto& c : connections) c->begin_shutdown();
  }
  if (s.connections.empty()) {
    auto callbacks = std::exchange(s.on_stopped, {});
    for (auto& cb : callbacks) cb();
  }
}

uint16_t NbdServer::tcp_port() const { return state_->tcp_port; }
size_t NbdServer::open_connections() const { return state_->connections.size(); }

}  // namespace quorate::replication
