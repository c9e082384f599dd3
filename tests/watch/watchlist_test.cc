#include "watch/watchlist.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "x509/hostname.h"
#include "tests/support/testdata.h"

namespace pinwatch::watch {
namespace {

const char kCasesPath[] = PINWATCH_SOURCE_DIR "/tests/watch/testdata/watchlist_cases.json";

rapidjson::Document LoadCases() {
  std::string text = testing::ReadFileText(kCasesPath);
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  EXPECT_FALSE(doc.HasParseError()) << kCasesPath;
  EXPECT_TRUE(doc.IsObject());
  return doc;
}

WatchScope ScopeOf(const rapidjson::Value& v) {
  auto it = v.FindMember("scope");
  if (it == v.MemberEnd()) return WatchScope::kExactName;
  std::string scope = it->value.GetString();
  EXPECT_TRUE(scope == "exact" || scope == "include_subdomains") << scope;
  return scope == "include_subdomains" ? WatchScope::kIncludeSubdomains : WatchScope::kExactName;
}

MatchReason ReasonOf(std::string_view s) {
  if (s == "same_name") return MatchReason::kSameName;
  if (s == "subdomain") return MatchReason::kSubdomain;
  if (s == "wildcard_covers") return MatchReason::kWildcardCovers;
  ADD_FAILURE() << "unknown want_reason " << s;
  return MatchReason::kSameAddress;
}

WatchList MustCreate(const std::vector<WatchEntry>& entries) {
  Result<WatchList> list = WatchList::Create(entries);
  EXPECT_TRUE(list.ok()) << list.status().ToString();
  return std::move(list).value();
}

// ---- The table in testdata/watchlist_cases.json ----

TEST(WatchListTable, MatchCases) {
  rapidjson::Document doc = LoadCases();
  std::vector<WatchEntry> entries;
  for (const auto& w : doc["watch"].GetArray()) {
    entries.push_back({.name = w["name"].GetString(), .scope = ScopeOf(w)});
  }
  Result<WatchList> list = WatchList::Create(entries);
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), entries.size());
  int cases = 0;
  for (const auto& c : doc["match"].GetArray()) {
    const std::string desc = c["desc"].GetString();
    const std::string name = c["name"].GetString();
    SCOPED_TRACE(desc + " [" + name + "]");
    std::optional<WatchMatch> got = list->MatchName(name);
    if (c["want_entry"].IsNull()) {
      EXPECT_FALSE(got.has_value()) << "matched entry " << got->entry_index;
    } else {
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->entry_index, c["want_entry"].GetUint());
      EXPECT_EQ(got->reason, ReasonOf(c["want_reason"].GetString()));
      EXPECT_EQ(got->name_index, 0u);
    }
    ++cases;
  }
  EXPECT_GE(cases, 50);
}

TEST(WatchListTable, LoadErrorsNameTheEntry) {
  rapidjson::Document doc = LoadCases();
  for (const auto& c : doc["load_error"].GetArray()) {
    const std::string entry = c["entry"].GetString();
    SCOPED_TRACE(std::string(c["desc"].GetString()) + " [" + entry + "]");
    // The bad entry sits second, so the message must say "entry 1".
    std::vector<WatchEntry> entries = {{.name = "fine.example"}, {.name = entry, .scope = ScopeOf(c)}};
    Result<WatchList> list = WatchList::Create(entries);
    ASSERT_FALSE(list.ok());
    EXPECT_EQ(list.status().code(), Code::kMalformed);
    EXPECT_NE(list.status().message().find("watch entry 1 \"" + entry + "\": "), std::string::npos)
        << list.status().message();
    EXPECT_NE(list.status().message().find(c["want_error"].GetString()), std::string::npos)
        << list.status().message();
  }
}

TEST(WatchListTable, LoadOkCanonicalForms) {
  rapidjson::Document doc = LoadCases();
  for (const auto& c : doc["load_ok"].GetArray()) {
    const std::string entry = c["entry"].GetString();
    SCOPED_TRACE(std::string(c["desc"].GetString()) + " [" + entry + "]");
    Result<WatchList> list = WatchList::Create(std::vector<WatchEntry>{{.name = entry}});
    ASSERT_TRUE(list.ok()) << list.status().ToString();
    EXPECT_EQ(list->canonical_name(0), c["want_canonical"].GetString());
    EXPECT_EQ(list->scope(0), WatchScope::kExactName);
  }
}

