// CT log lists: Google's schema v3 (https://www.gstatic.com/ct/log_list/v3/) and Apple's
// list (https://valid.apple.com/ct/log_list/, "$schema" log_list_schema_v5: the same shape,
// plus a `version` inside each state object and extra top-level keys). A monitor follows the
// union of several lists, keyed by log id, and verifies Google's detached list signature.
//
// Parsed lists own their data (keys and ids are base64-decoded, so nothing can alias the
// JSON text); every type here is a plain value, safe to share read-only between threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "base/time.h"
#include "ctlog/sha256.h"

namespace pinwatch::ctlog {

// kMaxLogListSizeBytes caps the JSON we parse. The real lists are 18-150 KB (Google's
// all_logs_list ~80 KB, Apple's ~150 KB); 4 MiB leaves room for years of growth while bounding
// the memory an attacker-controlled (e.g. MITM'd before signature check) body can cost.
inline constexpr size_t kMaxLogListSizeBytes = size_t{4} << 20;
// kMaxLogsPerList bounds the logs of one list (logs and tiled_logs of every operator). Real
// lists name 75-170 (Google's all_logs_list, every log since 2013: 117; Apple's: 166), and
// each log followed costs a worker thread and database connections, so a list naming
// thousands is refused rather than followed (issue 19).
inline constexpr size_t kMaxLogsPerList = 1000;
// kMaxJsonObjectMembers bounds the members of each object read from a list: real objects
// hold at most a dozen. The bound keeps the duplicate-member check, quadratic in an
// object's members, from turning one 4 MiB object into minutes of work.
inline constexpr size_t kMaxJsonObjectMembers = 100;

// LogId is RFC 6962 §3.2 LogID: SHA-256 over the log's DER SubjectPublicKeyInfo.
using LogId = Hash;

// LogState is the distributor's view of a log (the key inside a list's "state" object).
enum class LogState { kPending, kQualified, kUsable, kReadOnly, kRetired, kRejected };

// LogStateName returns the JSON spelling ("pending", …, "readonly", …).
std::string_view LogStateName(LogState state);

// kMonitoredStates is the default set for SelectLogs: logs that may hold certificates
// clients accept today (usable), soon (qualified), or whose contents stay trusted (readonly).
inline constexpr std::array<LogState, 3> kMonitoredStates = {
    LogState::kUsable, LogState::kQualified, LogState::kReadOnly};

// FinalTreeHead is a read-only log's last tree head, as published in the list.
struct FinalTreeHead {
  uint64_t tree_size = 0;  // entries
  Hash sha256_root_hash{};

  friend bool operator==(const FinalTreeHead&, const FinalTreeHead&) = default;
};

// LogStateInfo is one log's "state" object: which state and since when.
struct LogStateInfo {
  LogState state = LogState::kPending;
  int64_t timestamp_ms = 0;  // when the log entered `state`, ms since the Unix epoch
  // Present iff state == kReadOnly (the schema requires it there).
  std::optional<FinalTreeHead> final_tree_head{};

  friend bool operator==(const LogStateInfo&, const LogStateInfo&) = default;
};

// TemporalInterval: the log accepts only certificates whose NotAfter lies in
// [start_inclusive_ms, end_exclusive_ms). Parsing guarantees start < end.
struct TemporalInterval {
  int64_t start_inclusive_ms = 0;
  int64_t end_exclusive_ms = 0;

  friend bool operator==(const TemporalInterval&, const TemporalInterval&) = default;
};

// LogType is the optional "log_type". Google's schema says "prod"/"test"; its all_logs list
// also uses "monitoring_only". Any other string parses as kOther (forward compatibility).
enum class LogType { kProd, kTest, kMonitoringOnly, kOther };

// LogApi says how to talk to a log: RFC 6962 §4 HTTP API (list key "logs") or the
// static-ct-api (c2sp.org/static-ct-api; list key "tiled_logs").
enum class LogApi { kRfc6962, kStaticCt };

// Log is one entry of an operator's "logs" or "tiled_logs".
struct Log {
  std::string description{};     // human-readable; empty if the list gives none
  LogId log_id{};                // verified: equals SHA-256(key)
  std::vector<uint8_t> key{};    // DER SubjectPublicKeyInfo (not parsed here)
  uint64_t mmd_seconds = 0;      // maximum merge delay, >= 1
  std::optional<LogStateInfo> state{};  // absent for logs a list names but has not yet admitted
  std::optional<TemporalInterval> temporal_interval{};
  std::optional<LogType> log_type{};
  LogApi api = LogApi::kRfc6962;
  // Base URLs: "https://" and a host (or "http://" and a loopback host: 127.0.0.1, [::1] or
  // localhost, optionally with :port), printable ASCII only, and always ending in "/" (one is
  // appended if the list omits it, so callers append "ct/v1/get-sth" or "checkpoint").
  // kRfc6962: both are the list's "url". kStaticCt: the list's "submission_url" (add-chain)
  // and "monitoring_url" (checkpoint, tiles), which usually differ.
  std::string submission_url{};
  std::string monitoring_url{};
  // Names of the lists that carry this log: one after ParseLogList; after UnionOfLists every
  // list it appears in, in input order.
  std::vector<std::string> list_names{};

