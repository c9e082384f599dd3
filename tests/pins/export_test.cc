// Exports are checked by parsing them back, never by comparing text: the XML and plist
// formats with Python's own parsers (xml.etree, plistlib), OkHttp's Kotlin with a reader of
// Kotlin string literals, the JSON formats with RapidJSON. Each Python reader asserts the
// format's structure and prints the hosts it would pin as JSON; the test compares those with
// what the document says.
#include "pins/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>

#include "base/pin.h"
#include "base/sha256.h"
#include "base/time.h"
#include "tests/support/child_process.h"

namespace pinwatch::pins {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// ---- What the readers print ----

// PinnedHost is one host as an app would enforce it: the shape every reader prints.
struct PinnedHost {
  std::string host;
  bool include_subdomains = false;
  std::vector<std::string> pins;  // base64, sorted
  std::string expiration;         // yyyy-MM-dd; "" where the format has no expiry
  std::string role;               // ios-ats: "ca" or "leaf"; "" elsewhere
  bool operator==(const PinnedHost&) const = default;
};

void PrintTo(const PinnedHost& h, std::ostream* os) {
  *os << "{" << h.host << (h.include_subdomains ? " +subdomains" : "") << " pins=[";
  for (const std::string& pin : h.pins) *os << pin << (&pin == &h.pins.back() ? "" : " ");
  *os << "] expiration=" << h.expiration << " role=" << h.role << "}";
}

// ReadBack is what a reader found in one export.
struct ReadBack {
  std::vector<std::string> comments;  // the file's comments, as its parser returns them
  std::vector<PinnedHost> hosts;      // sorted by host
  bool strict_pin_syntax = false;     // okhttp: every .add matches OkHttp's syntax for DNS names
};

// Member is object[key], or a null value when it is absent (never RapidJSON's assert).
const rapidjson::Value& Member(const rapidjson::Value& object, const char* key) {
  static const rapidjson::Value kAbsent;
  if (!object.IsObject()) return kAbsent;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? kAbsent : it->value;
}

std::string StringOf(const rapidjson::Value& v) {
  if (!v.IsString()) {
    ADD_FAILURE() << "expected a string";
    return {};
  }
  return std::string(v.GetString(), v.GetStringLength());
}

std::vector<std::string> StringsOf(const rapidjson::Value& v) {
  std::vector<std::string> out;
  if (!v.IsArray()) {
    ADD_FAILURE() << "expected an array";
    return out;
  }
  for (const rapidjson::Value& item : v.GetArray()) out.push_back(StringOf(item));
  return out;
}

void SortHosts(ReadBack& r) {
  for (PinnedHost& h : r.hosts) std::sort(h.pins.begin(), h.pins.end());
  std::sort(r.hosts.begin(), r.hosts.end(), [](const auto& a, const auto& b) { return a.host < b.host; });
}

ReadBack ParseReadBack(const std::string& json) {
  ReadBack r;
  rapidjson::Document d;
  d.Parse(json.data(), json.size());
  if (d.HasParseError() || !d.IsObject()) {
    ADD_FAILURE() << "the reader printed no JSON object: " << json;
    return r;
  }
  r.comments = StringsOf(Member(d, "comments"));
  r.strict_pin_syntax = Member(d, "strict").IsTrue();
  const rapidjson::Value& hosts = Member(d, "hosts");
  if (!hosts.IsArray()) {
    ADD_FAILURE() << "no hosts: " << json;
    return r;
  }
  for (const rapidjson::Value& h : hosts.GetArray()) {
    const rapidjson::Value& include = Member(h, "include_subdomains");
    EXPECT_TRUE(include.IsBool()) << "include_subdomains is not a boolean in " << json;
    r.hosts.push_back({.host = StringOf(Member(h, "host")),
                       .include_subdomains = include.IsTrue(),
                       .pins = StringsOf(Member(h, "pins")),
                       .expiration = StringOf(Member(h, "expiration")),
                       .role = StringOf(Member(h, "role"))});
  }
  SortHosts(r);
  return r;
}

// ---- The readers (Python 3.8+, standard library only) ----

// kPreamble is shared: host() is the summary of one host, emit() prints the result, and
// xml_comments() the comments at any level (ElementTree drops them).
constexpr std::string_view kPreamble = R"PY(
import datetime, json, plistlib, re, sys
import xml.etree.ElementTree as ET
from xml.dom import minidom
path = sys.argv[1]
def host(name, include, pins, expiration='', role=''):
    assert isinstance(name, str) and isinstance(include, bool), (name, include)
    assert all(isinstance(p, str) for p in pins), pins
    if expiration:
        datetime.date.fromisoformat(expiration)  # yyyy-MM-dd, as Android and TrustKit parse it
    return {'host': name, 'include_subdomains': include, 'pins': pins, 'expiration': expiration, 'role': role}
def emit(comments, hosts, strict=False):
    print(json.dumps({'comments': comments, 'hosts': hosts, 'strict': strict}))
def xml_comments():
    found = []
    def walk(node):
        for child in node.childNodes:
            if child.nodeType == child.COMMENT_NODE:
                found.append(child.data)
            walk(child)
    walk(minidom.parse(path))
    return found
)PY";

