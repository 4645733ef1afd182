// Cib -> WorkingSet: nodes, cluster options, the resource tree, and each
// primitive's current state from its operation history. Stages, in order:
// options, nodes, resources (meta resolved), history (per node_state), orphans.
#include "crm/sched_unpack.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <set>

namespace quorate::crm::sched {

namespace {

using StrMap = std::map<std::string, std::string, std::less<>>;

bool is_true(std::string_view v) {
  std::string s(v);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "on" || s == "yes" || s == "y" || s == "1";
}

std::optional<std::int64_t> to_int(std::string_view v) {
  std::int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size()) return std::nullopt;
  return out;
}

// Later sets do not override earlier ones (Pacemaker: first value wins).
void merge_sets(const std::vector<AttrSet>& sets, SetKind kind, StrMap& out) {
  for (const auto& set : sets) {
    if (set.kind != kind) continue;
    for (const auto& nv : set.nvpairs) {
      if (nv.name && nv.value) out.emplace(*nv.name, *nv.value);
    }
  }
}

std::string get(const StrMap& m, std::string_view key, std::string_view def = "") {
  auto it = m.find(key);
  return it == m.end() ? std::string(def) : it->second;
}

// A boolean-ish timestamp ("true", "online", or a positive number).
bool flag_or_time(const OptString& v, std::string_view truthy) {
  if (!v) return false;
  if (*v == truthy || *v == "true") return true;
  auto n = to_int(*v);
  return n && *n > 0;
}

ClusterOptions unpack_options(const Cib& cib) {
  ClusterOptions o;
  for (const auto& set : cib.configuration.crm_config) {
    for (const auto& nv : set.nvpairs) {
      if (nv.name && nv.value) o.properties.emplace(*nv.name, *nv.value);
    }
  }
  const auto& p = o.properties;
  if (const auto* q = cib.attr("have-quorum")) o.have_quorum = is_true(*q);
  o.stonith_enabled = is_true(get(p, "stonith-enabled", "true"));
  o.stonith_action = get(p, "stonith-action", "reboot");
  if (o.stonith_action == "poweroff") o.stonith_action = "off";
  o.startup_fencing = is_true(get(p, "startup-fencing", "true"));
  o.concurrent_fencing = is_true(get(p, "concurrent-fencing", "false"));
  o.no_quorum_policy = get(p, "no-quorum-policy", "stop");
  o.symmetric_cluster = is_true(get(p, "symmetric-cluster", "true"));
  o.start_failure_is_fatal = is_true(get(p, "start-failure-is-fatal", "true"));
  o.stop_all_resources = is_true(get(p, "stop-all-resources", "false"));
  o.maintenance_mode = is_true(get(p, "maintenance-mode", "false"));
  o.stop_orphan_resources = is_true(get(p, "stop-orphan-resources", "true"));
  return o;
}

void unpack_node_state(const NodeState& ns, bool stonith_enabled, WsNode& n) {
  if (ns.transient_attributes) {
    merge_sets(ns.transient_attributes->sets, SetKind::kInstance, n.transient);
  }
  const bool in_ccm = flag_or_time(ns.in_ccm, "true");
  const bool crmd = flag_or_time(ns.crmd, "online");
  const std::string join = ns.join.value_or("down");
  const std::string expected = ns.expected.value_or("");
  n.expected_up = expected == "member";
  const std::string shutdown = get(n.transient, "shutdown", "0");
  n.shutdown = !shutdown.empty() && shutdown != "0";
  if (in_ccm && crmd && join == "member") {
    n.online = true;
  } else if (in_ccm && crmd && expected != "down") {
    n.pending = true;  // in membership, not yet joined
  } else if (expected == "down" || (!in_ccm && !crmd && expected.empty())) {
    n.online = false;  // cleanly down
  } else {
    n.unclean = stonith_enabled;  // expected up but gone: membership or controller lost
  }
}

std::vector<WsNode> unpack_nodes(const Cib& cib, const ClusterOptions& o) {
  std::vector<WsNode> nodes;
  for (const auto& cn : cib.configuration.nodes) {
    if (cn.type && *cn.type != "member" && *cn.type != "normal") continue;
    WsNode n;
    n.id = cn.id;
    n.uname = cn.uname;
    merge_sets(cn.sets, SetKind::kInstance, n.attrs);
    n.unclean = o.stonith_enabled && o.startup_fencing;  // until seen in the status
    bool seen = false;
    if (cib.status) {
      for (const auto& ns : cib.status->nodes) {
        if (ns.id == cn.id || (ns.uname && *ns.uname == cn.uname && ns.id.empty())) {
          seen = true;
          n.unclean = false;
          unpack_node_state(ns, o.stonith_enabled, n);
          break;
        }
      }
    }
    (void)seen;
    const std::string standby =
        n.transient.count("standby") ? get(n.transient, "standby") : get(n.attrs, "standby", "off");
    n.standby = is_true(standby);
    const std::string maint = n.transient.count("maintenance") ? get(n.transient, "maintenance")
                                                               : get(n.attrs, "maintenance", "off");
    n.maintenance = is_true(maint);
    nodes.push_back(std::move(n));
  }
  std::stable_sort(nodes.begin(), nodes.end(), [](const WsNode& a, const WsNode& b) {
    return node_name_less(a.uname, b.uname);
  });
  return nodes;
}

// ---------------------------------------------------------------------------
// Resources

void resolve_meta(WsResource& r) {
  const auto& m = r.meta;
  if (auto it = m.find("target-role"); it != m.end()) {
    auto role = parse_role(it->second);
    if (role && *role != Role::kUnknown) r.target_role = role;
  }
  if (auto it = m.find("is-managed"); it != m.end()) r.managed = is_true(it->second);
  if (auto it = m.find("resource-stickiness"); it != m.end()) {
    r.stickiness = parse_score(it->second).value_or(0);
  } else if (auto it2 = m.find("default-resource-stickiness"); it2 != m.end()) {
    r.stickiness = parse_score(it2->second).value_or(0);
  }
  if (auto it = m.find("migration-threshold"); it != m.end()) {
    r.migration_threshold = parse_score(it->second).value_or(kInfinity);
    if (r.migration_threshold <= 0) r.migration_threshold = kInfinity;
  }
  if (auto it = m.find("priority"); it != m.end()) r.priority = parse_score(it->second).value_or(0);
}

std::string agent_of(const AgentResource& p) {
  std::string a = p.resource_class.value_or("");
  if (p.provider) a += ":" + *p.provider;
  a += ":" + p.type.value_or("");
  return a;
}

WsResource make_primitive(const Primitive& p, const StrMap& inherited) {
  WsResource r;
  r.kind = RscKind::kPrimitive;
  r.id = r.base_id = p.id;
  r.agent = agent_of(p);
  r.rsc_class = p.resource_class.value_or("");
  merge_sets(p.sets, SetKind::kMeta, r.meta);
  for (const auto& [k, v] : inherited) r.meta.emplace(k, v);
  merge_sets(p.sets, SetKind::kInstance, r.params);
  if (p.operations) r.ops = p.operations->ops;
  resolve_meta(r);
  return r;
}

WsResource make_group(const Group& g, const StrMap& inherited) {
  WsResource r;
  r.kind = RscKind::kGroup;
  r.id = r.base_id = g.id;
  merge_sets(g.sets, SetKind::kMeta, r.meta);
  for (const auto& [k, v] : inherited) r.meta.emplace(k, v);
  resolve_meta(r);
  for (const auto& m : g.members) r.children.push_back(make_primitive(m, r.meta));
  return r;
}

void suffix_ids(WsResource& r, int instance) {
  r.id = r.base_id + ":" + std::to_string(instance);
  for (auto& c : r.children) suffix_ids(c, instance);
}

WsResource make_clone(const Clone& c, const StrMap& defaults, int node_count) {
  WsResource r;
  r.kind = RscKind::kClone;
  r.id = r.base_id = c.id;
  merge_sets(c.sets, SetKind::kMeta, r.meta);
  for (const auto& [k, v] : defaults) r.meta.emplace(k, v);
  resolve_meta(r);
  const auto& m = r.meta;
  r.promotable = c.promotable() || is_true(get(m, "promotable", "false"));
  r.unique = is_true(get(m, "globally-unique", "false"));
  const auto* child_prim = std::get_if<Primitive>(&c.child);
  r.child_base_id = child_prim ? child_prim->id : std::get<Group>(c.child).id;
  if (child_prim && child_prim->resource_class && *child_prim->resource_class == "lsb")
    r.unique = false;  // LSB agents cannot run as distinct instances
  r.interleave = is_true(get(m, "interleave", "false"));
  r.notify = is_true(get(m, "notify", "false"));
  auto num = [&](std::initializer_list<const char*> keys, int def) {
    for (const char* k : keys) {
      if (auto it = m.find(k); it != m.end()) {
        if (auto v = parse_score(it->second)) return std::max(0, *v);
      }
    }
    return def;
  };
  r.clone_max = num({"clone-max"}, node_count);
  r.clone_node_max = num({"clone-node-max"}, 1);
  r.promoted_max = num({"promoted-max", "master-max"}, 1);
  r.promoted_node_max = num({"promoted-node-max", "master-node-max"}, 1);
  // Children inherit the clone's meta, minus what only the clone reads.
  for (int i = 0; i < r.clone_max; ++i) {
    WsResource child = std::holds_alternative<Primitive>(c.child)
                           ? make_primitive(std::get<Primitive>(c.child), r.meta)
                           : make_group(std::get<Group>(c.child), r.meta);
    suffix_ids(child, i);
    r.children.push_back(std::move(child));
  }
  return r;
}

// ---------------------------------------------------------------------------
// History

std::int64_t target_rc_of(const OptString& key) {
  // "action:transition:target_rc:uuid"
  if (!key) return 0;
  const auto a = key->find(':');
  if (a == std::string::npos) return 0;
  const auto b = key->find(':', a + 1);
  if (b == std::string::npos) return 0;
  const auto c = key->find(':', b + 1);
  if (c == std::string::npos) return 0;
  return to_int(std::string_view(*key).substr(b + 1, c - b - 1)).value_or(0);
}

std::int64_t interval_of(std::string_view text) {
  // "10s", "10", "1min", "500ms", "1h" -> milliseconds
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  const auto n = to_int(text.substr(0, i)).value_or(0);
  const auto unit = text.substr(i);
  if (unit == "ms" || unit == "msec") return n;
  if (unit == "m" || unit == "min") return n * 60000;
  if (unit == "h" || unit == "hr") return n * 3600000;
  return n * 1000;
}

std::string on_fail_for(const std::vector<Op>& ops, const std::string& task,
                        std::int64_t interval) {
  for (const auto& op : ops) {
    if (op.name == task && interval_of(op.interval) == interval && op.on_fail) return *op.on_fail;
  }
  return "";
}

std::vector<HistoryOp> sorted_ops(const LrmResource& lr, const std::vector<Op>& configured) {
  std::vector<HistoryOp> ops;
  for (const auto& op : lr.ops) {
    HistoryOp h;
    h.target_rc = target_rc_of(op.transition_key);
    h.task = op.operation;
    h.call_id = op.call_id.value_or(-1);
    h.rc = op.rc_code.value_or(0);
    h.op_status = op.op_status.value_or(0);
    h.interval_ms = op.interval_ms.value_or(0);
    h.on_fail = on_fail_for(configured, h.task, h.interval_ms);
    ops.push_back(h);
  }
  // Pending ops (call-id -1) are the most recent.
  std::stable_sort(ops.begin(), ops.end(), [](const HistoryOp& a, const HistoryOp& b) {
    auto key = [](const HistoryOp& o) { return o.call_id < 0 ? INT64_MAX : o.call_id; };
    return key(a) < key(b);
  });
  return ops;
}

// Replays the history of one primitive on one node. An operation's result
// is judged against the rc its transition expected (so an old CIB's
// "op-status=4 rc=7" probe that expected 7 is a clean "not running").
NodeRscState replay(const std::string& node, std::vector<HistoryOp> ops, bool stonith_enabled) {
  NodeRscState s;
  s.node = node;
  auto at_least_started = [&s] {
    if (s.role == Role::kUnknown || s.role == Role::kStopped) s.role = Role::kStarted;
  };
  for (const auto& op : ops) {
    if (op.op_status == 1) continue;  // cancelled
    if (op.task == "notify" || op.task == "meta-data") continue;
    const bool recurring = op.interval_ms > 0;
    const bool probe = op.task == "monitor" && !recurring;
    if (op.op_status == -1 || op.rc == 193) {
      s.pending_task = op.task;
      s.pending_recurring = recurring;
      if (op.task == "start" || op.task == "migrate_from") {
        s.role = Role::kStarted;
      } else if (op.task == "promote") {
        s.role = Role::kUnpromoted;
      } else if (op.task == "demote") {
        s.role = Role::kPromoted;
      }
      continue;
    }
    s.pending_task.clear();
    s.pending_recurring = false;
    const bool completed = op.op_status == 0 || op.op_status == 4;
    if (completed && probe && op.rc == 5) {
      s.role = Role::kStopped;
      s.not_installed = true;
      continue;
    }
    const bool ok =
        completed && (op.rc == op.target_rc || (probe && (op.rc == 0 || op.rc == 7 || op.rc == 8)));
    if (ok) {
      if (op.rc == 7) {
        s.role = Role::kStopped;
      } else if (op.rc == 8) {
        s.role = Role::kPromoted;
      } else if (op.task == "stop" || op.task == "migrate_to") {
        s.role = Role::kStopped;
      } else if (op.task == "start" || op.task == "migrate_from") {
        s.role = Role::kStarted;
      } else if (op.task == "promote") {
        s.role = Role::kPromoted;
      } else if (op.task == "demote") {
        s.role = Role::kUnpromoted;
      } else {
        at_least_started();
      }
      if (op.task == "start" || op.task == "stop" || op.task == "promote" || op.task == "demote" ||
          probe) {
        s.failed = false;
        s.blocked = false;
        s.failure_ignored = false;
      }
      continue;
    }
    std::string on_fail = op.on_fail;
    if (on_fail.empty())
      on_fail = op.task == "stop" ? (stonith_enabled ? "fence" : "block") : "restart";
    // Hard errors (not installed, fatal) cannot be ignored.
    if (on_fail == "ignore" && op.op_status >= 5 && op.op_status <= 7) on_fail = "restart";
    if (on_fail == "ignore") {
      s.failure_ignored = true;
      at_least_started();
      continue;
    }
    s.failed = true;
    if (on_fail == "block") s.blocked = true;
    if (on_fail == "fence") s.needs_fencing = true;
    if (op.rc == 9 || op.task == "promote") {
      s.role = Role::kPromoted;
    } else if (op.task == "demote") {
      s.role = Role::kUnpromoted;
    } else {
      at_least_started();
    }
  }
  s.ops = std::move(ops);
  return s;
}

int failcount_for(const WsNode& node, std::string_view rsc_id) {
  int total = 0;
  const std::string exact = "fail-count-" + std::string(rsc_id);
  for (const auto& [k, v] : node.transient) {
    if (k == exact || k.rfind(exact + "#", 0) == 0)
      total = score_add(total, parse_score(v).value_or(0));
  }
  return total;
}

struct Unpacker {
  WorkingSet& ws;
  // primitive base id -> path to it: (top index, clone?, member index)
  struct Where {
    std::size_t top = 0;
    bool in_clone = false;
    bool in_group = false;
    std::size_t member = 0;
  };
  std::map<std::string, Where, std::less<>> where;
  std::vector<WsResource> orphans;
  std::set<std::string> fence_nodes;  // a failed stop there needs fencing

