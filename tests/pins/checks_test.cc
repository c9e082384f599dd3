// The safety checks (pins/checks.h) and the matching rules they rest on (pins/matching.h).
// Every test builds its certificates inline with Cert(): keys are SHA-256 of a label, and
// validity is in days relative to kNow, so each case reads as "a certificate for these names
// with this leaf, this issuer, valid until then".
#include "pins/checks.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

#include "base/pin.h"
#include "base/sha256.h"
#include "base/time.h"
#include "db/pin_store.h"
#include "tests/pins/cert_facts.h"
#include "pins/matching.h"
#include "pins/pinset.h"

namespace pinwatch::pins {
namespace {

using testing::Cert;
using testing::CertSpec;
using testing::kDay;
using testing::kNow;
using testing::Key;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;



std::vector<Hash> Keys(std::initializer_list<std::string_view> labels) {
  std::vector<Hash> out;
  for (std::string_view l : labels) out.push_back(Key(l));
  return out;
}

PinsetPolicy Policy() {
  return PinsetPolicy{.name = "app", .names = {"api.example.com"}, .min_pins = 2, .expiry_days = 60};
}

PinsetNames Names(std::vector<std::string> names, bool include_subdomains = false) {
  Result<PinsetNames> n = PinsetNames::Create(names, include_subdomains);
  EXPECT_TRUE(n.ok()) << n.status().message();
  return *std::move(n);
}

// Named returns the check called `name`; a test that asks for a missing one fails.
Check Named(const std::vector<Check>& checks, std::string_view name) {
  for (const Check& c : checks) {
    if (c.name == name) return c;
  }
  ADD_FAILURE() << "no check named " << name;
  return {};
}

// ChecksFor computes the checks for the change before -> after for the pin-set on api.example.com.
std::vector<Check> ChecksFor(const std::vector<Hash>& before, const std::vector<Hash>& after,
                             const std::vector<db::CertificateFacts>& certs, const PinsetPolicy& policy = Policy()) {
  return SafetyChecks(policy, Names({"api.example.com"}), before, after, certs, kNow);
}

// ---- PinsAfter ----

TEST(ChecksPinsAfterTest, AddSortsAndDeduplicates) {
  std::vector<Hash> before = Keys({"b", "a"});
  std::vector<Hash> want = Keys({"a", "b", "c"});
  std::sort(want.begin(), want.end());
  EXPECT_EQ(PinsAfter(before, db::ProposalAction::kAdd, Key("c")), want);

  std::vector<Hash> same = Keys({"a", "b"});
  std::sort(same.begin(), same.end());
  EXPECT_EQ(PinsAfter(before, db::ProposalAction::kAdd, Key("a")), same);
}

TEST(ChecksPinsAfterTest, RemoveDropsThePinOnly) {
  EXPECT_EQ(PinsAfter(Keys({"a", "b"}), db::ProposalAction::kRemove, Key("a")), Keys({"b"}));
  std::vector<Hash> both = Keys({"a", "b"});
  std::sort(both.begin(), both.end());
  EXPECT_EQ(PinsAfter(Keys({"b", "a"}), db::ProposalAction::kRemove, Key("absent")), both);
}

// ---- SafetyChecks: the set of checks ----

TEST(ChecksTest, ASafeChangeHasEveryCheckInOrderAndAllPass) {
  // The valid certificate's leaf is pinned, plus a backup; adding another backup is safe.
  std::vector<Hash> before = Keys({"leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kAdd, Key("backup2"));
  std::vector<Check> checks = ChecksFor(before, after, {Cert({})});
  std::vector<std::string> names;
  for (const Check& c : checks) names.push_back(c.name);
  EXPECT_THAT(names,
              ElementsAre("min_pins", "backup_pin", "valid_certificates_pinned", "no_unexpected_issuer_key", "expiry"));
  EXPECT_TRUE(AllPass(checks)) << FailedChecks(checks);
  EXPECT_EQ(FailedChecks(checks), "");
}

// ---- min_pins ----

TEST(ChecksTest, MinPinsFailsBelowTheLimit) {
  PinsetPolicy policy = Policy();
  policy.min_pins = 3;
  std::vector<Check> checks = ChecksFor(Keys({"leaf", "backup"}), Keys({"leaf", "backup"}), {Cert({})}, policy);
  Check c = Named(checks, "min_pins");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.detail, "2 pins, at least 3 needed");
  EXPECT_FALSE(AllPass(checks));
  EXPECT_THAT(FailedChecks(checks), HasSubstr("min_pins: 2 pins, at least 3 needed"));
}

TEST(ChecksTest, MinPinsPassesAtTheLimit) {
  PinsetPolicy policy = Policy();
  policy.min_pins = 3;
  std::vector<Check> checks =
      ChecksFor(Keys({"leaf", "backup"}), Keys({"leaf", "backup", "backup2"}), {Cert({})}, policy);
  Check c = Named(checks, "min_pins");
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.detail, "3 pins, at least 3 needed");
}

TEST(ChecksTest, MinPinsCountsOnePinInTheSingular) {
  PinsetPolicy policy = Policy();
  policy.min_pins = 1;
  Check c = Named(ChecksFor(Keys({"backup"}), Keys({"backup"}), {}, policy), "min_pins");
  EXPECT_TRUE(c.ok);
  EXPECT_EQ(c.detail, "1 pin, at least 1 needed");
}

// ---- backup_pin ----

TEST(ChecksTest, BackupPinFailsWhenEveryPinIsLive) {
  // The leaf and its issuer are both in the chain of the one valid certificate.
  Check c = Named(ChecksFor(Keys({"leaf", "ca1"}), Keys({"leaf", "ca1"}), {Cert({})}), "backup_pin");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.detail, HasSubstr("add a backup"));
}

TEST(ChecksTest, BackupPinFailsWhenEveryPinIsLiveThroughTheRoot) {
  Check c = Named(ChecksFor(Keys({"leaf", "root"}), Keys({"leaf", "root"}), {Cert({})}), "backup_pin");
  EXPECT_FALSE(c.ok);
}

TEST(ChecksTest, BackupPinPassesWithAPinInNoValidChain) {
  Check c = Named(ChecksFor(Keys({"leaf", "backup"}), Keys({"leaf", "backup"}), {Cert({})}), "backup_pin");
  EXPECT_TRUE(c.ok);
  EXPECT_THAT(c.detail, HasSubstr("1 pin in no valid certificate's chain"));
  EXPECT_THAT(c.detail, HasSubstr(PinText(Key("backup"))));
}

TEST(ChecksTest, BackupPinCountsAnExpiredCertificatesKeyAsABackup) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2,
            .leaf = "old-leaf",
            .issuer = "old-ca",
            .root = "old-root",
            .not_before_days = -400,
            .not_after_days = -10}),
  };
  Check c = Named(ChecksFor(Keys({"leaf", "old-leaf"}), Keys({"leaf", "old-leaf"}), certs), "backup_pin");
  EXPECT_TRUE(c.ok) << c.detail;
  EXPECT_THAT(c.detail, HasSubstr(PinText(Key("old-leaf"))));
}

