#include "monitor/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pinwatch::monitor {
namespace {

// SHA-256 of the empty string, and 32 bytes 0x00..0x1f, as pins.
constexpr char kPinEmpty[] = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";
constexpr char kPinCount[] = "sha256/AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

ctlog::Hash CountingHash() {
  ctlog::Hash h;
  for (size_t i = 0; i < h.size(); ++i) h[i] = static_cast<uint8_t>(i);
  return h;
}

// Env is a fake environment: exactly the given variables are set.
GetEnv Env(std::map<std::string, std::string> vars = {}) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string DefaultReplicaIdForTest() {
  char host[256] = {};
  EXPECT_EQ(gethostname(host, sizeof(host) - 1), 0);
  return std::string(host) + ":" + std::to_string(getpid());
}

TEST(ConfigTest, FullConfigFillsEveryField) {
  const std::string yaml = std::string() +
                           "# pinwatch.yaml\n"
                           "database:\n"
                           "  url: postgresql://pinwatch@127.0.0.1:5432/pinwatch\n"
                           "  max_connections: 20\n"
                           "logs:\n"
                           "  lists: [/etc/pinwatch/logs.json, https://example.net/list.json]\n"
                           "  states: [retired, usable]\n"
                           "  start: 0\n"
                           "  poll_interval_ms: 1500\n"
                           "  entries_per_request: 1000\n"
                           "  requests_in_flight: 8\n"
                           "  retry_lookahead_mib: 16\n"
                           "  request_timeout_ms: 20000\n"
                           "  low_speed_bytes_per_s: 512\n"
                           "  low_speed_time_ms: 5000\n"
                           "  plain_http_hosts: [ctsim, logs.internal]\n"
                           "  list_public_keys: [/etc/pinwatch/google_log_list_pubkey.pem]\n"
                           "  list_refresh_interval_s: 600\n"
                           "watch:\n"
                           "  - name: Example.com\n"
                           "    include_subdomains: true\n"
                           "    allowed_issuers: [\"" + kPinEmpty + "\", \"" + kPinCount + "\"]\n"
                           "    known_keys:\n"
                           "      - " + kPinCount + "\n"
                           "  - name: bücher.example\n"
                           "    include_subdomains: false\n"
                           "    allowed_issuers: []\n"
                           "  - name: 2001:db8::1\n"
                           "run:\n"
                           "  replica_id: pod-7\n"
                           "  lease_seconds: 45\n"
                           "  commit_every_entries: 1000\n"
                           "  commit_interval_ms: 500\n"
                           "  match_threads: 6\n"
                           "  progress_interval_s: 3\n"
                           "reports:\n"
                           "  interception_clients: 12\n"
                           "  interception_window_s: 7200\n"
                           "  per_address_per_minute: 30\n";
  Result<Config> config = ParseConfig(yaml, "full.yaml", Env());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->source, "full.yaml");
  EXPECT_EQ(config->database_url, "postgresql://pinwatch@127.0.0.1:5432/pinwatch");
  EXPECT_EQ(config->logs.lists, (std::vector<std::string>{"/etc/pinwatch/logs.json", "https://example.net/list.json"}));
  EXPECT_EQ(config->logs.states, (std::vector<ctlog::LogState>{ctlog::LogState::kRetired, ctlog::LogState::kUsable}));
  EXPECT_EQ(config->logs.start, StartPosition::kZero);
  EXPECT_EQ(config->logs.plain_http_hosts, (std::vector<std::string>{"ctsim", "logs.internal"}));
  EXPECT_EQ(config->logs.list_public_keys, (std::vector<std::string>{"/etc/pinwatch/google_log_list_pubkey.pem"}));
  EXPECT_EQ(config->logs.list_refresh_interval_s, 600);
  EXPECT_EQ(config->database_max_connections, 20u);
  EXPECT_EQ(config->reports.interception_clients, 12);
  EXPECT_EQ(config->reports.interception_window_s, 7200);
  EXPECT_EQ(config->reports.per_address_per_minute, 30);
  EXPECT_EQ(config->logs.poll_interval_ms, 1500);
  EXPECT_EQ(config->logs.entries_per_request, 1000u);
  EXPECT_EQ(config->logs.requests_in_flight, 8u);
  EXPECT_EQ(config->logs.retry_lookahead_mib, 16u);
  EXPECT_EQ(config->logs.request_timeout_ms, 20000);
  EXPECT_EQ(config->logs.low_speed_bytes_per_s, 512);
  EXPECT_EQ(config->logs.low_speed_time_ms, 5000);

  ASSERT_EQ(config->watch.size(), 3u);
  EXPECT_EQ(config->watch[0].name, "Example.com");  // as written; WatchList normalises
  EXPECT_TRUE(config->watch[0].include_subdomains);
  ASSERT_TRUE(config->watch[0].allowed_issuers.has_value());
  ASSERT_EQ(config->watch[0].allowed_issuers->size(), 2u);
  EXPECT_EQ(PinText((*config->watch[0].allowed_issuers)[0]), kPinEmpty);
  EXPECT_EQ((*config->watch[0].allowed_issuers)[1], CountingHash());
  EXPECT_EQ(config->watch[0].known_keys, std::vector<ctlog::Hash>{CountingHash()});
  EXPECT_EQ(config->watch[1].name, "bücher.example");
  EXPECT_FALSE(config->watch[1].include_subdomains);
  ASSERT_TRUE(config->watch[1].allowed_issuers.has_value());  // explicit []: no issuer allowed
  EXPECT_TRUE(config->watch[1].allowed_issuers->empty());
  EXPECT_EQ(config->watch[2].name, "2001:db8::1");
  EXPECT_FALSE(config->watch[2].allowed_issuers.has_value());  // absent: no issuer policy
  EXPECT_TRUE(config->watch[2].known_keys.empty());