// ---- Length limits (RFC 1035 §2.3.4), built here because they are long ----

// NameOfLength returns "aaa….b.example.com" of exactly `size` bytes (size >= 13), with labels
// of at most 63 bytes, so that only the total length is at stake.
std::string NameOfLength(size_t size) {
  const std::string suffix = ".example.com";
  size_t remaining = size - suffix.size();
  std::string name;
  while (remaining > 63) {
    const size_t label = remaining == 64 ? 62 : 63;  // never leave a label of 0 or 64 bytes
    name += std::string(label, 'a') + ".";
    remaining -= label + 1;
  }
  name += std::string(remaining, 'b') + suffix;
  EXPECT_EQ(name.size(), size);
  return name;
}

TEST(WatchList, NamesLongerThan253BytesNeverMatch) {
  WatchList list = MustCreate({{.name = "example.com", .scope = WatchScope::kIncludeSubdomains}});
  EXPECT_TRUE(list.MatchName(NameOfLength(253)).has_value());
  EXPECT_TRUE(list.MatchName(NameOfLength(253) + ".").has_value()) << "the trailing dot does not count";
  EXPECT_FALSE(list.MatchName(NameOfLength(254)).has_value());
  EXPECT_FALSE(list.MatchName(NameOfLength(254) + ".").has_value());
  EXPECT_FALSE(list.MatchName(std::string(100000, 'a') + ".example.com").has_value());
}

TEST(WatchList, WatchEntryLengthLimits) {
  std::string label63(63, 'a');
  EXPECT_TRUE(WatchList::Create(std::vector<WatchEntry>{{.name = label63 + ".example"}}).ok());
  Result<WatchList> long_label = WatchList::Create(std::vector<WatchEntry>{{.name = label63 + "a.example"}});
  ASSERT_FALSE(long_label.ok());
  EXPECT_NE(long_label.status().message().find("longer than 63"), std::string::npos) << long_label.status().message();

  EXPECT_TRUE(WatchList::Create(std::vector<WatchEntry>{{.name = NameOfLength(253)}}).ok());
  Result<WatchList> long_name = WatchList::Create(std::vector<WatchEntry>{{.name = NameOfLength(254)}});
  ASSERT_FALSE(long_name.ok());
  EXPECT_NE(long_name.status().message().find("253"), std::string::npos) << long_name.status().message();
}

