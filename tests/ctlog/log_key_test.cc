#include "ctlog/log_key.h"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <rapidjson/document.h>

#include "base/encoding.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using testing::ReadFileBytes;
using testing::ReadFileText;
using testing::TestdataTest;

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::vector<uint8_t> SpkiOf(EVP_PKEY* pkey) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(pkey, &der);
  std::vector<uint8_t> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

class LogKeyTestdata : public TestdataTest {};

TEST_F(LogKeyTestdata, EveryRealLogKeyParsesWithItsLogId) {
  const std::string text = ReadFileText(Path("ct/rfc6962/log_keys/logs.json"));
  rapidjson::Document logs;
  logs.Parse(text.c_str());
  ASSERT_TRUE(logs.IsObject());
  int checked = 0;
  for (const auto& m : logs.GetObject()) {
    SCOPED_TRACE(m.name.GetString());
    auto key = LogKey::FromBase64(m.value["key"].GetString());
    ASSERT_TRUE(key.ok()) << key.status().ToString();
    EXPECT_EQ(key->type(), LogKey::Type::kEcdsaP256);
    EXPECT_EQ(Base64Encode(key->log_id()), m.value["log_id"].GetString());
    // The PEM file holds the same key.
    auto from_pem = LogKey::FromPem(ReadFileText(Path(std::string("ct/rfc6962/") + m.value["pem_file"].GetString())));
    ASSERT_TRUE(from_pem.ok()) << from_pem.status().ToString();
    EXPECT_EQ(from_pem->log_id(), key->log_id());
    ++checked;
  }
  EXPECT_EQ(checked, 6);
}

TEST_F(LogKeyTestdata, Rsa4096LogListKeyVerifiesTheSignedGoogleLogList) {
  auto key = LogKey::FromPem(ReadFileText(Path("ct/loglist/google_log_list_pubkey.pem")));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->type(), LogKey::Type::kRsa);
  std::vector<uint8_t> list = ReadFileBytes(Path("ct/loglist/google_log_list_v3.json"));
  DigitallySigned sig{.hash_algorithm = kHashSha256,
                      .signature_algorithm = kSignatureRsa,
                      .signature = ReadFileBytes(Path("ct/loglist/google_log_list_v3.sig"))};
  EXPECT_TRUE(key->Verify(list, sig).ok());
  list.back() ^= 1;
  EXPECT_EQ(key->Verify(list, sig).code(), Code::kMisbehaviour);
  // The same RSA signature labelled ECDSA is unusable with an RSA key.
  list.back() ^= 1;
  sig.signature_algorithm = kSignatureEcdsa;
  EXPECT_EQ(key->Verify(list, sig).code(), Code::kMalformed);
}

TEST(LogKey, VerifiesAFreshP256SignatureAndRejectsAlterations) {
  PkeyPtr pkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ASSERT_TRUE(pkey);
  auto key = LogKey::Create(SpkiOf(pkey.get()));
  ASSERT_TRUE(key.ok()) << key.status().ToString();
  EXPECT_EQ(key->log_id(), Sha256Of(key->spki_der()));

  const std::vector<uint8_t> msg = {1, 2, 3};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  ASSERT_EQ(EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()), 1);
  size_t len = 0;
  ASSERT_EQ(EVP_DigestSign(ctx.get(), nullptr, &len, msg.data(), msg.size()), 1);
  DigitallySigned ds{.hash_algorithm = 4, .signature_algorithm = 3, .signature = std::vector<uint8_t>(len)};
  ASSERT_EQ(EVP_DigestSign(ctx.get(), ds.signature.data(), &len, msg.data(), msg.size()), 1);
  ds.signature.resize(len);

  EXPECT_TRUE(key->Verify(msg, ds).ok());
  // Copies share the key and still verify (and can be used from several threads).
  LogKey copy = *key;
  EXPECT_TRUE(copy.Verify(msg, ds).ok());
  EXPECT_EQ(key->Verify(std::vector<uint8_t>{1, 2, 4}, ds).code(), Code::kMisbehaviour);
  DigitallySigned bad = ds;
  bad.signature.back() ^= 0x01;  // breaks the DER or the value
  EXPECT_EQ(key->Verify(msg, bad).code(), Code::kMisbehaviour);
  bad = ds;
  bad.signature.clear();
  EXPECT_EQ(key->Verify(msg, bad).code(), Code::kMisbehaviour);
  bad = ds;
  bad.hash_algorithm = 5;  // SHA-384
  EXPECT_EQ(key->Verify(msg, bad).code(), Code::kMalformed);
  bad = ds;
  bad.signature_algorithm = kSignatureRsa;
  EXPECT_EQ(key->Verify(msg, bad).code(), Code::kMalformed);
}

TEST(LogKey, RejectsUnusableKeys) {
  PkeyPtr p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  EXPECT_EQ(LogKey::Create(SpkiOf(p384.get())).status().code(), Code::kMalformed);
  PkeyPtr ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  EXPECT_EQ(LogKey::Create(SpkiOf(ed25519.get())).status().code(), Code::kMalformed);
  PkeyPtr rsa1024(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", size_t{1024}));
  auto small = LogKey::Create(SpkiOf(rsa1024.get()));
  EXPECT_EQ(small.status().code(), Code::kMalformed);
  EXPECT_NE(small.status().message().find("1024 bits"), std::string::npos);

  PkeyPtr p256(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  std::vector<uint8_t> spki = SpkiOf(p256.get());
  std::vector<uint8_t> trailing = spki;
  trailing.push_back(0);
  EXPECT_EQ(LogKey::Create(trailing).status().code(), Code::kMalformed);
  EXPECT_EQ(LogKey::Create(Bytes(spki).first(spki.size() - 1)).status().code(), Code::kMalformed);
  EXPECT_EQ(LogKey::Create({}).status().code(), Code::kMalformed);
  EXPECT_EQ(LogKey::FromBase64("not base64").status().code(), Code::kMalformed);
  EXPECT_EQ(LogKey::FromPem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n").status().code(),
            Code::kMalformed);
}

}  // namespace
}  // namespace pinwatch::ctlog
