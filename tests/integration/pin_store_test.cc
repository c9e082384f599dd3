// The PinStore's promises (db/pin_store.h), checked directly against a real, throwaway
// PostgreSQL (one server for the suite, one migrated database per test): version 1 made
// once, adoption, one pending proposal per pin-set and pin with its evidence, decisions by
// distinct approvers that make exactly one next version, publication stored once, operators,
// and the proposal list with its lead times. Races run on two connections released together
// by a latch. Rows are counted and certificates, logs and entries are written with psql, not
// through the PinStore, so a store that lies about what it wrote cannot hide it.
#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <latch>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/encoding.h"
#include "base/sha256.h"
#include "db/pin_store.h"
#include "db/postgres.h"
#include "tests/integration/postgres_suite.h"
#include "tests/support/postgres_server.h"

namespace pinwatch::db {
namespace {

using pinwatch::testing::PostgresServer;

// --- values built by hand ---

Hash HashOfText(const std::string& text) {
  return Sha256Of(Bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

// Key is the SPKI SHA-256 of fake key `n`: a pin, or a certificate's (issuer's) key.
Hash Key(int n) { return HashOfText("key " + std::to_string(n)); }
Hash Token(int n) { return HashOfText("pwt_token " + std::to_string(n)); }

std::vector<Hash> SortedPins(std::vector<Hash> pins) {
  std::sort(pins.begin(), pins.end());
  return pins;
}

// Config is pin-set `pinset` holding `pins` (in the order given), as the configuration says.
NewVersion Config(const std::string& pinset, std::vector<Hash> pins) {
  return {.pinset = pinset, .pins = std::move(pins), .names = {"example.com"}, .include_subdomains = true,
          .expiry_days = 60};
}

NewProposal AddPin(const std::string& pinset, const Hash& pin, std::vector<int64_t> certificate_ids,
                   int64_t base_version = 1) {
  return {.pinset = pinset, .action = ProposalAction::kAdd, .pin = pin, .role = KeyRole::kLeaf,
          .reason = "a new key in CT", .base_version = base_version, .certificate_ids = std::move(certificate_ids)};
}

Decision Approve(const std::string& who) { return {.operator_name = who, .approve = true, .reason = "ok by " + who}; }
Decision Reject(const std::string& who) { return {.operator_name = who, .approve = false, .reason = "no by " + who}; }

// Race runs `a` and `b` on two threads that a latch releases together; returns both results.
template <class A, class B>
auto Race(A a, B b) {
  std::latch start(2);
  std::optional<decltype(a())> ra;
  std::optional<decltype(b())> rb;
  std::thread ta([&] {
    start.arrive_and_wait();
    ra.emplace(a());
  });
  std::thread tb([&] {
    start.arrive_and_wait();
    rb.emplace(b());
  });
  ta.join();
  tb.join();
  return std::make_pair(std::move(*ra), std::move(*rb));
}

// kRaceRounds: each race runs this many times (on fresh pin-sets), so an interleaving that
// breaks a promise has several chances to show.
constexpr int kRaceRounds = 6;

// --- the fixture: one server for the suite, one database per test ---

class PinStoreTest : public testing::PostgresSuite<PinStoreTest> {
 protected:
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << StartError();
    db_ = NewDatabase("pins");
    auto migrated = MigrateSchema(server_->url(db_));
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    store_ = Connect();
    ASSERT_NE(store_, nullptr);
  }

  // Connect opens another PinStore (its own connection) on this test's database.
  std::unique_ptr<PinStore> Connect() {
    auto store = ConnectPinStore(server_->url(db_));
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(*store) : nullptr;
  }

  // Sql runs SQL with psql in this test's database; rows are lines, columns split by '|'.
  std::string Sql(const std::string& sql) {
    auto out = server_->Psql(sql, db_);
    EXPECT_TRUE(out.ok()) << sql << ": " << out.status().ToString();
    return out.ok() ? *out : "<psql failed>";
  }
  int64_t Count(const std::string& from_where) { return std::stoll(Sql("SELECT count(*) FROM " + from_where)); }

  static std::string Bytea(const Hash& h) { return "decode('" + HexEncode(h) + "', 'hex')"; }

  // AddCertificate stores certificate `n` with key `spki`, issued by key `issuer_spki`;
  // returns its id.
  int64_t AddCertificate(int n, const Hash& spki, const Hash& issuer_spki = Key(900)) {
    return std::stoll(Sql(
        "WITH c AS (INSERT INTO certificates (tbs_sha256, parsed, der_kind, der, dns_names, spki_sha256, "
        "issuer_spki_sha256, not_before, not_after) VALUES (" +
        Bytea(HashOfText("tbs " + std::to_string(n))) + ", true, 'certificate', decode('3082" +
        HexEncode(Key(n)) + "', 'hex'), '[\"www.example.com\"]', " + Bytea(spki) + ", " + Bytea(issuer_spki) +
        ", '2024-01-01T00:00:00Z', '2024-04-01T00:00:00Z') RETURNING id) SELECT id FROM c"));
  }

  // AddLog stores a log row with id Key(1000 + n) and `description`.
  void AddLog(int n, const std::string& description) {
    Sql("INSERT INTO logs (log_id, description, api, url, submission_url, key, mmd_seconds, state) VALUES (" +
        Bytea(Key(1000 + n)) + ", '" + description + "', 'rfc6962', 'https://log" + std::to_string(n) +
        ".example/', 'https://log" + std::to_string(n) + ".example/', decode('3059', 'hex'), 86400, 'usable')");
  }
  // AddEntry stores entry `index` of log `log` (AddLog) for a certificate, of type 'x509' or
  // 'precert', verified.
  void AddEntry(int log, int64_t index, int64_t certificate_id, const std::string& type, int64_t timestamp_ms) {
    Sql("INSERT INTO certificate_entries (log_id, entry_index, certificate_id, entry_type, timestamp_ms, verified) "
        "VALUES (" + Bytea(Key(1000 + log)) + ", " + std::to_string(index) + ", " + std::to_string(certificate_id) +
        ", '" + type + "', " + std::to_string(timestamp_ms) + ", true)");
  }

  // MakeVersionOne makes pin-set `pinset` version 1 holding Key(1).
  void MakeVersionOne(const std::string& pinset) {
    auto v = store_->EnsureFirstVersion(Config(pinset, {Key(1)}));
    ASSERT_TRUE(v.ok()) << v.status().ToString();
    ASSERT_EQ(v->version, 1);
  }
  // AddApprovers adds approvers, each with a token of its own.
  void AddApprovers(std::initializer_list<std::string> names) {
    for (const std::string& name : names) {
      Status s = store_->AddOperator(name, "approver", HashOfText("pwt_token of " + name));
      ASSERT_TRUE(s.ok()) << s.ToString();
    }
  }
  // ProposeKey makes a pending proposal adding Key(key) to `pinset` on a new certificate;
  // returns its id.
  int64_t ProposeKey(const std::string& pinset, int key, int certificate) {
    const int64_t cert = AddCertificate(certificate, Key(key));
    auto proposed = store_->Propose(AddPin(pinset, Key(key), {cert}));
    EXPECT_TRUE(proposed.ok()) << proposed.status().ToString();
    if (!proposed.ok() || !proposed->has_value()) return -1;
    EXPECT_TRUE((*proposed)->second);
    return (*proposed)->first;
  }
  // OneApprovalShort is a race round's start: pin-set race<round> at version 1 and a
  // proposal adding Key(5) that alice approved, one of the two approvals it needs.
  struct RaceStart {
    std::string pinset;
    int64_t id;
    NewVersion next;
  };
  RaceStart OneApprovalShort(int round) {
    const std::string pinset = "race" + std::to_string(round);
    MakeVersionOne(pinset);
    const int64_t id = ProposeKey(pinset, 5, round);
    NewVersion next = Config(pinset, {Key(1), Key(5)});
    EXPECT_TRUE(store_->Decide(id, Approve("alice"), 2, 1, next).ok());
    return {pinset, id, std::move(next)};
  }

  std::string db_;
  std::unique_ptr<PinStore> store_;
};


bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- 1. version 1 ---

TEST_F(PinStoreTest, EnsureFirstVersionMakesVersionOneOnceWithSortedPins) {
  const std::vector<Hash> pins = {Key(3), Key(1), Key(2)};
  auto first = store_->EnsureFirstVersion(Config("web", pins));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->version, 1);
  EXPECT_EQ(first->pins, SortedPins(pins));
  EXPECT_EQ(first->origin, "config");
  EXPECT_EQ(first->proposal_id, std::nullopt);
  EXPECT_EQ(first->names, std::vector<std::string>{"example.com"});
  EXPECT_TRUE(first->include_subdomains);
  EXPECT_TRUE(first->document.empty());

  // A second start with other pins in its configuration finds version 1 and keeps it.
  auto second = store_->EnsureFirstVersion(Config("web", {Key(7)}));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->version, 1);
  EXPECT_EQ(second->pins, SortedPins(pins));
  EXPECT_EQ(second->created_at, first->created_at);

