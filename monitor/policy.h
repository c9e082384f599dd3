// Policy: what a certificate that concerns a watched name means for its owner. A watch rule
// says which CA keys may issue for the name and which leaf keys we hold; a logged
// certificate is then one finding kind (db/finding.h: the stored and alerted vocabulary).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "db/finding.h"
#include "db/records.h"
#include "x509/identity.h"

namespace pinwatch::monitor {

using db::FindingKind;
using db::Severity;

// WatchRule is what the policy needs of one watch entry (config.h's WatchConfig holds one).
struct WatchRule {
  std::string name;  // the watch entry's name, as configured (it names the finding)
  // SPKI SHA-256 of the CA keys allowed to issue; nullopt: any issuer; empty: none.
  std::optional<std::vector<Hash>> allowed_issuers;
  std::vector<Hash> known_keys;  // SPKI SHA-256 of the leaf keys we hold
};

// Verdict is the policy's answer for one certificate and one watch rule.
struct Verdict {
  FindingKind kind;
  std::string reason;  // one line for people, naming the key or issuer in question
};

// Judge classifies a parsed certificate against a watch rule it concerns:
//  - the issuer's SPKI hash unknown (an x509 entry without a resolvable chain), or, when
//    allowed_issuers is configured, neither it nor a key above it in the log's chain (an
//    allowed root or upper intermediate allows what it issued) is in the list
//    -> unexpected_issuer. An unknown issuer is
//    treated as unexpected because it cannot be shown to be allowed;
//  - else the leaf SPKI in known_keys -> known_key, otherwise unexpected_key.
// Pure and thread-safe.
Verdict Judge(const WatchRule& rule, const x509::CertIdentity& identity);

// AlertingFor says whether a new finding of `kind` alerts: its severity is one of
// `send_severities` (alerts.send_severities; known_key, info, is not by default).
db::Alerting AlertingFor(FindingKind kind, std::span<const Severity> send_severities);

}  // namespace pinwatch::monitor
