// LogWorker: follows one log for one replica, as a short pipeline of stages:
//   Scan (ctlog/scanner.h): tree head, entries in order, Merkle verification
//   -> match (watch/match_pool.h): the DER walk and the watch index, on the shared pool
//   -> identity and policy (monitor/entry_findings.h), for the few entries that match
//   -> Committer (monitor/committer.h): the position, the compact ranges and the verified
//      head in the same transaction as the findings of the entries before the position,
//      on its own thread behind a bounded queue.
// A crash anywhere loses nothing and, because the writes are idempotent, duplicates nothing.
// The worker itself holds the round's state and decides what happens after an error.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "alerts/metrics.h"
#include "base/status.h"
#include "base/stop_signal.h"
#include "ctlog/log_source.h"
#include "ctlog/verifier.h"
#include "db/log_state_store.h"
#include "monitor/committer.h"
#include "monitor/config.h"
#include "monitor/database_outage.h"
#include "monitor/issuer_cache.h"
#include "monitor/progress.h"
#include "monitor/watched.h"
#include "watch/match_pool.h"

namespace pinwatch::monitor {

// RoundResult says how one round ended.
struct RoundResult {
  uint64_t entries = 0;      // entries committed this round
  uint64_t matches = 0;      // entries that concerned a watched name
  bool caught_up = false;    // the position reached the tree head seen this round
  bool misbehaviour = false; // log_misbehaviour was recorded
};

// FollowMode says when Follow returns.
enum class FollowMode {
  kForever,  // until stopped, the lease is lost or the log needs an operator
  kOnce,     // also after the first round that reaches the tree head, records misbehaviour or fails
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
  // The worker borrows `watched`, `pool`, `stop`, `outage`, `metrics` and `log_line`,
  // which must outlive it, and owns `store` (its connection, used by its committer). `stop`
  // also ends its HTTP transfers and retry delays at once. The log's series in `metrics`
  // live as long as the worker (alerts::LogMetrics).
  LogWorker(db::LogRecord log, const Config& config, const Watched& watched, watch::MatchPool& pool,
            std::unique_ptr<db::LogStateStore> store, std::string replica_id, const StopSignal& stop,
            DatabaseOutage& outage, alerts::Metrics& metrics, LogLine log_line);
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
  // other errors; it returns on kAborted (lease lost), kFailedPrecondition or when stopped,
  // and with FollowMode::kOnce as that says. Beside the rounds it keeps the log's accepted
  // roots (get-roots) in the database: fetched once the source exists and again every
  // kRootsRefreshInterval, on a thread of their own (see RefreshRootsIfDue). With kOnce it
  // waits for a fetch in flight for up to one request deadline before returning.
  FollowResult Follow(FollowMode mode);

  const db::LogRecord& log() const { return log_; }

 private:
  // Start begins a log the database has never seen (logs.start); misbehaviour found on the
  // way (its first head's signature, its tree range) is returned as a value.
  Result<std::optional<ctlog::Misbehaviour>> Start(ctlog::LogSource& source);
  // Submit hands the committer what the verifier holds since the last submission (always,
  // with `kFinal`, so the verified head and tree size are stored), and Flush waits for it.
  enum class Submission { kIfChanged, kFinal };
  Status Submit(Submission when);
  Status Flush();
  Result<RoundResult> RecordMisbehaviour(const ctlog::Misbehaviour& m, std::optional<db::TreeState> rewind);
  // Database passes a store call's status through, noting a failure as the database's and
  // a success as the database answering.
  template <class R>
  R Database(R result);
  // Queued does the same for the committer's Submit and Flush, whose success may not have
  // reached the database at all (queued, or nothing to flush): it notes failures only. An
  // outage used to be "over" every second, at each round's empty flush, and said again.
  template <class R>
  R Queued(R result);
  void ReportRetry(const Status& failure, std::chrono::milliseconds delay);
  // OnCommit feeds the committer's outcomes to the metrics (on the committer's thread).
  void OnCommit(const db::BatchCommit& batch, const Status& result, double seconds);
  std::chrono::milliseconds PollInterval() const;
  std::chrono::milliseconds JitteredPollInterval();

