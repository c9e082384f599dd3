// The listener over real loopback sockets: its routes, readiness that fails and recovers,
// methods it refuses, a port already taken, and the published pin-sets.
#include "api/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <cstdlib>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>

#include "net/http.h"

namespace pinwatch::api {
namespace {

struct Served {
  std::atomic<int> ready_calls{0};
  std::atomic<bool> ready{true};
  std::unique_ptr<HttpServer> server;

  explicit Served(int64_t ready_cache_ms = 0) {
    Probes probes{.metrics_text = [] { return std::string("pinwatch_up 1\n"); },
                  .ready = [this]() -> Status {
                    ++ready_calls;
                    return ready ? OkStatus() : UnavailableError("database unreachable: connection refused");
                  }};
    auto s = HttpServer::Start({.host = "127.0.0.1", .port = 0, .ready_cache_ms = ready_cache_ms}, std::move(probes));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    if (s.ok()) server = std::move(*s);
  }
  std::string Url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(server->port()) + path; }
};

TEST(HttpServer, ServesMetricsHealthAndReadiness) {
  Served s;
  net::HttpClient http;
  auto metrics = http.Get(s.Url("/metrics"));
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(metrics->status_code, 200);
  EXPECT_EQ(metrics->body, "pinwatch_up 1\n");

  auto health = http.Get(s.Url("/healthz"));
  ASSERT_TRUE(health.ok());
  EXPECT_EQ(health->status_code, 200);

  auto ready = http.Get(s.Url("/readyz"));
  ASSERT_TRUE(ready.ok());
  EXPECT_EQ(ready->status_code, 200);

  s.ready = false;  // the database went away: not ready, and it says why; still alive
  auto not_ready = http.Get(s.Url("/readyz"));
  ASSERT_TRUE(not_ready.ok());
  EXPECT_EQ(not_ready->status_code, 503);
  EXPECT_EQ(not_ready->body, "not ready: database unreachable: connection refused\n");
  auto alive = http.Get(s.Url("/healthz"));
  ASSERT_TRUE(alive.ok());
  EXPECT_EQ(alive->status_code, 200);

  s.ready = true;
  auto back = http.Get(s.Url("/readyz"));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->status_code, 200);
}

TEST(HttpServer, ReadinessIsAskedAtMostOncePerCacheInterval) {
  Served s(/*ready_cache_ms=*/60'000);
  net::HttpClient http;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(http.Get(s.Url("/readyz")).ok());
  EXPECT_EQ(s.ready_calls, 1);
}

TEST(HttpServer, UnknownPathsAndMethods) {
  Served s;
  net::HttpClient http;
  auto missing = http.Get(s.Url("/api/v1/findings"));
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status_code, 404);
  auto post = http.Post(s.Url("/metrics"), {.body = "{}"});
  ASSERT_TRUE(post.ok());
  EXPECT_EQ(post->status_code, 405);
}

TEST(HttpServer, APortInUseIsAClearError) {
  Served first;
  auto second = HttpServer::Start({.host = "127.0.0.1", .port = first.server->port()}, {});
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), Code::kUnavailable);
  EXPECT_EQ(second.status().message(), "http.listen 127.0.0.1:" + std::to_string(first.server->port()) +
                                           ": cannot bind (address in use, or no such address)");
}

}  // namespace
}  // namespace pinwatch::api

namespace pinwatch::api {
namespace {

// The published pin-sets, read back with a plain HTTP client that sees the headers.
TEST(HttpServer, ServesPublishedPinsetsWithETagsAndNothingElseFromTheDirectory) {
  char tmpl[] = "/tmp/pinwatch-api-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string document = R"({"name":"api","version":2})";
  std::ofstream(dir + "/api.json") << document;
  std::ofstream(dir + "/api.json.sig") << "c2lnbmF0dXJl\n";
  std::ofstream(dir + "/secret.pem") << "not for the web";
  std::filesystem::create_directory(dir + "/sub");
  std::ofstream(dir + "/sub/x.json") << "{}";
  auto server = HttpServer::Start({.host = "127.0.0.1", .port = 0, .pinsets_directory = dir}, {});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  httplib::Client client("127.0.0.1", (*server)->port());

  auto got = client.Get("/v1/pinsets/api.json");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->body, document);
  EXPECT_EQ(got->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(got->get_header_value("Cache-Control"), "no-cache");
  const std::string etag = got->get_header_value("ETag");
  ASSERT_EQ(etag.size(), 34u) << etag;  // a quoted 128-bit hex digest

  auto same = client.Get("/v1/pinsets/api.json", {{"If-None-Match", etag}});
  ASSERT_TRUE(same);
  EXPECT_EQ(same->status, 304);
  EXPECT_TRUE(same->body.empty());
  // A new version is a new ETag: the client gets the new document, not a 304.
  std::ofstream(dir + "/api.json", std::ios::trunc) << R"({"name":"api","version":3})";
  auto changed = client.Get("/v1/pinsets/api.json", {{"If-None-Match", etag}});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->status, 200);
  EXPECT_NE(changed->get_header_value("ETag"), etag);

