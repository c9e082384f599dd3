// FetchInOrder through a toy policy: what the two log clients cannot show (their policies
// never break the contract, never fail mid-range in piece_end, and never 404 a fallback).
// Ordering, windows, retries and short answers are covered by rfc6962_client_test.cc and
// static_client_test.cc.
#include "ctlog/ordered_fetch.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "tests/ctlog/fake_clock.h"
#include "tests/support/test_http_server.h"

namespace pinwatch::ctlog {
namespace {

using testing::FakeClock;
using pinwatch::testing::TestHttpServer;

// Units are numbers; /u/<start> answers "<start>", /missing/<start> answers 404.
class OrderedFetchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_.server().Get(R"(/u/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(req.matches[1].str(), "text/plain");
    });
    server_.Start();
  }

  // Policy returns one-unit pieces under /u/<start>, each accepted whole.
  FetchPolicy<std::string> Policy(std::vector<uint64_t>& delivered) {
    return {
        .piece_end = [](uint64_t start) -> Result<uint64_t> { return start + 1; },
        .url = [this](const FetchPiece& p) {
          return server_.url() + "/u/" + std::to_string(p.start);
        },
        .judge = [](const FetchPiece& p, const std::string&,
                    std::string&& body) -> Result<AcceptedPiece<std::string>> {
          return AcceptedPiece<std::string>{
              .answer = std::make_unique<std::string>(std::move(body)), .covered_end = p.start + 1};
        },
        .deliver = [&delivered](uint64_t start, const std::string& body) {
          EXPECT_EQ(body, std::to_string(start));
          delivered.push_back(start);
          return OkStatus();
        },
    };
  }

  Status Fetch(uint64_t start, uint64_t end_exclusive, const FetchPolicy<std::string>& policy,
               size_t max_in_flight = 1) {
    return FetchInOrder(http_, clock_,
                        {.retry = {.max_attempts = 3, .base_delay_ms = 50, .max_delay_ms = 200},
                         .max_in_flight = max_in_flight},
                        start, end_exclusive, policy);
  }

  TestHttpServer server_;
  net::HttpClient http_;
  FakeClock clock_;
};

