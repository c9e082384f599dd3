// The per-entry hot path, whole and step by step, on realistic entries: ctsim's generator
// (real-shaped certificates and precertificates with chains, about half precert entries)
// served as RFC 6962 get-entries bodies of 256 entries, the batch size real logs answer.
//   JSON body → in-situ parse → base64 decode of leaf_input → Merkle leaf hash → leaf parse
//   → DER walk for names → watch-list lookup (1,000 watched names, none matching).
// (extra_data, the chain, is decoded only for matches: see ctlog/entry_decoder.h.)
// Items are entries; the target is 300,000 entries/s per core for the whole path.
//   build/release/bench/pinwatch_bench --benchmark_filter=EntryPath
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "ctlog/entry_decoder.h"
#include "ctlog/merkle.h"
#include "ctlog/rfc6962_json.h"
#include "x509/cert_view.h"
#include "watch/matcher.h"
#include "sim/crypto.h"
#include "sim/entries.h"

namespace pinwatch {
namespace {

constexpr uint64_t kEntries = 4096;
constexpr uint64_t kBatch = 256;

// Workload: get-entries bodies and a 1,000-name watch list that none of them concerns.
struct Workload {
  std::vector<std::string> bodies;  // pristine copies; in-situ parsing needs a fresh one
  std::optional<watch::WatchList> watch;
};

const Workload& GetWorkload() {
  static const Workload* workload = [] {
    auto key = sim::EcKey::FromSeed("bench", "log");
    sim::Plan plan;
    plan.seed = "entry-path-bench";
    plan.entries = kEntries;
    auto generator = sim::EntryGenerator::Create(plan, std::move(*key));
    sim::EntryStore store;
    if (!generator.ok() || !generator->Generate(0, kEntries, store).ok()) std::abort();
    auto* w = new Workload;
    sim::Buffer extra;
    for (uint64_t first = 0; first < kEntries; first += kBatch) {
      std::string body = "{\"entries\":[";
      for (uint64_t i = first; i < first + kBatch; ++i) {
        extra.clear();
        store.AppendExtraData(i, extra);
        if (i != first) body += ",";
        body += "{\"leaf_input\":\"" + Base64Encode(store.LeafInput(i)) + "\",\"extra_data\":\"" +
                Base64Encode(extra) + "\"}";
      }
      body += "]}";
      w->bodies.push_back(std::move(body));
    }
    std::vector<watch::WatchEntry> names;
    for (int i = 0; i < 1000; ++i) {
      names.push_back({.name = "brand" + std::to_string(i) + ".watched.test",
                       .scope = i % 2 ? watch::WatchScope::kIncludeSubdomains : watch::WatchScope::kExactName});
    }
    auto watch = watch::WatchList::Create(names);
    if (!watch.ok()) std::abort();
    w->watch.emplace(std::move(*watch));
    return w;
  }();
  return *workload;
}

// ForEachBody runs `fn(body)` over fresh copies of the bodies; the copying is not timed.
template <class Fn>
void ForEachBody(benchmark::State& state, Fn fn) {
  const Workload& w = GetWorkload();
  std::string body;
  size_t next = 0;
  for (auto _ : state) {
    state.PauseTiming();
    body = w.bodies[next++ % w.bodies.size()];
    state.ResumeTiming();
    fn(body);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
}

// The whole path, as a log worker runs it (EntryDecoder is what the RFC 6962 source uses).
void BM_EntryPath_Whole(benchmark::State& state) {
  std::vector<ctlog::RawEntry> raw;
  ctlog::EntryDecoder decoder;
  watch::Matcher matcher(*GetWorkload().watch);
  ForEachBody(state, [&](std::string& body) {
    if (!ctlog::ParseGetEntriesResponse(body, raw).ok()) std::abort();
    auto entries = decoder.Decode(0, raw);
    if (!entries.ok()) std::abort();
    for (const ctlog::LogEntry& e : *entries) benchmark::DoNotOptimize(matcher.Match(e));
  });
  if (matcher.counters().matched != 0 || matcher.counters().unparseable != 0) std::abort();
}
BENCHMARK(BM_EntryPath_Whole);

// The whole path on REAL entries: the two Let's Encrypt entries (an x509_entry and a
// precert_entry with their chains, 2019) from ../shared/testdata, repeated into 256-entry
// bodies. They are about twice the size of ctsim's entries (RSA keys and chains), so this is
// the figure to hold against the target. Skipped when the test data is absent.
void BM_EntryPath_Whole_RealLetsEncryptEntries(benchmark::State& state) {
  const char* env = std::getenv("PINWATCH_TESTDATA");
  const std::string dir = env != nullptr && *env != '\0' ? env : PINWATCH_DEFAULT_TESTDATA;
  std::ifstream in(dir + "/ct/rfc6962/entries/get-entries_letsencrypt-2019-x509-and-precert.json");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<ctlog::RawEntry> raw;
  std::string copy = text;
  if (text.empty() || !ctlog::ParseGetEntriesResponse(copy, raw).ok() || raw.size() != 2) {
    state.SkipWithError(("real entries not found under " + dir).c_str());
    return;
  }
  std::string pristine = "{\"entries\":[";
  for (uint64_t i = 0; i < kBatch; ++i) {
    const ctlog::RawEntry& r = raw[i % 2];
    if (i != 0) pristine += ",";
    pristine += "{\"leaf_input\":\"" + std::string(r.leaf_input_b64) + "\",\"extra_data\":\"" +
                std::string(r.extra_data_b64) + "\"}";
  }
  pristine += "]}";
  ctlog::EntryDecoder decoder;
  watch::Matcher matcher(*GetWorkload().watch);
  std::string body;
  for (auto _ : state) {
    state.PauseTiming();
    body = pristine;
    state.ResumeTiming();
    if (!ctlog::ParseGetEntriesResponse(body, raw).ok()) std::abort();
    auto entries = decoder.Decode(0, raw);
    if (!entries.ok()) std::abort();
    for (const ctlog::LogEntry& e : *entries) benchmark::DoNotOptimize(matcher.Match(e));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.counters["bytes_per_entry"] = static_cast<double>(pristine.size()) / kBatch;
  if (matcher.counters().matched != 0 || matcher.counters().unparseable != 0) std::abort();
}
BENCHMARK(BM_EntryPath_Whole_RealLetsEncryptEntries);

void BM_EntryPath_1_JsonParse(benchmark::State& state) {
  std::vector<ctlog::RawEntry> raw;
  ForEachBody(state, [&](std::string& body) {
    if (!ctlog::ParseGetEntriesResponse(body, raw).ok()) std::abort();
  });
}
BENCHMARK(BM_EntryPath_1_JsonParse);

void BM_EntryPath_2_Base64(benchmark::State& state) {
  std::vector<ctlog::RawEntry> raw;
  std::vector<uint8_t> bytes;
  ForEachBody(state, [&](std::string& body) {
    state.PauseTiming();
    if (!ctlog::ParseGetEntriesResponse(body, raw).ok()) std::abort();
    state.ResumeTiming();
    bytes.clear();
    for (const auto& r : raw) {
      if (!Base64DecodeInto(r.leaf_input_b64, bytes)) std::abort();  // extra_data waits for a match
    }
  });
}
BENCHMARK(BM_EntryPath_2_Base64);

// Steps 3-5 work on decoded entries; decode once, outside the timing.
struct Decoded {
  std::vector<std::vector<uint8_t>> leaf_inputs;
};
const Decoded& GetDecoded() {
  static const Decoded* decoded = [] {
    auto* d = new Decoded;
    for (std::string body : GetWorkload().bodies) {
      std::vector<ctlog::RawEntry> raw;
      if (!ctlog::ParseGetEntriesResponse(body, raw).ok()) std::abort();
      for (const auto& r : raw) {
        d->leaf_inputs.push_back(*Base64Decode(r.leaf_input_b64));
      }
    }
    return d;
  }();
  return *decoded;
}

void BM_EntryPath_3_LeafHash(benchmark::State& state) {
  const Decoded& d = GetDecoded();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ctlog::HashLeaf(d.leaf_inputs[i++ % d.leaf_inputs.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntryPath_3_LeafHash);

void BM_EntryPath_4_LeafParse(benchmark::State& state) {
  const Decoded& d = GetDecoded();
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ctlog::ParseMerkleTreeLeaf(d.leaf_inputs[i++ % d.leaf_inputs.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntryPath_4_LeafParse);

// Steps 5 and 6 over the certificate (x509) or TBS (precert) of each entry.
void BM_EntryPath_5_DerNames(benchmark::State& state) {
  const Decoded& d = GetDecoded();
  size_t i = 0, names = 0;
  for (auto _ : state) {
    auto leaf = ctlog::ParseMerkleTreeLeaf(d.leaf_inputs[i++ % d.leaf_inputs.size()]);
    const auto& te = leaf->timestamped_entry;
    auto tbs = te.entry_type == ctlog::LogEntryType::kPrecertEntry
                   ? x509::ParseTbsCertificate(te.tbs_certificate)
                   : [&]() -> Result<x509::TbsView> {
                       auto c = x509::ParseCertificate(te.certificate);
                       if (!c.ok()) return c.status();
                       return c->tbs;
                     }();
    for (Bytes name : tbs->SanDnsNames()) names += name.size();
    for (const auto& cn : tbs->SubjectCommonNames()) names += cn.value.size();
  }
  benchmark::DoNotOptimize(names);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntryPath_5_DerNames);

void BM_EntryPath_6_Match(benchmark::State& state) {
  const Decoded& d = GetDecoded();
  std::vector<ctlog::LogEntry> entries(d.leaf_inputs.size());
  for (size_t k = 0; k < entries.size(); ++k) {
    entries[k].timestamped_entry = ctlog::ParseMerkleTreeLeaf(d.leaf_inputs[k])->timestamped_entry;
  }
  watch::Matcher matcher(*GetWorkload().watch);
  size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(matcher.Match(entries[i++ % entries.size()]));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_EntryPath_6_Match);

}  // namespace
}  // namespace pinwatch
