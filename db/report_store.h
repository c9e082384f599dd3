// ReportStore: pin-failure reports (issue 20) as the intake and `pinwatch reports` work them.
// The intake looks up what CT showed about a report's leaf, records the report in its group
// (a resend merged, its sender counted), and raises the findings that alert. One
// PostgreSQL implementation (db/pg_report_store.cc); not thread-safe (one per thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/sha256.h"
#include "base/status.h"
#include "db/finding.h"

namespace pinwatch::db {

// KnownCertificate is a stored certificate, as far as a report needs it.
struct KnownCertificate {
  int64_t certificate_id = 0;
  std::optional<int64_t> unexpected_issuer_finding_id;  // some finding about it is unexpected_issuer
  bool issuer_allowed = false;  // a known_key or unexpected_key finding: its CA is allowed
};

// NewReport is one explained report, to count in its group.
struct NewReport {
  Hash group_key{};  // the group it belongs to (chosen by its classification)
  std::string hostname;
  int64_t port = 443;
  std::string watched;         // the watch entry the hostname falls under
  std::string classification;  // pinreports::ClassificationName
  std::string reason;
  std::optional<Hash> leaf_spki, issuer_spki, leaf_tbs;
  Hash client{};        // who sent it: SHA-256 of its per-install id, or of its address
  Hash identity{};      // pinreports::ReportIdentity: TrustKit's duplicate rule
  int64_t happened_unix_s = 0;  // the report's date-time (arrival time when it has none)
  std::string example_json;     // kept with a new group: its chain, pins and app
  int64_t window_s = 3600;      // distinct clients are counted over this long, up to happened
};

// RecordedReport is the group after the report was counted.
struct RecordedReport {
  int64_t report_id = 0;
  bool duplicate = false;  // the same report from the same client within 24 h: merged
  int64_t reports = 0;     // distinct reports in the group
  int64_t clients_in_window = 0;  // distinct clients whose reports happened in the window
  std::optional<int64_t> finding_id, proposal_id;
};

// ReportFinding is a finding a report raises: one per dedupe key, alerting when new.
struct ReportFinding {
  FindingKind kind = FindingKind::kStalePinset;
  std::string watched;
  std::optional<int64_t> certificate_id;  // absent only for kInterception
  std::string reason;
  std::string evidence_json = "{}";
  std::string dedupe;  // what makes it the same finding (with kind and watched)
  bool alerting = true;
};

// ReportRow is one group as `pinwatch reports` lists it.
struct ReportRow {
  int64_t id = 0;
  std::string hostname;
  int64_t port = 443;
  std::string watched, classification, reason;
  std::optional<Hash> leaf_spki, issuer_spki;
  int64_t reports = 0, duplicates = 0, distinct_clients = 0;
  std::string first_seen, last_seen;  // RFC 3339, the reports' own times
  std::optional<int64_t> finding_id, proposal_id;
  bool proposal_urgent = false;
};

class ReportStore {
 public:
  virtual ~ReportStore() = default;
  // CertificateByTbs is the stored certificate with this TBS identity hash, if any.
  virtual Result<std::optional<KnownCertificate>> CertificateByTbs(const Hash& tbs) = 0;
  // CertificateWithKey is a stored certificate whose key is `spki`, whose names cover
  // `hostname` (exactly, or a wildcard one label up) and whose CA is allowed; the newest.
  virtual Result<std::optional<KnownCertificate>> CertificateWithKey(const Hash& spki, const std::string& hostname) = 0;
  // Record counts `report` in its group (made on first sight), in one transaction.
  virtual Result<RecordedReport> Record(const NewReport& report) = 0;
  // RaiseFinding makes the finding unless one with its kind, watched name and dedupe
  // exists, with its alert when `alerting`; returns its id either way.
  virtual Result<int64_t> RaiseFinding(const ReportFinding& finding) = 0;
  // Link ties a group to the finding and proposal it led to (either may be absent);
  // a proposal linked is marked urgent (proposals.urgent_at) if it is not yet.
  virtual Status Link(int64_t report_id, std::optional<int64_t> finding_id, std::optional<int64_t> proposal_id) = 0;
  // List returns the groups, the most recent last_seen first, at most `limit` (0: all).
  virtual Result<std::vector<ReportRow>> List(size_t limit) = 0;
};

}  // namespace pinwatch::db
