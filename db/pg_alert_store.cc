// The PostgreSQL AlertStore (db/alert_store.h).
#include <optional>
#include <pqxx/connection>
#include <pqxx/notification>
#include <pqxx/result>
#include <pqxx/transaction>

#include "db/alert_store.h"
#include "db/pg_connection.h"
#include "db/pg_rows.h"
#include "db/postgres.h"

namespace pinwatch::db {
namespace {

constexpr char kSenderLease[] = "alert_sender";

// MsOf reads a timestamptz column as Unix milliseconds. Owed and RecordAccepted compare an
// ending by this same expression, so what was read is what matches.
std::string MsOf(std::string_view column) { return "(extract(epoch FROM " + std::string(column) + ") * 1000)::bigint"; }

// TextArray is a text[] literal of `items`, each double-quoted with '"' and '\' escaped.
std::string TextArray(const std::vector<std::string>& items) {
  std::string out = "{";
  for (const std::string& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : item) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// Wakeup notes that a notification arrived on the alerts channel.
class Wakeup final : public pqxx::notification_receiver {
 public:
  Wakeup(pqxx::connection_base& c, bool& woke) : pqxx::notification_receiver(c, pg::kAlertsChannel), woke_(woke) {}
  void operator()(const std::string&, int) override { woke_ = true; }

 private:
  bool& woke_;
};

class PgAlertStore final : public AlertStore {
 public:
  explicit PgAlertStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}
  ~PgAlertStore() override { DropListener(); }

  Result<bool> KeepSenderLease(const std::string& replica_id, int64_t lease_seconds) override;
  Status ReleaseSenderLease(const std::string& replica_id) override;
  Result<std::vector<OwedAlert>> Owed(const std::string& alertmanager, int64_t resend_interval_ms,
                                      size_t limit) override;
  Status RecordAccepted(const std::string& alertmanager, const std::vector<Accepted>& accepted) override;
  Result<size_t> FinishDone(const std::vector<std::string>& alertmanagers) override;
  Result<OutboxFacts> Facts(const std::vector<std::string>& alertmanagers) override;
  Result<bool> WaitForChange(int64_t timeout_ms) override;

 private:
  // The LISTEN connection is held apart from transactions: a receiver must be destroyed
  // before its connection, which PgConnection's reconnect would not do.
  void DropListener() {
    if (listen_) listen_->MarkBroken();  // only after a failure
    receiver_.reset();
    listen_.reset();
  }

  std::unique_ptr<PgConnection> db_;
  std::optional<PooledPq> listen_;  // a connection of the pool, held while listening
  std::unique_ptr<Wakeup> receiver_;
  bool woke_ = false;
};

Result<bool> PgAlertStore::KeepSenderLease(const std::string& replica_id, int64_t lease_seconds) {
  return db_->Guarded("keep the alert sender's lease", [&]() -> Result<bool> {
    pqxx::work tx(db_->pq());
    // The upsert applies only when the lease is free, expired or already ours; RETURNING
    // then gives a row.
    pqxx::result r = tx.exec_params(
        R"sql(INSERT INTO singleton_leases (name, holder, expires_at)
              VALUES ($1, $2, now() + make_interval(secs => $3::float8))
              ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
               WHERE singleton_leases.holder = excluded.holder OR singleton_leases.holder IS NULL
                  OR singleton_leases.expires_at < now()
              RETURNING holder)sql",
        std::string(kSenderLease), replica_id, static_cast<double>(lease_seconds));
    tx.commit();
    return !r.empty();
  });
}

Status PgAlertStore::ReleaseSenderLease(const std::string& replica_id) {
  return db_->Guarded("release the alert sender's lease", [&]() -> Status {
    pqxx::work tx(db_->pq());
    tx.exec_params("UPDATE singleton_leases SET holder = NULL, expires_at = NULL WHERE name = $1 AND holder = $2",
                   std::string(kSenderLease), replica_id);
    tx.commit();
    return OkStatus();
  });
}

Result<std::vector<OwedAlert>> PgAlertStore::Owed(const std::string& alertmanager, int64_t resend_interval_ms,
                                                  size_t limit) {
  return db_->Guarded("read the alert outbox", [&]() -> Result<std::vector<OwedAlert>> {
    pqxx::read_transaction tx(db_->pq());
    std::vector<OwedAlert> out;
    for (const pqxx::row& r : tx.exec_params(
             "SELECT o.finding_id, " + MsOf("o.starts_at") + ", " + MsOf("o.ends_at") + R"sql(,
                     o.ends_at IS NOT NULL OR d.last_sent_at IS NULL
                FROM alert_outbox o
                LEFT JOIN alert_deliveries d ON d.finding_id = o.finding_id AND d.alertmanager = $1
               WHERE o.done_at IS NULL
                 AND ((o.ends_at IS NULL AND (d.last_sent_at IS NULL
                                              OR d.last_sent_at <= now() - make_interval(secs => $2::float8)))
                      OR (o.ends_at IS NOT NULL AND d.resolved_sent_for IS DISTINCT FROM o.ends_at))
               ORDER BY o.finding_id
               LIMIT $3)sql",
             alertmanager, static_cast<double>(resend_interval_ms) / 1000, static_cast<int64_t>(limit))) {
      OwedAlert a;
      a.finding_id = r[0].as<int64_t>();
      a.starts_at_ms = r[1].as<int64_t>();
      if (!r[2].is_null()) a.ends_at_ms = r[2].as<int64_t>();
      a.first_send = r[3].as<bool>();
      out.push_back(a);
    }
    return out;
  });
}

