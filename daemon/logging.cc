// quorated's logger from the `logging {}` section. See logging.h.
#include "daemon/logging.h"

#include <fmt/format.h>
#include <spdlog/details/file_helper.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <syslog.h>

#include <exception>
#include <map>
#include <mutex>
#include <vector>

namespace quorate::daemon {

// A log file that can be closed and opened again by name (logrotate's
// "copytruncate"-free rotation: rename, then SIGHUP).
class ReopenableFileSink final : public spdlog::sinks::base_sink<spdlog::details::null_mutex> {
 public:
  explicit ReopenableFileSink(std::string path) : path_(std::move(path)) {}

  Status open() {
    try {
      file_.open(path_, false);
    } catch (const std::exception& e) {
      return Error{fmt::format("cannot open log file {}: {}", path_, e.what())};
    }
    return Status::Ok();
  }

  Status reopen() {
    try {
      file_.reopen(false);
    } catch (const std::exception& e) {
      return Error{fmt::format("cannot reopen log file {}: {}", path_, e.what())};
    }
    return Status::Ok();
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    file_.write(formatted);
  }
  void flush_() override { file_.flush(); }

 private:
  std::string path_;
  spdlog::details::file_helper file_;
};

namespace {

int syslog_facility(const std::string& name) {
  static constexpr std::pair<const char*, int> kFacilities[] = {
      {"daemon", LOG_DAEMON}, {"user", LOG_USER},     {"local0", LOG_LOCAL0},
      {"local1", LOG_LOCAL1}, {"local2", LOG_LOCAL2}, {"local3", LOG_LOCAL3},
      {"local4", LOG_LOCAL4}, {"local5", LOG_LOCAL5}, {"local6", LOG_LOCAL6},
      {"local7", LOG_LOCAL7}, {"auth", LOG_AUTH},     {"authpriv", LOG_AUTHPRIV},
      {"syslog", LOG_SYSLOG}};
  for (const auto& [n, f] : kFacilities) {
    if (name == n) return f;
  }
  return LOG_DAEMON;
}

// Escapes '%' so that a node name cannot inject pattern flags.
std::string pattern_literal(const std::string& s) {
  std::string out;
  for (char c : s) {
    out += c;
    if (c == '%') out += '%';
  }
  return out;
}

}  // namespace

DaemonLog::~DaemonLog() {
  if (logger_) logger_->flush();
}

Result<std::unique_ptr<DaemonLog>> DaemonLog::create(const membership::LoggingConfig& config,
                                                     bool force_debug,
                                                     const std::string& node_name) {
  std::unique_ptr<DaemonLog> log(new DaemonLog());
  std::vector<spdlog::sink_ptr> sinks;

  std::string stamp;
  if (config.timestamp) stamp = config.timestamp_hires ? "%b %d %H:%M:%S.%e " : "%b %d %H:%M:%S ";
  const std::string line =
      fmt::format("{}[%P] {} quorated %l %v", stamp, pattern_literal(node_name));

  if (config.to_stderr) {
    auto s = std::make_shared<spdlog::sinks::stderr_sink_st>();
    s->set_pattern(line);
    sinks.push_back(std::move(s));
  }
  if (config.to_logfile && !config.logfile.empty()) {
    auto s = std::make_shared<ReopenableFileSink>(config.logfile);
    if (Status st = s->open(); !st.ok()) return st.error();
    s->set_pattern(line);
    log->file_ = s;
    sinks.push_back(std::move(s));
  }
  if (config.to_syslog) {
    auto s = std::make_shared<spdlog::sinks::syslog_sink_st>(
        "quorated", LOG_PID | LOG_NDELAY, syslog_facility(config.syslog_facility), true);
    s->set_pattern("%v");
    sinks.push_back(std::move(s));
  }

  log->logger_ = std::make_shared<spdlog::logger>("quorated", sinks.begin(), sinks.end());
  const bool debug = force_debug || config.debug || config.debug_trace;
  log->logger_->set_level(config.debug_trace ? spdlog::level::trace
                          : debug            ? spdlog::level::debug
                                             : spdlog::level::info);
  // Membership logs are rare and matter most right before a crash: flush each.
  log->logger_->flush_on(spdlog::level::trace);
  return log;
}

Status DaemonLog::reopen() {
  if (!file_) return Status::Ok();
  return file_->reopen();
}

}  // namespace quorate::daemon
