// bench_scheduler: the policy engine on synthetic clusters, and Pacemaker's
// crm_simulate on the same files in the same run when it is installed.
//
// For each size (nodes x resources) the parent writes a CIB with
// bench/gen_cib.h (seeded), then runs ITSELF in a fresh child process
// (`--child FILE`) that reads the file once and times, per repetition, the
// exact path of `quorate simulate -x FILE -S`: crm::sched::simulate_xml (parse
// the XML, unpack the working set, schedule, render status, summary, executed
// actions and the revised status). It then times the stages alone (parse,
// unpack, schedule) once more for the breakdown columns. The child's peak
// memory is its ru_maxrss as reported to the parent by wait4 — a fresh
// process per size, so no size inherits another's heap.
//
// Comparison: when crm_simulate is on PATH (Debian: pacemaker-cli-utils), the
// same file goes through `crm_simulate -x FILE -R` (schedule and print the
// transition, no simulated execution: less work than our -S path, so the ratio
// is conservative) up to --crm-reps times, and through `crm_simulate -x FILE
// -S` once with a shorter deadline (its simulated execution rewrites its CIB
// per action). Wall times include process start-up and schema checks, which
// are part of what an operator waits for. The "Start" lines of both
// Transition Summaries are counted so that a reader sees whether both
// schedulers decided the same amount of work.
//
// Usage: bench_scheduler [--sizes 3x20,10x100,...] [--reps 5] [--crm-reps 3]
//                        [--seed 1] [--running 70] [--dir /tmp/quorate-bench-sched]
//                        [--crm-simulate PATH|none] [--crm-timeout-s 600]
//                        [--crm-s-timeout-s 120]
//        bench_scheduler --smoke      (tiny size, checks the pipeline; a ctest)
// Every child is ours and is ended by pid; every wait has a deadline.
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "bench/bench_util.h"
#include "bench/gen_cib.h"
#include "crm/cib_xml.h"
#include "crm/sched_actions.h"
#include "crm/sched_simulate.h"
#include "crm/sched_unpack.h"

using namespace quorate;
using namespace quorate::bench;

namespace {

struct Size {
  int nodes = 0;
  int resources = 0;
};

std::vector<Size> parse_sizes(const std::string& text) {
  std::vector<Size> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto x = item.find('x');
    if (x == std::string::npos) continue;
    const int n = std::atoi(item.substr(0, x).c_str());
    const int r = std::atoi(item.substr(x + 1).c_str());
    if (n > 0 && r > 0) out.push_back({n, r});
  }
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

// "  * Start " lines under "Transition Summary:".
int count_starts(const std::string& text) {
  const auto from = text.find("Transition Summary:");
  if (from == std::string::npos) return -1;
  const auto to = text.find("\n\n", from);
  int n = 0;
  for (auto p = text.find("* Start ", from); p != std::string::npos && p < to;
       p = text.find("* Start ", p + 1))
    ++n;
  return n;
}

// ---------------------------------------------------------------------------
// Child: one size, in a fresh process. Prints one "key=value ..." line.

int run_child(const std::string& path, int reps) {
  const std::string xml = read_file(path);
  if (xml.empty()) {
    std::printf("error=cannot-read\n");
    return 1;
  }
  std::vector<double> total_ms;
  std::string output;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    auto out = crm::sched::simulate_xml(xml, path, {});
    total_ms.push_back(ms_since(t0));
    if (!out.ok()) {
      std::printf("error=%s\n", out.error().message.c_str());
      return 1;
    }
    output = std::move(*out);
  }
  // Stage breakdown, one more pass through the stages alone.
  auto t0 = Clock::now();
  auto cib = crm::parse_cib_xml(xml, path);
  const double parse_ms = ms_since(t0);
  if (!cib.ok()) return 1;
  t0 = Clock::now();
  auto ws = crm::sched::unpack_working_set(*cib);
  const double unpack_ms = ms_since(t0);
  if (!ws.ok()) return 1;
  t0 = Clock::now();
  const auto transition = crm::sched::schedule(*ws);
  const double schedule_ms = ms_since(t0);
  std::string times;
  for (double t : total_ms) times += fmt::format("{}{:.3f}", times.empty() ? "" : ",", t);
  std::printf(
      "times_ms=%s parse_ms=%.3f unpack_ms=%.3f schedule_ms=%.3f instances=%d actions=%zu "
      "starts=%d\n",
      times.c_str(), parse_ms, unpack_ms, schedule_ms, ws->instances, transition.actions.size(),
      count_starts(output));
  return 0;
}

// ---------------------------------------------------------------------------
// Parent side.

struct ChildRun {
  bool ok = false;
  bool timed_out = false;
  int exit_code = -1;
  double wall_ms = 0;
  double maxrss_mib = 0;
};

