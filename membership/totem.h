// Totem: the single-ring ordering and membership protocol, sans-IO.
//
// One Totem object is one node's protocol state. It owns no socket, thread,
// clock or random source: the caller feeds it inputs through step() and
// drains the outputs with take_ready(). The daemon drives it with Boost.Asio
// UDP sockets and a steady clock; tests/sim drives many of them with a
// simulated network and clock.
//
// The protocol (docs/formats/totem.md): a token rotates around the ring in
// node-id order. Holding the token a member broadcasts new messages with
// sequence numbers taken from the token, re-broadcasts messages others
// asked for, and asks for what it misses. Messages are delivered in sequence
// order (agreed), or once every member holds them (safe). A lost token, a
// join message or a packet from a foreign ring starts a membership change:
// gather (agree on who is reachable), commit (a commit token goes round
// twice, collecting each member's old-ring state), recovery (members of the
// same old ring exchange the old ring's messages so they all deliver the
// same ones), then the new ring is installed: a transitional configuration
// followed by a regular one (Extended Virtual Synchrony).
//
// Thread-safety: none; one thread drives one object.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/result.h"
#include "membership/types.h"

namespace quorate::totem {
class Packet;
class Token;
class Mcast;
class Join;
class CommitToken;
class MergeDetect;
class Wake;
class TokenAck;
}  // namespace quorate::totem

namespace quorate::membership {

struct TotemParams {
  uint32_t token_ms = 3000;  // token loss timeout (after token_coefficient)
  uint32_t token_retransmit_ms = 714;
  uint32_t hold_ms = 571;     // idle rotation pause at the representative
  uint32_t join_ms = 50;      // join resend interval
  uint32_t send_join_ms = 0;  // first join of a gather waits 0..send_join ms
  uint32_t consensus_ms = 3600;
  uint32_t merge_ms = 200;
  uint32_t downcheck_ms = 1000;
  uint32_t fail_recv_const = 2500;
  uint32_t window_size = 50;
  uint32_t max_messages = 17;
  uint32_t fragment_bytes = 1400;        // largest payload piece in one packet
  uint32_t max_message_bytes = 1 << 20;  // largest message submit() accepts
  uint32_t max_pending = 8192;           // submit queue bound, in fragments
};

enum class Guarantee { kAgreed, kSafe };
enum class TotemState { kOperational, kGather, kCommit, kRecovery };
const char* to_string(TotemState s);

struct Delivery {
  NodeId origin = 0;
  RingId ring;
  uint64_t seq = 0;  // seq of the message's last fragment on `ring`
  bool safe = false;
  std::string payload;
};

// Typed notes for logs, metrics and `explain` (STYLE.md: observability).
struct TotemNote {
  enum class Kind {
    kTokenLost,    // value: ms since the last token
    kEnterGather,  // text: why
    kEnterCommit,
    kEnterRecovery,
    kConsensusTimeout,  // text: nodes added to the fail set
    kFailedToReceive,
    kMergeDetected,  // value: node of the foreign ring
    kInstalled,      // value: number of members
  };
  Kind kind;
  int64_t value = 0;
  std::string text;
};

using TotemEvent = std::variant<Configuration, Delivery, TotemNote>;

struct Outgoing {
  NodeId to = 0;
  std::shared_ptr<const std::string> bytes;  // one serialized totem Packet
};

// Output batch. Ordering contract: send `messages` (any order, unreliable is
// fine), then hand `events` to the layer above in exactly this order.
struct Ready {
  std::vector<Outgoing> messages;
  std::vector<TotemEvent> events;
  bool empty() const { return messages.empty() && events.empty(); }
};

namespace input {
struct Receive {
  NodeId from;
  std::string_view bytes;
};  // `from` as authenticated by the frame
struct Tick {};
struct Submit {
  std::string payload;
  Guarantee guarantee = Guarantee::kAgreed;
};
struct Leave {};  // announce a clean leave, then stop taking part
}  // namespace input
using Input = std::variant<input::Receive, input::Tick, input::Submit, input::Leave>;

struct TotemCounters {
  uint64_t packets_in = 0, packets_out = 0, malformed = 0, foreign = 0, stale = 0;
  uint64_t tokens = 0, token_retransmits = 0, mcasts_sent = 0, retransmits = 0;
  uint64_t delivered = 0, rings_formed = 0, token_losses = 0, consensus_timeouts = 0;
  uint64_t submit_rejected = 0;
};

class Totem {
 public:
  // `nodelist`: every configured node (including self). `incarnation` must
  // grow each time this node starts; `ring_seq` is the highest ring seq this
  // node ever saw (persisted by the caller), so new rings outnumber old ones.
  Totem(NodeId self, std::vector<NodeId> nodelist, TotemParams params, uint64_t incarnation,
        uint64_t ring_seq, Time now);
  ~Totem();
  Totem(const Totem&) = delete;
  Totem& operator=(const Totem&) = delete;

  // The single entry point. Submit may be refused (queue full, too large);
  // everything else returns Ok (bad packets are counted and dropped).
  Status step(const Input& in, Time now);

  Ready take_ready();
  Time next_deadline() const;

  NodeId self() const { return self_; }
  TotemState state() const { return state_; }
  const RingId& ring_id() const { return installed_.ring; }
  const std::vector<NodeId>& members() const { return installed_.members; }
  uint64_t high_ring_seq() const { return high_ring_seq_; }
  const TotemCounters& counters() const { return counters_; }
  size_t pending() const { return pending_.size() - pending_head_; }
  bool left() const { return left_; }
  std::string debug_string() const;  // internal sequence state, for traces

 private:
  struct Stored;    // an mcast we hold, by seq
  struct Pending;   // a fragment waiting for the token
  struct Assembly;  // fragments of one message being reassembled

