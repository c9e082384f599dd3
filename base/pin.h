// Pins: a SHA-256 of a SubjectPublicKeyInfo written "sha256/" + padded standard base64, the
// form of RFC 7469's pin-sha256, OkHttp's CertificatePinner, TrustKit and Android's
// network security config (base64 of the digest). One home for parsing and printing it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/sha256.h"

namespace pinwatch {

inline constexpr std::string_view kPinPrefix = "sha256/";

// ParsePin decodes "sha256/<base64>" (standard alphabet, padded, exactly 32 bytes); nullopt
// for anything else. Thread-safe.
std::optional<Hash> ParsePin(std::string_view text);

// PinText encodes a hash as "sha256/<base64>". Thread-safe.
std::string PinText(const Hash& hash);

// SpkiPin is the pin of a DER SubjectPublicKeyInfo: PinText(SHA-256(spki_der)). Thread-safe.
std::string SpkiPin(Bytes spki_der);

}  // namespace pinwatch
