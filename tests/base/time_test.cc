#include "base/time.h"

#include <gtest/gtest.h>

namespace pinwatch {
namespace {

TEST(FormatRfc3339, KnownInstants) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(1767358621), "2026-01-02T12:57:01Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(1709164800), "2024-02-29T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(253402300799), "9999-12-31T23:59:59Z");
  EXPECT_EQ(FormatRfc3339(-2208988800), "1900-01-01T00:00:00Z");
}

// Every day of four centuries (every leap rule) goes through civil time and back.
TEST(CivilTime, RoundTripsEveryDayOfFourCenturies) {
  for (int64_t day = -146097; day < 146097; ++day) {
    const int64_t s = day * 86400 + 3723;  // 01:02:03 that day
    const CivilTime t = CivilTimeOf(s);
    ASSERT_EQ(UnixSecondsOf(t), s) << FormatRfc3339(s);
    ASSERT_EQ(ParseRfc3339Ms(FormatRfc3339(s)), s * 1000) << FormatRfc3339(s);
  }
}

TEST(UnixSecondsOf, RefusesOutOfRangeFields) {
  EXPECT_EQ(UnixSecondsOf({2023, 2, 29, 0, 0, 0}), std::nullopt);  // not a leap year
  EXPECT_EQ(UnixSecondsOf({1900, 2, 29, 0, 0, 0}), std::nullopt);  // century rule
  EXPECT_NE(UnixSecondsOf({2000, 2, 29, 0, 0, 0}), std::nullopt);  // 400-year rule
  EXPECT_EQ(UnixSecondsOf({2024, 13, 1, 0, 0, 0}), std::nullopt);
  EXPECT_EQ(UnixSecondsOf({2024, 0, 1, 0, 0, 0}), std::nullopt);
  EXPECT_EQ(UnixSecondsOf({2024, 4, 31, 0, 0, 0}), std::nullopt);
  EXPECT_EQ(UnixSecondsOf({2024, 1, 1, 24, 0, 0}), std::nullopt);
  EXPECT_EQ(UnixSecondsOf({2024, 1, 1, 0, 60, 0}), std::nullopt);
  EXPECT_EQ(UnixSecondsOf({2024, 1, 1, 0, 0, 60}), std::nullopt);  // no leap seconds
}

TEST(ParseRfc3339Ms, RefusesImpossibleDates) {
  EXPECT_EQ(ParseRfc3339Ms("2023-02-29T00:00:00Z"), std::nullopt);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-29T00:00:00Z"), 1709164800000);
}

}  // namespace
}  // namespace pinwatch

namespace pinwatch {
namespace {

TEST(ParseDurationMs, ReadsPrometheusDurations) {
  const std::pair<std::string_view, int64_t> cases[] = {
      {"0", 0},           {"30s", 30'000},       {"5m", 300'000},        {"1h", 3'600'000},
      {"1h30m", 5'400'000}, {"500ms", 500},      {"1m500ms", 60'500},    {"2d", 172'800'000},
      {"1w", 604'800'000}, {"1y", 31'536'000'000}, {"0s", 0},            {"1h0m5s", 3'605'000},
  };
  for (const auto& [text, ms] : cases) EXPECT_EQ(ParseDurationMs(text), ms) << text;
}

TEST(ParseDurationMs, RefusesWhatPrometheusRefuses) {
  for (std::string_view bad : {"", "30", "s", "-5s", "+5s", "1.5s", "5 s", " 5s", "5s ", "5S", "5sec", "1m1h",
                               "1s1s", "5mm", "1ms1s", "1x", "99999999999999999999s", "106751991168d"}) {
    EXPECT_EQ(ParseDurationMs(bad), std::nullopt) << bad;
  }
}

TEST(FormatDurationMs, WritesWhatParseReads) {
  EXPECT_EQ(FormatDurationMs(0), "0s");
  EXPECT_EQ(FormatDurationMs(60'000), "1m");
  EXPECT_EQ(FormatDurationMs(5'400'500), "1h30m500ms");
  for (int64_t ms : {int64_t{1}, int64_t{999}, int64_t{61'001}, int64_t{86'400'000} * 400}) {
    EXPECT_EQ(ParseDurationMs(FormatDurationMs(ms)), ms) << ms;
  }
}

}  // namespace
}  // namespace pinwatch

namespace pinwatch {
namespace {

TEST(FormatRfc3339Ms, WritesMilliseconds) {
  EXPECT_EQ(FormatRfc3339Ms(1'700'000'000'000), "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(FormatRfc3339Ms(1'700'000'000'007), "2023-11-14T22:13:20.007Z");
  EXPECT_EQ(FormatRfc3339Ms(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(ParseRfc3339Ms(FormatRfc3339Ms(1'735'689'600'123)), 1'735'689'600'123);
}

}  // namespace
}  // namespace pinwatch
