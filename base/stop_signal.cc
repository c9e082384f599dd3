#include "base/stop_signal.h"

#include <algorithm>

namespace pinwatch {

void StopSignal::Stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
    for (auto& [id, waker] : wakers_) waker();
  }
  cv_.notify_all();
}

void StopSignal::Wake() const {
  {
    std::lock_guard lock(mu_);
    ++wakes_;
  }
  cv_.notify_all();
}

uint64_t StopSignal::wakes() const {
  std::lock_guard lock(mu_);
  return wakes_;
}

bool StopSignal::WaitFor(std::chrono::milliseconds duration, uint64_t seen) const {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, duration, [&] { return stopped_.load() || wakes_ != seen; });
  return stopped_.load();
}

uint64_t StopSignal::AddWaker(std::function<void()> waker) const {
  std::lock_guard lock(mu_);
  if (stopped_) waker();
  const uint64_t id = next_waker_id_++;
  wakers_.emplace_back(id, std::move(waker));
  return id;
}

void StopSignal::RemoveWaker(uint64_t id) const {
  std::lock_guard lock(mu_);
  std::erase_if(wakers_, [id](const auto& w) { return w.first == id; });
}

sigset_t BlockStopSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

}  // namespace pinwatch
