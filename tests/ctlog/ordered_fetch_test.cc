// FetchInOrder through a toy policy: what the two log clients cannot show (their policies
// never break the contract, never fail mid-range in piece_end, and never 404 a fallback).
// Ordering, windows, retries and short answers are covered by rfc6962_client_test.cc and
// static_client_test.cc.
#include "ctlog/ordered_fetch.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace pinwatch::ctlog
