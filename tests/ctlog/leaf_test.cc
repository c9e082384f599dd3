#include "ctlog/leaf.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>
#include <vector>

#include "base/encoding.h"
#include "ctlog/merkle.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

std::string Sha256Hex(Bytes b) { return HexEncode(Sha256Of(b)); }

std::vector<uint8_t> Base64OrDie(const rapidjson::Value& v) {
  EXPECT_TRUE(v.IsString());
  if (!v.IsString()) return {};
  auto out = Base64Decode(v.GetString());
  EXPECT_TRUE(out.has_value()) << v.GetString();
  return out.value_or(std::vector<uint8_t>{});
}

bool IsMalformedWithOffset(const Status& s) {
  return s.code() == Code::kMalformed && s.message().find("byte offset") != std::string::npos;
}

// One real entry: leaf_input and extra_data, plus the facts expected.json lists for it.
struct RealEntry {
  std::string label;
  std::vector<uint8_t> leaf_input;
  std::vector<uint8_t> extra_data;
  const rapidjson::Value* want = nullptr;
};

// RealEntries loads every entry of ct/rfc6962/expected.json from its get-entries or
// get-entry-and-proof body, and the ctclient raw files as extra cases with the same facts.
class RealEntries : public testing::TestdataTest {
 protected:
  void SetUp() override {
    TestdataTest::SetUp();
    if (IsSkipped()) return;
    expected_text_ = testing::ReadFileText(Path("ct/rfc6962/expected.json"));
    ASSERT_FALSE(expected_.Parse(expected_text_.c_str()).HasParseError());
    for (const auto& want : expected_["entries"].GetArray()) {
      std::string file = want["file"].GetString();
      bodies_.push_back(testing::ReadFileText(Path("ct/rfc6962/" + file)));
      rapidjson::Document body;
      ASSERT_FALSE(body.Parse(bodies_.back().c_str()).HasParseError()) << file;
      const rapidjson::Value* item = &body;
      if (want.HasMember("index_in_file")) item = &body["entries"][want["index_in_file"].GetUint()];
      entries_.push_back({.label = want["label"].GetString(),
                          .leaf_input = Base64OrDie((*item)["leaf_input"]),
                          .extra_data = Base64OrDie((*item)["extra_data"]),
                          .want = &want});
      if (want.HasMember("raw_files")) {
        const auto& raw = want["raw_files"];
        entries_.push_back({.label = want["label"].GetString() + std::string(" (raw files)"),
                            .leaf_input = testing::ReadFileBytes(Path(std::string("ct/rfc6962/") + raw[0].GetString())),
                            .extra_data = testing::ReadFileBytes(Path(std::string("ct/rfc6962/") + raw[1].GetString())),
                            .want = &want});
      }
    }
  }
  std::string expected_text_;
  rapidjson::Document expected_;
  std::vector<std::string> bodies_;
  std::vector<RealEntry> entries_;
};

