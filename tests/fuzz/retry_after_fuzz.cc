// Fuzzes ParseRetryAfter (retry.h), which reads an untrusted response header.
// Invariants: never crashes or overflows (UBSan); any accepted wait is within [0, 1 day];
// an all-digit value is delta-seconds, clamped to a day; any other accepted value is a
// 29-byte IMF-fixdate ending in " GMT".
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "ctlog/retry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using std::chrono::milliseconds;
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  // A fixed "now" (2025-01-01T00:00:00Z) keeps runs reproducible.
  const std::chrono::system_clock::time_point now{std::chrono::seconds(1'735'689'600)};
  const auto wait = pinwatch::ctlog::ParseRetryAfter(value, now);
  if (!wait) return 0;
  if (*wait < milliseconds(0) || *wait > milliseconds(86'400'000)) std::abort();
  const bool digits = !value.empty() && value.find_first_not_of("0123456789") == value.npos;
  if (digits) {
    // Saturating reference: any value with more than 5 significant digits is >= 1 day.
    uint64_t seconds = 0;
    for (char c : value) seconds = std::min<uint64_t>(seconds * 10 + (c - '0'), 86'400);
    if (*wait != milliseconds(seconds * 1000)) std::abort();
  } else if (value.size() != 29 || value.substr(25) != " GMT") {
    std::abort();
  }
  return 0;
}
