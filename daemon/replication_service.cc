#include "daemon/replication_service.h"

#include <sys/stat.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

#include "replication/res_config.h"
#include "replication/status_proto.h"
#include "replication/volume_files.h"

namespace quorate::daemon {

namespace rep = quorate::replication;

namespace {

struct Target {
  rep::ResourceConfig res;
  rep::HostConfig self;
  rep::HostConfig peer;
};

Result<rep::ReplicationConfig> load(const ReplicationServiceOptions& opt, const std::string& config_path,
                                    spdlog::logger& log, std::set<std::string>& warned) {
  std::vector<std::string> warnings;
  Result<rep::ReplicationConfig> cfg = rep::ReplicationConfig{};
  if (!config_path.empty()) {
    cfg = rep::load_replication_config(config_path, &warnings);
  } else {
    struct stat st {};
    if (::stat(opt.config_dir.c_str(), &st) != 0) {
      return Error{fmt::format("no resources are configured: {} does not exist (put RESOURCE.res files "
                               "there, or name a file with drbdadm -c FILE)",
                               opt.config_dir)};
    }
    cfg = rep::load_replication_dir(opt.config_dir, &warnings);
  }
  for (const auto& w : warnings) {
    if (warned.insert(w).second) log.warn("[REPL  ] {}", w);
  }
  return cfg;
}

Result<std::vector<Target>> targets(const ReplicationServiceOptions& opt, const rep::ReplicationConfig& cfg,
                                    const std::string& resource) {
  std::vector<const rep::ResourceConfig*> chosen;
  if (resource.empty() || resource == "all") {
    for (const auto& r : cfg.resources) chosen.push_back(&r);
  } else {
    const auto* r = cfg.find(resource);
    if (r == nullptr) return Error{fmt::format("'{}' not defined in your config (for this host).", resource)};
    chosen.push_back(r);
  }
  std::vector<Target> out;
  for (const auto* r : chosen) {
    Target t;
    t.res = *r;
    if (opt.address_of) {
      if (Status s = rep::fill_missing_addresses(t.res, opt.address_of); !s.ok()) return s.error();
    }
    auto lp = rep::local_and_peer(t.res, opt.node_name);
    if (!lp.ok()) return lp.error();
    t.self = *lp->first;
    t.peer = *lp->second;
    out.push_back(std::move(t));
  }
  return out;
}

}  // namespace


ReplicationService::ReplicationService(boost::asio::io_context& io, ReplicationServiceOptions options,
                                       spdlog::logger& log)
    : io_(io), opt_(std::move(options)), log_(log) {}

ReplicationService::~ReplicationService() = default;

// One command over its targets, one after another (as drbdadm does for
// `all`); a step may finish later (down waits for its meta data, primary for
// the peer's consent or the fence-peer handler).
struct ReplicationService::CommandRun {
  ipc::ReplicaCommandRequest req;
  std::vector<Target> targets;
  size_t next = 0;
  ipc::Response ok;
  std::vector<std::string> errors;
  std::function<void(ipc::Response)> reply;
};

void ReplicationService::command(const ipc::ReplicaCommandRequest& req, std::function<void(ipc::Response)> reply) {
  auto fail = [&](const std::string& msg) {
    ipc::Response r;
    r.set_error(msg);
    reply(std::move(r));
  };
  auto cfg = load(opt_, req.config_path(), log_, warned_);
  if (!cfg.ok()) return fail(cfg.error().message);
  auto list = targets(opt_, *cfg, req.resource());
  if (!list.ok()) return fail(list.error().message);
  log_.info("[REPL  ] drbdadm {}{}{} {}", req.verb(), req.force() ? " --force" : "",
            req.discard_my_data() ? " --discard-my-data" : "", req.resource());
  auto run = std::make_shared<CommandRun>();
  run->req = req;
  run->targets = std::move(list).value();
  run->ok.mutable_replica_command();
  run->reply = std::move(reply);
  step(run);
}

void ReplicationService::step(const std::shared_ptr<CommandRun>& run) {
  if (run->next == run->targets.size()) {
    ipc::Response r = std::move(run->ok);
    if (!run->errors.empty()) {
      std::string all;
      for (const auto& e : run->errors) all += (all.empty() ? "" : "\n") + e;
      r.set_error(all);
    }
    auto reply = std::move(run->reply);
    reply(std::move(r));
    return;
  }
  const Target& t = run->targets[run->next++];
  const ipc::ReplicaCommandRequest& req = run->req;
  const std::string& verb = req.verb();
  const std::string name = t.res.name;
  auto it = volumes_.find(name);
  // Continue with the next target outside the current call stack.
  auto then = [this, run, name](Status s) {
    if (!s.ok()) run->errors.push_back(s.error().message);
    boost::asio::post(io_, [this, run] { step(run); });
  };
  if (verb == "create-md") {
    // Up and Diskless (detached): the disk is being replaced; create-md on the
    // new one, then `attach`, as DRBD's replacement procedure goes.
    if (it != volumes_.end() && it->second->status().disk != rep::DiskState::kDiskless) {
      return then(Error{fmt::format("{}: the device is up with its disk attached; run `drbdadm down {}` (or "
                                    "`detach`) before create-md",
                                    name, name)});
    }
    rep::CreateMdOptions co;
    co.force = req.force();
    co.al_extents = t.res.disk.al_extents;
    auto r = rep::create_md(t.res, t.self, co);
    if (!r.ok()) return then(r.error());
    for (const auto& l : *r) run->ok.mutable_replica_command()->add_lines(l);
    return then(Status::Ok());
  }
  if (verb == "net-options" || verb == "disk-options") {
    // As drbdsetup's: the running section changes (the engine applies it as
    // adjust does); the next `adjust` goes back to what the file says.
    if (it == volumes_.end()) return then(Error{fmt::format("{}: not up (run `drbdadm up {}` first)", name, name)});
    const std::string section = verb == "net-options" ? "net" : "disk";
    rep::ResourceConfig next = it->second->config();
    for (const auto& kv : req.settings()) {
      const auto eq = kv.find('=');
      if (eq == std::string::npos || eq == 0) return then(Error{fmt::format("{}: bad setting '{}'", name, kv)});
      if (Status s = rep::apply_override(next, section, kv.substr(0, eq), kv.substr(eq + 1)); !s.ok()) {
        return then(Error{fmt::format("{}: {}", name, s.error().message)});
      }
    }
    auto lines = it->second->adjust(next, t.self, t.peer);
    if (!lines.ok()) return then(lines.error());
    for (const auto& l : *lines) run->ok.mutable_replica_command()->add_lines(l);
    return then(Status::Ok());
  }
  if (verb == "up" || verb == "attach" || verb == "adjust") {
    if (it != volumes_.end()) {
      if (verb == "attach" && it->second->status().disk == rep::DiskState::kDiskless) {
        if (Status s = it->second->attach(t.res, t.self); !s.ok()) return then(s.error());
        const auto st = it->second->status();
        run->ok.mutable_replica_command()->add_lines(
            fmt::format("{}: attached {}; disk {}{}", name, t.self.disk, rep::name(st.disk),
                        rep::is_connected(st.cstate) ? ", a full sync from the peer" : ""));
        return then(Status::Ok());
      }
      if (verb != "adjust") return then(Status::Ok());
      auto lines = it->second->adjust(t.res, t.self, t.peer);
      if (!lines.ok()) return then(lines.error());
      for (const auto& l : *lines) run->ok.mutable_replica_command()->add_lines(l);
      return then(Status::Ok());
    }
    ReplicaVolumeOptions vo;
    vo.run_dir = opt_.run_dir;
    vo.fuse_export = opt_.fuse_export;
    vo.nbd_tcp_address = opt_.nbd_tcp_address;
    vo.nbd_tcp_base_port = opt_.nbd_tcp_base_port;
    vo.block_device = opt_.block_devices;
    auto v = ReplicaVolume::up(io_, t.res, t.self, t.peer, vo, log_, verb != "attach");
    if (!v.ok()) return then(v.error());
    volumes_[name] = std::move(v).value();
    return then(Status::Ok());
  }
  if (verb == "down") {
    if (it == volumes_.end()) return then(Status::Ok());
    it->second->down([this, name, then](Status s) {
      // Destroy the volume outside its own callback.
      boost::asio::post(io_, [this, name, then, s] {
        if (s.ok()) {
          volumes_.erase(name);
          log_.info("[REPL  ] {}: down", name);
        }
        then(s);
      });
    });
    return;
  }
  if (it == volumes_.end()) return then(Error{fmt::format("{}: not up (run `drbdadm up {}` first)", name, name)});
  it->second->command(verb, req.force(), req.discard_my_data(), then);
}

ipc::Response ReplicationService::status(const ipc::ReplicaStatusRequest& req) {
  ipc::Response r;
  auto* list = r.mutable_replica_status();
  auto cfg = load(opt_, req.config_path(), log_, warned_);
  if (!cfg.ok()) {
    // Without a config, still show what is up.
    if (!req.resource().empty() && req.resource() != "all") {
      r.set_error(cfg.error().message);
      return r;
    }
    for (const auto& [name, v] : volumes_) {
      *list->add_replicas() = rep::replica_to_proto({v->status(), true});
    }
    return r;
  }
  auto tl = targets(opt_, *cfg, req.resource());
  if (!tl.ok()) {
    r.set_error(tl.error().message);
    return r;
  }
  for (const Target& t : *tl) {
    auto* st = list->add_replicas();
    auto it = volumes_.find(t.res.name);
    if (it != volumes_.end()) {
      *st = rep::replica_to_proto({it->second->status(), true});
    } else {
      st->set_resource(t.res.name);
      st->set_minor(t.self.minor);
      st->set_volume(t.self.volume);
      st->set_peer(t.peer.name);
      st->set_up(false);
      st->set_cstate("Unconfigured");
    }
  }
  return r;
}

void ReplicationService::shutdown(std::function<void()> done) {
  if (volumes_.empty()) return done();
  ipc::ReplicaCommandRequest req;
  // Down every volume that is up, whatever the config says now.
  auto remaining = std::make_shared<size_t>(volumes_.size());
  std::vector<std::string> names;
  for (const auto& [name, v] : volumes_) names.push_back(name);
  for (const auto& name : names) {
    volumes_[name]->down(
        [this, name, remaining, done](Status s) {
          boost::asio::post(io_, [this, name, remaining, done, s] {
            if (!s.ok()) log_.warn("[REPL  ] {}: {}", name, s.error().message);
            volumes_.erase(name);
            if (--*remaining == 0) done();
          });
        },
        /*in_use_refuses=*/false);
  }
}

}  // namespace quorate::daemon
