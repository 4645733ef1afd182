// Whole-configuration validation of a typed CIB configuration (crm/cib.h):
// what crm_verify and crmsh's commit checks find before a configuration is
// accepted, with errors that name the element and what is wrong.
//
// Errors: ids used twice; references to unknown resources (constraints,
// resource sets, tickets, tags, templates), to unknown attribute sets, nvpairs,
// rules and operations (id-ref); scores that are not scores; intervals, timeouts
// and other durations that are not durations; duplicate operations; impossible
// meta values (target-role not a role, is-managed not a boolean, clone-max
// negative ...), cluster properties and op defaults with impossible values;
// enumerations (order kind, actions, roles, on-fail, no-quorum-policy ...) with
// a value outside them; required parameters of well-known agents.
// Warnings: cluster properties that Pacemaker does not know, locations that
// name a node not in the nodes section.
//
// Both front ends use it: the crm shell before a commit and `verify`, and the
// XML readers' callers. Pure function over values; safe from any thread.
#pragma once

#include <string>
#include <vector>

#include "crm/cib.h"

namespace quorate::crm {

struct Finding {
  enum class Severity { kError, kWarning };
  Severity severity = Severity::kError;
  // The top-level object the finding is about (a resource, constraint, node,
  // property set ...): a primitive inside a group is its own object.
  std::string object;
  std::string message;  // "ID: what is wrong", ID the element at fault
  bool operator==(const Finding&) const = default;
};

std::vector<Finding> validate_configuration(const Configuration& conf);

// True when any finding is an error.
bool has_errors(const std::vector<Finding>& findings);

// Value checks the validator uses, exposed for the front ends and tests.
bool is_score(const std::string& s);     // [+-]digits | [+-]INFINITY | [+-]inf | red ...
bool is_boolean(const std::string& s);   // Pacemaker's: true/false yes/no on/off y/n 1/0
bool is_duration(const std::string& s);  // 10, 10s, 500ms, 5min, 1h, P1D, PT30S ...
bool is_role(const std::string& s);      // Started Stopped Promoted Unpromoted Master Slave

}  // namespace quorate::crm
