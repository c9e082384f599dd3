// Merkle Hash Trees as RFC 6962 §2.1 (and RFC 9162 §2.1) define them: leaf and node
// hashing, a compact range that a monitor appends leaves to and persists, proof
// verification, and an in-memory tree that serves proofs (used by the log simulator).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "ctlog/sha256.h"

namespace pinwatch::ctlog {

// HashLeaf returns SHA-256(0x00 || leaf_input): the Merkle leaf hash of a MerkleTreeLeaf.
Hash HashLeaf(Bytes leaf_input);
// HashChildren returns SHA-256(0x01 || left || right).
Hash HashChildren(const Hash& left, const Hash& right);
// EmptyTreeRoot returns SHA-256(""), the root of the tree of size 0.
Hash EmptyTreeRoot();

// CompactRange holds the Merkle compact range of leaves [0, end_exclusive): the roots of
// the maximal perfect subtrees, left to right, popcount(end) hashes in all. It is enough
// to compute the root of the tree of size end, and to extend it leaf by leaf, so it is
// what a monitor persists to resume verification. Not thread-safe; cheap to copy.
class CompactRange {
 public:
  // An empty range: the tree of size 0.
  CompactRange() = default;

  // Create rebuilds a persisted range. Fails with kMalformed unless
  // hashes.size() == popcount(end_exclusive).
  static Result<CompactRange> Create(uint64_t end_exclusive, std::vector<Hash> hashes);

  // FromRightmostInclusionProof builds the range of the tree of size tree_size from the
  // inclusion proof of its last leaf (index tree_size-1): that proof's nodes are exactly
  // the compact range of [0, tree_size-1), right to left. This is how a monitor starts
  // at the end of a log without downloading it. The result is not yet trusted: compare
  // Root() with a signed root. kMalformed if the proof has the wrong length.
  static Result<CompactRange> FromRightmostInclusionProof(uint64_t tree_size, const Hash& leaf_hash,
                                                          std::span<const Hash> proof);

  // Append adds the next leaf's hash (its index is end()).
  void Append(const Hash& leaf_hash);
  // Root returns the Merkle Tree Hash of the tree of size end().
  Hash Root() const;

  uint64_t end() const { return end_; }
  const std::vector<Hash>& hashes() const { return hashes_; }

  friend bool operator==(const CompactRange&, const CompactRange&) = default;

 private:
  uint64_t end_ = 0;
  std::vector<Hash> hashes_;
};

// VerifyInclusion checks that leaf_hash is leaf `index` of the tree of size tree_size with
// the given root (RFC 9162 §2.1.3.2). OK on success; kMalformed if index >= tree_size;
// kMisbehaviour if the proof does not lead to the root.
Status VerifyInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root);

// VerifyConsistency checks that the tree of size size1 with root1 is a prefix of the tree of
// size size2 with root2 (RFC 9162 §2.1.4.2). OK on success; kMalformed if size1 == 0 or
// size1 > size2; kMisbehaviour if the proof does not prove it.
Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                         std::span<const Hash> proof);

// MerkleTree keeps every node of a growing tree in memory (2 hashes per leaf) and answers
// roots and proofs for any size up to its own, in O(log n). It is for the log simulator
// and tests, not the monitor's hot path. Not thread-safe.
class MerkleTree {
 public:
  void Append(const Hash& leaf_hash);
  uint64_t size() const { return levels_.empty() ? 0 : levels_[0].size(); }

  // Root returns the Merkle Tree Hash of the first tree_size leaves (tree_size <= size()).
  Hash Root(uint64_t tree_size) const;
  // InclusionProof returns PATH(index, D[tree_size]) (RFC 6962 §2.1.1); index < tree_size.
  std::vector<Hash> InclusionProof(uint64_t index, uint64_t tree_size) const;
  // ConsistencyProof returns PROOF(size1, D[size2]) (RFC 6962 §2.1.2); size1 <= size2.
  std::vector<Hash> ConsistencyProof(uint64_t size1, uint64_t size2) const;
  // PerfectNode returns the hash of leaves [index << level, (index + 1) << level), which
  // must all exist: the nodes that static-ct-api hash tiles hold.
  const Hash& PerfectNode(unsigned level, uint64_t index) const { return levels_[level][index]; }

 private:
  // SubtreeHash returns MTH(D[begin:end_exclusive]) for a range that the RFC's recursions
  // produce: begin is a multiple of the largest power of two below (end - begin).
  Hash SubtreeHash(uint64_t begin, uint64_t end_exclusive) const;
  void Path(uint64_t index, uint64_t begin, uint64_t end_exclusive, std::vector<Hash>& out) const;
  void SubProof(uint64_t m, uint64_t begin, uint64_t end_exclusive, bool whole,
                std::vector<Hash>& out) const;

  // levels_[k][i] is the hash of the perfect subtree of leaves [i << k, (i + 1) << k).
  std::vector<std::vector<Hash>> levels_;
};

}  // namespace pinwatch::ctlog
