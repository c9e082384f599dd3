#include "db/pg_rows.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <pqxx/result>

#include "base/encoding.h"
#include "ctlog/sha256.h"
#include "db/finding.h"

namespace pinwatch::db::pg {

pqxx::binarystring Bin(const ctlog::Hash& h) { return pqxx::binarystring(h.data(), h.size()); }
pqxx::binarystring Bin(const std::vector<uint8_t>& b) { return pqxx::binarystring(b.data(), b.size()); }

std::optional<std::string> HexOrNull(const std::optional<ctlog::Hash>& h) {
  if (!h) return std::nullopt;
  return HexEncode(*h);
}

std::vector<uint8_t> BytesOf(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return std::vector<uint8_t>(b.data(), b.data() + b.size());
}

Result<ctlog::Hash> HashOf(const pqxx::field& f, std::string_view column) {
  pqxx::binarystring b(f);
  if (b.size() != 32) return InternalError(std::string(column) + ": expected 32 bytes, got " + std::to_string(b.size()));
  ctlog::Hash h;
  std::copy(b.data(), b.data() + 32, h.begin());
  return h;
}

std::optional<ctlog::Hash> OptionalHashOf(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  auto h = HashOf(f, "hash");
  if (!h.ok()) return std::nullopt;
  return *h;
}

pqxx::binarystring HashesBlob(const std::vector<ctlog::Hash>& hashes) {
  std::string blob;
  for (const ctlog::Hash& h : hashes) blob.append(reinterpret_cast<const char*>(h.data()), h.size());
  return pqxx::binarystring(blob);
}

std::vector<ctlog::Hash> HashesOf(const pqxx::field& f) {
  pqxx::binarystring b(f);
  std::vector<ctlog::Hash> out(b.size() / 32);
  for (size_t i = 0; i < out.size(); ++i) std::copy(b.data() + 32 * i, b.data() + 32 * (i + 1), out[i].begin());
  return out;
}

pqxx::binarystring RangeBlob(const ctlog::CompactRange& range) { return HashesBlob(range.hashes()); }

Result<ctlog::CompactRange> RangeOf(uint64_t end, const pqxx::field& f, std::string_view column) {
  pqxx::binarystring b(f);
  if (b.size() % 32 != 0) return InternalError(std::string(column) + ": not a list of 32-byte hashes");
  std::vector<ctlog::Hash> hashes(b.size() / 32);
  for (size_t i = 0; i < hashes.size(); ++i) std::copy(b.data() + 32 * i, b.data() + 32 * (i + 1), hashes[i].begin());
  auto range = ctlog::CompactRange::Create(end, std::move(hashes));
  if (!range.ok()) return InternalError(std::string(column) + ": " + range.status().message());
  return range;
}

std::string JsonArray(const std::vector<std::string>& items) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartArray();
  for (const std::string& s : items) w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  w.EndArray();
  return buffer.GetString();
}

std::vector<std::string> JsonArrayOf(const pqxx::field& f) {
  std::vector<std::string> out;
  rapidjson::Document doc;
  std::string text = f.c_str();
  if (doc.Parse(text.c_str()).HasParseError() || !doc.IsArray()) return out;
  for (const auto& v : doc.GetArray()) {
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  }
  return out;
}

std::string_view ApiName(ctlog::LogApi api) { return api == ctlog::LogApi::kStaticCt ? "static-ct" : "rfc6962"; }

std::string_view EntryTypeName(ctlog::LogEntryType t) {
  return t == ctlog::LogEntryType::kPrecertEntry ? "precert" : "x509";
}

ctlog::Hash DedupeKey(std::initializer_list<std::string_view> parts) {
  ctlog::Sha256 sha;
  for (std::string_view p : parts) {
    uint64_t n = p.size();
    sha.Update(Bytes(reinterpret_cast<const uint8_t*>(&n), sizeof n));
    sha.Update(Bytes(reinterpret_cast<const uint8_t*>(p.data()), p.size()));
  }
  return sha.Final();
}

