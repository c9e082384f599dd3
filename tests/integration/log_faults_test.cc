// Hostile and faulty logs in a real `pinwatch run --once`, each beside a healthy log
// (issue 19): one data-driven test. Each case starts two ctsim logs over the same API, a
// faulty one (its faults below) and a healthy one, each with planted certificates, and
// checks the faulty log's outcome and that the healthy one still reached its head with
// exactly its findings:
//   retried    the faults are retried; the log reaches its head, every plant found once
//   failed     the run says what failed (exit 1; `status` keeps the error); entries
//              [0, position) were read and none skipped: every plant below the position is
//              found once and nothing beyond it; nothing is verified
//   misbehaved one log_misbehaviour finding of the expected kind (exit 3)
//
// Issue 19's list, and the tests that prove each item (this file: LogFaults/…):
//
// | the log                                        | test                                                          |
// |------------------------------------------------|---------------------------------------------------------------|
// | endless or huge bodies                         | hostile_log_test.cc HostileBodies/HostileLogTest.* (ctscan's  |
// |                                                |   peak memory bounded, 11 bodies); here endless_get_entries,  |
// |                                                |   endless_checkpoint, endless_data_tiles (others go on)       |
// | JSON nested deeper than any real answer        | HostileBodies/…nesting_*; rfc6962_json_test.cc; here          |
// |                                                |   nested_get_sth                                              |
// | more entries than asked                        | HostileBodies/…extra_entries_get_entries; rfc6962_client_test |
// |                                                |   MoreEntriesThanAskedIsMalformedAfterRetries; here           |
// |                                                |   extra_entries                                               |
// | a byte every few seconds (low-speed limit)     | daemon_faults_test.cc SlowLogIsReportedAtOnceAndSigtermEnds-  |
// |                                                |   ItsTransfers (the other log reaches its head meanwhile),   |
// |                                                |   SigtermEndsRunOnceBehindASlowLog                            |
// | a trickle above that limit (total deadline)    | here trickle_past_the_deadline                                |
// | tiles that lie about sizes                     | scan_test.cc StaticTiles.TilesThatLieAboutTheirWidthFailNam-  |
// |                                                |   ingIt, BothApis/ScanTest.LyingTreeHeadsAreRefusedAndNoEn-   |
// |                                                |   tryIsSkipped; tree_range_test.cc StaticHashTiles.* (hash    |
// |                                                |   tiles, start: end); static_client_test.cc; here             |
// |                                                |   checkpoint_beyond_its_tiles, sth_beyond_its_entries,        |
// |                                                |   tiles_one_short                                             |
// | tree heads from the future                     | sth_test.cc CheckTreeHeadBounds.*; ScanTest.LyingTreeHeads…;  |
// |                                                |   here head_from_tomorrow_*                                   |
// | tree sizes beyond 2^63                         | the same; here size_2_63_*                                    |
// | 429 storms with Retry-After                    | here rate_limited_retry_after_*; daemon_test.cc               |
// |                                                |   FailingLogsDoNotStopTheOthers; retry_test.cc                |
// | 5xx bursts                                     | here server_errors; scan_test.cc TransientFaultsAreRetried    |
// | short batches                                  | here short_batches; rfc6962_client_test ShortAnswer…          |
// | truncated and garbage bodies                   | here truncated_bodies, garbage_bodies; scan_test.cc           |
// | bad signatures                                 | daemon_faults_test.cc BadTreeHeadSignatureOnAFreshDatabase…   |
// |                                                |   (both APIs, a healthy log beside); scan_test.cc             |
// | forks                                          | here fork_*; scan_test.cc ForkIsMisbehaviour                  |
// | tampered entries                               | here tampered_entry_*; scan_test.cc TamperedEntryIs…          |
// | wrong root, a log that has gone away           | daemon_test.cc FailingLogsDoNotStopTheOthers,                 |
// |                                                |   WrongRootIsRecordedAsMisbehaviourAndNothingIsTrusted        |
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <map>
#include <set>
#include <string>

#include "tests/integration/daemon_fixture.h"

