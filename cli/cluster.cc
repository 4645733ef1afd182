// `quorate cluster up|down|status` (see cluster.h): writes the local cluster's
// files, starts one detached quorated per node, waits until all of them
// answer on IPC and agree on a quorate membership of every node, and stops
// them again by pid. Only processes whose command line names this cluster's
// config file are ever signalled, so a stale pid file cannot hit a stranger.
#include "cli/cluster.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <vector>

#include "cli/options.h"
#include "cli/render.h"
#include "cli/tools.h"
#include "common/crypto.h"

namespace quorate::cli {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string local_cluster_conf(const LocalClusterLayout& layout) {
  std::string out;
  out += "# Local test cluster written by `quorate cluster up`. Node I runs as\n";
  out += fmt::format("# quorated --config {} --node I with its state, run directory,\n",
                     layout.config_path());
  out += fmt::format("# pid file and output under {}/nodeI.\n\n", layout.dir);
  out += "totem {\n";
  out += "  version: 2\n";
  out += "  cluster_name: local\n";
  out += "  transport: udpu\n";
  out += "  crypto_cipher: aes256\n";
  out += "  crypto_hash: sha256\n";
  out += fmt::format("  keyfile: {}\n", layout.authkey_path());
  out += "  token: 1000\n";
  out += "  interface {\n";
  out += fmt::format("    mcastport: {}\n", layout.port);
  out += "  }\n";
  out += "}\n\n";
  out += "nodelist {\n";
  for (int i = 1; i <= layout.nodes; ++i) {
    out += "  node {\n";
    out += fmt::format("    name: node{}\n", i);
    out += fmt::format("    nodeid: {}\n", i);
    out += fmt::format("    ring0_addr: 127.0.0.{}\n", i);
    out += "  }\n";
  }
  out += "}\n\n";
  out += "quorum {\n";
  out += "  provider: corosync_votequorum\n";
  out += "}\n\n";
  out += "# Each node's stderr goes to its nodeI/quorated.out.\n";
  out += "logging {\n";
  out += "  to_stderr: yes\n";
  out += "  to_logfile: no\n";
  out += "  to_syslog: no\n";
  out += "  timestamp: hires\n";
  out += "}\n";
  return out;
}

namespace {

struct NodeView {
  int node = 0;
  std::optional<pid_t> pid;  // from the pid file
  bool running = false;      // that pid is a quorated of this cluster
  bool answering = false;    // its IPC socket answered a ping
  std::optional<ipc::QuorumStatus> quorum;
};

// Reads a small file whole (pid files, /proc/PID/cmdline); "" if unreadable.
std::string read_small_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return {};
  std::string data;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      data.append(buf, static_cast<size_t>(n));
      if (data.size() < 64 * 1024) continue;
    } else if (n < 0 && errno == EINTR) {
      continue;
    }
    break;
  }
  ::close(fd);
  return data;
}

std::optional<pid_t> read_pid(const std::string& path) {
  uint32_t pid = 0;
  std::string text = read_small_file(path);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (!parse_uint32(text, &pid) || pid == 0 || pid > INT32_MAX) return std::nullopt;
  return static_cast<pid_t>(pid);
}

std::string read_cmdline(pid_t pid) {
  std::string s = read_small_file(fmt::format("/proc/{}/cmdline", pid));
  for (char& c : s) {
    if (c == '\0') c = ' ';
  }
  return s;
}

// True when `pid` is alive and is a quorated started with this config.
bool is_our_quorated(pid_t pid, const LocalClusterLayout& layout) {
  if (::kill(pid, 0) != 0 && errno != EPERM) return false;
  const std::string cmd = read_cmdline(pid);
  if (cmd.empty()) return false;  // exited (or a zombie)
  return cmd.find("quorated") != std::string::npos &&
         cmd.find(layout.config_path()) != std::string::npos;
}

// Node numbers that have a directory under DIR (so status/down find every
// node even when --nodes differs from what `up` used).
std::vector<int> existing_nodes(const LocalClusterLayout& layout) {
  std::vector<int> nodes;
  for (int i = 1; i <= kLocalClusterMaxNodes; ++i) {
    std::error_code ec;
    if (fs::is_directory(layout.node_dir(i), ec)) nodes.push_back(i);
  }
  return nodes;
}

bool ping(ToolEnv& env, const std::string& socket) {
  ipc::Request request;
  request.mutable_ping();
  IpcFailure failure;
  auto r = env.call(socket, request, &failure);
  return r.ok() && r->error().empty() && r->has_pong();
}

