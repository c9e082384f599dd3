#include "ctlog/ordered_fetch.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>

namespace pinwatch::ctlog::ordered_fetch_internal {
namespace {

// Pending is a piece still to be fetched, with its retry state.
struct Pending {
  FetchPiece piece;
  Backoff backoff;
  std::chrono::system_clock::time_point due{};  // not before this (after a retry delay)
};

}  // namespace

Status Run(net::HttpClient& http, Clock& clock, const FetchOptions& options, uint64_t start,
           uint64_t end_exclusive, const UntypedPolicy& policy) {
  if (start > end_exclusive) {
    return InternalError("FetchInOrder: start " + std::to_string(start) + " > end_exclusive " +
                         std::to_string(end_exclusive));
  }
  const size_t max_in_flight = std::max<size_t>(options.max_in_flight, 1);
  std::random_device seeder;

  std::map<uint64_t, Pending> waiting;  // by piece start; pieces never overlap
  std::map<net::HttpClient::RequestId, Pending> in_flight;
  struct Accepted {
    uint64_t covered_end;
    size_t body_bytes;
  };
  std::map<uint64_t, Accepted> ready;  // accepted, by piece start
  size_t buffered_bytes = 0;           // the bodies of the answers in `ready`
  uint64_t next_new = start;           // units below this belong to some piece
  uint64_t next_deliver = start;

  auto cancel_all = [&] {
    for (auto& [id, p] : in_flight) http.Cancel(id);
  };

  while (next_deliver < end_exclusive) {
    // Issue requests: pieces whose retry delay is over first (lowest start first), then
    // new pieces. Beyond the head, ready answers plus pieces in flight or waiting stay
    // under a window of 2 * max_in_flight, so a slow head bounds the memory held for later
    // pieces.
    const auto now = clock.Now();
    while (in_flight.size() < max_in_flight) {
      std::optional<Pending> next;
      for (auto it = waiting.begin(); it != waiting.end(); ++it) {
        if (it->second.due <= now) {
          next = std::move(it->second);
          waiting.erase(it);
          break;
        }
      }
      if (!next && next_new < end_exclusive) {
        // While a piece waits out its retry delay the window grows, within a byte budget,
        // so that the fetch goes on behind it instead of stalling: with 20% of requests
        // failing the fixed window made a backfill take 4.9x the clean wall time
        // (bench/faults_bench.sh, docs/reliability.md).
        const bool grow = !waiting.empty() &&
                          buffered_bytes < options.retry_lookahead_bytes;
        const size_t window = (grow ? 64 : 2) * max_in_flight;
        const bool window_full = ready.size() + waiting.size() + in_flight.size() >= window;
        if (window_full && next_new != next_deliver) break;
        Result<uint64_t> piece_end = policy.piece_end(next_new);
        if (!piece_end.ok()) {
          cancel_all();
          return piece_end.status();
        }
        if (*piece_end <= next_new || *piece_end > end_exclusive) {
          cancel_all();
          return InternalError("FetchInOrder: piece [" + std::to_string(next_new) + ", " +
                               std::to_string(*piece_end) + ") outside the range");
        }
        next.emplace(Pending{.piece = {.start = next_new, .end_exclusive = *piece_end},
                             .backoff = Backoff(options.retry, seeder())});
        next_new = *piece_end;
      }
      if (!next) break;
      const net::HttpClient::RequestId id = http.Start(policy.url(next->piece), options.max_body_bytes);
      in_flight.emplace(id, std::move(*next));
    }

    if (in_flight.empty()) {
      // Everything left is waiting out a retry delay.
      if (waiting.empty()) return InternalError("FetchInOrder: nothing to fetch before the end");
      auto earliest = std::min_element(waiting.begin(), waiting.end(), [](auto& a, auto& b) {
                        return a.second.due < b.second.due;
                      })->second.due;
      clock.SleepFor(std::chrono::ceil<std::chrono::milliseconds>(earliest - clock.Now()));
      continue;
    }

    // Wake up in time for the earliest retry, at the latest after a second. With every
    // slot busy a due retry cannot start anyway, so then only a completion matters (waking
    // for the retry would spin: it stays due until a slot frees).
    auto wait = std::chrono::milliseconds(1000);
    if (in_flight.size() < max_in_flight) {
      for (auto& [s, p] : waiting) {
        wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(p.due - now));
      }
    }
    std::optional<net::HttpClient::Completion> done =
        http.Wait(std::max(wait, std::chrono::milliseconds(0)));
    if (!done) continue;
    auto node = in_flight.extract(done->id);
    if (node.empty()) continue;  // cancelled earlier; cannot happen, but harmless
    Pending p = std::move(node.mapped());
    const std::string url = policy.url(p.piece);

    if (done->response.ok() && done->response->status_code == 404 &&
        p.piece.url == PieceUrl::kPrimary && policy.has_fallback && policy.has_fallback(p.piece)) {
      p.piece.url = PieceUrl::kFallback;
      waiting.emplace(p.piece.start, std::move(p));
      continue;
    }

    AttemptOutcome outcome = OutcomeOf(done->response, "GET " + url, clock.Now());
    Code final_code = outcome.status.code();
    uint64_t covered_end = 0;
    const size_t body_bytes = done->response.ok() ? done->response->body.size() : 0;
    if (outcome.status.ok()) {
      Result<uint64_t> judged = policy.judge(p.piece, url, std::move(done->response->body));
      if (judged.ok()) {
        covered_end = *judged;
      } else {
        final_code = judged.status().code();
        outcome.status = UnavailableError(judged.status().message());
      }
    }
    if (!outcome.status.ok()) {
      auto delay = p.backoff.NextDelay(outcome.status, outcome.retry_after);
      if (!delay) {
        cancel_all();
        return Status(final_code, outcome.status.message() + " (after " +
                                      std::to_string(p.backoff.attempts_failed()) +
                                      " attempt(s))");
      }
      if (options.retry.on_retry) options.retry.on_retry(outcome.status, *delay);
      p.due = clock.Now() + *delay;
      waiting.emplace(p.piece.start, std::move(p));
      continue;
    }
    if (covered_end <= p.piece.start || covered_end > p.piece.end_exclusive) {
      cancel_all();
      return InternalError(url + ": judged to cover up to " + std::to_string(covered_end) +
                           ", outside the piece");
    }

    if (covered_end < p.piece.end_exclusive) {
      // Short answer: ask for the rest, from where the answer stopped, with fresh retries.
      const FetchPiece rest = {.start = covered_end, .end_exclusive = p.piece.end_exclusive};
      waiting.emplace(covered_end,
                      Pending{.piece = rest, .backoff = Backoff(options.retry, seeder())});
    }
    ready.emplace(p.piece.start, Accepted{covered_end, body_bytes});
    buffered_bytes += body_bytes;

    while (!ready.empty() && ready.begin()->first == next_deliver) {
      if (Status s = policy.deliver(next_deliver); !s.ok()) {
        cancel_all();
        return s;
      }
      next_deliver = ready.begin()->second.covered_end;
      buffered_bytes -= ready.begin()->second.body_bytes;
      ready.erase(ready.begin());
    }
  }
  return OkStatus();
}

}  // namespace pinwatch::ctlog::ordered_fetch_internal
