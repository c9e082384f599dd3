// ByteWriter: the writing half of ByteReader. It appends big-endian integers, TLS-style
// length-prefixed vectors (RFC 6962 / RFC 8446 §3) and DER headers (X.690 §8.1) to a
// caller-owned buffer. The caller checks sizes against the format's limits before writing
// (a prefix that does not fit is a programming error, asserted); nothing else fails.
#pragma once

#include <array>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/byte_reader.h"

namespace pinwatch {

// DerHeader is one DER tag and minimal definite length, built without allocating (the TBS
// hash streams millions of them).
struct DerHeader {
  std::array<uint8_t, 2 + sizeof(size_t)> bytes{};
  size_t size = 0;
  Bytes view() const { return Bytes(bytes.data(), size); }
};

// EncodeDerHeader: the short form below 128, else 0x80|n followed by n big-endian octets.
inline DerHeader EncodeDerHeader(uint8_t tag, size_t length) {
  DerHeader h;
  h.bytes[h.size++] = tag;
  if (length < 0x80) {
    h.bytes[h.size++] = static_cast<uint8_t>(length);
    return h;
  }
  size_t octets = 0;
  for (size_t l = length; l != 0; l >>= 8) ++octets;
  h.bytes[h.size++] = static_cast<uint8_t>(0x80 | octets);
  for (size_t i = octets; i-- > 0;) h.bytes[h.size++] = static_cast<uint8_t>(length >> (8 * i));
  return h;
}

class ByteWriter {
 public:
  explicit ByteWriter(std::vector<uint8_t>& out) : out_(out) {}

  void U8(uint8_t v) { out_.push_back(v); }
  void U16(uint16_t v) { BigEndian(v, 2); }
  void U24(uint32_t v) {
    assert(v < (1u << 24));
    BigEndian(v, 3);
  }
  void U32(uint32_t v) { BigEndian(v, 4); }
  void U64(uint64_t v) { BigEndian(v, 8); }
  void Write(Bytes b) { out_.insert(out_.end(), b.begin(), b.end()); }

  // U8Prefixed/U16Prefixed/U24Prefixed write `opaque x<0..2^k-1>`: the length, then `body`.
  void U8Prefixed(Bytes body) { Prefixed(body, 1); }
  void U16Prefixed(Bytes body) { Prefixed(body, 2); }
  void U24Prefixed(Bytes body) { Prefixed(body, 3); }

  // DerTlv writes one DER element: tag, minimal length, contents.
  void DerTlv(uint8_t tag, Bytes contents) {
    Write(EncodeDerHeader(tag, contents.size()).view());
    Write(contents);
  }
  // DerHeader writes only the tag and length, for contents the caller writes next.
  void DerHeader(uint8_t tag, size_t length) { Write(EncodeDerHeader(tag, length).view()); }

 private:
  void BigEndian(uint64_t v, int bytes) {
    for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) out_.push_back(static_cast<uint8_t>(v >> shift));
  }
  void Prefixed(Bytes body, int length_bytes) {
    assert(length_bytes == 8 || body.size() < (uint64_t{1} << (8 * length_bytes)));
    BigEndian(body.size(), length_bytes);
    Write(body);
  }

  std::vector<uint8_t>& out_;
};

}  // namespace pinwatch