TEST(ChecksTest, BackupPinCountsANotYetValidCertificatesKeyAsABackup) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2, .leaf = "future-leaf", .not_before_days = 2, .not_after_days = 90}),
  };
  Check c = Named(ChecksFor(Keys({"leaf", "future-leaf"}), Keys({"leaf", "future-leaf"}), certs), "backup_pin");
  EXPECT_TRUE(c.ok) << c.detail;
}

TEST(ChecksTest, BackupPinIgnoresCertificatesForOtherNames) {
  // "other-leaf" is in a valid chain, but for a name the pin-set does not cover.
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2, .names = {"www.example.org"}, .leaf = "other-leaf", .issuer = "other-ca", .root = ""}),
  };
  Check c = Named(ChecksFor(Keys({"leaf", "other-leaf"}), Keys({"leaf", "other-leaf"}), certs), "backup_pin");
  EXPECT_TRUE(c.ok) << c.detail;
  EXPECT_THAT(c.detail, HasSubstr(PinText(Key("other-leaf"))));
}

TEST(ChecksTest, BackupPinIgnoresUnparsedCertificates) {
  std::vector<db::CertificateFacts> certs = {Cert({.id = 1}), Cert({.id = 2, .leaf = "raw-leaf", .parsed = false})};
  Check c = Named(ChecksFor(Keys({"leaf", "raw-leaf"}), Keys({"leaf", "raw-leaf"}), certs), "backup_pin");
  EXPECT_TRUE(c.ok) << c.detail;
}

