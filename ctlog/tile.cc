#include "ctlog/tile.h"

#include <algorithm>
#include <cassert>
#include <optional>
#include <string>

#include "base/byte_writer.h"
#include "base/encoding.h"

namespace pinwatch::ctlog {
namespace {

constexpr size_t kFingerprintBytes = 32;
constexpr uint8_t kExtensionTypeLeafIndex = 0;
constexpr size_t kLeafIndexBytes = 5;  // uint40

// AppendTileIndex writes N as 3-digit path elements, all but the last prefixed with "x".
void AppendTileIndex(std::string& out, uint64_t index) {
  // uint64 has at most 20 decimal digits, so at most 7 groups of 3.
  unsigned groups[7];
  int n = 0;
  do {
    groups[n++] = static_cast<unsigned>(index % 1000);
    index /= 1000;
  } while (index != 0);
  for (int i = n - 1; i >= 0; --i) {
    if (i != 0) out += 'x';
    out += static_cast<char>('0' + groups[i] / 100);
    out += static_cast<char>('0' + groups[i] / 10 % 10);
    out += static_cast<char>('0' + groups[i] % 10);
    if (i != 0) out += '/';
  }
}

void AppendIndexAndWidth(std::string& out, uint64_t index, uint16_t width) {
  assert(width >= 1 && width <= kTileWidth);
  AppendTileIndex(out, index);
  if (width < kTileWidth) {
    out += ".p/";
    out += std::to_string(width);
  }
}

// ReadTileLeaf consumes one TileLeaf from `r`. `leaf_index` is only recorded in the view.
Result<TileLeafView> ReadTileLeaf(ByteReader& r, uint64_t leaf_index) {
  TileLeafView leaf;
  leaf.leaf_index = leaf_index;
  Bytes start = r.peek();
  // TimestampedEntry timestamped_entry;
  Result<TimestampedEntryView> entry = ReadTimestampedEntry(r);
  if (!entry.ok()) return entry.status();
  leaf.timestamped_entry = *entry;
  leaf.timestamped_entry_bytes = start.first(start.size() - r.remaining());
  // select (entry_type) { case x509_entry: Empty; case precert_entry: ASN.1Cert pre_certificate; };
  if (entry->entry_type == LogEntryType::kPrecertEntry) {
    size_t at = r.offset();
    auto pre = r.U24Prefixed();
    if (!pre) {
      return MalformedError("TileLeaf.pre_certificate truncated or length prefix exceeds input at byte offset " +
                            std::to_string(at));
    }
    if (pre->empty()) {
      return MalformedError("TileLeaf.pre_certificate: empty ASN.1Cert at byte offset " + std::to_string(at));
    }
    leaf.pre_certificate = pre->Rest();
  }
  // Fingerprint certificate_chain<0..2^16-1>;  opaque Fingerprint[32];
  size_t chain_at = r.offset();
  auto chain = r.U16Prefixed();
  if (!chain) return r.Fail("TileLeaf.certificate_chain truncated or length prefix exceeds input");
  if (chain->remaining() % kFingerprintBytes != 0) {
    return MalformedError("TileLeaf.certificate_chain length " + std::to_string(chain->remaining()) +
                          " is not a multiple of 32 at byte offset " + std::to_string(chain_at));
  }
  leaf.certificate_chain_bytes = chain->Rest();
  return leaf;
}

}  // namespace

std::string TilePath(unsigned level, uint64_t index, uint16_t width) {
  assert(level <= kMaxTileLevel);
  std::string out = "tile/";
  out += std::to_string(level);
  out += '/';
  AppendIndexAndWidth(out, index, width);
  return out;
}

std::string DataTilePath(uint64_t index, uint16_t width) {
  std::string out = "tile/data/";
  AppendIndexAndWidth(out, index, width);
  return out;
}

std::string IssuerPath(const Hash& fingerprint) { return "issuer/" + HexEncode(fingerprint); }

TileCoverage CoverTreeSize(uint64_t tree_size, unsigned level) {
  // Level l holds floor(tree_size / 256^l) hashes. 8 * level may reach 64 for absurd levels;
  // shifting a uint64 by >= 64 is undefined, and such a level holds no hashes anyway.
  uint64_t hashes = 8 * level >= 64 ? 0 : tree_size >> (8 * level);
  return TileCoverage{.full_tiles = hashes / kTileWidth,
                      .partial_width = static_cast<uint16_t>(hashes % kTileWidth)};
}

uint16_t TileWidth(uint64_t tree_size, unsigned level, uint64_t index) {
  TileCoverage c = CoverTreeSize(tree_size, level);
  if (index < c.full_tiles) return kTileWidth;
  if (index == c.full_tiles) return c.partial_width;
  return 0;
}

Result<std::vector<Hash>> ParseHashTile(Bytes in, uint16_t width) {
  if (width < 1 || width > kTileWidth) {
    return MalformedError("hash tile width " + std::to_string(width) + " is outside [1, 256]");
  }
  if (in.size() != size_t{width} * sizeof(Hash)) {
    return MalformedError("hash tile of width " + std::to_string(width) + " must be " +
                          std::to_string(size_t{width} * sizeof(Hash)) + " bytes, got " +
                          std::to_string(in.size()));
  }
  std::vector<Hash> hashes(width);
  for (size_t i = 0; i < width; ++i) {
    std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(i * sizeof(Hash)), sizeof(Hash), hashes[i].begin());
  }
  return hashes;
}

