// Daemon: `pinwatch run`. It chooses the logs (log lists → union → states), records them,
// and keeps leases: every third of the lease time it renews this replica's leases, takes
// free or expired ones up to a fair share, and runs one LogWorker thread per leased log. A
// log whose lease is lost stops at its next commit (the commit is fenced anyway); a replica
// over its fair share (another one joined) hands logs back. Logs fail independently: an
// unreachable or misbehaving log never stops the others.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "alerts/metrics.h"
#include "base/status.h"
#include "db/connection_pool.h"
#include "db/log_state_store.h"
#include "monitor/config.h"
#include "monitor/followed_logs.h"
#include "monitor/worker.h"

namespace pinwatch::monitor {

// DaemonSummary is what `run --once` reports (and how it chooses its exit code).
struct DaemonSummary {
  size_t logs_followed = 0;   // chosen by the configuration
  size_t logs_caught_up = 0;  // processed to their tree head by this replica
  size_t logs_failed = 0;     // stopped on an error (unreachable, ...)
  size_t logs_misbehaving = 0;
  size_t logs_elsewhere = 0;  // leased to another live replica
  uint64_t entries = 0;       // committed by this replica in this run
  uint64_t matches = 0;
};

// RunDaemon runs until `stop` (or, with FollowMode::kOnce, until every log it could lease
// reached its tree head or failed). Returns an error only when it cannot start (database, schema
// version, log lists, watch list) or, with kOnce, when the database becomes unreachable
// (a one-shot run reports that rather than waiting for it). The workers and the lease keeper
// report to `metrics` (borrowed). Every store borrows its connections from `pool`, so the
// daemon holds at most database.max_connections sessions whatever the number of logs.
Result<DaemonSummary> RunDaemon(const Config& config, std::shared_ptr<db::ConnectionPool> pool, FollowMode mode,
                                StopSignal& stop, const LogLine& log_line, alerts::Metrics& metrics);

}  // namespace pinwatch::monitor
