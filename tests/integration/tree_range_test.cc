// Starting at the end of a log: LogSource::TreeRangeAt and LogSource::Issuer against ctsim, over
// both APIs. The range a source computes from a few nodes (RFC 6962: the last leaf's audit
// path; static-ct-api: hash tiles) must equal the range of every leaf hash appended in order,
// must be refused when the signed root is wrong, and must let a TreeVerifier go on verifying.
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/encoding.h"
#include "ctlog/log_source.h"
#include "ctlog/merkle.h"
#include "ctlog/scanner.h"
#include "ctlog/verifier.h"
#include "tests/integration/sim_sources.h"
#include "tests/support/sim_process.h"

namespace pinwatch::ctlog {
namespace {

using testing::SimProcess;

LogSourceOptions TestOptions() {
  return {.entries_per_request = 1000,
          .max_requests_in_flight = 4,
          // No deadline that guesses the machine's speed (ctsim in an ASan build on a loaded
          // 2-core machine is slow); the faults under test are what must end a request.
          .request_timeout_ms = 600'000,
          .low_speed_bytes_per_s = 0,
          .retry = {.max_attempts = 3, .base_delay_ms = 1, .max_delay_ms = 10}};
}

std::unique_ptr<LogSource> SourceFor(const SimProcess& sim, Api api) { return NewSimSource(sim, api, TestOptions()); }

// AppendLeaves downloads entries [range.end(), tree_size) and appends their leaf hashes: the
// slow, obviously right way to the compact range of a tree.
Status AppendLeaves(LogSource& source, uint64_t tree_size, CompactRange& range) {
  return source.Entries(range.end(), tree_size, tree_size, [&](std::span<const LogEntry> batch) {
    for (const LogEntry& e : batch) {
      if (e.index != range.end()) return InternalError("entry " + std::to_string(e.index) + " out of order");
      range.Append(e.leaf_hash);
    }
    return OkStatus();
  });
}

class TreeRangeTest : public ::testing::TestWithParam<Api> {};

// The log grows through sizes around every tile and subtree boundary that matters (255, 256,
// 257 at level 0; 65535, 65536, 65537 at tile level 1) and an odd size with many bits set;
// at each, the range from TreeRangeAt equals the range of all leaf hashes, and its root is
// the signed one. Afterwards every earlier head is asked again of the grown log (static-ct:
// partial tiles of an older, smaller width).
TEST_P(TreeRangeTest, EqualsTheRangeOfAllLeavesAtEverySize) {
  auto sim = StartSim({"--entries", "1", "--seed", "tree-range"});
  ASSERT_TRUE(sim);
  auto source = SourceFor(*sim, GetParam());
  CompactRange all_leaves;
  std::vector<std::pair<SignedTreeHead, CompactRange>> seen;
  for (uint64_t size : {1, 2, 3, 255, 256, 257, 65535, 65536, 65537, 70000, 94'207, 100'003}) {
    SCOPED_TRACE("tree size " + std::to_string(size));
    uint64_t current = all_leaves.end() == 0 ? 1 : all_leaves.end();
    if (size > current) {
      ASSERT_TRUE(sim->Post("/sim/grow?n=" + std::to_string(size - current)).ok());
    }
    auto head = source->LatestTreeHead();
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    ASSERT_EQ(head->tree_size, size);
    ASSERT_TRUE(AppendLeaves(*source, size, all_leaves).ok());
    ASSERT_EQ(all_leaves.Root(), head->root_hash);

    auto range = source->TreeRangeAt(*head);
    ASSERT_TRUE(range.ok()) << range.status().ToString();
    EXPECT_EQ(range->end(), size);
    EXPECT_EQ(range->hashes().size(), static_cast<size_t>(std::popcount(size)));
    EXPECT_EQ(*range, all_leaves);
    EXPECT_EQ(range->Root(), head->root_hash);
    seen.emplace_back(*head, all_leaves);
  }
  for (const auto& [head, want] : seen) {
    SCOPED_TRACE("older tree size " + std::to_string(head.tree_size));
    auto range = source->TreeRangeAt(head);
    ASSERT_TRUE(range.ok()) << range.status().ToString();
    EXPECT_EQ(*range, want);
  }
}

// The empty tree's range is empty, and its root is SHA-256 of nothing; no request is needed.
TEST_P(TreeRangeTest, EmptyTree) {
  auto sim = StartSim({"--entries", "1"});
  ASSERT_TRUE(sim);
  auto source = SourceFor(*sim, GetParam());
  // One request first: ctsim's SimServer::Stop does not stop a server whose accept loop has
  // not started yet (httplib's stop() is a no-op until then), so a test that sends nothing
  // can leave ctsim, and the test, hanging on SIGTERM.
  ASSERT_TRUE(source->LatestTreeHead().ok());
  SignedTreeHead empty{.tree_size = 0, .root_hash = EmptyTreeRoot()};
  auto range = source->TreeRangeAt(empty);
  ASSERT_TRUE(range.ok()) << range.status().ToString();
  EXPECT_EQ(*range, CompactRange());
  empty.root_hash[0] ^= 1;
  EXPECT_EQ(source->TreeRangeAt(empty).status().code(), Code::kMisbehaviour);
}

// A validly signed tree head whose root the log's nodes do not hash to is misbehaviour, and
// the message names the size and both roots.
TEST_P(TreeRangeTest, WrongSignedRootIsMisbehaviour) {
  auto sim = StartSim({"--entries", "70000", "--fault-wrong-root"});
  ASSERT_TRUE(sim);
  auto source = SourceFor(*sim, GetParam());
  auto head = source->LatestTreeHead();  // the signature is valid: only the root is wrong
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  auto range = source->TreeRangeAt(*head);
  ASSERT_FALSE(range.ok());
  EXPECT_EQ(range.status().code(), Code::kMisbehaviour) << range.status().ToString();
  const std::string& message = range.status().message();
  EXPECT_NE(message.find("70000"), std::string::npos) << message;
  EXPECT_NE(message.find(Base64Encode(head->root_hash)), std::string::npos) << message;
  Hash true_root = head->root_hash;
  true_root[31] ^= 0x01;  // ctsim flips this bit for --fault-wrong-root
  EXPECT_NE(message.find(Base64Encode(true_root)), std::string::npos) << message;
}

// A monitor that starts at the end: the range at the current head seeds a TreeVerifier, the
// log grows, and Scan downloads only the new entries and verifies them at the new head.
TEST_P(TreeRangeTest, VerifierStartedAtTheEndFollowsTheLog) {
  auto sim = StartSim({"--entries", "65537", "--seed", "start-at-end"});
  ASSERT_TRUE(sim);
  auto source = SourceFor(*sim, GetParam());
  auto head = source->LatestTreeHead();
  ASSERT_TRUE(head.ok()) << head.status().ToString();
  auto range = source->TreeRangeAt(*head);
  ASSERT_TRUE(range.ok()) << range.status().ToString();

  TreeVerifier verifier(*range, *head);
  ASSERT_TRUE(sim->Post("/sim/grow?n=1000").ok());
  uint64_t first_index = UINT64_MAX, delivered = 0;
  auto scan = Scan(*source, verifier, [&](std::span<const LogEntry> batch) {
    if (first_index == UINT64_MAX && !batch.empty()) first_index = batch.front().index;
    delivered += batch.size();
    return OkStatus();
  });
  ASSERT_TRUE(scan.ok()) << scan.status().ToString();
  EXPECT_FALSE(scan->misbehaviour) << scan->misbehaviour->detail;
  ASSERT_TRUE(scan->head);
  EXPECT_EQ(scan->head->tree_size, 66537u);
  EXPECT_EQ(first_index, 65537u);
  EXPECT_EQ(delivered, 1000u);
  EXPECT_EQ(verifier.verified_end(), 66537u);
  ASSERT_TRUE(verifier.verified_head());
  EXPECT_EQ(verifier.verified_head()->tree_size, 66537u);
}

// Starting at the end of a static-ct-api log whose hash tiles lie about their width, or
// whose checkpoint claims more than its tiles hold (issue 19): an error naming the tile,
// never a range. (70,000 entries: tile 0/273.p/112 and tile 1/001.p/17 make the range.)
TEST(StaticHashTiles, TilesOfTheWrongWidthOrMissingFailNamingIt) {
  struct Case {
    const char* desc;
    const char* faults;
    Code code;
    const char* want_error;
  };
  const Case cases[] = {
      {"hash tiles one hash short", R"({"tile_width_delta": -1})", Code::kMalformed, "hash tile of"},
      {"hash tiles one hash too many", R"({"tile_width_delta": 1})", Code::kMalformed, "hash tile of"},
      // 70,100 entries: tile 0/273.p/212, and the full 0/273 neither exists.
      {"a checkpoint 100 entries larger", R"({"head_tree_size": 70100})", Code::kFailedPrecondition, "HTTP 404"},
  };
  auto sim = StartSim({"--entries", "70000", "--seed", "lying-hash-tiles"});
  ASSERT_TRUE(sim);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.desc);
    ASSERT_TRUE(sim->Post("/sim/faults", c.faults).ok());
    auto source = SourceFor(*sim, Api::kStaticCt);
    auto head = source->LatestTreeHead();  // validly signed, whatever it claims
    ASSERT_TRUE(head.ok()) << head.status().ToString();
    auto range = source->TreeRangeAt(*head);
    ASSERT_FALSE(range.ok());
    EXPECT_EQ(range.status().code(), c.code) << range.status().ToString();
    EXPECT_NE(range.status().message().find(c.want_error), std::string::npos) << range.status().ToString();
    EXPECT_NE(range.status().message().find("/tile/"), std::string::npos) << range.status().ToString();
  }
}

