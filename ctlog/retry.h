// Retrying transient failures: exponential backoff with full jitter, Retry-After
// honoured, only kUnavailable retried (STYLE.md "Error handling"). Time comes from an
// injectable Clock so tests check the computed delays without sleeping.
#pragma once

#include <chrono>
#include <functional>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "base/clock.h"
#include "base/status.h"
#include "net/http.h"

namespace pinwatch::ctlog {

// kDefaultRetryLookaheadBytes is how far, in bytes of answers held, a download goes on
// past a request that waits out its retry delay (FetchOptions::retry_lookahead_bytes).
// 64 MiB took a backfill with 20% of its requests failing to 1.3x the clean wall time,
// where 32 MiB gave 1.6x and none 4.9x (bench/faults_bench.sh).
inline constexpr size_t kDefaultRetryLookaheadBytes = size_t{64} << 20;

// RetryPolicy says how often and how patiently to retry one request.
struct RetryPolicy {
  // Attempts in total, the first included; 1 means never retry.
  int max_attempts = 8;
  // Backoff cap before jitter for retry n (1-based) is min(max_delay_ms, base_delay_ms * 2^(n-1));
  // the delay is drawn uniformly from [0, cap] ("full jitter"). First retries come soon;
  // the caps' sum over 8 attempts (6.35 s) is about what 250 ms over 6 gave (7.75 s).
  int64_t base_delay_ms = 50;
  int64_t max_delay_ms = 30'000;
  // A server's Retry-After is obeyed up to this long; a longer one is cut to this (the
  // attempt after it will most likely be told to wait again, and counts as an attempt).
  int64_t max_retry_after_ms = 300'000;
  // on_retry, if set, is called after each failed attempt that will be tried again, with
  // the failure and the wait before the next attempt, on the retrying thread: a monitor
  // reports a slow or failing log at once, not only after the last attempt.
  std::function<void(const Status& failure, std::chrono::milliseconds delay)> on_retry = nullptr;
};

// ParseRetryAfter returns the wait a Retry-After header value asks for, relative to
// `now`: delta-seconds ("120") or an IMF-fixdate HTTP-date ("Sun, 06 Nov 1994 08:49:37
// GMT", RFC 9110 §5.6.7); a date in the past means zero; waits are capped at one day.
// Returns nullopt for anything else (including the obsolete RFC 850 and asctime date
// forms), in which case callers fall back to plain backoff. Thread-safe.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         std::chrono::system_clock::time_point now);

// Backoff tracks the attempts of one request and computes the wait before the next.
// Not thread-safe; one per request.
class Backoff {
 public:
  // Backoff draws jitter from a generator seeded with `seed` (tests pass a fixed seed;
  // production code passes std::random_device{}()).
  Backoff(const RetryPolicy& policy, uint64_t seed);

  // NextDelay records a failed attempt and returns how long to wait before the next one,
  // or nullopt when `error` is not kUnavailable or the policy's attempts are used up.
  // `retry_after` is the parsed Retry-After of the failed answer, if any: the delay is
  // then max(jittered backoff, retry_after), capped at max_retry_after_ms.
  std::optional<std::chrono::milliseconds> NextDelay(
      const Status& error, std::optional<std::chrono::milliseconds> retry_after);

  // attempts_failed counts the NextDelay calls so far.
  int attempts_failed() const { return attempts_failed_; }

 private:
  RetryPolicy policy_;
  std::mt19937_64 rng_;
  int attempts_failed_ = 0;
};

// GetWithRetry GETs `url` until it yields a 2xx answer, retrying transport failures and
// answers that net::CheckHttpStatus maps to kUnavailable (429, 5xx) after the delays Backoff
// computes, sleeping on `clock`. Returns the 2xx response, or the last error (its
// message says how many attempts were made). Blocking; same thread-safety as `http`.
// `accept`, if given, judges a 2xx answer (typically by parsing it): a kMalformed verdict
// is retried like kUnavailable, because frontends and caches do serve cut or garbled
// bodies now and then, and is returned as kMalformed if every attempt gets one.
// The body may be at most `max_body_bytes` (0: the client's default; see net::HttpClient::Start).
Result<net::HttpResponse> GetWithRetry(net::HttpClient& http, const std::string& url,
                                  const RetryPolicy& policy, Clock& clock,
                                  const std::function<Status(const net::HttpResponse&)>& accept = nullptr,
                                  size_t max_body_bytes = 0);

// AttemptOutcome is what one completed request means for retrying.
struct AttemptOutcome {
  Status status = {};  // the transport error, or net::CheckHttpStatus of the answer
  std::optional<std::chrono::milliseconds> retry_after = std::nullopt;  // parsed Retry-After, if any
};
// OutcomeOf classifies one completed request; `what` names it in error messages.
AttemptOutcome OutcomeOf(const Result<net::HttpResponse>& response, std::string_view what,
                         std::chrono::system_clock::time_point now);

}  // namespace pinwatch::ctlog
