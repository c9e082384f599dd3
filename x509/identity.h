// Certificate identity: the full set of facts a monitor records and alerts on for a log
// entry that concerns it. This is the slow path: it runs OpenSSL's d2i_X509 (about 100 µs,
// under global locks) and so must only run for the few entries the hot-path DER walk
// (x509/cert_view.h) has already matched against the watch list (issue 3, "Speed").
// Identity takes bytes: a certificate, or a precertificate's TBSCertificate with its issuer
// key hash, and an optional chain (DER, or fingerprints to look up). Where the bytes come
// from (a log entry, a pin-failure report's PEM chain, a pin-set check) is the caller's.
// <openssl/…> appears only in identity.cc; this header names no OpenSSL type.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/sha256.h"
#include "base/status.h"
#include "x509/cert_view.h"

namespace pinwatch::x509 {

// KeyType is the leaf's public key family, from OpenSSL's EVP_PKEY base id.
enum class KeyType {
  kUnknown,  // an algorithm OpenSSL cannot decode (e.g. GOST without its provider)
  kRsa,      // rsaEncryption and RSASSA-PSS keys
  kDsa,
  kEc,       // id-ecPublicKey; the curve is in CertIdentity::ec_curve
  kEd25519,
  kEd448,
};

// KeyTypeName returns "unknown", "rsa", "dsa", "ec", "ed25519" or "ed448".
std::string_view KeyTypeName(KeyType type);

// ChainLinkStatus says how much is known about one certificate of the issuing chain.
enum class ChainLinkStatus {
  kResolved,             // the DER was available and parsed (strict DER): spki_sha256 is set
  kMissing,              // static-ct-api: the IssuerLookup had no DER for this fingerprint
  kFingerprintMismatch,  // static-ct-api: the DER the lookup gave does not hash to the fingerprint
  kUnparseable,          // the DER was available but is not a DER Certificate (cert_view)
};

// ChainLink is one certificate of the chain that the log stored with the entry, in the
// order the log gives it: [0] is the leaf's issuer, the last one is (normally) the root.
struct ChainLink {
  Hash certificate_sha256{};          // SHA-256 of the certificate's DER (its fingerprint)
  ChainLinkStatus status = ChainLinkStatus::kMissing;
  std::optional<Hash> spki_sha256;    // SHA-256 of its SubjectPublicKeyInfo; set iff kResolved
};

// CertIdentity is everything a policy or an alert needs to know about one logged
// certificate or precertificate. Plain owning value; copyable; no views into the entry.
// CertificateForm says what the facts were read from.
enum class CertificateForm {
  kCertificate,        // a whole DER Certificate
  kPrecertificateTbs,  // a precertificate's TBSCertificate (poison removed), as a CT log stores
                       // it: what the final certificate will carry
};

struct CertIdentity {
  CertificateForm form = CertificateForm::kCertificate;
  // True when the certificate carries the CT poison extension (1.3.6.1.4.1.11129.2.4.3), or
  // for every precert_entry (the log strips the poison from the TBS it stores).
  bool precertificate = false;

  // --- Names ---
  // SubjectAltName dNSName entries, byte-exact, in certificate order (several SAN extensions
  // are concatenated in order). Not lower-cased, not validated: matching normalises.
  std::vector<std::string> san_dns_names;
  // SubjectAltName iPAddress entries as text: dotted quad (4 bytes) or RFC 5952 IPv6
  // (16 bytes, via inet_ntop); any other length as "invalid:" + lower-case hex.
  std::vector<std::string> ip_addresses;
  // Every subject commonName attribute, converted to UTF-8, in DN order.
  std::vector<std::string> common_names;
  // dns_names are the names a watch list is matched against: san_dns_names, then each
  // common name that IsHostname() accepts and that is not already a SAN dNSName (compared
  // ASCII case-insensitively), in that order.
  std::vector<std::string> dns_names;

