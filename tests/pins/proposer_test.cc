// PlanProposals (pins/proposer.h): what the proposals of one pin-set should be, from the
// stored certificates and the current version. Proposer::Pass, which reads and writes the
// database, is tested with Postgres elsewhere. Certificates are built inline with Cert():
// keys are SHA-256 of a label, validity is in days relative to kNow.
#include "pins/proposer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "base/pin.h"
#include "base/sha256.h"
#include "db/pin_store.h"
#include "tests/pins/cert_facts.h"
#include "pins/checks.h"
#include "pins/matching.h"
#include "pins/pinset.h"

namespace pinwatch::db {

// PrintTo makes failed expectations on plans readable.
void PrintTo(const NewProposal& p, std::ostream* os) {
  *os << "{" << ProposalActionName(p.action) << " " << PinText(p.pin) << " role=" << KeyRoleName(p.role)
      << " base=" << p.base_version << " ids=[";
  for (size_t i = 0; i < p.certificate_ids.size(); ++i) *os << (i ? "," : "") << p.certificate_ids[i];
  *os << "] reason=\"" << p.reason << "\"}";
}

}  // namespace pinwatch::db

namespace pinwatch::pins {
namespace {

using testing::Cert;
using testing::CertSpec;
using testing::kDay;
using testing::kNow;
using testing::Key;

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;

constexpr int64_t kVersion = 3;

std::vector<Hash> Keys(std::initializer_list<std::string_view> labels) {
  std::vector<Hash> out;
  for (std::string_view l : labels) out.push_back(Key(l));
  std::sort(out.begin(), out.end());  // as PinsetVersion keeps them
  return out;
}


PinsetPolicy Policy() {
  return PinsetPolicy{.name = "app", .names = {"api.example.com"}, .min_pins = 2, .remove_grace_days = 7};
}

// Current is version kVersion of pin-set "app" on api.example.com with these pins.
db::PinsetVersion Current(std::vector<Hash> pins) {
  return db::PinsetVersion{.pinset = "app", .version = kVersion, .pins = std::move(pins), .names = {"api.example.com"}};
}

db::Proposal Pending(int64_t id, db::ProposalAction action, const Hash& pin) {
  return db::Proposal{.id = id, .pinset = "app", .action = action, .pin = pin, .base_version = kVersion - 1};
}

ProposalPlan Plan(const db::PinsetVersion& current, const std::vector<db::CertificateFacts>& certs,
                  const std::vector<db::Proposal>& pending = {}, const PinsetPolicy& policy = Policy()) {
  return PlanProposals(policy, current, certs, pending, kNow);
}

// The pin-set pins the leaf of certificate 1 and a backup; certificate 2 has a new leaf key
// from the same allowed CA.
const std::vector<Hash> kLeafPins = Keys({"leaf", "backup"});

// ---- adds ----

TEST(ProposerTest, ANewLeafKeyIsProposedForAddition) {
  ProposalPlan plan = Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf"})});
  ASSERT_THAT(plan.proposals, SizeIs(1));
  const db::NewProposal& p = plan.proposals[0];
  EXPECT_EQ(p.pinset, "app");
  EXPECT_EQ(p.action, db::ProposalAction::kAdd);
  EXPECT_EQ(p.pin, Key("new-leaf"));
  EXPECT_EQ(p.role, db::KeyRole::kLeaf);
  EXPECT_EQ(p.base_version, kVersion);
  EXPECT_THAT(p.certificate_ids, ElementsAre(2));
  EXPECT_THAT(p.reason, HasSubstr(PinText(Key("new-leaf"))));
  EXPECT_THAT(p.reason, HasSubstr("api.example.com"));
  EXPECT_THAT(p.reason, HasSubstr("version 3"));
  EXPECT_THAT(plan.supersede, IsEmpty());
}

TEST(ProposerTest, NothingWhenEveryCertificateIsPinned) {
  ProposalPlan plan = Plan(Current(kLeafPins), {Cert({.id = 1})});
  EXPECT_THAT(plan.proposals, IsEmpty());
  EXPECT_THAT(plan.supersede, IsEmpty());
}

TEST(ProposerTest, AnUnverifiedCertificateWaits) {
  EXPECT_THAT(
      Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf", .verified = false})}).proposals,
      IsEmpty());
}

TEST(ProposerTest, AnUnexpectedIssuersKeyIsNeverProposed) {
  EXPECT_THAT(Plan(Current(kLeafPins),
                   {Cert({.id = 1}),
                    Cert({.id = 2, .leaf = "new-leaf", .issuer = "rogue-ca", .root = "", .unexpected_issuer = true})})
                  .proposals,
              IsEmpty());
}

TEST(ProposerTest, AMalformedOrUnparsedCertificateIsNeverProposed) {
  EXPECT_THAT(
      Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf", .malformed = true})}).proposals,
      IsEmpty());
  EXPECT_THAT(
      Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf", .parsed = false})}).proposals,
      IsEmpty());
  EXPECT_THAT(Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = ""})}).proposals, IsEmpty());
}

