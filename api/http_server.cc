#include "api/http_server.h"

#include <sys/resource.h>
#include <unistd.h>

#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <thread>

#include "api/connection.h"
#include "api/openapi.h"
#include "api/request_head.h"
#include "api/request_parse.h"
#include "api/web_assets.h"
#include "base/encoding.h"
#include "base/file.h"
#include "base/sha256.h"

namespace pinwatch::api {
namespace {

// kConnectionNice is the scheduling niceness of each connection's thread (the process's
// own is 0): under CPU contention the log workers run first (bench/pin_reports_bench.sh).
constexpr int kConnectionNice = 10;

// kMaxRequestBodyBytes: nothing served today takes a body; the API's limit (64 KiB) is the
// most any route will.
constexpr size_t kMaxRequestBodyBytes = 64 << 10;
// kMaxRequestsPerConnection: a kept-alive connection is closed after this many requests.
constexpr int kMaxRequestsPerConnection = 100;
// kLingerMs: after a refusal the listener reads (and drops) what the client is still
// sending for at most this long before closing, so that the client, still writing its
// request, reads the refusal rather than a reset.
constexpr int64_t kLingerMs = 1000;
constexpr size_t kLingerBytes = 1 << 20;

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
    "/v1/pinsets/NAME.json, NAME.json.sig   published pin-sets (with publish configured)\n"
    "/v1/pin-reports   POST pin-failure reports from apps (TrustKit, RFC 7469, pinwatch)\n";

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

using Clock = std::chrono::steady_clock;

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 503: return "Service Unavailable";
    default: return "Error";
  }
}

std::string ErrorCodeOf(int status) {
  switch (status) {
    case 408: return "request_timeout";
    case 411: return "length_required";
    case 413: return "payload_too_large";
    case 414: return "uri_too_long";
    case 431: return "headers_too_large";
    case 503: return "unavailable";
    default: return "bad_request";
  }
}

// Refusal is a whole answer the listener gives by itself, before httplib sees the request;
// on API paths in the API's error shape. The connection is closed after it.
std::string Refusal(int status, const std::string& target, const std::string& reason) {
  std::string body = reason + "\n", content_type = "text/plain";
  if (target.starts_with("/api/")) {
    ApiResponse error = ErrorResponse(status, ErrorCodeOf(status), reason);
    body = std::move(error.body);
    content_type = std::move(error.content_type);
  }
  std::string out = "HTTP/1.1 " + std::to_string(status) + " " + std::string(ReasonPhrase(status)) +
                    "\r\nContent-Type: " + content_type + "\r\nContent-Length: " + std::to_string(body.size()) +
                    "\r\nConnection: close\r\n";
  if (status == 503) out += "Retry-After: 1\r\n";
  if (target.starts_with("/api/")) out += "Cache-Control: no-store\r\n";
  return out + "\r\n" + body;
}

// RefuseAndLinger writes a refusal, ends the writing side, and drops what the client still
// sends for a moment (kLingerMs, kLingerBytes) so that it gets to read the refusal.
void RefuseAndLinger(Connection& conn, int status, const std::string& target, const std::string& reason,
                     int64_t io_timeout_ms) {
  const std::string answer = Refusal(status, target, reason);
  if (conn.Write(answer.data(), answer.size(), Clock::now() + std::chrono::milliseconds(io_timeout_ms)) < 0) return;
  shutdown(conn.fd(), SHUT_WR);
  const Deadline linger = Clock::now() + std::chrono::milliseconds(std::min(kLingerMs, io_timeout_ms));
  char drop[16 << 10];
  for (size_t dropped = 0; dropped < kLingerBytes;) {
    const ssize_t n = conn.Read(drop, sizeof(drop), linger);
    if (n <= 0) return;
    dropped += static_cast<size_t>(n);
  }
}

