// Fuzzes the slow-path identity parse (monitor/identity.h) with certificate DER.
// Invariants:
//  - ParseCertificateIdentity and ParsePrecertIdentity fail only with kMalformed, never crash;
//  - on success the derived fields are well-formed (hex and pin lengths, every SAN dNSName is
//    among dns_names, a CN is added only if IsHostname accepts it);
//  - a certificate and its own TBS logged as a precert_entry give the same identity facts
//    (the TBS identity hash, names, DNs, serial, validity, SPKI).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "x509/cert_view.h"
#include "x509/identity.h"

namespace {

using pinwatch::Code;
using pinwatch::x509::CertIdentity;

void Check(bool ok) {
  if (!ok) std::abort();
}

void CheckWellFormed(const CertIdentity& id) {
  Check(id.spki_sha256_hex.size() == 64);
  Check(id.spki_sha256_pin.size() == 7 + 44 && id.spki_sha256_pin.starts_with("sha256/"));
  Check(id.dns_names.size() >= id.san_dns_names.size());
  for (size_t i = 0; i < id.san_dns_names.size(); ++i) Check(id.dns_names[i] == id.san_dns_names[i]);
  for (size_t i = id.san_dns_names.size(); i < id.dns_names.size(); ++i) {
    Check(pinwatch::x509::IsHostname(id.dns_names[i]));
  }
  Check(id.not_before_rfc3339.size() >= 20 && id.not_after_rfc3339.size() >= 20);
  Check(!id.serial_hex.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const pinwatch::Bytes in(data, size);
  const pinwatch::Hash issuer_key_hash{};

  pinwatch::Result<CertIdentity> cert = pinwatch::x509::ParseCertificateIdentity(in);
  if (!cert.ok()) {
    Check(cert.status().code() == Code::kMalformed);
  } else {
    CheckWellFormed(*cert);
    pinwatch::Result<pinwatch::x509::CertificateView> view = pinwatch::x509::ParseCertificate(in);
    Check(view.ok());
    pinwatch::Result<CertIdentity> pre = pinwatch::x509::ParsePrecertIdentity(view->tbs.tlv, issuer_key_hash);
    Check(pre.ok());
    CheckWellFormed(*pre);
    Check(pre->tbs_identity_hash == cert->tbs_identity_hash);
    Check(pre->dns_names == cert->dns_names && pre->ip_addresses == cert->ip_addresses);
    Check(pre->subject_rfc2253 == cert->subject_rfc2253 && pre->issuer_utf8 == cert->issuer_utf8);
    Check(pre->serial_hex == cert->serial_hex && pre->not_after_unix_s == cert->not_after_unix_s);
    Check(pre->spki_sha256 == cert->spki_sha256 && pre->key_bits == cert->key_bits);
  }

  // The same bytes taken as a bare TBSCertificate.
  pinwatch::Result<CertIdentity> tbs = pinwatch::x509::ParsePrecertIdentity(in, issuer_key_hash);
  if (!tbs.ok()) {
    Check(tbs.status().code() == Code::kMalformed);
  } else {
    CheckWellFormed(*tbs);
  }
  return 0;
}
