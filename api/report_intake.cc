#include "api/report_intake.h"

#include <algorithm>
#include <chrono>
#include <sys/resource.h>
#include <unistd.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "api/request_parse.h"
#include "base/encoding.h"
#include "base/pem.h"
#include "base/pin.h"
#include "pinreports/explain.h"
#include "pins/matching.h"
#include "x509/identity.h"

namespace pinwatch::api {
namespace {

int64_t SystemNowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// kMaxAddresses bounds the rate limiter's memory: past it, the oldest-used addresses are
// forgotten (a client so forgotten starts a fresh minute, nothing worse).
constexpr size_t kMaxAddresses = 100'000;

std::string_view AsText(const Hash& h) { return {reinterpret_cast<const char*>(h.data()), h.size()}; }

Hash Digest(std::initializer_list<std::string_view> parts) {
  Sha256 sha;
  for (std::string_view p : parts) {
    const uint64_t n = p.size();
    sha.Update(Bytes(reinterpret_cast<const uint8_t*>(&n), sizeof n));
    sha.Update(Bytes(reinterpret_cast<const uint8_t*>(p.data()), p.size()));
  }
  return sha.Final();
}

// ExampleJson keeps one report of a new group for operators: the chain as PEM, the pins the
// app held and who sent it.
std::string ExampleJson(const pinreports::PinReport& r) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  auto str = [&](std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); };
  w.StartObject();
  str("format");
  str(pinreports::ReportFormatName(r.format));
  str("noted_hostname");
  str(r.noted_hostname);
  str("chain");
  w.StartArray();
  for (const auto& der : r.chain) str(EncodePem("CERTIFICATE", der));
  w.EndArray();
  str("known_pins");
  w.StartArray();
  for (const Hash& p : r.known_pins) str(PinText(p));
  w.EndArray();
  str("app");
  str(r.app_id + (r.app_version.empty() ? "" : " " + r.app_version));
  str("platform");
  str(r.app_platform + (r.app_platform_version.empty() ? "" : " " + r.app_platform_version));
  w.EndObject();
  return buf.GetString();
}

std::string EvidenceJson(int64_t report_id, const std::string& hostname, const std::string& key_name,
                         const std::optional<Hash>& key, std::optional<int64_t> escalates) {
  std::string out = "{\"pin_report_id\":" + std::to_string(report_id) + ",\"hostname\":\"" + hostname + "\"";
  if (key) out += ",\"" + key_name + "\":\"" + PinText(*key) + "\"";
  if (escalates) out += ",\"escalates_finding_id\":" + std::to_string(*escalates);
  return out + "}";
}

}  // namespace

ReportIntake::ReportIntake(ReportIntakeStores stores, ReportIntakeOptions options)
    : stores_(std::move(stores)), options_(std::move(options)) {
  if (!options_.now_s) options_.now_s = SystemNowS;
  if (!options_.log_line) options_.log_line = [](const std::string&) {};
  worker_ = std::thread([this] { Work(); });
}

ReportIntake::~ReportIntake() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

ApiResponse ReportIntake::Refuse(int status, std::string_view reason, const std::string& message) {
  if (options_.on_rejected) options_.on_rejected(reason);
  ApiResponse r = ErrorResponse(status, std::string(reason), message);
  if (status == 429 || status == 503) r.headers["Retry-After"] = "60";
  return r;
}

bool ReportIntake::AllowAddress(const std::string& address, int64_t now_s) {
  std::lock_guard<std::mutex> lock(rate_mu_);
  if (recent_.size() >= kMaxAddresses && !recent_.contains(address)) {
    // Forget every address quiet for a minute; if none is, the newcomer is forgotten instead.
    std::erase_if(recent_, [&](const auto& kv) { return kv.second.empty() || kv.second.back() <= now_s - 60; });
    if (recent_.size() >= kMaxAddresses) return false;
  }
  std::deque<int64_t>& times = recent_[address];
  while (!times.empty() && times.front() <= now_s - 60) times.pop_front();
  if (static_cast<int64_t>(times.size()) >= options_.per_address_per_minute) return false;
  times.push_back(now_s);
  return true;
}

ApiResponse ReportIntake::Receive(const ApiRequest& request) {
  if (request.method != "POST") return Refuse(405, "method", "POST a report");
  const std::string type = request.content_type.substr(0, request.content_type.find(';'));
  if (type != "application/json" && type != "application/reports+json" && type != "text/plain" && !type.empty()) {
    return Refuse(415, kMediaType, "a report is JSON (application/json)");
  }
  // The cheap refusals first, so that a flood costs little more than reading it: a full
  // queue, then the sender's rate (malformed reports count against it too), then parsing.
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= options_.queue_limit) return Refuse(503, kQueueFull, "too many reports queued");
  }
  const int64_t now_s = options_.now_s();
  if (!AllowAddress(request.remote_address, now_s)) {
    return Refuse(429, kRateLimited, "too many reports from this address; try again in a minute");
  }
  Result<pinreports::PinReport> report = pinreports::ParsePinReport(request.body);
  if (!report.ok()) return Refuse(400, kMalformed, report.status().message());
  std::optional<std::string> watched =
      options_.watched_entry ? options_.watched_entry(report->hostname) : std::nullopt;
  if (!watched) return Refuse(422, kUnwatched, "pinwatch does not watch " + report->hostname);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (queue_.size() >= options_.queue_limit) return Refuse(503, kQueueFull, "too many reports queued");
    queue_.push_back({std::move(*report), std::move(*watched), request.remote_address, now_s});
  }
  cv_.notify_one();
  return ApiResponse{.status = 202, .content_type = "application/json", .body = ""};
}

