#include "tests/support/prometheus_server.h"
#include "tests/support/local_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <httplib.h>
#include <sstream>
#include <string_view>

namespace pinwatch::testing {
namespace {

// kStartBound bounds the wait for each readiness line: a bound for a broken test, not a
// synchronisation (WaitForLine wakes on the server's write).
constexpr std::chrono::seconds kStartBound(120);

constexpr std::string_view kListening = "msg=\"Listening on\"";
constexpr std::string_view kReady = "Server is ready to receive web requests.";

std::string FindBinary() {
  if (const char* env = std::getenv("PINWATCH_PROMETHEUS"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  return std::filesystem::exists("/usr/bin/prometheus", ec) ? "/usr/bin/prometheus" : "";
}

// Quoted is `s` as a single-quoted YAML scalar.
std::string Quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    out += c;
    if (c == '\'') out += '\'';
  }
  return out + "'";
}

// HostPort turns "http://host:port/" into "host:port"; "host:port" stays as it is.
std::string HostPort(std::string url) {
  if (url.rfind("http://", 0) == 0) url = url.substr(7);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// QueryEscaped percent-encodes everything but RFC 3986's unreserved characters.
std::string QueryEscaped(const std::string& s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// GetData GETs `path` and parses Prometheus's envelope {"status":"success","data":…} into
// `doc`, returning data's array `member`.
Result<const rapidjson::Value*> GetData(const std::string& base_url, const std::string& path,
                                        rapidjson::Document& doc, const char* member) {
  auto body = HttpGetBody(base_url, path);
  if (!body.ok()) return body.status();
  doc.Parse(body->data(), body->size());
  if (doc.HasParseError() || !doc.IsObject() || JsonString(doc, "status") != "success") {
    return MalformedError("GET " + path + ": not a successful Prometheus API answer: " + *body);
  }
  auto data = doc.FindMember("data");
  if (data == doc.MemberEnd() || !data->value.IsObject()) return MalformedError("GET " + path + ": no data: " + *body);
  auto m = data->value.FindMember(member);
  if (m == data->value.MemberEnd() || !m->value.IsArray()) {
    return MalformedError("GET " + path + ": no data." + member + ": " + *body);
  }
  return &m->value;
}

// SampleValue reads a [timestamp, "value"] pair.
Result<double> SampleValue(const rapidjson::Value& pair) {
  if (!pair.IsArray() || pair.Size() != 2 || !pair[1].IsString()) return MalformedError("not a [time, \"value\"] pair");
  const char* text = pair[1].GetString();
  char* end = nullptr;
  const double v = std::strtod(text, &end);  // also "NaN", "+Inf", "-Inf"
  if (end == text || *end != '\0') return MalformedError(std::string("not a number: ") + text);
  return v;
}

}  // namespace

Result<std::unique_ptr<PrometheusServer>> PrometheusServer::Start(const PrometheusOptions& options) {
  std::unique_ptr<PrometheusServer> prom(new PrometheusServer());
  prom->binary_ = FindBinary();
  if (prom->binary_.empty()) {
    return FailedPreconditionError("no Prometheus binary (install Debian's prometheus, or set PINWATCH_PROMETHEUS)");
  }
  char tmpl[] = "/tmp/pinwatch-prom.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return InternalError("mkdtemp failed");
  prom->dir_ = tmpl;

  std::ostringstream y;
  y << "# Written by tests/support/prometheus_server.cc.\n"
    << "global:\n"
    << "  scrape_interval: " << Quoted(options.scrape_interval) << "\n"
    << "  evaluation_interval: " << Quoted(options.evaluation_interval) << "\n";
  if (!options.rule_files.empty()) {
    y << "rule_files:\n";
    for (const std::string& f : options.rule_files) {
      std::error_code ec;
      const auto absolute = std::filesystem::absolute(f, ec);
      y << "  - " << Quoted(ec ? f : absolute.string()) << "\n";
    }
  }
  if (!options.alertmanagers.empty()) {
    y << "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets:\n";
    for (const std::string& am : options.alertmanagers) y << "            - " << Quoted(HostPort(am)) << "\n";
  }
  if (!options.scrape_targets.empty()) {
    y << "scrape_configs:\n  - job_name: 'pinwatch'\n    static_configs:\n      - targets:\n";
    for (const std::string& t : options.scrape_targets) y << "          - " << Quoted(t) << "\n";
  }
  {
    std::ofstream config(prom->dir_ + "/prometheus.yml");
    config << y.str();
    if (!config.good()) return InternalError("cannot write " + prom->dir_ + "/prometheus.yml");
  }
  if (!options.alert_resend_delay.empty()) {
    prom->extra_args_.push_back("--rules.alert.resend-delay=" + options.alert_resend_delay);
  }
  prom->extra_args_.insert(prom->extra_args_.end(), options.extra_args.begin(), options.extra_args.end());
  // Not port 0, although Prometheus would log the port it got: the port goes into
  // --web.external-url, which Prometheus puts in alerts' generatorURL and targets' globalUrl
  // (by default "http://HOSTNAME:0/…"). A port taken between FreeLoopbackPort and the bind is
  // answered with another.
  Status s = OkStatus();
  for (int attempt = 0; attempt < 3; ++attempt) {
    const int port = FreeLoopbackPort();
    if (port == 0) return InternalError("no free loopback port");
    s = prom->Launch(port);
    if (s.code() != Code::kUnavailable) break;
  }
  if (!s.ok()) return s;
  return prom;
}

Status PrometheusServer::Launch(int port) {
  std::vector<std::string> argv = {binary_, "--config.file=" + dir_ + "/prometheus.yml",
                                   "--storage.tsdb.path=" + dir_ + "/data",
                                   "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                   "--web.external-url=http://127.0.0.1:" + std::to_string(port) + "/"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  auto child = ChildProcess::Start(argv);
  if (!child.ok()) return child.status();
  ChildProcess& c = **child;
  // First the web listener (its own goroutine: the bound port), then readiness. The two are
  // logged by different goroutines, so the ready line may already have been read while
  // waiting for the first: look in what was read before waiting for it.
  auto listening = c.WaitForLine(kListening, kStartBound);
  const int bound_port = listening.ok() ? ListenPortOf(*listening) : 0;
  Status failed = OkStatus();
  if (bound_port == 0) {
    failed = listening.ok() ? InternalError("no port in: " + *listening) : listening.status();
  } else if (c.output().find(kReady) == std::string::npos) {
    if (auto ready = c.WaitForLine(kReady, kStartBound); !ready.ok()) failed = ready.status();
  }
  if (!failed.ok()) return StartFailure(c, "prometheus", port, failed);
  port_ = bound_port;
  process_ = std::make_unique<ServingProcess>(std::move(*child), "prometheus");
  return OkStatus();
}

Status PrometheusServer::Stop() {
  if (process_ == nullptr) return OkStatus();
  Status stopped = process_->Stop();
  process_.reset();
  return stopped;
}

Status PrometheusServer::Restart() {
  if (Status s = Stop(); !s.ok()) return s;
  return Launch(port_);
}

PrometheusServer::~PrometheusServer() {
  (void)Stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

Result<std::string> PrometheusServer::Query(const std::string& promql) const {
  return HttpGetBody(url(), "/api/v1/query?query=" + QueryEscaped(promql));
}

Result<std::optional<double>> PrometheusServer::QueryScalar(const std::string& promql) const {
  rapidjson::Document doc;
  // "result" is an array for every result type: samples for a vector, [time, "value"] for a scalar.
  auto result = GetData(url(), "/api/v1/query?query=" + QueryEscaped(promql), doc, "result");
  if (!result.ok()) return result.status();
  const std::string type = JsonString(doc["data"], "resultType");
  const rapidjson::Value& r = **result;
  if (type == "scalar") {
    auto v = SampleValue(r);
    if (!v.ok()) return MalformedError(promql + ": scalar: " + v.status().message());
    return std::optional<double>(*v);
  }
  if (type != "vector") return MalformedError(promql + ": result type " + type + ", not a vector or scalar");
  if (r.Size() == 0) return std::optional<double>();
  auto it = r[0].IsObject() ? r[0].FindMember("value") : r[0].MemberEnd();
  if (!r[0].IsObject() || it == r[0].MemberEnd()) return MalformedError(promql + ": a sample without a value");
  auto v = SampleValue(it->value);
  if (!v.ok()) return MalformedError(promql + ": " + v.status().message());
  return std::optional<double>(*v);
}

Result<std::vector<RuleAlert>> PrometheusServer::RuleAlerts() const {
  rapidjson::Document doc;
  auto alerts = GetData(url(), "/api/v1/alerts", doc, "alerts");
  if (!alerts.ok()) return alerts.status();
  std::vector<RuleAlert> out;
  for (const auto& a : (*alerts)->GetArray()) {
    if (!a.IsObject()) return MalformedError("GET /api/v1/alerts: an alert is not an object");
    RuleAlert alert;
    alert.labels = JsonStringMap(a, "labels");
    alert.annotations = JsonStringMap(a, "annotations");
    alert.state = JsonString(a, "state");
    alert.active_at = JsonString(a, "activeAt");
    alert.value = JsonString(a, "value");
    out.push_back(std::move(alert));
  }
  return out;
}

Result<std::vector<std::string>> PrometheusServer::LoadedRuleNames() const {
  rapidjson::Document doc;
  auto groups = GetData(url(), "/api/v1/rules", doc, "groups");
  if (!groups.ok()) return groups.status();
  std::vector<std::string> names;
  for (const auto& g : (*groups)->GetArray()) {
    auto rules = g.IsObject() ? g.FindMember("rules") : g.MemberEnd();
    if (!g.IsObject() || rules == g.MemberEnd() || !rules->value.IsArray()) {
      return MalformedError("GET /api/v1/rules: a group without a rules array");
    }
    for (const auto& r : rules->value.GetArray()) names.push_back(JsonString(r, "name"));
  }
  return names;
}

Result<std::vector<TargetHealth>> PrometheusServer::Targets() const {
  rapidjson::Document doc;
  auto targets = GetData(url(), "/api/v1/targets", doc, "activeTargets");
  if (!targets.ok()) return targets.status();
  std::vector<TargetHealth> out;
  for (const auto& t : (*targets)->GetArray()) {
    if (!t.IsObject()) return MalformedError("GET /api/v1/targets: a target is not an object");
    TargetHealth target;
    target.scrape_url = JsonString(t, "scrapeUrl");
    target.health = JsonString(t, "health");
    target.last_error = JsonString(t, "lastError");
    target.labels = JsonStringMap(t, "labels");
    out.push_back(std::move(target));
  }
  return out;
}

}  // namespace pinwatch::testing