namespace pinwatch {
namespace {

enum class Outcome { kRetried, kFailed, kMisbehaved };

struct LogFaultCase {
  const char* name;
  const char* api;     // ctsim --log-list-api: "rfc6962" or "static"
  // The faulty log's faults (ctsim --faults). "TOMORROW_MS" is replaced by now + 1 day.
  const char* faults;
  Outcome outcome;
  // kRetried, kFailed: in the run's stderr (kFailed: also in `status`'s last_error);
  // kMisbehaved: the evidence's misbehaviour kind. nullptr: nothing to look for.
  const char* want;
  const char* logs_yaml = "";    // logs: keys for this case (both logs)
  bool after_clean_run = false;  // the faults start after a first, clean run
};

// The faulty log: 3000 entries, plants early and late (a failure after the first tiles or
// batches leaves the late one unread; a skipped entry would show as a missing early one).
constexpr uint64_t kFaultySize = 3000;
const std::map<uint64_t, std::string> kFaultyPlants = {{100, "100:x509:rogue:key-f:early.mybank.test"},
                                                       {2900, "2900:precert:rogue:key-g:late.mybank.test"}};
constexpr uint64_t kHealthySize = 3000;
const std::map<uint64_t, std::string> kHealthyPlants = {{200, "200:x509:rogue:key-h:fine.mybank.test"},
                                                        {2800, "2800:precert:rogue:key-i:also.mybank.test"}};

// The trickle case: 50 bytes/s is above no low-speed limit (off) but a get-sth answer
// (about 250 bytes) takes 5 s, beyond the 3 s deadline of every attempt.
constexpr char kDeadlineYaml[] = "  request_timeout_ms: 3000\n  low_speed_bytes_per_s: 0\n";

const LogFaultCase kCases[] = {
    // Transient faults: retried to the head.
    {"rate_limited_retry_after_rfc6962", "rfc6962", R"({"http_429_every":5,"retry_after_s":1})", Outcome::kRetried,
     "(Retry-After: 1)"},
    {"rate_limited_retry_after_static", "static", R"({"http_429_every":5,"retry_after_s":1})", Outcome::kRetried,
     "(Retry-After: 1)"},
    {"server_errors", "static", R"({"http_500_every":5})", Outcome::kRetried, "HTTP 500"},
    {"short_batches", "rfc6962", R"({"short_batch_entries":37})", Outcome::kRetried, nullptr},
    {"truncated_bodies", "rfc6962", R"({"truncate_every":5})", Outcome::kRetried, "retrying in"},
    {"garbage_bodies", "static", R"({"garbage_every":5})", Outcome::kRetried, "retrying in"},
    // Hostile answers: bounded, then the log fails this run.
    {"endless_get_entries", "rfc6962", R"({"hostile_body":"zeros"})", Outcome::kFailed, "response body exceeds"},
    {"nested_get_sth", "rfc6962", R"({"hostile_body":"nesting","hostile_bytes":60000,"hostile_path":"/ct/v1/get-sth"})",
     Outcome::kFailed, "nested deeper than 32 levels"},
    {"extra_entries", "rfc6962", R"({"extra_entries":1})", Outcome::kFailed, "more than the 256 entries asked for"},
    {"endless_checkpoint", "static", R"({"hostile_body":"zeros","hostile_path":"/checkpoint"})", Outcome::kFailed,
     "response body exceeds 1048576 bytes"},
    {"endless_data_tiles", "static", R"({"hostile_body":"zeros","hostile_path":"/tile/data/"})", Outcome::kFailed,
     "response body exceeds"},
    {"trickle_past_the_deadline", "rfc6962", R"({"trickle_ms":20})", Outcome::kFailed, "timed out", kDeadlineYaml},
    // Heads that lie.
    {"size_2_63_rfc6962", "rfc6962", R"({"head_tree_size":9223372036854775808})", Outcome::kFailed,
     "tree_size is beyond 9223372036854775807"},
    {"size_2_63_static", "static", R"({"head_tree_size":9223372036854775808})", Outcome::kFailed,
     "tree_size is beyond 1099511627776"},
    {"head_from_tomorrow_rfc6962", "rfc6962", R"({"head_timestamp_ms":TOMORROW_MS})", Outcome::kFailed,
     "s in the future"},
    {"head_from_tomorrow_static", "static", R"({"head_timestamp_ms":TOMORROW_MS})", Outcome::kFailed,
     "s in the future"},
    {"sth_beyond_its_entries", "rfc6962", R"({"head_tree_size":3300})", Outcome::kFailed, "HTTP 400"},
    // 3300 = 12 full tiles + 228: tile 11 is full in the claimed tree, partial in the true one.
    {"checkpoint_beyond_its_tiles", "static", R"({"head_tree_size":3300})", Outcome::kFailed,
     "tile/data/011: HTTP 404"},
    // (Tiles 0-10 are full, tile 11 partial: whichever fails first names itself.)
    {"tiles_one_short", "static", R"({"tile_width_delta":-1})", Outcome::kFailed, "data tile holds"},
    // Misbehaviour.
    {"tampered_entry_rfc6962", "rfc6962", R"({"tamper_index":1500})", Outcome::kMisbehaved, "root_mismatch"},
    {"tampered_entry_static", "static", R"({"tamper_index":1500})", Outcome::kMisbehaved, "root_mismatch"},
    {"fork_rfc6962", "rfc6962", R"({"fork":true})", Outcome::kMisbehaved, "forked_tree_head", "", true},
    {"fork_static", "static", R"({"fork":true})", Outcome::kMisbehaved, "forked_tree_head", "", true},
};

std::string FaultsOf(const LogFaultCase& c) {
  std::string faults = c.faults;
  const std::string placeholder = "TOMORROW_MS";
  if (size_t at = faults.find(placeholder); at != std::string::npos) {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const int64_t tomorrow_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count() + 86'400'000;
    faults.replace(at, placeholder.size(), std::to_string(tomorrow_ms));
  }
  return faults;
}

std::vector<std::string> SimArgs(const std::string& seed, const char* api, uint64_t entries,
                                 const std::map<uint64_t, std::string>& plants) {
  std::vector<std::string> args = {"--entries", std::to_string(entries), "--seed", seed, "--log-list-api", api};
  for (const auto& [index, plant] : plants) args.insert(args.end(), {"--plant", plant});
  return args;
}

// FindingsOfLog returns Summary() of every certificate finding with an entry in `log_id`,
// and counts its log_misbehaviour findings by evidence kind.
struct LogFindings {
  std::multiset<std::string> certificates;
  std::multiset<std::string> misbehaviour_kinds;
  size_t verified_entries = 0, unverified_entries = 0;
};
LogFindings FindingsOfLog(const rapidjson::Document& findings, const std::string& log_id) {
  LogFindings out;
  for (const auto& f : findings.GetArray()) {
    if (std::string(f["kind"].GetString()) == "log_misbehaviour") {
      if (f["log_id"].GetString() == log_id) out.misbehaviour_kinds.insert(f["evidence"]["misbehaviour"].GetString());
      continue;
    }
    for (const auto& e : f["entries"].GetArray()) {
      if (e["log_id"].GetString() != log_id) continue;
      out.certificates.insert(std::string(f["kind"].GetString()) + " " + std::to_string(e["index"].GetUint64()));
      ++(e["verified"].GetBool() ? out.verified_entries : out.unverified_entries);
    }
  }
  return out;
}

// PlantFindings is what FindingsOfLog says of plants below `end_exclusive`: no watch entry
// allows an issuer or holds a key, so each is an unexpected_key.
std::multiset<std::string> PlantFindings(const std::map<uint64_t, std::string>& plants, uint64_t end_exclusive) {
  std::multiset<std::string> out;
  for (const auto& [index, plant] : plants) {
    if (index < end_exclusive) out.insert("unexpected_key " + std::to_string(index));
  }
  return out;
}

class LogFaultsTest : public DaemonTest, public ::testing::WithParamInterface<LogFaultCase> {};

TEST_P(LogFaultsTest, TheFaultyLogGetsItsOutcomeAndTheHealthyOneItsHead) {
  const LogFaultCase& c = GetParam();
  std::vector<std::string> faulty_args = SimArgs(std::string("faulty-") + c.name, c.api, kFaultySize, kFaultyPlants);
  if (!c.after_clean_run) faulty_args.insert(faulty_args.end(), {"--faults", FaultsOf(c)});
  auto faulty = SimProcess::Start(faulty_args);
  ASSERT_TRUE(faulty.ok()) << faulty.status().ToString();
  auto healthy = SimProcess::Start(SimArgs(std::string("healthy-") + c.name, c.api, kHealthySize, kHealthyPlants));
  ASSERT_TRUE(healthy.ok()) << healthy.status().ToString();
  const std::string config = WriteConfig(c.name, NewDatabase(c.name), {(*faulty)->LogListPath(), (*healthy)->LogListPath()},
                                         "  - name: mybank.test\n    include_subdomains: true\n", "", "0", c.logs_yaml);
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);

