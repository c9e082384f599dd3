#include "report/pinsets.h"

#include <map>

#include "base/encoding.h"
#include "base/pin.h"
#include "base/time.h"
#include "pins/matching.h"
#include "report/json_writer.h"

namespace pinwatch::report {
namespace {

void MsTimeOrNull(Writer& w, const std::optional<int64_t>& ms) {
  if (ms) Str(w, FormatRfc3339Ms(*ms));
  else w.Null();
}

int64_t Approvals(const db::Proposal& p) {
  int64_t n = 0;
  for (const db::Decision& d : p.decisions) n += d.approve ? 1 : 0;
  return n;
}

std::string Duration(int64_t seconds) {
  if (seconds < 0) return "-" + Duration(-seconds);
  if (seconds >= 86400) return std::to_string(seconds / 86400) + "d" + std::to_string(seconds % 86400 / 3600) + "h";
  if (seconds >= 3600) return std::to_string(seconds / 3600) + "h" + std::to_string(seconds % 3600 / 60) + "m";
  return std::to_string(seconds / 60) + "m" + std::to_string(seconds % 60) + "s";
}

}  // namespace

std::optional<int64_t> LeadTimeSeconds(const db::Proposal& p) {
  if (!p.first_precert_ms || !p.first_certificate_ms) return std::nullopt;
  return (*p.first_certificate_ms - *p.first_precert_ms) / 1000;
}

Result<std::vector<ProposalView>> ProposalViews(db::PinStore& store, const std::vector<pins::PinsetPolicy>& pinsets,
                                                std::vector<db::Proposal> proposals, int64_t now_s) {
  std::vector<ProposalView> out;
  std::optional<std::vector<db::CertificateFacts>> certs;
  std::map<std::string, db::PinsetVersion> current_of;  // read once per pin-set
  for (db::Proposal& p : proposals) {
    ProposalView v{.proposal = std::move(p)};
    const pins::PinsetPolicy* policy = nullptr;
    for (const pins::PinsetPolicy& candidate : pinsets) {
      if (candidate.name == v.proposal.pinset) policy = &candidate;
    }
    if (policy) v.approvals_required = policy->approvals_required;
    if (policy && v.proposal.status == db::ProposalStatus::kPending) {
      if (!certs) {
        Result<std::vector<db::CertificateFacts>> read = store.Certificates();
        if (!read.ok()) return read.status();
        certs = *std::move(read);
      }
      auto it = current_of.find(policy->name);
      if (it == current_of.end()) {
        Result<db::PinsetVersion> current = store.CurrentVersion(policy->name);
        if (!current.ok()) return current.status();
        it = current_of.emplace(policy->name, *std::move(current)).first;
      }
      const db::PinsetVersion& current = it->second;
      auto names = pins::PinsetNames::Create(current.names, current.include_subdomains);
      if (names.ok()) {
        v.checks = pins::SafetyChecks(*policy, *names, current.pins,
                                      pins::PinsAfter(current.pins, v.proposal.action, v.proposal.pin), *certs, now_s);
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

namespace {

// WriteProposal writes one proposal object (the shape README "Pin-sets" documents).
void WriteProposal(Writer& w, const ProposalView& v) {
  const db::Proposal& p = v.proposal;
  w.StartObject();
  w.Key("id");
  w.Int64(p.id);
  w.Key("pinset");
  Str(w, p.pinset);
  w.Key("action");
  Str(w, db::ProposalActionName(p.action));
  w.Key("pin");
  Str(w, PinText(p.pin));
  w.Key("role");
  Str(w, db::KeyRoleName(p.role));
  w.Key("reason");
  Str(w, p.reason);
  w.Key("status");
  Str(w, db::ProposalStatusName(p.status));
  w.Key("approvals");
  w.Int64(Approvals(p));
  w.Key("approvals_required");
  w.Int64(v.approvals_required);
  w.Key("decisions");
  w.StartArray();
  for (const db::Decision& d : p.decisions) {
    w.StartObject();
    w.Key("operator");
    Str(w, d.operator_name);
    w.Key("decision");
    Str(w, d.approve ? "approve" : "reject");
    w.Key("reason");
    Str(w, d.reason);
    w.Key("at");
    Str(w, d.decided_at);
    w.EndObject();
  }
  w.EndArray();
  w.Key("checks");
  w.StartArray();
  for (const pins::Check& c : v.checks) {
    w.StartObject();
    w.Key("name");
    Str(w, c.name);
    w.Key("ok");
    w.Bool(c.ok);
    w.Key("detail");
    Str(w, c.detail);
    w.EndObject();
  }
  w.EndArray();
  w.Key("checks_pass");
  w.Bool(pins::AllPass(v.checks));
  w.Key("lead_time_s");
  IntOrNull(w, LeadTimeSeconds(p));
  w.Key("first_precertificate_at");
  MsTimeOrNull(w, p.first_precert_ms);
  w.Key("first_certificate_at");
  MsTimeOrNull(w, p.first_certificate_ms);
  w.Key("base_version");
  w.Int64(p.base_version);
  w.Key("applied_version");
  IntOrNull(w, p.applied_version);
  w.Key("created_at");
  Str(w, p.created_at);
  w.Key("decided_at");
  StrOrNull(w, p.decided_at);
  w.Key("urgent");
  w.Bool(!p.urgent_at.empty());
  w.Key("urgent_at");
  StrOrNull(w, p.urgent_at);
  w.Key("pin_reports");
  w.StartArray();
  for (int64_t id : p.pin_report_ids) w.Int64(id);
  w.EndArray();
  w.Key("evidence");
  w.StartArray();
  for (const db::ProposalEvidence& e : p.evidence) {
    const db::CertificateRecord& c = e.certificate;
    w.StartObject();
    w.Key("names");
    Strings(w, c.dns_names);
    w.Key("subject");
    Str(w, c.subject);
    w.Key("issuer");
    Str(w, c.issuer);
    w.Key("serial");
    Str(w, c.serial);
    w.Key("not_before");
    TimeOrNull(w, c.not_before_unix_s);
    w.Key("not_after");
    TimeOrNull(w, c.not_after_unix_s);
    w.Key("spki_sha256");
    PinOrNull(w, c.spki_sha256);
    w.Key("issuer_spki_sha256");
    PinOrNull(w, c.issuer_spki_sha256);
    w.Key("tbs_sha256");
    Str(w, HexEncode(c.tbs_sha256));
    w.Key("entries");
    Entries(w, e.entries);
    w.Key("finding_ids");
    w.StartArray();
    for (int64_t id : e.finding_ids) w.Int64(id);
    w.EndArray();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
}

}  // namespace

std::string ProposalsJson(const std::vector<ProposalView>& proposals) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const ProposalView& v : proposals) WriteProposal(w, v);
  w.EndArray();
  return std::string(buffer.GetString()) + "\n";
}

std::string ProposalJson(const ProposalView& proposal) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  WriteProposal(w, proposal);
  return std::string(buffer.GetString()) + "\n";
}

std::string ProposalsText(const std::vector<ProposalView>& proposals) {
  std::string out;
  for (const ProposalView& v : proposals) {
    const db::Proposal& p = v.proposal;
    out += "#" + std::to_string(p.id) + " " + std::string(db::ProposalActionName(p.action)) + " " + PinText(p.pin) +
           " pin-set " + p.pinset + " [" + std::string(db::ProposalStatusName(p.status)) + ", " +
           std::to_string(Approvals(p)) + "/" + std::to_string(v.approvals_required) + " approvals]\n";
    out += "  " + p.reason + "\n";
    if (std::optional<int64_t> lead = LeadTimeSeconds(p)) {
      out += "  lead time: " + Duration(*lead) + " (precertificate logged " + FormatRfc3339Ms(*p.first_precert_ms) +
             ", first certificate " + FormatRfc3339Ms(*p.first_certificate_ms) + ")\n";
    } else if (p.first_precert_ms) {
      out += "  precertificate logged " + FormatRfc3339Ms(*p.first_precert_ms) + "; no final certificate seen yet\n";
    }
    for (const pins::Check& c : v.checks) out += std::string("  check ") + (c.ok ? "ok    " : "FAILED") + " " + c.name + ": " + c.detail + "\n";
    for (const db::Decision& d : p.decisions) {
      out += "  " + std::string(d.approve ? "approved" : "rejected") + " by " + d.operator_name + " at " + d.decided_at +
             (d.reason.empty() ? "" : ": " + d.reason) + "\n";
    }
    for (const db::ProposalEvidence& e : p.evidence) {
      std::string names;
      for (const std::string& n : e.certificate.dns_names) names += (names.empty() ? "" : ", ") + n;
      out += "  evidence: " + names + " (" + e.certificate.issuer + ")";
      if (e.certificate.not_after_unix_s) out += " valid until " + FormatRfc3339(*e.certificate.not_after_unix_s);
      out += "\n";
      for (const db::FindingEntry& entry : e.entries) {
        out += "    " + entry.log_description + " #" + std::to_string(entry.index) + " " + entry.entry_type + " " +
               FormatRfc3339Ms(static_cast<int64_t>(entry.timestamp_ms)) + (entry.verified ? "" : " (not yet verified)") +
               "\n";
      }
    }
    if (p.applied_version) out += "  made version " + std::to_string(*p.applied_version) + "\n";
  }
  if (proposals.empty()) out = "no proposals\n";
  return out;
}

std::string PinsetJson(const std::vector<db::PinsetVersion>& versions) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartObject();
  w.Key("name");
  Str(w, versions.empty() ? "" : versions.front().pinset);
  w.Key("current_version");
  if (versions.empty()) w.Null();
  else w.Int64(versions.back().version);
  w.Key("versions");
  w.StartArray();
  for (const db::PinsetVersion& v : versions) {
    w.StartObject();
    w.Key("version");
    w.Int64(v.version);
    w.Key("pins");
    w.StartArray();
    for (const Hash& h : v.pins) Str(w, PinText(h));
    w.EndArray();
    w.Key("names");
    Strings(w, v.names);
    w.Key("include_subdomains");
    w.Bool(v.include_subdomains);
    w.Key("expiry_days");
    w.Int64(v.expiry_days);
    w.Key("origin");
    Str(w, v.origin);
    w.Key("proposal_id");
    IntOrNull(w, v.proposal_id);
    w.Key("created_at");
    Str(w, v.created_at);
    w.Key("published_at");
    StrOrNull(w, v.published_at);
    w.Key("document");
    StrOrNull(w, v.document);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return std::string(buffer.GetString()) + "\n";
}

std::string PinsetText(const std::vector<db::PinsetVersion>& versions) {
  std::string out;
  for (const db::PinsetVersion& v : versions) {
    out += "version " + std::to_string(v.version) + " (" + v.origin +
           (v.proposal_id ? " #" + std::to_string(*v.proposal_id) : std::string()) + ", " + v.created_at + ", " +
           (v.published_at.empty() ? std::string("not published") : "published " + v.published_at) + ")\n";
    for (const Hash& h : v.pins) out += "  " + PinText(h) + "\n";
  }
  return out;
}

std::string AuditJson(const std::vector<db::AuditEntry>& entries) {
  rapidjson::StringBuffer buffer;
  Writer w(buffer);
  w.StartArray();
  for (const db::AuditEntry& a : entries) {
    w.StartObject();
    w.Key("id");
    w.Int64(a.id);
    w.Key("at");
    Str(w, a.at);
    w.Key("operator");
    Str(w, a.operator_name);
    w.Key("action");
    Str(w, a.action);
    w.Key("pinset");
    StrOrNull(w, a.pinset);
    w.Key("proposal_id");
    IntOrNull(w, a.proposal_id);
    w.Key("version");
    IntOrNull(w, a.version);
    w.Key("reason");
    Str(w, a.reason);
    w.Key("detail");
    w.RawValue(a.detail_json.c_str(), a.detail_json.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  return std::string(buffer.GetString()) + "\n";
}

std::string AuditText(const std::vector<db::AuditEntry>& entries) {
  std::string out;
  for (const db::AuditEntry& a : entries) {
    out += a.at + " " + a.operator_name + " " + a.action;
    if (!a.pinset.empty()) out += " pin-set " + a.pinset;
    if (a.proposal_id) out += " proposal #" + std::to_string(*a.proposal_id);
    if (a.version) out += " version " + std::to_string(*a.version);
    if (!a.reason.empty()) out += ": " + a.reason;
    if (a.detail_json != "{}") out += " " + a.detail_json;
    out += "\n";
  }
  if (entries.empty()) out = "the audit log is empty\n";
  return out;
}

}  // namespace pinwatch::report
