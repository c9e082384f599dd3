#include "ctlog/rfc6962_client.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "tests/ctlog/fake_clock.h"
#include "tests/support/test_http_server.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using pinwatch::testing::TestHttpServer;

std::string LeafText(uint64_t i) { return "leaf-" + std::to_string(i); }
std::string ExtraText(uint64_t i) { return "extra-" + std::to_string(i); }

// Fault is what the fake log does instead of a normal get-entries answer.
enum class Fault { k500, k429RetryAfter2, kZeroEntries, kTooMany, kTruncatedJson, kGarbageJson };

// FakeLog serves get-entries for a log of `tree_size` synthetic entries (leaf_input is
// "leaf-<i>", extra_data "extra-<i>"), answering at most `max_entries_per_answer` per
// request, with faults queued per requested start index.
class FakeLog {
 public:
  uint64_t tree_size = 1000;
  uint64_t max_entries_per_answer = 1000;

  void AddFault(uint64_t start, Fault f) {
    std::lock_guard<std::mutex> lock(mu_);
    faults_[start].push_back(f);
  }
  void AddFaultEveryTime(Fault f) {
    std::lock_guard<std::mutex> lock(mu_);
    always_ = f;
  }

  // HoldAnswerFor makes the (next) answer for `start` wait `hold` before it is sent, and
  // records how many requests arrived meanwhile.
  void HoldAnswerFor(uint64_t start, std::chrono::milliseconds hold) {
    std::lock_guard<std::mutex> lock(mu_);
    hold_start_ = start;
    hold_ = hold;
  }
  int requests_while_held() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_while_held_;
  }
  int max_concurrent() {
    std::lock_guard<std::mutex> lock(mu_);
    return max_concurrent_;
  }

  void Install(httplib::Server& svr) {
    svr.Get("/log/ct/v1/get-entries", [this](const httplib::Request& req, httplib::Response& res) {
      Serve(req, res);
    });
  }

 private:
  void Serve(const httplib::Request& req, httplib::Response& res) {
    const uint64_t start = std::stoull(req.get_param_value("start"));
    {
      std::unique_lock<std::mutex> lock(mu_);
      max_concurrent_ = std::max(max_concurrent_, ++concurrent_);
      if (held_) ++requests_while_held_;
      if (hold_start_ == start) {
        hold_start_.reset();
        held_ = true;
        ++requests_while_held_;
        // Not synchronisation: the client must stop issuing requests by itself while
        // this answer is outstanding; the hold only gives it the chance to misbehave.
        cv_.wait_for(lock, hold_);
        held_ = false;
      }
    }
    struct Leave {
      FakeLog* log;
      ~Leave() {
        std::lock_guard<std::mutex> lock(log->mu_);
        --log->concurrent_;
      }
    } leave{this};
    const uint64_t end_inclusive = std::stoull(req.get_param_value("end"));
    std::optional<Fault> fault;
    {
      std::lock_guard<std::mutex> lock(mu_);
      fault = always_;
      if (auto it = faults_.find(start); it != faults_.end() && !it->second.empty()) {
        fault = it->second.front();
        it->second.pop_front();
      }
    }
    uint64_t end_exclusive = std::min({end_inclusive + 1, start + max_entries_per_answer, tree_size});
    if (fault == Fault::k500) {
      res.status = 500;
      return;
    }
    if (fault == Fault::k429RetryAfter2) {
      res.status = 429;
      res.set_header("Retry-After", "2");
      return;
    }
    if (fault == Fault::kGarbageJson) {
      res.set_content("<html>Service temporarily unavailable</html>", "application/json");
      return;
    }
    if (fault == Fault::kZeroEntries) end_exclusive = start;
    if (fault == Fault::kTooMany) end_exclusive = end_inclusive + 2;
    std::string body = "{\"entries\":[";
    for (uint64_t i = start; i < end_exclusive; ++i) {
      if (i != start) body += ",";
      body += "{\"leaf_input\":\"" + Base64Encode(AsBytes(LeafText(i))) + "\",\"extra_data\":\"" +
              Base64Encode(AsBytes(ExtraText(i))) + "\"}";
    }
    body += "]}";
    if (fault == Fault::kTruncatedJson) body.resize(body.size() / 2);
    res.set_content(body, "application/json");
  }

  std::mutex mu_;
  std::condition_variable cv_;  // never notified: the hold ends by timeout
  std::map<uint64_t, std::deque<Fault>> faults_;
  std::optional<Fault> always_;
  std::optional<uint64_t> hold_start_;
  std::chrono::milliseconds hold_{0};
  bool held_ = false;
  int requests_while_held_ = 0;
  int concurrent_ = 0;
  int max_concurrent_ = 0;
};

