// Internal to the crm/sched_actions*.cc files: the Builder that turns a
// WorkingSet and its Placement into a Transition (crm/sched_actions.h), one
// stage after another, and the small helpers its parts share. Split by
// concern: sched_actions.cc (primitives, node actions, the graph),
// sched_actions_group.cc (groups), sched_actions_order.cc (ordering
// constraints: what they block and how they order), sched_actions_clone.cc
// (clone instances, clone pseudo actions, notifications).
//
// A Builder borrows the working set and the transition it fills for one run();
// it is not copyable and not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "crm/sched_actions.h"
#include "crm/sched_history_checks.h"

namespace quorate::crm::sched::detail {

// "true", "yes", "on", "1", "y" (any case).
bool is_true(std::string_view text);

// An op not disabled by enabled=false (or no, off, 0, n).
bool op_enabled(const Op& op);

// Builds one transition; each stage appends to `t`.
class Builder {
 public:
  Builder(const WorkingSet& ws, Transition& t) : ws_(ws), t_(t), history_(ws) {}
  Builder(const Builder&) = delete;
  Builder& operator=(const Builder&) = delete;

  void run();

 private:
  // Whether some node's history of resource id `id` (as recorded) shows it
  // was started or stopped there.
  bool ran_under(const std::string& id) const;

  // A simple (set-less) rsc_order between two top-level resources.
  struct OrderEdge {
    std::string first, first_action, then, then_action;
    bool mandatory = true;
    bool symmetrical = true;
    std::string any_of{};  // see OrderSpec::any_of
    int min_firsts = 1;
  };

  const WsResource* top_level(const std::string& id) const;

  // The node a top-level resource is assigned ("" when it stays stopped; for
  // a clone, the first node an instance is assigned).
  std::string target_of(const WsResource& r) const;

  // A failure that blocks the resource where it is (on-fail=block): it is
  // left alone.
  static bool blocked_failure(const WsResource& r);

  // The ids of the primitives `r` is made of (itself, members, instances,
  // instances' members), in configuration order.
  static std::vector<std::string> primitives_of(const WsResource& r);

  // A group can be running only when every member is placed (true for
  // anything else).
  bool group_can_run(const WsResource& r) const;

  void read_orders();
  // See sched_actions_order.cc: whether `dependent`'s stop is due to its
  // colocation with `primary` rather than to its order after it.
  // `blocked_by`: resource -> the first whose order holds it back.
  bool colocation_first(const WsResource& dependent, const WsResource& primary,
                        const std::map<std::string, std::string, std::less<>>& blocked_by) const;

  // Whether clone `c` is the first of an ordering through a runnable
  // clone-min pseudo action.
  bool clone_min_first(const WsResource& c) const;

  // The graph keys of `rsc`'s `action` feeding a require-all=false pseudo
  // action: each instance's own action for a clone (Pacemaker orders every
  // instance before it), else the resource's.
  std::vector<std::string> any_of_first_keys(const std::string& rsc,
                                             const std::string& action) const;

  // Whether the pseudo action `name` (require-all=false, clone-min) can run:
  // enough of its firsts can start (for a clone first, enough instances).
  bool any_of_runnable(const std::string& name,
                       const std::map<std::string, bool, std::less<>>& unrunnable) const;

  // Resources whose stop cannot happen: active ones that are unmanaged or
  // blocked by a failure, and whatever must stop after them (mandatory
  // stop orderings, later group members before earlier ones).
  void find_blocked_stops();

  // The graph key of a resource's action as the first (or then) side of an
  // ordering: a group's start or stop is complete when it is running or
  // stopped.
  std::string order_key(const std::string& rsc, const std::string& action, bool as_first) const;

  static std::string inverse(const std::string& action);

  struct Pending {
    Action action;
    std::vector<std::size_t> after;       // local indices (same resource) ...
    std::vector<std::string> after_keys;  // ... or global keys (fencing)
    std::vector<std::string> keys{};      // extra keys others may wait for
  };

