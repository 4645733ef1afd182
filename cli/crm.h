// `crm` == `quorate crm`: the crm shell's configure level, offline on the CIB
// XML file named by $CIB_file (as crmsh and Pacemaker's tools do).
//
//   crm configure                 commands on standard input (interactive with a
//                                 `crm(live)configure# ` prompt on a terminal)
//   crm configure CMD ARGS...     one command (show, show xml, property ..., verify)
//   crm -f FILE configure         commands from FILE
//
// Definitions (primitive, group, ms, clone, location, colocation, order,
// property, rsc_defaults, op_defaults, node, tag, rsc_ticket, rsc_template ...),
// edits (delete, rename, modgroup, monitor), show [xml] [ID...], load
// update|replace FILE (crm syntax or XML), verify, commit, erase [nodes],
// help, quit / end / exit. The file is written (a temporary file renamed over
// it, the status section kept byte for byte) at commit and at the end of the
// input, and only when the whole change is valid; otherwise the errors go to
// stderr as "origin:line:col: ...", the exit code is 1 and the file is left as
// it was. Without $CIB_file: live mode needs the daemon (exit 3).
#pragma once

#include <string>
#include <vector>

#include "cli/tool_env.h"

namespace quorate::cli {

int crm_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);

}  // namespace quorate::cli
