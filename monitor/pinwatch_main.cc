// pinwatch: the monitor's one binary. See kUsage and the README.
#include <malloc.h>
#include <pthread.h>
#include <signal.h>

#include <atomic>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <span>
#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "alerts/alertmanager.h"
#include "alerts/metrics.h"
#include "alerts/sender.h"
#include "api/http_server.h"
#include "api/operator_api.h"
#include "api/report_intake.h"
#include "base/time.h"
#include "db/postgres.h"
#include "net/http.h"
#include "monitor/cli.h"
#include "monitor/config.h"
#include "monitor/pins_cli.h"
#include "report/findings.h"
#include "report/reports.h"
#include "monitor/watched.h"
#include "pinreports/explain.h"
#include "monitor/daemon.h"
#include "monitor/pin_keeper.h"

namespace {

using namespace pinwatch;
using namespace pinwatch::monitor;

constexpr const char kUsage[] = R"(pinwatch: watch Certificate Transparency logs for your domains.

Usage: pinwatch --config FILE COMMAND [OPTIONS]     (--config may also follow COMMAND)

Commands
  check-config       read and validate the configuration, say what it chose; nothing else
  migrate            apply the database schema migrations (safe to run again)
  run [--once]       follow the chosen logs until SIGINT/SIGTERM; --once: process every
                     log this replica can lease up to its current tree head, then exit
  status [--json]    per log: position, verified tree size, tree size, lag, lease, last error
  findings [--json] [--status S[,S]] [--kind K[,K]] [--severity MIN] [--limit N]
                     list findings (newest last); --json prints a JSON array
  ack ID [--note TEXT]       mark a finding acknowledged (ends its alert)
  resolve ID [--note TEXT]   mark a finding resolved (ends its alert)
  reopen ID [--note TEXT]    mark a finding open again (alerts again)
  alerts test [--watched NAME] [--severity S]
                     send a test alert to every Alertmanager and say what each answered
  pinset show|export|adopt NAME ...   a pin-set's versions, its exports for apps, or make
                     the configuration's pins its next version
  pinset verify FILE --public-key PEM   check a published pin-set and its signature
  proposals [--json] [--status S[,S]]   pin-set changes proposed from CT, with safety checks
  proposals approve|reject ID --operator NAME --reason TEXT
  proposals check ID the safety checks of a pending proposal
  operator add NAME [--role approver|viewer] | list | remove NAME
  audit [--json]     every pin-set decision
  reports [--json] [--limit N]   pin-failure reports from apps, grouped and explained
  keygen --out FILE  make a pin-set signing key (ECDSA P-256)
  help [COMMAND]     this text, or a command's

Environment: PINWATCH_DATABASE_URL overrides database.url, PINWATCH_REPLICA_ID run.replica_id.
Exit codes: 0 ok; 1 a log failed (run --once), a finding was not found, an Alertmanager
did not accept the test alert, or a pin-set decision was refused (a failing safety check,
a proposal already decided) or a signature did not verify; 2 bad usage or
configuration, database unreachable or at the wrong schema version; 3 a log misbehaved
(run --once).
)";

constexpr const char kRunUsage[] = R"(pinwatch --config FILE run [--once]

Follows every log the configuration chooses (logs.lists, logs.states), sharing them with
other replicas through leases in the database, and writes findings for certificates that
concern the watched names. Progress goes to standard error: backfill lines with entries/s
and ETA, one line per round, errors and log misbehaviour.
  --once   process every log this replica can lease up to its current tree head, deliver
           the alerts owed, then exit (exit 1 if a log failed, 3 if a log misbehaved)
With http.listen it serves /metrics, /healthz and /readyz; with alerts.alertmanager_urls
it pushes alerts for new findings to Alertmanager (one replica at a time sends).
)";

constexpr const char kFindingsUsage[] = R"(pinwatch --config FILE findings [--json] [--status S[,S]] [--kind K[,K]] [--severity MIN] [--limit N]

  --json         a JSON array; each finding has kind, severity, status, names, watched,
                 spki_sha256, issuer_spki_sha256 (sha256/BASE64), tbs_sha256 (hex),
                 not_before, not_after (RFC 3339) and entries [{log_id, index, entry_type}]
                 (see the README for every field)
  --status       open, acknowledged, resolved (comma-separated; default all)
  --kind         unexpected_issuer, unexpected_key, known_key, malformed, log_misbehaviour
  --severity     the minimum: info, warning or critical
  --limit N      at most N findings (0: none; default all)
)";