INSTANTIATE_TEST_SUITE_P(BothApis, TreeRangeTest, ::testing::Values(Api::kRfc6962, Api::kStaticCt), ApiName);

// static-ct-api entries name their issuers by fingerprint; Issuer resolves each one to the
// DER that hashes to it. The RFC 6962 source carries chains in entries and has no Issuer.
TEST(Issuer, ChainFingerprintsOfStaticEntriesResolve) {
  auto sim = StartSim({"--entries", "300", "--seed", "issuers", "--plant", "5:x509:e1::a.example.com",
                       "--plant", "7:precert:rogue::b.example.com"});
  ASSERT_TRUE(sim);
  auto source = SourceFor(*sim, Api::kStaticCt);
  std::vector<Hash> fingerprints;
  ASSERT_TRUE(source->Entries(0, 300, 300, [&](std::span<const LogEntry> batch) {
    for (const LogEntry& e : batch) {
      if (e.chain_fingerprints.size() % 32 != 0) return InternalError("chain_fingerprints not 32-byte hashes");
      for (size_t i = 0; i < e.chain_fingerprints.size(); i += 32) {
        Hash h;
        std::copy_n(e.chain_fingerprints.begin() + i, 32, h.begin());
        if (std::find(fingerprints.begin(), fingerprints.end(), h) == fingerprints.end()) fingerprints.push_back(h);
      }
    }
    return OkStatus();
  }).ok());
  // Generated chains are leaf <- intermediate (normal, e1, e2, rogue) <- root.
  ASSERT_GE(fingerprints.size(), 3u);
  for (const Hash& fingerprint : fingerprints) {
    SCOPED_TRACE(HexEncode(fingerprint));
    auto der = source->Issuer(fingerprint);
    ASSERT_TRUE(der.ok()) << der.status().ToString();
    EXPECT_EQ(Sha256Of(*der), fingerprint);
    EXPECT_EQ(der->at(0), 0x30);  // a DER SEQUENCE
  }
  Hash unknown{};
  unknown[0] = 0x42;
  EXPECT_EQ(source->Issuer(unknown).status().code(), Code::kFailedPrecondition);  // 404

  auto rfc6962 = SourceFor(*sim, Api::kRfc6962);
  EXPECT_EQ(rfc6962->Issuer(fingerprints[0]).status().code(), Code::kFailedPrecondition);
}

}  // namespace
}  // namespace pinwatch::ctlog
