// Replicated volumes with two real quorated processes on loopback and real
// files: create-md, up, the initial sync, writes through the NBD export with
// real clients, kill -9 of the Primary and promotion of the survivor with the
// data checked by checksum, a bitmap resync after a disconnect, and the
// seeds' split brain with its manual repair, and a killed Secondary that
// restarts Consistent in the same boot.
#include <gtest/gtest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <random>

#include <fmt/format.h>

#include "cli/ipc_client.h"
#include "replication/metadata.h"
#include "tests/integration/harness.h"
#include "tests/integration/netns_lab.h"

namespace quorate::itest {
namespace {

namespace fs = std::filesystem;

constexpr uint64_t kDiskBytes = 64ULL << 20;

uint16_t free_tcp_port(const char* addr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = ::inet_addr(addr);
  sa.sin_port = 0;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0) {
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    port = ntohs(sa.sin_port);
  }
  ::close(fd);
  return port;
}

bool have(const std::string& tool) {
  return run_command({"/bin/sh", "-c", "command -v " + tool}).exit_code == 0;
}

// Lines of the file at `path` that contain `what`.
size_t occurrences(const std::string& path, const std::string& what) {
  std::ifstream in(path);
  size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(what) != std::string::npos;
  return n;
}

class Replication : public ::testing::Test {
 protected:
  // More of the resource file, for fixtures below (cluster_ exists by then).
  virtual std::string disk_extra() const { return ""; }
  virtual std::string net_extra() const { return ""; }
  virtual std::string sections_extra() const { return ""; }
  // Where node i's backing file lives (cluster_ exists by then).
  virtual std::string disk_dir(int i) const { return cluster_->node_dir(i); }
  // Meta data in a file of its own (slot 0 of node i's meta.img) instead of
  // at the end of the backing file.
  virtual bool external_meta() const { return false; }
  // What the resource file names as node i's disk, given its backing file.
  virtual std::string backing_device(int /*i*/, const std::string& file) { return file; }
  // Where the nodes run: loopback here, network namespaces below.
  virtual ClusterSpec cluster_spec() { return loopback_spec(2); }
  virtual std::string node_address(int i) const { return fmt::format("127.0.0.{}", i); }
  virtual uint16_t replication_port(const std::string& addr) { return free_tcp_port(addr.c_str()); }
  // The resource file's `device` (what --block-devices links to the volume).
  virtual std::string device() const { return "/dev/drbd0"; }

  void SetUp() override {
    cluster_ = std::make_unique<TestCluster>(cluster_spec());
    ASSERT_TRUE(cluster_->ok()) << cluster_->setup_error();
    const fs::path rdir = fs::path(cluster_->dir()) / "replication.d";
    fs::create_directories(rdir);
    std::string res = std::string("resource r0 {\n  protocol C;\n  device ") + device() + ";\n" +
                      (external_meta() ? "" : "  meta-disk internal;\n") +
                      "  net {\n    verify-alg sha1;\n    cram-hmac-alg sha256;\n    shared-secret \"itest\";\n"
                      "    connect-int 1;\n    ping-int 1;\n" + net_extra() +
                      "  }\n  disk {\n    c-max-rate 4G;\n    c-fill-target 16M;\n" +
                      disk_extra() + "  }\n" + sections_extra();
    for (int i = 1; i <= 2; ++i) {
      disk_[i] = disk_dir(i) + "/disk.img";
      std::ofstream(disk_[i]).close();
      fs::resize_file(disk_[i], kDiskBytes);
      disk_[i] = backing_device(i, disk_[i]);
      const std::string addr = node_address(i);
      std::string meta;
      if (external_meta()) {
        const std::string path = cluster_->node_dir(i) + "/meta.img";
        std::ofstream(path).close();
        fs::resize_file(path, 128 << 20);
        meta = fmt::format("    meta-disk {}[0];\n", path);
      }
      res += fmt::format("  on node{} {{\n    disk {};\n{}    address {}:{};\n  }}\n", i, disk_[i], meta, addr,
                         replication_port(addr));
    }
    res += "}\n";
    std::ofstream(rdir / "r0.res") << res;
    std::string why;
    ASSERT_TRUE(cluster_->start_all(&why)) << why;
  }

  void TearDown() override {
    // kill -9 leaves the FUSE export of a node mounted; detach whatever is
    // mounted under the test's directory before it is removed.
    for (int i = 1; i <= 2 && cluster_; ++i) {
      cluster_->signal(i, SIGTERM);
      cluster_->wait_exit(i, 10000ms);
    }
    std::ifstream mounts("/proc/mounts");
    std::string dev, where, rest;
    while (cluster_ && mounts >> dev >> where && std::getline(mounts, rest)) {
      if (where.rfind(cluster_->dir(), 0) == 0) (void)::umount2(where.c_str(), MNT_DETACH);
    }
    cluster_.reset();
  }

  ipc::Response call(int i, const ipc::Request& r) {
    auto resp = cli::ipc_call(cluster_->socket_path(i), r, 20000ms);
    if (!resp.ok()) {
      ipc::Response e;
      e.set_error("ipc: " + resp.error().message);
      return e;
    }
    return *resp;
  }

  // One drbdadm verb on node i; "" on success, else the daemon's message.
  std::string drbd(int i, const std::string& verb, bool force = false, bool discard = false) {
    ipc::Request r;
    auto* c = r.mutable_replica_command();
    c->set_verb(verb);
    c->set_resource("r0");
    c->set_force(force);
    c->set_discard_my_data(discard);
    return call(i, r).error();
  }

  ipc::ReplicaState state(int i) {
    ipc::Request r;
    r.mutable_replica_status()->set_resource("r0");
    auto resp = call(i, r);
    if (!resp.error().empty() || resp.replica_status().replicas_size() != 1) return {};
    return resp.replica_status().replicas(0);
  }

  bool wait_state(int i, const std::string& cstate, const std::string& disk, Millis timeout = 30000ms) {
    return wait_until(
        [&] {
          auto s = state(i);
          return s.cstate() == cstate && s.disk() == disk;
        },
        timeout);
  }

  std::string sock(int i) { return cluster_->node_dir(i) + "/run/nbd/r0.sock"; }
  std::string uri(int i) { return "nbd+unix:///r0?socket=" + sock(i); }

  std::string describe(int i) {
    auto s = state(i);
    return fmt::format("node{}: cs:{} ro:{}/{} ds:{}/{} oos:{} sb:{}\n{}", i, s.cstate(), s.role(), s.peer_role(),
                       s.disk(), s.peer_disk(), s.counters().count("oos_kib") ? s.counters().at("oos_kib") : 0,
                       s.split_brain(), cluster_->log_tail(i, 15));
  }

  // Both up, the initial sync from node 1 done.
  // The seed's manual split-brain repair with node 2 as the victim:
  // disconnect, secondary, connect --discard-my-data there, then connect on
  // the survivor; both disks end equal and node 1's write (0xaa at 0) stays.
  void repair_split_brain_with_node2_as_victim() {
    ASSERT_EQ(drbd(2, "disconnect"), "");
    ASSERT_EQ(drbd(2, "secondary"), "");
    ASSERT_EQ(drbd(2, "connect", false, true), "");
    ASSERT_EQ(drbd(1, "connect"), "");
    ASSERT_TRUE(wait_state(2, "Connected", "UpToDate")) << describe(1) << describe(2);
    EXPECT_EQ(sha_of_disk(1, 16 << 20), sha_of_disk(2, 16 << 20));
    auto probe = run_command({"qemu-io", "-f", "raw", "-r", "-c", "read -P 0xaa 0 4k", uri(1)});
    EXPECT_EQ(probe.exit_code, 0) << probe.out << probe.err;
  }

