#include "report/findings.h"

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdio>

#include "base/encoding.h"
#include "base/pin.h"
#include "base/time.h"
#include "report/json_writer.h"

namespace pinwatch::report {

namespace {

// Lag is how many entries of the latest tree head seen are not committed yet.
std::optional<uint64_t> Lag(const db::LogStatus& s) {
  if (!s.latest_tree_size || !s.position) return std::nullopt;
  return *s.latest_tree_size > *s.position ? *s.latest_tree_size - *s.position : 0;
}

}  // namespace

namespace {

// WriteFinding writes one finding object (the shape README "Findings" documents).
void WriteFinding(Writer& w, const db::Finding& f) {
  w.StartObject();
  w.Key("id");
  w.Int64(f.id);
  w.Key("kind");
  Str(w, db::FindingKindName(f.kind));
  w.Key("severity");
  Str(w, db::SeverityName(f.severity));
  w.Key("status");
  Str(w, db::FindingStatusName(f.status));
  w.Key("status_note");
  StrOrNull(w, f.status_note);
  w.Key("reason");
  Str(w, f.reason);
  w.Key("watched");
  StrOrNull(w, f.watched);
  const db::CertificateRecord empty;
  const db::CertificateRecord& c = f.certificate ? *f.certificate : empty;
  w.Key("names");
  Strings(w, c.dns_names);
  w.Key("ip_addresses");
  Strings(w, c.ip_addresses);
  w.Key("spki_sha256");
  PinOrNull(w, c.spki_sha256);
  w.Key("issuer_spki_sha256");
  PinOrNull(w, c.issuer_spki_sha256);
  w.Key("tbs_sha256");
  if (f.certificate) Str(w, HexEncode(c.tbs_sha256));
  else w.Null();
  w.Key("not_before");
  TimeOrNull(w, c.not_before_unix_s);
  w.Key("not_after");
  TimeOrNull(w, c.not_after_unix_s);
  w.Key("subject");
  StrOrNull(w, c.subject);
  w.Key("issuer");
  StrOrNull(w, c.issuer);
  w.Key("serial");
  StrOrNull(w, c.serial);
  w.Key("certificate_parsed");
  if (f.certificate) w.Bool(c.parsed);
  else w.Null();
  w.Key("parse_error");
  StrOrNull(w, c.parse_error);
  w.Key("created_at");
  Str(w, f.created_at);
  w.Key("status_changed_at");
  Str(w, f.status_changed_at);
  w.Key("entries");
  Entries(w, f.entries);
  if (f.log_id) {
    w.Key("log_id");
    Str(w, Base64Encode(*f.log_id));
    w.Key("log");
    Str(w, f.log_description);
    w.Key("evidence");
    w.RawValue(f.evidence_json.data(), f.evidence_json.size(), rapidjson::kObjectType);
  }
  w.EndObject();
}

}  // namespace

std::string FindingsJson(const std::vector<db::Finding>& findings) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartArray();
  for (const db::Finding& f : findings) WriteFinding(w, f);
  w.EndArray();
  return std::string(buffer.GetString()) + "\n";
}

std::string FindingJson(const db::Finding& finding) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 2);
  WriteFinding(w, finding);
  return std::string(buffer.GetString()) + "\n";
}

