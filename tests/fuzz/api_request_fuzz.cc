// Fuzzes the operator API's reading of untrusted request parts (api/request_parse.h). The
// first byte's low three bits choose the part; the rest of the input is it:
//   0  an id (ParseId), checked against a reference: 1-19 ASCII digits whose value is in
//      [1, INT64_MAX] (inclusive) are accepted with that value, nothing else is
//   1  a body with Content-Type application/json, field "note" optional  (ReadTextBody)
//   2  a body with Content-Type application/json, field "reason" required (ReadTextBody)
//   3  "CONTENT-TYPE\nBODY", field "note" optional                         (ReadTextBody)
//   4  a request path (PathSegments): the segments joined by '/' give back the path after
//      /api/v1/, and nothing else is accepted
//   5  an error message (ErrorBody): always JSON; valid UTF-8 round-trips exactly
//   6, 7  as 0
// Invariants of ReadTextBody: never crashes; an accepted text is valid UTF-8 (RapidJSON's
// validation) without U+0000, at most kMaxTextBytes bytes, non-empty when required, and is
// the string of the body's only member, named as the field (or "" for {}); only
// application/json is accepted; a refusal is a 4xx answer (415 exactly when the media type
// is not JSON) whose body is JSON with string error.code and error.message.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <string_view>
#include <variant>

#include "api/request_parse.h"

namespace {

using pinwatch::api::ApiRequest;
using pinwatch::api::ApiResponse;

void Check(bool ok) {
  if (!ok) std::abort();
}

// ValidUtf8 asks RapidJSON's validating writer whether `s` is well-formed UTF-8. The
// writer reads through a StringStream, which expects a terminator: a sequence cut at the
// end would make it read up to three bytes past it, so the copy has four zero bytes after.
bool ValidUtf8(std::string_view s) {
  std::string padded(s);
  padded.append(4, '\0');
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                    rapidjson::kWriteValidateEncodingFlag>
      w(buffer);
  return w.String(padded.data(), static_cast<rapidjson::SizeType>(s.size()));
}

// ParseJson parses `text` as strictly as the API reads bodies (validated UTF-8).
void ParseJson(rapidjson::Document& doc, std::string_view text) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(text.data(), text.size());
}

// Member is object[name], or nullptr when `object` is not an object or has no such member
// (HasMember: RapidJSON 1.1's iterator comparisons are ambiguous in C++20 for clang).
const rapidjson::Value* Member(const rapidjson::Value& object, const char* name) {
  return object.IsObject() && object.HasMember(name) ? &object[name] : nullptr;
}

// CheckErrorAnswer: a 4xx JSON answer {"error": {"code": STRING, "message": STRING}}.
void CheckErrorAnswer(const ApiResponse& res) {
  Check(res.status >= 400 && res.status <= 499);
  Check(res.content_type == "application/json");
  rapidjson::Document doc;
  ParseJson(doc, res.body);
  Check(!doc.HasParseError());
  const rapidjson::Value* error = Member(doc, "error");
  Check(error != nullptr);
  const rapidjson::Value* code = Member(*error, "code");
  const rapidjson::Value* message = Member(*error, "message");
  Check(code != nullptr && code->IsString() && code->GetStringLength() > 0);
  Check(message != nullptr && message->IsString());
}

void FuzzId(std::string_view text) {
  const std::optional<int64_t> id = pinwatch::api::ParseId(text);
  // The reference: 19 digits fit in uint64_t (at most 10^19 - 1 < 2^64).
  bool digits = !text.empty() && text.size() <= 19;
  uint64_t value = 0;
  for (char c : text) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  const bool want = digits && value >= 1 && value <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  Check(id.has_value() == want);
  if (!id) return;
  Check(*id >= 1 && static_cast<uint64_t>(*id) == value);
  // Its decimal text is the input without its leading zeros.
  Check(std::to_string(*id) == text.substr(text.find_first_not_of('0')));
}

void FuzzBody(const std::string& content_type, std::string_view body, const std::string& field,
              pinwatch::api::TextField need) {
  const ApiRequest request{.method = "POST",
                           .path = "/api/v1/findings/1/ack",
                           .authorization = "Bearer x",
                           .content_type = content_type,
                           .body = std::string(body),
                           .remote_address = "127.0.0.1"};
  const std::variant<std::string, ApiResponse> got = pinwatch::api::ReadTextBody(request, field, need);
  const bool json_type = content_type.substr(0, content_type.find(';')) == "application/json";
  if (const auto* refused = std::get_if<ApiResponse>(&got)) {
    CheckErrorAnswer(*refused);
    Check((refused->status == 415) == !json_type);
    return;
  }
  const std::string& text = std::get<std::string>(got);
  Check(json_type);
  Check(text.size() <= pinwatch::api::kMaxTextBytes);
  Check(ValidUtf8(text) && text.find('\0') == std::string::npos);
  if (need == pinwatch::api::TextField::kRequired) Check(!text.empty());
  // The body is an object with no member, or one member named `field` whose string is `text`.
  rapidjson::Document doc;
  ParseJson(doc, body);
  Check(!doc.HasParseError() && doc.IsObject() && doc.MemberCount() <= 1);
  if (doc.MemberCount() == 0) {
    Check(text.empty());
    return;
  }
  const auto& m = *doc.MemberBegin();  // the only one
  Check(std::string_view(m.name.GetString(), m.name.GetStringLength()) == field);
  Check(m.value.IsString() && std::string_view(m.value.GetString(), m.value.GetStringLength()) == text);
}

void FuzzPath(std::string_view path) {
  const auto segments = pinwatch::api::PathSegments(path);
  Check(segments.has_value() == path.starts_with(pinwatch::api::kApiPrefix));
  if (!segments) return;
  Check(!segments->empty());
  std::string joined;
  for (size_t i = 0; i < segments->size(); ++i) {
    Check((*segments)[i].find('/') == std::string::npos);
    joined += (i ? "/" : "") + (*segments)[i];
  }
  Check(joined == path.substr(pinwatch::api::kApiPrefix.size()));
}

void FuzzErrorBody(std::string_view message) {
  const ApiResponse res = pinwatch::api::ErrorResponse(400, "bad_request", std::string(message));
  CheckErrorAnswer(res);
  if (!ValidUtf8(message)) return;
  rapidjson::Document doc;
  ParseJson(doc, res.body);
  const auto& text = doc["error"]["message"];  // present: CheckErrorAnswer looked
  Check(std::string_view(text.GetString(), text.GetStringLength()) == message);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] & 7) {
    case 1:
      FuzzBody("application/json", rest, "note", pinwatch::api::TextField::kOptional);
      break;
    case 2:
      FuzzBody("application/json", rest, "reason", pinwatch::api::TextField::kRequired);
      break;
    case 3: {
      const size_t newline = rest.find('\n');
      const std::string_view type = rest.substr(0, newline);
      const std::string_view body = newline == std::string_view::npos ? std::string_view() : rest.substr(newline + 1);
      FuzzBody(std::string(type), body, "note", pinwatch::api::TextField::kOptional);
      break;
    }
    case 4:
      FuzzPath(rest);
      break;
    case 5:
      FuzzErrorBody(rest);
      break;
    default:
      FuzzId(rest);
  }
  return 0;
}
