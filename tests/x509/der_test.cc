// Tests for monitor/der: framing rules (minimal lengths, tags, truncation, clamping),
// value helpers (INTEGER, BOOLEAN, OID, times).
#include "x509/der.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pinwatch::x509::der {
namespace {

Bytes B(const std::vector<uint8_t>& v) { return Bytes(v.data(), v.size()); }

TEST(DerReader, ReadsShortAndLongFormLengths) {
  std::vector<uint8_t> in = {0x04, 0x02, 0xaa, 0xbb, 0x30, 0x81, 0x80};
  in.resize(in.size() + 0x80, 0x00);
  Reader r(B(in), 100);
  std::optional<Element> a = r.Next(kOctetString);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->contents.size(), 2u);
  EXPECT_EQ(a->offset, 100u);
  EXPECT_EQ(a->contents_offset, 102u);
  EXPECT_EQ(a->tlv.size(), 4u);
  std::optional<Element> b = r.Next(kSequence);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->contents.size(), 0x80u);
  EXPECT_EQ(b->offset, 104u);
  EXPECT_TRUE(r.ExpectEnd());
}

struct FramingCase {
  const char* desc;
  std::vector<uint8_t> in;
  Failure want_der;      // failure under Rules::kDer (kNone: accepted)
  Failure want_lenient;  // failure under Rules::kLenient
};

TEST(DerReader, FramingTable) {
  const FramingCase cases[] = {
      {"empty input", {}, Failure::kTruncated, Failure::kTruncated},
      {"tag only", {0x30}, Failure::kTruncated, Failure::kTruncated},
      {"contents short by one", {0x04, 0x02, 0x01}, Failure::kTruncated, Failure::kNone},
      {"long form for a short length", {0x04, 0x81, 0x01, 0x00}, Failure::kNonMinimalLength, Failure::kNone},
      {"leading zero length octet", {0x04, 0x82, 0x00, 0x81, 0x00}, Failure::kNonMinimalLength, Failure::kNone},
      {"indefinite length", {0x30, 0x80, 0x00, 0x00}, Failure::kIndefiniteLength, Failure::kIndefiniteLength},
      {"five length octets", {0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00}, Failure::kLengthTooLarge, Failure::kLengthTooLarge},
      {"reserved 0xff length", {0x04, 0xff}, Failure::kLengthTooLarge, Failure::kLengthTooLarge},
      {"length octets truncated", {0x04, 0x82, 0x01}, Failure::kTruncated, Failure::kTruncated},
      {"multi-byte tag", {0x1f, 0x81, 0x00, 0x00}, Failure::kHighTagNumber, Failure::kHighTagNumber},
      {"minimal long form", {0x04, 0x81, 0x80}, Failure::kTruncated, Failure::kNone},
  };
  for (const FramingCase& c : cases) {
    Reader strict(B(c.in), 0, Rules::kDer);
    std::optional<Element> e = strict.Next();
    EXPECT_EQ(strict.failure(), c.want_der) << c.desc;
    EXPECT_EQ(e.has_value(), c.want_der == Failure::kNone) << c.desc;
    Reader lenient(B(c.in), 0, Rules::kLenient);
    std::optional<Element> l = lenient.Next();
    EXPECT_EQ(lenient.failure(), c.want_lenient) << c.desc;
    EXPECT_EQ(l.has_value(), c.want_lenient == Failure::kNone) << c.desc;
  }
}

TEST(DerReader, LenientClampsOverlongElements) {
  std::vector<uint8_t> in = {0x30, 0x05, 0x01, 0x02};
  Reader r(B(in), 0, Rules::kLenient);
  std::optional<Element> e = r.Next();
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->clamped);
  EXPECT_EQ(e->contents.size(), 2u);
  EXPECT_TRUE(r.empty());
}

TEST(DerReader, WrongTagConsumesNothingAndNamesFieldAndOffset) {
  std::vector<uint8_t> in = {0x05, 0x00, 0x02, 0x01, 0x05};
  Reader r(B(in), 7);
  ASSERT_TRUE(r.Next(kNull));
  EXPECT_FALSE(r.Next(kSequence));
  EXPECT_EQ(r.failure(), Failure::kWrongTag);
  Status s = r.Fail("tbsCertificate.serialNumber");
  EXPECT_EQ(s.code(), Code::kMalformed);
  EXPECT_EQ(s.message(), "tbsCertificate.serialNumber: wrong tag at byte offset 9");
  EXPECT_EQ(r.offset(), 9u);
}