  void index() {
    for (std::size_t i = 0; i < ws.resources.size(); ++i) {
      const auto& r = ws.resources[i];
      if (r.kind == RscKind::kPrimitive) {
        where[r.base_id] = {i, false, false, 0};
      } else if (r.kind == RscKind::kGroup) {
        for (std::size_t m = 0; m < r.children.size(); ++m)
          where[r.children[m].base_id] = {i, false, true, m};
      } else if (!r.children.empty()) {
        const auto& c = r.children.front();
        if (c.kind == RscKind::kPrimitive) {
          where[c.base_id] = {i, true, false, 0};
        } else {
          for (std::size_t m = 0; m < c.children.size(); ++m)
            where[c.children[m].base_id] = {i, true, true, m};
        }
      }
    }
  }

  static bool active(const NodeRscState& s) {
    return s.failed || s.role == Role::kStarted || s.role == Role::kUnpromoted ||
           s.role == Role::kPromoted || !s.pending_task.empty();
  }

  static bool instance_active_on(const WsResource& inst, const std::string& node) {
    if (inst.kind == RscKind::kPrimitive) {
      for (const auto& h : inst.history)
        if (h.node == node && active(h)) return true;
      return false;
    }
    for (const auto& c : inst.children)
      if (instance_active_on(c, node)) return true;
    return false;
  }

