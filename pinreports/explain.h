// Explaining a pin-failure report (issue 20): from the chain an app saw and what pinwatch
// already knows, which of two very different things is happening.
//   stale_pinset              the server has a key that CT showed from an allowed CA and the
//                             app's pin-set lacks it: every user fails; publish the pin now
//   unexpected_issuer_served  the leaf is a certificate already reported as unexpected_issuer:
//                             it is being served to users now
//   interception              the leaf is not in CT and the chain reaches no root the logs
//                             accept: a TLS-inspecting proxy; pinning works as designed,
//                             and its key is never proposed
//   unknown                   anything else, with the reason
// Pure: the store looks the facts up (db/report_store.h) and this decides, so every rule is
// tested without a database.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/sha256.h"

namespace pinwatch::pinreports {

enum class Classification { kStalePinset, kUnexpectedIssuerServed, kInterception, kUnknown };
// ClassificationName: "stale_pinset", "unexpected_issuer_served", "interception",
// "unknown" (stored, printed by `pinwatch reports`, a metric label: extend, never rename).
std::string_view ClassificationName(Classification c);

// CtCertificate is a certificate pinwatch stored from CT, as far as a report needs it.
struct CtCertificate {
  int64_t certificate_id = 0;
  // What the policy said of it: the CA that issued it is not allowed for the name (its
  // unexpected_issuer finding's id), or it is (a known_key or unexpected_key finding).
  std::optional<int64_t> unexpected_issuer_finding_id;
  bool issuer_allowed = false;
};

// ReportFacts is what bears on one report.
struct ReportFacts {
  std::string hostname;
  // The leaf as the app saw it (x509::ComputeCertificateIdentity of the chain).
  bool leaf_parsed = false;
  std::string leaf_error;  // why it does not parse, when it does not
  Hash leaf_spki{};
  // In CT: a stored certificate with the leaf's TBS identity hash (the same certificate,
  // or its precertificate), and else one for the hostname with the leaf's key from an
  // allowed CA (the server's new key, logged when its certificate was issued).
  std::optional<CtCertificate> same_certificate;
  std::optional<CtCertificate> same_key_from_allowed_ca;
  // Some key of the chain (leaf or CA) is among the report's known pins: the app's check
  // should then have passed.
  bool chain_holds_a_known_pin = false;
  // Whether the chain reaches a root one of the followed logs accepts, and why (one line).
  bool reaches_accepted_root = false;
  std::string root_reason;
};

// Explanation is the verdict, with what it rests on.
struct Explanation {
  Classification classification = Classification::kUnknown;
  std::string reason;  // one line, for operators
  // The CT certificate the verdict rests on (stale_pinset: the one with the key;
  // unexpected_issuer_served: the certificate served), and the finding to escalate.
  std::optional<int64_t> certificate_id;
  std::optional<int64_t> escalated_finding_id;
};

// Explain applies the rules above, in this order: a leaf that does not parse is unknown;
// a certificate reported as unexpected_issuer is unexpected_issuer_served; a chain that
// holds a known pin is unknown (no pin failure to explain); a key CT showed from an allowed
// CA is stale_pinset; a leaf not in CT whose chain reaches no accepted root is interception;
// anything else is unknown, saying why.
Explanation Explain(const ReportFacts& facts);

}  // namespace pinwatch::pinreports