constexpr const char kStatusUsage[] = R"(pinwatch --config FILE status [--json]

Per followed log: position (entries committed), verified tree size, the latest tree size
seen, lag, the replica holding its lease and the last error.
)";

constexpr const char kMigrateUsage[] = R"(pinwatch --config FILE migrate

Applies the schema migrations the database is missing, each in a transaction. Safe to run
again and from several replicas at once. `run` refuses a database at another version.
)";

constexpr const char kFindingStatusUsage[] = R"(pinwatch --config FILE ack|resolve|reopen ID [--note TEXT]

Moves finding ID to acknowledged, resolved or open, with an optional note. Its alert
follows: ack and resolve end it (Alertmanager hears it once more, with endsAt = now),
reopen makes it fire again.
)";

constexpr const char kAlertsUsage[] = R"(pinwatch --config FILE alerts test [--watched NAME] [--severity S]

Sends one test alert (alertname PinwatchTest, finding_id "test", severity S, default
warning; watched NAME, default the first watch entry) to every alerts.alertmanager_urls
entry, through the same code findings go through, and prints what each answered. It ends
by itself after 4 x alerts.resend_interval. Exit 0 if every Alertmanager accepted it, 1 if
one did not, 2 if none is configured.
)";

constexpr const char kCheckConfigUsage[] = R"(pinwatch --config FILE check-config

Reads FILE as `run` would (environment overrides included), validates all of it and says
what it chose: exit 0, or 2 with the error naming the line and key. Touches nothing else:
no database, no log, no key file. For deploy pipelines and container images.
)";

constexpr const char kReportsUsage[] = R"(pinwatch --config FILE reports [--json] [--limit N]

The pin-failure reports apps sent to POST /v1/pin-reports, grouped (the same name,
classification and keys), the most recent first: classification (stale_pinset,
unexpected_issuer_served, interception, unknown) and its reason, the leaf's and the
issuer's key, how many reports from how many clients, when (the reports' own times), and
the finding and proposal each group led to.
  --json     a JSON array (README "Pin-failure reports")
  --limit N  at most N groups (default all)
)";

const char* UsageOf(const std::string& command) {
  if (command == "run") return kRunUsage;
  if (command == "findings") return kFindingsUsage;
  if (command == "status") return kStatusUsage;
  if (command == "migrate") return kMigrateUsage;
  if (command == "check-config") return kCheckConfigUsage;
  if (command == "ack" || command == "resolve" || command == "reopen") return kFindingStatusUsage;
  if (command == "alerts") return kAlertsUsage;
  if (command == "pinset") return kPinsetUsage;
  if (command == "proposals") return kProposalsUsage;
  if (command == "operator") return kOperatorUsage;
  if (command == "audit") return kAuditUsage;
  if (command == "keygen") return kKeygenUsage;
  if (command == "reports") return kReportsUsage;
  return kUsage;
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    if (s == "--config" || s == "-c") {
      if (i + 1 >= argc) UsageError("--config needs a file");
      a.config = argv[++i];
    } else if (s.starts_with("--config=")) {
      a.config = s.substr(9);
    } else if (s == "--help" || s == "-h") {
      std::cout << UsageOf(a.command);
      std::exit(0);
    } else if (a.command.empty()) {
      a.command = s;
    } else {
      a.rest.push_back(s);
    }
  }
  return a;
}

std::unique_ptr<db::LogStateStore> LogStateStoreOrDie(const Config& config) {
  CheckSchemaOrDie(config);
  auto store = db::ConnectLogStateStore(config.database_url);
  if (!store.ok()) DieWith(store.status());
  return std::move(*store);
}

std::unique_ptr<db::FindingStore> FindingStoreOrDie(const Config& config) {
  CheckSchemaOrDie(config);
  auto store = db::ConnectFindingStore(config.database_url);
  if (!store.ok()) DieWith(store.status());
  return std::move(*store);
}

int Migrate(const Args& args) {
  if (!args.rest.empty()) UsageError("migrate takes no arguments");
  Config config = LoadConfigOrDie(args);
  auto result = db::MigrateSchema(config.database_url);
  if (!result.ok()) {
    std::cerr << "pinwatch: " << result.status().message() << "\n";
    return 2;
  }
  for (const std::string& step : result->applied) std::cout << "applied " << step << "\n";
  std::cout << "schema version " << result->to_version
            << (result->applied.empty() ? " (already up to date)" : "") << "\n";
  return 0;
}