std::string_view HashView(const ctlog::Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

std::string TextOr(const pqxx::field& f) { return f.is_null() ? std::string() : f.as<std::string>(); }

size_t WriteTreeState(pqxx::work& tx, const TreeStateWrite& write) {
  const std::string& replica_id = write.replica_id;
  const ctlog::LogId& log_id = write.log_id;
  const std::optional<uint64_t>& from_position = write.from_position;
  const TreeState& cp = write.tree;
  const std::optional<uint64_t>& latest_tree_size = write.latest_tree_size;
  const bool started_at_end = write.started_at_end;
  const bool fence_position = write.fence == Fence::kLeaseAndPosition;
  const std::optional<ctlog::SignedTreeHead>& head = cp.verified_head;
  std::optional<int64_t> ts, from;
  std::optional<std::string> root, sig;
  if (head) {
    ts = static_cast<int64_t>(head->timestamp_ms);
    root = HexEncode(head->root_hash);
    sig = HexEncode(ctlog::EncodeDigitallySigned(head->signature));
  }
  if (from_position) from = static_cast<int64_t>(*from_position);
  std::optional<int64_t> latest;
  if (latest_tree_size) latest = static_cast<int64_t>(*latest_tree_size);
  pqxx::result r = tx.exec_params(
      R"sql(
      UPDATE logs SET position = $3, pending_range = $4, verified_tree_size = $5, verified_range = $6,
             verified_timestamp_ms = $7, verified_root = decode($8, 'hex'), verified_signature = decode($9, 'hex'),
             latest_tree_size = coalesce($10::bigint, latest_tree_size),
             latest_seen_at = CASE WHEN $10::bigint IS NULL THEN latest_seen_at ELSE now() END,
             started_at_end = coalesce(started_at_end, $12),
             updated_at = now()
       WHERE log_id = $1 AND lease_holder = $2
         AND (NOT $13 OR position IS NOT DISTINCT FROM $11::bigint))sql",
      Bin(log_id), replica_id, static_cast<int64_t>(cp.position()), RangeBlob(cp.pending_range),
      static_cast<int64_t>(cp.verified_range.end()), RangeBlob(cp.verified_range), ts, root, sig, latest, from,
      started_at_end, fence_position);
  if (head && r.affected_rows() == 1) {
    tx.exec_params(
        "UPDATE certificate_entries SET verified = true WHERE log_id = $1 AND entry_index < $2 AND NOT verified",
        Bin(log_id), static_cast<int64_t>(head->tree_size));
  }
  return r.affected_rows();
}

void WriteMatch(pqxx::work& tx, const ctlog::LogId& log_id, uint64_t verified_size, const MatchedEntry& m) {
  const CertificateRecord& c = m.certificate;
  pqxx::row row = tx.exec_params1(
      R"sql(
      INSERT INTO certificates (tbs_sha256, parsed, parse_error, dns_names, ip_addresses, subject, issuer, serial,
                                not_before, not_after, spki_sha256, issuer_spki_sha256, key_type, key_bits,
                                ec_curve, der_kind, der, chain_spki_sha256)
      VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, to_timestamp($9::float8), to_timestamp($10::float8),
              decode($11, 'hex'), decode($12, 'hex'), $13, $14, $15, $16, $17, $19)
      ON CONFLICT (tbs_sha256) DO UPDATE
        SET chain_spki_sha256 = CASE WHEN octet_length(excluded.chain_spki_sha256) >
                                          octet_length(certificates.chain_spki_sha256)
                                     THEN excluded.chain_spki_sha256 ELSE certificates.chain_spki_sha256 END,
            der = CASE WHEN array_position($18::text[], excluded.der_kind) >
                            array_position($18::text[], certificates.der_kind)
                       THEN excluded.der ELSE certificates.der END,
            der_kind = CASE WHEN array_position($18::text[], excluded.der_kind) >
                                 array_position($18::text[], certificates.der_kind)
                            THEN excluded.der_kind ELSE certificates.der_kind END
      RETURNING id)sql",
      Bin(c.tbs_sha256), c.parsed, c.parse_error.empty() ? std::optional<std::string>() : c.parse_error,
      JsonArray(c.dns_names), JsonArray(c.ip_addresses), c.subject, c.issuer, c.serial, c.not_before_unix_s,
      c.not_after_unix_s, HexOrNull(c.spki_sha256), HexOrNull(c.issuer_spki_sha256), c.key_type, c.key_bits,
      c.ec_curve, c.der_kind, Bin(c.der),
      // A later, better copy replaces the stored DER: the final certificate over the
      // precertificate over a bare TBS over raw bytes (lowest first).
      std::string("{raw,tbs,precertificate,certificate}"), HashesBlob(c.chain_spki_sha256));
  const int64_t certificate_id = row[0].as<int64_t>();
  tx.exec_params(
      R"sql(
      INSERT INTO certificate_entries (log_id, entry_index, certificate_id, entry_type, timestamp_ms, verified)
      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (log_id, entry_index) DO NOTHING)sql",
      Bin(log_id), static_cast<int64_t>(m.index), certificate_id, std::string(EntryTypeName(m.entry_type)),
      static_cast<int64_t>(m.timestamp_ms), m.index < verified_size);
  for (const FindingRecord& f : m.findings) {
    const std::string_view kind = FindingKindName(f.kind);
    ctlog::Hash key = DedupeKey({"certificate", kind, f.watched, HashView(c.tbs_sha256)});
    // A new finding that alerts gets its outbox row here, in the same transaction; a finding
    // already stored (a replay, another log's copy) inserts nothing, so no second alert.
    pqxx::row inserted = tx.exec_params1(
        R"sql(
        WITH f AS (
          INSERT INTO findings (kind, severity, watched, certificate_id, reason, dedupe_key)
          VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id),
        o AS (INSERT INTO alert_outbox (finding_id) SELECT id FROM f WHERE $7 RETURNING finding_id)
        SELECT count(*) FROM o)sql",
        std::string(kind), std::string(SeverityName(SeverityOf(f.kind))), f.watched, certificate_id, f.reason,
        Bin(key), f.alerting == Alerting::kOutbox);
    if (inserted[0].as<int64_t>() > 0) NotifyAlerts(tx);
  }
}

