// alerts/metrics.h over prometheus-cpp: families are registered once here, children are
// resolved once per log (or cached per label set) and kept by pointer, so an event is an
// atomic add.
#include "alerts/metrics.h"

#include <algorithm>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <array>
#include <chrono>
#include <map>
#include <mutex>
#include <sstream>

#include "alerts/process_metrics.h"
#include "base/time.h"
#include "ctlog/verifier.h"

namespace pinwatch::alerts {
namespace {

using prometheus::Counter;
using prometheus::Family;
using prometheus::Gauge;
using prometheus::Histogram;

// Buckets for HTTP requests to logs and Alertmanagers: a tile or a tree head from a CDN
// takes milliseconds, a 256-entry batch from a busy log a second or more, a stalled one up
// to the request deadline (30 s by default).
const Histogram::BucketBoundaries& RequestBuckets() {
  static const Histogram::BucketBoundaries kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  return kBuckets;
}
// Commits: a local database answers in milliseconds; a loaded or remote one in a second.
const Histogram::BucketBoundaries& CommitBuckets() {
  static const Histogram::BucketBoundaries kBuckets = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
  return kBuckets;
}

template <class T>
Family<T>& Register(prometheus::Registry& registry, const std::string& name, const std::string& help) {
  if constexpr (std::is_same_v<T, Counter>) return prometheus::BuildCounter().Name(name).Help(help).Register(registry);
  if constexpr (std::is_same_v<T, Gauge>) return prometheus::BuildGauge().Name(name).Help(help).Register(registry);
  if constexpr (std::is_same_v<T, Histogram>) return prometheus::BuildHistogram().Name(name).Help(help).Register(registry);
}

std::string_view OutcomeName(DeliveryOutcome outcome) {
  switch (outcome) {
    case DeliveryOutcome::kSuccess: return "success";
    case DeliveryOutcome::kHttpError: return "http_error";
    case DeliveryOutcome::kUnreachable: return "unreachable";
  }
  return "unknown";
}

constexpr std::array<db::FindingKind, 8> kKinds = {
    db::FindingKind::kUnexpectedIssuer, db::FindingKind::kUnexpectedKey,  db::FindingKind::kKnownKey,
    db::FindingKind::kMalformed,        db::FindingKind::kLogMisbehaviour, db::FindingKind::kStalePinset,
    db::FindingKind::kUnexpectedIssuerServed, db::FindingKind::kInterception};
constexpr std::array<ctlog::Misbehaviour::Kind, 6> kMisbehaviourKinds = {
    ctlog::Misbehaviour::Kind::kBadTreeHeadSignature, ctlog::Misbehaviour::Kind::kRootMismatch,
    ctlog::Misbehaviour::Kind::kForkedTreeHead,       ctlog::Misbehaviour::Kind::kShrunkTree,
    ctlog::Misbehaviour::Kind::kBadConsistencyProof,  ctlog::Misbehaviour::Kind::kBadEntry};
constexpr std::array<Code, 7> kErrorCodes = {Code::kMalformed,          Code::kUnavailable,  Code::kAborted,
                                             Code::kInDoubt,            Code::kFailedPrecondition,
                                             Code::kMisbehaviour,       Code::kInternal};
constexpr std::array<db::FindingStatus, 3> kStatuses = {db::FindingStatus::kOpen, db::FindingStatus::kAcknowledged,
                                                        db::FindingStatus::kResolved};

}  // namespace

struct Metrics::Impl {
  prometheus::Registry registry;

  // This replica.
  Family<Gauge>& build_info = Register<Gauge>(registry, "pinwatch_build_info",
                                              "pinwatch's version and git revision (always 1)");
  Family<Gauge>& logs_followed = Register<Gauge>(registry, "pinwatch_logs_followed",
                                                 "Logs the configuration chose to follow (all replicas together)");
  Family<Gauge>& lists_read = Register<Gauge>(registry, "pinwatch_log_lists_last_success_timestamp_seconds",
                                              "When this replica last read the log lists and accepted them");
  Family<Gauge>& leases_held = Register<Gauge>(registry, "pinwatch_leases_held", "Log leases this replica holds");
  Family<Counter>& database_errors = Register<Counter>(registry, "pinwatch_database_errors_total",
                                                       "Failed database calls by error code");
  Family<Gauge>& database_up = Register<Gauge>(registry, "pinwatch_database_up",
                                               "1 while this replica's last database call succeeded, else 0");
  Family<Gauge>& db_connections = Register<Gauge>(registry, "pinwatch_database_connections",
                                                  "Sessions this replica holds with PostgreSQL, by state (idle, in_use)");
  Family<Gauge>& db_connections_max = Register<Gauge>(registry, "pinwatch_database_connections_max",
                                                      "database.max_connections: the most sessions this replica opens");
  Family<Counter>& db_connection_waits = Register<Counter>(
      registry, "pinwatch_database_connection_waits_total",
      "Transactions that waited for a free connection (all max_connections were in use)");
  Family<Gauge>& sender_active = Register<Gauge>(
      registry, "pinwatch_alert_sender_active",
      "1 on the replica that holds the alert sender's lease (and exports pinwatch_findings and the outbox)");

