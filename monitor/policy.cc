#include "monitor/policy.h"

#include <algorithm>

#include "base/pin.h"

namespace pinwatch::monitor {

Verdict Judge(const WatchRule& watch, const x509::CertIdentity& identity) {
  auto contains = [](const std::vector<Hash>& pins, const Hash& h) {
    return std::find(pins.begin(), pins.end(), h) != pins.end();
  };
  if (!identity.issuer_spki_sha256) {
    return {FindingKind::kUnexpectedIssuer,
            "issuer key unknown (no resolvable issuer in the log's chain), so it cannot be shown to be allowed for " +
                watch.name};
  }
  // A key above the issuer in the log's chain counts too: allowing a CA's root (or its
  // intermediate above the issuing one) allows the intermediates it issues from, so a CA
  // that moves to a new intermediate is an expected change, not an alert. The chain is the
  // one the log checked up to its accepted roots.
  const auto allowed_above = [&] {
    for (const x509::ChainLink& link : identity.chain) {
      if (!link.spki_sha256) return false;
      if (contains(*watch.allowed_issuers, *link.spki_sha256)) return true;
    }
    return false;
  };
  if (watch.allowed_issuers && !contains(*watch.allowed_issuers, *identity.issuer_spki_sha256) && !allowed_above()) {
    return {FindingKind::kUnexpectedIssuer, "issuer key " + PinText(*identity.issuer_spki_sha256) + " (" +
                                                identity.issuer_utf8 + ") is not in allowed_issuers of " +
                                                watch.name};
  }
  if (contains(watch.known_keys, identity.spki_sha256)) {
    return {FindingKind::kKnownKey, "leaf key " + identity.spki_sha256_pin + " is in known_keys of " + watch.name};
  }
  return {FindingKind::kUnexpectedKey,
          "leaf key " + identity.spki_sha256_pin + " is not in known_keys of " + watch.name};
}

db::Alerting AlertingFor(FindingKind kind, std::span<const Severity> send_severities) {
  for (Severity s : send_severities) {
    if (s == db::SeverityOf(kind)) return db::Alerting::kOutbox;
  }
  return db::Alerting::kNone;
}

}  // namespace pinwatch::monitor
