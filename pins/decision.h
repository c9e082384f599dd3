// Deciding a proposal, the one way the CLI and the HTTP API both do it: an approval is
// refused while a safety check fails (computed now, for the set as it would be after the
// change); the approval that reaches approvals_required makes the next version
// (PinStore::Decide, one transaction) and publishes it when `publish` is configured.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/pin_store.h"
#include "pins/checks.h"
#include "pins/pinset.h"

namespace pinwatch::pins {

struct DecisionRequest {
  int64_t proposal_id = 0;
  std::string operator_name;
  bool approve = true;
  std::string reason;
};

struct DecisionResult {
  db::DecisionOutcome outcome;
  std::string pinset;
  int64_t approvals_required = 1;
  std::vector<Check> checks;  // the checks the approval passed (empty for a rejection)
  // Publication of a new version: nullopt when nothing was published (no new version, no
  // `publish`); else OK, or why this process could not (`run` publishes it at its next pass).
  std::optional<Status> published;
};

// Decide decides one proposal. Errors: kNotFound (no such proposal); kFailedPrecondition
// (already decided; a safety check fails, its message naming them; the operator unknown,
// removed or a viewer, or already decided it; the pin-set changed meanwhile: decide again;
// the proposal's pin-set is not in `pinsets`); database errors as the store gives them.
Result<DecisionResult> Decide(db::PinStore& store, const std::vector<PinsetPolicy>& pinsets,
                              const PublishConfig& publish, const DecisionRequest& request, int64_t now_s);

}  // namespace pinwatch::pins
