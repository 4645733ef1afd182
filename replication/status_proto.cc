#include "replication/status_proto.h"

#include <fmt/format.h>

#include <array>
#include <cassert>
#include <cstdint>
#include <utility>

#include "replication/res_config.h"

namespace quorate::replication {


namespace {

constexpr std::array kRoles = {Role::kUnknown, Role::kPrimary, Role::kSecondary};

constexpr std::array kConnStates = {
    ConnState::kStandAlone,    ConnState::kDisconnecting,  ConnState::kUnconnected,
    ConnState::kTimeout,       ConnState::kBrokenPipe,     ConnState::kNetworkFailure,
    ConnState::kProtocolError, ConnState::kTearDown,       ConnState::kWFConnection,
    ConnState::kWFReportParams, ConnState::kConnected,     ConnState::kStartingSyncS,
    ConnState::kStartingSyncT, ConnState::kWFBitMapS,      ConnState::kWFBitMapT,
    ConnState::kWFSyncUUID,    ConnState::kSyncSource,     ConnState::kSyncTarget,
    ConnState::kPausedSyncS,   ConnState::kPausedSyncT,    ConnState::kVerifyS,
    ConnState::kVerifyT,       ConnState::kAhead,          ConnState::kBehind,
};

constexpr std::array kDiskStates = {
    DiskState::kDiskless,     DiskState::kAttaching, DiskState::kFailed,
    DiskState::kNegotiating,  DiskState::kInconsistent, DiskState::kOutdated,
    DiskState::kDUnknown,     DiskState::kConsistent, DiskState::kUpToDate,
};

template <typename Enum, size_t N>
std::optional<Enum> by_name(const std::array<Enum, N>& all, std::string_view s) {
  for (Enum e : all) {
    if (name(e) == s) return e;
  }
  return std::nullopt;
}

// The counters, in one table so both directions use the same keys.
struct CounterField {
  std::string_view key;
  uint64_t ReplicaStatus::*field;
};
constexpr std::array kCounters = {
    CounterField{"ns", &ReplicaStatus::ns},
    CounterField{"nr", &ReplicaStatus::nr},
    CounterField{"dw", &ReplicaStatus::dw},
    CounterField{"dr", &ReplicaStatus::dr},
    CounterField{"al", &ReplicaStatus::al},
    CounterField{"bm", &ReplicaStatus::bm},
    CounterField{"lo", &ReplicaStatus::lo},
    CounterField{"pe", &ReplicaStatus::pe},
    CounterField{"ua", &ReplicaStatus::ua},
    CounterField{"ap", &ReplicaStatus::ap},
    CounterField{"ep", &ReplicaStatus::ep},
    CounterField{"oos_kib", &ReplicaStatus::oos_kib},
    CounterField{"size_kib", &ReplicaStatus::size_kib},
};

// "b" / "barrier", "f" / "flush", "d" / "drain", "n" / "none".
std::optional<char> parse_wo(std::string_view s) {
  static constexpr std::array<std::pair<std::string_view, char>, 4> kNames = {
      {{"barrier", 'b'}, {"flush", 'f'}, {"drain", 'd'}, {"none", 'n'}}};
  for (const auto& [word, letter] : kNames) {
    if (s == word || (s.size() == 1 && s[0] == letter)) return letter;
  }
  return std::nullopt;
}

}  // namespace

std::optional<Role> parse_role(std::string_view s) { return by_name(kRoles, s); }
std::optional<ConnState> parse_conn_state(std::string_view s) { return by_name(kConnStates, s); }
std::optional<DiskState> parse_disk_state(std::string_view s) { return by_name(kDiskStates, s); }

ipc::ReplicaState replica_to_proto(const ReplicaEntry& entry) {
  const ReplicaStatus& s = entry.status;
  ipc::ReplicaState p;
  p.set_resource(s.resource);
  p.set_minor(s.minor);
  p.set_volume(s.volume);
  p.set_peer(s.peer);
  p.set_up(entry.up);
  p.set_role(std::string(name(s.role)));
  p.set_peer_role(std::string(name(s.peer_role)));
  p.set_cstate(std::string(name(s.cstate)));
  p.set_disk(std::string(name(s.disk)));
  p.set_peer_disk(std::string(name(s.peer_disk)));
  p.set_protocol(s.protocol ? std::string(1, letter(*s.protocol)) : std::string());
  p.set_io_suspended(s.io_suspended);
  p.set_al_suspended(s.al_suspended);
  p.set_paused_by_user(s.paused_by_user);
  p.set_paused_by_peer(s.paused_by_peer);
  auto& counters = *p.mutable_counters();
  for (const auto& c : kCounters) counters[std::string(c.key)] = s.*(c.field);
  p.set_wo(std::string(1, s.wo));
  if (s.sync) {
    ipc::ReplicaSync* sync = p.mutable_sync();
    sync->set_total_kib(s.sync->total_kib);
    sync->set_left_kib(s.sync->left_kib);
    sync->set_rate_kib_s(s.sync->rate_kib_s);
    sync->set_avg_kib_s(s.sync->avg_kib_s);
    sync->set_want_kib_s(s.sync->want_kib_s);
    sync->set_stalled(s.sync->stalled);
  }
  p.set_split_brain(s.split_brain);
  p.set_nbd_socket(s.nbd_socket);
  p.set_fuse_file(s.fuse_file);
  p.set_nbd_tcp(s.nbd_tcp);
  p.set_block_device(s.block_device);
  for (const auto& l : s.block_links) p.add_block_links(l);
  return p;
}

Result<ReplicaEntry> replica_from_proto(const ipc::ReplicaState& p) {
  const std::string where = fmt::format("replica {}/{}", p.resource().empty() ? "?" : p.resource(),
                                        p.volume());
  if (p.resource().empty()) return Error{where + ": no resource name"};
  ReplicaEntry e;
  ReplicaStatus& s = e.status;
  e.up = p.up();
  s.nbd_socket = p.nbd_socket();
  s.fuse_file = p.fuse_file();
  s.nbd_tcp = p.nbd_tcp();
  s.block_device = p.block_device();
  s.block_links.assign(p.block_links().begin(), p.block_links().end());
  s.resource = p.resource();
  s.minor = p.minor();
  s.volume = p.volume();
  s.peer = p.peer();
  s.split_brain = p.split_brain();
  if (!e.up) {
    // Not up: nothing else is meaningful. These are the states the renderers
    // print as "Unconfigured".
    s.role = Role::kSecondary;
    s.peer_role = Role::kUnknown;
    s.cstate = ConnState::kStandAlone;
    s.disk = DiskState::kDiskless;
    s.peer_disk = DiskState::kDUnknown;
    return e;
  }
  auto bad = [&where](std::string_view field, const std::string& value) {
    return Error{fmt::format("{}: unknown {} '{}'", where, field, value)};
  };
  const auto role = parse_role(p.role());
  if (!role) return bad("role", p.role());
  const auto peer_role = parse_role(p.peer_role());
  if (!peer_role) return bad("peer role", p.peer_role());
  const auto cstate = parse_conn_state(p.cstate());
  if (!cstate) return bad("cstate", p.cstate());
  const auto disk = parse_disk_state(p.disk());
  if (!disk) return bad("disk state", p.disk());
  const auto peer_disk = parse_disk_state(p.peer_disk());
  if (!peer_disk) return bad("peer disk state", p.peer_disk());
  s.role = *role;
  s.peer_role = *peer_role;
  s.cstate = *cstate;
  s.disk = *disk;
  s.peer_disk = *peer_disk;
  if (!p.protocol().empty()) {
    const auto protocol = parse_protocol(p.protocol());
    if (!protocol) return bad("protocol", p.protocol());
    s.protocol = *protocol;
  }
  s.io_suspended = p.io_suspended();
  s.al_suspended = p.al_suspended();
  s.paused_by_user = p.paused_by_user();
  s.paused_by_peer = p.paused_by_peer();
  for (const auto& c : kCounters) {
    const auto it = p.counters().find(std::string(c.key));
    if (it != p.counters().end()) s.*(c.field) = it->second;
  }
  if (!p.wo().empty()) {
    const auto wo = parse_wo(p.wo());
    if (!wo) return bad("write ordering", p.wo());
    s.wo = *wo;
  }
  if (p.has_sync()) {
    const ipc::ReplicaSync& q = p.sync();
    if (q.left_kib() > q.total_kib()) {
      return Error{fmt::format("{}: sync left {} KiB exceeds its total {} KiB", where, q.left_kib(),
                               q.total_kib())};
    }
    SyncProgress sync;
    sync.total_kib = q.total_kib();
    sync.left_kib = q.left_kib();
    sync.rate_kib_s = q.rate_kib_s();
    sync.avg_kib_s = q.avg_kib_s();
    sync.want_kib_s = q.want_kib_s();
    sync.stalled = q.stalled();
    s.sync = sync;
  }
  return e;
}

Result<std::vector<ReplicaEntry>> replicas_from_proto(const ipc::ReplicaStatusList& list) {
  std::vector<ReplicaEntry> out;
  out.reserve(static_cast<size_t>(list.replicas_size()));
  for (const auto& p : list.replicas()) {
    auto e = replica_from_proto(p);
    if (!e.ok()) return e.error();
    out.push_back(std::move(e).value());
  }
  return out;
}

}  // namespace quorate::replication
