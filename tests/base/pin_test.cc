#include "base/pin.h"

#include <gtest/gtest.h>

#include <string>

#include "base/encoding.h"

namespace pinwatch {
namespace {

TEST(Pin, SpkiPinIsPinTextOfTheDigest) {
  const std::string spki = "not really a SubjectPublicKeyInfo, but bytes";
  const Hash digest = Sha256Of(AsBytes(spki));
  EXPECT_EQ(SpkiPin(AsBytes(spki)), "sha256/" + Base64Encode(digest));
  EXPECT_EQ(ParsePin(SpkiPin(AsBytes(spki))), digest);
}

TEST(Pin, ParsePinRefusesOtherForms) {
  const std::string good = PinText(Sha256Of(AsBytes("x")));
  EXPECT_TRUE(ParsePin(good).has_value());
  EXPECT_EQ(ParsePin(good.substr(7)), std::nullopt);                // no prefix
  EXPECT_EQ(ParsePin("sha1/" + good.substr(7)), std::nullopt);      // other hash
  EXPECT_EQ(ParsePin(good.substr(0, good.size() - 1)), std::nullopt);  // padding cut
  EXPECT_EQ(ParsePin("sha256/" + Base64Encode(Hash{}).substr(0, 40) + "AA=="), std::nullopt);  // 31 bytes
}

}  // namespace
}  // namespace pinwatch
