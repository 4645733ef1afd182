// What crm_simulate's injection options do to a CIB before it is scheduled:
// node state changes (--node-up, --node-down, --node-fail) and operation
// results (--op-inject RSC_TASK_INTERVAL@NODE=RC, e.g. db_monitor_10000@n1=7),
// and the "status" block of a crm-syntax simulation file (see
// docs/crm-simulate-input.md) that describes the same things in a file.
//
// Pure functions over values; errors name what was wrong.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "crm/cib.h"

namespace quorate::crm::sched {

enum class NodeInjection : uint8_t {
  kUp,    // a member, online (in_ccm, crmd online, join member, expected member)
  kDown,  // cleanly down (expected down)
  kFail,  // gone while expected up: unclean, to be fenced
};

// The node must be in the configuration's <nodes> (by uname or id).
// `log`, when given, receives crm_simulate's lines for what was done.
Status inject_node(Cib& cib, std::string_view node, NodeInjection what, std::vector<std::string>* log = nullptr);

// One operation result. RSC is a primitive's id, or an instance "rsc:N" of a
// clone of a primitive; TASK start, stop, monitor, promote, demote, notify,
// migrate_to, migrate_from; INTERVAL in milliseconds; RC the OCF exit code.
// A non-recurring result replaces the resource's last one on that node; a
// recurring monitor keeps its own entry while it succeeds; a failure is
// kept as the last failure and counted in the node's fail-count-RSC#TASK_INTERVAL
// and last-failure-RSC#TASK_INTERVAL (= now_s) attributes, as crm_simulate
// does. The node gets a node_state if it has none (online).
Status inject_op(Cib& cib, std::string_view spec, int64_t now_s, std::vector<std::string>* log = nullptr);

// A crm-syntax simulation file: crm configure commands, then optionally a
// line `status` followed by lines `node NAME up|down|fail` and
// `op RSC_TASK_INTERVAL@NODE=RC` ('#' starts a comment). Builds the whole CIB.
Result<Cib> cib_from_crm_simulation(std::string_view text, const std::string& origin, int64_t now_s);

}  // namespace quorate::crm::sched
