// The bridge from the crm configure language to the typed CIB model: the
// <configuration> crmsh 4.4 would commit for a session, with ids generated as
// crmsh generates them (rsc-instance_attributes, rsc-monitor-10s,
// cib-bootstrap-options, <set>-<name> nvpairs, <constraint>-N resource sets,
// -0, -1 ... suffixes on collision) and elements in crmsh's order.
//
// Pure function over values.
#pragma once

#include <set>
#include <string>
#include <vector>

#include "common/result.h"
#include "crm/cib.h"
#include "crm/lang_ast.h"

namespace quorate::crm::lang {

// Applies the session (lang_check.h apply_commands) and converts the final
// objects; the first apply error, if any.
Result<Configuration> to_configuration(const std::vector<Command>& session);

// Converts objects that are already applied (Applied::objects, or a list kept
// by apply_command) without applying them again. Generated ids avoid
// `reserved` as well as the objects' own ids. What cannot be converted (a
// fencing device, node, ACL role or bundle primitive that is not defined, an
// unknown ACL specification) is left out or written as given, and reported
// in `errors` when given; to_configuration returns the first of these.
Configuration objects_to_configuration(const std::vector<Command>& objects,
                                       const std::set<std::string>& reserved,
                                       std::vector<Error>* errors = nullptr);

}  // namespace quorate::crm::lang