Result<uint64_t> ParseLeafIndex(Bytes extensions) {
  ByteReader r(extensions);
  std::optional<uint64_t> leaf_index;
  // The types seen so far, to reject duplicates ("MUST NOT be included"); types are uint8.
  std::array<bool, 256> seen{};
  while (!r.empty()) {
    // ExtensionType extension_type;
    auto type = r.U8();
    if (!type) return r.Fail("Extension.extension_type truncated");
    if (seen[*type]) {
      return MalformedError("CtExtensions: duplicate extension_type " + std::to_string(*type) +
                            " at byte offset " + std::to_string(r.offset() - 1));
    }
    seen[*type] = true;
    // opaque extension_data<0..2^16-1>;
    auto data = r.U16Prefixed();
    if (!data) return r.Fail("Extension.extension_data truncated or length prefix exceeds input");
    if (*type != kExtensionTypeLeafIndex) continue;
    // uint40 LeafIndex;
    if (data->remaining() != kLeafIndexBytes) {
      return MalformedError("leaf_index extension_data must be 5 bytes (uint40), got " +
                            std::to_string(data->remaining()) + " at byte offset " + std::to_string(data->offset()));
    }
    uint64_t v = 0;
    for (uint8_t b : data->Rest()) v = (v << 8) | b;
    leaf_index = v;
  }
  if (!leaf_index) return MalformedError("CtExtensions: no leaf_index extension");
  return *leaf_index;
}

std::array<uint8_t, 8> EncodeLeafIndexExtensions(uint64_t leaf_index) {
  assert(leaf_index < kLeafIndexLimit);
  return {kExtensionTypeLeafIndex,
          0x00,
          static_cast<uint8_t>(kLeafIndexBytes),
          static_cast<uint8_t>(leaf_index >> 32),
          static_cast<uint8_t>(leaf_index >> 24),
          static_cast<uint8_t>(leaf_index >> 16),
          static_cast<uint8_t>(leaf_index >> 8),
          static_cast<uint8_t>(leaf_index)};
}

Hash TileLeafView::ChainFingerprint(size_t i) const {
  assert(i < chain_length());
  Hash h;
  std::copy_n(certificate_chain_bytes.begin() + static_cast<std::ptrdiff_t>(i * kFingerprintBytes),
              kFingerprintBytes, h.begin());
  return h;
}