// ReplayStream is one request, already read whole and checked, as httplib's parser reads
// it; the answer goes straight to the connection, each write bounded by the I/O timeout.
class ReplayStream : public httplib::Stream {
 public:
  ReplayStream(Connection& conn, std::string request, const Endpoint& peer, int64_t io_timeout_ms)
      : conn_(conn), request_(std::move(request)), peer_(peer), io_timeout_(io_timeout_ms) {}

  bool is_readable() const override { return read_ < request_.size(); }
  bool is_writable() const override { return conn_.WaitWritable(Clock::now() + io_timeout_); }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, request_.size() - read_);
    std::memcpy(ptr, request_.data() + read_, n);
    read_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    const ssize_t n = conn_.Write(ptr, size, Clock::now() + io_timeout_);
    return n < 0 ? -1 : n;
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = peer_.address;
    port = peer_.port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    const Endpoint local = LocalOf(conn_.fd());
    ip = local.address;
    port = local.port;
  }
  socket_t socket() const override { return conn_.fd(); }

 private:
  Connection& conn_;
  const std::string request_;
  size_t read_ = 0;
  const Endpoint peer_;
  const std::chrono::milliseconds io_timeout_;
};

// ProcessRequest is httplib's own Server::process_request: it parses one request from the
// stream, routes it and writes the answer.
using ProcessRequest = std::function<bool(httplib::Stream&, bool close_connection, bool& connection_closed)>;

// ServeRequests serves one connection's requests in turn. Each must arrive whole, head and
// body, by its deadline (the first from the connection's start, the next from the end of
// the answer before), checked by HeadScanner as it comes; only then does httplib see it.
// A client that trickles therefore holds its thread for one I/O timeout at most, and
// nothing unbounded is ever buffered.
void ServeRequests(Connection& conn, const Endpoint& peer, int64_t io_timeout_ms, Deadline deadline,
                   const ProcessRequest& process) {
  const HeadLimits limits{.max_body_bytes = kMaxRequestBodyBytes};
  std::string buffer;  // bytes received and not yet served
  for (int served = 0; served < kMaxRequestsPerConnection; ++served) {
    HeadScanner scanner(limits);
    Framing framing = scanner.Scan(buffer);
    bool continued = false;
    while (framing.verdict != Framing::Verdict::kComplete ||
           buffer.size() < framing.head_bytes + framing.body_bytes) {
      if (framing.verdict == Framing::Verdict::kRefuse) {
        RefuseAndLinger(conn, framing.status, scanner.target(), framing.reason, io_timeout_ms);
        return;
      }
      size_t want = 16 << 10;
      if (framing.verdict == Framing::Verdict::kComplete) {
        want = std::min<size_t>(want, framing.head_bytes + framing.body_bytes - buffer.size());
        if (framing.expect_continue && !continued) {
          constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          if (conn.Write(kContinue.data(), kContinue.size(), deadline) < 0) return;
          continued = true;
        }
      }
      char chunk[16 << 10];
      const ssize_t n = conn.Read(chunk, want, deadline);
      if (n == Connection::kTimedOut && !buffer.empty()) {
        RefuseAndLinger(conn, 408, scanner.target(), "the request did not arrive in time", io_timeout_ms);
      }
      if (n <= 0) return;  // the client left or went quiet (between requests: the normal end)
      buffer.append(chunk, static_cast<size_t>(n));
      if (framing.verdict == Framing::Verdict::kNeedMore) framing = scanner.Scan(buffer);
    }
    const size_t length = framing.head_bytes + framing.body_bytes;
    std::string request = buffer.substr(0, length);
    buffer.erase(0, length);
    // "Expect: 100-continue" has been answered (or its body came anyway): httplib would answer it again.
    if (framing.expect_continue) {
      request.erase(framing.expect_line_begin, framing.expect_line_end - framing.expect_line_begin);
    }
    ReplayStream stream(conn, std::move(request), peer, io_timeout_ms);
    bool closed = false;
    const bool last = served + 1 == kMaxRequestsPerConnection;
    if (!process(stream, last, closed) || closed) return;
    deadline = Clock::now() + std::chrono::milliseconds(io_timeout_ms);
  }
}

