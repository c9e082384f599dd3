#include "ctlog/rfc6962_json.h"

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/encoding.h"
#include "ctlog/merkle.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using ::testing::HasSubstr;
using testing::ReadFileText;
using testing::TestdataTest;

std::string Hex(const Hash& h) { return HexEncode(h); }

// Expected loads ct/rfc6962/expected.json (facts computed by the data collector).
class Rfc6962JsonTest : public TestdataTest {
 protected:
  void SetUp() override {
    TestdataTest::SetUp();
    if (IsSkipped()) return;
    expected_text_ = ReadFileText(Path("ct/rfc6962/expected.json"));
    expected_.Parse(expected_text_.c_str());
    ASSERT_FALSE(expected_.HasParseError());
  }
  std::string Body(const std::string& file) { return ReadFileText(Path("ct/rfc6962/" + file)); }

  std::string expected_text_;
  rapidjson::Document expected_;
};

TEST_F(Rfc6962JsonTest, EveryRealGetSthParsesToItsExpectedValues) {
  int checked = 0;
  for (const auto& want : expected_["sths"].GetArray()) {
    SCOPED_TRACE(want["file"].GetString());
    auto sth = ParseGetSthResponse(Body(want["file"].GetString()));
    ASSERT_TRUE(sth.ok()) << sth.status().ToString();
    EXPECT_EQ(sth->tree_size, want["tree_size"].GetUint64());
    EXPECT_EQ(sth->timestamp_ms, want["timestamp"].GetUint64());
    EXPECT_EQ(Hex(sth->root_hash), want["sha256_root_hash_hex"].GetString());
    EXPECT_EQ(sth->signature.hash_algorithm, want["signature_hash_alg"].GetUint());
    EXPECT_EQ(sth->signature.signature_algorithm, want["signature_sig_alg"].GetUint());
    EXPECT_EQ(sth->signature.signature.size(), want["signature_len"].GetUint());
    EXPECT_EQ(HexEncode(SerializeTreeHeadSignatureInput(sth->timestamp_ms, sth->tree_size,
                                                        sth->root_hash)),
              want["tbs_hex"].GetString());
    ++checked;
  }
  EXPECT_EQ(checked, 6);  // Pilot x2, Argon2017, Yeti2018 (tabs, odd key order), Icarus x2
}

TEST_F(Rfc6962JsonTest, All909PilotJsonlLinesParse) {
  const auto& want = expected_["pilot_sth_series"];
  std::istringstream in(Body(want["file"].GetString()));
  std::string line;
  uint64_t lines = 0, min_size = UINT64_MAX, max_size = 0, min_ts = UINT64_MAX, max_ts = 0;
  while (std::getline(in, line)) {
    auto sth = ParseGetSthResponse(line);
    ASSERT_TRUE(sth.ok()) << "line " << lines + 1 << ": " << sth.status().ToString();
    ++lines;
    min_size = std::min(min_size, sth->tree_size);
    max_size = std::max(max_size, sth->tree_size);
    min_ts = std::min(min_ts, sth->timestamp_ms);
    max_ts = std::max(max_ts, sth->timestamp_ms);
  }
  EXPECT_EQ(lines, want["lines"].GetUint64());
  EXPECT_EQ(min_size, want["min_tree_size"].GetUint64());
  EXPECT_EQ(max_size, want["max_tree_size"].GetUint64());
  EXPECT_EQ(min_ts, want["min_timestamp"].GetUint64());
  EXPECT_EQ(max_ts, want["max_timestamp"].GetUint64());
}

TEST_F(Rfc6962JsonTest, IcarusConsistencyProofParsesAndVerifies) {
  const auto& want = expected_["consistency"][0];
  auto proof = ParseGetSthConsistencyResponse(Body(want["file"].GetString()));
  ASSERT_TRUE(proof.ok()) << proof.status().ToString();
  ASSERT_EQ(proof->size(), want["proof_len"].GetUint());
  for (size_t i = 0; i < proof->size(); ++i) {
    EXPECT_EQ(Hex((*proof)[i]), want["proof_hex"][static_cast<rapidjson::SizeType>(i)].GetString());
  }
  auto first = ParseGetSthResponse(Body(want["first_root_from"].GetString()));
  auto second = ParseGetSthResponse(Body(want["second_root_from"].GetString()));
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_TRUE(VerifyConsistency(first->tree_size, second->tree_size, first->root_hash,
                                second->root_hash, *proof)
                  .ok());
}

