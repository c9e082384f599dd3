// ctscan against hostile logs (issue 13 item 2): a log that answers with bodies built to
// exhaust memory (unbounded JSON nesting or values, NUL bytes, with or without a length,
// endless) must make the scan fail with a message naming the body limit or the JSON
// problem, while the scanner's peak memory stays within a bound derived from the client's
// body limits, not from the size of the hostile body. ctsim plays the hostile log
// (hostile_body, hostile_path, hostile_bytes, hostile_chunked and extra_entries faults).
//
// Before the fix, the same bodies took a scanner to 120 MB (endless NUL bytes on get-sth)
// up to 2.13 GB (64 MB of "[" on get-entries); every bound below is far under that.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "ctlog/checkpoint.h"
#include "ctlog/rfc6962_json.h"
#include "tests/support/child_process.h"
#include "tests/support/sim_process.h"

namespace pinwatch {
namespace {

using testing::CommandResult;
using testing::PeakRss;
using testing::RunCommand;
using testing::RunOptions;
using testing::SimProcess;

// The log: enough entries that get-entries keeps every request slot busy (8 batches).
constexpr uint64_t kTreeSize = 2048;
// ctscan's request shape, passed as flags so that the bound follows from it.
constexpr uint64_t kBatchEntries = 256;   // --batch
constexpr size_t kRequestsInFlight = 4;   // --in-flight
// kBodyCopiesPerRequest: a body arrives into a std::string that doubles its capacity as it
// grows, so one request holds at most twice its body limit (the old buffer is freed).
constexpr size_t kBodyCopiesPerRequest = 2;
// kQuarantineMiB: ASan keeps freed memory in a quarantine (256 MiB by default), where it
// stays resident; the child runs with this much so a freed body does not count for long.
constexpr int kQuarantineMiB = 16;
// kAllocatorSlackBytes: the quarantine, plus 8 MiB for curl's buffers and the allocator's
// own rounding and metadata.
constexpr size_t kAllocatorSlackBytes = (size_t{kQuarantineMiB} + 8) << 20;

// HostileCase is one hostile log: its faults, the client's limit for the body it hits, and
// how many such bodies can be in flight at once.
struct HostileCase {
  const char* name;        // the test's name
  const char* desc;
  const char* api;         // ctscan --api
  const char* faults_json; // POST /sim/faults
  size_t body_limit_bytes;
  size_t bodies_in_flight; // get-sth and checkpoints are fetched alone, entries kRequestsInFlight at a time
  const char* want_error;  // in ctscan's stderr
};

// The limits of ctlog (rfc6962_json.h, checkpoint.h); static-ct data tiles share get-entries'.
const size_t kEntriesLimit = ctlog::GetEntriesBodyLimit(kBatchEntries);  // 8 MiB
constexpr size_t kSthLimit = ctlog::kMaxTreeHeadResponseBytes;           // 64 KiB
constexpr size_t kNoteLimit = ctlog::kMaxNoteBytes;                      // 1 MiB

std::string Exceeds(size_t limit) {
  // A body over its limit is final (after 1 attempt): retrying would fetch the same bytes.
  return "response body exceeds " + std::to_string(limit) + " bytes (after 1 attempt(s))";
}

const std::vector<HostileCase>& Cases() {
  static const std::vector<HostileCase> cases = {
      {"nesting_64MiB_get_entries", "{\"entries\": then 64 MiB of [ with a Content-Length", "rfc6962",
       R"({"hostile_body":"nesting","hostile_bytes":67108864})", kEntriesLimit, kRequestsInFlight, nullptr},
      {"values_64MiB_get_entries", "{\"entries\":[ then 64 MiB of 0, with a Content-Length", "rfc6962",
       R"({"hostile_body":"values","hostile_bytes":67108864})", kEntriesLimit, kRequestsInFlight, nullptr},
      {"nesting_endless_chunked_get_entries", "{\"entries\": then [ without end or length", "rfc6962",
       R"({"hostile_body":"nesting"})", kEntriesLimit, kRequestsInFlight, nullptr},
      {"nesting_64MiB_get_sth", "64 MiB of nesting for a tree head", "rfc6962",
       R"({"hostile_body":"nesting","hostile_bytes":67108864,"hostile_path":"/ct/v1/get-sth"})", kSthLimit, 1,
       nullptr},
      {"zeros_endless_chunked_get_sth", "NUL bytes without end or length for a tree head", "rfc6962",
       R"({"hostile_body":"zeros","hostile_path":"/ct/v1/get-sth"})", kSthLimit, 1, nullptr},
      // Under the limit: the body arrives whole, and the get-entries reader must stop at the
      // first value that is not an entry (it builds no DOM), retried like any bad body.
      {"nesting_7MiB_get_entries", "7 MiB of nesting, under the 8 MiB limit", "rfc6962",
       R"({"hostile_body":"nesting","hostile_bytes":7340032})", kEntriesLimit, kRequestsInFlight,
       "get-entries: entries[0]: not an object"},
      {"values_7MiB_get_entries", "7 MiB of values, under the 8 MiB limit", "rfc6962",
       R"({"hostile_body":"values","hostile_bytes":7340032})", kEntriesLimit, kRequestsInFlight,
       "get-entries: entries[0]: not an object"},
      // Under get-sth's 64 KiB: the bounded DOM must refuse the depth.
      {"nesting_60KiB_get_sth", "60,000 bytes of nesting, under the 64 KiB limit", "rfc6962",
       R"({"hostile_body":"nesting","hostile_bytes":60000,"hostile_path":"/ct/v1/get-sth"})", kSthLimit, 1,
       "get-sth: nested deeper than 32 levels"},
      {"extra_entries_get_entries", "get-entries answers one entry more than asked", "rfc6962",
       R"({"extra_entries":1})", kEntriesLimit, kRequestsInFlight,
       "get-entries: more than the 256 entries asked for"},
      {"zeros_endless_chunked_data_tiles", "static-ct-api data tiles of NUL bytes without end", "static-ct",
       R"({"hostile_body":"zeros","hostile_path":"/tile/data/"})", kEntriesLimit, kRequestsInFlight, nullptr},
      {"zeros_endless_chunked_checkpoint", "a checkpoint of NUL bytes without end", "static-ct",
       R"({"hostile_body":"zeros","hostile_path":"/checkpoint"})", kNoteLimit, 1, nullptr},
  };
  return cases;
}

std::string CtscanPath() { return std::string(PINWATCH_BIN_DIR) + "/monitor/ctscan"; }

// ChildAsanOptions keeps what the caller's ASAN_OPTIONS say and sets the quarantine
// (later options win); leak checking is off because a failed scan exits without cleanup.
std::string ChildAsanOptions() {
  const char* inherited = std::getenv("ASAN_OPTIONS");
  std::string options = inherited != nullptr ? std::string(inherited) + ":" : "";
  return "ASAN_OPTIONS=" + options + "quarantine_size_mb=" + std::to_string(kQuarantineMiB) + ":detect_leaks=0";
}

class HostileLogTest : public ::testing::TestWithParam<HostileCase> {
 protected:
  static void SetUpTestSuite() {
    auto sim = SimProcess::Start({"--entries", std::to_string(kTreeSize), "--threads", "1"});
    ASSERT_TRUE(sim.ok()) << sim.status().ToString();
    sim_ = std::move(*sim);
  }
  static void TearDownTestSuite() { sim_.reset(); }

