// ProcessGroups: named groups of processes over Totem's agreed order, in the
// spirit of Corosync's closed process groups (CPG), sans-IO. One object is one
// node's view. A group member is a (nodeid, pid) pair; local processes join,
// leave and send through this node; every node applies the same ordered
// stream of group messages and configurations, so members agree on each
// group's membership and on the order of its messages. The rules and the wire
// format are in docs/formats/groups.md (proto/groups.proto).
//
// Ordering contract (the caller is MembershipNode or a test harness):
//   1. Local requests (join, leave, process_down, send) validate against this
//      node's intent and queue a message; nothing changes in the agreed view
//      until the message comes back through on_delivery().
//   2. Broadcast the queued messages through Totem in agreed order, oldest
//      first: peek_outgoing(); if Totem accepts it, pop_outgoing(); if not,
//      try again later (nothing behind it may overtake it).
//   3. Every regular Configuration goes to on_configuration() at its place in
//      the event stream (transitional ones are ignored). Processes of nodes
//      that left the ring (or restarted: they are in `left` and `joined`)
//      leave every group with reason kNodeDown. This node then queues its
//      JoinList (its own processes of every group, as it intends them); every
//      member applies each JoinList as the complete list of its sender's
//      processes, so nodes that come from other partitions converge on one
//      view once the ring's JoinLists are delivered. New processes learned
//      that way join with reason kNodeUp.
//   4. Every group payload Totem delivers goes to on_delivery() in delivery
//      order with its Totem origin. Malformed or over-limit messages are
//      counted and dropped; nothing from the network can make this assert.
//   After any input drain take_events() and hand them to the layer above in
//   order. Events are only produced for groups with a local member (before or
//   after the change), as CPG only calls back joined processes.
//
// Ownership: a value-like object owning all its state; movable, not copyable.
// Thread-safety: none; one thread drives one object. No globals.
#pragma once

#include <compare>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "membership/types.h"

namespace quorate::groups {
class Message;
class JoinList;
}  // namespace quorate::groups

namespace quorate::membership {

// Corosync's CPG_REASON_* values.
enum class GroupReason : uint8_t {
  kJoin = 1,      // the process joined
  kLeave = 2,     // the process left
  kNodeDown = 3,  // its node left the ring (or restarted)
  kNodeUp = 4,    // learned from a node that came into the ring
  kProcDown = 5,  // the process ended without leaving
};
const char* to_string(GroupReason r);

struct GroupMember {
  NodeId nodeid = 0;
  uint32_t pid = 0;
  auto operator<=>(const GroupMember&) const = default;
};

struct GroupAddress {  // cpg_address
  GroupMember member;
  GroupReason reason = GroupReason::kJoin;
  bool operator==(const GroupAddress&) const = default;
};

// The cpg_confchg callback: the group's members after the change.
struct GroupMembershipChange {
  std::string group;
  std::vector<GroupMember> members;  // sorted by (nodeid, pid)
  std::vector<GroupAddress> joined;  // sorted by member
  std::vector<GroupAddress> left;    // sorted by member
  bool operator==(const GroupMembershipChange&) const = default;
};

// The cpg_deliver callback. `from.nodeid` is Totem's origin of the message.
struct GroupMessage {
  std::string group;
  GroupMember from;
  std::string payload;
  bool operator==(const GroupMessage&) const = default;
};

using GroupEvent = std::variant<GroupMembershipChange, GroupMessage>;

struct GroupInfo {
  std::string name;
  std::vector<GroupMember> members;  // sorted
  bool operator==(const GroupInfo&) const = default;
};

struct GroupLimits {
  size_t max_name_bytes = 128;
  size_t max_groups = 1024;                      // groups in the view
  size_t max_members = 4096;                     // memberships over all groups in the view
  size_t max_payload_bytes = (1u << 20) - 1024;  // one send()
  size_t max_outgoing = 1024;                    // queued requests (a JoinList is always queued)
};

struct GroupCounters {
  uint64_t malformed = 0;    // undecodable or invalid messages
  uint64_t over_limit = 0;   // joins dropped because the view is full
  uint64_t ignored = 0;      // joins of members, leaves of non-members
  uint64_t corrections = 0;  // members a JoinList removed (should stay 0)
  uint64_t delivered = 0;    // GroupMessage events
  uint64_t not_local = 0;    // messages for groups without a local member
  uint64_t joinlists_sent = 0;
};

class ProcessGroups {
 public:
  explicit ProcessGroups(NodeId self, GroupLimits limits = {});
  ProcessGroups(ProcessGroups&&) = default;
  ProcessGroups& operator=(ProcessGroups&&) = default;
  ProcessGroups(const ProcessGroups&) = delete;
  ProcessGroups& operator=(const ProcessGroups&) = delete;
  ~ProcessGroups() = default;