  void initial_sync() {
    for (int i = 1; i <= 2; ++i) {
      ASSERT_EQ(drbd(i, "create-md"), "");
      ASSERT_EQ(drbd(i, "up"), "");
    }
    ASSERT_TRUE(wait_state(1, "Connected", "Inconsistent")) << describe(1);
    EXPECT_NE(drbd(1, "primary"), "") << "an Inconsistent disk may not be promoted without --force";
    ASSERT_EQ(drbd(1, "primary", true), "");
    ASSERT_TRUE(wait_state(2, "Connected", "UpToDate")) << describe(2);
    ASSERT_TRUE(wait_state(1, "Connected", "UpToDate")) << describe(1);
  }

  // kill -9 of node 1, the Primary, after `src` (`bytes` long) went through
  // its export: node 2 is promoted and serves the same bytes; node 1 comes
  // back as a crashed primary, rejoins and resyncs.
  void kill_primary_promote_and_rejoin(const std::string& src, uint64_t bytes) {
    ASSERT_TRUE(cluster_->signal(1, SIGKILL));
    ASSERT_TRUE(cluster_->wait_exit(1, 10000ms).has_value());
    ASSERT_TRUE(wait_until([&] { return state(2).cstate() == "WFConnection"; }, 20000ms)) << describe(2);
    ASSERT_EQ(drbd(2, "primary"), "") << describe(2);
    EXPECT_EQ(sha_of_export(2, bytes), sha_of_file(src));
    std::string why;
    ASSERT_TRUE(cluster_->start(1, &why)) << why;
    ASSERT_EQ(drbd(1, "up"), "");
    ASSERT_TRUE(wait_state(1, "Connected", "UpToDate")) << describe(1) << describe(2);
  }

  // Writes `bytes` of seeded random data at `offset` through node i's NBD
  // export with qemu-io; returns its sha256 file for later comparison.
  std::string write_random(int i, uint64_t offset, uint64_t bytes, int seed) {
    const std::string src = cluster_->dir() + fmt::format("/data-{}.bin", seed);
    std::vector<char> buf(bytes);
    std::mt19937 g(static_cast<unsigned>(seed));
    for (auto& c : buf) c = static_cast<char>(g());
    std::ofstream(src, std::ios::binary).write(buf.data(), static_cast<std::streamsize>(buf.size()));
    auto r = run_command({"nbdcopy", "--destination-is-zero", src, uri(i) + ""}, 60000ms);
    (void)offset;
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return src;
  }

  std::string sha_of_export(int i, uint64_t bytes) {
    auto r = run_command({"/bin/sh", "-c",
                          fmt::format("nbdcopy '{}' - | head -c {} | sha256sum", uri(i), bytes)},
                         60000ms);
    return r.exit_code == 0 ? r.out.substr(0, 64) : "error: " + r.err;
  }
  std::string sha_of_file(const std::string& path) {
    auto r = run_command({"sha256sum", path});
    return r.out.substr(0, 64);
  }
  std::string sha_of_disk(int i, uint64_t bytes) {
    auto r = run_command({"/bin/sh", "-c", fmt::format("head -c {} '{}' | sha256sum", bytes, disk_[i])});
    return r.out.substr(0, 64);
  }

  std::unique_ptr<TestCluster> cluster_;
  std::string disk_[3];
};

TEST_F(Replication, InitialSyncThenWritesThroughNbdReachThePeer) {
  initial_sync();
  if (!have("nbdcopy")) GTEST_SKIP() << "nbdcopy (libnbd-bin) is not installed";
  const uint64_t n = 16ULL << 20;
  const std::string src = write_random(1, 0, n, 1);
  EXPECT_EQ(sha_of_export(1, n), sha_of_file(src));
  // Protocol C: acknowledged means on the peer's disk.
  EXPECT_EQ(sha_of_disk(2, n), sha_of_file(src));
  // The Secondary's export refuses writes.
  auto w = run_command({"nbdcopy", src, uri(2)}, 30000ms);
  EXPECT_NE(w.exit_code, 0);
}

TEST_F(Replication, KillPrimaryPromoteSecondaryDataIntact) {
  initial_sync();
  if (!have("nbdcopy")) GTEST_SKIP() << "nbdcopy (libnbd-bin) is not installed";
  const uint64_t n = 8ULL << 20;
  const std::string src = write_random(1, 0, n, 2);
  ASSERT_NO_FATAL_FAILURE(kill_primary_promote_and_rejoin(src, n));
  EXPECT_EQ(state(1).role(), "Secondary");
  EXPECT_EQ(sha_of_disk(1, kDiskBytes - (1 << 20)), sha_of_disk(2, kDiskBytes - (1 << 20)));
}

// Block devices as backing disks (loop devices over the test's files): the
// size comes from BLKGETSIZE64, meta data and FUA writes are RWF_DSYNC writes
// to the device, flushes fdatasync it. Sync, kill -9 of the Primary,
// promotion, rejoin; the devices end equal (meta data aside).
class ReplicationOnLoopDevices : public Replication {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || !have("losetup")) GTEST_SKIP() << "needs root and losetup";
    if (run_command({"losetup", "-f"}).exit_code != 0) GTEST_SKIP() << "no free loop device here";
    Replication::SetUp();
  }
  std::string backing_device(int /*i*/, const std::string& file) override {
    auto l = run_command({"losetup", "-f", "--show", file});
    if (l.exit_code != 0) {
      ADD_FAILURE() << "losetup " << file << ": " << l.err;
      return file;
    }
    loops_.push_back(l.out.substr(0, l.out.find('\n')));
    return loops_.back();
  }
  void TearDown() override {
    Replication::TearDown();
    for (const auto& l : loops_) run_command({"losetup", "-d", l});
  }
  std::vector<std::string> loops_;
};

TEST_F(ReplicationOnLoopDevices, SyncKillPromoteAndRejoinOnBlockDevices) {
  ASSERT_EQ(loops_.size(), 2u);
  initial_sync();
  // The devices take the sync's 1 MiB writes with O_DIRECT (their nodes
  // live on /dev's tmpfs, which must not count).
  for (int i = 1; i <= 2; ++i) {
    EXPECT_EQ(cluster_->log_tail(i, 400).find("go through the page cache"), std::string::npos)
        << cluster_->log_tail(i, 30);
  }
  if (!have("nbdcopy")) GTEST_SKIP() << "nbdcopy (libnbd-bin) is not installed";
  const uint64_t size_kib = state(1).counters().at("size_kib");
  EXPECT_GT(size_kib, kDiskBytes / 1024 - 1024) << "internal meta data takes a little of the device";
  EXPECT_LT(size_kib, kDiskBytes / 1024);
  const uint64_t n = 8ULL << 20;
  const std::string src = write_random(1, 0, n, 4);
  ASSERT_NO_FATAL_FAILURE(kill_primary_promote_and_rejoin(src, n));
  EXPECT_EQ(sha_of_disk(1, size_kib * 1024), sha_of_disk(2, size_kib * 1024));
  EXPECT_EQ(sha_of_disk(1, n), sha_of_file(src));
}

// `meta-disk PATH[0]`: the meta data in slot 0 of a file of its own, the
// whole backing file is data. The same life as with internal meta data —
// sync, writes, kill -9 of the Primary (its activity log resynced from the
// meta file), promotion, rejoin — and the two backing files end up equal
// byte for byte, end included.
class ReplicationExternalMeta : public Replication {
 protected:
  bool external_meta() const override { return true; }
};

