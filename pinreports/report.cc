#include "pinreports/report.h"

#include <rapidjson/document.h>
#include <rapidjson/encodedstream.h>
#include <rapidjson/encodings.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/reader.h>

#include <algorithm>
#include <array>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/pem.h"
#include "base/pin.h"
#include "base/time.h"
#include "x509/hostname.h"
#include "x509/identity.h"

namespace pinwatch::pinreports {
namespace {

using rapidjson::Value;

// kParseFlags: bytes after the root are an error (no kParseStopWhenDoneFlag); the body's
// bytes must be UTF-8 (RFC 8259 §8.1); iterative, so that a body of '[' cannot overflow the
// stack before DepthBound refuses it.
constexpr unsigned kParseFlags =
    rapidjson::kParseDefaultFlags | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

// kMaxNameInMessageBytes bounds an untrusted member name or value quoted in an error.
constexpr size_t kMaxNameInMessageBytes = 64;

// DepthBound forwards a SAX parse to a rapidjson::Document and stops it once objects and
// arrays are nested deeper than kMaxJsonDepth (the root object is depth 1).
struct DepthBound {
  rapidjson::Document& inner;
  int depth = 0;
  bool too_deep = false;

  bool Deeper() {
    if (++depth <= kMaxJsonDepth) return true;
    too_deep = true;
    return false;
  }
  bool Null() { return inner.Null(); }
  bool Bool(bool b) { return inner.Bool(b); }
  bool Int(int i) { return inner.Int(i); }
  bool Uint(unsigned u) { return inner.Uint(u); }
  bool Int64(int64_t i) { return inner.Int64(i); }
  bool Uint64(uint64_t u) { return inner.Uint64(u); }
  bool Double(double d) { return inner.Double(d); }
  bool RawNumber(const char* s, rapidjson::SizeType n, bool copy) { return inner.RawNumber(s, n, copy); }
  bool String(const char* s, rapidjson::SizeType n, bool copy) { return inner.String(s, n, copy); }
  bool Key(const char* s, rapidjson::SizeType n, bool copy) { return inner.Key(s, n, copy); }
  bool StartObject() { return Deeper() && inner.StartObject(); }
  bool EndObject(rapidjson::SizeType members) {
    --depth;
    return inner.EndObject(members);
  }
  bool StartArray() { return Deeper() && inner.StartArray(); }
  bool EndArray(rapidjson::SizeType elements) {
    --depth;
    return inner.EndArray(elements);
  }
};

std::string_view StringOf(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// Printable quotes untrusted text for an error message: printable ASCII as is, '"' and '\'
// escaped, every other byte as \xNN, cut at kMaxNameInMessageBytes input bytes.
std::string Printable(std::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char c : text.substr(0, kMaxNameInMessageBytes)) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte >= 0x20 && byte < 0x7f) {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(kHex[byte >> 4]);
      out.push_back(kHex[byte & 0xf]);
    }
  }
  out.push_back('"');
  if (text.size() > kMaxNameInMessageBytes) out += "...";
  return out;
}

Status MemberError(std::string_view member, std::string_view what) {
  return MalformedError(std::string(member) + ": " + std::string(what));
}

Status ElementError(std::string_view member, size_t index, std::string_view what) {
  return MalformedError(std::string(member) + "[" + std::to_string(index) + "]: " + std::string(what));
}

// IsPlainText: well-formed UTF-8 (RFC 3629, as RapidJSON's validator delimits it: no
// overlong forms, no surrogates) without C0 controls or DEL. The parser validates the
// body's bytes, but an escape can still decode to a NUL, a newline or a lone low surrogate
// ("\udc00"), none of which belongs in an app id that ends up in PostgreSQL and in alerts.
bool IsPlainText(std::string_view text) {
  struct Discard {
    void Put(char) {}
  } discard;
  // MemoryStream, unlike StringStream, never reads past the end of `text`.
  rapidjson::MemoryStream stream(text.data(), text.size());
  while (stream.Tell() < text.size()) {
    const auto byte = static_cast<unsigned char>(text[stream.Tell()]);
    if (byte < 0x20 || byte == 0x7f) return false;
    if (!rapidjson::UTF8<char>::Validate(stream, discard)) return false;
  }
  return true;
}