TEST(ChecksTest, BackupPinJudgesTheSetAfterTheChange) {
  // Before: the backup is there. After removing it, every pin is live.
  std::vector<Hash> before = Keys({"leaf", "ca1", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("backup"));
  EXPECT_TRUE(Named(ChecksFor(before, before, {Cert({})}), "backup_pin").ok);
  EXPECT_FALSE(Named(ChecksFor(before, after, {Cert({})}), "backup_pin").ok);
}

// ---- valid_certificates_pinned ----

TEST(ChecksTest, RemovingTheOnlyPinOfAValidCertificateFails) {
  std::vector<Hash> before = Keys({"leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("leaf"));
  std::vector<Check> checks = ChecksFor(before, after, {Cert({.id = 7})});
  Check c = Named(checks, "valid_certificates_pinned");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.detail, HasSubstr("certificate 7"));
  EXPECT_THAT(c.detail, HasSubstr(PinText(Key("leaf"))));
  EXPECT_THAT(c.detail, HasSubstr(FormatRfc3339(kNow + 60 * kDay)));
  EXPECT_THAT(FailedChecks(checks), HasSubstr("valid_certificates_pinned: the change unpins 1 valid certificate"));
}

TEST(ChecksTest, RemovingALeafPinPassesWhileItsIssuerIsPinned) {
  std::vector<Hash> before = Keys({"leaf", "ca1", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("leaf"));
  Check c = Named(ChecksFor(before, after, {Cert({.id = 7})}), "valid_certificates_pinned");
  EXPECT_TRUE(c.ok) << c.detail;
  EXPECT_THAT(c.detail, HasSubstr("1 valid certificate from allowed issuers pinned now"));
}

TEST(ChecksTest, RemovingAPinOnlyAnExpiredCertificateUsesPasses) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2,
            .leaf = "old-leaf",
            .issuer = "old-ca",
            .root = "",
            .not_before_days = -400,
            .not_after_days = -10}),
  };
  std::vector<Hash> before = Keys({"leaf", "old-leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("old-leaf"));
  Check c = Named(ChecksFor(before, after, certs), "valid_certificates_pinned");
  EXPECT_TRUE(c.ok) << c.detail;
}

TEST(ChecksTest, AValidCertificateNotPinnedBeforeDoesNotFail) {
  // Two new keys appear at once; adding the first must not be blocked by the second,
  // which neither set pins.
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2, .leaf = "new-a", .issuer = "ca2", .root = "root2"}),
      Cert({.id = 3, .leaf = "new-b", .issuer = "ca2", .root = "root2"}),
  };
  std::vector<Hash> before = Keys({"leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kAdd, Key("new-a"));
  std::vector<Check> checks = ChecksFor(before, after, certs);
  Check c = Named(checks, "valid_certificates_pinned");
  EXPECT_TRUE(c.ok) << c.detail;
  EXPECT_THAT(c.detail, HasSubstr("1 valid certificate from allowed issuers"));
  EXPECT_TRUE(AllPass(checks)) << FailedChecks(checks);
}

TEST(ChecksTest, UnpinningACertificateFromANotAllowedIssuerDoesNotFail) {
  // Only certificates from allowed issuers must stay pinned.
  std::vector<Hash> before = Keys({"leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("leaf"));
  EXPECT_TRUE(Named(ChecksFor(before, after, {Cert({.id = 7, .malformed = true})}), "valid_certificates_pinned").ok);
  EXPECT_FALSE(Named(ChecksFor(before, after, {Cert({.id = 7})}), "valid_certificates_pinned").ok);
}

TEST(ChecksTest, ValidCertificatesPinnedCountsSeveralInThePlural) {
  std::vector<db::CertificateFacts> certs = {Cert({.id = 1}), Cert({.id = 2, .leaf = "leaf2"})};
  std::vector<Hash> before = Keys({"ca1", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("ca1"));
  Check c = Named(ChecksFor(before, after, certs), "valid_certificates_pinned");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.detail, HasSubstr("unpins 2 valid certificates"));
}

// ---- no_unexpected_issuer_key ----

TEST(ChecksTest, AddingTheLeafKeyOfAnUnexpectedIssuersCertificateFails) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2, .leaf = "rogue-leaf", .issuer = "rogue-ca", .root = "", .unexpected_issuer = true}),
  };
  std::vector<Hash> before = Keys({"leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kAdd, Key("rogue-leaf"));
  std::vector<Check> checks = ChecksFor(before, after, certs);
  Check c = Named(checks, "no_unexpected_issuer_key");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.detail, HasSubstr(PinText(Key("rogue-leaf"))));
  EXPECT_FALSE(AllPass(checks));
  // The same certificates with a harmless change pass.
  EXPECT_TRUE(Named(ChecksFor(before, before, certs), "no_unexpected_issuer_key").ok);
}

