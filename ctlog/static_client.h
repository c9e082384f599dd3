// StaticCtClient: the read path of a C2SP static-ct-api log (https://c2sp.org/static-ct-api):
// checkpoint, hash tiles, data tiles and issuers under the log's monitoring prefix, with
// retries and a pipelined, order-preserving tile range fetch. It fetches and frames
// tiles; verifying the checkpoint (checkpoint.h) and the tree is the caller's job.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/http.h"
#include "ctlog/retry.h"
#include "ctlog/sha256.h"

namespace pinwatch::ctlog {

// StaticCtClientOptions configure a StaticCtClient. Every field has a usable default.
struct StaticCtClientOptions {
  net::HttpOptions http = {};
  RetryPolicy retry = {};
  // Tile requests kept in flight at once by GetDataTiles/GetHashTiles. 0 is treated as 1.
  size_t max_requests_in_flight = 4;
  // Bytes of answers held past a piece that waits out a retry delay (FetchOptions).
  size_t retry_lookahead_bytes = kDefaultRetryLookaheadBytes;
  // Time source for retry delays; nullptr means SystemClock(). Not owned; must outlive
  // the client.
  Clock* clock = nullptr;
};

// TileSink receives tiles in index order: `tile` holds exactly `width` hashes (hash tiles)
// or `width` TileLeaf entries (data tiles, already validated by ParseDataTile, so
// ParseDataTile(tile, tile_index, width) succeeds). The bytes are valid during the call
// only. A non-OK Status stops the fetch, which returns it.
using TileSink =
    std::function<Status(uint64_t tile_index, uint16_t width, std::span<const uint8_t> tile)>;

class StaticCtClient {
 public:
  // StaticCtClient reads the log whose monitoring prefix (the log list's
  // "monitoring_url", e.g. "https://navigli2025h2.sunlight.geomys.org/", with or without
  // a trailing slash) is `monitoring_url`.
  explicit StaticCtClient(std::string monitoring_url, StaticCtClientOptions options = {});

  // Every method retries kUnavailable failures (transport errors, 429, 5xx) under
  // options.retry, then returns:
  //   kUnavailable         the log stayed unreachable or overloaded through all attempts
  //   kFailedPrecondition  the log refused the request (4xx other than 429, e.g. a 404
  //                        for a tile it does not have)
  //   kMalformed           the bytes are not what static-ct-api prescribes (never retried)
  // Messages name the URL. Not thread-safe: one client per thread.
  //
  // Partial tiles (width < 256): the spec lets a log serve the full tile in place of a
  // partial one, and delete a partial tile once the full tile exists. So a full tile
  // answered to a partial request is accepted and cut to the first `width` entries (or
  // hashes), and a 404 for a partial tile is followed by a request for the full tile.

  // GetCheckpoint returns the raw text of <prefix>/checkpoint (a signed note; NOT
  // verified: see checkpoint.h).
  Result<std::string> GetCheckpoint();

  // GetDataTile returns data tile `index` (<prefix>/tile/data/<N>[.p/<W>]) holding `width`
  // entries (1..256; 256 asks for the full tile), gzip already undone, validated by
  // ParseDataTile and holding exactly `width` entries. width outside 1..256 is kInternal.
  Result<std::vector<uint8_t>> GetDataTile(uint64_t index, uint16_t width);

  // GetHashTile returns hash tile `index` at `level` (0..5) holding `width` hashes
  // (width * 32 bytes; 1..256). Arguments out of range are kInternal.
  Result<std::vector<uint8_t>> GetHashTile(unsigned level, uint64_t index, uint16_t width);

  // GetIssuer returns the DER certificate at <prefix>/issuer/<hex fingerprint>, checked to
  // hash to `fingerprint` (kMalformed otherwise).
  Result<std::vector<uint8_t>> GetIssuer(const Hash& fingerprint);

  // GetDataTiles fetches data tiles [first_tile, end_tile_exclusive) of the tree of
  // `tree_size` entries (each tile's width follows from tree_size: 256, or the partial
  // tail) and hands them to `sink` in index order, with up to max_requests_in_flight
  // requests at once and at most about twice that many tiles buffered. A tile beyond
  // tree_size is kInternal (the caller's bug). After the first final failure the other
  // requests are cancelled and the error returned; tiles already handed over stay so.
  Status GetDataTiles(uint64_t tree_size, uint64_t first_tile, uint64_t end_tile_exclusive,
                      const TileSink& sink);
  // GetHashTiles is GetDataTiles for hash tiles at `level`.
  Status GetHashTiles(unsigned level, uint64_t tree_size, uint64_t first_tile,
                      uint64_t end_tile_exclusive, const TileSink& sink);

  const std::string& monitoring_url() const { return prefix_; }

 private:
  // level is nullopt for data tiles. width_of(index) gives each tile's width (0: beyond
  // the tree).
  Status FetchTiles(std::optional<unsigned> level, uint64_t first_tile,
                    uint64_t end_tile_exclusive, const std::function<uint16_t(uint64_t)>& width_of,
                    const TileSink& sink);
  Result<std::vector<uint8_t>> FetchOne(std::optional<unsigned> level, uint64_t index,
                                        uint16_t width);

  std::string prefix_;  // without a trailing slash
  StaticCtClientOptions options_;
  Clock& clock_;
  net::HttpClient http_;
};

}  // namespace pinwatch::ctlog
