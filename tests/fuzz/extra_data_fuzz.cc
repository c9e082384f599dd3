// Fuzzes ParseExtraData for both entry types on the same bytes. Invariants: every error is
// kMalformed; a parse that succeeds iterates exactly chain.size() non-empty certificates and
// re-encodes (EncodeX509ChainEntry / EncodePrecertChainEntry) to exactly the input.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "ctlog/leaf.h"

namespace {

void Check(pinwatch::ctlog::LogEntryType type, pinwatch::Bytes in) {
  using namespace pinwatch;
  using namespace pinwatch::ctlog;
  Result<ExtraDataView> extra = ParseExtraData(type, in);
  if (!extra.ok()) {
    if (extra.status().code() != Code::kMalformed) std::abort();
    return;
  }
  std::vector<Bytes> chain;
  for (Bytes cert : extra->chain) {
    if (cert.empty()) std::abort();
    chain.push_back(cert);
  }
  if (chain.size() != extra->chain.size()) std::abort();
  std::vector<uint8_t> out;
  Status s = type == LogEntryType::kX509Entry ? EncodeX509ChainEntry(chain, out)
                                              : EncodePrecertChainEntry(extra->pre_certificate, chain, out);
  if (!s.ok()) std::abort();
  if (!std::equal(out.begin(), out.end(), in.begin(), in.end())) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Check(pinwatch::ctlog::LogEntryType::kX509Entry, pinwatch::Bytes(data, size));
  Check(pinwatch::ctlog::LogEntryType::kPrecertEntry, pinwatch::Bytes(data, size));
  return 0;
}
