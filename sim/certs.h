// X.509 certificates for the simulated PKI (RFC 5280), built directly in DER: a CA
// hierarchy (roots and intermediates) and leaf certificates, precertificates (RFC 6962
// §3.1, critical poison extension) and final certificates with an embedded SCT list
// (RFC 6962 §3.3). All keys are ECDSA P-256 and all signatures ecdsa-with-SHA256.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/crypto.h"
#include "sim/der.h"

namespace pinwatch::sim {

// CertificateAuthority is one simulated CA: its key, its DER certificate, and the DER
// certificates above it up to and including the root (empty for a root).
struct CertificateAuthority {
  std::string id;                  // short handle used in plans: "root", "e1", "rogue", ...
  EcKey key;
  Buffer subject_der;              // Name
  Buffer key_id;                   // subjectKeyIdentifier, 20 bytes
  Buffer cert_der;
  std::vector<Buffer> chain_above;  // issuer's cert, its issuer's, ..., the root
};

// Extension order is fixed so that a precertificate's TBS with the poison removed equals
// the final certificate's TBS with the SCT list removed (both sit last).
enum class LastExtension { kNone, kPoison, kSctList };

// LeafSpec is everything that varies between leaf certificates.
struct LeafSpec {
  Bytes serial;                     // big-endian magnitude, at most 20 bytes
  std::vector<std::string> dns_names;  // first one is also the subject CN
  int64_t not_before_s = 0;
  int64_t not_after_s = 0;
  Bytes spki_der;
  LastExtension last = LastExtension::kNone;
  Bytes sct_list;                   // TLS SignedCertificateTimestampList, for kSctList
};

// NameDer returns Name ::= SEQUENCE { [C], O, CN } with PrintableString C and UTF8String
// O and CN; empty strings are left out.
Buffer NameDer(std::string_view country, std::string_view organization, std::string_view common_name);

// KeyIdOf returns the first 20 bytes of SHA-256(spki_der) (an RFC 7093 §2 method 1 key id).
Buffer KeyIdOf(Bytes spki_der);

// MakeRoot/MakeIntermediate build a self-signed root or an intermediate under `issuer`,
// valid over [not_before_s, not_after_s]. Deterministic for a given key.
CertificateAuthority MakeRoot(std::string id, EcKey key, std::string_view common_name,
                              int64_t not_before_s, int64_t not_after_s);
CertificateAuthority MakeIntermediate(std::string id, EcKey key, std::string_view common_name,
                                      const CertificateAuthority& issuer, int64_t not_before_s,
                                      int64_t not_after_s);

// LeafTbs returns the DER TBSCertificate of a leaf issued by `issuer`.
Buffer LeafTbs(const LeafSpec& spec, const CertificateAuthority& issuer);
// SignCertificate returns Certificate ::= SEQUENCE { tbs, ecdsa-with-SHA256, signature },
// signed with EcKey::SignWithNoncePool (CA keys here are derived from a public seed).
Buffer SignCertificate(Bytes tbs_der, const EcKey& issuer_key);

// EncodeSctListExtensionValue returns the TLS SignedCertificateTimestampList holding one
// serialized SCT (RFC 6962 §3.3).
Buffer EncodeSctList(Bytes serialized_sct);

}  // namespace pinwatch::sim