TEST_F(RealEntries, ParseMatchesExpectedFacts) {
  // Icarus, two ct-go test entries, two ctclient entries (JSON) and the same two as raw files.
  ASSERT_EQ(entries_.size(), 7u);
  int precerts = 0;
  for (const RealEntry& e : entries_) {
    SCOPED_TRACE(e.label);
    const rapidjson::Value& want = *e.want;
    ASSERT_EQ(e.leaf_input.size(), want["leaf_input_len"].GetUint64());
    ASSERT_EQ(e.extra_data.size(), want["extra_data_len"].GetUint64());
    Result<LeafView> leaf = ParseMerkleTreeLeaf(e.leaf_input);
    ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
    const TimestampedEntryView& te = leaf->timestamped_entry;
    EXPECT_EQ(te.timestamp_ms, want["timestamp"].GetUint64());
    EXPECT_EQ(static_cast<int>(te.entry_type), want["entry_type"].GetInt());
    EXPECT_EQ(te.extensions.size(), want["ct_extensions_len"].GetUint64());
    EXPECT_EQ(leaf->timestamped_entry_bytes.data(), e.leaf_input.data() + 2);
    EXPECT_EQ(leaf->timestamped_entry_bytes.size(), e.leaf_input.size() - 2);
    // The Merkle leaf hash, both from the whole leaf and from the TimestampedEntry alone.
    EXPECT_EQ(HexEncode(HashLeaf(e.leaf_input)), want["merkle_leaf_hash_hex"].GetString());
    EXPECT_EQ(HexEncode(ComputeLeafHash(leaf->timestamped_entry_bytes)), want["merkle_leaf_hash_hex"].GetString());

    Result<ExtraDataView> extra = ParseExtraData(te.entry_type, e.extra_data);
    ASSERT_TRUE(extra.ok()) << extra.status().ToString();
    ASSERT_EQ(extra->chain.size(), want["chain_len"].GetUint64());
    size_t i = 0;
    for (Bytes cert : extra->chain) {
      EXPECT_EQ(Sha256Hex(cert), want["chain_sha256_hex"][i].GetString()) << "chain " << i;
      ++i;
    }
    EXPECT_EQ(i, extra->chain.size());

    if (te.entry_type == LogEntryType::kX509Entry) {
      EXPECT_EQ(te.certificate.size(), want["cert_der_len"].GetUint64());
      EXPECT_EQ(Sha256Hex(te.certificate), want["cert_sha256_hex"].GetString());
      EXPECT_TRUE(te.tbs_certificate.empty());
      EXPECT_EQ(te.issuer_key_hash, Hash{});
      EXPECT_TRUE(extra->pre_certificate.empty());
    } else {
      ++precerts;
      EXPECT_TRUE(te.certificate.empty());
      EXPECT_EQ(te.tbs_certificate.size(), want["tbs_der_len"].GetUint64());
      EXPECT_EQ(Sha256Hex(te.tbs_certificate), want["tbs_sha256_hex"].GetString());
      EXPECT_EQ(HexEncode(te.issuer_key_hash), want["issuer_key_hash_hex"].GetString());
      EXPECT_EQ(extra->pre_certificate.size(), want["pre_certificate_der_len"].GetUint64());
      EXPECT_EQ(Sha256Hex(extra->pre_certificate), want["pre_certificate_sha256_hex"].GetString());
    }
  }
  EXPECT_EQ(precerts, 3);
}

TEST_F(RealEntries, EncodersRoundTripExactly) {
  for (const RealEntry& e : entries_) {
    SCOPED_TRACE(e.label);
    Result<LeafView> leaf = ParseMerkleTreeLeaf(e.leaf_input);
    ASSERT_TRUE(leaf.ok());
    std::vector<uint8_t> leaf_out = {0xaa};  // encoders append
    ASSERT_TRUE(EncodeMerkleTreeLeaf(leaf->timestamped_entry, leaf_out).ok());
    EXPECT_EQ(std::vector<uint8_t>(leaf_out.begin() + 1, leaf_out.end()), e.leaf_input);

    Result<ExtraDataView> extra = ParseExtraData(leaf->timestamped_entry.entry_type, e.extra_data);
    ASSERT_TRUE(extra.ok());
    std::vector<Bytes> chain(extra->chain.begin(), extra->chain.end());
    std::vector<uint8_t> extra_out;
    if (leaf->timestamped_entry.entry_type == LogEntryType::kX509Entry) {
      ASSERT_TRUE(EncodeX509ChainEntry(chain, extra_out).ok());
    } else {
      ASSERT_TRUE(EncodePrecertChainEntry(extra->pre_certificate, chain, extra_out).ok());
    }
    EXPECT_EQ(extra_out, e.extra_data);
  }
}

