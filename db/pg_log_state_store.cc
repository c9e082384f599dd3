// The PostgreSQL LogStateStore (db/log_state_store.h).
#include <algorithm>
#include <map>
#include <pqxx/binarystring>
#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>

#include "base/encoding.h"
#include "ctlog/sha256.h"
#include "db/finding.h"
#include "db/pg_connection.h"
#include "db/pg_rows.h"
#include "db/postgres.h"

namespace pinwatch::db {
namespace {

using namespace pg;  // the row codecs: Bin, HashOf, ... (db-internal)

Status LeaseLost(const ctlog::LogId& log_id, const std::string& what) {
  return Status(Code::kAborted, "log " + Base64Encode(log_id) + ": lease lost or position moved by another replica; " + what);
}

class PgLogStateStore final : public LogStateStore {
 public:
  explicit PgLogStateStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

  Status SyncLogs(const std::vector<LogRecord>& followed) override;
  Result<LogRecord> GetLog(const ctlog::LogId& log_id) override;
  Result<LogProgress> LoadProgress(const ctlog::LogId& log_id) override;
  Result<LeaseView> KeepLeases(const std::string& replica_id, int64_t lease_seconds,
                               const std::vector<ctlog::LogId>& release) override;
  Status ReleaseLeases(const std::string& replica_id, const std::optional<ctlog::LogId>& log_id) override;
  Status Commit(const std::string& replica_id, const BatchCommit& batch) override;
  Status RecordMisbehaviour(const std::string& replica_id, const ctlog::LogId& log_id,
                            const ctlog::Misbehaviour& evidence, const std::optional<TreeState>& rewind_to,
                            Alerting alerting) override;
  Status RecordError(const ctlog::LogId& log_id, const std::string& message) override;
  Status RecordRoots(const ctlog::LogId& log, const std::vector<std::vector<uint8_t>>& roots) override;
  Result<std::vector<std::vector<uint8_t>>> AcceptedRoots() override;
  Result<std::vector<LogStatus>> ListLogStatus() override;
  Result<std::vector<std::pair<std::string, uint64_t>>> EntriesCommittedBy() override;

 private:
  Result<LeaseView> KeepLeasesOnce(const std::string& replica_id, int64_t lease_seconds,
                                   const std::vector<ctlog::LogId>& release);
  std::unique_ptr<PgConnection> db_;
};

Status PgLogStateStore::SyncLogs(const std::vector<LogRecord>& followed) {
  return db_->Guarded("sync logs", [&]() -> Status {
    pqxx::work tx(db_->pq());
    tx.exec("UPDATE logs SET followed = false WHERE followed");
    for (const LogRecord& log : followed) {
      pqxx::result existing = tx.exec_params("SELECT key, url, api FROM logs WHERE log_id = $1", Bin(log.log_id));
      if (!existing.empty()) {
        if (BytesOf(existing[0][0]) != log.key || existing[0][1].as<std::string>() != log.url ||
            existing[0][2].as<std::string>() != ApiName(log.api)) {
          return FailedPreconditionError("log " + Base64Encode(log.log_id) + " (" + log.description +
                                         "): the log lists now give another key, URL or API than the database "
                                         "holds (" + existing[0][1].as<std::string>() + "); refusing to follow it "
                                         "until an operator decides");
        }
      }
      tx.exec_params(
          R"sql(
          INSERT INTO logs (log_id, description, api, url, submission_url, key, mmd_seconds, state, followed)
          VALUES ($1, $2, $3, $4, $5, $6, $7, $8, true)
          ON CONFLICT (log_id) DO UPDATE
            SET description = excluded.description, submission_url = excluded.submission_url,
                mmd_seconds = excluded.mmd_seconds, state = excluded.state, followed = true, updated_at = now())sql",
          Bin(log.log_id), log.description, std::string(ApiName(log.api)), log.url, log.submission_url, Bin(log.key),
          static_cast<int64_t>(log.mmd_seconds), log.state);
    }
    tx.commit();
    return OkStatus();
  });
}

Result<LogRecord> PgLogStateStore::GetLog(const ctlog::LogId& log_id) {
  return db_->Guarded("read log", [&]() -> Result<LogRecord> {
    pqxx::read_transaction tx(db_->pq());
    pqxx::result r = tx.exec_params(std::string("SELECT ") + kLogColumns + " FROM logs WHERE log_id = $1", Bin(log_id));
    if (r.empty()) return FailedPreconditionError("log " + Base64Encode(log_id) + " is not in the database");
    return LogOf(r[0], 0);
  });
}

Result<LogProgress> PgLogStateStore::LoadProgress(const ctlog::LogId& log_id) {
  return db_->Guarded("read log progress", [&]() -> Result<LogProgress> {
    pqxx::read_transaction tx(db_->pq());
    pqxx::result r = tx.exec_params(
        R"sql(SELECT position, pending_range, verified_tree_size, verified_range, verified_timestamp_ms,
                     verified_root, verified_signature
                FROM logs WHERE log_id = $1)sql",
        Bin(log_id));
    if (r.empty()) return FailedPreconditionError("log " + Base64Encode(log_id) + " is not in the database");
    const pqxx::row& row = r[0];
    LogProgress p;
    const std::string where = "log " + Base64Encode(log_id) + ": ";
    if (!row[0].is_null()) {
      p.position = row[0].as<uint64_t>();
      auto pending = RangeOf(*p.position, row[1], where + "pending_range");
      if (!pending.ok()) return pending.status();
      p.pending_range = std::move(*pending);
    }
    uint64_t verified_size = row[2].as<uint64_t>();
    auto verified = RangeOf(verified_size, row[3], where + "verified_range");
    if (!verified.ok()) return verified.status();
    p.verified_range = std::move(*verified);
    if (!row[4].is_null()) {
      ctlog::SignedTreeHead head;
      head.tree_size = verified_size;
      head.timestamp_ms = row[4].as<uint64_t>();
      auto root = HashOf(row[5], where + "verified_root");
      if (!root.ok()) return root.status();
      head.root_hash = *root;
      std::vector<uint8_t> sig = BytesOf(row[6]);
      auto ds = ctlog::ParseDigitallySigned(sig);
      if (!ds.ok()) return InternalError(where + "verified_signature: " + ds.status().message());
      head.signature = std::move(*ds);
      p.verified_head = std::move(head);
    }
    return p;
  });
}