  // The alert sender.
  Family<Counter>& deliveries = Register<Counter>(registry, "pinwatch_alert_deliveries_total",
                                                  "POSTs to Alertmanager's /api/v2/alerts by Alertmanager and outcome");
  Family<Counter>& alerts_sent = Register<Counter>(registry, "pinwatch_alerts_sent_total",
                                                   "Alerts Alertmanager accepted, by Alertmanager (resends included)");
  Family<Histogram>& delivery_seconds = Register<Histogram>(registry, "pinwatch_alert_delivery_duration_seconds",
                                                            "Time of one POST to an Alertmanager");
  Family<Gauge>& findings = Register<Gauge>(registry, "pinwatch_findings",
                                            "Findings in the database by kind, severity and status");
  Family<Gauge>& alerts_open = Register<Gauge>(registry, "pinwatch_alerts_open",
                                               "Alerts open in the outbox (sent as firing until acked or resolved)");
  Family<Gauge>& outbox_pending = Register<Gauge>(
      registry, "pinwatch_alert_outbox_pending",
      "Outbox alerts with a send still owed to some Alertmanager (never delivered, or a resolution)");
  Family<Gauge>& outbox_oldest = Register<Gauge>(registry, "pinwatch_alert_outbox_oldest_pending_timestamp_seconds",
                                                 "When the oldest pending outbox alert was recorded");

  // Pin-failure reports.
  Family<Counter>& pin_reports = Register<Counter>(registry, "pinwatch_pin_reports_total",
                                                   "Pin-failure reports from apps explained, by classification");
  Family<Counter>& pin_reports_rejected = Register<Counter>(
      registry, "pinwatch_pin_reports_rejected_total",
      "Pin-failure reports refused, by reason (malformed, unwatched, rate_limited, queue_full, media_type, method)");

  // Per log (the replica holding the lease).
  Family<Gauge>& tree_size = Register<Gauge>(registry, "pinwatch_log_tree_size",
                                             "Tree size of the newest signed tree head that passed its checks");
  Family<Gauge>& tree_timestamp = Register<Gauge>(registry, "pinwatch_log_tree_timestamp_seconds",
                                                  "Timestamp of that tree head");
  Family<Gauge>& last_poll = Register<Gauge>(
      registry, "pinwatch_log_last_poll_success_timestamp_seconds",
      "When a tree head was last fetched and passed its checks (until then: when this replica began following the log)");
  Family<Gauge>& last_response = Register<Gauge>(
      registry, "pinwatch_log_last_response_timestamp_seconds",
      "When the log last answered a request with 2xx (until then: when this replica began following the log)");
  Family<Gauge>& position = Register<Gauge>(registry, "pinwatch_log_position",
                                            "Entries [0, position) are processed and committed (the download position)");
  Family<Gauge>& verified_size = Register<Gauge>(registry, "pinwatch_log_verified_tree_size",
                                                 "Tree size of the newest tree head whose root the entries matched");
  Family<Gauge>& verified_timestamp = Register<Gauge>(registry, "pinwatch_log_verified_timestamp_seconds",
                                                      "Timestamp of the verified tree head");
  Family<Gauge>& backlog = Register<Gauge>(registry, "pinwatch_log_backlog_entries",
                                           "Entries signed but not yet processed: tree size minus position");
  Family<Gauge>& failures = Register<Gauge>(registry, "pinwatch_log_consecutive_failures",
                                            "Rounds that failed in a row (0 after a good one)");
  Family<Gauge>& last_error = Register<Gauge>(registry, "pinwatch_log_last_error_timestamp_seconds",
                                              "When the log's last failed round ended, labelled with its error code");
  Family<Counter>& misbehaviours = Register<Counter>(registry, "pinwatch_log_misbehaviours_total",
                                                     "Log misbehaviour recorded, by kind");
  Family<Counter>& processed = Register<Counter>(registry, "pinwatch_entries_processed_total",
                                                 "Log entries matched against the watch list");
  Family<Counter>& matched = Register<Counter>(registry, "pinwatch_entries_matched_total",
                                               "Log entries that concerned a watched name");
  Family<Counter>& malformed = Register<Counter>(registry, "pinwatch_entries_malformed_total",
                                                 "Log entries whose leaf did not parse (hashed, counted, kept)");
  Family<Counter>& fetches = Register<Counter>(registry, "pinwatch_fetch_requests_total",
                                               "HTTP requests to the log by endpoint, outcome and HTTP status");
  Family<Histogram>& fetch_seconds = Register<Histogram>(registry, "pinwatch_fetch_duration_seconds",
                                                         "Time of one HTTP request to the log, by endpoint");
  Family<Counter>& commits = Register<Counter>(registry, "pinwatch_commits_total",
                                               "Batches committed (or failed to) by outcome");
  Family<Histogram>& commit_seconds = Register<Histogram>(registry, "pinwatch_commit_duration_seconds",
                                                          "Time of one batch commit (one transaction)");

