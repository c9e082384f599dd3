// LogSource over the RFC 6962 HTTP API (§4): get-sth, get-sth-consistency, get-entries,
// get-entry-and-proof to start at the end of a log, and get-roots.
#include <string>
#include <utility>

#include "base/encoding.h"

#include "ctlog/entry_decoder.h"
#include "ctlog/log_source.h"
#include "ctlog/rfc6962_client.h"

namespace pinwatch::ctlog {
namespace {

class Rfc6962Source final : public LogSource {
 public:
  Rfc6962Source(std::string url, LogKey key, const LogSourceOptions& options)
      : stop_clock_(),
        clock_(log_source_internal::ClockOf(options, stop_clock_)),
        description_(url),
        key_(std::move(key)),
        client_(std::move(url), Rfc6962ClientOptions{
                                    .http = log_source_internal::HttpOptionsOf(options),
                                    .retry = options.retry,
                                    .entries_per_request = options.entries_per_request,
                                    .max_requests_in_flight = options.max_requests_in_flight,
                                    .retry_lookahead_bytes = options.retry_lookahead_bytes,
                                    .clock = clock_,
                                }) {}

  Result<TreeHeadAnswer> FetchTreeHead() override {
    auto sth = client_.GetSth();
    if (!sth.ok()) return sth.status();
    TreeHeadAnswer answer{.head = std::move(*sth)};
    if (Status s = VerifySignedTreeHead(answer.head, key_); !s.ok()) {
      answer.signature = Status(s.code(), "get-sth from " + description_ + ": " + s.message());
      if (s.code() != Code::kMisbehaviour) return answer.signature;
      return answer;  // a forged head is evidence, whatever it claims
    }
    if (Status s = CheckTreeHeadBounds(answer.head, kMaxTreeSize, log_source_internal::UnixNowMsOn(clock_));
        !s.ok()) {
      return Status(s.code(), "get-sth from " + description_ + ": " + s.message());
    }
    return answer;
  }

  Result<std::vector<Hash>> ConsistencyProof(uint64_t size1, uint64_t size2) override {
    return client_.GetSthConsistency(size1, size2);
  }

  Status Entries(uint64_t start, uint64_t end_exclusive, uint64_t /*tree_size*/,
                 const LogEntrySink& sink) override {
    return client_.GetEntries(start, end_exclusive,
                              [&](uint64_t first_index, std::span<const RawEntry> raw) {
                                return DecodeBatch(first_index, raw, sink);
                              });
  }

  Result<std::vector<std::vector<uint8_t>>> FetchRoots() override { return client_.GetRoots(); }

  Result<std::vector<uint8_t>> Issuer(const Hash&) override {
    return FailedPreconditionError(description_ + ": this log serves no issuer certificates");
  }

  // TreeRangeAt: the audit path of the last leaf (index tree_size-1) in the tree of
  // tree_size is exactly the compact range of [0, tree_size-1), right to left (merkle.h);
  // appending that leaf's hash gives the range of [0, tree_size). One request, any size.
  Result<CompactRange> TreeRangeAt(const SignedTreeHead& head) override {
    if (head.tree_size == 0) return CheckRoot(CompactRange(), head);
    auto answer = client_.GetEntryAndProof(head.tree_size - 1, head.tree_size);
    if (!answer.ok()) return answer.status();
    auto range = CompactRange::FromRightmostInclusionProof(head.tree_size, HashLeaf(answer->leaf_input),
                                                           answer->audit_path);
    if (!range.ok()) {
      return Status(range.status().code(), "get-entry-and-proof from " + description_ + ": " +
                                               range.status().message());
    }
    return CheckRoot(std::move(*range), head);
  }

  const std::string& Description() const override { return description_; }

 private:
  // CheckRoot returns `range` if its root is head's signed root, else kMisbehaviour.
  Result<CompactRange> CheckRoot(CompactRange range, const SignedTreeHead& head) const {
    const Hash root = range.Root();
    if (root == head.root_hash) return range;
    return MisbehaviourError(description_ + ": the last leaf of tree size " + std::to_string(head.tree_size) +
                             " and its audit path (get-entry-and-proof) hash to root " + Base64Encode(root) +
                             ", but the tree head of size " + std::to_string(head.tree_size) + " signs root " +
                             Base64Encode(head.root_hash));
  }

  Status DecodeBatch(uint64_t first_index, std::span<const RawEntry> raw, const LogEntrySink& sink) {
    auto entries = decoder_.Decode(first_index, raw);
    if (!entries.ok()) {
      return Status(entries.status().code(), "get-entries from " + description_ + ": " + entries.status().message());
    }
    return sink(*entries);
  }

  std::optional<StopAwareClock> stop_clock_;  // before the client, which borrows it
  Clock* clock_;                              // nullptr: the system clock
  std::string description_;
  LogKey key_;
  Rfc6962Client client_;
  EntryDecoder decoder_;
};

}  // namespace

std::unique_ptr<LogSource> NewRfc6962Source(std::string url, LogKey key, LogSourceOptions options) {
  return std::make_unique<Rfc6962Source>(std::move(url), std::move(key), options);
}

}  // namespace pinwatch::ctlog
