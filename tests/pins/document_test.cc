// The pin-set document: its canonical bytes (what is signed and served) and the strict
// parser, through pins/document.h.
#include "pins/document.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pinwatch::pins {
namespace {

// Pins of three made-up keys (sha256 of "leaf key", "backup key", "ca key"); in byte
// order they are kBackupPin < kLeafPin < kCaPin.
constexpr char kLeafPin[] = "sha256/lAUDUIPGcb3pmAOPOrrYcWhrd9DYBOfGbZ4bEji6YUw=";
constexpr char kBackupPin[] = "sha256/CMCAWSJQH5nAQbZU5sp+cbvgr4HxFLmfG7t4cMa13XM=";
constexpr char kCaPin[] = "sha256/rSFHgxSlwP4IVejPD8gAl8N+LUGtOSy+S0YjU+suRzk=";

constexpr int64_t k2027Feb01 = 1801440000;      // 2027-02-01T00:00:00Z
constexpr int64_t k2026Dec03At10 = 1796292000;  // 2026-12-03T10:00:00Z

PinsetDocument ApiDocument() {
  return {
      .name = "api",
      .version = 2,
      .names = {"api.example.com"},
      .include_subdomains = false,
      .pins = {kBackupPin, kLeafPin},
      .expires_unix_s = k2027Feb01,
      .published_at_unix_s = k2026Dec03At10,
  };
}

// The canonical form of ApiDocument(), written out by hand.
const std::string kApiJson =
    std::string(R"({"expires":"2027-02-01T00:00:00Z","include_subdomains":false,"name":"api",)") +
    R"("names":["api.example.com"],"pins":[")" + kBackupPin + R"(",")" + kLeafPin + R"("],)" +
    R"("published_at":"2026-12-03T10:00:00Z","version":2})";

void ExpectSameDocument(const PinsetDocument& got, const PinsetDocument& want) {
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.names, want.names);
  EXPECT_EQ(got.include_subdomains, want.include_subdomains);
  EXPECT_EQ(got.pins, want.pins);
  EXPECT_EQ(got.expires_unix_s, want.expires_unix_s);
  EXPECT_EQ(got.published_at_unix_s, want.published_at_unix_s);
}

// ---------------------------------------------------------------------------------------
// CanonicalJson

TEST(DocumentCanonicalJson, KeysInByteOrderNoWhitespaceNoNewline) {
  EXPECT_EQ(CanonicalJson(ApiDocument()), kApiJson);
}

TEST(DocumentCanonicalJson, SortsAndDeduplicatesPinsAndNames) {
  PinsetDocument doc = ApiDocument();
  doc.pins = {kCaPin, kLeafPin, kBackupPin, kLeafPin};
  doc.names = {"www.example.com", "api.example.com", "www.example.com"};
  doc.include_subdomains = true;
  EXPECT_EQ(CanonicalJson(doc),
            std::string(R"({"expires":"2027-02-01T00:00:00Z","include_subdomains":true,"name":"api",)") +
                R"("names":["api.example.com","www.example.com"],"pins":[")" + kBackupPin + R"(",")" +
                kLeafPin + R"(",")" + kCaPin + R"("],"published_at":"2026-12-03T10:00:00Z","version":2})");
}

TEST(DocumentCanonicalJson, EmptyListsAreEmptyArrays) {
  PinsetDocument doc = ApiDocument();
  doc.names.clear();
  doc.pins.clear();
  EXPECT_EQ(CanonicalJson(doc),
            R"({"expires":"2027-02-01T00:00:00Z","include_subdomains":false,"name":"api","names":[],)"
            R"("pins":[],"published_at":"2026-12-03T10:00:00Z","version":2})");
}

