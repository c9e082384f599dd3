// OpenSslPtr: OpenSSL objects owned through std::unique_ptr with their matching free
// function, so every path frees them. The one home of these aliases for every folder that
// calls OpenSSL (base's SHA-256, ctlog's signatures, x509's certificate facts, sim).
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>

#include <memory>

namespace pinwatch {

template <auto FreeFn>
struct OpenSslDeleter {
  template <class T>
  void operator()(T* p) const { FreeFn(p); }
};

// OpenSslPtr<T, T_free> owns a T* and frees it with T_free.
template <class T, auto FreeFn>
using OpenSslPtr = std::unique_ptr<T, OpenSslDeleter<FreeFn>>;

using BioPtr = OpenSslPtr<BIO, BIO_free_all>;
using EvpPkeyPtr = OpenSslPtr<EVP_PKEY, EVP_PKEY_free>;
using EvpMdCtxPtr = OpenSslPtr<EVP_MD_CTX, EVP_MD_CTX_free>;

}  // namespace pinwatch
