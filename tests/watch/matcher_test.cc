#include "watch/matcher.h"

#include <gtest/gtest.h>

#include "tests/x509/cert_test_util.h"

namespace pinwatch::watch {
namespace {

using testing::PemCertificate;

WatchList Watch(std::initializer_list<WatchEntry> entries) {
  auto w = WatchList::Create(std::vector<WatchEntry>(entries));
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return std::move(*w);
}

ctlog::LogEntry X509Entry(Bytes der) {
  ctlog::LogEntry e;
  e.timestamped_entry.entry_type = ctlog::LogEntryType::kX509Entry;
  e.timestamped_entry.certificate = der;
  return e;
}

ctlog::LogEntry PrecertEntry(Bytes tbs) {
  ctlog::LogEntry e;
  e.timestamped_entry.entry_type = ctlog::LogEntryType::kPrecertEntry;
  e.timestamped_entry.tbs_certificate = tbs;
  return e;
}

class MatcherTest : public pinwatch::testing::TestdataTest {};

TEST_F(MatcherTest, WildcardCertificateConcernsAWatchedHost) {
  const auto der = PemCertificate(Path("certs/leaf/google.com-wildcard-44-sans.pem"));
  WatchList watch = Watch({{.name = "unrelated.example"}, {.name = "mail.google.com"}});
  Matcher matcher(watch);
  auto m = matcher.Match(X509Entry(der));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->watch.entry_index, 1u);
  EXPECT_EQ(m->watch.reason, MatchReason::kWildcardCovers);
  EXPECT_EQ(m->certificate_name, "*.google.com");
  EXPECT_FALSE(m->malformed);
  EXPECT_EQ(matcher.counters().matched, 1u);
}

TEST_F(MatcherTest, PrecertTbsIsMatchedBySubdomainWatch) {
  const auto der = PemCertificate(Path("certs/leaf/backup.velia.net-wildcard-precert.pem"));
  auto cert = x509::ParseCertificate(der);
  ASSERT_TRUE(cert.ok()) << cert.status().ToString();
  WatchList watch = Watch({{.name = "VELIA.net.", .scope = WatchScope::kIncludeSubdomains}});
  Matcher matcher(watch);
  auto m = matcher.Match(PrecertEntry(cert->tbs.tlv));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->watch.reason, MatchReason::kSubdomain);
}

TEST_F(MatcherTest, CommonNameOnlyCertificateMatchesOnItsCn) {
  const auto der = PemCertificate(Path("certs/leaf/cn-only-no-san.pem"));
  auto cert = x509::ParseCertificate(der);
  ASSERT_TRUE(cert.ok());
  std::string cn;
  for (const auto& v : cert->tbs.SubjectCommonNames()) cn.assign(v.value.begin(), v.value.end());
  ASSERT_FALSE(cn.empty());
  WatchList watch = Watch({{.name = cn}});
  Matcher matcher(watch);
  auto m = matcher.Match(X509Entry(der));
  ASSERT_TRUE(m.has_value()) << cn;
  EXPECT_EQ(m->certificate_name, cn);
}

TEST_F(MatcherTest, NotOursIsNulloptAndCounted) {
  const auto der = PemCertificate(Path("certs/leaf/google.com-wildcard-44-sans.pem"));
  WatchList watch = Watch({{.name = "example.com", .scope = WatchScope::kIncludeSubdomains}});
  Matcher matcher(watch);
  EXPECT_FALSE(matcher.Match(X509Entry(der)).has_value());
  EXPECT_EQ(matcher.counters().entries, 1u);
  EXPECT_EQ(matcher.counters().matched, 0u);
  EXPECT_EQ(matcher.counters().unparseable, 0u);
}

// A certificate the strict parser refuses may still name a watched domain: it is matched by
// the best-effort walk and flagged malformed with the parse error, never dropped.
TEST_F(MatcherTest, BrokenCertificateStillMatchesAndIsMarkedMalformed) {
  auto der = PemCertificate(Path("certs/leaf/google.com-wildcard-44-sans.pem"));
  der.resize(der.size() - 40);  // cut into the signature: strict parsing fails
  WatchList watch = Watch({{.name = "www.youtube.com"}});
  Matcher matcher(watch);
  auto m = matcher.Match(X509Entry(der));
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->malformed);
  EXPECT_FALSE(m->parse_error.empty());
  EXPECT_EQ(matcher.counters().unparseable, 1u);
  // The same broken certificate without a watched name is counted, not matched.
  WatchList other = Watch({{.name = "example.org"}});
  Matcher none(other);
  EXPECT_FALSE(none.Match(X509Entry(der)).has_value());
  EXPECT_EQ(none.counters().unparseable, 1u);
}

