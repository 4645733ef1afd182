// Pacemaker's CIB tools, offline on the CIB XML file named by $CIB_file (as
// Pacemaker's own tools work with CIB_file set); the live cluster comes with
// the daemon's CIB. Without $CIB_file each says so and exits 102 (Pacemaker's
// "not connected"). Missing file: exit 66; not a valid CIB: exit 65, with the
// file, line and column; bad option: exit 64. Each takes its arguments
// without the program name and prints to env.out / env.err.
//
//   crm_mon [-1] [-r] [-n] [-f] [-A] [-L] [-o] [--json]
//       the status screen once (nothing interactive is possible offline);
//       "Last updated" is the time the tool ran (env.now_unix_ms, local
//       time), "Last change" the CIB's cib-last-written as recorded.
//   crm_standby -N|-U NODE (-v on|off | -G | -D) [-l reboot|forever] [-q]
//       the node's standby attribute: forever in the node's
//       instance_attributes, reboot in its transient attributes.
//   crm_resource -L | -W -r RSC | -M -r RSC [-N NODE] | -B -r RSC [-N NODE]
//              | -U -r RSC [-N NODE] | -p NAME -v VALUE -r RSC [--meta]
//              | -g NAME -r RSC [--meta] | -d NAME -r RSC [--meta]
//              | -C -r RSC [-N NODE]
//       list, locate, move / ban / clear (cli-prefer-RSC and
//       cli-ban-RSC-on-NODE location constraints), resource parameters and
//       meta attributes, and clean-up of the resource's history.
//
// Changes are written atomically (temporary file + rename) and only when
// complete; the configuration is spliced into the file keeping the status
// section byte for byte (crm/cib_xml.h replace_configuration_xml).
#pragma once

#include <string>
#include <vector>

#include "cli/tool_env.h"

namespace quorate::cli {

int crm_mon_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);
int crm_standby_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);
int crm_resource_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);

}  // namespace quorate::cli
