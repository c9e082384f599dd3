// Tests for monitor/cert_view: every certificate in ../shared/testdata/certs checked against
// expected.json (computed there with the openssl CLI), hand-made certificates for what the
// real ones lack (IP SANs, v1, odd extensions), a malformed table, and the best-effort walk.
#include "x509/cert_view.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include "base/encoding.h"
#include "base/sha256.h"
#include "base/time.h"
#include "tests/x509/cert_test_util.h"
#include "tests/support/testdata.h"

namespace pinwatch::x509 {
namespace {

using pinwatch::testing::ReadFileText;
using testing::Cat;
using testing::Der;
using testing::PemCertificate;
using testing::Raw;
using testing::Tlv;
using testing::TbsParts;

std::string Str(Bytes b) { return std::string(b.begin(), b.end()); }

// OpenSslSerial prints an INTEGER body as `openssl x509 -serial` does: upper-case hex of
// the magnitude without leading zero octets ("00" for zero), "-" first when negative.
std::string OpenSslSerial(Bytes serial) {
  std::vector<uint8_t> magnitude(serial.begin(), serial.end());
  const bool negative = !magnitude.empty() && (magnitude[0] & 0x80) != 0;
  if (negative) {  // two's complement negation
    for (uint8_t& b : magnitude) b = static_cast<uint8_t>(~b);
    for (size_t i = magnitude.size(); i-- > 0;) {
      if (++magnitude[i] != 0) break;
    }
  }
  size_t skip = 0;
  while (skip + 1 < magnitude.size() && magnitude[skip] == 0) ++skip;
  std::string hex = HexEncode(Bytes(magnitude).subspan(skip));
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return (negative ? "-" : "") + hex;
}

// IsoToUnix parses "YYYY-MM-DDTHH:MM:SSZ".
int64_t IsoToUnix(const std::string& iso) {
  std::optional<int64_t> ms = ParseRfc3339Ms(iso);
  EXPECT_TRUE(ms.has_value()) << iso;
  return ms.value_or(0) / 1000;
}

std::vector<std::string> StringArray(const rapidjson::Value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.GetArray()) out.emplace_back(s.GetString(), s.GetStringLength());
  return out;
}

struct WalkedNames {
  std::vector<std::string> cns, dns, ips;
};
WalkedNames Walk(Bytes der, BestEffortWalk* report = nullptr) {
  WalkedNames out;
  BestEffortWalk w = WalkNamesBestEffort(der, [&out](const FoundName& n) {
    (n.source == NameSource::kSubjectCommonName ? out.cns
     : n.source == NameSource::kSanDnsName      ? out.dns
                                                : out.ips)
        .push_back(Str(n.value));
  });
  if (report) *report = w;
  return out;
}

class RealCertificates : public pinwatch::testing::TestdataTest {};

TEST_F(RealCertificates, MatchExpectedJson) {
  rapidjson::Document doc;
  std::string json = ReadFileText(Path("certs/expected.json"));
  ASSERT_FALSE(doc.Parse(json.c_str()).HasParseError());
  const auto& certs = doc["certificates"].GetArray();
  ASSERT_EQ(certs.Size(), 34u);
  Sha256 sha;
  for (const auto& want : certs) {
    const std::string file = want["file"].GetString();
    SCOPED_TRACE(file);
    std::vector<uint8_t> der = PemCertificate(Path("certs/" + file));
    EXPECT_EQ(HexEncode(Sha256Of(der)), want["cert_der_sha256_hex"].GetString());
    Result<CertificateView> cert = ParseCertificate(der);
    ASSERT_TRUE(cert.ok()) << cert.status().ToString();
    const TbsView& tbs = cert->tbs;
    EXPECT_EQ(tbs.version + 1, want["version"].GetInt());
    EXPECT_EQ(OpenSslSerial(tbs.serial), want["serial_hex_openssl"].GetString());
    EXPECT_EQ(tbs.validity.not_before_unix_s, IsoToUnix(want["not_before"].GetString()));
    EXPECT_EQ(tbs.validity.not_after_unix_s, IsoToUnix(want["not_after"].GetString()));

    const Hash spki = sha.Update(tbs.subject_public_key_info).Final();
    EXPECT_EQ(HexEncode(spki), want["spki_sha256_hex"].GetString());
    EXPECT_EQ("sha256/" + Base64Encode(spki), want["spki_sha256_pin"].GetString());

    std::vector<std::string> dns;
    for (Bytes name : tbs.SanDnsNames()) dns.push_back(Str(name));
    EXPECT_EQ(dns, StringArray(want["san_dns_names"]));
    EXPECT_EQ(tbs.san_dns_name_count, want["san_dns_count"].GetUint());
    EXPECT_EQ(tbs.san_ip_address_count, 0u);  // none of the real certificates has one
    EXPECT_EQ(tbs.has_san, want["has_san_extension"].GetBool());
    bool wildcard = false, punycode = false;
    for (const std::string& n : dns) {
      wildcard |= n.starts_with("*.");
      punycode |= n.starts_with("xn--") || n.find(".xn--") != std::string::npos;
    }
    EXPECT_EQ(wildcard, want["san_has_wildcard"].GetBool());
    EXPECT_EQ(punycode, want["san_has_punycode_xn--"].GetBool());

    std::vector<std::string> cns;
    for (const AttributeValueView& cn : tbs.SubjectCommonNames()) {
      // google.com (2013) uses a TeletexString CN.
      EXPECT_TRUE(cn.string_tag == der::kUtf8String || cn.string_tag == der::kPrintableString ||
                  cn.string_tag == der::kTeletexString)
          << int{cn.string_tag};
      cns.push_back(Str(cn.value));
    }
    EXPECT_EQ(cns, StringArray(want["subject_common_names"]));

    std::vector<std::string> oids;
    for (const ExtensionView& ext : tbs.extensions()) oids.push_back(der::OidToString(ext.oid));
    EXPECT_EQ(oids, StringArray(want["extension_oids"]));
    EXPECT_EQ(tbs.has_poison, want["has_ct_poison"].GetBool());
    if (tbs.has_poison) {
      EXPECT_EQ(tbs.poison_critical, want["ct_poison_critical"].GetBool());
    }
    EXPECT_EQ(tbs.has_sct_list, want["has_embedded_sct_list"].GetBool());

    // The TBS alone parses to the same view, and the best-effort walk finds the same names
    // in the certificate and in the TBS.
    Result<TbsView> bare = ParseTbsCertificate(tbs.tlv);
    ASSERT_TRUE(bare.ok()) << bare.status().ToString();
    EXPECT_EQ(bare->subject_public_key_info.data(), tbs.subject_public_key_info.data());
    for (Bytes input : {Bytes(der), tbs.tlv}) {
      BestEffortWalk report;
      WalkedNames walked = Walk(input, &report);
      EXPECT_EQ(walked.dns, dns);
      EXPECT_EQ(walked.cns, cns);
      EXPECT_TRUE(report.complete);
      EXPECT_TRUE(report.reached_subject);
      EXPECT_EQ(report.names_found, dns.size() + cns.size());
    }
  }
}

TEST(HandMadeTbs, IpSansMultipleCnsAndPoison) {
  Der der = TbsParts{}.Build();
  Result<TbsView> tbs = ParseTbsCertificate(der);
  ASSERT_TRUE(tbs.ok()) << tbs.status().ToString();
  EXPECT_EQ(tbs->version, 2);
  EXPECT_EQ(tbs->san_dns_name_count, 2u);
  EXPECT_EQ(tbs->san_ip_address_count, 2u);
  std::vector<std::string> dns;
  for (Bytes n : tbs->SanDnsNames()) dns.push_back(Str(n));
  EXPECT_EQ(dns, (std::vector<std::string>{"c.example", "*.d.example"}));
  std::vector<size_t> ip_sizes;
  for (Bytes ip : tbs->SanIpAddresses()) ip_sizes.push_back(ip.size());
  EXPECT_EQ(ip_sizes, (std::vector<size_t>{4, 16}));
  std::vector<std::pair<uint8_t, std::string>> cns;
  for (const AttributeValueView& cn : tbs->SubjectCommonNames()) cns.emplace_back(cn.string_tag, Str(cn.value));
  EXPECT_EQ(cns, (std::vector<std::pair<uint8_t, std::string>>{{der::kUtf8String, "a.example"}, {der::kIa5String, "b.example"}}));
  EXPECT_TRUE(tbs->has_poison);
  EXPECT_TRUE(tbs->poison_critical);
  EXPECT_FALSE(tbs->has_sct_list);
  EXPECT_EQ(tbs->validity.not_before_unix_s, 1704067200);
  EXPECT_EQ(tbs->validity.not_after_unix_s, 2524608000);
  WalkedNames walked = Walk(der);
  EXPECT_EQ(walked.dns, dns);
  EXPECT_EQ(walked.cns, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(walked.ips.size(), 2u);
}

TEST(HandMadeTbs, Version1WithoutExtensions) {
  TbsParts p;
  p.version.clear();
  p.extensions.clear();
  Result<TbsView> tbs = ParseTbsCertificate(p.Build());
  ASSERT_TRUE(tbs.ok()) << tbs.status().ToString();
  EXPECT_EQ(tbs->version, 0);
  EXPECT_TRUE(tbs->extensions().empty());
  EXPECT_EQ(tbs->extensions().begin(), tbs->extensions().end());
  EXPECT_FALSE(tbs->has_san);
  EXPECT_EQ(tbs->SanDnsNames().begin(), tbs->SanDnsNames().end());
}

struct MalformedCase {
  const char* desc;
  std::function<void(TbsParts&)> mutate;
  const char* want_error;      // substring of the Status message
  std::vector<std::string> want_best_effort_dns;  // what the best-effort walk still finds
};

TEST(HandMadeTbs, MalformedTable) {
  const std::vector<std::string> kAll = {"c.example", "*.d.example"};
  const MalformedCase cases[] = {
      {"explicit v1 is not DER", [](TbsParts& p) { p.version = Tlv(0xa0, {Tlv(der::kInteger, {{0x00}})}); }, "tbsCertificate.version: invalid value", kAll},
      {"unknown version 5", [](TbsParts& p) { p.version = Tlv(0xa0, {Tlv(der::kInteger, {{0x05}})}); }, "tbsCertificate.version: invalid value at byte offset 5", kAll},
      {"extensions in a v1 certificate", [](TbsParts& p) { p.version.clear(); }, "tbsCertificate.extensions (not v3)", kAll},
      {"non-minimal serial", [](TbsParts& p) { p.serial = Tlv(der::kInteger, {{0x00, 0x01}}); }, "tbsCertificate.serialNumber: invalid value", kAll},
      {"empty serial", [](TbsParts& p) { p.serial = Tlv(der::kInteger, {}); }, "tbsCertificate.serialNumber: invalid value", kAll},
      {"serial with wrong tag", [](TbsParts& p) { p.serial = Tlv(der::kOctetString, {{0x01}}); }, "tbsCertificate.serialNumber: wrong tag at byte offset 8", kAll},
      {"signature not a SEQUENCE", [](TbsParts& p) { p.signature = Tlv(der::kSet, {}); }, "tbsCertificate.signature: wrong tag", kAll},
      {"issuer RDN not a SET", [](TbsParts& p) { p.issuer = Tlv(der::kSequence, {Tlv(der::kSequence, {})}); }, "tbsCertificate.issuer: wrong tag", kAll},
      {"empty RDN", [](TbsParts& p) { p.issuer = Tlv(der::kSequence, {Tlv(der::kSet, {})}); }, "tbsCertificate.issuer: invalid value", kAll},
      {"UTCTime with fractional seconds", [](TbsParts& p) { p.validity = Tlv(der::kSequence, {Tlv(der::kUtcTime, {Raw("2401010000.5Z")}), Tlv(der::kUtcTime, {Raw("250101000000Z")})}); }, "tbsCertificate.validity.notBefore: invalid value", kAll},
      {"notAfter not a time", [](TbsParts& p) { p.validity = Tlv(der::kSequence, {Tlv(der::kUtcTime, {Raw("240101000000Z")}), Tlv(der::kIa5String, {Raw("never")})}); }, "tbsCertificate.validity.notAfter: wrong tag", kAll},
      {"GeneralizedTime with offset", [](TbsParts& p) { p.validity = Tlv(der::kSequence, {Tlv(der::kUtcTime, {Raw("240101000000Z")}), Tlv(der::kGeneralizedTime, {Raw("20500101000000+0100")})}); }, "notAfter: invalid value", kAll},
      {"SPKI without the BIT STRING", [](TbsParts& p) { p.spki = Tlv(der::kSequence, {Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x2a}})})}); }, "subjectPublicKeyInfo.subjectPublicKey: truncated", kAll},
      {"empty Extensions", [](TbsParts& p) { p.extensions = Tlv(0xa3, {Tlv(der::kSequence, {})}); }, "tbsCertificate.extensions: invalid value", {}},
      {"duplicate SAN", [](TbsParts& p) { p.extensions = Tlv(0xa3, {Tlv(der::kSequence, {p.san, p.san})}); }, "subjectAltName (duplicate)", {"c.example", "*.d.example", "c.example", "*.d.example"}},
      {"poison not NULL", [](TbsParts& p) { p.poison = Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{kOidCtPoison.begin(), kOidCtPoison.end()}}), Tlv(der::kOctetString, {{0x04, 0x00}})}); p.extensions = Tlv(0xa3, {Tlv(der::kSequence, {p.san, p.poison})}); }, "ctPoison: invalid value", kAll},
      {"critical 0x01 is not DER", [](TbsParts& p) { p.poison = Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{kOidCtPoison.begin(), kOidCtPoison.end()}}), Tlv(der::kBoolean, {{0x01}}), Tlv(der::kOctetString, {{0x05, 0x00}})}); p.extensions = Tlv(0xa3, {Tlv(der::kSequence, {p.san, p.poison})}); }, "extensions.critical: invalid value", kAll},
      {"dNSName constructed", [](TbsParts& p) { p.extensions = Tlv(0xa3, {Tlv(der::kSequence, {Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x1d, 0x11}}), Tlv(der::kOctetString, {Tlv(der::kSequence, {Tlv(kGeneralNameDns, {Raw("c.example")}), Tlv(0xa2, {Raw("x")})})})})})}); }, "subjectAltName: wrong tag", {"c.example"}},
      {"iPAddress of 5 octets", [](TbsParts& p) { p.extensions = Tlv(0xa3, {Tlv(der::kSequence, {Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x1d, 0x11}}), Tlv(der::kOctetString, {Tlv(der::kSequence, {Tlv(kGeneralNameIp, {{1, 2, 3, 4, 5}}), Tlv(kGeneralNameDns, {Raw("c.example")})})})})})}); }, "subjectAltName: invalid value", {"c.example"}},
      {"SAN with junk after GeneralNames", [](TbsParts& p) { p.extensions = Tlv(0xa3, {Tlv(der::kSequence, {Tlv(der::kSequence, {Tlv(der::kObjectIdentifier, {{0x55, 0x1d, 0x11}}), Tlv(der::kOctetString, {Tlv(der::kSequence, {Tlv(kGeneralNameDns, {Raw("c.example")})}), {0x00}})})})}); }, "subjectAltName: trailing bytes", {"c.example"}},
      {"trailing element in the TBS", [](TbsParts& p) { p.trailer = Tlv(der::kNull, {}); }, "tbsCertificate: trailing bytes", kAll},
      {"extensions before the SPKI", [](TbsParts& p) { std::swap(p.spki, p.extensions); }, "tbsCertificate.subjectPublicKeyInfo: wrong tag", kAll},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.desc);
    TbsParts p;
    c.mutate(p);
    Der der = p.Build();
    Result<TbsView> tbs = ParseTbsCertificate(der);
    ASSERT_FALSE(tbs.ok());
    EXPECT_EQ(tbs.status().code(), Code::kMalformed);
    EXPECT_NE(tbs.status().message().find(c.want_error), std::string::npos) << tbs.status().message();
    EXPECT_EQ(Walk(der).dns, c.want_best_effort_dns);
  }
}