// Hostile sizes (issue 19): certificates with thousands of names. No name is dropped (a cap
// would let a certificate hide a watched name behind junk ones); each name costs a lookup
// and O(1) bookkeeping, and the answer lists each watch entry once.

// TbsWithDnsNames is a TBSCertificate (tests/x509/cert_test_util.h) whose SAN holds `names`
// as dNSNames, in order.
std::vector<uint8_t> TbsWithDnsNames(const std::vector<std::string>& names) {
  using pinwatch::testing::Raw;
  using pinwatch::testing::Tlv;
  namespace der = x509::der;
  std::vector<uint8_t> general_names;
  for (const std::string& name : names) {
    const auto tlv = Tlv(x509::kGeneralNameDns, {Raw(name)});
    general_names.insert(general_names.end(), tlv.begin(), tlv.end());
  }
  pinwatch::testing::TbsParts parts;
  parts.san = Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x1d, 0x11}}),
                                   Tlv(der::kOctetString, {Tlv(der::kSequence, {general_names})})});
  parts.extensions = Tlv(0xa3, {Tlv(der::kSequence, {parts.san})});
  return parts.Build();
}

std::vector<std::string> NumberedNames(size_t count, const std::string& suffix) {
  std::vector<std::string> names;
  for (size_t i = 0; i < count; ++i) names.push_back("n" + std::to_string(i) + suffix);
  return names;
}

TEST(Matcher, TwentyThousandWatchedNamesTwiceEachAreReportedOnceInOrder) {
  constexpr size_t kNames = 20'000;
  const std::vector<std::string> names = NumberedNames(kNames, ".example");
  std::vector<WatchEntry> entries;
  for (size_t i = kNames; i-- > 0;) entries.push_back({.name = names[i]});  // entry index = kNames-1-i
  auto watch = WatchList::Create(entries);
  ASSERT_TRUE(watch.ok()) << watch.status().ToString();
  std::vector<std::string> twice = names;
  twice.insert(twice.end(), names.begin(), names.end());
  const std::vector<uint8_t> tbs = TbsWithDnsNames(twice);

  auto parsed = x509::ParseTbsCertificate(tbs);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->san_dns_name_count, 2 * kNames);
  Matcher matcher(*watch);
  auto m = matcher.Match(PrecertEntry(tbs));
  ASSERT_TRUE(m.has_value());
  EXPECT_FALSE(m->malformed);
  EXPECT_EQ(m->certificate_name, "n0.example");
  ASSERT_EQ(m->entries.size(), kNames);
  for (size_t i = 0; i < kNames; ++i) ASSERT_EQ(m->entries[i], kNames - 1 - i) << i;
}

TEST(Matcher, AWatchedNameAfterTwentyThousandOthersIsFound) {
  std::vector<std::string> names = NumberedNames(20'000, ".junk.example");
  names.push_back("login.mybank.test");
  WatchList watch = Watch({{.name = "mybank.test", .scope = WatchScope::kIncludeSubdomains}});
  std::vector<uint8_t> tbs = TbsWithDnsNames(names);
  Matcher matcher(watch);
  auto m = matcher.Match(PrecertEntry(tbs));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->certificate_name, "login.mybank.test");
  EXPECT_EQ(m->entries, std::vector<uint32_t>{0});
  // The same certificate broken (a byte after the TBS): the best-effort walk goes as far.
  tbs.push_back(0);
  auto broken = matcher.Match(PrecertEntry(tbs));
  ASSERT_TRUE(broken.has_value());
  EXPECT_TRUE(broken->malformed);
  EXPECT_EQ(broken->certificate_name, "login.mybank.test");
  size_t walked = 0;
  x509::WalkNamesBestEffort(tbs, [&walked](const x509::FoundName&) { ++walked; });
  EXPECT_EQ(walked, names.size() + 2);  // and the subject's two commonNames
}

TEST(Matcher, UnreadableEntryIsCounted) {
  WatchList watch = Watch({{.name = "example.com"}});
  Matcher matcher(watch);
  ctlog::LogEntry e;
  e.status = MalformedError("leaf_input: truncated");
  EXPECT_FALSE(matcher.Match(e).has_value());
  EXPECT_EQ(matcher.counters().unreadable, 1u);
}

}  // namespace
}  // namespace pinwatch::watch
