// Matcher: the per-entry hot path that decides whether a log entry concerns a watched
// name. It walks the certificate's DER once (no OpenSSL, no allocation when the answer is
// "not ours", the common case) and looks its names up in the watch list's flat index, so
// the cost per name does not depend on the size of the watch list. Only matches go on to
// the full identity parse (x509/identity.h), which reuses the matcher's parse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ctlog/log_entry.h"
#include "watch/watchlist.h"
#include "x509/cert_view.h"

namespace pinwatch::watch {

// EntryMatch says which watch entries a log entry concerns, and hands on what the matcher
// already parsed, so nothing downstream parses the certificate or matches its names again.
struct EntryMatch {
  WatchMatch watch;  // the first name that matched (SAN dNSNames, subject CNs, SAN IPs)
  // Every watch entry the certificate concerns, through any of its names, each once, in the
  // order their first name was met (watch.entry_index first). For a malformed certificate:
  // the entries the best-effort walk reached.
  std::vector<uint32_t> entries;
  std::string certificate_name;  // the name in the certificate that matched, as written there
  // Set when the certificate did not parse strictly: the names were found by the best-effort
  // walk, and `parse_error` says what was wrong. Such an entry is recorded as malformed with
  // its raw bytes, never dropped.
  bool malformed = false;
  std::string parse_error;
  // The strict parse of the certificate's TBSCertificate (of the x509_entry's certificate,
  // or the precert_entry's tbs_certificate) when !malformed. It ALIASES the entry's bytes:
  // valid while the batch is (the identity stage runs within it).
  std::optional<x509::TbsView> tbs;
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

  // Match returns the watch entries the entry's certificate (x509_entry) or TBS
  // (precert_entry) concerns through its SAN dNSNames, subject commonNames and SAN
  // iPAddresses (the first match in that order is `watch`). nullopt when none is watched,
  // or when the entry has no readable certificate (counted in unreadable()). The common
  // "not ours" answer allocates nothing.
  std::optional<EntryMatch> Match(const ctlog::LogEntry& entry);

  const MatcherCounters& counters() const { return counters_; }

 private:
  const WatchList& watch_;
  MatcherCounters counters_;
};

}  // namespace pinwatch::watch
