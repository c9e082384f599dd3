// PinStore: pin-sets as the database keeps them (issue 16): immutable versions, the
// proposals pinwatch makes from CT with their evidence, the operators who decide them and
// the audit log of every decision. pins/ works it (the proposer, the publisher), the CLI
// and later the HTTP API decide through it; it meets the log workers only in the tables
// they write (certificates, certificate_entries, findings). One PostgreSQL implementation
// (db/pg_pin_store.cc, opened with db/postgres.h); one object is one connection: not
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"
#include "db/finding_store.h"

namespace pinwatch::db {

// PinsetVersion is one immutable version of a pin-set. Version 1 comes from the
// configuration; every approved proposal or `pinset adopt` makes the next one.
struct PinsetVersion {
  std::string pinset;
  int64_t version = 0;
  std::vector<Hash> pins;          // sorted by bytes
  std::vector<std::string> names;
  bool include_subdomains = false;
  int64_t expiry_days = 60;
  std::string origin;              // "config", "adopt" or "proposal"
  std::optional<int64_t> proposal_id;
  std::string created_at;          // RFC 3339
  // Publication: the signed document, made once (the first replica to publish wins).
  std::string document, signature;  // empty until published
  std::string published_at;         // RFC 3339, empty until published
};

// NewVersion is what a new version holds besides its number.
struct NewVersion {
  std::string pinset;
  std::vector<Hash> pins;
  std::vector<std::string> names;
  bool include_subdomains = false;
  int64_t expiry_days = 60;
};

// CertificateFacts is what the proposer and the safety checks know of one stored
// certificate: its names, keys and validity, how far its log entries are verified, what the
// policy said of it, and when it was logged as a precertificate and as a certificate.
struct CertificateFacts {
  int64_t certificate_id = 0;
  bool parsed = true;
  std::vector<std::string> dns_names;
  std::optional<Hash> spki;
  std::optional<Hash> issuer_spki;
  std::vector<Hash> chain_spki;     // the log's chain above the leaf, issuer first
  int64_t not_before_unix_s = 0, not_after_unix_s = 0;
  bool verified = false;            // at least one of its entries is under a verified head
  bool unexpected_issuer = false;   // some finding about it is unexpected_issuer
  bool malformed = false;
  std::optional<int64_t> first_precert_ms, first_certificate_ms;  // earliest entry timestamps
};

enum class ProposalAction { kAdd, kRemove };
enum class KeyRole { kLeaf, kCa };
// pending: waits for approvals; approved: approved, its version made, not yet published;
// applied: its version is published; rejected: an operator said no; superseded: the
// pin-set already holds (add) or lacks (remove) the pin, by another change.
enum class ProposalStatus { kPending, kApproved, kRejected, kApplied, kSuperseded };
std::string_view ProposalActionName(ProposalAction a);  // "add", "remove"
std::string_view KeyRoleName(KeyRole r);                 // "leaf", "ca"
std::string_view ProposalStatusName(ProposalStatus s);   // "pending", ...
std::optional<ProposalStatus> ProposalStatusFromName(std::string_view name);

// NewProposal is a proposal the proposer wants to exist, with the certificates behind it.
struct NewProposal {
  std::string pinset;
  ProposalAction action = ProposalAction::kAdd;
  Hash pin{};
  KeyRole role = KeyRole::kLeaf;
  std::string reason;
  int64_t base_version = 0;
  std::vector<int64_t> certificate_ids;
};

// Decision is one operator's approval or rejection.
struct Decision {
  std::string operator_name;
  bool approve = true;
  std::string reason;
  std::string decided_at;  // RFC 3339
};

// ProposalEvidence is one certificate behind a proposal, with its log entries.
struct ProposalEvidence {
  CertificateRecord certificate;  // without der
  std::vector<FindingEntry> entries;
  std::vector<int64_t> finding_ids;
};

struct Proposal {
  int64_t id = 0;
  std::string pinset;
  ProposalAction action = ProposalAction::kAdd;
  Hash pin{};
  KeyRole role = KeyRole::kLeaf;
  std::string reason;
  ProposalStatus status = ProposalStatus::kPending;
  int64_t base_version = 0;
  std::optional<int64_t> applied_version;
  std::string created_at, decided_at;  // RFC 3339; decided_at empty while pending
  // Earliest precertificate and certificate entry timestamps of any certificate with the
  // pinned key (leaf role): lead time = first_certificate - first_precert, when both known.
  std::optional<int64_t> first_precert_ms, first_certificate_ms;
  // Set when pin-failure reports showed apps failing for want of this pin (RFC 3339; empty
  // otherwise), with the report groups that did (`pinwatch reports`).
  std::string urgent_at;
  std::vector<int64_t> pin_report_ids;
  std::vector<Decision> decisions;
  std::vector<int64_t> evidence_ids;       // the certificates behind it, by id (always filled)
  std::vector<ProposalEvidence> evidence;  // their facts and entries (ProposalFilter::with_evidence)
};

struct ProposalFilter {
  std::vector<ProposalStatus> statuses;  // empty: all
  std::vector<int64_t> ids;              // empty: all
  std::string pinset;                    // empty: all
  bool with_evidence = true;
};

// DecisionOutcome is what a decision led to.
struct DecisionOutcome {
  ProposalStatus status = ProposalStatus::kPending;
  int64_t approvals = 0;                 // distinct approvers so far
  std::optional<int64_t> new_version;    // the version the change made
};

// Operator is a person or automation that decides proposals (tokens come with issue 17's
// API; the CLI names the operator with --operator).
struct Operator {
  std::string name;
  std::string role;  // "approver" or "viewer"
  std::string created_at;
};

struct AuditEntry {
  int64_t id = 0;
  std::string at;  // RFC 3339
  std::string operator_name, action, pinset, reason;
  std::optional<int64_t> proposal_id, version;
  std::string detail_json;  // "{}" or facts of the action
};

class PinStore {
 public:
  virtual ~PinStore() = default;

