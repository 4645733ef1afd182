// DaemonLog: quorated's logger, built from the cluster file's `logging {}`
// section (Corosync's keys): to_stderr, to_logfile + logfile, to_syslog (with
// syslog_facility), debug, timestamp (off | on | hires). Lines read like
// Corosync's:  "Jun 05 11:41:49.123 [4711] node1 quorated notice [TOTEM ] ..."
// where the subsystem tag is part of the message text.
//
// Ownership: owns its sinks (the log file stays open; reopen() closes and
// opens it again by name, for log rotation on SIGHUP). The logger is not
// registered in spdlog's global registry: two daemons fit in one process.
// Thread-safety: none (single-threaded sinks); quorated logs from its one
// event-loop thread.
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

#include "common/result.h"
#include "membership/cluster_config.h"

namespace quorate::daemon {

class ReopenableFileSink;

class DaemonLog {
 public:
  // `force_debug`: --debug on the command line. `node_name` goes into each
  // line (several nodes may share one terminal or file in tests).
  static Result<std::unique_ptr<DaemonLog>> create(const membership::LoggingConfig& config,
                                                   bool force_debug, const std::string& node_name);
  ~DaemonLog();
  DaemonLog(const DaemonLog&) = delete;
  DaemonLog& operator=(const DaemonLog&) = delete;

  spdlog::logger& logger() { return *logger_; }
  std::shared_ptr<spdlog::logger> shared() { return logger_; }

  // Closes and reopens the log file (no-op without to_logfile).
  Status reopen();

 private:
  DaemonLog() = default;
  std::shared_ptr<spdlog::logger> logger_;
  std::shared_ptr<ReopenableFileSink> file_;
};

}  // namespace quorate::daemon
