#include "monitor/worker.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "base/encoding.h"
#include "ctlog/entry_decoder.h"
#include "ctlog/scanner.h"
#include "ctlog/sha256.h"
#include "monitor/policy.h"

namespace pinwatch::monitor {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxCachedIssuers = 4096;

std::string FormatDuration(double seconds) {
  if (seconds < 0 || seconds > 1e9) return "?";
  const auto s = static_cast<uint64_t>(seconds + 0.5);
  char buf[64];
  if (s >= 3600) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, (s / 60) % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
  } else {
    std::snprintf(buf, sizeof buf, "%" PRIu64 "s", s);
  }
  return buf;
}

db::CertificateRecord RecordOf(const CertIdentity& id, const ctlog::LogEntry& entry) {
  db::CertificateRecord c;
  c.tbs_sha256 = id.tbs_identity_hash;
  c.dns_names = id.dns_names;
  c.ip_addresses = id.ip_addresses;
  c.subject = id.subject_utf8;
  c.issuer = id.issuer_utf8;
  c.serial = id.serial_hex;
  c.not_before_unix_s = id.not_before_unix_s;
  c.not_after_unix_s = id.not_after_unix_s;
  c.spki_sha256 = id.spki_sha256;
  c.issuer_spki_sha256 = id.issuer_spki_sha256;
  c.key_type = std::string(KeyTypeName(id.key_type));
  c.key_bits = id.key_bits;
  c.ec_curve = id.ec_curve;
  if (entry.entry.entry_type == ctlog::LogEntryType::kX509Entry) {
    c.der_kind = "certificate";
    c.der.assign(entry.entry.certificate.begin(), entry.entry.certificate.end());
  } else if (!entry.pre_certificate.empty()) {
    c.der_kind = "precertificate";
    c.der.assign(entry.pre_certificate.begin(), entry.pre_certificate.end());
  } else {
    c.der_kind = "tbs";
    c.der.assign(entry.entry.tbs_certificate.begin(), entry.entry.tbs_certificate.end());
  }
  return c;
}

}  // namespace

Result<Watch> MakeWatch(const std::vector<WatchConfig>& entries) {
  std::vector<WatchEntry> list;
  list.reserve(entries.size());
  for (const WatchConfig& w : entries) {
    list.push_back({w.name, w.include_subdomains ? WatchScope::kIncludeSubdomains : WatchScope::kExactName});
  }
  auto index = WatchList::Create(list);
  if (!index.ok()) return FailedPreconditionError("watch: " + index.status().message());
  return Watch{entries, std::move(*index)};
}

Result<std::unique_ptr<ctlog::LogSource>> LogSourceFor(
    const db::LogRecord& log, const LogsConfig& config, const StopSignal* stop,
    std::function<void(const Status&, std::chrono::milliseconds)> on_retry) {
  auto key = ctlog::LogKey::Create(log.key);
  if (!key.ok()) return FailedPreconditionError(log.description + ": log key: " + key.status().message());
  ctlog::LogSourceOptions options;
  options.entries_per_request = config.entries_per_request;
  options.max_requests_in_flight = config.requests_in_flight;
  options.request_timeout_ms = config.request_timeout_ms;
  options.low_speed_bytes_per_s = config.low_speed_bytes_per_s;
  options.low_speed_time_ms = config.low_speed_time_ms;
  options.retry.on_retry = std::move(on_retry);
  options.stop = stop;
  if (log.api == ctlog::LogApi::kRfc6962) return ctlog::NewRfc6962Source(log.url, *key, options);
  return ctlog::NewStaticCtSource(log.url, ctlog::DefaultOrigin(log.submission_url), *key, options);
}

LogWorker::LogWorker(db::LogRecord log, const Config& config, const Watch& watch, MatchPool& pool,
                     std::unique_ptr<db::Store> store, std::string replica_id, const StopSignal& stop,
                     DatabaseOutage& outage, LogLine log_line)
    : log_(std::move(log)),
      config_(config),
      watch_(watch),
      store_(std::move(store)),
      replica_id_(std::move(replica_id)),
      stop_(stop),
      outage_(outage),
      log_line_(std::move(log_line)),
      pool_(pool) {}

