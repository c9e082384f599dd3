#include "ctlog/merkle.h"

#include <bit>
#include <string>

namespace pinwatch::ctlog {
namespace {

// LargestPowerOfTwoBelow returns the k of RFC 6962 §2.1: the largest power of two < n (n > 1).
uint64_t LargestPowerOfTwoBelow(uint64_t n) { return std::bit_floor(n - 1); }

}  // namespace

Hash HashLeaf(Bytes leaf_input) {
  thread_local Sha256 hasher;
  return hasher.Update(0x00).Update(leaf_input).Final();
}

Hash HashChildren(const Hash& left, const Hash& right) {
  thread_local Sha256 hasher;
  return hasher.Update(0x01).Update(left).Update(right).Final();
}

Hash EmptyTreeRoot() { return Sha256Of({}); }

// --- CompactRange ---

Result<CompactRange> CompactRange::Create(uint64_t end_exclusive, std::vector<Hash> hashes) {
  if (hashes.size() != static_cast<size_t>(std::popcount(end_exclusive))) {
    return MalformedError("compact range for size " + std::to_string(end_exclusive) + " needs " +
                          std::to_string(std::popcount(end_exclusive)) + " hashes, got " +
                          std::to_string(hashes.size()));
  }
  CompactRange range;
  range.end_ = end_exclusive;
  range.hashes_ = std::move(hashes);
  return range;
}

Result<CompactRange> CompactRange::FromRightmostInclusionProof(uint64_t tree_size,
                                                               const Hash& leaf_hash,
                                                               std::span<const Hash> proof) {
  if (tree_size == 0) return MalformedError("inclusion proof for an empty tree");
  std::vector<Hash> hashes(proof.rbegin(), proof.rend());
  auto range = Create(tree_size - 1, std::move(hashes));
  if (!range.ok()) {
    return MalformedError("inclusion proof of the last leaf of tree size " + std::to_string(tree_size) +
                          " has " + std::to_string(proof.size()) + " hashes, want " +
                          std::to_string(std::popcount(tree_size - 1)));
  }
  range->Append(leaf_hash);
  return range;
}

void CompactRange::Append(const Hash& leaf_hash) {
  hashes_.push_back(leaf_hash);
  // Each trailing 1 bit of the old size is a perfect subtree the new leaf completes.
  for (uint64_t e = end_; e & 1; e >>= 1) {
    Hash right = hashes_.back();
    hashes_.pop_back();
    hashes_.back() = HashChildren(hashes_.back(), right);
  }
  ++end_;
}

Hash CompactRange::Root() const {
  if (hashes_.empty()) return EmptyTreeRoot();
  Hash root = hashes_.back();
  for (size_t i = hashes_.size() - 1; i-- > 0;) root = HashChildren(hashes_[i], root);
  return root;
}

// --- Verification (RFC 9162 §2.1.3.2 and §2.1.4.2) ---

Status VerifyInclusion(uint64_t index, uint64_t tree_size, const Hash& leaf_hash,
                       std::span<const Hash> proof, const Hash& root) {
  if (index >= tree_size) {
    return MalformedError("inclusion proof for leaf " + std::to_string(index) +
                          " of a tree of size " + std::to_string(tree_size));
  }
  uint64_t fn = index, sn = tree_size - 1;
  Hash r = leaf_hash;
  for (const Hash& p : proof) {
    if (sn == 0) return MisbehaviourError("inclusion proof is longer than the tree is deep");
    if ((fn & 1) || fn == sn) {
      r = HashChildren(p, r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = HashChildren(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return MisbehaviourError("inclusion proof is shorter than the tree is deep");
  if (r != root) return MisbehaviourError("inclusion proof does not lead to the root");
  return OkStatus();
}

Status VerifyConsistency(uint64_t size1, uint64_t size2, const Hash& root1, const Hash& root2,
                         std::span<const Hash> proof) {
  if (size1 == 0) return MalformedError("consistency proof from the empty tree");
  if (size1 > size2) {
    return MalformedError("consistency proof from size " + std::to_string(size1) +
                          " to the smaller size " + std::to_string(size2));
  }
  if (size1 == size2) {
    if (!proof.empty()) return MisbehaviourError("consistency proof between equal sizes is not empty");
    if (root1 != root2) return MisbehaviourError("two different roots for the same tree size");
    return OkStatus();
  }
  if (proof.empty()) return MisbehaviourError("empty consistency proof between different sizes");

  // When size1 is a power of two, its root is the first node of the path and is omitted.
  const bool prepend_root1 = std::has_single_bit(size1);
  size_t next = 0;
  const Hash& first = prepend_root1 ? root1 : proof[next++];
  uint64_t fn = size1 - 1, sn = size2 - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = first, sr = first;
  for (; next < proof.size(); ++next) {
    const Hash& c = proof[next];
    if (sn == 0) return MisbehaviourError("consistency proof is longer than expected");
    if ((fn & 1) || fn == sn) {
      fr = HashChildren(c, fr);
      sr = HashChildren(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = HashChildren(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return MisbehaviourError("consistency proof is shorter than expected");
  if (fr != root1) return MisbehaviourError("consistency proof does not lead to the first root");
  if (sr != root2) return MisbehaviourError("consistency proof does not lead to the second root");
  return OkStatus();
}

// --- MerkleTree ---

void MerkleTree::Append(const Hash& leaf_hash) {
  if (levels_.empty()) levels_.emplace_back();
  levels_[0].push_back(leaf_hash);
  // Complete every perfect subtree the new leaf closes, level by level.
  for (size_t level = 0; levels_[level].size() % 2 == 0; ++level) {
    if (level + 1 == levels_.size()) levels_.emplace_back();
    const auto& below = levels_[level];
    levels_[level + 1].push_back(HashChildren(below[below.size() - 2], below.back()));
  }
}

Hash MerkleTree::SubtreeHash(uint64_t begin, uint64_t end_exclusive) const {
  const uint64_t n = end_exclusive - begin;
  if (std::has_single_bit(n)) {
    const unsigned level = std::countr_zero(n);
    return levels_[level][begin >> level];
  }
  const uint64_t k = LargestPowerOfTwoBelow(n);
  return HashChildren(SubtreeHash(begin, begin + k), SubtreeHash(begin + k, end_exclusive));
}

Hash MerkleTree::Root(uint64_t tree_size) const {
  if (tree_size == 0) return EmptyTreeRoot();
  return SubtreeHash(0, tree_size);
}

void MerkleTree::Path(uint64_t index, uint64_t begin, uint64_t end_exclusive,
                      std::vector<Hash>& out) const {
  const uint64_t n = end_exclusive - begin;
  if (n <= 1) return;
  const uint64_t k = LargestPowerOfTwoBelow(n);
  if (index < k) {
    Path(index, begin, begin + k, out);
    out.push_back(SubtreeHash(begin + k, end_exclusive));
  } else {
    Path(index - k, begin + k, end_exclusive, out);
    out.push_back(SubtreeHash(begin, begin + k));
  }
}

std::vector<Hash> MerkleTree::InclusionProof(uint64_t index, uint64_t tree_size) const {
  std::vector<Hash> out;
  Path(index, 0, tree_size, out);
  return out;
}

void MerkleTree::SubProof(uint64_t m, uint64_t begin, uint64_t end_exclusive, bool whole,
                          std::vector<Hash>& out) const {
  const uint64_t n = end_exclusive - begin;
  if (m == n) {
    if (!whole) out.push_back(SubtreeHash(begin, end_exclusive));
    return;
  }
  const uint64_t k = LargestPowerOfTwoBelow(n);
  if (m <= k) {
    SubProof(m, begin, begin + k, whole, out);
    out.push_back(SubtreeHash(begin + k, end_exclusive));
  } else {
    SubProof(m - k, begin + k, end_exclusive, false, out);
    out.push_back(SubtreeHash(begin, begin + k));
  }
}

std::vector<Hash> MerkleTree::ConsistencyProof(uint64_t size1, uint64_t size2) const {
  std::vector<Hash> out;
  if (size1 == 0 || size1 == size2) return out;
  SubProof(size1, 0, size2, true, out);
  return out;
}

}  // namespace pinwatch::ctlog
