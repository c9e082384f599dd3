// A minimal DER (X.690) reader for certificates, on top of base/byte_reader.h. It reads one
// TLV at a time from untrusted bytes and returns views that alias the input; nothing on the
// success path allocates or throws. Errors name the field (chosen by the caller) and the
// absolute byte offset of the element that failed.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/byte_reader.h"
#include "base/status.h"

namespace pinwatch::x509::der {

// Universal tags used by RFC 5280 certificates (X.680 §8.4), plus the class and
// constructed bits for context-specific tags.
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kInteger = 0x02;
inline constexpr uint8_t kBitString = 0x03;
inline constexpr uint8_t kOctetString = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kObjectIdentifier = 0x06;
inline constexpr uint8_t kUtf8String = 0x0c;
inline constexpr uint8_t kPrintableString = 0x13;
inline constexpr uint8_t kTeletexString = 0x14;
inline constexpr uint8_t kIa5String = 0x16;
inline constexpr uint8_t kUtcTime = 0x17;
inline constexpr uint8_t kGeneralizedTime = 0x18;
inline constexpr uint8_t kUniversalString = 0x1c;
inline constexpr uint8_t kBmpString = 0x1e;
inline constexpr uint8_t kSequence = 0x30;  // constructed
inline constexpr uint8_t kSet = 0x31;       // constructed
inline constexpr uint8_t kConstructedBit = 0x20;
inline constexpr uint8_t kContextSpecificClass = 0x80;
inline constexpr uint8_t kClassMask = 0xc0;

// ContextPrimitive/ContextConstructed return the one-byte tag [number] (number < 31).
constexpr uint8_t ContextPrimitive(uint8_t number) { return kContextSpecificClass | number; }
constexpr uint8_t ContextConstructed(uint8_t number) {
  return kContextSpecificClass | kConstructedBit | number;
}

// kMaxLengthOctets bounds the long length form: 4 octets allow 4 GiB, far above any
// certificate (RFC 6962 ASN.1Cert is < 16 MiB), and keep the length within size_t everywhere.
inline constexpr size_t kMaxLengthOctets = 4;

// Rules selects how strictly lengths are checked.
enum class Rules {
  // kDer: definite lengths in minimal form (X.690 §10.1), one-byte tags (tag number < 31),
  // every element inside its parent.
  kDer,
  // kLenient: as kDer, but also accepts non-minimal length forms (long form for lengths
  // below 128, leading zero length octets) and clamps an element whose length runs past the
  // end of its parent to the bytes that remain (Element::clamped). Still rejects indefinite
  // lengths, high tag numbers and lengths of more than kMaxLengthOctets octets.
  kLenient,
};

// Failure says why the last read failed; FailureName gives its text for messages.
enum class Failure {
  kNone,
  kTruncated,          // fewer bytes than the tag, length or contents need
  kWrongTag,           // a different tag than the grammar requires here
  kHighTagNumber,      // tag number >= 31 (multi-byte tag): never used by RFC 5280
  kIndefiniteLength,   // 0x80: BER only
  kNonMinimalLength,   // a shorter length encoding exists (DER only)
  kLengthTooLarge,     // more than kMaxLengthOctets length octets
  kTrailingBytes,      // bytes after the last element the grammar allows
  kBadValue,           // the element is well framed but its contents are invalid
};
std::string_view FailureName(Failure failure);

// Element is one TLV. All spans alias the reader's input.
struct Element {
  uint8_t tag = 0;
  Bytes tlv{};               // tag, length and contents
  Bytes contents{};          // contents only
  size_t offset = 0;         // absolute offset of the tag byte
  size_t contents_offset = 0;
  bool clamped = false;      // Rules::kLenient only: the length claimed more than was there
};

// MalformedAt returns a kMalformed Status "`field`: <failure> at byte offset `offset`".
Status MalformedAt(std::string_view field, Failure failure, size_t offset);

// Reader reads consecutive DER elements from a span. Reads return nullopt on failure and
// record why and where (failure(), Fail()); a failed reader should not be used further.
// Not thread-safe; cheap to copy (a copy is an independent cursor).
class Reader {
 public:
  // `base_offset` is where `in` starts in the outermost buffer, so that errors name
  // absolute offsets.
  explicit Reader(Bytes in, size_t base_offset = 0, Rules rules = Rules::kDer)
      : in_(in, base_offset), rules_(rules) {}
  // Reader(element, rules) reads the element's contents.
  Reader(const Element& element, Rules rules)
      : in_(element.contents, element.contents_offset), rules_(rules) {}

