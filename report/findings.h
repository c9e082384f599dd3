// Report: how `pinwatch findings` and `pinwatch status` print what the store holds, for
// people (aligned text) and for machines (--json). The JSON field names are an interface
// (README "Findings JSON"); add fields, never rename or drop them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/finding_store.h"
#include "db/log_state_store.h"

namespace pinwatch::report {

// FindingsJson returns a JSON array, one object per finding:
//   id, kind, severity, status, status_note, reason, watched, names (DNS names),
//   ip_addresses, spki_sha256 and issuer_spki_sha256 ("sha256/BASE64" or null),
//   tbs_sha256 (hex), not_before and not_after (RFC 3339 or null), subject, issuer,
//   serial, certificate_parsed, parse_error, created_at, status_changed_at,
//   entries [{log_id (base64), log (description), index, entry_type ("x509"|"precert"),
//   timestamp (RFC 3339), verified}], and for log_misbehaviour: log_id, log, evidence.
std::string FindingsJson(const std::vector<db::Finding>& findings);
// FindingJson is one finding, the same object.
std::string FindingJson(const db::Finding& finding);

// FindingsText returns one block per finding for a terminal.
std::string FindingsText(const std::vector<db::Finding>& findings);

// StatusJson / StatusText: per log its position, verified tree size, latest tree size,
// lag (latest - position), lease holder and last error.
std::string StatusJson(const std::vector<db::LogStatus>& logs);
std::string StatusText(const std::vector<db::LogStatus>& logs);


}  // namespace pinwatch::report