// over_capacity is set on the accepting thread while it refuses a connection that found
// every thread taken.
thread_local bool over_capacity = false;

// ServeConnection admits one accepted socket through the gate, serves it (TLS with `tls`)
// and closes it; a connection not admitted is answered 503 at once (plain HTTP; over TLS
// it is closed without a handshake) and never waits.
void ServeConnection(int fd, SSL_CTX* tls, ConnectionGate& gate, int max_connections, int64_t io_timeout_ms,
                     const ProcessRequest& process) {
  const Deadline deadline = Clock::now() + std::chrono::milliseconds(io_timeout_ms);
  const Endpoint peer = PeerOf(fd);
  const std::string refused =
      over_capacity ? "already " + std::to_string(max_connections) + " connections" : gate.Admit(fd, peer.address);
  if (!refused.empty()) {
    if (tls == nullptr) {
      const std::string answer = Refusal(503, "", "too many connections: " + refused);
      Connection::Plain(fd)->Write(answer.data(), answer.size(), Clock::now());  // no waiting on this thread
    }
    shutdown(fd, SHUT_RDWR);
    close(fd);
    return;
  }
  if (std::unique_ptr<Connection> conn = tls ? Connection::Tls(fd, tls, deadline) : Connection::Plain(fd)) {
    ServeRequests(*conn, peer, io_timeout_ms, deadline, process);
  }
  gate.Leave(fd, peer.address);
  shutdown(fd, SHUT_RDWR);
  close(fd);
}

// ConnectionThreads runs each accepted connection on a thread of its own, up to
// max_connections at once. httplib's ThreadPool has max(8, cores - 1) threads and queues
// the rest, so as many slow clients held all of them and no other request was answered
// (issue 19). Past the limit a connection is refused on the accepting thread itself.
class ConnectionThreads : public httplib::TaskQueue {
 public:
  ConnectionThreads(ConnectionGate& gate, int max_connections) : gate_(gate), max_(max_connections) {}

  void enqueue(std::function<void()> fn) override {
    bool admitted = false;
    {
      std::lock_guard lock(mu_);
      admitted = running_ < max_;
      if (admitted) ++running_;
    }
    if (!admitted) {
      RefuseOnThisThread(std::move(fn));
      return;
    }
    try {
      std::thread([this, fn = std::move(fn)]() mutable {
        // A TLS write to a peer gone raises SIGPIPE; blocked, it stays pending on this thread.
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe, nullptr);
        // Clients yield the CPU to the log workers: a flood of requests (pin-failure reports
        // come from anyone) must not slow the download. Best effort; a failure changes nothing.
        setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kConnectionNice);
        fn();
        fn = nullptr;
        Done();
      }).detach();
    } catch (const std::system_error&) {  // no thread to be had: refused like one over the limit
      Done();
      RefuseOnThisThread(std::move(fn));
    }
  }

  // shutdown wakes every connection (the accept loop has ended) and waits for their threads.
  void shutdown() override {
    gate_.Stop();
    std::unique_lock lock(mu_);
    idle_.wait(lock, [this] { return running_ == 0; });
  }

 private:
  // RefuseOnThisThread runs `fn` at once with over_capacity set: it refuses and returns.
  static void RefuseOnThisThread(std::function<void()> fn) {
    over_capacity = true;
    fn();
    over_capacity = false;
  }
  void Done() {
    std::lock_guard lock(mu_);
    if (--running_ == 0) idle_.notify_all();
  }

  ConnectionGate& gate_;
  const int max_;
  std::mutex mu_;
  std::condition_variable idle_;
  int running_ = 0;
};

// GuardedServer is httplib's Server or SSLServer with its connections served by
// ServeConnection on ConnectionThreads instead of its own loop and pool: httplib still
// parses, routes and answers each request.
template <class Base>
class GuardedServer final : public Base {
 public:
  template <class... Args>
  GuardedServer(const HttpServerOptions& options, Args&&... args)
      : Base(std::forward<Args>(args)...),
        gate_(options.max_connections, options.max_connections_per_address),
        max_connections_(options.max_connections),
        io_timeout_ms_(options.io_timeout_ms) {
    this->new_task_queue = [this] { return new ConnectionThreads(gate_, max_connections_); };
  }