TEST(ProposerTest, AnExpiredCertificateIsNotProposed) {
  EXPECT_THAT(Plan(Current(kLeafPins),
                   {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf", .not_before_days = -90, .not_after_days = -1})})
                  .proposals,
              IsEmpty());
}

TEST(ProposerTest, ANotYetValidCertificateIsProposedBeforeItIsServed) {
  // A precertificate is logged before the certificate is served; that is the lead time.
  ProposalPlan plan =
      Plan(Current(kLeafPins),
           {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf", .not_before_days = 1, .not_after_days = 90})});
  ASSERT_THAT(plan.proposals, SizeIs(1));
  EXPECT_EQ(plan.proposals[0].pin, Key("new-leaf"));
}

// A key that a CA the policy does not allow also certified (a key reused with another CA) is
// never proposed: SafetyChecks' no_unexpected_issuer_key would block it forever, and a pin
// for it would accept the rogue certificate.
TEST(ProposerTest, AKeyAlsoCertifiedByAnUnexpectedIssuerIsNotProposed) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1}),
      Cert({.id = 2, .leaf = "new-leaf"}),
      Cert({.id = 3, .leaf = "new-leaf", .issuer = "rogue-ca", .root = "", .unexpected_issuer = true}),
  };
  ProposalPlan plan = Plan(Current(kLeafPins), certs);
  EXPECT_THAT(plan.proposals, IsEmpty());
  // What the plan would propose, the safety checks refuse:
  PinsetPolicy policy = Policy();
  Result<PinsetNames> names = PinsetNames::Create(policy.names, false);
  ASSERT_TRUE(names.ok());
  std::vector<Check> checks = SafetyChecks(
      policy, *names, kLeafPins, PinsAfter(kLeafPins, db::ProposalAction::kAdd, Key("new-leaf")), certs, kNow);
  EXPECT_THAT(FailedChecks(checks), HasSubstr("no_unexpected_issuer_key"));
}

TEST(ProposerTest, ACertificateForOtherNamesIsNotProposed) {
  EXPECT_THAT(
      Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .names = {"www.example.org"}, .leaf = "new-leaf"})})
          .proposals,
      IsEmpty());
}

TEST(ProposerTest, ASubdomainCertificateCountsOnlyWhenTheVersionIncludesSubdomains) {
  std::vector<db::CertificateFacts> certs = {Cert({.id = 2, .names = {"v2.api.example.com"}, .leaf = "new-leaf"})};
  db::PinsetVersion current = Current(kLeafPins);
  EXPECT_THAT(Plan(current, certs).proposals, IsEmpty());
  current.include_subdomains = true;
  ProposalPlan plan = Plan(current, certs);
  ASSERT_THAT(plan.proposals, SizeIs(1));
  EXPECT_EQ(plan.proposals[0].pin, Key("new-leaf"));
}

TEST(ProposerTest, AWildcardCertificateCountsForTheName) {
  ProposalPlan plan = Plan(Current(kLeafPins), {Cert({.id = 2, .names = {"*.example.com"}, .leaf = "new-leaf"})});
  ASSERT_THAT(plan.proposals, SizeIs(1));
  EXPECT_EQ(plan.proposals[0].pin, Key("new-leaf"));
}