TEST_F(RealEntries, EveryTruncationIsMalformedWithAnOffset) {
  for (const RealEntry& e : entries_) {
    SCOPED_TRACE(e.label);
    for (size_t n = 0; n < e.leaf_input.size(); ++n) {
      Result<LeafView> leaf = ParseMerkleTreeLeaf(Bytes(e.leaf_input).first(n));
      ASSERT_FALSE(leaf.ok()) << "leaf prefix of " << n << " bytes";
      ASSERT_TRUE(IsMalformedWithOffset(leaf.status())) << n << ": " << leaf.status().ToString();
    }
    LogEntryType type = ParseMerkleTreeLeaf(e.leaf_input)->timestamped_entry.entry_type;
    for (size_t n = 0; n < e.extra_data.size(); ++n) {
      Result<ExtraDataView> extra = ParseExtraData(type, Bytes(e.extra_data).first(n));
      ASSERT_FALSE(extra.ok()) << "extra_data prefix of " << n << " bytes";
      ASSERT_TRUE(IsMalformedWithOffset(extra.status())) << n << ": " << extra.status().ToString();
    }
  }
}

TEST_F(RealEntries, TrailingBytesAndWrongKindAreMalformed) {
  for (const RealEntry& e : entries_) {
    SCOPED_TRACE(e.label);
    std::vector<uint8_t> leaf = e.leaf_input;
    leaf.push_back(0);
    Result<LeafView> parsed = ParseMerkleTreeLeaf(leaf);
    ASSERT_FALSE(parsed.ok());
    EXPECT_TRUE(IsMalformedWithOffset(parsed.status()));
    EXPECT_NE(parsed.status().message().find("trailing"), std::string::npos);
    EXPECT_NE(parsed.status().message().find(std::to_string(e.leaf_input.size())), std::string::npos)
        << parsed.status().message();

    LogEntryType type = ParseMerkleTreeLeaf(e.leaf_input)->timestamped_entry.entry_type;
    std::vector<uint8_t> extra = e.extra_data;
    extra.push_back(0);
    EXPECT_TRUE(IsMalformedWithOffset(ParseExtraData(type, extra).status()));
    // The other kind of extra_data does not fit these bytes.
    LogEntryType other = type == LogEntryType::kX509Entry ? LogEntryType::kPrecertEntry : LogEntryType::kX509Entry;
    EXPECT_EQ(ParseExtraData(other, e.extra_data).status().code(), Code::kMalformed);
  }
}

// A small hand-made x509 leaf: timestamp 0x0102030405060708, a 3-byte "certificate".
std::vector<uint8_t> SmallX509Leaf() {
  return {0x00, 0x00,                                            // version v1, leaf_type
          0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,        // timestamp
          0x00, 0x00,                                            // entry_type x509_entry
          0x00, 0x00, 0x03, 0x30, 0x01, 0x00,                    // ASN.1Cert<1..2^24-1>
          0x00, 0x00};                                           // extensions
}

TEST(ParseMerkleTreeLeaf, SmallX509Leaf) {
  std::vector<uint8_t> in = SmallX509Leaf();
  Result<LeafView> leaf = ParseMerkleTreeLeaf(in);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(leaf->timestamped_entry.timestamp_ms, 0x0102030405060708u);
  EXPECT_EQ(leaf->timestamped_entry.entry_type, LogEntryType::kX509Entry);
  EXPECT_EQ(leaf->timestamped_entry.certificate.data(), in.data() + 15);  // aliases the input
  EXPECT_EQ(leaf->timestamped_entry.certificate.size(), 3u);
  EXPECT_TRUE(leaf->timestamped_entry.extensions.empty());
}

struct MalformedCase {
  const char* desc;
  size_t offset;       // byte to overwrite in SmallX509Leaf()
  uint8_t value;
  const char* want_in_message;
};