// Android's network security config: one <domain-config> with its domains and one pin-set.
constexpr std::string_view kReadAndroidNsc = R"PY(
with open(path, 'rb') as f:
    assert f.readline() == b'<?xml version="1.0" encoding="utf-8"?>\n'
root = ET.parse(path).getroot()
assert root.tag == 'network-security-config' and len(root) == 1, root
config = root[0]
assert config.tag == 'domain-config', config.tag
[pin_set] = config.findall('pin-set')
pins = []
for pin in pin_set:
    assert pin.tag == 'pin' and pin.attrib == {'digest': 'SHA-256'}, pin.attrib
    pins.append(pin.text)
hosts = []
for domain in config.findall('domain'):
    include = domain.attrib['includeSubdomains']
    assert include in ('true', 'false'), include
    hosts.append(host(domain.text, include == 'true', pins, pin_set.attrib['expiration']))
assert len(config) == len(hosts) + 1, 'something besides <domain> and <pin-set>'
emit(xml_comments(), hosts)
)PY";

// TrustKit: the configuration dictionary at the root, the keys its constants stand for.
constexpr std::string_view kReadTrustKit = R"PY(
with open(path, 'rb') as f:
    top = plistlib.load(f)
assert set(top) == {'TSKSwizzleNetworkDelegates', 'TSKPinnedDomains'}, top
assert top['TSKSwizzleNetworkDelegates'] is False
hosts = []
for name, d in top['TSKPinnedDomains'].items():
    assert set(d) == {'TSKPublicKeyHashes', 'TSKIncludeSubdomains', 'TSKEnforcePinning', 'TSKExpirationDate'}, d
    assert d['TSKEnforcePinning'] is True
    hosts.append(host(name, d['TSKIncludeSubdomains'], d['TSKPublicKeyHashes'], d['TSKExpirationDate']))
emit(xml_comments(), hosts)
)PY";

// iOS App Transport Security: exactly one of the two identity lists per domain.
constexpr std::string_view kReadIosAts = R"PY(
with open(path, 'rb') as f:
    top = plistlib.load(f)
assert list(top) == ['NSAppTransportSecurity'], top
ats = top['NSAppTransportSecurity']
assert list(ats) == ['NSPinnedDomains'], ats
hosts = []
for name, d in ats['NSPinnedDomains'].items():
    kinds = [k for k in ('NSPinnedCAIdentities', 'NSPinnedLeafIdentities') if k in d]
    assert len(kinds) == 1 and set(d) == {'NSIncludesSubdomains', kinds[0]}, d
    identities = d[kinds[0]]
    assert all(list(i) == ['SPKI-SHA256-BASE64'] for i in identities), identities
    role = 'ca' if kinds[0] == 'NSPinnedCAIdentities' else 'leaf'
    hosts.append(host(name, d['NSIncludesSubdomains'], [i['SPKI-SHA256-BASE64'] for i in identities], role=role))
emit(xml_comments(), hosts)
)PY";

// OkHttp: a comment, the builder, one .add per (host, pin), .build(). Each literal is read
// as Kotlin reads it ('$' must be escaped, or it would start a template).
constexpr std::string_view kReadOkHttp = R"PY(
with open(path, encoding='utf-8') as f:
    lines = f.read().split('\n')
