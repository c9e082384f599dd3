// Committer: the last stage of a log worker, and its only way to the database. The fetch,
// verify and match pipeline hands it batches (db::BatchCommit) through a bounded queue; its
// own thread commits them in order, so a slow database holds up HTTP transfers only once
// the queue is full. The ordered-commit promise is unchanged: each batch is one transaction
// fenced by the lease and the position the previous batch moved the log to. The worker's
// other store calls (loading its place, recording misbehaviour or an error) run on the
// same thread, after everything queued before them, so one connection serves a log.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "db/log_state_store.h"
#include "monitor/database_outage.h"

namespace pinwatch::monitor {

// CommitObserver is told of every commit the committer ran: the batch, how it ended and
// how long the transaction took (metrics). Called on the committer's thread.
using CommitObserver = std::function<void(const db::BatchCommit& batch, const Status& result, double seconds)>;

class Committer {
 public:
  // kMaxQueuedBatches: how far the fetch may run ahead of the database. Each batch is at
  // most commit_every_entries entries, so four keep a backfill busy through a slow commit
  // while holding only their matches and two compact ranges each.
  static constexpr size_t kMaxQueuedBatches = 4;

  // The committer owns `store` (its connection), tells `outage` (borrowed) when the
  // database answers again and `on_commit` (may be empty) of each commit.
  Committer(std::unique_ptr<db::LogStateStore> store, std::string replica_id, DatabaseOutage& outage,
            size_t max_queued = kMaxQueuedBatches, CommitObserver on_commit = nullptr);
  // ~Committer finishes the call in progress and drops what is still queued (uncommitted
  // entries are fetched again: nothing is lost).
  ~Committer();
  Committer(const Committer&) = delete;
  Committer& operator=(const Committer&) = delete;

  // Submit queues `batch`, waiting while max_queued tasks wait. Once a commit has failed,
  // Submit drops the batch and returns that error (kAborted: lease lost; kUnavailable /
  // kInDoubt: the database) until Flush collects it.
  Status Submit(db::BatchCommit batch);
  // Flush waits until everything submitted is done and returns the first commit error since
  // the last Flush (and forgets it: the caller reloads its state from the database).
  Status Flush();
  // Call runs `fn` on the committer's thread after everything queued before it and returns
  // its result. Commits that failed before it are not undone: check Flush first where it
  // matters.
  template <class R>
  R Call(std::function<R(db::LogStateStore&)> fn) {
    auto promise = std::make_shared<std::promise<R>>();
    std::future<R> result = promise->get_future();
    Enqueue([promise, fn = std::move(fn)](db::LogStateStore& store) { promise->set_value(fn(store)); });
    return result.get();
  }
  // Post runs `fn` on the committer's thread later, without waiting (reports).
  void Post(std::function<void(db::LogStateStore&)> fn) { Enqueue(std::move(fn)); }

  // entries_committed counts the entries of the batches committed so far. Thread-safe.
  uint64_t entries_committed() const;
  // max_queued_seen is the most tasks that ever waited at once (tests check the bound).
  size_t max_queued_seen() const;
  // WaitUntilSubmitsBlocked returns once `n` Submit/Post calls wait for room in the queue
  // (tests use it to stop the committer while one waits, in that order).
  void WaitUntilSubmitsBlocked(size_t n) const;

 private:
  using Task = std::function<void(db::LogStateStore&)>;
  void Enqueue(Task task);
  void Run();

  std::unique_ptr<db::LogStateStore> store_;
  const std::string replica_id_;
  DatabaseOutage& outage_;
  const size_t max_queued_;
  const CommitObserver on_commit_;

  mutable std::mutex mu_;
  mutable std::condition_variable changed_;
  std::deque<Task> queue_;
  bool busy_ = false;     // a task is running
  bool closing_ = false;
  Status error_;          // the first commit error since the last Flush
  uint64_t entries_committed_ = 0;
  size_t max_queued_seen_ = 0;
  size_t blocked_submits_ = 0;  // calls waiting in Enqueue for room
  std::thread thread_;
};

}  // namespace pinwatch::monitor
