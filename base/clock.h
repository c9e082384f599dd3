// Clock: the time source and sleeper behind retries, polling and pacing, so tests run on
// a fake one (it records sleeps and moves time) instead of sleeping.
#pragma once

#include <chrono>

#include "base/stop_signal.h"

namespace pinwatch {

// Clock is the time source and sleeper for retries and request pacing. Production uses
// SystemClock(); tests use a fake whose SleepFor only advances its Now.
class Clock {
 public:
  virtual ~Clock() = default;
  // Now returns wall-clock time (HTTP-dates in Retry-After are wall-clock).
  virtual std::chrono::system_clock::time_point Now() = 0;
  // SleepFor blocks the calling thread for `duration` (a fake may just record it).
  virtual void SleepFor(std::chrono::milliseconds duration) = 0;
};

// SystemClock returns the process-wide real clock. Thread-safe.
Clock& SystemClock();

// StopAwareClock is the system clock whose SleepFor ends early when `stop` is stopped, so
// a retry delay (up to max_retry_after_ms) never holds up a shutdown. Thread-safe.
class StopAwareClock final : public Clock {
 public:
  explicit StopAwareClock(const StopSignal& stop) : stop_(stop) {}
  std::chrono::system_clock::time_point Now() override { return std::chrono::system_clock::now(); }
  void SleepFor(std::chrono::milliseconds duration) override { stop_.WaitFor(duration); }

 private:
  const StopSignal& stop_;
};

}  // namespace pinwatch
