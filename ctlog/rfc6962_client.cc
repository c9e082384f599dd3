#include "ctlog/rfc6962_client.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <map>
#include <optional>
#include <random>
#include <utility>

#include "base/encoding.h"

namespace pinwatch::ctlog {
namespace {

// PercentEncode escapes everything but RFC 3986 unreserved characters, for query values
// (base64 uses '+', '/' and '=').
std::string PercentEncode(std::string_view in) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : in) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xf]);
    }
  }
  return out;
}

// WithContext prefixes a parse error with the URL it came from, keeping its code.
Status WithContext(const Status& s, const std::string& url) {
  return Status(s.code(), url + ": " + s.message());
}

}  // namespace

Rfc6962Client::Rfc6962Client(std::string base_url, Rfc6962ClientOptions options)
    : base_url_(std::move(base_url)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock()),
      http_(options_.http) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  options_.entries_per_request = std::max<uint64_t>(options_.entries_per_request, 1);
  options_.max_requests_in_flight = std::max<size_t>(options_.max_requests_in_flight, 1);
}

std::string Rfc6962Client::Url(std::string_view method) const {
  return base_url_ + "/ct/v1/" + std::string(method);
}

template <class T>
Result<T> Rfc6962Client::FetchParsed(const std::string& url, Result<T> (*parse)(std::string_view)) {
  std::optional<T> value;
  Result<HttpResponse> r = GetWithRetry(http_, url, options_.retry, clock_, [&](const HttpResponse& response) {
    Result<T> parsed = parse(response.body);
    if (!parsed.ok()) return WithContext(parsed.status(), url);
    value = std::move(*parsed);
    return OkStatus();
  });
  if (!r.ok()) return r.status();
  return std::move(*value);
}

Result<SignedTreeHead> Rfc6962Client::GetSth() {
  const std::string url = Url("get-sth");
  return FetchParsed(url, &ParseGetSthResponse);
}

Result<std::vector<Hash>> Rfc6962Client::GetSthConsistency(uint64_t first, uint64_t second) {
  const std::string url = Url("get-sth-consistency") + "?first=" + std::to_string(first) +
                          "&second=" + std::to_string(second);
  return FetchParsed(url, &ParseGetSthConsistencyResponse);
}

Result<GetProofByHashResponse> Rfc6962Client::GetProofByHash(const Hash& leaf_hash,
                                                            uint64_t tree_size) {
  const std::string url = Url("get-proof-by-hash") +
                          "?hash=" + PercentEncode(Base64Encode(leaf_hash)) +
                          "&tree_size=" + std::to_string(tree_size);
  return FetchParsed(url, &ParseGetProofByHashResponse);
}

Result<GetEntryAndProofResponse> Rfc6962Client::GetEntryAndProof(uint64_t leaf_index,
                                                                uint64_t tree_size) {
  const std::string url = Url("get-entry-and-proof") + "?leaf_index=" +
                          std::to_string(leaf_index) + "&tree_size=" + std::to_string(tree_size);
  return FetchParsed(url, &ParseGetEntryAndProofResponse);
}

Result<std::vector<std::vector<uint8_t>>> Rfc6962Client::GetRoots() {
  const std::string url = Url("get-roots");
  return FetchParsed(url, &ParseGetRootsResponse);
}

namespace {

// Piece is a sub-range of a GetEntries call still to be fetched, with its retry state.
struct Piece {
  uint64_t start = 0;
  uint64_t end_exclusive = 0;
  Backoff backoff;
  std::chrono::system_clock::time_point due{};  // not before this (after a retry delay)
  // kMalformed when the last failure was a body that does not parse or "more entries than
  // asked", so that a persistent one ends as kMalformed although it is retried.
  Code final_code = Code::kUnavailable;
};

// Batch is a successful answer waiting for its turn: `entries` alias `body`, so a Batch
// lives on the heap and is never moved (moving a short std::string would move its bytes).
struct Batch {
  std::string body;
  std::vector<RawEntry> entries;
};

}  // namespace

