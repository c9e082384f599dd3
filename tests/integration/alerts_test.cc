// Alerts end to end, every part real: ctsim logs with planted certificates, a throwaway
// PostgreSQL, the pinwatch binary, and Debian's Alertmanager and Prometheus started on
// free loopback ports (tests/support). The tests wait for pinwatch's own log lines
// ("accepted finding N ...") and then ask Alertmanager once; they poll only Prometheus,
// which says nothing when it scrapes or evaluates.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>
#include <fstream>
#include <sstream>
#include <thread>

#include "net/http.h"
#include "tests/integration/daemon_fixture.h"
#include "tests/support/alertmanager_server.h"
#include "tests/support/prometheus_server.h"

namespace pinwatch {
namespace {

using testing::Alert;
using testing::AlertmanagerServer;
using testing::PrometheusOptions;
using testing::PrometheusServer;

// The plants' alerting findings (WatchYaml): known_key is info and never alerts.
const std::multiset<std::string> kPlantAlerts = {"PinwatchUnexpectedIssuer mybank.test critical",
                                                 "PinwatchUnexpectedKey mybank.test warning",
                                                 "PinwatchUnexpectedKey shop.partner.test warning",
                                                 "PinwatchMalformedCertificate mybank.test warning"};

std::multiset<std::string> AlertSummaries(const std::vector<Alert>& alerts) {
  std::multiset<std::string> out;
  for (const Alert& a : alerts) {
    if (a.labels.count("alertname") && a.labels.at("alertname") == "PinwatchTest") continue;
    out.insert(a.labels.at("alertname") + " " + (a.labels.count("watched") ? a.labels.at("watched") : "-") + " " +
               a.labels.at("severity"));
  }
  return out;
}

class AlertsTest : public DaemonTest {
 protected:
  // Config writes a config file: the plants' watch list, the given Alertmanagers, and an
  // HTTP listener on a free port.
  std::string Config(const std::string& name, const std::string& db_url, const SimProcess& sim,
                     const std::vector<std::string>& alertmanagers, const std::string& resend = "2s") {
    std::string path = dir_ + "/" + name + ".yaml";
    std::ofstream out(path);
    out << "database:\n  url: " << db_url << "\nlogs:\n  lists: [" << sim.LogListPath()
        << "]\n  start: 0\n  poll_interval_ms: 200\nwatch:\n"
        << WatchYaml(PlantsOf(sim)) << "run:\n  progress_interval_s: 1\n  lease_seconds: 6\n"
        << "http:\n  listen: 127.0.0.1:0\nalerts:\n  resend_interval: " << resend << "\n  alertmanager_urls: [";
    for (size_t i = 0; i < alertmanagers.size(); ++i) out << (i ? ", " : "") << alertmanagers[i];
    out << "]\n";
    return path;
  }

  std::unique_ptr<SimProcess> PlantedLog(const std::string& seed) {
    std::vector<std::string> args = {"--entries", "12000", "--seed", seed};
    args.insert(args.end(), kPlants.begin(), kPlants.end());
    auto sim = SimProcess::Start(args);
    EXPECT_TRUE(sim.ok()) << sim.status().ToString();
    return sim.ok() ? std::move(*sim) : nullptr;
  }

  std::unique_ptr<ChildProcess> Run(const std::string& config) {
    auto child = ChildProcess::Start({PinwatchPath(), "--config", config, "run"});
    EXPECT_TRUE(child.ok()) << child.status().ToString();
    return child.ok() ? std::move(*child) : nullptr;
  }

