#include "ctlog/checkpoint.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "base/encoding.h"
#include "ctlog/rfc6962_json.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using testing::ReadFileText;
using testing::TestdataTest;

// DigiCert Yeti2018's key (ct/rfc6962/log_keys/logs.json) and its STH from Sunlight's
// TestRFC6962InjectedSigner (ct/rfc6962/yeti2018/get-sth_90785920.json).
constexpr char kYetiSpkiB64[] =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESYlKFDLLFmA9JScaiaNnqlU8oWDytxIYMfswHy9Esg0aiX+WnP/"
    "yj4O0ViEHtLwbmOQeSWBGkIu9YK9CLeer+g==";
constexpr char kYetiSth[] =
    R"({"sha256_root_hash":"l+XrWXWRyp4SmATORgTfz4CcYS/VlE7CeTuWI0FAk3o=","timestamp":1588741228371,)"
    R"("tree_head_signature":"BAMASDBGAiEAnaHGuwnyyHWvrfgEn3qtl1j2heMzocku6ZAItYD75m8CIQCpotlpH5GEPEfMMzky72BCuIl14FB65t5SWZ91vgTQOg==",)"
    R"("tree_size":90785920})";

std::vector<uint8_t> YetiSpki() { return *Base64Decode(kYetiSpkiB64); }

TEST(FormatCheckpointBody, IsOriginSizeAndBase64Root) {
  Hash root{};
  root[0] = 0xff;
  EXPECT_EQ(FormatCheckpointBody("example.com/log", 0, root),
            "example.com/log\n0\n/wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
  EXPECT_EQ(FormatCheckpointBody("o", UINT64_MAX, root).substr(0, 23), "o\n18446744073709551615\n");
}

TEST(NoteKeyId, MatchesTheC2spEd25519ExampleVkey) {
  // vkey "example.com/foo+530d903a+AekyeRrm...": base64 is 0x01 || Ed25519 public key, and
  // the key ID is SHA-256(name || 0x0A || 0x01 || key)[:4].
  auto vkey = *Base64Decode("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  ASSERT_EQ(vkey.size(), 33u);
  ASSERT_EQ(vkey[0], kNoteSignatureTypeEd25519);
  EXPECT_EQ(NoteKeyId("example.com/foo", kNoteSignatureTypeEd25519, Bytes(vkey).subspan(1)), 0x530d903au);
}

TEST(Rfc6962NoteKeyId, HashesTheLogIdNotTheSpki) {
  // Expected value computed outside this code base (Python hashlib):
  //   sha256(b"example.com\n\x05" + sha256(spki)).hexdigest()[:8]
  const auto spki = YetiSpki();
  EXPECT_EQ(Rfc6962NoteKeyId("example.com", spki), 0x2430cadfu);
  EXPECT_EQ(Rfc6962NoteKeyIdForLogId("example.com", Sha256Of(spki)), 0x2430cadfu);
  EXPECT_NE(Rfc6962NoteKeyId("example.org", spki), 0x2430cadfu);
}

TEST(FormatNoteSignatureLine, UsesEmDashAndBigEndianKeyId) {
  const std::vector<uint8_t> sig = {0xAA, 0xBB};
  // base64(12 34 56 78 AA BB) = "EjRWeKq7"
  EXPECT_EQ(FormatNoteSignatureLine("example.com/foo", 0x12345678, sig),
            "\xE2\x80\x94 example.com/foo EjRWeKq7\n");
}

TEST(EncodeRfc6962NoteSignature, IsTimestampThenDigitallySigned) {
  DigitallySigned ds{.hash_algorithm = 4, .signature_algorithm = 3, .signature = {9, 8, 7}};
  EXPECT_EQ(HexEncode(EncodeRfc6962NoteSignature(0x0102030405060708, ds)), "0102030405060708040300030908" "07");
}

TEST(FormatRfc6962Checkpoint, ConvertsYeti2018GetSthToACheckpoint) {
  auto sth = ParseGetSthResponse(kYetiSth);
  ASSERT_TRUE(sth.ok()) << sth.status().ToString();
  // Expected note assembled outside this code base (Python) from the spec's formulas.
  EXPECT_EQ(FormatRfc6962Checkpoint("example.com", *sth, YetiSpki()),
            "example.com\n90785920\nl+XrWXWRyp4SmATORgTfz4CcYS/VlE7CeTuWI0FAk3o=\n\n"
            "\xE2\x80\x94 example.com JDDK3wAAAXHoW0dTBAMASDBGAiEAnaHGuwnyyHWvrfgEn3qtl1j2heMzocku6ZAItYD75m8CIQCp"
            "otlpH5GEPEfMMzky72BCuIl14FB65t5SWZ91vgTQOg==\n");
}

}  // namespace
}  // namespace pinwatch::ctlog
