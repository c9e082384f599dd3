// AlertmanagerServer runs a real, throwaway Prometheus Alertmanager for tests: a minimal
// configuration (one route to a receiver named "null" with no integrations) and its storage
// in a temporary directory, the HTTP API on a 127.0.0.1 port, clustering off so several run
// side by side. It is stopped and the directory removed on destruction.
//
// Readiness is Alertmanager's own log line: it logs `msg="Listening on" address=HOST:PORT`
// once its listener is bound (exporter-toolkit's web.Serve logs the listener's address, so
// with port 0 the line names the port the kernel chose), after the configuration is loaded.
// Nothing here sleeps; WaitForAlert is a bounded poll because Alertmanager has nothing to
// wait on (see there).
//
// What Alertmanager 0.25 does, as the self-tests (observability_servers_test.cc) check:
// - GET /api/v2/alerts lists only alerts that have not ended: a resolved alert (endsAt in
//   the past) is left out, whatever the active/silenced/inhibited filters say. An alert
//   posted without endsAt gets now + resolve_timeout (5m).
// - Alerts live in memory only: after Stop/Restart the list is empty until clients send
//   them again (Prometheus and pinwatch resend). Silences and the notification log are
//   written to the storage directory on shutdown and survive a restart.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "tests/support/child_process.h"
#include "tests/support/local_server.h"

namespace pinwatch::testing {

// Alert is one entry of GET /api/v2/alerts. Timestamps are as Alertmanager writes them
// (RFC 3339, e.g. "2026-01-02T03:04:05.000Z"); absent fields are empty.
struct Alert {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string starts_at;
  std::string ends_at;
  std::string generator_url;
  std::string state;        // status.state: "active", "suppressed" or "unprocessed"
  std::string fingerprint;
};

class AlertmanagerServer {
 public:
  // Start writes the configuration and starts the server on 127.0.0.1:`port` (0: a port
  // the kernel chooses, read back from the server's log), and returns once it listens.
  // The binary is $PINWATCH_ALERTMANAGER, or /usr/bin/prometheus-alertmanager (Debian's
  // name), or /usr/bin/alertmanager: kFailedPrecondition when there is none. Other errors
  // carry the server's output.
  static Result<std::unique_ptr<AlertmanagerServer>> Start(int port = 0);
  ~AlertmanagerServer();  // Stop, then remove the temporary directory
  AlertmanagerServer(const AlertmanagerServer&) = delete;
  AlertmanagerServer& operator=(const AlertmanagerServer&) = delete;

  // url is "http://127.0.0.1:PORT" (no trailing slash); port stays the same across Restart.
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // dir is the temporary directory: alertmanager.yml and data/ (--storage.path).
  const std::string& dir() const { return dir_; }
  bool running() const { return process_ != nullptr; }

  // Stop sends SIGTERM and waits for the process to exit (Alertmanager writes silences and
  // the notification log, then exits). OK if it is not running; kInternal with the output
  // if it exited with a nonzero status (it is stopped all the same).
  Status Stop();
  // Restart starts the server again on the same port with the same storage directory,
  // stopping it first if it runs, and returns once it listens. kUnavailable if the port has
  // been taken meanwhile (the error carries the server's "address already in use"); Stop's
  // error, starting nothing, if that stop was not clean.
  Status Restart();

  // Alerts is GET /api/v2/alerts: the alerts that have not ended (see the file comment).
  // kUnavailable if the server does not answer 200, kMalformed if the body is not the
  // documented JSON array.
  Result<std::vector<Alert>> Alerts() const;
  // AlertsJson is the raw body of GET /api/v2/alerts.
  Result<std::string> AlertsJson() const;

  // WaitForAlert polls Alerts() until one satisfies `match` and returns it; kUnavailable
  // when `timeout` passes first, with what the last poll saw (the alerts, or the error).
  // Prefer waiting for the sender's own log line: this is a poll (see the .cc).
  Result<Alert> WaitForAlert(const std::function<bool(const Alert&)>& match,
                             std::chrono::milliseconds timeout = std::chrono::seconds(60)) const;

 private:
  AlertmanagerServer() = default;
  Status Launch(int port);

  std::string binary_;
  std::string dir_;
  int port_ = 0;
  std::unique_ptr<ServingProcess> process_;  // null while stopped
};

}  // namespace pinwatch::testing
