// Fuzzes the Merkle code against the RFC's recursive definitions (tests/ctlog/merkle_reference.h):
// the input chooses a tree size, a leaf and a prefix size, and a "proof" of arbitrary bytes.
// Invariants: CompactRange, MerkleTree and the reference agree on every root; served proofs
// verify; an arbitrary proof verifies only if it is the served one (hashes are collision-free).
#include <cstdlib>

#include "base/byte_reader.h"
#include "tests/ctlog/merkle_reference.h"

using namespace pinwatch;
using namespace pinwatch::ctlog;

namespace {
void Check(bool condition) {
  if (!condition) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ByteReader r(Bytes(data, size));
  auto n16 = r.U16(), m16 = r.U16(), s16 = r.U16();
  if (!n16 || !m16 || !s16) return 0;
  const uint64_t n = *n16 % 200 + 1;  // tree size
  const uint64_t m = *m16 % n;        // a leaf index
  const uint64_t size1 = *s16 % n + 1;  // a prefix size

  std::vector<Hash> leaves;
  MerkleTree tree;
  CompactRange range;
  for (uint64_t i = 0; i < n; ++i) {
    uint8_t input[2] = {static_cast<uint8_t>(i), static_cast<uint8_t>(i >> 8)};
    leaves.push_back(HashLeaf(input));
    tree.Append(leaves.back());
    range.Append(leaves.back());
  }
  std::span<const Hash> d(leaves);
  const Hash root = reference::Mth(d);
  Check(range.Root() == root && tree.Root(n) == root);

  const auto inclusion = tree.InclusionProof(m, n);
  Check(VerifyInclusion(m, n, leaves[m], inclusion, root).ok());
  const Hash root1 = tree.Root(size1);
  const auto consistency = tree.ConsistencyProof(size1, n);
  Check(VerifyConsistency(size1, n, root1, root, consistency).ok());

  // The rest of the input is an arbitrary proof.
  std::vector<Hash> garbage;
  while (auto h = r.Read(32)) std::copy(h->begin(), h->end(), garbage.emplace_back().begin());
  if (VerifyInclusion(m, n, leaves[m], garbage, root).ok()) Check(garbage == inclusion);
  if (VerifyConsistency(size1, n, root1, root, garbage).ok()) Check(garbage == consistency);
  return 0;
}
