#include "monitor/watched.h"

namespace pinwatch::monitor {

Result<Watched> MakeWatched(const std::vector<WatchConfig>& entries) {
  std::vector<watch::WatchEntry> list;
  std::vector<WatchRule> rules;
  list.reserve(entries.size());
  rules.reserve(entries.size());
  for (const WatchConfig& w : entries) {
    list.push_back({w.name, w.include_subdomains ? watch::WatchScope::kIncludeSubdomains : watch::WatchScope::kExactName});
    rules.push_back({.name = w.name, .allowed_issuers = w.allowed_issuers, .known_keys = w.known_keys});
  }
  auto index = watch::WatchList::Create(list);
  if (!index.ok()) return FailedPreconditionError("watch: " + index.status().message());
  return Watched{std::move(rules), std::move(*index)};
}

}  // namespace pinwatch::monitor
