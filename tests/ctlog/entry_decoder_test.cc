// EntryDecoder and WithExtraData on get-entries batches built here: what a log served,
// decoded once, hashed over the exact bytes, and never skipped when it does not parse.
#include "ctlog/entry_decoder.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/encoding.h"
#include "base/sha256.h"
#include "ctlog/merkle.h"

namespace pinwatch::ctlog {
namespace {

using Buf = std::vector<uint8_t>;

const Buf kCert = {0x30, 0x03, 0x02, 0x01, 0x01};  // bytes standing for a certificate
const Buf kTbs = {0x30, 0x03, 0x02, 0x01, 0x02};
const Buf kIssuerCert = {0x30, 0x03, 0x02, 0x01, 0x03};

Buf X509Leaf(uint64_t timestamp_ms) {
  TimestampedEntryView e;
  e.timestamp_ms = timestamp_ms;
  e.entry_type = LogEntryType::kX509Entry;
  e.certificate = kCert;
  Buf out;
  EXPECT_TRUE(EncodeMerkleTreeLeaf(e, out).ok());
  return out;
}

Buf PrecertLeaf(uint64_t timestamp_ms) {
  TimestampedEntryView e;
  e.timestamp_ms = timestamp_ms;
  e.entry_type = LogEntryType::kPrecertEntry;
  e.issuer_key_hash.fill(0xab);
  e.tbs_certificate = kTbs;
  Buf out;
  EXPECT_TRUE(EncodeMerkleTreeLeaf(e, out).ok());
  return out;
}

// Batch keeps the base64 strings that RawEntry views alias.
struct Batch {
  std::vector<std::string> leaf_b64, extra_b64;
  std::vector<RawEntry> raw;

  void Add(const Buf& leaf, const Buf& extra) { Add(Base64Encode(leaf), Base64Encode(extra)); }
  void Add(std::string leaf, std::string extra) {
    leaf_b64.push_back(std::move(leaf));
    extra_b64.push_back(std::move(extra));
  }
  std::span<const RawEntry> Raw() {
    raw.clear();
    for (size_t i = 0; i < leaf_b64.size(); ++i) raw.push_back({leaf_b64[i], extra_b64[i]});
    return raw;
  }
};

Buf X509Extra() {
  Buf out;
  const Bytes chain[] = {kIssuerCert};
  EXPECT_TRUE(EncodeX509ChainEntry(chain, out).ok());
  return out;
}

Buf PrecertExtra() {
  Buf out;
  const Bytes chain[] = {kIssuerCert};
  EXPECT_TRUE(EncodePrecertChainEntry(kCert, chain, out).ok());
  return out;
}

// RfcLeafHash is RFC 6962 §2.1's leaf hash written out here, not the code under test:
// SHA-256(0x00 || leaf_input).
Hash RfcLeafHash(const Buf& leaf_input) {
  Sha256 h;
  h.Update(uint8_t{0x00});
  h.Update(Bytes(leaf_input));
  return h.Final();
}

TEST(EntryDecoder, LeafHashIsSha256OfZeroThenTheLeafInput) {
  Buf truncated = PrecertLeaf(9);
  truncated.resize(10);
  Batch b;
  b.Add(X509Leaf(8), X509Extra());
  b.Add(truncated, PrecertExtra());
  EntryDecoder decoder;
  auto entries = decoder.Decode(0, b.Raw());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].leaf_hash, RfcLeafHash(X509Leaf(8)));
  EXPECT_EQ((*entries)[1].leaf_hash, RfcLeafHash(truncated));  // the bytes, parsed or not
  EXPECT_NE((*entries)[0].leaf_hash, (*entries)[1].leaf_hash);
}

TEST(EntryDecoder, DecodesBothEntryTypesWithIndicesAndLeafHashes) {
  Batch b;
  const Buf x509 = X509Leaf(1000), precert = PrecertLeaf(2000);
  b.Add(x509, X509Extra());
  b.Add(precert, PrecertExtra());
  EntryDecoder decoder;
  auto entries = decoder.Decode(41, b.Raw());
  ASSERT_TRUE(entries.ok()) << entries.status().ToString();
  ASSERT_EQ(entries->size(), 2u);

  const LogEntry& a = (*entries)[0];
  EXPECT_TRUE(a.status.ok());
  EXPECT_EQ(a.index, 41u);
  EXPECT_EQ(a.leaf_hash, HashLeaf(x509));
  EXPECT_EQ(a.timestamped_entry.entry_type, LogEntryType::kX509Entry);
  EXPECT_EQ(a.timestamped_entry.timestamp_ms, 1000u);
  EXPECT_EQ(Buf(a.timestamped_entry.certificate.begin(), a.timestamped_entry.certificate.end()), kCert);
  EXPECT_TRUE(a.chain.empty());  // extra_data stays base64 until a match needs it
  EXPECT_EQ(a.extra_data_b64, b.extra_b64[0]);

  const LogEntry& p = (*entries)[1];
  EXPECT_EQ(p.index, 42u);
  EXPECT_EQ(p.leaf_hash, HashLeaf(precert));
  EXPECT_EQ(p.timestamped_entry.entry_type, LogEntryType::kPrecertEntry);
  EXPECT_EQ(p.timestamped_entry.issuer_key_hash[0], 0xab);
  EXPECT_EQ(Buf(p.timestamped_entry.tbs_certificate.begin(), p.timestamped_entry.tbs_certificate.end()), kTbs);
}