std::optional<ipc::QuorumStatus> quorum_of(ToolEnv& env, const std::string& socket) {
  ipc::Request request;
  request.mutable_quorum_status();
  IpcFailure failure;
  auto r = env.call(socket, request, &failure);
  if (!r.ok() || !r->error().empty() || !r->has_quorum_status()) return std::nullopt;
  ipc::QuorumStatus status = r->quorum_status();
  if (status.now_unix_ms() == 0) status.set_now_unix_ms(env.now_unix_ms());
  return status;
}

NodeView inspect(ToolEnv& env, const LocalClusterLayout& layout, int i, bool want_quorum) {
  NodeView v;
  v.node = i;
  v.pid = read_pid(layout.pid_path(i));
  v.running = v.pid && is_our_quorated(*v.pid, layout);
  if (v.running) {
    v.answering = ping(env, layout.socket_path(i));
    if (v.answering && want_quorum) v.quorum = quorum_of(env, layout.socket_path(i));
  }
  return v;
}

nlohmann::json views_json(const LocalClusterLayout& layout, const std::vector<NodeView>& views,
                          const ipc::QuorumStatus* quorum) {
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& v : views) {
    nodes.push_back({{"node", v.node},
                     {"name", fmt::format("node{}", v.node)},
                     {"address", fmt::format("127.0.0.{}", v.node)},
                     {"pid", v.pid ? nlohmann::json(*v.pid) : nlohmann::json(nullptr)},
                     {"running", v.running},
                     {"answering", v.answering},
                     {"socket", layout.socket_path(v.node)}});
  }
  return nlohmann::json{{"dir", layout.dir},
                        {"config", layout.config_path()},
                        {"nodes", nodes},
                        {"quorum", quorum ? quorum_status_json(*quorum) : nlohmann::json(nullptr)}};
}

// Prints the per-node table and the quorum view of the first answering node.
// Returns 0 when every node runs, answers and the viewed node is quorate.
int print_status(ToolEnv& env, const LocalClusterLayout& layout, const std::vector<int>& nodes,
                 bool json) {
  std::vector<NodeView> views;
  std::optional<ipc::QuorumStatus> first_quorum;  // from the first node that answers
  for (int i : nodes) {
    views.push_back(inspect(env, layout, i, !first_quorum));
    if (!first_quorum && views.back().quorum) first_quorum = views.back().quorum;
  }
  const ipc::QuorumStatus* quorum = first_quorum ? &*first_quorum : nullptr;
  bool all_up = !views.empty();
  for (const auto& v : views) all_up = all_up && v.running && v.answering;
  const int rc = all_up && quorum != nullptr && quorum->quorate() ? kExitOk : kExitFailure;

  if (json) {
    env.out << views_json(layout, views, quorum).dump(2) << "\n";
    return rc;
  }
  env.out << fmt::format("Local cluster in {} ({} node{})\n", layout.dir, views.size(),
                         views.size() == 1 ? "" : "s");
  env.out << fmt::format("{:<8}{:<12}{:<10}{}\n", "Node", "State", "PID", "Socket");
  for (const auto& v : views) {
    const char* state = !v.running ? "stopped" : v.answering ? "running" : "starting";
    env.out << fmt::format("{:<8}{:<12}{:<10}{}\n", fmt::format("node{}", v.node), state,
                           v.running ? std::to_string(*v.pid) : "-", layout.socket_path(v.node));
  }
  if (quorum != nullptr) {
    env.out << "\n" << render_quorum_status(*quorum, QuorumRenderOptions{});
  } else {
    env.out << "\nNo node answers on IPC.\n";
  }
  return rc;
}

Result<pid_t> spawn_detached(const std::string& exe, const std::vector<std::string>& args,
                             const std::string& output_path) {
  const int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) return Error{fmt::format("cannot open {}: {}", output_path, std::strerror(errno))};
  const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<std::string> storage;
  storage.push_back(exe);
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(out);
    if (devnull >= 0) ::close(devnull);
    return Error{fmt::format("fork: {}", std::strerror(err))};
  }
  if (pid == 0) {
    // Child: own session (no controlling terminal, survives our exit).
    ::setsid();
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    ::execv(exe.c_str(), argv.data());
    const std::string msg =
        fmt::format("quorate cluster: cannot run {}: {}\n", exe, std::strerror(errno));
    (void)!::write(STDERR_FILENO, msg.data(), msg.size());
    ::_exit(127);
  }
  ::close(out);
  if (devnull >= 0) ::close(devnull);
  return pid;
}

