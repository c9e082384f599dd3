#include "report/json_writer.h"

#include "base/encoding.h"
#include "base/pin.h"
#include "base/time.h"

namespace pinwatch::report {

void Str(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void StrOrNull(Writer& w, const std::string& s) {
  if (s.empty()) w.Null();
  else Str(w, s);
}

void PinOrNull(Writer& w, const std::optional<Hash>& h) {
  if (h) Str(w, PinText(*h));
  else w.Null();
}

void TimeOrNull(Writer& w, const std::optional<int64_t>& unix_s) {
  if (unix_s) Str(w, FormatRfc3339(*unix_s));
  else w.Null();
}

void IntOrNull(Writer& w, const std::optional<int64_t>& v) {
  if (v) w.Int64(*v);
  else w.Null();
}

void Strings(Writer& w, const std::vector<std::string>& items) {
  w.StartArray();
  for (const std::string& s : items) Str(w, s);
  w.EndArray();
}

void Entries(Writer& w, const std::vector<db::FindingEntry>& entries) {
  w.StartArray();
  for (const db::FindingEntry& e : entries) {
    w.StartObject();
    w.Key("log_id");
    Str(w, Base64Encode(e.log_id));
    w.Key("log");
    Str(w, e.log_description);
    w.Key("index");
    w.Uint64(e.index);
    w.Key("entry_type");
    Str(w, e.entry_type);
    w.Key("timestamp");
    Str(w, FormatRfc3339(static_cast<int64_t>(e.timestamp_ms / 1000)));
    w.Key("verified");
    w.Bool(e.verified);
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace pinwatch::report