  std::mutex mu;  // guards the caches below
  uint64_t db_waits_exported = 0;
  std::map<std::string, Counter*, std::less<>> database_error_children;
  struct DeliveryChildren {
    std::map<DeliveryOutcome, Counter*> outcomes;
    Counter* sent = nullptr;
    Histogram* seconds = nullptr;
  };
  std::map<std::string, DeliveryChildren, std::less<>> delivery_children;
  // DeliveryChildrenOf resolves (creating at 0) an Alertmanager's delivery series; mu held.
  DeliveryChildren& DeliveryChildrenOf(std::string_view alertmanager);
  std::vector<Gauge*> fleet_children;
};

Metrics::Metrics(const BuildInfo& build) : impl_(std::make_unique<Impl>()) {
  impl_->build_info.Add({{"version", build.version}, {"revision", build.revision}}).Set(1);
  impl_->logs_followed.Add({});
  impl_->leases_held.Add({});
  impl_->database_up.Add({}).Set(1);
  impl_->sender_active.Add({});
  impl_->db_connection_waits.Add({});
  for (Code code : kErrorCodes) {
    const std::string name(CodeName(code));
    impl_->database_error_children[name] = &impl_->database_errors.Add({{"code", name}});
  }
}

Metrics::~Metrics() = default;

std::string Metrics::Text() const {
  std::vector<prometheus::MetricFamily> families = impl_->registry.Collect();
  for (prometheus::MetricFamily& f : CollectProcessMetrics()) families.push_back(std::move(f));
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return out.str();
}

void Metrics::SetLogsFollowed(size_t logs) { impl_->logs_followed.Add({}).Set(static_cast<double>(logs)); }
void Metrics::SetLogListsRead(int64_t unix_s) { impl_->lists_read.Add({}).Set(static_cast<double>(unix_s)); }
void Metrics::SetLeasesHeld(size_t leases) { impl_->leases_held.Add({}).Set(static_cast<double>(leases)); }
void Metrics::SetDatabaseReachable(bool reachable) { impl_->database_up.Add({}).Set(reachable ? 1 : 0); }
void Metrics::SetAlertSenderActive(bool active) { impl_->sender_active.Add({}).Set(active ? 1 : 0); }

void Metrics::SetDatabasePool(size_t max_connections, size_t open, size_t in_use, uint64_t waits) {
  impl_->db_connections_max.Add({}).Set(static_cast<double>(max_connections));
  impl_->db_connections.Add({{"state", "in_use"}}).Set(static_cast<double>(in_use));
  impl_->db_connections.Add({{"state", "idle"}}).Set(static_cast<double>(open - std::min(open, in_use)));
  std::lock_guard lock(impl_->mu);
  if (waits > impl_->db_waits_exported) {
    impl_->db_connection_waits.Add({}).Increment(static_cast<double>(waits - impl_->db_waits_exported));
    impl_->db_waits_exported = waits;
  }
}

void Metrics::AddPinReportSeries(std::span<const std::string_view> classifications,
                                 std::span<const std::string_view> reasons) {
  for (std::string_view c : classifications) impl_->pin_reports.Add({{"classification", std::string(c)}});
  for (std::string_view r : reasons) impl_->pin_reports_rejected.Add({{"reason", std::string(r)}});
}
void Metrics::PinReport(std::string_view classification) {
  impl_->pin_reports.Add({{"classification", std::string(classification)}}).Increment();
}
void Metrics::PinReportRejected(std::string_view reason) {
  impl_->pin_reports_rejected.Add({{"reason", std::string(reason)}}).Increment();
}

void Metrics::DatabaseError(Code code) {
  std::lock_guard lock(impl_->mu);
  const std::string_view name = CodeName(code);
  auto it = impl_->database_error_children.find(name);
  if (it == impl_->database_error_children.end()) {
    Counter* child = &impl_->database_errors.Add({{"code", std::string(name)}});
    it = impl_->database_error_children.emplace(std::string(name), child).first;
  }
  it->second->Increment();
}

void Metrics::AddAlertmanager(std::string_view alertmanager) {
  std::lock_guard lock(impl_->mu);
  impl_->DeliveryChildrenOf(alertmanager);
}

void Metrics::Delivery(std::string_view alertmanager, DeliveryOutcome outcome, size_t alerts, double seconds) {
  std::lock_guard lock(impl_->mu);
  Impl::DeliveryChildren& children = impl_->DeliveryChildrenOf(alertmanager);
  children.outcomes[outcome]->Increment();
  if (outcome == DeliveryOutcome::kSuccess) children.sent->Increment(static_cast<double>(alerts));
  children.seconds->Observe(seconds);
}

Metrics::Impl::DeliveryChildren& Metrics::Impl::DeliveryChildrenOf(std::string_view alertmanager) {
  auto it = delivery_children.find(alertmanager);
  if (it == delivery_children.end()) {
    const std::string am(alertmanager);
    DeliveryChildren children;
    for (DeliveryOutcome o : {DeliveryOutcome::kSuccess, DeliveryOutcome::kHttpError, DeliveryOutcome::kUnreachable}) {
      children.outcomes[o] = &deliveries.Add({{"alertmanager", am}, {"outcome", std::string(OutcomeName(o))}});
    }
    children.sent = &alerts_sent.Add({{"alertmanager", am}});
    children.seconds = &delivery_seconds.Add({{"alertmanager", am}}, RequestBuckets());
    it = delivery_children.emplace(am, std::move(children)).first;
  }
  return it->second;
}

void Metrics::SetFleetFacts(const db::OutboxFacts& facts) {
  std::lock_guard lock(impl_->mu);
  for (db::FindingKind kind : kKinds) {
    for (db::FindingStatus status : kStatuses) {
      uint64_t count = 0;
      for (const db::OutboxFacts::Count& c : facts.findings) {
        if (c.kind == kind && c.status == status) count += c.count;
      }
      Gauge& g = impl_->findings.Add({{"kind", std::string(db::FindingKindName(kind))},
                                      {"severity", std::string(db::SeverityName(db::SeverityOf(kind)))},
                                      {"status", std::string(db::FindingStatusName(status))}});
      g.Set(static_cast<double>(count));
    }
  }
  impl_->alerts_open.Add({}).Set(static_cast<double>(facts.alerts_open));
  impl_->outbox_pending.Add({}).Set(static_cast<double>(facts.pending));
  if (facts.oldest_pending_unix_s) {
    impl_->outbox_oldest.Add({}).Set(static_cast<double>(*facts.oldest_pending_unix_s));
  } else if (impl_->outbox_oldest.Has({})) {
    impl_->outbox_oldest.Remove(&impl_->outbox_oldest.Add({}));
  }
}

void Metrics::ClearFleetFacts() {
  std::lock_guard lock(impl_->mu);
  for (db::FindingKind kind : kKinds) {
    for (db::FindingStatus status : kStatuses) {
      const prometheus::Labels labels = {{"kind", std::string(db::FindingKindName(kind))},
                                         {"severity", std::string(db::SeverityName(db::SeverityOf(kind)))},
                                         {"status", std::string(db::FindingStatusName(status))}};
      if (impl_->findings.Has(labels)) impl_->findings.Remove(&impl_->findings.Add(labels));
    }
  }
  for (Family<Gauge>* f : {&impl_->alerts_open, &impl_->outbox_pending, &impl_->outbox_oldest}) {
    if (f->Has({})) f->Remove(&f->Add({}));
  }
}

// --- LogMetrics ---

struct LogMetrics::Impl {
  Metrics::Impl& m;
  prometheus::Labels labels;
  Gauge* tree_size;
  Gauge* tree_timestamp;
  Gauge* last_poll;
  Gauge* last_response;
  Gauge* position;
  Gauge* verified_size;
  Gauge* verified_timestamp;
  Gauge* backlog;
  Gauge* failures;
  Counter* processed;
  Counter* matched;
  Counter* malformed;
  Counter* commits_ok;
  Counter* commits_failed;
  Histogram* commit_seconds;

