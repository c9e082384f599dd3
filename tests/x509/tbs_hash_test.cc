// Tests for monitor/tbs_hash: a precertificate, its logged precert_entry TBS and its final
// certificate share one identity (real LE and CT test-CA data); the Precertificate Signing
// CA pair does not (by design, see testdata README); re-encoding details on hand-made TBSs.
#include "x509/tbs_hash.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/encoding.h"
#include "ctlog/leaf.h"
#include "tests/x509/cert_test_util.h"
#include "tests/support/testdata.h"

namespace pinwatch::x509 {
namespace {

using pinwatch::testing::ReadFileBytes;
using pinwatch::testing::ReadFileText;
using testing::Der;
using testing::PemCertificate;
using testing::TbsParts;
using testing::Tlv;

class TbsIdentity : public pinwatch::testing::TestdataTest {
 protected:
  // IdentityOfCertFile returns the identity hash of a PEM certificate's TBS.
  std::string IdentityOfCertFile(const std::string& relative) {
    std::vector<uint8_t> der = PemCertificate(Path(relative));
    Result<CertificateView> cert = ParseCertificate(der);
    EXPECT_TRUE(cert.ok()) << cert.status().ToString();
    if (!cert.ok()) return "";
    return HexEncode(ComputeTbsIdentityHash(cert->tbs, sha_));
  }
  Sha256 sha_;
};

TEST_F(TbsIdentity, SameIssuerPrecertAndFinalCertShareOneHash) {
  // certs/expected.json ct_checks[0]: the precert_entry TBS (567 bytes) hashes to f891a1...
  const std::string pre = IdentityOfCertFile("certs/ct-testdata-pair/test-embedded-pre-cert.pem");
  const std::string final_cert = IdentityOfCertFile("certs/ct-testdata-pair/test-embedded-cert.pem");
  EXPECT_EQ(pre, "f891a12ef5a416b880296328e399ac1fce0b3d794781d11b62b33375beb3a956");
  EXPECT_EQ(final_cert, pre);
  std::vector<uint8_t> der = PemCertificate(Path("certs/ct-testdata-pair/test-embedded-pre-cert.pem"));
  Result<CertificateView> cert = ParseCertificate(der);
  ASSERT_TRUE(cert.ok());
  std::vector<uint8_t> rebuilt;
  EncodeTbsWithoutCtExtensions(cert->tbs, rebuilt);
  EXPECT_EQ(rebuilt.size(), 567u);
  EXPECT_LT(rebuilt.size(), cert->tbs.tlv.size());
  // The rebuilt TBS parses, has neither CT extension, and is its own identity.
  Result<TbsView> again = ParseTbsCertificate(rebuilt);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_FALSE(again->has_poison);
  EXPECT_FALSE(again->has_sct_list);
  EXPECT_EQ(HexEncode(Sha256Of(rebuilt)), pre);
  EXPECT_EQ(HexEncode(ComputeTbsIdentityHash(*again, sha_)), pre);
}

TEST_F(TbsIdentity, PrecertificateSigningCaPairDiffersByDesign) {
  // The precert names the Precertificate Signing CA as issuer (ct_checks[1]: false expected).
  EXPECT_NE(IdentityOfCertFile("certs/ct-testdata-pair/test-embedded-with-preca-pre-cert.pem"),
            IdentityOfCertFile("certs/ct-testdata-pair/test-embedded-with-preca-cert.pem"));
}

TEST_F(TbsIdentity, FinalCertWithoutSctListIsTheReconstructedPrecertTbs) {
  // ct_checks[3]: cryptography.io final cert, TBS minus SCT list = 1005 bytes, fa3968...
  EXPECT_EQ(IdentityOfCertFile("certs/leaf/cryptography.io-embedded-scts.pem"),
            "fa39683d8211d86e416d5316da4b03c94b39e5942fb6acd36dd6b6b807de1259");
  // A certificate with neither CT extension is hashed as is.
  std::vector<uint8_t> der = PemCertificate(Path("certs/root/isrg-root-x1.pem"));
  Result<CertificateView> root = ParseCertificate(der);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(ComputeTbsIdentityHash(root->tbs, sha_), Sha256Of(root->tbs.tlv));
}

// CheckPrecertEntry asserts that the TBS logged in a precert_entry is exactly the
// pre_certificate's TBS without the poison, so both give one identity.
void CheckPrecertEntry(Bytes leaf_input, Bytes extra_data, const std::string& want_tbs_sha256_hex) {
  Result<ctlog::LeafView> leaf = ctlog::ParseMerkleTreeLeaf(leaf_input);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  ASSERT_EQ(leaf->timestamped_entry.entry_type, ctlog::LogEntryType::kPrecertEntry);
  Bytes logged_tbs = leaf->timestamped_entry.tbs_certificate;
  EXPECT_EQ(HexEncode(Sha256Of(logged_tbs)), want_tbs_sha256_hex);
  Result<ctlog::ExtraDataView> extra = ctlog::ParseExtraData(ctlog::LogEntryType::kPrecertEntry, extra_data);
  ASSERT_TRUE(extra.ok()) << extra.status().ToString();
  Result<CertificateView> pre = ParseCertificate(extra->pre_certificate);
  ASSERT_TRUE(pre.ok()) << pre.status().ToString();
  EXPECT_TRUE(pre->tbs.has_poison);
  std::vector<uint8_t> rebuilt;
  EncodeTbsWithoutCtExtensions(pre->tbs, rebuilt);
  EXPECT_EQ(rebuilt, std::vector<uint8_t>(logged_tbs.begin(), logged_tbs.end()));
  Result<Hash> from_log = ComputeTbsIdentityHash(logged_tbs);
  Result<Hash> from_pre = ComputeTbsIdentityHash(pre->tbs.tlv);
  ASSERT_TRUE(from_log.ok()) << from_log.status().ToString();
  ASSERT_TRUE(from_pre.ok()) << from_pre.status().ToString();
  EXPECT_EQ(*from_log, *from_pre);
  EXPECT_EQ(HexEncode(*from_log), want_tbs_sha256_hex);
}

TEST_F(TbsIdentity, LetsEncryptPrecertEntryFromCtclient) {
  std::vector<uint8_t> leaf = ReadFileBytes(Path("ct/rfc6962/entries/ctclient-raw/le.precert"));
  std::vector<uint8_t> extra = ReadFileBytes(Path("ct/rfc6962/entries/ctclient-raw/extra.precert"));
  CheckPrecertEntry(leaf, extra, "7a2461e4ed3c76f8cb45ee3c8af278093ce1935bb6fc71516af7ce1afc2fc7c5");
}

TEST_F(TbsIdentity, CtGoTestLogPrecertEntry) {
  rapidjson::Document doc;
  std::string json = ReadFileText(Path("ct/rfc6962/entries/get-entries_ctgo-testlog-x509-and-precert.json"));
  ASSERT_FALSE(doc.Parse(json.c_str()).HasParseError());
  const rapidjson::Value& entry = doc["entries"][1];
  std::optional<std::vector<uint8_t>> leaf = Base64Decode(entry["leaf_input"].GetString());
  std::optional<std::vector<uint8_t>> extra = Base64Decode(entry["extra_data"].GetString());
  ASSERT_TRUE(leaf && extra);
  CheckPrecertEntry(*leaf, *extra, "1db6193e34314ecf0dec306d481039b4337517f80bc90e98a3ffb0d47182cb09");
}

TEST(TbsIdentityHandMade, OnlyPoisonDropsTheExtensionsWrapper) {
  TbsParts with;
  with.extensions = Tlv(0xa3, {Tlv(der::kSequence, {with.poison})});
  TbsParts without;
  without.extensions.clear();
  const Der with_der = with.Build();  // the view aliases it
  Result<TbsView> tbs = ParseTbsCertificate(with_der);
  ASSERT_TRUE(tbs.ok()) << tbs.status().ToString();
  std::vector<uint8_t> rebuilt;
  EncodeTbsWithoutCtExtensions(*tbs, rebuilt);
  EXPECT_EQ(rebuilt, without.Build());
  EXPECT_EQ(*ComputeTbsIdentityHash(with.Build()), Sha256Of(without.Build()));
}

TEST(TbsIdentityHandMade, LengthsShrinkAcrossTheLongFormBoundaries) {
  // A long SCT list makes every enclosing length need two octets; without it, one.
  Der sct_value(300, 0xab);
  TbsParts with;
  Der sct = Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {Der(kOidCtSctList.begin(), kOidCtSctList.end())}),
                                  Tlv(der::kOctetString, {sct_value})});
  with.extensions = Tlv(0xa3, {Tlv(der::kSequence, {with.san, sct, with.poison})});
  TbsParts without;
  without.extensions = Tlv(0xa3, {Tlv(der::kSequence, {without.san})});
  const Der with_der = with.Build();  // the view aliases it
  Result<TbsView> tbs = ParseTbsCertificate(with_der);
  ASSERT_TRUE(tbs.ok()) << tbs.status().ToString();
  EXPECT_TRUE(tbs->has_sct_list);
  ASSERT_EQ(with_der[1], 0x82);  // two length octets before, one after (checked below)
  std::vector<uint8_t> rebuilt;
  EncodeTbsWithoutCtExtensions(*tbs, rebuilt);
  EXPECT_EQ(rebuilt, without.Build());
  EXPECT_EQ(rebuilt[1], 0x81);
  Sha256 sha;
  EXPECT_EQ(ComputeTbsIdentityHash(*tbs, sha), Sha256Of(without.Build()));
}

TEST(TbsIdentityHandMade, MalformedTbsIsAnError) {
  Der tbs = TbsParts{}.Build();
  tbs.push_back(0x00);
  Result<Hash> h = ComputeTbsIdentityHash(tbs);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), Code::kMalformed);
}

}  // namespace
}  // namespace pinwatch::x509