TEST(HandMadeTbs, NonMinimalLengthsFailStrictButWalkFindsNames) {
  Der der = TbsParts{}.Build();
  // Re-encode the outer SEQUENCE length (0x82 hi lo) with a redundant leading zero octet.
  ASSERT_EQ(der[1], 0x81);
  Der bad = Cat({{der::kSequence, 0x82, 0x00}, Der(der.begin() + 2, der.end())});
  Result<TbsView> tbs = ParseTbsCertificate(bad);
  ASSERT_FALSE(tbs.ok());
  EXPECT_EQ(tbs.status().message(), "tbsCertificate: non-minimal length at byte offset 0");
  EXPECT_EQ(Walk(bad).dns, (std::vector<std::string>{"c.example", "*.d.example"}));
  // Trailing junk after the TBS: strict refuses, the walk does not care.
  Der junk = Cat({der, {0x00, 0x00}});
  EXPECT_EQ(ParseTbsCertificate(junk).status().message(), "tbsCertificate (after): trailing bytes at byte offset " + std::to_string(der.size()));
  BestEffortWalk report;
  EXPECT_EQ(Walk(junk, &report).dns.size(), 2u);
}

class RealMalformed : public pinwatch::testing::TestdataTest {};

TEST_F(RealMalformed, EveryTruncationIsAnErrorAndTheWalkKeepsWhatItReached) {
  std::vector<uint8_t> der = PemCertificate(Path("certs/leaf/google.com-wildcard-44-sans.pem"));
  ASSERT_TRUE(ParseCertificate(der).ok());
  size_t max_names_seen = 0;
  for (size_t n = 0; n < der.size(); ++n) {
    Bytes cut = Bytes(der).first(n);
    Result<CertificateView> cert = ParseCertificate(cut);
    ASSERT_FALSE(cert.ok()) << n;
    ASSERT_EQ(cert.status().code(), Code::kMalformed) << n;
    BestEffortWalk report;
    WalkedNames walked = Walk(cut, &report);
    EXPECT_FALSE(report.complete && walked.dns.size() < 44) << n;
    EXPECT_LE(walked.dns.size(), 44u);
    max_names_seen = std::max(max_names_seen, walked.dns.size());
  }
  // Cut inside the signature, the TBS is whole: all 44 names are still found.
  EXPECT_EQ(max_names_seen, 44u);
  EXPECT_EQ(Walk(Bytes(der).first(der.size() - 10)).dns.size(), 44u);
}

