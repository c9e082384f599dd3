// Watched: the watch configuration as the daemon uses it: the index every entry is matched
// against (watch/watchlist.h) and, for each of its entries, the rule the policy judges with.
// Built once, by `run`; shared read-only by every worker.
#pragma once

#include <vector>

#include "base/status.h"
#include "monitor/config.h"
#include "monitor/policy.h"
#include "watch/watchlist.h"

namespace pinwatch::monitor {

struct Watched {
  std::vector<WatchRule> rules;  // rules[i] is watch entry i (WatchMatch::entry_index)
  watch::WatchList list;
};

// MakeWatched builds the index and the rules of `entries` (config order).
// kFailedPrecondition as WatchList::Create (the configuration was validated already, so only
// a bug makes it fail).
Result<Watched> MakeWatched(const std::vector<WatchConfig>& entries);

}  // namespace pinwatch::monitor
