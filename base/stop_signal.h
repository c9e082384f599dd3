// StopSignal: one "please stop" shared by a process's threads (the daemon, its workers and
// their HTTP transfers and retry sleeps). Stop() wakes every waiter at once and calls the
// registered wakers, so a thread blocked in poll() on sockets (curl) returns too.
#pragma once

#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <utility>
#include <vector>

namespace pinwatch {

class StopSignal {
 public:
  // Stop sets the signal (for good), wakes every WaitFor and calls every waker. Thread-safe.
  void Stop();
  // Wake wakes waiters without stopping (a worker finished; the daemon looks again).
  void Wake() const;
  bool stopped() const { return stopped_.load(); }
  // WaitFor returns after `duration`, as soon as Stop() is called, or on Wake(); true if
  // stopped.
  bool WaitFor(std::chrono::milliseconds duration) const { return WaitFor(duration, wakes()); }
  // This one also returns at once if Wake() was called since wakes() returned `seen`.
  bool WaitFor(std::chrono::milliseconds duration, uint64_t seen) const;
  uint64_t wakes() const;

  // AddWaker registers `waker`, called (under the signal's lock: it must be quick and must
  // not call back into this StopSignal) when Stop() is called, or at once if it already
  // was. Returns an id for RemoveWaker, which must be called before whatever the waker
  // touches goes away; after RemoveWaker returns the waker is never running. Thread-safe.
  uint64_t AddWaker(std::function<void()> waker) const;
  void RemoveWaker(uint64_t id) const;

 private:
  std::atomic<bool> stopped_{false};
  mutable uint64_t wakes_ = 0;
  mutable uint64_t next_waker_id_ = 1;
  mutable std::vector<std::pair<uint64_t, std::function<void()>>> wakers_;
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
};

// BlockStopSignals blocks SIGINT and SIGTERM in the calling thread (and so in the threads it
// starts later) and returns them as a set, for one thread to sigwait on (pinwatch run,
// ctsim). Blocked signals reach sigwait also as a container's PID 1 and when inherited as
// ignored.
sigset_t BlockStopSignals();

}  // namespace pinwatch
