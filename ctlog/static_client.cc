#include "ctlog/static_client.h"

#include <algorithm>
#include <map>
#include <memory>
#include <random>
#include <utility>

#include "base/encoding.h"
#include "ctlog/tile.h"

namespace pinwatch::ctlog {
namespace {

constexpr size_t kHashBytes = 32;

// Slot is one tile of a FetchTiles call still to be fetched, with its retry state.
struct Slot {
  uint64_t index = 0;
  uint16_t width = 0;
  // Set once the partial tile answered 404: ask for the full tile instead.
  bool ask_full = false;
  Backoff backoff;
  std::chrono::system_clock::time_point due{};
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
  Result<HttpResponse> r = GetWithRetry(http_, prefix_ + "/checkpoint", options_.retry, clock_);
  if (!r.ok()) return r.status();
  return std::move(r->body);
}

Result<std::vector<uint8_t>> StaticCtClient::GetIssuer(const Hash& fingerprint) {
  const std::string url = prefix_ + "/" + IssuerPath(fingerprint);
  Result<HttpResponse> r = GetWithRetry(http_, url, options_.retry, clock_, [&](const HttpResponse& response) {
    if (Sha256Of(AsBytes(response.body)) != fingerprint) {
      return MalformedError(url + ": issuer certificate does not hash to its fingerprint");
    }
    return OkStatus();
  });
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
  const size_t max_in_flight = options_.max_requests_in_flight;
  std::random_device seeder;

  std::map<uint64_t, Slot> pending;  // waiting out a retry delay, by tile index
  std::map<HttpClient::RequestId, Slot> in_flight;
  // Tiles waiting for their turn; each body is cut to its asked width.
  std::map<uint64_t, std::pair<uint16_t, std::unique_ptr<std::string>>> ready;
  uint64_t next_new = first_tile;
  uint64_t next_deliver = first_tile;

  auto cancel_all = [&] {
    for (auto& [id, slot] : in_flight) http_.Cancel(id);
  };
  auto url_for = [&](const Slot& s) {
    const uint16_t width = s.ask_full ? kTileWidth : s.width;
    return prefix_ + "/" + (level ? TilePath(*level, s.index, width) : DataTilePath(s.index, width));
  };

  while (next_deliver < end_tile_exclusive) {
    const auto now = clock_.Now();
    while (in_flight.size() < max_in_flight) {
      std::optional<Slot> next;
      for (auto it = pending.begin(); it != pending.end(); ++it) {
        if (it->second.due <= now) {
          next = std::move(it->second);
          pending.erase(it);
          break;
        }
      }
      if (!next && next_new < end_tile_exclusive) {
        const bool window_full = ready.size() + in_flight.size() >= 2 * max_in_flight;
        if (window_full && next_new != next_deliver) break;
        const uint16_t width = width_of(next_new);
        if (width == 0 || width > kTileWidth) {
          cancel_all();
          return InternalError("tile " + std::to_string(next_new) + " is beyond the tree");
        }
        next.emplace(Slot{.index = next_new,
                          .width = width,
                          .backoff = Backoff(options_.retry, seeder())});
        ++next_new;
      }
      if (!next) break;
      const HttpClient::RequestId id = http_.Start(url_for(*next));
      in_flight.emplace(id, std::move(*next));
    }

    if (in_flight.empty()) {
      if (pending.empty()) return InternalError("tile fetch: nothing to fetch before the end");
      auto earliest = std::min_element(pending.begin(), pending.end(), [](auto& a, auto& b) {
                        return a.second.due < b.second.due;
                      })->second.due;
      clock_.SleepFor(std::chrono::ceil<std::chrono::milliseconds>(earliest - clock_.Now()));
      continue;
    }

    auto wait = std::chrono::milliseconds(1000);
    for (auto& [i, slot] : pending) {
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(slot.due - now));
    }
    std::optional<HttpClient::Completion> done =
        http_.Wait(std::max(wait, std::chrono::milliseconds(0)));
    if (!done) continue;
    auto node = in_flight.extract(done->id);
    if (node.empty()) continue;
    Slot slot = std::move(node.mapped());
    const std::string url = url_for(slot);

    if (done->response.ok() && done->response->status_code == 404 && slot.width < kTileWidth &&
        !slot.ask_full) {
      // The log may have replaced the partial tile by the full one.
      slot.ask_full = true;
      pending.emplace(slot.index, std::move(slot));
      continue;
    }
    AttemptOutcome outcome = OutcomeOf(done->response, "GET " + url, clock_.Now());
    if (!outcome.status.ok()) {
      auto delay = slot.backoff.NextDelay(outcome.status, outcome.retry_after);
      if (!delay) {
        cancel_all();
        return Status(outcome.status.code(),
                      outcome.status.message() + " (after " +
                          std::to_string(slot.backoff.attempts_failed()) + " attempt(s))");
      }
      slot.due = clock_.Now() + *delay;
      pending.emplace(slot.index, std::move(slot));
      continue;
    }
    auto body = std::make_unique<std::string>(std::move(done->response->body));
    Result<size_t> keep = NormalizeTile(level, slot.index, slot.width, AsBytes(*body), url);
    if (!keep.ok()) {
      // A cut or garbled tile may come from a cache or frontend: retry, and report
      // kMalformed only if the log keeps serving it.
      auto delay = slot.backoff.NextDelay(UnavailableError(keep.status().message()), std::nullopt);
      if (!delay) {
        cancel_all();
        return Status(Code::kMalformed, keep.status().message() + " (after " +
                                            std::to_string(slot.backoff.attempts_failed()) + " attempt(s))");
      }
      slot.due = clock_.Now() + *delay;
      pending.emplace(slot.index, std::move(slot));
      continue;
    }
    body->resize(*keep);
    ready.emplace(slot.index, std::make_pair(slot.width, std::move(body)));

    while (!ready.empty() && ready.begin()->first == next_deliver) {
      const auto& [width, tile] = ready.begin()->second;
      if (Status s = sink(next_deliver, width, AsBytes(*tile)); !s.ok()) {
        cancel_all();
        return s;
      }
      ++next_deliver;
      ready.erase(ready.begin());
    }
  }
  return OkStatus();
}

}  // namespace pinwatch::ctlog
