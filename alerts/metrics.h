// Metrics: every Prometheus metric pinwatch exports, registered once (prometheus-cpp is
// used in alerts/ only; this header names none of its types). `main` owns one Metrics and
// hands it to whoever reports; tests make their own. The README's "Metrics" section lists
// every name with its labels and meaning; the names follow Prometheus's conventions (base
// units, `_total` counters, `_seconds`, `_timestamp_seconds`), and labels come from closed
// sets (a log's description and id, error codes, endpoints), never from certificates.
//
// Several replicas add up without double counting:
//   * per-log series (pinwatch_log_*, entries, fetches, commits) exist only on the replica
//     holding that log's lease: a LogMetrics lives as long as the worker, and its series go
//     when the lease does;
//   * database-derived series (findings, the alert outbox) come from one replica, the one
//     holding the alert sender's lease (pinwatch_alert_sender_active is 1 there);
//   * the rest (leases held, database errors, deliveries, process) are each replica's own.
// Thread-safe: every method may be called from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "db/alert_store.h"
#include "db/finding.h"

namespace pinwatch::alerts {

// BuildInfo is pinwatch_build_info's labels.
struct BuildInfo {
  std::string version;
  std::string revision;
};

// BuildInfoOfThisBinary is the version and git revision this binary was configured from
// (alerts/build_info.h.in; "unknown" outside a git checkout).
BuildInfo BuildInfoOfThisBinary();

// DeliveryOutcome is how one POST to an Alertmanager ended.
enum class DeliveryOutcome { kSuccess, kHttpError, kUnreachable };

class Metrics {
 public:
  explicit Metrics(const BuildInfo& build);
  ~Metrics();
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  // Text returns every series in the Prometheus text format 0.0.4, process_* included.
  std::string Text() const;

  // --- this replica ---
  void SetLogsFollowed(size_t logs);   // pinwatch_logs_followed
  // SetLogListsRead: when the log lists were last read and accepted
  // (pinwatch_log_lists_last_success_timestamp_seconds; a refused list leaves it old).
  void SetLogListsRead(int64_t unix_s);
  void SetLeasesHeld(size_t leases);   // pinwatch_leases_held
  // DatabaseError counts a failed database call by its code (pinwatch_database_errors_total).
  void DatabaseError(Code code);
  void SetDatabaseReachable(bool reachable);  // pinwatch_database_up
  void SetAlertSenderActive(bool active);     // pinwatch_alert_sender_active
  // SetDatabasePool exports the connection pool (db::PoolStats): pinwatch_database_connections
  // by state (idle, in_use), pinwatch_database_connections_max, and the borrows that waited
  // for a free connection, pinwatch_database_connection_waits_total (`waits` is the total).
  void SetDatabasePool(size_t max_connections, size_t open, size_t in_use, uint64_t waits);

  // --- pin-failure reports (api/report_intake.h) ---
  // AddPinReportSeries creates every series at 0 (so the first report is an increase a rule
  // sees); PinReport counts one report explained, by classification
  // (pinwatch_pin_reports_total), PinReportRejected one refused, by reason
  // (pinwatch_pin_reports_rejected_total).
  void AddPinReportSeries(std::span<const std::string_view> classifications, std::span<const std::string_view> reasons);
  void PinReport(std::string_view classification);
  void PinReportRejected(std::string_view reason);

  // --- the alert sender ---
  // AddAlertmanager creates `alertmanager`'s delivery series at 0 (so the first failure is
  // an increase a rule can see).
  void AddAlertmanager(std::string_view alertmanager);
  // Delivery counts one POST of `alerts` alerts to `alertmanager` (its base URL) and how it
  // ended (pinwatch_alert_deliveries_total, pinwatch_alerts_sent_total,
  // pinwatch_alert_delivery_duration_seconds).
  void Delivery(std::string_view alertmanager, DeliveryOutcome outcome, size_t alerts, double seconds);
  // SetFleetFacts exports the database's findings (missing kind and status pairs as 0) and
  // outbox; ClearFleetFacts removes them (this replica stopped being the one that exports
  // them).
  void SetFleetFacts(const db::OutboxFacts& facts);
  void ClearFleetFacts();

 private:
  friend class LogMetrics;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// LogMetrics is one log's series on the replica that follows it: created when its worker
// starts, and its series removed when it is destroyed (the lease went elsewhere). Borrows
// `metrics`, which must outlive it.
class LogMetrics {
 public:
  LogMetrics(Metrics& metrics, std::string log_description, std::string log_id_base64);
  ~LogMetrics();
  LogMetrics(const LogMetrics&) = delete;
  LogMetrics& operator=(const LogMetrics&) = delete;

  // The log's last poll and last answer start at the time of construction (when this replica
  // began following the log), so staleness is measured from then, not from 1970.
  // TreeHead records a tree head that passed its checks, polled at `polled_at_unix_ms`.
  void TreeHead(uint64_t tree_size, uint64_t timestamp_ms, int64_t polled_at_unix_ms);
  // Committed records a batch committed in `seconds`: the log's position and verified head.
  void Committed(uint64_t position, uint64_t verified_tree_size, std::optional<uint64_t> verified_timestamp_ms,
                 double seconds);
  // Resumed records where a worker found the log in the database (no commit counted).
  void Resumed(uint64_t position, uint64_t verified_tree_size, std::optional<uint64_t> verified_timestamp_ms);
  // CommitFailed records a commit that failed after `seconds`.
  void CommitFailed(double seconds);
  // Processed counts entries that went through matching, how many concerned a watched name
  // and how many did not parse.
  void Processed(uint64_t entries, uint64_t matched, uint64_t malformed);
  // Fetched records one HTTP request to the log: its endpoint ("get-entries", "tile", ...),
  // its HTTP status (0: none) or transport error code, and its duration; a 2xx answer is
  // the log's last response.
  void Fetched(std::string_view endpoint, int64_t status_code, Code transport, double seconds);
  // RoundSucceeded resets the consecutive failures; RoundFailed counts one and records the
  // error's code and time.
  void RoundSucceeded();
  void RoundFailed(Code code, int64_t at_unix_ms);
  // Misbehaved counts a recorded misbehaviour of `kind` ("root_mismatch", ...).
  void Misbehaved(std::string_view kind);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pinwatch::alerts