// Members holds the root object's members sorted by name, for lookup, having refused a
// name given twice (RapidJSON keeps both, and another reader of the same report could take
// the other one).
class Members {
 public:
  static Result<Members> Of(const Value& object) {
    Members m;
    m.sorted_.reserve(object.MemberCount());
    // Counted, not `it != MemberEnd()`: RapidJSON 1.1's iterator comparisons are ambiguous
    // in C++20 (an error in the clang fuzz build).
    auto it = object.MemberBegin();
    for (rapidjson::SizeType i = 0; i < object.MemberCount(); ++i, ++it) {
      m.sorted_.emplace_back(StringOf(it->name), &it->value);
    }
    std::stable_sort(m.sorted_.begin(), m.sorted_.end(),
                     [](const Entry& a, const Entry& b) { return a.first < b.first; });
    auto dup = std::adjacent_find(m.sorted_.begin(), m.sorted_.end(),
                                  [](const Entry& a, const Entry& b) { return a.first == b.first; });
    if (dup != m.sorted_.end()) return MalformedError(Printable(dup->first) + ": given twice");
    return m;
  }

  // Find returns the member's value, or nullptr if the report has none of that name.
  const Value* Find(std::string_view name) const {
    auto it = std::lower_bound(sorted_.begin(), sorted_.end(), name,
                               [](const Entry& e, std::string_view n) { return e.first < n; });
    return it != sorted_.end() && it->first == name ? it->second : nullptr;
  }

 private:
  using Entry = std::pair<std::string_view, const Value*>;
  std::vector<Entry> sorted_;
};

// ReadText reads an optional string member of at most kMaxTextBytes of plain text.
Result<std::optional<std::string_view>> ReadText(const Members& members, std::string_view name) {
  const Value* v = members.Find(name);
  if (v == nullptr) return std::optional<std::string_view>();
  if (!v->IsString()) return MemberError(name, "expected a string");
  const std::string_view text = StringOf(*v);
  if (text.size() > kMaxTextBytes) {
    return MemberError(name, std::to_string(text.size()) + " bytes, at most " + std::to_string(kMaxTextBytes));
  }
  if (!IsPlainText(text)) return MemberError(name, "not plain UTF-8 text (a control character or a lone surrogate)");
  return std::optional<std::string_view>(text);
}

// ReadFlag reads an optional true/false member.
Result<std::optional<bool>> ReadFlag(const Members& members, std::string_view name) {
  const Value* v = members.Find(name);
  if (v == nullptr) return std::optional<bool>();
  if (!v->IsBool()) return MemberError(name, "expected true or false");
  return std::optional<bool>(v->GetBool());
}

// NormalizeHost lower-cases `text`, drops one trailing dot and checks that what is left is
// a DNS hostname (x509::IsHostname, without its "*." wildcard, and no all-digit last label:
// no TLD is numeric, RFC 3696 §2) or an IPv4/IPv6 literal (IPv6 also in URL brackets, which
// are dropped). `name` is the member, for errors.
Result<std::string> NormalizeHost(std::string_view text, std::string_view name) {
  std::string host(text);
  std::transform(host.begin(), host.end(), host.begin(), x509::AsciiLowercase);
  if (host.ends_with('.')) host.pop_back();
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    std::string inner = host.substr(1, host.size() - 2);
    std::optional<x509::IpAddress> ip = x509::ParseIpAddressLiteral(inner);
    if (ip && ip->size == 16) return inner;
  }
  if (x509::ParseIpAddressLiteral(host)) return host;
  if (host.starts_with("*.")) return MemberError(name, Printable(text) + " is a wildcard, not a host");
  const std::string_view last_label = std::string_view(host).substr(host.rfind('.') + 1);
  const bool numeric_tld = !last_label.empty() && std::all_of(last_label.begin(), last_label.end(),
                                                              [](char c) { return c >= '0' && c <= '9'; });
  if (!x509::IsHostname(host) || numeric_tld) {
    return MemberError(name, Printable(text) + " is not a DNS hostname or an IP address");
  }
  return host;
}

