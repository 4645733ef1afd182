// Shared steps of the engine's two-node scenarios (pair.h): data patterns,
// status, and the initial sync every scenario starts from. gtest assertions
// inside; call from TEST bodies only.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tests/unit/replication_engine/pair.h"

namespace quorate::replication::test {

inline std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  std::mt19937 g(seed);
  for (auto& b : v) b = static_cast<uint8_t>(g());
  return v;
}

inline ReplicaStatus st(Pair& p, Node& n) { return n.r->status(p.now()); }

// Whether one of n's events (log lines) contains `part`.
inline bool has_event(const Node& n, const std::string& part) {
  return std::any_of(n.events.begin(), n.events.end(),
                     [&](const std::string& e) { return e.find(part) != std::string::npos; });
}

// `len` bytes of n's data area from `off`.
inline std::vector<uint8_t> range_of(const Pair& p, const Node& n, uint64_t off, size_t len) {
  const auto d = p.data_of(n);
  return std::vector<uint8_t>(d.begin() + static_cast<std::ptrdiff_t>(off),
                              d.begin() + static_cast<std::ptrdiff_t>(off + len));
}

// Both nodes up with fresh meta data, connected, `primary --force` on alpha,
// initial sync finished.
inline void initial_sync(Pair& p) {
  p.create_and_attach(p.a());
  p.create_and_attach(p.b());
  ASSERT_TRUE(p.a().r->connect(false, p.now()).ok());
  ASSERT_TRUE(p.b().r->connect(false, p.now()).ok());
  p.run();
  ASSERT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  ASSERT_EQ(st(p, p.a()).disk, DiskState::kInconsistent);
  ASSERT_EQ(st(p, p.b()).peer_disk, DiskState::kInconsistent);
  ASSERT_FALSE(p.promote(p.a(), false).ok());  // Inconsistent needs --force
  ASSERT_TRUE(p.promote(p.a(), true).ok());
  p.run();
  p.advance(2000);
  ASSERT_EQ(st(p, p.a()).cstate, ConnState::kConnected);
  ASSERT_EQ(st(p, p.a()).disk, DiskState::kUpToDate);
  ASSERT_EQ(st(p, p.b()).disk, DiskState::kUpToDate);
  ASSERT_EQ(st(p, p.a()).role, Role::kPrimary);
  ASSERT_EQ(st(p, p.b()).peer_role, Role::kPrimary);
}

}  // namespace quorate::replication::test

namespace quorate::replication {
// The scenario vocabulary, for every test file that includes this header.
using test::has_event;
using test::initial_sync;
using test::Node;
using test::Pair;
using test::pattern;
using test::range_of;
using test::st;
}  // namespace quorate::replication
