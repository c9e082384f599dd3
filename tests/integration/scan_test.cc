// The CT log client end to end: Scan (LogSource + TreeVerifier) against ctsim, the project's
// faithful log simulator, over both APIs and in every fault mode ctsim offers.
#include "ctlog/scanner.h"

#include "ctlog/entry_decoder.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <chrono>
#include <map>

#include "base/encoding.h"
#include "tests/integration/sim_sources.h"
#include "tests/support/sim_process.h"

namespace pinwatch::ctlog {
namespace {

using testing::SimProcess;

// Fast retries: the faults are deterministic, so what matters is that retrying happens.
LogSourceOptions TestOptions() {
  return {.entries_per_request = 1000,  // ctsim answers at most 256: every answer is short
          .max_requests_in_flight = 4,
          // No deadline that guesses the machine's speed (ctsim in an ASan build on a loaded
          // 2-core machine is slow); the faults under test are what must end a request.
          .request_timeout_ms = 600'000,
          .low_speed_bytes_per_s = 0,
          // Faults hit every k-th request of the whole server, so with 4 in flight one piece can
          // draw several in a row; with 12 attempts a spurious failure needs 12 hits in a row for one
          // piece (roughly (1/3)^11 per piece with "every 3").
          .retry = {.max_attempts = 12, .base_delay_ms = 1, .max_delay_ms = 10}};
}

std::unique_ptr<LogSource> SourceFor(const SimProcess& sim, Api api, LogSourceOptions options = TestOptions()) {
  return NewSimSource(sim, api, options);
}

// Collected is what a sink saw: every index once, in order, with a digest of the leaf hashes.
struct Collected {
  uint64_t next_index = 0;
  uint64_t count = 0;
  uint64_t malformed = 0;
  uint64_t precerts = 0;
  Sha256 digest;
  std::map<uint64_t, std::string> entry_sha256;  // of planted indices: cert or pre_certificate
  std::map<uint64_t, std::string> issuer_key_hash;
  std::vector<uint64_t> watch;
  std::vector<uint8_t> scratch;

