#include "ctlog/loglist.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing::ReadFileBytes;
using testing::ReadFileText;
using testing::TestdataTest;

// ---------------------------------------------------------------------------------------
// RFC 3339 times.

TEST(ParseRfc3339Ms, AcceptsTheFormsTheListsUse) {
  EXPECT_EQ(ParseRfc3339Ms("1970-01-01T00:00:00Z"), 0);
  // Values computed independently with Python's datetime.
  EXPECT_EQ(ParseRfc3339Ms("2026-01-02T12:57:01Z"), 1767358621000);
  EXPECT_EQ(ParseRfc3339Ms("2025-09-18T17:20:00Z"), 1758216000000);
  EXPECT_EQ(ParseRfc3339Ms("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(ParseRfc3339Ms("2024-02-29T00:00:00Z"), 1709164800000);  // leap day
}

TEST(ParseRfc3339Ms, FractionsAndOffsets) {
  EXPECT_EQ(ParseRfc3339Ms("2025-09-18T17:20:00.5Z"), 1758216000500);
  EXPECT_EQ(ParseRfc3339Ms("2025-09-18T17:20:00.123Z"), 1758216000123);
  EXPECT_EQ(ParseRfc3339Ms("2025-09-18T17:20:00.123999999Z"), 1758216000123);  // truncated
  EXPECT_EQ(ParseRfc3339Ms("2025-09-18T19:20:00+02:00"), 1758216000000);
  EXPECT_EQ(ParseRfc3339Ms("2025-09-18T12:50:00-04:30"), 1758216000000);
  EXPECT_EQ(ParseRfc3339Ms("2025-09-18t17:20:00z"), 1758216000000);  // RFC 3339 §5.6 NOTE
}

TEST(ParseRfc3339Ms, RefusesEverythingElse) {
  for (const char* bad : {
           "", "2025-09-18", "2025-09-18T17:20Z", "2025-09-18T17:20:00", "2025-09-18 17:20:00Z",
           "2025-09-18T17:20:00Z ", " 2025-09-18T17:20:00Z", "2025-09-18T17:20:00.Z",
           "2025-09-18T17:20:00.1234567890Z", "2025-02-29T00:00:00Z", "2025-13-01T00:00:00Z",
           "2025-00-01T00:00:00Z", "2025-04-31T00:00:00Z", "2025-01-01T24:00:00Z",
           "2025-01-01T00:60:00Z", "2016-12-31T23:59:60Z", "2025-01-01T00:00:00+24:00",
           "2025-01-01T00:00:00+0100", "+2025-01-01T00:00:00Z", "2025-1-01T00:00:00Z",
           "2025-01-01T00:00:00UTC", "２０２５-01-01T00:00:00Z"}) {
    EXPECT_EQ(ParseRfc3339Ms(bad), std::nullopt) << bad;
  }
}

// ---------------------------------------------------------------------------------------
// The real lists against expected.json.

class LogListData : public TestdataTest {
 protected:
  static std::filesystem::path ListPath(const std::string& file) { return Path("ct/loglist/" + file); }
  static Result<LogList> ParseFile(const std::string& file) {
    std::vector<uint8_t> bytes = ReadFileBytes(ListPath(file));
    return ParseLogList(bytes, file);
  }
  static rapidjson::Document ReadJson(const std::string& file) {
    rapidjson::Document doc;
    doc.Parse(ReadFileText(ListPath(file)).c_str());
    EXPECT_FALSE(doc.HasParseError()) << file;
    return doc;
  }
  // Expected timestamps are RFC 3339 strings; the converter itself is tested above.
  static int64_t Ms(const rapidjson::Value& v) {
    auto ms = ParseRfc3339Ms(v.GetString());
    EXPECT_TRUE(ms.has_value()) << v.GetString();
    return ms.value_or(0);
  }
};

TEST_F(LogListData, EveryListMatchesExpectedJson) {
  rapidjson::Document expected = ReadJson("expected.json");
  ASSERT_TRUE(expected.HasMember("lists"));
  int lists_checked = 0;
  for (const auto& want : expected["lists"].GetArray()) {
    const std::string file = want["file"].GetString();
    SCOPED_TRACE(file);
    auto list = ParseFile(file);
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    ++lists_checked;
    EXPECT_EQ(list->name, file);
    EXPECT_EQ(list->version, std::optional<std::string>(want["version"].GetString()));
    if (want.HasMember("log_list_timestamp")) {
      EXPECT_EQ(list->log_list_timestamp_ms, Ms(want["log_list_timestamp"]));
    } else {
      EXPECT_EQ(list->log_list_timestamp_ms, std::nullopt);  // Apple's list has none
    }
    ASSERT_EQ(list->operators.size(), want["num_operators"].GetUint());

    size_t num_logs = 0, num_tiled = 0;
    std::map<std::string, int> want_states, got_states;
    for (size_t i = 0; i < list->operators.size(); ++i) {
      const Operator& op = list->operators[i];
      const auto& want_op = want["operators"][static_cast<rapidjson::SizeType>(i)];
      SCOPED_TRACE(op.name);
      EXPECT_EQ(op.name, want_op["name"].GetString());
      std::vector<std::string> want_email;
      for (const auto& e : want_op["email"].GetArray()) want_email.push_back(e.GetString());
      EXPECT_EQ(op.email, want_email);
      ASSERT_EQ(op.logs.size(), want_op["num_logs"].GetUint());
      ASSERT_EQ(op.tiled_logs.size(), want_op["num_tiled_logs"].GetUint());
      num_logs += op.logs.size();
      num_tiled += op.tiled_logs.size();

      // expected.json lists each operator's "logs" then its "tiled_logs", with a "kind".
      std::vector<const Log*> logs;
      for (const Log& l : op.logs) logs.push_back(&l);
      for (const Log& l : op.tiled_logs) logs.push_back(&l);
      const auto& want_logs = want_op["logs"];
      ASSERT_EQ(logs.size(), want_logs.Size());
      for (size_t j = 0; j < logs.size(); ++j) {
        const Log& log = *logs[j];
        const auto& w = want_logs[static_cast<rapidjson::SizeType>(j)];
        SCOPED_TRACE(w["description"].GetString());
        EXPECT_EQ(log.description, w["description"].GetString());
        EXPECT_EQ(Base64Encode(log.log_id), w["log_id"].GetString());
        EXPECT_TRUE(w["log_id_equals_sha256_of_key"].GetBool());
        EXPECT_EQ(Sha256Of(log.key), log.log_id);
        EXPECT_EQ(log.mmd_seconds, w["mmd"].GetUint64());
        EXPECT_EQ(log.list_names, std::vector<std::string>{file});
        const std::string kind = w["kind"].GetString();
        if (kind == "rfc6962") {
          EXPECT_EQ(log.api, LogApi::kRfc6962);
          EXPECT_EQ(log.submission_url, w["url"].GetString());
          EXPECT_EQ(log.monitoring_url, w["url"].GetString());
        } else {
          ASSERT_EQ(kind, "static-ct-api");
          EXPECT_EQ(log.api, LogApi::kStaticCt);
          EXPECT_EQ(log.submission_url, w["submission_url"].GetString());
          EXPECT_EQ(log.monitoring_url, w["monitoring_url"].GetString());
        }
        if (w["state"].IsNull()) {
          EXPECT_EQ(log.state, std::nullopt);
        } else {
          want_states[w["state"].GetString()]++;
          ASSERT_TRUE(log.state.has_value());
          got_states[std::string(LogStateName(log.state->state))]++;
          EXPECT_EQ(LogStateName(log.state->state), w["state"].GetString());
          EXPECT_EQ(log.state->timestamp_ms, Ms(w["state_timestamp"]));
        }
        if (w.HasMember("final_tree_head")) {
          ASSERT_TRUE(log.state && log.state->final_tree_head);
          EXPECT_EQ(log.state->final_tree_head->tree_size, w["final_tree_head"]["tree_size"].GetUint64());
          EXPECT_EQ(Base64Encode(log.state->final_tree_head->sha256_root_hash),
                    w["final_tree_head"]["sha256_root_hash"].GetString());
        } else {
          EXPECT_FALSE(log.state && log.state->final_tree_head);
        }
        if (w.HasMember("temporal_interval")) {
          ASSERT_TRUE(log.temporal_interval.has_value());
          EXPECT_EQ(log.temporal_interval->start_inclusive_ms, Ms(w["temporal_interval"]["start_inclusive"]));
          EXPECT_EQ(log.temporal_interval->end_exclusive_ms, Ms(w["temporal_interval"]["end_exclusive"]));
        } else {
          EXPECT_EQ(log.temporal_interval, std::nullopt);
        }
        if (w.HasMember("log_type")) {
          const std::string type = w["log_type"].GetString();
          EXPECT_EQ(log.log_type, type == "test"              ? LogType::kTest
                                  : type == "prod"            ? LogType::kProd
                                  : type == "monitoring_only" ? LogType::kMonitoringOnly
                                                              : LogType::kOther);
        } else {
          EXPECT_EQ(log.log_type, std::nullopt);
        }
      }
    }
    EXPECT_EQ(num_logs, want["num_logs"].GetUint());
    EXPECT_EQ(num_tiled, want["num_tiled_logs"].GetUint());
    EXPECT_EQ(got_states, want_states);
    EXPECT_TRUE(want["log_id_mismatches"].Empty());
  }
  EXPECT_EQ(lists_checked, 4);
}

TEST_F(LogListData, HeadlineFacts) {
  // A few facts spelled out, so a reader sees what the data holds without expected.json.
  auto google = ParseFile("google_log_list_v3.json");
  ASSERT_TRUE(google.ok()) << google.status().ToString();
  EXPECT_EQ(google->version, "80.14");
  EXPECT_EQ(google->log_list_timestamp_ms, 1767358621000);  // 2026-01-02T12:57:01Z
  const Log& argon = google->operators[0].logs[0];
  EXPECT_EQ(argon.description, "Google 'Argon2025h2' log");
  EXPECT_EQ(Base64Encode(argon.log_id), "EvFONL1TckyEBhnDjz96E/jntWKHiJxtMAWE6+WGJjo=");
  EXPECT_EQ(argon.monitoring_url, "https://ct.googleapis.com/logs/us1/argon2025h2/");

  auto apple = ParseFile("apple_current_log_list.json");
  ASSERT_TRUE(apple.ok()) << apple.status().ToString();
  EXPECT_EQ(apple->version, "511");
  EXPECT_EQ(apple->log_list_timestamp_ms, std::nullopt);
}

TEST_F(LogListData, OldListWithoutTiledLogsParses) {
  rapidjson::Document raw = ReadJson("google_log_list_v3_2022-09-20.json");
  for (const auto& op : raw["operators"].GetArray()) EXPECT_FALSE(op.HasMember("tiled_logs"));
  auto list = ParseFile("google_log_list_v3_2022-09-20.json");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->version, "12.6");
  size_t logs = 0;
  for (const Operator& op : list->operators) {
    EXPECT_TRUE(op.tiled_logs.empty());
    logs += op.logs.size();
  }
  EXPECT_EQ(logs, 29u);
}

// ---------------------------------------------------------------------------------------
// Union and selection.

// RawLogIds reads every log id straight from the JSON text, without ParseLogList.
std::set<std::string> RawLogIds(const rapidjson::Document& doc) {
  std::set<std::string> ids;
  for (const auto& op : doc["operators"].GetArray()) {
    for (const char* kind : {"logs", "tiled_logs"}) {
      if (!op.HasMember(kind)) continue;
      for (const auto& log : op[kind].GetArray()) ids.insert(log["log_id"].GetString());
    }
  }
  return ids;
}

const Log* FindLog(const std::vector<Log>& logs, const std::string& log_id_b64) {
  for (const Log& l : logs) {
    if (Base64Encode(l.log_id) == log_id_b64) return &l;
  }
  return nullptr;
}

TEST_F(LogListData, UnionOfGoogleAndAppleIsTheUnionOfLogIds) {
  std::set<std::string> google_ids = RawLogIds(ReadJson("google_log_list_v3.json"));
  std::set<std::string> apple_ids = RawLogIds(ReadJson("apple_current_log_list.json"));
  std::set<std::string> all = google_ids;
  all.insert(apple_ids.begin(), apple_ids.end());
  size_t in_both = google_ids.size() + apple_ids.size() - all.size();
  ASSERT_GT(in_both, 0u);  // otherwise the merge rules below are untested

  auto google = ParseFile("google_log_list_v3.json");
  auto apple = ParseFile("apple_current_log_list.json");
  ASSERT_TRUE(google.ok() && apple.ok());
  std::vector<LogList> lists = {*google, *apple};
  auto merged = UnionOfLists(lists);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->size(), all.size());

  std::set<std::string> merged_ids;
  size_t listed_twice = 0;
  for (const Log& l : *merged) {
    merged_ids.insert(Base64Encode(l.log_id));
    if (l.list_names.size() == 2) {
      ++listed_twice;
      EXPECT_EQ(l.list_names, (std::vector<std::string>{"google_log_list_v3.json", "apple_current_log_list.json"}));
    }
  }
  EXPECT_EQ(merged_ids, all);
  EXPECT_EQ(listed_twice, in_both);

  // Argon2025h2: Chrome "usable", Apple "rejected" -> usable (the most live state wins).
  const Log* argon = FindLog(*merged, "EvFONL1TckyEBhnDjz96E/jntWKHiJxtMAWE6+WGJjo=");
  ASSERT_NE(argon, nullptr);
  EXPECT_EQ(argon->state->state, LogState::kUsable);
  EXPECT_EQ(argon->description, "Google 'Argon2025h2' log");  // the first list's
  // The same log in the other order: still usable, now with Apple's description.
  std::vector<LogList> reversed = {*apple, *google};
  auto merged_reversed = UnionOfLists(reversed);
  ASSERT_TRUE(merged_reversed.ok());
  EXPECT_EQ(merged_reversed->size(), all.size());
  const Log* argon_r = FindLog(*merged_reversed, "EvFONL1TckyEBhnDjz96E/jntWKHiJxtMAWE6+WGJjo=");
  ASSERT_NE(argon_r, nullptr);
  EXPECT_EQ(argon_r->state->state, LogState::kUsable);
  EXPECT_EQ(argon_r->description, "Google 'Argon 2025H2' log");

  // Static-ct logs: Chrome lists mmd 60 s, Apple 86400 s -> the smaller.
  for (const Log& l : *merged) {
    if (l.api == LogApi::kStaticCt && l.list_names.size() == 2) {
      EXPECT_EQ(l.mmd_seconds, 60u) << l.description;
    }
  }
  // Geomys Tuscolo2026h1: Apple (listed first here) says 86400, Chrome 60.
  const Log* tuscolo = FindLog(*merged_reversed, "cX6V88I4im2x44RJPTHhWqliCHYtQgDgBQzQZ7WmYeI=");
  ASSERT_NE(tuscolo, nullptr);
  EXPECT_EQ(tuscolo->mmd_seconds, 60u);
  EXPECT_EQ(tuscolo->api, LogApi::kStaticCt);
}

