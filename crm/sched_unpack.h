// The policy engine's working set: what the scheduler knows about a cluster
// once a Cib (crm/cib.h) has been read — nodes with their state, cluster
// options with Pacemaker 2.1 defaults, the resource tree with resolved meta
// attributes, and each primitive's current state from the operation history.
//
// unpack_working_set is a pure function of the Cib: no clock, no globals. The
// working set is a plain value that owns everything it holds; resources refer
// to nodes by uname. Not thread-safe beyond what const values are.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/result.h"
#include "crm/cib.h"
#include "crm/sched_constraints.h"

namespace quorate::crm::sched {

// ---------------------------------------------------------------------------
// Scores: integers saturating at +/-INFINITY (1000000). -INFINITY dominates:
// -INF + +INF == -INF.
inline constexpr int kInfinity = 1000000;

int score_add(int a, int b);
// "INFINITY", "+INFINITY", "-INFINITY", "inf", "-inf" and integers (clamped).
std::optional<int> parse_score(std::string_view text);
// "1000000" -> "INFINITY", "-1000000" -> "-INFINITY", else the number.
std::string score_text(int score);

// Node-name order used by Pacemaker's output: case-insensitive, digit runs
// compared as numbers ("node2" < "node10").
bool node_name_less(std::string_view a, std::string_view b);

// ---------------------------------------------------------------------------

enum class Role { kUnknown, kStopped, kStarted, kUnpromoted, kPromoted };
const char* role_text(Role role);  // "Stopped", "Started", "Unpromoted", "Promoted"
std::optional<Role> parse_role(std::string_view text);  // also Master/Slave

struct WsNode {
  std::string id;
  std::string uname;
  bool online = false;
  bool unclean = false;
  bool pending = false;
  bool standby = false;
  bool shutdown = false;
  bool maintenance = false;
  bool expected_up = false;
  bool unseen = false;          // configured, but no node_state in the status
  bool standby_onfail = false;  // put in standby by a failure with on-fail=standby
  std::map<std::string, std::string, std::less<>> attrs;      // configured instance attributes
  std::map<std::string, std::string, std::less<>> transient;  // status transient attributes
};

struct ClusterOptions {
  bool have_quorum = false;
  bool stonith_enabled = true;
  std::string stonith_action = "reboot";
  bool startup_fencing = true;
  bool concurrent_fencing = false;
  std::string no_quorum_policy = "stop";
  bool symmetric_cluster = true;
  bool start_failure_is_fatal = true;
  bool stop_all_resources = false;
  bool maintenance_mode = false;
  bool stop_orphan_resources = true;
  std::map<std::string, std::string, std::less<>> properties;  // everything, as written
};

// One recorded operation, reduced to what the scheduler reads. `task` and
// `key` view the Cib's text (the WorkingSet's cib, which outlives it).
struct HistoryOp {
  std::string_view task;  // start stop monitor promote demote notify ...
  std::int64_t call_id = 0;
  std::int64_t rc = 0;
  std::int64_t op_status = 0;  // -1 pending, 0 done, 1 cancelled, 2 timeout, 4 error ...
  std::int64_t interval_ms = 0;
  std::int64_t target_rc = 0;  // from the transition key; 0 when absent
  std::string on_fail;         // the configured op's on-fail, "" if unset
  std::string_view key;        // operation_key (the entry's id when absent)
  // From the transition magic: the transition number (-1 when absent) and
  // whether its uuid is the fake one injected results carry ("xxxxxxxx-...").
  std::int64_t magic_transition = -1;
  bool magic_fake_uuid = false;
};

// A primitive's state on one node, from its lrm history there.
struct NodeRscState {
  std::string node;
  Role role = Role::kUnknown;  // kStopped: known inactive (probed)
  bool failed = false;
  std::string pending_task;  // "start", "stop", "monitor" ... of an in-flight op
  bool pending_recurring = false;
  bool failure_ignored = false;  // failed, but on-fail=ignore
  bool blocked = false;          // failed stop without fencing, or on-fail=block
  bool not_installed = false;    // a probe said the agent is not installed
  bool hard_error = false;       // a hard error (args, permissions, install): node banned
  bool demote_on_fail = false;   // failed promoted with on-fail=demote: demoted in place
  bool needs_fencing = false;    // a failed stop with fencing enabled
  int failcount = 0;
  std::vector<HistoryOp> ops;  // call-id order
  // The first in-flight non-probe operation met in this node's history, even
  // if later operations completed (Pacemaker's pending task/node of the
  // resource, shown as "Starting node" and used to number clone instances).
  // A simulation that completes the operation should clear it.
  std::string first_pending;
  // The exit code of a probe failure that Pacemaker treats as "not running"
  // (not installed / not configured), recorded on an online node; 0 if none.
  int failed_probe_rc = 0;
};

enum class RscKind { kPrimitive, kGroup, kClone };

struct WsResource {
  RscKind kind = RscKind::kPrimitive;
  std::string id;       // instance id for clone instances ("rsc:0")
  std::string base_id;  // configured id ("rsc")
  // Anonymous clone instances: the id their first history entry was recorded
  // under ("rsc" or "rsc:3"), "" without history. Pacemaker addresses the
  // instance's actions and promotion score by it.
  std::string history_name;
  std::string agent;  // "ocf:heartbeat:IPaddr2" (primitives)
  std::string rsc_class;
  std::map<std::string, std::string, std::less<>> meta;    // resolved (inherited + defaults)
  std::map<std::string, std::string, std::less<>> params;  // instance attributes
  std::vector<Op> ops;                                     // configured operations

