#include "ctlog/tile.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <algorithm>
#include <iterator>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "ctlog/merkle.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

std::string Sha256Hex(Bytes b) { return HexEncode(Sha256Of(b)); }

bool IsMalformedWithOffset(const Status& s) {
  return s.code() == Code::kMalformed && s.message().find("byte offset") != std::string::npos;
}

// ---- Paths and coverage (C2SP tlog-tiles / static-ct-api "Merkle Tree", "Log entries") ----

TEST(TilePath, SplitsIndexIntoThreeDigitGroups) {
  EXPECT_EQ(TilePath(0, 0, 256), "tile/0/000");
  EXPECT_EQ(TilePath(0, 3, 10), "tile/0/003.p/10");
  EXPECT_EQ(TilePath(0, 999, 256), "tile/0/999");
  EXPECT_EQ(TilePath(1, 1000, 256), "tile/1/x001/000");
  EXPECT_EQ(TilePath(2, 1234067, 256), "tile/2/x001/x234/067");  // the spec's example
  EXPECT_EQ(TilePath(5, 1234067, 1), "tile/5/x001/x234/067.p/1");
  EXPECT_EQ(TilePath(0, 18446744073709551615u, 255), "tile/0/x018/x446/x744/x073/x709/x551/615.p/255");
  EXPECT_EQ(DataTilePath(0, 256), "tile/data/000");
  EXPECT_EQ(DataTilePath(3, 10), "tile/data/003.p/10");
  EXPECT_EQ(DataTilePath(1234067, 112), "tile/data/x001/x234/067.p/112");
}

TEST(IssuerPath, LowercaseHexOfFingerprint) {
  Hash h{};
  h[0] = 0xA0;
  h[31] = 0x0f;
  EXPECT_EQ(IssuerPath(h), "issuer/a0" + std::string(60, '0') + "0f");
}

TEST(CoverTreeSize, SpecExamples) {
  // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0
  // tile of width 112, one full level 1 tile, one partial level 1 tile of width 17, and one
  // partial level 2 tile of width 1."
  EXPECT_EQ(CoverTreeSize(70000, 0), (TileCoverage{.full_tiles = 273, .partial_width = 112}));
  EXPECT_EQ(CoverTreeSize(70000, 1), (TileCoverage{.full_tiles = 1, .partial_width = 17}));
  EXPECT_EQ(CoverTreeSize(70000, 2), (TileCoverage{.full_tiles = 0, .partial_width = 1}));
  EXPECT_EQ(CoverTreeSize(70000, 3), (TileCoverage{.full_tiles = 0, .partial_width = 0}));
  // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1."
  EXPECT_EQ(CoverTreeSize(256, 0), (TileCoverage{.full_tiles = 1, .partial_width = 0}));
  EXPECT_EQ(CoverTreeSize(256, 1), (TileCoverage{.full_tiles = 0, .partial_width = 1}));
  EXPECT_EQ(CoverTreeSize(0, 0), (TileCoverage{.full_tiles = 0, .partial_width = 0}));
  EXPECT_EQ(CoverTreeSize(1034, 0), (TileCoverage{.full_tiles = 4, .partial_width = 10}));  // Navigli
  EXPECT_EQ(CoverTreeSize(~uint64_t{0}, 8), (TileCoverage{.full_tiles = 0, .partial_width = 0}));
  EXPECT_EQ(CoverTreeSize(~uint64_t{0}, 7), (TileCoverage{.full_tiles = 0, .partial_width = 255}));
}

TEST(TileWidth, FullPartialAndAbsent) {
  EXPECT_EQ(TileWidth(1034, 0, 0), 256);
  EXPECT_EQ(TileWidth(1034, 0, 3), 256);
  EXPECT_EQ(TileWidth(1034, 0, 4), 10);
  EXPECT_EQ(TileWidth(1034, 0, 5), 0);
  EXPECT_EQ(TileWidth(1024, 0, 4), 0);  // no empty tiles
  EXPECT_EQ(TileWidth(1024, 1, 0), 4);
}

// ---- Hash tiles and the leaf_index extension ----

