// Cib -> WorkingSet: nodes, cluster options, the resource tree, and each
// primitive's current state from its operation history. Stages, in order:
// options, nodes, resources (meta resolved), history (per node_state), orphans.
#include "crm/sched_unpack.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <set>
#include <unordered_map>

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
  for (auto& ch : o.no_quorum_policy)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (o.no_quorum_policy != "ignore" && o.no_quorum_policy != "freeze" &&
      o.no_quorum_policy != "demote" && o.no_quorum_policy != "suicide")
    o.no_quorum_policy = "stop";
  if (o.no_quorum_policy == "suicide") {
    // Effective only with fencing, and once the cluster has had quorum.
    const auto* panic = cib.attr("no-quorum-panic");
    const bool do_panic = panic != nullptr && to_int(*panic).value_or(0) != 0;
    if (!o.stonith_enabled || !(do_panic || o.have_quorum)) o.no_quorum_policy = "stop";
  }
  o.symmetric_cluster = is_true(get(p, "symmetric-cluster", "true"));
  o.start_failure_is_fatal = is_true(get(p, "start-failure-is-fatal", "true"));
  o.stop_all_resources = is_true(get(p, "stop-all-resources", "false"));
  o.maintenance_mode = is_true(get(p, "maintenance-mode", "false"));
  o.stop_orphan_resources = is_true(get(p, "stop-orphan-resources", "true"));
  return o;
}

