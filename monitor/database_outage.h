// DatabaseOutage: one voice for "the database is unreachable" however many threads notice
// (the lease keeper and every log worker). It says once per outage what is wrong and once
// when the database is back, with how long it was gone; while it is down, callers probe it
// every kDatabaseProbeInterval instead of backing off, so work resumes within about a
// second of its return (issue 13: an exponential backoff resumed 46 s after an 81 s outage).
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "base/status.h"

namespace pinwatch::monitor {

// LogLine writes one line of the daemon's log output (thread-safe implementations only).
using LogLine = std::function<void(const std::string& line)>;

// kDatabaseProbeInterval: how often a caller tries the database again while it is down.
inline constexpr std::chrono::milliseconds kDatabaseProbeInterval{1000};

// IsDatabaseDown says whether a store error means "the database cannot be reached" (retry
// it soon) rather than a problem with the request.
inline bool IsDatabaseDown(const Status& s) {
  return s.code() == Code::kUnavailable || s.code() == Code::kInDoubt;
}

class DatabaseOutage {
 public:
  // `on_change` (may be empty) hears "down" (false) at an outage's first failure and "up"
  // (true) when it ends (the pinwatch_database_up metric).
  explicit DatabaseOutage(LogLine log_line, std::function<void(bool up)> on_change = nullptr)
      : log_line_(std::move(log_line)), on_change_(std::move(on_change)) {}

  // Failed records that a database call failed with `why` (IsDatabaseDown). The first
  // failure of an outage is logged: "database unreachable (WHY); retrying every 1 s".
  // Thread-safe.
  void Failed(const Status& why);
  // Recovered records that a database call succeeded; the first after an outage logs
  // "database reachable again after N s". Thread-safe.
  void Recovered();
  bool down() const;

 private:
  LogLine log_line_;
  std::function<void(bool up)> on_change_;
  mutable std::mutex mu_;
  std::optional<std::chrono::steady_clock::time_point> down_since_;
};

}  // namespace pinwatch::monitor