TEST_F(Rfc6962JsonTest, IcarusGetEntryAndProofParsesAndVerifies) {
  const auto& want = expected_["inclusion"][0];
  auto resp = ParseGetEntryAndProofResponse(Body(want["file"].GetString()));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->leaf_input.size(), 1326u);
  EXPECT_EQ(resp->extra_data.size(), 2029u);
  ASSERT_EQ(resp->audit_path.size(), want["audit_path_len"].GetUint());
  EXPECT_EQ(Hex(HashLeaf(resp->leaf_input)), want["leaf_hash_hex"].GetString());
  auto sth = ParseGetSthResponse(Body(want["root_from"].GetString()));
  ASSERT_TRUE(sth.ok());
  EXPECT_TRUE(VerifyInclusion(want["leaf_index"].GetUint64(), sth->tree_size,
                              HashLeaf(resp->leaf_input), resp->audit_path, sth->root_hash)
                  .ok());
}

TEST_F(Rfc6962JsonTest, Xenon2019GetProofByHashParses) {
  const auto& want = expected_["inclusion"][1];
  auto resp = ParseGetProofByHashResponse(Body(want["file"].GetString()));
  ASSERT_TRUE(resp.ok()) << resp.status().ToString();
  EXPECT_EQ(resp->leaf_index, want["leaf_index"].GetUint64());
  ASSERT_EQ(resp->audit_path.size(), want["audit_path_len"].GetUint());
  EXPECT_EQ(Hex(resp->audit_path[0]),
            "a560153da24841d55d1e09bf196a3fb5fd1ad20686e098c26a7a87738f64c695");
}

TEST_F(Rfc6962JsonTest, RealGetEntriesBodiesParseInSituToTheExpectedEntries) {
  std::vector<RawEntry> entries;  // reused across bodies, as the hot path does
  std::vector<uint8_t> leaf, extra;
  int checked = 0;
  for (const auto& want : expected_["entries"].GetArray()) {
    if (!want.HasMember("index_in_file")) continue;
    SCOPED_TRACE(want["label"].GetString());
    std::string body = Body(want["file"].GetString());
    ASSERT_TRUE(ParseGetEntriesResponse(body, entries).ok());
    ASSERT_EQ(entries.size(), 2u);
    const RawEntry& e = entries[want["index_in_file"].GetUint()];
    // The views alias the buffer.
    EXPECT_GE(e.leaf_input_b64.data(), body.data());
    EXPECT_LE(e.extra_data_b64.data() + e.extra_data_b64.size(), body.data() + body.size());
    leaf.clear();
    extra.clear();
    ASSERT_TRUE(Base64DecodeInto(e.leaf_input_b64, leaf));
    ASSERT_TRUE(Base64DecodeInto(e.extra_data_b64, extra));
    EXPECT_EQ(leaf.size(), want["leaf_input_len"].GetUint());
    EXPECT_EQ(extra.size(), want["extra_data_len"].GetUint());
    EXPECT_EQ(Hex(HashLeaf(leaf)), want["merkle_leaf_hash_hex"].GetString());
    ++checked;
  }
  EXPECT_EQ(checked, 4);
}

// --- Malformed input: every error is kMalformed and names the field. ---

void ExpectMalformed(const Status& s, const std::string& field) {
  EXPECT_EQ(s.code(), Code::kMalformed) << s.ToString();
  EXPECT_THAT(s.message(), HasSubstr(field));
}

constexpr char kRoot32[] = "SxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfeo=";
constexpr char kSig[] =
    "BAMARjBEAiBUYO2tODlUUw4oWGiVPUHqZadRRyXs9T2rSXchA79VsQIgLASkQv3cu4XdPFCZbgFkIUefniNPCpO3"
    "LzzHX53l+wg=";

std::string Sth(const std::string& tree_size, const std::string& root = std::string("\"") + kRoot32 + "\"",
                const std::string& sig = std::string("\"") + kSig + "\"") {
  return R"({"tree_size":)" + tree_size + R"(,"timestamp":1396609800587,"sha256_root_hash":)" + root +
         R"(,"tree_head_signature":)" + sig + "}";
}

