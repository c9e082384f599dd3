// IssuerCache: the issuing certificates a static-ct-api log stores by fingerprint, fetched
// from its /issuer/ endpoint when a matched entry's chain needs them and kept (a log has a
// few hundred issuers at most). RFC 6962 entries carry their chains: no source, no fetches.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>
#include <vector>

#include "ctlog/log_source.h"
#include "x509/identity.h"

namespace pinwatch::monitor {

class IssuerCache {
 public:
  // kMaxCachedIssuers bounds the cache; the oldest entry goes first.
  static constexpr size_t kMaxCachedIssuers = 4096;

  // `source` (may be null: nothing is fetched) is borrowed and must outlive the cache.
  explicit IssuerCache(ctlog::LogSource* source) : source_(source) {}

  // Lookup returns the DER whose SHA-256 is `fingerprint`, from the cache or fetched (the log
  // checks the DER against the fingerprint); nullopt when the log cannot give it (the chain
  // link is then kMissing, which the policy reports). The view stays valid until the next
  // Lookup. Not thread-safe (one per worker).
  std::optional<Bytes> Lookup(const Hash& fingerprint);

  // AsLookup adapts Lookup for x509::ChainInput; it borrows this cache.
  x509::IssuerLookup AsLookup() {
    return [this](const Hash& fingerprint) { return Lookup(fingerprint); };
  }

 private:
  ctlog::LogSource* source_;
  std::vector<std::pair<Hash, std::vector<uint8_t>>> issuers_;
};

}  // namespace pinwatch::monitor
