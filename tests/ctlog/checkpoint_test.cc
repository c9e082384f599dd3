#include "ctlog/checkpoint.h"

#include <cstdio>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "base/encoding.h"
#include "ctlog/rfc6962_json.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using testing::ReadFileText;
using ::testing::HasSubstr;
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

// --- Parsing ---

TEST(ParseCheckpoint, ParsesBodyExtensionsAndSignatures) {
  const std::string note =
      "example.com/log\n42\nl+XrWXWRyp4SmATORgTfz4CcYS/VlE7CeTuWI0FAk3o=\next one\next two\n\n"
      "\xE2\x80\x94 example.com/log EjRWeKq7\n"
      "\xE2\x80\x94 witness.example/w1 AAAAAQE=\n";
  auto cp = ParseCheckpoint(note);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->origin, "example.com/log");
  EXPECT_EQ(cp->tree_size, 42u);
  EXPECT_EQ(Base64Encode(cp->root_hash), "l+XrWXWRyp4SmATORgTfz4CcYS/VlE7CeTuWI0FAk3o=");
  ASSERT_EQ(cp->extension_lines.size(), 2u);
  EXPECT_EQ(cp->extension_lines[1], "ext two");
  EXPECT_EQ(cp->body, note.substr(0, note.find("\n\n") + 1));
  ASSERT_EQ(cp->signatures.size(), 2u);
  EXPECT_EQ(cp->signatures[0].key_name, "example.com/log");
  EXPECT_EQ(cp->signatures[0].key_id, 0x12345678u);
  EXPECT_EQ(cp->signatures[0].signature, (std::vector<uint8_t>{0xAA, 0xBB}));
  EXPECT_EQ(cp->signatures[1].key_id, 1u);
}

TEST(ParseCheckpoint, RejectsMalformedNotesClearly) {
  const std::string root = "l+XrWXWRyp4SmATORgTfz4CcYS/VlE7CeTuWI0FAk3o=";
  const std::string sig = "\xE2\x80\x94 o EjRWeKq7\n";
  struct Case {
    const char* desc;
    std::string note;
    const char* want_error;
  } cases[] = {
      {"no blank line", "o\n1\n" + root + "\n" + sig, "no blank line"},
      {"no signature lines", "o\n1\n" + root + "\n\n", "no signature lines"},
      {"no final newline", "o\n1\n" + root + "\n\n" + sig.substr(0, sig.size() - 1), "does not end in a newline"},
      {"hyphen, not em dash", "o\n1\n" + root + "\n\n-- o EjRWeKq7\n", "em dash"},
      {"no space after name", "o\n1\n" + root + "\n\n\xE2\x80\x94 oEjRWeKq7\n", "no space"},
      {"plus in key name", "o\n1\n" + root + "\n\n\xE2\x80\x94 o+x EjRWeKq7\n", "invalid key name"},
      {"bad base64", "o\n1\n" + root + "\n\n\xE2\x80\x94 o EjRWeKq\n", "not valid base64"},
      {"4-byte signature", "o\n1\n" + root + "\n\n\xE2\x80\x94 o EjRWeA==\n", "shorter than a key ID"},
      {"empty origin", "\n1\n" + root + "\n\n" + sig, "empty origin"},
      {"leading zero", "o\n01\n" + root + "\n\n" + sig, "leading zeroes"},
      {"negative size", "o\n-1\n" + root + "\n\n" + sig, "leading zeroes"},
      {"size over 2^64", "o\n18446744073709551616\n" + root + "\n\n" + sig, "64 bits"},
      {"missing size", "o\n\n" + sig, "missing tree size"},
      {"missing root", "o\n5\n\n" + sig, "missing root hash"},
      {"31-byte root", "o\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\n\n" + sig, "32 bytes"},
      {"tab", "o\n1\t\n" + root + "\n\n" + sig, "control character 9"},
      {"CR", "o\r\n1\n" + root + "\n\n" + sig, "control character 13"},
      {"bad UTF-8", "o\xC0\x80\n1\n" + root + "\n\n" + sig, "invalid UTF-8"},
      {"truncated UTF-8", "o\n1\n" + root + "\n\n\xE2\x80", "truncated UTF-8"},
      {"too big", std::string(kMaxNoteBytes + 1, 'a'), "over the cap"},
  };
  for (const Case& c : cases) {
    Status s = ParseCheckpoint(c.note).status();
    EXPECT_EQ(s.code(), Code::kMalformed) << c.desc;
    EXPECT_THAT(s.message(), HasSubstr(c.want_error)) << c.desc;
  }
  // An empty tree is "0". The text is split at the LAST blank line, so an earlier blank
  // line is part of the body, where it is an empty extension line.
  EXPECT_TRUE(ParseCheckpoint("o\n0\n" + root + "\n\n" + sig).ok());
  EXPECT_THAT(ParseCheckpoint("o\n0\n" + root + "\n\next\n\n" + sig).status().message(),
              HasSubstr("empty extension line"));
}

