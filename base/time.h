// Civil time in UTC for the formats pinwatch reads and writes: RFC 3339 date-times (log
// lists, reports, JSON output) and the calendar fields of X.509 validity times. One home,
// so every folder agrees on leap years and offsets. Pure and thread-safe; no time zones,
// no locale (gmtime/strftime are not used).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pinwatch {

// CivilTime is a proleptic Gregorian UTC date and time of day (no leap seconds).
struct CivilTime {
  int64_t year = 1970;
  int month = 1;   // 1..12
  int day = 1;     // 1..days in month
  int hour = 0;    // 0..23
  int minute = 0;  // 0..59
  int second = 0;  // 0..59
};

// UnixSecondsOf checks every field's range (the day against its month and leap years) and
// returns seconds since 1970-01-01T00:00:00Z; nullopt if a field is out of range.
std::optional<int64_t> UnixSecondsOf(const CivilTime& t);

// CivilTimeOf is the inverse, for any int64 second count whose year fits.
CivilTime CivilTimeOf(int64_t unix_seconds);

// FormatRfc3339 writes "YYYY-MM-DDTHH:MM:SSZ" (years 0..9999; outside, the year is written
// as is with a sign, which no RFC 3339 parser accepts: such times are not real).
std::string FormatRfc3339(int64_t unix_seconds);

// FormatRfc3339Ms writes Unix milliseconds as "YYYY-MM-DDTHH:MM:SS.mmmZ" (Alertmanager's
// startsAt/endsAt, log entry timestamps).
std::string FormatRfc3339Ms(int64_t unix_ms);

// UnixNowMs is the wall clock in milliseconds since the Unix epoch.
int64_t UnixNowMs();

// ParseRfc3339Ms converts an RFC 3339 §5.6 date-time to milliseconds since the Unix epoch.
// Accepted: "YYYY-MM-DDTHH:MM:SS[.F]Z" or with a "+HH:MM"/"-HH:MM" offset; "T"/"Z" may be
// lower case (RFC 3339 §5.6 NOTE); F is 1-9 digits, truncated to milliseconds; years
// 0000-9999; the calendar date must exist. Refused: leap second 60 (POSIX time has no slot for
// it; no log list uses it), missing seconds or offset, spaces, any trailing byte. Returns
// nullopt when refused.
std::optional<int64_t> ParseRfc3339Ms(std::string_view text);

// ParseDurationMs reads a duration as Prometheus writes it (model.ParseDuration): one or
// more "<digits><unit>" parts with units in falling order, each at most once: y (365 d),
// w, d, h, m, s, ms, e.g. "30s", "5m", "1h30m", "500ms"; or "0". Returns milliseconds, or
// nullopt for anything else (no sign, no spaces, no fractions, no unit twice or out of
// order) and for totals past INT64_MAX milliseconds.
std::optional<int64_t> ParseDurationMs(std::string_view text);

// FormatDurationMs writes milliseconds the way ParseDurationMs reads them, largest units
// first ("1h30m", "500ms", "0s"); weeks and years are not used, as Prometheus prints.
std::string FormatDurationMs(int64_t ms);

}  // namespace pinwatch