  static bool instance_active_anywhere(const WsResource& inst) {
    if (inst.kind == RscKind::kPrimitive) {
      for (const auto& h : inst.history)
        if (active(h)) return true;
      return false;
    }
    for (const auto& c : inst.children)
      if (instance_active_anywhere(c)) return true;
    return false;
  }

  static void add_history(WsResource& prim, const WsNode& node, NodeRscState s,
                          bool anonymous = false) {
    s.failcount = failcount_for(node, anonymous ? prim.base_id : prim.id);
    prim.history.push_back(std::move(s));
  }

  void unpack_lrm(const WsNode& node, const LrmResource& lr) {
    std::string id = lr.id;
    std::optional<int> instance;
    if (auto colon = id.rfind(':'); colon != std::string::npos) {
      if (auto n = to_int(std::string_view(id).substr(colon + 1))) {
        instance = static_cast<int>(*n);
        id = id.substr(0, colon);
      }
    }
    auto it = where.find(id);
    const WsResource* conf = nullptr;
    if (it != where.end()) {
      const WsResource& top = ws.resources[it->second.top];
      const WsResource* base =
          top.kind == RscKind::kClone && !top.children.empty() ? &top.children.front() : &top;
      conf = it->second.in_group ? &base->children[it->second.member] : base;
    }
    NodeRscState s = replay(node.uname, sorted_ops(lr, conf ? conf->ops : std::vector<Op>{}),
                            ws.options.stonith_enabled);
    if (s.needs_fencing) fence_nodes.insert(node.uname);
    if (it == where.end() || (!it->second.in_clone && instance)) {
      add_orphan(node, lr, std::move(s));
      return;
    }
    const Where w = it->second;
    WsResource& top = ws.resources[w.top];
    if (!w.in_clone) {
      WsResource& prim = w.in_group ? top.children[w.member] : top;
      add_history(prim, node, std::move(s));
      return;
    }
    if (top.children.empty()) {
      add_orphan(node, lr, std::move(s));
      return;
    }
    std::size_t idx = 0;
    if (top.unique) {
      if (!instance || *instance < 0 ||
          static_cast<std::size_t>(*instance) >= top.children.size()) {
        add_orphan(node, lr, std::move(s));
        return;
      }
      idx = static_cast<std::size_t>(*instance);
    } else {
      idx = anonymous_instance(top, node.uname, active(s));
    }
    WsResource& inst = top.children[idx];
    WsResource& prim = w.in_group ? inst.children[w.member] : inst;
    add_history(prim, node, std::move(s), !top.unique);
  }

