#include "api/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>

namespace pinwatch::api {
namespace {

void MakeNonBlocking(int fd) {
  const int flags = fcntl(fd, F_GETFL, 0);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

class PlainConnection : public Connection {
 public:
  explicit PlainConnection(int fd) : Connection(fd) { MakeNonBlocking(fd); }

  ssize_t Read(char* buf, size_t size, Deadline deadline) override {
    for (;;) {
      const ssize_t n = recv(fd_, buf, size, 0);
      if (n >= 0) return n;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!Wait(POLLIN, deadline)) return kTimedOut;
    }
  }

  ssize_t Write(const char* buf, size_t size, Deadline deadline) override {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = send(fd_, buf + done, size - done, MSG_NOSIGNAL);
      if (n >= 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return -1;
      if (!Wait(POLLOUT, deadline)) return kTimedOut;
    }
    return static_cast<ssize_t>(size);
  }
};

class TlsConnection : public Connection {
 public:
  TlsConnection(int fd, SSL* ssl) : Connection(fd), ssl_(ssl) {}
  ~TlsConnection() override {
    SSL_shutdown(ssl_);  // one close_notify, without waiting for the peer's
    SSL_free(ssl_);
  }

  // Step runs an SSL call until it completes, waiting for the socket in between: its
  // result (> 0), 0 at a clean end, kTimedOut, or -1.
  template <class Call>
  ssize_t Step(Call call, Deadline deadline) {
    for (;;) {
      ERR_clear_error();
      const int r = call();
      if (r > 0) return r;
      switch (SSL_get_error(ssl_, r)) {
        case SSL_ERROR_WANT_READ:
          if (!Wait(POLLIN, deadline)) return kTimedOut;
          break;
        case SSL_ERROR_WANT_WRITE:
          if (!Wait(POLLOUT, deadline)) return kTimedOut;
          break;
        case SSL_ERROR_ZERO_RETURN:
          return 0;
        case SSL_ERROR_SYSCALL:
          if (errno == EINTR) break;
          return r == 0 ? 0 : -1;  // the peer closed without close_notify: an end all the same
        default:
          return -1;
      }
    }
  }

  ssize_t Read(char* buf, size_t size, Deadline deadline) override {
    const int want = static_cast<int>(std::min<size_t>(size, 1 << 20));
    return Step([&] { return SSL_read(ssl_, buf, want); }, deadline);
  }

  ssize_t Write(const char* buf, size_t size, Deadline deadline) override {
    size_t done = 0;
    while (done < size) {
      // SSL_write is retried with the same arguments after WANT_*, as OpenSSL requires.
      const int chunk = static_cast<int>(std::min<size_t>(size - done, 1 << 20));
      const ssize_t n = Step([&] { return SSL_write(ssl_, buf + done, chunk); }, deadline);
      if (n <= 0) return n == 0 ? -1 : n;
      done += static_cast<size_t>(n);
    }
    return static_cast<ssize_t>(size);
  }

  ssize_t Handshake(Deadline deadline) { return Step([&] { return SSL_accept(ssl_); }, deadline); }

 private:
  SSL* ssl_;
};

}  // namespace

std::unique_ptr<Connection> Connection::Plain(int fd) { return std::make_unique<PlainConnection>(fd); }

std::unique_ptr<Connection> Connection::Tls(int fd, SSL_CTX* ctx, Deadline deadline) {
  MakeNonBlocking(fd);
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return nullptr;
  if (SSL_set_fd(ssl, fd) != 1) {
    SSL_free(ssl);
    return nullptr;
  }
  auto tls = std::make_unique<TlsConnection>(fd, ssl);
  if (tls->Handshake(deadline) <= 0) return nullptr;
  return tls;
}

bool Connection::Wait(short events, Deadline deadline) const {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{.fd = fd_, .events = events, .revents = 0};
    const int r = poll(&p, 1, static_cast<int>(std::min<int64_t>(left.count(), 60'000)));
    if (r > 0) return true;  // ready, or an error the next call reports
    if (r < 0 && errno != EINTR) return true;
  }
}

bool Connection::WaitWritable(Deadline deadline) const { return Wait(POLLOUT, deadline); }

namespace {

Endpoint EndpointOf(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto& in = reinterpret_cast<const sockaddr_in&>(addr);
    inet_ntop(AF_INET, &in.sin_addr, text, sizeof(text));
    return {text, ntohs(in.sin_port)};
  }
  if (addr.ss_family == AF_INET6) {
    const auto& in6 = reinterpret_cast<const sockaddr_in6&>(addr);
    inet_ntop(AF_INET6, &in6.sin6_addr, text, sizeof(text));
    return {text, ntohs(in6.sin6_port)};
  }
  return {};
}

}  // namespace

Endpoint PeerOf(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  return getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 ? EndpointOf(addr) : Endpoint{};
}

Endpoint LocalOf(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  return getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0 ? EndpointOf(addr) : Endpoint{};
}

std::string ConnectionGate::Admit(int fd, const std::string& address) {
  std::lock_guard lock(mu_);
  if (stopping_) return "the listener is stopping";
  if (static_cast<int>(fds_.size()) >= max_connections_) {
    return "already " + std::to_string(max_connections_) + " connections";
  }
  int& mine = per_address_[address];
  if (mine >= max_per_address_) return "already " + std::to_string(max_per_address_) + " connections from " + address;
  ++mine;
  fds_.insert(fd);
  return "";
}

void ConnectionGate::Leave(int fd, const std::string& address) {
  std::lock_guard lock(mu_);
  fds_.erase(fd);
  if (auto it = per_address_.find(address); it != per_address_.end() && --it->second <= 0) per_address_.erase(it);
}

void ConnectionGate::Stop() {
  std::lock_guard lock(mu_);
  stopping_ = true;
  for (int fd : fds_) shutdown(fd, SHUT_RD);
}

}  // namespace pinwatch::api