bool ieq(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool opt_true(const OptString& v) { return v && is_true(*v); }
bool opt_eq(const OptString& v, std::string_view s) { return v && ieq(*v, s); }

// A node attribute as Pacemaker reads it: the status (transient) value wins
// over the configured one.
const std::string* node_attr(const WsNode& n, std::string_view name) {
  if (auto it = n.transient.find(name); it != n.transient.end()) return &it->second;
  if (auto it = n.attrs.find(name); it != n.attrs.end()) return &it->second;
  return nullptr;
}

// Pacemaker 2.1's online/clean rules for a cluster node with a node_state.
// in_ccm is the membership layer's view, crmd the controller's, join the
// controller's join state, expected what the DC expects. With fencing, a node
// that is (or may be) running but not properly in the cluster is unclean; a
// node in membership whose controller has not joined yet is pending. Without
// fencing, only a node expected up whose controller vanished while it stayed
// in membership is unclean (there is nothing to fence, but it is flagged).
void determine_online(const NodeState& ns, const ClusterOptions& o, WsNode& n) {
  n.shutdown = false;
  n.expected_up = false;
  const std::string* shutdown = node_attr(n, "shutdown");
  if (shutdown != nullptr && *shutdown != "0") {
    n.shutdown = true;
  } else if (opt_eq(ns.expected, "member")) {
    n.expected_up = true;
  }
  const bool in_cluster = opt_true(ns.in_ccm);
  const bool crmd_online = opt_eq(ns.crmd, "online");
  bool online = false;
  if (!o.stonith_enabled) {
    if (!in_cluster) {
      // down
    } else if (crmd_online) {
      online = opt_eq(ns.join, "member");
    } else if (n.expected_up) {
      n.unclean = true;  // peer is unexpectedly down
    }
    n.online = online;
    return;
  }
  bool terminate = false;
  if (const std::string* t = node_attr(n, "terminate")) {
    terminate = is_true(*t) || (!t->empty() && (*t)[0] != '0' &&
                                std::isdigit(static_cast<unsigned char>((*t)[0])));
  }
  const std::string exp = ns.expected.value_or("down");
  online = in_cluster;
  if (n.shutdown) {
    online = crmd_online;  // a dead peer cannot shut down
  } else if (!ns.in_ccm) {
    n.unclean = true;  // never seen by the cluster
  } else if (opt_eq(ns.join, "banned")) {
    n.unclean = true;
  } else if (!terminate && ieq(exp, "down")) {
    if (in_cluster || crmd_online) {
      n.pending = true;
      n.standby = true;
    }
  } else if (terminate && opt_eq(ns.join, "down") && !in_cluster && !crmd_online) {
    online = false;  // just fenced
  } else if (!in_cluster || !crmd_online || terminate) {
    n.unclean = true;
  } else if (opt_eq(ns.join, "member")) {
    // active
  } else if (opt_eq(ns.join, "pending") || opt_eq(ns.join, "down")) {
    n.pending = true;
    n.standby = true;
  } else {
    n.unclean = true;  // unknown state
  }
  n.online = online;
}

WsNode* find_node_any(std::vector<WsNode>& nodes, std::string_view id, const OptString& uname) {
  for (auto& n : nodes)
    if (n.id == id) return &n;
  if (uname) {
    for (auto& n : nodes)
      if (ieq(n.uname, *uname)) return &n;
  }
  return nullptr;
}

std::vector<WsNode> unpack_nodes(const Cib& cib, const ClusterOptions& o) {
  std::vector<WsNode> nodes;
  for (const auto& cn : cib.configuration.nodes) {
    if (cn.type && !ieq(*cn.type, "member") && !ieq(*cn.type, "normal")) continue;
    WsNode n;
    n.id = cn.id;
    n.uname = cn.uname;
    merge_sets(cn.sets, SetKind::kInstance, n.attrs);
    // Until its node_state is seen, a node is unclean if startup fencing
    // applies (fencing enabled and startup-fencing not false).
    n.unclean = o.stonith_enabled && o.startup_fencing;
    n.unseen = true;
    nodes.push_back(std::move(n));
  }
  std::stable_sort(nodes.begin(), nodes.end(), [](const WsNode& a, const WsNode& b) {
    return node_name_less(a.uname, b.uname);
  });
  if (!cib.status) return nodes;
  for (const auto& ns : cib.status->nodes) {
    if (!ns.uname) continue;  // malformed: Pacemaker ignores it
    WsNode* n = find_node_any(nodes, ns.id, ns.uname);
    if (n == nullptr) continue;
    if (ns.transient_attributes) {
      // Later (status) values replace earlier ones.
      StrMap fresh;
      merge_sets(ns.transient_attributes->sets, SetKind::kInstance, fresh);
      for (auto& [k, v] : fresh) n->transient[k] = v;
    }
    // Standby and maintenance are read only for nodes with a node_state.
    if (const auto* v = node_attr(*n, "standby"); v != nullptr && is_true(*v)) n->standby = true;
    if (const auto* v = node_attr(*n, "maintenance"); v != nullptr && is_true(*v))
      n->maintenance = true;
    n->unclean = false;
    n->unseen = false;
    determine_online(ns, o, *n);
    if (!o.have_quorum && n->online && o.no_quorum_policy == "suicide") n->unclean = true;
  }
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

void mark_orphan(WsResource& r) {
  r.orphan = true;
  for (auto& c : r.children) mark_orphan(c);
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
  // LSB agents cannot run as distinct instances: a clone holding one
  // (directly or in its group) is anonymous.
  auto is_lsb = [](const Primitive& p) { return p.resource_class && *p.resource_class == "lsb"; };
  if (child_prim != nullptr && is_lsb(*child_prim)) r.unique = false;
  if (const auto* g = std::get_if<Group>(&c.child)) {
    for (const auto& member : g->members)
      if (is_lsb(member)) r.unique = false;
  }
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
  if (r.clone_max == 0) {
    // Pacemaker keeps one (orphan) instance so that history can find the clone.
    WsResource child = std::holds_alternative<Primitive>(c.child)
                           ? make_primitive(std::get<Primitive>(c.child), r.meta)
                           : make_group(std::get<Group>(c.child), r.meta);
    suffix_ids(child, 0);
    mark_orphan(child);
    r.children.push_back(std::move(child));
  }
  return r;
}

// ---------------------------------------------------------------------------
// History

std::int64_t target_rc_of(const OptView& key) {
  // "action:transition:target_rc:uuid"
  if (!key) return 0;
  const auto a = key->find(':');
  if (a == std::string::npos) return 0;
  const auto b = key->find(':', a + 1);
  if (b == std::string::npos) return 0;
  const auto c = key->find(':', b + 1);
  if (c == std::string::npos) return 0;
  return to_int(key->substr(b + 1, c - b - 1)).value_or(0);
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

std::string on_fail_for(const std::vector<Op>& ops, std::string_view task,
                        std::int64_t interval) {
  for (const auto& op : ops) {
    if (op.on_fail && op.name == task && interval_of(op.interval) == interval) return *op.on_fail;
  }
  return "";
}

// One lrm_rsc_op with what sorting and replaying it need. The views point
// into the Cib's LrmRscOp, which outlives the replay.
struct RawOp {
  HistoryOp h;
  std::string_view id;
  std::int64_t xml_call_id = -1;
  std::int64_t last_rc_change = -1;
  bool has_key = false;
  bool has_magic = false;
  std::string_view uuid;
  std::int64_t transition = -1;
  bool has_on_node = false;
};

// "op_status:rc;action:transition:target_rc:uuid" -> transition and uuid
// (a view into `magic`).
bool decode_magic(std::string_view magic, std::int64_t* transition, std::string_view* uuid) {
  const auto semi = magic.find(';');
  if (semi == std::string::npos) return false;
  const std::string_view key = magic.substr(semi + 1);
  const auto a = key.find(':');
  const auto b = a == std::string::npos ? a : key.find(':', a + 1);
  const auto c = b == std::string::npos ? b : key.find(':', b + 1);
  if (c == std::string::npos) return false;
  const auto t = to_int(key.substr(a + 1, b - a - 1));
  if (!t) return false;
  *transition = *t;
  *uuid = key.substr(c + 1);
  return true;
}

// Pacemaker's history order: by call id; a pending operation (call id -1)
// against a completed one by the transition numbers in their magic.
int compare_ops(const RawOp& a, const RawOp& b) {
  if (a.id == b.id) return 0;
  const std::int64_t ac = a.xml_call_id;
  const std::int64_t bc = b.xml_call_id;
  if (ac == -1 && bc == -1) return 0;
  if (ac >= 0 && ac < bc) return -1;
  if (bc >= 0 && ac > bc) return 1;
  if (bc >= 0 && ac == bc) {
    if (a.last_rc_change >= 0 && a.last_rc_change < b.last_rc_change) return -1;
    if (b.last_rc_change >= 0 && a.last_rc_change > b.last_rc_change) return 1;
    return 0;
  }
  if (!a.has_magic || !b.has_magic) return 0;
  if (!ieq(a.uuid, b.uuid) || a.transition == b.transition) {
    if (bc == -1) return -1;
    if (ac == -1) return 1;
    return 0;
  }
  if ((a.transition >= 0 && a.transition < b.transition) || b.transition == -1) return -1;
  if ((b.transition >= 0 && a.transition > b.transition) || a.transition == -1) return 1;
  return 0;
}

// GLib's list merge sort (stable; halves of floor(n/2) and the rest), so that
// an inconsistent comparison orders entries as Pacemaker does.
void merge_sort(std::vector<RawOp>& v) {
  if (v.size() < 2) return;
  const auto half = static_cast<std::ptrdiff_t>(v.size() / 2);
  std::vector<RawOp> left(v.begin(), v.begin() + half);
  std::vector<RawOp> right(v.begin() + half, v.end());
  merge_sort(left);
  merge_sort(right);
  std::size_t i = 0;
  std::size_t j = 0;
  std::size_t k = 0;
  while (i < left.size() && j < right.size())
    v[k++] = compare_ops(left[i], right[j]) <= 0 ? std::move(left[i++]) : std::move(right[j++]);
  while (i < left.size()) v[k++] = std::move(left[i++]);
  while (j < right.size()) v[k++] = std::move(right[j++]);
}

// Into `ops` (cleared first; its capacity is reused from one history to the
// next: a status holds one history per resource per node).
void sorted_ops(const LrmResource& lr, const std::vector<Op>& configured,
                std::vector<RawOp>* out) {
  std::vector<RawOp>& ops = *out;
  ops.clear();
  ops.reserve(lr.ops.size());
  // Pacemaker builds the list by prepending, then sorts it.
  for (auto it = lr.ops.rbegin(); it != lr.ops.rend(); ++it) {
    const LrmRscOp& op = *it;
    RawOp r;
    r.h.target_rc = target_rc_of(op.transition_key);
    r.h.task = op.operation;
    r.h.call_id = op.call_id.value_or(-1);
    r.h.rc = op.rc_code.value_or(0);
    r.h.op_status = op.op_status.value_or(0);
    r.h.interval_ms = op.interval_ms.value_or(0);
    r.h.on_fail = on_fail_for(configured, r.h.task, r.h.interval_ms);
    r.h.key = op.operation_key.value_or(op.id);
    r.id = op.id;
    r.xml_call_id = op.call_id.value_or(-1);
    r.last_rc_change = op.last_rc_change.value_or(-1);
    r.has_key = op.transition_key.has_value();
    if (op.transition_magic)
      r.has_magic = decode_magic(*op.transition_magic, &r.transition, &r.uuid);
    if (r.has_magic) {
      r.h.magic_transition = r.transition;
      r.h.magic_fake_uuid = r.uuid == "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
    }
    r.has_on_node = op.on_node.has_value();
    ops.push_back(std::move(r));
  }
  merge_sort(ops);
}

// Failure responses, least to most severe.
enum class OnFail { kIgnore, kDemote, kRecover, kMigrate, kBlock, kStop, kStandby, kFence };

OnFail on_fail_of(const HistoryOp& op, bool stonith_enabled) {
  std::string v = op.on_fail;
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (v == "ignore") return OnFail::kIgnore;
  if (v == "block") return OnFail::kBlock;
  if (v == "demote") return OnFail::kDemote;
  if (v == "fence") return stonith_enabled ? OnFail::kFence : OnFail::kStop;
  if (v == "standby") return OnFail::kStandby;
  if (v == "stop") return OnFail::kStop;
  if (v == "restart") return OnFail::kRecover;
  if (op.task == "stop") return stonith_enabled ? OnFail::kFence : OnFail::kBlock;
  return OnFail::kRecover;
}

int failcount_for(const WsNode& node, std::string_view rsc_id, bool any_instance = false) {
  // "fail-count-RSC" and "fail-count-RSC#OP_INTERVAL", in map order; only the
  // keys with the prefix are visited and nothing is allocated. For an
  // anonymous clone instance (`any_instance`, rsc_id its base id) those of
  // every instance number too ("fail-count-RSC:N[#OP_INTERVAL]"): Pacemaker
  // sums them all.
  constexpr std::string_view kPrefix = "fail-count-";
  int total = 0;
  for (auto it = node.transient.lower_bound(kPrefix);
       it != node.transient.end() && it->first.starts_with(kPrefix); ++it) {
    std::string_view rest = std::string_view(it->first).substr(kPrefix.size());
    if (!rest.starts_with(rsc_id)) continue;
    rest.remove_prefix(rsc_id.size());
    if (any_instance && rest.starts_with(':')) {
      std::size_t digits = 1;
      while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits])))
        ++digits;
      if (digits == 1) continue;
      rest.remove_prefix(digits);
    }
    if (rest.empty() || rest.front() == '#')
      total = score_add(total, parse_score(it->second).value_or(0));
  }
  return total;
}

