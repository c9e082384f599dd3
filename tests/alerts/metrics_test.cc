// Metrics through their text exposition, as Prometheus reads them: names, labels, values,
// and series that come and go with a log's lease or the alert sender's.
#include "alerts/metrics.h"

#include <gtest/gtest.h>

#include <sstream>
#include <ctime>
#include <string>

namespace pinwatch::alerts {
namespace {

// Value returns the value of the series written exactly as `series` (name{labels}), or -1.
double Value(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

bool HasName(const std::string& text, const std::string& name) {
  return text.find("\n" + name + "{") != std::string::npos || text.find("\n" + name + " ") != std::string::npos;
}

constexpr char kLog[] = R"(log="Test Log 2026",log_id="AAAA")";

TEST(Metrics, ReplicaSeriesAndBuildInfo) {
  Metrics m({.version = "1.2.3", .revision = "abc"});
  m.SetLogsFollowed(7);
  m.SetLeasesHeld(3);
  m.DatabaseError(Code::kUnavailable);
  m.DatabaseError(Code::kUnavailable);
  m.DatabaseError(Code::kInternal);
  m.SetDatabaseReachable(false);
  const std::string text = m.Text();
  EXPECT_EQ(Value(text, R"(pinwatch_build_info{revision="abc",version="1.2.3"})"), 1);
  EXPECT_EQ(Value(text, "pinwatch_logs_followed"), 7);
  EXPECT_EQ(Value(text, "pinwatch_leases_held"), 3);
  EXPECT_EQ(Value(text, R"(pinwatch_database_errors_total{code="unavailable"})"), 2);
  EXPECT_EQ(Value(text, R"(pinwatch_database_errors_total{code="internal"})"), 1);
  EXPECT_EQ(Value(text, "pinwatch_database_up"), 0);
  EXPECT_NE(text.find("# TYPE pinwatch_database_errors_total counter"), std::string::npos);
  // The process collector's standard names.
  for (const char* name : {"process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
                           "process_start_time_seconds", "process_open_fds", "process_max_fds", "process_threads"}) {
    EXPECT_TRUE(HasName(text, name)) << name;
  }
  EXPECT_GT(Value(text, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(Value(text, "process_start_time_seconds"), 1.7e9);
}

TEST(Metrics, LogSeriesLiveAsLongAsTheirLogMetrics) {
  Metrics m({.version = "v", .revision = "r"});
  {
    LogMetrics log(m, "Test Log 2026", "AAAA");
    log.TreeHead(1000, 1'700'000'000'123, 1'700'000'005'000);
    log.Committed(400, 256, 1'699'999'999'000, 0.004);
    log.Processed(400, 3, 1);
    log.Fetched("get-entries", 200, Code::kOk, 0.02);
    log.Fetched("get-entries", 429, Code::kOk, 0.01);
    log.Fetched("get-sth", 0, Code::kUnavailable, 10);
    log.RoundFailed(Code::kUnavailable, 1'700'000'010'000);
    log.RoundFailed(Code::kMalformed, 1'700'000'020'000);
    log.Misbehaved("root_mismatch");
    const std::string text = m.Text();
    const std::string l = std::string("{") + kLog + "}";
    EXPECT_EQ(Value(text, "pinwatch_log_tree_size" + l), 1000);
    EXPECT_EQ(Value(text, "pinwatch_log_tree_timestamp_seconds" + l), 1'700'000'000.123);
    EXPECT_EQ(Value(text, "pinwatch_log_last_poll_success_timestamp_seconds" + l), 1'700'000'005);
    EXPECT_EQ(Value(text, "pinwatch_log_position" + l), 400);
    EXPECT_EQ(Value(text, "pinwatch_log_verified_tree_size" + l), 256);
    EXPECT_EQ(Value(text, "pinwatch_log_verified_timestamp_seconds" + l), 1'699'999'999);
    EXPECT_EQ(Value(text, "pinwatch_log_backlog_entries" + l), 600);
    EXPECT_EQ(Value(text, "pinwatch_entries_processed_total" + l), 400);
    EXPECT_EQ(Value(text, "pinwatch_entries_matched_total" + l), 3);
    EXPECT_EQ(Value(text, "pinwatch_entries_malformed_total" + l), 1);
    EXPECT_EQ(Value(text, "pinwatch_log_consecutive_failures" + l), 2);
    // Only the last error's code has a series.
    EXPECT_EQ(Value(text, std::string("pinwatch_log_last_error_timestamp_seconds{code=\"malformed\",") + kLog + "}"), 1'700'000'020);
    EXPECT_EQ(Value(text, std::string("pinwatch_log_last_error_timestamp_seconds{code=\"unavailable\",") + kLog + "}"), -1);
    EXPECT_EQ(Value(text, std::string("pinwatch_log_misbehaviours_total{kind=\"root_mismatch\",") + kLog + "}"), 1);
    EXPECT_EQ(Value(text, std::string("pinwatch_fetch_requests_total{endpoint=\"get-entries\",") + kLog +
                              ",outcome=\"success\",status=\"200\"}"), 1);
    EXPECT_EQ(Value(text, std::string("pinwatch_fetch_requests_total{endpoint=\"get-entries\",") + kLog +
                              ",outcome=\"http_error\",status=\"429\"}"), 1);
    EXPECT_EQ(Value(text, std::string("pinwatch_fetch_requests_total{endpoint=\"get-sth\",") + kLog +
                              ",outcome=\"unavailable\",status=\"none\"}"), 1);
    EXPECT_EQ(Value(text, std::string("pinwatch_fetch_duration_seconds_count{endpoint=\"get-entries\",") + kLog + "}"), 2);
    EXPECT_EQ(Value(text, std::string("pinwatch_fetch_duration_seconds_bucket{endpoint=\"get-sth\",") + kLog + ",le=\"5\"}"), 0);
    EXPECT_EQ(Value(text, std::string("pinwatch_fetch_duration_seconds_bucket{endpoint=\"get-sth\",") + kLog + ",le=\"10\"}"), 1);
    EXPECT_EQ(Value(text, std::string("pinwatch_commits_total{") + kLog + ",outcome=\"success\"}"), 1);
    EXPECT_EQ(Value(text, "pinwatch_commit_duration_seconds_count" + l), 1);

    log.RoundSucceeded();
    EXPECT_EQ(Value(m.Text(), "pinwatch_log_consecutive_failures" + l), 0);
  }
  // The lease went elsewhere: no series of that log is left on this replica.
  const std::string after = m.Text();
  EXPECT_EQ(after.find("log_id=\"AAAA\""), std::string::npos) << after;
  // A new worker for the same log starts from fresh series.
  LogMetrics again(m, "Test Log 2026", "AAAA");
  again.Processed(5, 0, 0);
  EXPECT_EQ(Value(m.Text(), std::string("pinwatch_entries_processed_total{") + kLog + "}"), 5);
}

// Series a rule takes increase() or time() - x of exist before their first event, with
// values that make the rule quiet: counters at 0, staleness from the start of following.
TEST(Metrics, SeriesExistBeforeTheirFirstEvent) {
  Metrics m({.version = "v", .revision = "r"});
  LogMetrics log(m, "Test Log 2026", "AAAA");
  m.AddAlertmanager("http://am:9093");
  const double now = static_cast<double>(std::time(nullptr));
  std::string text = m.Text();
  const std::string l = std::string("{") + kLog + "}";
  EXPECT_NEAR(Value(text, "pinwatch_log_last_poll_success_timestamp_seconds" + l), now, 5);
  EXPECT_NEAR(Value(text, "pinwatch_log_last_response_timestamp_seconds" + l), now, 5);
  for (const char* kind : {"bad_tree_head_signature", "root_mismatch", "forked_tree_head", "shrunk_tree",
                           "bad_consistency_proof", "bad_entry"}) {
    EXPECT_EQ(Value(text, std::string("pinwatch_log_misbehaviours_total{kind=\"") + kind + "\"," + kLog + "}"), 0) << kind;
  }
  for (const char* code : {"unavailable", "in_doubt", "internal", "aborted"}) {
    EXPECT_EQ(Value(text, std::string("pinwatch_database_errors_total{code=\"") + code + "\"}"), 0) << code;
  }
  EXPECT_EQ(Value(text, R"(pinwatch_alert_deliveries_total{alertmanager="http://am:9093",outcome="unreachable"})"), 0);
  // Only a 2xx answer is a response from the log.
  Metrics m2({.version = "v", .revision = "r"});
  LogMetrics log2(m2, "Test Log 2026", "AAAA");
  const double start = Value(m2.Text(), "pinwatch_log_last_response_timestamp_seconds" + l);
  log2.Fetched("get-sth", 503, Code::kOk, 0.1);
  log2.Fetched("get-sth", 0, Code::kUnavailable, 0.1);
  EXPECT_EQ(Value(m2.Text(), "pinwatch_log_last_response_timestamp_seconds" + l), start);
}

TEST(Metrics, FleetFactsFillEveryKindAndStatusAndGoAway) {
  Metrics m({.version = "v", .revision = "r"});
  m.SetAlertSenderActive(true);
  m.SetFleetFacts({.findings = {{db::FindingKind::kUnexpectedIssuer, db::FindingStatus::kOpen, 2},
                                {db::FindingKind::kKnownKey, db::FindingStatus::kResolved, 5}},
                   .alerts_open = 2,
                   .pending = 1,
                   .oldest_pending_unix_s = 1'700'000'000});
  std::string text = m.Text();
  EXPECT_EQ(Value(text, "pinwatch_alert_sender_active"), 1);
  EXPECT_EQ(Value(text, R"(pinwatch_findings{kind="unexpected_issuer",severity="critical",status="open"})"), 2);
  EXPECT_EQ(Value(text, R"(pinwatch_findings{kind="known_key",severity="info",status="resolved"})"), 5);
  // Absent pairs are 0, not missing: a rule on open criticals sees 0 rather than nothing.
  EXPECT_EQ(Value(text, R"(pinwatch_findings{kind="log_misbehaviour",severity="critical",status="open"})"), 0);
  EXPECT_EQ(Value(text, "pinwatch_alerts_open"), 2);
  EXPECT_EQ(Value(text, "pinwatch_alert_outbox_pending"), 1);
  EXPECT_EQ(Value(text, "pinwatch_alert_outbox_oldest_pending_timestamp_seconds"), 1'700'000'000);

  m.SetFleetFacts({.pending = 0});
  EXPECT_EQ(Value(m.Text(), "pinwatch_alert_outbox_oldest_pending_timestamp_seconds"), -1);  // nothing pending

  m.SetAlertSenderActive(false);
  m.ClearFleetFacts();
  text = m.Text();
  EXPECT_FALSE(HasName(text, "pinwatch_findings"));
  EXPECT_FALSE(HasName(text, "pinwatch_alerts_open"));
  EXPECT_FALSE(HasName(text, "pinwatch_alert_outbox_pending"));
}

TEST(Metrics, DeliveriesByAlertmanagerAndOutcome) {
  Metrics m({.version = "v", .revision = "r"});
  m.Delivery("http://am-a:9093", DeliveryOutcome::kSuccess, 3, 0.01);
  m.Delivery("http://am-a:9093", DeliveryOutcome::kUnreachable, 3, 0.001);
  m.Delivery("http://am-b:9093", DeliveryOutcome::kHttpError, 1, 0.02);
  const std::string text = m.Text();
  EXPECT_EQ(Value(text, R"(pinwatch_alert_deliveries_total{alertmanager="http://am-a:9093",outcome="success"})"), 1);
  EXPECT_EQ(Value(text, R"(pinwatch_alert_deliveries_total{alertmanager="http://am-a:9093",outcome="unreachable"})"), 1);
  EXPECT_EQ(Value(text, R"(pinwatch_alert_deliveries_total{alertmanager="http://am-b:9093",outcome="http_error"})"), 1);
  EXPECT_EQ(Value(text, R"(pinwatch_alert_deliveries_total{alertmanager="http://am-b:9093",outcome="success"})"), 0);
  EXPECT_EQ(Value(text, R"(pinwatch_alerts_sent_total{alertmanager="http://am-a:9093"})"), 3);  // accepted only
  EXPECT_EQ(Value(text, R"(pinwatch_alert_delivery_duration_seconds_count{alertmanager="http://am-a:9093"})"), 2);
}

}  // namespace
}  // namespace pinwatch::alerts