  CommandResult run;
  if (c.after_clean_run) {
    // A fork needs a verified head to contradict: one clean run first. ctsim then serves
    // the true head and the forked one in turn, so one of the next two runs sees the fork.
    ASSERT_EQ(Pinwatch(config, {"run", "--once"}).exit_code, 0);
    ASSERT_TRUE((*faulty)->Post("/sim/faults", FaultsOf(c)).ok());
    for (int attempt = 0; attempt < 2; ++attempt) {
      run = Pinwatch(config, {"run", "--once"});
      if (run.exit_code != 0) break;
    }
  } else {
    run = Pinwatch(config, {"run", "--once"});
  }
  const int want_exit = c.outcome == Outcome::kRetried ? 0 : c.outcome == Outcome::kFailed ? 1 : 3;
  EXPECT_EQ(run.exit_code, want_exit) << run.err;
  const char* want_summary = c.outcome == Outcome::kRetried  ? "logs: 2 caught up, 0 failed, 0 misbehaving"
                             : c.outcome == Outcome::kFailed ? "logs: 1 caught up, 1 failed, 0 misbehaving"
                                                             : "logs: 1 caught up, 0 failed, 1 misbehaving";
  EXPECT_NE(run.err.find(want_summary), std::string::npos) << run.err;
  if (c.want != nullptr && c.outcome != Outcome::kMisbehaved) {
    EXPECT_NE(run.err.find(c.want), std::string::npos) << "want \"" << c.want << "\" in:\n" << run.err;
  }

