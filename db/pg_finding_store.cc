// The PostgreSQL FindingStore (db/finding_store.h).
#include <algorithm>
#include <pqxx/binarystring>
#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>

#include "db/finding.h"
#include "db/pg_connection.h"
#include "db/pg_rows.h"
#include "db/postgres.h"

namespace pinwatch::db {
namespace {

using namespace pg;  // the row codecs (db-internal)

// IdArray is a bigint[] literal of `ids`, or NULL (no filter) when there are none.
std::optional<std::string> IdArray(const std::vector<int64_t>& ids) {
  if (ids.empty()) return std::nullopt;
  std::string out = "{";
  for (int64_t id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "}";
}

class PgFindingStore final : public FindingStore {
 public:
  explicit PgFindingStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}
  Result<std::vector<Finding>> ListFindings(const FindingFilter& filter) override;
  Status SetFindingStatus(int64_t id, FindingStatus status, const std::string& note) override;

 private:
  std::unique_ptr<PgConnection> db_;
};

Result<std::vector<Finding>> PgFindingStore::ListFindings(const FindingFilter& filter) {
  return db_->Guarded("list findings", [&]() -> Result<std::vector<Finding>> {
    pqxx::read_transaction tx(db_->pq());
    auto wanted = [](const auto& set, const auto& v) {
      return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
    };
    std::vector<Finding> out;
    std::vector<int64_t> certificate_ids;
    for (const pqxx::row& r : tx.exec_params(
             std::string(R"sql(SELECT f.id, f.kind, f.severity, f.status, coalesce(f.watched, ''), f.reason,
                          coalesce(f.status_note, ''), to_char(f.created_at AT TIME ZONE 'UTC', $1),
                          to_char(f.status_changed_at AT TIME ZONE 'UTC', $1), f.evidence::text, f.log_id,
                          coalesce(l.description, ''),
                          c.id, )sql" + std::string(kCertificateColumns) + R"sql(
                     FROM findings f
                     LEFT JOIN certificates c ON c.id = f.certificate_id
                     LEFT JOIN logs l ON l.log_id = f.log_id
                    WHERE $2::bigint[] IS NULL OR f.id = ANY($2::bigint[])
                    ORDER BY f.id)sql"),
             std::string(kRfc3339), IdArray(filter.ids))) {
      // The limit counts findings that passed the filters; tested before each row, so 0 lists none.
      if (filter.limit && out.size() >= *filter.limit) break;
      Finding f;
      f.id = r[0].as<int64_t>();
      // The CHECK constraints admit only these names; anything else is a schema changed by hand.
      const std::optional<FindingKind> kind = FindingKindFromName(r[1].as<std::string>());
      const std::optional<Severity> severity = SeverityFromName(r[2].as<std::string>());
      const std::optional<FindingStatus> status = FindingStatusFromName(r[3].as<std::string>());
      if (!kind || !severity || !status) {
        return InternalError("finding " + r[0].as<std::string>() + ": unknown kind, severity or status");
      }
      f.kind = *kind;
      f.severity = *severity;
      f.status = *status;
      if (!wanted(filter.statuses, f.status) || !wanted(filter.kinds, f.kind)) continue;
      if (filter.after_id && f.id <= *filter.after_id) continue;
      if (filter.min_severity && f.severity < *filter.min_severity) continue;
      f.watched = r[4].as<std::string>();
      if (!filter.watched.empty() && f.watched != filter.watched) continue;
      f.reason = r[5].as<std::string>();
      f.status_note = r[6].as<std::string>();
      f.created_at = r[7].as<std::string>();
      f.status_changed_at = r[8].as<std::string>();
      f.evidence_json = r[9].as<std::string>();
      f.log_id = OptionalHashOf(r[10]);
      f.log_description = r[11].as<std::string>();
      if (!r[12].is_null()) {
        certificate_ids.push_back(r[12].as<int64_t>());
        CertificateRecord c = CertificateOf(r, 13);
        f.certificate = std::move(c);
      } else {
        certificate_ids.push_back(-1);
      }
      out.push_back(std::move(f));
    }
    // The entries of each finding's certificate, in one query per finding (findings are few).
    for (size_t i = 0; i < out.size(); ++i) {
      if (certificate_ids[i] < 0) continue;
      for (const pqxx::row& r : tx.exec_params(
               R"sql(SELECT e.log_id, l.description, e.entry_index, e.entry_type, e.timestamp_ms, e.verified
                       FROM certificate_entries e JOIN logs l ON l.log_id = e.log_id
                      WHERE e.certificate_id = $1 ORDER BY l.description, e.log_id, e.entry_index)sql",
               certificate_ids[i])) {
        FindingEntry e;
        if (auto h = HashOf(r[0], "log_id"); h.ok()) e.log_id = *h;
        e.log_description = r[1].as<std::string>();
        e.index = r[2].as<uint64_t>();
        e.entry_type = r[3].as<std::string>();
        e.timestamp_ms = r[4].as<uint64_t>();
        e.verified = r[5].as<bool>();
        out[i].entries.push_back(std::move(e));
      }
    }
    return out;
  });
}

Status PgFindingStore::SetFindingStatus(int64_t id, FindingStatus status, const std::string& note) {
  return db_->Guarded("set finding status", [&]() -> Status {
    pqxx::work tx(db_->pq());
    pqxx::result r = tx.exec_params(
        R"sql(UPDATE findings SET status = $2, status_note = $3, status_changed_at = now() WHERE id = $1)sql", id,
        std::string(FindingStatusName(status)), note.empty() ? std::optional<std::string>() : note);
    if (r.affected_rows() != 1) return FailedPreconditionError("no finding with id " + std::to_string(id));
    // The alert follows the finding: ended (once) by an ack or a resolve, started anew by a
    // reopen, whose Alertmanagers must all hear of it again.
    pqxx::result changed;
    if (status == FindingStatus::kOpen) {
      changed = tx.exec_params(
          R"sql(UPDATE alert_outbox SET starts_at = now(), ends_at = NULL, done_at = NULL
                 WHERE finding_id = $1 AND ends_at IS NOT NULL RETURNING finding_id)sql", id);
      if (!changed.empty()) tx.exec_params("DELETE FROM alert_deliveries WHERE finding_id = $1", id);
    } else {
      changed = tx.exec_params(
          "UPDATE alert_outbox SET ends_at = now() WHERE finding_id = $1 AND ends_at IS NULL RETURNING finding_id", id);
    }
    if (!changed.empty()) NotifyAlerts(tx);
    tx.commit();
    return OkStatus();
  });
}

}  // namespace

std::unique_ptr<FindingStore> FindingStoreOn(std::shared_ptr<ConnectionPool> pool) {
  return std::make_unique<PgFindingStore>(std::make_unique<PgConnection>(std::move(pool)));
}

Result<std::unique_ptr<FindingStore>> ConnectFindingStore(const std::string& url) {
  auto db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  return std::unique_ptr<FindingStore>(new PgFindingStore(std::move(*db)));
}

}  // namespace pinwatch::db