// ReadHost reads an optional hostname member (NormalizeHost).
Result<std::optional<std::string>> ReadHost(const Members& members, std::string_view name) {
  Result<std::optional<std::string_view>> text = ReadText(members, name);
  if (!text.ok()) return text.status();
  if (!*text) return std::optional<std::string>();
  Result<std::string> host = NormalizeHost(**text, name);
  if (!host.ok()) return host.status();
  return std::optional<std::string>(std::move(*host));
}

// ReadChain reads an optional array of PEM strings, each exactly one CERTIFICATE block
// (RFC 7468 §5.1), as DER in the order sent. Text around the block is ignored (DecodePemBlocks).
Result<std::optional<std::vector<std::vector<uint8_t>>>> ReadChain(const Members& members, std::string_view name) {
  using Chain = std::vector<std::vector<uint8_t>>;
  const Value* v = members.Find(name);
  if (v == nullptr) return std::optional<Chain>();
  if (!v->IsArray()) return MemberError(name, "expected an array of PEM strings");
  if (v->Size() > kMaxChainCertificates) {
    return MemberError(name, std::to_string(v->Size()) + " certificates, at most " +
                                 std::to_string(kMaxChainCertificates));
  }
  Chain chain;
  chain.reserve(v->Size());
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const Value& pem = (*v)[i];
    if (!pem.IsString()) return ElementError(name, i, "expected a PEM string");
    Result<std::vector<PemBlock>> blocks = DecodePemBlocks(StringOf(pem));
    if (!blocks.ok()) return ElementError(name, i, blocks.status().message());
    if (blocks->size() != 1) {
      return ElementError(name, i, "expected one PEM CERTIFICATE block, found " + std::to_string(blocks->size()));
    }
    PemBlock& block = blocks->front();
    if (block.label != "CERTIFICATE") {
      return ElementError(name, i, "expected a PEM CERTIFICATE block, found " + Printable(block.label));
    }
    chain.push_back(std::move(block.der));
  }
  return std::optional<Chain>(std::move(chain));
}

// PinForms says which spellings of a pin a format uses.
enum class PinForms {
  kDirectiveOnly,          // TrustKit, RFC 7469: pin-sha256="BASE64"
  kDirectiveOrSha256Text,  // pinwatch: also "sha256/BASE64"
};

// ParseDirectivePin reads RFC 7469 §2.1's `directive-name "=" quoted-string` for the one
// defined name, pin-sha256 (directive names are case-insensitive), with a base64 value of
// a 32-byte digest; nullopt otherwise. No escapes: base64 needs none.
std::optional<Hash> ParseDirectivePin(std::string_view text) {
  constexpr std::string_view kName = "pin-sha256=\"";
  if (text.size() < kName.size() + 1 || text.back() != '"') return std::nullopt;
  for (size_t i = 0; i < kName.size(); ++i) {
    if (x509::AsciiLowercase(text[i]) != kName[i]) return std::nullopt;
  }
  const std::string_view base64 = text.substr(kName.size(), text.size() - kName.size() - 1);
  return ParsePin(std::string(kPinPrefix) + std::string(base64));
}

// ReadPins reads the optional known-pins array: at most kMaxKnownPins strings, each a pin in
// one of `forms`, kept in order with repeats dropped.
Result<std::vector<Hash>> ReadPins(const Members& members, PinForms forms) {
  constexpr std::string_view kName = "known-pins";
  const std::string_view want = forms == PinForms::kDirectiveOnly
                                    ? "expected pin-sha256=\"BASE64\" of a 32-byte digest"
                                    : "expected \"sha256/BASE64\" or pin-sha256=\"BASE64\" of a 32-byte digest";
  const Value* v = members.Find(kName);
  if (v == nullptr) return std::vector<Hash>();
  if (!v->IsArray()) return MemberError(kName, "expected an array of strings");
  if (v->Size() > kMaxKnownPins) {
    return MemberError(kName, std::to_string(v->Size()) + " pins, at most " + std::to_string(kMaxKnownPins));
  }
  std::vector<Hash> pins;
  for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
    const Value& text = (*v)[i];
    if (!text.IsString()) return ElementError(kName, i, want);
    std::optional<Hash> pin = ParseDirectivePin(StringOf(text));
    if (!pin && forms == PinForms::kDirectiveOrSha256Text) pin = ParsePin(StringOf(text));
    if (!pin) return ElementError(kName, i, want);
    if (std::find(pins.begin(), pins.end(), *pin) == pins.end()) pins.push_back(*pin);
  }
  return pins;
}