  EXPECT_EQ(config->run.replica_id, "pod-7");
  EXPECT_EQ(config->run.lease_seconds, 45);
  EXPECT_EQ(config->run.commit_every_entries, 1000u);
  EXPECT_EQ(config->run.commit_interval_ms, 500);
  EXPECT_EQ(config->run.match_threads, 6u);
  EXPECT_EQ(config->run.progress_interval_s, 3);
}

TEST(ConfigTest, FlowStyleIsTheSameFile) {
  Result<Config> config = ParseConfig(
      "{database: {url: 'postgresql:///p'}, watch: [{name: a.example, include_subdomains: true}], logs: {start: end}}",
      "flow.yaml", Env());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->database_url, "postgresql:///p");
  ASSERT_EQ(config->watch.size(), 1u);
  EXPECT_TRUE(config->watch[0].include_subdomains);
  EXPECT_EQ(config->logs.start, StartPosition::kEnd);
}

TEST(ConfigTest, EveryDefault) {
  for (const char* yaml : {"database: {url: u}\nwatch: [{name: example.com}]\n",
                           "database: {url: u}\nwatch: [{name: example.com}]\nlogs:\nrun:\n",
                           "database: {url: u}\nwatch: [{name: example.com}]\nlogs: {}\nrun: {}\n"}) {
    SCOPED_TRACE(yaml);
    Result<Config> config = ParseConfig(yaml, "min.yaml", Env());
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    EXPECT_EQ(config->logs.lists, std::vector<std::string>{std::string(kGoogleLogListUrl)});
    EXPECT_EQ(config->logs.states, (std::vector<ctlog::LogState>{ctlog::LogState::kUsable, ctlog::LogState::kQualified,
                                                                 ctlog::LogState::kReadOnly}));
    EXPECT_EQ(config->logs.start, StartPosition::kEnd);
    EXPECT_EQ(config->logs.poll_interval_ms, 0);
    EXPECT_EQ(config->logs.entries_per_request, 256u);
    EXPECT_EQ(config->logs.requests_in_flight, 4u);
    EXPECT_EQ(config->logs.retry_lookahead_mib, 64u);
    EXPECT_EQ(config->reports.interception_clients, 5);
    EXPECT_EQ(config->reports.interception_window_s, 3600);
    EXPECT_EQ(config->reports.per_address_per_minute, 60);
    EXPECT_EQ(config->logs.request_timeout_ms, 30000);
    EXPECT_EQ(config->logs.low_speed_bytes_per_s, 1024);
    EXPECT_EQ(config->logs.low_speed_time_ms, 10000);
    ASSERT_EQ(config->watch.size(), 1u);
    EXPECT_FALSE(config->watch[0].include_subdomains);
    EXPECT_FALSE(config->watch[0].allowed_issuers.has_value());
    EXPECT_TRUE(config->watch[0].known_keys.empty());
    EXPECT_EQ(config->run.replica_id, DefaultReplicaIdForTest());
    EXPECT_EQ(config->run.lease_seconds, 30);
    EXPECT_EQ(config->run.commit_every_entries, 16384u);
    EXPECT_EQ(config->run.commit_interval_ms, 2000);
    EXPECT_EQ(config->run.match_threads, 2u);
    EXPECT_EQ(config->run.progress_interval_s, 10);
    EXPECT_EQ(config->http.listen, "");  // no listener unless asked for
    EXPECT_TRUE(config->alerts.alertmanager_urls.empty());
    EXPECT_EQ(config->alerts.resend_interval_ms, 60'000);
    EXPECT_EQ(config->alerts.timeout_ms, 10'000);
    EXPECT_EQ(config->alerts.external_url, "");
    EXPECT_EQ(config->alerts.send_severities, (std::vector<db::Severity>{db::Severity::kCritical, db::Severity::kWarning}));
  }
}


TEST(ConfigTest, EnvironmentOverridesWin) {
  const char yaml[] = "database: {url: postgresql://file/db}\nwatch: [{name: example.com}]\nrun: {replica_id: file-id}\n";
  Result<Config> plain = ParseConfig(yaml, "c.yaml", Env());
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain->database_url, "postgresql://file/db");
  EXPECT_EQ(plain->run.replica_id, "file-id");

  Result<Config> both = ParseConfig(
      yaml, "c.yaml", Env({{"PINWATCH_DATABASE_URL", "postgresql://env/db"}, {"PINWATCH_REPLICA_ID", "env-id"}}));
  ASSERT_TRUE(both.ok()) << both.status().ToString();
  EXPECT_EQ(both->database_url, "postgresql://env/db");
  EXPECT_EQ(both->run.replica_id, "env-id");

  Result<Config> only_id = ParseConfig(yaml, "c.yaml", Env({{"PINWATCH_REPLICA_ID", "env-id"}}));
  ASSERT_TRUE(only_id.ok());
  EXPECT_EQ(only_id->database_url, "postgresql://file/db");
  EXPECT_EQ(only_id->run.replica_id, "env-id");
}

TEST(ConfigTest, EnvironmentUrlMakesAMissingDatabaseUrlFine) {
  const char yaml[] = "watch: [{name: example.com}]\n";
  Result<Config> missing = ParseConfig(yaml, "c.yaml", Env());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().message(), "c.yaml:1: database.url: required (or set PINWATCH_DATABASE_URL)");

  Result<Config> from_env = ParseConfig(yaml, "c.yaml", Env({{"PINWATCH_DATABASE_URL", "postgresql://env/db"}}));
  ASSERT_TRUE(from_env.ok()) << from_env.status().ToString();
  EXPECT_EQ(from_env->database_url, "postgresql://env/db");
  EXPECT_EQ(from_env->run.replica_id, DefaultReplicaIdForTest());

  // An empty variable counts as unset.
  Result<Config> empty = ParseConfig(yaml, "c.yaml", Env({{"PINWATCH_DATABASE_URL", ""}, {"PINWATCH_REPLICA_ID", ""}}));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "c.yaml:1: database.url: required (or set PINWATCH_DATABASE_URL)");
}

