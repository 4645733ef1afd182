// Votequorum rules, one test group per Corosync feature (votequorum(5),
// exec/votequorum.c): plain majority, expected_votes, two_node,
// wait_for_all, last_man_standing, auto_tie_breaker, run-time changes,
// allow_downscale, the sync step and malformed messages.
#include "membership/votequorum.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "harness.h"
#include "proto/votequorum.pb.h"

namespace quorate::membership {
namespace {

using testing::Cluster;
using testing::has_flag;
using testing::majority;
using testing::make_nodelist;

std::vector<NodeId> range(NodeId from, NodeId to) {
  std::vector<NodeId> v;
  for (NodeId i = from; i <= to; ++i) v.push_back(i);
  return v;
}

// ---------------------------------------------------------------------------
// Plain majority

TEST(VotequorumMajority, FreshPartitionQuorateExactlyWithMajority) {
  for (uint32_t n = 1; n <= 8; ++n) {
    for (uint32_t k = 1; k <= n; ++k) {
      Cluster c(majority(), make_nodelist(n));
      c.start_all();
      c.ring(range(1, k));
      const bool want = 2 * k > n;
      QuorumState s = c.state(1);
      EXPECT_EQ(c.quorate(1), want) << n << " nodes, " << k << " up";
      EXPECT_EQ(s.expected_votes, n);
      EXPECT_EQ(s.quorum, n / 2 + 1);
      EXPECT_EQ(s.total_votes, k);
      EXPECT_EQ(has_flag(s, "Quorate"), want);
    }
  }
}

TEST(VotequorumMajority, SplitAfterFullRingKeepsQuorumOnTheMajoritySide) {
  for (uint32_t n = 2; n <= 8; ++n) {
    for (uint32_t k = 1; k < n; ++k) {
      Cluster c(majority(), make_nodelist(n));
      c.start_all();
      c.ring_all();
      ASSERT_TRUE(c.quorate(1));
      c.partition({range(1, k), range(k + 1, n)});
      EXPECT_EQ(c.quorate(1), 2 * k > n) << n << " nodes, split " << k;
      EXPECT_EQ(c.quorate(n), 2 * (n - k) > n) << n << " nodes, split " << k;
      EXPECT_EQ(c.state(1).quorum, n / 2 + 1);
    }
  }
}

TEST(VotequorumMajority, SingleNodeClusterIsQuorateAtStart) {
  auto vq = Votequorum::create(majority(), make_nodelist(1), 1, Time{0});
  ASSERT_TRUE(vq.ok());
  EXPECT_TRUE(vq->quorate());
  auto ev = vq->take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0].quorate);
}

TEST(VotequorumMajority, NodeJustStartedIsNotQuorate) {
  auto vq = Votequorum::create(majority(), make_nodelist(3), 1, Time{0});
  ASSERT_TRUE(vq.ok());
  EXPECT_FALSE(vq->quorate());
  EXPECT_TRUE(vq->take_events().empty());
  EXPECT_EQ(vq->state().expected_votes, 3u);
  EXPECT_EQ(vq->state().quorum, 2u);
  EXPECT_EQ(vq->state().total_votes, 1u);
}

TEST(VotequorumMajority, WeightedVotes) {
  {  // votes 3,1,1: expected 5, quorum 3; node 1 alone carries it
    Cluster c(majority(), make_nodelist({3, 1, 1}));
    c.start_all();
    c.partition({{1}, {2, 3}});
    EXPECT_EQ(c.state(1).expected_votes, 5u);
    EXPECT_EQ(c.state(1).quorum, 3u);
    EXPECT_TRUE(c.quorate(1));
    EXPECT_FALSE(c.quorate(2));
  }
  {  // votes 2,2,1,1: expected 6, quorum 4
    Cluster c(majority(), make_nodelist({2, 2, 1, 1}));
    c.start_all();
    c.ring_all();
    c.partition({{1, 2}, {3, 4}});
    EXPECT_TRUE(c.quorate(1));
    EXPECT_FALSE(c.quorate(3));
    c.ring_all();
    c.partition({{1, 3}, {2, 4}});
    EXPECT_FALSE(c.quorate(1));
    EXPECT_FALSE(c.quorate(2));
    c.ring_all();
    c.partition({{1, 3, 4}, {2}});
    EXPECT_TRUE(c.quorate(1));
    EXPECT_FALSE(c.quorate(2));
    EXPECT_EQ(c.state(2).total_votes, 2u);
  }
}

