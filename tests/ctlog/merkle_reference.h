// A deliberately naive RFC 6962 §2.1 reference: MTH, PATH and PROOF written exactly as the
// RFC's recursive definitions, for cross-checking the real implementation in tests and fuzzing.
#pragma once

#include <bit>
#include <vector>

#include "ctlog/merkle.h"

namespace pinwatch::ctlog::reference {

inline Hash Mth(std::span<const Hash> leaves) {
  if (leaves.empty()) return EmptyTreeRoot();
  if (leaves.size() == 1) return leaves[0];
  size_t k = std::bit_floor(leaves.size() - 1);
  return HashChildren(Mth(leaves.first(k)), Mth(leaves.subspan(k)));
}

inline std::vector<Hash> Path(size_t m, std::span<const Hash> d) {
  if (d.size() <= 1) return {};
  size_t k = std::bit_floor(d.size() - 1);
  std::vector<Hash> out = m < k ? Path(m, d.first(k)) : Path(m - k, d.subspan(k));
  out.push_back(m < k ? Mth(d.subspan(k)) : Mth(d.first(k)));
  return out;
}

inline std::vector<Hash> SubProof(size_t m, std::span<const Hash> d, bool b) {
  if (m == d.size()) return b ? std::vector<Hash>{} : std::vector<Hash>{Mth(d)};
  size_t k = std::bit_floor(d.size() - 1);
  std::vector<Hash> out = m <= k ? SubProof(m, d.first(k), b) : SubProof(m - k, d.subspan(k), false);
  out.push_back(m <= k ? Mth(d.subspan(k)) : Mth(d.first(k)));
  return out;
}

}  // namespace pinwatch::ctlog::reference
