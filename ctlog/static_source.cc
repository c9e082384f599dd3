// LogSource over the C2SP static-ct-api: a signed checkpoint, data tiles, hash tiles (to
// start at the end of a log), issuers, and get-roots on the submission side.
#include <algorithm>
#include <array>
#include <string>
#include <utility>

#include "base/encoding.h"

#include "ctlog/checkpoint.h"
#include "ctlog/log_source.h"
#include "ctlog/rfc6962_client.h"
#include "ctlog/static_client.h"
#include "ctlog/tile.h"

namespace pinwatch::ctlog {
namespace {

class StaticCtSource final : public LogSource {
 public:
  StaticCtSource(std::string monitoring_url, std::string submission_url, std::string origin, LogKey key,
                 const LogSourceOptions& options)
      : stop_clock_(),
        clock_(log_source_internal::ClockOf(options, stop_clock_)),
        description_(monitoring_url),
        submission_url_(std::move(submission_url)),
        options_(options),
        origin_(std::move(origin)),
        key_(std::move(key)),
        client_(std::move(monitoring_url), StaticCtClientOptions{
                                               .http = log_source_internal::HttpOptionsOf(options),
                                               .retry = options.retry,
                                               .max_requests_in_flight = options.max_requests_in_flight,
                                               .retry_lookahead_bytes = options.retry_lookahead_bytes,
                                               .clock = clock_,
                                           }) {}