TEST(DocumentCanonicalJson, EscapesOnlyQuoteBackslashAndControlCharacters) {
  // '"', '\', the five short escapes, other controls as lower-case \u00XX; '/', DEL and
  // UTF-8 ("é", "日") as they are.
  const std::string name = "a\"b\\c\b\f\n\r\t\x01\x1f/\x7f" "\xc3\xa9\xe6\x97\xa5";
  EXPECT_EQ(CanonicalJsonString(name),
            "\"a\\\"b\\\\c\\b\\f\\n\\r\\t\\u0001\\u001f/\x7f" "\xc3\xa9\xe6\x97\xa5\"");

  PinsetDocument doc = ApiDocument();
  doc.name = "a\"b\x01";
  doc.names = {"x\ty"};
  EXPECT_EQ(CanonicalJson(doc),
            std::string(R"({"expires":"2027-02-01T00:00:00Z","include_subdomains":false,"name":"a\"b\u0001",)") +
                R"("names":["x\ty"],"pins":[")" + kBackupPin + R"(",")" + kLeafPin + R"("],)" +
                R"("published_at":"2026-12-03T10:00:00Z","version":2})");
}

TEST(DocumentCanonicalJson, EscapedNulIsKept) {
  EXPECT_EQ(CanonicalJsonString(std::string("a\0b", 3)), R"("a\u0000b")");
}

// ---------------------------------------------------------------------------------------
// Round trips

TEST(DocumentRoundTrip, ParseOfCanonicalGivesTheDocument) {
  Result<PinsetDocument> parsed = ParsePinsetDocument(kApiJson);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameDocument(*parsed, ApiDocument());
  EXPECT_EQ(CanonicalJson(*parsed), kApiJson);
}

TEST(DocumentRoundTrip, AwkwardStringsSurvive) {
  PinsetDocument doc = ApiDocument();
  doc.name = std::string("q\"b\\s/\x01\x1f\x7f\0\xc3\xa9 \xf0\x9f\x94\x92", 17);
  doc.names = {"api.example.com", "t\tab", "\xe6\x97\xa5\xe6\x9c\xac.example"};  // in byte order
  doc.include_subdomains = true;
  doc.version = 9007199254740993;  // above 2^53: must not pass through a double
  const std::string json = CanonicalJson(doc);
  Result<PinsetDocument> parsed = ParsePinsetDocument(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameDocument(*parsed, doc);
  EXPECT_EQ(CanonicalJson(*parsed), json);
}

TEST(DocumentRoundTrip, NonCanonicalInputIsAcceptedAndNormalised) {
  // Whitespace, keys out of order, unsorted and repeated pins, escapes JSON allows but
  // the canonical form does not use (\/, \u0061), lower-case "t" and "z".
  const std::string json = std::string("{\n  \"version\": 2,\n  \"pins\": [\"") + kLeafPin + "\", \"" + kBackupPin +
                           "\", \"" + kLeafPin + "\"],\n" +
                           R"(  "name": "\u0061pi", "names": ["api.example.com"], "include_subdomains": false,
  "published_at": "2026-12-03t10:00:00z", "expires": "2027-02-01T00:00:00Z" }
)";
  Result<PinsetDocument> parsed = ParsePinsetDocument(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ExpectSameDocument(*parsed, ApiDocument());
  EXPECT_EQ(CanonicalJson(*parsed), kApiJson);
}

// ---------------------------------------------------------------------------------------
// Strict parsing: each case is a document and the error it must draw.

struct RefusalCase {
  const char* desc;
  std::string json;
  std::string want_error;  // the whole message
};

// Api returns kApiJson with `from` (which must occur) replaced by `to`.
std::string Api(const std::string& from, const std::string& to) {
  std::string json = kApiJson;
  size_t at = json.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) json.replace(at, from.size(), to);
  return json;
}

