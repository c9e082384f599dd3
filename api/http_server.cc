#include "api/http_server.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <thread>

#include "api/openapi.h"
#include "api/web_assets.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/sha256.h"

namespace pinwatch::api {
namespace {

// kMaxRequestBodyBytes: nothing served today takes a body; the API's limit (64 KiB) is the
// most any route will.
constexpr size_t kMaxRequestBodyBytes = 64 << 10;
// kIoTimeoutS bounds a client that sends or reads too slowly (one server thread each).
constexpr time_t kIoTimeoutS = 10;

// kMaxPublishedBytes: a pin-set document is a few hundred bytes; nothing larger is served.
constexpr size_t kMaxPublishedBytes = 1 << 20;

// kEndpoints is the list of what the listener serves, as text at /endpoints (the page is at /).
constexpr char kEndpoints[] =
    "pinwatch\n\n"
    "/          the operator web page (an operator token signs in)\n"
    "/api/v1/   the operator API (Authorization: Bearer TOKEN)\n"
    "/metrics  Prometheus metrics\n"
    "/healthz  liveness: 200 while the process serves\n"
    "/readyz   readiness: 200 when the database is reachable at this pinwatch's schema version\n"
    "/v1/pinsets/NAME.json, NAME.json.sig   published pin-sets (with publish configured)\n";

// kPageCsp is the web page's Content-Security-Policy: nothing but this origin's files and
// API, no inline script or style, images only from here or data: URLs, never in a frame.
constexpr char kPageCsp[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'";

// RegexOfPath is a literal path as the regular expression httplib matches routes with.
std::string RegexOfPath(std::string_view path) {
  std::string out;
  for (char c : path) {
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

// RefuseWrites answers every method but GET and HEAD on `pattern` with 405.
void RefuseWrites(httplib::Server& s, const std::string& pattern) {
  const auto not_allowed = [](const httplib::Request&, httplib::Response& res) {
    res.status = 405;
    res.set_header("Allow", "GET, HEAD");
    res.set_content("method not allowed\n", "text/plain");
  };
  s.Post(pattern, not_allowed);
  s.Put(pattern, not_allowed);
  s.Delete(pattern, not_allowed);
  s.Patch(pattern, not_allowed);
}

}  // namespace

struct HttpServer::Impl {
  // An httplib::SSLServer when TLS is configured: the same routes, HTTPS only.
  std::unique_ptr<httplib::Server> server;
  Probes probes;
  int64_t ready_cache_ms = 1000;
  int port = 0;
  std::thread thread;
  std::atomic<bool> finished{false};  // listen_after_bind returned

  std::mutex ready_mu;  // one readiness check at a time; the others wait for its answer
  std::optional<std::chrono::steady_clock::time_point> ready_checked_at;
  Status ready_status;

  Status Ready() {
    std::lock_guard lock(ready_mu);
    const auto now = std::chrono::steady_clock::now();
    if (!ready_checked_at || now - *ready_checked_at >= std::chrono::milliseconds(ready_cache_ms)) {
      ready_status = probes.ready ? probes.ready() : OkStatus();
      ready_checked_at = std::chrono::steady_clock::now();
    }
    return ready_status;
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Result<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, Probes probes) {
  auto impl = std::make_unique<Impl>();
  impl->probes = std::move(probes);
  impl->ready_cache_ms = options.ready_cache_ms;
  Impl* state = impl.get();
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return FailedPreconditionError("http: TLS needs both a certificate and a key file");
  }
  if (!options.tls_cert_file.empty()) {
    // httplib reads both files itself; check them first so a bad one is named.
    for (const std::string* file : {&options.tls_cert_file, &options.tls_key_file}) {
      if (Result<std::string> pem = ReadFile(*file, "TLS file", 1 << 20); !pem.ok()) return pem.status();
    }
    auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(), options.tls_key_file.c_str());
    if (!tls->is_valid()) {
      return FailedPreconditionError("http: cannot use " + options.tls_cert_file + " and " + options.tls_key_file +
                                     " as a TLS certificate and key (PEM, matching each other)");
    }
    impl->server = std::move(tls);
  } else {
    impl->server = std::make_unique<httplib::Server>();
  }
  httplib::Server& s = *impl->server;
  s.set_payload_max_length(kMaxRequestBodyBytes);
  s.set_read_timeout(kIoTimeoutS, 0);
  s.set_write_timeout(kIoTimeoutS, 0);
  s.set_tcp_nodelay(true);
  // SO_REUSEADDR (a restart binds while old connections linger) but not httplib's default
  // SO_REUSEPORT, with which a second pinwatch on the same port would bind too and the
  // kernel would split the scrapes between the two.
  s.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });

