// ComputeEntryIdentity over real CT log entries: the seam between ctlog's entries and
// x509's bytes-in identity (tests/x509/identity_test.cc tests the facts themselves).
#include "monitor/entry_identity.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "monitor/entry_findings.h"
#include "ctlog/leaf.h"
#include "tests/support/testdata.h"

namespace pinwatch::monitor {
namespace {

using x509::CertIdentity;
using x509::ChainLinkStatus;
using x509::KeyType;
using x509::ParseCertificateIdentity;

std::vector<uint8_t> Base64OrDie(const rapidjson::Value& v) {
  std::optional<std::vector<uint8_t>> bytes = Base64Decode(std::string_view(v.GetString(), v.GetStringLength()));
  EXPECT_TRUE(bytes.has_value());
  return bytes.value_or(std::vector<uint8_t>{});
}

// RealEntriesTest reads every entry of ct/rfc6962/expected.json (see tests/ctlog/leaf_test.cc)
// and turns it into a ctlog::LogEntry whose spans alias this fixture's buffers.
class RealEntriesTest : public testing::TestdataTest {
 protected:
  struct Entry {
    std::string label;
    std::vector<uint8_t> leaf_input, extra_data;
    ctlog::LogEntry log_entry;
    const rapidjson::Value* want = nullptr;
  };
  void SetUp() override {
    TestdataTest::SetUp();
    if (IsSkipped()) return;
    expected_text_ = testing::ReadFileText(Path("ct/rfc6962/expected.json"));
    ASSERT_FALSE(expected_.Parse(expected_text_.c_str()).HasParseError());
    entries_.reserve(expected_["entries"].Size());
    for (const auto& want : expected_["entries"].GetArray()) {
      rapidjson::Document body;
      const std::string text = testing::ReadFileText(Path(std::string("ct/rfc6962/") + want["file"].GetString()));
      ASSERT_FALSE(body.Parse(text.c_str()).HasParseError());
      const rapidjson::Value* item = &body;
      if (want.HasMember("index_in_file")) item = &body["entries"][want["index_in_file"].GetUint()];
      Entry& e = entries_.emplace_back();
      e.label = want["label"].GetString();
      e.leaf_input = Base64OrDie((*item)["leaf_input"]);
      e.extra_data = Base64OrDie((*item)["extra_data"]);
      e.want = &want;
      Result<ctlog::LeafView> leaf = ctlog::ParseMerkleTreeLeaf(e.leaf_input);
      ASSERT_TRUE(leaf.ok()) << e.label;
      Result<ctlog::ExtraDataView> extra = ctlog::ParseExtraData(leaf->timestamped_entry.entry_type, e.extra_data);
      ASSERT_TRUE(extra.ok()) << e.label;
      e.log_entry.timestamped_entry = leaf->timestamped_entry;
      e.log_entry.pre_certificate = extra->pre_certificate;
      e.log_entry.chain = extra->chain;
    }
  }
  std::string expected_text_;
  rapidjson::Document expected_;
  std::vector<Entry> entries_;  // reserved up front: log_entry spans alias the vectors
};

// TEST: every real log entry (x509 and precert, RFC 6962 chains) gives the subject, issuer,
// serial and chain the collector recorded; a precert entry's identity equals that of its
// pre_certificate, and its issuer_key_hash equals chain[0]'s SPKI hash.
TEST_F(RealEntriesTest, EveryEntry) {
  ASSERT_EQ(entries_.size(), 5u);
  int precerts = 0;
  for (const Entry& e : entries_) {
    SCOPED_TRACE(e.label);
    const rapidjson::Value& want = *e.want;
    Result<CertIdentity> id = ComputeEntryIdentity(e.log_entry);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    ASSERT_EQ(id->chain.size(), want["chain_len"].GetUint64());
    for (size_t i = 0; i < id->chain.size(); ++i) {
      EXPECT_EQ(HexEncode(id->chain[i].certificate_sha256), want["chain_sha256_hex"][i].GetString());
      EXPECT_EQ(id->chain[i].status, ChainLinkStatus::kResolved);
      EXPECT_TRUE(id->chain[i].spki_sha256.has_value());
    }
    ASSERT_TRUE(id->issuer_spki_sha256.has_value());
    if (e.log_entry.timestamped_entry.entry_type == ctlog::LogEntryType::kX509Entry) {
      EXPECT_EQ(id->subject_rfc2253, want["cert_subject"].GetString());
      EXPECT_EQ(id->issuer_rfc2253, want["cert_issuer"].GetString());
      EXPECT_EQ(id->serial_hex, want["cert_serial_hex"].GetString());
      EXPECT_EQ(HexEncode(*id->certificate_sha256), want["cert_sha256_hex"].GetString());
      EXPECT_EQ(id->issuer_spki_sha256, id->chain[0].spki_sha256);
    } else {
      ++precerts;
      EXPECT_EQ(id->form, x509::CertificateForm::kPrecertificateTbs);
      EXPECT_TRUE(id->precertificate);
      EXPECT_EQ(id->subject_rfc2253, want["pre_certificate_subject"].GetString());
      EXPECT_EQ(id->issuer_rfc2253, want["pre_certificate_issuer"].GetString());
      EXPECT_EQ(id->serial_hex, want["pre_certificate_serial_hex"].GetString());
      EXPECT_EQ(HexEncode(*id->issuer_spki_sha256), want["issuer_key_hash_hex"].GetString());
      EXPECT_EQ(HexEncode(*id->certificate_sha256), want["pre_certificate_sha256_hex"].GetString());
      ASSERT_TRUE(want["issuer_key_hash_equals_sha256_of_chain0_spki"].GetBool());
      EXPECT_EQ(id->issuer_spki_sha256, id->chain[0].spki_sha256);
      // The logged TBS and the submitted precertificate have one identity.
      ASSERT_TRUE(want["leaf_tbs_equals_precert_tbs_minus_poison"].GetBool());
      Result<CertIdentity> pre = ParseCertificateIdentity(e.log_entry.pre_certificate);
      ASSERT_TRUE(pre.ok()) << pre.status().ToString();
      EXPECT_TRUE(pre->precertificate);
      EXPECT_EQ(id->tbs_identity_hash, pre->tbs_identity_hash);
      EXPECT_EQ(id->dns_names, pre->dns_names);
      EXPECT_EQ(id->spki_sha256, pre->spki_sha256);
      EXPECT_EQ(id->not_before_unix_s, pre->not_before_unix_s);
    }
  }
  EXPECT_EQ(precerts, 2);
}

// TEST: the ctclient Let's Encrypt precert entry (itech.social) against the facts of its
// pre_certificate in certs/expected.json.
TEST_F(RealEntriesTest, LetsEncryptPrecertEntry) {
  const Entry* le = nullptr;
  for (const Entry& e : entries_) {
    if (e.log_entry.timestamped_entry.entry_type == ctlog::LogEntryType::kPrecertEntry &&
        e.label.find("ctclient") != std::string::npos) {
      le = &e;
    }
  }
  ASSERT_NE(le, nullptr);
  Result<CertIdentity> id = ComputeEntryIdentity(le->log_entry);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(id->dns_names, std::vector<std::string>{"itech.social"});
  EXPECT_EQ(id->serial_hex, "031C19D9893CE9E71CB24D1F19A7830FC755");
  EXPECT_EQ(id->key_type, KeyType::kRsa);
  EXPECT_EQ(id->key_bits, 2048);
  EXPECT_EQ(id->issuer_rfc2253, "CN=Let's Encrypt Authority X3,O=Let's Encrypt,C=US");
}

// TEST: the identity stage on entries as the RFC 6962 source delivers them (extra_data still
// base64): each becomes one finding per concerned watch entry, and the stored row keeps the
// best DER the log served, so a precert entry stores its precertificate, not the bare TBS.
TEST_F(RealEntriesTest, FindingsOfStoresThePrecertificateFromExtraData) {
  const std::vector<WatchRule> rules = {{.name = "first"}, {.name = "second"}};
  int precerts = 0;
  for (const Entry& e : entries_) {
    SCOPED_TRACE(e.label);
    const std::string extra_b64 = Base64Encode(e.extra_data);
    ctlog::LogEntry delivered;
    delivered.index = 7;
    delivered.timestamped_entry = e.log_entry.timestamped_entry;
    delivered.extra_data_b64 = extra_b64;
    watch::EntryMatch match;
    match.entries = {0, 1};

    const db::MatchedEntry m = FindingsOf(delivered, match, rules, nullptr);
    ASSERT_TRUE(m.certificate.parsed) << m.certificate.parse_error;
    ASSERT_EQ(m.findings.size(), 2u);
    EXPECT_EQ(m.findings[0].watched, "first");
    EXPECT_EQ(m.findings[1].watched, "second");
    EXPECT_EQ(m.findings[0].reason.find("chain not read"), std::string::npos) << m.findings[0].reason;
    EXPECT_TRUE(m.certificate.issuer_spki_sha256.has_value());
    if (delivered.timestamped_entry.entry_type == ctlog::LogEntryType::kPrecertEntry) {
      ++precerts;
      EXPECT_EQ(m.certificate.der_kind, "precertificate");
      EXPECT_TRUE(std::ranges::equal(m.certificate.der, e.log_entry.pre_certificate));
    } else {
      EXPECT_EQ(m.certificate.der_kind, "certificate");
      EXPECT_TRUE(std::ranges::equal(m.certificate.der, delivered.timestamped_entry.certificate));
    }
  }
  EXPECT_EQ(precerts, 2);
}

}  // namespace
}  // namespace pinwatch::monitor
