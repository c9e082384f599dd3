// Helpers shared by the monitor certificate tests: PEM reading and a tiny DER builder for
// hand-made certificates.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "base/encoding.h"
#include "tests/support/testdata.h"

namespace pinwatch::monitor::testing {

// PemCertificate returns the DER of the first CERTIFICATE block in a file (files may start
// with an `openssl x509 -text` dump); fails the test and returns empty if there is none.
inline std::vector<uint8_t> PemCertificate(const std::filesystem::path& path) {
  std::string text = pinwatch::testing::ReadFileText(path);
  const std::string begin = "-----BEGIN CERTIFICATE-----", end = "-----END CERTIFICATE-----";
  size_t b = text.find(begin), e = text.find(end);
  if (b == std::string::npos || e == std::string::npos || e < b) {
    ADD_FAILURE() << "no CERTIFICATE block in " << path;
    return {};
  }
  std::string b64;
  for (size_t i = b + begin.size(); i < e; ++i) {
    if (text[i] != '\n' && text[i] != '\r' && text[i] != ' ') b64 += text[i];
  }
  std::optional<std::vector<uint8_t>> der = Base64Decode(b64);
  if (!der) ADD_FAILURE() << "bad base64 in " << path;
  return der.value_or(std::vector<uint8_t>{});
}

using Der = std::vector<uint8_t>;

// Tlv builds one DER element with a minimal length from the concatenated parts.
inline Der Tlv(uint8_t tag, std::initializer_list<Der> parts) {
  Der body;
  for (const Der& p : parts) body.insert(body.end(), p.begin(), p.end());
  Der out = {tag};
  if (body.size() < 0x80) {
    out.push_back(static_cast<uint8_t>(body.size()));
  } else if (body.size() < 0x100) {
    out.insert(out.end(), {0x81, static_cast<uint8_t>(body.size())});
  } else {
    out.insert(out.end(), {0x82, static_cast<uint8_t>(body.size() >> 8), static_cast<uint8_t>(body.size())});
  }
  out.insert(out.end(), body.begin(), body.end());
  return out;
}
inline Der Raw(std::string_view s) { return Der(s.begin(), s.end()); }
inline Der Cat(std::initializer_list<Der> parts) {
  Der out;
  for (const Der& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

}  // namespace pinwatch::monitor::testing
