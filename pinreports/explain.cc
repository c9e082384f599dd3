#include "pinreports/explain.h"

#include "base/pin.h"

namespace pinwatch::pinreports {

std::string_view ClassificationName(Classification c) {
  switch (c) {
    case Classification::kStalePinset: return "stale_pinset";
    case Classification::kUnexpectedIssuerServed: return "unexpected_issuer_served";
    case Classification::kInterception: return "interception";
    case Classification::kUnknown: return "unknown";
  }
  return "unknown";
}

Explanation Explain(const ReportFacts& f) {
  if (!f.leaf_parsed) {
    return {.classification = Classification::kUnknown,
            .reason = "the leaf certificate the app saw does not parse: " + f.leaf_error};
  }
  const std::string key = PinText(f.leaf_spki);
  if (f.same_certificate && f.same_certificate->unexpected_issuer_finding_id) {
    const int64_t finding = *f.same_certificate->unexpected_issuer_finding_id;
    return {.classification = Classification::kUnexpectedIssuerServed,
            .reason = "the certificate served for " + f.hostname + " is the one finding " + std::to_string(finding) +
                      " reported as issued by an unexpected CA: it is being served to users",
            .certificate_id = f.same_certificate->certificate_id,
            .escalated_finding_id = finding};
  }
  if (f.chain_holds_a_known_pin) {
    return {.classification = Classification::kUnknown,
            .reason = "a key of the chain the app saw is among its known pins, so its pin check should have "
                      "passed: not a pin failure pinwatch can explain"};
  }
  const std::optional<CtCertificate>& with_key =
      f.same_certificate && f.same_certificate->issuer_allowed ? f.same_certificate : f.same_key_from_allowed_ca;
  if (with_key) {
    return {.classification = Classification::kStalePinset,
            .reason = "the server's key " + key + " is on a certificate for " + f.hostname +
                      " that CT showed from an allowed CA (certificate " + std::to_string(with_key->certificate_id) +
                      "), and the pin-set the app holds lacks it: publish a pin-set with it",
            .certificate_id = with_key->certificate_id};
  }
  if (!f.same_certificate && !f.reaches_accepted_root) {
    return {.classification = Classification::kInterception,
            .reason = "the leaf is not in CT and its chain reaches no root the followed logs accept (" +
                      f.root_reason + "): a TLS-inspecting proxy or malware on the client's network"};
  }
  if (!f.same_certificate) {
    return {.classification = Classification::kUnknown,
            .reason = "the leaf is not in the CT pinwatch has seen, but its chain reaches a root the logs accept (" +
                      f.root_reason + "): issued before pinwatch followed the logs, or logged only elsewhere"};
  }
  return {.classification = Classification::kUnknown,
          .reason = "the leaf is certificate " + std::to_string(f.same_certificate->certificate_id) +
                    " from CT, which no finding judged (malformed, or not for a watched name)",
          .certificate_id = f.same_certificate->certificate_id};
}

}  // namespace pinwatch::pinreports