alerts::SenderOptions SenderOptionsOf(const Config& config) {
  return {.alertmanager_urls = config.alerts.alertmanager_urls,
          .resend_interval_ms = config.alerts.resend_interval_ms,
          .timeout_ms = config.alerts.timeout_ms,
          .external_url = config.alerts.external_url,
          .replica_id = config.run.replica_id,
          .lease_seconds = config.run.lease_seconds};
}

int Run(const Args& args) {
  FollowMode mode = FollowMode::kForever;
  for (const std::string& a : args.rest) {
    if (a == "--once") mode = FollowMode::kOnce;
    else UsageError("run: unknown option " + a);
  }
  Config config = LoadConfigOrDie(args);
  CheckSchemaOrDie(config);
  // Every thread's stores borrow from one pool: at most database.max_connections sessions.
  auto pool = db::ConnectionPool::Open(config.database_url, config.database_max_connections);
  if (!pool.ok()) DieWith(pool.status());

  // Stop signals go to one thread that tells everyone (sigwait: no async-signal worries).
  const sigset_t signals = BlockStopSignals();
  StopSignal stop;
  // Set by main before it wakes the waiter itself: the run ended without a signal (done,
  // or failed) and the waiter must just finish. Not stop.stopped(): main stops the
  // sender and the pin-set job before it gets here, and a waiter that was not woken then
  // kept main waiting for it, forever and silently, when `run` failed at start.
  std::atomic<bool> main_done{false};
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (!main_done.load()) {
      LogToStderr("stopping (signal " + std::to_string(sig) + ")");
      stop.Stop();
    }
  });
  // FinishWaiter stops everything and collects the waiter, woken by a SIGTERM of our own
  // if no signal came (one that did is then pending, blocked, harmless).
  auto finish_waiter = [&] {
    main_done = true;
    stop.Stop();
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  };
  alerts::Metrics metrics(alerts::BuildInfoOfThisBinary());
  std::unique_ptr<api::HttpServer> http;
  std::unique_ptr<api::OperatorApi> operator_api;
  std::unique_ptr<api::ReportIntake> report_intake;
  if (!config.http.listen.empty()) {
    // Pin-failure reports: their own stores on the pool (one transaction at a time), the
    // watch list to take only watched names, and the logs' roots from the database.
    auto watched = MakeWatched(config.watch);
    if (!watched.ok()) {
      finish_waiter();
      std::cerr << "pinwatch: " << watched.status().message() << "\n";
      return 2;
    }
    constexpr std::string_view kClassifications[] = {"stale_pinset", "unexpected_issuer_served", "interception",
                                                     "unknown"};
    constexpr std::string_view kRejections[] = {api::ReportIntake::kMalformed, api::ReportIntake::kUnwatched,
                                                api::ReportIntake::kRateLimited, api::ReportIntake::kQueueFull,
                                                api::ReportIntake::kMediaType};
    metrics.AddPinReportSeries(kClassifications, kRejections);
    std::shared_ptr<db::LogStateStore> roots_store = db::LogStateStoreOn(*pool);
    report_intake = std::make_unique<api::ReportIntake>(
        api::ReportIntakeStores{db::ReportStoreOn(*pool), db::PinStoreOn(*pool), db::FindingStoreOn(*pool)},
        api::ReportIntakeOptions{
            .watched_entry = [list = std::move(watched->list)](std::string_view host) -> std::optional<std::string> {
              std::optional<watch::WatchMatch> m = list.MatchName(host);
              if (!m) return std::nullopt;
              return list.canonical_name(m->entry_index);
            },
            .pinsets = config.pinsets,
            .accepted_roots = [roots_store] { return roots_store->AcceptedRoots(); },
            .interception_clients = config.reports.interception_clients,
            .interception_window_s = config.reports.interception_window_s,
            .per_address_per_minute = config.reports.per_address_per_minute,
            .on_explained = [&metrics](std::string_view c) { metrics.PinReport(c); },
            .on_rejected = [&metrics](std::string_view r) { metrics.PinReportRejected(r); },
            .log_line = LogToStderr});
    // The operator API's own stores: it meets the workers only in the database.
    operator_api = std::make_unique<api::OperatorApi>(
        api::ApiStores{db::FindingStoreOn(*pool), db::PinStoreOn(*pool), db::LogStateStoreOn(*pool)},
        api::OperatorApiOptions{.pinsets = config.pinsets, .publish = config.publish});
    api::Probes probes{.metrics_text =
                           [&metrics, &pool] {
                             const db::PoolStats p = (*pool)->Stats();
                             metrics.SetDatabasePool(p.max_connections, p.open, p.in_use, p.waits);
                             return metrics.Text();
                           },
                       .ready = [&pool] { return db::CheckSchema(*pool); },
                       .api = [&operator_api](const api::ApiRequest& r) { return operator_api->Handle(r); },
                       .pin_reports = [&report_intake](const api::ApiRequest& r) { return report_intake->Receive(r); }};
    auto server = api::HttpServer::Start(
        {.host = config.http.host,
         .port = config.http.port,
         .pinsets_directory = config.publish.directory,
         .tls_cert_file = config.http.tls_cert_file,
         .tls_key_file = config.http.tls_key_file},
        std::move(probes));
    if (!server.ok()) {
      finish_waiter();
      std::cerr << "pinwatch: " << server.status().message() << "\n";
      return 2;
    }
    http = std::move(*server);
    const std::string host = config.http.host.find(':') != std::string::npos ? "[" + config.http.host + "]" : config.http.host;
    if (config.alerts.external_url.empty()) {
      config.alerts.external_url =
          (config.http.tls_cert_file.empty() ? "http://" : "https://") + host + ":" + std::to_string(http->port());
    }
    LogToStderr("http: serving " + std::string(config.http.tls_cert_file.empty() ? "http://" : "https://") + host + ":" +
                std::to_string(http->port()) + "/ (the operator page, /api/v1/, /metrics, /healthz, /readyz" +
                (config.publish.directory.empty() ? std::string() : ", /v1/pinsets/") + ")");
  }
  // The pin-set job: first versions now (a bad signing key stops `run` here), then passes
  // beside the workers.
  std::unique_ptr<PinKeeper> keeper;
  if (!config.pinsets.empty()) {
    auto started = PinKeeper::Start(config, *pool, LogToStderr);
    if (!started.ok()) {
      finish_waiter();
      std::cerr << "pinwatch: " << started.status().message() << "\n";
      return 2;
    }
    keeper = std::move(*started);
  }
  std::thread keeping;
  if (keeper && mode == FollowMode::kForever) {
    keeping = std::thread([&] { keeper->Run(stop, config.run.pinset_interval_s * 1000); });
  }
  // The sender runs on its own thread beside the workers.
  alerts::AlertSender sender(SenderOptionsOf(config), db::AlertStoreOn(*pool), db::FindingStoreOn(*pool), metrics,
                             LogToStderr, stop);
  std::thread sending;
  if (mode == FollowMode::kForever) sending = std::thread([&sender] { sender.Run(); });

  auto summary = RunDaemon(config, *pool, mode, stop, LogToStderr, metrics);
  if (mode == FollowMode::kOnce && summary.ok()) {
    // What this run found is told before it exits; what cannot be is sent by the next run.
    if (Status s = sender.SendOnce(); !s.ok()) LogToStderr(s.message() + "; the next run sends what is left");
  }
  if (mode == FollowMode::kOnce && summary.ok() && keeper) {
    // Proposals from what this run committed, and the current versions published.
    if (Status s = keeper->Pass(); !s.ok()) LogToStderr("pin-sets: " + s.message() + "; the next run tries again");
  }
  if (sending.joinable() || keeping.joinable()) stop.Stop();
  if (sending.joinable()) sending.join();
  if (keeping.joinable()) keeping.join();
  http.reset();  // stops serving before the metrics and the API it uses go away
  operator_api.reset();
  finish_waiter();
  if (!summary.ok()) {
    std::cerr << "pinwatch: " << summary.status().message() << "\n";
    return 2;
  }
  LogToStderr("done: " + std::to_string(summary->entries) + " entries committed, " +
              std::to_string(summary->matches) + " matched; logs: " + std::to_string(summary->logs_caught_up) +
              " caught up, " + std::to_string(summary->logs_failed) + " failed, " +
              std::to_string(summary->logs_misbehaving) + " misbehaving, " +
              std::to_string(summary->logs_elsewhere) + " leased elsewhere");
  if (summary->logs_misbehaving > 0) return 3;
  if (summary->logs_failed > 0) return 1;
  return 0;
}

