#include "sim/sct.h"

#include "ctlog/sth.h"

namespace pinwatch::sim {

Buffer SignPrecertSct(const EcKey& log_key, const ctlog::Hash& log_id, const ctlog::TimestampedEntryView& entry) {
  // The signed struct is sct_version || signature_type || the TimestampedEntry itself.
  Buffer input = {0 /* v1 */, 0 /* certificate_timestamp */};
  Status encoded = ctlog::EncodeTimestampedEntry(entry, input);
  (void)encoded;  // our own entry: within bounds by construction
  ctlog::DigitallySigned ds{.hash_algorithm = ctlog::kHashSha256,
                            .signature_algorithm = ctlog::kSignatureEcdsa,
                            .signature = log_key.Sign(input)};
  Buffer sct;
  ByteWriter w(sct);
  w.U8(0);                         // Version sct_version = v1
  w.Write(log_id);                 // LogID id
  w.U64(entry.timestamp_ms);       // uint64 timestamp
  w.U16Prefixed(entry.extensions); // CtExtensions extensions
  w.Write(ctlog::EncodeDigitallySigned(ds));
  return sct;
}

}  // namespace pinwatch::sim
