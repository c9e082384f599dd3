// LogEntry: one log entry as every consumer of a log sees it (the matcher, the committer,
// the identity code), whichever API it came from. Plain types over ctlog/leaf.h, so a
// folder that only reads entries (watch/) needs none of the log clients.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string_view>

#include "base/sha256.h"
#include "base/status.h"
#include "ctlog/leaf.h"

namespace pinwatch::ctlog {

// LogEntry is one log entry, decoded as far as the log framing goes. Spans alias the batch
// being delivered and are valid only during the sink call.
struct LogEntry {
  uint64_t index = 0;
  Hash leaf_hash{};  // over the exact bytes the log committed to, even when they do not parse
  // OK, or kMalformed with the field and offset when the log served an entry that does not
  // parse (it still counts, and is hashed, so nothing is skipped).
  Status status;
  TimestampedEntryView timestamped_entry;  // MerkleTreeLeaf.timestamped_entry, as in TileLeafView
  // RFC 6962: extra_data, still base64 (a view into the response). It is not covered by the
  // Merkle tree and only matches need it, so the hot path leaves it alone; WithExtraData
  // (entry_decoder.h) decodes it into pre_certificate and chain when wanted.
  std::string_view extra_data_b64{};
  Bytes pre_certificate{};    // precert entries: the precertificate as submitted
  CertificateChain chain;     // RFC 6962: the DER chain from extra_data (see extra_data_b64)
  Bytes chain_fingerprints{};  // static-ct-api: SHA-256 fingerprints of the chain, 32 bytes each
};

// LogEntrySink receives consecutive entries in log order. A non-OK Status stops the download
// and is returned from LogSource::Entries.
using LogEntrySink = std::function<Status(std::span<const LogEntry>)>;

}  // namespace pinwatch::ctlog
