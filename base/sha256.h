// SHA-256 over OpenSSL's EVP interface, with the digest fetched once per process and the
// context reused, because CT hashes every leaf and per-call setup would dominate.
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "base/byte_reader.h"

namespace pinwatch {

using Hash = std::array<uint8_t, 32>;

// Sha256 hashes one message incrementally. Not thread-safe: use one per thread.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  Sha256& Update(Bytes data);
  Sha256& Update(uint8_t byte) { return Update(Bytes(&byte, 1)); }
  // Final returns the digest and resets the object for the next message.
  Hash Final();

 private:
  struct Ctx;
  std::unique_ptr<Ctx> ctx_;
};

// Sha256Of hashes one buffer; it uses a thread-local Sha256 and is thread-safe.
Hash Sha256Of(Bytes data);

}  // namespace pinwatch
