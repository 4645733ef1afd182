// quorated: the cluster daemon's entry point. Parses the command line, loads
// and checks the cluster file (--check stops there, like `corosync -t`),
// picks this node's nodelist entry, prepares the state and run directories,
// the authkey, the incarnation and the ring seq, then hands everything to
// daemon::Runtime on a single-threaded io_context. All the work happens in
// the helpers beside this file; exceptions stop here.
//
// Exit codes: 0 clean stop (or a valid --check), 1 start-up or runtime
// error (or an invalid --check), 2 bad command-line arguments.
#include <fmt/format.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <exception>
#include <malloc.h>

#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"  // Asio 1.74 false positive, see ipc_server.h
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include "common/crypto.h"
#include "daemon/addresses.h"
#include "daemon/daemonize.h"
#include "daemon/logging.h"
#include "daemon/runtime.h"
#include "daemon/state_files.h"
#include "membership/cluster_config.h"
#include "membership/votequorum.h"

namespace {

using namespace quorate;

constexpr int kExitOk = 0;
constexpr int kExitError = 1;
constexpr int kExitUsage = 2;

struct Args {
  std::string config;
  std::optional<std::string> node;
  std::string state_dir = "/var/lib/quorate";
  std::string run_dir = "/run/quorate";
  std::optional<std::string> replication_dir;
  std::optional<std::string> nbd_tcp;
  bool block_devices = false;
  bool foreground = false;
  bool check = false;
  bool debug = false;
};

int fail(const std::string& message) {
  std::cerr << "quorated: " << message << "\n";
  return kExitError;
}

std::string absolute_path(const std::string& p) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(p, ec);
  return ec ? p : abs.lexically_normal().string();
}

// --check: the file parses and validates (votequorum's rules included).
int check(const Args& args) {
  std::vector<std::string> warnings;
  auto config = membership::load_cluster_config(args.config, &warnings);
  for (const auto& w : warnings) std::cerr << w << "\n";
  if (!config.ok()) return fail(config.error().message);
  if (!config->nodes.empty()) {
    auto vq = membership::Votequorum::create(config->quorum, config->nodes,
                                             config->nodes.front().nodeid, membership::Time{0});
    if (!vq.ok()) return fail(fmt::format("{}: {}", args.config, vq.error().message));
    for (const auto& w : vq->warnings()) std::cerr << args.config << ": " << w << "\n";
  }
  std::cout << membership::describe_effective(*config);
  std::cout << "Configuration is valid.\n";
  return kExitOk;
}