  // Accepted waits until `child` says `alertmanager` accepted `count` findings' alerts as
  // `state` ("firing" or "resolved"), counting from the start of its output.
  void WaitAccepted(ChildProcess& child, const std::string& alertmanager, size_t count, const std::string& state) {
    for (;;) {
      size_t seen = 0;
      std::istringstream lines(child.output());
      for (std::string line; std::getline(lines, line);) {
        seen += line.find("alerts: " + alertmanager + " accepted finding") != std::string::npos &&
                line.find("(" + state + ")") != std::string::npos;
      }
      if (seen >= count) return;
      auto more = child.WaitForLine("(" + state + ")");
      ASSERT_TRUE(more.ok()) << "waiting for " << count << " " << state << " at " << alertmanager << ": "
                             << more.status().ToString() << "\n" << child.output();
    }
  }
};

// The metrics listener's port, from pinwatch's "http: serving http://127.0.0.1:PORT/" line.
int MetricsPort(ChildProcess& child) {
  auto line = child.WaitForLine("http: serving");
  EXPECT_TRUE(line.ok()) << child.output();
  constexpr std::string_view kPrefix = "http://127.0.0.1:";
  const size_t at = line.ok() ? line->find(kPrefix) : std::string::npos;
  if (at == std::string::npos) return 0;
  return std::atoi(line->c_str() + at + kPrefix.size());
}

// MetricValue returns the value of the series written exactly as `series`, or nullopt.
std::optional<double> MetricValue(const std::string& text, const std::string& series) {
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

TEST_F(AlertsTest, PlantsBecomeAlertsWithTheirLabelsAndAckEndsOne) {
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  auto sim = PlantedLog("alerts-plants");
  ASSERT_NE(sim, nullptr);
  const std::string config = Config("plants", NewDatabase("plants"), *sim, {(*am)->url()});
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto run = Run(config);
  ASSERT_NE(run, nullptr);
  const int port = MetricsPort(*run);
  WaitAccepted(*run, (*am)->url(), 4, "firing");

  auto listed = (*am)->Alerts();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  EXPECT_EQ(AlertSummaries(*listed), kPlantAlerts);
  rapidjson::Document findings = FindingsJson(config);
  int64_t rogue_id = 0;
  for (const auto& f : findings.GetArray()) {
    if (std::string(f["kind"].GetString()) == "unexpected_issuer") rogue_id = f["id"].GetInt64();
  }
  ASSERT_GT(rogue_id, 0);
  const Alert* rogue = nullptr;
  for (const Alert& a : *listed) {
    if (a.labels.at("alertname") == "PinwatchUnexpectedIssuer") rogue = &a;
  }
  ASSERT_NE(rogue, nullptr);
  EXPECT_EQ(rogue->labels, (std::map<std::string, std::string>{{"alertname", "PinwatchUnexpectedIssuer"},
                                                               {"severity", "critical"},
                                                               {"watched", "mybank.test"},
                                                               {"finding_id", std::to_string(rogue_id)}}));
  EXPECT_EQ(rogue->generator_url, "http://127.0.0.1:" + std::to_string(port) + "/findings/" + std::to_string(rogue_id));
  const std::string& description = rogue->annotations.at("description");
  EXPECT_NE(description.find("Names: login.mybank.test"), std::string::npos) << description;
  EXPECT_NE(description.find("Key: " + PlantsOf(*sim).at(5000).leaf_pin), std::string::npos) << description;
  EXPECT_NE(description.find("#5000 (precert"), std::string::npos) << description;
  EXPECT_NE(rogue->annotations.at("summary").find("unexpected CA"), std::string::npos);

  // The metrics say the same, from this replica (the one sender). The fleet facts are read
  // from the database after each pass; scraping until they show is a bounded poll (a
  // scrape is how Prometheus learns them too).
  net::HttpClient http;
  const std::string metrics_url = "http://127.0.0.1:" + std::to_string(port) + "/metrics";
  Result<net::HttpResponse> metrics = Status(Code::kUnavailable, "not scraped");
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(std::chrono::milliseconds(100))) {
    metrics = http.Get(metrics_url);
    if (metrics.ok() && MetricValue(metrics->body, "pinwatch_alerts_open") == 4) break;
  }
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(MetricValue(metrics->body, "pinwatch_alerts_open"), 4);
  EXPECT_EQ(MetricValue(metrics->body, "pinwatch_alert_sender_active"), 1);
  EXPECT_EQ(MetricValue(metrics->body, R"(pinwatch_findings{kind="unexpected_issuer",severity="critical",status="open"})"), 1);
  EXPECT_EQ(MetricValue(metrics->body, R"(pinwatch_findings{kind="known_key",severity="info",status="open"})"), 2);
  EXPECT_GE(MetricValue(metrics->body, "pinwatch_alerts_sent_total{alertmanager=\"" + (*am)->url() + "\"}").value_or(0), 4);
  rapidjson::Document status = StatusOfOnlyLog(config);
  const std::string log = "{log=\"" + std::string(status["log"].GetString()) + "\",log_id=\"" +
                          status["log_id"].GetString() + "\"}";
  EXPECT_EQ(MetricValue(metrics->body, "pinwatch_log_position" + log), status["position"].GetUint64());
  EXPECT_EQ(MetricValue(metrics->body, "pinwatch_log_verified_tree_size" + log), 12000);
  EXPECT_EQ(MetricValue(metrics->body, "pinwatch_entries_processed_total" + log), 12000);
  auto ready = http.Get("http://127.0.0.1:" + std::to_string(port) + "/readyz");
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status_code, 200);