Status PgAlertStore::RecordAccepted(const std::string& alertmanager, const std::vector<Accepted>& accepted) {
  if (accepted.empty()) return OkStatus();
  return RetryRollbacks([&] {
    return db_->Guarded("record alert deliveries", [&]() -> Status {
      pqxx::work tx(db_->pq());
      for (const Accepted& a : accepted) {
        if (!a.ends_at_ms) {
          tx.exec_params(
              R"sql(INSERT INTO alert_deliveries (finding_id, alertmanager, last_sent_at)
                    SELECT finding_id, $2, now() FROM alert_outbox WHERE finding_id = $1
                    ON CONFLICT (finding_id, alertmanager) DO UPDATE SET last_sent_at = excluded.last_sent_at)sql",
              a.finding_id, alertmanager);
        } else {
          // Only the ending the alert still has: a reopen meanwhile made that one void.
          tx.exec_params(
              "INSERT INTO alert_deliveries (finding_id, alertmanager, resolved_sent_for) "
              "SELECT finding_id, $2, ends_at FROM alert_outbox WHERE finding_id = $1 AND " + MsOf("ends_at") + " = $3 "
              "ON CONFLICT (finding_id, alertmanager) DO UPDATE SET resolved_sent_for = excluded.resolved_sent_for",
              a.finding_id, alertmanager, *a.ends_at_ms);
        }
      }
      tx.commit();
      return OkStatus();
    });
  });
}

Result<size_t> PgAlertStore::FinishDone(const std::vector<std::string>& alertmanagers) {
  return db_->Guarded("finish delivered alerts", [&]() -> Result<size_t> {
    pqxx::work tx(db_->pq());
    pqxx::result r = tx.exec_params(
        R"sql(UPDATE alert_outbox o SET done_at = now()
               WHERE o.done_at IS NULL AND o.ends_at IS NOT NULL
                 AND NOT EXISTS (
                   SELECT 1 FROM unnest($1::text[]) AS am(url)
                    WHERE NOT EXISTS (SELECT 1 FROM alert_deliveries d
                                       WHERE d.finding_id = o.finding_id AND d.alertmanager = am.url
                                         AND d.resolved_sent_for = o.ends_at)))sql",
        TextArray(alertmanagers));
    tx.commit();
    return static_cast<size_t>(r.affected_rows());
  });
}

