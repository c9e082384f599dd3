// The committer stage with a store that records what it is asked: order, the queue's bound,
// how a failed commit travels back, and Call's place in the queue. The real store's promises
// are store_test's; the whole worker against PostgreSQL and ctsim is daemon_test's.
#include "monitor/committer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace pinwatch::monitor {
namespace {

// RangeOf is a compact range of [0, n) (the hashes do not matter to the committer).
ctlog::CompactRange RangeOf(uint64_t n) {
  ctlog::CompactRange r;
  for (uint64_t i = 0; i < n; ++i) r.Append(Hash{});
  return r;
}

db::BatchCommit Batch(uint64_t from, uint64_t to) {
  db::BatchCommit b;
  b.from_position = from;
  b.tree.pending_range = RangeOf(to);
  return b;
}

// NewLog is the first commit of a log: it records the starting point (0, or the tree size
// with `start: end`), which is no entry committed.
db::BatchCommit NewLog(uint64_t start) {
  db::BatchCommit b = Batch(0, start);
  b.from_position = std::nullopt;
  return b;
}

// RecordingStore records each Commit (from, to, thread). Commit number `block_at` waits
// until Release(); commit number `fail_at` returns `failure`.
class RecordingStore : public db::LogStateStore {
 public:
  struct Call {
    uint64_t from, to;
    std::thread::id thread;
  };

  std::optional<size_t> block_at, fail_at;
  Status failure = UnavailableError("database unreachable");
  // commits outlives the store, so a test can count commits after the committer is gone.
  std::shared_ptr<std::atomic<size_t>> commits = std::make_shared<std::atomic<size_t>>(0);
  std::promise<void> blocked;  // set when the blocking commit has started

  void Release() {
    std::lock_guard lock(mu_);
    released_ = true;
    release_.notify_all();
  }
  std::vector<Call> calls() const {
    std::lock_guard lock(mu_);
    return calls_;
  }

  Status Commit(const std::string&, const db::BatchCommit& batch) override {
    size_t n;
    {
      std::lock_guard lock(mu_);
      n = calls_.size();
      calls_.push_back({batch.from_position.value_or(0), batch.tree.position(), std::this_thread::get_id()});
    }
    ++*commits;
    if (block_at == n) {
      blocked.set_value();
      std::unique_lock lock(mu_);
      release_.wait(lock, [&] { return released_; });
    }
    return fail_at == n ? failure : OkStatus();
  }

  Status SyncLogs(const std::vector<db::LogRecord>&) override { return OkStatus(); }
  Result<db::LogRecord> GetLog(const ctlog::LogId&) override { return FailedPreconditionError("none"); }
  Result<db::LogProgress> LoadProgress(const ctlog::LogId&) override { return db::LogProgress{}; }
  Result<db::LeaseView> KeepLeases(const std::string&, int64_t, const std::vector<ctlog::LogId>&) override {
    return db::LeaseView{};
  }
  Status ReleaseLeases(const std::string&, const std::optional<ctlog::LogId>&) override { return OkStatus(); }
  Status RecordMisbehaviour(const std::string&, const ctlog::LogId&, const ctlog::Misbehaviour&,
                            const std::optional<db::TreeState>&, db::Alerting) override {
    return OkStatus();
  }
  Status RecordError(const ctlog::LogId&, const std::string&) override { return OkStatus(); }
  Status RecordRoots(const ctlog::LogId&, const std::vector<std::vector<uint8_t>>&) override { return OkStatus(); }
  Result<std::vector<std::vector<uint8_t>>> AcceptedRoots() override { return std::vector<std::vector<uint8_t>>{}; }
  Result<std::vector<db::LogStatus>> ListLogStatus() override { return std::vector<db::LogStatus>{}; }
  Result<std::vector<std::pair<std::string, uint64_t>>> EntriesCommittedBy() override {
    return std::vector<std::pair<std::string, uint64_t>>{};
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable release_;
  bool released_ = false;
  std::vector<Call> calls_;
};

struct Fixture {
  std::vector<std::string> said;
  DatabaseOutage outage{[this](const std::string& line) { said.push_back(line); }};
  RecordingStore* store = nullptr;  // owned by the committer

