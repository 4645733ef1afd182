// The offline CIB that Pacemaker's tools use when $CIB_file names a CIB XML
// file: reading and parsing it with clear errors, and replacing it atomically
// (a temporary file beside it, fsync, rename) once a change is complete and
// valid. Also the exit codes Pacemaker's tools (crm_mon, crm_standby,
// crm_resource) return, so that ours match them. Free functions; no state.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/tool_env.h"
#include "common/result.h"
#include "crm/cib.h"

namespace quorate::cli {

// Pacemaker's exit codes (crm_exit_t) that the CIB tools return.
inline constexpr int kCrmExitOk = 0;
inline constexpr int kCrmExitError = 1;
inline constexpr int kCrmExitUsage = 64;          // CRM_EX_USAGE: bad option
inline constexpr int kCrmExitDataErr = 65;        // CRM_EX_DATAERR: CIB_file is not a valid CIB
inline constexpr int kCrmExitNoInput = 66;        // CRM_EX_NOINPUT: CIB_file cannot be read
inline constexpr int kCrmExitCantCreate = 73;     // CRM_EX_CANTCREAT: cannot write CIB_file
inline constexpr int kCrmExitNotConnected = 102;  // CRM_EX_DISCONNECT: no live cluster
inline constexpr int kCrmExitNoSuchObject = 105;  // CRM_EX_NOSUCH: unknown node / resource
inline constexpr int kCrmExitExists = 108;        // CRM_EX_EXISTS: nothing to change

// A CIB file as read: its text (kept for byte-for-byte splicing) and model.
struct CibFile {
  std::string path;
  std::string text;
  crm::Cib cib;
};

// $CIB_file, or nullopt (unset or empty).
std::optional<std::string> cib_file_path(const ToolEnv& env);

// Prints "PROG: no live cluster connection is available in this build yet
// (quorated's CIB comes in a later release); set CIB_file=PATH to work on a
// CIB XML file offline" and returns kCrmExitNotConnected.
int report_no_live_cib(const std::string& prog, std::ostream& err);

// Reads and parses the CIB file. On failure prints "PROG: ..." naming the
// file (and line:col for bad XML) and sets *exit_code (kCrmExitNoInput,
// kCrmExitDataErr).
std::optional<CibFile> load_cib_file(const std::string& prog, const std::string& path,
                                     std::ostream& err, int* exit_code);

// What a change touched: the configuration (epoch + 1, num_updates 0, the
// configuration spliced into the file's text so that the rest stays byte
// for byte) and/or the status (num_updates + 1; the whole CIB is rewritten).
struct CibChange {
  bool configuration = false;
  bool status = false;
};

// Writes `updated` over `file.path` atomically; does nothing when `change`
// touched nothing. Errors name the file.
Status save_cib_file(const CibFile& file, crm::Cib updated, CibChange change);

// Writes `text` to a temporary file beside `path` and renames it over `path`
// (keeping its permissions).
Status write_file_atomically(const std::string& path, const std::string& text);

// getopt-style options of the CIB tools: "-x", "-x VALUE", "-xVALUE",
// bundled flags "-1rf", "--long", "--long=VALUE", "--long VALUE".
struct OptionSpec {
  char short_name;  // 0: long only
  std::string_view long_name;
  bool takes_value;
};
struct ParsedOption {
  std::string name;  // the long name
  std::string value;
};
// The options in command-line order, or an error "unrecognized option '--x'",
// "option '-N' needs a value", "unexpected argument 'x'".
Result<std::vector<ParsedOption>> parse_tool_args(const std::vector<std::string>& args,
                                                  const std::vector<OptionSpec>& specs);

// Reads a whole file.
Result<std::string> read_whole_file(const std::string& path);

}  // namespace quorate::cli
