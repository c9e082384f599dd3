// Plain records shared by the stores (db/log_state_store.h, db/finding_store.h): a followed
// log, a certificate that concerns a watched name, and a finding about it. Owning values;
// nothing here knows SQL.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctlog/leaf.h"
#include "ctlog/loglist.h"
#include "ctlog/sha256.h"
#include "db/finding.h"

namespace pinwatch::db {

// Alerting says whether a finding, when it is first stored, goes to Alertmanager: kOutbox
// writes its alert outbox row in the same transaction (alerts/sender.h sends it).
enum class Alerting { kNone, kOutbox };

// LogRecord is a followed log as the log lists describe it.
struct LogRecord {
  ctlog::LogId log_id{};
  std::string description;
  ctlog::LogApi api = ctlog::LogApi::kRfc6962;
  std::string url;             // RFC 6962 url or static-ct monitoring_url
  std::string submission_url;  // static-ct origin is derived from it
  std::vector<uint8_t> key;    // DER SPKI
  uint64_t mmd_seconds = 86400;
  std::string state;           // "usable", ...
};

// CertificateRecord is one certificate (or precertificate) that concerns a watched name.
struct CertificateRecord {
  ctlog::Hash tbs_sha256{};  // TBS identity hash; for unparseable ones SHA-256 of the raw bytes
  bool parsed = true;
  std::string parse_error;   // when !parsed
  std::vector<std::string> dns_names;
  std::vector<std::string> ip_addresses;
  std::string subject, issuer, serial;  // RFC 2253 UTF-8 names, serial as OpenSSL prints it
  std::optional<int64_t> not_before_unix_s, not_after_unix_s;
  std::optional<ctlog::Hash> spki_sha256, issuer_spki_sha256;
  // SPKI SHA-256 of the CA certificates the log's chain holds above it, issuer first, as far
  // as they resolved (pin-sets that pin intermediates or roots are checked against them).
  std::vector<ctlog::Hash> chain_spki_sha256;
  std::string key_type;
  int key_bits = 0;
  std::string ec_curve;
  // What `der` holds: "certificate" (an x509 entry), "precertificate" (the precert as
  // submitted), "tbs" (a precert entry's TBSCertificate when the log gave no precert) or
  // "raw" (the bytes of an entry that did not parse). A final certificate replaces the others.
  std::string der_kind;
  std::vector<uint8_t> der;
};

// FindingRecord is what the policy concluded about one certificate and one watch entry (its
// severity is SeverityOf(kind)).
struct FindingRecord {
  FindingKind kind = FindingKind::kUnexpectedKey;
  std::string watched;  // the watch entry's name
  std::string reason;
  // Alerting says whether a new finding gets an alert outbox row (alerts.send_severities).
  Alerting alerting = Alerting::kNone;
};

}  // namespace pinwatch::db
