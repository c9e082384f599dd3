// Fuzzes ParseMerkleTreeLeaf. Invariants: every error is kMalformed; a parse that succeeds
// re-encodes to exactly the input, and hashing the TimestampedEntry alone gives the same
// Merkle leaf hash as hashing the whole leaf.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ctlog/leaf.h"
#include "ctlog/merkle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pinwatch;
  using namespace pinwatch::ctlog;
  Bytes in(data, size);
  Result<LeafView> leaf = ParseMerkleTreeLeaf(in);
  if (!leaf.ok()) {
    if (leaf.status().code() != Code::kMalformed) std::abort();
    return 0;
  }
  std::vector<uint8_t> out;
  if (!EncodeMerkleTreeLeaf(leaf->timestamped_entry, out).ok()) std::abort();
  if (out.size() != size || !std::equal(out.begin(), out.end(), data)) std::abort();
  if (ComputeLeafHash(leaf->timestamped_entry_bytes) != HashLeaf(in)) std::abort();
  return 0;
}