TEST(ProposerTest, ACertificatePinnedByItsLeafIsNotProposed) {
  EXPECT_THAT(
      Plan(Current(Keys({"leaf", "new-leaf", "backup"})), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf"})})
          .proposals,
      IsEmpty());
}

TEST(ProposerTest, ACertificatePinnedThroughItsIssuerOrRootIsNotProposed) {
  std::vector<db::CertificateFacts> certs = {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf"})};
  EXPECT_THAT(Plan(Current(Keys({"ca1", "backup"})), certs).proposals, IsEmpty());
  EXPECT_THAT(Plan(Current(Keys({"root", "backup"})), certs).proposals, IsEmpty());
}

TEST(ProposerTest, CertificatesWithTheSameNewKeyMakeOneProposal) {
  ProposalPlan plan = Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf"}),
                                                Cert({.id = 5, .leaf = "new-leaf", .not_after_days = 30})});
  ASSERT_THAT(plan.proposals, SizeIs(1));
  EXPECT_EQ(plan.proposals[0].pin, Key("new-leaf"));
  EXPECT_THAT(plan.proposals[0].certificate_ids, UnorderedElementsAre(2, 5));
}

TEST(ProposerTest, TwoNewKeysMakeTwoProposals) {
  ProposalPlan plan =
      Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-a"}), Cert({.id = 3, .leaf = "new-b"})});
  ASSERT_THAT(plan.proposals, SizeIs(2));
  std::vector<Hash> pins = {plan.proposals[0].pin, plan.proposals[1].pin};
  EXPECT_THAT(pins, UnorderedElementsAre(Key("new-a"), Key("new-b")));
  for (const db::NewProposal& p : plan.proposals) {
    EXPECT_EQ(p.action, db::ProposalAction::kAdd);
    EXPECT_THAT(p.certificate_ids, SizeIs(1));
  }
}

TEST(ProposerTest, ASetPinningACaKeyFollowsANewIntermediate) {
  // The set pins intermediate ca1; a certificate from another allowed intermediate (ca2,
  // under another root) is not pinned: propose ca2's key, not the leaf's.
  ProposalPlan plan = Plan(Current(Keys({"ca1", "backup"})),
                           {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf", .issuer = "ca2", .root = "root2"}),
                            Cert({.id = 3, .leaf = "other-leaf", .issuer = "ca2", .root = "root2"})});
  ASSERT_THAT(plan.proposals, SizeIs(1));
  const db::NewProposal& p = plan.proposals[0];
  EXPECT_EQ(p.action, db::ProposalAction::kAdd);
  EXPECT_EQ(p.pin, Key("ca2"));
  EXPECT_EQ(p.role, db::KeyRole::kCa);
  EXPECT_EQ(p.base_version, kVersion);
  EXPECT_THAT(p.certificate_ids, UnorderedElementsAre(2, 3));
  EXPECT_THAT(p.reason, HasSubstr(PinText(Key("ca2"))));
  EXPECT_THAT(p.reason, HasSubstr("intermediate"));
}

TEST(ProposerTest, ASetPinningARootKeyFollowsANewIntermediateUnderAnotherRoot) {
  ProposalPlan plan = Plan(Current(Keys({"root", "backup"})),
                           {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf", .issuer = "ca2", .root = "root2"})});
  ASSERT_THAT(plan.proposals, SizeIs(1));
  EXPECT_EQ(plan.proposals[0].pin, Key("ca2"));
  EXPECT_EQ(plan.proposals[0].role, db::KeyRole::kCa);
}

TEST(ProposerTest, AMalformedPinsetNamePlansNothing) {
  db::PinsetVersion current = Current(kLeafPins);
  current.names = {"bad name.example.com"};
  ProposalPlan plan =
      Plan(current, {Cert({.id = 2, .leaf = "new-leaf"})}, {Pending(40, db::ProposalAction::kAdd, Key("leaf"))});
  EXPECT_THAT(plan.proposals, IsEmpty());
  EXPECT_THAT(plan.supersede, IsEmpty());
}

// ---- removes ----

TEST(ProposerTest, AKeyWhoseCertificatesExpiredBeyondTheGraceIsProposedForRemoval) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1, .leaf = "old-leaf", .not_before_days = -100, .not_after_days = -10}),
      Cert({.id = 4, .leaf = "old-leaf", .not_before_days = -120, .not_after_days = -20}),
      Cert({.id = 2, .leaf = "leaf"}),
  };
  ProposalPlan plan = Plan(Current(Keys({"old-leaf", "leaf", "backup"})), certs);
  ASSERT_THAT(plan.proposals, SizeIs(1));
  const db::NewProposal& p = plan.proposals[0];
  EXPECT_EQ(p.action, db::ProposalAction::kRemove);
  EXPECT_EQ(p.pin, Key("old-leaf"));
  EXPECT_EQ(p.role, db::KeyRole::kLeaf);
  EXPECT_EQ(p.base_version, kVersion);
  EXPECT_THAT(p.certificate_ids, UnorderedElementsAre(1, 4));
  EXPECT_THAT(p.reason, HasSubstr(PinText(Key("old-leaf"))));
  EXPECT_THAT(p.reason, HasSubstr("7 days"));
}