  LogEntrySink Sink() {
    return [this](std::span<const LogEntry> batch) {
      for (const LogEntry& e : batch) {
        if (e.index != next_index) return InternalError("entry " + std::to_string(e.index) + " out of order");
        ++next_index;
        ++count;
        digest.Update(e.leaf_hash);
        if (!e.status.ok()) ++malformed;
        if (e.timestamped_entry.entry_type == LogEntryType::kPrecertEntry) ++precerts;
        if (std::find(watch.begin(), watch.end(), e.index) != watch.end()) {
          const bool precert = e.timestamped_entry.entry_type == LogEntryType::kPrecertEntry;
          auto full = WithExtraData(e, scratch);
          if (!full.ok()) return full.status();
          entry_sha256[e.index] = HexEncode(Sha256Of(precert ? full->pre_certificate : e.timestamped_entry.certificate));
          if (precert) issuer_key_hash[e.index] = "sha256/" + Base64Encode(e.timestamped_entry.issuer_key_hash);
        }
      }
      return OkStatus();
    };
  }
};

// FreshScan is one Scan of a log from scratch: a new source, verifier and sink.
struct FreshScan {
  FreshScan(const SimProcess& sim, Api api, LogSourceOptions options = TestOptions())
      : source(SourceFor(sim, api, options)), result(Scan(*source, verifier, got.Sink())) {}
  std::unique_ptr<LogSource> source;
  TreeVerifier verifier{CompactRange(), std::nullopt};
  Collected got;
  Result<ScanResult> result;
};

class ScanTest : public ::testing::TestWithParam<Api> {};

// The issue's yardstick: a simulated log of 100,000 entries downloads and verifies over
// both APIs, the planted certificates come out at their indices with the right facts, both
// APIs deliver the same leaves, and following the log as it grows stays verified.
TEST(ScanBothApis, HundredThousandEntriesVerifyAndAgree) {
  auto sim = StartSim({"--entries", "100000", "--seed", "scan-100k",
                       "--plant", "17:x509:normal:key-a:www.example.com",
                       "--plant", "50000:precert:rogue:key-evil:login.example.com",
                       "--plant", "99998:both:e1:key-a:api.example.com"});
  ASSERT_TRUE(sim);
  rapidjson::Document facts;
  const std::string facts_text = sim->FactsJson();
  ASSERT_FALSE(facts.Parse(facts_text.c_str()).HasParseError());

  // Each API in turn scans the same log from scratch.
  std::unique_ptr<LogSource> sources[2];
  std::optional<TreeVerifier> verifiers[2];
  Collected got[2];
  for (int n : {0, 1}) {
    const Api api = n == 0 ? Api::kRfc6962 : Api::kStaticCt;
    SCOPED_TRACE(n == 0 ? "rfc6962" : "static-ct");
    sources[n] = SourceFor(*sim, api);
    verifiers[n].emplace(CompactRange(), std::nullopt);
    TreeVerifier& verifier = *verifiers[n];
    for (const auto& plant : facts["plants"].GetArray()) {
      for (const auto& i : plant["indices"].GetArray()) got[n].watch.push_back(i.GetUint64());
    }
    auto result = Scan(*sources[n], verifier, got[n].Sink());
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    EXPECT_FALSE(result->misbehaviour.has_value()) << result->misbehaviour->detail;
    EXPECT_EQ(result->entries_delivered, 100000u);
    EXPECT_EQ(result->malformed_entries, 0u);
    EXPECT_EQ(got[n].count, 100000u);
    EXPECT_GT(got[n].precerts, 0u);
    EXPECT_EQ(verifier.verified_end(), 100000u);
    ASSERT_TRUE(verifier.verified_head().has_value());
    EXPECT_EQ(verifier.verified_range().Root(), verifier.verified_head()->root_hash);

    for (const auto& plant : facts["plants"].GetArray()) {
      const auto& indices = plant["indices"].GetArray();
      for (unsigned k = 0; k < indices.Size(); ++k) {
        const uint64_t index = indices[k].GetUint64();
        EXPECT_EQ(got[n].entry_sha256[index], plant["cert_sha256"][k].GetString()) << "plant at " << index;
        if (std::string_view(plant["entry_types"][k].GetString()) == "precert_entry") {
          EXPECT_EQ(got[n].issuer_key_hash[index], plant["issuer_spki_sha256"].GetString()) << index;
        }
      }
    }
  }
  EXPECT_EQ(got[0].digest.Final(), got[1].digest.Final());
  EXPECT_EQ(verifiers[0]->verified_range(), verifiers[1]->verified_range());

  // The log grows; the next scans check the new head against the verified one (with a
  // consistency proof over RFC 6962) and continue where they stopped.
  ASSERT_TRUE(sim->Post("/sim/grow?n=777").ok());
  for (int n : {0, 1}) {
    SCOPED_TRACE(n == 0 ? "rfc6962" : "static-ct");
    auto more = Scan(*sources[n], *verifiers[n], got[n].Sink());
    ASSERT_TRUE(more.ok()) << more.status().ToString();
    EXPECT_FALSE(more->misbehaviour.has_value()) << more->misbehaviour->detail;
    EXPECT_EQ(more->entries_delivered, 777u);
    EXPECT_EQ(verifiers[n]->verified_end(), 100777u);
    EXPECT_EQ(got[n].count, 100777u);
  }
  EXPECT_EQ(verifiers[0]->verified_range(), verifiers[1]->verified_range());
}

// SetFaults replaces ctsim's faults (see `ctsim --help`).
void SetFaults(const SimProcess& sim, const std::string& json) {
  auto r = sim.Post("/sim/faults", json);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
}

// Transient faults are retried: the scan completes and verifies as if nothing happened.
TEST_P(ScanTest, TransientFaultsAreRetried) {
  auto sim = StartSim({"--entries", "3000", "--seed", "faults"});
  ASSERT_TRUE(sim);
  for (const char* faults : {R"({"http_429_every": 3, "retry_after_s": 0})",
                             R"({"http_500_every": 4})",
                             R"({"short_batch_entries": 37})",
                             R"({"truncate_every": 5})",
                             R"({"garbage_every": 6})",
                             R"({"delay_ms": 20})"}) {
    SCOPED_TRACE(faults);
    SetFaults(*sim, faults);
    FreshScan run(*sim, GetParam());
    ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
    EXPECT_FALSE(run.result->misbehaviour.has_value()) << run.result->misbehaviour->detail;
    EXPECT_EQ(run.verifier.verified_end(), 3000u);
    EXPECT_EQ(run.got.count, 3000u);
  }
}

// A log that keeps failing gives an error that says what failed; the verifier stays at its
// last verified size, so nothing unverified is taken as verified.
TEST_P(ScanTest, PersistentFaultsFailCleanly) {
  auto sim = StartSim({"--entries", "2000", "--seed", "persistent"});
  ASSERT_TRUE(sim);
  const std::pair<const char*, Code> cases[] = {
      {R"({"http_500_every": 1})", Code::kUnavailable},
      {R"({"garbage_every": 1})", Code::kMalformed},
  };
  for (const auto& [faults, code] : cases) {
    SCOPED_TRACE(faults);
    SetFaults(*sim, faults);
    FreshScan run(*sim, GetParam());
    ASSERT_FALSE(run.result.ok());
    EXPECT_EQ(run.result.status().code(), code) << run.result.status().ToString();
    EXPECT_EQ(run.verifier.verified_end(), 0u);
    EXPECT_EQ(run.verifier.pending_end(), 0u);
  }
  // Slow answers beyond the request timeout are a timeout, then kUnavailable.
  SetFaults(*sim, R"({"delay_ms": 400})");
  LogSourceOptions options = TestOptions();
  options.request_timeout_ms = 100;
  options.retry.max_attempts = 2;
  FreshScan run(*sim, GetParam(), options);
  ASSERT_FALSE(run.result.ok());
  EXPECT_EQ(run.result.status().code(), Code::kUnavailable) << run.result.status().ToString();
}

// A validly signed head whose root does not match the entries is misbehaviour with evidence.
TEST_P(ScanTest, WrongRootIsMisbehaviour) {
  auto sim = StartSim({"--entries", "2000", "--seed", "wrong-root", "--fault-wrong-root"});
  ASSERT_TRUE(sim);
  FreshScan run(*sim, GetParam());
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const std::optional<Misbehaviour>& m = run.result->misbehaviour;
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Misbehaviour::Kind::kRootMismatch);
  ASSERT_TRUE(m->computed_root.has_value());
  EXPECT_NE(*m->computed_root, m->tree_head->root_hash);
  EXPECT_EQ(run.got.count, 2000u);                // delivered, but not verified:
  EXPECT_EQ(run.verifier.verified_end(), 0u);     // the position rewinds
  EXPECT_EQ(run.verifier.pending_end(), 0u);
}

// A tampered entry changes the tree: the recomputed root no longer matches the signed one.
TEST_P(ScanTest, TamperedEntryIsMisbehaviour) {
  auto sim = StartSim({"--entries", "2000", "--seed", "tamper", "--fault-tamper-index", "1234"});
  ASSERT_TRUE(sim);
  FreshScan run(*sim, GetParam());
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const std::optional<Misbehaviour>& m = run.result->misbehaviour;
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Misbehaviour::Kind::kRootMismatch);
  EXPECT_EQ(run.verifier.verified_end(), 0u);
}