LogWorker::~LogWorker() = default;

std::chrono::milliseconds LogWorker::PollInterval() const {
  if (config_.logs.poll_interval_ms > 0) return std::chrono::milliseconds(config_.logs.poll_interval_ms);
  // Well under the MMD: a tenth of it, between 1 s and 60 s.
  const int64_t ms = static_cast<int64_t>(std::min<uint64_t>(log_.mmd_seconds, 600)) * 100;
  return std::chrono::milliseconds(std::clamp<int64_t>(ms, 1000, 60'000));
}

template <class R>
R LogWorker::Database(R result) {
  if (!result.ok()) {
    database_error_ = true;
  } else {
    outage_.Recovered();  // says so once, the first time a call succeeds after an outage
  }
  return result;
}

void LogWorker::ReportRetry(const Status& failure, std::chrono::milliseconds delay) {
  // A slow, stalled or failing log is said at once, then at most every kRetryReportInterval
  // (a 429 storm would otherwise write a line per request).
  constexpr auto kRetryReportInterval = std::chrono::seconds(30);
  const auto now = Clock::now();
  if (last_retry_report_ != Clock::time_point{} && now - last_retry_report_ < kRetryReportInterval) return;
  last_retry_report_ = now;
  char wait[32];
  std::snprintf(wait, sizeof wait, "%.1f", std::chrono::duration<double>(delay).count());
  log_line_(log_.description + ": " + failure.ToString() + "; retrying in " + wait + " s");
  Status recorded = store_->RecordError(log_.log_id, failure.ToString() + " (retrying)");
  (void)recorded;  // status is a report; the fetch goes on either way
}

Result<std::optional<ctlog::Misbehaviour>> LogWorker::Start(ctlog::LogSource& source) {
  auto answer = source.FetchTreeHead();
  if (!answer.ok()) return answer.status();
  if (!answer->signature.ok()) {
    // The first head the log shows us is a lie: evidence, and nothing is fetched under it.
    return std::optional<ctlog::Misbehaviour>(ctlog::Misbehaviour{.kind = ctlog::Misbehaviour::Kind::kBadTreeHeadSignature,
                                                                  .detail = answer->signature.message(),
                                                                  .tree_head = answer->head});
  }
  const ctlog::SignedTreeHead& head = answer->head;
  if (config_.logs.start == StartPosition::kEnd) {
    auto range = source.TreeRangeAt(head);
    if (!range.ok()) {
      if (range.status().code() != Code::kMisbehaviour) return range.status();
      return std::optional<ctlog::Misbehaviour>(ctlog::Misbehaviour{
          .kind = ctlog::Misbehaviour::Kind::kRootMismatch, .detail = range.status().message(), .tree_head = head});
    }
    verifier_.emplace(std::move(*range), head);
    started_at_end_ = true;
    log_line_(log_.description + ": new log, starting at its tree head (" + std::to_string(head.tree_size) +
              " entries, root verified)");
  } else {
    verifier_.emplace(ctlog::CompactRange(), std::nullopt);
    log_line_(log_.description + ": new log, starting at entry 0 of " + std::to_string(head.tree_size));
  }
  round_head_ = head;
  committed_position_.reset();
  committed_verified_head_.reset();
  if (Status s = CommitPending(/*final_commit=*/true); !s.ok()) return s;
  return std::optional<ctlog::Misbehaviour>();
}

Result<RoundResult> LogWorker::RecordMisbehaviour(const ctlog::Misbehaviour& m,
                                                  std::optional<db::LogCheckpoint> rewind) {
  pending_.clear();  // entries past the verified size are not trusted; they are fetched again
  log_line_(log_.description + ": LOG MISBEHAVIOUR " + std::string(ctlog::KindName(m.kind)) + ": " + m.detail +
            (rewind ? " (position back to " + std::to_string(rewind->position()) + ")" : " (nothing fetched)"));
  Status s = Database(store_->RecordMisbehaviour(replica_id_, log_.log_id, m, rewind));
  verifier_.reset();
  if (!s.ok()) return s;
  round_.misbehaviour = true;
  return round_;
}

Status LogWorker::CommitPending(bool final_commit) {
  const uint64_t position = verifier_->pending_end();
  const bool verified_changed = verifier_->verified_head() != committed_verified_head_;
  if (committed_position_ && position == *committed_position_ && pending_.empty() && !verified_changed &&
      !final_commit) {
    return OkStatus();
  }
  db::BatchCommit batch;
  batch.log_id = log_.log_id;
  batch.from_position = committed_position_;
  batch.checkpoint = {verifier_->pending_range(), verifier_->verified_range(), verifier_->verified_head()};
  batch.matches = std::move(pending_);
  pending_.clear();
  if (round_head_) batch.latest_tree_size = round_head_->tree_size;
  batch.started_at_end = started_at_end_;
  Status s = Database(store_->Commit(replica_id_, batch));
  if (!s.ok()) return s;
  if (committed_position_) round_.entries += position - *committed_position_;
  committed_position_ = position;
  committed_verified_head_ = verifier_->verified_head();
  last_commit_ = Clock::now();
  return OkStatus();
}

void LogWorker::Process(const ctlog::LogEntry& entry, const EntryMatch& match) {
  db::MatchedEntry m;
  m.index = entry.index;
  m.entry_type = entry.entry.entry_type;
  m.timestamp_ms = entry.entry.timestamp_ms;
  ++round_.matches;

  Result<CertIdentity> identity = MalformedError(match.parse_error);
  std::string chain_note;
  if (!match.malformed) {
    std::vector<uint8_t> scratch;
    auto full = ctlog::WithExtraData(entry, scratch);
    // A chain that cannot be read does not make the certificate malformed: its identity
    // comes from the certificate, and the issuer is then unknown (x509) or known from the
    // leaf's issuer_key_hash (precert).
    ctlog::LogEntry without_chain = entry;
    if (!full.ok()) {
      chain_note = "; chain not read: " + full.status().message();
      without_chain.extra_data_b64 = {};
    }
    IssuerLookup lookup = [&](const ctlog::Hash& fingerprint) -> std::optional<Bytes> {
      for (const auto& [fp, der] : issuers_) {
        if (fp == fingerprint) return Bytes(der);
      }
      if (!issuer_source_) return std::nullopt;
      auto der = issuer_source_->Issuer(fingerprint);
      if (!der.ok()) return std::nullopt;  // the chain link is then kMissing: the policy says so
      if (issuers_.size() >= kMaxCachedIssuers) issuers_.erase(issuers_.begin());
      issuers_.emplace_back(fingerprint, std::move(*der));
      return Bytes(issuers_.back().second);
    };
    identity = ComputeEntryIdentity(full.ok() ? *full : without_chain, lookup);
  }

  const uint32_t first_watch = match.watch.entry_index;
  if (!identity.ok()) {
    // Could concern a watched name, cannot be parsed: keep the raw bytes, never drop it.
    Bytes raw = entry.entry.entry_type == ctlog::LogEntryType::kX509Entry ? entry.entry.certificate
                                                                          : entry.entry.tbs_certificate;
    db::CertificateRecord& c = m.certificate;
    c.parsed = false;
    c.parse_error = identity.status().message();
    c.tbs_sha256 = ctlog::Sha256Of(raw);
    c.dns_names = {match.certificate_name};
    c.der_kind = "raw";
    c.der.assign(raw.begin(), raw.end());
    const WatchConfig& w = watch_.entries[first_watch];
    m.findings.push_back({std::string(FindingKindName(FindingKind::kMalformed)),
                          std::string(SeverityName(SeverityOf(FindingKind::kMalformed))), w.name,
                          "certificate naming " + match.certificate_name + " does not parse: " + c.parse_error});
  } else {
    m.certificate = RecordOf(*identity, entry);
    // Every watch entry the certificate concerns gets its own verdict.
    std::vector<uint32_t> concerned = {first_watch};
    for (const std::string& name : identity->dns_names) {
      if (auto w = watch_.list.MatchName(name)) {
        if (std::find(concerned.begin(), concerned.end(), w->entry_index) == concerned.end()) {
          concerned.push_back(w->entry_index);
        }
      }
    }
    for (uint32_t index : concerned) {
      const WatchConfig& w = watch_.entries[index];
      Verdict v = Judge(w, *identity);
      m.findings.push_back({std::string(FindingKindName(v.kind)), std::string(SeverityName(SeverityOf(v.kind))),
                            w.name, v.reason + chain_note});
    }
  }
  pending_.push_back(std::move(m));
}

Result<RoundResult> LogWorker::Round() {
  round_ = {};
  round_start_ = last_progress_ = last_commit_ = Clock::now();
  round_head_.reset();
  pending_.clear();
  database_error_ = false;
  auto fail = [&](Status s) -> Status {
    verifier_.reset();  // the database is the truth: reload it next round
    pending_.clear();
    if (!stop_.stopped() && !database_error_) {
      Status recorded = store_->RecordError(log_.log_id, s.ToString());
      (void)recorded;  // the original error matters more
    }
    return s;
  };

  if (!source_) {
    auto on_retry = [this](const Status& failure, std::chrono::milliseconds delay) { ReportRetry(failure, delay); };
    auto source = LogSourceFor(log_, config_.logs, &stop_, on_retry);
    if (!source.ok()) return fail(source.status());
    source_ = std::move(*source);
    if (log_.api == ctlog::LogApi::kStaticCt) {
      auto second = LogSourceFor(log_, config_.logs, &stop_, on_retry);
      if (second.ok()) issuer_source_ = std::move(*second);
    }
  }
  if (!verifier_) {
    auto progress = Database(store_->LoadProgress(log_.log_id));
    if (!progress.ok()) return fail(progress.status());
    if (!progress->position) {
      auto started = Start(*source_);
      if (!started.ok()) return fail(started.status());
      if (*started) return RecordMisbehaviour(**started, std::nullopt);
    } else {
      if (progress->pending_range.end() < progress->verified_range.end()) {
        return fail(InternalError(log_.description + ": stored position is behind the verified size"));
      }
      verifier_.emplace(std::move(progress->verified_range), progress->verified_head,
                        std::move(progress->pending_range));
      committed_position_ = progress->position;
      committed_verified_head_ = progress->verified_head;
      started_at_end_ = false;
      log_line_(log_.description + ": resuming at entry " + std::to_string(*committed_position_) + " (verified to " +
                std::to_string(verifier_->verified_end()) + ")");
    }
  }
  round_start_position_ = verifier_->pending_end();

  ctlog::ScanOptions options;
  options.on_tree_head = [&](const ctlog::SignedTreeHead& head) { round_head_ = head; };
  // Told to stop, commit what is complete: every entry handed to the sink was processed.
  // (When the stop interrupted a transfer, Scan calls this before it rewinds the verifier.)
  options.before_rewind = [&] {
    if (stop_.stopped()) (void)CommitPending(false);  // on failure: replayed next time
  };
  const uint64_t commit_every = config_.run.commit_every_entries;
  const auto commit_interval = std::chrono::milliseconds(config_.run.commit_interval_ms);
  const auto progress_interval = std::chrono::seconds(config_.run.progress_interval_s);
  auto scanned = ctlog::Scan(*source_, *verifier_, [&](std::span<const ctlog::LogEntry> batch) -> Status {
    // Matching fans out over the pool; the few matches are processed here, in log order.
    std::vector<std::optional<EntryMatch>> matches = pool_.MatchBatch(watch_.list, batch);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (matches[i]) Process(batch[i], *matches[i]);
    }
    const auto now = Clock::now();
    const uint64_t position = verifier_->pending_end();
    if (round_head_ && now - last_progress_ >= progress_interval) {
      last_progress_ = now;
      const double seconds = std::chrono::duration<double>(now - round_start_).count();
      const double rate = seconds > 0 ? static_cast<double>(position - round_start_position_) / seconds : 0;
      const uint64_t size = std::max<uint64_t>(round_head_->tree_size, 1);
      char line[256];
      std::snprintf(line, sizeof line, ": backfill %" PRIu64 "/%" PRIu64 " entries (%.1f%%), %.0f entries/s, ETA %s",
                    position, round_head_->tree_size, 100.0 * static_cast<double>(position) / static_cast<double>(size),
                    rate, FormatDuration(rate > 0 ? static_cast<double>(round_head_->tree_size - position) / rate : -1).c_str());
      log_line_(log_.description + line);
    }
    if (stop_.stopped()) return Status(Code::kAborted, "stopping");
    if (position - committed_position_.value_or(0) >= commit_every || now - last_commit_ >= commit_interval) {
      if (Status s = CommitPending(false); !s.ok()) return s;
    }
    return OkStatus();
  }, options);
  if (!scanned.ok()) return fail(scanned.status());

  if (scanned->misbehaviour) {
    return RecordMisbehaviour(*scanned->misbehaviour,
                              db::LogCheckpoint{verifier_->pending_range(), verifier_->verified_range(),
                                                verifier_->verified_head()});
  }
  if (Status s = CommitPending(/*final_commit=*/round_head_.has_value()); !s.ok()) return fail(s);
  round_.caught_up = !round_head_ || verifier_->pending_end() >= round_head_->tree_size;
  if (round_.entries > 0 || (round_.caught_up && round_head_ && !announced_head_)) {
    announced_head_ = round_.caught_up;
    const double seconds = std::chrono::duration<double>(Clock::now() - round_start_).count();
    char line[200];
    std::snprintf(line, sizeof line, ": %" PRIu64 " entries to %" PRIu64 " in %.1f s (%.0f entries/s), %" PRIu64
                  " matched, verified to %" PRIu64,
                  round_.entries, verifier_->pending_end(), seconds,
                  seconds > 0 ? static_cast<double>(round_.entries) / seconds : 0.0, round_.matches,
                  verifier_->verified_end());
    log_line_(log_.description + line +
              (round_.caught_up && round_head_ ? ", at tree head " + std::to_string(round_head_->tree_size) : ""));
  }
  return round_;
}

FollowResult LogWorker::Follow(bool once) {
  constexpr auto kFirstBackoff = std::chrono::milliseconds(1000);
  constexpr auto kMaxBackoff = std::chrono::milliseconds(300'000);
  FollowResult out;
  auto backoff = kFirstBackoff;
  while (!stop_.stopped()) {
    auto round = Round();
    out.entries += round_.entries;  // what was committed counts, even if the round failed later
    out.matches += round_.matches;
    out.at_head = round.ok() && round->caught_up;
    out.misbehaviour = round.ok() && round->misbehaviour;
    if (round.ok()) {
      backoff = kFirstBackoff;
      if (once && (round->caught_up || round->misbehaviour)) return out;
      if (round->caught_up || round->misbehaviour) stop_.WaitFor(PollInterval());
      continue;
    }
    if (stop_.stopped()) break;
    const Status& s = round.status();
    if (database_error_ && IsDatabaseDown(s)) {
      // Not this log's fault: say it once for everyone, and look again soon rather than
      // backing off, so work resumes within a second of the database's return.
      outage_.Failed(s);
      if (once) {
        out.status = s;
        return out;
      }
      stop_.WaitFor(kDatabaseProbeInterval);
      continue;
    }
    log_line_(log_.description + ": " + s.ToString());
    if (once || s.code() == Code::kAborted || s.code() == Code::kFailedPrecondition) {
      out.status = s;
      return out;
    }
    stop_.WaitFor(backoff);
    backoff = std::min(backoff * 2, kMaxBackoff);
  }
  out.stopped = true;
  out.status = Status(Code::kAborted, "stopped");
  return out;
}

}  // namespace pinwatch::monitor
