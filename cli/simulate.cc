// quorate simulate / crm_simulate: reads the CIB file, runs the simulation,
// prints it. The only I/O is here; crm/sched_simulate is pure.
#include "cli/simulate.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>

#include "crm/cib_xml.h"
#include "crm/sched_inject.h"
#include "crm/sched_simulate.h"

namespace quorate::cli {

namespace {

void simulate_usage(const std::string& prog, std::ostream& out) {
  out << "usage: " << prog << " -x FILE [-S] [-s] [-Q] [-u|-d|-f NODE]... [-i OP]... [--json]\n"
      << "  -x, --xml-file FILE   the CIB to simulate: Pacemaker CIB XML, or crm configure\n"
      << "                        commands with an optional `status` block\n"
      << "                        (docs/crm-simulate-input.md)\n"
      << "  -u, --node-up NODE    bring NODE online first\n"
      << "  -d, --node-down NODE  take NODE down cleanly first\n"
      << "  -f, --node-fail NODE  make NODE fail (unclean) first\n"
      << "  -i, --op-inject OP    record an operation result first: RSC_TASK_INTERVAL@NODE=RC\n"
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
  // Injections in command-line order: (kind, argument); kind 'u' 'd' 'f' 'i'.
  std::vector<std::pair<char, std::string>> injections;
  auto injection = [](const std::string& a) -> char {
    if (a == "-u" || a == "--node-up") return 'u';
    if (a == "-d" || a == "--node-down") return 'd';
    if (a == "-f" || a == "--node-fail") return 'f';
    if (a == "-i" || a == "--op-inject") return 'i';
    return 0;
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if ((a == "-x" || a == "--xml-file") && i + 1 < args.size()) {
      file = args[++i];
    } else if (a.rfind("--xml-file=", 0) == 0) {
      file = a.substr(11);
    } else if (const char k = injection(a); k != 0 && i + 1 < args.size()) {
      injections.emplace_back(k, args[++i]);
    } else if (a.rfind("--node-up=", 0) == 0 || a.rfind("--node-down=", 0) == 0 ||
               a.rfind("--node-fail=", 0) == 0 || a.rfind("--op-inject=", 0) == 0) {
      const size_t eq = a.find('=');
      injections.emplace_back(injection(a.substr(0, eq)), a.substr(eq + 1));
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
  // Read straight into one buffer, sized once (a 170 MiB CIB through a
  // stringstream was copied twice).
  // Anything but a regular file (a pipe) is read in pieces.
  std::string body;
  std::error_code ec;
  const bool regular = std::filesystem::is_regular_file(file, ec);
  if (std::filesystem::is_directory(file, ec)) {
    env.err << prog << ": cannot read " << file << ": is a directory\n";
    return kExitFailure;
  }
  const std::uintmax_t size = regular ? std::filesystem::file_size(file, ec) : 0;
  if (regular && !ec && size > 0) {
    body.resize(static_cast<std::size_t>(size));
    in.read(body.data(), static_cast<std::streamsize>(size));
    body.resize(static_cast<std::size_t>(in.gcount()));
  } else {
    in.clear();
    char piece[65536];
    while (in.read(piece, sizeof piece) || in.gcount() > 0)
      body.append(piece, static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) {
    env.err << prog << ": cannot read " << file << "\n";
    return kExitFailure;
  }
  const size_t first = body.find_first_not_of(" \t\r\n");
  const bool xml = first != std::string::npos && body[first] == '<';
  const int64_t now_s = env.now_unix_ms ? env.now_unix_ms() / 1000 : 0;
  auto cib = xml ? crm::parse_cib_xml(body, file) : crm::sched::cib_from_crm_simulation(body, file, now_s);
  if (!cib.ok()) {
    env.err << prog << ": " << cib.error().message << "\n";
    return kExitFailure;
  }
  // The status before the modifications is shown as it was: keep a copy
  // only when there are modifications.
  const std::optional<crm::Cib> before = injections.empty() ? std::nullopt : std::optional<crm::Cib>(*cib);
  // As crm_simulate: nodes up, then down, then failed, then operation results
  // (each kind in command-line order).
  auto rank = [](char k) { return k == 'u' ? 0 : k == 'd' ? 1 : k == 'f' ? 2 : 3; };
  std::stable_sort(injections.begin(), injections.end(),
                   [&](const auto& a, const auto& b) { return rank(a.first) < rank(b.first); });
  std::vector<std::string> modifications;
  for (const auto& [kind, arg] : injections) {
    using crm::sched::NodeInjection;
    Status s = kind == 'i'   ? crm::sched::inject_op(*cib, arg, now_s, &modifications)
               : kind == 'u' ? crm::sched::inject_node(*cib, arg, NodeInjection::kUp, &modifications)
               : kind == 'd' ? crm::sched::inject_node(*cib, arg, NodeInjection::kDown, &modifications)
                             : crm::sched::inject_node(*cib, arg, NodeInjection::kFail, &modifications);
    if (!s.ok()) {
      env.err << prog << ": " << s.error().message << "\n";
      return kExitFailure;
    }
  }
  env.out << crm::sched::simulate(before ? *before : *cib, *cib, modifications, options);
  return kExitOk;
}

}  // namespace quorate::cli
