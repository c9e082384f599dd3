#include "sim/log.h"

#include <chrono>
#include <thread>

namespace pinwatch::sim {
namespace {

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
  uint64_t begin = entries_.size();  // only Grow changes the size, and grow_mu_ is held
  EntryStore fresh;
  if (count > 0) {
    // Generate in chunks spread over the threads; the source is a pure function of index.
    uint64_t end = begin + count;
    unsigned threads = std::max(1u, threads_);
    std::vector<EntryStore> parts(threads);
    std::vector<Status> statuses(threads);
    std::vector<std::thread> workers;
    for (unsigned t = 0; t < threads; ++t) {
      uint64_t b = begin + count * t / threads, e = begin + count * (t + 1) / threads;
      if (threads == 1) {
        statuses[t] = source_(b, e, parts[t]);
      } else {
        workers.emplace_back([this, b, e, t, &parts, &statuses] { statuses[t] = source_(b, e, parts[t]); });
      }
    }
    for (auto& w : workers) w.join();
    for (const Status& s : statuses) {
      if (!s.ok()) return s;
    }
    for (const auto& part : parts) fresh.AddAll(part);
    if (fresh.size() != count) return InternalError("entry source produced the wrong number of entries");
    (void)end;
  }
  std::vector<ctlog::Hash> hashes(fresh.size());
  for (uint64_t i = 0; i < fresh.size(); ++i) hashes[i] = ctlog::HashLeaf(fresh.LeafInput(i));
  std::unique_lock lock(mu_);
  entries_.AddAll(fresh);
  for (const auto& h : hashes) tree_.Append(h);
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
