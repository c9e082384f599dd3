#include "alerts/alertmanager.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <chrono>
#include <cstdio>

#include "base/encoding.h"
#include "base/pin.h"
#include "base/time.h"

namespace pinwatch::alerts {
namespace {

// Bounds on what goes into one alert: a certificate may carry hundreds of names and be in
// many logs; Alertmanager and the people reading the alert need the first few.
constexpr size_t kMaxNamesShown = 20;
constexpr size_t kMaxEntriesShown = 10;
// kMaxResponseBytes: Alertmanager answers a POST with a short body.
constexpr size_t kMaxResponseBytes = 64 << 10;

std::string DateOf(const std::optional<int64_t>& unix_s) { return unix_s ? FormatRfc3339(*unix_s) : "unknown"; }

std::string NamesOf(const std::vector<std::string>& names) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxNamesShown; ++i) out += (i ? ", " : "") + names[i];
  if (names.size() > kMaxNamesShown) out += " and " + std::to_string(names.size() - kMaxNamesShown) + " more";
  return out.empty() ? "(none)" : out;
}

// FirstName is the name a summary speaks of: the watched name's own match if the
// certificate has it, else its first name.
std::string FirstName(const db::Finding& f) {
  if (!f.certificate || f.certificate->dns_names.empty()) return f.watched.empty() ? "a watched name" : f.watched;
  return f.certificate->dns_names.front();
}

std::string SummaryOf(const db::Finding& f) {
  const std::string name = FirstName(f);
  const std::string issuer = f.certificate && !f.certificate->issuer.empty() ? f.certificate->issuer : "an unknown CA";
  switch (f.kind) {
    case db::FindingKind::kUnexpectedIssuer:
      return "Certificate for " + name + " issued by an unexpected CA (" + issuer + ")";
    case db::FindingKind::kUnexpectedKey:
      return "New key for " + name + " from an allowed CA: " +
             (f.certificate && f.certificate->spki_sha256 ? PinText(*f.certificate->spki_sha256) : "unknown key");
    case db::FindingKind::kKnownKey:
      return "Certificate for " + name + " with a known key";
    case db::FindingKind::kMalformed:
      return "Malformed certificate naming " + name;
    case db::FindingKind::kLogMisbehaviour:
      return "CT log " + f.log_description + " misbehaved: " + f.reason;
    case db::FindingKind::kStalePinset:
      return "Pinned apps are failing on " + name + ": the pin-set lacks its new key " +
             (f.certificate && f.certificate->spki_sha256 ? PinText(*f.certificate->spki_sha256) : "");
    case db::FindingKind::kUnexpectedIssuerServed:
      return "Certificate for " + name + " from an unexpected CA (" + issuer + ") is being served to users";
    case db::FindingKind::kInterception:
      return "Connections to " + f.watched + " are being intercepted on some networks";
  }
  return f.reason;
}

std::string DescriptionOf(const db::Finding& f) {
  std::string d = f.reason + "\n";
  if (!f.watched.empty()) d += "Watched: " + f.watched + "\n";
  if (f.certificate) {
    const db::CertificateRecord& c = *f.certificate;
    d += "Names: " + NamesOf(c.dns_names) + "\n";
    if (!c.ip_addresses.empty()) d += "IP addresses: " + NamesOf(c.ip_addresses) + "\n";
    if (!c.parsed) d += "Parse error: " + c.parse_error + "\n";
    if (!c.subject.empty()) d += "Subject: " + c.subject + "\n";
    if (!c.issuer.empty()) d += "Issuer: " + c.issuer + "\n";
    if (c.issuer_spki_sha256) d += "Issuer key: " + PinText(*c.issuer_spki_sha256) + "\n";
    if (c.spki_sha256) d += "Key: " + PinText(*c.spki_sha256) + (c.key_type.empty() ? "" : " (" + c.key_type + ")") + "\n";
    if (!c.serial.empty()) d += "Serial: " + c.serial + "\n";
    d += "Valid: " + DateOf(c.not_before_unix_s) + " to " + DateOf(c.not_after_unix_s) + "\n";
    d += "TBS SHA-256: " + HexEncode(c.tbs_sha256) + "\n";
  }
  if (!f.entries.empty()) {
    d += "Logged:\n";
    for (size_t i = 0; i < f.entries.size() && i < kMaxEntriesShown; ++i) {
      const db::FindingEntry& e = f.entries[i];
      d += "  " + e.log_description + " #" + std::to_string(e.index) + " (" + e.entry_type + ", " +
           FormatRfc3339Ms(static_cast<int64_t>(e.timestamp_ms)) + ", " +
           (e.verified ? "verified" : "NOT YET VERIFIED: no signed root covering it has been checked") + ")\n";
    }
    if (f.entries.size() > kMaxEntriesShown) {
      d += "  and " + std::to_string(f.entries.size() - kMaxEntriesShown) + " more entries\n";
    }
  }
  if (f.evidence_json != "{}") d += "Evidence: " + f.evidence_json + "\n";
  d += "Finding " + std::to_string(f.id) + ": pinwatch findings --json; pinwatch ack " + std::to_string(f.id) + " ends this alert.";
  return d;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void Map(Writer& w, const std::map<std::string, std::string>& m) {
  w.StartObject();
  for (const auto& [k, v] : m) {
    Str(w, k);
    Str(w, v);
  }
  w.EndObject();
}

// OneLine turns a body excerpt into one short line for logs.
std::string OneLine(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, 200)) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

}  // namespace

