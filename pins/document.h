// The published pin-set document (dynamic pinning): canonical JSON that apps fetch and
// verify with an embedded public key (pins/signing.h). docs/pinset-format.md is its
// specification; the field names are an interface: extend, never rename.
//   {"expires":"2027-02-01T00:00:00Z","include_subdomains":false,"name":"api",
//    "names":["api.example.com"],"pins":["sha256/...","sha256/..."],
//    "published_at":"2026-12-03T10:00:00Z","version":2}
// Canonical: UTF-8, object keys sorted by their bytes, no insignificant whitespace,
// strings with only the escapes JSON requires (", \, control characters as \u00XX
// except \b \f \n \r \t), integers without sign or leading zeros; pins sorted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace pinwatch::pins {

struct PinsetDocument {
  std::string name;
  int64_t version = 1;
  std::vector<std::string> names;
  bool include_subdomains = false;
  std::vector<std::string> pins;  // "sha256/BASE64", sorted, no duplicates
  int64_t expires_unix_s = 0;
  int64_t published_at_unix_s = 0;
};

// kMaxPinsetDocumentBytes caps what ParsePinsetDocument reads. A real document is a few
// hundred bytes (a handful of names and pins); the cap bounds the memory a hostile file
// can cost, and leaves room for thousands of names.
inline constexpr size_t kMaxPinsetDocumentBytes = size_t{1} << 20;

// CanonicalJson writes the document's canonical bytes (no trailing newline): what is
// signed, served and written to <name>.json. Sorts and de-duplicates pins and names.
std::string CanonicalJson(const PinsetDocument& doc);

// ParsePinsetDocument reads a document strictly: every field above present with its
// type, no other field, pins valid "sha256/" pins, times RFC 3339 UTC; kMalformed naming
// the field otherwise. It does not insist on canonical form (VerifySignature checks the
// bytes as they are).
// Also refused: input over kMaxPinsetDocumentBytes, invalid UTF-8, a field given twice,
// version < 1, and times with a numeric offset or a fraction of a second (the document
// writes "YYYY-MM-DDTHH:MM:SSZ"; "z" and "T"/"t" are accepted as RFC 3339 allows). The
// pins and names it returns are sorted and de-duplicated, as the struct promises.
// Thread-safe.
Result<PinsetDocument> ParsePinsetDocument(std::string_view json);

// CanonicalJsonString returns `text` as a JSON string, quotes included, escaped as
// CanonicalJson escapes (only ", \ and control characters; other bytes as they are), for
// other writers of JSON that should agree with the document byte for byte.
std::string CanonicalJsonString(std::string_view text);

}  // namespace pinwatch::pins
