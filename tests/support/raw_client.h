// RawClient and SlowClients: hostile HTTP clients for the listener's tests. RawClient is one
// TCP connection from a chosen loopback source address that sends exactly the bytes it is
// given, when it is told (an HTTP library would not send a request a byte at a time, or a
// malformed one); SlowClients trickles requests over many of them at once, the slow-loris
// attack, from a thread of its own.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace pinwatch::testing {

class RawClient {
 public:
  using Clock = std::chrono::steady_clock;

  // Connect connects from `source` (an address of 127.0.0.0/8) to 127.0.0.1:port; nullptr
  // when it cannot.
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
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

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
        closed_at_ = Clock::now();
        closed_ = true;  // the end of the stream, or a reset
      }
    }
    return false;
  }
  // ReadUntilClosed takes what the server sends until it closes (true) or `deadline` (false).
  bool ReadUntilClosed(Clock::time_point deadline) {
    while (Pump()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
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

// SlowClients sends requests a byte at a time over many connections: the first `first`
// bytes of each at once, then a byte to each open connection every `interval`, until the
// server has closed them all or `give_up_at`. Read what they got after Join.
class SlowClients {
 public:
  using Clock = RawClient::Clock;

  // Open connects from `source` and sends the first `first` bytes of `request`.
  bool Open(int port, const std::string& source, std::string request, size_t first) {
    auto client = RawClient::Connect(port, source);
    if (!client || !client->Send(std::string_view(request).substr(0, first))) return false;
    clients_.push_back({std::move(client), std::move(request), first, Clock::now()});
    return true;
  }
  void Start(std::chrono::milliseconds interval, Clock::time_point give_up_at) {
    thread_ = std::thread([this, interval, give_up_at] {
      while (Clock::now() < give_up_at) {
        std::vector<pollfd> fds;
        for (auto& c : clients_) fds.push_back({.fd = c.client->closed() ? -1 : c.client->fd(), .events = POLLIN, .revents = 0});
        poll(fds.data(), fds.size(), static_cast<int>(interval.count()));
        bool open = false;
        for (auto& c : clients_) {
          if (!c.client->Pump()) continue;
          open = true;
          if (c.sent < c.request.size() && c.client->Send(std::string_view(c.request).substr(c.sent, 1))) ++c.sent;
        }
        if (!open) return;
      }
    });
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }
  ~SlowClients() { Join(); }

  // OpenNow counts the connections the server has not closed (safe while trickling).
  int OpenNow() const {
    return static_cast<int>(std::count_if(clients_.begin(), clients_.end(), [](const Slow& c) { return !c.client->closed(); }));
  }

  struct Slow {
    std::unique_ptr<RawClient> client;
    std::string request;
    size_t sent = 0;  // bytes of `request` sent
    Clock::time_point opened;
  };
  // clients: read them after Join.
  const std::vector<Slow>& clients() const { return clients_; }

 private:
  std::vector<Slow> clients_;
  std::thread thread_;
};

}  // namespace pinwatch::testing
