// The stores' promises (db/log_state_store.h, db/finding_store.h), checked directly against a real, throwaway PostgreSQL (one server for
// the suite, one database per test): migrations, following logs, leases shared between
// replicas, commits fenced by lease and position and idempotent on replay, misbehaviour
// evidence, the findings the CLI lists, and connection errors that keep passwords out.
// Rows are counted with psql, not through the Store, so a Store that lies about what it
// wrote cannot hide it.
#include "db/postgres.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <rapidjson/document.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <thread>

#include "base/encoding.h"
#include "ctlog/sha256.h"
#include "tests/integration/postgres_suite.h"
#include "tests/support/postgres_server.h"

namespace pinwatch::db {
namespace {

using pinwatch::testing::PostgresServer;

// --- values built by hand ---

// MakeLog returns a log whose id is SHA-256 of its (fake) key, as RFC 6962 defines it.
LogRecord MakeLog(uint8_t n, const std::string& description) {
  LogRecord log;
  log.key = {0x30, 0x59, 0x30, 0x13, n, 0x06, 0x07, n};
  log.log_id = ctlog::Sha256Of(log.key);
  log.description = description;
  log.api = ctlog::LogApi::kRfc6962;
  log.url = "https://log" + std::to_string(n) + ".example/ct/";
  log.submission_url = log.url;
  log.mmd_seconds = 86400;
  log.state = "usable";
  return log;
}

ctlog::Hash LeafHash(uint64_t index) {
  const std::string leaf = "leaf " + std::to_string(index);
  return ctlog::HashLeaf(Bytes(reinterpret_cast<const uint8_t*>(leaf.data()), leaf.size()));
}

// RangeOf is the compact range of [0, n) over LeafHash(i).
ctlog::CompactRange RangeOf(uint64_t n) {
  ctlog::CompactRange range;
  for (uint64_t i = 0; i < n; ++i) range.Append(LeafHash(i));
  return range;
}

ctlog::SignedTreeHead HeadOf(const ctlog::CompactRange& range) {
  ctlog::SignedTreeHead head;
  head.tree_size = range.end();
  head.timestamp_ms = 1'700'000'000'000 + range.end();
  head.root_hash = range.Root();
  head.signature.hash_algorithm = ctlog::kHashSha256;
  head.signature.signature_algorithm = ctlog::kSignatureEcdsa;
  head.signature.signature = {0x30, 0x45, 0x02, 0x21, 0x00, static_cast<uint8_t>(range.end()), 0xfe, 0x00, 0x01};
  return head;
}

// Checkpoint is position `position` with entries [0, verified) verified by a signed head.
TreeState Checkpoint(uint64_t position, uint64_t verified) {
  TreeState cp;
  cp.pending_range = RangeOf(position);
  cp.verified_range = RangeOf(verified);
  if (verified > 0) cp.verified_head = HeadOf(cp.verified_range);
  return cp;
}

std::vector<uint8_t> DerOf(uint8_t n, const std::string& der_kind) {
  const std::string text = "\x30\x82" + std::string(1, static_cast<char>(n)) + der_kind;
  return std::vector<uint8_t>(text.begin(), text.end());
}

CertificateRecord MakeCertificate(uint8_t n, const std::string& der_kind) {
  CertificateRecord c;
  const std::vector<uint8_t> tbs = {'t', 'b', 's', n};
  c.tbs_sha256 = ctlog::Sha256Of(tbs);
  c.dns_names = {"www.example.com", "example.com"};
  c.ip_addresses = {"192.0.2.1"};
  c.subject = "CN=www.example.com,O=Ex\xc3\xa4mple";
  c.issuer = "CN=Test CA " + std::to_string(n);
  c.serial = "01:02:" + std::to_string(n);
  c.not_before_unix_s = 1'700'000'000;
  c.not_after_unix_s = 1'731'536'000;
  c.spki_sha256 = ctlog::Sha256Of(std::vector<uint8_t>{'k', n});
  c.issuer_spki_sha256 = ctlog::Sha256Of(std::vector<uint8_t>{'i', n});
  c.key_type = "EC";
  c.key_bits = 256;
  c.ec_curve = "prime256v1";
  c.der_kind = der_kind;
  c.der = DerOf(n, der_kind);
  return c;
}

MatchedEntry MakeEntry(uint64_t index, ctlog::LogEntryType type, CertificateRecord certificate,
                       std::vector<FindingRecord> findings = {}) {
  MatchedEntry m;
  m.index = index;
  m.entry_type = type;
  m.timestamp_ms = 1'690'000'000'000 + index;
  m.certificate = std::move(certificate);
  m.findings = std::move(findings);
  return m;
}

constexpr auto kX509 = ctlog::LogEntryType::kX509Entry;
constexpr auto kPrecert = ctlog::LogEntryType::kPrecertEntry;

BatchCommit Batch(const LogRecord& log, std::optional<uint64_t> from, uint64_t position, uint64_t verified,
                  std::vector<MatchedEntry> matches = {}) {
  BatchCommit b;
  b.log_id = log.log_id;
  b.from_position = from;
  b.tree = Checkpoint(position, verified);
  b.matches = std::move(matches);
  return b;
}

std::string Hex(const ctlog::Hash& h) { return HexEncode(h); }

// --- the fixture: one server for the suite, one database per test ---

class StoreTest : public testing::PostgresSuite<StoreTest> {
 protected:
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << StartError();
    db_ = NewDatabase();
  }

  std::string NewDatabase() { return PostgresSuite::NewDatabase("store"); }

  std::string Url() const { return server_->url(db_); }

  // Stores is one replica's view of this test's database: both stores, each on its own
  // connection, and the schema functions on its URL.
  struct Stores {
    std::string url;
    std::unique_ptr<LogStateStore> log;
    std::unique_ptr<FindingStore> findings;
    Result<MigrateResult> Migrate() const { return MigrateSchema(url); }
    Result<int> CurrentVersion() const { return SchemaVersionOf(url); }
    Status CheckVersion() const { return CheckSchema(url); }
  };

  // Open connects to this test's database, migrated unless asked not to.
  std::unique_ptr<Stores> Open(bool migrate = true) {
    auto log = ConnectLogStateStore(Url());
    auto findings = ConnectFindingStore(Url());
    EXPECT_TRUE(log.ok()) << log.status().ToString();
    EXPECT_TRUE(findings.ok()) << findings.status().ToString();
    if (!log.ok() || !findings.ok()) return nullptr;
    auto stores = std::make_unique<Stores>(Stores{Url(), std::move(*log), std::move(*findings)});
    if (migrate) {
      auto m = stores->Migrate();
      EXPECT_TRUE(m.ok()) << m.status().ToString();
    }
    return stores;
  }

  // Sql runs SQL with psql in this test's database; rows are lines, columns split by '|'.
  std::string Sql(const std::string& sql) {
    auto out = server_->Psql(sql, db_);
    EXPECT_TRUE(out.ok()) << sql << ": " << out.status().ToString();
    return out.ok() ? *out : "<psql failed>";
  }
  int64_t Count(const std::string& from_where) { return std::stoll(Sql("SELECT count(*) FROM " + from_where)); }

  // Rows returns how many certificates, certificate entries and findings there are.
  std::string Rows() {
    return Sql("SELECT (SELECT count(*) FROM certificates) || ' certificates, ' || "
               "(SELECT count(*) FROM certificate_entries) || ' entries, ' || "
               "(SELECT count(*) FROM findings) || ' findings'");
  }

  // FollowAndLease syncs `logs` and gives every one of them to replica "r1".
  void FollowAndLease(std::unique_ptr<Stores>& store, const std::vector<LogRecord>& logs) {
    ASSERT_TRUE(store->log->SyncLogs(logs).ok());
    auto view = store->log->KeepLeases("r1", 60);
    ASSERT_TRUE(view.ok()) << view.status().ToString();
    ASSERT_EQ(view->held.size(), logs.size());
  }

  // CommitOneAlert follows a log "A" and commits one certificate whose finding of `kind`
  // alerts; returns that finding's id (-1 if it could not).
  int64_t CommitOneAlert(std::unique_ptr<Stores>& store, FindingKind kind) {
    LogRecord a = MakeLog(1, "A");
    FollowAndLease(store, {a});
    FindingRecord finding{.kind = kind, .watched = "example.com", .reason = "r", .alerting = db::Alerting::kOutbox};
    Status committed = store->log->Commit(
        "r1", Batch(a, std::nullopt, 10, 10, {MakeEntry(2, kX509, MakeCertificate(1, "certificate"), {finding})}));
    EXPECT_TRUE(committed.ok()) << committed.ToString();
    return committed.ok() ? std::stoll(Sql("SELECT finding_id FROM alert_outbox")) : -1;
  }

  std::string db_;
};


bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// --- 1. migrations ---

TEST_F(StoreTest, FreshDatabaseIsAtVersionZeroAndMigrateAppliesEveryStepOnce) {
  auto store = Open(/*migrate=*/false);
  ASSERT_NE(store, nullptr);
  auto version = store->CurrentVersion();
  ASSERT_TRUE(version.ok()) << version.status().ToString();
  EXPECT_EQ(*version, 0);
  Status check = store->CheckVersion();
  EXPECT_EQ(check.code(), Code::kFailedPrecondition);
  EXPECT_TRUE(Contains(check.message(), "pinwatch migrate")) << check.message();

  auto first = store->Migrate();
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  EXPECT_EQ(first->from_version, 0);
  EXPECT_EQ(first->to_version, SchemaVersion());
  std::vector<std::string> every;
  for (const Migration& m : Migrations()) every.push_back(std::to_string(m.version) + " " + m.name);
  EXPECT_EQ(first->applied, every);
  EXPECT_TRUE(store->CheckVersion().ok());
  EXPECT_EQ(store->CurrentVersion().value(), SchemaVersion());
  EXPECT_EQ(Count("schema_migrations"), static_cast<int64_t>(Migrations().size()));

  auto second = store->Migrate();
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->from_version, SchemaVersion());
  EXPECT_TRUE(second->applied.empty());
  EXPECT_EQ(Count("schema_migrations"), static_cast<int64_t>(Migrations().size()));
}

