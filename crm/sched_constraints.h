// Ordering and colocation constraints as the scheduler uses them: every
// rsc_order and rsc_colocation of a Configuration (crm/cib.h), with or
// without resource sets, flattened into pairwise constraints between two
// resources the way Pacemaker 2.1.5 unpacks them:
//
// - an ordered set (sequential, the default) orders each member after the
//   previous one; consecutive sets order the last member of the first set
//   (every member, unless that set says sequential="true") before the first
//   member of the next (every member, likewise); a symmetrical constraint
//   also orders the inverse actions the other way round;
// - a set with require-all="false" feeds a pseudo action
//   ("one-or-more:SET") that is runnable as soon as any member's action is;
//   a simple order with require-all="false" (or a first clone with
//   clone-min) does the same for the first clone's instances
//   ("clone-one-or-more:ID");
// - a colocated set (sequential) colocates each member with the previous
//   one (ordering="listed": with the next one; a negative score: each member
//   against every earlier one, as its dependent); between
//   consecutive sets, the first member of the earlier set with the last
//   member of the later one (all members when a set is not sequential), with
//   each set's role.
//
// Pure functions of the configuration; results own copies of every id. Not
// thread-safe beyond const values.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crm/cib.h"

namespace quorate::crm::sched {

struct OrderSpec {
  std::string id;  // the rsc_order's id
  std::string first;
  std::string first_action;  // start stop promote demote
  std::string then;
  std::string then_action;
  bool mandatory = true;   // kind=Mandatory (or a positive score)
  bool serialize = false;  // kind=Serialize
  // The inverse ordering (then's inverse action before first's) holds too.
  bool symmetrical = true;
  // Non-empty: `then` waits for the pseudo action of this name, which is
  // runnable once `min_firsts` of the orders sharing it can run their first
  // action (require-all=false, clone-min).
  std::string any_of{};
  int min_firsts = 1;
  bool operator==(const OrderSpec&) const = default;
};

struct ColocSpec {
  std::string id;
  std::string rsc;       // the dependent
  std::string with_rsc;  // the primary
  int score = 0;
  std::optional<std::string> rsc_role{};
  std::optional<std::string> with_rsc_role{};
  std::string node_attribute = "#uname";
  bool operator==(const ColocSpec&) const = default;
};

// Every ordering, constraint by constraint in configuration order. A member
// that names no configured resource is kept (callers look ids up). A first
// clone's clone-min comes from its own meta attributes.
std::vector<OrderSpec> flatten_orders(const Configuration& config);

// Every colocation with a non-zero score, in configuration order.
std::vector<ColocSpec> flatten_colocations(const Configuration& config);

}  // namespace quorate::crm::sched
