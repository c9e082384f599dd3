#include "watch/match_pool.h"

#include <algorithm>
#include <latch>

namespace pinwatch::watch {

namespace {

// Entries per task: large enough that queueing costs little next to ~1 µs of matching per
// entry, small enough to spread a 256-entry batch over a few threads.
constexpr size_t kChunkEntries = 64;

}  // namespace

MatchPool::MatchPool(size_t threads) {
  threads_.reserve(threads);
  for (size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { Run(); });
}

MatchPool::~MatchPool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void MatchPool::Run() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !tasks_.empty(); });
      if (tasks_.empty()) return;  // stopping, nothing left
      task = std::move(tasks_.front());
      tasks_.pop_front();
    }
    task();
  }
}

std::vector<std::optional<EntryMatch>> MatchPool::MatchBatch(const WatchList& watch,
                                                             std::span<const ctlog::LogEntry> batch) {
  std::vector<std::optional<EntryMatch>> out(batch.size());
  auto match_range = [&](size_t begin, size_t end) {
    Matcher matcher(watch);
    for (size_t i = begin; i < end; ++i) out[i] = matcher.Match(batch[i]);
  };
  const size_t chunks = (batch.size() + kChunkEntries - 1) / kChunkEntries;
  if (threads_.empty() || chunks <= 1) {
    match_range(0, batch.size());
    return out;
  }
  // Chunks 1.. go to the pool; chunk 0 runs here. The latch makes the results visible.
  std::latch done(static_cast<std::ptrdiff_t>(chunks - 1));
  {
    std::lock_guard lock(mu_);
    for (size_t c = 1; c < chunks; ++c) {
      const size_t begin = c * kChunkEntries, end = std::min(batch.size(), begin + kChunkEntries);
      tasks_.emplace_back([&match_range, &done, begin, end] {
        match_range(begin, end);
        done.count_down();
      });
    }
  }
  cv_.notify_all();
  match_range(0, std::min(batch.size(), kChunkEntries));
  done.wait();
  return out;
}

}  // namespace pinwatch::watch
