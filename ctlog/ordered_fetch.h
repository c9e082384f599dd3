// FetchInOrder: the pipelined, order-preserving range fetch behind
// Rfc6962Client::GetEntries (pieces are get-entries batches) and StaticCtClient's tile
// ranges (pieces are tiles). It cuts a range [start, end_exclusive) of units (entries,
// tiles) into pieces, keeps up to max_in_flight GETs of them on one net::HttpClient, retries
// each piece under its own Backoff, buffers answers that arrive early and hands them to
// the caller strictly in order. What a piece's URL is and what makes an answer good is
// the caller's policy (FetchPolicy); the scheduling lives here once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "base/status.h"
#include "net/http.h"
#include "ctlog/retry.h"

namespace pinwatch::ctlog {

// PieceUrl says which URL a piece is asked under: its own, or (after the first one
// answered 404) the fallback the policy offers, e.g. the full tile for a partial one.
enum class PieceUrl { kPrimary, kFallback };

// FetchPiece is one request's share of the range: units [start, end_exclusive).
struct FetchPiece {
  uint64_t start = 0;
  uint64_t end_exclusive = 0;
  PieceUrl url = PieceUrl::kPrimary;
};

// AcceptedPiece is a good answer to a piece: `answer` covers units [piece.start,
// covered_end), where piece.start < covered_end <= piece.end_exclusive. A covered_end
// short of the piece's end makes FetchInOrder ask for the rest, [covered_end,
// piece.end_exclusive), as a new piece with fresh retries.
template <class Answer>
struct AcceptedPiece {
  std::unique_ptr<Answer> answer;
  uint64_t covered_end = 0;
};

// FetchPolicy is what FetchInOrder needs to know about one kind of piece. Answer is the
// parsed form kept until its turn; it lives on the heap and is never moved, so views in
// it may alias bytes it owns. The callbacks run on the calling thread, one at a time.
template <class Answer>
struct FetchPolicy {
  // piece_end returns the end_exclusive of the new piece that starts at `start` (more
  // than start, at most the range's end), or an error that ends the fetch as it is
  // (e.g. kInternal for a tile beyond the tree).
  std::function<Result<uint64_t>(uint64_t start)> piece_end;
  // url returns the URL to GET for `piece`.
  std::function<std::string(const FetchPiece& piece)> url;
  // has_fallback, if set, says whether a 404 for `piece` under its primary URL should
  // be answered by asking its PieceUrl::kFallback URL (immediately, using no attempt).
  std::function<bool(const FetchPiece& piece)> has_fallback = nullptr;
  // judge parses the body of a 2xx answer to `piece` (fetched from `url`; the body is
  // the caller's to keep). Any error is retried like a 5xx (caches and frontends do
  // serve cut or garbled bodies now and then); its code is what FetchInOrder returns if
  // every attempt gets one, and its message should name the URL.
  std::function<Result<AcceptedPiece<Answer>>(const FetchPiece& piece, const std::string& url,
                                              std::string&& body)>
      judge;
  // deliver hands the answer for units [start, ...) to the caller; it is called in
  // range order, each unit exactly once. A non-OK Status stops the fetch and is returned.
  std::function<Status(uint64_t start, const Answer& answer)> deliver;
};

// FetchOptions bound one FetchInOrder call.
struct FetchOptions {
  // Each piece's attempts and delays (a piece retries on its own Backoff).
  RetryPolicy retry = {};
  // Requests in flight at once (0 is treated as 1). Beyond the piece at the head of the
  // range, answers buffered plus pieces in flight or waiting stay under a window of
  // 2 * max_in_flight pieces.
  size_t max_in_flight = 1;
  // The largest body one piece may have (0: the client's default; net::HttpClient::Start).
  // Memory for a fetch is then at most about 2 * max_in_flight * max_body_bytes, plus the
  // grown window below.
  size_t max_body_bytes = 0;
  // While a piece waits out a retry delay the window grows, up to 64 * max_in_flight
  // pieces, as long as the bodies of the answers buffered stay under this many bytes, so
  // that the fetch goes on behind a failing piece instead of stalling (0: never grows).
  size_t retry_lookahead_bytes = kDefaultRetryLookaheadBytes;
};

namespace ordered_fetch_internal {
// UntypedPolicy is FetchPolicy with the answers kept by the caller (FetchInOrder below).
struct UntypedPolicy {
  std::function<Result<uint64_t>(uint64_t)> piece_end;
  std::function<std::string(const FetchPiece&)> url;
  std::function<bool(const FetchPiece&)> has_fallback;
  // Returns covered_end; the answer is kept by the caller under piece.start.
  std::function<Result<uint64_t>(const FetchPiece&, const std::string&, std::string&&)> judge;
  // Delivers the kept answer that starts at `start`.
  std::function<Status(uint64_t start)> deliver;
};
Status Run(net::HttpClient& http, Clock& clock, const FetchOptions& options, uint64_t start,
           uint64_t end_exclusive, const UntypedPolicy& policy);
}  // namespace ordered_fetch_internal

// FetchInOrder fetches units [start, end_exclusive) piece by piece as `policy` says and
// delivers every unit exactly once, in order. Returns OK once all were delivered (an
// empty range makes no request), or else the first final error, after cancelling the
// other requests in flight:
//   * a transport failure or HTTP status (see net::CheckHttpStatus), retried while it is
//     kUnavailable and attempts remain; the message ends "(after N attempt(s))";
//   * a judge error that persisted through all attempts, with the judge's code;
//   * a piece_end error or a deliver error, unchanged.
// Units already delivered stay delivered. start > end_exclusive is kInternal. Sleeps on
// `clock` while every remaining piece waits out a retry delay. Blocking; uses `http`
// exclusively for the duration (it must have nothing else in flight), so it has the
// thread-safety of `http`.
template <class Answer>
Status FetchInOrder(net::HttpClient& http, Clock& clock, const FetchOptions& options, uint64_t start,
                    uint64_t end_exclusive, const FetchPolicy<Answer>& policy) {
  std::map<uint64_t, std::unique_ptr<Answer>> ready;  // by piece start
  return ordered_fetch_internal::Run(
      http, clock, options, start, end_exclusive,
      {.piece_end = policy.piece_end,
       .url = policy.url,
       .has_fallback = policy.has_fallback,
       .judge = [&](const FetchPiece& piece, const std::string& url,
                    std::string&& body) -> Result<uint64_t> {
         Result<AcceptedPiece<Answer>> accepted = policy.judge(piece, url, std::move(body));
         if (!accepted.ok()) return accepted.status();
         ready.emplace(piece.start, std::move(accepted->answer));
         return accepted->covered_end;
       },
       .deliver = [&](uint64_t first) {
         auto node = ready.extract(first);
         return policy.deliver(first, *node.mapped());
       }});
}

}  // namespace pinwatch::ctlog
