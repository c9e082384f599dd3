// MatchPool: a small fixed pool of threads that match log entries against the watch list
// for every log worker (the DER walk and the index lookups are about half of the per-entry
// cost; JSON, base64 and leaf hashing stay on the worker's fetch thread). A worker hands a
// decoded batch to MatchBatch and gets the matches back in log order, so the commit order
// is untouched: the pool is fork-join inside one batch.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

#include "ctlog/log_entry.h"
#include "watch/matcher.h"
#include "watch/watchlist.h"

namespace pinwatch::watch {

class MatchPool {
 public:
  // `threads` pool threads (0: MatchBatch matches on the calling thread alone).
  explicit MatchPool(size_t threads);
  ~MatchPool();
  MatchPool(const MatchPool&) = delete;
  MatchPool& operator=(const MatchPool&) = delete;

  // MatchBatch returns, for each entry of `batch` in order, the entry's match or nullopt.
  // The calling thread takes a share of the work too. Thread-safe: workers of several logs
  // may call it at once. `watch` must outlive the call.
  std::vector<std::optional<EntryMatch>> MatchBatch(const WatchList& watch, std::span<const ctlog::LogEntry> batch);

  size_t threads() const { return threads_.size(); }

 private:
  void Run();
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
};

}  // namespace pinwatch::watch
