#include "pins/decision.h"

#include "pins/matching.h"
#include "pins/publisher.h"

namespace pinwatch::pins {

Result<DecisionResult> Decide(db::PinStore& store, const std::vector<PinsetPolicy>& pinsets,
                              const PublishConfig& publish, const DecisionRequest& request, int64_t now_s) {
  Result<std::vector<db::Proposal>> found = store.ListProposals({.ids = {request.proposal_id}, .with_evidence = false});
  if (!found.ok()) return found.status();
  if (found->empty()) return NotFoundError("no proposal " + std::to_string(request.proposal_id));
  const db::Proposal& proposal = found->front();
  const PinsetPolicy* policy = nullptr;
  for (const PinsetPolicy& p : pinsets) {
    if (p.name == proposal.pinset) policy = &p;
  }
  if (!policy) return FailedPreconditionError("pin-set " + proposal.pinset + " is not in the configuration");
  Result<db::PinsetVersion> current = store.CurrentVersion(policy->name);
  if (!current.ok()) return current.status();
  const std::vector<Hash> after = PinsAfter(current->pins, proposal.action, proposal.pin);

  DecisionResult result{.pinset = policy->name, .approvals_required = policy->approvals_required};
  if (request.approve && proposal.status == db::ProposalStatus::kPending) {
    Result<PinsetNames> names = PinsetNames::Create(current->names, current->include_subdomains);
    if (!names.ok()) return names.status();
    Result<std::vector<db::CertificateFacts>> certs = store.Certificates();
    if (!certs.ok()) return certs.status();
    result.checks = SafetyChecks(*policy, *names, current->pins, after, *certs, now_s);
    if (!AllPass(result.checks)) {
      return FailedPreconditionError("proposal " + std::to_string(request.proposal_id) +
                                     " cannot be approved: " + FailedChecks(result.checks));
    }
  }
  Result<db::DecisionOutcome> outcome =
      store.Decide(request.proposal_id,
                   {.operator_name = request.operator_name, .approve = request.approve, .reason = request.reason},
                   policy->approvals_required, current->version,
                   {.pinset = policy->name, .pins = after, .names = policy->names,
                    .include_subdomains = policy->include_subdomains, .expiry_days = policy->expiry_days});
  if (!outcome.ok()) return outcome.status();
  result.outcome = *outcome;
  if (outcome->new_version && !publish.signing_key.empty()) {
    Result<Publisher> publisher = Publisher::Create(publish, {policy->name}, store, nullptr);
    result.published = publisher.ok() ? publisher->Pass(now_s) : publisher.status();
  }
  return result;
}

}  // namespace pinwatch::pins
