#include "sim/leaf_encoding.h"

#include "ctlog/sth.h"

namespace pinwatch::sim {
namespace {

void TimestampedEntryHeader(Buffer& out, uint64_t timestamp_ms, LogEntryType type) {
  PutU8(out, 0);                 // Version version = v1
  PutU8(out, 0);                 // MerkleLeafType leaf_type = timestamped_entry
  PutU64(out, timestamp_ms);     // uint64 timestamp
  PutU16(out, static_cast<uint16_t>(type));  // LogEntryType entry_type
}

}  // namespace

Buffer EncodeX509Leaf(uint64_t timestamp_ms, Bytes cert_der) {
  Buffer out;
  out.reserve(cert_der.size() + 17);
  TimestampedEntryHeader(out, timestamp_ms, LogEntryType::kX509);
  PutU24Prefixed(out, cert_der);  // ASN.1Cert signed_entry
  PutU16(out, 0);                 // CtExtensions extensions
  return out;
}

Buffer EncodePrecertLeaf(uint64_t timestamp_ms, const ctlog::Hash& issuer_key_hash, Bytes tbs_der) {
  Buffer out;
  out.reserve(tbs_der.size() + 49);
  TimestampedEntryHeader(out, timestamp_ms, LogEntryType::kPrecert);
  Append(out, issuer_key_hash);   // opaque issuer_key_hash[32]
  PutU24Prefixed(out, tbs_der);   // TBSCertificate tbs_certificate
  PutU16(out, 0);                 // CtExtensions extensions
  return out;
}

Buffer EncodeCertificateChain(const std::vector<Buffer>& chain) {
  Buffer body;
  for (const Buffer& cert : chain) PutU24Prefixed(body, cert);
  Buffer out;
  PutU24Prefixed(out, body);
  return out;
}

Buffer SignPrecertSct(const EcKey& log_key, const ctlog::Hash& log_id, uint64_t timestamp_ms,
                      const ctlog::Hash& issuer_key_hash, Bytes tbs_der) {
  // digitally-signed struct { Version sct_version; SignatureType signature_type =
  //   certificate_timestamp; uint64 timestamp; LogEntryType entry_type; PreCert; CtExtensions }
  Buffer input;
  PutU8(input, 0);
  PutU8(input, 0);
  PutU64(input, timestamp_ms);
  PutU16(input, static_cast<uint16_t>(LogEntryType::kPrecert));
  Append(input, issuer_key_hash);
  PutU24Prefixed(input, tbs_der);
  PutU16(input, 0);
  ctlog::DigitallySigned ds{.hash_algorithm = ctlog::kHashSha256,
                            .signature_algorithm = ctlog::kSignatureEcdsa,
                            .signature = log_key.Sign(input)};
  Buffer sct;
  PutU8(sct, 0);             // Version sct_version = v1
  Append(sct, log_id);       // LogID id
  PutU64(sct, timestamp_ms); // uint64 timestamp
  PutU16(sct, 0);            // CtExtensions extensions
  Append(sct, ctlog::EncodeDigitallySigned(ds));
  return sct;
}

}  // namespace pinwatch::sim
