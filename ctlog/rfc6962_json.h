// Parsers for the JSON bodies of the RFC 6962 §4 log API responses (get-sth,
// get-sth-consistency, get-proof-by-hash, get-entries, get-roots, get-entry-and-proof).
//
// House JSON rules (STYLE.md "Parsing untrusted input"): the body is capped in size
// (constants below); bytes after the root value are an error; fields are read through
// typed accessors, so a missing field, a wrong type or a duplicated key is an error that
// names the field; unknown keys are ignored (logs may add fields). Every error is
// kMalformed. Nothing here names RapidJSON: it stays inside rfc6962_json.cc.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ctlog/sha256.h"
#include "ctlog/sth.h"

namespace pinwatch::ctlog {

// kMaxResponseBytes caps every response but get-entries. The largest real one is
// get-roots (a few hundred roots of ~2 KiB each, base64: ~1.5 MiB for Argon/Xenon);
// 8 MiB leaves room without letting a log make us allocate without bound.
inline constexpr size_t kMaxResponseBytes = size_t{8} << 20;
// kMaxGetEntriesResponseBytes caps a get-entries body. Logs return at most a few
// thousand entries per call (Google: 1000, Let's Encrypt: 256) of a few KiB each
// (leaf_input plus an extra_data chain, base64): 64 MiB is well above that.
inline constexpr size_t kMaxGetEntriesResponseBytes = size_t{64} << 20;
// Each endpoint's body limit, applied while the body arrives (net::HttpClient), so a lying log
// cannot make us hold more than the largest honest answer allows:
// kMaxTreeHeadResponseBytes: get-sth (a real one is about 300 bytes).
inline constexpr size_t kMaxTreeHeadResponseBytes = size_t{64} << 10;
// kMaxProofResponseBytes: get-sth-consistency and get-proof-by-hash (at most 128 hashes,
// about 6 KiB in base64).
inline constexpr size_t kMaxProofResponseBytes = size_t{64} << 10;
// kMaxEntryAndProofResponseBytes: get-entry-and-proof (one entry with its chain, a proof).
inline constexpr size_t kMaxEntryAndProofResponseBytes = size_t{1} << 20;
// kMaxEntryJsonBytes: the budget per entry of a get-entries answer. Real entries with their
// chains are 4-8 KiB of JSON (../shared/testdata: Let's Encrypt and CT test logs, 4.9-7.3
// KiB); 32 KiB leaves room for certificates with many names and long chains.
inline constexpr size_t kMaxEntryJsonBytes = size_t{32} << 10;

// GetEntriesBodyLimit is the body limit of a get-entries request for `entries` entries:
// entries * kMaxEntryJsonBytes, at least 1 MiB and at most kMaxGetEntriesResponseBytes.
inline size_t GetEntriesBodyLimit(uint64_t entries) {
  const uint64_t budget = entries > (kMaxGetEntriesResponseBytes / kMaxEntryJsonBytes)
                              ? kMaxGetEntriesResponseBytes
                              : entries * kMaxEntryJsonBytes;
  return static_cast<size_t>(std::max<uint64_t>(budget, size_t{1} << 20));
}

// kMaxJsonDepth bounds the nesting of any response: real answers nest three levels
// (get-entries: object, array, object), so 32 leaves room for fields logs may add.
inline constexpr size_t kMaxJsonDepth = 32;
// kMaxJsonValues bounds the values (scalars, keys and containers) of a response parsed into
// a DOM (all but get-entries, which is read without one): get-roots, the largest, holds a
// few hundred strings. At most ~16 bytes each, the DOM stays under a few MiB.
inline constexpr size_t kMaxJsonValues = 100'000;
// kMaxProofHashes bounds audit_path and consistency arrays: a tree of up to 2^64 leaves
// needs at most 64 inclusion-proof hashes and fewer than 128 consistency-proof hashes.
inline constexpr size_t kMaxProofHashes = 128;

// ParseGetSthResponse parses a get-sth body (RFC 6962 §4.3):
//   { "tree_size": uint64, "timestamp": uint64 (ms), "sha256_root_hash": base64(32 bytes),
//     "tree_head_signature": base64(TLS DigitallySigned) }
// Returns the tree head (owning; the signature is parsed but NOT verified, see
// VerifySignedTreeHead). kMalformed naming the field otherwise. Thread-safe.
Result<SignedTreeHead> ParseGetSthResponse(std::string_view body);

// ParseGetSthConsistencyResponse parses a get-sth-consistency body (RFC 6962 §4.4):
//   { "consistency": [ base64(32 bytes), ... ] }
// Returns the proof hashes in order (possibly empty; not verified). kMalformed naming the
// field and array index otherwise. Thread-safe.
Result<std::vector<Hash>> ParseGetSthConsistencyResponse(std::string_view body);

// GetProofByHashResponse is a get-proof-by-hash answer (RFC 6962 §4.5), not yet verified.
struct GetProofByHashResponse {
  uint64_t leaf_index = 0;
  std::vector<Hash> audit_path;

