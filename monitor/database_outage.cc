#include "monitor/database_outage.h"

#include <cstdio>

namespace pinwatch::monitor {

void DatabaseOutage::Failed(const Status& why) {
  {
    std::lock_guard lock(mu_);
    if (down_since_) return;
    down_since_ = std::chrono::steady_clock::now();
  }
  if (on_change_) on_change_(false);
  log_line_("database unreachable (" + why.message() + "); retrying every " +
            std::to_string(kDatabaseProbeInterval.count() / 1000) + " s");
}

void DatabaseOutage::Recovered() {
  std::chrono::steady_clock::time_point since;
  {
    std::lock_guard lock(mu_);
    if (!down_since_) return;
    since = *down_since_;
    down_since_.reset();
  }
  if (on_change_) on_change_(true);
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count());
  log_line_(std::string("database reachable again after ") + seconds + " s");
}

bool DatabaseOutage::down() const {
  std::lock_guard lock(mu_);
  return down_since_.has_value();
}

}  // namespace pinwatch::monitor
