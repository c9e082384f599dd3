// Store: everything pinwatch keeps in PostgreSQL, behind plain C++ values. db/ is the only
// home of SQL and libpqxx; every statement is parameterised. One Store is one connection:
// not thread-safe, so each log worker and the lease keeper own one each.
//
// The crash-safety story lives in Commit: a worker's new position, its compact ranges and
// verified tree head, and everything derived from the entries before that position
// (certificates, log entries, findings) move together in one transaction, fenced by the
// lease and the expected old position. A crash replays at most the uncommitted entries, and
// every write is idempotent (certificates by TBS hash, entries by log id + index, findings
// by a dedupe key), so the replay changes nothing.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ctlog/leaf.h"
#include "ctlog/loglist.h"
#include "ctlog/merkle.h"
#include "ctlog/sth.h"
#include "ctlog/verifier.h"
#include "db/migrations.h"

namespace pinwatch::db {

// LogRecord is a followed log as the log lists describe it.
struct LogRecord {
  ctlog::LogId log_id{};
  std::string description;
  ctlog::LogApi api = ctlog::LogApi::kRfc6962;
  std::string url;             // RFC 6962 url or static-ct monitoring_url
  std::string submission_url;  // static-ct origin is derived from it
  std::vector<uint8_t> key;    // DER SPKI
  uint64_t mmd_seconds = 86400;
  std::string state;           // "usable", ...
};

// LogProgress is where a worker resumes.
struct LogProgress {
  std::optional<uint64_t> position;     // entries [0, position) are committed; nullopt: new log
  ctlog::CompactRange pending_range;    // of [0, position)
  ctlog::CompactRange verified_range;   // of [0, verified_head->tree_size)
  std::optional<ctlog::SignedTreeHead> verified_head;
};

// CertificateRecord is one certificate (or precertificate) that concerns a watched name.
struct CertificateRecord {
  ctlog::Hash tbs_sha256{};  // TBS identity hash; for unparseable ones SHA-256 of the raw bytes
  bool parsed = true;
  std::string parse_error;   // when !parsed
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string subject, issuer, serial;  // RFC 2253 UTF-8 names, serial as OpenSSL prints it
  std::optional<int64_t> not_before_unix_s, not_after_unix_s;
  std::optional<ctlog::Hash> spki_sha256, issuer_spki_sha256;
  std::string key_type;
  int key_bits = 0;
  std::string ec_curve;
  // What `der` holds: "certificate" (an x509 entry), "precertificate" (the precert as
  // submitted), "tbs" (a precert entry's TBSCertificate when the log gave no precert) or
  // "raw" (the bytes of an entry that did not parse). A final certificate replaces the others.
  std::string der_kind;
  std::vector<uint8_t> der;
};

// FindingRecord is what the policy concluded about one certificate and one watch entry.
struct FindingRecord {
  std::string kind;      // monitor::FindingKindName
  std::string severity;  // monitor::SeverityName
  std::string watched;   // the watch entry's name
  std::string reason;
};

// MatchedEntry is one log entry that concerns a watched name, with its conclusions.
struct MatchedEntry {
  uint64_t index = 0;
  ctlog::LogEntryType entry_type = ctlog::LogEntryType::kX509Entry;
  uint64_t timestamp_ms = 0;
  CertificateRecord certificate;
  std::vector<FindingRecord> findings;
};

// LogCheckpoint is the verification state a commit stores (TreeVerifier's, persisted).
struct LogCheckpoint {
  ctlog::CompactRange pending_range;  // of [0, position())
  ctlog::CompactRange verified_range;
  std::optional<ctlog::SignedTreeHead> verified_head;

  uint64_t position() const { return pending_range.end(); }
};

// BatchCommit moves a log from `from_position` to checkpoint.position().
struct BatchCommit {
  ctlog::LogId log_id{};
  std::optional<uint64_t> from_position;  // nullopt only for the first commit of a new log
  LogCheckpoint checkpoint;
  std::vector<MatchedEntry> matches;      // entries in [from_position, checkpoint.position())
  std::optional<uint64_t> latest_tree_size;
  bool started_at_end = false;            // first commit only: the log was started at its head
};

// LogStatus is one row of `pinwatch status`.
struct LogStatus {
  LogRecord log;
  bool followed = true;
  std::optional<uint64_t> position;
  uint64_t verified_tree_size = 0;
  std::optional<int64_t> verified_timestamp_ms;
  std::optional<uint64_t> latest_tree_size;
  std::string latest_seen_at;  // RFC 3339 or empty
  std::string last_error;
  std::string last_error_at;
  std::string lease_holder;
  std::string lease_expires_at;
};

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
  std::string kind, severity, status, watched, reason;
  std::string status_note;
  std::string created_at, status_changed_at;  // RFC 3339
  std::string evidence_json;                 // "{}" unless log_misbehaviour
  std::optional<CertificateRecord> certificate;
  std::optional<ctlog::LogId> log_id;         // log_misbehaviour
  std::string log_description;
  std::vector<FindingEntry> entries;          // by log, index
};

// FindingFilter narrows `findings`; empty fields match everything.
struct FindingFilter {
  std::vector<std::string> statuses;  // e.g. {"open", "acknowledged"}
  std::vector<std::string> kinds;
  std::string min_severity;           // "info" < "warning" < "critical"
  std::optional<size_t> limit;        // at most this many (0: none); nullopt: no limit
};

