#include "api/operator_api.h"

#include <algorithm>
#include <optional>
#include <variant>

#include "api/request_parse.h"
#include "base/pin.h"
#include "base/sha256.h"
#include "base/time.h"
#include "pins/decision.h"
#include "pins/export.h"
#include "pins/matching.h"
#include "pins/publisher.h"
#include "report/findings.h"
#include "report/pinsets.h"

namespace pinwatch::api {
namespace {

// kMaxTokenBytes: a token is "pwt_" and 43 characters; anything much longer is not one.
constexpr size_t kMaxTokenBytes = 256;
constexpr int64_t kDefaultLimit = 100;
constexpr int64_t kMaxLimit = 1000;

ApiResponse Error(int status, const std::string& code, const std::string& message) {
  return ErrorResponse(status, code, message);
}

ApiResponse Json(std::string body) { return {.status = 200, .body = std::move(body)}; }

// ErrorOf maps a store or decision error to its answer.
ApiResponse ErrorOf(const Status& s) {
  switch (s.code()) {
    case Code::kNotFound:
      return Error(404, "not_found", s.message());
    case Code::kFailedPrecondition:
      // A safety check that fails is the request's content; anything else (decided
      // already, the set moved on) is a conflict with the current state.
      if (s.message().find("cannot be approved") != std::string::npos) {
        return Error(422, "checks_failed", s.message());
      }
      return Error(409, "conflict", s.message());
    case Code::kUnavailable:
    case Code::kInDoubt:
      return Error(503, "unavailable", s.message());
    default:
      return Error(500, "internal", "internal error");  // details stay in the log, not the answer
  }
}

// Query reads the query parameters a route accepts; anything else is refused.
std::optional<ApiResponse> UnknownParameter(const ApiRequest& r, std::initializer_list<const char*> allowed) {
  for (const auto& parameter : r.query) {
    const std::string& key = parameter.first;  // not a structured binding: clang 14 cannot capture one
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      return Error(400, "unknown_parameter", "unknown query parameter \"" + key.substr(0, 64) + "\"");
    }
  }
  return std::nullopt;
}

std::string ValueOr(const ApiRequest& r, const std::string& key, const std::string& fallback = "") {
  auto it = r.query.find(key);
  return it == r.query.end() ? fallback : it->second;
}

}  // namespace

OperatorApi::OperatorApi(ApiStores stores, OperatorApiOptions options)
    : stores_(std::move(stores)), options_(std::move(options)) {
  if (!options_.now_s) options_.now_s = [] { return UnixNowMs() / 1000; };
}

bool OperatorApi::Throttled(const std::string& address, int64_t now_s) {
  std::lock_guard lock(failures_mu_);
  auto it = failures_.find(address);
  if (it == failures_.end()) return false;
  std::vector<int64_t>& times = it->second;
  const int64_t window = options_.failure_window.count();
  times.erase(std::remove_if(times.begin(), times.end(), [&](int64_t t) { return t <= now_s - window; }), times.end());
  if (times.empty()) failures_.erase(it);
  return static_cast<int>(times.size()) >= options_.failures_allowed;
}