assert lines.pop() == '', 'no final newline'
assert lines[0].startswith('// '), lines[0]
assert lines[1] == 'val certificatePinner = CertificatePinner.Builder()', lines[1]
assert lines[-1] == '    .build()', lines[-1]
literal = r'"((?:[^"\\$\r\n]|\\.)*)"'
add = re.compile(r'\s*\.add\(' + literal + ', ' + literal + r'\)')
strict = re.compile(r'\s*\.add\("(\*\*\.)?[a-z0-9.-]+", "sha256/[A-Za-z0-9+/]{43}="\)')
escapes = {'n': '\n', 'r': '\r', 't': '\t', 'b': '\b', '\\': '\\', '"': '"', "'": "'", '$': '$'}
def unescape(s):
    return re.sub(r'\\(u[0-9A-Fa-f]{4}|.)', lambda m: chr(int(m[1][1:], 16)) if len(m[1]) == 5 else escapes[m[1]], s)
pins_of = {}
for line in lines[2:-1]:
    m = add.fullmatch(line)
    assert m, line
    pins_of.setdefault(unescape(m[1]), []).append(unescape(m[2]))
hosts = []
for pattern, pins in pins_of.items():
    assert all(p.startswith('sha256/') for p in pins), pins
    include = pattern.startswith('**.')
    hosts.append(host(pattern[3:] if include else pattern, include, [p[len('sha256/'):] for p in pins]))
emit([lines[0][3:]], hosts, all(strict.fullmatch(line) for line in lines[2:-1]))
)PY";

// Read runs `reader` over `exported` (written to a temporary file) and parses its summary;
// a failed assertion in the reader fails the test with Python's message.
ReadBack Read(std::string_view reader, const std::string& exported) {
  static int file_number = 0;
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("pinwatch-export-test-" + std::to_string(::getpid()) + "-" +
                                      std::to_string(file_number++));
  std::ofstream(path, std::ios::binary) << exported;
  const std::string program = std::string(kPreamble) + std::string(reader);
  Result<pinwatch::testing::CommandResult> run =
      pinwatch::testing::RunCommand({"/usr/bin/env", "python3", "-c", program, path.string()});
  std::filesystem::remove(path);
  if (!run.ok()) {
    ADD_FAILURE() << "cannot run python3: " << run.status().message();
    return {};
  }
  if (run->exit_code != 0) {
    ADD_FAILURE() << "the reader refused the export:\n" << run->err << "\nexport:\n" << exported;
    return {};
  }
  return ParseReadBack(run->out);
}

// ReadApproov parses the approov JSON with RapidJSON: "NAME" and, with subdomains, "*.NAME"
// carrying the same pins.
ReadBack ReadApproov(const std::string& exported) {
  ReadBack r;
  EXPECT_TRUE(exported.ends_with("}\n")) << exported;
  rapidjson::Document d;
  d.Parse(exported.data(), exported.size());
  if (d.HasParseError() || !d.IsObject()) {
    ADD_FAILURE() << "not a JSON object: " << exported;
    return r;
  }
  std::map<std::string, std::vector<std::string>> exact, wildcard;
  for (const auto& m : d.GetObject()) {
    const std::string key = StringOf(m.name);
    if (key.starts_with("*.")) {
      wildcard[key.substr(2)] = StringsOf(m.value);
    } else {
      exact[key] = StringsOf(m.value);
    }
  }
  EXPECT_EQ(d.MemberCount(), exact.size() + wildcard.size()) << "a key twice: " << exported;
  for (const auto& [name, pins] : wildcard) {
    EXPECT_TRUE(exact.contains(name)) << "*." << name << " without " << name;
    EXPECT_EQ(pins, exact[name]) << "*." << name << " pins differ from " << name << "'s";
  }
  for (const auto& [name, pins] : exact) {
    r.hosts.push_back({.host = name, .include_subdomains = wildcard.contains(name), .pins = pins});
  }
  SortHosts(r);
  return r;
}

// ---- What the document says ----

std::string Pin(std::string_view seed) {
  return PinText(Sha256Of(Bytes(reinterpret_cast<const uint8_t*>(seed.data()), seed.size())));
}

