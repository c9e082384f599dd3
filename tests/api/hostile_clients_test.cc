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
                  .api = [this](const ApiRequest&) {
                    ++api_calls;
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

// Slow-loris clients on every route, more than httplib's thread pool has threads (it has
// max(8, cores - 1)), from a few addresses: while they trickle, a normal client is answered
// at once, and each slow one is answered 408 and closed within the I/O bound.
TEST(HostileClients, SlowLorisOnEveryRouteIsCutOffWhileOthersAreAnswered) {
  constexpr int64_t kIoTimeoutMs = 3000;
  Listener listener({.io_timeout_ms = kIoTimeoutMs});
  const int kSlow = 4 * static_cast<int>(std::max(8u, std::thread::hardware_concurrency()));
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

}  // namespace
}  // namespace pinwatch::api
