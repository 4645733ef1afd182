// The bridge from the typed CIB model back to the crm configure language: the
// commands (lang_ast.h) that stand for a <configuration>, so that `show`
// (lang_printer.h) prints any CIB the way crmsh 4.4 prints it, also one that
// crm did not write, and so that a configure session can start from a CIB
// file and edit it with the language's shell commands.
//
// Every object becomes one definition command, children before their
// containers (primitives, then the group or clone that holds them), so that
// apply_commands() accepts the list as it is. Ids that crmsh would hide
// (generated rule ids) are left out, ids that the language can carry (attribute
// sets, nvpairs, rules, operations) are kept, so that converting the commands
// back (lang_to_cib.h) gives the same ids. What the language cannot say is
// dropped from the commands: attributes the model keeps in `extra`, nested
// rules, untyped sections other than tags, fencing topology, ACLs and alerts.
// A session that needs them keeps the typed element (see cli/crm.cc).
//
// Every command has the given `origin`, line 0. Pure function over values.
#pragma once

#include <string>
#include <vector>

#include "crm/cib.h"
#include "crm/lang_ast.h"

namespace quorate::crm::lang {

std::vector<Command> from_configuration(const Configuration& conf, const std::string& origin);

}  // namespace quorate::crm::lang