TEST(ConfigTest, EnvironmentDoesNotExcuseABadFileValue) {
  Result<Config> config = ParseConfig("database: {url: [a]}\nwatch: [{name: example.com}]\n", "c.yaml",
                                      Env({{"PINWATCH_DATABASE_URL", "postgresql://env/db"}}));
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(), "c.yaml:1: database.url: expected a PostgreSQL connection URL, got a list");
}

struct BadCase {
  const char* desc;
  std::string yaml;
  std::string want;  // the whole message, or its start when prefix_only
  bool prefix_only = false;
};

// Lines used to complete a file around the part under test.
constexpr char kDb[] = "database: {url: u}\n";
constexpr char kWatch[] = "watch: [{name: example.com}]\n";

std::vector<BadCase> BadCases() {
  const std::string pin31 = "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==";  // 31 bytes
  const std::string unpadded = "sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
  const std::string url_safe = "sha256/-__7__v_-__7__v_-__7__v_-__7__v_-__7__v_-_8=";
  return {
      {"top level is a list", "- a\n- b\n",
       "c.yaml:1: expected a map with keys database, logs, watch, run, http, alerts, pinsets, publish, reports, got a list"},
      {"unknown top-level key", std::string(kDb) + kWatch + "wtach: []\n",
       "c.yaml:3: wtach: unknown key, expected one of: database, logs, watch, run, http, alerts, pinsets, publish, reports"},
      {"pin-set name not covered by a watch entry", std::string(kDb) + kWatch + "pinsets:\n  - name: api\n    names: [api.example.org]\n    pins: [" + kPinEmpty + ", " + kPinCount + "]\n",
       "c.yaml:5: pinsets[0].names[0]: \"api.example.org\" is not covered by a watch entry: pinwatch would not see its certificates"},
      {"pin-set subdomains not covered", std::string(kDb) + kWatch + "pinsets:\n  - name: api\n    names: [example.com]\n    include_subdomains: true\n    pins: [" + kPinEmpty + ", " + kPinCount + "]\n",
       "c.yaml:5: pinsets[0].names[0]: \"example.com\" is not covered by a watch entry (with its subdomains): pinwatch would not see its certificates"},
      {"pin-set with fewer pins than min_pins", std::string(kDb) + kWatch + "pinsets:\n  - name: api\n    names: [example.com]\n    pins: [" + kPinEmpty + "]\n",
       "c.yaml:6: pinsets[0].pins: expected at least min_pins (2) pins, one of them a backup, got 1"},
      {"pin-set pin twice", std::string(kDb) + kWatch + "pinsets:\n  - name: api\n    names: [example.com]\n    pins: [" + kPinEmpty + ", " + kPinEmpty + "]\n",
       "c.yaml:6: pinsets[0].pins[1]: expected each pin once, got " + std::string(kPinEmpty) + " again"},
      {"pin-set name with a slash", std::string(kDb) + kWatch + "pinsets:\n  - name: ../api\n    names: [example.com]\n    pins: [" + kPinEmpty + ", " + kPinCount + "]\n",
       "c.yaml:4: pinsets[0].name: expected a pin-set name of lowercase letters, digits, '-' and '_' (at most 63, starting with a letter or digit), got \"../api\""},
      {"pin-set expiry over a year", std::string(kDb) + kWatch + "pinsets:\n  - name: api\n    names: [example.com]\n    pins: [" + kPinEmpty + ", " + kPinCount + "]\n    expiry_days: 400\n",
       "c.yaml:7: pinsets[0].expiry_days: expected a positive integer up to 365, got \"400\""},
      {"pin-set without pins", std::string(kDb) + kWatch + "pinsets:\n  - name: api\n    names: [example.com]\n",
       "c.yaml:4: pinsets[0].pins: required (version 1 of the pin-set)"},
      {"pin-set name twice", std::string(kDb) + kWatch + "pinsets:\n  - {name: api, names: [example.com], pins: [" + kPinEmpty + ", " + kPinCount + "]}\n  - {name: api, names: [example.com], pins: [" + kPinEmpty + ", " + kPinCount + "]}\n",
       "c.yaml:5: pinsets[1].name: expected each pin-set name once, got \"api\" again"},
      {"publish without signing key", std::string(kDb) + kWatch + "publish:\n  directory: /tmp/p\n",
       "c.yaml:4: publish.signing_key: required (an ECDSA P-256 private key, PEM; `pinwatch keygen --out FILE` makes one)"},
      {"unknown http key", std::string(kDb) + kWatch + "http:\n  port: 9464\n",
       "c.yaml:4: http.port: unknown key, expected one of: listen, tls_cert_file, tls_key_file"},
      {"TLS certificate without its key", std::string(kDb) + kWatch + "http:\n  listen: ':9443'\n  tls_cert_file: /c.pem\n",
       "c.yaml:5: http.tls_cert_file: needs http.tls_key_file as well (a certificate and its key)"},
      {"listen without port", std::string(kDb) + kWatch + "http: {listen: 127.0.0.1}\n",
       "c.yaml:3: http.listen: expected HOST:PORT such as 127.0.0.1:9464, [::1]:9464 or :9464, got \"127.0.0.1\" (no port)"},
      {"listen port too big", std::string(kDb) + kWatch + "http: {listen: '127.0.0.1:65536'}\n",
       "c.yaml:3: http.listen: expected HOST:PORT such as 127.0.0.1:9464, [::1]:9464 or :9464, got \"127.0.0.1:65536\" "
       "(the port must be a number from 0 to 65535)"},
      {"bare IPv6 listen", std::string(kDb) + kWatch + "http: {listen: '::1:9464'}\n",
       "c.yaml:3: http.listen: expected HOST:PORT such as 127.0.0.1:9464, [::1]:9464 or :9464, got \"::1:9464\" "
       "(an IPv6 address goes in brackets)"},
      {"unknown alerts key", std::string(kDb) + kWatch + "alerts:\n  resend: 1m\n",
       "c.yaml:4: alerts.resend: unknown key, expected one of: alertmanager_urls, resend_interval, timeout, "
       "external_url, send_severities"},
      {"Alertmanager URL without scheme", std::string(kDb) + kWatch + "alerts:\n  alertmanager_urls: [am:9093]\n",
       "c.yaml:4: alerts.alertmanager_urls[0]: expected an http:// or https:// URL, got \"am:9093\""},
      {"Alertmanager URL without host", std::string(kDb) + kWatch + "alerts:\n  alertmanager_urls: ['http:///x']\n",
       "c.yaml:4: alerts.alertmanager_urls[0]: expected an http:// or https:// URL with a host and no query, got "
       "the quoted string \"http:///x\""},
      {"Alertmanager twice", std::string(kDb) + kWatch +
           "alerts:\n  alertmanager_urls:\n    - http://am:9093\n    - http://am:9093/\n",
       "c.yaml:6: alerts.alertmanager_urls[1]: expected each Alertmanager once, got \"http://am:9093\" again"},
      {"duration in milliseconds as a number", std::string(kDb) + kWatch + "alerts: {resend_interval: 60000}\n",
       "c.yaml:3: alerts.resend_interval: expected a duration such as 30s, 5m or 1h from 1s to 1d, got \"60000\""},
      {"Go-style fractional duration", std::string(kDb) + kWatch + "alerts: {resend_interval: 1.5m}\n",
       "c.yaml:3: alerts.resend_interval: expected a duration such as 30s, 5m or 1h from 1s to 1d, got \"1.5m\""},
      {"resend interval too short", std::string(kDb) + kWatch + "alerts: {resend_interval: 500ms}\n",
       "c.yaml:3: alerts.resend_interval: expected a duration such as 30s, 5m or 1h from 1s to 1d, got \"500ms\""},
      {"unknown severity", std::string(kDb) + kWatch + "alerts: {send_severities: [critical, page]}\n",
       "c.yaml:3: alerts.send_severities[1]: expected one of info, warning, critical, got \"page\""},
      {"severity twice", std::string(kDb) + kWatch + "alerts: {send_severities: [warning, warning]}\n",
       "c.yaml:3: alerts.send_severities[1]: expected each severity once, got \"warning\" again"},
      {"external URL with a query", std::string(kDb) + kWatch + "alerts: {external_url: 'https://p.example/?x=1'}\n",
       "c.yaml:3: alerts.external_url: expected an http:// or https:// URL with a host and no query, got "
       "the quoted string \"https://p.example/?x=1\""},
      {"unknown database key", "database:\n  uri: u\n" + std::string(kWatch),
       "c.yaml:2: database.uri: unknown key, expected one of: url, max_connections"},
      {"one database connection", "database:\n  url: u\n  max_connections: 1\n" + std::string(kWatch),
       "c.yaml:3: database.max_connections: expected an integer from 2 to 1000, got \"1\""},
      {"a list refresh in minutes", std::string(kDb) + kWatch + "logs:\n  list_refresh_interval_s: 5m\n",
       "c.yaml:4: logs.list_refresh_interval_s: expected an integer from 0 to 31536000, got \"5m\""},
      {"unknown logs key", std::string(kDb) + kWatch + "logs:\n  start: end\n  list: [x]\n",
       "c.yaml:5: logs.list: unknown key, expected one of: lists, states, start, poll_interval_ms, "
       "entries_per_request, requests_in_flight, retry_lookahead_mib, request_timeout_ms, low_speed_bytes_per_s, "
       "low_speed_time_ms, plain_http_hosts, list_public_keys, list_refresh_interval_s"},
      {"unknown watch key", std::string(kDb) + "watch:\n  - name: a.example\n    include_subdomain: true\n",
       "c.yaml:4: watch[0].include_subdomain: unknown key, expected one of: name, include_subdomains, "
       "allowed_issuers, known_keys"},
      {"unknown run key", std::string(kDb) + kWatch + "run:\n  threads: 4\n",
       "c.yaml:4: run.threads: unknown key, expected one of: replica_id, lease_seconds, commit_every_entries, "
       "commit_interval_ms, match_threads, progress_interval_s, pinset_interval_s"},
      {"key written twice", "database:\n  url: a\n  url: b\n" + std::string(kWatch),
       "c.yaml:3: database.url: key written twice (first on line 2)"},
      {"watch is a map", std::string(kDb) + "watch:\n  name: a.example\n",
       "c.yaml:3: watch: expected a list of watch entries (maps with a name), got a map"},
      {"logs is a list", std::string(kDb) + kWatch + "logs: [a]\n",
       "c.yaml:3: logs: expected a map with keys lists, states, start, poll_interval_ms, entries_per_request, "
       "requests_in_flight, retry_lookahead_mib, request_timeout_ms, low_speed_bytes_per_s, low_speed_time_ms, "
       "plain_http_hosts, list_public_keys, list_refresh_interval_s, got a list"},
      {"lists is a string", std::string(kDb) + kWatch + "logs:\n  lists: https://example.net/list.json\n",
       "c.yaml:4: logs.lists: expected a list of log list files or URLs, got \"https://example.net/list.json\""},
      {"lists is empty", std::string(kDb) + kWatch + "logs:\n  lists: []\n",
       "c.yaml:4: logs.lists: expected at least one log list file or URL, got an empty list"},
      {"list URL scheme", std::string(kDb) + kWatch + "logs:\n  lists:\n    - a.json\n    - ftp://example.net/l.json\n",
       "c.yaml:6: logs.lists[1]: expected a file path or an http:// or https:// URL, got \"ftp://example.net/l.json\""},
      {"include_subdomains yes", std::string(kDb) + "watch:\n  - name: a.example\n    include_subdomains: yes\n",
       "c.yaml:4: watch[0].include_subdomains: expected true or false, got \"yes\""},
      {"include_subdomains quoted", std::string(kDb) + "watch:\n  - name: a.example\n    include_subdomains: \"true\"\n",
       "c.yaml:4: watch[0].include_subdomains: expected true or false, got the quoted string \"true\""},
      {"unpadded pin", std::string(kDb) + "watch:\n  - name: a.example\n  - name: b.example\n    allowed_issuers:\n      - " + unpadded + "\n",
       "c.yaml:6: watch[1].allowed_issuers[0]: expected \"sha256/<base64 of 32 bytes>\", got \"" + unpadded + "\""},
      {"31-byte pin", std::string(kDb) + "watch:\n  - name: a.example\n    known_keys: [" + kPinEmpty + ", " + pin31 + "]\n",
       "c.yaml:4: watch[0].known_keys[1]: expected \"sha256/<base64 of 32 bytes>\", got \"" + pin31 + "\""},
      {"url-safe base64 pin", std::string(kDb) + "watch:\n  - name: a.example\n    known_keys: [" + url_safe + "]\n",
       "c.yaml:4: watch[0].known_keys[0]: expected \"sha256/<base64 of 32 bytes>\", got \"" + url_safe + "\""},
      {"pin without prefix", std::string(kDb) + "watch:\n  - name: a.example\n    known_keys: [47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=]\n",
       "c.yaml:4: watch[0].known_keys[0]: expected \"sha256/<base64 of 32 bytes>\", got "
       "\"47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\""},
      {"pin is a map", std::string(kDb) + "watch:\n  - name: a.example\n    allowed_issuers:\n      - {sha256: x}\n",
       "c.yaml:5: watch[0].allowed_issuers[0]: expected \"sha256/<base64 of 32 bytes>\", got a map"},
      {"pins are a string", std::string(kDb) + "watch:\n  - name: a.example\n    allowed_issuers: " + kPinEmpty + "\n",
       std::string("c.yaml:4: watch[0].allowed_issuers: expected a list of \"sha256/<base64 of 32 bytes>\" pins, got \"") +
           kPinEmpty + "\""},
      {"empty allowed_issuers value", std::string(kDb) + "watch:\n  - name: a.example\n    allowed_issuers:\n",
       "c.yaml:4: watch[0].allowed_issuers: expected a list of \"sha256/<base64 of 32 bytes>\" pins, got nothing (null)"},
      {"wildcard watch name", std::string(kDb) + "watch:\n  - name: a.example\n  - name: \"*.example.com\"\n",
       "c.yaml:4: watch[1].name: expected a DNS name or IP address to watch, got \"*.example.com\" (", true},
      {"all-digit last label", std::string(kDb) + "watch:\n  - name: host.123\n",
       "c.yaml:3: watch[0].name: expected a DNS name or IP address to watch, got \"host.123\" (", true},
      {"IP address with subdomains", std::string(kDb) + "watch:\n  - name: 192.0.2.1\n    include_subdomains: true\n",
       "c.yaml:3: watch[0].name: expected a DNS name or IP address to watch, got \"192.0.2.1\" "
       "(an IP address cannot include subdomains)"},
      {"A-label that is not IDNA2008 (issue 13)", std::string(kDb) + "watch:\n  - name: example.com\n  - name: www.xn--a.com\n",
       "c.yaml:4: watch[1].name: expected a DNS name or IP address to watch, got \"www.xn--a.com\" "
       "(A-label \"xn--a\" is not valid IDNA2008 (libidn2: string contains a disallowed character))"},
      {"Punycode that fails the Bidi rule (issue 13)", std::string(kDb) + "watch:\n  - name: xn--invalid-punycode\n",
       "c.yaml:3: watch[0].name: expected a DNS name or IP address to watch, got \"xn--invalid-punycode\" "
       "(A-label \"xn--invalid-punycode\" is not valid IDNA2008 (libidn2: string has forbidden bi-directional properties))"},
      {"duplicate watch name", std::string(kDb) + "watch:\n  - name: example.com\n  - name: a.example\n  - name: EXAMPLE.com.\n",
       "c.yaml:5: watch[2].name: expected each name once, got \"EXAMPLE.com.\" again (as watch[0])"},
      {"duplicate IP address", std::string(kDb) + "watch:\n  - name: 2001:db8::1\n  - name: 2001:0DB8:0:0::1\n",
       "c.yaml:4: watch[1].name: expected each name once, got \"2001:0DB8:0:0::1\" again (as watch[0])"},
      {"watch entry without name", std::string(kDb) + "watch:\n  - include_subdomains: true\n",
       "c.yaml:3: watch[0].name: required"},
      {"watch entry is a string", std::string(kDb) + "watch:\n  - a.example\n",
       "c.yaml:3: watch[0]: expected a map with keys name, include_subdomains, allowed_issuers, known_keys, got "
       "\"a.example\""},
      {"empty watch name", std::string(kDb) + "watch:\n  - name: \"\"\n",
       "c.yaml:3: watch[0].name: expected a DNS name or IP address, got an empty string"},
      {"empty watch list", std::string(kDb) + "watch: []\n",
       "c.yaml:2: watch: expected at least one entry (a daemon watching nothing is a configuration error), got an "
       "empty list"},
      {"no watch key", std::string(kDb),
       "c.yaml:1: watch: required (a daemon watching nothing is a configuration error)"},
      {"empty file", "", "c.yaml: watch: required (a daemon watching nothing is a configuration error)"},
      {"unknown log state", std::string(kDb) + kWatch + "logs:\n  states: [usable, active]\n",
       "c.yaml:4: logs.states[1]: expected one of pending, qualified, usable, readonly, retired, rejected, got "
       "\"active\""},
      {"log state twice", std::string(kDb) + kWatch + "logs:\n  states:\n    - usable\n    - usable\n",
       "c.yaml:6: logs.states[1]: expected each state once, got \"usable\" again"},
      {"start beginning", std::string(kDb) + kWatch + "logs:\n  start: beginning\n",
       "c.yaml:4: logs.start: expected end or 0, got \"beginning\""},
      {"start 1", std::string(kDb) + kWatch + "logs: {start: 1}\n", "c.yaml:3: logs.start: expected end or 0, got \"1\""},
      {"plain http host with a port", std::string(kDb) + kWatch + "logs: {plain_http_hosts: [\"ctsim:8080\"]}\n",
       "c.yaml:3: logs.plain_http_hosts[0]: expected a host name in lower case (letters, digits, '-', '.'), no port, "
       "got the quoted string \"ctsim:8080\""},
      {"plain http host in upper case", std::string(kDb) + kWatch + "logs: {plain_http_hosts: [CTSIM]}\n",
       "c.yaml:3: logs.plain_http_hosts[0]: expected a host name in lower case (letters, digits, '-', '.'), no port, "
       "got \"CTSIM\""},
      {"zero lease", std::string(kDb) + kWatch + "run:\n  lease_seconds: 0\n",
       "c.yaml:4: run.lease_seconds: expected a positive integer up to 31536000, got \"0\""},
      {"negative threads", std::string(kDb) + kWatch + "run:\n  match_threads: -2\n",
       "c.yaml:4: run.match_threads: expected a positive integer up to 1024, got \"-2\""},
      {"fractional batch", std::string(kDb) + kWatch + "logs:\n  entries_per_request: 1.5\n",
       "c.yaml:4: logs.entries_per_request: expected a positive integer up to 1073741824, got \"1.5\""},
      {"quoted number", std::string(kDb) + kWatch + "run:\n  commit_every_entries: \"100\"\n",
       "c.yaml:4: run.commit_every_entries: expected a positive integer up to 1073741824, got the quoted string \"100\""},
      {"overflowing interval", std::string(kDb) + kWatch + "run:\n  commit_interval_ms: 99999999999999999999999\n",
       "c.yaml:4: run.commit_interval_ms: expected a positive integer up to 31536000000, got \"99999999999999999999999\""},
      {"negative poll interval", std::string(kDb) + kWatch + "logs:\n  poll_interval_ms: -1\n",
       "c.yaml:4: logs.poll_interval_ms: expected an integer from 0 to 31536000000, got \"-1\""},
      {"zero progress interval", std::string(kDb) + kWatch + "run: {progress_interval_s: 0}\n",
       "c.yaml:3: run.progress_interval_s: expected a positive integer up to 31536000, got \"0\""},
      {"zero in flight", std::string(kDb) + kWatch + "logs: {requests_in_flight: 0}\n",
       "c.yaml:3: logs.requests_in_flight: expected a positive integer up to 1024, got \"0\""},
      {"reports: a window under a minute", std::string(kDb) + kWatch + "reports: {interception_window_s: 5}\n",
       "c.yaml:3: reports.interception_window_s: expected an integer from 60 to 2592000, got \"5\""},
      {"reports: no clients", std::string(kDb) + kWatch + "reports:\n  interception_clients: 0\n",
       "c.yaml:4: reports.interception_clients: expected a positive integer up to 1000000, got \"0\""},
      {"reports: unknown key", std::string(kDb) + kWatch + "reports:\n  per_minute: 5\n",
       "c.yaml:4: reports.per_minute: unknown key, expected one of: interception_clients, interception_window_s, "
       "per_address_per_minute"},
      {"a retry lookahead in GiB", std::string(kDb) + kWatch + "logs: {retry_lookahead_mib: 8192}\n",
       "c.yaml:3: logs.retry_lookahead_mib: expected an integer from 0 to 4096, got \"8192\""},
      {"zero request timeout", std::string(kDb) + kWatch + "logs: {request_timeout_ms: 0}\n",
       "c.yaml:3: logs.request_timeout_ms: expected a positive integer up to 31536000000, got \"0\""},
      {"low-speed window under a second", std::string(kDb) + kWatch + "logs: {low_speed_time_ms: 500}\n",
       "c.yaml:3: logs.low_speed_time_ms: expected an integer from 1000 to 31536000000, got \"500\""},
      {"negative low speed", std::string(kDb) + kWatch + "logs: {low_speed_bytes_per_s: -1}\n",
       "c.yaml:3: logs.low_speed_bytes_per_s: expected an integer from 0 to 1099511627776, got \"-1\""},
      {"empty replica id", std::string(kDb) + kWatch + "run:\n  replica_id: ''\n",
       "c.yaml:4: run.replica_id: expected a non-empty string, got an empty string"},
      {"missing database url", std::string("database:\n") + kWatch,
       "c.yaml:1: database.url: required (or set PINWATCH_DATABASE_URL)"},
      {"empty database url", "database:\n  url: \"\"\n" + std::string(kWatch),
       "c.yaml:2: database.url: expected a PostgreSQL connection URL, got an empty string"},
      {"map value in a plain scalar", std::string(kDb) + "watch:\n  - name: a: b\n", "c.yaml:3: YAML syntax error: illegal map value"},
      {"bad indentation", std::string(kDb) + "watch:\n  - name: a.example\n - name: b.example\n",
       "c.yaml:4: YAML syntax error: end of map not found"},
      {"undefined alias", std::string(kDb) + "watch: *entries\n", "c.yaml:2: YAML syntax error: ", true},
      {"unclosed flow list", std::string(kDb) + kWatch + "logs: {lists: [a.json}\n", "c.yaml:3: YAML syntax error: ", true},
      {"two documents", "---\n" + std::string(kDb) + kWatch + "---\n" + kDb,
       "c.yaml:4: expected one YAML document, got a second one"},
      {"lone comma (yaml-cpp#1040 loops in LoadAll)", ",\n", "c.yaml:1: YAML syntax error: unexpected \",\""},
      {"comma after a document", std::string(kDb) + kWatch + "---\n,\n", "c.yaml:3: expected one YAML document, got a second one"},
  };
}

