// History checks: deletes for a changed agent, cancels of recurring
// operations the configuration dropped, fail count clears (see the header).
#include "crm/sched_history_checks.h"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <unordered_map>

#include "crm/sched_actions.h"

namespace quorate::crm::sched {

namespace {

bool op_disabled(const Op& op) {
  const std::string* e = find_attr(op.extra, "enabled");
  if (e == nullptr) return false;
  std::string v = *e;
  for (auto& c : v) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return v == "false" || v == "no" || v == "off" || v == "0" || v == "n";
}

// Whether the configuration has an enabled `task` op with this interval.
bool configured(const WsResource& rsc, std::string_view task, std::int64_t interval_ms) {
  return std::any_of(rsc.ops.begin(), rsc.ops.end(), [&](const Op& op) {
    return op.name == task && op_interval_ms(op) == interval_ms && !op_disabled(op);
  });
}

bool role_active(Role r) {
  return r == Role::kStarted || r == Role::kUnpromoted || r == Role::kPromoted;
}

// Index of the first operation still in effect: after the last start (or a
// probe that found it running once it was stopped); ops.size() when the
// last stop came after it.
std::size_t active_from(const std::vector<HistoryOp>& ops) {
  long start = -1;
  long stop = -1;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const HistoryOp& op = ops[i];
    const long at = static_cast<long>(i);
    if (op.task == "stop" && op.op_status == 0 && op.rc == 0) {
      stop = at;
    } else if (op.task == "start" || op.task == "migrate_from") {
      start = at;
    } else if (start <= stop && op.task == "monitor" && op.interval_ms == 0 &&
               (op.rc == 0 || op.rc == 8)) {
      start = at;
    }
  }
  if (start < stop) return ops.size();
  return start < 0 ? 0 : static_cast<std::size_t>(start);
}

// The primitive an lrm_resource id names, as Pacemaker looks it up for
// these checks: by id, else by the name an anonymous instance is known by,
// else (an anonymous clone's bare child id) the clone's first instance. The
// first match in resource order (depth first) of each kind.
class Names {
 public:
  explicit Names(const WorkingSet& ws) {
    std::vector<const WsResource*> stack;
    for (auto it = ws.resources.rbegin(); it != ws.resources.rend(); ++it) stack.push_back(&*it);
    while (!stack.empty()) {
      const WsResource* r = stack.back();
      stack.pop_back();
      if (r->kind != RscKind::kPrimitive) {
        for (auto it = r->children.rbegin(); it != r->children.rend(); ++it) stack.push_back(&*it);
        continue;
      }
      by_id_.emplace(r->id, r);
      if (!r->history_name.empty()) by_history_.emplace(r->history_name, r);
      if (r->base_id != r->id) by_base_.emplace(r->base_id, r);
    }
  }
  const WsResource* named(const std::string& id) const {
    for (const auto* m : {&by_id_, &by_history_, &by_base_}) {
      if (auto it = m->find(id); it != m->end()) return it->second;
    }
    return nullptr;
  }

 private:
  std::unordered_map<std::string_view, const WsResource*> by_id_, by_history_, by_base_;
};

// Whether lr's class[:provider]:type spells `agent`, without building it.
bool same_agent(const LrmResource& lr, std::string_view agent) {
  auto take = [&agent](std::string_view part) {
    if (agent.substr(0, part.size()) != part) return false;
    agent.remove_prefix(part.size());
    return true;
  };
  const std::string_view cls = lr.resource_class ? std::string_view(*lr.resource_class) : "";
  if (!take(cls)) return false;
  if (lr.provider && !(take(":") && take(*lr.provider))) return false;
  const std::string_view type = lr.type ? std::string_view(*lr.type) : "";
  return take(":") && take(type) && agent.empty();
}

}  // namespace

HistoryIndex::HistoryIndex(const WorkingSet& ws) : first_of_name_(ws.nodes.size()) {
  for (std::size_t i = 0; i < ws.nodes.size(); ++i)
    first_of_name_[i] =
        static_cast<std::size_t>(ws.find_node(ws.nodes[i].uname) - ws.nodes.data());
  if (ws.cib == nullptr || !ws.cib->status) return;
  const Names names(ws);
  std::unordered_map<std::string_view, const NodeState*> state_of;
  for (const auto& ns : ws.cib->status->nodes) {
    if (ns.uname) state_of.emplace(*ns.uname, &ns);
  }
  // Nodes list their histories in much the same order: what the entry at
  // each position of the previous node named (its id and where its entries
  // go) answers most lookups with one string compare instead of two hash
  // probes. (by_rsc_'s vectors stay where they are as the map grows.)
  struct Seen {
    std::string_view id;
    std::vector<Entry>* entries = nullptr;  // null: names no primitive
  };
  std::vector<Seen> at_position;
  for (const auto& wn : ws.nodes) {
    const auto it = state_of.find(wn.uname);
    if (it == state_of.end() || !it->second->lrm) continue;
    const auto& histories = it->second->lrm->resources;
    if (at_position.size() < histories.size()) at_position.resize(histories.size());
    for (std::size_t k = 0; k < histories.size(); ++k) {
      const LrmResource& lr = histories[k];
      Seen& seen = at_position[k];
      if (seen.id.data() == nullptr || seen.id != lr.id) {
        const WsResource* r = names.named(lr.id);
        seen = {lr.id, r == nullptr ? nullptr : &by_rsc_[r]};
      }
      if (seen.entries != nullptr) seen.entries->push_back({&wn, &lr});
    }
  }
}

