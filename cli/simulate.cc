// quorate simulate / crm_simulate: reads the CIB file, runs the simulation,
// prints it. The only I/O is here; crm/sched_simulate is pure.
#include "cli/simulate.h"

#include <fstream>
#include <sstream>

#include "crm/sched_simulate.h"

namespace quorate::cli {

namespace {

void simulate_usage(const std::string& prog, std::ostream& out) {
  out << "usage: " << prog << " -x CIB.xml [-S] [-s] [-Q] [--json]\n"
      << "  -x, --xml-file FILE   the CIB (configuration and status) to simulate\n"
      << "  -S, --simulate        run the scheduler and show the transition (default)\n"
      << "  -s, --show-scores     show allocation and promotion scores\n"
      << "  -Q, --quiet           with -s: only the score lines\n"
      << "  -L, --live-check      not available offline\n"
      << "      --json            machine-readable status\n";
}

}  // namespace

int simulate_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  std::string file;
  crm::sched::SimulateOptions options;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "-x" || a == "--xml-file") && i + 1 < args.size()) {
      file = args[++i];
    } else if (a.rfind("--xml-file=", 0) == 0) {
      file = a.substr(11);
    } else if (a == "-S" || a == "--simulate") {
      // -S is the only mode.
    } else if (a == "-Q" || a == "--quiet") {
      options.quiet = true;
    } else if (a == "-s" || a == "--show-scores") {
      options.show_scores = true;
    } else if (a.size() > 2 && a[0] == '-' && a[1] != '-' &&
               a.find_first_not_of("SsQ", 1) == std::string::npos) {
      // Bundled flags, as in "crm_simulate -sSQ".
      for (char c : a.substr(1)) {
        if (c == 's') options.show_scores = true;
        if (c == 'Q') options.quiet = true;
      }
    } else if (a == "--json") {
      options.json = true;
    } else if (a == "-h" || a == "--help") {
      simulate_usage(prog, env.out);
      return kExitOk;
    } else {
      env.err << prog << ": unknown option '" << a << "'\n";
      simulate_usage(prog, env.err);
      return kExitUsage;
    }
  }
  if (file.empty()) {
    env.err << prog << ": -x CIB.xml is required (live clusters come with the daemon)\n";
    simulate_usage(prog, env.err);
    return kExitUsage;
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    env.err << prog << ": cannot read " << file << "\n";
    return kExitFailure;
  }
  std::ostringstream text;
  text << in.rdbuf();
  auto result = crm::sched::simulate_xml(text.str(), file, options);
  if (!result.ok()) {
    env.err << prog << ": " << result.error().message << "\n";
    return kExitFailure;
  }
  env.out << *result;
  return kExitOk;
}

}  // namespace quorate::cli