// ParseBody checks the size, parses the JSON within the depth bound and returns its root
// object's members. `doc` owns what the members point into.
Result<Members> ParseBody(std::string_view body, rapidjson::Document& doc) {
  if (body.size() > kMaxReportBytes) {
    return MalformedError("report: " + std::to_string(body.size()) + " bytes, at most " +
                          std::to_string(kMaxReportBytes));
  }
  // RapidJSON takes a NUL as the end of input even with an explicit length, which would hide
  // what follows it; JSON text never holds one raw.
  if (size_t nul = body.find('\0'); nul != std::string_view::npos) {
    return MalformedError("report: invalid JSON: NUL byte at byte offset " + std::to_string(nul));
  }
  rapidjson::MemoryStream memory(body.data(), body.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> stream(memory);
  rapidjson::Reader reader;
  bool too_deep = false;
  auto generate = [&](rapidjson::Document& handler) {
    DepthBound bounded{.inner = handler};
    reader.Parse<kParseFlags>(stream, bounded);
    too_deep = bounded.too_deep;
    return !reader.HasParseError();
  };
  doc.Populate(generate);
  if (too_deep) {
    return MalformedError("report: nested deeper than " + std::to_string(kMaxJsonDepth) + " levels (at byte offset " +
                          std::to_string(reader.GetErrorOffset()) + ")");
  }
  if (reader.HasParseError()) {
    return MalformedError(std::string("report: invalid JSON: ") + rapidjson::GetParseError_En(reader.GetParseErrorCode()) +
                          " at byte offset " + std::to_string(reader.GetErrorOffset()));
  }
  if (!doc.IsObject()) return MalformedError("report: not a JSON object");
  return Members::Of(doc);
}

// The members only TrustKit sends; any one of them makes a report TrustKit's.
constexpr std::array<std::string_view, 9> kTrustKitOnly = {
    "app-bundle-id",    "app-version",      "app-vendor-id",       "app-platform", "app-platform-version",
    "trustkit-version", "enforce-pinning", "validation-result", "known-pins-expiration-date",
};

// FormatOf tells the three forms apart by their members (report.h).
std::optional<ReportFormat> FormatOf(const Members& members) {
  if (members.Find("pinwatch-report") != nullptr) return ReportFormat::kPinwatch;
  for (std::string_view name : kTrustKitOnly) {
    if (members.Find(name) != nullptr) return ReportFormat::kTrustKit;
  }
  if (members.Find("served-certificate-chain") != nullptr || members.Find("effective-expiration-date") != nullptr) {
    return ReportFormat::kRfc7469;
  }
  if (members.Find("validated-certificate-chain") != nullptr) return ReportFormat::kTrustKit;
  return std::nullopt;
}

// A text member and where it goes; nullptr: checked, not kept.
struct TextMember {
  std::string_view name;
  std::string PinReport::*field;
};
constexpr TextMember kTrustKitText[] = {
    {"app-bundle-id", &PinReport::app_id},
    {"app-version", &PinReport::app_version},
    {"app-vendor-id", &PinReport::client_id},
    {"app-platform", &PinReport::app_platform},
    {"app-platform-version", &PinReport::app_platform_version},
    {"trustkit-version", &PinReport::library_version},
    {"known-pins-expiration-date", nullptr},  // TrustKit's "YYYY-MM-DD"; not used yet
};
constexpr TextMember kRfc7469Text[] = {
    {"effective-expiration-date", nullptr},  // RFC 7469 §3; not used yet
};
constexpr TextMember kPinwatchText[] = {
    {"app", &PinReport::app_id},
    {"client-id", &PinReport::client_id},
};

Status ReadTexts(const Members& members, std::span<const TextMember> texts, PinReport& report) {
  for (const TextMember& t : texts) {
    Result<std::optional<std::string_view>> text = ReadText(members, t.name);
    if (!text.ok()) return text.status();
    if (*text && t.field != nullptr) report.*t.field = std::string(**text);
  }
  return OkStatus();
}

// ReadChains sets report.chain and report.served_chain from the format's chain members.
Status ReadChains(const Members& members, PinReport& report) {
  using Chain = std::vector<std::vector<uint8_t>>;
  if (report.format == ReportFormat::kPinwatch) {
    constexpr std::string_view kPeer = "peer-certificate-chain";
    Result<std::optional<Chain>> peer = ReadChain(members, kPeer);
    if (!peer.ok()) return peer.status();
    if (!*peer || (*peer)->empty()) return MemberError(kPeer, "missing or empty");
    report.chain = std::move(**peer);
    return OkStatus();
  }
  Result<std::optional<Chain>> validated = ReadChain(members, "validated-certificate-chain");
  if (!validated.ok()) return validated.status();
  Result<std::optional<Chain>> served = ReadChain(members, "served-certificate-chain");
  if (!served.ok()) return served.status();
  if (*validated && !(*validated)->empty()) {
    report.chain = std::move(**validated);
    if (*served && !(*served)->empty() && **served != report.chain) report.served_chain = std::move(**served);
  } else if (*served && !(*served)->empty()) {
    report.chain = std::move(**served);
  } else if (report.format == ReportFormat::kTrustKit) {
    return MemberError("validated-certificate-chain", "missing or empty (and no served-certificate-chain)");
  } else {
    return MemberError("served-certificate-chain", "missing or empty (and no validated-certificate-chain)");
  }
  return OkStatus();
}

// The instants RFC 3339 can write in UTC: years 0000-9999 (date-fullyear = 4DIGIT). An offset
// can carry a time written at either end outside them, and such a time is not real.
constexpr int64_t kFirstRfc3339UnixS = -62167219200;  // 0000-01-01T00:00:00Z
constexpr int64_t kLastRfc3339UnixS = 253402300799;   // 9999-12-31T23:59:59Z

// UnixSecondsFloor: milliseconds to whole seconds, rounding towards the past.
int64_t UnixSecondsFloor(int64_t ms) { return ms / 1000 - (ms % 1000 < 0 ? 1 : 0); }

// WriteU64 feeds a big-endian 64-bit integer to `h`.
void WriteU64(Sha256& h, uint64_t v) {
  std::array<uint8_t, 8> bytes;
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
  h.Update(bytes);
}

// WriteField feeds `bytes` with its length in front, so that fields cannot run into each other.
void WriteField(Sha256& h, Bytes bytes) {
  WriteU64(h, bytes.size());
  h.Update(bytes);
}

Bytes BytesOf(std::string_view s) { return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size()); }

}  // namespace

