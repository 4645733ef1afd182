#include "daemon/handler_runner.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

extern char** environ;

namespace quorate::daemon {

void run_handler_async(boost::asio::io_context& io, const std::string& command, const HandlerEnv& env,
                       std::function<void(int exit_code)> done) {
  // The child's environment: ours, with the handler's variables replacing any
  // of the same name.
  std::vector<std::string> vars;
  for (char** e = environ; e && *e; ++e) {
    const std::string_view v(*e);
    bool replaced = false;
    for (const auto& [k, val] : env) {
      if (v.size() > k.size() && v.substr(0, k.size()) == k && v[k.size()] == '=') replaced = true;
    }
    if (!replaced) vars.emplace_back(v);
  }
  for (const auto& [k, val] : env) vars.push_back(k + "=" + val);
  std::vector<char*> envp;
  for (auto& v : vars) envp.push_back(v.data());
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {sh.data(), dash_c.data(), cmd.data(), nullptr};

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/bin/sh", nullptr, nullptr, argv, envp.data());
  if (rc != 0) {
    boost::asio::post(io, [done = std::move(done)] { done(-1); });
    return;
  }
  std::thread([&io, pid, done = std::move(done)]() mutable {
    int status = 0;
    pid_t r;
    do {
      r = ::waitpid(pid, &status, 0);
    } while (r < 0 && errno == EINTR);
    const int code = (r == pid && WIFEXITED(status)) ? WEXITSTATUS(status) : -1;
    boost::asio::post(io, [done = std::move(done), code] { done(code); });
  }).detach();
}

}  // namespace quorate::daemon