Status write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::trunc);
  f << text;
  f.close();
  if (!f) return Error{fmt::format("cannot write {}", path)};
  return Status::Ok();
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("signal {}", WTERMSIG(status));
  return "unknown status";
}

int cluster_up(ToolEnv& env, const LocalClusterLayout& layout, const std::string& bin_dir,
               bool json) {
  for (int i : existing_nodes(layout)) {
    const auto pid = read_pid(layout.pid_path(i));
    if (pid && is_our_quorated(*pid, layout)) {
      env.err << fmt::format(
          "quorate cluster: node{} is already running (pid {}) in {}; run down first\n", i, *pid,
          layout.dir);
      return kExitFailure;
    }
  }
  const std::string quorated = bin_dir + "/quorated";
  if (::access(quorated.c_str(), X_OK) != 0) {
    env.err << fmt::format("quorate cluster: cannot run {}: {} (use --bin DIR)\n", quorated,
                           std::strerror(errno));
    return kExitFailure;
  }
  if (layout.socket_path(layout.nodes).size() >= 108) {
    env.err << fmt::format(
        "quorate cluster: {} is too long for a Unix socket path; use a "
        "shorter --dir\n",
        layout.socket_path(layout.nodes));
    return kExitFailure;
  }

  std::error_code ec;
  for (int i = 1; i <= layout.nodes; ++i) {
    for (const auto& d : {layout.state_dir(i), layout.run_dir(i)}) {
      fs::create_directories(d, ec);
      if (ec) {
        env.err << fmt::format("quorate cluster: cannot create {}: {}\n", d, ec.message());
        return kExitFailure;
      }
    }
  }
  if (Status s = write_file(layout.config_path(), local_cluster_conf(layout)); !s.ok()) {
    env.err << "quorate cluster: " << s.error().message << "\n";
    return kExitFailure;
  }
  if (!fs::exists(layout.authkey_path(), ec)) {
    if (Status s = crypto::write_authkey(layout.authkey_path(), crypto::kAuthkeyDefaultBytes);
        !s.ok()) {
      env.err << "quorate cluster: " << s.error().message << "\n";
      return kExitFailure;
    }
  }

  std::map<int, pid_t> children;
  for (int i = 1; i <= layout.nodes; ++i) {
    std::filesystem::remove(layout.pid_path(i), ec);
    const std::vector<std::string> args = {
        "--config",        layout.config_path(), "--node",
        std::to_string(i), "--state-dir",        layout.state_dir(i),
        "--run-dir",       layout.run_dir(i),    "--foreground"};
    auto pid = spawn_detached(quorated, args, layout.output_path(i));
    if (!pid.ok()) {
      env.err << "quorate cluster: " << pid.error().message << "\n";
      return kExitFailure;
    }
    children[i] = *pid;
    if (Status s = write_file(layout.pid_path(i), fmt::format("{}\n", *pid)); !s.ok()) {
      env.err << "quorate cluster: " << s.error().message << "\n";
      return kExitFailure;
    }
  }
  if (!json) {
    env.out << fmt::format("Started {} quorated in {}; waiting for a quorate membership...\n",
                           layout.nodes, layout.dir);
    env.out.flush();
  }

  std::vector<int> nodes;
  for (int i = 1; i <= layout.nodes; ++i) nodes.push_back(i);
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  std::string last_problem = "no node answered yet";
  for (;;) {
    // A node that exited is our child: reap it and report it at once.
    for (const auto& [i, pid] : children) {
      int wstatus = 0;
      if (::waitpid(pid, &wstatus, WNOHANG) == pid) {
        env.err << fmt::format("quorate cluster: node{} (pid {}) exited with {}; see {}\n", i, pid,
                               describe_wait_status(wstatus), layout.output_path(i));
        print_status(env, layout, nodes, json);
        return kExitFailure;
      }
    }
    bool formed = true;
    for (int i : nodes) {
      auto status = quorum_of(env, layout.socket_path(i));
      if (!status) {
        formed = false;
        last_problem = fmt::format("node{} does not answer on {}", i, layout.socket_path(i));
        break;
      }
      if (!status->quorate() || status->members_size() != layout.nodes) {
        formed = false;
        last_problem = fmt::format("node{} sees {} of {} members, {}", i, status->members_size(),
                                   layout.nodes, status->quorate() ? "quorate" : "not quorate");
        break;
      }
    }
    if (formed) break;
    if (Clock::now() >= deadline) {
      env.err << fmt::format(
          "quorate cluster: no quorate membership of all {} nodes within 30 s ({}); the nodes are "
          "left running for inspection: quorate cluster down --dir {}\n",
          layout.nodes, last_problem, layout.dir);
      print_status(env, layout, nodes, json);
      return kExitFailure;
    }
    env.sleep(std::chrono::milliseconds(200));
  }
  return print_status(env, layout, nodes, json);
}

