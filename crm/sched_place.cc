// Score and assign: allocation scores per primitive and node, then one node
// per primitive in Pacemaker's assignment order (priority, then
// configuration order).
#include "crm/sched_place.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <regex>

#include "crm/sched_promote.h"

namespace quorate::crm::sched {

namespace {

std::optional<long long> to_integer(std::string_view v) {
  long long out = 0;
  const char* b = v.data();
  const char* e = v.data() + v.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, out);
  if (ec != std::errc() || p == b) return std::nullopt;
  return out;  // Pacemaker's strtoll accepts a numeric prefix ("2.5" -> 2)
}

std::optional<double> to_number(std::string_view v) {
  const std::string s(v);
  char* end = nullptr;
  const double d = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return std::nullopt;
  return d;
}

int casecmp(std::string_view a, std::string_view b) {
  const std::size_t n = std::min(a.size(), b.size());
  for (std::size_t i = 0; i < n; ++i) {
    const int ca = std::tolower(static_cast<unsigned char>(a[i]));
    const int cb = std::tolower(static_cast<unsigned char>(b[i]));
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

// Dotted version comparison ("1.10" > "1.9").
int version_cmp(std::string_view a, std::string_view b) {
  while (!a.empty() || !b.empty()) {
    auto take = [](std::string_view& s) {
      long long v = 0;
      std::size_t i = 0;
      while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
        v = v * 10 + (s[i++] - '0');
      s.remove_prefix(i);
      if (!s.empty() && s.front() == '.') s.remove_prefix(1);
      return v;
    };
    const long long x = take(a);
    const long long y = take(b);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

bool expression_matches(const Expression& e, const NodeAttrs& attrs) {
  const auto it = attrs.find(e.attribute);
  const std::string* have = it == attrs.end() ? nullptr : &it->second;
  const std::string& op = e.operation;
  if (op == "defined") return have != nullptr;
  if (op == "not_defined") return have == nullptr;
  if (have == nullptr || !e.value) return op == "ne";
  const std::string& want = *e.value;
  std::string type = e.type.value_or("");
  const bool ordered = op == "lt" || op == "lte" || op == "gt" || op == "gte";
  if (type.empty()) {
    if (ordered) {
      type = (have->find('.') != std::string::npos || want.find('.') != std::string::npos)
                 ? "number"
                 : "integer";
    } else {
      type = "string";
    }
  }
  int cmp = 0;
  if (type == "integer") {
    const auto x = to_integer(*have);
    const auto y = to_integer(want);
    if (x && y) {
      cmp = *x < *y ? -1 : (*x > *y ? 1 : 0);
    } else {
      cmp = casecmp(*have, want);
    }
  } else if (type == "number") {
    const auto x = to_number(*have);
    const auto y = to_number(want);
    if (x && y) {
      cmp = *x < *y ? -1 : (*x > *y ? 1 : 0);
    } else {
      cmp = casecmp(*have, want);
    }
  } else if (type == "version") {
    cmp = version_cmp(*have, want);
  } else {
    cmp = casecmp(*have, want);
  }
  if (op == "eq") return cmp == 0;
  if (op == "ne") return cmp != 0;
  if (op == "lt") return cmp < 0;
  if (op == "lte") return cmp <= 0;
  if (op == "gt") return cmp > 0;
  if (op == "gte") return cmp >= 0;
  return false;
}

bool rule_holds(const Rule& rule, const NodeAttrs& attrs) {
  const bool any = rule.boolean_op && *rule.boolean_op == "or";
  if (rule.terms.empty()) return true;
  for (const auto& term : rule.terms) {
    bool m = false;
    if (const auto* e = std::get_if<Expression>(&term)) {
      m = expression_matches(*e, attrs);
    } else if (const auto* r = std::get_if<Box<Rule>>(&term)) {
      m = rule_holds(**r, attrs);
    }  // date expressions and anything else: no match
    if (any && m) return true;
    if (!any && !m) return false;
  }
  return !any;
}

bool primitive_role_applies(const OptString& role) {
  if (!role) return true;
  const auto r = parse_role(*role);
  return !r || *r == Role::kStarted;
}

}  // namespace

bool location_names(const Location& loc, const std::string& id) {
  if (loc.rsc) return *loc.rsc == id;
  if (loc.rsc_pattern) {
    try {
      return std::regex_search(id, std::regex(*loc.rsc_pattern, std::regex::extended));
    } catch (const std::regex_error&) {
      return false;
    }
  }
  return false;
}

std::vector<const Location*> locations_for(const WorkingSet& ws, const std::string& id,
                                           std::string_view parent_id) {
  std::vector<std::pair<std::size_t, const Location*>> found;
  auto take = [&](std::string_view name) {
    const auto it = ws.locations_by_rsc.find(name);
    if (it != ws.locations_by_rsc.end())
      found.insert(found.end(), it->second.begin(), it->second.end());
  };
  take(id);
  if (!parent_id.empty() && parent_id != id) take(parent_id);
  for (const auto& p : ws.pattern_locations)
    if (location_names(*p.second, id) ||
        (!parent_id.empty() && location_names(*p.second, std::string(parent_id))))
      found.push_back(p);
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<const Location*> out;
  for (const auto& f : found) out.push_back(f.second);
  return out;
}

namespace {

bool is_available(const WorkingSet& ws, std::string_view uname) {
  const WsNode* n = ws.find_node(uname);
  return n != nullptr && node_can_run(*n);
}

// ws.nodes by position, for the loops over score lists that placement runs
// for every instance: score lists follow ws.nodes order, so a name is tried
// at its list position first (a plain compare) before the hash lookup that
// find_node does. Gives exactly find_node's node (the first of a name).
class NodeTable {
 public:
  static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

  explicit NodeTable(const WorkingSet& ws)
      : ws_(ws), runs_(ws.nodes.size()), first_of_name_(ws.nodes.size()) {
    for (std::size_t i = 0; i < ws.nodes.size(); ++i) {
      runs_[i] = node_can_run(ws.nodes[i]) ? 1 : 0;
      first_of_name_[i] = ws.find_node(ws.nodes[i].uname) == &ws.nodes[i] ? 1 : 0;
    }
  }
  std::size_t size() const { return ws_.nodes.size(); }
  // The position of node `name`, trying `hint` first; kNone if unknown.
  std::size_t find(std::string_view name, std::size_t hint = kNone) const {
    if (hint < size() && first_of_name_[hint] != 0 && ws_.nodes[hint].uname == name) return hint;
    const WsNode* n = ws_.find_node(name);
    return n == nullptr ? kNone : static_cast<std::size_t>(n - ws_.nodes.data());
  }
  // is_available by position.
  bool available(std::size_t at) const { return at < size() && runs_[at] != 0; }

 private:
  const WorkingSet& ws_;
  std::vector<char> runs_;
  std::vector<char> first_of_name_;
};

// How many resources each node has been assigned so far in this run, by
// position in ws.nodes (names outside ws.nodes are never assigned).
class NodeCounts {
 public:
  explicit NodeCounts(const NodeTable& nodes) : nodes_(nodes), counts_(nodes.size(), 0) {}
  void add(std::string_view node, int n = 1) {
    if (const std::size_t at = nodes_.find(node); at < counts_.size()) counts_[at] += n;
  }
  int at(std::size_t position) const { return position < counts_.size() ? counts_[position] : 0; }

 private:
  const NodeTable& nodes_;
  std::vector<int> counts_;
};

// Assignment order: higher priority first; equal priorities keep
// configuration order (the corpus shows no further sorting in 2.1.5).
bool assigned_before(const WsResource& a, const WsResource& b) { return a.priority > b.priority; }

}  // namespace

NodeAttrs node_rule_attrs(const WorkingSet& ws, const WsNode& node) {
  NodeAttrs attrs = node.attrs;
  for (const auto& [k, v] : node.transient) attrs[k] = v;
  attrs["#uname"] = node.uname;
  attrs["#id"] = node.id;
  attrs["#kind"] = "cluster";
  const std::string* dc = ws.cib ? ws.cib->attr("dc-uuid") : nullptr;
  attrs["#is_dc"] = (dc != nullptr && *dc == node.id) ? "true" : "false";
  return attrs;
}

bool rule_matches(const Rule& rule, const NodeAttrs& attrs, int* score) {
  if (!rule_holds(rule, attrs)) return false;
  int s = 0;
  if (rule.score) {
    s = parse_score(*rule.score).value_or(0);
  } else if (rule.score_attribute) {
    const auto it = attrs.find(*rule.score_attribute);
    s = it == attrs.end() ? 0 : parse_score(it->second).value_or(0);
  }
  if (score != nullptr) *score = s;
  return true;
}

bool node_can_run(const WsNode& node) {
  return node.online && !node.unclean && !node.standby && !node.shutdown && !node.pending &&
         !node.maintenance;
}

const PrimitivePlacement* Placement::find(std::string_view rsc) const {
  if (const auto it = by_id.find(rsc);
      it != by_id.end() && it->second < primitives.size() && primitives[it->second].rsc == rsc)
    return &primitives[it->second];
  for (const auto& p : primitives)
    if (p.rsc == rsc) return &p;
  return nullptr;
}

void Placement::index() {
  by_id.clear();
  for (std::size_t i = 0; i < primitives.size(); ++i) by_id.emplace(primitives[i].rsc, i);
}

namespace {

// A resource's score per node (ws.nodes order); nullopt where it has none at
// all (asymmetric clusters: no location names the node). `*disabled`: it is
// to be stopped everywhere (target-role=Stopped, or a failure with
// on-fail=stop).
std::vector<std::optional<int>> raw_scores(const WorkingSet& ws, const WsResource& rsc,
                                           std::string_view parent_id, bool* disabled) {
  std::vector<std::optional<int>> score(ws.nodes.size());
  if (ws.options.symmetric_cluster)
    for (auto& s : score) s = 0;
  auto add = [&score](std::size_t i, int value) {
    score[i] = score_add(score[i].value_or(0), value);
  };
  if (ws.cib != nullptr) {
    for (const Location* loc : locations_for(ws, rsc.id, parent_id)) {
      if (!primitive_role_applies(loc->role)) continue;
      if (loc->node) {
        const int value = loc->score ? parse_score(*loc->score).value_or(0) : 0;
        for (std::size_t i = 0; i < ws.nodes.size(); ++i)
          if (ws.nodes[i].uname == *loc->node) add(i, value);
        continue;
      }
      for (const auto& rule : loc->rules) {
        if (!primitive_role_applies(rule.role)) continue;
        for (std::size_t i = 0; i < ws.nodes.size(); ++i) {
          int value = 0;
          if (rule_matches(rule, node_rule_attrs(ws, ws.nodes[i]), &value)) add(i, value);
        }
      }
    }
  }
  // Stickiness: managed, sticky, and active on exactly one node.
  const auto active = rsc.active_nodes();
  if (rsc.managed && rsc.stickiness > 0 && active.size() == 1) {
    for (std::size_t i = 0; i < ws.nodes.size(); ++i)
      if (ws.nodes[i].uname == active.front() && score[i]) add(i, rsc.stickiness);
  }
  // Fail counts at or over migration-threshold ban the node, as do a probe
  // that found the agent not installed, a hard error and a failed stop
  // there (Pacemaker's "__stop_fail__" location, whatever its on-fail).
  for (const auto& h : rsc.history) {
    const bool stop_failed =
        std::any_of(h.ops.begin(), h.ops.end(), [](const HistoryOp& op) {
          const bool done = op.op_status != -1 && op.op_status != 1;
          return op.task == "stop" && done && (op.rc != 0 || op.op_status != 0) &&
                 op.on_fail != "ignore";
        });
    if (stop_failed)
      for (std::size_t i = 0; i < ws.nodes.size(); ++i)
        if (ws.nodes[i].uname == h.node) score[i] = -kInfinity;
    if (h.not_installed || h.hard_error) {
      for (std::size_t i = 0; i < ws.nodes.size(); ++i)
        if (ws.nodes[i].uname == h.node) score[i] = -kInfinity;
    }
    if (h.failcount <= 0 || h.failcount < rsc.migration_threshold) continue;
    for (std::size_t i = 0; i < ws.nodes.size(); ++i)
      if (ws.nodes[i].uname == h.node) score[i] = -kInfinity;
  }
  // A failure with on-fail=stop keeps the resource stopped everywhere.
  bool stop_on_fail = false;
  for (const auto& h : rsc.history) {
    if (!h.failed) continue;
    for (const auto& op : h.ops)
      if (op.on_fail == "stop" && op.rc != op.target_rc && op.op_status != 1) stop_on_fail = true;
  }
  *disabled = stop_on_fail || (rsc.target_role && *rsc.target_role == Role::kStopped);
  return score;
}

}  // namespace

std::vector<NodeScore> primitive_scores(const WorkingSet& ws, const WsResource& rsc,
                                        std::string_view parent_id) {
  bool disabled = false;
  const auto score = raw_scores(ws, rsc, parent_id, &disabled);
  std::vector<NodeScore> out;
  out.reserve(ws.nodes.size());
  for (std::size_t i = 0; i < ws.nodes.size(); ++i) {
    out.push_back({ws.nodes[i].uname, disabled ? -kInfinity : score[i].value_or(-kInfinity)});
  }
  return out;
}

std::vector<bool> scored_nodes(const WorkingSet& ws, const WsResource& rsc,
                               std::string_view parent_id) {
  bool disabled = false;
  const auto score = raw_scores(ws, rsc, parent_id, &disabled);
  std::vector<bool> out;
  for (const auto& s : score) out.push_back(s.has_value());
  return out;
}

namespace {

std::string choose_node(const NodeTable& nodes, const std::vector<NodeScore>& scores,
                        const NodeCounts& assigned_count, std::string_view current) {
  // The first of the candidates in Pacemaker's order: weight (unavailable
  // nodes -INFINITY), then fewer resources assigned, then the current node,
  // then the name. Only the best is needed, so one pass, not a sort.
  struct Cand {
    std::string_view node;
    int weight;
    int count;
  };
  auto before = [current](const Cand& a, const Cand& b) {
    if (a.weight != b.weight) return a.weight > b.weight;
    if (a.count != b.count) return a.count < b.count;
    if ((a.node == current) != (b.node == current)) return a.node == current;
    return a.node < b.node;
  };
  std::optional<Cand> best;
  std::optional<int> current_weight;  // the current node's best, if it is a candidate
  for (std::size_t n = 0; n < scores.size(); ++n) {
    const NodeScore& s = scores[n];
    const std::size_t at = nodes.find(s.node, n);
    const Cand c{s.node, nodes.available(at) ? s.score : -kInfinity, assigned_count.at(at)};
    if (!best || before(c, *best)) best = c;
    if (!current.empty() && c.node == current)
      current_weight = std::max(current_weight.value_or(c.weight), c.weight);
  }
  if (!best || best->weight < 0) return "";
  // A positive best that ties with the current node keeps the resource there.
  if (best->weight > 0 && current_weight && *current_weight >= best->weight &&
      nodes.available(nodes.find(current)))
    return std::string(current);
  return std::string(best->node);
}

}  // namespace

std::string choose_node(const WorkingSet& ws, const std::vector<NodeScore>& scores,
                        const std::map<std::string, int, std::less<>>& assigned_count,
                        std::string_view current) {
  const NodeTable nodes(ws);
  NodeCounts counts(nodes);
  for (const auto& [node, n] : assigned_count) counts.add(node, n);
  return choose_node(nodes, scores, counts, current);
}

void glib_list_sort(std::vector<std::size_t>& items,
                    const std::function<int(std::size_t, std::size_t)>& cmp) {
  if (items.size() < 2) return;
  const auto half = static_cast<std::ptrdiff_t>(items.size() / 2);
  std::vector<std::size_t> left(items.begin(), items.begin() + half);
  std::vector<std::size_t> right(items.begin() + half, items.end());
  glib_list_sort(left, cmp);
  glib_list_sort(right, cmp);
  std::size_t l = 0;
  std::size_t r = 0;
  std::size_t at = 0;
  while (l < left.size() && r < right.size())
    items[at++] = cmp(left[l], right[r]) <= 0 ? left[l++] : right[r++];
  while (l < left.size()) items[at++] = left[l++];
  while (r < right.size()) items[at++] = right[r++];
}

int compare_instances(const InstanceSortKey& a, const InstanceSortKey& b) {
  if (a.active_count > 0 && b.active_count > 0 && a.active_count != b.active_count)
    return a.active_count < b.active_count ? -1 : 1;
  const bool a_active = !a.current.empty() && a.current_allowed;
  const bool b_active = !b.current.empty() && b.current_allowed;
  const bool a_can = a.current.empty() || a.current_allowed;
  const bool b_can = b.current.empty() || b.current_allowed;
  if (a_can != b_can) return a_can ? -1 : 1;
  if (a.priority != b.priority) return a.priority > b.priority ? -1 : 1;
  if (!a_active && !b_active) return 0;
  if (a_active != b_active) return a_active ? -1 : 1;
  if (a.current_can_run != b.current_can_run) return a.current_can_run ? -1 : 1;
  if (a.failed != b.failed) return a.failed ? 1 : -1;
  const int wa = a.current_colocation_score;
  const int wb = b.current_colocation_score;
  if (wa < wb) return wa < 0 ? -1 : 1;
  if (wa > wb) return -1;
  const int rc = std::strcmp(a.id.c_str(), b.id.c_str());
  return rc < 0 ? -1 : (rc > 0 ? 1 : 0);
}

namespace {

struct Coloc {
  std::size_t dependent;
  std::size_t primary;
  int score;
  // with-rsc-role on a promotable primary: the dependent follows the nodes
  // of the primary's instances in that role (kUnknown: any active one).
  Role with_role = Role::kUnknown;
  // rsc-role=Promoted/Unpromoted on a promotable dependent: weighs on its
  // instances' promotion only, not on where they run (kUnknown: placement).
  Role dependent_role = Role::kUnknown;
};

// Adds `factor` times `other`'s scores to `weights` (a primary taking in
// the preferences of a resource colocated with it); rolled back when no node
// could run the result.
std::vector<NodeScore> merge_scores(const WorkingSet& ws, const std::vector<NodeScore>& weights,
                                    const std::vector<NodeScore>& other, double factor,
                                    bool nonnegative = false) {
  std::vector<NodeScore> out = weights;
  bool any = false;
  for (std::size_t n = 0; n < out.size(); ++n) {
    // The other resource's best score on a node that can run it (by node
    // name): none (-INFINITY) where the node cannot run resources.
    const int score = is_available(ws, out[n].node) ? other[n].score : -kInfinity;
    if (factor < 0 && score < 0) {
      // a dislike of a node the other avoids anyway is no preference
    } else {
      double f = factor * static_cast<double>(score);
      if (f >= kInfinity) f = kInfinity;
      if (f <= -kInfinity) f = -kInfinity;
      const int merged = score_add(out[n].score, static_cast<int>(f));
      // only non-negative preferences are taken in: a node the other
      // cannot use does not repel a primary that may use it
      if (!(nonnegative && merged < 0 && out[n].score >= 0)) out[n].score = merged;
    }
    if (out[n].score >= 0 && is_available(ws, out[n].node)) any = true;
  }
  return any ? out : weights;
}

bool coloc_role_applies(const OptString& role) {
  if (!role) return true;
  const auto r = parse_role(*role);
  return !r || *r == Role::kStarted;
}

}  // namespace

namespace {

// Clone instances, taken in Pacemaker's instance order (compare_instances
// through glib_list_sort): those running stay where they are (stickiness
// permitting; a multiply active one on the first node it was found on), then
// the rest go to the best-scored nodes holding the fewest instances, at most
// clone-node-max per node.
// `first`: index of the clone's first instance in out.primitives; `extra`:
// scores (ws.nodes order) that colocations add to every instance; `count`:
// resources assigned per node so far in this run (updated).
void place_clone(const WorkingSet& ws, const NodeTable& nodes, const WsResource& c,
                 std::size_t first, const std::vector<NodeScore>& extra,
                 NodeCounts& count, Placement& out,
                 const std::vector<PriorityColocation>& role_colocations) {
  // Instances of this clone per node (position in ws.nodes).
  std::vector<int> per_node(nodes.size(), 0);
  auto held = [&per_node](std::size_t at) { return at < per_node.size() ? per_node[at] : 0; };
  auto hold = [&](const std::string& node) {
    if (const std::size_t at = nodes.find(node); at < per_node.size()) ++per_node[at];
  };
  // Promotion scores and colocations weigh in where instances go (kept out
  // of the allocation scores shown for them).
  std::vector<std::vector<NodeScore>> weights_of;
  for (std::size_t i = 0; i < c.children.size(); ++i) {
    weights_of.push_back(out.primitives[first + i].scores);
    for (std::size_t n = 0; n < extra.size() && n < weights_of.back().size(); ++n)
      weights_of.back()[n].score = score_add(weights_of.back()[n].score, extra[n].score);
    if (c.promotable) add_promotion_weights(ws, c, c.children[i], weights_of.back());
  }
  // (A node holding none is never full, even with clone-node-max=0.)
  auto full = [&](std::size_t at) { return held(at) > 0 && held(at) >= c.clone_node_max; };
  // The order Pacemaker assigns the instances in (both passes).
  std::vector<InstanceSortKey> keys;
  for (std::size_t i = 0; i < c.children.size(); ++i) {
    const WsResource& inst = c.children[i];
    InstanceSortKey k;
    k.id = inst.id;
    const auto active = inst.active_nodes();
    k.active_count = active.size();
    if (!active.empty()) k.current = active.front();
    k.priority = inst.priority;
    if (c.promotable)
      k.priority = std::max(k.priority, promotion_priority(ws, c, inst, weights_of[i]));
    if (!k.current.empty()) {
      k.current_allowed = false;
      for (const auto& sc : out.primitives[first + i].scores)
        if (sc.node == k.current) k.current_allowed = sc.score >= 0;
      for (const auto& e : extra)
        if (e.node == k.current) k.current_colocation_score = e.score;
      k.current_can_run = is_available(ws, k.current);
    }
    k.failed = inst.failed();
    keys.push_back(std::move(k));
  }
  std::vector<std::size_t> order;
  for (std::size_t i = 0; i < c.children.size(); ++i) order.push_back(i);
  glib_list_sort(order,
                 [&keys](std::size_t a, std::size_t b) { return compare_instances(keys[a], keys[b]); });
  std::size_t rank = 0;  // assignment sequence (PrimitivePlacement::assign_rank)
  // First pass: instances stay where they run while their node holds fewer
  // than its even share (clone-max / available nodes, at least 1) — so a
  // clone crowded onto few nodes spreads out again.
  int available = 0;
  for (const auto& sc : primitive_scores(ws, c))
    if (sc.score >= 0 && is_available(ws, sc.node)) ++available;
  const int share = std::max(1, available > 0 ? c.clone_max / available : 1);
  int placed = 0;
  std::vector<bool> done(c.children.size(), false);
  for (const std::size_t i : order) {
    const WsResource& inst = c.children[i];
    PrimitivePlacement& p = out.primitives[first + i];
    const auto active = inst.active_nodes();
    if (active.empty()) continue;
    const std::string& node = active.front();
    if (!inst.managed) {
      p.node = node;
      done[i] = true;
    } else {
      const std::size_t here = nodes.find(node);
      const bool room = held(here) < share;
      // It stays only where it scores as well as anywhere it could go
      // (Pacemaker prefers the current node only among the best).
      const std::vector<NodeScore>& weights = weights_of[i];
      int best = -kInfinity;
      for (std::size_t n = 0; n < weights.size(); ++n) {
        const std::size_t at = nodes.find(weights[n].node, n);
        if (nodes.available(at) && !full(at)) best = std::max(best, weights[n].score);
      }
      for (const auto& sc : weights)
        if (sc.node == node && sc.score >= 0 && sc.score >= best && nodes.available(here) &&
            !full(here) && room && placed < c.clone_max)
          p.node = node;
      done[i] = !p.node.empty();
    }
    if (!p.node.empty()) {
      p.assign_rank = rank++;
      hold(p.node);
      count.add(p.node);
      ++placed;
    }
  }
  // Second pass: the rest, in the same order, go to the best-scored nodes
  // with room.
  for (const std::size_t i : order) {
    if (done[i]) continue;
    const WsResource& inst = c.children[i];
    PrimitivePlacement& p = out.primitives[first + i];
    p.assign_rank = rank++;
    if (placed >= c.clone_max) continue;
    if (!inst.managed) continue;
    // An instance that failed on a node being fenced stops with it; another
    // instance takes its place.
    const bool failed_on_unclean =
        std::any_of(inst.history.begin(), inst.history.end(), [&ws](const NodeRscState& h) {
          const WsNode* n = ws.find_node(h.node);
          return h.failed && n != nullptr && n->unclean;
        });
    if (failed_on_unclean) continue;
    std::vector<NodeScore> weights = weights_of[i];
    for (std::size_t n = 0; n < weights.size(); ++n)
      if (full(nodes.find(weights[n].node, n))) weights[n].score = -kInfinity;
    // Its current node counts as a tie-breaker only if it did not already
    // hold its share there.
    const auto active = inst.active_nodes();
    std::string current = active.size() == 1 ? active.front() : "";
    if (!current.empty() && held(nodes.find(current)) >= share) current.clear();
    p.node = choose_node(nodes, weights, count, current);
    if (!p.node.empty()) {
      hold(p.node);
      count.add(p.node);
      ++placed;
    }
  }
  for (std::size_t i = 0; i < c.children.size(); ++i) {
    PrimitivePlacement& p = out.primitives[first + i];
    p.next_role = p.node.empty() ? Role::kStopped : Role::kStarted;
    for (const auto& w : weights_of[i])
      if (w.node == p.node) p.assigned_weight = w.score;
    if (std::any_of(extra.begin(), extra.end(), [](const NodeScore& e) { return e.score != 0; }))
      p.colocation_scores = extra;
    // Pacemaker gives instances of a clone without resource-stickiness a
    // stickiness of 1 where they run (crm/sched_scores.cc shows it too).
    const WsResource& inst = c.children[i];
    const auto active = inst.active_nodes();
    if (!p.node.empty() && inst.managed && inst.stickiness == 0 &&
        inst.meta.count("resource-stickiness") == 0 && active.size() == 1 &&
        active.front() == p.node && p.assigned_weight > -kInfinity)
      p.assigned_weight = score_add(p.assigned_weight, 1);
  }
  if (c.promotable) assign_promotable_roles(ws, c, out, first, role_colocations);
}

}  // namespace

namespace {

// A group's scores as a unit: its first member's, with those of the members
// colocated with it merged in, last first. `first`: index of the first
// member's placement in out.primitives.
std::vector<NodeScore> group_unit_scores(const WorkingSet& ws, const WsResource& g,
                                         std::size_t first, const Placement& out) {
  const std::size_t k = g.children.size();
  std::vector<NodeScore> merged = out.primitives[first + k - 1].scores;
  for (std::size_t i = k - 1; i-- > 0;)
    merged = merge_scores(ws, out.primitives[first + i].scores, merged, 1.0, true);
  return merged;
}

// Places each group instance of clone `c` as a unit (place_clone over one
// stand-in placement per instance), then its members one after another
// where the first went, as in a group.
void place_group_clone(const WorkingSet& ws, const NodeTable& nodes, const WsResource& c,
                       std::size_t first, const std::vector<NodeScore>& extra,
                       NodeCounts& count, Placement& out,
                       const std::vector<PriorityColocation>& role_colocations) {
  Placement units;
  std::vector<std::size_t> starts;
  std::size_t at = first;
  for (const auto& inst : c.children) {
    starts.push_back(at);
    PrimitivePlacement p;
    p.rsc = inst.id;
    p.scores =
        inst.children.empty() ? std::vector<NodeScore>{} : group_unit_scores(ws, inst, at, out);
    units.primitives.push_back(std::move(p));
    at += inst.children.size();
  }
  place_clone(ws, nodes, c, 0, extra, count, units, role_colocations);
  for (std::size_t i = 0; i < c.children.size(); ++i) {
    const WsResource& inst = c.children[i];
    const PrimitivePlacement& u = units.primitives[i];
    std::string prev = u.node;
    for (std::size_t j = 0; j < inst.children.size(); ++j) {
      PrimitivePlacement& p = out.primitives[starts[i] + j];
      p.node.clear();
      if (!prev.empty()) {
        for (const auto& sc : p.scores)
          if (sc.node == prev && sc.score >= 0 && is_available(ws, prev)) p.node = prev;
        if (!inst.children[j].managed) p.node = prev;
      }
      if (!p.node.empty() && j > 0) count.add(p.node);
      p.next_role = p.node.empty() ? Role::kStopped : u.next_role;
      p.promotion_score = u.promotion_score;
      p.assign_rank = u.assign_rank;
      p.colocation_scores = u.colocation_scores;
      prev = p.node;
    }
    // An instance some member of which cannot run is not promoted (no other
    // instance is chosen in its place).
    const bool partial =
        std::any_of(inst.children.begin(), inst.children.end(), [&](const WsResource& m) {
          const std::size_t j = static_cast<std::size_t>(&m - inst.children.data());
          return out.primitives[starts[i] + j].node.empty();
        });
    if (partial && u.next_role == Role::kPromoted)
      for (std::size_t j = 0; j < inst.children.size(); ++j) {
        PrimitivePlacement& p = out.primitives[starts[i] + j];
        if (!p.node.empty()) p.next_role = Role::kUnpromoted;
        p.promotion_score = -kInfinity;
      }
  }
}

}  // namespace

bool is_anonymous_clone(const WsResource& r) {
  return is_primitive_clone(r) && !r.promotable && !r.unique;
}

bool is_primitive_clone(const WsResource& r) {
  return r.kind == RscKind::kClone && !r.children.empty() &&
         r.children.front().kind == RscKind::kPrimitive;
}

bool is_group_clone(const WsResource& r) {
  return r.kind == RscKind::kClone && !r.children.empty() &&
         r.children.front().kind == RscKind::kGroup;
}

Placement place(const WorkingSet& ws) {
  Placement out;
  const NodeTable nodes(ws);
  struct Unit {
    const WsResource* rsc;
    std::size_t first;  // index of its first primitive in out.primitives
    std::vector<NodeScore> base;
    int state = 0;  // 0 unassigned, 1 assigning, 2 assigned
    std::string node;
    std::vector<std::string> nodes{};  // where it runs once assigned (clones: every instance)
  };
  std::vector<Unit> units;
  for (const auto& r : ws.resources) {
    if (r.kind == RscKind::kPrimitive) {
      units.push_back({&r, out.primitives.size(), {}, 0, ""});
      out.primitives.push_back({r.id, primitive_scores(ws, r), "", !r.managed});
      units.back().base = out.primitives.back().scores;
    } else if (r.kind == RscKind::kGroup && !r.children.empty()) {
      units.push_back({&r, out.primitives.size(), {}, 0, ""});
      // The group's location constraints go to its first member (the rest
      // follow it).
      for (const auto& m : r.children)
        out.primitives.push_back({m.id,
                                  primitive_scores(ws, m,
                                                   &m == &r.children.front() ? std::string_view(r.id)
                                                                             : std::string_view()),
                                  "", !m.managed});
      // The first member's scores with those of the members colocated with
      // it merged in, last first.
      const std::size_t k = r.children.size();
      const std::size_t f = units.back().first;
      std::vector<NodeScore> merged = out.primitives[f + k - 1].scores;
      for (std::size_t i = k - 1; i-- > 0;)
        merged = merge_scores(ws, out.primitives[f + i].scores, merged, 1.0, true);
      units.back().base = merged;
    } else if (is_primitive_clone(r)) {
      units.push_back({&r, out.primitives.size(), primitive_scores(ws, r), 0, ""});
      for (const auto& inst : r.children)
        out.primitives.push_back({inst.id, primitive_scores(ws, inst, r.id), "", !inst.managed});
    } else if (is_group_clone(r)) {
      units.push_back({&r, out.primitives.size(), primitive_scores(ws, r), 0, ""});
      // As in a group, the clone's location constraints go to each
      // instance's first member.
      for (const auto& inst : r.children)
        for (const auto& m : inst.children)
          out.primitives.push_back(
              {m.id,
               primitive_scores(ws, m,
                                &m == &inst.children.front() ? std::string_view(r.id)
                                                             : std::string_view()),
               "", !m.managed});
    }
    // An anonymous clone instance (or member of one) over its migration
    // threshold on a node bans the whole clone from that node.
    if (r.kind != RscKind::kClone || r.unique || !(is_primitive_clone(r) || is_group_clone(r)))
      continue;
    std::vector<std::string> banned;
    const Unit& u = units.back();
    for (std::size_t i = u.first; i < out.primitives.size(); ++i) {
      const WsResource* prim = nullptr;
      for (const auto& inst : r.children) {
        if (inst.id == out.primitives[i].rsc) prim = &inst;
        for (const auto& m : inst.children)
          if (m.id == out.primitives[i].rsc) prim = &m;
      }
      if (prim == nullptr) continue;
      for (const auto& h : prim->history)
        if (h.failcount > 0 && h.failcount >= prim->migration_threshold) banned.push_back(h.node);
    }
    if (banned.empty()) continue;
    auto ban = [&banned](std::vector<NodeScore>& scores) {
      for (auto& sc : scores)
        if (std::find(banned.begin(), banned.end(), sc.node) != banned.end()) sc.score = -kInfinity;
    };
    ban(units.back().base);
    for (std::size_t i = units.back().first; i < out.primitives.size(); ++i) ban(out.primitives[i].scores);
  }
  auto unit_of = [&units](std::string_view id) -> std::size_t {
    for (std::size_t i = 0; i < units.size(); ++i)
      if (units[i].rsc->id == id) return i;
    return units.size();
  };
  std::vector<Coloc> colocs;
  for (const auto& co : ws.colocations) {
    if (co.node_attribute != "#uname") continue;
    const std::size_t d = unit_of(co.rsc);
    const std::size_t p = unit_of(co.with_rsc);
    if (d == units.size() || p == units.size() || d == p) continue;
    Role dependent_role = Role::kUnknown;
    if (!coloc_role_applies(co.rsc_role)) {
      const auto role = parse_role(*co.rsc_role);
      if (!units[d].rsc->promotable || !role ||
          (*role != Role::kPromoted && *role != Role::kUnpromoted))
        continue;
      dependent_role = *role;
    }
    Role with_role = Role::kUnknown;
    if (!coloc_role_applies(co.with_rsc_role)) {
      // A dependent placed with the promotable primary's instances in a role.
      const auto role = parse_role(*co.with_rsc_role);
      if (!units[p].rsc->promotable || !role ||
          (*role != Role::kPromoted && *role != Role::kUnpromoted))
        continue;
      with_role = *role;
    }
    colocs.push_back({d, p, co.score, with_role, dependent_role});
  }
  std::vector<std::size_t> order(units.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&units](std::size_t a, std::size_t b) {
    return assigned_before(*units[a].rsc, *units[b].rsc);
  });
  NodeCounts count(nodes);
  auto single_active = [](const WsResource& r) {
    const auto active = r.active_nodes();
    return active.size() == 1 ? active.front() : std::string();
  };
  auto assign = [&](auto&& self, std::size_t ui) -> void {
    Unit& u = units[ui];
    if (u.state != 0) return;
    u.state = 1;
    for (const auto& c : colocs)
      if (c.dependent == ui) self(self, c.primary);
    const WsResource& r = *u.rsc;
    const bool clone = r.kind == RscKind::kClone;
    std::vector<NodeScore> weights = u.base;
    // What is not yet placed with it (even one whose assignment led here)
    // brings its scores, and what is to be
    // placed with that in turn (factors multiplied along the chain; each
    // resource once per chain), as Pacemaker merges colocated scores.
    std::vector<std::size_t> chain{ui};
    auto merge_dependents = [&](auto& merge_next, std::size_t primary, double factor) -> void {
      for (const auto& c : colocs) {
        if (c.primary != primary || units[c.dependent].state == 2 ||
            c.dependent_role != Role::kUnknown || units[c.dependent].rsc->kind == RscKind::kClone)
          continue;
        if (std::find(chain.begin(), chain.end(), c.dependent) != chain.end()) continue;
        const double f = factor * static_cast<double>(c.score) / kInfinity;
        weights = merge_scores(ws, weights, units[c.dependent].base, f);
        chain.push_back(c.dependent);
        merge_next(merge_next, c.dependent, f);
        chain.pop_back();
      }
    };
    if (!clone) merge_dependents(merge_dependents, ui, 1.0);
    // Colocations with what is already placed: a clone counts on every node
    // one of its instances runs on. For a clone dependent they apply to
    // each instance (`extra`).
    std::vector<NodeScore> extra = u.base;
    for (auto& e : extra) e.score = 0;
    std::vector<PriorityColocation> role_colocations;
    // A primitive or group colocated with this promotable clone's promoted
    // role weighs on which instance is promoted.
    for (const auto& c : colocs) {
      if (!clone || !r.promotable || c.primary != ui) continue;
      if (units[c.dependent].rsc->kind == RscKind::kClone || c.dependent == ui) continue;
      role_colocations.push_back(
          {{}, c.score, Role::kPromoted, false, true, units[c.dependent].base, c.with_role});
    }
    for (const auto& c : colocs) {
      if (c.dependent != ui || units[c.primary].state != 2) continue;
      if (c.dependent_role != Role::kUnknown) {
        const Unit& pu = units[c.primary];
        PriorityColocation pc{{}, c.score, c.dependent_role, pu.rsc->kind != RscKind::kClone};
        if (pu.rsc->kind == RscKind::kClone) {
          for (std::size_t i = 0; i < pu.rsc->children.size(); ++i) {
            const PrimitivePlacement& ip = out.primitives[pu.first + i];
            if (!ip.node.empty() && (c.with_role == Role::kUnknown || ip.next_role == c.with_role))
              pc.nodes.push_back(ip.node);
          }
        } else if (!pu.node.empty()) {
          pc.nodes.push_back(pu.node);
        } else if (c.score < kInfinity || c.dependent_role != Role::kPromoted) {
          continue;  // the primary is not placed: nothing to weigh
        }            // else: promoted only with a primary that runs nowhere: nowhere
        role_colocations.push_back(std::move(pc));
        continue;
      }
      std::vector<std::string> in_role;
      // Mandatory with a role of a clone of primitives: each such node also
      // adds the weight its instance was assigned it with.
      std::map<std::string, int, std::less<>> in_role_weight;
      if (c.with_role != Role::kUnknown) {
        const Unit& pu = units[c.primary];
        for (std::size_t i = 0; i < pu.rsc->children.size(); ++i) {
          const PrimitivePlacement& ip = out.primitives[pu.first + i];
          if (ip.node.empty() || ip.next_role != c.with_role) continue;
          in_role.push_back(ip.node);
          if (c.score >= kInfinity && is_primitive_clone(*pu.rsc))
            in_role_weight[ip.node] = score_add(in_role_weight[ip.node], ip.assigned_weight);
        }
      }
      // A mandatory colocation with a clone counts only the nodes of its
      // instances not blocked by a failure.
      std::vector<std::string> unblocked;
      const Unit& pu = units[c.primary];
      const bool mandatory_with_clone = c.with_role == Role::kUnknown && c.score >= kInfinity &&
                                        pu.rsc->kind == RscKind::kClone;
      if (mandatory_with_clone) {
        auto blocked = [](const WsResource& x) {
          return std::any_of(x.history.begin(), x.history.end(),
                             [](const NodeRscState& h) { return h.blocked; });
        };
        std::size_t at = pu.first;
        for (const auto& inst : pu.rsc->children) {
          const std::size_t n_prims = inst.kind == RscKind::kGroup ? inst.children.size() : 1;
          bool inst_blocked = blocked(inst);
          for (const auto& m : inst.children) inst_blocked = inst_blocked || blocked(m);
          for (std::size_t k = 0; k < n_prims && at + k < out.primitives.size(); ++k) {
            const std::string& node = out.primitives[at + k].node;
            if (!inst_blocked && !node.empty() &&
                std::find(unblocked.begin(), unblocked.end(), node) == unblocked.end())
              unblocked.push_back(node);
          }
          at += n_prims;
        }
      }
      const auto& with = c.with_role != Role::kUnknown ? in_role
                         : mandatory_with_clone        ? unblocked
                                                       : units[c.primary].nodes;
      for (auto* ws_scores : {&weights, &extra}) {
        for (auto& w : *ws_scores) {
          if (std::find(with.begin(), with.end(), w.node) != with.end()) {
            if (c.score < kInfinity) w.score = score_add(w.score, c.score);
            if (const auto it = in_role_weight.find(w.node); it != in_role_weight.end())
              w.score = score_add(w.score, it->second);
          } else if (c.score >= kInfinity) {
            w.score = -kInfinity;
          }
        }
      }
    }
    if (clone) {
      std::size_t placed = r.children.size();
      if (is_group_clone(r)) {
        place_group_clone(ws, nodes, r, u.first, extra, count, out, role_colocations);
        placed = 0;
        for (const auto& inst : r.children) placed += inst.children.size();
      } else {
        place_clone(ws, nodes, r, u.first, extra, count, out, role_colocations);
      }
      for (std::size_t i = 0; i < placed; ++i) {
        const std::string& n = out.primitives[u.first + i].node;
        if (!n.empty() && std::find(u.nodes.begin(), u.nodes.end(), n) == u.nodes.end())
          u.nodes.push_back(n);
      }
      u.node = u.nodes.empty() ? "" : u.nodes.front();
    } else if (r.kind == RscKind::kPrimitive) {
      PrimitivePlacement& p = out.primitives[u.first];
      if (r.managed) p.assign_scores = weights;
      // An orphan (no longer configured) only stops, unless it is left alone.
      p.node = !r.managed ? single_active(r)
               : r.orphan ? std::string()
                          : choose_node(nodes, weights, count, single_active(r));
      if (!p.node.empty()) count.add(p.node);
      p.next_role = p.node.empty() ? Role::kStopped : Role::kStarted;
      u.node = p.node;
    } else {
      std::string prev;
      for (std::size_t i = 0; i < r.children.size(); ++i) {
        const WsResource& m = r.children[i];
        PrimitivePlacement& p = out.primitives[u.first + i];
        p.node.clear();
        // A member blocked by a failure (on-fail=block) stays put, as if
        // unmanaged.
        const bool blocked = std::any_of(m.history.begin(), m.history.end(),
                                         [](const NodeRscState& h) { return h.blocked; });
        if (!m.managed || blocked) {
          p.node = single_active(m);
        } else if (i == 0) {
          p.assign_scores = weights;
          p.node = choose_node(nodes, weights, count, single_active(m));
        } else if (!prev.empty()) {
          // Where the previous member went, unless its own scores or the
          // group's colocations forbid that node.
          bool banned = false;
          for (const auto& e : extra)
            if (e.node == prev && e.score <= -kInfinity) banned = true;
          for (const auto& sc : p.scores)
            if (sc.node == prev && sc.score >= 0 && is_available(ws, prev) && !banned)
              p.node = prev;
        }
        if (!p.node.empty()) count.add(p.node);
        p.next_role = p.node.empty() ? Role::kStopped : Role::kStarted;
        prev = p.node;
      }
      u.node = out.primitives[u.first].node;
    }
    if (!clone && !u.node.empty()) u.nodes = {u.node};
    u.state = 2;
  };
  for (const std::size_t i : order) assign(assign, i);
  out.index();
  return out;
}

}  // namespace quorate::crm::sched
