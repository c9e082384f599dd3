// The PostgreSQL PinStore (db/pin_store.h).
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <initializer_list>
#include <map>
#include <pqxx/result>
#include <pqxx/transaction>

#include "db/pg_connection.h"
#include "db/pg_rows.h"
#include "db/pin_store.h"
#include "db/postgres.h"

namespace pinwatch::db {

std::string_view ProposalActionName(ProposalAction a) { return a == ProposalAction::kAdd ? "add" : "remove"; }
std::string_view KeyRoleName(KeyRole r) { return r == KeyRole::kCa ? "ca" : "leaf"; }

std::string_view ProposalStatusName(ProposalStatus s) {
  switch (s) {
    case ProposalStatus::kPending: return "pending";
    case ProposalStatus::kApproved: return "approved";
    case ProposalStatus::kRejected: return "rejected";
    case ProposalStatus::kApplied: return "applied";
    case ProposalStatus::kSuperseded: return "superseded";
  }
  return "pending";
}

std::optional<ProposalStatus> ProposalStatusFromName(std::string_view name) {
  for (ProposalStatus s : {ProposalStatus::kPending, ProposalStatus::kApproved, ProposalStatus::kRejected,
                           ProposalStatus::kApplied, ProposalStatus::kSuperseded}) {
    if (ProposalStatusName(s) == name) return s;
  }
  return std::nullopt;
}

namespace {

using pg::Bin;

// Version rows are read with these columns (aliased v).
constexpr const char kVersionColumns[] =
    "v.pinset, v.version, v.pins, v.names::text, v.include_subdomains, v.expiry_days, v.origin, v.proposal_id, "
    "to_char(v.created_at AT TIME ZONE 'UTC', $1), coalesce(v.document, ''), coalesce(v.signature, ''), "
    "coalesce(to_char(v.published_at AT TIME ZONE 'UTC', $1), '')";

PinsetVersion VersionOf(const pqxx::row& r) {
  PinsetVersion v;
  v.pinset = r[0].as<std::string>();
  v.version = r[1].as<int64_t>();
  v.pins = pg::HashesOf(r[2]);
  v.names = pg::JsonArrayOf(r[3]);
  v.include_subdomains = r[4].as<bool>();
  v.expiry_days = r[5].as<int64_t>();
  v.origin = r[6].as<std::string>();
  if (!r[7].is_null()) v.proposal_id = r[7].as<int64_t>();
  v.created_at = r[8].as<std::string>();
  v.document = r[9].as<std::string>();
  v.signature = r[10].as<std::string>();
  v.published_at = r[11].as<std::string>();
  return v;
}

std::vector<Hash> Sorted(std::vector<Hash> pins) {
  std::sort(pins.begin(), pins.end());
  pins.erase(std::unique(pins.begin(), pins.end()), pins.end());
  return pins;
}

// LockPinset serialises version changes of one pin-set (numbers are max + 1).
void LockPinset(pqxx::work& tx, const std::string& pinset) {
  tx.exec_params("SELECT pg_advisory_xact_lock(hashtext('pinwatch pinset ' || $1))", pinset);
}

std::optional<PinsetVersion> Latest(pqxx::transaction_base& tx, const std::string& pinset) {
  pqxx::result r = tx.exec_params(std::string("SELECT ") + kVersionColumns +
                                      " FROM pinset_versions v WHERE v.pinset = $2 ORDER BY v.version DESC LIMIT 1",
                                  std::string(pg::kRfc3339), pinset);
  if (r.empty()) return std::nullopt;
  return VersionOf(r[0]);
}

PinsetVersion InsertVersion(pqxx::work& tx, const NewVersion& v, int64_t number, std::string_view origin,
                            std::optional<int64_t> proposal_id) {
  pqxx::row r = tx.exec_params1(
      std::string(R"sql(
      INSERT INTO pinset_versions AS v (pinset, version, pins, names, include_subdomains, expiry_days, origin, proposal_id)
      VALUES ($2, $3, $4, $5::jsonb, $6, $7, $8, $9) RETURNING )sql") + kVersionColumns,
      std::string(pg::kRfc3339), v.pinset, number, pg::HashesBlob(Sorted(v.pins)), pg::JsonArray(v.names),
      v.include_subdomains, v.expiry_days, std::string(origin), proposal_id);
  return VersionOf(r);
}

void Audit(pqxx::work& tx, const std::string& who, std::string_view action, const std::string& pinset,
           std::optional<int64_t> proposal_id, std::optional<int64_t> version, const std::string& reason,
           const std::string& detail_json = "{}") {
  tx.exec_params(
      "INSERT INTO audit_log (operator, action, pinset, proposal_id, version, reason, detail) "
      "VALUES ($1, $2, nullif($3, ''), $4, $5, $6, $7::jsonb)",
      who, std::string(action), pinset, proposal_id, version, reason, detail_json);
}

// DetailJson is a flat JSON object of string values, for the audit log's detail.
std::string DetailJson(std::initializer_list<std::pair<std::string_view, std::string>> fields) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  for (const auto& [key, value] : fields) {
    w.Key(key.data(), static_cast<rapidjson::SizeType>(key.size()));
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  }
  w.EndObject();
  return buffer.GetString();
}

std::string IdArray(const std::vector<int64_t>& ids) {
  std::string out = "{";
  for (int64_t id : ids) out += (out.size() > 1 ? "," : "") + std::to_string(id);
  return out + "}";
}

class PgPinStore final : public PinStore {
 public:
  explicit PgPinStore(std::unique_ptr<PgConnection> db) : db_(std::move(db)) {}

