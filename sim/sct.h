// SignPrecertSct: the SCT a log returns for a precertificate (RFC 6962 §3.2), which the
// simulator embeds in the final certificate of a "both" plant.
#pragma once

#include <cstdint>

#include "ctlog/leaf.h"
#include "ctlog/sha256.h"
#include "sim/crypto.h"
#include "sim/der.h"

namespace pinwatch::sim {

// SignPrecertSct returns a serialized v1 SignedCertificateTimestamp for `entry` (a
// precert_entry TimestampedEntry), signed by `log_key`:
//   struct { Version sct_version; LogID id; uint64 timestamp; CtExtensions extensions;
//            digitally-signed struct { Version sct_version; SignatureType signature_type =
//            certificate_timestamp; uint64 timestamp; LogEntryType entry_type; PreCert;
//            CtExtensions extensions; }; } SignedCertificateTimestamp;
// Thread-safe.
Buffer SignPrecertSct(const EcKey& log_key, const ctlog::Hash& log_id, const ctlog::TimestampedEntryView& entry);

}  // namespace pinwatch::sim
