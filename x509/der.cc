// DER reading (X.690 §8, §10) for x509/. See der.h.
#include "x509/der.h"

#include <string>

#include "base/time.h"

namespace pinwatch::x509::der {

std::string_view FailureName(Failure failure) {
  switch (failure) {
    case Failure::kNone: return "no error";
    case Failure::kTruncated: return "truncated";
    case Failure::kWrongTag: return "wrong tag";
    case Failure::kHighTagNumber: return "multi-byte tag";
    case Failure::kIndefiniteLength: return "indefinite length";
    case Failure::kNonMinimalLength: return "non-minimal length";
    case Failure::kLengthTooLarge: return "length too large";
    case Failure::kTrailingBytes: return "trailing bytes";
    case Failure::kBadValue: return "invalid value";
  }
  return "unknown";
}

Status MalformedAt(std::string_view field, Failure failure, size_t offset) {
  std::string m(field);
  m += ": ";
  m += FailureName(failure);
  m += " at byte offset ";
  m += std::to_string(offset);
  return MalformedError(std::move(m));
}

std::optional<uint8_t> Reader::PeekTag() const {
  if (in_.empty()) return std::nullopt;
  return in_.peek()[0];
}

std::optional<Element> Reader::Failed(Failure why, size_t at) {
  failure_ = why;
  failure_offset_ = at;
  return std::nullopt;
}

std::optional<Element> Reader::Next() {
  const size_t start = in_.offset();
  const Bytes at_start = in_.peek();
  // Identifier octet: class, constructed bit, tag number (X.690 §8.1.2).
  std::optional<uint8_t> tag = in_.U8();
  if (!tag) return Failed(Failure::kTruncated, start);
  if ((*tag & 0x1f) == 0x1f) return Failed(Failure::kHighTagNumber, start);
  // Length octets (X.690 §8.1.3; DER §10.1: definite, minimal).
  std::optional<uint8_t> first = in_.U8();
  if (!first) return Failed(Failure::kTruncated, start);
  size_t length = 0;
  if (*first < 0x80) {
    length = *first;
  } else if (*first == 0x80) {
    return Failed(Failure::kIndefiniteLength, start);
  } else {
    const size_t octets = *first & 0x7f;
    if (octets > kMaxLengthOctets) return Failed(Failure::kLengthTooLarge, start);
    std::optional<Bytes> length_bytes = in_.Read(octets);
    if (!length_bytes) return Failed(Failure::kTruncated, start);
    for (uint8_t b : *length_bytes) length = (length << 8) | b;
    if (rules_ == Rules::kDer && ((*length_bytes)[0] == 0 || length < 0x80)) {
      return Failed(Failure::kNonMinimalLength, start);
    }
  }
  const size_t header_bytes = in_.offset() - start;
  bool clamped = false;
  if (length > in_.remaining()) {
    if (rules_ != Rules::kLenient) return Failed(Failure::kTruncated, start);
    length = in_.remaining();
    clamped = true;
  }
  Bytes contents = *in_.Read(length);
  return Element{.tag = *tag,
                 .tlv = at_start.first(header_bytes + length),
                 .contents = contents,
                 .offset = start,
                 .contents_offset = start + header_bytes,
                 .clamped = clamped};
}

std::optional<Element> Reader::Next(uint8_t tag) {
  std::optional<uint8_t> next = PeekTag();
  if (!next) return Failed(Failure::kTruncated, offset());
  if (*next != tag) return Failed(Failure::kWrongTag, offset());
  return Next();
}

bool Reader::ExpectEnd() {
  if (in_.empty()) return true;
  Failed(Failure::kTrailingBytes, offset());
  return false;
}

Status Reader::Fail(std::string_view field) const {
  return MalformedAt(field, failure_, failure_offset_);
}

std::optional<Element> TakeElement(Bytes& rest, Rules rules) {
  Reader r(rest, 0, rules);
  std::optional<Element> e = r.Next();
  if (e) rest = rest.subspan(e->tlv.size());
  return e;
}

bool IsMinimalInteger(Bytes c) {
  if (c.empty()) return false;
  if (c.size() == 1) return true;
  if (c[0] == 0x00 && (c[1] & 0x80) == 0) return false;
  if (c[0] == 0xff && (c[1] & 0x80) != 0) return false;
  return true;
}

std::optional<int64_t> ParseSmallInteger(Bytes c) {
  if (!IsMinimalInteger(c) || c.size() > 8) return std::nullopt;
  uint64_t v = (c[0] & 0x80) ? ~uint64_t{0} : 0;
  for (uint8_t b : c) v = (v << 8) | b;
  return static_cast<int64_t>(v);
}

std::optional<bool> ParseBoolean(Bytes c) {
  if (c.size() != 1) return std::nullopt;
  if (c[0] == 0x00) return false;
  if (c[0] == 0xff) return true;
  return std::nullopt;
}

bool IsValidOid(Bytes c) {
  if (c.empty() || (c.back() & 0x80) != 0) return false;
  bool at_arc_start = true;
  for (uint8_t b : c) {
    if (at_arc_start && b == 0x80) return false;  // X.690 §8.19.2: no leading 0x80
    at_arc_start = (b & 0x80) == 0;
  }
  return true;
}

std::string OidToString(Bytes c) {
  if (!IsValidOid(c)) return "";
  std::string out;
  uint64_t arc = 0;
  bool first = true;
  for (uint8_t b : c) {
    if (arc > (~uint64_t{0} >> 7)) return "";  // arc too large to print
    arc = (arc << 7) | (b & 0x7f);
    if (b & 0x80) continue;
    if (first) {
      // X.690 §8.19.4: the first octets encode 40 * X + Y.
      const uint64_t x = arc < 40 ? 0 : arc < 80 ? 1 : 2;
      out += std::to_string(x) + "." + std::to_string(arc - 40 * x);
      first = false;
    } else {
      out += "." + std::to_string(arc);
    }
    arc = 0;
  }
  return out;
}

namespace {

// Digits parses `n` ASCII decimal digits at `p`; nullopt on a non-digit.
std::optional<int> Digits(const uint8_t* p, int n) {
  int v = 0;
  for (int i = 0; i < n; ++i) {
    if (p[i] < '0' || p[i] > '9') return std::nullopt;
    v = v * 10 + (p[i] - '0');
  }
  return v;
}

// ParseDateTime reads "MMDDHHMMSSZ" at `p` (11 bytes) for year `year`.
std::optional<int64_t> ParseDateTime(int year, const uint8_t* p) {
  auto month = Digits(p, 2), day = Digits(p + 2, 2), hour = Digits(p + 4, 2),
       minute = Digits(p + 6, 2), second = Digits(p + 8, 2);
  if (!month || !day || !hour || !minute || !second || p[10] != 'Z') return std::nullopt;
  return UnixSecondsOf({year, *month, *day, *hour, *minute, *second});
}

}  // namespace

std::optional<int64_t> ParseUtcTime(Bytes c) {
  // UTCTime: YYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.1).
  if (c.size() != 13) return std::nullopt;
  std::optional<int> yy = Digits(c.data(), 2);
  if (!yy) return std::nullopt;
  return ParseDateTime(*yy >= 50 ? 1900 + *yy : 2000 + *yy, c.data() + 2);
}

std::optional<int64_t> ParseGeneralizedTime(Bytes c) {
  // GeneralizedTime: YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5.2).
  if (c.size() != 15) return std::nullopt;
  std::optional<int> yyyy = Digits(c.data(), 4);
  if (!yyyy) return std::nullopt;
  return ParseDateTime(*yyyy, c.data() + 4);
}

std::optional<int64_t> ParseTime(const Element& element) {
  if (element.tag == kUtcTime) return ParseUtcTime(element.contents);
  if (element.tag == kGeneralizedTime) return ParseGeneralizedTime(element.contents);
  return std::nullopt;
}

}  // namespace pinwatch::x509::der
