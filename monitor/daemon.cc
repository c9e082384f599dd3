#include "monitor/daemon.h"

#include <malloc.h>

#include <algorithm>
#include <map>
#include <set>
#include <memory>
#include <thread>

#include "base/encoding.h"
#include "db/postgres.h"

namespace pinwatch::monitor {

namespace {

constexpr auto kTrimInterval = std::chrono::seconds(10);

// WorkerThread is one running LogWorker and what it ended with.
struct WorkerThread {
  StopSignal stop;
  std::thread thread;
  std::atomic<bool> done{false};
  FollowResult result;
  std::string description;
};

}  // namespace

Result<DaemonSummary> RunDaemon(const Config& config, std::shared_ptr<db::ConnectionPool> pool, FollowMode mode,
                                StopSignal& stop, const LogLine& log_line, alerts::Metrics& metrics) {
  const bool once = mode == FollowMode::kOnce;
  if (Status s = db::CheckSchema(pool); !s.ok()) return s;
  std::unique_ptr<db::LogStateStore> store = db::LogStateStoreOn(pool);
  // A one-shot run reports a list it cannot use; the daemon keeps what it followed before.
  FollowedLogs logs(config.logs, *store, log_line, metrics);
  auto followed = logs.Start(once ? FollowedLogs::OnFailure::kFail : FollowedLogs::OnFailure::kKeepPrevious);
  if (!followed.ok()) return followed.status();
  auto watch = MakeWatched(config.watch);
  if (!watch.ok()) return watch.status();
  log_line("replica " + config.run.replica_id + ": following " + std::to_string(*followed) + " logs, watching " +
           std::to_string(config.watch.size()) + " names" + (once ? " (once)" : ""));

  watch::MatchPool matchers(config.run.match_threads);
  DatabaseOutage outage(log_line, [&metrics](bool up) { metrics.SetDatabaseReachable(up); });
  DaemonSummary summary;
  summary.logs_followed = *followed;
  std::map<ctlog::LogId, std::unique_ptr<WorkerThread>> running;
  std::set<ctlog::LogId> finished;  // once: logs this replica has completed
  std::vector<ctlog::LogId> to_release;
  const auto lease_interval = std::chrono::milliseconds(std::max<int64_t>(config.run.lease_seconds * 1000 / 3, 200));

  auto reap = [&] {
    for (auto it = running.begin(); it != running.end();) {
      WorkerThread& w = *it->second;
      if (!w.done) {
        ++it;
        continue;
      }
      if (w.thread.joinable()) w.thread.join();
      const FollowResult& r = w.result;
      summary.entries += r.entries;
      summary.matches += r.matches;
      if (r.misbehaviour) {
        ++summary.logs_misbehaving;
      } else if (r.at_head && r.status.ok()) {
        ++summary.logs_caught_up;
      } else if (once || (!r.stopped && r.status.code() != Code::kAborted)) {
        // Once: a log that did not reach its tree head failed, whatever the reason (a lost
        // lease included); it is never counted as caught up.
        ++summary.logs_failed;
      }
      if (once) finished.insert(it->first);
      else to_release.push_back(it->first);  // stopped (lease lost or handed back): let others have it
      it = running.erase(it);
    }
  };

  auto last_trim = std::chrono::steady_clock::now();
  while (!stop.stopped()) {
    const uint64_t seen = stop.wakes();
    if (!once && std::chrono::steady_clock::now() - last_trim >= kTrimInterval) {
      // main() keeps freed memory for reuse (a 256 MB trim threshold: the backfill's sys
      // time), and each of glibc's arenas keeps its own peak. At the head, where the
      // workers fetch a little every poll, that held 210 MB at 100 logs; handing free
      // pages back now and then costs a few milliseconds.
      malloc_trim(0);
      last_trim = std::chrono::steady_clock::now();
    }
    if (!once && logs.RefreshIfDue(std::chrono::steady_clock::now())) summary.logs_followed = logs.count();
    auto view = store->KeepLeases(config.run.replica_id, config.run.lease_seconds, to_release);
    if (!view.ok()) {
      metrics.DatabaseError(view.status().code());
      // The release list is kept: those logs are handed back once the database answers.
      if (IsDatabaseDown(view.status())) {
        outage.Failed(view.status());  // the Store reconnects by itself on its next call
        if (once) {
          // A one-shot run does not wait for the database: it ends with the reason.
          for (auto& [id, w] : running) w->stop.Stop();
          for (auto& [id, w] : running) w->thread.join();
          return Status(view.status().code(), "database unreachable: " + view.status().message());
        }
        stop.WaitFor(kDatabaseProbeInterval);
      } else {
        log_line("leases: " + view.status().ToString());
        stop.WaitFor(lease_interval);
      }
      continue;
    }
    to_release.clear();
    outage.Recovered();
    metrics.SetLeasesHeld(view->held.size());
    // Workers whose lease is gone stop at their next batch.
    for (auto& [id, w] : running) {
      if (std::find(view->held.begin(), view->held.end(), id) == view->held.end()) w->stop.Stop();
    }
    // Over the fair share (another replica joined): hand back the surplus.
    if (!once && view->held.size() > view->fair_share) {
      size_t surplus = view->held.size() - view->fair_share;
      for (auto it = running.rbegin(); it != running.rend() && surplus > 0; ++it, --surplus) {
        log_line(it->second->description + ": handing the lease back (fair share is " +
                 std::to_string(view->fair_share) + ")");
        it->second->stop.Stop();
      }
    }
    for (const ctlog::LogId& id : view->held) {
      if (running.count(id) || finished.count(id)) continue;
      auto record = store->GetLog(id);
      if (!record.ok()) {
        log_line("log " + Base64Encode(id) + ": " + record.status().ToString());
        continue;
      }
      std::unique_ptr<db::LogStateStore> worker_store = db::LogStateStoreOn(pool);
      log_line(record->description + ": lease taken by " + config.run.replica_id);
      auto w = std::make_unique<WorkerThread>();
      w->description = record->description;
      WorkerThread* raw = w.get();
      if (stop.stopped()) break;
      w->thread = std::thread([&config, &watch, &matchers, &stop, &outage, &metrics, &log_line, mode, raw,
                               record = std::move(*record), ws = std::move(worker_store)]() mutable {
        LogWorker worker(std::move(record), config, *watch, matchers, std::move(ws), config.run.replica_id, raw->stop,
                         outage, metrics, log_line);
        raw->result = worker.Follow(mode);
        raw->done = true;
        stop.Wake();
      });
      running.emplace(id, std::move(w));
    }
    reap();
    if (once && running.empty()) {
      // Done with everything this replica could lease; the rest belongs to live replicas.
      summary.logs_elsewhere = summary.logs_followed - std::min(summary.logs_followed, finished.size());
      break;
    }
    stop.WaitFor(lease_interval, seen);
  }

  for (auto& [id, w] : running) w->stop.Stop();
  for (auto& [id, w] : running) w->thread.join();
  reap();
  running.clear();
  if (Status s = store->ReleaseLeases(config.run.replica_id, std::nullopt); !s.ok()) log_line("leases: " + s.ToString());
  metrics.SetLeasesHeld(0);
  return summary;
}

}  // namespace pinwatch::monitor
