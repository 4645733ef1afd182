// Conversion between the IPC form of a replicated volume's state
// (ipc::ReplicaState, whose enum fields carry DRBD's names: "Primary",
// "WFConnection", "UpToDate") and replication::ReplicaStatus, which the
// renderers of cli/render_replica.h take. Names are parsed back to the enums;
// an unknown name is an error naming the volume and the field, never a guess.
//
// Used by quorated (replies) and the tools (drbdadm, quorate replica).
// Pure functions over value types; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "proto/ipc.pb.h"
#include "replication/states.h"

namespace quorate::replication {

// A volume as the daemon reports it: the status (with its exports) and
// whether it is up (false: configured but not up, DRBD's "Unconfigured").
struct ReplicaEntry {
  replication::ReplicaStatus status;
  bool up = true;
};

// DRBD's names back to the enums (exact spelling, as replication::name()
// prints them); nullopt for anything else.
std::optional<replication::Role> parse_role(std::string_view s);
std::optional<replication::ConnState> parse_conn_state(std::string_view s);
std::optional<replication::DiskState> parse_disk_state(std::string_view s);

// Counter keys of ReplicaState.counters: ns nr dw dr al bm lo pe ua ap ep
// oos_kib size_kib. wo is the /proc/drbd letter (b f d n).
ipc::ReplicaState replica_to_proto(const ReplicaEntry& entry);

// Errors read "replica RESOURCE/VOLUME: unknown cstate 'Foo'". Counter keys
// this build does not know are ignored (a newer daemon may send more); a
// missing "ep" is 1, as in DRBD. A volume that is not up comes back as
// StandAlone / Diskless / Secondary (what the renderers print as
// "Unconfigured") whatever the message says.
Result<ReplicaEntry> replica_from_proto(const ipc::ReplicaState& state);
Result<std::vector<ReplicaEntry>> replicas_from_proto(const ipc::ReplicaStatusList& list);

}  // namespace quorate::replication