bool role_active(Role r) {
  return r == Role::kStarted || r == Role::kUnpromoted || r == Role::kPromoted;
}

int rank(Role r) { return static_cast<int>(r); }

// What the history replay needs to know about the cluster and the resource.
struct ReplayContext {
  const ClusterOptions& options;
  bool have_stonith_resource = false;
  bool promotable = false;  // the resource is (in) a promotable clone
  bool managed = true;      // configured is-managed and not yet blocked
};

// Replays one primitive's history on one node the way Pacemaker 2.1 unpacks
// it (unpack_rsc_op): results are judged against the expected rc of their
// transition, degraded monitor results count as success, probe failures
// meaning "not installed/configured" count as "not running", on-fail decides
// what a failure means, and a failed stop that cannot be fenced blocks the
// resource.
class Replay {
 public:
  Replay(const ReplayContext& ctx, WsNode& node) : ctx_(ctx), node_(node) { s_.node = node.uname; }

  // `ops` in replay order; their HistoryOps are moved out.
  NodeRscState run(std::vector<RawOp>& ops) {
    for (const auto& op : ops) step(op);
    s_.ops.reserve(ops.size());
    for (auto& op : ops) s_.ops.push_back(std::move(op.h));
    finish();
    return std::move(s_);
  }

 private:
  void set_active() { s_.role = ctx_.promotable ? Role::kUnpromoted : Role::kStarted; }
  bool managed() const { return ctx_.managed && !s_.blocked; }

