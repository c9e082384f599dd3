#include "db/store.h"

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <pqxx/binarystring>
#include <pqxx/result>
#include <pqxx/connection>
#include <pqxx/transaction>

#include "base/encoding.h"
#include "ctlog/sha256.h"
#include "db/pq_status.h"

namespace pinwatch::db {

namespace {

// --- value encodings between C++ and SQL parameters ---

pqxx::binarystring Bin(const ctlog::Hash& h) { return pqxx::binarystring(h.data(), h.size()); }
pqxx::binarystring Bin(const std::vector<uint8_t>& b) { return pqxx::binarystring(b.data(), b.size()); }

// Nullable bytea travels as hex text decoded in SQL (decode(NULL, 'hex') is NULL): libpqxx 6
// has no nullable binary parameter.
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

pqxx::binarystring RangeBlob(const ctlog::CompactRange& range) {
  std::string blob;
  for (const ctlog::Hash& h : range.hashes()) blob.append(reinterpret_cast<const char*>(h.data()), h.size());
  return pqxx::binarystring(blob);
}

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

// RFC 3339 text of a timestamptz column, in UTC.
constexpr const char kRfc3339[] = R"(YYYY-MM-DD"T"HH24:MI:SS"Z")";

std::string TextOr(const pqxx::field& f) { return f.is_null() ? std::string() : f.as<std::string>(); }

// Update the log row for a new checkpoint, fenced by the lease and the expected position.
size_t WriteCheckpoint(pqxx::work& tx, const std::string& replica_id, const ctlog::LogId& log_id,
                       const std::optional<uint64_t>& from_position, const LogCheckpoint& cp,
                       const std::optional<uint64_t>& latest_tree_size, bool started_at_end, bool fence_position) {
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
                                ec_curve, der_kind, der)
      VALUES ($1, $2, $3, $4::jsonb, $5::jsonb, $6, $7, $8, to_timestamp($9::float8), to_timestamp($10::float8),
              decode($11, 'hex'), decode($12, 'hex'), $13, $14, $15, $16, $17)
      ON CONFLICT (tbs_sha256) DO UPDATE
        SET der = CASE WHEN array_position($18::text[], excluded.der_kind) >
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
      std::string("{raw,tbs,precertificate,certificate}"));
  const int64_t certificate_id = row[0].as<int64_t>();
  tx.exec_params(
      R"sql(
      INSERT INTO certificate_entries (log_id, entry_index, certificate_id, entry_type, timestamp_ms, verified)
      VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (log_id, entry_index) DO NOTHING)sql",
      Bin(log_id), static_cast<int64_t>(m.index), certificate_id, std::string(EntryTypeName(m.entry_type)),
      static_cast<int64_t>(m.timestamp_ms), m.index < verified_size);
  for (const FindingRecord& f : m.findings) {
    ctlog::Hash key = DedupeKey({"certificate", f.kind, f.watched, HashView(c.tbs_sha256)});
    tx.exec_params(
        R"sql(
        INSERT INTO findings (kind, severity, watched, certificate_id, reason, dedupe_key)
        VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING)sql",
        f.kind, f.severity, f.watched, certificate_id, f.reason, Bin(key));
  }
}

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

constexpr const char kLogColumns[] = "log_id, description, api, url, submission_url, key, mmd_seconds, state";

}  // namespace