class Rfc6962ClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_.Install(server_.server());
    server_.server().Get("/log/ct/v1/get-roots", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"certificates":["MAA=","MAMCAQE="]})", "application/json");
    });
    server_.server().Get("/log/ct/v1/get-sth", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(R"({"tree_size":1,"timestamp":2,"sha256_root_hash":"AA==")", "application/json");
    });
    server_.Start();
  }

  Rfc6962Client Client(uint64_t entries_per_request, size_t in_flight) {
    return Rfc6962Client(server_.url() + "/log/",
                         {.retry = {.max_attempts = 3, .base_delay_ms = 50, .max_delay_ms = 200},
                          .entries_per_request = entries_per_request,
                          .max_requests_in_flight = in_flight,
                          .clock = &clock_});
  }

  // Collect runs GetEntries and checks that every batch continues exactly where the last
  // one stopped and holds the right entries; returns the Status and the count delivered.
  Status Collect(Rfc6962Client& client, uint64_t start, uint64_t end_exclusive,
                 uint64_t* delivered_to) {
    *delivered_to = start;
    return client.GetEntries(start, end_exclusive,
                             [&](uint64_t first, std::span<const RawEntry> entries) -> Status {
                               EXPECT_EQ(first, *delivered_to);
                               EXPECT_FALSE(entries.empty());
                               for (size_t i = 0; i < entries.size(); ++i) {
                                 auto leaf = Base64Decode(entries[i].leaf_input_b64);
                                 auto extra = Base64Decode(entries[i].extra_data_b64);
                                 EXPECT_TRUE(leaf && extra);
                                 if (!leaf || !extra) continue;
                                 EXPECT_EQ(std::string(leaf->begin(), leaf->end()),
                                           LeafText(first + i));
                                 EXPECT_EQ(std::string(extra->begin(), extra->end()),
                                           ExtraText(first + i));
                               }
                               *delivered_to = first + entries.size();
                               return OkStatus();
                             });
  }

  FakeLog log_;
  TestHttpServer server_;
  FakeClock clock_;
};

TEST_F(Rfc6962ClientTest, ShortAnswerIsResumedWhereItStopped) {
  log_.max_entries_per_answer = 37;
  Rfc6962Client client = Client(100, 1);
  uint64_t delivered_to = 0;
  ASSERT_TRUE(Collect(client, 0, 100, &delivered_to).ok());
  EXPECT_EQ(delivered_to, 100u);
  EXPECT_EQ(server_.targets(),
            (std::vector<std::string>{"/log/ct/v1/get-entries?start=0&end=99",
                                      "/log/ct/v1/get-entries?start=37&end=99",
                                      "/log/ct/v1/get-entries?start=74&end=99"}));
  EXPECT_TRUE(clock_.sleeps.empty());
}

TEST_F(Rfc6962ClientTest, ManyInFlightWithShortAnswersDeliverInOrder) {
  log_.max_entries_per_answer = 37;
  Rfc6962Client client = Client(100, 4);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 5, 1000, &delivered_to);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered_to, 1000u);
  // Each 100-entry piece (the last holds 95) takes three answers of at most 37.
  EXPECT_EQ(server_.requests("/log/ct/v1/get-entries"), 30);
  EXPECT_LE(server_.connections(), 4u);
}

