// ReportStore's promises one by one (db/report_store.h), on a real PostgreSQL: what CT
// showed about a reported leaf, counting a report in its group (a resend merged, clients
// counted in the window), findings raised once with one alert, links that mark a proposal
// urgent, and the listing.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/encoding.h"
#include "base/sha256.h"
#include "db/pin_store.h"
#include "db/postgres.h"
#include "db/report_store.h"
#include "tests/integration/postgres_suite.h"

namespace pinwatch::db {
namespace {

Hash HashOf(const std::string& text) { return Sha256Of(Bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size())); }

class ReportStoreTest : public testing::PostgresSuite<ReportStoreTest> {
 protected:
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << StartError();
    db_ = NewDatabase("reports");
    auto migrated = MigrateSchema(server_->url(db_));
    ASSERT_TRUE(migrated.ok()) << migrated.status().ToString();
    auto store = ConnectReportStore(server_->url(db_));
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(*store);
  }

  std::string Sql(const std::string& sql) {
    auto out = server_->Psql(sql, db_);
    EXPECT_TRUE(out.ok()) << sql << ": " << out.status().ToString();
    return out.ok() ? *out : "<psql failed>";
  }
  static std::string Bytea(const Hash& h) { return "decode('" + HexEncode(h) + "', 'hex')"; }

  // AddCertificate stores a certificate for `names` (a JSON array) with key `spki` and a
  // finding of `kind` about it; returns the certificate's id.
  int64_t AddCertificate(const std::string& tbs, const std::string& names, const Hash& spki, const std::string& kind) {
    const int64_t id = std::stoll(Sql(
        "INSERT INTO certificates (tbs_sha256, parsed, der_kind, der, dns_names, spki_sha256) VALUES (" +
        Bytea(HashOf(tbs)) + ", true, 'certificate', decode('3082', 'hex'), '" + names + "', " + Bytea(spki) +
        ") RETURNING id"));
    Sql("INSERT INTO findings (kind, severity, watched, certificate_id, reason, dedupe_key) VALUES ('" + kind +
        "', 'warning', 'example.com', " + std::to_string(id) + ", 'r', " + Bytea(HashOf("finding " + tbs)) + ")");
    return id;
  }

  NewReport Report(const std::string& client, const std::string& identity, int64_t happened) {
    return NewReport{.group_key = HashOf("group"),
                     .hostname = "www.example.com",
                     .watched = "example.com",
                     .classification = "interception",
                     .reason = "not in CT",
                     .leaf_spki = HashOf("leaf"),
                     .client = HashOf(client),
                     .identity = HashOf(identity),
                     .happened_unix_s = happened,
                     .example_json = "{}",
                     .window_s = 3600};
  }

  std::string db_;
  std::unique_ptr<ReportStore> store_;
};

TEST_F(ReportStoreTest, CertificatesAreFoundByTbsAndByKeyForTheNameFromAnAllowedCa) {
  const Hash key = HashOf("key b");
  const int64_t rogue = AddCertificate("rogue", "[\"pay.example.com\"]", HashOf("key c"), "unexpected_issuer");
  const int64_t wildcard = AddCertificate("wild", "[\"*.Example.com\"]", key, "unexpected_key");
  AddCertificate("other name", "[\"www.other.test\"]", key, "known_key");

  auto by_tbs = store_->CertificateByTbs(HashOf("rogue"));
  ASSERT_TRUE(by_tbs.ok()) << by_tbs.status().ToString();
  ASSERT_TRUE(by_tbs->has_value());
  EXPECT_EQ((*by_tbs)->certificate_id, rogue);
  EXPECT_TRUE((*by_tbs)->unexpected_issuer_finding_id.has_value());
  EXPECT_FALSE((*by_tbs)->issuer_allowed);
  EXPECT_FALSE(store_->CertificateByTbs(HashOf("never logged"))->has_value());

  // The wildcard one label up covers www (case aside); the other name's certificate never does.
  auto by_key = store_->CertificateWithKey(key, "www.example.com");
  ASSERT_TRUE(by_key.ok()) << by_key.status().ToString();
  ASSERT_TRUE(by_key->has_value());
  EXPECT_EQ((*by_key)->certificate_id, wildcard);
  EXPECT_TRUE((*by_key)->issuer_allowed);
  EXPECT_FALSE(store_->CertificateWithKey(key, "a.www.example.com")->has_value());
  // A key seen only from an unexpected CA is not "from an allowed CA".
  EXPECT_FALSE(store_->CertificateWithKey(HashOf("key c"), "pay.example.com")->has_value());
}

