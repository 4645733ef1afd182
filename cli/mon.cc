// crm_mon on $CIB_file. See cli/crm_tools.h; the screen is
// crm/mon_render.h's.
#include <ctime>
#include <string>
#include <vector>

#include "cli/cib_file.h"
#include "cli/crm_tools.h"
#include "crm/mon_render.h"
#include "crm/sched_unpack.h"

namespace quorate::cli {

namespace {

void mon_usage(const std::string& prog, std::ostream& out) {
  out << "usage: " << prog << " [-1] [-r] [-n] [-f] [-A] [-L] [-o] [--json]\n"
      << "Shows the cluster status of the CIB file named by $CIB_file, once.\n"
      << "  -1, --one-shot              display the cluster status once (the only mode offline)\n"
      << "  -r, --inactive              also show inactive resources\n"
      << "  -n, --group-by-node         group resources by node\n"
      << "  -f, --failcounts            show resource fail counts\n"
      << "  -A, --show-node-attributes  show node attributes\n"
      << "  -L, --neg-locations         show negative location constraints\n"
      << "  -o, --operations            show resource operation history\n"
      << "      --json                  the same as a JSON document\n"
      << "      --output-as=text|json   (xml is not available)\n";
}

// ctime-style local time, as Pacemaker prints it.
std::string local_time(std::int64_t unix_s) {
  const std::time_t t = static_cast<std::time_t>(unix_s);
  std::tm tm{};
  if (::localtime_r(&t, &tm) == nullptr) return crm::sched::format_time_utc(unix_s);
  char buf[64];
  if (std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm) == 0)
    return crm::sched::format_time_utc(unix_s);
  return buf;
}

}  // namespace

int crm_mon_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  static const std::vector<OptionSpec> kSpecs = {
      {'1', "one-shot", false},
      {'r', "inactive", false},
      {'n', "group-by-node", false},
      {'f', "failcounts", false},
      {'A', "show-node-attributes", false},
      {'L', "neg-locations", false},
      {'o', "operations", false},
      {0, "json", false},
      {0, "output-as", true},
      {'h', "help", false},
      {'V', "verbose", false},
      {'Q', "quiet", false},
  };
  auto parsed = parse_tool_args(args, kSpecs);
  if (!parsed) {
    env.err << prog << ": " << parsed.error().message << "\n";
    mon_usage(prog, env.err);
    return kCrmExitUsage;
  }
  crm::sched::MonOptions options;
  bool one_shot = false;
  bool json = false;
  for (const auto& o : *parsed) {
    if (o.name == "help") {
      mon_usage(prog, env.out);
      return kCrmExitOk;
    }
    if (o.name == "one-shot") one_shot = true;
    if (o.name == "inactive") options.inactive = true;
    if (o.name == "group-by-node") options.group_by_node = true;
    if (o.name == "failcounts") options.fail_counts = true;
    if (o.name == "show-node-attributes") options.node_attributes = true;
    if (o.name == "neg-locations") options.negative_locations = true;
    if (o.name == "operations") options.operations = true;
    if (o.name == "json") json = true;
    if (o.name == "output-as") {
      if (o.value == "json") {
        json = true;
      } else if (o.value != "text") {
        env.err << prog << ": --output-as=" << o.value
                << " is not available (text or json; --json is the same as json)\n";
        return kCrmExitUsage;
      }
    }
  }
  const auto path = cib_file_path(env);
  if (!path) return report_no_live_cib(prog, env.err);
  int code = kCrmExitOk;
  auto file = load_cib_file(prog, *path, env.err, &code);
  if (!file) return code;
  auto ws = crm::sched::unpack_working_set(file->cib);
  if (!ws) {
    env.err << prog << ": " << *path << ": " << ws.error().message << "\n";
    return kCrmExitDataErr;
  }
  if (!one_shot && !json) {
    env.err << prog << ": note: the status of a CIB file does not change; shown once "
            << "(nothing interactive is possible offline, -1 says so)\n";
  }
  const std::int64_t now_s = env.now_unix_ms ? env.now_unix_ms() / 1000 : 0;
  options.last_updated = local_time(now_s);
  options.format_time = local_time;
  env.out << (json ? crm::sched::render_mon_json(*ws, options)
                   : crm::sched::render_mon_text(*ws, options));
  return kCrmExitOk;
}

}  // namespace quorate::cli