Result<OutboxFacts> PgAlertStore::Facts(const std::vector<std::string>& alertmanagers) {
  return db_->Guarded("count findings and alerts", [&]() -> Result<OutboxFacts> {
    pqxx::read_transaction tx(db_->pq());
    OutboxFacts facts;
    for (const pqxx::row& r : tx.exec("SELECT kind, status, count(*) FROM findings GROUP BY kind, status")) {
      const std::optional<FindingKind> kind = FindingKindFromName(r[0].as<std::string>());
      const std::optional<FindingStatus> status = FindingStatusFromName(r[1].as<std::string>());
      if (!kind || !status) continue;  // the CHECK constraints admit no other names
      facts.findings.push_back({*kind, *status, r[2].as<uint64_t>()});
    }
    pqxx::row counts = tx.exec_params1(
        R"sql(WITH undone AS (SELECT * FROM alert_outbox WHERE done_at IS NULL),
                   owed AS (
                     SELECT o.* FROM undone o
                      WHERE EXISTS (
                        SELECT 1 FROM unnest($1::text[]) AS am(url)
                          LEFT JOIN alert_deliveries d ON d.finding_id = o.finding_id AND d.alertmanager = am.url
                         WHERE (o.ends_at IS NULL AND d.last_sent_at IS NULL)
                            OR (o.ends_at IS NOT NULL AND d.resolved_sent_for IS DISTINCT FROM o.ends_at)))
              SELECT (SELECT count(*) FROM undone WHERE ends_at IS NULL),
                     (SELECT count(*) FROM owed),
                     (SELECT extract(epoch FROM min(coalesce(ends_at, starts_at)))::bigint FROM owed))sql",
        TextArray(alertmanagers));
    facts.alerts_open = counts[0].as<uint64_t>();
    facts.pending = counts[1].as<uint64_t>();
    if (!counts[2].is_null()) facts.oldest_pending_unix_s = counts[2].as<int64_t>();
    return facts;
  });
}

Result<bool> PgAlertStore::WaitForChange(int64_t timeout_ms) {
  if (!listen_) {
    auto opened = db_->pool().impl().Borrow("listen for alert changes");
    if (!opened.ok()) return opened.status();
    listen_.emplace(std::move(*opened));
    listen_->Close();  // a LISTENing session is not given to transactions afterwards
    Status listening = GuardPq("listen for alert changes", [&]() -> Status {
      receiver_ = std::make_unique<Wakeup>(listen_->pq(), woke_);  // sends LISTEN
      return OkStatus();
    });
    if (!listening.ok()) {
      DropListener();
      return listening;
    }
  }
  woke_ = false;
  Status waited = GuardPq("wait for alert changes", [&]() -> Status {
    listen_->pq().await_notification(static_cast<long>(timeout_ms / 1000), static_cast<long>(timeout_ms % 1000) * 1000);
    return OkStatus();
  });
  // A broken connection ends the wait at once: say so, so the caller does not spin.
  if (waited.ok() && !listen_->pq().is_open()) waited = UnavailableError("wait for alert changes: connection lost");
  if (!waited.ok()) {
    DropListener();
    return waited;
  }
  return woke_;
}

}  // namespace

std::unique_ptr<AlertStore> AlertStoreOn(std::shared_ptr<ConnectionPool> pool) {
  return std::make_unique<PgAlertStore>(std::make_unique<PgConnection>(std::move(pool)));
}

Result<std::unique_ptr<AlertStore>> ConnectAlertStore(const std::string& url) {
  auto db = PgConnection::Open(url, 2);  // transactions, and the LISTEN session
  if (!db.ok()) return db.status();
  return std::unique_ptr<AlertStore>(new PgAlertStore(std::move(*db)));
}

}  // namespace pinwatch::db