  EXPECT_EQ(Count("pinset_versions"), 1);
  EXPECT_EQ(Sql("SELECT operator || ' ' || action || ' ' || pinset || ' ' || version FROM audit_log"),
            "config create web 1");
  std::string sorted_hex;
  for (const Hash& pin : SortedPins(pins)) sorted_hex += HexEncode(pin);
  EXPECT_EQ(Sql("SELECT encode(pins, 'hex') FROM pinset_versions"), sorted_hex);
}

TEST_F(PinStoreTest, EnsureFirstVersionRacedFromTwoConnectionsMakesOneVersion) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  for (int round = 0; round < kRaceRounds; ++round) {
    const std::string pinset = "race" + std::to_string(round);
    auto [a, b] = Race([&] { return store_->EnsureFirstVersion(Config(pinset, {Key(2), Key(1)})); },
                       [&] { return other->EnsureFirstVersion(Config(pinset, {Key(1), Key(2)})); });
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(a->version, 1);
    EXPECT_EQ(b->version, 1);
    EXPECT_EQ(a->created_at, b->created_at);
    EXPECT_EQ(a->pins, SortedPins({Key(1), Key(2)}));
    EXPECT_EQ(b->pins, a->pins);
    EXPECT_EQ(Count("pinset_versions WHERE pinset = '" + pinset + "'"), 1) << pinset;
    EXPECT_EQ(Count("audit_log WHERE action = 'create' AND pinset = '" + pinset + "'"), 1) << pinset;
  }
}

// --- 2. adopt ---

TEST_F(PinStoreTest, AdoptOfTheSamePinsIsRefusedAndWritesNothing) {
  ASSERT_TRUE(store_->EnsureFirstVersion(Config("web", {Key(1), Key(2)})).ok());

  // The same set in another order, and with a duplicate, is no change.
  for (const std::vector<Hash>& same : {std::vector<Hash>{Key(2), Key(1)}, std::vector<Hash>{Key(1), Key(2), Key(1)}}) {
    auto adopted = store_->Adopt(Config("web", same), "alice", "same again");
    EXPECT_EQ(adopted.status().code(), Code::kFailedPrecondition) << adopted.status().ToString();
  }
  EXPECT_EQ(Count("pinset_versions"), 1);
  EXPECT_EQ(Count("audit_log"), 1);  // the 'create'
}

