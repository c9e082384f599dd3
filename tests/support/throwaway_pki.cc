#include "tests/support/throwaway_pki.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <ctime>
#include <utility>

#include "base/openssl_ptr.h"
#include "base/pem.h"
#include "base/pin.h"

namespace pinwatch::testing {
namespace {

using X509Ptr = OpenSslPtr<X509, X509_free>;
using X509NamePtr = OpenSslPtr<X509_NAME, X509_NAME_free>;
using X509ExtensionPtr = OpenSslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using BignumPtr = OpenSslPtr<BIGNUM, BN_free>;

constexpr int64_t kDaySeconds = 86'400;

Status Failed(const std::string& what) { return InternalError("throwaway PKI: " + what + ": " + OpenSslError()); }

// Kind is what MakeCertificate makes.
enum class Kind { kCa, kLeaf };

// Signer is who signs: the new certificate itself (a root) or an issuer.
struct Signer {
  X509* certificate = nullptr;  // nullptr: self-signed
  EVP_PKEY* key = nullptr;
};

Result<X509Ptr> ParseDer(Bytes der, const char* what) {
  const unsigned char* p = der.data();
  X509Ptr x(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (!x || p != der.data() + der.size()) return Failed(std::string(what) + " does not parse");
  return x;
}

Result<EvpPkeyPtr> ParseKey(Bytes der) {
  const unsigned char* p = der.data();
  EvpPkeyPtr key(d2i_AutoPrivateKey(nullptr, &p, static_cast<long>(der.size())));
  if (!key) return Failed("issuer private key does not parse");
  return key;
}

template <class Fn>
std::vector<uint8_t> EncodeWith(Fn&& i2d) {
  unsigned char* buf = nullptr;
  const int n = i2d(&buf);
  if (n <= 0) return {};
  std::vector<uint8_t> out(buf, buf + n);
  OPENSSL_free(buf);
  return out;
}

// AddExtension adds one extension written in OpenSSL's config syntax ("critical,CA:TRUE").
Status AddExtension(X509* x, X509V3_CTX* ctx, int nid, const char* value) {
  X509ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (!ext) return Failed(std::string("extension ") + OBJ_nid2sn(nid) + " = " + value);
  if (X509_add_ext(x, ext.get(), -1) != 1) return Failed(std::string("adding ") + OBJ_nid2sn(nid));
  return OkStatus();
}

Result<ThrowawayCertificate> MakeCertificate(Kind kind, std::string_view common_name,
                                             const std::vector<std::string>& dns_names, Signer signer,
                                             const ThrowawayOptions& options) {
  EvpPkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Failed("EC P-256 key generation");
  X509Ptr x(X509_new());
  if (!x || X509_set_version(x.get(), X509_VERSION_3) != 1) return Failed("X509_new");

  // serialNumber: 128 random bits, positive (RFC 5280 §4.1.2.2: at most 20 octets).
  BignumPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x.get())) == nullptr) {
    return Failed("serial number");
  }