TEST_F(StoreTest, TwoStoresMigratingAtOnceApplyEachStepOnce) {
  // A few fresh databases, to give a missing lock several chances to show.
  for (int round = 0; round < 4; ++round) {
    if (round > 0) db_ = NewDatabase();
    auto a = Open(false);
    auto b = Open(false);
    ASSERT_TRUE(a && b);
    std::latch start(2);
    Result<MigrateResult> ra = InternalError("not run"), rb = InternalError("not run");
    std::thread ta([&] {
      start.arrive_and_wait();
      ra = a->Migrate();
    });
    std::thread tb([&] {
      start.arrive_and_wait();
      rb = b->Migrate();
    });
    ta.join();
    tb.join();
    ASSERT_TRUE(ra.ok()) << ra.status().ToString();
    ASSERT_TRUE(rb.ok()) << rb.status().ToString();
    EXPECT_EQ(ra->applied.size() + rb->applied.size(), Migrations().size());
    EXPECT_EQ(Sql("SELECT count(*) || '|' || count(DISTINCT version) || '|' || max(version) FROM schema_migrations"),
              std::to_string(Migrations().size()) + "|" + std::to_string(Migrations().size()) + "|" +
                  std::to_string(SchemaVersion()));
    EXPECT_TRUE(a->CheckVersion().ok());
    EXPECT_TRUE(b->CheckVersion().ok());
  }
}

TEST_F(StoreTest, NewerDatabaseIsRefused) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  Sql("INSERT INTO schema_migrations (version, name) VALUES (999, 'from_the_future')");
  EXPECT_EQ(store->CurrentVersion().value(), 999);
  Status check = store->CheckVersion();
  EXPECT_EQ(check.code(), Code::kFailedPrecondition);
  EXPECT_TRUE(Contains(check.message(), "newer")) << check.message();
  auto migrated = store->Migrate();
  ASSERT_FALSE(migrated.ok());
  EXPECT_EQ(migrated.status().code(), Code::kFailedPrecondition);
  EXPECT_TRUE(Contains(migrated.status().message(), "newer")) << migrated.status().message();
  EXPECT_EQ(Count("schema_migrations"), static_cast<int64_t>(Migrations().size()) + 1);
}

// --- 2. logs ---

TEST_F(StoreTest, SyncLogsFollowsExactlyTheGivenLogs) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "Alpha"), b = MakeLog(2, "Beta");
  b.api = ctlog::LogApi::kStaticCt;
  b.submission_url = "https://submit2.example/";
  b.mmd_seconds = 60;
  ASSERT_TRUE(store->log->SyncLogs({a, b}).ok());
  EXPECT_EQ(Sql("SELECT description || '|' || followed FROM logs ORDER BY description"), "Alpha|true\nBeta|true");

  auto got = store->log->GetLog(b.log_id);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->log_id, b.log_id);
  EXPECT_EQ(got->description, "Beta");
  EXPECT_EQ(got->api, ctlog::LogApi::kStaticCt);
  EXPECT_EQ(got->url, b.url);
  EXPECT_EQ(got->submission_url, b.submission_url);
  EXPECT_EQ(got->key, b.key);
  EXPECT_EQ(got->mmd_seconds, 60u);
  EXPECT_EQ(got->state, "usable");

  // A later configuration without Beta: Beta is kept but no longer followed; Alpha's
  // description and state are refreshed.
  a.description = "Alpha 2025";
  a.state = "readonly";
  ASSERT_TRUE(store->log->SyncLogs({a}).ok());
  EXPECT_EQ(Sql("SELECT description || '|' || state || '|' || followed FROM logs ORDER BY description"),
            "Alpha 2025|readonly|true\nBeta|usable|false");
  auto statuses = store->log->ListLogStatus();
  ASSERT_TRUE(statuses.ok());
  ASSERT_EQ(statuses->size(), 2u);
  EXPECT_EQ((*statuses)[0].log.description, "Alpha 2025");
  EXPECT_TRUE((*statuses)[0].followed);
  EXPECT_FALSE((*statuses)[1].followed);
  EXPECT_FALSE((*statuses)[0].position.has_value());

  // Beta comes back with another key: refused, naming it, and nothing changes.
  LogRecord rekeyed = b;
  rekeyed.key.push_back(0x99);
  Status s = store->log->SyncLogs({a, rekeyed});
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_TRUE(Contains(s.message(), "Beta")) << s.message();
  EXPECT_TRUE(Contains(s.message(), Base64Encode(b.log_id))) << s.message();
  EXPECT_EQ(Sql("SELECT description || '|' || followed || '|' || encode(key, 'hex') FROM logs ORDER BY description"),
            "Alpha 2025|true|" + HexEncode(a.key) + "\nBeta|false|" + HexEncode(b.key));

  // Likewise another URL.
  LogRecord moved = b;
  moved.url = "https://elsewhere.example/";
  EXPECT_EQ(store->log->SyncLogs({moved}).code(), Code::kFailedPrecondition);
  EXPECT_EQ(Sql("SELECT url FROM logs WHERE description = 'Beta'"), b.url);

  EXPECT_EQ(store->log->GetLog(MakeLog(9, "unknown").log_id).status().code(), Code::kFailedPrecondition);
}

// --- 3. leases ---

TEST_F(StoreTest, OneReplicaTakesEveryFollowedLog) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A"), b = MakeLog(2, "B"), c = MakeLog(3, "C"), d = MakeLog(4, "D");
  ASSERT_TRUE(store->log->SyncLogs({a, b, c, d}).ok());
  ASSERT_TRUE(store->log->SyncLogs({a, b, c}).ok());  // D is known but not followed

  auto view = store->log->KeepLeases("r1", 60);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->live_replicas, 1u);
  EXPECT_EQ(view->followed_logs, 3u);
  EXPECT_EQ(view->fair_share, 3u);
  EXPECT_EQ(view->held.size(), 3u);
  EXPECT_EQ(view->taken.size(), 3u);
  EXPECT_EQ(std::count(view->held.begin(), view->held.end(), d.log_id), 0);
  EXPECT_EQ(Sql("SELECT description || '|' || coalesce(lease_holder, '-') || '|' || "
                "coalesce((lease_expires_at > now() + interval '50 seconds')::text, '-') FROM logs ORDER BY description"),
            "A|r1|true\nB|r1|true\nC|r1|true\nD|-|-");

  // The next round renews and takes nothing new.
  auto again = store->log->KeepLeases("r1", 60);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->held.size(), 3u);
  EXPECT_TRUE(again->taken.empty());

  // A log that stops being followed loses its lease at the next round.
  ASSERT_TRUE(store->log->SyncLogs({a, b}).ok());
  auto fewer = store->log->KeepLeases("r1", 60);
  ASSERT_TRUE(fewer.ok());
  EXPECT_EQ(fewer->held.size(), 2u);
  EXPECT_EQ(fewer->followed_logs, 2u);
  EXPECT_EQ(Sql("SELECT coalesce(lease_holder, '-') FROM logs WHERE description = 'C'"), "-");
}