TEST_P(ScanTest, BadSignatureIsMisbehaviourAndFetchesNothing) {
  auto sim = StartSim({"--entries", "500", "--seed", "bad-sig", "--fault-bad-signature"});
  ASSERT_TRUE(sim);
  FreshScan run(*sim, GetParam());
  ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
  const std::optional<Misbehaviour>& m = run.result->misbehaviour;
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->kind, Misbehaviour::Kind::kBadTreeHeadSignature);
  EXPECT_EQ(run.got.count, 0u);
}

// Two validly signed heads with different roots for one size: a fork, caught on the head
// alone before any entry is fetched.
TEST_P(ScanTest, ForkIsMisbehaviour) {
  auto sim = StartSim({"--entries", "1000", "--seed", "fork"});
  ASSERT_TRUE(sim);
  FreshScan run(*sim, GetParam());
  ASSERT_TRUE(run.result.ok() && !run.result->misbehaviour) << run.result.status().ToString();
  SetFaults(*sim, R"({"fork": true})");  // heads alternate: true, forked, true, ...
  std::optional<Misbehaviour> seen;
  for (int i = 0; i < 2 && !seen; ++i) {
    auto again = Scan(*run.source, run.verifier, run.got.Sink());
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    seen = again->misbehaviour;
  }
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(seen->kind, Misbehaviour::Kind::kForkedTreeHead);
  EXPECT_EQ(seen->verified_head->tree_size, seen->tree_head->tree_size);
  EXPECT_EQ(run.got.count, 1000u);
}