TEST(ChecksTest, AddingTheKeyOfAnUnexpectedIssuerFails) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2, .leaf = "rogue-leaf", .issuer = "rogue-ca", .root = "", .unexpected_issuer = true}),
  };
  std::vector<Hash> before = Keys({"leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kAdd, Key("rogue-ca"));
  Check c = Named(ChecksFor(before, after, certs), "no_unexpected_issuer_key");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.detail, HasSubstr(PinText(Key("rogue-ca"))));
}

TEST(ChecksTest, AnExpiredUnexpectedIssuerCertificatesKeyStillFails) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2,
            .leaf = "rogue-leaf",
            .issuer = "rogue-ca",
            .root = "",
            .not_before_days = -100,
            .not_after_days = -5,
            .unexpected_issuer = true}),
  };
  std::vector<Hash> before = Keys({"leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kAdd, Key("rogue-leaf"));
  EXPECT_FALSE(Named(ChecksFor(before, after, certs), "no_unexpected_issuer_key").ok);
}

TEST(ChecksTest, AnUnexpectedIssuerForOtherNamesDoesNotCount) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2,
            .names = {"www.example.org"},
            .leaf = "rogue-leaf",
            .issuer = "rogue-ca",
            .root = "",
            .unexpected_issuer = true}),
  };
  std::vector<Hash> before = Keys({"leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kAdd, Key("rogue-leaf"));
  EXPECT_TRUE(Named(ChecksFor(before, after, certs), "no_unexpected_issuer_key").ok);
}

// ---- expiry ----

TEST(ChecksTest, ExpiryOfMoreThanAYearFails) {
  PinsetPolicy policy = Policy();
  policy.expiry_days = 366;  // configuration refuses this; the check must too
  Check c = Named(ChecksFor(Keys({"leaf", "backup"}), Keys({"leaf", "backup"}), {Cert({})}, policy), "expiry");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.detail, HasSubstr("366 days"));
}

TEST(ChecksTest, ExpiryOfAYearPasses) {
  PinsetPolicy policy = Policy();
  policy.expiry_days = 365;
  Check c = Named(ChecksFor(Keys({"leaf", "backup"}), Keys({"leaf", "backup"}), {Cert({})}, policy), "expiry");
  EXPECT_TRUE(c.ok) << c.detail;
}