TEST(ProposerTest, AKeyWithinTheGraceIsKept) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1, .leaf = "old-leaf", .not_before_days = -100, .not_after_days = -3}),
      Cert({.id = 2, .leaf = "leaf"}),
  };
  EXPECT_THAT(Plan(Current(Keys({"old-leaf", "leaf", "backup"})), certs).proposals, IsEmpty());
}

TEST(ProposerTest, TheGraceEndsAfterExactlyRemoveGraceDays) {
  db::CertificateFacts old = Cert({.id = 1, .leaf = "old-leaf", .not_before_days = -100, .not_after_days = 0});
  std::vector<Hash> pins = Keys({"old-leaf", "leaf", "backup"});
  old.not_after_unix_s = kNow - 7 * kDay;  // exactly the grace: not yet "more than" it
  EXPECT_THAT(Plan(Current(pins), {old, Cert({.id = 2})}).proposals, IsEmpty());
  old.not_after_unix_s = kNow - 7 * kDay - 1;
  EXPECT_THAT(Plan(Current(pins), {old, Cert({.id = 2})}).proposals, SizeIs(1));
}

TEST(ProposerTest, OneCertificateStillWithinTheGraceKeepsTheKey) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1, .leaf = "old-leaf", .not_before_days = -100, .not_after_days = -30}),
      Cert({.id = 3, .leaf = "old-leaf", .not_before_days = -100, .not_after_days = -2}),
      Cert({.id = 2, .leaf = "leaf"}),
  };
  EXPECT_THAT(Plan(Current(Keys({"old-leaf", "leaf", "backup"})), certs).proposals, IsEmpty());
}

TEST(ProposerTest, ABackupPinWithNoCertificateIsNeverRemoved) {
  EXPECT_THAT(Plan(Current(Keys({"leaf", "backup", "backup2"})), {Cert({.id = 1})}).proposals, IsEmpty());
  EXPECT_THAT(Plan(Current(Keys({"backup", "backup2", "backup3"})), {}).proposals, IsEmpty());
}

TEST(ProposerTest, NoRemovalBelowMinPins) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1, .leaf = "old-leaf", .not_before_days = -100, .not_after_days = -30}),
  };
  EXPECT_THAT(Plan(Current(Keys({"old-leaf", "backup"})), certs).proposals, IsEmpty());
  PinsetPolicy policy = Policy();
  policy.min_pins = 1;
  EXPECT_THAT(Plan(Current(Keys({"old-leaf", "backup"})), certs, {}, policy).proposals, SizeIs(1));
}

TEST(ProposerTest, AnExpiredCaKeyIsProposedForRemovalWithTheCaRole) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1,
            .leaf = "old-leaf",
            .issuer = "old-ca",
            .root = "",
            .not_before_days = -400,
            .not_after_days = -30}),
      Cert({.id = 2, .leaf = "leaf", .issuer = "ca1", .root = ""}),
  };
  ProposalPlan plan = Plan(Current(Keys({"old-ca", "ca1", "backup"})), certs);
  ASSERT_THAT(plan.proposals, SizeIs(1));
  EXPECT_EQ(plan.proposals[0].action, db::ProposalAction::kRemove);
  EXPECT_EQ(plan.proposals[0].pin, Key("old-ca"));
  EXPECT_EQ(plan.proposals[0].role, db::KeyRole::kCa);
  EXPECT_THAT(plan.proposals[0].certificate_ids, ElementsAre(1));
}

