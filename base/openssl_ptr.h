// OpenSslPtr: OpenSSL objects owned through std::unique_ptr with their matching free
// function, so every path frees them. The one home of these aliases for every folder that
// calls OpenSSL (base's SHA-256, ctlog's signatures, x509's certificate facts, sim).
#pragma once

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <string>

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

// OpenSslError returns and clears the oldest queued OpenSSL error, for messages. The queue
// is thread-local; clearing it keeps one failure from showing up in the next message.
inline std::string OpenSslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "no OpenSSL error queued";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

}  // namespace pinwatch
