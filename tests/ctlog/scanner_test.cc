// Scan against an in-memory LogSource: the round's promises without HTTP. The same
// promises against ctsim over both APIs, in every fault mode, are integration/scan_test's.
#include "ctlog/scanner.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ctlog/merkle.h"

namespace pinwatch::ctlog {
namespace {

Hash Leaf(uint64_t i) {
  uint8_t bytes[8];
  for (int b = 0; b < 8; ++b) bytes[b] = static_cast<uint8_t>(i >> (8 * b));
  return HashLeaf(Bytes(bytes, 8));
}

// FakeSource serves a tree of `size` leaves built here. Tests change what it says: the head
// it serves, whether its signature verifies, a proof that lies, an entry that does not
// parse, a download that fails after some entries.
class FakeSource : public LogSource {
 public:
  explicit FakeSource(uint64_t size) {
    for (uint64_t i = 0; i < size; ++i) tree_.Append(Leaf(i));
    Serve(size);
  }

  void Serve(uint64_t tree_size) { head_ = {.tree_size = tree_size, .timestamp_ms = 1000 + tree_size,
                                            .root_hash = tree_.Root(tree_size)}; }
  SignedTreeHead head_;
  Status signature_;
  bool lie_in_proof_ = false;
  std::optional<uint64_t> malformed_at_;
  std::optional<uint64_t> fail_after_;  // deliver this many entries of a call, then fail_with_
  Status fail_with_ = UnavailableError("connection reset");
  std::vector<std::string> calls_;

  Result<TreeHeadAnswer> FetchTreeHead() override {
    calls_.push_back("head");
    return TreeHeadAnswer{head_, signature_};
  }
  Result<std::vector<Hash>> ConsistencyProof(uint64_t size1, uint64_t size2) override {
    calls_.push_back("proof " + std::to_string(size1) + " " + std::to_string(size2));
    std::vector<Hash> proof = tree_.ConsistencyProof(size1, size2);
    if (lie_in_proof_ && !proof.empty()) proof[0][0] ^= 1;
    return proof;
  }
  Status Entries(uint64_t start, uint64_t end, uint64_t tree_size, const LogEntrySink& sink) override {
    calls_.push_back("entries " + std::to_string(start) + " " + std::to_string(end));
    EXPECT_LE(end, tree_size);
    for (uint64_t i = start; i < end; i += 3) {  // batches of three, as a log answers
      std::vector<LogEntry> batch;
      for (uint64_t j = i; j < std::min(end, i + 3); ++j) {
        if (fail_after_ && j - start == *fail_after_) {
          if (!batch.empty()) {
            if (Status s = sink(batch); !s.ok()) return s;
          }
          return fail_with_;
        }
        LogEntry e;
        e.index = j;
        e.leaf_hash = Leaf(j);
        if (malformed_at_ == j) e.status = MalformedError("leaf_input: truncated");
        batch.push_back(e);
      }
      if (Status s = sink(batch); !s.ok()) return s;
    }
    return OkStatus();
  }
  Result<CompactRange> TreeRangeAt(const SignedTreeHead&) override { return UnavailableError("unused"); }
  Result<std::vector<uint8_t>> Issuer(const Hash&) override { return FailedPreconditionError("unused"); }
  Result<std::vector<std::vector<uint8_t>>> FetchRoots() override { return FailedPreconditionError("unused"); }
  const std::string& Description() const override { return description_; }

  MerkleTree tree_;

 private:
  std::string description_ = "fake log";
};

struct Collected {
  std::vector<uint64_t> indices;
  LogEntrySink Sink() {
    return [this](std::span<const LogEntry> batch) {
      for (const LogEntry& e : batch) indices.push_back(e.index);
      return OkStatus();
    };
  }
};

TEST(Scan, NewVerifierReadsTheWholeTreeAndVerifiesIt) {
  FakeSource source(20);
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  Collected got;
  int heads_seen = 0;
  ScanOptions options;
  options.on_tree_head = [&](const SignedTreeHead& h) {
    ++heads_seen;
    EXPECT_EQ(h.tree_size, 20u);
    EXPECT_TRUE(got.indices.empty());  // before any entry
  };
  auto result = Scan(source, verifier, got.Sink(), options);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_FALSE(result->misbehaviour.has_value());
  EXPECT_EQ(heads_seen, 1);
  EXPECT_EQ(result->entries_delivered, 20u);
  EXPECT_EQ(verifier.verified_end(), 20u);
  EXPECT_EQ(verifier.verified_head(), source.head_);
  ASSERT_EQ(got.indices.size(), 20u);
  for (uint64_t i = 0; i < 20; ++i) EXPECT_EQ(got.indices[i], i);
}

TEST(Scan, MaxEntriesStopsEarlyAndTheNextScanFinishesWithAProof) {
  FakeSource source(10);
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  Collected got;
  ASSERT_TRUE(Scan(source, verifier, got.Sink()).ok());  // verified at 10

  for (uint64_t i = 10; i < 30; ++i) source.tree_.Append(Leaf(i));
  source.Serve(30);
  auto first = Scan(source, verifier, got.Sink(), {.max_entries = 7});
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->entries_delivered, 7u);
  EXPECT_EQ(verifier.pending_end(), 17u);
  EXPECT_EQ(verifier.verified_end(), 10u);  // not verified until the signed size is reached