TEST_F(StoreTest, ReplicasShareLeasesFairly) {
  auto r1 = Open();
  auto r2 = Open(false);
  ASSERT_TRUE(r1 && r2);
  LogRecord a = MakeLog(1, "A"), b = MakeLog(2, "B"), c = MakeLog(3, "C");
  ASSERT_TRUE(r1->log->SyncLogs({a, b, c}).ok());
  auto v1 = r1->log->KeepLeases("r1", 60);
  ASSERT_TRUE(v1.ok());
  ASSERT_EQ(v1->held.size(), 3u);

  // r2 joins: two live replicas, a fair share of ceil(3/2) = 2, but every lease is
  // unexpired, so r2 takes nothing.
  auto v2 = r2->log->KeepLeases("r2", 60);
  ASSERT_TRUE(v2.ok()) << v2.status().ToString();
  EXPECT_EQ(v2->live_replicas, 2u);
  EXPECT_EQ(v2->fair_share, 2u);
  EXPECT_TRUE(v2->held.empty());
  EXPECT_TRUE(v2->taken.empty());
  EXPECT_EQ(Count("logs WHERE lease_holder = 'r1'"), 3);

  // r1 sees the same share and hands one log back with `release`.
  const ctlog::LogId surplus = v1->held.back();
  v1 = r1->log->KeepLeases("r1", 60, {surplus});
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->live_replicas, 2u);
  EXPECT_EQ(v1->fair_share, 2u);
  EXPECT_EQ(v1->held.size(), 2u);
  EXPECT_EQ(std::count(v1->held.begin(), v1->held.end(), surplus), 0);
  EXPECT_EQ(Sql("SELECT coalesce(lease_holder, '-') FROM logs WHERE log_id = decode('" + Hex(surplus) + "', 'hex')"),
            "-");

  // r2 takes the freed log.
  v2 = r2->log->KeepLeases("r2", 60);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->taken, std::vector<ctlog::LogId>{surplus});
  EXPECT_EQ(v2->held, std::vector<ctlog::LogId>{surplus});

  // r2 is under its share but r1's leases are unexpired: still nothing for r2.
  v2 = r2->log->KeepLeases("r2", 60);
  ASSERT_TRUE(v2.ok());
  EXPECT_TRUE(v2->taken.empty());
  EXPECT_EQ(v2->held.size(), 1u);

  // r1's leases expire (as if it had died): r2 takes one, up to its share of 2.
  Sql("UPDATE logs SET lease_expires_at = now() - interval '1 second' WHERE lease_holder = 'r1'");
  v2 = r2->log->KeepLeases("r2", 60);
  ASSERT_TRUE(v2.ok());
  ASSERT_EQ(v2->taken.size(), 1u);
  EXPECT_EQ(v2->held.size(), 2u);
  EXPECT_EQ(std::count(v1->held.begin(), v1->held.end(), v2->taken[0]), 1);
  EXPECT_EQ(Count("logs WHERE lease_holder = 'r2'"), 2);
  EXPECT_EQ(Count("logs WHERE lease_holder = 'r1'"), 1);

  // r1 comes back: it keeps (renews) only what nobody took.
  v1 = r1->log->KeepLeases("r1", 60);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->held.size(), 1u);
  EXPECT_TRUE(v1->taken.empty());
  EXPECT_EQ(Count("logs WHERE lease_holder = 'r1' AND lease_expires_at > now()"), 1);

  // A replica whose heartbeat is stale no longer counts as live.
  Sql("UPDATE replicas SET heartbeat_at = now() - interval '1 hour' WHERE replica_id = 'r2'");
  v1 = r1->log->KeepLeases("r1", 60);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->live_replicas, 1u);
  EXPECT_EQ(v1->fair_share, 3u);

  // ReleaseLeases: one log, then all of a replica's.
  const ctlog::LogId one = v2->held[0];
  ASSERT_TRUE(r2->log->ReleaseLeases("r2", one).ok());
  EXPECT_EQ(Count("logs WHERE lease_holder = 'r2'"), 1);
  EXPECT_EQ(Count("logs WHERE lease_holder IS NULL AND lease_expires_at IS NULL AND log_id = decode('" + Hex(one) +
                  "', 'hex')"),
            1);
  ASSERT_TRUE(r2->log->ReleaseLeases("r2").ok());
  EXPECT_EQ(Count("logs WHERE lease_holder = 'r2'"), 0);
  EXPECT_EQ(Count("logs WHERE lease_holder = 'r1'"), 1);  // not r2's to give back
  // Releasing someone else's log does nothing.
  ASSERT_TRUE(r2->log->ReleaseLeases("r2", v1->held[0]).ok());
  EXPECT_EQ(Count("logs WHERE lease_holder = 'r1'"), 1);

  // A replica that stops no longer counts as live: the next one (a cron run a minute later)
  // takes its fair share of everything at once.
  v2 = r2->log->KeepLeases("r2", 60);
  ASSERT_TRUE(v2.ok());
  v1 = r1->log->KeepLeases("r1", 60);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->live_replicas, 2u);
  ASSERT_TRUE(r2->log->ReleaseLeases("r2").ok());
  v1 = r1->log->KeepLeases("r1", 60);
  ASSERT_TRUE(v1.ok());
  EXPECT_EQ(v1->live_replicas, 1u);
  EXPECT_EQ(v1->held.size(), 3u);
}

// --- 4. commits ---

TEST_F(StoreTest, FirstCommitStoresTheCheckpointExactly) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(store, {a});

  auto fresh = store->log->LoadProgress(a.log_id);
  ASSERT_TRUE(fresh.ok()) << fresh.status().ToString();
  EXPECT_FALSE(fresh->position.has_value());
  EXPECT_FALSE(fresh->verified_head.has_value());
  EXPECT_EQ(fresh->pending_range.end(), 0u);
  EXPECT_EQ(fresh->verified_range.end(), 0u);
  EXPECT_EQ(store->log->LoadProgress(MakeLog(9, "unknown").log_id).status().code(), Code::kFailedPrecondition);

  BatchCommit batch = Batch(a, std::nullopt, 13, 11,
                            {MakeEntry(3, kX509, MakeCertificate(1, "certificate"),
                                       {{FindingKind::kUnexpectedIssuer, "example.com", "issuer not pinned"}}),
                             MakeEntry(12, kPrecert, MakeCertificate(2, "precertificate"))});
  batch.latest_tree_size = 20;
  ASSERT_EQ(batch.tree.pending_range.hashes().size(), 3u);  // 13 = 8 + 4 + 1
  ASSERT_TRUE(store->log->Commit("r1", batch).ok());

  auto progress = store->log->LoadProgress(a.log_id);
  ASSERT_TRUE(progress.ok()) << progress.status().ToString();
  ASSERT_TRUE(progress->position.has_value());
  EXPECT_EQ(*progress->position, 13u);
  EXPECT_EQ(progress->pending_range, RangeOf(13));
  EXPECT_EQ(progress->verified_range, RangeOf(11));
  ASSERT_TRUE(progress->verified_head.has_value());
  EXPECT_EQ(*progress->verified_head, HeadOf(RangeOf(11)));
  EXPECT_EQ(progress->verified_head->signature.signature, batch.tree.verified_head->signature.signature);
  EXPECT_EQ(progress->verified_head->root_hash, RangeOf(11).Root());

  EXPECT_EQ(Sql("SELECT entry_index || '|' || entry_type || '|' || timestamp_ms || '|' || verified "
                "FROM certificate_entries ORDER BY entry_index"),
            "3|x509|1690000000003|true\n12|precert|1690000000012|false");
  EXPECT_EQ(Rows(), "2 certificates, 2 entries, 1 findings");

  auto statuses = store->log->ListLogStatus();
  ASSERT_TRUE(statuses.ok());
  ASSERT_EQ(statuses->size(), 1u);
  EXPECT_EQ((*statuses)[0].position, std::optional<uint64_t>(13));
  EXPECT_EQ((*statuses)[0].verified_tree_size, 11u);
  EXPECT_EQ((*statuses)[0].verified_timestamp_ms, std::optional<int64_t>(1'700'000'000'011));
  EXPECT_EQ((*statuses)[0].latest_tree_size, std::optional<uint64_t>(20));
  EXPECT_EQ((*statuses)[0].lease_holder, "r1");
  EXPECT_FALSE((*statuses)[0].latest_seen_at.empty());

  // The next batch moves on from 13; entries_committed counts them.
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, 13, 16, 16)).ok());
  EXPECT_EQ(store->log->LoadProgress(a.log_id)->position, std::optional<uint64_t>(16));
  auto by = store->log->EntriesCommittedBy();
  ASSERT_TRUE(by.ok());
  ASSERT_EQ(by->size(), 1u);
  EXPECT_EQ((*by)[0], (std::pair<std::string, uint64_t>("r1", 3)));
}

TEST_F(StoreTest, CommitIsFencedByLeaseAndPosition) {
  auto r1 = Open();
  auto r2 = Open(false);
  ASSERT_TRUE(r1 && r2);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(r1, {a});
  ASSERT_TRUE(r1->log->Commit("r1", Batch(a, std::nullopt, 10, 8)).ok());
  const std::string rows_before = Rows();
  const std::string log_before = Sql("SELECT position || '|' || verified_tree_size || '|' || encode(pending_range, "
                                     "'hex') || '|' || encode(verified_signature, 'hex') FROM logs");

  auto with_match = [&](std::optional<uint64_t> from) {
    return Batch(a, from, 20, 16,
                 {MakeEntry(15, kX509, MakeCertificate(7, "certificate"),
                            {{FindingKind::kUnexpectedKey, "example.com", "new key"}})});
  };
  // The wrong old position (another replica moved the log), or "new log" when it is not.
  Status wrong = r1->log->Commit("r1", with_match(9));
  EXPECT_EQ(wrong.code(), Code::kAborted) << wrong.ToString();
  EXPECT_EQ(r1->log->Commit("r1", with_match(std::nullopt)).code(), Code::kAborted);
  EXPECT_EQ(r1->log->Commit("r1", with_match(11)).code(), Code::kAborted);
  // The right position, but from a replica that does not hold the lease.
  EXPECT_EQ(r2->log->Commit("r2", with_match(10)).code(), Code::kAborted);
  EXPECT_EQ(Rows(), rows_before);
  EXPECT_EQ(Sql("SELECT position || '|' || verified_tree_size || '|' || encode(pending_range, 'hex') || '|' || "
                "encode(verified_signature, 'hex') FROM logs"),
            log_before);
  EXPECT_EQ(r1->log->LoadProgress(a.log_id)->position, std::optional<uint64_t>(10));

  // Once r1's lease expires and r2 takes the log, r1 is fenced out and r2 goes on.
  Sql("UPDATE logs SET lease_expires_at = now() - interval '1 second'");
  auto v2 = r2->log->KeepLeases("r2", 60);
  ASSERT_TRUE(v2.ok());
  ASSERT_EQ(v2->taken.size(), 1u);
  EXPECT_EQ(r1->log->Commit("r1", with_match(10)).code(), Code::kAborted);
  EXPECT_EQ(Rows(), rows_before);
  ASSERT_TRUE(r2->log->Commit("r2", with_match(10)).ok());
  EXPECT_EQ(r2->log->LoadProgress(a.log_id)->position, std::optional<uint64_t>(20));
  EXPECT_EQ(Rows(), "1 certificates, 1 entries, 1 findings");
}