TEST_F(RealMalformed, WrongOuterTagsAndTrailingBytes) {
  std::vector<uint8_t> der = PemCertificate(Path("certs/leaf/cryptography.io-precert.pem"));
  ASSERT_TRUE(ParseCertificate(der).ok());
  std::vector<uint8_t> bad = der;
  bad[0] = der::kSet;
  EXPECT_EQ(ParseCertificate(bad).status().message(), "certificate: wrong tag at byte offset 0");
  bad = der;
  bad[4] = der::kSet;  // the TBS SEQUENCE
  EXPECT_EQ(ParseCertificate(bad).status().message(), "tbsCertificate: wrong tag at byte offset 4");
  bad = der;
  bad.push_back(0);
  EXPECT_EQ(ParseCertificate(bad).status().message(),
            "certificate (after): trailing bytes at byte offset " + std::to_string(der.size()));
  EXPECT_EQ(Walk(bad).dns, (std::vector<std::string>{"cryptography.io"}));
  // A Certificate is not a TBS, and a TBS is not a Certificate.
  EXPECT_FALSE(ParseTbsCertificate(der).ok());
  Result<CertificateView> cert = ParseCertificate(der);
  EXPECT_FALSE(ParseCertificate(cert->tbs.tlv).ok());
}

}  // namespace
}  // namespace pinwatch::x509

namespace pinwatch::x509 {
namespace {

// The hand-made fuzz seeds are what their names say, so the fuzzer starts from valid inputs.
TEST(FuzzSeeds, ParseAsNamed) {
  const std::string dir = std::string(PINWATCH_SOURCE_DIR) + "/tests/fuzz/corpus/cert_view/";
  for (const char* name : {"precert.der", "final_cert_with_sct_list.der", "no_extensions.der"}) {
    std::vector<uint8_t> der = pinwatch::testing::ReadFileBytes(dir + name);
    EXPECT_TRUE(ParseCertificate(der).ok()) << name;
  }
  std::vector<uint8_t> tbs = pinwatch::testing::ReadFileBytes(dir + "precert_tbs.der");
  Result<TbsView> view = ParseTbsCertificate(tbs);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_TRUE(view->has_poison);
  EXPECT_EQ(view->san_ip_address_count, 1u);
  std::vector<uint8_t> bad = pinwatch::testing::ReadFileBytes(dir + "nonminimal_length.der");
  EXPECT_EQ(ParseTbsCertificate(bad).status().message(), "tbsCertificate: non-minimal length at byte offset 0");
}

}  // namespace
}  // namespace pinwatch::x509
