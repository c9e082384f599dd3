// Fuzzes ParseLogList (and the RFC 3339 parser under it) with arbitrary bytes.
// Invariants: parsing never crashes; a failure is always kMalformed and names the list; a
// success satisfies every promise ParseLogList documents (log_id == SHA-256(key), unique ids,
// final_tree_head iff readonly, non-empty temporal intervals, https URLs ending in "/"), and
// UnionOfLists/SelectLogs over it agree with those promises.
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

#include "ctlog/loglist.h"

namespace {

using namespace pinwatch;
using namespace pinwatch::ctlog;

void Check(bool invariant) {
  if (!invariant) std::abort();
}

bool GoodUrl(const std::string& url) {
  return url.starts_with("https://") && url.size() > 8 && url.ends_with("/");
}

void CheckLog(const Log& log, LogApi api) {
  Check(Sha256Of(log.key) == log.log_id);
  Check(!log.key.empty());
  Check(log.mmd_seconds >= 1);
  Check(log.api == api);
  Check(GoodUrl(log.submission_url) && GoodUrl(log.monitoring_url));
  if (api == LogApi::kRfc6962) Check(log.submission_url == log.monitoring_url);
  if (log.state) Check(log.state->final_tree_head.has_value() == (log.state->state == LogState::kReadOnly));
  if (log.temporal_interval) Check(log.temporal_interval->start_inclusive_ms < log.temporal_interval->end_exclusive_ms);
  Check(log.list_names == std::vector<std::string>{"fuzz"});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in(data, size);
  // The date-time parser on its own, for short inputs: it must not crash, and a result
  // must lie within years 0000-9999 (minus/plus a day for offsets).
  if (size <= 64) {
    auto ms = ParseRfc3339Ms(std::string_view(reinterpret_cast<const char*>(data), size));
    if (ms) Check(*ms >= -62167305600000 && *ms < 253402387200000);
  }

  auto list = ParseLogList(in, "fuzz");
  if (!list.ok()) {
    Check(list.status().code() == Code::kMalformed);
    Check(list.status().message().starts_with("log list 'fuzz': "));
    return 0;
  }
  size_t total = 0;
  for (const Operator& op : list->operators) {
    for (const Log& log : op.logs) CheckLog(log, LogApi::kRfc6962);
    for (const Log& log : op.tiled_logs) CheckLog(log, LogApi::kStaticCt);
    total += op.logs.size() + op.tiled_logs.size();
  }
  // Ids are unique within a list, so the union of the list with itself keeps every log once.
  std::vector<LogList> twice = {*list, *list};
  auto merged = UnionOfLists(twice);
  Check(merged.ok());
  Check(merged->size() == total);
  for (const Log& log : *merged) Check(log.list_names.size() == 2);
  std::vector<Log> selected = SelectLogs(*merged);
  Check(selected.size() <= merged->size());
  for (const Log& log : selected) {
    Check(log.state && (log.state->state == LogState::kUsable || log.state->state == LogState::kQualified ||
                        log.state->state == LogState::kReadOnly));
  }
  return 0;
}