TEST(ConfigTest, HttpAndAlertsSections) {
  Result<Config> config = ParseConfig(std::string(kDb) + kWatch +
                                          "http:\n  listen: 127.0.0.1:9464\n"
                                          "alerts:\n"
                                          "  alertmanager_urls: [http://127.0.0.1:9093, 'https://am2.example/prefix/']\n"
                                          "  resend_interval: 1m30s\n"
                                          "  timeout: 2s\n"
                                          "  send_severities: [critical]\n",
                                      "c.yaml", Env());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->http.listen, "127.0.0.1:9464");
  EXPECT_EQ(config->http.host, "127.0.0.1");
  EXPECT_EQ(config->http.port, 9464);
  EXPECT_EQ(config->alerts.alertmanager_urls,
            (std::vector<std::string>{"http://127.0.0.1:9093", "https://am2.example/prefix"}));
  EXPECT_EQ(config->alerts.resend_interval_ms, 90'000);
  EXPECT_EQ(config->alerts.timeout_ms, 2'000);
  EXPECT_EQ(config->alerts.external_url, "http://127.0.0.1:9464");  // from the listener
  EXPECT_EQ(config->alerts.send_severities, std::vector<db::Severity>{db::Severity::kCritical});

  const std::pair<std::string, std::pair<std::string, int>> listens[] = {
      {"'[::1]:9464'", {"::1", 9464}}, {"':9464'", {"0.0.0.0", 9464}}, {"'localhost:0'", {"localhost", 0}}};
  for (const auto& [listen, want] : listens) {
    Result<Config> c = ParseConfig(std::string(kDb) + kWatch + "http: {listen: " + listen + "}\n" +
                                       "alerts: {external_url: 'https://pinwatch.example.internal/'}\n",
                                   "c.yaml", Env());
    ASSERT_TRUE(c.ok()) << listen << ": " << c.status().ToString();
    EXPECT_EQ(c->http.host, want.first) << listen;
    EXPECT_EQ(c->http.port, want.second) << listen;
    EXPECT_EQ(c->alerts.external_url, "https://pinwatch.example.internal") << listen;  // as given, no slash
  }
  Result<Config> any = ParseConfig(std::string(kDb) + kWatch + "http: {listen: ':9464'}\n", "c.yaml", Env());
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->alerts.external_url, "http://localhost:9464");
  Result<Config> port0 = ParseConfig(std::string(kDb) + kWatch + "http: {listen: '127.0.0.1:0'}\n", "c.yaml", Env());
  ASSERT_TRUE(port0.ok());
  EXPECT_EQ(port0->alerts.external_url, "");  // the daemon fills it in once bound
}