TEST(ParseMerkleTreeLeaf, MalformedFields) {
  const MalformedCase cases[] = {
      {"version v2", 0, 0x01, "MerkleTreeLeaf.version 1"},
      {"leaf_type 1", 1, 0x01, "MerkleTreeLeaf.leaf_type 1"},
      {"entry_type 2", 11, 0x02, "entry_type 2"},
      {"entry_type 256", 10, 0x01, "entry_type 256"},
      {"certificate length 6 > 5 bytes left", 14, 0x06, "signed_entry"},
      {"certificate length 4 leaves 1 byte for extensions", 14, 0x04, "extensions"},
      {"certificate length 2^24-1", 12, 0xff, "signed_entry"},
      {"empty certificate", 14, 0x00, "empty ASN.1Cert"},
      {"extensions length 1 with nothing left", 19, 0x01, "extensions"},
      {"extensions length 0xff00", 18, 0xff, "extensions"},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.desc);
    std::vector<uint8_t> in = SmallX509Leaf();
    in[c.offset] = c.value;
    Result<LeafView> leaf = ParseMerkleTreeLeaf(in);
    ASSERT_FALSE(leaf.ok());
    EXPECT_TRUE(IsMalformedWithOffset(leaf.status())) << leaf.status().ToString();
    EXPECT_NE(leaf.status().message().find(c.want_in_message), std::string::npos) << leaf.status().ToString();
  }
}

TEST(ParseMerkleTreeLeaf, ZeroLengthCertificateIsMalformed) {
  // An x509 cert of length 0 followed by what would be valid empty extensions: rejected for
  // the <1..2^24-1> bound, not accepted as an empty certificate.
  std::vector<uint8_t> in = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(ParseMerkleTreeLeaf(in).status().code(), Code::kMalformed);
}

TEST(ParseMerkleTreeLeaf, PrecertWithExtensions) {
  TimestampedEntryView te{.timestamp_ms = 1746292399101, .entry_type = LogEntryType::kPrecertEntry};
  te.issuer_key_hash.fill(0x5a);
  const uint8_t tbs[] = {0x30, 0x03, 0x02, 0x01, 0x07};
  const uint8_t ext[] = {0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x01, 0x02};
  te.tbs_certificate = tbs;
  te.extensions = ext;
  std::vector<uint8_t> out;
  ASSERT_TRUE(EncodeMerkleTreeLeaf(te, out).ok());
  ASSERT_EQ(out.size(), 2 + 8 + 2 + 32 + 3 + sizeof(tbs) + 2 + sizeof(ext));
  Result<LeafView> leaf = ParseMerkleTreeLeaf(out);
  ASSERT_TRUE(leaf.ok()) << leaf.status().ToString();
  EXPECT_EQ(leaf->timestamped_entry.issuer_key_hash, te.issuer_key_hash);
  EXPECT_TRUE(std::equal(leaf->timestamped_entry.tbs_certificate.begin(), leaf->timestamped_entry.tbs_certificate.end(),
                         std::begin(tbs), std::end(tbs)));
  EXPECT_EQ(leaf->timestamped_entry.extensions.size(), sizeof(ext));
  EXPECT_EQ(HashLeaf(out), ComputeLeafHash(leaf->timestamped_entry_bytes));
  // Truncating inside issuer_key_hash names it.
  Result<LeafView> cut = ParseMerkleTreeLeaf(Bytes(out).first(20));
  EXPECT_NE(cut.status().message().find("issuer_key_hash"), std::string::npos) << cut.status().ToString();
}