Status VerifyLeafIndex(const TileLeafView& leaf) {
  Result<uint64_t> got = ParseLeafIndex(leaf.timestamped_entry.extensions);
  if (!got.ok()) {
    return MalformedError("entry " + std::to_string(leaf.leaf_index) + ": " + got.status().message());
  }
  if (*got != leaf.leaf_index) {
    return MisbehaviourError("entry at position " + std::to_string(leaf.leaf_index) +
                             " carries leaf_index extension " + std::to_string(*got));
  }
  return OkStatus();
}

TileLeafView DataTileView::Iterator::operator*() const {
  // ParseDataTile validated every leaf, so this cannot fail.
  ByteReader r(rest_, base_offset_);
  Result<TileLeafView> leaf = ReadTileLeaf(r, leaf_index_);
  assert(leaf.ok());
  return *std::move(leaf);
}

DataTileView::Iterator& DataTileView::Iterator::operator++() {
  ByteReader r(rest_, base_offset_);
  Result<TileLeafView> leaf = ReadTileLeaf(r, leaf_index_);
  assert(leaf.ok());
  (void)leaf;
  rest_ = r.peek();
  base_offset_ = r.offset();
  ++leaf_index_;
  return *this;
}

Result<DataTileView> ParseDataTile(Bytes in, uint64_t tile_index, uint16_t width) {
  if (width < 1 || width > kTileWidth) {
    return MalformedError("data tile width " + std::to_string(width) + " is outside [1, 256]");
  }
  if (tile_index > (kLeafIndexLimit - 1) / kTileWidth) {
    return MalformedError("data tile index " + std::to_string(tile_index) + " exceeds the uint40 leaf_index range");
  }
  // A gzip member starts 1f 8b; as a TileLeaf that would be a timestamp after the year 70000.
  if (in.size() >= 2 && in[0] == 0x1f && in[1] == 0x8b) {
    return MalformedError("data tile starts with the gzip magic 1f 8b at byte offset 0: decode the "
                          "HTTP Content-Encoding before parsing");
  }
  ByteReader r(in);
  uint64_t first = tile_index * kTileWidth;
  for (uint16_t i = 0; i < width; ++i) {
    if (r.empty()) {
      return MalformedError("data tile holds " + std::to_string(i) + " entries, expected " + std::to_string(width) +
                            " (ends at byte offset " + std::to_string(r.offset()) + ")");
    }
    Result<TileLeafView> leaf = ReadTileLeaf(r, first + i);
    if (!leaf.ok()) {
      return MalformedError("data tile entry " + std::to_string(i) + ": " + leaf.status().message());
    }
  }
  if (!r.empty()) {
    return r.Fail("data tile holds more than " + std::to_string(width) + " entries: trailing bytes");
  }
  return DataTileView(in, first, width);
}

Status EncodeTileLeaf(const TimestampedEntryView& entry, Bytes pre_certificate,
                      std::span<const Hash> certificate_chain, std::vector<uint8_t>& out) {
  bool precert = entry.entry_type == LogEntryType::kPrecertEntry;
  if (precert && (pre_certificate.empty() || pre_certificate.size() > kMaxAsn1CertBytes)) {
    return MalformedError("TileLeaf.pre_certificate must be 1..2^24-1 bytes for precert_entry");
  }
  if (!precert && !pre_certificate.empty()) {
    return MalformedError("TileLeaf.pre_certificate must be empty for x509_entry");
  }
  if (certificate_chain.size() * kFingerprintBytes > 0xffff) {
    return MalformedError("TileLeaf.certificate_chain holds more than 2047 fingerprints");
  }
  size_t original_size = out.size();
  if (Status s = EncodeTimestampedEntry(entry, out); !s.ok()) {
    out.resize(original_size);
    return s;
  }
  ByteWriter w(out);
  if (precert) w.U24Prefixed(pre_certificate);
  w.U16(static_cast<uint16_t>(certificate_chain.size() * kFingerprintBytes));
  for (const Hash& h : certificate_chain) w.Write(h);
  return OkStatus();
}

}  // namespace pinwatch::ctlog
