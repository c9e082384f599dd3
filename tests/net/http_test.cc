#include "net/http.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>

#include "tests/support/test_http_server.h"

namespace pinwatch::net {
namespace {

using pinwatch::testing::Gzip;
using pinwatch::testing::TestHttpServer;

// Gate blocks server handlers until the test opens it (or 10 s pass, so a failing test
// cannot hang the server's shutdown).
class Gate {
 public:
  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(10), [this] { return open_; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

TEST(CheckHttpStatus, MapsCodesToWhatTheCallerDoesNext) {
  EXPECT_TRUE(CheckHttpStatus({.status_code = 200}, "x").ok());
  EXPECT_TRUE(CheckHttpStatus({.status_code = 204}, "x").ok());
  EXPECT_EQ(CheckHttpStatus({.status_code = 429}, "x").code(), Code::kUnavailable);
  EXPECT_EQ(CheckHttpStatus({.status_code = 500}, "x").code(), Code::kUnavailable);
  EXPECT_EQ(CheckHttpStatus({.status_code = 503}, "x").code(), Code::kUnavailable);
  EXPECT_EQ(CheckHttpStatus({.status_code = 400}, "x").code(), Code::kFailedPrecondition);
  EXPECT_EQ(CheckHttpStatus({.status_code = 404}, "x").code(), Code::kFailedPrecondition);
  EXPECT_EQ(CheckHttpStatus({.status_code = 304}, "x").code(), Code::kFailedPrecondition);
  Status s = CheckHttpStatus({.status_code = 404, .body = "no such tile\n"}, "GET /tile/0/001");
  EXPECT_NE(s.message().find("GET /tile/0/001: HTTP 404: no such tile."), std::string::npos)
      << s.message();
}

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto& svr = server_.server();
    svr.Get("/hello", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("hello, log", "text/plain");
    });
    svr.Get(R"(/echo/(\d+))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content("echo " + req.matches[1].str(), "text/plain");
    });
    // Echoes a POST's method, Content-Type and body; 400 for anything but JSON.
    svr.Post("/post", [](const httplib::Request& req, httplib::Response& res) {
      if (req.get_header_value("Content-Type") != "application/json") {
        res.status = 400;
        res.set_content("want JSON", "text/plain");
        return;
      }
      res.set_content(req.method + " " + req.get_header_value("Content-Type") + " " + req.body, "text/plain");
    });
    svr.Post("/post-redirect", [](const httplib::Request&, httplib::Response& res) { res.set_redirect("/post"); });
    svr.Get("/missing", [](const httplib::Request&, httplib::Response& res) {
      res.status = 404;
      res.set_content("not found", "text/plain");
    });
    svr.Get("/busy", [](const httplib::Request&, httplib::Response& res) {
      res.status = 429;
      res.set_header("Retry-After", "7");
      res.set_content("slow down", "text/plain");
    });
    svr.Get("/big", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(5000, 'x'), "application/octet-stream");
    });
    svr.Get("/big-chunked", [](const httplib::Request&, httplib::Response& res) {
      res.set_chunked_content_provider("application/octet-stream",
                                       [](size_t offset, httplib::DataSink& sink) {
                                         if (offset >= 5000) {
                                           sink.done();
                                           return true;
                                         }
                                         std::string chunk(500, 'y');
                                         return sink.write(chunk.data(), chunk.size());
                                       });
    });
    svr.Get("/gzip-tile", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(Gzip(tile_), "application/octet-stream");
    });
    svr.Get("/gzip-bomb", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(Gzip(std::string(100'000, '\0')), "application/octet-stream");
    });
    // Two gzip members back to back (what `cat a.gz b.gz` gives): one body, both parts.
    svr.Get("/gzip-two-members", [this](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Encoding", "gzip");
      res.set_content(Gzip(tile_) + Gzip("tail"), "application/octet-stream");
    });
    // An ISIZE trailer that disagrees with the data: libdeflate checks it.
    svr.Get("/gzip-isize-small", [this](const httplib::Request&, httplib::Response& res) {
      std::string gz = Gzip(tile_);
      gz[gz.size() - 4] = 1, gz[gz.size() - 3] = 0, gz[gz.size() - 2] = 0, gz[gz.size() - 1] = 0;
      res.set_header("Content-Encoding", "gzip");
      res.set_content(gz, "application/octet-stream");
    });
    svr.Get("/gzip-corrupt", [this](const httplib::Request&, httplib::Response& res) {
      std::string gz = Gzip(tile_);
      gz[gz.size() / 2] = static_cast<char>(gz[gz.size() / 2] ^ 0x55);
      res.set_header("Content-Encoding", "gzip");
      res.set_content(gz, "application/octet-stream");
    });
    svr.Get("/brotli", [](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Encoding", "br");
      res.set_content("not really brotli", "application/octet-stream");
    });
    svr.Get("/slow", [this](const httplib::Request&, httplib::Response& res) {
      gate_.Wait();
      res.set_content("late", "text/plain");
    });
    server_.Start();
    for (int i = 0; i < 256 * 32; ++i) tile_.push_back(static_cast<char>(i * 7));
  }
  void TearDown() override {
    gate_.Open();
    server_.Stop();
  }

  TestHttpServer server_;
  Gate gate_;
  std::string tile_;
};