std::string_view ReportFormatName(ReportFormat format) {
  switch (format) {
    case ReportFormat::kTrustKit: return "trustkit";
    case ReportFormat::kRfc7469: return "rfc7469";
    case ReportFormat::kPinwatch: return "pinwatch";
  }
  return "unknown";
}

Result<PinReport> ParsePinReport(std::string_view body) {
  rapidjson::Document doc;
  Result<Members> members = ParseBody(body, doc);
  if (!members.ok()) return members.status();

  std::optional<ReportFormat> format = FormatOf(*members);
  if (!format) {
    return MalformedError(
        "report: no certificate chain (validated-certificate-chain, served-certificate-chain, or "
        "\"pinwatch-report\": 1 with peer-certificate-chain)");
  }
  PinReport report;
  report.format = *format;

  // "pinwatch-report": 1 (the version of pinwatch's form)
  if (report.format == ReportFormat::kPinwatch) {
    const Value* version = members->Find("pinwatch-report");
    if (!version->IsInt64() || version->GetInt64() != 1) return MemberError("pinwatch-report", "expected 1");
  }

  // "hostname": the host the app connected to (required)
  Result<std::optional<std::string>> hostname = ReadHost(*members, "hostname");
  if (!hostname.ok()) return hostname.status();
  if (!*hostname) return MemberError("hostname", "missing");
  report.hostname = std::move(**hostname);

  // "port": 1-65535 (absent: 443)
  if (const Value* port = members->Find("port"); port != nullptr) {
    if (!port->IsInt64() || port->GetInt64() < 1 || port->GetInt64() > 65535) {
      return MemberError("port", "expected an integer 1-65535");
    }
    report.port = static_cast<uint16_t>(port->GetInt64());
  }

  // "noted-hostname": the pinned domain (absent: the hostname)
  Result<std::optional<std::string>> noted = ReadHost(*members, "noted-hostname");
  if (!noted.ok()) return noted.status();
  report.noted_hostname = *noted ? std::move(**noted) : report.hostname;

  // "include-subdomains": true | false
  Result<std::optional<bool>> include_subdomains = ReadFlag(*members, "include-subdomains");
  if (!include_subdomains.ok()) return include_subdomains.status();
  report.include_subdomains = include_subdomains->value_or(false);

  // "date-time": RFC 3339, any fraction, "Z" or an offset
  Result<std::optional<std::string_view>> date_time = ReadText(*members, "date-time");
  if (!date_time.ok()) return date_time.status();
  if (*date_time) {
    std::optional<int64_t> ms = ParseRfc3339Ms(**date_time);
    if (ms && (UnixSecondsFloor(*ms) < kFirstRfc3339UnixS || UnixSecondsFloor(*ms) > kLastRfc3339UnixS)) {
      return MemberError("date-time", Printable(**date_time) + " is outside years 0000-9999 in UTC");
    }
    if (!ms) {
      return MemberError("date-time", "expected an RFC 3339 date-time such as \"2026-12-05T10:11:12Z\" (a fraction "
                                      "and a +hh:mm offset allowed), not " + Printable(**date_time));
    }
    report.happened_unix_s = UnixSecondsFloor(*ms);
  }

  if (Status s = ReadChains(*members, report); !s.ok()) return s;

  Result<std::vector<Hash>> pins = ReadPins(
      *members, report.format == ReportFormat::kPinwatch ? PinForms::kDirectiveOrSha256Text : PinForms::kDirectiveOnly);
  if (!pins.ok()) return pins.status();
  report.known_pins = std::move(*pins);

  switch (report.format) {
    case ReportFormat::kTrustKit: {
      if (Status s = ReadTexts(*members, kTrustKitText, report); !s.ok()) return s;
      Result<std::optional<bool>> enforce = ReadFlag(*members, "enforce-pinning");
      if (!enforce.ok()) return enforce.status();
      report.enforce_pinning = *enforce;
      // "validation-result": TrustKit's TSKTrustEvaluationResult, kept as sent
      if (const Value* result = members->Find("validation-result"); result != nullptr) {
        if (!result->IsInt64()) return MemberError("validation-result", "expected an integer");
        report.validation_result = result->GetInt64();
      }
      break;
    }
    case ReportFormat::kRfc7469:
      if (Status s = ReadTexts(*members, kRfc7469Text, report); !s.ok()) return s;
      break;
    case ReportFormat::kPinwatch:
      if (Status s = ReadTexts(*members, kPinwatchText, report); !s.ok()) return s;
      break;
  }
  return report;
}

Hash ReportIdentity(const PinReport& report) {
  // The label keeps this digest apart from every other SHA-256 pinwatch stores; a change
  // to what goes in needs a new label.
  constexpr std::string_view kLabel = "pinwatch pin-report identity v1";
  Sha256 h;
  WriteField(h, BytesOf(kLabel));
  WriteField(h, BytesOf(report.noted_hostname));
  WriteField(h, BytesOf(report.hostname));
  WriteU64(h, report.port);
  WriteU64(h, report.chain.size());
  for (const std::vector<uint8_t>& der : report.chain) WriteField(h, der);
  std::vector<Hash> pins = report.known_pins;
  std::sort(pins.begin(), pins.end());
  pins.erase(std::unique(pins.begin(), pins.end()), pins.end());
  WriteU64(h, pins.size());
  for (const Hash& pin : pins) h.Update(pin);
  h.Update(static_cast<uint8_t>(report.validation_result ? 1 : 0));
  if (report.validation_result) WriteU64(h, static_cast<uint64_t>(*report.validation_result));
  return h.Final();
}

}  // namespace pinwatch::pinreports
