#include "monitor/issuer_cache.h"

namespace pinwatch::monitor {

std::optional<Bytes> IssuerCache::Lookup(const Hash& fingerprint) {
  for (const auto& [fp, der] : issuers_) {
    if (fp == fingerprint) return Bytes(der);
  }
  if (source_ == nullptr) return std::nullopt;
  auto der = source_->Issuer(fingerprint);
  if (!der.ok()) return std::nullopt;
  if (issuers_.size() >= kMaxCachedIssuers) issuers_.erase(issuers_.begin());
  issuers_.emplace_back(fingerprint, std::move(*der));
  return Bytes(issuers_.back().second);
}

}  // namespace pinwatch::monitor
