// ReportIntake: POST /v1/pin-reports (issue 20). Pinned apps that fail a pin check send a
// report (TrustKit, RFC 7469 or pinwatch's plain form: pinreports/report.h); pinwatch says
// why they fail, from what CT showed (pinreports/explain.h), and acts: a stale pin-set
// raises a stale_pinset finding and marks the add proposal urgent, a rogue certificate
// served escalates its finding, interception alerts only past a number of clients.
//
// Apps cannot keep secrets, so there is no token and nothing is trusted. Receive does only
// the cheap part on the listener's thread (parse, watched name, a per-address rate limit, a
// bounded queue) and answers 202 with an empty body, or a 4xx/503 naming what was wrong; it
// never answers anything the store knows. One background thread explains and stores the
// queued reports, one transaction at a time, so a flood holds at most one database
// connection and never slows the log workers.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "api/request.h"
#include "db/finding_store.h"
#include "db/pin_store.h"
#include "db/report_store.h"
#include "pinreports/report.h"
#include "pinreports/roots.h"
#include "pins/pinset.h"

namespace pinwatch::api {

struct ReportIntakeOptions {
  // watched_entry returns the watch entry a hostname falls under, or nullopt (then the
  // report is counted and dropped).
  std::function<std::optional<std::string>(std::string_view hostname)> watched_entry;
  std::vector<pins::PinsetPolicy> pinsets;
  // accepted_roots returns the DER roots the followed logs accept (asked at most every
  // roots_refresh_s; a failure keeps the previous answer).
  std::function<Result<std::vector<std::vector<uint8_t>>>()> accepted_roots;
  int64_t roots_refresh_s = 600;
  // An interception finding (an alert) is raised once this many distinct clients reported
  // the same interceptor for a name within interception_window_s.
  int64_t interception_clients = 5;
  int64_t interception_window_s = 3600;
  // Reports accepted per client address per minute; more are answered 429.
  int64_t per_address_per_minute = 60;
  size_t queue_limit = 1000;
  std::function<int64_t()> now_s;  // the clock (default: the system's)
  // Told of each report explained (its classification) and each refused (the reason: a
  // metric label); on the intake's threads.
  std::function<void(std::string_view classification)> on_explained;
  std::function<void(std::string_view reason)> on_rejected;
  std::function<void(const std::string&)> log_line;  // one line per failure to store
};

struct ReportIntakeStores {
  std::unique_ptr<db::ReportStore> reports;
  std::unique_ptr<db::PinStore> pins;
  std::unique_ptr<db::FindingStore> findings;  // to reopen a finding a served certificate escalates
};

class ReportIntake {
 public:
  ReportIntake(ReportIntakeStores stores, ReportIntakeOptions options);
  // ~ReportIntake stops the background thread; reports still queued are dropped.
  ~ReportIntake();
  ReportIntake(const ReportIntake&) = delete;
  ReportIntake& operator=(const ReportIntake&) = delete;

  // Receive answers one POST /v1/pin-reports. Thread-safe.
  ApiResponse Receive(const ApiRequest& request);

  // Refusal reasons (the rejected-reports metric's label values).
  static constexpr std::string_view kMalformed = "malformed", kUnwatched = "unwatched",
                                    kRateLimited = "rate_limited", kQueueFull = "queue_full",
                                    kMediaType = "media_type";

 private:
  struct Queued {
    pinreports::PinReport report;
    std::string watched;
    std::string remote_address;
    int64_t received_s = 0;
  };
  ApiResponse Refuse(int status, std::string_view reason, const std::string& message);
  bool AllowAddress(const std::string& address, int64_t now_s);
  void Work();
  Status Explain(const Queued& q);
  const pinreports::AcceptedRootSet& Roots(int64_t now_s);

  ReportIntakeStores stores_;
  ReportIntakeOptions options_;

  std::mutex rate_mu_;
  std::map<std::string, std::deque<int64_t>> recent_;  // address -> accept times in the last minute

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Queued> queue_;
  bool stopping_ = false;
  std::thread worker_;

  // The worker's cache, parsed once per refresh (the logs' roots change rarely).
  pinreports::AcceptedRootSet roots_ = pinreports::AcceptedRootSet::Of({});
  int64_t roots_at_s_ = -1;
};

}  // namespace pinwatch::api