  Result<PinsetVersion> EnsureFirstVersion(const NewVersion& config) override {
    return db_->Guarded("create pin-set " + config.pinset, [&]() -> Result<PinsetVersion> {
      pqxx::work tx(db_->pq());
      LockPinset(tx, config.pinset);
      if (std::optional<PinsetVersion> current = Latest(tx, config.pinset)) return *current;
      PinsetVersion v = InsertVersion(tx, config, 1, "config", std::nullopt);
      Audit(tx, "config", "create", config.pinset, std::nullopt, 1, "version 1 from the configuration");
      tx.commit();
      return v;
    });
  }

  Result<PinsetVersion> CurrentVersion(const std::string& pinset) override {
    return db_->Guarded("read pin-set " + pinset, [&]() -> Result<PinsetVersion> {
      pqxx::read_transaction tx(db_->pq());
      std::optional<PinsetVersion> v = Latest(tx, pinset);
      if (!v) return NotFoundError("pin-set " + pinset + " has no version in the database (does `run` know it?)");
      return *v;
    });
  }

  Result<std::vector<PinsetVersion>> Versions(const std::string& pinset) override {
    return db_->Guarded("read pin-set " + pinset, [&]() -> Result<std::vector<PinsetVersion>> {
      pqxx::read_transaction tx(db_->pq());
      std::vector<PinsetVersion> out;
      for (const pqxx::row& r : tx.exec_params(std::string("SELECT ") + kVersionColumns +
                                                   " FROM pinset_versions v WHERE v.pinset = $2 ORDER BY v.version",
                                               std::string(pg::kRfc3339), pinset)) {
        out.push_back(VersionOf(r));
      }
      return out;
    });
  }

  Result<PinsetVersion> Adopt(const NewVersion& next, const std::string& operator_name,
                              const std::string& reason) override {
    return db_->Guarded("adopt pin-set " + next.pinset, [&]() -> Result<PinsetVersion> {
      pqxx::work tx(db_->pq());
      LockPinset(tx, next.pinset);
      std::optional<PinsetVersion> current = Latest(tx, next.pinset);
      if (!current) return NotFoundError("pin-set " + next.pinset + " has no version yet: `run` makes version 1");
      if (current->pins == Sorted(next.pins)) {
        return FailedPreconditionError("pin-set " + next.pinset + " version " + std::to_string(current->version) +
                                       " already has the configuration's pins");
      }
      PinsetVersion v = InsertVersion(tx, next, current->version + 1, "adopt", std::nullopt);
      Audit(tx, operator_name, "adopt", next.pinset, std::nullopt, v.version, reason);
      tx.commit();
      return v;
    });
  }

