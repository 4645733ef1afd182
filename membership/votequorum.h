// Votequorum: one node's vote-based quorum state, sans-IO. Quorate exactly
// when Corosync's votequorum would be (exec/votequorum.c, votequorum(5)):
//
//   quorum = max((highest_expected + 2) / 2, (total_votes + 2) / 2), never
//   lowered except by an explicit run-time change, last_man_standing or a
//   quorate peer's expected votes; two_node forces quorum 1 while at most two
//   nodes are members; wait_for_all withholds quorum until total votes equal
//   expected votes (re-armed whenever quorum is lost); auto_tie_breaker
//   grants quorum to the half (total == expected / 2) holding the tie-breaker
//   node; last_man_standing lowers expected votes to the current member count
//   once the membership has been stable for last_man_standing_window.
//
// Corosync's corner cases are kept, not fixed, so that both stacks agree:
// two_node applies again whenever a third node leaves; a list tie-breaker
// judges against the previous ring only; the lowest/highest tie-breaker is
// the one of the last partition that was quorate by votes (none after a
// fresh start). A node whose own votes already reach quorum (a one-node
// cluster) is quorate at create() and announces it then.
//
// Ordering contract (the caller is the daemon or a test harness):
//   1. Every regular configuration totem installs goes to on_configuration()
//      (including the first, possibly single-node, ring). Votequorum then
//      queues this node's NodeInfo: broadcast take_outgoing() via totem in
//      agreed order, after the configuration, in the order returned.
//   2. Every votequorum payload totem delivers goes to on_message() in
//      delivery order; all members see the same sequence. Once the NodeInfo
//      of every member of the current ring has been delivered (the sync
//      step), the quorum state of the new ring is computed and announced
//      with a QuorumEvent. Until then the previously announced value holds.
//   3. Local admin requests (request_*) validate against the local view and
//      queue a Reconfigure; it takes effect on every member (this one too)
//      when delivered back through on_message().
//   4. on_tick() at or after next_deadline() (last_man_standing_window).
//   After any input, drain take_outgoing() (broadcast, in order) and
//   take_events() (hand to the layer above, in order).
//
// Ownership: a value-like object owning all its state; movable, not copyable.
// Thread-safety: none; one thread drives one object. No globals: several
// nodes fit in one process.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "membership/cluster_config.h"
#include "membership/types.h"

namespace quorate::votequorum {
class NodeInfo;
class Reconfigure;
}  // namespace quorate::votequorum

namespace quorate::membership {

// A node as votequorum knows it. kDead: was a member, left the ring.
// kLeaving: announced a clean shutdown (allow_downscale).
enum class VqNodeState { kMember, kDead, kLeaving };
const char* to_string(VqNodeState s);

struct VqNode {
  NodeId nodeid = 0;
  VqNodeState state = VqNodeState::kDead;
  uint32_t votes = 0;
  uint32_t expected_votes = 0;
  bool local = false;
};

// Announced to the layer above (Corosync's quorum service callback): after
// every sync step, and whenever quorate changes outside one.
struct QuorumEvent {
  RingId ring;
  std::vector<NodeId> members;  // the ring's members, sorted
  bool quorate = false;
  bool quorate_changed = false;  // differs from the previous announcement
};

// What corosync-quorumtool -s / -l show.
struct QuorumState {
  NodeId self = 0;
  RingId ring;
  std::vector<NodeId> members;  // current ring, sorted
  bool quorate = false;         // as last announced (QuorumEvent)
  bool sync_in_progress = false;
  uint32_t quorum = 0;
  uint32_t expected_votes = 0;  // this node's
  uint32_t highest_expected = 0;
  uint32_t total_votes = 0;
  bool wait_for_all_status = false;  // still waiting for all nodes
  uint32_t ev_tracking_barrier = 0;  // to persist when allow_downscale is on
  // In corosync-quorumtool's words and order: "2Node", "Quorate",
  // "WaitForAll", "LastManStanding", "AutoTieBreaker", "AllowDownscale".
  // "Quorate" reflects the votequorum calculation, which during a sync step
  // may run ahead of `quorate`.
  std::vector<std::string> flags;
  std::vector<VqNode> nodes;  // every node ever seen, by nodeid
};

class Votequorum {
 public:
  // Reads the quorum section like Corosync at startup. `self` picks this
  // node's nodelist entry; a node absent from the nodelist behaves as if
  // there were none (needs quorum.expected_votes). `ev_tracking_barrier` is
  // the persisted highest expected votes (allow_downscale), 0 if none.
  // Errors carry Corosync's text ("configuration error: ..."); settings that
  // Corosync silently disables are reported in warnings().
  static Result<Votequorum> create(const QuorumConfig& config,
                                   const std::vector<NodeEntry>& nodelist, NodeId self, Time now,
                                   uint32_t ev_tracking_barrier = 0);