  auto second = Scan(source, verifier, got.Sink());
  ASSERT_TRUE(second.ok());
  EXPECT_FALSE(second->misbehaviour.has_value());
  EXPECT_EQ(second->entries_delivered, 13u);
  EXPECT_EQ(verifier.verified_end(), 30u);
  EXPECT_EQ(got.indices.size(), 30u);
  // Each later head was proven consistent with the verified one before anything was fetched.
  EXPECT_EQ(source.calls_, (std::vector<std::string>{"head", "entries 0 10", "head", "proof 10 30", "entries 10 17",
                                                     "head", "proof 10 30", "entries 17 30"}));
}

TEST(Scan, AFailedDownloadRewindsToTheVerifiedSizeAfterTheCallerSawTheEntries) {
  FakeSource source(10);
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  source.fail_after_ = 5;
  Collected got;
  uint64_t pending_at_rewind = 0;
  ScanOptions options;
  options.before_rewind = [&] { pending_at_rewind = verifier.pending_end(); };
  auto result = Scan(source, verifier, got.Sink(), options);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Code::kUnavailable);
  EXPECT_EQ(pending_at_rewind, 5u);  // the caller may commit the five it received
  EXPECT_EQ(verifier.pending_end(), 0u);
  EXPECT_EQ(got.indices.size(), 5u);

  source.fail_after_.reset();
  ASSERT_TRUE(Scan(source, verifier, got.Sink()).ok());
  EXPECT_EQ(verifier.verified_end(), 10u);
}

TEST(Scan, TheSinksErrorStopsTheDownloadAndIsReturned) {
  FakeSource source(10);
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  auto result = Scan(source, verifier, [](std::span<const LogEntry>) { return Status(Code::kAborted, "stop"); });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Code::kAborted);
  EXPECT_EQ(verifier.pending_end(), 0u);
}

TEST(Scan, MalformedEntriesAreCountedAndStillHashed) {
  FakeSource source(9);
  source.malformed_at_ = 4;
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  Collected got;
  auto result = Scan(source, verifier, got.Sink());
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->malformed_entries, 1u);
  EXPECT_FALSE(result->misbehaviour.has_value());  // the log committed to those bytes
  EXPECT_EQ(verifier.verified_end(), 9u);
}

// With nothing verified yet there is no proof to check: the entries themselves must hash to
// the signed root, and when they do not, none of them is trusted.
TEST(Scan, EntriesThatDoNotHashToTheSignedRootAreMisbehaviour) {
  FakeSource source(12);
  source.head_.root_hash[0] ^= 1;
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  Collected got;
  auto result = Scan(source, verifier, got.Sink());
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result->misbehaviour.has_value());
  EXPECT_EQ(result->misbehaviour->kind, Misbehaviour::Kind::kRootMismatch);
  EXPECT_EQ(got.indices.size(), 12u);  // delivered, to be stored as unverified
  EXPECT_EQ(verifier.verified_end(), 0u);
  EXPECT_EQ(verifier.pending_end(), 0u);
  EXPECT_FALSE(verifier.verified_head().has_value());
}

// A lagging frontend may serve an older, smaller head: nothing to fetch, nothing wrong.
TEST(Scan, AnOlderSmallerHeadIsPassedOver) {
  FakeSource source(10);
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  Collected got;
  ASSERT_TRUE(Scan(source, verifier, got.Sink()).ok());
  source.Serve(6);  // timestamp 1006 < 1010
  auto result = Scan(source, verifier, got.Sink());
  ASSERT_TRUE(result.ok());
  EXPECT_FALSE(result->misbehaviour.has_value());
  EXPECT_EQ(result->entries_delivered, 0u);
  EXPECT_EQ(verifier.verified_end(), 10u);
}