TEST(VotequorumMajority, QuorumNeverDecreasesWhenNodesLeave) {
  Cluster c(majority(), make_nodelist(5));
  c.start_all();
  c.ring_all();
  c.ring({1, 2, 3});
  QuorumState s = c.state(1);
  EXPECT_EQ(s.expected_votes, 5u);
  EXPECT_EQ(s.highest_expected, 5u);
  EXPECT_EQ(s.quorum, 3u);
  EXPECT_TRUE(c.quorate(1));
  c.ring({1, 2});
  EXPECT_FALSE(c.quorate(1));
  EXPECT_EQ(c.state(1).quorum, 3u);
}

// ---------------------------------------------------------------------------
// expected_votes in the quorum section

TEST(VotequorumExpectedVotes, DerivedFromNodelistVotes) {
  auto vq = Votequorum::create(majority(), make_nodelist({1, 2, 3}), 2, Time{0});
  ASSERT_TRUE(vq.ok());
  EXPECT_EQ(vq->state().expected_votes, 6u);
  EXPECT_EQ(vq->state().quorum, 4u);
}

TEST(VotequorumExpectedVotes, ConfiguredLargerThanNodelist) {
  QuorumConfig cfg = majority();
  cfg.expected_votes = 5;
  Cluster c(cfg, make_nodelist(3));
  c.start_all();
  c.ring({1, 2});
  EXPECT_EQ(c.state(1).expected_votes, 5u);
  EXPECT_EQ(c.state(1).quorum, 3u);
  EXPECT_FALSE(c.quorate(1));
  c.ring_all();
  EXPECT_TRUE(c.quorate(1));
}

TEST(VotequorumExpectedVotes, ConfiguredSmallerThanNodelistRisesWithTotalVotes) {
  QuorumConfig cfg = majority();
  cfg.expected_votes = 3;
  Cluster c(cfg, make_nodelist(5));
  c.start_all();
  c.ring({1, 2});
  EXPECT_EQ(c.state(1).expected_votes, 3u);
  EXPECT_EQ(c.state(1).quorum, 2u);
  EXPECT_TRUE(c.quorate(1));  // the configured value overrides the nodelist
  c.ring_all();
  EXPECT_EQ(c.state(1).expected_votes, 5u);  // raised to the total votes seen
  EXPECT_EQ(c.state(1).quorum, 3u);
  c.partition({{1, 2}, {3, 4, 5}});
  EXPECT_FALSE(c.quorate(1));
  EXPECT_TRUE(c.quorate(3));
}

TEST(VotequorumExpectedVotes, WithoutNodelistNeedsExpectedVotes) {
  auto bad = Votequorum::create(majority(), {}, 1, Time{0});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message,
            "configuration error: nodelist or quorum.expected_votes must be configured!");
  QuorumConfig cfg = majority();
  cfg.expected_votes = 3;
  auto ok = Votequorum::create(cfg, {}, 7, Time{0});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->state().expected_votes, 3u);
  EXPECT_EQ(ok->state().total_votes, 1u);
}

TEST(VotequorumExpectedVotes, NodeOutsideTheNodelistIgnoresIt) {
  auto bad = Votequorum::create(majority(), make_nodelist(3), 9, Time{0});
  EXPECT_FALSE(bad.ok());
}

// ---------------------------------------------------------------------------
// two_node

QuorumConfig two_node() {
  QuorumConfig c = majority();
  c.two_node = true;
  return c;
}

TEST(VotequorumTwoNode, BothUpIsQuorateWithQuorumOne) {
  Cluster c(two_node(), make_nodelist(2));
  c.start_all();
  c.ring_all();
  QuorumState s = c.state(1);
  EXPECT_TRUE(c.quorate(1));
  EXPECT_TRUE(c.quorate(2));
  EXPECT_EQ(s.quorum, 1u);
  EXPECT_EQ(s.expected_votes, 2u);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"2Node", "Quorate", "WaitForAll"}));
}

TEST(VotequorumTwoNode, OneLeftAfterBothSeenStaysQuorate) {
  Cluster c(two_node(), make_nodelist(2));
  c.start_all();
  c.ring_all();
  c.stop(2);
  c.ring({1});
  EXPECT_TRUE(c.quorate(1));
  EXPECT_EQ(c.state(1).quorum, 1u);
  // A split leaves both sides quorate: fencing decides (the fence race).
  c.start(2);
  c.ring_all();
  c.partition({{1}, {2}});
  EXPECT_TRUE(c.quorate(1));
  EXPECT_TRUE(c.quorate(2));
}

