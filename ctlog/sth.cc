#include "ctlog/sth.h"

#include <string>

#include "base/byte_writer.h"
#include "ctlog/log_key.h"

namespace pinwatch::ctlog {

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
  ByteWriter w(out);
  w.U8(ds.hash_algorithm);
  w.U8(ds.signature_algorithm);
  w.U16Prefixed(ds.signature);
  return out;
}

std::vector<uint8_t> SerializeTreeHeadSignatureInput(uint64_t timestamp_ms, uint64_t tree_size,
                                                     const Hash& root_hash) {
  std::vector<uint8_t> out;
  out.reserve(2 + 8 + 8 + root_hash.size());
  ByteWriter w(out);
  w.U8(0);  // Version v1
  w.U8(1);  // SignatureType tree_hash
  w.U64(timestamp_ms);
  w.U64(tree_size);
  w.Write(root_hash);
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

Status CheckTreeHeadBounds(const SignedTreeHead& head, uint64_t max_tree_size, int64_t now_unix_ms) {
  if (head.tree_size > max_tree_size) {
    return MalformedError("tree head (tree_size " + std::to_string(head.tree_size) + ", timestamp " +
                          std::to_string(head.timestamp_ms) + "): tree_size is beyond " +
                          std::to_string(max_tree_size) + ", the largest this monitor accepts");
  }
  // now + tolerance, computed without overflow (a clock before 1970 counts as 0).
  const uint64_t now_ms = now_unix_ms > 0 ? static_cast<uint64_t>(now_unix_ms) : 0;
  if (head.timestamp_ms > now_ms && head.timestamp_ms - now_ms > kMaxTreeHeadFutureMs) {
    return MalformedError("tree head (tree_size " + std::to_string(head.tree_size) + ", timestamp " +
                          std::to_string(head.timestamp_ms) + "): timestamp is " +
                          std::to_string((head.timestamp_ms - now_ms) / 1000) +
                          " s in the future (our clock says " + std::to_string(now_ms) + "; at most " +
                          std::to_string(kMaxTreeHeadFutureMs / 1000) + " s is tolerated)");
  }
  return OkStatus();
}

}  // namespace pinwatch::ctlog
