#include "monitor/worker.h"

#include <algorithm>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "base/encoding.h"
#include "base/time.h"
#include "ctlog/scanner.h"
#include "monitor/entry_findings.h"
#include "monitor/policy.h"

namespace pinwatch::monitor {

namespace {

// TreeStateOf is what a commit stores of the verifier.
db::TreeState TreeStateOf(const ctlog::TreeVerifier& v) {
  return {v.pending_range(), v.verified_range(), v.verified_head()};
}

using SteadyClock = std::chrono::steady_clock;

// RootsGate lets at most kMaxRootsFetchesAtOnce get-roots fetches of the process run at
// once (worker.h says why). One per process: the bound is on the process's memory.
class RootsGate {
 public:
  // Enter waits for a free place; false (without one) if `stop` is stopped first.
  bool Enter(const StopSignal& stop) {
    const uint64_t waker = stop.AddWaker([this] {
      std::lock_guard lock(mu_);
      changed_.notify_all();
    });
    bool entered = false;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return free_ > 0 || stop.stopped(); });
      if (!stop.stopped()) {
        --free_;
        entered = true;
      }
    }
    stop.RemoveWaker(waker);
    return entered;
  }
  void Leave() {
    std::lock_guard lock(mu_);
    ++free_;
    changed_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int free_ = kMaxRootsFetchesAtOnce;
};

RootsGate& TheRootsGate() {
  static RootsGate gate;
  return gate;
}

}  // namespace

Result<std::unique_ptr<ctlog::LogSource>> LogSourceFor(
    const db::LogRecord& log, const LogsConfig& config, const StopSignal* stop,
    std::function<void(const Status&, std::chrono::milliseconds)> on_retry,
    std::function<void(const net::HttpExchange&)> on_http) {
  auto key = ctlog::LogKey::Create(log.key);
  if (!key.ok()) return FailedPreconditionError(log.description + ": log key: " + key.status().message());
  ctlog::LogSourceOptions options;
  options.entries_per_request = config.entries_per_request;
  options.max_requests_in_flight = config.requests_in_flight;
  options.retry_lookahead_bytes = static_cast<size_t>(config.retry_lookahead_mib) << 20;
  options.request_timeout_ms = config.request_timeout_ms;
  options.low_speed_bytes_per_s = config.low_speed_bytes_per_s;
  options.low_speed_time_ms = config.low_speed_time_ms;
  options.retry.on_retry = std::move(on_retry);
  options.on_http = std::move(on_http);
  options.stop = stop;
  if (log.api == ctlog::LogApi::kRfc6962) return ctlog::NewRfc6962Source(log.url, *key, options);
  return ctlog::NewStaticCtSource(log.url, log.submission_url, ctlog::DefaultOrigin(log.submission_url), *key,
                                  options);
}

LogWorker::LogWorker(db::LogRecord log, const Config& config, const Watched& watched, watch::MatchPool& pool,
                     std::unique_ptr<db::LogStateStore> store, std::string replica_id, const StopSignal& stop,
                     DatabaseOutage& outage, alerts::Metrics& metrics, LogLine log_line)
    : log_(std::move(log)),
      config_(config),
      watched_(watched),
      pool_(pool),
      replica_id_(replica_id),
      stop_(stop),
      outage_(outage),
      log_line_(std::move(log_line)),
      replica_metrics_(metrics),
      metrics_(metrics, log_.description, Base64Encode(log_.log_id)),
      committer_(std::move(store), std::move(replica_id), outage, Committer::kMaxQueuedBatches,
                 [this](const db::BatchCommit& batch, const Status& result, double seconds) {
                   OnCommit(batch, result, seconds);
                 }) {
  roots_waker_ = stop_.AddWaker([this] { roots_stop_.Stop(); });
}

void LogWorker::OnCommit(const db::BatchCommit& batch, const Status& result, double seconds) {
  if (!result.ok()) {
    metrics_.CommitFailed(seconds);
    // kAborted is a lost lease, not the database failing.
    if (result.code() != Code::kAborted) replica_metrics_.DatabaseError(result.code());
    return;
  }
  std::optional<uint64_t> verified_timestamp_ms;
  if (batch.tree.verified_head) verified_timestamp_ms = batch.tree.verified_head->timestamp_ms;
  metrics_.Committed(batch.tree.position(), batch.tree.verified_range.end(), verified_timestamp_ms, seconds);
}