  // ack: one last send with endsAt = now, and Alertmanager stops listing it.
  CommandResult ack = Pinwatch(config, {"ack", std::to_string(rogue_id), "--note", "ours after all"});
  ASSERT_EQ(ack.exit_code, 0) << ack.err;
  WaitAccepted(*run, (*am)->url(), 1, "resolved");
  auto after = (*am)->Alerts();
  ASSERT_TRUE(after.ok());
  std::multiset<std::string> want = kPlantAlerts;
  want.erase(want.find("PinwatchUnexpectedIssuer mybank.test critical"));
  EXPECT_EQ(AlertSummaries(*after), want);
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(), 0) << run->output();
}

TEST_F(AlertsTest, AlertmanagerDownForAMinuteGetsTheAlertsWhenItIsBack) {
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  Status stopped = (*am)->Stop();  // its port is known; nothing answers there
  ASSERT_TRUE(stopped.ok()) << stopped.ToString();
  auto sim = PlantedLog("alerts-am-down");
  ASSERT_NE(sim, nullptr);
  const std::string config = Config("down", NewDatabase("down"), *sim, {(*am)->url()});
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto run = Run(config);
  ASSERT_NE(run, nullptr);
  ASSERT_TRUE(run->WaitForLine("alerts: " + (*am)->url() + " failed").ok()) << run->output();
  const auto down_since = std::chrono::steady_clock::now();
  // The outage lasts a minute (the fault itself, not a synchronisation). Meanwhile the
  // failure is said once, not at every retry.
  std::this_thread::sleep_until(down_since + std::chrono::seconds(60));
  size_t said = 0;
  for (size_t at = 0; (at = run->output().find(" failed (", at)) != std::string::npos; ++at) ++said;
  EXPECT_EQ(said, 1u) << run->output();
  ASSERT_TRUE((*am)->Restart().ok());
  ASSERT_TRUE(run->WaitForLine("reachable again").ok()) << run->output();
  WaitAccepted(*run, (*am)->url(), 4, "firing");
  auto listed = (*am)->Alerts();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(AlertSummaries(*listed), kPlantAlerts);
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(), 0);
}