int ShowStatus(const Args& args) {
  bool json = false;
  for (const std::string& a : args.rest) {
    if (a == "--json") json = true;
    else UsageError("status: unknown option " + a);
  }
  Config config = LoadConfigOrDie(args);
  auto store = LogStateStoreOrDie(config);
  auto logs = store->ListLogStatus();
  if (!logs.ok()) {
    std::cerr << "pinwatch: " << logs.status().message() << "\n";
    return 2;
  }
  std::cout << (json ? report::StatusJson(*logs) : report::StatusText(*logs));
  return 0;
}

int Findings(const Args& args) {
  bool json = false;
  db::FindingFilter filter;
  for (size_t i = 0; i < args.rest.size(); ++i) {
    const std::string& a = args.rest[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.rest.size()) UsageError("findings: " + a + " needs a value");
      return args.rest[++i];
    };
    if (a == "--json") {
      json = true;
    } else if (a == "--status") {
      for (const std::string& name : SplitComma(value())) {
        std::optional<db::FindingStatus> status = db::FindingStatusFromName(name);
        if (!status) UsageError("findings: unknown status " + name);
        filter.statuses.push_back(*status);
      }
    } else if (a == "--kind") {
      for (const std::string& name : SplitComma(value())) {
        std::optional<db::FindingKind> kind = db::FindingKindFromName(name);
        if (!kind) UsageError("findings: unknown kind " + name);
        filter.kinds.push_back(*kind);
      }
    } else if (a == "--severity") {
      filter.min_severity = db::SeverityFromName(value());
      if (!filter.min_severity) UsageError("findings: --severity wants info, warning or critical");
    } else if (a == "--limit") {
      std::optional<int64_t> n = ParseCount(value());
      if (!n) UsageError("findings: --limit wants a number from 0 to " + std::to_string(INT64_MAX));
      filter.limit = static_cast<size_t>(*n);  // 0: no findings
    } else {
      UsageError("findings: unknown option " + a);
    }
  }
  Config config = LoadConfigOrDie(args);
  auto store = FindingStoreOrDie(config);
  auto findings = store->ListFindings(filter);
  if (!findings.ok()) {
    std::cerr << "pinwatch: " << findings.status().message() << "\n";
    return 2;
  }
  std::cout << (json ? report::FindingsJson(*findings) : report::FindingsText(*findings));
  return 0;
}

