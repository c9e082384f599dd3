// Host names as the watch list sees them: certificate names are normalised cheaply (ASCII
// lowercase, one trailing dot dropped) into a fixed stack buffer on the hot path; watch
// entries are converted once, at load time, to lowercase A-labels with libidn2 (IDNA2008 with
// UTS #46 non-transitional mapping) and validated. IP address literals are recognised so that
// they never reach the DNS-name index.
//
// libidn2 is an implementation detail of hostname.cc; this header names none of its types.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace pinwatch::x509 {

// kMaxHostnameBytes: RFC 1035 §2.3.4 limits a name to 255 octets on the wire, which is 253
// characters of dotted text without the trailing dot. Longer strings are not host names.
inline constexpr size_t kMaxHostnameBytes = 253;
// kMaxLabelBytes: RFC 1035 §2.3.4, 63 octets per label.
inline constexpr size_t kMaxLabelBytes = 63;

// HostnameBuffer is the stack storage NormalizeCertificateName writes into, so that matching
// a certificate name never allocates.
using HostnameBuffer = std::array<char, kMaxHostnameBytes>;

// AsciiLowercase returns c with 'A'..'Z' mapped to 'a'..'z'; every other byte unchanged.
inline char AsciiLowercase(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// NormalizeCertificateName returns `name` with ASCII letters lowercased and one trailing dot
// removed, written into `buffer`; the returned view aliases `buffer` (not `name`) and is valid
// until the buffer is reused. Bytes >= 0x80 are copied unchanged: certificate names are never
// IDNA-converted (a dNSName must already hold A-labels; raw UTF-8 in one is compared bytewise).
// Nothing else is validated: empty labels, '*', '_' and other bytes pass through, because the
// monitor reports names rather than judging them. Returns nullopt (the name can match nothing)
// if the result is empty or longer than kMaxHostnameBytes. Thread-safe; does not allocate.
std::optional<std::string_view> NormalizeCertificateName(std::string_view name, HostnameBuffer& buffer);

// NormalizeWatchName returns the canonical form of a configured watch name: lowercase
// A-labels (IDNA2008 via libidn2, UTS #46 non-transitional, NFC), without a trailing dot.
//   "Bücher.Example." -> "xn--bcher-kva.example"      "EXAMPLE.com" -> "example.com"
// Input that is already ASCII is kept as written (lowercased); only non-ASCII input is converted.
// Either way every "xn--" label must be an IDNA2008 A-label: the Punycode of a U-label that
// libidn2 accepts, re-encoding to the same label ("xn--a", U+0080, is refused, and so are
// registered emoji domains such as "xn--ls8h.la": IDNA2008 disallows emoji).
// kMalformed, with a message saying why (the caller adds which entry), if the name is empty,
// contains '*' (use include_subdomains instead), NUL, or anything other than letters, digits,
// '-' and '_' once converted; has an empty label, a label longer than kMaxLabelBytes, a label
// starting or ending with '-'; is longer than kMaxHostnameBytes; has an all-digit last label
// (no TLD is numeric, RFC 3696 §2; this also keeps IPv4 literals out); has an "xn--" label
// that is not an IDNA2008 A-label (the message names the label); or libidn2 refuses it.
// Thread-safe (libidn2 keeps no shared state); allocates.
Result<std::string> NormalizeWatchName(std::string_view name);

// IpAddress is an IPv4 (size 4) or IPv6 (size 16) address in network byte order, the form of
// an iPAddress GeneralName (RFC 5280 §4.2.1.6).
struct IpAddress {
  std::array<uint8_t, 16> bytes{};
  uint8_t size = 0;  // 4 or 16

  std::span<const uint8_t> view() const { return std::span(bytes).first(size); }
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// ParseIpAddressLiteral returns the address written in `text` as dotted-quad IPv4 ("192.0.2.1")
// or RFC 4291 IPv6 text ("2001:db8::1"), or nullopt if it is neither (no brackets, zones,
// prefixes or shortened IPv4 forms). Thread-safe.
std::optional<IpAddress> ParseIpAddressLiteral(std::string_view text);

}  // namespace pinwatch::x509
