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

namespace pinwatch::api {
namespace {

using Clock = std::chrono::steady_clock;

int64_t MsSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

// RawClient is one TCP connection from a chosen loopback source address, which sends
// exactly the bytes it is given, when it is told to.
class RawClient {
 public:
  static std::unique_ptr<RawClient> Connect(int port, const std::string& source) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return nullptr;
    auto client = std::unique_ptr<RawClient>(new RawClient(fd));
    sockaddr_in from{};
    from.sin_family = AF_INET;
    if (inet_pton(AF_INET, source.c_str(), &from.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof(from)) != 0) {
      return nullptr;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    if (connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) != 0) return nullptr;
    return client;
  }
  ~RawClient() { close(fd_); }

  // Send sends all of `bytes`; false when the connection is gone.
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }
  // Pump takes what the server has sent without waiting; false once it has closed.
  bool Pump() {
    while (!closed_) {
      char buf[4096];
      const ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
      if (n > 0) {
        received_.append(buf, static_cast<size_t>(n));
      } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return true;
      } else if (!(n < 0 && errno == EINTR)) {
        closed_ = true;  // the end of the stream, or a reset
        closed_at_ = Clock::now();
      }
    }
    return false;
  }
  // ReadUntilClosed takes what the server sends until it closes (true) or `deadline` (false).
  bool ReadUntilClosed(Clock::time_point deadline) {
    while (Pump()) {
      const int64_t left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return false;
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      poll(&p, 1, static_cast<int>(left));
    }
    return true;
  }
  // Status is the status code of the first answer received (0: none).
  int Status() const {
    int status = 0;
    return std::sscanf(received_.c_str(), "HTTP/1.%*d %d", &status) == 1 ? status : 0;
  }
  int fd() const { return fd_; }
  bool closed() const { return closed_; }
  Clock::time_point closed_at() const { return closed_at_; }
  const std::string& received() const { return received_; }

 private:
  explicit RawClient(int fd) : fd_(fd) {}
  int fd_;
  std::atomic<bool> closed_{false};  // read by other threads while one pumps
  Clock::time_point closed_at_;
  std::string received_;
};

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

  // Each slow client's first byte goes out at once; the rest trickle from a thread of their own.
  std::vector<std::unique_ptr<RawClient>> slow;
  std::vector<std::string> requests;
  std::vector<size_t> sent;
  const Clock::time_point opened = Clock::now();
  for (int i = 0; i < kSlow; ++i) {
    const std::string& route = kRoutes[static_cast<size_t>(i) % kRoutes.size()];
    requests.push_back(SlowLoris(route, (i / static_cast<int>(kRoutes.size())) % 2 == 1));
    slow.push_back(RawClient::Connect(listener.port(), "127.0.0." + std::to_string(2 + i % 4)));
    ASSERT_NE(slow.back(), nullptr) << "connection " << i;
    // A slow body's head goes whole, then the body a byte at a time.
    const size_t first = requests.back().starts_with("POST") ? requests.back().find("\r\n\r\n") + 5 : 1;
    ASSERT_TRUE(slow.back()->Send(std::string_view(requests.back()).substr(0, first)));
    sent.push_back(first);
  }
  // A burst of connections is accepted at once (httplib's backlog of 5 dropped the SYNs past
  // it, which came back a second or three later).
  const int64_t open_ms = MsSince(opened);
  EXPECT_LT(open_ms, kIoTimeoutMs / 2) << "the listener was slow to accept a burst of connections";
  std::printf("[ measured ] %d slow connections opened in %lld ms\n", kSlow, static_cast<long long>(open_ms));
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    // A byte to each open connection every 100 ms; what arrives is taken as it comes. The
    // slowest a request may be is 4,000 bytes in 400 s: this gives up long before.
    while (!stop && Clock::now() < opened + std::chrono::milliseconds(4 * kIoTimeoutMs)) {
      std::vector<pollfd> fds;
      for (auto& c : slow) fds.push_back({.fd = c->closed() ? -1 : c->fd(), .events = POLLIN, .revents = 0});
      poll(fds.data(), fds.size(), 100);
      bool open = false;
      for (size_t i = 0; i < slow.size(); ++i) {
        if (!slow[i]->Pump()) continue;
        open = true;
        if (sent[i] < requests[i].size() && slow[i]->Send(std::string_view(requests[i]).substr(sent[i], 1))) ++sent[i];
      }
      if (!open) return;
    }
  });

  // Meanwhile a normal client is answered, every slow connection still held.
  const Clock::time_point asked = Clock::now();
  const int health = listener.Healthy(std::chrono::milliseconds(2 * kIoTimeoutMs));
  const int64_t answered_ms = MsSince(asked);
  int still_open = 0;
  for (auto& c : slow) still_open += c->closed() ? 0 : 1;
  EXPECT_EQ(health, 200);
  EXPECT_EQ(still_open, kSlow) << "slow connections were closed before the normal request was answered";
  for (size_t i = 0; i < slow.size() && still_open != kSlow; ++i) {
    if (slow[i]->closed()) std::printf("closed early: connection %zu after %zu bytes: %.40s\n", i, sent[i], slow[i]->received().c_str());
  }
  EXPECT_LT(answered_ms, kIoTimeoutMs / 2) << "the normal request waited for the slow ones";
  std::printf("[ measured ] %d slow connections held (httplib's pool: %u threads); /healthz answered in %lld ms\n",
              still_open, std::max(8u, std::thread::hardware_concurrency() - 1),
              static_cast<long long>(answered_ms));

  // Each slow client is answered 408 and closed within the bound; none reached the API.
  trickle.join();
  int64_t latest_ms = 0;
  for (size_t i = 0; i < slow.size(); ++i) {
    ASSERT_TRUE(slow[i]->closed()) << "connection " << i;
    EXPECT_EQ(slow[i]->Status(), 408) << requests[i].substr(0, 40) << ": " << slow[i]->received().substr(0, 200);
    EXPECT_LT(sent[i], requests[i].size()) << "connection " << i << " finished its request";
    latest_ms = std::max<int64_t>(
        latest_ms, std::chrono::duration_cast<std::chrono::milliseconds>(slow[i]->closed_at() - opened).count());
  }
  EXPECT_LT(latest_ms, 3 * kIoTimeoutMs);
  std::printf("[ measured ] the last slow connection was closed %lld ms after it opened (I/O bound %lld ms)\n",
              static_cast<long long>(latest_ms), static_cast<long long>(kIoTimeoutMs));
  EXPECT_EQ(listener.api_calls, 0);
  EXPECT_EQ(listener.Healthy(), 200);
  stop = true;
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

}  // namespace
}  // namespace pinwatch::api
