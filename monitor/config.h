// Config: pinwatch's YAML configuration file (`--config FILE`), parsed with yaml-cpp into
// plain values and validated completely before anything starts: a bad file gives ONE clear
// error naming the key path and line ("pinwatch.yaml:12: watch[1].allowed_issuers[0]:
// expected \"sha256/<base64 of 32 bytes>\""), never a half-configured daemon.
//
// The documented shape (README "Configuration"; these keys are an interface, extend only):
//   database:
//     url: postgresql://pinwatch@127.0.0.1:5432/pinwatch
//     max_connections: 8            # the pool every thread shares (2..1000)
//   logs:
//     lists: [FILE-OR-URL, ...]     # log lists v3, union by log id; default: Google's
//     states: [usable, qualified, readonly]
//     start: end                    # or 0: where a newly seen log starts
//     plain_http_hosts: [ctsim]     # logs reachable over plain http besides loopback
//     list_public_keys: [FILE, ...] # lists must be signed by one of these (RSA, PEM)
//     list_refresh_interval_s: 3600 # lists re-read while running (0: at start only)
//     poll_interval_ms, entries_per_request, requests_in_flight, retry_lookahead_mib,
//     request_timeout_ms, low_speed_bytes_per_s, low_speed_time_ms   # tuning, see LogsConfig
//   watch:
//     - name: example.com
//       include_subdomains: true
//       allowed_issuers: ["sha256/BASE64", ...]
//       known_keys: ["sha256/BASE64", ...]
//   run: { ... }                    # tuning, see RunConfig
//   http:
//     listen: 127.0.0.1:9464        # /metrics, /healthz, /readyz, /api/v1/, the page (api/)
//     tls_cert_file: /etc/pinwatch/tls.crt   # optional, with tls_key_file: HTTPS only
//     tls_key_file: /etc/pinwatch/tls.key
//   alerts:
//     alertmanager_urls: [http://127.0.0.1:9093]   # an HA set: every alert to each
//     resend_interval: 60s          # durations as Prometheus writes them
//     timeout: 10s
//     external_url: http://pinwatch.example.internal:9464
//     send_severities: [critical, warning]
//   pinsets:                        # pin-sets apps enforce (pins/pinset.h)
//     - name: api
//       names: [api.example.com]    # each covered by a watch entry
//       include_subdomains: false
//       pins: ["sha256/BASE64", ...]
//       min_pins: 2
//       approvals_required: 1
//       expiry_days: 60
//       remove_grace_days: 7
//   publish:
//     signing_key: /etc/pinwatch/pinset-signing-key.pem
//     directory: /var/lib/pinwatch/published
// Environment overrides (containers): PINWATCH_DATABASE_URL replaces database.url,
// PINWATCH_REPLICA_ID replaces run.replica_id.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ctlog/loglist.h"
#include "db/finding.h"
#include "base/pin.h"
#include "ctlog/sha256.h"
#include "pins/pinset.h"

