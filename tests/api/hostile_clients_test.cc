// Hostile clients against the listener alone, over raw loopback sockets (an HTTP library
// would not send what they send). Slow-loris connections on every route, more of them than
// cpp-httplib's own thread pool has threads, are each cut off within the I/O bound while a
// normal request from another client is answered; one address cannot take every
// connection; oversized request lines, header lines, header counts and bodies, chunked
// bodies without end and malformed requests are refused with their status before any
// handler sees them, and the listener answers the next request each time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/http_server.h"
#include "tests/support/raw_client.h"

namespace pinwatch::api {
namespace {

using Clock = std::chrono::steady_clock;
using testing::RawClient;
using testing::SlowClients;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// Listener serves every kind of route there is: the page, /endpoints, /metrics, the
// probes, /openapi.json, the API (a stub that counts the requests reaching it) and the
// published pin-sets.
struct Listener {
  std::atomic<int> api_calls{0};
  std::mutex mu;
  std::vector<std::string> api_bodies;  // what reached the API, in order
  std::string dir;
  std::unique_ptr<HttpServer> server;

  explicit Listener(HttpServerOptions options) {
    char tmpl[] = "/tmp/pinwatch-hostile-test.XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    dir = tmpl;
    std::ofstream(dir + "/api.json") << R"({"name":"api","version":1})";
    options.host = "127.0.0.1";
    options.port = 0;
    options.pinsets_directory = dir;
    Probes probes{.metrics_text = [] { return std::string("pinwatch_up 1\n"); },
                  .ready = [] { return OkStatus(); },
                  .api = [this](const ApiRequest& request) {
                    ++api_calls;
                    std::lock_guard lock(mu);
                    api_bodies.push_back(request.body);
                    return ApiResponse{.status = 200, .body = "{}"};
                  }};
    auto s = HttpServer::Start(options, std::move(probes));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) server = std::move(*s);
  }
  ~Listener() {
    server.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  int port() const { return server->port(); }

  // Healthy asks /healthz as a normal client from 127.0.0.1 would, and returns the status
  // (0: no answer within `timeout`).
  int Healthy(std::chrono::milliseconds timeout = std::chrono::seconds(30)) const {
    httplib::Client client("127.0.0.1", port());
    client.set_connection_timeout(timeout);
    client.set_read_timeout(timeout);
    auto res = client.Get("/healthz");
    return res ? res->status : 0;
  }
};

// kRoutes is a path of every route the listener has (the API's stub answers any path).
const std::vector<std::string> kRoutes = {"/",        "/app.js",      "/endpoints",       "/metrics",
                                          "/healthz", "/readyz",      "/openapi.json",    "/api/v1/findings",
                                          "/nowhere", "/v1/pinsets/api.json"};

// SlowLoris is a request a slow client sends a byte at a time: on `route`, either a head
// that never ends in time (a header of 4,000 bytes), or a complete head whose body is
// slower than its Content-Length promises.
std::string SlowLoris(const std::string& route, bool slow_body) {
  if (slow_body) {
    return "POST " + route + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n" +
           std::string(4000, ' ');
  }
  return "GET " + route + " HTTP/1.1\r\nHost: x\r\nX-Slow: " + std::string(4000, 'a') + "\r\n\r\n";
}

// Slow-loris clients on every route, eight times as many as httplib's thread pool had
// threads (max(8, cores - 1)), from four addresses: while they trickle, a normal client is
// answered at once, and each slow one is answered 408 and closed within the I/O bound.
TEST(HostileClients, SlowLorisOnEveryRouteIsCutOffWhileOthersAreAnswered) {
  constexpr int64_t kIoTimeoutMs = 3000;
  Listener listener({.io_timeout_ms = kIoTimeoutMs});
  const int kSlow = 8 * static_cast<int>(std::max(8u, std::thread::hardware_concurrency()));
  ASSERT_LE(kSlow / 4, HttpServerOptions::kDefaultMaxConnectionsPerAddress);

  // Each slow client's first byte goes out at once (a slow body's whole head); the rest
  // trickle, a byte every 100 ms: 4,000 bytes would take 400 s.
  SlowClients slow;
  const Clock::time_point opened = Clock::now();
  for (int i = 0; i < kSlow; ++i) {
    const std::string request = SlowLoris(kRoutes[static_cast<size_t>(i) % kRoutes.size()],
                                          (i / static_cast<int>(kRoutes.size())) % 2 == 1);
    const size_t first = request.starts_with("POST") ? request.find("\r\n\r\n") + 5 : 1;
    ASSERT_TRUE(slow.Open(listener.port(), "127.0.0." + std::to_string(2 + i % 4), request, first)) << i;
  }
  // A burst of connections is accepted at once (httplib's backlog of 5 dropped the SYNs past
  // it, which came back a second or three later).
  const int64_t open_ms = MsSince(opened);
  EXPECT_LT(open_ms, kIoTimeoutMs / 2) << "the listener was slow to accept a burst of connections";
  std::printf("[ measured ] %d slow connections opened in %lld ms\n", kSlow, static_cast<long long>(open_ms));
  slow.Start(std::chrono::milliseconds(100), opened + std::chrono::milliseconds(4 * kIoTimeoutMs));

  // Meanwhile a normal client is answered, every slow connection still held.
  const Clock::time_point asked = Clock::now();
  const int health = listener.Healthy(std::chrono::milliseconds(2 * kIoTimeoutMs));
  const int64_t answered_ms = MsSince(asked);
  const int still_open = slow.OpenNow();
  EXPECT_EQ(health, 200);
  EXPECT_EQ(still_open, kSlow) << "slow connections were closed before the normal request was answered";
  EXPECT_LT(answered_ms, kIoTimeoutMs / 2) << "the normal request waited for the slow ones";
  std::printf("[ measured ] %d slow connections held (httplib's pool: %u threads); /healthz answered in %lld ms\n",
              still_open, std::max(8u, std::thread::hardware_concurrency() - 1),
              static_cast<long long>(answered_ms));

  // Each slow client is answered 408 and closed within the bound; none reached the API.
  slow.Join();
  int64_t latest_ms = 0;
  for (const SlowClients::Slow& c : slow.clients()) {
    ASSERT_TRUE(c.client->closed()) << c.request.substr(0, 40);
    EXPECT_EQ(c.client->Status(), 408) << c.request.substr(0, 40) << ": " << c.client->received().substr(0, 200);
    EXPECT_LT(c.sent, c.request.size()) << c.request.substr(0, 40) << " was sent whole";
    latest_ms = std::max<int64_t>(
        latest_ms, std::chrono::duration_cast<std::chrono::milliseconds>(c.client->closed_at() - opened).count());
  }
  EXPECT_LT(latest_ms, 3 * kIoTimeoutMs);
  std::printf("[ measured ] the last slow connection was closed %lld ms after it opened (I/O bound %lld ms)\n",
              static_cast<long long>(latest_ms), static_cast<long long>(kIoTimeoutMs));
  EXPECT_EQ(listener.api_calls, 0);
  EXPECT_EQ(listener.Healthy(), 200);
}

// One peer address gets max_connections_per_address connections at once, and the
// listener max_connections: the one past either is answered 503 at once and closed, while
// the others are held and another address is still served.
TEST(HostileClients, OneAddressCannotTakeEveryConnection) {
  constexpr int kPerAddress = 4, kMax = 10;
  Listener listener({.io_timeout_ms = 60'000, .max_connections = kMax, .max_connections_per_address = kPerAddress});
  const auto deadline = [] { return Clock::now() + std::chrono::seconds(10); };
  // RefusedAmong opens `n` connections from `source`, each sending a byte of a request, and
  // returns how many of them were answered 503 and closed (all others must stay open).
  std::vector<std::unique_ptr<RawClient>> held;
  const auto refused_among = [&](int n, const std::string& source, int expect_refused) {
    std::vector<std::unique_ptr<RawClient>> opened;
    for (int i = 0; i < n; ++i) {
      opened.push_back(RawClient::Connect(listener.port(), source));
      if (!opened.back() || !opened.back()->Send("G")) return -1;
    }
    // The refused ones close at once: wait until `expect_refused` have, then take stock.
    const auto until = deadline();
    for (int closed = 0; closed < expect_refused && Clock::now() < until;) {
      std::vector<pollfd> fds;
      for (auto& c : opened) fds.push_back({.fd = c->fd(), .events = POLLIN, .revents = 0});
      poll(fds.data(), fds.size(), 100);
      closed = 0;
      for (auto& c : opened) closed += c->Pump() ? 0 : 1;
    }
    int refused = 0;
    for (auto& c : opened) {
      if (!c->Pump()) {
        EXPECT_EQ(c->Status(), 503) << c->received();
        EXPECT_NE(c->received().find("Retry-After: 1"), std::string::npos) << c->received();
        ++refused;
      } else {
        held.push_back(std::move(c));
      }
    }
    return refused;
  };
  // One connection past an address's share is refused (whichever of them it is).
  EXPECT_EQ(refused_among(kPerAddress + 1, "127.0.0.9", 1), 1);
  EXPECT_EQ(listener.Healthy(), 200);  // another address is served
  // Two more addresses fill the listener; past it, any address is refused.
  EXPECT_EQ(refused_among(kPerAddress, "127.0.0.10", 0), 0);
  EXPECT_EQ(refused_among(kMax - 2 * kPerAddress, "127.0.0.11", 0), 0);
  ASSERT_EQ(held.size(), static_cast<size_t>(kMax));
  EXPECT_EQ(refused_among(1, "127.0.0.12", 1), 1);
  // The held ones end; the listener takes connections again.
  held.clear();
  int health = 0;
  for (const auto until = deadline(); health != 200 && Clock::now() < until;) health = listener.Healthy();
  EXPECT_EQ(health, 200);
  EXPECT_EQ(listener.api_calls, 0);
}

// Requests out of bounds or malformed, each sent whole (or as far as it goes) at once: each
// is answered with its status (on API paths in the API's error shape) and the connection
// closed, no handler sees any of them, and the listener answers the next request. A
// Content-Length over the limit is refused without reading the body: with an I/O timeout of
// a minute, the answer comes while the client has sent no byte of it.
TEST(HostileClients, OversizedAndMalformedRequestsAreRefusedBeforeAnyHandler) {
  Listener listener({.io_timeout_ms = 60'000});
  struct Case {
    std::string what, request;
    int status;
    std::string api_code;  // error.code on /api/ paths
  };
  const std::string pad(9000, 'a');
  std::string many_headers, big_head;
  for (int i = 0; i < 2000; ++i) many_headers += "X-H" + std::to_string(i) + ": v\r\n";
  for (int i = 0; i < 5; ++i) big_head += "X-Big" + std::to_string(i) + ": " + std::string(7000, 'b') + "\r\n";
  const std::vector<Case> cases = {
      {"a URI of 9,000 bytes", "GET /healthz?" + pad + " HTTP/1.1\r\nHost: x\r\n\r\n", 414, ""},
      {"a URI of 9,000 bytes on the API", "GET /api/v1/findings?" + pad + " HTTP/1.1\r\n\r\n", 414, "uri_too_long"},
      {"a URI that never ends", "GET /" + pad, 414, ""},
      {"a header line of 9,000 bytes", "GET /metrics HTTP/1.1\r\nX-Big: " + pad + "\r\n\r\n", 431, ""},
      {"a header line that never ends", "GET /api/v1/findings HTTP/1.1\r\nX-Big: " + pad, 431, "headers_too_large"},
      {"2,000 headers", "GET /readyz HTTP/1.1\r\n" + many_headers + "\r\n", 431, ""},
      {"2,000 headers on the API", "GET /api/v1/audit HTTP/1.1\r\n" + many_headers + "\r\n", 431, "headers_too_large"},
      {"a head of 35,000 bytes", "GET / HTTP/1.1\r\n" + big_head + "\r\n", 431, ""},
      {"a Content-Length of 1 GB",
       "POST /api/v1/findings/1/ack HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n",
       413, "payload_too_large"},
      {"a Content-Length one byte over the limit",
       "POST /api/v1/proposals/1/approve HTTP/1.1\r\nContent-Length: " + std::to_string((64 << 10) + 1) + "\r\n\r\n",
       413, "payload_too_large"},
      {"a chunked body without end",
       "POST /api/v1/findings/1/ack HTTP/1.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\n{\"no\"\r\n",
       411, "length_required"},
      {"a chunked body with a Content-Length",
       "POST /api/v1/findings/1/ack HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 411,
       "length_required"},
      {"a Content-Length that is not a number", "POST /api/v1/findings/1/ack HTTP/1.1\r\nContent-Length: 2x\r\n\r\n{}",
       400, "bad_request"},
      {"a negative Content-Length", "POST /api/v1/findings/1/ack HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400,
       "bad_request"},
      {"two Content-Lengths",
       "POST /api/v1/findings/1/ack HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 20\r\n\r\n{}", 400,
       "bad_request"},
      {"no request line", "\r\n\r\n", 400, ""},
      {"a request line of one word", "GARBAGE\r\n\r\n", 400, ""},
      {"HTTP/2.0 in a request line", "GET /healthz HTTP/2.0\r\n\r\n", 400, ""},
      {"a space in the target", "GET /api/v1/findings x HTTP/1.1\r\n\r\n", 400, ""},
      {"lines ending in LF alone", "GET /healthz HTTP/1.1\nHost: x\n\n", 400, ""},
      {"a folded header line", "GET /api/v1/findings HTTP/1.1\r\nX-A: 1\r\n continued\r\n\r\n", 400, "bad_request"},
      {"a header without a colon", "GET /api/v1/findings HTTP/1.1\r\nNoColon\r\n\r\n", 400, "bad_request"},
      {"a space before the colon", "GET /api/v1/findings HTTP/1.1\r\nHost : x\r\n\r\n", 400, "bad_request"},
  };
  for (const Case& c : cases) {
    auto client = RawClient::Connect(listener.port(), "127.0.0.20");
    ASSERT_NE(client, nullptr) << c.what;
    const Clock::time_point sent = Clock::now();
    ASSERT_TRUE(client->Send(c.request)) << c.what;
    ASSERT_TRUE(client->ReadUntilClosed(sent + std::chrono::seconds(10))) << c.what << ": still open";
    EXPECT_EQ(client->Status(), c.status) << c.what << ": " << client->received().substr(0, 300);
    EXPECT_NE(client->received().find("Connection: close"), std::string::npos) << c.what;
    if (!c.api_code.empty()) {
      EXPECT_NE(client->received().find("{\"error\":{\"code\":\"" + c.api_code + "\""), std::string::npos)
          << c.what << ": " << client->received();
    }
    EXPECT_EQ(listener.Healthy(), 200) << "after " << c.what;
  }
  EXPECT_EQ(listener.api_calls, 0);
}

// What the listener does read ahead must not change what a good request means: a body
// after "Expect: 100-continue" (the 100 comes first), two requests pipelined in one write,
// and a request whose head and body come in several pieces all reach the handler whole.
TEST(HostileClients, GoodRequestsReadAheadReachTheHandlerWhole) {
  Listener listener({});
  const std::string body = R"({"note": "seen"})";
  const std::string post = "POST /api/v1/findings/1/ack HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                           "Content-Length: " + std::to_string(body.size()) + "\r\n";
  {
    auto client = RawClient::Connect(listener.port(), "127.0.0.30");
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send(post + "Expect: 100-continue\r\nConnection: close\r\n\r\n"));
    const auto until = Clock::now() + std::chrono::seconds(10);
    while (client->received().find("\r\n\r\n") == std::string::npos && Clock::now() < until && client->Pump()) {
      pollfd p{.fd = client->fd(), .events = POLLIN, .revents = 0};
      poll(&p, 1, 100);
    }
    EXPECT_TRUE(client->received().starts_with("HTTP/1.1 100 Continue\r\n\r\n")) << client->received();
    ASSERT_TRUE(client->Send(body));
    ASSERT_TRUE(client->ReadUntilClosed(until));
    const std::string& got = client->received();
    EXPECT_NE(got.find("HTTP/1.1 200"), std::string::npos) << got;
    EXPECT_EQ(got.find("100 Continue", 10), std::string::npos) << "a second 100:\n" << got;
  }
  {
    auto client = RawClient::Connect(listener.port(), "127.0.0.30");
    ASSERT_NE(client, nullptr);
    ASSERT_TRUE(client->Send(post + "\r\n" + body + "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"));
    ASSERT_TRUE(client->ReadUntilClosed(Clock::now() + std::chrono::seconds(10)));
    const std::string& got = client->received();
    const size_t second = got.find("HTTP/1.1 200", 1);
    EXPECT_TRUE(got.starts_with("HTTP/1.1 200")) << got;
    ASSERT_NE(second, std::string::npos) << got;
    EXPECT_NE(got.find("ok\n", second), std::string::npos) << got;
  }
  {
    const std::string whole = post + "\r\n" + body;
    auto client = RawClient::Connect(listener.port(), "127.0.0.30");
    ASSERT_NE(client, nullptr);
    for (size_t at = 0; at < whole.size(); at += 7) ASSERT_TRUE(client->Send(whole.substr(at, 7)));
    ASSERT_TRUE(client->Send("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"));
    ASSERT_TRUE(client->ReadUntilClosed(Clock::now() + std::chrono::seconds(10)));
    EXPECT_TRUE(client->received().starts_with("HTTP/1.1 200")) << client->received();
  }
  std::lock_guard lock(listener.mu);
  EXPECT_EQ(listener.api_bodies, std::vector<std::string>(3, body));
}

// Over HTTPS the handshake is bounded too: clients that trickle a ClientHello (a record
// header promising 4,000 bytes, then a byte every 100 ms) are closed within the I/O bound,
// and an HTTPS client is answered meanwhile.
TEST(HostileClients, SlowTlsHandshakesAreCutOffWhileOthersAreAnswered) {
  char tmpl[] = "/tmp/pinwatch-tls-hostile.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string make = "cd " + dir +
                           " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                           " -keyout tls.key -out tls.crt -subj /CN=localhost -days 2 >/dev/null 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0);
  constexpr int64_t kIoTimeoutMs = 2000;
  auto server = HttpServer::Start({.host = "127.0.0.1",
                                   .port = 0,
                                   .tls_cert_file = dir + "/tls.crt",
                                   .tls_key_file = dir + "/tls.key",
                                   .io_timeout_ms = kIoTimeoutMs},
                                  {});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();

  constexpr int kSlow = 24;
  SlowClients slow;
  const Clock::time_point opened = Clock::now();
  const std::string hello = std::string("\x16\x03\x01\x0f\xa0", 5) + std::string(4000, '\0');
  for (int i = 0; i < kSlow; ++i) ASSERT_TRUE(slow.Open(port, "127.0.0." + std::to_string(40 + i % 2), hello, 1));
  slow.Start(std::chrono::milliseconds(100), opened + std::chrono::milliseconds(4 * kIoTimeoutMs));

  httplib::SSLClient tls("127.0.0.1", port);
  tls.enable_server_certificate_verification(false);  // a self-signed test certificate
  tls.set_read_timeout(std::chrono::milliseconds(2 * kIoTimeoutMs));
  const Clock::time_point asked = Clock::now();
  auto health = tls.Get("/healthz");
  const int64_t answered_ms = MsSince(asked);
  const int still_open = slow.OpenNow();
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  EXPECT_EQ(still_open, kSlow);
  EXPECT_LT(answered_ms, kIoTimeoutMs / 2);
  std::printf("[ measured ] %d slow TLS handshakes held; /healthz over HTTPS answered in %lld ms\n", still_open,
              static_cast<long long>(answered_ms));

  slow.Join();
  for (const SlowClients::Slow& c : slow.clients()) {
    ASSERT_TRUE(c.client->closed());
    EXPECT_LT(c.sent, c.request.size());
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(c.client->closed_at() - opened).count(),
              3 * kIoTimeoutMs);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pinwatch::api
