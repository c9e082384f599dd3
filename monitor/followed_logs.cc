#include "monitor/followed_logs.h"

#include "base/encoding.h"
#include "base/file.h"
#include "base/time.h"
#include "ctlog/loglist.h"
#include "net/http.h"

namespace pinwatch::monitor {

namespace {

// ReadList reads a log list, or its signature (`what`), from a file or an http(s) URL.
Result<std::string> ReadList(const std::string& where, const std::string& what, size_t max_bytes) {
  if (where.starts_with("https://") || where.starts_with("http://")) {
    net::HttpOptions options;
    options.max_response_bytes = max_bytes;
    net::HttpClient http(options);
    auto response = http.Get(where);
    if (!response.ok()) return Status(response.status().code(), what + " " + where + ": " + response.status().message());
    if (Status s = net::CheckHttpStatus(*response, what + " " + where); !s.ok()) return s;
    return std::move(response->body);
  }
  return ReadFile(where, what, max_bytes);
}

Bytes BytesOf(const std::string& text) { return Bytes(reinterpret_cast<const uint8_t*>(text.data()), text.size()); }

// CheckListSignature refuses `list` (read from `where`) unless its detached signature
// verifies with one of `keys` (PEM texts of logs.list_public_keys).
Status CheckListSignature(const std::string& where, const std::string& list, const std::vector<std::string>& keys) {
  const std::string sig_where = ctlog::LogListSignatureLocation(where);
  auto signature = ReadList(sig_where, "log list signature", ctlog::kMaxLogListSignatureBytes);
  if (!signature.ok()) {
    return FailedPreconditionError("log list " + where + ": refused: its signature could not be read (" +
                                   signature.status().message() + ")");
  }
  std::string why;
  for (const std::string& key : keys) {
    Status s = ctlog::VerifyLogListSignature(BytesOf(list), BytesOf(*signature), BytesOf(key));
    if (s.ok()) return OkStatus();
    if (s.code() == Code::kFailedPrecondition) return FailedPreconditionError("logs.list_public_keys: " + s.message());
    why = s.message();
  }
  return FailedPreconditionError("log list " + where + ": refused: the signature " + sig_where +
                                 " does not verify with any of logs.list_public_keys (" + why + ")");
}

db::LogRecord RecordOf(const ctlog::Log& log) {
  db::LogRecord r;
  r.log_id = log.log_id;
  r.description = log.description.empty() ? Base64Encode(log.log_id) : log.description;
  r.api = log.api;
  r.url = log.monitoring_url;
  r.submission_url = log.submission_url;
  r.key = log.key;
  r.mmd_seconds = log.mmd_seconds;
  r.state = log.state ? std::string(ctlog::LogStateName(log.state->state)) : "";
  return r;
}

}  // namespace

Result<std::vector<db::LogRecord>> LoadFollowedLogs(const LogsConfig& config) {
  std::vector<std::string> keys;
  for (const std::string& path : config.list_public_keys) {
    auto pem = ReadFile(path, "logs.list_public_keys", 64 * 1024);
    if (!pem.ok()) return FailedPreconditionError(pem.status().message());
    keys.push_back(*std::move(pem));
  }
  std::vector<ctlog::LogList> lists;
  for (const std::string& where : config.lists) {
    auto text = ReadList(where, "log list", ctlog::kMaxLogListSizeBytes);
    if (!text.ok()) return text.status();
    // Checked before parsing: an unsigned list's bytes are not read at all.
    if (!keys.empty()) {
      if (Status s = CheckListSignature(where, *text, keys); !s.ok()) return s;
    }
    auto list = ctlog::ParseLogList(BytesOf(*text), where, {.plain_http_hosts = config.plain_http_hosts});
    if (!list.ok()) return FailedPreconditionError(list.status().message());
    lists.push_back(std::move(*list));
  }
  auto all = ctlog::UnionOfLists(lists);
  if (!all.ok()) return all.status();
  std::vector<ctlog::Log> chosen = ctlog::SelectLogs(*all, config.states);
  std::vector<db::LogRecord> out;
  out.reserve(chosen.size());
  for (const ctlog::Log& log : chosen) out.push_back(RecordOf(log));
  return out;
}

FollowedLogs::FollowedLogs(const LogsConfig& config, db::LogStateStore& store, LogLine log_line,
                           alerts::Metrics& metrics)
    : config_(config), store_(store), log_line_(std::move(log_line)), metrics_(metrics) {}

Result<size_t> FollowedLogs::Start(OnFailure on_failure) {
  last_attempt_ = std::chrono::steady_clock::now();
  Status failed = ReadAndApply();
  if (failed.ok()) return followed_.size();
  if (on_failure == OnFailure::kFail) return failed;
  auto known = store_.ListLogStatus();
  if (!known.ok()) return failed;
  for (const db::LogStatus& log : *known) {
    if (log.followed) followed_.insert(log.log.log_id);
  }
  if (followed_.empty()) return failed;  // nothing to keep: a fresh database
  Failed(failed);
  metrics_.SetLogsFollowed(followed_.size());
  return followed_.size();
}

bool FollowedLogs::RefreshIfDue(std::chrono::steady_clock::time_point now) {
  if (config_.list_refresh_interval_s == 0 || now - last_attempt_ < std::chrono::seconds(config_.list_refresh_interval_s)) {
    return false;
  }
  last_attempt_ = now;
  const std::set<ctlog::LogId> before = followed_;
  if (Status s = ReadAndApply(); !s.ok()) {
    Failed(s);
    return false;
  }
  return followed_ != before;
}

Status FollowedLogs::ReadAndApply() {
  auto logs = LoadFollowedLogs(config_);
  if (!logs.ok()) return logs.status();
  if (Status s = store_.SyncLogs(*logs); !s.ok()) return s;
  std::set<ctlog::LogId> now;
  for (const db::LogRecord& log : *logs) now.insert(log.log_id);
  if (!followed_.empty() && now != followed_) {
    size_t added = 0, retired = 0;
    for (const ctlog::LogId& id : now) added += followed_.count(id) == 0;
    for (const ctlog::LogId& id : followed_) retired += now.count(id) == 0;
    log_line_("log lists: now following " + std::to_string(now.size()) + " logs (" + std::to_string(added) +
              " new, " + std::to_string(retired) + " no longer listed)");
  } else if (!last_failure_.empty()) {
    log_line_("log lists: read again, following " + std::to_string(now.size()) + " logs");
  }
  followed_ = std::move(now);
  last_failure_.clear();
  metrics_.SetLogsFollowed(followed_.size());
  metrics_.SetLogListsRead(UnixNowMs() / 1000);
  return OkStatus();
}

void FollowedLogs::Failed(const Status& why) {
  if (why.message() == last_failure_) return;
  last_failure_ = why.message();
  log_line_(why.message() + "; the previous reading stays in force (" + std::to_string(followed_.size()) + " logs)");
}

}  // namespace pinwatch::monitor
