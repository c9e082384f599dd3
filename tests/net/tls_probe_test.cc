// ProbeTls against a real TLS server (openssl s_server on loopback): the pins it returns are
// the ones the openssl CLI computes, leaf first; SNI picks the certificate; failures are
// kUnavailable and name the server and address. Nothing here leaves loopback.
#include "net/tls_probe.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "base/pin.h"
#include "tests/support/tls_server.h"

namespace pinwatch::net {
namespace {

using testing::Bash;
using testing::FreeLoopbackPort;
using testing::MakeKey;
using testing::MakeSelfSigned;
using testing::SpkiPinOfKey;
using testing::TlsServer;

constexpr int64_t kTimeoutMs = 10'000;

class TlsProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/pinwatch-tls-probe-test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  // SelfSigned makes NAME.key and NAME.pem for dns_name and returns the key's pin.
  std::string SelfSigned(const std::string& name, const std::string& dns_name) {
    EXPECT_TRUE(MakeKey(Path(name + ".key")).ok());
    Status made = MakeSelfSigned(Path(name + ".key"), dns_name, Path(name + ".pem"));
    EXPECT_TRUE(made.ok()) << made.ToString();
    Result<std::string> pin = SpkiPinOfKey(Path(name + ".key"));
    EXPECT_TRUE(pin.ok()) << pin.status().ToString();
    return pin.ok() ? *pin : "";
  }
  std::string Path(const std::string& name) const { return dir_ + "/" + name; }
  std::string dir_;
};

TEST_F(TlsProbeTest, ReturnsTheServedCertificatesSpkiPin) {
  const std::string pin = SelfSigned("leaf", "api.example.test");
  auto server = TlsServer::Start({.cert = Path("leaf.pem"), .key = Path("leaf.key")});
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  Result<ServedChain> served = ProbeTls("api.example.test", "127.0.0.1", (*server)->port(), kTimeoutMs);
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ(served->address, "127.0.0.1:" + std::to_string((*server)->port()));
  ASSERT_EQ(served->spki_sha256.size(), 1u);
  EXPECT_EQ(PinText(served->spki_sha256[0]), pin);
}

TEST_F(TlsProbeTest, ReturnsEveryCertificateSentLeafFirst) {
  // A CA and a leaf it signed; the server sends both.
  const std::string ca_pin = SelfSigned("ca", "ca.example.test");
  ASSERT_TRUE(MakeKey(Path("leaf.key")).ok());
  const std::string o = testing::kOpensslPath;
  Result<std::string> signed_leaf =
      Bash(o + " req -new -key " + Path("leaf.key") + " -subj /CN=api.example.test | " + o + " x509 -req -CA " +
           Path("ca.pem") + " -CAkey " + Path("ca.key") + " -days 2 -out " + Path("leaf.pem"));
  ASSERT_TRUE(signed_leaf.ok()) << signed_leaf.status().ToString();
  Result<std::string> leaf_pin = SpkiPinOfKey(Path("leaf.key"));
  ASSERT_TRUE(leaf_pin.ok());
  auto server = TlsServer::Start({.cert = Path("leaf.pem"), .key = Path("leaf.key"), .chain = Path("ca.pem")});
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  Result<ServedChain> served = ProbeTls("api.example.test", "127.0.0.1", (*server)->port(), kTimeoutMs);
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  ASSERT_EQ(served->spki_sha256.size(), 2u);
  EXPECT_EQ(PinText(served->spki_sha256[0]), *leaf_pin);
  EXPECT_EQ(PinText(served->spki_sha256[1]), ca_pin);
}

TEST_F(TlsProbeTest, SendsTheServerNameAsSni) {
  const std::string default_pin = SelfSigned("default", "default.example.test");
  const std::string api_pin = SelfSigned("api", "api.example.test");
  auto server = TlsServer::Start({.cert = Path("default.pem"), .key = Path("default.key"),
                                  .sni_name = "api.example.test", .sni_cert = Path("api.pem"),
                                  .sni_key = Path("api.key")});
  ASSERT_TRUE(server.ok()) << server.status().ToString();

  Result<ServedChain> api = ProbeTls("api.example.test", "127.0.0.1", (*server)->port(), kTimeoutMs);
  Result<ServedChain> other = ProbeTls("other.example.test", "127.0.0.1", (*server)->port(), kTimeoutMs);
  ASSERT_TRUE(api.ok()) << api.status().ToString();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  EXPECT_EQ(PinText(api->spki_sha256.at(0)), api_pin);
  EXPECT_EQ(PinText(other->spki_sha256.at(0)), default_pin);
}

TEST_F(TlsProbeTest, RefusedConnectionIsUnavailableAndNamesServerAndAddress) {
  const int port = FreeLoopbackPort();  // nothing listens there
  ASSERT_NE(port, 0);
  Result<ServedChain> served = ProbeTls("api.example.test", "127.0.0.1", port, kTimeoutMs);
  ASSERT_FALSE(served.ok());
  EXPECT_EQ(served.status().code(), Code::kUnavailable);
  EXPECT_EQ(served.status().message(), "api.example.test (127.0.0.1:" + std::to_string(port) + "): connection refused");
}

TEST_F(TlsProbeTest, ServerThatNeverAnswersTheHandshakeTimesOut) {
  // A listening socket nobody accepts on: the kernel completes TCP, and the ClientHello
  // waits unread.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 1), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int port = ntohs(addr.sin_port);

  Result<ServedChain> served = ProbeTls("api.example.test", "127.0.0.1", port, 300);
  ::close(fd);
  ASSERT_FALSE(served.ok());
  EXPECT_EQ(served.status().code(), Code::kUnavailable);
  EXPECT_EQ(served.status().message(), "api.example.test (127.0.0.1:" + std::to_string(port) +
                                           "): no TLS handshake within 300 ms (connected to 127.0.0.1:" +
                                           std::to_string(port) + ")");
}

TEST_F(TlsProbeTest, FailedHandshakeIsUnavailableAndSaysWhy) {
  // A server with no certificate and no PSK (s_server -nocert) shares no cipher suite with
  // a client that wants a certificate: it ends the handshake with an alert.
  const std::string o = testing::kOpensslPath;
  auto child = testing::ChildProcess::Start({o, "s_server", "-accept", "127.0.0.1:0", "-nocert", "-www"});
  ASSERT_TRUE(child.ok());
  Result<std::string> line = (*child)->WaitForLine("ACCEPT", std::chrono::seconds(30));
  ASSERT_TRUE(line.ok()) << (*child)->output();
  const int port = std::atoi(line->c_str() + line->rfind(':') + 1);
  testing::ServingProcess server(std::move(*child), "openssl s_server -nocert");

  Result<ServedChain> served = ProbeTls("api.example.test", "127.0.0.1", port, kTimeoutMs);
  ASSERT_FALSE(served.ok());
  EXPECT_EQ(served.status().code(), Code::kUnavailable);
  EXPECT_NE(served.status().message().find("api.example.test (127.0.0.1:" + std::to_string(port) +
                                           "): TLS handshake failed: "),
            std::string::npos)
      << served.status().message();
}

}  // namespace
}  // namespace pinwatch::net
