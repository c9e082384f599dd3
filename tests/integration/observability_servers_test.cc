// The test harness's real Alertmanager and Prometheus (tests/support): each starts from
// nothing on a loopback port, answers its API, and behaves as the harness's comments say,
// above all what Alertmanager 0.25 lists (no resolved alerts) and keeps across a restart
// (silences, not alerts).
#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include "tests/support/alertmanager_server.h"
#include "tests/support/prometheus_server.h"

namespace pinwatch::testing {
namespace {

using std::chrono::seconds;

// Rfc3339 formats `t` as Alertmanager's API takes it, e.g. "2026-01-02T03:04:05Z".
std::string Rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Post sends a JSON body as a client of Alertmanager does; returns the body of a 200.
Result<std::string> Post(const std::string& url, const std::string& path, const std::string& json) {
  httplib::Client client(url);
  auto res = client.Post(path.c_str(), json, "application/json");
  if (!res) return UnavailableError("POST " + path + ": " + httplib::to_string(res.error()));
  if (res->status != 200) return UnavailableError("POST " + path + ": HTTP " + std::to_string(res->status) + ": " + res->body);
  return res->body;
}

Result<std::string> GetBody(const std::string& url, const std::string& path) {
  httplib::Client client(url);
  auto res = client.Get(path.c_str());
  if (!res) return UnavailableError("GET " + path + ": " + httplib::to_string(res.error()));
  if (res->status != 200) return UnavailableError("GET " + path + ": HTTP " + std::to_string(res->status));
  return res->body;
}

// AlertJson is one alert of a POST /api/v2/alerts body.
std::string AlertJson(const std::string& name, std::chrono::system_clock::time_point starts,
                      std::chrono::system_clock::time_point ends) {
  return R"({"labels":{"alertname":")" + name + R"(","severity":"page","log":"argon2030"},)"
         R"("annotations":{"summary":"pinwatch self-test"},"generatorURL":"http://pinwatch.test/alerts",)"
         R"("startsAt":")" + Rfc3339(starts) + R"(","endsAt":")" + Rfc3339(ends) + R"("})";
}

// PollUntil calls `done` every 100 ms until it returns true or `bound` passes. For what the
// servers do without saying so (Prometheus logs no line for a scrape or a rule evaluation);
// the bound is for a broken test only.
template <class F>
bool PollUntil(F done, std::chrono::milliseconds bound = seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

// TempDir is a directory for a test's own files, removed at the end.
struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/pinwatch-obs-test.XXXXXX";
    path = mkdtemp(tmpl) != nullptr ? tmpl : "";
  }
  ~TempDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
  std::string Write(const std::string& name, const std::string& text) const {
    std::ofstream(path + "/" + name) << text;
    return path + "/" + name;
  }
  std::string path;
};

TEST(AlertmanagerServer, ListsPostedAlertsWithTheirLabelsButNotResolvedOnes) {
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  EXPECT_GT((*am)->port(), 0);
  EXPECT_EQ((*am)->url(), "http://127.0.0.1:" + std::to_string((*am)->port()));
  auto empty = (*am)->AlertsJson();
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_EQ(*empty, "[]\n");

  const auto now = std::chrono::system_clock::now();
  auto posted = Post((*am)->url(), "/api/v2/alerts",
                     "[" + AlertJson("PinwatchSelfTest", now - seconds(60), now + seconds(3600)) + "," +
                         AlertJson("PinwatchAlreadyResolved", now - seconds(600), now - seconds(60)) + "]");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();

  // The POST stores the alert before it answers: no wait.
  auto alerts = (*am)->Alerts();
  ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
  ASSERT_EQ(alerts->size(), 1u) << *(*am)->AlertsJson();  // the resolved one is not listed
  const Alert& a = (*alerts)[0];
  EXPECT_EQ(a.labels, (std::map<std::string, std::string>{
                          {"alertname", "PinwatchSelfTest"}, {"severity", "page"}, {"log", "argon2030"}}));
  EXPECT_EQ(a.annotations.at("summary"), "pinwatch self-test");
  EXPECT_EQ(a.generator_url, "http://pinwatch.test/alerts");
  EXPECT_EQ(a.starts_at.substr(0, 19), Rfc3339(now - seconds(60)).substr(0, 19));
  EXPECT_EQ(a.ends_at.substr(0, 19), Rfc3339(now + seconds(3600)).substr(0, 19));
  EXPECT_FALSE(a.fingerprint.empty());
  // "unprocessed" until the dispatcher has seen it, then "active" (no silences, no inhibitions).
  EXPECT_TRUE(a.state == "active" || a.state == "unprocessed") << a.state;
  auto active = (*am)->WaitForAlert([](const Alert& x) { return x.state == "active"; }, seconds(30));
  ASSERT_TRUE(active.ok()) << active.status().ToString();
  EXPECT_EQ(active->labels.at("alertname"), "PinwatchSelfTest");

  // Resolving it (the same labels, endsAt now) takes it off the list at once.
  posted = Post((*am)->url(), "/api/v2/alerts",
                "[" + AlertJson("PinwatchSelfTest", now - seconds(60), now - seconds(1)) + "]");
  ASSERT_TRUE(posted.ok()) << posted.status().ToString();
  alerts = (*am)->Alerts();
  ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
  EXPECT_TRUE(alerts->empty()) << *(*am)->AlertsJson();
  // Not even when asking for inactive alerts: resolved ones are filtered out before that.
  auto inactive = GetBody((*am)->url(), "/api/v2/alerts?active=false&silenced=true&inhibited=true");
  ASSERT_TRUE(inactive.ok()) << inactive.status().ToString();
  EXPECT_EQ(*inactive, "[]\n");

  auto none = (*am)->WaitForAlert([](const Alert&) { return true; }, std::chrono::milliseconds(300));
  EXPECT_EQ(none.status().code(), Code::kUnavailable);
}

TEST(AlertmanagerServer, TwoRunSideBySide) {
  auto a = AlertmanagerServer::Start();
  auto b = AlertmanagerServer::Start();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_NE((*a)->port(), (*b)->port());
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(Post((*a)->url(), "/api/v2/alerts", "[" + AlertJson("OnlyInA", now, now + seconds(3600)) + "]").ok());
  auto in_b = (*b)->Alerts();
  ASSERT_TRUE(in_b.ok()) << in_b.status().ToString();
  EXPECT_TRUE(in_b->empty());
  auto in_a = (*a)->Alerts();
  ASSERT_TRUE(in_a.ok()) << in_a.status().ToString();
  EXPECT_EQ(in_a->size(), 1u);
}

// What pinwatch relies on: a restarted Alertmanager (same port) has forgotten every alert
// (0.25 keeps them in memory only), so a sender must send again what is open. Silences are
// snapshotted to --storage.path, but only if SIGTERM comes after Alertmanager installed its
// handler, which a stop right after start-up may not: this test does not depend on them.
TEST(AlertmanagerServer, RestartKeepsPortButNotAlerts) {
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  const int port = (*am)->port();
  const auto now = std::chrono::system_clock::now();
  ASSERT_TRUE(Post((*am)->url(), "/api/v2/alerts", "[" + AlertJson("BeforeRestart", now, now + seconds(3600)) + "]").ok());
  auto before = (*am)->Alerts();
  ASSERT_TRUE(before.ok() && before->size() == 1u);

  ASSERT_TRUE((*am)->Stop().ok());
  EXPECT_FALSE((*am)->running());
  EXPECT_TRUE((*am)->Stop().ok());  // stopping twice is fine
  auto down = (*am)->Alerts();
  EXPECT_EQ(down.status().code(), Code::kUnavailable) << down.status().ToString();

  Status restarted = (*am)->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  EXPECT_EQ((*am)->port(), port);
  auto alerts = (*am)->Alerts();
  ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
  EXPECT_TRUE(alerts->empty()) << *(*am)->AlertsJson();

  // And it takes alerts again.
  ASSERT_TRUE(Post((*am)->url(), "/api/v2/alerts", "[" + AlertJson("AfterRestart", now, now + seconds(3600)) + "]").ok());
  alerts = (*am)->Alerts();
  ASSERT_TRUE(alerts.ok() && alerts->size() == 1u);
  EXPECT_EQ((*alerts)[0].labels.at("alertname"), "AfterRestart");

  // Restart while running is a stop and a start.
  restarted = (*am)->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  EXPECT_EQ((*am)->port(), port);
}

TEST(AlertmanagerServer, StartsOnAGivenPortAndSaysWhenItIsTaken) {
  auto first = AlertmanagerServer::Start();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  auto second = AlertmanagerServer::Start((*first)->port());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
  EXPECT_NE(second.status().message().find("address already in use"), std::string::npos)
      << second.status().message();
  const int port = (*first)->port();
  first->reset();  // frees the port
  auto again = AlertmanagerServer::Start(port);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ((*again)->port(), port);
}

TEST(PrometheusServer, ScrapesAnAlertmanagersMetrics) {
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  PrometheusOptions options;
  options.scrape_targets = {"127.0.0.1:" + std::to_string((*am)->port())};
  options.scrape_interval = "1s";
  auto prom = PrometheusServer::Start(options);
  ASSERT_TRUE(prom.ok()) << prom.status().ToString();
  EXPECT_GT((*prom)->port(), 0);

  // Prometheus logs nothing when it scrapes: poll, bounded.
  std::vector<TargetHealth> targets;
  ASSERT_TRUE(PollUntil([&] {
    auto t = (*prom)->Targets();
    if (t.ok()) targets = *t;
    return t.ok() && t->size() == 1 && (*t)[0].health == "up";
  })) << (targets.empty() ? "no targets" : targets[0].health + ": " + targets[0].last_error);
  EXPECT_EQ(targets[0].scrape_url, "http://127.0.0.1:" + std::to_string((*am)->port()) + "/metrics");
  EXPECT_EQ(targets[0].labels.at("job"), "pinwatch");
  EXPECT_EQ(targets[0].last_error, "");

  auto up = (*prom)->QueryScalar("up");
  ASSERT_TRUE(up.ok()) << up.status().ToString();
  ASSERT_TRUE(up->has_value());
  EXPECT_EQ(**up, 1.0);
  // Braces, quotes and a space in the query are escaped; no such series: nullopt.
  auto none = (*prom)->QueryScalar("up{job=\"no such job\"}");
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_FALSE(none->has_value());
  auto scalar = (*prom)->QueryScalar("scalar(up) + 1");
  ASSERT_TRUE(scalar.ok()) << scalar.status().ToString();
  EXPECT_EQ(scalar->value_or(0), 2.0);
  auto raw = (*prom)->Query("alertmanager_build_info");
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_NE(raw->find("\"version\":\"0.25"), std::string::npos) << *raw;
  auto bad = (*prom)->Query("up +");
  EXPECT_EQ(bad.status().code(), Code::kUnavailable);
  EXPECT_NE(bad.status().message().find("parse error"), std::string::npos) << bad.status().message();
  auto matrix = (*prom)->QueryScalar("up[1m]");
  EXPECT_EQ(matrix.status().code(), Code::kMalformed) << matrix.status().ToString();

  // Stopped, the target goes down; Restart comes back on the same port with the same data.
  ASSERT_TRUE((*am)->Stop().ok());
  const int port = (*prom)->port();
  Status restarted = (*prom)->Restart();
  ASSERT_TRUE(restarted.ok()) << restarted.ToString();
  EXPECT_EQ((*prom)->port(), port);
  ASSERT_TRUE(PollUntil([&] {
    auto t = (*prom)->Targets();
    return t.ok() && t->size() == 1 && (*t)[0].health == "down" && !(*t)[0].last_error.empty();
  }));
  auto kept = (*prom)->QueryScalar("max_over_time(up[10m])");  // the samples before the restart
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  EXPECT_EQ(kept->value_or(0), 1.0);
}

TEST(PrometheusServer, LoadsRuleFilesAndSendsFiringAlertsToAlertmanager) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path.empty());
  const std::string rules = tmp.Write("selftest.rules.yml", R"(groups:
  - name: pinwatch-selftest
    rules:
      - alert: PinwatchSelfTestAlwaysFiring
        expr: vector(1)
        labels:
          severity: page
        annotations:
          summary: the harness works
      - record: pinwatch:selftest:one
        expr: vector(1)
)");
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  PrometheusOptions options;
  options.rule_files = {rules};
  options.alertmanagers = {(*am)->url()};
  auto prom = PrometheusServer::Start(options);
  ASSERT_TRUE(prom.ok()) << prom.status().ToString();

  auto names = (*prom)->LoadedRuleNames();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  EXPECT_EQ(*names, (std::vector<std::string>{"PinwatchSelfTestAlwaysFiring", "pinwatch:selftest:one"}));

  // Prometheus logs nothing for a rule evaluation: poll, bounded.
  ASSERT_TRUE(PollUntil([&] {
    auto alerts = (*prom)->RuleAlerts();
    return alerts.ok() && alerts->size() == 1 && (*alerts)[0].state == "firing";
  }));
  auto rule_alerts = (*prom)->RuleAlerts();
  ASSERT_TRUE(rule_alerts.ok());
  EXPECT_EQ((*rule_alerts)[0].labels.at("alertname"), "PinwatchSelfTestAlwaysFiring");
  EXPECT_EQ((*rule_alerts)[0].labels.at("severity"), "page");
  EXPECT_EQ((*rule_alerts)[0].annotations.at("summary"), "the harness works");

  auto received = (*am)->WaitForAlert(
      [](const Alert& a) { return a.labels.count("alertname") && a.labels.at("alertname") == "PinwatchSelfTestAlwaysFiring"; },
      seconds(60));
  ASSERT_TRUE(received.ok()) << received.status().ToString();
  EXPECT_EQ(received->labels.at("severity"), "page");
  EXPECT_EQ(received->annotations.at("summary"), "the harness works");
  EXPECT_NE(received->generator_url.find("127.0.0.1:" + std::to_string((*prom)->port())), std::string::npos)
      << received->generator_url;
}

TEST(PrometheusServer, ARuleFileThatDoesNotLoadFailsStartWithPrometheussError) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path.empty());
  const std::string rules = tmp.Write("broken.rules.yml", R"(groups:
  - name: broken
    rules:
      - alert: Broken
        expr: up +
)");
  PrometheusOptions options;
  options.rule_files = {rules};
  auto prom = PrometheusServer::Start(options);
  ASSERT_FALSE(prom.ok());
  EXPECT_NE(prom.status().message().find("broken.rules.yml"), std::string::npos) << prom.status().message();
}

}  // namespace
}  // namespace pinwatch::testing
