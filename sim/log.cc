#include "sim/log.h"

#include <chrono>
#include <thread>

namespace pinwatch::sim {
namespace {

// Entries generated per thread between two appends to the log.
constexpr uint64_t kGrowChunkEntries = 1 << 16;

uint64_t NowMs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

Result<std::unique_ptr<SimLog>> SimLog::Create(EcKey log_key, EntrySource source, uint64_t initial_size,
                                               std::vector<Buffer> roots, unsigned threads) {
  std::unique_ptr<SimLog> log(new SimLog(std::move(log_key), std::move(source), std::move(roots), threads));
  auto sth = log->Grow(initial_size);
  if (!sth.ok()) return sth.status();
  return log;
}

Result<ctlog::SignedTreeHead> SimLog::Grow(uint64_t count) {
  std::lock_guard grow_lock(grow_mu_);
  // Only Grow changes the size, and grow_mu_ is held, so reading it unlocked is safe.
  uint64_t next = entries_.size();
  const uint64_t end = next + count;
  unsigned threads = std::max(1u, threads_);
  // Entries are made in chunks, each split over the threads, so that the transient copies
  // stay small; the lock is held only to append a finished chunk. Readers may see more
  // entries than the latest STH covers, which is why every endpoint bounds itself by it.
  while (next < end) {
    uint64_t chunk = std::min<uint64_t>(end - next, kGrowChunkEntries * threads);
    std::vector<EntryStore> parts(threads);
    std::vector<Status> statuses(threads);
    std::vector<std::vector<ctlog::Hash>> hashes(threads);
    auto work = [&](unsigned t) {
      uint64_t b = next + chunk * t / threads, e = next + chunk * (t + 1) / threads;
      statuses[t] = source_(b, e, parts[t]);
      if (!statuses[t].ok()) return;
      if (parts[t].size() != e - b) {
        statuses[t] = InternalError("entry source produced the wrong number of entries");
        return;
      }
      hashes[t].reserve(parts[t].size());
      for (uint64_t i = 0; i < parts[t].size(); ++i) hashes[t].push_back(ctlog::HashLeaf(parts[t].LeafInput(i)));
    };
    std::vector<std::thread> workers;
    for (unsigned t = 1; t < threads; ++t) workers.emplace_back(work, t);
    work(0);
    for (auto& w : workers) w.join();
    for (const Status& s : statuses) {
      if (!s.ok()) return s;
    }
    std::unique_lock lock(mu_);
    for (unsigned t = 0; t < threads; ++t) {
      entries_.AddAll(parts[t]);
      for (const auto& h : hashes[t]) tree_.Append(h);
    }
    next += chunk;
  }
  std::unique_lock lock(mu_);
  return PublishLocked();
}

ctlog::SignedTreeHead SimLog::PublishLocked() {
  std::lock_guard sth_lock(sth_mu_);
  uint64_t timestamp_ms = NowMs();
  if (!sths_.empty() && timestamp_ms <= sths_.back().timestamp_ms) timestamp_ms = sths_.back().timestamp_ms + 1;
  sths_.push_back(SignTreeHead(timestamp_ms, tree_.size(), tree_.Root(tree_.size())));
  return sths_.back();
}

ctlog::SignedTreeHead SimLog::SignTreeHead(uint64_t timestamp_ms, uint64_t tree_size,
                                           const ctlog::Hash& root) const {
  ctlog::SignedTreeHead sth{.tree_size = tree_size, .timestamp_ms = timestamp_ms, .root_hash = root,
                            .signature = {}};
  sth.signature = ctlog::DigitallySigned{
      .hash_algorithm = ctlog::kHashSha256,
      .signature_algorithm = ctlog::kSignatureEcdsa,
      .signature = key_.Sign(ctlog::SerializeTreeHeadSignatureInput(timestamp_ms, tree_size, root))};
  return sth;
}

ctlog::SignedTreeHead SimLog::LatestSth() const {
  std::lock_guard lock(sth_mu_);
  return sths_.back();
}

std::optional<ctlog::SignedTreeHead> SimLog::PublishedSth(uint64_t tree_size) const {
  std::lock_guard lock(sth_mu_);
  for (auto it = sths_.rbegin(); it != sths_.rend(); ++it) {
    if (it->tree_size == tree_size) return *it;
  }
  return std::nullopt;
}

}  // namespace pinwatch::sim
