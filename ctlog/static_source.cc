// LogSource over the C2SP static-ct-api: a signed checkpoint and data tiles.
#include <utility>

#include "ctlog/checkpoint.h"
#include "ctlog/log_source.h"
#include "ctlog/static_client.h"
#include "ctlog/tile.h"

namespace pinwatch::ctlog {
namespace {

class StaticCtSource final : public LogSource {
 public:
  StaticCtSource(std::string monitoring_url, std::string origin, LogKey key, const LogSourceOptions& options)
      : description_(monitoring_url),
        origin_(std::move(origin)),
        key_(std::move(key)),
        client_(std::move(monitoring_url), StaticCtClientOptions{
                                               .http = {.total_timeout_ms = options.request_timeout_ms},
                                               .retry = options.retry,
                                               .max_requests_in_flight = options.max_requests_in_flight,
                                               .clock = options.clock,
                                           }) {}

  Result<SignedTreeHead> LatestTreeHead() override {
    auto note = client_.GetCheckpoint();
    if (!note.ok()) return note.status();
    auto sth = VerifyRfc6962Checkpoint(*note, origin_, key_);
    if (!sth.ok()) {
      return Status(sth.status().code(), "checkpoint from " + description_ + ": " + sth.status().message());
    }
    return sth;
  }

  Result<std::vector<Hash>> ConsistencyProof(uint64_t, uint64_t) override {
    return std::vector<Hash>{};  // tiled logs serve no proofs; the root check covers it
  }

  Status Entries(uint64_t start, uint64_t end_exclusive, uint64_t tree_size,
                 const LogEntrySink& sink) override {
    if (start >= end_exclusive) return OkStatus();
    const uint64_t first_tile = start / kTileWidth;
    const uint64_t end_tile = (end_exclusive + kTileWidth - 1) / kTileWidth;
    return client_.GetDataTiles(
        tree_size, first_tile, end_tile,
        [&](uint64_t tile_index, uint16_t width, std::span<const uint8_t> bytes) -> Status {
          auto tile = ParseDataTile(bytes, tile_index, width);
          if (!tile.ok()) {
            // Tiles are immutable and the log signed a root over their leaves: a tile that
            // does not parse is the log's fault, and no entry of it can be hashed.
            return MisbehaviourError("data tile " + std::to_string(tile_index) + " (width " +
                                     std::to_string(width) + ") from " + description_ + ": " +
                                     tile.status().message());
          }
          entries_.clear();
          for (const TileLeafView& leaf : *tile) {
            if (leaf.leaf_index < start || leaf.leaf_index >= end_exclusive) continue;
            LogEntry& e = entries_.emplace_back();
            e.index = leaf.leaf_index;
            e.leaf_hash = leaf.MerkleLeafHash(sha_);
            e.status = VerifyLeafIndex(leaf);
            e.entry = leaf.timestamped_entry;
            e.pre_certificate = leaf.pre_certificate;
            e.chain_fingerprints = leaf.certificate_chain_bytes;
          }
          return sink(entries_);
        });
  }

  const std::string& Description() const override { return description_; }

 private:
  std::string description_;
  std::string origin_;
  LogKey key_;
  StaticCtClient client_;
  Sha256 sha_;
  std::vector<LogEntry> entries_;
};

}  // namespace

std::unique_ptr<LogSource> NewStaticCtSource(std::string monitoring_url, std::string origin, LogKey key,
                                             LogSourceOptions options) {
  return std::make_unique<StaticCtSource>(std::move(monitoring_url), std::move(origin), std::move(key),
                                          options);
}

}  // namespace pinwatch::ctlog
