#include "x509/identity.h"

#include <arpa/inet.h>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <ctime>
#include <memory>

#include "base/byte_writer.h"
#include "base/encoding.h"
#include "base/openssl_ptr.h"
#include "base/pin.h"
#include "base/time.h"
#include "x509/cert_view.h"
#include "x509/tbs_hash.h"

namespace pinwatch::x509 {
namespace {

using pinwatch::BioPtr;
using X509Ptr = OpenSslPtr<X509, X509_free>;
using GeneralNamesPtr = OpenSslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;
void FreeOpenSslBytes(unsigned char* p) { OPENSSL_free(p); }
using OpenSslBytesPtr = OpenSslPtr<unsigned char, FreeOpenSslBytes>;

// kMaxCertificateBytes bounds what is handed to d2i_X509 (which takes a long length): the
// size CT allows a certificate (RFC 6962 ASN.1Cert <1..2^24-1>), far beyond any real one.
constexpr size_t kMaxCertificateBytes = (size_t{1} << 24) - 1;

// DecodeX509 decodes exactly `der` (no trailing bytes) with d2i_X509. `what` names the input
// in errors.
Result<X509Ptr> DecodeX509(Bytes der, const char* what) {
  if (der.empty()) return MalformedError(std::string(what) + ": empty");
  if (der.size() > kMaxCertificateBytes) return MalformedError(std::string(what) + ": over 2^24-1 bytes");
  const unsigned char* p = der.data();
  X509Ptr x509(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x509) {
    ERR_clear_error();  // leave the thread's OpenSSL error queue as we found it
    return MalformedError(std::string(what) + ": OpenSSL d2i_X509 refused the DER");
  }
  if (p != der.data() + der.size()) {
    return MalformedError(std::string(what) + ": " + std::to_string(der.data() + der.size() - p) +
                          " trailing bytes after the Certificate");
  }
  return x509;
}

// WrapTbsAsCertificate builds
//   Certificate ::= SEQUENCE { tbsCertificate TBSCertificate,
//                              signatureAlgorithm AlgorithmIdentifier,  -- placeholder
//                              signatureValue BIT STRING }              -- placeholder (empty)
// around a TBSCertificate so that d2i_X509 can decode it (OpenSSL 3 exports no TBS decoder).
// The placeholder algorithm is sha256WithRSAEncryption with NULL parameters.
std::vector<uint8_t> WrapTbsAsCertificate(Bytes tbs) {
  static constexpr uint8_t kPlaceholderSignature[] = {
      0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,  // sha256WithRSA, NULL
      0x03, 0x01, 0x00,  // BIT STRING, 0 unused bits, no content
  };
  std::vector<uint8_t> out;
  out.reserve(tbs.size() + sizeof(kPlaceholderSignature) + 10);
  ByteWriter w(out);
  w.DerHeader(0x30, tbs.size() + sizeof(kPlaceholderSignature));  // SEQUENCE
  w.Write(tbs);
  w.Write(kPlaceholderSignature);
  return out;
}

// PrintName renders a DN with X509_NAME_print_ex and the given XN_FLAG_* flags.
Result<std::string> PrintName(const X509_NAME* name, unsigned long flags, const char* what) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio) return InternalError("BIO_new failed");
  if (X509_NAME_print_ex(bio.get(), name, 0, flags) < 0) {
    return MalformedError(std::string(what) + ": X509_NAME_print_ex failed");
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len > 0 ? len : 0));
}

// SerialHex formats like i2a_ASN1_INTEGER (what `openssl x509 -serial` uses), minus the
// "\\\n" line breaks it inserts every 35 bytes for oversized integers.
std::string SerialHex(const ASN1_INTEGER* serial) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER) out.push_back('-');
  const unsigned char* data = ASN1_STRING_get0_data(serial);
  int len = ASN1_STRING_length(serial);
  if (len <= 0) return out + "00";
  for (int i = 0; i < len; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0f]);
  }
  return out;
}

