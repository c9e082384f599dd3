// Certificates end to end: ctsim plants certificates for watched names among thousands of
// others; a scan over each API, the Matcher and the identity parse must find exactly the
// plants, with the facts ctsim recorded (leaf and issuer SPKI pins, TBS identity hash).
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <set>

#include "base/encoding.h"
#include "ctlog/scanner.h"
#include "ctlog/static_client.h"
#include "monitor/entry_identity.h"
#include "x509/identity.h"
#include "watch/matcher.h"
#include "tests/support/sim_process.h"

namespace pinwatch {
namespace {

using testing::SimProcess;

struct Found {
  watch::EntryMatch match;
  x509::CertIdentity identity;
};

TEST(MatchEndToEnd, PlantsAreFoundWithTheirFactsOverBothApis) {
  auto sim = SimProcess::Start({"--entries", "20000", "--seed", "match-e2e",
                                "--plant", "11:x509:normal:key-a:www.watched-bank.test",
                                "--plant", "5000:precert:rogue:key-evil:login.watched-bank.test",
                                "--plant", "12345:both:e2:key-a:pay.watched-bank.test,watched-bank.test",
                                "--plant", "19998:x509:e1:key-b:api.other-watched.test"});
  ASSERT_TRUE(sim.ok()) << sim.status().ToString();
  rapidjson::Document facts;
  const std::string facts_text = (*sim)->FactsJson();
  ASSERT_FALSE(facts.Parse(facts_text.c_str()).HasParseError());
  auto key = ctlog::LogKey::FromPem((*sim)->PubkeyPem());
  ASSERT_TRUE(key.ok());

  std::vector<watch::WatchEntry> entries = {
      {.name = "watched-bank.test", .scope = watch::WatchScope::kIncludeSubdomains},
      {.name = "api.other-watched.test"}};
  for (int i = 0; i < 998; ++i) entries.push_back({.name = "decoy" + std::to_string(i) + ".test"});
  auto watch = watch::WatchList::Create(entries);
  ASSERT_TRUE(watch.ok());

  const std::string url = (*sim)->url();
  const std::string origin = ctlog::DefaultOrigin(url);
  ctlog::StaticCtClient issuers(url);
  std::map<std::string, std::vector<uint8_t>> issuer_cache;
  x509::IssuerLookup lookup = [&](const ctlog::Hash& fp) -> std::optional<Bytes> {
    auto [it, inserted] = issuer_cache.try_emplace(HexEncode(fp));
    if (inserted) {
      auto der = issuers.GetIssuer(fp);
      if (!der.ok()) return std::nullopt;
      it->second = std::move(*der);
    }
    return Bytes(it->second);
  };

  for (bool tiled : {false, true}) {
    SCOPED_TRACE(tiled ? "static-ct" : "rfc6962");
    auto source = tiled ? ctlog::NewStaticCtSource(url, url, origin, *key) : ctlog::NewRfc6962Source(url, *key);
    ctlog::TreeVerifier verifier({}, std::nullopt);
    watch::Matcher matcher(*watch);
    std::map<uint64_t, Found> found;
    auto result = ctlog::Scan(*source, verifier, [&](std::span<const ctlog::LogEntry> batch) {
      for (const ctlog::LogEntry& e : batch) {
        auto m = matcher.Match(e);
        if (!m) continue;
        auto id = monitor::ComputeEntryIdentity(e, lookup);
        if (!id.ok()) return id.status();
        found.emplace(e.index, Found{*m, *id});
      }
      return OkStatus();
    });
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_FALSE(result->misbehaviour.has_value());
    EXPECT_EQ(matcher.counters().entries, 20000u);
    EXPECT_EQ(matcher.counters().unparseable, 0u);

    std::set<uint64_t> want_indices;
    for (const auto& plant : facts["plants"].GetArray()) {
      const auto& indices = plant["indices"].GetArray();
      ctlog::Hash tbs_identity{};
      for (unsigned k = 0; k < indices.Size(); ++k) {
        const uint64_t index = indices[k].GetUint64();
        want_indices.insert(index);
        ASSERT_TRUE(found.count(index)) << "plant at " << index << " not found";
        const x509::CertIdentity& id = found[index].identity;
        EXPECT_EQ(id.spki_sha256_pin, plant["leaf_spki_sha256"].GetString()) << index;
        ASSERT_TRUE(id.issuer_spki_sha256.has_value()) << index;
        EXPECT_EQ("sha256/" + Base64Encode(*id.issuer_spki_sha256), plant["issuer_spki_sha256"].GetString()) << index;
        EXPECT_EQ(HexEncode(id.tbs_identity_hash), plant["tbs_sha256"].GetString()) << index;
        std::vector<std::string> names;
        for (const auto& n : plant["names"].GetArray()) names.emplace_back(n.GetString());
        EXPECT_EQ(id.san_dns_names, names) << index;
        if (k > 0) {
          EXPECT_EQ(id.tbs_identity_hash, tbs_identity) << "precert and final cert share one identity";
        }
        tbs_identity = id.tbs_identity_hash;
      }
    }
    std::set<uint64_t> got_indices;
    for (const auto& [index, f] : found) got_indices.insert(index);
    EXPECT_EQ(got_indices, want_indices);  // exactly the plants: nothing missed, nothing extra
  }
}

}  // namespace
}  // namespace pinwatch
