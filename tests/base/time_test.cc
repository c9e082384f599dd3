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