  // inputs
  void on_packet(NodeId from, std::string_view bytes);
  void on_tick();
  Status on_submit(const std::string& payload, Guarantee g);
  void on_leave();

  // per-state packet handlers
  void handle_token(NodeId from, const totem::Token& t);
  void handle_mcast(NodeId from, const totem::Mcast& m);
  void handle_join(NodeId from, uint64_t incarnation, const totem::Join& j);
  void handle_commit(NodeId from, const totem::CommitToken& c);
  void handle_merge(NodeId from, const totem::MergeDetect& m);
  void handle_wake(NodeId from, const totem::Wake& w);
  void handle_ack(NodeId from, const totem::TokenAck& a);
  void send_ack(NodeId to, const RingId& ring, uint64_t token_seq, uint32_t commit_hop);
  void send_token_packet(NodeId to, std::unique_ptr<totem::Packet> p);

  // operational ring
  void process_token(totem::Token& t);
  void forward_token(const totem::Token& t);
  uint32_t send_new_messages(totem::Token& t, uint32_t allowance);
  uint32_t send_recovery_messages(totem::Token& t, uint32_t allowance);
  void store_mcast(const totem::Mcast& m);
  void update_aru();
  void deliver_ready();
  void deliver_message(const totem::Mcast& m, const RingId& ring,
                       std::map<NodeId, std::unique_ptr<Assembly>>& assembly);
  void collect_garbage(uint64_t upto);

  // membership
  void enter_gather(std::string why, NodeId add = 0);
  void send_join();
  bool consensus_reached() const;
  void maybe_commit();
  void on_consensus_timeout();
  void create_commit_token();
  void forward_commit(totem::CommitToken& c);
  void enter_commit(totem::CommitToken& c);
  void enter_recovery(const totem::CommitToken& c);
  void install(totem::Token& t);
  std::vector<NodeId> gather_members() const;

  void broadcast(const totem::Packet& p, const std::vector<NodeId>& to);
  void send_to(NodeId to, const totem::Packet& p);
  totem::Packet packet() const;
  NodeId next_member() const;
  void note(TotemNote::Kind k, int64_t value = 0, std::string text = {});

  const NodeId self_;
  const std::vector<NodeId> nodelist_;
  const TotemParams p_;
  const uint64_t incarnation_;
  Time now_;

  TotemState state_ = TotemState::kGather;
  bool left_ = false;
  uint64_t high_ring_seq_ = 0;
  std::map<NodeId, uint64_t> incarnations_;  // highest seen per node

  // The last installed (regular) configuration, and the ring being worked on.
  Configuration installed_;
  RingId ring_;                       // ring of the token we take part in
  std::vector<NodeId> ring_members_;  // sorted

  // Messages of ring_ (operational or recovery), by seq.
  std::map<uint64_t, std::unique_ptr<Stored>> store_;
  uint64_t my_aru_ = 0;
  uint64_t high_seq_received_ = 0;
  uint64_t delivered_upto_ = 0;  // operational: every seq <= this is delivered
  uint64_t safe_upto_ = 0;       // aru known to every member
  uint64_t prev_token_aru_ = 0;
  uint64_t last_token_seq_ = 0;              // hop counter of the last token taken
  uint64_t woke_at_token_seq_ = UINT64_MAX;  // last_token_seq_ when we last sent a Wake
  uint32_t my_last_fcc_ = 0;
  uint32_t my_last_backlog_ = 0;
  uint64_t aru_stuck_rotations_ = 0;
  uint64_t last_my_aru_at_token_ = 0;
  std::map<NodeId, std::unique_ptr<Assembly>> assembly_;

  // Old ring's messages kept for recovery and delivered at install.
  std::map<uint64_t, std::unique_ptr<Stored>> old_store_;
  uint64_t old_delivered_upto_ = 0;
  uint64_t old_aru_ = 0;
  uint64_t old_high_ = 0;
  std::map<NodeId, std::unique_ptr<Assembly>> old_assembly_;
  std::vector<NodeId> recovery_group_;    // new members that come from our old ring
  std::vector<uint64_t> recovery_queue_;  // old seqs to re-broadcast
  size_t recovery_next_ = 0;
  uint32_t rep_clean_rotations_ = 0;
  uint64_t rep_last_seq_ = 0;

  // Submit queue (fragments).
  std::vector<std::unique_ptr<Pending>> pending_;
  size_t pending_head_ = 0;
  uint64_t next_msg_id_ = 1;

  // Token custody.
  std::unique_ptr<totem::Token> held_token_;  // held by the representative while idle
  std::unique_ptr<totem::Packet> last_sent_token_;
  NodeId last_sent_token_to_ = 0;
  Time last_token_at_{0};
  std::optional<Time> token_retransmit_at_;
  Time last_sent_token_at_{0};
  Time token_retransmit_interval_{0};  // grows after each resend (backoff)
  bool token_resent_ = false;          // Karn: no round-trip sample from resent tokens
  int64_t rtt_ewma_us_ = 0;            // round trip of token -> ack
  std::optional<Time> hold_until_;

  // Gather.
  std::set<NodeId> proc_set_, fail_set_;
  std::map<NodeId, std::pair<std::set<NodeId>, std::set<NodeId>>> joins_;  // latest per node
  std::optional<Time> join_resend_at_;
  std::optional<Time> consensus_at_;
  Time view_changed_at_{0};
  std::set<NodeId> known_outsiders_;
  uint64_t gathers_ = 0;  // gather entries, for the send_join spread  // this gather: nodes seen
                          // from outside the installed ring

  // Merge detection.
  std::optional<Time> merge_at_;

  Ready ready_;
  TotemCounters counters_;
};

}  // namespace quorate::membership
