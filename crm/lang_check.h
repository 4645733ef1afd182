// Evaluation and whole-configuration checks for parsed crm configure commands.
//
// apply_commands() runs the commands in order the way a crmsh configure
// session does before it commits: definitions are created (nodes and
// property / rsc_defaults / op_defaults lines merge into existing ones),
// shell commands (monitor, delete, rename, modgroup) edit what exists. The
// result is the list of definitions the session would commit, in creation
// order, plus every error met on the way (crmsh skips a bad line and goes on).
//
// check_crm() applies and then checks what crmsh's commit checks: references
// to unknown resources, scores that are not numbers where the schema needs
// one, $id-ref to missing sets, required agent parameters of well-known
// agents, ACL syntax the schema does not support. Errors are worded like
// crmsh's and name the offending id or token.
//
// Pure functions over values.
#pragma once

#include <string>
#include <vector>

#include "common/result.h"
#include "crm/lang_ast.h"

namespace quorate::crm::lang {

struct Applied {
  std::vector<Command> objects;  // definitions only (no shell commands)
  std::vector<Error> errors;
};

Applied apply_commands(const std::vector<Command>& commands);

// Runs one command against `objects` (an applied list, as Applied::objects)
// the way apply_commands runs each: on success `objects` holds the result and
// the answer is empty; on an error `objects` is left as it was.
std::vector<Error> apply_command(std::vector<Command>& objects, const Command& command);

// The id an object definition is known by ("" for shell commands). Property
// sets without an id get their default set id (cib-bootstrap-options ...).
std::string object_id(const Command& c);

// Applies and checks; the first error, or Ok.
Status check_crm(const std::vector<Command>& commands);

}  // namespace quorate::crm::lang
