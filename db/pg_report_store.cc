// The PostgreSQL ReportStore (db/report_store.h).
#include <pqxx/binarystring>
#include <pqxx/connection>
#include <pqxx/result>
#include <pqxx/transaction>

#include "db/pg_connection.h"
#include "db/pg_rows.h"
#include "db/postgres.h"

namespace pinwatch::db {
namespace {

using namespace pg;  // the row codecs (db-internal)

// A resend within this long of the same report's time is merged (TrustKit sends an
// identical report at most once per 24 h).
constexpr int64_t kResendWindowS = 24 * 3600;

// What the policy said of a certificate, for the columns after its id.
constexpr const char kJudged[] = R"sql(
  (SELECT min(f.id) FROM findings f WHERE f.certificate_id = c.id AND f.kind = 'unexpected_issuer'),
  EXISTS (SELECT 1 FROM findings f WHERE f.certificate_id = c.id AND f.kind IN ('known_key', 'unexpected_key')))sql";

KnownCertificate KnownOf(const pqxx::row& r) {
  KnownCertificate k;
  k.certificate_id = r[0].as<int64_t>();
  if (!r[1].is_null()) k.unexpected_issuer_finding_id = r[1].as<int64_t>();
  k.issuer_allowed = r[2].as<bool>();
  return k;
}

std::optional<int64_t> OptionalId(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<int64_t>();
}

// WildcardFor is the wildcard name that covers `hostname` ("*.example.com" for
// "www.example.com"), or "" for a name of one label.
std::string WildcardFor(const std::string& hostname) {
  size_t dot = hostname.find('.');
  if (dot == std::string::npos || dot + 1 >= hostname.size()) return "";
  return "*." + hostname.substr(dot + 1);
}

class PgReportStore final : public ReportStore {
 public:
  explicit PgReportStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

  Result<std::optional<KnownCertificate>> CertificateByTbs(const Hash& tbs) override {
    return db_->Guarded("look up a reported certificate", [&]() -> Result<std::optional<KnownCertificate>> {
      pqxx::read_transaction tx(db_->pq());
      pqxx::result r = tx.exec_params(std::string("SELECT c.id, ") + kJudged +
                                          " FROM certificates c WHERE c.tbs_sha256 = $1",
                                      Bin(tbs));
      if (r.empty()) return std::optional<KnownCertificate>();
      return std::optional<KnownCertificate>(KnownOf(r[0]));
    });
  }

  Result<std::optional<KnownCertificate>> CertificateWithKey(const Hash& spki, const std::string& hostname) override {
    return db_->Guarded("look up a reported key", [&]() -> Result<std::optional<KnownCertificate>> {
      pqxx::read_transaction tx(db_->pq());
      pqxx::result r = tx.exec_params(
          std::string("SELECT c.id, ") + kJudged + R"sql(
             FROM certificates c
            WHERE c.spki_sha256 = $1
              AND EXISTS (SELECT 1 FROM jsonb_array_elements_text(c.dns_names) n WHERE lower(n) IN ($2, $3))
              AND EXISTS (SELECT 1 FROM findings f WHERE f.certificate_id = c.id
                                                     AND f.kind IN ('known_key', 'unexpected_key'))
            ORDER BY c.id DESC LIMIT 1)sql",
          Bin(spki), hostname, WildcardFor(hostname));
      if (r.empty()) return std::optional<KnownCertificate>();
      return std::optional<KnownCertificate>(KnownOf(r[0]));
    });
  }

