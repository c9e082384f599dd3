#include "ctlog/static_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "ctlog/merkle.h"
#include "ctlog/tile.h"
#include "tests/ctlog/fake_clock.h"
#include "tests/support/test_http_server.h"
#include "tests/support/testdata.h"

namespace pinwatch::ctlog {
namespace {

using std::chrono::milliseconds;
using testing::FakeClock;
using pinwatch::testing::Gzip;
using pinwatch::testing::TestHttpServer;
using pinwatch::testing::ReadFileText;

std::string Text(std::span<const uint8_t> b) { return std::string(b.begin(), b.end()); }

// Serves the real Navigli2025h2 tiles from ../shared/testdata under /log/, gzip-compressed as
// Sunlight serves data tiles, with switchable misbehaviours.
class StaticCtClientTest : public pinwatch::testing::TestdataTest {
 protected:
  void SetUp() override {
    TestdataTest::SetUp();
    if (IsSkipped()) return;
    const auto dir = Path("ct/static-ct-api/navigli2025h2");
    server_.server().Get(R"(/log/(tile/.+))", [this, dir](const httplib::Request& req,
                                                           httplib::Response& res) {
      std::string path = req.matches[1].str();
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (auto it = faults_.find(path); it != faults_.end() && it->second > 0) {
          --it->second;
          res.status = fault_status_;
          if (fault_status_ == 429) res.set_header("Retry-After", "1");
          return;
        }
      }
      const bool partial = path.find(".p/") != std::string::npos;
      if (partial && partial_missing_) {
        res.status = 404;
        return;
      }
      if (partial && full_for_partial_) path = path.substr(0, path.find(".p/"));
      if (garbage_.count(path) != 0) {
        res.set_content("not a tile", "application/octet-stream");
        return;
      }
      if (!std::filesystem::is_regular_file(dir / path)) {
        res.status = 404;
        return;
      }
      std::string bytes = pinwatch::testing::ReadFileText(dir / path);
      if (path.starts_with("tile/data/")) {
        res.set_header("Content-Encoding", "gzip");
        bytes = Gzip(bytes);
      }
      res.set_content(bytes, "application/octet-stream");
    });
    server_.server().Get("/log/checkpoint", [this](const httplib::Request&, httplib::Response& res) {
      res.set_content(ReadFileText(Path("ct/static-ct-api/c2sp-signed-note-example/note.txt")),
                      "text/plain; charset=utf-8");
    });
    server_.server().Get(R"(/log/issuer/([0-9a-f]{64}))",
                         [this](const httplib::Request& req, httplib::Response& res) {
                           if (req.matches[1].str() == HexEncode(Sha256Of(AsBytes(issuer_)))) {
                             res.set_content(issuer_, "application/pkix-cert");
                           } else {
                             res.set_content("some other certificate", "application/pkix-cert");
                           }
                         });
    server_.Start();
  }

  StaticCtClient Client(size_t in_flight = 4) {
    return StaticCtClient(server_.url() + "/log/",
                          {.retry = {.max_attempts = 3, .base_delay_ms = 50, .max_delay_ms = 200},
                           .max_requests_in_flight = in_flight,
                           .clock = &clock_});
  }
  std::string TestdataTile(const std::string& path) {
    return ReadFileText(Path("ct/static-ct-api/navigli2025h2/" + path));
  }
  void FailNext(const std::string& path, int times, int status) {
    std::lock_guard<std::mutex> lock(mu_);
    faults_[path] = times;
    fault_status_ = status;
  }

