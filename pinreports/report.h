// Pin-failure reports as apps send them (issue 20): TrustKit's JSON, RFC 7469 §3's, and
// pinwatch's own plain form for apps without a reporting library (Android, OkHttp). One
// parser over the untrusted body, bounded in every dimension: apps cannot keep secrets, so
// the endpoint that receives these needs no token and anyone can send anything.
//
// The three forms, told apart by their members:
//   TrustKit    "validated-certificate-chain", plus app-bundle-id, app-version,
//               app-vendor-id, app-platform, app-platform-version, trustkit-version,
//               enforce-pinning, validation-result, known-pins-expiration-date
//   RFC 7469    "served-certificate-chain" (and validated-certificate-chain,
//               effective-expiration-date); no app-* members
//   pinwatch    "pinwatch-report": 1, "peer-certificate-chain" (PEM strings, leaf first),
//               "known-pins" as "sha256/BASE64" strings; optional "app" (free text: id and
//               version), "client-id" (a per-install random id, like TrustKit's vendor id)
// Shared members: hostname, port, noted-hostname, include-subdomains, date-time,
// known-pins (TrustKit/RFC 7469 write each as pin-sha256="BASE64"; pinwatch's form also
// accepts that).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/sha256.h"

namespace pinwatch::pinreports {

// Bounds of one report. A real report is a few KiB: a chain of 2-4 certificates.
inline constexpr size_t kMaxReportBytes = 64 * 1024;
// Objects and arrays open at once, the root object counting 1. A report needs 2 (the object,
// a chain or pin array); 2 more leave room for members the formats may add.
inline constexpr int kMaxJsonDepth = 4;
inline constexpr size_t kMaxChainCertificates = 10;
inline constexpr size_t kMaxKnownPins = 32;
inline constexpr size_t kMaxTextBytes = 256;      // hostname, app ids, date-time...

enum class ReportFormat { kTrustKit, kRfc7469, kPinwatch };
// ReportFormatName: "trustkit", "rfc7469", "pinwatch".
std::string_view ReportFormatName(ReportFormat format);

// PinReport is one parsed report. Strings are copies, DER is decoded from the PEM.
struct PinReport {
  ReportFormat format = ReportFormat::kTrustKit;
  std::string hostname;        // lower-cased, no trailing dot; required
  uint16_t port = 443;         // absent: 443
  std::string noted_hostname;  // the pinned domain the hostname fell under; absent: hostname
  bool include_subdomains = false;
  std::optional<bool> enforce_pinning;  // TrustKit
  // TrustKit's validation-result (0 success ... 5, kept as sent); nullopt when absent.
  std::optional<int64_t> validation_result;
  // When the failure happened: date-time (RFC 3339 / ISO 8601 as TrustKit writes it, with
  // fractional seconds and a Z or an offset), as Unix seconds; nullopt when absent.
  std::optional<int64_t> happened_unix_s;
  // The chain the app saw, leaf first, as DER: validated-certificate-chain when present and
  // non-empty, else served-certificate-chain, else peer-certificate-chain. Never empty.
  std::vector<std::vector<uint8_t>> chain;
  // served-certificate-chain when it was sent and differs from `chain` (RFC 7469).
  std::vector<std::vector<uint8_t>> served_chain;
  std::vector<Hash> known_pins;  // SHA-256 SPKI digests, in the order sent, duplicates dropped
  // The app: app-bundle-id, app-version, app-platform, app-platform-version,
  // trustkit-version (TrustKit), or "app" (pinwatch). Empty when absent.
  std::string app_id, app_version, app_platform, app_platform_version, library_version;
  // A per-install id when the report carries one: TrustKit's app-vendor-id, pinwatch's
  // client-id. Empty when absent (then the sender's address stands for the client).
  std::string client_id;
};

// ParsePinReport parses one report body (a JSON object, UTF-8). kMalformed, naming the member
// and what is wrong, for: a body over kMaxReportBytes; not JSON, or not an object; nesting
// deeper than kMaxJsonDepth; a member twice; a known member of the wrong type; no hostname, or
// one that is not a hostname (x509::IsHostname rules, wildcard not allowed, last label not
// all digits) or an IP literal (IPv6 also in URL brackets); the same for noted-hostname; a
// port outside 1-65535; no chain, or more than kMaxChainCertificates certificates, or a
// chain string that is not exactly one PEM CERTIFICATE block; more than kMaxKnownPins pins or
// a pin that is not pin-sha256="BASE64" (or sha256/BASE64 in pinwatch's form) of 32 bytes;
// a string over kMaxTextBytes (the PEM strings excepted: they are bounded by the body), or
// one that is not plain UTF-8 text (a control character, a lone surrogate escape); a
// date-time that does not parse or lies outside years 0000-9999 in UTC. The form is
// pinwatch's if "pinwatch-report" is present, else TrustKit's if any TrustKit-only member is,
// else RFC 7469's if served-certificate-chain or effective-expiration-date is, else
// TrustKit's if validated-certificate-chain is; each form reads only its own members. Unknown members are ignored (the formats grow), but a name
// given twice is refused whatever it is. Certificate DER is not parsed here (x509 does that
// when explaining). Thread-safe; pure.
Result<PinReport> ParsePinReport(std::string_view body);

// ReportIdentity is TrustKit's duplicate rule as a digest: SHA-256 over a version label,
// noted-hostname, hostname, port, the chain's DER, the known pins (sorted, repeats dropped)
// and validation-result (absent differs from 0), each length-prefixed so that no two
// different reports share an encoding. Not in it: served_chain, date-time, include-subdomains,
// the app and client fields. Two reports with the same identity from the same client within
// 24 h are one report sent twice. Thread-safe; pure.
Hash ReportIdentity(const PinReport& report);

}  // namespace pinwatch::pinreports