TEST(VotequorumTwoNode, AloneAtStartWaitsForAll) {
  Cluster c(two_node(), make_nodelist(2));
  c.start(1);
  c.ring({1});
  EXPECT_FALSE(c.quorate(1));
  QuorumState s = c.state(1);
  EXPECT_TRUE(s.wait_for_all_status);
  EXPECT_EQ(s.quorum, 1u);
  EXPECT_EQ(s.flags, (std::vector<std::string>{"2Node", "WaitForAll"}));
  c.start(2);
  c.ring_all();
  EXPECT_TRUE(c.quorate(1));
  EXPECT_FALSE(c.state(1).wait_for_all_status);
}

TEST(VotequorumTwoNode, WaitForAllZeroMakesALoneNodeQuorate) {
  QuorumConfig cfg = two_node();
  cfg.wait_for_all = false;
  Cluster c(cfg, make_nodelist(2));
  c.start(1);
  c.ring({1});
  EXPECT_TRUE(c.quorate(1));
  EXPECT_EQ(c.state(1).flags, (std::vector<std::string>{"2Node", "Quorate"}));
}

TEST(VotequorumTwoNode, MoreThanTwoMembersUseTheNormalRule) {
  QuorumConfig cfg = two_node();
  cfg.wait_for_all = false;
  Cluster c(cfg, make_nodelist(3));
  c.start_all();
  c.ring_all();
  EXPECT_EQ(c.state(1).quorum, 2u);
  c.partition({{1}, {2, 3}});
  EXPECT_TRUE(c.quorate(1));  // two members or fewer: quorum 1 again
  EXPECT_EQ(c.state(1).quorum, 1u);
}

// ---------------------------------------------------------------------------
// wait_for_all

QuorumConfig wfa() {
  QuorumConfig c = majority();
  c.wait_for_all = true;
  return c;
}

TEST(VotequorumWaitForAll, NotQuorateUntilAllSeenThenNormal) {
  Cluster c(wfa(), make_nodelist(3));
  c.start_all();
  c.ring({1, 2});
  EXPECT_FALSE(c.quorate(1));  // a majority, but not everyone yet
  EXPECT_TRUE(c.state(1).wait_for_all_status);
  EXPECT_EQ(c.state(1).flags, (std::vector<std::string>{"WaitForAll"}));
  c.ring_all();
  EXPECT_TRUE(c.quorate(1));
  c.partition({{1, 2}, {3}});
  EXPECT_TRUE(c.quorate(1));
  EXPECT_FALSE(c.quorate(3));
}

TEST(VotequorumWaitForAll, RearmsAfterQuorumIsLost) {
  Cluster c(wfa(), make_nodelist(3));
  c.start_all();
  c.ring_all();
  c.partition({{1}, {2}, {3}});
  EXPECT_FALSE(c.quorate(1));
  EXPECT_TRUE(c.state(1).wait_for_all_status);
  c.partition({{1, 2}, {3}});
  EXPECT_FALSE(c.quorate(1));  // waits for all again
  c.ring_all();
  EXPECT_TRUE(c.quorate(1));
}

TEST(VotequorumWaitForAll, NodeJoiningAQuorateClusterIsReleased) {
  Cluster c(wfa(), make_nodelist(5));
  c.start_all();
  c.ring_all();
  c.stop(4);
  c.stop(5);
  c.ring({1, 2, 3});
  ASSERT_TRUE(c.quorate(1));
  c.start(4);
  c.ring({1, 2, 3, 4});
  EXPECT_TRUE(c.quorate(4));
  EXPECT_FALSE(c.state(4).wait_for_all_status);
}

TEST(VotequorumWaitForAll, CancelStopsWaiting) {
  Cluster c(wfa(), make_nodelist(3));
  c.start_all();
  c.ring({1, 2});
  ASSERT_FALSE(c.quorate(1));
  ASSERT_TRUE(c.node(1).request_cancel_wait_for_all().ok());
  c.flush(1);
  EXPECT_TRUE(c.quorate(1));
  EXPECT_TRUE(c.quorate(2));
}

// ---------------------------------------------------------------------------
// last_man_standing