  Votequorum(Votequorum&&) = default;
  Votequorum& operator=(Votequorum&&) = default;
  Votequorum(const Votequorum&) = delete;
  Votequorum& operator=(const Votequorum&) = delete;
  ~Votequorum() = default;

  // A new regular configuration: its ring and members (must include self).
  Status on_configuration(const RingId& ring, const std::vector<NodeId>& members, Time now);
  // A votequorum payload delivered by totem in agreed order. Malformed bytes,
  // or a sender that is not a member, are rejected without any effect.
  Status on_message(NodeId from, std::string_view bytes, Time now);
  void on_tick(Time now);
  std::optional<Time> next_deadline() const { return lms_deadline_; }

  // corosync-quorumtool -e N. Refused (quorum would exceed the current total
  // votes, or N == 0) with the tool's message.
  Status request_expected_votes(uint32_t expected_votes);
  // corosync-quorumtool -v VOTES [-n NODEID]; nodeid 0 means this node.
  Status request_votes(NodeId node, uint32_t votes);
  // cmap quorum.cancel_wait_for_all: stop waiting for all nodes.
  Status request_cancel_wait_for_all();
  // Clean shutdown: with allow_downscale, tell the others we are leaving.
  void leave();

  std::vector<std::string> take_outgoing();
  std::vector<QuorumEvent> take_events();
  QuorumState state() const;
  bool quorate() const { return announced_quorate_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  enum class Atb { kNone, kLowest, kHighest, kList };
  struct Node {
    NodeId nodeid = 0;
    VqNodeState state = VqNodeState::kDead;
    uint32_t votes = 0;
    uint32_t expected_votes = 0;
    uint32_t flags = 0;  // kFlag* in votequorum.cc
  };
  // Result of a quorum calculation over the current member nodes.
  struct Tally {
    uint64_t quorum = 0;
    uint64_t total_votes = 0;
  };
  // A hypothetical vote count for one node (request_votes validation).
  struct VotesOverride {
    NodeId nodeid = 0;
    uint32_t votes = 0;
  };

  explicit Votequorum(NodeId self);

  Node& us() { return nodes_.at(self_); }
  const Node& us() const { return nodes_.at(self_); }

  // The quorum core, in Corosync's three steps: calculate the quorum value,
  // recalculate (store it, raise expected votes to the total), decide.
  Tally calculate(bool allow_decrease, uint64_t max_expected, bool downscale,
                  std::optional<VotesOverride> votes_override) const;
  void recalculate(bool allow_decrease, bool by_current_nodes);
  void decide(uint64_t total_votes);
  bool tie_breaker_side() const;
  bool member(std::optional<NodeId> id) const;
  void set_wait_for_all_status(bool waiting);
  void announce();
  void finish_sync();

  Status handle_nodeinfo(NodeId from, const votequorum::NodeInfo& m);
  Status handle_reconfigure(const votequorum::Reconfigure& m);
  void send_nodeinfo();
  void send_reconfigure(int param, NodeId node, uint32_t value);

  // configuration (fixed at create(), except last_man_standing which a
  // node with more than one vote disables, as in Corosync)
  NodeId self_;
  bool two_node_ = false;
  bool wait_for_all_ = false;
  bool last_man_standing_ = false;
  Time last_man_standing_window_{};
  Atb tie_breaker_ = Atb::kNone;
  std::vector<NodeId> tie_breaker_list_;
  bool allow_downscale_ = false;
  bool ev_tracking_ = false;

  // votequorum view
  std::map<NodeId, Node> nodes_;  // always holds self_
  uint64_t quorum_ = 0;
  bool cluster_is_quorate_ = false;
  bool wait_for_all_status_ = false;
  std::optional<NodeId> lowest_node_;  // of the last partition quorate by votes
  std::optional<NodeId> highest_node_;
  uint64_t ev_barrier_ = 0;
  uint64_t ev_tracking_barrier_ = 0;

  // membership and sync
  RingId ring_;
  std::vector<NodeId> members_;
  std::vector<NodeId> previous_members_;
  bool sync_in_progress_ = false;
  std::vector<NodeId> sync_waiting_;  // members whose NodeInfo is still due
  std::optional<Time> lms_deadline_;
  bool announced_quorate_ = false;

  // outputs
  std::vector<std::string> outgoing_;
  std::vector<QuorumEvent> events_;
  std::vector<std::string> warnings_;
};

}  // namespace quorate::membership