TEST_F(ReplicationExternalMeta, SyncWritesKillPromoteAndRejoinLeaveEqualDisks) {
  initial_sync();
  if (!have("nbdcopy")) GTEST_SKIP() << "nbdcopy (libnbd-bin) is not installed";
  EXPECT_EQ(state(1).counters().at("size_kib"), kDiskBytes / 1024) << "all of the backing file is data";
  const uint64_t n = 8ULL << 20;
  const std::string src = write_random(1, 0, n, 3);
  ASSERT_NO_FATAL_FAILURE(kill_primary_promote_and_rejoin(src, n));
  EXPECT_EQ(sha_of_disk(1, kDiskBytes), sha_of_disk(2, kDiskBytes));
  ASSERT_EQ(drbd(1, "down"), "");
  ASSERT_EQ(drbd(1, "up"), "");
  ASSERT_TRUE(wait_state(1, "Connected", "UpToDate")) << describe(1);
}

// Volumes on a RAM-backed file system, where an fdatasync costs µs: after a
// run of fast flushes both daemons flush on the volume's own thread instead
// of handing each flush to a disk thread (daemon/flush_policy.h, the QD1
// latency path), and say so in their logs. What protocol C promises must not
// change: every acknowledged write is on the peer's disk.
class ReplicationOnRam : public Replication {
 protected:
  void SetUp() override {
    struct statvfs v {};
    if (::statvfs("/dev/shm", &v) != 0 || uint64_t{v.f_bavail} * v.f_frsize < 4 * kDiskBytes) {
      GTEST_SKIP() << "/dev/shm is missing or smaller than " << (4 * kDiskBytes >> 20) << " MiB";
    }
    char tmpl[] = "/dev/shm/quorate-itest-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr) << std::strerror(errno);
    ram_dir_ = tmpl;
    for (int i = 1; i <= 2; ++i) fs::create_directories(fmt::format("{}/node{}", ram_dir_, i));
    Replication::SetUp();
  }
  void TearDown() override {
    Replication::TearDown();
    std::error_code ec;
    if (!ram_dir_.empty()) fs::remove_all(ram_dir_, ec);
  }
  std::string disk_dir(int i) const override { return fmt::format("{}/node{}", ram_dir_, i); }

  std::string ram_dir_;
};

TEST_F(ReplicationOnRam, FlushesMoveToTheVolumeThreadAndWritesStillReachThePeer) {
  initial_sync();
  if (!have("fio")) GTEST_SKIP() << "fio is not installed";
  // 4 KiB random writes at queue depth 1, each followed by a flush.
  auto r = run_command({"fio", "--name=q", "--ioengine=nbd", "--uri=" + uri(1), "--rw=randwrite", "--bs=4k",
                        "--size=8M", "--iodepth=1", "--fsync=1", "--number_ios=1500", "--randrepeat=0"},
                       120000ms);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  const std::string inline_line = "data flushes now run on the volume's thread";
  EXPECT_NE(cluster_->log_tail(1, 400).find(inline_line), std::string::npos) << cluster_->log_tail(1, 30);
  EXPECT_NE(cluster_->log_tail(2, 400).find(inline_line), std::string::npos) << cluster_->log_tail(2, 30);
  // Protocol C: what fio was told is written is on the peer's disk.
  EXPECT_EQ(sha_of_disk(1, 8 << 20), sha_of_disk(2, 8 << 20));
  // And the Secondary's copy is what a failover would serve.
  ASSERT_TRUE(cluster_->signal(1, SIGKILL));
  ASSERT_TRUE(cluster_->wait_exit(1, 10000ms).has_value());
  ASSERT_TRUE(wait_until([&] { return state(2).cstate() == "WFConnection"; }, 20000ms)) << describe(2);
  ASSERT_EQ(drbd(2, "primary"), "") << describe(2);
  if (have("nbdcopy")) {
    EXPECT_EQ(sha_of_export(2, 8 << 20), sha_of_disk(1, 8 << 20));
  }
}

// The Secondary writes later epochs before earlier ones are flushed and says
// so in its superblock ("unordered writes", with the boot id). A kill -9 of
// its daemon (same boot: the page cache keeps every completed write) must
// leave the disk Consistent — only a power loss makes it Outdated — and the
// reconnect resyncs what the Primary's transfer log marked.
TEST_F(Replication, KilledSecondaryRestartsConsistentInTheSameBoot) {
  initial_sync();
  if (!have("fio")) GTEST_SKIP() << "fio is not installed";
  // Sustained writes with 8 in flight: many epochs, so the flag is set.
  const std::string fio_out = cluster_->dir() + "/fio.out";
  std::string fio_path = run_command({"/bin/sh", "-c", "command -v fio"}).out;
  while (!fio_path.empty() && fio_path.back() == '\n') fio_path.pop_back();
  ProcessSet procs;
  std::string err;
  const pid_t fio = procs.spawn({fio_path, "--name=w", "--ioengine=nbd", "--uri=" + uri(1), "--rw=randwrite",
                                 "--bs=64k", "--iodepth=8", "--size=32M", "--time_based", "--runtime=4"},
                                fio_out, &err);
  ASSERT_GT(fio, 0) << err;
  // The superblock on node 2's disk (the last 4 KiB; read through the page
  // cache, as a restarted daemon does).
  auto superblock = [&]() -> std::optional<replication::Superblock> {
    std::ifstream f(disk_[2], std::ios::binary);
    std::vector<uint8_t> area(replication::kSuperblockBytes);
    f.seekg(static_cast<std::streamoff>(kDiskBytes - area.size()));
    f.read(reinterpret_cast<char*>(area.data()), static_cast<std::streamsize>(area.size()));
    auto sb = replication::decode_superblock_area(area);
    if (!sb.ok()) return std::nullopt;
    return *sb;
  };
  ASSERT_TRUE(wait_until(
      [&] {
        auto sb = superblock();
        return sb && sb->has(replication::kMdUnorderedWrites);
      },
      10000ms))
      << "the Secondary never recorded unordered writes\n" << describe(2);
  ASSERT_TRUE(cluster_->signal(2, SIGKILL));
  ASSERT_TRUE(cluster_->wait_exit(2, 10000ms).has_value());
  auto sb = superblock();
  ASSERT_TRUE(sb && sb->has(replication::kMdUnorderedWrites)) << "the flag is on disk at the kill";
  EXPECT_NE(sb->boot_id, replication::BootId{}) << "the daemon recorded this boot";
  std::string why;
  ASSERT_TRUE(cluster_->start(2, &why)) << why;
  ASSERT_EQ(drbd(2, "up"), "");
  EXPECT_NE(state(2).disk(), "Outdated") << "a daemon restart in the same boot must not outdate the disk";
  EXPECT_EQ(cluster_->log_tail(2, 200).find("may be torn"), std::string::npos);
  const auto done = procs.wait_exit(fio, 60000ms);
  ASSERT_TRUE(done.has_value()) << "fio did not end";
  EXPECT_TRUE(WIFEXITED(*done) && WEXITSTATUS(*done) == 0) << cluster_->log_tail(1, 20);
  ASSERT_TRUE(wait_state(2, "Connected", "UpToDate")) << describe(2);
  ASSERT_TRUE(wait_until([&] { auto s = superblock(); return s && !s->has(replication::kMdUnorderedWrites); },
                         10000ms))
      << "the flag is cleared once idle";
  EXPECT_EQ(sha_of_disk(1, 32 << 20), sha_of_disk(2, 32 << 20));
}