int Reports(const Args& args) {
  bool json = false;
  size_t limit = 0;
  for (size_t i = 0; i < args.rest.size(); ++i) {
    const std::string& a = args.rest[i];
    if (a == "--json") {
      json = true;
    } else if (a == "--limit") {
      if (i + 1 >= args.rest.size()) UsageError("reports: --limit needs a value");
      std::optional<int64_t> n = ParseCount(args.rest[++i]);
      if (!n) UsageError("reports: --limit wants a number from 0 to " + std::to_string(INT64_MAX));
      limit = static_cast<size_t>(*n);
    } else {
      UsageError("reports: unknown option " + a);
    }
  }
  Config config = LoadConfigOrDie(args);
  CheckSchemaOrDie(config);
  auto store = db::ConnectReportStore(config.database_url);
  if (!store.ok()) DieWith(store.status());
  auto rows = (*store)->List(limit);
  if (!rows.ok()) {
    std::cerr << "pinwatch: " << rows.status().message() << "\n";
    return 2;
  }
  std::cout << (json ? report::PinReportsJson(*rows) : report::PinReportsText(*rows));
  return 0;
}

int SetStatus(const Args& args, db::FindingStatus status) {
  std::optional<int64_t> id;
  std::string note;
  for (size_t i = 0; i < args.rest.size(); ++i) {
    const std::string& a = args.rest[i];
    if (a == "--note") {
      if (i + 1 >= args.rest.size()) UsageError("--note needs a text");
      note = args.rest[++i];
    } else if (!id) {
      std::optional<int64_t> v = ParseCount(a);
      if (!v || *v <= 0) UsageError(args.command + ": ID must be a finding number");
      id = *v;
    } else {
      UsageError(args.command + ": unexpected " + a);
    }
  }
  if (!id) UsageError(args.command + " needs a finding ID");
  Config config = LoadConfigOrDie(args);
  auto store = FindingStoreOrDie(config);
  if (Status s = store->SetFindingStatus(*id, status, note); !s.ok()) {
    std::cerr << "pinwatch: " << s.message() << "\n";
    return s.code() == Code::kFailedPrecondition ? 1 : 2;
  }
  std::cout << "finding " << *id << " is " << db::FindingStatusName(status) << "\n";
  return 0;
}

