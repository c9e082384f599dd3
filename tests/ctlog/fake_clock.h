// FakeClock: a Clock whose SleepFor records the requested delay and advances Now at once,
// so tests assert the delays a client computed without waiting for them.
#pragma once

#include <chrono>
#include <vector>

#include "ctlog/retry.h"

namespace pinwatch::ctlog::testing {

class FakeClock final : public Clock {
 public:
  // Starts at 2025-01-01T00:00:00Z so HTTP-dates are easy to write in tests.
  FakeClock() : now_(std::chrono::sys_days(std::chrono::year(2025) / 1 / 1)) {}

  std::chrono::system_clock::time_point Now() override { return now_; }
  void SleepFor(std::chrono::milliseconds duration) override {
    sleeps.push_back(duration);
    now_ += duration;
  }

  std::vector<std::chrono::milliseconds> sleeps;

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace pinwatch::ctlog::testing
