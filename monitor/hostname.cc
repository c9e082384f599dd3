#include "monitor/hostname.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>

namespace pinwatch::monitor {
namespace {

bool IsLdhOrUnderscore(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// Idn2String owns a string that libidn2 allocated with malloc.
struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using Idn2String = std::unique_ptr<char, FreeDeleter>;

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
      // An A-label must at least be Punycode; decoding one label alone keeps the message precise.
      std::string z(label);
      char* unicode = nullptr;
      int rc = idn2_to_unicode_8z8z(z.c_str(), &unicode, 0);
      Idn2String owned(unicode);
      if (rc != IDN2_OK) {
        return MalformedError("A-label \"" + z + "\" does not decode: " + idn2_strerror(rc));
      }
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
  // ASCII input is taken as A-labels and checked by ValidateLabels alone: idn2_lookup_u8 would
  // also demand that each xn-- label decode to valid IDNA2008 (NFC, no disallowed code points),
  // which real certificate names do not always meet (one in our test data is not NFC).
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
      return MalformedError(std::string("not a valid IDNA2008 name (libidn2: ") + idn2_strerror(rc) +
                            "); if it is registered as is, give its xn-- A-labels");
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

}  // namespace pinwatch::monitor