struct Instant {
  int64_t unix_s = 0;
  std::string rfc3339;
};

// ConvertTime turns an ASN.1 UTCTime/GeneralizedTime into unix seconds and RFC 3339 (UTC).
Result<Instant> ConvertTime(const ASN1_TIME* time, const char* what) {
  std::tm tm{};
  if (time == nullptr || ASN1_TIME_to_tm(time, &tm) != 1) {
    return MalformedError(std::string(what) + ": not a valid UTCTime/GeneralizedTime");
  }
  std::optional<int64_t> unix_s = UnixSecondsOf(
      {tm.tm_year + int64_t{1900}, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec});
  if (!unix_s) return MalformedError(std::string(what) + ": not a valid UTCTime/GeneralizedTime");
  return Instant{*unix_s, FormatRfc3339(*unix_s)};
}

std::string IpText(const ASN1_OCTET_STRING* ip) {
  const unsigned char* data = ASN1_STRING_get0_data(ip);
  const int len = ASN1_STRING_length(ip);
  char buf[INET6_ADDRSTRLEN] = {};
  if (len == 4 && inet_ntop(AF_INET, data, buf, sizeof(buf)) != nullptr) return buf;
  if (len == 16 && inet_ntop(AF_INET6, data, buf, sizeof(buf)) != nullptr) return buf;
  return "invalid:" + HexEncode(Bytes(data, static_cast<size_t>(len > 0 ? len : 0)));
}

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// ReadSubjectAltNames appends the dNSName and iPAddress entries of every subjectAltName
// extension (RFC 5280 §4.2.1.6) in order. Other GeneralName forms are ignored.
Status ReadSubjectAltNames(X509* x509, CertIdentity& id) {
  const int count = X509_get_ext_count(x509);
  for (int i = 0; i < count; ++i) {
    X509_EXTENSION* ext = X509_get_ext(x509, i);
    if (OBJ_obj2nid(X509_EXTENSION_get_object(ext)) != NID_subject_alt_name) continue;
    GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(X509V3_EXT_d2i(ext)));
    if (!names) {
      ERR_clear_error();
      return MalformedError("subjectAltName extension: OpenSSL could not decode GeneralNames");
    }
    for (int j = 0; j < sk_GENERAL_NAME_num(names.get()); ++j) {
      const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), j);
      if (name->type == GEN_DNS) {
        const ASN1_IA5STRING* dns = name->d.dNSName;
        id.san_dns_names.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                                      static_cast<size_t>(ASN1_STRING_length(dns)));
      } else if (name->type == GEN_IPADD) {
        id.ip_addresses.push_back(IpText(name->d.iPAddress));
      }
    }
  }
  return OkStatus();
}

// ReadCommonNames appends every subject commonName (X.520 id-at-commonName) as UTF-8.
Status ReadCommonNames(const X509_NAME* subject, CertIdentity& id) {
  for (int i = X509_NAME_get_index_by_NID(subject, NID_commonName, -1); i >= 0;
       i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) {
    const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    const int len = ASN1_STRING_to_UTF8(&utf8, value);
    OpenSslBytesPtr owned(utf8);
    if (len < 0) {
      ERR_clear_error();
      return MalformedError("subject commonName: not convertible to UTF-8");
    }
    id.common_names.emplace_back(reinterpret_cast<const char*>(utf8), static_cast<size_t>(len));
  }
  return OkStatus();
}