TEST_F(HttpClientTest, GetReturnsBodyAndSendsUserAgent) {
  HttpClient http;
  Result<HttpResponse> r = http.Get(server_.url() + "/hello");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status_code, 200);
  EXPECT_EQ(r->body, "hello, log");
  EXPECT_FALSE(r->retry_after.has_value());
  EXPECT_EQ(server_.last_user_agent(), "pinwatch/0.1");
}

TEST_F(HttpClientTest, PostSendsBodyAndContentType) {
  HttpClient http;
  Result<HttpResponse> r = http.Post(server_.url() + "/post", {.body = R"([{"labels":{}}])"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status_code, 200);
  EXPECT_EQ(r->body, R"(POST application/json [{"labels":{}}])");
  Result<HttpResponse> text = http.Post(server_.url() + "/post", {.body = "x", .content_type = "text/plain"});
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->status_code, 400);
  // The handle pool resets POST options: a GET on a reused handle is a GET again.
  Result<HttpResponse> get = http.Get(server_.url() + "/hello");
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->body, "hello, log");
}

TEST_F(HttpClientTest, PostDoesNotFollowRedirects) {
  HttpClient http;
  Result<HttpResponse> r = http.Post(server_.url() + "/post-redirect", {.body = "{}"});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status_code, 302);
  EXPECT_EQ(server_.requests("/post"), 0);
}

TEST_F(HttpClientTest, ObserverSeesEveryCompletedRequest) {
  std::vector<std::string> seen;
  HttpClient http({.on_complete = [&](const HttpExchange& e) {
    seen.push_back(std::string(e.method) + " " + std::string(e.url.substr(e.url.rfind('/'))) + " " +
                   std::to_string(e.status_code) + " " + std::string(CodeName(e.transport)) + " " +
                   (e.seconds > 0 && e.seconds < 60 ? "timed" : "untimed"));
  }});
  ASSERT_TRUE(http.Get(server_.url() + "/hello").ok());
  ASSERT_TRUE(http.Get(server_.url() + "/busy").ok());
  ASSERT_TRUE(http.Post(server_.url() + "/post", {.body = "{}"}).ok());
  EXPECT_FALSE(http.Get("http://127.0.0.1:1/refused").ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"GET /hello 200 ok timed", "GET /busy 429 ok timed",
                                            "POST /post 200 ok timed", "GET /refused 0 unavailable timed"}));
}

TEST_F(HttpClientTest, HttpErrorsAreResponsesWithRetryAfter) {
  HttpClient http;
  Result<HttpResponse> missing = http.Get(server_.url() + "/missing");
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->status_code, 404);
  EXPECT_EQ(CheckHttpStatus(*missing, "missing").code(), Code::kFailedPrecondition);

  Result<HttpResponse> busy = http.Get(server_.url() + "/busy");
  ASSERT_TRUE(busy.ok());
  EXPECT_EQ(busy->status_code, 429);
  EXPECT_EQ(busy->retry_after, "7");
  EXPECT_EQ(CheckHttpStatus(*busy, "busy").code(), Code::kUnavailable);
}

TEST_F(HttpClientTest, GzipTileIsDecoded) {
  HttpClient http;
  Result<HttpResponse> r = http.Get(server_.url() + "/gzip-tile");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->body.size(), 256u * 32u);
  EXPECT_EQ(r->body, tile_);
}

TEST_F(HttpClientTest, GzipMembersDecodeAndAWrongTrailerIsMalformed) {
  HttpClient http;
  Result<HttpResponse> two = http.Get(server_.url() + "/gzip-two-members");
  ASSERT_TRUE(two.ok()) << two.status().ToString();
  EXPECT_EQ(two->body, tile_ + "tail");
  Result<HttpResponse> small = http.Get(server_.url() + "/gzip-isize-small");
  ASSERT_FALSE(small.ok()) << "libdeflate checks ISIZE against what it decoded";
  EXPECT_EQ(small.status().code(), Code::kMalformed);
}