TEST_F(Replication, DisconnectWriteReconnectResyncsOnlyChangedBlocks) {
  initial_sync();
  if (!have("qemu-io")) GTEST_SKIP() << "qemu-io (qemu-utils) is not installed";
  ASSERT_EQ(drbd(2, "disconnect"), "");
  ASSERT_TRUE(wait_until([&] { return state(1).cstate() == "WFConnection"; }, 10000ms)) << describe(1);
  // Node 1 dials; node 2, StandAlone, accepts and closes. Node 1 must retry
  // once per connect-int (1 s here), not at once (it did, ~11,000 times a second).
  const auto dials_from = std::chrono::steady_clock::now();
  const size_t dials_before = occurrences(cluster_->output_path(1), "connection with node2 established");
  // 3 writes of 64 KiB: 48 blocks of 4 KiB change.
  auto r = run_command({"qemu-io", "-f", "raw", "-c", "write -P 0x11 0 64k", "-c", "write -P 0x22 1M 64k", "-c",
                        "write -P 0x33 8M 64k", uri(1)},
                       30000ms);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(state(1).counters().at("oos_kib"), 192u);
  const size_t dials = occurrences(cluster_->output_path(1), "connection with node2 established") - dials_before;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - dials_from);
  EXPECT_LE(dials, static_cast<size_t>(seconds.count()) + 2) << "dialled the StandAlone peer " << dials << " times in "
                                                              << seconds.count() << " s (connect-int 1)";
  const uint64_t received_before = state(2).counters().at("nr");
  ASSERT_EQ(drbd(2, "connect"), "");
  ASSERT_TRUE(wait_state(2, "Connected", "UpToDate")) << describe(2);
  EXPECT_EQ(state(2).counters().at("nr") - received_before, 192u) << "only the changed blocks travel";
  EXPECT_EQ(sha_of_disk(1, 16 << 20), sha_of_disk(2, 16 << 20));
}

TEST_F(Replication, SeedSplitBrainAndManualRepair) {
  initial_sync();
  if (!have("qemu-io")) GTEST_SKIP() << "qemu-io (qemu-utils) is not installed";
  // The seed cuts the network; here both sides disconnect.
  ASSERT_EQ(drbd(1, "disconnect"), "");
  ASSERT_EQ(drbd(2, "disconnect"), "");
  ASSERT_EQ(drbd(2, "primary"), "");
  ASSERT_EQ(run_command({"qemu-io", "-f", "raw", "-c", "write -P 0xaa 0 4k", uri(1)}).exit_code, 0);
  ASSERT_EQ(run_command({"qemu-io", "-f", "raw", "-c", "write -P 0xbb 4M 4k", uri(2)}).exit_code, 0);
  ASSERT_EQ(drbd(1, "connect"), "");
  ASSERT_EQ(drbd(2, "connect"), "");
  ASSERT_TRUE(wait_until([&] { return !state(1).split_brain().empty() && state(1).cstate() == "StandAlone"; },
                         20000ms))
      << describe(1) << describe(2);
  ASSERT_NO_FATAL_FAILURE(repair_split_brain_with_node2_as_victim());
}

// The seed's split brain as it happens there: the replication link is cut
// (node 2's veth moves to an island bridge), both sides take writes as
// Primary, the link comes back, the split brain is detected and refused, and
// the seed's manual repair makes node 2 the victim.
class ReplicationOverNetns : public Replication {
 protected:
  void SetUp() override {
    const std::string missing = netns_missing_prerequisite();
    if (!missing.empty()) GTEST_SKIP() << "network-namespace test skipped: " << missing;
    remove_stale_namespaces();
    lab_ = std::make_unique<NetnsLab>(2);
    ASSERT_TRUE(lab_->build()) << lab_->error();
    Replication::SetUp();
  }
  ClusterSpec cluster_spec() override {
    ClusterSpec spec;
    spec.port = 5405;  // fresh namespaces: nothing else there
    for (int i = 1; i <= 2; ++i) {
      spec.nodes.push_back(NodeSpec{NetnsLab::address(i), {"ip", "netns", "exec", lab_->node_ns(i)}, {}});
    }
    return spec;
  }
  std::string node_address(int i) const override { return NetnsLab::address(i); }
  uint16_t replication_port(const std::string&) override { return 7789; }
  std::unique_ptr<NetnsLab> lab_;  // destroyed after TearDown stopped the nodes
};

TEST_F(ReplicationOverNetns, SeedSplitBrainAfterANetworkCutAndManualRepair) {
  if (!have("qemu-io")) GTEST_SKIP() << "qemu-io (qemu-utils) is not installed";
  initial_sync();
  ASSERT_TRUE(lab_->attach({2}, "br1")) << lab_->error();
  // Each side finds the peer gone by itself (ping-int 1, ping-timeout 0.5 s).
  ASSERT_TRUE(wait_until([&] { return state(1).cstate() == "WFConnection" && state(2).cstate() == "WFConnection"; },
                         20000ms))
      << describe(1) << describe(2);
  ASSERT_EQ(drbd(2, "primary"), "") << describe(2);
  ASSERT_EQ(run_command({"qemu-io", "-f", "raw", "-c", "write -P 0xaa 0 4k", uri(1)}).exit_code, 0);
  ASSERT_EQ(run_command({"qemu-io", "-f", "raw", "-c", "write -P 0xbb 4M 4k", uri(2)}).exit_code, 0);
  ASSERT_TRUE(lab_->attach({2}, "br0")) << lab_->error();
  ASSERT_TRUE(wait_until(
      [&] {
        return !state(1).split_brain().empty() && state(1).cstate() == "StandAlone" &&
               state(2).cstate() != "Connected";
      },
      30000ms))
      << describe(1) << describe(2);
  EXPECT_EQ(state(1).role(), "Primary");
  EXPECT_EQ(state(2).role(), "Primary");
  EXPECT_NE(sha_of_disk(1, 16 << 20), sha_of_disk(2, 16 << 20)) << "never merged silently";
  ASSERT_NO_FATAL_FAILURE(repair_split_brain_with_node2_as_victim());
  auto lost = run_command({"qemu-io", "-f", "raw", "-r", "-c", "read -P 0xbb 4M 4k", uri(1)});
  EXPECT_NE(lost.out.find("Pattern verification failed"), std::string::npos)
      << "the victim's write was discarded: " << lost.out << lost.err;
}

// quorated --nbd-tcp: the same export on TCP, port base + minor, for a real
// NBD client (nbdinfo), named in the status; a bad value is a usage error.
class ReplicationNbdTcp : public Replication {
 protected:
  ClusterSpec cluster_spec() override {
    ClusterSpec spec = loopback_spec(2);
    base_port_ = free_tcp_port("127.0.0.1");
    for (auto& n : spec.nodes) n.extra_args = {"--nbd-tcp", fmt::format("{}:{}", n.address, base_port_)};
    return spec;
  }
  uint16_t base_port_ = 0;
};