// ReadPublicKey fills the key fields and the SPKI hashes. The hashes are over the SPKI TLV
// exactly as the certificate holds it (`tbs` was parsed strictly by cert_view), which is
// what pins are computed over (RFC 7469 §2.4), not over OpenSSL's re-encoding.
Status ReadPublicKey(X509* x509, const TbsView& tbs, CertIdentity& id) {
  X509_PUBKEY* pubkey = X509_get_X509_PUBKEY(x509);
  if (pubkey == nullptr) return MalformedError("subjectPublicKeyInfo: missing");
  ASN1_OBJECT* algorithm = nullptr;
  if (X509_PUBKEY_get0_param(&algorithm, nullptr, nullptr, nullptr, pubkey) != 1 || algorithm == nullptr) {
    return MalformedError("subjectPublicKeyInfo: no algorithm");
  }
  char name[128];
  const int name_len = OBJ_obj2txt(name, sizeof(name), algorithm, 0);
  if (name_len > 0 && static_cast<size_t>(name_len) < sizeof(name)) id.key_algorithm = name;

  id.spki_sha256 = Sha256Of(tbs.subject_public_key_info);
  id.spki_sha256_hex = HexEncode(id.spki_sha256);
  id.spki_sha256_pin = PinText(id.spki_sha256);

  // An algorithm OpenSSL cannot decode leaves the key type unknown; the hashes above are
  // still exact, so this is not an error.
  EVP_PKEY* key = X509_get0_pubkey(x509);
  if (key == nullptr) {
    ERR_clear_error();
    return OkStatus();
  }
  switch (EVP_PKEY_get_base_id(key)) {
    case EVP_PKEY_RSA:
    case EVP_PKEY_RSA_PSS: id.key_type = KeyType::kRsa; break;
    case EVP_PKEY_DSA: id.key_type = KeyType::kDsa; break;
    case EVP_PKEY_EC: id.key_type = KeyType::kEc; break;
    case EVP_PKEY_ED25519: id.key_type = KeyType::kEd25519; break;
    case EVP_PKEY_ED448: id.key_type = KeyType::kEd448; break;
    default: id.key_type = KeyType::kUnknown; break;
  }
  id.key_bits = EVP_PKEY_get_bits(key);
  if (id.key_bits < 0) id.key_bits = 0;
  if (id.key_type == KeyType::kEc) {
    char curve[80];
    size_t curve_len = 0;
    if (EVP_PKEY_get_group_name(key, curve, sizeof(curve), &curve_len) == 1) id.ec_curve.assign(curve, curve_len);
  }
  return OkStatus();
}

// TbsHasher is this thread's hasher for ComputeTbsIdentityHash.
Sha256& TbsHasher() {
  thread_local Sha256 sha;
  return sha;
}

// ReadIdentity extracts every leaf fact from a certificate decoded by OpenSSL (`x509`) whose
// TBSCertificate cert_view parsed strictly (`tbs`).
Result<CertIdentity> ReadIdentity(X509* x509, const TbsView& tbs) {
  CertIdentity id;
  id.precertificate = X509_get_ext_by_NID(x509, NID_ct_precert_poison, -1) >= 0;

  if (Status s = ReadSubjectAltNames(x509, id); !s.ok()) return s;
  const X509_NAME* subject = X509_get_subject_name(x509);
  const X509_NAME* issuer = X509_get_issuer_name(x509);
  if (subject == nullptr || issuer == nullptr) return MalformedError("subject or issuer Name: missing");
  if (Status s = ReadCommonNames(subject, id); !s.ok()) return s;
  id.dns_names = id.san_dns_names;
  for (const std::string& cn : id.common_names) {
    if (!IsHostname(cn)) continue;
    bool listed = false;
    for (const std::string& san : id.san_dns_names) listed = listed || EqualsIgnoringAsciiCase(san, cn);
    if (!listed) id.dns_names.push_back(cn);
  }

  constexpr unsigned long kUtf8Flags = XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB;
  struct NameField {
    const X509_NAME* name;
    unsigned long flags;
    std::string* out;
    const char* what;
  };
  for (const NameField& f : {NameField{subject, XN_FLAG_RFC2253, &id.subject_rfc2253, "subject"},
                             NameField{subject, kUtf8Flags, &id.subject_utf8, "subject"},
                             NameField{issuer, XN_FLAG_RFC2253, &id.issuer_rfc2253, "issuer"},
                             NameField{issuer, kUtf8Flags, &id.issuer_utf8, "issuer"}}) {
    Result<std::string> text = PrintName(f.name, f.flags, f.what);
    if (!text.ok()) return text.status();
    *f.out = std::move(*text);
  }

  id.serial_hex = SerialHex(X509_get0_serialNumber(x509));
  Result<Instant> not_before = ConvertTime(X509_get0_notBefore(x509), "validity notBefore");
  if (!not_before.ok()) return not_before.status();
  Result<Instant> not_after = ConvertTime(X509_get0_notAfter(x509), "validity notAfter");
  if (!not_after.ok()) return not_after.status();
  id.not_before_unix_s = not_before->unix_s;
  id.not_before_rfc3339 = std::move(not_before->rfc3339);
  id.not_after_unix_s = not_after->unix_s;
  id.not_after_rfc3339 = std::move(not_after->rfc3339);

  if (Status s = ReadPublicKey(x509, tbs, id); !s.ok()) return s;

  id.tbs_identity_hash = ComputeTbsIdentityHash(tbs, TbsHasher());
  return id;
}

