// Safety checks: what a pin-set change must not break, computed for the set as it would
// be after the change and shown with every proposal. A failing check blocks approval.
//   min_pins                   at least min_pins pins
//   backup_pin                 a pin in no currently valid certificate's chain (HPKP's
//                              lesson: a set of live keys only cannot survive losing one)
//   valid_certificates_pinned  every currently valid certificate from an allowed issuer that
//                              the set pins now stays pinned (its key, its issuer's or above)
//   no_unexpected_issuer_key   no pin is the key of a certificate from an unexpected issuer,
//                              or that issuer's key
//   expiry                     the published expiry is at most a year ahead
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/pin_store.h"
#include "pins/matching.h"
#include "pins/pinset.h"

namespace pinwatch::pins {

struct Check {
  std::string name;
  bool ok = false;
  std::string detail;  // one line for people: what was counted, or what is wrong
};

// PinsAfter is `before` with the change applied, sorted.
std::vector<Hash> PinsAfter(const std::vector<Hash>& before, db::ProposalAction action, const Hash& pin);

// SafetyChecks computes every check for the change from `before` to `after`. `certs` is
// every stored certificate; only those `names` concerns count. Pure.
std::vector<Check> SafetyChecks(const PinsetPolicy& policy, const PinsetNames& names, const std::vector<Hash>& before,
                                const std::vector<Hash>& after, const std::vector<db::CertificateFacts>& certs,
                                int64_t now_s);

bool AllPass(const std::vector<Check>& checks);
// FailedChecks is "backup_pin: ...; min_pins: ..." for the ones that failed.
std::string FailedChecks(const std::vector<Check>& checks);

}  // namespace pinwatch::pins