const std::vector<HistoryIndex::Entry>& HistoryIndex::entries(const WsResource& rsc) const {
  const auto it = by_rsc_.find(&rsc);
  return it == by_rsc_.end() ? none_ : it->second;
}

std::vector<HistoryAction> check_history(const WorkingSet& ws, const WsResource& rsc) {
  return check_history(ws, HistoryIndex(ws), rsc);
}

std::vector<HistoryAction> check_history(const WorkingSet& ws, const HistoryIndex& index, const WsResource& rsc) {
  std::vector<HistoryAction> out;
  if (rsc.kind != RscKind::kPrimitive || ws.cib == nullptr || !ws.cib->status) return out;
  if (rsc.orphan) {
    // Only an orphan primitive of its own: orphan clone instances keep theirs.
    const bool top = std::any_of(ws.resources.begin(), ws.resources.end(),
                                 [&rsc](const WsResource& r) { return &r == &rsc; });
    if (!top) return out;
    // Its history goes wherever it was recorded (after the stop), unless it
    // failed.
    const bool failed = std::any_of(rsc.history.begin(), rsc.history.end(),
                                    [](const NodeRscState& s) { return s.failed; });
    for (const auto& n : ws.nodes) {
      if (!n.online || n.unclean || failed) continue;
      for (const auto& h : rsc.history)
        if (h.node == n.uname) out.push_back({HistoryAction::Kind::kDelete, n.uname, "", 0});
    }
    return out;
  }
  const auto& entries = index.entries(rsc);
  // The state on each node (the last one recorded for it), looked up once
  // per entry: by node position when both lists are long (every node's
  // history of every resource would be nodes^2 per resource).
  std::vector<const NodeRscState*> state_at;
  const bool by_position = entries.size() > 8 && rsc.history.size() > 8;
  if (by_position) {
    state_at.assign(ws.nodes.size(), nullptr);
    for (const auto& s : rsc.history) {
      if (const WsNode* n = ws.find_node(s.node))
        state_at[static_cast<std::size_t>(n - ws.nodes.data())] = &s;
    }
  }
  // Pacemaker keeps the history of a failed resource.
  const bool failed = std::any_of(rsc.history.begin(), rsc.history.end(),
                                  [](const NodeRscState& s) { return s.failed; });
  // Node by node in node order (Pacemaker walks its node list).
  for (const auto& entry : entries) {
    const WsNode* node = entry.node;  // a plain variable: the lambda below captures it
    const LrmResource& lr = *entry.lrm;
    // Only nodes that can run resources (or are in maintenance, where the
    // recurring monitors still get cancelled) are checked.
    const bool available =
        node->online && !node->unclean && !node->shutdown && !node->standby && !node->maintenance;
    if (!(available || node->maintenance) || lr.ops.empty()) continue;
    const NodeRscState* h = nullptr;
    if (by_position) {
      h = state_at[index.first_of_name(static_cast<std::size_t>(node - ws.nodes.data()))];
    } else {
      for (const auto& s : rsc.history)
        if (s.node == node->uname) h = &s;
    }
    const bool changed = !same_agent(lr, rsc.agent);
    if (h == nullptr || !role_active(h->role)) {
      if (changed && !failed) out.push_back({HistoryAction::Kind::kDelete, node->uname, "", 0});
      continue;
    }
    // Active here under another agent: restarted, its history deleted
    // between the stop and the start.
    if (changed) out.push_back({HistoryAction::Kind::kDelete, node->uname, "", 0});
    bool cleared = false;
    for (std::size_t i = active_from(h->ops); i < h->ops.size(); ++i) {
      const HistoryOp& op = h->ops[i];
      if (op.interval_ms <= 0 || op.op_status == 1) continue;
      if (configured(rsc, op.task, op.interval_ms)) continue;
      const bool dup = std::any_of(out.begin(), out.end(), [&](const HistoryAction& a) {
        return a.kind == HistoryAction::Kind::kCancel && a.node == node->uname &&
               a.task == op.task && a.interval_ms == op.interval_ms;
      });
      if (dup) continue;
      out.push_back({HistoryAction::Kind::kCancel, node->uname, std::string(op.task), op.interval_ms});
      if (!cleared && h->failcount > 0) {
        out.push_back({HistoryAction::Kind::kClearFailcount, node->uname, "", 0});
        cleared = true;
      }
    }
  }
  return out;
}

std::vector<std::string> orphan_fail_counts(const WorkingSet& ws, const WsResource& rsc) {
  std::vector<std::string> out;
  if (!rsc.orphan || rsc.kind != RscKind::kPrimitive) return out;
  const bool top = std::any_of(ws.resources.begin(), ws.resources.end(),
                               [&rsc](const WsResource& r) { return &r == &rsc; });
  if (!top) return out;
  const std::string exact = "fail-count-" + rsc.id;
  for (const auto& n : ws.nodes) {
    if (!n.online || n.unclean) continue;
    int total = 0;
    for (const auto& [k, v] : n.transient)
      if (k == exact || k.rfind(exact + "#", 0) == 0)
        total = score_add(total, parse_score(v).value_or(0));
    if (total > 0) out.push_back(n.uname);
  }
  return out;
}

}  // namespace quorate::crm::sched
