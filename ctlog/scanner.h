// Scanner: downloads and verifies one log up to its latest signed tree head. It is the
// "TreeHead poller → Fetcher → Verifier" part of a log worker, without storage: entries go
// to a sink, and the caller persists TreeVerifier's state.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "ctlog/log_source.h"
#include "ctlog/verifier.h"

namespace pinwatch::ctlog {

// ScanResult says how far a scan got.
struct ScanResult {
  std::optional<SignedTreeHead> head;  // the tree head scanned towards (nullopt if none was trusted)
  uint64_t entries_delivered = 0;      // entries handed to the sink (verified or not)
  uint64_t malformed_entries = 0;      // of those, entries whose leaf or extra_data did not parse
  // Evidence that the log misbehaved; the verifier is then back at its last verified size and
  // entries delivered after that size must be treated as unverified.
  std::optional<Misbehaviour> misbehaviour;
};

// ScanOptions bound one scan.
struct ScanOptions {
  // Stop after this many entries even if the tree head is further (the verifier then stays
  // ahead of its verified size until a later scan reaches a signed size).
  uint64_t max_entries = UINT64_MAX;
  // Called once the new tree head has passed its checks, before any entry is fetched (a
  // worker uses it for lag and progress). May be empty.
  std::function<void(const SignedTreeHead&)> on_tree_head;
  // Called when the download fails (the sink's error or the source's), before the verifier
  // is rewound: every entry the sink received is still appended, so the caller may persist
  // them (a worker told to stop commits what is complete). May be empty.
  std::function<void()> before_rewind;
};

// Scan fetches the latest tree head from `source`, checks it against `verifier` (signature,
// fork, shrink, consistency proof), downloads the entries the verifier has not seen, appends
// their hashes, and verifies the root once the tree head's size is reached.
// Returns the ScanResult (which may carry misbehaviour) or a Status for failures that say
// nothing about the log's honesty (kUnavailable, or the sink's own error); after such a
// failure the verifier is rewound to its verified size. Not thread-safe.
Result<ScanResult> Scan(LogSource& source, TreeVerifier& verifier, const LogEntrySink& sink,
                        const ScanOptions& options = {});

}  // namespace pinwatch::ctlog
