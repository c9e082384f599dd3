// Signed tree heads (RFC 6962 §3.5) and the TLS DigitallySigned struct that carries their
// signatures (RFC 5246 §4.7).
#pragma once

#include <cstdint>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "ctlog/sha256.h"

namespace pinwatch::ctlog {

class LogKey;  // ctlog/log_key.h

// RFC 5246 §7.4.1.4.1 HashAlgorithm and SignatureAlgorithm codes used by CT.
inline constexpr uint8_t kHashSha256 = 4;
inline constexpr uint8_t kSignatureRsa = 1;
inline constexpr uint8_t kSignatureEcdsa = 3;

// DigitallySigned owns its signature bytes (a tree head outlives the response it came in).
struct DigitallySigned {
  uint8_t hash_algorithm = 0;       // HashAlgorithm hash
  uint8_t signature_algorithm = 0;  // SignatureAlgorithm signature
  std::vector<uint8_t> signature;   // opaque signature<0..2^16-1>

  friend bool operator==(const DigitallySigned&, const DigitallySigned&) = default;
};

// ParseDigitallySigned reads exactly one DigitallySigned struct; kMalformed naming the
// field and byte offset if it is truncated or followed by trailing bytes.
Result<DigitallySigned> ParseDigitallySigned(Bytes in);
// EncodeDigitallySigned is the inverse of ParseDigitallySigned.
std::vector<uint8_t> EncodeDigitallySigned(const DigitallySigned& ds);

// SignedTreeHead is a log's signed statement of its size and root (get-sth, or a
// static-ct-api checkpoint's RFC6962NoteSignature).
struct SignedTreeHead {
  uint64_t tree_size = 0;
  uint64_t timestamp_ms = 0;  // milliseconds since the epoch
  Hash root_hash{};
  DigitallySigned signature;

  friend bool operator==(const SignedTreeHead&, const SignedTreeHead&) = default;
};

// SerializeTreeHeadSignatureInput returns the bytes a log signs for a tree head, RFC 6962 §3.5:
//   struct { Version version (v1 = 0); SignatureType signature_type (tree_hash = 1);
//            uint64 timestamp; uint64 tree_size; opaque sha256_root_hash[32]; } TreeHeadSignature;
std::vector<uint8_t> SerializeTreeHeadSignatureInput(uint64_t timestamp_ms, uint64_t tree_size,
                                                     const Hash& root_hash);

// kMaxTreeSize is the largest tree size a monitor accepts: 2^63 - 1. A signed 64-bit
// integer (PostgreSQL's bigint, where positions and sizes are stored) holds no more, and
// the largest real logs hold about 2^31 entries.
inline constexpr uint64_t kMaxTreeSize = (uint64_t{1} << 63) - 1;
// kMaxTreeHeadFutureMs is how far past our clock a tree head's timestamp may lie: ten
// minutes. A log signs a head when it makes it, so a later timestamp is a log's (or our)
// clock gone wrong; ten minutes forgives an unsynchronised clock, not a head from tomorrow.
inline constexpr uint64_t kMaxTreeHeadFutureMs = 10 * 60 * 1000;

// CheckTreeHeadBounds checks what a signature cannot: that head.tree_size is at most
// `max_tree_size` (kMaxTreeSize, or less where an API bounds it) and head.timestamp_ms at
// most kMaxTreeHeadFutureMs after `now_unix_ms`. OK if so; kMalformed naming the field and
// the bound otherwise (such a head is refused, never a target; the next fetch may bring a
// good one, and a clock that was wrong may be right by then). Thread-safe.
Status CheckTreeHeadBounds(const SignedTreeHead& head, uint64_t max_tree_size, int64_t now_unix_ms);

// VerifySignedTreeHead checks sth.signature over the TreeHeadSignature of (timestamp,
// tree_size, root_hash) with the log's key. OK if it verifies; kMisbehaviour if it does
// not (a wrong key, or an altered or forged tree head); kMalformed if the signature's
// algorithms are unusable with that key (see LogKey::Verify). Says nothing about whether
// the tree head is consistent with others. Thread-safe.
Status VerifySignedTreeHead(const SignedTreeHead& sth, const LogKey& key);

}  // namespace pinwatch::ctlog