Result<LeaseView> PgLogStateStore::KeepLeases(const std::string& replica_id, int64_t lease_seconds,
                                    const std::vector<ctlog::LogId>& release) {
  LeaseView kept;
  Status s = RetryRollbacks([&]() -> Status {
    auto view = KeepLeasesOnce(replica_id, lease_seconds, release);
    if (!view.ok()) return view.status();
    kept = std::move(*view);
    return OkStatus();
  });
  if (!s.ok()) return s;
  return kept;
}

Result<LeaseView> PgLogStateStore::KeepLeasesOnce(const std::string& replica_id, int64_t lease_seconds,
                                        const std::vector<ctlog::LogId>& release) {
  return db_->Guarded("keep leases", [&]() -> Result<LeaseView> {
    LeaseView view;
    pqxx::work tx(db_->pq());
    const double ttl = static_cast<double>(lease_seconds);
    tx.exec_params(
        R"sql(INSERT INTO replicas (replica_id) VALUES ($1)
              ON CONFLICT (replica_id) DO UPDATE SET heartbeat_at = now())sql",
        replica_id);
    for (const ctlog::LogId& id : release) {
      tx.exec_params("UPDATE logs SET lease_holder = NULL, lease_expires_at = NULL WHERE log_id = $1 AND lease_holder = $2",
                     Bin(id), replica_id);
    }
    tx.exec_params("UPDATE logs SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = $1 AND NOT followed",
                   replica_id);
    for (const pqxx::row& r : tx.exec_params(
             R"sql(UPDATE logs SET lease_expires_at = now() + make_interval(secs => $2::float8)
                    WHERE lease_holder = $1 RETURNING log_id)sql",
             replica_id, ttl)) {
      if (auto h = HashOf(r[0], "log_id"); h.ok()) view.held.push_back(*h);
    }
    view.live_replicas = std::max<int64_t>(
        1, tx.exec_params1("SELECT count(*) FROM replicas WHERE heartbeat_at > now() - make_interval(secs => $1::float8)",
                           ttl)[0]
               .as<int64_t>());
    view.followed_logs = tx.exec1("SELECT count(*) FROM logs WHERE followed")[0].as<size_t>();
    view.fair_share = (view.followed_logs + view.live_replicas - 1) / view.live_replicas;
    if (view.held.size() < view.fair_share) {
      pqxx::result free_logs = tx.exec_params(
          R"sql(SELECT log_id FROM logs
                 WHERE followed AND (lease_holder IS NULL OR lease_expires_at < now())
                 ORDER BY log_id LIMIT $1 FOR UPDATE SKIP LOCKED)sql",
          static_cast<int64_t>(view.fair_share - view.held.size()));
      for (const pqxx::row& r : free_logs) {
        tx.exec_params(
            R"sql(UPDATE logs SET lease_holder = $2, lease_expires_at = now() + make_interval(secs => $3::float8)
                   WHERE log_id = $1)sql",
            pqxx::binarystring(r[0]), replica_id, ttl);
        if (auto h = HashOf(r[0], "log_id"); h.ok()) {
          view.held.push_back(*h);
          view.taken.push_back(*h);
        }
      }
    }
    tx.commit();
    return view;
  });
}

