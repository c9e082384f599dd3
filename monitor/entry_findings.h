// FindingsOf: the identity stage of a log worker. For one entry the matcher found to concern
// watched names, it works out the certificate's identity (from the matcher's own parse and
// the entry's chain, each decoded once) and the policy's verdict for every watch entry the
// certificate concerns, as the rows the committer stores. An entry that cannot be parsed is
// kept as a malformed finding with its raw bytes: nothing is dropped.
#pragma once

#include <vector>

#include "ctlog/log_source.h"
#include "db/log_state_store.h"
#include "monitor/policy.h"
#include "watch/matcher.h"
#include "x509/identity.h"

namespace pinwatch::monitor {

// FindingsOf returns the stored form of `entry` and its findings: one per watch entry in
// match.entries (rules[i] is watch entry i), or one malformed finding for the first when
// the certificate does not parse. A chain that cannot be read does not make the certificate
// malformed: its identity comes from the certificate, the reason says what was wrong, and
// for an x509 entry the issuer is then unknown. `lookup` resolves static-ct-api chain
// fingerprints. `match` must come from this entry (its views alias the entry's batch).
// Thread-safe as long as `lookup` is.
db::MatchedEntry FindingsOf(const ctlog::LogEntry& entry, const watch::EntryMatch& match,
                            const std::vector<WatchRule>& rules, const x509::IssuerLookup& lookup);

// CertificateRecordOf maps identity facts to the stored certificate row, keeping the best
// DER the entry has (the certificate, else the precertificate, else the bare TBS).
db::CertificateRecord CertificateRecordOf(const x509::CertIdentity& id, const ctlog::LogEntry& entry);

}  // namespace pinwatch::monitor
