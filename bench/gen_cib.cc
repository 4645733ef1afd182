// Synthetic CIB generator: plan the resource units and constraints, decide
// where the running ones run (where the scheduler would keep them), then
// write configuration and status as Pacemaker 2.1 does.
#include "bench/gen_cib.h"

#include <fmt/format.h>
#include <openssl/evp.h>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <utility>
#include <vector>

namespace quorate::bench {
namespace {

// splitmix64: small, fast, and the same sequence everywhere.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : s_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (s_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int below(int n) { return n <= 0 ? 0 : static_cast<int>(next() % static_cast<std::uint64_t>(n)); }
  bool percent(int p) { return below(100) < p; }

 private:
  std::uint64_t s_;
};

enum class Kind { kPrimitive, kGroup, kClone, kPromotable };

struct Prim {
  std::string id;
  std::string provider;        // heartbeat, pacemaker
  std::string type;            // Dummy IPaddr2 ping Stateful
  std::string ip;              // IPaddr2 only
  std::string digest;          // op-digest of its one-shot operations
  std::string monitor_digest;  // ... and of its recurring monitors
};

// Pacemaker's op-digest: the MD5 of the operation's parameters written as
// one XML element, attributes sorted by name, between a leading space and a
// trailing newline; recurring operations add CRM_meta_timeout.
std::string op_digest(std::vector<std::pair<std::string, std::string>> params) {
  std::sort(params.begin(), params.end());
  std::string text = " <parameters";
  for (const auto& [name, value] : params) text += fmt::format(" {}=\"{}\"", name, value);
  text += "/>\n";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_md5(), nullptr);
  std::string hex;
  for (unsigned int i = 0; i < len; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

void set_digests(Prim& p) {
  std::vector<std::pair<std::string, std::string>> params;
  if (p.type == "IPaddr2") params = {{"ip", p.ip}, {"cidr_netmask", "16"}};
  if (p.type == "ping") params = {{"host_list", "10.0.0.1"}};
  p.digest = op_digest(params);
  params.emplace_back("CRM_meta_timeout", "20000");
  p.monitor_digest = op_digest(params);
}

struct Unit {
  Kind kind = Kind::kPrimitive;
  std::string id;  // top-level id
  std::vector<Prim> prims;
  std::vector<std::pair<int, int>> node_scores;  // (node, score) from locations
  int rack_rule = -1;                            // rack preferred by a rule location
  std::vector<int> banned;                       // nodes with a -INFINITY location
  int primary = -1;            // unit this one is colocated with (INFINITY), or -1
  bool with_promoted = false;  // ... with the primary's Promoted role
  bool running = false;
  std::vector<int> nodes;  // where it runs; promotable: [promoted, unpromoted]
};

constexpr int kRuleScore = 300;
constexpr int kRacks = 8;
constexpr const char* kUuid = "6a1d3c2e-0b5e-4c39-9a7e-5be0c0de0001";

bool is_banned(const Unit& u, int node) {
  return std::find(u.banned.begin(), u.banned.end(), node) != u.banned.end();
}

class Generator {
 public:
  Generator(const CibSpec& spec, CibCounts& counts)
      : spec_(spec), counts_(counts), rng_(spec.seed) {}

  std::string run() {
    plan_units();
    plan_constraints();
    plan_running();
    out_.reserve(static_cast<std::size_t>(spec_.nodes) * static_cast<std::size_t>(spec_.resources) *
                     190 +
                 (1 << 20));
    write_head();
    write_resources();
    write_constraints();
    write_status();
    return std::move(out_);
  }

 private:
  template <typename... Args>
  void put(fmt::format_string<Args...> f, Args&&... args) {
    fmt::format_to(std::back_inserter(out_), f, std::forward<Args>(args)...);
  }

  Prim make_prim(const std::string& id) {
    Prim p{id, "heartbeat", "Dummy", "", "", ""};
    if (rng_.percent(40)) {
      p.type = "IPaddr2";
      const int n = next_ip_++;
      p.ip = fmt::format("10.{}.{}.{}", 100 + (n >> 16) % 100, (n >> 8) & 255, 1 + (n & 255) % 254);
    }
    set_digests(p);
    return p;
  }

  void plan_units() {
    const int r = std::max(spec_.resources, 4);
    const int clones = std::max(1, r / 100);
    const int promotable = std::max(1, r / 100);
    int grouped_target = (r - clones - promotable) * 35 / 100;
    std::vector<int> group_sizes;
    while (grouped_target >= 3) {
      int size = 3 + rng_.below(3);
      if (size > grouped_target) size = grouped_target;
      group_sizes.push_back(size);
      grouped_target -= size;
    }
    int members = 0;
    for (int s : group_sizes) members += s;
    const int standalone = r - clones - promotable - members;
    std::vector<Kind> kinds;
    kinds.insert(kinds.end(), static_cast<std::size_t>(standalone), Kind::kPrimitive);
    kinds.insert(kinds.end(), group_sizes.size(), Kind::kGroup);
    kinds.insert(kinds.end(), static_cast<std::size_t>(clones), Kind::kClone);
    kinds.insert(kinds.end(), static_cast<std::size_t>(promotable), Kind::kPromotable);
    for (std::size_t i = kinds.size(); i > 1; --i)
      std::swap(kinds[i - 1], kinds[static_cast<std::size_t>(rng_.below(static_cast<int>(i)))]);
    int prim_no = 0, group_no = 0, clone_no = 0;
    std::size_t next_group = 0;
    for (Kind k : kinds) {
      Unit u;
      u.kind = k;
      switch (k) {
        case Kind::kPrimitive:
          u.prims.push_back(make_prim(fmt::format("rsc{:05d}", prim_no++)));
          u.id = u.prims.front().id;
          ++counts_.standalone;
          break;
        case Kind::kGroup:
          u.id = fmt::format("grp{:04d}", group_no++);
          for (int m = 0; m < group_sizes[next_group]; ++m)
            u.prims.push_back(make_prim(fmt::format("rsc{:05d}", prim_no++)));
          ++next_group;
          ++counts_.groups;
          counts_.group_members += static_cast<int>(u.prims.size());
          break;
        case Kind::kClone:
          u.prims.push_back({fmt::format("ping{:03d}", clone_no), "pacemaker", "ping", "", "", ""});
          set_digests(u.prims.back());
          u.id = fmt::format("ping{:03d}-clone", clone_no++);
          ++counts_.clones;
          break;
        case Kind::kPromotable:
          u.prims.push_back(
              {fmt::format("db{:03d}", clone_no), "pacemaker", "Stateful", "", "", ""});
          set_digests(u.prims.back());
          u.id = fmt::format("db{:03d}-clone", clone_no++);
          ++counts_.promotable;
          break;
      }
      counts_.primitives += static_cast<int>(u.prims.size());
      units_.push_back(std::move(u));
    }
    counts_.top_level = static_cast<int>(units_.size());
    counts_.instances = counts_.standalone + counts_.group_members + counts_.clones * spec_.nodes +
                        counts_.promotable * 2;
  }

  bool placeable(const Unit& u) const {
    return u.kind == Kind::kPrimitive || u.kind == Kind::kGroup;
  }

  // A random unit of a placeable kind, or -1.
  int pick_placeable(int below) {
    for (int tries = 0; tries < 16 && below > 0; ++tries) {
      const int i = rng_.below(below);
      if (placeable(units_[static_cast<std::size_t>(i)])) return i;
    }
    return -1;
  }

  void plan_constraints() {
    const int n_units = static_cast<int>(units_.size());
    const int r = counts_.primitives;
    // Colocations first: a dependent takes no location of its own, so where
    // it runs follows from its primary alone.
    for (int c = 0; c < std::max(1, r / 25); ++c) {
      const int d = pick_placeable(n_units);
      if (d <= 0 || units_[static_cast<std::size_t>(d)].primary >= 0) continue;
      const int p = pick_placeable(d);
      if (p < 0) continue;
      units_[static_cast<std::size_t>(d)].primary = p;
      colocs_.push_back({d, p});
    }
    // A promotable clone's Promoted instance with a standalone primitive.
    for (int i = 0; i < n_units; ++i) {
      if (units_[static_cast<std::size_t>(i)].kind != Kind::kPromotable) continue;
      const int d = pick_placeable(n_units);
      Unit& dep = units_[static_cast<std::size_t>(d < 0 ? 0 : d)];
      if (d < 0 || dep.primary >= 0 || dep.kind != Kind::kPrimitive) continue;
      dep.primary = i;
      dep.with_promoted = true;
      colocs_.push_back({d, i});
    }
    for (int c = 0; c < std::max(1, r / 5); ++c) {
      const int i = rng_.below(n_units);
      Unit& u = units_[static_cast<std::size_t>(i)];
      const int node = rng_.below(spec_.nodes);
      const int roll = rng_.below(100);
      if (roll < 10 || !placeable(u)) {
        if (spec_.nodes < 3 || is_banned(u, node) || u.banned.size() + 2 >= spec_.nodes * 1u)
          continue;
        u.banned.push_back(node);
        locations_.push_back({i, node, "-INFINITY", -1});
      } else if (u.primary >= 0) {
        continue;
      } else if (roll < 15) {
        if (u.rack_rule >= 0) continue;
        u.rack_rule = rng_.below(std::min(kRacks, spec_.nodes));
        locations_.push_back({i, -1, std::to_string(kRuleScore), u.rack_rule});
      } else {
        static constexpr int kScores[] = {50, 100, 200, 500, 1000};
        const int score = kScores[rng_.below(5)];
        u.node_scores.push_back({node, score});
        locations_.push_back({i, node, std::to_string(score), -1});
      }
    }
    for (int c = 0; c < std::max(1, r / 25); ++c) {
      const int then = pick_placeable(n_units);
      if (then <= 0) continue;
      const int first = rng_.below(then);
      const Kind fk = units_[static_cast<std::size_t>(first)].kind;
      if (fk == Kind::kPromotable) continue;
      orders_.push_back({first, then, rng_.percent(80) ? "Mandatory" : "Optional"});
    }
    for (const auto& [d, p] : colocs_) {
      if (units_[static_cast<std::size_t>(p)].kind == Kind::kPromotable)
        orders_.push_back({p, d, "Mandatory"});
    }
    counts_.colocations = static_cast<int>(colocs_.size());
    counts_.locations = static_cast<int>(locations_.size());
    counts_.orders = static_cast<int>(orders_.size());
  }

  // The node the scheduler keeps a unit on: its best location score (rack
  // rules included), ties broken at random, never a banned node.
  int best_node(const Unit& u) {
    std::vector<int> score(static_cast<std::size_t>(spec_.nodes), 0);
    for (const auto& [node, s] : u.node_scores) score[static_cast<std::size_t>(node)] += s;
    if (u.rack_rule >= 0)
      for (int n = 0; n < spec_.nodes; ++n)
        if (n % kRacks == u.rack_rule) score[static_cast<std::size_t>(n)] += kRuleScore;
    for (int b : u.banned) score[static_cast<std::size_t>(b)] = -1;
    const int best = *std::max_element(score.begin(), score.end());
    std::vector<int> ties;
    for (int n = 0; n < spec_.nodes; ++n)
      if (score[static_cast<std::size_t>(n)] == best) ties.push_back(n);
    return ties[static_cast<std::size_t>(rng_.below(static_cast<int>(ties.size())))];
  }

  void plan_running() {
    for (Unit& u : units_) {
      if (u.primary >= 0 || !rng_.percent(spec_.running_percent)) continue;
      u.running = true;
      if (u.kind == Kind::kClone) {
        for (int n = 0; n < spec_.nodes; ++n)
          if (!is_banned(u, n)) u.nodes.push_back(n);
      } else if (u.kind == Kind::kPromotable) {
        std::vector<int> allowed;
        for (int n = 0; n < spec_.nodes; ++n)
          if (!is_banned(u, n)) allowed.push_back(n);
        const int a = rng_.below(static_cast<int>(allowed.size()));
        int b = rng_.below(static_cast<int>(allowed.size()) - 1);
        if (b >= a) ++b;
        u.nodes = {allowed[static_cast<std::size_t>(a)]};
        if (allowed.size() > 1) u.nodes.push_back(allowed[static_cast<std::size_t>(b)]);
      } else {
        u.nodes = {best_node(u)};
      }
    }
    // Dependents follow their primary (primaries come first in unit order,
    // except a promotable clone, which is already decided above).
    for (Unit& u : units_) {
      if (u.primary < 0) continue;
      const Unit& p = units_[static_cast<std::size_t>(u.primary)];
      if (!p.running || p.nodes.empty() || !rng_.percent(spec_.running_percent)) continue;
      if (is_banned(u, p.nodes.front())) continue;
      u.running = true;
      u.nodes = {p.nodes.front()};
    }
    // Steady state: nothing runs without what it needs — a colocation's
    // primary or a mandatory order's first. Each pass stops at least one more
    // unit or ends the loop, so it is bounded by the unit count.
    for (bool changed = true; changed;) {
      changed = false;
      auto stop_if = [&](int need, int unit) {
        Unit& u = units_[static_cast<std::size_t>(unit)];
        if (u.running && !units_[static_cast<std::size_t>(need)].running) {
          u.running = false;
          u.nodes.clear();
          changed = true;
        }
      };
      for (const auto& [d, p] : colocs_) stop_if(p, d);
      for (const Order& o : orders_)
        if (std::string_view(o.kind) == "Mandatory") stop_if(o.first, o.then);
    }
    for (const Unit& u : units_) counts_.running_units += u.running ? 1 : 0;
  }

  void write_head() {
    put("<cib crm_feature_set=\"3.16.1\" validate-with=\"pacemaker-3.7\" epoch=\"100\" "
        "num_updates=\"0\" admin_epoch=\"0\" have-quorum=\"1\" dc-uuid=\"1\">\n");
    put("  <configuration>\n    <crm_config>\n");
    put("      <cluster_property_set id=\"cib-bootstrap-options\">\n");
    put("        <nvpair id=\"opt-stonith-enabled\" name=\"stonith-enabled\" value=\"false\"/>\n");
    put("        <nvpair id=\"opt-no-quorum-policy\" name=\"no-quorum-policy\" value=\"stop\"/>\n");
    put("        <nvpair id=\"opt-cluster-name\" name=\"cluster-name\" value=\"bench\"/>\n");
    put("      </cluster_property_set>\n    </crm_config>\n    <nodes>\n");
    for (int n = 1; n <= spec_.nodes; ++n) {
      put("      <node id=\"{0}\" uname=\"node{0}\">\n"
          "        <instance_attributes id=\"node{0}-attrs\">\n"
          "          <nvpair id=\"node{0}-rack\" name=\"rack\" value=\"rack{1}\"/>\n"
          "        </instance_attributes>\n      </node>\n",
          n, (n - 1) % kRacks);
    }
    put("    </nodes>\n");
  }

  void write_primitive(const Prim& p, int indent) {
    const std::string pad(static_cast<std::size_t>(indent), ' ');
    put("{0}<primitive id=\"{1}\" class=\"ocf\" provider=\"{2}\" type=\"{3}\">\n", pad, p.id,
        p.provider, p.type);
    if (p.type == "IPaddr2") {
      put("{0}  <instance_attributes id=\"{1}-params\">\n"
          "{0}    <nvpair id=\"{1}-ip\" name=\"ip\" value=\"{2}\"/>\n"
          "{0}    <nvpair id=\"{1}-cidr\" name=\"cidr_netmask\" value=\"16\"/>\n"
          "{0}  </instance_attributes>\n",
          pad, p.id, p.ip);
    } else if (p.type == "ping") {
      put("{0}  <instance_attributes id=\"{1}-params\">\n"
          "{0}    <nvpair id=\"{1}-hosts\" name=\"host_list\" value=\"10.0.0.1\"/>\n"
          "{0}  </instance_attributes>\n",
          pad, p.id);
    }
    put("{0}  <operations>\n", pad);
    if (p.type == "Stateful") {
      put("{0}    <op id=\"{1}-monitor-10s\" name=\"monitor\" interval=\"10s\" timeout=\"20s\" "
          "role=\"Promoted\"/>\n"
          "{0}    <op id=\"{1}-monitor-11s\" name=\"monitor\" interval=\"11s\" timeout=\"20s\" "
          "role=\"Unpromoted\"/>\n",
          pad, p.id);
    } else {
      put("{0}    <op id=\"{1}-monitor-10s\" name=\"monitor\" interval=\"10s\" "
          "timeout=\"20s\"/>\n",
          pad, p.id);
    }
    put("{0}    <op id=\"{1}-start-0\" name=\"start\" interval=\"0s\" timeout=\"20s\"/>\n"
        "{0}    <op id=\"{1}-stop-0\" name=\"stop\" interval=\"0s\" timeout=\"20s\"/>\n"
        "{0}  </operations>\n{0}</primitive>\n",
        pad, p.id);
  }

  void write_resources() {
    put("    <resources>\n");
    for (const Unit& u : units_) {
      switch (u.kind) {
        case Kind::kPrimitive:
          write_primitive(u.prims.front(), 6);
          break;
        case Kind::kGroup:
          put("      <group id=\"{}\">\n", u.id);
          for (const Prim& p : u.prims) write_primitive(p, 8);
          put("      </group>\n");
          break;
        case Kind::kClone:
          put("      <clone id=\"{0}\">\n        <meta_attributes id=\"{0}-meta\">\n"
              "          <nvpair id=\"{0}-interleave\" name=\"interleave\" value=\"true\"/>\n"
              "        </meta_attributes>\n",
              u.id);
          write_primitive(u.prims.front(), 8);
          put("      </clone>\n");
          break;
        case Kind::kPromotable:
          put("      <clone id=\"{0}\">\n        <meta_attributes id=\"{0}-meta\">\n"
              "          <nvpair id=\"{0}-promotable\" name=\"promotable\" value=\"true\"/>\n"
              "          <nvpair id=\"{0}-promoted-max\" name=\"promoted-max\" value=\"1\"/>\n"
              "          <nvpair id=\"{0}-promoted-node-max\" name=\"promoted-node-max\" "
              "value=\"1\"/>\n"
              "          <nvpair id=\"{0}-clone-max\" name=\"clone-max\" value=\"2\"/>\n"
              "          <nvpair id=\"{0}-clone-node-max\" name=\"clone-node-max\" value=\"1\"/>\n"
              "        </meta_attributes>\n",
              u.id);
          write_primitive(u.prims.front(), 8);
          put("      </clone>\n");
          break;
      }
    }
    put("    </resources>\n    <constraints>\n");
  }

  void write_constraints() {
    int n = 0;
    for (const Location& l : locations_) {
      const std::string& rsc = units_[static_cast<std::size_t>(l.unit)].id;
      if (l.rack >= 0) {
        put("      <rsc_location id=\"loc{0:05d}\" rsc=\"{1}\">\n"
            "        <rule id=\"loc{0:05d}-rule\" score=\"{2}\">\n"
            "          <expression id=\"loc{0:05d}-expr\" attribute=\"rack\" operation=\"eq\" "
            "value=\"rack{3}\"/>\n        </rule>\n      </rsc_location>\n",
            n++, rsc, l.score, l.rack);
      } else {
        put("      <rsc_location id=\"loc{:05d}\" rsc=\"{}\" node=\"node{}\" score=\"{}\"/>\n", n++,
            rsc, l.node + 1, l.score);
      }
    }
    n = 0;
    for (const auto& [d, p] : colocs_) {
      const Unit& dep = units_[static_cast<std::size_t>(d)];
      put("      <rsc_colocation id=\"col{:05d}\" rsc=\"{}\" with-rsc=\"{}\" "
          "score=\"INFINITY\"{}/>\n",
          n++, dep.id, units_[static_cast<std::size_t>(p)].id,
          dep.with_promoted ? " with-rsc-role=\"Promoted\"" : "");
    }
    n = 0;
    for (const Order& o : orders_) {
      const Unit& first = units_[static_cast<std::size_t>(o.first)];
      put("      <rsc_order id=\"ord{:05d}\" first=\"{}\" then=\"{}\" kind=\"{}\"{}/>\n", n++,
          first.id, units_[static_cast<std::size_t>(o.then)].id, o.kind,
          first.kind == Kind::kPromotable ? " first-action=\"promote\" then-action=\"start\"" : "");
    }
    put("    </constraints>\n    <rsc_defaults>\n      <meta_attributes id=\"rsc-options\">\n"
        "        <nvpair id=\"rsc-options-stickiness\" name=\"resource-stickiness\" "
        "value=\"100\"/>\n      </meta_attributes>\n    </rsc_defaults>\n  </configuration>\n");
  }

  // One lrm_rsc_op; `key_rc` is the expected rc in the transition key.
  void write_op(const Prim& p, const char* suffix, const char* task, int interval_ms, int rc,
                int key_rc, int call) {
    put("<lrm_rsc_op id=\"{0}_{1}\" operation_key=\"{0}_{2}_{3}\" operation=\"{2}\" "
        "transition-key=\"{4}:1:{5}:{6}\" call-id=\"{4}\" rc-code=\"{7}\" op-status=\"0\" "
        "interval=\"{3}\" op-digest=\"{8}\"/>",
        p.id, suffix, task, interval_ms, call, key_rc, kUuid, rc,
        interval_ms == 0 ? p.digest : p.monitor_digest);
    ++counts_.history_ops;
  }

  void write_status() {
    // Nodes hosting each unit, and the primitives running per node.
    put("  <status>\n");
    for (int n = 0; n < spec_.nodes; ++n) {
      put("    <node_state id=\"{0}\" uname=\"node{0}\" in_ccm=\"true\" crmd=\"online\" "
          "crm-debug-origin=\"bench\" join=\"member\" expected=\"member\">\n",
          n + 1);
      bool any_attr = false;
      for (const Unit& u : units_) {
        if (u.kind != Kind::kPromotable || !u.running) continue;
        for (std::size_t k = 0; k < u.nodes.size(); ++k) {
          if (u.nodes[k] != n) continue;
          if (!any_attr)
            put("      <transient_attributes id=\"{0}\">\n"
                "        <instance_attributes id=\"status-{0}\">\n",
                n + 1);
          any_attr = true;
          put("          <nvpair id=\"status-{0}-master-{1}\" name=\"master-{1}\" "
              "value=\"{2}\"/>\n",
              n + 1, u.prims.front().id, k == 0 ? 10 : 5);
        }
      }
      if (any_attr) put("        </instance_attributes>\n      </transient_attributes>\n");
      put("      <lrm id=\"{}\">\n        <lrm_resources>\n", n + 1);
      int call = 1;
      for (const Unit& u : units_) {
        const auto where = std::find(u.nodes.begin(), u.nodes.end(), n);
        const bool here = u.running && where != u.nodes.end();
        const bool promoted = here && u.kind == Kind::kPromotable && where == u.nodes.begin();
        for (const Prim& p : u.prims) {
          put("          <lrm_resource id=\"{}\" class=\"ocf\" provider=\"{}\" type=\"{}\">", p.id,
              p.provider, p.type);
          if (!here) {
            write_op(p, "last_0", "monitor", 0, 7, 7, call++);
          } else if (u.kind == Kind::kPromotable) {
            write_op(p, "last_0", promoted ? "promote" : "start", 0, 0, 0, call++);
            write_op(p, promoted ? "monitor_10000" : "monitor_11000", "monitor",
                     promoted ? 10000 : 11000, promoted ? 8 : 0, promoted ? 8 : 0, call++);
          } else {
            write_op(p, "last_0", "start", 0, 0, 0, call++);
            write_op(p, "monitor_10000", "monitor", 10000, 0, 0, call++);
          }
          put("</lrm_resource>\n");
        }
      }
      put("        </lrm_resources>\n      </lrm>\n    </node_state>\n");
    }
    put("  </status>\n</cib>\n");
  }

  struct Location {
    int unit;
    int node;  // -1: a rule on the rack attribute
    std::string score;
    int rack;
  };
  struct Order {
    int first;
    int then;
    const char* kind;
  };

  const CibSpec& spec_;
  CibCounts& counts_;
  Rng rng_;
  int next_ip_ = 0;
  std::vector<Unit> units_;
  std::vector<std::pair<int, int>> colocs_;  // (dependent, primary) unit indices
  std::vector<Location> locations_;
  std::vector<Order> orders_;
  std::string out_;
};

}  // namespace

std::string generate_cib_xml(const CibSpec& spec, CibCounts* counts) {
  CibCounts local;
  CibCounts& c = counts != nullptr ? *counts : local;
  c = CibCounts{};
  CibSpec s = spec;
  s.nodes = std::max(1, s.nodes);
  s.resources = std::max(4, s.resources);
  s.running_percent = std::clamp(s.running_percent, 0, 100);
  return Generator(s, c).run();
}

}  // namespace quorate::bench
