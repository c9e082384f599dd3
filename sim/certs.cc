#include "sim/certs.h"

#include "ctlog/sha256.h"

namespace pinwatch::sim {
namespace {

// AlgorithmIdentifier ::= SEQUENCE { OID ecdsa-with-SHA256 (1.2.840.10045.4.3.2) }
constexpr uint8_t kEcdsaWithSha256[] = {0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86,
                                        0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
// [0] EXPLICIT Version v3 (2)
constexpr uint8_t kVersion3[] = {0xa0, 0x03, 0x02, 0x01, 0x02};
// OIDs (contents only).
constexpr uint8_t kOidCountry[] = {0x55, 0x04, 0x06};
constexpr uint8_t kOidOrganization[] = {0x55, 0x04, 0x0a};
constexpr uint8_t kOidCommonName[] = {0x55, 0x04, 0x03};
constexpr uint8_t kOidSubjectKeyId[] = {0x55, 0x1d, 0x0e};
constexpr uint8_t kOidKeyUsage[] = {0x55, 0x1d, 0x0f};
constexpr uint8_t kOidSubjectAltName[] = {0x55, 0x1d, 0x11};
constexpr uint8_t kOidBasicConstraints[] = {0x55, 0x1d, 0x13};
constexpr uint8_t kOidAuthorityKeyId[] = {0x55, 0x1d, 0x23};
constexpr uint8_t kOidExtKeyUsage[] = {0x55, 0x1d, 0x25};
constexpr uint8_t kOidCtPoison[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x03};
constexpr uint8_t kOidCtSctList[] = {0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02};
// ExtKeyUsageSyntax ::= SEQUENCE { id-kp-serverAuth, id-kp-clientAuth }
constexpr uint8_t kEkuServerClient[] = {0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
                                        0x03, 0x01, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07,
                                        0x03, 0x02};

// BOOLEAN TRUE; KeyUsage BIT STRINGs; an empty SEQUENCE; NULL.
constexpr uint8_t kCriticalTrue[] = {0x01, 0x01, 0xff};
constexpr uint8_t kKeyUsageCa[] = {0x03, 0x02, 0x01, 0x86};    // digitalSignature, keyCertSign, cRLSign
constexpr uint8_t kKeyUsageLeaf[] = {0x03, 0x02, 0x07, 0x80};  // digitalSignature
constexpr uint8_t kEmptySequence[] = {0x30, 0x00};
constexpr uint8_t kAsn1Null[] = {0x05, 0x00};

enum class Critical { kNo, kYes };

// Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
void Extension(Buffer& out, Bytes oid, Critical critical, Bytes value) {
  Buffer body;
  DerTlv(body, kDerOid, oid);
  if (critical == Critical::kYes) Append(body, Bytes(kCriticalTrue));
  DerTlv(body, kDerOctetString, value);
  DerTlv(out, kDerSequence, body);
}

void Rdn(Buffer& out, Bytes oid, uint8_t string_tag, std::string_view value) {
  Buffer atv;
  DerTlv(atv, kDerOid, oid);
  DerTlv(atv, string_tag, value);
  DerTlv(out, kDerSet, DerTlv(kDerSequence, atv));
}

void Validity(Buffer& out, int64_t not_before_s, int64_t not_after_s) {
  Buffer body;
  DerTime(body, not_before_s);
  DerTime(body, not_after_s);
  DerTlv(out, kDerSequence, body);
}

Buffer SerialOf(std::string_view id) {
  ctlog::Hash h = ctlog::Sha256Of(AsBytes(id));
  Buffer serial(h.begin(), h.begin() + 16);
  serial[0] &= 0x7f;
  serial[0] |= 0x01;
  return serial;
}

Buffer CaTbs(const CertificateAuthority& ca, Bytes issuer_name, Bytes authority_key_id,
             int path_len, int64_t not_before_s, int64_t not_after_s) {
  Buffer tbs;
  Append(tbs, Bytes(kVersion3));
  DerUnsignedInteger(tbs, SerialOf(ca.id));
  Append(tbs, Bytes(kEcdsaWithSha256));
  Append(tbs, issuer_name);
  Validity(tbs, not_before_s, not_after_s);
  Append(tbs, ca.subject_der);
  Append(tbs, ca.key.spki_der());
  Buffer exts;
  // BasicConstraints ::= SEQUENCE { cA TRUE, pathLenConstraint (intermediates) }
  Buffer bc = {0x01, 0x01, 0xff};
  if (path_len >= 0) DerSmallInteger(bc, static_cast<uint64_t>(path_len));
  Extension(exts, kOidBasicConstraints, Critical::kYes, DerTlv(kDerSequence, bc));
  // KeyUsage: keyCertSign | cRLSign | digitalSignature
  Extension(exts, kOidKeyUsage, Critical::kYes, kKeyUsageCa);
  Extension(exts, kOidSubjectKeyId, Critical::kNo, DerTlv(kDerOctetString, ca.key_id));
  if (!authority_key_id.empty()) {
    Extension(exts, kOidAuthorityKeyId, Critical::kNo,
              DerTlv(kDerSequence, DerTlv(0x80, authority_key_id)));
  }
  DerTlv(tbs, 0xa3, DerTlv(kDerSequence, exts));
  return DerTlv(kDerSequence, tbs);
}

}  // namespace

Buffer NameDer(std::string_view country, std::string_view organization, std::string_view common_name) {
  Buffer rdns;
  if (!country.empty()) Rdn(rdns, kOidCountry, kDerPrintableString, country);
  if (!organization.empty()) Rdn(rdns, kOidOrganization, kDerUtf8String, organization);
  if (!common_name.empty()) Rdn(rdns, kOidCommonName, kDerUtf8String, common_name);
  return DerTlv(kDerSequence, rdns);
}

Buffer KeyIdOf(Bytes spki_der) {
  ctlog::Hash h = ctlog::Sha256Of(spki_der);
  return Buffer(h.begin(), h.begin() + 20);
}

CertificateAuthority MakeRoot(std::string id, EcKey key, std::string_view common_name,
                              int64_t not_before_s, int64_t not_after_s) {
  CertificateAuthority ca{.id = std::move(id), .key = key,
                          .subject_der = NameDer("ZZ", "Pinwatch Simulated PKI", common_name),
                          .key_id = KeyIdOf(key.spki_der()), .cert_der = {}, .chain_above = {}};
  Buffer tbs = CaTbs(ca, ca.subject_der, {}, -1, not_before_s, not_after_s);
  ca.cert_der = SignCertificate(tbs, ca.key);
  return ca;
}

CertificateAuthority MakeIntermediate(std::string id, EcKey key, std::string_view common_name,
                                      const CertificateAuthority& issuer, int64_t not_before_s,
                                      int64_t not_after_s) {
  CertificateAuthority ca{.id = std::move(id), .key = key,
                          .subject_der = NameDer("ZZ", "Pinwatch Simulated PKI", common_name),
                          .key_id = KeyIdOf(key.spki_der()), .cert_der = {}, .chain_above = {}};
  Buffer tbs = CaTbs(ca, issuer.subject_der, issuer.key_id, 0, not_before_s, not_after_s);
  ca.cert_der = SignCertificate(tbs, issuer.key);
  ca.chain_above.push_back(issuer.cert_der);
  ca.chain_above.insert(ca.chain_above.end(), issuer.chain_above.begin(), issuer.chain_above.end());
  return ca;
}

Buffer LeafTbs(const LeafSpec& spec, const CertificateAuthority& issuer) {
  Buffer tbs;
  tbs.reserve(512);
  //   TBSCertificate ::= SEQUENCE { version [0] v3, serialNumber, signature, issuer, validity,
  //                                 subject, subjectPublicKeyInfo, extensions [3] }
  Append(tbs, Bytes(kVersion3));
  DerUnsignedInteger(tbs, spec.serial);
  Append(tbs, Bytes(kEcdsaWithSha256));
  Append(tbs, issuer.subject_der);
  Validity(tbs, spec.not_before_s, spec.not_after_s);
  Append(tbs, NameDer("", "", spec.dns_names.empty() ? "" : spec.dns_names.front()));
  Append(tbs, spec.spki_der);
  Buffer exts;
  exts.reserve(256);
  // KeyUsage: digitalSignature
  Extension(exts, kOidKeyUsage, Critical::kYes, kKeyUsageLeaf);
  Extension(exts, kOidExtKeyUsage, Critical::kNo, kEkuServerClient);
  // BasicConstraints ::= SEQUENCE {} (cA FALSE)
  Extension(exts, kOidBasicConstraints, Critical::kYes, kEmptySequence);
  Extension(exts, kOidSubjectKeyId, Critical::kNo, DerTlv(kDerOctetString, KeyIdOf(spec.spki_der)));
  Extension(exts, kOidAuthorityKeyId, Critical::kNo,
            DerTlv(kDerSequence, DerTlv(0x80, issuer.key_id)));
  // GeneralNames ::= SEQUENCE OF GeneralName; dNSName [2] IMPLICIT IA5String
  Buffer names;
  for (const std::string& name : spec.dns_names) DerTlv(names, 0x82, name);
  Extension(exts, kOidSubjectAltName, Critical::kNo, DerTlv(kDerSequence, names));
  switch (spec.last) {
    case LastExtension::kNone:
      break;
    case LastExtension::kPoison:  // RFC 6962 §3.1: critical, extnValue is ASN.1 NULL
      Extension(exts, kOidCtPoison, Critical::kYes, kAsn1Null);
      break;
    case LastExtension::kSctList:  // RFC 6962 §3.3: OCTET STRING wrapping the TLS list
      Extension(exts, kOidCtSctList, Critical::kNo, DerTlv(kDerOctetString, spec.sct_list));
      break;
  }
  DerTlv(tbs, 0xa3, DerTlv(kDerSequence, exts));
  return DerTlv(kDerSequence, tbs);
}

Buffer SignCertificate(Bytes tbs_der, const EcKey& issuer_key) {
  Buffer sig = issuer_key.SignWithNoncePool(tbs_der);
  Buffer body;
  body.reserve(tbs_der.size() + sig.size() + 24);
  Append(body, tbs_der);
  Append(body, Bytes(kEcdsaWithSha256));
  Buffer bits = {0x00};  // no unused bits
  Append(bits, sig);
  DerTlv(body, kDerBitString, bits);
  return DerTlv(kDerSequence, body);
}

Buffer EncodeSctList(Bytes serialized_sct) {
  // opaque SerializedSCT<1..2^16-1>; struct { SerializedSCT sct_list<1..2^16-1>; }
  Buffer inner;
  ByteWriter(inner).U16Prefixed(serialized_sct);
  Buffer out;
  ByteWriter(out).U16Prefixed(inner);
  return out;
}

}  // namespace pinwatch::sim