QuorumConfig lms(bool atb) {
  QuorumConfig c = majority();
  c.last_man_standing = true;
  c.last_man_standing_window_ms = 10000;
  c.wait_for_all = true;
  c.auto_tie_breaker = atb;
  return c;
}

TEST(VotequorumLastManStanding, StepsDownFiveFourThreeTwo) {
  Cluster c(lms(false), make_nodelist(5));
  c.start_all();
  c.ring_all();
  EXPECT_FALSE(c.node(1).next_deadline().has_value());
  EXPECT_TRUE(has_flag(c.state(1), "LastManStanding"));
  for (uint32_t n = 4; n >= 2; --n) {
    c.stop(n + 1);
    c.ring(range(1, n));
    ASSERT_TRUE(c.quorate(1)) << n;
    EXPECT_EQ(c.state(1).expected_votes, n + 1) << "not before the window";
    ASSERT_TRUE(c.node(1).next_deadline().has_value());
    EXPECT_EQ(*c.node(1).next_deadline(), c.now() + ms(10000));
    c.advance(ms(9999));
    EXPECT_EQ(c.state(1).expected_votes, n + 1) << "not before the window";
    c.advance(ms(1));
    QuorumState s = c.state(1);
    EXPECT_EQ(s.expected_votes, n);
    EXPECT_EQ(s.quorum, n / 2 + 1);
    EXPECT_TRUE(c.quorate(1));
  }
  // Two left, quorum 2: without auto_tie_breaker the last one is not quorate.
  c.stop(2);
  c.ring({1});
  EXPECT_FALSE(c.quorate(1));
  EXPECT_FALSE(c.node(1).next_deadline().has_value());
}

TEST(VotequorumLastManStanding, AnotherChangeRestartsTheWindow) {
  Cluster c(lms(false), make_nodelist(5));
  c.start_all();
  c.ring_all();
  c.stop(5);
  c.ring({1, 2, 3, 4});
  c.advance(ms(5000));
  c.stop(4);
  c.ring({1, 2, 3});
  c.advance(ms(5000));
  EXPECT_EQ(c.state(1).expected_votes, 5u);
  c.advance(ms(5000));
  EXPECT_EQ(c.state(1).expected_votes, 3u);
  EXPECT_EQ(c.state(1).quorum, 2u);
}

TEST(VotequorumLastManStanding, DownToOneOnlyWithAutoTieBreaker) {
  Cluster c(lms(true), make_nodelist(5));
  c.start_all();
  c.ring_all();
  for (uint32_t n = 4; n >= 2; --n) {
    c.stop(n + 1);
    c.ring(range(1, n));
    c.advance(ms(10000));
    ASSERT_EQ(c.state(1).expected_votes, n);
  }
  c.partition({{1}, {2}});
  EXPECT_TRUE(c.quorate(1));  // the tie-breaker (lowest) side
  EXPECT_FALSE(c.quorate(2));
  c.advance(ms(10000));
  QuorumState s = c.state(1);
  EXPECT_EQ(s.expected_votes, 1u);
  EXPECT_EQ(s.quorum, 1u);
  EXPECT_TRUE(c.quorate(1));
}

TEST(VotequorumLastManStanding, DisabledWhenANodeHasMoreThanOneVote) {
  Cluster c(lms(false), make_nodelist({2, 1, 1, 1}));
  c.start_all();
  c.ring_all();
  QuorumState s = c.state(3);
  EXPECT_FALSE(has_flag(s, "LastManStanding"));
  EXPECT_FALSE(c.node(3).warnings().empty());
}

TEST(VotequorumLastManStanding, OddClusterWithTieBreakerNeedsWaitForAll) {
  QuorumConfig cfg = lms(true);
  cfg.wait_for_all = false;
  auto vq = Votequorum::create(cfg, make_nodelist(5), 1, Time{0});
  ASSERT_FALSE(vq.ok());
  EXPECT_EQ(vq.error().message,
            "configuration error: auto_tie_breaker & last_man_standing not available in odd "
            "sized cluster");
}

// ---------------------------------------------------------------------------
// auto_tie_breaker

QuorumConfig atb(TieBreaker which, std::vector<uint32_t> list = {}) {
  QuorumConfig c = majority();
  c.auto_tie_breaker = true;
  c.auto_tie_breaker_node = which;
  c.auto_tie_breaker_list = std::move(list);
  return c;
}

struct SplitCase {
  std::vector<NodeId> a, b;
  bool a_quorate, b_quorate;
};