TEST_F(HttpClientTest, BadOrUnrequestedEncodingIsMalformed) {
  HttpClient http;
  Result<HttpResponse> corrupt = http.Get(server_.url() + "/gzip-corrupt");
  ASSERT_FALSE(corrupt.ok());
  EXPECT_EQ(corrupt.status().code(), Code::kMalformed) << corrupt.status().ToString();
  EXPECT_NE(corrupt.status().message().find("gzip-corrupt"), std::string::npos) << corrupt.status().message();
  Result<HttpResponse> br = http.Get(server_.url() + "/brotli");
  ASSERT_FALSE(br.ok());
  EXPECT_EQ(br.status().code(), Code::kMalformed);
  EXPECT_NE(br.status().message().find("Content-Encoding br"), std::string::npos) << br.status().message();
  // Asking for no compression at all: curl's own handling, nothing to decode.
  HttpClient plain({.accept_encoding = "identity"});
  Result<HttpResponse> hello = plain.Get(server_.url() + "/hello");
  ASSERT_TRUE(hello.ok()) << hello.status().ToString();
}

TEST_F(HttpClientTest, BodyOverCapIsMalformed) {
  HttpClient http({.max_response_bytes = 1000});
  for (const char* path : {"/big", "/big-chunked", "/gzip-bomb"}) {
    Result<HttpResponse> r = http.Get(server_.url() + path);
    ASSERT_FALSE(r.ok()) << path;
    EXPECT_EQ(r.status().code(), Code::kMalformed) << path << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find("exceeds 1000 bytes"), std::string::npos)
        << r.status().message();
  }
  // The same client still works afterwards.
  EXPECT_TRUE(http.Get(server_.url() + "/hello").ok());
}

TEST_F(HttpClientTest, SlowAnswerTimesOutAsUnavailable) {
  HttpClient http({.total_timeout_ms = 200});
  const auto start = std::chrono::steady_clock::now();
  Result<HttpResponse> r = http.Get(server_.url() + "/slow");
  const auto elapsed = std::chrono::steady_clock::now() - start;
  gate_.Open();
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
  EXPECT_LT(elapsed, std::chrono::seconds(5));
}

TEST_F(HttpClientTest, ConnectionRefusedIsUnavailable) {
  TestHttpServer closed;
  closed.Start();
  const std::string url = closed.url() + "/hello";
  closed.Stop();
  HttpClient http;
  Result<HttpResponse> r = http.Get(url);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kUnavailable) << r.status().ToString();
}

TEST_F(HttpClientTest, BadUrlIsFailedPrecondition) {
  HttpClient http;
  Result<HttpResponse> r = http.Get("ftp://127.0.0.1/x");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Code::kFailedPrecondition) << r.status().ToString();
}

TEST_F(HttpClientTest, SequentialRequestsReuseOneConnection) {
  HttpClient http;
  for (int i = 0; i < 20; ++i) {
    Result<HttpResponse> r = http.Get(server_.url() + "/echo/" + std::to_string(i));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->body, "echo " + std::to_string(i));
  }
  EXPECT_EQ(server_.total_requests(), 20);
  EXPECT_EQ(server_.connections(), 1u);
}

TEST_F(HttpClientTest, ManyInFlightCompleteWithTheirOwnBodies) {
  HttpClient http({.max_connections_per_host = 3});
  std::map<HttpClient::RequestId, int> started;
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < 12; ++i) {
      started[http.Start(server_.url() + "/echo/" + std::to_string(i))] = i;
    }
    EXPECT_EQ(http.in_flight(), 12u);
    int done = 0;
    while (auto c = http.Wait(std::chrono::seconds(10))) {
      ASSERT_TRUE(c->response.ok()) << c->response.status().ToString();
      ASSERT_EQ(started.count(c->id), 1u);
      EXPECT_EQ(c->response->body, "echo " + std::to_string(started[c->id]));
      ++done;
    }
    EXPECT_EQ(done, 12);
    EXPECT_EQ(http.in_flight(), 0u);
  }
  EXPECT_EQ(server_.total_requests(), 36);
  // At most three connections ever opened, and kept across rounds.
  EXPECT_LE(server_.connections(), 3u);
  EXPECT_GE(server_.connections(), 1u);
}

TEST_F(HttpClientTest, GetKeepsOtherCompletionsForWait) {
  HttpClient http;
  HttpClient::RequestId a = http.Start(server_.url() + "/echo/1");
  Result<HttpResponse> b = http.Get(server_.url() + "/echo/2");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->body, "echo 2");
  auto c = http.Wait(std::chrono::seconds(10));
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(c->id, a);
  ASSERT_TRUE(c->response.ok());
  EXPECT_EQ(c->response->body, "echo 1");
  EXPECT_FALSE(http.Wait(std::chrono::milliseconds(0)).has_value());
}

TEST_F(HttpClientTest, CancelDropsARequest) {
  HttpClient http;
  HttpClient::RequestId slow = http.Start(server_.url() + "/slow");
  EXPECT_EQ(http.in_flight(), 1u);
  http.Cancel(slow);
  EXPECT_EQ(http.in_flight(), 0u);
  EXPECT_FALSE(http.Wait(std::chrono::milliseconds(50)).has_value());
  gate_.Open();
  Result<HttpResponse> r = http.Get(server_.url() + "/hello");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->body, "hello, log");
}

}  // namespace
}  // namespace pinwatch::net
