// bench_delivery: Totem ordered (agreed) delivery through the real protocol
// over the kernel's UDP loopback, in one process.
//
// N MembershipNodes (Totem + votequorum, membership/node.h), each with its own
// UDP socket bound to 127.0.0.i:PORT, frames sealed and opened with the
// daemon's codec (common/crypto.h, aes256 + sha256 as `quorate cluster up`
// configures), all driven by ONE thread with ppoll() and a steady clock, as
// the daemon drives one node. Token 1000 ms (effective timers of
// membership/cluster_config.h for N nodes).
//
// Per (N, payload): (1) saturation: every node keeps its submit queue topped
// up for --secs seconds; messages/s and MB/s of application payload delivered
// at node 1 (every node delivers every message). (2) latency: every node
// submits at an even pace totalling half the saturated rate; p50/p99/max of
// submit-to-delivery time over every (message, node) delivery. Baseline row,
// same thread: raw UDP sendto/recvfrom of the same payload (split into
// <= 1400 B datagrams like Totem's fragments) from one socket to N-1 others.
//
// Usage: bench_delivery [--port P] [--secs S] [--nodes 3,8]
// Every loop is bounded by count and time; no child processes.
#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "common/crypto.h"
#include "membership/cluster_config.h"
#include "membership/node.h"

using namespace quorate;
using namespace quorate::bench;
using membership::Time;