Status PgLogStateStore::ReleaseLeases(const std::string& replica_id, const std::optional<ctlog::LogId>& log_id) {
  return db_->Guarded("release leases", [&]() -> Status {
    pqxx::work tx(db_->pq());
    if (log_id) {
      tx.exec_params("UPDATE logs SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = $1 AND log_id = $2",
                     replica_id, Bin(*log_id));
    } else {
      tx.exec_params("UPDATE logs SET lease_holder = NULL, lease_expires_at = NULL WHERE lease_holder = $1", replica_id);
      // A replica that stops is no longer live: the next one (a cron `run --once` a minute
      // later) must not wait out this heartbeat and take only half the logs meanwhile.
      tx.exec_params("UPDATE replicas SET heartbeat_at = 'epoch' WHERE replica_id = $1", replica_id);
    }
    tx.commit();
    return OkStatus();
  });
}

Status PgLogStateStore::Commit(const std::string& replica_id, const BatchCommit& batch) {
  const uint64_t to_position = batch.tree.position();
  bool fenced = false;
  Status s = RetryRollbacks([&] {
    fenced = false;
    return db_->Guarded("commit", [&]() -> Status {
      pqxx::work tx(db_->pq());
      // The fence first: it also locks the log row until the transaction ends. Nothing else
      // of this replica's is locked here (the per-log counter below is this log's own row),
      // so the lease keeper, which locks the replica row and then log rows, cannot deadlock
      // with a commit.
      if (pg::WriteTreeState(tx, {.replica_id = replica_id,
                                  .log_id = batch.log_id,
                                  .from_position = batch.from_position,
                                  .tree = batch.tree,
                                  .latest_tree_size = batch.latest_tree_size,
                                  .started_at_end = batch.started_at_end,
                                  .fence = pg::Fence::kLeaseAndPosition}) != 1) {
        fenced = true;
        return OkStatus();  // rolled back when tx goes out of scope
      }
      const uint64_t verified_size = batch.tree.verified_range.end();
      for (const MatchedEntry& m : batch.matches) pg::WriteMatch(tx, batch.log_id, verified_size, m);
      const uint64_t entries = to_position - batch.from_position.value_or(to_position);
      if (entries > 0) {
        tx.exec_params(
            R"sql(INSERT INTO replica_log_entries (replica_id, log_id, entries_committed) VALUES ($1, $2, $3)
                  ON CONFLICT (replica_id, log_id)
                  DO UPDATE SET entries_committed = replica_log_entries.entries_committed + excluded.entries_committed)sql",
            replica_id, Bin(batch.log_id), static_cast<int64_t>(entries));
      }
      tx.commit();
      return OkStatus();
    });
  });
  if (s.code() == Code::kInDoubt) {
    // The connection broke during COMMIT: the position says whether it happened (it moves
    // only with the rows it covers). Committed: done. Still at from_position: not
    // committed, and replaying is safe because every write is idempotent.
    auto position = db_->Guarded("commit (settling an in-doubt commit)", [&]() -> Result<std::optional<uint64_t>> {
      pqxx::read_transaction tx(db_->pq());
      pqxx::result r = tx.exec_params("SELECT position FROM logs WHERE log_id = $1 AND lease_holder = $2",
                                      Bin(batch.log_id), replica_id);
      if (r.empty() || r[0][0].is_null()) return std::optional<uint64_t>();
      return std::optional<uint64_t>(r[0][0].as<uint64_t>());
    });
    if (!position.ok()) return Status(Code::kInDoubt, s.message() + "; not settled: " + position.status().message());
    if (*position == std::optional<uint64_t>(to_position) && to_position != batch.from_position.value_or(UINT64_MAX)) {
      return OkStatus();
    }
    if (*position != batch.from_position) return LeaseLost(batch.log_id, "an in-doubt commit was not applied");
    return Commit(replica_id, batch);
  }
  if (!s.ok()) return s;
  if (fenced) {
    return LeaseLost(batch.log_id, "not committing entries " + std::to_string(batch.from_position.value_or(0)) + ".." +
                                       std::to_string(to_position));
  }
  return OkStatus();
}

