#include "ctlog/sth.h"

#include <map>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/encoding.h"
#include "ctlog/log_key.h"
#include "ctlog/rfc6962_json.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using testing::ReadFileText;
using testing::TestdataTest;

TEST(DigitallySigned, ParseEncodeRoundTripAndErrors) {
  const std::vector<uint8_t> in = {4, 3, 0, 2, 0xAB, 0xCD};
  auto ds = ParseDigitallySigned(in);
  ASSERT_TRUE(ds.ok());
  EXPECT_EQ(ds->hash_algorithm, 4);
  EXPECT_EQ(ds->signature_algorithm, 3);
  EXPECT_EQ(ds->signature, (std::vector<uint8_t>{0xAB, 0xCD}));
  EXPECT_EQ(EncodeDigitallySigned(*ds), in);
  EXPECT_EQ(ParseDigitallySigned(Bytes(in).first(5)).status().code(), Code::kMalformed);
  std::vector<uint8_t> trailing = in;
  trailing.push_back(0);
  EXPECT_NE(ParseDigitallySigned(trailing).status().message().find("trailing"), std::string::npos);
}

// What a signature cannot vouch for (issue 19): a size beyond the bound, a timestamp from
// the future. Each case: the head, the bound, the clock, and the error expected (or none).
TEST(CheckTreeHeadBounds, RefusesSizesBeyondTheBoundAndHeadsFromTheFuture) {
  constexpr int64_t kNow = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  constexpr uint64_t kNowU = kNow;
  struct Case {
    const char* desc;
    uint64_t tree_size, timestamp_ms, max_tree_size;
    int64_t now_ms;
    const char* want_error;  // nullptr: accepted
  };
  const Case cases[] = {
      {"a head from now", 1000, kNowU, kMaxTreeSize, kNow, nullptr},
      {"a head from last year", 1000, kNowU - 365ull * 86'400'000, kMaxTreeSize, kNow, nullptr},
      {"exactly the tolerance ahead", 1000, kNowU + kMaxTreeHeadFutureMs, kMaxTreeSize, kNow, nullptr},
      {"one millisecond beyond it", 1000, kNowU + kMaxTreeHeadFutureMs + 1, kMaxTreeSize, kNow,
       "timestamp is 600 s in the future"},
      {"a day ahead", 1000, kNowU + 86'400'000, kMaxTreeSize, kNow, "timestamp is 86400 s in the future"},
      {"timestamp 2^64-1", 1000, UINT64_MAX, kMaxTreeSize, kNow, "in the future"},
      {"a clock before 1970 still refuses 2^64-1", 1000, UINT64_MAX, kMaxTreeSize, -5, "in the future"},
      {"size 2^63-1", kMaxTreeSize, kNowU, kMaxTreeSize, kNow, nullptr},
      {"size 2^63", kMaxTreeSize + 1, kNowU, kMaxTreeSize, kNow,
       "tree_size is beyond 9223372036854775807"},
      {"size 2^64-1", UINT64_MAX, kNowU, kMaxTreeSize, kNow, "tree_size is beyond 9223372036854775807"},
      {"static-ct-api: 2^40", uint64_t{1} << 40, kNowU, uint64_t{1} << 40, kNow, nullptr},
      {"static-ct-api: 2^40 + 1", (uint64_t{1} << 40) + 1, kNowU, uint64_t{1} << 40, kNow,
       "tree_size is beyond 1099511627776"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    const Status s = CheckTreeHeadBounds({.tree_size = c.tree_size, .timestamp_ms = c.timestamp_ms}, c.max_tree_size,
                                         c.now_ms);
    if (c.want_error == nullptr) {
      EXPECT_TRUE(s.ok()) << s.ToString();
      continue;
    }
    EXPECT_EQ(s.code(), Code::kMalformed) << s.ToString();
    EXPECT_NE(s.message().find(c.want_error), std::string::npos) << s.message();
    // The message names the head it refuses.
    EXPECT_NE(s.message().find("tree_size " + std::to_string(c.tree_size)), std::string::npos) << s.message();
  }
}

// Log keys from ct/rfc6962/log_keys/logs.json, by log name.
class SthVerifyTest : public TestdataTest {
 protected:
  void SetUp() override {
    TestdataTest::SetUp();
    if (IsSkipped()) return;
    const std::string text = ReadFileText(Path("ct/rfc6962/log_keys/logs.json"));
    rapidjson::Document logs;
    logs.Parse(text.c_str());
    ASSERT_TRUE(logs.IsObject());
    for (const auto& m : logs.GetObject()) {
      auto key = LogKey::FromBase64(m.value["key"].GetString());
      ASSERT_TRUE(key.ok()) << key.status().ToString();
      keys_.emplace(m.name.GetString(), *key);
    }
  }
  const LogKey& Key(const std::string& log) { return keys_.at(log); }
  SignedTreeHead Sth(const std::string& file) {
    auto sth = ParseGetSthResponse(ReadFileText(Path("ct/rfc6962/" + file)));
    EXPECT_TRUE(sth.ok()) << sth.status().ToString();
    return sth.ok() ? *sth : SignedTreeHead{};
  }

  std::map<std::string, LogKey> keys_;
};

TEST_F(SthVerifyTest, EveryRealSthVerifiesWithItsLogsKey) {
  const std::string text = ReadFileText(Path("ct/rfc6962/expected.json"));
  rapidjson::Document expected;
  expected.Parse(text.c_str());
  int checked = 0;
  for (const auto& want : expected["sths"].GetArray()) {
    SCOPED_TRACE(want["file"].GetString());
    ASSERT_TRUE(want["signature_verifies"].GetBool());
    Status s = VerifySignedTreeHead(Sth(want["file"].GetString()), Key(want["log"].GetString()));
    EXPECT_TRUE(s.ok()) << s.ToString();
    ++checked;
  }
  EXPECT_EQ(checked, 6);  // Pilot 2014 + 2018, Argon2017, Yeti2018, Icarus x2
}

TEST_F(SthVerifyTest, All909PilotSthsFrom2013Verify) {
  std::istringstream in(ReadFileText(Path("ct/rfc6962/pilot/get-sth_2013_909-responses.jsonl")));
  std::string line;
  int verified = 0, lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    auto sth = ParseGetSthResponse(line);
    ASSERT_TRUE(sth.ok()) << "line " << lines << ": " << sth.status().ToString();
    Status s = VerifySignedTreeHead(*sth, Key("pilot"));
    EXPECT_TRUE(s.ok()) << "line " << lines << ": " << s.ToString();
    verified += s.ok();
  }
  EXPECT_EQ(lines, 909);
  EXPECT_EQ(verified, 909);
}