  FollowResult FollowRounds(FollowMode mode);
  // RefreshRootsIfDue starts fetching the log's accepted roots on a thread of its own when
  // no fetch is in flight and the last one started kRootsRefreshInterval ago
  // (kRootsRetryInterval after a failure; at once for a new worker), so a slow or failing
  // get-roots never holds up entries. On the worker's thread; cheap when nothing is due.
  void RefreshRootsIfDue(std::chrono::steady_clock::time_point now);
  // FetchAndRecordRoots is the roots thread: get-roots, then RecordRoots through the
  // committer; an empty answer is not recorded (the set recorded before stays), and what
  // went wrong is said in one line naming the log.
  void FetchAndRecordRoots();
  // FinishRoots waits up to `wait` for a fetch in flight, then stops it.
  void FinishRoots(std::chrono::milliseconds wait);

  db::LogRecord log_;
  const Config& config_;
  const Watched& watched_;
  watch::MatchPool& pool_;
  std::string replica_id_;
  const StopSignal& stop_;
  DatabaseOutage& outage_;
  std::minstd_rand poll_jitter_{std::random_device{}()};
  LogLine log_line_;
  alerts::Metrics& replica_metrics_;
  alerts::LogMetrics metrics_;  // before committer_: its thread reports here until it ends
  Committer committer_;
  std::unique_ptr<ctlog::LogSource> source_;
  std::unique_ptr<ctlog::LogSource> issuer_source_;  // static-ct: a second client for /issuer/
  IssuerCache issuers_{nullptr};

  // Round state.
  std::optional<ctlog::TreeVerifier> verifier_;
  std::optional<uint64_t> submitted_position_;  // where the last submitted batch moves the log
  std::optional<ctlog::SignedTreeHead> submitted_verified_head_;
  std::optional<ctlog::SignedTreeHead> round_head_;
  std::vector<db::MatchedEntry> pending_;
  bool started_at_end_ = false;
  bool announced_head_ = false;  // "at tree head" said since the last round with entries
  std::chrono::steady_clock::time_point last_submit_;
  BackfillProgress progress_;
  uint64_t round_committed_start_ = 0;  // committer_.entries_committed() at the round's start
  RoundResult round_;
  bool database_error_ = false;  // this round failed in a store call
  std::chrono::steady_clock::time_point last_retry_report_{};

  // The roots fetch (issue 20). Its source has a stop signal of its own, stopped with
  // stop_ (a waker) and by the destructor, which waits for the thread before anything it
  // uses (the committer, the source) goes.
  StopSignal roots_stop_;
  uint64_t roots_waker_ = 0;
  std::unique_ptr<ctlog::LogSource> roots_source_;  // its own HTTP client: sources are one-thread
  std::future<void> roots_fetch_;                   // valid while a fetch runs or is not yet collected
  bool roots_failed_ = false;                       // written by the roots thread, read after roots_fetch_
  std::chrono::steady_clock::time_point roots_started_{};
  std::chrono::steady_clock::time_point roots_due_{};  // the epoch: at once
};

// kRootsRefreshInterval is how often a worker fetches its log's accepted roots again: logs
// change their root lists rarely (a CA program adds or removes a root a few times a year).
inline constexpr auto kRootsRefreshInterval = std::chrono::hours(24);
// kRootsRetryInterval is how soon a failed fetch (or a failed recording) is tried again.
inline constexpr auto kRootsRetryInterval = std::chrono::hours(1);
// kMaxRootsFetchesAtOnce bounds the get-roots fetches running at once in the process: a
// daemon that takes 100 leases at start would otherwise hold 100 answers of up to a few
// MiB (a big log's roots are ~1.5 MiB of JSON, copied while parsed) at the same moment.
inline constexpr int kMaxRootsFetchesAtOnce = 4;

// LogSourceFor builds the source for a stored log (RFC 6962 or static-ct-api) as `config`
// tunes it; `stop` and `on_retry` as in ctlog::LogSourceOptions.
Result<std::unique_ptr<ctlog::LogSource>> LogSourceFor(
    const db::LogRecord& log, const LogsConfig& config, const StopSignal* stop = nullptr,
    std::function<void(const Status&, std::chrono::milliseconds)> on_retry = nullptr,
    std::function<void(const net::HttpExchange&)> on_http = nullptr);

}  // namespace pinwatch::monitor