  bool can_fence() const {
    const auto& o = ctx_.options;
    if (!o.stonith_enabled || !ctx_.have_stonith_resource) return false;
    return o.have_quorum || o.no_quorum_policy == "ignore" || node_.online;
  }

  void check_recoverable(std::string_view task) {
    if (task == "stop" && !can_fence()) s_.blocked = true;
  }

  void update_state(const HistoryOp& op, std::int64_t rc, bool masked) {
    bool clear = false;
    if (rc == 5 || masked) {
      s_.role = Role::kStopped;
    } else if (rc == 7) {
      clear = true;
    } else if (op.task == "monitor") {
      if (!last_failure_key_.empty() && op.key == last_failure_key_) clear = true;
      if (rank(s_.role) < rank(Role::kStarted)) set_active();
    } else if (op.task == "start" || op.task == "migrate_from") {
      s_.role = Role::kStarted;
      clear = true;
    } else if (op.task == "stop" || op.task == "migrate_to") {
      s_.role = Role::kStopped;
      clear = true;
    } else if (op.task == "promote") {
      s_.role = Role::kPromoted;
      clear = true;
    } else if (op.task == "demote") {
      if (on_fail_ == OnFail::kDemote) clear = true;
      s_.role = Role::kUnpromoted;
    } else if (rank(s_.role) < rank(Role::kStarted)) {
      set_active();
    }
    if (clear && on_fail_ != OnFail::kStop && on_fail_ != OnFail::kFence &&
        on_fail_ != OnFail::kMigrate && on_fail_ != OnFail::kStandby)
      on_fail_ = OnFail::kIgnore;
  }

  void failure(const HistoryOp& op, std::int64_t rc, OnFail strategy) {
    last_failure_key_ = op.key;
    if (static_cast<int>(on_fail_) < static_cast<int>(strategy)) on_fail_ = strategy;
    if (op.task == "promote") {
      s_.role = Role::kPromoted;
    } else if (op.task == "demote") {
      if (strategy == OnFail::kBlock) {
        s_.role = Role::kPromoted;
      } else if (rc == 7) {
        s_.role = Role::kStopped;
      } else {
        s_.role = Role::kUnpromoted;
      }
    }
    if (rank(s_.role) < rank(Role::kStarted)) set_active();
  }