TEST_F(ReplicationNbdTcp, TheExportIsServedOverTcpToo) {
  if (!have("nbdinfo")) GTEST_SKIP() << "nbdinfo (libnbd-bin) is not installed";
  initial_sync();
  const std::string where = fmt::format("127.0.0.1:{}", base_port_);  // minor 0
  EXPECT_EQ(state(1).nbd_tcp(), where);
  auto info = run_command({"nbdinfo", "--size", fmt::format("nbd://{}/r0", where)}, 20000ms);
  ASSERT_EQ(info.exit_code, 0) << info.err;
  EXPECT_EQ(std::stoull(info.out), state(1).counters().at("size_kib") * 1024);
  auto bad = run_command({bin("quorated"), "--config", "/nonexistent", "--nbd-tcp", "localhost:99999"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--nbd-tcp 'localhost:99999': not an IP address"), std::string::npos) << bad.err;
}

// The User's Guide's temporary dual-primary: `drbdadm net-options
// --protocol=C --allow-two-primaries r0` on both nodes (the file says
// nothing of it), the second Primary, and `adjust` back to the file.
TEST_F(Replication, NetOptionsAllowTwoPrimariesUntilTheNextAdjust) {
  initial_sync();
  auto adm_cmd = [&](int i, std::vector<std::string> args) {
    std::vector<std::string> argv = {bin("drbdadm"), "--socket", cluster_->socket_path(i)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 30000ms);
  };
  EXPECT_NE(drbd(2, "primary"), "") << "not allowed by the file";
  auto bad = adm_cmd(1, {"disk-options", "--resync-rate=fast", "r0"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.err.find("disk-options --resync-rate"), std::string::npos) << bad.err;
  for (int i = 1; i <= 2; ++i) {
    auto r = adm_cmd(i, {"net-options", "--protocol=C", "--allow-two-primaries", "r0"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  }
  ASSERT_EQ(drbd(2, "primary"), "") << describe(2);
  EXPECT_EQ(state(1).role(), "Primary");
  EXPECT_EQ(state(1).cstate(), "Connected") << "no reconnect";
  auto rate = adm_cmd(2, {"disk-options", "--c-plan-ahead=0", "--resync-rate=110M", "r0"});
  EXPECT_EQ(rate.exit_code, 0) << rate.err;
  EXPECT_NE(rate.out.find("resync rate settings changed"), std::string::npos) << rate.out;
  // Back to the file: refused while both are Primary, fine after a demotion.
  EXPECT_NE(adm_cmd(1, {"adjust", "r0"}).exit_code, 0);
  ASSERT_EQ(drbd(2, "secondary"), "");
  for (int i = 1; i <= 2; ++i) EXPECT_EQ(adm_cmd(i, {"adjust", "r0"}).exit_code, 0);
  EXPECT_NE(drbd(2, "primary"), "") << "the file's setting again";
}

// allow-two-primaries (the seed's net section): both nodes Primary, fio
// writing random blocks of the same 4 MiB through both exports at once, so
// that writes cross on the wire; the two disks must end identical (the
// conflict resolution of docs/formats/replication-peer.md, "Two Primaries").
class ReplicationTwoPrimaries : public Replication {
 protected:
  std::string net_extra() const override { return "    allow-two-primaries;\n"; }
};

TEST_F(ReplicationTwoPrimaries, BothPrimariesWriteTheSameBlocksAndTheDisksStayIdentical) {
  if (!have("fio")) GTEST_SKIP() << "fio is not installed";
  initial_sync();
  ASSERT_EQ(drbd(2, "primary"), "") << describe(2);
  EXPECT_EQ(state(1).peer_role(), "Primary");
  const uint64_t region = 4ULL << 20;
  auto fio = [&](int i, int seed) {
    return fmt::format("fio --name=w{} --ioengine=nbd --uri='{}' --rw=randwrite --bsrange=4k-64k --iodepth=16 "
                       "--size={} --io_size=48M --randseed={} --output=/dev/null",
                       i, uri(i), region, seed);
  };
  auto r = run_command({"/bin/sh", "-c", fio(1, 11) + " & a=$!; " + fio(2, 22) + " ; b=$?; wait $a && exit $b"},
                       300000ms);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  // Protocol C: every write acknowledged is on both disks.
  EXPECT_EQ(sha_of_export(1, region), sha_of_export(2, region));
  EXPECT_EQ(sha_of_disk(1, region), sha_of_disk(2, region));
  for (int i = 1; i <= 2; ++i) {
    auto s = state(i);
    EXPECT_EQ(s.cstate(), "Connected") << describe(i);
    EXPECT_EQ(s.counters().at("oos_kib"), 0u) << describe(i);
  }
  // How often the writes crossed (node 1's name sorts first: it resolves).
  std::printf("conflicts resolved by node1: %zu\n",
              occurrences(cluster_->output_path(1), "concurrent writes of both Primaries"));
  // Both can step down again; an online verify then finds nothing.
  ASSERT_EQ(drbd(2, "secondary"), "");
  ASSERT_EQ(drbd(2, "verify"), "");
  ASSERT_TRUE(wait_until([&] { return state(2).cstate() == "Connected"; }, 60000ms)) << describe(2);
  EXPECT_EQ(state(2).counters().at("oos_kib"), 0u) << describe(2);
}

// DRBD refuses to demote or take down a device that is open. Quorate's
// volume is open when NBD clients are connected to its export, or when
// another process holds its FUSE file (a loop device set up by hand).
TEST_F(Replication, SecondaryAndDownAreRefusedWhileTheVolumeIsInUse) {
  initial_sync();
  // An NBD client connected to the Primary's export (a raw connection is one).
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strncpy(sa.sun_path, sock(1).c_str(), sizeof(sa.sun_path) - 1);
  ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)), 0) << std::strerror(errno);
  std::string refused;
  ASSERT_TRUE(wait_until([&] { return !(refused = drbd(1, "secondary")).empty(); }, 10000ms));
  EXPECT_NE(refused.find("(-12) Device is held open by someone (1 NBD client connected to " + sock(1) + ")"),
            std::string::npos)
      << refused;
  EXPECT_EQ(state(1).role(), "Primary");
  ::close(fd);
  ASSERT_TRUE(wait_until([&] { return drbd(1, "secondary").empty(); }, 10000ms)) << drbd(1, "secondary");
  EXPECT_EQ(state(1).role(), "Secondary");

  // A loop device on the Secondary's FUSE file, set up by hand: `down` is refused until it is gone.
  const std::string file = cluster_->node_dir(2) + "/run/fuse/r0/r0";
  if (::geteuid() != 0 || !have("losetup") || !fs::exists(file)) {
    GTEST_SKIP() << "the FUSE part needs root, losetup and the FUSE export";
  }
  auto l = run_command({"losetup", "-f", "--show", "-r", file});
  ASSERT_EQ(l.exit_code, 0) << l.err;
  const std::string loop = l.out.substr(0, l.out.find('\n'));
  refused = drbd(2, "down");
  run_command({"losetup", "-d", loop});
  EXPECT_NE(refused.find("(-12) Device is held open by someone (" + file + " is open 1 time: a loop device"),
            std::string::npos)
      << refused;
  ASSERT_TRUE(wait_until([&] { return drbd(2, "down").empty(); }, 10000ms)) << drbd(2, "down");
}

// quorated --block-devices: the volume is a block device at the resource
// file's `device` path (here a name of this test's own, not /dev/drbd0), so
// the seeds' mkfs and mount work on it; demoting or taking down a mounted
// volume is refused as DRBD refuses it; down lets go of the device.
class ReplicationBlockDevice : public Replication {
 protected:
  void SetUp() override {
    if (::geteuid() != 0 || !fs::exists("/dev/fuse") || !fs::exists("/dev/loop-control") || !have("mkfs.ext4")) {
      GTEST_SKIP() << "needs root, /dev/fuse, /dev/loop-control and mkfs.ext4";
    }
    Replication::SetUp();
  }
  ClusterSpec cluster_spec() override {
    ClusterSpec spec = loopback_spec(2);
    spec.nodes[0].extra_args = {"--block-devices"};  // node 2 (same machine) would want the same path
    return spec;
  }
  std::string device() const override { return fmt::format("/dev/qit{}-r0 minor 0", ::getpid()); }
};

TEST_F(ReplicationBlockDevice, MkfsAndMountOnTheDevicePathThenDownLetsItGo) {
  initial_sync();
  const std::string dev = fmt::format("/dev/qit{}-r0", ::getpid());
  ASSERT_TRUE(wait_until([&] { return !state(1).block_device().empty(); }, 10000ms))
      << describe(1) << cluster_->log_tail(1, 30);
  const std::string loop = state(1).block_device();
  ASSERT_EQ(state(1).block_links_size(), 1);
  EXPECT_EQ(state(1).block_links(0), dev);
  EXPECT_EQ(fs::read_symlink(dev).string(), loop);
  const std::string mnt = cluster_->dir() + "/mnt";
  fs::create_directories(mnt);
  ASSERT_EQ(run_command({"mkfs.ext4", "-q", dev}, 60000ms).exit_code, 0);
  ASSERT_EQ(run_command({"mount", dev, mnt}).exit_code, 0);
  struct Unmount {
    std::string dir;
    ~Unmount() {
      if (!dir.empty()) run_command({"umount", dir});
    }
  } unmount{mnt};
  ASSERT_EQ(run_command({"/bin/sh", "-c", "echo hello > '" + mnt + "/f' && sync"}).exit_code, 0);
  const std::string refused = drbd(1, "secondary");
  EXPECT_NE(refused.find("(-12) Device is held open by someone (" + dev + " is mounted or in use)"),
            std::string::npos)
      << refused;
  EXPECT_NE(drbd(1, "down").find("(-12) Device is held open by someone"), std::string::npos);
  EXPECT_EQ(state(1).role(), "Primary");
  ASSERT_EQ(run_command({"umount", mnt}).exit_code, 0);
  unmount.dir.clear();
  ASSERT_EQ(drbd(1, "secondary"), "");
  ASSERT_EQ(drbd(1, "down"), "");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dev))) << "the link is gone";
  const std::string backing = "/sys/block/" + fs::path(loop).filename().string() + "/loop/backing_file";
  EXPECT_FALSE(fs::exists(backing)) << "the loop device is free again";
  // The file system is on the replica: node 2 mounts the same file.
  ASSERT_EQ(drbd(2, "primary"), "") << describe(2);
  auto show = run_command({"/bin/sh", "-c",
                           fmt::format("l=$(losetup -f --show -r '{}') && mkdir -p '{}2' && mount -o ro $l '{}2' && "
                                       "cat '{}2/f'; umount '{}2'; losetup -d $l",
                                       cluster_->node_dir(2) + "/run/fuse/r0/r0", mnt, mnt, mnt, mnt)});
  EXPECT_EQ(show.out, "hello\n") << show.err;
  // Up and at once down twice, while the device may still be being set up:
  // no hang, both answered, and no loop device is left on node 1's export.
  ASSERT_EQ(drbd(1, "up"), "");
  const std::string adm = fmt::format("'{}' --socket '{}'", bin("drbdadm"), cluster_->socket_path(1));
  auto two = run_command({"/bin/sh", "-c",
                          fmt::format("{0} down r0 & a=$!; {0} down r0; b=$?; wait $a; echo $? $b", adm)},
                         30000ms);
  EXPECT_EQ(two.out, "0 0\n") << two.err;
  EXPECT_FALSE(state(1).up());
  auto left = run_command({"losetup", "-a"});
  EXPECT_EQ(left.out.find(cluster_->node_dir(1) + "/run/fuse/r0/r0"), std::string::npos) << left.out;
}