namespace pinwatch::monitor {

// kGoogleLogListUrl is the default `logs.lists`: Google's v3 list of all logs.
inline constexpr std::string_view kGoogleLogListUrl = "https://www.gstatic.com/ct/log_list/v3/all_logs_list.json";

// StartPosition says where a log the database has never seen is started.
enum class StartPosition {
  kEnd,   // "end": at its current tree head (no backfill; needs the log's compact range)
  kZero,  // 0: from the first entry
};

// WatchConfig is one `watch` entry.
struct WatchConfig {
  std::string name;  // as written in the file (Unicode or A-labels, or an IP address)
  bool include_subdomains = false;
  // SPKI SHA-256 of the CA keys allowed to issue for this name. nullopt when the key is
  // absent: no issuer policy (every issuer allowed). An explicit empty list allows none.
  std::optional<std::vector<ctlog::Hash>> allowed_issuers;
  // SPKI SHA-256 of the leaf keys we hold for this name (absent = empty).
  std::vector<ctlog::Hash> known_keys;
};

// LogsConfig is `logs`.
struct LogsConfig {
  // File paths or http(s) URLs of log lists (v3 schema); default {kGoogleLogListUrl}.
  std::vector<std::string> lists;
  // Which logs of the union to follow (state names as in the list); default usable,
  // qualified, readonly.
  std::vector<ctlog::LogState> states;
  // `logs.plain_http_hosts`: hosts whose log URLs may be plain http (besides loopback), e.g.
  // the compose stack's log simulator, `ctsim`. Real logs are https; default none.
  std::vector<std::string> plain_http_hosts;
  // `logs.list_public_keys`: PEM files of RSA keys (Google's log_list_pubkey.pem). When
  // set, every list must come with a detached signature (LogListSignatureLocation) that
  // one of them verifies, or it is refused. Default none: lists are not checked.
  std::vector<std::string> list_public_keys;
  // `logs.list_refresh_interval_s`: `run` reads the lists again this often (default 3600;
  // 0: only at start). A new log is followed and a retired one let go without a restart; a
  // list that cannot be read or is refused leaves the previous one in force.
  int64_t list_refresh_interval_s = 3600;
  StartPosition start = StartPosition::kEnd;
  // How often a worker at the tip polls the tree head; 0 (the default) means
  // min(mmd / 10, 60 s), at least 1 s.
  int64_t poll_interval_ms = 0;
  uint64_t entries_per_request = 256;  // `logs.entries_per_request`: get-entries batch asked for
  uint64_t requests_in_flight = 4;     // `logs.requests_in_flight`: per log
  // `logs.retry_lookahead_mib`: while a request waits out a retry delay, a log's download
  // goes on past it until this many MiB of answers are held (default 64; 0: it stalls).
  uint64_t retry_lookahead_mib = 64;
  // `logs.request_timeout_ms`: the whole-request deadline, per attempt (default 30 s).
  int64_t request_timeout_ms = 30'000;
  // `logs.low_speed_bytes_per_s` / `logs.low_speed_time_ms`: a transfer slower than this
  // for this long is aborted, retried and reported at once (default 1024 B/s for 10 s; 0
  // bytes disables). A log that trickles an answer is then not silent for minutes.
  int64_t low_speed_bytes_per_s = 1024;
  int64_t low_speed_time_ms = 10'000;
};

// RunConfig is `run`: how the daemon works, all optional.
struct RunConfig {
  // This replica's name in lease rows; default "<hostname>:<pid>".
  std::string replica_id;
  // A lease not renewed for this long is taken over by another replica (default 30).
  int64_t lease_seconds = 30;
  // A worker commits at least every this many entries (default 16384) or every
  // commit_interval_ms (default 2000), whichever comes first.
  uint64_t commit_every_entries = 16384;
  int64_t commit_interval_ms = 2000;
  // Threads that match entries against the watch list, shared by all workers, besides each
  // worker's own thread (default 2; see monitor/match_pool.h).
  uint64_t match_threads = 2;
  // Backfill progress lines (entries/s, ETA) at most this often (default 10).
  int64_t progress_interval_s = 10;
  // The pin-set job (proposals, publication) looks at what was committed this often
  // (default 5).
  int64_t pinset_interval_s = 5;
};

// HttpConfig is `http`: pinwatch's one HTTP listener (api/http_server.h).
struct HttpConfig {
  // `http.listen`: "HOST:PORT" as written ("127.0.0.1:9464", "[::1]:9464", ":9464" for
  // every interface); empty when absent: `run` serves no HTTP. Port 0 takes a free port
  // (the daemon logs the one it got).
  std::string listen;
  std::string host;  // the address to bind: "127.0.0.1", "::1", "0.0.0.0" for ":PORT"
  int port = 0;
  // `http.tls_cert_file` / `http.tls_key_file`: PEM files; both or neither. With them the
  // listener speaks only HTTPS (the API's tokens never cross the network in clear).
  std::string tls_cert_file, tls_key_file;
};

// AlertsConfig is `alerts`: how findings reach Alertmanager (alerts/sender.h).
struct AlertsConfig {
  // `alerts.alertmanager_urls`: base URLs (http or https, without a trailing slash), one
  // HA set: every alert goes to each. Empty: nothing is sent (the outbox still records
  // the alerts, and they go out once an Alertmanager is configured).
  std::vector<std::string> alertmanager_urls;
  // `alerts.resend_interval`: an open alert is sent again this often (default 60 s), with
  // endsAt = now + 4 × resend_interval, as Prometheus does.
  int64_t resend_interval_ms = 60'000;
  // `alerts.timeout`: one POST's deadline (default 10 s, as Prometheus's).
  int64_t timeout_ms = 10'000;
  // `alerts.external_url`: the base of every alert's generatorURL, without a trailing
  // slash; default "http://" + http.listen (localhost for ":PORT"; with port 0 the port
  // bound), or none without a listener.
  std::string external_url;
  // `alerts.send_severities`: findings of these severities alert (default critical and
  // warning: known_key, info, never alerts).
  std::vector<db::Severity> send_severities = {db::Severity::kCritical, db::Severity::kWarning};
};

// ReportsConfig is `reports`: pin-failure reports from apps at POST /v1/pin-reports
// (api/report_intake.h), served with http.listen.
struct ReportsConfig {
  // `reports.interception_clients` / `reports.interception_window_s`: an interception
  // finding (an alert) once this many distinct clients reported the same interceptor for a
  // name within the window (default 5 in 3600 s). Below it, the reports are only counted.
  int64_t interception_clients = 5;
  int64_t interception_window_s = 3600;
  // `reports.per_address_per_minute`: reports taken from one address a minute (default 60);
  // more are answered 429.
  int64_t per_address_per_minute = 60;
};

inline constexpr int64_t kMaxDatabaseConnections = 1000;

// Config is the whole file after validation and overrides.
struct Config {
  std::string source;  // where it came from (file name), for messages
  std::string database_url;
  // `database.max_connections`: sessions this process holds at most, shared by the log
  // workers, the lease keeper, the alert sender (one for its LISTEN), the pin-set job and
  // the API; a transaction waits for a free one (db/connection_pool.h).
  size_t database_max_connections = 8;
  LogsConfig logs;
  std::vector<WatchConfig> watch;
  RunConfig run;
  HttpConfig http;
  AlertsConfig alerts;
  ReportsConfig reports;
  std::vector<pins::PinsetPolicy> pinsets;
  pins::PublishConfig publish;
};

// GetEnv looks up an environment variable; nullopt when unset. Tests pass their own.
using GetEnv = std::function<std::optional<std::string>(const std::string& name)>;

// ProcessEnv reads the real environment.
std::optional<std::string> ProcessEnv(const std::string& name);

// ParseConfig parses YAML text (named `source` in messages), applies the environment
// overrides and checks everything: unknown keys, wrong types, bad pins ("sha256/" + base64
// of exactly 32 bytes), watch names WatchList::Create refuses, unknown log states, an empty
// database URL, non-positive tuning values. The error is kFailedPrecondition with a message
// "SOURCE:LINE: KEY.PATH: what was expected, what was found". Thread-safe.
Result<Config> ParseConfig(std::string_view yaml_text, std::string_view source, const GetEnv& env = ProcessEnv);

// LoadConfigFile reads `path` and calls ParseConfig; a missing or unreadable file is
// kFailedPrecondition naming it.
Result<Config> LoadConfigFile(const std::string& path, const GetEnv& env = ProcessEnv);

}  // namespace pinwatch::monitor