  // WidenBacklog lets connections wait for accept in the kernel's queue, as many as it
  // allows, once bound: httplib listens with a backlog of 5, and each connection past a
  // full queue had its SYN dropped and waited a second or three to retry, a normal
  // client's among a burst of slow ones too.
  void WidenBacklog() { listen(this->svr_sock_, SOMAXCONN); }

 private:
  bool process_and_close_socket(socket_t sock) override {
    SSL_CTX* tls = nullptr;
    if constexpr (std::is_same_v<Base, httplib::SSLServer>) tls = this->ssl_context();
    ServeConnection(sock, tls, gate_, max_connections_, io_timeout_ms_,
                    [this](httplib::Stream& stream, bool close_connection, bool& connection_closed) {
                      return this->process_request(stream, close_connection, connection_closed, nullptr);
                    });
    return true;
  }

  ConnectionGate gate_;
  const int max_connections_;
  const int64_t io_timeout_ms_;
};

}  // namespace

struct HttpServer::Impl {
  // An httplib::SSLServer when TLS is configured: the same routes, HTTPS only.
  std::unique_ptr<httplib::Server> server;
  std::function<void()> widen_backlog;  // GuardedServer::WidenBacklog of `server`
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
  if (options.io_timeout_ms <= 0 || options.max_connections <= 0 || options.max_connections_per_address <= 0) {
    return FailedPreconditionError("http: the I/O timeout and the connection limits must be positive");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return FailedPreconditionError("http: TLS needs both a certificate and a key file");
  }
  if (!options.tls_cert_file.empty()) {
    // httplib reads both files itself; check them first so a bad one is named.
    for (const std::string* file : {&options.tls_cert_file, &options.tls_key_file}) {
      if (Result<std::string> pem = ReadFile(*file, "TLS file", 1 << 20); !pem.ok()) return pem.status();
    }
    auto tls = std::make_unique<GuardedServer<httplib::SSLServer>>(options, options.tls_cert_file.c_str(),
                                                                   options.tls_key_file.c_str());
    if (!tls->is_valid()) {
      return FailedPreconditionError("http: cannot use " + options.tls_cert_file + " and " + options.tls_key_file +
                                     " as a TLS certificate and key (PEM, matching each other)");
    }
    impl->widen_backlog = [server = tls.get()] { server->WidenBacklog(); };
    impl->server = std::move(tls);
  } else {
    auto plain = std::make_unique<GuardedServer<httplib::Server>>(options);
    impl->widen_backlog = [server = plain.get()] { server->WidenBacklog(); };
    impl->server = std::move(plain);
  }
  httplib::Server& s = *impl->server;
  // The request has been read whole and checked before httplib parses it (ServeRequests):
  // the limit here is a second line, and no read of httplib's own waits.
  s.set_payload_max_length(kMaxRequestBodyBytes);
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
  if (state->probes.pin_reports) {
    s.Post("/v1/pin-reports", [state](const httplib::Request& req, httplib::Response& res) {
      ApiRequest request{.method = req.method,
                         .path = req.path,
                         .content_type = req.get_header_value("Content-Type"),
                         .body = req.body,
                         .remote_address = req.remote_addr};
      ApiResponse answer = state->probes.pin_reports(request);
      res.status = answer.status;
      for (const auto& [name, value] : answer.headers) res.set_header(name, value);
      res.set_header("Cache-Control", "no-store");
      if (!answer.body.empty()) res.set_content(answer.body, answer.content_type);
    });
    s.Get("/v1/pin-reports", [](const httplib::Request&, httplib::Response& res) {
      res.status = 405;
      res.set_header("Allow", "POST");
    });
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
  impl->widen_backlog();
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