TEST_F(LogListData, UnionOfAListWithItselfChangesNothingButListNames) {
  auto google = ParseFile("google_all_logs_list_v3.json");
  ASSERT_TRUE(google.ok()) << google.status().ToString();
  std::vector<LogList> twice = {*google, *google};
  auto merged = UnionOfLists(twice);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  ASSERT_EQ(merged->size(), 42u + 75u);
  std::vector<LogList> once = {*google};
  auto single = UnionOfLists(once);
  ASSERT_TRUE(single.ok());
  for (size_t i = 0; i < merged->size(); ++i) {
    Log a = (*merged)[i];
    EXPECT_EQ(a.list_names.size(), 2u);
    a.list_names.resize(1);
    EXPECT_EQ(a, (*single)[i]);
  }
}

TEST_F(LogListData, SelectLogsByState) {
  auto list = ParseFile("google_log_list_v3.json");
  ASSERT_TRUE(list.ok());
  std::vector<LogList> lists = {*list};
  auto logs = UnionOfLists(lists);
  ASSERT_TRUE(logs.ok());
  ASSERT_EQ(logs->size(), 75u);
  // Counts from the raw JSON: 57 usable, 5 qualified, 9 readonly, 4 retired.
  std::vector<Log> monitored = SelectLogs(*logs);
  EXPECT_EQ(monitored.size(), 57u + 5u + 9u);
  for (const Log& l : monitored) EXPECT_NE(l.state->state, LogState::kRetired);
  const LogState retired[] = {LogState::kRetired};
  std::vector<Log> gone = SelectLogs(*logs, retired);
  EXPECT_EQ(gone.size(), 4u);
  for (const Log& l : gone) EXPECT_EQ(l.state->state, LogState::kRetired);
  EXPECT_TRUE(SelectLogs(*logs, std::span<const LogState>()).empty());

  // Logs without a state (39 in all_logs_list) are never selected, whatever the set.
  auto all = ParseFile("google_all_logs_list_v3.json");
  ASSERT_TRUE(all.ok());
  std::vector<LogList> all_lists = {*all};
  auto all_logs = UnionOfLists(all_lists);
  ASSERT_TRUE(all_logs.ok());
  const LogState every[] = {LogState::kPending, LogState::kQualified, LogState::kUsable,
                            LogState::kReadOnly, LogState::kRetired, LogState::kRejected};
  EXPECT_EQ(SelectLogs(*all_logs, every).size(), 117u - 39u);
}