  void step(const RawOp& raw) {
    const HistoryOp& op = raw.h;
    if (op.task == "notify" || op.task == "meta-data") return;
    std::int64_t status = op.op_status;
    if (status < -1 || status > 11) return;
    const std::int64_t target = raw.has_key ? op.target_rc : -1;
    std::int64_t rc = op.rc;
    const bool probe = op.task == "monitor" && op.interval_ms == 0;

    if (status == -1) {  // in flight
      if (op.task == "start") {
        set_active();
      } else if (op.task == "promote") {
        s_.role = Role::kPromoted;
      }
      if (s_.first_pending.empty() && (op.interval_ms != 0 || op.task != "monitor"))
        s_.first_pending = op.task;
      s_.pending_task = op.task;
      s_.pending_recurring = op.interval_ms > 0;
      return;
    }
    s_.pending_task.clear();
    s_.pending_recurring = false;

    // Remap the result.
    if (op.task == "monitor") {
      if (rc == 190) rc = 0;  // degraded: running
      if (rc == 191) rc = 8;  // degraded promoted: promoted
    }
    const bool masked = probe && (op.rc == 5 || op.rc == 6 || status == 7);
    if (masked) {
      status = 0;
      rc = 7;
    }
    if (status == 0 || status == 4) {
      status = (target < 0 || target != rc) ? 4 : 0;
      switch (rc) {
        case 0:
          if (probe && target == 7) status = 0;
          break;
        case 7:
          if (probe || target == rc || !managed()) {
            status = 0;
            s_.role = Role::kStopped;
            on_fail_ = OnFail::kIgnore;
          }
          break;
        case 8:
          if (probe && rc != target) status = 0;
          s_.role = Role::kPromoted;
          break;
        case 9:
        case 191:
          s_.role = Role::kPromoted;
          status = 4;
          break;
        case 6:
          status = 6;
          break;
        case 3:
          if (op.interval_ms == 0) {
            check_recoverable(op.task);
            status = 5;
          } else {
            status = 3;
          }
          break;
        case 5:
        case 2:
        case 4:
          check_recoverable(op.task);
          status = 5;
          break;
        default:
          if (status == 0) status = 4;
          break;
      }
    }
    if (masked) {
      update_state(op, target, true);
      if (op.rc == 5 || status == 7) s_.not_installed = true;
      if (node_.online && raw.has_on_node && s_.failed_probe_rc == 0)
        s_.failed_probe_rc = static_cast<int>(op.rc);
      return;
    }
    switch (status) {
      case 1:  // cancelled
        return;
      case 0:
        update_state(op, rc, false);
        return;
      case 7: {  // agent not installed: banned from the node, as a hard error
        const OnFail strategy = on_fail_of(op, ctx_.options.stonith_enabled);
        if (strategy == OnFail::kIgnore) on_fail_ = OnFail::kMigrate;
        s_.hard_error = true;
        failure(op, rc, strategy);
        return;
      }
      default:
        break;
    }
    const OnFail strategy = on_fail_of(op, ctx_.options.stonith_enabled);
    if (strategy == OnFail::kIgnore) {
      update_state(op, target, false);
      s_.failure_ignored = true;
      return;
    }
    if (status == 5) s_.hard_error = true;  // Pacemaker bans the node
    failure(op, rc, strategy);
  }

  // Pacemaker's process_rsc_state: what the final state means for the node.
  void finish() {
    const auto& o = ctx_.options;
    if (role_active(s_.role) && !node_.online && !node_.maintenance && managed() &&
        o.stonith_enabled)
      node_.unclean = true;  // thought to be active on a node that is gone
    const OnFail effective = node_.unclean ? OnFail::kIgnore : on_fail_;
    switch (effective) {
      case OnFail::kFence:
        node_.unclean = true;
        s_.needs_fencing = true;
        break;
      case OnFail::kBlock:
        s_.blocked = true;
        break;
      case OnFail::kStandby:
        node_.standby = true;
        node_.standby_onfail = true;
        break;
      default:
        break;
    }
    if (role_active(s_.role)) s_.failed = effective != OnFail::kIgnore;
    // on-fail=demote: a failed promoted instance is demoted where it is.
    if (s_.failed && effective == OnFail::kDemote && s_.role == Role::kPromoted)
      s_.demote_on_fail = true;
  }

  const ReplayContext& ctx_;
  WsNode& node_;
  NodeRscState s_;
  OnFail on_fail_ = OnFail::kIgnore;
  std::string last_failure_key_;
};

// The part of an id before a ":N" clone suffix.
std::string_view base_name(std::string_view id) {
  const auto colon = id.rfind(':');
  if (colon == std::string_view::npos || colon + 1 == id.size()) return id;
  for (std::size_t i = colon + 1; i < id.size(); ++i)
    if (!std::isdigit(static_cast<unsigned char>(id[i]))) return id;
  return id.substr(0, colon);
}

// The first node, in history order, where a primitive is active; null if none.
const std::string* first_active_node(const WsResource& p) {
  for (const auto& h : p.history)
    if (role_active(h.role)) return &h.node;
  return nullptr;
}

// The first node an instance is at: for each of its primitives in order, the
// first node it is active on, else the node of its first in-flight operation
// (pending_node); null if none. Allocates nothing (a clone's instances are
// looked at for every history of the clone).
const std::string* first_location(const WsResource& r) {
  if (r.kind == RscKind::kPrimitive) {
    if (const std::string* n = first_active_node(r)) return n;
    for (const auto& h : r.history)
      if (!h.first_pending.empty()) return &h.node;
    return nullptr;
  }
  for (const auto& c : r.children)
    if (const std::string* n = first_location(c)) return n;
  return nullptr;
}

// Where a primitive's first in-flight operation ran ("" if none).
std::string pending_node(const WsResource& p) {
  for (const auto& h : p.history)
    if (!h.first_pending.empty()) return h.node;
  return "";
}

bool prim_blocked(const WsResource& p) {
  return std::any_of(p.history.begin(), p.history.end(),
                     [](const NodeRscState& h) { return h.blocked; });
}

// The member of clone instance `inst` configured as `base` (the instance
// itself when it is a primitive).
WsResource* member_of(WsResource& inst, std::string_view base) {
  if (inst.kind == RscKind::kPrimitive) return inst.base_id == base ? &inst : nullptr;
  for (auto& c : inst.children)
    if (c.base_id == base) return &c;
  return nullptr;
}

