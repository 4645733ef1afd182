// Synthetic Pacemaker CIBs for the scheduler benchmark (bench_scheduler.cc).
//
// generate_cib_xml writes a whole <cib> document — configuration and status —
// for a cluster of `nodes` nodes and `resources` primitives: standalone
// primitives (ocf:heartbeat:Dummy, ocf:heartbeat:IPaddr2, each with a
// recurring monitor), groups of 3-5 members, anonymous clones (one instance
// per node), promotable clones (clone-max 2, promoted-max 1, with
// master-<primitive> transient node attributes), location constraints (node
// scores, a few -INFINITY bans and node-attribute rules), colocations and
// orders (some against a promotable clone's Promoted role / promote action).
//
// The status describes a cluster in steady state: every node is online and a
// member, and every node has probed every primitive (as Pacemaker does when a
// node joins), so the transition has no probes; a fraction of the resources
// (`running_percent`) already runs — started with its recurring monitor, on
// the node its location preferences and colocations point to — and the rest
// is to be started. The transition therefore has both starts and no-ops.
//
// Deterministic: the same spec gives the same bytes on every platform (its
// own splitmix64 generator, no std:: distributions). Pure; no I/O.
#pragma once

#include <cstdint>
#include <string>

namespace quorate::bench {

struct CibSpec {
  int nodes = 3;
  int resources = 20;  // primitives in the configuration (group members and clone children count)
  std::uint64_t seed = 1;
  int running_percent = 70;  // of resource units (primitive, group, clone) already running
};

// What was written, for the caller to check a scheduler run against.
struct CibCounts {
  int primitives = 0;            // configured primitives (== spec.resources)
  int standalone = 0;            // top-level primitives
  int groups = 0;                // groups (members are in group_members)
  int group_members = 0;         //
  int clones = 0;                // anonymous clones (one instance per node)
  int promotable = 0;            // promotable clones (2 instances)
  int instances = 0;             // resource instances: clone instances counted one by one
  int top_level = 0;             // entries under <resources>
  int running_units = 0;         // units written as running in the status
  int locations = 0;             //
  int colocations = 0;           //
  int orders = 0;                //
  std::int64_t history_ops = 0;  // lrm_rsc_op entries in the status
};

std::string generate_cib_xml(const CibSpec& spec, CibCounts* counts = nullptr);

}  // namespace quorate::bench
