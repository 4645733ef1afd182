#include "cli/replica_proto.h"

#include <fmt/format.h>

#include <array>
#include <cassert>
#include <cstdint>
#include <utility>

#include "replication/res_config.h"

namespace quorate::cli {

namespace rep = quorate::replication;

namespace {

constexpr std::array kRoles = {rep::Role::kUnknown, rep::Role::kPrimary, rep::Role::kSecondary};

constexpr std::array kConnStates = {
    rep::ConnState::kStandAlone,    rep::ConnState::kDisconnecting,  rep::ConnState::kUnconnected,
    rep::ConnState::kTimeout,       rep::ConnState::kBrokenPipe,     rep::ConnState::kNetworkFailure,
    rep::ConnState::kProtocolError, rep::ConnState::kTearDown,       rep::ConnState::kWFConnection,
    rep::ConnState::kWFReportParams, rep::ConnState::kConnected,     rep::ConnState::kStartingSyncS,
    rep::ConnState::kStartingSyncT, rep::ConnState::kWFBitMapS,      rep::ConnState::kWFBitMapT,
    rep::ConnState::kWFSyncUUID,    rep::ConnState::kSyncSource,     rep::ConnState::kSyncTarget,
    rep::ConnState::kPausedSyncS,   rep::ConnState::kPausedSyncT,    rep::ConnState::kVerifyS,
    rep::ConnState::kVerifyT,       rep::ConnState::kAhead,          rep::ConnState::kBehind,
};

constexpr std::array kDiskStates = {
    rep::DiskState::kDiskless,     rep::DiskState::kAttaching, rep::DiskState::kFailed,
    rep::DiskState::kNegotiating,  rep::DiskState::kInconsistent, rep::DiskState::kOutdated,
    rep::DiskState::kDUnknown,     rep::DiskState::kConsistent, rep::DiskState::kUpToDate,
};

template <typename Enum, size_t N>
std::optional<Enum> by_name(const std::array<Enum, N>& all, std::string_view s) {
  for (Enum e : all) {
    if (rep::name(e) == s) return e;
  }
  return std::nullopt;
}

// The counters, in one table so both directions use the same keys.
struct CounterField {
  std::string_view key;
  uint64_t rep::ReplicaStatus::*field;
};
constexpr std::array kCounters = {
    CounterField{"ns", &rep::ReplicaStatus::ns},
    CounterField{"nr", &rep::ReplicaStatus::nr},
    CounterField{"dw", &rep::ReplicaStatus::dw},
    CounterField{"dr", &rep::ReplicaStatus::dr},
    CounterField{"al", &rep::ReplicaStatus::al},
    CounterField{"bm", &rep::ReplicaStatus::bm},
    CounterField{"lo", &rep::ReplicaStatus::lo},
    CounterField{"pe", &rep::ReplicaStatus::pe},
    CounterField{"ua", &rep::ReplicaStatus::ua},
    CounterField{"ap", &rep::ReplicaStatus::ap},
    CounterField{"ep", &rep::ReplicaStatus::ep},
    CounterField{"oos_kib", &rep::ReplicaStatus::oos_kib},
    CounterField{"size_kib", &rep::ReplicaStatus::size_kib},
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

std::optional<rep::Role> parse_role(std::string_view s) { return by_name(kRoles, s); }
std::optional<rep::ConnState> parse_conn_state(std::string_view s) { return by_name(kConnStates, s); }
std::optional<rep::DiskState> parse_disk_state(std::string_view s) { return by_name(kDiskStates, s); }

ipc::ReplicaState replica_to_proto(const ReplicaEntry& entry) {
  const rep::ReplicaStatus& s = entry.status;
  ipc::ReplicaState p;
  p.set_resource(s.resource);
  p.set_minor(s.minor);
  p.set_volume(s.volume);
  p.set_peer(s.peer);
  p.set_up(entry.up);
  p.set_role(std::string(rep::name(s.role)));
  p.set_peer_role(std::string(rep::name(s.peer_role)));
  p.set_cstate(std::string(rep::name(s.cstate)));
  p.set_disk(std::string(rep::name(s.disk)));
  p.set_peer_disk(std::string(rep::name(s.peer_disk)));
  p.set_protocol(s.protocol ? std::string(1, rep::letter(*s.protocol)) : std::string());
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
  p.set_nbd_socket(entry.nbd_socket);
  return p;
}

Result<ReplicaEntry> replica_from_proto(const ipc::ReplicaState& p) {
  const std::string where = fmt::format("replica {}/{}", p.resource().empty() ? "?" : p.resource(),
                                        p.volume());
  if (p.resource().empty()) return Error{where + ": no resource name"};
  ReplicaEntry e;
  rep::ReplicaStatus& s = e.status;
  e.up = p.up();
  e.nbd_socket = p.nbd_socket();
  s.resource = p.resource();
  s.minor = p.minor();
  s.volume = p.volume();
  s.peer = p.peer();
  s.split_brain = p.split_brain();
  if (!e.up) {
    // Not up: nothing else is meaningful. These are the states the renderers
    // print as "Unconfigured".
    s.role = rep::Role::kSecondary;
    s.peer_role = rep::Role::kUnknown;
    s.cstate = rep::ConnState::kStandAlone;
    s.disk = rep::DiskState::kDiskless;
    s.peer_disk = rep::DiskState::kDUnknown;
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
    const auto protocol = rep::parse_protocol(p.protocol());
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
    rep::SyncProgress sync;
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

}  // namespace quorate::cli
