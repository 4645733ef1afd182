// DRBD status layouts (REPLICATION-FACTS.md §11, cli/render_replica.h).
//
// /proc/drbd (8.4), per minor:
//    0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
//       ns:3757056 nr:0 dw:0 dr:3759178 al:8 bm:0 lo:0 pe:1 ua:0 ap:0 ep:1 wo:f oos:3079892
//   \t[==========>.........] sync'ed: 55.1% (3004/6672)M
//   \tfinish: 0:05:53 speed: 8,696 (9,180) K/sec
//
// Progress arithmetic is DRBD's, on bitmap bits of 4 KiB: per-mille done =
// 1000 - (left >> s) * 1000 / (1 + (total >> s)) with s = 10 (16 above 2^32
// bits), truncating; the percent is printed "%3u.%u"; the bar has x =
// permille / 50: x-1 '=', '>', 20-x '.'; sizes in M are (bits >> 10) * 4,
// shown when the total exceeds 4 GiB, else K. The finish estimate uses DRBD's
// rt = dt * (left / (db / 100 + 1)) / 100 over its ~18 s window (dt = 18,
// db = bits done in the window = rate_kib_s / 4 * dt).
#include "cli/render_replica.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string_view>

namespace quorate::cli {

namespace {

using replication::ConnState;
using replication::DiskState;
using replication::ReplicaStatus;
using replication::Role;
using replication::SyncProgress;

#ifdef QUORATE_VERSION
constexpr std::string_view kBuiltVersion = QUORATE_VERSION;
#else
constexpr std::string_view kBuiltVersion = "unknown";
#endif

constexpr uint64_t kKibPerBit = 4;                // one bitmap bit covers 4 KiB
constexpr uint64_t kMegaUnitAboveBits = 1 << 20;  // 4 GiB in 4 KiB bits
constexpr uint64_t kWindowS = 18;                 // DRBD's rolling-mark window

uint64_t kib_to_bits(uint64_t kib) { return (kib + kKibPerBit - 1) / kKibPerBit; }

bool is_verify(ConnState c) { return c == ConnState::kVerifyS || c == ConnState::kVerifyT; }

bool shows_progress(ConnState c) {
  return c == ConnState::kSyncSource || c == ConnState::kSyncTarget || is_verify(c);
}

// The controller's target is shown only where the controller runs.
bool shows_want(ConnState c) { return c == ConnState::kSyncTarget || c == ConnState::kVerifyS; }

bool is_paused_sync(ConnState c) {
  return c == ConnState::kPausedSyncS || c == ConnState::kPausedSyncT;
}

uint32_t permille_done(const SyncProgress& p) {
  const uint64_t total = kib_to_bits(p.total_kib);
  const uint64_t left = kib_to_bits(p.left_kib);
  if (left > total) return 0;
  const unsigned shift = total > 0xffffffffULL ? 16 : 10;
  const uint64_t done = 1000 - (left >> shift) * 1000 / (1 + (total >> shift));
  return static_cast<uint32_t>(done);
}

bool unconfigured(const ReplicaStatus& s) {
  return s.cstate == ConnState::kStandAlone && s.disk == DiskState::kDiskless &&
         s.role == Role::kSecondary;
}

std::string pair(std::string_view a, std::string_view b) { return fmt::format("{}/{}", a, b); }

std::string_view write_ordering_name(char wo) {
  switch (wo) {
    case 'b':
      return "barrier";
    case 'f':
      return "flush";
    case 'd':
      return "drain";
    case 'n':
      return "none";
    default:
      break;
  }
  return "unknown";
}

std::string peer_name(const ReplicaStatus& s) { return s.peer.empty() ? "peer" : s.peer; }

std::string resync_suspended(const ReplicaStatus& s) {
  if (s.paused_by_user && s.paused_by_peer) return "user,peer";
  if (s.paused_by_user) return "user";
  if (s.paused_by_peer) return "peer";
  return "no";
}

}  // namespace

std::string format_thousands(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

uint64_t sync_eta_s(const SyncProgress& p) {
  const uint64_t left_bits = kib_to_bits(p.left_kib);
  const uint64_t window_bits = p.rate_kib_s / kKibPerBit * kWindowS;
  return kWindowS * (left_bits / (window_bits / 100 + 1)) / 100;
}

std::string render_sync_progress(const ReplicaStatus& s) {
  if (!s.sync || !shows_progress(s.cstate)) return {};
  const SyncProgress& p = *s.sync;
  const uint32_t done = permille_done(p);
  const uint32_t x = done / 50;
  std::string out = "\t[";
  for (uint32_t i = 1; i < x; ++i) out += '=';
  out += '>';
  out.append(20 - x, '.');
  out += "] ";
  out += is_verify(s.cstate) ? "verified:" : "sync'ed:";
  out += fmt::format("{:>3}.{}% ", done / 10, done % 10);
  const uint64_t total_bits = kib_to_bits(p.total_kib);
  const uint64_t left_bits = std::min(kib_to_bits(p.left_kib), total_bits);
  if (total_bits > kMegaUnitAboveBits) {
    out += fmt::format("({}/{})M", (left_bits >> 10) * kKibPerBit, (total_bits >> 10) * kKibPerBit);
  } else {
    out += fmt::format("({}/{})K", left_bits * kKibPerBit, total_bits * kKibPerBit);
  }
  out += "\n\t";
  const uint64_t rt = sync_eta_s(p);
  out += fmt::format("finish: {}:{:02}:{:02} speed: {} ({})", rt / 3600, (rt % 3600) / 60, rt % 60,
                     format_thousands(p.rate_kib_s), format_thousands(p.avg_kib_s));
  if (shows_want(s.cstate)) out += " want: " + format_thousands(p.want_kib_s);
  out += " K/sec";
  if (p.stalled) out += " (stalled)";
  out += '\n';
  return out;
}

std::string render_proc_drbd_volume(const ReplicaStatus& s) {
  if (unconfigured(s)) return fmt::format("{:>2}: cs:Unconfigured\n", s.minor);
  std::string out = fmt::format(
      "{:>2}: cs:{} ro:{} ds:{} {} {}-{}{}-{}\n", s.minor, name(s.cstate),
      pair(name(s.role), name(s.peer_role)), pair(name(s.disk), name(s.peer_disk)),
      s.protocol ? replication::letter(*s.protocol) : ' ', s.io_suspended ? 's' : 'r',
      s.paused_by_peer ? 'p' : '-', s.paused_by_user ? 'u' : '-', s.al_suspended ? 's' : '-');
  out += fmt::format(
      "    ns:{} nr:{} dw:{} dr:{} al:{} bm:{} lo:{} pe:{} ua:{} ap:{} ep:{} wo:{} oos:{}\n", s.ns,
      s.nr, s.dw, s.dr, s.al, s.bm, s.lo, s.pe, s.ua, s.ap, s.ep, s.wo, s.oos_kib);
  out += render_sync_progress(s);
  return out;
}

std::string render_proc_drbd(const ReplicaList& volumes, const ProcDrbdOptions& opts) {
  const std::string_view version =
      opts.quorate_version.empty() ? kBuiltVersion : std::string_view(opts.quorate_version);
  std::string out = fmt::format("version: 8.4.11-quorate-{} (api:1/proto:86-101)\n", version);
  out +=
      fmt::format("quorate: quorated {} user-space replication, DRBD 8.4 status layout\n", version);
  int64_t previous = -1;
  for (const auto& s : volumes) {
    if (static_cast<int64_t>(s.minor) != previous + 1) out += '\n';
    previous = s.minor;
    out += render_proc_drbd_volume(s);
  }
  return out;
}

std::string render_drbdadm_role(const ReplicaList& volumes) {
  std::string out;
  for (const auto& s : volumes) out += pair(name(s.role), name(s.peer_role)) + "\n";
  return out;
}

std::string render_drbdadm_cstate(const ReplicaList& volumes) {
  std::string out;
  for (const auto& s : volumes) out += std::string(name(s.cstate)) + "\n";
  return out;
}

std::string render_drbdadm_dstate(const ReplicaList& volumes) {
  std::string out;
  for (const auto& s : volumes) out += pair(name(s.disk), name(s.peer_disk)) + "\n";
  return out;
}

std::string render_drbd_status(const ReplicaList& volumes, const StatusOptions& opts) {
  // Resources in order of first appearance, with their volumes.
  std::vector<std::vector<const ReplicaStatus*>> groups;
  for (const auto& s : volumes) {
    auto it = std::find_if(groups.begin(), groups.end(),
                           [&](const auto& g) { return g.front()->resource == s.resource; });
    if (it == groups.end()) {
      groups.push_back({&s});
    } else {
      it->push_back(&s);
    }
  }
  std::string out;
  for (const auto& group : groups) {
    const ReplicaStatus& r = *group.front();
    const bool multi = group.size() > 1;
    const bool show_volume = multi || opts.verbose;
    // Resource.
    out += r.resource;
    out += fmt::format(" role:{}", name(r.role));
    if (opts.verbose) out += fmt::format(" suspended:{}", r.io_suspended ? "yes" : "no");
    out += '\n';
    if (opts.statistics) out += fmt::format("    write-ordering:{}\n", write_ordering_name(r.wo));
    // Devices.
    for (const ReplicaStatus* v : group) {
      out += "  ";
      if (show_volume) out += fmt::format("volume:{} ", v->volume);
      if (opts.verbose) out += fmt::format("minor:{} ", v->minor);
      out += fmt::format("disk:{}\n", name(v->disk));
      // Where the volume is served (Quorate's; DRBD has its /dev/drbdN).
      if (opts.verbose && (!v->nbd_socket.empty() || !v->nbd_tcp.empty() || !v->fuse_file.empty())) {
        out += "      exports:";
        if (!v->nbd_socket.empty()) out += " nbd:" + v->nbd_socket;
        if (!v->nbd_tcp.empty()) out += " nbd-tcp:" + v->nbd_tcp;
        if (!v->fuse_file.empty()) out += " fuse:" + v->fuse_file;
        if (!v->block_device.empty()) {
          out += " block:" + v->block_device;
          for (const auto& l : v->block_links) out += " " + l;
        }
        out += '\n';
      }
      if (opts.statistics) {
        out += fmt::format(
            "      size:{} read:{} written:{} al-writes:{} bm-writes:{} upper-pending:{} "
            "lower-pending:{} al-suspended:{} blocked:no\n",
            v->size_kib, v->dr, v->dw, v->al, v->bm, v->ap, v->lo, v->al_suspended ? "yes" : "no");
      }
    }
    // Connection.
    const bool connected = replication::is_connected(r.cstate);
    out += "  " + peer_name(r);
    if (opts.verbose || !connected) {
      out += fmt::format(" connection:{}", replication::connection_name9(r.cstate));
    }
    if (connected || opts.verbose) out += fmt::format(" role:{}", name(r.peer_role));
    if (opts.verbose || opts.statistics) out += " congested:no";
    out += '\n';
    if (!connected && !opts.verbose) {
      out += '\n';
      continue;
    }
    // Peer devices.
    for (const ReplicaStatus* v : group) {
      out += "    ";
      if (show_volume) out += fmt::format("volume:{} ", v->volume);
      out += fmt::format("replication:{} peer-disk:{}", replication::replication_name9(v->cstate),
                         name(v->peer_disk));
      const bool running =
          v->sync.has_value() && (shows_progress(v->cstate) || is_paused_sync(v->cstate));
      if (running) {
        const auto& p = *v->sync;
        const double done =
            p.total_kib == 0
                ? 100.0
                : 100.0 * static_cast<double>(p.total_kib - std::min(p.left_kib, p.total_kib)) /
                      static_cast<double>(p.total_kib);
        out += fmt::format(" done:{:.2f}", done);
      }
      const std::string suspended = resync_suspended(*v);
      if (opts.verbose || suspended != "no") out += " resync-suspended:" + suspended;
      out += '\n';
      if (opts.statistics) {
        out += fmt::format("        received:{} sent:{} out-of-sync:{} pending:{} unacked:{}",
                           v->nr, v->ns, v->oos_kib, v->pe, v->ua);
        if (running) {
          const auto& p = *v->sync;
          out += fmt::format(" rs-total:{}", p.total_kib);
          if (shows_want(v->cstate)) out += fmt::format(" want:{}", p.want_kib_s);
          out += fmt::format(" dbdt:{} eta:{}", p.rate_kib_s, sync_eta_s(p));
        }
        out += '\n';
      }
    }
    out += '\n';
  }
  return out;
}

std::string render_drbd_overview(const ReplicaList& volumes,
                                 const std::map<uint32_t, OverviewMount>& mounts) {
  constexpr size_t kColumns = 4;
  std::vector<std::array<std::string, kColumns>> rows;
  std::array<size_t, kColumns> width{};
  for (const auto& s : volumes) {
    std::array<std::string, kColumns> row = {
        fmt::format("{:>2}:{}/{}", s.minor, s.resource, s.volume), std::string(name(s.cstate)),
        pair(name(s.role), name(s.peer_role)), pair(name(s.disk), name(s.peer_disk))};
    for (size_t c = 0; c < kColumns; ++c) width[c] = std::max(width[c], row[c].size());
    rows.push_back(std::move(row));
  }
  std::string out;
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    out += fmt::format("{:<{}}  {:<{}} {:<{}} {:<{}} ", row[0], width[0], row[1], width[1], row[2],
                       width[2], row[3], width[3]);
    if (auto m = mounts.find(volumes[i].minor); m != mounts.end()) {
      const OverviewMount& mt = m->second;
      out += fmt::format("{} {} {} {} {} {} ", mt.mountpoint, mt.fstype, mt.size, mt.used,
                         mt.available, mt.use_percent);
    }
    out += '\n';
    out += render_sync_progress(volumes[i]);
  }
  return out;
}

nlohmann::json replica_status_json(const ReplicaStatus& s) {
  nlohmann::json j = nlohmann::json::object();
  j["resource"] = s.resource;
  j["minor"] = s.minor;
  j["volume"] = s.volume;
  j["peer"] = s.peer;
  j["role"] = name(s.role);
  j["peer_role"] = name(s.peer_role);
  j["cstate"] = name(s.cstate);
  j["connection"] = replication::connection_name9(s.cstate);
  j["replication"] = replication::replication_name9(s.cstate);
  j["disk"] = name(s.disk);
  j["peer_disk"] = name(s.peer_disk);
  j["protocol"] = s.protocol ? nlohmann::json(std::string(1, replication::letter(*s.protocol)))
                             : nlohmann::json(nullptr);
  j["flags"] = {{"io_suspended", s.io_suspended},
                {"al_suspended", s.al_suspended},
                {"paused_by_user", s.paused_by_user},
                {"paused_by_peer", s.paused_by_peer}};
  j["size_kib"] = s.size_kib;
  j["counters"] = {{"sent_kib", s.ns},
                   {"received_kib", s.nr},
                   {"written_kib", s.dw},
                   {"read_kib", s.dr},
                   {"al_writes", s.al},
                   {"bm_writes", s.bm},
                   {"lower_pending", s.lo},
                   {"pending", s.pe},
                   {"unacked", s.ua},
                   {"upper_pending", s.ap},
                   {"epochs", s.ep},
                   {"write_ordering", write_ordering_name(s.wo)},
                   {"out_of_sync_kib", s.oos_kib}};
  const bool running = s.sync.has_value() && (shows_progress(s.cstate) || is_paused_sync(s.cstate));
  if (running) {
    const SyncProgress& p = *s.sync;
    const bool verify = is_verify(s.cstate);
    j["sync"] = {{"kind", verify ? "verify" : "sync"},
                 {"total_kib", p.total_kib},
                 {"left_kib", p.left_kib},
                 {"done_permille", permille_done(p)},
                 {"rate_kib_s", p.rate_kib_s},
                 {"avg_kib_s", p.avg_kib_s},
                 {"want_kib_s",
                  shows_want(s.cstate) ? nlohmann::json(p.want_kib_s) : nlohmann::json(nullptr)},
                 {"eta_s", sync_eta_s(p)},
                 {"stalled", p.stalled},
                 {"paused", is_paused_sync(s.cstate)}};
  } else {
    j["sync"] = nullptr;
  }
  j["split_brain"] =
      s.split_brain.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.split_brain);
  const auto path_or_null = [](const std::string& p) { return p.empty() ? nlohmann::json(nullptr) : nlohmann::json(p); };
  j["exports"] = {{"nbd_socket", path_or_null(s.nbd_socket)},
                  {"nbd_tcp", path_or_null(s.nbd_tcp)},
                  {"fuse_file", path_or_null(s.fuse_file)},
                  {"block_device", path_or_null(s.block_device)},
                  {"block_links", s.block_links}};
  return j;
}

nlohmann::json replicas_json(const ReplicaList& volumes) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : volumes) list.push_back(replica_status_json(s));
  return {{"volumes", std::move(list)}};
}

}  // namespace quorate::cli