  // The instance of anonymous clone `clone` that holds history on `node`:
  // the one already active there, else (when this history is active) the
  // first instance active nowhere, else the first instance inactive there.
  static std::size_t anonymous_instance(const WsResource& clone, const std::string& node,
                                        bool is_active) {
    for (std::size_t i = 0; i < clone.children.size(); ++i)
      if (instance_active_on(clone.children[i], node)) return i;
    for (std::size_t i = 0; i < clone.children.size(); ++i)
      if (!instance_active_anywhere(clone.children[i])) return i;
    (void)is_active;
    return 0;
  }

  void add_orphan(const WsNode& node, const LrmResource& lr, NodeRscState s) {
    for (auto& o : orphans) {
      if (o.id == lr.id) {
        add_history(o, node, std::move(s));
        return;
      }
    }
    WsResource r;
    r.kind = RscKind::kPrimitive;
    r.id = r.base_id = lr.id;
    r.orphan = true;
    r.rsc_class = lr.resource_class.value_or("");
    r.agent = r.rsc_class;
    if (lr.provider) r.agent += ":" + *lr.provider;
    r.agent += ":" + lr.type.value_or("");
    add_history(r, node, std::move(s));
    orphans.push_back(std::move(r));
  }
};

void count_instances(const std::vector<WsResource>& rs, WorkingSet& ws) {
  for (const auto& r : rs) {
    if (r.kind != RscKind::kPrimitive) {
      count_instances(r.children, ws);
      continue;
    }
    ++ws.instances;
    if (r.target_role && *r.target_role == Role::kStopped) ++ws.disabled_instances;
    bool blocked = false;
    for (const auto& h : r.history) blocked = blocked || (h.failed && h.blocked);
    if (blocked) ++ws.blocked_instances;
  }
}

// Seconds since the epoch -> "YYYY-MM-DD HH:MM:SSZ" (UTC, proleptic Gregorian).
std::string format_date(std::string_view epoch_text) {
  auto secs = to_int(epoch_text);
  if (!secs) return std::string(epoch_text);
  std::int64_t days = *secs / 86400;
  std::int64_t rem = *secs % 86400;
  // Civil-from-days (Howard Hinnant's algorithm).
  days += 719468;
  const std::int64_t era = days / 146097;
  const std::int64_t doe = days - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = yoe + era * 400;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  const std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lld %02lld:%02lld:%02lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem % 3600 / 60),
                static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace

// ---------------------------------------------------------------------------

int score_add(int a, int b) {
  if (a <= -kInfinity || b <= -kInfinity) return -kInfinity;
  if (a >= kInfinity || b >= kInfinity) return kInfinity;
  const std::int64_t sum = static_cast<std::int64_t>(a) + b;
  return static_cast<int>(std::clamp<std::int64_t>(sum, -kInfinity, kInfinity));
}

std::optional<int> parse_score(std::string_view text) {
  std::string s(text);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "infinity" || s == "+infinity" || s == "inf" || s == "+inf") return kInfinity;
  if (s == "-infinity" || s == "-inf") return -kInfinity;
  if (!s.empty() && s[0] == '+') s.erase(0, 1);
  if (const auto dot = s.find('.'); dot != std::string::npos) s.erase(dot);  // "2.0" -> 2
  auto v = to_int(s);
  if (!v) return std::nullopt;
  return static_cast<int>(std::clamp<std::int64_t>(*v, -kInfinity, kInfinity));
}