  // --- versions ---
  // EnsureFirstVersion makes version 1 from the configuration when the pin-set has none
  // (recorded in the audit log as operator "config"); returns the current version.
  virtual Result<PinsetVersion> EnsureFirstVersion(const NewVersion& config) = 0;
  // CurrentVersion is the pin-set's latest version; kNotFound when it has none.
  virtual Result<PinsetVersion> CurrentVersion(const std::string& pinset) = 0;
  // Versions lists every version, oldest first (empty: unknown pin-set).
  virtual Result<std::vector<PinsetVersion>> Versions(const std::string& pinset) = 0;
  // Adopt makes `pins` the next version (the configuration's pins, `pinset adopt`), in the
  // audit log under `operator_name`. kFailedPrecondition when they equal the current ones.
  virtual Result<PinsetVersion> Adopt(const NewVersion& next, const std::string& operator_name,
                                      const std::string& reason) = 0;
  // MarkPublished stores the signed document of a version unless one is stored already,
  // and marks the proposals that made it (or an earlier version) applied; returns the
  // version as stored (so a replica that lost the race writes the winner's bytes).
  virtual Result<PinsetVersion> MarkPublished(const std::string& pinset, int64_t version, const std::string& document,
                                              const std::string& signature) = 0;

  // --- what CT shows ---
  // Certificates returns the facts of every stored certificate (those concerning watched
  // names).
  virtual Result<std::vector<CertificateFacts>> Certificates() = 0;

  // --- proposals ---
  // Propose makes the proposal unless one is pending for the pin-set and pin, and adds its
  // certificates as evidence either way; returns the pending proposal's id and whether it
  // is new. Skips (returns nullopt) when a decided proposal for the same pin-set, action
  // and pin already holds every one of these certificates: a rejected key is proposed again
  // only on new evidence.
  virtual Result<std::optional<std::pair<int64_t, bool>>> Propose(const NewProposal& p) = 0;
  // Supersede ends a pending proposal that no longer changes anything.
  virtual Status Supersede(int64_t id, const std::string& why) = 0;
  virtual Result<std::vector<Proposal>> ListProposals(const ProposalFilter& filter) = 0;
  // Decide records one operator's decision on a pending proposal, in one transaction:
  // a rejection ends it; the approval that reaches `approvals_required` distinct approvers
  // makes `next` the pin-set's next version (`next` is the change applied to version
  // `expected_version`, which must still be current) and ends it approved. Approvals count
  // only while their operator is in office: removing an operator withdraws its approvals. Errors:
  // kNotFound (no such proposal), kFailedPrecondition (not pending: already decided; the
  // operator unknown, removed or a viewer; this operator already approved; the pin-set
  // moved on from expected_version). Every decision is in the audit log.
  virtual Result<DecisionOutcome> Decide(int64_t id, const Decision& decision, int64_t approvals_required,
                                         int64_t expected_version, const NewVersion& next) = 0;

  // --- operators and the audit log ---
  // AddOperator adds (or re-adds a removed) operator with the SHA-256 of its token;
  // kFailedPrecondition when an active operator has that name.
  virtual Status AddOperator(const std::string& name, const std::string& role, const Hash& token_sha256) = 0;
  virtual Result<std::vector<Operator>> ListOperators() = 0;
  // OperatorByToken is the active operator whose token hashes to `token_sha256`; nullopt
  // for none (never issued, or its operator removed).
  virtual Result<std::optional<Operator>> OperatorByToken(const Hash& token_sha256) = 0;
  // RemoveOperator revokes it; kNotFound for an unknown or removed name.
  virtual Status RemoveOperator(const std::string& name) = 0;
  virtual Result<std::vector<AuditEntry>> ListAudit(size_t limit) = 0;
};

}  // namespace pinwatch::db