void clear_for_orphan(WsResource& r, int instance) {
  r.id = r.base_id + ":" + std::to_string(instance);
  r.orphan = true;
  r.history.clear();
  r.history_name.clear();
  for (auto& c : r.children) clear_for_orphan(c, instance);
}

struct Unpacker {
  WorkingSet& ws;
  bool have_stonith_resource = false;
  std::vector<WsResource> orphans;
  // Node histories recorded so far with blocked set. While it is 0 no
  // primitive is blocked, and prim_blocked's scan of the history (which grows
  // to one entry per node) is skipped.
  std::size_t blocked_histories = 0;

  bool blocked(const WsResource& p) const { return blocked_histories != 0 && prim_blocked(p); }

  void record(WsResource& p, NodeRscState s) {
    if (s.blocked) ++blocked_histories;
    p.history.push_back(std::move(s));
  }

  // Pacemaker's resource lookup by history id: a resource whose id is `id`,
  // or a clone instance whose id without the ":N" suffix is `id`, in
  // configuration order. Sets *top to the top-level resource.
  static WsResource* find(std::vector<WsResource>& rs, std::string_view id, WsResource** top,
                          WsResource* current_top) {
    for (auto& r : rs) {
      WsResource* t = current_top != nullptr ? current_top : &r;
      const bool instance = r.id != r.base_id;
      if (r.id == id || (instance && r.base_id == id)) {
        *top = t;
        return &r;
      }
      if (auto* found = find(r.children, id, top, t)) return found;
    }
    return nullptr;
  }

  // find() over ws.resources through an index: each id (and each instance's
  // base id) -> the first top-level resource, in configuration order, whose
  // tree holds it; the search then runs within that one tree. Keeps the
  // history unpacking linear in the status size instead of status x resources.
  std::unordered_map<std::string, std::size_t, WorkingSet::NameHash, std::equal_to<>> top_of;

  // The top_of answer for the lrm_resource at each position of the previous
  // node's list: nodes list their histories in much the same order, and a
  // sequential walk of this vector is cheaper than a hash probe into a cold
  // table. Each entry is checked against the id; cleared when top_of changes.
  struct Remembered {
    std::string id;
    std::size_t top = 0;
  };
  std::vector<Remembered> by_position;
  std::vector<RawOp> raw_ops;  // sorted_ops' buffer, reused

  void index(const WsResource& r, std::size_t top) {
    by_position.clear();
    for (const std::string* key : {&r.id, &r.base_id}) {
      auto [it, fresh] = top_of.emplace(*key, top);
      if (!fresh && top < it->second) it->second = top;
    }
    for (const auto& c : r.children) index(c, top);
  }

  void build_index() {
    top_of.clear();
    for (std::size_t i = 0; i < ws.resources.size(); ++i) index(ws.resources[i], i);
  }

  // `position`: the entry's place in its node's lrm_resources, if it is one.
  WsResource* find_configured(std::string_view id, WsResource** top,
                              std::optional<std::size_t> position = std::nullopt) {
    std::size_t top_index = 0;
    if (position && *position < by_position.size() && by_position[*position].id == id) {
      top_index = by_position[*position].top;
    } else {
      const auto it = top_of.find(id);
      if (it == top_of.end()) return nullptr;
      top_index = it->second;
      if (position) {
        if (*position >= by_position.size()) by_position.resize(*position + 1);
        by_position[*position].id.assign(id);
        by_position[*position].top = top_index;
      }
    }
    WsResource& t = ws.resources[top_index];
    if (t.id == id || (t.id != t.base_id && t.base_id == id)) {
      *top = &t;
      return &t;
    }
    return find(t.children, id, top, &t);
  }

  bool requires_fencing(const WsResource& p) const {
    std::string v = get(p.meta, "requires");
    for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (v == "fencing" || v == "unfencing") return true;
    if (v == "quorum" || v == "nothing") return false;
    if (p.rsc_class == "stonith") return false;
    return ws.options.stonith_enabled;
  }

  // Pacemaker's find_anonymous_clone: the instance already active (or
  // pending) on the node; else the first inactive, unblocked instance not
  // pending elsewhere; else a new orphan instance. An instance that would
  // only run on an unclean or offline node, for a resource not requiring
  // fencing, becomes an orphan unless the clone runs everywhere.
  WsResource* anonymous_instance(WsResource& clone, const WsNode& node, std::string_view base) {
    WsResource* found = nullptr;
    WsResource* inactive = nullptr;
    bool skip_inactive = false;
    for (auto& inst : clone.children) {
      if (found != nullptr) break;
      // Where the instance is (its primitives' active nodes, then their
      // pending nodes): only whether that is anywhere, and its first node.
      if (const std::string* where = first_location(inst)) {
        if (*where == node.uname) {
          WsResource* m = member_of(inst, base);
          if (m != nullptr) {
            if (first_active_node(*m) != nullptr) {
              skip_inactive = true;  // a second history of the same instance
            } else {
              found = m;
            }
          }
        }
        continue;
      }
      const bool inst_blocked = inst.kind == RscKind::kPrimitive && blocked(inst);
      if (!skip_inactive && inactive == nullptr && !inst_blocked) {
        inactive = member_of(inst, base);
        if (inactive != nullptr) {
          const std::string pn = pending_node(*inactive);
          if (!pn.empty() && pn != node.uname) inactive = nullptr;
        }
      }
    }
    if (found == nullptr && !skip_inactive) found = inactive;
    if (found != nullptr && !requires_fencing(*found) && (!node.online || node.unclean) &&
        clone.clone_max != static_cast<int>(ws.nodes.size()))
      found = nullptr;
    if (found != nullptr) return found;
    WsResource inst = clone.children.front();
    clear_for_orphan(inst, static_cast<int>(clone.children.size()));
    clone.children.push_back(std::move(inst));
    if (!ws.resources.empty() && &clone >= ws.resources.data() &&
        &clone < ws.resources.data() + ws.resources.size())
      index(clone.children.back(), static_cast<std::size_t>(&clone - ws.resources.data()));
    return member_of(clone.children.back(), base);
  }