TEST(ConfigTest, PinsetsAndPublish) {
  Result<Config> config = ParseConfig(std::string(kDb) +
                                          "watch:\n  - {name: Example.COM, include_subdomains: true}\n"
                                          "pinsets:\n  - name: api\n    names: [API.example.com, www.example.com]\n"
                                          "    include_subdomains: true\n    pins: [" +
                                          kPinEmpty + ", " + kPinCount +
                                          "]\n    min_pins: 2\n    approvals_required: 2\n    expiry_days: 30\n"
                                          "    remove_grace_days: 0\n  - {name: root_2, names: [example.com], pins: [" +
                                          kPinEmpty + ", " + kPinCount +
                                          "]}\npublish: {signing_key: /k.pem, directory: /var/lib/pinwatch/published}\n",
                                      "c.yaml", Env());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->pinsets.size(), 2u);
  const pins::PinsetPolicy& api = config->pinsets[0];
  EXPECT_EQ(api.name, "api");
  EXPECT_EQ(api.names, (std::vector<std::string>{"api.example.com", "www.example.com"}));  // as matched
  EXPECT_TRUE(api.include_subdomains);
  ASSERT_EQ(api.pins.size(), 2u);
  EXPECT_EQ(PinText(api.pins[1]), kPinCount);
  EXPECT_EQ(api.approvals_required, 2);
  EXPECT_EQ(api.expiry_days, 30);
  EXPECT_EQ(api.remove_grace_days, 0);
  const pins::PinsetPolicy& defaults = config->pinsets[1];
  EXPECT_EQ(defaults.min_pins, 2);
  EXPECT_EQ(defaults.approvals_required, 1);
  EXPECT_EQ(defaults.expiry_days, 60);
  EXPECT_EQ(defaults.remove_grace_days, 7);
  EXPECT_FALSE(defaults.include_subdomains);
  EXPECT_EQ(config->publish.signing_key, "/k.pem");
  EXPECT_EQ(config->publish.directory, "/var/lib/pinwatch/published");
}