TEST_F(StoreTest, ReplayingABatchDuplicatesNothing) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(store, {a});
  std::vector<MatchedEntry> matches = {
      MakeEntry(2, kX509, MakeCertificate(1, "certificate"),
                {{FindingKind::kUnexpectedIssuer, "example.com", "issuer"},
                 {FindingKind::kUnexpectedKey, "example.com", "key"},
                 {FindingKind::kUnexpectedIssuer, "www.example.com", "issuer"}}),
      MakeEntry(5, kPrecert, MakeCertificate(2, "precertificate"), {{FindingKind::kMalformed, "example.com", "bad"}}),
      MakeEntry(7, kX509, MakeCertificate(3, "certificate"), {{FindingKind::kKnownKey, "example.com", "pinned"}})};
  const BatchCommit batch = Batch(a, std::nullopt, 10, 4, matches);
  ASSERT_TRUE(store->log->Commit("r1", batch).ok());
  EXPECT_EQ(Rows(), "3 certificates, 3 entries, 5 findings");
  const std::string ids = Sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM findings");

  // A crash before the position was known to be stored: the whole batch again, from scratch.
  const std::string reset = "UPDATE logs SET position = NULL, pending_range = '', verified_tree_size = 0, "
                            "verified_range = '', verified_timestamp_ms = NULL, verified_root = NULL, "
                            "verified_signature = NULL";
  Sql(reset);
  ASSERT_TRUE(store->log->Commit("r1", batch).ok());
  EXPECT_EQ(Rows(), "3 certificates, 3 entries, 5 findings");
  EXPECT_EQ(Count("(SELECT tbs_sha256 FROM certificates GROUP BY tbs_sha256 HAVING count(*) > 1) AS twice"), 0);
  EXPECT_EQ(Sql("SELECT string_agg(id::text, ',' ORDER BY id) FROM findings"), ids);
  // Replayed by a worker that knows less (no verified head yet): what was stored stays,
  // including that entry 2 was verified.
  Sql(reset);
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, std::nullopt, 10, 0, matches)).ok());
  EXPECT_EQ(Rows(), "3 certificates, 3 entries, 5 findings");
  EXPECT_EQ(Sql("SELECT string_agg(entry_index || ':' || verified, ' ' ORDER BY entry_index) FROM certificate_entries"),
            "2:true 5:false 7:false");
  Sql(reset);
  ASSERT_TRUE(store->log->Commit("r1", batch).ok());

  // A rewind to the verified size (what misbehaviour does) and the entries past it again.
  ctlog::Misbehaviour m{ctlog::Misbehaviour::Kind::kRootMismatch, "root differs", HeadOf(RangeOf(9)), std::nullopt,
                        std::nullopt, std::nullopt};
  ASSERT_TRUE(store->log->RecordMisbehaviour("r1", a.log_id, m, Checkpoint(4, 4), db::Alerting::kNone).ok());
  EXPECT_EQ(Rows(), "3 certificates, 3 entries, 6 findings");
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, 4, 10, 10, {matches[1], matches[2]})).ok());
  EXPECT_EQ(Rows(), "3 certificates, 3 entries, 6 findings");
  EXPECT_EQ(Count("certificate_entries WHERE verified"), 3);  // the new head covers them all
}

TEST_F(StoreTest, PrecertificateAndCertificateAreOneCertificateWithTwoEntries) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(store, {a});
  const FindingRecord finding{FindingKind::kUnexpectedIssuer, "example.com", "issuer"};
  // Certificate 1: precert entry first, then the final certificate. Certificate 2: the
  // other way round. Certificate 3: a bare TBS, then the precertificate.
  ASSERT_TRUE(store->log
                  ->Commit("r1", Batch(a, std::nullopt, 3, 0,
                                       {MakeEntry(0, kPrecert, MakeCertificate(1, "precertificate"), {finding}),
                                        MakeEntry(1, kX509, MakeCertificate(2, "certificate"), {finding}),
                                        MakeEntry(2, kPrecert, MakeCertificate(3, "tbs"), {finding})}))
                  .ok());
  ASSERT_TRUE(store->log
                  ->Commit("r1", Batch(a, 3, 6, 0,
                                       {MakeEntry(3, kX509, MakeCertificate(1, "certificate"), {finding}),
                                        MakeEntry(4, kPrecert, MakeCertificate(2, "precertificate"), {finding}),
                                        MakeEntry(5, kPrecert, MakeCertificate(3, "precertificate"), {finding})}))
                  .ok());
  EXPECT_EQ(Rows(), "3 certificates, 6 entries, 3 findings");
  auto der_of = [&](uint8_t n) {
    return Sql("SELECT der_kind || '|' || encode(der, 'hex') FROM certificates WHERE tbs_sha256 = decode('" +
               Hex(MakeCertificate(n, "").tbs_sha256) + "', 'hex')");
  };
  EXPECT_EQ(der_of(1), "certificate|" + HexEncode(DerOf(1, "certificate")));
  EXPECT_EQ(der_of(2), "certificate|" + HexEncode(DerOf(2, "certificate")));
  EXPECT_EQ(der_of(3), "precertificate|" + HexEncode(DerOf(3, "precertificate")));

  auto findings = store->findings->ListFindings({});
  ASSERT_TRUE(findings.ok()) << findings.status().ToString();
  ASSERT_EQ(findings->size(), 3u);
  const Finding& first = (*findings)[0];
  ASSERT_TRUE(first.certificate.has_value());
  EXPECT_EQ(first.certificate->tbs_sha256, MakeCertificate(1, "").tbs_sha256);
  EXPECT_EQ(first.certificate->der_kind, "certificate");
  ASSERT_EQ(first.entries.size(), 2u);
  EXPECT_EQ(first.entries[0].index, 0u);
  EXPECT_EQ(first.entries[0].entry_type, "precert");
  EXPECT_EQ(first.entries[1].index, 3u);
  EXPECT_EQ(first.entries[1].entry_type, "x509");
}

TEST_F(StoreTest, EntriesBecomeVerifiedWhenASignedHeadCoversThem) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(store, {a});
  auto entry = [](uint64_t index, uint8_t n) { return MakeEntry(index, kX509, MakeCertificate(n, "certificate")); };
  auto verified = [&] {
    return Sql("SELECT string_agg(entry_index || ':' || verified, ' ' ORDER BY entry_index) FROM certificate_entries");
  };
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, std::nullopt, 10, 4, {entry(2, 1), entry(6, 2), entry(9, 3)})).ok());
  EXPECT_EQ(verified(), "2:true 6:false 9:false");
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, 10, 12, 8, {entry(11, 4)})).ok());
  EXPECT_EQ(verified(), "2:true 6:true 9:false 11:false");
  // A commit that only verifies further, with no new entries.
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, 12, 12, 12)).ok());
  EXPECT_EQ(verified(), "2:true 6:true 9:true 11:true");
  EXPECT_EQ(store->log->LoadProgress(a.log_id)->verified_head, std::optional(HeadOf(RangeOf(12))));
}

// --- 5. misbehaviour ---

TEST_F(StoreTest, RecordMisbehaviourStoresEvidenceOnceAndRewinds) {
  auto r1 = Open();
  auto r2 = Open(false);
  ASSERT_TRUE(r1 && r2);
  LogRecord a = MakeLog(1, "Alpha");
  FollowAndLease(r1, {a});
  ASSERT_TRUE(r1->log->Commit("r1", Batch(a, std::nullopt, 10, 4)).ok());

  ctlog::SignedTreeHead bad = HeadOf(RangeOf(8));
  bad.root_hash[0] ^= 0xff;
  ctlog::Misbehaviour m;
  m.kind = ctlog::Misbehaviour::Kind::kRootMismatch;
  m.detail = "entries [0, 8) hash to another root";
  m.tree_head = bad;
  m.verified_head = HeadOf(RangeOf(4));
  m.computed_root = RangeOf(8).Root();
  ASSERT_TRUE(r1->log->RecordMisbehaviour("r1", a.log_id, m, Checkpoint(4, 4), db::Alerting::kNone).ok());

  auto progress = r1->log->LoadProgress(a.log_id);
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->position, std::optional<uint64_t>(4));
  EXPECT_EQ(progress->pending_range, RangeOf(4));
  EXPECT_EQ(progress->verified_head, std::optional(HeadOf(RangeOf(4))));

  EXPECT_EQ(Sql("SELECT kind || '|' || severity || '|' || status || '|' || (evidence->>'misbehaviour') || '|' || "
                "(evidence->'tree_head'->>'tree_size') || '|' || (evidence->'verified_head'->>'tree_size') || '|' || "
                "(evidence->>'computed_root') || '|' || encode(log_id, 'hex') FROM findings"),
            "log_misbehaviour|critical|open|root_mismatch|8|4|" + Base64Encode(RangeOf(8).Root()) + "|" +
                Hex(a.log_id));

  auto findings = r1->findings->ListFindings({});
  ASSERT_TRUE(findings.ok());
  ASSERT_EQ(findings->size(), 1u);
  const Finding& f = (*findings)[0];
  EXPECT_EQ(f.kind, FindingKind::kLogMisbehaviour);
  EXPECT_FALSE(f.certificate.has_value());
  EXPECT_EQ(f.log_id, std::optional(a.log_id));
  EXPECT_EQ(f.log_description, "Alpha");
  EXPECT_TRUE(Contains(f.reason, "root_mismatch")) << f.reason;
  rapidjson::Document evidence;
  evidence.Parse(f.evidence_json.c_str());
  ASSERT_TRUE(evidence.IsObject()) << f.evidence_json;
  EXPECT_EQ(std::string(evidence["misbehaviour"].GetString()), "root_mismatch");
  EXPECT_EQ(evidence["tree_head"]["tree_size"].GetUint64(), 8u);
  EXPECT_EQ(std::string(evidence["tree_head"]["sha256_root_hash"].GetString()), Base64Encode(bad.root_hash));
  EXPECT_EQ(std::string(evidence["detail"].GetString()), m.detail);

  auto statuses = r1->log->ListLogStatus();
  ASSERT_TRUE(statuses.ok());
  EXPECT_TRUE(Contains((*statuses)[0].last_error, "root_mismatch")) << (*statuses)[0].last_error;
  EXPECT_FALSE((*statuses)[0].last_error_at.empty());

  // The same evidence again (the log is fetched again and misbehaves the same way).
  ASSERT_TRUE(r1->log->Commit("r1", Batch(a, 4, 6, 4)).ok());
  ASSERT_TRUE(r1->log->RecordMisbehaviour("r1", a.log_id, m, Checkpoint(4, 4), db::Alerting::kNone).ok());
  EXPECT_EQ(Count("findings"), 1);
  EXPECT_EQ(r1->log->LoadProgress(a.log_id)->position, std::optional<uint64_t>(4));

  // Another replica, without the lease, records nothing and moves nothing.
  ctlog::Misbehaviour other = m;
  other.kind = ctlog::Misbehaviour::Kind::kForkedTreeHead;
  EXPECT_EQ(r2->log->RecordMisbehaviour("r2", a.log_id, other, Checkpoint(0, 0), db::Alerting::kNone).code(), Code::kAborted);
  EXPECT_EQ(Count("findings"), 1);
  EXPECT_EQ(r1->log->LoadProgress(a.log_id)->position, std::optional<uint64_t>(4));
}

