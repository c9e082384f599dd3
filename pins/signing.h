// Signing published pin-sets: ECDSA P-256 with SHA-256 over exactly the document's bytes,
// the signature ASN.1 DER, written base64 in <name>.json.sig, so that
//   openssl dgst -sha256 -verify pub.pem -signature <(base64 -d NAME.json.sig) NAME.json
// verifies it, as do Android's Signature("SHA256withECDSA") and Apple's
// SecKeyVerifySignature(.ecdsaSignatureMessageX962SHA256). OpenSSL appears only in
// signing.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"

namespace pinwatch::pins {

class SigningKey {
 public:
  // Generate makes a new P-256 key. LoadPemFile reads a PEM private key (PKCS#8 or SEC1
  // "EC PRIVATE KEY"); kFailedPrecondition naming the file when it is unreadable, not a
  // private key, or not an EC key on P-256.
  // Also refused: encrypted keys (no passphrase is asked for) and files over 64 KiB.
  // FromPem reads the text itself and names `source` in its errors. Whatever the file's
  // encoding, the public key is then written with a named curve and an uncompressed point.
  // A SigningKey does not change after it is made: its methods are thread-safe.
  static Result<SigningKey> Generate();
  static Result<SigningKey> LoadPemFile(const std::string& path);
  static Result<SigningKey> FromPem(std::string_view pem, std::string_view source);

  SigningKey(SigningKey&&) noexcept;
  SigningKey& operator=(SigningKey&&) noexcept;
  ~SigningKey();

  // PrivateKeyPem is PKCS#8 PEM ("BEGIN PRIVATE KEY"); PublicKeyPem SubjectPublicKeyInfo
  // PEM ("BEGIN PUBLIC KEY"), what apps embed; PublicKeyPin its "sha256/" pin, a short id.
  std::string PrivateKeyPem() const;
  std::string PublicKeyPem() const;
  std::string PublicKeyPin() const;
  // Sign returns the DER ECDSA signature over SHA-256(message).
  Result<std::vector<uint8_t>> Sign(Bytes message) const;

 private:
  struct Impl;
  explicit SigningKey(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// SignatureFileText is the .sig file: base64 of the DER signature and a newline.
std::string SignatureFileText(const std::vector<uint8_t>& der_signature);

// VerifyDocumentSignature checks a .sig file's text (base64, surrounding whitespace
// allowed) against `message` with a PEM public key (SubjectPublicKeyInfo, P-256).
// kMalformed for a bad key or signature encoding, kFailedPrecondition("signature does
// not verify") when it does not match.
Status VerifyDocumentSignature(std::string_view public_key_pem, Bytes message, std::string_view signature_file_text);

}  // namespace pinwatch::pins