  Result<PinsetVersion> MarkPublished(const std::string& pinset, int64_t version, const std::string& document,
                                      const std::string& signature) override {
    return db_->Guarded("publish pin-set " + pinset, [&]() -> Result<PinsetVersion> {
      pqxx::work tx(db_->pq());
      pqxx::result updated = tx.exec_params(
          "UPDATE pinset_versions SET document = $3, signature = $4, published_at = now() "
          "WHERE pinset = $1 AND version = $2 AND document IS NULL",
          pinset, version, document, signature);
      if (updated.affected_rows() == 1) {
        tx.exec_params(
            "UPDATE proposals SET status = 'applied' WHERE pinset = $1 AND status = 'approved' AND applied_version <= $2",
            pinset, version);
        Audit(tx, "pinwatch", "publish", pinset, std::nullopt, version, "signed and published");
      }
      pqxx::result r = tx.exec_params(std::string("SELECT ") + kVersionColumns +
                                          " FROM pinset_versions v WHERE v.pinset = $2 AND v.version = $3",
                                      std::string(pg::kRfc3339), pinset, version);
      if (r.empty()) return NotFoundError("pin-set " + pinset + " has no version " + std::to_string(version));
      tx.commit();
      return VersionOf(r[0]);
    });
  }

  Result<std::vector<CertificateFacts>> Certificates() override {
    return db_->Guarded("read certificate facts", [&]() -> Result<std::vector<CertificateFacts>> {
      pqxx::read_transaction tx(db_->pq());
      std::vector<CertificateFacts> out;
      // One pass over each table (grouped), not a subquery per certificate: the job runs
      // this every few seconds over every stored certificate.
      for (const pqxx::row& r : tx.exec(R"sql(
          WITH e AS (SELECT certificate_id, bool_or(verified) AS verified,
                            min(timestamp_ms) FILTER (WHERE entry_type = 'precert') AS first_precert,
                            min(timestamp_ms) FILTER (WHERE entry_type = 'x509') AS first_x509
                       FROM certificate_entries GROUP BY certificate_id),
               f AS (SELECT certificate_id, bool_or(kind = 'unexpected_issuer') AS unexpected_issuer,
                            bool_or(kind = 'malformed') AS malformed
                       FROM findings WHERE certificate_id IS NOT NULL GROUP BY certificate_id)
          SELECT c.id, c.parsed, c.dns_names::text, c.spki_sha256, c.issuer_spki_sha256, c.chain_spki_sha256,
                 coalesce(extract(epoch FROM c.not_before)::bigint, 0),
                 coalesce(extract(epoch FROM c.not_after)::bigint, 0),
                 coalesce(e.verified, false), coalesce(f.unexpected_issuer, false), coalesce(f.malformed, false),
                 e.first_precert, e.first_x509
            FROM certificates c
            LEFT JOIN e ON e.certificate_id = c.id
            LEFT JOIN f ON f.certificate_id = c.id
           ORDER BY c.id)sql")) {
        CertificateFacts c;
        c.certificate_id = r[0].as<int64_t>();
        c.parsed = r[1].as<bool>();
        c.dns_names = pg::JsonArrayOf(r[2]);
        c.spki = pg::OptionalHashOf(r[3]);
        c.issuer_spki = pg::OptionalHashOf(r[4]);
        c.chain_spki = pg::HashesOf(r[5]);
        c.not_before_unix_s = r[6].as<int64_t>();
        c.not_after_unix_s = r[7].as<int64_t>();
        c.verified = r[8].as<bool>();
        c.unexpected_issuer = r[9].as<bool>();
        c.malformed = r[10].as<bool>();
        if (!r[11].is_null()) c.first_precert_ms = r[11].as<int64_t>();
        if (!r[12].is_null()) c.first_certificate_ms = r[12].as<int64_t>();
        out.push_back(std::move(c));
      }
      return out;
    });
  }