// --- 5b. the roots each log accepts ---

// RootRowsSql lists log_roots as psql sees them, one line per row, ordered:
// "<log description>|<hex root_sha256>|<whether root_sha256 is SHA-256 of der>".
std::string RootRowsSql() {
  return "SELECT l.description || '|' || encode(r.root_sha256, 'hex') || '|' || "
         "(r.root_sha256 = sha256(r.der)) FROM log_roots r JOIN logs l USING (log_id) "
         "ORDER BY l.description, r.root_sha256";
}

TEST_F(StoreTest, RecordRootsReplacesOneLogsSetAndAcceptedRootsAreDistinct) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "Alpha"), b = MakeLog(2, "Beta");
  ASSERT_TRUE(store->log->SyncLogs({a, b}).ok());
  const std::vector<uint8_t> r1 = DerOf(1, "root"), r2 = DerOf(2, "root"), r3 = DerOf(3, "root"),
                             r4 = DerOf(4, "root");
  auto sorted = [](std::vector<std::vector<uint8_t>> roots) {
    std::sort(roots.begin(), roots.end(),
              [](const auto& x, const auto& y) { return ctlog::Sha256Of(x) < ctlog::Sha256Of(y); });
    return roots;
  };
  auto row = [](const std::string& log, const std::vector<uint8_t>& der) {
    return log + "|" + HexEncode(ctlog::Sha256Of(der)) + "|true";
  };
  auto rows = [&](std::vector<std::pair<std::string, std::vector<uint8_t>>> want) {
    std::sort(want.begin(), want.end(), [](const auto& x, const auto& y) {
      return std::pair(x.first, ctlog::Sha256Of(x.second)) < std::pair(y.first, ctlog::Sha256Of(y.second));
    });
    std::string out;
    for (const auto& [log, der] : want) out += (out.empty() ? "" : "\n") + row(log, der);
    return out;
  };

  auto none = store->log->AcceptedRoots();
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_TRUE(none->empty());

  // A duplicate in the answer is one row.
  ASSERT_TRUE(store->log->RecordRoots(a.log_id, {r1, r2, r2}).ok());
  ASSERT_TRUE(store->log->RecordRoots(b.log_id, {r3, r2}).ok());
  EXPECT_EQ(Sql(RootRowsSql()), rows({{"Alpha", r1}, {"Alpha", r2}, {"Beta", r2}, {"Beta", r3}}));
  auto three = store->log->AcceptedRoots();
  ASSERT_TRUE(three.ok()) << three.status().ToString();
  EXPECT_EQ(*three, sorted({r1, r2, r3}));  // r2, accepted by both, once

  // Alpha's next answer drops r2 and adds r4: r2 stays Beta's; r1, unchanged, is refreshed.
  Sql("UPDATE log_roots SET fetched_at = 'epoch'");
  ASSERT_TRUE(store->log->RecordRoots(a.log_id, {r4, r1}).ok());
  EXPECT_EQ(Sql(RootRowsSql()), rows({{"Alpha", r1}, {"Alpha", r4}, {"Beta", r2}, {"Beta", r3}}));
  EXPECT_EQ(Sql("SELECT l.description || '|' || bool_and(r.fetched_at > now() - interval '1 hour') "
                "FROM log_roots r JOIN logs l USING (log_id) GROUP BY l.description ORDER BY 1"),
            "Alpha|true\nBeta|false");
  auto four = store->log->AcceptedRoots();
  ASSERT_TRUE(four.ok());
  EXPECT_EQ(*four, sorted({r1, r2, r3, r4}));

  // Recording the same set again changes nothing but fetched_at.
  ASSERT_TRUE(store->log->RecordRoots(a.log_id, {r1, r4}).ok());
  EXPECT_EQ(Count("log_roots"), 4);

  // A log the database does not know is refused, and nothing is written.
  Status unknown = store->log->RecordRoots(MakeLog(9, "unknown").log_id, {r1});
  EXPECT_EQ(unknown.code(), Code::kFailedPrecondition) << unknown.ToString();
  EXPECT_TRUE(Contains(unknown.message(), Base64Encode(MakeLog(9, "unknown").log_id))) << unknown.message();
  EXPECT_EQ(Count("log_roots"), 4);

  // An empty set empties the log's set (the worker never records an empty answer).
  ASSERT_TRUE(store->log->RecordRoots(b.log_id, {}).ok());
  EXPECT_EQ(Sql(RootRowsSql()), rows({{"Alpha", r1}, {"Alpha", r4}}));
  EXPECT_EQ(*store->log->AcceptedRoots(), sorted({r1, r4}));
}

TEST_F(StoreTest, ConcurrentRecordRootsLeaveOneWholeSet) {
  // Two replicas record different answers of one log at once (a lease handed over while a
  // fetch was running): the set ends as one of the answers, never a mix of both.
  auto one = Open();
  auto two = Open(false);
  ASSERT_TRUE(one && two);
  LogRecord a = MakeLog(1, "Alpha");
  ASSERT_TRUE(one->log->SyncLogs({a}).ok());
  std::vector<std::vector<uint8_t>> x, y;
  for (uint8_t i = 0; i < 20; ++i) (i % 2 == 0 ? x : y).push_back(DerOf(i, "root"));
  x.push_back(DerOf(100, "root"));  // in both: the two answers overlap
  y.push_back(DerOf(100, "root"));
  auto set_of = [](std::vector<std::vector<uint8_t>> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE(round);
    std::latch start(2);
    auto record = [&](LogStateStore& store, const std::vector<std::vector<uint8_t>>& roots) {
      start.arrive_and_wait();
      EXPECT_TRUE(store.RecordRoots(a.log_id, roots).ok());
    };
    // Each round starts from the other answer, so both transactions have rows to delete.
    ASSERT_TRUE(one->log->RecordRoots(a.log_id, round % 2 == 0 ? x : y).ok());
    std::thread t1(record, std::ref(*one->log), std::cref(x));
    std::thread t2(record, std::ref(*two->log), std::cref(y));
    t1.join();
    t2.join();
    auto got = one->log->AcceptedRoots();
    ASSERT_TRUE(got.ok());
    EXPECT_TRUE(set_of(*got) == set_of(x) || set_of(*got) == set_of(y)) << got->size() << " roots";
    EXPECT_EQ(Count("log_roots"), 11);
  }
}

// --- 6. findings ---

