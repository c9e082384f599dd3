// The read path of C2SP static-ct-api (https://c2sp.org/static-ct-api) and the tile layout
// of C2SP tlog-tiles: tile and issuer paths, which tiles make up a tree, data tiles (one
// TileLeaf per entry), hash tiles, and the leaf_index CT extension.
//
// Data tiles are served with `Content-Encoding: gzip` at the log's discretion (the spec makes
// clients support it without negotiation); decoding that is the HTTP layer's job. The parser
// here takes the decoded bytes and names gzip's magic number in its error if it sees it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "ctlog/leaf.h"
#include "ctlog/sha256.h"

namespace pinwatch::ctlog {

// kTileWidth is the number of hashes (or entries) in a full tile: every tile is a subtree
// of height 8.
inline constexpr uint16_t kTileWidth = 256;
// kMaxTileLevel: static-ct-api levels are 0..5 (256^6 = 2^48 > the 2^40 leaf_index bound).
inline constexpr unsigned kMaxTileLevel = 5;
// kLeafIndexLimit is the first index a uint40 LeafIndex cannot hold.
inline constexpr uint64_t kLeafIndexLimit = uint64_t{1} << 40;

// TilePath returns "tile/<L>/<N>" for a full tile (width == kTileWidth) or
// "tile/<L>/<N>.p/<W>" for a partial one (1 <= width < 256), with N written as 3-digit path
// elements, all but the last prefixed with "x": index 1234067 is "x001/x234/067". The
// arguments are ours, not input: level <= kMaxTileLevel and 1 <= width <= 256 are asserted.
// Thread-safe.
std::string TilePath(unsigned level, uint64_t index, uint16_t width);
// DataTilePath returns "tile/data/<N>[.p/<W>]" for data tile `index` holding `width` entries,
// with N and W as in TilePath. Thread-safe.
std::string DataTilePath(uint64_t index, uint16_t width);
// IssuerPath returns "issuer/<lowercase hex of fingerprint>", where fingerprint is the SHA-256
// of the issuer certificate's DER. Thread-safe.
std::string IssuerPath(const Hash& fingerprint);

// TileCoverage says which tiles of one level make up a tree: tiles [0, full_tiles) are full
// (256 hashes each) and, if partial_width > 0, tile `full_tiles` is partial with that
// width. With partial_width == 0 there is no partial tile (the spec never serves empty tiles).
struct TileCoverage {
  uint64_t full_tiles = 0;
  uint16_t partial_width = 0;  // in [0, 255]

  friend bool operator==(const TileCoverage&, const TileCoverage&) = default;
};

// CoverTreeSize returns the tiles at `level` of the tree of tree_size entries: the level has
// floor(tree_size / 256^level) hashes, so floor(that / 256) full tiles and a partial tile
// of (that mod 256) hashes. Level 0 also describes the data tiles. Thread-safe.
TileCoverage CoverTreeSize(uint64_t tree_size, unsigned level = 0);

// TileWidth returns the width of tile `index` at `level` in the tree of tree_size entries:
// 256 if full, 1..255 if it is the partial tail, 0 if the tree does not reach it. Thread-safe.
uint16_t TileWidth(uint64_t tree_size, unsigned level, uint64_t index);

// ParseHashTile splits a hash tile of `width` hashes (1 <= width <= 256) into hashes. On
// success it returns width hashes (copied); kMalformed if in.size() != width * 32.
Result<std::vector<Hash>> ParseHashTile(Bytes in, uint16_t width);

// ParseLeafIndex returns the LeafIndex carried in a CtExtensions field (the contents, without
// the 2-byte length; see TimestampedEntryView::extensions). static-ct-api "SCT Extension":
//   enum { leaf_index(0), (255) } ExtensionType;
//   struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } Extension;
//   Extension CtExtensions<0..2^16-1>;    uint8 uint40[5]; uint40 LeafIndex;
// Extensions of other types are skipped. kMalformed (with the byte offset inside
// `extensions`) if the list is badly framed, a type appears twice, there is no leaf_index,
// or its extension_data is not exactly 5 bytes. Thread-safe; does not allocate on success.
Result<uint64_t> ParseLeafIndex(Bytes extensions);

// EncodeLeafIndexExtensions returns the 8-byte CtExtensions contents holding only the
// leaf_index extension: 0x00 (leaf_index) || 0x00 0x05 || uint40 leaf_index. Asserts
// leaf_index < 2^40. Thread-safe.
std::array<uint8_t, 8> EncodeLeafIndexExtensions(uint64_t leaf_index);

// TileLeafView is one static-ct-api TileLeaf:
//   struct {
//     TimestampedEntry timestamped_entry;
//     select (entry_type) {
//       case x509_entry: Empty;
//       case precert_entry: ASN.1Cert pre_certificate;
//     };
//     Fingerprint certificate_chain<0..2^16-1>;     opaque Fingerprint[32];
//   } TileLeaf;
// Its spans alias the data tile it was parsed from.
struct TileLeafView {
  // leaf_index is the entry's position in the log (tile index * 256 + position in tile). It
  // is not read from the extensions; VerifyLeafIndex compares the two.
  uint64_t leaf_index = 0;
  TimestampedEntryView timestamped_entry;
  // The exact TimestampedEntry bytes (as in the MerkleTreeLeaf after its 2-byte header).
  Bytes timestamped_entry_bytes{};
  // precert_entry only: the submitted Precertificate DER. Empty for x509_entry.
  Bytes pre_certificate{};
  // The contents of certificate_chain: chain_length() SHA-256 fingerprints of the issuers
  // (issuer first), each servable at IssuerPath.
  Bytes certificate_chain_bytes{};