void check_splits(const QuorumConfig& cfg, size_t n, const std::vector<SplitCase>& cases) {
  for (const SplitCase& sc : cases) {
    Cluster c(cfg, make_nodelist(n));
    c.start_all();
    c.ring_all();
    c.partition({sc.a, sc.b});
    for (NodeId id : sc.a) EXPECT_EQ(c.quorate(id), sc.a_quorate) << "node " << id;
    for (NodeId id : sc.b) EXPECT_EQ(c.quorate(id), sc.b_quorate) << "node " << id;
    EXPECT_TRUE(has_flag(c.state(sc.a.front()), "AutoTieBreaker"));
  }
}

TEST(VotequorumAutoTieBreaker, LowestOnEvenSplits) {
  check_splits(atb(TieBreaker::kLowest), 4,
               {{{1, 2}, {3, 4}, true, false}, {{2, 3}, {1, 4}, false, true}});
  check_splits(atb(TieBreaker::kLowest), 6,
               {{{1, 2, 3}, {4, 5, 6}, true, false}, {{2, 3, 4}, {1, 5, 6}, false, true}});
}

TEST(VotequorumAutoTieBreaker, HighestOnEvenSplits) {
  check_splits(atb(TieBreaker::kHighest), 4,
               {{{1, 2}, {3, 4}, false, true}, {{1, 4}, {2, 3}, true, false}});
  check_splits(atb(TieBreaker::kHighest), 6,
               {{{1, 2, 3}, {4, 5, 6}, false, true}, {{1, 5, 6}, {2, 3, 4}, true, false}});
}

TEST(VotequorumAutoTieBreaker, ListOnEvenSplits) {
  check_splits(atb(TieBreaker::kList, {3, 1}), 4,
               {{{1, 2}, {3, 4}, false, true}, {{1, 4}, {2, 3}, false, true}});
  check_splits(atb(TieBreaker::kList, {4, 2}), 6,
               {{{1, 2, 3}, {4, 5, 6}, false, true}, {{2, 5, 6}, {1, 3, 4}, false, true}});
}

TEST(VotequorumAutoTieBreaker, ListFallsBackToTheNextNodeWhenTheFirstWasAlreadyGone) {
  Cluster c(atb(TieBreaker::kList, {4, 2}), make_nodelist(6));
  c.start_all();
  c.ring_all();
  c.stop(4);
  c.ring({1, 2, 3, 5, 6});
  ASSERT_TRUE(c.quorate(1));
  c.partition({{1, 2, 3}, {5, 6}});
  EXPECT_TRUE(c.quorate(1));  // 4 was not in the previous ring: 2 decides
  EXPECT_FALSE(c.quorate(5));
}

TEST(VotequorumAutoTieBreaker, UnevenSplitUsesMajority) {
  check_splits(atb(TieBreaker::kLowest), 6,
               {{{1, 2}, {3, 4, 5, 6}, false, true}, {{1, 2, 3, 4}, {5, 6}, true, false}});
}

TEST(VotequorumAutoTieBreaker, FreshHalfDoesNotWinTheTie) {
  // The tie-breaker is the lowest node of the last partition quorate by
  // votes; a half that never was quorate has none.
  Cluster c(atb(TieBreaker::kLowest), make_nodelist(4));
  c.start_all();
  c.partition({{1, 2}, {3, 4}});
  EXPECT_FALSE(c.quorate(1));
  EXPECT_FALSE(c.quorate(3));
}

TEST(VotequorumAutoTieBreaker, OddClusterWithoutWaitForAllDisablesIt) {
  auto vq = Votequorum::create(atb(TieBreaker::kLowest), make_nodelist(5), 1, Time{0});
  ASSERT_TRUE(vq.ok());
  EXPECT_FALSE(has_flag(vq->state(), "AutoTieBreaker"));
  EXPECT_EQ(vq->warnings().size(), 1u);
  QuorumConfig cfg = atb(TieBreaker::kLowest);
  cfg.wait_for_all = true;
  auto with_wfa = Votequorum::create(cfg, make_nodelist(5), 1, Time{0});
  ASSERT_TRUE(with_wfa.ok());
  EXPECT_TRUE(has_flag(with_wfa->state(), "AutoTieBreaker"));
}

TEST(VotequorumAutoTieBreaker, OddClusterThreeTwoSplitIsNotATie) {
  QuorumConfig cfg = atb(TieBreaker::kLowest);
  cfg.wait_for_all = true;
  check_splits(cfg, 5, {{{1, 2}, {3, 4, 5}, false, true}});
}