TEST(ParseHashTile, SizeMustMatchWidth) {
  std::vector<uint8_t> in(3 * 32);
  for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<uint8_t>(i);
  Result<std::vector<Hash>> hashes = ParseHashTile(in, 3);
  ASSERT_TRUE(hashes.ok());
  ASSERT_EQ(hashes->size(), 3u);
  EXPECT_EQ((*hashes)[2][0], 64);
  EXPECT_EQ((*hashes)[2][31], 95);
  EXPECT_EQ(ParseHashTile(in, 2).status().code(), Code::kMalformed);
  EXPECT_EQ(ParseHashTile(in, 4).status().code(), Code::kMalformed);
  EXPECT_EQ(ParseHashTile(Bytes(in).first(95), 3).status().code(), Code::kMalformed);
  EXPECT_EQ(ParseHashTile({}, 0).status().code(), Code::kMalformed);
}

TEST(ParseLeafIndex, Cases) {
  struct Case {
    const char* desc;
    std::vector<uint8_t> extensions;
    std::optional<uint64_t> want;  // nullopt: kMalformed
  } cases[] = {
      {"only leaf_index", {0x00, 0x00, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05}, 0x0102030405},
      {"max uint40", {0x00, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff}, 0xffffffffff},
      {"unknown extension first is skipped", {0x07, 0x00, 0x01, 0xaa, 0x00, 0x00, 0x05, 0, 0, 0, 0, 9}, 9},
      {"empty extensions", {}, std::nullopt},
      {"only an unknown extension", {0x07, 0x00, 0x00}, std::nullopt},
      {"leaf_index of 4 bytes", {0x00, 0x00, 0x04, 0, 0, 0, 1}, std::nullopt},
      {"leaf_index of 6 bytes", {0x00, 0x00, 0x06, 0, 0, 0, 0, 0, 1}, std::nullopt},
      {"duplicate leaf_index", {0x00, 0x00, 0x05, 0, 0, 0, 0, 1, 0x00, 0x00, 0x05, 0, 0, 0, 0, 1}, std::nullopt},
      {"duplicate unknown type", {0x07, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x05, 0, 0, 0, 0, 1}, std::nullopt},
      {"truncated extension_data", {0x00, 0x00, 0x05, 0, 0, 0}, std::nullopt},
      {"truncated length", {0x00, 0x00}, std::nullopt},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    Result<uint64_t> got = ParseLeafIndex(c.extensions);
    if (c.want) {
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_EQ(*got, *c.want);
    } else {
      EXPECT_EQ(got.status().code(), Code::kMalformed);
    }
  }
}

TEST(EncodeLeafIndexExtensions, RoundTrips) {
  for (uint64_t i : {uint64_t{0}, uint64_t{1}, uint64_t{1023}, kLeafIndexLimit - 1}) {
    std::array<uint8_t, 8> ext = EncodeLeafIndexExtensions(i);
    Result<uint64_t> got = ParseLeafIndex(ext);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(*got, i);
  }
}

// ---- A hand-made tile ----

