#include "replication/states.h"

#include <array>

namespace quorate::replication {

std::string_view name(Role r) {
  switch (r) {
    case Role::kPrimary: return "Primary";
    case Role::kSecondary: return "Secondary";
    case Role::kUnknown: break;
  }
  return "Unknown";
}

std::string_view name(ConnState c) {
  static constexpr std::array<std::string_view, 24> kNames = {
      "StandAlone",   "Disconnecting", "Unconnected", "Timeout",      "BrokenPipe",
      "NetworkFailure", "ProtocolError", "TearDown",  "WFConnection", "WFReportParams",
      "Connected",    "StartingSyncS", "StartingSyncT", "WFBitMapS",  "WFBitMapT",
      "WFSyncUUID",   "SyncSource",    "SyncTarget",  "PausedSyncS",  "PausedSyncT",
      "VerifyS",      "VerifyT",       "Ahead",       "Behind"};
  const auto i = static_cast<size_t>(c);
  return i < kNames.size() ? kNames[i] : "Unknown";
}

std::string_view name(DiskState d) {
  static constexpr std::array<std::string_view, 9> kNames = {
      "Diskless",     "Attaching", "Failed",   "Negotiating", "Inconsistent",
      "Outdated",     "DUnknown",  "Consistent", "UpToDate"};
  const auto i = static_cast<size_t>(d);
  return i < kNames.size() ? kNames[i] : "DUnknown";
}

char letter(Protocol p) {
  switch (p) {
    case Protocol::kA: return 'A';
    case Protocol::kB: return 'B';
    case Protocol::kC: break;
  }
  return 'C';
}

bool is_connected(ConnState c) {
  return c >= ConnState::kConnected;
}

std::string_view connection_name9(ConnState c) {
  if (c == ConnState::kWFConnection || c == ConnState::kWFReportParams) return "Connecting";
  if (is_connected(c)) return "Connected";
  return name(c);
}

std::string_view replication_name9(ConnState c) {
  if (!is_connected(c)) return "Off";
  if (c == ConnState::kConnected) return "Established";
  return name(c);
}

}  // namespace quorate::replication
