// drbdadm (also `quorate drbdadm`) and `quorate replica`: DRBD's admin
// command line over quorated. The command line is parsed by a pure function
// (parse_drbdadm_args) into a DrbdadmCommand; running it sends
// ReplicaCommandRequest / ReplicaStatusRequest to the daemon, or works on the
// resource files alone for the local verbs (dump, sh-*, create-md when no
// daemon answers).
//
// Exit codes (drbd-utils' own where they exist): 0 fine; 1 usage
// (drbdadm 9's E_USAGE); 10 configuration invalid or resource unknown
// (E_CONFIG_INVALID); 11 the daemon refused a state change (what drbdsetup
// returns for "State change failed", passed on by drbdadm 8.4); 20 quorated
// cannot be reached (E_EXEC_ERROR: the backend could not be run); 40
// create-md refused to overwrite (our choice).
//
// Free functions; no state kept between calls; thread-safe as far as the
// ToolEnv passed in is.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/tool_env.h"
#include "common/result.h"
#include "replication/res_config.h"

namespace quorate::cli {

inline constexpr int kDrbdExitUsage = 1;
inline constexpr int kDrbdExitConfig = 10;
inline constexpr int kDrbdExitStateChange = 11;
inline constexpr int kDrbdExitNoDaemon = 20;
inline constexpr int kDrbdExitMdRefused = 40;

enum class DrbdVerb {
  // Sent to the daemon as ReplicaCommandRequest.
  kCreateMd,
  kUp,
  kDown,
  kAttach,
  kDetach,
  kPrimary,
  kSecondary,
  kConnect,
  kDisconnect,
  kVerify,
  kInvalidate,
  kInvalidateRemote,
  kOutdate,
  kPauseSync,
  kResumeSync,
  kResumeIo,
  kAdjust,
  kNetOptions,   // net-options --KEY[=VALUE]...: the running net section changed until the next adjust
  kDiskOptions,  // disk-options --KEY[=VALUE]...: the same for the disk section
  // Read from the daemon as ReplicaStatusRequest.
  kRole,
  kCstate,
  kDstate,
  kStatus,
  // The resource files only.
  kDump,
  kShResources,
  kShDev,
  kShLlDev,
  kShMdDev,
  kShIp,
  kHelp,
};

enum class VerbKind { kCommand, kStatus, kLocal, kHelp };

std::string_view verb_name(DrbdVerb v);  // "create-md", "invalidate-remote", ...
std::optional<DrbdVerb> parse_verb(std::string_view s);
VerbKind kind_of(DrbdVerb v);

// One drbdadm command line. Options may come before or after the command and
// after a "--" (drbdadm's separator for backend options): `drbdadm -- --force
// primary r0` == `drbdadm primary --force r0`.
struct DrbdadmCommand {
  DrbdVerb verb = DrbdVerb::kHelp;
  std::vector<std::string> resources;      // as given ("all" kept); status: empty = all
  std::optional<std::string> config_file;  // -c FILE / --config-file FILE
  std::optional<std::string> socket;       // --socket PATH
  std::optional<std::string> node;         // --node NAME (ours): this host in the resource files
  bool dry_run = false;                    // -d / --dry-run
  bool json = false;                       // --json (role, cstate, dstate, status)
  bool force = false;                      // --force, --overwrite-data-of-peer (primary)
  bool discard_my_data = false;            // connect --discard-my-data
  bool verbose = false;                    // -v / --verbose
  bool statistics = false;                 // -s / --statistics (status)
  // net-options / disk-options: the settings given ("KEY=VALUE"; a bare
  // --KEY is "KEY=yes"), in the resource file's names.
  std::vector<std::string> settings;
};

// Parses the arguments after the program name. Errors name the argument and
// what is wrong with it ("unknown option '--foo' (argument 2)").
Result<DrbdadmCommand> parse_drbdadm_args(const std::vector<std::string>& args);

// The exit code for an error message from the daemon: 10 when it says the
// resource is unknown or the configuration is invalid, else 11.
int daemon_error_exit_code(std::string_view message);

// The resource files: `config_file` if given, else `default_dir` if it exists
// (the replication.d layout), else `default_file`.
Result<replication::ReplicationConfig> load_drbd_config(
    const std::optional<std::string>& config_file, std::vector<std::string>* warnings,
    const std::string& default_dir = "/etc/quorate/replication.d",
    const std::string& default_file = "/etc/drbd.conf");

// This host's name in the resource files: --node, else $QUORATE_NODE, else
// the host name (uname).
std::string resolve_node_name(const std::optional<std::string>& flag, ToolEnv& env);

// What -d prints for a command verb on one resource: one line per action,
// e.g. "quorated: up r0 (attach /dev/sdb1, connect 192.168.1.102:7789)".
// `res` null: no details (the resource is not in the files).
std::string dry_run_line(const DrbdadmCommand& cmd, const std::string& resource,
                         const replication::ResourceConfig* res, std::string_view node);

int drbdadm_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);
// quorate replica status [RES...] [--proc] [--json] | overview [--json]
int replica_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);
// drbd-overview [RES...] [--json]: `quorate replica overview`, mount columns included.
int drbd_overview_main(const std::string& prog, const std::vector<std::string>& args, ToolEnv& env);

}  // namespace quorate::cli
