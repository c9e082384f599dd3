// Rfc6962Client: the RFC 6962 §4 HTTP API of one log (get-sth, get-sth-consistency,
// get-proof-by-hash, get-entry-and-proof, get-roots, get-entries), with retries and a
// pipelined, order-preserving get-entries range fetch. It fetches and frames; it does not
// verify signatures or proofs (sth.h, merkle.h) nor decode base64 (base/encoding.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/http.h"
#include "ctlog/retry.h"
#include "ctlog/rfc6962_json.h"
#include "ctlog/sha256.h"
#include "ctlog/sth.h"

namespace pinwatch::ctlog {

// Rfc6962ClientOptions configure an Rfc6962Client. Every field has a usable default.
struct Rfc6962ClientOptions {
  net::HttpOptions http = {};
  RetryPolicy retry = {};
  // Entries asked for per get-entries request. Logs cap this themselves (Google: 1000
  // or less, Let's Encrypt: 256) and answer short; the client then asks for the rest.
  // 0 is treated as 1.
  uint64_t entries_per_request = 256;
  // get-entries requests kept in flight at once by GetEntries. 0 is treated as 1.
  size_t max_requests_in_flight = 4;
  // Bytes of answers held past a piece that waits out a retry delay (FetchOptions).
  size_t retry_lookahead_bytes = kDefaultRetryLookaheadBytes;
  // Time source for retry delays; nullptr means SystemClock(). Not owned; must outlive
  // the client.
  Clock* clock = nullptr;
};

// EntrySink receives get-entries results in log order: `entries[i]` is the entry at index
// first_index + i. The RawEntry views (and the span) are valid during the call only.
// Returning a non-OK Status stops GetEntries, which returns that Status.
using EntrySink = std::function<Status(uint64_t first_index, std::span<const RawEntry> entries)>;

class Rfc6962Client {
 public:
  // Rfc6962Client talks to the log whose RFC 6962 base URL (the log list's "url", e.g.
  // "https://ct.googleapis.com/logs/us1/argon2025h1/", with or without a trailing slash)
  // is `base_url`; requests go to <base_url>/ct/v1/<method>.
  explicit Rfc6962Client(std::string base_url, Rfc6962ClientOptions options = {});

  // Every method below retries kUnavailable failures (transport errors, 429, 5xx) under
  // options.retry, sleeping on options.clock, and then returns:
  //   kUnavailable         the log stayed unreachable or overloaded through all attempts
  //   kFailedPrecondition  the log refused the request (4xx other than 429)
  //   kMalformed           the answer is not what RFC 6962 prescribes (never retried)
  // The message names the URL. Results own their data. Not thread-safe: one client per
  // thread (it owns one net::HttpClient).

  // GetSth fetches the log's latest tree head (signature NOT verified).
  Result<SignedTreeHead> GetSth();
  // GetSthConsistency fetches the consistency proof between tree sizes first and second
  // (not verified).
  Result<std::vector<Hash>> GetSthConsistency(uint64_t first, uint64_t second);
  // GetProofByHash fetches the index and audit path of the leaf with `leaf_hash` in the
  // tree of `tree_size` (not verified).
  Result<GetProofByHashResponse> GetProofByHash(const Hash& leaf_hash, uint64_t tree_size);
  // GetEntryAndProof fetches entry `leaf_index` and its audit path in the tree of
  // `tree_size` (not verified).
  Result<GetEntryAndProofResponse> GetEntryAndProof(uint64_t leaf_index, uint64_t tree_size);
  // GetRoots fetches the DER certificates the log accepts as roots.
  Result<std::vector<std::vector<uint8_t>>> GetRoots();

  // GetEntries fetches entries [start, end_exclusive) and hands them to `sink` in log
  // order, batch by batch, each index exactly once. Up to max_requests_in_flight requests
  // of entries_per_request entries run at once; answers are buffered (at most about twice
  // that many) until every earlier entry has been delivered.
  //   * A SHORT answer (fewer entries than asked, at least one) is normal: its entries are
  //     kept and the rest of its range is asked for again, from where the answer stopped.
  //   * An answer with ZERO entries for a non-empty request, or with MORE entries than
  //     asked, is treated as a transient fault and retried like a 5xx; if it persists
  //     through all attempts GetEntries fails with kUnavailable (zero entries: the log
  //     may be lagging behind its STH) or kMalformed (too many: it does not honour the
  //     protocol).
  //   * Each request retries under options.retry on its own; after the first final
  //     failure, the other requests are cancelled and GetEntries returns that error.
  //     Entries already handed to `sink` stay delivered: a caller that resumes should
  //     start from the first index it did not receive.
  // An empty range (start == end_exclusive) returns OK without a request; start >
  // end_exclusive is kInternal (the caller's bug). Returns OK once every entry was
  // delivered, or the first sink error unchanged.
  Status GetEntries(uint64_t start, uint64_t end_exclusive, const EntrySink& sink);

  const std::string& base_url() const { return base_url_; }

 private:
  std::string Url(std::string_view method) const;
  // FetchParsed GETs `url` and parses the body, retrying transient failures and bodies
  // that do not parse (kMalformed if they never do).
  template <class T>
  Result<T> FetchParsed(const std::string& url, Result<T> (*parse)(std::string_view), size_t max_body_bytes);

  std::string base_url_;  // without a trailing slash
  Rfc6962ClientOptions options_;
  Clock& clock_;
  net::HttpClient http_;
};

}  // namespace pinwatch::ctlog
