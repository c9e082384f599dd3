// The listener's side of one accepted connection, below HTTP: Connection reads and writes
// it, plain or TLS, each call bounded by a deadline (the socket is non-blocking, so a peer
// that trickles bytes or never reads cannot hold a call past it); ConnectionGate admits
// connections, at most so many at once and so many from one peer address, and wakes them
// all when the listener stops.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;

namespace pinwatch::api {

using Deadline = std::chrono::steady_clock::time_point;

class Connection {
 public:
  // What Read and Write return when the deadline passed first.
  static constexpr ssize_t kTimedOut = -2;

  // Plain serves `fd` as it is; Tls performs a TLS server handshake on it with `ctx`,
  // which must end by `deadline` (nullptr when it fails or does not). Neither closes `fd`.
  static std::unique_ptr<Connection> Plain(int fd);
  static std::unique_ptr<Connection> Tls(int fd, SSL_CTX* ctx, Deadline deadline);
  virtual ~Connection() = default;

  // Read returns 1..size bytes, 0 at the end of the stream, kTimedOut, or -1 (an error).
  virtual ssize_t Read(char* buf, size_t size, Deadline deadline) = 0;
  // Write writes all of `size` bytes and returns size, or kTimedOut, or -1.
  virtual ssize_t Write(const char* buf, size_t size, Deadline deadline) = 0;
  // WaitWritable says whether a write could start before `deadline`.
  bool WaitWritable(Deadline deadline) const;
  int fd() const { return fd_; }

 protected:
  explicit Connection(int fd) : fd_(fd) {}
  // Wait polls for `events` on the socket until `deadline`: false when it passed.
  bool Wait(short events, Deadline deadline) const;
  int fd_;
};

// Endpoint is one end of a connected socket: its address as text, and its port.
struct Endpoint {
  std::string address;  // "" when the socket has none
  int port = 0;
};
Endpoint PeerOf(int fd);
Endpoint LocalOf(int fd);

class ConnectionGate {
 public:
  ConnectionGate(int max_connections, int max_per_address)
      : max_connections_(max_connections), max_per_address_(max_per_address) {}

  // Admit counts `fd` from `address` in, or says why not (the listener is full, the address
  // has its share, the listener is stopping): "" when admitted. Leave counts it out.
  std::string Admit(int fd, const std::string& address);
  void Leave(int fd, const std::string& address);
  // Stop refuses every later connection and ends reading on each admitted one (shutdown
  // SHUT_RD: a blocked read sees the end of the stream); answers being written finish.
  void Stop();

 private:
  const int max_connections_, max_per_address_;
  std::mutex mu_;
  bool stopping_ = false;
  std::set<int> fds_;
  std::map<std::string, int> per_address_;
};

}  // namespace pinwatch::api