  // PeekTag returns the next tag byte without consuming it, or nullopt at the end.
  std::optional<uint8_t> PeekTag() const;
  // Next reads any one element; nullopt (and failure()) if it is not well framed.
  std::optional<Element> Next();
  // Next(tag) reads one element that must carry `tag`; kWrongTag otherwise (nothing consumed).
  std::optional<Element> Next(uint8_t tag);
  // ExpectEnd returns true if nothing is left; otherwise records kTrailingBytes.
  bool ExpectEnd();

  bool empty() const { return in_.empty(); }
  size_t remaining() const { return in_.remaining(); }
  // offset is the absolute position of the next unread byte.
  size_t offset() const { return in_.offset(); }
  Rules rules() const { return rules_; }
  Failure failure() const { return failure_; }
  size_t failure_offset() const { return failure_offset_; }
  // Fail returns the kMalformed Status for the last failure, naming `field`.
  Status Fail(std::string_view field) const;

 private:
  std::optional<Element> Failed(Failure why, size_t at);

  ByteReader in_;
  Rules rules_;
  Failure failure_ = Failure::kNone;
  size_t failure_offset_ = 0;
};

// TakeElement reads one element from the front of `rest` and advances `rest` past it;
// nullopt (rest unchanged) if it is not well framed under `rules`. Offsets in the element
// are relative to the old `rest`. For iterating contents that were validated earlier.
std::optional<Element> TakeElement(Bytes& rest, Rules rules = Rules::kDer);

// IsMinimalInteger returns whether `contents` is a valid DER INTEGER body: non-empty and
// without a redundant leading 0x00 or 0xff octet (X.690 §8.3.2).
bool IsMinimalInteger(Bytes contents);
// ParseSmallInteger returns a DER INTEGER body as int64, or nullopt if it is not minimal
// or does not fit.
std::optional<int64_t> ParseSmallInteger(Bytes contents);
// ParseBoolean returns a DER BOOLEAN body (one octet, 0x00 or 0xff; X.690 §11.1).
std::optional<bool> ParseBoolean(Bytes contents);
// IsValidOid returns whether `contents` is a well-formed OBJECT IDENTIFIER body:
// non-empty, base-128 arcs without leading 0x80 octets, the last octet ending an arc.
bool IsValidOid(Bytes contents);
// OidToString returns the dotted form ("2.5.29.17") of a valid OID body, or "" if invalid.
// Allocates; for display and tests, not for the hot path.
std::string OidToString(Bytes contents);

// ParseUtcTime returns the seconds since the Unix epoch of an RFC 5280 §4.1.2.5.1 UTCTime
// body, exactly "YYMMDDHHMMSSZ" (YY >= 50 means 19YY, else 20YY); nullopt otherwise.
std::optional<int64_t> ParseUtcTime(Bytes contents);
// ParseGeneralizedTime returns the seconds since the Unix epoch of an RFC 5280 §4.1.2.5.2
// GeneralizedTime body, exactly "YYYYMMDDHHMMSSZ" (no fractions); nullopt otherwise.
std::optional<int64_t> ParseGeneralizedTime(Bytes contents);
// ParseTime dispatches on the element's tag (UTCTime or GeneralizedTime).
std::optional<int64_t> ParseTime(const Element& element);

}  // namespace pinwatch::x509::der
