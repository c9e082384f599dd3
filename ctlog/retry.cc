#include "ctlog/retry.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <thread>

namespace pinwatch::ctlog {
namespace {

// kMaxRetryAfterSeconds: a wait beyond a day is nonsense for a log; the clamp also keeps
// the arithmetic far from overflow.
constexpr uint64_t kMaxRetryAfterSeconds = 86'400;


// ParseUint reads all of `s` as a decimal number; nullopt if empty, not digits, or too big.
std::optional<uint64_t> ParseUint(std::string_view s) {
  uint64_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// ParseImfFixdate reads "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 §5.6.7):
//   IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT
//   date1 = day SP month SP year ; e.g. 02 Jun 1982
// Returns seconds since the epoch as sys_seconds: years 0000..9999 fit, unlike
// system_clock::time_point (nanoseconds, about 1677..2262), so no input can overflow it.
std::optional<std::chrono::sys_seconds> ParseImfFixdate(std::string_view s) {
  static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                            "Fri", "Sat", "Sun"};
  static constexpr std::array<std::string_view, 12> kMonths = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  // 0         1         2
  // 01234567890123456789012345678
  // Sun, 06 Nov 1994 08:49:37 GMT
  if (s.size() != 29 || s.substr(3, 2) != ", " || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return std::nullopt;
  }
  if (std::find(kDays.begin(), kDays.end(), s.substr(0, 3)) == kDays.end()) return std::nullopt;
  auto month_it = std::find(kMonths.begin(), kMonths.end(), s.substr(8, 3));
  if (month_it == kMonths.end()) return std::nullopt;
  auto day = ParseUint(s.substr(5, 2));
  auto year = ParseUint(s.substr(12, 4));
  auto hour = ParseUint(s.substr(17, 2));
  auto minute = ParseUint(s.substr(20, 2));
  auto second = ParseUint(s.substr(23, 2));
  if (!day || !year || !hour || !minute || !second || *hour > 23 || *minute > 59 || *second > 60) {
    return std::nullopt;
  }
  const std::chrono::year_month_day ymd{
      std::chrono::year(static_cast<int>(*year)),
      std::chrono::month(static_cast<unsigned>(month_it - kMonths.begin() + 1)),
      std::chrono::day(static_cast<unsigned>(*day))};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_seconds(std::chrono::sys_days(ymd)) + std::chrono::hours(*hour) +
         std::chrono::minutes(*minute) + std::chrono::seconds(*second);
}

}  // namespace


std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  // Retry-After = HTTP-date / delay-seconds ; delay-seconds = 1*DIGIT
  if (auto seconds = ParseUint(value)) {
    return std::chrono::milliseconds(std::min<uint64_t>(*seconds, kMaxRetryAfterSeconds) * 1000);
  }
  auto date = ParseImfFixdate(value);
  if (!date) return std::nullopt;
  // Compared in milliseconds since the epoch, which hold any year 0000..9999.
  const auto date_ms = std::chrono::time_point_cast<std::chrono::milliseconds>(*date);
  const auto now_ms = std::chrono::floor<std::chrono::milliseconds>(now);
  if (date_ms <= now_ms) return std::chrono::milliseconds(0);
  return std::min<std::chrono::milliseconds>(date_ms - now_ms,
                                             std::chrono::seconds(kMaxRetryAfterSeconds));
}

Backoff::Backoff(const RetryPolicy& policy, uint64_t seed) : policy_(policy), rng_(seed) {}

std::optional<std::chrono::milliseconds> Backoff::NextDelay(
    const Status& error, std::optional<std::chrono::milliseconds> retry_after) {
  ++attempts_failed_;
  if (error.code() != Code::kUnavailable) return std::nullopt;
  if (attempts_failed_ >= policy_.max_attempts) return std::nullopt;
  // cap = min(max, base * 2^(n-1)), computed without overflow.
  int64_t cap_ms = std::max<int64_t>(policy_.base_delay_ms, 0);
  for (int i = 1; i < attempts_failed_ && cap_ms < policy_.max_delay_ms; ++i) cap_ms *= 2;
  cap_ms = std::min(cap_ms, policy_.max_delay_ms);
  std::uniform_int_distribution<int64_t> jitter(0, std::max<int64_t>(cap_ms, 0));
  int64_t delay_ms = jitter(rng_);
  if (retry_after) {
    delay_ms = std::max<int64_t>(delay_ms, std::min<int64_t>(retry_after->count(),
                                                             policy_.max_retry_after_ms));
  }
  return std::chrono::milliseconds(delay_ms);
}

AttemptOutcome OutcomeOf(const Result<net::HttpResponse>& response, std::string_view what,
                         std::chrono::system_clock::time_point now) {
  if (!response.ok()) return {.status = response.status(), .retry_after = std::nullopt};
  AttemptOutcome out{.status = net::CheckHttpStatus(*response, what), .retry_after = std::nullopt};
  if (!out.status.ok() && response->retry_after) {
    out.retry_after = ParseRetryAfter(*response->retry_after, now);
  }
  return out;
}

Result<net::HttpResponse> GetWithRetry(net::HttpClient& http, const std::string& url,
                                  const RetryPolicy& policy, Clock& clock,
                                  const std::function<Status(const net::HttpResponse&)>& accept,
                                  size_t max_body_bytes) {
  Backoff backoff(policy, std::random_device{}());
  for (;;) {
    Result<net::HttpResponse> response = http.Get(url, max_body_bytes);
    AttemptOutcome outcome = OutcomeOf(response, "GET " + url, clock.Now());
    Code final_code = outcome.status.code();
    if (outcome.status.ok() && accept) {
      outcome.status = accept(*response);
      final_code = outcome.status.code();
      if (final_code == Code::kMalformed) outcome.status = UnavailableError(outcome.status.message());
    }
    if (outcome.status.ok()) return response;
    auto delay = backoff.NextDelay(outcome.status, outcome.retry_after);
    if (!delay) {
      return Status(final_code,
                    outcome.status.message() + " (after " +
                        std::to_string(backoff.attempts_failed()) + " attempt(s))");
    }
    if (policy.on_retry) policy.on_retry(outcome.status, *delay);
    clock.SleepFor(*delay);
  }
}

}  // namespace pinwatch::ctlog
