// PrometheusServer runs a real, throwaway Prometheus for tests: a configuration written from
// PrometheusOptions (one scrape job named "pinwatch", rule files, Alertmanagers) and its TSDB
// in a temporary directory, the HTTP API on a 127.0.0.1 port. It is stopped and the
// directory removed on destruction.
//
// Readiness is Prometheus's own log: `msg="Listening on" address=127.0.0.1:PORT` once the
// web listener is bound, and `msg="Server is ready to receive web requests."`, logged after
// the TSDB is open and the configuration (with the rule files) is loaded. Nothing here sleeps; a test that needs the
// first scrape or rule evaluation polls Targets()/RuleAlerts() with a bound, because
// Prometheus logs neither.
//
// Timing to budget for: Prometheus's discovery managers hand new targets (scrape targets and
// Alertmanagers alike) on at most every 5 s, so the first scrape and the first alert that
// reaches an Alertmanager come about 5 s after Start (and after Restart), whatever the
// intervals; rules are evaluated from the start.
#pragma once

#include <memory>
#include <optional>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/child_process.h"
#include "tests/support/local_server.h"

namespace pinwatch::testing {

struct PrometheusOptions {
  // scrape_targets are "host:port" of the job named "pinwatch" (path /metrics, http). No
  // targets: no scrape job.
  std::vector<std::string> scrape_targets;
  // Durations as Prometheus writes them. scrape_timeout is Prometheus's default, capped at
  // the interval.
  std::string scrape_interval = "1s";
  std::string evaluation_interval = "1s";
  // rule_files are paths of rule files, referenced where they are (made absolute), so
  // Prometheus's errors name the real file. A file that does not load fails Start with
  // Prometheus's error.
  std::vector<std::string> rule_files;
  // alertmanagers are where firing alerts go (alerting.alertmanagers static targets):
  // "http://host:port" (AlertmanagerServer::url()) or "host:port".
  std::vector<std::string> alertmanagers;
  // alert_resend_delay is --rules.alert.resend-delay. Prometheus's default is 1m, and the
  // first notification of an alert that fires at start-up goes out before the Alertmanagers
  // are known (see the 5 s above) and is dropped, so with the default it arrives a minute
  // late; 1s resends at every evaluation. Empty: Prometheus's default.
  std::string alert_resend_delay = "1s";
  // extra_args are appended to the command line (e.g. "--log.level=debug").
  std::vector<std::string> extra_args;
};

// RuleAlert is one entry of GET /api/v1/alerts: an alert of an alerting rule that is pending
// (its `for` has not passed) or firing.
struct RuleAlert {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string state;  // "pending" or "firing"
  std::string active_at;
  std::string value;  // the expression's value as Prometheus formats it, e.g. "1e+00"
};

// TargetHealth is one active target of GET /api/v1/targets.
struct TargetHealth {
  std::string scrape_url;  // e.g. "http://127.0.0.1:9100/metrics"
  std::string health;      // "up", "down" or "unknown" (not scraped yet)
  std::string last_error;  // empty when the last scrape succeeded
  std::map<std::string, std::string> labels;  // job, instance, …
};

class PrometheusServer {
 public:
  // Start writes the configuration and starts Prometheus on a free 127.0.0.1 port (also its
  // --web.external-url, so alerts' generatorURL point at it), and returns once it says it
  // is ready. The binary is
  // $PINWATCH_PROMETHEUS or /usr/bin/prometheus: kFailedPrecondition when there is none.
  // Other errors carry Prometheus's output (a rule file that does not parse, say).
  static Result<std::unique_ptr<PrometheusServer>> Start(const PrometheusOptions& options);
  ~PrometheusServer();  // Stop, then remove the temporary directory
  PrometheusServer(const PrometheusServer&) = delete;
  PrometheusServer& operator=(const PrometheusServer&) = delete;

  // url is "http://127.0.0.1:PORT" (no trailing slash); port stays the same across Restart.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // dir is the temporary directory: prometheus.yml and data/ (--storage.tsdb.path).
  const std::string& dir() const { return dir_; }
  bool running() const { return process_ != nullptr; }

  // Stop sends SIGTERM and waits for Prometheus to exit. OK if it is not running; kInternal
  // with the output if it exited with a nonzero status (it is stopped all the same).
  Status Stop();
  // Restart starts it again on the same port with the same TSDB, stopping it first if it
  // runs, and returns once it is ready. kUnavailable if the port has been taken meanwhile;
  // Stop's error, starting nothing, if that stop was not clean.
  Status Restart();

  // Query is GET /api/v1/query?query=PROMQL (an instant query, now): the raw JSON body.
  // kUnavailable if Prometheus does not answer 200 (a PromQL syntax error is HTTP 400: the
  // message carries Prometheus's error).
  Result<std::string> Query(const std::string& promql) const;
  // QueryScalar is the value of the first sample of an instant query ("vector" result) or
  // the scalar ("scalar" result); nullopt when the vector is empty. kMalformed for other
  // result types or bodies.
  Result<std::optional<double>> QueryScalar(const std::string& promql) const;

  // RuleAlerts is GET /api/v1/alerts: the pending and firing alerts of the alerting rules.
  Result<std::vector<RuleAlert>> RuleAlerts() const;
  // LoadedRuleNames is GET /api/v1/rules: the name of every rule (alerting rules' alert
  // names, recording rules' series names) of every group, in Prometheus's order.
  Result<std::vector<std::string>> LoadedRuleNames() const;
  // Targets is GET /api/v1/targets: the active targets.
  Result<std::vector<TargetHealth>> Targets() const;

 private:
  PrometheusServer() = default;
  Status Launch(int port);

  std::string binary_;
  std::string dir_;
  std::vector<std::string> extra_args_;
  int port_ = 0;
  std::unique_ptr<ServingProcess> process_;  // null while stopped
};

}  // namespace pinwatch::testing