std::string score_text(int score) {
  if (score >= kInfinity) return "INFINITY";
  if (score <= -kInfinity) return "-INFINITY";
  return std::to_string(score);
}

bool node_name_less(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() && j < b.size()) {
    const auto ca = static_cast<unsigned char>(a[i]);
    const auto cb = static_cast<unsigned char>(b[j]);
    if (std::isdigit(ca) && std::isdigit(cb)) {
      std::size_t ie = i;
      std::size_t je = j;
      while (ie < a.size() && std::isdigit(static_cast<unsigned char>(a[ie]))) ++ie;
      while (je < b.size() && std::isdigit(static_cast<unsigned char>(b[je]))) ++je;
      auto na = a.substr(i, ie - i);
      auto nb = b.substr(j, je - j);
      while (na.size() > 1 && na[0] == '0') na.remove_prefix(1);
      while (nb.size() > 1 && nb[0] == '0') nb.remove_prefix(1);
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = ie;
      j = je;
      continue;
    }
    const int la = std::tolower(ca);
    const int lb = std::tolower(cb);
    if (la != lb) return la < lb;
    ++i;
    ++j;
  }
  return (a.size() - i) < (b.size() - j);
}

const char* role_text(Role role) {
  switch (role) {
    case Role::kUnknown:
      return "Unknown";
    case Role::kStopped:
      return "Stopped";
    case Role::kStarted:
      return "Started";
    case Role::kUnpromoted:
      return "Unpromoted";
    case Role::kPromoted:
      return "Promoted";
  }
  return "Unknown";
}