TEST(GetSth, SyntheticGoodBodyParses) {
  auto sth = ParseGetSthResponse(Sth("3721782"));
  ASSERT_TRUE(sth.ok()) << sth.status().ToString();
  EXPECT_EQ(sth->tree_size, 3721782u);
  // Trailing whitespace is allowed by JSON.
  EXPECT_TRUE(ParseGetSthResponse(Sth("0") + " \n").ok());
  // Unknown keys are ignored.
  EXPECT_TRUE(ParseGetSthResponse(R"({"extra":[1,{"x":null}],)" + Sth("1").substr(1)).ok());
  // The largest uint64 is accepted.
  EXPECT_EQ(ParseGetSthResponse(Sth("18446744073709551615"))->tree_size, UINT64_MAX);
}

TEST(GetSth, MalformedBodiesNameTheField) {
  ExpectMalformed(ParseGetSthResponse(R"({"timestamp":1,"sha256_root_hash":"","tree_head_signature":""})").status(),
                  "tree_size: missing");
  ExpectMalformed(ParseGetSthResponse(Sth("\"5\"")).status(), "tree_size: not an unsigned");
  ExpectMalformed(ParseGetSthResponse(Sth("-1")).status(), "tree_size: not an unsigned");
  ExpectMalformed(ParseGetSthResponse(Sth("18446744073709551616")).status(), "tree_size: not an unsigned");
  ExpectMalformed(ParseGetSthResponse(Sth("1e3")).status(), "tree_size: not an unsigned");
  ExpectMalformed(ParseGetSthResponse(Sth("1.5")).status(), "tree_size: not an unsigned");
  ExpectMalformed(ParseGetSthResponse(Sth("1", "\"SxKOxksguvHPyUaKYKXoZHzXl91Q257+JQ0AUMlFfQ==\"")).status(),
                  "sha256_root_hash: decodes to 31 bytes");
  ExpectMalformed(ParseGetSthResponse(Sth("1", "\"not base64!\"")).status(),
                  "sha256_root_hash: invalid base64");
  ExpectMalformed(ParseGetSthResponse(Sth("1", "32")).status(), "sha256_root_hash: not a string");
  ExpectMalformed(ParseGetSthResponse(Sth("1", std::string("\"") + kRoot32 + "\"", "\"BAMARjBE\"")).status(),
                  "tree_head_signature: DigitallySigned.signature truncated");
  ExpectMalformed(ParseGetSthResponse(Sth("1", std::string("\"") + kRoot32 + "\"", "\"BAN=\"")).status(),
                  "tree_head_signature: invalid base64");
  ExpectMalformed(ParseGetSthResponse(Sth("1") + "x").status(), "get-sth: invalid JSON");
  ExpectMalformed(ParseGetSthResponse(Sth("1") + "{}").status(), "get-sth: invalid JSON");
  ExpectMalformed(ParseGetSthResponse(Sth("1").substr(0, 40)).status(), "get-sth: invalid JSON");
  ExpectMalformed(ParseGetSthResponse(Sth("1") + std::string("\0garbage", 8)).status(), "NUL byte");
  ExpectMalformed(ParseGetSthResponse("").status(), "get-sth: invalid JSON");
  ExpectMalformed(ParseGetSthResponse("[]").status(), "top level is not an object");
  ExpectMalformed(ParseGetSthResponse(R"({"tree_size":1,)" + Sth("2").substr(1)).status(),
                  "tree_size: duplicate key");
  ExpectMalformed(ParseGetSthResponse(std::string(kMaxResponseBytes + 1, ' ')).status(), "over the cap");
}

