#include "ctlog/log_key.h"

#include <cstring>
#include <string>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/encoding.h"
#include "base/openssl_ptr.h"
#include "base/pem.h"

namespace pinwatch::ctlog {

void LogKey::PkeyDeleter::operator()(evp_pkey_st* pkey) const { EVP_PKEY_free(pkey); }

LogKey::LogKey(PkeyPtr pkey, Type type, std::vector<uint8_t> spki_der)
    : pkey_(std::move(pkey)), type_(type), spki_der_(std::move(spki_der)), log_id_(Sha256Of(spki_der_)) {}

LogKey::LogKey(const LogKey& other)
    : type_(other.type_), spki_der_(other.spki_der_), log_id_(other.log_id_) {
  EVP_PKEY_up_ref(other.pkey_.get());
  pkey_.reset(other.pkey_.get());
}

LogKey& LogKey::operator=(const LogKey& other) {
  if (this != &other) *this = LogKey(other);
  return *this;
}

LogKey::LogKey(LogKey&& other) noexcept = default;
LogKey& LogKey::operator=(LogKey&& other) noexcept = default;
LogKey::~LogKey() = default;

Result<LogKey> LogKey::Create(Bytes spki_der) {
  // SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING }
  const unsigned char* p = spki_der.data();
  PkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki_der.size())));
  if (!pkey) return MalformedError("log key: SubjectPublicKeyInfo does not parse: " + OpenSslError());
  const size_t consumed = static_cast<size_t>(p - spki_der.data());
  if (consumed != spki_der.size()) {
    return MalformedError("log key: trailing bytes after SubjectPublicKeyInfo at byte offset " +
                          std::to_string(consumed));
  }
  // The LogID hashes these exact bytes, so insist they are the canonical encoding.
  unsigned char* reencoded = nullptr;
  const int reencoded_len = i2d_PUBKEY(pkey.get(), &reencoded);
  const bool canonical = reencoded_len == static_cast<int>(spki_der.size()) &&
                         std::memcmp(reencoded, spki_der.data(), spki_der.size()) == 0;
  OPENSSL_free(reencoded);
  if (!canonical) return MalformedError("log key: SubjectPublicKeyInfo is not canonical DER");

  Type type;
  switch (EVP_PKEY_get_base_id(pkey.get())) {
    case EVP_PKEY_EC: {
      char group[64] = {};
      size_t group_len = 0;
      if (EVP_PKEY_get_group_name(pkey.get(), group, sizeof group, &group_len) != 1 ||
          std::string_view(group, group_len) != "prime256v1") {
        ERR_clear_error();
        return MalformedError("log key: EC key is not on P-256 (curve \"" +
                              std::string(group, group_len) + "\")");
      }
      type = Type::kEcdsaP256;
      break;
    }
    case EVP_PKEY_RSA:
      if (int bits = EVP_PKEY_get_bits(pkey.get()); bits < kMinRsaKeyBits) {
        return MalformedError("log key: RSA key of " + std::to_string(bits) + " bits, want >= " +
                              std::to_string(kMinRsaKeyBits));
      }
      type = Type::kRsa;
      break;
    default:
      return MalformedError("log key: unsupported key type (want ECDSA P-256 or RSA)");
  }
  return LogKey(std::move(pkey), type, std::vector<uint8_t>(spki_der.begin(), spki_der.end()));
}

Result<LogKey> LogKey::FromBase64(std::string_view spki_b64) {
  auto der = Base64Decode(spki_b64);
  if (!der) return MalformedError("log key: invalid base64");
  return Create(*der);
}

Result<LogKey> LogKey::FromPem(std::string_view pem) {
  Result<std::vector<uint8_t>> der = DecodePem(pem, "PUBLIC KEY");
  if (!der.ok()) return MalformedError("log key: " + der.status().message());
  return Create(*der);
}

Status LogKey::Verify(Bytes signed_input, const DigitallySigned& signature) const {
  if (signature.hash_algorithm != kHashSha256) {
    return MalformedError("DigitallySigned.hash: algorithm " + std::to_string(signature.hash_algorithm) +
                          " is not SHA-256 (4)");
  }
  const uint8_t want_sig_alg = type_ == Type::kEcdsaP256 ? kSignatureEcdsa : kSignatureRsa;
  if (signature.signature_algorithm != want_sig_alg) {
    return MalformedError("DigitallySigned.signature_algorithm: " +
                          std::to_string(signature.signature_algorithm) + " does not match the " +
                          (type_ == Type::kEcdsaP256 ? "ECDSA (3)" : "RSA (1)") + " log key");
  }
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return InternalError("EVP_MD_CTX_new failed");
  // RSA keys default to PKCS#1 v1.5 padding, which is what RFC 6962 logs use.
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get()) != 1) {
    return InternalError("EVP_DigestVerifyInit failed: " + OpenSslError());
  }
  const int rc = EVP_DigestVerify(ctx.get(), signature.signature.data(), signature.signature.size(),
                                  signed_input.data(), signed_input.size());
  if (rc == 1) return OkStatus();
  // 0 is "does not verify"; a negative value here means the signature bytes were
  // unusable (e.g. not an ECDSA DER SEQUENCE), which is no better.
  ERR_clear_error();
  return MisbehaviourError("signature does not verify with the log key (LogID " +
                           Base64Encode(log_id_) + ")");
}

}  // namespace pinwatch::ctlog
