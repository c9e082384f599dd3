#include "ctlog/rfc6962_client.h"

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <utility>

#include "base/encoding.h"
#include "ctlog/ordered_fetch.h"

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
Result<T> Rfc6962Client::FetchParsed(const std::string& url, Result<T> (*parse)(std::string_view),
                                     size_t max_body_bytes) {
  std::optional<T> value;
  Result<net::HttpResponse> r = GetWithRetry(
      http_, url, options_.retry, clock_,
      [&](const net::HttpResponse& response) {
        Result<T> parsed = parse(response.body);
        if (!parsed.ok()) return WithContext(parsed.status(), url);
        value = std::move(*parsed);
        return OkStatus();
      },
      max_body_bytes);
  if (!r.ok()) return r.status();
  return std::move(*value);
}

Result<SignedTreeHead> Rfc6962Client::GetSth() {
  const std::string url = Url("get-sth");
  return FetchParsed(url, &ParseGetSthResponse, kMaxTreeHeadResponseBytes);
}

Result<std::vector<Hash>> Rfc6962Client::GetSthConsistency(uint64_t first, uint64_t second) {
  const std::string url = Url("get-sth-consistency") + "?first=" + std::to_string(first) +
                          "&second=" + std::to_string(second);
  return FetchParsed(url, &ParseGetSthConsistencyResponse, kMaxProofResponseBytes);
}

Result<GetProofByHashResponse> Rfc6962Client::GetProofByHash(const Hash& leaf_hash,
                                                            uint64_t tree_size) {
  const std::string url = Url("get-proof-by-hash") +
                          "?hash=" + PercentEncode(Base64Encode(leaf_hash)) +
                          "&tree_size=" + std::to_string(tree_size);
  return FetchParsed(url, &ParseGetProofByHashResponse, kMaxProofResponseBytes);
}

Result<GetEntryAndProofResponse> Rfc6962Client::GetEntryAndProof(uint64_t leaf_index,
                                                                uint64_t tree_size) {
  const std::string url = Url("get-entry-and-proof") + "?leaf_index=" +
                          std::to_string(leaf_index) + "&tree_size=" + std::to_string(tree_size);
  return FetchParsed(url, &ParseGetEntryAndProofResponse, kMaxEntryAndProofResponseBytes);
}

Result<std::vector<std::vector<uint8_t>>> Rfc6962Client::GetRoots() {
  const std::string url = Url("get-roots");
  return FetchParsed(url, &ParseGetRootsResponse, kMaxResponseBytes);
}

namespace {

// Batch is one get-entries answer waiting for its turn: `entries` alias `body`, so a Batch
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
  const FetchPolicy<Batch> policy = {
      .piece_end = [&](uint64_t first) -> Result<uint64_t> {
        return first + std::min(batch, end_exclusive - first);
      },
      .url =
          [&](const FetchPiece& piece) {
            // get-entries takes an INCLUSIVE end (RFC 6962 §4.6).
            return Url("get-entries") + "?start=" + std::to_string(piece.start) +
                   "&end=" + std::to_string(piece.end_exclusive - 1);
          },
      .judge = [](const FetchPiece& piece, const std::string& url,
                  std::string&& body) -> Result<AcceptedPiece<Batch>> {
        auto answer = std::make_unique<Batch>();
        answer->body = std::move(body);
        // A body that does not parse or holds more entries than asked (the parser stops at
        // the first one too many) ends as kMalformed if the log keeps answering so; zero
        // entries (the log may lag behind its STH) as kUnavailable.
        const uint64_t asked = piece.end_exclusive - piece.start;
        if (Status parsed = ParseGetEntriesResponse(answer->body, answer->entries, asked); !parsed.ok()) {
          return MalformedError(WithContext(parsed, url).message());
        }
        const uint64_t got = answer->entries.size();
        if (got == 0) {
          return UnavailableError(url + ": 0 entries returned, " + std::to_string(asked) +
                                  " asked");
        }
        return AcceptedPiece<Batch>{.answer = std::move(answer), .covered_end = piece.start + got};
      },
      .deliver = [&](uint64_t first, const Batch& answer) { return sink(first, answer.entries); },
  };
  return FetchInOrder(http_, clock_,
                      {.retry = options_.retry,
                       .max_in_flight = options_.max_requests_in_flight,
                       .max_body_bytes = GetEntriesBodyLimit(batch),
                       .retry_lookahead_bytes = options_.retry_lookahead_bytes},
                      start, end_exclusive, policy);
}

}  // namespace pinwatch::ctlog