// ---------------------------------------------------------------------------------------
// Union conflicts, on hand-made lists.

Log OneLog(std::string list_name) {
  std::vector<uint8_t> key = {0x30, 0x03, 0x02, 0x01, 0x01};
  return Log{.description = "test log",
             .log_id = Sha256Of(key),
             .key = key,
             .mmd_seconds = 86400,
             .state = LogStateInfo{.state = LogState::kUsable, .timestamp_ms = 1000},
             .api = LogApi::kRfc6962,
             .submission_url = "https://log.example/",
             .monitoring_url = "https://log.example/",
             .list_names = {std::move(list_name)}};
}

LogList ListOf(std::string name, Log log) {
  return LogList{.name = name, .operators = {Operator{.name = "op", .logs = {std::move(log)}}}};
}

TEST(UnionOfLists, DisagreementOnHowToReachALogIsAnErrorNamingBothLists) {
  struct Case {
    const char* desc;
    void (*mutate)(Log&);
    const char* want_error;
  };
  const Case cases[] = {
      {"different URL", [](Log& l) { l.submission_url = l.monitoring_url = "https://other.example/"; },
       "submission URL"},
      {"different monitoring URL only", [](Log& l) { l.monitoring_url = "https://other.example/"; },
       "monitoring URL"},
      {"different key, same id", [](Log& l) { l.key.push_back(0); }, "the key"},
      {"rfc6962 vs tiled", [](Log& l) { l.api = LogApi::kStaticCt; }, "the API"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    Log other = OneLog("apple");
    c.mutate(other);
    std::vector<LogList> lists = {ListOf("chrome", OneLog("chrome")), ListOf("apple", other)};
    auto merged = UnionOfLists(lists);
    ASSERT_FALSE(merged.ok());
    EXPECT_EQ(merged.status().code(), Code::kFailedPrecondition);
    EXPECT_THAT(merged.status().message(), HasSubstr(c.want_error));
    EXPECT_THAT(merged.status().message(), HasSubstr("'chrome'"));
    EXPECT_THAT(merged.status().message(), HasSubstr("'apple'"));
    EXPECT_THAT(merged.status().message(), HasSubstr("\"test log\""));
  }
}

TEST(UnionOfLists, DifferentFinalTreeHeadsAreAnError) {
  Log a = OneLog("chrome"), b = OneLog("apple");
  a.state = LogStateInfo{.state = LogState::kReadOnly, .timestamp_ms = 5,
                         .final_tree_head = FinalTreeHead{.tree_size = 10}};
  b.state = a.state;
  b.state->final_tree_head->tree_size = 11;
  std::vector<LogList> lists = {ListOf("chrome", a), ListOf("apple", b)};
  auto merged = UnionOfLists(lists);
  ASSERT_FALSE(merged.ok());
  EXPECT_EQ(merged.status().code(), Code::kFailedPrecondition);
  EXPECT_THAT(merged.status().message(), HasSubstr("final tree head"));
  // Equal final tree heads merge fine.
  b.state = a.state;
  lists = {ListOf("chrome", a), ListOf("apple", b)};
  EXPECT_TRUE(UnionOfLists(lists).ok());
}

TEST(UnionOfLists, StateRanking) {
  // usable > qualified > readonly > retired > pending > rejected > absent, whatever the order.
  const std::optional<LogState> ranked[] = {LogState::kUsable,  LogState::kQualified, LogState::kReadOnly,
                                            LogState::kRetired, LogState::kPending,   LogState::kRejected,
                                            std::nullopt};
  for (size_t hi = 0; hi < std::size(ranked); ++hi) {
    for (size_t lo = hi; lo < std::size(ranked); ++lo) {
      for (bool hi_first : {true, false}) {
        Log a = OneLog("a"), b = OneLog("b");
        auto set = [](Log& l, std::optional<LogState> s, int64_t ts) {
          l.state.reset();
          if (s) l.state = LogStateInfo{.state = *s, .timestamp_ms = ts};
        };
        set(a, ranked[hi], 1);
        set(b, ranked[lo], 2);
        std::vector<LogList> lists = hi_first ? std::vector<LogList>{ListOf("a", a), ListOf("b", b)}
                                              : std::vector<LogList>{ListOf("b", b), ListOf("a", a)};
        auto merged = UnionOfLists(lists);
        ASSERT_TRUE(merged.ok());
        ASSERT_EQ(merged->size(), 1u);
        const Log& m = (*merged)[0];
        EXPECT_EQ(m.state.has_value(), ranked[hi].has_value());
        if (!ranked[hi]) continue;
        EXPECT_EQ(m.state->state, *ranked[hi]) << hi << " " << lo;
        // Ties keep the first list's entry.
        int64_t want_ts = (hi != lo || hi_first) ? 1 : 2;
        EXPECT_EQ(m.state->timestamp_ms, want_ts);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Malformed input. Each case is a small list built from one valid log by text substitution.

constexpr const char* kValidKey =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEr+TzlCzfpie1/rJhgxnIITojqKk9VK+8MZoc08HjtsLzD8e5yjsdeWVhIiWCVk6Y6KomKTYeKGBv6xVu93zQug==";
constexpr const char* kValidLogId = "EvFONL1TckyEBhnDjz96E/jntWKHiJxtMAWE6+WGJjo=";

// A minimal valid list: one operator, one RFC 6962 log (Google Argon2025h2), one tiled log.
std::string MinimalList(const std::string& log_fields, const std::string& tiled = "") {
  return std::string(R"({"version": "1", "log_list_timestamp": "2026-01-02T12:57:01Z", "operators": [)") +
         R"({"name": "Google", "email": ["a@example.com"], "logs": [{)" + log_fields + "}]" +
         (tiled.empty() ? "" : R"(, "tiled_logs": [{)" + tiled + "}]") + "}]}";
}
std::string ValidLogFields() {
  return std::string(R"("description": "Argon", "key": ")") + kValidKey + R"(", "log_id": ")" + kValidLogId +
         R"(", "mmd": 86400, "url": "https://ct.googleapis.com/logs/us1/argon2025h2/",)" +
         R"( "state": {"usable": {"timestamp": "2023-11-26T12:00:00Z"}})";
}
std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) s.replace(at, from.size(), to);
  return s;
}

TEST(ParseLogList, MinimalListParses) {
  std::string json = MinimalList(ValidLogFields() + R"(, "unknown_future_key": [1, {"x": null}])");
  auto list = ParseLogList(AsBytes(json), "mini");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->operators.size(), 1u);
  ASSERT_EQ(list->operators[0].logs.size(), 1u);
  const Log& log = list->operators[0].logs[0];
  EXPECT_EQ(Base64Encode(log.log_id), kValidLogId);
  EXPECT_EQ(log.state->state, LogState::kUsable);
  EXPECT_TRUE(list->operators[0].tiled_logs.empty());
}

TEST(ParseLogList, UrlWithoutTrailingSlashGetsOne) {
  std::string json = Replace(MinimalList(ValidLogFields()), "argon2025h2/\"", "argon2025h2\"");
  auto list = ParseLogList(AsBytes(json), "mini");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->operators[0].logs[0].monitoring_url, "https://ct.googleapis.com/logs/us1/argon2025h2/");
}