TEST_F(Rfc6962ClientTest, SlowHeadBoundsRequestsInFlightAndBuffered) {
  log_.HoldAnswerFor(0, milliseconds(500));
  Rfc6962Client client = Client(50, 3);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 1000, &delivered_to);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered_to, 1000u);
  // While the first answer was held: itself plus at most 2 * 3 - 1 answers to buffer.
  EXPECT_LE(log_.requests_while_held(), 6);
  EXPECT_GE(log_.requests_while_held(), 1);
  EXPECT_LE(log_.max_concurrent(), 3);
  EXPECT_EQ(server_.requests("/log/ct/v1/get-entries"), 20);
}

TEST_F(Rfc6962ClientTest, ServerErrorIsRetried) {
  log_.AddFault(200, Fault::k500);
  Rfc6962Client client = Client(100, 3);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 500, &delivered_to);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered_to, 500u);
  EXPECT_EQ(server_.requests("/log/ct/v1/get-entries"), 6);
  // One backoff of at most base_delay_ms; a jitter draw of 0 needs no sleep at all.
  EXPECT_LE(clock_.sleeps.size(), 1u);
  for (milliseconds d : clock_.sleeps) EXPECT_LE(d, milliseconds(50));
}

TEST_F(Rfc6962ClientTest, TooManyRequestsHonoursRetryAfter) {
  log_.AddFault(0, Fault::k429RetryAfter2);
  Rfc6962Client client = Client(100, 1);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 100, &delivered_to);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered_to, 100u);
  ASSERT_EQ(clock_.sleeps.size(), 1u);
  EXPECT_EQ(clock_.sleeps[0], milliseconds(2000));
}

TEST_F(Rfc6962ClientTest, DownloadGoesOnPastARetryWithinTheLookahead) {
  // The batch at 0 is told to wait 2 s; with one request in flight, how many later batches
  // are fetched before it is asked again is what retry_lookahead_bytes decides.
  auto batches_before_the_retry = [&](size_t lookahead_bytes) {
    log_.AddFault(0, Fault::k429RetryAfter2);
    const size_t before = server_.targets().size();
    Rfc6962Client client(server_.url() + "/log/",
                         {.retry = {.max_attempts = 3, .base_delay_ms = 50, .max_delay_ms = 200},
                          .entries_per_request = 10,
                          .max_requests_in_flight = 1,
                          .retry_lookahead_bytes = lookahead_bytes,
                          .clock = &clock_});
    uint64_t delivered_to = 0;
    Status s = Collect(client, 0, 200, &delivered_to);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_EQ(delivered_to, 200u);
    std::vector<std::string> targets = server_.targets();
    targets.erase(targets.begin(), targets.begin() + static_cast<std::ptrdiff_t>(before));
    auto retry = std::find(targets.begin() + 1, targets.end(), targets.front());
    EXPECT_NE(retry, targets.end());
    return retry - targets.begin() - 1;
  };
  EXPECT_EQ(batches_before_the_retry(kDefaultRetryLookaheadBytes), 19);  // all the rest
  EXPECT_EQ(batches_before_the_retry(0), 1);  // the plain window: 2 pieces
}

TEST_F(Rfc6962ClientTest, ZeroEntriesOnceIsRetried) {
  log_.AddFault(100, Fault::kZeroEntries);
  Rfc6962Client client = Client(100, 2);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 300, &delivered_to);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered_to, 300u);
  EXPECT_EQ(server_.requests("/log/ct/v1/get-entries"), 4);
}

TEST_F(Rfc6962ClientTest, ZeroEntriesAlwaysIsUnavailableAfterRetries) {
  log_.AddFaultEveryTime(Fault::kZeroEntries);
  Rfc6962Client client = Client(100, 1);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 100, &delivered_to);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("0 entries returned"), std::string::npos) << s.message();
  EXPECT_EQ(server_.requests("/log/ct/v1/get-entries"), 3);
  EXPECT_EQ(delivered_to, 0u);
}

