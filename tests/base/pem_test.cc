#include "base/pem.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace pinwatch {
namespace {

using Buf = std::vector<uint8_t>;

TEST(Pem, EncodeThenDecodeEveryLength) {
  for (size_t n = 1; n < 200; ++n) {
    Buf der(n);
    for (size_t i = 0; i < n; ++i) der[i] = static_cast<uint8_t>(i * 7 + n);
    const std::string pem = EncodePem("CERTIFICATE", der);
    Result<Buf> back = DecodePem(pem, "CERTIFICATE");
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    ASSERT_EQ(*back, der) << n;
  }
}

TEST(Pem, LinesAreSixtyFourCharacters) {
  const std::string pem = EncodePem("PUBLIC KEY", Buf(100, 0xff));
  EXPECT_EQ(pem.substr(0, 27), "-----BEGIN PUBLIC KEY-----\n");
  const size_t first_line = pem.find('\n') + 1;
  EXPECT_EQ(pem.find('\n', first_line) - first_line, 64u);
  EXPECT_TRUE(pem.ends_with("-----END PUBLIC KEY-----\n"));
}

TEST(Pem, SkipsTextAroundBlocksAndKeepsTheirOrder) {
  const std::string text = "Certificate:\n    Data: ...\n" + EncodePem("CERTIFICATE", Buf{1, 2, 3}) +
                           "between\r\n" + EncodePem("PUBLIC KEY", Buf{4}) + "trailing";
  Result<std::vector<PemBlock>> blocks = DecodePemBlocks(text);
  ASSERT_TRUE(blocks.ok()) << blocks.status().ToString();
  ASSERT_EQ(blocks->size(), 2u);
  EXPECT_EQ((*blocks)[0].label, "CERTIFICATE");
  EXPECT_EQ((*blocks)[0].der, (Buf{1, 2, 3}));
  EXPECT_EQ((*blocks)[1].label, "PUBLIC KEY");
  EXPECT_EQ(*DecodePem(text, "PUBLIC KEY"), Buf{4});
}

TEST(Pem, WhitespaceInsideTheBodyIsAllowed) {
  Result<Buf> der = DecodePem("-----BEGIN X-----\r\n AQID\tBA==\r\n-----END X-----", "X");
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  EXPECT_EQ(*der, (Buf{1, 2, 3, 4}));
}

TEST(Pem, NoBlockIsEmptyNotAnError) {
  Result<std::vector<PemBlock>> blocks = DecodePemBlocks("just text");
  ASSERT_TRUE(blocks.ok());
  EXPECT_TRUE(blocks->empty());
  EXPECT_EQ(DecodePem("just text", "CERTIFICATE").status().message(), "no CERTIFICATE PEM block");
}

// Each broken block is named with its number and what is wrong.
TEST(Pem, BrokenBlocksSayWhichAndWhy) {
  const std::string good = EncodePem("CERTIFICATE", Buf{1});
  struct Case {
    std::string text, want;
  } cases[] = {
      {"-----BEGIN CERTIFICATE-----\nAQ==\n", "PEM block 1 (CERTIFICATE): no END line"},
      {"-----BEGIN CERTIFICATE-----\nAQ==\n-----END KEY-----\n", "PEM block 1 (CERTIFICATE): END line does not match BEGIN"},
      {good + "-----BEGIN CERTIFICATE-----\nA!==\n-----END CERTIFICATE-----\n", "PEM block 2 (CERTIFICATE): not base64"},
      {"-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n", "PEM block 1 (CERTIFICATE): empty"},
      {"-----BEGIN CERTIFICATE\nAQ==\n-----END CERTIFICATE-----\n", "PEM block 1: BEGIN line does not end in \"-----\""},
  };
  for (const Case& c : cases) {
    Result<std::vector<PemBlock>> blocks = DecodePemBlocks(c.text);
    ASSERT_FALSE(blocks.ok()) << c.text;
    EXPECT_EQ(blocks.status().code(), Code::kMalformed);
    EXPECT_EQ(blocks.status().message(), c.want);
  }
}

}  // namespace
}  // namespace pinwatch
