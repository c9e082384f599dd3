// Fuzz target for the daemon's YAML configuration (monitor/config.h). Invariants: ParseConfig
// never crashes or throws; every error is kFailedPrecondition with a message that starts with
// the source name and says something after it; a parsed config has what the daemon relies on
// (a database URL, at least one watch entry, log lists and states, positive tuning values,
// a replica id) and its pins survive PinText -> ParsePin.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "monitor/config.h"

namespace {
constexpr std::string_view kSource = "fuzz.yaml";
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using pinwatch::monitor::Config;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  pinwatch::Result<Config> config = pinwatch::monitor::ParseConfig(in, kSource, no_env);
  if (!config.ok()) {
    const std::string& message = config.status().message();
    if (config.status().code() != pinwatch::Code::kFailedPrecondition) std::abort();
    if (!message.starts_with(kSource) || message.size() <= kSource.size() + 2) std::abort();
    return 0;
  }
  if (config->source != kSource || config->database_url.empty() || config->watch.empty()) std::abort();
  if (config->logs.lists.empty() || config->logs.states.empty() || config->run.replica_id.empty()) std::abort();
  if (config->logs.poll_interval_ms < 0 || config->logs.entries_per_request == 0 || config->logs.requests_in_flight == 0 ||
      config->run.lease_seconds <= 0 || config->run.commit_every_entries == 0 || config->run.commit_interval_ms <= 0 ||
      config->run.match_threads == 0 || config->run.progress_interval_s <= 0) {
    std::abort();
  }
  for (const pinwatch::monitor::WatchConfig& watch : config->watch) {
    if (watch.name.empty()) std::abort();
    for (const pinwatch::ctlog::Hash& key : watch.known_keys) {
      if (pinwatch::ParsePin(pinwatch::PinText(key)) != key) std::abort();
    }
  }
  return 0;
}