  Result<std::optional<std::pair<int64_t, bool>>> Propose(const NewProposal& p) override {
    using Out = std::optional<std::pair<int64_t, bool>>;
    return db_->Guarded("propose for pin-set " + p.pinset, [&]() -> Result<Out> {
      pqxx::work tx(db_->pq());
      const std::string action(ProposalActionName(p.action));
      const std::string ids = IdArray(p.certificate_ids);
      // A decided proposal that already weighed every one of these certificates: the
      // operator's answer stands until CT shows something new.
      const bool decided = tx.exec_params1(
                                 R"sql(SELECT EXISTS (
                                   SELECT 1 FROM proposals q
                                    WHERE q.pinset = $1 AND q.action = $2 AND q.pin = $3 AND q.status <> 'pending'
                                      AND NOT EXISTS (
                                        SELECT 1 FROM unnest($4::bigint[]) AS c(id)
                                         WHERE NOT EXISTS (SELECT 1 FROM proposal_evidence e
                                                            WHERE e.proposal_id = q.id AND e.certificate_id = c.id))))sql",
                                 p.pinset, action, Bin(p.pin), ids)[0]
                                 .as<bool>();
      pqxx::result pending = tx.exec_params(
          "SELECT id FROM proposals WHERE pinset = $1 AND pin = $2 AND status = 'pending'", p.pinset, Bin(p.pin));
      if (pending.empty() && decided) return Out();
      bool created = false;
      int64_t id = 0;
      if (pending.empty()) {
        pqxx::result inserted = tx.exec_params(
            R"sql(INSERT INTO proposals (pinset, action, pin, key_role, reason, base_version)
                  VALUES ($1, $2, $3, $4, $5, $6)
                  ON CONFLICT (pinset, pin) WHERE status = 'pending' DO NOTHING RETURNING id)sql",
            p.pinset, action, Bin(p.pin), std::string(KeyRoleName(p.role)), p.reason, p.base_version);
        if (inserted.empty()) {
          // Another replica's proposer made it a moment ago.
          id = tx.exec_params1("SELECT id FROM proposals WHERE pinset = $1 AND pin = $2 AND status = 'pending'",
                               p.pinset, Bin(p.pin))[0]
                   .as<int64_t>();
        } else {
          id = inserted[0][0].as<int64_t>();
          created = true;
          Audit(tx, "pinwatch", "propose", p.pinset, id, std::nullopt, p.reason);
        }
      } else {
        id = pending[0][0].as<int64_t>();
      }
      tx.exec_params(
          "INSERT INTO proposal_evidence (proposal_id, certificate_id) "
          "SELECT $1, c.id FROM unnest($2::bigint[]) AS c(id) ON CONFLICT DO NOTHING",
          id, ids);
      tx.commit();
      return Out(std::make_pair(id, created));
    });
  }

  Status Supersede(int64_t id, const std::string& why) override {
    return db_->Guarded("supersede proposal " + std::to_string(id), [&]() -> Status {
      pqxx::work tx(db_->pq());
      pqxx::result r = tx.exec_params(
          "UPDATE proposals SET status = 'superseded', status_note = $2, decided_at = now() "
          "WHERE id = $1 AND status = 'pending' RETURNING pinset",
          id, why);
      if (!r.empty()) Audit(tx, "pinwatch", "supersede", r[0][0].as<std::string>(), id, std::nullopt, why);
      tx.commit();
      return OkStatus();
    });
  }

  Result<std::vector<Proposal>> ListProposals(const ProposalFilter& filter) override {
    return db_->Guarded("list proposals", [&]() -> Result<std::vector<Proposal>> {
      pqxx::read_transaction tx(db_->pq());
      std::vector<std::string> statuses;
      for (ProposalStatus s : filter.statuses) statuses.emplace_back(ProposalStatusName(s));
      std::optional<std::string> status_array, id_array;
      if (!statuses.empty()) status_array = "{" + [&] {
        std::string s;
        for (const std::string& name : statuses) s += (s.empty() ? "" : ",") + name;
        return s;
      }() + "}";
      if (!filter.ids.empty()) id_array = IdArray(filter.ids);
      std::vector<Proposal> out;
      for (const pqxx::row& r : tx.exec_params(
               R"sql(SELECT p.id, p.pinset, p.action, p.pin, p.key_role, p.reason, p.status, p.base_version,
                            p.applied_version, to_char(p.created_at AT TIME ZONE 'UTC', $1),
                            coalesce(to_char(p.decided_at AT TIME ZONE 'UTC', $1), ''),
                            -- Each by an index: the key's certificates, then their entries.
                            CASE WHEN p.key_role = 'leaf'
                                 THEN (SELECT min(e.timestamp_ms) FROM certificates c JOIN certificate_entries e ON e.certificate_id = c.id
                                        WHERE c.spki_sha256 = p.pin AND e.entry_type = 'precert')
                                 ELSE (SELECT min(e.timestamp_ms) FROM certificates c JOIN certificate_entries e ON e.certificate_id = c.id
                                        WHERE c.issuer_spki_sha256 = p.pin AND e.entry_type = 'precert') END,
                            CASE WHEN p.key_role = 'leaf'
                                 THEN (SELECT min(e.timestamp_ms) FROM certificates c JOIN certificate_entries e ON e.certificate_id = c.id
                                        WHERE c.spki_sha256 = p.pin AND e.entry_type = 'x509')
                                 ELSE (SELECT min(e.timestamp_ms) FROM certificates c JOIN certificate_entries e ON e.certificate_id = c.id
                                        WHERE c.issuer_spki_sha256 = p.pin AND e.entry_type = 'x509') END,
                            coalesce(to_char(p.urgent_at AT TIME ZONE 'UTC', $1), ''),
                            (SELECT coalesce(string_agg(r.id::text, ',' ORDER BY r.id), '') FROM pin_reports r WHERE r.proposal_id = p.id)
                       FROM proposals p
                      WHERE ($2::text[] IS NULL OR p.status = ANY($2::text[]))
                        AND ($3::bigint[] IS NULL OR p.id = ANY($3::bigint[]))
                        AND ($4 = '' OR p.pinset = $4)
                      ORDER BY p.id)sql",
               std::string(pg::kRfc3339), status_array, id_array, filter.pinset)) {
        Proposal p;
        p.id = r[0].as<int64_t>();
        p.pinset = r[1].as<std::string>();
        p.action = r[2].as<std::string>() == "remove" ? ProposalAction::kRemove : ProposalAction::kAdd;
        if (auto h = pg::HashOf(r[3], "pin"); h.ok()) p.pin = *h;
        p.role = r[4].as<std::string>() == "ca" ? KeyRole::kCa : KeyRole::kLeaf;
        p.reason = r[5].as<std::string>();
        p.status = ProposalStatusFromName(r[6].as<std::string>()).value_or(ProposalStatus::kPending);
        p.base_version = r[7].as<int64_t>();
        if (!r[8].is_null()) p.applied_version = r[8].as<int64_t>();
        p.created_at = r[9].as<std::string>();
        p.decided_at = r[10].as<std::string>();
        if (!r[11].is_null()) p.first_precert_ms = r[11].as<int64_t>();
        if (!r[12].is_null()) p.first_certificate_ms = r[12].as<int64_t>();
        p.urgent_at = r[13].as<std::string>();
        const std::string report_ids = r[14].as<std::string>();
        for (size_t at = 0; at < report_ids.size();) {
          size_t end = report_ids.find(',', at);
          if (end == std::string::npos) end = report_ids.size();
          p.pin_report_ids.push_back(std::stoll(report_ids.substr(at, end - at)));
          at = end + 1;
        }
        out.push_back(std::move(p));
      }
      // Decisions and evidence ids of every listed proposal in one query each: the proposer
      // lists every pending proposal at every pass.
      std::map<int64_t, Proposal*> by_id;
      std::vector<int64_t> ids;
      for (Proposal& p : out) {
        by_id[p.id] = &p;
        ids.push_back(p.id);
      }
      for (const pqxx::row& r : tx.exec_params(
               "SELECT proposal_id, operator, approve, reason, to_char(decided_at AT TIME ZONE 'UTC', $1) "
               "FROM proposal_decisions WHERE proposal_id = ANY($2::bigint[]) ORDER BY proposal_id, decided_at, operator",
               std::string(pg::kRfc3339), IdArray(ids))) {
        by_id.at(r[0].as<int64_t>())->decisions.push_back(
            {.operator_name = r[1].as<std::string>(), .approve = r[2].as<bool>(), .reason = r[3].as<std::string>(),
             .decided_at = r[4].as<std::string>()});
      }
      for (const pqxx::row& r : tx.exec_params(
               "SELECT proposal_id, certificate_id FROM proposal_evidence WHERE proposal_id = ANY($1::bigint[]) "
               "ORDER BY proposal_id, certificate_id",
               IdArray(ids))) {
        by_id.at(r[0].as<int64_t>())->evidence_ids.push_back(r[1].as<int64_t>());
      }
      for (Proposal& p : out) {
        if (!filter.with_evidence) continue;
        for (const pqxx::row& r : tx.exec_params(
                 std::string("SELECT c.id, ") + pg::kCertificateColumns +
                     " FROM proposal_evidence pe JOIN certificates c ON c.id = pe.certificate_id"
                     " WHERE pe.proposal_id = $1 ORDER BY c.id",
                 p.id)) {
          ProposalEvidence ev;
          ev.certificate = pg::CertificateOf(r, 1);
          ev.certificate.der.clear();
          const int64_t certificate_id = r[0].as<int64_t>();
          for (const pqxx::row& e : tx.exec_params(
                   R"sql(SELECT e.log_id, l.description, e.entry_index, e.entry_type, e.timestamp_ms, e.verified
                           FROM certificate_entries e JOIN logs l ON l.log_id = e.log_id
                          WHERE e.certificate_id = $1 ORDER BY e.timestamp_ms, l.description, e.entry_index)sql",
                   certificate_id)) {
            FindingEntry fe;
            if (auto h = pg::HashOf(e[0], "log_id"); h.ok()) fe.log_id = *h;
            fe.log_description = e[1].as<std::string>();
            fe.index = e[2].as<uint64_t>();
            fe.entry_type = e[3].as<std::string>();
            fe.timestamp_ms = e[4].as<uint64_t>();
            fe.verified = e[5].as<bool>();
            ev.entries.push_back(std::move(fe));
          }
          for (const pqxx::row& f :
               tx.exec_params("SELECT id FROM findings WHERE certificate_id = $1 ORDER BY id", certificate_id)) {
            ev.finding_ids.push_back(f[0].as<int64_t>());
          }
          p.evidence.push_back(std::move(ev));
        }
      }
      return out;
    });
  }

  Result<DecisionOutcome> Decide(int64_t id, const Decision& decision, int64_t approvals_required,
                                 int64_t expected_version, const NewVersion& next) override {
    const std::string what = "decide proposal " + std::to_string(id);
    return db_->Guarded(what, [&]() -> Result<DecisionOutcome> {
      pqxx::work tx(db_->pq());
      pqxx::result p = tx.exec_params("SELECT status, pinset FROM proposals WHERE id = $1 FOR UPDATE", id);
      if (p.empty()) return NotFoundError("no proposal " + std::to_string(id));
      const std::string status = p[0][0].as<std::string>();
      const std::string pinset = p[0][1].as<std::string>();
      if (status != "pending") return FailedPreconditionError("proposal " + std::to_string(id) + " is already " + status);
      if (next.pinset != pinset) {
        return InternalError("proposal " + std::to_string(id) + " is for pin-set " + pinset + ", not " + next.pinset);
      }
      pqxx::result op = tx.exec_params("SELECT role, removed_at IS NOT NULL FROM operators WHERE name = $1",
                                       decision.operator_name);
      if (op.empty()) return FailedPreconditionError("no operator " + decision.operator_name + " (`pinwatch operator add`)");
      if (op[0][1].as<bool>()) return FailedPreconditionError("operator " + decision.operator_name + " was removed");
      if (op[0][0].as<std::string>() != "approver") {
        return FailedPreconditionError("operator " + decision.operator_name + " is a viewer and cannot decide");
      }
      pqxx::result inserted = tx.exec_params(
          "INSERT INTO proposal_decisions (proposal_id, operator, approve, reason) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT DO NOTHING",
          id, decision.operator_name, decision.approve, decision.reason);
      if (inserted.affected_rows() == 0) {
        return FailedPreconditionError("operator " + decision.operator_name + " already decided proposal " +
                                       std::to_string(id));
      }
      DecisionOutcome out;
      if (!decision.approve) {
        tx.exec_params("UPDATE proposals SET status = 'rejected', decided_at = now() WHERE id = $1", id);
        Audit(tx, decision.operator_name, "reject", pinset, id, std::nullopt, decision.reason);
        tx.commit();
        out.status = ProposalStatus::kRejected;
        return out;
      }
      // Approvals count while their operator is still in office: one removed since (a token
      // revoked, perhaps because it leaked) no longer counts, nor does a name's earlier holder.
      out.approvals = tx.exec_params1(
                            R"sql(SELECT count(*) FROM proposal_decisions d JOIN operators o ON o.name = d.operator
                                   WHERE d.proposal_id = $1 AND d.approve AND o.removed_at IS NULL
                                     AND d.decided_at >= o.created_at)sql",
                            id)[0]
                          .as<int64_t>();
      std::optional<int64_t> version;
      if (out.approvals >= approvals_required) {
        LockPinset(tx, pinset);
        std::optional<PinsetVersion> current = Latest(tx, pinset);
        if (!current || current->version != expected_version) {
          return FailedPreconditionError("pin-set " + pinset + " changed (now version " +
                                         (current ? std::to_string(current->version) : std::string("none")) +
                                         ") while the proposal was checked; decide again");
        }
        version = InsertVersion(tx, next, current->version + 1, "proposal", id).version;
        tx.exec_params(
            "UPDATE proposals SET status = 'approved', applied_version = $2, decided_at = now() WHERE id = $1", id,
            *version);
        out.status = ProposalStatus::kApproved;
        out.new_version = version;
      }
      Audit(tx, decision.operator_name, "approve", pinset, id, version, decision.reason,
            "{\"approvals\":" + std::to_string(out.approvals) + ",\"approvals_required\":" +
                std::to_string(approvals_required) + "}");
      tx.commit();
      return out;
    });
  }

  Status AddOperator(const std::string& name, const std::string& role, const Hash& token_sha256) override {
    return db_->Guarded("add operator " + name, [&]() -> Status {
      pqxx::work tx(db_->pq());
      pqxx::result r = tx.exec_params(
          R"sql(INSERT INTO operators AS o (name, role, token_sha256) VALUES ($1, $2, $3)
                ON CONFLICT (name) DO UPDATE SET role = excluded.role, token_sha256 = excluded.token_sha256,
                                                 created_at = now(), removed_at = NULL
                 WHERE o.removed_at IS NOT NULL)sql",
          name, role, Bin(token_sha256));
      if (r.affected_rows() == 0) return FailedPreconditionError("operator " + name + " exists (remove it first)");
      Audit(tx, "cli", "operator_add", "", std::nullopt, std::nullopt, "", DetailJson({{"name", name}, {"role", role}}));
      tx.commit();
      return OkStatus();
    });
  }

  Result<std::vector<Operator>> ListOperators() override {
    return db_->Guarded("list operators", [&]() -> Result<std::vector<Operator>> {
      pqxx::read_transaction tx(db_->pq());
      std::vector<Operator> out;
      for (const pqxx::row& r : tx.exec_params(
               "SELECT name, role, to_char(created_at AT TIME ZONE 'UTC', $1) FROM operators "
               "WHERE removed_at IS NULL ORDER BY name",
               std::string(pg::kRfc3339))) {
        out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
      }
      return out;
    });
  }

  Result<std::optional<Operator>> OperatorByToken(const Hash& token_sha256) override {
    return db_->Guarded("look up an operator", [&]() -> Result<std::optional<Operator>> {
      pqxx::read_transaction tx(db_->pq());
      pqxx::result r = tx.exec_params(
          "SELECT name, role, to_char(created_at AT TIME ZONE 'UTC', $1) FROM operators "
          "WHERE token_sha256 = $2 AND removed_at IS NULL",
          std::string(pg::kRfc3339), Bin(token_sha256));
      if (r.empty()) return std::optional<Operator>();
      return std::optional<Operator>(Operator{r[0][0].as<std::string>(), r[0][1].as<std::string>(), r[0][2].as<std::string>()});
    });
  }

  Status RemoveOperator(const std::string& name) override {
    return db_->Guarded("remove operator " + name, [&]() -> Status {
      pqxx::work tx(db_->pq());
      pqxx::result r = tx.exec_params(
          "UPDATE operators SET removed_at = now() WHERE name = $1 AND removed_at IS NULL", name);
      if (r.affected_rows() == 0) return NotFoundError("no operator " + name);
      Audit(tx, "cli", "operator_remove", "", std::nullopt, std::nullopt, "",
            DetailJson({{"name", name}}));
      tx.commit();
      return OkStatus();
    });
  }

  Result<std::vector<AuditEntry>> ListAudit(size_t limit) override {
    return db_->Guarded("read the audit log", [&]() -> Result<std::vector<AuditEntry>> {
      pqxx::read_transaction tx(db_->pq());
      std::vector<AuditEntry> out;
      for (const pqxx::row& r : tx.exec_params(
               R"sql(SELECT * FROM (
                       SELECT id, to_char(at AT TIME ZONE 'UTC', $1), operator, action, coalesce(pinset, ''), reason,
                              proposal_id, version, detail::text
                         FROM audit_log ORDER BY id DESC LIMIT $2) a ORDER BY id)sql",
               std::string(pg::kRfc3339), static_cast<int64_t>(limit))) {
        AuditEntry a;
        a.id = r[0].as<int64_t>();
        a.at = r[1].as<std::string>();
        a.operator_name = r[2].as<std::string>();
        a.action = r[3].as<std::string>();
        a.pinset = r[4].as<std::string>();
        a.reason = r[5].as<std::string>();
        if (!r[6].is_null()) a.proposal_id = r[6].as<int64_t>();
        if (!r[7].is_null()) a.version = r[7].as<int64_t>();
        a.detail_json = r[8].as<std::string>();
        out.push_back(std::move(a));
      }
      return out;
    });
  }

 private:
  std::unique_ptr<PgConnection> db_;
};

}  // namespace

std::unique_ptr<PinStore> PinStoreOn(std::shared_ptr<ConnectionPool> pool) {
  return std::make_unique<PgPinStore>(std::make_unique<PgConnection>(std::move(pool)));
}

Result<std::unique_ptr<PinStore>> ConnectPinStore(const std::string& url) {
  auto db = PgConnection::Open(url);
  if (!db.ok()) return db.status();
  return std::unique_ptr<PinStore>(new PgPinStore(std::move(*db)));
}

}  // namespace pinwatch::db