TEST(VotequorumAutoTieBreaker, DisablesTwoNode) {
  QuorumConfig cfg = atb(TieBreaker::kLowest);
  cfg.two_node = true;
  auto vq = Votequorum::create(cfg, make_nodelist(2), 1, Time{0});
  ASSERT_TRUE(vq.ok());
  QuorumState s = vq->state();
  EXPECT_EQ(s.flags, (std::vector<std::string>{"WaitForAll", "AutoTieBreaker"}));
  EXPECT_EQ(s.quorum, 2u);
  EXPECT_FALSE(vq->warnings().empty());
}

// ---------------------------------------------------------------------------
// Run-time changes (corosync-quorumtool -e / -v)

TEST(VotequorumRuntime, ExpectedVotesLowered) {
  Cluster c(majority(), make_nodelist(5));
  c.start_all();
  c.ring_all();
  c.stop(4);
  c.stop(5);
  c.ring({1, 2, 3});
  ASSERT_TRUE(c.node(1).request_expected_votes(3).ok());
  EXPECT_EQ(c.state(2).expected_votes, 5u);  // takes effect when delivered
  c.flush(1);
  for (NodeId id : {1u, 2u, 3u}) {
    EXPECT_EQ(c.state(id).expected_votes, 3u);
    EXPECT_EQ(c.state(id).quorum, 2u);
  }
  c.partition({{1, 2}, {3}});
  EXPECT_TRUE(c.quorate(1));
  EXPECT_FALSE(c.quorate(3));
}

TEST(VotequorumRuntime, ExpectedVotesBelowTotalIsRaisedToTotal) {
  Cluster c(majority(), make_nodelist(3));
  c.start_all();
  c.ring_all();
  ASSERT_TRUE(c.node(2).request_expected_votes(1).ok());
  c.flush(2);
  EXPECT_EQ(c.state(1).expected_votes, 3u);
  EXPECT_EQ(c.state(1).quorum, 2u);
  EXPECT_TRUE(c.quorate(1));
}

TEST(VotequorumRuntime, ExpectedVotesThatWouldLoseQuorumIsRefused) {
  Cluster c(majority(), make_nodelist(5));
  c.start_all();
  c.ring_all();
  c.ring({1, 2, 3});
  Status s = c.node(1).request_expected_votes(8);  // quorum 5 > 3 votes present
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "Unable to set expected votes: CS_ERR_INVALID_PARAM");
  EXPECT_TRUE(c.node(1).take_outgoing().empty());
  Status zero = c.node(1).request_expected_votes(0);
  ASSERT_FALSE(zero.ok());
  EXPECT_EQ(zero.error().message, "New expected votes value was not valid, try a positive number");
}

TEST(VotequorumRuntime, ExpectedVotesRaised) {
  Cluster c(majority(), make_nodelist(5));
  c.start_all();
  c.ring_all();
  ASSERT_TRUE(c.node(5).request_expected_votes(7).ok());
  c.flush(5);
  EXPECT_EQ(c.state(1).expected_votes, 7u);
  EXPECT_EQ(c.state(1).quorum, 4u);
  EXPECT_TRUE(c.quorate(1));
  c.partition({{1, 2, 3}, {4, 5}});
  EXPECT_FALSE(c.quorate(1));
}

TEST(VotequorumRuntime, VotesChanged) {
  Cluster c(majority(), make_nodelist(3));
  c.start_all();
  c.ring_all();
  ASSERT_TRUE(c.node(2).request_votes(1, 3).ok());
  c.flush(2);
  for (NodeId id : {1u, 2u, 3u}) {
    QuorumState s = c.state(id);
    EXPECT_EQ(s.total_votes, 5u);
    EXPECT_EQ(s.expected_votes, 5u);
    EXPECT_EQ(s.quorum, 3u);
  }
  c.partition({{1}, {2, 3}});
  EXPECT_TRUE(c.quorate(1));
  EXPECT_FALSE(c.quorate(2));
}

TEST(VotequorumRuntime, VotesOfTheLocalNodeByDefault) {
  Cluster c(majority(), make_nodelist(3));
  c.start_all();
  c.ring_all();
  ASSERT_TRUE(c.node(3).request_votes(0, 2).ok());
  c.flush(3);
  EXPECT_EQ(c.state(1).total_votes, 4u);
  for (const VqNode& n : c.state(1).nodes) {
    EXPECT_EQ(n.votes, n.nodeid == 3 ? 2u : 1u);
  }
}

