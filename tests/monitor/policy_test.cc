// Judge over a table of watch rules and identities, and the finding vocabulary's text forms.
#include "monitor/policy.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "base/pin.h"

namespace pinwatch::monitor {
namespace {

Hash Key(uint8_t n) {
  Hash h{};
  h.fill(n);
  return h;
}

x509::CertIdentity Identity(std::optional<Hash> issuer, Hash leaf) {
  x509::CertIdentity id;
  id.issuer_spki_sha256 = issuer;
  id.issuer_utf8 = "CN=Test CA";
  id.spki_sha256 = leaf;
  id.spki_sha256_pin = PinText(leaf);
  return id;
}

const Hash kOurCa = Key(1), kOtherCa = Key(2), kOurLeaf = Key(3), kNewLeaf = Key(4);

struct Case {
  const char* what;
  std::optional<std::vector<Hash>> allowed_issuers;
  std::vector<Hash> known_keys;
  std::optional<Hash> issuer;
  Hash leaf;
  FindingKind want;
  std::string reason_names;  // a piece the reason must contain
};

TEST(Judge, TableOfRulesAndIdentities) {
  const Case cases[] = {
      {"any issuer, known key", std::nullopt, {kOurLeaf}, kOtherCa, kOurLeaf, FindingKind::kKnownKey,
       PinText(kOurLeaf) + " is in known_keys of api.example.com"},
      {"any issuer, new key", std::nullopt, {kOurLeaf}, kOtherCa, kNewLeaf, FindingKind::kUnexpectedKey,
       PinText(kNewLeaf) + " is not in known_keys"},
      {"any issuer, no known keys", std::nullopt, {}, kOurCa, kOurLeaf, FindingKind::kUnexpectedKey,
       PinText(kOurLeaf)},
      {"allowed issuer, known key", std::vector<Hash>{kOurCa}, {kOurLeaf}, kOurCa, kOurLeaf,
       FindingKind::kKnownKey, "known_keys"},
      {"allowed issuer, new key", std::vector<Hash>{kOurCa}, {kOurLeaf}, kOurCa, kNewLeaf,
       FindingKind::kUnexpectedKey, PinText(kNewLeaf)},
      {"issuer not allowed, even with our key", std::vector<Hash>{kOurCa}, {kOurLeaf}, kOtherCa, kOurLeaf,
       FindingKind::kUnexpectedIssuer, PinText(kOtherCa) + " (CN=Test CA) is not in allowed_issuers"},
      {"one of several allowed", std::vector<Hash>{kOtherCa, kOurCa}, {kOurLeaf}, kOurCa, kOurLeaf,
       FindingKind::kKnownKey, "known_keys"},
      {"empty allowed list: no issuer may issue", std::vector<Hash>{}, {kOurLeaf}, kOurCa, kOurLeaf,
       FindingKind::kUnexpectedIssuer, "allowed_issuers of api.example.com"},
      {"issuer unknown, any issuer allowed", std::nullopt, {kOurLeaf}, std::nullopt, kOurLeaf,
       FindingKind::kUnexpectedIssuer, "issuer key unknown"},
      {"issuer unknown, list configured", std::vector<Hash>{kOurCa}, {kOurLeaf}, std::nullopt, kOurLeaf,
       FindingKind::kUnexpectedIssuer, "cannot be shown to be allowed for api.example.com"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    const WatchRule rule{.name = "api.example.com", .allowed_issuers = c.allowed_issuers, .known_keys = c.known_keys};
    const Verdict v = Judge(rule, Identity(c.issuer, c.leaf));
    EXPECT_EQ(v.kind, c.want) << FindingKindName(v.kind);
    EXPECT_NE(v.reason.find(c.reason_names), std::string::npos) << v.reason;
  }
}

TEST(FindingVocabulary, NamesRoundTripAndSeveritiesAreFixed) {
  for (FindingKind k : {FindingKind::kUnexpectedIssuer, FindingKind::kUnexpectedKey, FindingKind::kKnownKey,
                        FindingKind::kMalformed, FindingKind::kLogMisbehaviour}) {
    EXPECT_EQ(db::FindingKindFromName(FindingKindName(k)), k);
  }
  for (Severity s : {Severity::kInfo, Severity::kWarning, Severity::kCritical}) {
    EXPECT_EQ(db::SeverityFromName(SeverityName(s)), s);
  }
  for (db::FindingStatus s : {db::FindingStatus::kOpen, db::FindingStatus::kAcknowledged, db::FindingStatus::kResolved}) {
    EXPECT_EQ(db::FindingStatusFromName(db::FindingStatusName(s)), s);
  }
  EXPECT_EQ(db::FindingKindFromName("Unexpected_Key"), std::nullopt);
  EXPECT_EQ(db::SeverityFromName(""), std::nullopt);
  // The severities the README documents; alerts (next) filter on them.
  EXPECT_EQ(SeverityOf(FindingKind::kUnexpectedIssuer), Severity::kCritical);
  EXPECT_EQ(SeverityOf(FindingKind::kLogMisbehaviour), Severity::kCritical);
  EXPECT_EQ(SeverityOf(FindingKind::kUnexpectedKey), Severity::kWarning);
  EXPECT_EQ(SeverityOf(FindingKind::kMalformed), Severity::kWarning);
  EXPECT_EQ(SeverityOf(FindingKind::kKnownKey), Severity::kInfo);
  EXPECT_LT(Severity::kInfo, Severity::kWarning);
  EXPECT_LT(Severity::kWarning, Severity::kCritical);
}

}  // namespace
}  // namespace pinwatch::monitor
