// ECDSA P-256 keys for the simulated CAs, leaves and the log itself, with deterministic
// signatures, so the same seed always yields the same certificates and the same tree.
// OpenSSL 3.0 has no RFC 6979 nonces (3.2 added them), so Sign derives the nonce as
// HMAC-SHA256(private key, digest || counter) and does the scalar arithmetic with BIGNUM;
// the result is an ordinary ECDSA-SHA256 signature that any verifier accepts.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sim/der.h"

namespace pinwatch::sim {

class EcKey {
 public:
  // FromSeed derives a P-256 key from (seed, label): the same pair always gives the same
  // key. Never fails except on OpenSSL allocation failure (kInternal).
  static Result<EcKey> FromSeed(std::string_view seed, std::string_view label);
  // FromPemFile loads an EC P-256 private key (PKCS#8 or SEC1 PEM). kFailedPrecondition if
  // the file is unreadable, not a key, or not P-256.
  static Result<EcKey> FromPemFile(const std::filesystem::path& path);

  // spki_der returns the DER SubjectPublicKeyInfo (id-ecPublicKey, prime256v1, uncompressed).
  const Buffer& spki_der() const;
  // PublicKeyPem returns spki_der() as a "PUBLIC KEY" PEM block.
  std::string PublicKeyPem() const;
  // PrivateKeyPem returns the key as a SEC1 "EC PRIVATE KEY" PEM block.
  std::string PrivateKeyPem() const;

  // Sign returns the DER ECDSA-Sig-Value over SHA-256(message), deterministically.
  // Thread-safe (const; all scratch state is per call).
  Buffer Sign(Bytes message) const;

  // SignWithNoncePool is Sign for the simulated CAs' hot path: it picks one of a pool of
  // precomputed nonces (k, k⁻¹, r) by the message digest, so a signature costs two modular
  // multiplications instead of a scalar multiplication and an inversion (~10x faster).
  // Reusing nonces reveals the private key to anyone holding two such signatures: use it
  // only for keys that are no secret (the simulator's CA keys derive from a public seed),
  // never for a log key loaded with --key. The pool is built on first use. Thread-safe.
  Buffer SignWithNoncePool(Bytes message) const;

  struct Impl;  // opaque; public only so crypto.cc's helpers can build one

 private:
  explicit EcKey(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace pinwatch::sim
