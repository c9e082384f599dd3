// Small writers for the two encodings a CT log emits: DER (X.509, RFC 5280 / X.690) and
// TLS presentation-language structs (RFC 6962 §3, RFC 8446 §3). The simulator builds every
// certificate byte by byte with these, because it must be deterministic (same seed, same
// bytes) and fast (a million certificates in seconds), which OpenSSL's X509 API is not.
// Writers append to a caller-owned std::vector<uint8_t>; nothing here fails or throws
// except std::bad_alloc. Not thread-safe per buffer; distinct buffers are independent.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/byte_reader.h"
#include "base/byte_writer.h"  // TLS integers and vectors: ByteWriter

namespace pinwatch::sim {

using Buffer = std::vector<uint8_t>;

// DER tags the simulator writes (X.690 §8).
inline constexpr uint8_t kDerBoolean = 0x01;
inline constexpr uint8_t kDerInteger = 0x02;
inline constexpr uint8_t kDerBitString = 0x03;
inline constexpr uint8_t kDerOctetString = 0x04;
inline constexpr uint8_t kDerNull = 0x05;
inline constexpr uint8_t kDerOid = 0x06;
inline constexpr uint8_t kDerUtf8String = 0x0c;
inline constexpr uint8_t kDerPrintableString = 0x13;
inline constexpr uint8_t kDerUtcTime = 0x17;
inline constexpr uint8_t kDerGeneralizedTime = 0x18;
inline constexpr uint8_t kDerSequence = 0x30;
inline constexpr uint8_t kDerSet = 0x31;

// Append appends raw bytes.
inline void Append(Buffer& out, Bytes bytes) { out.insert(out.end(), bytes.begin(), bytes.end()); }
inline void Append(Buffer& out, std::string_view s) { Append(out, AsBytes(s)); }

// DerTlv appends one TLV with a minimal definite length.
void DerTlv(Buffer& out, uint8_t tag, Bytes contents);
inline void DerTlv(Buffer& out, uint8_t tag, std::string_view contents) {
  DerTlv(out, tag, AsBytes(contents));
}
// DerTlv returns one TLV as a new buffer.
Buffer DerTlv(uint8_t tag, Bytes contents);

// DerUnsignedInteger appends an INTEGER holding the big-endian unsigned magnitude `value`
// (leading zeros dropped, a 0x00 added when the top bit is set; zero encodes as 02 01 00).
void DerUnsignedInteger(Buffer& out, Bytes value);
void DerSmallInteger(Buffer& out, uint64_t value);

// DerTime appends a UTCTime (years 1950..2049) or GeneralizedTime (otherwise), as RFC 5280
// §4.1.2.5 requires, for a time in seconds since the epoch.
void DerTime(Buffer& out, int64_t unix_s);

}  // namespace pinwatch::sim