TEST_F(PinStoreTest, AdoptOfOtherPinsMakesVersionTwoInTheOperatorsName) {
  ASSERT_TRUE(store_->EnsureFirstVersion(Config("web", {Key(1), Key(2)})).ok());

  auto adopted = store_->Adopt(Config("web", {Key(3), Key(1)}), "alice", "rotated by hand");
  ASSERT_TRUE(adopted.ok()) << adopted.status().ToString();
  EXPECT_EQ(adopted->version, 2);
  EXPECT_EQ(adopted->origin, "adopt");
  EXPECT_EQ(adopted->proposal_id, std::nullopt);
  EXPECT_EQ(adopted->pins, SortedPins({Key(1), Key(3)}));

  EXPECT_EQ(Sql("SELECT version || ' ' || origin || ' ' || (proposal_id IS NULL) FROM pinset_versions "
                "ORDER BY version"),
            "1 config true\n2 adopt true");
  EXPECT_EQ(Sql("SELECT operator || ' ' || action || ' ' || version || ' ' || reason FROM audit_log "
                "WHERE action = 'adopt'"),
            "alice adopt 2 rotated by hand");
  auto current = store_->CurrentVersion("web");
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(current->version, 2);
  auto versions = store_->Versions("web");
  ASSERT_TRUE(versions.ok()) << versions.status().ToString();
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].pins, SortedPins({Key(1), Key(2)}));
  EXPECT_EQ((*versions)[1].pins, SortedPins({Key(1), Key(3)}));
}

TEST_F(PinStoreTest, AdoptOfAnUnknownPinsetIsNotFound) {
  auto adopted = store_->Adopt(Config("nowhere", {Key(1)}), "alice", "r");
  EXPECT_EQ(adopted.status().code(), Code::kNotFound) << adopted.status().ToString();
  EXPECT_EQ(Count("pinset_versions"), 0);
  EXPECT_EQ(Count("audit_log"), 0);
  EXPECT_EQ(store_->CurrentVersion("nowhere").status().code(), Code::kNotFound);
}

// --- 3. propose ---

TEST_F(PinStoreTest, ProposeMakesOnePendingProposalPerPinAndGathersEvidence) {
  MakeVersionOne("web");
  const int64_t c1 = AddCertificate(1, Key(5));
  const int64_t c2 = AddCertificate(2, Key(5));

  auto first = store_->Propose(AddPin("web", Key(5), {c1}));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_TRUE(first->has_value());
  EXPECT_TRUE((*first)->second);  // new
  const int64_t id = (*first)->first;
  EXPECT_EQ(Sql("SELECT certificate_id FROM proposal_evidence WHERE proposal_id = " + std::to_string(id)),
            std::to_string(c1));

  // The same pin again on another certificate: evidence for the same pending proposal.
  auto second = store_->Propose(AddPin("web", Key(5), {c2}));
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  ASSERT_TRUE(second->has_value());
  EXPECT_EQ(**second, std::make_pair(id, false));
  // And once more with both: nothing new.
  auto third = store_->Propose(AddPin("web", Key(5), {c1, c2}));
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  ASSERT_TRUE(third->has_value());
  EXPECT_EQ(**third, std::make_pair(id, false));

  EXPECT_EQ(Count("proposals"), 1);
  EXPECT_EQ(Sql("SELECT status || ' ' || pinset || ' ' || action || ' ' || key_role || ' ' || base_version || ' ' || "
                "encode(pin, 'hex') FROM proposals"),
            "pending web add leaf 1 " + HexEncode(Key(5)));
  EXPECT_EQ(Sql("SELECT certificate_id FROM proposal_evidence ORDER BY certificate_id"),
            std::to_string(c1) + "\n" + std::to_string(c2));
  EXPECT_EQ(Sql("SELECT operator || ' ' || action || ' ' || proposal_id FROM audit_log WHERE action = 'propose'"),
            "pinwatch propose " + std::to_string(id));

  // Another pin of the same pin-set is another proposal.
  auto other_pin = store_->Propose(AddPin("web", Key(6), {c1}));
  ASSERT_TRUE(other_pin.ok()) << other_pin.status().ToString();
  ASSERT_TRUE(other_pin->has_value());
  EXPECT_TRUE((*other_pin)->second);
  EXPECT_NE((*other_pin)->first, id);
}

TEST_F(PinStoreTest, ProposeRacedFromTwoConnectionsMakesOnePendingProposal) {
  MakeVersionOne("web");
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  for (int round = 0; round < kRaceRounds; ++round) {
    const Hash pin = Key(10 + round);
    const int64_t ca = AddCertificate(100 + 2 * round, pin);
    const int64_t cb = AddCertificate(101 + 2 * round, pin);
    auto [a, b] = Race([&] { return store_->Propose(AddPin("web", pin, {ca})); },
                       [&] { return other->Propose(AddPin("web", pin, {cb})); });
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    ASSERT_TRUE(a->has_value() && b->has_value());
    EXPECT_EQ((*a)->first, (*b)->first) << "round " << round;
    EXPECT_NE((*a)->second, (*b)->second) << "exactly one of them made it, round " << round;
    const std::string id = std::to_string((*a)->first);
    EXPECT_EQ(Count("proposals WHERE pin = " + Bytea(pin)), 1) << "round " << round;
    EXPECT_EQ(Count("proposal_evidence WHERE proposal_id = " + id), 2) << "round " << round;
    EXPECT_EQ(Count("audit_log WHERE action = 'propose' AND proposal_id = " + id), 1) << "round " << round;
  }
}