// Runs `exe args` with output appended to `out_path`, waits up to `timeout`.
ChildRun run_timed(const std::string& exe, const std::vector<std::string>& args,
                   const std::string& out_path, std::chrono::milliseconds timeout) {
  ChildRun r;
  const auto t0 = Clock::now();
  const auto pid = spawn(exe, args, out_path);
  if (!pid) return r;
  const auto deadline = t0 + timeout;
  for (;;) {
    int status = 0;
    rusage ru{};
    const pid_t w = ::wait4(*pid, &status, WNOHANG, &ru);
    if (w == *pid) {
      r.wall_ms = ms_since(t0);
      r.maxrss_mib = static_cast<double>(ru.ru_maxrss) / 1024.0;  // KiB on Linux
      r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      r.ok = r.exit_code == 0;
      return r;
    }
    if (w < 0) return r;
    if (Clock::now() >= deadline) {
      r.timed_out = true;
      end_child(*pid);
      return r;
    }
    ::usleep(500);
  }
}

std::map<std::string, std::string> parse_kv(const std::string& line) {
  std::map<std::string, std::string> kv;
  std::stringstream in(line);
  std::string item;
  while (in >> item) {
    const auto eq = item.find('=');
    if (eq != std::string::npos) kv[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return kv;
}

std::vector<double> parse_list(const std::string& text) {
  std::vector<double> v;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) v.push_back(std::atof(item.c_str()));
  return v;
}

std::string find_on_path(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "";
  dirs += ":/usr/sbin:/usr/bin";
  std::stringstream in(dirs);
  std::string dir;
  while (std::getline(in, dir, ':')) {
    if (dir.empty()) continue;
    const std::string p = dir + "/" + name;
    if (::access(p.c_str(), X_OK) == 0) return p;
  }
  return "";
}

std::string self_exe() {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string() : p.string();
}

struct Row {
  Size size;
  CibCounts counts;
  double file_mib = 0;
  std::vector<double> ours_ms;
  double parse_ms = 0, unpack_ms = 0, schedule_ms = 0;
  double ours_rss_mib = 0;
  int ours_starts = -1;
  std::string problem;
  std::vector<double> crm_ms;  // crm_simulate -R
  double crm_rss_mib = 0;
  int crm_starts = -1;
  std::string crm_note;  // "" when measured
  double crm_s_ms = 0;   // crm_simulate -S, one run
  std::string crm_s_note;
};

struct Options {
  std::vector<Size> sizes = parse_sizes("3x20,10x100,32x500,100x1000,100x5000,200x10000");
  int reps = 5;
  int crm_reps = 3;
  std::uint64_t seed = 1;
  int running = 70;
  std::string dir = "/tmp/quorate-bench-sched";
  std::string crm_simulate = "";  // "" = look on PATH; "none" = skip
  int crm_timeout_s = 600;
  int crm_s_timeout_s = 120;
};

Row measure(const Options& o, const Size& size, const std::string& crm) {
  Row row;
  row.size = size;
  const std::string file = fmt::format("{}/cib-{}x{}.xml", o.dir, size.nodes, size.resources);
  {
    const std::string xml = generate_cib_xml({.nodes = size.nodes,
                                              .resources = size.resources,
                                              .seed = o.seed,
                                              .running_percent = o.running},
                                             &row.counts);
    row.file_mib = static_cast<double>(xml.size()) / (1024.0 * 1024.0);
    if (!write_text(file, xml)) {
      row.problem = "cannot write " + file;
      return row;
    }
  }
  const std::string out = file + ".ours.out";
  std::filesystem::remove(out);
  const ChildRun c = run_timed(self_exe(), {"--child", file, "--reps", std::to_string(o.reps)}, out,
                               std::chrono::minutes(30));
  const auto kv = parse_kv(read_file(out));
  if (!c.ok || kv.count("times_ms") == 0) {
    row.problem = c.timed_out ? "timed out" : fmt::format("child failed; see {}", out);
    return row;
  }
  row.ours_ms = parse_list(kv.at("times_ms"));
  row.parse_ms = std::atof(kv.at("parse_ms").c_str());
  row.unpack_ms = std::atof(kv.at("unpack_ms").c_str());
  row.schedule_ms = std::atof(kv.at("schedule_ms").c_str());
  row.ours_starts = std::atoi(kv.at("starts").c_str());
  row.ours_rss_mib = c.maxrss_mib;
  if (std::atoi(kv.at("instances").c_str()) != row.counts.instances)
    row.problem = fmt::format("unpacked {} instances, generated {}", kv.at("instances"),
                              row.counts.instances);
  if (crm.empty()) {
    row.crm_note = "crm_simulate not installed";
    return row;
  }
  // -R: the scheduler run alone (no simulated execution). Runs over 30 s are
  // not repeated.
  for (int i = 0; i < o.crm_reps && (i == 0 || row.crm_ms.back() < 30000); ++i) {
    const std::string crm_out = i == 0 ? file + ".crm_simulate.out" : "/dev/null";
    if (i == 0) std::filesystem::remove(crm_out);
    const ChildRun p =
        run_timed(crm, {"-x", file, "-R"}, crm_out, std::chrono::seconds(o.crm_timeout_s));
    if (p.timed_out) {
      row.crm_note = fmt::format("timed out after {} s", o.crm_timeout_s);
      break;
    }
    if (!p.ok) {
      row.crm_note = fmt::format("exit {}; see {}", p.exit_code, file + ".crm_simulate.out");
      break;
    }
    row.crm_ms.push_back(p.wall_ms);
    row.crm_rss_mib = std::max(row.crm_rss_mib, p.maxrss_mib);
    if (i == 0) row.crm_starts = count_starts(read_file(crm_out));
  }
  // -S: what `quorate simulate -S` also does (execute, revised status); once.
  const ChildRun p =
      run_timed(crm, {"-x", file, "-S"}, "/dev/null", std::chrono::seconds(o.crm_s_timeout_s));
  if (p.ok) {
    row.crm_s_ms = p.wall_ms;
  } else {
    row.crm_s_note = p.timed_out ? fmt::format("> {} s", o.crm_s_timeout_s)
                                 : fmt::format("exit {}", p.exit_code);
  }
  return row;
}

std::string fmt_ms(double ms) {
  return ms >= 1000 ? fmt::format("{:.2f} s", ms / 1000) : fmt::format("{:.1f} ms", ms);
}

void print_table(const Options& o, const std::vector<Row>& rows, const std::string& crm) {
  print_machine();
  std::printf(
      "# bench_scheduler: quorate simulate path (parse -> unpack -> schedule -> render), "
      "%d reps in a fresh process per size; seed %llu, %d%% of units running\n",
      o.reps, static_cast<unsigned long long>(o.seed), o.running);
  std::printf("# crm_simulate: %s\n",
              crm.empty() ? "not installed" : (crm + " -x FILE -R (and -S once)").c_str());
  std::printf(
      "| nodes | resources | instances | file | median | max | parse | unpack | schedule | "
      "peak RSS | ns per R*N | crm_simulate -R median | crm_simulate -R RSS | ratio | "
      "crm_simulate -S | starts (ours/pcmk) |\n");
  std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    if (r.ours_ms.empty()) {
      std::printf("| %d | %d | FAILED: %s |\n", r.size.nodes, r.size.resources, r.problem.c_str());
      continue;
    }
    const double med = median(r.ours_ms);
    const double rn = static_cast<double>(r.size.nodes) * r.size.resources;
    std::string crm_med = r.crm_note, crm_rss = "-", ratio = "-";
    const std::string crm_s = crm.empty()      ? "-"
                              : r.crm_s_ms > 0 ? fmt_ms(r.crm_s_ms)
                                               : r.crm_s_note;
    std::string starts = fmt::format("{} / -", r.ours_starts);
    if (!r.crm_ms.empty()) {
      const double cm = median(r.crm_ms);
      crm_med = fmt_ms(cm) + (r.crm_note.empty() ? "" : " (" + r.crm_note + ")");
      crm_rss = fmt::format("{:.1f} MiB", r.crm_rss_mib);
      ratio = fmt::format("{:.1f}x", cm / med);
      starts = fmt::format("{} / {}", r.ours_starts, r.crm_starts);
    } else if (!crm.empty() && r.crm_note.rfind("timed out", 0) == 0) {
      ratio = fmt::format("> {:.0f}x", o.crm_timeout_s * 1000.0 / med);
    }
    std::printf(
        "| %d | %d | %d | %.1f MiB | %s | %s | %s | %s | %s | %.1f MiB | %.0f | %s | %s | %s | "
        "%s | %s |%s\n",
        r.size.nodes, r.size.resources, r.counts.instances, r.file_mib, fmt_ms(med).c_str(),
        fmt_ms(max_of(r.ours_ms)).c_str(), fmt_ms(r.parse_ms).c_str(), fmt_ms(r.unpack_ms).c_str(),
        fmt_ms(r.schedule_ms).c_str(), r.ours_rss_mib, med * 1e6 / rn, crm_med.c_str(),
        crm_rss.c_str(), ratio.c_str(), crm_s.c_str(), starts.c_str(),
        r.problem.empty() ? "" : (" " + r.problem).c_str());
    std::fflush(stdout);
  }
}

