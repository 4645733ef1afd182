// quorate: the admin tool, and every compatibility name (corosync-quorumtool,
// corosync-cfgtool, crm, ...) through cli/dispatch.cc.
#include <string>
#include <vector>

#include "cli/tools.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv, argv + argc);
  quorate::cli::ToolEnv env = quorate::cli::real_tool_env();
  return quorate::cli::quorate_main(args, env);
}
