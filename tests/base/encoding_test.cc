#include "base/encoding.h"

#include <gtest/gtest.h>

namespace pinwatch {
namespace {

std::vector<uint8_t> V(std::string_view s) { return {s.begin(), s.end()}; }

// RFC 4648 §10 test vectors.
TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> cases[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(AsBytes(plain)), encoded);
    auto decoded = Base64Decode(encoded);
    ASSERT_TRUE(decoded.has_value()) << encoded;
    EXPECT_EQ(*decoded, V(plain)) << encoded;
  }
}

TEST(Base64, RejectsMalformed) {
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zh==", "Zm9=", "Zm 9v", "Zm9v\n", "Zm-v", "=Zm9"}) {
    EXPECT_FALSE(Base64Decode(bad).has_value()) << bad;
  }
}

TEST(Base64, AllByteValuesRoundTrip) {
  std::vector<uint8_t> all(256);
  for (int i = 0; i < 256; ++i) all[i] = static_cast<uint8_t>(i);
  for (size_t n = 0; n <= all.size(); n += 17) {
    std::span<const uint8_t> in(all.data(), n);
    auto back = Base64Decode(Base64Encode(in));
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, std::vector<uint8_t>(in.begin(), in.end()));
  }
}

TEST(Hex, RoundTripAndErrors) {
  EXPECT_EQ(HexEncode(AsBytes("\x01\xab\xff")), "01abff");
  EXPECT_EQ(*HexDecode("01ABff"), V("\x01\xab\xff"));
  EXPECT_FALSE(HexDecode("abc").has_value());
  EXPECT_FALSE(HexDecode("zz").has_value());
}

}  // namespace
}  // namespace pinwatch