void NotifyAlerts(pqxx::work& tx) { tx.exec("SELECT pg_notify('" + std::string(kAlertsChannel) + "', '')"); }

std::string SthJson(const ctlog::SignedTreeHead& h) {
  return "{\"tree_size\":" + std::to_string(h.tree_size) + ",\"timestamp\":" + std::to_string(h.timestamp_ms) +
         ",\"sha256_root_hash\":\"" + Base64Encode(h.root_hash) + "\",\"tree_head_signature\":\"" +
         Base64Encode(ctlog::EncodeDigitallySigned(h.signature)) + "\"}";
}

std::string EvidenceJson(const ctlog::Misbehaviour& m) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("misbehaviour");
  std::string_view kind = ctlog::KindName(m.kind);
  w.String(kind.data(), static_cast<rapidjson::SizeType>(kind.size()));
  w.Key("detail");
  w.String(m.detail.c_str(), static_cast<rapidjson::SizeType>(m.detail.size()));
  auto head = [&](const char* key, const std::optional<ctlog::SignedTreeHead>& h) {
    if (!h) return;
    w.Key(key);
    std::string json = SthJson(*h);
    w.RawValue(json.c_str(), json.size(), rapidjson::kObjectType);
  };
  head("tree_head", m.tree_head);
  head("verified_head", m.verified_head);
  if (m.computed_root) {
    w.Key("computed_root");
    std::string b64 = Base64Encode(*m.computed_root);
    w.String(b64.c_str(), static_cast<rapidjson::SizeType>(b64.size()));
  }
  if (m.entry_index) {
    w.Key("entry_index");
    w.Uint64(*m.entry_index);
  }
  w.EndObject();
  return buffer.GetString();
}

LogRecord LogOf(const pqxx::row& r, int first) {
  LogRecord log;
  if (auto h = HashOf(r[first], "log_id"); h.ok()) log.log_id = *h;
  log.description = r[first + 1].as<std::string>();
  log.api = r[first + 2].as<std::string>() == "static-ct" ? ctlog::LogApi::kStaticCt : ctlog::LogApi::kRfc6962;
  log.url = r[first + 3].as<std::string>();
  log.submission_url = r[first + 4].as<std::string>();
  log.key = BytesOf(r[first + 5]);
  log.mmd_seconds = r[first + 6].as<uint64_t>();
  log.state = r[first + 7].as<std::string>();
  return log;
}

CertificateRecord CertificateOf(const pqxx::row& r, int first) {
  CertificateRecord c;
  if (auto h = HashOf(r[first], "tbs_sha256"); h.ok()) c.tbs_sha256 = *h;
  c.parsed = r[first + 1].as<bool>();
  c.parse_error = TextOr(r[first + 2]);
  c.dns_names = JsonArrayOf(r[first + 3]);
  c.ip_addresses = JsonArrayOf(r[first + 4]);
  c.subject = TextOr(r[first + 5]);
  c.issuer = TextOr(r[first + 6]);
  c.serial = TextOr(r[first + 7]);
  if (!r[first + 8].is_null()) c.not_before_unix_s = r[first + 8].as<int64_t>();
  if (!r[first + 9].is_null()) c.not_after_unix_s = r[first + 9].as<int64_t>();
  c.spki_sha256 = OptionalHashOf(r[first + 10]);
  c.issuer_spki_sha256 = OptionalHashOf(r[first + 11]);
  c.key_type = TextOr(r[first + 12]);
  c.key_bits = r[first + 13].is_null() ? 0 : r[first + 13].as<int>();
  c.ec_curve = TextOr(r[first + 14]);
  c.der_kind = r[first + 15].as<std::string>();
  c.der = BytesOf(r[first + 16]);
  c.chain_spki_sha256 = HashesOf(r[first + 17]);
  return c;
}

}  // namespace pinwatch::db::pg