TEST(DerReader, ExpectEndReportsTrailingBytes) {
  std::vector<uint8_t> in = {0x05, 0x00, 0xff};
  Reader r(B(in));
  ASSERT_TRUE(r.Next());
  EXPECT_FALSE(r.ExpectEnd());
  EXPECT_EQ(r.failure(), Failure::kTrailingBytes);
  EXPECT_EQ(r.failure_offset(), 2u);
}

TEST(DerReader, TakeElementAdvancesOnlyOnSuccess) {
  std::vector<uint8_t> in = {0x05, 0x00, 0x04, 0x05, 0x00};
  Bytes rest = B(in);
  ASSERT_TRUE(TakeElement(rest));
  EXPECT_EQ(rest.size(), 3u);
  EXPECT_FALSE(TakeElement(rest));
  EXPECT_EQ(rest.size(), 3u);
}

TEST(DerValues, Integers) {
  EXPECT_TRUE(IsMinimalInteger(B({0x00})));
  EXPECT_TRUE(IsMinimalInteger(B({0x00, 0x80})));
  EXPECT_TRUE(IsMinimalInteger(B({0xff, 0x7f})));
  EXPECT_FALSE(IsMinimalInteger(B({})));
  EXPECT_FALSE(IsMinimalInteger(B({0x00, 0x7f})));
  EXPECT_FALSE(IsMinimalInteger(B({0xff, 0x80})));
  EXPECT_EQ(ParseSmallInteger(B({0x02})), 2);
  EXPECT_EQ(ParseSmallInteger(B({0xff})), -1);
  EXPECT_EQ(ParseSmallInteger(B({0x00, 0xff})), 255);
  EXPECT_EQ(ParseSmallInteger(B({0x01, 0, 0, 0, 0, 0, 0, 0, 0})), std::nullopt);
}

TEST(DerValues, Booleans) {
  EXPECT_EQ(ParseBoolean(B({0xff})), true);
  EXPECT_EQ(ParseBoolean(B({0x00})), false);
  EXPECT_EQ(ParseBoolean(B({0x01})), std::nullopt);
  EXPECT_EQ(ParseBoolean(B({0x00, 0x00})), std::nullopt);
}

TEST(DerValues, Oids) {
  EXPECT_EQ(OidToString(B({0x55, 0x1d, 0x11})), "2.5.29.17");
  EXPECT_EQ(OidToString(B({0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x03})),
            "1.3.6.1.4.1.11129.2.4.3");
  EXPECT_EQ(OidToString(B({0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b})),
            "1.2.840.113549.1.1.11");
  EXPECT_EQ(OidToString(B({0x88, 0x37})), "2.999");
  EXPECT_FALSE(IsValidOid(B({})));
  EXPECT_FALSE(IsValidOid(B({0x55, 0x86})));        // last arc unterminated
  EXPECT_FALSE(IsValidOid(B({0x55, 0x80, 0x01})));  // leading 0x80 in an arc
  EXPECT_EQ(OidToString(B({0x55, 0x86})), "");
}

Bytes S(const char* s) { return AsBytes(s); }

TEST(DerValues, Times) {
  EXPECT_EQ(ParseUtcTime(S("700101000000Z")), 0);
  EXPECT_EQ(ParseUtcTime(S("491231235959Z")), 2524607999);  // 2049-12-31T23:59:59Z
  EXPECT_EQ(ParseUtcTime(S("500101000000Z")), -631152000);  // 1950
  EXPECT_EQ(ParseUtcTime(S("120601000000Z")), 1338508800);  // 2012-06-01
  EXPECT_EQ(ParseUtcTime(S("000229000000Z")), 951782400);   // leap day 2000
  EXPECT_EQ(ParseGeneralizedTime(S("20500101000000Z")), 2524608000);
  EXPECT_EQ(ParseGeneralizedTime(S("99991231235959Z")), 253402300799);
  EXPECT_EQ(ParseUtcTime(S("010229000000Z")), std::nullopt);    // 2001 is not leap
  EXPECT_EQ(ParseUtcTime(S("120601000000")), std::nullopt);     // no Z
  EXPECT_EQ(ParseUtcTime(S("1206010000Z")), std::nullopt);      // no seconds
  EXPECT_EQ(ParseUtcTime(S("120601000000+0000")), std::nullopt);
  EXPECT_EQ(ParseUtcTime(S("121301000000Z")), std::nullopt);    // month 13
  EXPECT_EQ(ParseUtcTime(S("120601240000Z")), std::nullopt);    // hour 24
  EXPECT_EQ(ParseUtcTime(S("1206010000 0Z")), std::nullopt);
  EXPECT_EQ(ParseGeneralizedTime(S("20120601000000.5Z")), std::nullopt);
  EXPECT_EQ(ParseGeneralizedTime(S("120601000000Z")), std::nullopt);
}

}  // namespace
}  // namespace pinwatch::x509::der
