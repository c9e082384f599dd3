#include "ctlog/leaf.h"

#include <cassert>
#include <string>

#include "base/byte_writer.h"

namespace pinwatch::ctlog {
namespace {

constexpr uint8_t kVersionV1 = 0;
constexpr uint8_t kLeafTypeTimestampedEntry = 0;

// ReadAsn1Cert reads `opaque ASN.1Cert<1..2^24-1>` and returns its contents.
Result<Bytes> ReadAsn1Cert(ByteReader& r, const char* field) {
  size_t at = r.offset();
  auto cert = r.U24Prefixed();
  if (!cert) {
    return MalformedError(std::string(field) + ": truncated or length prefix exceeds input at byte offset " +
                          std::to_string(at));
  }
  if (cert->empty()) {
    return MalformedError(std::string(field) + ": empty ASN.1Cert (must be 1..2^24-1 bytes) at byte offset " +
                          std::to_string(at));
  }
  return cert->Rest();
}

Status CheckCert(Bytes cert, const char* field) {
  if (cert.empty() || cert.size() > kMaxAsn1CertBytes) {
    return MalformedError(std::string(field) + ": ASN.1Cert must be 1..2^24-1 bytes, got " +
                          std::to_string(cert.size()));
  }
  return OkStatus();
}

// CheckChain validates a chain for encoding and returns its encoded contents length.
Result<size_t> CheckChain(std::span<const Bytes> chain, const char* field) {
  size_t total = 0;
  for (Bytes cert : chain) {
    if (Status s = CheckCert(cert, field); !s.ok()) return s;
    total += 3 + cert.size();
    if (total > kMaxCertificateChainBytes) {
      return MalformedError(std::string(field) + ": chain longer than 2^24-1 bytes");
    }
  }
  return total;
}

void PutChain(std::vector<uint8_t>& out, std::span<const Bytes> chain, size_t contents_bytes) {
  ByteWriter w(out);
  w.U24(static_cast<uint32_t>(contents_bytes));
  for (Bytes cert : chain) w.U24Prefixed(cert);
}

}  // namespace

Result<TimestampedEntryView> ReadTimestampedEntry(ByteReader& r) {
  TimestampedEntryView e;
  // uint64 timestamp;
  auto timestamp = r.U64();
  if (!timestamp) return r.Fail("TimestampedEntry.timestamp truncated");
  e.timestamp_ms = *timestamp;
  // LogEntryType entry_type;
  size_t entry_type_at = r.offset();
  auto entry_type = r.U16();
  if (!entry_type) return r.Fail("TimestampedEntry.entry_type truncated");
  switch (*entry_type) {
    case static_cast<uint16_t>(LogEntryType::kX509Entry): {
      e.entry_type = LogEntryType::kX509Entry;
      // case x509_entry: ASN.1Cert;  (opaque ASN.1Cert<1..2^24-1>)
      Result<Bytes> cert = ReadAsn1Cert(r, "TimestampedEntry.signed_entry (x509_entry ASN.1Cert)");
      if (!cert.ok()) return cert.status();
      e.certificate = *cert;
      break;
    }
    case static_cast<uint16_t>(LogEntryType::kPrecertEntry): {
      e.entry_type = LogEntryType::kPrecertEntry;
      // case precert_entry: PreCert;  opaque issuer_key_hash[32];
      auto issuer_key_hash = r.Read(32);
      if (!issuer_key_hash) return r.Fail("PreCert.issuer_key_hash truncated");
      std::copy(issuer_key_hash->begin(), issuer_key_hash->end(), e.issuer_key_hash.begin());
      // TBSCertificate tbs_certificate;  (opaque TBSCertificate<1..2^24-1>)
      Result<Bytes> tbs = ReadAsn1Cert(r, "PreCert.tbs_certificate");
      if (!tbs.ok()) return tbs.status();
      e.tbs_certificate = *tbs;
      break;
    }
    default:
      return MalformedError("TimestampedEntry.entry_type " + std::to_string(*entry_type) +
                            " is neither x509_entry(0) nor precert_entry(1) at byte offset " +
                            std::to_string(entry_type_at));
  }
  // CtExtensions extensions;  (opaque CtExtensions<0..2^16-1>)
  auto extensions = r.U16Prefixed();
  if (!extensions) return r.Fail("TimestampedEntry.extensions truncated or length prefix exceeds input");
  e.extensions = extensions->Rest();
  return e;
}

Result<LeafView> ParseMerkleTreeLeaf(Bytes in) {
  ByteReader r(in);
  // Version version;  (v1(0))
  auto version = r.U8();
  if (!version) return r.Fail("MerkleTreeLeaf.version truncated");
  if (*version != kVersionV1) {
    return MalformedError("MerkleTreeLeaf.version " + std::to_string(*version) + " is not v1(0) at byte offset 0");
  }
  // MerkleLeafType leaf_type;  (timestamped_entry(0))
  auto leaf_type = r.U8();
  if (!leaf_type) return r.Fail("MerkleTreeLeaf.leaf_type truncated");
  if (*leaf_type != kLeafTypeTimestampedEntry) {
    return MalformedError("MerkleTreeLeaf.leaf_type " + std::to_string(*leaf_type) +
                          " is not timestamped_entry(0) at byte offset 1");
  }
  // select (leaf_type) { case timestamped_entry: TimestampedEntry; }
  LeafView leaf;
  leaf.timestamped_entry_bytes = r.peek();
  Result<TimestampedEntryView> entry = ReadTimestampedEntry(r);
  if (!entry.ok()) return entry.status();
  if (!r.empty()) return r.Fail("trailing bytes after MerkleTreeLeaf");
  leaf.timestamped_entry = *entry;
  return leaf;
}

Status EncodeTimestampedEntry(const TimestampedEntryView& entry, std::vector<uint8_t>& out) {
  if (entry.extensions.size() > kMaxCtExtensionsBytes) {
    return MalformedError("TimestampedEntry.extensions longer than 2^16-1 bytes");
  }
  switch (entry.entry_type) {
    case LogEntryType::kX509Entry:
      if (Status s = CheckCert(entry.certificate, "TimestampedEntry.signed_entry"); !s.ok()) return s;
      break;
    case LogEntryType::kPrecertEntry:
      if (Status s = CheckCert(entry.tbs_certificate, "PreCert.tbs_certificate"); !s.ok()) return s;
      break;
    default:
      return MalformedError("TimestampedEntry.entry_type " +
                            std::to_string(static_cast<uint16_t>(entry.entry_type)) + " is unknown");
  }
  ByteWriter w(out);
  w.U64(entry.timestamp_ms);
  w.U16(static_cast<uint16_t>(entry.entry_type));
  if (entry.entry_type == LogEntryType::kX509Entry) {
    w.U24Prefixed(entry.certificate);
  } else {
    w.Write(entry.issuer_key_hash);
    w.U24Prefixed(entry.tbs_certificate);
  }
  w.U16Prefixed(entry.extensions);
  return OkStatus();
}

Status EncodeMerkleTreeLeaf(const TimestampedEntryView& entry, std::vector<uint8_t>& out) {
  size_t original_size = out.size();
  out.push_back(kVersionV1);
  out.push_back(kLeafTypeTimestampedEntry);
  Status s = EncodeTimestampedEntry(entry, out);
  if (!s.ok()) out.resize(original_size);
  return s;
}

Hash ComputeLeafHash(Bytes timestamped_entry_bytes, Sha256& sha) {
  // RFC 6962 §2.1: MTH({d(0)}) = SHA-256(0x00 || d(0)), with d(0) the MerkleTreeLeaf
  // 0x00 (v1) || 0x00 (timestamped_entry) || TimestampedEntry.
  static constexpr uint8_t kPrefix[3] = {0x00, kVersionV1, kLeafTypeTimestampedEntry};
  return sha.Update(Bytes(kPrefix)).Update(timestamped_entry_bytes).Final();
}

Hash ComputeLeafHash(Bytes timestamped_entry_bytes) {
  thread_local Sha256 sha;
  return ComputeLeafHash(timestamped_entry_bytes, sha);
}

Bytes CertificateChain::Iterator::operator*() const {
  // The chain was validated by Read, so these reads cannot fail.
  ByteReader r(rest_);
  auto cert = r.U24Prefixed();
  assert(cert.has_value());
  return cert->peek();
}

CertificateChain::Iterator& CertificateChain::Iterator::operator++() {
  ByteReader r(rest_);
  auto cert = r.U24Prefixed();
  assert(cert.has_value());
  (void)cert;
  rest_ = r.peek();
  return *this;
}

Result<CertificateChain> CertificateChain::Read(ByteReader& r, const char* field) {
  // ASN.1Cert chain<0..2^24-1>;
  auto chain = r.U24Prefixed();
  if (!chain) {
    return r.Fail(std::string(field) + " truncated or length prefix exceeds input");
  }
  Bytes contents = chain->peek();
  size_t count = 0;
  while (!chain->empty()) {
    // opaque ASN.1Cert<1..2^24-1>;
    Result<Bytes> cert = ReadAsn1Cert(*chain, field);
    if (!cert.ok()) return cert.status();
    ++count;
  }
  return CertificateChain(contents, count);
}

Result<ExtraDataView> ParseExtraData(LogEntryType entry_type, Bytes in) {
  ByteReader r(in);
  ExtraDataView view;
  switch (entry_type) {
    case LogEntryType::kX509Entry: {
      // ASN.1Cert certificate_chain<0..2^24-1>;
      Result<CertificateChain> chain = CertificateChain::Read(r, "extra_data.certificate_chain");
      if (!chain.ok()) return chain.status();
      view.chain = *chain;
      break;
    }
    case LogEntryType::kPrecertEntry: {
      // ASN.1Cert pre_certificate;
      Result<Bytes> pre = ReadAsn1Cert(r, "PrecertChainEntry.pre_certificate");
      if (!pre.ok()) return pre.status();
      view.pre_certificate = *pre;
      // ASN.1Cert precertificate_chain<0..2^24-1>;
      Result<CertificateChain> chain = CertificateChain::Read(r, "PrecertChainEntry.precertificate_chain");
      if (!chain.ok()) return chain.status();
      view.chain = *chain;
      break;
    }
    default:
      return MalformedError("extra_data: unknown entry_type " + std::to_string(static_cast<uint16_t>(entry_type)));
  }
  if (!r.empty()) return r.Fail("trailing bytes after extra_data");
  return view;
}

Status EncodeX509ChainEntry(std::span<const Bytes> certificate_chain, std::vector<uint8_t>& out) {
  Result<size_t> contents = CheckChain(certificate_chain, "extra_data.certificate_chain");
  if (!contents.ok()) return contents.status();
  PutChain(out, certificate_chain, *contents);
  return OkStatus();
}

Status EncodePrecertChainEntry(Bytes pre_certificate, std::span<const Bytes> precertificate_chain,
                               std::vector<uint8_t>& out) {
  if (Status s = CheckCert(pre_certificate, "PrecertChainEntry.pre_certificate"); !s.ok()) return s;
  Result<size_t> contents = CheckChain(precertificate_chain, "PrecertChainEntry.precertificate_chain");
  if (!contents.ok()) return contents.status();
  ByteWriter(out).U24Prefixed(pre_certificate);
  PutChain(out, precertificate_chain, *contents);
  return OkStatus();
}

}  // namespace pinwatch::ctlog