// --- Verification ---

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

// TestLog signs tree heads with a fresh P-256 key, as an RFC 6962 log would.
class TestLog {
 public:
  TestLog() : pkey_(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256")) {
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(pkey_.get(), &der);
    spki_.assign(der, der + len);
    OPENSSL_free(der);
  }
  std::vector<uint8_t> spki() const { return spki_; }
  LogKey key() const { return *LogKey::Create(spki_); }

  SignedTreeHead Sign(uint64_t tree_size, uint64_t timestamp_ms, const Hash& root) const {
    SignedTreeHead sth{.tree_size = tree_size, .timestamp_ms = timestamp_ms, .root_hash = root, .signature = {}};
    const auto input = SerializeTreeHeadSignatureInput(timestamp_ms, tree_size, root);
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
    EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey_.get());
    size_t len = 0;
    EVP_DigestSign(ctx.get(), nullptr, &len, input.data(), input.size());
    sth.signature = {.hash_algorithm = kHashSha256, .signature_algorithm = kSignatureEcdsa,
                     .signature = std::vector<uint8_t>(len)};
    EVP_DigestSign(ctx.get(), sth.signature.signature.data(), &len, input.data(), input.size());
    sth.signature.signature.resize(len);
    return sth;
  }

 private:
  std::unique_ptr<EVP_PKEY, PkeyFree> pkey_;
  std::vector<uint8_t> spki_;
};

constexpr std::string_view kOrigin = "log.example/2026h1";

class VerifyCheckpointTest : public ::testing::Test {
 protected:
  VerifyCheckpointTest() {
    root_.fill(0x5a);
    sth_ = log_.Sign(1234567, 1700000000123, root_);
    note_ = FormatRfc6962Checkpoint(kOrigin, sth_, log_.spki());
  }
  TestLog log_;
  Hash root_{};
  SignedTreeHead sth_;
  std::string note_;
};

TEST_F(VerifyCheckpointTest, FreshlySignedCheckpointRoundTrips) {
  auto cp = ParseCheckpoint(note_);
  ASSERT_TRUE(cp.ok()) << cp.status().ToString();
  EXPECT_EQ(cp->body, FormatCheckpointBody(kOrigin, sth_.tree_size, root_));
  auto verified = VerifyRfc6962Checkpoint(note_, kOrigin, log_.key());
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, sth_);
}

TEST_F(VerifyCheckpointTest, Yeti2018CheckpointVerifiesWithTheRealKey) {
  auto key = LogKey::FromBase64(kYetiSpkiB64);
  ASSERT_TRUE(key.ok());
  auto sth = ParseGetSthResponse(kYetiSth);
  ASSERT_TRUE(sth.ok());
  auto verified = VerifyRfc6962Checkpoint(FormatRfc6962Checkpoint("example.com", *sth, YetiSpki()),
                                          "example.com", *key);
  ASSERT_TRUE(verified.ok()) << verified.status().ToString();
  EXPECT_EQ(*verified, *sth);
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  size_t pos = s.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  return pos == std::string::npos ? s : s.replace(pos, from.size(), to);
}

TEST_F(VerifyCheckpointTest, TamperedSizeRootSignatureOrKeyIdFail) {
  const LogKey key = log_.key();
  // Tree size.
  EXPECT_EQ(VerifyRfc6962Checkpoint(Replace(note_, "\n1234567\n", "\n1234568\n"), kOrigin, key).status().code(),
            Code::kMisbehaviour);
  // Root hash.
  Hash other = root_;
  other[31] ^= 1;
  EXPECT_EQ(VerifyRfc6962Checkpoint(Replace(note_, Base64Encode(root_), Base64Encode(other)), kOrigin, key)
                .status()
                .code(),
            Code::kMisbehaviour);
  // Signature (and timestamp): re-encode the signature line with a changed byte.
  auto cp = *ParseCheckpoint(note_);
  const NoteSignature& line = cp.signatures[0];
  for (size_t byte : {size_t{7}, line.signature.size() - 1}) {  // timestamp LSB, last signature byte
    std::vector<uint8_t> sig = line.signature;
    sig[byte] ^= 1;
    std::string tampered = std::string(cp.body) + "\n" + FormatNoteSignatureLine(kOrigin, line.key_id, sig);
    EXPECT_NE(VerifyRfc6962Checkpoint(tampered, kOrigin, key).status().code(), Code::kOk) << byte;
  }
  // Key ID: the line is then someone else's, so no signature from the log remains.
  std::string wrong_id = std::string(cp.body) + "\n" + FormatNoteSignatureLine(kOrigin, line.key_id ^ 1, line.signature);
  EXPECT_EQ(VerifyRfc6962Checkpoint(wrong_id, kOrigin, key).status().code(), Code::kFailedPrecondition);
  // A different log's key.
  EXPECT_EQ(VerifyRfc6962Checkpoint(note_, kOrigin, TestLog().key()).status().code(), Code::kFailedPrecondition);
  // A different origin.
  EXPECT_EQ(VerifyRfc6962Checkpoint(note_, "other.example/log", key).status().code(), Code::kFailedPrecondition);
  // Trailing bytes in the RFC6962NoteSignature.
  std::vector<uint8_t> longer = line.signature;
  longer.push_back(0);
  EXPECT_EQ(VerifyRfc6962Checkpoint(std::string(cp.body) + "\n" + FormatNoteSignatureLine(kOrigin, line.key_id, longer),
                                    kOrigin, key)
                .status()
                .code(),
            Code::kMalformed);
}