const std::string kPinsField = std::string(R"("pins":[")") + kBackupPin + R"(",")" + kLeafPin + R"("])";

std::vector<RefusalCase> RefusalCases() {
  return {
      {"missing field", Api(R"("include_subdomains":false,)", ""),
       R"(pin-set document: field "include_subdomains": missing)"},
      {"missing version (last field)", Api(R"(,"version":2)", ""), R"(pin-set document: field "version": missing)"},
      {"unknown field", Api(R"("version":2)", R"("version":2,"comment":"hi")"),
       R"(pin-set document: field "comment": unknown field)"},
      {"unknown field name is quoted safely", Api(R"("version":2)", R"("version":2,"a\"\n":1)"),
       R"(pin-set document: field "a\"\n": unknown field)"},
      {"duplicate key", Api(R"("name":"api")", R"("name":"api","name":"evil")"),
       R"(pin-set document: field "name": given more than once)"},
      {"name not a string", Api(R"("name":"api")", R"("name":7)"), R"(pin-set document: field "name": expected a string)"},
      {"names not an array", Api(R"("names":["api.example.com"])", R"("names":"api.example.com")"),
       R"(pin-set document: field "names": expected an array of strings)"},
      {"names element not a string", Api(R"("names":["api.example.com"])", R"("names":["api.example.com",null])"),
       R"(pin-set document: field "names"[1]: expected a string)"},
      {"include_subdomains a string", Api(R"("include_subdomains":false)", R"("include_subdomains":"false")"),
       R"(pin-set document: field "include_subdomains": expected true or false)"},
      {"include_subdomains a number", Api(R"("include_subdomains":false)", R"("include_subdomains":0)"),
       R"(pin-set document: field "include_subdomains": expected true or false)"},
      {"bad pin, third", Api(kPinsField, std::string(R"("pins":[")") + kBackupPin + R"(",")" + kLeafPin + R"(","sha1/AAAA"])"),
       R"(pin-set document: field "pins"[2]: not a sha256/ pin)"},
      {"pin of 31 bytes", Api(kPinsField, R"("pins":["sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="])"),
       R"(pin-set document: field "pins"[0]: not a sha256/ pin)"},
      {"pin in base64url", Api(kPinsField, R"("pins":["sha256/CMCAWSJQH5nAQbZU5sp-cbvgr4HxFLmfG7t4cMa13XM="])"),
       R"(pin-set document: field "pins"[0]: not a sha256/ pin)"},
      {"pin not a string", Api(kPinsField, R"("pins":[1])"), R"(pin-set document: field "pins"[0]: expected a string)"},
      {"pins an object", Api(kPinsField, R"("pins":{})"), R"(pin-set document: field "pins": expected an array of strings)"},
      {"time without seconds", Api("2027-02-01T00:00:00Z", "2027-02-01T00:00Z"),
       R"(pin-set document: field "expires": expected an RFC 3339 UTC date-time "YYYY-MM-DDTHH:MM:SSZ")"},
      {"time with a numeric offset", Api("2026-12-03T10:00:00Z", "2026-12-03T11:00:00+01:00"),
       R"(pin-set document: field "published_at": expected an RFC 3339 UTC date-time "YYYY-MM-DDTHH:MM:SSZ")"},
      {"time with a fraction", Api("2026-12-03T10:00:00Z", "2026-12-03T10:00:00.000Z"),
       R"(pin-set document: field "published_at": expected an RFC 3339 UTC date-time "YYYY-MM-DDTHH:MM:SSZ")"},
      {"date that does not exist", Api("2027-02-01T00:00:00Z", "2027-02-29T00:00:00Z"),
       R"(pin-set document: field "expires": expected an RFC 3339 UTC date-time "YYYY-MM-DDTHH:MM:SSZ")"},
      {"time as a number", Api(R"("2027-02-01T00:00:00Z")", "1801440000"),
       R"(pin-set document: field "expires": expected an RFC 3339 UTC date-time "YYYY-MM-DDTHH:MM:SSZ")"},
      {"version 0", Api(R"("version":2)", R"("version":0)"), R"(pin-set document: field "version": expected an integer >= 1)"},
      {"version negative", Api(R"("version":2)", R"("version":-2)"),
       R"(pin-set document: field "version": expected an integer >= 1)"},
      {"version a fraction", Api(R"("version":2)", R"("version":2.0)"),
       R"(pin-set document: field "version": expected an integer >= 1)"},
      {"version a string", Api(R"("version":2)", R"("version":"2")"),
       R"(pin-set document: field "version": expected an integer >= 1)"},
      {"version past int64", Api(R"("version":2)", R"("version":9223372036854775808)"),
       R"(pin-set document: field "version": expected an integer >= 1)"},
      {"invalid UTF-8 (lone continuation byte)", Api(R"("name":"api")", "\"name\":\"a\x80pi\""),
       "pin-set document: invalid JSON: Invalid encoding in string. at byte offset 70"},
      {"invalid UTF-8 (overlong '/')", Api(R"("name":"api")", "\"name\":\"\xc0\xaf\""),
       "pin-set document: invalid JSON: Invalid encoding in string. at byte offset 69"},
      // (RapidJSON calls an unescaped control character an invalid escape.)
      {"raw control character in a string", Api(R"("name":"api")", "\"name\":\"a\npi\""),
       "pin-set document: invalid JSON: Invalid escape character in string. at byte offset 70"},
      {"NUL byte after the root", kApiJson + std::string(1, '\0') + "{}",
       "pin-set document: invalid JSON: NUL byte at byte offset " + std::to_string(kApiJson.size())},
      {"bytes after the root", kApiJson + "{}",
       "pin-set document: invalid JSON: The document root must not be followed by other values. at byte offset " +
           std::to_string(kApiJson.size())},
      {"truncated", kApiJson.substr(0, kApiJson.size() - 1),
       "pin-set document: invalid JSON: Missing a comma or '}' after an object member. at byte offset " +
           std::to_string(kApiJson.size() - 1)},
      {"empty input", "", "pin-set document: invalid JSON: The document is empty. at byte offset 0"},
      {"top level an array", "[" + kApiJson + "]", "pin-set document: not a JSON object"},
      {"over the size cap", kApiJson + std::string(kMaxPinsetDocumentBytes, ' '),
       "pin-set document: " + std::to_string(kApiJson.size() + kMaxPinsetDocumentBytes) + " bytes, over the cap of " +
           std::to_string(kMaxPinsetDocumentBytes)},
  };
}

TEST(DocumentParse, RefusesWithAMessageNamingTheField) {
  for (const RefusalCase& c : RefusalCases()) {
    Result<PinsetDocument> parsed = ParsePinsetDocument(c.json);
    ASSERT_FALSE(parsed.ok()) << c.desc;
    EXPECT_EQ(parsed.status().code(), Code::kMalformed) << c.desc;
    EXPECT_EQ(parsed.status().message(), c.want_error) << c.desc;
  }
}

TEST(DocumentParse, DeeplyNestedInputIsRefusedWithoutCrashing) {
  // One megabyte of '[' would overflow a recursive parser's stack.
  Result<PinsetDocument> parsed = ParsePinsetDocument(std::string(kMaxPinsetDocumentBytes, '['));
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), Code::kMalformed);
}

TEST(DocumentParse, EmptyListsAreAccepted) {
  // The parser checks form, not policy: how many pins a set needs is PinsetPolicy::min_pins.
  const std::string json =
      R"({"expires":"2027-02-01T00:00:00Z","include_subdomains":false,"name":"api","names":[],)"
      R"("pins":[],"published_at":"2026-12-03T10:00:00Z","version":1})";
  Result<PinsetDocument> parsed = ParsePinsetDocument(json);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_TRUE(parsed->names.empty());
  EXPECT_TRUE(parsed->pins.empty());
  EXPECT_EQ(parsed->version, 1);
}

}  // namespace
}  // namespace pinwatch::pins
