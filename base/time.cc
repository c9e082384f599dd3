#include "base/time.h"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iterator>

namespace pinwatch {
namespace {

constexpr int64_t kSecondsPerDay = 86400;

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month - 1] + (month == 2 && IsLeap(year) ? 1 : 0);
}

// DaysFromCivil and CivilFromDays: days since 1970-01-01 of a proleptic Gregorian date and
// back (H. Hinnant's algorithms, exact over the whole int64 day range used here).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void CivilFromDays(int64_t z, CivilTime& out) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  out.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  out.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  out.year = yoe + era * 400 + (out.month <= 2);
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

}  // namespace

std::optional<int64_t> UnixSecondsOf(const CivilTime& t) {
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > DaysInMonth(t.year, t.month) || t.hour < 0 ||
      t.hour > 23 || t.minute < 0 || t.minute > 59 || t.second < 0 || t.second > 59) {
    return std::nullopt;
  }
  return DaysFromCivil(t.year, t.month, t.day) * kSecondsPerDay + t.hour * 3600 + t.minute * 60 + t.second;
}

CivilTime CivilTimeOf(int64_t unix_seconds) {
  CivilTime t;
  const int64_t days = FloorDiv(unix_seconds, kSecondsPerDay);
  const int64_t rest = unix_seconds - days * kSecondsPerDay;
  CivilFromDays(days, t);
  t.hour = static_cast<int>(rest / 3600);
  t.minute = static_cast<int>(rest / 60 % 60);
  t.second = static_cast<int>(rest % 60);
  return t;
}

std::string FormatRfc3339(int64_t unix_seconds) {
  const CivilTime t = CivilTimeOf(unix_seconds);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02dZ", static_cast<long long>(t.year), t.month,
                t.day, t.hour, t.minute, t.second);
  return buf;
}

std::optional<int64_t> ParseRfc3339Ms(std::string_view text) {
  size_t pos = 0;
  // digits reads exactly n ASCII digits.
  auto digits = [&](size_t n) -> std::optional<int> {
    if (n > text.size() - pos) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
      char c = text[pos + i];
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
  };
  auto literal = [&](char lower_or_symbol, char upper) {
    if (pos >= text.size() || (text[pos] != lower_or_symbol && text[pos] != upper)) return false;
    ++pos;
    return true;
  };
  // full-date = date-fullyear "-" date-month "-" date-mday
  auto year = digits(4);
  if (!year || !literal('-', '-')) return std::nullopt;
  auto month = digits(2);
  if (!month || !literal('-', '-')) return std::nullopt;
  auto day = digits(2);
  // "T" (or "t", RFC 3339 §5.6 NOTE)
  if (!day || !literal('t', 'T')) return std::nullopt;
  // partial-time = time-hour ":" time-minute ":" time-second [time-secfrac]
  auto hour = digits(2);
  if (!hour || !literal(':', ':')) return std::nullopt;
  auto minute = digits(2);
  if (!minute || !literal(':', ':')) return std::nullopt;
  auto second = digits(2);
  if (!second) return std::nullopt;
  // time-secfrac = "." 1*DIGIT (we take up to 9 digits and keep milliseconds)
  int64_t millis = 0;
  if (literal('.', '.')) {
    size_t start = pos;
    while (pos < text.size() && pos - start < 9 && text[pos] >= '0' && text[pos] <= '9') {
      if (pos - start < 3) millis = millis * 10 + (text[pos] - '0');
      ++pos;
    }
    size_t n = pos - start;
    if (n == 0) return std::nullopt;
    for (size_t i = n; i < 3; ++i) millis *= 10;
  }
  // time-offset = "Z" / time-numoffset;  time-numoffset = ("+" / "-") time-hour ":" time-minute
  int64_t offset_minutes = 0;
  if (!literal('z', 'Z')) {
    if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return std::nullopt;
    int sign = text[pos] == '+' ? 1 : -1;
    ++pos;
    auto off_h = digits(2);
    if (!off_h || !literal(':', ':')) return std::nullopt;
    auto off_m = digits(2);
    if (!off_m || *off_h > 23 || *off_m > 59) return std::nullopt;
    offset_minutes = sign * (*off_h * 60 + *off_m);
  }
  if (pos != text.size()) return std::nullopt;

  std::optional<int64_t> seconds = UnixSecondsOf({*year, *month, *day, *hour, *minute, *second});
  if (!seconds) return std::nullopt;
  return (*seconds - offset_minutes * 60) * 1000 + millis;
}

std::optional<int64_t> ParseDurationMs(std::string_view text) {
  if (text == "0") return 0;
  // Units in the order they must appear; "ms" is tried before "m" at each position.
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000}, {"w", 7LL * 24 * 3600 * 1000},
                                    {"d", 24LL * 3600 * 1000},       {"h", 3600LL * 1000},
                                    {"m", 60LL * 1000},              {"s", 1000},
                                    {"ms", 1}};
  if (text.empty()) return std::nullopt;
  int64_t total = 0;
  size_t next_unit = 0;  // units before this one were used or skipped
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    const size_t digits_start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      if (n > (INT64_MAX - 9) / 10) return std::nullopt;
      n = n * 10 + (text[i] - '0');
      ++i;
    }
    if (i == digits_start) return std::nullopt;
    // The unit: "ms" wins over "m" when both could match.
    std::optional<size_t> found;
    const std::string_view rest = text.substr(i);
    for (size_t u = next_unit; u < std::size(kUnits); ++u) {
      const std::string_view name = kUnits[u].name;
      if (!rest.starts_with(name)) continue;
      if (name == "m" && rest.starts_with("ms")) continue;
      found = u;
      break;
    }
    if (!found) return std::nullopt;
    if (n > INT64_MAX / kUnits[*found].ms) return std::nullopt;
    const int64_t part = n * kUnits[*found].ms;
    if (part > INT64_MAX - total) return std::nullopt;
    total += part;
    i += kUnits[*found].name.size();
    next_unit = *found + 1;
  }
  return total;
}

std::string FormatDurationMs(int64_t ms) {
  if (ms <= 0) return "0s";
  std::string out;
  const auto part = [&](int64_t unit_ms, const char* name) {
    if (ms >= unit_ms) {
      out += std::to_string(ms / unit_ms) + name;
      ms %= unit_ms;
    }
  };
  part(24LL * 3600 * 1000, "d");
  part(3600LL * 1000, "h");
  part(60LL * 1000, "m");
  part(1000, "s");
  part(1, "ms");
  return out;
}

std::string FormatRfc3339Ms(int64_t unix_ms) {
  const int64_t s = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;  // floor
  std::string text = FormatRfc3339(s);
  char frac[8];
  std::snprintf(frac, sizeof frac, ".%03d", static_cast<int>(unix_ms - s * 1000));
  text.insert(text.size() - 1, frac);
  return text;
}

int64_t UnixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace pinwatch