std::string FindingsText(const std::vector<db::Finding>& findings) {
  std::string out;
  for (const db::Finding& f : findings) {
    out += "#" + std::to_string(f.id) + " " + std::string(db::SeverityName(f.severity)) + " " +
           std::string(db::FindingKindName(f.kind)) + " [" + std::string(db::FindingStatusName(f.status)) + "]";
    if (!f.watched.empty()) out += " watch " + f.watched;
    out += "\n  " + f.reason + "\n";
    if (f.certificate) {
      const db::CertificateRecord& c = *f.certificate;
      std::string names;
      for (const std::string& n : c.dns_names) names += (names.empty() ? "" : ", ") + n;
      out += "  names: " + names + "\n";
      if (c.spki_sha256) out += "  key: " + PinText(*c.spki_sha256) + "\n";
      if (c.issuer_spki_sha256) out += "  issuer key: " + PinText(*c.issuer_spki_sha256) + " (" + c.issuer + ")\n";
      if (c.not_before_unix_s && c.not_after_unix_s) {
        out += "  valid: " + FormatRfc3339(*c.not_before_unix_s) + " .. " + FormatRfc3339(*c.not_after_unix_s) + "\n";
      }
      out += "  tbs: " + HexEncode(c.tbs_sha256) + "\n";
    }
    for (const db::FindingEntry& e : f.entries) {
      out += "  entry: " + e.log_description + " #" + std::to_string(e.index) + " " + e.entry_type +
             (e.verified ? "" : " (not yet verified)") + "\n";
    }
    if (f.log_id) out += "  log: " + f.log_description + "\n  evidence: " + f.evidence_json + "\n";
  }
  if (findings.empty()) out = "no findings\n";
  return out;
}

std::string StatusJson(const std::vector<db::LogStatus>& logs) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.SetIndent(' ', 2);
  w.StartArray();
  for (const db::LogStatus& s : logs) {
    w.StartObject();
    w.Key("log_id");
    Str(w, Base64Encode(s.log.log_id));
    w.Key("log");
    Str(w, s.log.description);
    w.Key("api");
    Str(w, s.log.api == ctlog::LogApi::kStaticCt ? "static-ct" : "rfc6962");
    w.Key("url");
    Str(w, s.log.url);
    w.Key("state");
    Str(w, s.log.state);
    w.Key("followed");
    w.Bool(s.followed);
    w.Key("position");
    if (s.position) w.Uint64(*s.position);
    else w.Null();
    w.Key("verified_tree_size");
    w.Uint64(s.verified_tree_size);
    w.Key("latest_tree_size");
    if (s.latest_tree_size) w.Uint64(*s.latest_tree_size);
    else w.Null();
    w.Key("lag");
    if (auto lag = Lag(s)) w.Uint64(*lag);
    else w.Null();
    w.Key("latest_seen_at");
    StrOrNull(w, s.latest_seen_at);
    w.Key("lease_holder");
    StrOrNull(w, s.lease_holder);
    w.Key("lease_expires_at");
    StrOrNull(w, s.lease_expires_at);
    w.Key("last_error");
    StrOrNull(w, s.last_error);
    w.Key("last_error_at");
    StrOrNull(w, s.last_error_at);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString()) + "\n";
}

std::string StatusText(const std::vector<db::LogStatus>& logs) {
  std::string out;
  char line[512];
  std::snprintf(line, sizeof line, "%-32s %-9s %12s %12s %12s %10s  %s\n", "LOG", "API", "POSITION", "VERIFIED",
                "TREE SIZE", "LAG", "LEASE / LAST ERROR");
  out += line;
  for (const db::LogStatus& s : logs) {
    auto num = [](const std::optional<uint64_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
    const std::optional<uint64_t> lag = Lag(s);
    std::string name = s.log.description.substr(0, 32);
    std::snprintf(line, sizeof line, "%-32s %-9s %12s %12s %12s %10s  %s%s\n", name.c_str(),
                  s.log.api == ctlog::LogApi::kStaticCt ? "static-ct" : "rfc6962", num(s.position).c_str(),
                  std::to_string(s.verified_tree_size).c_str(), num(s.latest_tree_size).c_str(), num(lag).c_str(),
                  s.lease_holder.empty() ? "-" : s.lease_holder.c_str(), s.followed ? "" : " (not followed)");
    out += line;
    if (!s.last_error.empty()) out += "    last error (" + s.last_error_at + "): " + s.last_error + "\n";
  }
  return out;
}

}  // namespace pinwatch::report
