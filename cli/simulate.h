// `quorate simulate` == crm_simulate: the offline policy-engine run over a
// CIB XML file (crm/sched_simulate.h). Options: -x/--xml-file FILE,
// -S/--simulate (accepted; simulation is what it does), --json.
#pragma once

#include <string>
#include <vector>

#include "cli/tool_env.h"

namespace quorate::cli {

int simulate_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);

}  // namespace quorate::cli
