// OperatorApi: the HTTP JSON API under /api/v1/ (issue 17), the one place pinwatch takes
// writes from the network. Every request carries `Authorization: Bearer TOKEN` (tokens from
// `pinwatch operator add`; the store keeps their SHA-256); a viewer reads, an approver also
// acks, resolves, reopens, approves and rejects, and the audit log names the token's
// operator, never one from the body. Bodies are JSON objects of known fields only, at most
// 64 KiB. Answers are the CLI's --json shapes; errors are
// {"error": {"code": ..., "message": ...}} with 400, 401, 403, 404, 409, 413, 415, 422 or
// 429. It knows no HTTP library: the listener (http_server.h) hands it ApiRequests, so the
// routing and parsing are tested and fuzzed without sockets.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/request.h"
#include "api/request_parse.h"
#include "db/finding_store.h"
#include "db/log_state_store.h"
#include "db/pin_store.h"
#include "pins/pinset.h"

namespace pinwatch::api {

// ApiStores are the connections the API works through (one at a time, under its lock).
struct ApiStores {
  std::unique_ptr<db::FindingStore> findings;
  std::unique_ptr<db::PinStore> pins;
  std::unique_ptr<db::LogStateStore> logs;
};

struct OperatorApiOptions {
  std::vector<pins::PinsetPolicy> pinsets;
  pins::PublishConfig publish;
  // Failed authentications from one address within `failure_window` beyond
  // `failures_allowed` are answered 429 (with Retry-After) until the window passes.
  int failures_allowed = 10;
  std::chrono::seconds failure_window{60};
  std::function<int64_t()> now_s;  // the clock (default: the system's)
};

class OperatorApi {
 public:
  OperatorApi(ApiStores stores, OperatorApiOptions options);

  // Handle answers one request whose path starts with /api/v1/. Thread-safe.
  ApiResponse Handle(const ApiRequest& request);

 private:
  struct Caller {
    std::string name, role;
  };
  ApiResponse Route(const ApiRequest& request, const Caller& caller);
  // FindingAnswer and ProposalAnswer answer one record as the API shows it, or 404.
  ApiResponse FindingAnswer(int64_t id);
  ApiResponse ProposalAnswer(int64_t id, int64_t now_s);
  bool Throttled(const std::string& address, int64_t now_s);
  void Failed(const std::string& address, int64_t now_s);

  std::mutex mu_;  // the stores are one connection each
  ApiStores stores_;
  OperatorApiOptions options_;
  std::mutex failures_mu_;
  std::map<std::string, std::vector<int64_t>> failures_;  // address -> times of failures in the window
};

}  // namespace pinwatch::api
