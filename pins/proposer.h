// The proposer: pin-set changes from what CT shows. It reads what the log workers
// committed (certificates, their entries and findings) and each pin-set's current
// version, and keeps the proposals right:
//  - add the key of a certificate for the set's names from an allowed issuer that the set
//    does not pin (a leaf key, or, for a set that pins CA keys, the issuing intermediate's
//    key): as soon as a verified log entry holds the precertificate, before the
//    certificate can be served;
//  - remove a pinned key once every certificate for the names with it has expired and
//    remove_grace_days have passed, unless that would leave fewer than min_pins;
//  - never a key of an unexpected issuer or a malformed certificate, nor one only seen in
//    entries whose tree head is not verified yet (the proposal waits until it is);
//  - one pending proposal per pin-set and pin; new certificates add evidence to it; a
//    decided proposal is not made again without new evidence; a pending one the set no
//    longer needs (another change did it) is superseded.
// Planning is pure (PlanProposals); Proposer::Pass reads, plans and writes. Passes are
// idempotent, so every replica may run them.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "db/pin_store.h"
#include "pins/pinset.h"

namespace pinwatch::pins {

struct ProposalPlan {
  std::vector<db::NewProposal> proposals;
  std::vector<std::pair<int64_t, std::string>> supersede;  // pending id, why
};

// PlanProposals says what the proposals of one pin-set should be. `pending` are its
// pending proposals. Pure.
ProposalPlan PlanProposals(const PinsetPolicy& policy, const db::PinsetVersion& current,
                           const std::vector<db::CertificateFacts>& certs, const std::vector<db::Proposal>& pending,
                           int64_t now_s);

struct PassSummary {
  size_t proposed = 0;    // new proposals
  size_t evidence = 0;    // proposals that exist or were declined again, evidence added
  size_t superseded = 0;
};

class Proposer {
 public:
  using LogLine = std::function<void(const std::string&)>;
  Proposer(std::vector<PinsetPolicy> pinsets, db::PinStore& store, LogLine log_line)
      : pinsets_(std::move(pinsets)), store_(store), log_line_(std::move(log_line)) {}

  // Pass runs one round over every pin-set; each new proposal is logged.
  Result<PassSummary> Pass(int64_t now_s);

 private:
  std::vector<PinsetPolicy> pinsets_;
  db::PinStore& store_;
  LogLine log_line_;
};

}  // namespace pinwatch::pins