Status PgLogStateStore::RecordMisbehaviour(const std::string& replica_id, const ctlog::LogId& log_id,
                                 const ctlog::Misbehaviour& evidence, const std::optional<TreeState>& rewind_to,
                                 Alerting alerting) {
  bool fenced = false;
  Status s = RetryRollbacks([&] {
    fenced = false;
    return db_->Guarded("record misbehaviour", [&]() -> Status {
      pqxx::work tx(db_->pq());
      if (rewind_to) {
        fenced = pg::WriteTreeState(tx, {.replica_id = replica_id,
                                         .log_id = log_id,
                                         .tree = *rewind_to,
                                         .fence = pg::Fence::kLeaseOnly}) != 1;
      } else {
        // A log that was never started (its first tree head was the lie): nothing to rewind,
        // only the lease to check.
        fenced = tx.exec_params("SELECT 1 FROM logs WHERE log_id = $1 AND lease_holder = $2 FOR UPDATE", Bin(log_id),
                                replica_id)
                     .empty();
      }
      if (fenced) return OkStatus();
      std::string kind(ctlog::KindName(evidence.kind));
      std::string head_part = evidence.tree_head ? SthJson(*evidence.tree_head) : "";
      std::string index_part = evidence.entry_index ? std::to_string(*evidence.entry_index) : "";
      ctlog::Hash key = DedupeKey({"misbehaviour", HashView(log_id), kind, head_part, index_part});
      pqxx::row inserted = tx.exec_params1(
          R"sql(WITH f AS (
                  INSERT INTO findings (kind, severity, log_id, reason, evidence, dedupe_key)
                  VALUES ($5, $6, $1, $2, $3::jsonb, $4) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id),
                o AS (INSERT INTO alert_outbox (finding_id) SELECT id FROM f WHERE $7 RETURNING finding_id)
                SELECT count(*) FROM o)sql",
          Bin(log_id), kind + ": " + evidence.detail, EvidenceJson(evidence), Bin(key),
          std::string(FindingKindName(FindingKind::kLogMisbehaviour)),
          std::string(SeverityName(SeverityOf(FindingKind::kLogMisbehaviour))), alerting == Alerting::kOutbox);
      if (inserted[0].as<int64_t>() > 0) pg::NotifyAlerts(tx);
      tx.exec_params("UPDATE logs SET last_error = $2, last_error_at = now() WHERE log_id = $1", Bin(log_id),
                     "misbehaviour " + kind + ": " + evidence.detail);
      tx.commit();
      return OkStatus();
    });
  });
  if (!s.ok()) return s;
  if (fenced) return LeaseLost(log_id, "misbehaviour not recorded");
  return OkStatus();
}

Status PgLogStateStore::RecordError(const ctlog::LogId& log_id, const std::string& message) {
  return db_->Guarded("record error", [&]() -> Status {
    pqxx::work tx(db_->pq());
    tx.exec_params("UPDATE logs SET last_error = $2, last_error_at = now() WHERE log_id = $1", Bin(log_id), message);
    tx.commit();
    return OkStatus();
  });
}

Status PgLogStateStore::RecordRoots(const ctlog::LogId& log, const std::vector<std::vector<uint8_t>>& roots) {
  // One row per distinct DER, keyed and ordered by its SHA-256: two transactions touching
  // the same rows do so in the same order.
  std::map<ctlog::Hash, const std::vector<uint8_t>*> by_sha256;
  for (const std::vector<uint8_t>& der : roots) by_sha256.emplace(ctlog::Sha256Of(der), &der);
  return RetryRollbacks([&] {
    return db_->Guarded("record log roots", [&]() -> Status {
      pqxx::work tx(db_->pq());
      // The log's row, locked: concurrent replacements of one log's set happen one after the
      // other, never interleaved row by row.
      if (tx.exec_params("SELECT 1 FROM logs WHERE log_id = $1 FOR UPDATE", Bin(log)).empty()) {
        return FailedPreconditionError("log " + Base64Encode(log) + " is not in the database");
      }
      for (const pqxx::row& r : tx.exec_params("SELECT root_sha256 FROM log_roots WHERE log_id = $1 ORDER BY root_sha256",
                                               Bin(log))) {
        auto sha256 = HashOf(r[0], "log_roots.root_sha256");
        if (!sha256.ok()) return sha256.status();
        if (by_sha256.count(*sha256) == 0) {
          tx.exec_params("DELETE FROM log_roots WHERE log_id = $1 AND root_sha256 = $2", Bin(log), Bin(*sha256));
        }
      }
      for (const auto& [sha256, der] : by_sha256) {
        tx.exec_params(
            R"sql(INSERT INTO log_roots (log_id, root_sha256, der) VALUES ($1, $2, $3)
                  ON CONFLICT (log_id, root_sha256) DO UPDATE SET fetched_at = now())sql",
            Bin(log), Bin(sha256), Bin(*der));
      }
      tx.commit();
      return OkStatus();
    });
  });
}