TEST_F(PinStoreTest, RejectedProposalIsMadeAgainOnlyOnNewEvidence) {
  MakeVersionOne("web");
  AddApprovers({"alice"});
  const int64_t c1 = AddCertificate(1, Key(5));
  const int64_t c2 = AddCertificate(2, Key(5));
  const int64_t c3 = AddCertificate(3, Key(5));
  auto proposed = store_->Propose(AddPin("web", Key(5), {c1, c2}));
  ASSERT_TRUE(proposed.ok() && proposed->has_value()) << proposed.status().ToString();
  const int64_t rejected_id = (*proposed)->first;
  auto rejected = store_->Decide(rejected_id, Reject("alice"), 1, 1, Config("web", {Key(1), Key(5)}));
  ASSERT_TRUE(rejected.ok()) << rejected.status().ToString();
  EXPECT_EQ(rejected->status, ProposalStatus::kRejected);
  EXPECT_EQ(rejected->new_version, std::nullopt);
  EXPECT_EQ(Sql("SELECT status || ' ' || (decided_at IS NOT NULL) FROM proposals"), "rejected true");

  // Only certificates the operator already weighed: not proposed again.
  for (const std::vector<int64_t>& weighed : {std::vector<int64_t>{c1}, std::vector<int64_t>{c2, c1}}) {
    auto again = store_->Propose(AddPin("web", Key(5), weighed));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    EXPECT_EQ(*again, std::nullopt);
  }
  EXPECT_EQ(Count("proposals"), 1);
  EXPECT_EQ(Count("proposal_evidence"), 2);

  // A new certificate among them: a new pending proposal with exactly these certificates.
  auto renewed = store_->Propose(AddPin("web", Key(5), {c2, c3}));
  ASSERT_TRUE(renewed.ok()) << renewed.status().ToString();
  ASSERT_TRUE(renewed->has_value());
  EXPECT_TRUE((*renewed)->second);
  EXPECT_NE((*renewed)->first, rejected_id);
  EXPECT_EQ(Sql("SELECT status FROM proposals ORDER BY id"), "rejected\npending");
  EXPECT_EQ(Sql("SELECT certificate_id FROM proposal_evidence WHERE proposal_id = " +
                std::to_string((*renewed)->first) + " ORDER BY certificate_id"),
            std::to_string(c2) + "\n" + std::to_string(c3));
  // The rejected proposal keeps its own evidence.
  EXPECT_EQ(Count("proposal_evidence WHERE proposal_id = " + std::to_string(rejected_id)), 2);
}

// --- 4. decide ---

TEST_F(PinStoreTest, DecideOnAnUnknownProposalIsNotFound) {
  MakeVersionOne("web");
  AddApprovers({"alice"});
  auto decided = store_->Decide(4242, Approve("alice"), 1, 1, Config("web", {Key(1), Key(5)}));
  EXPECT_EQ(decided.status().code(), Code::kNotFound) << decided.status().ToString();
  EXPECT_EQ(Count("proposal_decisions"), 0);
  EXPECT_EQ(Count("pinset_versions"), 1);
}

TEST_F(PinStoreTest, DecideByAnUnknownRemovedOrViewerOperatorIsRefusedAndRecordsNothing) {
  MakeVersionOne("web");
  const int64_t id = ProposeKey("web", 5, 1);
  ASSERT_TRUE(store_->AddOperator("vera", "viewer", Token(1)).ok());
  ASSERT_TRUE(store_->AddOperator("rob", "approver", Token(2)).ok());
  ASSERT_TRUE(store_->RemoveOperator("rob").ok());
  const int64_t audit_before = Count("audit_log");

  for (const std::string who : {"nobody", "rob", "vera"}) {
    for (const Decision& d : {Approve(who), Reject(who)}) {
      auto decided = store_->Decide(id, d, 1, 1, Config("web", {Key(1), Key(5)}));
      EXPECT_EQ(decided.status().code(), Code::kFailedPrecondition) << who << ": " << decided.status().ToString();
      EXPECT_TRUE(Contains(decided.status().message(), who)) << decided.status().message();
    }
  }
  EXPECT_EQ(Count("proposal_decisions"), 0);
  EXPECT_EQ(Sql("SELECT status FROM proposals"), "pending");
  EXPECT_EQ(Count("pinset_versions"), 1);
  EXPECT_EQ(Count("audit_log"), audit_before);
}

TEST_F(PinStoreTest, TwoDistinctApprovalsMakeTheNextVersion) {
  MakeVersionOne("web");
  AddApprovers({"alice", "bob", "carol"});
  const int64_t id = ProposeKey("web", 5, 1);
  const NewVersion next = Config("web", {Key(5), Key(1)});

  auto first = store_->Decide(id, Approve("alice"), 2, 1, next);
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->status, ProposalStatus::kPending);
  EXPECT_EQ(first->approvals, 1);
  EXPECT_EQ(first->new_version, std::nullopt);
  EXPECT_EQ(Count("pinset_versions"), 1);
  EXPECT_EQ(Sql("SELECT status FROM proposals"), "pending");

  // The same operator again (approving or rejecting) does not count twice.
  for (const Decision& d : {Approve("alice"), Reject("alice")}) {
    auto again = store_->Decide(id, d, 2, 1, next);
    EXPECT_EQ(again.status().code(), Code::kFailedPrecondition) << again.status().ToString();
  }
  EXPECT_EQ(Count("proposal_decisions"), 1);
  EXPECT_EQ(Count("pinset_versions"), 1);

  auto second = store_->Decide(id, Approve("bob"), 2, 1, next);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->status, ProposalStatus::kApproved);
  EXPECT_EQ(second->approvals, 2);
  EXPECT_EQ(second->new_version, 2);

  EXPECT_EQ(Sql("SELECT version || ' ' || origin || ' ' || proposal_id || ' ' || encode(pins, 'hex') "
                "FROM pinset_versions WHERE version = 2"),
            "2 proposal " + std::to_string(id) + " " + HexEncode(SortedPins({Key(1), Key(5)})[0]) +
                HexEncode(SortedPins({Key(1), Key(5)})[1]));
  EXPECT_EQ(Sql("SELECT status || ' ' || applied_version || ' ' || (decided_at IS NOT NULL) FROM proposals"),
            "approved 2 true");
  auto current = store_->CurrentVersion("web");
  ASSERT_TRUE(current.ok()) << current.status().ToString();
  EXPECT_EQ(current->version, 2);
  EXPECT_EQ(current->proposal_id, id);
  EXPECT_EQ(current->pins, SortedPins({Key(1), Key(5)}));

  auto late = store_->Decide(id, Approve("carol"), 2, 2, Config("web", {Key(1), Key(5)}));
  EXPECT_EQ(late.status().code(), Code::kFailedPrecondition) << late.status().ToString();
  EXPECT_TRUE(Contains(late.status().message(), "already approved")) << late.status().message();
  EXPECT_EQ(Count("pinset_versions"), 2);
  EXPECT_EQ(Count("proposal_decisions"), 2);

  // The audit log names each approver; the second approval carries the version it made.
  EXPECT_EQ(Sql("SELECT operator || ' ' || action || ' ' || coalesce(version::text, '-') || ' ' || reason "
                "FROM audit_log WHERE proposal_id = " + std::to_string(id) + " ORDER BY id"),
            "pinwatch propose - a new key in CT\nalice approve - ok by alice\nbob approve 2 ok by bob");
  auto audit = store_->ListAudit(2);
  ASSERT_TRUE(audit.ok()) << audit.status().ToString();
  ASSERT_EQ(audit->size(), 2u);
  EXPECT_EQ((*audit)[0].operator_name, "alice");
  EXPECT_EQ((*audit)[1].operator_name, "bob");
  EXPECT_EQ((*audit)[1].version, 2);
  EXPECT_EQ((*audit)[1].proposal_id, id);
  auto listed = store_->ListProposals({.ids = {id}});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  ASSERT_EQ((*listed)[0].decisions.size(), 2u);
  EXPECT_EQ((*listed)[0].decisions[0].operator_name, "alice");
  EXPECT_EQ((*listed)[0].decisions[1].operator_name, "bob");
}