TEST(WatchList, NulInsideANameIsNotTruncated) {
  WatchList list = MustCreate({{.name = "example.com"}});
  EXPECT_FALSE(list.MatchName(std::string_view("example.com\0.evil", 17)).has_value());
  EXPECT_FALSE(list.MatchName(std::string_view("evil\0example.com", 16)).has_value());
  Result<WatchList> bad = WatchList::Create(std::vector<WatchEntry>{{.name = std::string("a\0b.com", 7)}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("NUL"), std::string::npos);
}

// ---- MatchAny and IP addresses ----

TEST(WatchList, MatchAnyReturnsTheFirstMatchingName) {
  WatchList list = MustCreate({{.name = "example.com", .scope = WatchScope::kIncludeSubdomains},
                               {.name = "www.example.org"}});
  std::array<std::string_view, 4> names = {"unrelated.net", "www.example.org", "www.example.com", "example.com"};
  EXPECT_EQ(list.MatchAny(names),
            (WatchMatch{.entry_index = 1, .reason = MatchReason::kSameName, .name_index = 1}));
  std::array<std::string_view, 2> none = {"example.org", "*.example.net"};
  EXPECT_FALSE(list.MatchAny(none).has_value());
  EXPECT_FALSE(list.MatchAny({}).has_value());
}

TEST(WatchList, EmptyListMatchesNothing) {
  WatchList list = MustCreate({});
  EXPECT_EQ(list.size(), 0u);
  EXPECT_FALSE(list.MatchName("example.com").has_value());
  EXPECT_FALSE(list.MatchName("*").has_value());
  const std::array<uint8_t, 4> v4 = {192, 0, 2, 1};
  EXPECT_FALSE(list.MatchIpAddress(v4).has_value());
}

TEST(WatchList, IpAddressesMatchIpAddressSansOnly) {
  WatchList list = MustCreate({{.name = "example.com"},
                               {.name = "192.0.2.1"},
                               {.name = "2001:db8::1"},
                               {.name = "192.0.2.1"}});
  const std::array<uint8_t, 4> v4 = {192, 0, 2, 1};
  const std::array<uint8_t, 4> other_v4 = {192, 0, 2, 2};
  const std::array<uint8_t, 16> v6 = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  const std::array<uint8_t, 16> v4_mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1};
  const std::array<uint8_t, 16> v4_compatible = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1};
  const std::array<uint8_t, 5> five = {192, 0, 2, 1, 0};
  const std::array<uint8_t, 8> name_constraint = {192, 0, 2, 1, 255, 255, 255, 0};

  EXPECT_EQ(list.MatchIpAddress(v4), (WatchMatch{.entry_index = 1, .reason = MatchReason::kSameAddress}))
      << "the lower index of the two duplicates";
  EXPECT_EQ(list.MatchIpAddress(v6), (WatchMatch{.entry_index = 2, .reason = MatchReason::kSameAddress}));
  EXPECT_EQ(list.MatchIpAddress(v4_mapped), (WatchMatch{.entry_index = 1, .reason = MatchReason::kSameAddress}));
  EXPECT_FALSE(list.MatchIpAddress(v4_compatible).has_value());
  EXPECT_FALSE(list.MatchIpAddress(other_v4).has_value());
  EXPECT_FALSE(list.MatchIpAddress(five).has_value());
  EXPECT_FALSE(list.MatchIpAddress(name_constraint).has_value());
  EXPECT_FALSE(list.MatchIpAddress({}).has_value());
  // Text forms of addresses are DNS names here, and never match.
  EXPECT_FALSE(list.MatchName("192.0.2.1").has_value());
  EXPECT_FALSE(list.MatchName("2001:db8::1").has_value());

  std::array<std::span<const uint8_t>, 3> sans = {other_v4, five, v6};
  EXPECT_EQ(list.MatchAnyIpAddress(sans),
            (WatchMatch{.entry_index = 2, .reason = MatchReason::kSameAddress, .name_index = 2}));
}

TEST(ParseIpAddressLiteral, AcceptsOnlyPlainForms) {
  EXPECT_EQ(x509::ParseIpAddressLiteral("192.0.2.1"),
            (x509::IpAddress{.bytes = {192, 0, 2, 1}, .size = 4}));
  EXPECT_EQ(x509::ParseIpAddressLiteral("::1"), (x509::IpAddress{.bytes = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, .size = 16}));
  EXPECT_FALSE(x509::ParseIpAddressLiteral("1.2.3").has_value());
  EXPECT_FALSE(x509::ParseIpAddressLiteral("192.0.2.1/24").has_value());
  EXPECT_FALSE(x509::ParseIpAddressLiteral("[::1]").has_value());
  EXPECT_FALSE(x509::ParseIpAddressLiteral("fe80::1%eth0").has_value());
  EXPECT_FALSE(x509::ParseIpAddressLiteral("example.com").has_value());
  EXPECT_FALSE(x509::ParseIpAddressLiteral("").has_value());
  EXPECT_FALSE(x509::ParseIpAddressLiteral(std::string_view("1.2.3.4\0", 8)).has_value());
}

// ---- Name normalisation ----

TEST(NormalizeCertificateName, LowercasesAsciiOnlyAndDropsOneDot) {
  x509::HostnameBuffer buffer;
  EXPECT_EQ(x509::NormalizeCertificateName("WWW.Example.COM.", buffer), "www.example.com");
  EXPECT_EQ(x509::NormalizeCertificateName("a..", buffer), "a.");
  EXPECT_EQ(x509::NormalizeCertificateName("BÜCHER.example", buffer), "b\xc3\x9c" "cher.example")
      << "bytes >= 0x80 are not case-folded";
  EXPECT_EQ(x509::NormalizeCertificateName("*.Example.com", buffer), "*.example.com");
  EXPECT_FALSE(x509::NormalizeCertificateName("", buffer).has_value());
  EXPECT_FALSE(x509::NormalizeCertificateName(".", buffer).has_value());
  std::optional<std::string_view> out = x509::NormalizeCertificateName("Example.com", buffer);
  ASSERT_TRUE(out.has_value());
  EXPECT_EQ(out->data(), buffer.data()) << "the result aliases the buffer";
}