// Real answers nest three levels: deeper input is refused as soon as it passes the bound,
// before a DOM of it is built (a body of '[' used to cost 30 times its size).
TEST(GetSth, DeepNestingIsRefusedAtTheBoundNotAStackOverflow) {
  std::string deep(1'000'000, '[');
  ExpectMalformed(ParseGetSthResponse(deep).status(), "nested deeper than 32 levels (at byte offset 32)");
  std::string nested = R"({"x":)" + std::string(200'000, '[') + std::string(200'000, ']') + "}";
  ExpectMalformed(ParseGetSthResponse(nested).status(), "nested deeper than 32 levels");
  std::string within = R"({"x":)" + std::string(30, '[') + std::string(30, ']') + "}";
  ExpectMalformed(ParseGetSthResponse(within).status(), "tree_size: missing");
}

// A DOM is bounded in values too: a body of "0," would otherwise cost 8 times its size.
TEST(GetSth, TooManyValuesAreRefusedAtTheBound) {
  std::string many = R"({"x":[)";
  for (size_t i = 0; i < kMaxJsonValues; ++i) many += "0,";
  many += "0]}";
  ExpectMalformed(ParseGetSthResponse(many).status(), "more than 100000 JSON values");
  std::string fewer = R"({"x":[)";
  for (size_t i = 0; i < 1000; ++i) fewer += "0,";
  fewer += "0]}";
  ExpectMalformed(ParseGetSthResponse(fewer).status(), "tree_size: missing");
}

TEST(ProofResponses, MalformedBodiesNameTheField) {
  ExpectMalformed(ParseGetSthConsistencyResponse(R"({"consistency":"x"})").status(), "consistency: not an array");
  ExpectMalformed(ParseGetSthConsistencyResponse(R"({"consistency":["AAAA"]})").status(),
                  "consistency[0]: decodes to 3 bytes");
  ExpectMalformed(ParseGetSthConsistencyResponse(R"({"consistency":[1]})").status(), "consistency[0]: not a string");
  std::string many = R"({"consistency":[)";
  for (int i = 0; i < 129; ++i) many += std::string(i ? "," : "") + "\"" + kRoot32 + "\"";
  ExpectMalformed(ParseGetSthConsistencyResponse(many + "]}").status(), "129 hashes");
  EXPECT_TRUE(ParseGetSthConsistencyResponse(R"({"consistency":[]})").ok());
  ExpectMalformed(ParseGetProofByHashResponse(R"({"audit_path":[]})").status(), "leaf_index: missing");
  ExpectMalformed(ParseGetProofByHashResponse(R"({"leaf_index":-3,"audit_path":[]})").status(),
                  "leaf_index: not an unsigned");
  ExpectMalformed(ParseGetProofByHashResponse(std::string(R"({"leaf_index":3,"audit_path":[")") + kRoot32 +
                                              R"(","!!!!"]})")
                      .status(),
                  "audit_path[1]: invalid base64");
  ExpectMalformed(ParseGetEntryAndProofResponse(R"({"leaf_input":"AA==","audit_path":[]})").status(),
                  "extra_data: missing");
  ExpectMalformed(ParseGetEntryAndProofResponse(R"({"leaf_input":"AA=","extra_data":"","audit_path":[]})")
                      .status(),
                  "leaf_input: invalid base64");
  auto ok = ParseGetEntryAndProofResponse(R"({"leaf_input":"AAE=","extra_data":"","audit_path":[]})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->leaf_input, (std::vector<uint8_t>{0, 1}));
  EXPECT_TRUE(ok->extra_data.empty());
}

TEST(GetRoots, ParsesAndRejectsBadElements) {
  auto roots = ParseGetRootsResponse(R"({"certificates":["MAA=","MAMCAQE="]})");
  ASSERT_TRUE(roots.ok()) << roots.status().ToString();
  ASSERT_EQ(roots->size(), 2u);
  EXPECT_EQ((*roots)[1], (std::vector<uint8_t>{0x30, 0x03, 0x02, 0x01, 0x01}));
  ExpectMalformed(ParseGetRootsResponse(R"({"certificates":["MAA=",null]})").status(),
                  "certificates[1]: not a string");
  ExpectMalformed(ParseGetRootsResponse(R"({"certificates":["MA"]})").status(), "certificates[0]: invalid base64");
  ExpectMalformed(ParseGetRootsResponse(R"({"certs":[]})").status(), "certificates: missing");
}