  Result<RecordedReport> Record(const NewReport& n) override {
    return db_->Guarded("record a pin-failure report", [&]() -> Result<RecordedReport> {
      pqxx::work tx(db_->pq());
      // The group row, locked until commit: reports of one group are counted one at a time.
      pqxx::row g = tx.exec_params1(
          R"sql(INSERT INTO pin_reports (group_key, hostname, port, watched, classification, reason,
                                         leaf_spki_sha256, issuer_spki_sha256, leaf_tbs_sha256,
                                         first_seen, last_seen, example)
                VALUES ($1, $2, $3, $4, $5, $6, decode($7, 'hex'), decode($8, 'hex'), decode($9, 'hex'),
                        to_timestamp($10), to_timestamp($10), $11::jsonb)
                ON CONFLICT (group_key) DO UPDATE SET reason = EXCLUDED.reason
                RETURNING id, finding_id, proposal_id)sql",
          Bin(n.group_key), n.hostname, n.port, n.watched, n.classification, n.reason, HexOrNull(n.leaf_spki),
          HexOrNull(n.issuer_spki), HexOrNull(n.leaf_tbs), n.happened_unix_s, n.example_json);
      RecordedReport out;
      out.report_id = g[0].as<int64_t>();
      out.finding_id = OptionalId(g[1]);
      out.proposal_id = OptionalId(g[2]);
      pqxx::result seen = tx.exec_params(
          R"sql(SELECT extract(epoch FROM happened_at)::bigint FROM pin_report_sightings
                 WHERE report_id = $1 AND client_sha256 = $2 AND report_sha256 = $3)sql",
          out.report_id, Bin(n.client), Bin(n.identity));
      out.duplicate = !seen.empty() && std::llabs(seen[0][0].as<int64_t>() - n.happened_unix_s) < kResendWindowS;
      if (out.duplicate) {
        tx.exec_params("UPDATE pin_reports SET duplicates = duplicates + 1 WHERE id = $1", out.report_id);
      } else {
        tx.exec_params(
            R"sql(INSERT INTO pin_report_sightings (report_id, client_sha256, report_sha256, happened_at)
                  VALUES ($1, $2, $3, to_timestamp($4))
                  ON CONFLICT (report_id, client_sha256, report_sha256)
                  DO UPDATE SET happened_at = EXCLUDED.happened_at)sql",
            out.report_id, Bin(n.client), Bin(n.identity), n.happened_unix_s);
        tx.exec_params(
            R"sql(UPDATE pin_reports SET reports = reports + 1,
                         first_seen = least(first_seen, to_timestamp($2)),
                         last_seen = greatest(last_seen, to_timestamp($2))
                   WHERE id = $1)sql",
            out.report_id, n.happened_unix_s);
      }
      pqxx::row counts = tx.exec_params1(
          R"sql(SELECT r.reports,
                       (SELECT count(DISTINCT s.client_sha256) FROM pin_report_sightings s
                         WHERE s.report_id = r.id AND s.happened_at > to_timestamp($2::bigint - $3::bigint)
                           AND s.happened_at <= to_timestamp($2::bigint + $3::bigint))
                  FROM pin_reports r WHERE r.id = $1)sql",
          out.report_id, n.happened_unix_s, n.window_s);
      out.reports = counts[0].as<int64_t>();
      out.clients_in_window = counts[1].as<int64_t>();
      tx.commit();
      return out;
    });
  }

  Result<int64_t> RaiseFinding(const ReportFinding& f) override {
    const std::string_view kind = FindingKindName(f.kind);
    const Hash key = DedupeKey({"report", kind, f.watched, f.dedupe});
    return db_->Guarded("raise a finding from a report", [&]() -> Result<int64_t> {
      pqxx::work tx(db_->pq());
      pqxx::row r = tx.exec_params1(
          R"sql(WITH f AS (
                  INSERT INTO findings (kind, severity, watched, certificate_id, reason, evidence, dedupe_key)
                  VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id),
                o AS (INSERT INTO alert_outbox (finding_id) SELECT id FROM f WHERE $8 RETURNING finding_id)
                SELECT coalesce((SELECT id FROM f), (SELECT id FROM findings WHERE dedupe_key = $7)),
                       (SELECT count(*) FROM o))sql",
          std::string(kind), std::string(SeverityName(SeverityOf(f.kind))), f.watched, f.certificate_id, f.reason,
          f.evidence_json, Bin(key), f.alerting);
      if (r[1].as<int64_t>() > 0) NotifyAlerts(tx);
      tx.commit();
      return r[0].as<int64_t>();
    });
  }

  Status Link(int64_t report_id, std::optional<int64_t> finding_id, std::optional<int64_t> proposal_id) override {
    return db_->Guarded("link a report", [&]() -> Status {
      pqxx::work tx(db_->pq());
      tx.exec_params(
          "UPDATE pin_reports SET finding_id = coalesce($2, finding_id), proposal_id = coalesce($3, proposal_id) "
          "WHERE id = $1",
          report_id, finding_id, proposal_id);
      if (proposal_id) {
        tx.exec_params("UPDATE proposals SET urgent_at = now() WHERE id = $1 AND urgent_at IS NULL", *proposal_id);
      }
      tx.commit();
      return OkStatus();
    });
  }

  Result<std::vector<ReportRow>> List(size_t limit) override {
    return db_->Guarded("list pin-failure reports", [&]() -> Result<std::vector<ReportRow>> {
      pqxx::read_transaction tx(db_->pq());
      std::optional<int64_t> lim;
      if (limit > 0) lim = static_cast<int64_t>(limit);
      std::vector<ReportRow> out;
      for (const pqxx::row& r : tx.exec_params(
               R"sql(SELECT r.id, r.hostname, r.port, r.watched, r.classification, r.reason, r.leaf_spki_sha256,
                            r.issuer_spki_sha256, r.reports, r.duplicates,
                            (SELECT count(DISTINCT s.client_sha256) FROM pin_report_sightings s WHERE s.report_id = r.id),
                            to_char(r.first_seen AT TIME ZONE 'UTC', $1), to_char(r.last_seen AT TIME ZONE 'UTC', $1),
                            r.finding_id, r.proposal_id, p.urgent_at IS NOT NULL
                       FROM pin_reports r LEFT JOIN proposals p ON p.id = r.proposal_id
                      ORDER BY r.last_seen DESC, r.id DESC
                      LIMIT $2)sql",
               std::string(kRfc3339), lim)) {
        ReportRow row;
        row.id = r[0].as<int64_t>();
        row.hostname = r[1].as<std::string>();
        row.port = r[2].as<int64_t>();
        row.watched = r[3].as<std::string>();
        row.classification = r[4].as<std::string>();
        row.reason = r[5].as<std::string>();
        row.leaf_spki = OptionalHashOf(r[6]);
        row.issuer_spki = OptionalHashOf(r[7]);
        row.reports = r[8].as<int64_t>();
        row.duplicates = r[9].as<int64_t>();
        row.distinct_clients = r[10].as<int64_t>();
        row.first_seen = r[11].as<std::string>();
        row.last_seen = r[12].as<std::string>();
        row.finding_id = OptionalId(r[13]);
        row.proposal_id = OptionalId(r[14]);
        row.proposal_urgent = r[15].as<bool>();
        out.push_back(std::move(row));
      }
      return out;
    });
  }

 private:
  std::unique_ptr<PgConnection> db_;
};

}  // namespace

std::unique_ptr<ReportStore> ReportStoreOn(std::shared_ptr<ConnectionPool> pool) {
  return std::make_unique<PgReportStore>(std::make_unique<PgConnection>(std::move(pool)));
}

Result<std::unique_ptr<ReportStore>> ConnectReportStore(const std::string& url) {
  auto db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  return std::unique_ptr<ReportStore>(new PgReportStore(std::move(*db)));
}

}  // namespace pinwatch::db
