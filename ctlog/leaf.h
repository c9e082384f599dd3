// Log entries as RFC 6962 defines them: the MerkleTreeLeaf that a log hashes into its tree
// (§3.4), the TimestampedEntry inside it (which static-ct-api data tiles carry verbatim),
// and the `extra_data` of get-entries (§4.6: the submitted chain). Parsers return views
// that alias their input; encoders append to a caller's buffer and round-trip exactly.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <span>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "ctlog/sha256.h"

namespace pinwatch::ctlog {

// LogEntryType, RFC 6962 §3.1: `enum { x509_entry(0), precert_entry(1), (65535) }`.
enum class LogEntryType : uint16_t {
  kX509Entry = 0,
  kPrecertEntry = 1,
};

// Limits from the RFC 6962 vector bounds, named so encoders and tests can use them.
inline constexpr size_t kMaxAsn1CertBytes = (size_t{1} << 24) - 1;      // ASN.1Cert <1..2^24-1>
inline constexpr size_t kMaxCertificateChainBytes = (size_t{1} << 24) - 1;  // <0..2^24-1>
inline constexpr size_t kMaxCtExtensionsBytes = (size_t{1} << 16) - 1;  // CtExtensions <0..2^16-1>

// TimestampedEntryView is one RFC 6962 §3.4 TimestampedEntry:
//   struct {
//     uint64 timestamp;
//     LogEntryType entry_type;
//     select(entry_type) {
//       case x509_entry: ASN.1Cert;
//       case precert_entry: PreCert;   // { opaque issuer_key_hash[32]; TBSCertificate tbs_certificate; }
//     } signed_entry;
//     CtExtensions extensions;
//   } TimestampedEntry;
// As a parse result its spans alias the parsed buffer and must not outlive it. As encoder
// input its spans are only read. Only the TLS framing is verified: certificate bytes are
// opaque here (they are not checked to be DER).
struct TimestampedEntryView {
  uint64_t timestamp_ms = 0;  // uint64 timestamp, milliseconds since the epoch
  LogEntryType entry_type = LogEntryType::kX509Entry;
  // x509_entry only: the DER certificate (ASN.1Cert <1..2^24-1>). Empty for precert_entry.
  Bytes certificate{};
  // precert_entry only: PreCert.issuer_key_hash, SHA-256 of the issuer's SPKI. Zero for x509_entry.
  Hash issuer_key_hash{};
  // precert_entry only: PreCert.tbs_certificate (DER, <1..2^24-1>). Empty for x509_entry.
  Bytes tbs_certificate{};
  // The contents of CtExtensions <0..2^16-1>, without the length prefix.
  Bytes extensions{};
};

// LeafView is a parsed RFC 6962 §3.4 MerkleTreeLeaf:
//   struct { Version version (v1 = 0); MerkleLeafType leaf_type (timestamped_entry = 0);
//            select (leaf_type) { case timestamped_entry: TimestampedEntry; } } MerkleTreeLeaf;
// Its spans alias the buffer given to ParseMerkleTreeLeaf.
struct LeafView {
  TimestampedEntryView timestamped_entry;
  // The exact bytes of the TimestampedEntry: the whole input after the 2-byte header. These
  // are what a static-ct-api TileLeaf starts with.
  Bytes timestamped_entry_bytes{};
};

// ParseMerkleTreeLeaf parses exactly one MerkleTreeLeaf (a get-entries `leaf_input`).
// On success the returned view aliases `in`. On failure it returns kMalformed naming the
// RFC field and the byte offset: unknown version, leaf_type or entry_type, a truncated
// field, a length prefix longer than the input, an empty certificate or TBSCertificate,
// or trailing bytes. It does not allocate on success and is thread-safe.
Result<LeafView> ParseMerkleTreeLeaf(Bytes in);

// ReadTimestampedEntry consumes one TimestampedEntry from `r` (used by ParseMerkleTreeLeaf
// and by the static-ct-api TileLeaf parser). On success the view aliases r's buffer; on
// failure it returns kMalformed with the offset, and `r` is left somewhere inside the entry.
Result<TimestampedEntryView> ReadTimestampedEntry(ByteReader& r);

// EncodeTimestampedEntry appends the TLS encoding of `entry` to `out`. It fails with
// kMalformed, leaving `out` unchanged, if a field is outside its RFC 6962 bounds (an empty
// or oversized certificate/TBS, extensions over 2^16-1 bytes, an unknown entry_type) so that
// whatever it encodes parses back to the same view. Thread-safe.
Status EncodeTimestampedEntry(const TimestampedEntryView& entry, std::vector<uint8_t>& out);

// EncodeMerkleTreeLeaf appends the MerkleTreeLeaf (v1, timestamped_entry) holding `entry`:
// the inverse of ParseMerkleTreeLeaf. Fails like EncodeTimestampedEntry, leaving `out` unchanged.
Status EncodeMerkleTreeLeaf(const TimestampedEntryView& entry, std::vector<uint8_t>& out);

// ComputeLeafHash returns the Merkle leaf hash of the MerkleTreeLeaf that holds the given
// TimestampedEntry bytes, SHA-256(0x00 || 0x00 0x00 || timestamped_entry), without building
// the MerkleTreeLeaf. The two-argument form uses `sha` (not thread-safe, like Sha256); the
// one-argument form uses a thread-local hasher and is thread-safe.
Hash ComputeLeafHash(Bytes timestamped_entry_bytes, Sha256& sha);
Hash ComputeLeafHash(Bytes timestamped_entry_bytes);

// CertificateChain is a validated `ASN.1Cert chain<0..2^24-1>` from extra_data, iterated in
// order (the issuer of the leaf first). It aliases the parsed buffer and needs no storage
// of its own, so there is no count limit beyond the 2^24-1 byte bound (at most 4,194,303
// certificates of the 4 bytes each one needs at least): rejecting an unusually long but
// valid chain would make a monitor skip a logged certificate. Cheap to copy.
class CertificateChain {
 public:
  // Iterator is a forward iterator over the DER certificates (each a non-empty Bytes).
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = Bytes;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = Bytes;

