// Fuzzes ParsePinReport (pinreports/report.h): the body of a pin-failure report, which anyone
// can send. Invariants: never crashes; a refusal is kMalformed with a message; what it accepts
// keeps every bound report.h promises; ReportIdentity ignores pin order; and the report
// written back in pinwatch's plain form parses again to the same facts and the same identity.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/pem.h"
#include "base/pin.h"
#include "base/time.h"
#include "pinreports/report.h"

namespace {

using namespace pinwatch;
using namespace pinwatch::pinreports;

void Check(bool ok) {
  if (!ok) std::abort();
}

// JsonString quotes text that the parser accepted as plain text (no control characters).
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// JsonPem is a certificate as a JSON string of PEM, its newlines escaped.
std::string JsonPem(Bytes der) {
  std::string out = "\"";
  for (char c : EncodePem("CERTIFICATE", der)) out += c == '\n' ? std::string("\\n") : std::string(1, c);
  return out + "\"";
}

// AsPinwatchForm writes the report's facts in pinwatch's plain form.
std::string AsPinwatchForm(const PinReport& r) {
  std::string out = "{\"pinwatch-report\":1,\"hostname\":" + JsonString(r.hostname) +
                    ",\"port\":" + std::to_string(r.port) + ",\"noted-hostname\":" + JsonString(r.noted_hostname) +
                    ",\"include-subdomains\":" + (r.include_subdomains ? "true" : "false");
  if (r.happened_unix_s) out += ",\"date-time\":" + JsonString(FormatRfc3339(*r.happened_unix_s));
  out += ",\"peer-certificate-chain\":[";
  for (size_t i = 0; i < r.chain.size(); ++i) out += (i > 0 ? "," : "") + JsonPem(r.chain[i]);
  out += "],\"known-pins\":[";
  for (size_t i = 0; i < r.known_pins.size(); ++i) out += (i > 0 ? "," : "") + JsonString(PinText(r.known_pins[i]));
  out += "]";
  if (!r.app_id.empty()) out += ",\"app\":" + JsonString(r.app_id);
  if (!r.client_id.empty()) out += ",\"client-id\":" + JsonString(r.client_id);
  return out + "}";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  Result<PinReport> report = ParsePinReport(body);
  if (!report.ok()) {
    Check(report.status().code() == Code::kMalformed && !report.status().message().empty());
    return 0;
  }
  const PinReport& r = *report;
  Check(size <= kMaxReportBytes);
  Check(!r.hostname.empty() && !r.hostname.ends_with('.') && !r.noted_hostname.empty());
  Check(std::none_of(r.hostname.begin(), r.hostname.end(), [](char c) { return c >= 'A' && c <= 'Z'; }));
  Check(r.port >= 1);
  Check(!r.chain.empty() && r.chain.size() <= kMaxChainCertificates && r.served_chain.size() <= kMaxChainCertificates);
  Check(r.served_chain.empty() || r.served_chain != r.chain);
  Check(r.known_pins.size() <= kMaxKnownPins);
  for (size_t i = 0; i < r.known_pins.size(); ++i) {
    Check(std::find(r.known_pins.begin() + i + 1, r.known_pins.end(), r.known_pins[i]) == r.known_pins.end());
  }
  for (const std::string* text : {&r.app_id, &r.app_version, &r.app_platform, &r.app_platform_version,
                                  &r.library_version, &r.client_id}) {
    Check(text->size() <= kMaxTextBytes);
  }
  if (r.format == ReportFormat::kRfc7469) Check(r.app_id.empty() && r.client_id.empty() && !r.enforce_pinning);

  const Hash identity = ReportIdentity(r);
  PinReport reversed = r;
  std::reverse(reversed.known_pins.begin(), reversed.known_pins.end());
  Check(ReportIdentity(reversed) == identity);

  // Written back in pinwatch's form (when that fits the cap: PEM lines may grow it).
  const std::string again_body = AsPinwatchForm(r);
  if (again_body.size() > kMaxReportBytes) return 0;
  Result<PinReport> again = ParsePinReport(again_body);
  Check(again.ok());
  Check(again->format == ReportFormat::kPinwatch && again->hostname == r.hostname && again->port == r.port &&
        again->noted_hostname == r.noted_hostname && again->include_subdomains == r.include_subdomains &&
        again->happened_unix_s == r.happened_unix_s && again->chain == r.chain && again->known_pins == r.known_pins &&
        again->app_id == r.app_id && again->client_id == r.client_id);
  if (!r.validation_result) Check(ReportIdentity(*again) == identity);
  return 0;
}