// A log whose signed head lies about its tree (issue 19): a size beyond 2^63 (or, over
// static-ct-api, beyond 2^40), a timestamp from tomorrow, or more entries than it serves.
// Each is refused or fails with an error naming it; what was delivered is entries from 0
// on, in order (the sink checks) and none skipped, at most up to where the log stopped
// answering (the first final error cancels the requests in flight, so maybe fewer), and
// nothing is verified.
TEST_P(ScanTest, LyingTreeHeadsAreRefusedAndNoEntryIsSkipped) {
  constexpr uint64_t kTrueSize = 1000;
  auto sim = StartSim({"--entries", std::to_string(kTrueSize), "--seed", "lying-head"});
  ASSERT_TRUE(sim);
  const bool tiles = GetParam() == Api::kStaticCt;
  const uint64_t tomorrow_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count()) + 86'400'000;
  struct Case {
    std::string desc, faults;
    Code code;
    std::string want_error;
    uint64_t max_delivered;  // entries [0, n) reach the sink, n <= max_delivered
  };
  const Case cases[] = {
      {"size 2^63", R"({"head_tree_size": 9223372036854775808})", Code::kMalformed,
       tiles ? "tree_size is beyond 1099511627776" : "tree_size is beyond 9223372036854775807", 0},
      {"size 2^64-1", R"({"head_tree_size": 18446744073709551615})", Code::kMalformed, "tree_size is beyond", 0},
      {"size 2^40 + 1", R"({"head_tree_size": 1099511627777})", tiles ? Code::kMalformed : Code::kFailedPrecondition,
       tiles ? "tree_size is beyond 1099511627776" : "start beyond tree size", tiles ? 0 : kTrueSize},
      {"a head from tomorrow", R"({"head_timestamp_ms": )" + std::to_string(tomorrow_ms) + "}", Code::kMalformed,
       "s in the future", 0},
      // 300 entries more than served. RFC 6962: every real entry arrives, then get-entries
      // past the end is refused (HTTP 400). static-ct-api: the full tiles 0-2 arrive, then
      // tile 3, full in a tree of 1300, is not there (HTTP 404; ctsim has only 003.p/232).
      {"300 entries more than it serves", R"({"head_tree_size": 1300})", Code::kFailedPrecondition,
       tiles ? ": HTTP 404" : "HTTP 400", tiles ? 768 : kTrueSize},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    SetFaults(*sim, c.faults);
    FreshScan run(*sim, GetParam());
    ASSERT_FALSE(run.result.ok());
    EXPECT_EQ(run.result.status().code(), c.code) << run.result.status().ToString();
    EXPECT_NE(run.result.status().message().find(c.want_error), std::string::npos) << run.result.status().ToString();
    EXPECT_LE(run.got.count, c.max_delivered);
    EXPECT_EQ(run.got.next_index, run.got.count);
    EXPECT_EQ(run.verifier.verified_end(), 0u);
    EXPECT_EQ(run.verifier.pending_end(), 0u) << "rewound: nothing unverified is kept";
  }
}

// static-ct-api tiles that hold more or fewer entries than their width (issue 19): a short
// full tile, a full tile with one entry too many, a partial tile with one more or one less
// than its width. Each is retried and then fails as kMalformed naming the tile and the
// count; no entry of the bad tile, or after it, is delivered. A partial tile answered
// with the full 256 entries is the one legitimate "more" (tlog-tiles) and is cut.
TEST(StaticTiles, TilesThatLieAboutTheirWidthFailNamingIt) {
  struct Case {
    const char* desc;
    uint64_t entries;
    int delta;
    const char* want_error;  // nullptr: the scan verifies
    uint64_t delivered;
  };
  const Case cases[] = {
      {"full tiles one short", 512, -1, "data tile holds 255 entries, expected 256", 0},
      {"full tiles one too many", 512, 1, "data tile holds more than 256 entries", 0},
      {"partial tile 200 one too many", 200, 1, "tile/data/000.p/200: data tile holds more than 200 entries", 0},
      {"partial tile 200 one short", 200, -1, "tile/data/000.p/200: data tile holds 199 entries, expected 200", 0},
      {"partial tile 200 served as 256", 200, 56, nullptr, 200},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    auto sim = StartSim({"--entries", std::to_string(c.entries), "--seed", "lying-tiles", "--faults",
                         R"({"tile_width_delta": )" + std::to_string(c.delta) + "}"});
    ASSERT_TRUE(sim);
    FreshScan run(*sim, Api::kStaticCt);
    if (c.want_error == nullptr) {
      ASSERT_TRUE(run.result.ok()) << run.result.status().ToString();
      EXPECT_FALSE(run.result->misbehaviour.has_value());
      EXPECT_EQ(run.verifier.verified_end(), c.entries);
    } else {
      ASSERT_FALSE(run.result.ok());
      EXPECT_EQ(run.result.status().code(), Code::kMalformed) << run.result.status().ToString();
      EXPECT_NE(run.result.status().message().find(c.want_error), std::string::npos)
          << run.result.status().ToString();
      EXPECT_EQ(run.verifier.verified_end(), 0u);
    }
    EXPECT_EQ(run.got.count, c.delivered);
    EXPECT_EQ(run.got.next_index, c.delivered);
  }
}

INSTANTIATE_TEST_SUITE_P(BothApis, ScanTest, ::testing::Values(Api::kRfc6962, Api::kStaticCt), ApiName);

}  // namespace
}  // namespace pinwatch::ctlog
