// LogSource::TreeRangeAt, Issuer and FetchRoots against a scripted HTTP server, for what ctsim cannot show:
// how many tiles the static-ct source fetches, that it copes with a log that deleted its
// partial tiles, a log serving a wrong issuer, and a get-entry-and-proof of the wrong length.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "ctlog/log_source.h"
#include "ctlog/merkle.h"
#include "ctlog/tile.h"
#include "tests/support/test_http_server.h"

namespace pinwatch::ctlog {
namespace {

using pinwatch::testing::TestHttpServer;

// Any valid P-256 key: these tests never check a signature.
constexpr const char* kKey =
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEr+TzlCzfpie1/rJhgxnIITojqKk9VK+8MZoc08HjtsLzD8e5yjsdeWVhIiWCVk6Y6KomKTYeKGBv6xVu93zQug==";

LogSourceOptions FastOptions() {
  return {.request_timeout_ms = 10'000, .retry = {.max_attempts = 2, .base_delay_ms = 1, .max_delay_ms = 1}};
}

Hash LeafHash(uint64_t i) {
  const std::string input = "leaf " + std::to_string(i);
  return HashLeaf(AsBytes(input));
}

// TiledLog serves the hash tiles of a MerkleTree of `size` leaves, as tlog-tiles lays them out.
// With delete_partials, a partial tile is 404 whenever its full tile exists (the spec allows it).
class TiledLog {
 public:
  TiledLog(uint64_t size, bool delete_partials) {
    for (uint64_t i = 0; i < size; ++i) tree_.Append(LeafHash(i));
    server_.server().Get(R"(/log/tile/(\d)/((?:x\d{3}/)*\d{3})(?:\.p/(\d+))?)",
                         [this, delete_partials](const httplib::Request& req, httplib::Response& res) {
                           const unsigned level = std::stoul(req.matches[1].str());
                           std::string digits = req.matches[2].str();
                           digits.erase(std::remove(digits.begin(), digits.end(), 'x'), digits.end());
                           digits.erase(std::remove(digits.begin(), digits.end(), '/'), digits.end());
                           const uint64_t index = std::stoull(digits);
                           const bool partial = req.matches[3].matched;
                           const uint64_t width = partial ? std::stoull(req.matches[3].str()) : 256;
                           const uint64_t nodes = tree_.size() >> (8 * level);
                           const bool full_exists = (index + 1) * 256 <= nodes;
                           if (index * 256 + width > nodes || (partial && delete_partials && full_exists)) {
                             res.status = 404;
                             return;
                           }
                           std::string body;
                           for (uint64_t k = 0; k < width; ++k) {
                             const Hash& h = tree_.PerfectNode(8 * level, index * 256 + k);
                             body.append(reinterpret_cast<const char*>(h.data()), h.size());
                           }
                           res.set_content(body, "application/octet-stream");
                         });
    server_.Start();
  }

  std::unique_ptr<LogSource> Source() {
    auto key = LogKey::FromBase64(kKey);
    EXPECT_TRUE(key.ok()) << key.status().ToString();
    return NewStaticCtSource(server_.url() + "/log/", server_.url() + "/log/", "log.example", *key, FastOptions());
  }
  // Head returns an (unsigned) tree head of tree_size with the true root.
  SignedTreeHead Head(uint64_t tree_size) const { return {.tree_size = tree_size, .root_hash = tree_.Root(tree_size)}; }
  CompactRange WantRange(uint64_t tree_size) const {
    CompactRange range;
    for (uint64_t i = 0; i < tree_size; ++i) range.Append(LeafHash(i));
    return range;
  }
  TestHttpServer& server() { return server_; }

 private:
  MerkleTree tree_;
  TestHttpServer server_;
};

// 66051 = 0x1_02_03: level 0 has a partial tile of 3, level 1 one of 2, level 2 one of 1. Each
// holds its bits of the range, so those three requests are all it takes.
TEST(StaticCtTreeRangeAt, OnePartialTilePerLevel) {
  TiledLog log(66051, /*delete_partials=*/false);
  auto source = log.Source();
  auto range = source->TreeRangeAt(log.Head(66051));
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(*range, log.WantRange(66051));
  std::vector<std::string> targets = log.server().targets();
  std::sort(targets.begin(), targets.end());
  EXPECT_EQ(targets, (std::vector<std::string>{"/log/tile/0/258.p/3", "/log/tile/1/001.p/2", "/log/tile/2/000.p/1"}));
}

// A size that is a multiple of 256 needs no level-0 tile; a power of two only its top node.
TEST(StaticCtTreeRangeAt, AlignedSizesSkipEmptyLevels) {
  TiledLog log(65536, /*delete_partials=*/false);
  auto source = log.Source();
  for (uint64_t size : {uint64_t{256}, uint64_t{512}, uint64_t{65536}, uint64_t{768}}) {
    SCOPED_TRACE(size);
    auto range = source->TreeRangeAt(log.Head(size));
    ASSERT_TRUE(range.ok()) << range.status().ToString();
    EXPECT_EQ(*range, log.WantRange(size));
  }
  EXPECT_EQ(log.server().targets(),
            (std::vector<std::string>{"/log/tile/1/000.p/1", "/log/tile/1/000.p/2", "/log/tile/2/000.p/1",
                                      "/log/tile/1/000.p/3"}));
}

// A log that has grown deletes the partial tiles of older sizes; the full tile replaces them.
TEST(StaticCtTreeRangeAt, FullTileStandsInForADeletedPartialOne) {
  TiledLog log(70000, /*delete_partials=*/true);
  auto source = log.Source();
  for (uint64_t size : {uint64_t{1}, uint64_t{300}, uint64_t{65537}, uint64_t{66051}, uint64_t{69999}}) {
    SCOPED_TRACE(size);
    auto range = source->TreeRangeAt(log.Head(size));
    ASSERT_TRUE(range.ok()) << range.status().ToString();
    EXPECT_EQ(*range, log.WantRange(size));
  }
}

TEST(StaticCtTreeRangeAt, RootOtherThanSignedIsMisbehaviourNamingBothRoots) {
  TiledLog log(1000, /*delete_partials=*/false);
  auto source = log.Source();
  SignedTreeHead head = log.Head(999);
  const Hash true_root = head.root_hash;
  head.root_hash = log.Head(998).root_hash;
  auto range = source->TreeRangeAt(head);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().code(), Code::kMisbehaviour);
  EXPECT_NE(range.status().message().find("tree size 999"), std::string::npos) << range.status().message();
  EXPECT_NE(range.status().message().find(Base64Encode(true_root)), std::string::npos);
  EXPECT_NE(range.status().message().find(Base64Encode(head.root_hash)), std::string::npos);
}

TEST(StaticCtTreeRangeAt, MissingTileIsNotMisbehaviour) {
  TiledLog log(1000, /*delete_partials=*/false);
  auto source = log.Source();
  const SignedTreeHead head{.tree_size = 1001, .root_hash = log.Head(1000).root_hash};
  auto range = source->TreeRangeAt(head);  // the log has no tile for 1001 yet
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().code(), Code::kFailedPrecondition) << range.status().ToString();
}

TEST(StaticCtIssuer, DerMustHashToTheFingerprint) {
  const std::string good = "\x30\x03\x02\x01\x01";
  TestHttpServer server;
  const Hash good_fingerprint = Sha256Of(AsBytes(good));
  Hash lying_fingerprint{};
  lying_fingerprint[0] = 0xab;
  server.server().Get(R"(/log/issuer/([0-9a-f]{64}))", [&](const httplib::Request&, httplib::Response& res) {
    res.set_content(good, "application/pkix-cert");  // the same certificate for every fingerprint
  });
  server.Start();
  auto key = LogKey::FromBase64(kKey);
  ASSERT_TRUE(key.ok());
  auto source = NewStaticCtSource(server.url() + "/log/", server.url() + "/log/", "log.example", *key, FastOptions());

  auto der = source->Issuer(good_fingerprint);
  ASSERT_TRUE(der.ok()) << der.status().ToString();
  EXPECT_EQ(std::string(der->begin(), der->end()), good);

  auto lie = source->Issuer(lying_fingerprint);
  ASSERT_FALSE(lie.ok());
  EXPECT_EQ(lie.status().code(), Code::kMisbehaviour) << lie.status().ToString();
  EXPECT_NE(lie.status().message().find(HexEncode(lying_fingerprint)), std::string::npos);
}

// RFC 6962: the audit path of the last leaf must have popcount(tree_size - 1) hashes.
TEST(Rfc6962TreeRangeAt, AuditPathOfTheWrongLengthIsMalformed) {
  MerkleTree tree;
  const std::string last_leaf = "last leaf";
  for (uint64_t i = 0; i < 6; ++i) tree.Append(LeafHash(i));
  tree.Append(HashLeaf(AsBytes(last_leaf)));
  std::vector<Hash> path = tree.InclusionProof(6, 7);
  ASSERT_EQ(path.size(), 2u);  // popcount(6)
  std::atomic<bool> drop_one = false;
  TestHttpServer server;
  server.server().Get("/ct/v1/get-entry-and-proof", [&](const httplib::Request& req, httplib::Response& res) {
    EXPECT_EQ(req.get_param_value("leaf_index"), "6");
    EXPECT_EQ(req.get_param_value("tree_size"), "7");
    std::string body = "{\"leaf_input\":\"" + Base64Encode(AsBytes(last_leaf)) + "\",\"extra_data\":\"\",\"audit_path\":[";
    for (size_t i = 0; i < path.size() - (drop_one ? 1 : 0); ++i) body += (i ? ",\"" : "\"") + Base64Encode(path[i]) + "\"";
    res.set_content(body + "]}", "application/json");
  });
  server.Start();
  auto key = LogKey::FromBase64(kKey);
  ASSERT_TRUE(key.ok());
  auto source = NewRfc6962Source(server.url(), *key, FastOptions());
  const SignedTreeHead head{.tree_size = 7, .root_hash = tree.Root(7)};

  auto range = source->TreeRangeAt(head);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  CompactRange want;
  for (uint64_t i = 0; i < 6; ++i) want.Append(LeafHash(i));
  want.Append(HashLeaf(AsBytes(last_leaf)));
  EXPECT_EQ(*range, want);

  drop_one = true;
  auto short_path = source->TreeRangeAt(head);
  ASSERT_FALSE(short_path.ok());
  EXPECT_EQ(short_path.status().code(), Code::kMalformed) << short_path.status().ToString();
}

// get-roots: an RFC 6962 log serves it beside its other endpoints; a static-ct-api log under
// its submission prefix, which may be another host than its tiles. An answer that holds a
// certificate that is not DER is retried like any garbled body, then refused as kMalformed.
TEST(FetchRoots, AskTheRightPrefixAndRefuseWhatIsNotDer) {
  std::atomic<bool> garbled = false;
  TestHttpServer server;
  for (const char* path : {"/rfc6962/ct/v1/get-roots", "/submit/ct/v1/get-roots"}) {
    server.server().Get(path, [&](const httplib::Request&, httplib::Response& res) {
      res.set_content(garbled ? R"({"certificates":["MAA=","AQID"]})" : R"({"certificates":["MAA=","MAMCAQE="]})",
                      "application/json");
    });
  }
  server.Start();
  auto key = LogKey::FromBase64(kKey);
  ASSERT_TRUE(key.ok());
  auto rfc6962 = NewRfc6962Source(server.url() + "/rfc6962/", *key, FastOptions());
  auto tiled = NewStaticCtSource(server.url() + "/monitor/", server.url() + "/submit/", "log.example", *key,
                                 FastOptions());
  const std::vector<std::vector<uint8_t>> want = {{0x30, 0x00}, {0x30, 0x03, 0x02, 0x01, 0x01}};
  for (LogSource* source : {rfc6962.get(), tiled.get()}) {
    auto roots = source->FetchRoots();
    ASSERT_TRUE(roots.ok()) << roots.status().ToString();
    EXPECT_EQ(*roots, want);
  }
  EXPECT_EQ(server.requests("/rfc6962/ct/v1/get-roots"), 1);
  EXPECT_EQ(server.requests("/submit/ct/v1/get-roots"), 1);
  EXPECT_EQ(server.requests("/monitor/ct/v1/get-roots"), 0);

  garbled = true;
  for (LogSource* source : {rfc6962.get(), tiled.get()}) {
    auto roots = source->FetchRoots();
    ASSERT_FALSE(roots.ok());
    EXPECT_EQ(roots.status().code(), Code::kMalformed) << roots.status().ToString();
    EXPECT_NE(roots.status().message().find("certificates[1]: not a DER SEQUENCE"), std::string::npos)
        << roots.status().message();
  }
  EXPECT_EQ(server.requests("/rfc6962/ct/v1/get-roots"), 1 + 2);  // FastOptions: two attempts
  EXPECT_EQ(server.requests("/submit/ct/v1/get-roots"), 1 + 2);
}

}  // namespace
}  // namespace pinwatch::ctlog

namespace pinwatch::ctlog {
namespace {

TEST(DefaultOriginTest, SubmissionUrlWithoutSchemeAndTrailingSlashes) {
  EXPECT_EQ(DefaultOrigin("https://log.example/2025h1/"), "log.example/2025h1");
  EXPECT_EQ(DefaultOrigin("http://127.0.0.1:8080/"), "127.0.0.1:8080");
  EXPECT_EQ(DefaultOrigin("https://log.example//"), "log.example");
  EXPECT_EQ(DefaultOrigin("log.example"), "log.example");
}

}  // namespace
}  // namespace pinwatch::ctlog
