// The offline CIB file of the CIB tools. See cli/cib_file.h.
#include "cli/cib_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crm/cib_xml.h"

namespace quorate::cli {

std::optional<std::string> cib_file_path(const ToolEnv& env) {
  if (!env.getenv) return std::nullopt;
  auto v = env.getenv("CIB_file");
  if (!v || v->empty()) return std::nullopt;
  return v;
}

int report_no_live_cib(const std::string& prog, std::ostream& err) {
  err << prog << ": no live cluster connection is available in this build yet; "
      << "set CIB_file=PATH to work on a CIB XML file offline\n";
  return kCrmExitNotConnected;
}

Result<std::vector<ParsedOption>> parse_tool_args(const std::vector<std::string>& args,
                                                  const std::vector<OptionSpec>& specs) {
  std::vector<ParsedOption> out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a.size() > 2 && a.compare(0, 2, "--") == 0) {
      const auto eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      const OptionSpec* spec = nullptr;
      for (const auto& s : specs)
        if (s.long_name == name) spec = &s;
      if (spec == nullptr) return Error{"unrecognized option '--" + name + "'"};
      if (!spec->takes_value) {
        if (eq != std::string::npos) return Error{"option '--" + name + "' takes no value"};
        out.push_back({name, ""});
      } else if (eq != std::string::npos) {
        out.push_back({name, a.substr(eq + 1)});
      } else if (i + 1 < args.size()) {
        out.push_back({name, args[++i]});
      } else {
        return Error{"option '--" + name + "' needs a value"};
      }
      continue;
    }
    if (a.size() < 2 || a[0] != '-') return Error{"unexpected argument '" + a + "'"};
    for (std::size_t k = 1; k < a.size(); ++k) {
      const OptionSpec* spec = nullptr;
      for (const auto& s : specs)
        if (s.short_name != 0 && s.short_name == a[k]) spec = &s;
      if (spec == nullptr) return Error{std::string("unrecognized option '-") + a[k] + "'"};
      if (!spec->takes_value) {
        out.push_back({std::string(spec->long_name), ""});
        continue;
      }
      if (k + 1 < a.size()) {
        out.push_back({std::string(spec->long_name), a.substr(k + 1)});
      } else if (i + 1 < args.size()) {
        out.push_back({std::string(spec->long_name), args[++i]});
      } else {
        return Error{std::string("option '-") + a[k] + "' needs a value"};
      }
      break;
    }
  }
  return out;
}

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{"cannot read " + path + ": " + std::strerror(errno)};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error{"cannot read " + path};
  return text.str();
}

std::optional<CibFile> load_cib_file(const std::string& prog, const std::string& path,
                                     std::ostream& err, int* exit_code) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    err << prog << ": CIB_file: cannot read " << path << ": Is a directory\n";
    *exit_code = kCrmExitNoInput;
    return std::nullopt;
  }
  auto text = read_whole_file(path);
  if (!text) {
    err << prog << ": CIB_file: " << text.error().message << "\n";
    *exit_code = kCrmExitNoInput;
    return std::nullopt;
  }
  auto cib = crm::parse_cib_xml(*text, path);
  if (!cib) {
    err << prog << ": CIB_file: " << cib.error().message << "\n";
    *exit_code = kCrmExitDataErr;
    return std::nullopt;
  }
  return CibFile{path, std::move(*text), std::move(*cib)};
}

Status save_cib_file(const CibFile& file, crm::Cib updated, CibChange change) {
  if (!change.configuration && !change.status) return Status::Ok();
  if (change.configuration) {
    updated.epoch += 1;
    updated.num_updates = 0;
  } else {
    updated.num_updates += 1;
  }
  const std::string text = change.status ? crm::write_cib_xml(updated)
                                         : crm::replace_configuration_xml(file.text, updated);
  // The result must read back as a CIB: never replace a file with one that
  // does not.
  auto check = crm::parse_cib_xml(text, file.path);
  if (!check)
    return Error{"internal error: the updated CIB does not parse: " + check.error().message};
  return write_file_atomically(file.path, text);
}

Status write_file_atomically(const std::string& path, const std::string& text) {
  std::string tmpl = path + ".XXXXXX";
  const int fd = ::mkstemp(tmpl.data());
  if (fd < 0)
    return Error{"cannot create a temporary file beside " + path + ": " + std::strerror(errno)};
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) (void)::fchmod(fd, st.st_mode & 07777);
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      ::close(fd);
      ::unlink(tmpl.c_str());
      return Error{"cannot write " + tmpl + ": " + why};
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmpl.c_str());
    return Error{"cannot write " + tmpl + ": " + std::strerror(errno)};
  }
  if (::rename(tmpl.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmpl.c_str());
    return Error{"cannot replace " + path + ": " + why};
  }
  return Status::Ok();
}

}  // namespace quorate::cli