std::string Base64Of(std::string_view pin) { return std::string(pin.substr(kPinPrefix.size())); }

int64_t UnixSeconds(CivilTime t) { return UnixSecondsOf(t).value(); }

// ExampleDoc: three names (given unsorted), three pins; it expires at 13:00 UTC, so the
// date-only formats must say 2027-02-01.
PinsetDocument ExampleDoc() {
  std::vector<std::string> pins = {Pin("leaf key a"), Pin("leaf key b"), Pin("intermediate key")};
  std::sort(pins.begin(), pins.end());
  return {.name = "api",
          .version = 7,
          .names = {"example.org", "api.example.com", "cdn.example.net"},
          .include_subdomains = false,
          .pins = pins,
          .expires_unix_s = UnixSeconds({.year = 2027, .month = 2, .day = 1, .hour = 13}),
          .published_at_unix_s = UnixSeconds({.year = 2026, .month = 12, .day = 3, .hour = 10})};
}

struct Expect {
  std::string expiration;                           // "" for formats without one
  std::string role;                                 // ios-ats only
  std::optional<std::vector<std::string>> pins;     // "sha256/" pins; all of the document's if unset
};

// Want is what a reader should find for `doc`: each name once, with its pins.
std::vector<PinnedHost> Want(const PinsetDocument& doc, const Expect& expect = {}) {
  std::vector<std::string> pins;
  for (const std::string& pin : expect.pins.value_or(doc.pins)) pins.push_back(Base64Of(pin));
  std::sort(pins.begin(), pins.end());
  std::vector<std::string> names = doc.names;
  std::sort(names.begin(), names.end());
  std::vector<PinnedHost> want;
  for (const std::string& name : names) {
    want.push_back({.host = name,
                    .include_subdomains = doc.include_subdomains,
                    .pins = pins,
                    .expiration = expect.expiration,
                    .role = expect.role});
  }
  return want;
}

// ---- Format names ----

TEST(ExportFormatTest, EveryNameRoundTrips) {
  EXPECT_EQ(ExportFormatNames(), "json, android-nsc, okhttp, trustkit, ios-ats, approov");
  for (ExportFormat format : {ExportFormat::kJson, ExportFormat::kAndroidNsc, ExportFormat::kOkHttp,
                              ExportFormat::kTrustKit, ExportFormat::kIosAts, ExportFormat::kApproov}) {
    const std::string_view name = ExportFormatName(format);
    EXPECT_THAT(ExportFormatNames(), HasSubstr(std::string(name)));
    EXPECT_EQ(ExportFormatFromName(name), format) << name;
  }
}

TEST(ExportFormatTest, UnknownNamesAreRefused) {
  EXPECT_EQ(ExportFormatFromName("xml"), std::nullopt);
  EXPECT_EQ(ExportFormatFromName("JSON"), std::nullopt);
  EXPECT_EQ(ExportFormatFromName(""), std::nullopt);
}

// ---- Each format ----

TEST(ExportTest, JsonIsTheCanonicalDocumentAndANewline) {
  const PinsetDocument doc = ExampleDoc();
  const std::string out = Export(doc, {}, ExportFormat::kJson);
  ASSERT_TRUE(out.ends_with("}\n")) << out;
  EXPECT_EQ(out, CanonicalJson(doc) + "\n");
  rapidjson::Document d;
  d.Parse(out.data(), out.size());
  ASSERT_FALSE(d.HasParseError()) << out;
  EXPECT_EQ(StringOf(Member(d, "name")), "api");
  EXPECT_TRUE(Member(d, "version").IsInt64() && Member(d, "version").GetInt64() == 7) << out;
  EXPECT_THAT(StringsOf(Member(d, "names")), ElementsAre("api.example.com", "cdn.example.net", "example.org"));
  EXPECT_TRUE(Member(d, "include_subdomains").IsFalse()) << out;
  EXPECT_EQ(StringsOf(Member(d, "pins")), doc.pins);
  EXPECT_EQ(StringOf(Member(d, "expires")), "2027-02-01T13:00:00Z");
  EXPECT_EQ(StringOf(Member(d, "published_at")), "2026-12-03T10:00:00Z");
  EXPECT_EQ(d.MemberCount(), 7u) << out;
}

