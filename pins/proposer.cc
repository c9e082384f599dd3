#include "pins/proposer.h"

#include <algorithm>
#include <map>
#include <set>

#include "base/pin.h"
#include "pins/matching.h"

namespace pinwatch::pins {
namespace {

std::string NamesOf(const db::CertificateFacts& c) {
  std::string out;
  for (size_t i = 0; i < c.dns_names.size() && i < 3; ++i) out += (i ? ", " : "") + c.dns_names[i];
  if (c.dns_names.size() > 3) out += ", ...";
  return out;
}

}  // namespace

ProposalPlan PlanProposals(const PinsetPolicy& policy, const db::PinsetVersion& current,
                           const std::vector<db::CertificateFacts>& certs, const std::vector<db::Proposal>& pending,
                           int64_t now_s) {
  ProposalPlan plan;
  Result<PinsetNames> names = PinsetNames::Create(current.names, current.include_subdomains);
  if (!names.ok()) return plan;
  const std::vector<Hash>& pins = current.pins;
  const auto pinned = [&](const Hash& h) { return std::find(pins.begin(), pins.end(), h) != pins.end(); };

  std::vector<const db::CertificateFacts*> relevant;
  for (const db::CertificateFacts& c : certs) {
    if (c.parsed && names->Concerns(c.dns_names)) relevant.push_back(&c);
  }
  // A set pins CA keys when one of its pins is a CA key in the chain of an allowed
  // certificate for its names: it then follows the CA to new intermediates instead of
  // every new leaf key. Keys an unexpected issuer used (its own, its certificates') are
  // never proposed, even when an allowed certificate shares one.
  std::set<Hash> ca_keys, rogue_keys;
  for (const db::CertificateFacts* c : relevant) {
    if (c->unexpected_issuer) {
      if (c->spki) rogue_keys.insert(*c->spki);
      if (c->issuer_spki) rogue_keys.insert(*c->issuer_spki);
      continue;
    }
    if (c->issuer_spki) ca_keys.insert(*c->issuer_spki);
    ca_keys.insert(c->chain_spki.begin(), c->chain_spki.end());
  }
  const bool pins_ca = std::any_of(pins.begin(), pins.end(), [&](const Hash& p) { return ca_keys.count(p) > 0; });

  // Adds: keys of live, verified certificates from allowed issuers that no pin covers.
  struct Add {
    db::KeyRole role;
    std::vector<int64_t> ids;
    const db::CertificateFacts* first;
  };
  std::map<Hash, Add> adds;
  for (const db::CertificateFacts* c : relevant) {
    if (!IsAllowed(*c) || !c->verified || c->not_after_unix_s < now_s || PinnedBy(*c, pins)) continue;
    const bool by_ca = pins_ca && c->issuer_spki.has_value();
    const Hash key = by_ca ? *c->issuer_spki : *c->spki;
    if (rogue_keys.count(key)) continue;
    auto [it, inserted] = adds.try_emplace(key, Add{by_ca ? db::KeyRole::kCa : db::KeyRole::kLeaf, {}, c});
    it->second.ids.push_back(c->certificate_id);
  }
  for (const auto& [key, add] : adds) {
    db::NewProposal p{.pinset = policy.name, .action = db::ProposalAction::kAdd, .pin = key, .role = add.role,
                      .base_version = current.version, .certificate_ids = add.ids};
    p.reason = add.role == db::KeyRole::kLeaf
                   ? "a certificate for " + NamesOf(*add.first) + " from an allowed issuer has the key " + PinText(key) +
                         ", which pin-set " + policy.name + " version " + std::to_string(current.version) +
                         " does not pin: pin it before the certificate is served"
                   : "an allowed CA issues for " + NamesOf(*add.first) + " from the intermediate key " + PinText(key) +
                         ", which pin-set " + policy.name + " version " + std::to_string(current.version) +
                         " does not pin";
    plan.proposals.push_back(std::move(p));
  }

  // Removes: pinned keys whose every certificate expired more than the grace ago. A pin no
  // certificate uses (a backup) is never proposed for removal.
  const int64_t grace_s = policy.remove_grace_days * 86400;
  if (static_cast<int64_t>(pins.size()) - 1 >= policy.min_pins) {
    for (const Hash& pin : pins) {
      std::vector<int64_t> ids;
      int64_t last_expiry = INT64_MIN;
      for (const db::CertificateFacts* c : relevant) {
        if (!PinnedBy(*c, {pin})) continue;
        ids.push_back(c->certificate_id);
        last_expiry = std::max(last_expiry, c->not_after_unix_s);
      }
      if (ids.empty() || last_expiry + grace_s >= now_s) continue;
      db::NewProposal p{.pinset = policy.name, .action = db::ProposalAction::kRemove, .pin = pin,
                        .role = ca_keys.count(pin) ? db::KeyRole::kCa : db::KeyRole::kLeaf,
                        .base_version = current.version, .certificate_ids = ids};
      p.reason = "every certificate for pin-set " + policy.name + "'s names with " + PinText(pin) + " (" +
                 std::to_string(ids.size()) + ") expired more than " + std::to_string(policy.remove_grace_days) +
                 " days ago";
      plan.proposals.push_back(std::move(p));
    }
  }

  // A pending proposal the plan no longer holds changes nothing any more.
  for (const db::Proposal& p : pending) {
    const bool planned = std::any_of(plan.proposals.begin(), plan.proposals.end(), [&](const db::NewProposal& n) {
      return n.action == p.action && n.pin == p.pin;
    });
    if (planned) continue;
    std::string why;
    if (p.action == db::ProposalAction::kAdd) {
      why = pinned(p.pin) ? "version " + std::to_string(current.version) + " already pins it"
                          : "no valid certificate needs it any more (pinned through another key, or expired)";
    } else {
      why = !pinned(p.pin) ? "version " + std::to_string(current.version) + " no longer pins it"
                           : "a certificate with it is valid (or within the grace period) again, or removing it "
                             "would leave fewer than min_pins";
    }
    plan.supersede.emplace_back(p.id, std::move(why));
  }
  return plan;
}

Result<PassSummary> Proposer::Pass(int64_t now_s) {
  PassSummary summary;
  Result<std::vector<db::CertificateFacts>> certs = store_.Certificates();
  if (!certs.ok()) return certs.status();
  for (const PinsetPolicy& policy : pinsets_) {
    Result<db::PinsetVersion> current = store_.CurrentVersion(policy.name);
    if (!current.ok()) return current.status();
    Result<std::vector<db::Proposal>> pending = store_.ListProposals(
        {.statuses = {db::ProposalStatus::kPending}, .pinset = policy.name, .with_evidence = false});
    if (!pending.ok()) return pending.status();
    const ProposalPlan plan = PlanProposals(policy, *current, *certs, *pending, now_s);
    for (const auto& [id, why] : plan.supersede) {
      if (Status s = store_.Supersede(id, why); !s.ok()) return s;
      ++summary.superseded;
    }
    for (const db::NewProposal& p : plan.proposals) {
      // A pending proposal that already holds every certificate: nothing to write.
      const bool known = std::any_of(pending->begin(), pending->end(), [&](const db::Proposal& q) {
        return q.action == p.action && q.pin == p.pin &&
               std::all_of(p.certificate_ids.begin(), p.certificate_ids.end(), [&](int64_t id) {
                 return std::binary_search(q.evidence_ids.begin(), q.evidence_ids.end(), id);
               });
      });
      if (known) continue;
      auto made = store_.Propose(p);
      if (!made.ok()) return made.status();
      if (!*made) continue;
      if ((*made)->second) {
        ++summary.proposed;
        if (log_line_) {
          log_line_("proposal " + std::to_string((*made)->first) + ": " + std::string(db::ProposalActionName(p.action)) +
                    " " + PinText(p.pin) + " to pin-set " + p.pinset + " (" + p.reason + ")");
        }
      } else {
        ++summary.evidence;
      }
    }
  }
  return summary;
}

}  // namespace pinwatch::pins