  std::mutex mu;  // the caches, the last error's child, and backlog's two inputs
  std::optional<uint64_t> known_tree_size, known_position;
  Gauge* last_error = nullptr;
  std::map<std::string, Counter*, std::less<>> fetch_counters;     // endpoint|outcome|status
  std::map<std::string, Histogram*, std::less<>> fetch_histograms;  // endpoint
  std::map<std::string, Counter*, std::less<>> misbehaviour_counters;

  prometheus::Labels With(std::initializer_list<std::pair<const std::string, std::string>> more) const {
    prometheus::Labels out = labels;
    for (const auto& [k, v] : more) out[k] = v;
    return out;
  }
  void UpdateBacklog() {
    if (known_tree_size && known_position) {
      backlog->Set(static_cast<double>(*known_tree_size > *known_position ? *known_tree_size - *known_position : 0));
    }
  }
};

LogMetrics::LogMetrics(Metrics& metrics, std::string log_description, std::string log_id_base64) {
  Metrics::Impl& m = *metrics.impl_;
  const prometheus::Labels labels = {{"log", std::move(log_description)}, {"log_id", std::move(log_id_base64)}};
  impl_.reset(new Impl{
      .m = m,
      .labels = labels,
      .tree_size = &m.tree_size.Add(labels),
      .tree_timestamp = &m.tree_timestamp.Add(labels),
      .last_poll = &m.last_poll.Add(labels),
      .last_response = &m.last_response.Add(labels),
      .position = &m.position.Add(labels),
      .verified_size = &m.verified_size.Add(labels),
      .verified_timestamp = &m.verified_timestamp.Add(labels),
      .backlog = &m.backlog.Add(labels),
      .failures = &m.failures.Add(labels),
      .processed = &m.processed.Add(labels),
      .matched = &m.matched.Add(labels),
      .malformed = &m.malformed.Add(labels),
      .commits_ok = nullptr,
      .commits_failed = nullptr,
      .commit_seconds = &m.commit_seconds.Add(labels, CommitBuckets()),
  });
  impl_->commits_ok = &m.commits.Add(impl_->With({{"outcome", "success"}}));
  impl_->commits_failed = &m.commits.Add(impl_->With({{"outcome", "failure"}}));
  // Staleness counts from when this replica began following the log, not from 1970.
  const double now_s = static_cast<double>(UnixNowMs()) / 1000;
  impl_->last_poll->Set(now_s);
  impl_->last_response->Set(now_s);
  // Every kind starts at 0, so increase() sees the first misbehaviour (a counter born at 1
  // has no increase).
  for (ctlog::Misbehaviour::Kind kind : kMisbehaviourKinds) {
    const std::string name(ctlog::KindName(kind));
    impl_->misbehaviour_counters[name] = &m.misbehaviours.Add(impl_->With({{"kind", name}}));
  }
}

LogMetrics::~LogMetrics() {
  Impl& i = *impl_;
  Metrics::Impl& m = i.m;
  m.tree_size.Remove(i.tree_size);
  m.tree_timestamp.Remove(i.tree_timestamp);
  m.last_poll.Remove(i.last_poll);
  m.last_response.Remove(i.last_response);
  m.position.Remove(i.position);
  m.verified_size.Remove(i.verified_size);
  m.verified_timestamp.Remove(i.verified_timestamp);
  m.backlog.Remove(i.backlog);
  m.failures.Remove(i.failures);
  m.processed.Remove(i.processed);
  m.matched.Remove(i.matched);
  m.malformed.Remove(i.malformed);
  m.commits.Remove(i.commits_ok);
  m.commits.Remove(i.commits_failed);
  m.commit_seconds.Remove(i.commit_seconds);
  std::lock_guard lock(i.mu);
  if (i.last_error) m.last_error.Remove(i.last_error);
  for (auto& [key, c] : i.fetch_counters) m.fetches.Remove(c);
  for (auto& [key, h] : i.fetch_histograms) m.fetch_seconds.Remove(h);
  for (auto& [key, c] : i.misbehaviour_counters) m.misbehaviours.Remove(c);
}

void LogMetrics::TreeHead(uint64_t tree_size, uint64_t timestamp_ms, int64_t polled_at_unix_ms) {
  impl_->tree_size->Set(static_cast<double>(tree_size));
  impl_->tree_timestamp->Set(static_cast<double>(timestamp_ms) / 1000);
  impl_->last_poll->Set(static_cast<double>(polled_at_unix_ms) / 1000);
  std::lock_guard lock(impl_->mu);
  impl_->known_tree_size = tree_size;
  impl_->UpdateBacklog();
}

void LogMetrics::Resumed(uint64_t position, uint64_t verified_tree_size, std::optional<uint64_t> verified_timestamp_ms) {
  impl_->position->Set(static_cast<double>(position));
  impl_->verified_size->Set(static_cast<double>(verified_tree_size));
  if (verified_timestamp_ms) impl_->verified_timestamp->Set(static_cast<double>(*verified_timestamp_ms) / 1000);
  std::lock_guard lock(impl_->mu);
  impl_->known_position = position;
  impl_->UpdateBacklog();
}

void LogMetrics::Committed(uint64_t position, uint64_t verified_tree_size, std::optional<uint64_t> verified_timestamp_ms,
                           double seconds) {
  impl_->commits_ok->Increment();
  impl_->commit_seconds->Observe(seconds);
  Resumed(position, verified_tree_size, verified_timestamp_ms);
}

void LogMetrics::CommitFailed(double seconds) {
  impl_->commits_failed->Increment();
  impl_->commit_seconds->Observe(seconds);
}

void LogMetrics::Processed(uint64_t entries, uint64_t matched, uint64_t malformed) {
  impl_->processed->Increment(static_cast<double>(entries));
  if (matched > 0) impl_->matched->Increment(static_cast<double>(matched));
  if (malformed > 0) impl_->malformed->Increment(static_cast<double>(malformed));
}

void LogMetrics::Fetched(std::string_view endpoint, int64_t status_code, Code transport, double seconds) {
  if (status_code >= 200 && status_code < 300) {
    impl_->last_response->Set(static_cast<double>(UnixNowMs()) / 1000);
  }
  // outcome: "success" (2xx), "http_error" (another status), or the transport error's code.
  std::string outcome;
  if (status_code == 0) outcome = CodeName(transport);
  else outcome = status_code >= 200 && status_code < 300 ? "success" : "http_error";
  const std::string status = status_code == 0 ? "none" : std::to_string(status_code);
  std::string key = std::string(endpoint) + "|" + outcome + "|" + status;
  std::lock_guard lock(impl_->mu);
  auto c = impl_->fetch_counters.find(key);
  if (c == impl_->fetch_counters.end()) {
    Counter* child = &impl_->m.fetches.Add(
        impl_->With({{"endpoint", std::string(endpoint)}, {"outcome", outcome}, {"status", status}}));
    c = impl_->fetch_counters.emplace(std::move(key), child).first;
  }
  c->second->Increment();
  auto h = impl_->fetch_histograms.find(endpoint);
  if (h == impl_->fetch_histograms.end()) {
    Histogram* child = &impl_->m.fetch_seconds.Add(impl_->With({{"endpoint", std::string(endpoint)}}), RequestBuckets());
    h = impl_->fetch_histograms.emplace(std::string(endpoint), child).first;
  }
  h->second->Observe(seconds);
}

void LogMetrics::RoundSucceeded() { impl_->failures->Set(0); }

void LogMetrics::RoundFailed(Code code, int64_t at_unix_ms) {
  impl_->failures->Increment();
  std::lock_guard lock(impl_->mu);
  // One series per log: the last error's code replaces the one before.
  if (impl_->last_error) impl_->m.last_error.Remove(impl_->last_error);
  impl_->last_error = &impl_->m.last_error.Add(impl_->With({{"code", std::string(CodeName(code))}}));
  impl_->last_error->Set(static_cast<double>(at_unix_ms) / 1000);
}

void LogMetrics::Misbehaved(std::string_view kind) {
  std::lock_guard lock(impl_->mu);
  auto it = impl_->misbehaviour_counters.find(kind);
  if (it == impl_->misbehaviour_counters.end()) {
    Counter* child = &impl_->m.misbehaviours.Add(impl_->With({{"kind", std::string(kind)}}));
    it = impl_->misbehaviour_counters.emplace(std::string(kind), child).first;
  }
  it->second->Increment();
}

}  // namespace pinwatch::alerts
