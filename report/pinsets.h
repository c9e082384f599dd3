// How pin-sets, proposals and the audit log are printed, for people (text) and machines
// (--json; the HTTP API of issue 17 answers the same shapes). JSON field names are an
// interface (README "Pin-sets"): add fields, never rename or drop them.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "db/pin_store.h"
#include "pins/checks.h"
#include "pins/pinset.h"

namespace pinwatch::report {

// ProposalView is a proposal with what is computed when it is shown: its safety checks
// (pending proposals: for the set as it is now) and its pin-set's approvals_required.
struct ProposalView {
  db::Proposal proposal;
  std::vector<pins::Check> checks;
  int64_t approvals_required = 1;
};

// ProposalViews makes the views of `proposals`: approvals_required from their pin-set's
// policy, and for pending ones the safety checks for the set as it is now (each pin-set's
// current version and the stored certificates read once).
Result<std::vector<ProposalView>> ProposalViews(db::PinStore& store, const std::vector<pins::PinsetPolicy>& pinsets,
                                                std::vector<db::Proposal> proposals, int64_t now_s);

// ProposalsJson: an array; each has id, pinset, action ("add"|"remove"), pin
// ("sha256/BASE64"), role ("leaf"|"ca"), reason, status, approvals (distinct approvers),
// approvals_required, decisions [{operator, decision, reason, at}], checks [{name, ok,
// detail}], checks_pass, lead_time_s (when a precertificate and a certificate with the key
// were both seen), first_precertificate_at, first_certificate_at, base_version,
// applied_version, created_at, decided_at, urgent (pin-failure reports showed apps failing
// for want of the pin), urgent_at, pin_reports (their groups' ids), evidence [{certificate_id, names, subject,
// issuer, serial, not_before, not_after, spki_sha256, issuer_spki_sha256, tbs_sha256,
// entries [{log_id, log, index, entry_type, timestamp, verified}], finding_ids}].
std::string ProposalsJson(const std::vector<ProposalView>& proposals);
// ProposalJson is one proposal, the same object.
std::string ProposalJson(const ProposalView& proposal);
// ProposalsText: one block per proposal, its first line "#ID ACTION sha256/... pin-set NAME".
std::string ProposalsText(const std::vector<ProposalView>& proposals);

// PinsetJson: {name, current_version, versions: [{version, pins, names,
// include_subdomains, expiry_days, origin, proposal_id, created_at, published_at,
// document (the published JSON text or null)}]} with versions oldest first.
std::string PinsetJson(const std::vector<db::PinsetVersion>& versions);
std::string PinsetText(const std::vector<db::PinsetVersion>& versions);

// AuditJson: an array of {id, at, operator, action, pinset, proposal_id, version, reason,
// detail}; AuditText one line each.
std::string AuditJson(const std::vector<db::AuditEntry>& entries);
std::string AuditText(const std::vector<db::AuditEntry>& entries);

// LeadTimeSeconds is first_certificate - first_precert in seconds, when both are known.
std::optional<int64_t> LeadTimeSeconds(const db::Proposal& p);

}  // namespace pinwatch::report