  // cpg_join: refused if the name is empty or too long, the process already
  // joined (or asked to), the limits would be exceeded, or the outgoing
  // queue is full (try again).
  Status join(std::string_view group, uint32_t pid);
  // cpg_leave: refused if the process has not joined.
  Status leave(std::string_view group, uint32_t pid);
  // The process ended: it leaves each of its groups with reason kProcDown.
  // Never refused (a process cannot be asked to die again later); it queues
  // at most one message per group, so the queue stays bounded.
  void process_down(uint32_t pid);
  // cpg_mcast_joined: refused unless the process joined (or asked to), or if
  // the payload is too large or the outgoing queue full.
  Status send(std::string_view group, uint32_t pid, std::string_view payload);

  void on_configuration(const Configuration& c);
  void on_delivery(NodeId origin, std::string_view bytes);

  // Outgoing group payloads (untagged), oldest first.
  const std::string* peek_outgoing() const;
  void pop_outgoing();
  std::vector<std::string> take_outgoing();  // all of them (tests)
  size_t outgoing_size() const { return outgoing_.size(); }

  std::vector<GroupEvent> take_events();

  // The agreed view: every group with its members, by name.
  std::vector<GroupInfo> groups() const;
  // Members of one group (empty if unknown).
  std::vector<GroupMember> members(std::string_view group) const;
  // Whether a local process joined (or asked to join) a group.
  bool joined_locally(std::string_view group, uint32_t pid) const;
  NodeId self() const { return self_; }
  const RingId& ring() const { return ring_; }
  const GroupLimits& limits() const { return limits_; }
  const GroupCounters& counters() const { return counters_; }

 private:
  using Members = std::set<GroupMember>;
  // One queued message; joinlists are marked so a newer one replaces them.
  struct Outgoing {
    std::string bytes;
    bool joinlist = false;
  };

  Status check_name(std::string_view group) const;
  Status check_queue() const;
  void queue(const groups::Message& m, bool joinlist = false);
  void queue_joinlist();

  void apply_join(NodeId origin, const std::string& group, uint32_t pid);
  void apply_leave(NodeId origin, const std::string& group, uint32_t pid, GroupReason reason);
  void apply_mcast(NodeId origin, const std::string& group, uint32_t pid, std::string payload);
  void apply_joinlist(NodeId origin, const groups::JoinList& jl);

  bool has_local(const Members& m) const;
  bool has_local(const std::string& group) const;
  // Emits a change for `group` if a local member is in it before or after.
  void announce(const std::string& group, bool local_before, std::vector<GroupAddress> joined,
                std::vector<GroupAddress> left);

  NodeId self_;
  GroupLimits limits_;
  RingId ring_;

  std::map<std::string, Members, std::less<>> view_;  // agreed; no empty groups
  size_t view_members_ = 0;
  std::map<std::string, std::set<uint32_t>, std::less<>> intent_;  // local; no empty groups
  size_t intent_members_ = 0;

  std::deque<Outgoing> outgoing_;
  std::vector<GroupEvent> events_;
  GroupCounters counters_;
};

}  // namespace quorate::membership