// kill -9 leaves the loop device and the link behind: the restarted
// quorated replaces the link and lets go of the old device.
TEST_F(ReplicationBlockDevice, ARestartAfterKill9LetsGoOfTheOldLoopDevice) {
  initial_sync();
  const std::string dev = fmt::format("/dev/qit{}-r0", ::getpid());
  ASSERT_TRUE(wait_until([&] { return !state(1).block_device().empty(); }, 10000ms)) << describe(1);
  const std::string old_loop = state(1).block_device();
  const std::string old_backing = "/sys/block/" + fs::path(old_loop).filename().string() + "/loop/backing_file";
  ASSERT_TRUE(cluster_->signal(1, SIGKILL));
  ASSERT_TRUE(cluster_->wait_exit(1, 10000ms).has_value());
  EXPECT_TRUE(fs::exists(old_backing)) << "kill -9 leaves the device attached";
  std::string why;
  ASSERT_TRUE(cluster_->start(1, &why)) << why;
  ASSERT_EQ(drbd(1, "up"), "") << cluster_->log_tail(1, 20);
  ASSERT_TRUE(wait_until([&] { return !state(1).block_device().empty(); }, 10000ms)) << cluster_->log_tail(1, 20);
  EXPECT_NE(state(1).block_device(), old_loop);
  EXPECT_EQ(fs::read_symlink(dev).string(), state(1).block_device());
  EXPECT_FALSE(fs::exists(old_backing)) << "the old device was let go";
  ASSERT_EQ(drbd(1, "down"), "");
  EXPECT_FALSE(fs::exists(fs::symlink_status(dev)));
}

// `drbdadm adjust` after editing the resource file, as an operator does on
// both nodes: a protocol change reconnects with the new protocol, a
// StandAlone resource connects, and a change that needs down/up says so.
TEST_F(Replication, AdjustAppliesTheEditedFileAndConnectsAStandAloneResource) {
  initial_sync();
  const std::string file = cluster_->dir() + "/replication.d/r0.res";
  const auto edit = [&](const std::string& from, const std::string& to) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    std::string s = text.str();
    const size_t at = s.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    s.replace(at, from.size(), to);
    std::ofstream(file, std::ios::trunc) << s;
  };
  const auto adjust = [&](int i) {
    return run_command({bin("drbdadm"), "--socket", cluster_->socket_path(i), "adjust", "r0"}, 30000ms);
  };
  edit("protocol C;", "protocol B;");
  edit("ping-int 1;", "ping-int 2;");
  auto a1 = adjust(1);
  EXPECT_EQ(a1.exit_code, 0) << a1.err;
  EXPECT_NE(a1.out.find("r0: protocol changed (reconnecting)"), std::string::npos) << a1.out;
  EXPECT_NE(a1.out.find("r0: ping-int changed"), std::string::npos) << a1.out;
  EXPECT_EQ(adjust(2).exit_code, 0);
  // Until both run B, their handshake refuses the other (StandAlone); a
  // second adjust connects what that left StandAlone.
  ASSERT_TRUE(wait_until(
      [&] {
        for (int i = 1; i <= 2; ++i) {
          if (state(i).cstate() == "StandAlone") adjust(i);
        }
        return state(1).cstate() == "Connected" && state(2).cstate() == "Connected";
      },
      30000ms))
      << describe(1) << describe(2);
  EXPECT_EQ(state(1).protocol(), "B");
  EXPECT_EQ(state(2).protocol(), "B");
  EXPECT_EQ(state(2).disk(), "UpToDate");

  // StandAlone after `disconnect`: adjust connects it, as the file says.
  ASSERT_EQ(drbd(2, "disconnect"), "");
  ASSERT_TRUE(wait_state(2, "StandAlone", "UpToDate")) << describe(2);
  auto a2 = adjust(2);
  EXPECT_EQ(a2.exit_code, 0) << a2.err;
  EXPECT_NE(a2.out.find("r0: connecting (was StandAlone)"), std::string::npos) << a2.out;
  ASSERT_TRUE(wait_state(2, "Connected", "UpToDate")) << describe(2);

  // A different backing file cannot be swapped in while up.
  edit(disk_[1] + ";", disk_[1] + ".other;");
  auto a3 = adjust(1);
  EXPECT_NE(a3.exit_code, 0);
  EXPECT_NE(a3.err.find("r0: disk or meta-disk changed while up: needs `drbdadm down r0` and `drbdadm up r0`"),
            std::string::npos)
      << a3.err;
  EXPECT_EQ(state(1).cstate(), "Connected") << "a refused adjust changes nothing";
}

