#include "pins/signing.h"

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstring>
#include <optional>
#include <string>

#include "base/encoding.h"
#include "base/file.h"
#include "base/openssl_ptr.h"
#include "base/pem.h"
#include "base/pin.h"

namespace pinwatch::pins {
namespace {

using EcdsaSigPtr = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;

// kMaxSigningKeyFileBytes caps the key file we read: a P-256 PEM key is about 250 bytes;
// anything near the cap is not a key.
constexpr size_t kMaxSigningKeyFileBytes = size_t{64} << 10;

// NotP256 returns nullopt for an EC key on P-256, or what the key is instead.
std::optional<std::string> NotP256(EVP_PKEY* pkey) {
  if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC) {
    const char* type = EVP_PKEY_get0_type_name(pkey);
    return std::string("a key of type ") + (type != nullptr ? type : "unknown") + ", not an EC key on P-256";
  }
  char group[64] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_group_name(pkey, group, sizeof group, &group_len) != 1) {
    ERR_clear_error();
    return std::string("an EC key without a named curve, not one on P-256");
  }
  std::string_view name(group, group_len);
  if (name != SN_X9_62_prime256v1) return "an EC key on " + std::string(name) + ", not on P-256 (prime256v1)";
  return std::nullopt;
}

// SpkiDer is the DER SubjectPublicKeyInfo of the key, empty if OpenSSL cannot write it.
std::vector<uint8_t> SpkiDer(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  const int len = i2d_PUBKEY(pkey, &der);
  if (len <= 0) {
    ERR_clear_error();
    return {};
  }
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

// NoPassphrase is the PEM password callback: it supplies none, so an encrypted key fails
// to load instead of OpenSSL prompting on the terminal.
int NoPassphrase(char*, int, int, void*) { return -1; }

// TrimWhitespace drops ASCII whitespace at both ends (a .sig file ends in a newline; an
// editor or `echo` may add more).
std::string_view TrimWhitespace(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n\v\f";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

}  // namespace

struct SigningKey::Impl {
  EvpPkeyPtr pkey;               // an EC key on P-256 with its private half
  std::vector<uint8_t> spki_der;  // its public key, written once
};

SigningKey::SigningKey(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SigningKey::SigningKey(SigningKey&&) noexcept = default;
SigningKey& SigningKey::operator=(SigningKey&&) noexcept = default;
SigningKey::~SigningKey() = default;

Result<SigningKey> SigningKey::Generate() {
  EvpPkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", SN_X9_62_prime256v1));
  if (!pkey) return InternalError("generating a P-256 key failed: " + OpenSslError());
  std::vector<uint8_t> spki = SpkiDer(pkey.get());
  if (spki.empty()) return InternalError("writing the new key's public key failed");
  return SigningKey(std::make_unique<Impl>(Impl{.pkey = std::move(pkey), .spki_der = std::move(spki)}));
}

Result<SigningKey> SigningKey::LoadPemFile(const std::string& path) {
  Result<std::string> text = ReadFile(path, "signing key", kMaxSigningKeyFileBytes);
  if (!text.ok()) return text.status();
  return FromPem(*text, path);
}

Result<SigningKey> SigningKey::FromPem(std::string_view pem, std::string_view source) {
  const std::string where(source);
  if (pem.size() > kMaxSigningKeyFileBytes) {
    return FailedPreconditionError(where + ": not a PEM private key: over " +
                                   std::to_string(kMaxSigningKeyFileBytes) + " bytes");
  }
  if (pem.find("-----BEGIN ENCRYPTED PRIVATE KEY-----") != std::string_view::npos ||
      pem.find("Proc-Type: 4,ENCRYPTED") != std::string_view::npos) {
    return FailedPreconditionError(where + ": the private key is encrypted; pinwatch reads unencrypted PEM keys");
  }
  // Both PKCS#8 ("PRIVATE KEY") and SEC1 ("EC PRIVATE KEY") decode here.
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return InternalError("BIO_new_mem_buf failed: " + OpenSslError());
  EvpPkeyPtr pkey(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!pkey) return FailedPreconditionError(where + ": not a PEM private key (" + OpenSslError() + ")");
  if (std::optional<std::string> not_p256 = NotP256(pkey.get())) {
    return FailedPreconditionError(where + ": " + *not_p256);
  }
  // Publish the public key the way apps parse it: a named curve and an uncompressed point
  // (Apple's SecKeyCreateWithData takes X9.63 uncompressed), whatever the file said.
  if (EVP_PKEY_set_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_EC_ENCODING, OSSL_PKEY_EC_ENCODING_GROUP) != 1 ||
      EVP_PKEY_set_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT,
                                     OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 1) {
    return InternalError(where + ": setting the key's encoding failed: " + OpenSslError());
  }
  std::vector<uint8_t> spki = SpkiDer(pkey.get());
  if (spki.empty()) return FailedPreconditionError(where + ": the key has no usable public key");
  return SigningKey(std::make_unique<Impl>(Impl{.pkey = std::move(pkey), .spki_der = std::move(spki)}));
}

std::string SigningKey::PrivateKeyPem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), impl_->pkey.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    return {};  // only on allocation failure
  }
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  std::string pem(data, static_cast<size_t>(len));
  // The BIO's buffer held the secret too; clear it before it is freed.
  OPENSSL_cleanse(data, static_cast<size_t>(len));
  return pem;
}

