// placeholder
#include "cli/crm_tools.h"
namespace quorate::cli {
int crm_standby_main(const std::string&, const std::vector<std::string>&, ToolEnv& env) {
  return report_not_available("crm_standby", env.err);
}
int crm_resource_main(const std::string&, const std::vector<std::string>&, ToolEnv& env) {
  return report_not_available("crm_resource", env.err);
}
}  // namespace quorate::cli
