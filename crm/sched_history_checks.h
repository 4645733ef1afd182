// What a primitive's recorded history asks for beyond placement, as
// Pacemaker 2.1.5 checks it before creating actions: a history recorded for
// another agent (class, provider or type changed) is deleted from that node;
// a recurring operation still running since the last start that the
// configuration no longer has (or has disabled) is cancelled, and a fail
// count on that node is cleared with it.
//
// check_history is a pure function of one primitive of a WorkingSet; the
// result owns copies of its ids. Not thread-safe beyond const values.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "crm/sched_unpack.h"

namespace quorate::crm::sched {

struct HistoryAction {
  enum class Kind { kCancel, kClearFailcount, kDelete };
  Kind kind = Kind::kCancel;
  std::string node;
  std::string task;  // kCancel: the recurring operation ("monitor")
  std::int64_t interval_ms = 0;
  bool operator==(const HistoryAction&) const = default;
};

// The actions for primitive `rsc` (a top-level primitive, group member or
// clone instance) in the order Pacemaker creates them. An orphan (no longer
// configured, not a clone instance) has its history deleted on every online
// node that recorded it (node order), unless it failed. Otherwise, from
// the lrm_resource entries that name it (by id, by the name an anonymous
// instance is known by, or an anonymous clone's bare child id naming its
// first instance), node by node in node-name order: where it is not active, a
// delete when the agent changed; where it is, a delete when the agent changed
// (the scheduler restarts it there: stop, delete, start), then the cancels
// (with a fail count clear after the first) in call-id order. Only nodes that can run
// resources (online, clean, not shutting down, not standby) or in maintenance are
// checked. Reads the status section through ws.cib.
std::vector<HistoryAction> check_history(const WorkingSet& ws, const WsResource& rsc);

// Which lrm_resource entries name which primitive, for the online and offline
// nodes alike: resolved once for a working set, so that checking every
// resource costs the status once rather than once per resource. Borrows
// `ws` (and its CIB), which must outlive it.
class HistoryIndex {
 public:
  explicit HistoryIndex(const WorkingSet& ws);
  struct Entry {
    const WsNode* node;
    const LrmResource* lrm;
  };
  // The entries naming `rsc`, in ws.nodes order, then document order.
  const std::vector<Entry>& entries(const WsResource& rsc) const;
  // The position in ws.nodes of the node ws.find_node gives for the name of
  // ws.nodes[at] (that node itself unless two share a name): per-resource
  // tables indexed by node position agree with lookups by name.
  std::size_t first_of_name(std::size_t at) const { return first_of_name_[at]; }

 private:
  std::unordered_map<const WsResource*, std::vector<Entry>> by_rsc_;
  std::vector<std::size_t> first_of_name_;
  std::vector<Entry> none_;
};

// The same with an index built once for `ws` (what the scheduler uses).
std::vector<HistoryAction> check_history(const WorkingSet& ws, const HistoryIndex& index, const WsResource& rsc);

// The online nodes (ws.nodes order) where an orphan primitive of its own
// (`rsc`, top-level in ws) has a fail count, which Pacemaker clears once
// the orphan's other actions exist.
std::vector<std::string> orphan_fail_counts(const WorkingSet& ws, const WsResource& rsc);

}  // namespace quorate::crm::sched
