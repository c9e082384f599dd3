// LogStateStore: what the log workers and the lease keeper keep in the database, the
// consumer of db/ that writes: each log's place and verification state, its leases, and the
// certificates, entries and findings committed with them. One PostgreSQL implementation
// (db/pg_log_state_store.cc, opened with db/postgres.h); one object is one connection: not
// thread-safe, so each worker, committer and the lease keeper own one each.
//
// The crash-safety story lives in Commit: a worker's new position, its compact ranges and
// verified tree head, and everything derived from the entries before that position
// (certificates, log entries, findings) move together in one transaction, fenced by the
// lease and the expected old position. A crash replays at most the uncommitted entries, and
// every write is idempotent (certificates by TBS hash, entries by log id + index, findings
// by a dedupe key), so the replay changes nothing.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "ctlog/leaf.h"
#include "ctlog/merkle.h"
#include "ctlog/sth.h"
#include "ctlog/verifier.h"
#include "db/records.h"

namespace pinwatch::db {

// LogProgress is where a worker resumes.
struct LogProgress {
  std::optional<uint64_t> position;     // entries [0, position) are committed; nullopt: new log
  ctlog::CompactRange pending_range;    // of [0, position)
  ctlog::CompactRange verified_range;   // of [0, verified_head->tree_size)
  std::optional<ctlog::SignedTreeHead> verified_head;
};

// TreeState is the verification state a commit stores: the TreeVerifier's, persisted (not a
// C2SP checkpoint). The position is the end of the pending range.
struct TreeState {
  ctlog::CompactRange pending_range;  // of [0, position())
  ctlog::CompactRange verified_range;
  std::optional<ctlog::SignedTreeHead> verified_head;

  uint64_t position() const { return pending_range.end(); }
};

// MatchedEntry is one log entry that concerns a watched name, with its conclusions.
struct MatchedEntry {
  uint64_t index = 0;
  ctlog::LogEntryType entry_type = ctlog::LogEntryType::kX509Entry;
  uint64_t timestamp_ms = 0;
  CertificateRecord certificate;
  std::vector<FindingRecord> findings;
};

// BatchCommit moves a log from `from_position` to tree.position().
struct BatchCommit {
  ctlog::LogId log_id{};
  std::optional<uint64_t> from_position;  // nullopt only for the first commit of a new log
  TreeState tree;
  std::vector<MatchedEntry> matches;      // entries in [from_position, tree.position())
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

// LeaseView is what the lease keeper learnt in one round.
struct LeaseView {
  std::vector<ctlog::LogId> held;  // logs leased to this replica now (renewed or newly taken)
  std::vector<ctlog::LogId> taken;  // of those, newly taken this round
  size_t live_replicas = 1;
  size_t followed_logs = 0;
  size_t fair_share = 0;
};

class LogStateStore {
 public:
  virtual ~LogStateStore() = default;

  // --- logs ---
  // SyncLogs records the logs the configuration chose: inserted when new, descriptions and
  // states refreshed, `followed` set for exactly these. A known log whose key or URL changed
  // is kFailedPrecondition naming it (a list that re-keys a log is not trusted blindly).
  virtual Status SyncLogs(const std::vector<LogRecord>& followed) = 0;
  virtual Result<LogRecord> GetLog(const ctlog::LogId& log_id) = 0;
  // LoadProgress is where a worker resumes; kFailedPrecondition for a log not in the database.
  virtual Result<LogProgress> LoadProgress(const ctlog::LogId& log_id) = 0;

  // --- replicas and leases ---
  // KeepLeases is one round of the lease keeper: heartbeat, renew this replica's leases,
  // then take expired or free leases up to a fair share (followed logs / live replicas,
  // rounded up). `release` lists logs this replica gives back first (it holds more than its
  // share, or is stopping them). Leases last `lease_seconds` from now.
  virtual Result<LeaseView> KeepLeases(const std::string& replica_id, int64_t lease_seconds,
                                       const std::vector<ctlog::LogId>& release = {}) = 0;
  // ReleaseLeases gives back every lease (or just `log_id`'s) of a replica that stops;
  // without `log_id` the replica also stops counting as live (its heartbeat is cleared), so
  // the fair share of the others is not halved while it would have expired.
  virtual Status ReleaseLeases(const std::string& replica_id,
                               const std::optional<ctlog::LogId>& log_id = std::nullopt) = 0;

  // --- the workers' writes ---
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
  virtual Status Commit(const std::string& replica_id, const BatchCommit& batch) = 0;
  // RecordMisbehaviour stores the evidence as a log_misbehaviour finding (once per log,
  // kind, tree head and entry, however often it is recorded) and rewinds the log to
  // `rewind_to` (its verified size and range), in one transaction, fenced like Commit. A
  // log that was never started (its first tree head failed) has no tree state: pass nullopt
  // and only the lease is checked. With Alerting::kOutbox a new finding gets its alert
  // outbox row in the same transaction. Codes as Commit.
  virtual Status RecordMisbehaviour(const std::string& replica_id, const ctlog::LogId& log_id,
                                    const ctlog::Misbehaviour& evidence, const std::optional<TreeState>& rewind_to,
                                    Alerting alerting) = 0;
  // RecordError keeps the last error a worker met, for `status`.
  virtual Status RecordError(const ctlog::LogId& log_id, const std::string& message) = 0;

  // --- the roots each log accepts (RFC 6962 §4.7 get-roots), for pin-failure reports ---
  // RecordRoots makes `roots` (DER certificates, in any order, duplicates allowed) the set
  // the log accepts, in one transaction: rows of roots no longer in the set are deleted, new
  // ones inserted, and every row of the set gets fetched_at = now() (so fetched_at is when
  // the log last served that root). Rows are keyed by SHA-256 of the DER. Not fenced by the
  // lease: whoever fetched the roots may record them (concurrent calls for one log are
  // serialised on the log's row, and the last to commit wins). An empty `roots` empties the
  // set: callers that take an empty answer as "nothing learnt" do not call it. Idempotent,
  // so kInDoubt (the COMMIT's outcome unknown) and kUnavailable are settled by calling it
  // again; server rollbacks are retried here. kFailedPrecondition for a log not in the
  // database.
  virtual Status RecordRoots(const ctlog::LogId& log, const std::vector<std::vector<uint8_t>>& roots) = 0;
  // AcceptedRoots returns the distinct root DERs recorded for all logs (followed or not),
  // one per SHA-256, ordered by SHA-256. Empty when no log's roots were ever recorded.
  virtual Result<std::vector<std::vector<uint8_t>>> AcceptedRoots() = 0;

  // --- reads for the CLI ---
  virtual Result<std::vector<LogStatus>> ListLogStatus() = 0;
  // EntriesCommittedBy returns how many entries each replica has committed, over all logs
  // (tests, status).
  virtual Result<std::vector<std::pair<std::string, uint64_t>>> EntriesCommittedBy() = 0;
};

}  // namespace pinwatch::db
