#include "ctlog/sth.h"

#include "ctlog/log_key.h"

namespace pinwatch::ctlog {
namespace {

void PutU64(std::vector<uint8_t>& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}

}  // namespace

Result<DigitallySigned> ParseDigitallySigned(Bytes in) {
  ByteReader r(in);
  DigitallySigned ds;
  auto hash = r.U8();  // HashAlgorithm hash
  if (!hash) return r.Fail("DigitallySigned.hash truncated");
  auto sig_alg = r.U8();  // SignatureAlgorithm signature
  if (!sig_alg) return r.Fail("DigitallySigned.signature_algorithm truncated");
  auto sig = r.U16Prefixed();  // opaque signature<0..2^16-1>
  if (!sig) return r.Fail("DigitallySigned.signature truncated");
  if (!r.empty()) return r.Fail("trailing bytes after DigitallySigned");
  Bytes sig_bytes = sig->Rest();
  ds.hash_algorithm = *hash;
  ds.signature_algorithm = *sig_alg;
  ds.signature.assign(sig_bytes.begin(), sig_bytes.end());
  return ds;
}

std::vector<uint8_t> EncodeDigitallySigned(const DigitallySigned& ds) {
  std::vector<uint8_t> out;
  out.reserve(4 + ds.signature.size());
  out.push_back(ds.hash_algorithm);
  out.push_back(ds.signature_algorithm);
  out.push_back(static_cast<uint8_t>(ds.signature.size() >> 8));
  out.push_back(static_cast<uint8_t>(ds.signature.size()));
  out.insert(out.end(), ds.signature.begin(), ds.signature.end());
  return out;
}

std::vector<uint8_t> SerializeTreeHeadSignatureInput(uint64_t timestamp_ms, uint64_t tree_size,
                                                     const Hash& root_hash) {
  std::vector<uint8_t> out;
  out.reserve(2 + 8 + 8 + root_hash.size());
  out.push_back(0);  // Version v1
  out.push_back(1);  // SignatureType tree_hash
  PutU64(out, timestamp_ms);
  PutU64(out, tree_size);
  out.insert(out.end(), root_hash.begin(), root_hash.end());
  return out;
}

Status VerifySignedTreeHead(const SignedTreeHead& sth, const LogKey& key) {
  const std::vector<uint8_t> input =
      SerializeTreeHeadSignatureInput(sth.timestamp_ms, sth.tree_size, sth.root_hash);
  if (Status s = key.Verify(input, sth.signature); !s.ok()) {
    return Status(s.code(), "tree head (tree_size " + std::to_string(sth.tree_size) + ", timestamp " +
                                std::to_string(sth.timestamp_ms) + "): " + s.message());
  }
  return OkStatus();
}

}  // namespace pinwatch::ctlog
