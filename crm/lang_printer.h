// The `crm configure show` layout of crmsh 4.4, printed from parsed commands.
//
// show() first evaluates the session (lang_check.h apply_commands: merges,
// monitor, delete, rename, modgroup; lines in error are skipped as crmsh
// skips them), then prints every object the way crmsh prints it back from the
// CIB: sorted by kind then id, ocf:heartbeat agents bare, values quoted unless
// they match [\w.-]+, generated and set ids hidden, resource sets normalized,
// defaults dropped, passwords obscured, continuation lines as " \" + newline +
// tab. The result ends with a newline (empty configuration: empty string).
#pragma once

#include <set>
#include <string>
#include <vector>

#include "crm/lang_ast.h"

namespace quorate::crm::lang {

std::string show(const std::vector<Command>& commands);

// Like show(), but prints only the objects whose ids are in `ids`.
std::string show(const std::vector<Command>& commands, const std::set<std::string>& ids);

// One value as crmsh's show writes it: bare when it matches [\w.-]+, else in
// double quotes with `"` and `\` escaped.
std::string quote_value(const std::string& v);

}  // namespace quorate::crm::lang
