#include "x509/identity.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <map>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/pem.h"
#include "ctlog/leaf.h"
#include "tests/support/testdata.h"

namespace pinwatch::x509 {
namespace {

// PemToDer returns the DER of the first CERTIFICATE block of a PEM file (text before the
// block, such as an `openssl x509 -text` dump, is skipped).
std::vector<uint8_t> PemToDer(const std::string& pem) {
  Result<std::vector<uint8_t>> der = DecodePem(pem, "CERTIFICATE");
  EXPECT_TRUE(der.ok()) << der.status().ToString();
  return der.ok() ? std::move(*der) : std::vector<uint8_t>{};
}

std::vector<std::string> Strings(const rapidjson::Value& array) {
  std::vector<std::string> out;
  for (const auto& v : array.GetArray()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

// TEST: IsHostname, table-driven. Each row is a commonName and whether it names a host.
TEST(IsHostnameTest, Table) {
  struct Case {
    std::string cn;
    bool want;
  };
  const Case cases[] = {
      {"www.itmulticampus.com", true},
      {"*.google.com", true},
      {"xn--80aqafgnbi.xn--b1addckdrqixje4a.xn--p1ai", true},
      {"a.b", true},
      {"Sub-Domain.Example.COM", true},
      {"localhost", false},              // one label: CA names like "R3" look the same
      {"R3", false},
      {"ISRG Root X1", false},           // spaces
      {"Let's Encrypt Authority X3", false},
      {"адвокатская-контора.москва", false},  // U-labels: not LDH
      {"*.com", false},                  // a wildcard over a single label is not two labels
      {"*", false},
      {"*.", false},
      {"a.*.example.com", false},        // '*' only as the whole leftmost label
      {"foo*.example.com", false},
      {"-a.example.com", false},
      {"a-.example.com", false},
      {"a..example.com", false},
      {".example.com", false},
      {"example.com.", false},           // a trailing root dot is not how certificates spell names
      {"under_score.example.com", false},
      {"", false},
      {std::string(63, 'a') + ".com", true},
      {std::string(64, 'a') + ".com", false},
  };
  for (const Case& c : cases) EXPECT_EQ(IsHostname(c.cn), c.want) << c.cn;
  // 253 bytes in total is the limit (RFC 1035 §2.3.4).
  std::string long_name;
  while (long_name.size() < 250) long_name += "abcdefghi.";
  long_name.resize(249);
  long_name += ".com";  // 253 bytes
  ASSERT_EQ(long_name.size(), 253u);
  EXPECT_TRUE(IsHostname(long_name)) << long_name;
  EXPECT_FALSE(IsHostname("a" + long_name));
}

TEST(KeyTypeNameTest, Names) {
  EXPECT_EQ(KeyTypeName(KeyType::kRsa), "rsa");
  EXPECT_EQ(KeyTypeName(KeyType::kEc), "ec");
  EXPECT_EQ(KeyTypeName(KeyType::kEd25519), "ed25519");
  EXPECT_EQ(KeyTypeName(KeyType::kUnknown), "unknown");
}

// CertsTest loads certs/expected.json and the DER of every certificate it lists.
class CertsTest : public testing::TestdataTest {
 protected:
  void SetUp() override {
    TestdataTest::SetUp();
    if (IsSkipped()) return;
    expected_text_ = testing::ReadFileText(Path("certs/expected.json"));
    ASSERT_FALSE(expected_.Parse(expected_text_.c_str()).HasParseError());
  }
  std::vector<uint8_t> Der(const std::string& file) { return PemToDer(testing::ReadFileText(Path("certs/" + file))); }
  const rapidjson::Value* Find(const std::string& file) {
    for (const auto& c : expected_["certificates"].GetArray()) {
      if (file == c["file"].GetString()) return &c;
    }
    ADD_FAILURE() << file << " not in expected.json";
    return nullptr;
  }

  std::string expected_text_;
  rapidjson::Document expected_;
};

// TEST: every certificate of certs/expected.json, every fact it gives that CertIdentity has.
TEST_F(CertsTest, EveryCertificateMatchesOpenSslFacts) {
  size_t checked = 0, issuers_checked = 0, with_cn_names = 0;
  for (const auto& want : expected_["certificates"].GetArray()) {
    const std::string file = want["file"].GetString();
    SCOPED_TRACE(file);
    const std::vector<uint8_t> der = Der(file);
    ASSERT_EQ(HexEncode(Sha256Of(der)), want["cert_der_sha256_hex"].GetString());
    Result<CertIdentity> id = ParseCertificateIdentity(der);
    ASSERT_TRUE(id.ok()) << id.status().ToString();

    EXPECT_EQ(id->form, CertificateForm::kCertificate);
    EXPECT_EQ(id->precertificate, want["has_ct_poison"].GetBool());
    EXPECT_EQ(id->subject_rfc2253, want["subject_rfc2253"].GetString());
    EXPECT_EQ(id->subject_utf8, want["subject_utf8"].GetString());
    EXPECT_EQ(id->issuer_rfc2253, want["issuer_rfc2253"].GetString());
    EXPECT_EQ(id->issuer_utf8, want["issuer_utf8"].GetString());
    EXPECT_EQ(id->serial_hex, want["serial_hex_openssl"].GetString());
    EXPECT_EQ(id->not_before_rfc3339, want["not_before"].GetString());
    EXPECT_EQ(id->not_after_rfc3339, want["not_after"].GetString());

    const std::vector<std::string> want_sans = Strings(want["san_dns_names"]);
    EXPECT_EQ(id->san_dns_names, want_sans);
    EXPECT_EQ(id->san_dns_names.size(), want["san_dns_count"].GetUint64());
    EXPECT_TRUE(id->ip_addresses.empty());  // no IP SANs in this folder (san_entries_openssl are all DNS:)
    EXPECT_EQ(id->common_names, Strings(want["subject_common_names"]));
    // dns_names = SANs + hostname CNs not already listed.
    std::vector<std::string> want_names = want_sans;
    for (const std::string& cn : id->common_names) {
      if (IsHostname(cn) && std::find(want_sans.begin(), want_sans.end(), cn) == want_sans.end()) {
        want_names.push_back(cn);
      }
    }
    EXPECT_EQ(id->dns_names, want_names);
    if (id->dns_names.size() > id->san_dns_names.size()) ++with_cn_names;

    EXPECT_EQ(id->spki_sha256_hex, want["spki_sha256_hex"].GetString());
    EXPECT_EQ(HexEncode(id->spki_sha256), want["spki_sha256_hex"].GetString());
    EXPECT_EQ(id->spki_sha256_pin, want["spki_sha256_pin"].GetString());
    EXPECT_EQ(id->key_algorithm, want["public_key_algorithm"].GetString());
    EXPECT_EQ(id->key_bits, want["public_key_bits"].GetInt());
    const std::string algorithm = want["public_key_algorithm"].GetString();
    EXPECT_EQ(id->key_type, algorithm == "rsaEncryption" ? KeyType::kRsa : KeyType::kEc);
    EXPECT_EQ(id->ec_curve, want["ec_curve"].IsNull() ? "" : want["ec_curve"].GetString());

    EXPECT_EQ(id->certificate_sha256, Sha256Of(der));
    EXPECT_FALSE(id->issuer_spki_sha256.has_value());  // a bare certificate has no chain
    EXPECT_TRUE(id->chain.empty());
    EXPECT_NE(id->tbs_identity_hash, Hash{});

    // The issuer, where it is in the folder: its SPKI hash is what an x509_entry whose chain
    // starts with it reports as issuer_spki_sha256.
    if (want["issuer_file_in_folder"].IsString()) {
      const std::string issuer_file = want["issuer_file_in_folder"].GetString();
      const rapidjson::Value* issuer_want = Find(issuer_file);
      ASSERT_NE(issuer_want, nullptr);
      const std::vector<uint8_t> issuer_der = Der(issuer_file);
      Result<CertIdentity> with_chain = ComputeCertificateIdentity(der, {.certificates = {issuer_der}});
      ASSERT_TRUE(with_chain.ok()) << with_chain.status().ToString();
      ASSERT_TRUE(with_chain->issuer_spki_sha256.has_value());
      EXPECT_EQ(HexEncode(*with_chain->issuer_spki_sha256), (*issuer_want)["spki_sha256_hex"].GetString());
      ASSERT_EQ(with_chain->chain.size(), 1u);
      EXPECT_EQ(with_chain->chain[0].status, ChainLinkStatus::kResolved);
      EXPECT_EQ(HexEncode(with_chain->chain[0].certificate_sha256), (*issuer_want)["cert_der_sha256_hex"].GetString());
      ++issuers_checked;
    }
    ++checked;
  }
  EXPECT_EQ(checked, expected_["certificates"].Size());
  EXPECT_GE(checked, 34u);
  EXPECT_GE(issuers_checked, 20u);
  EXPECT_GE(with_cn_names, 1u);  // cn-only-no-san.pem at least
}

// TEST: validity as unix seconds, against values computed by hand (date -u -d ... +%s).
TEST_F(CertsTest, ValidityUnixSeconds) {
  Result<CertIdentity> cn_only = ParseCertificateIdentity(Der("leaf/cn-only-no-san.pem"));
  ASSERT_TRUE(cn_only.ok());
  EXPECT_EQ(cn_only->not_before_unix_s, 1350534960);  // 2012-10-18T04:36:00Z (UTCTime)
  EXPECT_EQ(cn_only->not_after_unix_s, 1382108399);   // 2013-10-18T14:59:59Z
  Result<CertIdentity> root = ParseCertificateIdentity(Der("root/isrg-root-x1.pem"));
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->not_before_unix_s, 1433415878);  // 2015-06-04T11:04:38Z
  EXPECT_EQ(root->not_after_unix_s, 2064567878);   // 2035-06-04T11:04:38Z
}

// TEST: a certificate with no SAN extension yields its CN as its one DNS name; the negative
// serial keeps its "-".
TEST_F(CertsTest, CnOnlyCertificateNamesItsCn) {
  Result<CertIdentity> id = ParseCertificateIdentity(Der("leaf/cn-only-no-san.pem"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_TRUE(id->san_dns_names.empty());
  EXPECT_EQ(id->dns_names, std::vector<std::string>{"www.itmulticampus.com"});
  EXPECT_EQ(id->serial_hex, "-5909C72DFFFFCA83");
}

// TEST: the UTF-8 Cyrillic CN is not a hostname, so only the punycode SANs are names.
TEST_F(CertsTest, CyrillicCnIsNotAHostname) {
  Result<CertIdentity> id = ParseCertificateIdentity(Der("leaf/cyrillic-utf8-cn-punycode-san.pem"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->common_names, std::vector<std::string>{"адвокатская-контора.москва"});
  EXPECT_EQ(id->dns_names, (std::vector<std::string>{"xn----7sbaabin3cbc7afgb4aiqh6v.xn--80adxhks",
                                                     "www.xn----7sbaabin3cbc7afgb4aiqh6v.xn--80adxhks"}));
}

// TEST: a CN repeated in the SAN (any case) is not listed twice.
TEST_F(CertsTest, CnAlreadyInSanIsNotRepeated) {
  Result<CertIdentity> id = ParseCertificateIdentity(Der("leaf/google.com-wildcard-44-sans.pem"));
  ASSERT_TRUE(id.ok());
  EXPECT_EQ(id->dns_names.size(), 44u);
  EXPECT_EQ(id->dns_names, id->san_dns_names);
}

// TEST: IP address SANs as text, an Ed25519 key, a CN that is not a hostname (hand-made
// certificate, facts in the comment above its PEM block).
TEST(IdentityTest, IpSansAndEd25519) {
  const std::string pem = testing::ReadFileText(std::string(PINWATCH_SOURCE_DIR) + "/tests/x509/testdata/ip-sans-ed25519.pem");
  Result<CertIdentity> id = ParseCertificateIdentity(PemToDer(pem));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->ip_addresses, (std::vector<std::string>{"127.0.0.1", "2001:db8::1"}));
  EXPECT_EQ(id->san_dns_names, std::vector<std::string>{"ip-test.example"});
  EXPECT_EQ(id->common_names, std::vector<std::string>{"Not A Host"});
  EXPECT_EQ(id->dns_names, std::vector<std::string>{"ip-test.example"});
  EXPECT_EQ(id->subject_rfc2253, "O=pinwatch test,CN=Not A Host");
  EXPECT_EQ(id->serial_hex, "7F01");
  EXPECT_EQ(id->key_type, KeyType::kEd25519);
  EXPECT_EQ(id->key_algorithm, "ED25519");
  EXPECT_EQ(id->key_bits, 256);  // EVP_PKEY_get_bits for Ed25519
  EXPECT_EQ(id->ec_curve, "");
  EXPECT_EQ(id->spki_sha256_hex, "1ab15eacf1059045299bcb20d9b7ebe7859b03539d3e14bd62d35a230aa3306b");
  EXPECT_EQ(id->not_before_rfc3339, "2026-11-23T13:45:36Z");
  EXPECT_EQ(id->not_after_rfc3339, "2036-11-20T13:45:36Z");
}

// TEST: what OpenSSL refuses is kMalformed naming the input; trailing bytes too.
TEST_F(CertsTest, RefusedDerIsMalformed) {
  const std::vector<uint8_t> der = Der("leaf/zakird.com-precert.pem");
  struct Case {
    std::string desc;
    std::vector<uint8_t> input;
  };
  std::vector<Case> cases = {
      {"empty", {}},
      {"one byte", {0x30}},
      {"not DER at all", {'h', 'e', 'l', 'l', 'o'}},
      {"truncated by one byte", std::vector<uint8_t>(der.begin(), der.end() - 1)},
      {"truncated to half", std::vector<uint8_t>(der.begin(), der.begin() + der.size() / 2)},
  };
  std::vector<uint8_t> trailing = der;
  trailing.push_back(0);
  cases.push_back({"a trailing byte", trailing});
  std::vector<uint8_t> wrong_tag = der;
  wrong_tag[0] = 0x31;  // SET instead of SEQUENCE
  cases.push_back({"outer tag SET", wrong_tag});
  for (const Case& c : cases) {
    Result<CertIdentity> id = ParseCertificateIdentity(c.input);
    ASSERT_FALSE(id.ok()) << c.desc;
    EXPECT_EQ(id.status().code(), Code::kMalformed) << c.desc << ": " << id.status().ToString();
    EXPECT_NE(id.status().message().find("certificate"), std::string::npos) << id.status().message();
  }
  // Every truncation of a real certificate is an error, never a crash.
  for (size_t n = 0; n < der.size(); ++n) {
    Result<CertIdentity> id = ParseCertificateIdentity(Bytes(der).first(n));
    ASSERT_FALSE(id.ok()) << n;
    EXPECT_EQ(id.status().code(), Code::kMalformed);
  }
  // The same for a precert TBS.
  Result<CertIdentity> tbs = ParsePrecertIdentity(Bytes(der).subspan(4, 100), Hash{});
  ASSERT_FALSE(tbs.ok());
  EXPECT_EQ(tbs.status().code(), Code::kMalformed);
  EXPECT_NE(tbs.status().message().find("tbs_certificate"), std::string::npos) << tbs.status().message();
}

// TbsOf returns the TBSCertificate TLV of a DER certificate whose outer SEQUENCE and TBS
// SEQUENCE both use two-byte long-form lengths (0x82), as every certificate in this test does.
std::vector<uint8_t> TbsOf(const std::vector<uint8_t>& cert) {
  EXPECT_GE(cert.size(), 8u);
  EXPECT_EQ(cert[1], 0x82);
  EXPECT_EQ(cert[5], 0x82);
  const size_t len = (size_t{cert[6]} << 8 | cert[7]) + 4;
  return std::vector<uint8_t>(cert.begin() + 4, cert.begin() + 4 + len);
}

// TEST: the same-issuer precert/final pair from Google's CT test CA shares one TBS identity
// hash; the Precertificate-Signing-CA pair does not (its precert TBS names another issuer);
// the precert_entry built from the pair's precert has the final certificate's identity.
TEST_F(CertsTest, PrecertAndFinalCertShareTbsIdentity) {
  Result<CertIdentity> pre = ParseCertificateIdentity(Der("ct-testdata-pair/test-embedded-pre-cert.pem"));
  Result<CertIdentity> final_cert = ParseCertificateIdentity(Der("ct-testdata-pair/test-embedded-cert.pem"));
  ASSERT_TRUE(pre.ok() && final_cert.ok());
  EXPECT_TRUE(pre->precertificate);
  EXPECT_FALSE(final_cert->precertificate);
  EXPECT_EQ(pre->tbs_identity_hash, final_cert->tbs_identity_hash);
  EXPECT_EQ(pre->serial_hex, final_cert->serial_hex);

  Result<CertIdentity> preca_pre = ParseCertificateIdentity(Der("ct-testdata-pair/test-embedded-with-preca-pre-cert.pem"));
  Result<CertIdentity> preca_final = ParseCertificateIdentity(Der("ct-testdata-pair/test-embedded-with-preca-cert.pem"));
  ASSERT_TRUE(preca_pre.ok() && preca_final.ok());
  EXPECT_NE(preca_pre->tbs_identity_hash, preca_final->tbs_identity_hash);

  // Distinct certificates have distinct identities.
  Result<CertIdentity> other = ParseCertificateIdentity(Der("ct-testdata-pair/test-cert.pem"));
  ASSERT_TRUE(other.ok());
  EXPECT_NE(other->tbs_identity_hash, final_cert->tbs_identity_hash);

  // As a precert_entry: the TBS of the precertificate, issuer_key_hash = SPKI of ca-cert.
  const rapidjson::Value& check = expected_["ct_checks"][0];
  ASSERT_TRUE(check["precert_tbs_minus_poison_equals_final_tbs_minus_sct_list"].GetBool());
  const std::vector<uint8_t> pre_tbs = TbsOf(Der("ct-testdata-pair/test-embedded-pre-cert.pem"));
  std::optional<std::vector<uint8_t>> ikh = HexDecode(check["precert_entry_issuer_key_hash_hex"].GetString());
  ASSERT_TRUE(ikh.has_value() && ikh->size() == 32);
  Hash issuer_key_hash;
  std::copy(ikh->begin(), ikh->end(), issuer_key_hash.begin());
  Result<CertIdentity> entry_id = ParsePrecertIdentity(pre_tbs, issuer_key_hash);
  ASSERT_TRUE(entry_id.ok()) << entry_id.status().ToString();
  EXPECT_EQ(entry_id->form, CertificateForm::kPrecertificateTbs);
  EXPECT_TRUE(entry_id->precertificate);
  EXPECT_EQ(entry_id->tbs_identity_hash, final_cert->tbs_identity_hash);
  EXPECT_EQ(entry_id->issuer_spki_sha256, issuer_key_hash);
  EXPECT_EQ(HexEncode(issuer_key_hash), Find("ct-testdata-pair/ca-cert.pem")->operator[]("spki_sha256_hex").GetString());
  EXPECT_EQ(entry_id->subject_rfc2253, final_cert->subject_rfc2253);
  EXPECT_EQ(entry_id->serial_hex, final_cert->serial_hex);
  EXPECT_EQ(entry_id->spki_sha256, final_cert->spki_sha256);
  EXPECT_EQ(entry_id->not_after_unix_s, final_cert->not_after_unix_s);
  EXPECT_FALSE(entry_id->certificate_sha256.has_value());
}

// TEST: a static-ct-api chain given as fingerprints is resolved through the IssuerLookup;
// unknown fingerprints, a null lookup and DER that does not match its fingerprint are
// reported per link, and the leaf's identity is still returned.
TEST_F(CertsTest, StaticCtChainThroughLookup) {
  const std::vector<uint8_t> leaf = Der("leaf/cryptography.io-embedded-scts.pem");
  const std::vector<uint8_t> x3 = Der("intermediate/lets-encrypt-x3-cross-signed.pem");
  const std::vector<uint8_t> dst = Der("root/dst-root-ca-x3_from-ctclient-extra-data.pem");
  const Hash x3_fp = Sha256Of(x3), dst_fp = Sha256Of(dst);
  Hash unknown_fp{};
  unknown_fp[0] = 1;
  std::vector<uint8_t> fingerprints;
  for (const Hash& h : {x3_fp, dst_fp, unknown_fp}) fingerprints.insert(fingerprints.end(), h.begin(), h.end());

  ChainInput chain{.fingerprints = fingerprints};

  std::map<Hash, Bytes> cache = {{x3_fp, x3}, {dst_fp, dst}};
  int calls = 0;
  IssuerLookup lookup = [&](const Hash& fp) -> std::optional<Bytes> {
    ++calls;
    auto it = cache.find(fp);
    if (it == cache.end()) return std::nullopt;
    return it->second;
  };
  chain.lookup = lookup;
  Result<CertIdentity> id = ComputeCertificateIdentity(leaf, chain);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(calls, 3);
  ASSERT_EQ(id->chain.size(), 3u);
  EXPECT_EQ(id->chain[0].status, ChainLinkStatus::kResolved);
  EXPECT_EQ(HexEncode(*id->chain[0].spki_sha256),
            (*Find("intermediate/lets-encrypt-x3-cross-signed.pem"))["spki_sha256_hex"].GetString());
  EXPECT_EQ(id->chain[1].status, ChainLinkStatus::kResolved);
  EXPECT_EQ(HexEncode(*id->chain[1].spki_sha256),
            (*Find("root/dst-root-ca-x3_from-ctclient-extra-data.pem"))["spki_sha256_hex"].GetString());
  EXPECT_EQ(id->chain[2].status, ChainLinkStatus::kMissing);
  EXPECT_FALSE(id->chain[2].spki_sha256.has_value());
  EXPECT_EQ(id->chain[2].certificate_sha256, unknown_fp);
  EXPECT_EQ(id->issuer_spki_sha256, id->chain[0].spki_sha256);
  EXPECT_EQ(id->dns_names, std::vector<std::string>{"cryptography.io"});

  // No lookup: every link is missing, issuer unknown, the leaf's facts intact.
  Result<CertIdentity> no_lookup = ComputeCertificateIdentity(leaf, {.fingerprints = fingerprints});
  ASSERT_TRUE(no_lookup.ok());
  ASSERT_EQ(no_lookup->chain.size(), 3u);
  for (const ChainLink& link : no_lookup->chain) EXPECT_EQ(link.status, ChainLinkStatus::kMissing);
  EXPECT_FALSE(no_lookup->issuer_spki_sha256.has_value());
  EXPECT_EQ(no_lookup->spki_sha256, id->spki_sha256);

  // A lookup that answers with the wrong certificate.
  cache[x3_fp] = dst;
  Result<CertIdentity> mismatch = ComputeCertificateIdentity(leaf, chain);
  ASSERT_TRUE(mismatch.ok());
  EXPECT_EQ(mismatch->chain[0].status, ChainLinkStatus::kFingerprintMismatch);
  EXPECT_FALSE(mismatch->issuer_spki_sha256.has_value());

  // DER that matches its fingerprint but does not parse.
  const std::vector<uint8_t> junk = {0x30, 0x03, 0x02, 0x01, 0x00};
  const Hash junk_fp = Sha256Of(junk);
  cache[junk_fp] = junk;
  chain.fingerprints = junk_fp;
  Result<CertIdentity> unparseable = ComputeCertificateIdentity(leaf, chain);
  ASSERT_TRUE(unparseable.ok());
  ASSERT_EQ(unparseable->chain.size(), 1u);
  EXPECT_EQ(unparseable->chain[0].status, ChainLinkStatus::kUnparseable);

  // Fingerprints that are not whole 32-byte hashes are malformed.
  chain.fingerprints = Bytes(fingerprints).first(33);
  Result<CertIdentity> bad = ComputeCertificateIdentity(leaf, chain);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), Code::kMalformed);
}

}  // namespace
}  // namespace pinwatch::x509