  Result<TreeHeadAnswer> FetchTreeHead() override {
    auto note = client_.GetCheckpoint();
    if (!note.ok()) return note.status();
    auto heads = ParseRfc6962CheckpointHeads(*note, origin_, key_);
    if (!heads.ok()) {
      return Status(heads.status().code(), "checkpoint from " + description_ + ": " + heads.status().message());
    }
    // Every line from the log's key must verify (VerifyRfc6962Checkpoint); the first that
    // does not is the evidence.
    for (SignedTreeHead& head : *heads) {
      if (Status s = VerifySignedTreeHead(head, key_); !s.ok()) {
        Status why(s.code(), "checkpoint from " + description_ + ": checkpoint: " + s.message());
        if (s.code() != Code::kMisbehaviour) return why;
        return TreeHeadAnswer{.head = std::move(head), .signature = std::move(why)};
      }
    }
    // Every line carries the same size; the leaf_index extension bounds it at 2^40.
    for (const SignedTreeHead& head : *heads) {
      if (Status s = CheckTreeHeadBounds(head, kLeafIndexLimit, log_source_internal::UnixNowMsOn(clock_)); !s.ok()) {
        return Status(s.code(), "checkpoint from " + description_ + ": " + s.message());
      }
    }
    return TreeHeadAnswer{.head = std::move(heads->front())};
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
            e.timestamped_entry = leaf.timestamped_entry;
            e.pre_certificate = leaf.pre_certificate;
            e.chain_fingerprints = leaf.certificate_chain_bytes;
          }
          return sink(entries_);
        });
  }

  // TreeRangeAt computes the compact range of [0, N), N = head.tree_size, from hash tiles.
  // The range is the root of one perfect subtree per set bit k of N, left to right (k
  // descending); the subtree for bit k is node (N >> k) - 1 at Merkle level k. With
  // k = 8L + j (0 <= j < 8) that node is the root of the 2^j level-8L nodes
  // [((N >> k) - 1) << j, (N >> k) << j), which lie in the last, partial tile of tile level
  // L: index M / 256, width W = M mod 256 where M = N >> 8L, the bits j being those of W.
  // So one tile per tile level with W > 0 covers it: at most 6 requests, whatever N is.
  Result<CompactRange> TreeRangeAt(const SignedTreeHead& head) override {
    const uint64_t n = head.tree_size;
    if (n > kLeafIndexLimit) {
      return MalformedError("checkpoint from " + description_ + ": tree size " + std::to_string(n) +
                            " is beyond static-ct-api's 2^40 entries");
    }
    std::vector<Hash> hashes;  // left to right: highest tile level first
    for (unsigned level = kMaxTileLevel + 1; level-- > 0;) {
      const uint64_t nodes = n >> (8 * level);  // level-8L nodes in the tree
      const auto width = static_cast<uint16_t>(nodes % kTileWidth);
      if (width == 0) continue;
      auto bytes = client_.GetHashTile(level, nodes / kTileWidth, width);
      if (!bytes.ok()) return bytes.status();
      auto tile = ParseHashTile(*bytes, width);
      if (!tile.ok()) return tile.status();  // GetHashTile checked the size: not reached
      for (unsigned j = 8; j-- > 0;) {
        if (((width >> j) & 1) == 0) continue;
        const size_t begin = (size_t{width} >> j << j) - (size_t{1} << j);
        hashes.push_back(PerfectSubtreeRoot(std::span(*tile).subspan(begin, size_t{1} << j)));
      }
    }
    auto range = CompactRange::Create(n, std::move(hashes));
    if (!range.ok()) return InternalError("TreeRangeAt: " + range.status().message());  // our bug
    const Hash root = range->Root();
    if (root != head.root_hash) {
      return MisbehaviourError(description_ + ": the hash tiles of tree size " + std::to_string(n) +
                               " hash to root " + Base64Encode(root) + ", but the checkpoint of size " +
                               std::to_string(n) + " signs root " + Base64Encode(head.root_hash));
    }
    return std::move(*range);
  }

  // Issuer fetches /issuer/<hex>. StaticCtClient::GetIssuer retries answers that do not hash
  // to the fingerprint and returns kMalformed only when every answer failed that check: an
  // address the log itself made content-addressed, so that is the log's fault.
  Result<std::vector<uint8_t>> Issuer(const Hash& fingerprint) override {
    auto der = client_.GetIssuer(fingerprint);
    if (der.ok() && Sha256Of(*der) == fingerprint) return der;
    if (der.ok() || der.status().code() == Code::kMalformed) {
      return MisbehaviourError(description_ + ": issuer " + HexEncode(fingerprint) +
                               " is served as a certificate with another SHA-256");
    }
    return der.status();
  }

  // FetchRoots asks the submission prefix: static-ct-api logs keep RFC 6962's get-roots on
  // their write side (c2sp.org/static-ct-api, "Submission APIs"), not among the tiles.
  Result<std::vector<std::vector<uint8_t>>> FetchRoots() override {
    if (!roots_client_) {
      roots_client_.emplace(submission_url_, Rfc6962ClientOptions{
                                                 .http = log_source_internal::HttpOptionsOf(options_),
                                                 .retry = options_.retry,
                                                 .clock = clock_,
                                             });
    }
    return roots_client_->GetRoots();
  }

  const std::string& Description() const override { return description_; }

 private:
  // PerfectSubtreeRoot returns the Merkle root over `nodes`, a power-of-two count (<= 256)
  // of consecutive nodes of one level whose first index is a multiple of that count.
  static Hash PerfectSubtreeRoot(std::span<const Hash> nodes) {
    std::array<Hash, kTileWidth> level;
    std::copy(nodes.begin(), nodes.end(), level.begin());
    for (size_t count = nodes.size(); count > 1; count /= 2) {
      for (size_t i = 0; i < count / 2; ++i) level[i] = HashChildren(level[2 * i], level[2 * i + 1]);
    }
    return level[0];
  }

  std::optional<StopAwareClock> stop_clock_;  // before the client, which borrows it
  Clock* clock_;                              // nullptr: the system clock
  std::string description_;
  std::string submission_url_;
  LogSourceOptions options_;  // for the get-roots client, made on first use
  std::string origin_;
  LogKey key_;
  StaticCtClient client_;
  std::optional<Rfc6962Client> roots_client_;  // <submission_url>ct/v1/get-roots
  Sha256 sha_;
  std::vector<LogEntry> entries_;
};

}  // namespace

std::string DefaultOrigin(std::string_view submission_url) {
  if (size_t scheme = submission_url.find("://"); scheme != std::string_view::npos) {
    submission_url.remove_prefix(scheme + 3);
  }
  while (!submission_url.empty() && submission_url.back() == '/') submission_url.remove_suffix(1);
  return std::string(submission_url);
}

std::unique_ptr<LogSource> NewStaticCtSource(std::string monitoring_url, std::string submission_url,
                                             std::string origin, LogKey key, LogSourceOptions options) {
  return std::make_unique<StaticCtSource>(std::move(monitoring_url), std::move(submission_url), std::move(origin),
                                          std::move(key), options);
}

}  // namespace pinwatch::ctlog
