#include "monitor/entry_identity.h"

#include <vector>

#include "ctlog/entry_decoder.h"

namespace pinwatch::monitor {

x509::LeafInput LeafOf(const ctlog::LogEntry& entry, const x509::TbsView* parsed) {
  const ctlog::TimestampedEntryView& e = entry.timestamped_entry;
  if (e.entry_type == ctlog::LogEntryType::kPrecertEntry) {
    return {.form = x509::CertificateForm::kPrecertificateTbs,
            .der = e.tbs_certificate,
            .issuer_key_hash = e.issuer_key_hash,
            .pre_certificate = entry.pre_certificate,
            .parsed = parsed};
  }
  return {.form = x509::CertificateForm::kCertificate, .der = e.certificate, .parsed = parsed};
}

x509::ChainInput ChainOf(const ctlog::LogEntry& entry, const x509::IssuerLookup& lookup) {
  return {.certificates = {entry.chain.begin(), entry.chain.end()},
          .fingerprints = entry.chain_fingerprints,
          .lookup = lookup};
}

Result<x509::CertIdentity> ComputeEntryIdentity(const ctlog::LogEntry& raw_entry, const x509::IssuerLookup& lookup) {
  // RFC 6962 entries arrive with extra_data still base64 (the hot path skips it).
  std::vector<uint8_t> scratch;
  Result<ctlog::LogEntry> resolved = ctlog::WithExtraData(raw_entry, scratch);
  if (!resolved.ok()) return resolved.status();
  return x509::ComputeIdentity(LeafOf(*resolved), ChainOf(*resolved, lookup));
}

}  // namespace pinwatch::monitor
