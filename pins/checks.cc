#include "pins/checks.h"

#include <algorithm>
#include <set>

#include "base/pin.h"
#include "base/time.h"

namespace pinwatch::pins {
namespace {

std::string CountOf(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}

}  // namespace

std::vector<Hash> PinsAfter(const std::vector<Hash>& before, db::ProposalAction action, const Hash& pin) {
  std::vector<Hash> after = before;
  if (action == db::ProposalAction::kAdd) {
    after.push_back(pin);
  } else {
    after.erase(std::remove(after.begin(), after.end(), pin), after.end());
  }
  std::sort(after.begin(), after.end());
  after.erase(std::unique(after.begin(), after.end()), after.end());
  return after;
}

std::vector<Check> SafetyChecks(const PinsetPolicy& policy, const PinsetNames& names, const std::vector<Hash>& before,
                                const std::vector<Hash>& after, const std::vector<db::CertificateFacts>& certs,
                                int64_t now_s) {
  std::vector<Check> out;
  out.push_back({"min_pins", static_cast<int64_t>(after.size()) >= policy.min_pins,
                 CountOf(after.size(), "pin", "pins") + ", at least " + std::to_string(policy.min_pins) + " needed"});

  std::set<Hash> live;  // keys in the chain of a currently valid certificate for the names
  std::vector<const db::CertificateFacts*> unpinned;
  size_t valid_allowed = 0;
  std::set<Hash> rogue;  // keys of unexpected-issuer certificates and of those issuers
  for (const db::CertificateFacts& c : certs) {
    if (!c.parsed || !names.Concerns(c.dns_names)) continue;
    if (c.unexpected_issuer) {
      if (c.spki) rogue.insert(*c.spki);
      if (c.issuer_spki) rogue.insert(*c.issuer_spki);
      continue;
    }
    if (!IsValidAt(c, now_s)) continue;
    if (c.spki) live.insert(*c.spki);
    if (c.issuer_spki) live.insert(*c.issuer_spki);
    live.insert(c.chain_spki.begin(), c.chain_spki.end());
    if (!IsAllowed(c)) continue;
    if (!PinnedBy(c, before)) continue;
    ++valid_allowed;
    if (!PinnedBy(c, after)) unpinned.push_back(&c);
  }

  std::vector<Hash> backups;
  for (const Hash& p : after) {
    if (!live.count(p)) backups.push_back(p);
  }
  out.push_back({"backup_pin", !backups.empty(),
                 backups.empty() ? "every pin is in a currently valid certificate's chain: add a backup key that no "
                                   "certificate uses yet"
                                 : CountOf(backups.size(), "pin", "pins") + " in no valid certificate's chain (" +
                                       PinText(backups.front()) + (backups.size() > 1 ? ", ..." : "") + ")"});

  out.push_back(
      {"valid_certificates_pinned", unpinned.empty(),
       unpinned.empty()
           ? CountOf(valid_allowed, "valid certificate", "valid certificates") + " from allowed issuers pinned now, each still pinned"
           : "the change unpins " + CountOf(unpinned.size(), "valid certificate", "valid certificates") +
                 " (certificate " + std::to_string(unpinned.front()->certificate_id) + " with key " +
                 PinText(*unpinned.front()->spki) + ", valid until " +
                 FormatRfc3339(unpinned.front()->not_after_unix_s) + "): apps would fail on it"});

  std::vector<Hash> bad;
  for (const Hash& p : after) {
    if (rogue.count(p)) bad.push_back(p);
  }
  out.push_back({"no_unexpected_issuer_key", bad.empty(),
                 bad.empty() ? "no pin belongs to an unexpected issuer or its certificates"
                             : PinText(bad.front()) + " is the key of an unexpected issuer or of a certificate it issued"});

  out.push_back({"expiry", policy.expiry_days >= 1 && policy.expiry_days <= 365,
                 "the published set expires " + std::to_string(policy.expiry_days) +
                     " days after publication (at most 365)"});
  return out;
}

bool AllPass(const std::vector<Check>& checks) {
  return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.ok; });
}

std::string FailedChecks(const std::vector<Check>& checks) {
  std::string out;
  for (const Check& c : checks) {
    if (c.ok) continue;
    if (!out.empty()) out += "; ";
    out += c.name + ": " + c.detail;
  }
  return out;
}

}  // namespace pinwatch::pins
