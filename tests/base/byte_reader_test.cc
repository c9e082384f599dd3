#include "base/byte_reader.h"

#include <gtest/gtest.h>

namespace pinwatch {
namespace {

TEST(ByteReader, ReadsBigEndianIntegers) {
  const uint8_t in[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18};
  ByteReader r(in);
  EXPECT_EQ(r.U8(), 0x01);
  EXPECT_EQ(r.U16(), 0x0203);
  EXPECT_EQ(r.U24(), 0x040506u);
  EXPECT_EQ(r.U32(), 0x0708090au);
  EXPECT_EQ(r.U64(), 0x0b0c0d0e0f101112ull);
  EXPECT_TRUE(r.empty());
  EXPECT_EQ(r.U8(), std::nullopt);
}

TEST(ByteReader, ShortReadConsumesNothing) {
  const uint8_t in[] = {1, 2, 3};
  ByteReader r(in);
  EXPECT_EQ(r.U32(), std::nullopt);
  EXPECT_EQ(r.remaining(), 3u);
  EXPECT_EQ(r.Read(4), std::nullopt);
  EXPECT_EQ(r.U24(), 0x010203u);
}

TEST(ByteReader, PrefixedVectorsAndAbsoluteOffsets) {
  const uint8_t in[] = {0x00, 0x03, 0xaa, 0x01, 0xbb, 0xcc};
  ByteReader r(in);
  auto inner = r.U16Prefixed();
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->remaining(), 3u);
  EXPECT_EQ(inner->offset(), 2u);
  EXPECT_EQ(inner->U8(), 0xaa);
  auto nested = inner->U8Prefixed();
  ASSERT_TRUE(nested.has_value());
  EXPECT_EQ(nested->offset(), 4u);
  EXPECT_EQ(nested->U8(), 0xbb);
  EXPECT_EQ(r.offset(), 5u);
  Status s = r.Fail("signature");
  EXPECT_EQ(s.code(), Code::kMalformed);
  EXPECT_EQ(s.message(), "signature at byte offset 5");
}

TEST(ByteReader, PrefixLongerThanInputIsRejected) {
  const uint8_t in[] = {0x00, 0x05, 0xaa};
  ByteReader r(in);
  EXPECT_EQ(r.U16Prefixed(), std::nullopt);
  const uint8_t huge[] = {0xff, 0xff, 0xff};
  ByteReader r2(huge);
  EXPECT_EQ(r2.U24Prefixed(), std::nullopt);
}

}  // namespace
}  // namespace pinwatch