  // `position`: lr's place in the node's lrm_resources.
  void unpack_lrm(WsNode& node, const LrmResource& lr, std::size_t position) {
    if (lr.ops.empty()) return;
    WsResource* top = nullptr;
    WsResource* rsc = find_configured(lr.id, &top, position);
    if (rsc == nullptr) rsc = find(orphans, lr.id, &top, nullptr);
    if (rsc == nullptr) {
      const std::string zero = std::string(base_name(lr.id)) + ":0";
      WsResource* t0 = nullptr;
      WsResource* r0 = find_configured(zero, &t0);
      if (r0 != nullptr && r0->kind == RscKind::kPrimitive && t0->kind == RscKind::kClone &&
          !t0->unique) {
        rsc = r0;
        top = t0;
      }
    } else if (rsc->kind != RscKind::kPrimitive) {
      rsc = nullptr;  // history of what is now a group or clone: an orphan
    }
    bool anonymous = false;
    if (rsc != nullptr && top->kind == RscKind::kClone && !top->unique) {
      anonymous = true;
      rsc = anonymous_instance(*top, node, base_name(lr.id));
    }
    if (rsc == nullptr) {
      add_orphan(node, lr);
      return;
    }
    ReplayContext ctx{ws.options, have_stonith_resource,
                      top->kind == RscKind::kClone && top->promotable,
                      rsc->managed && !blocked(*rsc)};
    sorted_ops(lr, rsc->ops, &raw_ops);
    NodeRscState s = Replay(ctx, node).run(raw_ops);
    // The name an anonymous instance is known by comes from a history that
    // shows it active (a probe that found it stopped does not name it).
    if (anonymous && rsc->history_name.empty() &&
        (role_active(s.role) || s.failed || !s.pending_task.empty()))
      rsc->history_name = lr.id;
    s.failcount = anonymous ? failcount_for(node, rsc->base_id, true) : failcount_for(node, rsc->id);
    record(*rsc, std::move(s));
  }

  void add_orphan(WsNode& node, const LrmResource& lr) {
    WsResource* o = nullptr;
    for (auto& r : orphans)
      if (r.id == lr.id) o = &r;
    if (o == nullptr) {
      WsResource r;
      r.kind = RscKind::kPrimitive;
      r.id = r.base_id = lr.id;
      r.orphan = true;
      r.rsc_class = lr.resource_class.value_or("");
      r.agent = r.rsc_class;
      if (lr.provider) r.agent += ":" + *lr.provider;
      r.agent += ":" + lr.type.value_or("");
      r.managed = ws.options.stop_orphan_resources;
      orphans.push_back(std::move(r));
      o = &orphans.back();
    }
    ReplayContext ctx{ws.options, have_stonith_resource, false, o->managed && !blocked(*o)};
    sorted_ops(lr, {}, &raw_ops);
    NodeRscState s = Replay(ctx, node).run(raw_ops);
    s.failcount = failcount_for(node, o->id);
    record(*o, std::move(s));
  }
};

