// pinreports::Explain, rule by rule: each case changes one fact of a report and checks the
// verdict, its reason and what it rests on.
#include "pinreports/explain.h"

#include <gtest/gtest.h>

namespace pinwatch::pinreports {
namespace {

Hash Key(uint8_t b) {
  Hash h{};
  h.fill(b);
  return h;
}

// A parsed leaf for www.mybank.test that pinwatch never saw, whose chain reaches no
// accepted root: the interceptor's case, from which each test moves one fact.
ReportFacts Intercepted() {
  return {.hostname = "www.mybank.test",
          .leaf_parsed = true,
          .leaf_spki = Key(7),
          .reaches_accepted_root = false,
          .root_reason = "chain ends at CN=Inspection CA"};
}

TEST(ExplainTest, ALeafNotInCtWhoseChainReachesNoAcceptedRootIsInterception) {
  Explanation e = Explain(Intercepted());
  EXPECT_EQ(e.classification, Classification::kInterception);
  EXPECT_NE(e.reason.find("CN=Inspection CA"), std::string::npos) << e.reason;
  EXPECT_FALSE(e.certificate_id);
  EXPECT_FALSE(e.escalated_finding_id);
}

TEST(ExplainTest, AKeyCtShowedFromAnAllowedCaIsAStalePinset) {
  ReportFacts f = Intercepted();
  f.reaches_accepted_root = true;
  f.same_key_from_allowed_ca = CtCertificate{.certificate_id = 42, .issuer_allowed = true};
  Explanation e = Explain(f);
  EXPECT_EQ(e.classification, Classification::kStalePinset);
  EXPECT_EQ(e.certificate_id, 42);
  EXPECT_NE(e.reason.find("sha256/BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc="), std::string::npos) << e.reason;
  // The certificate itself, from an allowed CA, says the same.
  f.same_key_from_allowed_ca.reset();
  f.same_certificate = CtCertificate{.certificate_id = 43, .issuer_allowed = true};
  e = Explain(f);
  EXPECT_EQ(e.classification, Classification::kStalePinset);
  EXPECT_EQ(e.certificate_id, 43);
}

TEST(ExplainTest, ACertificateReportedAsUnexpectedIssuerIsServedAndEscalated) {
  ReportFacts f = Intercepted();
  f.same_certificate = CtCertificate{.certificate_id = 9, .unexpected_issuer_finding_id = 17};
  // Even with a known pin in the chain or the key also seen from an allowed CA: a rogue
  // certificate reaching users outranks everything.
  f.chain_holds_a_known_pin = true;
  f.same_key_from_allowed_ca = CtCertificate{.certificate_id = 10, .issuer_allowed = true};
  Explanation e = Explain(f);
  EXPECT_EQ(e.classification, Classification::kUnexpectedIssuerServed);
  EXPECT_EQ(e.certificate_id, 9);
  EXPECT_EQ(e.escalated_finding_id, 17);
  EXPECT_NE(e.reason.find("finding 17"), std::string::npos) << e.reason;
}

TEST(ExplainTest, AChainHoldingAKnownPinIsNotAPinFailure) {
  ReportFacts f = Intercepted();
  f.chain_holds_a_known_pin = true;
  f.same_key_from_allowed_ca = CtCertificate{.certificate_id = 42, .issuer_allowed = true};
  Explanation e = Explain(f);
  EXPECT_EQ(e.classification, Classification::kUnknown);
  EXPECT_NE(e.reason.find("known pins"), std::string::npos) << e.reason;
}

TEST(ExplainTest, ANotLoggedLeafThatReachesAnAcceptedRootIsUnknownNotInterception) {
  ReportFacts f = Intercepted();
  f.reaches_accepted_root = true;
  f.root_reason = "certificate 2 is the accepted root CN=Real Root";
  Explanation e = Explain(f);
  EXPECT_EQ(e.classification, Classification::kUnknown);
  EXPECT_NE(e.reason.find("CN=Real Root"), std::string::npos) << e.reason;
}

TEST(ExplainTest, ALoggedCertificateNoFindingJudgedIsUnknown) {
  ReportFacts f = Intercepted();
  f.same_certificate = CtCertificate{.certificate_id = 5};
  Explanation e = Explain(f);
  EXPECT_EQ(e.classification, Classification::kUnknown);
  EXPECT_EQ(e.certificate_id, 5);
}

TEST(ExplainTest, AnUnparseableLeafIsUnknownWithTheParseError) {
  ReportFacts f = Intercepted();
  f.leaf_parsed = false;
  f.leaf_error = "certificate: truncated";
  Explanation e = Explain(f);
  EXPECT_EQ(e.classification, Classification::kUnknown);
  EXPECT_NE(e.reason.find("certificate: truncated"), std::string::npos) << e.reason;
}

TEST(ExplainTest, ClassificationNamesAreTheStoredOnes) {
  EXPECT_EQ(ClassificationName(Classification::kStalePinset), "stale_pinset");
  EXPECT_EQ(ClassificationName(Classification::kUnexpectedIssuerServed), "unexpected_issuer_served");
  EXPECT_EQ(ClassificationName(Classification::kInterception), "interception");
  EXPECT_EQ(ClassificationName(Classification::kUnknown), "unknown");
}

}  // namespace
}  // namespace pinwatch::pinreports
