// AlertSender: pushes the alert outbox (db/alert_store.h) to Alertmanager the way Prometheus
// does (rules/alerting.go, notifier/): every open alert goes to every configured
// Alertmanager (an HA set: never load-balanced) and again every resend_interval with
// endsAt = now + 4 × resend_interval, so two failed sends do not resolve it; an alert an
// operator acked or resolved is sent once more with endsAt = that time. What each
// Alertmanager accepted is in the database, so a restart (or another replica taking over)
// resends exactly what is still owed.
//
// One replica sends at a time: the sender holds the 'alert_sender' lease (renewed every
// third of lease_seconds; a dead sender's lease is taken over when it expires), and that
// replica also exports the database-derived metrics (findings, the outbox).
//
// An Alertmanager that fails is retried with backoff (1 s doubling to max_backoff_ms, per
// Alertmanager, never a busy loop) while the others go on; each failure is counted in the
// metrics, and logged once per outage, with a line when it is back. The sender sleeps
// until a commit or status change NOTIFYs it, a resend or retry is due, or at most
// kMaxWait: a new alert goes out within milliseconds of its commit.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "alerts/metrics.h"
#include "base/status.h"
#include "base/stop_signal.h"
#include "db/alert_store.h"
#include "db/finding_store.h"
#include "net/http.h"

namespace pinwatch::alerts {

// SenderOptions configure an AlertSender (from the config's `alerts` and `run`).
struct SenderOptions {
  std::vector<std::string> alertmanager_urls;  // base URLs; empty: only the metrics
  int64_t resend_interval_ms = 60'000;
  int64_t timeout_ms = 10'000;                 // one POST
  std::string external_url;                    // generatorURL's base
  std::string replica_id;
  int64_t lease_seconds = 30;
  int64_t max_backoff_ms = 15'000;
  int64_t facts_interval_ms = 5'000;           // how often the fleet metrics are refreshed
  size_t batch_size = 64;                      // alerts per POST
};

class AlertSender {
 public:
  // The sender owns its stores (two connections) and borrows `metrics` and `stop`, which
  // must outlive it. `log_line` writes one line of the daemon's output (thread-safe).
  AlertSender(SenderOptions options, std::unique_ptr<db::AlertStore> alerts, std::unique_ptr<db::FindingStore> findings,
              Metrics& metrics, std::function<void(const std::string&)> log_line, const StopSignal& stop);
  ~AlertSender();

  // Run sends until `stop`, then gives the lease back. Database errors are counted and
  // retried every second; they never end it.
  void Run();

  // SendOnce is one pass for `run --once`: take the lease if it is free, deliver what is
  // owed now (one try per Alertmanager) and refresh the metrics. OK when everything owed
  // was accepted (or another replica holds the lease); otherwise the first failure, and
  // what was not delivered goes out with the next run.
  Status SendOnce();

 private:
  struct Target {
    std::string url;
    std::chrono::steady_clock::time_point next_try{};  // backing off until then
    std::chrono::milliseconds backoff{0};
    std::optional<std::chrono::steady_clock::time_point> down_since;  // this outage's start
    // Everything open is sent at the first pass after the lease is taken (a restart, a
    // takeover), whatever was sent before: what another sender did may not have arrived.
    bool resend_all = true;
  };

  // KeepLease takes or renews the lease when due; false when another replica sends.
  Result<bool> KeepLease(bool force);
  // Deliver sends everything `target` is owed now, in batches, and stops at its first
  // failure, which it records on the target (backoff, the outage's start): the status is
  // the database's (kUnavailable, ...), never the Alertmanager's.
  Status Deliver(Target& target);
  void Failed(Target& target, const std::string& why, size_t waiting);
  void RefreshFacts(bool force);
  std::chrono::milliseconds NextWait() const;

  SenderOptions options_;
  std::unique_ptr<db::AlertStore> alerts_;
  std::unique_ptr<db::FindingStore> findings_;
  Metrics& metrics_;
  std::function<void(const std::string&)> log_line_;
  const StopSignal& stop_;
  net::HttpClient http_;
  std::vector<Target> targets_;
  bool holding_ = false;
  std::chrono::steady_clock::time_point lease_renewed_{};
  std::chrono::steady_clock::time_point facts_refreshed_{};
  bool database_down_ = false;
};

}  // namespace pinwatch::alerts