// ResolveLink fills one chain link from the certificate DER. Only the SPKI is needed, so
// the strict DER parse (cert_view) is enough: no OpenSSL decode per chain certificate.
void ResolveLink(Bytes der, ChainLink& link) {
  Result<CertificateView> cert = ParseCertificate(der);
  if (!cert.ok()) {
    link.status = ChainLinkStatus::kUnparseable;
    return;
  }
  link.status = ChainLinkStatus::kResolved;
  link.spki_sha256 = Sha256Of(cert->tbs.subject_public_key_info);
}

}  // namespace

std::string_view KeyTypeName(KeyType type) {
  switch (type) {
    case KeyType::kRsa: return "rsa";
    case KeyType::kDsa: return "dsa";
    case KeyType::kEc: return "ec";
    case KeyType::kEd25519: return "ed25519";
    case KeyType::kEd448: return "ed448";
    case KeyType::kUnknown: break;
  }
  return "unknown";
}

bool IsHostname(std::string_view name) {
  constexpr size_t kMaxHostnameBytes = 253;  // RFC 1035 §2.3.4, in text form without the root dot
  constexpr size_t kMaxLabelBytes = 63;
  if (name.starts_with("*.")) name.remove_prefix(2);
  if (name.empty() || name.size() > kMaxHostnameBytes) return false;
  size_t labels = 0;
  while (true) {
    const size_t dot = name.find('.');
    const std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > kMaxLabelBytes) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      const bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
      if (!ldh) return false;
    }
    ++labels;
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  return labels >= 2;
}

namespace {

// CertificateFacts and PrecertFacts do the OpenSSL part for a leaf whose strict parse
// (`tbs`, over exactly these bytes) is in hand.
Result<CertIdentity> CertificateFacts(Bytes certificate_der, const TbsView& tbs) {
  Result<X509Ptr> x509 = DecodeX509(certificate_der, "certificate");
  if (!x509.ok()) return x509.status();
  Result<CertIdentity> id = ReadIdentity(x509->get(), tbs);
  if (!id.ok()) return id.status();
  id->form = CertificateForm::kCertificate;
  id->certificate_sha256 = Sha256Of(certificate_der);
  return id;
}

Result<CertIdentity> PrecertFacts(Bytes tbs_certificate, const TbsView& tbs, const Hash& issuer_key_hash) {
  const std::vector<uint8_t> wrapped = WrapTbsAsCertificate(tbs_certificate);
  Result<X509Ptr> x509 = DecodeX509(wrapped, "PreCert.tbs_certificate (wrapped as a Certificate)");
  if (!x509.ok()) return x509.status();
  Result<CertIdentity> id = ReadIdentity(x509->get(), tbs);
  if (!id.ok()) return id.status();
  id->form = CertificateForm::kPrecertificateTbs;
  id->precertificate = true;
  id->issuer_spki_sha256 = issuer_key_hash;
  return id;
}

}  // namespace

