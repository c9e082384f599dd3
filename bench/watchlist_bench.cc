// Watch-list lookups per second for lists of 10, 1,000 and 100,000 names, on realistic
// certificate names: non-matching ones (nearly every name in a CT log) and matching ones.
//   build/release/bench/pinwatch_bench --benchmark_filter=Watch
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "watch/watchlist.h"

namespace pinwatch::watch {
namespace {

constexpr std::string_view kTlds[] = {"com", "com", "com", "net", "org", "de", "co.uk", "io", "fr", "xn--p1ai", "com.br"};
constexpr std::string_view kHosts[] = {"www", "mail", "api", "cdn", "shop", "autodiscover", "cpanel", "webmail",
                                       "*", "*", "*", "m", "dev", "static"};

// RandomLabel returns a lowercase label of 4..16 letters and digits, like registered names.
std::string RandomLabel(std::mt19937_64& rng) {
  static constexpr char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789-";
  std::string label(4 + rng() % 13, 'a');
  for (size_t i = 0; i < label.size(); ++i) {
    label[i] = kChars[rng() % (i < 4 || i + 1 == label.size() ? 36 : 37)];  // no "xn--", no edge '-'
  }
  return label;
}

std::string RandomDomain(std::mt19937_64& rng) {
  return RandomLabel(rng) + "." + std::string(kTlds[rng() % std::size(kTlds)]);
}

// Workload holds one watch list and 4,096 names to look up, cycled through so that the branch
// predictor cannot learn the answers. The names stay in L2 (in the pipeline a name comes from
// DER bytes that were just read), so what the figures measure is the index.
struct Workload {
  WatchList list;
  std::string arena;
  std::vector<std::string_view> names;
};
constexpr size_t kNames = 4096;

Workload Make(size_t watch_size, bool matching) {
  std::mt19937_64 rng(watch_size * 2 + matching);
  std::vector<WatchEntry> entries;
  std::vector<std::string> watched;
  for (size_t i = 0; i < watch_size; ++i) {
    watched.push_back(RandomDomain(rng));
    entries.push_back({.name = watched.back(),
                       .scope = i % 4 == 0 ? WatchScope::kExactName : WatchScope::kIncludeSubdomains});
  }
  Result<WatchList> list = WatchList::Create(entries);
  if (!list.ok()) std::abort();
  std::vector<std::string> names;
  for (size_t i = 0; i < kNames; ++i) {
    // Names as they appear in SANs: a base domain, or a host or wildcard under it.
    std::string base = matching ? watched[rng() % watched.size()] : RandomDomain(rng);
    switch (rng() % 3) {
      case 0: names.push_back(base); break;
      case 1: names.push_back(std::string(kHosts[rng() % std::size(kHosts)]) + "." + base); break;
      default: names.push_back(RandomLabel(rng) + "." + std::string(kHosts[rng() % std::size(kHosts)]) + "." + base); break;
    }
  }
  Workload w{.list = std::move(list).value()};
  for (const std::string& n : names) w.arena += n;
  size_t offset = 0;
  for (const std::string& n : names) {
    w.names.push_back(std::string_view(w.arena).substr(offset, n.size()));
    offset += n.size();
  }
  return w;
}

void Run(benchmark::State& state, bool matching) {
  const Workload w = Make(static_cast<size_t>(state.range(0)), matching);
  size_t i = 0;
  int64_t hits = 0;
  for (auto _ : state) {
    std::optional<WatchMatch> m = w.list.MatchName(w.names[i]);
    hits += m.has_value();
    benchmark::DoNotOptimize(m);
    i = (i + 1) & (w.names.size() - 1);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["hit_ratio"] = benchmark::Counter(static_cast<double>(hits) / static_cast<double>(state.iterations()));
}

void BM_WatchListNonMatching(benchmark::State& state) { Run(state, false); }
void BM_WatchListMatching(benchmark::State& state) { Run(state, true); }

BENCHMARK(BM_WatchListNonMatching)->Arg(10)->Arg(1000)->Arg(100000);
BENCHMARK(BM_WatchListMatching)->Arg(10)->Arg(1000)->Arg(100000);

// A certificate's worth of names (5, a typical SAN count) through MatchAny, non-matching.
void BM_WatchListMatchAnyFiveNames(benchmark::State& state) {
  const Workload w = Make(static_cast<size_t>(state.range(0)), false);
  const std::vector<std::string_view>& views = w.names;
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(w.list.MatchAny(std::span(views).subspan(i, 5)));
    i += 5;
    if (i + 5 > views.size()) i = 0;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_WatchListMatchAnyFiveNames)->Arg(10)->Arg(100000);

}  // namespace
}  // namespace pinwatch::watch