void ReportIntake::Work() {
  // Explaining yields the CPU to the log workers, as the listener's threads do.
  setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 10);
  for (;;) {
    Queued q;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      q = std::move(queue_.front());
      queue_.pop_front();
    }
    if (Status s = Explain(q); !s.ok()) {
      options_.log_line("pin-failure report for " + q.report.hostname + " not stored: " + s.message());
    }
  }
}

const pinreports::AcceptedRootSet& ReportIntake::Roots(int64_t now_s) {
  // None known yet (a worker fetches them when it starts following its log): ask again at
  // every report until some come.
  const bool due = roots_at_s_ < 0 || roots_.size() == 0 || now_s - roots_at_s_ >= options_.roots_refresh_s;
  if (options_.accepted_roots && due) {
    Result<std::vector<std::vector<uint8_t>>> roots = options_.accepted_roots();
    if (roots.ok()) {
      roots_ = pinreports::AcceptedRootSet::Of(*roots);
      roots_at_s_ = now_s;
    } else {
      options_.log_line("pin-failure reports: the logs' roots could not be read: " + roots.status().message());
    }
  }
  return roots_;
}

Status ReportIntake::Explain(const Queued& q) {
  const pinreports::PinReport& r = q.report;
  pinreports::ReportFacts facts{.hostname = r.hostname};
  x509::ChainInput chain;
  for (size_t i = 1; i < r.chain.size(); ++i) chain.certificates.push_back(r.chain[i]);
  Result<x509::CertIdentity> leaf = x509::ComputeCertificateIdentity(r.chain.front(), chain);
  std::optional<Hash> leaf_spki, issuer_spki, leaf_tbs;
  if (leaf.ok()) {
    facts.leaf_parsed = true;
    facts.leaf_spki = leaf->spki_sha256;
    leaf_spki = leaf->spki_sha256;
    issuer_spki = leaf->issuer_spki_sha256;
    leaf_tbs = leaf->tbs_identity_hash;
    auto known = [&](const Hash& h) { return std::find(r.known_pins.begin(), r.known_pins.end(), h) != r.known_pins.end(); };
    facts.chain_holds_a_known_pin = known(leaf->spki_sha256);
    for (const x509::ChainLink& link : leaf->chain) {
      if (link.spki_sha256 && known(*link.spki_sha256)) facts.chain_holds_a_known_pin = true;
    }
    auto same = stores_.reports->CertificateByTbs(leaf->tbs_identity_hash);
    if (!same.ok()) return same.status();
    auto to_facts = [](const db::KnownCertificate& k) {
      return pinreports::CtCertificate{.certificate_id = k.certificate_id,
                                       .unexpected_issuer_finding_id = k.unexpected_issuer_finding_id,
                                       .issuer_allowed = k.issuer_allowed};
    };
    if (*same) facts.same_certificate = to_facts(**same);
    auto with_key = stores_.reports->CertificateWithKey(leaf->spki_sha256, r.hostname);
    if (!with_key.ok()) return with_key.status();
    if (*with_key) facts.same_key_from_allowed_ca = to_facts(**with_key);
    pinreports::RootCheck roots = Roots(q.received_s).Check(r.chain);
    facts.reaches_accepted_root = roots.reaches_accepted_root;
    facts.root_reason = roots.reason;
  } else {
    facts.leaf_error = leaf.status().message();
  }
  const pinreports::Explanation e = pinreports::Explain(facts);
  const std::string_view name = pinreports::ClassificationName(e.classification);
  if (options_.on_explained) options_.on_explained(name);

  // Reports that say the same thing share a group: a stale key per name, a rogue
  // certificate per name, an interceptor (its CA's key) per name.
  Hash group{};
  switch (e.classification) {
    case pinreports::Classification::kStalePinset:
      group = Digest({name, r.hostname, leaf_spki ? AsText(*leaf_spki) : ""});
      break;
    case pinreports::Classification::kUnexpectedIssuerServed:
      group = Digest({name, r.hostname, leaf_tbs ? AsText(*leaf_tbs) : ""});
      break;
    case pinreports::Classification::kInterception:
      group = Digest({name, r.hostname, issuer_spki ? AsText(*issuer_spki) : leaf_spki ? AsText(*leaf_spki) : ""});
      break;
    case pinreports::Classification::kUnknown:
      group = Digest({name, r.hostname, e.reason.substr(0, e.reason.find(':')), leaf_spki ? AsText(*leaf_spki) : ""});
      break;
  }
  db::NewReport n{.group_key = group,
                  .hostname = r.hostname,
                  .port = r.port,
                  .watched = q.watched,
                  .classification = std::string(name),
                  .reason = e.reason,
                  .leaf_spki = leaf_spki,
                  .issuer_spki = issuer_spki,
                  .leaf_tbs = leaf_tbs,
                  .client = Digest({"client", q.remote_address, r.client_id}),
                  .identity = pinreports::ReportIdentity(r),
                  .happened_unix_s = r.happened_unix_s.value_or(q.received_s),
                  .example_json = ExampleJson(r),
                  .window_s = options_.interception_window_s};
  Result<db::RecordedReport> recorded = stores_.reports->Record(n);
  if (!recorded.ok()) return recorded.status();
  if (recorded->duplicate) return OkStatus();

  std::optional<int64_t> finding_id, proposal_id;
  switch (e.classification) {
    case pinreports::Classification::kStalePinset: {
      auto f = stores_.reports->RaiseFinding(
          {.kind = db::FindingKind::kStalePinset,
           .watched = q.watched,
           .certificate_id = e.certificate_id,
           .reason = e.reason,
           .evidence_json = EvidenceJson(recorded->report_id, r.hostname, "key", leaf_spki, std::nullopt),
           .dedupe = r.hostname + "/" + PinText(*leaf_spki)});
      if (!f.ok()) return f.status();
      finding_id = *f;
      // The add proposal of every pin-set for the name that lacks the key: found, or made.
      for (const pins::PinsetPolicy& p : options_.pinsets) {
        auto names = pins::PinsetNames::Create(p.names, p.include_subdomains);
        if (!names.ok() || !names->Concerns({r.hostname})) continue;
        auto current = stores_.pins->CurrentVersion(p.name);
        if (!current.ok()) return current.status();
        if (std::find(current->pins.begin(), current->pins.end(), *leaf_spki) != current->pins.end()) continue;
        auto proposed = stores_.pins->Propose({.pinset = p.name,
                                               .action = db::ProposalAction::kAdd,
                                               .pin = *leaf_spki,
                                               .role = db::KeyRole::kLeaf,
                                               .reason = "pinned apps fail on " + r.hostname +
                                                         " without this key (pin-failure reports)",
                                               .base_version = current->version,
                                               .certificate_ids = {*e.certificate_id}});
        if (!proposed.ok()) return proposed.status();
        if (*proposed) proposal_id = (*proposed)->first;
      }
      break;
    }
    case pinreports::Classification::kUnexpectedIssuerServed: {
      auto f = stores_.reports->RaiseFinding(
          {.kind = db::FindingKind::kUnexpectedIssuerServed,
           .watched = q.watched,
           .certificate_id = e.certificate_id,
           .reason = e.reason,
           .evidence_json = EvidenceJson(recorded->report_id, r.hostname, "key", leaf_spki, e.escalated_finding_id),
           .dedupe = std::to_string(*e.certificate_id)});
      if (!f.ok()) return f.status();
      finding_id = *f;
      // An operator who acknowledged or resolved the rogue certificate's finding (a
      // mis-issuance never used, say) hears of it again: it is in use now.
      auto earlier = stores_.findings->ListFindings({.ids = {*e.escalated_finding_id}});
      if (!earlier.ok()) return earlier.status();
      if (!earlier->empty() && earlier->front().status != db::FindingStatus::kOpen) {
        Status reopened = stores_.findings->SetFindingStatus(
            *e.escalated_finding_id, db::FindingStatus::kOpen,
            "reopened: being served to users (pin-failure report group " + std::to_string(recorded->report_id) +
                ", finding " + std::to_string(*finding_id) + ")");
        if (!reopened.ok()) return reopened;
      }
      break;
    }
    case pinreports::Classification::kInterception:
      if (recorded->clients_in_window >= options_.interception_clients) {
        auto f = stores_.reports->RaiseFinding(
            {.kind = db::FindingKind::kInterception,
             .watched = q.watched,
             .reason = std::to_string(recorded->clients_in_window) + " clients within " +
                       std::to_string(options_.interception_window_s) + " s: " + e.reason,
             .evidence_json = EvidenceJson(recorded->report_id, r.hostname, "interceptor_key", issuer_spki, std::nullopt),
             .dedupe = r.hostname + "/" + (issuer_spki ? PinText(*issuer_spki) : "")});
        if (!f.ok()) return f.status();
        finding_id = *f;
      }
      break;
    case pinreports::Classification::kUnknown:
      break;
  }
  if (finding_id || proposal_id) return stores_.reports->Link(recorded->report_id, finding_id, proposal_id);
  return OkStatus();
}

}  // namespace pinwatch::api