TEST_F(PinStoreTest, ARemovedOperatorsApprovalNoLongerCounts) {
  MakeVersionOne("web");
  AddApprovers({"alice", "bob", "carol"});
  const int64_t id = ProposeKey("web", 5, 1);
  const NewVersion next = Config("web", {Key(5), Key(1)});
  ASSERT_TRUE(store_->Decide(id, Approve("alice"), 2, 1, next).ok());
  // alice's token leaked and she was removed: her approval is withdrawn with her, and one
  // more approval is not enough.
  ASSERT_TRUE(store_->RemoveOperator("alice").ok());
  auto second = store_->Decide(id, Approve("bob"), 2, 1, next);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->approvals, 1);
  EXPECT_EQ(second->status, ProposalStatus::kPending);
  EXPECT_EQ(Count("pinset_versions"), 1);
  // Re-adding the name does not bring the old approval back.
  ASSERT_TRUE(store_->AddOperator("alice", "approver", HashOfText("pwt_a new token")).ok());
  auto third = store_->Decide(id, Approve("carol"), 2, 1, next);
  ASSERT_TRUE(third.ok()) << third.status().ToString();
  EXPECT_EQ(third->approvals, 2);
  EXPECT_EQ(third->new_version, 2);
}

TEST_F(PinStoreTest, DecideWithAChangeForAnotherPinsetWritesNothing) {
  MakeVersionOne("web");
  MakeVersionOne("other");
  AddApprovers({"alice"});
  const int64_t id = ProposeKey("web", 5, 1);
  auto decided = store_->Decide(id, Approve("alice"), 1, 1, Config("other", {Key(5), Key(1)}));
  EXPECT_FALSE(decided.ok());
  EXPECT_EQ(Count("pinset_versions"), 2);
  EXPECT_EQ(Count("proposal_decisions"), 0);
}

TEST_F(PinStoreTest, FinalApprovalAgainstAStaleVersionRecordsNothing) {
  MakeVersionOne("web");
  AddApprovers({"alice", "bob"});
  const int64_t id = ProposeKey("web", 5, 1);
  ASSERT_TRUE(store_->Decide(id, Approve("alice"), 2, 1, Config("web", {Key(1), Key(5)})).ok());
  // Someone adopts version 2 while bob looks at version 1.
  ASSERT_TRUE(store_->Adopt(Config("web", {Key(1), Key(2)}), "ops", "adopted meanwhile").ok());
  const int64_t audit_before = Count("audit_log");

  auto stale = store_->Decide(id, Approve("bob"), 2, 1, Config("web", {Key(1), Key(5)}));
  EXPECT_EQ(stale.status().code(), Code::kFailedPrecondition) << stale.status().ToString();
  EXPECT_EQ(Sql("SELECT operator FROM proposal_decisions"), "alice");
  EXPECT_EQ(Sql("SELECT max(version) FROM pinset_versions"), "2");
  EXPECT_EQ(Sql("SELECT status || ' ' || (applied_version IS NULL) FROM proposals"), "pending true");
  EXPECT_EQ(Count("audit_log"), audit_before);

  // Decided again against the current version, it goes through.
  auto fresh = store_->Decide(id, Approve("bob"), 2, 2, Config("web", {Key(1), Key(2), Key(5)}));
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_EQ(fresh->status, ProposalStatus::kApproved);
  EXPECT_EQ(fresh->new_version, 3);
  EXPECT_EQ(Sql("SELECT version || ' ' || origin || ' ' || proposal_id FROM pinset_versions ORDER BY version DESC "
                "LIMIT 1"),
            "3 proposal " + std::to_string(id));
}