TEST_F(Rfc6962ClientTest, MoreEntriesThanAskedIsMalformedAfterRetries) {
  log_.AddFaultEveryTime(Fault::kTooMany);
  Rfc6962Client client = Client(100, 1);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 100, &delivered_to);
  EXPECT_EQ(s.code(), Code::kMalformed) << s.ToString();
  EXPECT_EQ(server_.requests("/log/ct/v1/get-entries"), 3);
  EXPECT_EQ(delivered_to, 0u);
}

// A cut or garbled body may come from a cache or frontend: it is retried like a 5xx.
TEST_F(Rfc6962ClientTest, TruncatedJsonOnceIsRetried) {
  log_.AddFault(0, Fault::kTruncatedJson);
  Rfc6962Client client = Client(100, 1);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 100, &delivered_to);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered_to, 100u);
  EXPECT_EQ(server_.requests("/log/ct/v1/get-entries"), 2);
  // (No assertion on sleeps: full jitter may draw a zero delay, which needs no sleep.)
}

TEST_F(Rfc6962ClientTest, GarbageJsonOnceIsRetried) {
  log_.AddFault(100, Fault::kGarbageJson);
  Rfc6962Client client = Client(100, 1);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 300, &delivered_to);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(delivered_to, 300u);
}

// A log that keeps answering with garbage fails with kMalformed once the attempts are used up.
TEST_F(Rfc6962ClientTest, PersistentGarbageJsonIsMalformed) {
  log_.AddFaultEveryTime(Fault::kGarbageJson);
  Rfc6962Client client = Client(100, 1);
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 300, &delivered_to);
  EXPECT_EQ(s.code(), Code::kMalformed) << s.ToString();
  EXPECT_NE(s.message().find("invalid JSON"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("after 3 attempt(s)"), std::string::npos) << s.message();
  EXPECT_GE(server_.requests("/log/ct/v1/get-entries"), 3);
  EXPECT_EQ(delivered_to, 0u);
}

TEST_F(Rfc6962ClientTest, BodyOverCapIsMalformed) {
  Rfc6962Client client(server_.url() + "/log",
                       {.http = {.max_response_bytes = 500}, .entries_per_request = 100,
                        .clock = &clock_});
  uint64_t delivered_to = 0;
  Status s = Collect(client, 0, 100, &delivered_to);
  EXPECT_EQ(s.code(), Code::kMalformed) << s.ToString();
  EXPECT_EQ(server_.requests("/log/ct/v1/get-entries"), 1);
}

TEST_F(Rfc6962ClientTest, SinkErrorStopsAndIsReturned) {
  Rfc6962Client client = Client(100, 4);
  uint64_t calls = 0;
  Status s = client.GetEntries(0, 1000, [&](uint64_t first, std::span<const RawEntry>) {
    ++calls;
    return first >= 300 ? FailedPreconditionError("store is full") : OkStatus();
  });
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_EQ(s.message(), "store is full");
  EXPECT_EQ(calls, 4u);
}

TEST_F(Rfc6962ClientTest, EmptyAndInvertedRanges) {
  Rfc6962Client client = Client(100, 4);
  auto sink = [](uint64_t, std::span<const RawEntry>) {
    ADD_FAILURE() << "sink called";
    return OkStatus();
  };
  EXPECT_TRUE(client.GetEntries(7, 7, sink).ok());
  EXPECT_EQ(client.GetEntries(8, 7, sink).code(), Code::kInternal);
  EXPECT_EQ(server_.total_requests(), 0);
}