TEST(NormalizeWatchName, ErrorsSayWhy) {
  Result<std::string> r = x509::NormalizeWatchName("a..b");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kMalformed);
  EXPECT_NE(r.status().message().find("empty label"), std::string::npos);
  EXPECT_EQ(*x509::NormalizeWatchName("xn--80AK6AA92E.com"), "xn--80ak6aa92e.com");
}

// Issue 13: an "xn--" label must be an IDNA2008 A-label, not merely Punycode that decodes.
TEST(NormalizeWatchName, ALabelsMustBeIdna2008) {
  struct Case {
    std::string name;
    std::string want_message;
  };
  const Case cases[] = {
      {"xn--a.com", "A-label \"xn--a\" is not valid IDNA2008 (libidn2: string contains a disallowed character)"},
      {"XN--A.com", "A-label \"xn--a\" is not valid IDNA2008 (libidn2: string contains a disallowed character)"},
      {"xn--invalid-punycode",
       "A-label \"xn--invalid-punycode\" is not valid IDNA2008 (libidn2: string has forbidden bi-directional properties)"},
      {"xn--e-xbb.example", "A-label \"xn--e-xbb\" is not valid IDNA2008: its Unicode form encodes to \"xn--9ca\""},
      {"xn--zz.com", "A-label \"xn--zz\" does not decode: string contains invalid punycode data"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Result<std::string> r = x509::NormalizeWatchName(c.name);
    ASSERT_FALSE(r.ok()) << *r;
    EXPECT_EQ(r.status().code(), Code::kMalformed);
    EXPECT_EQ(r.status().message(), c.want_message);
  }
  // Real IDN, in either form, is unchanged.
  EXPECT_EQ(*x509::NormalizeWatchName("bücher.example"), "xn--bcher-kva.example");
  EXPECT_EQ(*x509::NormalizeWatchName("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(*x509::NormalizeWatchName("XN--BCHER-KVA.Example."), "xn--bcher-kva.example");
  EXPECT_EQ(*x509::NormalizeWatchName("жилфондсервис.рф"), "xn--b1addckdrqixje4a.xn--p1ai");
  EXPECT_EQ(*x509::NormalizeWatchName("xn--b1addckdrqixje4a.xn--p1ai"), "xn--b1addckdrqixje4a.xn--p1ai");
}

// ---- Real certificate names (../shared/testdata/certs/expected.json) ----

class WatchListRealNames : public testing::TestdataTest {};

TEST_F(WatchListRealNames, UnicodeWatchMatchesEveryPunycodeSanOfTheRfCertificate) {
  rapidjson::Document doc;
  std::string text = testing::ReadFileText(Path("certs/expected.json"));
  doc.Parse(text.data(), text.size());
  ASSERT_FALSE(doc.HasParseError());
  WatchList list = MustCreate({{.name = "google.com", .scope = WatchScope::kIncludeSubdomains},
                               {.name = "жилфондсервис.рф", .scope = WatchScope::kIncludeSubdomains}});
  int idn_names = 0;
  bool found_cert = false;
  for (const auto& cert : doc["certificates"].GetArray()) {
    if (std::string_view(cert["file"].GetString()) != "leaf/xn--80aqafgnbi-57-idn-sans.pem") continue;
    found_cert = true;
    for (const auto& name : cert["san_dns_names"].GetArray()) {
      SCOPED_TRACE(name.GetString());
      std::optional<WatchMatch> match = list.MatchName(name.GetString());
      ASSERT_TRUE(match.has_value());
      EXPECT_EQ(match->entry_index, 1u);
      ++idn_names;
    }
  }
  ASSERT_TRUE(found_cert);
  EXPECT_EQ(idn_names, 57);
}

TEST_F(WatchListRealNames, EveryRealSanMatchesAnExactWatchOnItself) {
  rapidjson::Document doc;
  std::string text = testing::ReadFileText(Path("certs/expected.json"));
  doc.Parse(text.data(), text.size());
  ASSERT_FALSE(doc.HasParseError());
  std::vector<std::string> names;
  for (const auto& cert : doc["certificates"].GetArray()) {
    for (const auto& name : cert["san_dns_names"].GetArray()) names.push_back(name.GetString());
  }
  ASSERT_GE(names.size(), 100u);
  // One real SAN has an "xn--" label that is Punycode but not IDNA2008, so it cannot be a watch
  // entry (UnicodeWatchMatchesEveryPunycodeSanOfTheRfCertificate shows that a watch on its
  // parent domain still reports it); every other name can.
  const std::string not_idna = "xn--109-3veba6djs1bfxlfmx6c9g.xn--b1addckdrqixje4a.xn--p1ai";
  Result<std::string> refused = x509::NormalizeWatchName(not_idna);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().message(),
            "A-label \"xn--109-3veba6djs1bfxlfmx6c9g\" is not valid IDNA2008 (libidn2: string contains a disallowed character)");
  std::erase(names, not_idna);
  ASSERT_GE(names.size(), 100u);
  // Wildcards are not watch entries; watch "x.P" for each "*.P" and expect the wildcard to cover it.
  std::vector<WatchEntry> entries;
  for (const std::string& n : names) {
    entries.push_back({.name = n.starts_with("*.") ? "x" + n.substr(1) : n});
  }
  WatchList list = MustCreate(entries);
  for (const std::string& n : names) {
    SCOPED_TRACE(n);
    std::optional<WatchMatch> match = list.MatchName(n);
    ASSERT_TRUE(match.has_value());
    const std::string want = n.starts_with("*.") ? "x" + n.substr(1) : n;
    EXPECT_EQ(list.canonical_name(match->entry_index), want);
    EXPECT_EQ(match->reason, n.starts_with("*.") ? MatchReason::kWildcardCovers : MatchReason::kSameName);
  }
  // And none of them is under a watch on a domain that appears nowhere.
  WatchList unrelated = MustCreate({{.name = "example.invalid", .scope = WatchScope::kIncludeSubdomains}});
  for (const std::string& n : names) EXPECT_FALSE(unrelated.MatchName(n).has_value()) << n;
}

// ---- Size independence: the same answers from a list of 100,000 entries ----

TEST(WatchList, LargeListGivesTheSameAnswers) {
  std::vector<WatchEntry> entries;
  for (int i = 0; i < 100000; ++i) {
    entries.push_back({.name = "host" + std::to_string(i) + ".zone" + std::to_string(i % 977) + ".example",
                       .scope = i % 2 == 0 ? WatchScope::kExactName : WatchScope::kIncludeSubdomains});
  }
  entries.push_back({.name = "api.example.com"});
  WatchList list = MustCreate(entries);
  EXPECT_EQ(list.MatchName("api.example.com"), (WatchMatch{.entry_index = 100000, .reason = MatchReason::kSameName}));
  EXPECT_EQ(list.MatchName("host4242.zone4242.example"), std::nullopt) << "zone is i % 977";
  EXPECT_EQ(list.MatchName("host4242.zone334.example"), (WatchMatch{.entry_index = 4242, .reason = MatchReason::kSameName}));
  EXPECT_EQ(list.MatchName("a.host4243.zone335.example"), (WatchMatch{.entry_index = 4243, .reason = MatchReason::kSubdomain}));
  EXPECT_EQ(list.MatchName("a.host4242.zone334.example"), std::nullopt) << "4242 is exact";
  EXPECT_EQ(list.MatchName("*.zone334.example"), (WatchMatch{.entry_index = 334, .reason = MatchReason::kWildcardCovers}))
      << "lowest index one label below zone334.example";
  EXPECT_EQ(list.MatchName("www.example.com"), std::nullopt);
  for (int i = 0; i < 100000; i += 997) {
    const std::string name = "host" + std::to_string(i) + ".zone" + std::to_string(i % 977) + ".example";
    std::optional<WatchMatch> match = list.MatchName(name);
    ASSERT_TRUE(match.has_value()) << name;
    EXPECT_EQ(match->entry_index, static_cast<uint32_t>(i));
  }
}

}  // namespace
}  // namespace pinwatch::watch