std::string RedactUrl(const std::string& url) {
  // libpq takes a password in three places; each value becomes "***":
  //   postgresql://user:password@host/...       (URL userinfo)
  //   postgresql://host/db?password=...&...     (URL query parameter)
  //   host=... password=... / password = '...'  (key=value string, value maybe quoted)
  std::string out = url;
  // libpq's rule: a URL starts with one of its two schemes; anything else is key=value.
  const bool is_url = out.rfind("postgresql://", 0) == 0 || out.rfind("postgres://", 0) == 0;
  if (is_url) {
    // The userinfo is what comes before an '@' ahead of the first '/' after "://" (libpq looks
    // only for '@' and '/' there, so a raw '?' or '#' in a password works and must be hidden
    // too; RFC 3986 §3.2 would also end the authority at them). Take the last such '@': a raw
    // '@' in a password ("u:Pa@ss@host") is invalid, libpq splits at the first one, and then
    // everything up to the host is secret (issue 13).
    const size_t start = out.find("://") + 3;
    const size_t authority_end = std::min(out.find('/', start), out.size());
    const std::string_view authority = std::string_view(out).substr(start, authority_end - start);
    const size_t at = authority.rfind('@');
    const size_t colon = authority.find(':');
    if (at != std::string_view::npos && colon != std::string_view::npos && colon < at) {
      out = out.substr(0, start + colon + 1) + "***" + out.substr(start + at);
    }
  }
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  constexpr std::string_view kKey = "password";
  for (size_t pos = 0; (pos = out.find(kKey, pos)) != std::string::npos; pos += kKey.size()) {
    if (pos > 0 && (is_url ? out[pos - 1] != '?' && out[pos - 1] != '&' : !is_space(out[pos - 1]))) continue;
    size_t i = pos + kKey.size();
    while (!is_url && i < out.size() && is_space(out[i])) ++i;
    if (i >= out.size() || out[i] != '=') continue;
    ++i;
    while (!is_url && i < out.size() && is_space(out[i])) ++i;
    size_t end = i;
    if (!is_url && end < out.size() && out[end] == '\'') {
      for (++end; end < out.size() && out[end] != '\''; ++end) {
        if (out[end] == '\\') ++end;  // \' and \\ inside quotes
      }
      end = std::min(end + 1, out.size());
    } else {
      while (end < out.size() && (is_url ? out[end] != '&' && out[end] != '#' : !is_space(out[end]))) ++end;
    }
    out.replace(i, end - i, "***");
  }
  return out;
}

// Connection is one libpq connection and whether it is known to be broken. libpqxx 6
// tries to reactivate a broken connection by itself, but not in every path (a transaction
// on it can fail with "Could not obtain client encoding: not connected"), so a Store
// that saw the connection fail opens a fresh one before its next statement.
struct Store::Connection {
  std::string url;
  std::unique_ptr<pqxx::connection> pq;
  bool broken = false;
};

namespace {

// OneLine joins libpq's multi-line messages ("...failed: Connection refused\n\tIs the
// server running...") into one line, so a log line stays one line.
std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n' || c == '\t' || c == '\r') {
      if (!out.empty() && out.back() != ' ') out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Open connects to `url`; kUnavailable naming the URL without its password.
Result<std::unique_ptr<pqxx::connection>> Open(const std::string& url) {
  try {
    return std::make_unique<pqxx::connection>(url);
  } catch (const std::exception& e) {
    std::string m = OneLine(e.what());
    return UnavailableError("cannot connect to the database " + RedactUrl(url) + ": " + m);
  }
}

const Status& StatusOf(const Status& s) { return s; }
bool IsDatabaseDownCode(Code code) { return code == Code::kUnavailable || code == Code::kInDoubt; }
template <class T>
const Status& StatusOf(const Result<T>& r) { return r.status(); }

}  // namespace

Store::Store(std::unique_ptr<Connection> connection) : connection_(std::move(connection)) {}
Store::~Store() = default;

