// LogSource: one CT log as a monitor reads it, whichever API it speaks (RFC 6962 get-entries
// or static-ct-api tiles). Implementations verify tree-head signatures with the log's key;
// the Merkle checks belong to TreeVerifier, driven by Scanner.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ctlog/leaf.h"
#include "ctlog/log_entry.h"
#include "ctlog/log_key.h"
#include "ctlog/merkle.h"
#include "ctlog/retry.h"
#include "ctlog/sth.h"

namespace pinwatch::ctlog {

// TreeHeadAnswer is the newest tree head a log served, with the outcome of its signature check.
struct TreeHeadAnswer {
  SignedTreeHead head;
  Status signature;  // OK, or kMisbehaviour: why the signature does not verify
};

// LogSource is one log. Not thread-safe: one per log worker.
class LogSource {
 public:
  virtual ~LogSource() = default;

  // FetchTreeHead fetches the log's newest tree head and checks its signature: the answer
  // holds the head and the outcome (OK, or kMisbehaviour saying why it does not verify; the
  // head is then evidence, never a target). kUnavailable after retries; kMalformed for a
  // response that does not parse, or for a well-signed head that CheckTreeHeadBounds
  // refuses (a size beyond what the API allows, a timestamp from the future);
  // kFailedPrecondition for a checkpoint of another origin or key.
  virtual Result<TreeHeadAnswer> FetchTreeHead() = 0;

  // LatestTreeHead is FetchTreeHead with the signature required: kMisbehaviour if it does
  // not verify.
  Result<SignedTreeHead> LatestTreeHead() {
    auto answer = FetchTreeHead();
    if (!answer.ok()) return answer.status();
    if (!answer->signature.ok()) return answer->signature;
    return std::move(answer->head);
  }

  // ConsistencyProof returns PROOF(size1, size2), or an empty vector when the API has none
  // (static-ct-api: the compact range checked at the new size proves consistency instead).
  virtual Result<std::vector<Hash>> ConsistencyProof(uint64_t size1, uint64_t size2) = 0;

  // Entries delivers entries [start, end_exclusive) of the tree of size tree_size
  // (end_exclusive <= tree_size) to `sink`, in order, each exactly once.
  virtual Status Entries(uint64_t start, uint64_t end_exclusive, uint64_t tree_size,
                         const LogEntrySink& sink) = 0;

  // TreeRangeAt returns the compact range of the tree of size head.tree_size: what a
  // verifier needs to go on from that size without downloading the entries before it (a
  // monitor told to start at the end of a log). RFC 6962: from get-entry-and-proof of the
  // last leaf; static-ct-api: from hash tiles. The range is checked against head.root_hash:
  // kMisbehaviour when the log's own nodes do not hash to its signed root; kUnavailable,
  // kMalformed as for the other calls.
  virtual Result<CompactRange> TreeRangeAt(const SignedTreeHead& head) = 0;

  // Issuer returns the DER certificate whose SHA-256 is `fingerprint` (static-ct-api
  // /issuer/<hex>, the DER checked against the fingerprint: kMisbehaviour if it differs).
  // RFC 6962 entries carry their chains: kFailedPrecondition there.
  virtual Result<std::vector<uint8_t>> Issuer(const Hash& fingerprint) = 0;

  // FetchRoots fetches the DER certificates the log accepts as roots (RFC 6962 §4.7
  // get-roots; a static-ct-api log serves the same endpoint under its submission prefix,
  // <submission_url>ct/v1/get-roots). Returns at most kMaxRoots certificates, each one DER
  // SEQUENCE (not parsed as X.509), in the log's order; possibly empty (the caller decides
  // what an empty answer means). Retried like the other calls; then kUnavailable (the log
  // stayed unreachable), kFailedPrecondition (it refused: 4xx other than 429) or kMalformed
  // (every answer was over kMaxResponseBytes, not the JSON RFC 6962 prescribes, held more
  // than kMaxRoots certificates or one that is not base64 DER). Messages name the URL.
  virtual Result<std::vector<std::vector<uint8_t>>> FetchRoots() = 0;