  friend bool operator==(const Log&, const Log&) = default;
};

// Operator is one entry of "operators": who runs the logs, in the list's order.
struct Operator {
  std::string name{};
  std::vector<std::string> email{};
  std::vector<Log> logs{};      // RFC 6962 logs ("logs")
  std::vector<Log> tiled_logs{};  // static-ct-api logs ("tiled_logs"; absent in older lists)
};

// LogList is one parsed list. Top-level keys other than these (Apple's "$schema",
// "assetVersion", Google's "is_all_logs") are ignored.
struct LogList {
  std::string name{};  // the caller's label for this list, used in error messages
  std::optional<std::string> version{};            // e.g. "80.14"; Apple: "511"
  std::optional<int64_t> log_list_timestamp_ms{};  // absent in Apple's list
  std::vector<Operator> operators{};
};

// LogListOptions are the operator's exceptions to the parsing rules.
struct LogListOptions {
  // Hosts (exact, as written in the list's URLs) whose logs may be reached over plain http
  // besides loopback: a log simulator in the next container (logs.plain_http_hosts).
  std::vector<std::string> plain_http_hosts;
};

// ParseLogList parses one list (Google v3 or Apple v5) from the exact JSON bytes and labels
// it `list_name`. On success every log has passed log_id == SHA-256(key) and log ids are
// unique within the list. On failure returns kMalformed whose message starts with the list
// name and names the JSON path, e.g. "log list 'chrome': operators[3].logs[1].key: expected
// base64 string". Rules: input <= kMaxLogListSizeBytes, valid UTF-8, one JSON value and
// nothing after it but whitespace, at most kMaxLogsPerList logs, no duplicate member names
// and at most kMaxJsonObjectMembers members in objects we read; unknown
// members are ignored (forward compatibility); a "state" object must hold exactly one known
// state (unknown state names are ignored, so a new state alone is an error rather than a
// silently dropped log). Times are RFC 3339 as ParseRfc3339Ms (base/time.h) accepts. The result owns all its
// data. Thread-safe.
Result<LogList> ParseLogList(Bytes json, std::string_view list_name, const LogListOptions& options = {});

// UnionOfLists merges lists into one entry per log id, in order of first appearance
// (lists in input order; within a list, operators in order, "logs" before "tiled_logs").
// Fields that identify how to reach and verify a log must agree: key, api, submission_url
// and monitoring_url; a disagreement, or two different final tree heads for the same log,
// is kFailedPrecondition naming the log and both lists (an operator must decide which list
// to trust). Other fields are merged so that the monitor watches at least what any list's
// clients trust:
//  - state: the most "live" state wins, ranked usable > qualified > readonly > retired >
//    pending > rejected > absent. Distributors decide independently (Apple marks expired
//    logs "rejected" while Chrome calls them "readonly"/"retired"), so a certificate counts
//    if any client accepts it; "latest timestamp" would let one distributor's retirement
//    hide a log another still trusts. On equal states the first list's entry is kept.
//  - mmd_seconds: the smallest (the strictest promise the log made; Apple lists 86400 where
//    Chrome lists 60 for static-ct logs).
//  - description, temporal_interval, log_type: the first list's, else the first present.
//  - list_names: concatenated.
// Thread-safe.
Result<std::vector<Log>> UnionOfLists(std::span<const LogList> lists);

// SelectLogs returns copies of the logs whose state is in `states`, in input order; logs
// without a state are never selected. Thread-safe.
std::vector<Log> SelectLogs(std::span<const Log> logs,
                            std::span<const LogState> states = kMonitoredStates);

// VerifyLogListSignature checks a detached list signature: RSASSA-PKCS1-v1_5 with SHA-256
// over the exact `json` bytes (Google's log_list.sig), with `public_key` an RSA
// SubjectPublicKeyInfo as DER or PEM ("-----BEGIN PUBLIC KEY-----") in `spki_der_or_pem`.
// Returns OK if it
// verifies; kMalformed if it does not (do not use that list; a re-fetch may cure a torn
// list/signature pair); kFailedPrecondition if the key cannot be read or is not RSA >= 2048
// bits (a configuration error). Borrows its inputs. Thread-safe.
Status VerifyLogListSignature(Bytes json, Bytes signature, Bytes spki_der_or_pem);

// LogListSignatureLocation is where a list's detached signature is, by Google's
// convention: the list's file or URL with its ".json" ending replaced by ".sig"
// (log_list.json -> log_list.sig), or with ".sig" appended when it has none.
std::string LogListSignatureLocation(std::string_view list_location);

// kMaxLogListSignatureBytes bounds a signature download: RSA-4096 is 512 bytes.
inline constexpr size_t kMaxLogListSignatureBytes = 4096;

}  // namespace pinwatch::ctlog
