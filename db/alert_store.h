// AlertStore: the alert outbox as the sender (alerts/sender.h) works it. The workers write
// outbox rows with their findings (Commit, RecordMisbehaviour) and operators end and
// restart alerts with the findings' status (FindingStore::SetFindingStatus); the sender
// reads what each Alertmanager is owed, records what it accepted, and holds the lease that
// makes it the only sender. One PostgreSQL implementation (db/pg_alert_store.cc, opened
// with db/postgres.h); one object is one connection: not thread-safe.
//
// What an Alertmanager is owed, per outbox alert (finding):
//   open (ends_at unset)  a send with endsAt in the future, when it never accepted one or
//                         its last one is resend_interval old or more;
//   ended                 one send with endsAt = ends_at, until it accepted that one.
// An alert is done once every configured Alertmanager accepted its ending.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/finding.h"

namespace pinwatch::db {

// OwedAlert is one outbox alert an Alertmanager is owed a send of.
struct OwedAlert {
  int64_t finding_id = 0;
  int64_t starts_at_ms = 0;               // startsAt (Unix ms)
  std::optional<int64_t> ends_at_ms;      // set: the alert ended at this time (acked, resolved)
  bool first_send = false;                // this Alertmanager never accepted it in this state
};

// Accepted is what an Alertmanager accepted of one alert: as open (ends_at_ms unset), or
// its ending at ends_at_ms.
struct Accepted {
  int64_t finding_id = 0;
  std::optional<int64_t> ends_at_ms;
};

// OutboxFacts are the outbox and findings counts the metrics export.
struct OutboxFacts {
  struct Count {
    FindingKind kind;
    FindingStatus status;
    uint64_t count;
  };
  std::vector<Count> findings;
  uint64_t alerts_open = 0;     // not ended
  uint64_t pending = 0;         // owed to at least one of the given Alertmanagers
  std::optional<int64_t> oldest_pending_unix_s;
};

class AlertStore {
 public:
  virtual ~AlertStore() = default;

  // KeepSenderLease takes the alert sender's lease for `replica_id`, or renews it, for
  // `lease_seconds` from now; false when another live replica holds it. A lease not renewed
  // in time is taken over.
  virtual Result<bool> KeepSenderLease(const std::string& replica_id, int64_t lease_seconds) = 0;
  // ReleaseSenderLease gives the lease back (a replica that stops), if it holds it.
  virtual Status ReleaseSenderLease(const std::string& replica_id) = 0;

  // Owed returns up to `limit` alerts `alertmanager` (a configured base URL) is owed, as
  // above, oldest first.
  virtual Result<std::vector<OwedAlert>> Owed(const std::string& alertmanager, int64_t resend_interval_ms,
                                              size_t limit) = 0;
  // RecordAccepted records what `alertmanager` accepted (idempotent). An ending accepted
  // for an ends_at the alert no longer has (reopened meanwhile) changes nothing.
  virtual Status RecordAccepted(const std::string& alertmanager, const std::vector<Accepted>& accepted) = 0;
  // FinishDone marks ended alerts whose ending every one of `alertmanagers` accepted as
  // done, and returns how many it marked.
  virtual Result<size_t> FinishDone(const std::vector<std::string>& alertmanagers) = 0;

  // Facts counts the findings by kind and status, and the outbox for `alertmanagers`.
  virtual Result<OutboxFacts> Facts(const std::vector<std::string>& alertmanagers) = 0;

  // WaitForChange returns when an outbox row was written or changed (NOTIFY on the
  // pinwatch_alerts channel, sent at its COMMIT), or after `timeout_ms`; true if woken by
  // a change. kUnavailable when the database is unreachable (after reconnecting fails).
  virtual Result<bool> WaitForChange(int64_t timeout_ms) = 0;
};

}  // namespace pinwatch::db
