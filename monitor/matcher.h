// Matcher: the per-entry hot path that decides whether a log entry concerns a watched
// name. It walks the certificate's DER once (no OpenSSL, no allocation when the answer is
// "not ours", the common case) and looks its names up in the watch list's flat index, so
// the cost per name does not depend on the size of the watch list. Only matches go on to
// the full identity parse (monitor/identity.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "ctlog/log_source.h"
#include "monitor/watchlist.h"

namespace pinwatch::monitor {

// EntryMatch says which watch entry a log entry concerns and how sure we are of its shape.
struct EntryMatch {
  WatchMatch watch;
  std::string certificate_name;  // the name in the certificate that matched, as written there
  // Set when the certificate did not parse strictly: the name was found by the best-effort
  // walk, and `parse_error` says what was wrong. Such an entry is recorded as malformed with
  // its raw bytes, never dropped.
  bool malformed = false;
  std::string parse_error;
};

// MatcherCounters are running totals since construction.
struct MatcherCounters {
  uint64_t entries = 0;
  uint64_t matched = 0;
  uint64_t unparseable = 0;  // strict DER parse failed (best-effort walk used)
  uint64_t unreadable = 0;   // the log entry itself did not parse: no certificate to read
};

// Matcher is not thread-safe (it counts); use one per worker thread. It borrows `watch`,
// which must outlive it.
class Matcher {
 public:
  explicit Matcher(const WatchList& watch) : watch_(watch) {}

  // Match returns the first watched name the entry's certificate (x509_entry) or TBS
  // (precert_entry) carries: SAN dNSNames, subject commonNames, SAN iPAddresses, in that
  // order. nullopt when none is watched, or when the entry has no readable certificate
  // (counted in unreadable()).
  std::optional<EntryMatch> Match(const ctlog::LogEntry& entry);

  const MatcherCounters& counters() const { return counters_; }

 private:
  const WatchList& watch_;
  MatcherCounters counters_;
};

}  // namespace pinwatch::monitor