Status Rfc6962Client::GetEntries(uint64_t start, uint64_t end_exclusive, const EntrySink& sink) {
  if (start > end_exclusive) {
    return InternalError("GetEntries: start " + std::to_string(start) + " > end_exclusive " +
                         std::to_string(end_exclusive));
  }
  const uint64_t batch = options_.entries_per_request;
  const size_t max_in_flight = options_.max_requests_in_flight;
  std::random_device seeder;

  std::map<uint64_t, Piece> pending;                // by start; ranges never overlap
  std::map<HttpClient::RequestId, Piece> in_flight;
  std::map<uint64_t, std::unique_ptr<Batch>> ready;                 // by first index
  uint64_t next_new = start;                        // ranges below this have pieces
  uint64_t next_deliver = start;

  auto cancel_all = [&] {
    for (auto& [id, piece] : in_flight) http_.Cancel(id);
  };
  auto url_for = [&](const Piece& p) {
    // get-entries takes an INCLUSIVE end (RFC 6962 §4.6).
    return Url("get-entries") + "?start=" + std::to_string(p.start) +
           "&end=" + std::to_string(p.end_exclusive - 1);
  };

  while (next_deliver < end_exclusive) {
    // Issue requests: retried or remaining pieces first (lowest start first), then new
    // ranges. Beyond the head, buffered plus in-flight answers stay under 2 * max_in_flight.
    const auto now = clock_.Now();
    while (in_flight.size() < max_in_flight) {
      std::optional<Piece> next;
      for (auto it = pending.begin(); it != pending.end(); ++it) {
        if (it->second.due <= now) {
          next = std::move(it->second);
          pending.erase(it);
          break;
        }
      }
      if (!next && next_new < end_exclusive) {
        const bool window_full = ready.size() + in_flight.size() >= 2 * max_in_flight;
        if (window_full && next_new != next_deliver) break;
        const uint64_t piece_end = next_new + std::min(batch, end_exclusive - next_new);
        next.emplace(Piece{.start = next_new,
                           .end_exclusive = piece_end,
                           .backoff = Backoff(options_.retry, seeder())});
        next_new = piece_end;
      }
      if (!next) break;
      const HttpClient::RequestId id = http_.Start(url_for(*next));
      in_flight.emplace(id, std::move(*next));
    }

    if (in_flight.empty()) {
      // Everything left is waiting out a retry delay.
      if (pending.empty()) return InternalError("GetEntries: nothing to fetch before the end");
      auto earliest = std::min_element(pending.begin(), pending.end(), [](auto& a, auto& b) {
                        return a.second.due < b.second.due;
                      })->second.due;
      clock_.SleepFor(std::chrono::ceil<std::chrono::milliseconds>(earliest - clock_.Now()));
      continue;
    }

    auto wait = std::chrono::milliseconds(1000);
    for (auto& [s, piece] : pending) {
      wait = std::min(wait, std::chrono::ceil<std::chrono::milliseconds>(piece.due - now));
    }
    std::optional<HttpClient::Completion> done =
        http_.Wait(std::max(wait, std::chrono::milliseconds(0)));
    if (!done) continue;

    auto node = in_flight.extract(done->id);
    if (node.empty()) continue;  // cancelled earlier; cannot happen, but harmless
    Piece piece = std::move(node.mapped());
    const std::string url = url_for(piece);
    AttemptOutcome outcome = OutcomeOf(done->response, "GET " + url, clock_.Now());
    auto answer = std::make_unique<Batch>();
    piece.final_code = Code::kUnavailable;
    if (outcome.status.ok()) {
      answer->body = std::move(done->response->body);
      Status parsed = ParseGetEntriesResponse(answer->body, answer->entries);
      const uint64_t asked = piece.end_exclusive - piece.start;
      if (!parsed.ok()) {
        // Frontends and caches do serve cut or garbled bodies now and then: retry, and
        // report kMalformed only if the log keeps answering so.
        outcome.status = UnavailableError(WithContext(parsed, url).message());
        piece.final_code = Code::kMalformed;
      } else if (answer->entries.empty()) {
        outcome.status = UnavailableError(url + ": 0 entries returned, " + std::to_string(asked) +
                                          " asked");
        piece.final_code = Code::kUnavailable;
      } else if (answer->entries.size() > asked) {
        outcome.status = UnavailableError(url + ": " + std::to_string(answer->entries.size()) +
                                          " entries returned, only " + std::to_string(asked) +
                                          " asked");
        piece.final_code = Code::kMalformed;
      }
    }
    if (!outcome.status.ok()) {
      auto delay = piece.backoff.NextDelay(outcome.status, outcome.retry_after);
      if (!delay) {
        cancel_all();
        const Code code =
            outcome.status.code() == Code::kUnavailable ? piece.final_code : outcome.status.code();
        return Status(code, outcome.status.message() + " (after " +
                                std::to_string(piece.backoff.attempts_failed()) + " attempt(s))");
      }
      piece.due = clock_.Now() + *delay;
      pending.emplace(piece.start, std::move(piece));
      continue;
    }

    const uint64_t got = answer->entries.size();
    if (piece.start + got < piece.end_exclusive) {
      // Short answer: ask for the rest, from where the answer stopped, with fresh retries.
      pending.emplace(piece.start + got,
                      Piece{.start = piece.start + got,
                            .end_exclusive = piece.end_exclusive,
                            .backoff = Backoff(options_.retry, seeder())});
    }
    ready.emplace(piece.start, std::move(answer));

    while (!ready.empty() && ready.begin()->first == next_deliver) {
      const Batch& b = *ready.begin()->second;
      if (Status s = sink(next_deliver, b.entries); !s.ok()) {
        cancel_all();
        return s;
      }
      next_deliver += b.entries.size();
      ready.erase(ready.begin());
    }
  }
  return OkStatus();
}

}  // namespace pinwatch::ctlog