TEST(ParseLogList, TiledLogsUseSubmissionAndMonitoringUrls) {
  std::string tiled = Replace(ValidLogFields(), R"("url": "https://ct.googleapis.com/logs/us1/argon2025h2/")",
                              R"("submission_url": "https://s.example/", "monitoring_url": "https://m.example/")");
  // The same log id cannot be in both arrays of one list, so move the log to tiled_logs.
  std::string json = std::string(R"({"operators": [{"name": "x", "email": [], "logs": [], "tiled_logs": [{)") +
                     tiled + "}]}]}";
  auto list = ParseLogList(AsBytes(json), "mini");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  const Log& log = list->operators[0].tiled_logs.at(0);
  EXPECT_EQ(log.api, LogApi::kStaticCt);
  EXPECT_EQ(log.submission_url, "https://s.example/");
  EXPECT_EQ(log.monitoring_url, "https://m.example/");
  EXPECT_EQ(list->version, std::nullopt);
  EXPECT_EQ(list->log_list_timestamp_ms, std::nullopt);
}

TEST(ParseLogList, MalformedInputIsMalformedAndNamesThePath) {
  const std::string valid = MinimalList(ValidLogFields());
  const std::string fields = ValidLogFields();
  struct Case {
    std::string desc;
    std::string json;
    std::string want_error;  // a substring of the message (the JSON path and the reason)
  };
  const std::string log0 = "operators[0].logs[0]";
  const Case cases[] = {
      {"missing key", MinimalList(Replace(fields, std::string(R"("key": ")") + kValidKey + "\", ", "")),
       log0 + ".key: missing required member"},
      {"missing log_id", MinimalList(Replace(fields, std::string(R"("log_id": ")") + kValidLogId + "\", ", "")),
       log0 + ".log_id: missing required member"},
      {"missing url", MinimalList(Replace(fields, R"("url": "https://ct.googleapis.com/logs/us1/argon2025h2/",)", "")),
       log0 + ".url: missing required member"},
      {"log_id of another key", Replace(valid, kValidLogId, "DleUvPOuqT4zGyyZB7P3kN+bwj1xMiXdIaklrGHFTiE="),
       log0 + ": log \"Argon\": log_id DleUvPOuqT4zGyyZB7P3kN+bwj1xMiXdIaklrGHFTiE= is not SHA-256(key)"},
      {"bad base64 key", Replace(valid, "MFkwEwYH", "MFkw*wYH"), log0 + ".key: expected base64 string"},
      {"key is a number", Replace(valid, std::string("\"") + kValidKey + "\"", "12"),
       log0 + ".key: expected base64 string"},
      {"log_id too short", Replace(valid, kValidLogId, "AAAA"), log0 + ".log_id: expected base64 of 32 bytes"},
      {"bad state timestamp", Replace(valid, "2023-11-26T12:00:00Z", "2023-11-26 12:00:00"),
       log0 + ".state.usable.timestamp: expected RFC 3339 date-time string"},
      {"bad list timestamp", Replace(valid, "2026-01-02T12:57:01Z", "yesterday"),
       "log_list_timestamp: expected RFC 3339"},
      {"mmd is a string", Replace(valid, "86400", "\"86400\""), log0 + ".mmd: expected non-negative integer"},
      {"mmd is fractional", Replace(valid, "86400", "86400.5"), log0 + ".mmd: expected non-negative integer"},
      {"mmd is zero", Replace(valid, "86400", "0"), log0 + ".mmd: must be at least 1 second"},
      {"operators is an object", R"({"operators": {}})", "operators: expected array"},
      {"operators missing", R"({"version": "1"})", "operators: missing required member"},
      {"operator not an object", R"({"operators": [[]]})", "operators[0]: expected object"},
      {"email not strings", Replace(valid, R"(["a@example.com"])", "[7]"), "operators[0].email[0]: expected string"},
      {"logs not an array", Replace(valid, R"("logs": [{)", R"("logs": 5, "x": [{)"), "operators[0].logs: expected array"},
      {"version a number", Replace(valid, R"("version": "1")", R"("version": 1)"), "version: expected string"},
      {"root is an array", "[" + valid + "]", "(document): expected object"},
      {"root is a string", R"("x")", "(document): expected object"},
      {"trailing garbage", valid + " x", "(document): invalid JSON"},
      {"two documents", valid + valid, "(document): invalid JSON"},
      {"NUL then garbage", valid + std::string(1, '\0') + "x", "(document): NUL byte"},
      {"empty", "", "(document): invalid JSON"},
      {"truncated", valid.substr(0, valid.size() / 2), "(document): invalid JSON"},
      {"invalid UTF-8", Replace(valid, "Argon", "Arg\xff"), "(document): invalid JSON"},
      {"duplicate member", Replace(valid, R"("mmd": 86400)", R"("mmd": 86400, "mmd": 60)"),
       log0 + ".mmd: duplicate member"},
      {"two states", Replace(valid, R"({"usable": )", R"({"retired": {"timestamp": "2024-01-01T00:00:00Z"}, "usable": )"),
       log0 + ".state.usable: more than one state"},
      {"no known state", Replace(valid, R"({"usable": )", R"({"frozen": )"), log0 + ".state: no known state"},
      {"readonly without final_tree_head", Replace(valid, R"({"usable": )", R"({"readonly": )"),
       log0 + ".state.readonly.final_tree_head: missing required member"},
      {"final_tree_head root wrong size",
       Replace(valid, R"({"usable": {)", R"({"readonly": {"final_tree_head": {"tree_size": 1, "sha256_root_hash": "AAAA"}, )"),
       log0 + ".state.readonly.final_tree_head.sha256_root_hash: expected base64 of 32 bytes"},
      {"final_tree_head negative size",
       Replace(valid, R"({"usable": {)",
               std::string(R"({"readonly": {"final_tree_head": {"tree_size": -1, "sha256_root_hash": ")") + kValidLogId + "\"}, "),
       log0 + ".state.readonly.final_tree_head.tree_size: expected non-negative integer"},
      {"empty temporal interval",
       MinimalList(fields + R"(, "temporal_interval": {"start_inclusive": "2026-01-01T00:00:00Z", "end_exclusive": "2026-01-01T00:00:00Z"})"),
       log0 + ".temporal_interval: start_inclusive is not before end_exclusive"},
      {"temporal interval missing end",
       MinimalList(fields + R"(, "temporal_interval": {"start_inclusive": "2026-01-01T00:00:00Z"})"),
       log0 + ".temporal_interval.end_exclusive: missing required member"},
      {"http URL", Replace(valid, "https://ct.googleapis", "http://ct.googleapis"), log0 + ".url: expected https:// URL"},
      {"URL with a space", Replace(valid, "us1/argon", "us1/ argon"), log0 + ".url: URL has a space"},
      {"tiled log without monitoring_url",
       MinimalList(fields, Replace(Replace(fields, R"("url": )", R"("submission_url": )"), "Argon", "Tiled")),
       "operators[0].tiled_logs[0].monitoring_url: missing required member"},
      {"log_type not a string", MinimalList(fields + R"(, "log_type": ["test"])"), log0 + ".log_type: expected string"},
      {"same log twice", MinimalList(fields + "}, {" + fields), "operators[0].logs[1]: duplicate log_id (first at " + log0 + ")"},
      {"too large", valid + std::string(kMaxLogListSizeBytes, ' '), "(document): larger than"},
      {"deep nesting", std::string(100000, '[') + std::string(100000, ']'), "(document): expected object"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    auto list = ParseLogList(AsBytes(c.json), "test-list");
    ASSERT_FALSE(list.ok());
    EXPECT_EQ(list.status().code(), Code::kMalformed);
    EXPECT_THAT(list.status().message(), StartsWith("log list 'test-list': "));
    EXPECT_THAT(list.status().message(), HasSubstr(c.want_error));
  }
}

// URLs must be https://, except plain http:// to a loopback host (a simulator on this machine).
TEST(ParseLogList, HttpOnlyForLoopbackHosts) {
  const std::string argon = "https://ct.googleapis.com/logs/us1/argon2025h2/";
  struct Case {
    std::string desc;
    std::string url;
    std::string want_url;  // empty: refused
  };
  const Case cases[] = {
      {"https", "https://log.example/ct", "https://log.example/ct/"},
      {"https with port", "https://log.example:8443/", "https://log.example:8443/"},
      {"IPv4 loopback", "http://127.0.0.1/", "http://127.0.0.1/"},
      {"IPv4 loopback with port and path", "http://127.0.0.1:40123/logs/a", "http://127.0.0.1:40123/logs/a/"},
      {"IPv6 loopback", "http://[::1]", "http://[::1]/"},
      {"IPv6 loopback with port", "http://[::1]:8080/", "http://[::1]:8080/"},
      {"localhost", "http://localhost", "http://localhost/"},
      {"localhost with port", "http://localhost:65535/", "http://localhost:65535/"},
      {"http to a public host", "http://example.com", ""},
      {"http to a public host with port", "http://example.com:80/", ""},
      {"loopback name as a subdomain prefix", "http://127.0.0.1.example.com/", ""},
      {"localhost as a subdomain prefix", "http://localhost.example.com/", ""},
      {"localhost as userinfo", "http://localhost@example.com/", ""},
      {"loopback then userinfo", "http://127.0.0.1:80@example.com/", ""},
      {"empty port", "http://127.0.0.1:/", ""},
      {"port not digits", "http://localhost:http/", ""},
      {"port too long", "http://localhost:1234567/", ""},
      {"another 127/8 address", "http://127.0.0.2/", ""},
      {"upper-case LOCALHOST", "http://LOCALHOST/", ""},
      {"IPv6 without brackets", "http://::1/", ""},
      {"http without host", "http://", ""},
      {"http with empty host", "http:///ct", ""},
      {"ftp", "ftp://127.0.0.1/", ""},
      {"loopback with a space", "http://127.0.0.1/ a", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc + ": " + c.url);
    auto list = ParseLogList(AsBytes(Replace(MinimalList(ValidLogFields()), argon, c.url)), "urls");
    if (c.want_url.empty()) {
      ASSERT_FALSE(list.ok());
      EXPECT_EQ(list.status().code(), Code::kMalformed);
      EXPECT_THAT(list.status().message(), HasSubstr("operators[0].logs[0].url: "));
      continue;
    }
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    EXPECT_EQ(list->operators[0].logs.at(0).submission_url, c.want_url);
    EXPECT_EQ(list->operators[0].logs.at(0).monitoring_url, c.want_url);
  }
}

TEST(ParseLogList, HttpToAPublicHostSaysWhyItIsRefused) {
  const std::string json =
      Replace(MinimalList(ValidLogFields()), "https://ct.googleapis.com/logs/us1/argon2025h2/", "http://example.com");
  auto list = ParseLogList(AsBytes(json), "mini");
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(list.status().message(),
            "log list 'mini': operators[0].logs[0].url: expected https:// URL with a host (http:// only for a "
            "loopback host: 127.0.0.1, [::1] or localhost, or a host in logs.plain_http_hosts, with an optional "
            ":port)");
}

// logs.plain_http_hosts lets an operator name hosts reachable over plain http besides
// loopback (the compose stack's log simulator, `ctsim`): exactly those hosts, nothing that
// merely starts with or contains their name.
TEST(ParseLogList, PlainHttpHostsAllowExactlyTheNamedHosts) {
  const std::string argon = "https://ct.googleapis.com/logs/us1/argon2025h2/";
  const LogListOptions options{.plain_http_hosts = {"ctsim", "logs.internal"}};
  struct Case {
    std::string url;
    bool allowed;
  };
  const Case cases[] = {
      {"http://ctsim:8080/", true},
      {"http://ctsim/", true},
      {"http://logs.internal:9/log/", true},
      {"http://127.0.0.1:9/", true},  // loopback stays allowed
      {"http://ctsim.example.com/", false},
      {"http://ctsimx:8080/", false},
      {"http://ctsim@example.com/", false},
      {"http://ctsim:80@example.com/", false},
      {"http://ctsim:/", false},
      {"http://CTSIM:8080/", false},
      {"http://example.com/", false},
      {"http://internal/", false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.url);
    const std::string text = Replace(MinimalList(ValidLogFields()), argon, c.url);
    const Bytes json = AsBytes(text);
    auto list = ParseLogList(json, "urls", options);
    EXPECT_EQ(list.ok(), c.allowed) << list.status().ToString();
    if (c.url.find("127.0.0.1") == std::string::npos) {
      EXPECT_FALSE(ParseLogList(json, "urls").ok()) << "allowed without logs.plain_http_hosts";
    }
  }
}

TEST(ParseLogList, TiledLogUrlsMayBeLoopbackHttp) {
  std::string tiled = Replace(ValidLogFields(), R"("url": "https://ct.googleapis.com/logs/us1/argon2025h2/")",
                              R"("submission_url": "http://127.0.0.1:9/", "monitoring_url": "http://[::1]:9")");
  std::string json = std::string(R"({"operators": [{"name": "x", "email": [], "logs": [], "tiled_logs": [{)") +
                     tiled + "}]}]}";
  auto list = ParseLogList(AsBytes(json), "mini");
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_EQ(list->operators[0].tiled_logs.at(0).submission_url, "http://127.0.0.1:9/");
  EXPECT_EQ(list->operators[0].tiled_logs.at(0).monitoring_url, "http://[::1]:9/");
  const std::string refused = Replace(json, "http://[::1]:9", "http://10.0.0.1:9");
  auto bad = ParseLogList(AsBytes(refused), "mini");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.status().message(), HasSubstr("operators[0].tiled_logs[0].monitoring_url: expected https://"));
}

TEST(LogListSignatureLocation, FollowsGooglesConvention) {
  EXPECT_EQ(LogListSignatureLocation("https://www.gstatic.com/ct/log_list/v3/all_logs_list.json"),
            "https://www.gstatic.com/ct/log_list/v3/all_logs_list.sig");
  EXPECT_EQ(LogListSignatureLocation("/etc/pinwatch/log_list.json"), "/etc/pinwatch/log_list.sig");
  EXPECT_EQ(LogListSignatureLocation("/etc/pinwatch/list"), "/etc/pinwatch/list.sig");
  EXPECT_EQ(LogListSignatureLocation("https://example.net/list.json?v=2"), "https://example.net/list.json?v=2.sig");
}

// ---------------------------------------------------------------------------------------
// Hostile sizes (issue 19). What a daemon follows is bounded by a count, refused naming the
// limit, and the checks on a list stay cheap whatever its shape.

// ListOfLogs is a list of `logs` RFC 6962 logs, `per_operator` to an operator. Keys are
// distinct bytes (keys are not parsed here) and each log_id is the key's SHA-256.
std::string ListOfLogs(size_t logs, size_t per_operator) {
  std::string json = R"({"version": "1", "operators": [)";
  for (size_t i = 0; i < logs; ++i) {
    if (i % per_operator == 0) {
      if (i > 0) json += "]},";
      json += R"({"name": "op)" + std::to_string(i / per_operator) + R"(", "email": [], "logs": [)";
    } else {
      json += ",";
    }
    const std::string key = "key of log " + std::to_string(i);
    json += R"({"key": ")" + Base64Encode(AsBytes(key)) + R"(", "log_id": ")" +
            Base64Encode(Sha256Of(AsBytes(key))) + R"(", "mmd": 86400, "url": "https://log)" + std::to_string(i) +
            R"(.example/", "state": {"usable": {"timestamp": "2023-11-26T12:00:00Z"}}})";
  }
  return json + (logs > 0 ? "]}" : "") + "]}";
}

size_t LogCount(const LogList& list) {
  size_t n = 0;
  for (const Operator& op : list.operators) n += op.logs.size() + op.tiled_logs.size();
  return n;
}

TEST(ParseLogList, AListOfTheMostLogsParsesAndOneMoreIsRefusedNamingTheLimit) {
  const std::string full_json = ListOfLogs(kMaxLogsPerList, 50);
  ASSERT_LT(full_json.size(), kMaxLogListSizeBytes);  // the count, not the size, is the bound here
  auto full = ParseLogList(AsBytes(full_json), "big");
  ASSERT_TRUE(full.ok()) << full.status().ToString();
  EXPECT_EQ(LogCount(*full), kMaxLogsPerList);
  const std::vector<LogList> twice = {*full, *full};
  auto merged = UnionOfLists(twice);
  ASSERT_TRUE(merged.ok()) << merged.status().ToString();
  EXPECT_EQ(merged->size(), kMaxLogsPerList);
  EXPECT_EQ(SelectLogs(*merged).size(), kMaxLogsPerList);

  auto over = ParseLogList(AsBytes(ListOfLogs(kMaxLogsPerList + 1, 50)), "big");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), Code::kMalformed);
  // 1,001 logs in operators of 50: the 21st operator (operators[20]) holds the 1,001st.
  EXPECT_EQ(over.status().message(),
            "log list 'big': operators[20]: the list names more than 1000 logs (kMaxLogsPerList)");
}

