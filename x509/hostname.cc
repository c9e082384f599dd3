#include "x509/hostname.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace pinwatch::x509 {
namespace {

bool IsLdhOrUnderscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Idn2String owns a string that libidn2 allocated with malloc.
struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using Idn2String = std::unique_ptr<char, FreeDeleter>;

// ValidateALabel checks one lowercase "xn--" label: it must be an IDNA2008 A-label (RFC 5890
// §2.3.2.1), that is the Punycode of a U-label that IDNA2008 accepts (libidn2's lookup, with
// the UTS #46 non-transitional mapping and NFC used for Unicode input), and exactly the
// A-label that U-label encodes to. Punycode alone is not enough: "xn--a" decodes to U+0080, a
// control character, and "xn--invalid-punycode" to a mix of Arabic and Latin letters that the
// Bidi rule (RFC 5893) refuses; a watch on such a name could never be a registered domain.
// One label at a time keeps the message precise.
Status ValidateALabel(std::string_view label) {
  const std::string a_label(label);
  char* decoded = nullptr;
  int rc = idn2_to_unicode_8z8z(a_label.c_str(), &decoded, 0);
  Idn2String u_label(decoded);
  if (rc != IDN2_OK) return MalformedError("A-label \"" + a_label + "\" does not decode: " + idn2_strerror(rc));
  uint8_t* encoded = nullptr;
  rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(u_label.get()), &encoded, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  Idn2String again(reinterpret_cast<char*>(encoded));
  if (rc != IDN2_OK) {
    return MalformedError("A-label \"" + a_label + "\" is not valid IDNA2008 (libidn2: " + idn2_strerror(rc) + ")");
  }
  std::string canonical(again.get());
  std::transform(canonical.begin(), canonical.end(), canonical.begin(), AsciiLowercase);
  if (canonical != a_label) {
    // E.g. a U-label that is not NFC: its NFC form encodes to another A-label.
    return MalformedError("A-label \"" + a_label + "\" is not valid IDNA2008: its Unicode form encodes to \"" +
                          canonical + "\"");
  }
  return OkStatus();
}

// ValidateLabels checks the converted, lowercase name label by label (see the header).
Status ValidateLabels(std::string_view name) {
  if (name.size() > kMaxHostnameBytes) {
    return MalformedError("longer than " + std::to_string(kMaxHostnameBytes) + " bytes");
  }
  std::string_view last_label;
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    std::string_view label = name.substr(start, dot - start);
    if (label.empty()) return MalformedError("empty label at byte offset " + std::to_string(start));
    if (label.size() > kMaxLabelBytes) {
      return MalformedError("label \"" + std::string(label) + "\" is longer than " +
                            std::to_string(kMaxLabelBytes) + " bytes");
    }
    for (char c : label) {
      if (!IsLdhOrUnderscore(c)) {
        return MalformedError("label \"" + std::string(label) +
                              "\" has a character other than a-z, 0-9, '-', '_'");
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return MalformedError("label \"" + std::string(label) + "\" starts or ends with '-'");
    }
    if (label.starts_with("xn--")) {
      if (Status s = ValidateALabel(label); !s.ok()) return s;
    }
    last_label = label;
    start = dot + 1;
  }
  if (std::all_of(last_label.begin(), last_label.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return MalformedError("last label \"" + std::string(last_label) +
                          "\" is all digits: not a host name (IP addresses are written as "
                          "dotted quads or IPv6 text)");
  }
  return OkStatus();
}

}  // namespace

std::optional<std::string_view> NormalizeCertificateName(std::string_view name, HostnameBuffer& buffer) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > buffer.size()) return std::nullopt;
  for (size_t i = 0; i < name.size(); ++i) buffer[i] = AsciiLowercase(name[i]);
  return std::string_view(buffer.data(), name.size());
}

Result<std::string> NormalizeWatchName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty()) return MalformedError("empty name");
  if (name.find('\0') != std::string_view::npos) return MalformedError("contains a NUL byte");
  if (name.find('*') != std::string_view::npos) {
    return MalformedError("'*' is not allowed; to watch every subdomain set include_subdomains");
  }
  // ASCII input is taken as A-labels and checked by ValidateLabels (each xn-- label by
  // ValidateALabel); only Unicode input is converted here.
  std::string a_labels;
  if (std::all_of(name.begin(), name.end(), [](char c) { return static_cast<uint8_t>(c) < 0x80; })) {
    a_labels.assign(name);
  } else {
    std::string input(name);  // idn2_lookup_u8 wants a NUL-terminated string
    uint8_t* output = nullptr;
    int rc = idn2_lookup_u8(reinterpret_cast<const uint8_t*>(input.c_str()), &output,
                            IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    Idn2String owned(reinterpret_cast<char*>(output));
    if (rc != IDN2_OK) {
      return MalformedError(std::string("not a valid IDNA2008 name (libidn2: ") + idn2_strerror(rc) + ")");
    }
    a_labels.assign(owned.get());
  }
  std::transform(a_labels.begin(), a_labels.end(), a_labels.begin(), AsciiLowercase);
  if (Status s = ValidateLabels(a_labels); !s.ok()) return s;
  return a_labels;
}

std::optional<IpAddress> ParseIpAddressLiteral(std::string_view text) {
  // Longest IPv6 text (INET6_ADDRSTRLEN - 1) is 45 characters; anything longer is not one.
  if (text.empty() || text.size() > 45 || text.find('\0') != std::string_view::npos) return std::nullopt;
  std::string z(text);
  IpAddress out;
  if (inet_pton(AF_INET, z.c_str(), out.bytes.data()) == 1) {
    out.size = 4;
    return out;
  }
  if (inet_pton(AF_INET6, z.c_str(), out.bytes.data()) == 1) {
    out.size = 16;
    return out;
  }
  return std::nullopt;
}

}  // namespace pinwatch::x509
