// LogWorker: follows one log for one replica. A round fetches the log's signed tree head,
// downloads and verifies the entries the database has not got yet (ctlog::Scan), matches
// each against the watch list (monitor::Matcher), works out the identity and the policy's
// verdicts for the few that match, and commits in log order: the position, the compact
// ranges and the verified head move in the same transaction as the findings of the entries
// before the position (db::Store::Commit). A crash anywhere loses nothing and, because the
// writes are idempotent, duplicates nothing.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "ctlog/log_source.h"
#include "ctlog/verifier.h"
#include "db/store.h"
#include "monitor/config.h"
#include "monitor/identity.h"
#include "monitor/match_pool.h"
#include "monitor/matcher.h"
#include "monitor/watchlist.h"

namespace pinwatch::monitor {

// StopSignal is shared by the daemon and its workers: Stop() wakes every waiter.
class StopSignal {
 public:
  void Stop();
  // Wake wakes waiters without stopping (a worker finished; the daemon looks again).
  void Wake() const;
  bool stopped() const { return stopped_.load(); }
  // WaitFor returns after `duration`, as soon as Stop() is called, or on Wake(); true if
  // stopped.
  bool WaitFor(std::chrono::milliseconds duration) const { return WaitFor(duration, wakes()); }
  // This one also returns at once if Wake() was called since wakes() returned `seen`.
  bool WaitFor(std::chrono::milliseconds duration, uint64_t seen) const;
  uint64_t wakes() const;

 private:
  std::atomic<bool> stopped_{false};
  mutable uint64_t wakes_ = 0;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
};

// Watch is the parsed watch configuration shared (read-only) by every worker.
struct Watch {
  std::vector<WatchConfig> entries;  // config order; WatchMatch::entry_index indexes it
  WatchList list;
};

// MakeWatch builds the index over config.watch. kFailedPrecondition as WatchList::Create.
Result<Watch> MakeWatch(const std::vector<WatchConfig>& entries);

// LogLine writes one line of the daemon's log output (thread-safe implementations only).
using LogLine = std::function<void(const std::string& line)>;

// RoundResult says how one round ended.
struct RoundResult {
  uint64_t entries = 0;      // entries committed this round
  uint64_t matches = 0;      // entries that concerned a watched name
  bool caught_up = false;    // the position reached the tree head seen this round
  bool misbehaviour = false; // log_misbehaviour was recorded
};

class LogWorker {
 public:
  // The worker borrows `watch`, `pool`, `stop` and `log_line`, which must outlive it, and
  // owns `store` (its own connection).
  LogWorker(db::LogRecord log, const Config& config, const Watch& watch, MatchPool& pool,
            std::unique_ptr<db::Store> store, std::string replica_id, const StopSignal& stop, LogLine log_line);
  ~LogWorker();

  // Round runs one round (see the top of this file). Errors that say nothing about the
  // log's honesty (kUnavailable, kAborted when the lease was lost, kInternal) are returned
  // after being recorded as the log's last error; misbehaviour is recorded as a finding and
  // reported in RoundResult.
  Result<RoundResult> Round();

  // Follow runs rounds until `stop`, waiting the poll interval at the tip and backing off
  // after errors; it returns the first kAborted (lease lost) or when stopped. With `once`
  // it returns after the first round that reaches the tree head (or fails).
  Result<RoundResult> Follow(bool once);

  const db::LogRecord& log() const { return log_; }

 private:
  Status Start(ctlog::LogSource& source);
  Status CommitPending(bool final_commit);
  void Process(const ctlog::LogEntry& entry, const EntryMatch& match);
  std::chrono::milliseconds PollInterval() const;

  db::LogRecord log_;
  const Config& config_;
  const Watch& watch_;
  std::unique_ptr<db::Store> store_;
  std::string replica_id_;
  const StopSignal& stop_;
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
};

// LogSourceFor builds the source for a stored log (RFC 6962 or static-ct-api).
Result<std::unique_ptr<ctlog::LogSource>> LogSourceFor(const db::LogRecord& log, const LogsConfig& config);

}  // namespace pinwatch::monitor