TEST_F(VerifyCheckpointTest, UnknownSignersAreIgnoredButKnownBadOnesAreNot) {
  const LogKey key = log_.key();
  const std::string witness = FormatNoteSignatureLine("witness.example/w1", 0xdeadbeef, std::vector<uint8_t>(64, 7));
  // Same name, other key ID (e.g. an ML-DSA signature of the same log): ignored too.
  const std::string same_name = FormatNoteSignatureLine(kOrigin, 0x01020304, std::vector<uint8_t>(10, 1));
  auto ok = VerifyRfc6962Checkpoint(note_ + witness, kOrigin, key);
  EXPECT_TRUE(ok.ok()) << ok.status().ToString();
  const size_t split = note_.find("\n\n") + 2;
  std::string first = note_.substr(0, split) + witness + same_name + note_.substr(split);
  EXPECT_TRUE(VerifyRfc6962Checkpoint(first, kOrigin, key).ok());
  // Only unknown signers: an error.
  std::string none = note_.substr(0, split) + witness;
  Status s = VerifyRfc6962Checkpoint(none, kOrigin, key).status();
  EXPECT_EQ(s.code(), Code::kFailedPrecondition);
  EXPECT_THAT(s.message(), HasSubstr("no signature from the log key"));
  // A second, bad line from the log's key spoils a good one.
  auto cp = *ParseCheckpoint(note_);
  std::vector<uint8_t> bad = cp.signatures[0].signature;
  bad.back() ^= 1;
  EXPECT_NE(VerifyRfc6962Checkpoint(note_ + FormatNoteSignatureLine(kOrigin, cp.signatures[0].key_id, bad), kOrigin, key)
                .status()
                .code(),
            Code::kOk);
  // Extension lines are not allowed in RFC 6962 checkpoints.
  std::string ext = note_.substr(0, split - 1) + "ext\n" + note_.substr(split - 1);
  EXPECT_EQ(VerifyRfc6962Checkpoint(ext, kOrigin, key).status().code(), Code::kMalformed);
}

class C2spNoteExample : public TestdataTest {};

TEST_F(C2spNoteExample, Ed25519ExampleVerifies) {
  const std::string note = ReadFileText(Path("ct/static-ct-api/c2sp-signed-note-example/note.txt"));
  std::string vkey = ReadFileText(Path("ct/static-ct-api/c2sp-signed-note-example/vkey.txt"));
  while (!vkey.empty() && vkey.back() == '\n') vkey.pop_back();
  auto text = VerifyEd25519Note(note, vkey);
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(*text, "This is an example message.\n");

  std::string altered = note;
  altered[0] = 't';
  EXPECT_EQ(VerifyEd25519Note(altered, vkey).status().code(), Code::kMisbehaviour);
  // Another key under the same name: its key ID differs, so the line is not its.
  EXPECT_EQ(VerifyEd25519Note(note, "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                .status()
                .code(),
            Code::kMalformed);  // key ID does not match the key
  EXPECT_EQ(VerifyEd25519Note(note, "example.com/bar+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                .status()
                .code(),
            Code::kMalformed);
  EXPECT_EQ(VerifyEd25519Note(note, "garbage").status().code(), Code::kMalformed);
  // A well-formed vkey for a key that did not sign: no signature from it.
  auto pub = *Base64Decode("AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k");
  char id[9];
  std::snprintf(id, sizeof id, "%08x", NoteKeyId("example.com/bar", 1, Bytes(pub).subspan(1)));
  EXPECT_EQ(VerifyEd25519Note(note, std::string("example.com/bar+") + id + "+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k")
                .status()
                .code(),
            Code::kFailedPrecondition);
}

}  // namespace
}  // namespace pinwatch::ctlog