TEST_F(StoreTest, ListFindingsFiltersAndSetFindingStatus) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord alpha = MakeLog(1, "Alpha"), beta = MakeLog(2, "Beta");
  FollowAndLease(store, {beta, alpha});
  // Certificate 1 appears in Beta at 7 and 3 (in that order) and in Alpha at 9.
  ASSERT_TRUE(store->log
                  ->Commit("r1", Batch(beta, std::nullopt, 10, 5,
                                       {MakeEntry(7, kX509, MakeCertificate(1, "certificate"),
                                                  {{FindingKind::kUnexpectedIssuer, "example.com", "issuer"},
                                                   {FindingKind::kUnexpectedKey, "example.com", "key"}}),
                                        MakeEntry(3, kX509, MakeCertificate(1, "certificate")),
                                        MakeEntry(4, kPrecert, MakeCertificate(2, "precertificate"),
                                                  {{FindingKind::kKnownKey, "example.com", "pinned key"}})}))
                  .ok());
  ASSERT_TRUE(store->log
                  ->Commit("r1", Batch(alpha, std::nullopt, 10, 0,
                                       {MakeEntry(9, kPrecert, MakeCertificate(1, "precertificate")),
                                        MakeEntry(1, kX509, MakeCertificate(3, "raw"),
                                                  {{FindingKind::kMalformed, "example.com", "does not parse"}})}))
                  .ok());

  auto all = store->findings->ListFindings({});
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 4u);
  std::vector<FindingKind> kinds;
  for (const Finding& f : *all) kinds.push_back(f.kind);
  EXPECT_EQ(kinds, (std::vector<FindingKind>{FindingKind::kUnexpectedIssuer, FindingKind::kUnexpectedKey,
                                             FindingKind::kKnownKey, FindingKind::kMalformed}));
  EXPECT_TRUE(std::is_sorted(all->begin(), all->end(), [](const Finding& x, const Finding& y) { return x.id < y.id; }));

  // The first finding, in full: its certificate and its entries by log description, index.
  const Finding& f1 = (*all)[0];
  EXPECT_EQ(f1.severity, Severity::kCritical);
  EXPECT_EQ(f1.status, FindingStatus::kOpen);
  EXPECT_EQ(f1.watched, "example.com");
  EXPECT_EQ(f1.reason, "issuer");
  EXPECT_EQ(f1.evidence_json, "{}");
  EXPECT_FALSE(f1.log_id.has_value());
  EXPECT_FALSE(f1.created_at.empty());
  ASSERT_TRUE(f1.certificate.has_value());
  const CertificateRecord want = MakeCertificate(1, "certificate");
  EXPECT_EQ(f1.certificate->tbs_sha256, want.tbs_sha256);
  EXPECT_EQ(f1.certificate->dns_names, want.dns_names);
  EXPECT_EQ(f1.certificate->ip_addresses, want.ip_addresses);
  EXPECT_EQ(f1.certificate->subject, want.subject);
  EXPECT_EQ(f1.certificate->issuer, want.issuer);
  EXPECT_EQ(f1.certificate->serial, want.serial);
  EXPECT_EQ(f1.certificate->not_before_unix_s, want.not_before_unix_s);
  EXPECT_EQ(f1.certificate->not_after_unix_s, want.not_after_unix_s);
  EXPECT_EQ(f1.certificate->spki_sha256, want.spki_sha256);
  EXPECT_EQ(f1.certificate->issuer_spki_sha256, want.issuer_spki_sha256);
  EXPECT_EQ(f1.certificate->key_type, "EC");
  EXPECT_EQ(f1.certificate->key_bits, 256);
  EXPECT_EQ(f1.certificate->ec_curve, "prime256v1");
  EXPECT_EQ(f1.certificate->der, want.der);
  ASSERT_EQ(f1.entries.size(), 3u);
  EXPECT_EQ(f1.entries[0].log_description, "Alpha");
  EXPECT_EQ(f1.entries[0].log_id, alpha.log_id);
  EXPECT_EQ(f1.entries[0].index, 9u);
  EXPECT_EQ(f1.entries[0].entry_type, "precert");
  EXPECT_FALSE(f1.entries[0].verified);
  EXPECT_EQ(f1.entries[1].log_description, "Beta");
  EXPECT_EQ(f1.entries[1].index, 3u);
  EXPECT_TRUE(f1.entries[1].verified);
  EXPECT_EQ(f1.entries[1].timestamp_ms, 1'690'000'000'003u);
  EXPECT_EQ(f1.entries[2].index, 7u);
  EXPECT_FALSE(f1.entries[2].verified);
  EXPECT_EQ((*all)[3].certificate->der_kind, "raw");
  EXPECT_EQ((*all)[3].entries.size(), 1u);

  auto ids_of = [&](const FindingFilter& filter) {
    std::vector<int64_t> ids;
    auto r = store->findings->ListFindings(filter);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) {
      for (const Finding& f : *r) ids.push_back(f.id);
    }
    return ids;
  };
  const int64_t i1 = (*all)[0].id, i2 = (*all)[1].id, i3 = (*all)[2].id, i4 = (*all)[3].id;
  FindingFilter by_kind;
  by_kind.kinds = {FindingKind::kKnownKey, FindingKind::kMalformed};
  EXPECT_EQ(ids_of(by_kind), (std::vector<int64_t>{i3, i4}));
  FindingFilter warning;
  warning.min_severity = Severity::kWarning;
  EXPECT_EQ(ids_of(warning), (std::vector<int64_t>{i1, i2, i4}));
  FindingFilter critical;
  critical.min_severity = Severity::kCritical;
  EXPECT_EQ(ids_of(critical), (std::vector<int64_t>{i1}));
  FindingFilter info;
  info.min_severity = Severity::kInfo;
  EXPECT_EQ(ids_of(info).size(), 4u);
  FindingFilter two;
  two.limit = 2;
  EXPECT_EQ(ids_of(two), (std::vector<int64_t>{i1, i2}));
  FindingFilter none;  // `findings --limit 0` (issue 13)
  none.limit = 0;
  EXPECT_EQ(ids_of(none), std::vector<int64_t>{});
  FindingFilter beyond;
  beyond.limit = 5;
  EXPECT_EQ(ids_of(beyond).size(), 4u);

  // Acknowledge the second with a note.
  ASSERT_TRUE(store->findings->SetFindingStatus(i2, FindingStatus::kAcknowledged, "key rotated on purpose").ok());
  FindingFilter open;
  open.statuses = {FindingStatus::kOpen};
  EXPECT_EQ(ids_of(open), (std::vector<int64_t>{i1, i3, i4}));
  FindingFilter acknowledged;
  acknowledged.statuses = {FindingStatus::kAcknowledged};
  auto acked = store->findings->ListFindings(acknowledged);
  ASSERT_TRUE(acked.ok());
  ASSERT_EQ(acked->size(), 1u);
  EXPECT_EQ((*acked)[0].id, i2);
  EXPECT_EQ((*acked)[0].status, FindingStatus::kAcknowledged);
  EXPECT_EQ((*acked)[0].status_note, "key rotated on purpose");
  EXPECT_EQ(Sql("SELECT status || '|' || status_note FROM findings WHERE id = " + std::to_string(i2)),
            "acknowledged|key rotated on purpose");

  // Filters combine, and the limit counts what passed the filters.
  FindingFilter combined;
  combined.statuses = {FindingStatus::kOpen, FindingStatus::kResolved};
  combined.min_severity = Severity::kWarning;
  combined.limit = 2;
  EXPECT_EQ(ids_of(combined), (std::vector<int64_t>{i1, i4}));

  // Unknown id: kFailedPrecondition, and nothing changes. An unknown status cannot reach the
  // store any more (the type has three values); its name is refused where text comes in.
  EXPECT_EQ(store->findings->SetFindingStatus(i4 + 1000, FindingStatus::kResolved, "").code(), Code::kFailedPrecondition);
  EXPECT_EQ(FindingStatusFromName("closed"), std::nullopt);
  EXPECT_EQ(Sql("SELECT string_agg(status, ',' ORDER BY id) FROM findings"), "open,acknowledged,open,open");

  // Back to open with no note: the note is cleared.
  ASSERT_TRUE(store->findings->SetFindingStatus(i2, FindingStatus::kOpen, "").ok());
  EXPECT_EQ(ids_of(open).size(), 4u);
  EXPECT_EQ(store->findings->ListFindings(open)->at(1).status_note, "");
}

// --- 7. connection errors ---

// ClosedPort returns a loopback port with a socket bound but not listening (connections
// are refused), kept open in `fd` so nobody else takes it.
int ClosedPort(int& fd) {
  fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return 0;
  }
  return ntohs(addr.sin_port);
}

TEST(StoreConnect, ClosedPortIsUnavailableWithoutThePassword) {
  int fd = -1;
  const int port = ClosedPort(fd);
  ASSERT_NE(port, 0);
  const std::string p = std::to_string(port);
  const std::string secret = "hunter2secret";
  for (const std::string& url : {"postgresql://pinwatch:" + secret + "@127.0.0.1:" + p + "/pinwatch",
                                 "postgres://pinwatch:" + secret + "@127.0.0.1:" + p + "/pinwatch?sslmode=disable",
                                 "postgresql://pinwatch@127.0.0.1:" + p + "/pinwatch?password=" + secret,
                                 "host=127.0.0.1 port=" + p + " user=pinwatch password=" + secret + " dbname=pinwatch",
                                 "host=127.0.0.1 port=" + p + " password='" + secret + " x' dbname=pinwatch"}) {
    auto store = ConnectLogStateStore(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.status().code(), Code::kUnavailable) << store.status().ToString();
    EXPECT_FALSE(Contains(store.status().message(), secret)) << store.status().message();
    EXPECT_TRUE(Contains(store.status().message(), "127.0.0.1")) << store.status().message();
  }
  // A raw '@' or '/' in the password: libpq would cut it and print a piece ("could not
  // translate host name "2secret@127.0.0.1""), so it is refused before libpq sees it.
  for (const std::string& url : {"postgresql://pinwatch:hunter@2secret@127.0.0.1:" + p + "/pinwatch",
                                 "postgresql://pinwatch:hunter/2secret@127.0.0.1:" + p + "/pinwatch"}) {
    auto store = ConnectLogStateStore(url);
    ASSERT_FALSE(store.ok()) << url;
    EXPECT_EQ(store.status().code(), Code::kFailedPrecondition) << store.status().ToString();
    EXPECT_FALSE(Contains(store.status().message(), "2secret")) << store.status().message();
    EXPECT_FALSE(Contains(store.status().message(), "hunter")) << store.status().message();
    EXPECT_TRUE(Contains(store.status().message(), "percent-encode")) << store.status().message();
  }
  // '@' after the query is a parameter's value, not userinfo.
  auto query_at = ConnectLogStateStore("postgresql://pinwatch@127.0.0.1:" + p + "/pinwatch?application_name=a@b");
  ASSERT_FALSE(query_at.ok());
  EXPECT_EQ(query_at.status().code(), Code::kUnavailable) << query_at.status().ToString();
  close(fd);
}