    Iterator() = default;
    Bytes operator*() const;
    Iterator& operator++();
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) {
      return a.rest_.data() == b.rest_.data() && a.rest_.size() == b.rest_.size();
    }

   private:
    friend class CertificateChain;
    explicit Iterator(Bytes rest) : rest_(rest) {}
    Bytes rest_;  // unread, already validated ASN.1Cert items
  };

  CertificateChain() = default;
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  Iterator begin() const { return Iterator(contents_); }
  Iterator end() const { return Iterator(contents_.last(0)); }
  // contents are the chain's bytes without the outer 3-byte length prefix.
  Bytes contents() const { return contents_; }

  // Read consumes one `ASN.1Cert chain<0..2^24-1>` from `r`, checking that every item is a
  // non-empty `ASN.1Cert <1..2^24-1>` that fits exactly. kMalformed with the offset otherwise.
  // `field` names the chain in error messages.
  static Result<CertificateChain> Read(ByteReader& r, const char* field);

 private:
  CertificateChain(Bytes contents, size_t size) : contents_(contents), size_(size) {}
  Bytes contents_;
  size_t size_ = 0;
};

// ExtraDataView is a parsed get-entries `extra_data` (RFC 6962 §4.6):
//   x509_entry:    ASN.1Cert certificate_chain<0..2^24-1>;   (X509ChainEntry minus the leaf)
//   precert_entry: struct { ASN.1Cert pre_certificate; ASN.1Cert precertificate_chain<0..2^24-1>; }
//                  PrecertChainEntry;
// Its spans alias the parsed buffer. Certificates are not checked to be DER.
struct ExtraDataView {
  // precert_entry only: the submitted Precertificate (with the poison extension). Empty otherwise.
  Bytes pre_certificate{};
  // certificate_chain (x509_entry) or precertificate_chain (precert_entry).
  CertificateChain chain;
};

// ParseExtraData parses exactly one extra_data for an entry of type `entry_type` (taken from
// the matching leaf). On success the view aliases `in`; on failure kMalformed naming the
// field and byte offset (truncation, bad length prefix, empty certificate, trailing bytes).
// Does not allocate; thread-safe.
Result<ExtraDataView> ParseExtraData(LogEntryType entry_type, Bytes in);

// EncodeX509ChainEntry appends the extra_data of an x509_entry: `ASN.1Cert
// certificate_chain<0..2^24-1>` (the X509ChainEntry of §3.1 without its leaf_certificate,
// as get-entries serves it). EncodePrecertChainEntry appends a PrecertChainEntry. Both fail
// with kMalformed, leaving `out` unchanged, if a certificate is empty or a bound is exceeded.
Status EncodeX509ChainEntry(std::span<const Bytes> certificate_chain, std::vector<uint8_t>& out);
Status EncodePrecertChainEntry(Bytes pre_certificate, std::span<const Bytes> precertificate_chain,
                               std::vector<uint8_t>& out);

}  // namespace pinwatch::ctlog
