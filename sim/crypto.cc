#include "sim/crypto.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>

#include <cstdio>
#include <mutex>
#include <vector>

#include "base/pem.h"
#include "base/openssl_ptr.h"
#include "ctlog/sha256.h"

namespace pinwatch::sim {
namespace {

using BnPtr = OpenSslPtr<BIGNUM, BN_clear_free>;
using BnCtxPtr = OpenSslPtr<BN_CTX, BN_CTX_free>;
using PointPtr = OpenSslPtr<EC_POINT, EC_POINT_free>;
using SigPtr = OpenSslPtr<ECDSA_SIG, ECDSA_SIG_free>;
using PkeyPtr = EvpPkeyPtr;

// The P-256 group, created once; EC_GROUP is safe to share read-only between threads.
const EC_GROUP* P256() {
  static const EC_GROUP* group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  return group;
}

// DER prefix of a P-256 SubjectPublicKeyInfo up to the uncompressed point (RFC 5480):
//   SEQUENCE { SEQUENCE { OID id-ecPublicKey, OID prime256v1 }, BIT STRING (0 unused) 04||X||Y }
constexpr uint8_t kP256SpkiPrefix[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
                                       0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

constexpr size_t kNoncePoolSize = 64;

struct PooledNonce {
  BnPtr k_inverse;
  BnPtr r;
};

}  // namespace

struct EcKey::Impl {
  BnPtr d;
  uint8_t d_bytes[32];
  Buffer spki;
  mutable std::once_flag pool_once;
  mutable std::vector<PooledNonce> pool;
};

namespace {

// DerSignature returns the DER ECDSA-Sig-Value { r, s } (copies r and s).
Buffer DerSignature(const BIGNUM* r, const BIGNUM* s) {
  SigPtr sig(ECDSA_SIG_new());
  ECDSA_SIG_set0(sig.get(), BN_dup(r), BN_dup(s));
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  Buffer out(static_cast<size_t>(len));
  uint8_t* p = out.data();
  i2d_ECDSA_SIG(sig.get(), &p);
  return out;
}

BN_CTX* ThreadBnCtx() {
  thread_local BnCtxPtr ctx(BN_CTX_new());
  return ctx.get();
}

Result<std::shared_ptr<EcKey::Impl>> ImplFromScalar(BnPtr d) {
  auto impl = std::make_shared<EcKey::Impl>();
  BnCtxPtr ctx(BN_CTX_new());
  PointPtr q(EC_POINT_new(P256()));
  if (!ctx || !q || !EC_POINT_mul(P256(), q.get(), d.get(), nullptr, nullptr, ctx.get())) {
    return InternalError("EC_POINT_mul failed");
  }
  uint8_t point[65];
  if (EC_POINT_point2oct(P256(), q.get(), POINT_CONVERSION_UNCOMPRESSED, point, sizeof point,
                         ctx.get()) != sizeof point) {
    return InternalError("EC_POINT_point2oct failed");
  }
  if (BN_bn2binpad(d.get(), impl->d_bytes, 32) != 32) return InternalError("BN_bn2binpad failed");
  impl->spki.assign(std::begin(kP256SpkiPrefix), std::end(kP256SpkiPrefix));
  impl->spki.insert(impl->spki.end(), point, point + sizeof point);
  impl->d = std::move(d);
  return impl;
}

}  // namespace

Result<EcKey> EcKey::FromSeed(std::string_view seed, std::string_view label) {
  // d = (HMAC-SHA256(seed, "ctsim key" || label) mod (n - 1)) + 1, so 1 <= d < n.
  std::string msg = "ctsim key/";
  msg.append(label);
  uint8_t mac[32];
  unsigned mac_len = 0;
  if (!HMAC(EVP_sha256(), seed.data(), static_cast<int>(seed.size()),
            reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), mac, &mac_len)) {
    return InternalError("HMAC failed");
  }
  BnCtxPtr ctx(BN_CTX_new());
  BnPtr raw(BN_bin2bn(mac, 32, nullptr));
  BnPtr n_minus_1(BN_dup(EC_GROUP_get0_order(P256())));
  BnPtr d(BN_new());
  if (!ctx || !raw || !n_minus_1 || !d || !BN_sub_word(n_minus_1.get(), 1) ||
      !BN_mod(d.get(), raw.get(), n_minus_1.get(), ctx.get()) || !BN_add_word(d.get(), 1)) {
    return InternalError("BIGNUM arithmetic failed");
  }
  auto impl = ImplFromScalar(std::move(d));
  if (!impl.ok()) return impl.status();
  return EcKey(std::move(*impl));
}

Result<EcKey> EcKey::FromPemFile(const std::filesystem::path& path) {
  FILE* f = fopen(path.c_str(), "r");
  if (f == nullptr) return FailedPreconditionError("cannot open key file " + path.string());
  PkeyPtr pkey(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  fclose(f);
  if (!pkey) return FailedPreconditionError("no PEM private key in " + path.string());
  char group[64] = {};
  size_t group_len = 0;
  if (EVP_PKEY_get_base_id(pkey.get()) != EVP_PKEY_EC ||
      !EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                      &group_len) ||
      std::string_view(group) != "prime256v1") {
    return FailedPreconditionError("log key must be ECDSA P-256: " + path.string());
  }
  BIGNUM* d = nullptr;
  if (!EVP_PKEY_get_bn_param(pkey.get(), OSSL_PKEY_PARAM_PRIV_KEY, &d)) {
    return FailedPreconditionError("cannot read the private scalar of " + path.string());
  }
  auto impl = ImplFromScalar(BnPtr(d));
  if (!impl.ok()) return impl.status();
  return EcKey(std::move(*impl));
}

const Buffer& EcKey::spki_der() const { return impl_->spki; }

std::string EcKey::PublicKeyPem() const { return EncodePem("PUBLIC KEY", impl_->spki); }

std::string EcKey::PrivateKeyPem() const {
  // ECPrivateKey ::= SEQUENCE { version INTEGER 1, privateKey OCTET STRING,
  //                             [0] parameters (prime256v1), [1] publicKey BIT STRING }
  static constexpr uint8_t kCurveOid[] = {0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07};
  Buffer body;
  DerSmallInteger(body, 1);
  DerTlv(body, kDerOctetString, Bytes(impl_->d_bytes, 32));
  DerTlv(body, 0xa0, Bytes(kCurveOid, sizeof kCurveOid));
  Buffer bits = {0x00};
  bits.insert(bits.end(), impl_->spki.end() - 65, impl_->spki.end());
  DerTlv(body, 0xa1, DerTlv(kDerBitString, bits));
  return EncodePem("EC PRIVATE KEY", DerTlv(kDerSequence, body));
}

Buffer EcKey::Sign(Bytes message) const {
  ctlog::Hash digest = ctlog::Sha256Of(message);
  const BIGNUM* n = EC_GROUP_get0_order(P256());
  BnCtxPtr ctx(BN_CTX_new());
  BnPtr z(BN_bin2bn(digest.data(), 32, nullptr));  // 256-bit digest, no truncation for P-256
  BnPtr k(BN_new()), r(BN_new()), s(BN_new()), kinv(BN_new()), tmp(BN_new());
  PointPtr point(EC_POINT_new(P256()));
  for (uint8_t counter = 0;; ++counter) {
    // k = HMAC-SHA256(d, digest || counter) mod n; retried in the (negligible) cases
    // k == 0, r == 0 or s == 0.
    uint8_t in[33];
    std::copy(digest.begin(), digest.end(), in);
    in[32] = counter;
    uint8_t mac[32];
    unsigned mac_len = 0;
    HMAC(EVP_sha256(), impl_->d_bytes, 32, in, sizeof in, mac, &mac_len);
    BN_bin2bn(mac, 32, tmp.get());
    BN_nnmod(k.get(), tmp.get(), n, ctx.get());
    if (BN_is_zero(k.get())) continue;
    // r = x(k·G) mod n
    EC_POINT_mul(P256(), point.get(), k.get(), nullptr, nullptr, ctx.get());
    EC_POINT_get_affine_coordinates(P256(), point.get(), tmp.get(), nullptr, ctx.get());
    BN_nnmod(r.get(), tmp.get(), n, ctx.get());
    if (BN_is_zero(r.get())) continue;
    // s = k⁻¹ (z + r·d) mod n
    BN_mod_inverse(kinv.get(), k.get(), n, ctx.get());
    BN_mod_mul(tmp.get(), r.get(), impl_->d.get(), n, ctx.get());
    BN_mod_add(tmp.get(), tmp.get(), z.get(), n, ctx.get());
    BN_mod_mul(s.get(), kinv.get(), tmp.get(), n, ctx.get());
    if (BN_is_zero(s.get())) continue;
    break;
  }
  return DerSignature(r.get(), s.get());
}

Buffer EcKey::SignWithNoncePool(Bytes message) const {
  const BIGNUM* n = EC_GROUP_get0_order(P256());
  std::call_once(impl_->pool_once, [this, n] {
    BnCtxPtr ctx(BN_CTX_new());
    PointPtr point(EC_POINT_new(P256()));
    BnPtr k(BN_new()), x(BN_new());
    for (size_t i = 0; impl_->pool.size() < kNoncePoolSize; ++i) {
      // k_i = HMAC-SHA256(d, "nonce pool" || i) mod n
      std::string label = "nonce pool " + std::to_string(i);
      uint8_t mac[32];
      unsigned mac_len = 0;
      HMAC(EVP_sha256(), impl_->d_bytes, 32, reinterpret_cast<const uint8_t*>(label.data()), label.size(), mac,
           &mac_len);
      BN_bin2bn(mac, 32, x.get());
      BN_nnmod(k.get(), x.get(), n, ctx.get());
      if (BN_is_zero(k.get())) continue;
      PooledNonce nonce{BnPtr(BN_new()), BnPtr(BN_new())};
      EC_POINT_mul(P256(), point.get(), k.get(), nullptr, nullptr, ctx.get());
      EC_POINT_get_affine_coordinates(P256(), point.get(), x.get(), nullptr, ctx.get());
      BN_nnmod(nonce.r.get(), x.get(), n, ctx.get());
      if (BN_is_zero(nonce.r.get())) continue;
      BN_mod_inverse(nonce.k_inverse.get(), k.get(), n, ctx.get());
      impl_->pool.push_back(std::move(nonce));
    }
  });
  ctlog::Hash digest = ctlog::Sha256Of(message);
  const PooledNonce& nonce = impl_->pool[digest[31] % kNoncePoolSize];
  BN_CTX* ctx = ThreadBnCtx();
  BN_CTX_start(ctx);
  BIGNUM* z = BN_CTX_get(ctx);
  BIGNUM* t = BN_CTX_get(ctx);
  BIGNUM* s = BN_CTX_get(ctx);
  BN_bin2bn(digest.data(), 32, z);
  // s = k⁻¹ (z + r·d) mod n; s == 0 has negligible probability and would only make this
  // one signature invalid, so it is not retried.
  BN_mod_mul(t, nonce.r.get(), impl_->d.get(), n, ctx);
  BN_mod_add(t, t, z, n, ctx);
  BN_mod_mul(s, nonce.k_inverse.get(), t, n, ctx);
  Buffer out = DerSignature(nonce.r.get(), s);
  BN_CTX_end(ctx);
  return out;
}

}  // namespace pinwatch::sim