TEST(ExportTest, AndroidNscPinsEveryNameUntilTheExpiryDate) {
  for (bool include_subdomains : {false, true}) {
    SCOPED_TRACE(include_subdomains ? "with subdomains" : "without subdomains");
    PinsetDocument doc = ExampleDoc();
    doc.include_subdomains = include_subdomains;
    const ReadBack r = Read(kReadAndroidNsc, Export(doc, {}, ExportFormat::kAndroidNsc));
    EXPECT_EQ(r.hosts, Want(doc, {.expiration = "2027-02-01"}));
    EXPECT_THAT(r.comments, ElementsAre(HasSubstr("pin-set \"api\" version 7, expires 2027-02-01T13:00:00Z")));
  }
}

TEST(ExportTest, OkHttpAddsEveryNamePinPairWithDoubleStarForSubdomains) {
  for (bool include_subdomains : {false, true}) {
    SCOPED_TRACE(include_subdomains ? "with subdomains" : "without subdomains");
    PinsetDocument doc = ExampleDoc();
    doc.include_subdomains = include_subdomains;
    const ReadBack r = Read(kReadOkHttp, Export(doc, {}, ExportFormat::kOkHttp));
    EXPECT_EQ(r.hosts, Want(doc));
    EXPECT_TRUE(r.strict_pin_syntax);
    EXPECT_THAT(r.comments, ElementsAre(HasSubstr("pin-set \"api\" version 7, expires 2027-02-01T13:00:00Z")));
  }
}

TEST(ExportTest, TrustKitEnforcesEveryNameUntilTheExpiryDate) {
  for (bool include_subdomains : {false, true}) {
    SCOPED_TRACE(include_subdomains ? "with subdomains" : "without subdomains");
    PinsetDocument doc = ExampleDoc();
    doc.include_subdomains = include_subdomains;
    const ReadBack r = Read(kReadTrustKit, Export(doc, {}, ExportFormat::kTrustKit));
    EXPECT_EQ(r.hosts, Want(doc, {.expiration = "2027-02-01"}));
    EXPECT_THAT(r.comments, ElementsAre(HasSubstr("pin-set \"api\" version 7")));
  }
}

TEST(ExportTest, TrustKitWritesASingleHashWithoutFailing) {
  PinsetDocument doc = ExampleDoc();
  doc.pins.resize(1);  // TrustKit will refuse it; the pin-set's min_pins check is the guard
  const ReadBack r = Read(kReadTrustKit, Export(doc, {}, ExportFormat::kTrustKit));
  EXPECT_EQ(r.hosts, Want(doc, {.expiration = "2027-02-01"}));
}

TEST(ExportTest, IosAtsPinsOnlyTheCaKeysWhenTheSetHasSome) {
  for (bool include_subdomains : {false, true}) {
    SCOPED_TRACE(include_subdomains ? "with subdomains" : "without subdomains");
    PinsetDocument doc = ExampleDoc();
    doc.include_subdomains = include_subdomains;
    // A CA pin not in the set is ignored: the export pins only what the document says.
    const std::vector<std::string> ca_pins = {Pin("intermediate key"), Pin("some other CA")};
    const ReadBack r = Read(kReadIosAts, Export(doc, ca_pins, ExportFormat::kIosAts));
    EXPECT_EQ(r.hosts, Want(doc, {.role = "ca", .pins = std::vector{Pin("intermediate key")}}));
    EXPECT_THAT(r.comments, ElementsAre(HasSubstr("pin-set \"api\" version 7")));
  }
}

TEST(ExportTest, IosAtsPinsTheLeafKeysWhenNoneIsACaKey) {
  const PinsetDocument doc = ExampleDoc();
  for (const std::vector<std::string>& ca_pins : {std::vector<std::string>{}, std::vector{Pin("some other CA")}}) {
    const ReadBack r = Read(kReadIosAts, Export(doc, ca_pins, ExportFormat::kIosAts));
    EXPECT_EQ(r.hosts, Want(doc, {.role = "leaf"}));
  }
}

