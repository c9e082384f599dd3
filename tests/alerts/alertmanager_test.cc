// The alerts pinwatch posts, as Alertmanager's v2 API reads them: labels, annotations,
// times and the POST body.
#include "alerts/alertmanager.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/pin.h"

namespace pinwatch::alerts {
namespace {

db::Finding CertificateFinding() {
  db::Finding f;
  f.id = 42;
  f.kind = db::FindingKind::kUnexpectedIssuer;
  f.severity = db::Severity::kCritical;
  f.watched = "mybank.test";
  f.reason = "issuer key sha256/x is not in allowed_issuers of mybank.test";
  db::CertificateRecord c;
  c.dns_names = {"login.mybank.test"};
  for (int i = 0; i < 30; ++i) c.dns_names.push_back("n" + std::to_string(i) + ".mybank.test");
  c.issuer = "CN=Rogue CA";
  c.subject = "CN=login.mybank.test";
  c.spki_sha256 = ctlog::Hash{};
  c.issuer_spki_sha256 = ctlog::Hash{1};
  c.not_before_unix_s = 1'735'689'600;  // 2025-01-01
  c.not_after_unix_s = 1'743'465'600;   // 2025-04-01
  c.serial = "0A";
  f.certificate = c;
  f.entries = {{.log_description = "Log A", .index = 7, .entry_type = "precert", .timestamp_ms = 1'735'689'600'123, .verified = true},
               {.log_description = "Log B", .index = 9, .entry_type = "x509", .timestamp_ms = 1'735'689'601'000, .verified = false}};
  return f;
}

TEST(AlertOf, CertificateFindingLabelsAndAnnotations) {
  const PostableAlert a = AlertOf(CertificateFinding(), 1'700'000'000'000, 1'700'000'240'000, "https://pw.example");
  EXPECT_EQ(a.labels, (std::map<std::string, std::string>{{"alertname", "PinwatchUnexpectedIssuer"},
                                                          {"severity", "critical"},
                                                          {"watched", "mybank.test"},
                                                          {"finding_id", "42"}}));
  EXPECT_EQ(a.annotations.at("summary"), "Certificate for login.mybank.test issued by an unexpected CA (CN=Rogue CA)");
  const std::string& d = a.annotations.at("description");
  EXPECT_NE(d.find("Issuer: CN=Rogue CA"), std::string::npos) << d;
  EXPECT_NE(d.find("Key: " + PinText(ctlog::Hash{})), std::string::npos) << d;
  EXPECT_NE(d.find("Valid: 2025-01-01T00:00:00Z to 2025-04-01T00:00:00Z"), std::string::npos) << d;
  EXPECT_NE(d.find("Log A #7 (precert, 2025-01-01T00:00:00.123Z, verified)"), std::string::npos) << d;
  EXPECT_NE(d.find("Log B #9 (x509, 2025-01-01T00:00:01.000Z, NOT YET VERIFIED"), std::string::npos) << d;
  EXPECT_NE(d.find("n18.mybank.test and 11 more"), std::string::npos) << d;  // 31 names, 20 shown
  EXPECT_EQ(a.generator_url, "https://pw.example/findings/42");
}

TEST(AlertOf, EveryKindHasItsAlertname) {
  EXPECT_EQ(AlertNameOf(db::FindingKind::kUnexpectedIssuer), "PinwatchUnexpectedIssuer");
  EXPECT_EQ(AlertNameOf(db::FindingKind::kUnexpectedKey), "PinwatchUnexpectedKey");
  EXPECT_EQ(AlertNameOf(db::FindingKind::kMalformed), "PinwatchMalformedCertificate");
  EXPECT_EQ(AlertNameOf(db::FindingKind::kLogMisbehaviour), "PinwatchLogMisbehaviour");
  EXPECT_EQ(AlertNameOf(db::FindingKind::kKnownKey), "PinwatchKnownKey");
}

TEST(AlertOf, MisbehaviourNamesItsLog) {
  db::Finding f;
  f.id = 3;
  f.kind = db::FindingKind::kLogMisbehaviour;
  f.severity = db::Severity::kCritical;
  f.reason = "root_mismatch: the entries hash to another root";
  f.log_description = "Example Log 2026h1";
  f.evidence_json = R"({"misbehaviour":"root_mismatch"})";
  const PostableAlert a = AlertOf(f, 0, 1000, "");
  EXPECT_EQ(a.labels.at("log"), "Example Log 2026h1");
  EXPECT_EQ(a.labels.count("watched"), 0u);
  EXPECT_EQ(a.annotations.at("summary"), "CT log Example Log 2026h1 misbehaved: " + f.reason);
  EXPECT_NE(a.annotations.at("description").find(f.evidence_json), std::string::npos);
  EXPECT_EQ(a.generator_url, "");  // no external_url: left out
}

TEST(AlertsJson, IsWhatTheV2ApiTakes) {
  const PostableAlert alerts[] = {AlertOf(CertificateFinding(), 1'700'000'000'000, 1'700'000'240'500, "http://pw"),
                                  TestAlertOf("mybank.test", "warning", "replica-1", 1'700'000'000'000,
                                              1'700'000'240'000, "")};
  const std::string json = AlertsJson(alerts);
  rapidjson::Document doc;
  doc.Parse(json.c_str());
  ASSERT_TRUE(doc.IsArray()) << json;
  ASSERT_EQ(doc.Size(), 2u);
  EXPECT_STREQ(doc[0]["startsAt"].GetString(), "2023-11-14T22:13:20.000Z");
  EXPECT_STREQ(doc[0]["endsAt"].GetString(), "2023-11-14T22:17:20.500Z");
  EXPECT_STREQ(doc[0]["generatorURL"].GetString(), "http://pw/findings/42");
  EXPECT_STREQ(doc[0]["labels"]["finding_id"].GetString(), "42");
  EXPECT_TRUE(doc[0]["annotations"]["description"].IsString());
  EXPECT_STREQ(doc[1]["labels"]["alertname"].GetString(), "PinwatchTest");
  EXPECT_FALSE(doc[1].HasMember("generatorURL"));
}

}  // namespace
}  // namespace pinwatch::alerts
