// format_resource: a ResourceConfig printed back in DRBD's resource-file
// syntax (`drbdadm dump`); what it prints parses to the same configuration.
#include <fmt/format.h>

#include "replication/res_config.h"

namespace quorate::replication {

namespace {

bool is_space_or_special(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v' || c == '{' || c == '}' ||
         c == ';' || c == '"' || c == '`' || c == '[';
}

std::string quote(std::string_view s) {
  bool plain = !s.empty() && s[0] != '#' && s.rfind("//", 0) != 0;
  for (char c : s) {
    if (is_space_or_special(c)) plain = false;
  }
  if (plain) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

std::string meta_disk_text(const MetaDisk& m) {
  switch (m.kind) {
    case MetaDisk::Kind::kInternal: return "meta-disk internal;";
    case MetaDisk::Kind::kFlexible: return "flexible-meta-disk " + quote(m.path) + ";";
    case MetaDisk::Kind::kExternal:
      if (m.index) return fmt::format("meta-disk {} [{}];", quote(m.path), *m.index);
      return "meta-disk " + quote(m.path) + ";";
  }
  return "";
}

std::string address_text(const HostConfig& h) {
  if (h.ipv6) return fmt::format("ipv6 [{}]:{}", h.address, h.port);
  return fmt::format("{}:{}", h.address, h.port);
}

}  // namespace

std::string format_resource(const ResourceConfig& r) {
  std::string o;
  auto line = [&o](int indent, const std::string& text) {
    o.append(static_cast<size_t>(indent) * 4, ' ');
    o += text;
    o += '\n';
  };
  const NetOptions& n = r.net;
  const DiskOptions& d = r.disk;
  line(0, "resource " + quote(r.name) + " {");
  line(1, "net {");
  line(2, fmt::format("protocol {};", letter(n.protocol)));
  line(2, "allow-two-primaries " + yes_no(n.allow_two_primaries) + ";");
  line(2, fmt::format("after-sb-0pri {};", name(n.after_sb_0pri)));
  line(2, fmt::format("after-sb-1pri {};", name(n.after_sb_1pri)));
  line(2, fmt::format("after-sb-2pri {};", name(n.after_sb_2pri)));
  if (!n.cram_hmac_alg.empty()) line(2, "cram-hmac-alg " + quote(n.cram_hmac_alg) + ";");
  if (!n.shared_secret.empty()) line(2, "shared-secret " + quote(n.shared_secret) + ";");
  line(2, fmt::format("ping-int {};", n.ping_int_s));
  line(2, fmt::format("ping-timeout {};", n.ping_timeout_ds));
  line(2, fmt::format("timeout {};", n.timeout_ds));
  line(2, fmt::format("connect-int {};", n.connect_int_s));
  line(2, fmt::format("ko-count {};", n.ko_count));
  line(2, fmt::format("max-buffers {};", n.max_buffers));
  line(2, fmt::format("max-epoch-size {};", n.max_epoch_size));
  if (!n.verify_alg.empty()) line(2, "verify-alg " + n.verify_alg + ";");
  if (!n.csums_alg.empty()) line(2, "csums-alg " + n.csums_alg + ";");
  if (!n.data_integrity_alg.empty()) line(2, "data-integrity-alg " + n.data_integrity_alg + ";");
  line(2, fmt::format("rr-conflict {};", name(n.rr_conflict)));
  line(2, fmt::format("fencing {};", name(n.fencing)));
  line(2, fmt::format("on-congestion {};", name(n.on_congestion)));
  line(2, fmt::format("congestion-fill {}s;", n.congestion_fill_sectors));
  line(2, fmt::format("congestion-extents {};", n.congestion_extents));
  line(2, "tcp-cork " + yes_no(n.tcp_cork) + ";");
  line(2, "use-rle " + yes_no(n.use_rle) + ";");
  line(1, "}");
  line(1, "disk {");
  line(2, fmt::format("on-io-error {};", name(d.on_io_error)));
  line(2, fmt::format("resync-rate {}K;", d.resync_rate_kib_s));
  line(2, fmt::format("c-plan-ahead {};", d.c_plan_ahead_ds));
  line(2, fmt::format("c-fill-target {}s;", d.c_fill_target_sectors));
  line(2, fmt::format("c-delay-target {};", d.c_delay_target_ds));
  line(2, fmt::format("c-min-rate {}K;", d.c_min_rate_kib_s));
  line(2, fmt::format("c-max-rate {}K;", d.c_max_rate_kib_s));
  line(2, fmt::format("al-extents {};", d.al_extents));
  line(2, "al-updates " + yes_no(d.al_updates) + ";");
  line(2, "disk-barrier " + yes_no(d.disk_barrier) + ";");
  line(2, "disk-flushes " + yes_no(d.disk_flushes) + ";");
  line(2, "disk-drain " + yes_no(d.disk_drain) + ";");
  line(2, "md-flushes " + yes_no(d.md_flushes) + ";");
  if (!d.resync_after.empty()) line(2, "resync-after " + quote(d.resync_after) + ";");
  if (d.size_sectors) line(2, fmt::format("size {}s;", *d.size_sectors));
  line(1, "}");
  line(1, "startup {");
  line(2, fmt::format("wfc-timeout {};", r.startup.wfc_timeout_s));
  line(2, fmt::format("degr-wfc-timeout {};", r.startup.degr_wfc_timeout_s));
  line(2, fmt::format("outdated-wfc-timeout {};", r.startup.outdated_wfc_timeout_s));
  line(2, "wait-after-sb " + yes_no(r.startup.wait_after_sb) + ";");
  if (!r.startup.become_primary_on.empty()) {
    std::string names;
    for (const std::string& h : r.startup.become_primary_on) names += " " + quote(h);
    line(2, "become-primary-on" + names + ";");
  }
  line(1, "}");
  line(1, "options {");
  line(2, fmt::format("on-no-data-accessible {};", name(r.options.on_no_data_accessible)));
  line(2, "auto-promote " + yes_no(r.options.auto_promote) + ";");
  line(2, "quorum " + quote(r.options.quorum) + ";");
  line(2, fmt::format("on-no-quorum {};", name(r.options.on_no_quorum)));
  line(1, "}");
  line(1, "handlers {");
  for (const auto& [key, command] : r.handlers) line(2, quote(key) + " " + quote(command) + ";");
  line(1, "}");
  std::vector<const HostConfig*> port_only;
  for (const HostConfig& h : r.hosts) {
    if (h.floating) {
      line(1, (h.ipv6 ? "floating ipv6 " : "floating ") + quote(h.name) + " {");
    } else {
      std::string names = quote(h.name);
      for (const std::string& m : h.more_names) names += " " + quote(m);
      line(1, "on " + names + " {");
    }
    if (h.node_id) line(2, fmt::format("node-id {};", *h.node_id));
    line(2, fmt::format("volume {} {{", h.volume));
    line(3, fmt::format("device {} minor {};", quote(h.device), h.minor));
    line(3, "disk " + quote(h.disk) + ";");
    line(3, meta_disk_text(h.meta_disk));
    line(2, "}");
    if (!h.floating && !h.address.empty()) line(2, "address " + address_text(h) + ";");
    if (h.address.empty() && h.port != 0) port_only.push_back(&h);
    line(1, "}");
  }
  if (!port_only.empty()) {
    line(1, "connection {");
    for (const HostConfig* h : port_only) line(2, fmt::format("host {} port {};", quote(h->name), h->port));
    line(1, "}");
  }
  line(0, "}");
  return o;
}

}  // namespace quorate::replication
