// MembershipNode: one node's whole membership layer, sans-IO — Totem
// (ordering and membership) with votequorum on top, multiplexed over Totem's
// ordered messages. The daemon drives it with sockets and a steady clock;
// tests/sim drives many with a simulated network. Layers above (the CIB,
// replication control) submit application payloads and receive them in
// agreed order, together with configuration and quorum changes.
//
// Payload multiplexing: the first byte of every Totem payload names its
// service ('V' votequorum, 'G' process groups, 'A' application); a payload
// with an unknown tag is counted and dropped.
//
// Ordering contract of Ready: send `messages`, then hand `events` to the
// layer above in order. A QuorumEvent follows the Configuration it is about;
// group events (GroupMembershipChange, GroupMessage) follow the
// Configuration or come at the place of the Totem delivery that caused them.
//
// Thread-safety: none; one thread drives one object.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <variant>

#include "common/result.h"
#include "membership/cluster_config.h"
#include "membership/groups.h"
#include "membership/totem.h"
#include "membership/votequorum.h"

namespace quorate::membership {

TotemParams totem_params(const ClusterConfig& config);

using NodeEvent = std::variant<Configuration, Delivery, TotemNote, QuorumEvent,
                               GroupMembershipChange, GroupMessage>;

struct NodeReady {
  std::vector<Outgoing> messages;
  std::vector<NodeEvent> events;
};

class MembershipNode {
 public:
  static Result<std::unique_ptr<MembershipNode>> create(const ClusterConfig& config, NodeId self,
                                                        uint64_t incarnation, uint64_t ring_seq,
                                                        Time now);
  // The same with Totem parameters given (the simulator's).
  static Result<std::unique_ptr<MembershipNode>> create(const ClusterConfig& config,
                                                        const TotemParams& params, NodeId self,
                                                        uint64_t incarnation, uint64_t ring_seq,
                                                        Time now);
  MembershipNode(const MembershipNode&) = delete;
  MembershipNode& operator=(const MembershipNode&) = delete;

  // Receive, Tick and Leave go to Totem; Submit carries an application
  // payload (tagged here).
  Status step(const Input& in, Time now);
  Status request_expected_votes(uint32_t n, Time now);
  Status request_votes(NodeId node, uint32_t votes, Time now);

  // Process groups (groups.h): a local process joins, leaves or sends to a
  // group; the effect shows in NodeReady.events once Totem delivers it.
  // Refusals are ProcessGroups' (bad name, not joined, limits, queue full).
  Status group_join(std::string_view group, uint32_t pid, Time now);
  Status group_leave(std::string_view group, uint32_t pid, Time now);
  void group_process_down(uint32_t pid, Time now);  // the process ended
  Status group_send(std::string_view group, uint32_t pid, std::string_view payload, Time now);
  const ProcessGroups& groups() const { return groups_; }

  NodeReady take_ready();
  Time next_deadline() const;

  const Totem& totem() const { return *totem_; }
  QuorumState quorum() const { return vq_.state(); }
  uint64_t dropped_payloads() const { return dropped_payloads_; }

 private:
  MembershipNode(std::unique_ptr<Totem> t, Votequorum vq, ProcessGroups groups,
                 size_t max_submit_bytes)
      : totem_(std::move(t)),
        vq_(std::move(vq)),
        groups_(std::move(groups)),
        max_submit_bytes_(max_submit_bytes) {}
  void pump(Time now);          // move outputs between Totem, votequorum and groups until quiet
  bool flush_groups(Time now);  // submit queued group messages in order; true if any

  std::unique_ptr<Totem> totem_;
  Votequorum vq_;
  ProcessGroups groups_;
  size_t max_submit_bytes_;  // the largest payload Totem can ever accept
  NodeReady ready_;
  uint64_t dropped_payloads_ = 0;
};

}  // namespace quorate::membership