// LeaseView is what the lease keeper learnt in one round.
struct LeaseView {
  std::vector<ctlog::LogId> held;  // logs leased to this replica now (renewed or newly taken)
  std::vector<ctlog::LogId> taken;  // of those, newly taken this round
  size_t live_replicas = 1;
  size_t followed_logs = 0;
  size_t fair_share = 0;
};

class Store {
 public:
  // Connect opens a connection (libpq URL or key=value string). kUnavailable when the server
  // cannot be reached, naming the URL without its password; kFailedPrecondition for a URL
  // with a raw '@' or '/' in its userinfo (libpq would cut the password and print a piece).
  static Result<std::unique_ptr<Store>> Connect(const std::string& url);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- schema (db/migrations.h) ---
  Result<MigrateResult> Migrate();
  Result<int> CurrentVersion();
  Status CheckVersion();  // OK only at SchemaVersion()

  // --- logs ---
  // SyncLogs records the logs the configuration chose: inserted when new, descriptions and
  // states refreshed, `followed` set for exactly these. A known log whose key or URL changed
  // is kFailedPrecondition naming it (a list that re-keys a log is not trusted blindly).
  Status SyncLogs(const std::vector<LogRecord>& followed);
  Result<LogRecord> GetLog(const ctlog::LogId& log_id);
  Result<LogProgress> LoadProgress(const ctlog::LogId& log_id);

  // --- replicas and leases ---
  // KeepLeases is one round of the lease keeper: heartbeat, renew this replica's leases,
  // then take expired or free leases up to a fair share (followed logs / live replicas,
  // rounded up). `release` lists logs this replica gives back first (it holds more than its
  // share, or is stopping them). Leases last `lease_seconds` from now.
  Result<LeaseView> KeepLeases(const std::string& replica_id, int64_t lease_seconds,
                               const std::vector<ctlog::LogId>& release = {});
  // ReleaseLeases gives back every lease (or just `log_id`'s) of a replica that stops;
  // without `log_id` the replica also stops counting as live (its heartbeat is cleared), so
  // the fair share of the others is not halved while it would have expired.
  Status ReleaseLeases(const std::string& replica_id, const std::optional<ctlog::LogId>& log_id = std::nullopt);

  // --- the worker's writes ---
  // Commit writes one batch. A transaction the server rolls back (deadlock, serialization
  // failure) is run again here, a few times; a COMMIT whose outcome is unknown is settled
  // by re-reading the position. Then:
  //   OK                  committed (exactly once)
  //   kAborted            only when this replica no longer holds the lease or the log's
  //                       position is not from_position (another replica moved it): the
  //                       caller drops its state and reloads
  //   kUnavailable        the database is unreachable, or kept rolling the commit back:
  //                       nothing was committed; retry later
  //   kInDoubt            the COMMIT may have happened and the database could not be asked:
  //                       reload the position before going on
  Status Commit(const std::string& replica_id, const BatchCommit& batch);
  // RecordMisbehaviour stores the evidence as a log_misbehaviour finding (once per log,
  // kind, tree head and entry, however often it is recorded) and rewinds the log to
  // `rewind_to` (its verified size and range), in one transaction, fenced like Commit. A
  // log that was never started (its first tree head failed) has no checkpoint: pass nullopt
  // and only the lease is checked. Codes as Commit.
  Status RecordMisbehaviour(const std::string& replica_id, const ctlog::LogId& log_id,
                            const ctlog::Misbehaviour& evidence, const std::optional<LogCheckpoint>& rewind_to);
  // RecordError / ClearError keep the last error a worker met, for `status`.
  Status RecordError(const ctlog::LogId& log_id, const std::string& message);
  Status RecordLatestTreeSize(const ctlog::LogId& log_id, uint64_t tree_size);

  // --- reads for the CLI ---
  Result<std::vector<LogStatus>> ListLogStatus();
  Result<std::vector<Finding>> ListFindings(const FindingFilter& filter);
  // SetFindingStatus moves a finding to "open", "acknowledged" or "resolved" with a note.
  // kFailedPrecondition for an unknown id or status.
  Status SetFindingStatus(int64_t id, const std::string& status, const std::string& note);
  // EntriesCommittedBy returns how many entries each replica has committed, over all logs
  // (tests, status).
  Result<std::vector<std::pair<std::string, uint64_t>>> EntriesCommittedBy();

 private:
  struct Connection;  // the libpqxx connection, kept out of this header
  explicit Store(std::unique_ptr<Connection> connection);
  // Guarded runs `fn` under GuardPq (db/pq_status.h), first reopening a connection that an
  // earlier call found broken, and marks it broken again on kUnavailable or kInDoubt.
  template <class Fn>
  auto Guarded(std::string_view what, Fn&& fn) -> decltype(fn());
  Result<LeaseView> KeepLeasesOnce(const std::string& replica_id, int64_t lease_seconds,
                                   const std::vector<ctlog::LogId>& release);
  std::unique_ptr<Connection> connection_;
};

// RedactUrl returns a connection URL or key=value string with any password (URL userinfo,
// ?password= parameter, password= keyword) replaced by "***", for messages.
std::string RedactUrl(const std::string& url);

}  // namespace pinwatch::db