TEST(ProposerTest, ExpiredCertificatesForOtherNamesDoNotMakeARemoval) {
  // old-leaf is only used by a certificate for another name: to this set it is a backup.
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1, .names = {"www.example.org"}, .leaf = "old-leaf", .not_before_days = -100, .not_after_days = -30}),
      Cert({.id = 2}),
  };
  EXPECT_THAT(Plan(Current(Keys({"old-leaf", "leaf", "backup"})), certs).proposals, IsEmpty());
}

// ---- supersede ----

TEST(ProposerTest, APendingAddTheVersionAlreadyPinsIsSuperseded) {
  ProposalPlan plan =
      Plan(Current(Keys({"leaf", "new-leaf", "backup"})), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf"})},
           {Pending(40, db::ProposalAction::kAdd, Key("new-leaf"))});
  EXPECT_THAT(plan.proposals, IsEmpty());
  ASSERT_THAT(plan.supersede, SizeIs(1));
  EXPECT_EQ(plan.supersede[0].first, 40);
  EXPECT_THAT(plan.supersede[0].second, HasSubstr("version 3 already pins it"));
}

TEST(ProposerTest, APendingRemoveOfAPinAlreadyGoneIsSuperseded) {
  ProposalPlan plan =
      Plan(Current(kLeafPins), {Cert({.id = 1})}, {Pending(41, db::ProposalAction::kRemove, Key("old-leaf"))});
  EXPECT_THAT(plan.proposals, IsEmpty());
  ASSERT_THAT(plan.supersede, SizeIs(1));
  EXPECT_EQ(plan.supersede[0].first, 41);
  EXPECT_THAT(plan.supersede[0].second, HasSubstr("version 3 no longer pins it"));
}

TEST(ProposerTest, APendingAddStillNeededIsKept) {
  ProposalPlan plan = Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf"})},
                           {Pending(42, db::ProposalAction::kAdd, Key("new-leaf"))});
  EXPECT_THAT(plan.supersede, IsEmpty());
  // The plan still holds it: Propose then adds evidence to the pending one.
  ASSERT_THAT(plan.proposals, SizeIs(1));
  EXPECT_EQ(plan.proposals[0].pin, Key("new-leaf"));
}

TEST(ProposerTest, APendingRemoveStillNeededIsKept) {
  std::vector<db::CertificateFacts> certs = {
      Cert({.id = 1, .leaf = "old-leaf", .not_before_days = -100, .not_after_days = -30}),
      Cert({.id = 2}),
  };
  ProposalPlan plan = Plan(Current(Keys({"old-leaf", "leaf", "backup"})), certs,
                           {Pending(43, db::ProposalAction::kRemove, Key("old-leaf"))});
  EXPECT_THAT(plan.supersede, IsEmpty());
  EXPECT_THAT(plan.proposals, SizeIs(1));
}

TEST(ProposerTest, APendingAddWhoseCertificateExpiredIsSuperseded) {
  ProposalPlan plan =
      Plan(Current(kLeafPins),
           {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf", .not_before_days = -90, .not_after_days = -1})},
           {Pending(44, db::ProposalAction::kAdd, Key("new-leaf"))});
  EXPECT_THAT(plan.proposals, IsEmpty());
  ASSERT_THAT(plan.supersede, SizeIs(1));
  EXPECT_EQ(plan.supersede[0].first, 44);
  EXPECT_THAT(plan.supersede[0].second, HasSubstr("no valid certificate needs it"));
}

TEST(ProposerTest, APendingProposalIsMatchedByActionAndPin) {
  // A pending remove of the key the plan wants to add is not what the plan holds.
  ProposalPlan plan = Plan(Current(kLeafPins), {Cert({.id = 1}), Cert({.id = 2, .leaf = "new-leaf"})},
                           {Pending(45, db::ProposalAction::kRemove, Key("new-leaf")),
                            Pending(46, db::ProposalAction::kAdd, Key("new-leaf"))});
  EXPECT_THAT(plan.supersede, ElementsAre(Pair(45, HasSubstr("no longer pins it"))));
}

}  // namespace
}  // namespace pinwatch::pins