TEST(StoreConnect, RedactUrl) {
  EXPECT_EQ(RedactUrl("postgresql://u:pw@db.example:5432/pinwatch"), "postgresql://u:***@db.example:5432/pinwatch");
  EXPECT_EQ(RedactUrl("postgresql://u@db.example:5432/pinwatch"), "postgresql://u@db.example:5432/pinwatch");
  EXPECT_EQ(RedactUrl("postgresql://db.example:5432/pinwatch"), "postgresql://db.example:5432/pinwatch");
  EXPECT_EQ(RedactUrl("postgresql://u@h/db?sslmode=require&password=pw"), "postgresql://u@h/db?sslmode=require&password=***");
  EXPECT_EQ(RedactUrl("host=h password=pw dbname=d"), "host=h password=*** dbname=d");
  EXPECT_EQ(RedactUrl("host=h password = 'p w\\' x' dbname=d"), "host=h password = *** dbname=d");
  EXPECT_EQ(RedactUrl("host=h options='-c x=a://u:v@w' password=pw"), "host=h options='-c x=a://u:v@w' password=***");
  // A raw '@' in the password (issue 13): the userinfo ends at the last '@' before the first '/'.
  EXPECT_EQ(RedactUrl("postgresql://u:Pa@ss@host/db"), "postgresql://u:***@host/db");
  EXPECT_EQ(RedactUrl("postgres://u:a@b@c@h:5432"), "postgres://u:***@h:5432");
  EXPECT_EQ(RedactUrl("postgresql://u:Pa@ss@host?sslmode=require"), "postgresql://u:***@host?sslmode=require");
  EXPECT_EQ(RedactUrl("postgresql://u:Pa@ss@h1:5432,h2:5433/db"), "postgresql://u:***@h1:5432,h2:5433/db");
  EXPECT_EQ(RedactUrl("postgresql://u:Pa@ss@host/db?password=pw"), "postgresql://u:***@host/db?password=***");
  // libpq takes a raw '?' or '#' in a password as part of it (and connects), so they are hidden too.
  EXPECT_EQ(RedactUrl("postgresql://u:pa?ss@host/db"), "postgresql://u:***@host/db");
  EXPECT_EQ(RedactUrl("postgresql://u:pa#ss@host:5432/db"), "postgresql://u:***@host:5432/db");
  // An '@' after the first '/' (path, query) is not userinfo, and a port is not a password.
  EXPECT_EQ(RedactUrl("postgresql://h:5432/db?application_name=a@b"), "postgresql://h:5432/db?application_name=a@b");
  EXPECT_EQ(RedactUrl("postgresql://h:5432/d@b"), "postgresql://h:5432/d@b");
  EXPECT_EQ(RedactUrl("postgresql:///db?host=/run/pg&user=u@x"), "postgresql:///db?host=/run/pg&user=u@x");
}

// --- the connection pool (issue 19) ---

// Twelve threads, each with its own store, share a pool of three: every call succeeds and
// the server never sees more than three sessions of this database.
TEST_F(StoreTest, ThreadsShareAPoolAndNeverHoldMoreThanItsMax) {
  ASSERT_NE(Open(), nullptr);  // migrated
  auto pool = ConnectionPool::Open(Url(), 3);
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  std::atomic<int> failures{0};
  std::atomic<size_t> peak_open{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&] {
      std::unique_ptr<LogStateStore> store = LogStateStoreOn(*pool);
      for (int i = 0; i < 30; ++i) {
        if (!store->ListLogStatus().ok()) ++failures;
        size_t open = (*pool)->Stats().open;
        for (size_t seen = peak_open; open > seen && !peak_open.compare_exchange_weak(seen, open);) {
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_LE(peak_open.load(), 3u);
  const PoolStats stats = (*pool)->Stats();
  EXPECT_LE(stats.opened, 3u);  // none broke, so none was opened twice
  EXPECT_EQ(stats.in_use, 0u);
  EXPECT_LE(std::stoi(Sql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                          "AND pid <> pg_backend_pid()")),
            3);
}

// Both connections of a pool held (two alert senders listening): a transaction waits for
// the pool's bound and then fails as transient, naming the setting; once one is given back
// it goes through.
TEST_F(StoreTest, ABusyPoolWaitsThenNamesItsLimit) {
  ASSERT_NE(Open(), nullptr);
  auto pool = ConnectionPool::Open(Url(), 2, std::chrono::milliseconds(300));
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  std::unique_ptr<AlertStore> first = AlertStoreOn(*pool);
  std::unique_ptr<AlertStore> second = AlertStoreOn(*pool);
  ASSERT_TRUE(first->WaitForChange(0).ok());  // each holds its LISTEN session from here on
  ASSERT_TRUE(second->WaitForChange(0).ok());
  EXPECT_EQ((*pool)->Stats().in_use, 2u);
  std::unique_ptr<LogStateStore> store = LogStateStoreOn(*pool);
  auto busy = store->ListLogStatus();
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.status().code(), Code::kUnavailable);
  EXPECT_TRUE(Contains(busy.status().message(), "all 2 database connections (database.max_connections) stayed busy"))
      << busy.status().message();
  EXPECT_GE((*pool)->Stats().waits, 1u);
  second.reset();  // its session is closed (a LISTENing one is never lent to transactions)
  EXPECT_TRUE(store->ListLogStatus().ok());
  EXPECT_EQ((*pool)->Stats().open, 2u);
}

// The server ends every session (as a restart does): the first transaction afterwards
// meets a dead connection, and the pool then closes every idle one of the same age instead
// of handing out the next dead one, so the retry succeeds.
TEST_F(StoreTest, AfterEverySessionIsEndedTheNextTransactionSucceeds) {
  ASSERT_NE(Open(), nullptr);
  auto pool = ConnectionPool::Open(Url(), 4);
  ASSERT_TRUE(pool.ok()) << pool.status().ToString();
  // Bursts of concurrent calls until the pool keeps at least three idle connections.
  for (int burst = 0; burst < 100 && (*pool)->Stats().open < 3; ++burst) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t) {
      threads.emplace_back([&] { EXPECT_TRUE(LogStateStoreOn(*pool)->ListLogStatus().ok()); });
    }
    for (std::thread& t : threads) t.join();
  }
  const PoolStats before = (*pool)->Stats();
  ASSERT_GE(before.open, 3u);
  Sql("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
      "AND pid <> pg_backend_pid()");
  auto after = LogStateStoreOn(*pool)->ListLogStatus();
  EXPECT_TRUE(after.ok()) << after.status().ToString();
  const PoolStats stats = (*pool)->Stats();
  EXPECT_EQ(stats.open, 1u);  // the dead ones closed, one new one
  EXPECT_EQ(stats.opened, before.opened + 1);
}

// --- the alert outbox (issue 15) ---

FindingRecord Alerting(FindingKind kind, const std::string& watched) {
  return {.kind = kind, .watched = watched, .reason = "r", .alerting = db::Alerting::kOutbox};
}

std::unique_ptr<AlertStore> OpenAlerts(const std::string& url) {
  auto alerts = ConnectAlertStore(url);
  EXPECT_TRUE(alerts.ok()) << alerts.status().ToString();
  return alerts.ok() ? std::move(*alerts) : nullptr;
}

TEST_F(StoreTest, AlertingFindingsGetOneOutboxRowInTheirCommit) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(store, {a});
  const std::vector<MatchedEntry> matches = {
      MakeEntry(2, kX509, MakeCertificate(1, "certificate"),
                {Alerting(FindingKind::kUnexpectedIssuer, "example.com"),
                 {FindingKind::kKnownKey, "www.example.com", "pinned"}}),  // info: no alert
      MakeEntry(5, kPrecert, MakeCertificate(2, "precertificate"), {Alerting(FindingKind::kUnexpectedKey, "example.com")})};
  const BatchCommit batch = Batch(a, std::nullopt, 10, 4, matches);
  ASSERT_TRUE(store->log->Commit("r1", batch).ok());
  EXPECT_EQ(Sql("SELECT string_agg(f.kind, ',' ORDER BY f.id) FROM alert_outbox o JOIN findings f ON f.id = o.finding_id"),
            "unexpected_issuer,unexpected_key");
  // A replay, and the same certificate in another entry, alert nothing new.
  Sql("UPDATE logs SET position = NULL, pending_range = '', verified_tree_size = 0, verified_range = '', "
      "verified_timestamp_ms = NULL, verified_root = NULL, verified_signature = NULL");
  ASSERT_TRUE(store->log->Commit("r1", batch).ok());
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, 10, 12, 4, {MakeEntry(11, kX509, MakeCertificate(2, "certificate"),
                                                                      {Alerting(FindingKind::kUnexpectedKey, "example.com")})}))
                  .ok());
  EXPECT_EQ(Count("alert_outbox"), 2);
  // Misbehaviour alerts when asked to, once per finding.
  ctlog::Misbehaviour m{ctlog::Misbehaviour::Kind::kRootMismatch, "root differs", HeadOf(RangeOf(9)), std::nullopt,
                        std::nullopt, std::nullopt};
  ASSERT_TRUE(store->log->RecordMisbehaviour("r1", a.log_id, m, Checkpoint(4, 4), db::Alerting::kOutbox).ok());
  ASSERT_TRUE(store->log->RecordMisbehaviour("r1", a.log_id, m, Checkpoint(4, 4), db::Alerting::kOutbox).ok());
  EXPECT_EQ(Count("alert_outbox o JOIN findings f ON f.id = o.finding_id WHERE f.kind = 'log_misbehaviour'"), 1);
}

