// The TLS probe over OpenSSL's libssl: a non-blocking socket driven by poll() against one
// deadline, so neither a silent address nor a server that stalls mid-handshake can hold a
// check past its timeout.
#include "net/tls_probe.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>

#include "base/openssl_ptr.h"

namespace pinwatch::net {
namespace {

using SslCtxPtr = OpenSslPtr<SSL_CTX, SSL_CTX_free>;
using SslPtr = OpenSslPtr<SSL, SSL_free>;
using Clock = std::chrono::steady_clock;

// Socket owns a file descriptor.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// HostPort writes host:port, bracketing an IPv6 literal ("[::1]:443").
std::string HostPort(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// ErrnoText is strerror with a lowercase first letter, to read inside a sentence.
std::string ErrnoText(int err) {
  std::string text = std::strerror(err);
  if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  return text;
}

// MsLeft is the time to `deadline` in whole milliseconds, 0 once it has passed.
int MsLeft(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

enum class Readiness { kReady, kTimedOut, kFailed };

// WaitFor polls fd for `events` until the deadline.
Readiness WaitFor(int fd, short events, Clock::time_point deadline) {
  while (true) {
    const int ms = MsLeft(deadline);
    if (ms == 0) return Readiness::kTimedOut;
    pollfd pfd = {fd, events, 0};
    const int ready = ::poll(&pfd, 1, ms);
    if (ready > 0) return Readiness::kReady;  // POLLERR/POLLHUP too: the next call says what failed
    if (ready < 0 && errno != EINTR) return Readiness::kFailed;
  }
}

// NumericAddress is the address as numbers ("127.0.0.1:4433"), or "" if it has none.
std::string NumericAddress(const addrinfo& ai) {
  char host[NI_MAXHOST], service[NI_MAXSERV];
  if (::getnameinfo(ai.ai_addr, ai.ai_addrlen, host, sizeof host, service, sizeof service,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
    return "";
  }
  return HostPort(host, std::atoi(service));
}

struct Connected {
  Socket socket;
  std::string address;
};

// Connect tries each address in getaddrinfo's order until one accepts; on failure the
// reason without the "name (host:port): " prefix.
Result<Connected> Connect(const std::string& host, int port, int64_t timeout_ms, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (const int rc = ::getaddrinfo(host.c_str(), service.c_str(), &hints, &found); rc != 0) {
    return UnavailableError(std::string("DNS lookup failed: ") +
                            (rc == EAI_SYSTEM ? ErrnoText(errno) : ::gai_strerror(rc)));
  }
  const std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, &::freeaddrinfo);
  std::string last_error = "no address";
  int tried = 0;
  for (const addrinfo* ai = addresses.get(); ai != nullptr; ai = ai->ai_next) {
    ++tried;
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (s.fd() < 0) {
      last_error = "socket: " + ErrnoText(errno);
      continue;
    }
    std::string address = NumericAddress(*ai);
    if (address.empty()) address = HostPort(host, port);
    if (::connect(s.fd(), ai->ai_addr, ai->ai_addrlen) == 0) return Connected{std::move(s), address};
    if (errno != EINPROGRESS) {
      last_error = ErrnoText(errno);
      continue;
    }
    const Readiness r = WaitFor(s.fd(), POLLOUT, deadline);
    if (r == Readiness::kTimedOut) {
      return UnavailableError("no connection to " + address + " within " + std::to_string(timeout_ms) + " ms");
    }
    int err = 0;
    socklen_t len = sizeof err;
    if (r == Readiness::kFailed) {
      err = errno;
    } else if (::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
      err = errno;
    }
    if (err == 0) return Connected{std::move(s), address};
    last_error = ErrnoText(err);
  }
  if (tried > 1) last_error += " (" + std::to_string(tried) + " addresses tried)";
  return UnavailableError(last_error);
}

// SslErrorText says why a libssl call failed, from its error queue or errno.
std::string SslErrorText(int ssl_error, int saved_errno) {
  if (const unsigned long e = ERR_get_error(); e != 0) {
    if (const char* reason = ERR_reason_error_string(e)) return reason;
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return buf;
  }
  if (ssl_error == SSL_ERROR_ZERO_RETURN || (ssl_error == SSL_ERROR_SYSCALL && saved_errno == 0)) {
    return "the server closed the connection";
  }
  if (ssl_error == SSL_ERROR_SYSCALL) return ErrnoText(saved_errno);
  return "SSL error " + std::to_string(ssl_error);
}

// Handshake runs SSL_connect on the non-blocking socket until it completes or the deadline
// passes; on failure the reason without the prefix.
Status Handshake(SSL* ssl, int fd, int64_t timeout_ms, Clock::time_point deadline) {
  while (true) {
    ERR_clear_error();  // the queue is per thread: read only what this call adds
    errno = 0;
    const int rc = SSL_connect(ssl);
    if (rc == 1) return OkStatus();
    const int saved_errno = errno;
    const int ssl_error = SSL_get_error(ssl, rc);
    short events = 0;
    if (ssl_error == SSL_ERROR_WANT_READ) events = POLLIN;
    if (ssl_error == SSL_ERROR_WANT_WRITE) events = POLLOUT;
    if (events == 0) return UnavailableError("TLS handshake failed: " + SslErrorText(ssl_error, saved_errno));
    const Readiness r = WaitFor(fd, events, deadline);
    if (r == Readiness::kTimedOut) {
      return UnavailableError("no TLS handshake within " + std::to_string(timeout_ms) + " ms");
    }
    if (r == Readiness::kFailed) return UnavailableError("TLS handshake failed: poll: " + ErrnoText(errno));
  }
}

// ServedSpkiHashes hashes the DER SubjectPublicKeyInfo of each certificate the peer sent.
// On a client SSL_get_peer_cert_chain includes the leaf, first (it is borrowed, as are the
// X509_PUBKEYs).
Result<std::vector<Hash>> ServedSpkiHashes(SSL* ssl) {
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl);
  if (chain == nullptr || sk_X509_num(chain) == 0) return UnavailableError("the server sent no certificate");
  std::vector<Hash> out;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509_PUBKEY* spki = X509_get_X509_PUBKEY(sk_X509_value(chain, i));
    const int len = spki == nullptr ? -1 : i2d_X509_PUBKEY(spki, nullptr);
    if (len <= 0) return UnavailableError("certificate " + std::to_string(i) + " sent has no readable public key");
    std::vector<uint8_t> der(static_cast<size_t>(len));
    uint8_t* p = der.data();
    if (i2d_X509_PUBKEY(spki, &p) != len) return InternalError("i2d_X509_PUBKEY changed its length");
    out.push_back(Sha256Of(der));
  }
  return out;
}

Result<ServedChain> Probe(const std::string& server_name, const std::string& host, int port, int64_t timeout_ms) {
  const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  Result<Connected> connected = Connect(host, port, timeout_ms, deadline);
  if (!connected.ok()) return connected.status();

  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (ctx == nullptr) return InternalError("SSL_CTX_new failed");
  // No verification: we report what is served, trusted or not. Security level 0 for the
  // same reason: a server with a key too weak for the default level is still an answer
  // (nothing secret crosses this connection).
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  SSL_CTX_set_security_level(ctx.get(), 0);
  SslPtr ssl(SSL_new(ctx.get()));
  if (ssl == nullptr || SSL_set_fd(ssl.get(), connected->socket.fd()) != 1) return InternalError("SSL_new failed");
  // SNI: the server picks the certificate it serves for this name (RFC 6066 §3).
  if (SSL_set_tlsext_host_name(ssl.get(), server_name.c_str()) != 1) {
    return UnavailableError("cannot send " + server_name + " as SNI");
  }
  if (Status s = Handshake(ssl.get(), connected->socket.fd(), timeout_ms, deadline); !s.ok()) {
    return UnavailableError(s.message() + " (connected to " + connected->address + ")");
  }
  Result<std::vector<Hash>> hashes = ServedSpkiHashes(ssl.get());
  (void)SSL_shutdown(ssl.get());  // one close_notify, not waiting for the server's
  if (!hashes.ok()) return hashes.status();
  return ServedChain{.address = connected->address, .spki_sha256 = *std::move(hashes)};
}

}  // namespace

Result<ServedChain> ProbeTls(const std::string& server_name, const std::string& host, int port, int64_t timeout_ms) {
  Result<ServedChain> served = Probe(server_name, host, port, timeout_ms);
  if (served.ok()) return served;
  return Status(served.status().code(),
                server_name + " (" + HostPort(host, port) + "): " + served.status().message());
}

}  // namespace pinwatch::net
