// EntryDecoder turns a get-entries batch (base64 views from rfc6962_json.h) into LogEntry
// views: base64 decoding into one reused buffer, the Merkle leaf hash, and the leaf and
// extra_data parses. It is the per-entry front of the hot path, shared by the RFC 6962 log
// source and the benchmarks.
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
  // alias this decoder's buffers until the next Decode. An entry whose leaf_input or
  // extra_data does not parse is returned with a kMalformed status naming the field and
  // byte offset (hashed and counted, never skipped). Returns kMisbehaviour if an entry is
  // not valid base64: the log committed to bytes that cannot be read.
  Result<std::span<const LogEntry>> Decode(uint64_t first_index, std::span<const RawEntry> raw);

 private:
  std::vector<uint8_t> bytes_;
  std::vector<std::pair<size_t, size_t>> spans_;  // (offset, size) in bytes_, two per entry
  std::vector<LogEntry> entries_;
};

}  // namespace pinwatch::ctlog