// `drbdadm detach` (to replace a disk): the Primary keeps serving through
// the peer; `attach` while up says what to do instead; down/up as Secondary
// brings the disk back with a full sync.
// DRBD's replacement of a failed disk, without stopping the Primary: detach,
// a new disk at the same path, create-md, attach; the Primary serves through
// the peer meanwhile, then from the new disk once its full sync is done.
TEST_F(Replication, APrimaryReplacesItsDiskWithDetachCreateMdAttachAndKeepsServing) {
  if (!have("qemu-io")) GTEST_SKIP() << "qemu-io (qemu-utils) is not installed";
  initial_sync();
  auto io = [&](const std::string& cmd) {
    auto r = run_command({"qemu-io", "-f", "raw", "-c", cmd, uri(1)}, 30000ms);
    EXPECT_EQ(r.exit_code, 0) << cmd << ": " << r.out << r.err;
    EXPECT_EQ(r.out.find("error"), std::string::npos) << cmd << ": " << r.out;
  };
  io("write -P 0x11 1M 64k");
  ASSERT_EQ(drbd(1, "detach"), "");
  ASSERT_TRUE(wait_until([&] { return state(1).disk() == "Diskless"; }, 10000ms)) << describe(1);
  EXPECT_EQ(state(2).peer_disk(), "Diskless");
  io("write -P 0x5a 2M 64k");
  io("read -P 0x5a 2M 64k");
  // create-md is refused where the disk is attached, allowed where it was let go.
  EXPECT_NE(drbd(2, "create-md").find("up with its disk attached"), std::string::npos);
  fs::remove(disk_[1]);
  std::ofstream(disk_[1]).close();
  fs::resize_file(disk_[1], kDiskBytes);
  ASSERT_EQ(drbd(1, "create-md"), "");
  ASSERT_EQ(drbd(1, "attach"), "") << describe(1);
  EXPECT_EQ(state(1).role(), "Primary");
  EXPECT_NE(state(1).disk(), "Diskless");
  io("write -P 0x77 3M 64k");  // during (or just after) the sync
  ASSERT_TRUE(wait_state(1, "Connected", "UpToDate")) << describe(1);
  EXPECT_EQ(state(1).role(), "Primary");
  EXPECT_EQ(sha_of_disk(1, 16 << 20), sha_of_disk(2, 16 << 20));
  // The new disk holds everything: read with the peer gone.
  ASSERT_EQ(drbd(2, "disconnect"), "");
  ASSERT_TRUE(wait_until([&] { return state(1).cstate() == "WFConnection"; }, 10000ms)) << describe(1);
  io("read -P 0x11 1M 64k");
  io("read -P 0x5a 2M 64k");
  io("read -P 0x77 3M 64k");
  // Attaching what is attached is a no-op; a second Diskless attach needs a disk with meta data.
  EXPECT_EQ(drbd(1, "attach"), "");
}

TEST_F(Replication, DownWritesCleanMetadataAndUpReattaches) {
  initial_sync();
  ASSERT_EQ(drbd(2, "down"), "");
  EXPECT_FALSE(state(2).up());
  EXPECT_EQ(state(2).cstate(), "Unconfigured");
  ASSERT_EQ(drbd(2, "up"), "");
  ASSERT_TRUE(wait_state(2, "Connected", "UpToDate")) << describe(2);
  EXPECT_NE(drbd(2, "create-md"), "") << "create-md refuses while up";
  ASSERT_EQ(drbd(2, "down"), "");
  const std::string again = drbd(2, "create-md");
  EXPECT_NE(again.find("already holds valid meta data"), std::string::npos) << again;
}

// The seeds' commands, typed through the real drbdadm and quorate tools, and
// a real filesystem on the FUSE export: losetup + mkfs.ext4 + mount, files
// written, then the Primary is killed and the other node mounts its copy.
TEST_F(Replication, SeedCommandsAndExt4OnTheFuseExportSurvivesFailover) {
  if (::geteuid() != 0 || !fs::exists("/dev/fuse") || !have("losetup") || !have("mkfs.ext4")) {
    GTEST_SKIP() << "needs root, /dev/fuse, losetup and mkfs.ext4";
  }
  if (run_command({"losetup", "-f"}).exit_code != 0) GTEST_SKIP() << "no free loop device here";
  auto adm = [&](int i, std::vector<std::string> args) {
    std::vector<std::string> argv{bin("drbdadm"), "--socket", cluster_->socket_path(i)};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, 30000ms);
  };
  for (int i = 1; i <= 2; ++i) {
    auto c = adm(i, {"create-md", "r0"});
    ASSERT_EQ(c.exit_code, 0) << c.out << c.err;
    EXPECT_NE(c.out.find("New drbd meta data block successfully created."), std::string::npos) << c.out;
    ASSERT_EQ(adm(i, {"up", "r0"}).exit_code, 0);
  }
  ASSERT_TRUE(wait_until([&] { return adm(1, {"cstate", "r0"}).out == "Connected\n"; }, 20000ms));
  EXPECT_EQ(adm(1, {"dstate", "r0"}).out, "Inconsistent/Inconsistent\n");
  auto p = adm(1, {"--", "--force", "primary", "r0"});
  ASSERT_EQ(p.exit_code, 0) << p.err;
  ASSERT_TRUE(wait_until([&] { return adm(1, {"dstate", "r0"}).out == "UpToDate/UpToDate\n"; }, 30000ms))
      << describe(1);
  EXPECT_EQ(adm(1, {"role", "r0"}).out, "Primary/Secondary\n");
  EXPECT_EQ(adm(2, {"role", "r0"}).out, "Secondary/Primary\n");
  auto proc = run_command({bin("quorate"), "replica", "status", "--proc", "--socket", cluster_->socket_path(1)});
  EXPECT_NE(proc.out.find(" 0: cs:Connected ro:Primary/Secondary ds:UpToDate/UpToDate C r-----"),
            std::string::npos)
      << proc.out << proc.err;

  struct Mounted {  // undone in reverse order, also when an assertion fails
    std::string loop, dir;
    ~Mounted() {
      if (!dir.empty()) run_command({"umount", dir});
      if (!loop.empty()) run_command({"losetup", "-d", loop});
    }
  };
  const std::string file1 = cluster_->node_dir(1) + "/run/fuse/r0/r0";
  const std::string file2 = cluster_->node_dir(2) + "/run/fuse/r0/r0";
  if (!fs::exists(file1)) GTEST_SKIP() << "the FUSE export did not mount here:\n" << cluster_->log_tail(1);
  const std::string mnt = cluster_->dir() + "/mnt";
  fs::create_directories(mnt);
  std::string sums;
  {
    Mounted m;
    auto l = run_command({"losetup", "--direct-io=on", "-f", "--show", file1});
    ASSERT_EQ(l.exit_code, 0) << l.err;
    m.loop = l.out.substr(0, l.out.find('\n'));
    ASSERT_EQ(run_command({"mkfs.ext4", "-q", m.loop}, 60000ms).exit_code, 0);
    ASSERT_EQ(run_command({"mount", m.loop, mnt}).exit_code, 0);
    m.dir = mnt;
    ASSERT_EQ(run_command({"/bin/sh", "-c",
                           fmt::format("cd '{}' && head -c 3000000 /dev/urandom > big && echo hello > small && "
                                       "mkdir d && seq 1 20000 > d/numbers && sync",
                                       mnt)})
                  .exit_code,
              0);
    sums = run_command({"/bin/sh", "-c", fmt::format("cd '{}' && sha256sum big small d/numbers", mnt)}).out;
    ASSERT_FALSE(sums.empty());
    // The seed's drbd-overview, with the mount columns found through the loop device.
    auto ov = run_command({bin("drbd-overview"), "--socket", cluster_->socket_path(1)});
    EXPECT_EQ(ov.exit_code, 0) << ov.err;
    EXPECT_NE(ov.out.find(" 0:r0/0  Connected Primary/Secondary UpToDate/UpToDate " + mnt + " ext4 "),
              std::string::npos)
        << ov.out;
  }
  // Hard failure of the Primary; the survivor takes over with the seed's command.
  ASSERT_TRUE(cluster_->signal(1, SIGKILL));
  ASSERT_TRUE(cluster_->wait_exit(1, 10000ms).has_value());
  (void)::umount2((cluster_->node_dir(1) + "/run/fuse/r0").c_str(), MNT_DETACH);
  ASSERT_TRUE(wait_until([&] { return adm(2, {"cstate", "r0"}).out == "WFConnection\n"; }, 20000ms));
  auto pr = adm(2, {"primary", "r0"});
  ASSERT_EQ(pr.exit_code, 0) << pr.err;
  {
    Mounted m;
    auto l = run_command({"losetup", "--direct-io=on", "-f", "--show", file2});
    ASSERT_EQ(l.exit_code, 0) << l.err;
    m.loop = l.out.substr(0, l.out.find('\n'));
    ASSERT_EQ(run_command({"mount", m.loop, mnt}).exit_code, 0);
    m.dir = mnt;
    EXPECT_EQ(run_command({"/bin/sh", "-c", fmt::format("cd '{}' && sha256sum big small d/numbers", mnt)}).out,
              sums);
  }
}