TEST(Scan, EvidenceOfALyingLogIsMisbehaviour) {
  struct Case {
    const char* what;
    std::function<void(FakeSource&)> lie;
    Misbehaviour::Kind want;
    bool fetches_entries;
  } cases[] = {
      {"bad signature", [](FakeSource& s) { s.signature_ = MisbehaviourError("signature does not verify"); },
       Misbehaviour::Kind::kBadTreeHeadSignature, false},
      {"newer head with a smaller tree",
       [](FakeSource& s) {
         s.Serve(5);
         s.head_.timestamp_ms = 1'000'000;
       },
       Misbehaviour::Kind::kShrunkTree, false},
      {"fork at the verified size", [](FakeSource& s) { s.head_.root_hash = s.tree_.Root(9); s.head_.tree_size = 10; },
       Misbehaviour::Kind::kForkedTreeHead, false},
      {"bad consistency proof", [](FakeSource& s) { s.lie_in_proof_ = true; }, Misbehaviour::Kind::kBadConsistencyProof,
       false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    FakeSource source(10);
    TreeVerifier verifier(CompactRange{}, std::nullopt);
    Collected got;
    ASSERT_TRUE(Scan(source, verifier, got.Sink()).ok());
    const SignedTreeHead verified = source.head_;
    for (uint64_t i = 10; i < 16; ++i) source.tree_.Append(Leaf(i));
    source.Serve(16);
    c.lie(source);
    got.indices.clear();

    auto result = Scan(source, verifier, got.Sink());
    ASSERT_TRUE(result.ok()) << result.status().ToString();
    ASSERT_TRUE(result->misbehaviour.has_value());
    EXPECT_EQ(result->misbehaviour->kind, c.want) << result->misbehaviour->detail;
    EXPECT_EQ(result->misbehaviour->verified_head, verified);
    EXPECT_EQ(!got.indices.empty(), c.fetches_entries);
    // The verifier is back at what it had verified; nothing from the lie is trusted.
    EXPECT_EQ(verifier.verified_end(), 10u);
    EXPECT_EQ(verifier.pending_end(), 10u);
    EXPECT_EQ(verifier.verified_head(), verified);
  }
}

// A source that finds the log served something that is not an entry (leaf_input that is not
// base64) says kMisbehaviour: Scan turns it into kBadEntry evidence and rewinds.
TEST(Scan, ASourcesMisbehaviourMidDownloadIsBadEntryEvidence) {
  FakeSource source(10);
  source.fail_after_ = 4;
  source.fail_with_ = MisbehaviourError("entry 4: leaf_input is not valid base64");
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  Collected got;
  bool rewound = false;
  auto result = Scan(source, verifier, got.Sink(), {.before_rewind = [&] { rewound = true; }});
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_TRUE(result->misbehaviour.has_value());
  EXPECT_EQ(result->misbehaviour->kind, Misbehaviour::Kind::kBadEntry);
  EXPECT_EQ(result->misbehaviour->detail, source.fail_with_.message());
  EXPECT_EQ(result->misbehaviour->tree_head, source.head_);
  EXPECT_TRUE(rewound);
  EXPECT_EQ(got.indices.size(), 4u);
  EXPECT_EQ(verifier.pending_end(), 0u);
}

// on_tree_head is for heads that passed their checks: a lying head never reaches it.
TEST(Scan, OnTreeHeadIsNotCalledForAHeadThatFailsItsChecks) {
  FakeSource source(10);
  TreeVerifier verifier(CompactRange{}, std::nullopt);
  Collected got;
  ASSERT_TRUE(Scan(source, verifier, got.Sink()).ok());
  for (uint64_t i = 10; i < 13; ++i) source.tree_.Append(Leaf(i));
  source.Serve(13);
  source.lie_in_proof_ = true;
  int heads_seen = 0;
  auto result = Scan(source, verifier, got.Sink(), {.on_tree_head = [&](const SignedTreeHead&) { ++heads_seen; }});
  ASSERT_TRUE(result.ok());
  ASSERT_TRUE(result->misbehaviour.has_value());
  EXPECT_FALSE(result->head.has_value());
  EXPECT_EQ(heads_seen, 0);
}

}  // namespace
}  // namespace pinwatch::ctlog

namespace pinwatch::ctlog {
namespace {

TEST(EndpointOfUrl, NamesEveryCtEndpointAndNothingElse) {
  const std::pair<const char*, const char*> cases[] = {
      {"https://ct.example/2025h1/ct/v1/get-sth", "get-sth"},
      {"https://ct.example/ct/v1/get-sth-consistency?first=1&second=2", "get-sth-consistency"},
      {"http://127.0.0.1:4000/ct/v1/get-entries?start=0&end=255", "get-entries"},
      {"https://ct.example/ct/v1/get-entry-and-proof?leaf_index=3&tree_size=9", "get-entry-and-proof"},
      {"https://ct.example/ct/v1/get-proof-by-hash?hash=x&tree_size=9", "get-proof-by-hash"},
      {"https://ct.example/ct/v1/get-roots", "get-roots"},
      {"https://ct.example/ct/v1/add-chain", "other"},
      {"https://tiles.example/log2025h2/checkpoint", "checkpoint"},
      {"https://tiles.example/log2025h2/tile/0/x001/234.p/17", "tile"},
      {"https://tiles.example/log2025h2/tile/data/x001/234", "data-tile"},
      {"https://tiles.example/log2025h2/issuer/3fa1c2", "issuer"},
      {"https://tiles.example/", "other"},
      {"not a url", "other"},
  };
  for (const auto& [url, want] : cases) EXPECT_EQ(EndpointOfUrl(url), want) << url;
}

}  // namespace
}  // namespace pinwatch::ctlog