  // --- Distinguished names ---
  // As `openssl x509 -nameopt RFC2253` prints them (X509_NAME_print_ex, XN_FLAG_RFC2253):
  // non-ASCII bytes are escaped as \XX.
  std::string subject_rfc2253;
  std::string issuer_rfc2253;
  // The same with ASN1_STRFLGS_ESC_MSB cleared (`-nameopt RFC2253,-esc_msb`): UTF-8 text.
  std::string subject_utf8;
  std::string issuer_utf8;

  // --- Serial and validity ---
  // serial_hex is the serial as `openssl x509 -serial` prints it: upper-case hex of the
  // magnitude, at least two digits ("00" for zero), "-" in front of a negative serial.
  std::string serial_hex;
  // notBefore/notAfter (RFC 5280 §4.1.2.5, UTCTime or GeneralizedTime), inclusive both ends,
  // as unix seconds and as RFC 3339 "YYYY-MM-DDTHH:MM:SSZ".
  int64_t not_before_unix_s = 0;
  int64_t not_after_unix_s = 0;
  std::string not_before_rfc3339;
  std::string not_after_rfc3339;

  // --- Subject public key ---
  // key_algorithm is the SPKI algorithm OID as OpenSSL names it ("rsaEncryption",
  // "id-ecPublicKey", "ED25519"), or the dotted OID when OpenSSL has no name for it.
  std::string key_algorithm;
  KeyType key_type = KeyType::kUnknown;
  int key_bits = 0;       // EVP_PKEY_get_bits: modulus bits, curve order bits; 0 if unknown
  std::string ec_curve;   // EC keys: the curve's OpenSSL short name ("prime256v1"); else empty
  // SHA-256 of the DER SubjectPublicKeyInfo exactly as the certificate holds it, in hex and in
  // the pin form "sha256/<base64>" used by OkHttp, Android and TrustKit (and HPKP).
  Hash spki_sha256{};
  std::string spki_sha256_hex;
  std::string spki_sha256_pin;

  // --- Issuers ---
  // The issuer's SPKI SHA-256: a precert_entry's PreCert.issuer_key_hash as the log gives it;
  // for an x509_entry the SPKI of chain[0] when that link is resolved; nullopt otherwise
  // (no chain, or chain[0] missing or unparseable).
  std::optional<Hash> issuer_spki_sha256;
  // The chain the log stored, issuer first, up to the root; empty when there is none (a bare
  // certificate, or an entry whose extra_data was not fetched).
  std::vector<ChainLink> chain;