  size_t chain_length() const { return certificate_chain_bytes.size() / 32; }
  // ChainFingerprint returns fingerprint i (i < chain_length()).
  Hash ChainFingerprint(size_t i) const;
  // MerkleLeafHash returns the RFC 6962 leaf hash of this entry (see ComputeLeafHash).
  Hash MerkleLeafHash(Sha256& sha) const { return ComputeLeafHash(timestamped_entry_bytes, sha); }
  Hash MerkleLeafHash() const { return ComputeLeafHash(timestamped_entry_bytes); }
};

// VerifyLeafIndex checks the leaf_index extension of `leaf` against its position. OK if they
// are equal; kMalformed if the extensions do not parse (see ParseLeafIndex); kMisbehaviour
// if the log put a different index in the extension than the position it served the entry at.
Status VerifyLeafIndex(const TileLeafView& leaf);

// DataTileView is a data tile whose every TileLeaf has been validated by ParseDataTile.
// Iterating re-reads the (already checked) framing, yielding TileLeafView values in order;
// nothing is allocated. It aliases the parsed buffer. Cheap to copy; thread-compatible.
class DataTileView {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = TileLeafView;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = TileLeafView;

    Iterator() = default;
    TileLeafView operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.leaf_index_ == b.leaf_index_; }

   private:
    friend class DataTileView;
    Iterator(Bytes rest, size_t base_offset, uint64_t leaf_index)
        : rest_(rest), base_offset_(base_offset), leaf_index_(leaf_index) {}
    Bytes rest_;
    size_t base_offset_ = 0;
    uint64_t leaf_index_ = 0;
  };

  DataTileView() = default;
  // size returns the number of entries (the tile width).
  size_t size() const { return width_; }
  // first_leaf_index is the log index of the first entry: tile index * 256.
  uint64_t first_leaf_index() const { return first_leaf_index_; }
  Iterator begin() const { return Iterator(bytes_, 0, first_leaf_index_); }
  Iterator end() const { return Iterator({}, bytes_.size(), first_leaf_index_ + width_); }

 private:
  friend Result<DataTileView> ParseDataTile(Bytes in, uint64_t tile_index, uint16_t width);
  DataTileView(Bytes bytes, uint64_t first_leaf_index, uint16_t width)
      : bytes_(bytes), first_leaf_index_(first_leaf_index), width_(width) {}
  Bytes bytes_;
  uint64_t first_leaf_index_ = 0;
  uint16_t width_ = 0;
};

// ParseDataTile validates a decoded data tile that should hold `width` entries (1..256) of
// tile `tile_index`: exactly `width` well-formed TileLeaf structs and nothing after them. On
// success the view aliases `in`. kMalformed naming the field and byte offset otherwise,
// including when the tile holds fewer or more entries than `width`. It does not check the
// leaf_index extensions (see VerifyLeafIndex) and does not allocate on success. Thread-safe.
Result<DataTileView> ParseDataTile(Bytes in, uint64_t tile_index, uint16_t width);

// EncodeTileLeaf appends one TileLeaf to `out` (for the log simulator): `entry`, then
// pre_certificate (which must be non-empty for precert_entry and empty for x509_entry), then
// the chain fingerprints. kMalformed, leaving `out` unchanged, if a bound is exceeded
// (more than 2047 fingerprints, or see EncodeTimestampedEntry). Thread-safe.
Status EncodeTileLeaf(const TimestampedEntryView& entry, Bytes pre_certificate,
                      std::span<const Hash> certificate_chain, std::vector<uint8_t>& out);

}  // namespace pinwatch::ctlog
