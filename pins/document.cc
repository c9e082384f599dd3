#include "pins/document.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <array>
#include <optional>

#include "base/pin.h"
#include "base/time.h"

namespace pinwatch::pins {
namespace {

using rapidjson::Value;

// kParseFlags: bytes after the root are an error (no kParseStopWhenDoneFlag); strings must
// be valid UTF-8, since the document promises UTF-8 and apps decode it as such; iterative,
// so a capped file of '[' cannot overflow the stack.
constexpr unsigned kParseFlags =
    rapidjson::kParseDefaultFlags | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag;

// The document's fields in byte order: the order CanonicalJson writes them, and the order
// ParsePinsetDocument reports a missing one.
constexpr std::array<std::string_view, 7> kFields = {
    "expires", "include_subdomains", "name", "names", "pins", "published_at", "version",
};
enum FieldIndex : size_t { kExpires, kIncludeSubdomains, kName, kNames, kPins, kPublishedAt, kVersion };

// AppendJsonString writes `text` quoted with only the escapes JSON requires (RFC 8259 §7):
// '"', '\' and the control characters below 0x20; the short forms where JSON has one,
// \u00XX in lower case otherwise. Every other byte, '/' and non-ASCII included, is copied.
void AppendJsonString(std::string& out, std::string_view text) {
  constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          out += "\\u00";
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendJsonStringArray(std::string& out, const std::vector<std::string>& sorted) {
  out.push_back('[');
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(out, sorted[i]);
  }
  out.push_back(']');
}

std::vector<std::string> SortedUnique(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  return values;
}

// FieldError: kMalformed `pin-set document: field "pins"[2]: not a sha256/ pin`. The field
// name is JSON-quoted, so an unknown name from the input cannot garble the message.
Status FieldError(std::string_view field, std::optional<size_t> index, std::string_view what) {
  std::string message = "pin-set document: field ";
  AppendJsonString(message, field);
  if (index) message += "[" + std::to_string(*index) + "]";
  message += ": ";
  message += what;
  return MalformedError(std::move(message));
}

std::string_view StringOf(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// string
Result<std::string> ReadString(const Value& v, std::string_view field) {
  if (!v.IsString()) return FieldError(field, std::nullopt, "expected a string");
  return std::string(StringOf(v));
}

// [ string, ... ], each checked by `check` (nullopt when fine, else what is wrong).
template <class Check>
Result<std::vector<std::string>> ReadStringArray(const Value& v, std::string_view field, Check check) {
  if (!v.IsArray()) return FieldError(field, std::nullopt, "expected an array of strings");
  std::vector<std::string> out;
  out.reserve(v.Size());
  for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
    if (!v[i].IsString()) return FieldError(field, i, "expected a string");
    std::string_view text = StringOf(v[i]);
    if (std::optional<std::string_view> problem = check(text)) return FieldError(field, i, *problem);
    out.emplace_back(text);
  }
  return SortedUnique(std::move(out));
}

// date-time as the document writes it: RFC 3339 in UTC ("Z"), whole seconds.
Result<int64_t> ReadTime(const Value& v, std::string_view field) {
  constexpr std::string_view kWant = "expected an RFC 3339 UTC date-time \"YYYY-MM-DDTHH:MM:SSZ\"";
  if (!v.IsString()) return FieldError(field, std::nullopt, kWant);
  std::string_view text = StringOf(v);
  std::optional<int64_t> ms = ParseRfc3339Ms(text);
  // A numeric offset is not UTC as written, and a fraction would be dropped silently.
  if (!ms || !(text.ends_with('Z') || text.ends_with('z')) || text.find('.') != std::string_view::npos) {
    return FieldError(field, std::nullopt, kWant);
  }
  return *ms / 1000;
}

}  // namespace

std::string CanonicalJsonString(std::string_view text) {
  std::string out;
  AppendJsonString(out, text);
  return out;
}

std::string CanonicalJson(const PinsetDocument& doc) {
  // Keys in byte order (kFields); no whitespace.
  std::string out = "{\"expires\":";
  AppendJsonString(out, FormatRfc3339(doc.expires_unix_s));
  out += ",\"include_subdomains\":";
  out += doc.include_subdomains ? "true" : "false";
  out += ",\"name\":";
  AppendJsonString(out, doc.name);
  out += ",\"names\":";
  AppendJsonStringArray(out, SortedUnique(doc.names));
  out += ",\"pins\":";
  AppendJsonStringArray(out, SortedUnique(doc.pins));
  out += ",\"published_at\":";
  AppendJsonString(out, FormatRfc3339(doc.published_at_unix_s));
  out += ",\"version\":";
  out += std::to_string(doc.version);
  out += "}";
  return out;
}

Result<PinsetDocument> ParsePinsetDocument(std::string_view json) {
  if (json.size() > kMaxPinsetDocumentBytes) {
    return MalformedError("pin-set document: " + std::to_string(json.size()) + " bytes, over the cap of " +
                          std::to_string(kMaxPinsetDocumentBytes));
  }
  // RapidJSON takes a NUL as the end of input even with an explicit length, which would
  // hide what follows it; JSON text never holds one raw.
  if (size_t nul = json.find('\0'); nul != std::string_view::npos) {
    return MalformedError("pin-set document: invalid JSON: NUL byte at byte offset " + std::to_string(nul));
  }
  rapidjson::Document dom;
  dom.Parse<kParseFlags>(json.data(), json.size());
  if (dom.HasParseError()) {
    return MalformedError(std::string("pin-set document: invalid JSON: ") + rapidjson::GetParseError_En(dom.GetParseError()) +
                          " at byte offset " + std::to_string(dom.GetErrorOffset()));
  }
  if (!dom.IsObject()) return MalformedError("pin-set document: not a JSON object");

  // Each member must be a known field, given once: RapidJSON keeps both copies of a
  // duplicate, and another reader of the same signed bytes might take the other one.
  std::array<const Value*, kFields.size()> found{};
  for (auto m = dom.MemberBegin(); m != dom.MemberEnd(); ++m) {
    std::string_view key = StringOf(m->name);
    auto known = std::find(kFields.begin(), kFields.end(), key);
    if (known == kFields.end()) return FieldError(key, std::nullopt, "unknown field");
    const Value*& slot = found[static_cast<size_t>(known - kFields.begin())];
    if (slot != nullptr) return FieldError(key, std::nullopt, "given more than once");
    slot = &m->value;
  }
  for (size_t i = 0; i < kFields.size(); ++i) {
    if (found[i] == nullptr) return FieldError(kFields[i], std::nullopt, "missing");
  }

  PinsetDocument doc;
  // "expires": date-time
  Result<int64_t> expires = ReadTime(*found[kExpires], kFields[kExpires]);
  if (!expires.ok()) return expires.status();
  doc.expires_unix_s = *expires;
  // "include_subdomains": true | false
  if (!found[kIncludeSubdomains]->IsBool()) {
    return FieldError(kFields[kIncludeSubdomains], std::nullopt, "expected true or false");
  }
  doc.include_subdomains = found[kIncludeSubdomains]->GetBool();
  // "name": string
  Result<std::string> name = ReadString(*found[kName], kFields[kName]);
  if (!name.ok()) return name.status();
  doc.name = std::move(*name);
  // "names": [ string, ... ]
  auto any_string = [](std::string_view) -> std::optional<std::string_view> { return std::nullopt; };
  Result<std::vector<std::string>> names = ReadStringArray(*found[kNames], kFields[kNames], any_string);
  if (!names.ok()) return names.status();
  doc.names = std::move(*names);
  // "pins": [ "sha256/" base64(32 bytes), ... ]
  auto valid_pin = [](std::string_view text) -> std::optional<std::string_view> {
    if (ParsePin(text)) return std::nullopt;
    return "not a sha256/ pin";
  };
  Result<std::vector<std::string>> pins = ReadStringArray(*found[kPins], kFields[kPins], valid_pin);
  if (!pins.ok()) return pins.status();
  doc.pins = std::move(*pins);
  // "published_at": date-time
  Result<int64_t> published_at = ReadTime(*found[kPublishedAt], kFields[kPublishedAt]);
  if (!published_at.ok()) return published_at.status();
  doc.published_at_unix_s = *published_at;
  // "version": integer >= 1
  const Value& version = *found[kVersion];
  if (!version.IsInt64() || version.GetInt64() < 1) {
    return FieldError(kFields[kVersion], std::nullopt, "expected an integer >= 1");
  }
  doc.version = version.GetInt64();
  return doc;
}

}  // namespace pinwatch::pins
