// EntryDecoder turns a get-entries batch (base64 views from rfc6962_json.h) into LogEntry
// views: leaf_input base64-decoded into one reused buffer, the Merkle leaf hash, and the
// leaf parse. extra_data (the chain) stays base64 until a match needs it: it is not in the
// Merkle tree, and decoding it for every entry would double the hot path's base64 work
// (measured on real Let's Encrypt entries: 261k → 395k entries/s, bench/entry_path_bench.cc). It is the per-entry front of the hot
// path, shared by the RFC 6962 log source and the benchmarks.
#pragma once

#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "ctlog/log_source.h"
#include "ctlog/rfc6962_json.h"

namespace pinwatch::ctlog {

// EntryDecoder is not thread-safe; one per worker. It allocates only while its buffers grow.
class EntryDecoder {
 public:
  // Decode decodes `raw` (entries first_index, first_index+1, ...) and returns views that
  // alias this decoder's buffers (and `raw`'s) until the next Decode. An entry whose
  // leaf_input does not parse is returned with a kMalformed status naming the field and
  // byte offset (hashed and counted, never skipped). Returns kMisbehaviour if a leaf_input
  // is not valid base64: the log committed to bytes that cannot be read.
  Result<std::span<const LogEntry>> Decode(uint64_t first_index, std::span<const RawEntry> raw);

 private:
  std::vector<uint8_t> bytes_;
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, size) in bytes_, one per entry
  std::vector<LogEntry> entries_;
};

// WithExtraData returns `entry` with pre_certificate and chain filled from its
// extra_data_b64, decoded into `scratch` (the returned views alias it and `entry`). An entry
// without extra_data_b64 (static-ct-api, or already resolved) is returned unchanged.
// kMalformed naming the field and byte offset if extra_data is not base64 or does not parse.
Result<LogEntry> WithExtraData(const LogEntry& entry, std::vector<uint8_t>& scratch);

}  // namespace pinwatch::ctlog