void count_instances(const std::vector<WsResource>& rs, WorkingSet& ws) {
  for (const auto& r : rs) {
    if (r.kind != RscKind::kPrimitive) {
      count_instances(r.children, ws);
      continue;
    }
    // Orphans count only while active.
    if (r.orphan && r.active_nodes().empty()) continue;
    ++ws.instances;
    if (r.target_role && *r.target_role == Role::kStopped) ++ws.disabled_instances;
    if (prim_blocked(r)) ++ws.blocked_instances;
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
    if (role_active(h.role)) out.push_back(h.node);
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
    if (!role_active(h.role)) continue;
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

std::size_t WorkingSet::status_position(std::string_view uname) const {
  std::size_t i = 0;
  if (cib != nullptr && cib->status) {
    for (const auto& ns : cib->status->nodes) {
      if (ns.uname && *ns.uname == uname) return i;
      ++i;
    }
  }
  return static_cast<std::size_t>(-1);
}

const WsNode* WorkingSet::find_node(std::string_view uname) const {
  // The index answers when it is current (each hit is checked, so a stale
  // index costs only the search below).
  if (const auto it = node_index.find(uname); it != node_index.end()) {
    if (it->second < nodes.size() && nodes[it->second].uname == uname) return &nodes[it->second];
  }
  // `nodes` is sorted by node_name_less: search the equal range, then scan
  // (a working set built by hand may not be sorted).
  auto it = std::lower_bound(
      nodes.begin(), nodes.end(), uname,
      [](const WsNode& n, std::string_view u) { return node_name_less(n.uname, u); });
  for (; it != nodes.end() && !node_name_less(uname, it->uname); ++it)
    if (it->uname == uname) return &*it;
  for (const auto& n : nodes)
    if (n.uname == uname) return &n;
  return nullptr;
}

Result<WorkingSet> unpack_working_set(const Cib& cib) {
  WorkingSet ws;
  ws.cib = &cib;
  const auto& constraints = cib.configuration.constraints;
  for (std::size_t i = 0; i < constraints.size(); ++i) {
    const auto* loc = std::get_if<Location>(&constraints[i]);
    if (loc == nullptr) continue;
    if (loc->rsc) {
      ws.locations_by_rsc[*loc->rsc].emplace_back(i, loc);
    } else if (loc->rsc_pattern) {
      ws.pattern_locations.emplace_back(i, loc);
    }
  }
  ws.orders = flatten_orders(cib.configuration);
  ws.colocations = flatten_colocations(cib.configuration);
  ws.options = unpack_options(cib);
  ws.nodes = unpack_nodes(cib, ws.options);
  ws.node_index.reserve(ws.nodes.size());
  for (std::size_t i = 0; i < ws.nodes.size(); ++i) ws.node_index.emplace(ws.nodes[i].uname, i);

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
      // Instances are made one by one: refuse a count no cluster can use
      // rather than spend hours on it.
      StrMap meta;
      merge_sets(c->sets, SetKind::kMeta, meta);
      if (const auto it = meta.find("clone-max"); it != meta.end()) {
        const int max = parse_score(it->second).value_or(0);
        if (max > kMaxCloneInstances)
          return Error{"clone '" + c->id + "': clone-max " + it->second + " is more than the " +
                       std::to_string(kMaxCloneInstances) + " instances the scheduler handles"};
      }
      ws.resources.push_back(make_clone(*c, defaults, node_count));
    }
  }

  // maintenance-mode=true: every resource is unmanaged (as is-managed=false).
  if (ws.options.maintenance_mode) {
    const auto unmanage = [](auto&& self, WsResource& r) -> void {
      r.managed = false;
      for (auto& c : r.children) self(self, c);
    };
    for (auto& r : ws.resources) unmanage(unmanage, r);
  }

  // Higher priority first; configuration order among equals.
  std::stable_sort(
      ws.resources.begin(), ws.resources.end(),
      [](const WsResource& a, const WsResource& b) { return a.priority > b.priority; });
  Unpacker u{ws, false, {}, 0, {}, {}, {}};
  for (const auto& res : cib.configuration.resources) {
    auto is_stonith = [](const Primitive& p) { return p.resource_class == "stonith"; };
    if (const auto* p = std::get_if<Primitive>(&res)) {
      u.have_stonith_resource = u.have_stonith_resource || is_stonith(*p);
    } else if (const auto* g = std::get_if<Group>(&res)) {
      for (const auto& m : g->members)
        u.have_stonith_resource = u.have_stonith_resource || is_stonith(m);
    } else if (const auto* c = std::get_if<Clone>(&res)) {
      if (const auto* cp = std::get_if<Primitive>(&c->child))
        u.have_stonith_resource = u.have_stonith_resource || is_stonith(*cp);
    }
  }
  u.build_index();
  if (cib.status) {
    // A resource outside a clone has one history per node with a record of
    // it, nearly always every node: sized once rather than regrown (each
    // regrowth moves every NodeRscState so far).
    const std::size_t per_resource = std::min(cib.status->nodes.size(), ws.nodes.size());
    for (auto& r : ws.resources) {
      if (r.kind == RscKind::kPrimitive) r.history.reserve(per_resource);
      if (r.kind == RscKind::kGroup)
        for (auto& m : r.children) m.history.reserve(per_resource);
    }
    // Histories in status order, each node's once. Without fencing, the
    // histories of offline nodes are not read at all.
    std::set<std::string> done;
    for (const auto& ns : cib.status->nodes) {
      if (!ns.uname) continue;
      WsNode* node = find_node_any(ws.nodes, ns.id, ns.uname);
      if (node == nullptr || done.count(node->id)) continue;
      if (!ws.options.stonith_enabled && !node->online) continue;
      done.insert(node->id);
      if (!ns.lrm) continue;
      const auto& histories = ns.lrm->resources;
      for (std::size_t k = 0; k < histories.size(); ++k) u.unpack_lrm(*node, histories[k], k);
    }
  }
  for (auto& o : u.orphans) ws.resources.push_back(std::move(o));
  count_instances(ws.resources, ws);
  if (const auto* date = cib.attr("execution-date")) ws.execution_date = format_date(*date);
  return ws;
}

}  // namespace quorate::crm::sched