  friend bool operator==(const GetProofByHashResponse&, const GetProofByHashResponse&) = default;
};

// ParseGetProofByHashResponse parses { "leaf_index": uint64, "audit_path": [base64(32)...] }.
// Returns the owning response; kMalformed naming the field otherwise. Thread-safe.
Result<GetProofByHashResponse> ParseGetProofByHashResponse(std::string_view body);

// GetEntryAndProofResponse is a get-entry-and-proof answer (RFC 6962 §4.8), decoded from
// base64 but otherwise unparsed (leaf_input is a MerkleTreeLeaf; see leaf.h).
struct GetEntryAndProofResponse {
  std::vector<uint8_t> leaf_input;
  std::vector<uint8_t> extra_data;
  std::vector<Hash> audit_path;

  friend bool operator==(const GetEntryAndProofResponse&, const GetEntryAndProofResponse&) = default;
};

// ParseGetEntryAndProofResponse parses
//   { "leaf_input": base64, "extra_data": base64, "audit_path": [base64(32)...] }.
// Returns the owning, decoded response; kMalformed naming the field otherwise. Thread-safe.
Result<GetEntryAndProofResponse> ParseGetEntryAndProofResponse(std::string_view body);

// kMaxRoots bounds the certificates of one get-roots answer. Real logs accept a few
// hundred roots (Argon/Xenon about 150-250, the largest lists under 1,000); 10,000 leaves
// room while bounding what one log makes every report check look at.
inline constexpr size_t kMaxRoots = 10'000;

// ParseGetRootsResponse parses a get-roots body (RFC 6962 §4.7):
//   { "certificates": [ base64(DER certificate), ... ] }
// Returns the decoded DER bytes. Each must be one DER SEQUENCE (the Certificate's outer
// TLV, definite minimal length) that fills the decoded bytes exactly; what is inside is not
// parsed as X.509. kMalformed naming the field and index otherwise, and for more than
// kMaxRoots certificates. An empty array is valid. Thread-safe.
Result<std::vector<std::vector<uint8_t>>> ParseGetRootsResponse(std::string_view body);

// RawEntry is one get-entries element, still base64. Both views ALIAS the buffer passed
// to ParseGetEntriesResponse and are valid only while that buffer is alive and unchanged.
// The strings are not yet checked to be valid base64: decode them with
// Base64DecodeInto (base/encoding.h), which rejects bad input.
struct RawEntry {
  std::string_view leaf_input_b64;
  std::string_view extra_data_b64;
};

// ParseGetEntriesResponse parses a get-entries body (RFC 6962 §4.6) IN SITU:
//   { "entries": [ { "leaf_input": base64, "extra_data": base64 }, ... ] }
// This is the hot path. `body` is the response, owned and mutable by the caller; it is a
// std::string because RapidJSON's fastest in-situ stream (SSE4.2 string scanning) needs
// the NUL terminator a std::string guarantees. The parser rewrites `body` in place (JSON
// string unescaping and NUL terminators), so afterwards it no longer holds the original
// text. On success, `out` is cleared and then holds one RawEntry per element, in order,
// aliasing `body`; reuse one `out` across calls so its capacity is kept. On failure
// returns kMalformed naming the field and the entry index ("entries[7].extra_data: not a
// string"), and `out` holds an unspecified prefix of the entries. An empty "entries" array
// is valid (the caller decides whether a short batch is an error); more than
// `max_entries` entries, nesting deeper than kMaxJsonDepth or a key twice is kMalformed.
// No DOM is built: memory is `out` alone, whatever the body holds. Thread-safe for
// distinct buffers.
Status ParseGetEntriesResponse(std::string& body, std::vector<RawEntry>& out, size_t max_entries = SIZE_MAX);

}  // namespace pinwatch::ctlog
