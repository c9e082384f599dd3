#include "tests/support/alertmanager_server.h"
#include "tests/support/local_server.h"

#include <rapidjson/document.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <httplib.h>
#include <string_view>

namespace pinwatch::testing {
namespace {

// kStartBound bounds the wait for the readiness line: a bound for a broken test, not a
// synchronisation (WaitForLine wakes on the server's write).
constexpr std::chrono::seconds kStartBound(120);

std::string FindBinary() {
  if (const char* env = std::getenv("PINWATCH_ALERTMANAGER"); env != nullptr && *env != '\0') return env;
  for (const char* path : {"/usr/bin/prometheus-alertmanager", "/usr/bin/alertmanager"}) {
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) return path;
  }
  return "";
}

// ParseAlerts reads the body of GET /api/v2/alerts.
Result<std::vector<Alert>> ParseAlerts(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsArray()) return MalformedError("GET /api/v2/alerts: not a JSON array: " + body);
  std::vector<Alert> alerts;
  for (const auto& a : doc.GetArray()) {
    if (!a.IsObject()) return MalformedError("GET /api/v2/alerts: an element is not an object: " + body);
    Alert alert;
    alert.labels = JsonStringMap(a, "labels");
    alert.annotations = JsonStringMap(a, "annotations");
    alert.starts_at = JsonString(a, "startsAt");
    alert.ends_at = JsonString(a, "endsAt");
    alert.generator_url = JsonString(a, "generatorURL");
    alert.fingerprint = JsonString(a, "fingerprint");
    if (auto status = a.FindMember("status"); status != a.MemberEnd()) alert.state = JsonString(status->value, "state");
    alerts.push_back(std::move(alert));
  }
  return alerts;
}

}  // namespace

Result<std::unique_ptr<AlertmanagerServer>> AlertmanagerServer::Start(int port) {
  std::unique_ptr<AlertmanagerServer> am(new AlertmanagerServer());
  am->binary_ = FindBinary();
  if (am->binary_.empty()) {
    return FailedPreconditionError(
        "no Alertmanager binary (install Debian's prometheus-alertmanager, or set PINWATCH_ALERTMANAGER)");
  }
  char tmpl[] = "/tmp/pinwatch-am.XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return InternalError("mkdtemp failed");
  am->dir_ = tmpl;
  {
    std::ofstream config(am->dir_ + "/alertmanager.yml");
    config << "# Every alert goes to \"null\", a receiver without integrations: tests read alerts\n"
              "# back through the API.\n"
              "route:\n"
              "  receiver: 'null'\n"
              "  group_wait: 0s\n"
              "  group_interval: 1s\n"
              "receivers:\n"
              "  - name: 'null'\n";
    if (!config.good()) return InternalError("cannot write " + am->dir_ + "/alertmanager.yml");
  }
  if (Status s = am->Launch(port); !s.ok()) return s;
  return am;
}

Status AlertmanagerServer::Launch(int port) {
  auto child = ChildProcess::Start({binary_, "--config.file=" + dir_ + "/alertmanager.yml",
                                    "--storage.path=" + dir_ + "/data",
                                    "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                    // Empty: no gossip listener, so several run side by side.
                                    "--cluster.listen-address=", "--log.level=info"});
  if (!child.ok()) return child.status();
  // Logged by web.Serve with the bound listener's address, after the configuration loaded.
  auto line = (*child)->WaitForLine("msg=\"Listening on\"", kStartBound);
  const int bound_port = line.ok() ? ListenPortOf(*line) : 0;
  if (bound_port == 0) {
    return StartFailure(**child, "alertmanager", port,
                        line.ok() ? InternalError("no port in: " + *line) : line.status());
  }
  port_ = bound_port;
  process_ = std::make_unique<ServingProcess>(std::move(*child), "alertmanager");
  return OkStatus();
}

Status AlertmanagerServer::Stop() {
  if (process_ == nullptr) return OkStatus();
  Status stopped = process_->Stop();
  process_.reset();
  return stopped;
}

Status AlertmanagerServer::Restart() {
  if (Status s = Stop(); !s.ok()) return s;
  return Launch(port_);
}

AlertmanagerServer::~AlertmanagerServer() {
  (void)Stop();
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

Result<std::string> AlertmanagerServer::AlertsJson() const { return HttpGetBody(url(), "/api/v2/alerts"); }

Result<std::vector<Alert>> AlertmanagerServer::Alerts() const {
  auto body = AlertsJson();
  if (!body.ok()) return body.status();
  return ParseAlerts(*body);
}

Result<Alert> AlertmanagerServer::WaitForAlert(const std::function<bool(const Alert&)>& match,
                                               std::chrono::milliseconds timeout) const {
  // A bounded poll, because Alertmanager offers nothing to wait on: no stream of received
  // alerts, and a webhook receiver would hear only of routed alerts after group_wait. The
  // interval is short next to any timeout a test uses, and each poll is one local GET.
  constexpr auto kInterval = std::chrono::milliseconds(100);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;  // what the last poll saw, for the error
  for (;;) {
    auto body = AlertsJson();
    auto alerts = body.ok() ? ParseAlerts(*body) : Result<std::vector<Alert>>(body.status());
    if (alerts.ok()) {
      for (const Alert& a : *alerts) {
        if (match(a)) return a;
      }
      last = "alerts: " + *body;
    } else {
      last = "last error: " + alerts.status().ToString();
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return UnavailableError("no matching alert within " + std::to_string(timeout.count()) + " ms; " + last);
    }
    std::this_thread::sleep_for(kInterval);
  }
}

}  // namespace pinwatch::testing