std::optional<Role> parse_role(std::string_view text) {
  std::string s(text);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (s == "stopped") return Role::kStopped;
  if (s == "started") return Role::kStarted;
  if (s == "unpromoted" || s == "slave") return Role::kUnpromoted;
  if (s == "promoted" || s == "master") return Role::kPromoted;
  return std::nullopt;
}

std::vector<std::string> WsResource::active_nodes() const {
  std::vector<std::string> out;
  if (kind != RscKind::kPrimitive) {
    for (const auto& c : children)
      for (auto& n : c.active_nodes())
        if (std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    return out;
  }
  for (const auto& h : history)
    if (Unpacker::active(h)) out.push_back(h.node);
  return out;
}

Role WsResource::current_role() const {
  Role best = Role::kStopped;
  auto rank = [](Role r) { return static_cast<int>(r); };
  if (kind != RscKind::kPrimitive) {
    for (const auto& c : children)
      if (rank(c.current_role()) > rank(best)) best = c.current_role();
    return best;
  }
  for (const auto& h : history) {
    if (!Unpacker::active(h)) continue;
    Role r = h.role == Role::kUnknown || h.role == Role::kStopped ? Role::kStarted : h.role;
    if (rank(r) > rank(best)) best = r;
  }
  return best;
}

bool WsResource::failed() const {
  if (kind != RscKind::kPrimitive) {
    for (const auto& c : children)
      if (c.failed()) return true;
    return false;
  }
  for (const auto& h : history)
    if (h.failed) return true;
  return false;
}

const WsNode* WorkingSet::find_node(std::string_view uname) const {
  for (const auto& n : nodes)
    if (n.uname == uname) return &n;
  return nullptr;
}

Result<WorkingSet> unpack_working_set(const Cib& cib) {
  WorkingSet ws;
  ws.cib = &cib;
  ws.options = unpack_options(cib);
  ws.nodes = unpack_nodes(cib, ws.options);

  StrMap defaults;
  if (cib.configuration.rsc_defaults)
    merge_sets(*cib.configuration.rsc_defaults, SetKind::kMeta, defaults);
  if (!defaults.count("resource-stickiness")) {
    if (auto it = ws.options.properties.find("default-resource-stickiness");
        it != ws.options.properties.end())
      defaults.emplace("resource-stickiness", it->second);
  }
  const int node_count = static_cast<int>(ws.nodes.size());
  for (const auto& res : cib.configuration.resources) {
    if (const auto* p = std::get_if<Primitive>(&res)) {
      ws.resources.push_back(make_primitive(*p, defaults));
    } else if (const auto* g = std::get_if<Group>(&res)) {
      ws.resources.push_back(make_group(*g, defaults));
    } else if (const auto* c = std::get_if<Clone>(&res)) {
      ws.resources.push_back(make_clone(*c, defaults, node_count));
    }
  }

  // Higher priority first; configuration order among equals.
  std::stable_sort(
      ws.resources.begin(), ws.resources.end(),
      [](const WsResource& a, const WsResource& b) { return a.priority > b.priority; });
  Unpacker u{ws, {}, {}, {}};
  u.index();
  if (cib.status) {
    for (const auto& ns : cib.status->nodes) {
      const WsNode* node = nullptr;
      for (const auto& n : ws.nodes)
        if (n.id == ns.id) node = &n;
      if (node == nullptr || !ns.lrm) continue;
      // A node that left cleanly runs nothing: its history is not current.
      if (!node->online && !node->unclean && !node->pending) continue;
      for (const auto& lr : ns.lrm->resources) u.unpack_lrm(*node, lr);
    }
  }
  for (auto& o : u.orphans) ws.resources.push_back(std::move(o));
  for (auto& n : ws.nodes)
    if (u.fence_nodes.count(n.uname)) n.unclean = true;
  count_instances(ws.resources, ws);
  if (const auto* date = cib.attr("execution-date")) ws.execution_date = format_date(*date);
  return ws;
}

}  // namespace quorate::crm::sched
