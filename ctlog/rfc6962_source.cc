// LogSource over the RFC 6962 HTTP API (§4): get-sth, get-sth-consistency, get-entries.
#include <utility>

#include "base/encoding.h"
#include "ctlog/log_source.h"
#include "ctlog/merkle.h"
#include "ctlog/rfc6962_client.h"

namespace pinwatch::ctlog {
namespace {

class Rfc6962Source final : public LogSource {
 public:
  Rfc6962Source(std::string url, LogKey key, const LogSourceOptions& options)
      : description_(url),
        key_(std::move(key)),
        client_(std::move(url), Rfc6962ClientOptions{
                                    .http = {.total_timeout_ms = options.request_timeout_ms},
                                    .retry = options.retry,
                                    .entries_per_request = options.entries_per_request,
                                    .max_requests_in_flight = options.max_requests_in_flight,
                                    .clock = options.clock,
                                }) {}

  Result<SignedTreeHead> LatestTreeHead() override {
    auto sth = client_.GetSth();
    if (!sth.ok()) return sth.status();
    if (Status s = VerifySignedTreeHead(*sth, key_); !s.ok()) {
      return Status(s.code(), "get-sth from " + description_ + ": " + s.message());
    }
    return sth;
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

  const std::string& Description() const override { return description_; }

 private:
  // DecodeBatch base64-decodes a batch into one reused buffer and hands out views into it.
  Status DecodeBatch(uint64_t first_index, std::span<const RawEntry> raw, const LogEntrySink& sink) {
    bytes_.clear();
    spans_.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      for (std::string_view b64 : {raw[i].leaf_input_b64, raw[i].extra_data_b64}) {
        const size_t begin = bytes_.size();
        if (!Base64DecodeInto(b64, bytes_)) {
          // The log committed to bytes we cannot even read: that is the log's fault, and
          // skipping the entry would break the tree, so the download stops here.
          return MisbehaviourError("get-entries from " + description_ + ": entry " +
                                   std::to_string(first_index + i) + " is not valid base64");
        }
        spans_.emplace_back(begin, bytes_.size() - begin);
      }
    }
    entries_.assign(raw.size(), LogEntry{});
    for (size_t i = 0; i < raw.size(); ++i) {
      const Bytes leaf_input = Bytes(bytes_).subspan(spans_[2 * i].first, spans_[2 * i].second);
      const Bytes extra_data = Bytes(bytes_).subspan(spans_[2 * i + 1].first, spans_[2 * i + 1].second);
      LogEntry& e = entries_[i];
      e.index = first_index + i;
      e.leaf_hash = HashLeaf(leaf_input);
      auto leaf = ParseMerkleTreeLeaf(leaf_input);
      if (!leaf.ok()) {
        e.status = MalformedError("leaf_input: " + leaf.status().message());
        continue;
      }
      e.entry = leaf->timestamped_entry;
      auto extra = ParseExtraData(e.entry.entry_type, extra_data);
      if (!extra.ok()) {
        e.status = MalformedError("extra_data: " + extra.status().message());
        continue;
      }
      e.pre_certificate = extra->pre_certificate;
      e.chain = extra->chain;
    }
    return sink(entries_);
  }

  std::string description_;
  LogKey key_;
  Rfc6962Client client_;
  // Reused per batch, so the hot path does not allocate once warmed up.
  std::vector<uint8_t> bytes_;
  std::vector<std::pair<size_t, size_t>> spans_;
  std::vector<LogEntry> entries_;
};

}  // namespace

std::unique_ptr<LogSource> NewRfc6962Source(std::string url, LogKey key, LogSourceOptions options) {
  return std::make_unique<Rfc6962Source>(std::move(url), std::move(key), options);
}

}  // namespace pinwatch::ctlog
