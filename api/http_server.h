// HttpServer: pinwatch's one HTTP listener (`http.listen`), the only home of an HTTP
// server library in pinwatch (cpp-httplib; this header names none of it). It serves
//   GET /          the operator web page (api/web/, built in; /app.css, /app.js) under a
//                  strict Content-Security-Policy; /endpoints lists the routes as text
//   GET /metrics   the Prometheus text format (what Probes::metrics_text returns)
//   GET /healthz   200 while the process serves at all (liveness)
//   GET /readyz    200 when Probes::ready says so (the database is reachable and at this
//                  pinwatch's schema version), else 503 with the reason (readiness)
//   /api/v1/...    the operator API (operator_api.h), when Probes::api is set
//   GET /openapi.json   its OpenAPI 3 description (openapi.h)
//   GET /v1/pinsets/NAME.json[.sig]   the published pin-sets (publish.directory), with an
//                  ETag (If-None-Match gives 304) and Cache-Control: no-cache, so apps
//                  revalidate cheaply and see a new version at once
//   POST /v1/pin-reports   pin-failure reports from apps (report_intake.h), no token
// It knows nothing of the daemon or the metrics library: what it serves comes as functions.
// Against hostile clients it reads each request whole under its own limits before httplib
// parses it (a connection per thread up to a limit and per address, one deadline per
// request, bounded lines, heads and bodies: connection.h, request_head.h; README,
// "Hostile clients").
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "api/request.h"
#include "base/status.h"

namespace pinwatch::api {

// Probes are what the listener asks when a request comes; each may be called from several
// server threads at once.
struct Probes {
  std::function<std::string()> metrics_text;
  // ready returns OK, or why pinwatch cannot serve (kUnavailable: the database). The server
  // asks it at most once per ready_cache_ms and shares the answer between requests.
  std::function<Status()> ready;
  // api answers /api/v1/... (operator_api.h); unset: those paths are 404.
  std::function<ApiResponse(const ApiRequest&)> api;
  // pin_reports answers POST /v1/pin-reports (report_intake.h), which needs no token;
  // unset: 404.
  std::function<ApiResponse(const ApiRequest&)> pin_reports;
};

// HttpServerOptions says where to listen.
struct HttpServerOptions {
  std::string host = "127.0.0.1";  // an address to bind (IPv4, IPv6 without brackets, or a name)
  int port = 0;                    // 0: a free port (see HttpServer::port)
  int64_t ready_cache_ms = 1000;
  // Where the published pin-sets are (publish.directory); empty: /v1/pinsets/ is not served.
  std::string pinsets_directory;
  // PEM certificate (chain) and private key: serve HTTPS only (http.tls_cert_file and
  // http.tls_key_file). Both empty: plain HTTP.
  std::string tls_cert_file, tls_key_file;
  // io_timeout_ms bounds a client that sends or reads too slowly: a request (the TLS
  // handshake of a new connection included, and the wait for it on a kept-alive one) must
  // arrive whole within it, or the connection is answered 408 and closed; each write of an
  // answer must finish within it.
  int64_t io_timeout_ms = kDefaultIoTimeoutMs;
  // At most max_connections connections are served at once, each on a thread of its own,
  // and at most max_connections_per_address from one peer address; a connection past
  // either is answered 503 (Retry-After: 1) and closed at once.
  int max_connections = kDefaultMaxConnections;
  int max_connections_per_address = kDefaultMaxConnectionsPerAddress;

  static constexpr int64_t kDefaultIoTimeoutMs = 10'000;
  static constexpr int kDefaultMaxConnections = 256;
  static constexpr int kDefaultMaxConnectionsPerAddress = 32;
};

class HttpServer {
 public:
  // Start binds host:port and serves on background threads until the server is destroyed.
  // kUnavailable naming the address when it cannot be bound (in use, no such address).
  static Result<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, Probes probes);
  // ~HttpServer stops accepting, finishes the requests in progress and joins its threads.
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // port is the port bound (the one chosen when options.port was 0).
  int port() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pinwatch::api