int run(Args args) {
  args.config = absolute_path(args.config);
  args.state_dir = absolute_path(args.state_dir);
  args.run_dir = absolute_path(args.run_dir);

  std::vector<std::string> warnings;
  auto config = membership::load_cluster_config(args.config, &warnings);
  for (const auto& w : warnings) std::cerr << "quorated: warning: " << w << "\n";
  if (!config.ok()) return fail(config.error().message);
  membership::ClusterConfig cfg = std::move(config).value();

  auto resolved = daemon::resolve_nodelist(cfg);
  if (!resolved.ok()) return fail(resolved.error().message);
  std::vector<daemon::address> local;
  if (!args.node) {
    auto l = daemon::local_addresses();
    if (!l.ok()) return fail(l.error().message);
    local = std::move(l).value();
  }
  auto self = daemon::pick_self(cfg, args.node, *resolved, local);
  if (!self.ok()) return fail(self.error().message);
  auto endpoints = daemon::choose_endpoints(cfg, *self, *resolved);
  if (!endpoints.ok()) return fail(endpoints.error().message);

  std::string authkey;
  if (cfg.crypto_hash != membership::HashAlg::kNone ||
      cfg.crypto_cipher != membership::CipherAlg::kNone) {
    std::vector<std::string> key_warnings;
    auto key = crypto::load_authkey(cfg.keyfile, &key_warnings);
    for (const auto& w : key_warnings) std::cerr << "quorated: warning: " << w << "\n";
    if (!key.ok()) return fail(key.error().message);
    authkey = std::move(key).value();
  }

  if (Status s = daemon::ensure_directory(args.state_dir, 0700); !s.ok()) {
    return fail(s.error().message);
  }
  if (Status s = daemon::ensure_directory(args.run_dir, 0755); !s.ok()) {
    return fail(s.error().message);
  }
  if (!cfg.logging.logfile.empty()) cfg.logging.logfile = absolute_path(cfg.logging.logfile);

  const auto* entry = cfg.find_node(*self);
  auto log = daemon::DaemonLog::create(cfg.logging, args.debug,
                                       entry->name.empty() ? entry->ring0_addr : entry->name);
  if (!log.ok()) return fail(log.error().message);

  std::optional<daemon::Background> background;
  if (!args.foreground) {
    auto bg = daemon::Background::detach();
    if (!bg.ok()) return fail(bg.error().message);
    background.emplace(std::move(bg).value());
  }

  const auto wall_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
  auto incarnation = daemon::next_incarnation(args.state_dir, static_cast<uint64_t>(wall_us));
  if (!incarnation.ok()) return fail(incarnation.error().message);
  auto ring_seq = daemon::load_ring_seq(args.state_dir, *self);
  if (!ring_seq.ok()) return fail(ring_seq.error().message);

  for (const auto& w : warnings) (*log)->logger().warn("[MAIN  ] {}", w);
  for (const auto& n : cfg.notes) (*log)->logger().debug("[MAIN  ] {}", n);

  daemon::RuntimeOptions options;
  options.config = std::move(cfg);
  options.self = *self;
  options.endpoints = std::move(endpoints).value();
  options.state_dir = args.state_dir;
  options.run_dir = args.run_dir;
  options.authkey = std::move(authkey);
  options.incarnation = *incarnation;
  options.ring_seq = *ring_seq;
  options.node_name = entry->name.empty() ? entry->ring0_addr : entry->name;
  if (args.nbd_tcp) {
    auto n = daemon::parse_nbd_tcp(*args.nbd_tcp);  // checked in main()
    if (!n.ok()) return fail(n.error().message);
    options.nbd_tcp_address = n->address;
    options.nbd_tcp_base_port = n->port;
  }
  options.block_devices = args.block_devices;
  options.replication_dir = args.replication_dir
                                ? absolute_path(*args.replication_dir)
                                : (std::filesystem::path(absolute_path(args.config)).parent_path() / "replication.d").string();
  for (const auto& n : options.config.nodes) {
    if (!n.name.empty()) options.node_addresses[n.name] = n.ring0_addr;
  }
  if (background) options.on_ready = [&background] { background->ready(); };

  boost::asio::io_context io(1);
  daemon::Runtime runtime(io, std::move(options), **log);
  if (Status s = runtime.start(); !s.ok()) {
    (*log)->logger().error("[MAIN  ] {}", s.error().message);
    return fail(s.error().message);
  }
  io.run();
  return runtime.exit_code();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    Args args;
    CLI::App app{"quorated: cluster membership, quorum and resource daemon", "quorated"};
    app.add_option("--config,-c", args.config, "cluster file (corosync.conf syntax)")->required();
    app.add_option("--node,-n", args.node,
                   "this node's nodeid, name or ring0_addr (default: the nodelist entry with a "
                   "local address)");
    app.add_option("--state-dir", args.state_dir, "persistent state (default /var/lib/quorate)");
    app.add_option("--run-dir", args.run_dir,
                   "runtime files and IPC socket (default /run/quorate)");
    app.add_option("--replication-dir", args.replication_dir,
                   "replicated-volume resource files (default: replication.d beside the cluster file)");
    app.add_option("--nbd-tcp", args.nbd_tcp,
                   "also serve each replicated volume's NBD export over TCP on ADDR[:PORT], port PORT + the "
                   "volume's minor (default PORT 10809). No authentication or TLS: localhost or a trusted "
                   "network only");
    app.add_flag("--block-devices", args.block_devices,
                 "make each replicated volume a block device at its resource file's `device` path "
                 "(/dev/drbd0 ...): a loop device over its FUSE export (needs root, /dev/fuse and loop devices)");
    app.add_flag("--foreground,-f", args.foreground, "do not fork to the background");
    app.add_flag("--check,-t", args.check, "check the cluster file, print the effective values");
    app.add_flag("--debug,-d", args.debug, "log at debug level");
    try {
      app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
      return app.exit(e);
    } catch (const CLI::ParseError& e) {
      std::cerr << "quorated: " << e.what() << "\n"
                << "Run with --help for usage.\n";
      return kExitUsage;
    }
    if (args.check) return check(args);
    if (args.nbd_tcp) {
      if (auto n = daemon::parse_nbd_tcp(*args.nbd_tcp); !n.ok()) {
        std::cerr << "quorated: " << n.error().message << "\n";
        return kExitUsage;
      }
    }
    ::signal(SIGPIPE, SIG_IGN);
    // Replicated volumes move 1 MiB buffers all the time; glibc would mmap and
    // unmap each one (page faults and zeroing per request). Keep them in the heap.
    ::mallopt(M_MMAP_THRESHOLD, 8 << 20);
    ::mallopt(M_TRIM_THRESHOLD, 32 << 20);
    return run(std::move(args));
  } catch (const std::exception& e) {
    std::cerr << "quorated: fatal: " << e.what() << "\n";
    return kExitError;
  }
}
