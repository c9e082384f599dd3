// The operator API's reading of untrusted request parts (operator_api.h): ids in paths and
// query values, the path's segments, and the one-field JSON bodies. Pure functions over
// plain values, with no store and no socket, so tests/fuzz/api_request_fuzz.cc fuzzes them
// directly. All are thread-safe (they share nothing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/request.h"

namespace pinwatch::api {

// kMaxTextBytes bounds a note or a reason: a paragraph, not a document.
inline constexpr size_t kMaxTextBytes = 4096;

// ParseId returns the number that `text` writes in decimal, when it is in [1, INT64_MAX]
// (inclusive); nullopt for anything else: empty, a sign, a space, any character other than
// 0-9, more than 19 characters, zero, or a value beyond INT64_MAX. Leading zeros are
// accepted ("007" is 7) as long as the text stays within 19 characters.
std::optional<int64_t> ParseId(std::string_view text);

// Split returns the pieces of `s` between each `sep`: always at least one, empty pieces
// kept ("a,,b" -> {"a", "", "b"}; "" -> {""}). The pieces are copies.
std::vector<std::string> Split(std::string_view s, char sep);

// kApiPrefix is the path every route of the API starts with.
inline constexpr std::string_view kApiPrefix = "/api/v1/";

// PathSegments returns the segments of `path` after kApiPrefix, split at each '/' (at
// least one; "/api/v1/findings/12/ack" -> {"findings", "12", "ack"}, "/api/v1/" -> {""}),
// or nullopt when the path does not start with kApiPrefix. Segments are not decoded.
std::optional<std::vector<std::string>> PathSegments(std::string_view path);

// TextField says whether ReadTextBody refuses a body without the field.
enum class TextField { kOptional, kRequired };

// ReadTextBody reads the body of `request`: Content-Type application/json (parameters
// after ';' ignored), a JSON object (UTF-8, validated) whose only member may be `field`, a
// string of at most kMaxTextBytes bytes. Returns the string ("" when the field is absent
// and kOptional), or the answer refusing the body: 415 for another media type, 400 for
// bytes that are not JSON or not an object, an unknown or repeated member, a member that
// is not a string, or a string that is not well-formed UTF-8 once unescaped (a lone
// surrogate escape) or holds U+0000; 422 for a string that is too long, or a required
// field that is absent or empty. The returned text is a copy.
std::variant<std::string, ApiResponse> ReadTextBody(const ApiRequest& request, const std::string& field,
                                                    TextField need);

// ErrorBody is {"error": {"code": CODE, "message": MESSAGE}} and a newline: JSON, with
// CODE and MESSAGE escaped and each ill-formed UTF-8 sequence in them written as U+FFFD
// (messages quote names from the request).
std::string ErrorBody(const std::string& code, const std::string& message);

// ErrorResponse is an answer with `status` and ErrorBody(code, message), as JSON.
ApiResponse ErrorResponse(int status, const std::string& code, const std::string& message);

}  // namespace pinwatch::api
