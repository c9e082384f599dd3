#include "monitor/policy.h"

#include <algorithm>

namespace pinwatch::monitor {

std::string_view FindingKindName(FindingKind kind) {
  switch (kind) {
    case FindingKind::kUnexpectedIssuer: return "unexpected_issuer";
    case FindingKind::kUnexpectedKey: return "unexpected_key";
    case FindingKind::kKnownKey: return "known_key";
    case FindingKind::kMalformed: return "malformed";
    case FindingKind::kLogMisbehaviour: return "log_misbehaviour";
  }
  return "unknown";
}

std::optional<FindingKind> FindingKindFromName(std::string_view name) {
  for (FindingKind k : {FindingKind::kUnexpectedIssuer, FindingKind::kUnexpectedKey, FindingKind::kKnownKey,
                        FindingKind::kMalformed, FindingKind::kLogMisbehaviour}) {
    if (FindingKindName(k) == name) return k;
  }
  return std::nullopt;
}

std::string_view SeverityName(Severity severity) {
  switch (severity) {
    case Severity::kInfo: return "info";
    case Severity::kWarning: return "warning";
    case Severity::kCritical: return "critical";
  }
  return "unknown";
}

Severity SeverityOf(FindingKind kind) {
  switch (kind) {
    case FindingKind::kUnexpectedIssuer:
    case FindingKind::kLogMisbehaviour: return Severity::kCritical;
    case FindingKind::kUnexpectedKey:
    case FindingKind::kMalformed: return Severity::kWarning;
    case FindingKind::kKnownKey: return Severity::kInfo;
  }
  return Severity::kCritical;
}

Verdict Judge(const WatchConfig& watch, const CertIdentity& identity) {
  auto contains = [](const std::vector<ctlog::Hash>& pins, const ctlog::Hash& h) {
    return std::find(pins.begin(), pins.end(), h) != pins.end();
  };
  if (!identity.issuer_spki_sha256) {
    return {FindingKind::kUnexpectedIssuer,
            "issuer key unknown (no resolvable issuer in the log's chain), so it cannot be shown to be allowed for " +
                watch.name};
  }
  if (watch.allowed_issuers && !contains(*watch.allowed_issuers, *identity.issuer_spki_sha256)) {
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

}  // namespace pinwatch::monitor
