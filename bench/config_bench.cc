// What a big watch list costs (issue 13): every command parses the configuration, and only
// `run` builds the watch index (monitor/worker.cc MakeWatch). For 10,000 and 100,000 watch
// names, per name:
//   parse_s_per_name            ParseConfig's time (SI prefix: "12u" is 12 microseconds)
//   parse_peak_bytes_per_name   the most heap ParseConfig held at once: its copies of the text,
//                               yaml-cpp's node tree and the Config being built
//   yaml_tree_bytes_per_name    yaml-cpp's node tree alone (YAML::Load of the same text)
//   config_bytes_per_name       what the parsed Config keeps
//   index_s_per_name            watch::WatchList::Create's time
//   index_bytes_per_name        what the watch::WatchList keeps
// Bytes are heap bytes as malloc hands them out (malloc_usable_size), counted by the
// operator new/delete of this binary, so they leave out malloc's own headers and whatever
// the process does not return to the system. Peak RSS of the whole command:
// bench/config_status_bench.sh.
//   build/release/bench/pinwatch_config_bench
// The names look like those bench/config_status_bench.sh writes: "host123.zone45.example.com"
// (26 bytes on average at 100,000), every other one with include_subdomains: true.
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <string>
#include <vector>

#include "monitor/config.h"
#include "watch/watchlist.h"

namespace {

// Heap accounting for this binary: live bytes and the high-water mark since the last Reset.
std::atomic<int64_t> live_bytes{0};
std::atomic<int64_t> peak_bytes{0};

void* Allocate(size_t size) {
  void* p = std::malloc(size == 0 ? 1 : size);
  if (p == nullptr) throw std::bad_alloc();
  const int64_t now = live_bytes.fetch_add(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed) +
                      static_cast<int64_t>(malloc_usable_size(p));
  int64_t peak = peak_bytes.load(std::memory_order_relaxed);
  while (now > peak && !peak_bytes.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
  }
  return p;
}

void Release(void* p) {
  if (p == nullptr) return;
  live_bytes.fetch_sub(static_cast<int64_t>(malloc_usable_size(p)), std::memory_order_relaxed);
  std::free(p);
}

// ResetPeak makes the high-water mark the live bytes now; returns them.
int64_t ResetPeak() {
  const int64_t now = live_bytes.load(std::memory_order_relaxed);
  peak_bytes.store(now, std::memory_order_relaxed);
  return now;
}

}  // namespace

void* operator new(size_t size) { return Allocate(size); }
void* operator new[](size_t size) { return Allocate(size); }
void operator delete(void* p) noexcept { Release(p); }
void operator delete[](void* p) noexcept { Release(p); }
void operator delete(void* p, size_t) noexcept { Release(p); }
void operator delete[](void* p, size_t) noexcept { Release(p); }

namespace pinwatch::monitor {
namespace {

// WatchYaml returns a config file with `names` watch entries.
std::string WatchYaml(size_t names) {
  std::string yaml = "database:\n  url: postgresql:///pinwatch\nwatch:\n";
  for (size_t i = 0; i < names; ++i) {
    yaml += "  - name: host" + std::to_string(i) + ".zone" + std::to_string(i % 977) + ".example.com\n";
    if (i % 2 == 1) yaml += "    include_subdomains: true\n";
  }
  return yaml;
}

std::optional<std::string> NoEnv(const std::string&) { return std::nullopt; }

double PerName(int64_t bytes, size_t names) { return static_cast<double>(bytes) / static_cast<double>(names); }

void BM_ParseConfig(benchmark::State& state) {
  const auto names = static_cast<size_t>(state.range(0));
  const std::string yaml = WatchYaml(names);

  // Memory, measured once, outside the timed loop.
  const int64_t before = ResetPeak();
  int64_t config_bytes = 0;
  {
    Result<Config> config = ParseConfig(yaml, "bench.yaml", NoEnv);
    if (!config.ok()) {
      state.SkipWithError(config.status().message().c_str());
      return;
    }
    config_bytes = live_bytes.load() - before;
  }
  const int64_t parse_peak = peak_bytes.load() - before;
  int64_t tree_bytes = 0;
  {
    const int64_t start = ResetPeak();
    YAML::Node root = YAML::Load(yaml);
    tree_bytes = live_bytes.load() - start;
  }

  for (auto _ : state) {
    Result<Config> config = ParseConfig(yaml, "bench.yaml", NoEnv);
    benchmark::DoNotOptimize(config);
  }
  // Seconds per name, printed with an SI prefix ("12u" is 12 microseconds).
  state.counters["parse_s_per_name"] =
      benchmark::Counter(static_cast<double>(names * state.iterations()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["parse_peak_bytes_per_name"] = PerName(parse_peak, names);
  state.counters["yaml_tree_bytes_per_name"] = PerName(tree_bytes, names);
  state.counters["config_bytes_per_name"] = PerName(config_bytes, names);
}
BENCHMARK(BM_ParseConfig)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

void BM_WatchListCreate(benchmark::State& state) {
  const auto names = static_cast<size_t>(state.range(0));
  Result<Config> config = ParseConfig(WatchYaml(names), "bench.yaml", NoEnv);
  if (!config.ok()) {
    state.SkipWithError(config.status().message().c_str());
    return;
  }
  // As MakeWatch builds it.
  std::vector<watch::WatchEntry> entries;
  for (const WatchConfig& w : config->watch) {
    entries.push_back({w.name, w.include_subdomains ? watch::WatchScope::kIncludeSubdomains : watch::WatchScope::kExactName});
  }
  int64_t index_bytes = 0;
  {
    const int64_t before = ResetPeak();
    Result<watch::WatchList> list = watch::WatchList::Create(entries);
    if (!list.ok()) std::abort();
    index_bytes = live_bytes.load() - before;
  }
  for (auto _ : state) {
    Result<watch::WatchList> list = watch::WatchList::Create(entries);
    benchmark::DoNotOptimize(list);
  }
  state.counters["index_s_per_name"] =
      benchmark::Counter(static_cast<double>(names * state.iterations()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["index_bytes_per_name"] = PerName(index_bytes, names);
}
BENCHMARK(BM_WatchListCreate)->Arg(10000)->Arg(100000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace pinwatch::monitor
