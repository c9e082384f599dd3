#include "monitor/daemon.h"

#include <algorithm>
#include <map>
#include <set>
#include <memory>
#include <thread>

#include "base/encoding.h"
#include "base/file.h"
#include "net/http.h"
#include "ctlog/loglist.h"
#include "db/postgres.h"

namespace pinwatch::monitor {

namespace {

// ReadList reads a log list, or its signature (`what`), from a file or an http(s) URL.
Result<std::string> ReadList(const std::string& where, const std::string& what, size_t max_bytes) {
  if (where.starts_with("https://") || where.starts_with("http://")) {
    net::HttpOptions options;
    options.max_response_bytes = max_bytes;
    net::HttpClient http(options);
    auto response = http.Get(where);
    if (!response.ok()) return Status(response.status().code(), what + " " + where + ": " + response.status().message());
    if (Status s = net::CheckHttpStatus(*response, what + " " + where); !s.ok()) return s;
    return std::move(response->body);
  }
  return ReadFile(where, what, max_bytes);
}

Bytes BytesOf(const std::string& text) { return Bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size()); }

// CheckListSignature refuses `list` (read from `where`) unless its detached signature
// verifies with one of `keys` (PEM texts of logs.list_public_keys).
Status CheckListSignature(const std::string& where, const std::string& list, const std::vector<std::string>& keys) {
  const std::string sig_where = ctlog::LogListSignatureLocation(where);
  auto signature = ReadList(sig_where, "log list signature", ctlog::kMaxLogListSignatureBytes);
  if (!signature.ok()) {
    return FailedPreconditionError("log list " + where + ": refused: its signature could not be read (" +
                                   signature.status().message() + ")");
  }
  std::string why;
  for (const std::string& key : keys) {
    Status s = ctlog::VerifyLogListSignature(BytesOf(list), BytesOf(*signature), BytesOf(key));
    if (s.ok()) return OkStatus();
    if (s.code() == Code::kFailedPrecondition) return FailedPreconditionError("logs.list_public_keys: " + s.message());
    why = s.message();
  }
  return FailedPreconditionError("log list " + where + ": refused: the signature " + sig_where +
                                 " does not verify with any of logs.list_public_keys (" + why + ")");
}

db::LogRecord RecordOf(const ctlog::Log& log) {
  db::LogRecord r;
  r.log_id = log.log_id;
  r.description = log.description.empty() ? Base64Encode(log.log_id) : log.description;
  r.api = log.api;
  r.url = log.monitoring_url;
  r.submission_url = log.submission_url;
  r.key = log.key;
  r.mmd_seconds = log.mmd_seconds;
  r.state = log.state ? std::string(ctlog::LogStateName(log.state->state)) : "";
  return r;
}

// WorkerThread is one running LogWorker and what it ended with.
struct WorkerThread {
  StopSignal stop;
  std::thread thread;
  std::atomic<bool> done{false};
  FollowResult result;
  std::string description;
};

}  // namespace

Result<std::vector<db::LogRecord>> LoadFollowedLogs(const LogsConfig& config) {
  std::vector<std::string> keys;
  for (const std::string& path : config.list_public_keys) {
    auto pem = ReadFile(path, "logs.list_public_keys", 64 * 1024);
    if (!pem.ok()) return FailedPreconditionError(pem.status().message());
    keys.push_back(*std::move(pem));
  }
  std::vector<ctlog::LogList> lists;
  for (const std::string& where : config.lists) {
    auto text = ReadList(where, "log list", ctlog::kMaxLogListSizeBytes);
    if (!text.ok()) return text.status();
    // Checked before parsing: an unsigned list's bytes are not read at all.
    if (!keys.empty()) {
      if (Status s = CheckListSignature(where, *text, keys); !s.ok()) return s;
    }
    auto list = ctlog::ParseLogList(BytesOf(*text), where, {.plain_http_hosts = config.plain_http_hosts});
    if (!list.ok()) return FailedPreconditionError(list.status().message());
    lists.push_back(std::move(*list));
  }
  auto all = ctlog::UnionOfLists(lists);
  if (!all.ok()) return all.status();
  std::vector<ctlog::Log> chosen = ctlog::SelectLogs(*all, config.states);
  std::vector<db::LogRecord> out;
  out.reserve(chosen.size());
  for (const ctlog::Log& log : chosen) out.push_back(RecordOf(log));
  return out;
}

Result<DaemonSummary> RunDaemon(const Config& config, FollowMode mode, StopSignal& stop, const LogLine& log_line,
                                alerts::Metrics& metrics) {
  const bool once = mode == FollowMode::kOnce;
  if (Status s = db::CheckSchema(config.database_url); !s.ok()) return s;
  auto store = db::ConnectLogStateStore(config.database_url);
  if (!store.ok()) return store.status();
  auto logs = LoadFollowedLogs(config.logs);
  if (!logs.ok()) return logs.status();
  if (Status s = (*store)->SyncLogs(*logs); !s.ok()) return s;
  auto watch = MakeWatched(config.watch);
  if (!watch.ok()) return watch.status();
  log_line("replica " + config.run.replica_id + ": following " + std::to_string(logs->size()) + " logs, watching " +
           std::to_string(config.watch.size()) + " names" + (once ? " (once)" : ""));

  metrics.SetLogsFollowed(logs->size());
  watch::MatchPool pool(config.run.match_threads);
  DatabaseOutage outage(log_line, [&metrics](bool up) { metrics.SetDatabaseReachable(up); });
  DaemonSummary summary;
  summary.logs_followed = logs->size();
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

  while (!stop.stopped()) {
    const uint64_t seen = stop.wakes();
    auto view = (*store)->KeepLeases(config.run.replica_id, config.run.lease_seconds, to_release);
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
      auto record = (*store)->GetLog(id);
      if (!record.ok()) {
        log_line("log " + Base64Encode(id) + ": " + record.status().ToString());
        continue;
      }
      auto worker_store = db::ConnectLogStateStore(config.database_url);
      if (!worker_store.ok()) {
        log_line(record->description + ": " + worker_store.status().ToString());
        continue;
      }
      log_line(record->description + ": lease taken by " + config.run.replica_id);
      auto w = std::make_unique<WorkerThread>();
      w->description = record->description;
      WorkerThread* raw = w.get();
      if (stop.stopped()) break;
      w->thread = std::thread([&config, &watch, &pool, &stop, &outage, &metrics, &log_line, mode, raw,
                               record = std::move(*record), ws = std::move(*worker_store)]() mutable {
        LogWorker worker(std::move(record), config, *watch, pool, std::move(ws), config.run.replica_id, raw->stop,
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
  if (Status s = (*store)->ReleaseLeases(config.run.replica_id, std::nullopt); !s.ok()) log_line("leases: " + s.ToString());
  metrics.SetLeasesHeld(0);
  return summary;
}

}  // namespace pinwatch::monitor
