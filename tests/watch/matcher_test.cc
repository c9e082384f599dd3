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
