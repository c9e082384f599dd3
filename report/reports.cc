#include "report/reports.h"

#include "base/pin.h"
#include "report/json_writer.h"

namespace pinwatch::report {

std::string PinReportsJson(const std::vector<db::ReportRow>& rows) {
  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartArray();
  for (const db::ReportRow& r : rows) {
    w.StartObject();
    w.Key("id");
    w.Int64(r.id);
    w.Key("hostname");
    Str(w, r.hostname);
    w.Key("port");
    w.Int64(r.port);
    w.Key("watched");
    Str(w, r.watched);
    w.Key("classification");
    Str(w, r.classification);
    w.Key("reason");
    Str(w, r.reason);
    w.Key("leaf_spki_sha256");
    PinOrNull(w, r.leaf_spki);
    w.Key("issuer_spki_sha256");
    PinOrNull(w, r.issuer_spki);
    w.Key("count");
    w.Int64(r.reports);
    w.Key("duplicates");
    w.Int64(r.duplicates);
    w.Key("distinct_clients");
    w.Int64(r.distinct_clients);
    w.Key("first_seen");
    Str(w, r.first_seen);
    w.Key("last_seen");
    Str(w, r.last_seen);
    w.Key("finding_id");
    IntOrNull(w, r.finding_id);
    w.Key("proposal_id");
    IntOrNull(w, r.proposal_id);
    w.Key("proposal_urgent");
    w.Bool(r.proposal_urgent);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buf.GetString()) + "\n";
}

std::string PinReportsText(const std::vector<db::ReportRow>& rows) {
  if (rows.empty()) return "no pin-failure reports\n";
  std::string out;
  for (const db::ReportRow& r : rows) {
    out += "#" + std::to_string(r.id) + " " + r.classification + "  " + r.hostname + ":" + std::to_string(r.port) +
           "  " + std::to_string(r.reports) + " report(s) from " + std::to_string(r.distinct_clients) +
           " client(s), " + r.first_seen + " .. " + r.last_seen + "\n";
    out += "  " + r.reason + "\n";
    if (r.leaf_spki) out += "  leaf key:   " + PinText(*r.leaf_spki) + "\n";
    if (r.issuer_spki) out += "  issuer key: " + PinText(*r.issuer_spki) + "\n";
    if (r.finding_id) out += "  finding " + std::to_string(*r.finding_id) + "\n";
    if (r.proposal_id) {
      out += "  proposal " + std::to_string(*r.proposal_id) + (r.proposal_urgent ? " (urgent)" : "") + "\n";
    }
  }
  return out;
}

}  // namespace pinwatch::report