std::string_view AlertNameOf(db::FindingKind kind) {
  switch (kind) {
    case db::FindingKind::kUnexpectedIssuer: return "PinwatchUnexpectedIssuer";
    case db::FindingKind::kUnexpectedKey: return "PinwatchUnexpectedKey";
    case db::FindingKind::kKnownKey: return "PinwatchKnownKey";
    case db::FindingKind::kMalformed: return "PinwatchMalformedCertificate";
    case db::FindingKind::kLogMisbehaviour: return "PinwatchLogMisbehaviour";
    case db::FindingKind::kStalePinset: return "PinwatchStalePinset";
    case db::FindingKind::kUnexpectedIssuerServed: return "PinwatchUnexpectedIssuerServed";
    case db::FindingKind::kInterception: return "PinwatchInterception";
  }
  return "Pinwatch";
}

PostableAlert AlertOf(const db::Finding& finding, int64_t starts_at_ms, int64_t ends_at_ms,
                      std::string_view external_url) {
  PostableAlert a;
  a.labels["alertname"] = std::string(AlertNameOf(finding.kind));
  a.labels["severity"] = std::string(db::SeverityName(finding.severity));
  a.labels["finding_id"] = std::to_string(finding.id);
  if (!finding.watched.empty()) a.labels["watched"] = finding.watched;
  if (finding.kind == db::FindingKind::kLogMisbehaviour && !finding.log_description.empty()) {
    a.labels["log"] = finding.log_description;
  }
  a.annotations["summary"] = SummaryOf(finding);
  a.annotations["description"] = DescriptionOf(finding);
  a.starts_at_ms = starts_at_ms;
  a.ends_at_ms = ends_at_ms;
  if (!external_url.empty()) a.generator_url = std::string(external_url) + "/findings/" + std::to_string(finding.id);
  return a;
}

PostableAlert TestAlertOf(std::string_view watched, std::string_view severity, std::string_view replica_id,
                          int64_t now_ms, int64_t ends_at_ms, std::string_view external_url) {
  PostableAlert a;
  a.labels["alertname"] = "PinwatchTest";
  a.labels["severity"] = std::string(severity);
  a.labels["watched"] = std::string(watched);
  a.labels["finding_id"] = "test";
  a.annotations["summary"] = "Test alert from pinwatch: is alerting working?";
  a.annotations["description"] = "Sent by `pinwatch alerts test` on replica " + std::string(replica_id) + " at " +
                                 FormatRfc3339Ms(now_ms) + " through the path findings take. It ends by itself at " +
                                 FormatRfc3339Ms(ends_at_ms) + ".";
  a.starts_at_ms = now_ms;
  a.ends_at_ms = ends_at_ms;
  if (!external_url.empty()) a.generator_url = std::string(external_url) + "/";
  return a;
}

std::string AlertsJson(std::span<const PostableAlert> alerts) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const PostableAlert& a : alerts) {
    w.StartObject();
    w.Key("labels");
    Map(w, a.labels);
    w.Key("annotations");
    Map(w, a.annotations);
    w.Key("startsAt");
    Str(w, FormatRfc3339Ms(a.starts_at_ms));
    w.Key("endsAt");
    Str(w, FormatRfc3339Ms(a.ends_at_ms));
    if (!a.generator_url.empty()) {
      w.Key("generatorURL");
      Str(w, a.generator_url);
    }
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

PostResult PostAlerts(net::HttpClient& http, const std::string& alertmanager, const std::string& json) {
  const auto started = std::chrono::steady_clock::now();
  Result<net::HttpResponse> r = http.Post(alertmanager + "/api/v2/alerts", {.body = json}, kMaxResponseBytes);
  PostResult out;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (!r.ok()) {
    out.outcome = DeliveryOutcome::kUnreachable;
    out.detail = r.status().message();
    return out;
  }
  out.status_code = r->status_code;
  if (r->status_code >= 200 && r->status_code < 300) {
    out.outcome = DeliveryOutcome::kSuccess;
    out.detail = "HTTP " + std::to_string(r->status_code);
  } else {
    out.outcome = DeliveryOutcome::kHttpError;
    out.detail = "HTTP " + std::to_string(r->status_code) + (r->body.empty() ? "" : ": " + OneLine(r->body));
  }
  return out;
}

}  // namespace pinwatch::alerts