TEST(ConfigTest, BadConfigsNameKeyPathAndLine) {
  for (const BadCase& c : BadCases()) {
    SCOPED_TRACE(c.desc);
    Result<Config> config = ParseConfig(c.yaml, "c.yaml", Env());
    ASSERT_FALSE(config.ok()) << c.yaml;
    EXPECT_EQ(config.status().code(), Code::kFailedPrecondition);
    if (c.prefix_only) {
      EXPECT_TRUE(config.status().message().starts_with(c.want)) << config.status().message();
      EXPECT_GT(config.status().message().size(), c.want.size()) << config.status().message();
    } else {
      EXPECT_EQ(config.status().message(), c.want);
    }
  }
}

// BigWatchYaml returns a config with `names` watch entries, two lines each (entry i's name is
// on line 3 + 2i), "hostI.zoneJ.example" unless `replaced` gives entry i another name; odd
// entries include subdomains.
std::string BigWatchYaml(size_t names, const std::map<size_t, std::string>& replaced = {}) {
  std::string yaml = std::string(kDb) + "watch:\n";
  for (size_t i = 0; i < names; ++i) {
    auto it = replaced.find(i);
    yaml += "  - name: " + (it != replaced.end() ? it->second : "host" + std::to_string(i) + ".zone" + std::to_string(i % 97) + ".example") + "\n";
    yaml += i % 2 == 1 ? "    include_subdomains: true\n" : "    include_subdomains: false\n";
  }
  return yaml;
}