Result<std::vector<std::vector<uint8_t>>> PgLogStateStore::AcceptedRoots() {
  return db_->Guarded("read log roots", [&]() -> Result<std::vector<std::vector<uint8_t>>> {
    pqxx::read_transaction tx(db_->pq());
    std::vector<std::vector<uint8_t>> out;
    for (const pqxx::row& r :
         tx.exec("SELECT DISTINCT ON (root_sha256) der FROM log_roots ORDER BY root_sha256, log_id")) {
      out.push_back(BytesOf(r[0]));
    }
    return out;
  });
}

Result<std::vector<LogStatus>> PgLogStateStore::ListLogStatus() {
  return db_->Guarded("list logs", [&]() -> Result<std::vector<LogStatus>> {
    pqxx::read_transaction tx(db_->pq());
    std::vector<LogStatus> out;
    for (const pqxx::row& r : tx.exec_params(
             std::string("SELECT ") + kLogColumns +
             R"sql(, followed, position, verified_tree_size, verified_timestamp_ms, latest_tree_size,
                   to_char(latest_seen_at AT TIME ZONE 'UTC', $1), last_error,
                   to_char(last_error_at AT TIME ZONE 'UTC', $1), lease_holder,
                   to_char(lease_expires_at AT TIME ZONE 'UTC', $1)
              FROM logs ORDER BY followed DESC, description, log_id)sql",
             std::string(kRfc3339))) {
      LogStatus s;
      s.log = LogOf(r, 0);
      s.followed = r[8].as<bool>();
      if (!r[9].is_null()) s.position = r[9].as<uint64_t>();
      s.verified_tree_size = r[10].as<uint64_t>();
      if (!r[11].is_null()) s.verified_timestamp_ms = r[11].as<int64_t>();
      if (!r[12].is_null()) s.latest_tree_size = r[12].as<uint64_t>();
      s.latest_seen_at = TextOr(r[13]);
      s.last_error = TextOr(r[14]);
      s.last_error_at = TextOr(r[15]);
      s.lease_holder = TextOr(r[16]);
      s.lease_expires_at = TextOr(r[17]);
      out.push_back(std::move(s));
    }
    return out;
  });
}

Result<std::vector<std::pair<std::string, uint64_t>>> PgLogStateStore::EntriesCommittedBy() {
  return db_->Guarded("read replicas", [&]() -> Result<std::vector<std::pair<std::string, uint64_t>>> {
    pqxx::read_transaction tx(db_->pq());
    std::vector<std::pair<std::string, uint64_t>> out;
    // replicas.entries_committed holds what was committed before schema version 2.
    for (const pqxx::row& r : tx.exec(
             R"sql(SELECT r.replica_id, r.entries_committed + coalesce(sum(e.entries_committed), 0)::bigint
                     FROM replicas r LEFT JOIN replica_log_entries e ON e.replica_id = r.replica_id
                    GROUP BY r.replica_id, r.entries_committed ORDER BY r.replica_id)sql")) {
      out.emplace_back(r[0].as<std::string>(), r[1].as<uint64_t>());
    }
    return out;
  });
}

}  // namespace

std::unique_ptr<LogStateStore> LogStateStoreOn(std::shared_ptr<ConnectionPool> pool) {
  return std::make_unique<PgLogStateStore>(std::make_unique<PgConnection>(std::move(pool)));
}

Result<std::unique_ptr<LogStateStore>> ConnectLogStateStore(const std::string& url) {
  auto db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  return std::unique_ptr<LogStateStore>(new PgLogStateStore(std::move(*db)));
}

}  // namespace pinwatch::db
