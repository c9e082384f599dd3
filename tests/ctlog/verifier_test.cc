#include "ctlog/verifier.h"

#include <gtest/gtest.h>

namespace pinwatch::ctlog {
namespace {

Hash LeafNumber(uint64_t i) {
  uint8_t bytes[8];
  for (int b = 0; b < 8; ++b) bytes[b] = static_cast<uint8_t>(i >> (8 * b));
  return HashLeaf(bytes);
}

class TreeVerifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (uint64_t i = 0; i < 100; ++i) tree_.Append(LeafNumber(i));
  }
  // Head returns an (unsigned) tree head of the honest tree; signatures are checked elsewhere.
  SignedTreeHead Head(uint64_t size, uint64_t timestamp_ms) const {
    return {.tree_size = size, .timestamp_ms = timestamp_ms, .root_hash = tree_.Root(size)};
  }
  void AppendUpTo(TreeVerifier& v, uint64_t end) {
    while (v.pending_end() < end) v.Append(LeafNumber(v.pending_end()));
  }
  MerkleTree tree_;
};

TEST_F(TreeVerifierTest, HonestLogVerifiesStepByStep) {
  TreeVerifier v({}, std::nullopt);
  for (uint64_t size : {1, 7, 8, 64, 100}) {
    SignedTreeHead head = Head(size, size * 1000);
    auto proof = v.verified_end() ? tree_.ConsistencyProof(v.verified_end(), size) : std::vector<Hash>{};
    ASSERT_EQ(v.CheckNewTreeHead(head, proof), std::nullopt) << size;
    AppendUpTo(v, size);
    ASSERT_EQ(v.VerifyAt(head), std::nullopt) << size;
    EXPECT_EQ(v.verified_end(), size);
    EXPECT_EQ(v.verified_head(), head);
  }
}

TEST_F(TreeVerifierTest, RootMismatchRewindsAndCarriesEvidence) {
  TreeVerifier v({}, std::nullopt);
  AppendUpTo(v, 10);
  ASSERT_EQ(v.VerifyAt(Head(10, 1)), std::nullopt);
  for (uint64_t i = 10; i < 20; ++i) v.Append(i == 15 ? LeafNumber(999) : LeafNumber(i));
  auto m = v.VerifyAt(Head(20, 2));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Misbehaviour::Kind::kRootMismatch);
  EXPECT_EQ(m->tree_head->tree_size, 20u);
  EXPECT_EQ(m->verified_head->tree_size, 10u);
  EXPECT_NE(m->computed_root, tree_.Root(20));
  EXPECT_EQ(v.pending_end(), 10u);  // rewound to the last verified size
  EXPECT_EQ(v.verified_end(), 10u);
  AppendUpTo(v, 20);
  EXPECT_EQ(v.VerifyAt(Head(20, 2)), std::nullopt);
}

TEST_F(TreeVerifierTest, ForkShrinkAndBadProofAreMisbehaviour) {
  TreeVerifier v({}, std::nullopt);
  AppendUpTo(v, 50);
  ASSERT_EQ(v.VerifyAt(Head(50, 5000)), std::nullopt);

  SignedTreeHead fork = Head(50, 6000);
  fork.root_hash[0] ^= 1;
  EXPECT_EQ(v.CheckNewTreeHead(fork, {})->kind, Misbehaviour::Kind::kForkedTreeHead);

  EXPECT_EQ(v.CheckNewTreeHead(Head(40, 6000), {})->kind, Misbehaviour::Kind::kShrunkTree);
  EXPECT_EQ(v.CheckNewTreeHead(Head(40, 4000), {}), std::nullopt);  // merely stale

  auto proof = tree_.ConsistencyProof(50, 80);
  EXPECT_EQ(v.CheckNewTreeHead(Head(80, 7000), proof), std::nullopt);
  proof[0][5] ^= 1;
  auto bad = v.CheckNewTreeHead(Head(80, 7000), proof);
  ASSERT_TRUE(bad.has_value());
  EXPECT_EQ(bad->kind, Misbehaviour::Kind::kBadConsistencyProof);
  EXPECT_EQ(KindName(bad->kind), "bad_consistency_proof");
}

TEST_F(TreeVerifierTest, ResumesFromPersistedRange) {
  CompactRange range;
  for (uint64_t i = 0; i < 33; ++i) range.Append(LeafNumber(i));
  auto restored = CompactRange::Create(range.end(), range.hashes());
  ASSERT_TRUE(restored.ok());
  TreeVerifier v(*restored, Head(33, 1));
  AppendUpTo(v, 90);
  EXPECT_EQ(v.VerifyAt(Head(90, 2)), std::nullopt);
}

}  // namespace
}  // namespace pinwatch::ctlog
