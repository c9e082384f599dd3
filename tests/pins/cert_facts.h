// Stored-certificate facts for the pin-set unit tests, built inline: keys are SHA-256 of a
// label, validity is in days relative to kNow, so each case reads as "a certificate for
// these names with this leaf, this issuer, valid until then".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/sha256.h"
#include "db/pin_store.h"

namespace pinwatch::pins::testing {

inline constexpr int64_t kNow = 1'750'000'000;  // 2025-06-15T15:06:40Z
inline constexpr int64_t kDay = 86'400;

// Key is a distinct stand-in for the SHA-256 of an SPKI.
inline Hash Key(std::string_view label) {
  return Sha256Of(Bytes(reinterpret_cast<const uint8_t*>(label.data()), label.size()));
}

// CertSpec describes one stored certificate; Cert() turns it into CertificateFacts.
struct CertSpec {
  int64_t id = 1;
  std::vector<std::string> names = {"api.example.com"};
  std::string leaf = "leaf";      // "" for no key
  std::string issuer = "ca1";     // "" for no issuer key
  std::string root = "root";      // chain_spki is {issuer, root}, without the empty ones
  int64_t not_before_days = -30;  // relative to kNow
  int64_t not_after_days = 60;    // relative to kNow
  bool verified = true;
  bool unexpected_issuer = false;
  bool malformed = false;
  bool parsed = true;
};

inline db::CertificateFacts Cert(const CertSpec& s) {
  db::CertificateFacts c;
  c.certificate_id = s.id;
  c.parsed = s.parsed;
  c.dns_names = s.names;
  if (!s.leaf.empty()) c.spki = Key(s.leaf);
  if (!s.issuer.empty()) {
    c.issuer_spki = Key(s.issuer);
    c.chain_spki.push_back(Key(s.issuer));
  }
  if (!s.root.empty()) c.chain_spki.push_back(Key(s.root));
  c.not_before_unix_s = kNow + s.not_before_days * kDay;
  c.not_after_unix_s = kNow + s.not_after_days * kDay;
  c.verified = s.verified;
  c.unexpected_issuer = s.unexpected_issuer;
  c.malformed = s.malformed;
  return c;
}

}  // namespace pinwatch::pins::testing