  s.Get("/metrics", [state](const httplib::Request&, httplib::Response& res) {
    res.set_content(state->probes.metrics_text ? state->probes.metrics_text() : std::string(),
                    "text/plain; version=0.0.4; charset=utf-8");
  });
  s.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  s.Get("/readyz", [state](const httplib::Request&, httplib::Response& res) {
    Status ready = state->Ready();
    if (ready.ok()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready: " + ready.message() + "\n", "text/plain");
    }
  });
  // The operator web page (api/web/, built into the binary): "/" and its files. The page's
  // CSP allows script, style and fetches from this origin only and no inline code, so data
  // the API returns can never run as script; no page may frame it.
  for (const WebAsset& asset : WebAssets()) {
    s.Get(RegexOfPath(asset.path), [asset](const httplib::Request&, httplib::Response& res) {
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_header("Referrer-Policy", "no-referrer");
      if (asset.content_type.starts_with("text/html")) {
        res.set_header("Content-Security-Policy", kPageCsp);
        res.set_header("X-Frame-Options", "DENY");
      }
      res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
    });
    if (asset.path != "/") RefuseWrites(s, RegexOfPath(asset.path));  // "/" is refused below
  }
  s.Get("/endpoints", [](const httplib::Request&, httplib::Response& res) { res.set_content(kEndpoints, "text/plain"); });
  RefuseWrites(s, "/endpoints");
  if (!options.pinsets_directory.empty()) {
    // The name pattern is the configuration's pin-set name rule: nothing else reaches the
    // file system.
    s.Get(R"(/v1/pinsets/([a-z0-9][a-z0-9_-]{0,62})\.json(\.sig)?)",
          [dir = options.pinsets_directory](const httplib::Request& req, httplib::Response& res) {
            const std::string file = req.matches[1].str() + ".json" + req.matches[2].str();
            Result<std::string> body = ReadFile(dir + "/" + file, "published pin-set", kMaxPublishedBytes);
            if (!body.ok() || body->size() > kMaxPublishedBytes) {
              res.status = 404;
              res.set_content("no published pin-set " + file + "\n", "text/plain");
              return;
            }
            const Hash digest = Sha256Of(Bytes(reinterpret_cast<const uint8_t*>(body->data()), body->size()));
            const std::string etag = "\"" + HexEncode(Bytes(digest.data(), 16)) + "\"";
            res.set_header("ETag", etag);
            res.set_header("Cache-Control", "no-cache");
            if (req.get_header_value("If-None-Match") == etag) {
              res.status = 304;
              return;
            }
            res.set_content(*body, req.matches[2].length() > 0 ? "text/plain" : "application/json");
          });
  }
  s.Get("/openapi.json", [](const httplib::Request&, httplib::Response& res) {
    const std::string_view doc = OpenApiJson();
    res.set_content(std::string(doc), "application/json");
  });
  if (state->probes.api) {
    const auto api = [state](const httplib::Request& req, httplib::Response& res) {
      ApiRequest request{.method = req.method,
                         .path = req.path,
                         .authorization = req.get_header_value("Authorization"),
                         .content_type = req.get_header_value("Content-Type"),
                         .body = req.body,
                         .remote_address = req.remote_addr};
      for (const auto& [key, value] : req.params) request.query[key] = value;
      ApiResponse answer = state->probes.api(request);
      res.status = answer.status;
      for (const auto& [name, value] : answer.headers) res.set_header(name, value);
      res.set_header("Cache-Control", "no-store");
      res.set_content(answer.body, answer.content_type);
    };
    const char* kApi = R"(/api/v1/.*)";
    s.Get(kApi, api);
    s.Post(kApi, api);
    s.Put(kApi, api);
    s.Delete(kApi, api);
    s.Patch(kApi, api);
  }
  // Errors httplib answers itself (a body over the limit: 413) keep the API's error shape
  // on API paths.
  s.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.path.rfind("/api/", 0) != 0 || !res.body.empty()) return;
    const std::string code = res.status == 413 ? "payload_too_large" : res.status == 404 ? "not_found" : "bad_request";
    res.set_content("{\"error\":{\"code\":\"" + code + "\",\"message\":\"HTTP " + std::to_string(res.status) +
                        "\"}}\n",
                    "application/json");
  });
  // Every other method on a known path is 405, anything else 404 (httplib's default).
  for (const char* path : {"/metrics", "/healthz", "/readyz", "/"}) RefuseWrites(s, path);

  const std::string where = (options.host.find(':') != std::string::npos ? "[" + options.host + "]" : options.host) +
                            ":" + std::to_string(options.port);
  if (options.port == 0) {
    impl->port = s.bind_to_any_port(options.host);
    if (impl->port <= 0) return UnavailableError("http.listen " + where + ": cannot bind (no such address?)");
  } else {
    if (!s.bind_to_port(options.host, options.port)) {
      return UnavailableError("http.listen " + where + ": cannot bind (address in use, or no such address)");
    }
    impl->port = options.port;
  }
  impl->thread = std::thread([state] {
    state->server->listen_after_bind();
    state->finished = true;
  });
  // listen_after_bind sets is_running before it accepts; waiting for it (yielding, no
  // sleep) keeps a destructor that runs at once from calling stop() before it.
  while (!state->server->is_running() && !state->finished) std::this_thread::yield();
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() {
  impl_->server->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

int HttpServer::port() const { return impl_->port; }

}  // namespace pinwatch::api
