#include "monitor/entry_findings.h"

#include <optional>
#include <string>

#include "ctlog/entry_decoder.h"
#include "monitor/entry_identity.h"

namespace pinwatch::monitor {

db::CertificateRecord CertificateRecordOf(const x509::CertIdentity& id, const ctlog::LogEntry& entry) {
  db::CertificateRecord c;
  c.tbs_sha256 = id.tbs_identity_hash;
  c.dns_names = id.dns_names;
  c.ip_addresses = id.ip_addresses;
  c.subject = id.subject_utf8;
  c.issuer = id.issuer_utf8;
  c.serial = id.serial_hex;
  c.not_before_unix_s = id.not_before_unix_s;
  c.not_after_unix_s = id.not_after_unix_s;
  c.spki_sha256 = id.spki_sha256;
  c.issuer_spki_sha256 = id.issuer_spki_sha256;
  for (const x509::ChainLink& link : id.chain) {
    if (!link.spki_sha256) break;  // what follows an unresolved link is not known to chain
    c.chain_spki_sha256.push_back(*link.spki_sha256);
  }
  c.key_type = std::string(x509::KeyTypeName(id.key_type));
  c.key_bits = id.key_bits;
  c.ec_curve = id.ec_curve;
  if (entry.timestamped_entry.entry_type == ctlog::LogEntryType::kX509Entry) {
    c.der_kind = "certificate";
    c.der.assign(entry.timestamped_entry.certificate.begin(), entry.timestamped_entry.certificate.end());
  } else if (!entry.pre_certificate.empty()) {
    c.der_kind = "precertificate";
    c.der.assign(entry.pre_certificate.begin(), entry.pre_certificate.end());
  } else {
    c.der_kind = "tbs";
    c.der.assign(entry.timestamped_entry.tbs_certificate.begin(), entry.timestamped_entry.tbs_certificate.end());
  }
  return c;
}

db::MatchedEntry FindingsOf(const ctlog::LogEntry& entry, const watch::EntryMatch& match,
                            const std::vector<WatchRule>& rules, const x509::IssuerLookup& lookup) {
  db::MatchedEntry m;
  m.index = entry.index;
  m.entry_type = entry.timestamped_entry.entry_type;
  m.timestamp_ms = entry.timestamped_entry.timestamp_ms;

  Result<x509::CertIdentity> identity = MalformedError(match.parse_error);
  std::string chain_note;
  // The chain and the precertificate (RFC 6962 extra_data, still base64 on the hot path) are
  // decoded here, once; `scratch` holds them until the record below has copied what it keeps.
  std::vector<uint8_t> scratch;
  std::optional<ctlog::LogEntry> full;
  if (!match.malformed) {
    Result<ctlog::LogEntry> decoded = ctlog::WithExtraData(entry, scratch);
    if (decoded.ok()) {
      full = std::move(*decoded);
    } else {
      chain_note = "; chain not read: " + decoded.status().message();
    }
    const ctlog::LogEntry& resolved = full ? *full : entry;
    identity = x509::ComputeIdentity(LeafOf(resolved, match.tbs ? &*match.tbs : nullptr), ChainOf(resolved, lookup));
  }

  if (!identity.ok()) {
    // Could concern a watched name, cannot be parsed: keep the raw bytes, never drop it.
    Bytes raw = entry.timestamped_entry.entry_type == ctlog::LogEntryType::kX509Entry ? entry.timestamped_entry.certificate
                                                                          : entry.timestamped_entry.tbs_certificate;
    db::CertificateRecord& c = m.certificate;
    c.parsed = false;
    c.parse_error = identity.status().message();
    c.tbs_sha256 = Sha256Of(raw);
    c.dns_names = {match.certificate_name};
    c.der_kind = "raw";
    c.der.assign(raw.begin(), raw.end());
    m.findings.push_back({.kind = FindingKind::kMalformed,
                          .watched = rules[match.watch.entry_index].name,
                          .reason = "certificate naming " + match.certificate_name + " does not parse: " + c.parse_error});
    return m;
  }
  // With the decoded extra_data an RFC 6962 precert entry stores its precertificate, not
  // only the bare TBS.
  m.certificate = CertificateRecordOf(*identity, full ? *full : entry);
  // Every watch entry the certificate concerns gets its own verdict.
  for (uint32_t index : match.entries) {
    const WatchRule& rule = rules[index];
    Verdict v = Judge(rule, *identity);
    m.findings.push_back({.kind = v.kind, .watched = rule.name, .reason = v.reason + chain_note});
  }
  return m;
}

}  // namespace pinwatch::monitor