  // --- Identity ---
  // SHA-256 of the DER of the certificate (x509_entry) or of the entry's pre_certificate
  // (precert_entry, when the log served it); nullopt otherwise.
  std::optional<Hash> certificate_sha256;
  // tbs_identity_hash is ComputeTbsIdentityHash (monitor/tbs_hash.h) of the TBSCertificate:
  // SHA-256 of the TBS with the CT poison and SCT-list extensions removed, so a precertificate,
  // its final certificate and every log's copy of either share one value.
  Hash tbs_identity_hash{};
};

// IsHostname says whether a commonName is a DNS hostname, and so counts as a name the
// certificate is for: one or more LDH labels (ASCII letters, digits and '-', 1-63 bytes, no
// '-' at either end) joined by dots, at least two labels, at most 253 bytes, optionally
// preceded by a "*." wildcard label. Why this rule: commonName is free text, and CA
// certificates use it for product names ("Let's Encrypt Authority X3", "R3"); requiring a
// dot rejects single words, and requiring LDH rejects spaces, underscores and Unicode
// (a U-label CN is not in the form a certificate's DNS names take, and CAs must repeat the
// CN in the SAN anyway, in A-label form: CA/B Forum BR §7.1.4.3). Thread-safe; pure.
bool IsHostname(std::string_view common_name);

// ParseCertificateIdentity returns the facts of one DER X.509 certificate (x509_entry
// semantics: entry_type kX509Entry, no chain, no issuer SPKI). kMalformed naming what
// failed if the strict DER parse (monitor/cert_view.h ParseCertificate, which the SPKI and
// TBS identity hashes are defined over) or OpenSSL's d2i_X509 refuses it, if it has trailing
// bytes, or if an extension it must read (subjectAltName) does not decode. Thread-safe.
// Runs d2i_X509: slow path only.
Result<CertIdentity> ParseCertificateIdentity(Bytes certificate_der);

// ParsePrecertIdentity returns the facts of a precert_entry's PreCert: `tbs_certificate` (the
// DER TBSCertificate the log signed, poison already removed) and `issuer_key_hash` (which
// becomes issuer_spki_sha256). OpenSSL 3 has no public TBSCertificate decoder, so the TBS
// is wrapped into a Certificate with a placeholder signatureAlgorithm (sha256WithRSAEncryption)
// and an empty signatureValue, and that is decoded with d2i_X509. The placeholder is never
// verified or reported: only TBS fields are read. (The pre_certificate is not used because
// its TBS is not what the final certificate carries: it still holds the poison and, when a
// Precertificate Signing Certificate signed it, a different issuer and AKI; RFC 6962 §3.2.)
// The TBS is first parsed strictly (ParseTbsCertificate). Errors and thread-safety as
// ParseCertificateIdentity.
Result<CertIdentity> ParsePrecertIdentity(Bytes tbs_certificate, const Hash& issuer_key_hash);

// IssuerLookup returns the DER certificate whose SHA-256 is `fingerprint_sha256`, or nullopt
// if the caller does not have it (a static-ct-api chain is stored as fingerprints, and the
// caller fetches issuers from the log's /issuer/ endpoint and caches them). The returned view
// must stay valid until the lookup is called again (each is used before the next lookup).
// It is called from the calling thread only.
using IssuerLookup = std::function<std::optional<Bytes>(const Hash& fingerprint_sha256)>;

// ChainInput is the issuing chain that came with a certificate, issuer first, up to the
// root: DER certificates (RFC 6962 extra_data, the PEM chain of a pin-failure report), or,
// when there are none, SHA-256 fingerprints resolved through `lookup` (static-ct-api). Views
// are borrowed for the call.
struct ChainInput {
  std::vector<Bytes> certificates;
  Bytes fingerprints;           // concatenated 32-byte fingerprints; used when certificates is empty
  IssuerLookup lookup = nullptr;
};

// AddChain sets identity.chain from `chain` and, for a kCertificate, issuer_spki_sha256 from
// the first link when it resolves. A fingerprint the lookup does not know (or a null lookup)
// gives a kMissing link, a chain certificate that is not DER a kUnparseable one: the leaf's
// own facts are complete without them, and the policy sees which pins could not be checked.
// Chain certificates are read with the strict DER parser only (their SPKI is all that is
// needed), never with OpenSSL. kMalformed only if `fingerprints` is not a multiple of 32
// bytes. Thread-safe as long as `lookup` is.
Status AddChain(CertIdentity& identity, const ChainInput& chain);

// LeafInput is the certificate whose identity is wanted: a Certificate, or a precertificate's
// TBSCertificate (kPrecertificateTbs) with the PreCert's issuer_key_hash and, when known, the
// precertificate as submitted (for certificate_sha256). `parsed` is the strict parse of
// `der`'s TBS when the caller already has it (the matcher's): it must be the TbsView of
// exactly these bytes, and it is then not parsed again. Views are borrowed for the call.
struct LeafInput {
  CertificateForm form = CertificateForm::kCertificate;
  Bytes der;
  Hash issuer_key_hash{};
  Bytes pre_certificate;
  const TbsView* parsed = nullptr;
};

// ComputeIdentity returns the leaf's facts (ParseCertificateIdentity or
// ParsePrecertIdentity) with the chain added (AddChain). Errors as those. Thread-safe as
// long as chain.lookup is.
Result<CertIdentity> ComputeIdentity(const LeafInput& leaf, const ChainInput& chain = {});

// ComputeCertificateIdentity is ComputeIdentity for a bare certificate and its chain (a
// pin-failure report's PEM chain, a pin-set check).
Result<CertIdentity> ComputeCertificateIdentity(Bytes certificate_der, const ChainInput& chain = {});

}  // namespace pinwatch::x509
