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
    for (std::string_view b64 : {raw[i].leaf_input_b64, raw[i].extra_data_b64}) {
      const size_t begin = bytes_.size();
      if (!Base64DecodeInto(b64, bytes_)) {
        return MisbehaviourError("entry " + std::to_string(first_index + i) + " is not valid base64");
      }
      spans_.emplace_back(begin, bytes_.size() - begin);
    }
  }
  entries_.assign(raw.size(), LogEntry{});
  const Bytes all(bytes_);
  for (size_t i = 0; i < raw.size(); ++i) {
    const Bytes leaf_input = all.subspan(spans_[2 * i].first, spans_[2 * i].second);
    const Bytes extra_data = all.subspan(spans_[2 * i + 1].first, spans_[2 * i + 1].second);
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
  return std::span<const LogEntry>(entries_);
}

}  // namespace pinwatch::ctlog
