// A CT log's public key (RFC 6962 §2.1.4: ECDSA P-256 or RSA >= 2048 bits, signing with
// SHA-256) and the verification of the TLS DigitallySigned structs it produces.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "ctlog/sha256.h"
#include "ctlog/sth.h"

// OpenSSL's EVP_PKEY, forward-declared so that this header does not pull in OpenSSL.
struct evp_pkey_st;

namespace pinwatch::ctlog {

// kMinRsaKeyBits: RFC 6962 §2.1.4 requires at least 2048-bit RSA keys.
inline constexpr int kMinRsaKeyBits = 2048;

// LogKey is an immutable, validated log public key. Copies share the underlying OpenSSL
// key (reference-counted). All const methods are thread-safe: OpenSSL 3 allows concurrent
// use of one EVP_PKEY as long as nobody modifies it, and each Verify call uses its own
// context.
class LogKey {
 public:
  enum class Type { kEcdsaP256, kRsa };

  // Create parses a DER SubjectPublicKeyInfo. Returns the key if it is ECDSA on P-256 or
  // RSA with at least kMinRsaKeyBits; kMalformed if the DER does not parse, has trailing
  // bytes, is not canonical (re-encoding differs, which would give a different LogID), or
  // holds another key type or curve. Copies the bytes; thread-safe.
  static Result<LogKey> Create(Bytes spki_der);
  // FromBase64 is Create on base64(SPKI DER), the form used by log lists. kMalformed on bad
  // base64, otherwise as Create.
  static Result<LogKey> FromBase64(std::string_view spki_b64);
  // FromPem is Create on a "-----BEGIN PUBLIC KEY-----" PEM block. kMalformed if no such
  // block parses, otherwise as Create.
  static Result<LogKey> FromPem(std::string_view pem);

  LogKey(const LogKey& other);
  LogKey& operator=(const LogKey& other);
  LogKey(LogKey&& other) noexcept;
  LogKey& operator=(LogKey&& other) noexcept;
  ~LogKey();

  // log_id is the RFC 6962 §3.2 LogID: SHA-256 of the SPKI DER.
  const Hash& log_id() const { return log_id_; }
  Type type() const { return type_; }
  // spki_der is the key's DER SubjectPublicKeyInfo (owned by this object).
  Bytes spki_der() const { return spki_der_; }

  // Verify checks that `signature` is this key's signature over `signed_input`. OK if it
  // verifies. kMalformed if the hash algorithm is not SHA-256 (4) or the signature
  // algorithm does not match the key type (ECDSA = 3, RSA = 1, PKCS#1 v1.5): such a
  // signature is unusable rather than wrong. kMisbehaviour if it does not verify
  // (including an ECDSA signature that is not valid DER): the log signed something it
  // should not have, or someone altered it. Thread-safe.
  Status Verify(Bytes signed_input, const DigitallySigned& signature) const;

 private:
  struct PkeyDeleter {
    void operator()(evp_pkey_st* pkey) const;
  };
  using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyDeleter>;

  LogKey(PkeyPtr pkey, Type type, std::vector<uint8_t> spki_der);

  PkeyPtr pkey_;
  Type type_;
  std::vector<uint8_t> spki_der_;
  Hash log_id_{};
};

}  // namespace pinwatch::ctlog