TEST(GetRoots, EveryRootIsOneDerSequence) {
  // A DER SEQUENCE whose length takes the long form: 0x30 0x81 0x80 and 128 content bytes.
  std::vector<uint8_t> long_form = {0x30, 0x81, 0x80};
  long_form.resize(3 + 128, 0x05);
  auto roots = ParseGetRootsResponse(R"({"certificates":[")" + Base64Encode(long_form) + R"("]})");
  ASSERT_TRUE(roots.ok()) << roots.status().ToString();
  EXPECT_EQ(roots->at(0), long_form);
  EXPECT_TRUE(ParseGetRootsResponse(R"({"certificates":[]})").ok());  // a log that accepts nothing

  // Base64 of bytes that are not one DER SEQUENCE filling them exactly.
  const std::vector<std::pair<std::vector<uint8_t>, std::string>> cases = {
      {{}, "certificates[0]: empty"},
      {{0x31, 0x00}, "certificates[0]: not a DER SEQUENCE"},                    // a SET
      {{0x30}, "certificates[0]: DER length missing"},
      {{0x30, 0x03, 0x02, 0x01}, "certificates[0]: DER SEQUENCE of 3 content bytes in 2"},  // cut short
      {{0x30, 0x00, 0x00}, "certificates[0]: DER SEQUENCE of 0 content bytes in 1"},      // trailing byte
      {{0x30, 0x81, 0x01, 0x00}, "certificates[0]: DER length not minimal"},
      {{0x30, 0x82, 0x00, 0x80}, "certificates[0]: DER length not minimal"},
      {{0x30, 0x80, 0x00, 0x00}, "certificates[0]: DER length of 0 octets"},  // BER indefinite length
      {{0x30, 0x85, 1, 0, 0, 0, 0}, "certificates[0]: DER length of 5 octets"},
  };
  for (const auto& [der, want] : cases) {
    SCOPED_TRACE(HexEncode(der));
    ExpectMalformed(ParseGetRootsResponse(R"({"certificates":[")" + Base64Encode(der) + R"("]})").status(), want);
  }
}

TEST(GetRoots, AtMostTenThousandRoots) {
  auto body = [](size_t n) {
    std::string b = R"({"certificates":[)";
    for (size_t i = 0; i < n; ++i) b += i == 0 ? R"("MAA=")" : R"(,"MAA=")";
    return b + "]}";
  };
  auto most = ParseGetRootsResponse(body(kMaxRoots));
  ASSERT_TRUE(most.ok()) << most.status().ToString();
  EXPECT_EQ(most->size(), kMaxRoots);
  ExpectMalformed(ParseGetRootsResponse(body(kMaxRoots + 1)).status(), "certificates: 10001 certificates, more than 10000");
}

// ParseEntries parses a copy of `body`: only for errors and counts (the views die with it).
Status ParseEntries(std::string body, std::vector<RawEntry>& out, size_t max_entries = SIZE_MAX) {
  return ParseGetEntriesResponse(body, out, max_entries);
}

