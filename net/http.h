// HTTP requests over libcurl's multi interface: many in flight on one thread, connections
// kept alive and reused between requests. The log clients GET through it (ctlog/), the
// Alertmanager sender POSTs (alerts/). This header names no curl type; <curl/curl.h> is
// included by http.cc only.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "base/stop_signal.h"

namespace pinwatch::net {

// HttpExchange is what an HttpOptions::on_complete observer learns of one finished request
// (for metrics): no body, nothing to keep. `url` is valid during the call only.
struct HttpExchange {
  std::string_view method;  // "GET" or "POST"
  std::string_view url;
  int64_t status_code = 0;  // the HTTP status; 0 when no answer arrived
  Code transport = Code::kOk;  // the transport error's code when no answer arrived
  double seconds = 0;       // from Start to completion
};

// kDefaultMaxResponseBytes bounds one response body (after gzip decoding). The largest
// legitimate answers are get-entries batches (a few MiB for 1000 entries with chains)
// and full data tiles (256 entries, about 1 MiB); 64 MiB leaves room without letting a
// broken or hostile log exhaust memory.
inline constexpr size_t kDefaultMaxResponseBytes = size_t{64} << 20;

// HttpOptions configure an HttpClient. Every field has a usable default.
struct HttpOptions {
  // Whole-request deadline (connect + send + wait + receive), per attempt.
  int64_t total_timeout_ms = 30'000;
  // Deadline for the TCP (and TLS) handshake alone.
  int64_t connect_timeout_ms = 10'000;
  // A transfer that moves fewer than low_speed_bytes_per_s bytes per second for
  // low_speed_time_ms is aborted as kUnavailable ("Operation too slow"), long before the
  // total deadline: a log that trickles is reported as slow at once. 0 disables.
  int64_t low_speed_bytes_per_s = 1024;
  int64_t low_speed_time_ms = 10'000;
  // When this is stopped, Start fails at once and requests in flight end with kAborted
  // ("stopped"), waking a Wait or Get blocked on sockets. Not owned; nullptr: never.
  const StopSignal* stop = nullptr;
  // A body larger than this aborts the transfer with kMalformed (see HttpClient).
  size_t max_response_bytes = kDefaultMaxResponseBytes;
  // Connections kept open per host; requests beyond this wait for a free connection.
  int64_t max_connections_per_host = 8;
  std::string user_agent = "pinwatch/0.1";
  // Accept-Encoding sent: "gzip" by default, which CT logs and their CDNs serve and which
  // static-ct-api data tiles may arrive in; "" offers everything curl can decode (brotli
  // too, which costs a server far more CPU); "identity" asks for no compression.
  std::string accept_encoding = "gzip";
  // Called on the client's thread once for every request that completes (not for
  // cancelled ones), before its Completion is returned. nullptr: nobody listens.
  std::function<void(const HttpExchange&)> on_complete = nullptr;
};

// HttpPost is the body of a POST request.
struct HttpPost {
  std::string body;
  std::string content_type = "application/json";
};

// HttpResponse is a complete answer from the server, whatever its status code.
struct HttpResponse {
  int64_t status_code = 0;  // e.g. 200, 404, 429
  std::string body = {};    // decoded (Content-Encoding: gzip is undone by the transport)
  // The Retry-After header value of the final response, verbatim, if the server sent one
  // (RFC 9110 §10.2.3: delta-seconds or an HTTP-date; see retry.h ParseRetryAfter).
  std::optional<std::string> retry_after = std::nullopt;
};

// CheckHttpStatus maps an answer's status code to what the caller should do next:
//   2xx                    -> OK
//   429, 5xx               -> kUnavailable (retry with backoff, honouring Retry-After)
//   any other (1xx/3xx/4xx)-> kFailedPrecondition (the log refuses this request, e.g. 404
//                             for a tile not yet published or 400 for a size past the tree;
//                             retrying the same request cannot help, someone must act)
// The message names `what` (e.g. the URL), the code and the start of the body.
Status CheckHttpStatus(const HttpResponse& response, std::string_view what);

class HttpClient {
 public:
  using RequestId = uint64_t;

  // HttpCompletion is one finished request. `response` is an error only when no complete
  // HTTP answer arrived (transport failure); HTTP error codes are responses (see
  // CheckHttpStatus). Transport errors:
  //   kUnavailable        connect failure, DNS failure, timeout, connection reset, a body
  //                       shorter than its Content-Length (all worth retrying)
  //   kMalformed          body larger than its limit, or undecodable
  //                       Content-Encoding (retrying would fetch the same bytes)
  //   kAborted            options.stop was stopped
  //   kFailedPrecondition bad URL, unsupported scheme, TLS peer verification failure
  //   kInternal           any other curl failure
  struct Completion {
    RequestId id = 0;
    Result<HttpResponse> response;
  };

  // HttpClient creates a client with its own connection cache. curl_global_init runs once
  // per process, on the first construction (thread-safe).
  explicit HttpClient(HttpOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Start queues a GET of `url` and returns its id; the transfer makes progress during
  // Wait and Get. Never fails: problems are reported in the request's Completion. The body
  // may be at most min(`max_body_bytes`, options().max_response_bytes) (0: the latter), enforced while it
  // arrives, before and after gzip decoding: each endpoint passes its own limit, so a
  // tree head cannot grow to the size of an entries batch.
  RequestId Start(std::string url, size_t max_body_bytes = 0);
  // StartPost queues a POST of `post` to `url`, otherwise as Start (redirects are not
  // followed: a POST is not repeated elsewhere behind the caller's back).
  RequestId StartPost(std::string url, HttpPost post, size_t max_body_bytes = 0);

  // Wait drives the transfers in flight for up to `max_wait` and returns the next finished
  // request (in completion order, not start order), or nullopt if none finished in time or
  // nothing is in flight.
  std::optional<Completion> Wait(std::chrono::milliseconds max_wait);

  // Get performs one GET and blocks until it finishes (bounded by total_timeout_ms). Other
  // requests in flight make progress meanwhile; those that finish are kept for Wait.
  Result<HttpResponse> Get(std::string url, size_t max_body_bytes = 0);
  // Post performs one POST and blocks until it finishes, as Get.
  Result<HttpResponse> Post(std::string url, HttpPost post, size_t max_body_bytes = 0);

  // Cancel abandons a started request that has not been returned by Wait yet; no
  // Completion will be returned for it. Unknown ids are ignored.
  void Cancel(RequestId id);

  // in_flight counts started requests whose Completion has not been returned yet.
  size_t in_flight() const;

  const HttpOptions& options() const { return options_; }

  // Thread-safety: none. An HttpClient belongs to one thread at a time (one per log
  // worker); separate HttpClients may be used concurrently.

 private:
  struct Impl;
  RequestId StartRequest(std::string url, std::optional<HttpPost> post, size_t max_body_bytes);
  Result<HttpResponse> AwaitOne(RequestId id);
  HttpOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pinwatch::net