  std::mutex mu_;
  std::map<std::string, int> faults_;
  int fault_status_ = 500;
  std::atomic<bool> partial_missing_{false};
  std::atomic<bool> full_for_partial_{false};
  std::set<std::string> garbage_;
  const std::string issuer_ = "DER bytes of an issuer";
  TestHttpServer server_;
  FakeClock clock_;
};

TEST_F(StaticCtClientTest, DataTilesOfTreeSize778ArriveInOrderAndMatchHashTiles) {
  StaticCtClient client = Client(2);
  std::vector<Hash> leaf_hashes;
  uint64_t next = 0;
  Status s = client.GetDataTiles(778, 0, 4, [&](uint64_t index, uint16_t width,
                                                 std::span<const uint8_t> tile) {
    EXPECT_EQ(index, next++);
    EXPECT_EQ(width, index < 3 ? 256 : 10);
    Result<DataTileView> view = ParseDataTile(tile, index, width);
    if (!view.ok()) return view.status();
    for (const TileLeafView& leaf : *view) leaf_hashes.push_back(leaf.MerkleLeafHash());
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(leaf_hashes.size(), 778u);
  EXPECT_EQ(HexEncode(leaf_hashes[0]),
            "c853d5121104135a85f8a66a9d16d62234d541473ed78424032622564baddddf");

  // The level-0 hash tiles hold the same leaf hashes.
  std::vector<uint8_t> hashes;
  s = client.GetHashTiles(0, 778, 0, 4, [&](uint64_t, uint16_t width, std::span<const uint8_t> tile) {
    EXPECT_EQ(tile.size(), width * 32u);
    hashes.insert(hashes.end(), tile.begin(), tile.end());
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  ASSERT_EQ(hashes.size(), 778u * 32u);
  for (size_t i = 0; i < 778; ++i) {
    ASSERT_TRUE(std::equal(leaf_hashes[i].begin(), leaf_hashes[i].end(), hashes.begin() + i * 32))
        << i;
  }
  const std::vector<std::string> targets = server_.targets();
  const std::set<std::string> asked(targets.begin(), targets.end());
  EXPECT_EQ(targets.size(), 8u);
  EXPECT_EQ(asked, (std::set<std::string>{"/log/tile/data/000", "/log/tile/data/001",
                                          "/log/tile/data/002", "/log/tile/data/003.p/10",
                                          "/log/tile/0/000", "/log/tile/0/001", "/log/tile/0/002",
                                          "/log/tile/0/003.p/10"}));
  EXPECT_LE(server_.connections(), 2u);
}

TEST_F(StaticCtClientTest, FullTileServedForPartialIsCut) {
  full_for_partial_ = true;
  StaticCtClient client = Client();
  Result<std::vector<uint8_t>> data = client.GetDataTile(3, 10);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(Text(*data), TestdataTile("tile/data/003.p/10"));
  Result<std::vector<uint8_t>> hashes = client.GetHashTile(0, 3, 10);
  ASSERT_TRUE(hashes.ok()) << hashes.status().ToString();
  EXPECT_EQ(Text(*hashes), TestdataTile("tile/0/003.p/10"));
  EXPECT_EQ(server_.targets(),
            (std::vector<std::string>{"/log/tile/data/003.p/10", "/log/tile/0/003.p/10"}));
}

TEST_F(StaticCtClientTest, MissingPartialFallsBackToFullTile) {
  partial_missing_ = true;
  StaticCtClient client = Client();
  Result<std::vector<uint8_t>> data = client.GetDataTile(3, 10);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  EXPECT_EQ(Text(*data), TestdataTile("tile/data/003.p/10"));
  EXPECT_EQ(server_.targets(),
            (std::vector<std::string>{"/log/tile/data/003.p/10", "/log/tile/data/003"}));
  EXPECT_TRUE(clock_.sleeps.empty());
}

TEST_F(StaticCtClientTest, MissingFullTileIsFailedPrecondition) {
  StaticCtClient client = Client();
  Result<std::vector<uint8_t>> data = client.GetDataTile(4, 256);
  EXPECT_EQ(data.status().code(), Code::kFailedPrecondition) << data.status().ToString();
  EXPECT_EQ(server_.total_requests(), 1);
}

TEST_F(StaticCtClientTest, ServerErrorsAreRetried) {
  FailNext("tile/data/001", 2, 503);
  StaticCtClient client = Client();
  std::vector<uint64_t> seen;
  Status s = client.GetDataTiles(1024, 0, 4, [&](uint64_t index, uint16_t, std::span<const uint8_t>) {
    seen.push_back(index);
    return OkStatus();
  });
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(seen, (std::vector<uint64_t>{0, 1, 2, 3}));
  EXPECT_EQ(server_.requests("/log/tile/data/001"), 3);
  // Two backoffs (caps 50 and 100 ms); a jitter draw of 0 needs no sleep at all.
  EXPECT_LE(clock_.sleeps.size(), 2u);
  for (milliseconds d : clock_.sleeps) EXPECT_LE(d, milliseconds(100));
}

TEST_F(StaticCtClientTest, RateLimitHonoursRetryAfter) {
  FailNext("tile/0/002", 1, 429);
  StaticCtClient client = Client();
  Result<std::vector<uint8_t>> tile = client.GetHashTile(0, 2, 256);
  ASSERT_TRUE(tile.ok()) << tile.status().ToString();
  EXPECT_EQ(Text(*tile), TestdataTile("tile/0/002"));
  EXPECT_EQ(clock_.sleeps, (std::vector<milliseconds>{milliseconds(1000)}));
}

TEST_F(StaticCtClientTest, PersistentOutageIsUnavailable) {
  FailNext("tile/data/000", 100, 500);
  StaticCtClient client = Client();
  Result<std::vector<uint8_t>> tile = client.GetDataTile(0, 256);
  EXPECT_EQ(tile.status().code(), Code::kUnavailable);
  EXPECT_EQ(server_.requests("/log/tile/data/000"), 3);
}

TEST_F(StaticCtClientTest, PersistentlyGarbageTileIsMalformedAfterRetries) {
  garbage_.insert("tile/data/002");
  garbage_.insert("tile/0/001");
  StaticCtClient client = Client();
  std::vector<uint64_t> seen;
  Status s = client.GetDataTiles(1024, 0, 4, [&](uint64_t index, uint16_t, std::span<const uint8_t>) {
    seen.push_back(index);
    return OkStatus();
  });
  EXPECT_EQ(s.code(), Code::kMalformed) << s.ToString();
  EXPECT_NE(s.message().find("/log/tile/data/002"), std::string::npos) << s.message();
  EXPECT_EQ(server_.requests("/log/tile/data/002"), 3);  // max_attempts
  EXPECT_LT(seen.size(), 3u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
  EXPECT_EQ(client.GetHashTile(0, 1, 256).status().code(), Code::kMalformed);
}

TEST_F(StaticCtClientTest, SinkErrorStops) {
  StaticCtClient client = Client();
  Status s = client.GetHashTiles(0, 1024, 0, 4, [](uint64_t index, uint16_t, std::span<const uint8_t>) {
    return index == 1 ? MisbehaviourError("root mismatch") : OkStatus();
  });
  EXPECT_EQ(s.code(), Code::kMisbehaviour);
  EXPECT_EQ(s.message(), "root mismatch");
}

TEST_F(StaticCtClientTest, RangeChecks) {
  StaticCtClient client = Client();
  auto sink = [](uint64_t, uint16_t, std::span<const uint8_t>) {
    ADD_FAILURE() << "sink called";
    return OkStatus();
  };
  EXPECT_TRUE(client.GetDataTiles(1024, 2, 2, sink).ok());
  EXPECT_EQ(client.GetDataTiles(1024, 3, 2, sink).code(), Code::kInternal);
  EXPECT_EQ(client.GetDataTiles(1024, 4, 5, sink).code(), Code::kInternal);  // beyond the tree
  EXPECT_EQ(client.GetHashTiles(6, 1024, 0, 1, sink).code(), Code::kInternal);
  EXPECT_EQ(client.GetDataTile(0, 0).status().code(), Code::kInternal);
  EXPECT_EQ(client.GetDataTile(0, 257).status().code(), Code::kInternal);
  EXPECT_EQ(server_.total_requests(), 0);
}

TEST_F(StaticCtClientTest, CheckpointAndIssuer) {
  StaticCtClient client = Client();
  Result<std::string> checkpoint = client.GetCheckpoint();
  ASSERT_TRUE(checkpoint.ok()) << checkpoint.status().ToString();
  EXPECT_EQ(*checkpoint, ReadFileText(Path("ct/static-ct-api/c2sp-signed-note-example/note.txt")));

  Result<std::vector<uint8_t>> issuer = client.GetIssuer(Sha256Of(AsBytes(issuer_)));
  ASSERT_TRUE(issuer.ok()) << issuer.status().ToString();
  EXPECT_EQ(Text(*issuer), issuer_);
  Hash other{};
  other[0] = 1;
  EXPECT_EQ(client.GetIssuer(other).status().code(), Code::kMalformed);
}

}  // namespace
}  // namespace pinwatch::ctlog