TEST(ParseLogList, ThousandsOfLogsOfOneOperatorAreRefusedNamingTheLimit) {
  const std::string json = ListOfLogs(5000, 5000);
  ASSERT_LT(json.size(), kMaxLogListSizeBytes);
  auto list = ParseLogList(AsBytes(json), "one operator");
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(), HasSubstr("operators[0]: the list names more than 1000 logs"));
}

TEST(ParseLogList, AnObjectWithTooManyMembersIsRefusedNamingTheLimit) {
  // A log of six known and 94 unknown members, the bound, parses (forward compatibility)...
  std::string padding;
  for (size_t i = 0; i < kMaxJsonObjectMembers - 6; ++i) padding += R"(, "future)" + std::to_string(i) + R"(": 0)";
  auto at_bound = ParseLogList(AsBytes(MinimalList(ValidLogFields() + padding)), "wide");
  ASSERT_TRUE(at_bound.ok()) << at_bound.status().ToString();
  // ...one more is refused. So is one object filling most of the 4 MiB a list may have: ~400,000
  // members, whose duplicate check would otherwise compare ~10^11 pairs of names.
  auto over = ParseLogList(AsBytes(MinimalList(ValidLogFields() + padding + R"(, "one_more": 0)")), "wide");
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().message(),
            "log list 'wide': operators[0].logs[0]: more than 100 members (kMaxJsonObjectMembers)");
  std::string huge;
  for (size_t i = 0; huge.size() < kMaxLogListSizeBytes - 4096; ++i) huge += R"(,"m)" + std::to_string(i) + R"(":0)";
  const std::string json = MinimalList(ValidLogFields() + huge);
  ASSERT_LE(json.size(), kMaxLogListSizeBytes);
  auto refused = ParseLogList(AsBytes(json), "wide");
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.status().message(), HasSubstr("operators[0].logs[0]: more than 100 members"));
}