TEST_F(StoreTest, EachAlertmanagerIsOwedOpenAlertsUntilItAcceptsThem) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(store, {a});
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, std::nullopt, 10, 10,
                                             {MakeEntry(2, kX509, MakeCertificate(1, "certificate"),
                                                        {Alerting(FindingKind::kUnexpectedIssuer, "example.com")}),
                                              MakeEntry(3, kX509, MakeCertificate(2, "certificate"),
                                                        {Alerting(FindingKind::kUnexpectedKey, "example.com")})}))
                  .ok());
  auto alerts = OpenAlerts(Url());
  ASSERT_NE(alerts, nullptr);
  const std::string am_a = "http://am-a:9093", am_b = "http://am-b:9093";
  auto owed = alerts->Owed(am_a, 60'000, 100);
  ASSERT_TRUE(owed.ok()) << owed.status().ToString();
  ASSERT_EQ(owed->size(), 2u);
  EXPECT_TRUE((*owed)[0].first_send);
  EXPECT_FALSE((*owed)[0].ends_at_ms.has_value());
  EXPECT_NEAR(static_cast<double>((*owed)[0].starts_at_ms), std::stod(Sql("SELECT extract(epoch FROM now()) * 1000")),
              60'000);
  EXPECT_EQ(alerts->Owed(am_a, 60'000, 1)->size(), 1u);  // the limit

  auto facts = alerts->Facts({am_a, am_b});
  ASSERT_TRUE(facts.ok()) << facts.status().ToString();
  EXPECT_EQ(facts->alerts_open, 2u);
  EXPECT_EQ(facts->pending, 2u);
  ASSERT_TRUE(facts->oldest_pending_unix_s.has_value());

  ASSERT_TRUE(alerts->RecordAccepted(am_a, {{.finding_id = (*owed)[0].finding_id}, {.finding_id = (*owed)[1].finding_id}}).ok());
  EXPECT_TRUE(alerts->Owed(am_a, 60'000, 100)->empty());  // until the resend interval passes
  EXPECT_EQ(alerts->Owed(am_b, 60'000, 100)->size(), 2u);  // the other of the HA pair is still owed
  auto resend = alerts->Owed(am_a, 0, 100);                 // a resend is due at once with interval 0
  ASSERT_EQ(resend->size(), 2u);
  EXPECT_FALSE((*resend)[0].first_send);
  EXPECT_EQ(alerts->Facts({am_a, am_b})->pending, 2u);  // am-b has not got them
  EXPECT_EQ(alerts->Facts({am_a})->pending, 0u);
}

TEST_F(StoreTest, AckEndsAnAlertOnceForEveryAlertmanagerAndReopenStartsItAgain) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const int64_t id = CommitOneAlert(store, FindingKind::kUnexpectedIssuer);
  ASSERT_GT(id, 0);
  auto alerts = OpenAlerts(Url());
  ASSERT_NE(alerts, nullptr);
  const std::string am_a = "http://am-a:9093", am_b = "http://am-b:9093";
  ASSERT_TRUE(alerts->RecordAccepted(am_a, {{.finding_id = id}}).ok());
  ASSERT_TRUE(alerts->RecordAccepted(am_b, {{.finding_id = id}}).ok());

  ASSERT_TRUE(store->findings->SetFindingStatus(id, FindingStatus::kAcknowledged, "on it").ok());
  auto ending = alerts->Owed(am_a, 60'000, 100);
  ASSERT_EQ(ending->size(), 1u);
  ASSERT_TRUE((*ending)[0].ends_at_ms.has_value());
  EXPECT_TRUE((*ending)[0].first_send);
  const int64_t ends_at = *(*ending)[0].ends_at_ms;
  EXPECT_EQ(alerts->Facts({am_a, am_b})->alerts_open, 0u);
  // Resolving an acknowledged finding does not end it a second time.
  ASSERT_TRUE(store->findings->SetFindingStatus(id, FindingStatus::kResolved, "").ok());
  EXPECT_EQ(*alerts->Owed(am_a, 60'000, 100)->at(0).ends_at_ms, ends_at);

  ASSERT_TRUE(alerts->RecordAccepted(am_a, {{.finding_id = id, .ends_at_ms = ends_at}}).ok());
  EXPECT_TRUE(alerts->Owed(am_a, 0, 100)->empty());  // an ended alert is sent once, never resent
  EXPECT_EQ(alerts->FinishDone({am_a, am_b}).value(), 0u);  // am-b has not heard
  ASSERT_TRUE(alerts->RecordAccepted(am_b, {{.finding_id = id, .ends_at_ms = ends_at}}).ok());
  EXPECT_EQ(alerts->FinishDone({am_a, am_b}).value(), 1u);
  EXPECT_TRUE(alerts->Owed(am_b, 0, 100)->empty());
  EXPECT_EQ(alerts->Facts({am_a, am_b})->pending, 0u);

  // Reopened: open again for both, from the start.
  ASSERT_TRUE(store->findings->SetFindingStatus(id, FindingStatus::kOpen, "not fixed").ok());
  for (const std::string& am : {am_a, am_b}) {
    auto again = alerts->Owed(am, 60'000, 100);
    ASSERT_EQ(again->size(), 1u) << am;
    EXPECT_FALSE((*again)[0].ends_at_ms.has_value());
    EXPECT_TRUE((*again)[0].first_send);
  }
  EXPECT_EQ(Count("alert_deliveries"), 0);
}

TEST_F(StoreTest, AnEndingAcceptedAfterAReopenIsVoid) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  const int64_t id = CommitOneAlert(store, FindingKind::kUnexpectedKey);
  ASSERT_GT(id, 0);
  auto alerts = OpenAlerts(Url());
  ASSERT_NE(alerts, nullptr);
  ASSERT_TRUE(store->findings->SetFindingStatus(id, FindingStatus::kResolved, "").ok());
  const int64_t ends_at = *alerts->Owed("http://am", 60'000, 100)->at(0).ends_at_ms;
  // The sender posted the ending; before it records that, an operator reopens the finding.
  ASSERT_TRUE(store->findings->SetFindingStatus(id, FindingStatus::kOpen, "").ok());
  ASSERT_TRUE(alerts->RecordAccepted("http://am", {{.finding_id = id, .ends_at_ms = ends_at}}).ok());
  auto owed = alerts->Owed("http://am", 60'000, 100);
  ASSERT_EQ(owed->size(), 1u);  // owed as open: Alertmanager must hear it is firing again
  EXPECT_FALSE((*owed)[0].ends_at_ms.has_value());
  // And a second ack is a new ending, not the one accepted before.
  ASSERT_TRUE(store->findings->SetFindingStatus(id, FindingStatus::kAcknowledged, "").ok());
  ASSERT_EQ(alerts->Owed("http://am", 60'000, 100)->size(), 1u);
}

TEST_F(StoreTest, OneReplicaHoldsTheSenderLeaseUntilItExpires) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  auto r1 = OpenAlerts(Url());
  auto r2 = OpenAlerts(Url());
  ASSERT_TRUE(r1 && r2);
  EXPECT_TRUE(r1->KeepSenderLease("r1", 30).value());
  EXPECT_FALSE(r2->KeepSenderLease("r2", 30).value());
  EXPECT_TRUE(r1->KeepSenderLease("r1", 30).value());  // renewed
  Sql("UPDATE singleton_leases SET expires_at = now() - interval '1 second'");  // r1 died
  EXPECT_TRUE(r2->KeepSenderLease("r2", 30).value());
  EXPECT_FALSE(r1->KeepSenderLease("r1", 30).value());
  ASSERT_TRUE(r2->ReleaseSenderLease("r2").ok());
  EXPECT_TRUE(r1->KeepSenderLease("r1", 30).value());  // a released lease is free at once
}

TEST_F(StoreTest, TheSenderIsWokenWhenAnAlertIsCommittedOrEnded) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(store, {a});
  auto alerts = OpenAlerts(Url());
  ASSERT_NE(alerts, nullptr);
  EXPECT_FALSE(alerts->WaitForChange(0).value());  // listening from here on; nothing yet
  EXPECT_FALSE(alerts->WaitForChange(50).value());
  // A commit without alerting findings notifies nobody.
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, std::nullopt, 5, 5,
                                             {MakeEntry(1, kX509, MakeCertificate(9, "certificate"),
                                                        {{FindingKind::kKnownKey, "example.com", "pinned"}})}))
                  .ok());
  EXPECT_FALSE(alerts->WaitForChange(50).value());
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, 5, 10, 10,
                                             {MakeEntry(7, kX509, MakeCertificate(1, "certificate"),
                                                        {Alerting(FindingKind::kUnexpectedIssuer, "example.com")})}))
                  .ok());
  // The notification was sent at COMMIT; the wait returns as soon as it reads it (the
  // timeout is only a bound).
  EXPECT_TRUE(alerts->WaitForChange(30'000).value());
  const int64_t id = std::stoll(Sql("SELECT finding_id FROM alert_outbox"));
  ASSERT_TRUE(store->findings->SetFindingStatus(id, FindingStatus::kAcknowledged, "").ok());
  EXPECT_TRUE(alerts->WaitForChange(30'000).value());
}

TEST_F(StoreTest, ListFindingsByIds) {
  auto store = Open();
  ASSERT_NE(store, nullptr);
  LogRecord a = MakeLog(1, "A");
  FollowAndLease(store, {a});
  ASSERT_TRUE(store->log->Commit("r1", Batch(a, std::nullopt, 10, 10,
                                             {MakeEntry(2, kX509, MakeCertificate(1, "certificate"),
                                                        {{FindingKind::kUnexpectedIssuer, "example.com", "a"},
                                                         {FindingKind::kUnexpectedKey, "example.com", "b"},
                                                         {FindingKind::kMalformed, "example.com", "c"}})}))
                  .ok());
  const std::vector<int64_t> all = {std::stoll(Sql("SELECT min(id) FROM findings")),
                                    std::stoll(Sql("SELECT max(id) FROM findings"))};
  auto some = store->findings->ListFindings({.ids = all});
  ASSERT_TRUE(some.ok()) << some.status().ToString();
  ASSERT_EQ(some->size(), 2u);
  EXPECT_EQ((*some)[0].reason, "a");
  EXPECT_EQ((*some)[1].reason, "c");
  ASSERT_EQ((*some)[1].entries.size(), 1u);
  EXPECT_EQ(store->findings->ListFindings({})->size(), 3u);
}

}  // namespace
}  // namespace pinwatch::db