Result<CertIdentity> ParseCertificateIdentity(Bytes certificate_der) {
  // Strict DER first: it is cheap, and the SPKI and TBS hashes are defined over DER.
  Result<CertificateView> cert = ParseCertificate(certificate_der);
  if (!cert.ok()) return MalformedError("certificate: " + cert.status().message());
  return CertificateFacts(certificate_der, cert->tbs);
}

Result<CertIdentity> ParsePrecertIdentity(Bytes tbs_certificate, const Hash& issuer_key_hash) {
  Result<TbsView> tbs = ParseTbsCertificate(tbs_certificate);
  if (!tbs.ok()) return MalformedError("PreCert.tbs_certificate: " + tbs.status().message());
  return PrecertFacts(tbs_certificate, *tbs, issuer_key_hash);
}

Status AddChain(CertIdentity& identity, const ChainInput& chain) {
  identity.chain.clear();
  if (!chain.certificates.empty()) {
    for (Bytes der : chain.certificates) {
      ChainLink& link = identity.chain.emplace_back();
      link.certificate_sha256 = Sha256Of(der);
      ResolveLink(der, link);
    }
  } else if (!chain.fingerprints.empty()) {
    constexpr size_t kFingerprintBytes = sizeof(Hash);
    if (chain.fingerprints.size() % kFingerprintBytes != 0) {
      return MalformedError("chain fingerprints: " + std::to_string(chain.fingerprints.size()) +
                            " bytes, not a multiple of 32");
    }
    for (size_t at = 0; at < chain.fingerprints.size(); at += kFingerprintBytes) {
      ChainLink& link = identity.chain.emplace_back();
      const Bytes fingerprint = chain.fingerprints.subspan(at, kFingerprintBytes);
      std::copy(fingerprint.begin(), fingerprint.end(), link.certificate_sha256.begin());
      std::optional<Bytes> der = chain.lookup ? chain.lookup(link.certificate_sha256) : std::nullopt;
      if (!der) {
        link.status = ChainLinkStatus::kMissing;
      } else if (Sha256Of(*der) != link.certificate_sha256) {
        link.status = ChainLinkStatus::kFingerprintMismatch;
      } else {
        ResolveLink(*der, link);
      }
    }
  }
  // A precertificate's issuer is the PreCert's issuer_key_hash, whatever the chain says.
  if (identity.form == CertificateForm::kCertificate && !identity.chain.empty()) {
    identity.issuer_spki_sha256 = identity.chain.front().spki_sha256;
  }
  return OkStatus();
}

Result<CertIdentity> ComputeIdentity(const LeafInput& leaf, const ChainInput& chain) {
  Result<CertIdentity> id = MalformedError("unset");
  if (leaf.form == CertificateForm::kCertificate) {
    id = leaf.parsed != nullptr ? CertificateFacts(leaf.der, *leaf.parsed) : ParseCertificateIdentity(leaf.der);
  } else {
    id = leaf.parsed != nullptr ? PrecertFacts(leaf.der, *leaf.parsed, leaf.issuer_key_hash)
                                : ParsePrecertIdentity(leaf.der, leaf.issuer_key_hash);
    if (id.ok() && !leaf.pre_certificate.empty()) id->certificate_sha256 = Sha256Of(leaf.pre_certificate);
  }
  if (!id.ok()) return id;
  if (Status s = AddChain(*id, chain); !s.ok()) return s;
  return id;
}

Result<CertIdentity> ComputeCertificateIdentity(Bytes certificate_der, const ChainInput& chain) {
  return ComputeIdentity({.form = CertificateForm::kCertificate, .der = certificate_der}, chain);
}

}  // namespace pinwatch::x509
