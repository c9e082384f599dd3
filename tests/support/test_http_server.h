// TestHttpServer: a cpp-httplib server on 127.0.0.1 (an OS-chosen port) running on its own
// thread, for tests of the HTTP layer and the log clients. It counts requests per path and
// the distinct client connections it has seen (by remote port), so tests can assert retries
// and connection reuse from the server side.
#pragma once

#include <httplib.h>
#include <zlib.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace pinwatch::testing {

class TestHttpServer {
 public:
  TestHttpServer() {
    server_.set_keep_alive_max_count(1000);
    server_.set_tcp_nodelay(true);  // no Nagle + delayed-ACK stalls between header and body
    // Every request is recorded before its handler runs.
    server_.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response&) {
      std::lock_guard<std::mutex> lock(mu_);
      ++requests_[req.path];
      paths_.push_back(req.target);
      ports_.insert(req.remote_port);
      user_agent_ = req.get_header_value("User-Agent");
      return httplib::Server::HandlerResponse::Unhandled;
    });
  }
  ~TestHttpServer() { Stop(); }

  httplib::Server& server() { return server_; }

  // Start binds 127.0.0.1 on a free port and starts serving. The listening socket exists
  // when Start returns, so clients may connect at once (the kernel queues them); Start
  // still waits (yielding, no sleep) until the accept loop reports running so that Stop
  // cannot race it.
  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    ASSERT_GT(port_, 0);
    thread_ = std::thread([this] {
      server_.listen_after_bind();
      finished_ = true;
    });
    while (!server_.is_running() && !finished_) std::this_thread::yield();
  }

  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  int requests(const std::string& path) {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_[path];
  }
  int total_requests() {
    std::lock_guard<std::mutex> lock(mu_);
    int n = 0;
    for (auto& [path, count] : requests_) n += count;
    return n;
  }
  // targets returns every request target (path and query) seen, in arrival order.
  std::vector<std::string> targets() {
    std::lock_guard<std::mutex> lock(mu_);
    return paths_;
  }
  size_t connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return ports_.size();
  }
  std::string last_user_agent() {
    std::lock_guard<std::mutex> lock(mu_);
    return user_agent_;
  }

 private:
  httplib::Server server_;
  std::thread thread_;
  std::atomic<bool> finished_{false};
  int port_ = -1;
  std::mutex mu_;
  std::map<std::string, int> requests_;
  std::vector<std::string> paths_;
  std::set<int> ports_;
  std::string user_agent_;
};

// Gzip compresses `data` into a gzip member (RFC 1952), as a server would send with
// Content-Encoding: gzip.
inline std::string Gzip(const std::string& data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

}  // namespace pinwatch::testing
