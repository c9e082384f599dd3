#include "ctlog/retry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>

#include "tests/ctlog/fake_clock.h"
#include "tests/support/test_http_server.h"

namespace pinwatch::ctlog {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using pinwatch::testing::TestHttpServer;

TEST(ParseRetryAfter, DeltaSeconds) {
  FakeClock clock;
  EXPECT_EQ(ParseRetryAfter("0", clock.Now()), milliseconds(0));
  EXPECT_EQ(ParseRetryAfter("120", clock.Now()), milliseconds(120'000));
  // Clamped to a day so huge values cannot overflow.
  EXPECT_EQ(ParseRetryAfter("99999999999999999", clock.Now()), milliseconds(86'400'000));
}

TEST(ParseRetryAfter, ImfFixdate) {
  FakeClock clock;  // 2025-01-01T00:00:00Z, a Wednesday
  EXPECT_EQ(ParseRetryAfter("Wed, 01 Jan 2025 00:00:30 GMT", clock.Now()), milliseconds(30'000));
  EXPECT_EQ(ParseRetryAfter("Thu, 02 Jan 2025 00:00:00 GMT", clock.Now()),
            milliseconds(86'400'000));
  // A date in the past means "now".
  EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", clock.Now()), milliseconds(0));
}

TEST(ParseRetryAfter, RejectsOtherForms) {
  FakeClock clock;
  for (const char* bad : {"", "-1", "1.5", " 5", "5s", "Sunday, 06-Nov-94 08:49:37 GMT",
                          "Sun Nov  6 08:49:37 1994", "Wed, 01 Jan 2025 00:00:30 UTC",
                          "Wed, 32 Jan 2025 00:00:30 GMT", "Wed, 01 Foo 2025 00:00:30 GMT",
                          "Wed, 01 Jan 2025 25:00:30 GMT"}) {
    EXPECT_FALSE(ParseRetryAfter(bad, clock.Now()).has_value()) << bad;
  }
}

TEST(Backoff, FullJitterWithinExponentialCaps) {
  RetryPolicy policy{.max_attempts = 100, .base_delay_ms = 100, .max_delay_ms = 1000};
  for (uint64_t seed = 0; seed < 20; ++seed) {
    Backoff backoff(policy, seed);
    const int64_t caps[] = {100, 200, 400, 800, 1000, 1000, 1000};
    for (int64_t cap : caps) {
      auto d = backoff.NextDelay(UnavailableError("x"), std::nullopt);
      ASSERT_TRUE(d.has_value());
      EXPECT_GE(d->count(), 0);
      EXPECT_LE(d->count(), cap);
    }
  }
}

TEST(Backoff, JitterActuallyVaries) {
  RetryPolicy policy{.max_attempts = 100, .base_delay_ms = 10'000, .max_delay_ms = 10'000};
  Backoff backoff(policy, 42);
  auto first = backoff.NextDelay(UnavailableError("x"), std::nullopt);
  bool varied = false;
  for (int i = 0; i < 10; ++i) {
    if (backoff.NextDelay(UnavailableError("x"), std::nullopt) != first) varied = true;
  }
  EXPECT_TRUE(varied);
}

TEST(Backoff, RetriesOnlyUnavailable) {
  RetryPolicy policy;
  for (Code code : {Code::kMalformed, Code::kFailedPrecondition, Code::kInternal,
                    Code::kMisbehaviour, Code::kAborted}) {
    Backoff backoff(policy, 1);
    EXPECT_FALSE(backoff.NextDelay(Status(code, "x"), std::nullopt).has_value());
  }
}

TEST(Backoff, StopsAfterMaxAttempts) {
  Backoff backoff({.max_attempts = 3}, 1);
  EXPECT_TRUE(backoff.NextDelay(UnavailableError("x"), std::nullopt).has_value());
  EXPECT_TRUE(backoff.NextDelay(UnavailableError("x"), std::nullopt).has_value());
  EXPECT_FALSE(backoff.NextDelay(UnavailableError("x"), std::nullopt).has_value());
  EXPECT_EQ(backoff.attempts_failed(), 3);
}

TEST(Backoff, RetryAfterIsAFloorCappedByPolicy) {
  RetryPolicy policy{.base_delay_ms = 10, .max_delay_ms = 10, .max_retry_after_ms = 60'000};
  Backoff backoff(policy, 1);
  EXPECT_EQ(backoff.NextDelay(UnavailableError("429"), milliseconds(5'000)), milliseconds(5'000));
  EXPECT_EQ(backoff.NextDelay(UnavailableError("429"), milliseconds(3'600'000)),
            milliseconds(60'000));
}

class GetWithRetryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& svr = server_.server();
    svr.Get("/flaky", [this](const httplib::Request&, httplib::Response& res) {
      if (flaky_calls_++ == 0) {
        res.status = 500;
        res.set_content("oops", "text/plain");
        return;
      }
      res.set_content("ok", "text/plain");
    });
    svr.Get("/throttled", [this](const httplib::Request&, httplib::Response& res) {
      if (throttled_calls_++ == 0) {
        res.status = 429;
        res.set_header("Retry-After", "3");
        return;
      }
      res.set_content("ok", "text/plain");
    });
    svr.Get("/dated", [this](const httplib::Request&, httplib::Response& res) {
      if (dated_calls_++ == 0) {
        res.status = 503;
        res.set_header("Retry-After", "Wed, 01 Jan 2025 00:01:00 GMT");
        return;
      }
      res.set_content("ok", "text/plain");
    });
    svr.Get("/down", [](const httplib::Request&, httplib::Response& res) { res.status = 503; });
    svr.Get("/gone", [](const httplib::Request&, httplib::Response& res) { res.status = 404; });
    server_.Start();
  }

  std::atomic<int> flaky_calls_{0};
  std::atomic<int> throttled_calls_{0};
  std::atomic<int> dated_calls_{0};
  TestHttpServer server_;  // after what its handlers use, so it stops first
  net::HttpClient http_;
  FakeClock clock_;
  RetryPolicy policy_{.max_attempts = 4, .base_delay_ms = 100, .max_delay_ms = 1000};
};

TEST_F(GetWithRetryTest, ServerErrorThenSuccess) {
  Result<net::HttpResponse> r = GetWithRetry(http_, server_.url() + "/flaky", policy_, clock_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(server_.requests("/flaky"), 2);
  ASSERT_EQ(clock_.sleeps.size(), 1u);
  EXPECT_LE(clock_.sleeps[0], milliseconds(100));
}

TEST_F(GetWithRetryTest, HonoursRetryAfterSeconds) {
  Result<net::HttpResponse> r = GetWithRetry(http_, server_.url() + "/throttled", policy_, clock_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(server_.requests("/throttled"), 2);
  ASSERT_EQ(clock_.sleeps.size(), 1u);
  EXPECT_EQ(clock_.sleeps[0], milliseconds(3000));
}

TEST_F(GetWithRetryTest, HonoursRetryAfterDate) {
  Result<net::HttpResponse> r = GetWithRetry(http_, server_.url() + "/dated", policy_, clock_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(clock_.sleeps.size(), 1u);
  EXPECT_EQ(clock_.sleeps[0], milliseconds(60'000));  // fake clock starts at 00:00:00
}

TEST_F(GetWithRetryTest, GivesUpAfterMaxAttempts) {
  Result<net::HttpResponse> r = GetWithRetry(http_, server_.url() + "/down", policy_, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable);
  EXPECT_NE(r.status().message().find("after 4 attempt(s)"), std::string::npos)
      << r.status().message();
  EXPECT_EQ(server_.requests("/down"), 4);
  EXPECT_EQ(clock_.sleeps.size(), 3u);
}

TEST_F(GetWithRetryTest, DoesNotRetryClientErrors) {
  Result<net::HttpResponse> r = GetWithRetry(http_, server_.url() + "/gone", policy_, clock_);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(server_.requests("/gone"), 1);
  EXPECT_TRUE(clock_.sleeps.empty());
}

}  // namespace
}  // namespace pinwatch::ctlog
