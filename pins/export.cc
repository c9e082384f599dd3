#include "pins/export.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>

#include "base/pin.h"
#include "base/time.h"

namespace pinwatch::pins {
namespace {

struct NamedFormat {
  ExportFormat format;
  std::string_view name;
};

constexpr std::array<NamedFormat, 6> kFormats = {{
    {ExportFormat::kJson, "json"},
    {ExportFormat::kAndroidNsc, "android-nsc"},
    {ExportFormat::kOkHttp, "okhttp"},
    {ExportFormat::kTrustKit, "trustkit"},
    {ExportFormat::kIosAts, "ios-ats"},
    {ExportFormat::kApproov, "approov"},
}};

// ---- Text: every export is UTF-8, and no byte of a name may break its syntax ----

constexpr char32_t kReplacementCharacter = 0xFFFD;

// ReadCodePoint consumes one UTF-8 sequence from the front of non-empty `in` (RFC 3629 §4:
// no overlong forms, surrogates or values past U+10FFFF). A byte that does not start a
// well-formed sequence is consumed alone and read as U+FFFD, so no export carries bytes its
// parser would refuse the whole file for.
char32_t ReadCodePoint(std::string_view& in) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(in[i]); };
  const uint8_t lead = byte(0);
  size_t length = 1;
  char32_t code_point = lead;
  uint8_t second_min = 0x80, second_max = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {  // UTF8-2 = %xC2-DF UTF8-tail
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {  // UTF8-3 = %xE0 %xA0-BF tail / ... / %xED %x80-9F tail
    length = 3;
    code_point = lead & 0x0F;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {  // UTF8-4 = %xF0 %x90-BF 2tail / ... / %xF4 %x80-8F 2tail
    length = 4;
    code_point = lead & 0x07;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else if (lead >= 0x80) {  // a tail byte, C0, C1 or F5-FF: never a lead
    in.remove_prefix(1);
    return kReplacementCharacter;
  }
  if (length > in.size()) {
    in.remove_prefix(1);
    return kReplacementCharacter;
  }
  for (size_t i = 1; i < length; ++i) {
    const uint8_t min = i == 1 ? second_min : 0x80, max = i == 1 ? second_max : 0xBF;
    if (byte(i) < min || byte(i) > max) {
      in.remove_prefix(1);
      return kReplacementCharacter;
    }
    code_point = (code_point << 6) | (byte(i) & 0x3F);
  }
  in.remove_prefix(length);
  return code_point;
}

void AppendUtf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (c >> 18));
    out += static_cast<char>(0x80 | ((c >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// WellFormedUtf8 is `in` with every ill-formed byte replaced by U+FFFD.
std::string WellFormedUtf8(std::string_view in) {
  std::string out;
  while (!in.empty()) AppendUtf8(out, ReadCodePoint(in));
  return out;
}

// IsXmlChar is XML 1.0 §2.2's Char: what a document may contain at all, even as a reference.
bool IsXmlChar(char32_t c) {
  return c == 0x9 || c == 0xA || c == 0xD || (c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
         c >= 0x10000;
}

// XmlText escapes `in` for element content and attribute values in either quote. Tab, LF
// and CR become references, which attribute-value normalisation (XML 1.0 §3.3.3) keeps;
// characters XML cannot carry become U+FFFD.
std::string XmlText(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    const char32_t c = ReadCodePoint(in);
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      case '\t': out += "&#9;"; break;
      case '\n': out += "&#10;"; break;
      case '\r': out += "&#13;"; break;
      default: AppendUtf8(out, IsXmlChar(c) ? c : kReplacementCharacter);
    }
  }
  return out;
}

// XmlCommentText makes `in` safe inside <!-- -->, where references are not expanded: one
// line (controls become U+FFFD) and never "--" (XML 1.0 §2.5), which becomes "- -". The
// caller's text must not end in '-', which would meet the closing "-->" (Provenance ends
// in a word).
std::string XmlCommentText(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    const char32_t c = ReadCodePoint(in);
    if (c == '-' && !out.empty() && out.back() == '-') out += ' ';
    AppendUtf8(out, IsXmlChar(c) && c >= 0x20 ? c : kReplacementCharacter);
  }
  return out;
}

// KotlinString escapes `in` for a "..." literal (Kotlin grammar: EscapedIdentifier,
// UniCharacterLiteral): '\', '"' and '$' (which would start a template) are escaped, and
// control characters are written as escapes, so the literal stays on its line.
std::string KotlinString(std::string_view in) {
  std::string out;
  while (!in.empty()) {
    const char32_t c = ReadCodePoint(in);
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '$': out += "\\$"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      default:
        if (c < 0x20 || c == 0x7F) {
          char escaped[8];
          std::snprintf(escaped, sizeof escaped, "\\u%04X", static_cast<unsigned>(c));
          out += escaped;
        } else {
          AppendUtf8(out, c);
        }
    }
  }
  return out;
}

// ---- Facts every format takes from the document ----

// DateOf is the UTC calendar date "yyyy-MM-dd" of `unix_s`: the expiry form of Android's
// <pin-set expiration> and TrustKit's kTSKExpirationDate. Android reads it as the start of
// that day in the device's time zone (XmlConfigSource: SimpleDateFormat("yyyy-MM-dd")), so
// pins stop at the start of the date `expires` falls on, give or take the device's UTC
// offset: earlier than `expires`, or at most that offset later.
std::string DateOf(int64_t unix_s) {
  const CivilTime t = CivilTimeOf(unix_s);
  char date[32];
  std::snprintf(date, sizeof date, "%04lld-%02d-%02d", static_cast<long long>(t.year), t.month, t.day);
  return date;
}

// Base64Of is the pin without its "sha256/" prefix: the form every app format wants.
std::string_view Base64Of(std::string_view pin) {
  if (pin.starts_with(kPinPrefix)) pin.remove_prefix(kPinPrefix.size());
  return pin;
}

// SortedUnique: exports list names and pins in the canonical document's order, once each.
std::vector<std::string> SortedUnique(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

std::string_view TrueOrFalse(bool value) { return value ? "true" : "false"; }

// Provenance is what the comment at the top of each file says, for the person who finds
// it in an app's sources; `name_text` is the name as the format can carry it, and the
// caller makes the whole line safe for its kind of comment.
std::string Provenance(const PinsetDocument& doc, std::string_view name_text) {
  return "pinwatch pin-set \"" + std::string(name_text) + "\" version " + std::to_string(doc.version) +
         ", expires " + FormatRfc3339(doc.expires_unix_s) + "; generated: change the pin-set, not this file";
}

// ---- The formats ----

std::string AndroidNsc(const PinsetDocument& doc) {
  std::string out = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";
  out += "<!-- " + XmlCommentText(Provenance(doc, doc.name)) + " -->\n";
  out += "<network-security-config>\n  <domain-config>\n";
  for (const std::string& name : SortedUnique(doc.names)) {
    out += "    <domain includeSubdomains=\"" + std::string(TrueOrFalse(doc.include_subdomains)) + "\">" +
           XmlText(name) + "</domain>\n";
  }
  out += "    <pin-set expiration=\"" + DateOf(doc.expires_unix_s) + "\">\n";
  for (const std::string& pin : SortedUnique(doc.pins)) {
    out += "      <pin digest=\"SHA-256\">" + XmlText(Base64Of(pin)) + "</pin>\n";
  }
  out += "    </pin-set>\n  </domain-config>\n</network-security-config>\n";
  return out;
}

std::string OkHttp(const PinsetDocument& doc) {
  // OkHttp's "**." matches any number of labels, none included: the name and all below it.
  const std::string host_prefix = doc.include_subdomains ? "**." : "";
  std::string out = "// " + Provenance(doc, KotlinString(doc.name)) + "\n";
  out += "val certificatePinner = CertificatePinner.Builder()\n";
  const std::vector<std::string> pins = SortedUnique(doc.pins);
  for (const std::string& name : SortedUnique(doc.names)) {
    for (const std::string& pin : pins) {
      out += "    .add(\"" + KotlinString(host_prefix + name) + "\", \"" + KotlinString(pin) + "\")\n";
    }
  }
  out += "    .build()\n";
  return out;
}

// Plist writes an XML property list (Apple's PropertyList-1.0 DTD), tab-indented like
// Xcode's own.
class Plist {
 public:
  explicit Plist(std::string_view comment) {
    out_ = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
           "<!DOCTYPE plist PUBLIC \"-//Apple//DTD PLIST 1.0//EN\" "
           "\"http://www.apple.com/DTDs/PropertyList-1.0.dtd\">\n"
           "<!-- " + XmlCommentText(comment) + " -->\n"
           "<plist version=\"1.0\">\n";
  }
  Plist& Key(std::string_view key) { return Line("<key>" + XmlText(key) + "</key>"); }
  Plist& String(std::string_view value) { return Line("<string>" + XmlText(value) + "</string>"); }
  Plist& Bool(bool value) { return Line(value ? "<true/>" : "<false/>"); }
  Plist& Open(std::string_view tag) {
    Line("<" + std::string(tag) + ">");
    ++depth_;
    return *this;
  }
  Plist& Close(std::string_view tag) {
    --depth_;
    return Line("</" + std::string(tag) + ">");
  }
  std::string Finish() { return out_ + "</plist>\n"; }

 private:
  Plist& Line(const std::string& text) {
    out_.append(depth_, '\t');
    out_ += text + "\n";
    return *this;
  }
  std::string out_;
  size_t depth_ = 0;
};

std::string TrustKit(const PinsetDocument& doc) {
  // The keys are the strings behind TrustKit's constants (TSKTrustKitConfig.m:
  // kTSKPinnedDomains = @"TSKPinnedDomains", ...): a plist holds strings, not symbols.
  // The root is the configuration dictionary itself: put it under Info.plist's
  // TSKConfiguration key, or load it and pass it to initSharedInstanceWithConfiguration:.
  // TrustKit refuses fewer than two hashes; the pin-set's min_pins check comes first.
  Plist plist(Provenance(doc, doc.name));
  plist.Open("dict").Key("TSKSwizzleNetworkDelegates").Bool(false).Key("TSKPinnedDomains").Open("dict");
  const std::vector<std::string> pins = SortedUnique(doc.pins);
  for (const std::string& name : SortedUnique(doc.names)) {
    plist.Key(name).Open("dict").Key("TSKPublicKeyHashes").Open("array");
    for (const std::string& pin : pins) plist.String(Base64Of(pin));
    plist.Close("array")
        .Key("TSKIncludeSubdomains")
        .Bool(doc.include_subdomains)
        .Key("TSKEnforcePinning")
        .Bool(true)
        .Key("TSKExpirationDate")
        .String(DateOf(doc.expires_unix_s))
        .Close("dict");
  }
  plist.Close("dict").Close("dict");
  return plist.Finish();
}

std::string IosAts(const PinsetDocument& doc, const std::vector<std::string>& ca_pins) {
  // When a domain has both NSPinnedCAIdentities and NSPinnedLeafIdentities, ATS requires a
  // match in each ("If you specify both, App Transport Security (ATS) requires a match in
  // each category", Apple: NSPinnedDomains), while the pin-set passes a chain that matches
  // any one pin. So one category only: the CA pins if the set has any (they survive leaf
  // renewals), else the leaf pins. A chain that matches only a leaf pin of a set with CA
  // pins is then refused on iOS; listing both would refuse far more.
  std::vector<std::string> chosen;
  for (const std::string& pin : SortedUnique(doc.pins)) {
    if (std::find(ca_pins.begin(), ca_pins.end(), pin) != ca_pins.end()) chosen.push_back(pin);
  }
  const bool pin_cas = !chosen.empty();
  if (!pin_cas) chosen = SortedUnique(doc.pins);

  Plist plist(Provenance(doc, doc.name));
  plist.Open("dict").Key("NSAppTransportSecurity").Open("dict").Key("NSPinnedDomains").Open("dict");
  for (const std::string& name : SortedUnique(doc.names)) {
    plist.Key(name).Open("dict").Key("NSIncludesSubdomains").Bool(doc.include_subdomains);
    plist.Key(pin_cas ? "NSPinnedCAIdentities" : "NSPinnedLeafIdentities").Open("array");
    for (const std::string& pin : chosen) {
      plist.Open("dict").Key("SPKI-SHA256-BASE64").String(Base64Of(pin)).Close("dict");
    }
    plist.Close("array").Close("dict");
  }
  plist.Close("dict").Close("dict").Close("dict");
  return plist.Finish();
}

std::string Approov(const PinsetDocument& doc) {
  using Writer = rapidjson::Writer<rapidjson::StringBuffer>;
  const auto write_string = [](Writer& w, std::string_view s) {
    const std::string text = WellFormedUtf8(s);
    w.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
  };
  const std::vector<std::string> pins = SortedUnique(doc.pins);
  const auto write_host = [&](Writer& w, std::string_view host) {
    write_string(w, host);
    w.StartArray();
    for (const std::string& pin : pins) write_string(w, Base64Of(pin));
    w.EndArray();
  };
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  for (const std::string& name : SortedUnique(doc.names)) {
    write_host(w, name);
    if (doc.include_subdomains) write_host(w, "*." + name);
  }
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

}  // namespace

std::optional<ExportFormat> ExportFormatFromName(std::string_view name) {
  for (const NamedFormat& f : kFormats) {
    if (f.name == name) return f.format;
  }
  return std::nullopt;
}

std::string_view ExportFormatName(ExportFormat format) {
  for (const NamedFormat& f : kFormats) {
    if (f.format == format) return f.name;
  }
  return "unknown";
}

std::string ExportFormatNames() {
  std::string out;
  for (const NamedFormat& f : kFormats) out += (out.empty() ? "" : ", ") + std::string(f.name);
  return out;
}

std::string Export(const PinsetDocument& doc, const std::vector<std::string>& ca_pins, ExportFormat format) {
  switch (format) {
    case ExportFormat::kJson: return CanonicalJson(doc) + "\n";
    case ExportFormat::kAndroidNsc: return AndroidNsc(doc);
    case ExportFormat::kOkHttp: return OkHttp(doc);
    case ExportFormat::kTrustKit: return TrustKit(doc);
    case ExportFormat::kIosAts: return IosAts(doc, ca_pins);
    case ExportFormat::kApproov: return Approov(doc);
  }
  return {};  // not reached: every ExportFormat is handled above (-Wswitch)
}

}  // namespace pinwatch::pins
