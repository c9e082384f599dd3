// The JSON writing that every report shares: one writer type, nullable values, and the
// log entries behind a certificate in the one shape `findings --json` and `proposals --json`
// (and the HTTP API after them) print.
#pragma once

#include <rapidjson/prettywriter.h>
#include <rapidjson/stringbuffer.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "db/finding_store.h"

namespace pinwatch::report {

using Writer = rapidjson::PrettyWriter<rapidjson::StringBuffer>;

void Str(Writer& w, std::string_view s);
void StrOrNull(Writer& w, const std::string& s);  // "" is null
void PinOrNull(Writer& w, const std::optional<Hash>& h);
void TimeOrNull(Writer& w, const std::optional<int64_t>& unix_s);  // RFC 3339
void IntOrNull(Writer& w, const std::optional<int64_t>& v);
void Strings(Writer& w, const std::vector<std::string>& items);

// Entries writes [{log_id (base64), log, index, entry_type, timestamp (RFC 3339), verified}].
void Entries(Writer& w, const std::vector<db::FindingEntry>& entries);

}  // namespace pinwatch::report
