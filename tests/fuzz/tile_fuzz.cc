// Fuzzes ParseDataTile (and ParseHashTile, ParseLeafIndex) on arbitrary bytes. The width is
// not in the input: every width 1..256 is tried, and at most one can succeed because a tile
// must hold exactly `width` entries. Invariants: parse errors are kMalformed; a successful
// parse iterates exactly `width` leaves with consecutive indexes, VerifyLeafIndex answers
// only OK, kMalformed or kMisbehaviour, and re-encoding every leaf rebuilds the input.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ctlog/tile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace pinwatch;
  using namespace pinwatch::ctlog;
  Bytes in(data, size);
  int successes = 0;
  for (uint16_t width = 1; width <= kTileWidth; ++width) {
    Result<std::vector<Hash>> hashes = ParseHashTile(in, width);
    if (hashes.ok() != (size == size_t{width} * 32)) std::abort();

    Result<DataTileView> tile = ParseDataTile(in, 5, width);
    if (!tile.ok()) {
      if (tile.status().code() != Code::kMalformed) std::abort();
      continue;
    }
    ++successes;
    std::vector<uint8_t> out;
    uint64_t expected_index = uint64_t{5} * kTileWidth;
    for (TileLeafView leaf : *tile) {
      if (leaf.leaf_index != expected_index++) std::abort();
      Code code = VerifyLeafIndex(leaf).code();
      if (code != Code::kOk && code != Code::kMalformed && code != Code::kMisbehaviour) std::abort();
      Result<uint64_t> index = ParseLeafIndex(leaf.timestamped_entry.extensions);
      if (!index.ok() && index.status().code() != Code::kMalformed) std::abort();
      if (index.ok() && *index >= kLeafIndexLimit) std::abort();
      std::vector<Hash> chain;
      for (size_t c = 0; c < leaf.chain_length(); ++c) chain.push_back(leaf.ChainFingerprint(c));
      if (!EncodeTileLeaf(leaf.timestamped_entry, leaf.pre_certificate, chain, out).ok()) std::abort();
      (void)leaf.MerkleLeafHash();
    }
    if (expected_index != uint64_t{5} * kTileWidth + width) std::abort();
    if (!std::equal(out.begin(), out.end(), in.begin(), in.end())) std::abort();
  }
  if (successes > 1) std::abort();
  return 0;
}
