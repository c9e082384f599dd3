// How `pinwatch reports` prints the pin-failure report groups (db/report_store.h). The JSON
// field names are an interface (README "Pin-failure reports"); add fields, never rename.
#pragma once

#include <string>
#include <vector>

#include "db/report_store.h"

namespace pinwatch::report {

// PinReportsJson returns a JSON array, one object per group, the most recent first:
//   id, hostname, port, watched, classification, reason, leaf_spki_sha256 and
//   issuer_spki_sha256 ("sha256/BASE64" or null), count (distinct reports), duplicates
//   (resends merged), distinct_clients, first_seen and last_seen (RFC 3339, the reports'
//   own times), finding_id and proposal_id (or null), proposal_urgent.
std::string PinReportsJson(const std::vector<db::ReportRow>& rows);
// PinReportsText returns one block per group for a terminal.
std::string PinReportsText(const std::vector<db::ReportRow>& rows);

}  // namespace pinwatch::report