TEST(ChecksTest, ExpiryOfZeroDaysFails) {
  PinsetPolicy policy = Policy();
  policy.expiry_days = 0;
  EXPECT_FALSE(Named(ChecksFor(Keys({"leaf", "backup"}), Keys({"leaf", "backup"}), {Cert({})}, policy), "expiry").ok);
  policy.expiry_days = 1;
  EXPECT_TRUE(Named(ChecksFor(Keys({"leaf", "backup"}), Keys({"leaf", "backup"}), {Cert({})}, policy), "expiry").ok);
}

// ---- which certificates count: include_subdomains and wildcards ----

TEST(ChecksTest, ASubdomainCertificateCountsOnlyWhenThePinsetIncludesSubdomains) {
  std::vector<db::CertificateFacts> certs = {Cert({.id = 3, .names = {"api.example.com"}, .leaf = "sub-leaf"})};
  std::vector<Hash> before = Keys({"sub-leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("sub-leaf"));
  PinsetPolicy policy = Policy();
  policy.names = {"example.com"};

  std::vector<Check> with = SafetyChecks(policy, Names({"example.com"}, true), before, after, certs, kNow);
  Check pinned_with = Named(with, "valid_certificates_pinned");
  EXPECT_FALSE(pinned_with.ok);
  EXPECT_THAT(pinned_with.detail, HasSubstr("certificate 3"));

  std::vector<Check> without = SafetyChecks(policy, Names({"example.com"}, false), before, after, certs, kNow);
  EXPECT_TRUE(Named(without, "valid_certificates_pinned").ok);
  // And its key is live only when the certificate counts.
  EXPECT_FALSE(
      Named(SafetyChecks(policy, Names({"example.com"}, true), Keys({"sub-leaf"}), Keys({"sub-leaf"}), certs, kNow),
            "backup_pin")
          .ok);
  EXPECT_TRUE(
      Named(SafetyChecks(policy, Names({"example.com"}, false), Keys({"sub-leaf"}), Keys({"sub-leaf"}), certs, kNow),
            "backup_pin")
          .ok);
}

TEST(ChecksTest, AWildcardCertificateCountsForANameOneLabelBelow) {
  std::vector<db::CertificateFacts> certs = {Cert({.id = 4, .names = {"*.example.com"}, .leaf = "wild-leaf"})};
  std::vector<Hash> before = Keys({"wild-leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("wild-leaf"));
  Check c = Named(ChecksFor(before, after, certs), "valid_certificates_pinned");
  EXPECT_FALSE(c.ok);
  EXPECT_THAT(c.detail, HasSubstr("certificate 4"));
}

TEST(ChecksTest, AWildcardCertificateDoesNotCountForItsParentOrTwoLabelsBelow) {
  std::vector<db::CertificateFacts> certs = {Cert({.id = 4, .names = {"*.example.com"}, .leaf = "wild-leaf"})};
  std::vector<Hash> before = Keys({"wild-leaf", "backup"});
  std::vector<Hash> after = PinsAfter(before, db::ProposalAction::kRemove, Key("wild-leaf"));
  for (const char* name : {"example.com", "a.b.example.com"}) {
    PinsetPolicy policy = Policy();
    policy.names = {name};
    std::vector<Check> checks = SafetyChecks(policy, Names({name}), before, after, certs, kNow);
    EXPECT_TRUE(Named(checks, "valid_certificates_pinned").ok) << name;
  }
}

// ---- AllPass / FailedChecks ----

TEST(ChecksTest, FailedChecksListsTheFailuresInOrder) {
  std::vector<Check> checks = {{"a", true, "fine"}, {"b", false, "why b"}, {"c", false, "why c"}};
  EXPECT_FALSE(AllPass(checks));
  EXPECT_EQ(FailedChecks(checks), "b: why b; c: why c");
}

TEST(ChecksTest, AllPassWhenNothingFails) {
  EXPECT_TRUE(AllPass({}));
  EXPECT_EQ(FailedChecks({}), "");
  std::vector<Check> checks = {{"a", true, "fine"}, {"b", true, "also fine"}};
  EXPECT_TRUE(AllPass(checks));
  EXPECT_EQ(FailedChecks(checks), "");
}

// ---- matching.h ----

TEST(PinsetNamesTest, ExactNamesMatchOnlyThemselves) {
  PinsetNames names = Names({"api.example.com"});
  EXPECT_TRUE(names.Concerns({"api.example.com"}));
  EXPECT_TRUE(names.Concerns({"API.Example.COM."}));  // case and a trailing dot do not matter
  EXPECT_TRUE(names.Concerns({"www.example.org", "api.example.com"}));
  EXPECT_FALSE(names.Concerns({"example.com"}));
  EXPECT_FALSE(names.Concerns({"v2.api.example.com"}));
  EXPECT_FALSE(names.Concerns({"api.example.com.evil.test"}));
  EXPECT_FALSE(names.Concerns({}));
}

TEST(PinsetNamesTest, SubdomainsMatchOnlyWhenIncluded) {
  EXPECT_TRUE(Names({"example.com"}, true).Concerns({"v2.api.example.com"}));
  EXPECT_TRUE(Names({"example.com"}, true).Concerns({"example.com"}));
  EXPECT_FALSE(Names({"example.com"}, false).Concerns({"v2.api.example.com"}));
  EXPECT_FALSE(Names({"example.com"}, true).Concerns({"notexample.com"}));
}

TEST(PinsetNamesTest, AWildcardCoversOneLabel) {
  PinsetNames names = Names({"api.example.com"});
  EXPECT_TRUE(names.Concerns({"*.example.com"}));
  EXPECT_FALSE(names.Concerns({"*.api.example.com"}));
  EXPECT_FALSE(Names({"example.com"}).Concerns({"*.example.com"}));
}

TEST(PinsetNamesTest, CreateRefusesAnInvalidName) {
  Result<PinsetNames> n = PinsetNames::Create({"api.example.com", "bad name.example.com"}, false);
  EXPECT_FALSE(n.ok());
  EXPECT_EQ(n.status().code(), Code::kMalformed);
}

TEST(ChecksMatchingTest, PinnedByAnyKeyOfTheChain) {
  db::CertificateFacts c = Cert({});
  EXPECT_TRUE(PinnedBy(c, Keys({"leaf"})));
  EXPECT_TRUE(PinnedBy(c, Keys({"ca1"})));
  EXPECT_TRUE(PinnedBy(c, Keys({"root"})));
  EXPECT_TRUE(PinnedBy(c, Keys({"other", "root"})));
  EXPECT_FALSE(PinnedBy(c, Keys({"other"})));
  EXPECT_FALSE(PinnedBy(c, {}));
  EXPECT_FALSE(PinnedBy(Cert({.leaf = "", .issuer = "", .root = ""}), Keys({"leaf", "ca1", "root"})));
}

TEST(ChecksMatchingTest, IsValidAtIncludesBothBounds) {
  db::CertificateFacts c = Cert({.not_before_days = -1, .not_after_days = 1});
  EXPECT_TRUE(IsValidAt(c, kNow));
  EXPECT_TRUE(IsValidAt(c, c.not_before_unix_s));
  EXPECT_TRUE(IsValidAt(c, c.not_after_unix_s));
  EXPECT_FALSE(IsValidAt(c, c.not_before_unix_s - 1));
  EXPECT_FALSE(IsValidAt(c, c.not_after_unix_s + 1));
}

TEST(ChecksMatchingTest, IsAllowedNeedsAParsedCertificateWithAKeyAndNoBadFinding) {
  EXPECT_TRUE(IsAllowed(Cert({})));
  EXPECT_FALSE(IsAllowed(Cert({.parsed = false})));
  EXPECT_FALSE(IsAllowed(Cert({.leaf = ""})));
  EXPECT_FALSE(IsAllowed(Cert({.unexpected_issuer = true})));
  EXPECT_FALSE(IsAllowed(Cert({.malformed = true})));
  EXPECT_TRUE(IsAllowed(Cert({.verified = false})));  // verification is the proposer's concern
}

}  // namespace
}  // namespace pinwatch::pins