TEST_F(OrderedFetchTest, DeliversEveryUnitInOrder) {
  std::vector<uint64_t> delivered;
  Status s = Fetch(5, 12, Policy(delivered), 3);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered, (std::vector<uint64_t>{5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(http_.in_flight(), 0u);
}

TEST_F(OrderedFetchTest, PieceEndErrorMidRangeIsReturnedUnchangedAfterEarlierUnits) {
  std::vector<uint64_t> delivered;
  FetchPolicy<std::string> policy = Policy(delivered);
  policy.piece_end = [](uint64_t start) -> Result<uint64_t> {
    if (start == 3) return FailedPreconditionError("no unit 3");
    return start + 1;
  };
  // One request at a time: piece 3 is planned only after 0..2 were delivered.
  Status s = Fetch(0, 6, policy);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "no unit 3");
  EXPECT_EQ(delivered, (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(server_.total_requests(), 3);
}

TEST_F(OrderedFetchTest, PolicyThatBreaksItsContractIsInternal) {
  std::vector<uint64_t> delivered;
  FetchPolicy<std::string> beyond_range = Policy(delivered);
  beyond_range.piece_end = [](uint64_t start) -> Result<uint64_t> { return start + 2; };
  EXPECT_EQ(Fetch(0, 3, beyond_range).code(), Code::kInternal);  // [2, 4) leaves [0, 3)

  FetchPolicy<std::string> empty_piece = Policy(delivered);
  empty_piece.piece_end = [](uint64_t start) -> Result<uint64_t> { return start; };
  EXPECT_EQ(Fetch(0, 3, empty_piece).code(), Code::kInternal);

  FetchPolicy<std::string> covers_too_much = Policy(delivered);
  covers_too_much.judge = [](const FetchPiece& p, const std::string&,
                             std::string&& body) -> Result<AcceptedPiece<std::string>> {
    return AcceptedPiece<std::string>{.answer = std::make_unique<std::string>(std::move(body)),
                                      .covered_end = p.end_exclusive + 1};
  };
  EXPECT_EQ(Fetch(0, 3, covers_too_much).code(), Code::kInternal);

  EXPECT_EQ(Fetch(3, 2, Policy(delivered)).code(), Code::kInternal);
  // beyond_range: [0, 2) is answered short (one unit), its rest [1, 2) is asked and
  // delivered, and only then is [2, 4) refused.
  EXPECT_EQ(delivered, (std::vector<uint64_t>{0, 1}));
  EXPECT_EQ(http_.in_flight(), 0u);
}

TEST_F(OrderedFetchTest, FallbackIsAskedOnceAndItsFailureIsFinal) {
  std::vector<uint64_t> delivered;
  FetchPolicy<std::string> policy = Policy(delivered);
  policy.url = [this](const FetchPiece& p) {
    return server_.url() + (p.url == PieceUrl::kPrimary ? "/missing/" : "/also-missing/") +
           std::to_string(p.start);
  };
  policy.has_fallback = [](const FetchPiece&) { return true; };
  Status s = Fetch(7, 8, policy);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("/also-missing/7"), std::string::npos) << s.message();
  EXPECT_EQ(server_.targets(), (std::vector<std::string>{"/missing/7", "/also-missing/7"}));
  EXPECT_TRUE(clock_.sleeps.empty());
  EXPECT_TRUE(delivered.empty());
}

TEST_F(OrderedFetchTest, PersistentJudgeErrorKeepsItsCodeAfterAllAttempts) {
  std::vector<uint64_t> delivered;
  FetchPolicy<std::string> policy = Policy(delivered);
  policy.judge = [](const FetchPiece&, const std::string& url,
                    std::string&&) -> Result<AcceptedPiece<std::string>> {
    return MisbehaviourError(url + ": does not add up");
  };
  Status s = Fetch(0, 1, policy);
  EXPECT_EQ(s.code(), Code::kMisbehaviour) << s.ToString();
  EXPECT_NE(s.message().find("/u/0: does not add up (after 3 attempt(s))"), std::string::npos)
      << s.message();
  EXPECT_EQ(server_.requests("/u/0"), 3);
}

TEST_F(OrderedFetchTest, WindowGrowsWhileAPieceWaitsOutItsRetryWithinAByteBudget) {
  // Unit 0 is told to come back in a second (429, Retry-After: 1: a delay no jitter draw
  // can shorten to nothing). With one request in flight the window is 2 pieces while
  // nothing waits, and while unit 0 waits it grows to 64 as long as the answers buffered
  // are under the budget: the fetch goes on behind unit 0 instead of stalling after unit 2.
  auto targets_with_budget = [&](size_t budget) {
    std::vector<uint64_t> delivered;
    FetchPolicy<std::string> policy = Policy(delivered);
    TestHttpServer server;  // a fresh one, so that each budget's requests are its own
    bool told_to_wait = false;
    server.server().Get(R"(/u/(\d+))", [&](const httplib::Request& req, httplib::Response& res) {
      if (req.matches[1].str() == "0" && !told_to_wait) {
        told_to_wait = true;
        res.status = 429;
        res.set_header("Retry-After", "1");
        return;
      }
      res.set_content(req.matches[1].str(), "text/plain");
    });
    server.Start();
    policy.url = [&](const FetchPiece& p) { return server.url() + "/u/" + std::to_string(p.start); };
    net::HttpClient http;  // closed before `server` stops, which then need not wait for it
    FakeClock clock;
    Status s = FetchInOrder(http, clock,
                            {.retry = {.max_attempts = 3, .base_delay_ms = 50, .max_delay_ms = 200},
                             .max_in_flight = 1,
                             .retry_lookahead_bytes = budget},
                            0, 80, policy);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(delivered.size(), 80u);
    EXPECT_EQ(clock.sleeps.size(), 1u);  // one wait, for unit 0's retry
    return server.targets();
  };
  auto expected = [](uint64_t fetched_behind_0) {
    std::vector<std::string> t = {"/u/0"};
    for (uint64_t i = 1; i <= fetched_behind_0; ++i) t.push_back("/u/" + std::to_string(i));
    t.push_back("/u/0");
    for (uint64_t i = fetched_behind_0 + 1; i < 80; ++i) t.push_back("/u/" + std::to_string(i));
    return t;
  };
  // Unit 0 waiting and 63 behind it fill the grown window.
  EXPECT_EQ(targets_with_budget(1 << 20), expected(63));
  // Bodies "1", "2", ... are a byte each: with a budget of 5 bytes it stops growing once
  // units 1..5 are buffered (and the plain window of 2 is long full).
  EXPECT_EQ(targets_with_budget(5), expected(5));
  // No budget, no growth: the plain window, unit 0 waiting and unit 1 buffered.
  EXPECT_EQ(targets_with_budget(0), expected(1));
}

// RunningClock moves 900 ms forward at every reading; `nows` counts the readings (one or
// two per turn of the fetch loop).
class RunningClock final : public Clock {
 public:
  std::chrono::system_clock::time_point Now() override {
    return std::chrono::system_clock::time_point{} + std::chrono::milliseconds(900 * ++nows);
  }
  void SleepFor(std::chrono::milliseconds) override { ++nows; }
  std::atomic<int64_t> nows{0};
};

TEST_F(OrderedFetchTest, ADueRetryWithEverySlotBusyWaitsForACompletionInsteadOfSpinning) {
  // Unit 0 is told to come back in a second (429, Retry-After: 1). At the next reading of
  // the clock, the top of the loop, that is 100 ms away, so the single slot goes to unit 1,
  // which the server holds; at every reading after, unit 0's retry is due. With the slot
  // busy it cannot start, so the loop must sleep in Wait until unit 1 completes. The old
  // loop woke at once for the due retry, over and over: the server lets unit 1 go once the
  // clock was read 10,000 times, or after 300 ms.
  RunningClock clock;
  std::mutex mu;
  std::condition_variable never;
  int asked_0 = 0;
  server_.server().Get("/r/0", [&](const httplib::Request&, httplib::Response& res) {
    if (asked_0++ == 0) {
      res.status = 429;
      res.set_header("Retry-After", "1");
      return;
    }
    res.set_content("0", "text/plain");
  });
  server_.server().Get("/slow/1", [&](const httplib::Request&, httplib::Response& res) {
    std::unique_lock<std::mutex> lock(mu);
    never.wait_for(lock, std::chrono::milliseconds(300), [&] { return clock.nows > 10'000; });
    res.set_content("1", "text/plain");
  });
  std::vector<uint64_t> delivered;
  FetchPolicy<std::string> policy = Policy(delivered);
  policy.url = [&](const FetchPiece& p) {
    return server_.url() + (p.start == 0 ? "/r/" : p.start == 1 ? "/slow/" : "/u/") +
           std::to_string(p.start);
  };
  Status s = FetchInOrder(http_, clock, {.retry = {.max_attempts = 3, .base_delay_ms = 1, .max_delay_ms = 1},
                                         .max_in_flight = 1},
                          0, 3, policy);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered, (std::vector<uint64_t>{0, 1, 2}));
  EXPECT_EQ(server_.targets(), (std::vector<std::string>{"/r/0", "/slow/1", "/r/0", "/u/2"}));
  EXPECT_LT(clock.nows, 1'000) << "the fetch loop spun while its one slot was busy";
}

}  // namespace
}  // namespace pinwatch::ctlog