TEST_F(PinStoreTest, RacingFinalApprovalsMakeExactlyOneVersion) {
  AddApprovers({"alice", "bob", "carol"});
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  for (int round = 0; round < kRaceRounds; ++round) {
    const auto [pinset, id, next] = OneApprovalShort(round);

    auto [b, c] = Race([&] { return store_->Decide(id, Approve("bob"), 2, 1, next); },
                       [&] { return other->Decide(id, Approve("carol"), 2, 1, next); });
    ASSERT_NE(b.ok(), c.ok()) << "round " << round << ": " << b.status().ToString() << " / "
                              << c.status().ToString();
    const auto& won = b.ok() ? b : c;
    const auto& lost = b.ok() ? c : b;
    EXPECT_EQ(won->status, ProposalStatus::kApproved);
    EXPECT_EQ(won->new_version, 2);
    EXPECT_EQ(lost.status().code(), Code::kFailedPrecondition) << lost.status().ToString();
    EXPECT_EQ(Count("pinset_versions WHERE pinset = '" + pinset + "'"), 2) << "round " << round;
    EXPECT_EQ(Count("proposal_decisions WHERE proposal_id = " + std::to_string(id)), 2) << "round " << round;
    EXPECT_EQ(Count("audit_log WHERE action = 'approve' AND version IS NOT NULL AND proposal_id = " +
                    std::to_string(id)),
              1)
        << "round " << round;
  }
}

// A final approval and a rejection at once: the proposal ends one way, and the stored
// status agrees with the version table (approved with a new version, or rejected without).
TEST_F(PinStoreTest, RacingApprovalAndRejectionEndTheProposalOneWay) {
  AddApprovers({"alice", "bob", "carol"});
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  for (int round = 0; round < kRaceRounds; ++round) {
    const auto [pinset, id, next] = OneApprovalShort(round);

    auto [approved, rejected] = Race([&] { return store_->Decide(id, Approve("bob"), 2, 1, next); },
                                     [&] { return other->Decide(id, Reject("carol"), 2, 1, next); });
    ASSERT_NE(approved.ok(), rejected.ok()) << "round " << round << ": " << approved.status().ToString() << " / "
                                            << rejected.status().ToString();
    const std::string where = " WHERE pinset = '" + pinset + "'";
    if (approved.ok()) {
      EXPECT_EQ(approved->status, ProposalStatus::kApproved);
      EXPECT_EQ(rejected.status().code(), Code::kFailedPrecondition) << rejected.status().ToString();
      EXPECT_EQ(Sql("SELECT status || ' ' || applied_version FROM proposals" + where), "approved 2") << round;
      EXPECT_EQ(Count("pinset_versions" + where), 2) << "round " << round;
    } else {
      EXPECT_EQ(rejected->status, ProposalStatus::kRejected);
      EXPECT_EQ(approved.status().code(), Code::kFailedPrecondition) << approved.status().ToString();
      EXPECT_EQ(Sql("SELECT status || ' ' || (applied_version IS NULL) FROM proposals" + where), "rejected true")
          << "round " << round;
      EXPECT_EQ(Count("pinset_versions" + where), 1) << "round " << round;
    }
    EXPECT_EQ(Count("proposal_decisions WHERE proposal_id = " + std::to_string(id)), 2) << "round " << round;
  }
}

// --- 5. publish ---

TEST_F(PinStoreTest, MarkPublishedStoresTheFirstDocumentOnceAndAppliesProposals) {
  MakeVersionOne("web");
  AddApprovers({"alice"});
  // Three approved proposals, making versions 2, 3 and 4.
  std::vector<int64_t> ids;
  std::vector<Hash> pins = {Key(1)};
  for (int64_t version = 2; version <= 4; ++version) {
    ids.push_back(ProposeKey("web", static_cast<int>(version) + 3, static_cast<int>(version)));
    pins.push_back(Key(static_cast<int>(version) + 3));
    auto approved = store_->Decide(ids.back(), Approve("alice"), 1, version - 1, Config("web", pins));
    ASSERT_TRUE(approved.ok()) << approved.status().ToString();
    ASSERT_EQ(approved->new_version, version);
  }
  auto statuses = [&] { return Sql("SELECT applied_version || ' ' || status FROM proposals ORDER BY id"); };

  // Version 3 is published first (version 2 never was): the proposals of 2 and 3 are applied.
  auto published = store_->MarkPublished("web", 3, "document one", "signature one");
  ASSERT_TRUE(published.ok()) << published.status().ToString();
  EXPECT_EQ(published->version, 3);
  EXPECT_EQ(published->document, "document one");
  EXPECT_EQ(published->signature, "signature one");
  EXPECT_FALSE(published->published_at.empty());
  EXPECT_EQ(statuses(), "2 applied\n3 applied\n4 approved");

  // A replica that lost the race gets the winner's bytes, and nothing changes.
  auto again = store_->MarkPublished("web", 3, "document two", "signature two");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->document, "document one");
  EXPECT_EQ(again->signature, "signature one");
  EXPECT_EQ(again->published_at, published->published_at);
  EXPECT_EQ(Sql("SELECT version || ' ' || document || '|' || signature FROM pinset_versions "
                "WHERE document IS NOT NULL"),
            "3 document one|signature one");
  EXPECT_EQ(Count("audit_log WHERE action = 'publish'"), 1);
  EXPECT_EQ(statuses(), "2 applied\n3 applied\n4 approved");

  auto fourth = store_->MarkPublished("web", 4, "document four", "signature four");
  ASSERT_TRUE(fourth.ok()) << fourth.status().ToString();
  EXPECT_EQ(fourth->document, "document four");
  EXPECT_EQ(statuses(), "2 applied\n3 applied\n4 applied");

  EXPECT_EQ(store_->MarkPublished("web", 9, "d", "s").status().code(), Code::kNotFound);
  EXPECT_EQ(Count("pinset_versions WHERE version = 9"), 0);
}

TEST_F(PinStoreTest, MarkPublishedRacedFromTwoConnectionsStoresOneDocument) {
  auto other = Connect();
  ASSERT_NE(other, nullptr);
  for (int round = 0; round < kRaceRounds; ++round) {
    const std::string pinset = "race" + std::to_string(round);
    MakeVersionOne(pinset);
    auto [a, b] = Race([&] { return store_->MarkPublished(pinset, 1, "doc a", "sig a"); },
                       [&] { return other->MarkPublished(pinset, 1, "doc b", "sig b"); });
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ(a->document, b->document) << "round " << round;
    EXPECT_EQ(a->signature, b->signature) << "round " << round;
    EXPECT_EQ(a->document == "doc a" ? "sig a" : "sig b", a->signature) << "round " << round;
    EXPECT_EQ(Sql("SELECT document FROM pinset_versions WHERE pinset = '" + pinset + "'"), a->document);
    EXPECT_EQ(Count("audit_log WHERE action = 'publish' AND pinset = '" + pinset + "'"), 1) << "round " << round;
  }
}

