// crm configure, offline on $CIB_file. See cli/crm.h. The session logic is
// crm/configure_session.h; this file reads input and files and writes the CIB.
#include "cli/crm.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "cli/cib_file.h"
#include "crm/cib_xml.h"
#include "crm/configure_session.h"
#include "crm/lang_lexer.h"
#include "crm/lang_parser.h"

namespace quorate::cli {

namespace {

constexpr const char* kPrompt = "crm(live)configure# ";

void crm_usage(const std::string& prog, std::ostream& out) {
  out << "usage: " << prog << " [-f FILE] configure [COMMAND ARGS...]\n"
      << "\n"
      << "Edits the CIB file named by $CIB_file (live clusters come with the daemon).\n"
      << "Without COMMAND, commands are read from standard input (or FILE), one per\n"
      << "line; the file is written at commit and at the end, when the change is valid.\n"
      << "\n"
      << "configure commands:\n"
      << "  node primitive rsc_template group clone ms location colocation order\n"
      << "  rsc_ticket property rsc_defaults op_defaults tag fencing_topology\n"
      << "  role acl_target alert bundle     define objects (crm syntax)\n"
      << "  delete ID... | rename OLD NEW | modgroup G add|remove R [after|before R2]\n"
      << "  monitor RSC[:ROLE] INTERVAL[:TIMEOUT]\n"
      << "  show [xml] [ID...]      print the configuration (crm syntax or CIB XML)\n"
      << "  load update|replace FILE  merge or replace from crm syntax or XML\n"
      << "  verify                  check the configuration as a whole\n"
      << "  commit                  check and write the CIB file\n"
      << "  erase [nodes]           remove every resource and constraint\n"
      << "  quit | end | exit       leave (commits pending changes when not interactive)\n";
}

// A word as crm syntax reads it back as one token.
std::string quote_arg(const std::string& a) {
  const bool plain = !a.empty() && a.find_first_of(" \t\"'\\") == std::string::npos;
  if (plain) return a;
  std::string out = "\"";
  for (char c : a) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

class Shell {
 public:
  Shell(ToolEnv& env, std::string cib_path, std::string cib_text, crm::Cib cib, bool interactive)
      : env_(env),
        path_(std::move(cib_path)),
        text_(std::move(cib_text)),
        session_(std::move(cib), path_),
        interactive_(interactive) {}

  // Runs the logical lines of `text`; false once a quit command was met.
  bool run_text(const std::string& text, const std::string& origin, int first_line);
  // At the end of input: commits what is pending (asks when interactive).
  void finish();
  int exit_code() const { return change_errors_ + other_errors_ > 0 ? kExitFailure : kExitOk; }

 private:
  bool run_line(const crm::lang::LogicalLine& line, const std::string& origin);
  void error(const std::string& message, bool blocks_commit) {
    env_.err << message << "\n";
    (blocks_commit && !interactive_ ? change_errors_ : other_errors_)++;
  }
  void show(const std::vector<std::string>& args);
  void verify();
  bool commit();
  void load(const std::vector<std::string>& args, const std::string& where);

  ToolEnv& env_;
  std::string path_;
  std::string text_;  // the CIB file as last read or written
  crm::ConfigureSession session_;
  bool interactive_;
  int change_errors_ = 0;  // errors in changes: nothing is written
  int other_errors_ = 0;   // errors in show / verify ...: exit code only
};

bool Shell::run_text(const std::string& text, const std::string& origin, int first_line) {
  auto lines = crm::lang::lex_crm(text, origin);
  if (!lines) {
    std::string msg = lines.error().message;
    error(msg, true);
    return true;
  }
  for (auto& l : *lines) {
    if (first_line > 1) {
      l.line += first_line - 1;
      for (auto& t : l.tokens) t.line += first_line - 1;
    }
    if (l.tokens.empty()) continue;
    if (!run_line(l, origin)) return false;
  }
  return true;
}

bool Shell::run_line(const crm::lang::LogicalLine& line, const std::string& origin) {
  const std::string word = crm::lang::to_lower(line.tokens[0].text);
  std::vector<std::string> args;
  for (size_t i = 1; i < line.tokens.size(); ++i) args.push_back(line.tokens[i].text);
  const std::string where = origin + ":" + std::to_string(line.tokens[0].line) + ":" +
                            std::to_string(line.tokens[0].col) + ": ";
  if (word == "quit" || word == "exit" || word == "bye" || word == "q" || word == "end" ||
      word == "cd" || word == "up" || word == "..") {
    return false;
  }
  if (word == "help" || word == "?") {
    crm_usage("crm", env_.out);
    return true;
  }
  const std::string cmd = crm::lang::match_command(word);
  if (cmd == "show") {
    show(args);
  } else if (cmd == "verify") {
    verify();
  } else if (cmd == "commit") {
    commit();
  } else if (cmd == "load") {
    load(args, where);
  } else if (cmd == "erase") {
    if (!args.empty() && args[0] != "nodes") {
      error(where + "erase: unexpected '" + args[0] + "' (erase [nodes])", true);
    } else {
      session_.erase(!args.empty());
    }
  } else {
    auto parsed = crm::lang::parse_line(line, origin);
    if (!parsed) {
      error(parsed.error().message, true);
      return true;
    }
    const auto* shell = std::get_if<crm::lang::ShellCommand>(&parsed->body);
    if (shell && shell->name != "user") {
      error(where + shell->name + ": not available offline yet", false);
      return true;
    }
    for (const auto& e : session_.execute(*parsed)) error(e.message, true);
  }
  return true;
}

void Shell::show(const std::vector<std::string>& args) {
  const bool xml = !args.empty() && args[0] == "xml";
  const std::vector<std::string> ids(args.begin() + (xml ? 1 : 0), args.end());
  auto text = xml ? session_.show_xml(ids) : session_.show(ids);
  if (!text) {
    error("ERROR: " + text.error().message, false);
    return;
  }
  env_.out << *text;
}

void Shell::verify() {
  int errors = 0;
  for (const auto& f : session_.verify()) {
    const bool is_error = f.severity == crm::Finding::Severity::kError;
    env_.err << (is_error ? "ERROR: " : "WARNING: ") << f.message << "\n";
    errors += is_error ? 1 : 0;
  }
  if (errors > 0) error("ERROR: verify: errors found during check: config not valid", false);
}

bool Shell::commit() {
  if (!session_.pending()) return true;
  for (const auto& f : session_.verify()) {
    if (f.severity == crm::Finding::Severity::kWarning)
      env_.err << "WARNING: " << f.message << "\n";
  }
  auto cib = session_.commit();
  if (!cib) {
    error(cib.error().message, true);
    error("ERROR: commit: nothing written to " + path_ + " (the change is not valid)", false);
    return false;
  }
  const std::string text = crm::replace_configuration_xml(text_, *cib);
  if (text == text_) return true;
  if (Status s = write_file_atomically(path_, text); !s) {
    error("ERROR: " + s.error().message, true);
    return false;
  }
  text_ = text;
  return true;
}

void Shell::load(const std::vector<std::string>& args, const std::string& where) {
  if (args.size() != 2 || (args[0] != "update" && args[0] != "replace" && args[0] != "push")) {
    error(where + "load: usage: load update|replace FILE", true);
    return;
  }
  auto text = read_whole_file(args[1]);
  if (!text) {
    error(where + "load: " + text.error().message, true);
    return;
  }
  const auto mode = args[0] == "update" ? crm::ConfigureSession::LoadMode::kUpdate
                                        : crm::ConfigureSession::LoadMode::kReplace;
  for (const auto& e : session_.load(mode, *text, args[1])) error(e.message, true);
}

void Shell::finish() {
  if (!session_.pending()) return;
  if (interactive_) {
    env_.out << "There are changes pending. Do you want to commit them (y/n)? " << std::flush;
    std::string answer;
    if (!env_.in || !std::getline(*env_.in, answer) || (answer != "y" && answer != "yes")) {
      env_.out << "\n";
      return;
    }
    commit();
    return;
  }
  if (change_errors_ > 0) {
    env_.err << "crm: nothing written to " << path_ << ": " << change_errors_
             << (change_errors_ == 1 ? " error" : " errors") << " in the change\n";
    return;
  }
  commit();
}

}  // namespace

int crm_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env) {
  std::string input_file;
  size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help" || a == "help") {
      crm_usage(prog, env.out);
      return kExitOk;
    }
    if ((a == "-f" || a == "--file") && i + 1 < args.size()) {
      input_file = args[++i];
    } else if (a.rfind("--file=", 0) == 0) {
      input_file = a.substr(7);
    } else if (a.rfind("-", 0) == 0) {
      env.err << prog << ": unknown option '" << a << "'\n";
      crm_usage(prog, env.err);
      return kExitUsage;
    } else {
      break;
    }
  }
  if (i >= args.size()) {
    crm_usage(prog, env.err);
    return kExitUsage;
  }
  const std::string level = crm::lang::to_lower(args[i]);
  if (level != "configure" && level != "cfg" && level != "conf") {
    env.err << prog << ": '" << args[i]
            << "' is not available in this build yet (only configure)\n";
    return kExitNotAvailable;
  }
  const std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(i) + 1,
                                      args.end());

  const std::optional<std::string> cib_file = env.getenv ? env.getenv("CIB_file") : std::nullopt;
  if (!cib_file || cib_file->empty()) {
    env.err << prog << " configure: live mode needs the quorated daemon, which this build does not "
            << "reach yet; set CIB_file=PATH to edit a CIB XML file offline\n";
    return kExitNotAvailable;
  }
  auto text = read_whole_file(*cib_file);
  if (!text) {
    env.err << prog << ": CIB_file: " << text.error().message << "\n";
    return kExitFailure;
  }
  auto cib = crm::parse_cib_xml(*text, *cib_file);
  if (!cib) {
    env.err << prog << ": " << cib.error().message << "\n";
    return kExitFailure;
  }

  if (!rest.empty()) {  // one command from the arguments
    Shell shell(env, *cib_file, *text, std::move(*cib), false);
    std::string line;
    for (const auto& a : rest) line += (line.empty() ? "" : " ") + quote_arg(a);
    shell.run_text(line, "<command line>", 1);
    shell.finish();
    return shell.exit_code();
  }

  std::istream* in = env.in;
  std::ifstream file_in;
  std::string origin = "<stdin>";
  bool interactive = env.in_is_terminal;
  if (!input_file.empty()) {
    file_in.open(input_file, std::ios::binary);
    if (!file_in) {
      env.err << prog << ": cannot read " << input_file << ": " << std::strerror(errno) << "\n";
      return kExitFailure;
    }
    in = &file_in;
    origin = input_file;
    interactive = false;
  }
  Shell shell(env, *cib_file, *text, std::move(*cib), interactive);
  if (in == nullptr) {
    shell.finish();
    return shell.exit_code();
  }
  if (!interactive) {
    std::ostringstream all;
    all << in->rdbuf();
    shell.run_text(all.str(), origin, 1);
    shell.finish();
    return shell.exit_code();
  }
  // Interactive: a prompt per logical line; `\` at the end continues it.
  int line_no = 0;
  std::string pending;
  int pending_start = 1;
  std::string line;
  while (true) {
    env.out << (pending.empty() ? kPrompt : "> ") << std::flush;
    if (!std::getline(*in, line)) {
      env.out << "\n";
      break;
    }
    ++line_no;
    if (pending.empty()) pending_start = line_no;
    pending += line + "\n";
    const size_t last = line.find_last_not_of(" \t\r");
    if (last != std::string::npos && line[last] == '\\') continue;
    const std::string chunk = std::move(pending);
    pending.clear();
    if (!shell.run_text(chunk, origin, pending_start)) break;
  }
  shell.finish();
  return shell.exit_code();
}

}  // namespace quorate::cli