// Resource-level fencing with a real fence-peer handler: a shell script that
// outdates the peer through the peer's own quorated (the "other path" a real
// deployment has) and exits 4, or exits 5 when the peer does not answer. Set
// FENCE_HOLD to make it wait for the file DIR/fence.release first.
class ReplicationFencing : public Replication {
 protected:
  virtual std::string policy() const { return "resource-only"; }
  std::string disk_extra() const override { return "    fencing " + policy() + ";\n"; }
  std::string sections_extra() const override {
    const std::string dir = cluster_->dir();
    const std::string script = dir + "/fence.sh";
    std::ofstream(script) << fmt::format(
        "#!/bin/sh\n"
        "echo \"fence-peer $DRBD_RESOURCE peer=$DRBD_PEER minor=$DRBD_MINOR\" >> '{0}/fence.log'\n"
        "if [ -e '{0}/fence.hold' ]; then\n"
        "  while [ ! -e '{0}/fence.release' ]; do sleep 0.05; done\n"
        "fi\n"
        "'{1}' --socket '{0}/'\"$DRBD_PEER\"/run/quorated.sock outdate \"$DRBD_RESOURCE\" >> '{0}/fence.log' 2>&1 "
        "&& exit 4\n"
        "'{1}' --socket '{0}/'\"$DRBD_PEER\"/run/quorated.sock role \"$DRBD_RESOURCE\" >/dev/null 2>&1 || exit 5\n"
        "exit 1\n",
        dir, bin("drbdadm"));
    return fmt::format("  handlers {{\n    fence-peer \"/bin/sh {}\";\n  }}\n", script);
  }
  std::string fence_log() {
    auto r = run_command({"cat", cluster_->dir() + "/fence.log"});
    return r.out;
  }
};

TEST_F(ReplicationFencing, PromotionWithoutThePeerOutdatesItFirst) {
  initial_sync();
  ASSERT_EQ(drbd(1, "secondary"), "");
  ASSERT_EQ(drbd(2, "disconnect"), "");
  ASSERT_TRUE(wait_state(2, "StandAlone", "UpToDate")) << describe(2);
  ASSERT_TRUE(wait_until([&] { return state(1).cstate() == "WFConnection"; }, 20000ms)) << describe(1);
  // node2 cannot ask node1 over the replication link: fence-peer outdates it.
  ASSERT_EQ(drbd(2, "primary"), "") << describe(2) << fence_log();
  EXPECT_NE(fence_log().find("fence-peer r0 peer=node1 minor=0"), std::string::npos) << fence_log();
  auto s2 = state(2);
  EXPECT_EQ(s2.role(), "Primary");
  EXPECT_EQ(s2.peer_disk(), "Outdated");
  EXPECT_EQ(state(1).disk(), "Outdated");
  EXPECT_NE(cluster_->log_tail(2, 40).find("fence-peer helper returned 4 (peer was fenced)"), std::string::npos)
      << cluster_->log_tail(2, 40);
  // The outdated node may not take over without --force.
  const std::string refused = drbd(1, "primary");
  EXPECT_NE(refused.find("(-2) Need access to UpToDate data"), std::string::npos) << refused;
  // Reconnected, it resyncs from the new Primary and is UpToDate again.
  ASSERT_EQ(drbd(2, "connect"), "");
  ASSERT_TRUE(wait_state(1, "Connected", "UpToDate")) << describe(1);
  // `fencing` in the disk section (8.4's place) draws a warning: in the log
  // once, not once for each of the commands above (each re-reads the file).
  EXPECT_EQ(occurrences(cluster_->output_path(2), "read as net fencing"), 1u);
}

TEST_F(ReplicationFencing, APrimaryThatLosesItsPeerOutdatesIt) {
  initial_sync();
  ASSERT_EQ(drbd(2, "disconnect"), "");
  // node1's handler runs on its own (it is Primary and lost its peer).
  ASSERT_TRUE(wait_until([&] { return state(2).disk() == "Outdated"; }, 20000ms)) << describe(1) << fence_log();
  EXPECT_NE(fence_log().find("fence-peer r0 peer=node2"), std::string::npos) << fence_log();
  ASSERT_TRUE(wait_until([&] { return state(1).peer_disk() == "Outdated"; }, 20000ms)) << describe(1);
  const std::string refused = drbd(2, "primary");
  EXPECT_NE(refused.find("(-2) Need access to UpToDate data"), std::string::npos) << refused;
  EXPECT_EQ(state(2).role(), "Secondary");
}

TEST_F(ReplicationFencing, AnUnreachablePeerCountsAsFencedForUpToDateData) {
  initial_sync();
  ASSERT_TRUE(cluster_->signal(1, SIGKILL));
  ASSERT_TRUE(cluster_->wait_exit(1, 10000ms).has_value());
  ASSERT_TRUE(wait_until([&] { return state(2).cstate() == "WFConnection"; }, 20000ms)) << describe(2);
  ASSERT_EQ(drbd(2, "primary"), "") << describe(2) << fence_log();
  EXPECT_NE(cluster_->log_tail(2, 40).find("fence-peer helper returned 5 (peer is unreachable, assumed to be dead)"),
            std::string::npos)
      << cluster_->log_tail(2, 40);
  EXPECT_EQ(state(2).peer_disk(), "Outdated");
}

class ReplicationStonith : public ReplicationFencing {
 protected:
  std::string policy() const override { return "resource-and-stonith"; }
};

TEST_F(ReplicationStonith, LosingThePeerFreezesIoUntilFencePeerSucceeds) {
  initial_sync();
  std::ofstream(cluster_->dir() + "/fence.hold").close();
  ASSERT_EQ(drbd(2, "disconnect"), "");
  // The Primary lost its peer: I/O frozen while the handler runs.
  ASSERT_TRUE(wait_until([&] { return state(1).io_suspended(); }, 20000ms)) << describe(1);
  auto proc = run_command({bin("quorate"), "replica", "status", "--proc", "--socket", cluster_->socket_path(1)});
  EXPECT_NE(proc.out.find(" s-----"), std::string::npos) << proc.out;
  // A write waits (qemu-io in the background, its exit recorded in a file).
  const std::string done_file = cluster_->dir() + "/write.done";
  ASSERT_EQ(run_command({"/bin/sh", "-c",
                         fmt::format("(qemu-io -f raw -c 'write -P 0x5a 0 64k' '{0}' >/dev/null 2>&1; echo $? > '{1}.tmp'; "
                                     "mv '{1}.tmp' '{1}') </dev/null >/dev/null 2>&1 &",
                                     uri(1), done_file)})
                .exit_code,
            0);
  // Give the write every chance to (wrongly) complete while frozen, then
  // check it has not: polling for a state that must not come.
  EXPECT_FALSE(wait_until([&] { return fs::exists(done_file); }, 1500ms)) << "a write completed while frozen";
  std::ofstream(cluster_->dir() + "/fence.release").close();
  ASSERT_TRUE(wait_until([&] { return !state(1).io_suspended(); }, 20000ms)) << describe(1) << fence_log();
  ASSERT_TRUE(wait_until([&] { return fs::exists(done_file); }, 20000ms));
  std::ifstream in(done_file);
  int rc = -1;
  in >> rc;
  EXPECT_EQ(rc, 0);
  EXPECT_EQ(state(1).peer_disk(), "Outdated");
  EXPECT_EQ(state(2).disk(), "Outdated");
}

}  // namespace
}  // namespace quorate::itest
