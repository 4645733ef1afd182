// A two-node test bench for Replica: in-memory disks, a lossless in-order
// link, and a manual clock. Every output is applied in a deterministic order
// when run() is called; nothing is random unless a test asks for it.
// Used by the engine unit tests; the seeded fault simulator is tests/sim.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "replication/engine.h"

namespace quorate::replication::test {

struct MemDisk {
  std::vector<uint8_t> bytes;  // backing device: data + internal meta data
  bool fail_writes = false;  // data-device writes and flushes fail with EIO
  bool fail_reads = false;   // data-device reads fail with EIO
  bool fail_md_writes = false;  // meta-data writes fail with EIO
};

struct Node {
  std::string name;
  MemDisk disk;
  MdLayout layout;
  std::unique_ptr<Replica> r;
  std::deque<std::vector<uint8_t>> to_peer;
  std::map<uint64_t, out::AppDone> done;   // by app id
  std::vector<std::string> events;
  std::vector<std::string> handlers;
  std::map<uint64_t, Status> commands;  // CommandDone by ticket
  std::deque<out::DiskIo> disk_queue;
  bool hold_disk = false;  // leave DiskIo queued (to test in-flight states)
  bool hold_flushes = false;  // leave data-device flushes queued; other I/O completes past them
  BootId boot_id{1, 2, 3};  // this node's current boot (attach after a power loss: change it)
  // A stalled stream: once `hold` says yes to a message this node sends, that
  // message and every later one wait in `held` (in order) until
  // Pair::release(); a link going down drops them.
  std::function<bool(const std::vector<uint8_t>& frame)> hold;
  bool stalled = false;
  std::deque<std::vector<uint8_t>> held;
  bool record = false;                        // keep a copy of every message sent in `sent`
  std::vector<std::vector<uint8_t>> sent;
  uint64_t data_flushes = 0;  // data-device flushes completed
  // Every disk I/O this node issued and completed, in order (no data).
  struct IoEvent {
    bool completed = false;
    out::DiskIo::Dev dev = out::DiskIo::Dev::kData;
    out::DiskIo::Op op = out::DiskIo::Op::kRead;
    uint64_t offset = 0;
    uint32_t length = 0;
  };
  std::vector<IoEvent> io_trace;
};

class Pair {
 public:
  explicit Pair(uint64_t backing_bytes = 64ULL << 20, EngineOptions base = {});
  Node& a() { return nodes_[0]; }
  Node& b() { return nodes_[1]; }
  Millis now() const { return now_; }

  // create-md on both, attach, as `drbdadm create-md; up` would.
  void create_and_attach(Node& n);
  // Restart a node from what its disk holds (after crash()).
  void attach(Node& n);
  void crash(Node& n);  // drop the engine without any clean shutdown
  void link_up();
  void link_down();
  // Lets a stalled stream (Node::hold) go on: the held messages go out first.
  void release(Node& n);
  bool linked() const { return linked_; }
  // Deliver messages, run disk I/O, until nothing moves (bounded).
  void run(int max_rounds = 100000);
  // Completes the first queued disk I/O of `n` that `which` picks (for tests
  // that hold the disk and finish I/O one at a time); false when none is.
  bool complete_first(Node& n, const std::function<bool(const out::DiskIo&)>& which);
  // Advance time by `ms` in 100 ms ticks, running between ticks.
  void advance(int64_t ms);

  // `drbdadm primary`: starts the promotion; a two-node state change or the
  // fence-peer handler may make it wait. promote() runs until it is decided.
  uint64_t start_primary(Node& n, bool force);
  Status promote(Node& n, bool force);
  std::optional<Status> result_of(Node& n, uint64_t ticket) const;
  // A handler the node asked for (Node::handlers) ended with this exit code.
  void handler_done(Node& n, const std::string& name, int exit_code);

  uint64_t write(Node& n, uint64_t offset, std::vector<uint8_t> data, bool fua = false);
  uint64_t flush(Node& n);
  uint64_t read(Node& n, uint64_t offset, uint32_t length);
  std::vector<uint8_t> data_of(const Node& n) const;  // the data area

  EngineOptions options_for(const Node& n) const;
  // When set, node b uses this shared-secret instead of the common one.
  std::optional<std::string> b_secret;

 private:
  void drain(Node& n);
  void apply_io(Node& n, const out::DiskIo& io);
  Node nodes_[2];
  EngineOptions base_;
  Millis now_{1000};
  bool linked_ = false;
  uint64_t next_app_id_ = 1;
  uint64_t seed_ = 7;
};

}  // namespace quorate::replication::test
