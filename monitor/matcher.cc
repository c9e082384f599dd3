#include "monitor/matcher.h"

#include "monitor/cert_view.h"

namespace pinwatch::monitor {
namespace {

std::string_view AsText(Bytes b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

std::optional<EntryMatch> Found(const WatchMatch& m, Bytes name, bool malformed, std::string error) {
  EntryMatch out{.watch = m, .malformed = malformed, .parse_error = std::move(error)};
  out.certificate_name.assign(AsText(name));
  return out;
}

// MatchTbs looks up every name of a strictly parsed TBSCertificate.
std::optional<EntryMatch> MatchTbs(const WatchList& watch, const TbsView& tbs) {
  for (Bytes name : tbs.SanDnsNames()) {
    if (auto m = watch.MatchName(AsText(name))) return Found(*m, name, false, {});
  }
  for (const AttributeValueView& cn : tbs.SubjectCommonNames()) {
    if (auto m = watch.MatchName(AsText(cn.value))) return Found(*m, cn.value, false, {});
  }
  for (Bytes address : tbs.SanIpAddresses()) {
    if (auto m = watch.MatchIpAddress(address)) return Found(*m, address, false, {});
  }
  return std::nullopt;
}

// MatchBestEffort walks a certificate the strict parser refused, as far as it goes.
std::optional<EntryMatch> MatchBestEffort(const WatchList& watch, Bytes der, const Status& error) {
  std::optional<EntryMatch> found;
  WalkNamesBestEffort(der, [&](const FoundName& name) {
    if (found) return;
    std::optional<WatchMatch> m = name.source == NameSource::kSanIpAddress
                                      ? watch.MatchIpAddress(name.value)
                                      : watch.MatchName(AsText(name.value));
    if (m) found = Found(*m, name.value, true, error.message());
  });
  return found;
}

}  // namespace

std::optional<EntryMatch> Matcher::Match(const ctlog::LogEntry& entry) {
  ++counters_.entries;
  if (!entry.status.ok()) {
    ++counters_.unreadable;
    return std::nullopt;
  }
  std::optional<EntryMatch> match;
  if (entry.entry.entry_type == ctlog::LogEntryType::kPrecertEntry) {
    auto tbs = ParseTbsCertificate(entry.entry.tbs_certificate);
    if (tbs.ok()) {
      match = MatchTbs(watch_, *tbs);
    } else {
      ++counters_.unparseable;
      match = MatchBestEffort(watch_, entry.entry.tbs_certificate, tbs.status());
    }
  } else {
    auto cert = ParseCertificate(entry.entry.certificate);
    if (cert.ok()) {
      match = MatchTbs(watch_, cert->tbs);
    } else {
      ++counters_.unparseable;
      match = MatchBestEffort(watch_, entry.entry.certificate, cert.status());
    }
  }
  if (match) ++counters_.matched;
  return match;
}

}  // namespace pinwatch::monitor
