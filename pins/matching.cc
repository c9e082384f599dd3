#include "pins/matching.h"

#include <algorithm>
#include <set>
#include <string_view>

#include "base/pin.h"

namespace pinwatch::pins {

Result<PinsetNames> PinsetNames::Create(const std::vector<std::string>& names, bool include_subdomains) {
  std::vector<watch::WatchEntry> entries;
  for (const std::string& n : names) {
    entries.push_back({n, include_subdomains ? watch::WatchScope::kIncludeSubdomains : watch::WatchScope::kExactName});
  }
  Result<watch::WatchList> list = watch::WatchList::Create(entries);
  if (!list.ok()) return list.status();
  return PinsetNames(*std::move(list));
}

bool PinsetNames::Concerns(const std::vector<std::string>& certificate_names) const {
  return std::any_of(certificate_names.begin(), certificate_names.end(),
                     [&](const std::string& n) { return list_.MatchName(n).has_value(); });
}

bool PinnedBy(const db::CertificateFacts& c, const std::vector<Hash>& pins) {
  const auto pinned = [&](const Hash& h) { return std::find(pins.begin(), pins.end(), h) != pins.end(); };
  if (c.spki && pinned(*c.spki)) return true;
  if (c.issuer_spki && pinned(*c.issuer_spki)) return true;
  return std::any_of(c.chain_spki.begin(), c.chain_spki.end(), pinned);
}

bool IsValidAt(const db::CertificateFacts& c, int64_t now_s) {
  return c.not_before_unix_s <= now_s && now_s <= c.not_after_unix_s;
}

std::vector<std::string> CaPinsOf(const std::vector<db::CertificateFacts>& certs) {
  std::set<std::string> out;
  for (const db::CertificateFacts& c : certs) {
    if (c.issuer_spki) out.insert(PinText(*c.issuer_spki));
    for (const Hash& h : c.chain_spki) out.insert(PinText(h));
  }
  return {out.begin(), out.end()};
}

bool IsAllowed(const db::CertificateFacts& c) { return c.parsed && c.spki && !c.unexpected_issuer && !c.malformed; }

}  // namespace pinwatch::pins