TEST(VotequorumRuntime, VotesRefused) {
  Cluster c(majority(), make_nodelist(3));
  c.start_all();
  c.ring_all();
  c.ring({1, 2});
  Status unknown = c.node(1).request_votes(9, 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message, "Unable to set votes 1 for nodeid: 9: CS_ERR_NAME_NOT_FOUND");
  Status lose = c.node(1).request_votes(2, 0);  // 1 vote left, quorum 2
  ASSERT_FALSE(lose.ok());
  EXPECT_EQ(lose.error().message, "Unable to set votes 0 for nodeid: 2: CS_ERR_INVALID_PARAM");
  EXPECT_TRUE(c.node(1).take_outgoing().empty());
  EXPECT_EQ(c.state(1).total_votes, 2u);
}

// ---------------------------------------------------------------------------
// allow_downscale

TEST(VotequorumAllowDownscale, CleanLeavesLowerQuorumDownToTheConfiguredFloor) {
  QuorumConfig cfg = majority();
  cfg.allow_downscale = true;
  cfg.expected_votes = 3;
  // Nodes 1-3 are in the nodelist; 4 and 5 are extra capacity.
  Cluster c(cfg, make_nodelist(3));
  for (NodeId id = 1; id <= 5; ++id) c.start(id);
  c.ring_all();
  EXPECT_EQ(c.state(1).expected_votes, 5u);
  EXPECT_EQ(c.state(1).quorum, 3u);
  EXPECT_TRUE(has_flag(c.state(1), "AllowDownscale"));
  EXPECT_EQ(c.state(1).ev_tracking_barrier, 5u);

  for (NodeId leaving : {5u, 4u}) {
    c.node(leaving).leave();
    c.flush(leaving);
    c.stop(leaving);
    c.ring_all();
  }
  EXPECT_EQ(c.state(1).expected_votes, 3u);
  EXPECT_EQ(c.state(1).quorum, 2u);
  c.partition({{1, 2}, {3}});
  EXPECT_TRUE(c.quorate(1));

  c.node(2).leave();
  c.flush(2);
  c.stop(2);
  c.ring({1});
  EXPECT_FALSE(c.quorate(1));                     // not below the floor of 3 expected votes
  EXPECT_EQ(c.state(1).ev_tracking_barrier, 5u);  // the tracked maximum stays
}

TEST(VotequorumAllowDownscale, LeaveSendsNothingWithoutIt) {
  Cluster c(majority(), make_nodelist(3));
  c.start_all();
  c.ring_all();
  c.node(1).leave();
  EXPECT_TRUE(c.node(1).take_outgoing().empty());
}

// ---------------------------------------------------------------------------
// The sync step

TEST(VotequorumSync, PreviousValueHoldsUntilEveryMemberReported) {
  Cluster c(majority(), make_nodelist(3));
  c.start_all();
  c.ring_all();
  for (NodeId id : {1u, 2u, 3u}) c.node(id).take_events();
  c.configure({1});  // 1 alone: will lose quorum
  c.configure({2, 3});
  EXPECT_TRUE(c.quorate(1));
  EXPECT_TRUE(c.state(1).sync_in_progress);
  ASSERT_TRUE(c.deliver_one(2));
  EXPECT_TRUE(c.quorate(2));
  EXPECT_TRUE(c.node(2).take_events().empty());
  ASSERT_TRUE(c.deliver_one(1));
  EXPECT_FALSE(c.quorate(1));
  auto ev = c.node(1).take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_FALSE(ev[0].quorate);
  EXPECT_TRUE(ev[0].quorate_changed);
  EXPECT_EQ(ev[0].members, (std::vector<NodeId>{1}));
  ASSERT_TRUE(c.deliver_one(3));
  EXPECT_TRUE(c.quorate(2));
  ev = c.node(2).take_events();
  ASSERT_EQ(ev.size(), 1u);
  EXPECT_TRUE(ev[0].quorate);
  EXPECT_FALSE(ev[0].quorate_changed);
  EXPECT_EQ(ev[0].members, (std::vector<NodeId>{2, 3}));
  EXPECT_EQ(ev[0].ring, c.state(3).ring);
  EXPECT_FALSE(c.state(2).sync_in_progress);
}

