// ComputeEntryIdentity: the identity facts (x509/identity.h) of one CT log entry, with the
// chain the log stored. It is the seam between ctlog's entries and x509's bytes-in API.
#pragma once

#include "base/status.h"
#include "ctlog/log_source.h"
#include "x509/identity.h"

namespace pinwatch::monitor {

// LeafOf returns the leaf an entry logged, as x509 takes it: the certificate (x509_entry) or
// the TBSCertificate with its issuer key hash and pre_certificate (precert_entry); `parsed`
// is the matcher's strict parse of that TBS, if any. Views alias `entry`.
x509::LeafInput LeafOf(const ctlog::LogEntry& entry, const x509::TbsView* parsed = nullptr);

// ChainOf returns the chain an entry carries, as x509 takes it: the DER certificates of its
// decoded extra_data (RFC 6962; empty while still base64) and its chain_fingerprints
// (static-ct-api), resolved through `lookup`. Views alias `entry`.
x509::ChainInput ChainOf(const ctlog::LogEntry& entry, const x509::IssuerLookup& lookup);

// ComputeEntryIdentity returns the identity of one log entry: x509::ComputeIdentity of
// LeafOf(entry) with the chain from the entry's extra_data (RFC 6962: DER in hand, decoded
// here if still base64) or, when that is empty, from its chain_fingerprints (static-ct-api),
// resolved through `lookup`.
// kMalformed if the leaf (certificate or TBS) does not parse, if extra_data does not decode,
// or if chain_fingerprints is not a multiple of 32 bytes. Does not keep `entry` or anything
// `lookup` returned. Thread-safe as long as `lookup` is.
Result<x509::CertIdentity> ComputeEntryIdentity(const ctlog::LogEntry& entry, const x509::IssuerLookup& lookup = nullptr);

}  // namespace pinwatch::monitor
