// FollowedLogs: which logs `run` follows, kept in line with the configured log lists. The
// lists are read (and their signatures checked) at start and again every
// logs.list_refresh_interval_s; each good reading is recorded in the database (SyncLogs),
// where the lease keeper finds it: a new log is leased and followed, a retired one's lease
// is let go. A list that cannot be read, is refused or does not parse changes nothing: the
// previous reading stays in force, and the failure is said once until it changes.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <vector>

#include "alerts/metrics.h"
#include "base/status.h"
#include "ctlog/loglist.h"
#include "db/log_state_store.h"
#include "monitor/config.h"

namespace pinwatch::monitor {

// LoadFollowedLogs reads every list in config.lists (a file path, or an http(s) URL),
// checks its signature when config.list_public_keys is set, parses (ctlog::ParseLogList),
// unions them by log id and keeps the logs in config.states. Errors name the list.
Result<std::vector<db::LogRecord>> LoadFollowedLogs(const LogsConfig& config);

class FollowedLogs {
 public:
  using LogLine = std::function<void(const std::string&)>;
  // `store` and `metrics` are borrowed and must outlive this.
  FollowedLogs(const LogsConfig& config, db::LogStateStore& store, LogLine log_line, alerts::Metrics& metrics);

  // What Start does when the lists fail: keep following the logs an earlier run recorded
  // (the daemon: a log list's outage must not stop the monitoring), or fail (`run --once`).
  enum class OnFailure { kKeepPrevious, kFail };

  // Start reads the lists and records them, and returns how many logs are followed. When
  // they fail, with kKeepPrevious and logs recorded, those stay followed; otherwise the
  // failure is the error.
  Result<size_t> Start(OnFailure on_failure);

  // RefreshIfDue reads the lists again once list_refresh_interval_s has passed since the
  // last attempt (never when it is 0). True when the followed set changed.
  bool RefreshIfDue(std::chrono::steady_clock::time_point now);

  size_t count() const { return followed_.size(); }

 private:
  // ReadAndApply reads the lists and records them, saying what changed.
  Status ReadAndApply();
  void Failed(const Status& why);

  const LogsConfig& config_;
  db::LogStateStore& store_;
  LogLine log_line_;
  alerts::Metrics& metrics_;
  std::set<ctlog::LogId> followed_;  // the reading in force
  std::string last_failure_;        // said once until it changes
  std::chrono::steady_clock::time_point last_attempt_;
};

}  // namespace pinwatch::monitor
