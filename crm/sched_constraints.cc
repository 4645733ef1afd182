// Flattening rsc_order / rsc_colocation (with resource sets) into pairwise
// constraints, following Pacemaker 2.1.5's unpacking rules (see the header).
#include "crm/sched_constraints.h"

#include <cctype>
#include <string_view>

#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

namespace {

std::string lower(std::string_view v) {
  std::string s(v);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool truthy(std::string_view v) {
  const std::string s = lower(v);
  return s == "true" || s == "yes" || s == "on" || s == "1" || s == "y";
}

// A boolean attribute with a default when absent.
bool flag(const OptString& v, bool absent) { return v ? truthy(*v) : absent; }

// An attribute the model keeps in `extra` (require-all on rsc_order).
OptString extra_attr(const Attrs& attrs, std::string_view name) {
  if (const std::string* v = find_attr(attrs, name)) return *v;
  return std::nullopt;
}

std::string inverse(const std::string& action) {
  if (action == "start") return "stop";
  if (action == "stop") return "start";
  if (action == "promote") return "demote";
  if (action == "demote") return "promote";
  return action;
}

enum class Kind { kMandatory, kOptional, kSerialize };

Kind kind_of(const OptString& kind, const OptString& score) {
  if (kind) {
    const std::string k = lower(*kind);
    if (k == "optional") return Kind::kOptional;
    if (k == "serialize") return Kind::kSerialize;
    return Kind::kMandatory;
  }
  if (score && parse_score(*score).value_or(0) == 0) return Kind::kOptional;
  return Kind::kMandatory;
}

// symmetrical= on the element, else the parent's, else true unless serialized
// (a serialized ordering is never symmetrical).
bool symmetry_of(const OptString& own, const OptString& parent, Kind kind) {
  if (kind == Kind::kSerialize) return false;
  if (own) return truthy(*own);
  if (parent) return truthy(*parent);
  return true;
}

std::vector<std::string> members(const ResourceSet& set) {
  std::vector<std::string> out;
  for (const auto& r : set.resources) out.push_back(r.id);
  return out;
}

// clone-min of clone `id` from its meta attributes (0 when unset or not a clone).
int clone_min_of(const Configuration& config, const std::string& id) {
  for (const auto& r : config.resources) {
    const auto* c = std::get_if<Clone>(&r);
    if (c == nullptr || c->id != id) continue;
    for (const auto& set : c->sets) {
      if (set.kind != SetKind::kMeta) continue;
      if (const std::string* v = set.find("clone-min")) return parse_score(*v).value_or(0);
    }
  }
  return 0;
}

bool is_clone(const Configuration& config, const std::string& id) {
  for (const auto& r : config.resources)
    if (const auto* c = std::get_if<Clone>(&r); c != nullptr && c->id == id) return true;
  return false;
}

class OrderFlattener {
 public:
  OrderFlattener(const Configuration& config, std::vector<OrderSpec>& out)
      : config_(config), out_(out) {}

  void add(const Order& o) {
    const Kind kind = kind_of(o.kind, o.score);
    const bool symmetrical = symmetry_of(o.symmetrical, std::nullopt, kind);
    if (o.sets.empty()) {
      if (!o.first || !o.then) return;
      OrderSpec s = base(o.id, kind, symmetrical);
      s.first = *o.first;
      s.then = *o.then;
      s.first_action = o.first_action.value_or("start");
      s.then_action = o.then_action.value_or(s.first_action);
      int min = clone_min_of(config_, s.first);
      if (min <= 0 && is_clone(config_, s.first) && !flag(extra_attr(o.extra, "require-all"), true))
        min = 1;
      if (min > 0) {
        s.any_of = "clone-one-or-more:" + o.id;
        s.min_firsts = min;
      }
      out_.push_back(s);
      return;
    }
    const ResourceSet* last = nullptr;
    for (const auto& set : o.sets) {
      within_set(o, set, kind);
      if (last != nullptr) between_sets(o.id, *last, set, kind, symmetrical);
      last = &set;
    }
  }

 private:
  static OrderSpec base(const std::string& id, Kind kind, bool symmetrical) {
    OrderSpec s;
    s.id = id;
    s.mandatory = kind == Kind::kMandatory;
    s.serialize = kind == Kind::kSerialize;
    s.symmetrical = symmetrical;
    return s;
  }

  void pair(OrderSpec s, const std::string& first, const std::string& first_action,
            const std::string& then, const std::string& then_action) {
    s.first = first;
    s.first_action = first_action;
    s.then = then;
    s.then_action = then_action;
    out_.push_back(std::move(s));
  }

  void within_set(const Order& o, const ResourceSet& set, Kind parent_kind) {
    const Kind kind = set.kind ? kind_of(set.kind, std::nullopt) : parent_kind;
    const std::string action = set.action.value_or("start");
    const bool sequential = flag(set.sequential, true);
    const bool symmetrical = symmetry_of(extra_attr(set.extra, "symmetrical"), o.symmetrical, kind);
    const auto ids = members(set);
    if (ids.size() < 2) return;
    const OrderSpec s = base(o.id, kind, symmetrical);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      if (kind == Kind::kSerialize) {
        for (std::size_t j = i + 1; j < ids.size(); ++j) pair(s, ids[i], action, ids[j], action);
      } else if (sequential && i > 0) {
        pair(s, ids[i - 1], action, ids[i], action);
      }
    }
  }

  // Pacemaker reads sequential= between sets only when it says "true".
  void between_sets(const std::string& id, const ResourceSet& set1, const ResourceSet& set2,
                    Kind kind, bool symmetrical) {
    const std::string action1 = set1.action.value_or("start");
    const std::string action2 = set2.action.value_or("start");
    bool require_all = flag(set1.require_all, true);
    if (action1 == "stop" || action1 == "demote") require_all = true;
    const auto ids1 = members(set1);
    const auto ids2 = members(set2);
    OrderSpec s = base(id, kind, symmetrical);
    if (!require_all) {
      // Any member of set1 lets every member of set2 go; the inverse
      // (set2's inverse actions before set1's) requires them all.
      s.any_of = "one-or-more:" + set1.id.value_or("");
      s.symmetrical = false;
      for (const auto& a : ids1)
        for (const auto& b : ids2) pair(s, a, action1, b, action2);
      if (!symmetrical) return;
      OrderSpec inv = base(id, kind, false);
      const bool seq2 = flag(set2.sequential, false);
      const bool seq1 = flag(set1.sequential, false);
      for (const auto& b : ids2) {
        if (seq2 && b != ids2.front()) continue;
        for (const auto& a : ids1) {
          if (seq1 && a != ids1.back()) continue;
          pair(inv, b, inverse(action2), a, inverse(action1));
        }
      }
      return;
    }
    const bool seq1 = flag(set1.sequential, false) && !ids1.empty();
    const bool seq2 = flag(set2.sequential, false) && !ids2.empty();
    for (const auto& a : ids1) {
      if (seq1 && a != ids1.back()) continue;
      for (const auto& b : ids2) {
        if (seq2 && b != ids2.front()) continue;
        pair(s, a, action1, b, action2);
      }
    }
  }

  const Configuration& config_;
  std::vector<OrderSpec>& out_;
};

void colocate(std::vector<ColocSpec>& out, const std::string& id, int score, const std::string& rsc,
              const std::string& with, const OptString& rsc_role, const OptString& with_role) {
  ColocSpec c;
  c.id = id;
  c.rsc = rsc;
  c.with_rsc = with;
  c.score = score;
  c.rsc_role = rsc_role;
  c.with_rsc_role = with_role;
  out.push_back(std::move(c));
}

void colocation_within_set(std::vector<ColocSpec>& out, const ResourceSet& set, int parent_score) {
  const int score = set.score ? parse_score(*set.score).value_or(0) : parent_score;
  if (score == 0 || !flag(set.sequential, true)) return;
  const auto ids = members(set);
  const std::string id = set.id.value_or("");
  if (score > 0) {
    // Each member with the one before it; ordering="listed": each with the
    // one after it.
    const bool listed = set.ordering && lower(*set.ordering) == "listed";
    for (std::size_t i = 1; i < ids.size(); ++i) {
      if (listed) {
        colocate(out, id, score, ids[i - 1], ids[i], set.role, set.role);
      } else {
        colocate(out, id, score, ids[i], ids[i - 1], set.role, set.role);
      }
    }
    return;
  }
  // Each member against every earlier one (the later member is the
  // dependent), member by member.
  for (std::size_t j = 1; j < ids.size(); ++j)
    for (std::size_t i = 0; i < j; ++i)
      colocate(out, id, score, ids[j], ids[i], set.role, set.role);
}

// The earlier set depends on the later one: its first member (every member
// when not sequential) with the later set's last member (likewise).
void colocation_between_sets(std::vector<ColocSpec>& out, const std::string& id,
                             const ResourceSet& set1, const ResourceSet& set2, int score) {
  if (score == 0) return;
  const auto ids1 = members(set1);
  const auto ids2 = members(set2);
  const bool seq1 = flag(set1.sequential, true) && !ids1.empty();
  const bool seq2 = flag(set2.sequential, true) && !ids2.empty();
  for (const auto& a : ids1) {
    if (seq1 && a != ids1.front()) continue;
    for (const auto& b : ids2) {
      if (seq2 && b != ids2.back()) continue;
      colocate(out, id, score, a, b, set1.role, set2.role);
    }
  }
}

}  // namespace

std::vector<OrderSpec> flatten_orders(const Configuration& config) {
  std::vector<OrderSpec> out;
  OrderFlattener f(config, out);
  for (const auto& c : config.constraints)
    if (const auto* o = std::get_if<Order>(&c)) f.add(*o);
  return out;
}

std::vector<ColocSpec> flatten_colocations(const Configuration& config) {
  std::vector<ColocSpec> out;
  for (const auto& c : config.constraints) {
    const auto* co = std::get_if<Colocation>(&c);
    if (co == nullptr) continue;
    const int score = co->score ? parse_score(*co->score).value_or(0) : 0;
    if (co->sets.empty()) {
      if (!co->rsc || !co->with_rsc || score == 0) continue;
      colocate(out, co->id, score, *co->rsc, *co->with_rsc, co->rsc_role, co->with_rsc_role);
      if (co->node_attribute) out.back().node_attribute = *co->node_attribute;
      continue;
    }
    const ResourceSet* last = nullptr;
    for (const auto& set : co->sets) {
      colocation_within_set(out, set, score);
      if (last != nullptr) colocation_between_sets(out, co->id, *last, set, score);
      last = &set;
    }
  }
  return out;
}

}  // namespace quorate::crm::sched
