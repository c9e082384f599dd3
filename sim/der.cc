#include "sim/der.h"

#include "base/byte_writer.h"
#include "base/time.h"

namespace pinwatch::sim {
namespace {

void TwoDigits(std::string& s, int v) {
  s.push_back(static_cast<char>('0' + v / 10));
  s.push_back(static_cast<char>('0' + v % 10));
}

}  // namespace

void DerTlv(Buffer& out, uint8_t tag, Bytes contents) {
  ByteWriter(out).DerTlv(tag, contents);
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
  Buffer be;
  ByteWriter(be).U64(value);
  DerUnsignedInteger(out, be);
}

void DerTime(Buffer& out, int64_t unix_s) {
  const CivilTime tm = CivilTimeOf(unix_s);
  const int year = static_cast<int>(tm.year);
  std::string s;
  bool utc = year >= 1950 && year <= 2049;
  if (utc) {
    TwoDigits(s, year % 100);
  } else {
    TwoDigits(s, year / 100);
    TwoDigits(s, year % 100);
  }
  TwoDigits(s, tm.month);
  TwoDigits(s, tm.day);
  TwoDigits(s, tm.hour);
  TwoDigits(s, tm.minute);
  TwoDigits(s, tm.second);
  s.push_back('Z');
  DerTlv(out, utc ? kDerUtcTime : kDerGeneralizedTime, s);
}

}  // namespace pinwatch::sim
