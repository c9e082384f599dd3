// The TBS identity hash (issue 3): SHA-256 of the TBSCertificate with the CT poison
// (1.3.6.1.4.1.11129.2.4.3) and embedded SCT list (1.3.6.1.4.1.11129.2.4.2) extensions
// removed, so that a precertificate, the TBS logged in its precert_entry, and the final
// certificate issued from it (RFC 6962 §3.1–3.2) all share one identity.
//
// Re-encoding: the kept extensions are copied byte for byte, in order; the Extensions
// SEQUENCE, its [3] EXPLICIT wrapper and the TBSCertificate SEQUENCE get new minimal DER
// lengths. If no extension is left, the [3] wrapper is dropped entirely: Extensions is
// SIZE (1..MAX) (RFC 5280 §4.1), and this is what logs do when they build the precert TBS
// (certificate-transparency-go x509.BuildPrecertTBS marshals an empty optional list as
// absent). A TBS with neither extension is hashed as is.
//
// Note: a precertificate signed by a Precertificate Signing Certificate (RFC 6962 §3.1,
// EKU 1.3.6.1.4.1.11129.2.4.4) names that CA as issuer and carries its AKI, so its identity
// differs from the final certificate's unless the caller rewrites the issuer; this module
// does not (see the ct-testdata-pair "with-preca" case).
#pragma once

#include <cstdint>
#include <vector>

#include "base/byte_reader.h"
#include "base/status.h"
#include "base/sha256.h"
#include "x509/cert_view.h"

namespace pinwatch::x509 {

// ComputeTbsIdentityHash returns the identity hash of a TBS that ParseTbsCertificate (or
// ParseCertificate) accepted. Cannot fail; does not allocate; uses `sha` (not thread-safe:
// one Sha256 per thread).
Hash ComputeTbsIdentityHash(const TbsView& tbs, Sha256& sha);

// ComputeTbsIdentityHash parses `tbs` (a DER TBSCertificate) strictly and returns its
// identity hash, or the kMalformed Status of ParseTbsCertificate. Thread-safe (uses a
// thread-local Sha256).
Result<Hash> ComputeTbsIdentityHash(Bytes tbs);

// EncodeTbsWithoutCtExtensions appends to `out` the TBS bytes that ComputeTbsIdentityHash
// hashes (for a precertificate: the TBS its precert_entry logs, RFC 6962 §3.2). Allocates;
// for tests and SCT checks, not the hot path. Thread-safe.
void EncodeTbsWithoutCtExtensions(const TbsView& tbs, std::vector<uint8_t>& out);

}  // namespace pinwatch::x509