// --- 6. operators ---

TEST_F(PinStoreTest, AddOperatorTwiceWithTheSameNameIsRefused) {
  ASSERT_TRUE(store_->AddOperator("alice", "approver", Token(1)).ok());
  Status twice = store_->AddOperator("alice", "viewer", Token(2));
  EXPECT_EQ(twice.code(), Code::kFailedPrecondition) << twice.ToString();
  EXPECT_EQ(Sql("SELECT name || ' ' || role || ' ' || encode(token_sha256, 'hex') FROM operators"),
            "alice approver " + HexEncode(Token(1)));
  EXPECT_EQ(Count("audit_log WHERE action = 'operator_add'"), 1);
}

TEST_F(PinStoreTest, RemovedOperatorIsUnlistedAndItsNameCanBeAddedAgain) {
  ASSERT_TRUE(store_->AddOperator("alice", "approver", Token(1)).ok());
  ASSERT_TRUE(store_->AddOperator("bob", "viewer", Token(2)).ok());
  ASSERT_TRUE(store_->RemoveOperator("alice").ok());

  auto listed = store_->ListOperators();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].name, "bob");
  EXPECT_EQ((*listed)[0].role, "viewer");
  EXPECT_EQ(store_->RemoveOperator("alice").code(), Code::kNotFound);
  EXPECT_EQ(store_->RemoveOperator("nobody").code(), Code::kNotFound);
  EXPECT_EQ(Count("audit_log WHERE action = 'operator_remove'"), 1);

  Status readded = store_->AddOperator("alice", "viewer", Token(3));
  ASSERT_TRUE(readded.ok()) << readded.ToString();
  listed = store_->ListOperators();
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].name, "alice");
  EXPECT_EQ((*listed)[0].role, "viewer");
  EXPECT_EQ(Sql("SELECT role || ' ' || encode(token_sha256, 'hex') || ' ' || (removed_at IS NULL) FROM operators "
                "WHERE name = 'alice'"),
            "viewer " + HexEncode(Token(3)) + " true");
  EXPECT_EQ(Count("operators"), 2);
}

// The schema keeps token hashes unique, and AddOperator maps that unique violation to
// kInternal (GuardPq's "anything else"), not kFailedPrecondition: acceptable only because
// `pinwatch operator add` draws a fresh random token every time, so no operator ever meets it.
TEST_F(PinStoreTest, TokenHashesAreUnique) {
  ASSERT_TRUE(store_->AddOperator("alice", "approver", Token(1)).ok());
  Status same_token = store_->AddOperator("bob", "approver", Token(1));
  EXPECT_FALSE(same_token.ok());
  EXPECT_EQ(same_token.code(), Code::kInternal) << same_token.ToString();
  EXPECT_TRUE(Contains(same_token.message(), "token_sha256")) << same_token.message();
  EXPECT_EQ(Sql("SELECT name FROM operators"), "alice");
  EXPECT_EQ(Count("audit_log WHERE action = 'operator_add'"), 1);

  // A removed operator's hash stays taken too: re-adding another name with it fails alike.
  ASSERT_TRUE(store_->RemoveOperator("alice").ok());
  EXPECT_FALSE(store_->AddOperator("carol", "approver", Token(1)).ok());
  EXPECT_EQ(Count("operators"), 1);
}

// --- 7. the proposal list ---

TEST_F(PinStoreTest, ListProposalsFiltersByStatusIdsAndPinset) {
  MakeVersionOne("a");
  MakeVersionOne("b");
  AddApprovers({"alice"});
  const int64_t a_pending = ProposeKey("a", 11, 1);
  const int64_t a_rejected = ProposeKey("a", 12, 2);
  const int64_t b_pending = ProposeKey("b", 13, 3);
  const int64_t b_approved = ProposeKey("b", 14, 4);
  ASSERT_TRUE(store_->Decide(a_rejected, Reject("alice"), 1, 1, Config("a", {Key(1), Key(12)})).ok());
  ASSERT_TRUE(store_->Decide(b_approved, Approve("alice"), 1, 1, Config("b", {Key(1), Key(14)})).ok());

  auto ids = [&](const ProposalFilter& filter) {
    std::vector<int64_t> out;
    auto listed = store_->ListProposals(filter);
    EXPECT_TRUE(listed.ok()) << listed.status().ToString();
    if (listed.ok()) {
      for (const Proposal& p : *listed) out.push_back(p.id);
    }
    return out;
  };
  using V = std::vector<int64_t>;
  EXPECT_EQ(ids({}), (V{a_pending, a_rejected, b_pending, b_approved}));
  EXPECT_EQ(ids({.statuses = {ProposalStatus::kPending}}), (V{a_pending, b_pending}));
  EXPECT_EQ(ids({.statuses = {ProposalStatus::kRejected, ProposalStatus::kApproved}}), (V{a_rejected, b_approved}));
  EXPECT_EQ(ids({.statuses = {ProposalStatus::kApplied}}), V{});
  EXPECT_EQ(ids({.ids = {b_pending, a_rejected}}), (V{a_rejected, b_pending}));
  EXPECT_EQ(ids({.pinset = "b"}), (V{b_pending, b_approved}));
  EXPECT_EQ(ids({.statuses = {ProposalStatus::kPending}, .pinset = "a"}), V{a_pending});
  EXPECT_EQ(ids({.statuses = {ProposalStatus::kPending}, .ids = {b_approved}}), V{});
  EXPECT_EQ(ids({.pinset = "nowhere"}), V{});

  auto without = store_->ListProposals({.with_evidence = false});
  ASSERT_TRUE(without.ok()) << without.status().ToString();
  ASSERT_EQ(without->size(), 4u);
  for (const Proposal& p : *without) EXPECT_TRUE(p.evidence.empty()) << p.id;
  EXPECT_EQ((*without)[1].status, ProposalStatus::kRejected);
  ASSERT_EQ((*without)[1].decisions.size(), 1u);  // decisions come either way
  EXPECT_FALSE((*without)[1].decisions[0].approve);
  EXPECT_EQ((*without)[3].applied_version, 2);
  EXPECT_FALSE((*without)[3].decided_at.empty());
  EXPECT_TRUE((*without)[0].decided_at.empty());

  auto with = store_->ListProposals({.ids = {a_pending}});
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  ASSERT_EQ(with->size(), 1u);
  const Proposal& p = (*with)[0];
  EXPECT_EQ(p.pinset, "a");
  EXPECT_EQ(p.pin, Key(11));
  EXPECT_EQ(p.action, ProposalAction::kAdd);
  EXPECT_EQ(p.role, KeyRole::kLeaf);
  EXPECT_EQ(p.base_version, 1);
  ASSERT_EQ(p.evidence.size(), 1u);
  EXPECT_EQ(p.evidence[0].certificate.tbs_sha256, HashOfText("tbs 1"));
  EXPECT_EQ(p.evidence[0].certificate.spki_sha256, Key(11));
  EXPECT_TRUE(p.evidence[0].certificate.der.empty());
}