// Issue 13: a big watch list parses (validated name by name, without building a WatchList;
// bench/config_bench.cc measures the cost per name), and a bad entry deep inside it is still
// reported with its path and line. Three parses of 20,000 names take about 4 s under ASan;
// the other rules are shown on small files above.
TEST(ConfigTest, TwentyThousandNamesParseAndBadOnesAreFound) {
  constexpr size_t kNames = 20000;
  Result<Config> config = ParseConfig(BigWatchYaml(kNames), "big.yaml", Env());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  ASSERT_EQ(config->watch.size(), kNames);
  EXPECT_EQ(config->watch[12345].name, "host12345.zone26.example");
  EXPECT_TRUE(config->watch[12345].include_subdomains);
  EXPECT_FALSE(config->watch[19998].include_subdomains);

  const struct {
    const char* desc;
    std::map<size_t, std::string> replaced;
    std::string want;
  } cases[] = {
      {"a name again, written differently", {{17000, "HOST42.Zone42.example."}},
       "big.yaml:34003: watch[17000].name: expected each name once, got \"HOST42.Zone42.example.\" again (as watch[42])"},
      {"an A-label that is not IDNA2008", {{19999, "xn--a.example"}},
       "big.yaml:40001: watch[19999].name: expected a DNS name or IP address to watch, got \"xn--a.example\" "
       "(A-label \"xn--a\" is not valid IDNA2008 (libidn2: string contains a disallowed character))"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.desc);
    Result<Config> bad = ParseConfig(BigWatchYaml(kNames, c.replaced), "big.yaml", Env());
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), Code::kFailedPrecondition);
    EXPECT_EQ(bad.status().message(), c.want);
  }
}

