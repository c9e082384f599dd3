// Which stored certificates a pin-set is about: those with a name its apps connect to.
// The watch list's matching rules (watch/watchlist.h) decide, so a wildcard certificate
// counts for the names it covers exactly as it does for findings.
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "db/pin_store.h"
#include "pins/pinset.h"
#include "watch/watchlist.h"

namespace pinwatch::pins {

class PinsetNames {
 public:
  // Create indexes the pin-set's names (with its include_subdomains); kMalformed for a
  // name the watch list refuses (the configuration has checked them already).
  static Result<PinsetNames> Create(const std::vector<std::string>& names, bool include_subdomains);
  // Concerns says whether a certificate with these dNSNames is served for one of the names.
  bool Concerns(const std::vector<std::string>& certificate_names) const;

 private:
  explicit PinsetNames(watch::WatchList list) : list_(std::move(list)) {}
  watch::WatchList list_;
};

// PinnedBy says whether the certificate's chain holds one of `pins`: its own key, its
// issuer's or one above (a pin on any certificate of the chain passes, as apps check).
bool PinnedBy(const db::CertificateFacts& c, const std::vector<Hash>& pins);

// IsValidAt says whether the certificate is valid at `now_s` (notBefore <= now <= notAfter).
bool IsValidAt(const db::CertificateFacts& c, int64_t now_s);

// IsAllowed says whether the policy accepted the certificate's issuer: parsed, with a key,
// and no finding about it says unexpected_issuer or malformed. Only such keys are pinned.
bool IsAllowed(const db::CertificateFacts& c);

// CaPinsOf is the "sha256/" pins of every CA key in a stored chain (issuers and above),
// sorted and once each: the exports that keep CA pins apart (iOS ATS) ask for them.
std::vector<std::string> CaPinsOf(const std::vector<db::CertificateFacts>& certs);

}  // namespace pinwatch::pins
