#include "base/byte_writer.h"

#include <gtest/gtest.h>

#include <vector>

namespace pinwatch {
namespace {

using Buf = std::vector<uint8_t>;

TEST(ByteWriter, WritesWhatByteReaderReads) {
  Buf out;
  ByteWriter w(out);
  w.U8(0x01);
  w.U16(0x0203);
  w.U24(0x040506);
  w.U32(0x0708090a);
  w.U64(0x0b0c0d0e0f101112ull);
  const uint8_t body[] = {0xaa, 0xbb};
  w.U8Prefixed(body);
  w.U16Prefixed(body);
  w.U24Prefixed(body);

  ByteReader r(out);
  EXPECT_EQ(r.U8(), 0x01);
  EXPECT_EQ(r.U16(), 0x0203);
  EXPECT_EQ(r.U24(), 0x040506u);
  EXPECT_EQ(r.U32(), 0x0708090au);
  EXPECT_EQ(r.U64(), 0x0b0c0d0e0f101112ull);
  for (auto prefixed : {&ByteReader::U8Prefixed, &ByteReader::U16Prefixed, &ByteReader::U24Prefixed}) {
    std::optional<ByteReader> v = (r.*prefixed)();
    ASSERT_TRUE(v.has_value());
    Bytes got = v->Rest();
    EXPECT_EQ(Buf(got.begin(), got.end()), Buf(std::begin(body), std::end(body)));
  }
  EXPECT_TRUE(r.empty());
}

TEST(ByteWriter, PrefixesAreBigEndianLengths) {
  Buf out;
  ByteWriter w(out);
  Buf body(300, 0x5a);
  w.U16Prefixed(body);
  ASSERT_EQ(out.size(), 302u);
  EXPECT_EQ(out[0], 0x01);
  EXPECT_EQ(out[1], 0x2c);
}

// X.690 §8.1.3: short form below 128, else the minimal number of length octets.
TEST(EncodeDerHeader, MinimalDefiniteLengths) {
  struct Case {
    size_t length;
    Buf want;
  } cases[] = {
      {0, {0x30, 0x00}},
      {127, {0x30, 0x7f}},
      {128, {0x30, 0x81, 0x80}},
      {255, {0x30, 0x81, 0xff}},
      {256, {0x30, 0x82, 0x01, 0x00}},
      {65535, {0x30, 0x82, 0xff, 0xff}},
      {65536, {0x30, 0x83, 0x01, 0x00, 0x00}},
      {0x01020304, {0x30, 0x84, 0x01, 0x02, 0x03, 0x04}},
  };
  for (const Case& c : cases) {
    const DerHeader header = EncodeDerHeader(0x30, c.length);
    EXPECT_EQ(Buf(header.view().begin(), header.view().end()), c.want) << c.length;
  }
}

TEST(ByteWriter, DerTlvIsHeaderThenContents) {
  Buf out;
  ByteWriter w(out);
  Buf contents(200, 0x11);
  w.DerTlv(0x04, contents);
  ASSERT_EQ(out.size(), 3u + 200u);
  EXPECT_EQ(Buf(out.begin(), out.begin() + 3), (Buf{0x04, 0x81, 200}));
  EXPECT_EQ(out.back(), 0x11);
}

}  // namespace
}  // namespace pinwatch
