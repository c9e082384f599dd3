#include "watch/match_pool.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <thread>

#include "tests/x509/cert_test_util.h"

namespace pinwatch::watch {
namespace {

using testing::PemCertificate;

class MatchPoolTest : public pinwatch::testing::TestdataTest {};

// A batch of every real leaf certificate, repeated to several hundred entries, matched by
// the pool (with and without threads, from several callers at once) gives exactly what one
// plain Matcher gives, entry by entry, in order.
TEST_F(MatchPoolTest, SameMatchesInTheSameOrderAsOneMatcher) {
  std::vector<std::vector<uint8_t>> ders;
  for (const auto& f : std::filesystem::directory_iterator(Path("certs/leaf"))) {
    if (f.path().extension() == ".pem") ders.push_back(PemCertificate(f.path()));
  }
  ASSERT_GE(ders.size(), 10u);
  std::vector<ctlog::LogEntry> batch;
  for (size_t i = 0; i < 700; ++i) {
    ctlog::LogEntry e;
    e.index = i;
    e.timestamped_entry.entry_type = ctlog::LogEntryType::kX509Entry;
    e.timestamped_entry.certificate = ders[i % ders.size()];
    batch.push_back(e);
  }
  auto watch = WatchList::Create(std::vector<WatchEntry>{{.name = "google.com", .scope = WatchScope::kIncludeSubdomains},
                                                         {.name = "kmonos.jp", .scope = WatchScope::kIncludeSubdomains},
                                                         {.name = "velia.net", .scope = WatchScope::kIncludeSubdomains}});
  ASSERT_TRUE(watch.ok());
  Matcher plain(*watch);
  std::vector<std::optional<EntryMatch>> expected;
  size_t matched = 0;
  for (const auto& e : batch) {
    expected.push_back(plain.Match(e));
    matched += expected.back().has_value();
  }
  ASSERT_GT(matched, 0u);
  ASSERT_LT(matched, batch.size());

  auto same = [&](const std::vector<std::optional<EntryMatch>>& got) {
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i].has_value(), expected[i].has_value()) << i;
      if (!got[i]) continue;
      EXPECT_EQ(got[i]->watch, expected[i]->watch) << i;
      EXPECT_EQ(got[i]->certificate_name, expected[i]->certificate_name) << i;
    }
  };
  MatchPool inline_pool(0);
  same(inline_pool.MatchBatch(*watch, batch));
  MatchPool pool(3);
  same(pool.MatchBatch(*watch, batch));
  // Several workers share one pool.
  std::vector<std::vector<std::optional<EntryMatch>>> results(4);
  std::vector<std::thread> callers;
  for (auto& r : results) callers.emplace_back([&] { r = pool.MatchBatch(*watch, batch); });
  for (auto& t : callers) t.join();
  for (const auto& r : results) same(r);
  // An empty batch and a batch smaller than a chunk.
  EXPECT_TRUE(pool.MatchBatch(*watch, {}).empty());
  EXPECT_EQ(pool.MatchBatch(*watch, std::span(batch).first(3)).size(), 3u);
}

}  // namespace
}  // namespace pinwatch::watch
