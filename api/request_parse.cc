#include "api/request_parse.h"

#include <rapidjson/document.h>
#include <rapidjson/encodings.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <charconv>

namespace pinwatch::api {
namespace {

// kMaxIdDigits: INT64_MAX has 19 decimal digits.
constexpr size_t kMaxIdDigits = 19;
// kMaxNameInMessageBytes bounds an untrusted name quoted back in an error message.
constexpr size_t kMaxNameInMessageBytes = 64;

// Utf8Sequences calls on_sequence(bytes, well_formed) for each UTF-8 sequence of `in`, as
// RapidJSON's validator delimits them (RFC 3629 §4: no overlong forms, no surrogates).
// MemoryStream, unlike StringStream, never reads past the end of `in`.
template <class OnSequence>
void Utf8Sequences(std::string_view in, OnSequence on_sequence) {
  struct Discard {
    void Put(char) {}
  } discard;
  rapidjson::MemoryStream stream(in.data(), in.size());
  while (stream.Tell() < in.size()) {
    const size_t start = stream.Tell();
    const bool well_formed = rapidjson::UTF8<char>::Validate(stream, discard);
    on_sequence(in.substr(start, stream.Tell() - start), well_formed);
  }
}

bool IsWellFormedUtf8(std::string_view in) {
  bool ok = true;
  Utf8Sequences(in, [&](std::string_view, bool well_formed) { ok = ok && well_formed; });
  return ok;
}

// WellFormedUtf8 is `in` with each ill-formed UTF-8 sequence replaced by U+FFFD, so an error
// message that quotes the request (a field name cut at kMaxNameInMessageBytes, a query key
// of arbitrary bytes) is still JSON (RFC 8259 §8.1: UTF-8).
std::string WellFormedUtf8(std::string_view in) {
  std::string out;
  Utf8Sequences(in, [&](std::string_view bytes, bool well_formed) {
    if (well_formed) {
      out.append(bytes);
    } else {
      out += "\xEF\xBF\xBD";
    }
  });
  return out;
}

}  // namespace

std::optional<int64_t> ParseId(std::string_view text) {
  if (text.empty() || text.size() > kMaxIdDigits ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v <= 0) return std::nullopt;
  return v;
}

std::vector<std::string> Split(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t at = s.find(sep, start);
    if (at == std::string_view::npos) at = s.size();
    out.emplace_back(s.substr(start, at - start));
    start = at + 1;
  }
  return out;
}

std::optional<std::vector<std::string>> PathSegments(std::string_view path) {
  if (!path.starts_with(kApiPrefix)) return std::nullopt;
  return Split(path.substr(kApiPrefix.size()), '/');
}

std::variant<std::string, ApiResponse> ReadTextBody(const ApiRequest& request, const std::string& field,
                                                    TextField need) {
  // media-type = type "/" subtype *( OWS ";" OWS parameter ), RFC 9110 §8.3.1.
  const std::string type = request.content_type.substr(0, request.content_type.find(';'));
  if (type != "application/json") {
    return ErrorResponse(415, "unsupported_media_type", "the body must be application/json");
  }
  rapidjson::Document doc;
  // Validated UTF-8 (RFC 8259 §8.1); iterative, so nesting cannot exhaust the stack; bytes
  // after the root are an error (the default).
  doc.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseIterativeFlag>(request.body.data(),
                                                                                     request.body.size());
  if (doc.HasParseError()) {
    return ErrorResponse(400, "bad_json",
                         std::string("the body is not JSON: ") + rapidjson::GetParseError_En(doc.GetParseError()) +
                             " at byte " + std::to_string(doc.GetErrorOffset()));
  }
  if (!doc.IsObject()) return ErrorResponse(400, "bad_request", "the body must be a JSON object");
  std::optional<std::string> text;
  // Counted, not `it != MemberEnd()`: RapidJSON 1.1's iterator comparisons are ambiguous in
  // C++20 (clang's -Wambiguous-reversed-operator, an error in the libFuzzer build).
  auto m = doc.MemberBegin();
  for (rapidjson::SizeType i = 0; i < doc.MemberCount(); ++i, ++m) {
    const std::string name(m->name.GetString(), m->name.GetStringLength());
    if (name != field) {
      return ErrorResponse(400, "unknown_field",
                           "unknown field \"" + name.substr(0, kMaxNameInMessageBytes) + "\": only \"" + field + "\"");
    }
    if (text) return ErrorResponse(400, "bad_request", "\"" + field + "\" given twice");
    if (!m->value.IsString()) return ErrorResponse(400, "wrong_type", "\"" + field + "\" must be a string");
    if (m->value.GetStringLength() > kMaxTextBytes) {
      return ErrorResponse(422, "too_long",
                           "\"" + field + "\" is longer than " + std::to_string(kMaxTextBytes) + " bytes");
    }
    const std::string_view value(m->value.GetString(), m->value.GetStringLength());
    // The parser validates the body's bytes, but it decodes a lone low surrogate escape
    // ("\udc00") into bytes that are not UTF-8 (PostgreSQL refuses them: a 500 instead of
    // a 400), and "\u0000" into a NUL, which a PostgreSQL text cannot hold.
    if (!IsWellFormedUtf8(value)) {
      return ErrorResponse(400, "bad_text", "\"" + field + "\" is not valid Unicode (a lone surrogate escape?)");
    }
    if (value.find('\0') != std::string_view::npos) {
      return ErrorResponse(400, "bad_text", "\"" + field + "\" must not contain U+0000");
    }
    text = std::string(value);
  }
  if (need == TextField::kRequired && (!text || text->empty())) {
    return ErrorResponse(422, "missing_field", "\"" + field + "\" is required");
  }
  return text.value_or("");
}

std::string ErrorBody(const std::string& code, const std::string& message) {
  const std::string safe_code = WellFormedUtf8(code), safe_message = WellFormedUtf8(message);
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  w.StartObject();
  w.Key("error");
  w.StartObject();
  w.Key("code");
  w.String(safe_code.c_str(), static_cast<rapidjson::SizeType>(safe_code.size()));
  w.Key("message");
  w.String(safe_message.c_str(), static_cast<rapidjson::SizeType>(safe_message.size()));
  w.EndObject();
  w.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize()) + "\n";
}

ApiResponse ErrorResponse(int status, const std::string& code, const std::string& message) {
  return {.status = status, .body = ErrorBody(code, message)};
}

}  // namespace pinwatch::api