TEST(EntryDecoder, ReusedAcrossBatchesGivesFreshViews) {
  EntryDecoder decoder;
  Batch first, second;
  first.Add(X509Leaf(1), X509Extra());
  for (int i = 0; i < 50; ++i) second.Add(PrecertLeaf(100 + i), PrecertExtra());  // the buffer grows
  ASSERT_TRUE(decoder.Decode(0, first.Raw()).ok());
  auto entries = decoder.Decode(1, second.Raw());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 50u);
  for (size_t i = 0; i < 50; ++i) {
    EXPECT_EQ((*entries)[i].index, 1 + i);
    EXPECT_EQ((*entries)[i].timestamped_entry.timestamp_ms, 100 + i);
    EXPECT_EQ((*entries)[i].leaf_hash, HashLeaf(PrecertLeaf(100 + i)));
  }
}

// A leaf that does not parse is still an entry: counted, hashed over the bytes the log
// committed to, with a kMalformed status naming the field; its neighbours are unaffected.
TEST(EntryDecoder, UnparseableLeavesAreKeptWithTheirReason) {
  Buf truncated = X509Leaf(5);
  truncated.resize(truncated.size() - 2);
  Buf trailing = X509Leaf(6);
  trailing.push_back(0);
  Buf bad_version = X509Leaf(7);
  bad_version[0] = 9;
  Batch b;
  b.Add(X509Leaf(4), X509Extra());
  b.Add(truncated, X509Extra());
  b.Add(trailing, X509Extra());
  b.Add(bad_version, X509Extra());
  EntryDecoder decoder;
  auto entries = decoder.Decode(0, b.Raw());
  ASSERT_TRUE(entries.ok());
  ASSERT_EQ(entries->size(), 4u);
  EXPECT_TRUE((*entries)[0].status.ok());
  const Buf* leaves[] = {&truncated, &trailing, &bad_version};
  for (size_t i = 1; i < 4; ++i) {
    SCOPED_TRACE(i);
    const LogEntry& e = (*entries)[i];
    EXPECT_EQ(e.status.code(), Code::kMalformed);
    EXPECT_TRUE(e.status.message().starts_with("leaf_input: ")) << e.status.message();
    EXPECT_EQ(e.leaf_hash, HashLeaf(*leaves[i - 1]));
    EXPECT_EQ(e.index, i);
  }
  EXPECT_NE((*entries)[1].status.message().find("truncated"), std::string::npos) << (*entries)[1].status.message();
}

// Bytes that are not base64 cannot be hashed as the log committed them: that is the log's
// misbehaviour, said with the entry's index, not an entry quietly dropped.
TEST(EntryDecoder, LeafInputThatIsNotBase64IsMisbehaviour) {
  Batch b;
  b.Add(Base64Encode(X509Leaf(1)), Base64Encode(X509Extra()));
  b.Add("not base64!", "");
  EntryDecoder decoder;
  auto entries = decoder.Decode(10, b.Raw());
  ASSERT_FALSE(entries.ok());
  EXPECT_EQ(entries.status().code(), Code::kMisbehaviour);
  EXPECT_EQ(entries.status().message(), "entry 11: leaf_input is not valid base64");
}

TEST(WithExtraData, DecodesTheChainAndThePrecertificate) {
  Batch b;
  b.Add(X509Leaf(1), X509Extra());
  b.Add(PrecertLeaf(2), PrecertExtra());
  EntryDecoder decoder;
  auto entries = decoder.Decode(0, b.Raw());
  ASSERT_TRUE(entries.ok());
  std::vector<uint8_t> scratch;

  auto x509 = WithExtraData((*entries)[0], scratch);
  ASSERT_TRUE(x509.ok()) << x509.status().ToString();
  EXPECT_TRUE(x509->extra_data_b64.empty());
  ASSERT_EQ(x509->chain.size(), 1u);
  EXPECT_EQ(Buf((*x509->chain.begin()).begin(), (*x509->chain.begin()).end()), kIssuerCert);
  EXPECT_TRUE(x509->pre_certificate.empty());

  std::vector<uint8_t> scratch2;
  auto precert = WithExtraData((*entries)[1], scratch2);
  ASSERT_TRUE(precert.ok()) << precert.status().ToString();
  EXPECT_EQ(Buf(precert->pre_certificate.begin(), precert->pre_certificate.end()), kCert);
  ASSERT_EQ(precert->chain.size(), 1u);

  // Already resolved (or static-ct-api): unchanged.
  auto again = WithExtraData(*precert, scratch);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->pre_certificate.data(), precert->pre_certificate.data());
}

TEST(WithExtraData, BadExtraDataNamesTheEntryAndTheField) {
  Buf short_chain = X509Extra();
  short_chain.pop_back();
  Buf precert_as_x509 = PrecertExtra();
  Batch b;
  b.Add(Base64Encode(X509Leaf(1)), "%%%");
  b.Add(X509Leaf(2), short_chain);
  b.Add(X509Leaf(3), precert_as_x509);  // a PrecertChainEntry where a chain belongs
  EntryDecoder decoder;
  auto entries = decoder.Decode(20, b.Raw());
  ASSERT_TRUE(entries.ok());
  std::vector<uint8_t> scratch;

  auto not_base64 = WithExtraData((*entries)[0], scratch);
  EXPECT_EQ(not_base64.status().code(), Code::kMalformed);
  EXPECT_EQ(not_base64.status().message(), "entry 20: extra_data is not valid base64");
  for (size_t i = 1; i < 3; ++i) {
    SCOPED_TRACE(i);
    auto bad = WithExtraData((*entries)[i], scratch);
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.status().code(), Code::kMalformed);
    EXPECT_TRUE(bad.status().message().starts_with("entry " + std::to_string(20 + i) + ": extra_data: "))
        << bad.status().message();
  }
}

}  // namespace
}  // namespace pinwatch::ctlog
