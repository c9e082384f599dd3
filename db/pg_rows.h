// db/'s PostgreSQL row codecs and the writes both stores share (db/ internal: names
// libpqxx). Values travel as parameters, never as SQL text.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <pqxx/binarystring>
#include <pqxx/field>
#include <pqxx/row>
#include <pqxx/transaction>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ctlog/merkle.h"
#include "ctlog/sth.h"
#include "ctlog/verifier.h"
#include "db/log_state_store.h"
#include "db/records.h"

namespace pinwatch::db::pg {

// --- value encodings between C++ and SQL parameters ---
pqxx::binarystring Bin(const ctlog::Hash& h);
pqxx::binarystring Bin(const std::vector<uint8_t>& b);
// Nullable bytea travels as hex text decoded in SQL (decode(NULL, 'hex') is NULL): libpqxx 6
// has no nullable binary parameter.
std::optional<std::string> HexOrNull(const std::optional<ctlog::Hash>& h);
std::vector<uint8_t> BytesOf(const pqxx::field& f);
Result<ctlog::Hash> HashOf(const pqxx::field& f, std::string_view column);
std::optional<ctlog::Hash> OptionalHashOf(const pqxx::field& f);
pqxx::binarystring RangeBlob(const ctlog::CompactRange& range);
// HashesBlob / HashesOf: a list of 32-byte hashes as one bytea, back to back.
pqxx::binarystring HashesBlob(const std::vector<ctlog::Hash>& hashes);
std::vector<ctlog::Hash> HashesOf(const pqxx::field& f);
Result<ctlog::CompactRange> RangeOf(uint64_t end, const pqxx::field& f, std::string_view column);
std::string JsonArray(const std::vector<std::string>& items);
std::vector<std::string> JsonArrayOf(const pqxx::field& f);
std::string_view ApiName(ctlog::LogApi api);
std::string_view EntryTypeName(ctlog::LogEntryType t);
// DedupeKey hashes length-prefixed parts: what makes a finding the same finding.
ctlog::Hash DedupeKey(std::initializer_list<std::string_view> parts);
std::string_view HashView(const ctlog::Hash& h);
// kRfc3339: to_char's format for RFC 3339 text of a timestamptz column, in UTC.
inline constexpr const char kRfc3339[] = R"(YYYY-MM-DD"T"HH24:MI:SS"Z")";
std::string TextOr(const pqxx::field& f);
inline constexpr const char kLogColumns[] = "log_id, description, api, url, submission_url, key, mmd_seconds, state";
// LogOf reads kLogColumns starting at column `first`.
LogRecord LogOf(const pqxx::row& r, int first);
// SthJson is a tree head as RFC 6962 get-sth JSON; EvidenceJson misbehaviour's evidence.
std::string SthJson(const ctlog::SignedTreeHead& h);
std::string EvidenceJson(const ctlog::Misbehaviour& m);

// Fence says what a tree-state write must find to apply: this replica's lease and the
// expected old position (a commit), or the lease alone (a misbehaviour rewind).
enum class Fence { kLeaseAndPosition, kLeaseOnly };

// TreeStateWrite is one update of a log's row: its new tree state and what fences it.
struct TreeStateWrite {
  std::string replica_id;
  ctlog::LogId log_id{};
  std::optional<uint64_t> from_position;  // with kLeaseAndPosition: the position expected
  TreeState tree;
  std::optional<uint64_t> latest_tree_size;
  bool started_at_end = false;
  Fence fence = Fence::kLeaseAndPosition;
};

// WriteTreeState updates the log row (and marks entries a new verified head covers) and
// returns the rows changed: 1, or 0 when the fence did not hold.
size_t WriteTreeState(pqxx::work& tx, const TreeStateWrite& write);

// WriteMatch stores one matched entry: its certificate (the better DER wins), the entry,
// and its findings, all idempotent.
void WriteMatch(pqxx::work& tx, const ctlog::LogId& log_id, uint64_t verified_size, const MatchedEntry& m);

// kAlertsChannel is the LISTEN/NOTIFY channel that wakes the alert sender when an outbox
// row is written or changed; NotifyAlerts queues the notification, sent at COMMIT.
inline constexpr const char kAlertsChannel[] = "pinwatch_alerts";
void NotifyAlerts(pqxx::work& tx);

// kCertificateColumns / CertificateOf read a certificates row (aliased `c`).
inline constexpr const char kCertificateColumns[] =
    "c.tbs_sha256, c.parsed, c.parse_error, c.dns_names::text, c.ip_addresses::text, c.subject, c.issuer, "
    "c.serial, extract(epoch FROM c.not_before)::bigint, extract(epoch FROM c.not_after)::bigint, c.spki_sha256, "
    "c.issuer_spki_sha256, c.key_type, c.key_bits, c.ec_curve, c.der_kind, c.der, c.chain_spki_sha256";
CertificateRecord CertificateOf(const pqxx::row& r, int first);

}  // namespace pinwatch::db::pg