namespace {

Time now_us() { return std::chrono::duration_cast<Time>(Clock::now().time_since_epoch()); }

sockaddr_in addr_of(int i, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(0x7f000000u + static_cast<uint32_t>(i));
  return a;
}

const sockaddr* as_sa(const sockaddr_in* a) { return reinterpret_cast<const sockaddr*>(a); }

int open_socket(int i, uint16_t port, int* rcvbuf) {
  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  int want = 8 << 20;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &want, sizeof want);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
  socklen_t len = sizeof *rcvbuf;
  ::getsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf, &len);
  const sockaddr_in a = addr_of(i, port);
  if (::bind(fd, as_sa(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

std::string authkey() {
  std::string k(256, '\0');
  for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<char>((i * 131 + 7) & 0xff);
  return k;
}

struct Node {
  std::unique_ptr<membership::MembershipNode> m;
  int fd = -1;
  std::optional<crypto::FrameSealer> sealer;
  std::optional<crypto::FrameOpener> opener;
};

class Ring {
 public:
  Ring(int n, uint16_t port) : n_(n), port_(port) {}
  ~Ring() {
    for (auto& nd : nodes_) {
      if (nd.fd >= 0) ::close(nd.fd);
    }
  }
  Ring(const Ring&) = delete;
  Ring& operator=(const Ring&) = delete;

  std::string setup(uint64_t incarnation) {
    std::string text =
        "totem {\n version: 2\n cluster_name: bench\n transport: udpu\n"
        " crypto_cipher: aes256\n crypto_hash: sha256\n token: 1000\n"
        " interface {\n  mcastport: " +
        std::to_string(port_) +
        "\n }\n}\n"
        "nodelist {\n";
    for (int i = 1; i <= n_; ++i) {
      text += fmt::format(" node {{\n  nodeid: {}\n  ring0_addr: 127.0.0.{}\n }}\n", i, i);
    }
    text += "}\nquorum {\n provider: corosync_votequorum\n}\n";
    std::vector<std::string> warnings;
    auto cfg = membership::parse_cluster_config(text, "bench.conf", &warnings);
    if (!cfg.ok()) return cfg.error().message;
    const std::string key = authkey();
    nodes_.resize(static_cast<size_t>(n_) + 1);
    for (int i = 1; i <= n_; ++i) {
      Node& nd = nodes_[static_cast<size_t>(i)];
      nd.fd = open_socket(i, port_, &rcvbuf_);
      if (nd.fd < 0) return fmt::format("bind 127.0.0.{}:{}: {}", i, port_, std::strerror(errno));
      auto s = crypto::FrameSealer::create(key, crypto::Hash::kSha256, crypto::Cipher::kAes256,
                                           static_cast<uint32_t>(i), incarnation);
      auto o = crypto::FrameOpener::create(key, crypto::Hash::kSha256, crypto::Cipher::kAes256);
      if (!s.ok() || !o.ok()) return "frame codec";
      nd.sealer.emplace(std::move(s).value());
      nd.opener.emplace(std::move(o).value());
      auto m = membership::MembershipNode::create(*cfg, static_cast<uint32_t>(i), incarnation,
                                                  incarnation * 100, now_us());
      if (!m.ok()) return m.error().message;
      nd.m = std::move(m).value();
    }
    for (int i = 1; i <= n_; ++i) drain(i);
    return {};
  }

  int rcvbuf() const { return rcvbuf_; }

  bool formed() const {
    for (int i = 1; i <= n_; ++i) {
      const auto& t = nodes_[static_cast<size_t>(i)].m->totem();
      if (t.state() != membership::TotemState::kOperational ||
          t.members().size() != static_cast<size_t>(n_))
        return false;
    }
    return true;
  }

  membership::MembershipNode& node(int i) { return *nodes_[static_cast<size_t>(i)].m; }

  // One pass: wait until input or a deadline (at most until `wake`), then
  // handle every readable socket, local loopback and expired timer.
  void run_once(Time wake) {
    Time deadline = wake;
    for (int i = 1; i <= n_; ++i) deadline = std::min(deadline, node(i).next_deadline());
    std::vector<pollfd> fds;
    for (int i = 1; i <= n_; ++i) fds.push_back({nodes_[static_cast<size_t>(i)].fd, POLLIN, 0});
    Time wait = deadline - now_us();
    if (!local_.empty()) wait = Time(0);
    if (wait < Time(0)) wait = Time(0);
    if (wait > Time(100000)) wait = Time(100000);
    timespec ts{static_cast<time_t>(wait.count() / 1000000),
                static_cast<long>((wait.count() % 1000000) * 1000)};
    const int r = ::ppoll(fds.data(), fds.size(), &ts, nullptr);
    for (int i = 1; r > 0 && i <= n_; ++i) {
      if ((fds[static_cast<size_t>(i - 1)].revents & POLLIN) == 0) continue;
      Node& nd = nodes_[static_cast<size_t>(i)];
      for (int k = 0; k < 256; ++k) {  // bounded drain per socket per pass
        const ssize_t got = ::recv(nd.fd, buf_.data(), buf_.size(), 0);
        if (got < 0) break;
        ++udp_rx_;
        auto opened = nd.opener->open(std::string_view(buf_.data(), static_cast<size_t>(got)));
        auto* f = std::get_if<crypto::OpenedFrame>(&opened);
        if (f == nullptr || f->sender == static_cast<uint32_t>(i)) continue;
        (void)nd.m->step(membership::input::Receive{f->sender, f->payload}, now_us());
        drain(i);
      }
    }
    for (size_t k = 0, n = local_.size(); k < n; ++k) {
      auto [i, bytes] = std::move(local_.front());
      local_.pop_front();
      (void)node(i).step(membership::input::Receive{static_cast<uint32_t>(i), *bytes}, now_us());
      drain(i);
    }
    const Time now = now_us();
    for (int i = 1; i <= n_; ++i) {
      if (node(i).next_deadline() <= now) {
        (void)node(i).step(membership::input::Tick{}, now);
        drain(i);
      }
    }
  }

  Status submit(int i, std::string payload) {
    Status s = node(i).step(membership::input::Submit{std::move(payload)}, now_us());
    drain(i);
    return s;
  }

  // Delivery callback: (node, payload, now).
  std::function<void(int, const std::string&, Time)> on_delivery;
  uint64_t udp_rx() const { return udp_rx_; }
  uint64_t udp_tx_errors() const { return udp_tx_errors_; }

 private:
  void drain(int i) {
    Node& nd = nodes_[static_cast<size_t>(i)];
    auto ready = nd.m->take_ready();
    for (auto& out : ready.messages) {
      if (out.to == static_cast<uint32_t>(i)) {
        local_.emplace_back(i, out.bytes);
        continue;
      }
      if (out.to < 1 || out.to > static_cast<uint32_t>(n_)) continue;
      const std::string frame = nd.sealer->seal(*out.bytes);
      const sockaddr_in to = addr_of(static_cast<int>(out.to), port_);
      if (::sendto(nd.fd, frame.data(), frame.size(), 0, as_sa(&to), sizeof to) < 0)
        ++udp_tx_errors_;
    }
    if (!on_delivery) return;
    const Time now = now_us();
    for (auto& e : ready.events) {
      if (auto* d = std::get_if<membership::Delivery>(&e)) on_delivery(i, d->payload, now);
    }
  }

  int n_;
  uint16_t port_;
  int rcvbuf_ = 0;
  std::vector<Node> nodes_;
  std::deque<std::pair<int, std::shared_ptr<const std::string>>> local_;
  std::vector<char> buf_ = std::vector<char>(70000);
  uint64_t udp_rx_ = 0, udp_tx_errors_ = 0;
};

std::string make_payload(size_t size, Time stamp) {
  std::string p(size, 'x');
  const int64_t v = stamp.count();
  std::memcpy(p.data(), &v, sizeof v);
  return p;
}

Time stamp_of(const std::string& p) {
  int64_t v = 0;
  if (p.size() >= sizeof v) std::memcpy(&v, p.data(), sizeof v);
  return Time(v);
}

struct Row {
  int nodes = 0;
  size_t payload = 0;
  double msgs_per_s = 0, mb_per_s = 0;
  double half_rate = 0, lat_p50 = 0, lat_p99 = 0, lat_max = 0, achieved = 0;
  double raw_msgs_per_s = 0, raw_mb_per_s = 0;
  uint64_t tx_errors = 0;
  std::string problem;
};

// Raw UDP: one sender, n-1 receivers, same payload split in <= 1400 B
// datagrams; a message counts once all its datagrams reached every receiver.
void raw_baseline(int n, size_t payload, uint16_t port, double secs, Row* res) {
  int rb = 0;
  std::vector<int> fds;
  for (int i = 1; i <= n; ++i) fds.push_back(open_socket(i, port, &rb));
  for (int fd : fds) {
    if (fd < 0) {
      res->problem = "raw baseline: bind failed";
      for (int f : fds) {
        if (f >= 0) ::close(f);
      }
      return;
    }
  }
  const size_t dgram = std::min<size_t>(payload, 1400);
  const size_t per_msg = (payload + dgram - 1) / dgram;
  std::string data(dgram, 'r');
  std::vector<char> buf(70000);
  uint64_t received = 0, sent_dgrams = 0;
  const auto t0 = Clock::now();
  const auto end = t0 + std::chrono::duration<double>(secs);
  const uint64_t in_flight_cap = 64;  // datagrams per receiver outstanding
  while (Clock::now() < end) {
    // Send while every receiver has room (same-thread, no loss by design).
    while (sent_dgrams * static_cast<uint64_t>(n - 1) <
           received + in_flight_cap * static_cast<uint64_t>(n - 1)) {
      for (int j = 2; j <= n; ++j) {
        const sockaddr_in to = addr_of(j, port);
        (void)::sendto(fds[0], data.data(), data.size(), 0, as_sa(&to), sizeof to);
      }
      ++sent_dgrams;
    }
    for (int j = 1; j < n; ++j) {
      for (int k = 0; k < 256; ++k) {
        if (::recv(fds[static_cast<size_t>(j)], buf.data(), buf.size(), 0) < 0) break;
        ++received;
      }
    }
  }
  const double el = ms_since(t0) / 1000.0;
  const double msgs =
      static_cast<double>(received) / static_cast<double>(n - 1) / static_cast<double>(per_msg);
  res->raw_msgs_per_s = msgs / el;
  res->raw_mb_per_s = res->raw_msgs_per_s * static_cast<double>(payload) / 1e6;
  for (int f : fds) ::close(f);
}

Row measure(int n, size_t payload, uint16_t port, double secs, uint64_t incarnation) {
  Row res;
  res.nodes = n;
  res.payload = payload;
  Ring ring(n, port);
  if (std::string e = ring.setup(incarnation); !e.empty()) {
    res.problem = e;
    return res;
  }
  const auto form_deadline = Clock::now() + std::chrono::seconds(60);
  while (!ring.formed() && Clock::now() < form_deadline) ring.run_once(now_us() + Time(10000));
  if (!ring.formed()) {
    res.problem = fmt::format("ring of {} did not form within 60 s", n);
    return res;
  }
  // Let votequorum settle.
  const auto settle = Clock::now() + std::chrono::milliseconds(300);
  while (Clock::now() < settle) ring.run_once(now_us() + Time(10000));

  // (1) saturation.
  uint64_t delivered_at_1 = 0;
  bool measuring = false;
  ring.on_delivery = [&](int i, const std::string&, Time) {
    if (i == 1 && measuring) ++delivered_at_1;
  };
  const size_t frags = (payload + 1 + 1399) / 1400;
  const size_t target_pending = std::max<size_t>(64, 4 * frags);
  auto top_up = [&] {
    for (int i = 1; i <= n; ++i) {
      for (int k = 0; k < 64 && ring.node(i).totem().pending() < target_pending; ++k) {
        if (!ring.submit(i, make_payload(payload, now_us())).ok()) break;
      }
    }
  };
  const auto warm = Clock::now() + std::chrono::milliseconds(500);
  while (Clock::now() < warm) {
    top_up();
    ring.run_once(now_us());
  }
  measuring = true;
  auto t0 = Clock::now();
  auto end = t0 + std::chrono::duration<double>(secs);
  while (Clock::now() < end) {
    top_up();
    ring.run_once(now_us());
  }
  double el = ms_since(t0) / 1000.0;
  measuring = false;
  res.msgs_per_s = static_cast<double>(delivered_at_1) / el;
  res.mb_per_s = res.msgs_per_s * static_cast<double>(payload) / 1e6;
  if (!ring.formed()) res.problem = "ring changed during saturation";

  // Drain the backlog before the latency phase.
  const auto drain_end = Clock::now() + std::chrono::seconds(10);
  auto backlog = [&] {
    size_t p = 0;
    for (int i = 1; i <= n; ++i) p += ring.node(i).totem().pending();
    return p;
  };
  while (backlog() > 0 && Clock::now() < drain_end) ring.run_once(now_us());
  const auto quiet = Clock::now() + std::chrono::milliseconds(300);
  while (Clock::now() < quiet) ring.run_once(now_us() + Time(10000));

  // (2) latency at half the saturated rate, paced evenly, round robin.
  res.half_rate = res.msgs_per_s / 2;
  std::vector<double> lat;
  lat.reserve(1 << 20);
  uint64_t submitted = 0, delivered_1 = 0;
  ring.on_delivery = [&](int i, const std::string& p, Time now) {
    if (!measuring) return;
    if (lat.size() < (8u << 20))
      lat.push_back(static_cast<double>((now - stamp_of(p)).count()) / 1000.0);
    if (i == 1) ++delivered_1;
  };
  measuring = true;
  const Time start = now_us();
  const double gap_us = res.half_rate > 0 ? 1e6 / res.half_rate : 1e6;
  t0 = Clock::now();
  end = t0 + std::chrono::duration<double>(secs);
  while (Clock::now() < end) {
    const Time now = now_us();
    const auto due = static_cast<uint64_t>(static_cast<double>((now - start).count()) / gap_us);
    for (int k = 0; submitted < due && k < 10000; ++k) {
      const int i = 1 + static_cast<int>(submitted % static_cast<uint64_t>(n));
      (void)ring.submit(i, make_payload(payload, now_us()));
      ++submitted;
    }
    ring.run_once(start + Time(static_cast<int64_t>(static_cast<double>(submitted + 1) * gap_us)));
  }
  el = ms_since(t0) / 1000.0;
  // Let in-flight messages arrive (bounded), still counting their latency.
  const auto tail = Clock::now() + std::chrono::seconds(5);
  while (backlog() > 0 && Clock::now() < tail) ring.run_once(now_us());
  const auto tail2 = Clock::now() + std::chrono::milliseconds(200);
  while (Clock::now() < tail2) ring.run_once(now_us() + Time(10000));
  measuring = false;
  res.achieved = static_cast<double>(submitted) / el;
  res.lat_p50 = quantile(lat, 0.50);
  res.lat_p99 = quantile(lat, 0.99);
  res.lat_max = max_of(lat);
  if (delivered_1 + 16 < submitted)
    res.problem +=
        fmt::format(" latency phase: node1 delivered {} of {} submitted", delivered_1, submitted);
  res.tx_errors = ring.udp_tx_errors();
  if (!ring.formed()) res.problem += " ring changed during latency phase";
  return res;
}

}  // namespace

int main(int argc, char** argv) {
  uint16_t port = 31200;
  double secs = 3;
  std::vector<int> node_counts = {3, 8};
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--port")
      port = static_cast<uint16_t>(std::atoi(argv[i + 1]));
    else if (a == "--secs")
      secs = std::clamp(std::atof(argv[i + 1]), 0.2, 60.0);
    else if (a == "--nodes") {
      node_counts.clear();
      std::string s = argv[i + 1];
      for (size_t at = 0; at < s.size();) {
        const size_t comma = s.find(',', at);
        node_counts.push_back(std::clamp(std::atoi(s.substr(at, comma - at).c_str()), 2, 32));
        if (comma == std::string::npos) break;
        at = comma + 1;
      }
    }
  }
  std::vector<Row> rows;
  uint64_t incarnation = static_cast<uint64_t>(now_us().count() / 1000000);
  for (int n : node_counts) {
    for (size_t payload : {size_t{100}, size_t{1024}, size_t{65536}}) {
      Row r = measure(n, payload, port, secs, ++incarnation);
      raw_baseline(n, payload, static_cast<uint16_t>(port + 1), 1.0, &r);
      std::fprintf(stderr, "n=%d payload=%zu: %.0f msg/s, p50 %.2f ms %s\n", n, payload,
                   r.msgs_per_s, r.lat_p50, r.problem.c_str());
      rows.push_back(r);
      port = static_cast<uint16_t>(port + 2);
    }
  }
  print_machine();
  std::printf(
      "# bench_delivery: Totem agreed delivery, N MembershipNodes in ONE thread, each on "
      "its own UDP socket 127.0.0.i,\n# frames aes256+sha256, token 1000; %.1f s per "
      "phase. 'raw UDP' = same thread, sendto 1 -> N-1 sockets, <=1400 B datagrams.\n",
      secs);
  std::printf("%-6s %-8s %-12s %-10s %-12s %-10s %-8s %-12s %-10s %-10s %-10s %-7s\n", "nodes",
              "payload", "msg/s", "MB/s", "raw msg/s", "raw MB/s", "ratio", "half msg/s", "p50 ms",
              "p99 ms", "max ms", "txerr");
  for (const auto& r : rows) {
    std::printf(
        "%-6d %-8zu %-12.0f %-10.2f %-12.0f %-10.2f %-8.3f %-12.0f %-10.2f %-10.2f "
        "%-10.2f %-7lu\n",
        r.nodes, r.payload, r.msgs_per_s, r.mb_per_s, r.raw_msgs_per_s, r.raw_mb_per_s,
        r.raw_mb_per_s > 0 ? r.mb_per_s / r.raw_mb_per_s : 0, r.achieved, r.lat_p50, r.lat_p99,
        r.lat_max, static_cast<unsigned long>(r.tx_errors));
    if (!r.problem.empty())
      std::printf("# problem (%d nodes, %zu B):%s\n", r.nodes, r.payload, r.problem.c_str());
  }
  return 0;
}
