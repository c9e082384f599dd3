// Progress: the lines a log worker writes about its backfill and its rounds ("backfill N/M
// entries (p%), R entries/s, ETA 3m20s"; "N entries to P in S s (R entries/s), M matched,
// verified to V, at tree head T"). Text only: the worker decides when.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace pinwatch::monitor {

// FormatDuration returns "42s", "3m20s" or "2h05m"; "?" for a negative or absurd value.
std::string FormatDuration(double seconds);

// BackfillProgress says at most every `interval` how far a round has got.
class BackfillProgress {
 public:
  using Clock = std::chrono::steady_clock;

  // Start begins a round at `position` (entries before it were done before).
  void Start(uint64_t position, std::chrono::seconds interval, Clock::time_point now);
  // Line returns the progress line for `position` of `tree_size` when `interval` has passed
  // since the last one (or the start), else nullopt.
  std::optional<std::string> Line(uint64_t position, uint64_t tree_size, Clock::time_point now);
  // RoundLine is the line at the end of a round: `entries` committed up to `position`.
  std::string RoundLine(uint64_t entries, uint64_t position, uint64_t matches, uint64_t verified_to,
                        std::optional<uint64_t> at_tree_head, Clock::time_point now) const;

 private:
  Clock::time_point start_{}, last_{};
  uint64_t start_position_ = 0;
  std::chrono::seconds interval_{10};
};

}  // namespace pinwatch::monitor
