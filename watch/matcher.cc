#include "watch/matcher.h"

#include <unordered_set>

#include "x509/cert_view.h"

namespace pinwatch::watch {
namespace {

using x509::FoundName;
using x509::NameSource;
using x509::TbsView;

std::string_view AsText(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// Collector gathers the watch entries a certificate's names concern, the first one in full.
// Each name costs O(1): a certificate may carry hundreds of thousands of names, each
// concerning another entry of a large watch list, so the entries seen are kept in a set
// rather than searched in the list (issue 19). Nothing is allocated until a name matches.
class Collector {
 public:
  void Add(const std::optional<WatchMatch>& m, Bytes name) {
    if (!m) return;
    if (!match_) {
      match_.emplace();
      match_->watch = *m;
      match_->certificate_name.assign(AsText(name));
    }
    if (seen_.insert(m->entry_index).second) match_->entries.push_back(m->entry_index);
  }
  std::optional<EntryMatch>& match() { return match_; }

 private:
  std::optional<EntryMatch> match_;
  std::unordered_set<uint32_t> seen_;  // == match_->entries, for lookups
};

// MatchTbs looks up every name of a strictly parsed TBSCertificate.
std::optional<EntryMatch> MatchTbs(const WatchList& watch, const TbsView& tbs) {
  Collector found;
  for (Bytes name : tbs.SanDnsNames()) found.Add(watch.MatchName(AsText(name)), name);
  for (const x509::AttributeValueView& cn : tbs.SubjectCommonNames()) found.Add(watch.MatchName(AsText(cn.value)), cn.value);
  for (Bytes address : tbs.SanIpAddresses()) found.Add(watch.MatchIpAddress(address), address);
  if (found.match()) found.match()->tbs = tbs;
  return std::move(found.match());
}

// MatchBestEffort walks a certificate the strict parser refused, as far as it goes.
std::optional<EntryMatch> MatchBestEffort(const WatchList& watch, Bytes der, const Status& error) {
  Collector found;
  x509::WalkNamesBestEffort(der, [&](const FoundName& name) {
    found.Add(name.source == NameSource::kSanIpAddress ? watch.MatchIpAddress(name.value)
                                                       : watch.MatchName(AsText(name.value)),
              name.value);
  });
  if (found.match()) {
    found.match()->malformed = true;
    found.match()->parse_error = error.message();
  }
  return std::move(found.match());
}

}  // namespace

std::optional<EntryMatch> Matcher::Match(const ctlog::LogEntry& entry) {
  ++counters_.entries;
  if (!entry.status.ok()) {
    ++counters_.unreadable;
    return std::nullopt;
  }
  std::optional<EntryMatch> match;
  if (entry.timestamped_entry.entry_type == ctlog::LogEntryType::kPrecertEntry) {
    auto tbs = x509::ParseTbsCertificate(entry.timestamped_entry.tbs_certificate);
    if (tbs.ok()) {
      match = MatchTbs(watch_, *tbs);
    } else {
      ++counters_.unparseable;
      match = MatchBestEffort(watch_, entry.timestamped_entry.tbs_certificate, tbs.status());
    }
  } else {
    auto cert = x509::ParseCertificate(entry.timestamped_entry.certificate);
    if (cert.ok()) {
      match = MatchTbs(watch_, cert->tbs);
    } else {
      ++counters_.unparseable;
      match = MatchBestEffort(watch_, entry.timestamped_entry.certificate, cert.status());
    }
  }
  if (match) ++counters_.matched;
  return match;
}

}  // namespace pinwatch::watch
