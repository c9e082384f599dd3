// RFC 6962 §3 encoders the simulator needs: MerkleTreeLeaf, extra_data, and SCTs.
// TEMPORARY: these belong to ctlog/leaf.h (branch `leaf`); replace them with its encoders
// when it lands. They only encode; nothing here parses untrusted input.
#pragma once

#include <cstdint>

#include "ctlog/sha256.h"
#include "sim/crypto.h"
#include "sim/der.h"

namespace pinwatch::sim {

// LogEntryType (RFC 6962 §3.1).
enum class LogEntryType : uint16_t { kX509 = 0, kPrecert = 1 };

// EncodeX509Leaf returns MerkleTreeLeaf { v1, timestamped_entry, TimestampedEntry {
//   timestamp, x509_entry, ASN.1Cert cert, CtExtensions (empty) } }.
Buffer EncodeX509Leaf(uint64_t timestamp_ms, Bytes cert_der);
// EncodePrecertLeaf returns the MerkleTreeLeaf of a precert_entry:
//   PreCert { opaque issuer_key_hash[32]; TBSCertificate tbs_certificate<1..2^24-1>; }.
Buffer EncodePrecertLeaf(uint64_t timestamp_ms, const ctlog::Hash& issuer_key_hash, Bytes tbs_der);

// EncodeCertificateChain returns ASN.1Cert certificate_chain<0..2^24-1> (the x509_entry
// extra_data, and the tail of PrecertChainEntry).
Buffer EncodeCertificateChain(const std::vector<Buffer>& chain);

// SignSct returns a serialized v1 SignedCertificateTimestamp (RFC 6962 §3.2) for a
// precert_entry, signed by `log_key`: struct { sct_version; LogID id; uint64 timestamp;
// CtExtensions extensions; digitally-signed struct {...} signature; }.
Buffer SignPrecertSct(const EcKey& log_key, const ctlog::Hash& log_id, uint64_t timestamp_ms,
                      const ctlog::Hash& issuer_key_hash, Bytes tbs_der);

}  // namespace pinwatch::sim
