// Alertmanager's v2 API as an alert producer speaks it: a finding becomes a postable alert
// (labels, annotations, startsAt, endsAt, generatorURL) and a batch of them is POSTed to
// <alertmanager>/api/v2/alerts. The labels are the routing interface operators write
// Alertmanager routes against (README "Alerts"): extend, never rename.
//   alertname   PinwatchUnexpectedIssuer | PinwatchUnexpectedKey | PinwatchMalformedCertificate |
//               PinwatchLogMisbehaviour | PinwatchKnownKey (only if info is sent) | PinwatchTest |
//               PinwatchStalePinset | PinwatchUnexpectedIssuerServed | PinwatchInterception
//   severity    critical | warning | info
//   watched     the watch entry (certificate findings)
//   log         the log's description (log misbehaviour)
//   finding_id  the finding's id (`pinwatch findings`, ack/resolve)
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "alerts/metrics.h"
#include "db/finding_store.h"
#include "net/http.h"

namespace pinwatch::alerts {

// PostableAlert is one element of the POST body.
struct PostableAlert {
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  int64_t starts_at_ms = 0;
  int64_t ends_at_ms = 0;
  std::string generator_url;  // empty: left out
};

// AlertNameOf is the alertname of a finding kind.
std::string_view AlertNameOf(db::FindingKind kind);

// AlertOf builds the alert of `finding`, open from starts_at_ms until ends_at_ms. Its
// annotations: summary (one line) and description (names, issuer, key pin, validity, and
// each log entry with whether the range holding it was verified). generatorURL is
// external_url + "/findings/ID" (the web page's path for it), or empty without external_url.
PostableAlert AlertOf(const db::Finding& finding, int64_t starts_at_ms, int64_t ends_at_ms,
                      std::string_view external_url);

// TestAlertOf is `pinwatch alerts test`'s alert: alertname PinwatchTest, the given
// severity and watched name, finding_id "test", saying who sent it and when.
PostableAlert TestAlertOf(std::string_view watched, std::string_view severity, std::string_view replica_id,
                          int64_t now_ms, int64_t ends_at_ms, std::string_view external_url);

// AlertsJson is the POST body: a JSON array of the alerts.
std::string AlertsJson(std::span<const PostableAlert> alerts);

// PostResult is how one POST to an Alertmanager ended.
struct PostResult {
  DeliveryOutcome outcome = DeliveryOutcome::kUnreachable;
  int64_t status_code = 0;  // 0 when no answer came
  std::string detail;       // what it answered, or why nothing came (one line)
  double seconds = 0;
};

// PostAlerts POSTs `json` to `alertmanager` (a base URL) + "/api/v2/alerts" with `http`.
// kSuccess only for a 2xx answer.
PostResult PostAlerts(net::HttpClient& http, const std::string& alertmanager, const std::string& json);

}  // namespace pinwatch::alerts