  // Ctscan scans the whole log once, as a child whose own peak RSS is measured.
  static CommandResult Ctscan(const std::string& api) {
    auto r = RunCommand({CtscanPath(), "--url", sim_->url(), "--key", sim_->dir() + "/pubkey.pem", "--api", api,
                         "--batch", std::to_string(kBatchEntries), "--in-flight", std::to_string(kRequestsInFlight)},
                        {ChildAsanOptions()}, {.peak_rss = PeakRss::kCommandsOwn});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(*r) : CommandResult{};
  }

  static inline std::unique_ptr<SimProcess> sim_;  // one log for every case; faults reset per case
};

TEST_P(HostileLogTest, ScanFailsNamingTheProblemWithinTheMemoryBound) {
  const HostileCase& c = GetParam();
  SCOPED_TRACE(c.desc);
  ASSERT_NE(sim_, nullptr);

  // The baseline: an honest scan of the same log, over the same API.
  ASSERT_TRUE(sim_->Post("/sim/faults", "{}").ok());
  const CommandResult honest = Ctscan(c.api);
  ASSERT_EQ(honest.exit_code, 0) << honest.out << honest.err;
  ASSERT_NE(honest.out.find("verified     tree_size " + std::to_string(kTreeSize)), std::string::npos) << honest.out;
  ASSERT_GT(honest.max_rss_kib, 0);

  ASSERT_TRUE(sim_->Post("/sim/faults", c.faults_json).ok());
  const auto start = std::chrono::steady_clock::now();
  const CommandResult hostile = Ctscan(c.api);  // it ends: the test's own timeout covers a hang
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(sim_->Post("/sim/faults", "{}").ok());

  EXPECT_EQ(hostile.exit_code, 1) << hostile.out << hostile.err;  // 1: an error, the scan did not finish
  const std::string want_error = c.want_error != nullptr ? c.want_error : Exceeds(c.body_limit_bytes);
  EXPECT_NE(hostile.err.find(want_error), std::string::npos) << "want \"" << want_error << "\" in:\n" << hostile.err;

  // The bound: the honest peak, plus every body that can be in flight at its limit (twice,
  // see kBodyCopiesPerRequest), plus the allocator's slack.
  const int64_t bound_kib =
      honest.max_rss_kib +
      static_cast<int64_t>((c.bodies_in_flight * c.body_limit_bytes * kBodyCopiesPerRequest + kAllocatorSlackBytes) >> 10);
  EXPECT_GT(hostile.max_rss_kib, 0);
  EXPECT_LE(hostile.max_rss_kib, bound_kib) << "baseline " << honest.max_rss_kib << " KiB";
  std::printf("[ hostile  ] %-36s baseline %7lld KiB  peak %7lld KiB  bound %7lld KiB  %5.2f s\n", c.name,
              static_cast<long long>(honest.max_rss_kib), static_cast<long long>(hostile.max_rss_kib),
              static_cast<long long>(bound_kib), seconds);
}

INSTANTIATE_TEST_SUITE_P(HostileBodies, HostileLogTest, ::testing::ValuesIn(Cases()),
                         [](const ::testing::TestParamInfo<HostileCase>& info) { return std::string(info.param.name); });

// The measurement the bounds rest on: RunCommand's PeakRss::kCommandsOwn reports the
// command's own peak, not this (large, ASan) test process's.
TEST(HostilePeakRssTest, CommandsOwnPeakExcludesTheCaller) {
  constexpr size_t kHeldBytes = size_t{128} << 20;
  std::vector<char> held(kHeldBytes, 1);  // written, so resident
  auto direct = RunCommand({"/bin/true"});
  auto own = RunCommand({"/bin/true"}, {}, {.peak_rss = PeakRss::kCommandsOwn});
  ASSERT_TRUE(direct.ok() && own.ok());
  EXPECT_EQ(held.back(), 1);
  // Linux's accounting, the reason for kCommandsOwn (if a kernel ever stops charging the
  // caller's memory, this line fails and kCommandsOwn is merely unnecessary).
  EXPECT_GE(direct->max_rss_kib, static_cast<int64_t>(kHeldBytes >> 10));
  EXPECT_LT(own->max_rss_kib, static_cast<int64_t>(kHeldBytes >> 10));
  std::printf("[ peak rss ] /bin/true: %lld KiB spawned directly, %lld KiB spawned from a fresh copy\n",
              static_cast<long long>(direct->max_rss_kib), static_cast<long long>(own->max_rss_kib));

  // Through the spawner, the rest of RunCommand is as without it.
  const RunOptions options{.peak_rss = PeakRss::kCommandsOwn};
  auto outputs = RunCommand({"/bin/sh", "-c", "echo out; echo \"err $V\" >&2; exit 3"}, {"V=v"}, options);
  ASSERT_TRUE(outputs.ok()) << outputs.status().ToString();
  EXPECT_EQ(outputs->exit_code, 3);
  EXPECT_EQ(outputs->out, "out\n");
  EXPECT_EQ(outputs->err, "err v\n");
  auto killed = RunCommand({"/bin/sh", "-c", "kill -TERM $$"}, {}, options);
  ASSERT_TRUE(killed.ok());
  EXPECT_EQ(killed->exit_code, 128 + 15);
  EXPECT_EQ(RunCommand({"/nonexistent/program"}, {}, options).status().code(), Code::kInternal);
  EXPECT_EQ(RunCommand({"/nonexistent/program"}).status().code(), Code::kInternal);
}

}  // namespace
}  // namespace pinwatch