// ---------------------------------------------------------------------------
// --smoke: the pipeline on a tiny generated cluster, checked (not timed).

int run_smoke() {
  int failures = 0;
  auto check = [&failures](bool ok, const std::string& what) {
    if (!ok) {
      std::printf("FAIL: %s\n", what.c_str());
      ++failures;
    }
  };
  const CibSpec spec{.nodes = 3, .resources = 20, .seed = 7, .running_percent = 50};
  CibCounts counts;
  const std::string xml = generate_cib_xml(spec, &counts);
  check(xml == generate_cib_xml(spec), "same seed, same bytes");
  check(xml != generate_cib_xml({.nodes = 3, .resources = 20, .seed = 8}), "another seed differs");
  check(counts.primitives == 20, fmt::format("20 primitives generated, got {}", counts.primitives));
  check(counts.groups > 0 && counts.clones > 0 && counts.promotable > 0,
        "groups, clones and promotable clones generated");
  check(counts.running_units > 0 && counts.running_units < counts.top_level,
        "some units running, some not");
  auto cib = crm::parse_cib_xml(xml, "smoke.xml");
  check(cib.ok(), cib.ok() ? "" : "parse: " + cib.error().message);
  if (!cib.ok()) return 1;
  auto ws = crm::sched::unpack_working_set(*cib);
  check(ws.ok(), "unpack");
  if (!ws.ok()) return 1;
  check(ws->nodes.size() == 3, "3 nodes unpacked");
  check(static_cast<int>(ws->resources.size()) == counts.top_level,
        fmt::format("{} top-level resources, unpacked {}", counts.top_level, ws->resources.size()));
  check(ws->instances == counts.instances,
        fmt::format("{} instances, unpacked {}", counts.instances, ws->instances));
  const auto t = crm::sched::schedule(*ws);
  check(!t.actions.empty(), "the transition has actions");
  int starts = 0;
  for (const auto& c : t.changes) starts += c.change == "Start" ? 1 : 0;
  check(starts > 0, "the transition starts something");
  int kept = 0;  // running primitives that stay where they are (no-ops)
  for (const auto& p : t.placement.primitives) {
    const auto* running = p.node.empty() ? nullptr : ws->find_node(p.node);
    if (running == nullptr) continue;
    for (const auto& r : ws->resources)
      if (r.id == p.rsc && r.active_nodes() == std::vector<std::string>{p.node}) ++kept;
  }
  check(kept > 0, "some running primitives are left alone");
  auto text = crm::sched::simulate_xml(xml, "smoke.xml", {});
  check(text.ok() && count_starts(*text) == starts,
        "simulate_xml prints the same number of Start lines");
  std::printf("smoke: %d primitives, %d instances, %zu actions, %d starts, %d kept: %s\n",
              counts.primitives, counts.instances, t.actions.size(), starts, kept,
              failures == 0 ? "ok" : "FAILED");
  return failures == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  std::string child_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--smoke") return run_smoke();
    if (i + 1 >= argc) break;
    const std::string v = argv[++i];
    if (a == "--child")
      child_file = v;
    else if (a == "--sizes")
      o.sizes = parse_sizes(v);
    else if (a == "--reps")
      o.reps = std::clamp(std::atoi(v.c_str()), 1, 100);
    else if (a == "--crm-reps")
      o.crm_reps = std::clamp(std::atoi(v.c_str()), 1, 100);
    else if (a == "--seed")
      o.seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (a == "--running")
      o.running = std::clamp(std::atoi(v.c_str()), 0, 100);
    else if (a == "--dir")
      o.dir = v;
    else if (a == "--crm-simulate")
      o.crm_simulate = v;
    else if (a == "--crm-timeout-s")
      o.crm_timeout_s = std::clamp(std::atoi(v.c_str()), 1, 86400);
    else if (a == "--crm-s-timeout-s")
      o.crm_s_timeout_s = std::clamp(std::atoi(v.c_str()), 1, 86400);
  }
  if (!child_file.empty()) return run_child(child_file, o.reps);
  std::error_code ec;
  std::filesystem::create_directories(o.dir, ec);
  const std::string crm = o.crm_simulate == "none" ? std::string()
                          : o.crm_simulate.empty() ? find_on_path("crm_simulate")
                                                   : o.crm_simulate;
  std::vector<Row> rows;
  bool ok = true;
  for (const Size& s : o.sizes) {
    std::fprintf(stderr, "measuring %d nodes x %d resources ...\n", s.nodes, s.resources);
    rows.push_back(measure(o, s, crm));
    ok = ok && rows.back().problem.empty();
  }
  print_table(o, rows, crm);
  return ok ? 0 : 1;
}
