// FindingStore: the findings as operators work them (the CLI today; the HTTP API next):
// list them with their certificate and log entries, move them between statuses. One
// PostgreSQL implementation (db/pg_finding_store.cc, opened with db/postgres.h); one object
// is one connection: not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/finding.h"
#include "db/records.h"

namespace pinwatch::db {

// FindingEntry is one log entry behind a finding.
struct FindingEntry {
  ctlog::LogId log_id{};
  std::string log_description;
  uint64_t index = 0;
  std::string entry_type;  // "x509" or "precert"
  uint64_t timestamp_ms = 0;
  bool verified = false;
};

// Finding is one row of `pinwatch findings`, with its certificate and entries.
struct Finding {
  int64_t id = 0;
  FindingKind kind = FindingKind::kUnexpectedKey;
  Severity severity = Severity::kWarning;
  FindingStatus status = FindingStatus::kOpen;
  std::string watched, reason;
  std::string status_note;
  std::string created_at, status_changed_at;  // RFC 3339
  std::string evidence_json;                 // "{}" unless log_misbehaviour or a report kind
  std::optional<CertificateRecord> certificate;
  std::optional<ctlog::LogId> log_id;         // log_misbehaviour
  std::string log_description;
  std::vector<FindingEntry> entries;          // by log, index
};

// FindingFilter narrows `findings`; empty fields match everything.
struct FindingFilter {
  std::vector<FindingStatus> statuses;
  std::vector<FindingKind> kinds;
  std::optional<Severity> min_severity;
  std::optional<size_t> limit;        // at most this many (0: none); nullopt: no limit
  std::vector<int64_t> ids;           // only these findings (the alert sender's)
  std::string watched;                // only this watch entry's ("" : all)
  std::optional<int64_t> after_id;    // only ids above this (the API's cursor)
};

class FindingStore {
 public:
  virtual ~FindingStore() = default;

  // ListFindings returns the findings that pass `filter`, oldest first.
  virtual Result<std::vector<Finding>> ListFindings(const FindingFilter& filter) = 0;
  // SetFindingStatus moves a finding to `status` with a note (empty: none), and its alert
  // with it in the same transaction: acknowledged or resolved ends an open alert (one last
  // send with endsAt = now), open again starts it anew. kFailedPrecondition for an unknown id.
  virtual Status SetFindingStatus(int64_t id, FindingStatus status, const std::string& note) = 0;
};

}  // namespace pinwatch::db