std::string SigningKey::PublicKeyPem() const { return EncodePem("PUBLIC KEY", impl_->spki_der); }

std::string SigningKey::PublicKeyPin() const { return SpkiPin(impl_->spki_der); }

Result<std::vector<uint8_t>> SigningKey::Sign(Bytes message) const {
  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return InternalError("EVP_MD_CTX_new failed");
  if (EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, impl_->pkey.get()) != 1) {
    return InternalError("EVP_DigestSignInit failed: " + OpenSslError());
  }
  // A one-shot EVP_DigestSign with no output buffer gives the maximum DER length (72 for
  // P-256); the second call writes the signature and its actual length.
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, message.data(), message.size()) != 1) {
    return InternalError("EVP_DigestSign (length) failed: " + OpenSslError());
  }
  std::vector<uint8_t> signature(len);
  if (EVP_DigestSign(ctx.get(), signature.data(), &len, message.data(), message.size()) != 1) {
    return InternalError("EVP_DigestSign failed: " + OpenSslError());
  }
  signature.resize(len);
  return signature;
}

std::string SignatureFileText(const std::vector<uint8_t>& der_signature) {
  return Base64Encode(der_signature) + "\n";
}

Status VerifyDocumentSignature(std::string_view public_key_pem, Bytes message, std::string_view signature_file_text) {
  // The key: SubjectPublicKeyInfo of an EC key on P-256, nothing after it.
  Result<std::vector<uint8_t>> spki = DecodePem(public_key_pem, "PUBLIC KEY");
  if (!spki.ok()) return MalformedError("public key: " + spki.status().message());
  const unsigned char* p = spki->data();
  EvpPkeyPtr pkey(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki->size())));
  if (!pkey) return MalformedError("public key: SubjectPublicKeyInfo does not parse: " + OpenSslError());
  if (p != spki->data() + spki->size()) return MalformedError("public key: trailing bytes after SubjectPublicKeyInfo");
  if (std::optional<std::string> not_p256 = NotP256(pkey.get())) return MalformedError("public key: " + *not_p256);

  // The signature: strict base64 of a DER ECDSA-Sig-Value ::= SEQUENCE { r INTEGER,
  // s INTEGER } (RFC 3279 §2.2.3), in its one DER encoding.
  std::optional<std::vector<uint8_t>> der = Base64Decode(TrimWhitespace(signature_file_text));
  if (!der || der->empty()) return MalformedError("signature file: not base64 of a signature");
  const unsigned char* q = der->data();
  EcdsaSigPtr parsed(d2i_ECDSA_SIG(nullptr, &q, static_cast<long>(der->size())));
  if (!parsed || q != der->data() + der->size()) {
    ERR_clear_error();
    return MalformedError("signature file: not a DER ECDSA signature");
  }
  unsigned char* reencoded = nullptr;
  const int reencoded_len = i2d_ECDSA_SIG(parsed.get(), &reencoded);
  const bool canonical = reencoded_len == static_cast<int>(der->size()) &&
                         std::memcmp(reencoded, der->data(), der->size()) == 0;
  OPENSSL_free(reencoded);
  if (!canonical) return MalformedError("signature file: ECDSA signature is not in DER");

  EvpMdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return InternalError("EVP_MD_CTX_new failed");
  if (EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1) {
    return InternalError("EVP_DigestVerifyInit failed: " + OpenSslError());
  }
  if (EVP_DigestVerify(ctx.get(), der->data(), der->size(), message.data(), message.size()) == 1) return OkStatus();
  ERR_clear_error();
  return FailedPreconditionError("signature does not verify");
}

}  // namespace pinwatch::pins