TEST(GetEntries, InSituViewsAreUnescapedAndAliasTheBuffer) {
  // JSON allows "\/" for "/": the in-situ parser unescapes it in place.
  std::string body = R"({"entries":[{"leaf_input":"AA\/A","extra_data":""},{"extra_data":"AAAA","leaf_input":"AAAA","x":1}]})";
  std::vector<RawEntry> out = {RawEntry{}, RawEntry{}, RawEntry{}};  // stale contents are cleared
  ASSERT_TRUE(ParseGetEntriesResponse(body, out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].leaf_input_b64, "AA/A");
  EXPECT_EQ(out[0].extra_data_b64, "");
  EXPECT_EQ(out[1].leaf_input_b64, "AAAA");
  EXPECT_GE(out[1].leaf_input_b64.data(), body.data());
  EXPECT_LT(out[1].leaf_input_b64.data(), body.data() + body.size());
  EXPECT_TRUE(ParseEntries(R"({"entries":[]})", out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(GetEntries, MalformedBodiesNameTheEntryAndField) {
  std::vector<RawEntry> out;
  const std::string good = R"({"leaf_input":"AAAA","extra_data":"AAAA"})";
  ExpectMalformed(ParseEntries(R"({"entries":[)" + good + R"(,{"leaf_input":"AAAA"}]})", out),
                  "entries[1].extra_data: missing");
  ExpectMalformed(ParseEntries(R"({"entries":[)" + good + "," + good + R"(,{"leaf_input":7,"extra_data":""}]})", out),
                  "entries[2].leaf_input: not a string");
  ExpectMalformed(ParseEntries(R"({"entries":[)" + good + R"(,"x"]})", out), "entries[1]: not an object");
  ExpectMalformed(ParseEntries(R"({"entries":{}})", out), "entries: not an array");
  ExpectMalformed(ParseEntries(R"({"entry":[]})", out), "entries: missing");
  ExpectMalformed(ParseEntries(R"({"entries":[]} x)", out), "get-entries: invalid JSON");
  ExpectMalformed(ParseEntries(R"({"entries":[)" + good, out), "get-entries: invalid JSON");
  ExpectMalformed(ParseEntries(R"({"entries":[]})" + std::string("\0{}", 3), out), "NUL byte at byte offset 14");
  ExpectMalformed(ParseEntries(R"({"entries":[{"leaf_input":"AA)" + std::string("\0", 1) + R"(AA"}]})", out),
                  "get-entries: invalid JSON");
  ExpectMalformed(ParseEntries("", out), "get-entries: invalid JSON");
  ExpectMalformed(ParseEntries(std::string(1'000'000, '['), out), "get-entries: top level is not an object");
  ExpectMalformed(ParseEntries(R"({"entries":[{"leaf_input":"A","leaf_input":"B","extra_data":""}]})", out),
                  "entries[0].leaf_input: duplicate key");
  ExpectMalformed(ParseEntries(R"({"entries":[],"entries":[]})", out), "entries: duplicate key");
}

// Nothing in a get-entries body can make the parser hold more than the entries asked for:
// no DOM is built, nesting is bounded, and entry number max+1 stops it.
TEST(GetEntries, BoundedWhateverTheBodyHolds) {
  std::vector<RawEntry> out;
  const std::string good = R"({"leaf_input":"AAAA","extra_data":"BBBB"})";
  std::string three = R"({"entries":[)" + good + "," + good + "," + good + "]}";
  ExpectMalformed(ParseEntries(three, out, 2), "more than the 2 entries asked for");
  EXPECT_LE(out.size(), 2u);
  ASSERT_TRUE(ParseEntries(three, out, 3).ok());
  EXPECT_EQ(out.size(), 3u);
  ExpectMalformed(ParseEntries(R"({"entries":)" + std::string(100'000, '['), out, 256),
                  "entries[0]: not an object");
  ExpectMalformed(ParseEntries(R"({"entries":[)" + std::string(100'000, '0') + ",0]}", out, 256),
                  "entries[0]: not an object");
  ExpectMalformed(ParseEntries(R"({"x":)" + std::string(100'000, '['), out, 256), "nested deeper than 32 levels");
}

// Fields a log adds, of any shape, are skipped, inside entries and beside them.
TEST(GetEntries, UnknownFieldsOfAnyShapeAreSkipped) {
  std::vector<RawEntry> out;
  std::string body =
      R"({"meta":{"a":[1,{"b":null}],"c":"d"},"entries":[{"x":[[],{}],"leaf_input":"AAAA","y":{"z":[1]},)"
      R"("extra_data":"BBBB","w":true}],"more":[{"entries":1}]})";
  ASSERT_TRUE(ParseGetEntriesResponse(body, out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].leaf_input_b64, "AAAA");
  EXPECT_EQ(out[0].extra_data_b64, "BBBB");
}

TEST(GetEntries, TruncationAtEveryByteIsMalformedNeverACrash) {
  const std::string good =
      R"({"entries":[{"leaf_input":"AA\/A","extra_data":"\u0041AAA"},{"leaf_input":"","extra_data":""}]})";
  std::vector<RawEntry> out;
  for (size_t n = 0; n < good.size(); ++n) {
    // A fresh heap copy of the prefix (std::string keeps its NUL terminator).
    std::string buf(good.begin(), good.begin() + static_cast<std::ptrdiff_t>(n));
    Status s = ParseGetEntriesResponse(buf, out);
    EXPECT_EQ(s.code(), Code::kMalformed) << "prefix of " << n << " bytes";
  }
  std::string buf(good.begin(), good.end());
  ASSERT_TRUE(ParseGetEntriesResponse(buf, out).ok());
  EXPECT_EQ(out[0].extra_data_b64, "AAAA");
}

}  // namespace
}  // namespace pinwatch::ctlog
