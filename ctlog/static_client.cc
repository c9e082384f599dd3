#include "ctlog/static_client.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "base/encoding.h"
#include "ctlog/checkpoint.h"
#include "ctlog/ordered_fetch.h"
#include "ctlog/rfc6962_json.h"
#include "ctlog/tile.h"

namespace pinwatch::ctlog {
namespace {

constexpr size_t kHashBytes = 32;
// kMaxIssuerBytes bounds an /issuer/ answer: one DER certificate (a few KiB; RFC 5280 sets
// no limit, 1 MiB is far beyond any CA certificate).
constexpr size_t kMaxIssuerBytes = size_t{1} << 20;

// Tile is one tile answer waiting for its turn: `body` is cut to the asked `width`.
struct Tile {
  uint16_t width = 0;
  std::string body;
};

// NormalizeTile checks a tile body against the `width` asked and cuts a full tile served
// for a partial request down to `width`. Returns the number of leading bytes that hold the
// asked tile, or kMalformed.
Result<size_t> NormalizeTile(std::optional<unsigned> level, uint64_t index, uint16_t width,
                             Bytes body, const std::string& url) {
  if (level) {
    // A hash tile is `width` concatenated SHA-256 hashes (tlog-tiles).
    if (body.size() == width * kHashBytes) return body.size();
    if (width < kTileWidth && body.size() == kTileWidth * kHashBytes) return width * kHashBytes;
    return MalformedError(url + ": hash tile of " + std::to_string(body.size()) +
                          " bytes, expected " + std::to_string(width * kHashBytes));
  }
  Result<DataTileView> exact = ParseDataTile(body, index, width);
  if (exact.ok()) return body.size();
  if (width < kTileWidth) {
    if (Result<DataTileView> full = ParseDataTile(body, index, kTileWidth); full.ok()) {
      // The asked tile ends where entry `width - 1` ends; certificate_chain is its last
      // field, and its span points into `body` even when empty.
      auto it = full->begin();
      std::advance(it, width - 1);
      const Bytes chain = (*it).certificate_chain_bytes;
      return static_cast<size_t>(chain.data() + chain.size() - body.data());
    }
  }
  return Status(exact.status().code(), url + ": " + exact.status().message());
}

}  // namespace

StaticCtClient::StaticCtClient(std::string monitoring_url, StaticCtClientOptions options)
    : prefix_(std::move(monitoring_url)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock()),
      http_(options_.http) {
  while (!prefix_.empty() && prefix_.back() == '/') prefix_.pop_back();
  options_.max_requests_in_flight = std::max<size_t>(options_.max_requests_in_flight, 1);
}

Result<std::string> StaticCtClient::GetCheckpoint() {
  Result<net::HttpResponse> r =
      GetWithRetry(http_, prefix_ + "/checkpoint", options_.retry, clock_, nullptr, kMaxNoteBytes);
  if (!r.ok()) return r.status();
  return std::move(r->body);
}

Result<std::vector<uint8_t>> StaticCtClient::GetIssuer(const Hash& fingerprint) {
  const std::string url = prefix_ + "/" + IssuerPath(fingerprint);
  Result<net::HttpResponse> r = GetWithRetry(http_, url, options_.retry, clock_, [&](const net::HttpResponse& response) {
    if (Sha256Of(AsBytes(response.body)) != fingerprint) {
      return MalformedError(url + ": issuer certificate does not hash to its fingerprint");
    }
    return OkStatus();
  }, kMaxIssuerBytes);
  if (!r.ok()) return r.status();
  return std::vector<uint8_t>(r->body.begin(), r->body.end());
}

Result<std::vector<uint8_t>> StaticCtClient::FetchOne(std::optional<unsigned> level,
                                                      uint64_t index, uint16_t width) {
  std::vector<uint8_t> out;
  Status s = FetchTiles(level, index, index + 1, [width](uint64_t) { return width; },
                        [&out](uint64_t, uint16_t, std::span<const uint8_t> tile) {
                          out.assign(tile.begin(), tile.end());
                          return OkStatus();
                        });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<uint8_t>> StaticCtClient::GetDataTile(uint64_t index, uint16_t width) {
  return FetchOne(std::nullopt, index, width);
}

Result<std::vector<uint8_t>> StaticCtClient::GetHashTile(unsigned level, uint64_t index,
                                                         uint16_t width) {
  return FetchOne(level, index, width);
}

Status StaticCtClient::GetDataTiles(uint64_t tree_size, uint64_t first_tile,
                                    uint64_t end_tile_exclusive, const TileSink& sink) {
  return FetchTiles(std::nullopt, first_tile, end_tile_exclusive,
                    [tree_size](uint64_t i) { return TileWidth(tree_size, 0, i); }, sink);
}

Status StaticCtClient::GetHashTiles(unsigned level, uint64_t tree_size, uint64_t first_tile,
                                    uint64_t end_tile_exclusive, const TileSink& sink) {
  if (level > kMaxTileLevel) return InternalError("GetHashTiles: level " + std::to_string(level));
  return FetchTiles(level, first_tile, end_tile_exclusive,
                    [tree_size, level](uint64_t i) { return TileWidth(tree_size, level, i); },
                    sink);
}

Status StaticCtClient::FetchTiles(std::optional<unsigned> level, uint64_t first_tile,
                                  uint64_t end_tile_exclusive,
                                  const std::function<uint16_t(uint64_t)>& width_of,
                                  const TileSink& sink) {
  if (first_tile > end_tile_exclusive) {
    return InternalError("tile range start " + std::to_string(first_tile) + " > end_exclusive " +
                         std::to_string(end_tile_exclusive));
  }
  if (level && *level > kMaxTileLevel) return InternalError("tile level " + std::to_string(*level));
  const FetchPolicy<Tile> policy = {
      .piece_end = [&](uint64_t index) -> Result<uint64_t> {
        const uint16_t width = width_of(index);
        if (width == 0 || width > kTileWidth) {
          return InternalError("tile " + std::to_string(index) + " is beyond the tree");
        }
        return index + 1;
      },
      .url =
          [&](const FetchPiece& piece) {
            // PieceUrl::kFallback: the partial tile answered 404; ask for the full tile.
            const uint16_t width =
                piece.url == PieceUrl::kFallback ? kTileWidth : width_of(piece.start);
            return prefix_ + "/" +
                   (level ? TilePath(*level, piece.start, width)
                          : DataTilePath(piece.start, width));
          },
      // The log may have replaced the partial tile by the full one.
      .has_fallback =
          [&](const FetchPiece& piece) { return width_of(piece.start) < kTileWidth; },
      .judge = [&](const FetchPiece& piece, const std::string& url,
                   std::string&& body) -> Result<AcceptedPiece<Tile>> {
        auto tile =
            std::make_unique<Tile>(Tile{.width = width_of(piece.start), .body = std::move(body)});
        Result<size_t> keep =
            NormalizeTile(level, piece.start, tile->width, AsBytes(tile->body), url);
        // A cut or garbled tile may come from a cache or frontend: FetchInOrder retries it,
        // and reports kMalformed only if the log keeps serving it.
        if (!keep.ok()) return MalformedError(keep.status().message());
        tile->body.resize(*keep);
        return AcceptedPiece<Tile>{.answer = std::move(tile), .covered_end = piece.start + 1};
      },
      .deliver = [&](uint64_t index, const Tile& tile) {
        return sink(index, tile.width, AsBytes(tile.body));
      },
  };
  // A hash tile is exactly 32 bytes per hash; a data tile holds up to 256 entries, each
  // with its certificate and chain fingerprints (budgeted like get-entries' entries).
  const size_t max_body_bytes = level ? size_t{kTileWidth} * kHashBytes : GetEntriesBodyLimit(kTileWidth);
  return FetchInOrder(http_, clock_,
                      {.retry = options_.retry,
                       .max_in_flight = options_.max_requests_in_flight,
                       .max_body_bytes = max_body_bytes,
                       .retry_lookahead_bytes = options_.retry_lookahead_bytes},
                      first_tile, end_tile_exclusive, policy);
}

}  // namespace pinwatch::ctlog