  auto sig = client.Get("/v1/pinsets/api.json.sig");
  ASSERT_TRUE(sig);
  EXPECT_EQ(sig->status, 200);
  EXPECT_EQ(sig->body, "c2lnbmF0dXJl\n");

  // Only names a pin-set can have reach the file system.
  for (const char* path : {"/v1/pinsets/missing.json", "/v1/pinsets/secret.pem", "/v1/pinsets/../secret.pem",
                           "/v1/pinsets/%2e%2e%2fsecret.pem", "/v1/pinsets/sub/x.json", "/v1/pinsets/API.json",
                           "/v1/pinsets/.json"}) {
    auto refused = client.Get(path);
    ASSERT_TRUE(refused) << path;
    EXPECT_EQ(refused->status, 404) << path;
    EXPECT_EQ(refused->body.find("not for the web"), std::string::npos) << path;
  }
  std::filesystem::remove_all(dir);
}

TEST(HttpServer, WithoutAPublishDirectoryNoPinsetsAreServed) {
  auto server = HttpServer::Start({.host = "127.0.0.1", .port = 0}, {});
  ASSERT_TRUE(server.ok());
  httplib::Client client("127.0.0.1", (*server)->port());
  auto got = client.Get("/v1/pinsets/api.json");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 404);
}

}  // namespace
}  // namespace pinwatch::api

namespace pinwatch::api {
namespace {

// http.tls_cert_file / http.tls_key_file: HTTPS only, and a certificate and key that do not
// belong together are refused at start, naming the files.
TEST(HttpServer, ServesHttpsOnlyWithACertificateAndRefusesAMismatchedKey) {
  char tmpl[] = "/tmp/pinwatch-tls-test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  const std::string make = "cd " + dir +
                           " && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                           " -keyout tls.key -out tls.crt -subj /CN=localhost -days 2 >/dev/null 2>&1"
                           " && openssl ecparam -name prime256v1 -genkey -noout -out other.key >/dev/null 2>&1";
  ASSERT_EQ(std::system(make.c_str()), 0);

  auto server = HttpServer::Start(
      {.host = "127.0.0.1", .port = 0, .tls_cert_file = dir + "/tls.crt", .tls_key_file = dir + "/tls.key"}, {});
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  httplib::SSLClient tls("127.0.0.1", (*server)->port());
  tls.enable_server_certificate_verification(false);  // a self-signed test certificate
  auto health = tls.Get("/healthz");
  ASSERT_TRUE(health) << httplib::to_string(health.error());
  EXPECT_EQ(health->status, 200);
  httplib::Client plain("127.0.0.1", (*server)->port());
  auto refused = plain.Get("/healthz");
  EXPECT_TRUE(!refused || refused->status != 200);  // no answer in clear text

  auto mismatched = HttpServer::Start(
      {.host = "127.0.0.1", .port = 0, .tls_cert_file = dir + "/tls.crt", .tls_key_file = dir + "/other.key"}, {});
  ASSERT_FALSE(mismatched.ok());
  EXPECT_NE(mismatched.status().message().find("other.key"), std::string::npos) << mismatched.status().message();
  auto missing = HttpServer::Start(
      {.host = "127.0.0.1", .port = 0, .tls_cert_file = dir + "/none.crt", .tls_key_file = dir + "/tls.key"}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("none.crt"), std::string::npos) << missing.status().message();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pinwatch::api