  // Resolved meta.
  std::optional<Role> target_role;  // as configured (nullopt: not set)
  bool managed = true;
  int stickiness = 0;
  int migration_threshold = kInfinity;
  int priority = 0;
  bool orphan = false;

  // Clones.
  bool promotable = false;
  bool unique = false;
  bool interleave = false;
  bool notify = false;
  int clone_max = 0;
  int clone_node_max = 1;
  int promoted_max = 1;
  int promoted_node_max = 1;

  std::vector<WsResource> children;  // group members, clone instances
  std::string child_base_id;         // clones: the configured child's id

  // Primitives: state per node where history exists, in the order Pacemaker
  // unpacks node histories (status-section order; with fencing disabled,
  // offline nodes' histories are not read).
  std::vector<NodeRscState> history;

  // Nodes where the primitive is active (role >= Started, or failed there).
  std::vector<std::string> active_nodes() const;
  Role current_role() const;  // highest role over nodes; kStopped if inactive
  bool failed() const;
};

struct WorkingSet {
  ClusterOptions options;
  std::vector<WsNode> nodes;          // sorted by node_name_less
  std::vector<WsResource> resources;  // configuration order (+ orphans at the end)
  int instances = 0;                  // primitives, clone instances counted one by one
  int disabled_instances = 0;         // of which target-role=Stopped
  int blocked_instances = 0;          // of which blocked by a failure
  std::string execution_date;         // cib execution-date, as "YYYY-MM-DD HH:MM:SSZ"
  const Cib* cib = nullptr;           // the input (constraints are read from it); not owned
  // Location constraints by the resource they name (rsc=), and those naming
  // resources by pattern (rsc-pattern=), each with its position among the
  // constraints; pointers into *cib.
  std::map<std::string, std::vector<std::pair<std::size_t, const Location*>>, std::less<>>
      locations_by_rsc;
  std::vector<std::pair<std::size_t, const Location*>> pattern_locations;
  // rsc_order and rsc_colocation, resource sets flattened into pairs
  // (crm/sched_constraints.h).
  std::vector<OrderSpec> orders;
  std::vector<ColocSpec> colocations;

  // uname -> position in `nodes` (the first with that uname), filled by
  // unpack_working_set so that find_node is one hash lookup. find_node checks
  // every hit and falls back to searching `nodes`, so a working set built or
  // edited by hand works with this index empty or stale.
  struct NameHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  std::unordered_map<std::string, std::size_t, NameHash, std::equal_to<>> node_index;

  const WsNode* find_node(std::string_view uname) const;
  // Where `uname`'s node_state sits in the CIB's status section (Pacemaker
  // reads histories in that order); SIZE_MAX when it has none.
  std::size_t status_position(std::string_view uname) const;
};

// The most instances a clone may have (clone-max); more is refused.
inline constexpr int kMaxCloneInstances = 10000;

// Reads `cib` (which must outlive the result and stay where it is: the result
// points into it, e.g. constraints are read from it). Fails, saying which
// clone, when a clone-max exceeds kMaxCloneInstances.
Result<WorkingSet> unpack_working_set(const Cib& cib);

}  // namespace quorate::crm::sched