TEST_F(PinStoreTest, ListProposalsGivesFirstEntryTimesOfTheKeyForLeadTime) {
  MakeVersionOne("web");
  AddLog(1, "Log One");
  AddLog(2, "Log Two");
  // Two certificates with key 5: the earliest precertificate entry is c2's (1'000), the
  // earliest final certificate entry c1's (61'000). A certificate with another key logged
  // earlier counts for nothing; neither does key 5 as an issuer key.
  const int64_t c1 = AddCertificate(1, Key(5));
  const int64_t c2 = AddCertificate(2, Key(5));
  const int64_t c3 = AddCertificate(3, Key(6), /*issuer_spki=*/Key(5));
  AddEntry(1, 10, c1, "precert", 5'000);
  AddEntry(2, 20, c1, "x509", 61'000);
  AddEntry(2, 21, c1, "x509", 90'000);
  AddEntry(1, 11, c2, "precert", 1'000);
  AddEntry(1, 12, c3, "precert", 10);
  AddEntry(1, 13, c3, "x509", 20);
  Sql("INSERT INTO findings (kind, severity, watched, certificate_id, reason, dedupe_key) VALUES "
      "('unexpected_key', 'warning', 'example.com', " + std::to_string(c1) + ", 'r', decode('01', 'hex'))");

  auto proposed = store_->Propose(AddPin("web", Key(5), {c1}));
  ASSERT_TRUE(proposed.ok() && proposed->has_value()) << proposed.status().ToString();
  const int64_t id = (*proposed)->first;
  const int64_t without_entries = ProposeKey("web", 7, 4);
  // Key 5 pinned as a CA key (in another pin-set): the times come from the certificates it
  // issued (c3).
  auto ca = store_->Propose({.pinset = "ca", .pin = Key(5), .role = KeyRole::kCa, .reason = "a CA key",
                             .base_version = 1, .certificate_ids = {c3}});
  ASSERT_TRUE(ca.ok() && ca->has_value()) << ca.status().ToString();
  auto ca_listed = store_->ListProposals({.ids = {(*ca)->first}, .with_evidence = false});
  ASSERT_TRUE(ca_listed.ok()) << ca_listed.status().ToString();
  ASSERT_EQ(ca_listed->size(), 1u);
  EXPECT_EQ((*ca_listed)[0].role, KeyRole::kCa);
  EXPECT_EQ((*ca_listed)[0].first_precert_ms, 10);
  EXPECT_EQ((*ca_listed)[0].first_certificate_ms, 20);

  auto listed = store_->ListProposals({.ids = {id, without_entries}});
  ASSERT_TRUE(listed.ok()) << listed.status().ToString();
  ASSERT_EQ(listed->size(), 2u);
  const Proposal& p = (*listed)[0];
  EXPECT_EQ(p.first_precert_ms, 1'000);
  EXPECT_EQ(p.first_certificate_ms, 61'000);
  ASSERT_TRUE(p.first_precert_ms && p.first_certificate_ms);
  EXPECT_EQ(*p.first_certificate_ms - *p.first_precert_ms, 60'000);  // the lead time
  EXPECT_EQ((*listed)[1].first_precert_ms, std::nullopt);
  EXPECT_EQ((*listed)[1].first_certificate_ms, std::nullopt);

  // The evidence: c1 with its three entries, oldest first, and its finding.
  ASSERT_EQ(p.evidence.size(), 1u);
  const ProposalEvidence& ev = p.evidence[0];
  ASSERT_EQ(ev.entries.size(), 3u);
  EXPECT_EQ(ev.entries[0].log_description, "Log One");
  EXPECT_EQ(ev.entries[0].log_id, Key(1001));
  EXPECT_EQ(ev.entries[0].index, 10u);
  EXPECT_EQ(ev.entries[0].entry_type, "precert");
  EXPECT_EQ(ev.entries[0].timestamp_ms, 5'000u);
  EXPECT_TRUE(ev.entries[0].verified);
  EXPECT_EQ(ev.entries[1].log_description, "Log Two");
  EXPECT_EQ(ev.entries[1].index, 20u);
  EXPECT_EQ(ev.entries[2].index, 21u);
  EXPECT_EQ(ev.finding_ids, std::vector<int64_t>{std::stoll(Sql("SELECT id FROM findings"))});
}

}  // namespace
}  // namespace pinwatch::db