int cluster_down(ToolEnv& env, const LocalClusterLayout& layout) {
  std::map<int, pid_t> victims;
  for (int i : existing_nodes(layout)) {
    const auto pid = read_pid(layout.pid_path(i));
    if (pid && is_our_quorated(*pid, layout)) {
      victims[i] = *pid;
      ::kill(*pid, SIGTERM);
    }
  }
  const auto deadline = Clock::now() + std::chrono::seconds(10);
  auto alive = [&] {
    std::vector<int> left;
    for (const auto& [i, pid] : victims) {
      int wstatus = 0;
      (void)::waitpid(pid, &wstatus, WNOHANG);  // reaps it if it is our child
      if (is_our_quorated(pid, layout)) left.push_back(i);
    }
    return left;
  };
  while (!alive().empty() && Clock::now() < deadline) env.sleep(std::chrono::milliseconds(100));
  for (int i : alive()) {
    env.err << fmt::format(
        "quorate cluster: node{} (pid {}) ignored SIGTERM for 10 s; sending "
        "SIGKILL\n",
        i, victims[i]);
    ::kill(victims[i], SIGKILL);
  }
  const auto kill_deadline = Clock::now() + std::chrono::seconds(2);
  while (!alive().empty() && Clock::now() < kill_deadline) {
    env.sleep(std::chrono::milliseconds(50));
  }
  std::error_code ec;
  for (int i : existing_nodes(layout)) fs::remove(layout.pid_path(i), ec);
  if (victims.empty()) {
    env.out << fmt::format("No local cluster running in {}\n", layout.dir);
  } else {
    for (const auto& [i, pid] : victims)
      env.out << fmt::format("node{}: stopped (pid {})\n", i, pid);
  }
  return alive().empty() ? kExitOk : kExitFailure;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? std::string(".") : path.substr(0, slash);
}

}  // namespace

int cluster_main(const std::vector<std::string>& args, ToolEnv& env) {
  CLI::App app{"Run a local cluster of quorated on 127.0.0.x", "quorate cluster"};
  app.require_subcommand(1, 1);
  int nodes = 3;
  std::string dir = "./quorate-local";
  int port = 5405;
  std::string bin_dir;
  bool json = false;
  auto add_common = [&](CLI::App* sub, bool with_nodes) {
    if (with_nodes) {
      sub->add_option("--nodes", nodes, "number of nodes (1..32)")->check(CLI::Range(1, 32));
      sub->add_option("--port", port, "UDP port of every node")->check(CLI::Range(1, 65535));
      sub->add_option("--bin", bin_dir, "directory holding quorated (default: beside quorate)");
    }
    sub->add_option("--dir", dir, "directory of the cluster's files");
    sub->add_flag("--json", json, "print the status as JSON");
  };
  CLI::App* up = app.add_subcommand("up", "write the files, start the nodes, wait for quorum");
  CLI::App* down = app.add_subcommand("down", "stop every node (SIGTERM, then SIGKILL)");
  CLI::App* status = app.add_subcommand("status", "show each node and the quorum view");
  add_common(up, true);
  add_common(down, false);
  add_common(status, false);

  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 parses a reversed vector
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    env.out << app.help();
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    env.err << "quorate cluster: " << e.what() << "\n";
    return kExitFailure;
  }

  LocalClusterLayout layout;
  std::error_code ec;
  layout.dir = fs::weakly_canonical(fs::absolute(dir, ec), ec).string();
  if (layout.dir.empty()) layout.dir = dir;
  layout.nodes = nodes;
  layout.port = static_cast<uint16_t>(port);

  if (up->parsed()) {
    if (bin_dir.empty()) bin_dir = directory_of(env.self_exe);
    return cluster_up(env, layout, bin_dir, json);
  }
  if (down->parsed()) return cluster_down(env, layout);
  const auto existing = existing_nodes(layout);
  if (existing.empty()) {
    env.err << fmt::format(
        "quorate cluster: no local cluster in {} (start one with: quorate "
        "cluster up --dir {})\n",
        layout.dir, layout.dir);
    return kExitFailure;
  }
  return print_status(env, layout, existing, json);
}

}  // namespace quorate::cli