  // subject: [O=<organization>,] CN=<common_name>, in DER order (RFC 2253 text prints it
  // backwards: "CN=...,O=...", as for real CAs)
  X509NamePtr subject(X509_NAME_new());
  if (!subject) return Failed("X509_NAME_new");
  if (!options.organization.empty() &&
      X509_NAME_add_entry_by_NID(subject.get(), NID_organizationName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(options.organization.data()),
                                 static_cast<int>(options.organization.size()), -1, 0) != 1) {
    return Failed("subject O");
  }
  const std::string cn(common_name);
  if (X509_NAME_add_entry_by_NID(subject.get(), NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.data()), static_cast<int>(cn.size()), -1,
                                 0) != 1) {
    return Failed("subject CN");
  }
  if (X509_set_subject_name(x.get(), subject.get()) != 1) return Failed("subject");
  X509_NAME* issuer_name = signer.certificate ? X509_get_subject_name(signer.certificate) : subject.get();
  if (X509_set_issuer_name(x.get(), issuer_name) != 1) return Failed("issuer");

  // validity
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const int64_t not_before = options.not_before_unix_s != 0 ? options.not_before_unix_s : now - kDaySeconds;
  const int64_t not_after = options.not_after_unix_s != 0
                                ? options.not_after_unix_s
                                : not_before + (kind == Kind::kCa ? 3650 : 90) * kDaySeconds;
  if (ASN1_TIME_set(X509_getm_notBefore(x.get()), static_cast<time_t>(not_before)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(x.get()), static_cast<time_t>(not_after)) == nullptr) {
    return Failed("validity");
  }
  if (X509_set_pubkey(x.get(), key.get()) != 1) return Failed("public key");

  // extensions
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, signer.certificate ? signer.certificate : x.get(), x.get(), nullptr, nullptr, 0);
  if (kind == Kind::kCa) {
    if (Status s = AddExtension(x.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"); !s.ok()) return s;
    if (Status s = AddExtension(x.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"); !s.ok()) return s;
  } else {
    if (Status s = AddExtension(x.get(), &ctx, NID_basic_constraints, "CA:FALSE"); !s.ok()) return s;
    if (Status s = AddExtension(x.get(), &ctx, NID_key_usage, "critical,digitalSignature"); !s.ok()) return s;
    if (Status s = AddExtension(x.get(), &ctx, NID_ext_key_usage, "serverAuth"); !s.ok()) return s;
    std::string san;
    for (const std::string& name : dns_names) san += (san.empty() ? "DNS:" : ",DNS:") + name;
    if (Status s = AddExtension(x.get(), &ctx, NID_subject_alt_name, san.c_str()); !s.ok()) return s;
  }
  if (options.key_identifiers == KeyIdentifiers::kInclude) {
    if (Status s = AddExtension(x.get(), &ctx, NID_subject_key_identifier, "hash"); !s.ok()) return s;
    if (signer.certificate != nullptr) {
      if (Status s = AddExtension(x.get(), &ctx, NID_authority_key_identifier, "keyid:always"); !s.ok()) return s;
    }
  }

  if (X509_sign(x.get(), signer.key != nullptr ? signer.key : key.get(), EVP_sha256()) <= 0) return Failed("signing");
  ThrowawayCertificate out;
  out.der = EncodeWith([&](unsigned char** buf) { return i2d_X509(x.get(), buf); });
  // PKCS#8 (i2d_PrivateKey would write SEC1's ECPrivateKey): what TLS servers load as "PRIVATE KEY".
  OpenSslPtr<PKCS8_PRIV_KEY_INFO, PKCS8_PRIV_KEY_INFO_free> pkcs8(EVP_PKEY2PKCS8(key.get()));
  if (!pkcs8) return Failed("PKCS#8");
  out.private_key_der = EncodeWith([&](unsigned char** buf) { return i2d_PKCS8_PRIV_KEY_INFO(pkcs8.get(), buf); });
  if (out.der.empty() || out.private_key_der.empty()) return Failed("encoding");
  return out;
}

// Issued makes a certificate signed by `issuer`.
Result<ThrowawayCertificate> Issued(Kind kind, const ThrowawayCertificate& issuer, std::string_view common_name,
                                    const std::vector<std::string>& dns_names, const ThrowawayOptions& options) {
  auto issuer_cert = ParseDer(issuer.der, "issuer certificate");
  if (!issuer_cert.ok()) return issuer_cert.status();
  auto issuer_key = ParseKey(issuer.private_key_der);
  if (!issuer_key.ok()) return issuer_key.status();
  return MakeCertificate(kind, common_name, dns_names, {.certificate = issuer_cert->get(), .key = issuer_key->get()},
                         options);
}

}  // namespace

Result<ThrowawayCertificate> MakeThrowawayCa(std::string_view common_name, const ThrowawayOptions& options) {
  return MakeCertificate(Kind::kCa, common_name, {}, {}, options);
}

Result<ThrowawayCertificate> MakeThrowawayIntermediateCa(const ThrowawayCertificate& issuer,
                                                         std::string_view common_name,
                                                         const ThrowawayOptions& options) {
  return Issued(Kind::kCa, issuer, common_name, {}, options);
}

Result<ThrowawayCertificate> MakeThrowawayLeaf(const ThrowawayCertificate& issuer,
                                               const std::vector<std::string>& dns_names,
                                               const ThrowawayOptions& options) {
  if (dns_names.empty()) return InternalError("throwaway PKI: a leaf needs at least one DNS name");
  return Issued(Kind::kLeaf, issuer, dns_names.front(), dns_names, options);
}

std::string CertificatePem(const ThrowawayCertificate& certificate) {
  return EncodePem("CERTIFICATE", certificate.der);
}

std::string PrivateKeyPem(const ThrowawayCertificate& certificate) {
  return EncodePem("PRIVATE KEY", certificate.private_key_der);
}

std::string ChainPem(const std::vector<const ThrowawayCertificate*>& chain_leaf_first) {
  std::string out;
  for (const ThrowawayCertificate* c : chain_leaf_first) out += CertificatePem(*c);
  return out;
}

std::string SpkiSha256Pin(Bytes certificate_der) {
  auto x = ParseDer(certificate_der, "certificate");
  if (!x.ok()) return "";
  std::vector<uint8_t> spki =
      EncodeWith([&](unsigned char** buf) { return i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x->get()), buf); });
  return spki.empty() ? "" : SpkiPin(spki);
}

}  // namespace pinwatch::testing