// MakeLeaf builds a TileLeaf for entry `index` (a precert if `precert`), with the leaf_index
// extension set to `extension_index`.
std::vector<uint8_t> MakeLeaf(uint64_t extension_index, bool precert, size_t chain_length = 1) {
  static const uint8_t kCert[] = {0x30, 0x03, 0x02, 0x01, 0x01};
  std::array<uint8_t, 8> ext = EncodeLeafIndexExtensions(extension_index);
  TimestampedEntryView te{.timestamp_ms = 1000 + extension_index,
                          .entry_type = precert ? LogEntryType::kPrecertEntry : LogEntryType::kX509Entry,
                          .extensions = ext};
  if (precert) {
    te.tbs_certificate = kCert;
    te.issuer_key_hash.fill(0x11);
  } else {
    te.certificate = kCert;
  }
  std::vector<Hash> chain(chain_length);
  for (size_t i = 0; i < chain_length; ++i) chain[i].fill(static_cast<uint8_t>(i + 1));
  std::vector<uint8_t> out;
  Status s = EncodeTileLeaf(te, precert ? Bytes(kCert) : Bytes(), chain, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(ParseDataTile, MixedHandMadeTile) {
  std::vector<uint8_t> tile;
  std::vector<size_t> starts;
  for (uint64_t i = 0; i < 3; ++i) {
    starts.push_back(tile.size());
    std::vector<uint8_t> leaf = MakeLeaf(256 * 7 + i, i == 1, i);  // chains of 0, 1, 2 fingerprints
    tile.insert(tile.end(), leaf.begin(), leaf.end());
  }
  Result<DataTileView> view = ParseDataTile(tile, 7, 3);
  ASSERT_TRUE(view.ok()) << view.status().ToString();
  EXPECT_EQ(view->size(), 3u);
  EXPECT_EQ(view->first_leaf_index(), 256u * 7);
  uint64_t i = 0;
  for (TileLeafView leaf : *view) {
    SCOPED_TRACE(i);
    EXPECT_EQ(leaf.leaf_index, 256 * 7 + i);
    EXPECT_EQ(leaf.timestamped_entry.timestamp_ms, 1000 + 256 * 7 + i);
    EXPECT_EQ(leaf.timestamped_entry_bytes.data(), tile.data() + starts[i]);
    EXPECT_EQ(leaf.timestamped_entry.entry_type, i == 1 ? LogEntryType::kPrecertEntry : LogEntryType::kX509Entry);
    EXPECT_EQ(leaf.pre_certificate.size(), i == 1 ? 5u : 0u);
    ASSERT_EQ(leaf.chain_length(), i);
    if (i == 2) {
      EXPECT_EQ(leaf.ChainFingerprint(1)[0], 2);
    }
    EXPECT_TRUE(VerifyLeafIndex(leaf).ok());
    // The leaf hash equals the hash of the MerkleTreeLeaf that wraps the same entry.
    std::vector<uint8_t> mtl;
    ASSERT_TRUE(EncodeMerkleTreeLeaf(leaf.timestamped_entry, mtl).ok());
    EXPECT_EQ(leaf.MerkleLeafHash(), HashLeaf(mtl));
    ++i;
  }
  EXPECT_EQ(i, 3u);

  // The wrong tile index: positions no longer match the extensions.
  Result<DataTileView> shifted = ParseDataTile(tile, 8, 3);
  ASSERT_TRUE(shifted.ok());
  Status mismatch = VerifyLeafIndex(*shifted->begin());
  EXPECT_EQ(mismatch.code(), Code::kMisbehaviour) << mismatch.ToString();

  // Width errors: too few entries, too many entries (trailing bytes), bad widths.
  EXPECT_NE(ParseDataTile(tile, 7, 4).status().message().find("holds 3 entries, expected 4"), std::string::npos);
  EXPECT_TRUE(IsMalformedWithOffset(ParseDataTile(tile, 7, 2).status()));
  EXPECT_EQ(ParseDataTile(tile, 7, 0).status().code(), Code::kMalformed);
  EXPECT_EQ(ParseDataTile(tile, 7, 257).status().code(), Code::kMalformed);
  EXPECT_EQ(ParseDataTile(tile, kLeafIndexLimit / 256, 3).status().code(), Code::kMalformed);

  // Every truncation of the tile is malformed with an offset.
  for (size_t n = 0; n < tile.size(); ++n) {
    Status s = ParseDataTile(Bytes(tile).first(n), 7, 3).status();
    ASSERT_EQ(s.code(), Code::kMalformed) << n;
    ASSERT_TRUE(s.message().find("byte offset") != std::string::npos) << n << ": " << s.ToString();
  }
}

TEST(ParseDataTile, MalformedLeaves) {
  std::vector<uint8_t> x509 = MakeLeaf(0, false, 1);
  // certificate_chain length 31: not a multiple of 32.
  std::vector<uint8_t> odd = x509;
  odd.pop_back();
  odd[odd.size() - 31 - 1] = 31;
  Status s = ParseDataTile(odd, 0, 1).status();
  EXPECT_TRUE(IsMalformedWithOffset(s));
  EXPECT_NE(s.message().find("multiple of 32"), std::string::npos) << s.ToString();
  // Unknown entry_type.
  std::vector<uint8_t> bad_type = x509;
  bad_type[9] = 2;
  EXPECT_NE(ParseDataTile(bad_type, 0, 1).status().message().find("entry_type 2"), std::string::npos);
  // Empty pre_certificate in a precert leaf: rebuild with a zero-length pre_certificate.
  std::vector<uint8_t> precert = MakeLeaf(0, true, 0);
  // Layout: 8 ts + 2 type + 32 ikh + 3+5 tbs + 2+8 ext = 60, then pre_certificate<3+5>, chain<2>.
  ASSERT_EQ(precert.size(), 60u + 8 + 2);
  std::vector<uint8_t> empty_pre(precert.begin(), precert.begin() + 60);
  empty_pre.insert(empty_pre.end(), {0, 0, 0, 0, 0});
  EXPECT_NE(ParseDataTile(empty_pre, 0, 1).status().message().find("pre_certificate"), std::string::npos);
  // gzip-compressed bytes get a specific message.
  const uint8_t gz[] = {0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0, 0};
  EXPECT_NE(ParseDataTile(gz, 0, 1).status().message().find("gzip"), std::string::npos);
}

TEST(EncodeTileLeaf, RejectsInconsistentInput) {
  static const uint8_t kCert[] = {0x30, 0x00};
  TimestampedEntryView x509{.entry_type = LogEntryType::kX509Entry, .certificate = kCert};
  TimestampedEntryView precert{.entry_type = LogEntryType::kPrecertEntry, .tbs_certificate = kCert};
  std::vector<Hash> too_long(2048);
  std::vector<uint8_t> out = {7};
  EXPECT_EQ(EncodeTileLeaf(x509, kCert, {}, out).code(), Code::kMalformed);   // pre_certificate on x509
  EXPECT_EQ(EncodeTileLeaf(precert, {}, {}, out).code(), Code::kMalformed);   // missing pre_certificate
  EXPECT_EQ(EncodeTileLeaf(x509, {}, too_long, out).code(), Code::kMalformed);
  EXPECT_EQ(EncodeTileLeaf(TimestampedEntryView{}, {}, {}, out).code(), Code::kMalformed);  // empty cert
  EXPECT_EQ(out, std::vector<uint8_t>{7});
  too_long.pop_back();
  EXPECT_TRUE(EncodeTileLeaf(x509, {}, too_long, out).ok());  // 2047 * 32 = 65504 fits
}

// ---- The real Navigli2025h2 tiles (Sunlight testdata) ----

class NavigliTiles : public testing::TestdataTest {
 protected:
  static constexpr const char* kDir = "ct/static-ct-api/navigli2025h2/";

  void SetUp() override {
    TestdataTest::SetUp();
    if (IsSkipped()) return;
    expected_text_ = testing::ReadFileText(Path("ct/static-ct-api/expected.json"));
    ASSERT_FALSE(expected_.Parse(expected_text_.c_str()).HasParseError());
    for (uint64_t n = 0; n < 4; ++n) {
      data_.push_back(testing::ReadFileBytes(Path(kDir + DataTilePath(n, 256))));
      hashes_.push_back(testing::ReadFileBytes(Path(kDir + TilePath(0, n, 256))));
    }
    partial_data_ = testing::ReadFileBytes(Path(kDir + DataTilePath(3, 10)));
    partial_hashes_ = testing::ReadFileBytes(Path(kDir + TilePath(0, 3, 10)));
  }

  std::string expected_text_;
  rapidjson::Document expected_;
  std::vector<std::vector<uint8_t>> data_;    // tile/data/000..003
  std::vector<std::vector<uint8_t>> hashes_;  // tile/0/000..003
  std::vector<uint8_t> partial_data_;         // tile/data/003.p/10
  std::vector<uint8_t> partial_hashes_;       // tile/0/003.p/10
};

TEST_F(NavigliTiles, StoredUncompressed) {
  // The spec lets logs gzip data tiles at the HTTP layer; these files hold the decoded bytes.
  for (const auto& tile : data_) {
    ASSERT_GE(tile.size(), 2u);
    EXPECT_FALSE(tile[0] == 0x1f && tile[1] == 0x8b);
  }
}

TEST_F(NavigliTiles, LeafHashesMatchLevel0TilesAndLeafIndexExtensions) {
  Sha256 sha;
  int precerts = 0;
  for (uint64_t n = 0; n < 4; ++n) {
    SCOPED_TRACE("tile " + std::to_string(n));
    Result<DataTileView> tile = ParseDataTile(data_[n], n, 256);
    ASSERT_TRUE(tile.ok()) << tile.status().ToString();
    Result<std::vector<Hash>> level0 = ParseHashTile(hashes_[n], 256);
    ASSERT_TRUE(level0.ok());
    size_t i = 0;
    for (TileLeafView leaf : *tile) {
      ASSERT_EQ(leaf.leaf_index, n * 256 + i);
      EXPECT_EQ(leaf.MerkleLeafHash(sha), (*level0)[i]) << "entry " << leaf.leaf_index;
      Result<uint64_t> ext = ParseLeafIndex(leaf.timestamped_entry.extensions);
      ASSERT_TRUE(ext.ok()) << ext.status().ToString();
      EXPECT_EQ(*ext, leaf.leaf_index);
      EXPECT_EQ(leaf.timestamped_entry.extensions.size(), 8u);  // "The total length ... is 8 bytes."
      EXPECT_TRUE(VerifyLeafIndex(leaf).ok());
      if (leaf.timestamped_entry.entry_type == LogEntryType::kPrecertEntry) ++precerts;
      ++i;
    }
    EXPECT_EQ(i, 256u);
    // Parsed with the wrong width, the same bytes are malformed.
    EXPECT_EQ(ParseDataTile(data_[n], n, 255).status().code(), Code::kMalformed);
  }
  EXPECT_EQ(precerts, expected_["data_tiles"]["precert_entries"].GetInt());
}

TEST_F(NavigliTiles, PartialTileIsThePrefixOfTile3) {
  Result<DataTileView> partial = ParseDataTile(partial_data_, 3, 10);
  ASSERT_TRUE(partial.ok()) << partial.status().ToString();
  Result<std::vector<Hash>> level0 = ParseHashTile(partial_hashes_, 10);
  ASSERT_TRUE(level0.ok());
  Result<DataTileView> full = ParseDataTile(data_[3], 3, 256);
  ASSERT_TRUE(full.ok());
  auto f = full->begin();
  size_t i = 0;
  for (TileLeafView leaf : *partial) {
    EXPECT_EQ(leaf.MerkleLeafHash(), (*level0)[i]);
    EXPECT_EQ(leaf.leaf_index, (*f).leaf_index);
    EXPECT_TRUE(std::ranges::equal(leaf.timestamped_entry_bytes, (*f).timestamped_entry_bytes));
    EXPECT_TRUE(VerifyLeafIndex(leaf).ok());
    ++f;
    ++i;
  }
  EXPECT_EQ(i, 10u);
  EXPECT_EQ(ParseDataTile(partial_data_, 3, 11).status().code(), Code::kMalformed);
  EXPECT_EQ(ParseDataTile(partial_data_, 3, 9).status().code(), Code::kMalformed);
}

TEST_F(NavigliTiles, ComputedRootsMatch) {
  const auto& roots = expected_["computed_roots"];
  std::map<uint64_t, std::string> want = {
      {1, roots["tree_size_1_root_hex"].GetString()},
      {256, roots["tree_size_256_root_hex"].GetString()},
      {778, roots["tree_size_778_root_hex"].GetString()},
      {1024, roots["tree_size_1024_root_hex"].GetString()},
  };
  CompactRange range;
  for (uint64_t n = 0; n < 4; ++n) {
    Result<DataTileView> tile = ParseDataTile(data_[n], n, 256);
    ASSERT_TRUE(tile.ok());
    for (TileLeafView leaf : *tile) {
      range.Append(leaf.MerkleLeafHash());
      if (auto it = want.find(range.end()); it != want.end()) {
        EXPECT_EQ(HexEncode(range.Root()), it->second) << "tree size " << range.end();
      }
    }
  }
  EXPECT_EQ(range.end(), 1024u);
}

TEST_F(NavigliTiles, AllEntriesFacts) {
  const auto& all = expected_["all_entries"]["entries"];
  ASSERT_EQ(all.Size(), 1024u);
  for (uint64_t n = 0; n < 4; ++n) {
    Result<DataTileView> tile = ParseDataTile(data_[n], n, 256);
    ASSERT_TRUE(tile.ok());
    for (TileLeafView leaf : *tile) {
      const auto& want = all[static_cast<rapidjson::SizeType>(leaf.leaf_index)];
      SCOPED_TRACE("entry " + std::to_string(leaf.leaf_index));
      ASSERT_EQ(want["i"].GetUint64(), leaf.leaf_index);
      EXPECT_EQ(leaf.timestamped_entry.timestamp_ms, want["ts"].GetUint64());
      EXPECT_EQ(HexEncode(leaf.MerkleLeafHash()), want["leaf_hash"].GetString());
      EXPECT_EQ(HexEncode(leaf.timestamped_entry.issuer_key_hash), want["ikh"].GetString());
      EXPECT_EQ(Sha256Hex(leaf.timestamped_entry.tbs_certificate), want["tbs_sha256"].GetString());
      EXPECT_EQ(Sha256Hex(leaf.pre_certificate), want["precert_sha256"].GetString());
      EXPECT_EQ(leaf.chain_length(), want["chain_len"].GetUint64());
    }
  }
}

TEST_F(NavigliTiles, SampleEntries) {
  const auto& samples = expected_["sample_entries"];
  ASSERT_EQ(samples.Size(), 7u);
  for (const auto& want : samples.GetArray()) {
    uint64_t index = want["leaf_index"].GetUint64();
    SCOPED_TRACE("entry " + std::to_string(index));
    Result<DataTileView> tile = ParseDataTile(data_[index / 256], index / 256, 256);
    ASSERT_TRUE(tile.ok());
    auto it = tile->begin();
    std::advance(it, index % 256);
    TileLeafView leaf = *it;
    ASSERT_EQ(leaf.leaf_index, index);
    EXPECT_EQ(leaf.timestamped_entry.timestamp_ms, want["timestamp"].GetUint64());
    EXPECT_EQ(std::string(want["entry_type"].GetString()), "precert_entry");
    EXPECT_EQ(leaf.timestamped_entry.entry_type, LogEntryType::kPrecertEntry);
    EXPECT_EQ(*ParseLeafIndex(leaf.timestamped_entry.extensions), want["leaf_index_extension"].GetUint64());
    EXPECT_EQ(HexEncode(leaf.MerkleLeafHash()), want["merkle_leaf_hash_hex"].GetString());
    EXPECT_EQ(Sha256Hex(leaf.pre_certificate), want["cert_or_precert_sha256_hex"].GetString());
    EXPECT_EQ(HexEncode(leaf.timestamped_entry.issuer_key_hash), want["issuer_key_hash_hex"].GetString());
    EXPECT_EQ(leaf.timestamped_entry.tbs_certificate.size(), want["tbs_len"].GetUint64());
    const auto& chain = want["chain_fingerprints_hex"];
    ASSERT_EQ(leaf.chain_length(), chain.Size());
    for (rapidjson::SizeType c = 0; c < chain.Size(); ++c) {
      EXPECT_EQ(HexEncode(leaf.ChainFingerprint(c)), chain[c].GetString());
      EXPECT_EQ(IssuerPath(leaf.ChainFingerprint(c)), std::string("issuer/") + chain[c].GetString());
    }
  }
}

TEST_F(NavigliTiles, EncodeTileLeafRebuildsEachTileExactly) {
  for (uint64_t n = 0; n < 4; ++n) {
    Result<DataTileView> tile = ParseDataTile(data_[n], n, 256);
    ASSERT_TRUE(tile.ok());
    std::vector<uint8_t> out;
    for (TileLeafView leaf : *tile) {
      std::vector<Hash> chain;
      for (size_t c = 0; c < leaf.chain_length(); ++c) chain.push_back(leaf.ChainFingerprint(c));
      ASSERT_TRUE(EncodeTileLeaf(leaf.timestamped_entry, leaf.pre_certificate, chain, out).ok());
    }
    EXPECT_EQ(out, data_[n]) << "tile " << n;
  }
}

TEST_F(NavigliTiles, EveryTruncationOfTheFirstLeafIsMalformed) {
  // Cut tile 000 down to its first TileLeaf (a one-entry tile), then every prefix of it.
  Result<DataTileView> tile = ParseDataTile(data_[0], 0, 256);
  ASSERT_TRUE(tile.ok());
  auto second = std::next(tile->begin());
  size_t first_leaf_bytes = static_cast<size_t>((*second).timestamped_entry_bytes.data() - data_[0].data());
  Bytes one(data_[0].data(), first_leaf_bytes);
  ASSERT_TRUE(ParseDataTile(one, 0, 1).ok());
  for (size_t n = 0; n < one.size(); ++n) {
    Status s = ParseDataTile(one.first(n), 0, 1).status();
    ASSERT_TRUE(IsMalformedWithOffset(s)) << n << ": " << s.ToString();
  }
}

}  // namespace
}  // namespace pinwatch::ctlog