LogWorker::~LogWorker() {
  // The roots thread uses the committer and its source: it ends before they go.
  stop_.RemoveWaker(roots_waker_);
  roots_stop_.Stop();
  if (roots_fetch_.valid()) roots_fetch_.wait();
}

void LogWorker::RefreshRootsIfDue(SteadyClock::time_point now) {
  if (!roots_source_) return;
  if (roots_fetch_.valid()) {
    if (roots_fetch_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;  // in flight
    roots_fetch_.get();
    if (roots_failed_) roots_due_ = roots_started_ + kRootsRetryInterval;
  }
  if (now < roots_due_) return;
  roots_started_ = now;
  roots_due_ = now + kRootsRefreshInterval;
  roots_failed_ = false;
  roots_fetch_ = std::async(std::launch::async, [this] { FetchAndRecordRoots(); });
}

void LogWorker::FetchAndRecordRoots() {
  if (!TheRootsGate().Enter(roots_stop_)) return;
  auto roots = roots_source_->FetchRoots();
  TheRootsGate().Leave();
  if (!roots.ok()) {
    if (roots_stop_.stopped()) return;  // stopping, or --once stopped waiting: not the log's fault
    roots_failed_ = true;
    log_line_(log_.description + ": get-roots: " + roots.status().ToString());
    return;
  }
  if (roots->empty()) {
    log_line_(log_.description + ": get-roots answered no roots; the roots recorded before are kept");
    return;
  }
  Status recorded = committer_.Call<Status>(
      [&](db::LogStateStore& store) { return store.RecordRoots(log_.log_id, *roots); });
  if (!recorded.ok()) {
    roots_failed_ = true;
    log_line_(log_.description + ": recording the roots from get-roots: " + recorded.ToString());
    return;
  }
  log_line_(log_.description + ": " + std::to_string(roots->size()) + " accepted roots recorded (get-roots)");
}

void LogWorker::FinishRoots(std::chrono::milliseconds wait) {
  if (!roots_fetch_.valid()) return;
  if (roots_fetch_.wait_for(wait) != std::future_status::ready) {
    char waited[32];
    std::snprintf(waited, sizeof waited, "%.1f", std::chrono::duration<double>(wait).count());
    log_line_(log_.description + ": get-roots did not finish within " + waited +
              " s; not waiting for it (fetched again at the next start)");
    roots_stop_.Stop();
  }
  roots_fetch_.get();
}

std::chrono::milliseconds LogWorker::PollInterval() const {
  if (config_.logs.poll_interval_ms > 0) return std::chrono::milliseconds(config_.logs.poll_interval_ms);
  // Well under the MMD: a tenth of it, between 1 s and 60 s.
  const int64_t ms = static_cast<int64_t>(std::min<uint64_t>(log_.mmd_seconds, 600)) * 100;
  return std::chrono::milliseconds(std::clamp<int64_t>(ms, 1000, 60'000));
}

std::chrono::milliseconds LogWorker::JitteredPollInterval() {
  // ±10%: workers started together (a daemon's start, 100 logs) drift apart instead of
  // polling, fetching and allocating at the same moments for ever.
  const auto interval = PollInterval();
  std::uniform_int_distribution<int64_t> jitter(-interval.count() / 10, interval.count() / 10);
  return interval + std::chrono::milliseconds(jitter(poll_jitter_));
}

template <class R>
R LogWorker::Database(R result) {
  if (!result.ok()) {
    database_error_ = true;
  } else {
    outage_.Recovered();  // says so once, the first time a call succeeds after an outage
  }
  return result;
}

template <class R>
R LogWorker::Queued(R result) {
  if (!result.ok()) database_error_ = true;
  return result;
}

void LogWorker::ReportRetry(const Status& failure, std::chrono::milliseconds delay) {
  // A slow, stalled or failing log is said at once, then at most every kRetryReportInterval
  // (a 429 storm would otherwise write a line per request).
  constexpr auto kRetryReportInterval = std::chrono::seconds(30);
  const auto now = SteadyClock::now();
  if (last_retry_report_ != SteadyClock::time_point{} && now - last_retry_report_ < kRetryReportInterval) return;
  last_retry_report_ = now;
  char wait[32];
  std::snprintf(wait, sizeof wait, "%.1f", std::chrono::duration<double>(delay).count());
  log_line_(log_.description + ": " + failure.ToString() + "; retrying in " + wait + " s");
  // For `status`; behind the queued commits, without holding up the fetch.
  committer_.Post([log_id = log_.log_id, message = failure.ToString() + " (retrying)"](db::LogStateStore& store) {
    (void)store.RecordError(log_id, message);  // a report: the fetch goes on either way
  });
}

Result<std::optional<ctlog::Misbehaviour>> LogWorker::Start(ctlog::LogSource& source) {
  auto answer = source.FetchTreeHead();
  if (!answer.ok()) return answer.status();
  if (!answer->signature.ok()) {
    // The first head the log shows us is a lie: evidence, and nothing is fetched under it.
    return std::optional<ctlog::Misbehaviour>(ctlog::Misbehaviour{.kind = ctlog::Misbehaviour::Kind::kBadTreeHeadSignature,
                                                                  .detail = answer->signature.message(),
                                                                  .tree_head = answer->head});
  }
  const ctlog::SignedTreeHead& head = answer->head;
  metrics_.TreeHead(head.tree_size, head.timestamp_ms, UnixNowMs());
  if (config_.logs.start == StartPosition::kEnd) {
    auto range = source.TreeRangeAt(head);
    if (!range.ok()) {
      if (range.status().code() != Code::kMisbehaviour) return range.status();
      return std::optional<ctlog::Misbehaviour>(ctlog::Misbehaviour{
          .kind = ctlog::Misbehaviour::Kind::kRootMismatch, .detail = range.status().message(), .tree_head = head});
    }
    verifier_.emplace(std::move(*range), head);
    started_at_end_ = true;
    log_line_(log_.description + ": new log, starting at its tree head (" + std::to_string(head.tree_size) +
              " entries, root verified)");
  } else {
    verifier_.emplace(ctlog::CompactRange(), std::nullopt);
    log_line_(log_.description + ": new log, starting at entry 0 of " + std::to_string(head.tree_size));
  }
  round_head_ = head;
  submitted_position_.reset();
  submitted_verified_head_.reset();
  if (Status s = Submit(Submission::kFinal); !s.ok()) return s;
  if (Status s = Flush(); !s.ok()) return s;
  return std::optional<ctlog::Misbehaviour>();
}

Status LogWorker::Submit(Submission when) {
  const uint64_t position = verifier_->pending_end();
  const bool verified_changed = verifier_->verified_head() != submitted_verified_head_;
  if (when == Submission::kIfChanged && submitted_position_ && position == *submitted_position_ && pending_.empty() &&
      !verified_changed) {
    return OkStatus();
  }
  db::BatchCommit batch;
  batch.log_id = log_.log_id;
  batch.from_position = submitted_position_;
  batch.tree = TreeStateOf(*verifier_);
  batch.matches = std::move(pending_);
  pending_.clear();
  if (round_head_) batch.latest_tree_size = round_head_->tree_size;
  batch.started_at_end = started_at_end_;
  if (Status s = Queued(committer_.Submit(std::move(batch))); !s.ok()) return s;
  submitted_position_ = position;
  submitted_verified_head_ = verifier_->verified_head();
  last_submit_ = SteadyClock::now();
  return OkStatus();
}

Status LogWorker::Flush() { return Queued(committer_.Flush()); }

Result<RoundResult> LogWorker::RecordMisbehaviour(const ctlog::Misbehaviour& m, std::optional<db::TreeState> rewind) {
  pending_.clear();  // entries past the verified size are not trusted; they are fetched again
  log_line_(log_.description + ": LOG MISBEHAVIOUR " + std::string(ctlog::KindName(m.kind)) + ": " + m.detail +
            (rewind ? " (position back to " + std::to_string(rewind->position()) + ")" : " (nothing fetched)"));
  verifier_.reset();
  metrics_.Misbehaved(ctlog::KindName(m.kind));
  // What was submitted before the lie is committed first; the rewind then moves it back.
  if (Status s = Flush(); !s.ok()) return s;
  Status s = Database(committer_.Call<Status>([&](db::LogStateStore& store) {
    return store.RecordMisbehaviour(replica_id_, log_.log_id, m, rewind,
                                    AlertingFor(db::FindingKind::kLogMisbehaviour, config_.alerts.send_severities));
  }));
  round_.entries = committer_.entries_committed() - round_committed_start_;
  if (!s.ok()) {
    if (s.code() != Code::kAborted) replica_metrics_.DatabaseError(s.code());
    return s;
  }
  round_.misbehaviour = true;
  return round_;
}

Result<RoundResult> LogWorker::Round() {
  round_ = {};
  round_committed_start_ = committer_.entries_committed();
  last_submit_ = SteadyClock::now();
  round_head_.reset();
  pending_.clear();
  database_error_ = false;
  auto fail = [&](Status s) -> Status {
    // What was submitted is committed or not; either way the database is the truth now:
    // reload it next round.
    // A commit that failed says more than what failed after it (a lost lease, the database).
    if (Status flushed = Flush(); !flushed.ok()) s = std::move(flushed);
    verifier_.reset();
    pending_.clear();
    round_.entries = committer_.entries_committed() - round_committed_start_;
    if (!stop_.stopped() && !database_error_) {
      committer_.Post([log_id = log_.log_id, message = s.ToString()](db::LogStateStore& store) {
        (void)store.RecordError(log_id, message);  // the original error matters more
      });
    }
    return s;
  };

  if (!source_) {
    auto on_retry = [this](const Status& failure, std::chrono::milliseconds delay) { ReportRetry(failure, delay); };
    auto on_http = [this](const net::HttpExchange& e) {
      metrics_.Fetched(ctlog::EndpointOfUrl(e.url), e.status_code, e.transport, e.seconds);
    };
    auto source = LogSourceFor(log_, config_.logs, &stop_, on_retry, on_http);
    if (!source.ok()) return fail(source.status());
    source_ = std::move(*source);
    if (log_.api == ctlog::LogApi::kStaticCt) {
      auto second = LogSourceFor(log_, config_.logs, &stop_, on_retry, on_http);
      if (second.ok()) issuer_source_ = std::move(*second);
    }
    issuers_ = IssuerCache(issuer_source_.get());
    // The roots' source reports no retries (ReportRetry is the worker thread's): the fetch
    // says once how it ended.
    if (auto roots = LogSourceFor(log_, config_.logs, &roots_stop_, nullptr, on_http); roots.ok()) {
      roots_source_ = std::move(*roots);
    }
  }
  RefreshRootsIfDue(SteadyClock::now());
  if (!verifier_) {
    auto progress = Database(committer_.Call<Result<db::LogProgress>>(
        [&](db::LogStateStore& store) { return store.LoadProgress(log_.log_id); }));
    if (!progress.ok()) {
      replica_metrics_.DatabaseError(progress.status().code());
      return fail(progress.status());
    }
    if (!progress->position) {
      auto started = Start(*source_);
      if (!started.ok()) return fail(started.status());
      if (*started) return RecordMisbehaviour(**started, std::nullopt);
    } else {
      if (progress->pending_range.end() < progress->verified_range.end()) {
        return fail(InternalError(log_.description + ": stored position is behind the verified size"));
      }
      verifier_.emplace(std::move(progress->verified_range), progress->verified_head,
                        std::move(progress->pending_range));
      submitted_position_ = progress->position;
      submitted_verified_head_ = progress->verified_head;
      started_at_end_ = false;
      std::optional<uint64_t> verified_timestamp_ms;
      if (progress->verified_head) verified_timestamp_ms = progress->verified_head->timestamp_ms;
      metrics_.Resumed(*submitted_position_, verifier_->verified_end(), verified_timestamp_ms);
      log_line_(log_.description + ": resuming at entry " + std::to_string(*submitted_position_) + " (verified to " +
                std::to_string(verifier_->verified_end()) + ")");
    }
  }
  progress_.Start(verifier_->pending_end(), std::chrono::seconds(config_.run.progress_interval_s), SteadyClock::now());

  ctlog::ScanOptions options;
  options.on_tree_head = [&](const ctlog::SignedTreeHead& head) {
    round_head_ = head;
    metrics_.TreeHead(head.tree_size, head.timestamp_ms, UnixNowMs());
  };
  // Told to stop, commit what is complete: every entry handed to the sink was processed.
  // (When the stop interrupted a transfer, Scan calls this before it rewinds the verifier.)
  options.before_rewind = [&] {
    if (!stop_.stopped()) return;
    if (Submit(Submission::kIfChanged).ok()) (void)Flush();  // on failure: replayed next time
  };
  const uint64_t commit_every = config_.run.commit_every_entries;
  const auto commit_interval = std::chrono::milliseconds(config_.run.commit_interval_ms);
  const x509::IssuerLookup lookup = issuers_.AsLookup();
  auto scanned = ctlog::Scan(*source_, *verifier_, [&](std::span<const ctlog::LogEntry> batch) -> Status {
    // Matching fans out over the pool; the few matches get their findings here, in log order.
    std::vector<std::optional<watch::EntryMatch>> matches = pool_.MatchBatch(watched_.list, batch);
    uint64_t matched = 0, malformed = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!batch[i].status.ok()) ++malformed;
      if (!matches[i]) continue;
      ++matched;
      pending_.push_back(FindingsOf(batch[i], *matches[i], watched_.rules, lookup));
      for (db::FindingRecord& f : pending_.back().findings) {
        f.alerting = AlertingFor(f.kind, config_.alerts.send_severities);
      }
    }
    round_.matches += matched;
    metrics_.Processed(batch.size(), matched, malformed);
    const auto now = SteadyClock::now();
    RefreshRootsIfDue(now);  // a backfill's round may last days
    const uint64_t position = verifier_->pending_end();
    if (round_head_) {
      if (auto line = progress_.Line(position, round_head_->tree_size, now)) log_line_(log_.description + ": " + *line);
    }
    if (stop_.stopped()) return Status(Code::kAborted, "stopping");
    if (position - submitted_position_.value_or(0) >= commit_every || now - last_submit_ >= commit_interval) {
      if (Status s = Submit(Submission::kIfChanged); !s.ok()) return s;
    }
    return OkStatus();
  }, options);
  if (!scanned.ok()) return fail(scanned.status());

  if (scanned->misbehaviour) {
    return RecordMisbehaviour(*scanned->misbehaviour, TreeStateOf(*verifier_));
  }
  if (Status s = Submit(round_head_ ? Submission::kFinal : Submission::kIfChanged); !s.ok()) return fail(s);
  if (Status s = Flush(); !s.ok()) return fail(s);
  round_.entries = committer_.entries_committed() - round_committed_start_;
  round_.caught_up = !round_head_ || verifier_->pending_end() >= round_head_->tree_size;
  if (round_.entries > 0 || (round_.caught_up && round_head_ && !announced_head_)) {
    announced_head_ = round_.caught_up;
    std::optional<uint64_t> head;
    if (round_.caught_up && round_head_) head = round_head_->tree_size;
    log_line_(log_.description + ": " +
              progress_.RoundLine(round_.entries, verifier_->pending_end(), round_.matches, verifier_->verified_end(),
                                  head, SteadyClock::now()));
  }
  return round_;
}

FollowResult LogWorker::Follow(FollowMode mode) {
  FollowResult out = FollowRounds(mode);
  // A --once run records the roots too, if the log answers get-roots within one request's
  // deadline; otherwise they are fetched at the next start.
  if (mode == FollowMode::kOnce) FinishRoots(std::chrono::milliseconds(config_.logs.request_timeout_ms));
  return out;
}

FollowResult LogWorker::FollowRounds(FollowMode mode) {
  constexpr auto kFirstBackoff = std::chrono::milliseconds(1000);
  constexpr auto kMaxBackoff = std::chrono::milliseconds(300'000);
  const bool once = mode == FollowMode::kOnce;
  FollowResult out;
  auto backoff = kFirstBackoff;
  while (!stop_.stopped()) {
    auto round = Round();
    out.entries += round_.entries;  // what was committed counts, even if the round failed later
    out.matches += round_.matches;
    out.at_head = round.ok() && round->caught_up;
    out.misbehaviour = round.ok() && round->misbehaviour;
    if (round.ok()) {
      metrics_.RoundSucceeded();
      backoff = kFirstBackoff;
      if (once && (round->caught_up || round->misbehaviour)) return out;
      if (round->caught_up || round->misbehaviour) stop_.WaitFor(JitteredPollInterval());
      continue;
    }
    if (stop_.stopped()) break;
    const Status& s = round.status();
    metrics_.RoundFailed(s.code(), UnixNowMs());
    if (database_error_ && IsDatabaseDown(s)) {
      // Not this log's fault: say it once for everyone, and look again soon rather than
      // backing off, so work resumes within a second of the database's return.
      outage_.Failed(s);
      if (once) {
        out.status = s;
        return out;
      }
      stop_.WaitFor(kDatabaseProbeInterval);
      continue;
    }
    log_line_(log_.description + ": " + s.ToString());
    if (once || s.code() == Code::kAborted || s.code() == Code::kFailedPrecondition) {
      // The round's error report is queued on the committer, which drops what is queued
      // when the worker goes: wait for it, or `status` never shows why the log failed.
      (void)committer_.Flush();  // a commit error here was the round's own, reported above
      out.status = s;
      return out;
    }
    stop_.WaitFor(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  out.stopped = true;
  out.status = Status(Code::kAborted, "stopped");
  return out;
}

}  // namespace pinwatch::monitor