TEST_F(ReportStoreTest, AResendWithin24HoursIsMergedAndClientsAreCountedInTheWindow) {
  const int64_t t = 1'800'000'000;
  auto first = store_->Record(Report("phone 1", "report A", t));
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_FALSE(first->duplicate);
  EXPECT_EQ(first->reports, 1);
  EXPECT_EQ(first->clients_in_window, 1);
  // The same report from the same client 23 h later (a late background delivery): merged.
  auto resend = store_->Record(Report("phone 1", "report A", t + 23 * 3600));
  ASSERT_TRUE(resend.ok());
  EXPECT_TRUE(resend->duplicate);
  EXPECT_EQ(resend->report_id, first->report_id);
  EXPECT_EQ(resend->reports, 1);
  // 25 h later it is a report again.
  auto next_day = store_->Record(Report("phone 1", "report A", t + 25 * 3600));
  ASSERT_TRUE(next_day.ok());
  EXPECT_FALSE(next_day->duplicate);
  EXPECT_EQ(next_day->reports, 2);
  // Another client within the hour counts; one from two hours before does not.
  auto second_client = store_->Record(Report("phone 2", "report A", t + 25 * 3600 + 60));
  ASSERT_TRUE(second_client.ok());
  EXPECT_EQ(second_client->clients_in_window, 2);
  auto early_client = store_->Record(Report("phone 3", "report B", t + 23 * 3600));
  ASSERT_TRUE(early_client.ok());
  EXPECT_EQ(early_client->clients_in_window, 1) << "phone 1's sighting moved to t+25h, phone 2's is there too";

  auto rows = store_->List(0);
  ASSERT_TRUE(rows.ok()) << rows.status().ToString();
  ASSERT_EQ(rows->size(), 1u);
  const ReportRow& r = rows->front();
  EXPECT_EQ(r.reports, 4);
  EXPECT_EQ(r.duplicates, 1);
  EXPECT_EQ(r.distinct_clients, 3);
  EXPECT_EQ(r.first_seen, "2027-01-15T08:00:00Z");  // t, the reports' own time
  EXPECT_EQ(r.last_seen, "2027-01-16T09:01:00Z");   // t + 25 h + 1 min
  EXPECT_EQ(r.classification, "interception");
  EXPECT_EQ(r.leaf_spki, HashOf("leaf"));
  EXPECT_FALSE(r.issuer_spki.has_value());
}

TEST_F(ReportStoreTest, AFindingIsRaisedOnceWithOneAlertAndALinkedProposalIsUrgent) {
  const int64_t cert = AddCertificate("b", "[\"api.example.com\"]", HashOf("key b"), "unexpected_key");
  ReportFinding f{.kind = FindingKind::kStalePinset,
                  .watched = "example.com",
                  .certificate_id = cert,
                  .reason = "apps fail",
                  .evidence_json = "{\"pin_report_id\":1}",
                  .dedupe = "api.example.com/key b"};
  auto id = store_->RaiseFinding(f);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto again = store_->RaiseFinding(f);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *id);
  EXPECT_EQ(Sql("SELECT kind || ' ' || severity || ' ' || evidence::text FROM findings WHERE id = " + std::to_string(*id)),
            "stale_pinset critical {\"pin_report_id\": 1}");
  EXPECT_EQ(Sql("SELECT count(*) FROM alert_outbox WHERE finding_id = " + std::to_string(*id)), "1");
  // Interception: no certificate, and no alert when told not to alert.
  auto quiet = store_->RaiseFinding({.kind = FindingKind::kInterception, .watched = "example.com", .reason = "proxy",
                                     .dedupe = "proxy", .alerting = false});
  ASSERT_TRUE(quiet.ok()) << quiet.status().ToString();
  EXPECT_EQ(Sql("SELECT count(*) FROM alert_outbox WHERE finding_id = " + std::to_string(*quiet)), "0");

  auto pins = ConnectPinStore(server_->url(db_));
  ASSERT_TRUE(pins.ok());
  ASSERT_TRUE((*pins)->EnsureFirstVersion({.pinset = "api", .pins = {HashOf("key a")}, .names = {"api.example.com"}}).ok());
  auto proposed = (*pins)->Propose({.pinset = "api", .pin = HashOf("key b"), .reason = "r", .base_version = 1,
                                    .certificate_ids = {cert}});
  ASSERT_TRUE(proposed.ok() && proposed->has_value()) << proposed.status().ToString();
  auto recorded = store_->Record(Report("phone", "report", 1'800'000'000));
  ASSERT_TRUE(recorded.ok());
  ASSERT_TRUE(store_->Link(recorded->report_id, *id, (*proposed)->first).ok());
  auto rows = store_->List(0);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->front().finding_id, *id);
  EXPECT_EQ(rows->front().proposal_id, (*proposed)->first);
  EXPECT_TRUE(rows->front().proposal_urgent);
  // Linking again keeps the first urgent time.
  const std::string urgent_at = Sql("SELECT urgent_at FROM proposals");
  ASSERT_TRUE(store_->Link(recorded->report_id, std::nullopt, (*proposed)->first).ok());
  EXPECT_EQ(Sql("SELECT urgent_at FROM proposals"), urgent_at);
  EXPECT_EQ(store_->List(0)->front().finding_id, *id) << "a link without a finding keeps the one linked";
}

}  // namespace
}  // namespace pinwatch::db