TEST_F(AlertsTest, KilledBetweenCommitAndSendTheAlertsArriveAfterRestart) {
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  Status stopped = (*am)->Stop();  // so the send cannot happen before the kill
  ASSERT_TRUE(stopped.ok()) << stopped.ToString();
  auto sim = PlantedLog("alerts-kill");
  ASSERT_NE(sim, nullptr);
  const std::string db = NewDatabase("killed");
  const std::string config = Config("killed", db, *sim, {(*am)->url()});
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto run = Run(config);
  ASSERT_NE(run, nullptr);
  ASSERT_TRUE(run->WaitForLine("at tree head 12000").ok()) << run->output();
  // Committed, not delivered: the outbox holds the four alerts and nobody accepted one.
  auto outbox = pg_->Psql("SELECT count(*) FROM alert_outbox", "killed");
  auto delivered = pg_->Psql("SELECT count(*) FROM alert_deliveries", "killed");
  ASSERT_TRUE(outbox.ok() && delivered.ok());
  EXPECT_EQ(outbox->substr(0, 1), "4");
  EXPECT_EQ(delivered->substr(0, 1), "0");
  run->Signal(SIGKILL);
  EXPECT_EQ(run->Wait(), 128 + SIGKILL);

  ASSERT_TRUE((*am)->Restart().ok());
  auto again = Run(config);
  ASSERT_NE(again, nullptr);
  WaitAccepted(*again, (*am)->url(), 4, "firing");
  auto listed = (*am)->Alerts();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(AlertSummaries(*listed), kPlantAlerts);
  again->Signal(SIGTERM);
  EXPECT_EQ(again->Wait(), 0);
}

