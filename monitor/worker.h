// LogWorker: follows one log for one replica. A round fetches the log's signed tree head,
// downloads and verifies the entries the database has not got yet (ctlog::Scan), matches
// each against the watch list (monitor::Matcher), works out the identity and the policy's
// verdicts for the few that match, and commits in log order: the position, the compact
// ranges and the verified head move in the same transaction as the findings of the entries
// before the position (db::Store::Commit). A crash anywhere loses nothing and, because the
// writes are idempotent, duplicates nothing.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/stop_signal.h"
#include "ctlog/log_source.h"
#include "ctlog/verifier.h"
#include "db/store.h"
#include "monitor/config.h"
#include "monitor/database_outage.h"
#include "monitor/identity.h"
#include "monitor/match_pool.h"
#include "monitor/matcher.h"
#include "monitor/watchlist.h"

namespace pinwatch::monitor {

// Watch is the parsed watch configuration shared (read-only) by every worker.
struct Watch {
  std::vector<WatchConfig> entries;  // config order; WatchMatch::entry_index indexes it
  WatchList list;
};

// MakeWatch builds the index over config.watch. kFailedPrecondition as WatchList::Create.
Result<Watch> MakeWatch(const std::vector<WatchConfig>& entries);

// RoundResult says how one round ended.
struct RoundResult {
  uint64_t entries = 0;      // entries committed this round
  uint64_t matches = 0;      // entries that concerned a watched name
  bool caught_up = false;    // the position reached the tree head seen this round
  bool misbehaviour = false; // log_misbehaviour was recorded
};

// FollowResult is how LogWorker::Follow ended, with what it did over all its rounds.
struct FollowResult {
  Status status;              // why it ended: OK (once: at the head, or misbehaviour), or the error
  bool stopped = false;       // it ended because it was told to stop
  bool at_head = false;       // its last round reached the tree head
  bool misbehaviour = false;  // its last round recorded log_misbehaviour
  uint64_t entries = 0;       // committed, over all rounds
  uint64_t matches = 0;
};

class LogWorker {
 public:
  // The worker borrows `watch`, `pool`, `stop`, `outage` and `log_line`, which must outlive
  // it, and owns `store` (its own connection). `stop` also ends its HTTP transfers and
  // retry delays at once.
  LogWorker(db::LogRecord log, const Config& config, const Watch& watch, MatchPool& pool,
            std::unique_ptr<db::Store> store, std::string replica_id, const StopSignal& stop,
            DatabaseOutage& outage, LogLine log_line);
  ~LogWorker();

  // Round runs one round (see the top of this file). Errors that say nothing about the
  // log's honesty (kUnavailable, kAborted when the lease was lost, kInternal) are returned
  // after being recorded as the log's last error; misbehaviour (including a first tree head
  // whose signature fails, or a start-at-end range that does not hash to its root) is
  // recorded as a finding and reported in RoundResult. Told to stop, it commits what was
  // complete and returns kAborted.
  Result<RoundResult> Round();

  // Follow runs rounds until `stop`, waiting the poll interval at the tip, probing the
  // database every kDatabaseProbeInterval while it is unreachable and backing off after
  // other errors; it returns on kAborted (lease lost), kFailedPrecondition or when stopped.
  // With `once` it returns after the first round that reaches the tree head or records
  // misbehaviour, or fails.
  FollowResult Follow(bool once);

  const db::LogRecord& log() const { return log_; }

 private:
  // Start begins a log the database has never seen (logs.start); misbehaviour found on the
  // way (its first head's signature, its tree range) is returned as a value.
  Result<std::optional<ctlog::Misbehaviour>> Start(ctlog::LogSource& source);
  Status CommitPending(bool final_commit);
  Result<RoundResult> RecordMisbehaviour(const ctlog::Misbehaviour& m, std::optional<db::LogCheckpoint> rewind);
  // Database passes a store call's status through, noting a failure as the database's.
  template <class R>
  R Database(R result);
  void ReportRetry(const Status& failure, std::chrono::milliseconds delay);
  void Process(const ctlog::LogEntry& entry, const EntryMatch& match);
  std::chrono::milliseconds PollInterval() const;

  db::LogRecord log_;
  const Config& config_;
  const Watch& watch_;
  std::unique_ptr<db::Store> store_;
  std::string replica_id_;
  const StopSignal& stop_;
  DatabaseOutage& outage_;
  LogLine log_line_;
  MatchPool& pool_;
  std::unique_ptr<ctlog::LogSource> source_;
  std::unique_ptr<ctlog::LogSource> issuer_source_;  // static-ct: a second client for /issuer/
  std::vector<std::pair<ctlog::Hash, std::vector<uint8_t>>> issuers_;  // fetched issuer DER cache

  // Round state.
  std::optional<ctlog::TreeVerifier> verifier_;
  std::optional<uint64_t> committed_position_;
  std::optional<ctlog::SignedTreeHead> committed_verified_head_;
  std::optional<ctlog::SignedTreeHead> round_head_;
  std::vector<db::MatchedEntry> pending_;
  bool started_at_end_ = false;
  bool announced_head_ = false;  // "at tree head" said since the last round with entries
  std::chrono::steady_clock::time_point last_commit_, last_progress_, round_start_;
  uint64_t round_start_position_ = 0;
  RoundResult round_;
  bool database_error_ = false;  // this round failed in a store call
  std::chrono::steady_clock::time_point last_retry_report_{};
};

// LogSourceFor builds the source for a stored log (RFC 6962 or static-ct-api) as `config`
// tunes it; `stop` and `on_retry` as in ctlog::LogSourceOptions.
Result<std::unique_ptr<ctlog::LogSource>> LogSourceFor(
    const db::LogRecord& log, const LogsConfig& config, const StopSignal* stop = nullptr,
    std::function<void(const Status&, std::chrono::milliseconds)> on_retry = nullptr);

}  // namespace pinwatch::monitor