int AlertsCommand(const Args& args) {
  if (args.rest.empty() || args.rest[0] != "test") UsageError("alerts: the one subcommand is `alerts test`");
  std::optional<std::string> watched;
  std::string severity = "warning";
  for (size_t i = 1; i < args.rest.size(); ++i) {
    const std::string& a = args.rest[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= args.rest.size()) UsageError("alerts test: " + a + " needs a value");
      return args.rest[++i];
    };
    if (a == "--watched") {
      watched = value();
    } else if (a == "--severity") {
      severity = value();
      if (!db::SeverityFromName(severity)) UsageError("alerts test: --severity wants info, warning or critical");
    } else {
      UsageError("alerts test: unknown option " + a);
    }
  }
  Config config = LoadConfigOrDie(args);
  if (config.alerts.alertmanager_urls.empty()) {
    std::cerr << "pinwatch: alerts test: no Alertmanager configured (alerts.alertmanager_urls in " << config.source
              << ")\n";
    return 2;
  }
  const int64_t now_ms = UnixNowMs();
  const alerts::PostableAlert alert =
      alerts::TestAlertOf(watched.value_or(config.watch.front().name), severity, config.run.replica_id, now_ms,
                          now_ms + 4 * config.alerts.resend_interval_ms, config.alerts.external_url);
  const std::string body = alerts::AlertsJson(std::span(&alert, 1));
  net::HttpClient http({.total_timeout_ms = config.alerts.timeout_ms, .user_agent = "pinwatch-alerts/0.1"});
  int failed = 0;
  for (const std::string& url : config.alerts.alertmanager_urls) {
    const alerts::PostResult r = alerts::PostAlerts(http, url, body);
    const bool ok = r.outcome == alerts::DeliveryOutcome::kSuccess;
    char took[32];
    std::snprintf(took, sizeof took, "%.0f ms", r.seconds * 1000);
    std::cout << url << ": " << (ok ? "accepted" : "FAILED") << " (" << r.detail << ", " << took << ")\n";
    if (!ok) ++failed;
  }
  std::cout << (failed == 0 ? "every Alertmanager accepted the test alert (alertname PinwatchTest)\n"
                            : std::to_string(failed) + " of " + std::to_string(config.alerts.alertmanager_urls.size()) +
                                  " Alertmanagers did not accept the test alert\n");
  return failed == 0 ? 0 : 1;
}

int CheckConfig(const Args& args) {
  const Config config = LoadConfigOrDie(args);
  std::cout << *args.config << ": ok: " << config.watch.size() << " watch entries, " << config.pinsets.size()
            << " pin-sets, log lists";
  for (const std::string& list : config.logs.lists) std::cout << " " << list;
  std::cout << "; http " << (config.http.listen.empty() ? "off" : config.http.listen) << "; "
            << config.alerts.alertmanager_urls.size() << " Alertmanagers\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Response bodies and batches are a few hundred KB each, allocated and freed all the time:
  // keep them on the heap (glibc would mmap and unmap each one, faulting in every page
  // again) and do not hand the heap back after every batch. Measured: sys time of a
  // 1M-entry backfill 1.8 s -> 0.5 s, peak RSS unchanged (bench/run_once_bench.sh).
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // A database or log connection that breaks must be an error value, not a dead process
  // (libpqxx's advice; libpq and curl avoid SIGPIPE themselves, this covers the rest).
  signal(SIGPIPE, SIG_IGN);
  Args args = ParseArgs(argc, argv);
  if (args.command.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (args.command == "help") {
    std::cout << UsageOf(args.rest.empty() ? "" : args.rest[0]);
    return 0;
  }
  if (args.command == "migrate") return Migrate(args);
  if (args.command == "check-config") return CheckConfig(args);
  if (args.command == "run") return Run(args);
  if (args.command == "status") return ShowStatus(args);
  if (args.command == "findings") return Findings(args);
  if (args.command == "ack") return SetStatus(args, db::FindingStatus::kAcknowledged);
  if (args.command == "resolve") return SetStatus(args, db::FindingStatus::kResolved);
  if (args.command == "reopen") return SetStatus(args, db::FindingStatus::kOpen);
  if (args.command == "alerts") return AlertsCommand(args);
  if (args.command == "pinset") return PinsetCommand(args);
  if (args.command == "proposals") return ProposalsCommand(args);
  if (args.command == "operator") return OperatorCommand(args);
  if (args.command == "audit") return AuditCommand(args);
  if (args.command == "keygen") return KeygenCommand(args);
  if (args.command == "reports") return Reports(args);
  UsageError("unknown command " + args.command);
}
