// Runs a replication handler (drbd.conf `handlers { fence-peer "..."; }`) as
// `/bin/sh -c COMMAND` in a child process with extra environment variables
// (DRBD_RESOURCE, DRBD_PEER, ...), without blocking the caller: a helper
// thread waits for the child and posts `done(exit_code)` to the io_context
// (-1 when it could not be started or died from a signal).
//
// Thread-safety: call from any thread; `done` runs on the io_context's thread.
// The caller keeps `done` safe to run after its own destruction (e.g. with a
// weak "alive" flag), since a handler may outlive the object that started it.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

namespace quorate::daemon {

using HandlerEnv = std::vector<std::pair<std::string, std::string>>;

void run_handler_async(boost::asio::io_context& io, const std::string& command, const HandlerEnv& env,
                       std::function<void(int exit_code)> done);

}  // namespace quorate::daemon
