// Fuzzes WatchList against a plain reference loop over the entries. Input: lines separated by
// '\n'; every line but the last is a watch entry ("+" prefix: include_subdomains), the last
// line is a certificate name (any bytes but '\n'). Invariants: Create fails only with
// kMalformed and a message naming the entry; MatchName gives exactly the entry and reason the
// reference (the rules in watch/watchlist.h, written out as one loop per rule) gives.
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "watch/watchlist.h"

namespace {

using pinwatch::watch::MatchReason;
using pinwatch::watch::WatchEntry;
using pinwatch::watch::WatchList;
using pinwatch::watch::WatchMatch;
using pinwatch::watch::WatchScope;

std::string_view ParentOf(std::string_view name) {
  size_t dot = name.find('.');
  return dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
}

// Reference is the header's rules, entry by entry, with no index.
std::optional<WatchMatch> Reference(const WatchList& list, std::string_view raw) {
  if (!raw.empty() && raw.back() == '.') raw.remove_suffix(1);
  if (raw.empty() || raw.size() > pinwatch::x509::kMaxHostnameBytes) return std::nullopt;
  std::string name(raw);
  for (char& c : name) c = pinwatch::x509::AsciiLowercase(c);
  const size_t first_dot = name.find('.');
  const bool wildcard = name.substr(0, first_dot).find('*') != std::string::npos;
  const std::string_view parent = ParentOf(name);

  if (wildcard) {  // rule 3: lowest-index entry one label below the parent
    for (uint32_t i = 0; i < list.size(); ++i) {
      const std::string& w = list.canonical_name(i);
      if (!parent.empty() && ParentOf(w) == parent && !pinwatch::x509::ParseIpAddressLiteral(w)) {
        return WatchMatch{.entry_index = i, .reason = MatchReason::kWildcardCovers};
      }
    }
  }
  std::optional<WatchMatch> best;
  size_t best_size = 0;
  int best_rank = -1;  // at the same name: exact (2) before include_subdomains (1)
  for (uint32_t i = 0; i < list.size(); ++i) {
    const std::string& w = list.canonical_name(i);
    if (pinwatch::x509::ParseIpAddressLiteral(w)) continue;
    const bool subtree = list.scope(i) == WatchScope::kIncludeSubdomains;
    std::optional<MatchReason> reason;
    if (!wildcard && name == w) {
      reason = MatchReason::kSameName;  // rule 1
    } else if (subtree && name.size() > w.size() && name.ends_with(w) && name[name.size() - w.size() - 1] == '.') {
      reason = MatchReason::kSubdomain;  // rule 2
    }
    if (!reason) continue;
    const int rank = subtree ? 1 : 2;
    if (w.size() > best_size || (w.size() == best_size && rank > best_rank)) {
      best = WatchMatch{.entry_index = i, .reason = *reason};
      best_size = w.size();
      best_rank = rank;
    }
  }
  return best;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::vector<WatchEntry> entries;
  size_t newline;
  while ((newline = in.find('\n')) != std::string_view::npos) {
    std::string_view line = in.substr(0, newline);
    in.remove_prefix(newline + 1);
    WatchEntry entry;
    if (line.starts_with("+")) {
      line.remove_prefix(1);
      entry.scope = WatchScope::kIncludeSubdomains;
    }
    entry.name = std::string(line);
    entries.push_back(std::move(entry));
  }
  const std::string_view certificate_name = in;

  pinwatch::Result<WatchList> list = WatchList::Create(entries);
  if (!list.ok()) {
    if (list.status().code() != pinwatch::Code::kMalformed) std::abort();
    if (!list.status().message().starts_with("watch entry ")) std::abort();
    return 0;
  }
  std::optional<WatchMatch> got = list->MatchName(certificate_name);
  if (got != Reference(*list, certificate_name)) std::abort();
  std::string_view names[] = {"", certificate_name};  // "" never matches
  std::optional<WatchMatch> any = list->MatchAny(names);
  if (got.has_value() != any.has_value()) std::abort();
  if (any && (any->name_index != 1 || any->entry_index != got->entry_index)) std::abort();
  return 0;
}