namespace {

// CheckUnambiguousUrl refuses a URL whose password libpq would cut into pieces and then
// print a piece of in its error ("could not translate host name "ss@127.0.0.1""): a raw
// '@' in the userinfo, or a raw '/' in the password (libpq ends the authority at the first
// '/', so the rest of the password and the host land in the path). Either shows as an '@'
// between "://" and the query other than the one before the host. The message names no part
// of the URL but the scheme.
Status CheckUnambiguousUrl(const std::string& url) {
  const bool is_url = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (!is_url) return OkStatus();
  const size_t start = url.find("://") + 3;
  const std::string_view before_query = std::string_view(url).substr(start, url.find('?', start) - start);
  if (std::count(before_query.begin(), before_query.end(), '@') > 1 ||
      (before_query.find('@') != std::string_view::npos && before_query.find('/') < before_query.find('@'))) {
    return FailedPreconditionError(
        "the database URL has a raw '@' or '/' in its user name or password, which libpq would cut "
        "(and print a piece of): percent-encode them, '@' as %40 and '/' as %2F");
  }
  return OkStatus();
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Connect(const std::string& url) {
  if (Status s = CheckUnambiguousUrl(url); !s.ok()) return s;
  auto pq = Open(url);
  if (!pq.ok()) return pq.status();
  auto connection = std::make_unique<Connection>();
  connection->url = url;
  connection->pq = std::move(*pq);
  return std::unique_ptr<Store>(new Store(std::move(connection)));
}

template <class Fn>
auto Store::Guarded(std::string_view what, Fn&& fn) -> decltype(fn()) {
  auto reopen = [&]() -> Status {
    auto pq = Open(connection_->url);
    if (!pq.ok()) return Status(Code::kUnavailable, std::string(what) + ": " + pq.status().message());
    connection_->pq = std::move(*pq);
    connection_->broken = false;
    return OkStatus();
  };
  if (connection_->broken) {
    if (Status s = reopen(); !s.ok()) return s;
  }
  auto result = GuardPq(what, fn);
  const Code code = StatusOf(result).code();
  if (code == Code::kInDoubt) {
    connection_->broken = true;  // the caller settles it; the next call reconnects
  } else if (code == Code::kUnavailable) {
    // The connection broke (a database restart closes every session). The transaction did
    // not commit, so it can run once more on a new connection; if none can be opened, the
    // reason ("connection refused") says more than libpqxx's "not connected".
    connection_->broken = true;
    if (Status s = reopen(); !s.ok()) return s;
    result = GuardPq(what, fn);
    if (IsDatabaseDownCode(StatusOf(result).code())) connection_->broken = true;
  }
  return result;
}

Result<MigrateResult> Store::Migrate() {
  return Guarded("migrate", [&] { return db::Migrate(*connection_->pq); });
}
Result<int> Store::CurrentVersion() {
  return Guarded("read schema version", [&] { return db::CurrentVersion(*connection_->pq); });
}
Status Store::CheckVersion() {
  return Guarded("check schema version", [&] { return db::CheckVersion(*connection_->pq); });
}

Status Store::SyncLogs(const std::vector<LogRecord>& followed) {
  return Guarded("sync logs", [&]() -> Status {
    pqxx::work tx(*connection_->pq);
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

Result<LogRecord> Store::GetLog(const ctlog::LogId& log_id) {
  return Guarded("read log", [&]() -> Result<LogRecord> {
    pqxx::read_transaction tx(*connection_->pq);
    pqxx::result r = tx.exec_params(std::string("SELECT ") + kLogColumns + " FROM logs WHERE log_id = $1", Bin(log_id));
    if (r.empty()) return FailedPreconditionError("log " + Base64Encode(log_id) + " is not in the database");
    return LogOf(r[0], 0);
  });
}

Result<LogProgress> Store::LoadProgress(const ctlog::LogId& log_id) {
  return Guarded("read log progress", [&]() -> Result<LogProgress> {
    pqxx::read_transaction tx(*connection_->pq);
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

namespace {

// kMaxRollbackAttempts bounds how often a transaction the server rolled back (deadlock,
// serialization failure) is run again before the failure is handed up as transient.
constexpr int kMaxRollbackAttempts = 8;

// RetryRollbacks runs `attempt` (one whole transaction) again while the server rolls it
// back (kAborted from GuardPq), after a short random pause, as pqxx::perform does: two
// workers that upsert the same certificates in different orders can deadlock, and one of
// them is chosen to fail. After kMaxRollbackAttempts the rollback becomes kUnavailable
// (transient: the caller backs off and tries again later). Anything else is returned as it is.
template <class Fn>
Status RetryRollbacks(Fn&& attempt) {
  std::minstd_rand rng(std::random_device{}());
  for (int n = 1;; ++n) {
    Status s = attempt();
    if (s.code() != Code::kAborted) return s;
    if (n == kMaxRollbackAttempts) {
      return UnavailableError(s.message() + " (rolled back " + std::to_string(n) + " times)");
    }
    std::uniform_int_distribution<int> pause_ms(1, 5 << std::min(n, 6));
    std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
  }
}

Status LeaseLost(const ctlog::LogId& log_id, const std::string& what) {
  return Status(Code::kAborted, "log " + Base64Encode(log_id) + ": lease lost or position moved by another replica; " + what);
}

}  // namespace

Result<LeaseView> Store::KeepLeases(const std::string& replica_id, int64_t lease_seconds,
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

Result<LeaseView> Store::KeepLeasesOnce(const std::string& replica_id, int64_t lease_seconds,
                                        const std::vector<ctlog::LogId>& release) {
  return Guarded("keep leases", [&]() -> Result<LeaseView> {
    LeaseView view;
    pqxx::work tx(*connection_->pq);
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

Status Store::ReleaseLeases(const std::string& replica_id, const std::optional<ctlog::LogId>& log_id) {
  return Guarded("release leases", [&]() -> Status {
    pqxx::work tx(*connection_->pq);
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

Status Store::Commit(const std::string& replica_id, const BatchCommit& batch) {
  const uint64_t to_position = batch.checkpoint.position();
  bool fenced = false;
  Status s = RetryRollbacks([&] {
    fenced = false;
    return Guarded("commit", [&]() -> Status {
      pqxx::work tx(*connection_->pq);
      // The fence first: it also locks the log row until the transaction ends. Nothing else
      // of this replica's is locked here (the per-log counter below is this log's own row),
      // so the lease keeper, which locks the replica row and then log rows, cannot deadlock
      // with a commit.
      if (WriteCheckpoint(tx, replica_id, batch.log_id, batch.from_position, batch.checkpoint, batch.latest_tree_size,
                          batch.started_at_end, /*fence_position=*/true) != 1) {
        fenced = true;
        return OkStatus();  // rolled back when tx goes out of scope
      }
      const uint64_t verified_size = batch.checkpoint.verified_range.end();
      for (const MatchedEntry& m : batch.matches) WriteMatch(tx, batch.log_id, verified_size, m);
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
    auto position = Guarded("commit (settling an in-doubt commit)", [&]() -> Result<std::optional<uint64_t>> {
      pqxx::read_transaction tx(*connection_->pq);
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

Status Store::RecordMisbehaviour(const std::string& replica_id, const ctlog::LogId& log_id,
                                 const ctlog::Misbehaviour& evidence, const std::optional<LogCheckpoint>& rewind_to) {
  bool fenced = false;
  Status s = RetryRollbacks([&] {
    fenced = false;
    return Guarded("record misbehaviour", [&]() -> Status {
      pqxx::work tx(*connection_->pq);
      if (rewind_to) {
        fenced = WriteCheckpoint(tx, replica_id, log_id, std::nullopt, *rewind_to, std::nullopt, false,
                                 /*fence_position=*/false) != 1;
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
      tx.exec_params(
          R"sql(INSERT INTO findings (kind, severity, log_id, reason, evidence, dedupe_key)
                VALUES ('log_misbehaviour', 'critical', $1, $2, $3::jsonb, $4) ON CONFLICT (dedupe_key) DO NOTHING)sql",
          Bin(log_id), kind + ": " + evidence.detail, EvidenceJson(evidence), Bin(key));
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

Status Store::RecordError(const ctlog::LogId& log_id, const std::string& message) {
  return Guarded("record error", [&]() -> Status {
    pqxx::work tx(*connection_->pq);
    tx.exec_params("UPDATE logs SET last_error = $2, last_error_at = now() WHERE log_id = $1", Bin(log_id), message);
    tx.commit();
    return OkStatus();
  });
}

Status Store::RecordLatestTreeSize(const ctlog::LogId& log_id, uint64_t tree_size) {
  return Guarded("record tree size", [&]() -> Status {
    pqxx::work tx(*connection_->pq);
    tx.exec_params("UPDATE logs SET latest_tree_size = $2, latest_seen_at = now() WHERE log_id = $1", Bin(log_id),
                   static_cast<int64_t>(tree_size));
    tx.commit();
    return OkStatus();
  });
}

Result<std::vector<LogStatus>> Store::ListLogStatus() {
  return Guarded("list logs", [&]() -> Result<std::vector<LogStatus>> {
    pqxx::read_transaction tx(*connection_->pq);
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

Result<std::vector<Finding>> Store::ListFindings(const FindingFilter& filter) {
  return Guarded("list findings", [&]() -> Result<std::vector<Finding>> {
    pqxx::read_transaction tx(*connection_->pq);
    auto severity_rank = [](std::string_view s) { return s == "critical" ? 2 : s == "warning" ? 1 : 0; };
    auto wanted = [](const std::vector<std::string>& set, const std::string& v) {
      return set.empty() || std::find(set.begin(), set.end(), v) != set.end();
    };
    std::vector<Finding> out;
    std::vector<int64_t> certificate_ids;
    for (const pqxx::row& r : tx.exec_params(
             R"sql(SELECT f.id, f.kind, f.severity, f.status, coalesce(f.watched, ''), f.reason,
                          coalesce(f.status_note, ''), to_char(f.created_at AT TIME ZONE 'UTC', $1),
                          to_char(f.status_changed_at AT TIME ZONE 'UTC', $1), f.evidence::text, f.log_id,
                          coalesce(l.description, ''),
                          c.id, c.tbs_sha256, c.parsed, c.parse_error, c.dns_names::text, c.ip_addresses::text,
                          c.subject, c.issuer, c.serial, extract(epoch FROM c.not_before)::bigint,
                          extract(epoch FROM c.not_after)::bigint, c.spki_sha256, c.issuer_spki_sha256, c.key_type,
                          c.key_bits, c.ec_curve, c.der_kind, c.der
                     FROM findings f
                     LEFT JOIN certificates c ON c.id = f.certificate_id
                     LEFT JOIN logs l ON l.log_id = f.log_id
                    ORDER BY f.id)sql",
             std::string(kRfc3339))) {
      // The limit counts findings that passed the filters; tested before each row, so 0 lists none.
      if (filter.limit && out.size() >= *filter.limit) break;
      Finding f;
      f.id = r[0].as<int64_t>();
      f.kind = r[1].as<std::string>();
      f.severity = r[2].as<std::string>();
      f.status = r[3].as<std::string>();
      if (!wanted(filter.statuses, f.status) || !wanted(filter.kinds, f.kind)) continue;
      if (!filter.min_severity.empty() && severity_rank(f.severity) < severity_rank(filter.min_severity)) continue;
      f.watched = r[4].as<std::string>();
      f.reason = r[5].as<std::string>();
      f.status_note = r[6].as<std::string>();
      f.created_at = r[7].as<std::string>();
      f.status_changed_at = r[8].as<std::string>();
      f.evidence_json = r[9].as<std::string>();
      f.log_id = OptionalHashOf(r[10]);
      f.log_description = r[11].as<std::string>();
      if (!r[12].is_null()) {
        CertificateRecord c;
        certificate_ids.push_back(r[12].as<int64_t>());
        if (auto h = HashOf(r[13], "tbs_sha256"); h.ok()) c.tbs_sha256 = *h;
        c.parsed = r[14].as<bool>();
        c.parse_error = TextOr(r[15]);
        c.dns_names = JsonArrayOf(r[16]);
        c.ip_addresses = JsonArrayOf(r[17]);
        c.subject = TextOr(r[18]);
        c.issuer = TextOr(r[19]);
        c.serial = TextOr(r[20]);
        if (!r[21].is_null()) c.not_before_unix_s = r[21].as<int64_t>();
        if (!r[22].is_null()) c.not_after_unix_s = r[22].as<int64_t>();
        c.spki_sha256 = OptionalHashOf(r[23]);
        c.issuer_spki_sha256 = OptionalHashOf(r[24]);
        c.key_type = TextOr(r[25]);
        c.key_bits = r[26].is_null() ? 0 : r[26].as<int>();
        c.ec_curve = TextOr(r[27]);
        c.der_kind = r[28].as<std::string>();
        c.der = BytesOf(r[29]);
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

Status Store::SetFindingStatus(int64_t id, const std::string& status, const std::string& note) {
  if (status != "open" && status != "acknowledged" && status != "resolved") {
    return FailedPreconditionError("unknown finding status '" + status + "' (open, acknowledged, resolved)");
  }
  return Guarded("set finding status", [&]() -> Status {
    pqxx::work tx(*connection_->pq);
    pqxx::result r = tx.exec_params(
        R"sql(UPDATE findings SET status = $2, status_note = $3, status_changed_at = now() WHERE id = $1)sql", id,
        status, note.empty() ? std::optional<std::string>() : note);
    if (r.affected_rows() != 1) return FailedPreconditionError("no finding with id " + std::to_string(id));
    tx.commit();
    return OkStatus();
  });
}

Result<std::vector<std::pair<std::string, uint64_t>>> Store::EntriesCommittedBy() {
  return Guarded("read replicas", [&]() -> Result<std::vector<std::pair<std::string, uint64_t>>> {
    pqxx::read_transaction tx(*connection_->pq);
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

}  // namespace pinwatch::db

#if defined(__SANITIZE_ADDRESS__)
// LeakSanitizer, in sanitizer builds of every binary that uses the store: libpq leaks one
// PGresult (216 bytes) when libpqxx 6.4 runs a statement on a connection the server has
// closed (PQexec -> pqSaveErrorResult, under transaction_base::direct_exec); ClickHouse
// met the same leak (ClickHouse/ClickHouse#56627). It happens once per broken connection,
// inside the libraries, and the Store then opens a new connection.
extern "C" const char* __lsan_default_suppressions() { return "leak:PQmakeEmptyPGresult\n"; }
#endif
