#include "monitor/committer.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace pinwatch::monitor {

Committer::Committer(std::unique_ptr<db::LogStateStore> store, std::string replica_id, DatabaseOutage& outage,
                     size_t max_queued, CommitObserver on_commit)
    : store_(std::move(store)),
      replica_id_(std::move(replica_id)),
      outage_(outage),
      max_queued_(std::max<size_t>(max_queued, 1)),
      on_commit_(std::move(on_commit)) {
  thread_ = std::thread([this] { Run(); });
}

Committer::~Committer() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
    queue_.clear();
  }
  changed_.notify_all();
  thread_.join();
  // A Submit let go above still holds mu_ on its way out: wait for it before mu_ goes.
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return blocked_submits_ == 0; });
}

void Committer::Enqueue(Task task) {
  std::unique_lock lock(mu_);
  if (queue_.size() >= max_queued_ && !closing_) {
    ++blocked_submits_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return queue_.size() < max_queued_ || closing_; });
    --blocked_submits_;
    changed_.notify_all();
  }
  if (closing_) return;
  queue_.push_back(std::move(task));
  max_queued_seen_ = std::max(max_queued_seen_, queue_.size());
  changed_.notify_all();
}

Status Committer::Submit(db::BatchCommit batch) {
  {
    std::lock_guard lock(mu_);
    if (!error_.ok()) return error_;
  }
  Enqueue([this, batch = std::move(batch)](db::LogStateStore& store) {
    {
      std::lock_guard lock(mu_);
      if (!error_.ok()) return;  // a batch after a failed one would only be fenced off
    }
    const auto started = std::chrono::steady_clock::now();
    Status s = store.Commit(replica_id_, batch);
    if (on_commit_) on_commit_(batch, s, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    if (s.ok()) outage_.Recovered();  // says so once, at the first commit after an outage
    std::lock_guard lock(mu_);
    if (!s.ok()) {
      error_ = std::move(s);
      return;
    }
    entries_committed_ += batch.tree.position() - batch.from_position.value_or(batch.tree.position());
  });
  return OkStatus();
}

Status Committer::Flush() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return (queue_.empty() && !busy_) || closing_; });
  Status s = std::move(error_);
  error_ = OkStatus();
  return s;
}

uint64_t Committer::entries_committed() const {
  std::lock_guard lock(mu_);
  return entries_committed_;
}

void Committer::WaitUntilSubmitsBlocked(size_t n) const {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return blocked_submits_ >= n; });
}

size_t Committer::max_queued_seen() const {
  std::lock_guard lock(mu_);
  return max_queued_seen_;
}

void Committer::Run() {
  while (true) {
    Task task;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (closing_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    changed_.notify_all();  // room in the queue
    task(*store_);
    {
      std::lock_guard lock(mu_);
      busy_ = false;
    }
    changed_.notify_all();
  }
}

}  // namespace pinwatch::monitor