TEST(VotequorumSync, FreshNodesBecomeQuorateOnlyAfterSync) {
  Cluster c(majority(), make_nodelist(3));
  c.start_all();
  c.configure({1, 2, 3});
  ASSERT_TRUE(c.deliver_one(1));
  ASSERT_TRUE(c.deliver_one(2));
  EXPECT_FALSE(c.quorate(1));
  ASSERT_TRUE(c.deliver_one(3));
  EXPECT_TRUE(c.quorate(1));
  EXPECT_TRUE(c.quorate(3));
}

TEST(VotequorumSync, ConfigurationMustIncludeSelf) {
  auto vq = Votequorum::create(majority(), make_nodelist(3), 1, Time{0});
  ASSERT_TRUE(vq.ok());
  EXPECT_FALSE(vq->on_configuration(RingId{2, 1}, {2, 3}, Time{0}).ok());
  EXPECT_TRUE(vq->take_outgoing().empty());
}

// ---------------------------------------------------------------------------
// Malformed messages

class VotequorumMalformed : public ::testing::Test {
 protected:
  void SetUp() override {
    auto vq = Votequorum::create(majority(), make_nodelist(3), 1, Time{0});
    ASSERT_TRUE(vq.ok());
    vq_.emplace(std::move(vq).value());
    ASSERT_TRUE(vq_->on_configuration(RingId{1, 5}, {1, 2, 3}, Time{0}).ok());
    vq_->take_outgoing();
  }
  std::string nodeinfo(uint32_t nodeid) {
    votequorum::Message m;
    m.mutable_nodeinfo()->set_nodeid(nodeid);
    m.mutable_nodeinfo()->set_votes(1);
    m.mutable_nodeinfo()->set_expected_votes(3);
    m.mutable_nodeinfo()->mutable_ring()->set_rep(1);
    m.mutable_nodeinfo()->mutable_ring()->set_seq(5);
    return m.SerializeAsString();
  }
  void expect_unchanged() {
    QuorumState s = vq_->state();
    EXPECT_EQ(s.nodes.size(), 1u);
    EXPECT_TRUE(s.sync_in_progress);
    EXPECT_FALSE(s.quorate);
    EXPECT_TRUE(vq_->take_outgoing().empty());
    EXPECT_TRUE(vq_->take_events().empty());
  }
  std::optional<Votequorum> vq_;
};

TEST_F(VotequorumMalformed, GarbageIsRejected) {
  EXPECT_FALSE(vq_->on_message(2, std::string("\xff\xff\xff\xff\x0f", 5), Time{0}).ok());
  EXPECT_FALSE(vq_->on_message(2, "", Time{0}).ok());  // no body
  expect_unchanged();
}

TEST_F(VotequorumMalformed, NodeInfoForAnotherNodeIsRejected) {
  EXPECT_FALSE(vq_->on_message(2, nodeinfo(3), Time{0}).ok());
  expect_unchanged();
}

TEST_F(VotequorumMalformed, NonMemberIsRejected) {
  EXPECT_FALSE(vq_->on_message(4, nodeinfo(4), Time{0}).ok());
  expect_unchanged();
}

TEST_F(VotequorumMalformed, UnknownReconfigureParameterIsRejected) {
  votequorum::Message m;
  m.mutable_reconfigure()->set_param(static_cast<votequorum::Reconfigure::Param>(77));
  m.mutable_reconfigure()->set_nodeid(2);
  m.mutable_reconfigure()->set_value(9);
  EXPECT_FALSE(vq_->on_message(2, m.SerializeAsString(), Time{0}).ok());
  expect_unchanged();
}

TEST_F(VotequorumMalformed, TruncationsAndRandomBytesNeverCrash) {
  const std::string good = nodeinfo(2);
  for (size_t len = 0; len < good.size(); ++len) {
    (void)vq_->on_message(2, std::string_view(good).substr(0, len), Time{0});
  }
  std::mt19937 rng(1234);
  for (int i = 0; i < 5000; ++i) {
    std::string bytes(rng() % 40, '\0');
    for (char& ch : bytes) ch = static_cast<char>(rng() & 0xff);
    (void)vq_->on_message(2 + rng() % 2, bytes, Time{0});
  }
  // A valid message is still processed afterwards.
  EXPECT_TRUE(vq_->on_message(2, good, Time{0}).ok());
}

}  // namespace
}  // namespace quorate::membership