TEST(ConfigTest, ParsePinAndPinTextRoundTrip) {
  EXPECT_EQ(PinText(CountingHash()), kPinCount);
  EXPECT_EQ(ParsePin(kPinCount), CountingHash());
  EXPECT_EQ(ParsePin("sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), ctlog::Hash{});
  EXPECT_EQ(ParsePin("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU"), std::nullopt);    // unpadded
  EXPECT_EQ(ParsePin("sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="), std::nullopt);  // 31 bytes
  EXPECT_EQ(ParsePin("sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), std::nullopt);  // 34 bytes
  EXPECT_EQ(ParsePin("SHA256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), std::nullopt);
  EXPECT_EQ(ParsePin("sha256/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU= "), std::nullopt);
  EXPECT_EQ(ParsePin("sha1/47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="), std::nullopt);
  EXPECT_EQ(ParsePin(""), std::nullopt);
}

TEST(ConfigTest, LoadConfigFileReadsAFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("pinwatch_config_test_" + std::to_string(getpid()) + ".yaml");
  {
    std::ofstream out(path);
    out << "database:\n  url: postgresql:///x\nwatch:\n  - name: example.com\n    known_keys: [" << kPinEmpty << "]\n";
  }
  Result<Config> config = LoadConfigFile(path.string(), Env());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->source, path.string());
  EXPECT_EQ(config->database_url, "postgresql:///x");
  ASSERT_EQ(config->watch.size(), 1u);
  EXPECT_EQ(config->watch[0].known_keys.size(), 1u);

  {
    std::ofstream out(path);
    out << "database:\n  url: postgresql:///x\nwatch:\n  - name: example.com\n    known_keys: [nope]\n";
  }
  Result<Config> bad = LoadConfigFile(path.string(), Env());
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            path.string() + ":5: watch[0].known_keys[0]: expected \"sha256/<base64 of 32 bytes>\", got \"nope\"");
  std::filesystem::remove(path);
}

TEST(ConfigTest, LoadConfigFileMissingFile) {
  const std::string path = "/nonexistent/pinwatch/config.yaml";
  Result<Config> config = LoadConfigFile(path, Env());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), Code::kFailedPrecondition);
  EXPECT_EQ(config.status().message(), path + ": cannot open config file: No such file or directory");
}

}  // namespace
}  // namespace pinwatch::monitor
