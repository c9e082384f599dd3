#include "base/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace pinwatch {
namespace {

// The implementation is fetched once: EVP_MD_fetch takes global locks in OpenSSL 3.
const EVP_MD* Sha256Md() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  return md;
}

}  // namespace

struct Sha256::Ctx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~Ctx() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : ctx_(std::make_unique<Ctx>()) {
  // Failure here means OpenSSL itself is broken; nothing sensible can continue.
  if (ctx_->ctx == nullptr || Sha256Md() == nullptr ||
      EVP_DigestInit_ex(ctx_->ctx, Sha256Md(), nullptr) != 1) {
    std::abort();
  }
}

Sha256::~Sha256() = default;

Sha256& Sha256::Update(Bytes data) {
  EVP_DigestUpdate(ctx_->ctx, data.data(), data.size());
  return *this;
}

Hash Sha256::Final() {
  Hash out;
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx_->ctx, out.data(), &len);
  EVP_DigestInit_ex(ctx_->ctx, nullptr, nullptr);
  return out;
}

Hash Sha256Of(Bytes data) {
  thread_local Sha256 hasher;
  return hasher.Update(data).Final();
}

}  // namespace pinwatch