// ---------------------------------------------------------------------------------------
// Detached signatures.

TEST_F(LogListData, SignaturesVerifyAndAOneByteChangeFails) {
  const std::string pem_text = ReadFileText(ListPath("google_log_list_pubkey.pem"));
  const std::vector<uint8_t> pem(pem_text.begin(), pem_text.end());
  // The same key as DER, decoded here from the PEM body.
  size_t begin = pem_text.find('\n') + 1, end = pem_text.find("-----END");
  ASSERT_NE(end, std::string::npos);
  std::string b64;
  for (char c : pem_text.substr(begin, end - begin)) {
    if (c != '\n' && c != '\r') b64 += c;
  }
  auto der = Base64Decode(b64);
  ASSERT_TRUE(der.has_value());
  EXPECT_EQ(Base64Encode(Sha256Of(*der)), "8di2jlAhDY5z2aPpf1cXc8UtfyjAsacb7ugdhWLm/YU=");  // expected.json

  int verified = 0;
  for (const char* name : {"google_log_list_v3", "google_all_logs_list_v3", "google_log_list_v3_2022-09-20"}) {
    SCOPED_TRACE(name);
    std::vector<uint8_t> json = ReadFileBytes(ListPath(std::string(name) + ".json"));
    std::vector<uint8_t> sig = ReadFileBytes(ListPath(std::string(name) + ".sig"));
    ASSERT_EQ(sig.size(), 512u);  // RSA-4096
    Status pem_ok = VerifyLogListSignature(json, sig, pem);
    EXPECT_TRUE(pem_ok.ok()) << pem_ok.ToString();
    Status der_ok = VerifyLogListSignature(json, sig, *der);
    EXPECT_TRUE(der_ok.ok()) << der_ok.ToString();
    verified += pem_ok.ok() && der_ok.ok();

    for (size_t at : {size_t{0}, json.size() / 2, json.size() - 1}) {
      std::vector<uint8_t> changed = json;
      changed[at] ^= 0x01;
      EXPECT_EQ(VerifyLogListSignature(changed, sig, pem).code(), Code::kMalformed) << at;
    }
    std::vector<uint8_t> bad_sig = sig;
    bad_sig[100] ^= 0x80;
    EXPECT_EQ(VerifyLogListSignature(json, bad_sig, pem).code(), Code::kMalformed);
    json.push_back('\n');
    EXPECT_EQ(VerifyLogListSignature(json, sig, pem).code(), Code::kMalformed);
    EXPECT_EQ(VerifyLogListSignature(json, {}, pem).code(), Code::kMalformed);
  }
  EXPECT_EQ(verified, 3);

  // A signature over one list does not verify another.
  std::vector<uint8_t> apple = ReadFileBytes(ListPath("apple_current_log_list.json"));
  std::vector<uint8_t> sig = ReadFileBytes(ListPath("google_log_list_v3.sig"));
  EXPECT_EQ(VerifyLogListSignature(apple, sig, pem).code(), Code::kMalformed);

  // Keys we refuse: garbage, DER with a trailing byte, and an EC key (a CT log's own key).
  std::vector<uint8_t> json = ReadFileBytes(ListPath("google_log_list_v3.json"));
  EXPECT_EQ(VerifyLogListSignature(json, sig, AsBytes("not a key")).code(), Code::kFailedPrecondition);
  std::vector<uint8_t> der_trailing = *der;
  der_trailing.push_back(0);
  EXPECT_EQ(VerifyLogListSignature(json, sig, der_trailing).code(), Code::kFailedPrecondition);
  auto ec_key = Base64Decode(kValidKey);
  ASSERT_TRUE(ec_key.has_value());
  Status ec = VerifyLogListSignature(json, sig, *ec_key);
  EXPECT_EQ(ec.code(), Code::kFailedPrecondition);
  EXPECT_THAT(ec.message(), HasSubstr("not an RSA key"));
}

}  // namespace
}  // namespace pinwatch::ctlog
