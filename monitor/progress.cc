#include "monitor/progress.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

namespace pinwatch::monitor {

std::string FormatDuration(double seconds) {
  if (seconds < 0 || seconds > 1e9) return "?";
  const auto s = static_cast<uint64_t>(seconds + 0.5);
  char buf[64];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "s", s);
  }
  return buf;
}

void BackfillProgress::Start(uint64_t position, std::chrono::seconds interval, Clock::time_point now) {
  start_ = last_ = now;
  start_position_ = position;
  interval_ = interval;
}

std::optional<std::string> BackfillProgress::Line(uint64_t position, uint64_t tree_size, Clock::time_point now) {
  if (now - last_ < interval_) return std::nullopt;
  last_ = now;
  const double seconds = std::chrono::duration<double>(now - start_).count();
  const double rate = seconds > 0 ? static_cast<double>(position - start_position_) / seconds : 0;
  const uint64_t size = std::max<uint64_t>(tree_size, 1);
  const double eta = rate > 0 && tree_size >= position ? static_cast<double>(tree_size - position) / rate : -1;
  char line[256];
  std::snprintf(line, sizeof line, "backfill %" PRIu64 "/%" PRIu64 " entries (%.1f%%), %.0f entries/s, ETA %s",
                position, tree_size, 100.0 * static_cast<double>(position) / static_cast<double>(size), rate,
                FormatDuration(eta).c_str());
  return std::string(line);
}

std::string BackfillProgress::RoundLine(uint64_t entries, uint64_t position, uint64_t matches, uint64_t verified_to,
                                        std::optional<uint64_t> at_tree_head, Clock::time_point now) const {
  const double seconds = std::chrono::duration<double>(now - start_).count();
  char line[200];
  std::snprintf(line, sizeof line,
                "%" PRIu64 " entries to %" PRIu64 " in %.1f s (%.0f entries/s), %" PRIu64 " matched, verified to %" PRIu64,
                entries, position, seconds, seconds > 0 ? static_cast<double>(entries) / seconds : 0.0, matches,
                verified_to);
  std::string out = line;
  if (at_tree_head) out += ", at tree head " + std::to_string(*at_tree_head);
  return out;
}

}  // namespace pinwatch::monitor
