#include "ctlog/entry_decoder.h"

#include <string>

#include "base/encoding.h"
#include "ctlog/merkle.h"

namespace pinwatch::ctlog {

Result<std::span<const LogEntry>> EntryDecoder::Decode(uint64_t first_index, std::span<const RawEntry> raw) {
  // Decode everything first: bytes_ may move while it grows, so views come after.
  bytes_.clear();
  spans_.clear();
  for (size_t i = 0; i < raw.size(); ++i) {
    const size_t begin = bytes_.size();
    if (!Base64DecodeInto(raw[i].leaf_input_b64, bytes_)) {
      return MisbehaviourError("entry " + std::to_string(first_index + i) + ": leaf_input is not valid base64");
    }
    spans_.emplace_back(begin, bytes_.size() - begin);
  }
  entries_.assign(raw.size(), LogEntry{});
  const Bytes all(bytes_);
  for (size_t i = 0; i < raw.size(); ++i) {
    const Bytes leaf_input = all.subspan(spans_[i].first, spans_[i].second);
    LogEntry& e = entries_[i];
    e.index = first_index + i;
    e.leaf_hash = HashLeaf(leaf_input);
    e.extra_data_b64 = raw[i].extra_data_b64;
    auto leaf = ParseMerkleTreeLeaf(leaf_input);
    if (!leaf.ok()) {
      e.status = MalformedError("leaf_input: " + leaf.status().message());
      continue;
    }
    e.timestamped_entry = leaf->timestamped_entry;
  }
  return std::span<const LogEntry>(entries_);
}

Result<LogEntry> WithExtraData(const LogEntry& entry, std::vector<uint8_t>& scratch) {
  if (entry.extra_data_b64.empty()) return entry;
  scratch.clear();
  if (!Base64DecodeInto(entry.extra_data_b64, scratch)) {
    return MalformedError("entry " + std::to_string(entry.index) + ": extra_data is not valid base64");
  }
  auto extra = ParseExtraData(entry.timestamped_entry.entry_type, scratch);
  if (!extra.ok()) {
    return MalformedError("entry " + std::to_string(entry.index) + ": extra_data: " + extra.status().message());
  }
  LogEntry out = entry;
  out.extra_data_b64 = {};
  out.pre_certificate = extra->pre_certificate;
  out.chain = extra->chain;
  return out;
}

}  // namespace pinwatch::ctlog