  std::unique_ptr<Committer> Make(size_t max_queued = Committer::kMaxQueuedBatches) {
    auto s = std::make_unique<RecordingStore>();
    store = s.get();
    return std::make_unique<Committer>(std::move(s), "replica-a", outage, max_queued);
  }
};

TEST(Committer, CommitsInSubmitOrderOnItsOwnThread) {
  Fixture f;
  auto committer = f.Make();
  ASSERT_TRUE(committer->Submit(NewLog(0)).ok());
  for (uint64_t i = 0; i < 10; ++i) ASSERT_TRUE(committer->Submit(Batch(i * 10, i * 10 + 10)).ok());
  ASSERT_TRUE(committer->Flush().ok());

  const auto calls = f.store->calls();
  ASSERT_EQ(calls.size(), 11u);
  for (uint64_t i = 0; i < 10; ++i) {
    EXPECT_EQ(calls[i + 1].from, i * 10);
    EXPECT_EQ(calls[i + 1].to, i * 10 + 10);
    EXPECT_EQ(calls[i + 1].thread, calls[0].thread);
  }
  EXPECT_NE(calls[0].thread, std::this_thread::get_id());
  EXPECT_EQ(committer->entries_committed(), 100u);
}

// While the database is slow, at most max_queued batches wait; the next Submit waits for room
// (this is what bounds memory), and everything is committed once the database answers.
TEST(Committer, QueueIsBoundedWhileACommitIsSlow) {
  Fixture f;
  auto committer = f.Make(/*max_queued=*/2);
  f.store->block_at = 0;
  std::future<void> blocked = f.store->blocked.get_future();
  ASSERT_TRUE(committer->Submit(Batch(0, 1)).ok());
  blocked.wait();  // batch 0 is in the database; the queue is empty
  ASSERT_TRUE(committer->Submit(Batch(1, 2)).ok());
  ASSERT_TRUE(committer->Submit(Batch(2, 3)).ok());
  std::future<Status> third = std::async(std::launch::async, [&] { return committer->Submit(Batch(3, 4)); });
  // It cannot have returned: the queue is full until the blocked commit ends.
  EXPECT_EQ(third.wait_for(std::chrono::seconds(0)), std::future_status::timeout);

  f.store->Release();
  EXPECT_TRUE(third.get().ok());
  ASSERT_TRUE(committer->Flush().ok());
  EXPECT_EQ(committer->max_queued_seen(), 2u);
  ASSERT_EQ(f.store->calls().size(), 4u);
  EXPECT_EQ(f.store->calls()[3].to, 4u);
}

// A failed commit is told to the worker by the next Submit and by Flush, batches after it
// never reach the database (they would only be fenced off), and Flush forgets it.
TEST(Committer, AFailedCommitComesBackThroughSubmitAndFlush) {
  for (Status failure : {Status(Code::kAborted, "lease lost"), UnavailableError("database unreachable")}) {
    SCOPED_TRACE(failure.ToString());
    Fixture f;
    auto committer = f.Make();
    f.store->fail_at = 0;
    f.store->failure = failure;
    ASSERT_TRUE(committer->Submit(Batch(0, 5)).ok());
    // Call runs after the failed commit, so the error is known once it returns.
    EXPECT_EQ(committer->Call<int>([](db::LogStateStore&) { return 7; }), 7);
    EXPECT_EQ(committer->Submit(Batch(5, 10)).code(), failure.code());
    EXPECT_EQ(committer->Flush().code(), failure.code());

    // Forgotten: the worker reloaded and goes on.
    ASSERT_TRUE(committer->Submit(Batch(0, 5)).ok());
    EXPECT_TRUE(committer->Flush().ok());
    const auto calls = f.store->calls();
    ASSERT_EQ(calls.size(), 2u);  // the batch submitted after the failure never ran
    EXPECT_EQ(calls[1].to, 5u);
    EXPECT_EQ(committer->entries_committed(), 5u);
  }
}

TEST(Committer, BatchesQueuedBehindAFailureAreDropped) {
  Fixture f;
  auto committer = f.Make();
  f.store->block_at = 0;
  f.store->fail_at = 0;
  std::future<void> blocked = f.store->blocked.get_future();
  ASSERT_TRUE(committer->Submit(Batch(0, 1)).ok());
  blocked.wait();
  ASSERT_TRUE(committer->Submit(Batch(1, 2)).ok());  // queued before the failure is known
  f.store->Release();
  EXPECT_EQ(committer->Flush().code(), Code::kUnavailable);
  EXPECT_EQ(f.store->calls().size(), 1u);
  EXPECT_EQ(committer->entries_committed(), 0u);
}

// Call and Post share the queue with the commits: a load after three commits sees them.
TEST(Committer, CallRunsAfterEverythingQueuedBeforeIt) {
  Fixture f;
  auto committer = f.Make();
  for (uint64_t i = 0; i < 3; ++i) ASSERT_TRUE(committer->Submit(Batch(i, i + 1)).ok());
  RecordingStore* store = f.store;
  const size_t seen = committer->Call<size_t>([store](db::LogStateStore& s) {
    EXPECT_EQ(&s, store);  // the committer's own connection
    return store->calls().size();
  });
  EXPECT_EQ(seen, 3u);

  std::promise<std::thread::id> posted;
  committer->Post([&](db::LogStateStore&) { posted.set_value(std::this_thread::get_id()); });
  EXPECT_EQ(posted.get_future().get(), f.store->calls()[0].thread);
}

// The observer hears of every commit, good or failed, with the batch and a duration.
TEST(Committer, ObserverHearsOfEveryCommit) {
  Fixture f;
  std::vector<std::string> heard;  // appended on the committer's thread, read after Flush
  auto store = std::make_unique<RecordingStore>();
  store->fail_at = 1;
  Committer committer(std::move(store), "replica-a", f.outage, Committer::kMaxQueuedBatches,
                      [&](const db::BatchCommit& batch, const Status& result, double seconds) {
                        heard.push_back(std::to_string(batch.tree.position()) + " " + std::string(CodeName(result.code())) +
                                        (seconds >= 0 && seconds < 60 ? "" : " bad duration"));
                      });
  ASSERT_TRUE(committer.Submit(Batch(0, 5)).ok());
  ASSERT_TRUE(committer.Submit(Batch(5, 9)).ok());
  EXPECT_EQ(committer.Flush().code(), Code::kUnavailable);
  EXPECT_EQ(heard, (std::vector<std::string>{"5 ok", "9 unavailable"}));
}

// A successful commit after an outage is what says the database is back (once).
TEST(Committer, ASuccessfulCommitEndsAnOutage) {
  Fixture f;
  auto committer = f.Make();
  f.outage.Failed(UnavailableError("connection refused"));
  ASSERT_TRUE(f.outage.down());
  ASSERT_TRUE(committer->Submit(Batch(0, 1)).ok());
  ASSERT_TRUE(committer->Flush().ok());
  EXPECT_FALSE(f.outage.down());
  ASSERT_EQ(f.said.size(), 2u);
  EXPECT_NE(f.said[1].find("reachable again"), std::string::npos) << f.said[1];
}

// Stopping while the database is slow: the commit in progress finishes, what is queued is
// dropped (fetched again later), and a Submit waiting for room is let go.
TEST(Committer, DestructorDropsQueuedBatchesAndDoesNotHang) {
  Fixture f;
  auto committer = f.Make(/*max_queued=*/1);
  f.store->block_at = 0;
  std::future<void> blocked = f.store->blocked.get_future();
  const std::shared_ptr<std::atomic<size_t>> commits = f.store->commits;
  RecordingStore* store = f.store;
  ASSERT_TRUE(committer->Submit(Batch(0, 1)).ok());
  blocked.wait();
  ASSERT_TRUE(committer->Submit(Batch(1, 2)).ok());  // fills the queue
  Committer* raw = committer.get();
  std::future<Status> waiting = std::async(std::launch::async, [raw] { return raw->Submit(Batch(2, 3)); });
  // Destroy only once that Submit waits for room: the other order would call Submit on a
  // committer already gone (seen once under ASan when the destroying thread ran first).
  committer->WaitUntilSubmitsBlocked(1);
  std::future<void> destroyed = std::async(std::launch::async, [&] { committer.reset(); });

  // The waiting Submit can only return once the destructor has started (the queue stays full
  // while commit 0 is blocked), so releasing after it proves the queued batch was dropped.
  ASSERT_EQ(waiting.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_TRUE(waiting.get().ok());
  store->Release();
  // A guard, not synchronisation: a hang fails here instead of stalling the suite.
  ASSERT_EQ(destroyed.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  EXPECT_EQ(commits->load(), 1u);
}

}  // namespace
}  // namespace pinwatch::monitor