  bool quorum_stop() const {
    return !ws_.options.have_quorum && ws_.options.no_quorum_policy == "stop";
  }
  bool quorum_freeze() const {
    return !ws_.options.have_quorum && ws_.options.no_quorum_policy == "freeze";
  }
  bool can_fence() const;
  bool fenced(const std::string& node) const {
    return std::find(t_.fenced_nodes.begin(), t_.fenced_nodes.end(), node) != t_.fenced_nodes.end();
  }

  void decide_fencing();

  // A history that is only a probe still in flight.
  static bool pending_probe_only(const NodeRscState& h) {
    return h.pending_task == "monitor" && !h.pending_recurring && !h.failed &&
           (h.role == Role::kUnknown || h.role == Role::kStopped);
  }

  static bool probe_node(const WsNode& n) { return n.online && !n.unclean && !n.pending; }

  // Whether r would be probed on an online node still joining (pending),
  // where the probe cannot run: its start is then blocked.
  bool unrunnable_probe(const WsResource& r) const;

  // Probes where the state on an online node is unknown, in node order.
  std::vector<std::size_t> add_probes(const WsResource& r, std::vector<Pending>& made);

  // A primitive's actions in creation order: what its history asks for
  // (crm/sched_history_checks.h) first, then primitive_actions_for_role().
  // A delete comes after the primitive's stops and before its start.
  std::vector<Pending> primitive_actions(const WsResource& r, const std::string& required_by);

  // `made` with the recurring operations Pacemaker already created while
  // reading r's history (online nodes, status order) moved to the front.
  std::vector<Pending> unpacked_first(const WsResource& r, std::vector<Pending> made) const;

  // A primitive's own actions in creation order. `required_by`: the group
  // member before it starts, so it must start again too (a restart if it
  // stays).
  std::vector<Pending> primitive_actions_for_role(const WsResource& r,
                                                  const std::string& required_by);

  // Whether a recurring monitor of interval `iv` runs on the node: recorded,
  // not cancelled, and not older than the last start, promote or demote
  // (which the executor restarts recurring operations across).
  static bool monitor_running(const NodeRscState& h, std::int64_t iv);

  // Pacemaker ignores every recurring op whose name and interval another op
  // of the resource repeats (a configuration error it logs).
  static bool duplicate_op(const WsResource& r, const Op& op);

  // Whether recurring monitor `op` runs on an instance in `role`: ops
  // without a role on started and unpromoted instances, ops for Started only
  // on instances of ordinary resources, ops for Promoted / Unpromoted only
  // in that role.
  static bool monitor_for(const Op& op, Role role, bool promotable);

  // A group's members' actions, ordered one after another (starts in
  // member order, stops in reverse), between the group's pseudo actions.
  void group_actions(const WsResource& g, const std::string& required_by);

  // The same as lists: the group's own pseudo actions first, then each
  // member's actions.
  std::vector<std::vector<Pending>> group_lists(const WsResource& g, std::string required_by);

  // A clone of a primitive: each instance's actions between the clone's
  // pseudo actions (start/running, stop/stopped, and for promotable clones
  // promote/promoted, demote/demoted), with notifications when notify=true.
  // An anonymous clone probes a node where no instance's state is known
  // once, by the instance assigned there (else the first placed nowhere).
  void clone_actions(const WsResource& c,
                     const std::map<std::string, std::string, std::less<>>& required);

  void distribute_probes(const WsResource& c);
  void distribute_group_probes(const WsResource& c);

  // Summary lines of a promotable instance: roles on every line, a start
  // that also promotes is a Promote, and a role change alone is a Promote
  // or Demote.
  void promotable_summary(const WsResource& inst, const std::vector<Pending>& made, std::size_t c0);

  // Notify actions of each instance for the clone-level tasks that happen:
  // before a stop or demote to the instances active now, after it to those
  // that stay; before a start or promote to those that will be active
  // (already running, for a start), after it to all that will be active.
  void add_notifications(const WsResource& c, const std::vector<const WsResource*>& insts,
                         std::map<std::string, bool, std::less<>>& any,
                         std::vector<std::vector<Pending>>& lists);