TEST_F(AlertsTest, BothAlertmanagersOfAnHaPairGetEveryAlert) {
  auto a = AlertmanagerServer::Start();
  auto b = AlertmanagerServer::Start();
  ASSERT_TRUE(a.ok() && b.ok());
  auto sim = PlantedLog("alerts-ha");
  ASSERT_NE(sim, nullptr);
  const std::string config = Config("ha", NewDatabase("ha"), *sim, {(*a)->url(), (*b)->url()});
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  // run --once delivers what it found before it exits.
  CommandResult once = Pinwatch(config, {"run", "--once"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  for (const auto* am : {&*a, &*b}) {
    auto listed = (*am)->Alerts();
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    EXPECT_EQ(AlertSummaries(*listed), kPlantAlerts) << (*am)->url();
  }
  // `alerts test` reports each Alertmanager's answer; one down is a failure, named.
  CommandResult test = Pinwatch(config, {"alerts", "test", "--watched", "shop.partner.test"});
  EXPECT_EQ(test.exit_code, 0) << test.out << test.err;
  EXPECT_NE(test.out.find((*a)->url() + ": accepted (HTTP 200"), std::string::npos) << test.out;
  auto seen = (*b)->Alerts();
  ASSERT_TRUE(seen.ok());
  bool test_alert = false;
  for (const Alert& x : *seen) {
    test_alert = test_alert || (x.labels.at("alertname") == "PinwatchTest" && x.labels.at("watched") == "shop.partner.test");
  }
  EXPECT_TRUE(test_alert);
  ASSERT_TRUE((*b)->Stop().ok());
  CommandResult half = Pinwatch(config, {"alerts", "test"});
  EXPECT_EQ(half.exit_code, 1) << half.out;
  EXPECT_NE(half.out.find((*b)->url() + ": FAILED"), std::string::npos) << half.out;
  EXPECT_NE(half.out.find("1 of 2 Alertmanagers did not accept"), std::string::npos) << half.out;
}

// One of an HA pair down from the start (for good, as far as the first part knows): the
// one that is up gets every alert without waiting for the other, and the other gets them
// all when it returns.
TEST_F(AlertsTest, OneOfAnHaPairDownDoesNotHoldUpTheOtherAndGetsItsAlertsWhenBack) {
  auto up = AlertmanagerServer::Start();
  auto down = AlertmanagerServer::Start();
  ASSERT_TRUE(up.ok() && down.ok());
  ASSERT_TRUE((*down)->Stop().ok());
  auto sim = PlantedLog("alerts-ha-down");
  ASSERT_NE(sim, nullptr);
  const std::string config = Config("hadown", NewDatabase("hadown"), *sim, {(*up)->url(), (*down)->url()});
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto run = Run(config);
  ASSERT_NE(run, nullptr);
  WaitAccepted(*run, (*up)->url(), 4, "firing");
  auto listed = (*up)->Alerts();
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(AlertSummaries(*listed), kPlantAlerts);
  ASSERT_TRUE(run->WaitForLine("alerts: " + (*down)->url() + " failed").ok()) << run->output();
  auto owed = pg_->Psql("SELECT count(*) FROM alert_outbox", "hadown");
  ASSERT_TRUE(owed.ok());
  EXPECT_EQ(owed->substr(0, 1), "4");

  ASSERT_TRUE((*down)->Restart().ok());
  WaitAccepted(*run, (*down)->url(), 4, "firing");
  auto back = (*down)->Alerts();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(AlertSummaries(*back), kPlantAlerts);
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(), 0) << run->output();
}

// ShippedRulesWithStaleAfter returns deploy/prometheus/pinwatch-rules.yml with
// PinwatchLogNotPolled's 15 minutes (the literal "> 900") cut to `seconds` and its `for:`
// to 0s, written into `dir`; the other rules as shipped.
std::string ShippedRulesWithStaleAfter(const std::string& dir, int seconds) {
  std::ifstream in(std::string(PINWATCH_SOURCE_DIR) + "/deploy/prometheus/pinwatch-rules.yml");
  std::stringstream text;
  text << in.rdbuf();
  std::string rules = text.str();
  const size_t at = rules.find("- alert: PinwatchLogNotPolled");
  const size_t end = rules.find("- alert:", at + 1);
  std::string rule = rules.substr(at, end - at);
  const auto replace_all = [&rule](std::string_view from, const std::string& to) {
    for (size_t i = rule.find(from); i != std::string::npos; i = rule.find(from, i + to.size())) {
      rule.replace(i, from.size(), to);
    }
  };
  replace_all("> 900", "> " + std::to_string(seconds));
  // The rule's `for:` duration, whatever it is.
  if (size_t f = rule.find("for: "); f != std::string::npos) {
    rule.replace(f, rule.find('\n', f) - f, "for: 0s");
  }
  rules = rules.substr(0, at) + rule + rules.substr(end);
  const std::string path = dir + "/pinwatch-rules.yml";
  std::ofstream(path) << rules;
  return path;
}

TEST_F(AlertsTest, PrometheusScrapesPinwatchAndTheStaleLogRuleFires) {
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  auto sim = PlantedLog("alerts-prometheus");
  ASSERT_NE(sim, nullptr);
  const std::string config = Config("prom", NewDatabase("prom"), *sim, {(*am)->url()});
  ASSERT_EQ(Pinwatch(config, {"migrate"}).exit_code, 0);
  auto run = Run(config);
  ASSERT_NE(run, nullptr);
  const int port = MetricsPort(*run);
  ASSERT_TRUE(run->WaitForLine("at tree head 12000").ok()) << run->output();

  auto prometheus = PrometheusServer::Start({.scrape_targets = {"127.0.0.1:" + std::to_string(port)},
                                             .rule_files = {ShippedRulesWithStaleAfter(dir_, 3)},
                                             .alertmanagers = {(*am)->url()}});
  ASSERT_TRUE(prometheus.ok()) << prometheus.status().ToString();
  // The shipped rules are all loaded.
  auto names = (*prometheus)->LoadedRuleNames();
  ASSERT_TRUE(names.ok()) << names.status().ToString();
  for (const char* rule : {"PinwatchDown", "PinwatchLogNotPolled", "PinwatchLogBacklogGrowing",
                           "PinwatchLogVerificationLagging", "PinwatchLogMisbehaviourSeen", "PinwatchOpenCriticalFinding",
                           "PinwatchAlertDeliveryFailing", "PinwatchDatabaseErrors", "PinwatchDatabaseDown"}) {
    EXPECT_NE(std::find(names->begin(), names->end(), rule), names->end()) << rule;
  }
  // Prometheus scrapes on its own schedule and says nothing when it does: poll (bounded).
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::optional<double> position;
  while (std::chrono::steady_clock::now() < deadline) {
    auto v = (*prometheus)->QueryScalar("max(pinwatch_log_position)");
    if (v.ok() && *v) {
      position = **v;
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(position, 12000) << "Prometheus never scraped pinwatch's position";
  auto up = (*prometheus)->QueryScalar("up{job=\"pinwatch\"}");
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(*up, 1);
  auto quiet = (*prometheus)->RuleAlerts();
  ASSERT_TRUE(quiet.ok());
  for (const auto& a : *quiet) EXPECT_NE(a.labels.at("alertname"), "PinwatchLogNotPolled") << "fired while the log answers";

  // The log stops answering (500 to everything): after the (shortened) threshold the rule
  // fires, and Prometheus hands the alert to Alertmanager.
  ASSERT_TRUE(sim->Post("/sim/faults", R"({"http_500_every":1})").ok());
  bool fired = false;
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fired && std::chrono::steady_clock::now() < deadline) {
    auto alerts = (*prometheus)->RuleAlerts();
    ASSERT_TRUE(alerts.ok()) << alerts.status().ToString();
    for (const auto& a : *alerts) {
      fired = fired || (a.labels.at("alertname") == "PinwatchLogNotPolled" && a.state == "firing" &&
                        a.labels.at("log").find(sim->url()) != std::string::npos);
    }
    if (!fired) std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(fired) << "PinwatchLogNotPolled never fired";
  auto received = (*am)->WaitForAlert([](const Alert& a) { return a.labels.at("alertname") == "PinwatchLogNotPolled"; },
                                      std::chrono::seconds(30));
  EXPECT_TRUE(received.ok()) << received.status().ToString();
  run->Signal(SIGTERM);
  EXPECT_EQ(run->Wait(), 0);
}

TEST_F(AlertsTest, ADeadSendersLeaseIsTakenOverAndTheOtherReplicaSends) {
  auto am = AlertmanagerServer::Start();
  ASSERT_TRUE(am.ok()) << am.status().ToString();
  auto sim = PlantedLog("alerts-takeover");
  ASSERT_NE(sim, nullptr);
  const std::string db = NewDatabase("takeover");
  const std::string a_config = Config("a", db, *sim, {(*am)->url()});
  ASSERT_EQ(Pinwatch(a_config, {"migrate"}).exit_code, 0);
  auto a = ChildProcess::Start({PinwatchPath(), "--config", a_config, "run"}, {"PINWATCH_REPLICA_ID=replica-a"});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->WaitForLine("alerts: this replica sends the alerts").ok()) << (*a)->output();
  WaitAccepted(**a, (*am)->url(), 4, "firing");
  auto b = ChildProcess::Start({PinwatchPath(), "--config", a_config, "run"}, {"PINWATCH_REPLICA_ID=replica-b"});
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->WaitForLine("following 1 logs").ok()) << (*b)->output();
  (*a)->Signal(SIGKILL);  // the sender dies holding its lease (6 s, from lease_seconds)
  EXPECT_EQ((*a)->Wait(), 128 + SIGKILL);
  ASSERT_TRUE((*b)->WaitForLine("alerts: this replica sends the alerts").ok()) << (*b)->output();
  // The new sender resends what is open, and ends what an operator acks.
  rapidjson::Document findings = FindingsJson(a_config);
  int64_t id = 0;
  for (const auto& f : findings.GetArray()) {
    if (std::string(f["kind"].GetString()) == "malformed") id = f["id"].GetInt64();
  }
  ASSERT_GT(id, 0);
  ASSERT_EQ(Pinwatch(a_config, {"resolve", std::to_string(id)}).exit_code, 0);
  WaitAccepted(**b, (*am)->url(), 1, "resolved");
  auto listed = (*am)->Alerts();
  ASSERT_TRUE(listed.ok());
  std::multiset<std::string> want = kPlantAlerts;
  want.erase(want.find("PinwatchMalformedCertificate mybank.test warning"));
  EXPECT_EQ(AlertSummaries(*listed), want);
  (*b)->Signal(SIGTERM);
  EXPECT_EQ((*b)->Wait(), 0);
}

}  // namespace
}  // namespace pinwatch