TEST(EncodeMerkleTreeLeaf, RejectsOutOfBoundsFieldsAndLeavesOutputUnchanged) {
  const uint8_t cert[] = {0x30, 0x00};
  std::vector<uint8_t> big_ext(kMaxCtExtensionsBytes + 1);
  struct Case {
    const char* desc;
    TimestampedEntryView entry;
  } cases[] = {
      {"empty x509 certificate", {.entry_type = LogEntryType::kX509Entry}},
      {"empty tbs_certificate", {.entry_type = LogEntryType::kPrecertEntry, .certificate = cert}},
      {"unknown entry_type", {.entry_type = static_cast<LogEntryType>(7), .certificate = cert}},
      {"extensions over 2^16-1", {.entry_type = LogEntryType::kX509Entry, .certificate = cert, .extensions = big_ext}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    std::vector<uint8_t> out = {1, 2, 3};
    EXPECT_EQ(EncodeMerkleTreeLeaf(c.entry, out).code(), Code::kMalformed);
    EXPECT_EQ(out, (std::vector<uint8_t>{1, 2, 3}));
  }
}

TEST(ParseExtraData, EmptyChainsAndMalformedItems) {
  // x509: an empty certificate_chain<0..2^24-1>.
  const uint8_t empty_chain[] = {0, 0, 0};
  Result<ExtraDataView> x = ParseExtraData(LogEntryType::kX509Entry, empty_chain);
  ASSERT_TRUE(x.ok());
  EXPECT_TRUE(x->chain.empty());
  EXPECT_EQ(x->chain.begin(), x->chain.end());
  // precert: pre_certificate of 1 byte, empty chain.
  const uint8_t precert_only[] = {0, 0, 1, 0x30, 0, 0, 0};
  Result<ExtraDataView> p = ParseExtraData(LogEntryType::kPrecertEntry, precert_only);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->pre_certificate.size(), 1u);
  EXPECT_EQ(p->chain.size(), 0u);
  // A chain whose one item is empty (length 0) is malformed at that item's offset (3).
  const uint8_t empty_item[] = {0, 0, 3, 0, 0, 0};
  Result<ExtraDataView> bad = ParseExtraData(LogEntryType::kX509Entry, empty_item);
  EXPECT_TRUE(IsMalformedWithOffset(bad.status()));
  EXPECT_NE(bad.status().message().find("byte offset 3"), std::string::npos) << bad.status().ToString();
  // An item that overruns its chain (but not the whole input) is malformed.
  const uint8_t overrun[] = {0, 0, 4, 0, 0, 2, 0x30, 0xaa};
  EXPECT_EQ(ParseExtraData(LogEntryType::kX509Entry, overrun).status().code(), Code::kMalformed);
  // A chain length prefix longer than the input.
  const uint8_t long_prefix[] = {0xff, 0xff, 0xff, 0, 0, 1, 0x30};
  EXPECT_TRUE(IsMalformedWithOffset(ParseExtraData(LogEntryType::kX509Entry, long_prefix).status()));
}

TEST(EncodeExtraData, ChainOfManyCertificatesRoundTrips) {
  // More certificates than any real chain, to show there is no small count limit.
  std::vector<std::vector<uint8_t>> certs;
  for (int i = 0; i < 100; ++i) certs.push_back({0x30, static_cast<uint8_t>(i)});
  std::vector<Bytes> chain(certs.begin(), certs.end());
  std::vector<uint8_t> out;
  ASSERT_TRUE(EncodeX509ChainEntry(chain, out).ok());
  Result<ExtraDataView> parsed = ParseExtraData(LogEntryType::kX509Entry, out);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->chain.size(), 100u);
  int i = 0;
  for (Bytes cert : parsed->chain) {
    ASSERT_EQ(cert.size(), 2u);
    EXPECT_EQ(cert[1], i++);
  }
  // Encoders refuse an empty certificate and leave the buffer alone.
  std::vector<uint8_t> out2 = {9};
  std::vector<Bytes> with_empty = {chain[0], Bytes()};
  EXPECT_EQ(EncodeX509ChainEntry(with_empty, out2).code(), Code::kMalformed);
  EXPECT_EQ(EncodePrecertChainEntry(Bytes(), chain, out2).code(), Code::kMalformed);
  EXPECT_EQ(out2, std::vector<uint8_t>{9});
}

}  // namespace
}  // namespace pinwatch::ctlog