void OperatorApi::Failed(const std::string& address, int64_t now_s) {
  std::lock_guard lock(failures_mu_);
  // Bounded: a flood from many addresses cannot grow this without end.
  if (failures_.size() > 10'000) failures_.clear();
  failures_[address].push_back(now_s);
}

ApiResponse OperatorApi::Handle(const ApiRequest& request) {
  const int64_t now_s = options_.now_s();
  if (Throttled(request.remote_address, now_s)) {
    ApiResponse r = Error(429, "too_many_requests", "too many failed authentications from this address; try later");
    r.headers["Retry-After"] = std::to_string(options_.failure_window.count());
    return r;
  }
  // The token is never logged or echoed; only its hash reaches the store.
  const std::string prefix = "Bearer ";
  if (request.authorization.size() <= prefix.size() || request.authorization.compare(0, prefix.size(), prefix) != 0 ||
      request.authorization.size() > prefix.size() + kMaxTokenBytes) {
    Failed(request.remote_address, now_s);
    ApiResponse r = Error(401, "unauthorized", "an operator token is required: Authorization: Bearer TOKEN");
    r.headers["WWW-Authenticate"] = "Bearer";
    return r;
  }
  const std::string token = request.authorization.substr(prefix.size());
  const Hash hash = Sha256Of(Bytes(reinterpret_cast<const uint8_t*>(token.data()), token.size()));
  std::lock_guard lock(mu_);
  Result<std::optional<db::Operator>> op = stores_.pins->OperatorByToken(hash);
  if (!op.ok()) return ErrorOf(op.status());
  if (!*op) {
    Failed(request.remote_address, now_s);
    ApiResponse r = Error(401, "unauthorized", "unknown or revoked operator token");
    r.headers["WWW-Authenticate"] = "Bearer error=\"invalid_token\"";
    return r;
  }
  return Route(request, Caller{(*op)->name, (*op)->role});
}

ApiResponse OperatorApi::FindingAnswer(int64_t id) {
  auto found = stores_.findings->ListFindings({.ids = {id}});
  if (!found.ok()) return ErrorOf(found.status());
  if (found->empty()) return Error(404, "not_found", "no finding " + std::to_string(id));
  return Json(report::FindingJson(found->front()));
}

ApiResponse OperatorApi::ProposalAnswer(int64_t id, int64_t now_s) {
  auto found = stores_.pins->ListProposals({.ids = {id}});
  if (!found.ok()) return ErrorOf(found.status());
  if (found->empty()) return Error(404, "not_found", "no proposal " + std::to_string(id));
  auto views = report::ProposalViews(*stores_.pins, options_.pinsets, *std::move(found), now_s);
  if (!views.ok()) return ErrorOf(views.status());
  return Json(report::ProposalJson(views->front()));
}

ApiResponse OperatorApi::Route(const ApiRequest& r, const Caller& caller) {
  const std::optional<std::vector<std::string>> segments = PathSegments(r.path);
  if (!segments) return Error(404, "not_found", "no such route");
  const std::vector<std::string>& parts = *segments;
  const bool get = r.method == "GET" || r.method == "HEAD";
  const bool post = r.method == "POST";
  const auto method_not_allowed = [&](const char* allow) {
    ApiResponse res = Error(405, "method_not_allowed", "method " + r.method.substr(0, 16) + " not allowed here");
    res.headers["Allow"] = allow;
    return res;
  };
  const auto approver_only = [&]() -> std::optional<ApiResponse> {
    if (caller.role == "approver") return std::nullopt;
    return Error(403, "forbidden", "operator " + caller.name + " is a " + caller.role + ": reading only");
  };
  const int64_t now_s = options_.now_s();

  // findings, findings/ID, findings/ID/(ack|resolve|reopen)
  if (parts[0] == "findings") {
    if (parts.size() == 1) {
      if (!get) return method_not_allowed("GET");
      if (auto bad = UnknownParameter(r, {"status", "kind", "severity", "watched", "limit", "cursor"})) return *bad;
      db::FindingFilter filter;
      for (const std::string& name : Split(ValueOr(r, "status"), ',')) {
        if (name.empty()) continue;
        auto s = db::FindingStatusFromName(name);
        if (!s) return Error(400, "bad_parameter", "status: open, acknowledged or resolved");
        filter.statuses.push_back(*s);
      }
      for (const std::string& name : Split(ValueOr(r, "kind"), ',')) {
        if (name.empty()) continue;
        auto k = db::FindingKindFromName(name);
        if (!k) return Error(400, "bad_parameter", "kind: unexpected_issuer, unexpected_key, known_key, malformed, log_misbehaviour");
        filter.kinds.push_back(*k);
      }
      if (r.query.count("severity")) {
        filter.min_severity = db::SeverityFromName(ValueOr(r, "severity"));
        if (!filter.min_severity) return Error(400, "bad_parameter", "severity: info, warning or critical");
      }
      filter.watched = ValueOr(r, "watched");
      int64_t limit = kDefaultLimit;
      if (r.query.count("limit")) {
        std::optional<int64_t> n = ParseId(ValueOr(r, "limit"));
        if (!n || *n > kMaxLimit) return Error(400, "bad_parameter", "limit: 1 to " + std::to_string(kMaxLimit));
        limit = *n;
      }
      filter.limit = static_cast<size_t>(limit);
      if (r.query.count("cursor")) {
        std::optional<int64_t> after = ParseId(ValueOr(r, "cursor"));
        if (!after) return Error(400, "bad_parameter", "cursor: the X-Next-Cursor of the previous page");
        filter.after_id = after;
      }
      auto found = stores_.findings->ListFindings(filter);
      if (!found.ok()) return ErrorOf(found.status());
      ApiResponse res = Json(report::FindingsJson(*found));
      if (static_cast<int64_t>(found->size()) == limit) res.headers["X-Next-Cursor"] = std::to_string(found->back().id);
      return res;
    }
    std::optional<int64_t> id = ParseId(parts[1]);
    if (!id) return Error(400, "bad_id", "a finding id is a positive number");
    if (parts.size() == 2) {
      if (!get) return method_not_allowed("GET");
      return FindingAnswer(*id);
    }
    if (parts.size() == 3 && (parts[2] == "ack" || parts[2] == "resolve" || parts[2] == "reopen")) {
      if (!post) return method_not_allowed("POST");
      if (auto denied = approver_only()) return *denied;
      auto note = ReadTextBody(r, "note", TextField::kOptional);
      if (auto* refused = std::get_if<ApiResponse>(&note)) return *refused;
      const db::FindingStatus status = parts[2] == "ack"       ? db::FindingStatus::kAcknowledged
                                       : parts[2] == "resolve" ? db::FindingStatus::kResolved
                                                               : db::FindingStatus::kOpen;
      const std::string text = std::get<std::string>(note);
      // The note says who, from the token: the body cannot name anyone else.
      const std::string recorded = caller.name + (text.empty() ? "" : ": " + text);
      auto exists = stores_.findings->ListFindings({.ids = {*id}});
      if (!exists.ok()) return ErrorOf(exists.status());
      if (exists->empty()) return Error(404, "not_found", "no finding " + std::to_string(*id));
      if (Status s = stores_.findings->SetFindingStatus(*id, status, recorded); !s.ok()) return ErrorOf(s);
      return FindingAnswer(*id);
    }
    return Error(404, "not_found", "no such route");
  }

  // proposals, proposals/ID, proposals/ID/(approve|reject)
  if (parts[0] == "proposals") {
    if (parts.size() == 1) {
      if (!get) return method_not_allowed("GET");
      if (auto bad = UnknownParameter(r, {"status", "pinset"})) return *bad;
      db::ProposalFilter filter{.pinset = ValueOr(r, "pinset")};
      for (const std::string& name : Split(ValueOr(r, "status"), ',')) {
        if (name.empty()) continue;
        auto s = db::ProposalStatusFromName(name);
        if (!s) return Error(400, "bad_parameter", "status: pending, approved, rejected, applied, superseded");
        filter.statuses.push_back(*s);
      }
      auto found = stores_.pins->ListProposals(filter);
      if (!found.ok()) return ErrorOf(found.status());
      auto views = report::ProposalViews(*stores_.pins, options_.pinsets, *std::move(found), now_s);
      if (!views.ok()) return ErrorOf(views.status());
      return Json(report::ProposalsJson(*views));
    }
    std::optional<int64_t> id = ParseId(parts[1]);
    if (!id) return Error(400, "bad_id", "a proposal id is a positive number");
    if (parts.size() == 2) {
      if (!get) return method_not_allowed("GET");
      return ProposalAnswer(*id, now_s);
    }
    if (parts.size() == 3 && (parts[2] == "approve" || parts[2] == "reject")) {
      if (!post) return method_not_allowed("POST");
      if (auto denied = approver_only()) return *denied;
      auto reason = ReadTextBody(r, "reason", TextField::kRequired);
      if (auto* refused = std::get_if<ApiResponse>(&reason)) return *refused;
      auto decided = pins::Decide(*stores_.pins, options_.pinsets, options_.publish,
                                  {.proposal_id = *id, .operator_name = caller.name, .approve = parts[2] == "approve",
                                   .reason = std::get<std::string>(reason)},
                                  now_s);
      if (!decided.ok()) return ErrorOf(decided.status());
      return ProposalAnswer(*id, now_s);
    }
    return Error(404, "not_found", "no such route");
  }

  // pinsets, pinsets/NAME, pinsets/NAME/export?format=
  if (parts[0] == "pinsets") {
    if (!get) return method_not_allowed("GET");
    if (parts.size() == 1) {
      std::string out = "[";
      for (size_t i = 0; i < options_.pinsets.size(); ++i) {
        auto versions = stores_.pins->Versions(options_.pinsets[i].name);
        if (!versions.ok()) return ErrorOf(versions.status());
        std::string one = report::PinsetJson(*versions);
        while (!one.empty() && one.back() == '\n') one.pop_back();
        out += (i ? ",\n" : "\n") + one;
      }
      return Json(out + (options_.pinsets.empty() ? "]\n" : "\n]\n"));
    }
    const std::string& name = parts[1];
    const bool known = std::any_of(options_.pinsets.begin(), options_.pinsets.end(),
                                   [&](const pins::PinsetPolicy& p) { return p.name == name; });
    if (!known) return Error(404, "not_found", "no pin-set " + name.substr(0, 64));
    auto versions = stores_.pins->Versions(name);
    if (!versions.ok()) return ErrorOf(versions.status());
    if (versions->empty()) return Error(404, "not_found", "pin-set " + name + " has no version yet");
    if (parts.size() == 2) return Json(report::PinsetJson(*versions));
    if (parts.size() == 3 && parts[2] == "export") {
      if (auto bad = UnknownParameter(r, {"format"})) return *bad;
      std::optional<pins::ExportFormat> format = pins::ExportFormatFromName(ValueOr(r, "format"));
      if (!format) return Error(400, "bad_parameter", "format: one of " + pins::ExportFormatNames());
      auto certs = stores_.pins->Certificates();
      if (!certs.ok()) return ErrorOf(certs.status());
      const pins::PinsetDocument doc = pins::ExportDocumentOf(versions->back(), now_s);
      const std::vector<std::string> ca_pins = pins::CaPinsOf(*certs);
      ApiResponse res{.status = 200,
                      .content_type = *format == pins::ExportFormat::kJson || *format == pins::ExportFormat::kApproov
                                          ? "application/json"
                                          : "text/plain; charset=utf-8",
                      .body = pins::Export(doc, ca_pins, *format)};
      static const std::map<pins::ExportFormat, const char*> kExtension = {
          {pins::ExportFormat::kJson, "json"},       {pins::ExportFormat::kAndroidNsc, "xml"},
          {pins::ExportFormat::kOkHttp, "kt"},       {pins::ExportFormat::kTrustKit, "plist"},
          {pins::ExportFormat::kIosAts, "plist"},    {pins::ExportFormat::kApproov, "json"}};
      res.headers["Content-Disposition"] = "attachment; filename=\"" + name + "-" +
                                           std::string(pins::ExportFormatName(*format)) + "." +
                                           kExtension.at(*format) + "\"";
      return res;
    }
    return Error(404, "not_found", "no such route");
  }

  if (parts[0] == "logs" && parts.size() == 1) {
    if (!get) return method_not_allowed("GET");
    auto logs = stores_.logs->ListLogStatus();
    if (!logs.ok()) return ErrorOf(logs.status());
    return Json(report::StatusJson(*logs));
  }
  if (parts[0] == "audit" && parts.size() == 1) {
    if (!get) return method_not_allowed("GET");
    if (auto bad = UnknownParameter(r, {"limit"})) return *bad;
    int64_t limit = kMaxLimit;
    if (r.query.count("limit")) {
      std::optional<int64_t> n = ParseId(ValueOr(r, "limit"));
      if (!n || *n > kMaxLimit) return Error(400, "bad_parameter", "limit: 1 to " + std::to_string(kMaxLimit));
      limit = *n;
    }
    auto entries = stores_.pins->ListAudit(static_cast<size_t>(limit));
    if (!entries.ok()) return ErrorOf(entries.status());
    return Json(report::AuditJson(*entries));
  }
  return Error(404, "not_found", "no such route");
}

}  // namespace pinwatch::api