// The other methods, against real log answers from ../shared/testdata.
class Rfc6962ClientRealDataTest : public pinwatch::testing::TestdataTest {
 protected:
  void Serve(const std::string& path, const std::string& testdata_file) {
    std::string body = pinwatch::testing::ReadFileText(Path(testdata_file));
    server_.server().Get(path, [body](const httplib::Request&, httplib::Response& res) {
      res.set_content(body, "application/json");
    });
  }

  TestHttpServer server_;
  FakeClock clock_;
};

TEST_F(Rfc6962ClientRealDataTest, IcarusMethods) {
  Serve("/icarus/ct/v1/get-sth", "ct/rfc6962/icarus/get-sth_129596132.json");
  Serve("/icarus/ct/v1/get-sth-consistency",
        "ct/rfc6962/icarus/get-sth-consistency_129596132_129721434.json");
  Serve("/icarus/ct/v1/get-entry-and-proof",
        "ct/rfc6962/icarus/get-entry-and-proof_120000000_129721434.json");
  server_.Start();
  Rfc6962Client client(server_.url() + "/icarus/", {.clock = &clock_});

  Result<SignedTreeHead> sth = client.GetSth();
  ASSERT_TRUE(sth.ok()) << sth.status().ToString();
  EXPECT_EQ(sth->tree_size, 129596132u);

  Result<std::vector<Hash>> consistency = client.GetSthConsistency(129596132, 129721434);
  ASSERT_TRUE(consistency.ok()) << consistency.status().ToString();
  EXPECT_EQ(consistency->size(), 24u);

  Result<GetEntryAndProofResponse> entry = client.GetEntryAndProof(120000000, 129721434);
  ASSERT_TRUE(entry.ok()) << entry.status().ToString();
  EXPECT_EQ(entry->audit_path.size(), 27u);
  EXPECT_FALSE(entry->leaf_input.empty());

  EXPECT_EQ(server_.targets(),
            (std::vector<std::string>{
                "/icarus/ct/v1/get-sth",
                "/icarus/ct/v1/get-sth-consistency?first=129596132&second=129721434",
                "/icarus/ct/v1/get-entry-and-proof?leaf_index=120000000&tree_size=129721434"}));
}

TEST_F(Rfc6962ClientRealDataTest, ProofByHashEscapesTheHash) {
  Serve("/xenon/ct/v1/get-proof-by-hash", "ct/rfc6962/xenon2019/get-proof-by-hash_response.json");
  server_.Start();
  Rfc6962Client client(server_.url() + "/xenon", {.clock = &clock_});
  Hash leaf_hash{};
  leaf_hash[0] = 0xfb;  // base64 "+w..." needs escaping
  leaf_hash[1] = 0xff;
  Result<GetProofByHashResponse> proof = client.GetProofByHash(leaf_hash, 30);
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  EXPECT_EQ(proof->leaf_index, 10u);
  ASSERT_EQ(server_.targets().size(), 1u);
  EXPECT_EQ(server_.targets()[0],
            "/xenon/ct/v1/get-proof-by-hash?hash=%2B%2F8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA%3D"
            "&tree_size=30");
}

TEST_F(Rfc6962ClientTest, GetRootsAndPersistentlyMalformedSth) {
  Rfc6962Client client(server_.url() + "/log", {.retry = {.max_attempts = 2}, .clock = &clock_});
  auto roots = client.GetRoots();
  ASSERT_TRUE(roots.ok()) << roots.status().ToString();
  EXPECT_EQ(*roots, (std::vector<std::vector<uint8_t>>{{0x30, 0x00}, {0x30, 0x03, 0x02, 0x01, 0x01}}));
  Result<SignedTreeHead> sth = client.GetSth();
  EXPECT_EQ(sth.status().code(), Code::kMalformed);
  EXPECT_NE(sth.status().message().find("/log/ct/v1/get-sth: "), std::string::npos)
      << sth.status().message();
  EXPECT_EQ(server_.requests("/log/ct/v1/get-sth"), 2);  // retried, then given up
}

}  // namespace
}  // namespace pinwatch::ctlog
