// Policy: what a certificate that concerns a watched name means for its owner. The watch
// entry says which CA keys may issue for the name and which leaf keys we hold; a logged
// certificate is then one finding kind (the stored and alerted vocabulary; names are stable):
//   unexpected_issuer (critical)  the issuing CA's key is not allowed, or cannot be known
//   unexpected_key    (warning)   allowed issuer, leaf key not ours: a pin-set proposal input
//   known_key         (info)      allowed issuer and a key we hold: recorded, no alert
//   malformed         (warning)   could concern a watched name but does not parse
//   log_misbehaviour  (critical)  the log broke its promises (decided by ctlog::TreeVerifier)
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "monitor/config.h"
#include "monitor/identity.h"

namespace pinwatch::monitor {

enum class FindingKind { kUnexpectedIssuer, kUnexpectedKey, kKnownKey, kMalformed, kLogMisbehaviour };
enum class Severity { kInfo, kWarning, kCritical };

// FindingKindName: "unexpected_issuer", "unexpected_key", "known_key", "malformed",
// "log_misbehaviour". SeverityName: "info", "warning", "critical".
std::string_view FindingKindName(FindingKind kind);
std::string_view SeverityName(Severity severity);
std::optional<FindingKind> FindingKindFromName(std::string_view name);

// SeverityOf is the fixed severity of each kind (above).
Severity SeverityOf(FindingKind kind);

// Verdict is the policy's answer for one certificate and one watch entry.
struct Verdict {
  FindingKind kind;
  std::string reason;  // one line for people, naming the key or issuer in question
};

// Judge classifies a parsed certificate against the watch entry it concerns:
//  - the issuer's SPKI hash unknown (an x509 entry without a resolvable chain), or not in
//    allowed_issuers when that list is configured -> unexpected_issuer. An unknown issuer is
//    treated as unexpected because it cannot be shown to be allowed;
//  - else the leaf SPKI in known_keys -> known_key, otherwise unexpected_key.
// Pure and thread-safe.
Verdict Judge(const WatchConfig& watch, const CertIdentity& identity);

}  // namespace pinwatch::monitor