TEST_F(SthVerifyTest, Argon2017SthFailsWithPilotsKeyAndVerifiesWithArgons) {
  const SignedTreeHead sth = Sth("argon2017/get-sth_7834486.json");
  Status with_pilot = VerifySignedTreeHead(sth, Key("pilot"));
  EXPECT_EQ(with_pilot.code(), Code::kMisbehaviour) << with_pilot.ToString();
  EXPECT_NE(with_pilot.message().find("tree_size 7834486"), std::string::npos) << with_pilot.ToString();
  EXPECT_TRUE(VerifySignedTreeHead(sth, Key("argon2017")).ok());
}

TEST_F(SthVerifyTest, AnyFlippedBitFails) {
  const SignedTreeHead good = Sth("icarus/get-sth_129721434.json");
  ASSERT_TRUE(VerifySignedTreeHead(good, Key("icarus")).ok());
  for (size_t byte = 0; byte < good.root_hash.size(); ++byte) {
    SignedTreeHead bad = good;
    bad.root_hash[byte] ^= 0x80;
    EXPECT_EQ(VerifySignedTreeHead(bad, Key("icarus")).code(), Code::kMisbehaviour) << "root byte " << byte;
  }
  for (int bit = 0; bit < 64; ++bit) {
    SignedTreeHead bad = good;
    bad.timestamp_ms ^= uint64_t{1} << bit;
    EXPECT_EQ(VerifySignedTreeHead(bad, Key("icarus")).code(), Code::kMisbehaviour) << "timestamp bit " << bit;
    bad = good;
    bad.tree_size ^= uint64_t{1} << bit;
    EXPECT_EQ(VerifySignedTreeHead(bad, Key("icarus")).code(), Code::kMisbehaviour) << "tree_size bit " << bit;
  }
  for (size_t byte = 0; byte < good.signature.signature.size(); ++byte) {
    SignedTreeHead bad = good;
    bad.signature.signature[byte] ^= 0x01;
    EXPECT_NE(VerifySignedTreeHead(bad, Key("icarus")).code(), Code::kOk) << "signature byte " << byte;
  }
}

}  // namespace
}  // namespace pinwatch::ctlog