  // Where each log stands.
  CommandResult status = Pinwatch(config, {"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  rapidjson::Document st;
  st.Parse(status.out.c_str());
  ASSERT_TRUE(st.IsArray() && st.Size() == 2) << status.out;
  const std::string faulty_id = LogIdOf(**faulty), healthy_id = LogIdOf(**healthy);
  const rapidjson::Value* faulty_row = nullptr;
  for (const auto& log : st.GetArray()) {
    if (log["log_id"].GetString() == healthy_id) {
      EXPECT_EQ(log["position"].GetUint64(), kHealthySize) << status.out;
      EXPECT_EQ(log["verified_tree_size"].GetUint64(), kHealthySize) << status.out;
    } else {
      faulty_row = &log;
    }
  }
  ASSERT_NE(faulty_row, nullptr) << status.out;

  rapidjson::Document findings = FindingsJson(config);
  const LogFindings healthy_found = FindingsOfLog(findings, healthy_id);
  EXPECT_EQ(healthy_found.certificates, PlantFindings(kHealthyPlants, kHealthySize));
  EXPECT_EQ(healthy_found.unverified_entries, 0u);
  EXPECT_TRUE(healthy_found.misbehaviour_kinds.empty());

  const LogFindings faulty_found = FindingsOfLog(findings, faulty_id);
  switch (c.outcome) {
    case Outcome::kRetried:
      EXPECT_EQ((*faulty_row)["position"].GetUint64(), kFaultySize) << status.out;
      EXPECT_EQ((*faulty_row)["verified_tree_size"].GetUint64(), kFaultySize) << status.out;
      EXPECT_EQ(faulty_found.certificates, PlantFindings(kFaultyPlants, kFaultySize));
      EXPECT_EQ(faulty_found.unverified_entries, 0u);
      EXPECT_TRUE(faulty_found.misbehaviour_kinds.empty());
      break;
    case Outcome::kFailed: {
      // A log refused at its first head was never started (no position).
      const uint64_t position = (*faulty_row)["position"].IsUint64() ? (*faulty_row)["position"].GetUint64() : 0;
      EXPECT_LE(position, kFaultySize) << status.out;
      EXPECT_EQ((*faulty_row)["verified_tree_size"].GetUint64(), 0u) << status.out;
      ASSERT_TRUE((*faulty_row)["last_error"].IsString()) << status.out;
      EXPECT_NE(std::string((*faulty_row)["last_error"].GetString()).find(c.want), std::string::npos) << status.out;
      EXPECT_EQ(faulty_found.certificates, PlantFindings(kFaultyPlants, position)) << "position " << position;
      EXPECT_TRUE(faulty_found.misbehaviour_kinds.empty());
      break;
    }
    case Outcome::kMisbehaved:
      EXPECT_EQ(faulty_found.misbehaviour_kinds, std::multiset<std::string>{c.want});
      // What was found is found once, and only a head that held before the lie verifies it.
      if (c.after_clean_run) {
        EXPECT_EQ(faulty_found.unverified_entries, 0u);
        EXPECT_EQ(faulty_found.certificates, PlantFindings(kFaultyPlants, kFaultySize));
        EXPECT_EQ((*faulty_row)["verified_tree_size"].GetUint64(), kFaultySize) << status.out;
      } else {
        // Entries committed before the root check stay (unverified); each plant at most once.
        EXPECT_EQ(faulty_found.verified_entries, 0u);
        const std::multiset<std::string> all = PlantFindings(kFaultyPlants, kFaultySize);
        for (const std::string& f : faulty_found.certificates) {
          EXPECT_EQ(faulty_found.certificates.count(f), 1u) << f;
          EXPECT_EQ(all.count(f), 1u) << f;
        }
        EXPECT_EQ((*faulty_row)["position"].GetUint64(), 0u) << "rewound to the verified size: " << status.out;
        EXPECT_EQ((*faulty_row)["verified_tree_size"].GetUint64(), 0u) << status.out;
      }
      ASSERT_TRUE((*faulty_row)["last_error"].IsString()) << status.out;
      EXPECT_NE(std::string((*faulty_row)["last_error"].GetString()).find(c.want), std::string::npos) << status.out;
      break;
  }
}

INSTANTIATE_TEST_SUITE_P(LogFaults, LogFaultsTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<LogFaultCase>& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace pinwatch
