// The finding vocabulary: what the policy concludes, what the store keeps, what reports and
// alerts say. It travels as enums from the policy to the database seam; the store maps each
// to its stored text, which is also what `findings --json` prints. Those names are an
// interface (scripts, the database, Alertmanager labels): extend, never rename.
//   unexpected_issuer (critical)  the issuing CA's key is not allowed, or cannot be known
//   unexpected_key    (warning)   allowed issuer, leaf key not ours: a pin-set proposal input
//   known_key         (info)      allowed issuer and a key we hold: recorded, no alert
//   malformed         (warning)   could concern a watched name but does not parse
//   log_misbehaviour  (critical)  the log broke its promises (decided by ctlog::TreeVerifier)
// Raised by pin-failure reports from apps (pinreports/, issue 20):
//   stale_pinset      (critical)  apps fail on a key CT showed from an allowed CA: the
//                                 published pin-set lacks it, an outage for its users now
//   unexpected_issuer_served (critical)  an unexpected_issuer certificate is being served
//                                 to users (a report carried it): the earlier finding, escalated
//   interception      (warning)   apps on some networks see a certificate that is not in CT
//                                 and chains to no root the logs accept: a TLS-inspecting
//                                 proxy, past the configured number of clients; never a pin
#pragma once

#include <optional>
#include <string_view>

namespace pinwatch::db {

enum class FindingKind {
  kUnexpectedIssuer,
  kUnexpectedKey,
  kKnownKey,
  kMalformed,
  kLogMisbehaviour,
  kStalePinset,
  kUnexpectedIssuerServed,
  kInterception,
};
// Severity is ordered: kInfo < kWarning < kCritical.
enum class Severity { kInfo, kWarning, kCritical };
enum class FindingStatus { kOpen, kAcknowledged, kResolved };

// The stored names, and back (nullopt for a name that is not one of them).
// FindingKindName: "unexpected_issuer", "unexpected_key", "known_key", "malformed",
// "log_misbehaviour", "stale_pinset", "unexpected_issuer_served", "interception".
// SeverityName: "info", "warning", "critical". FindingStatusName: "open", "acknowledged",
// "resolved".
std::string_view FindingKindName(FindingKind kind);
std::string_view SeverityName(Severity severity);
std::string_view FindingStatusName(FindingStatus status);
std::optional<FindingKind> FindingKindFromName(std::string_view name);
std::optional<Severity> SeverityFromName(std::string_view name);
std::optional<FindingStatus> FindingStatusFromName(std::string_view name);

// SeverityOf is the fixed severity of each kind (above).
Severity SeverityOf(FindingKind kind);

}  // namespace pinwatch::db