  // Description names the log in messages, e.g. its URL.
  virtual const std::string& Description() const = 0;
};

// LogSourceOptions tune how a source downloads; the defaults suit public logs.
struct LogSourceOptions {
  uint64_t entries_per_request = 256;  // RFC 6962 get-entries batch asked for
  size_t max_requests_in_flight = 4;   // per log
  // How far, in bytes of answers held, the download goes on past a piece that waits out a
  // retry delay (FetchOptions::retry_lookahead_bytes).
  size_t retry_lookahead_bytes = kDefaultRetryLookaheadBytes;
  int64_t request_timeout_ms = 30'000;  // whole-request deadline, per attempt
  // A transfer slower than this for this long is aborted and retried (net::HttpOptions).
  int64_t low_speed_bytes_per_s = 1024;
  int64_t low_speed_time_ms = 10'000;
  RetryPolicy retry = {};  // retry.on_retry reports each failed attempt
  Clock* clock = nullptr;  // nullptr: the system clock (stop-aware when `stop` is set)
  // When stopped, transfers in flight and retry delays end at once with kAborted. Not
  // owned; must outlive the source.
  const StopSignal* stop = nullptr;
  // Told of every HTTP request to the log once it completes (metrics); on the source's
  // thread. nullptr: nobody listens.
  std::function<void(const net::HttpExchange&)> on_http = nullptr;
};

// EndpointOfUrl names the CT endpoint a request URL asks for, a closed set for metric
// labels: "get-sth", "get-sth-consistency", "get-entries", "get-entry-and-proof",
// "get-proof-by-hash", "get-roots", "checkpoint", "tile", "data-tile", "issuer" or "other".
std::string_view EndpointOfUrl(std::string_view url);

namespace log_source_internal {
// HttpOptionsOf and ClockOf turn LogSourceOptions into what the clients take; ClockOf
// makes `own` a StopAwareClock when the caller gave a stop signal but no clock.
inline net::HttpOptions HttpOptionsOf(const LogSourceOptions& options) {
  return {.total_timeout_ms = options.request_timeout_ms,
          .low_speed_bytes_per_s = options.low_speed_bytes_per_s,
          .low_speed_time_ms = options.low_speed_time_ms,
          .stop = options.stop,
          .on_complete = options.on_http};
}
inline Clock* ClockOf(const LogSourceOptions& options, std::optional<StopAwareClock>& own) {
  if (options.clock != nullptr || options.stop == nullptr) return options.clock;
  own.emplace(*options.stop);
  return &*own;
}
// UnixNowMsOn reads `clock` (nullptr: the system clock) in milliseconds since the epoch.
inline int64_t UnixNowMsOn(Clock* clock) {
  const auto now = (clock != nullptr ? *clock : SystemClock()).Now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
}
}  // namespace log_source_internal

// NewRfc6962Source returns a source for an RFC 6962 log at `url` (".../ct/v1/" is added).
std::unique_ptr<LogSource> NewRfc6962Source(std::string url, LogKey key, LogSourceOptions options = {});

// DefaultOrigin is the static-ct-api convention for a log's checkpoint origin: its
// submission URL without the scheme and trailing slashes ("https://log.example/2025h1/" ->
// "log.example/2025h1").
std::string DefaultOrigin(std::string_view submission_url);

// NewStaticCtSource returns a source for a static-ct-api log read at `monitoring_url`,
// whose write side (where get-roots is served) is `submission_url` (the log list's
// "submission_url"; the same as monitoring_url for logs that serve both at one prefix). The
// checkpoint's origin must equal `origin` (by convention DefaultOrigin(submission_url)).
std::unique_ptr<LogSource> NewStaticCtSource(std::string monitoring_url, std::string submission_url,
                                             std::string origin, LogKey key, LogSourceOptions options = {});

}  // namespace pinwatch::ctlog