TEST(ExportTest, ApproovListsEachNameAndItsWildcardForSubdomains) {
  for (bool include_subdomains : {false, true}) {
    SCOPED_TRACE(include_subdomains ? "with subdomains" : "without subdomains");
    PinsetDocument doc = ExampleDoc();
    doc.include_subdomains = include_subdomains;
    EXPECT_EQ(ReadApproov(Export(doc, {}, ExportFormat::kApproov)).hosts, Want(doc));
  }
}

// ---- Hostile text: names are DNS names, but no byte of one may break a format ----

// HostileDoc's name and names carry each format's syntax characters.
PinsetDocument HostileDoc() {
  PinsetDocument doc = ExampleDoc();
  doc.name = "a\"<&>'--\n]]>${x}\\";
  doc.names = {"q\"<&>'$\\.example.com", "tab\there.example.com", "ok.example.com"};
  doc.include_subdomains = true;
  return doc;
}

TEST(ExportTest, HostileTextIsEscapedInTheXmlFormats) {
  const PinsetDocument doc = HostileDoc();
  const ReadBack nsc = Read(kReadAndroidNsc, Export(doc, {}, ExportFormat::kAndroidNsc));
  EXPECT_EQ(nsc.hosts, Want(doc, {.expiration = "2027-02-01"}));
  // In a comment references are not expanded: "--" is split and the newline replaced.
  EXPECT_THAT(nsc.comments, ElementsAre(HasSubstr("pin-set \"a\"<&>'- -\xEF\xBF\xBD]]>${x}\\\" version 7")));

  const ReadBack trustkit = Read(kReadTrustKit, Export(doc, {}, ExportFormat::kTrustKit));
  EXPECT_EQ(trustkit.hosts, Want(doc, {.expiration = "2027-02-01"}));
  EXPECT_THAT(trustkit.comments, ElementsAre(HasSubstr("pin-set \"a\"<&>'- -")));

  const ReadBack ats = Read(kReadIosAts, Export(doc, {}, ExportFormat::kIosAts));
  EXPECT_EQ(ats.hosts, Want(doc, {.role = "leaf"}));
  EXPECT_THAT(ats.comments, ElementsAre(HasSubstr("pin-set \"a\"<&>'- -")));
}

TEST(ExportTest, HostileTextIsEscapedInKotlinAndJson) {
  const PinsetDocument doc = HostileDoc();
  const ReadBack okhttp = Read(kReadOkHttp, Export(doc, {}, ExportFormat::kOkHttp));
  EXPECT_EQ(okhttp.hosts, Want(doc));
  EXPECT_FALSE(okhttp.strict_pin_syntax);  // these hosts are not DNS names
  // The comment stays one line: the reader found the builder on the next.
  EXPECT_THAT(okhttp.comments, ElementsAre(HasSubstr(R"(pin-set "a\"<&>'--\n]]>\${x}\\" version 7)")));

  EXPECT_EQ(ReadApproov(Export(doc, {}, ExportFormat::kApproov)).hosts, Want(doc));
}

TEST(ExportTest, IllFormedUtf8AndControlCharactersBecomeReplacementCharacters) {
  PinsetDocument doc = ExampleDoc();
  doc.names = {"bad\x01\xff.example.com"};
  PinsetDocument readable = doc;
  readable.names = {"bad\xEF\xBF\xBD\xEF\xBF\xBD.example.com"};  // U+FFFD twice
  EXPECT_EQ(Read(kReadAndroidNsc, Export(doc, {}, ExportFormat::kAndroidNsc)).hosts,
            Want(readable, {.expiration = "2027-02-01"}));
  EXPECT_EQ(Read(kReadTrustKit, Export(doc, {}, ExportFormat::kTrustKit)).hosts,
            Want(readable, {.expiration = "2027-02-01"}));
  // JSON and Kotlin can carry U+0001 (escaped); the ill-formed byte still becomes U+FFFD.
  PinsetDocument escaped = doc;
  escaped.names = {"bad\x01\xEF\xBF\xBD.example.com"};
  EXPECT_EQ(ReadApproov(Export(doc, {}, ExportFormat::kApproov)).hosts, Want(escaped));
  EXPECT_EQ(Read(kReadOkHttp, Export(doc, {}, ExportFormat::kOkHttp)).hosts, Want(escaped));
}

}  // namespace
}  // namespace pinwatch::pins