  // Keeps one resource's actions (creation order) for emit().
  void finish(std::vector<Pending> made) { pending_.push_back(std::move(made)); }

  // The primitive (top-level, member or instance) with id `id`, or null.
  const WsResource* find_primitive(const std::string& id) const;

  // Why group member `m`, to restart but unable to stop, stops: the next
  // member cannot stop, or the previous one (itself blocked) must.
  std::string restart_blocked_reason(const WsResource& m) const;

  void node_actions();

  // Graph order: newest first per resource (Pacemaker prepends each new
  // action to its resource's list), node actions last; local orderings
  // resolved into global ones.
  void emit();

  // Every fencing action before each start and promote of a resource that
  // requires fencing, and before the start of one that requires quorum whose
  // state on the fenced node is unknown (Pacemaker's start-vs-fencing
  // ordering); and before the stop of the top-level resource of one whose
  // stop the fencing implies.
  void order_after_fencing(const std::map<std::string, std::vector<int>, std::less<>>& keyed);

  // `first` losing `first_role` before `then` gains `then_role`.
  void anti_colocation_order(const std::map<std::string, std::vector<int>, std::less<>>& keyed,
                             const std::string& first, Role first_role, const std::string& then,
                             Role then_role);

  void key_deps_between(const std::map<std::string, std::vector<int>, std::less<>>& keyed,
                        const std::string& first, const std::string& then);

  const WorkingSet& ws_;
  Transition& t_;
  const HistoryIndex history_;  // which status entries name which primitive
  // Built on first use (indexes, so that lookups per resource are not scans
  // of all resources or of the whole status): find_primitive's primitives by
  // id, ran_under's lrm_resource ids with a start or stop.
  mutable std::unordered_map<std::string_view, const WsResource*> primitive_by_id_;
  mutable std::unordered_set<std::string_view> ran_ids_;
  mutable bool primitive_by_id_built_ = false;
  // top_level's resources by id (the first of each).
  mutable std::unordered_map<std::string_view, const WsResource*> top_by_id_;
  mutable bool top_by_id_built_ = false;
  mutable bool ran_ids_built_ = false;
  std::vector<OrderEdge> orders_;
  std::map<std::string, std::string, std::less<>> blocked_start_;
  // The reason shown for the stop of what must stop after its first.
  std::map<std::string, std::string, std::less<>> stop_reason_;
  // Then-resources of symmetrical mandatory orders whose first cannot run:
  // they stop even where they could stay.
  std::set<std::string, std::less<>> must_stop_;
  std::set<std::string, std::less<>> stop_blocked_;
  // Anonymous clone instances: the only nodes each may probe.
  std::map<std::string, std::vector<std::string>, std::less<>> clone_probes_;
  bool last_stop_blocked_ = false;  // primitive_actions: a wanted stop could not be
  bool last_stop_stranded_ = false;
  bool last_restart_blocked_ = false;  // ... when it was to restart in place
  // Group members whose restart could not happen (their stop is blocked).
  std::set<std::string, std::less<>>
      restart_blocked_;  // ... because its node is down, unclean and not fenced
  std::set<std::string, std::less<>> promotable_instances_;
  std::set<std::string, std::less<>> silent_block_;  // blocked starts left out of the summary
  // Promotable instances that cannot promote, with the reason.
  std::map<std::string, std::string, std::less<>> promote_blocked_;
  // Pseudo actions of OrderEdge::any_of that can run.
  std::set<std::string, std::less<>> runnable_any_;
  // Anonymous instances known by another name in their history.
  std::map<std::string, std::string, std::less<>> labels_;
  std::vector<std::vector<Pending>> pending_;
  std::vector<Pending> node_pending_;
  // primitive_actions(): the nodes where the primitive runs an agent other
  // than the configured one (stopped there first, then started again).
  std::set<std::string, std::less<>> agent_changed_on_;
};

}  // namespace quorate::crm::sched::detail
