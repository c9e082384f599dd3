#include "sim/der.h"

#include <ctime>

namespace pinwatch::sim {
namespace {

void DerLength(Buffer& out, size_t n) {
  if (n < 0x80) {
    out.push_back(static_cast<uint8_t>(n));
    return;
  }
  int bytes = 0;
  for (size_t v = n; v != 0; v >>= 8) ++bytes;
  out.push_back(static_cast<uint8_t>(0x80 | bytes));
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<uint8_t>(n >> (8 * i)));
}

void TwoDigits(std::string& s, int v) {
  s.push_back(static_cast<char>('0' + v / 10));
  s.push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

void DerTlv(Buffer& out, uint8_t tag, Bytes contents) {
  out.push_back(tag);
  DerLength(out, contents.size());
  Append(out, contents);
}

Buffer DerTlv(uint8_t tag, Bytes contents) {
  Buffer out;
  out.reserve(contents.size() + 6);
  DerTlv(out, tag, contents);
  return out;
}

void DerUnsignedInteger(Buffer& out, Bytes value) {
  size_t first = 0;
  while (first < value.size() && value[first] == 0) ++first;
  Buffer body;
  if (first == value.size() || (value[first] & 0x80) != 0) body.push_back(0);
  body.insert(body.end(), value.begin() + static_cast<ptrdiff_t>(first), value.end());
  DerTlv(out, kDerInteger, body);
}

void DerSmallInteger(Buffer& out, uint64_t value) {
  uint8_t be[8];
  for (int i = 0; i < 8; ++i) be[i] = static_cast<uint8_t>(value >> (56 - 8 * i));
  DerUnsignedInteger(out, Bytes(be, 8));
}

void DerTime(Buffer& out, int64_t unix_s) {
  time_t t = static_cast<time_t>(unix_s);
  struct tm tm;
  gmtime_r(&t, &tm);
  int year = tm.tm_year + 1900;
  std::string s;
  bool utc = year >= 1950 && year <= 2049;
  if (utc) {
    TwoDigits(s, year % 100);
  } else {
    TwoDigits(s, year / 100);
    TwoDigits(s, year % 100);
  }
  TwoDigits(s, tm.tm_mon + 1);
  TwoDigits(s, tm.tm_mday);
  TwoDigits(s, tm.tm_hour);
  TwoDigits(s, tm.tm_min);
  TwoDigits(s, tm.tm_sec);
  s.push_back('Z');
  DerTlv(out, utc ? kDerUtcTime : kDerGeneralizedTime, s);
}

void PutU8(Buffer& out, uint8_t v) { out.push_back(v); }
void PutU16(Buffer& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void PutU24(Buffer& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 16));
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void PutU64(Buffer& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
void PutU16Prefixed(Buffer& out, Bytes body) {
  PutU16(out, static_cast<uint16_t>(body.size()));
  Append(out, body);
}
void PutU24Prefixed(Buffer& out, Bytes body) {
  PutU24(out, static_cast<uint32_t>(body.size()));
  Append(out, body);
}

}  // namespace pinwatch::sim
