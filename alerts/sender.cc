#include "alerts/sender.h"

#include <algorithm>
#include <cstdio>

#include "alerts/alertmanager.h"
#include "base/time.h"

namespace pinwatch::alerts {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// kMaxWait bounds one sleep of the sender: how late a stop, or a change whose NOTIFY was
// lost (the LISTEN connection was being reopened), is noticed.
constexpr milliseconds kMaxWait{500};
// kDatabaseRetry: how often the sender tries a database that is down.
constexpr milliseconds kDatabaseRetry{1000};
constexpr milliseconds kFirstBackoff{1000};

std::string Seconds(Clock::duration d) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", std::chrono::duration<double>(d).count());
  return text;
}

}  // namespace

AlertSender::AlertSender(SenderOptions options, std::unique_ptr<db::AlertStore> alerts,
                         std::unique_ptr<db::FindingStore> findings, Metrics& metrics,
                         std::function<void(const std::string&)> log_line, const StopSignal& stop)
    : options_(std::move(options)),
      alerts_(std::move(alerts)),
      findings_(std::move(findings)),
      metrics_(metrics),
      log_line_(std::move(log_line)),
      stop_(stop),
      http_({.total_timeout_ms = options_.timeout_ms,
             .connect_timeout_ms = std::min<int64_t>(options_.timeout_ms, 10'000),
             .stop = &stop,
             .user_agent = "pinwatch-alerts/0.1"}) {
  for (const std::string& url : options_.alertmanager_urls) {
    targets_.push_back({.url = url});
    metrics_.AddAlertmanager(url);
  }
}

AlertSender::~AlertSender() = default;

Result<bool> AlertSender::KeepLease(bool force) {
  const auto now = Clock::now();
  const auto renew_every = milliseconds(std::max<int64_t>(options_.lease_seconds * 1000 / 3, 200));
  if (!force && holding_ && now - lease_renewed_ < renew_every) return true;
  if (!force && !holding_ && now - lease_renewed_ < renew_every) return false;
  Result<bool> held = alerts_->KeepSenderLease(options_.replica_id, options_.lease_seconds);
  if (!held.ok()) return held.status();
  lease_renewed_ = now;
  if (*held != holding_) {
    log_line_(*held ? "alerts: this replica sends the alerts (" + std::to_string(targets_.size()) + " Alertmanager" +
                          (targets_.size() == 1 ? "" : "s") + ")"
                    : "alerts: another replica sends the alerts now");
    holding_ = *held;
    metrics_.SetAlertSenderActive(holding_);
    if (holding_) {
      facts_refreshed_ = {};
      for (Target& t : targets_) t.resend_all = true;
    } else {
      metrics_.ClearFleetFacts();
    }
  }
  return holding_;
}

void AlertSender::Failed(Target& target, const std::string& why, size_t waiting) {
  const auto now = Clock::now();
  target.backoff = target.backoff.count() == 0 ? kFirstBackoff
                                               : std::min(target.backoff * 2, milliseconds(options_.max_backoff_ms));
  target.next_try = now + target.backoff;
  if (!target.down_since) {
    target.down_since = now;
    log_line_("alerts: " + target.url + " failed (" + why + "); " + std::to_string(waiting) +
              " alert(s) waiting; retrying with backoff up to " + Seconds(milliseconds(options_.max_backoff_ms)) + " s");
  }
}

Status AlertSender::Deliver(Target& target) {
  const auto pass_start = Clock::now();
  for (;;) {
    if (stop_.stopped()) return OkStatus();
    // Resending everything: what was accepted before this pass began (so a batch just sent
    // is not asked for again).
    const int64_t resend_ms =
        target.resend_all ? std::chrono::duration_cast<milliseconds>(Clock::now() - pass_start).count() + 1
                          : options_.resend_interval_ms;
    Result<std::vector<db::OwedAlert>> owed = alerts_->Owed(target.url, resend_ms, options_.batch_size);
    if (!owed.ok()) return owed.status();
    if (owed->empty()) {
      target.resend_all = false;
      return OkStatus();
    }
    db::FindingFilter filter;
    for (const db::OwedAlert& a : *owed) filter.ids.push_back(a.finding_id);
    Result<std::vector<db::Finding>> found = findings_->ListFindings(filter);
    if (!found.ok()) return found.status();

    const int64_t now_ms = UnixNowMs();
    std::vector<PostableAlert> batch;
    std::vector<db::Accepted> accepted;
    std::vector<std::string> firsts;  // logged: what this Alertmanager hears for the first time
    for (const db::OwedAlert& a : *owed) {
      auto f = std::find_if(found->begin(), found->end(), [&](const db::Finding& x) { return x.id == a.finding_id; });
      if (f == found->end()) continue;  // findings are never deleted; nothing to send if one were
      const int64_t ends_at_ms = a.ends_at_ms ? *a.ends_at_ms : now_ms + 4 * options_.resend_interval_ms;
      batch.push_back(AlertOf(*f, a.starts_at_ms, ends_at_ms, options_.external_url));
      accepted.push_back({.finding_id = a.finding_id, .ends_at_ms = a.ends_at_ms});
      if (a.first_send) {
        firsts.push_back("finding " + std::to_string(a.finding_id) + " " + std::string(AlertNameOf(f->kind)) +
                         (a.ends_at_ms ? " (resolved)" : " (firing)"));
      }
    }
    if (batch.empty()) return OkStatus();
    const PostResult result = PostAlerts(http_, target.url, AlertsJson(batch));
    metrics_.Delivery(target.url, result.outcome, batch.size(), result.seconds);
    if (result.outcome != DeliveryOutcome::kSuccess) {
      if (!stop_.stopped()) Failed(target, result.detail, batch.size());
      return OkStatus();  // the target's failure, kept on the target; not the database's
    }
    if (target.down_since) {
      log_line_("alerts: " + target.url + " reachable again after " + Seconds(Clock::now() - *target.down_since) + " s");
      target.down_since.reset();
    }
    target.backoff = milliseconds(0);
    if (Status s = alerts_->RecordAccepted(target.url, accepted); !s.ok()) return s;
    constexpr size_t kMaxLinesPerPost = 5;
    for (size_t i = 0; i < firsts.size() && i < kMaxLinesPerPost; ++i) {
      log_line_("alerts: " + target.url + " accepted " + firsts[i]);
    }
    if (firsts.size() > kMaxLinesPerPost) {
      log_line_("alerts: " + target.url + " accepted " + std::to_string(firsts.size() - kMaxLinesPerPost) + " more");
    }
    if (owed->size() < options_.batch_size) {
      target.resend_all = false;
      return OkStatus();
    }
  }
}

void AlertSender::RefreshFacts(bool force) {
  const auto now = Clock::now();
  if (!force && now - facts_refreshed_ < milliseconds(options_.facts_interval_ms)) return;
  Result<db::OutboxFacts> facts = alerts_->Facts(options_.alertmanager_urls);
  if (!facts.ok()) {
    metrics_.DatabaseError(facts.status().code());
    return;
  }
  facts_refreshed_ = now;
  metrics_.SetFleetFacts(*facts);
}

milliseconds AlertSender::NextWait() const {
  const auto now = Clock::now();
  milliseconds wait = kMaxWait;
  for (const Target& t : targets_) {
    if (t.next_try > now) wait = std::min(wait, std::chrono::duration_cast<milliseconds>(t.next_try - now));
  }
  return std::max(wait, milliseconds(1));
}

void AlertSender::Run() {
  bool force_lease = true;
  bool changed = true;
  while (!stop_.stopped()) {
    // A database error anywhere below: counted, then everything is tried again in a second.
    auto database_failed = [&](const Status& s) {
      metrics_.DatabaseError(s.code());
      if (!database_down_) log_line_("alerts: " + s.message() + "; retrying every 1 s");
      database_down_ = true;
      force_lease = true;
      stop_.WaitFor(kDatabaseRetry);
    };
    Result<bool> holding = KeepLease(force_lease);
    if (!holding.ok()) {
      database_failed(holding.status());
      continue;
    }
    force_lease = false;
    if (database_down_) {
      log_line_("alerts: the database answers again");
      database_down_ = false;
    }
    if (!*holding) {
      stop_.WaitFor(milliseconds(std::max<int64_t>(options_.lease_seconds * 1000 / 3, 200)));
      continue;
    }
    Status failed;
    for (Target& t : targets_) {
      if (Clock::now() < t.next_try) continue;
      if (Status s = Deliver(t); !s.ok()) failed = s;
    }
    if (!failed.ok()) {
      database_failed(failed);
      continue;
    }
    if (Result<size_t> done = alerts_->FinishDone(options_.alertmanager_urls); !done.ok()) {
      database_failed(done.status());
      continue;
    }
    // The facts follow every change at once (a commit or status change woke us), and are
    // read again every facts_interval_ms otherwise.
    RefreshFacts(changed);
    Result<bool> woke = alerts_->WaitForChange(NextWait().count());
    changed = woke.ok() && *woke;
    if (!woke.ok()) stop_.WaitFor(kMaxWait);  // the LISTEN connection broke: reopened at the next wait
  }
  if (holding_) {
    (void)alerts_->ReleaseSenderLease(options_.replica_id);  // else it expires
    metrics_.SetAlertSenderActive(false);
  }
}

Status AlertSender::SendOnce() {
  Result<bool> holding = KeepLease(true);
  if (!holding.ok()) return holding.status();
  if (!*holding) return OkStatus();
  Status first;
  for (Target& t : targets_) {
    Status s = Deliver(t);
    if (s.ok() && t.down_since) s = UnavailableError("alerts: " + t.url + " did not accept every alert");
    if (!s.ok() && first.ok()) first = s;
  }
  if (Result<size_t> done = alerts_->FinishDone(options_.alertmanager_urls); !done.ok() && first.ok()) {
    first = done.status();
  }
  RefreshFacts(true);
  (void)alerts_->ReleaseSenderLease(options_.replica_id);
  holding_ = false;
  return first;
}

}  // namespace pinwatch::alerts
